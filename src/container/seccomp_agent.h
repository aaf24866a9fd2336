/* SCMP_ACT_NOTIFY: hands a container process's listener fd to the seccomp
 * agent at linux.seccomp.listenerPath, as OCI config-linux.md says. */
#ifndef NOOK_CONTAINER_SECCOMP_AGENT_H
#define NOOK_CONTAINER_SECCOMP_AGENT_H

#include <sys/types.h>

#include "container/state.h"
#include "spec/spec.h"
#include "util/error.h"

/* Sends listener with the container process state: ociVersion, fds
 * ["seccompFd"], pid (the process the filter is on), metadata and the
 * container's state in the given status. Closes nothing. */
int seccomp_agent_send(const struct spec *spec, const struct container_state *state, enum container_status status,
                       pid_t pid, int listener, nook_err *err);

#endif
