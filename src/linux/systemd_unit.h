/* The systemd cgroup driver's naming, all pure: linux.cgroupsPath
 * "slice:prefix:name" read as runc reads it, the unit's slice expanded into
 * its cgroup path, and the cgroup nook manages: the delegated leaf
 * "<unit's cgroup>/container" (crun's layout), where nook's cgroup2 code
 * writes the limits and attaches the device program. */
#ifndef NOOK_LINUX_SYSTEMD_UNIT_H
#define NOOK_LINUX_SYSTEMD_UNIT_H

#include <stdbool.h>

#include "linux/cgroup.h"
#include "util/error.h"

/* The leaf below the unit's cgroup that holds the container's processes. */
#define SYSTEMD_LEAF "container"

struct systemd_unit {
        char *slice;      /* parent slice unit: "system.slice", "kubepods-besteffort-pod1.slice" */
        char *slice_path; /* its cgroup below the manager's: "/kubepods.slice/kubepods-besteffort.slice/…"; "" for -.slice */
        char *name;       /* the unit: "nook-<id>.scope", or "<name>" itself when it ends in ".slice" */
        bool is_slice;    /* the unit is a slice (runc: name ends in ".slice"): Wants= its parent, no Delegate/PIDs */
};

/* linux.cgroupsPath with --systemd-cgroup: exactly "slice:prefix:name"; an empty
 * slice is "system.slice" ("user.slice" when rootless); an empty cgroupsPath is
 * "system.slice:nook:<id>" ("user.slice:nook:<id>" rootless). Errors name
 * linux.cgroupsPath and say what is wrong. */
int systemd_unit_parse(const char *cgroups_path, const char *id, bool rootless, struct systemd_unit *out,
                       nook_err *err);

void systemd_unit_free(struct systemd_unit *u);

/* "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" (the root) → "".
 * Refuses "a--b.slice", a leading or trailing dash, a "/", and a name that is not
 * "<something>.slice". */
int systemd_expand_slice(const char *slice, char **path, nook_err *err);

/* The unit's cgroup path from the root of the cgroup2 hierarchy, given the
 * manager's own cgroup ("" for the system manager; the user manager's ControlGroup,
 * "/user.slice/user-1000.slice/user@1000.service"): manager + slice path + unit.
 * What systemd reports as the unit's ControlGroup once it is started. */
int systemd_unit_cgroup(const struct systemd_unit *u, const char *manager_cgroup, char **out, nook_err *err);

/* Refuses cgroup v1 and hybrid hosts: the driver needs the unified hierarchy
 * (systemd delegates a cgroup2 subtree; v1 controllers are not delegated). */
int systemd_check_cgroup_mode(enum cgroup_mode mode, nook_err *err);

/* The container's cgroup for a unit whose cgroup is unit_cgroup (absolute below
 * the cgroup2 root, as systemd's ControlGroup): mode V2, one cgroup2 hierarchy
 * at /sys/fs/cgroup, path "<unit_cgroup>/container" with created = 1 (the unit's
 * own directory is systemd's: StopUnit removes it, nook only the leaf). */
int systemd_cgroup_leaf(const char *unit_cgroup, struct cgroup **out, nook_err *err);

#endif
