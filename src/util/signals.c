#define _GNU_SOURCE
#include "util/signals.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"

static const struct {
        const char *name;
        int sig;
} signals[] = {
        { "HUP", SIGHUP },       { "INT", SIGINT },         { "QUIT", SIGQUIT },     { "ILL", SIGILL },
        { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },       { "IOT", SIGIOT },       { "BUS", SIGBUS },
        { "FPE", SIGFPE },       { "KILL", SIGKILL },       { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
        { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },       { "ALRM", SIGALRM },     { "TERM", SIGTERM },
        { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },       { "CONT", SIGCONT },     { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },       { "TTOU", SIGTTOU },     { "URG", SIGURG },
        { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },       { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
        { "WINCH", SIGWINCH },   { "IO", SIGIO },           { "POLL", SIGPOLL },     { "PWR", SIGPWR },
        { "SYS", SIGSYS },
};

int signal_from_name(const char *name)
{
        char *end;
        long number = strtol(name, &end, 10);
        if (*name != '\0' && *end == '\0')
                return number > 0 && number < NSIG ? (int)number : -1;
        if (strncasecmp(name, "SIG", 3) == 0)
                name += 3;
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
                if (strcasecmp(signals[i].name, name) == 0)
                        return signals[i].sig;
        /* RTMIN+n and RTMAX-n, as kill(1) writes them. */
        if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
                bool max = strncasecmp(name, "RTMAX", 5) == 0;
                long offset = name[5] == '\0' ? 0 : strtol(name + 5, &end, 10);
                if (name[5] != '\0' && *end != '\0')
                        return -1;
                int sig = (max ? SIGRTMAX : SIGRTMIN) + (int)offset;
                return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
        }
        return -1;
}
