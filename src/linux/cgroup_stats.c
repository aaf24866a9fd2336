/* What a container's cgroup has used, in the shape of runc's `events --stats`
 * (libcontainer/cgroups/stats.go), from v1 or cgroup2 files; and the OOM
 * notifications (v1 eventfd on memory.oom_control, cgroup2 memory.events). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The hierarchy of a v1 controller, else cgroup2 when it has v2_file (stats need no enabled controller). */
static const struct cgroup_hierarchy *stats_hierarchy(const struct cgroup *cg, const char *v1, const char *v2_file)
{
        const struct cgroup_hierarchy *h = cgroup_v1_hierarchy(cg, v1);
        if (h != NULL)
                return h;
        h = cgroup_v2_hierarchy(cg);
        return h != NULL && v2_file != NULL && cgroup_has_file(h, v2_file) ? h : NULL;
}

static uint64_t read_u64(const struct cgroup_hierarchy *h, const char *file)
{
        int64_t v = 0;
        if (cgroup_read_i64(h, file, &v, NULL) < 0)
                return 0;
        return v < 0 ? UINT64_MAX : (uint64_t)v;
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
        json_object_object_add(o, key, json_object_new_uint64(v));
}

/* A flat keyed file ("memory.stat") as a JSON object of numbers. */
static json_object *keyed_file(const struct cgroup_hierarchy *h, const char *file)
{
        json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (cgroup_read(h, file, &text, NULL) < 0)
                return o;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
                char *space = strchr(line, ' ');
                if (space == NULL)
                        continue;
                *space = '\0';
                add_u64(o, line, strtoull(space + 1, NULL, 10));
        }
        return o;
}

static uint64_t keyed(const char *text, const char *key)
{
        int64_t v = text != NULL ? cgroup_keyed_value(text, key) : -1;
        return v < 0 ? 0 : (uint64_t)v;
}

/* ---- cpu ---- */

static json_object *cpu_stats(const struct cgroup *cg)
{
        json_object *cpu = json_object_new_object(), *usage = json_object_new_object();
        json_object *throttling = json_object_new_object();
        json_object_object_add(cpu, "usage", usage);
        json_object_object_add(cpu, "throttling", throttling);
        const struct cgroup_hierarchy *acct = cgroup_v1_hierarchy(cg, "cpuacct");
        _cleanup_free_ char *stat = NULL;
        if (acct != NULL) {
                add_u64(usage, "total", read_u64(acct, "cpuacct.usage"));
                json_object *percpu = json_object_new_array();
                _cleanup_free_ char *text = NULL;
                if (cgroup_read(acct, "cpuacct.usage_percpu", &text, NULL) == 0) {
                        char *save = NULL;
                        for (char *t = strtok_r(text, " \n", &save); t != NULL; t = strtok_r(NULL, " \n", &save))
                                json_object_array_add(percpu, json_object_new_uint64(strtoull(t, NULL, 10)));
                }
                json_object_object_add(usage, "percpu", percpu);
                /* cpuacct.stat counts clock ticks. */
                _cleanup_free_ char *ticks = NULL;
                long hz = sysconf(_SC_CLK_TCK);
                if (cgroup_read(acct, "cpuacct.stat", &ticks, NULL) == 0 && hz > 0) {
                        add_u64(usage, "kernel", keyed(ticks, "system") * (1000000000ULL / (uint64_t)hz));
                        add_u64(usage, "user", keyed(ticks, "user") * (1000000000ULL / (uint64_t)hz));
                }
        }
        const struct cgroup_hierarchy *h = stats_hierarchy(cg, "cpu", "cpu.stat");
        if (h != NULL)
                cgroup_read(h, "cpu.stat", &stat, NULL);
        if (h != NULL && h->v2) {
                add_u64(usage, "total", keyed(stat, "usage_usec") * 1000);
                add_u64(usage, "kernel", keyed(stat, "system_usec") * 1000);
                add_u64(usage, "user", keyed(stat, "user_usec") * 1000);
                add_u64(throttling, "throttled_time", keyed(stat, "throttled_usec") * 1000);
        } else if (h != NULL) {
                add_u64(throttling, "throttled_time", keyed(stat, "throttled_time"));
        }
        add_u64(throttling, "periods", keyed(stat, "nr_periods"));
        add_u64(throttling, "throttled_periods", keyed(stat, "nr_throttled"));
        return cpu;
}

