/* linux.seccomp → a BPF program, compiled by libseccomp in the parent before
 * clone3 and loaded by the stub (linux/stub.h) just before execve, so that
 * nook's own set-up is never filtered. */
#ifndef NOOK_LINUX_SECCOMP_H
#define NOOK_LINUX_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* What seccomp(SECCOMP_SET_MODE_FILTER, flags, {len, filter}) takes. */
struct seccomp_program {
        struct sock_filter *filter; /* heap */
        size_t len;                 /* instructions */
        unsigned flags;             /* SECCOMP_FILTER_FLAG_*; NEW_LISTENER with SCMP_ACT_NOTIFY or a listenerPath */
};

/* Compiles the config for this host's architectures. Unknown syscall names are
 * skipped (as runc and crun do); errors name the field ("syscalls[2].errnoRet: …"). */
int seccomp_compile(const struct spec_seccomp *config, struct seccomp_program *out, nook_err *err);

/* The same, through a directory of compiled programs keyed by the profile
 * (created when missing; NULL: no cache). A cache that cannot be used is only
 * a slower start, never an error. */
int seccomp_compile_cached(const struct spec_seccomp *config, const char *cache_dir, struct seccomp_program *out,
                           nook_err *err);

/* The seccomp(2) flags for the config, those this kernel lacks left out. */
int seccomp_flags(const struct spec_seccomp *config, unsigned *flags, nook_err *err);

/* Refuses SCMP_ACT_NOTIFY for the calls the stub still makes between loading
 * the filter and handing the listener fd over: they would wait for an agent
 * that cannot have the fd yet. */
int seccomp_check_notify(const struct spec_seccomp *config, bool no_new_privs, nook_err *err);

/* The cache's directory under a state root: a name no container id can take (ids hold no spaces). */
#define SECCOMP_CACHE_DIR ".seccomp cache"

/* True when some action of the config is SCMP_ACT_NOTIFY. */
bool seccomp_uses_notify(const struct spec_seccomp *config);

void seccomp_program_free(struct seccomp_program *p);

/* The most instructions the kernel takes in one filter (BPF_MAXINSNS). */
#define SECCOMP_MAX_INSTRUCTIONS 4096

/* "SCMP_ARCH_X86_64" (or "x86_64") → libseccomp's token; -EINVAL when unknown (seccomp_arch.c). */
int seccomp_arch_token(const char *name, uint32_t *token);

/* Puts runc's -ENOSYS stub in front of a compiled program (seccomp_enosys.c):
 * a call numbered above every one the profile names on its architecture is
 * newer than the profile and answers ENOSYS, not the default action, so that
 * libc falls back to older calls. Nothing when the default lets calls through
 * or already answers ENOSYS. */
int seccomp_enosys_prepend(const struct spec_seccomp *config, struct seccomp_program *program, nook_err *err);

/* For `nook features`: the architectures and flags the compiler takes, and the
 * flags this kernel has (actions and operators are the parser's: spec_names). */
enum seccomp_names {
        SECCOMP_NAMES_ARCHITECTURES, /* those libseccomp knows that join a filter of this host's */
        SECCOMP_NAMES_FLAGS,
        SECCOMP_NAMES_SUPPORTED_FLAGS,
};
size_t seccomp_names(enum seccomp_names kind, const char **out, size_t max);

/* Sends the notify fd with the container process state (JSON) to the seccomp
 * agent listening on the unix stream socket at path, in one message. */
int seccomp_send_listener(const char *path, int notify_fd, const char *process_state, nook_err *err);

#endif
