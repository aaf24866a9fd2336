#define _GNU_SOURCE
#include "linux/process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id_list.h"
#include "util/log.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int process_set_rlimits(const struct spec_process *process, nook_err *err)
{
        for (size_t i = 0; i < process->rlimits.len; i++) {
                const struct spec_rlimit *r = &process->rlimits.items[i];
                struct rlimit limit = { .rlim_cur = r->soft, .rlim_max = r->hard };
                if (setrlimit(r->resource, &limit) < 0)
                        return nook_error_errno(err, "set %s to %llu/%llu", spec_rlimit_name(r->resource),
                                                (unsigned long long)r->soft, (unsigned long long)r->hard);
        }
        return 0;
}

int process_set_oom_score_adj(pid_t pid, int value, nook_err *err)
{
        char path[64], text[16];
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
        int len = snprintf(text, sizeof(text), "%d", value);
        int ret = write_file_at(AT_FDCWD, path, text, (size_t)len, err);
        if (ret < 0)
                return nook_error_wrap(err, "process.oomScoreAdj %d (lowering it needs CAP_SYS_RESOURCE)", value);
        return 0;
}

int process_set_personality(int persona, nook_err *err)
{
        if (personality((unsigned long)persona) < 0)
                return nook_error_errno(err, "set personality %#x", persona);
        return 0;
}

/* The kernel's struct sched_attr (not in glibc 2.36). */
struct kernel_sched_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};

int process_set_scheduler(const struct spec_scheduler *s, nook_err *err)
{
        struct kernel_sched_attr attr = {
                .size = sizeof(attr),
                .sched_policy = (uint32_t)s->policy,
                .sched_flags = s->flags,
                .sched_nice = s->nice,
                .sched_priority = (uint32_t)s->priority,
                .sched_runtime = s->runtime,
                .sched_deadline = s->deadline,
                .sched_period = s->period,
        };
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                return nook_error_errno(err, "set scheduler policy %d", s->policy);
        return 0;
}

int process_set_io_priority(const struct spec_io_priority *prio, nook_err *err)
{
        int value = (prio->io_class << 13) | prio->priority;
        if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value) < 0)
                return nook_error_errno(err, "set I/O priority class %d level %d", prio->io_class, prio->priority);
        return 0;
}

int process_set_memory_policy(const struct spec_memory_policy *policy, nook_err *err)
{
        /* maxnode counts one bit more than the mask holds: the kernel drops the last one. */
        unsigned long maxnode = policy->nodes.bits != NULL ? (unsigned long)policy->nodes.nbits + 1 : 0;
        if (syscall(SYS_set_mempolicy, policy->mode | (int)policy->flags, policy->nodes.bits, maxnode) < 0)
                return nook_error_errno(err, "set_mempolicy mode %d flags %#x", policy->mode, (unsigned)policy->flags);
        return 0;
}

int process_set_affinity(pid_t pid, const struct spec_id_set *cpus, nook_err *err)
{
        if (sched_setaffinity(pid, id_list_bytes(cpus->nbits), (cpu_set_t *)cpus->bits) < 0)
                return nook_error_errno(err, "set the CPU affinity of pid %d", pid);
        return 0;
}

int process_push_affinity(const struct spec_id_set *cpus, unsigned long **saved, nook_err *err)
{
        /* As large as any list may name: a smaller mask than the kernel's fails with EINVAL. */
        size_t size = id_list_bytes(ID_LIST_MAX + 1);
        _cleanup_free_ unsigned long *own = malloc(size);
        if (own == NULL || sched_getaffinity(0, size, (cpu_set_t *)own) < 0)
                return nook_error_errno(err, "read the CPU affinity");
        int ret = process_set_affinity(0, cpus, err);
        if (ret < 0)
                return ret;
        *saved = steal_pointer(&own);
        return 0;
}

