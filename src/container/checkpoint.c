/* `checkpoint`: criu saves a running container's processes into an image
 * directory, as runc does it: the container's cgroup freezes it, the mounts
 * that come from the host are declared external (criu_plan.h), the init's
 * stdio and nook's record go with the image; then, unless it is asked to keep
 * running, the container is destroyed as `delete` would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/container.h"
#include "container/criu_plan.h"
#include "container/criu_setup.h"
#include "container/launch.h"
#include "container/state.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* --parent-path names an earlier image relative to this one (criu's parent_img):
 * refused unless it is a relative path to a directory there, as runc does. */
static int check_parent_path(const char *image_path, const char *parent, nook_err *err)
{
        if (parent == NULL)
                return 0;
        if (parent[0] == '\0')
                return nook_error(err, 0, "--parent-path: empty");
        if (parent[0] == '/')
                return nook_error(err, 0, "--parent-path `%s`: must be relative to --image-path", parent);
        /* Joined and cleaned as runc does: the image directory need not exist yet. */
        _cleanup_free_ char *joined = path_join(image_path, parent);
        _cleanup_free_ char *path = joined != NULL ? path_clean(joined) : NULL;
        if (path == NULL)
                return nook_error(err, ENOMEM, "--parent-path");
        struct stat st;
        if (stat(path, &st) < 0)
                return nook_error_errno(err, "--parent-path: `%s`", path);
        if (!S_ISDIR(st.st_mode))
                return nook_error(err, ENOTDIR, "--parent-path: `%s`", path);
        return 0;
}

/* ADDRESS:PORT (the last colon splits: an IPv6 address has its own). */
static int parse_page_server(const char *text, char **address, int *port, nook_err *err)
{
        const char *colon = text != NULL ? strrchr(text, ':') : NULL;
        char *end = NULL;
        long value = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
        if (colon == NULL || colon == text || end == colon + 1 || *end != '\0' || value <= 0 || value > 65535)
                return nook_error(err, 0, "--page-server: \"%s\": expected ADDRESS:PORT", text != NULL ? text : "");
        *address = strndup(text, (size_t)(colon - text));
        *port = (int)value;
        return *address != NULL ? 0 : nook_error(err, ENOMEM, "--page-server");
}

static int check_status_fd(int fd, nook_err *err)
{
        int flags = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
        if (fd >= 0 && flags < 0)
                return nook_error_errno(err, "--status-fd %d", fd);
        if (fd >= 0 && (flags & O_ACCMODE) == O_RDONLY)
                return nook_error(err, EBADF, "--status-fd %d: not open for writing", fd);
        return 0;
}

/* The directory criu freezes the container through: the v1 freezer's, else cgroup2's. */
static const char *freezer_of(const struct cgroup *cg)
{
        const char *v2 = NULL;
        for (size_t i = 0; cg != NULL && i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (h->v2)
                        v2 = h->path;
                else if (strstr(h->controllers, "freezer") != NULL)
                        return h->path;
        }
        return v2;
}

/* Dump: which masked paths are files bound to /dev/null (runc: existing, not directories). */
static bool *masked_files_of(const struct spec *spec, pid_t pid)
{
        const struct spec_linux *linux_ = spec->linux;
        size_t n = linux_ != NULL ? linux_->masked_paths.len : 0;
        bool *files = calloc(n + 1, sizeof(bool));
        char root[64];
        snprintf(root, sizeof(root), "/proc/%d/root", pid);
        _cleanup_close_ int rootfd = files != NULL && n > 0 ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        for (size_t i = 0; rootfd >= 0 && i < n; i++) {
                _cleanup_close_ int fd = open_in_root(rootfd, linux_->masked_paths.items[i], O_PATH, CREATE_NONE, NULL);
                struct stat st;
                files[i] = fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
        }
        return files;
}

static int namespace_inodes_of(const struct spec *spec, unsigned long inodes[NS_TYPE_COUNT], nook_err *err)
{
        const struct spec_linux *linux_ = spec->linux;
        for (size_t i = 0; linux_ != NULL && i < linux_->namespaces.len; i++) {
                const struct spec_namespace *ns = &linux_->namespaces.items[i];
                struct stat st;
                if (ns->path == NULL)
                        continue;
                if (stat(ns->path, &st) < 0)
                        return nook_error_errno(err, "linux.namespaces[%zu].path: `%s`", i, ns->path);
                inodes[ns->type] = st.st_ino;
        }
        return 0;
}

