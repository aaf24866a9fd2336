/* linux.netDevices: an interface of the runtime's network namespace moved into
 * the container's (config-linux.md "Network Devices"). */
#ifndef NOOK_LINUX_NETDEV_H
#define NOOK_LINUX_NETDEV_H

#include "util/error.h"

/* Whether the runtime's (the calling thread's) network namespace has an interface
 * called name: what can be checked before anything is set up. */
int netdev_check(const char *name, nook_err *err);

/* Moves the interface name into the network namespace netns_fd, renamed new_name
 * in the same request (a "%d" template lets the kernel number it), keeps its
 * permanent addresses of global scope, and sets it up there, as the spec asks.
 * It is never moved back: when the namespace goes, the kernel returns physical
 * devices to the initial namespace and destroys virtual ones (as the spec says
 * it must be left). */
int netdev_move(const char *name, const char *new_name, int netns_fd, nook_err *err);

#endif
