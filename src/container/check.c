/* `nook check`: what this host gives containers, each line ok / warn /
 * missing with what it means for whoever runs nook (root or not). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "container/container.h"
#include "linux/cgroup.h"
#include "linux/introspect.h"
#include "linux/introspect_cgroup.h"
#include "linux/introspect_host.h"
#include "linux/lsm.h"
#include "linux/systemd.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/user.h"

enum check_status { CHECK_OK, CHECK_WARN, CHECK_MISSING };

struct check {
        json_object *list;
        bool root;
        uid_t uid;
        char *user;
};

static json_object *add_check(struct check *c, const char *name, enum check_status status, const char *value,
                              const char *meaning)
{
        static const char *const names[] = { "ok", "warn", "missing" };
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "status", json_object_new_string(names[status]));
        json_object_object_add(o, "value", json_object_new_string(value));
        json_object_object_add(o, "meaning", json_object_new_string(meaning));
        json_object_array_add(c->list, o);
        return o;
}

/* A probe that nook cannot do without. */
static void check_required(struct check *c, const char *name, int probe, const char *ok_meaning,
                           const char *missing_meaning)
{
        if (probe == 0)
                add_check(c, name, CHECK_OK, "available", ok_meaning);
        else
                add_check(c, name, probe == -ENOSYS ? CHECK_MISSING : CHECK_WARN,
                          probe == -ENOSYS ? "missing" : strerror(-probe), missing_meaning);
}

static void check_kernel(struct check *c)
{
        struct utsname u;
        uname(&u);
        add_check(c, "kernel", CHECK_OK, u.release, "each feature below is probed on this kernel, not assumed");
}

static void check_namespaces(struct check *c)
{
        static const struct {
                enum spec_namespace_type type;
                const char *missing;
        } types[] = {
                { NS_MOUNT, "no container can be made" },
                { NS_PID, "containers would see every host process" },
                { NS_NETWORK, "containers would share the host's network" },
                { NS_IPC, "containers would share the host's IPC objects" },
                { NS_UTS, "containers would share the host's name" },
                { NS_USER, "no rootless containers, and root in a container is host root" },
                { NS_CGROUP, "containers would see the host's cgroup paths" },
                { NS_TIME, "a config with linux.timeOffsets fails" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
                char name[32];
                snprintf(name, sizeof(name), "namespace.%s", spec_namespace_name(types[i].type));
                int r = probe_namespace(proc_ns_file(types[i].type));
                add_check(c, name, r == 0 ? CHECK_OK : CHECK_MISSING, r == 0 ? "available" : "missing",
                          r == 0 ? "containers can have one of their own" : types[i].missing);
        }
}

/* The sysctls that decide whether an ordinary user may create a user namespace. */
static void check_unprivileged_userns(struct check *c)
{
        static const char *const sysctls[][2] = {
                { "user.max_user_namespaces", "/proc/sys/user/max_user_namespaces" },
                { "kernel.unprivileged_userns_clone", "/proc/sys/kernel/unprivileged_userns_clone" },
                { "kernel.apparmor_restrict_unprivileged_userns",
                  "/proc/sys/kernel/apparmor_restrict_unprivileged_userns" },
        };
        json_object *values = json_object_new_object();
        char value[256] = "";
        size_t w = 0;
        for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++) {
                _cleanup_free_ char *text = NULL;
                if (read_file_at(AT_FDCWD, sysctls[i][1], &text, NULL, NULL) < 0)
                        continue;
                text[strcspn(text, "\n")] = '\0';
                json_object_object_add(values, sysctls[i][0], json_object_new_string(text));
                w += snprintf(value + w, sizeof(value) - w, "%s%s=%s", w ? ", " : "", sysctls[i][0], text);
        }
        int r = probe_unprivileged_userns();
        char shown[320];
        snprintf(shown, sizeof(shown), "%s (%s)", r == 0 ? "allowed" : "refused", value[0] ? value : "no sysctl");
        json_object *o = add_check(c, "userns.unprivileged", r == 0 ? CHECK_OK : CHECK_WARN, shown,
                                   r == 0 ? "ordinary users can run rootless containers"
                                          : "ordinary users cannot run rootless containers: the sysctls "
                                            "listed decide it");
        json_object_object_add(o, "sysctls", values);
}

