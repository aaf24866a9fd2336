/* linux.resources: the cgroup settings of config.json (and of `nook update --resources`). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "spec/spec.h"
#include "spec/tables.h"
#include "util/cleanup.h"

/* ---- linux.resources ---- */

static const struct field device_cgroup_fields[] = {
        FIELD("allow", value_bool, struct spec_device_cgroup, allow, NULL),
        FIELD("type", value_type_letter, struct spec_device_cgroup, type, "acb"),
        FIELD("major", value_opt_i64, struct spec_device_cgroup, major, NULL),
        FIELD("minor", value_opt_i64, struct spec_device_cgroup, minor, NULL),
        FIELD("access", value_string, struct spec_device_cgroup, access, NULL),
};
static int finish_device_cgroup(struct parser *p, void *dest)
{
        struct spec_device_cgroup *d = dest;
        if (d->type == 0)
                d->type = 'a';
        if (d->access == NULL || d->access[0] == '\0')
                d->access = "rwm";
        if (strspn(d->access, "rwm") != strlen(d->access))
                return parse_fail_field(p, "access", "must be made of r, w and m, got \"%s\"", d->access);
        return 0;
}
static const struct object_type device_cgroup_type =
        OBJECT_TYPE(struct spec_device_cgroup, device_cgroup_fields, finish_device_cgroup);

#define RFIELD(json_name, fn, member, ...) FIELD(json_name, fn, struct spec_resources, member, __VA_ARGS__)
static const struct field memory_fields[] = {
        RFIELD("limit", value_opt_i64, memory.limit, NULL),
        RFIELD("reservation", value_opt_i64, memory.reservation, NULL),
        RFIELD("swap", value_opt_i64, memory.swap, NULL),
        RFIELD("kernel", value_opt_i64, memory.kernel, NULL),
        RFIELD("kernelTCP", value_opt_i64, memory.kernel_tcp, NULL),
        RFIELD("swappiness", value_opt_u64, memory.swappiness, NULL),
        RFIELD("disableOOMKiller", value_opt_bool, memory.disable_oom_killer, NULL),
        RFIELD("useHierarchy", value_opt_bool, memory.use_hierarchy, NULL),
        RFIELD("checkBeforeUpdate", value_opt_bool, memory.check_before_update, NULL),
};
static const struct object_type memory_type = OBJECT_TYPE(struct spec_resources, memory_fields, NULL);

static const struct field cpu_fields[] = {
        RFIELD("shares", value_opt_u64, cpu.shares, NULL),
        RFIELD("quota", value_opt_i64, cpu.quota, NULL),
        RFIELD("burst", value_opt_u64, cpu.burst, NULL),
        RFIELD("period", value_opt_u64, cpu.period, NULL),
        RFIELD("realtimeRuntime", value_opt_i64, cpu.realtime_runtime, NULL),
        RFIELD("realtimePeriod", value_opt_u64, cpu.realtime_period, NULL),
        RFIELD("cpus", value_string, cpu.cpus, NULL),
        RFIELD("mems", value_string, cpu.mems, NULL),
        RFIELD("idle", value_opt_i64, cpu.idle, NULL),
};
static const struct object_type cpu_type = OBJECT_TYPE(struct spec_resources, cpu_fields, NULL);

static const struct field pids_fields[] = {
        RFIELD("limit", value_opt_i64, pids_limit, NULL),
};
static const struct object_type pids_type = OBJECT_TYPE(struct spec_resources, pids_fields, NULL);

static const struct field weight_device_fields[] = {
        FIELD("major", value_i64, struct spec_weight_device, major, NULL),
        FIELD("minor", value_i64, struct spec_weight_device, minor, NULL),
        FIELD("weight", value_opt_u64, struct spec_weight_device, weight, NULL),
        FIELD("leafWeight", value_opt_u64, struct spec_weight_device, leaf_weight, NULL),
};
static const struct object_type weight_device_type = OBJECT_TYPE(struct spec_weight_device, weight_device_fields, NULL);

static const struct field throttle_device_fields[] = {
        FIELD("major", value_i64, struct spec_throttle_device, major, NULL),
        FIELD("minor", value_i64, struct spec_throttle_device, minor, NULL),
        FIELD("rate", value_u64, struct spec_throttle_device, rate, NULL),
};
static const struct object_type throttle_device_type =
        OBJECT_TYPE(struct spec_throttle_device, throttle_device_fields, NULL);
static const struct array_type throttle_devices_type =
        ARRAY_OF(value_object, struct spec_throttle_device, &throttle_device_type);

static const struct field block_io_fields[] = {
        RFIELD("weight", value_opt_u64, block_io.weight, NULL),
        RFIELD("leafWeight", value_opt_u64, block_io.leaf_weight, NULL),
        RFIELD("weightDevice", value_array, block_io.weight_device,
              &(struct array_type)ARRAY_OF(value_object, struct spec_weight_device, &weight_device_type)),
        RFIELD("throttleReadBpsDevice", value_array, block_io.throttle_read_bps, &throttle_devices_type),
        RFIELD("throttleWriteBpsDevice", value_array, block_io.throttle_write_bps, &throttle_devices_type),
        RFIELD("throttleReadIOPSDevice", value_array, block_io.throttle_read_iops, &throttle_devices_type),
        RFIELD("throttleWriteIOPSDevice", value_array, block_io.throttle_write_iops, &throttle_devices_type),
};
static const struct object_type block_io_type = OBJECT_TYPE(struct spec_resources, block_io_fields, NULL);

static const struct field hugepage_fields[] = {
        REQUIRED("pageSize", value_string, struct spec_hugepage_limit, page_size, NULL),
        FIELD("limit", value_u64, struct spec_hugepage_limit, limit, NULL),
};
static const struct object_type hugepage_type = OBJECT_TYPE(struct spec_hugepage_limit, hugepage_fields, NULL);

static const struct field net_priority_fields[] = {
        FIELD("name", value_string, struct spec_net_priority, name, NULL),
        FIELD("priority", value_u32, struct spec_net_priority, priority, NULL),
};
static const struct object_type net_priority_type = OBJECT_TYPE(struct spec_net_priority, net_priority_fields, NULL);

static const struct field network_fields[] = {
        RFIELD("classID", value_opt_u64, network.class_id, NULL),
        RFIELD("priorities", value_array, network.priorities,
              &(struct array_type)ARRAY_OF(value_object, struct spec_net_priority, &net_priority_type)),
};
static const struct object_type network_type = OBJECT_TYPE(struct spec_resources, network_fields, NULL);

/* The sub-objects of resources decode into the resources struct itself (offset 0). */
static const struct field resources_fields[] = {
        RFIELD("devices", value_array, devices,
              &(struct array_type)ARRAY_OF(value_object, struct spec_device_cgroup, &device_cgroup_type)),
        FOLDED("memory", &memory_type),
        FOLDED("cpu", &cpu_type),
        FOLDED("pids", &pids_type),
        FOLDED("blockIO", &block_io_type),
        RFIELD("hugepageLimits", value_array, hugepage_limits,
              &(struct array_type)ARRAY_OF(value_object, struct spec_hugepage_limit, &hugepage_type)),
        FOLDED("network", &network_type),
        RFIELD("unified", value_string_map, unified, NULL),
};
#undef RFIELD
const struct object_type resources_type = OBJECT_TYPE(struct spec_resources, resources_fields, NULL);
