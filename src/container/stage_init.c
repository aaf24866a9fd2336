/* The clone3 child and the container init, from clone3 to execve. The order is
 * the security:
 *   namespaces → (nook: cgroup, id maps) → root in the user namespace →
 *   (FORK: the init is forked; OUTER: the outer stage clones it) → mounts (host
 *   paths still reachable) → devices → hooks → pivot_root → sysctl, masks and
 *   read-only paths (the verified /proc) → terminal → process settings → LSM
 *   labels (through nook's own procfs) → the final user → the stub: exe swap,
 *   capabilities, no_new_privs, seccomp (last), READY, nook's last word, execve.
 * The messages (▶ sent, ◀ awaited) are those of launch_plan_steps; errors go
 * back to nook over the sync socket, verbatim. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/hooks_at.h"
#include "container/launch.h"
#include "container/process_setup.h"
#include "linux/lsm.h"
#include "linux/mount.h"
#include "linux/net.h"
#include "linux/process.h"
#include "linux/rootfs.h"
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

/* The clone3 child's namespaces: joined by path, then the new ones; nook writes
 * the id maps meanwhile (ENVIRONMENT says when). */
static int enter_namespaces(struct launch *l, nook_err *err)
{
        const struct launch_plan *plan = &l->plan;
        int ret;
        if (plan->setns_first) {
                ret = join_namespaces(l, err);
                if (ret < 0)
                        return ret;
                if (plan->unshare_flags != 0 && unshare((int)plan->unshare_flags) < 0)
                        return nook_error_errno(err, "unshare namespaces %#lx", plan->unshare_flags);
                /* ▶ JOINED */
                ret = sync_send(l->child_sync_fd, SYNC_JOINED, 0, err);
                if (ret < 0)
                        return ret;
        }
        if (plan->layout == LAYOUT_PARALLEL) {
                /* Nothing to wait for yet: nook makes the cgroup meanwhile (stage_environment.c). */
                if (plan->unshare_flags != 0 && unshare((int)plan->unshare_flags) < 0)
                        return nook_error_errno(err, "unshare namespaces %#lx", plan->unshare_flags);
        } else {
                /* ◀ ENVIRONMENT */
                struct sync_in in;
                ret = sync_expect(l->child_sync_fd, SYNC_ENVIRONMENT, "nook", &in, err);
                if (ret < 0)
                        return ret;
        }
        /* From now on no process in the container may read our memory or our exe. */
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        /* In a user namespace, new or joined, the set-up runs as its root: the host's
         * ids may not be mapped there (creating a file would fail with EOVERFLOW). */
        if (spec_namespace(l->spec, NS_USER) != NULL && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return nook_error_errno(err, "become root in the user namespace (is 0 mapped?)");
        /* The outer stage makes the time namespace, owned by the outer user namespace;
         * the init enters it when it is cloned (stage_outer.c). */
        if (plan->outer_time && unshare(CLONE_NEWTIME) < 0)
                return nook_error_errno(err, "unshare the time namespace");
        if (plan->time_offsets)
                return write_time_offsets(l->spec->linux, err);
        return 0;
}

/* FORK: a pid or time namespace holds only children. The init is forked as
 * nook's child (CLONE_PARENT); this process exits without another word. */
static int fork_init(struct launch *l, nook_err *err)
{
        long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
        if (pid < 0)
                return nook_error_errno(err, "fork into the pid namespace");
        if (pid > 0)
                _exit(0);
        /* If nook died before this, the next read of the sync socket sees EOF and we exit. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* ▶ HELLO: nook reads our pid off its credentials. */
        return sync_send(l->child_sync_fd, SYNC_HELLO, 0, err);
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

/* A session keyring of its own, so the container does not share the caller's keys;
 * under SELinux it gets the process's label, as runc and crun give it. */
static int join_session_keyring(const char *id, const struct lsm_labels *labels, int lsm_procfd, nook_err *err)
{
        int ret = lsm_set_keycreate(lsm_procfd, labels, false, err);
        if (ret < 0)
                return ret;
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, id) < 0 &&
            /* No keyrings in this kernel, or a user namespace without a key quota: nothing to isolate. */
            errno != ENOSYS && errno != EDQUOT && errno != EPERM && errno != EACCES)
                return nook_error_errno(err, "join a session keyring");
        return lsm_set_keycreate(lsm_procfd, labels, true, err);
}

