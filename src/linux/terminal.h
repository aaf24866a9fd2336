/* The container's terminal: a pty made inside the container's devpts, its
 * slave bound on /dev/console from nook's own fd (never a path the image
 * controls: CVE-2025-52565), the master handed out over a unix socket
 * (SCM_RIGHTS, runc's --console-socket protocol) or relayed by `nook run`. */
#ifndef NOOK_LINUX_TERMINAL_H
#define NOOK_LINUX_TERMINAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "util/error.h"

/* Opens a new pty in the devpts at <rootfd>/dev/pts (checked to be devpts);
 * returns master and slave fds. The pty belongs to owner (the container's
 * user), its group stays devpts's gid= (the tty group), as runc leaves it. */
int terminal_open_pty(int rootfd, uid_t owner, int *master, int *slave, nook_err *err);

/* Sets the size of the pty (consoleSize). */
int terminal_set_size(int fd, unsigned rows, unsigned cols, nook_err *err);

/* Binds the slave on <rootfd>/dev/console, a file nook creates there itself and
 * mounts on by fd (CVE-2025-52565): one that exists already is used only if it
 * is a regular file or a character device, opened without following it; a
 * symlink there is replaced by nook's file. */
int terminal_bind_console(int rootfd, int slave, nook_err *err);

/* Makes <rootfd>/dev/console nook's file (as terminal_bind_console would) while
 * the rootfs and /dev are still writable; a read-only filesystem is left as it is. */
int terminal_prepare_console(int rootfd, nook_err *err);

/* Makes the slave the controlling terminal (of the caller, a session leader) and stdin/stdout/stderr. */
int terminal_make_controlling(int slave, nook_err *err);

/* Sends fd over a connected unix socket with SCM_RIGHTS and name as the payload. */
int terminal_send_fd(int sock, int fd, const char *name, nook_err *err);


/* Puts the terminal fd into raw mode, saving the old settings. */
int terminal_make_raw(int fd, struct termios *saved, nook_err *err);

#endif
