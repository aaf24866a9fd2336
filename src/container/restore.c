/* `restore`: a container made from a bundle and a checkpoint image. The launch
 * is create's — config, plan (LAYOUT_RESTORE), state dir, cgroup, and its undo
 * (launch_abort) — but criu rebuilds the namespaces, mounts and processes where
 * the stages would clone them; nook answers criu's notifications (launch.h
 * draws them), saves the state, and, unless detached, waits as `run` does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/container.h"
#include "container/criu_plan.h"
#include "container/criu_setup.h"
#include "container/foreground.h"
#include "container/launch.h"
#include "container/systemd_scope.h"
#include "linux/net.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/socket.h"

#define RESTORE_LOG "restore.log"
#define CRIU_ROOT "criu-root"

struct restore {
        const struct restore_options *o;
        struct launch l;
        bool launched; /* launch_prepare ran: launch_abort and launch_free apply */
        struct criu_setup setup;
        char *stdio_keys[3]; /* what criu's stdio (nook's) stand for */
        char **mountpoints;
        struct criu_plan plan;
        char *criu_root; /* in criu's mount namespace, the rootfs is bound there */
        int namespace_fds[NS_TYPE_COUNT]; /* network, pid given by path: handed to criu */
        struct criu_swrk swrk;
};

static int check_image(const struct criu_setup *s, nook_err *err)
{
        struct stat st;
        if (fstatat(s->image_fd, "inventory.img", &st, 0) < 0)
                return nook_error_errno(err, "--image-path `%s` holds no checkpoint (inventory.img)", s->image_path);
        return 0;
}

/* What the config asks that criu cannot restore, refused before anything runs. */
static int check_config(const struct restore *r, nook_err *err)
{
        const struct spec *spec = r->l.spec;
        if (spec->process->terminal && r->o->detach && r->o->create.console_socket == NULL)
                return nook_error(err, 0, "process.terminal is true: --detach needs --console-socket");
        if (spec->linux != NULL && spec->linux->net_devices.len > 0)
                return nook_error(err, ENOTSUP, "linux.netDevices: criu does not restore network devices");
        return 0;
}

/* The config's mountpoints, made where the rootfs lacks them (a fresh one), as
 * create would make them: criu mounts on them but makes none. */
static int make_mountpoints(const struct restore *r, int rootfd, nook_err *err)
{
        const struct spec *spec = r->l.spec;
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                /* Under another mount of the config (/dev/pts, /sys/fs/cgroup …): criu
                 * restores that one's content, or it is the host's. */
                bool nested = false;
                for (size_t j = 0; j < spec->mounts.len && !nested; j++) {
                        const char *outer = spec->mounts.items[j].destination;
                        size_t len = strlen(outer);
                        nested = j != i && len > 1 && strncmp(m->destination, outer, len) == 0 &&
                                 m->destination[len] == '/';
                }
                if (nested || m->parsed.kind == MOUNT_KIND_CGROUP)
                        continue;
                enum create_kind kind = CREATE_DIR;
                struct stat st;
                if (m->parsed.kind == MOUNT_KIND_BIND && m->source != NULL && stat(m->source, &st) == 0 &&
                    !S_ISDIR(st.st_mode))
                        kind = CREATE_FILE;
                int fd = open_in_root(rootfd, m->destination, O_PATH, kind, err);
                if (fd < 0)
                        return nook_error_wrap(err, "mounts[%zu]: restore: mountpoint", i);
                close(fd);
        }
        return 0;
}

/* In criu's mount namespace (nothing of it reaches the host's): the rootfs bound
 * on <state dir>/criu-root (criu wants a mount point whose parent is not
 * overmounted) and the mountpoints made through it. */
