/* The parent ↔ container-init protocol over one SOCK_SEQPACKET socketpair.
 *
 *   parent                                 child
 *   clone3 ──────────────────────────────▶ (simple: namespaces made by clone3)
 *                                    ◀──── UNSHARED   (only after setns/unshare by path)
 *   join cgroup, oom_score_adj, id maps
 *   GO ──────────────────────────────────▶
 *     (common path, cgroup_deferred: the init unshares and mounts without waiting,
 *      nook makes the network namespace and the cgroup meanwhile; this GO carries
 *      the netns fd and is awaited before the first sysfs or cgroup mount)
 *                                    ◀──── PID        (only when it forked into a pid/time ns)
 *                                    ◀──── HOOKS      (mounts done: run prestart/createRuntime)
 *   GO ──────────────────────────────────▶
 *                                    ◀──── CONSOLE    (pty master, when nook itself relays it)
 *                                    ◀──── READY      (stub: caps, seccomp done; seccomp fd attached)
 *   run: GO ─────────────────────────────▶ execve; EOF on the socket = exec done
 *   create: exit; `start` connects to start.sock instead
 *                                    ◀──── ERROR      (any time: errno, stage, text)
 */
#ifndef NOOK_CONTAINER_SYNC_H
#define NOOK_CONTAINER_SYNC_H

#include <stdint.h>

#include "linux/stub.h"
#include "util/error.h"

enum sync_type {
        SYNC_GO = 1,
        SYNC_UNSHARED,
        SYNC_PID,
        SYNC_HOOKS,
        SYNC_CONSOLE,
        SYNC_READY,
        SYNC_ERROR,
};

#define SYNC_TEXT_MAX 4000

struct sync_msg {
        uint32_t type;
        int32_t code;  /* errno for SYNC_ERROR */
        int32_t value; /* pid for SYNC_PID; for SYNC_ERROR from the stub: its stage + 1, else 0 */
        char text[SYNC_TEXT_MAX];
};

#define SYNC_HEADER_SIZE 12

/* Sends a message with no text. */
int sync_send(int fd, enum sync_type type, int32_t value, nook_err *err);

/* Sends an error object to the other side (child → parent). */
void sync_send_error(int fd, const struct nook_error *error);

/* Sends an fd with a message (SCM_RIGHTS). */
int sync_send_fd(int fd, enum sync_type type, int passed_fd, nook_err *err);

/* Receives one message; *passed_fd gets an fd that came with it (or -1).
 * Returns 0, or -EPIPE at end of stream. */
int sync_recv(int fd, struct sync_msg *msg, int *passed_fd, nook_err *err);

/* Waits for `expected`; an ERROR message becomes *err verbatim; EOF says the child died. */
int sync_expect(int fd, enum sync_type expected, struct sync_msg *msg, nook_err *err);

/* Turns a received SYNC_ERROR into an error object. */
int sync_error_from_msg(const struct sync_msg *msg, nook_err *err);

/* The templates the stub sends (ready, error with path as text, fork report). */
void sync_stub_messages(const char *path, struct stub_message *ready, struct stub_message *error,
                        struct stub_message *fork_report);

#endif
