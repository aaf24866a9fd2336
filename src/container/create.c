/* The parent side of container creation: validate everything, reserve the
 * state dir, make the cgroup, clone3 the init, answer its protocol (id maps,
 * cgroup, hooks) until it is ready, and undo all of it on any failure. */
#define _GNU_SOURCE
#include "container/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/hooks.h"
#include "container/seccomp_agent.h"
#include "container/spawn.h"
#include "container/sync.h"
#include "linux/devices.h"
#include "linux/lsm.h"
#include "linux/net.h"
#include "linux/netdev.h"
#include "linux/process.h"
#include "linux/resctrl.h"
#include "linux/seccomp.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/socket.h"
#include "util/user.h"

/* Decides how each namespace is entered, and opens the ones given by path. */
static int plan_namespaces(struct launch *l, nook_err *err)
{
        const struct spec *spec = l->spec;
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                l->ns_fds[t] = -1;
        bool time_offsets = spec->linux != NULL && (spec->linux->time_monotonic.set || spec->linux->time_boottime.set);
        for (size_t i = 0; spec->linux != NULL && i < spec->linux->namespaces.len; i++) {
                const struct spec_namespace *ns = &spec->linux->namespaces.items[i];
                if (ns->path != NULL) {
                        l->ns_fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
                        if (l->ns_fds[ns->type] < 0)
                                return nook_error_errno(err, "linux.namespaces[%zu].path: open `%s`", i, ns->path);
                        l->joins_paths = true;
                } else if (ns->type == NS_CGROUP) {
                        /* Made once the init sits in its cgroup, so that cgroup is its root. */
                        l->new_cgroupns = true;
                } else {
                        l->new_ns_flags |= (unsigned long)spec_namespace_clone_flag(ns->type);
                }
        }
        l->new_userns = (l->new_ns_flags & CLONE_NEWUSER) != 0;
        l->in_userns = spec_namespace(spec, NS_USER) != NULL || l->opts->rootless;
        const struct spec_namespace *mntns = spec_namespace(spec, NS_MOUNT);
        l->outer_userns = l->new_userns && mntns != NULL && mntns->path == NULL;
        if (l->outer_userns) {
                /* The outer stage makes the time namespace (and writes its offsets) before
                 * the init enters it; the init is cloned into the others (outer.c). */
                unsigned long inner = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
                l->inner_ns_flags = CLONE_NEWUSER | (l->new_ns_flags & inner) | (l->new_cgroupns ? CLONE_NEWCGROUP : 0);
                l->outer_time = (l->new_ns_flags & CLONE_NEWTIME) != 0;
                l->outer_in_host = geteuid() == 0;
                l->outer_pivot = !l->opts->no_pivot && !outer_has_early_hooks(spec);
                l->new_ns_flags = l->outer_in_host ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS;
                l->second_fork = true;
        } else if (time_offsets) {
                /* Offsets must be written before any process enters the time namespace. */
                l->joins_paths = true;
        }
        bool pid_or_time = spec_namespace(spec, NS_PID) != NULL || spec_namespace(spec, NS_TIME) != NULL;
        l->second_fork = l->second_fork || (l->joins_paths && pid_or_time);
        if (!l->joins_paths && !l->second_fork && !l->new_userns && !l->opts->rootless) {
                /* Namespaces whose making costs (a network namespace: ~0.4 ms) are made by the
                 * child itself, in parallel with nook's cgroup work; pid and time are for
                 * children only, so clone3 makes them. */
                l->cgroup_deferred = true;
                l->child_unshare_flags = l->new_ns_flags & ~(unsigned long)(CLONE_NEWPID | CLONE_NEWTIME);
                l->new_ns_flags &= CLONE_NEWPID | CLONE_NEWTIME;
                /* The network namespace is the dearest (~0.35 ms): nook makes it while the
                 * init mounts, and hands it over with GO (make_netns). */
                l->netns_by_parent = (l->child_unshare_flags & CLONE_NEWNET) != 0;
                l->child_unshare_flags &= ~(unsigned long)CLONE_NEWNET;
        }
        l->state.shares_pid_namespace = spec_namespace(spec, NS_PID) == NULL ||
                                        spec_namespace(spec, NS_PID)->path != NULL;
        return 0;
}

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
        if (l->spec->process->terminal && l->mode == LAUNCH_CREATE && l->opts->console_socket == NULL)
                return nook_error(err, 0, "process.terminal is true: --console-socket is required");
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
        if (ret == 0 && l->in_userns && linux_ != NULL)
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

