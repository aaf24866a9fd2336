/* Unix sockets: connecting by a path of any length, passing an fd with SCM_RIGHTS. */
#ifndef NOOK_UTIL_SOCKET_H
#define NOOK_UTIL_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Connects a SOCK_STREAM unix socket to path; a path too long for sun_path is
 * reached through its directory's fd. Returns the socket (O_CLOEXEC). */
int socket_connect_unix(const char *path, nook_err *err);

/* sendmsg of data with fd attached (SCM_RIGHTS); returns like sendmsg(2). */
ssize_t socket_send_fd(int sock, const void *data, size_t len, int fd, int flags);

#endif