static int bind_root(void *data, nook_err *err)
{
        struct restore *r = data;
        if (mount(r->l.rootfs, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return nook_error_errno(err, "restore: bind the rootfs `%s` on `%s`", r->l.rootfs, r->criu_root);
        _cleanup_close_ int rootfd = open(r->criu_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return rootfd < 0 ? nook_error_errno(err, "open `%s`", r->criu_root) : make_mountpoints(r, rootfd, err);
}

static int prepare_root(struct restore *r, nook_err *err)
{
        _cleanup_free_ char *yard = path_join(r->l.state.dir, CRIU_YARD);
        r->criu_root = path_join(r->l.state.dir, CRIU_ROOT);
        if (r->criu_root == NULL || yard == NULL)
                return nook_error(err, ENOMEM, "restore");
        if (mkdir(r->criu_root, 0700) < 0)
                return nook_error_errno(err, "mkdir `%s`", r->criu_root);
        return criu_setup_namespace(&r->setup, yard, bind_root, r, err);
}

static int open_namespaces(struct restore *r, int extra[NS_TYPE_COUNT], size_t *n_extra,
                           struct criu_inherit inherit[3 + NS_TYPE_COUNT], size_t *n_inherit,
                           struct criu_pair join[NS_TYPE_COUNT], size_t *n_join, nook_err *err)
{
        for (size_t i = 0; i < r->plan.n_namespaces; i++) {
                const struct criu_plan_namespace *ns = &r->plan.namespaces[i];
                if (ns->inherit_key == NULL) {
                        join[(*n_join)++] = (struct criu_pair){ .key = ns->criu_name, .value = ns->path };
                        continue;
                }
                r->namespace_fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (r->namespace_fds[ns->type] < 0)
                        return nook_error_errno(err, "linux.namespaces: %s: open `%s`", spec_namespace_name(ns->type),
                                                ns->path);
                /* criu's fd: 4, 5 … in the order passed (criu_swrk_start). */
                inherit[(*n_inherit)++] = (struct criu_inherit){ .key = ns->inherit_key, .fd = 4 + (int)*n_extra };
                extra[(*n_extra)++] = r->namespace_fds[ns->type];
        }
        return 0;
}

/* criu's cgroup roots: the container's cgroup in each hierarchy, as its path
 * below the hierarchy's mount (cgroup2's for every controller it has). */
static int cgroup_roots(const struct cgroup *cg, struct criu_pair **out, size_t *n, nook_err *err)
{
        *n = 0;
        *out = calloc(cg != NULL ? cg->n_hierarchies + 1 : 1, sizeof(**out));
        if (*out == NULL)
                return nook_error(err, ENOMEM, "restore: cgroups");
        for (size_t i = 0; cg != NULL && i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                size_t len = strlen(h->mount);
                const char *below = strncmp(h->path, h->mount, len) == 0 ? h->path + len : h->path;
                (*out)[(*n)++] = (struct criu_pair){ .key = h->v2 ? NULL : h->controllers,
                                                     .value = below[0] != '\0' ? below : "/" };
        }
        return 0;
}

/* criu into the container's cgroup before it restores anything, as runc does:
 * what it forks is there from the start, whatever --manage-cgroups-mode says
 * (ignore: criu moves nothing). */
static int enter_cgroup(const struct cgroup *cg, pid_t pid, nook_err *err)
{
        char value[32];
        int len = snprintf(value, sizeof(value), "%d", pid);
        for (size_t i = 0; cg != NULL && i < cg->n_hierarchies; i++) {
                _cleanup_free_ char *procs = path_join(cg->hierarchies[i].path, "cgroup.procs");
                if (procs == NULL)
                        return nook_error(err, ENOMEM, "restore: cgroup");
                int ret = write_file_at(AT_FDCWD, procs, value, (size_t)len, err);
                if (ret < 0)
                        return nook_error_wrap(err, "restore: move criu into the container's cgroup");
        }
        return 0;
}

/* In the new network namespace, made empty (nook does not manage network devices):
 * lo up, as create does. */
static int loopback_up(pid_t pid, nook_err *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
        _cleanup_close_ int netns = open(path, O_RDONLY | O_CLOEXEC);
        if (netns < 0)
                return nook_error_errno(err, "open `%s`", path);
        _cleanup_close_ int sock = net_socket_in(netns, AF_INET, SOCK_DGRAM, 0, err);
        if (sock < 0)
                return sock;
        return net_loopback_up(sock, err);
}

static int on_notify(void *data, const char *script, pid_t pid, int fd, nook_err *err)
{
        struct restore *r = data;
        struct launch *l = &r->l;
        log_debug("restore %s: criu says %s (pid %d)", l->state.id, script, pid);
        if (strcmp(script, "setup-namespaces") == 0) {
                /* The namespaces exist, nothing runs yet: create's HOOKS point. */
                /* The restored init, our child (rst_sibling): launch_abort ends it from now on. */
                l->pid = l->state.pid = pid;
                l->pidfd = sys_pidfd_open(pid, 0);
                if (l->pidfd < 0)
                        return nook_error_errno(err, "pidfd_open the restored init (%d)", pid);
                const struct spec_namespace *net = spec_namespace(l->spec, NS_NETWORK);
                int ret = net != NULL && net->path == NULL ? loopback_up(pid, err) : 0;
                if (ret == 0)
                        ret = launch_run_hooks(l, HOOK_PRESTART, STATUS_CREATED, err);
                if (ret == 0)
                        ret = launch_run_hooks(l, HOOK_CREATE_RUNTIME, STATUS_CREATING, err);
                return ret;
        }
        if (strcmp(script, "orphan-pts-master") == 0) {
                /* The terminal criu made for the restored one: the console socket's, or relayed. */
                if (fd < 0)
                        return nook_error(err, EPROTO, "criu: orphan-pts-master without a terminal");
                if (l->console_fd < 0) {
                        l->console_master = fd;
                        return 0;
                }
                int ret = terminal_send_fd(l->console_fd, fd, "/dev/ptmx", err);
                close(fd);
                return ret;
        }
        if (fd >= 0)
                close(fd);
        /* post-restore names the init again; the others (network-lock, pre-resume …) need nothing. */
        if (strcmp(script, "post-restore") == 0 && pid != l->pid)
                return nook_error(err, EPROTO, "criu: post-restore of pid %d, set up as %d", pid, l->pid);
        return 0;
}

static int restore_run(struct restore *r, const sigset_t *old_mask, nook_err *err)
{
        struct launch *l = &r->l;
        const struct restore_options *o = r->o;
        int ret = criu_setup_load_stdio_keys(&r->setup, r->stdio_keys, err);
        if (ret == 0)
                ret = criu_setup_mountpoints(l->spec, l->rootfs, &r->mountpoints, err);
        struct criu_plan_input in = { .spec = l->spec, .mountpoints = r->mountpoints, .cgroup = l->state.cgroup };
        if (ret == 0)
                ret = criu_plan_restore(&in, &r->plan, err);
        if (ret == 0 && l->spec->process->terminal && o->create.console_socket != NULL) {
                l->console_fd = socket_connect_unix(o->create.console_socket, err);
                if (l->console_fd < 0)
                        ret = nook_error_wrap(err, "--console-socket");
        }
        if (ret == 0)
                ret = prepare_root(r, err);
        /* criu's stdio are nook's: the image's pipes become them. */
        int extra[NS_TYPE_COUNT];
        size_t n_extra = 0, n_inherit = 0, n_join = 0;
        struct criu_inherit inherit[3 + NS_TYPE_COUNT];
        struct criu_pair join[NS_TYPE_COUNT];
        for (int fd = 0; fd < 3; fd++)
                if (r->stdio_keys[fd] != NULL && !criu_setup_stdio_repeated(r->stdio_keys, fd))
                        inherit[n_inherit++] = (struct criu_inherit){ .key = r->stdio_keys[fd], .fd = fd };
        if (ret == 0)
                ret = open_namespaces(r, extra, &n_extra, inherit, &n_inherit, join, &n_join, err);
        if (ret < 0)
                return ret;

        const struct criu_swrk_setup setup = {
                .extra_fds = extra, .n_extra = n_extra, .mntns_fd = r->setup.ns_fd, .sigmask = old_mask,
        };
        ret = criu_swrk_start(r->setup.binary, &setup, &r->swrk, err);
        if (ret < 0)
                return ret;
        /* criu goes into the container's cgroup first (systemd wants a process for the
         * scope: criu's); its restored tree goes there too. */
        if (l->plan.cgroup_by_systemd)
                ret = scope_start(&l->unit, l->spec, &l->state, r->swrk.pid, err);
        else
                ret = enter_cgroup(l->state.cgroup, r->swrk.pid, err);
        _cleanup_free_ struct criu_pair *roots = NULL;
        size_t n_roots = 0;
        if (ret == 0)
                ret = cgroup_roots(l->state.cgroup, &roots, &n_roots, err);
        if (ret == 0 && o->criu.sw.lazy_pages)
                ret = criu_check_features(&r->swrk, false, true, err);
        if (ret < 0)
                return ret;
        struct criu_options opts = {
                .images_dir_fd = r->setup.ns_image_fd,
                .work_dir_fd = r->setup.ns_work_fd,
                .cgroup_yard = r->setup.yard,
                .log_file = RESTORE_LOG,
                .root = r->criu_root,
                .lsm_profile = o->lsm_profile,
                .lsm_mount_context = o->lsm_mount_context,
                .sw = o->criu.sw,
                .cgroup_mode = r->setup.cgroup_mode,
                .empty_ns = r->setup.empty_ns,
                .status_fd = -1,
                .mounts = r->plan.mounts,
                .n_mounts = r->plan.n_mounts,
                .inherit = inherit,
                .n_inherit = n_inherit,
                .join_ns = join,
                .n_join_ns = n_join,
                .cgroup_roots = roots,
                .n_cgroup_roots = n_roots,
        };
        pid_t restored = 0;
        ret = criu_request(&r->swrk, CRIU_RESTORE, &opts, on_notify, r, &restored, err);
        if (ret < 0)
                return nook_error_wrap(err, "restore \"%s\" (criu's log: `%s/" RESTORE_LOG "`)", l->state.id,
                                       r->setup.work_path);
        if (l->pid <= 0 && restored > 0) {
                l->pid = l->state.pid = restored;
                l->pidfd = sys_pidfd_open(restored, 0);
        }
        if (l->pid <= 0 || l->pidfd < 0)
                return nook_error(err, ESRCH, "restore \"%s\": criu named no restored process", l->state.id);
        return 0;
}

/* A criu that died in the middle of a restore may leave processes it made in the
 * container's cgroup without having named them: they go before the cgroup does. */
static void kill_what_criu_left(const struct cgroup *cg)
{
        if (cg == NULL)
                return;
        (void)cgroup_kill(cg, NULL);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (cgroup_pids(cg, &pids, &n, NULL) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
}

static void restore_free(struct restore *r)
{
        criu_swrk_close(&r->swrk);
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                if (r->namespace_fds[t] >= 0)
                        close(r->namespace_fds[t]);
        criu_plan_free(&r->plan);
        if (r->launched)
                criu_setup_free_mountpoints(r->l.spec, r->mountpoints);
        for (int i = 0; i < 3; i++)
                free(r->stdio_keys[i]);
        if (r->criu_root != NULL)
                rmdir(r->criu_root); /* (an empty mountpoint, as the host sees it) */
        free(r->criu_root);
        criu_setup_close(&r->setup);
}

int container_restore(const struct restore_options *o, int *exit_code, nook_err *err)
{
        struct restore r = { .o = o, .swrk = { .pid = -1, .pidfd = -1, .sock = -1 } };
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                r.namespace_fds[t] = -1;
        sigset_t signals, old;
        foreground_signals(&signals);
        /* Blocked before criu forks the init, so that none is lost; criu gets the old mask. */
        sigprocmask(SIG_BLOCK, &signals, &old);

        /* The options, then the host (criu there and working), then the image. */
        int ret = criu_setup_check_options(&o->criu, &r.setup, err);
        if (ret == 0 && o->create.rootless)
                ret = nook_error(err, EPERM, "restore: rootless, and criu works for root only");
        if (ret == 0)
                ret = criu_setup_open(&o->criu, false, &r.setup, err);
        if (ret == 0)
                ret = check_image(&r.setup, err);
        if (ret == 0) {
                ret = launch_prepare(&r.l, &o->create, LAUNCH_RESTORE, err);
                r.launched = true;
        }
        if (ret == 0)
                ret = check_config(&r, err);
        if (ret == 0)
                ret = restore_run(&r, &old, err);
        if (ret == 0)
                ret = launch_save_state(&r.l, err);
        log_debug("restore %s: %s", o->create.id, ret == 0 ? "restored" : "failed");
        if (ret == 0)
                ret = launch_run_hooks(&r.l, HOOK_POSTSTART, STATUS_RUNNING, err);
        if (ret < 0) {
                /* criu first: told nothing more, it undoes its restore and exits. */
                criu_swrk_close(&r.swrk);
                if (r.launched) {
                        kill_what_criu_left(r.l.state.cgroup);
                        launch_abort(&r.l);
                }
                goto out;
        }
        *exit_code = 0;
        if (!o->detach) {
                /* runc's default: orphans of the container (one sharing nook's pid
                 * namespace) come to nook rather than to the host's init. */
                if (!o->no_subreaper)
                        (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
                struct foreground_terminal terminal = { 0 };
                foreground_terminal_begin(r.l.console_master, &terminal);
                ret = foreground_wait(r.l.pid, r.l.pidfd, r.l.console_master, &signals, exit_code, err);
                foreground_terminal_end(&terminal);
                if (ret == 0)
                        ret = container_destroy(&r.l.state, r.l.spec, err);
        }
out:
        restore_free(&r);
        if (r.launched)
                launch_free(&r.l);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}
