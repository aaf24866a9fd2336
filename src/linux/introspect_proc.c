#define _GNU_SOURCE
#include "linux/introspect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int proc_open(pid_t pid, unsigned long long start_time, nook_err *err)
{
        char path[32];
        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        if (pid <= 0)
                return nook_error(err, ESRCH, "open `%s`", path);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `%s`", path);
        /* Checked after the open: from now on the fd stays with this process. */
        if (start_time != 0 && proc_start_time(fd) != start_time)
                return nook_error(err, ESRCH, "pid %d is no longer the container's process", (int)pid);
        return steal_fd(&fd);
}

unsigned long long proc_start_time(int procfd)
{
        _cleanup_free_ char *text = NULL;
        if (read_file_at(procfd, "stat", &text, NULL, NULL) < 0)
                return 0;
        /* The name may hold spaces and parentheses: the fields start after the last ')'. */
        char *p = strrchr(text, ')');
        if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X')
                return 0;
        int field = 2;
        for (char *q = p + 1; *q != '\0'; q++)
                if (*q == ' ' && ++field == 22)
                        return strtoull(q + 1, NULL, 10);
        return 0;
}

/* The value of "Key:\t…" in status text, or NULL. */
static const char *status_field(const char *text, const char *key)
{
        size_t len = strlen(key);
        for (const char *line = text; line != NULL && *line != '\0';) {
                if (strncmp(line, key, len) == 0 && line[len] == ':') {
                        const char *v = line + len + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        return v;
                }
                line = strchr(line, '\n');
                if (line != NULL)
                        line++;
        }
        return NULL;
}

static uint64_t hex_field(const char *text, const char *key)
{
        const char *v = status_field(text, key);
        return v != NULL ? strtoull(v, NULL, 16) : 0;
}

static int int_field(const char *text, const char *key, int missing)
{
        const char *v = status_field(text, key);
        return v != NULL ? (int)strtol(v, NULL, 10) : missing;
}

static void ids_field(const char *text, const char *key, unsigned out[4])
{
        const char *v = status_field(text, key);
        for (int i = 0; i < 4; i++) {
                char *end = NULL;
                out[i] = v != NULL ? (unsigned)strtoul(v, &end, 10) : (unsigned)-1;
                if (v != NULL)
                        v = end;
        }
}

int proc_read_status(int procfd, struct proc_status *st, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        int ret = read_file_at(procfd, "status", &text, NULL, err);
        if (ret < 0)
                return ret;
        memset(st, 0, sizeof(*st));
        const char *name = status_field(text, "Name");
        if (name != NULL) {
                size_t len = strcspn(name, "\n");
                if (len >= sizeof(st->name))
                        len = sizeof(st->name) - 1;
                memcpy(st->name, name, len);
        }
        const char *state = status_field(text, "State");
        st->state = state != NULL ? state[0] : '?';
        st->ppid = int_field(text, "PPid", 0);
        st->threads = int_field(text, "Threads", 0);
        const char *nspid = status_field(text, "NSpid");
        while (nspid != NULL && st->nspid_levels < PROC_MAX_NS_LEVELS) {
                char *end = NULL;
                long v = strtol(nspid, &end, 10);
                if (end == nspid)
                        break;
                st->nspid[st->nspid_levels++] = (pid_t)v;
                nspid = *end == '\n' ? NULL : end;
        }
        if (st->nspid_levels == 0) /* kernels before 4.1 */
                st->nspid[st->nspid_levels++] = int_field(text, "Pid", 0);
        ids_field(text, "Uid", st->uid);
        ids_field(text, "Gid", st->gid);
        st->cap_inheritable = hex_field(text, "CapInh");
        st->cap_permitted = hex_field(text, "CapPrm");
        st->cap_effective = hex_field(text, "CapEff");
        st->cap_bounding = hex_field(text, "CapBnd");
        st->cap_ambient = hex_field(text, "CapAmb");
        st->no_new_privs = int_field(text, "NoNewPrivs", -1);
        st->seccomp_mode = int_field(text, "Seccomp", -1);
        st->seccomp_filters = int_field(text, "Seccomp_filters", -1);
        return 0;
}

static const char *const ns_files[NS_TYPE_COUNT] = {
        [NS_MOUNT] = "mnt", [NS_PID] = "pid",       [NS_NETWORK] = "net", [NS_IPC] = "ipc",
        [NS_UTS] = "uts",   [NS_USER] = "user",     [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
};

const char *proc_ns_file(enum spec_namespace_type type)
{
        return ns_files[type];
}

static void read_ns(int procfd, enum spec_namespace_type type, struct ns_id *id)
{
        char path[16];
        snprintf(path, sizeof(path), "ns/%s", ns_files[type]);
        struct stat st;
        if (fstatat(procfd, path, &st, 0) < 0) {
                *id = (struct ns_id){ .error = -errno };
                return;
        }
        *id = (struct ns_id){ .inode = st.st_ino, .dev = st.st_dev };
}

void proc_read_namespaces(int procfd, struct ns_id ids[NS_TYPE_COUNT])
{
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                read_ns(procfd, t, &ids[t]);
}

int ns_id_of_path(const char *path, struct ns_id *id)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                *id = (struct ns_id){ .error = -errno };
                return -errno;
        }
        *id = (struct ns_id){ .inode = st.st_ino, .dev = st.st_dev };
        return 0;
}

struct found {
        pid_t pid;
        int fd;
};