/* ---- memory ---- */

static json_object *memory_entry(uint64_t usage, uint64_t max, uint64_t limit, uint64_t failcnt)
{
        json_object *o = json_object_new_object();
        add_u64(o, "usage", usage);
        add_u64(o, "max_usage", max);
        add_u64(o, "failcnt", failcnt);
        add_u64(o, "limit", limit);
        return o;
}

static json_object *memory_stats(const struct cgroup *cg)
{
        json_object *memory = json_object_new_object();
        const struct cgroup_hierarchy *h = stats_hierarchy(cg, "memory", "memory.current");
        if (h == NULL)
                return memory;
        json_object *raw = keyed_file(h, "memory.stat");
        json_object *cache = NULL;
        if (h->v2) {
                uint64_t usage = read_u64(h, "memory.current"), limit = read_u64(h, "memory.max");
                _cleanup_free_ char *events = NULL;
                cgroup_read(h, "memory.events", &events, NULL);
                json_object_object_add(memory, "usage",
                                       memory_entry(usage, read_u64(h, "memory.peak"), limit, keyed(events, "max")));
                /* v1's memsw counted memory+swap: keep that meaning. */
                if (cgroup_has_file(h, "memory.swap.current")) {
                        uint64_t swap_limit = read_u64(h, "memory.swap.max");
                        json_object_object_add(memory, "swap",
                                               memory_entry(usage + read_u64(h, "memory.swap.current"), 0,
                                                            swap_limit == UINT64_MAX || limit == UINT64_MAX
                                                                    ? UINT64_MAX
                                                                    : swap_limit + limit,
                                                            0));
                }
                json_object_object_get_ex(raw, "file", &cache);
        } else {
                json_object_object_add(
                        memory, "usage",
                        memory_entry(read_u64(h, "memory.usage_in_bytes"), read_u64(h, "memory.max_usage_in_bytes"),
                                     read_u64(h, "memory.limit_in_bytes"), read_u64(h, "memory.failcnt")));
                if (cgroup_has_file(h, "memory.memsw.usage_in_bytes"))
                        json_object_object_add(memory, "swap",
                                               memory_entry(read_u64(h, "memory.memsw.usage_in_bytes"),
                                                            read_u64(h, "memory.memsw.max_usage_in_bytes"),
                                                            read_u64(h, "memory.memsw.limit_in_bytes"),
                                                            read_u64(h, "memory.memsw.failcnt")));
                json_object_object_get_ex(raw, "cache", &cache);
        }
        add_u64(memory, "cache", cache != NULL ? json_object_get_uint64(cache) : 0);
        json_object_object_add(memory, "raw", raw);
        return memory;
}

/* ---- pids ---- */

static json_object *pids_stats(const struct cgroup *cg)
{
        json_object *pids = json_object_new_object();
        const struct cgroup_hierarchy *h = stats_hierarchy(cg, "pids", "pids.current");
        if (h == NULL)
                return pids;
        add_u64(pids, "current", read_u64(h, "pids.current"));
        uint64_t limit = read_u64(h, "pids.max");
        add_u64(pids, "limit", limit == UINT64_MAX ? 0 : limit);
        return pids;
}

/* ---- blkio ---- */

static void add_blkio_entry(json_object *list, unsigned major, unsigned minor, const char *op, uint64_t value)
{
        json_object *e = json_object_new_object();
        add_u64(e, "major", major);
        add_u64(e, "minor", minor);
        json_object_object_add(e, "op", json_object_new_string(op));
        add_u64(e, "value", value);
        json_object_array_add(list, e);
}

/* v1 "8:0 Read 4096" lines. */
static bool parse_v1_blkio(const char *text, json_object *list)
{
        bool any = false;
        for (const char *p = text; p != NULL && *p != '\0';) {
                unsigned major, minor;
                char op[16];
                unsigned long long value;
                if (sscanf(p, "%u:%u %15s %llu", &major, &minor, op, &value) == 4) {
                        add_blkio_entry(list, major, minor, op, value);
                        any = true;
                }
                p = strchr(p, '\n');
                if (p != NULL)
                        p++;
        }
        return any;
}

