/* Network namespaces: sockets in one, and its own loopback device. */
#ifndef NOOK_LINUX_NET_H
#define NOOK_LINUX_NET_H

#include "util/error.h"

/* A socket for interface requests in the calling thread's network namespace: it
 * acts on that namespace whatever the thread joins later. */
int net_control_socket(nook_err *err);

/* A socket (socket(2)'s arguments, SOCK_CLOEXEC added) in the network namespace
 * netns_fd; the calling thread enters it only to make the socket. */
int net_socket_in(int netns_fd, int domain, int type, int protocol, nook_err *err);

/* Brings `lo` up in the network namespace of sock (-1: the calling thread's), as
 * runc and crun do in every namespace they make: a new one starts with it down. */
int net_loopback_up(int sock, nook_err *err);

#endif