static void append_controllers(json_object *list, char *text)
{
        for (char *s = NULL, *t = strtok_r(text, " \n", &s); t != NULL; t = strtok_r(NULL, " \n", &s))
                json_object_array_add(list, json_object_new_string(t));
}

static char *join(json_object *list)
{
        size_t size = 1;
        for (size_t i = 0; i < json_object_array_length(list); i++)
                size += strlen(json_object_get_string(json_object_array_get_idx(list, i))) + 1;
        char *out = calloc(1, size);
        for (size_t i = 0; out != NULL && i < json_object_array_length(list); i++) {
                if (i > 0)
                        strcat(out, " ");
                strcat(out, json_object_get_string(json_object_array_get_idx(list, i)));
        }
        return out;
}

/* v1 controllers from /proc/cgroups (enabled ones attached to a hierarchy), v2 from the root's cgroup.controllers. */
static void read_controllers(enum cgroup_mode mode, const char *v2_mount, json_object *v1, json_object *v2)
{
        _cleanup_free_ char *text = NULL;
        if (mode != CGROUP_MODE_V2 && read_file_at(AT_FDCWD, "/proc/cgroups", &text, NULL, NULL) == 0) {
                for (char *s = NULL, *line = strtok_r(text, "\n", &s); line; line = strtok_r(NULL, "\n", &s)) {
                        char name[64];
                        int hierarchy, count, enabled;
                        if (line[0] != '#' && sscanf(line, "%63s %d %d %d", name, &hierarchy, &count, &enabled) == 4 &&
                            hierarchy > 0 && enabled)
                                json_object_array_add(v1, json_object_new_string(name));
                }
        }
        _cleanup_free_ char *path = NULL, *controllers = NULL;
        if (v2_mount != NULL && asprintf(&path, "%s/cgroup.controllers", v2_mount) >= 0 &&
            read_file_at(AT_FDCWD, path, &controllers, NULL, NULL) == 0)
                append_controllers(v2, controllers);
}

/* A cgroup2 directory an ordinary user may use: its own cgroup, delegated (writable) to it. */
static void check_delegation(struct check *c, enum cgroup_mode mode)
{
        if (c->root) {
                add_check(c, "cgroup.delegation", CHECK_OK, "root",
                          "root creates the containers' cgroups where their config says");
                return;
        }
        _cleanup_close_ int self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct proc_cgroup *cgs = NULL;
        size_t n = 0;
        const char *dir = NULL;
        if (self >= 0 && proc_read_cgroups(self, &cgs, &n, NULL) == 0)
                for (size_t i = 0; i < n; i++)
                        if (cgs[i].hierarchy == 0 && cgs[i].controllers[0] == '\0')
                                dir = cgs[i].dir;
        _cleanup_free_ char *procs = dir != NULL ? path_join(dir, "cgroup.procs") : NULL;
        bool writable = procs != NULL && access(dir, W_OK) == 0 && access(procs, W_OK) == 0;
        _cleanup_free_ char *value = NULL;
        if (asprintf(&value, "%s%s", dir != NULL ? dir : "no cgroup2 directory",
                     dir == NULL ? "" : writable ? " (writable)" : " (not writable)") < 0)
                value = NULL;
        add_check(c, "cgroup.delegation", writable ? CHECK_OK : CHECK_WARN, value != NULL ? value : "?",
                  writable ? "rootless containers can get cgroups of their own below it"
                  : mode == CGROUP_MODE_V1
                          ? "cgroup v1 is never delegated: rootless containers run without a cgroup of their own"
                          : "nothing was delegated to this user: rootless containers run without a cgroup of "
                            "their own, so no limits");
        proc_cgroups_free(cgs, n);
}

