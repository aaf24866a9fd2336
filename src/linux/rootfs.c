#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/mount.h"
#include "linux/mount_options.h"
#include "linux/syscalls.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The mount point that holds path, from /proc/self/mountinfo (longest prefix). */
static char *mount_point_of(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
                return NULL;
        char *best = NULL;
        size_t best_len = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                char mountpoint[4096];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mountpoint) != 1)
                        continue;
                size_t len = strlen(mountpoint);
                bool prefix = strncmp(path, mountpoint, len) == 0 &&
                              (path[len] == '/' || path[len] == '\0' || strcmp(mountpoint, "/") == 0);
                if (prefix && len >= best_len) {
                        free(best);
                        best = strdup(mountpoint);
                        best_len = len;
                }
        }
        return best;
}

int rootfs_prepare(const char *rootfs, const char *propagation, int *rootfd, nook_err *err)
{
        unsigned long flags = MS_PRIVATE | MS_REC;
        if (propagation != NULL && propagation[0] != '\0')
                flags = mount_propagation_from_name(propagation);
        /* An unbindable mount cannot be bound (the rootfs bind below would fail with
         * EINVAL): private for now, unbindable once pivoted (rootfs_finish_propagation). */
        if (flags & MS_UNBINDABLE)
                flags = (flags & ~(unsigned long)MS_UNBINDABLE) | MS_PRIVATE;
        if (mount(NULL, "/", NULL, flags, NULL) < 0)
                return nook_error_errno(err, "set propagation of `/` to %s",
                                        propagation != NULL ? propagation : "rprivate");
        if (flags & MS_SHARED) {
                /* The bind below must not propagate to the host, and pivot_root refuses a
                 * shared parent: make the mount holding the rootfs private first. */
                _cleanup_free_ char *parent = mount_point_of(rootfs);
                if (parent != NULL && mount(NULL, parent, NULL, MS_PRIVATE, NULL) < 0)
                        return nook_error_errno(err, "make `%s` private", parent);
        }
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return nook_error_errno(err, "bind rootfs `%s`", rootfs);
        int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open rootfs `%s`", rootfs);
        *rootfd = fd;
        return 0;
}

bool rootfs_needs_dev(const struct spec *spec)
{
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                if (strcmp(m->destination, "/dev") != 0)
                        continue;
                for (size_t j = 0; j < m->options.len; j++)
                        if (strcmp(m->options.items[j], "bind") == 0 || strcmp(m->options.items[j], "rbind") == 0)
                                return false;
                return m->type == NULL || strcmp(m->type, "bind") != 0;
        }
        return false;
}

static bool is_bind(const struct spec_mount *m, const struct mount_options *opts)
{
        return (opts->flags & MS_BIND) || (m->type != NULL && strcmp(m->type, "bind") == 0);
}

/* procfs and sysfs may only go where the path names, never through a symlink
 * in the image (CVE-2019-16884: /proc swapped for a symlink to a fake one). */
static int check_no_symlink(int rootfd, int target, const char *dest, const char *type, nook_err *err)
{
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        _cleanup_close_ int direct = (int)syscall(SYS_openat2, rootfd, dest, &how, sizeof(how));
        struct stat a, b;
        if (direct < 0 || fstat(direct, &a) < 0 || fstat(target, &b) < 0 || a.st_dev != b.st_dev ||
            a.st_ino != b.st_ino)
                return nook_error(err, ELOOP, "mount %s on `%s`: the destination is (or goes through) a symlink",
                                  type, dest);
        return 0;
}

/* After mounting procfs, what sits at dest must be a procfs root. */
static int check_proc_mounted(int rootfd, const char *dest, nook_err *err)
{
        _cleanup_close_ int fd = open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, CREATE_NONE, err);
        if (fd < 0)
                return fd;
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return nook_error_errno(err, "statfs `%s`", dest);
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return nook_error(err, EINVAL, "`%s` is not procfs after mounting it", dest);
        return 0;
}

