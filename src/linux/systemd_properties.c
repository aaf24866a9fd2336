/* The unit properties of a container: fixed ones, linux.resources mirrored,
 * annotations. Pure; unit-tested. */
#define _GNU_SOURCE
#include "linux/systemd_properties.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"

/* The first systemd versions that know these properties. */
#define SINCE_CPU_QUOTA_PERIOD 242
#define SINCE_ALLOWED_CPUS 244

/* The highest CPU or memory node a cpuset list may name (a bound on the mask's size). */
#define CPUSET_MAX 65535

/* The kernel's default cfs period, µs: what a quota without a period is relative to. */
#define DEFAULT_CPU_PERIOD 100000

json_object *systemd_properties_new(void)
{
        return json_object_new_array();
}

json_object *systemd_property_get(json_object *list, const char *name)
{
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *p = json_object_array_get_idx(list, i);
                if (strcmp(json_object_get_string(json_object_object_get(p, "name")), name) == 0)
                        return p;
        }
        return NULL;
}

int systemd_property_set(json_object *list, const char *name, const char *type, json_object *value, int since)
{
        json_object *p = json_object_new_object();
        if (p == NULL || value == NULL) {
                json_object_put(p);
                json_object_put(value);
                return -ENOMEM;
        }
        json_object_object_add(p, "name", json_object_new_string(name));
        json_object_object_add(p, "type", json_object_new_string(type));
        json_object_object_add(p, "value", value);
        if (since > 0)
                json_object_object_add(p, "since", json_object_new_int(since));
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *old = json_object_array_get_idx(list, i);
                if (strcmp(json_object_get_string(json_object_object_get(old, "name")), name) == 0)
                        return json_object_array_put_idx(list, i, p) == 0 ? 0 : -ENOMEM;
        }
        return json_object_array_add(list, p) == 0 ? 0 : -ENOMEM;
}

static int set_bool(json_object *list, const char *name, bool value)
{
        return systemd_property_set(list, name, "b", json_object_new_boolean(value), 0);
}

static int set_u64(json_object *list, const char *name, uint64_t value, int since)
{
        return systemd_property_set(list, name, "t", json_object_new_uint64(value), since);
}

/* ---- fixed ---- */

int systemd_properties_fixed(json_object *list, const struct systemd_unit *unit, const char *id, pid_t pid,
                             nook_err *err)
{
        _cleanup_free_ char *description = NULL;
        if (asprintf(&description, "nook container %s", id) < 0)
                return nook_error(err, ENOMEM, "systemd properties");
        int r = systemd_property_set(list, "Description", "s", json_object_new_string(description), 0);
        if (r == 0 && !unit->is_slice) {
                r = systemd_property_set(list, "Slice", "s", json_object_new_string(unit->slice), 0);
                /* The container's leaf and any cgroups it makes below are its own. */
                if (r == 0)
                        r = set_bool(list, "Delegate", true);
                if (r == 0 && pid > 0) {
                        json_object *pids = json_object_new_array();
                        json_object_array_add(pids, json_object_new_int64(pid));
                        r = systemd_property_set(list, "PIDs", "au", pids, 0);
                }
        } else if (r == 0) {
                /* A slice's parent follows from its name; runc asks for the slice it was given too. */
                json_object *wants = json_object_new_array();
                json_object_array_add(wants, json_object_new_string(unit->slice));
                r = systemd_property_set(list, "Wants", "as", wants, 0);
        }
        static const char *const accounting[] = { "MemoryAccounting", "CPUAccounting", "IOAccounting",
                                                  "TasksAccounting" };
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(accounting); i++)
                r = set_bool(list, accounting[i], true);
        /* No ordering after basic.target or conflict with shutdown: a container is not a service. */
        if (r == 0)
                r = set_bool(list, "DefaultDependencies", false);
        return r < 0 ? nook_error(err, -r, "systemd properties") : 0;
}

/* ---- resources ---- */

uint64_t systemd_cpu_quota_per_sec(int64_t quota, uint64_t period)
{
        if (quota <= 0)
                return SYSTEMD_INFINITY;
        if (period == 0)
                period = DEFAULT_CPU_PERIOD;
        uint64_t per_sec = (uint64_t)quota * 1000000 / period;
        /* systemd keeps CPUQuota as whole percents (10 ms per second): round up, never down. */
        if (per_sec % 10000 != 0)
                per_sec = (per_sec / 10000 + 1) * 10000;
        return per_sec;
}