/* criu's configuration file: the annotation org.criu.config names one ("": none),
 * else /etc/criu/nook.conf (runc: runc.conf); criu ignores a missing one. */
static const char *config_file_of(const struct spec *spec)
{
        for (size_t i = 0; i < spec->annotations.len; i++)
                if (strcmp(spec->annotations.items[i].key, "org.criu.config") == 0)
                        return spec->annotations.items[i].value[0] != '\0' ? spec->annotations.items[i].value : NULL;
        return "/etc/criu/nook.conf";
}

struct dump {
        const struct checkpoint_options *o;
        struct criu_setup setup;
        struct container_state *state;
        struct spec *spec;
        char **mountpoints;
        bool *masked_files;
        unsigned long inodes[NS_TYPE_COUNT];
        char *stdio_keys[3];
        const char **external; /* the plan's, and the stdio files outside the container */
        struct criu_plan plan;
        char *page_server_address;
        int page_server_port;
};

/* criu's notifications during a dump: the lazy pages' server is ready. */
static int on_notify(void *data, const char *script, pid_t pid, int fd, nook_err *err)
{
        (void)pid, (void)err;
        struct dump *d = data;
        if (fd >= 0)
                close(fd);
        if (strcmp(script, "status-ready") == 0 && d->o->status_fd >= 0) {
                (void)!write(d->o->status_fd, "", 1);
                close(d->o->status_fd);
        }
        return 0;
}

static int dump_run(struct dump *d, nook_err *err)
{
        const struct checkpoint_options *o = d->o;
        const char *log_file = "dump.log"; /* (runc names a pre-dump's log so too) */
        struct criu_options opts = {
                .log_file = log_file,
                .pid = d->state->pid,
                .root = d->state->rootfs,
                .parent_image = o->parent_path,
                .freeze_cgroup = freezer_of(d->state->cgroup),
                .config_file = config_file_of(d->spec),
                .leave_running = o->leave_running,
                .sw = o->criu.sw,
                .tcp_skip_in_flight = o->tcp_skip_in_flight,
                .link_remap = o->link_remap,
                .cgroup_mode = d->setup.cgroup_mode,
                .empty_ns = d->setup.empty_ns,
                .page_server_address = d->page_server_address,
                .page_server_port = d->page_server_port,
                .status_fd = -1,
        };
        /* A pre-dump saves memory only: no mounts, no record. */
        if (!o->pre_dump) {
                struct criu_plan_input in = {
                        .spec = d->spec,
                        .mountpoints = d->mountpoints,
                        .masked_files = d->masked_files,
                        .cgroup = d->state->cgroup,
                        .namespace_inodes = d->inodes,
                };
                int ret = criu_plan_dump(&in, &d->plan, err);
                if (ret == 0)
                        ret = criu_setup_stdio_keys(d->state->pid, d->stdio_keys, err);
                if (ret == 0)
                        ret = criu_setup_save_record(&d->setup, d->state, d->spec, d->stdio_keys, err);
                d->external = calloc(d->plan.n_external + 4, sizeof(char *));
                if (ret == 0 && d->external == NULL)
                        ret = nook_error(err, ENOMEM, "criu: externals");
                if (ret < 0)
                        return ret;
                for (size_t i = 0; i < d->plan.n_external; i++)
                        d->external[opts.n_external++] = d->plan.external[i];
                for (int fd = 0; fd < 3; fd++)
                        if (d->stdio_keys[fd] != NULL && strncmp(d->stdio_keys[fd], "file[", 5) == 0 &&
                            !criu_setup_stdio_repeated(d->stdio_keys, fd))
                                d->external[opts.n_external++] = d->stdio_keys[fd];
                opts.mounts = d->plan.mounts;
                opts.n_mounts = d->plan.n_mounts;
                opts.external = d->external;
        }
        /* criu in a mount namespace of its own, with the cgroup yard. */
        _cleanup_free_ char *yard = path_join(d->state->dir, CRIU_YARD);
        if (yard == NULL)
                return nook_error(err, ENOMEM, "checkpoint");
        int ret = criu_setup_namespace(&d->setup, yard, NULL, NULL, err);
        if (ret < 0)
                return ret;
        /* (The directories as criu's namespace sees them.) */
        opts.images_dir_fd = d->setup.ns_image_fd;
        opts.work_dir_fd = d->setup.ns_work_fd;
        opts.cgroup_yard = d->setup.yard;
        struct criu_swrk swrk;
        const struct criu_swrk_setup quiet = { .mntns_fd = d->setup.ns_fd, .quiet = true };
        ret = criu_swrk_start(d->setup.binary, &quiet, &swrk, err);
        if (ret < 0)
                return ret;
        if (o->pre_dump || o->criu.sw.lazy_pages)
                ret = criu_check_features(&swrk, o->pre_dump, o->criu.sw.lazy_pages, err);
        if (ret == 0)
                ret = criu_request(&swrk, o->pre_dump ? CRIU_PRE_DUMP : CRIU_DUMP, &opts, on_notify, d, NULL, err);
        criu_swrk_close(&swrk);
        if (ret < 0)
                nook_error_wrap(err, "checkpoint \"%s\" (criu's log: `%s/%s`)", o->id, d->setup.work_path, log_file);
        return ret;
}

