/* The last steps before a container process runs its program, done so that
 * the process never runs the user's code with nook's binary as its exe
 * (CVE-2019-5736: /proc/<pid>/exe reopened to overwrite the runtime).
 *
 * The stub is a freestanding function (stub_code.c, its own ELF section with no
 * relocations) copied into an anonymous mapping. From there it unmaps nook's
 * own segments, points /proc/self/exe at an empty sealed memfd with
 * prctl(PR_SET_MM_MAP) — the kernel refuses while the old binary is mapped —
 * then, with raw system calls only: forks into a pid namespace (exec), takes
 * its controlling terminal (exec -t), sets the final capabilities, no_new_privs and seccomp (last), reports ready,
 * waits for start and calls execve. Everything it touches lives in one
 * anonymous arena built by stub_build(). */
#ifndef NOOK_LINUX_STUB_H
#define NOOK_LINUX_STUB_H

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

#define STUB_MAX_UNMAP 64
#define STUB_MESSAGE_MAX 256

enum stub_stage {
        STUB_STAGE_EXE,
        STUB_STAGE_FORK,
        STUB_STAGE_SESSION,
        STUB_STAGE_TERMINAL,
        STUB_STAGE_CAPS,
        STUB_STAGE_AMBIENT,
        STUB_STAGE_NO_NEW_PRIVS,
        STUB_STAGE_SECCOMP,
        STUB_STAGE_READY,
        STUB_STAGE_WAIT,
        STUB_STAGE_EXEC,
        STUB_STAGE_COUNT,
};

/* What each stage was doing, for error messages. */
const char *stub_stage_name(enum stub_stage stage);

/* A message written as is, with two 32-bit slots the stub fills in. */
struct stub_message {
        uint32_t len;
        uint32_t code_offset;  /* errno (errors) */
        uint32_t value_offset; /* stage + 1 (errors), pid (fork report) */
        unsigned char bytes[STUB_MESSAGE_MAX];
};

/* The arena's header; built by stub_build, read by the stub. */
struct stub_plan {
        /* Replacing the exe link. */
        int swap_exe;
        int n_unmap;
        struct {
                unsigned long start, len;
        } unmap[STUB_MAX_UNMAP];
        struct prctl_mm_map mm;

        /* Forking the visible process (exec): the child says HELLO (nook reads its pid
         * off the message's credentials), the parent exits without a word. */
        int fork_child;
        struct stub_message hello;

        /* A pty slave that becomes the controlling terminal and stdio (-1: none). Done by the
         * process that execs, which leads its own session (the forked child makes one; the
         * init has one already): the terminal of a session is taken away when its leader exits. */
        int ctty_fd;

        /* Credentials. */
        int set_caps;
        struct __user_cap_header_struct cap_header;
        struct __user_cap_data_struct cap_data[2];
        uint64_t ambient;
        int last_cap;
        int no_new_privs;

        /* Seccomp: loaded before capset when no_new_privs is off (it needs CAP_SYS_ADMIN then). */
        int seccomp;
        struct sock_fprog seccomp_prog;
        unsigned seccomp_flags;
        int seccomp_listener; /* SECCOMP_FILTER_FLAG_NEW_LISTENER: the fd travels with "ready" */

        /* Handshake. */
        int sync_fd;
        struct stub_message ready;
        struct stub_message error;
        int await_fd;  /* read nook's last word here (run: START, create: COMMITTED); EOF: exit. -1: none */
        int accept_fd; /* then accept() `nook start` on it (create), closing await_fd first. -1: none */

        /* The program. */
        const char *path;
        char *const *argv;
        char *const *envp;
};

/* What swapping the exe link needs, captured while the host's /proc is in
 * reach: nook's own mappings, the mm fields PR_SET_MM_MAP wants, and an
 * empty sealed memfd opened read-only to become the new exe. */
struct stub_exe {
        int n_unmap;
        struct {
                unsigned long start, len;
        } unmap[STUB_MAX_UNMAP];
        struct prctl_mm_map mm; /* brk is refreshed by stub_build */
};

/* Fills exe; returns 0, or a negative errno with err set. */
int stub_exe_capture(struct stub_exe *exe, nook_err *err);

struct stub_request {
        const struct stub_exe *exe; /* NULL: leave the exe link alone */
        bool fork_child;
        int ctty_fd; /* -1: none */
        const struct spec_capabilities *caps; /* NULL: leave capabilities alone */
        bool no_new_privs;
        const struct sock_filter *filter; /* NULL: no seccomp */
        size_t filter_len;
        unsigned seccomp_flags;
        int sync_fd;
        int await_fd;
        int accept_fd;
        const struct stub_message *ready, *error, *hello;
        const char *path;
        const char *const *argv;
        size_t argc;
        const char *const *envp;
        size_t envc;
};

/* Whether /proc/self/exe must be swapped: false when nook's binary is on a
 * read-only mount (nothing can reopen it for writing), ~3 µs. */
bool stub_exe_needs_protection(void);

/* Copies everything the stub needs into one anonymous arena. */
int stub_build(const struct stub_request *req, struct stub_plan **out, nook_err *err);

/* Runs the stub; never returns. Signals must be blocked and handlers reset by the caller. */
__attribute__((noreturn)) void stub_run(struct stub_plan *plan);

/* Entry point of the freestanding code (stub_code.c). */
__attribute__((noreturn)) void stub_main(struct stub_plan *plan);

#endif
