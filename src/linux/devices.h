/* Device nodes inside the container's /dev: the default set, linux.devices,
 * and the /dev symlinks; mknod where allowed, bind mounts of the host's node
 * inside a user namespace (where mknod is refused). */
#ifndef NOOK_LINUX_DEVICES_H
#define NOOK_LINUX_DEVICES_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* Creates the default devices (null zero full random urandom tty) and the config's
 * devices under rootfd. bind: bind-mount the host's nodes instead of mknod. */
int devices_create(int rootfd, const struct spec_device *devices, size_t n, bool bind, nook_err *err);

/* In a user namespace devices are bound from the host: each must exist there,
 * of the declared type. Checked before anything is set up. */
int devices_check_host(const struct spec_device *devices, size_t n, nook_err *err);

/* The default set devices_create makes: (null zero full random urandom tty). */
const struct spec_device *devices_default(size_t *n);

/* /dev/fd, /dev/stdin|stdout|stderr, /dev/core and /dev/ptmx → pts/ptmx. */
int devices_create_symlinks(int rootfd, nook_err *err);

#endif
