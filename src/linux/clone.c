#define _GNU_SOURCE
#include "linux/clone.h"

#include <signal.h>

#include "linux/syscalls.h"

long clone_process(uint64_t flags, int cgroup_fd, int *pidfd, bool *into_cgroup)
{
        struct clone_args args = {
                .flags = flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)pidfd,
                .exit_signal = SIGCHLD,
        };
        *into_cgroup = cgroup_fd >= 0;
        if (*into_cgroup) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cgroup_fd;
        }
        long pid = sys_clone3(&args);
        if (pid < 0 && *into_cgroup) {
                /* A cgroup2 directory can refuse direct entry (controllers it cannot host);
                 * then writing cgroup.procs reports the real reason. */
                args.flags &= ~CLONE_INTO_CGROUP;
                args.cgroup = 0;
                *into_cgroup = false;
                pid = sys_clone3(&args);
        }
        return pid;
}
