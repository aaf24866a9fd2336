/* What the cgroup code of both versions shares (crun's cgroup-utils.c): the
 * files of the container's cgroup, read and written with errors that name the
 * field, the controller and the file; which hierarchy carries a controller;
 * the hugetlb writer and the device rules every container gets. A leaf below
 * cgroup.c, cgroup_resources.c, cgroup_v1.c, cgroup_v2.c, cgroup_v2_devices.c
 * and cgroup_stats.c, so that they never call each other in a circle. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/words.h"

/* ---- files ---- */

/* "memory" for "memory.max"; the v1 hierarchy's list for v1. */
static void controller_name(const struct cgroup_hierarchy *h, const char *file, char *buf, size_t size)
{
        if (!h->v2) {
                snprintf(buf, size, "%s", h->controllers);
                return;
        }
        size_t len = strcspn(file, ".");
        snprintf(buf, size, "%.*s", (int)len, file);
}

bool cgroup_has_file(const struct cgroup_hierarchy *h, const char *file)
{
        _cleanup_free_ char *path = path_join(h->path, file);
        return path != NULL && access(path, F_OK) == 0;
}

int cgroup_open_file(const struct cgroup_hierarchy *h, const char *field, const char *file, nook_err *err)
{
        _cleanup_free_ char *path = path_join(h->path, file);
        if (path == NULL)
                return nook_error(err, ENOMEM, "%s: open `%s`", field, file);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0)
                return fd;
        int saved = errno;
        char controller[128];
        controller_name(h, file, controller, sizeof(controller));
        if (saved == ENOENT)
                return nook_error(err, ENOTSUP, "%s: the %s controller has no file `%s` (in `%s`)", field, controller,
                                  file, h->path);
        return nook_error(err, saved, "%s: open `%s` (%s controller, `%s`)", field, file, controller, h->path);
}

int cgroup_write_fd(int fd, const struct cgroup_hierarchy *h, const char *field, const char *file, const char *value,
                    nook_err *err)
{
        size_t len = strlen(value);
        ssize_t w = write(fd, value, len);
        if (w >= 0 && (size_t)w == len)
                return 0;
        int saved = w < 0 ? errno : EIO;
        char controller[128];
        controller_name(h, file, controller, sizeof(controller));
        return nook_error(err, saved, "%s: %s `%s` (%s controller, `%s`) = \"%s\"", field,
                          w < 0 ? "write" : "short write to", file, controller, h->path, value);
}

int cgroup_write(const struct cgroup_hierarchy *h, const char *field, const char *file, const char *value,
                 nook_err *err)
{
        _cleanup_close_ int fd = cgroup_open_file(h, field, file, err);
        return fd < 0 ? fd : cgroup_write_fd(fd, h, field, file, value, err);
}

int cgroup_writef(const struct cgroup_hierarchy *h, const char *field, const char *file, nook_err *err, const char *fmt,
                  ...)
{
        _cleanup_free_ char *value = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&value, fmt, ap);
        va_end(ap);
        if (n < 0)
                return nook_error(err, ENOMEM, "%s: write `%s`", field, file);
        return cgroup_write(h, field, file, value, err);
}

int cgroup_read(const struct cgroup_hierarchy *h, const char *file, char **out, nook_err *err)
{
        _cleanup_free_ char *path = path_join(h->path, file);
        if (path == NULL)
                return nook_error(err, ENOMEM, "read `%s`", file);
        return read_file_at(AT_FDCWD, path, out, NULL, err);
}

int cgroup_read_i64(const struct cgroup_hierarchy *h, const char *file, int64_t *out, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        int ret = cgroup_read(h, file, &text, err);
        if (ret < 0)
                return ret;
        if (strncmp(text, "max", 3) == 0) {
                *out = -1;
                return 0;
        }
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno != 0 || end == text)
                return nook_error(err, EINVAL, "`%s/%s`: not a number: \"%s\"", h->path, file, text);
        /* v1 says "no limit" with the largest page-aligned value (9223372036854771712). */
        *out = v >= 0x7ffffffffffff000ULL ? -1 : (int64_t)v;
        return 0;
}