void process_pop_affinity(unsigned long *saved)
{
        if (saved == NULL)
                return;
        (void)sched_setaffinity(0, id_list_bytes(ID_LIST_MAX + 1), (cpu_set_t *)saved);
        free(saved);
}

int process_open_procfs(int rootfd, nook_err *err)
{
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, rootfd, "/proc", &how, sizeof(how));
        if (fd < 0)
                return nook_error_errno(err, "open `/proc`");
        struct statfs sfs;
        struct stat st;
        if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0) {
                int ret = nook_error_errno(err, "stat `/proc`");
                close(fd);
                return ret;
        }
        /* The root of a procfs is inode 1; anything else is a bind mount or an impostor. */
        if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != 1) {
                close(fd);
                return nook_error(err, EINVAL, "`/proc` is not the root of a procfs");
        }
        return fd;
}

int process_open_proc_file(int procfd, const char *name, int flags, nook_err *err)
{
        struct open_how how = {
                .flags = (unsigned)flags | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = (int)syscall(SYS_openat2, procfd, name, &how, sizeof(how));
        if (fd < 0)
                return nook_error_errno(err, "open `/proc/%s`", name);
        return fd;
}

int process_write_sysctl(int procfd, const char *key, const char *value, nook_err *err)
{
        char name[512];
        int n = snprintf(name, sizeof(name), "sys/%s", key);
        if (n < 0 || (size_t)n >= sizeof(name))
                return nook_error(err, ENAMETOOLONG, "sysctl `%s`", key);
        /* "net.ipv4.ip_forward" names /proc/sys/net/ipv4/ip_forward; a key with '/' is a path already. */
        if (strchr(key, '/') == NULL)
                for (char *p = name + 4; *p != '\0'; p++)
                        if (*p == '.')
                                *p = '/';
        _cleanup_close_ int fd = process_open_proc_file(procfd, name, O_WRONLY, err);
        if (fd < 0)
                return nook_error_wrap(err, "sysctl %s", key);
        if (write(fd, value, strlen(value)) < 0)
                return nook_error_errno(err, "sysctl %s = \"%s\"", key, value);
        return 0;
}

static const char *find_path_variable(const spec_strings *env)
{
        for (size_t i = 0; env != NULL && i < env->len; i++)
                if (strncmp(env->items[i], "PATH=", 5) == 0)
                        return env->items[i] + 5;
        return DEFAULT_PATH;
}

/* 0 when path is a file this process may execute, else the errno. */
static int check_executable(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return errno;
        if (S_ISDIR(st.st_mode))
                return EACCES;
        if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
                return errno;
        return 0;
}

int process_find_executable(const char *arg0, const spec_strings *env, char **out, nook_err *err)
{
        if (strchr(arg0, '/') != NULL) {
                int e = check_executable(arg0);
                if (e == ENOENT || e == ENOTDIR)
                        return nook_error(err, e, "exec: \"%s\": stat %s", arg0, arg0);
                if (e != 0)
                        return nook_error(err, e, "exec: \"%s\"", arg0);
                *out = strdup(arg0);
                return *out != NULL ? 0 : nook_error(err, ENOMEM, "exec");
        }
        const char *path = find_path_variable(env);
        int denied = 0;
        for (const char *dir = path;;) {
                size_t len = strcspn(dir, ":");
                _cleanup_free_ char *candidate = NULL;
                /* An empty PATH element means the current directory. */
                if (asprintf(&candidate, "%.*s%s%s", (int)len, len > 0 ? dir : ".", "/", arg0) < 0)
                        return nook_error(err, ENOMEM, "exec");
                int e = check_executable(candidate);
                if (e == 0) {
                        *out = steal_pointer(&candidate);
                        return 0;
                }
                if (e == EACCES || e == EPERM)
                        denied = e;
                if (dir[len] == '\0')
                        break;
                dir += len + 1;
        }
        if (denied != 0)
                return nook_error(err, denied, "exec: \"%s\"", arg0);
        return nook_error(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}
