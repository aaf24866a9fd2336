/* Mounting by file descriptor: the target is always an fd resolved beforehand
 * (inside the container root), never a path string the container could swap. */
#ifndef NOOK_LINUX_MOUNT_H
#define NOOK_LINUX_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct mount_change {
        uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* */
        uint64_t propagation;        /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, or 0 */
        int userns_fd;               /* with MOUNT_ATTR_IDMAP in attr_set; else unused */
};

/* Clones src_dirfd/src_path (src_path NULL: the fd itself) as a detached
 * mount, applies top (to its root mount) and rec (to the whole tree) before
 * anyone can see it, and attaches it on target_fd. Returns the new mount's fd. */
int mount_bind(int src_dirfd, const char *src_path, bool recursive, const struct mount_change *top,
               const struct mount_change *rec, int target_fd, nook_err *err);

/* mount(2) of a filesystem on target_fd; `what` names it in errors. */
int mount_fs(const char *source, const char *type, unsigned long flags, const char *data, int target_fd,
             const char *what, nook_err *err);

/* The mount_setattr(2) change equivalent to setting set_flags and clearing
 * clear_flags, MS_* (ro, nosuid, nodev, noexec, nodiratime, nosymfollow, atime mode). */
void mount_flags_to_attr(unsigned long set_flags, unsigned long clear_flags, uint64_t *attr_set, uint64_t *attr_clr);

/* Applies a change to the mount whose root mount_fd is (recursive: and below it). */
int mount_apply(int mount_fd, bool recursive, const struct mount_change *change, const char *what, nook_err *err);

#endif
