/* Starting a process with clone3: new namespaces, a pidfd, and straight into a
 * cgroup2 directory where the kernel allows it. */
#ifndef NOOK_LINUX_CLONE_H
#define NOOK_LINUX_CLONE_H

#include <stdbool.h>
#include <stdint.h>

/* clone3 with CLONE_PIDFD and flags (CLONE_NEW*), into the cgroup2 directory
 * cgroup_fd when there is one (-1: none); falls back to a plain clone3 when the
 * kernel refuses direct entry (then *into_cgroup is false and the caller moves
 * the child). Returns as clone3: the pid, 0 in the child, -1 with errno. */
long clone_process(uint64_t flags, int cgroup_fd, int *pidfd, bool *into_cgroup);

#endif