static int dump_prepare(struct dump *d, nook_err *err)
{
        const struct checkpoint_options *o = d->o;
        /* The options first, then the container, then the host. */
        int ret = criu_setup_check_options(&o->criu, &d->setup, err);
        if (ret == 0)
                ret = check_parent_path(d->setup.image_path, o->parent_path, err);
        if (ret == 0 && o->page_server != NULL)
                ret = parse_page_server(o->page_server, &d->page_server_address, &d->page_server_port, err);
        if (ret == 0)
                ret = check_status_fd(o->status_fd, err);
        if (ret == 0)
                ret = state_load(o->root, o->id, &d->state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(d->state);
        if (status != STATUS_RUNNING && status != STATUS_PAUSED)
                return nook_error(err, 0, "cannot checkpoint container \"%s\": it is %s, not running", o->id,
                                  state_status_name(status));
        /* criu needs root over the whole tree (runc only warns, and does not test it). */
        if (d->state->rootless)
                return nook_error(err, EPERM, "cannot checkpoint container \"%s\": it is rootless, and criu works "
                                              "for root only", o->id);
        ret = spec_load(d->state->dir, &d->spec, err);
        if (ret == 0)
                ret = criu_setup_mountpoints(d->spec, d->state->rootfs, &d->mountpoints, err);
        if (ret == 0)
                ret = namespace_inodes_of(d->spec, d->inodes, err);
        if (ret < 0)
                return ret;
        d->masked_files = masked_files_of(d->spec, d->state->pid);
        if (d->masked_files == NULL)
                return nook_error(err, ENOMEM, "linux.maskedPaths");
        return criu_setup_open(&o->criu, true, &d->setup, err);
}

int container_checkpoint(const struct checkpoint_options *o, nook_err *err)
{
        struct dump d = { .o = o };
        int ret = dump_prepare(&d, err);
        if (ret == 0)
                ret = dump_run(&d, err);
        log_debug("checkpoint %s: %s", o->id, ret == 0 ? "dumped" : "failed");
        criu_setup_close(&d.setup);
        /* criu killed the processes; what remains goes as with `delete`. */
        if (ret == 0 && !o->leave_running && !o->pre_dump)
                ret = container_destroy(d.state, d.spec, err);
        criu_plan_free(&d.plan);
        if (d.spec != NULL)
                criu_setup_free_mountpoints(d.spec, d.mountpoints);
        free(d.masked_files);
        free(d.external);
        for (int fd = 0; fd < 3; fd++)
                free(d.stdio_keys[fd]);
        free(d.page_server_address);
        criu_setup_close(&d.setup);
        spec_free(d.spec);
        state_free(d.state);
        return ret;
}
