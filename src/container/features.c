/* `features`: what this build of nook implements, as the OCI runtime-spec's
 * features structure (features.md, features-linux.md), built from the same
 * tables the parser and the mount code use. */
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

static json_object *enabled(bool on)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(on));
        return o;
}

static json_object *linux_features(void)
{
        json_object *l = json_object_new_object();
        const char *namespaces[NS_TYPE_COUNT];
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                namespaces[t] = spec_namespace_name((enum spec_namespace_type)t);
        json_object_object_add(l, "namespaces", strings(namespaces, NS_TYPE_COUNT));
        json_object *caps = json_object_new_array();
        for (int c = 0; c < spec_capability_count(); c++)
                if (spec_capability_name(c) != NULL)
                        json_object_array_add(caps, json_object_new_string(spec_capability_name(c)));
        json_object_object_add(l, "capabilities", caps);
        json_object *cgroup = json_object_new_object();
        json_object_object_add(cgroup, "v1", json_object_new_boolean(true));
        json_object_object_add(cgroup, "v2", json_object_new_boolean(true));
        json_object_object_add(cgroup, "systemd", json_object_new_boolean(false));
        json_object_object_add(cgroup, "systemdUser", json_object_new_boolean(false));
        json_object_object_add(cgroup, "rdma", json_object_new_boolean(false));
        json_object_object_add(l, "cgroup", cgroup);
        json_object *seccomp = enabled(true);
        static const struct {
                const char *key;
                enum seccomp_names kind;
        } seccomp_lists[] = {
                { "actions", SECCOMP_NAMES_ACTIONS },     { "operators", SECCOMP_NAMES_OPERATORS },
                { "archs", SECCOMP_NAMES_ARCHITECTURES }, { "knownFlags", SECCOMP_NAMES_FLAGS },
                { "supportedFlags", SECCOMP_NAMES_SUPPORTED_FLAGS },
        };
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_lists); i++) {
                const char *names[64];
                size_t n = seccomp_names(seccomp_lists[i].kind, names, ARRAY_SIZE(names));
                json_object_object_add(seccomp, seccomp_lists[i].key, strings(names, n));
        }
        json_object_object_add(l, "seccomp", seccomp);
        /* Labels are refused, not applied (see exec.c). */
        json_object_object_add(l, "apparmor", enabled(false));
        json_object_object_add(l, "selinux", enabled(false));
        json_object_object_add(l, "intelRdt", enabled(false));
        json_object *idmap = json_object_new_object();
        json_object_object_add(idmap, "idmap", enabled(false)); /* parsed, not applied yet */
        json_object_object_add(l, "mountExtensions", idmap);
        return l;
}

int container_print_features(const char *spec_version, const char *nook_version, nook_err *err)
{
        (void)err;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
        json_object_object_add(o, "ociVersionMax", json_object_new_string(spec_version));
        const char *hooks[HOOK_KIND_COUNT] = { "prestart",       "createRuntime", "createContainer",
                                               "startContainer", "poststart",     "poststop" };
        json_object_object_add(o, "hooks", strings(hooks, HOOK_KIND_COUNT));
        const char *options[128];
        size_t n = mount_option_names(options, ARRAY_SIZE(options));
        json_object_object_add(o, "mountOptions", strings(options, n < ARRAY_SIZE(options) ? n : ARRAY_SIZE(options)));
        json_object_object_add(o, "linux", linux_features());
        json_object *annotations = json_object_new_object();
        json_object_object_add(annotations, "org.nook.version", json_object_new_string(nook_version));
        json_object_object_add(o, "annotations", annotations);
        json_object_object_add(o, "potentiallyUnsafeConfigAnnotations", json_object_new_array());
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 0;
}