/* The mounts are made: nook runs the prestart and createRuntime hooks while we
 * wait, then the createContainer hooks run here, in the container's namespaces,
 * before pivot_root. */
static int hooks_point(struct launch *l, nook_err *err)
{
        if (!l->plan.hooks_request)
                return 0;
        /* ▶ HOOKS */
        int ret = sync_send(l->child_sync_fd, SYNC_HOOKS, 0, err);
        if (ret < 0)
                return ret;
        /* ◀ HOOKS_DONE, with the init's pid as the host sees it, for the state the hooks read. */
        struct sync_in in;
        ret = sync_expect(l->child_sync_fd, SYNC_HOOKS_DONE, "nook", &in, err);
        if (ret < 0)
                return ret;
        l->state.pid = in.msg.value;
        return hooks_run_at(HOOK_CREATE_CONTAINER, &l->state, l->spec, STATUS_CREATING, err);
}

/* OUTER: the init's own mount namespace is made now, a copy of the one the
 * helper prepared (stage_outer.c), and the rootfs is entered through the fd the
 * helper passed (the cwd moves into the copy with us). */
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
        if (l->plan.outer_pivot) {
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
        if (ret == 0 && l->opts->no_pivot && (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0))
                ret = nook_error_errno(err, "chroot into the rootfs");
        else if (ret == 0 && !l->opts->no_pivot)
                ret = rootfs_pivot(rootfd, false, err);
        if (ret == 0)
                ret = rootfs_finish_propagation(propagation, err);
        /* (Without early hooks the helper made it read-only, and it is locked so.) */
        if (ret == 0 && spec->root_readonly && l->plan.hooks_request) {
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
        _cleanup_close_ int rootfd = -1;
        if (l->plan.layout == LAYOUT_OUTER)
                return enter_prepared_rootfs(l, err);
        const struct spec_namespace *mntns = spec_namespace(spec, NS_MOUNT);
        if (mntns != NULL && mntns->path == NULL) {
                int ret = rootfs_setup_mounts(l, &rootfd, err);
                if (ret == 0)
                        ret = hooks_point(l, err);
                if (ret == 0)
                        ret = rootfs_setup_finish(l, rootfd, false, err);
                if (ret == 0)
                        ret = rootfs_pivot(rootfd, l->opts->no_pivot, err);
                if (ret == 0)
                        ret = rootfs_finish_propagation(propagation, err);
                return ret;
        }
        /* No mount namespace of its own: the rootfs is only a chroot (the cgroup is
         * joined first, while the host's cgroup files are in sight). */
        int ret = stage_init_await_environment(l, err);
        if (ret < 0)
                return ret;
        rootfd = open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return nook_error_errno(err, "open rootfs `%s`", l->rootfs);
        ret = rootfs_setup_protect_paths(l, rootfd, err);
        if (ret == 0 && (chroot(l->rootfs) < 0 || chdir("/") < 0))
                ret = nook_error_errno(err, "chroot `%s`", l->rootfs);
        if (ret == 0)
                ret = rootfs_setup_finish(l, rootfd, false, err);
        return ret;
}

/* A pty inside the container; its master goes to --console-socket, or to nook. */
static int setup_terminal(struct launch *l, nook_err *err)
{
        const struct spec_process *process = l->spec->process;
        if (!process->terminal)
                return 0;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int master = -1, slave = -1;
        int ret = terminal_open_pty(root, process->user.uid, &master, &slave, err);
        if (ret == 0 && process->has_console_size)
                ret = terminal_set_size(slave, process->console_height, process->console_width, err);
        if (ret == 0)
                ret = terminal_bind_console(root, slave, err);
        /* ▶ CONSOLE (when nook relays the terminal) */
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
        const struct launch_plan *plan = &l->plan;
        /* Die with nook; had it died already, the first read of the sync socket ends us. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

        /* First of all, so that every later step runs inside the container's cgroup. */
        int ret = cgroup_join_self(&l->cgroup_join, err);
        /* The procfs the LSM labels are written through: nook's own, opened while it is
         * in reach (before a namespace is joined or the root changes) and kept; the
         * container's /proc may be anything its image or config put there. */
        struct lsm_labels labels = lsm_labels_of(process, NULL);
        _cleanup_close_ int lsm_procfd = -1;
        if (ret == 0 && lsm_has_process_labels(&labels) && (lsm_procfd = lsm_open_procfs(err)) < 0)
                return nook_error_wrap(err, "the LSM labels");
        if (ret == 0)
                ret = enter_namespaces(l, err);
        /* OUTER: what the exe swap needs is read before the init is cloned (its memory is
         * a copy of ours), while /proc is still the host's. */
        struct stub_exe exe;
        if (ret == 0 && l->protect_exe && plan->layout == LAYOUT_OUTER) {
                ret = stub_exe_capture(&exe, err);
                if (ret < 0)
                        return nook_error_wrap(err, "protect nook's binary");
        }
        if (ret == 0 && plan->layout == LAYOUT_OUTER)
                ret = stage_outer_start_init(l, err);
        else if (ret == 0 && plan->layout == LAYOUT_FORK)
                ret = fork_init(l, err);
        /* (PARALLEL makes it once ENVIRONMENT comes; OUTER clones the init into one.) */
        if (ret == 0 && plan->new_cgroupns && (plan->layout == LAYOUT_SINGLE || plan->layout == LAYOUT_FORK) &&
            unshare(CLONE_NEWCGROUP) < 0)
                ret = nook_error_errno(err, "unshare the cgroup namespace");
        if (ret != 0)
                return ret; /* > 0: the outer stage, its work done */
        /* We are the init. A network namespace of its own that nook did not make: lo up,
         * before any hook. */
        if (plan->lo_by_init && (ret = net_loopback_up(-1, err)) < 0)
                return ret;
        /* Its own session, as runc gives the container: signals to nook's caller's process group
         * (a terminal's ^C, conmon's kill of its group on --timeout) are not the container's. */
        if (setsid() < 0)
                return nook_error_errno(err, "setsid");
        /* (The bundle is out of sight once the outer stage's helper has pivoted.) */
        if (!plan->outer_pivot && chdir(l->bundle) < 0)
                return nook_error_errno(err, "chdir to the bundle `%s`", l->bundle);
        ret = set_names(spec, err);
        if (ret == 0 && !l->opts->no_new_keyring)
                ret = join_session_keyring(l->state.id, &labels, lsm_procfd, err);
        if (ret == 0)
                ret = process_set_rlimits(process, err);
        if (ret < 0)
                return ret;

        if (l->protect_exe && plan->layout != LAYOUT_OUTER) {
                ret = stub_exe_capture(&exe, err);
                if (ret < 0)
                        return nook_error_wrap(err, "protect nook's binary");
        }
        ret = setup_filesystem(l, err);
        /* (A guard: every layout has its environment by now.) */
        if (ret == 0)
                ret = stage_init_await_environment(l, err);
        if (ret == 0)
                ret = setup_terminal(l, err);
        if (ret == 0)
                ret = process_setup_attributes(spec->linux, process, err);
        if (ret < 0)
                return ret;

        /* ▶ READY, then ◀ START (run) or COMMITTED (create: then `nook start` on start.sock). */
        struct process_final final = {
                .process = process,
                .exe = l->protect_exe ? &exe : NULL,
                .ctty_fd = -1,
                .filter = l->seccomp_filter,
                .filter_len = l->seccomp_len,
                .seccomp_flags = l->seccomp_flags,
                .sync_fd = l->child_sync_fd,
                .await_fd = l->child_sync_fd,
                .accept_fd = plan->mode == LAUNCH_CREATE ? l->start_fd : -1,
                .preserve_fds = l->opts->preserve_fds,
                .labels = &labels,
                .lsm_procfd = lsm_procfd,
        };
        return process_finish(&final, err);
}

void stage_init_main(struct launch *l)
{
        nook_err err = NULL;
        int ret = init_run(l, &err);
        if (err != NULL)
                sync_send_error(l->child_sync_fd, err);
        _exit(ret > 0 ? 0 : 1);
}