static void check_cgroups(struct check *c)
{
        enum cgroup_mode mode;
        _cleanup_error_ nook_err err = NULL;
        if (cgroup_detect_mode(&mode, &err) < 0) {
                add_check(c, "cgroup.mode", CHECK_MISSING, err->msg, "containers get no cgroups: no limits");
                return;
        }
        const char *v2_mount = mode == CGROUP_MODE_V2 ? "/sys/fs/cgroup"
                               : mode == CGROUP_MODE_HYBRID ? "/sys/fs/cgroup/unified" : NULL;
        json_object *v1 = json_object_new_array(), *v2 = json_object_new_array();
        read_controllers(mode, v2_mount, v1, v2);
        _cleanup_free_ char *v1_text = join(v1), *v2_text = join(v2);
        char value[1024];
        static const char *const modes[] = { "v1", "v2", "hybrid" };
        if (mode == CGROUP_MODE_V2)
                snprintf(value, sizeof(value), "v2: %s", v2_text);
        else if (mode == CGROUP_MODE_V1)
                snprintf(value, sizeof(value), "v1: %s", v1_text);
        else
                snprintf(value, sizeof(value), "hybrid: v1 %s; cgroup2 %s", v1_text, v2_text[0] ? v2_text : "(none)");
        enum check_status status = mode == CGROUP_MODE_V2 || c->root ? CHECK_OK : CHECK_WARN;
        const char *meaning = mode == CGROUP_MODE_V2 ? "limits through the unified hierarchy; it can be delegated"
                              : c->root ? "limits through the v1 controllers; cgroup2 holds only what it lists"
                                        : "limits need v1 controllers, which are never delegated to an "
                                          "ordinary user";
        json_object *o = add_check(c, "cgroup.mode", status, value, meaning);
        json_object_object_add(o, "mode", json_object_new_string(modes[mode]));
        json_object *controllers = json_object_new_object();
        json_object_object_add(controllers, "v1", v1);
        json_object_object_add(controllers, "v2", v2);
        json_object_object_add(o, "controllers", controllers);
        check_delegation(c, mode);
}

static void check_subids(struct check *c, const char *file, const char *name, const char *kind)
{
        _cleanup_free_ struct id_range *ranges = NULL;
        size_t n = 0;
        int r = host_subid_ranges(file, c->uid, c->user, &ranges, &n);
        char value[512] = "";
        size_t w = 0;
        uint64_t total = 0;
        json_object *list = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                w += snprintf(value + w, sizeof(value) - w, "%s%u-%llu", w ? ", " : "", ranges[i].outside,
                              (unsigned long long)ranges[i].outside + ranges[i].count - 1);
                total += ranges[i].count;
                json_object *range = json_object_new_object();
                json_object_object_add(range, "start", json_object_new_int64(ranges[i].outside));
                json_object_object_add(range, "count", json_object_new_int64(ranges[i].count));
                json_object_array_add(list, range);
        }
        if (n > 0)
                snprintf(value + w, sizeof(value) - w, " (%llu %ss)", (unsigned long long)total, kind);
        else
                snprintf(value, sizeof(value), r < 0 ? "unreadable: %s" : "none for %s",
                         r < 0 ? strerror(-r) : c->user);
        char meaning[256];
        if (n > 0)
                snprintf(meaning, sizeof(meaning), "rootless containers can map %llu %ss", (unsigned long long)total,
                         kind);
        else if (c->root)
                snprintf(meaning, sizeof(meaning), "root maps any %ss without them", kind);
        else
                snprintf(meaning, sizeof(meaning), "rootless containers will get a single %s: the calling user has "
                                                   "no sub%s range", kind, kind);
        json_object *o = add_check(c, name, n > 0 || c->root ? CHECK_OK : CHECK_WARN, value, meaning);
        json_object_object_add(o, "ranges", list);
}

static void check_helper(struct check *c, const char *helper)
{
        char path[256], name[64], value[320], meaning[256];
        bool privileged = false;
        snprintf(name, sizeof(name), "helper.%s", helper);
        int r = host_find_helper(helper, path, sizeof(path), &privileged);
        if (r == 0)
                snprintf(value, sizeof(value), "%s (%s)", path, privileged ? "setuid" : "not setuid");
        else
                snprintf(value, sizeof(value), "not found");
        enum check_status status = r == 0 && privileged ? CHECK_OK : c->root ? CHECK_OK : CHECK_WARN;
        if (c->root)
                snprintf(meaning, sizeof(meaning), "root writes id maps itself; %s serves ordinary users", helper);
        else if (r == 0 && privileged)
                snprintf(meaning, sizeof(meaning), "rootless containers can map the caller's subordinate ids");
        else
                snprintf(meaning, sizeof(meaning), "rootless containers can map only the caller's own id (%s)",
                         r == 0 ? "the helper is not setuid" : "install the uidmap package");
        add_check(c, name, status, value, meaning);
}

