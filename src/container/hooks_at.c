#define _GNU_SOURCE
#include "container/hooks_at.h"

#include <errno.h>
#include <json-c/json.h>

#include "container/hooks.h"
#include "container/spawn.h"

int hooks_run_at(enum spec_hook_kind kind, const struct container_state *state, const struct spec *spec,
                 enum container_status status, nook_err *err)
{
        if (spec == NULL || spec->hooks[kind].len == 0)
                return 0;
        json_object *o = state_to_json(state, status);
        const char *json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        int ret = json == NULL                   ? nook_error(err, ENOMEM, "hooks: the state")
                  : kind == HOOK_START_CONTAINER ? spawn_run_hooks(state, spec, kind, json, err)
                                                 : hooks_run(spec, kind, json, err);
        json_object_put(o);
        return ret;
}
