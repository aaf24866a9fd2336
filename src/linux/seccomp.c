/* linux.seccomp → BPF through libseccomp, and the notify fd's way to its agent.
 *
 * The program is only compiled here (seccomp_export_bpf); the stub loads it
 * with seccomp(2) as the last step before execve, so the flags are ours to
 * pass and libseccomp's own filter attributes (NNP, TSYNC, LOG, SSB) stay unset. */
#define _GNU_SOURCE
#include "linux/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/socket.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const struct {
        uint32_t action;
        bool takes_errno; /* the low 16 bits carry errnoRet (EPERM when absent) */
        const char *name;
} actions[] = {
        [SPEC_SECCOMP_KILL_THREAD] = { SCMP_ACT_KILL_THREAD, false, "SCMP_ACT_KILL_THREAD" },
        [SPEC_SECCOMP_KILL_PROCESS] = { SCMP_ACT_KILL_PROCESS, false, "SCMP_ACT_KILL_PROCESS" },
        [SPEC_SECCOMP_TRAP] = { SCMP_ACT_TRAP, false, "SCMP_ACT_TRAP" },
        [SPEC_SECCOMP_ERRNO] = { SCMP_ACT_ERRNO(0), true, "SCMP_ACT_ERRNO" },
        [SPEC_SECCOMP_TRACE] = { SCMP_ACT_TRACE(0), true, "SCMP_ACT_TRACE" },
        [SPEC_SECCOMP_ALLOW] = { SCMP_ACT_ALLOW, false, "SCMP_ACT_ALLOW" },
        [SPEC_SECCOMP_LOG] = { SCMP_ACT_LOG, false, "SCMP_ACT_LOG" },
        [SPEC_SECCOMP_NOTIFY] = { SCMP_ACT_NOTIFY, false, "SCMP_ACT_NOTIFY" },
};

