#define _GNU_SOURCE
#include "container/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/introspect.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define STATE_FILE "state.json"

int state_check_id(const char *id, nook_err *err)
{
        size_t len = strlen(id);
        if (len == 0)
                return nook_error(err, 0, "invalid container id: empty");
        /* The id names the state directory and the cgroup directory. */
        if (len > NAME_MAX)
                return nook_error(err, 0, "invalid container id: longer than %d bytes", NAME_MAX);
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strchr(id, '/') != NULL)
                return nook_error(err, 0, "invalid container id \"%s\": must not be \".\", \"..\" or contain '/'",
                                  id);
        for (const char *p = id; *p != '\0'; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f)
                        return nook_error(err, 0, "invalid container id \"%s\": must not hold spaces or control "
                                                  "characters",
                                          id);
        return 0;
}

int state_root_default(bool rootless, char **out, nook_err *err)
{
        if (!rootless) {
                *out = strdup("/run/nook");
                return *out != NULL ? 0 : nook_error(err, ENOMEM, "root");
        }
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (xdg == NULL || xdg[0] == '\0')
                return nook_error(err, 0, "rootless: XDG_RUNTIME_DIR is not set; pass --root DIR");
        if (asprintf(out, "%s/nook", xdg) < 0)
                return nook_error(err, ENOMEM, "root");
        return 0;
}

int state_reserve(const char *root, const char *id, char **dir, nook_err *err)
{
        int ret = mkdir_p(root, 0700, err);
        if (ret < 0)
                return nook_error_wrap(err, "state root");
        if (asprintf(dir, "%s/%s", root, id) < 0)
                return nook_error(err, ENOMEM, "state dir");
        if (mkdir(*dir, 0700) < 0) {
                ret = errno == EEXIST ? nook_error(err, EEXIST, "container \"%s\" already exists", id)
                                      : nook_error_errno(err, "create state dir `%s`", *dir);
                free(*dir);
                *dir = NULL;
                return ret;
        }
        return 0;
}

static void add_string(json_object *o, const char *key, const char *value)
{
        if (value != NULL)
                json_object_object_add(o, key, json_object_new_string(value));
}

static int stage_at(int dirfd, const struct container_state *s, nook_err *err)
{
        json_object *o = json_object_new_object();
        add_string(o, "ociVersion", s->oci_version);
        add_string(o, "id", s->id);
        json_object_object_add(o, "pid", json_object_new_int(s->pid));
        json_object_object_add(o, "startTime", json_object_new_uint64(s->start_time));
        if (s->pid <= 0 && s->creator > 0) {
                json_object_object_add(o, "creator", json_object_new_int(s->creator));
                json_object_object_add(o, "creatorStartTime", json_object_new_uint64(s->creator_start_time));
        }
        add_string(o, "bundle", s->bundle);
        add_string(o, "rootfs", s->rootfs);
        add_string(o, "created", s->created);
        add_string(o, "owner", s->owner);
        json_object_object_add(o, "rootless", json_object_new_boolean(s->rootless));
        json_object_object_add(o, "sharesPidNamespace", json_object_new_boolean(s->shares_pid_namespace));
        if (s->annotations != NULL)
                json_object_object_add(o, "annotations", json_object_get(s->annotations));
        if (s->cgroup != NULL)
                json_object_object_add(o, "cgroup", cgroup_to_json(s->cgroup));
        if (s->systemd_unit != NULL) {
                json_object *unit = json_object_new_object();
                add_string(unit, "unit", s->systemd_unit);
                add_string(unit, "bus", s->systemd_user ? "user" : "system");
                json_object_object_add(o, "systemd", unit);
        }
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        int ret = write_file_staged(dirfd, STATE_FILE, text, strlen(text), 0600, err);
        json_object_put(o);
        return ret;
}

