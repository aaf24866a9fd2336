#define _GNU_SOURCE
#include "util/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"

int socket_connect_unix(const char *path, nook_err *err)
{
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return nook_error_errno(err, "socket");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int dirfd = -1;
        if (strlen(path) < sizeof(addr.sun_path)) {
                strcpy(addr.sun_path, path);
        } else {
                _cleanup_free_ char *dir = strdup(path), *base = strdup(path);
                if (dir == NULL || base == NULL)
                        return nook_error(err, ENOMEM, "connect");
                dirfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dirfd < 0)
                        return nook_error_errno(err, "open the directory of `%s`", path);
                snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, basename(base));
        }
        if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return nook_error_errno(err, "connect to `%s`", path);
        return steal_fd(&sock);
}

ssize_t socket_send_fd(int sock, const void *data, size_t len, int fd, int flags)
{
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = { 0 };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &mh, flags);
}
