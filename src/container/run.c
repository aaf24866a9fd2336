/* `run`: create, start, and (unless detached) stay as the container's parent:
 * forward signals to it, relay its terminal, return its exit code, delete it. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container/launch.h"
#include "container/sync.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Every signal a user may send to nook goes to the container instead, except
 * the ones the kernel raises for nook's own faults. */
static void forwarded_signals(sigset_t *set)
{
        sigfillset(set);
        static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };
        for (size_t i = 0; i < ARRAY_SIZE(own); i++)
                sigdelset(set, own[i]);
}

static bool copy_some(int from, int to)
{
        char buf[8192];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n <= 0)
                return false;
        for (ssize_t done = 0; done < n;) {
                ssize_t w = write(to, buf + done, (size_t)(n - done));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                done += w;
        }
        return true;
}

static void copy_window_size(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* Waits for the init to exit; returns its wait status. */
static int wait_for_exit(struct launch *l, const sigset_t *signals, int *status, nook_err *err)
{
        _cleanup_close_ int sfd = signalfd(-1, signals, SFD_CLOEXEC);
        if (sfd < 0)
                return nook_error_errno(err, "signalfd");
        int master = l->console_master;
        bool stdin_open = master >= 0;
        if (master >= 0 && isatty(STDIN_FILENO))
                copy_window_size(STDIN_FILENO, master);
        for (;;) {
                struct pollfd fds[4] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = l->pidfd, .events = POLLIN },
                        { .fd = master, .events = POLLIN },
                        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
                };
                if (poll(fds, 4, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return nook_error_errno(err, "poll");
                }
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                int sig = (int)si.ssi_signo;
                                if (sig == SIGWINCH && master >= 0)
                                        copy_window_size(STDIN_FILENO, master);
                                else if (sig != SIGCHLD && sig != SIGWINCH)
                                        sys_pidfd_send_signal(l->pidfd, sig, NULL, 0);
                        }
                }
                if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        if (!copy_some(master, STDOUT_FILENO) && !(fds[2].revents & POLLIN))
                                master = -1;
                }
                if (fds[3].revents & (POLLIN | POLLHUP)) {
                        if (!copy_some(STDIN_FILENO, master))
                                stdin_open = false;
                }
                if (fds[1].revents & POLLIN)
                        break;
        }
        while (waitpid(l->pid, status, 0) < 0)
                if (errno != EINTR)
                        return nook_error_errno(err, "wait for the container process");
        /* What the program wrote just before it exited is still in the pty. */
        while (master >= 0) {
                struct pollfd pfd = { .fd = master, .events = POLLIN };
                if (poll(&pfd, 1, 0) <= 0 || !copy_some(master, STDOUT_FILENO))
                        break;
        }
        return 0;
}

int container_run(const struct create_options *opts, bool detach, bool keep, int *exit_code, nook_err *err)
{
        sigset_t signals, old;
        forwarded_signals(&signals);
        /* Blocked before the clone so that no signal is lost in between. */
        sigprocmask(SIG_BLOCK, &signals, &old);

        struct launch l;
        int ret = launch_prepare(&l, opts, LAUNCH_RUN, err);
        if (ret == 0 && detach && l.spec->process->terminal && opts->console_socket == NULL)
                ret = nook_error(err, 0, "process.terminal is true: --detach needs --console-socket");
        if (ret == 0)
                ret = launch_spawn(&l, err);
        if (ret == 0)
                ret = sync_send(l.sync_fd, SYNC_GO, 0, err);
        if (ret == 0)
                ret = start_wait_exec(l.sync_fd, err);
        if (ret == 0)
                ret = launch_run_hooks(&l, HOOK_POSTSTART, STATUS_RUNNING, err);
        if (ret < 0) {
                launch_abort(&l);
                launch_free(&l);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return ret;
        }
        *exit_code = 0;
        if (!detach) {
                struct termios saved;
                bool raw = l.console_master >= 0 && isatty(STDIN_FILENO) &&
                           terminal_make_raw(STDIN_FILENO, &saved, NULL) == 0;
                int status = 0;
                ret = wait_for_exit(&l, &signals, &status, err);
                if (raw)
                        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
                if (ret == 0)
                        *exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
                if (ret == 0 && !keep)
                        ret = container_destroy(&l.state, l.spec, err);
        }
        launch_free(&l);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}
