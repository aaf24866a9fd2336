/* The plan of a start, from the config and the caller alone (no system calls):
 * which layout of processes, which namespaces each one makes, who writes which
 * id maps, and so which messages the start exchanges, in which order. */
#define _GNU_SOURCE
#include "container/launch.h"

#include <sched.h>

bool launch_has_early_hooks(const struct spec *spec)
{
        return spec->hooks[HOOK_PRESTART].len > 0 || spec->hooks[HOOK_CREATE_RUNTIME].len > 0 ||
               spec->hooks[HOOK_CREATE_CONTAINER].len > 0;
}

static bool has_new(const struct spec *spec, enum spec_namespace_type type)
{
        const struct spec_namespace *ns = spec_namespace(spec, type);
        return ns != NULL && ns->path == NULL;
}

void launch_plan_make(const struct spec *spec, const struct create_options *opts, enum launch_mode mode, uid_t euid,
                      struct launch_plan *plan)
{
        *plan = (struct launch_plan){ .mode = mode };
        unsigned long new_flags = 0;
        bool joins = false;
        for (size_t i = 0; spec->linux != NULL && i < spec->linux->namespaces.len; i++) {
                const struct spec_namespace *ns = &spec->linux->namespaces.items[i];
                if (ns->path != NULL)
                        joins = true;
                else if (ns->type == NS_CGROUP)
                        plan->new_cgroupns = true;
                else
                        new_flags |= (unsigned long)spec_namespace_clone_flag(ns->type);
        }
        plan->new_userns = (new_flags & CLONE_NEWUSER) != 0;
        plan->in_userns = spec_namespace(spec, NS_USER) != NULL || opts->rootless;
        plan->time_offsets = spec->linux != NULL && (spec->linux->time_monotonic.set || spec->linux->time_boottime.set);
        plan->hooks_request = launch_has_early_hooks(spec);
        plan->console_relay = spec->process->terminal && opts->console_socket == NULL;
        plan->shares_pid_namespace = !has_new(spec, NS_PID);
        plan->cgroup_by_systemd = opts->systemd_cgroup;
        bool pid_or_time = spec_namespace(spec, NS_PID) != NULL || spec_namespace(spec, NS_TIME) != NULL;

        if (mode == LAUNCH_RESTORE) {
                /* criu makes the namespaces and the processes as the image says. */
                plan->layout = LAYOUT_RESTORE;
                return;
        }
        if (plan->new_userns && has_new(spec, NS_MOUNT)) {
                /* Locked mounts: the outer stage makes the mount namespace (and, rootless, a
                 * user namespace with the config's maps); it clones the init into the
                 * container's own user namespace with the others, which that one owns. */
                plan->layout = LAYOUT_OUTER;
                plan->setns_first = joins;
                plan->outer_in_host = euid == 0;
                plan->outer_time = (new_flags & CLONE_NEWTIME) != 0;
                plan->outer_pivot = !opts->no_pivot && !plan->hooks_request;
                unsigned long inner = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
                plan->init_flags = CLONE_NEWUSER | (new_flags & inner) | (plan->new_cgroupns ? CLONE_NEWCGROUP : 0);
                unsigned long outer = plan->outer_in_host ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS;
                if (joins)
                        plan->unshare_flags = outer;
                else
                        plan->clone_flags = outer;
                plan->first_maps_by_parent = !plan->outer_in_host;
                plan->init_maps_by_parent = plan->outer_in_host;
        } else if (joins || plan->time_offsets) { /* (offsets come with a new time namespace: spec.c) */
                /* Joined first (the user namespace first of all), then the new ones; a pid or
                 * time namespace made after setns holds only children, and time offsets must
                 * be written before any process enters the namespace. */
                plan->layout = pid_or_time ? LAYOUT_FORK : LAYOUT_SINGLE;
                plan->setns_first = true;
                plan->unshare_flags = new_flags;
                plan->first_maps_by_parent = plan->new_userns;
        } else if (!plan->new_userns && !opts->rootless) {
                /* pid and time hold only children: clone3 makes them. The rest the init
                 * makes itself, but the network namespace (the dearest) nook makes meanwhile. */
                plan->layout = LAYOUT_PARALLEL;
                plan->clone_flags = new_flags & (CLONE_NEWPID | CLONE_NEWTIME);
                plan->unshare_flags = new_flags & ~(unsigned long)(CLONE_NEWPID | CLONE_NEWTIME | CLONE_NEWNET);
                plan->netns_by_parent = (new_flags & CLONE_NEWNET) != 0;
        } else {
                plan->layout = LAYOUT_SINGLE;
                plan->clone_flags = new_flags;
                plan->first_maps_by_parent = plan->new_userns;
        }
        plan->lo_by_init = has_new(spec, NS_NETWORK) && !plan->netns_by_parent;
}

size_t launch_plan_steps(const struct launch_plan *plan, struct launch_step steps[LAUNCH_MAX_STEPS])
{
        size_t n = 0;
        if (plan->layout == LAYOUT_RESTORE)
                return 0;
#define STEP(from, t) (steps[n++] = (struct launch_step){ .from_child = (from), .type = (t) })
        if (plan->setns_first)
                STEP(true, SYNC_JOINED);
        STEP(false, SYNC_ENVIRONMENT);
        if (plan->layout == LAYOUT_FORK || plan->layout == LAYOUT_OUTER)
                STEP(true, SYNC_HELLO);
        if (plan->init_maps_by_parent)
                STEP(false, SYNC_MAPPED);
        if (plan->hooks_request) {
                STEP(true, SYNC_HOOKS);
                STEP(false, SYNC_HOOKS_DONE);
        }
        if (plan->console_relay)
                STEP(true, SYNC_CONSOLE);
        STEP(true, SYNC_READY);
        STEP(false, plan->mode == LAUNCH_RUN ? SYNC_START : SYNC_COMMITTED);
#undef STEP
        return n;
}
