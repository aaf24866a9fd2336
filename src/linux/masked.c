#define _GNU_SOURCE
#include "linux/masked.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef MS_RDONLY
#define MS_RDONLY 1
#endif

int masked_open_null(nook_err *err)
{
        int fd = open("/dev/null", O_PATH | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `/dev/null`");
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
                close(fd);
                return nook_error(err, EINVAL, "`/dev/null` is not the null device");
        }
        return fd;
}

/* Opens path inside the root; -ENOENT (no error set) when it does not exist. */
static int open_existing(int rootfd, const char *path, nook_err *err)
{
        _cleanup_error_ nook_err local = NULL;
        int fd = open_in_root(rootfd, path, O_PATH, CREATE_NONE, &local);
        if (fd >= 0)
                return fd;
        if (local->code == ENOENT)
                return -ENOENT;
        *err = steal_pointer(&local);
        return nook_error_ret(*err);
}

/* Paths under /proc must lie on the procfs nook mounted, not on something the image put there. */
static int check_proc_path(int fd, const char *path, nook_err *err)
{
        if (strncmp(path, "/proc/", 6) != 0)
                return 0;
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return nook_error_errno(err, "statfs `%s`", path);
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return nook_error(err, EINVAL, "`%s` is not on procfs", path);
        return 0;
}

/* The path in the container to protect, checked; -ENOENT (no error set) when it does not exist. */
static int open_protected(int rootfd, const char *path, const char *what, nook_err *err)
{
        int fd = open_existing(rootfd, path, err);
        if (fd == -ENOENT)
                return fd;
        int ret = fd < 0 ? fd : check_proc_path(fd, path, err);
        if (ret < 0) {
                if (fd >= 0)
                        close(fd);
                return nook_error_wrap(err, "%s", what);
        }
        return fd;
}

int masked_apply(int rootfd, const spec_strings *paths, int null_fd, const char *mount_label, nook_err *err)
{
        static const char empty_data[] = "size=0,mode=0555";
        _cleanup_free_ char *labelled = NULL;
        int ret = lsm_mount_data(empty_data, mount_label, &labelled, err);
        if (ret < 0)
                return ret;
        const char *data = labelled != NULL ? labelled : empty_data;
        for (size_t i = 0; i < paths->len; i++) {
                const char *path = paths->items[i];
                _cleanup_close_ int fd = open_protected(rootfd, path, "mask", err);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return nook_error_errno(err, "mask `%s`", path);
                if (S_ISDIR(st.st_mode)) {
                        ret = mount_fs("tmpfs", "tmpfs", MS_RDONLY, data, fd, path, err);
                } else {
                        int mnt = mount_bind(null_fd, NULL, false, NULL, NULL, fd, err);
                        if (mnt >= 0)
                                close(mnt);
                        ret = mnt < 0 ? mnt : 0;
                }
                if (ret < 0)
                        return nook_error_wrap(err, "mask");
        }
        return 0;
}

int readonly_apply(int rootfd, const spec_strings *paths, nook_err *err)
{
        const struct mount_change ro = { .attr_set = MOUNT_ATTR_RDONLY };
        for (size_t i = 0; i < paths->len; i++) {
                const char *path = paths->items[i];
                _cleanup_close_ int fd = open_protected(rootfd, path, "make read-only", err);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                /* A recursive bind of the path onto itself, read-only before it is attached. */
                int mnt = mount_bind(fd, NULL, true, NULL, &ro, fd, err);
                if (mnt < 0)
                        return nook_error_wrap(err, "make `%s` read-only", path);
                close(mnt);
        }
        return 0;
}
