/* Locked mounts for a container with a user namespace of its own (seed 002).
 *
 * The kernel locks mounts (no unmounting one to reveal what it covers, no
 * clearing read-only, nosuid, nodev, noexec) only in a copy of a mount namespace
 * owned by a less privileged user namespace, or when they propagate into one.
 * Mounts an init makes in its own user namespace are not locked: root there with
 * CAP_SYS_ADMIN could unmount /proc/keys or remount /proc/sys writable. So the
 * mounts are made one user namespace further out, as systemd-nspawn does:
 *
 *   nook ── clone3 ──▶ outer stage O, with a new mount namespace MA and, rootless,
 *          a user namespace A with the config's maps (written by nook or newuidmap);
 *          rootful, A is nook's own (the host's) user namespace.
 *   O ── clone3(NEWUSER|NEWPID|NEWNET|NEWIPC|NEWUTS|NEWCGROUP, CLONE_PARENT) ──▶ init I
 *          I's user namespace B is a child of A, and B owns I's other namespaces,
 *          so root in the container manages its own network, hostname, pid
 *          namespace (procfs, reboot), as with runc; I is nook's child.
 *   B's maps: rootless, O writes the identity of A's ids (root in A holds
 *          CAP_SETUID over B); rootful, nook writes the config's.
 *   O joins I's pid, net, ipc, uts and cgroup namespaces and starts the helper H:
 *          in MA and root in A, it may mount there; in I's pid namespace, its
 *          procfs shows the container's pids (procfs shows its mounter's); in I's
 *          net, ipc and cgroup namespaces, sysfs, mqueue and cgroup2 show the
 *          container's; A made B, so it holds every capability over them.
 *   H binds the rootfs and makes every mount, device node, sysctl, mask and
 *          read-only path under it (rootfs_setup_mounts, as any init would),
 *          pivots into it unless a hook before pivot_root wants the host's view,
 *          hands the rootfs to I over a socket and exits; then O exits.
 *   I unshares its mount namespace: a copy of MA owned by B, where the kernel
 *          locks every mount (and the read-only flag of the read-only ones); then
 *          (hooks first, if any) pivot_root of a bind of the locked rootfs, and on
 *          as any init.
 *
 * Mount options (uid=, gid=) and the owners of what H creates are the
 * container's ids, as when runc mounts in the container's user namespace:
 * rootless, A's ids are the container's (B is A's identity); rootful, H takes
 * the container root's fs ids and the options are mapped to host ids. The path
 * without a user namespace of the container's own never comes here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/launch.h"
#include "linux/caps.h"
#include "linux/rootfs.h"
#include "linux/syscalls.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Rootful, H is the host's root: what it creates must belong to the container's
 * root, as if made in the container's user namespace. The fs ids change, and the
 * capabilities that change clears come back (the mounts need them). */
static int act_as_container_root(struct launch *l, nook_err *err)
{
        uint32_t uid, gid;
        if (!userns_map_id(&l->spec->linux->uid_mappings, 0, &uid) ||
            !userns_map_id(&l->spec->linux->gid_mappings, 0, &gid))
                return nook_error(err, EINVAL, "linux.uidMappings, linux.gidMappings: root (id 0) is not mapped "
                                               "in the user namespace");
        setfsgid(gid);
        setfsuid(uid);
        if ((uint32_t)setfsuid((uid_t)-1) != uid || (uint32_t)setfsgid((gid_t)-1) != gid)
                return nook_error(err, EPERM, "take the fs ids %u:%u of the container's root", uid, gid);
        return caps_raise_all(err);
}

/* H: the container's mounts, in MA, and the last changes to the rootfs that must
 * happen before it is locked; then the rootfs goes to the init. */
static int helper_run(struct launch *l, int stage_fd, nook_err *err)
{
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        _cleanup_close_ int rootfd = -1;
        int ret = l->plan.outer_in_host ? act_as_container_root(l, err) : 0;
        if (ret == 0)
                ret = rootfs_setup_mounts(l, &rootfd, err);
        /* Read-only now, it is locked read-only in the container; hooks that run before
         * pivot_root get it writable, as with runc, and the init makes it read-only after. */
        if (ret == 0)
                ret = rootfs_setup_finish(l, rootfd, l->plan.hooks_request, err);
        if (ret < 0)
                return ret;
        /* Without hooks that want the host's view before pivot_root, pivot here: the
         * outer and init processes' roots move with it (pivot_root moves every root on
         * the old one), and the init's copy holds just the container's mounts. --no-pivot
         * moves the rootfs over "/" here instead: in the copy it is locked, and a locked
         * mount cannot move. */
        if (l->plan.outer_pivot)
                ret = rootfs_pivot(rootfd, false, err);
        else if (l->opts->no_pivot)
                ret = rootfs_move_to_root(rootfd, err);
        if (ret < 0)
                return ret;
        /* (The stage socket: only the init reads it.) */
        return sync_send_fd(stage_fd, SYNC_ENVIRONMENT, rootfd, err);
}

