/* The OCI "cgroup" mount type: the container's view of the host's hierarchies. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "linux/lsm.h"
#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Mounts one hierarchy on target: the cgroup filesystem itself inside a cgroup
 * namespace, else a bind of the container's own directory from the host. */
static int mount_hierarchy(const struct cgroup_hierarchy *h, int target_fd, unsigned long fs_flags,
                           bool has_cgroupns, const char *what, nook_err *err)
{
        if (has_cgroupns)
                return mount_fs(h->v2 ? "cgroup2" : "cgroup", h->v2 ? "cgroup2" : "cgroup", fs_flags,
                                h->v2 ? NULL : h->controllers, target_fd, what, err);
        struct mount_change top = { 0 };
        mount_flags_to_attr(fs_flags, 0, &top.attr_set, &top.attr_clr);
        int fd = mount_bind(AT_FDCWD, h->path, true, &top, NULL, target_fd, err);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

int cgroup_mount_in_container(const struct cgroup *cg, int rootfd, const char *dest, unsigned long flags,
                              bool has_cgroupns, const char *mount_label, nook_err *err)
{
        _cleanup_close_ int target_fd = open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, CREATE_DIR, err);
        if (target_fd < 0)
                return target_fd;
        unsigned long fs_flags = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY);
        if (cg->mode == CGROUP_MODE_V2)
                return mount_hierarchy(&cg->hierarchies[0], target_fd, fs_flags, has_cgroupns, dest, err);

        /* v1 and hybrid: a tmpfs holding one directory per hierarchy. */
        _cleanup_free_ char *labelled = NULL;
        int ret = lsm_mount_data("mode=755", mount_label, &labelled, err);
        if (ret == 0)
                ret = mount_fs("tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               labelled != NULL ? labelled : "mode=755", target_fd, dest, err);
        if (ret < 0)
                return ret;
        /* The fd names the directory under the new tmpfs (a magic link does not cross
         * into a mount made on it): resolve the path again to reach the tmpfs. */
        _cleanup_close_ int dir = open_in_root(rootfd, dest, O_DIRECTORY, CREATE_NONE, err);
        if (dir < 0)
                return dir;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const struct cgroup_hierarchy *h = &cg->hierarchies[i];
                const char *name = strrchr(h->mount, '/') + 1;
                if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
                        return nook_error_errno(err, "mkdir `%s/%s`", dest, name);
                _cleanup_close_ int sub = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return nook_error_errno(err, "open `%s/%s`", dest, name);
                char what[256];
                snprintf(what, sizeof(what), "%s/%s", dest, name);
                ret = mount_hierarchy(h, sub, fs_flags, has_cgroupns, what, err);
                if (ret < 0)
                        return ret;
                /* Co-mounted controllers ("cpu,cpuacct") get a link per controller, as on the host. */
                if (strchr(name, ',') != NULL) {
                        _cleanup_free_ char *copy = strdup(name);
                        char *save = NULL;
                        for (char *c = copy != NULL ? strtok_r(copy, ",", &save) : NULL; c != NULL;
                             c = strtok_r(NULL, ",", &save))
                                if (symlinkat(name, dir, c) < 0 && errno != EEXIST)
                                        return nook_error_errno(err, "symlink `%s/%s`", dest, c);
                }
        }
        if (flags & MS_RDONLY) {
                char path[64];
                if (mount(NULL, fd_path(dir, path, sizeof(path)), NULL,
                          MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "mode=755") < 0)
                        return nook_error_errno(err, "remount `%s` read-only", dest);
        }
        return 0;
}
