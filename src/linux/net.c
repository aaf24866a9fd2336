/* Sockets made in a network namespace act on it whatever the thread joins later:
 * `lo` goes up with two ioctls (read the flags, add IFF_UP) on one. */
#define _GNU_SOURCE
#include "linux/net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

int net_control_socket(nook_err *err)
{
        int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return nook_error_errno(err, "open a socket in the network namespace");
        return sock;
}

int net_socket_in(int netns_fd, int domain, int type, int protocol, nook_err *err)
{
        _cleanup_close_ int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (own < 0)
                return nook_error_errno(err, "open `/proc/thread-self/ns/net`");
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return nook_error_errno(err, "enter the container's network namespace");
        int sock = socket(domain, type | SOCK_CLOEXEC, protocol);
        int saved = errno;
        if (setns(own, CLONE_NEWNET) < 0) {
                saved = errno;
                if (sock >= 0)
                        close(sock);
                return nook_error(err, saved, "return to nook's own network namespace");
        }
        if (sock < 0)
                return nook_error(err, saved, "open a socket in the container's network namespace");
        return sock;
}

int net_loopback_up(int sock, nook_err *err)
{
        _cleanup_close_ int own = -1;
        if (sock < 0) {
                sock = own = net_control_socket(err);
                if (sock < 0)
                        return nook_error_wrap(err, "bring `lo` up");
        }
        struct ifreq req;
        memset(&req, 0, sizeof(req));
        strcpy(req.ifr_name, "lo");
        if (ioctl(sock, SIOCGIFFLAGS, &req) < 0)
                return nook_error_errno(err, "bring `lo` up: read its flags");
        if (req.ifr_flags & IFF_UP)
                return 0;
        req.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &req) < 0)
                return nook_error_errno(err, "bring `lo` up");
        return 0;
}