static int open_dir(const struct container_state *s, nook_err *err)
{
        int dirfd = open(s->dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
        return dirfd < 0 ? nook_error_errno(err, "open state dir `%s`", s->dir) : dirfd;
}

int state_stage(const struct container_state *s, nook_err *err)
{
        _cleanup_close_ int dirfd = open_dir(s, err);
        return dirfd < 0 ? dirfd : stage_at(dirfd, s, err);
}

int state_commit(const struct container_state *s, nook_err *err)
{
        _cleanup_close_ int dirfd = open_dir(s, err);
        return dirfd < 0 ? dirfd : write_file_commit(dirfd, STATE_FILE, err);
}

int state_save(const struct container_state *s, nook_err *err)
{
        _cleanup_close_ int dirfd = open_dir(s, err);
        int ret = dirfd < 0 ? dirfd : stage_at(dirfd, s, err);
        return ret < 0 ? ret : write_file_commit(dirfd, STATE_FILE, err);
}

static char *dup_field(json_object *o, const char *key)
{
        json_object *v = json_object_object_get(o, key);
        return v != NULL ? strdup(json_object_get_string(v)) : NULL;
}

int state_load(const char *root, const char *id, struct container_state **out, nook_err *err)
{
        int ret = state_check_id(id, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        if (asprintf(&dir, "%s/%s", root, id) < 0 || asprintf(&path, "%s/" STATE_FILE, dir) < 0)
                return nook_error(err, ENOMEM, "state");
        nook_err local = NULL;
        if (read_file_at(AT_FDCWD, path, &text, NULL, &local) < 0) {
                if (local->code == ENOENT) {
                        nook_error_free(&local);
                        return nook_error(err, ENOENT, "container \"%s\" does not exist", id);
                }
                *err = local;
                return nook_error_ret(local);
        }
        json_object *o = json_tokener_parse(text);
        if (o == NULL || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return nook_error(err, EINVAL, "`%s`: not a state file", path);
        }
        struct container_state *s = calloc(1, sizeof(*s));
        if (s == NULL) {
                json_object_put(o);
                return nook_error(err, ENOMEM, "state");
        }
        s->dir = steal_pointer(&dir);
        s->id = strdup(id);
        s->oci_version = dup_field(o, "ociVersion");
        s->bundle = dup_field(o, "bundle");
        s->rootfs = dup_field(o, "rootfs");
        s->created = dup_field(o, "created");
        s->owner = dup_field(o, "owner");
        s->pid = json_object_get_int(json_object_object_get(o, "pid"));
        s->start_time = json_object_get_uint64(json_object_object_get(o, "startTime"));
        s->creator = json_object_get_int(json_object_object_get(o, "creator"));
        s->creator_start_time = json_object_get_uint64(json_object_object_get(o, "creatorStartTime"));
        s->rootless = json_object_get_boolean(json_object_object_get(o, "rootless"));
        s->shares_pid_namespace = json_object_get_boolean(json_object_object_get(o, "sharesPidNamespace"));
        json_object *annotations = json_object_object_get(o, "annotations");
        if (annotations != NULL)
                s->annotations = json_object_get(annotations);
        json_object *systemd = json_object_object_get(o, "systemd");
        if (systemd != NULL) {
                s->systemd_unit = dup_field(systemd, "unit");
                const char *bus = json_object_get_string(json_object_object_get(systemd, "bus"));
                s->systemd_user = bus != NULL && strcmp(bus, "user") == 0;
        }
        json_object *cgroup = json_object_object_get(o, "cgroup");
        ret = 0;
        if (cgroup != NULL)
                ret = cgroup_from_json(cgroup, &s->cgroup, err);
        json_object_put(o);
        if (ret < 0) {
                state_free(s);
                return ret;
        }
        *out = s;
        return 0;
}

static int remove_tree_at(int parent, const char *name)
{
        int fd = openat(parent, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                DIR *d = fdopendir(fd);
                if (d == NULL) {
                        close(fd);
                        return -errno;
                }
                struct dirent *e;
                while ((e = readdir(d)) != NULL) {
                        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                                continue;
                        if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno == EISDIR)
                                remove_tree_at(dirfd(d), e->d_name);
                }
                closedir(d);
                if (unlinkat(parent, name, AT_REMOVEDIR) < 0)
                        return -errno;
                return 0;
        }
        if (unlinkat(parent, name, 0) < 0)
                return -errno;
        return 0;
}

int state_remove_dir(const char *dir, nook_err *err)
{
        int r = remove_tree_at(AT_FDCWD, dir);
        if (r < 0 && r != -ENOENT)
                return nook_error(err, -r, "remove state dir `%s`", dir);
        return 0;
}

#define PROCESS_FLAG_EXITING 0x4 /* the kernel's PF_EXITING, field 9 of /proc/<pid>/stat */

unsigned long long state_process_start_time(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        _cleanup_free_ char *text = NULL;
        if (pid <= 0 || read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
                return 0;
        char *p = strrchr(text, ')');
        if (p == NULL || p[1] == '\0')
                return 0;
        /* p[2] is the state; a zombie has finished running. */
        if (p[2] == 'Z' || p[2] == 'X')
                return 0;
        int field = 2;
        for (char *q = p + 1; *q != '\0'; q++) {
                if (*q != ' ')
                        continue;
                field++;
                /* So has a process in exit (PF_EXITING): a pid namespace's init stays there,
                 * out of its cgroup, until each process of the namespace is reaped, by
                 * parents outside it that may never do so (an exec'd process's). */
                if (field == 9 && (strtoull(q + 1, NULL, 10) & PROCESS_FLAG_EXITING))
                        return 0;
                if (field == 22)
                        return strtoull(q + 1, NULL, 10);
        }
        return 0;
}

enum container_status state_status(const struct container_state *s)
{
        if (s->pid <= 0) {
                /* Its creator is at work, or was killed before the init was ready. */
                bool creating = s->creator > 0 && state_process_start_time(s->creator) == s->creator_start_time;
                return creating ? STATUS_CREATING : STATUS_STOPPED;
        }
        unsigned long long start = state_process_start_time(s->pid);
        if (start == 0 || start != s->start_time)
                return STATUS_STOPPED;
        _cleanup_free_ char *sock = path_join(s->dir, "start.sock");
        if (sock != NULL && access(sock, F_OK) == 0)
                return STATUS_CREATED;
        if (s->cgroup != NULL && cgroup_is_frozen(s->cgroup))
                return STATUS_PAUSED;
        return STATUS_RUNNING;
}

const char *state_status_name(enum container_status status)
{
        static const char *const names[] = {
                [STATUS_CREATING] = "creating", [STATUS_CREATED] = "created", [STATUS_RUNNING] = "running",
                [STATUS_PAUSED] = "paused",     [STATUS_STOPPED] = "stopped",
        };
        return names[status];
}

json_object *state_to_json(const struct container_state *s, enum container_status status)
{
        json_object *o = json_object_new_object();
        add_string(o, "ociVersion", s->oci_version);
        add_string(o, "id", s->id);
        add_string(o, "status", state_status_name(status));
        json_object_object_add(o, "pid", json_object_new_int(status == STATUS_STOPPED ? 0 : s->pid));
        add_string(o, "bundle", s->bundle);
        add_string(o, "rootfs", s->rootfs);
        add_string(o, "created", s->created);
        add_string(o, "owner", s->owner);
        json_object_object_add(o, "annotations",
                               s->annotations != NULL ? json_object_get(s->annotations) : json_object_new_object());
        return o;
}

int state_list_ids(const char *root, char ***ids, size_t *n, nook_err *err)
{
        *ids = NULL;
        *n = 0;
        _cleanup_closedir_ DIR *d = opendir(root);
        if (d == NULL) {
                if (errno == ENOENT)
                        return 0;
                return nook_error_errno(err, "open state root `%s`", root);
        }
        size_t cap = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = path_join(root, e->d_name, STATE_FILE);
                if (path == NULL)
                        return nook_error(err, ENOMEM, "list");
                if (access(path, F_OK) < 0)
                        continue;
                if (*n == cap) {
                        cap = cap ? cap * 2 : 16;
                        char **bigger = realloc(*ids, cap * sizeof(char *));
                        if (bigger == NULL)
                                return nook_error(err, ENOMEM, "list");
                        *ids = bigger;
                }
                (*ids)[(*n)++] = strdup(e->d_name);
        }
        return 0;
}

void state_clear(struct container_state *s)
{
        free(s->id);
        free(s->dir);
        free(s->oci_version);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->owner);
        cgroup_free(s->cgroup);
        free(s->systemd_unit);
        json_object_put(s->annotations);
        *s = (struct container_state){ 0 };
}

