/* Staying in the foreground of a container process (`run`, `exec`): every
 * signal nook gets is forwarded to it, its terminal is relayed (nook's own
 * terminal in raw mode, its window size passed on, again at each SIGWINCH, and
 * restored at the end), and its wait status becomes nook's exit code.
 * Internal to container/. */
#ifndef NOOK_CONTAINER_FOREGROUND_H
#define NOOK_CONTAINER_FOREGROUND_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "util/error.h"

/* The signals to forward: all but the ones the kernel raises for nook's own faults.
 * Block them before starting the process, so that none is lost in between. */
void foreground_signals(sigset_t *set);

struct foreground_terminal {
        bool raw;
        struct termios saved;
};

/* When nook relays a terminal and has one on stdin: copies its window size to
 * the pty master (unless -1) and puts it in raw mode. Call before the program runs. */
void foreground_terminal_begin(int master, struct foreground_terminal *t);

/* Restores nook's terminal. */
void foreground_terminal_end(struct foreground_terminal *t);

/* Relays the terminal (master, or -1) and forwards signals until pid (our
 * child, pidfd open on it) exits; *exit_code gets its status, or 128+signal. */
int foreground_wait(pid_t pid, int pidfd, int master, const sigset_t *signals, int *exit_code, nook_err *err);

#endif