static int by_pid(const void *a, const void *b)
{
        const struct found *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int proc_list_in_namespace(enum spec_namespace_type type, const struct ns_id *id, int **fds, pid_t **pids,
                           size_t *n, nook_err *err)
{
        *fds = NULL;
        *pids = NULL;
        *n = 0;
        _cleanup_closedir_ DIR *d = opendir("/proc");
        if (d == NULL)
                return nook_error_errno(err, "open `/proc`");
        _cleanup_free_ struct found *found = NULL;
        size_t count = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                char *end = NULL;
                long pid = strtol(e->d_name, &end, 10);
                if (end == e->d_name || *end != '\0' || pid <= 0)
                        continue;
                int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue; /* exited meanwhile */
                struct ns_id ns;
                read_ns(fd, type, &ns);
                if (!ns_id_equal(&ns, id)) {
                        close(fd);
                        continue;
                }
                if (count == cap) {
                        cap = cap ? cap * 2 : 16;
                        struct found *bigger = realloc(found, cap * sizeof(*found));
                        if (bigger == NULL) {
                                close(fd);
                                for (size_t i = 0; i < count; i++)
                                        close(found[i].fd);
                                return nook_error(err, ENOMEM, "list processes");
                        }
                        found = bigger;
                }
                found[count++] = (struct found){ .pid = (pid_t)pid, .fd = fd };
        }
        if (count > 0)
                qsort(found, count, sizeof(*found), by_pid);
        *fds = calloc(count ? count : 1, sizeof(int));
        *pids = calloc(count ? count : 1, sizeof(pid_t));
        if (*fds == NULL || *pids == NULL) {
                for (size_t i = 0; i < count; i++)
                        close(found[i].fd);
                free(*fds);
                free(*pids);
                *fds = NULL;
                *pids = NULL;
                return nook_error(err, ENOMEM, "list processes");
        }
        for (size_t i = 0; i < count; i++) {
                (*fds)[i] = found[i].fd;
                (*pids)[i] = found[i].pid;
        }
        *n = count;
        return 0;
}

int proc_read_id_map(int procfd, const char *file, struct id_range **ranges, size_t *n, nook_err *err)
{
        *ranges = NULL;
        *n = 0;
        _cleanup_free_ char *text = NULL;
        int ret = read_file_at(procfd, file, &text, NULL, err);
        if (ret < 0)
                return ret;
        size_t lines = 1;
        for (const char *p = text; *p != '\0'; p++)
                lines += *p == '\n';
        struct id_range *out = calloc(lines, sizeof(*out));
        if (out == NULL)
                return nook_error(err, ENOMEM, "read `%s`", file);
        size_t count = 0;
        for (char *line = text; line != NULL && *line != '\0';) {
                unsigned long inside, outside, length;
                if (sscanf(line, "%lu %lu %lu", &inside, &outside, &length) == 3)
                        out[count++] = (struct id_range){ (uint32_t)inside, (uint32_t)outside, (uint32_t)length };
                line = strchr(line, '\n');
                if (line != NULL)
                        line++;
        }
        *ranges = out;
        *n = count;
        return 0;
}

bool id_map_outside(const struct id_range *ranges, size_t n, uint32_t inside, uint32_t *outside)
{
        for (size_t i = 0; i < n; i++)
                if (inside >= ranges[i].inside && (uint64_t)inside < (uint64_t)ranges[i].inside + ranges[i].count) {
                        *outside = ranges[i].outside + (inside - ranges[i].inside);
                        return true;
                }
        return false;
}

bool id_map_inside(const struct id_range *ranges, size_t n, uint32_t outside, uint32_t *inside)
{
        for (size_t i = 0; i < n; i++)
                if (outside >= ranges[i].outside &&
                    (uint64_t)outside < (uint64_t)ranges[i].outside + ranges[i].count) {
                        *inside = ranges[i].inside + (outside - ranges[i].outside);
                        return true;
                }
        return false;
}

/* Whether the namespaces of the process behind procfd can be read at all. */
static bool namespaces_readable(int procfd)
{
        struct stat st;
        return fstatat(procfd, "ns/mnt", &st, 0) == 0;
}

int proc_open_reference(pid_t *pid, bool *host, nook_err *err)
{
        int fd = open("/proc/1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && namespaces_readable(fd)) {
                *pid = 1;
                *host = true;
                return fd;
        }
        if (fd >= 0)
                close(fd);
        /* kthreadd is the parent of every kernel thread and never leaves the initial namespaces. */
        fd = open("/proc/2", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                struct proc_status st;
                if (proc_read_status(fd, &st, NULL) == 0 && strcmp(st.name, "kthreadd") == 0 && st.ppid == 0 &&
                    namespaces_readable(fd)) {
                        *pid = 2;
                        *host = true;
                        return fd;
                }
                close(fd);
        }
        fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `/proc/self`");
        *pid = getpid();
        *host = false;
        return fd;
}

int proc_read_lsm_label(int procfd, bool apparmor, char **label, nook_err *err)
{
        *label = NULL;
        size_t len = 0;
        /* AppArmor's own directory (kernels before 5.1 have attr/current only). */
        int ret = apparmor ? read_file_at(procfd, "attr/apparmor/current", label, &len, NULL) : -ENOENT;
        if (ret == -ENOENT)
                ret = read_file_at(procfd, "attr/current", label, &len, err);
        if (ret < 0)
                return ret;
        /* SELinux ends it with a NUL, AppArmor with a newline. */
        while (len > 0 && ((*label)[len - 1] == '\n' || (*label)[len - 1] == '\0'))
                (*label)[--len] = '\0';
        return 0;
}
