/* linux.resources on cgroup v1 hierarchies: each writer gets the hierarchy that
 * mounts its controller. The orders and checks are runc's (libcontainer/cgroups/fs). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"

int cgroup_v1_apply_cpuset(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        int ret = 0;
        if (r->cpu.cpus != NULL && r->cpu.cpus[0] != '\0')
                ret = cgroup_write(h, OCI_RESOURCES "cpu.cpus", "cpuset.cpus", r->cpu.cpus, err);
        if (ret == 0 && r->cpu.mems != NULL && r->cpu.mems[0] != '\0')
                ret = cgroup_write(h, OCI_RESOURCES "cpu.mems", "cpuset.mems", r->cpu.mems, err);
        return ret;
}

int cgroup_v1_apply_cpu(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        const __typeof__(r->cpu) *c = &r->cpu;
        int ret;
        if (c->shares.set && c->shares.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.shares", "cpu.shares", err, "%" PRIu64, c->shares.value);
                if (ret < 0)
                        return ret;
                /* The kernel clamps to [2, 262144] without an error: say so. */
                int64_t now = 0;
                ret = cgroup_read_i64(h, "cpu.shares", &now, err);
                if (ret < 0)
                        return ret;
                if ((uint64_t)now != c->shares.value)
                        return nook_error(err, ERANGE,
                                          OCI_RESOURCES "cpu.shares: %" PRIu64 " is out of range: the kernel "
                                                        "set `cpu.shares` to %" PRId64 " (2 to 262144)",
                                          c->shares.value, now);
        }
        /* A period shorter than the current one can be refused (EINVAL) while the old
         * quota would exceed the parent's share: then write it again after the quota. */
        bool period_pending = false;
        if (c->period.set && c->period.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.period", "cpu.cfs_period_us", err, "%" PRIu64,
                                    c->period.value);
                if (ret == -EINVAL && c->quota.set && c->quota.value != 0) {
                        nook_error_free(err);
                        period_pending = true;
                } else if (ret < 0) {
                        return ret;
                }
        }
        if (c->quota.set && c->quota.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.quota", "cpu.cfs_quota_us", err, "%" PRId64,
                                    c->quota.value < 0 ? -1 : c->quota.value);
                if (ret < 0)
                        return ret;
        }
        if (period_pending) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.period", "cpu.cfs_period_us", err, "%" PRIu64,
                                    c->period.value);
                if (ret < 0)
                        return ret;
        }
        if (c->burst.set) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.burst", "cpu.cfs_burst_us", err, "%" PRIu64, c->burst.value);
                if (ret < 0)
                        return ret;
        }
        /* The runtime must fit the period: the period first, unless the new period is
         * below the current runtime (EINVAL): then the runtime first, and the period again. */
        bool rt_period_pending = false;
        if (c->realtime_period.set && c->realtime_period.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.realtimePeriod", "cpu.rt_period_us", err, "%" PRIu64,
                                    c->realtime_period.value);
                if (ret == -EINVAL && c->realtime_runtime.set && c->realtime_runtime.value != 0) {
                        nook_error_free(err);
                        rt_period_pending = true;
                } else if (ret < 0) {
                        return ret;
                }
        }
        if (c->realtime_runtime.set && c->realtime_runtime.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.realtimeRuntime", "cpu.rt_runtime_us", err, "%" PRId64,
                                    c->realtime_runtime.value);
                if (ret < 0)
                        return ret;
        }
        if (rt_period_pending) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.realtimePeriod", "cpu.rt_period_us", err, "%" PRIu64,
                                    c->realtime_period.value);
                if (ret < 0)
                        return ret;
        }
        if (c->idle.set) {
                ret = cgroup_writef(h, OCI_RESOURCES "cpu.idle", "cpu.idle", err, "%" PRId64, c->idle.value);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* checkBeforeUpdate: refuse a limit below what the cgroup already uses. */
static int check_usage(const struct cgroup_hierarchy *h, const char *field, const char *file, int64_t limit,
                       nook_err *err)
{
        if (limit <= 0)
                return 0;
        int64_t usage = 0;
        int ret = cgroup_read_i64(h, file, &usage, err);
        if (ret < 0)
                return nook_error_wrap(err, "%s: checkBeforeUpdate", field);
        if (usage > limit)
                return nook_error(err, EBUSY,
                                  "%s: checkBeforeUpdate: the new limit %" PRId64 " is below the current usage %" PRId64
                                  " (`%s`)",
                                  field, limit, usage, file);
        return 0;
}

int cgroup_v1_apply_memory(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        const __typeof__(r->memory) *m = &r->memory;
        /* As runc: 0 means "not set"; -1 means unlimited. */
        int64_t limit = m->limit.set ? m->limit.value : 0;
        int64_t swap = m->swap.set ? m->swap.value : 0;
        int ret;
        /* Unlimited memory with no word on swap: unlimited memory+swap too. */
        if (limit == -1 && swap == 0)
                swap = -1;
        /* Without swap accounting there is no memsw file, and "unlimited" holds anyway. */
        if (swap == -1 && !cgroup_has_file(h, "memory.memsw.limit_in_bytes"))
                swap = 0;
        if (update && m->check_before_update.set && m->check_before_update.value) {
                ret = check_usage(h, OCI_RESOURCES "memory.limit", "memory.usage_in_bytes", limit, err);
                if (ret == 0 && cgroup_has_file(h, "memory.memsw.usage_in_bytes"))
                        ret = check_usage(h, OCI_RESOURCES "memory.swap", "memory.memsw.usage_in_bytes", swap, err);
                if (ret < 0)
                        return ret;
        }
        /* The kernel keeps memsw >= memory at every step: raise memsw first when the
         * new memory+swap is above the current memory limit, else lower memory first. */
        bool swap_first = false;
        if (limit != 0 && swap != 0) {
                int64_t current = 0;
                ret = cgroup_read_i64(h, "memory.limit_in_bytes", &current, err);
                if (ret < 0)
                        return nook_error_wrap(err, OCI_RESOURCES "memory.limit");
                swap_first = swap == -1 || (current != -1 && current < swap);
        }
        for (int step = 0; step < 2; step++) {
                bool do_swap = (step == 0) == swap_first;
                if (do_swap && swap != 0)
                        ret = cgroup_writef(h, OCI_RESOURCES "memory.swap", "memory.memsw.limit_in_bytes", err,
                                            "%" PRId64, swap);
                else if (!do_swap && limit != 0)
                        ret = cgroup_writef(h, OCI_RESOURCES "memory.limit", "memory.limit_in_bytes", err, "%" PRId64,
                                            limit);
                else
                        ret = 0;
                if (ret < 0)
                        return ret;
        }
        if (m->reservation.set && m->reservation.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "memory.reservation", "memory.soft_limit_in_bytes", err,
                                    "%" PRId64, m->reservation.value);
                if (ret < 0)
                        return ret;
        }
        if (m->kernel.set && m->kernel.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "memory.kernel", "memory.kmem.limit_in_bytes", err, "%" PRId64,
                                    m->kernel.value);
                if (ret < 0)
                        return ret;
        }
        if (m->kernel_tcp.set && m->kernel_tcp.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes", err,
                                    "%" PRId64, m->kernel_tcp.value);
                if (ret < 0)
                        return ret;
        }
        if (m->swappiness.set) {
                if (m->swappiness.value > 100)
                        return nook_error(err, EINVAL, OCI_RESOURCES "memory.swappiness: %" PRIu64 " is not in 0-100",
                                          m->swappiness.value);
                ret = cgroup_writef(h, OCI_RESOURCES "memory.swappiness", "memory.swappiness", err, "%" PRIu64,
                                    m->swappiness.value);
                if (ret < 0)
                        return ret;
        }
        if (m->disable_oom_killer.set) {
                ret = cgroup_write(h, OCI_RESOURCES "memory.disableOOMKiller", "memory.oom_control",
                                   m->disable_oom_killer.value ? "1" : "0", err);
                if (ret < 0)
                        return ret;
        }
        if (m->use_hierarchy.set) {
                ret = cgroup_write(h, OCI_RESOURCES "memory.useHierarchy", "memory.use_hierarchy",
                                   m->use_hierarchy.value ? "1" : "0", err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cgroup_v1_apply_pids(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        if (r->pids_limit.value > 0)
                return cgroup_writef(h, OCI_RESOURCES "pids.limit", "pids.max", err, "%" PRId64, r->pids_limit.value);
        return cgroup_write(h, OCI_RESOURCES "pids.limit", "pids.max", "max", err);
}

static int write_throttle(const struct cgroup_hierarchy *h, const char *field, const char *file,
                          const struct spec_throttle_device *d, size_t n, nook_err *err)
{
        for (size_t i = 0; i < n; i++) {
                char name[96];
                snprintf(name, sizeof(name), "%s[%zu]", field, i);
                int ret = cgroup_writef(h, name, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor,
                                        d[i].rate);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cgroup_v1_apply_blkio(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err)
{
        (void)update;
        const __typeof__(r->block_io) *b = &r->block_io;
        /* With the bfq scheduler the weights are bfq's files (CFQ is gone since 5.0). */
        bool bfq = cgroup_has_file(h, "blkio.bfq.weight");
        const char *weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
        const char *weight_device_file = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
        int ret;
        if (b->weight.set && b->weight.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "blockIO.weight", weight_file, err, "%" PRIu64, b->weight.value);
                if (ret < 0)
                        return ret;
        }
        if (b->leaf_weight.set && b->leaf_weight.value != 0) {
                ret = cgroup_writef(h, OCI_RESOURCES "blockIO.leafWeight", "blkio.leaf_weight", err, "%" PRIu64,
                                    b->leaf_weight.value);
                if (ret < 0)
                        return ret;
        }
        for (size_t i = 0; i < b->weight_device.len; i++) {
                const struct spec_weight_device *d = &b->weight_device.items[i];
                char field[64];
                snprintf(field, sizeof(field), OCI_RESOURCES "blockIO.weightDevice[%zu]", i);
                if (d->weight.set && d->weight.value != 0) {
                        ret = cgroup_writef(h, field, weight_device_file, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
                                            d->major, d->minor, d->weight.value);
                        if (ret < 0)
                                return ret;
                }
                if (d->leaf_weight.set && d->leaf_weight.value != 0) {
                        ret = cgroup_writef(h, field, "blkio.leaf_weight_device", err,
                                            "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                                            d->leaf_weight.value);
                        if (ret < 0)
                                return ret;
                }
        }
        ret = write_throttle(h, OCI_RESOURCES "blockIO.throttleReadBpsDevice", "blkio.throttle.read_bps_device",
                             b->throttle_read_bps.items, b->throttle_read_bps.len, err);
        if (ret == 0)
                ret = write_throttle(h, OCI_RESOURCES "blockIO.throttleWriteBpsDevice",
                                     "blkio.throttle.write_bps_device", b->throttle_write_bps.items,
                                     b->throttle_write_bps.len, err);
        if (ret == 0)
                ret = write_throttle(h, OCI_RESOURCES "blockIO.throttleReadIOPSDevice",
                                     "blkio.throttle.read_iops_device", b->throttle_read_iops.items,
                                     b->throttle_read_iops.len, err);
        if (ret == 0)
                ret = write_throttle(h, OCI_RESOURCES "blockIO.throttleWriteIOPSDevice",
                                     "blkio.throttle.write_iops_device", b->throttle_write_iops.items,
                                     b->throttle_write_iops.len, err);
        return ret;
}

int cgroup_v1_apply_hugetlb(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err)
{
        (void)update;
        return cgroup_write_hugetlb(h, r, "limit_in_bytes", "rsvd.limit_in_bytes", err);
}

int cgroup_v1_apply_net_cls(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err)
{
        (void)update;
        return cgroup_writef(h, OCI_RESOURCES "network.classID", "net_cls.classid", err, "%" PRIu64,
                             r->network.class_id.value);
}

int cgroup_v1_apply_net_prio(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                             nook_err *err)
{
        (void)update;
        for (size_t i = 0; i < r->network.priorities.len; i++) {
                const struct spec_net_priority *p = &r->network.priorities.items[i];
                char field[64];
                snprintf(field, sizeof(field), OCI_RESOURCES "network.priorities[%zu]", i);
                int ret = cgroup_writef(h, field, "net_prio.ifpriomap", err, "%s %" PRIu32, p->name, p->priority);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static void format_device_rule(const struct spec_device_cgroup *d, char *buf, size_t size)
{
        char major[24] = "*", minor[24] = "*";
        if (d->major.set && d->major.value >= 0)
                snprintf(major, sizeof(major), "%" PRId64, d->major.value);
        if (d->minor.set && d->minor.value >= 0)
                snprintf(minor, sizeof(minor), "%" PRId64, d->minor.value);
        if (d->type == 'a')
                snprintf(buf, size, "a");
        else
                snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, d->access);
}

/* The rules in order, then runc's default allowed devices: v1 applies each write
 * to the list as it comes, which is the OCI meaning of the list. */
int cgroup_v1_apply_devices(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err)
{
        (void)update;
        /* Each file opened once: a container start writes a dozen rules. */
        _cleanup_close_ int allow_fd = -1, deny_fd = -1;
        for (size_t i = 0; i < r->devices.len + cgroup_n_default_devices; i++) {
                bool user = i < r->devices.len;
                const struct spec_device_cgroup *d =
                        user ? &r->devices.items[i] : &cgroup_default_devices[i - r->devices.len];
                char rule[128], field[192];
                format_device_rule(d, rule, sizeof(rule));
                if (user)
                        snprintf(field, sizeof(field), OCI_RESOURCES "devices[%zu]", i);
                else
                        snprintf(field, sizeof(field), "default device rule \"%s\"", rule);
                const char *file = d->allow ? "devices.allow" : "devices.deny";
                int *fd = d->allow ? &allow_fd : &deny_fd;
                if (*fd < 0)
                        *fd = cgroup_open_file(h, field, file, err);
                int ret = *fd < 0 ? *fd : cgroup_write_fd(*fd, h, field, file, rule, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}
