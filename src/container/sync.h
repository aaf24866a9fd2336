/* The messages between nook and the processes it starts, over one
 * SOCK_SEQPACKET socketpair: one type per meaning. Which ones a start
 * exchanges, and in which order, follows from its plan (launch_plan_steps,
 * drawn in launch.h); the receiver checks every message against that order.
 *
 * Each process sends only while the order says it is its turn: a process that
 * forks the next one (the first child of a FORK layout, the outer stage, exec's
 * intermediate) says nothing after the fork but an error, and the new process
 * announces itself (HELLO); nook reads its pid off the message's credentials
 * (SO_PASSCRED), translated into nook's pid namespace by the kernel. */
#ifndef NOOK_CONTAINER_SYNC_H
#define NOOK_CONTAINER_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux/stub.h"
#include "util/error.h"

enum sync_type {
        /* From a child of nook's. */
        SYNC_JOINED = 1, /* the first child joined namespaces by path and unshared the new ones */
        SYNC_HELLO,      /* the init (or exec's process) itself, first thing after its birth */
        SYNC_HOOKS,      /* the mounts are made: run the prestart and createRuntime hooks */
        SYNC_CONSOLE,    /* the pty master, when nook relays the terminal */
        SYNC_READY,      /* the stub is ready to exec (the seccomp listener attached, if any) */
        SYNC_ERROR,      /* at any time: errno, text (or the stub's stage) */
        /* From nook. */
        SYNC_ENVIRONMENT, /* the cgroup is made and joined, the id maps written, the oom score set;
                           * on the parallel path with the network namespace attached */
        SYNC_MAPPED,      /* the init's id maps are written (locked mounts, rootful) */
        SYNC_HOOKS_DONE,  /* prestart and createRuntime ran; value: the init's pid on the host */
        SYNC_START,       /* run: exec the program now */
        SYNC_COMMITTED,   /* create: the state is saved; wait for `nook start` */
        SYNC_TYPE_MAX = SYNC_COMMITTED,
};

/* "HELLO", for messages about the protocol. */
const char *sync_type_name(enum sync_type type);

#define SYNC_TEXT_MAX 4000

struct sync_msg {
        uint32_t type;
        int32_t code;  /* errno for SYNC_ERROR */
        int32_t value; /* HOOKS_DONE: the init's pid; SYNC_ERROR from the stub: its stage + 1, else 0 */
        char text[SYNC_TEXT_MAX];
};

#define SYNC_HEADER_SIZE 12

/* One message as received. */
struct sync_in {
        struct sync_msg msg;
        int fd;       /* passed with it (SCM_RIGHTS), or -1 */
        pid_t sender; /* from its credentials when the socket has SO_PASSCRED, else 0 */
};

/* Sends a message with no text. */
int sync_send(int fd, enum sync_type type, int32_t value, nook_err *err);

/* Sends an error object to the other side (child → parent). */
void sync_send_error(int fd, const struct nook_error *error);

/* Sends an fd with a message (SCM_RIGHTS). */
int sync_send_fd(int fd, enum sync_type type, int passed_fd, nook_err *err);

/* Has the kernel attach the sender's credentials to every message this end receives. */
int sync_want_credentials(int fd, nook_err *err);

/* Receives one message. Returns 0, or -EPIPE at end of stream. A peer that
 * exited with messages of ours unread resets the connection: what it sent
 * before is still read, then EOF. */
int sync_recv(int fd, struct sync_in *in, nook_err *err);

/* Receives the next message of an exchange whose order is known: an ERROR
 * becomes *err verbatim, EOF says the peer died, any type but `expected` is
 * a protocol error naming both. peer names the other side in messages. */
int sync_expect(int fd, enum sync_type expected, const char *peer, struct sync_in *in, nook_err *err);

/* The check sync_expect makes, alone (pure): 0 when got is expected. */
int sync_check_order(enum sync_type got, enum sync_type expected, const char *peer, nook_err *err);

/* Turns a received SYNC_ERROR into an error object. */
int sync_error_from_msg(const struct sync_msg *msg, nook_err *err);

/* The templates the stub sends: READY, ERROR (with path as its text, and a note
 * shown when the exec is refused: the LSM label it was to get; may be NULL), HELLO
 * (the forked process's). */
void sync_stub_messages(const char *path, const char *exec_note, struct stub_message *ready,
                        struct stub_message *error, struct stub_message *hello);

#endif
