/* OCI hooks: each one is executed with the container's state JSON on stdin,
 * its args and env, and killed after its timeout. */
#ifndef NOOK_CONTAINER_HOOKS_H
#define NOOK_CONTAINER_HOOKS_H

#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* The config's name of a hook kind ("createRuntime"). */
const char *hooks_kind_name(enum spec_hook_kind kind);

/* Runs the hooks of one kind in order, in nook's namespaces; the first failure
 * stops them and is returned. */
int hooks_run(const struct spec *spec, enum spec_hook_kind kind, const char *state_json, nook_err *err);

/* Starts one hook as a child of nook with stdin_fd as its stdin and nook's
 * stderr as its stdout and stderr; *pid gets it. */
typedef int (*hook_spawn_fn)(void *ctx, const struct spec_hook *hook, int stdin_fd, pid_t *pid, nook_err *err);

/* hooks_run, with the hooks started by spawn (e.g. inside the container). */
int hooks_run_with(const struct spec *spec, enum spec_hook_kind kind, const char *state_json, hook_spawn_fn spawn,
                   void *ctx, nook_err *err);

#endif
