/* A process's cgroups as the kernel reports them (/proc/<pid>/cgroup), where
 * those directories are in the caller's mounts, and the limits and usage the
 * controllers show there (v1 and cgroup2 file names). */
#ifndef NOOK_LINUX_INTROSPECT_CGROUP_H
#define NOOK_LINUX_INTROSPECT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define CGROUP_VALUE_UNLIMITED (-1)
#define CGROUP_VALUE_UNKNOWN (-2)

/* One line of /proc/<pid>/cgroup. */
struct proc_cgroup {
        int hierarchy;     /* 0 for cgroup2 */
        char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
        char *path;        /* relative to the reader's cgroup namespace root */
        char *dir;         /* the directory in the caller's mounts, NULL when not mounted here */
};

/* One value and the directory it was read from. */
struct cgroup_value {
        int64_t value; /* CGROUP_VALUE_UNLIMITED or CGROUP_VALUE_UNKNOWN when not a number */
        char *from;    /* the cgroup directory the value comes from; NULL: not found */
};

/* What the controllers say about a process's cgroups. A limit is the tightest
 * one from the process's cgroup up to the hierarchy root. */
struct cgroup_usage {
        struct cgroup_value memory_limit, memory_usage;
        struct cgroup_value pids_limit, pids_current;
        struct cgroup_value cpu_quota_us, cpu_period_us, cpu_shares, cpu_weight, cpu_usage_ns;
};

/* Reads <procfd>/cgroup and finds each directory through /proc/self/mountinfo. */
int proc_read_cgroups(int procfd, struct proc_cgroup **out, size_t *n, nook_err *err);

void proc_cgroups_free(struct proc_cgroup *cgroups, size_t n);

/* The pids in <dir>/cgroup.procs. */
int cgroup_read_procs(const char *dir, pid_t **pids, size_t *n, nook_err *err);

/* True when the comma list `controllers` names `controller`. */
bool cgroup_names_controller(const char *controllers, const char *controller);

/* Reads the limits and usage of memory, pids and cpu from the process's cgroups. */
void cgroup_read_usage(const struct proc_cgroup *cgroups, size_t n, struct cgroup_usage *usage);

void cgroup_usage_free(struct cgroup_usage *usage);

#endif