/* As a main thread gets: tmpcopyup recurses with 64 KiB buffers. Untouched pages cost nothing. */
#define HELPER_STACK (8 * 1024 * 1024)

struct helper_args {
        struct launch *l;
        int stage_fd;
};

static int helper_main(void *arg)
{
        struct helper_args *a = arg;
        nook_err err = NULL;
        if (helper_run(a->l, a->stage_fd, &err) < 0) {
                sync_send_error(a->l->child_sync_fd, err);
                _exit(1);
        }
        _exit(0);
}

/* I: says HELLO, waits for the rootfs (and its maps), then takes root in its own
 * user namespace. */
static int init_wait_rootfs(struct launch *l, int stage_fd, nook_err *err)
{
        /* ▶ HELLO: nook reads our pid off its credentials. */
        int ret = sync_send(l->child_sync_fd, SYNC_HELLO, 0, err);
        if (ret < 0)
                return ret;
        struct sync_in in;
        nook_err ignored = NULL;
        ret = sync_recv(stage_fd, &in, &ignored);
        nook_error_free(&ignored);
        if (ret < 0 || in.fd < 0) {
                if (ret == 0)
                        close(in.fd);
                /* The outer stage or its helper tells nook why (or nook sees it die): say
                 * nothing, so that theirs is the error nook reports. */
                return -ECANCELED;
        }
        l->outer_rootfd = in.fd;
        /* ◀ MAPPED (rootful: nook wrote our maps; rootless the outer stage did, before
         * its helper started, so they are written once the rootfs is here). */
        if (l->plan.init_maps_by_parent) {
                ret = sync_expect(l->child_sync_fd, SYNC_MAPPED, "nook", &in, err);
                if (ret < 0)
                        return ret;
        }
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return nook_error_errno(err, "become root in the container's user namespace");
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        return 0;
}

/* O, after the init is cloned: its maps, the helper, and the wait for it. */
static int outer_run(struct launch *l, pid_t init, int pidfd, int stage_fd, nook_err *err)
{
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* (The init says HELLO itself; we say nothing more but errors.) */
        int ret = 0;
        if (!l->plan.outer_in_host)
                ret = userns_write_identity_maps(init, &l->spec->linux->uid_mappings, &l->spec->linux->gid_mappings,
                                                 err);
        if (ret < 0)
                return ret;
        /* Relative bind sources are the bundle's. */
        if (chdir(l->bundle) < 0)
                return nook_error_errno(err, "chdir to the bundle `%s`", l->bundle);
        unsigned long join = l->plan.init_flags & ~(unsigned long)CLONE_NEWUSER;
        if (join != 0 && setns(pidfd, (int)join) < 0)
                return nook_error_errno(err, "join the container's namespaces (%#lx)", join);
        /* The outer stage only waits meanwhile: the helper borrows its memory (no copy of
         * the page tables, no copy-on-write faults) and runs on a stack of its own. */
        void *stack = mmap(NULL, HELPER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
                           -1, 0);
        if (stack == MAP_FAILED)
                return nook_error_errno(err, "map the mount helper's stack");
        struct helper_args args = { l, stage_fd };
        pid_t helper = clone(helper_main, (char *)stack + HELPER_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
        if (helper < 0)
                return nook_error_errno(err, "clone the mount helper");
        int status;
        while (waitpid(helper, &status, 0) < 0)
                if (errno != EINTR)
                        return nook_error_errno(err, "wait for the mount helper");
        if (WIFSIGNALED(status))
                return nook_error(err, EINTR, "the mount helper was killed by signal %d", WTERMSIG(status));
        /* A failed helper has told nook why; say nothing more. */
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : -ECANCELED;
}

int stage_outer_start_init(struct launch *l, nook_err *err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return nook_error_errno(err, "socketpair");
        _cleanup_close_ int outer_end = sv[0];
        _cleanup_close_ int init_end = sv[1];
        /* The init's uid_map belongs to the init's user only while it is dumpable (else to
         * the host's root, out of A's reach): it is cloned dumpable, and drops that once
         * its maps are written. */
        if (!l->plan.outer_in_host)
                (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        int pidfd = -1;
        struct clone_args args = {
                .flags = l->plan.init_flags | CLONE_PARENT | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                /* With CLONE_PARENT clone3 wants 0: the init signals nook as the outer stage does. */
                .exit_signal = 0,
        };
        long pid = sys_clone3(&args);
        int saved = errno;
        if (pid == 0) {
                close(steal_fd(&outer_end));
                return init_wait_rootfs(l, init_end, err);
        }
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (pid < 0)
                return nook_error(err, saved, "clone3 the container's init (namespaces %#lx)", l->plan.init_flags);
        close(steal_fd(&init_end));
        int ret = outer_run(l, (pid_t)pid, pidfd, outer_end, err);
        close(pidfd);
        return ret;
}