static json_object *blkio_stats(const struct cgroup *cg)
{
        json_object *blkio = json_object_new_object();
        json_object *bytes = json_object_new_array(), *ios = json_object_new_array();
        json_object_object_add(blkio, "ioServiceBytesRecursive", bytes);
        json_object_object_add(blkio, "ioServicedRecursive", ios);
        const struct cgroup_hierarchy *h = stats_hierarchy(cg, "blkio", "io.stat");
        if (h == NULL)
                return blkio;
        if (!h->v2) {
                /* bfq's counters when the devices use bfq, else the throttling layer's. */
                static const char *const sources[][2] = {
                        { "blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive" },
                        { "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive" },
                };
                for (size_t i = 0; i < ARRAY_SIZE(sources); i++) {
                        _cleanup_free_ char *b = NULL, *s = NULL;
                        cgroup_read(h, sources[i][0], &b, NULL);
                        cgroup_read(h, sources[i][1], &s, NULL);
                        bool any = parse_v1_blkio(b, bytes);
                        any |= parse_v1_blkio(s, ios);
                        if (any)
                                break;
                }
                return blkio;
        }
        _cleanup_free_ char *text = NULL;
        cgroup_read(h, "io.stat", &text, NULL);
        char *save = NULL;
        for (char *line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
                unsigned major, minor;
                if (sscanf(line, "%u:%u", &major, &minor) != 2)
                        continue;
                unsigned long long rbytes = 0, wbytes = 0, rios = 0, wios = 0;
                for (char *f = strchr(line, ' '); f != NULL; f = strchr(f + 1, ' ')) {
                        sscanf(f + 1, "rbytes=%llu", &rbytes);
                        sscanf(f + 1, "wbytes=%llu", &wbytes);
                        sscanf(f + 1, "rios=%llu", &rios);
                        sscanf(f + 1, "wios=%llu", &wios);
                }
                add_blkio_entry(bytes, major, minor, "Read", rbytes);
                add_blkio_entry(bytes, major, minor, "Write", wbytes);
                add_blkio_entry(ios, major, minor, "Read", rios);
                add_blkio_entry(ios, major, minor, "Write", wios);
        }
        return blkio;
}

/* ---- hugetlb ---- */

static json_object *hugetlb_stats(const struct cgroup *cg)
{
        json_object *hugetlb = json_object_new_object();
        const struct cgroup_hierarchy *h = cgroup_v1_hierarchy(cg, "hugetlb");
        if (h == NULL && (h = cgroup_v2_hierarchy(cg)) != NULL && !cgroup_v2_has_controller(h, "hugetlb"))
                h = NULL;
        _cleanup_closedir_ DIR *d = h != NULL ? opendir("/sys/kernel/mm/hugepages") : NULL;
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
                unsigned long kb;
                if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
                        continue;
                char size[32], file[96];
                if (kb >= 1024 * 1024)
                        snprintf(size, sizeof(size), "%luGB", kb / (1024 * 1024));
                else if (kb >= 1024)
                        snprintf(size, sizeof(size), "%luMB", kb / 1024);
                else
                        snprintf(size, sizeof(size), "%luKB", kb);
                json_object *o = json_object_new_object();
                if (h->v2) {
                        snprintf(file, sizeof(file), "hugetlb.%s.current", size);
                        add_u64(o, "usage", read_u64(h, file));
                        snprintf(file, sizeof(file), "hugetlb.%s.events", size);
                        _cleanup_free_ char *events = NULL;
                        cgroup_read(h, file, &events, NULL);
                        add_u64(o, "failcnt", keyed(events, "max"));
                } else {
                        snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", size);
                        add_u64(o, "usage", read_u64(h, file));
                        snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
                        add_u64(o, "max_usage", read_u64(h, file));
                        snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
                        add_u64(o, "failcnt", read_u64(h, file));
                }
                json_object_object_add(hugetlb, size, o);
        }
        return hugetlb;
}

