/* linux.resources on the cgroup2 hierarchy, with the v1 → v2 conversions of
 * runc and crun (crun's docs/crun.1.md "CGROUP v2" table; the shares → weight
 * curve of opencontainers/cgroups and crun ≥ 1.23). A v1-only setting with no
 * cgroup2 meaning is refused, never dropped. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"

/* ---- conversions ---- */

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        /* A curve through (2, 1), (1024, 100) and (262144, 10000) in log space, so that
         * the v1 default (1024) lands on the v2 default (100); the older linear map
         * (1 + (shares - 2) * 9999 / 262142) made 1024 into 39. */
        double l = log2((double)shares);
        double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        return (uint64_t)ceil(pow(10, exponent));
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight)
{
        if (weight == 0)
                return 0;
        if (weight < 10)
                weight = 10;
        if (weight > 1000)
                weight = 1000;
        return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, nook_err *err)
{
        *out = 0;
        /* Unlimited memory and nothing said about swap: both unlimited, as on v1. */
        if (limit == -1 && swap == 0) {
                *out = -1;
                return 0;
        }
        if (swap == 0 || swap == -1) {
                *out = swap;
                return 0;
        }
        if (swap < 0)
                return nook_error(err, EINVAL, OCI_RESOURCES "memory.swap: %" PRId64 " is not a limit", swap);
        if (limit == 0 || limit == -1)
                return nook_error(err, EINVAL,
                                  OCI_RESOURCES "memory.swap: a swap limit needs a memory limit on cgroup2 "
                                                "(memory.swap.max = swap - limit)");
        if (swap < limit)
                return nook_error(err, EINVAL,
                                  OCI_RESOURCES "memory.swap: %" PRId64 " is below memory.limit %" PRId64
                                                " (swap counts memory+swap)",
                                  swap, limit);
        /* swap == limit: no swap at all. -2 stands for an explicit 0. */
        *out = swap - limit == 0 ? -2 : swap - limit;
        return 0;
}

/* "max" for -1. */
static const char *limit_string(int64_t v, char *buf, size_t size)
{
        if (v < 0)
                return "max";
        snprintf(buf, size, "%" PRId64, v);
        return buf;
}

/* ---- writers ---- */

int cgroup_v2_apply_cpuset(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        int ret = 0;
        if (r->cpu.cpus != NULL && r->cpu.cpus[0] != '\0')
                ret = cgroup_write(h, OCI_RESOURCES "cpu.cpus", "cpuset.cpus", r->cpu.cpus, err);
        if (ret == 0 && r->cpu.mems != NULL && r->cpu.mems[0] != '\0')
                ret = cgroup_write(h, OCI_RESOURCES "cpu.mems", "cpuset.mems", r->cpu.mems, err);
        return ret;
}

/* cpu.max is "QUOTA PERIOD" in one write; a half that is not given keeps its value. */
static int write_cpu_max(const struct cgroup_hierarchy *h, const struct spec_resources *r, nook_err *err)
{
        bool has_quota = r->cpu.quota.set && r->cpu.quota.value != 0;
        bool has_period = r->cpu.period.set && r->cpu.period.value != 0;
        char quota[32] = "max", period[32] = "";
        if (!has_quota || !has_period) {
                _cleanup_free_ char *current = NULL;
                int ret = cgroup_read(h, "cpu.max", &current, err);
                if (ret < 0)
                        return nook_error_wrap(err, OCI_RESOURCES "cpu");
                sscanf(current, "%31s %31s", quota, period);
        }
        if (has_quota && r->cpu.quota.value > 0)
                snprintf(quota, sizeof(quota), "%" PRId64, r->cpu.quota.value);
        else if (has_quota)
                strcpy(quota, "max");
        if (has_period)
                snprintf(period, sizeof(period), "%" PRIu64, r->cpu.period.value);
        return cgroup_writef(h, has_quota ? OCI_RESOURCES "cpu.quota" : OCI_RESOURCES "cpu.period", "cpu.max", err,
                             "%s %s", quota, period);
}

