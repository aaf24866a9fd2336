/* Ending a container: kill what is left, remove its cgroup, run the poststop
 * hooks, remove the state dir. Only processes of the container, by pid. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/hooks_at.h"
#include "container/systemd_scope.h"
#include "container/launch.h"
#include "linux/resctrl.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/log.h"

#define EXIT_CHECK_MS 10

/* Waits up to timeout_ms for pid (not necessarily our child) to end: reaped, a
 * zombie, or in exit (state_process_start_time says why that counts). The
 * pidfd wakes us for the first two; no event tells the third, so it is looked
 * at again every few ms. */
static bool wait_gone(pid_t pid, unsigned long long start_time, int timeout_ms)
{
        _cleanup_close_ int pidfd = sys_pidfd_open(pid, 0);
        if (pidfd < 0)
                return true;
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        for (int waited = 0; waited < timeout_ms; waited += EXIT_CHECK_MS) {
                /* Also: the pid may have been reused between reading the state and opening it. */
                if (state_process_start_time(pid) != start_time)
                        return true;
                if (poll(&pfd, 1, EXIT_CHECK_MS) > 0)
                        return true;
        }
        return false;
}

/* SIGKILLs every process in the cgroup until it is empty (processes may fork meanwhile). */
static int kill_cgroup(const struct cgroup *cg, nook_err *err)
{
        for (int round = 0; round < 100; round++) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                int ret = cgroup_pids(cg, &pids, &n, err);
                if (ret < 0)
                        return ret;
                if (n == 0)
                        return 0;
                if (round == 0) {
                        ret = cgroup_kill(cg, err);
                        if (ret < 0 && ret != -ENOTSUP)
                                return ret;
                }
                for (size_t i = 0; i < n; i++)
                        kill(pids[i], SIGKILL);
                /* Frozen tasks die only once thawed. */
                if (round == 0 && cgroup_is_frozen(cg)) {
                        ret = cgroup_freeze(cg, false, err);
                        if (ret < 0)
                                return ret;
                }
                for (size_t i = 0; i < n; i++)
                        wait_gone(pids[i], state_process_start_time(pids[i]), 100);
        }
        return nook_error(err, EBUSY, "processes keep appearing in the container's cgroup");
}

int container_destroy(struct container_state *state, const struct spec *spec, nook_err *err)
{
        if (state->pid > 0 && state_process_start_time(state->pid) == state->start_time) {
                if (kill(state->pid, SIGKILL) < 0 && errno != ESRCH)
                        return nook_error_errno(err, "kill the container process %d", state->pid);
                if (state->cgroup != NULL && cgroup_is_frozen(state->cgroup))
                        cgroup_freeze(state->cgroup, false, NULL);
                if (!wait_gone(state->pid, state->start_time, 10000))
                        return nook_error(err, ETIMEDOUT, "the container process %d did not die", state->pid);
        }
        /* Usually the init took everything with it (its pid namespace ended): then one rmdir
         * per hierarchy does. Otherwise kill what remains and remove sub-cgroups too. */
        if (state->cgroup != NULL && cgroup_remove_if_empty(state->cgroup) != 0) {
                int ret = kill_cgroup(state->cgroup, err);
                if (ret == 0)
                        ret = cgroup_destroy(state->cgroup, err);
                if (ret < 0)
                        return ret;
        }
        /* Its unit goes, and with it what systemd made for it. */
        int ret = scope_stop(state, err);
        if (ret < 0)
                return ret;
        if (spec != NULL && spec->linux != NULL && spec->linux->intel_rdt != NULL) {
                /* Its processes are gone; a resctrl mount gone too took the group with it. */
                nook_err rdt_err = NULL;
                if (resctrl_remove(spec->linux->intel_rdt, state->id, &rdt_err) < 0) {
                        log_warning("%s", rdt_err->msg);
                        nook_error_free(&rdt_err);
                }
        }
        /* The runtime-spec: a failing poststop hook is logged and deletion goes on. */
        nook_err hook_err = NULL;
        if (hooks_run_at(HOOK_POSTSTOP, state, spec, STATUS_STOPPED, &hook_err) < 0) {
                log_warning("%s", hook_err->msg);
                nook_error_free(&hook_err);
        }
        return state_remove_dir(state->dir, err);
}

int container_delete(const char *root, const char *id, bool force, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret == -ENOENT && force) {
                /* runc's contract, which podman and containerd's shim rely on when they clean up
                 * after a failed create: --force deletes a container that is gone, and the
                 * directory an interrupted create left without its state file. */
                nook_error_free(err);
                _cleanup_free_ char *dir = NULL;
                if (asprintf(&dir, "%s/%s", root, id) < 0)
                        return nook_error(err, ENOMEM, "state dir");
                return state_remove_dir(dir, err);
        }
        if (ret < 0)
                return ret;
        enum container_status status = state_status(state);
        if ((status == STATUS_RUNNING || status == STATUS_PAUSED || status == STATUS_CREATING) && !force) {
                ret = nook_error(err, EBUSY, "cannot delete container \"%s\" that is not stopped: %s", id,
                                 state_status_name(status));
                state_free(state);
                return ret;
        }
        /* --force on a container being created ends its creator first (its start time
         * says it is still the same process). */
        if (status == STATUS_CREATING && kill(state->creator, SIGKILL) == 0 &&
            !wait_gone(state->creator, state->creator_start_time, 10000)) {
                ret = nook_error(err, ETIMEDOUT, "the nook creating container \"%s\" (pid %d) did not die", id,
                                 state->creator);
                state_free(state);
                return ret;
        }
        struct spec *spec = NULL;
        nook_err spec_err = NULL;
        /* A create that never got its init ready ran no hook and saved no config. */
        if (state->pid > 0 && spec_load(state->dir, &spec, &spec_err) < 0) {
                log_warning("delete: poststop hooks not run: %s", spec_err->msg);
                nook_error_free(&spec_err);
        }
        ret = container_destroy(state, spec, err);
        spec_free(spec);
        state_free(state);
        return ret;
}
