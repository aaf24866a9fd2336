#define _GNU_SOURCE
#include "linux/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

void mount_flags_to_attr(unsigned long set_flags, unsigned long clear_flags, uint64_t *attr_set, uint64_t *attr_clr)
{
        static const struct {
                unsigned long flag;
                uint64_t attr;
        } bits[] = {
                { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
                { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
                { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
        };
        uint64_t set = 0, clr = 0;
        for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
                if (set_flags & bits[i].flag)
                        set |= bits[i].attr;
                else if (clear_flags & bits[i].flag)
                        clr |= bits[i].attr;
        }
        /* The access-time mode is one field (MOUNT_ATTR__ATIME), and relatime is its zero value. */
        if (set_flags & MS_NOATIME)
                set |= MOUNT_ATTR_NOATIME;
        else if (set_flags & MS_STRICTATIME)
                set |= MOUNT_ATTR_STRICTATIME;
        if ((set_flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) ||
            (clear_flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)))
                clr |= MOUNT_ATTR__ATIME;
        *attr_set = set;
        *attr_clr = clr;
}

static bool change_is_empty(const struct mount_change *c)
{
        return c == NULL || (c->attr_set == 0 && c->attr_clr == 0 && c->propagation == 0);
}

int mount_apply(int mount_fd, bool recursive, const struct mount_change *change, const char *what, nook_err *err)
{
        if (change_is_empty(change))
                return 0;
        struct mount_attr attr = {
                .attr_set = change->attr_set,
                .attr_clr = change->attr_clr,
                .propagation = change->propagation,
                .userns_fd = (change->attr_set & MOUNT_ATTR_IDMAP) ? (uint64_t)change->userns_fd : 0,
        };
        unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
        if (sys_mount_setattr(mount_fd, "", flags, &attr) < 0)
                return nook_error_errno(err, "set mount attributes of `%s`", what);
        return 0;
}

int mount_bind(int src_dirfd, const char *src_path, bool recursive, const struct mount_change *top,
               const struct mount_change *rec, int target_fd, nook_err *err)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        if (src_path == NULL)
                flags |= AT_EMPTY_PATH;
        const char *what = src_path != NULL ? src_path : "(fd)";
        _cleanup_close_ int tree = sys_open_tree(src_dirfd, src_path != NULL ? src_path : "", flags);
        if (tree < 0)
                return nook_error_errno(err, "bind `%s`", what);
        /* Propagation is set once attached: a detached tree has no peers to share with. */
        struct mount_change top_attrs = { 0 }, rec_attrs = { 0 };
        if (top != NULL) {
                top_attrs = *top;
                top_attrs.propagation = 0;
        }
        if (rec != NULL) {
                rec_attrs = *rec;
                rec_attrs.propagation = 0;
        }
        int ret = mount_apply(tree, true, &rec_attrs, what, err);
        if (ret == 0)
                ret = mount_apply(tree, false, &top_attrs, what, err);
        if (ret < 0)
                return ret;
        if (sys_move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return nook_error_errno(err, "attach bind mount of `%s`", what);
        if (rec != NULL && rec->propagation != 0) {
                struct mount_change p = { .propagation = rec->propagation };
                ret = mount_apply(tree, true, &p, what, err);
        } else if (top != NULL && top->propagation != 0) {
                struct mount_change p = { .propagation = top->propagation };
                ret = mount_apply(tree, false, &p, what, err);
        }
        if (ret < 0)
                return ret;
        return steal_fd(&tree);
}

int mount_fs(const char *source, const char *type, unsigned long flags, const char *data, int target_fd,
             const char *what, nook_err *err)
{
        char target[64];
        if (mount(source, fd_path(target_fd, target, sizeof(target)), type, flags, data) < 0)
                return nook_error_errno(err, "mount %s on `%s`", type, what);
        return 0;
}