int systemd_cpuset_mask(const char *list, const char *field, uint8_t **mask, size_t *len, nook_err *err)
{
        *mask = NULL;
        *len = 0;
        size_t size = 0;
        uint8_t *bits = NULL;
        const char *p = list;
        while (*p != '\0') {
                char *end;
                errno = 0;
                if (!isdigit((unsigned char)*p))
                        goto bad;
                unsigned long first = strtoul(p, &end, 10), last = first;
                if (errno != 0 || first > CPUSET_MAX)
                        goto bad;
                p = end;
                if (*p == '-') {
                        p++;
                        if (!isdigit((unsigned char)*p))
                                goto bad;
                        last = strtoul(p, &end, 10);
                        if (errno != 0 || last > CPUSET_MAX || last < first)
                                goto bad;
                        p = end;
                }
                if (*p == ',' && p[1] != '\0')
                        p++;
                else if (*p != '\0')
                        goto bad;
                if (last / 8 + 1 > size) {
                        uint8_t *bigger = realloc(bits, last / 8 + 1);
                        if (bigger == NULL) {
                                free(bits);
                                return nook_error(err, ENOMEM, "%s", field);
                        }
                        memset(bigger + size, 0, last / 8 + 1 - size);
                        bits = bigger;
                        size = last / 8 + 1;
                }
                for (unsigned long i = first; i <= last; i++)
                        bits[i / 8] |= (uint8_t)(1u << (i % 8));
        }
        if (size == 0)
                goto bad;
        *mask = bits;
        *len = size;
        return 0;
bad:
        free(bits);
        return nook_error(err, 0, "%s: \"%s\" is not a list like \"0-3,8\" (numbers up to %d)", field, list,
                          CPUSET_MAX);
}

static int set_mask(json_object *list, const char *name, const char *cpus, const char *field, nook_err *err)
{
        uint8_t *mask = NULL;
        size_t len = 0;
        int r = systemd_cpuset_mask(cpus, field, &mask, &len, err);
        if (r < 0)
                return r;
        json_object *bytes = json_object_new_array();
        for (size_t i = 0; i < len; i++)
                json_object_array_add(bytes, json_object_new_int(mask[i]));
        free(mask);
        r = systemd_property_set(list, name, "ay", bytes, SINCE_ALLOWED_CPUS);
        return r < 0 ? nook_error(err, -r, "%s", field) : 0;
}

/* -1 (unlimited) as infinity. */
static uint64_t limit_value(int64_t v)
{
        return v < 0 ? SYSTEMD_INFINITY : (uint64_t)v;
}

static int memory_properties(json_object *list, const struct spec_resources *r, nook_err *err)
{
        const __typeof__(r->memory) *m = &r->memory;
        int ret = 0;
        if (m->limit.set && m->limit.value != 0)
                ret = set_u64(list, "MemoryMax", limit_value(m->limit.value), 0);
        if (ret == 0 && m->reservation.set && m->reservation.value != 0)
                ret = set_u64(list, "MemoryLow", limit_value(m->reservation.value), 0);
        if (ret < 0)
                return nook_error(err, -ret, OCI_RESOURCES "memory");
        int64_t limit = m->limit.set ? m->limit.value : 0;
        /* A swap limit alone (update) is relative to the current memory limit, which only
         * the cgroup knows: the leaf gets it, the unit keeps its value. */
        if (!m->swap.set || (limit == 0 && m->swap.value > 0))
                return 0;
        int64_t swap = 0;
        ret = cgroup_swap_to_v2(m->swap.value, limit, &swap, err);
        if (ret < 0 || swap == 0)
                return ret;
        ret = set_u64(list, "MemorySwapMax", swap == -2 ? 0 : limit_value(swap), 0);
        return ret < 0 ? nook_error(err, -ret, OCI_RESOURCES "memory.swap") : 0;
}

static int cpu_properties(json_object *list, const struct spec_resources *r, nook_err *err)
{
        const __typeof__(r->cpu) *c = &r->cpu;
        int ret = 0;
        if (c->shares.set && c->shares.value != 0)
                ret = set_u64(list, "CPUWeight", cgroup_shares_to_weight(c->shares.value), 0);
        bool has_quota = c->quota.set && c->quota.value != 0, has_period = c->period.set && c->period.value != 0;
        if (ret == 0 && has_period)
                ret = set_u64(list, "CPUQuotaPeriodUSec", c->period.value, SINCE_CPU_QUOTA_PERIOD);
        /* A period alone (update) keeps the quota, which the unit has as a share of a second. */
        if (ret == 0 && has_quota)
                ret = set_u64(list, "CPUQuotaPerSecUSec",
                              systemd_cpu_quota_per_sec(c->quota.value, has_period ? c->period.value : 0), 0);
        if (ret < 0)
                return nook_error(err, -ret, OCI_RESOURCES "cpu");
        if (c->cpus != NULL && c->cpus[0] != '\0') {
                ret = set_mask(list, "AllowedCPUs", c->cpus, OCI_RESOURCES "cpu.cpus", err);
                if (ret < 0)
                        return ret;
        }
        if (c->mems != NULL && c->mems[0] != '\0')
                return set_mask(list, "AllowedMemoryNodes", c->mems, OCI_RESOURCES "cpu.mems", err);
        return 0;
}

