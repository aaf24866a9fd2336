/* `ps`: the processes of a container, from its cgroup (rootless without one:
 * its pid namespace); cli/ps.c prints them, or the host's ps(1) lines of them. */
#define _GNU_SOURCE
#include "container/container.h"
#include "container/state.h"

int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        ret = state_pids(state, pids, n, err);
        state_free(state);
        return ret;
}
