/* The freestanding last steps of a container process (see stub.h).
 *
 * This file is compiled apart (see the Makefile): position independent, no
 * stack protector, no jump tables, no calls to anything; the build fails if
 * its section holds a relocation. It runs from an anonymous copy after nook's
 * own mappings are gone, so it may touch nothing but *plan and its stack. */
#include <asm/ioctls.h>
#include <asm/unistd.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include "linux/stub.h"

#define STUB_TEXT __attribute__((section("nook_stub"), used, noinline, noreturn))
#define INLINE static inline __attribute__((always_inline))

#define STUB_SIGCHLD 17
#define STUB_SOL_SOCKET 1
#define STUB_SCM_RIGHTS 1

#if defined(__x86_64__)
INLINE long raw_syscall(long n, long a, long b, long c, long d, long e)
{
        long ret;
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                         : "rcx", "r11", "memory");
        return ret;
}
#elif defined(__aarch64__)
INLINE long raw_syscall(long n, long a, long b, long c, long d, long e)
{
        register long x8 __asm__("x8") = n;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        register long x3 __asm__("x3") = d;
        register long x4 __asm__("x4") = e;
        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
        return x0;
}
#else
#error "nook's stub supports x86_64 and aarch64"
#endif

#define SYS0(n) raw_syscall(n, 0, 0, 0, 0, 0)
#define SYS1(n, a) raw_syscall(n, (long)(a), 0, 0, 0, 0)
#define SYS2(n, a, b) raw_syscall(n, (long)(a), (long)(b), 0, 0, 0)
#define SYS3(n, a, b, c) raw_syscall(n, (long)(a), (long)(b), (long)(c), 0, 0)
#define SYS4(n, a, b, c, d) raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), 0)
#define SYS5(n, a, b, c, d, e) raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

/* Hides a constant from the optimiser, which would otherwise load it from
 * .rodata — a section that is gone once nook is unmapped. */
INLINE uint32_t opaque(uint32_t v)
{
        __asm__("" : "+r"(v));
        return v;
}

INLINE void put32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char)v;
        p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)(v >> 16);
        p[3] = (unsigned char)(v >> 24);
}

INLINE void send_message(int fd, struct stub_message *m, uint32_t code, uint32_t value)
{
        if (m->len == 0 || fd < 0)
                return;
        put32(m->bytes + m->code_offset, opaque(code));
        put32(m->bytes + m->value_offset, opaque(value));
        SYS3(__NR_write, fd, m->bytes, m->len);
}

__attribute__((noreturn)) INLINE void stub_exit(int status)
{
        for (;;)
                SYS1(__NR_exit_group, status);
}

/* Reports what failed to whoever waits (the parent, or `start`), then exits. */
__attribute__((noreturn)) INLINE void fail(struct stub_plan *p, int fd, enum stub_stage stage, long ret)
{
        int code = (int)-ret;
        /* The value slot holds stage + 1, so that 0 means "not from the stub". */
        send_message(fd, &p->error, (uint32_t)code, (uint32_t)stage + 1);
        if (stage == STUB_STAGE_EXEC)
                stub_exit(code == 2 /* ENOENT */ ? 127 : 126);
        stub_exit(1);
}

/* The kernel's msghdr and a control message carrying one fd. */
struct stub_msghdr {
        void *name;
        int namelen;
        void *iov;
        unsigned long iovlen;
        void *control;
        unsigned long controllen;
        unsigned flags;
};
struct stub_iovec {
        void *base;
        unsigned long len;
};
struct stub_cmsg_fd {
        unsigned long len;
        int level;
        int type;
        int fd;
        int pad;
};

INLINE long send_with_fd(int sock, struct stub_message *m, int fd)
{
        struct stub_iovec iov;
        iov.base = m->bytes;
        iov.len = m->len;
        struct stub_cmsg_fd cmsg;
        cmsg.len = opaque(sizeof(unsigned long) + 2 * sizeof(int) + sizeof(int));
        cmsg.level = (int)opaque(STUB_SOL_SOCKET);
        cmsg.type = (int)opaque(STUB_SCM_RIGHTS);
        cmsg.fd = fd;
        cmsg.pad = 0;
        struct stub_msghdr msg;
        msg.name = 0;
        msg.namelen = 0;
        msg.iov = &iov;
        msg.iovlen = 1;
        msg.control = &cmsg;
        msg.controllen = sizeof(cmsg);
        msg.flags = 0;
        return SYS3(__NR_sendmsg, sock, &msg, 0);
}