int systemd_properties_from_resources(json_object *list, const struct spec_resources *r, nook_err *err)
{
        int ret = memory_properties(list, r, err);
        if (ret == 0)
                ret = cpu_properties(list, r, err);
        if (ret == 0 && r->pids_limit.set) {
                /* As nook writes pids.max: a positive limit, else "max". */
                ret = set_u64(list, "TasksMax", r->pids_limit.value > 0 ? (uint64_t)r->pids_limit.value : SYSTEMD_INFINITY,
                              0);
                if (ret < 0)
                        return nook_error(err, -ret, OCI_RESOURCES "pids");
        }
        if (ret == 0 && r->block_io.weight.set && r->block_io.weight.value != 0) {
                ret = set_u64(list, "IOWeight", cgroup_blkio_to_io_weight(r->block_io.weight.value), 0);
                if (ret < 0)
                        return nook_error(err, -ret, OCI_RESOURCES "blockIO.weight");
        }
        return ret;
}

/* ---- annotations ---- */

/* What nook decides itself: where the unit is, what it holds, who manages below it. */
static const char *const owned_properties[] = { "Slice", "PIDs", "PIDFDs", "Delegate", "DelegateControllers",
                                                "DelegateSubgroup" };

/* runc's rule: only ASCII letters, at least three. */
static bool valid_property_name(const char *name)
{
        size_t n = 0;
        for (; name[n] != '\0'; n++)
                if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= 'A' && name[n] <= 'Z')))
                        return false;
        return n >= 3;
}

/* "TimeoutStopSec" (a lowercase letter before "Sec") is the USec property in seconds. */
static bool seconds_property(const char *name)
{
        size_t n = strlen(name);
        return n > 3 && strcmp(name + n - 3, "Sec") == 0 && name[n - 4] >= 'a' && name[n - 4] <= 'z';
}

static int to_microseconds(const char *key, const char *type, json_object *value, uint64_t *out, nook_err *err)
{
        if (strchr("txuiy", type[0]) != NULL && type[1] == '\0') {
                if (type[0] != 't' && json_object_get_int64(value) < 0)
                        return nook_error(err, 0, "annotation %s: a number of seconds may not be negative", key);
                uint64_t seconds = type[0] == 't' ? json_object_get_uint64(value) : (uint64_t)json_object_get_int64(value);
                if (seconds > UINT64_MAX / 1000000)
                        return nook_error(err, 0, "annotation %s: too many seconds", key);
                *out = seconds * 1000000;
                return 0;
        }
        if (strcmp(type, "d") == 0) {
                double d = json_object_get_double(value);
                if (d < 0 || d * 1e6 >= 18446744073709551615.0)
                        return nook_error(err, 0, "annotation %s: not a number of seconds", key);
                *out = (uint64_t)(d * 1e6);
                return 0;
        }
        return nook_error(err, 0, "annotation %s: a \"…Sec\" property needs a number of seconds", key);
}

int systemd_properties_from_annotations(json_object *list, const spec_map *annotations, nook_err *err)
{
        size_t prefix = strlen(SYSTEMD_ANNOTATION_PREFIX);
        for (size_t i = 0; i < annotations->len; i++) {
                const char *key = annotations->items[i].key;
                if (strncmp(key, SYSTEMD_ANNOTATION_PREFIX, prefix) != 0)
                        continue;
                const char *name = key + prefix;
                if (!valid_property_name(name))
                        return nook_error(err, 0,
                                          "annotation %s: \"%s\" is not a systemd property name (ASCII letters, at "
                                          "least three)",
                                          key, name);
                for (size_t j = 0; j < ARRAY_SIZE(owned_properties); j++)
                        if (strcmp(name, owned_properties[j]) == 0)
                                return nook_error(err, 0,
                                                  "annotation %s: nook sets %s itself (the container's unit, its "
                                                  "slice and its delegated cgroup); it cannot be overridden",
                                                  key, name);
                char type[3];
                json_object *value = NULL;
                int r = systemd_parse_gvariant(annotations->items[i].value, key, type, &value, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *usec_name = NULL;
                if (seconds_property(name)) {
                        uint64_t usec = 0;
                        r = to_microseconds(key, type, value, &usec, err);
                        json_object_put(value);
                        if (r < 0)
                                return r;
                        if (asprintf(&usec_name, "%.*sUSec", (int)(strlen(name) - 3), name) < 0)
                                return nook_error(err, ENOMEM, "annotation %s", key);
                        name = usec_name;
                        strcpy(type, "t");
                        value = json_object_new_uint64(usec);
                }
                r = systemd_property_set(list, name, type, value, 0);
                if (r < 0)
                        return nook_error(err, -r, "annotation %s", key);
        }
        return 0;
}

int systemd_properties_for_start(const struct systemd_unit *unit, const char *id, pid_t pid,
                                 const struct spec_resources *r, const spec_map *annotations, json_object **out,
                                 nook_err *err)
{
        _cleanup_json_ json_object *list = systemd_properties_new();
        if (list == NULL)
                return nook_error(err, ENOMEM, "systemd properties");
        int ret = systemd_properties_fixed(list, unit, id, pid, err);
        if (ret == 0 && r != NULL)
                ret = systemd_properties_from_resources(list, r, err);
        if (ret == 0 && annotations != NULL)
                ret = systemd_properties_from_annotations(list, annotations, err);
        if (ret < 0)
                return ret;
        *out = steal_pointer(&list);
        return 0;
}