static const enum scmp_compare operators[] = {
        [SPEC_SECCOMP_OP_NE] = SCMP_CMP_NE, [SPEC_SECCOMP_OP_LT] = SCMP_CMP_LT,
        [SPEC_SECCOMP_OP_LE] = SCMP_CMP_LE, [SPEC_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
        [SPEC_SECCOMP_OP_GE] = SCMP_CMP_GE, [SPEC_SECCOMP_OP_GT] = SCMP_CMP_GT,
        [SPEC_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static const struct {
        const char *name;
        unsigned flag; /* 0: accepted, nothing to pass */
} filter_flags[] = {
        /* The stub is single-threaded when it loads the filter: nothing to synchronise. */
        { "SECCOMP_FILTER_FLAG_TSYNC", 0 },
        { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* The libseccomp action for an OCI action and its errnoRet; field names the JSON path. */
static int resolve_action(enum spec_seccomp_action action, const struct opt_u64 *errno_ret, const char *field,
                          uint32_t *out, nook_err *err)
{
        if ((unsigned)action >= ARRAY_SIZE(actions))
                return nook_error(err, EINVAL, "%s: unknown action %d", field, (int)action);
        if (!actions[action].takes_errno) {
                if (errno_ret->set)
                        return nook_error(err, EINVAL, "%s: %s takes no errno return value", field,
                                          actions[action].name);
                *out = actions[action].action;
                return 0;
        }
        uint64_t value = errno_ret->set ? errno_ret->value : EPERM;
        if (value > 0xffff)
                return nook_error(err, ERANGE, "%s: errno return value %llu does not fit in 16 bits", field,
                                  (unsigned long long)value);
        *out = actions[action].action | (uint32_t)value;
        return 0;
}

bool seccomp_uses_notify(const struct spec_seccomp *config)
{
        if (config->default_action == SPEC_SECCOMP_NOTIFY)
                return true;
        for (size_t i = 0; i < config->syscalls.len; i++)
                if (config->syscalls.items[i].action == SPEC_SECCOMP_NOTIFY)
                        return true;
        return false;
}

int seccomp_check_notify(const struct spec_seccomp *config, bool no_new_privs, nook_err *err)
{
        /* See stub_code.c: without no_new_privs the filter goes in before capset (and the ambient prctl). */
        static const char *const always[] = { "sendmsg" }, *const before_caps[] = { "capset", "prctl" };
        for (size_t i = 0; i < config->syscalls.len; i++) {
                const struct spec_seccomp_rule *rule = &config->syscalls.items[i];
                if (rule->action != SPEC_SECCOMP_NOTIFY)
                        continue;
                for (size_t j = 0; j < rule->names.len; j++) {
                        const char *name = rule->names.items[j];
                        bool stub_uses = strcmp(name, always[0]) == 0;
                        for (size_t k = 0; !no_new_privs && k < ARRAY_SIZE(before_caps); k++)
                                stub_uses |= strcmp(name, before_caps[k]) == 0;
                        if (stub_uses)
                                return nook_error(err, EINVAL,
                                                  "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot apply to \"%s\", "
                                                  "which nook calls after loading the filter%s",
                                                  i, name, no_new_privs ? "" : " (noNewPrivileges is false)");
                }
        }
        return 0;
}

/* One rule for one syscall. Conditions are ANDed; libseccomp cannot AND two
 * conditions on the same argument, so then each becomes a rule of its own
 * (ORed), which is what runc and crun do and what profiles expect. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct spec_seccomp_rule *rule)
{
        struct scmp_arg_cmp cmp[6];
        unsigned seen = 0;
        bool repeated = false;
        size_t n = rule->args.len;
        if (n > ARRAY_SIZE(cmp))
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                const struct spec_seccomp_arg *a = &rule->args.items[i];
                if (a->index > 5 || (unsigned)a->op >= ARRAY_SIZE(operators))
                        return -EINVAL;
                repeated |= (seen & (1U << a->index)) != 0;
                seen |= 1U << a->index;
                cmp[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = operators[a->op], .datum_a = a->value,
                                                .datum_b = a->value_two };
        }
        if (!repeated)
                return seccomp_rule_add_array(ctx, action, nr, (unsigned)n, cmp);
        for (size_t i = 0; i < n; i++) {
                int ret = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int add_rules(scmp_filter_ctx ctx, uint32_t default_action, const struct spec_seccomp *config, nook_err *err)
{
        for (size_t i = 0; i < config->syscalls.len; i++) {
                const struct spec_seccomp_rule *rule = &config->syscalls.items[i];
                char field[64];
                snprintf(field, sizeof(field), "syscalls[%zu]", i);
                uint32_t action;
                int ret = resolve_action(rule->action, &rule->errno_ret, field, &action, err);
                if (ret < 0)
                        return ret;
                if (rule->names.len == 0)
                        return nook_error(err, EINVAL, "%s.names: must name at least one syscall", field);
                if (rule->args.len > 6)
                        return nook_error(err, E2BIG, "%s.args: more than 6 conditions", field);
                /* libseccomp refuses a rule that repeats the default; it changes nothing anyway. */
                if (action == default_action)
                        continue;
                for (size_t j = 0; j < rule->names.len; j++) {
                        const char *name = rule->names.items[j];
                        int nr = seccomp_syscall_resolve_name(name);
                        if (nr == __NR_SCMP_ERROR) {
                                log_debug("seccomp: syscall \"%s\" is unknown here, skipped", name);
                                continue;
                        }
                        ret = add_rule(ctx, action, nr, rule);
                        if (ret < 0)
                                return nook_error(err, -ret, "%s: add rule for \"%s\"", field, name);
                }
        }
        return 0;
}

/* libseccomp writes the program to an fd: a memfd, read back whole. */
static int export_program(scmp_filter_ctx ctx, struct seccomp_program *out, nook_err *err)
{
        _cleanup_close_ int fd = memfd_create("nook-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "seccomp: memfd_create");
        int ret = seccomp_export_bpf(ctx, fd);
        if (ret < 0)
                return nook_error(err, -ret, "seccomp: export the filter");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return nook_error_errno(err, "seccomp: stat the filter");
        size_t size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return nook_error(err, EINVAL, "seccomp: exported filter has %zu bytes", size);
        size_t len = size / sizeof(struct sock_filter);
        if (len > SECCOMP_MAX_INSTRUCTIONS)
                return nook_error(err, E2BIG, "seccomp: the filter has %zu instructions, the kernel takes %d", len,
                                  SECCOMP_MAX_INSTRUCTIONS);
        _cleanup_free_ struct sock_filter *filter = malloc(size);
        if (filter == NULL)
                return nook_error(err, ENOMEM, "seccomp");
        if (pread(fd, filter, size, 0) != (ssize_t)size)
                return nook_error_errno(err, "seccomp: read the filter back");
        out->filter = steal_pointer(&filter);
        out->len = len;
        return 0;
}

static void release_ctx(scmp_filter_ctx *ctx)
{
        if (*ctx != NULL)
                seccomp_release(*ctx);
}

int seccomp_compile(const struct spec_seccomp *config, struct seccomp_program *out, nook_err *err)
{
        memset(out, 0, sizeof(*out));
        uint32_t default_action;
        int ret = resolve_action(config->default_action, &config->default_errno_ret, "defaultAction",
                                 &default_action, err);
        if (ret < 0)
                return nook_error_wrap(err, "linux.seccomp");
        /* The agent would get nook's own last calls, and the fd is not yet where it can answer them. */
        if (config->default_action == SPEC_SECCOMP_NOTIFY)
                return nook_error(err, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(default_action);
        if (ctx == NULL)
                return nook_error(err, EINVAL, "linux.seccomp.defaultAction: libseccomp refuses %s",
                                  actions[config->default_action].name);
        for (size_t i = 0; i < config->architectures.len; i++) {
                const char *name = config->architectures.items[i];
                uint32_t token;
                if (seccomp_arch_token(name, &token) < 0)
                        return nook_error(err, EINVAL, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"",
                                          i, name);
                ret = seccomp_arch_add(ctx, token);
                if (ret < 0 && ret != -EEXIST)
                        return nook_error(err, -ret, "linux.seccomp.architectures[%zu]: add \"%s\"", i, name);
        }
        ret = add_rules(ctx, default_action, config, err);
        if (ret == 0)
                ret = export_program(ctx, out, err);
        if (ret == 0) {
                ret = seccomp_enosys_prepend(config, out, err);
                if (ret < 0)
                        seccomp_program_free(out);
        }
        if (ret < 0)
                return nook_error_wrap(err, "linux.seccomp");
        ret = seccomp_flags(config, &out->flags, err);
        if (ret < 0) {
                seccomp_program_free(out);
                return ret;
        }
        return 0;
}

/* Whether this kernel knows a filter flag: with a NULL program, a known flag gets
 * EFAULT. WAIT_KILLABLE_RECV is only valid with NEW_LISTENER. */
static bool kernel_has_flag(unsigned flag)
{
        if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) == 0)
                return true; /* cannot happen with a NULL program */
        return errno == EFAULT;
}

int seccomp_flags(const struct spec_seccomp *config, unsigned *flags, nook_err *err)
{
        *flags = 0;
        /* A listener with SCMP_ACT_NOTIFY rules, and also for a listenerPath alone: the
         * runtime-spec then ignores the path, but crun connects all the same, and an agent
         * waiting there gets a listener that never notifies rather than no call at all. */
        bool listener = seccomp_uses_notify(config) || config->listener_path != NULL;
        for (size_t i = 0; i < config->flags.len; i++) {
                const char *name = config->flags.items[i];
                size_t k = 0;
                while (k < ARRAY_SIZE(filter_flags) && strcmp(filter_flags[k].name, name) != 0)
                        k++;
                if (k == ARRAY_SIZE(filter_flags))
                        return nook_error(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, name);
                unsigned flag = filter_flags[k].flag;
                /* WAIT_KILLABLE_RECV qualifies the listener; without one the kernel refuses it. */
                if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !listener)
                        continue;
                if (flag != 0 && !kernel_has_flag(flag)) {
                        log_debug("seccomp: this kernel has no %s, left out", name);
                        continue;
                }
                *flags |= flag;
        }
        if (listener)
                *flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        return 0;
}

void seccomp_program_free(struct seccomp_program *p)
{
        free(p->filter);
        p->filter = NULL;
        p->len = 0;
}

size_t seccomp_names(enum seccomp_names kind, const char **out, size_t max)
{
        static const char *const arch_names[] = {
                "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
                "SCMP_ARCH_AARCH64",  "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
                "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
                "SCMP_ARCH_PARISC",   "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
                "SCMP_ARCH_M68K",     "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
        };
        size_t n = 0;
        uint32_t token;
        switch (kind) {
        case SECCOMP_NAMES_ARCHITECTURES: {
                /* As seccomp_compile takes them: libseccomp knows the name, and the arch can join a
                 * filter of this host's (one byte order per filter). */
                __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
                for (size_t i = 0; ctx != NULL && i < ARRAY_SIZE(arch_names); i++) {
                        if (n >= max || seccomp_arch_token(arch_names[i], &token) < 0)
                                continue;
                        int added = seccomp_arch_add(ctx, token);
                        if (added == 0 || added == -EEXIST)
                                out[n++] = arch_names[i];
                }
                break;
        }
        case SECCOMP_NAMES_FLAGS:
        case SECCOMP_NAMES_SUPPORTED_FLAGS:
                for (size_t i = 0; i < ARRAY_SIZE(filter_flags); i++)
                        if (n < max && (kind == SECCOMP_NAMES_FLAGS || filter_flags[i].flag == 0 ||
                                        kernel_has_flag(filter_flags[i].flag)))
                                out[n++] = filter_flags[i].name;
                break;
        }
        return n;
}

int seccomp_send_listener(const char *path, int notify_fd, const char *process_state, nook_err *err)
{
        _cleanup_close_ int sock = socket_connect_unix(path, err);
        if (sock < 0)
                return nook_error_wrap(err, "linux.seccomp.listenerPath");
        size_t len = strlen(process_state);
        /* The fd goes with the first bytes; a stream socket may take the rest in more calls. */
        ssize_t n = socket_send_fd(sock, process_state, len, notify_fd, MSG_NOSIGNAL);
        while (n >= 0 && (size_t)n < len) {
                ssize_t more = send(sock, process_state + n, len - (size_t)n, MSG_NOSIGNAL);
                n = more < 0 ? more : n + more;
        }
        if (n < 0)
                return nook_error_errno(err, "linux.seccomp.listenerPath: send the seccomp fd to `%s`", path);
        return 0;
}
