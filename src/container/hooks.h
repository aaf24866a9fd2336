/* OCI hooks: each one is executed with the container's state JSON on stdin,
 * its args and env, and killed after its timeout. */
#ifndef NOOK_CONTAINER_HOOKS_H
#define NOOK_CONTAINER_HOOKS_H

#include "spec/spec.h"
#include "util/error.h"

/* The config's name of a hook kind ("createRuntime"). */
const char *hooks_kind_name(enum spec_hook_kind kind);

/* Runs the hooks of one kind in order; the first failure stops them and is returned. */
int hooks_run(const struct spec *spec, enum spec_hook_kind kind, const char *state_json, nook_err *err);

#endif