static int launch_cgroup(struct launch *l, nook_err *err);

int launch_prepare(struct launch *l, const struct create_options *opts, enum launch_mode mode, nook_err *err)
{
        memset(l, 0, sizeof(*l));
        l->opts = opts;
        l->mode = mode;
        l->sync_fd = l->child_sync_fd = l->start_fd = l->console_fd = l->pidfd = l->seccomp_listener = -1;
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                l->ns_fds[t] = -1;
        int ret = state_check_id(opts->id, err);
        if (ret == 0)
                ret = resolve_paths(l, err);
        if (ret == 0)
                ret = plan_namespaces(l, err);
        if (ret == 0)
                ret = launch_prepare_idmapped_mounts(l, err);
        if (ret == 0)
                ret = check_host(l, err);
        if (ret == 0)
                ret = compile_seccomp(l, err);
        if (ret == 0 && opts->systemd_cgroup)
                ret = cgroup_check_systemd(l->spec->linux != NULL ? l->spec->linux->cgroups_path : NULL, opts->id,
                                           err);
        if (ret < 0)
                return ret;
        l->protect_exe = stub_exe_needs_protection();

        /* Nothing on the system has changed so far; from here on launch_abort undoes. */
        log_debug("create %s: config read", opts->id);
        ret = state_reserve(opts->root, opts->id, &l->state.dir, err);
        if (ret < 0)
                return ret;
        l->state.id = strdup(opts->id);
        l->state.oci_version = strdup(l->spec->oci_version);
        l->state.bundle = strdup(l->bundle);
        l->state.rootfs = strdup(l->rootfs);
        char created[64];
        log_timestamp(created, sizeof(created));
        l->state.created = strdup(created);
        l->state.owner = user_name(geteuid());
        l->state.rootless = opts->rootless;
        if (l->spec->annotations.len > 0) {
                l->state.annotations = json_object_new_object();
                for (size_t i = 0; i < l->spec->annotations.len; i++)
                        json_object_object_add(l->state.annotations, l->spec->annotations.items[i].key,
                                               json_object_new_string(l->spec->annotations.items[i].value));
        }

        if (!opts->rootless) {
                const char *path = l->spec->linux != NULL ? l->spec->linux->cgroups_path : NULL;
                ret = cgroup_plan(path, opts->id, &l->state.cgroup, err);
                /* cgroup2 must exist for clone3; the rest may wait for after it (launch_cgroup). */
                if (ret == 0)
                        ret = l->cgroup_deferred ? cgroup_create_part(l->state.cgroup, true, err)
                                                 : launch_cgroup(l, err);
                if (ret < 0)
                        return ret;
        } else {
                ret = launch_plan_rootless_cgroup(l, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* Binds the socket `nook start` connects to; long paths go through the directory's fd. */
static int listen_start_socket(const char *dir, nook_err *err)
{
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return nook_error_errno(err, "socket");
        _cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return nook_error_errno(err, "open state dir `%s`", dir);
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/start.sock", dirfd);
        if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return nook_error_errno(err, "bind `%s/start.sock`", dir);
        if (listen(sock, 1) < 0)
                return nook_error_errno(err, "listen on `%s/start.sock`", dir);
        return steal_fd(&sock);
}

static int open_channels(struct launch *l, nook_err *err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return nook_error_errno(err, "socketpair");
        l->sync_fd = sv[0];
        l->child_sync_fd = sv[1];
        if (l->mode == LAUNCH_CREATE) {
                l->start_fd = listen_start_socket(l->state.dir, err);
                if (l->start_fd < 0)
                        return l->start_fd;
        }
        if (l->spec->process->terminal && l->opts->console_socket != NULL) {
                l->console_fd = socket_connect_unix(l->opts->console_socket, err);
                if (l->console_fd < 0)
                        return nook_error_wrap(err, "--console-socket");
        }
        int min = 3 + l->opts->preserve_fds;
        int *fds[] = { &l->sync_fd, &l->child_sync_fd, &l->start_fd, &l->console_fd };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                int ret = fd_move_above(fds[i], min, err);
                if (ret < 0)
                        return ret;
        }
        for (int t = 0; t < NS_TYPE_COUNT; t++) {
                int ret = fd_move_above(&l->ns_fds[t], min, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

long launch_clone(uint64_t flags, int cgroup_fd, int *pidfd, bool *into_cgroup)
{
        struct clone_args args = {
                .flags = flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)pidfd,
                .exit_signal = SIGCHLD,
        };
        *into_cgroup = cgroup_fd >= 0;
        if (*into_cgroup) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cgroup_fd;
        }
        long pid = sys_clone3(&args);
        if (pid < 0 && *into_cgroup) {
                /* A cgroup2 directory can refuse direct entry (controllers it cannot host);
                 * fall back to writing cgroup.procs, which reports the real reason. */
                args.flags &= ~CLONE_INTO_CGROUP;
                args.cgroup = 0;
                *into_cgroup = false;
                pid = sys_clone3(&args);
        }
        return pid;
}

/* Makes what remains of the cgroup and writes the limits. */
static int launch_cgroup(struct launch *l, nook_err *err)
{
        int ret = l->cgroup_deferred ? cgroup_create_part(l->state.cgroup, false, err)
                                     : cgroup_create(l->state.cgroup, err);
        log_debug("create %s: cgroup made", l->state.id);
        if (ret == 0 && l->spec->linux != NULL && l->spec->linux->resources != NULL)
                ret = cgroup_apply(l->state.cgroup, l->spec->linux->resources, err);
        return ret;
}

static int clone_init(struct launch *l, nook_err *err)
{
        int v2_fd = l->state.cgroup != NULL ? l->state.cgroup->v2_fd : -1;
        bool into_cgroup;
        if (l->state.cgroup != NULL && !l->cgroup_deferred) {
                int ret = cgroup_join_open(l->state.cgroup, &l->cgroup_join, err);
                if (ret < 0)
                        return ret;
        }
        long pid = launch_clone(l->joins_paths ? 0 : l->new_ns_flags, v2_fd, &l->pidfd, &into_cgroup);
        if (pid < 0)
                return nook_error_errno(err, "clone3 the container process");
        if (pid == 0)
                init_main(l);
        /* The init joins the v1 hierarchies itself (cgroup_join_self); cgroup2 came with clone3. */
        cgroup_join_close(&l->cgroup_join);
        l->child = l->pid = (pid_t)pid;
        close(l->child_sync_fd);
        l->child_sync_fd = -1;
        if (l->state.cgroup != NULL && !into_cgroup)
                return cgroup_enter_v2(l->state.cgroup, l->child, err);
        return 0;
}

static int write_state_json(struct launch *l, enum container_status status, char **out)
{
        json_object *o = state_to_json(&l->state, status);
        *out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return *out != NULL ? 0 : -ENOMEM;
}

int launch_run_hooks(struct launch *l, enum spec_hook_kind kind, enum container_status status, nook_err *err)
{
        if (l->spec->hooks[kind].len == 0)
                return 0;
        /* From the first hook on, a failure stops the container and runs the poststop hooks
         * (the OCI lifecycle goes on at "destroy"). */
        l->hooks_begun = true;
        _cleanup_free_ char *json = NULL;
        if (write_state_json(l, status, &json) < 0)
                return nook_error(err, ENOMEM, "hooks");
        if (kind == HOOK_START_CONTAINER)
                return spawn_run_hooks(&l->state, l->spec, kind, json, err);
        return hooks_run(l->spec, kind, json, err);
}

/* When talking to the child fails, the reason is usually the error it sent
 * before exiting: take it if it is already queued (never wait for it). */
static int child_failure(struct launch *l, int ret, nook_err *err)
{
        struct sync_msg msg;
        nook_err ignored = NULL;
        struct pollfd pfd = { .fd = l->sync_fd, .events = POLLIN };
        while (poll(&pfd, 1, 0) == 1 && sync_recv(l->sync_fd, &msg, NULL, &ignored) == 0)
                if (msg.type == SYNC_ERROR)
                        return sync_error_from_msg(&msg, err);
        nook_error_free(&ignored);
        return ret;
}

/* A new network namespace for the init (netns_by_parent): nook enters it only to
 * take an fd of it and a socket in it (to bring its `lo` up once GO is sent, while
 * the init goes on), and is back in its own before anything else happens. */
static int make_netns(int *control, nook_err *err)
{
        _cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (own < 0)
                return nook_error_errno(err, "open `/proc/self/ns/net`");
        if (unshare(CLONE_NEWNET) < 0)
                return nook_error_errno(err, "unshare the network namespace");
        _cleanup_close_ int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int ret = fd < 0 ? nook_error_errno(err, "open the new network namespace") : net_control_socket(err);
        /* (Its failure fails the create before any hook runs.) */
        if (setns(own, CLONE_NEWNET) < 0) {
                int saved = errno;
                if (ret >= 0)
                        close(ret);
                nook_error_free(err);
                return nook_error(err, saved, "return to nook's own network namespace");
        }
        if (ret < 0)
                return ret;
        *control = ret;
        return steal_fd(&fd);
}

/* linux.netDevices, into the init's network namespace once it exists (netns: the one
 * nook made, or -1) and before any hook. */
static int move_net_devices(const struct launch *l, int netns, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        if (linux_ == NULL || linux_->net_devices.len == 0)
                return 0;
        _cleanup_close_ int own = -1;
        if (netns < 0) {
                /* Our child, not yet reaped: the pid is still the init's. */
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/net", l->pid);
                netns = own = open(path, O_RDONLY | O_CLOEXEC);
                if (own < 0)
                        return nook_error_errno(err, "linux.netDevices: open `%s`", path);
        }
        for (size_t i = 0; i < linux_->net_devices.len; i++) {
                const struct spec_net_device *d = &linux_->net_devices.items[i];
                int ret = netdev_move(d->host_name, spec_net_device_name(d), netns, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.netDevices");
        }
        return 0;
}

/* Answers the init's protocol until it reports ready. */
static int handshake(struct launch *l, nook_err *err)
{
        struct sync_msg msg;
        const struct spec_process *process = l->spec->process;
        int ret = 0;
        _cleanup_close_ int netns = -1, netns_control = -1;
        /* Meanwhile the init makes its namespaces and mounts (cgroup_deferred). */
        if (l->netns_by_parent)
                ret = netns = make_netns(&netns_control, err);
        if (ret >= 0 && l->cgroup_deferred && l->state.cgroup != NULL)
                ret = launch_cgroup(l, err);
        if (ret >= 0 && process->oom_score_adj.set)
                ret = process_set_oom_score_adj(l->child, (int)process->oom_score_adj.value, err);
        if (ret >= 0 && l->joins_paths)
                ret = sync_expect(l->sync_fd, SYNC_UNSHARED, &msg, err);
        const spec_id_mappings *uids = l->new_userns ? &l->spec->linux->uid_mappings : NULL;
        const spec_id_mappings *gids = l->new_userns ? &l->spec->linux->gid_mappings : NULL;
        /* Rootful with locked mounts, the maps are the init's (below), not the outer stage's. */
        if (ret >= 0 && l->new_userns && !l->outer_in_host)
                ret = userns_write_maps(l->child, uids, gids, err);
        if (ret >= 0)
                ret = netns >= 0 ? sync_send_fd(l->sync_fd, SYNC_GO, netns, err) : sync_send(l->sync_fd, SYNC_GO, 0, err);
        /* While the init goes on; before nook reads its next message, so before any hook. */
        if (ret >= 0 && netns_control >= 0)
                ret = net_loopback_up(netns_control, err);
        if (ret < 0)
                return child_failure(l, ret, err);
        if (l->second_fork) {
                ret = sync_expect(l->sync_fd, SYNC_PID, &msg, err);
                if (ret < 0)
                        return ret;
                /* The init is our child too (CLONE_PARENT), unreaped: its pid is its own. */
                l->pid = msg.value;
                _cleanup_close_ int child_pidfd = l->pidfd;
                l->pidfd = sys_pidfd_open(l->pid, 0);
                if (l->outer_userns) {
                        /* The init waits for its maps, whoever writes them (outer.c). */
                        if (l->outer_in_host)
                                ret = userns_write_maps(l->pid, uids, gids, err);
                        if (ret == 0)
                                ret = sync_send(l->sync_fd, SYNC_GO, 0, err);
                        if (ret < 0) {
                                sys_pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
                                return child_failure(l, ret, err);
                        }
                }
                /* The outer stage's exit frees its mount namespace (an RCU grace period):
                 * reap it once the init is ready, not on the way. */
                if (!l->outer_userns) {
                        waitpid(l->child, NULL, 0);
                        l->child_reaped = true;
                }
        }
        l->state.pid = l->pid;
        ret = move_net_devices(l, netns, err);
        if (ret == 0 && l->spec->linux != NULL && l->spec->linux->intel_rdt != NULL)
                ret = resctrl_join_new(l->spec->linux->intel_rdt, l->state.id, l->pid, err);
        while (ret == 0) {
                int fd = -1;
                ret = sync_recv(l->sync_fd, &msg, &fd, err);
                if (ret == -EPIPE)
                        return nook_error(err, EPIPE, "the container process exited during set-up");
                if (ret < 0)
                        return ret;
                switch (msg.type) {
                case SYNC_HOOKS:
                        ret = launch_run_hooks(l, HOOK_PRESTART, STATUS_CREATED, err);
                        if (ret == 0)
                                ret = launch_run_hooks(l, HOOK_CREATE_RUNTIME, STATUS_CREATING, err);
                        if (ret == 0)
                                ret = sync_send(l->sync_fd, SYNC_GO, l->pid, err);
                        break;
                case SYNC_CONSOLE:
                        l->console_master = fd;
                        fd = -1;
                        break;
                case SYNC_READY:
                        if (l->outer_userns && !l->child_reaped) {
                                waitpid(l->child, NULL, 0);
                                l->child_reaped = true;
                        }
                        l->seccomp_listener = fd;
                        return 0;
                case SYNC_ERROR:
                        return sync_error_from_msg(&msg, err);
                default:
                        ret = nook_error(err, EPROTO, "unexpected message %u from the container process", msg.type);
                }
                if (fd >= 0)
                        close(fd);
        }
        return ret;
}

int launch_spawn(struct launch *l, nook_err *err)
{
        l->console_master = l->seccomp_listener = -1;
        int ret = open_channels(l, err);
        if (ret < 0)
                return ret;
        /* A root-owned, non-dumpable nook cannot be ptraced or have its exe read by the
         * container; rootless, the parent must stay dumpable to write the child's id maps. */
        if (geteuid() == 0)
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        ret = clone_init(l, err);
        log_debug("create %s: init cloned", l->state.id);
        if (ret == 0)
                ret = handshake(l, err);
        log_debug("create %s: init ready", l->state.id);
        /* A memory limit too small for the set-up shows only as a child that vanished
         * (EPIPE, ECONNRESET): the new cgroup's OOM count tells why. */
        if (ret < 0 && l->state.cgroup != NULL && cgroup_oom_kills(l->state.cgroup) > 0)
                nook_error_wrap(err, "linux.resources.memory: the OOM killer ended the container process (is the "
                                     "limit too small?)");
        if (ret == 0 && l->seccomp_listener >= 0) {
                ret = seccomp_agent_send(l->spec, &l->state, STATUS_CREATING, l->pid, l->seccomp_listener, err);
                close(l->seccomp_listener);
                l->seccomp_listener = -1;
        }
        if (ret < 0)
                return ret;
        l->state.start_time = state_process_start_time(l->pid);
        /* start, exec and delete read the config as it was at create, whatever the bundle becomes. */
        _cleanup_close_ int dirfd = open(l->state.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *config = json_object_to_json_string_ext(l->spec->json, JSON_C_TO_STRING_PLAIN);
        ret = dirfd < 0 ? nook_error_errno(err, "open state dir `%s`", l->state.dir)
                        : write_file_atomic(dirfd, "config.json", config, strlen(config), 0600, err);
        if (ret == 0)
                ret = state_save(&l->state, err);
        if (ret == 0 && l->opts->pid_file != NULL) {
                char text[32];
                int len = snprintf(text, sizeof(text), "%d", l->pid);
                ret = write_file_atomic(AT_FDCWD, l->opts->pid_file, text, (size_t)len, 0644, err);
                if (ret < 0)
                        nook_error_wrap(err, "--pid-file");
        }
        return ret;
}

/* Kills what was started, removes the cgroup and the state dir. */
void launch_abort(struct launch *l)
{
        if (l->pidfd >= 0)
                sys_pidfd_send_signal(l->pidfd, SIGKILL, NULL, 0);
        else if (l->pid > 0)
                kill(l->pid, SIGKILL);
        if (l->child > 0 && !l->child_reaped)
                waitpid(l->child, NULL, 0);
        if (l->pid > 0 && l->pid != l->child)
                waitpid(l->pid, NULL, 0);
        nook_err err = NULL;
        if (l->state.cgroup != NULL && cgroup_destroy(l->state.cgroup, &err) < 0) {
                log_warning("clean up: %s", err->msg);
                nook_error_free(&err);
        }
        /* (Past the checks, which the state dir says: the groups resctrl_check found free.) */
        const struct spec_linux *linux_ = l->spec != NULL ? l->spec->linux : NULL;
        if (l->state.dir != NULL && linux_ != NULL && linux_->intel_rdt != NULL &&
            resctrl_remove(linux_->intel_rdt, l->state.id, &err) < 0) {
                log_warning("clean up: %s", err->msg);
                nook_error_free(&err);
        }
        if (l->hooks_begun && launch_run_hooks(l, HOOK_POSTSTOP, STATUS_STOPPED, &err) < 0) {
                log_warning("%s", err->msg);
                nook_error_free(&err);
        }
        if (l->state.dir != NULL && state_remove_dir(l->state.dir, &err) < 0) {
                log_warning("clean up: %s", err->msg);
                nook_error_free(&err);
        }
}

void launch_free(struct launch *l)
{
        cgroup_join_close(&l->cgroup_join);
        int *fds[] = { &l->sync_fd, &l->child_sync_fd, &l->start_fd, &l->console_fd, &l->pidfd, &l->seccomp_listener };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        free(l->seccomp_filter);
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                if (l->ns_fds[t] >= 0)
                        close(l->ns_fds[t]);
        for (size_t i = 0; l->idmap_fds != NULL && i < l->spec->mounts.len; i++)
                if (l->idmap_fds[i] >= 0)
                        close(l->idmap_fds[i]);
        free(l->idmap_fds);
        free(l->state.id);
        free(l->state.dir);
        free(l->state.oci_version);
        free(l->state.bundle);
        free(l->state.rootfs);
        free(l->state.created);
        free(l->state.owner);
        cgroup_free(l->state.cgroup);
        json_object_put(l->state.annotations);
        spec_free(l->spec);
        free(l->bundle);
        free(l->rootfs);
}

int container_create(const struct create_options *opts, nook_err *err)
{
        struct launch l;
        int ret = launch_prepare(&l, opts, LAUNCH_CREATE, err);
        if (ret == 0)
                ret = launch_spawn(&l, err);
        if (ret < 0)
                launch_abort(&l);
        launch_free(&l);
        return ret;
}
