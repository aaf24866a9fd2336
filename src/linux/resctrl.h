/* linux.intelRdt: the resctrl filesystem (Intel RDT: cache allocation, memory
 * bandwidth, monitoring), config-linux.md "IntelRdt". A container's group is
 * closID's, the root for closID "/", or one named after the container that
 * nook makes and removes. Each function works on the resctrl mount of nook's
 * mount namespace; its _at twin on a resctrl root given as a directory fd. */
#ifndef NOOK_LINUX_RESCTRL_H
#define NOOK_LINUX_RESCTRL_H

#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* The root of the resctrl mount in nook's mount namespace; an error saying so
 * when there is none (the spec's "MUST generate an error"). */
int resctrl_open(nook_err *err);

/* Before anything is set up: the resources the config names exist (info/L3 for
 * l3CacheSchema, info/MB for memBwSchema, info/L3_MON for enableMonitoring),
 * closID's group exists when no schema is given, a group named after the
 * container (or its monitoring group) does not exist yet, and l3CacheSchema and memBwSchema match an
 * existing group's schemata. */
int resctrl_check(const struct spec_intel_rdt *rdt, const char *id, nook_err *err);
int resctrl_check_at(int root, const struct spec_intel_rdt *rdt, const char *id, nook_err *err);

/* Makes the container's group (unless it exists: closID's), writes the schemata
 * (l3CacheSchema, memBwSchema, then schemata[]), makes the monitoring group
 * mon_groups/<id> when asked, and puts pid in them. On failure, what it made is
 * removed again. */
int resctrl_join_new(const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err);
int resctrl_join_new_at(int root, const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err);

/* Puts pid in the container's groups (a process started by exec). */
int resctrl_join(const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err);
int resctrl_join_at(int root, const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err);

/* What resctrl_join_new made: the group named after the container (with its
 * monitoring group), or else only the monitoring group; closID's group stays. */
int resctrl_remove(const struct spec_intel_rdt *rdt, const char *id, nook_err *err);
int resctrl_remove_at(int root, const struct spec_intel_rdt *rdt, const char *id, nook_err *err);

#endif