int64_t cgroup_keyed_value(const char *text, const char *key)
{
        size_t len = strlen(key);
        for (const char *p = text; p != NULL && *p != '\0';) {
                if (strncmp(p, key, len) == 0 && p[len] == ' ')
                        return strtoll(p + len + 1, NULL, 10);
                p = strchr(p, '\n');
                if (p != NULL)
                        p++;
        }
        return -1;
}

/* ---- which hierarchy ---- */

const struct cgroup_hierarchy *cgroup_v1_hierarchy(const struct cgroup *cg, const char *controller)
{
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (!h->v2 && words_contain(h->controllers, ",", controller))
                        return h;
        }
        return NULL;
}

const struct cgroup_hierarchy *cgroup_v2_hierarchy(const struct cgroup *cg)
{
        for (size_t i = 0; i < cg->n_hierarchies; i++)
                if (cg->hierarchies[i].v2)
                        return &cg->hierarchies[i];
        return NULL;
}

bool cgroup_v2_has_controller(const struct cgroup_hierarchy *h, const char *controller)
{
        _cleanup_free_ char *text = NULL;
        return cgroup_read(h, "cgroup.controllers", &text, NULL) == 0 && words_contain(text, " \n", controller);
}

/* ---- hugetlb, alike on both versions ---- */

bool cgroup_valid_page_size(const char *size)
{
        if (size == NULL || !isdigit((unsigned char)size[0]))
                return false;
        const char *p = size;
        while (isdigit((unsigned char)*p))
                p++;
        return (p[0] == 'K' || p[0] == 'M' || p[0] == 'G') && p[1] == 'B' && p[2] == '\0';
}

int cgroup_write_hugetlb(const struct cgroup_hierarchy *h, const struct spec_resources *r, const char *limit,
                         const char *rsvd, nook_err *err)
{
        for (size_t i = 0; i < r->hugepage_limits.len; i++) {
                const struct spec_hugepage_limit *l = &r->hugepage_limits.items[i];
                char field[64], file[96];
                snprintf(field, sizeof(field), OCI_RESOURCES "hugepageLimits[%zu]", i);
                if (!cgroup_valid_page_size(l->page_size))
                        return nook_error(err, EINVAL, "%s.pageSize: \"%s\" is not a page size like \"2MB\"", field,
                                          l->page_size);
                snprintf(file, sizeof(file), "hugetlb.%s.%s", l->page_size, limit);
                int ret = cgroup_writef(h, field, file, err, "%" PRIu64, l->limit);
                if (ret < 0)
                        return ret;
                /* Reservations (5.7+) get the same limit, so that they cannot overcommit it. */
                snprintf(file, sizeof(file), "hugetlb.%s.%s", l->page_size, rsvd);
                if (cgroup_has_file(h, file)) {
                        ret = cgroup_writef(h, field, file, err, "%" PRIu64, l->limit);
                        if (ret < 0)
                                return ret;
                }
        }
        return 0;
}

/* ---- devices ---- */

#define DEV(t, maj, min, acc)                                                                                          \
        {                                                                                                              \
                .allow = true, .type = t, .major = { (maj) >= 0, (maj) }, .minor = { (min) >= 0, (min) },              \
                .access = acc                                                                                          \
        }

/* runc's list: mknod of any node, and the nodes every container has. */
const struct spec_device_cgroup cgroup_default_devices[] = {
        DEV('c', -1, -1, "m"), DEV('b', -1, -1, "m"), DEV('c', 1, 3, "rwm"),    DEV('c', 1, 5, "rwm"),
        DEV('c', 1, 7, "rwm"), DEV('c', 1, 8, "rwm"), DEV('c', 1, 9, "rwm"),    DEV('c', 5, 0, "rwm"),
        DEV('c', 5, 1, "rwm"), DEV('c', 5, 2, "rwm"), DEV('c', 136, -1, "rwm"), DEV('c', 10, 200, "rwm"),
};
const size_t cgroup_n_default_devices = ARRAY_SIZE(cgroup_default_devices);
