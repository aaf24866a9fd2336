#define _GNU_SOURCE
#include "linux/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/socket.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_open_pty(int rootfd, uid_t owner, int *master, int *slave, nook_err *err)
{
        /* The multiplexer of the container's own devpts instance, not whatever /dev/ptmx is in the image. */
        _cleanup_close_ int m = open_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, CREATE_NONE, err);
        if (m < 0)
                return nook_error_wrap(err, "terminal");
        struct statfs sfs;
        if (fstatfs(m, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC)
                return nook_error(err, EINVAL, "terminal: `/dev/pts/ptmx` is not on devpts");
        int unlock = 0;
        if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
                return nook_error_errno(err, "terminal: unlock pty");
        /* The peer is opened from the master: no path lookup that the image could redirect. */
        _cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0)
                return nook_error_errno(err, "terminal: open pty peer");
        /* The user's own console; an id the user namespace does not map (EINVAL) or a
         * pty it may not change (EPERM) stays as it is, as with runc. */
        if (fchown(s, owner, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
                return nook_error_errno(err, "terminal: give the pty to uid %u", (unsigned)owner);
        *master = steal_fd(&m);
        *slave = steal_fd(&s);
        return 0;
}

int terminal_set_size(int fd, unsigned rows, unsigned cols, nook_err *err)
{
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return nook_error_errno(err, "terminal: set size");
        return 0;
}

/* The mount point of /dev/console, a file made here with O_EXCL and mounted on
 * by its fd: a symlink swapped in by a racing process can make this fail, never
 * redirect the mount (CVE-2025-52565). One there already is used if the fd
 * opened without following it is a file or a device node (nook's, made before
 * /dev went read-only, or the image's); a symlink (the image's, or a racer's)
 * is removed and the file made in its place, once. */
static int open_console_target(int rootfd, nook_err *err)
{
        _cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, CREATE_NONE, err);
        if (dev < 0)
                return dev;
        struct statfs sfs;
        if (fstatfs(dev, &sfs) < 0)
                return nook_error_errno(err, "statfs `/dev`");
        if (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)
                return nook_error(err, EINVAL, "`/dev` is on procfs or sysfs");
        for (int attempt = 0;; attempt++) {
                int fd = openat(dev, "console", O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return nook_error_errno(err, "create `/dev/console`");
                fd = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        int ret = nook_error_errno(err, "open `/dev/console`");
                        if (fd >= 0)
                                close(fd);
                        return ret;
                }
                if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))
                        return fd;
                close(fd);
                if (!S_ISLNK(st.st_mode) || attempt > 0)
                        return nook_error(err, EEXIST, "`/dev/console` is %s, not a file: the console is not "
                                                       "mounted there", S_ISLNK(st.st_mode) ? "a symlink" : "not a file");
                if (unlinkat(dev, "console", 0) < 0 && errno != ENOENT)
                        return nook_error_errno(err, "remove the symlink `/dev/console`");
        }
}

int terminal_prepare_console(int rootfd, nook_err *err)
{
        int fd = open_console_target(rootfd, err);
        if (fd >= 0) {
                close(fd);
                return 0;
        }
        if (fd == -EROFS) {
                nook_error_free(err); /* a read-only image: terminal_bind_console tells what it finds */
                return 0;
        }
        return nook_error_wrap(err, "terminal");
}

int terminal_bind_console(int rootfd, int slave, nook_err *err)
{
        _cleanup_close_ int target = open_console_target(rootfd, err);
        if (target < 0)
                return nook_error_wrap(err, "terminal");
        int mnt = mount_bind(slave, NULL, false, NULL, NULL, target, err);
        if (mnt < 0)
                return nook_error_wrap(err, "terminal: bind `/dev/console`");
        close(mnt);
        return 0;
}

int terminal_make_controlling(int slave, nook_err *err)
{
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return nook_error_errno(err, "terminal: make controlling terminal");
        for (int fd = 0; fd < 3; fd++)
                if (dup2(slave, fd) < 0)
                        return nook_error_errno(err, "terminal: dup2");
        return 0;
}

int terminal_send_fd(int sock, int fd, const char *name, nook_err *err)
{
        if (socket_send_fd(sock, name, strlen(name), fd, 0) < 0)
                return nook_error_errno(err, "send the terminal to the console socket");
        return 0;
}

int terminal_make_raw(int fd, struct termios *saved, nook_err *err)
{
        if (tcgetattr(fd, saved) < 0)
                return nook_error_errno(err, "terminal: tcgetattr");
        struct termios raw = *saved;
        cfmakeraw(&raw);
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                return nook_error_errno(err, "terminal: tcsetattr");
        return 0;
}
