/* `lo` up with two ioctls (read the flags, add IFF_UP) on a socket made in the
 * namespace. */
#define _GNU_SOURCE
#include "linux/net.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "util/cleanup.h"

int net_control_socket(nook_err *err)
{
        int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return nook_error_errno(err, "open a socket in the network namespace");
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
