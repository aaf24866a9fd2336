/* A container's cgroup: creating it, joining it, its processes, freezing and
 * removing it, and its record in the state (cgroup_plan.c says where it goes). */
#define _GNU_SOURCE
#include "linux/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* ---- creating and removing ---- */

/* A new v1 cpuset cgroup has no cpus or mems, and no task can join it until
 * they are set: copy the parent's. A parent made empty by someone else (a pod
 * cgroup) is filled the same way first, up to the hierarchy's root, as runc does. */
static int init_cpuset(const char *dir, const char *mount, nook_err *err)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
        const char *slash = strrchr(dir, '/');
        if (slash == NULL || (size_t)(slash - dir) < strlen(mount))
                return 0; /* the hierarchy's root: never empty */
        _cleanup_free_ char *parent = strndup(dir, (size_t)(slash - dir));
        if (parent == NULL)
                return nook_error(err, ENOMEM, "cgroup");
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *path = NULL, *from = NULL, *current = NULL, *value = NULL;
                if (asprintf(&path, "%s/%s", dir, files[i]) < 0 || asprintf(&from, "%s/%s", parent, files[i]) < 0)
                        return nook_error(err, ENOMEM, "cgroup");
                if (read_file_at(AT_FDCWD, path, &current, NULL, NULL) < 0)
                        continue;
                if (current[0] != '\n' && current[0] != '\0')
                        continue;
                int ret = read_file_at(AT_FDCWD, from, &value, NULL, err);
                if (ret == 0 && (value[0] == '\n' || value[0] == '\0')) {
                        free(value);
                        value = NULL;
                        ret = init_cpuset(parent, mount, err);
                        if (ret == 0)
                                ret = read_file_at(AT_FDCWD, from, &value, NULL, err);
                }
                if (ret == 0)
                        ret = write_file_at(AT_FDCWD, path, value, strlen(value), err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* A container's cgroup made before nook came (a pod's, a previous run's) may
 * be frozen: its processes would stop at once and `run` never return. Refused,
 * as runc 1.1.5 does ("container's cgroup unexpectedly frozen"). */
static int check_not_frozen(const struct cgroup_hierarchy *h, const char *dir, nook_err *err)
{
        bool freezer = h->v2 || strstr(h->controllers, "freezer") != NULL;
        if (!freezer)
                return 0;
        _cleanup_free_ char *path = NULL, *state = NULL;
        if (asprintf(&path, "%s/%s", dir, h->v2 ? "cgroup.freeze" : "freezer.state") < 0)
                return nook_error(err, ENOMEM, "cgroup");
        if (read_file_at(AT_FDCWD, path, &state, NULL, NULL) < 0)
                return 0; /* no freezer here (the root cgroup, an old kernel) */
        bool frozen = h->v2 ? state[0] == '1' : strncmp(state, "THAWED", 6) != 0;
        if (!frozen)
                return 0;
        if (!h->v2) {
                /* FROZEN because an ancestor is: runc does not count that (a thaw of the
                 * ancestor is someone else's business). */
                _cleanup_free_ char *self = NULL, *self_path = NULL;
                if (asprintf(&self_path, "%s/freezer.self_freezing", dir) >= 0 &&
                    read_file_at(AT_FDCWD, self_path, &self, NULL, NULL) == 0 && self[0] == '0')
                        return 0;
        }
        return nook_error(err, EBUSY, "the container's cgroup `%s` is frozen: thaw it or remove it first", dir);
}

/* Turns on every available controller for the children of dir (cgroup2). A
 * cgroup that holds processes refuses this (EBUSY); the resource writes
 * then report the missing file. */
static void enable_v2_controllers(const char *dir)
{
        _cleanup_free_ char *controllers = path_join(dir, "cgroup.controllers");
        _cleanup_free_ char *subtree = path_join(dir, "cgroup.subtree_control");
        _cleanup_free_ char *available = NULL;
        if (controllers == NULL || subtree == NULL ||
            read_file_at(AT_FDCWD, controllers, &available, NULL, NULL) < 0)
                return;
        _cleanup_free_ char *request = calloc(1, strlen(available) * 2 + 2);
        if (request == NULL)
                return;
        char *save = NULL;
        for (char *c = strtok_r(available, " \n", &save); c != NULL; c = strtok_r(NULL, " \n", &save)) {
                strcat(request, request[0] != '\0' ? " +" : "+");
                strcat(request, c);
        }
        if (request[0] == '\0')
                return;
        _cleanup_error_ nook_err err = NULL;
        if (write_file_at(AT_FDCWD, subtree, request, strlen(request), &err) < 0)
                log_debug("enable cgroup controllers: %s", err->msg);
}

static int create_hierarchy(struct cgroup_hierarchy *h, nook_err *err)
{
        _cleanup_free_ char *path = strdup(h->path);
        if (path == NULL)
                return nook_error(err, ENOMEM, "cgroup");
        bool cpuset = !h->v2 && strstr(h->controllers, "cpuset") != NULL;
        size_t mount_len = strlen(h->mount);
        /* cgroup2: each existing ancestor delegates its controllers to the next level
         * (never the container's own directory: a cgroup with controllers enabled for
         * children cannot hold processes). */
        if (h->v2) {
                enable_v2_controllers(h->mount);
                for (char *slash = strchr(path + mount_len + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
                        *slash = '\0';
                        enable_v2_controllers(path);
                        *slash = '/';
                }
        }
        /* Walk down from the mount, creating what is missing. */
        for (char *p = path + mount_len + 1; p != NULL;) {
                char *slash = strchr(p, '/');
                if (slash != NULL)
                        *slash = '\0';
                if (mkdir(path, 0755) == 0) {
                        h->created++;
                        if (cpuset) {
                                int ret = init_cpuset(path, h->mount, err);
                                if (ret < 0)
                                        return ret;
                        }
                        if (h->v2 && slash != NULL)
                                enable_v2_controllers(path);
                } else if (errno != EEXIST) {
                        return nook_error_errno(err, "create cgroup `%s`", path);
                } else if (h->created > 0) {
                        /* Someone else made a directory below one we made: not ours to track. */
                        return nook_error(err, EEXIST, "create cgroup `%s`", path);
                } else if (slash == NULL) {
                        /* The container's own cgroup was there already. */
                        int ret = check_not_frozen(h, path, err);
                        if (ret == 0 && cpuset)
                                ret = init_cpuset(path, h->mount, err);
                        if (ret < 0)
                                return ret;
                }
                if (slash != NULL)
                        *slash = '/';
                p = slash != NULL ? slash + 1 : NULL;
        }
        return 0;
}

int cgroup_create(struct cgroup *cg, nook_err *err)
{
        int ret = cgroup_create_part(cg, true, err);
        return ret < 0 ? ret : cgroup_create_part(cg, false, err);
}

int cgroup_create_part(struct cgroup *cg, bool v2, nook_err *err)
{
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                if (cg->hierarchies[i].v2 != v2)
                        continue;
                int ret = create_hierarchy(&cg->hierarchies[i], err);
                if (ret < 0)
                        return ret;
                if (cg->hierarchies[i].v2 && cg->v2_fd < 0) {
                        cg->v2_fd = open(cg->hierarchies[i].path, O_DIRECTORY | O_PATH | O_CLOEXEC);
                        if (cg->v2_fd < 0)
                                return nook_error_errno(err, "open cgroup `%s`", cg->hierarchies[i].path);
                }
        }
        return 0;
}

int cgroup_enter_v2(const struct cgroup *cg, pid_t pid, nook_err *err)
{
        char value[32];
        int len = snprintf(value, sizeof(value), "%d", pid);
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (!h->v2)
                        continue;
                _cleanup_free_ char *path = path_join(h->path, "cgroup.procs");
                if (path == NULL)
                        return nook_error(err, ENOMEM, "join cgroup");
                int ret = write_file_at(AT_FDCWD, path, value, (size_t)len, err);
                if (ret < 0)
                        return nook_error_wrap(err, "join cgroup");
        }
        return 0;
}