/* Copies the tree below src into dst (tmpcopyup): files, dirs, symlinks, with mode and owner. */
static int copy_tree(int src, int dst, const char *dest, nook_err *err)
{
        _cleanup_closedir_ DIR *d = fdopendir(dup(src));
        if (d == NULL)
                return nook_error_errno(err, "tmpcopyup `%s`", dest);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                struct stat st;
                if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return nook_error_errno(err, "tmpcopyup `%s/%s`", dest, e->d_name);
                int ret = 0;
                if (S_ISDIR(st.st_mode)) {
                        if (mkdirat(dst, e->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)
                                return nook_error_errno(err, "tmpcopyup mkdir `%s/%s`", dest, e->d_name);
                        _cleanup_close_ int s = openat(src, e->d_name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        _cleanup_close_ int t = openat(dst, e->d_name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s < 0 || t < 0)
                                return nook_error_errno(err, "tmpcopyup `%s/%s`", dest, e->d_name);
                        ret = copy_tree(s, t, dest, err);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t n = readlinkat(src, e->d_name, target, sizeof(target) - 1);
                        if (n < 0)
                                return nook_error_errno(err, "tmpcopyup readlink `%s/%s`", dest, e->d_name);
                        target[n] = '\0';
                        if (symlinkat(target, dst, e->d_name) < 0)
                                return nook_error_errno(err, "tmpcopyup symlink `%s/%s`", dest, e->d_name);
                } else if (S_ISREG(st.st_mode)) {
                        _cleanup_close_ int in = openat(src, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        _cleanup_close_ int out =
                                openat(dst, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
                        if (in < 0 || out < 0)
                                return nook_error_errno(err, "tmpcopyup `%s/%s`", dest, e->d_name);
                        char buf[65536];
                        ssize_t n;
                        while ((n = read(in, buf, sizeof(buf))) > 0)
                                if (write(out, buf, (size_t)n) != n)
                                        return nook_error_errno(err, "tmpcopyup write `%s/%s`", dest, e->d_name);
                        if (n < 0)
                                return nook_error_errno(err, "tmpcopyup read `%s/%s`", dest, e->d_name);
                } else {
                        continue; /* device nodes, fifos and sockets are not copied up */
                }
                if (ret < 0)
                        return ret;
                if (fchownat(dst, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM &&
                    errno != EINVAL)
                        return nook_error_errno(err, "tmpcopyup chown `%s/%s`", dest, e->d_name);
                if (!S_ISLNK(st.st_mode) && fchmodat(dst, e->d_name, st.st_mode & 07777, 0) < 0)
                        return nook_error_errno(err, "tmpcopyup chmod `%s/%s`", dest, e->d_name);
        }
        return 0;
}

static int mount_bind_entry(const struct rootfs_context *ctx, const struct spec_mount *m,
                            const struct mount_options *opts, int idmap_userns_fd, nook_err *err)
{
        if (m->source == NULL || m->source[0] == '\0')
                return nook_error(err, EINVAL, "bind mount on `%s`: no source", m->destination);
        struct stat st;
        if (stat(m->source, &st) < 0)
                return nook_error_errno(err, "bind mount source `%s`", m->source);
        _cleanup_close_ int target = open_in_root(ctx->rootfd, m->destination, O_PATH,
                                                  S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE, err);
        if (target < 0)
                return nook_error_wrap(err, "bind mount `%s`", m->source);
        struct mount_change top = { 0 }, rec = { 0 };
        mount_flags_to_attr(opts->flags, opts->clear_flags, &top.attr_set, &top.attr_clr);
        rec.attr_set = opts->rec_attr_set;
        rec.attr_clr = opts->rec_attr_clr;
        if (rec.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
                rec.attr_clr |= MOUNT_ATTR__ATIME;
        if (idmap_userns_fd >= 0) {
                struct mount_change *idmapped = opts->rec_idmap ? &rec : &top;
                idmapped->attr_set |= MOUNT_ATTR_IDMAP;
                idmapped->userns_fd = idmap_userns_fd;
        }
        unsigned long propagation = opts->propagation & ~(unsigned long)MS_REC;
        if (opts->propagation & MS_REC)
                rec.propagation = propagation;
        else
                top.propagation = propagation;
        int mnt = mount_bind(AT_FDCWD, m->source, (opts->flags & MS_REC) != 0, &top, &rec, target, err);
        if (mnt < 0)
                return nook_error_wrap(err, "on `%s`", m->destination);
        close(mnt);
        return 0;
}

/* uid=N and gid=N in filesystem data name container ids (runc mounts in the
 * container's user namespace); from outside it, the kernel must be given the
 * host's. Rewrites *data in place (a new string). */
static int map_option_ids(const struct rootfs_context *ctx, char **data, const char *dest, nook_err *err)
{
        if (ctx->uid_map == NULL || *data == NULL)
                return 0;
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (f == NULL)
                return nook_error(err, ENOMEM, "mount options");
        _cleanup_free_ char *copy = strdup(*data);
        char *save = NULL;
        int ret = copy == NULL ? nook_error(err, ENOMEM, "mount options") : 0;
        for (char *opt = copy != NULL ? strtok_r(copy, ",", &save) : NULL; opt != NULL && ret == 0;
             opt = strtok_r(NULL, ",", &save)) {
                bool uid = strncmp(opt, "uid=", 4) == 0, gid = strncmp(opt, "gid=", 4) == 0;
                char *end = NULL;
                unsigned long id = uid || gid ? strtoul(opt + 4, &end, 10) : 0;
                uint32_t host;
                if (!(uid || gid) || end == opt + 4 || *end != '\0') {
                        fprintf(f, "%s%s", ftell(f) > 0 ? "," : "", opt);
                } else if (userns_map_id(uid ? ctx->uid_map : ctx->gid_map, (uint32_t)id, &host)) {
                        fprintf(f, "%s%cid=%u", ftell(f) > 0 ? "," : "", uid ? 'u' : 'g', host);
                } else {
                        ret = nook_error(err, EINVAL, "mount on `%s`: option %s: not mapped in the container's user "
                                         "namespace", dest, opt);
                }
        }
        fclose(f);
        if (ret < 0) {
                free(out);
                return ret;
        }
        free(*data);
        *data = out;
        return 0;
}

static int mount_fs_entry(const struct rootfs_context *ctx, const struct spec_mount *m,
                          struct mount_options *opts, nook_err *err)
{
        const char *type = m->type;
        _cleanup_close_ int target = open_in_root(ctx->rootfd, m->destination, O_PATH, CREATE_DIR, err);
        if (target < 0)
                return nook_error_wrap(err, "mount %s", type);
        bool proc = strcmp(type, "proc") == 0;
        if (proc || strcmp(type, "sysfs") == 0) {
                int ret = check_no_symlink(ctx->rootfd, target, m->destination, type, err);
                if (ret < 0)
                        return ret;
        }
        _cleanup_close_ int below = -1;
        if (opts->tmpcopyup) {
                below = open_in_root(ctx->rootfd, m->destination, O_DIRECTORY, CREATE_NONE, err);
                if (below < 0)
                        return nook_error_wrap(err, "tmpcopyup");
        }
        unsigned long flags = opts->flags & ~(MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE);
        const char *source = m->source != NULL && m->source[0] != '\0' ? m->source : type;
        int ret = map_option_ids(ctx, &opts->data, m->destination, err);
        if (ret < 0)
                return ret;
        ret = mount_fs(source, type, flags, opts->data, target, m->destination, err);
        if (ret < 0)
                return ret;
        if (proc) {
                ret = check_proc_mounted(ctx->rootfd, m->destination, err);
                if (ret < 0)
                        return ret;
        }
        if (opts->propagation == 0 && below < 0)
                return 0;
        /* The new mount is reached by resolving the path again, not through the old fd. */
        _cleanup_close_ int mounted = open_in_root(ctx->rootfd, m->destination, O_DIRECTORY, CREATE_NONE, err);
        if (mounted < 0)
                return mounted;
        if (below >= 0) {
                ret = copy_tree(below, mounted, m->destination, err);
                if (ret < 0)
                        return ret;
        }
        if (opts->propagation != 0) {
                char path[64];
                if (mount(NULL, fd_path(mounted, path, sizeof(path)), NULL, opts->propagation, NULL) < 0)
                        return nook_error_errno(err, "set propagation of `%s`", m->destination);
        }
        return 0;
}

/* The "cgroup" type without a cgroup of our own (rootless): the host's view, read-only. */
static int mount_host_cgroup(const struct rootfs_context *ctx, const struct spec_mount *m,
                             const struct mount_options *opts, nook_err *err)
{
        _cleanup_close_ int target = open_in_root(ctx->rootfd, m->destination, O_PATH, CREATE_DIR, err);
        if (target < 0)
                return target;
        struct mount_change top = { 0 };
        mount_flags_to_attr(opts->flags, 0, &top.attr_set, &top.attr_clr);
        struct mount_change rec = { .attr_set = top.attr_set & MOUNT_ATTR_RDONLY };
        int mnt = mount_bind(AT_FDCWD, "/sys/fs/cgroup", true, &top, &rec, target, err);
        if (mnt < 0)
                return nook_error_wrap(err, "cgroup mount on `%s`", m->destination);
        close(mnt);
        return 0;
}

int rootfs_mount(const struct rootfs_context *ctx, const struct spec_mount *m, int idmap_userns_fd, nook_err *err)
{
        struct mount_options opts;
        int ret = mount_options_parse(m->options.items, m->options.len, &opts, err);
        if (ret < 0)
                return ret;
        if (is_bind(m, &opts))
                ret = mount_bind_entry(ctx, m, &opts, idmap_userns_fd, err);
        else if (m->type == NULL || m->type[0] == '\0')
                ret = nook_error(err, EINVAL, "mount on `%s`: no type and not a bind mount", m->destination);
        else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
                ret = ctx->cgroup != NULL ? cgroup_mount_in_container(ctx->cgroup, ctx->rootfd, m->destination,
                                                                      opts.flags, ctx->has_cgroupns, err)
                                          : mount_host_cgroup(ctx, m, &opts, err);
        else
                ret = mount_fs_entry(ctx, m, &opts, err);
        mount_options_free(&opts);
        return ret;
}

int rootfs_pivot(int rootfd, bool no_pivot, nook_err *err)
{
        if (fchdir(rootfd) < 0)
                return nook_error_errno(err, "chdir to the rootfs");
        if (no_pivot) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return nook_error_errno(err, "move the rootfs to `/`");
                if (chroot(".") < 0)
                        return nook_error_errno(err, "chroot");
        } else {
                /* pivot_root(".", "."): the old root lands on top of the new one and is
                 * detached at once; slave first so the unmount cannot reach the host.
                 * "." must name the old root through an fd taken before: after the pivot,
                 * "." and "/" resolve to the new root, and making *that* tree a slave
                 * would cut rshared mounts off from their host peers. */
                _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (oldroot < 0)
                        return nook_error_errno(err, "open the old root");
                if (sys_pivot_root(".", ".") < 0)
                        return nook_error_errno(err, "pivot_root");
                if (fchdir(oldroot) < 0)
                        return nook_error_errno(err, "chdir to the old root");
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return nook_error_errno(err, "make the old root a slave");
                if (umount2(".", MNT_DETACH) < 0)
                        return nook_error_errno(err, "unmount the old root");
        }
        if (chdir("/") < 0)
                return nook_error_errno(err, "chdir `/`");
        return 0;
}

int rootfs_finish_propagation(const char *propagation, nook_err *err)
{
        if (propagation == NULL || propagation[0] == '\0')
                return 0;
        unsigned long flags = mount_propagation_from_name(propagation);
        if ((flags & MS_PRIVATE) != 0)
                return 0;
        if (mount(NULL, "/", NULL, flags, NULL) < 0)
                return nook_error_errno(err, "set propagation of the container's `/` to %s", propagation);
        return 0;
}

int rootfs_make_readonly(int rootfd, nook_err *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        int ret = rootfd >= 0 ? sys_mount_setattr(rootfd, "", AT_EMPTY_PATH, &attr)
                              : sys_mount_setattr(AT_FDCWD, "/", 0, &attr);
        if (ret < 0)
                return nook_error_errno(err, "make `/` read-only");
        return 0;
}
