/* `exec`: a new process in a running container. Its settings are the
 * container's process (from the config saved at create) or a --process file,
 * with the command line's changes on top; spawn.c starts it. In the
 * foreground nook relays its terminal, forwards signals and returns its exit
 * code, as `run` does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "container/container.h"
#include "container/foreground.h"
#include "container/seccomp_agent.h"
#include "container/spawn.h"
#include "container/state.h"
#include "linux/lsm.h"
#include "linux/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The process to run and what its changed fields point to. */
struct exec_process {
        struct spec_process process;
        struct spec_process *parsed; /* from --process */
        json_object *json;
        const char **args, **env;
        uint32_t *gids;
};

static void exec_process_free(struct exec_process *p)
{
        spec_process_free(p->parsed);
        json_object_put(p->json);
        free(p->args);
        free(p->env);
        free(p->gids);
}

static int parse_id(const char *text, const char *what, uint32_t *out, nook_err *err)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(text, &end, 10);
        if (text[0] == '\0' || text[0] == '-' || *end != '\0' || errno != 0 || v > UINT32_MAX)
                return nook_error(err, 0, "%s: expected a number, not \"%s\"", what, text);
        *out = (uint32_t)v;
        return 0;
}

/* -u UID[:GID], numeric as with runc; the gid is 0 when absent. */
static int apply_user(struct spec_process *process, const char *user, nook_err *err)
{
        _cleanup_free_ char *copy = strdup(user);
        if (copy == NULL)
                return nook_error(err, ENOMEM, "--user");
        char *colon = strchr(copy, ':');
        if (colon != NULL)
                *colon = '\0';
        int ret = parse_id(copy, "--user", &process->user.uid, err);
        process->user.gid = 0;
        if (ret == 0 && colon != NULL)
                ret = parse_id(colon + 1, "--user", &process->user.gid, err);
        return ret;
}

/* -e KEY=VALUE replaces KEY in the environment, or adds it. */
static int apply_env(struct exec_process *p, const struct exec_options *o, nook_err *err)
{
        size_t n = p->process.env.len;
        p->env = calloc(n + o->n_env + 1, sizeof(char *));
        if (p->env == NULL)
                return nook_error(err, ENOMEM, "--env");
        memcpy(p->env, p->process.env.items, n * sizeof(char *));
        for (size_t i = 0; i < o->n_env; i++) {
                const char *eq = strchr(o->env[i], '=');
                size_t key = eq != NULL ? (size_t)(eq - o->env[i]) : strlen(o->env[i]);
                size_t j = 0;
                while (j < n && !(strncmp(p->env[j], o->env[i], key) == 0 &&
                                  (p->env[j][key] == '=' || p->env[j][key] == '\0')))
                        j++;
                p->env[j] = o->env[i];
                if (j == n)
                        n++;
        }
        p->process.env.items = p->env;
        p->process.env.len = n;
        return 0;
}

/* -c CAP adds to the bounding, effective and permitted sets (and ambient when
 * the process has inheritable ones), as runc does. */
static int apply_caps(struct spec_process *process, const struct exec_options *o, nook_err *err)
{
        for (size_t i = 0; i < o->n_caps; i++) {
                char name[64];
                const char *c = o->caps[i];
                snprintf(name, sizeof(name), "%s%s", strncasecmp(c, "CAP_", 4) == 0 ? "" : "CAP_", c);
                for (char *q = name; *q; q++)
                        *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 'a' + 'A' : *q);
                int cap = spec_capability_from_name(name);
                if (cap < 0)
                        return nook_error(err, 0, "--cap: unknown capability \"%s\"", c);
                uint64_t bit = 1ULL << cap;
                struct spec_capabilities *s = &process->capabilities;
                s->bounding |= bit;
                s->effective |= bit;
                s->permitted |= bit;
                if (s->inheritable != 0)
                        s->ambient |= bit;
        }
        return 0;
}

/* The labels, each named in messages as it was given: the flag, else the field
 * of the process file or of the config. */
static struct lsm_labels exec_labels(const struct spec_process *process, const struct exec_options *o)
{
        struct lsm_labels labels = lsm_labels_of(process, NULL);
        if (o->apparmor != NULL)
                labels.apparmor_field = "--apparmor";
        if (o->process_label != NULL)
                labels.selinux_field = "--process-label";
        return labels;
}

/* Refused here, before anything is started, with the LSM off (create refuses
 * such a config in the same way) or a label malformed or unknown to the policy. */
static int check_labels(const struct spec_process *process, const struct exec_options *o, nook_err *err)
{
        struct lsm_labels labels = exec_labels(process, o);
        return lsm_check_labels(&labels, err);
}

static int load_process_file(struct exec_process *p, const char *path, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int ret = read_file_at(AT_FDCWD, path, &text, &len, err);
        if (ret == 0)
                ret = spec_parse_process(text, len, &p->parsed, &p->json, err);
        if (ret < 0)
                return nook_error_wrap(err, "--process `%s`", path);
        p->process = *p->parsed;
        return 0;
}

