/* `state` and `list`: what the containers under a root are doing now. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/launch.h"
#include "util/cleanup.h"

static const int json_flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;

int container_print_state(const char *root, const char *id, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        json_object *o = state_to_json(state, state_status(state));
        printf("%s\n", json_object_to_json_string_ext(o, json_flags));
        json_object_put(o);
        state_free(state);
        return 0;
}

int container_print_list(const char *root, const char *format, bool quiet, nook_err *err)
{
        bool json = format != NULL && strcmp(format, "json") == 0;
        if (format != NULL && !json && strcmp(format, "table") != 0)
                return nook_error(err, 0, "--format: unknown format \"%s\" (table or json)", format);
        char **ids = NULL;
        size_t n = 0;
        int ret = state_list_ids(root, &ids, &n, err);
        if (ret < 0)
                return ret;
        json_object *list = json_object_new_array();
        if (!json && !quiet)
                printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        for (size_t i = 0; i < n; i++) {
                struct container_state *state = NULL;
                nook_err skip = NULL;
                /* A container deleted meanwhile is simply not listed. */
                if (state_load(root, ids[i], &state, &skip) < 0) {
                        nook_error_free(&skip);
                        continue;
                }
                enum container_status status = state_status(state);
                if (quiet)
                        printf("%s\n", state->id);
                else if (json)
                        json_object_array_add(list, state_to_json(state, status));
                else
                        printf("%-20s %-8d %-10s %-40s %-30s %s\n", state->id,
                               status == STATUS_STOPPED ? 0 : state->pid, state_status_name(status),
                               state->bundle, state->created, state->owner != NULL ? state->owner : "");
                state_free(state);
        }
        if (json && !quiet)
                printf("%s\n", json_object_to_json_string_ext(list, json_flags));
        json_object_put(list);
        for (size_t i = 0; i < n; i++)
                free(ids[i]);
        free(ids);
        return 0;
}