static void check_features(struct check *c)
{
        check_required(c, "clone3", probe_clone3(), "nook creates each container with one clone3",
                       "nook needs it to create containers");
        int r = probe_clone_into_cgroup();
        add_check(c, "clone3.into_cgroup", r == 0 ? CHECK_OK : CHECK_WARN, r == 0 ? "available" : "missing",
                  r == 0 ? "a container starts inside its cgroup2 directory (CLONE_INTO_CGROUP)"
                         : "nook moves the container into its cgroup with a write to cgroup.procs");
        check_required(c, "openat2", probe_openat2(), "mount destinations are resolved inside the rootfs",
                       "nook needs RESOLVE_IN_ROOT to mount safely and cannot run containers");
        const char *missing = NULL;
        r = probe_mount_api(&missing);
        char value[128];
        snprintf(value, sizeof(value), r == 0 ? "available" : "%s missing", missing);
        add_check(c, "mount_api", r == 0 ? CHECK_OK : CHECK_MISSING, value,
                  r == 0 ? "open_tree, move_mount, mount_setattr, fsopen/fsconfig/fsmount: mounts made by fd"
                         : "nook mounts by fd through these calls and cannot run containers");
        if (c->root) {
                r = probe_idmapped_mount("/");
                add_check(c, "idmapped_mounts", r == 0 ? CHECK_OK : CHECK_WARN,
                          r == 0 ? "available (tried on /)" : strerror(-r),
                          r == 0 ? "a user-namespaced container can see host files with shifted owners"
                                 : "the filesystem of / cannot be idmapped: files must be chowned for "
                                   "user-namespaced containers");
        } else {
                add_check(c, "idmapped_mounts", CHECK_WARN, "not tried as an ordinary user",
                          "idmapping a host filesystem needs root: rootless containers cannot use it");
        }
        check_required(c, "pidfd", probe_pidfd(), "nook signals and waits for containers without pid races",
                       "nook needs pidfds to create and kill containers");
        r = probe_namespace("time");
        add_check(c, "time_namespace", r == 0 ? CHECK_OK : CHECK_MISSING, r == 0 ? "available" : "missing",
                  r == 0 ? "containers can have their own monotonic and boot clocks"
                         : "a config with linux.timeOffsets fails");
        r = probe_seccomp_filter();
        add_check(c, "seccomp", r == 0 ? CHECK_OK : CHECK_MISSING, r == 0 ? "filter mode" : "missing",
                  r == 0 ? "a config's seccomp profile becomes a kernel filter"
                         : "seccomp profiles cannot be applied: every system call reaches the kernel");
        r = probe_seccomp_notify();
        add_check(c, "seccomp.notify", r == 0 ? CHECK_OK : CHECK_WARN, r == 0 ? "available" : "missing",
                  r == 0 ? "seccomp listeners (SCMP_ACT_NOTIFY) can answer system calls for a container"
                         : "profiles with SCMP_ACT_NOTIFY cannot be used");
        r = probe_overlayfs();
        add_check(c, "overlayfs", r == 0 ? CHECK_OK : r == -ENOPKG ? CHECK_WARN : CHECK_MISSING,
                  r == 0 ? "available" : r == -ENOPKG ? "module not loaded" : "missing",
                  r == 0 ? "engines can stack image layers into a rootfs"
                  : r == -ENOPKG ? "root can load it (modprobe overlay); engines need it for image layers"
                                 : "engines must copy image layers (vfs) instead of stacking them");
}

/* The loaded AppArmor profiles, or -1 when the list is unreadable (it is root's). */
static int apparmor_profiles(void)
{
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, "/sys/kernel/security/apparmor/profiles", &text, NULL, NULL) < 0)
                return -1;
        int n = 0;
        for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
                n++;
        return n;
}

/* The LSMs this host runs, and what nook does with a config's labels: applied
 * where the LSM is on, refused where it is off (as runc refuses them). */
