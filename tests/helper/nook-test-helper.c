/* A tiny static multi-call program the integration tests copy into a rootfs,
 * so that each test checks exactly one thing from inside the container.
 *   nook-test-helper COMMAND [ARGS]
 * Each command prints one line and exits 0, or prints the errno name and exits 1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
        printf("%s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
        return 1;
}

static int ok(void)
{
        printf("ok\n");
        return 0;
}

/* fds: the open file descriptors and what they point to, one per line. */
static int cmd_fds(int argc, char **argv)
{
        (void)argc, (void)argv;
        DIR *d = opendir("/proc/self/fd");
        if (d == NULL)
                return fail("opendir");
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
                        continue;
                char path[300], target[4096];
                snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
                printf("%s %s\n", e->d_name, target);
        }
        closedir(d);
        return 0;
}

static int cmd_open_write(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return fail("open");
        close(fd);
        return ok();
}

static int cmd_write(int argc, char **argv)
{
        if (argc < 3)
                return 2;
        int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return fail("open");
        if (write(fd, argv[2], strlen(argv[2])) < 0)
                return fail("write");
        close(fd);
        return ok();
}

static int cmd_nnp(int argc, char **argv)
{
        (void)argc, (void)argv;
        printf("%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        return 0;
}

static int cmd_umask(int argc, char **argv)
{
        (void)argc, (void)argv;
        mode_t m = umask(0);
        printf("%04o\n", m);
        return 0;
}

static int cmd_rlimit(int argc, char **argv)
{
        static const struct {
                const char *name;
                int resource;
        } names[] = { { "NOFILE", RLIMIT_NOFILE }, { "NPROC", RLIMIT_NPROC }, { "CORE", RLIMIT_CORE },
                      { "STACK", RLIMIT_STACK },   { "AS", RLIMIT_AS },       { "MEMLOCK", RLIMIT_MEMLOCK } };
        if (argc < 2)
                return 2;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (strcmp(names[i].name, argv[1]) != 0)
                        continue;
                struct rlimit r;
                getrlimit(names[i].resource, &r);
                printf("%llu %llu\n", (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
                return 0;
        }
        return 2;
}

static int cmd_mknod(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (mknod(argv[1], S_IFCHR | 0600, makedev(1, 3)) < 0)
                return fail("mknod");
        return ok();
}

static int cmd_umount(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (umount2(argv[1], argc > 2 && strcmp(argv[2], "lazy") == 0 ? MNT_DETACH : 0) < 0)
                return fail("umount");
        return ok();
}

static int cmd_remount_rw(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (mount(NULL, argv[1], NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
                return fail("remount");
        return ok();
}

static int cmd_mount_tmpfs(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (mount("tmpfs", argv[1], "tmpfs", 0, NULL) < 0)
                return fail("mount");
        return ok();
}

static int cmd_sethostname(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (sethostname(argv[1], strlen(argv[1])) < 0)
                return fail("sethostname");
        return ok();
}

/* swapoff: turns swap off on a path (CAP_SYS_ADMIN in the initial user namespace). */
static int cmd_swapoff(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (syscall(SYS_swapoff, argv[1]) < 0)
                return fail("swapoff");
        return ok();
}

/* set-clock: sets the system clock to what it reads now. */
static int cmd_set_clock(int argc, char **argv)
{
        (void)argc, (void)argv;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (clock_settime(CLOCK_REALTIME, &ts) < 0)
                return fail("clock_settime");
        return ok();
}

static int cmd_personality(int argc, char **argv)
{
        (void)argc, (void)argv;
        printf("%#x\n", personality(0xffffffff));
        return 0;
}

static int cmd_monotonic(int argc, char **argv)
{
        (void)argc, (void)argv;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        printf("%lld\n", (long long)ts.tv_sec);
        return 0;
}

static int cmd_boottime(int argc, char **argv)
{
        (void)argc, (void)argv;
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        printf("%lld\n", (long long)ts.tv_sec);
        return 0;
}

/* stat PATH: "TYPE MAJOR:MINOR MODE UID:GID" of the path itself (not of a symlink's target). */
static int cmd_stat(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        struct stat st;
        if (lstat(argv[1], &st) < 0)
                return fail("stat");
        char type = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : S_ISFIFO(st.st_mode) ? 'p'
                  : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISSOCK(st.st_mode) ? 's' : 'f';
        printf("%c %u:%u %04o %u:%u\n", type, major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777,
               st.st_uid, st.st_gid);
        return 0;
}

/* escape-chroot DIR PATH: the classic way out of a chroot (chroot into a
 * subdirectory, climb "..", chroot there); says whether PATH is then visible. */
static int cmd_escape_chroot(int argc, char **argv)
{
        if (argc < 3)
                return 2;
        if (mkdir(argv[1], 0700) < 0 && errno != EEXIST)
                return fail("mkdir");
        if (chroot(argv[1]) < 0)
                return fail("chroot");
        for (int i = 0; i < 64; i++)
                if (chdir("..") < 0)
                        return fail("chdir");
        if (chroot(".") < 0)
                return fail("chroot");
        printf("%s\n", access(argv[2], F_OK) == 0 ? "visible" : "hidden");
        return 0;
}

/* bind-port PORT: binds a TCP socket to the port on 127.0.0.1. */
static int cmd_bind_port(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (fd < 0)
                return fail("socket");
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return fail("bind");
        close(fd);
        return ok();
}

/* loopback: a TCP connection to a listener on 127.0.0.1 (needs `lo` up). */
static int cmd_loopback(int argc, char **argv)
{
        (void)argc, (void)argv;
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(addr);
        int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server < 0 || client < 0)
                return fail("socket");
        if (bind(server, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(server, 1) < 0 ||
            getsockname(server, (struct sockaddr *)&addr, &len) < 0)
                return fail("listen");
        if (connect(client, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return fail("connect");
        return ok();
}

static int cmd_isatty(int argc, char **argv)
{
        (void)argc, (void)argv;
        struct winsize ws = { 0 };
        ioctl(0, TIOCGWINSZ, &ws);
        printf("%d %d %d %ux%u\n", isatty(0), isatty(1), isatty(2), ws.ws_row, ws.ws_col);
        return 0;
}

/* wait-signal: report readiness on stdout, then the first signal that arrives. */
static int cmd_wait_signal(int argc, char **argv)
{
        (void)argc, (void)argv;
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        printf("ready\n");
        fflush(stdout);
        int sig = 0;
        sigwait(&all, &sig);
        printf("signal %d\n", sig);
        return 0;
}

static int run_command(int argc, char **argv);

/* unshare-mount COMMAND …: runs a command in a private copy of the mount
 * namespace, so what it unmounts or remounts changes nothing outside. */
static int cmd_unshare_mount(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (unshare(CLONE_NEWNS) < 0)
                return fail("unshare");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return fail("make-private");
        return run_command(argc - 1, argv + 1);
}

/* syscall NAME|NUMBER [ARGS]: makes one raw system call with integer arguments (0x… allowed).
 * A clone that succeeds exits at once in the child. */
static int cmd_syscall(int argc, char **argv)
{
        static const struct {
                const char *name;
                long nr;
        } calls[] = {
                { "getcwd", SYS_getcwd },     { "mkdir", SYS_mkdir },
                { "unshare", SYS_unshare },   { "setns", SYS_setns },
                { "mount", SYS_mount },       { "umount2", SYS_umount2 },
                { "keyctl", SYS_keyctl },     { "bpf", SYS_bpf },
                { "clone", SYS_clone },       { "clone3", SYS_clone3 },
                { "personality", SYS_personality }, { "socket", SYS_socket },
                { "ptrace", SYS_ptrace },     { "io_uring_setup", SYS_io_uring_setup },
                { "kexec_load", SYS_kexec_load }, { "chroot", SYS_chroot },
                { "reboot", SYS_reboot },     { "vmsplice", SYS_vmsplice },
                { "perf_event_open", SYS_perf_event_open }, { "open_by_handle_at", SYS_open_by_handle_at },
                { "getppid", SYS_getppid },
        };
        if (argc < 2)
                return 2;
        /* A name of the table, or a number (a call the helper has no name for). */
        char *end;
        long nr = strtol(argv[1], &end, 10);
        if (*end != '\0' || end == argv[1])
                nr = -1;
        for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
                if (strcmp(calls[i].name, argv[1]) == 0)
                        nr = calls[i].nr;
        if (nr < 0)
                return 2;
        long a[6] = { 0 };
        for (int i = 2; i < argc && i < 8; i++)
                a[i - 2] = (long)strtoull(argv[i], NULL, 0);
        /* clone3 FLAGS: the flags go in a struct clone_args. */
        uint64_t clone_args[11] = { (uint64_t)a[0], 0, 0, 0, SIGCHLD };
        if (nr == SYS_clone3) {
                a[0] = (long)clone_args;
                a[1] = sizeof(clone_args);
        }
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r == 0 && (nr == SYS_clone || nr == SYS_clone3))
                _exit(0);
        if (r < 0)
                return fail("syscall");
        return ok();
}

static int cmd_exit(int argc, char **argv)
{
        return argc > 1 ? atoi(argv[1]) : 0;
}

/* exe-grab: the CVE-2019-5736 attacker. Watches /proc for new processes; stops
 * each one at once, holds an O_PATH fd of its exe and reports it; on SIGUSR1
 * tries to write to every held exe (one byte appended), reports, exits.
 * Lines: "caught PID LINK DEV:INO wr=RESULT" and "final DEV:INO wr=RESULT". */
#define GRAB_MAX 4096

/* Reopens a held exe for writing and writes one byte at its end: "written",
 * or where it failed ("open:ETXTBSY", "write:EPERM"). */
static void try_write(int fd, char *result, size_t size)
{
        char again[64];
        snprintf(again, sizeof(again), "/proc/self/fd/%d", fd);
        int w = open(again, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (w < 0) {
                snprintf(result, size, "open:%s", strerrorname_np(errno));
                return;
        }
        if (write(w, "X", 1) == 1)
                snprintf(result, size, "written");
        else
                snprintf(result, size, "write:%s", strerrorname_np(errno));
        close(w);
}
static int cmd_exe_grab(int argc, char **argv)
{
        (void)argc, (void)argv;
        static char seen[1 << 16];
        static int held[GRAB_MAX];
        int n_held = 0;
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("ready\n");
        int self = getpid();
        for (;;) {
                sigset_t pending;
                sigpending(&pending);
                if (sigismember(&pending, SIGUSR1))
                        break;
                DIR *d = opendir("/proc");
                if (d == NULL)
                        return fail("opendir");
                struct dirent *e;
                while ((e = readdir(d)) != NULL) {
                        int pid = atoi(e->d_name);
                        if (pid <= 1 || pid == self || pid >= (int)sizeof(seen) || seen[pid])
                                continue;
                        seen[pid] = 1;
                        kill(pid, SIGSTOP);
                        char path[64], link[4096] = "";
                        snprintf(path, sizeof(path), "/proc/%d/exe", pid);
                        int fd = open(path, O_PATH | O_CLOEXEC);
                        ssize_t len = readlink(path, link, sizeof(link) - 1);
                        link[len > 0 ? len : 0] = '\0';
                        struct stat st = { 0 };
                        char wr[64] = "none";
                        if (fd >= 0 && fstat(fd, &st) == 0)
                                try_write(fd, wr, sizeof(wr));
                        kill(pid, SIGCONT);
                        printf("caught %d %s %lu:%lu wr=%s\n", pid, link[0] ? link : "-", (unsigned long)st.st_dev,
                               (unsigned long)st.st_ino, fd >= 0 ? wr : strerrorname_np(errno));
                        if (fd >= 0 && n_held < GRAB_MAX)
                                held[n_held++] = fd;
                        else if (fd >= 0)
                                close(fd);
                }
                closedir(d);
        }
        for (int i = 0; i < n_held; i++) {
                struct stat st;
                fstat(held[i], &st);
                char wr[64];
                try_write(held[i], wr, sizeof(wr));
                printf("final %lu:%lu wr=%s\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino, wr);
        }
        return 0;
}

/* hook LOG NAME: appends one tab-separated line to LOG: NAME, argv, the
 * environment, the mount, pid and network namespaces, and stdin (an OCI hook's state). */
extern char **environ;
static int cmd_hook(int argc, char **argv)
{
        if (argc < 3)
                return 2;
        char line[65536];
        size_t n = (size_t)snprintf(line, sizeof(line), "%s\targv=", argv[2]);
        for (int i = -1; i < argc; i++) /* argv[-1] is the helper's own argv[0] */
                n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i > -1 ? "," : "", argv[i]);
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\tenv=");
        for (char **e = environ; *e != NULL; e++)
                n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", e == environ ? "" : ",", *e);
        const char *ns[] = { "mnt", "pid", "net" };
        for (int i = 0; i < 3; i++) {
                char path[64], target[256] = "";
                snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
                ssize_t len = readlink(path, target, sizeof(target) - 1);
                target[len > 0 ? len : 0] = '\0';
                n += (size_t)snprintf(line + n, sizeof(line) - n, "\t%s=%s", ns[i], target);
        }
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\tstdin=");
        ssize_t got;
        while (n < sizeof(line) - 2 && (got = read(0, line + n, sizeof(line) - 2 - n)) > 0)
                n += (size_t)got;
        line[n++] = '\n';
        int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, line, n) != (ssize_t)n)
                return fail("hook");
        close(fd);
        return 0;
}

/* winch: prints the terminal size, then the new size after each SIGWINCH (count times). */
static int cmd_winch(int argc, char **argv)
{
        int count = argc > 1 ? atoi(argv[1]) : 1;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        sigprocmask(SIG_BLOCK, &set, NULL);
        struct winsize ws = { 0 };
        ioctl(0, TIOCGWINSZ, &ws);
        printf("size %ux%u\n", ws.ws_row, ws.ws_col);
        fflush(stdout);
        for (int i = 0; i < count; i++) {
                int sig;
                sigwait(&set, &sig);
                ioctl(0, TIOCGWINSZ, &ws);
                printf("size %ux%u\n", ws.ws_row, ws.ws_col);
                fflush(stdout);
        }
        return 0;
}

/* tty: the terminal on stdin, whether it is our controlling terminal, and our session. */
static int cmd_tty(int argc, char **argv)
{
        (void)argc, (void)argv;
        const char *name = ttyname(0);
        printf("tty=%s ctty=%d sid=%d\n", name != NULL ? name : "-", tcgetsid(0) == getsid(0), (int)getsid(0));
        return 0;
}

/* ---- cgroup tests ---- */

static int cmd_open_read(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return fail("open");
        close(fd);
        return ok();
}

/* alloc MB [hold]: touch MB MiB of memory (an OOM kill ends it), then print ok
 * and, with hold, keep it until killed. */
static int cmd_alloc(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        size_t size = (size_t)atol(argv[1]) << 20;
        char *p = malloc(size);
        if (p == NULL)
                return fail("malloc");
        for (size_t i = 0; i < size; i += 4096)
                p[i] = 1;
        printf("ok\n");
        fflush(stdout);
        while (argc > 2)
                pause();
        return 0;
}

/* forks N: tries to start N children; prints how many started and why the next failed. */
static int cmd_forks(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        int want = atoi(argv[1]), made = 0, error = 0;
        pid_t *pids = calloc((size_t)want + 1, sizeof(pid_t));
        for (; made < want; made++) {
                pid_t pid = fork();
                if (pid == 0) {
                        pause();
                        _exit(0);
                }
                if (pid < 0) {
                        error = errno;
                        break;
                }
                pids[made] = pid;
        }
        for (int i = 0; i < made; i++)
                kill(pids[i], SIGKILL);
        while (wait(NULL) > 0)
                ;
        printf("forked %d %s\n", made, error != 0 ? strerrorname_np(error) : "-");
        return 0;
}

/* bpf-progs DIR: how many device programs are attached to the cgroup2 directory DIR. */
static int cmd_bpf_progs(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        int fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail("open");
        uint32_t ids[64];
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uintptr_t)ids;
        attr.query.prog_cnt = 64;
        if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
                return fail("bpf");
        printf("%u\n", attr.query.prog_cnt);
        return 0;
}

/* mounts-beside-root: how many mounts of this mount namespace hang below the
 * mount that "/" sits on, other than "/" and the mounts below it (statx,
 * statmount and listmount, Linux 6.8+; listmount lists a whole subtree). Needs
 * CAP_SYS_ADMIN to look out of the root. */
struct helper_mnt_id_req {
        uint32_t size, spare;
        uint64_t mnt_id, param;
};

static long count_below(uint64_t mnt_id)
{
        static uint64_t ids[65536];
        struct helper_mnt_id_req req = { .size = 24, .mnt_id = mnt_id };
        return syscall(458 /* listmount */, &req, ids, 65536, 0);
}

static int cmd_mounts_beside_root(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        struct statx stx;
        if (statx(AT_FDCWD, "/", 0, 0x4000 /* STATX_MNT_ID_UNIQUE */, &stx) < 0)
                return fail("statx");
        uint64_t sm[64] = { 0 };
        struct helper_mnt_id_req req = { .size = 24, .mnt_id = stx.stx_mnt_id, .param = 2 /* STATMOUNT_MNT_BASIC */ };
        if (syscall(457 /* statmount */, &req, sm, sizeof(sm), 0) < 0)
                return fail("statmount");
        uint64_t parent = sm[6]; /* mnt_parent_id, at byte 48 */
        if (parent == stx.stx_mnt_id || parent == 0) {
                printf("0\n");
                return 0;
        }
        long all = count_below(parent), ours = count_below(stx.stx_mnt_id);
        if (all < 0 || ours < 0)
                return fail("listmount");
        printf("%ld\n", all - ours - 1);
        return 0;
}

/* keyring-label: the security label of the session keyring (KEYCTL_GET_SECURITY). */
static int cmd_keyring_label(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        char label[512] = "";
        /* The kernel copies the label with its NUL when it fits. */
        if (syscall(SYS_keyctl, 17 /* KEYCTL_GET_SECURITY */, -3 /* KEY_SPEC_SESSION_KEYRING */, label,
                    sizeof(label) - 1) < 0)
                return fail("keyctl");
        printf("%s\n", label);
        return 0;
}

/* xattr PATH NAME: the value of an extended attribute (security.selinux …). */
static int cmd_xattr(int argc, char **argv)
{
        if (argc < 3)
                return 2;
        char value[512];
        ssize_t n = lgetxattr(argv[1], argv[2], value, sizeof(value) - 1);
        if (n < 0)
                return fail("getxattr");
        value[n] = '\0';
        if (n > 0 && value[n - 1] == '\0')
                n--;
        printf("%.*s\n", (int)n, value);
        return 0;
}

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
} commands[] = {
        { "keyring-label", cmd_keyring_label },
        { "xattr", cmd_xattr },
        { "mounts-beside-root", cmd_mounts_beside_root },
        { "fds", cmd_fds },
        { "swapoff", cmd_swapoff },
        { "set-clock", cmd_set_clock },
        { "open-write", cmd_open_write },
        { "write", cmd_write },
        { "nnp", cmd_nnp },
        { "umask", cmd_umask },
        { "rlimit", cmd_rlimit },
        { "mknod", cmd_mknod },
        { "umount", cmd_umount },
        { "remount-rw", cmd_remount_rw },
        { "mount-tmpfs", cmd_mount_tmpfs },
        { "sethostname", cmd_sethostname },
        { "personality", cmd_personality },
        { "monotonic", cmd_monotonic },
        { "boottime", cmd_boottime },
        { "stat", cmd_stat },
        { "escape-chroot", cmd_escape_chroot },
        { "bind-port", cmd_bind_port },
        { "isatty", cmd_isatty },
        { "wait-signal", cmd_wait_signal },
        { "unshare-mount", cmd_unshare_mount },
        { "exit", cmd_exit },
        { "exe-grab", cmd_exe_grab },
        { "winch", cmd_winch },
        { "tty", cmd_tty },
        { "hook", cmd_hook },
        { "syscall", cmd_syscall },
        { "open-read", cmd_open_read },
        { "alloc", cmd_alloc },
        { "forks", cmd_forks },
        { "bpf-progs", cmd_bpf_progs },
        { "loopback", cmd_loopback },
};

static int run_command(int argc, char **argv)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, argv[0]) == 0)
                        return commands[i].run(argc, argv);
        fprintf(stderr, "nook-test-helper: unknown command %s\n", argv[0]);
        return 2;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: nook-test-helper COMMAND [ARGS]\n");
                return 2;
        }
        return run_command(argc - 1, argv + 1);
}