/* --process gives the whole process: a flag that would change it is refused
 * rather than merged or dropped (runc drops them), so that what runs is
 * exactly the file. --tty stays: podman passes it with a terminal process. */
static int check_process_file_alone(const struct exec_options *o, nook_err *err)
{
        const struct {
                bool given;
                const char *what;
        } changes[] = {
                { o->n_args > 0, "a command after the container id" },
                { o->n_env > 0, "--env" },
                { o->user != NULL, "--user" },
                { o->n_additional_gids > 0, "--additional-gids" },
                { o->n_caps > 0, "--cap" },
                { o->cwd != NULL, "--cwd" },
                { o->no_new_privs, "--no-new-privs" },
                { o->apparmor != NULL, "--apparmor" },
                { o->process_label != NULL, "--process-label" },
        };
        for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++)
                if (changes[i].given)
                        return nook_error(err, 0, "exec: %s cannot be combined with --process `%s`: the file gives "
                                                  "the whole process", changes[i].what, o->process_file);
        return 0;
}

/* The process file as it is (noNewPrivileges absent is off); what it leaves out
 * and runc and crun take from the container: its capabilities (absent, the
 * process would keep all of nook's) and rlimits. */
static int build_process_from_file(struct exec_process *p, const struct exec_options *o, const struct spec *spec,
                                   nook_err *err)
{
        int ret = check_process_file_alone(o, err);
        if (ret == 0)
                ret = load_process_file(p, o->process_file, err);
        if (ret < 0)
                return ret;
        struct spec_process *process = &p->process;
        process->terminal |= o->tty;
        if (!process->has_capabilities && spec->process != NULL && spec->process->has_capabilities) {
                process->has_capabilities = true;
                process->capabilities = spec->process->capabilities;
        }
        if (process->rlimits.len == 0 && spec->process != NULL)
                process->rlimits = spec->process->rlimits;
        /* No label in the file: the container's, as runc and crun give it (never less
         * confined than the container). */
        if (spec->process != NULL && (process->apparmor_profile == NULL || process->apparmor_profile[0] == '\0'))
                process->apparmor_profile = spec->process->apparmor_profile;
        if (spec->process != NULL && (process->selinux_label == NULL || process->selinux_label[0] == '\0'))
                process->selinux_label = spec->process->selinux_label;
        return check_labels(process, o, err);
}

static int build_process(struct exec_process *p, const struct exec_options *o, const struct spec *spec,
                         nook_err *err)
{
        if (o->process_file != NULL)
                return build_process_from_file(p, o, spec, err);
        if (spec->process == NULL)
                return nook_error(err, 0, "the container's config has no process to start from");
        if (o->n_args == 0)
                return nook_error(err, 0, "exec: expected a command after the container id");
        p->process = *spec->process;
        p->process.terminal = o->tty;
        struct spec_process *process = &p->process;
        p->args = calloc(o->n_args + 1, sizeof(char *));
        if (p->args == NULL)
                return nook_error(err, ENOMEM, "exec");
        memcpy(p->args, o->args, o->n_args * sizeof(char *));
        process->args.items = p->args;
        process->args.len = o->n_args;
        int ret = apply_env(p, o, err);
        if (ret == 0 && o->user != NULL)
                ret = apply_user(process, o->user, err);
        if (ret == 0 && o->n_additional_gids > 0) {
                p->gids = calloc(o->n_additional_gids, sizeof(uint32_t));
                if (p->gids == NULL)
                        return nook_error(err, ENOMEM, "--additional-gids");
                for (size_t i = 0; ret == 0 && i < o->n_additional_gids; i++)
                        ret = parse_id(o->additional_gids[i], "--additional-gids", &p->gids[i], err);
                process->user.additional_gids.items = p->gids;
                process->user.additional_gids.len = o->n_additional_gids;
        }
        if (ret == 0)
                ret = apply_caps(process, o, err);
        if (ret < 0)
                return ret;
        if (o->cwd != NULL) {
                if (o->cwd[0] != '/')
                        return nook_error(err, 0, "--cwd \"%s\": must be an absolute path", o->cwd);
                process->cwd = o->cwd;
        }
        if (o->no_new_privs)
                process->no_new_privileges = true;
        if (o->apparmor != NULL)
                process->apparmor_profile = o->apparmor;
        if (o->process_label != NULL)
                process->selinux_label = o->process_label;
        return check_labels(process, o, err);
}

static int write_pid_file(const char *path, pid_t pid, nook_err *err)
{
        char text[32];
        int len = snprintf(text, sizeof(text), "%d", pid);
        int ret = write_file_atomic(AT_FDCWD, path, text, (size_t)len, 0644, err);
        return ret < 0 ? nook_error_wrap(err, "--pid-file") : 0;
}