int cgroup_v2_apply_cpu(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        const __typeof__(r->cpu) *c = &r->cpu;
        if ((c->realtime_runtime.set && c->realtime_runtime.value != 0) ||
            (c->realtime_period.set && c->realtime_period.value != 0))
                return nook_error(err, ENOTSUP,
                                  OCI_RESOURCES "cpu.realtimeRuntime/realtimePeriod: cgroup2 has no realtime "
                                                "bandwidth (the cpu controller has no `cpu.rt_runtime_us`)");
        int ret;
        if (c->shares.set && c->shares.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.shares", "cpu.weight", err, "%" PRIu64,
                                    cgroup_shares_to_weight(c->shares.value));
                if (ret < 0)
                        return ret;
        }
        if (c->idle.set) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.idle", "cpu.idle", err, "%" PRId64, c->idle.value);
                if (ret < 0)
                        return ret;
        }
        bool max = (c->quota.set && c->quota.value != 0) || (c->period.set && c->period.value != 0);
        /* A burst above the old quota fails before the quota grows, one above the new
         * quota after it shrinks: try it first, and again after cpu.max. */
        bool burst_pending = false;
        if (c->burst.set) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.burst", "cpu.max.burst", err, "%" PRIu64, c->burst.value);
                if (ret == -EINVAL && max) {
                        nook_error_free(err);
                        burst_pending = true;
                } else if (ret < 0) {
                        return ret;
                }
        }
        if (max) {
                ret = write_cpu_max(h, r, err);
                if (ret < 0)
                        return ret;
        }
        if (burst_pending)
                return cgroup_writef(h, OCI_RESOURCES "cpu.burst", "cpu.max.burst", err, "%" PRIu64, c->burst.value);
        return 0;
}

/* The memory limit a swap value is relative to: the one given, else (update) the current one. */
static int memory_limit_for_swap(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                                 int64_t *limit, nook_err *err)
{
        *limit = r->memory.limit.set ? r->memory.limit.value : 0;
        if (*limit != 0 || !update || !r->memory.swap.set || r->memory.swap.value <= 0)
                return 0;
        return cgroup_read_i64(h, "memory.max", limit, err);
}

