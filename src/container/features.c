/* `features`: what this build of nook implements, as the OCI runtime-spec's
 * features structure (features.md, features-linux.md). Every list comes from
 * the table the parser or the code itself uses (tests/unit/test_features.c
 * holds each to the implementation), so that engines that read it (containerd
 * for idmapped mounts) are told the truth. */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>

#include "container/container.h"
#include "linux/seccomp.h"
#include "spec/mount_options.h"
#include "spec/spec.h"
#include "util/cleanup.h"

static json_object *strings(const char *const *items, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, json_object_new_string(items[i]));
        return a;
}

static json_object *spec_table(enum spec_names kind)
{
        const char *names[128];
        size_t n = spec_names(kind, names, ARRAY_SIZE(names));
        return strings(names, n < ARRAY_SIZE(names) ? n : ARRAY_SIZE(names));
}

/* {"name": true, …} for switches nook implements. */
static json_object *switches(const char *const *names, size_t n, bool on)
{
        json_object *o = json_object_new_object();
        for (size_t i = 0; i < n; i++)
                json_object_object_add(o, names[i], json_object_new_boolean(on));
        return o;
}

static json_object *enabled(bool on)
{
        static const char *const name[] = { "enabled" };
        return switches(name, 1, on);
}

static json_object *seccomp_features(void)
{
        json_object *seccomp = enabled(true);
        json_object_object_add(seccomp, "actions", spec_table(SPEC_NAMES_SECCOMP_ACTIONS));
        json_object_object_add(seccomp, "operators", spec_table(SPEC_NAMES_SECCOMP_OPERATORS));
        /* What the compiler takes: the architectures libseccomp resolves, the flags it knows. */
        static const struct {
                const char *key;
                enum seccomp_names kind;
        } compiled[] = {
                { "archs", SECCOMP_NAMES_ARCHITECTURES },
                { "knownFlags", SECCOMP_NAMES_FLAGS },
                { "supportedFlags", SECCOMP_NAMES_SUPPORTED_FLAGS },
        };
        for (size_t i = 0; i < ARRAY_SIZE(compiled); i++) {
                const char *names[64];
                size_t n = seccomp_names(compiled[i].kind, names, ARRAY_SIZE(names));
                json_object_object_add(seccomp, compiled[i].key, strings(names, n < ARRAY_SIZE(names) ? n : ARRAY_SIZE(names)));
        }
        return seccomp;
}

static json_object *linux_features(void)
{
        json_object *l = json_object_new_object();
        json_object_object_add(l, "namespaces", spec_table(SPEC_NAMES_NAMESPACES));
        json_object_object_add(l, "capabilities", spec_table(SPEC_NAMES_CAPABILITIES));
        static const char *const cgroup_built[] = { "v1", "v2", "systemd", "systemdUser" };
        static const char *const cgroup_not[] = { "rdma" };
        json_object *cgroup = switches(cgroup_built, ARRAY_SIZE(cgroup_built), true);
        for (size_t i = 0; i < ARRAY_SIZE(cgroup_not); i++) /* no rdma controller */
                json_object_object_add(cgroup, cgroup_not[i], json_object_new_boolean(false));
        json_object_object_add(l, "cgroup", cgroup);
        json_object_object_add(l, "seccomp", seccomp_features());
        /* Labels are applied where the LSM is on (linux/lsm.c), refused where it is off. As
         * the spec says, these tell what nook supports, not what the host runs: `nook check`
         * says that. */
        json_object_object_add(l, "apparmor", enabled(true));
        json_object_object_add(l, "selinux", enabled(true));
        /* linux/resctrl.c: groups, schemata and monitoring where resctrl is mounted. */
        static const char *const rdt[] = { "enabled", "schemata", "monitoring" };
        json_object_object_add(l, "intelRdt", switches(rdt, ARRAY_SIZE(rdt), true));
        json_object *memory_policy = json_object_new_object();
        json_object_object_add(memory_policy, "modes", spec_table(SPEC_NAMES_MEMORY_POLICY_MODES));
        json_object_object_add(memory_policy, "flags", spec_table(SPEC_NAMES_MEMORY_POLICY_FLAGS));
        json_object_object_add(l, "memoryPolicy", memory_policy);
        /* mounts[].uidMappings/gidMappings, "idmap" and "ridmap": idmapped binds (linux/mount.c,
         * launch_userns.c), whatever the host allows (the field says what is built in). */
        json_object *idmap = json_object_new_object();
        json_object_object_add(idmap, "idmap", enabled(true));
        json_object_object_add(l, "mountExtensions", idmap);
        json_object_object_add(l, "netDevices", enabled(true));
        return l;
}

int container_features(const char *spec_version, const char *nook_version, json_object **out, nook_err *err)
{
        (void)err;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
        json_object_object_add(o, "ociVersionMax", json_object_new_string(spec_version));
        json_object_object_add(o, "hooks", spec_table(SPEC_NAMES_HOOKS));
        const char *options[128];
        size_t n = mount_option_names(options, ARRAY_SIZE(options));
        json_object_object_add(o, "mountOptions", strings(options, n < ARRAY_SIZE(options) ? n : ARRAY_SIZE(options)));
        json_object_object_add(o, "linux", linux_features());
        json_object *annotations = json_object_new_object();
        json_object_object_add(annotations, "org.nook.version", json_object_new_string(nook_version));
        /* Built in, as runc's annotation says of runc (the features describe the build,
         * not the host: whether criu is installed and works is found at checkpoint). */
        json_object_object_add(annotations, "org.nook.checkpoint.enabled", json_object_new_string("true"));
        json_object_object_add(o, "annotations", annotations);
        /* The first changes the container's systemd unit (--systemd-cgroup), as with runc and crun. */
        json_object *unsafe = json_object_new_array();
        json_object_array_add(unsafe, json_object_new_string("org.systemd.property."));
        /* It names criu's configuration file at checkpoint and restore (checkpoint.c). */
        json_object_array_add(unsafe, json_object_new_string("org.criu.config"));
        json_object_object_add(o, "potentiallyUnsafeConfigAnnotations", unsafe);
        *out = o;
        return 0;
}
