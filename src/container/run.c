/* `run`: create, start, and (unless detached) stay as the container's parent:
 * forward signals to it, relay its terminal, return its exit code, delete it. */
#define _GNU_SOURCE
#include <signal.h>

#include "container/foreground.h"
#include "util/log.h"
#include "container/launch.h"
#include "container/sync.h"

int container_run(const struct create_options *opts, bool detach, bool keep, int *exit_code, nook_err *err)
{
        sigset_t signals, old;
        foreground_signals(&signals);
        /* Blocked before the clone so that no signal is lost in between. */
        sigprocmask(SIG_BLOCK, &signals, &old);

        struct launch l;
        int ret = launch_prepare(&l, opts, LAUNCH_RUN, err);
        if (ret == 0 && detach && l.spec->process->terminal && opts->console_socket == NULL)
                ret = nook_error(err, 0, "process.terminal is true: --detach needs --console-socket");
        if (ret == 0)
                ret = launch_spawn(&l, err);
        /* The window size and raw mode are in place before the program looks. */
        struct foreground_terminal terminal = { 0 };
        if (ret == 0 && !detach)
                foreground_terminal_begin(l.console_master, &terminal);
        if (ret == 0)
                ret = launch_run_hooks(&l, HOOK_START_CONTAINER, STATUS_CREATED, err);
        if (ret == 0)
                ret = launch_release(&l, err);
        if (ret == 0)
                ret = start_wait_exec(l.sync_fd, err);
        log_debug("run %s: program started", opts->id);
        if (ret == 0)
                ret = launch_run_hooks(&l, HOOK_POSTSTART, STATUS_RUNNING, err);
        if (ret < 0) {
                foreground_terminal_end(&terminal);
                launch_abort(&l);
                launch_free(&l);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return ret;
        }
        *exit_code = 0;
        if (!detach) {
                ret = foreground_wait(l.pid, l.pidfd, l.console_master, &signals, exit_code, err);
                log_debug("run %s: program exited", opts->id);
                foreground_terminal_end(&terminal);
                if (ret == 0 && !keep)
                        ret = container_destroy(&l.state, l.spec, err);
                log_debug("run %s: container removed", opts->id);
        }
        launch_free(&l);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}
