/* A process started inside an existing container (see spawn.h for the
 * protocol). Namespaces are joined with one setns() on a pidfd of the init:
 * the kernel enters the user namespace first and checks the others against
 * it, and the pidfd pins the init, so a recycled pid cannot redirect us. */
#define _GNU_SOURCE
#include "container/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/hooks.h"
#include "container/launch.h"
#include "container/process_setup.h"
#include "container/seccomp_agent.h"
#include "container/sync.h"
#include "linux/clone.h"
#include "linux/process.h"
#include "linux/seccomp.h"
#include "linux/resctrl.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/socket.h"

struct spawn {
        const struct spawn_request *req;
        int init_pidfd;
        int ns_flags; /* the namespaces of the init that nook is not in */
        int root_fd;  /* the init's root, when there is no mount namespace to join; else -1 */
        struct cgroup *cgroup;
        struct cgroup_join cgroup_join; /* v1 hierarchies, joined by the intermediate itself */
        int sync_fd, child_sync_fd;
        int console_fd;
        bool protect_exe;
        pid_t intermediate;
        int intermediate_pidfd;
};

static const struct {
        const char *file;
        int flag;
} namespace_files[] = {
        { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },  { "pid", CLONE_NEWPID },       { "net", CLONE_NEWNET },
        { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

/* A pidfd of the init, checked to be the process the state file recorded. */
static int open_init(const struct container_state *state, nook_err *err)
{
        _cleanup_close_ int pidfd = state->pid > 0 ? sys_pidfd_open(state->pid, 0) : -1;
        if (pidfd < 0 || state_process_start_time(state->pid) != state->start_time)
                return nook_error(err, ESRCH, "container \"%s\" is not running", state->id);
        return steal_fd(&pidfd);
}

static int plan_namespaces(struct spawn *s, nook_err *err)
{
        pid_t pid = s->req->state->pid;
        for (size_t i = 0; i < ARRAY_SIZE(namespace_files); i++) {
                char path[64];
                struct stat theirs, ours;
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, namespace_files[i].file);
                if (stat(path, &theirs) < 0) {
                        if (errno == ENOENT)
                                continue; /* a kind this kernel does not have */
                        return nook_error_errno(err, "stat `%s`", path);
                }
                snprintf(path, sizeof(path), "/proc/self/ns/%s", namespace_files[i].file);
                if (stat(path, &ours) == 0 && ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
                        continue;
                s->ns_flags |= namespace_files[i].flag;
        }
        if (!(s->ns_flags & CLONE_NEWNS)) {
                /* No mount namespace of its own: the container is a chroot. */
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/root", pid);
                s->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (s->root_fd < 0)
                        return nook_error_errno(err, "open `%s`", path);
        }
        return 0;
}

static bool has_dot_dot(const char *path)
{
        for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
                        return true;
        return false;
}

/* Whether a v1 hierarchy ("cpu,cpuacct") holds one of the controllers in list ("cpu,memory"). */
static bool hierarchy_has(const struct cgroup_hierarchy *h, const char *list)
{
        if (h->v2)
                return false;
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL;
        for (char *name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
                size_t len = strlen(name);
                for (const char *c = h->controllers; (c = strstr(c, name)) != NULL; c += len)
                        if ((c == h->controllers || c[-1] == ',') && (c[len] == '\0' || c[len] == ','))
                                return true;
        }
        return false;
}

/* The sub-cgroup --cgroup names for one hierarchy: a "controllers:path" entry
 * that matches it wins over a bare "path". NULL: the container's own. */
static const char *sub_cgroup_for(const struct cgroup_hierarchy *h, const char *const *subs, size_t n)
{
        const char *bare = NULL;
        for (size_t i = 0; i < n; i++) {
                const char *colon = strchr(subs[i], ':');
                if (colon == NULL) {
                        bare = subs[i];
                        continue;
                }
                _cleanup_free_ char *controllers = strndup(subs[i], (size_t)(colon - subs[i]));
                if (controllers != NULL && hierarchy_has(h, controllers))
                        return colon + 1;
        }
        return bare;
}

/* The cgroup the process joins: the container's, or below it as --cgroup says
 * (the sub-cgroups must exist). A copy, with the cgroup2 directory open. */
static int plan_cgroup(struct spawn *s, nook_err *err)
{
        const struct cgroup *cg = s->req->state->cgroup;
        const char *const *subs = s->req->cgroups;
        size_t n = s->req->n_cgroups;
        if (cg == NULL)
                return n > 0 ? nook_error(err, 0, "--cgroup: the container has no cgroup") : 0;
        for (size_t i = 0; i < n; i++) {
                const char *colon = strchr(subs[i], ':');
                const char *path = colon != NULL ? colon + 1 : subs[i];
                if (path[0] == '\0' || has_dot_dot(path))
                        return nook_error(err, 0, "--cgroup \"%s\": expected a path below the container's "
                                                  "cgroup, without \"..\"", subs[i]);
        }
        struct cgroup *t = calloc(1, sizeof(*t));
        if (t == NULL || (t->hierarchies = calloc(cg->n_hierarchies + 1, sizeof(*t->hierarchies))) == NULL) {
                free(t);
                return nook_error(err, ENOMEM, "cgroup");
        }
        s->cgroup = t;
        t->mode = cg->mode;
        t->v2_fd = -1;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *from = &cg->hierarchies[i];
                struct cgroup_hierarchy *h = &t->hierarchies[t->n_hierarchies++];
                const char *sub = sub_cgroup_for(from, subs, n);
                /* As runc: the path is below the container's cgroup even with a leading "/",
                 * and "/" is that cgroup itself. */
                while (sub != NULL && *sub == '/')
                        sub++;
                if (sub != NULL && *sub == '\0')
                        sub = NULL;
                h->v2 = from->v2;
                h->controllers = strdup(from->controllers);
                h->mount = strdup(from->mount);
                if (sub != NULL ? asprintf(&h->path, "%s/%s", from->path, sub) < 0 : (h->path = strdup(from->path)) == NULL)
                        h->path = NULL;
                if (h->controllers == NULL || h->mount == NULL || h->path == NULL)
                        return nook_error(err, ENOMEM, "cgroup");
                struct stat st;
                if (sub != NULL && stat(h->path, &st) < 0)
                        return nook_error_errno(err, "--cgroup \"%s\": `%s`", sub, h->path);
                if (sub != NULL && !S_ISDIR(st.st_mode))
                        return nook_error(err, ENOTDIR, "--cgroup \"%s\": `%s`", sub, h->path);
                if (h->v2 && t->v2_fd < 0) {
                        t->v2_fd = open(h->path, O_DIRECTORY | O_PATH | O_CLOEXEC);
                        if (t->v2_fd < 0)
                                return nook_error_errno(err, "open cgroup `%s`", h->path);
                }
        }
        return 0;
}

static int open_channels(struct spawn *s, nook_err *err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return nook_error_errno(err, "socketpair");
        s->sync_fd = sv[0];
        s->child_sync_fd = sv[1];
        /* HELLO's sender is the process itself: its credentials say its pid. */
        int ret = sync_want_credentials(s->sync_fd, err);
        if (ret < 0)
                return ret;
        if (s->req->process->terminal && s->req->console_socket != NULL) {
                s->console_fd = socket_connect_unix(s->req->console_socket, err);
                if (s->console_fd < 0)
                        return nook_error_wrap(err, "--console-socket");
        }
        /* fds 3 .. 3+preserve_fds-1 belong to the process: keep ours above them. */
        int min = 3 + s->req->preserve_fds;
        int *fds[] = { &s->sync_fd, &s->child_sync_fd, &s->console_fd, &s->init_pidfd, &s->root_fd,
                       s->cgroup != NULL ? &s->cgroup->v2_fd : NULL };
        for (size_t i = 0; i < ARRAY_SIZE(fds) && ret == 0; i++)
                ret = fds[i] != NULL ? fd_move_above(fds[i], min, err) : 0;
        return ret;
}

/* ---- the intermediate ---- */

/* A pty in the container's devpts; the master goes to --console-socket or back to nook. */
static int open_terminal(struct spawn *s, int *slave, nook_err *err)
{
        const struct spec_process *process = s->req->process;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int master = -1;
        int ret = terminal_open_pty(root, process->user.uid, &master, slave, err);
        if (ret == 0 && process->has_console_size)
                ret = terminal_set_size(*slave, process->console_height, process->console_width, err);
        if (ret == 0)
                ret = s->console_fd >= 0 ? terminal_send_fd(s->console_fd, master, "/dev/ptmx", err)
                                         : sync_send_fd(s->child_sync_fd, SYNC_CONSOLE, master, err);
        return ret;
}

static int child_run(struct spawn *s, nook_err *err)
{
        /* First of all, so that everything after runs (and is charged) inside the cgroup. */
        int joined = cgroup_join_self(&s->cgroup_join, err);
        if (joined < 0)
                return joined;
        const struct spawn_request *req = s->req;
        const struct spec_process *process = req->process;
        /* Die with nook; had it died already, the read of GO below sees EOF. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* Before any namespace of the container: nothing in it may read our memory or exe. */
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if ((req->stdin_fd >= 0 && dup2(req->stdin_fd, STDIN_FILENO) < 0) ||
            (req->stdout_fd >= 0 && dup2(req->stdout_fd, STDOUT_FILENO) < 0))
                return nook_error_errno(err, "set up stdio");

        /* What needs the host's /proc, before the container's mount namespace. */
        struct stub_exe exe;
        if (s->protect_exe) {
                int ret = stub_exe_capture(&exe, err);
                if (ret < 0)
                        return nook_error_wrap(err, "protect nook's binary");
        }
        /* The LSM labels go through the host's procfs: we are not in the container's pid
         * namespace (its /proc has no entry for us), and its /proc is the container's to fake. */
        struct lsm_labels labels = req->labels != NULL ? *req->labels : lsm_labels_of(process, NULL);
        _cleanup_close_ int lsm_procfd = -1;
        if (lsm_has_process_labels(&labels) && (lsm_procfd = lsm_open_procfs(err)) < 0)
                return nook_error_wrap(err, "the LSM labels");
        /* Raising a hard limit needs CAP_SYS_RESOURCE in the host's user namespace. */
        int ret = process_set_rlimits(process, err);
        if (ret < 0)
                return ret;

        /* ◀ ENVIRONMENT: in the cgroups, oom score set. */
        struct sync_in in;
        ret = sync_expect(s->child_sync_fd, SYNC_ENVIRONMENT, "nook", &in, err);
        if (ret < 0)
                return ret;
        /* execCPUAffinity.final: GO says we are in every cgroup of the container (cpuset too). */
        if (process->exec_cpu_affinity_final.bits != NULL &&
            process_set_affinity(0, &process->exec_cpu_affinity_final, err) < 0)
                return nook_error_wrap(err, "process.execCPUAffinity.final");
        if (s->ns_flags != 0 && setns(s->init_pidfd, s->ns_flags) < 0)
                return nook_error_errno(err, "join the namespaces of the container (pid %d)", req->state->pid);
        if (s->root_fd >= 0 && (fchdir(s->root_fd) < 0 || chroot(".") < 0))
                return nook_error_errno(err, "enter the root of the container");

        _cleanup_close_ int slave = -1;
        if (process->terminal) {
                ret = open_terminal(s, &slave, err);
                if (ret < 0)
                        return ret;
        }
        ret = process_setup_attributes(req->spec->linux, process, err);
        if (ret < 0)
                return ret;
        struct process_final final = {
                .process = process,
                .path = req->path,
                .exact_env = req->exact_env,
                .exe = s->protect_exe ? &exe : NULL,
                .fork_child = true,
                .ctty_fd = slave,
                .filter = req->filter,
                .filter_len = req->filter_len,
                .seccomp_flags = req->seccomp_flags,
                .sync_fd = s->child_sync_fd,
                .await_fd = -1,
                .accept_fd = -1,
                .preserve_fds = req->preserve_fds,
                .labels = &labels,
                .lsm_procfd = lsm_procfd,
        };
        return process_finish(&final, err);
}

__attribute__((noreturn)) static void child_main(struct spawn *s)
{
        nook_err err = NULL;
        child_run(s, &err);
        if (err != NULL)
                sync_send_error(s->child_sync_fd, err);
        _exit(1);
}

/* ---- nook's side ---- */

static int start_intermediate(struct spawn *s, nook_err *err)
{
        bool into_cgroup = false;
        int v2_fd = s->cgroup != NULL ? s->cgroup->v2_fd : -1;
        if (s->cgroup != NULL) {
                int ret = cgroup_join_open(s->cgroup, &s->cgroup_join, err);
                if (ret < 0)
                        return ret;
        }
        /* execCPUAffinity.initial: the intermediate is born with it, before it is in any
         * cgroup of the container; nook takes its own back at once. */
        const struct spec_id_set *initial = &s->req->process->exec_cpu_affinity_initial;
        unsigned long *own_cpus = NULL;
        if (initial->bits != NULL && process_push_affinity(initial, &own_cpus, err) < 0) {
                cgroup_join_close(&s->cgroup_join);
                return nook_error_wrap(err, "process.execCPUAffinity.initial");
        }
        long pid = clone_process(0, v2_fd, &s->intermediate_pidfd, &into_cgroup);
        if (pid == 0)
                child_main(s);
        int clone_errno = errno;
        process_pop_affinity(own_cpus);
        if (pid < 0) {
                cgroup_join_close(&s->cgroup_join);
                return nook_error(err, clone_errno, "clone3 the exec process");
        }
        cgroup_join_close(&s->cgroup_join);
        s->intermediate = (pid_t)pid;
        close(s->child_sync_fd);
        s->child_sync_fd = -1;
        int ret = 0;
        if (s->cgroup != NULL && !into_cgroup)
                ret = cgroup_enter_v2(s->cgroup, s->intermediate, err);
        const struct spec_process *process = s->req->process;
        if (ret == 0 && process->oom_score_adj.set)
                ret = process_set_oom_score_adj(s->intermediate, (int)process->oom_score_adj.value, err);
        const struct spec_linux *linux_ = s->req->spec->linux;
        if (ret == 0 && linux_ != NULL && linux_->intel_rdt != NULL)
                ret = resctrl_join(linux_->intel_rdt, s->req->state->id, s->intermediate, err);
        if (ret == 0)
                ret = sync_send(s->sync_fd, SYNC_ENVIRONMENT, 0, err);
        return ret;
}

static void reap_intermediate(struct spawn *s)
{
        if (s->intermediate <= 0)
                return;
        while (waitpid(s->intermediate, NULL, 0) < 0 && errno == EINTR)
                ;
        s->intermediate = 0;
}

#define PEER "the exec process"

/* Follows the process's messages, in their order — [CONSOLE] (the intermediate),
 * HELLO, READY (the process itself) — then EOF when the program runs, or why
 * its exec failed. */
static int follow(struct spawn *s, struct spawn_result *out, nook_err *err)
{
        struct sync_in in;
        int ret = 0;
        if (s->req->process->terminal && s->req->console_socket == NULL) {
                ret = sync_expect(s->sync_fd, SYNC_CONSOLE, PEER, &in, err);
                if (ret < 0)
                        return ret;
                out->console_master = in.fd;
        }
        ret = sync_expect(s->sync_fd, SYNC_HELLO, PEER, &in, err);
        if (ret < 0)
                return ret;
        out->pid = in.sender;
        reap_intermediate(s);
        /* Our child (CLONE_PARENT), not yet reaped: its pid cannot have been reused. */
        out->pidfd = out->pid > 0 ? sys_pidfd_open(out->pid, 0) : -1;
        if (out->pidfd < 0)
                return nook_error_errno(err, "pidfd_open the exec process (%d)", out->pid);
        ret = sync_expect(s->sync_fd, SYNC_READY, PEER, &in, err);
        if (ret < 0)
                return ret;
        out->seccomp_listener = in.fd;
        ret = sync_recv(s->sync_fd, &in, err);
        if (ret == -EPIPE)
                return 0;
        if (ret == 0 && in.fd >= 0)
                close(in.fd);
        if (ret == 0 && in.msg.type == SYNC_ERROR)
                return sync_error_from_msg(&in.msg, err);
        return ret < 0 ? ret : sync_check_order((enum sync_type)in.msg.type, SYNC_ERROR, PEER, err);
}

void spawn_result_close(struct spawn_result *r)
{
        int *fds[] = { &r->pidfd, &r->console_master, &r->seccomp_listener };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
}

int spawn_process(const struct spawn_request *req, struct spawn_result *out, nook_err *err)
{
        struct spawn s = {
                .req = req,
                .init_pidfd = -1,
                .root_fd = -1,
                .sync_fd = -1,
                .child_sync_fd = -1,
                .console_fd = -1,
                .intermediate_pidfd = -1,
        };
        *out = (struct spawn_result){ .pidfd = -1, .console_master = -1, .seccomp_listener = -1 };
        s.init_pidfd = open_init(req->state, err);
        int ret = s.init_pidfd < 0 ? s.init_pidfd : plan_namespaces(&s, err);
        if (ret == 0)
                ret = plan_cgroup(&s, err);
        if (ret == 0)
                ret = open_channels(&s, err);
        if (ret == 0) {
                s.protect_exe = stub_exe_needs_protection();
                /* Root's nook is not dumpable: nothing can read it through /proc (see create.c). */
                if (geteuid() == 0)
                        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
                ret = start_intermediate(&s, err);
        }
        if (ret == 0)
                ret = follow(&s, out, err);
        if (ret < 0) {
                if (out->pidfd >= 0)
                        sys_pidfd_send_signal(out->pidfd, SIGKILL, NULL, 0);
                if (out->pid > 0)
                        waitpid(out->pid, NULL, 0);
                if (s.intermediate > 0)
                        sys_pidfd_send_signal(s.intermediate_pidfd, SIGKILL, NULL, 0);
                spawn_result_close(out);
                out->pid = 0;
        }
        reap_intermediate(&s);
        int *fds[] = { &s.init_pidfd, &s.root_fd, &s.sync_fd, &s.child_sync_fd, &s.console_fd, &s.intermediate_pidfd };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        cgroup_free(s.cgroup);
        return ret;
}

int spawn_compile_seccomp(const struct container_state *state, const struct spec *spec,
                          struct seccomp_program *program, nook_err *err)
{
        *program = (struct seccomp_program){ 0 };
        const struct spec_seccomp *config = spec->linux != NULL ? spec->linux->seccomp : NULL;
        if (config == NULL)
                return 0;
        /* The state dir is <root>/<id>: the cache is <root>'s. */
        _cleanup_free_ char *cache = NULL;
        const char *slash = strrchr(state->dir, '/');
        if (slash != NULL &&
            asprintf(&cache, "%.*s/" SECCOMP_CACHE_DIR, (int)(slash - state->dir), state->dir) < 0)
                cache = NULL;
        return seccomp_compile_cached(config, cache, program, err);
}

/* ---- startContainer hooks ---- */

struct hook_context {
        const struct container_state *state;
        const struct spec *spec;
        const struct seccomp_program *filter;
};

static int spawn_hook(void *ctx, const struct spec_hook *hook, int stdin_fd, pid_t *pid, nook_err *err)
{
        const struct hook_context *c = ctx;
        /* The container's process, with the hook's program, arguments and environment. */
        struct spec_process process = *c->spec->process;
        process.terminal = false;
        process.args = hook->args;
        if (process.args.len == 0) {
                process.args.items = (const char **)&hook->path;
                process.args.len = 1;
        }
        process.env = hook->env;
        /* (The program's, not a hook's.) */
        process.exec_cpu_affinity_initial = process.exec_cpu_affinity_final = (struct spec_id_set){ 0 };
        /* Under the container's seccomp filter, as runc runs them (they are children of
         * its init once the filter is loaded): a hook gets no call the program is denied. */
        struct spawn_request req = {
                .state = c->state,
                .spec = c->spec,
                .process = &process,
                .path = hook->path,
                .exact_env = true,
                .stdin_fd = stdin_fd,
                .stdout_fd = STDERR_FILENO,
                .filter = c->filter->filter,
                .filter_len = c->filter->len,
                .seccomp_flags = c->filter->flags,
        };
        struct spawn_result r;
        int ret = spawn_process(&req, &r, err);
        if (ret < 0)
                return ret;
        /* Its calls an agent answers go to the agent too, as an exec'd process's do. */
        if (r.seccomp_listener >= 0)
                ret = seccomp_agent_send(c->spec, c->state, STATUS_CREATED, r.pid, r.seccomp_listener, err);
        if (ret < 0) {
                sys_pidfd_send_signal(r.pidfd, SIGKILL, NULL, 0);
                waitpid(r.pid, NULL, 0);
        } else {
                *pid = r.pid;
        }
        spawn_result_close(&r);
        return ret;
}

int spawn_run_hooks(const struct container_state *state, const struct spec *spec, enum spec_hook_kind kind,
                    const char *state_json, nook_err *err)
{
        struct seccomp_program filter;
        int ret = spawn_compile_seccomp(state, spec, &filter, err);
        if (ret < 0)
                return ret;
        struct hook_context ctx = { .state = state, .spec = spec, .filter = &filter };
        ret = hooks_run_with(spec, kind, state_json, spawn_hook, &ctx, err);
        seccomp_program_free(&filter);
        return ret;
}
