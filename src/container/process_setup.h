/* The last steps every container process takes, the init (init.c) and a
 * process started by exec (spawn.c) alike: its attributes and working
 * directory, its user, the fds it keeps, and then the stub (linux/stub.h).
 * Internal to container/. */
#ifndef NOOK_CONTAINER_PROCESS_SETUP_H
#define NOOK_CONTAINER_PROCESS_SETUP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "linux/lsm.h"
#include "linux/stub.h"
#include "spec/spec.h"
#include "util/error.h"

/* Personality and memory policy (linux may be NULL), scheduler, I/O priority, umask and the
 * working directory, resolved inside the current root. */
int process_setup_attributes(const struct spec_linux *linux_, const struct spec_process *process, nook_err *err);

struct process_final {
        const struct spec_process *process;
        const char *path;           /* the program; NULL: args[0], looked up on PATH */
        bool exact_env;             /* process.env as given (a hook's): no HOME added */
        const struct stub_exe *exe; /* NULL: leave the exe link alone */
        bool fork_child;            /* exec: fork into the pid namespace after the swap */
        int ctty_fd;                /* a pty slave to become the controlling terminal and stdio, or -1 */
        const struct sock_filter *filter; /* NULL: no seccomp */
        size_t filter_len;
        unsigned seccomp_flags;
        int sync_fd;
        int await_fd;  /* nook's last word (START, COMMITTED) comes here; -1: exec at once */
        int accept_fd; /* create: then wait for `nook start` on this socket; -1: none */
        int preserve_fds;
        const struct lsm_labels *labels; /* NULL: none */
        int lsm_procfd; /* with labels: nook's procfs (lsm_open_procfs), for the attr files */
};

/* Sets the LSM labels its execve gives it, becomes the process's user (keeping the capabilities the stub still needs),
 * finds the program, closes every fd but 0-2, the preserved ones and those the
 * stub needs (which close at exec), resets signals and runs the stub. Returns
 * only on failure. */
int process_finish(const struct process_final *f, nook_err *err);

#endif
