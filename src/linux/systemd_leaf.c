/* Entering the container's leaf of a systemd unit and delegating the unit's
 * controllers to it (systemd_leaf.h says why in that order). */
#define _GNU_SOURCE
#include "linux/systemd_leaf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* "+a +b" for the controllers listed in "a b\n". */
static char *enable_request(const char *controllers)
{
        char *out = calloc(1, strlen(controllers) * 2 + 2);
        if (out == NULL)
                return NULL;
        for (const char *p = controllers; *p != '\0';) {
                p += strspn(p, " \n");
                size_t n = strcspn(p, " \n");
                if (n == 0)
                        break;
                if (out[0] != '\0')
                        strcat(out, " ");
                strcat(out, "+");
                strncat(out, p, n);
                p += n;
        }
        return out;
}

int systemd_enter_leaf(struct cgroup *cg, pid_t pid, nook_err *err)
{
        if (cg->n_hierarchies != 1 || !cg->hierarchies[0].v2)
                return nook_error(err, EINVAL, "systemd leaf: not a lone cgroup2 hierarchy");
        struct cgroup_hierarchy *h = &cg->hierarchies[0];
        _cleanup_free_ char *unit_dir = strdup(h->path);
        if (unit_dir == NULL)
                return nook_error(err, ENOMEM, "systemd leaf");
        char *slash = strrchr(unit_dir, '/');
        if (slash == NULL || slash == unit_dir)
                return nook_error(err, EINVAL, "systemd leaf `%s`: no unit directory above it", h->path);
        *slash = '\0';
        if (mkdir(h->path, 0755) < 0)
                return nook_error_errno(err, "create cgroup `%s`", h->path);
        h->created = 1;
        _cleanup_free_ char *procs = NULL, *controllers_file = NULL, *subtree = NULL, *controllers = NULL;
        if (asprintf(&procs, "%s/cgroup.procs", h->path) < 0 ||
            asprintf(&controllers_file, "%s/cgroup.controllers", unit_dir) < 0 ||
            asprintf(&subtree, "%s/cgroup.subtree_control", unit_dir) < 0)
                return nook_error(err, ENOMEM, "systemd leaf");
        char value[32];
        int len = snprintf(value, sizeof(value), "%d", (int)pid);
        int ret = write_file_at(AT_FDCWD, procs, value, (size_t)len, err);
        if (ret < 0)
                return nook_error_wrap(err, "move process %d into the container's cgroup", (int)pid);
        ret = read_file_at(AT_FDCWD, controllers_file, &controllers, NULL, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *request = enable_request(controllers);
        if (request == NULL)
                return nook_error(err, ENOMEM, "systemd leaf");
        if (request[0] != '\0') {
                ret = write_file_at(AT_FDCWD, subtree, request, strlen(request), err);
                if (ret < 0)
                        return nook_error_wrap(err, "delegate the unit's controllers to the container's cgroup");
        }
        cg->v2_fd = open(h->path, O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (cg->v2_fd < 0)
                return nook_error_errno(err, "open cgroup `%s`", h->path);
        return 0;
}
