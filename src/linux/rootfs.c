#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/introspect_mounts.h"
#include "linux/mount.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The mount point that holds path, from /proc/self/mountinfo (longest prefix). */
static char *mount_point_of(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
                return NULL;
        char *best = NULL;
        size_t best_len = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                _cleanup_free_ char *mountpoint = NULL;
                if (sscanf(line, "%*s %*s %*s %*s %ms", &mountpoint) != 1)
                        continue;
                size_t len = strlen(mountpoint);
                bool prefix = strncmp(path, mountpoint, len) == 0 &&
                              (path[len] == '/' || path[len] == '\0' || strcmp(mountpoint, "/") == 0);
                if (prefix && len >= best_len) {
                        free(best);
                        best = steal_pointer(&mountpoint);
                        best_len = len;
                }
        }
        return best;
}

int rootfs_prepare(const char *rootfs, const char *propagation, int *rootfd, nook_err *err)
{
        unsigned long flags = MS_PRIVATE | MS_REC;
        if (propagation != NULL && propagation[0] != '\0')
                flags = mount_propagation_from_name(propagation);
        /* An unbindable mount cannot be bound (the rootfs bind below would fail with
         * EINVAL): private for now, unbindable once pivoted (rootfs_finish_propagation). */
        if (flags & MS_UNBINDABLE)
                flags = (flags & ~(unsigned long)MS_UNBINDABLE) | MS_PRIVATE;
        if (mount(NULL, "/", NULL, flags, NULL) < 0)
                return nook_error_errno(err, "set propagation of `/` to %s",
                                        propagation != NULL ? propagation : "rprivate");
        if (flags & MS_SHARED) {
                /* The bind below must not propagate to the host, and pivot_root refuses a
                 * shared parent: make the mount holding the rootfs private first. */
                _cleanup_free_ char *parent = mount_point_of(rootfs);
                if (parent != NULL && mount(NULL, parent, NULL, MS_PRIVATE, NULL) < 0)
                        return nook_error_errno(err, "make `%s` private", parent);
        }
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return nook_error_errno(err, "bind rootfs `%s`", rootfs);
        int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open rootfs `%s`", rootfs);
        *rootfd = fd;
        return 0;
}

/* Whether id is one of the mounts the rootfs mount sits on (not the rootfs itself). */
static bool holds_rootfs(const struct mount_table *t, int rootfs_id, int id)
{
        const struct mount_entry *m = mount_table_by_id(t, rootfs_id);
        for (size_t hops = 0; m != NULL && hops < t->n; hops++) {
                m = mount_table_by_id(t, m->parent);
                if (m != NULL && m->id == id)
                        return true;
        }
        return false;
}

/* --no-pivot: the rootfs goes over "/", and the rest of this mount namespace
 * would stay beneath it. There a full procfs or sysfs lets a user namespace in
 * the container mount a fresh one (the kernel's mount_too_revealing check
 * passes: runc's no_pivot test), and every host mount shows to whoever enters
 * the namespace. So every mount that is neither the rootfs (nor below it) nor
 * one it sits on is detached, its submounts with it; one the kernel keeps
 * (locked in a user namespace) is covered with an empty tmpfs if it is procfs
 * or sysfs, as runc does. Each goes slave first: the unmount must not reach
 * the host through a shared rootfsPropagation. */
static int detach_host_mounts(int rootfd, nook_err *err)
{
        struct statx stx;
        if (statx(rootfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
                return nook_error_errno(err, "find the rootfs mount");
        int rootfs_id = (int)stx.stx_mnt_id;
        struct mount_table t = { 0 };
        int ret = mount_table_read(AT_FDCWD, "/proc/self/mountinfo", &t, err);
        if (ret < 0)
                return ret;
        for (size_t i = 0; i < t.n && ret == 0; i++) {
                const struct mount_entry *m = &t.entries[i];
                if (m->id == rootfs_id || holds_rootfs(&t, rootfs_id, m->id) || !holds_rootfs(&t, rootfs_id, m->parent))
                        continue;
                bool kernel_fs = strcmp(m->fstype, "proc") == 0 || strcmp(m->fstype, "sysfs") == 0;
                if (mount(NULL, m->mountpoint, NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        ret = errno == ENOENT ? 0 : nook_error_errno(err, "make `%s` a slave", m->mountpoint);
                else if (umount2(m->mountpoint, MNT_DETACH) == 0)
                        continue;
                else if (errno != EINVAL && errno != EPERM)
                        ret = nook_error_errno(err, "unmount `%s`", m->mountpoint);
                else if (kernel_fs && mount("tmpfs", m->mountpoint, "tmpfs", MS_RDONLY, "size=0") < 0)
                        ret = nook_error_errno(err, "cover `%s`", m->mountpoint);
        }
        mount_table_free(&t);
        return ret;
}

int rootfs_move_to_root(int rootfd, nook_err *err)
{
        int ret = detach_host_mounts(rootfd, err);
        if (ret < 0)
                return ret;
        if (fchdir(rootfd) < 0)
                return nook_error_errno(err, "chdir to the rootfs");
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return nook_error_errno(err, "move the rootfs to `/`");
        return 0;
}

int rootfs_pivot(int rootfd, bool no_pivot, nook_err *err)
{
        if (no_pivot) {
                int ret = rootfs_move_to_root(rootfd, err);
                if (ret < 0)
                        return ret;
                if (chroot(".") < 0)
                        return nook_error_errno(err, "chroot");
        } else {
                if (fchdir(rootfd) < 0)
                        return nook_error_errno(err, "chdir to the rootfs");
                /* pivot_root(".", "."): the old root lands on top of the new one and is
                 * detached at once; slave first so the unmount cannot reach the host.
                 * "." must name the old root through an fd taken before: after the pivot,
                 * "." and "/" resolve to the new root, and making *that* tree a slave
                 * would cut rshared mounts off from their host peers. */
                _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (oldroot < 0)
                        return nook_error_errno(err, "open the old root");
                if (sys_pivot_root(".", ".") < 0)
                        return nook_error_errno(err, "pivot_root");
                if (fchdir(oldroot) < 0)
                        return nook_error_errno(err, "chdir to the old root");
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return nook_error_errno(err, "make the old root a slave");
                if (umount2(".", MNT_DETACH) < 0)
                        return nook_error_errno(err, "unmount the old root");
        }
        if (chdir("/") < 0)
                return nook_error_errno(err, "chdir `/`");
        return 0;
}

int rootfs_finish_propagation(const char *propagation, nook_err *err)
{
        if (propagation == NULL || propagation[0] == '\0')
                return 0;
        unsigned long flags = mount_propagation_from_name(propagation);
        if ((flags & MS_PRIVATE) != 0)
                return 0;
        if (mount(NULL, "/", NULL, flags, NULL) < 0)
                return nook_error_errno(err, "set propagation of the container's `/` to %s", propagation);
        return 0;
}

int rootfs_make_readonly(int rootfd, nook_err *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        int ret = rootfd >= 0 ? sys_mount_setattr(rootfd, "", AT_EMPTY_PATH, &attr)
                              : sys_mount_setattr(AT_FDCWD, "/", 0, &attr);
        if (ret < 0)
                return nook_error_errno(err, "make `/` read-only");
        return 0;
}
