/* The unit properties nook sends systemd, all pure: the fixed ones of a
 * container's unit, linux.resources mirrored as the properties systemd knows
 * (so `systemctl show` and a daemon-reload agree with the limits nook writes
 * to the leaf), and org.systemd.property.<Name> annotations with their
 * GVariant-text values.
 *
 * A list is a JSON array of {"name", "type", "value"[, "since"]}, the form the
 * helper's request takes (src/systemd-helper/helper.h): type is a D-Bus
 * signature (s b t x u i d as au ay); "since" is the first systemd version that
 * knows the property (the helper leaves it out for an older manager). */
#ifndef NOOK_LINUX_SYSTEMD_PROPERTIES_H
#define NOOK_LINUX_SYSTEMD_PROPERTIES_H

#include <stdint.h>
#include <sys/types.h>

#include "linux/systemd_unit.h"
#include "spec/spec.h"
#include "util/error.h"

struct json_object;

#define SYSTEMD_ANNOTATION_PREFIX "org.systemd.property."

/* systemd's "infinity" for the t-typed limits (USEC_INFINITY, CGROUP_LIMIT_MAX). */
#define SYSTEMD_INFINITY UINT64_MAX

/* An empty list (a JSON array). */
struct json_object *systemd_properties_new(void);

/* Sets name to the typed value (taking the value's reference), replacing an
 * earlier entry of that name so that each name is sent once; since 0: always sent. */
int systemd_property_set(struct json_object *list, const char *name, const char *type, struct json_object *value,
                         int since);

/* The entry of name, or NULL. */
struct json_object *systemd_property_get(struct json_object *list, const char *name);

/* A container's unit: Description, Slice (a scope) or Wants= its parent
 * (a slice), Delegate=true and PIDs=[pid] (a scope), the four *Accounting
 * switches, DefaultDependencies=false. pid <= 0 leaves PIDs out. */
int systemd_properties_fixed(struct json_object *list, const struct systemd_unit *unit, const char *id, pid_t pid,
                             nook_err *err);

/* linux.resources as MemoryMax, MemoryLow, MemorySwapMax, TasksMax, CPUWeight,
 * CPUQuotaPerSecUSec, CPUQuotaPeriodUSec, AllowedCPUs, AllowedMemoryNodes and
 * IOWeight, each only when its field is given, with nook's cgroup2 conversions.
 * Errors name the field. */
int systemd_properties_from_resources(struct json_object *list, const struct spec_resources *r, nook_err *err);

/* The org.systemd.property.<Name> annotations (runc's rules: Name is at least 3
 * letters; "<x>Sec" with a number becomes "<x>USec" in µs). An annotation may
 * not set what nook owns (Slice, PIDs, PIDFDs, Delegate, DelegateControllers,
 * DelegateSubgroup: where the unit is and what it holds); others replace nook's own value (Description,
 * DefaultDependencies, …). Errors name the annotation. */
int systemd_properties_from_annotations(struct json_object *list, const spec_map *annotations, nook_err *err);

/* Everything a container's StartTransientUnit carries: fixed, resources (r may be
 * NULL), annotations, in that order. */
int systemd_properties_for_start(const struct systemd_unit *unit, const char *id, pid_t pid,
                                 const struct spec_resources *r, const spec_map *annotations,
                                 struct json_object **out, nook_err *err);

/* A GVariant text value ("uint64 5000000", "'str'", "true", "[ 'a', 'b' ]", "@as []",
 * "int32 -1", plain integers as int32, plain decimals as double) as a D-Bus type
 * (s b t x u i d as au ay) and a JSON value. what names the value in errors. */
int systemd_parse_gvariant(const char *text, const char *what, char type[3], struct json_object **value,
                           nook_err *err);

/* A cpuset list ("0-3,8") as systemd's byte mask (byte i, bit j: CPU 8i+j). field names it in errors. */
int systemd_cpuset_mask(const char *list, const char *field, uint8_t **mask, size_t *len, nook_err *err);

/* CPUQuotaPerSecUSec for quota per period (µs), rounded up to whole percents as
 * systemd stores it (runc does the same); quota <= 0 is infinity. */
uint64_t systemd_cpu_quota_per_sec(int64_t quota, uint64_t period);

#endif
