#define _GNU_SOURCE
#include "container/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/syscalls.h"
#include "util/cleanup.h"

static const char *const kind_names[HOOK_KIND_COUNT] = {
        [HOOK_PRESTART] = "prestart",
        [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_CREATE_CONTAINER] = "createContainer",
        [HOOK_START_CONTAINER] = "startContainer",
        [HOOK_POSTSTART] = "poststart",
        [HOOK_POSTSTOP] = "poststop",
};

const char *hooks_kind_name(enum spec_hook_kind kind)
{
        return kind_names[kind];
}

/* NULL-terminated copy of a string array; argv falls back to the path. */
static char **to_argv(const spec_strings *strings, const char *fallback)
{
        size_t n = strings->len > 0 ? strings->len : (fallback != NULL ? 1 : 0);
        char **v = calloc(n + 1, sizeof(char *));
        if (v == NULL)
                return NULL;
        for (size_t i = 0; i < n; i++)
                v[i] = (char *)(strings->len > 0 ? strings->items[i] : fallback);
        return v;
}

static int wait_hook(pid_t pid, int64_t timeout, const char *what, nook_err *err)
{
        _cleanup_pid_ pid_t hook = pid; /* killed and reaped when it outlives its timeout */
        _cleanup_close_ int pidfd = sys_pidfd_open(pid, 0);
        if (pidfd >= 0 && timeout > 0) {
                struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
                int r;
                do
                        r = poll(&pfd, 1, (int)(timeout * 1000));
                while (r < 0 && errno == EINTR);
                if (r == 0)
                        return nook_error(err, ETIMEDOUT, "%s: timed out after %llds", what, (long long)timeout);
        }
        int status;
        int ret = pid_wait(&hook, &status);
        if (ret < 0)
                return nook_error(err, -ret, "%s: wait", what);
        if (WIFSIGNALED(status))
                return nook_error(err, 0, "%s: killed by signal %d", what, WTERMSIG(status));
        if (WEXITSTATUS(status) != 0)
                return nook_error(err, 0, "%s: exited with status %d", what, WEXITSTATUS(status));
        return 0;
}

/* The default: fork and execve the hook in nook's own namespaces, with nook's
 * environment when the hook gives none, as runc and crun do. */
static int fork_hook(void *ctx, const struct spec_hook *hook, int stdin_fd, pid_t *pid, nook_err *err)
{
        (void)ctx;
        _cleanup_free_ char **argv = to_argv(&hook->args, hook->path);
        _cleanup_free_ char **own_env = hook->has_env ? to_argv(&hook->env, NULL) : NULL;
        char **envp = hook->has_env ? own_env : environ;
        if (argv == NULL || envp == NULL)
                return nook_error(err, ENOMEM, "hook");
        *pid = fork();
        if (*pid < 0)
                return nook_error_errno(err, "fork");
        if (*pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                dup2(stdin_fd, STDIN_FILENO);
                /* stdout of a hook goes where nook's stderr goes, as with runc. */
                dup2(STDERR_FILENO, STDOUT_FILENO);
                execve(hook->path, argv, envp);
                _exit(127);
        }
        return 0;
}

static int run_one(const struct spec_hook *hook, const char *what, const char *state_json, hook_spawn_fn spawn,
                   void *ctx, nook_err *err)
{
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nook_error_errno(err, "%s: pipe", what);
        pid_t pid;
        int ret = spawn(ctx, hook, pipefd[0], &pid, err);
        close(pipefd[0]);
        if (ret < 0) {
                close(pipefd[1]);
                return nook_error_wrap(err, "%s", what);
        }
        /* A hook that does not read its stdin must not make us block or die of SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        size_t len = strlen(state_json);
        if (write(pipefd[1], state_json, len) < 0 && errno != EPIPE) {
                /* The hook's exit status tells whether it mattered. */
        }
        close(pipefd[1]);
        return wait_hook(pid, hook->timeout, what, err);
}

int hooks_run_with(const struct spec *spec, enum spec_hook_kind kind, const char *state_json, hook_spawn_fn spawn,
                   void *ctx, nook_err *err)
{
        const spec_hooks *hooks = &spec->hooks[kind];
        for (size_t i = 0; i < hooks->len; i++) {
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "hooks.%s[%zu] `%s`", kind_names[kind], i, hooks->items[i].path) < 0)
                        return nook_error(err, ENOMEM, "hooks.%s[%zu]", kind_names[kind], i);
                int ret = run_one(&hooks->items[i], what, state_json, spawn, ctx, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int hooks_run(const struct spec *spec, enum spec_hook_kind kind, const char *state_json, nook_err *err)
{
        return hooks_run_with(spec, kind, state_json, fork_hook, NULL, err);
}