int cgroup_join_open(const struct cgroup *cg, struct cgroup_join *join, nook_err *err)
{
        join->n = 0;
        join->fds = calloc(cg->n_hierarchies + 1, sizeof(int));
        if (join->fds == NULL)
                return nook_error(err, ENOMEM, "join cgroup");
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (h->v2)
                        continue;
                _cleanup_free_ char *path = path_join(h->path, "tasks");
                int fd = path != NULL ? open(path, O_WRONLY | O_CLOEXEC) : -1;
                if (fd < 0) {
                        int ret = path == NULL ? nook_error(err, ENOMEM, "join cgroup")
                                               : nook_error_errno(err, "join cgroup: open `%s`", path);
                        cgroup_join_close(join);
                        return ret;
                }
                join->fds[join->n++] = fd;
        }
        return 0;
}

int cgroup_join_self(struct cgroup_join *join, nook_err *err)
{
        int ret = 0;
        for (size_t i = 0; i < join->n && ret == 0; i++)
                if (write(join->fds[i], "0", 1) < 0)
                        ret = nook_error_errno(err, "join cgroup (hierarchy %zu)", i);
        cgroup_join_close(join);
        return ret;
}

void cgroup_join_close(struct cgroup_join *join)
{
        for (size_t i = 0; i < join->n; i++)
                close(join->fds[i]);
        free(join->fds);
        join->fds = NULL;
        join->n = 0;
}

