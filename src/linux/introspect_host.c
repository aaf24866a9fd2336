#define _GNU_SOURCE
#include "linux/introspect_host.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define NOBODY 65534

int probe_clone3(void)
{
        /* A zero size is always refused with EINVAL by a kernel that has clone3. */
        return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? -ENOSYS : 0;
}

/* Reaps *pid; its exit status as a negative errno (0: it exited 0). */
static int wait_child(pid_t *pid)
{
        int status = 0;
        int ret = pid_wait(pid, &status);
        if (ret < 0)
                return ret;
        if (!WIFEXITED(status))
                return -EIO;
        return -WEXITSTATUS(status);
}

int probe_clone_into_cgroup(void)
{
        /* Not a cgroup directory: a kernel that knows the flag says EBADF before
         * making any process; one that does not refuses the flag with EINVAL. */
        _cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)fd,
        };
        _cleanup_pid_ pid_t pid = (pid_t)sys_clone3(&args);
        if (pid == 0)
                _exit(0);
        if (pid > 0) {
                wait_child(&pid);
                return 0;
        }
        if (errno == EBADF)
                return 0;
        return errno == EINVAL || errno == E2BIG ? -ENOSYS : -errno;
}

int probe_openat2(void)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
        if (fd < 0)
                return -errno;
        close((int)fd);
        return 0;
}

/* True when the call exists: anything but ENOSYS. */
static bool exists(long ret)
{
        return ret >= 0 || errno != ENOSYS;
}

int probe_mount_api(const char **missing)
{
        *missing = NULL;
        long fd = sys_open_tree(AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
        if (fd >= 0)
                close((int)fd);
        else if (!exists(fd))
                *missing = "open_tree";
        if (*missing == NULL && !exists(sys_move_mount(-1, "", -1, "", 0)))
                *missing = "move_mount";
        if (*missing == NULL) {
                fd = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
                if (fd >= 0)
                        close((int)fd);
                else if (!exists(fd))
                        *missing = "fsopen";
        }
        if (*missing == NULL && !exists(syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0)))
                *missing = "fsconfig";
        if (*missing == NULL && !exists(syscall(SYS_fsmount, -1, 0, 0)))
                *missing = "fsmount";
        if (*missing == NULL && !exists(syscall(SYS_mount_setattr, -1, "", 0, NULL, 0)))
                *missing = "mount_setattr";
        return *missing == NULL ? 0 : -ENOSYS;
}

/* A child in a new user namespace (0 → NOBODY+1 … mapped) that waits until
 * *release is closed. Returns its pid; *userns gets an fd of its namespace. */
static pid_t spawn_userns_holder(int *release, int *userns)
{
        int ready[2], hold[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int ready_rd = ready[0], ready_wr = ready[1];
        if (pipe2(hold, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int hold_rd = hold[0], hold_wr = hold[1];
        _cleanup_pid_ pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(ready_rd);
                close(hold_wr); /* or the read below never sees the parent's close */
                char c = unshare(CLONE_NEWUSER) == 0 ? 0 : 1;
                if (write(ready_wr, &c, 1) != 1)
                        _exit(1);
                while (read(hold_rd, &c, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(steal_fd(&ready_wr));
        close(steal_fd(&hold_rd));
        char c = 1;
        if (read(ready_rd, &c, 1) != 1 || c != 0)
                return -EPERM;
        char path[64];
        static const char map[] = "0 100000 65536\n";
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        int r = write_file_at(AT_FDCWD, path, map, sizeof(map) - 1, NULL);
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
        if (r == 0)
                r = write_file_at(AT_FDCWD, path, map, sizeof(map) - 1, NULL);
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        *userns = r == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (*userns < 0)
                return r < 0 ? r : -errno;
        *release = steal_fd(&hold_wr);
        return steal_pid(&pid);
}

int probe_idmapped_mount(const char *path)
{
        _cleanup_close_ int tree = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return -errno;
        int release = -1, userns = -1;
        _cleanup_pid_ pid_t holder = spawn_userns_holder(&release, &userns);
        if (holder < 0)
                return holder;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
        int ret = sys_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0 ? -errno : 0;
        close(userns);
        close(release); /* the holder's cue to exit */
        wait_child(&holder);
        return ret;
}

int probe_pidfd(void)
{
        _cleanup_close_ int fd = sys_pidfd_open(getpid(), 0);
        if (fd < 0)
                return -errno;
        return sys_pidfd_send_signal(fd, 0, NULL, 0) < 0 ? -errno : 0;
}

static int action_available(uint32_t action)
{
        if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
                return 0;
        return errno == EOPNOTSUPP || errno == EINVAL ? -ENOSYS : -errno;
}

int probe_seccomp_filter(void)
{
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return errno == EINVAL ? -ENOSYS : -errno;
        return action_available(SECCOMP_RET_ERRNO);
}

int probe_seccomp_notify(void)
{
        return action_available(SECCOMP_RET_USER_NOTIF);
}

int probe_unprivileged_userns(void)
{
        _cleanup_pid_ pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
                                       setresuid(NOBODY, NOBODY, NOBODY) < 0))
                        _exit(errno);
                _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
        }
        return wait_child(&pid);
}

int probe_namespace(const char *ns_file)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_file);
        struct stat st;
        return lstat(path, &st) == 0 ? 0 : -errno;
}

int probe_overlayfs(void)
{
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, "/proc/filesystems", &text, NULL, NULL) == 0 && strstr(text, "\toverlay\n"))
                return 0;
        struct utsname u;
        if (uname(&u) < 0)
                return -errno;
        static const char *const names[] = { "overlay.ko", "overlay.ko.xz", "overlay.ko.zst", "overlay.ko.gz" };
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char path[512];
                snprintf(path, sizeof(path), "/lib/modules/%s/kernel/fs/overlayfs/%s", u.release, names[i]);
                if (access(path, F_OK) == 0)
                        return -ENOPKG;
        }
        return -ENOSYS;
}

int host_subid_ranges(const char *file, uid_t uid, const char *name, struct id_range **ranges, size_t *n)
{
        *ranges = NULL;
        *n = 0;
        _cleanup_fclose_ FILE *f = fopen(file, "re");
        if (f == NULL)
                return errno == ENOENT ? 0 : -errno;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        char uid_text[16];
        snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)uid);
        while (getline(&line, &cap, f) > 0) {
                char *colon = strchr(line, ':');
                if (colon == NULL)
                        continue;
                *colon = '\0';
                if (strcmp(line, uid_text) != 0 && (name == NULL || strcmp(line, name) != 0))
                        continue;
                unsigned long start, count;
                if (sscanf(colon + 1, "%lu:%lu", &start, &count) != 2 || count == 0)
                        continue;
                struct id_range *bigger = realloc(*ranges, (*n + 1) * sizeof(**ranges));
                if (bigger == NULL)
                        return -ENOMEM;
                *ranges = bigger;
                (*ranges)[(*n)++] = (struct id_range){ 0, (uint32_t)start, (uint32_t)count };
        }
        return 0;
}

int host_find_helper(const char *name, char *path, size_t size, bool *privileged)
{
        static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin" };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(path, size, "%s/%s", dirs[i], name);
                struct stat st;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                bool setuid_root = st.st_uid == 0 && (st.st_mode & S_ISUID);
                bool file_caps = getxattr(path, "security.capability", NULL, 0) > 0;
                *privileged = setuid_root || file_caps;
                return 0;
        }
        return -ENOENT;
}
