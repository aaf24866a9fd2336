/* nook's default seccomp profile, kept as data and expanded into the
 * linux.seccomp object that `nook spec` writes.
 *
 * It is as strict as Docker's and Podman's defaults: an allow-list (everything
 * else fails with EPERM) of the ~360 system calls both allow to any container,
 * those that only a capability makes useful allowed only with that capability
 * (Docker's "includes.caps"), and their argument conditions: clone without
 * namespace flags and clone3 answering ENOSYS (so that libc falls back to clone)
 * unless CAP_SYS_ADMIN, five personality domains, and no AF_ALG or AF_VSOCK
 * sockets. vmsplice and io_pgetevents, which Podman denies, stay denied. */
#include "spec/default_seccomp.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>

/* Allowed to every container. */
static const char base_syscalls[] =
        "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32 "
        "clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 "
        "clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 "
        "dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait "
        "epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 "
        "fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat "
        "fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 "
        "fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 "
        "futex_wait futex_waitv futex_wake futimesat get_robust_list get_thread_area getcpu getcwd "
        "getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 "
        "getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid "
        "getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt gettid "
        "gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1 "
        "inotify_rm_watch io_cancel io_destroy io_getevents io_setup io_submit ioctl ioprio_get "
        "ioprio_set ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown "
        "lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek "
        "lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create "
        "memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect "
        "mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
        "mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall "
        "munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open "
        "pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl "
        "pread64 preadv preadv2 prlimit64 process_mrelease process_vm_readv process_vm_writev pselect6 "
        "pselect6_time64 ptrace pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv "
        "recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename "
        "renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending "
        "rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait "
        "rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min "
        "sched_getaffinity sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval "
        "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler "
        "sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile "
        "sendfile64 sendmmsg sendmsg sendto set_robust_list set_thread_area set_tid_address setfsgid "
        "setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid "
        "setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 "
        "setrlimit setsid setsockopt setuid setuid32 setxattr setxattrat shmat shmctl shmdt shmget "
        "shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat "
        "stat64 statfs statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo "
        "tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 "
        "timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
        "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
        "uretprobe utime utimensat utimensat_time64 utimes vfork wait4 waitid waitpid write writev";

/* Allowed only to a container that holds the capability (as Docker's includes.caps). */
static const struct {
        int capability;
        const char *names;
} by_capability[] = {
        { CAP_SYS_ADMIN, "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
                         "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount "
                         "open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog "
                         "umount umount2 unshare" },
        { CAP_DAC_READ_SEARCH, "open_by_handle_at" },
        { CAP_SYS_BOOT, "reboot" },
        { CAP_SYS_CHROOT, "chroot" },
        { CAP_SYS_MODULE, "delete_module init_module finit_module" },
        { CAP_SYS_PACCT, "acct" },
        { CAP_SYS_PTRACE, "kcmp pidfd_getfd process_madvise" },
        { CAP_SYS_RAWIO, "iopl ioperm" },
        { CAP_SYS_TIME, "settimeofday stime clock_settime clock_settime64" },
        { CAP_SYS_TTY_CONFIG, "vhangup" },
        { CAP_SYS_NICE, "get_mempolicy mbind set_mempolicy set_mempolicy_home_node" },
        { CAP_SYSLOG, "syslog" },
        { CAP_BPF, "bpf" },
        { CAP_PERFMON, "perf_event_open" },
};