/* Calls visit for every cgroup below dir, deepest first (so that visit may remove it). */
static int walk_below(const char *dir, int (*visit)(const char *path, void *arg, nook_err *err), void *arg,
                      nook_err *err)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
                return errno == ENOENT ? 0 : nook_error_errno(err, "open cgroup `%s`", dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *path = path_join(dir, e->d_name);
                if (path == NULL)
                        return nook_error(err, ENOMEM, "walk cgroup `%s`", dir);
                int ret = walk_below(path, visit, arg, err);
                if (ret == 0)
                        ret = visit(path, arg, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

struct pid_list {
        pid_t *pids;
        size_t n, cap;
};

/* Adds the pids of dir/cgroup.procs. */
static int collect_pids(const char *dir, void *arg, nook_err *err)
{
        struct pid_list *list = arg;
        _cleanup_free_ char *path = path_join(dir, "cgroup.procs");
        if (path == NULL)
                return nook_error(err, ENOMEM, "cgroup pids");
        _cleanup_free_ char *text = NULL;
        _cleanup_error_ nook_err read_err = NULL;
        if (read_file_at(AT_FDCWD, path, &text, NULL, &read_err) < 0) {
                /* A sub-cgroup the container removed meanwhile. */
                int code = read_err->code;
                if (code == ENOENT || code == ENODEV)
                        return 0;
                *err = steal_pointer(&read_err);
                return -code;
        }
        char *save = NULL;
        for (char *tok = strtok_r(text, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save)) {
                /* A process outside nook's pid namespace reads as 0: never a pid to signal
                 * (kill(0, …) would hit nook's own process group). cgroup.kill reaches it. */
                pid_t pid = (pid_t)atoi(tok);
                if (pid <= 0)
                        continue;
                if (list->n == list->cap) {
                        size_t bigger_cap = list->cap * 2 + 16;
                        pid_t *bigger = realloc(list->pids, bigger_cap * sizeof(pid_t));
                        if (bigger == NULL)
                                return nook_error(err, ENOMEM, "cgroup pids");
                        list->pids = bigger;
                        list->cap = bigger_cap;
                }
                list->pids[list->n++] = pid;
        }
        return 0;
}

/* The hierarchy that tells which processes are in the container: cgroup2 on a
 * unified host, else the first (each v1 hierarchy holds every process). */
static const struct cgroup_hierarchy *procs_hierarchy(const struct cgroup *cg)
{
        const struct cgroup_hierarchy *v2 = cgroup_v2_hierarchy(cg);
        if (cg->mode == CGROUP_MODE_V2 && v2 != NULL)
                return v2;
        return cg->n_hierarchies > 0 ? &cg->hierarchies[0] : NULL;
}

int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, nook_err *err)
{
        *pids = NULL;
        *n = 0;
        const struct cgroup_hierarchy *h = procs_hierarchy(cg);
        if (h == NULL)
                return 0;
        struct pid_list list = { 0 };
        int ret = collect_pids(h->path, &list, err);
        if (ret == 0)
                ret = walk_below(h->path, collect_pids, &list, err);
        if (ret < 0) {
                free(list.pids);
                return ret;
        }
        *pids = list.pids;
        *n = list.n;
        return 0;
}

int cgroup_kill(const struct cgroup *cg, nook_err *err)
{
        const struct cgroup_hierarchy *h = cgroup_v2_hierarchy(cg);
        if (h == NULL || !cgroup_has_file(h, "cgroup.kill"))
                return -ENOTSUP;
        _cleanup_free_ char *path = path_join(h->path, "cgroup.kill");
        if (path == NULL)
                return nook_error(err, ENOMEM, "kill cgroup");
        return write_file_at(AT_FDCWD, path, "1", 1, err);
}

static const struct cgroup_hierarchy *find_hierarchy(const struct cgroup *cg, const char *controller)
{
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (controller == NULL ? h->v2 : (!h->v2 && cgroup_same_controllers(h->controllers, controller)))
                        return h;
        }
        for (size_t i = 0; controller != NULL && i < cg->n_hierarchies; i++)
                if (!cg->hierarchies[i].v2 && strstr(cg->hierarchies[i].controllers, controller) != NULL)
                        return &cg->hierarchies[i];
        return NULL;
}

