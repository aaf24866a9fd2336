/* `pause` and `resume`: the container's cgroup frozen or thawed (v1 freezer,
 * cgroup2 cgroup.freeze); the state then reads "paused". */
#define _GNU_SOURCE
#include <errno.h>

#include "container/container.h"
#include "container/state.h"

int container_pause(const char *root, const char *id, bool pause, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(state);
        const char *verb = pause ? "pause" : "resume";
        if (state->cgroup == NULL)
                ret = nook_error(err, ENOTSUP, "cannot %s container \"%s\": it has no cgroup (rootless)", verb, id);
        else if (pause && status != STATUS_RUNNING)
                ret = nook_error(err, EINVAL, "cannot pause container \"%s\": it is %s, not running", id,
                                 state_status_name(status));
        else if (!pause && status != STATUS_PAUSED)
                ret = nook_error(err, EINVAL, "cannot resume container \"%s\": it is %s, not paused", id,
                                 state_status_name(status));
        else
                ret = cgroup_freeze(state->cgroup, pause, err);
        state_free(state);
        return ret;
}
