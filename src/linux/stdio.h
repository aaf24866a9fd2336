/* The standard I/O a container process inherits from its caller. */
#ifndef NOOK_LINUX_STDIO_H
#define NOOK_LINUX_STDIO_H

#include <sys/types.h>

#include "util/error.h"

/* Makes uid the owner of the inodes behind fds 0-2 that are pipes, sockets or
 * regular files, so that a process that drops to uid can reopen its own stdio
 * (`/dev/stdout`), as runc does; before privileges drop. Devices (/dev/null, a
 * tty, any host node), closed fds, fds uid owns already, and inodes this user
 * namespace may not change (EPERM, EROFS) are left alone. */
int stdio_give_to_user(uid_t uid, nook_err *err);

#endif
