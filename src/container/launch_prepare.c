/* Before anything runs: the config read and checked whole, the plan made, the
 * namespaces given by path opened, the user namespaces of idmapped mounts made,
 * the seccomp filter compiled; then the state dir reserved and written (so that
 * `delete -f` finds whatever a killed create leaves), and the cgroup made
 * (rootless: only where one is delegated). */
#define _GNU_SOURCE
#include "container/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/systemd_scope.h"
#include "linux/devices.h"
#include "linux/lsm.h"
#include "linux/netdev.h"
#include "linux/resctrl.h"
#include "linux/seccomp.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/user.h"

static int resolve_paths(struct launch *l, nook_err *err)
{
        const char *bundle = l->opts->bundle != NULL ? l->opts->bundle : ".";
        l->bundle = realpath(bundle, NULL);
        if (l->bundle == NULL)
                return nook_error_errno(err, "bundle `%s`", bundle);
        int ret = spec_load(l->bundle, &l->spec, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *root = NULL;
        if (l->spec->root_path[0] == '/')
                root = strdup(l->spec->root_path);
        else if (asprintf(&root, "%s/%s", l->bundle, l->spec->root_path) < 0)
                root = NULL;
        if (root == NULL)
                return nook_error(err, ENOMEM, "root.path");
        l->rootfs = realpath(root, NULL);
        struct stat st;
        if (l->rootfs == NULL || stat(l->rootfs, &st) < 0)
                return nook_error_errno(err, "root.path: `%s`", root);
        if (!S_ISDIR(st.st_mode))
                return nook_error(err, ENOTDIR, "root.path: `%s`", root);
        if (l->spec->process->terminal && l->plan.mode == LAUNCH_CREATE && l->opts->console_socket == NULL)
                return nook_error(err, 0, "process.terminal is true: --console-socket is required");
        return 0;
}

static int open_namespace_paths(struct launch *l, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        for (size_t i = 0; linux_ != NULL && i < linux_->namespaces.len; i++) {
                const struct spec_namespace *ns = &linux_->namespaces.items[i];
                if (ns->path == NULL)
                        continue;
                l->ns_fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (l->ns_fds[ns->type] < 0)
                        return nook_error_errno(err, "linux.namespaces[%zu].path: open `%s`", i, ns->path);
        }
        return 0;
}

/* A sysctl written through a namespace joined by path must not be the host's:
 * nook's own namespace of that type is the host's (runc checks the network one). */
static int check_sysctl_namespaces(const struct launch *l, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        for (size_t i = 0; linux_ != NULL && i < linux_->sysctl.len; i++) {
                const char *key = linux_->sysctl.items[i].key;
                enum spec_namespace_type type = spec_sysctl_namespace(key);
                if (type == NS_TYPE_COUNT || l->ns_fds[type] < 0)
                        continue;
                char own[64];
                snprintf(own, sizeof(own), "/proc/self/ns/%s", type == NS_NETWORK ? "net" : spec_namespace_name(type));
                struct stat joined, host;
                if (fstat(l->ns_fds[type], &joined) < 0 || stat(own, &host) < 0)
                        return nook_error_errno(err, "linux.sysctl: \"%s\": compare namespaces", key);
                if (joined.st_dev == host.st_dev && joined.st_ino == host.st_ino)
                        return nook_error(err, EPERM, "linux.sysctl: \"%s\" would change the host's %s namespace (%s)",
                                          key, spec_namespace_name(type), spec_namespace(l->spec, type)->path);
        }
        return 0;
}

/* What the config asks of the host, checked before anything on it changes. */
static int check_host(const struct launch *l, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        for (size_t i = 0; linux_ != NULL && i < linux_->net_devices.len; i++) {
                /* Moving an interface of the host's needs CAP_NET_ADMIN there (runc refuses it too). */
                if (l->opts->rootless)
                        return nook_error(err, EPERM, "linux.netDevices: not for rootless containers");
                int ret = netdev_check(linux_->net_devices.items[i].host_name, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.netDevices");
        }
        if (linux_ != NULL && linux_->intel_rdt != NULL) {
                int ret = resctrl_check(linux_->intel_rdt, l->opts->id, err);
                if (ret < 0)
                        return ret;
        }
        int ret = lsm_check(l->spec->process, linux_ != NULL ? linux_->mount_label : NULL, err);
        if (ret == 0 && l->plan.in_userns && linux_ != NULL)
                ret = devices_check_host(linux_->devices.items, linux_->devices.len, err);
        if (ret == 0)
                ret = check_sysctl_namespaces(l, err);
        return ret;
}

/* Compiled here, before clone3, through a cache under the state root (a large profile
 * takes longer to compile than the rest of a start); the stub loads it last. */
static int compile_seccomp(struct launch *l, nook_err *err)
{
        const struct spec_seccomp *config = l->spec->linux != NULL ? l->spec->linux->seccomp : NULL;
        if (config == NULL)
                return 0;
        int ret = seccomp_check_notify(config, l->spec->process->no_new_privileges, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *cache = NULL;
        if (asprintf(&cache, "%s/" SECCOMP_CACHE_DIR, l->opts->root) < 0)
                cache = NULL;
        struct seccomp_program program;
        ret = seccomp_compile_cached(config, cache, &program, err);
        if (ret < 0)
                return ret;
        l->seccomp_filter = program.filter;
        l->seccomp_len = program.len;
        l->seccomp_flags = program.flags;
        return 0;
}

static int fill_state(struct launch *l)
{
        struct container_state *s = &l->state;
        s->id = strdup(l->opts->id);
        s->oci_version = strdup(l->spec->oci_version);
        s->bundle = strdup(l->bundle);
        s->rootfs = strdup(l->rootfs);
        char created[64];
        log_timestamp(created, sizeof(created));
        s->created = strdup(created);
        s->owner = user_name(geteuid());
        s->rootless = l->opts->rootless;
        s->shares_pid_namespace = l->plan.shares_pid_namespace;
        /* Until the init is ready, the state names the process creating it. */
        s->creator = getpid();
        s->creator_start_time = state_process_start_time(s->creator);
        if (l->spec->annotations.len > 0) {
                s->annotations = json_object_new_object();
                for (size_t i = 0; i < l->spec->annotations.len; i++)
                        json_object_object_add(s->annotations, l->spec->annotations.items[i].key,
                                               json_object_new_string(l->spec->annotations.items[i].value));
        }
        return s->id != NULL && s->oci_version != NULL && s->bundle != NULL && s->rootfs != NULL &&
                               s->created != NULL && s->owner != NULL
                       ? 0
                       : -ENOMEM;
}

int launch_save_planned_state(struct launch *l, nook_err *err)
{
        struct cgroup *cg = l->state.cgroup;
        /* Should this create be killed before it is ready, `delete -f` removes the
         * container's own cgroup directories (their parents, if nook makes them, stay). */
        for (size_t i = 0; cg != NULL && i < cg->n_hierarchies; i++)
                cg->hierarchies[i].created = 1;
        int ret = state_save(&l->state, err);
        for (size_t i = 0; cg != NULL && i < cg->n_hierarchies; i++)
                cg->hierarchies[i].created = 0;
        return ret;
}

/* Whether the resources ask for a limit (device rules aside: rootless, runc ignores them). */
static bool wants_limits(const struct spec_resources *r)
{
        return r != NULL &&
               (r->memory.limit.set || r->memory.reservation.set || r->memory.swap.set || r->memory.kernel.set ||
                r->memory.kernel_tcp.set || r->memory.swappiness.set || r->memory.disable_oom_killer.set ||
                r->cpu.shares.set || r->cpu.quota.set || r->cpu.burst.set || r->cpu.period.set ||
                r->cpu.realtime_runtime.set || r->cpu.realtime_period.set || r->cpu.cpus != NULL ||
                r->cpu.mems != NULL || r->cpu.idle.set || r->pids_limit.set || r->block_io.weight.set ||
                r->block_io.leaf_weight.set || r->block_io.weight_device.len > 0 ||
                r->block_io.throttle_read_bps.len > 0 || r->block_io.throttle_write_bps.len > 0 ||
                r->block_io.throttle_read_iops.len > 0 || r->block_io.throttle_write_iops.len > 0 ||
                r->hugepage_limits.len > 0 || r->network.class_id.set || r->network.priorities.len > 0 ||
                r->unified.len > 0);
}

/* Rootless, as runc's rootless cgroup manager: a cgroup only where one was delegated
 * to the caller. Without one, the container stays in the caller's cgroup, unless the
 * config names a cgroupsPath or asks for limits: then that is an error. Device
 * rules are ignored (no device cgroup is ever the caller's to program). */
int launch_plan_rootless_cgroup(struct launch *l, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        const char *path = linux_ != NULL ? linux_->cgroups_path : NULL;
        struct spec_resources limits = { 0 };
        if (linux_ != NULL && linux_->resources != NULL) {
                limits = *linux_->resources;
                limits.devices.len = 0;
        }
        struct cgroup *cg = NULL;
        int ret = cgroup_plan(path, l->opts->id, &cg, err);
        if (ret < 0)
                return ret;
        cgroup_keep_delegated(cg);
        if (cg->n_hierarchies == 0) {
                cgroup_free(cg);
                if (path != NULL && path[0] != '\0')
                        return nook_error(err, EACCES, "linux.cgroupsPath: \"%s\": no cgroup there is delegated to "
                                                       "uid %u (rootless)", path, geteuid());
                if (wants_limits(&limits))
                        return nook_error(err, EACCES, "linux.resources: rootless without a delegated cgroup, the "
                                                       "limits cannot be set");
                return launch_save_planned_state(l, err);
        }
        l->state.cgroup = cg;
        ret = launch_save_planned_state(l, err);
        if (ret == 0)
                ret = cgroup_create(cg, err);
        if (ret == 0 && wants_limits(&limits))
                ret = cgroup_apply(cg, &limits, err);
        return ret;
}

/* Idmapped mounts (mounts[].uidMappings/gidMappings, or "idmap" with the container's
 * maps): a user namespace holding each one's maps, made here, in nook's own user
 * and pid namespaces (whose /proc names the child that holds it). */
int launch_prepare_idmapped_mounts(struct launch *l, nook_err *err)
{
        const struct spec *spec = l->spec;
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                bool idmap = m->parsed.idmap || m->uid_mappings.len > 0 || m->gid_mappings.len > 0;
                bool bind = m->parsed.kind == MOUNT_KIND_BIND;
                if (!idmap)
                        continue;
                if (!bind)
                        return nook_error(err, EINVAL, "mounts[%zu]: idmapped mounts are bind mounts only", i);
                if (geteuid() != 0)
                        return nook_error(err, EPERM, "mounts[%zu]: idmapped mount of `%s`: needs CAP_SYS_ADMIN over "
                                                      "the host filesystem (rootless containers have none)", i,
                                          m->source != NULL ? m->source : "");
                const spec_id_mappings *uids = &m->uid_mappings, *gids = &m->gid_mappings;
                if (uids->len == 0 && gids->len == 0 && l->plan.new_userns) {
                        uids = &spec->linux->uid_mappings;
                        gids = &spec->linux->gid_mappings;
                }
                if (uids->len == 0 || gids->len == 0)
                        return nook_error(err, EINVAL, "mounts[%zu]: an idmapped mount needs uidMappings and "
                                                       "gidMappings (or a user namespace whose maps it takes)", i);
                if (l->idmap_fds == NULL) {
                        l->idmap_fds = malloc(spec->mounts.len * sizeof(int));
                        if (l->idmap_fds == NULL)
                                return nook_error(err, ENOMEM, "mounts");
                        for (size_t j = 0; j < spec->mounts.len; j++)
                                l->idmap_fds[j] = -1;
                }
                l->idmap_fds[i] = userns_create_with_maps(uids, gids, err);
                if (l->idmap_fds[i] < 0)
                        return nook_error_wrap(err, "mounts[%zu]: idmapped mount", i);
                int ret = fd_move_above(&l->idmap_fds[i], 3 + l->opts->preserve_fds, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int launch_make_cgroup(struct launch *l, nook_err *err)
{
        int ret = l->plan.layout == LAYOUT_PARALLEL ? cgroup_create_part(l->state.cgroup, false, err)
                                                    : cgroup_create(l->state.cgroup, err);
        log_debug("create %s: cgroup made", l->state.id);
        if (ret == 0 && l->spec->linux != NULL && l->spec->linux->resources != NULL)
                ret = cgroup_apply(l->state.cgroup, l->spec->linux->resources, err);
        return ret;
}

int launch_prepare(struct launch *l, const struct create_options *opts, enum launch_mode mode, nook_err *err)
{
        memset(l, 0, sizeof(*l));
        l->opts = opts;
        l->plan.mode = mode;
        l->sync_fd = l->child_sync_fd = l->start_fd = l->console_fd = -1;
        l->first_pidfd = l->pidfd = l->console_master = l->seccomp_listener = l->outer_rootfd = -1;
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                l->ns_fds[t] = -1;
        int ret = state_check_id(opts->id, err);
        if (ret == 0)
                ret = resolve_paths(l, err);
        if (ret == 0) {
                launch_plan_make(l->spec, opts, mode, geteuid(), &l->plan);
                ret = open_namespace_paths(l, err);
        }
        /* Restore: criu brings back the mounts and the seccomp filters themselves. */
        bool restore = mode == LAUNCH_RESTORE;
        if (ret == 0 && !restore)
                ret = launch_prepare_idmapped_mounts(l, err);
        if (ret == 0)
                ret = check_host(l, err);
        if (ret == 0 && !restore)
                ret = compile_seccomp(l, err);
        if (ret == 0 && opts->systemd_cgroup)
                ret = scope_prepare(l->spec, opts->id, opts->rootless, &l->unit, err);
        if (ret < 0)
                return ret;
        l->protect_exe = stub_exe_needs_protection();

        /* Nothing on the system has changed so far; from here on launch_abort undoes,
         * and the state file says what will be made before it is made. */
        log_debug("create %s: config read", opts->id);
        ret = state_reserve(opts->root, opts->id, &l->state.dir, err);
        if (ret < 0)
                return ret;
        if (fill_state(l) < 0)
                return nook_error(err, ENOMEM, "state");
        if (l->plan.cgroup_by_systemd) {
                /* The scope is made once the first process exists (create.c). */
                l->state.systemd_unit = strdup(l->unit.name);
                l->state.systemd_user = opts->rootless;
                return l->state.systemd_unit == NULL ? nook_error(err, ENOMEM, "state")
                                                     : launch_save_planned_state(l, err);
        }
        if (opts->rootless)
                return launch_plan_rootless_cgroup(l, err);
        const char *path = l->spec->linux != NULL ? l->spec->linux->cgroups_path : NULL;
        ret = cgroup_plan(path, opts->id, &l->state.cgroup, err);
        if (ret == 0)
                ret = launch_save_planned_state(l, err);
        if (ret < 0)
                return ret;
        /* cgroup2 must exist for clone3; on the parallel path the rest is made meanwhile. */
        return l->plan.layout == LAYOUT_PARALLEL ? cgroup_create_part(l->state.cgroup, true, err)
                                                 : launch_make_cgroup(l, err);
}
