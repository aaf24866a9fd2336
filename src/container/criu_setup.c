#define _GNU_SOURCE
#include "container/criu_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        _cleanup_free_ char *joined = NULL;
        if (asprintf(&joined, "%s/%s", cwd, path) < 0)
                return NULL;
        return path_clean(joined);
}

int criu_setup_check_options(const struct criu_common_options *o, struct criu_setup *s, nook_err *err)
{
        *s = (struct criu_setup){ .image_fd = -1, .work_fd = -1 };
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

void criu_setup_close(struct criu_setup *s)
{
        if (s->image_fd >= 0)
                close(s->image_fd);
        if (s->work_fd >= 0)
                close(s->work_fd);
        free(s->binary);
        free(s->image_path);
        free(s->work_path);
        *s = (struct criu_setup){ .image_fd = -1, .work_fd = -1 };
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

int criu_setup_save_record(const struct criu_setup *s, const struct container_state *state, const struct spec *spec,
                           nook_err *err)
{
        /* What the init's stdio are: restore hands criu its own pipes for the pipes
         * named here (a terminal's or a file's are reopened by criu itself). */
        json_object *fds = json_object_new_array();
        for (int fd = 0; fd < 3; fd++) {
                char path[64], target[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/fd/%d", state->pid, fd);
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
                json_object_array_add(fds, json_object_new_string(target));
        }
        int ret = write_json(s->image_fd, CRIU_DESCRIPTORS_FILE, fds, err);
        if (ret < 0)
                return nook_error_wrap(err, "--image-path `%s`", s->image_path);
        json_object *record = json_object_new_object();
        json_object_object_add(record, "state", state_to_json(state, state_status(state)));
        json_object_object_add(record, "config", json_object_get(spec->json));
        ret = write_json(s->image_fd, CRIU_RECORD_FILE, record, err);
        return ret < 0 ? nook_error_wrap(err, "--image-path `%s`", s->image_path) : 0;
}

int criu_setup_load_descriptors(const struct criu_setup *s, char *descriptors[3], nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        int ret = read_file_at(s->image_fd, CRIU_DESCRIPTORS_FILE, &text, NULL, err);
        if (ret < 0)
                return nook_error_wrap(err, "--image-path `%s`: not an image of `nook checkpoint` or `runc "
                                            "checkpoint`", s->image_path);
        json_object *fds = json_tokener_parse(text);
        if (fds == NULL || !json_object_is_type(fds, json_type_array) || json_object_array_length(fds) < 3) {
                json_object_put(fds);
                return nook_error(err, EINVAL, "`%s/" CRIU_DESCRIPTORS_FILE "`: expected an array of three strings",
                                  s->image_path);
        }
        for (size_t i = 0; i < 3; i++) {
                const char *d = json_object_get_string(json_object_array_get_idx(fds, i));
                descriptors[i] = strdup(d != NULL ? d : "");
        }
        json_object_put(fds);
        return descriptors[0] != NULL && descriptors[1] != NULL && descriptors[2] != NULL
                       ? 0
                       : nook_error(err, ENOMEM, CRIU_DESCRIPTORS_FILE);
}
