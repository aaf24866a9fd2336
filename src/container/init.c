/* The container init, from clone3 to execve. The order is the security:
 *   namespaces → (parent: cgroup, id maps) → root in the user namespace →
 *   mounts (host paths still reachable) → devices → hooks → pivot_root →
 *   sysctl, masks and read-only paths (the verified /proc) → terminal →
 *   process settings → the final user → the stub: exe swap, capabilities,
 *   no_new_privs, seccomp (last), ready, wait for start, execve.
 * Errors go back to the parent over the sync socket, verbatim. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/launch.h"
#include "container/process_setup.h"
#include "container/sync.h"
#include "linux/devices.h"
#include "linux/masked.h"
#include "linux/mount.h"
#include "linux/net.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The user namespace first: joining it gives the rights to join the others it owns. */
static const enum spec_namespace_type setns_order[] = { NS_USER, NS_MOUNT,  NS_PID,    NS_NETWORK,
                                                        NS_IPC,  NS_UTS,    NS_CGROUP, NS_TIME };

static int join_namespaces(struct launch *l, nook_err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(setns_order); i++) {
                enum spec_namespace_type type = setns_order[i];
                if (l->ns_fds[type] < 0)
                        continue;
                if (setns(l->ns_fds[type], spec_namespace_clone_flag(type)) < 0)
                        return nook_error_errno(err, "join %s namespace `%s`", spec_namespace_name(type),
                                                spec_namespace(l->spec, type)->path);
                close(l->ns_fds[type]);
                l->ns_fds[type] = -1;
        }
        return 0;
}

static bool has_time_offsets(const struct spec *spec)
{
        return spec->linux != NULL && (spec->linux->time_monotonic.set || spec->linux->time_boottime.set);
}

static int write_time_offsets(const struct spec_linux *linux_, nook_err *err)
{
        char text[128];
        int n = 0;
        if (linux_->time_monotonic.set)
                n += snprintf(text + n, sizeof(text) - (size_t)n, "monotonic %lld %u\n",
                              (long long)linux_->time_monotonic.secs, linux_->time_monotonic.nanosecs);
        if (linux_->time_boottime.set)
                n += snprintf(text + n, sizeof(text) - (size_t)n, "boottime %lld %u\n",
                              (long long)linux_->time_boottime.secs, linux_->time_boottime.nanosecs);
        int ret = write_file_at(AT_FDCWD, "/proc/self/timens_offsets", text, (size_t)n, err);
        return ret < 0 ? nook_error_wrap(err, "linux.timeOffsets") : 0;
}

