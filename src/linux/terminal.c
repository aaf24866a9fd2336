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

int terminal_open_pty(int rootfd, int *master, int *slave, nook_err *err)
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
        int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0)
                return nook_error_errno(err, "terminal: open pty peer");
        *master = steal_fd(&m);
        *slave = s;
        return 0;
}

int terminal_set_size(int fd, unsigned rows, unsigned cols, nook_err *err)
{
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return nook_error_errno(err, "terminal: set size");
        return 0;
}

int terminal_bind_console(int rootfd, int slave, nook_err *err)
{
        _cleanup_close_ int target = open_in_root(rootfd, "/dev/console", O_PATH | O_NOFOLLOW, CREATE_FILE, err);
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
