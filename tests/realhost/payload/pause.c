/* The CRI sandbox's process for the real-host rig (built static by rig.py, packed as the local
 * image localhost/pause:realhost): as PID 1 of the pod it reaps orphans and sleeps until
 * SIGINT or SIGTERM. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
        (void)sig;
        stop = 1;
}

static void on_child(int sig)
{
        (void)sig;
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

int main(void)
{
        struct sigaction sa = {0};
        sigset_t blocked, waiting;
        /* Blocked but while waiting: a signal between the test and the wait is not lost. */
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGINT);
        sigaddset(&blocked, SIGTERM);
        sigaddset(&blocked, SIGCHLD);
        sigprocmask(SIG_BLOCK, &blocked, &waiting);
        sigdelset(&waiting, SIGINT);
        sigdelset(&waiting, SIGTERM);
        sigdelset(&waiting, SIGCHLD);
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sa.sa_handler = on_child;
        sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
        sigaction(SIGCHLD, &sa, NULL);
        if (getpid() != 1)
                fprintf(stderr, "pause: not PID 1, reaping only my own children\n");
        while (!stop)
                sigsuspend(&waiting);
        return 0;
}
