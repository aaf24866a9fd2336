/* linux.resources into the cgroup: which hierarchy carries each controller
 * (a v1 hierarchy that mounts it, else the cgroup2 one when it offers it: on a
 * hybrid host both kinds are used), and the file helpers whose errors name the
 * field, the controller and the file. The writers are in cgroup_v1.c and
 * cgroup_v2.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

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
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", h->path, file);
        return access(path, F_OK) == 0;
}

int cgroup_open_file(const struct cgroup_hierarchy *h, const char *field, const char *file, nook_err *err)
{
        char path[4200], controller[128];
        snprintf(path, sizeof(path), "%s/%s", h->path, file);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0)
                return fd;
        int saved = errno;
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
        char value[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(value, sizeof(value), fmt, ap);
        va_end(ap);
        return cgroup_write(h, field, file, value, err);
}

int cgroup_read(const struct cgroup_hierarchy *h, const char *file, char **out, nook_err *err)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", h->path, file);
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
        size_t len = strlen(controller);
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (h->v2)
                        continue;
                for (const char *p = h->controllers; *p != '\0';) {
                        size_t n = strcspn(p, ",");
                        if (n == len && strncmp(p, controller, len) == 0)
                                return h;
                        p += n;
                        if (*p == ',')
                                p++;
                }
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
        if (cgroup_read(h, "cgroup.controllers", &text, NULL) < 0)
                return false;
        size_t len = strlen(controller);
        for (char *p = text; *p != '\0';) {
                size_t n = strcspn(p, " \n");
                if (n == len && strncmp(p, controller, len) == 0)
                        return true;
                p += n;
                p += strspn(p, " \n");
        }
        return false;
}

/* ---- what each resource needs ---- */

static bool wants_cpuset(const struct spec_resources *r)
{
        return (r->cpu.cpus != NULL && r->cpu.cpus[0] != '\0') || (r->cpu.mems != NULL && r->cpu.mems[0] != '\0');
}

static bool wants_cpu(const struct spec_resources *r)
{
        return r->cpu.shares.set || r->cpu.quota.set || r->cpu.period.set || r->cpu.burst.set ||
               r->cpu.realtime_runtime.set || r->cpu.realtime_period.set || r->cpu.idle.set;
}

static bool wants_memory(const struct spec_resources *r)
{
        return r->memory.limit.set || r->memory.reservation.set || r->memory.swap.set || r->memory.kernel.set ||
               r->memory.kernel_tcp.set || r->memory.swappiness.set || r->memory.disable_oom_killer.set ||
               r->memory.use_hierarchy.set;
}

static bool wants_pids(const struct spec_resources *r)
{
        return r->pids_limit.set;
}

static bool wants_blkio(const struct spec_resources *r)
{
        return r->block_io.weight.set || r->block_io.leaf_weight.set || r->block_io.weight_device.len > 0 ||
               r->block_io.throttle_read_bps.len > 0 || r->block_io.throttle_write_bps.len > 0 ||
               r->block_io.throttle_read_iops.len > 0 || r->block_io.throttle_write_iops.len > 0;
}

static bool wants_hugetlb(const struct spec_resources *r)
{
        return r->hugepage_limits.len > 0;
}

static bool wants_net_cls(const struct spec_resources *r)
{
        return r->network.class_id.set;
}

static bool wants_net_prio(const struct spec_resources *r)
{
        return r->network.priorities.len > 0;
}

static bool wants_devices(const struct spec_resources *r)
{
        return r->devices.len > 0;
}

/* In the order they are written: cpuset before memory (mems), unified last so that it overrides. */
static const struct controller {
        const char *v1, *v2; /* controller names; NULL: the version has none */
        const char *field;   /* what errors name */
        bool (*wanted)(const struct spec_resources *r);
        cgroup_apply_fn apply_v1, apply_v2;
} controllers[] = {
        { "cpuset", "cpuset", OCI_RESOURCES "cpu.cpus/mems", wants_cpuset, cgroup_v1_apply_cpuset,
          cgroup_v2_apply_cpuset },
        { "cpu", "cpu", OCI_RESOURCES "cpu", wants_cpu, cgroup_v1_apply_cpu, cgroup_v2_apply_cpu },
        { "memory", "memory", OCI_RESOURCES "memory", wants_memory, cgroup_v1_apply_memory, cgroup_v2_apply_memory },
        { "pids", "pids", OCI_RESOURCES "pids", wants_pids, cgroup_v1_apply_pids, cgroup_v2_apply_pids },
        { "blkio", "io", OCI_RESOURCES "blockIO", wants_blkio, cgroup_v1_apply_blkio, cgroup_v2_apply_io },
        { "hugetlb", "hugetlb", OCI_RESOURCES "hugepageLimits", wants_hugetlb, cgroup_v1_apply_hugetlb,
          cgroup_v2_apply_hugetlb },
        { "net_cls", NULL, OCI_RESOURCES "network.classID", wants_net_cls, cgroup_v1_apply_net_cls, NULL },
        { "net_prio", NULL, OCI_RESOURCES "network.priorities", wants_net_prio, cgroup_v1_apply_net_prio, NULL },
        /* A cgroup2 device program needs no controller: "" matches any cgroup2 directory. */
        { "devices", "", OCI_RESOURCES "devices", wants_devices, cgroup_v1_apply_devices, cgroup_v2_apply_devices },
};

static int apply(struct cgroup *cg, const struct spec_resources *r, bool update, nook_err *err)
{
        const struct cgroup_hierarchy *v2 = cgroup_v2_hierarchy(cg);
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
                const struct controller *c = &controllers[i];
                if (!c->wanted(r))
                        continue;
                const struct cgroup_hierarchy *h = cgroup_v1_hierarchy(cg, c->v1);
                int ret;
                if (h != NULL)
                        ret = c->apply_v1(h, r, update, err);
                else if (v2 != NULL && c->v2 != NULL && (c->v2[0] == '\0' || cgroup_v2_has_controller(v2, c->v2)))
                        ret = c->apply_v2(v2, r, update, err);
                else if (v2 != NULL && c->v2 != NULL)
                        ret = nook_error(err, ENOTSUP,
                                         "%s: the %s controller is not available: no v1 hierarchy mounts it and "
                                         "`%s/cgroup.controllers` does not list %s",
                                         c->field, c->v1, v2->path, c->v2);
                else
                        ret = nook_error(err, ENOTSUP,
                                         "%s: the %s controller is not available: no v1 hierarchy "
                                         "mounts it%s",
                                         c->field, c->v1, v2 != NULL ? " and cgroup2 has no equivalent" : "");
                if (ret < 0)
                        return ret;
        }
        if (r->unified.len > 0) {
                if (v2 == NULL)
                        return nook_error(err, ENOTSUP, OCI_RESOURCES "unified: this host has no cgroup2 hierarchy");
                int ret = cgroup_v2_apply_unified(v2, r, update, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cgroup_apply(struct cgroup *cg, const struct spec_resources *r, nook_err *err)
{
        return apply(cg, r, false, err);
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *r, nook_err *err)
{
        return apply(cg, r, true, err);
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
