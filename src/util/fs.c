#define _GNU_SOURCE
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
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

/* The temporary file sits next to the target, so that rename is atomic. */
static char *staged_name(const char *name)
{
        char *tmp = NULL;
        const char *slash = strrchr(name, '/');
        int n = slash != NULL ? asprintf(&tmp, "%.*s/.%s.%d", (int)(slash - name), name, slash + 1, getpid())
                              : asprintf(&tmp, ".%s.%d", name, getpid());
        return n < 0 ? NULL : tmp;
}

int write_file_staged(int dirfd, const char *name, const char *data, size_t len, mode_t mode, nook_err *err)
{
        _cleanup_free_ char *tmp = staged_name(name);
        if (tmp == NULL)
                return nook_error(err, ENOMEM, "write `%s`", name);
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return nook_error_errno(err, "create `%s`", tmp);
        ssize_t w = write(fd, data, len);
        if (w < 0 || (size_t)w != len) {
                int ret = nook_error(err, w < 0 ? errno : EIO, "write `%s`", tmp);
                unlinkat(dirfd, tmp, 0);
                return ret;
        }
        return 0;
}

int write_file_commit(int dirfd, const char *name, nook_err *err)
{
        _cleanup_free_ char *tmp = staged_name(name);
        if (tmp == NULL)
                return nook_error(err, ENOMEM, "write `%s`", name);
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int ret = nook_error_errno(err, "rename `%s` to `%s`", tmp, name);
                unlinkat(dirfd, tmp, 0);
                return ret;
        }
        return 0;
}

