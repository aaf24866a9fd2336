#define _GNU_SOURCE
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int read_all_fd(int fd, char **out, size_t *len, nook_err *err)
{
        size_t cap = 4096, n = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (buf == NULL)
                return nook_error(err, ENOMEM, "read");
        for (;;) {
                if (n + 1 >= cap) {
                        char *bigger = realloc(buf, cap * 2);
                        if (bigger == NULL)
                                return nook_error(err, ENOMEM, "read");
                        buf = bigger;
                        cap *= 2;
                }
                ssize_t r = read(fd, buf + n, cap - n - 1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return nook_error_errno(err, "read");
                }
                if (r == 0)
                        break;
                n += r;
        }
        buf[n] = '\0';
        if (len != NULL)
                *len = n;
        *out = steal_pointer(&buf);
        return 0;
}

int read_file_at(int dirfd, const char *path, char **out, size_t *len, nook_err *err)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `%s`", path);
        int ret = read_all_fd(fd, out, len, err);
        if (ret < 0)
                return nook_error_wrap(err, "`%s`", path);
        return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, nook_err *err)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `%s`", path);
        ssize_t w = write(fd, data, len);
        if (w < 0)
                return nook_error_errno(err, "write `%s` to `%s`", data, path);
        if ((size_t)w != len)
                return nook_error(err, EIO, "short write to `%s`", path);
        return 0;
}

int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode, nook_err *err)
{
        /* The temporary file sits next to the target, so that rename is atomic. */
        char tmp[4200];
        const char *slash = strrchr(name, '/');
        if (slash != NULL)
                snprintf(tmp, sizeof(tmp), "%.*s/.%s.%d", (int)(slash - name), name, slash + 1, getpid());
        else
                snprintf(tmp, sizeof(tmp), ".%s.%d", name, getpid());
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return nook_error_errno(err, "create `%s`", tmp);
        ssize_t w = write(fd, data, len);
        if (w < 0 || (size_t)w != len) {
                int ret = nook_error(err, w < 0 ? errno : EIO, "write `%s`", tmp);
                unlinkat(dirfd, tmp, 0);
                return ret;
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int ret = nook_error_errno(err, "rename `%s` to `%s`", tmp, name);
                unlinkat(dirfd, tmp, 0);
                return ret;
        }
        return 0;
}

int mkdir_p(const char *path, mode_t mode, nook_err *err)
{
        _cleanup_free_ char *copy = strdup(path);
        if (copy == NULL)
                return nook_error(err, ENOMEM, "mkdir `%s`", path);
        for (char *p = copy + 1; *p != '\0'; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, mode) < 0 && errno != EEXIST)
                        return nook_error_errno(err, "mkdir `%s`", copy);
                *p = '/';
        }
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
                return nook_error_errno(err, "mkdir `%s`", copy);
        return 0;
}

const char *fd_path(int fd, char *buf, size_t size)
{
        snprintf(buf, size, "/proc/self/fd/%d", fd);
        return buf;
}

static int openat2_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (unsigned)flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        for (int attempt = 0; attempt < 16; attempt++) {
                long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
                if (fd >= 0)
                        return (int)fd;
                /* EAGAIN: a rename raced with ".." resolution; the kernel asks us to retry. */
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

/* Creates the missing components of path one at a time, each inside an
 * already-resolved parent fd, so that no symlink is ever followed out of root. */
static int create_missing(int rootfd, const char *path, enum create_kind kind)
{
        _cleanup_free_ char *copy = strdup(path);
        if (copy == NULL)
                return -ENOMEM;
        _cleanup_close_ int parent = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
        if (parent < 0)
                return parent;
        char *p = copy;
        while (*p != '\0') {
                while (*p == '/')
                        p++;
                if (*p == '\0')
                        break;
                char *end = strchr(p, '/');
                bool last = true;
                if (end != NULL) {
                        *end = '\0';
                        last = end[1 + strspn(end + 1, "/")] == '\0';
                }
                /* copy[0..end) is the prefix that includes this component. */
                int fd = openat2_in_root(rootfd, copy, O_PATH);
                if (fd == -ENOENT) {
                        int r;
                        if (last && kind == CREATE_FILE) {
                                r = openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (r >= 0)
                                        close(r);
                        } else {
                                r = mkdirat(parent, p, 0755);
                        }
                        if (r < 0 && errno != EEXIST)
                                return -errno;
                        fd = openat2_in_root(rootfd, copy, O_PATH);
                }
                if (fd < 0)
                        return fd;
                close(parent);
                parent = fd;
                if (end == NULL)
                        break;
                *end = '/';
                p = end + 1;
        }
        return 0;
}

int open_in_root(int rootfd, const char *path, int flags, enum create_kind kind, nook_err *err)
{
        if (flags == 0)
                flags = O_PATH;
        int fd = openat2_in_root(rootfd, path, flags);
        if (fd == -ENOENT && kind != CREATE_NONE) {
                int r = create_missing(rootfd, path, kind);
                if (r < 0)
                        return nook_error(err, -r, "create `%s` inside the rootfs", path);
                fd = openat2_in_root(rootfd, path, flags);
        }
        if (fd < 0)
                return nook_error(err, -fd, "open `%s` inside the rootfs", path);
        return fd;
}
