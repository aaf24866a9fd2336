/* A scratch directory of a test under /tmp: made from a template
 * ("/tmp/nook-unit-NAME-XXXXXX", rewritten in place) with an O_PATH fd on it,
 * and removed with everything in it. */
#ifndef NOOK_TESTS_SCRATCH_H
#define NOOK_TESTS_SCRATCH_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline int scratch_make(char *template, int *fd)
{
        if (mkdtemp(template) == NULL)
                return -1;
        *fd = open(template, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return *fd < 0 ? -1 : 0;
}

static inline int scratch_remove(const char *path, int fd)
{
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
        close(fd);
        return system(cmd);
}

#endif