int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode, nook_err *err)
{
        int ret = write_file_staged(dirfd, name, data, len, mode, err);
        return ret < 0 ? ret : write_file_commit(dirfd, name, err);
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

/* Creates the missing components of path inside root, resolving them the way
 * RESOLVE_IN_ROOT would: a symlink, dangling or not, is followed as if root were
 * "/" (an absolute target restarts at root, ".." stops at root), and what it
 * names is created. Each entry is made in a parent fd resolved inside root, by
 * a single-component call, so nothing is ever created outside it. */
static int create_missing(int rootfd, const char *path, enum create_kind kind)
{
        char resolved[PATH_MAX] = ""; /* symlink-free, from root; "" is root itself */
        char rest[PATH_MAX];         /* what is left to walk */
        if (strlen(path) >= sizeof(rest))
                return -ENAMETOOLONG;
        strcpy(rest, path);
        for (int links = 0;;) {
                char *p = rest + strspn(rest, "/");
                size_t len = strcspn(p, "/");
                if (len == 0)
                        return 0;
                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                char name[NAME_MAX + 1];
                memcpy(name, p, len);
                name[len] = '\0';
                memmove(rest, p + len, strlen(p + len) + 1);
                bool last = rest[strspn(rest, "/")] == '\0';
                if (strcmp(name, ".") == 0)
                        continue;
                if (strcmp(name, "..") == 0) {
                        char *slash = strrchr(resolved, '/');
                        *(slash != NULL ? slash : resolved) = '\0';
                        continue;
                }
                _cleanup_close_ int parent = openat2_in_root(rootfd, resolved[0] != '\0' ? resolved : "/",
                                                            O_PATH | O_DIRECTORY);
                if (parent < 0)
                        return parent;
                struct stat st;
                int found = fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW);
                if (found < 0 && errno != ENOENT)
                        return -errno;
                if (found == 0 && S_ISLNK(st.st_mode)) {
                        /* Walk the link's target in place of its name. */
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(parent, name, target, sizeof(target));
                        if (n < 0)
                                return -errno;
                        if (++links > 40)
                                return -ELOOP;
                        if ((size_t)n + 1 + strlen(rest) + 1 > sizeof(rest))
                                return -ENAMETOOLONG;
                        memmove(rest + n + 1, rest, strlen(rest) + 1);
                        memcpy(rest, target, (size_t)n);
                        rest[n] = '/';
                        if (target[0] == '/')
                                resolved[0] = '\0';
                        continue;
                }
                if (found < 0) {
                        int r;
                        if (last && kind == CREATE_FILE) {
                                r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (r >= 0)
                                        close(r);
                        } else {
                                r = mkdirat(parent, name, 0755);
                        }
                        if (r < 0 && errno != EEXIST)
                                return -errno;
                }
                size_t used = strlen(resolved);
                if (used + 1 + len + 1 > sizeof(resolved))
                        return -ENAMETOOLONG;
                resolved[used] = '/';
                strcpy(resolved + used + 1, name);
        }
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

int fd_move_above(int *fd, int min, nook_err *err)
{
        if (*fd < 0 || *fd >= min)
                return 0;
        int moved = fcntl(*fd, F_DUPFD_CLOEXEC, min);
        if (moved < 0)
                return nook_error_errno(err, "move fd %d", *fd);
        close(*fd);
        *fd = moved;
        return 0;
}

char *path_clean(const char *path)
{
        size_t len = strlen(path);
        char *out = malloc(len + 2);
        if (out == NULL)
                return NULL;
        bool absolute = path[0] == '/';
        size_t n = 0;  /* bytes of out in use */
        size_t floor = 0; /* out[0..floor) is what ".." cannot remove: "/" or leading "../" runs */
        if (absolute)
                out[n++] = '/', floor = 1;
        for (const char *p = path; *p != '\0';) {
                while (*p == '/')
                        p++;
                size_t c = strcspn(p, "/");
                if (c == 0 || (c == 1 && p[0] == '.')) {
                        p += c;
                        continue;
                }
                if (c == 2 && p[0] == '.' && p[1] == '.') {
                        p += c;
                        if (n > floor) {
                                while (n > floor && out[n - 1] != '/')
                                        n--;
                                if (n > floor)
                                        n--; /* the slash before the removed component */
                        } else if (!absolute) {
                                if (n > 0)
                                        out[n++] = '/';
                                memcpy(out + n, "..", 2);
                                n += 2;
                                floor = n;
                        }
                        continue;
                }
                if (n > 0 && out[n - 1] != '/')
                        out[n++] = '/';
                memcpy(out + n, p, c);
                n += c;
                p += c;
        }
        if (n == 0)
                out[n++] = '.';
        out[n] = '\0';
        return out;
}

char *path_join_parts(const char *first, ...)
{
        /* Two passes over the parts: the length, then the copy. */
        size_t len = 0;
        va_list ap;
        va_start(ap, first);
        for (const char *part = first; part != NULL; part = va_arg(ap, const char *))
                len += strlen(part) + 1;
        va_end(ap);
        char *out = malloc(len + 1);
        if (out == NULL)
                return NULL;
        size_t n = 0;
        va_start(ap, first);
        for (const char *part = first; part != NULL; part = va_arg(ap, const char *)) {
                if (n > 0) {
                        while (*part == '/')
                                part++;
                        if (*part == '\0')
                                continue;
                        while (n > 0 && out[n - 1] == '/')
                                n--;
                        out[n++] = '/';
                }
                size_t c = strlen(part);
                memcpy(out + n, part, c);
                n += c;
        }
        va_end(ap);
        out[n] = '\0';
        return out;
}

DIR *opendir_dup(int fd)
{
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return NULL;
        DIR *d = fdopendir(copy);
        if (d == NULL) {
                int saved = errno;
                close(copy);
                errno = saved;
        }
        return d;
}

/* The next component of *p ("" at the end), skipping slashes and "." components. */
static size_t next_component(const char **p)
{
        for (;;) {
                while (**p == '/')
                        (*p)++;
                size_t c = strcspn(*p, "/");
                if (c == 1 && (*p)[0] == '.') {
                        *p += 1;
                        continue;
                }
                return c;
        }
}

bool path_same(const char *a, const char *b)
{
        if ((a[0] == '/') != (b[0] == '/'))
                return false;
        for (;;) {
                size_t ca = next_component(&a), cb = next_component(&b);
                if (ca != cb || strncmp(a, b, ca) != 0)
                        return false;
                if (ca == 0)
                        return true;
                a += ca;
                b += cb;
        }
}
