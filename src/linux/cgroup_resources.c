/* linux.resources into the cgroup: which hierarchy carries each controller
 * (a v1 hierarchy that mounts it, else the cgroup2 one when it offers it: on a
 * hybrid host both kinds are used). The writers are in cgroup_v1.c and
 * cgroup_v2.c, the file helpers they share in cgroup_common.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"

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