int cgroup_v2_apply_memory(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        const __typeof__(r->memory) *m = &r->memory;
        if (m->swappiness.set)
                return nook_error(err, ENOTSUP,
                                  OCI_RESOURCES "memory.swappiness: cgroup2 has no per-cgroup swappiness "
                                                "(the memory controller has no `memory.swappiness`)");
        if (m->disable_oom_killer.set && m->disable_oom_killer.value)
                return nook_error(err, ENOTSUP,
                                  OCI_RESOURCES "memory.disableOOMKiller: cgroup2 cannot turn the OOM killer "
                                                "off (the memory controller has no `memory.oom_control`)");
        if ((m->kernel.set && m->kernel.value != 0) || (m->kernel_tcp.set && m->kernel_tcp.value != 0))
                return nook_error(err, ENOTSUP,
                                  OCI_RESOURCES "memory.kernel/kernelTCP: cgroup2 has no separate kernel "
                                                "memory limit (the memory controller has no "
                                                "`memory.kmem.limit_in_bytes`)");
        if (m->use_hierarchy.set && !m->use_hierarchy.value)
                return nook_error(err, ENOTSUP, OCI_RESOURCES "memory.useHierarchy: cgroup2 is always hierarchical");
        int64_t limit = 0, swap = 0;
        int ret = memory_limit_for_swap(h, r, update, &limit, err);
        if (ret == 0)
                ret = cgroup_swap_to_v2(m->swap.set ? m->swap.value : 0, limit, &swap, err);
        if (ret < 0)
                return ret;
        if (update && m->check_before_update.set && m->check_before_update.value) {
                int64_t usage = 0;
                if (m->limit.set && m->limit.value > 0) {
                        ret = cgroup_read_i64(h, "memory.current", &usage, err);
                        if (ret < 0)
                                return nook_error_wrap(err, OCI_RESOURCES "memory.checkBeforeUpdate");
                        if (usage > m->limit.value)
                                return nook_error(err, EBUSY,
                                                  OCI_RESOURCES
                                                  "memory.limit: checkBeforeUpdate: the new limit %" PRId64
                                                  " is below the current usage %" PRId64 " (`memory.current`)",
                                                  m->limit.value, usage);
                }
                if (swap > 0 && cgroup_has_file(h, "memory.swap.current")) {
                        ret = cgroup_read_i64(h, "memory.swap.current", &usage, err);
                        if (ret < 0)
                                return nook_error_wrap(err, OCI_RESOURCES "memory.checkBeforeUpdate");
                        if (usage > swap)
                                return nook_error(err, EBUSY,
                                                  OCI_RESOURCES "memory.swap: checkBeforeUpdate: the new swap "
                                                                "limit %" PRId64 " is below the current usage %" PRId64
                                                                " (`memory.swap.current`)",
                                                  swap, usage);
                }
        }
        char buf[32];
        /* Without swap accounting there is no memory.swap.max, and "unlimited" holds anyway. */
        if (swap != 0 && !(swap == -1 && !cgroup_has_file(h, "memory.swap.max"))) {
                ret = cgroup_write(h, OCI_RESOURCES "memory.swap", "memory.swap.max",
                                   swap == -2 ? "0" : limit_string(swap, buf, sizeof(buf)), err);
                if (ret < 0)
                        return ret;
        }
        if (m->limit.set && m->limit.value != 0) {
                ret = cgroup_write(h, OCI_RESOURCES "memory.limit", "memory.max",
                                   limit_string(m->limit.value, buf, sizeof(buf)), err);
                if (ret < 0)
                        return ret;
        }
        if (m->reservation.set && m->reservation.value != 0) {
                ret = cgroup_write(h, OCI_RESOURCES "memory.reservation", "memory.low",
                                   limit_string(m->reservation.value, buf, sizeof(buf)), err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cgroup_v2_apply_pids(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        char buf[32];
        return cgroup_write(h, OCI_RESOURCES "pids.limit", "pids.max",
                            limit_string(r->pids_limit.value > 0 ? r->pids_limit.value : -1, buf, sizeof(buf)), err);
}

static int write_io_max(const struct cgroup_hierarchy *h, const char *field, const char *key,
                        const struct spec_throttle_device *d, size_t n, nook_err *err)
{
        for (size_t i = 0; i < n; i++) {
                char name[96];
                snprintf(name, sizeof(name), "%s[%zu]", field, i);
                int ret = cgroup_writef(h, name, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d[i].major,
                                        d[i].minor, key, d[i].rate);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cgroup_v2_apply_io(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        const __typeof__(r->block_io) *b = &r->block_io;
        if (b->leaf_weight.set && b->leaf_weight.value != 0)
                return nook_error(err, ENOTSUP,
                                  OCI_RESOURCES "blockIO.leafWeight: cgroup2 has no leaf weights (the io "
                                                "controller has no `blkio.leaf_weight`)");
        for (size_t i = 0; i < b->weight_device.len; i++)
                if (b->weight_device.items[i].leaf_weight.set && b->weight_device.items[i].leaf_weight.value != 0)
                        return nook_error(err, ENOTSUP,
                                          OCI_RESOURCES "blockIO.weightDevice[%zu].leafWeight: cgroup2 has no "
                                                        "leaf weights",
                                          i);
        /* bfq takes the v1 range as is; else io.weight (iocost) in its own range. */
        bool bfq = cgroup_has_file(h, "io.bfq.weight");
        const char *file = bfq ? "io.bfq.weight" : "io.weight";
        int ret;
        if (b->weight.set && b->weight.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "blockIO.weight", file, err, "%" PRIu64,
                                    bfq ? b->weight.value : cgroup_blkio_to_io_weight(b->weight.value));
                if (ret < 0)
                        return ret;
        }
        for (size_t i = 0; i < b->weight_device.len; i++) {
                const struct spec_weight_device *d = &b->weight_device.items[i];
                if (!d->weight.set || d->weight.value == 0)
                        continue;
                char field[64];
                snprintf(field, sizeof(field), OCI_RESOURCES "blockIO.weightDevice[%zu]", i);
                ret = cgroup_writef(h, field, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                                    bfq ? d->weight.value : cgroup_blkio_to_io_weight(d->weight.value));
                if (ret < 0)
                        return ret;
        }
        ret = write_io_max(h, OCI_RESOURCES "blockIO.throttleReadBpsDevice", "rbps", b->throttle_read_bps.items,
                           b->throttle_read_bps.len, err);
        if (ret == 0)
                ret = write_io_max(h, OCI_RESOURCES "blockIO.throttleWriteBpsDevice", "wbps",
                                   b->throttle_write_bps.items, b->throttle_write_bps.len, err);
        if (ret == 0)
                ret = write_io_max(h, OCI_RESOURCES "blockIO.throttleReadIOPSDevice", "riops",
                                   b->throttle_read_iops.items, b->throttle_read_iops.len, err);
        if (ret == 0)
                ret = write_io_max(h, OCI_RESOURCES "blockIO.throttleWriteIOPSDevice", "wiops",
                                   b->throttle_write_iops.items, b->throttle_write_iops.len, err);
        return ret;
}

int cgroup_v2_apply_hugetlb(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err)
{
        (void)update;
        return cgroup_write_hugetlb(h, r, "max", "rsvd.max", err);
}

int cgroup_v2_apply_unified(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err)
{
        (void)update;
        for (size_t i = 0; i < r->unified.len; i++) {
                const char *key = r->unified.items[i].key;
                char field[300];
                snprintf(field, sizeof(field), OCI_RESOURCES "unified[\"%.200s\"]", key);
                /* A key is a file of the container's own cgroup, never a path. */
                if (key[0] == '\0' || key[0] == '.' || strchr(key, '/') != NULL || strchr(key, '.') == NULL)
                        return nook_error(err, EINVAL, "%s: not a cgroup2 file name", field);
                int ret = cgroup_write(h, field, key, r->unified.items[i].value, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}
