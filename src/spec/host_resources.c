/* What of the host the config hands to the container beyond cgroups:
 * linux.memoryPolicy (NUMA memory, set_mempolicy(2)), linux.netDevices (host
 * interfaces moved into its network namespace) and linux.intelRdt (cache and
 * memory bandwidth, resctrl). Each is checked here as the kernel will check
 * it, so that a bad value is refused before clone, naming the field. */
#define _GNU_SOURCE
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "spec/spec.h"
#include "spec/tables.h"
#include "util/cleanup.h"

/* ---- linux.memoryPolicy ---- */

/* <linux/mempolicy.h>, which glibc does not ship. */
enum {
        MPOL_DEFAULT,
        MPOL_PREFERRED,
        MPOL_BIND,
        MPOL_INTERLEAVE,
        MPOL_LOCAL,
        MPOL_PREFERRED_MANY,
        MPOL_WEIGHTED_INTERLEAVE,
};
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_STATIC_NODES (1 << 15)

static const struct name_value memory_policy_modes[] = { /* in value order */
        { "MPOL_DEFAULT", MPOL_DEFAULT },
        { "MPOL_PREFERRED", MPOL_PREFERRED },
        { "MPOL_BIND", MPOL_BIND },
        { "MPOL_INTERLEAVE", MPOL_INTERLEAVE },
        { "MPOL_LOCAL", MPOL_LOCAL },
        { "MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY },
        { "MPOL_WEIGHTED_INTERLEAVE", MPOL_WEIGHTED_INTERLEAVE },
};
const struct enum_type memory_policy_mode_enum = ENUM_TYPE(memory_policy_modes, "memory policy mode");

static const struct name_value memory_policy_flags[] = {
        { "MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING },
        { "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES },
        { "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES },
};
const struct enum_type memory_policy_flag_enum = ENUM_TYPE(memory_policy_flags, "memory policy flag");

static const struct field memory_policy_fields[] = {
        REQUIRED("mode", value_enum, struct spec_memory_policy, mode, &memory_policy_mode_enum),
        FIELD("nodes", value_id_set, struct spec_memory_policy, nodes, NULL),
        FIELD("flags", value_flags, struct spec_memory_policy, flags, &memory_policy_flag_enum),
};

/* set_mempolicy(2)'s rules, and runc's on the number of nodes. */
static int finish_memory_policy(struct parser *p, void *dest)
{
        const struct spec_memory_policy *m = dest;
        bool nodes = m->nodes.bits != NULL;
        bool static_or_relative = m->flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES);
        if ((m->flags & MPOL_F_STATIC_NODES) && (m->flags & MPOL_F_RELATIVE_NODES))
                return parse_fail_field(p, "flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
        if ((m->flags & MPOL_F_NUMA_BALANCING) && m->mode != MPOL_BIND && m->mode != MPOL_PREFERRED_MANY)
                return parse_fail_field(p, "flags", "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY");
        switch (m->mode) {
        case MPOL_DEFAULT:
        case MPOL_LOCAL:
                if (nodes)
                        return parse_fail_field(p, "nodes", "must be empty with %s", memory_policy_modes[m->mode].name);
                if (m->mode == MPOL_LOCAL && static_or_relative)
                        return parse_fail_field(p, "flags", "MPOL_LOCAL takes no node flags");
                break;
        case MPOL_PREFERRED:
                /* No node means "local", which takes no node flags. */
                if (!nodes && static_or_relative)
                        return parse_fail_field(p, "flags", "need nodes with MPOL_PREFERRED");
                break;
        default:
                if (!nodes)
                        return parse_fail_field(p, "nodes", "required with %s", memory_policy_modes[m->mode].name);
        }
        return 0;
}
const struct object_type memory_policy_type =
        OBJECT_TYPE(struct spec_memory_policy, memory_policy_fields, finish_memory_policy);

/* ---- linux.netDevices ---- */

/* A name the kernel takes for an interface: dev_valid_name(), as runc checks it. */
static bool interface_name_is_valid(const char *name)
{
        if (name[0] == '\0' || strlen(name) >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        return strpbrk(name, "/: \t\n\v\f\r") == NULL;
}

static const struct field net_device_fields[] = {
        FIELD("name", value_string, struct spec_net_device, name, NULL),
};

static int finish_net_device(struct parser *p, void *dest)
{
        struct spec_net_device *d = dest;
        if (!interface_name_is_valid(d->host_name))
                return parse_fail(p, "\"%s\" is not a valid interface name", d->host_name);
        if (d->name != NULL && d->name[0] == '\0')
                d->name = NULL; /* absent or empty: the host's name */
        if (d->name != NULL && !interface_name_is_valid(d->name))
                return parse_fail_field(p, "name", "\"%s\" is not a valid interface name", d->name);
        return 0;
}
static const struct object_type net_device_type =
        OBJECT_TYPE(struct spec_net_device, net_device_fields, finish_net_device);
const struct array_type net_devices_type = ARRAY_OF(value_object, struct spec_net_device, &net_device_type);

const char *spec_net_device_name(const struct spec_net_device *d)
{
        return d->name != NULL ? d->name : d->host_name;
}

/* ---- linux.intelRdt ---- */

static const struct field intel_rdt_fields[] = {
        FIELD("closID", value_string, struct spec_intel_rdt, clos_id, NULL),
        FIELD("l3CacheSchema", value_string, struct spec_intel_rdt, l3_cache_schema, NULL),
        FIELD("memBwSchema", value_string, struct spec_intel_rdt, mem_bw_schema, NULL),
        FIELD("schemata", value_strings, struct spec_intel_rdt, schemata, NULL),
        FIELD("enableMonitoring", value_bool, struct spec_intel_rdt, enable_monitoring, NULL),
};

static int finish_intel_rdt(struct parser *p, void *dest)
{
        struct spec_intel_rdt *r = dest;
        if (r->clos_id != NULL && r->clos_id[0] == '\0')
                r->clos_id = NULL;
        /* One directory of the resctrl root, or "/" for the root (the default CLOS). */
        const char *c = r->clos_id;
        if (c != NULL && strcmp(c, "/") != 0 &&
            (strcmp(c, ".") == 0 || strcmp(c, "..") == 0 || strpbrk(c, "/\n") != NULL || strlen(c) > 255))
                return parse_fail_field(p, "closID", "\"%s\" is not a resctrl group name (or \"/\")", c);
        if (r->l3_cache_schema != NULL && r->l3_cache_schema[0] == '\0')
                r->l3_cache_schema = NULL;
        if (r->mem_bw_schema != NULL && r->mem_bw_schema[0] == '\0')
                r->mem_bw_schema = NULL;
        if (r->l3_cache_schema != NULL && strchr(r->l3_cache_schema, '\n') != NULL)
                return parse_fail_field(p, "l3CacheSchema", "must be one line");
        if (r->mem_bw_schema != NULL && (strncmp(r->mem_bw_schema, "MB:", 3) != 0 || strchr(r->mem_bw_schema, '\n')))
                return parse_fail_field(p, "memBwSchema", "must be one line starting with \"MB:\"");
        for (size_t i = 0; i < r->schemata.len; i++)
                if (strchr(r->schemata.items[i], '\n') != NULL)
                        return parse_fail(p, "schemata[%zu]: must be one line", i);
        return 0;
}
const struct object_type intel_rdt_type = OBJECT_TYPE(struct spec_intel_rdt, intel_rdt_fields, finish_intel_rdt);

/* ---- checks across the document ---- */

int validate_host_resources(struct parser *p, const struct spec *s)
{
        const struct spec_linux *l = s->linux;
        if (l == NULL || l->net_devices.len == 0)
                return 0;
        if (spec_namespace(s, NS_NETWORK) == NULL)
                return parse_fail(p, "linux.netDevices: need a network namespace of the container's own");
        for (size_t i = 0; i < l->net_devices.len; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(spec_net_device_name(&l->net_devices.items[i]),
                                   spec_net_device_name(&l->net_devices.items[j])) == 0 &&
                            strchr(spec_net_device_name(&l->net_devices.items[i]), '%') == NULL)
                                return parse_fail(p, "linux.netDevices: \"%s\" and \"%s\" would both be \"%s\"",
                                                  l->net_devices.items[j].host_name, l->net_devices.items[i].host_name,
                                                  spec_net_device_name(&l->net_devices.items[i]));
        return 0;
}
