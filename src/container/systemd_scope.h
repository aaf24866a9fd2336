/* --systemd-cgroup, in the lifecycle: the container's transient scope, made
 * through systemd (linux/systemd*.h), with the container in its delegated
 * "container" leaf where nook's cgroup2 code writes the limits. The state file
 * records the unit and its bus, so later commands need no flag. Internal to
 * container/. */
#ifndef NOOK_CONTAINER_SYSTEMD_SCOPE_H
#define NOOK_CONTAINER_SYSTEMD_SCOPE_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/state.h"
#include "linux/systemd_unit.h"
#include "spec/spec.h"
#include "util/error.h"

/* How long a call to systemd may take, its job included (runc waits 30 s too). */
#define SCOPE_TIMEOUT_MS 30000

/* Before anything changes: the unit's name from linux.cgroupsPath, a host that
 * can have one (cgroup v2, systemd running), and every property it will get
 * (a bad annotation or resource fails here, naming it). */
int scope_prepare(const struct spec *spec, const char *id, bool rootless, struct systemd_unit *unit, nook_err *err);

/* Starts the scope with pid in it (systemd wants a process), moves pid into the
 * leaf, hands the unit's controllers down and writes the limits there;
 * state->cgroup becomes the leaf. The unit is recorded in the state first. */
int scope_start(const struct systemd_unit *unit, const struct spec *spec, struct container_state *state, pid_t pid,
                nook_err *err);

/* Stops the recorded unit (nothing recorded, or a unit that is gone: 0). */
int scope_stop(const struct container_state *state, nook_err *err);

/* `update`: the unit's properties follow the new limits. */
int scope_update(const struct container_state *state, const struct spec_resources *resources, nook_err *err);

#endif
