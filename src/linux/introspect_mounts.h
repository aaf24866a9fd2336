/* The mounts of a process's mount namespace as the kernel reports them
 * (/proc/<pid>/mountinfo), what really covers a path inside a root, and
 * whether mounts are locked (mount_namespaces(7): a less privileged user
 * namespace cannot unmount or remount what it inherited). */
#ifndef NOOK_LINUX_INTROSPECT_MOUNTS_H
#define NOOK_LINUX_INTROSPECT_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One line of mountinfo (proc(5)); strings are unescaped ("\040" is a space). */
struct mount_entry {
        int id;
        int parent;
        unsigned major, minor;
        char *root;       /* the directory of the filesystem that is mounted */
        char *mountpoint; /* relative to the root of the process that was read */
        char *options;    /* per-mount options: "ro,nosuid,relatime" */
        char *fstype;
        char *source;
        char *super_options;
        bool readonly;
        int shared;         /* peer group id, 0: not shared */
        int master;         /* peer group it receives from, 0: none */
        int propagate_from; /* nearest dominant peer group visible in this namespace, 0: none */
        bool unbindable;
};

struct mount_table {
        struct mount_entry *entries;
        size_t n;
};

/* Parses mountinfo text. */
int mount_table_parse(const char *text, struct mount_table *table, nook_err *err);

/* Reads and parses dirfd/path (e.g. a /proc/<pid> fd and "mountinfo"). */
int mount_table_read(int dirfd, const char *path, struct mount_table *table, nook_err *err);

void mount_table_free(struct mount_table *table);

/* The mount with this id, or NULL. */
const struct mount_entry *mount_table_by_id(const struct mount_table *table, int id);

/* True when some mount of the table is in peer group `group` (shared:group). */
bool mount_table_has_peer_group(const struct mount_table *table, int group);

/* "private", "shared:3", "master:2", "shared:3 master:2", "unbindable" into buf. */
const char *mount_propagation_string(const struct mount_entry *m, char *buf, size_t size);

/* What the kernel shows at a path inside a root directory (e.g. /proc/<pid>/root). */
struct path_facts {
        bool exists;
        bool is_dir;
        bool null_device; /* a character device 1:3 */
        bool readonly;    /* the mount or the filesystem is read-only (statvfs ST_RDONLY) */
        bool empty;       /* a directory with no entries */
        bool mountpoint;  /* a different mount than its parent directory's */
        uint64_t fs_type; /* statfs f_type */
        int mount_id;     /* statx stx_mnt_id, 0 when the kernel does not say */
};

/* Looks at path inside rootfd without following a symlink out of it; a missing path is exists = false. */
int path_facts_in_root(int rootfd, const char *path, struct path_facts *facts, nook_err *err);

/* The name of a filesystem magic number ("proc", "tmpfs" …), or NULL. */
const char *fs_type_name(uint64_t type);

/* What the kernel answered when a mount was tried from inside: 0 allowed, else an errno. */
struct lock_probe {
        int unmount;  /* EINVAL: locked */
        int remount;  /* clearing read-only; EPERM: locked read-only; -1 not tried (not read-only) */
};

/* Tries, from a child process in the user namespace userns_fd (-1: stay in
 * the caller's) and a private copy of the mount namespace mntns_fd, rooted at
 * rootfd (the container's root, e.g. /proc/<pid>/root), to make each path
 * writable (when try_remount[i]) and to unmount it. The copy is made with
 * unshare(CLONE_NEWNS) in the same user namespace, which keeps the lock flags,
 * and made private first, so nothing of it reaches the container. */
int mount_probe_locks(int userns_fd, int mntns_fd, int rootfd, const char *const *paths, const bool *try_remount,
                      size_t n, struct lock_probe *results, nook_err *err);

#endif
