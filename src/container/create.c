/* nook's side of a start: clone3 the first child, answer the messages its plan
 * says, in that order (launch.h draws them), save the state, and undo all of it
 * on any failure. */
#define _GNU_SOURCE
#include "container/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/hooks_at.h"
#include "container/seccomp_agent.h"
#include "container/systemd_scope.h"
#include "linux/clone.h"
#include "linux/net.h"
#include "linux/netdev.h"
#include "linux/process.h"
#include "linux/resctrl.h"
#include "linux/syscalls.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/socket.h"

#define PEER "the container process"

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
        /* HELLO's sender is the init: its credentials say its pid. */
        if (l->plan.layout == LAYOUT_FORK || l->plan.layout == LAYOUT_OUTER) {
                int ret = sync_want_credentials(l->sync_fd, err);
                if (ret < 0)
                        return ret;
        }
        if (l->plan.mode == LAUNCH_CREATE) {
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

static int clone_first(struct launch *l, nook_err *err)
{
        struct cgroup *cg = l->state.cgroup;
        int v2_fd = cg != NULL ? cg->v2_fd : -1;
        /* The v1 hierarchies: the child joins them itself, first thing (PARALLEL: once
         * nook has made them, with ENVIRONMENT). */
        if (cg != NULL && l->plan.layout != LAYOUT_PARALLEL) {
                int ret = cgroup_join_open(cg, &l->cgroup_join, err);
                if (ret < 0)
                        return ret;
        }
        bool into_cgroup;
        long pid = clone_process(l->plan.setns_first ? 0 : l->plan.clone_flags, v2_fd, &l->first_pidfd, &into_cgroup);
        if (pid < 0)
                return nook_error_errno(err, "clone3 the container process");
        if (pid == 0)
                stage_init_main(l);
        cgroup_join_close(&l->cgroup_join);
        l->first = (pid_t)pid;
        if (l->plan.layout == LAYOUT_PARALLEL || l->plan.layout == LAYOUT_SINGLE) {
                /* The clone3 child is the init. */
                l->state.pid = l->pid = l->first;
                l->pidfd = steal_fd(&l->first_pidfd);
        }
        close(l->child_sync_fd);
        l->child_sync_fd = -1;
        if (cg != NULL && !into_cgroup)
                return cgroup_enter_v2(cg, l->first, err);
        return 0;
}

int launch_run_hooks(struct launch *l, enum spec_hook_kind kind, enum container_status status, nook_err *err)
{
        /* From the first hook on, a failure stops the container and runs the poststop hooks
         * (the OCI lifecycle goes on at "destroy"). */
        if (l->spec->hooks[kind].len > 0)
                l->hooks_begun = true;
        return hooks_run_at(kind, &l->state, l->spec, status, err);
}

/* When talking to the child fails, the reason is usually the error it sent
 * before exiting: take it if it is already queued (never wait for it). */
static int child_failure(struct launch *l, int ret, nook_err *err)
{
        struct sync_in in;
        nook_err ignored = NULL;
        struct pollfd pfd = { .fd = l->sync_fd, .events = POLLIN };
        while (poll(&pfd, 1, 0) == 1 && sync_recv(l->sync_fd, &in, &ignored) == 0) {
                if (in.fd >= 0)
                        close(in.fd);
                if (in.msg.type == SYNC_ERROR)
                        return sync_error_from_msg(&in.msg, err);
        }
        nook_error_free(&ignored);
        return ret;
}

/* PARALLEL: a new network namespace for the init, made while it mounts. nook
 * enters it only to take an fd of it and a socket in it (to bring its lo up
 * once ENVIRONMENT is sent), and is back in its own before anything else. */
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

/* linux.netDevices and linux.intelRdt, once the init and its network namespace
 * exist, before it asks for any hook. */
static int settle_init(struct launch *l, int netns, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        if (linux_ == NULL)
                return 0;
        _cleanup_close_ int own = -1;
        if (linux_->net_devices.len > 0 && netns < 0) {
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
        if (linux_->intel_rdt != NULL)
                return resctrl_join_new(linux_->intel_rdt, l->state.id, l->pid, err);
        return 0;
}

/* What nook sets up around the child that needs nothing from it: on the
 * parallel path while the init mounts. */
static int prepare_environment(struct launch *l, int *netns, int *netns_control, nook_err *err)
{
        int ret = 0;
        if (l->plan.netns_by_parent && (*netns = make_netns(netns_control, err)) < 0)
                return *netns;
        if (l->plan.cgroup_by_systemd) {
                ret = scope_start(&l->unit, l->spec, &l->state, l->first, err);
                /* Not when systemd was never reached, nor when the unit was another's already. */
                l->unit_may_exist = ret != -ENOTCONN && ret != -EEXIST;
        }
        else if (l->plan.layout == LAYOUT_PARALLEL && l->state.cgroup != NULL)
                ret = launch_make_cgroup(l, err);
        const struct spec_process *process = l->spec->process;
        if (ret == 0 && process->oom_score_adj.set)
                ret = process_set_oom_score_adj(l->first, (int)process->oom_score_adj.value, err);
        return ret;
}

static const spec_id_mappings *uid_map(const struct launch *l)
{
        return &l->spec->linux->uid_mappings;
}

static const spec_id_mappings *gid_map(const struct launch *l)
{
        return &l->spec->linux->gid_mappings;
}

/* A message of the plan from the child, and what nook does with it. */
static int receive_step(struct launch *l, enum sync_type type, nook_err *err)
{
        struct sync_in in;
        int ret = sync_expect(l->sync_fd, type, PEER, &in, err);
        if (ret < 0)
                return ret;
        switch (type) {
        case SYNC_HELLO:
                /* Our child too (CLONE_PARENT), unreaped: its pid stays its own. */
                l->state.pid = l->pid = in.sender;
                l->pidfd = sys_pidfd_open(l->pid, 0);
                if (l->pid <= 0 || l->pidfd < 0)
                        return nook_error_errno(err, "pidfd_open the container's init (%d)", l->pid);
                if (l->plan.layout == LAYOUT_FORK) {
                        /* It exits right after the fork, without another word. */
                        waitpid(l->first, NULL, 0);
                        l->first_reaped = true;
                }
                return 0;
        case SYNC_HOOKS:
                ret = launch_run_hooks(l, HOOK_PRESTART, STATUS_CREATED, err);
                if (ret == 0)
                        ret = launch_run_hooks(l, HOOK_CREATE_RUNTIME, STATUS_CREATING, err);
                return ret;
        case SYNC_CONSOLE:
                l->console_master = in.fd;
                return 0;
        case SYNC_READY:
                l->seccomp_listener = in.fd;
                /* OUTER: its exit frees its mount namespace (an RCU grace period), so it is
                 * reaped once the init is ready, not on the way. */
                if (l->plan.layout == LAYOUT_OUTER && !l->first_reaped) {
                        waitpid(l->first, NULL, 0);
                        l->first_reaped = true;
                }
                return 0;
        default:
                if (in.fd >= 0)
                        close(in.fd);
                return 0;
        }
}

/* A message of the plan to the child, once what it announces is done. */
static int send_step(struct launch *l, enum sync_type type, int netns, nook_err *err)
{
        int ret = 0;
        switch (type) {
        case SYNC_ENVIRONMENT:
                if (l->plan.first_maps_by_parent)
                        ret = userns_write_maps(l->first, uid_map(l), gid_map(l), err);
                if (ret == 0)
                        ret = netns >= 0 ? sync_send_fd(l->sync_fd, type, netns, err) : sync_send(l->sync_fd, type, 0, err);
                return ret;
        case SYNC_MAPPED:
                ret = userns_write_maps(l->pid, uid_map(l), gid_map(l), err);
                return ret < 0 ? ret : sync_send(l->sync_fd, type, 0, err);
        case SYNC_HOOKS_DONE:
                return sync_send(l->sync_fd, type, l->pid, err);
        default:
                return sync_send(l->sync_fd, type, 0, err);
        }
}

/* Answers the child's protocol, step by step as the plan says, until READY. */
static int handshake(struct launch *l, nook_err *err)
{
        struct launch_step steps[LAUNCH_MAX_STEPS];
        size_t n = launch_plan_steps(&l->plan, steps);
        _cleanup_close_ int netns = -1, netns_control = -1;
        int ret = prepare_environment(l, &netns, &netns_control, err);
        bool settled = false;
        /* The last step, START or COMMITTED, waits for the state (launch_release). */
        for (size_t i = 0; ret == 0 && i + 1 < n; i++) {
                enum sync_type type = steps[i].type;
                /* Before the init's own set-up steps: it and its namespaces exist. */
                if (!settled && (type == SYNC_HOOKS || type == SYNC_CONSOLE || type == SYNC_READY)) {
                        settled = true;
                        ret = settle_init(l, netns, err);
                        if (ret < 0)
                                break;
                }
                /* Nothing left for nook to do but wait: the state is staged meanwhile (its pid is known). */
                if (type == SYNC_READY && (ret = launch_stage_state(l, err)) < 0)
                        return ret;
                ret = steps[i].from_child ? receive_step(l, type, err) : send_step(l, type, netns, err);
                /* While the init goes on, and before nook reads its next message: before any hook. */
                if (ret == 0 && type == SYNC_ENVIRONMENT && netns_control >= 0)
                        ret = net_loopback_up(netns_control, err);
        }
        return ret < 0 ? child_failure(l, ret, err) : 0;
}

int launch_spawn(struct launch *l, nook_err *err)
{
        int ret = open_channels(l, err);
        if (ret < 0)
                return ret;
        /* A root-owned, non-dumpable nook cannot be ptraced or have its exe read by the
         * container; rootless, the parent must stay dumpable to write the child's id maps. */
        if (geteuid() == 0)
                (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        ret = clone_first(l, err);
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
        return launch_commit_state(l, err);
}

int launch_stage_state(struct launch *l, nook_err *err)
{
        l->state.start_time = state_process_start_time(l->pid);
        /* start, exec and delete read the config as it was at create, whatever the bundle becomes. */
        _cleanup_close_ int dirfd = open(l->state.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *config = json_object_to_json_string_ext(l->spec->json, JSON_C_TO_STRING_PLAIN);
        int ret = dirfd < 0 ? nook_error_errno(err, "open state dir `%s`", l->state.dir)
                            : write_file_atomic(dirfd, "config.json", config, strlen(config), 0600, err);
        return ret < 0 ? ret : state_stage(&l->state, err);
}

int launch_save_state(struct launch *l, nook_err *err)
{
        int ret = launch_stage_state(l, err);
        return ret < 0 ? ret : launch_commit_state(l, err);
}

int launch_commit_state(struct launch *l, nook_err *err)
{
        int ret = state_commit(&l->state, err);
        if (ret == 0 && l->opts->pid_file != NULL) {
                char text[32];
                int len = snprintf(text, sizeof(text), "%d", l->pid);
                ret = write_file_atomic(AT_FDCWD, l->opts->pid_file, text, (size_t)len, 0644, err);
                if (ret < 0)
                        nook_error_wrap(err, "--pid-file");
        }
        return ret;
}

int launch_release(struct launch *l, nook_err *err)
{
        struct launch_step steps[LAUNCH_MAX_STEPS];
        size_t n = launch_plan_steps(&l->plan, steps);
        /* ▶ START (run) or COMMITTED (create): an init that never gets it (nook killed
         * before its state was saved) reads EOF and exits on its own. */
        return sync_send(l->sync_fd, steps[n - 1].type, 0, err);
}

/* Kills what was started, removes the cgroup and the state dir. */
void launch_abort(struct launch *l)
{
        if (l->pidfd >= 0)
                sys_pidfd_send_signal(l->pidfd, SIGKILL, NULL, 0);
        if (l->first_pidfd >= 0)
                sys_pidfd_send_signal(l->first_pidfd, SIGKILL, NULL, 0);
        if (l->first > 0 && !l->first_reaped)
                waitpid(l->first, NULL, 0);
        if (l->pid > 0 && l->pid != l->first)
                waitpid(l->pid, NULL, 0);
        nook_err err = NULL;
        if (l->state.cgroup != NULL && cgroup_destroy(l->state.cgroup, &err) < 0) {
                log_warning("clean up: %s", err->msg);
                nook_error_free(&err);
        }
        /* (Whether it started or not: a job that timed out may still make it.) */
        if (l->unit_may_exist && scope_stop(&l->state, &err) < 0) {
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
        int *fds[] = { &l->sync_fd,        &l->child_sync_fd, &l->start_fd,       &l->console_fd,
                       &l->first_pidfd,    &l->pidfd,         &l->seccomp_listener };
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
        state_clear(&l->state);
        systemd_unit_free(&l->unit);
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
        if (ret == 0)
                ret = launch_release(&l, err);
        if (ret < 0)
                launch_abort(&l);
        launch_free(&l);
        return ret;
}