static void sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

bool cgroup_is_frozen(const struct cgroup *cg)
{
        const struct cgroup_hierarchy *h = find_hierarchy(cg, cg->mode == CGROUP_MODE_V2 ? NULL : "freezer");
        if (h == NULL)
                return false;
        _cleanup_free_ char *path = path_join(h->path, h->v2 ? "cgroup.freeze" : "freezer.state");
        _cleanup_free_ char *state = NULL;
        if (path == NULL || read_file_at(AT_FDCWD, path, &state, NULL, NULL) < 0)
                return false;
        return h->v2 ? state[0] == '1' : strncmp(state, "FROZEN", 6) == 0;
}

int cgroup_freeze(const struct cgroup *cg, bool frozen, nook_err *err)
{
        const struct cgroup_hierarchy *h = find_hierarchy(cg, cg->mode == CGROUP_MODE_V2 ? NULL : "freezer");
        if (h == NULL)
                return nook_error(err, ENOTSUP, "%s: no freezer cgroup is available",
                                  frozen ? "pause" : "resume");
        _cleanup_free_ char *path = path_join(h->path, h->v2 ? "cgroup.freeze" : "freezer.state");
        _cleanup_free_ char *events_path = path_join(h->path, "cgroup.events");
        if (path == NULL || events_path == NULL)
                return nook_error(err, ENOMEM, "%s", frozen ? "pause" : "resume");
        if (h->v2) {
                int ret = write_file_at(AT_FDCWD, path, frozen ? "1" : "0", 1, err);
                if (ret < 0)
                        return ret;
                /* cgroup.events says when every task has stopped; it signals changes with POLLPRI. */
                const char *want = frozen ? "frozen 1" : "frozen 0";
                for (int i = 0; i < 1000; i++) {
                        _cleanup_close_ int fd = open(events_path, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return nook_error_errno(err, "open `%s`", events_path);
                        _cleanup_free_ char *events = NULL;
                        if (read_all_fd(fd, &events, NULL, err) < 0)
                                return nook_error_ret(*err);
                        if (strstr(events, want) != NULL)
                                return 0;
                        struct pollfd pfd = { .fd = fd, .events = POLLPRI };
                        poll(&pfd, 1, 10);
                }
                return nook_error(err, ETIMEDOUT, "wait for `%s` to say \"%s\"", events_path, want);
        }
        const char *want = frozen ? "FROZEN" : "THAWED";
        /* The v1 freezer has no notification; it moves through FREEZING and is re-asked. */
        for (int i = 0; i < 2000; i++) {
                int ret = write_file_at(AT_FDCWD, path, want, strlen(want), err);
                if (ret < 0)
                        return ret;
                _cleanup_free_ char *state = NULL;
                ret = read_file_at(AT_FDCWD, path, &state, NULL, err);
                if (ret < 0)
                        return ret;
                if (strncmp(state, want, strlen(want)) == 0)
                        return 0;
                sleep_ms(1);
        }
        return nook_error(err, ETIMEDOUT, "wait for `%s` to say %s", path, want);
}

/* rmdir, waiting a little for tasks that just died to leave. */
static int remove_cgroup_dir(const char *path, bool wait_busy)
{
        int r = -1;
        for (int attempt = 0; attempt < 200; attempt++) {
                r = rmdir(path);
                if (r == 0 || errno != EBUSY || !wait_busy)
                        break;
                sleep_ms(attempt < 10 ? 1 : 10);
        }
        return r < 0 && errno != ENOENT ? -errno : 0;
}

/* Removes the hierarchy's cgroup and the parents nook made for it, deepest first;
 * h->created counts what is left. */
static int remove_created(struct cgroup_hierarchy *h, bool wait_busy, nook_err *err)
{
        _cleanup_free_ char *path = strdup(h->path);
        if (path == NULL)
                return nook_error(err, ENOMEM, "cgroup");
        while (h->created > 0) {
                int r = remove_cgroup_dir(path, wait_busy);
                if (r < 0)
                        return nook_error(err, -r, "remove cgroup `%s`", path);
                h->created--;
                char *slash = strrchr(path, '/');
                if (slash == NULL)
                        break;
                *slash = '\0';
        }
        return 0;
}

static int remove_below(const char *path, void *arg, nook_err *err)
{
        (void)arg;
        int ret = remove_cgroup_dir(path, true);
        return ret < 0 ? nook_error(err, -ret, "remove cgroup `%s`", path) : 0;
}

int cgroup_remove_if_empty(struct cgroup *cg)
{
        int result = 0;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                _cleanup_error_ nook_err ignored = NULL;
                int r = remove_created(&cg->hierarchies[i], false, &ignored);
                if (r < 0)
                        result = r;
        }
        return result;
}