int cgroup_stats(const struct cgroup *cg, json_object **out, nook_err *err)
{
        (void)err;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "cpu", cpu_stats(cg));
        json_object_object_add(o, "memory", memory_stats(cg));
        json_object_object_add(o, "pids", pids_stats(cg));
        json_object_object_add(o, "blkio", blkio_stats(cg));
        json_object_object_add(o, "hugetlb", hugetlb_stats(cg));
        *out = o;
        return 0;
}

/* ---- OOM ---- */

int64_t cgroup_oom_kills(const struct cgroup *cg)
{
        const struct cgroup_hierarchy *h = cgroup_v1_hierarchy(cg, "memory");
        const char *file = "memory.oom_control";
        if (h == NULL) {
                h = cgroup_v2_hierarchy(cg);
                file = "memory.events";
        }
        _cleanup_free_ char *text = NULL;
        if (h == NULL || cgroup_read(h, file, &text, NULL) < 0)
                return 0;
        int64_t n = cgroup_keyed_value(text, "oom_kill");
        return n > 0 ? n : 0;
}

int cgroup_oom_watch_open(const struct cgroup *cg, struct cgroup_oom_watch *w, nook_err *err)
{
        w->fd = w->source_fd = -1;
        w->count = 0;
        w->v2 = false;
        const struct cgroup_hierarchy *h = cgroup_v1_hierarchy(cg, "memory");
        if (h != NULL) {
                /* v1: an eventfd registered for memory.oom_control through cgroup.event_control. */
                _cleanup_free_ char *source = path_join(h->path, "memory.oom_control");
                _cleanup_free_ char *control = path_join(h->path, "cgroup.event_control");
                if (source == NULL || control == NULL)
                        return nook_error(err, ENOMEM, "events");
                w->source_fd = open(source, O_RDONLY | O_CLOEXEC);
                if (w->source_fd < 0)
                        return nook_error_errno(err, "events: open `%s`", source);
                w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (w->fd < 0)
                        return nook_error_errno(err, "events: eventfd");
                char line[64];
                snprintf(line, sizeof(line), "%d %d", w->fd, w->source_fd);
                return write_file_at(AT_FDCWD, control, line, strlen(line), err);
        }
        h = cgroup_v2_hierarchy(cg);
        if (h == NULL || !cgroup_has_file(h, "memory.events"))
                return nook_error(err, ENOTSUP, "events: no memory controller tells about OOM here");
        /* cgroup2: memory.events changes with POLLPRI; its oom_kill counter says how many. */
        _cleanup_free_ char *path = path_join(h->path, "memory.events");
        if (path == NULL)
                return nook_error(err, ENOMEM, "events");
        w->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (w->fd < 0)
                return nook_error_errno(err, "events: open `%s`", path);
        w->v2 = true;
        return cgroup_oom_watch_read(w, err) < 0 ? nook_error_ret(*err) : 0;
}

int cgroup_oom_watch_read(struct cgroup_oom_watch *w, nook_err *err)
{
        if (!w->v2) {
                uint64_t n = 0;
                if (read(w->fd, &n, sizeof(n)) < 0)
                        return errno == EAGAIN ? 0 : nook_error_errno(err, "events: read the OOM eventfd");
                return (int)n;
        }
        char buf[1024];
        ssize_t len = pread(w->fd, buf, sizeof(buf) - 1, 0);
        if (len < 0)
                return nook_error_errno(err, "events: read `memory.events`");
        buf[len] = '\0';
        int64_t now = cgroup_keyed_value(buf, "oom_kill");
        if (now < 0)
                now = 0;
        int fresh = (int)(now - w->count);
        w->count = now;
        return fresh > 0 ? fresh : 0;
}

short cgroup_oom_watch_events(const struct cgroup_oom_watch *w)
{
        return w->v2 ? POLLPRI : POLLIN;
}

void cgroup_oom_watch_close(struct cgroup_oom_watch *w)
{
        if (w->fd >= 0)
                close(w->fd);
        if (w->source_fd >= 0)
                close(w->source_fd);
        w->fd = w->source_fd = -1;
}
