/* The -ENOSYS stub put in front of a compiled profile.
 *
 * A profile is written for the system calls its author knew. One the kernel
 * added later is named nowhere in it, so it would get the default action —
 * EPERM for Docker's and Podman's profiles — and libc, which falls back to an
 * older call on ENOSYS only (clone3 → clone, faccessat2 → faccessat, …), breaks.
 * runc's answer, followed here: per architecture, a call numbered above the
 * highest the profile names is newer than the profile and gets ENOSYS, as it
 * would from a kernel that lacks it. Permissive defaults (allow, log, trace)
 * and a default that answers ENOSYS already need no stub.
 *
 * The stub, one group per audit architecture (x86_64 and x32 share one: x32
 * calls have bit 30 set), each falling through to the next when the
 * architecture differs, and the whole falling through to the profile:
 *
 *      ld   [arch]
 *   g: jeq  ARCH, 0, next          (x86_64: ld [nr]; jset X32_BIT
 *      ld   [nr]                     then jgt MAX_X32 or jgt MAX_X86_64)
 *      jgt  MAX, enosys, filter    (s390: jeq 0 first: unknown large calls
 *      ret  ERRNO(ENOSYS)            arrive there as number 0)
 *      ja   FILTER
 *   next: …
 *   FILTER: the profile as libseccomp compiled it
 */
#define _GNU_SOURCE
#include "linux/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define X32_SYSCALL_BIT 0x40000000u
#define NO_MAX UINT32_MAX /* no call named for that mode: nothing is above it */
#define MAX_GROUPS 24
#define MAX_GROUP_LEN 7

struct arch_group {
        uint32_t audit_arch;
        uint32_t max;     /* highest call the profile names here (x86_64: in 64-bit mode) */
        uint32_t max_x32; /* x86_64 only: in x32 mode (bit 30 included) */
        bool x86_64, s390;
};

/* Whether a profile's default lets a new call through or already answers ENOSYS. */
static bool needs_stub(const struct spec_seccomp *config)
{
        switch (config->default_action) {
        case SPEC_SECCOMP_ALLOW:
        case SPEC_SECCOMP_LOG:
        case SPEC_SECCOMP_TRACE: /* a tracer handles new calls its own way */
                return false;
        case SPEC_SECCOMP_ERRNO:
                return !(config->default_errno_ret.set && config->default_errno_ret.value == ENOSYS);
        default:
                return true;
        }
}

/* The highest number any name of the profile has on one libseccomp architecture, or NO_MAX. */
static uint32_t highest_named(const struct spec_seccomp *config, uint32_t arch_token)
{
        int64_t max = -1;
        for (size_t i = 0; i < config->syscalls.len; i++) {
                const struct spec_seccomp_rule *rule = &config->syscalls.items[i];
                for (size_t j = 0; j < rule->names.len; j++) {
                        /* Negative: unknown here, or a pseudo-number for a call this arch lacks. */
                        int nr = seccomp_syscall_resolve_name_arch(arch_token, rule->names.items[j]);
                        if (nr >= 0 && nr > max)
                                max = nr;
                }
        }
        return max >= 0 ? (uint32_t)max : NO_MAX;
}

static struct arch_group *group_for(struct arch_group *groups, size_t *n, uint32_t audit_arch)
{
        for (size_t i = 0; i < *n; i++)
                if (groups[i].audit_arch == audit_arch)
                        return &groups[i];
        if (*n == MAX_GROUPS)
                return NULL;
        groups[*n] = (struct arch_group){ .audit_arch = audit_arch, .max = NO_MAX, .max_x32 = NO_MAX };
        return &groups[(*n)++];
}

/* The architectures the filter covers: the native one (libseccomp always has it)
 * and the profile's, grouped by the audit architecture the kernel reports. */
static int plan_groups(const struct spec_seccomp *config, struct arch_group *groups, size_t *n)
{
        *n = 0;
        for (size_t i = 0; i <= config->architectures.len; i++) {
                uint32_t token = i == 0 ? seccomp_arch_native() : 0;
                if (i > 0 && seccomp_arch_token(config->architectures.items[i - 1], &token) < 0)
                        continue; /* refused by the compiler already */
                bool x32 = token == SCMP_ARCH_X32;
                struct arch_group *g = group_for(groups, n, x32 ? AUDIT_ARCH_X86_64 : token);
                if (g == NULL)
                        return -E2BIG;
                g->x86_64 = g->audit_arch == AUDIT_ARCH_X86_64;
                g->s390 = token == SCMP_ARCH_S390 || token == SCMP_ARCH_S390X;
                if (x32)
                        g->max_x32 = highest_named(config, token);
                else
                        g->max = highest_named(config, token);
        }
        return 0;
}

/* One group's instructions, with FILTER's jump left for the caller (the last one). */
static size_t emit_group(const struct arch_group *g, struct sock_filter *out)
{
        const uint32_t enosys = SECCOMP_RET_ERRNO | ENOSYS;
        size_t n = 0;
        out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, g->audit_arch, 0, 0); /* jf below */
        out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        if (g->x86_64) {
                /* x32 → the second jgt; each jgt: → ret ENOSYS, or → ja FILTER. */
                out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 1, 0);
                out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, g->max, 1, 2);
                out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, g->max_x32, 0, 1);
        } else {
                if (g->s390)
                        out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
                out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, g->max, 0, 1);
        }
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, enosys);
        out[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0); /* k: set by the caller */
        out[0].jf = (uint8_t)(n - 1); /* another architecture: the next group */
        return n;
}

int seccomp_enosys_prepend(const struct spec_seccomp *config, struct seccomp_program *program, nook_err *err)
{
        if (!needs_stub(config))
                return 0;
        struct arch_group groups[MAX_GROUPS];
        size_t n_groups;
        if (plan_groups(config, groups, &n_groups) < 0)
                return nook_error(err, E2BIG, "linux.seccomp.architectures: too many for the -ENOSYS stub");
        size_t max_len = 1 + n_groups * MAX_GROUP_LEN + program->len;
        _cleanup_free_ struct sock_filter *all = calloc(max_len, sizeof(*all));
        if (all == NULL)
                return nook_error(err, ENOMEM, "seccomp");
        size_t len = 0;
        all[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        size_t jumps[MAX_GROUPS], n_jumps = 0;
        for (size_t i = 0; i < n_groups; i++) {
                const struct arch_group *g = &groups[i];
                if (g->max == NO_MAX && g->max_x32 == NO_MAX)
                        continue; /* the profile names nothing there: nothing to tell new from old */
                len += emit_group(g, all + len);
                jumps[n_jumps++] = len - 1;
        }
        if (n_jumps == 0)
                return 0;
        for (size_t i = 0; i < n_jumps; i++)
                all[jumps[i]].k = (uint32_t)(len - jumps[i] - 1);
        if (len + program->len > SECCOMP_MAX_INSTRUCTIONS)
                return nook_error(err, E2BIG, "seccomp: the filter has %zu instructions with the -ENOSYS stub, the "
                                              "kernel takes %d", len + program->len, SECCOMP_MAX_INSTRUCTIONS);
        memcpy(all + len, program->filter, program->len * sizeof(*all));
        free(program->filter);
        program->len += len;
        program->filter = steal_pointer(&all);
        return 0;
}