void state_free(struct container_state *s)
{
        if (s == NULL)
                return;
        state_clear(s);
        free(s);
}

int state_pids(const struct container_state *state, pid_t **pids, size_t *n, nook_err *err)
{
        if (state->cgroup != NULL)
                return cgroup_pids(state->cgroup, pids, n, err);
        *n = 0;
        *pids = NULL;
        if (state_status(state) == STATUS_STOPPED || state->pid <= 0)
                return 0;
        if (!state->shares_pid_namespace) {
                _cleanup_close_ int procfd = proc_open(state->pid, state->start_time, NULL);
                if (procfd < 0)
                        return 0; /* gone since */
                struct ns_id ids[NS_TYPE_COUNT];
                proc_read_namespaces(procfd, ids);
                if (ids[NS_PID].error != 0)
                        return nook_error(err, ids[NS_PID].error, "pid namespace of the container (pid %d)",
                                          state->pid);
                _cleanup_free_ int *fds = NULL;
                int ret = proc_list_in_namespace(NS_PID, &ids[NS_PID], &fds, pids, n, err);
                for (size_t i = 0; ret == 0 && i < *n; i++)
                        close(fds[i]);
                return ret;
        }
        *pids = calloc(1, sizeof(pid_t));
        if (*pids == NULL)
                return nook_error(err, ENOMEM, "container processes");
        (*pids)[(*n)++] = state->pid;
        return 0;
}
