#define _GNU_SOURCE
#include "linux/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const struct spec_device default_devices[] = {
        { .type = 'c', .path = "/dev/null", .major = 1, .minor = 3 },
        { .type = 'c', .path = "/dev/zero", .major = 1, .minor = 5 },
        { .type = 'c', .path = "/dev/full", .major = 1, .minor = 7 },
        { .type = 'c', .path = "/dev/random", .major = 1, .minor = 8 },
        { .type = 'c', .path = "/dev/urandom", .major = 1, .minor = 9 },
        { .type = 'c', .path = "/dev/tty", .major = 5, .minor = 0 },
};

const struct spec_device *devices_default(size_t *n)
{
        *n = ARRAY_SIZE(default_devices);
        return default_devices;
}

static mode_t device_mode(const struct spec_device *d)
{
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        mode_t perm = d->file_mode.set ? (mode_t)(d->file_mode.value & 07777) : 0666;
        return type | perm;
}

/* Bind the host's node of the same path; the container gets the host's permissions. */
static int bind_device(int parent, const char *name, const struct spec_device *d, nook_err *err)
{
        int fd = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
        if (fd < 0 && errno != EEXIST)
                return nook_error_errno(err, "create `%s`", d->path);
        if (fd >= 0)
                close(fd);
        _cleanup_close_ int target = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return nook_error_errno(err, "open `%s`", d->path);
        int mnt = mount_bind(AT_FDCWD, d->path, false, NULL, NULL, target, err);
        if (mnt < 0)
                return nook_error_wrap(err, "device `%s`", d->path);
        close(mnt);
        return 0;
}

static int make_device(int parent, const char *name, const struct spec_device *d, nook_err *err)
{
        mode_t mode = device_mode(d);
        /* A fifo has no numbers (the parser leaves them -1, which glibc refuses as a dev_t). */
        dev_t dev = S_ISFIFO(mode) ? 0 : makedev(d->major, d->minor);
        if (mknodat(parent, name, mode, dev) < 0) {
                if (errno != EEXIST)
                        return nook_error_errno(err, "mknod `%s`", d->path);
                /* The image already has something there: replace it with the node asked for. */
                if (unlinkat(parent, name, 0) < 0 || mknodat(parent, name, mode, dev) < 0)
                        return nook_error_errno(err, "mknod `%s`", d->path);
        }
        /* mknod obeys the umask; the config's mode is exact. */
        if (fchmodat(parent, name, mode & 07777, 0) < 0)
                return nook_error_errno(err, "chmod `%s`", d->path);
        uid_t uid = d->uid.set ? (uid_t)d->uid.value : 0;
        gid_t gid = d->gid.set ? (gid_t)d->gid.value : 0;
        if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return nook_error_errno(err, "chown `%s`", d->path);
        return 0;
}

static int create_one(int rootfd, const struct spec_device *d, bool bind, nook_err *err)
{
        _cleanup_free_ char *copy = strdup(d->path);
        if (copy == NULL)
                return nook_error(err, ENOMEM, "device");
        char *slash = strrchr(copy, '/');
        const char *name = slash + 1;
        *slash = '\0';
        if (*name == '\0' || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
                return nook_error(err, EINVAL, "device path `%s`", d->path);
        _cleanup_close_ int parent =
                open_in_root(rootfd, copy[0] != '\0' ? copy : "/", O_PATH | O_DIRECTORY, CREATE_DIR, err);
        if (parent < 0)
                return nook_error_wrap(err, "device `%s`", d->path);
        return bind ? bind_device(parent, name, d, err) : make_device(parent, name, d, err);
}

int devices_create(int rootfd, const struct spec_device *devices, size_t n, bool bind, nook_err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                bool overridden = false;
                for (size_t j = 0; j < n && !overridden; j++)
                        overridden = strcmp(devices[j].path, default_devices[i].path) == 0;
                if (overridden)
                        continue;
                int ret = create_one(rootfd, &default_devices[i], bind, err);
                if (ret < 0)
                        return ret;
        }
        for (size_t i = 0; i < n; i++) {
                int ret = create_one(rootfd, &devices[i], bind, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int devices_check_host(const struct spec_device *devices, size_t n, nook_err *err)
{
        for (size_t i = 0; i < n; i++) {
                const struct spec_device *d = &devices[i];
                struct stat st;
                if (stat(d->path, &st) < 0)
                        return nook_error_errno(err, "linux.devices[%zu]: `%s` on the host (bound from there in a user "
                                                     "namespace)", i, d->path);
                mode_t want = device_mode(d) & S_IFMT;
                if ((st.st_mode & S_IFMT) != want)
                        return nook_error(err, EINVAL, "linux.devices[%zu]: `%s` on the host is not a %s", i, d->path,
                                          want == S_IFBLK ? "block device" : want == S_IFIFO ? "fifo"
                                                                                              : "character device");
        }
        return 0;
}

int devices_create_symlinks(int rootfd, nook_err *err)
{
        static const struct {
                const char *target, *name;
        } links[] = {
                { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
                { "/proc/self/fd/2", "stderr" }, { "/proc/kcore", "core" },      { "pts/ptmx", "ptmx" },
        };
        _cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, CREATE_DIR, err);
        if (dev < 0)
                return dev;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                if (strcmp(links[i].name, "ptmx") == 0)
                        unlinkat(dev, "ptmx", 0);
                if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
                        return nook_error_errno(err, "symlink `/dev/%s`", links[i].name);
        }
        return 0;
}
