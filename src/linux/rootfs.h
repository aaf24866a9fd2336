/* The container's mount tree: propagation of "/", the rootfs bound onto itself,
 * the config's mounts (every destination resolved inside the rootfs), and
 * pivot_root (or MS_MOVE + chroot). */
#ifndef NOOK_LINUX_ROOTFS_H
#define NOOK_LINUX_ROOTFS_H

#include <stdbool.h>

#include "linux/cgroup.h"
#include "spec/spec.h"
#include "util/error.h"

/* A mount to make read-only once the mounts and devices under it exist. */
struct rootfs_read_only {
        int fd;         /* the mount */
        bool recursive; /* with every mount below it */
        bool dev;       /* it covers /dev */
};

struct rootfs_context {
        int rootfd;                 /* the rootfs mount, O_PATH; a mount on "/" takes its place */
        const char *rootfs;         /* its path, to reach such a mount */
        bool in_userns;             /* mknod is refused: devices are bind-mounted */
        const struct cgroup *cgroup; /* for the "cgroup" type; NULL when the container has none */
        bool has_cgroupns;
        bool needs_console;         /* process.terminal: /dev/console is made while /dev is writable */
        const char *mount_label;    /* linux.mountLabel: the SELinux context of the filesystems mounted; NULL: none */
        /* Set when mounting for a user-namespaced container from outside its user
         * namespace: uid= and gid= options name container ids, mapped through these. */
        const spec_id_mappings *uid_map, *gid_map;
        struct rootfs_read_only *read_only_later; /* filled by rootfs_mount */
        size_t n_read_only_later;
};

/* Sets the propagation of "/" (rootfsPropagation, default rprivate), binds the
 * rootfs onto itself and opens it. */
int rootfs_prepare(const char *rootfs, const char *propagation, int *rootfd, nook_err *err);

/* Mounts one mounts[] entry inside the rootfs; idmap_userns_fd >= 0 makes a bind
 * idmapped through that user namespace ("ridmap": every mount of the tree). A
 * mount on "/" replaces ctx->rootfd (the old fd is closed). A tmpfs, and what
 * covers /dev, stay writable until rootfs_finish_mounts. */
int rootfs_mount(struct rootfs_context *ctx, const struct spec_mount *m, int idmap_userns_fd, nook_err *err);

/* Once every mount and device is made: the read-only options held back. Releases ctx. */
int rootfs_finish_mounts(struct rootfs_context *ctx, nook_err *err);

/* Frees what rootfs_mount keeps in ctx (done by rootfs_finish_mounts). */
void rootfs_context_release(struct rootfs_context *ctx);

/* True when the config mounts its own /dev (a tmpfs nook fills), false when it binds one. */
bool rootfs_needs_dev(const struct spec *spec);

/* Detaches every mount of this namespace but the rootfs (and what is below it)
 * and those it sits on, then moves the rootfs over "/" and enters it (--no-pivot). */
int rootfs_move_to_root(int rootfd, nook_err *err);

/* Makes the rootfs "/" (pivot_root, or MS_MOVE + chroot with no_pivot) and chdir("/"). */
int rootfs_pivot(int rootfd, bool no_pivot, nook_err *err);

/* After pivot_root: gives "/" the shared/slave/unbindable propagation asked for. */
int rootfs_finish_propagation(const char *propagation, nook_err *err);

/* root.readonly: makes the rootfs mount rootfd (-1: "/"), not the mounts below it, read-only. */
int rootfs_make_readonly(int rootfd, nook_err *err);

#endif
