/* The config's mounts[], each inside the rootfs: destinations resolved with
 * RESOLVE_IN_ROOT, binds made detached (open_tree) and attached by fd, the
 * options as the config parser left them (spec/mount_options.h). */
#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "linux/mount.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

bool rootfs_needs_dev(const struct spec *spec)
{
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                if (path_same(m->destination, "/dev"))
                        return m->parsed.kind != MOUNT_KIND_BIND;
        }
        return false;
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
        _cleanup_closedir_ DIR *d = opendir_dup(src);
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
                        char target[PATH_MAX];
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

/* A mount made on "/" itself stacks on the rootfs: from now on the rootfs is
 * that mount, reached by its path (the old fd still names the one beneath). */
static int take_new_root(struct rootfs_context *ctx, nook_err *err)
{
        int fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open the rootfs `%s` again", ctx->rootfs);
        close(ctx->rootfd);
        ctx->rootfd = fd;
        return 0;
}

/* A tmpfs, or whatever covers /dev, is made read-only only once what goes in it
 * exists (devices, the mount points of later mounts), as runc does. */
static bool read_only_later(const struct spec_mount *m)
{
        return m->parsed.kind == MOUNT_KIND_TMPFS || path_same(m->destination, "/dev");
}

/* Keeps the mount (*mount_fd, taken) to be made read-only (recursive: with
 * everything below it) by rootfs_finish_mounts. */
static int defer_read_only(struct rootfs_context *ctx, const struct spec_mount *m, int *mount_fd, bool recursive,
                           nook_err *err)
{
        struct rootfs_read_only *later =
                realloc(ctx->read_only_later, (ctx->n_read_only_later + 1) * sizeof(*ctx->read_only_later));
        if (later == NULL)
                return nook_error(err, ENOMEM, "mount on `%s`", m->destination);
        ctx->read_only_later = later;
        later[ctx->n_read_only_later++] = (struct rootfs_read_only){
                .fd = steal_fd(mount_fd),
                .recursive = recursive,
                .dev = path_same(m->destination, "/dev"),
        };
        return 0;
}

/* Whether a bind source is a kernel tree (sysfs, procfs, cgroupfs, or anything
 * under /sys or /proc), where a read-only rbind must be read-only all through:
 * a writable cgroup or sysfs submount is the host's to change. */
static bool is_kernel_tree(const char *source)
{
        struct statfs sfs;
        if (statfs(source, &sfs) == 0 && (sfs.f_type == SYSFS_MAGIC || sfs.f_type == PROC_SUPER_MAGIC ||
                                          sfs.f_type == CGROUP_SUPER_MAGIC || sfs.f_type == CGROUP2_SUPER_MAGIC))
                return true;
        _cleanup_free_ char *clean = path_clean(source);
        if (clean == NULL)
                return false;
        return strcmp(clean, "/sys") == 0 || strncmp(clean, "/sys/", 5) == 0 || strcmp(clean, "/proc") == 0 ||
               strncmp(clean, "/proc/", 6) == 0;
}

/* copy-symlink: the source is a symlink, made again at the destination (crun's option). */
static int copy_symlink(const struct rootfs_context *ctx, const struct spec_mount *m, nook_err *err)
{
        char target[PATH_MAX];
        ssize_t n = readlink(m->source, target, sizeof(target) - 1);
        if (n < 0)
                return nook_error_errno(err, "copy-symlink: readlink `%s`", m->source);
        target[n] = '\0';
        _cleanup_free_ char *dest = path_clean(m->destination);
        if (dest == NULL)
                return nook_error(err, ENOMEM, "copy-symlink");
        char *slash = strrchr(dest, '/');
        const char *name = slash != NULL ? slash + 1 : dest;
        if (name[0] == '\0' || strcmp(name, "..") == 0)
                return nook_error(err, EINVAL, "copy-symlink on `%s`: not a name for a symlink", m->destination);
        if (slash != NULL)
                *slash = '\0';
        _cleanup_close_ int parent = open_in_root(ctx->rootfd, dest[0] != '\0' ? dest : "/", O_PATH | O_DIRECTORY,
                                                  CREATE_DIR, err);
        if (parent < 0)
                return nook_error_wrap(err, "copy-symlink");
        if (symlinkat(target, parent, name) == 0)
                return 0;
        if (errno != EEXIST)
                return nook_error_errno(err, "copy-symlink: symlink `%s`", m->destination);
        char there[PATH_MAX];
        n = readlinkat(parent, name, there, sizeof(there) - 1);
        if (n < 0 || (size_t)n != strlen(target) || memcmp(there, target, (size_t)n) != 0)
                return nook_error(err, EEXIST, "copy-symlink: `%s` exists and is not a symlink to `%s`",
                                  m->destination, target);
        return 0;
}

