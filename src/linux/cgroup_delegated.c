/* Rootless cgroups: only where someone delegated a subtree to the caller (root
 * chowning a cgroup2 directory and its cgroup.procs, or systemd's user
 * delegation) may an unprivileged nook create and enter cgroups. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The nearest directory of path that exists (path itself, or a parent below the
 * mount) must be writable, and so its cgroup.procs: moving a process needs write
 * access to the cgroup.procs of the common ancestor of where it is and where it goes. */
static bool delegated(const struct cgroup_hierarchy *h)
{
        _cleanup_free_ char *dir = strdup(h->path);
        if (dir == NULL)
                return false;
        size_t mount_len = strlen(h->mount);
        while (access(dir, F_OK) < 0) {
                char *slash = strrchr(dir, '/');
                if (slash == NULL || (size_t)(slash - dir) < mount_len)
                        return false;
                *slash = '\0';
        }
        _cleanup_free_ char *procs = path_join(dir, "cgroup.procs");
        return procs != NULL && access(dir, W_OK | X_OK) == 0 && access(procs, W_OK) == 0;
}

void cgroup_keep_delegated(struct cgroup *cg)
{
        size_t kept = 0;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                struct cgroup_hierarchy *h = &cg->hierarchies[i];
                if (delegated(h)) {
                        cg->hierarchies[kept++] = *h;
                        continue;
                }
                free(h->controllers);
                free(h->mount);
                free(h->path);
        }
        cg->n_hierarchies = kept;
        /* A cgroup2 directory alone (hybrid host) is used as on a cgroup2 host. */
        if (kept == 1 && cg->hierarchies[0].v2)
                cg->mode = CGROUP_MODE_V2;
}