/* This build's architecture, its compat ones, and the calls only it has. */
#if defined(__x86_64__)
static const char *const architectures[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
static const char arch_syscalls[] = "arch_prctl modify_ldt";
#elif defined(__aarch64__)
static const char *const architectures[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM" };
static const char arch_syscalls[] = "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls";
#else
#error "nook's default seccomp profile knows x86_64 and aarch64"
#endif

#define NO_CAPABILITY (-1)
#define CLONE_NAMESPACE_FLAGS 0x7e020000ULL /* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */

/* Rules with one argument condition, or an errno; unless_capability: only for a container without it. */
static const struct {
        const char *name;
        const char *action;
        int errno_ret; /* 0: none */
        int unless_capability;
        const char *op; /* NULL: no condition */
        unsigned index;
        unsigned long long value;
} conditional[] = {
        { "personality", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_EQ", 0, 0x0 },        /* PER_LINUX */
        { "personality", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_EQ", 0, 0x8 },        /* PER_LINUX32 */
        { "personality", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_EQ", 0, 0x20000 },    /* UNAME26 */
        { "personality", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_EQ", 0, 0x20008 },    /* UNAME26|LINUX32 */
        { "personality", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_EQ", 0, 0xffffffff }, /* query */
        /* Every address family but AF_ALG (38) and AF_VSOCK (40). */
        { "socket", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_LT", 0, 38 },
        { "socket", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_EQ", 0, 39 },
        { "socket", "SCMP_ACT_ALLOW", 0, NO_CAPABILITY, "SCMP_CMP_GT", 0, 40 },
        { "clone", "SCMP_ACT_ALLOW", 0, CAP_SYS_ADMIN, "SCMP_CMP_MASKED_EQ", 0, CLONE_NAMESPACE_FLAGS },
        /* clone3's flags sit behind a pointer, out of a filter's reach: libc falls back to clone. */
        { "clone3", "SCMP_ACT_ERRNO", ENOSYS, CAP_SYS_ADMIN, NULL, 0, 0 },
};

static bool holds(uint64_t capabilities, int cap)
{
        return cap >= 0 && cap < 64 && (capabilities & (1ULL << cap)) != 0;
}

static bool contains(json_object *array, const char *name, size_t len)
{
        for (size_t i = 0; i < json_object_array_length(array); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(array, i));
                if (strlen(s) == len && strncmp(s, name, len) == 0)
                        return true;
        }
        return false;
}

/* Adds each space-separated name of list to array, once. */
static void add_names(json_object *array, const char *list)
{
        for (const char *p = list; *p != '\0';) {
                size_t len = strcspn(p, " ");
                if (len > 0 && !contains(array, p, len))
                        json_object_array_add(array, json_object_new_string_len(p, (int)len));
                p += len;
                p += strspn(p, " ");
        }
}

json_object *default_seccomp_profile(uint64_t capabilities)
{
        json_object *profile = json_object_new_object();
        json_object_object_add(profile, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
        json_object_object_add(profile, "defaultErrnoRet", json_object_new_int(EPERM));
        json_object *arches = json_object_new_array();
        for (size_t i = 0; i < sizeof(architectures) / sizeof(architectures[0]); i++)
                json_object_array_add(arches, json_object_new_string(architectures[i]));
        json_object_object_add(profile, "architectures", arches);

        json_object *allowed = json_object_new_array();
        add_names(allowed, base_syscalls);
        add_names(allowed, arch_syscalls);
        for (size_t i = 0; i < sizeof(by_capability) / sizeof(by_capability[0]); i++)
                if (holds(capabilities, by_capability[i].capability))
                        add_names(allowed, by_capability[i].names);
        json_object *syscalls = json_object_new_array();
        json_object *rule = json_object_new_object();
        json_object_object_add(rule, "names", allowed);
        json_object_object_add(rule, "action", json_object_new_string("SCMP_ACT_ALLOW"));
        json_object_array_add(syscalls, rule);

        for (size_t i = 0; i < sizeof(conditional) / sizeof(conditional[0]); i++) {
                if (holds(capabilities, conditional[i].unless_capability))
                        continue;
                rule = json_object_new_object();
                json_object *names = json_object_new_array();
                json_object_array_add(names, json_object_new_string(conditional[i].name));
                json_object_object_add(rule, "names", names);
                json_object_object_add(rule, "action", json_object_new_string(conditional[i].action));
                if (conditional[i].errno_ret != 0)
                        json_object_object_add(rule, "errnoRet", json_object_new_int(conditional[i].errno_ret));
                if (conditional[i].op != NULL) {
                        json_object *arg = json_object_new_object();
                        json_object_object_add(arg, "index", json_object_new_int((int)conditional[i].index));
                        json_object_object_add(arg, "value", json_object_new_int64((int64_t)conditional[i].value));
                        json_object_object_add(arg, "op", json_object_new_string(conditional[i].op));
                        json_object *args = json_object_new_array();
                        json_object_array_add(args, arg);
                        json_object_object_add(rule, "args", args);
                }
                json_object_array_add(syscalls, rule);
        }
        json_object_object_add(profile, "syscalls", syscalls);
        return profile;
}
