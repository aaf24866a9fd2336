/* The one place that runs a lifecycle point's hooks: the container's state (in
 * the status the point gives it) on their stdin, each hook where the
 * runtime-spec runs it — startContainer inside the container (spawn.c), the
 * others from the calling process, which for createContainer is the init, in the
 * container's namespaces already. Internal to container/. */
#ifndef NOOK_CONTAINER_HOOKS_AT_H
#define NOOK_CONTAINER_HOOKS_AT_H

#include "container/state.h"
#include "spec/spec.h"
#include "util/error.h"

/* Runs the config's hooks of one kind in order; the first failure stops them
 * and is returned. Nothing to run: 0 at once. */
int hooks_run_at(enum spec_hook_kind kind, const struct container_state *state, const struct spec *spec,
                 enum container_status status, nook_err *err);

#endif
