#define _GNU_SOURCE
#include "container/foreground.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "util/cleanup.h"

void foreground_signals(sigset_t *set)
{
        sigfillset(set);
        static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };
        for (size_t i = 0; i < ARRAY_SIZE(own); i++)
                sigdelset(set, own[i]);
}

static void copy_window_size(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

void foreground_terminal_begin(int master, struct foreground_terminal *t)
{
        t->raw = false;
        if (!isatty(STDIN_FILENO))
                return;
        if (master >= 0)
                copy_window_size(STDIN_FILENO, master);
        t->raw = terminal_make_raw(STDIN_FILENO, &t->saved, NULL) == 0;
}

void foreground_terminal_end(struct foreground_terminal *t)
{
        if (t->raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
        t->raw = false;
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

int foreground_wait(pid_t pid, int pidfd, int master, const sigset_t *signals, int *exit_code, nook_err *err)
{
        _cleanup_close_ int sfd = signalfd(-1, signals, SFD_CLOEXEC);
        if (sfd < 0)
                return nook_error_errno(err, "signalfd");
        bool stdin_open = master >= 0;
        for (;;) {
                struct pollfd fds[4] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = pidfd, .events = POLLIN },
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
                                        sys_pidfd_send_signal(pidfd, sig, NULL, 0);
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
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return nook_error_errno(err, "wait for the container process");
        /* What the program wrote just before it exited is still in the pty. */
        while (master >= 0) {
                struct pollfd pfd = { .fd = master, .events = POLLIN };
                if (poll(&pfd, 1, 0) <= 0 || !copy_some(master, STDOUT_FILENO))
                        break;
        }
        *exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        return 0;
}
