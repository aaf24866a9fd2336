/* Scope-bound release of fds, heap memory and streams (systemd's _cleanup_ idiom). */
#ifndef NOOK_UTIL_CLEANUP_H
#define NOOK_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strvp)))

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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
