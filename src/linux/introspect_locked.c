/* Locked mounts, checked for real: a child joins the container's user and
 * mount namespaces, copies the mount namespace and tries the operations the
 * kernel refuses on a locked mount (umount2 → EINVAL, clearing MNT_RDONLY →
 * EPERM). The copy is made in the same user namespace as the container's, so
 * the kernel keeps every lock flag in it (clone_mnt copies mnt_flags), and it
 * is made private before anything is tried, so no unmount propagates back. */
#define _GNU_SOURCE
#include "linux/introspect_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/syscalls.h"
#include "util/cleanup.h"

enum probe_step {
        STEP_DONE,
        STEP_DUMPABLE,
        STEP_USERNS,
        STEP_MNTNS,
        STEP_ROOT,
        STEP_COPY,
        STEP_PRIVATE,
};

static const char *const step_names[] = {
        [STEP_DONE] = "done",
        [STEP_DUMPABLE] = "make the probe undumpable",
        [STEP_USERNS] = "join the container's user namespace",
        [STEP_MNTNS] = "join the container's mount namespace",
        [STEP_ROOT] = "enter the container's root",
        [STEP_COPY] = "copy the mount namespace",
        [STEP_PRIVATE] = "make the copy private",
};

struct probe_header {
        int step;
        int error;
};

static bool write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                p += w;
                len -= (size_t)w;
        }
        return true;
}

static bool read_all(int fd, void *buf, size_t len)
{
        char *p = buf;
        while (len > 0) {
                ssize_t r = read(fd, p, len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return false;
                p += r;
                len -= (size_t)r;
        }
        return true;
}

/* The child: returns the step that failed (errno set), or STEP_DONE with results filled. */
static enum probe_step run_probe(int userns_fd, int mntns_fd, int rootfd, const char *const *paths,
                                 const bool *try_remount, size_t n, struct lock_probe *results)
{
        /* The container must not reach into this process through /proc while it sits in its namespaces. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return STEP_DUMPABLE;
        if (userns_fd >= 0 && setns(userns_fd, CLONE_NEWUSER) < 0)
                return STEP_USERNS;
        if (setns(mntns_fd, CLONE_NEWNS) < 0)
                return STEP_MNTNS;
        /* setns puts the root at the namespace's root mount; the container's root may sit elsewhere. */
        if (fchdir(rootfd) < 0 || chroot(".") < 0)
                return STEP_ROOT;
        /* unshare moves our root and cwd to their copies in the new namespace. */
        if (unshare(CLONE_NEWNS) < 0)
                return STEP_COPY;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return STEP_PRIVATE;
        for (size_t i = 0; i < n; i++) {
                results[i].remount = -1;
                if (try_remount[i]) {
                        struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };
                        results[i].remount =
                                sys_mount_setattr(AT_FDCWD, paths[i], AT_SYMLINK_NOFOLLOW, &attr) < 0 ? errno : 0;
                }
                results[i].unmount = umount2(paths[i], UMOUNT_NOFOLLOW | MNT_DETACH) < 0 ? errno : 0;
        }
        return STEP_DONE;
}

int mount_probe_locks(int userns_fd, int mntns_fd, int rootfd, const char *const *paths, const bool *try_remount,
                      size_t n, struct lock_probe *results, nook_err *err)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return nook_error_errno(err, "locked-mount probe: pipe");
        _cleanup_close_ int rd = fds[0];
        _cleanup_close_ int wr = fds[1];
        _cleanup_free_ struct lock_probe *child_results = calloc(n ? n : 1, sizeof(*child_results));
        if (child_results == NULL)
                return nook_error(err, ENOMEM, "locked-mount probe");
        _cleanup_pid_ pid_t pid = fork();
        if (pid < 0)
                return nook_error_errno(err, "locked-mount probe: fork");
        if (pid == 0) {
                close(rd);
                struct probe_header h = { 0, 0 };
                h.step = run_probe(userns_fd, mntns_fd, rootfd, paths, try_remount, n, child_results);
                h.error = h.step == STEP_DONE ? 0 : errno;
                bool ok = write_all(wr, &h, sizeof(h)) &&
                          (h.step != STEP_DONE || write_all(wr, child_results, n * sizeof(*child_results)));
                _exit(ok ? 0 : 1);
        }
        close(steal_fd(&wr));
        struct probe_header h = { -1, 0 };
        bool got = read_all(rd, &h, sizeof(h)) && (h.step != STEP_DONE || read_all(rd, results, n * sizeof(*results)));
        int status = 0;
        pid_wait(&pid, &status);
        if (!got)
                return nook_error(err, EIO, "locked-mount probe: the child ended without an answer (status %d)",
                                  status);
        if (h.step != STEP_DONE) {
                const char *what = h.step > 0 && h.step <= STEP_PRIVATE ? step_names[h.step] : "?";
                return nook_error(err, h.error, "locked-mount probe: %s", what);
        }
        return 0;
}
