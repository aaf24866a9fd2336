/* Starting a process inside an existing container: `exec`, and the
 * startContainer hooks. Internal to container/.
 *
 *   nook                                   intermediate (clone3 into the cgroup2 dir)
 *                                          dumpable 0; exe info from the host's /proc
 *   join the v1 cgroups, oom_score_adj
 *   GO ──────────────────────────────────▶ setns(pidfd of the init, every namespace
 *                                            it does not share with nook: user first)
 *                                          terminal, attributes, LSM labels (through the
 *                                            host's procfs, opened before setns), user
 *                                            (process_setup.c)
 *                                    ◀──── CONSOLE   (pty master, when nook relays it)
 *                                          stub: exe swap, fork into the pid namespace
 *                                    ◀──── PID       (the forked process, nook's child by
 *                                                     CLONE_PARENT); the intermediate exits
 *                                          child: terminal, caps, no_new_privs, seccomp
 *                                    ◀──── READY     (with the seccomp listener, if any)
 *                                          execve: EOF on the socket
 *                                    ◀──── ERROR     (any time: errno, stage, text)
 *
 * The process the container can see is born after the exe swap: it never had
 * nook's binary as its exe (CVE-2019-5736). The intermediate is outside the
 * container's pid namespace and not dumpable. */
#ifndef NOOK_CONTAINER_SPAWN_H
#define NOOK_CONTAINER_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/filter.h>
#include <sys/types.h>

#include "container/state.h"
#include "linux/lsm.h"
#include "linux/seccomp.h"
#include "spec/spec.h"
#include "util/error.h"

struct spawn_request {
        const struct container_state *state; /* its init gives the namespaces */
        const struct spec *spec;             /* the container's config (linux.personality) */
        const struct spec_process *process;  /* what to run, and as whom */
        const char *path;                    /* the program; NULL: process->args[0] on PATH */
        bool exact_env;                      /* a hook's: process->env as given, no HOME added */
        const char *const *cgroups;          /* sub-cgroups: "[controller[,controller]:]path" */
        size_t n_cgroups;
        const char *console_socket; /* with process->terminal: where the master goes; NULL: back to nook */
        int preserve_fds;
        int stdin_fd, stdout_fd; /* -1: nook's own */
        const struct sock_filter *filter; /* seccomp, loaded last; NULL: none */
        size_t filter_len;
        unsigned seccomp_flags;
        const struct lsm_labels *labels; /* LSM labels and the fields they came from; NULL: the process's */
};

struct spawn_result {
        pid_t pid; /* our child, in the container */
        int pidfd;
        int console_master;   /* when nook relays the terminal, else -1 */
        int seccomp_listener; /* else -1 */
};

/* Starts the process and returns once it has executed its program (or failed to). */
int spawn_process(const struct spawn_request *req, struct spawn_result *out, nook_err *err);

/* Closes the fds of a result. */
void spawn_result_close(struct spawn_result *r);

/* The container's seccomp program (none when the config has no profile), compiled
 * through the cache under the container's state root. */
int spawn_compile_seccomp(const struct container_state *state, const struct spec *spec,
                          struct seccomp_program *program, nook_err *err);

/* Runs the config's hooks of one kind inside the container (startContainer): the
 * path resolves there, with the process's user, capabilities and seccomp filter,
 * the state JSON on stdin and the hook's args, env and timeout. */
int spawn_run_hooks(const struct container_state *state, const struct spec *spec, enum spec_hook_kind kind,
                    const char *state_json, nook_err *err);

#endif
