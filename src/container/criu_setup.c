#define _GNU_SOURCE
#include "container/criu_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/criu_plan.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* path made absolute against the current directory (it may not exist yet). */
static char *absolute(const char *path)
{
        if (path[0] == '/')
                return path_clean(path);
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof(cwd)) == NULL)
                return NULL;
        _cleanup_free_ char *joined = path_join(cwd, path);
        if (joined == NULL)
                return NULL;
        return path_clean(joined);
}

int criu_setup_check_options(const struct criu_common_options *o, struct criu_setup *s, nook_err *err)
{
        *s = (struct criu_setup){ .image_fd = -1, .work_fd = -1, .ns_fd = -1, .ns_image_fd = -1, .ns_work_fd = -1 };
        if (!criu_cgroup_mode_parse(o->manage_cgroups_mode, &s->cgroup_mode))
                return nook_error(err, 0, "--manage-cgroups-mode: \"%s\": expected soft, full, strict or ignore",
                                  o->manage_cgroups_mode);
        int ret = criu_plan_empty_ns(o->empty_ns, o->n_empty_ns, &s->empty_ns, err);
        if (ret < 0)
                return ret;
        if (o->image_path != NULL && o->image_path[0] == '\0')
                return nook_error(err, 0, "--image-path: empty");
        if (o->work_path != NULL && o->work_path[0] == '\0')
                return nook_error(err, 0, "--work-path: empty");
        /* runc's default: ./checkpoint */
        s->image_path = absolute(o->image_path != NULL ? o->image_path : "checkpoint");
        s->work_path = o->work_path != NULL ? absolute(o->work_path) : strdup(s->image_path != NULL ? s->image_path : "");
        if (s->image_path == NULL || s->work_path == NULL)
                return nook_error(err, ENOMEM, "--image-path");
        return 0;
}

static int open_dir(const char *path, bool create, const char *option, nook_err *err)
{
        if (create) {
                int ret = mkdir_p(path, 0700, err);
                if (ret < 0)
                        return nook_error_wrap(err, "%s", option);
        }
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "%s: `%s`", option, path);
        return fd;
}

int criu_setup_open(const struct criu_common_options *o, bool create, struct criu_setup *s, nook_err *err)
{
        (void)o;
        int ret = criu_find(&s->binary, err);
        if (ret < 0)
                return ret;
        s->image_fd = open_dir(s->image_path, create, "--image-path", err);
        if (s->image_fd < 0)
                return s->image_fd;
        /* runc makes the work directory on restore too: logs go there. */
        s->work_fd = open_dir(s->work_path, true, "--work-path", err);
        if (s->work_fd < 0)
                return s->work_fd;
        return criu_check(s->binary, s->work_fd, s->work_path, err);
}

/* criu's name of a hierarchy's directory in a yard: "unified" for cgroup2, the
 * name of a named one ("systemd"), else its controllers ("cpu,cpuacct"). */
static const char *yard_name(const struct cgroup_hierarchy *h)
{
        if (h->v2)
                return "unified";
        return strncmp(h->controllers, "name=", 5) == 0 ? h->controllers + 5 : h->controllers;
}

static int make_yard(struct criu_setup *s, const struct cgroup *cg, nook_err *err)
{
        if (mkdir(s->yard, 0700) < 0)
                return nook_error_errno(err, "mkdir `%s`", s->yard);
        s->yard_dirs = calloc(cg->n_hierarchies + 1, sizeof(char *));
        if (s->yard_dirs == NULL)
                return nook_error(err, ENOMEM, "criu: cgroup yard");
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                char *dir = path_join(s->yard, yard_name(h));
                if (dir == NULL)
                        return nook_error(err, ENOMEM, "criu: cgroup yard");
                s->yard_dirs[s->n_yard_dirs++] = dir;
                if (mkdir(dir, 0700) < 0)
                        return nook_error_errno(err, "mkdir `%s`", dir);
                if (mount(h->mount, dir, NULL, MS_BIND, NULL) < 0)
                        return nook_error_errno(err, "criu: bind the cgroup hierarchy `%s` on `%s`", h->mount, dir);
        }
        return 0;
}

