/* PARALLEL layout, in the init: ENVIRONMENT, awaited as late as possible —
 * before the first sysfs or cgroup mount (they show the namespaces and cgroup of
 * their mounter) and before any user code — because meanwhile nook makes the
 * network namespace and the cgroups. */
#define _GNU_SOURCE
#include "container/launch.h"

#include <sched.h>
#include <unistd.h>

#include "util/cleanup.h"

int stage_init_await_environment(struct launch *l, nook_err *err)
{
        if (l->plan.layout != LAYOUT_PARALLEL || l->environment_received)
                return 0;
        /* ◀ ENVIRONMENT (with the network namespace nook made) */
        struct sync_in in;
        int ret = sync_expect(l->child_sync_fd, SYNC_ENVIRONMENT, "nook", &in, err);
        if (ret < 0)
                return ret;
        _cleanup_close_ int netns = in.fd;
        if (l->plan.netns_by_parent && (netns < 0 || setns(netns, CLONE_NEWNET) < 0))
                return nook_error_errno(err, "enter the network namespace");
        if (l->state.cgroup != NULL) {
                ret = cgroup_join_open(l->state.cgroup, &l->cgroup_join, err);
                if (ret == 0)
                        ret = cgroup_join_self(&l->cgroup_join, err);
                if (ret < 0)
                        return ret;
        }
        if (l->plan.new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                return nook_error_errno(err, "unshare the cgroup namespace");
        l->environment_received = true;
        return 0;
}
