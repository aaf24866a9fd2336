/* `state` and `list`: what the containers under a root are doing now, as OCI
 * state objects (cli/state.c and cli/list.c print them). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "container/container.h"
#include "container/state.h"
#include "util/cleanup.h"

int container_state(const char *root, const char *id, json_object **out, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        *out = state_to_json(state, state_status(state));
        state_free(state);
        return 0;
}

int container_list(const char *root, json_object **out, nook_err *err)
{
        char **ids = NULL; /* n of them, not NULL-terminated */
        size_t n = 0;
        int ret = state_list_ids(root, &ids, &n, err);
        if (ret < 0)
                return ret;
        json_object *list = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *state = NULL;
                _cleanup_error_ nook_err gone = NULL;
                /* A container deleted meanwhile is simply not listed. */
                if (container_state(root, ids[i], &state, &gone) == 0)
                        json_object_array_add(list, state);
        }
        for (size_t i = 0; i < n; i++)
                free(ids[i]);
        free(ids);
        *out = list;
        return 0;
}
