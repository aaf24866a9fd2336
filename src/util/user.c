#define _GNU_SOURCE
#include "util/user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* The uid field of a passwd line ("name:password:uid:gid:gecos:home:shell"), or -1. */
static long long passwd_uid(const char *line)
{
        const char *name_end = strchr(line, ':');
        const char *uid_field = name_end != NULL ? strchr(name_end + 1, ':') : NULL;
        if (uid_field == NULL)
                return -1;
        char *end;
        errno = 0;
        unsigned long long value = strtoull(uid_field + 1, &end, 10);
        if (*end != ':' || end == uid_field + 1 || errno != 0 || value > (uid_t)-1)
                return -1;
        return (long long)value;
}

char *user_name(uid_t uid)
{
        _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (f != NULL && getline(&line, &cap, f) > 0)
                if (passwd_uid(line) == uid)
                        return strndup(line, strcspn(line, ":"));
        char *out = NULL;
        if (asprintf(&out, "%u", uid) < 0)
                return NULL;
        return out;
}

/* The sixth field of a passwd line, as a heap string; NULL when empty or missing. */
static char *passwd_home(const char *line)
{
        const char *field = line;
        for (int i = 0; i < 5; i++) {
                field = strchr(field, ':');
                if (field == NULL)
                        return NULL;
                field++;
        }
        size_t len = strcspn(field, ":\n");
        return len > 0 ? strndup(field, len) : NULL;
}

int user_home_in_root(int rootfd, uid_t uid, char **home, nook_err *err)
{
        *home = NULL;
        _cleanup_error_ nook_err local = NULL;
        /* O_NONBLOCK: a FIFO planted there must not hold us; it is refused below. */
        _cleanup_close_ int fd = open_in_root(rootfd, "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY, CREATE_NONE,
                                              &local);
        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0;
        if (fd < 0) {
                *err = steal_pointer(&local);
                return fd;
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return nook_error_errno(err, "stat `/etc/passwd` inside the rootfs");
        if (!S_ISREG(st.st_mode))
                return nook_error(err, EINVAL, "`/etc/passwd` inside the rootfs is not a regular file");
        /* By lines through a small buffer: the init runs in the container's cgroup and must
         * not need memory in proportion to the file. Longer lines are skipped. */
        char buf[4096];
        size_t used = 0, total = 0;
        bool skipping = false;
        for (;;) {
                ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nook_error_errno(err, "read `/etc/passwd` inside the rootfs");
                total += (size_t)n;
                if (total > USER_PASSWD_MAX)
                        return nook_error(err, EFBIG, "`/etc/passwd` inside the rootfs is larger than %u MiB",
                                          USER_PASSWD_MAX >> 20);
                used += (size_t)n;
                buf[used] = '\0';
                char *line = buf, *newline;
                while ((newline = memchr(line, '\n', used - (size_t)(line - buf))) != NULL || (n == 0 && *line)) {
                        if (newline != NULL)
                                *newline = '\0';
                        if (!skipping && passwd_uid(line) == uid) {
                                *home = passwd_home(line);
                                return 0;
                        }
                        skipping = false;
                        line = newline != NULL ? newline + 1 : buf + used;
                }
                if (n == 0)
                        return 0;
                used -= (size_t)(line - buf);
                memmove(buf, line, used);
                if (used == sizeof(buf) - 1) {
                        /* A line longer than the buffer: not a passwd entry; drop it to its end. */
                        used = 0;
                        skipping = true;
                }
        }
}