/* The container's seccomp profile applies to every process in it, as in runc:
 * an exec'd one unfiltered would be a way around it. Compiled through the same
 * cache as create's, so it is a read. */
static int compile_seccomp(const struct container_state *state, const struct spec *spec,
                           const struct spec_process *process,
                           struct seccomp_program *program, nook_err *err)
{
        *program = (struct seccomp_program){ 0 };
        const struct spec_seccomp *config = spec->linux != NULL ? spec->linux->seccomp : NULL;
        if (config == NULL)
                return 0;
        int ret = seccomp_check_notify(config, process->no_new_privileges, err);
        if (ret < 0)
                return ret;
        return spawn_compile_seccomp(state, spec, program, err);
}

static int exec_loaded(const struct exec_options *o, const struct container_state *state,
                       enum container_status status, const struct spec *spec, struct exec_process *p, int *exit_code,
                       nook_err *err)
{
        int ret = build_process(p, o, spec, err);
        if (ret < 0)
                return ret;
        bool relay = p->process.terminal && o->console_socket == NULL;
        if (relay && o->detach)
                return nook_error(err, 0, "exec: --tty with --detach needs --console-socket");
        struct seccomp_program filter;
        ret = compile_seccomp(state, spec, &p->process, &filter, err);
        if (ret < 0)
                return ret;
        struct lsm_labels labels = exec_labels(&p->process, o);
        struct winsize ws;
        if (relay && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
                /* The pty has nook's terminal's size before the program looks. */
                p->process.has_console_size = true;
                p->process.console_height = ws.ws_row;
                p->process.console_width = ws.ws_col;
        }
        sigset_t signals, old;
        foreground_signals(&signals);
        if (!o->detach)
                sigprocmask(SIG_BLOCK, &signals, &old);
        struct foreground_terminal terminal = { 0 };
        if (relay)
                foreground_terminal_begin(-1, &terminal);
        struct spawn_request req = {
                .state = state,
                .spec = spec,
                .process = &p->process,
                .cgroups = o->cgroups,
                .n_cgroups = o->n_cgroups,
                .console_socket = o->console_socket,
                .preserve_fds = o->preserve_fds,
                .stdin_fd = -1,
                .stdout_fd = -1,
                .filter = filter.filter,
                .filter_len = filter.len,
                .seccomp_flags = filter.flags,
                .labels = &labels,
        };
        struct spawn_result r;
        ret = spawn_process(&req, &r, err);
        /* Killed and reaped if what follows fails: nobody could wait for it. */
        _cleanup_pid_ pid_t unannounced = ret == 0 ? r.pid : 0;
        if (ret == 0 && r.seccomp_listener >= 0)
                /* The program waits in its first notified call until the agent has the fd. */
                ret = seccomp_agent_send(spec, state, status, r.pid, r.seccomp_listener, err);
        if (ret == 0 && o->pid_file != NULL)
                ret = write_pid_file(o->pid_file, r.pid, err);
        if (ret == 0)
                steal_pid(&unannounced); /* waited for below, or left running (--detach) */
        if (ret == 0 && !o->detach)
                ret = foreground_wait(r.pid, r.pidfd, r.console_master, &signals, exit_code, err);
        foreground_terminal_end(&terminal);
        spawn_result_close(&r);
        seccomp_program_free(&filter);
        if (!o->detach)
                sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}

int container_exec(const struct exec_options *o, int *exit_code, nook_err *err)
{
        *exit_code = 0;
        struct container_state *state = NULL;
        int ret = state_load(o->root, o->id, &state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(state);
        struct spec *spec = NULL;
        struct exec_process p = { 0 };
        /* A created container's init waits for start with its namespaces and cgroup made:
         * a process joins them as in a running one (engines run health checks and set-up
         * there before start). A paused one would freeze the process until resume. */
        if (status == STATUS_PAUSED && !o->ignore_paused)
                ret = nook_error(err, 0,
                                 "cannot exec in container \"%s\": it is paused (use --ignore-paused to override)",
                                 o->id);
        else if (status != STATUS_RUNNING && status != STATUS_CREATED && status != STATUS_PAUSED)
                ret = nook_error(err, 0, "cannot exec in container \"%s\": it is %s", o->id,
                                 state_status_name(status));
        if (ret == 0)
                ret = spec_load(state->dir, &spec, err);
        if (ret == 0)
                ret = exec_loaded(o, state, status, spec, &p, exit_code, err);
        /* Until start, the init is not dumpable (nook's own process until its execve): its
         * /proc entries and namespaces are root's, out of an unprivileged caller's reach. */
        if (ret == -EACCES && status == STATUS_CREATED)
                nook_error_wrap(err, "exec into created container \"%s\" (before start, only a caller with "
                                     "CAP_SYS_PTRACE may join its init)", o->id);
        exec_process_free(&p);
        spec_free(spec);
        state_free(state);
        return ret;
}
