/* The steps an init and an exec'd process share, from their attributes to the
 * stub (see process_setup.h). The order matters: the user is switched with
 * PR_SET_KEEPCAPS so that the stub still holds CAP_SYS_ADMIN for the exe swap
 * (and seccomp without no_new_privs); its final capset drops the rest. */
#define _GNU_SOURCE
#include "container/process_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/sync.h"
#include "linux/caps.h"
#include "linux/process.h"
#include "linux/stdio.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/user.h"

int process_setup_attributes(const struct spec_linux *linux_, const struct spec_process *process, nook_err *err)
{
        if (linux_ != NULL && linux_->has_personality) {
                int ret = process_set_personality(linux_->personality, err);
                if (ret < 0)
                        return ret;
        }
        if (process->has_scheduler) {
                int ret = process_set_scheduler(&process->scheduler, err);
                if (ret < 0)
                        return nook_error_wrap(err, "process.scheduler");
        }
        if (linux_ != NULL && linux_->memory_policy != NULL) {
                int ret = process_set_memory_policy(linux_->memory_policy, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.memoryPolicy");
        }
        if (process->has_io_priority) {
                int ret = process_set_io_priority(&process->io_priority, err);
                if (ret < 0)
                        return nook_error_wrap(err, "process.ioPriority");
        }
        umask(process->user.umask.set ? (mode_t)process->user.umask.value : 0022);
        /* Never made here: the init's was made while its root was writable, and an exec'd
         * process's must exist, as for chdir (runc). */
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int cwd = open_in_root(root, process->cwd, O_PATH | O_DIRECTORY, CREATE_NONE, err);
        if (cwd < 0)
                return nook_error_wrap(err, "process.cwd");
        if (fchdir(cwd) < 0)
                return nook_error_errno(err, "process.cwd: chdir `%s`", process->cwd);
        return 0;
}

/* Switches to the process's user, keeping the permitted capabilities for the
 * stub's final capset (and, meanwhile, the exe swap and seccomp). */
static int become_user(const struct spec_process *process, struct spec_capabilities *caps, nook_err *err)
{
        const struct spec_user *user = &process->user;
        if (process->has_capabilities) {
                *caps = process->capabilities;
                caps_clamp(caps, caps_bounding());
                int ret = caps_drop_bounding(caps->bounding, err);
                if (ret < 0)
                        return nook_error_wrap(err, "process.capabilities");
        }
        gid_t *groups = (gid_t *)user->additional_gids.items;
        if (setgroups(user->additional_gids.len, groups) < 0 && (user->additional_gids.len > 0 || errno != EPERM))
                return nook_error_errno(err, "process.user.additionalGids: setgroups");
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return nook_error_errno(err, "keep capabilities");
        if (setresgid(user->gid, user->gid, user->gid) < 0)
                return nook_error_errno(err, "process.user.gid: set gid %u", user->gid);
        if (setresuid(user->uid, user->uid, user->uid) < 0)
                return nook_error_errno(err, "process.user.uid: set uid %u", user->uid);
        /* A change of euid resets "dumpable" to fs.suid_dumpable: keep nook unreadable whatever that is. */
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        return 0;
}

static int compare_fds(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* Everything above fd 2 and the preserved ones is closed now, but the fds the stub
 * still needs (CVE-2024-21626 leaked a host directory fd into the container; an
 * init waiting for `start` holds nothing else either), and those at exec. */
static int close_fds(int preserve, const int *keep_in, size_t n_keep, nook_err *err)
{
        for (int fd = 3; fd < 3 + preserve; fd++)
                if (fcntl(fd, F_SETFD, 0) < 0 && errno != EBADF)
                        return nook_error_errno(err, "--preserve-fds: fd %d", fd);
        int keep[8];
        size_t n = 0;
        for (size_t i = 0; i < n_keep && n < sizeof(keep) / sizeof(keep[0]); i++)
                if (keep_in[i] >= 3 + preserve)
                        keep[n++] = keep_in[i];
        qsort(keep, n, sizeof(keep[0]), compare_fds);
        unsigned from = (unsigned)(3 + preserve);
        for (size_t i = 0; i <= n; i++) {
                unsigned to = i < n ? (unsigned)keep[i] : ~0U;
                if (to > from && sys_close_range(from, to - 1, 0) < 0)
                        return nook_error_errno(err, "close_range");
                if (i < n)
                        from = (unsigned)keep[i] + 1;
        }
        if (sys_close_range((unsigned)(3 + preserve), ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return nook_error_errno(err, "close_range");
        return 0;
}

static void reset_signals(void)
{
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        for (int sig = 1; sig < NSIG; sig++)
                sigaction(sig, &dfl, NULL);
}

/* The program's environment: process.env, plus HOME from the container's
 * /etc/passwd entry of the user (else "/") when process.env has none, as runc and
 * crun give it (Docker leaves HOME to the runtime). */
struct environment {
        const char **items; /* borrowed from process.env, or owned with HOME appended */
        size_t len;
        char *home; /* owned "HOME=…", or NULL */
        bool owned;
};

static void environment_free(struct environment *env)
{
        if (env->owned)
                free(env->items);
        free(env->home);
}

static int environment_with_home(const struct spec_process *process, bool exact, struct environment *env,
                                 nook_err *err)
{
        *env = (struct environment){ .items = (const char **)process->env.items, .len = process->env.len };
        if (exact)
                return 0;
        for (size_t i = 0; i < process->env.len; i++)
                if (strncmp(process->env.items[i], "HOME=", 5) == 0)
                        return 0;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *home = NULL;
        int ret = root < 0 ? nook_error_errno(err, "open `/`") : user_home_in_root(root, process->user.uid, &home, err);
        if (ret < 0)
                return nook_error_wrap(err, "HOME of uid %u", process->user.uid);
        const char **items = calloc(process->env.len + 1, sizeof(*items));
        if (items == NULL || asprintf(&env->home, "HOME=%s", home != NULL ? home : "/") < 0) {
                free(items);
                env->home = NULL;
                return nook_error(err, ENOMEM, "environment");
        }
        memcpy(items, process->env.items, process->env.len * sizeof(*items));
        items[process->env.len] = env->home;
        *env = (struct environment){ .items = items, .len = process->env.len + 1, .home = env->home, .owned = true };
        return 0;
}

int process_finish(const struct process_final *f, nook_err *err)
{
        const struct spec_process *process = f->process;
        int ret;
        /* runc's point: the mounts and masks are made, no_new_privs, capabilities and
         * seccomp are still to come. The labels take effect at the stub's execve (a
         * fork before it, exec's, inherits them: AppArmor's transition lives in the
         * task's context, SELinux's exec context in its credentials, both copied by
         * fork). No hook runs after this point in this process. */
        if (f->labels != NULL && lsm_has_process_labels(f->labels) &&
            (ret = lsm_apply_exec_labels(f->lsm_procfd, f->labels, process->no_new_privileges, err)) < 0)
                return ret;
        __attribute__((cleanup(environment_free))) struct environment env = { 0 };
        ret = environment_with_home(process, f->exact_env, &env, err);
        if (ret < 0)
                return ret;
        /* (With ctty_fd, the stdio the program gets is that terminal, not ours.) */
        if (f->ctty_fd < 0 && (ret = stdio_give_to_user(process->user.uid, err)) < 0)
                return ret;
        struct spec_capabilities caps;
        ret = become_user(process, &caps, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *path = NULL;
        ret = process_find_executable(f->path != NULL ? f->path : process->args.items[0], &process->env, &path,
                                      err);
        if (ret < 0)
                return ret;
        /* The stub needs CAP_SYS_ADMIN for the exe swap (and seccomp without no_new_privs). */
        ret = caps_raise_all(err);
        const int keep[] = { f->sync_fd, f->await_fd, f->accept_fd, f->ctty_fd, f->exe != NULL ? f->exe->mm.exe_fd : -1 };
        if (ret == 0)
                ret = close_fds(f->preserve_fds, keep, sizeof(keep) / sizeof(keep[0]), err);
        if (ret < 0)
                return ret;

        struct stub_message ready, error, hello;
        _cleanup_free_ char *note = f->labels != NULL ? lsm_exec_note(f->labels) : NULL;
        sync_stub_messages(path, note, &ready, &error, &hello);
        struct stub_request req = {
                .exe = f->exe,
                .fork_child = f->fork_child,
                .ctty_fd = f->ctty_fd,
                .caps = process->has_capabilities ? &caps : NULL,
                .no_new_privs = process->no_new_privileges,
                .filter = f->filter,
                .filter_len = f->filter_len,
                .seccomp_flags = f->seccomp_flags,
                .sync_fd = f->sync_fd,
                .await_fd = f->await_fd,
                .accept_fd = f->accept_fd,
                .ready = &ready,
                .error = &error,
                .hello = &hello,
                .path = path,
                .argv = process->args.items,
                .argc = process->args.len,
                .envp = env.items,
                .envc = env.len,
        };
        struct stub_plan *plan;
        ret = stub_build(&req, &plan, err);
        if (ret < 0)
                return ret;
        reset_signals();
        stub_run(plan);
}