int cgroup_destroy(struct cgroup *cg, nook_err *err)
{
        int result = 0;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                struct cgroup_hierarchy *h = &cg->hierarchies[i];
                _cleanup_error_ nook_err one = NULL;
                /* First the cgroups the container made below its own. */
                int r = h->created > 0 ? walk_below(h->path, remove_below, NULL, &one) : 0;
                if (r == 0)
                        r = remove_created(h, true, &one);
                if (r < 0 && result == 0) {
                        result = r;
                        *err = steal_pointer(&one);
                }
        }
        return result;
}

/* ---- the state file ---- */

struct json_object *cgroup_to_json(const struct cgroup *cg)
{
        json_object *list = json_object_new_array();
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "controllers", json_object_new_string(h->controllers));
                json_object_object_add(o, "mount", json_object_new_string(h->mount));
                json_object_object_add(o, "path", json_object_new_string(h->path));
                json_object_object_add(o, "created", json_object_new_int(h->created));
                json_object_object_add(o, "v2", json_object_new_boolean(h->v2));
                json_object_array_add(list, o);
        }
        return list;
}

int cgroup_from_json(struct json_object *json, struct cgroup **out, nook_err *err)
{
        if (!json_object_is_type(json, json_type_array))
                return nook_error(err, 0, "state: cgroup: expected an array");
        enum cgroup_mode mode;
        int ret = cgroup_detect_mode(&mode, err);
        if (ret < 0)
                return ret;
        struct cgroup *cg = calloc(1, sizeof(*cg));
        size_t n = json_object_array_length(json);
        if (cg == NULL || (n > 0 && (cg->hierarchies = calloc(n, sizeof(*cg->hierarchies))) == NULL)) {
                free(cg);
                return nook_error(err, ENOMEM, "state: cgroup");
        }
        cg->mode = mode;
        cg->v2_fd = -1;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(json, i);
                struct cgroup_hierarchy *h = &cg->hierarchies[cg->n_hierarchies++];
                h->controllers = strdup(json_object_get_string(json_object_object_get(o, "controllers")));
                h->mount = strdup(json_object_get_string(json_object_object_get(o, "mount")));
                h->path = strdup(json_object_get_string(json_object_object_get(o, "path")));
                h->created = json_object_get_int(json_object_object_get(o, "created"));
                h->v2 = json_object_get_boolean(json_object_object_get(o, "v2"));
                if (h->controllers == NULL || h->mount == NULL || h->path == NULL) {
                        cgroup_free(cg);
                        return nook_error(err, EINVAL, "state: cgroup: incomplete entry");
                }
        }
        /* A delegated cgroup2 directory alone (rootless, hybrid host): as on a cgroup2 host. */
        if (cg->n_hierarchies == 1 && cg->hierarchies[0].v2)
                cg->mode = CGROUP_MODE_V2;
        *out = cg;
        return 0;
}

