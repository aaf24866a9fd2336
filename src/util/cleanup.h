/* Scope-bound release of fds, heap memory and streams (systemd's _cleanup_ idiom). */
#ifndef NOOK_UTIL_CLEANUP_H
#define NOOK_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"

/* json-c's, declared here so that a user of the cleanup needs no json-c header. */
struct json_object;
int json_object_put(struct json_object *obj);

static inline void cleanup_freep(void *p)
{
        free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void cleanup_fclosep(FILE **f)
{
        if (*f != NULL)
                fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
        if (*d != NULL)
                closedir(*d);
}

/* Frees a NULL-terminated vector of strings and the vector. */
static inline void strv_free(char **v)
{
        if (v == NULL)
                return;
        for (char **p = v; *p != NULL; p++)
                free(*p);
        free(v);
}

static inline void cleanup_strvp(char ***v)
{
        strv_free(*v);
}

static inline void cleanup_json_putp(struct json_object **o)
{
        json_object_put(*o); /* NULL is fine */
}

/* Kills and reaps a child still owned by the variable: an early return between
 * fork and wait leaves no process behind. pid_wait hands the pid back. */
static inline void cleanup_pidp(pid_t *pid)
{
        if (*pid <= 0)
                return;
        int saved = errno;
        kill(*pid, SIGKILL);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                ;
        *pid = 0;
        errno = saved;
}

/* Waits for the child *pid (retrying on EINTR), then sets *pid to 0 so that
 * _cleanup_pid_ leaves it alone. 0, or -errno of waitpid. */
static inline int pid_wait(pid_t *pid, int *status)
{
        int ignored, ret;
        do
                ret = waitpid(*pid, status != NULL ? status : &ignored, 0) < 0 ? -errno : 0;
        while (ret == -EINTR);
        *pid = 0; /* reaped, or not (or no longer) our child: nothing to kill either */
        return ret;
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strvp)))
#define _cleanup_json_ __attribute__((cleanup(cleanup_json_putp)))
#define _cleanup_error_ __attribute__((cleanup(nook_error_free)))
#define _cleanup_pid_ __attribute__((cleanup(cleanup_pidp)))

/* Hands ownership out of a cleanup-managed variable. */
#define steal_pointer(pp)                          \
        ({                                         \
                __typeof__(*(pp)) _stolen = *(pp); \
                *(pp) = NULL;                      \
                _stolen;                           \
        })

static inline int steal_fd(int *fd)
{
        int ret = *fd;
        *fd = -1;
        return ret;
}

static inline pid_t steal_pid(pid_t *pid)
{
        pid_t ret = *pid;
        *pid = 0;
        return ret;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
