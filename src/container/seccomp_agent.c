#define _GNU_SOURCE
#include "container/seccomp_agent.h"

#include <json-c/json.h>

#include "linux/seccomp.h"
#include "util/cleanup.h"

int seccomp_agent_send(const struct spec *spec, const struct container_state *state, enum container_status status,
                       pid_t pid, int listener, nook_err *err)
{
        const struct spec_seccomp *config = spec->linux->seccomp;
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object *fds = json_object_new_array();
        json_object_array_add(fds, json_object_new_string("seccompFd"));
        json_object_object_add(o, "ociVersion", json_object_new_string(spec->oci_version));
        json_object_object_add(o, "fds", fds);
        json_object_object_add(o, "pid", json_object_new_int(pid));
        if (config->listener_metadata != NULL)
                json_object_object_add(o, "metadata", json_object_new_string(config->listener_metadata));
        json_object_object_add(o, "state", state_to_json(state, status));
        return seccomp_send_listener(
                config->listener_path, listener,
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), err);
}