static void check_lsm(struct check *c)
{
        bool apparmor = lsm_apparmor_enabled();
        const char *selinux = lsm_selinux_mode();
        /* No LSM at all is worth a warning; the one a host does not use is not. */
        enum check_status off = apparmor || selinux != NULL ? CHECK_OK : CHECK_WARN;
        char value[64] = "disabled";
        if (apparmor) {
                int n = apparmor_profiles();
                snprintf(value, sizeof(value), n < 0 ? "enabled" : "enabled (%d profiles loaded)", n);
        }
        add_check(c, "lsm.apparmor", apparmor ? CHECK_OK : off, value,
                  apparmor ? "nook applies process.apparmorProfile and exec --apparmor (stacked under "
                             "no_new_privs when nook runs confined); the profile must be loaded"
                           : "a config with process.apparmorProfile is refused, as runc refuses it; engines send "
                             "none where AppArmor is off");
        add_check(c, "lsm.selinux", selinux != NULL ? CHECK_OK : off, selinux != NULL ? selinux : "disabled",
                  selinux != NULL ? "nook applies process.selinuxLabel, exec --process-label, the session keyring's "
                                    "label, and linux.mountLabel on the filesystems it mounts"
                                  : "a config with process.selinuxLabel or linux.mountLabel is refused, as runc "
                                    "refuses it");
}

/* The manager --systemd-cgroup would ask for units: the system one as root, the
 * user's own rootless (also as root of a user namespace, as under rootless podman). */
static void check_systemd(struct check *c)
{
        enum systemd_bus bus = c->root && userns_is_initial() ? SYSTEMD_BUS_SYSTEM : SYSTEMD_BUS_USER;
        struct systemd_manager m;
        _cleanup_error_ nook_err err = NULL;
        json_object *o;
        if (systemd_ping(bus, 2000, &m, &err) < 0) {
                o = add_check(c, "systemd", CHECK_MISSING, err->msg,
                              "--systemd-cgroup (the default of podman, Docker and CRI on systemd hosts) cannot "
                              "place containers: no systemd manager answers");
                json_object_object_add(o, "bus", json_object_new_string(systemd_bus_name(bus)));
                return;
        }
        char value[600], meaning[256];
        snprintf(value, sizeof(value), "%s manager %s on `%.300s`, as uid %u", m.manager, m.version, m.address,
                 (unsigned)m.uid);
        snprintf(meaning, sizeof(meaning), "--systemd-cgroup places containers in transient units of the %s manager",
                 m.manager);
        o = add_check(c, "systemd", CHECK_OK, value, meaning);
        json_object_object_add(o, "bus", json_object_new_string(systemd_bus_name(bus)));
        json_object_object_add(o, "address", json_object_new_string(m.address));
        json_object_object_add(o, "manager", json_object_new_string(m.manager));
        json_object_object_add(o, "version", json_object_new_string(m.version));
        json_object_object_add(o, "cgroup", json_object_new_string(m.cgroup));
        json_object_object_add(o, "uid", json_object_new_int64(m.uid));
        json_object_object_add(o, "manager_uid", json_object_new_int64(m.manager_uid));
        systemd_manager_free(&m);
}

int container_check_host(json_object **report, nook_err *err)
{
        (void)err;
        struct check c = { .list = json_object_new_array(), .uid = geteuid() };
        c.root = c.uid == 0;
        c.user = user_name(c.uid);
        json_object *o = json_object_new_object();
        json_object *caller = json_object_new_object();
        json_object_object_add(caller, "uid", json_object_new_int64(c.uid));
        json_object_object_add(caller, "user", c.user != NULL ? json_object_new_string(c.user) : NULL);
        json_object_object_add(caller, "root", json_object_new_boolean(c.root));
        json_object_object_add(o, "caller", caller);
        json_object_object_add(o, "checks", c.list);
        check_kernel(&c);
        check_namespaces(&c);
        check_unprivileged_userns(&c);
        check_cgroups(&c);
        check_systemd(&c);
        check_subids(&c, "/etc/subuid", "subuid", "uid");
        check_subids(&c, "/etc/subgid", "subgid", "gid");
        check_helper(&c, "newuidmap");
        check_helper(&c, "newgidmap");
        check_features(&c);
        check_lsm(&c);
        free(c.user);
        *report = o;
        return 0;
}