/* Namespaces by path, then the new ones; the parent writes the id maps meanwhile. */
static int enter_namespaces(struct launch *l, nook_err *err)
{
        struct sync_msg msg;
        int ret;
        if (l->joins_paths) {
                ret = join_namespaces(l, err);
                if (ret < 0)
                        return ret;
                if (l->new_ns_flags != 0 && unshare((int)l->new_ns_flags) < 0)
                        return nook_error_errno(err, "unshare namespaces %#lx", l->new_ns_flags);
                ret = sync_send(l->child_sync_fd, SYNC_UNSHARED, 0, err);
                if (ret < 0)
                        return ret;
        }
        if (l->cgroup_deferred) {
                /* Nothing to wait for yet: nook makes the cgroup meanwhile (await_go). */
                if (l->child_unshare_flags != 0 && unshare((int)l->child_unshare_flags) < 0)
                        return nook_error_errno(err, "unshare namespaces %#lx", l->child_unshare_flags);
        } else {
                ret = sync_expect(l->child_sync_fd, SYNC_GO, &msg, err);
                if (ret < 0)
                        return ret;
        }
        /* From now on no process in the container may read our memory or our exe. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        /* In a user namespace, new or joined, the set-up runs as its root: the host's
         * ids may not be mapped there (creating a file would fail with EOVERFLOW). */
        if (spec_namespace(l->spec, NS_USER) != NULL && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return nook_error_errno(err, "become root in the user namespace (is 0 mapped?)");
        /* Outer stage: the time namespace is made here, owned by the outer user namespace,
         * and the init enters it when it is cloned (outer.c). */
        if (l->outer_time && unshare(CLONE_NEWTIME) < 0)
                return nook_error_errno(err, "unshare the time namespace");
        if (has_time_offsets(l->spec)) {
                ret = write_time_offsets(l->spec->linux, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* A pid or time namespace applies to children only: the init is a grandchild,
 * adopted by nook directly (CLONE_PARENT). */
static int fork_into_namespaces(struct launch *l, nook_err *err)
{
        long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
        if (pid < 0)
                return nook_error_errno(err, "fork into the pid namespace");
        if (pid > 0) {
                nook_err ignored = NULL;
                sync_send(l->child_sync_fd, SYNC_PID, (int32_t)pid, &ignored);
                _exit(0);
        }
        /* If nook died before this, the next read of the sync socket sees EOF and we exit. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        return 0;
}

static int set_names(const struct spec *spec, nook_err *err)
{
        if (spec->hostname != NULL && spec->hostname[0] != '\0' &&
            sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return nook_error_errno(err, "hostname: set \"%s\"", spec->hostname);
        if (spec->domainname != NULL && spec->domainname[0] != '\0' &&
            setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                return nook_error_errno(err, "domainname: set \"%s\"", spec->domainname);
        return 0;
}

/* A session keyring of its own, so the container does not share the caller's keys. */
static int join_session_keyring(const char *id, nook_err *err)
{
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, id) >= 0)
                return 0;
        /* No keyrings in this kernel, or a user namespace without a key quota: nothing to isolate. */
        if (errno == ENOSYS || errno == EDQUOT || errno == EPERM || errno == EACCES)
                return 0;
        return nook_error_errno(err, "join a session keyring");
}

/* cgroup_deferred: waits for GO (nook made the cgroup, and the network namespace
 * that comes with it), joins them and makes the cgroup namespace — before a sysfs
 * or cgroup mount (they show the namespaces of their mounter), and before any
 * user code. */
static int await_go(struct launch *l, nook_err *err)
{
        if (!l->cgroup_deferred || l->cgroup_joined)
                return 0;
        struct sync_msg msg;
        _cleanup_close_ int netns = -1;
        int ret = sync_recv(l->child_sync_fd, &msg, &netns, err);
        if (ret == 0 && msg.type != SYNC_GO)
                ret = nook_error(err, EPROTO, "unexpected message %u from nook", msg.type);
        if (ret == 0 && l->netns_by_parent && (netns < 0 || setns(netns, CLONE_NEWNET) < 0))
                ret = nook_error_errno(err, "enter the network namespace");
        if (ret == 0 && l->state.cgroup != NULL)
                ret = cgroup_join_open(l->state.cgroup, &l->cgroup_join, err);
        if (ret == 0)
                ret = cgroup_join_self(&l->cgroup_join, err);
        if (ret == 0 && l->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                ret = nook_error_errno(err, "unshare the cgroup namespace");
        l->cgroup_joined = ret == 0;
        return ret;
}

static int mount_all(struct launch *l, int rootfd, nook_err *err)
{
        const struct spec *spec = l->spec;
        struct rootfs_context ctx = {
                .rootfd = rootfd,
                .in_userns = l->in_userns,
                .cgroup = l->state.cgroup,
                .has_cgroupns = spec_namespace(spec, NS_CGROUP) != NULL,
                .uid_map = l->outer_in_host ? &spec->linux->uid_mappings : NULL,
                .gid_map = l->outer_in_host ? &spec->linux->gid_mappings : NULL,
        };
        for (size_t i = 0; i < spec->mounts.len; i++) {
                int idmap_fd = l->idmap_fds != NULL ? l->idmap_fds[i] : -1;
                const char *type = spec->mounts.items[i].type;
                if (type != NULL && (strncmp(type, "cgroup", 6) == 0 || strcmp(type, "sysfs") == 0)) {
                        int ret = await_go(l, err);
                        if (ret < 0)
                                return ret;
                }
                int ret = rootfs_mount(&ctx, &spec->mounts.items[i], idmap_fd, err);
                if (ret < 0)
                        return nook_error_wrap(err, "mounts[%zu]", i);
        }
        const struct spec_device *devices = spec->linux != NULL ? spec->linux->devices.items : NULL;
        size_t n_devices = spec->linux != NULL ? spec->linux->devices.len : 0;
        if (rootfs_needs_dev(spec)) {
                int ret = devices_create(rootfd, devices, n_devices, l->in_userns, err);
                if (ret == 0)
                        ret = devices_create_symlinks(rootfd, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.devices");
        } else if (n_devices > 0) {
                int ret = devices_create(rootfd, devices, n_devices, l->in_userns, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.devices");
        }
        return await_go(l, err);
}

/* prestart and createRuntime hooks run in the parent while we wait here; then
 * createContainer hooks run here, in the container's namespaces, before pivot_root. */
static int hooks_point(struct launch *l, nook_err *err)
{
        const spec_hooks *hooks = l->spec->hooks;
        if (hooks[HOOK_PRESTART].len == 0 && hooks[HOOK_CREATE_RUNTIME].len == 0 &&
            hooks[HOOK_CREATE_CONTAINER].len == 0)
                return 0;
        int ret = sync_send(l->child_sync_fd, SYNC_HOOKS, 0, err);
        if (ret < 0)
                return ret;
        struct sync_msg msg;
        ret = sync_expect(l->child_sync_fd, SYNC_GO, &msg, err);
        if (ret < 0)
                return ret;
        /* The parent tells the init's pid as the host sees it, for the state the hooks read. */
        l->state.pid = msg.value;
        return launch_run_hooks(l, HOOK_CREATE_CONTAINER, STATUS_CREATING, err);
}

/* sysctls, masks and read-only paths, resolved inside rootfd (before pivot_root,
 * while nook's own /dev/null is still in this mount namespace). */
static int protect_paths(const struct spec_linux *linux_, int rootfd, nook_err *err)
{
        if (linux_ == NULL)
                return 0;
        if (linux_->sysctl.len > 0) {
                _cleanup_close_ int procfd = process_open_procfs(rootfd, err);
                if (procfd < 0)
                        return nook_error_wrap(err, "linux.sysctl");
                for (size_t i = 0; i < linux_->sysctl.len; i++) {
                        int ret = process_write_sysctl(procfd, linux_->sysctl.items[i].key,
                                                       linux_->sysctl.items[i].value, err);
                        if (ret < 0)
                                return nook_error_wrap(err, "linux.sysctl");
                }
        }
        if (linux_->masked_paths.len > 0) {
                _cleanup_close_ int null_fd = masked_open_null(err);
                int ret = null_fd < 0 ? null_fd : masked_apply(rootfd, &linux_->masked_paths, null_fd, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.maskedPaths");
        }
        int ret = readonly_apply(rootfd, &linux_->readonly_paths, err);
        if (ret < 0)
                return nook_error_wrap(err, "linux.readonlyPaths");
        return 0;
}

int init_prepare_rootfs(struct launch *l, int *rootfd, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        const char *propagation = linux_ != NULL ? linux_->rootfs_propagation : NULL;
        int ret = rootfs_prepare(l->rootfs, propagation, rootfd, err);
        if (ret == 0)
                ret = mount_all(l, *rootfd, err);
        if (ret == 0)
                ret = protect_paths(linux_, *rootfd, err);
        return ret;
}

/* The init of a container with locked mounts: its own mount namespace is made now,
 * a copy of the one the helper prepared (outer.c), and the rootfs is entered
 * through the fd the helper passed (the cwd moves into the copy with us). */
static int enter_prepared_rootfs(struct launch *l, nook_err *err)
{
        const struct spec *spec = l->spec;
        const char *propagation = spec->linux != NULL ? spec->linux->rootfs_propagation : NULL;
        if (fchdir(l->outer_rootfd) < 0)
                return nook_error_errno(err, "chdir to the prepared rootfs");
        close(l->outer_rootfd);
        l->outer_rootfd = -1;
        if (unshare(CLONE_NEWNS) < 0)
                return nook_error_errno(err, "unshare the mount namespace");
        if (l->outer_pivot) {
                /* The helper pivoted: our root is the rootfs already. */
                if (chdir("/") < 0)
                        return nook_error_errno(err, "chdir `/`");
                return rootfs_finish_propagation(propagation, err);
        }
        _cleanup_close_ int rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return nook_error_errno(err, "open the rootfs");
        if (!l->opts->no_pivot) {
                /* pivot_root refuses a locked new root: bind the tree onto itself (a bind's
                 * top mount is not locked; everything below it stays locked). */
                int top = mount_bind(rootfd, NULL, true, NULL, NULL, rootfd, err);
                if (top < 0)
                        return nook_error_wrap(err, "rebind the rootfs");
                close(rootfd);
                rootfd = top;
        }
        /* Hooks run from the bundle, as without locked mounts. */
        if (chdir(l->bundle) < 0)
                return nook_error_errno(err, "chdir to the bundle `%s`", l->bundle);
        int ret = hooks_point(l, err);
        if (ret == 0 && l->opts->no_pivot && fchdir(rootfd) < 0)
                ret = nook_error_errno(err, "chdir to the rootfs");
        if (ret == 0 && l->opts->no_pivot && chroot(".") < 0)
                ret = nook_error_errno(err, "chroot into the rootfs");
        else if (ret == 0 && !l->opts->no_pivot)
                ret = rootfs_pivot(rootfd, false, err);
        if (ret == 0 && l->opts->no_pivot && chdir("/") < 0)
                ret = nook_error_errno(err, "chdir `/`");
        if (ret == 0)
                ret = rootfs_finish_propagation(propagation, err);
        if (ret == 0 && spec->root_readonly && outer_has_early_hooks(spec)) {
                ret = rootfs_make_readonly(-1, err);
                if (ret < 0)
                        nook_error_wrap(err, "root.readonly");
        }
        return ret;
}

static int setup_filesystem(struct launch *l, nook_err *err)
{
        const struct spec *spec = l->spec;
        const struct spec_linux *linux_ = spec->linux;
        const char *propagation = linux_ != NULL ? linux_->rootfs_propagation : NULL;
        const struct spec_namespace *mntns = spec_namespace(spec, NS_MOUNT);
        _cleanup_close_ int rootfd = -1;
        int ret;
        if (l->outer_userns)
                return enter_prepared_rootfs(l, err);
        if (mntns != NULL && mntns->path == NULL) {
                ret = init_prepare_rootfs(l, &rootfd, err);
                if (ret == 0)
                        ret = hooks_point(l, err);
                if (ret == 0)
                        ret = rootfs_pivot(rootfd, l->opts->no_pivot, err);
                if (ret == 0)
                        ret = rootfs_finish_propagation(propagation, err);
        } else {
                /* No mount namespace of its own: the rootfs is only a chroot (the cgroup is
                 * joined first, while the host's cgroup files are in sight). */
                ret = await_go(l, err);
                rootfd = ret < 0 ? -1 : open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (ret == 0)
                        ret = rootfd < 0 ? nook_error_errno(err, "open rootfs `%s`", l->rootfs)
                                         : protect_paths(linux_, rootfd, err);
                if (ret == 0 && (chroot(l->rootfs) < 0 || chdir("/") < 0))
                        ret = nook_error_errno(err, "chroot `%s`", l->rootfs);
        }
        if (ret == 0) {
                /* A missing cwd is made while "/" is still writable. */
                _cleanup_close_ int cwd = open_in_root(rootfd, spec->process->cwd, O_PATH | O_DIRECTORY,
                                                       CREATE_DIR, err);
                ret = cwd < 0 ? nook_error_wrap(err, "process.cwd") : 0;
        }
        if (ret == 0 && spec->root_readonly) {
                ret = rootfs_make_readonly(-1, err);
                if (ret < 0)
                        nook_error_wrap(err, "root.readonly");
        }
        return ret;
}

/* A pty inside the container; its master goes to --console-socket, or to nook run. */
static int setup_terminal(struct launch *l, nook_err *err)
{
        const struct spec_process *process = l->spec->process;
        if (!process->terminal)
                return 0;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int master = -1, slave = -1;
        int ret = terminal_open_pty(root, &master, &slave, err);
        if (ret == 0 && process->has_console_size)
                ret = terminal_set_size(slave, process->console_height, process->console_width, err);
        if (ret == 0)
                ret = terminal_bind_console(root, slave, err);
        if (ret == 0)
                ret = l->console_fd >= 0 ? terminal_send_fd(l->console_fd, master, "/dev/console", err)
                                         : sync_send_fd(l->child_sync_fd, SYNC_CONSOLE, master, err);
        if (ret == 0)
                ret = terminal_make_controlling(slave, err);
        if (l->console_fd >= 0) {
                close(l->console_fd);
                l->console_fd = -1;
        }
        return ret;
}

static int init_run(struct launch *l, nook_err *err)
{
        const struct spec *spec = l->spec;
        const struct spec_process *process = spec->process;
        /* Die with nook; had it died already, the first read of the sync socket ends us. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

        /* First of all, so that every later step runs inside the container's cgroup. */
        int ret = cgroup_join_self(&l->cgroup_join, err);
        if (ret == 0)
                ret = enter_namespaces(l, err);
        /* With an outer stage, what the exe swap needs is read before the init is cloned
         * (its memory is a copy of ours), while /proc is still the host's. */
        struct stub_exe exe;
        if (ret == 0 && l->protect_exe && l->outer_userns) {
                ret = stub_exe_capture(&exe, err);
                if (ret < 0)
                        return nook_error_wrap(err, "protect nook's binary");
        }
        if (ret == 0 && l->outer_userns)
                ret = outer_start_init(l, err);
        else if (ret == 0 && l->second_fork)
                ret = fork_into_namespaces(l, err);
        if (ret == 0 && l->new_cgroupns && !l->outer_userns && !l->cgroup_deferred && unshare(CLONE_NEWCGROUP) < 0)
                ret = nook_error_errno(err, "unshare the cgroup namespace");
        if (ret != 0)
                return ret; /* > 0: the outer stage, its work done */
        /* A network namespace of its own that nook did not make (netns_by_parent): `lo` up,
         * before any hook. */
        const struct spec_namespace *netns = spec_namespace(spec, NS_NETWORK);
        if (netns != NULL && netns->path == NULL && !l->netns_by_parent && (ret = net_loopback_up(-1, err)) < 0)
                return ret;
        /* Its own session, as runc gives the container: signals to nook's caller's process group
         * (a terminal's ^C, conmon's kill of its group on --timeout) are not the container's. */
        if (setsid() < 0)
                return nook_error_errno(err, "setsid");
        /* (The bundle is out of sight once the outer stage's helper has pivoted.) */
        if (!l->outer_pivot && chdir(l->bundle) < 0)
                return nook_error_errno(err, "chdir to the bundle `%s`", l->bundle);
        ret = set_names(spec, err);
        if (ret == 0 && !l->opts->no_new_keyring)
                ret = join_session_keyring(l->state.id, err);
        if (ret == 0)
                ret = process_set_rlimits(process, err);
        if (ret < 0)
                return ret;

        if (l->protect_exe && !l->outer_userns) {
                ret = stub_exe_capture(&exe, err);
                if (ret < 0)
                        return nook_error_wrap(err, "protect nook's binary");
        }
        ret = setup_filesystem(l, err);
        if (ret == 0)
                ret = await_go(l, err);
        if (ret == 0)
                ret = setup_terminal(l, err);
        if (ret == 0)
                ret = process_setup_attributes(spec->linux, process, err);
        if (ret < 0)
                return ret;

        struct process_final final = {
                .process = process,
                .exe = l->protect_exe ? &exe : NULL,
                .ctty_fd = -1,
                .filter = l->seccomp_filter,
                .filter_len = l->seccomp_len,
                .seccomp_flags = l->seccomp_flags,
                .sync_fd = l->child_sync_fd,
                .wait_fd = l->mode == LAUNCH_CREATE ? l->start_fd : l->child_sync_fd,
                .wait_accept = l->mode == LAUNCH_CREATE,
                .preserve_fds = l->opts->preserve_fds,
        };
        return process_finish(&final, err);
}

void init_main(struct launch *l)
{
        nook_err err = NULL;
        int ret = init_run(l, &err);
        if (err != NULL)
                sync_send_error(l->child_sync_fd, err);
        _exit(ret > 0 ? 0 : 1);
}