int criu_setup_namespace(struct criu_setup *s, const char *yard, int (*inside)(void *data, nook_err *err),
                         void *data, nook_err *err)
{
        /* The host's hierarchies (their mounts only: a plan nothing is made of). */
        struct cgroup *cg = NULL;
        int ret = cgroup_plan(NULL, "criu", &cg, err);
        if (ret < 0)
                return ret;
        if (cg->n_hierarchies > 0 && (s->yard = strdup(yard)) == NULL) {
                cgroup_free(cg);
                return nook_error(err, ENOMEM, "criu");
        }
        _cleanup_close_ int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (own < 0 || cwd < 0 || unshare(CLONE_NEWNS) < 0) {
                cgroup_free(cg);
                return nook_error_errno(err, "unshare a mount namespace for criu");
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                ret = nook_error_errno(err, "make `/` a slave in criu's mount namespace");
        if (ret == 0 && s->yard != NULL)
                ret = make_yard(s, cg, err);
        cgroup_free(cg);
        if (ret == 0 && inside != NULL)
                ret = inside(data, err);
        if (ret == 0 && (s->ns_image_fd = open(s->image_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                ret = nook_error_errno(err, "--image-path `%s`", s->image_path);
        if (ret == 0 && (s->ns_work_fd = open(s->work_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                ret = nook_error_errno(err, "--work-path `%s`", s->work_path);
        if (ret == 0 && (s->ns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
                ret = nook_error_errno(err, "open criu's mount namespace");
        /* Back home whatever happened (setns moves the cwd to the namespace's root). */
        if (setns(own, CLONE_NEWNS) < 0 || fchdir(cwd) < 0) {
                nook_error_free(err);
                return nook_error_errno(err, "return to nook's mount namespace");
        }
        return ret;
}

void criu_setup_close(struct criu_setup *s)
{
        int *fds[] = { &s->image_fd, &s->work_fd, &s->ns_fd, &s->ns_image_fd, &s->ns_work_fd };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        for (size_t i = 0; i < s->n_yard_dirs; i++) {
                rmdir(s->yard_dirs[i]);
                free(s->yard_dirs[i]);
        }
        free(s->yard_dirs);
        if (s->yard != NULL)
                rmdir(s->yard);
        free(s->yard);
        free(s->binary);
        free(s->image_path);
        free(s->work_path);
        *s = (struct criu_setup){ .image_fd = -1, .work_fd = -1, .ns_fd = -1, .ns_image_fd = -1, .ns_work_fd = -1 };
}

int criu_setup_mountpoints(const struct spec *spec, const char *rootfs, char ***out, nook_err *err)
{
        *out = calloc(spec->mounts.len + 1, sizeof(char *));
        if (*out == NULL)
                return nook_error(err, ENOMEM, "mounts");
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return nook_error_errno(err, "open the rootfs `%s`", rootfs);
        size_t prefix = strlen(rootfs);
        for (size_t i = 0; i < spec->mounts.len; i++) {
                _cleanup_close_ int fd = open_in_root(rootfd, spec->mounts.items[i].destination, O_PATH, CREATE_NONE, NULL);
                if (fd < 0)
                        continue;
                char link[64], target[PATH_MAX];
                ssize_t n = readlink(fd_path(fd, link, sizeof(link)), target, sizeof(target) - 1);
                if (n <= 0 || (size_t)n >= sizeof(target) - 1)
                        continue;
                target[n] = '\0';
                if (strncmp(target, rootfs, prefix) != 0 || (target[prefix] != '/' && target[prefix] != '\0'))
                        continue;
                (*out)[i] = strdup(target[prefix] == '\0' ? "/" : target + prefix);
        }
        return 0;
}

void criu_setup_free_mountpoints(const struct spec *spec, char **mountpoints)
{
        for (size_t i = 0; mountpoints != NULL && i < spec->mounts.len; i++)
                free(mountpoints[i]);
        free(mountpoints);
}

static int write_json(int dirfd, const char *name, json_object *o, nook_err *err)
{
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        int ret = write_file_atomic(dirfd, name, text, strlen(text), 0600, err);
        json_object_put(o);
        return ret;
}

/* Whether mount id is one of the mounts pid sees (its mount namespace). */
static bool mount_seen_by(pid_t pid, long id)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0;
        bool seen = false;
        while (!seen && f != NULL && getline(&line, &cap, f) >= 0)
                seen = strtol(line, NULL, 10) == id;
        free(line);
        return seen;
}

static long fd_mount_id(pid_t pid, int fd)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0;
        long id = -1;
        while (id < 0 && f != NULL && getline(&line, &cap, f) >= 0)
                if (strncmp(line, "mnt_id:", 7) == 0)
                        id = strtol(line + 7, NULL, 10);
        free(line);
        return id;
}

int criu_setup_stdio_keys(pid_t pid, char *keys[3], nook_err *err)
{
        for (int fd = 0; fd < 3; fd++) {
                keys[fd] = NULL;
                char path[64], target[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                if (n <= 0)
                        continue;
                target[n] = '\0';
                if (strncmp(target, "pipe:", 5) == 0) {
                        keys[fd] = strdup(target);
                } else if (target[0] == '/') {
                        /* A file: criu's own business when it is on one of the container's mounts. */
                        long mount = fd_mount_id(pid, fd);
                        struct stat st;
                        if (mount < 0 || mount_seen_by(pid, mount) || stat(path, &st) < 0)
                                continue;
                        if (asprintf(&keys[fd], "file[%lx:%llx]", mount, (unsigned long long)st.st_ino) < 0)
                                keys[fd] = NULL;
                } else {
                        continue;
                }
                if (keys[fd] == NULL)
                        return nook_error(err, ENOMEM, "stdio");
        }
        return 0;
}

bool criu_setup_stdio_repeated(char *const keys[3], int fd)
{
        for (int i = 0; i < fd; i++)
                if (keys[i] != NULL && keys[fd] != NULL && strcmp(keys[i], keys[fd]) == 0)
                        return true;
        return false;
}

int criu_setup_save_record(const struct criu_setup *s, const struct container_state *state, const struct spec *spec,
                           char *const keys[3], nook_err *err)
{
        /* runc's record: what the init's stdio were (restore hands criu its own pipes
         * for the pipes named there). */
        json_object *fds = json_object_new_array();
        json_object *stdio = json_object_new_array();
        for (int fd = 0; fd < 3; fd++) {
                char path[64], target[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/fd/%d", state->pid, fd);
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
                json_object_array_add(fds, json_object_new_string(target));
                json_object_array_add(stdio, keys[fd] != NULL ? json_object_new_string(keys[fd]) : NULL);
        }
        int ret = write_json(s->image_fd, CRIU_DESCRIPTORS_FILE, fds, err);
        json_object *record = json_object_new_object();
        json_object_object_add(record, "state", state_to_json(state, state_status(state)));
        json_object_object_add(record, "config", json_object_get(spec->json));
        json_object_object_add(record, "stdio", stdio);
        if (ret == 0)
                ret = write_json(s->image_fd, CRIU_RECORD_FILE, record, err);
        else
                json_object_put(record);
        return ret < 0 ? nook_error_wrap(err, "--image-path `%s`", s->image_path) : 0;
}

static json_object *load_json(const struct criu_setup *s, const char *name, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        if (read_file_at(s->image_fd, name, &text, NULL, err) < 0)
                return NULL;
        json_object *o = json_tokener_parse(text);
        if (o == NULL)
                nook_error(err, EINVAL, "`%s/%s`: not JSON", s->image_path, name);
        return o;
}

int criu_setup_load_stdio_keys(const struct criu_setup *s, char *keys[3], nook_err *err)
{
        keys[0] = keys[1] = keys[2] = NULL;
        nook_err missing = NULL;
        json_object *record = load_json(s, CRIU_RECORD_FILE, &missing);
        json_object *stdio = record != NULL ? json_object_object_get(record, "stdio") : NULL;
        if (stdio == NULL) {
                /* An image of runc's: the pipes of descriptors.json. */
                nook_error_free(&missing);
                json_object_put(record);
                record = load_json(s, CRIU_DESCRIPTORS_FILE, err);
                if (record == NULL)
                        return nook_error_wrap(err, "--image-path `%s`: not an image of `nook checkpoint` or "
                                                    "`runc checkpoint`", s->image_path);
                stdio = record;
        }
        int ret = 0;
        if (!json_object_is_type(stdio, json_type_array) || json_object_array_length(stdio) < 3)
                ret = nook_error(err, EINVAL, "`%s`: the stdio record is not an array of three", s->image_path);
        for (size_t i = 0; ret == 0 && i < 3; i++) {
                const char *key = json_object_get_string(json_object_array_get_idx(stdio, i));
                if (key == NULL || (stdio == record && strncmp(key, "pipe:", 5) != 0))
                        continue;
                if ((keys[i] = strdup(key)) == NULL)
                        ret = nook_error(err, ENOMEM, "stdio");
        }
        json_object_put(record);
        return ret;
}
