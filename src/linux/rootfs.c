#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

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
                char mountpoint[4096];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mountpoint) != 1)
                        continue;
                size_t len = strlen(mountpoint);
                bool prefix = strncmp(path, mountpoint, len) == 0 &&
                              (path[len] == '/' || path[len] == '\0' || strcmp(mountpoint, "/") == 0);
                if (prefix && len >= best_len) {
                        free(best);
                        best = strdup(mountpoint);
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

/* One line of /proc/self/mountinfo: what detach_host_mounts needs. */
struct mount_entry {
        int id, parent;
        char *point; /* unescaped */
        bool kernel_fs; /* procfs or sysfs */
};

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
        char *out = s;
        for (char *p = s; *p != '\0'; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
                    p[3] <= '7') {
                        *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else {
                        *out++ = *p;
                }
        }
        *out = '\0';
}

static void free_entries(struct mount_entry *e, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(e[i].point);
        free(e);
}

static int read_mount_entries(struct mount_entry **out, size_t *count, nook_err *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
                return nook_error_errno(err, "open `/proc/self/mountinfo`");
        struct mount_entry *e = NULL;
        size_t n = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                int id, parent;
                char point[PATH_MAX * 4], *dash = strstr(line, " - "), fstype[64];
                if (dash == NULL || sscanf(line, "%d %d %*s %*s %16383s", &id, &parent, point) != 3 ||
                    sscanf(dash + 3, "%63s", fstype) != 1)
                        continue;
                struct mount_entry *bigger = realloc(e, (n + 1) * sizeof(*e));
                char *copy = strdup(point);
                if (bigger == NULL || copy == NULL) {
                        free(copy);
                        free_entries(bigger != NULL ? bigger : e, n);
                        return nook_error(err, ENOMEM, "read the mount table");
                }
                e = bigger;
                unescape_octal(copy);
                e[n++] = (struct mount_entry){ .id = id, .parent = parent, .point = copy,
                                               .kernel_fs = strcmp(fstype, "proc") == 0 ||
                                                            strcmp(fstype, "sysfs") == 0 };
        }
        *out = e;
        *count = n;
        return 0;
}

static const struct mount_entry *find_entry(const struct mount_entry *e, size_t n, int id)
{
        for (size_t i = 0; i < n; i++)
                if (e[i].id == id)
                        return &e[i];
        return NULL;
}

/* Whether id is one of the mounts the rootfs mount sits on (not the rootfs itself). */
static bool holds_rootfs(const struct mount_entry *e, size_t n, int rootfs_id, int id)
{
        const struct mount_entry *m = find_entry(e, n, rootfs_id);
        for (int hops = 0; m != NULL && hops < 4096; hops++) {
                m = find_entry(e, n, m->parent);
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
        struct mount_entry *e = NULL;
        size_t n = 0;
        int ret = read_mount_entries(&e, &n, err);
        if (ret < 0)
                return ret;
        for (size_t i = 0; i < n && ret == 0; i++) {
                if (e[i].id == rootfs_id || holds_rootfs(e, n, rootfs_id, e[i].id) ||
                    !holds_rootfs(e, n, rootfs_id, e[i].parent))
                        continue;
                if (mount(NULL, e[i].point, NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        ret = errno == ENOENT ? 0 : nook_error_errno(err, "make `%s` a slave", e[i].point);
                else if (umount2(e[i].point, MNT_DETACH) == 0)
                        continue;
                else if (errno != EINVAL && errno != EPERM)
                        ret = nook_error_errno(err, "unmount `%s`", e[i].point);
                else if (e[i].kernel_fs && mount("tmpfs", e[i].point, "tmpfs", MS_RDONLY, "size=0") < 0)
                        ret = nook_error_errno(err, "cover `%s`", e[i].point);
        }
        free_entries(e, n);
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