INLINE long load_seccomp(struct stub_plan *p, int *listener)
{
        long r = SYS3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &p->seccomp_prog);
        if (r >= 0 && p->seccomp_listener)
                *listener = (int)r;
        return r < 0 ? r : 0;
}

STUB_TEXT void stub_main(struct stub_plan *p)
{
        long r;
        int listener = -1;
        int report = p->sync_fd;

        if (p->swap_exe) {
                for (int i = 0; i < p->n_unmap; i++)
                        SYS2(__NR_munmap, p->unmap[i].start, p->unmap[i].len);
                r = SYS4(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, &p->mm, sizeof(p->mm));
                if (r < 0)
                        fail(p, report, STUB_STAGE_EXE, r);
                SYS1(__NR_close, p->mm.exe_fd);
        }

        if (p->fork_child) {
                /* The child belongs to our parent (CLONE_PARENT), which waits for it. */
                r = SYS5(__NR_clone, CLONE_PARENT | STUB_SIGCHLD, 0, 0, 0, 0);
                if (r < 0)
                        fail(p, report, STUB_STAGE_FORK, r);
                /* The parent says nothing more: the child speaks for itself from now on. */
                if (r > 0)
                        stub_exit(0);
                send_message(report, &p->hello, 0, 0);
        }

        if (p->fork_child) {
                /* Its own session, as runc gives every container process: signals to the
                 * caller's process group (a terminal's ^C, conmon's kill of its group on
                 * --timeout) are not the container's. */
                r = SYS0(__NR_setsid);
                if (r < 0)
                        fail(p, report, STUB_STAGE_SESSION, r);
        }

        if (p->ctty_fd >= 0) {
                r = SYS3(__NR_ioctl, p->ctty_fd, TIOCSCTTY, 0);
                for (int fd = 0; r >= 0 && fd < 3; fd++)
                        if (fd != p->ctty_fd)
                                r = SYS3(__NR_dup3, p->ctty_fd, fd, 0);
                if (r < 0)
                        fail(p, report, STUB_STAGE_TERMINAL, r);
                if (p->ctty_fd > 2)
                        SYS1(__NR_close, p->ctty_fd);
        }

        /* Once ready the parent may go away (create returns): do not die with it. Done
         * before the filter, which may deny or notify prctl (see seccomp_check_notify). */
        SYS5(__NR_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (p->seccomp && !p->no_new_privs) {
                r = load_seccomp(p, &listener);
                if (r < 0)
                        fail(p, report, STUB_STAGE_SECCOMP, r);
        }
        if (p->set_caps) {
                r = SYS2(__NR_capset, &p->cap_header, p->cap_data);
                if (r < 0)
                        fail(p, report, STUB_STAGE_CAPS, r);
                for (int cap = 0; cap <= p->last_cap; cap++) {
                        if (!(p->ambient & (1ULL << cap)))
                                continue;
                        r = SYS5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
                        if (r < 0)
                                fail(p, report, STUB_STAGE_AMBIENT, r);
                }
        }
        if (p->no_new_privs) {
                r = SYS5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if (r < 0)
                        fail(p, report, STUB_STAGE_NO_NEW_PRIVS, r);
                if (p->seccomp) {
                        r = load_seccomp(p, &listener);
                        if (r < 0)
                                fail(p, report, STUB_STAGE_SECCOMP, r);
                }
        }

        if (p->ready.len > 0) {
                r = listener >= 0 ? send_with_fd(p->sync_fd, &p->ready, listener)
                                  : SYS3(__NR_write, p->sync_fd, p->ready.bytes, p->ready.len);
                if (r < 0)
                        stub_exit(1);
                if (listener >= 0)
                        SYS1(__NR_close, listener);
        }

        if (p->await_fd >= 0) {
                unsigned char word = 0;
                r = SYS3(__NR_read, p->await_fd, &word, 1);
                /* EOF: nook went away before it saved the state (or gave up on us). */
                if (r != 1)
                        stub_exit(1);
        }
        if (p->accept_fd >= 0) {
                /* Nothing of nook's stays open while `nook start` is awaited. */
                SYS1(__NR_close, p->await_fd);
                r = SYS4(__NR_accept4, p->accept_fd, 0, 0, 02000000 /* SOCK_CLOEXEC */);
                if (r < 0)
                        stub_exit(1);
                report = (int)r;
        }

        uint64_t no_signals = 0;
        SYS4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &no_signals, 0, sizeof(no_signals));
        r = SYS3(__NR_execve, p->path, p->argv, p->envp);
        fail(p, report, STUB_STAGE_EXEC, r);
        __builtin_unreachable();
}