static int mount_bind_entry(struct rootfs_context *ctx, const struct spec_mount *m, int idmap_userns_fd,
                            nook_err *err)
{
        const struct mount_options *opts = &m->parsed;
        if (m->source == NULL || m->source[0] == '\0')
                return nook_error(err, EINVAL, "bind mount on `%s`: no source", m->destination);
        bool nofollow = opts->src_nofollow || opts->copy_symlink;
        struct stat st;
        if ((nofollow ? lstat(m->source, &st) : stat(m->source, &st)) < 0)
                return nook_error_errno(err, "bind mount source `%s`", m->source);
        if (opts->copy_symlink && S_ISLNK(st.st_mode))
                return copy_symlink(ctx, m, err);
        /* src-nofollow: the source symlink itself is what gets bound. */
        _cleanup_close_ int source = -1;
        if (S_ISLNK(st.st_mode)) {
                source = open(m->source, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (source < 0)
                        return nook_error_errno(err, "bind mount source `%s`", m->source);
        }
        /* dest-nofollow: a symlink at the destination is mounted on, not followed. */
        int flags = O_PATH | (opts->dest_nofollow ? O_NOFOLLOW : 0);
        _cleanup_close_ int target = open_in_root(ctx->rootfd, m->destination, flags,
                                                  S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE, err);
        if (target < 0)
                return nook_error_wrap(err, "bind mount `%s`", m->source);
        struct mount_change top = { 0 }, rec = { 0 };
        mount_flags_to_attr(opts->flags, opts->clear_flags, &top.attr_set, &top.attr_clr);
        rec.attr_set = opts->rec_attr_set;
        rec.attr_clr = opts->rec_attr_clr;
        bool recursive = (opts->flags & MS_REC) != 0;
        if (recursive && (opts->flags & MS_RDONLY) && !(opts->rec_attr_clr & MOUNT_ATTR_RDONLY) &&
            is_kernel_tree(m->source))
                rec.attr_set |= MOUNT_ATTR_RDONLY;
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
        /* What covers /dev is made read-only once the devices are in it. */
        bool later = read_only_later(m);
        bool top_ro = later && (top.attr_set & MOUNT_ATTR_RDONLY), rec_ro = later && (rec.attr_set & MOUNT_ATTR_RDONLY);
        if (later) {
                top.attr_set &= ~(uint64_t)MOUNT_ATTR_RDONLY;
                rec.attr_set &= ~(uint64_t)MOUNT_ATTR_RDONLY;
        }
        _cleanup_close_ int mnt = mount_bind(source >= 0 ? source : AT_FDCWD, source >= 0 ? NULL : m->source,
                                             recursive, &top, &rec, target, err);
        if (mnt < 0)
                return nook_error_wrap(err, "on `%s`", m->destination);
        if (path_same(m->destination, "/")) {
                int ret = take_new_root(ctx, err);
                if (ret < 0)
                        return ret;
        }
        return top_ro || rec_ro ? defer_read_only(ctx, m, &mnt, rec_ro, err) : 0;
}

/* The data given to the kernel: the config's, with mode= (a tmpfs keeping the
 * mode of the directory it covers) and uid=/gid=, mapped to the host's ids when
 * nook mounts from outside the container's user namespace. *owned is what to free. */
static int fs_data(const struct rootfs_context *ctx, const struct spec_mount *m, int mode, const char **data,
                   char **owned, nook_err *err)
{
        const struct mount_options *o = &m->parsed;
        *data = o->data;
        *owned = NULL;
        if (mode < 0 && !o->has_uid && !o->has_gid)
                return 0;
        uint32_t uid = o->uid, gid = o->gid;
        if (ctx->uid_map != NULL && o->has_uid && !userns_map_id(ctx->uid_map, o->uid, &uid))
                return nook_error(err, EINVAL, "mount on `%s`: option uid=%u: not mapped in the container's user "
                                  "namespace", m->destination, o->uid);
        if (ctx->gid_map != NULL && o->has_gid && !userns_map_id(ctx->gid_map, o->gid, &gid))
                return nook_error(err, EINVAL, "mount on `%s`: option gid=%u: not mapped in the container's user "
                                  "namespace", m->destination, o->gid);
        size_t len = 0;
        FILE *f = open_memstream(owned, &len);
        if (f == NULL)
                return nook_error(err, ENOMEM, "mount options");
        const char *sep = "";
        if (o->data != NULL) {
                fputs(o->data, f);
                sep = ",";
        }
        if (mode >= 0) {
                fprintf(f, "%smode=%o", sep, (unsigned)mode);
                sep = ",";
        }
        if (o->has_uid) {
                fprintf(f, "%suid=%u", sep, uid);
                sep = ",";
        }
        if (o->has_gid)
                fprintf(f, "%sgid=%u", sep, gid);
        if (fclose(f) != 0 || *owned == NULL)
                return nook_error(err, ENOMEM, "mount options");
        *data = *owned;
        return 0;
}

/* The destination of a filesystem mount; for a tmpfs without mode=, *mode gets
 * the mode of the directory it covers (-1 when nook had to make it). */
static int open_fs_target(struct rootfs_context *ctx, const struct spec_mount *m, int *mode, nook_err *err)
{
        *mode = -1;
        if (m->parsed.kind != MOUNT_KIND_TMPFS || m->parsed.has_mode)
                return open_in_root(ctx->rootfd, m->destination, O_PATH, CREATE_DIR, err);
        int fd = open_in_root(ctx->rootfd, m->destination, O_PATH, CREATE_NONE, err);
        if (fd == -ENOENT) {
                nook_error_free(err);
                return open_in_root(ctx->rootfd, m->destination, O_PATH, CREATE_DIR, err);
        }
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
                *mode = (int)(st.st_mode & 07777);
        return fd;
}

/* How a filesystem mount takes linux.mountLabel, as runc and crun give it: procfs
 * and sysfs take none (their labels are the policy's), mqueue (one superblock per
 * IPC namespace: a context= option would clash with an earlier mount) gets its
 * root's attribute, the others the context= option. */
enum label_how { LABEL_NONE, LABEL_OPTION, LABEL_XATTR };

static enum label_how label_how(const struct spec_mount *m)
{
        if (m->parsed.kind == MOUNT_KIND_PROC || m->parsed.kind == MOUNT_KIND_SYSFS)
                return LABEL_NONE;
        return strcmp(m->type, "mqueue") == 0 ? LABEL_XATTR : LABEL_OPTION;
}

static int mount_fs_entry(struct rootfs_context *ctx, const struct spec_mount *m, nook_err *err)
{
        const struct mount_options *opts = &m->parsed;
        const char *type = m->type;
        int mode;
        _cleanup_close_ int target = open_fs_target(ctx, m, &mode, err);
        if (target < 0)
                return nook_error_wrap(err, "mount %s", type);
        if (opts->kind == MOUNT_KIND_PROC || opts->kind == MOUNT_KIND_SYSFS) {
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
        const char *data;
        _cleanup_free_ char *owned = NULL, *labelled = NULL;
        int ret = fs_data(ctx, m, mode, &data, &owned, err);
        if (ret == 0 && label_how(m) == LABEL_OPTION)
                ret = lsm_mount_data(data, ctx->mount_label, &labelled, err);
        if (ret < 0)
                return ret;
        if (labelled != NULL)
                data = labelled;
        /* A tmpfs, and what covers /dev, are made read-only once what goes in them exists. */
        struct mount_change rec = { .attr_set = opts->rec_attr_set, .attr_clr = opts->rec_attr_clr };
        unsigned long flags = opts->flags & ~(unsigned long)MS_PROPAGATION;
        bool later = read_only_later(m);
        bool top_ro = later && (flags & MS_RDONLY), rec_ro = later && (rec.attr_set & MOUNT_ATTR_RDONLY);
        if (later) {
                flags &= ~(unsigned long)MS_RDONLY;
                rec.attr_set &= ~(uint64_t)MOUNT_ATTR_RDONLY;
        }
        const char *source = m->source != NULL && m->source[0] != '\0' ? m->source : type;
        ret = mount_fs(source, type, flags, data, target, m->destination, err);
        if (ret < 0)
                return ret;
        if (opts->kind == MOUNT_KIND_PROC) {
                ret = check_proc_mounted(ctx->rootfd, m->destination, err);
                if (ret < 0)
                        return ret;
        }
        if (ctx->mount_label != NULL && label_how(m) == LABEL_XATTR) {
                _cleanup_close_ int root = open_in_root(ctx->rootfd, m->destination, O_DIRECTORY, CREATE_NONE, err);
                ret = root < 0 ? root : lsm_label_mount_root(root, ctx->mount_label, m->destination, err);
                if (ret < 0)
                        return ret;
        }
        bool on_root = path_same(m->destination, "/");
        if (opts->propagation == 0 && below < 0 && rec.attr_set == 0 && rec.attr_clr == 0 && !top_ro && !rec_ro &&
            !on_root)
                return 0;
        if (on_root) {
                ret = take_new_root(ctx, err);
                if (ret < 0)
                        return ret;
        }
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
        ret = mount_apply(mounted, true, &rec, m->destination, err);
        if (ret == 0 && (top_ro || rec_ro))
                ret = defer_read_only(ctx, m, &mounted, rec_ro, err);
        return ret;
}

/* The "cgroup" type without a cgroup of our own (rootless): the host's view, read-only. */
static int mount_host_cgroup(const struct rootfs_context *ctx, const struct spec_mount *m, nook_err *err)
{
        const struct mount_options *opts = &m->parsed;
        _cleanup_close_ int target = open_in_root(ctx->rootfd, m->destination, O_PATH, CREATE_DIR, err);
        if (target < 0)
                return target;
        struct mount_change top = { 0 };
        mount_flags_to_attr(opts->flags, 0, &top.attr_set, &top.attr_clr);
        struct mount_change rec = { .attr_set = (top.attr_set & MOUNT_ATTR_RDONLY) | opts->rec_attr_set,
                                    .attr_clr = opts->rec_attr_clr };
        int mnt = mount_bind(AT_FDCWD, "/sys/fs/cgroup", true, &top, &rec, target, err);
        if (mnt < 0)
                return nook_error_wrap(err, "cgroup mount on `%s`", m->destination);
        close(mnt);
        return 0;
}

static int mount_cgroup_entry(const struct rootfs_context *ctx, const struct spec_mount *m, nook_err *err)
{
        const struct mount_options *opts = &m->parsed;
        if (ctx->cgroup == NULL)
                return mount_host_cgroup(ctx, m, err);
        int ret = cgroup_mount_in_container(ctx->cgroup, ctx->rootfd, m->destination, opts->flags,
                                            ctx->has_cgroupns, ctx->mount_label, err);
        if (ret < 0 || (opts->rec_attr_set == 0 && opts->rec_attr_clr == 0))
                return ret;
        _cleanup_close_ int mounted = open_in_root(ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, CREATE_NONE, err);
        if (mounted < 0)
                return mounted;
        struct mount_change rec = { .attr_set = opts->rec_attr_set, .attr_clr = opts->rec_attr_clr };
        return mount_apply(mounted, true, &rec, m->destination, err);
}

int rootfs_mount(struct rootfs_context *ctx, const struct spec_mount *m, int idmap_userns_fd, nook_err *err)
{
        switch (m->parsed.kind) {
        case MOUNT_KIND_BIND:
                return mount_bind_entry(ctx, m, idmap_userns_fd, err);
        case MOUNT_KIND_CGROUP:
                return mount_cgroup_entry(ctx, m, err);
        default:
                return mount_fs_entry(ctx, m, err);
        }
}

int rootfs_finish_mounts(struct rootfs_context *ctx, nook_err *err)
{
        /* The console's mount point, made while /dev and the root are writable: the
         * pty is bound on it after pivot_root, when they may be read-only. */
        if (ctx->needs_console) {
                int ret = terminal_prepare_console(ctx->rootfd, err);
                if (ret < 0)
                        return ret;
        }
        for (size_t i = 0; i < ctx->n_read_only_later; i++) {
                const struct rootfs_read_only *later = &ctx->read_only_later[i];
                struct mount_change ro = { .attr_set = MOUNT_ATTR_RDONLY };
                int ret = mount_apply(later->fd, later->recursive, &ro, later->dev ? "/dev" : "a tmpfs", err);
                if (ret < 0)
                        return ret;
        }
        rootfs_context_release(ctx);
        return 0;
}

void rootfs_context_release(struct rootfs_context *ctx)
{
        for (size_t i = 0; i < ctx->n_read_only_later; i++)
                close(ctx->read_only_later[i].fd);
        free(ctx->read_only_later);
        ctx->read_only_later = NULL;
        ctx->n_read_only_later = 0;
}
