/* `kill`: a signal to the init through a pidfd (no pid-reuse race), or to
 * every process of the container's cgroup with --all: found through the cgroup,
 * so also the ones the init no longer parents (no pid namespace of its own, or
 * an init that died before its children). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "container/container.h"
#include "container/state.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"

static int signal_init(const struct container_state *state, int sig, nook_err *err)
{
        _cleanup_close_ int pidfd = sys_pidfd_open(state->pid, 0);
        /* The pidfd pins the process: check it is still the one we started. */
        if (pidfd < 0 || state_process_start_time(state->pid) != state->start_time)
                return nook_error(err, ESRCH, "cannot kill container \"%s\": container not running", state->id);
        if (sys_pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
                return nook_error_errno(err, "kill container \"%s\" (pid %d)", state->id, state->pid);
        return 0;
}

static int signal_all(const struct container_state *state, int sig, nook_err *err)
{
        if (state->cgroup == NULL) {
                /* Rootless without a cgroup: the members of its pid namespace, if it has one. */
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                int ret = state->shares_pid_namespace ? signal_init(state, sig, err)
                                                      : state_pids(state, &pids, &n, err);
                for (size_t i = 0; ret == 0 && i < n; i++)
                        if (kill(pids[i], sig) < 0 && errno != ESRCH)
                                ret = nook_error_errno(err, "kill pid %d", pids[i]);
                return ret;
        }
        bool frozen = cgroup_is_frozen(state->cgroup);
        /* cgroup2 kills the whole subtree at once, forks in flight included. */
        if (sig == SIGKILL) {
                int ret = cgroup_kill(state->cgroup, err);
                if (ret != -ENOTSUP) {
                        /* A v1-frozen task dies only once thawed. */
                        if (ret == 0 && frozen)
                                ret = cgroup_freeze(state->cgroup, false, err);
                        return ret;
                }
        }
        /* Freeze first so that nothing forks away between reading the list and the signals
         * (where there is a freezer). */
        bool froze = !frozen && cgroup_freeze(state->cgroup, true, NULL) == 0;
        int ret = 0;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        ret = cgroup_pids(state->cgroup, &pids, &n, err);
        for (size_t i = 0; ret == 0 && i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        ret = nook_error_errno(err, "kill pid %d", pids[i]);
        /* A frozen task only acts on SIGKILL once thawed; leave a paused container paused otherwise. */
        if (froze || (frozen && sig == SIGKILL)) {
                int thaw = cgroup_freeze(state->cgroup, false, ret == 0 ? err : NULL);
                if (ret == 0)
                        ret = thaw;
        }
        return ret;
}

int container_kill(const char *root, const char *id, int sig, bool all, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(state);
        if (all)
                ret = signal_all(state, sig, err);
        else if (status == STATUS_STOPPED || status == STATUS_CREATING)
                ret = nook_error(err, ESRCH, "cannot kill container \"%s\": container not running", id);
        else
                ret = signal_init(state, sig, err);
        state_free(state);
        return ret;
}
