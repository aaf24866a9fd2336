/* rtnetlink requests: a message built in a fixed buffer, sent, and its answer
 * (an ack, or the dump's messages) read back. */
#ifndef NOOK_LINUX_NETLINK_H
#define NOOK_LINUX_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct netlink_message {
        union {
                struct nlmsghdr header;
                char bytes[1024];
        };
};

/* A NETLINK_ROUTE socket in the calling thread's network namespace (it stays
 * bound to that namespace). */
int netlink_open(nook_err *err);

/* Starts a request of type (RTM_*) with flags (NLM_F_REQUEST added) and a
 * fixed header of size bytes (struct ifinfomsg, ifaddrmsg); returns that header. */
void *netlink_start(struct netlink_message *m, uint16_t type, uint16_t flags, size_t size);

/* Appends an attribute; -EMSGSIZE when the message is full. */
int netlink_add(struct netlink_message *m, uint16_t type, const void *data, size_t len);

/* Sends m asking for an ack, calling each (may be NULL) with the answers that come
 * before it (a get's object); returns 0 or the kernel's -errno. */
int netlink_request(int sock, struct netlink_message *m, int (*each)(const struct nlmsghdr *msg, void *ctx),
                    void *ctx);

/* Sends the dump request m and calls each answer's message in turn (stopping at a
 * negative return); returns 0 or -errno. */
int netlink_dump(int sock, struct netlink_message *m, int (*each)(const struct nlmsghdr *msg, void *ctx), void *ctx);

/* The attributes of a message after its fixed header of size bytes, by type
 * (attrs has max + 1 slots; a missing one is NULL). */
void netlink_attributes(const struct nlmsghdr *msg, size_t size, const struct rtattr **attrs, int max);

#endif
