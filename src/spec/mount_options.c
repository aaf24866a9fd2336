#define _GNU_SOURCE
#include "spec/mount_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/cleanup.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct flag_option {
        const char *name;
        bool clear;
        unsigned long flag;
};

static const struct flag_option flag_options[] = {
        { "acl", false, MS_POSIXACL },
        { "async", true, MS_SYNCHRONOUS },
        { "atime", true, MS_NOATIME },
        { "bind", false, MS_BIND },
        { "defaults", false, 0 },
        { "dev", true, MS_NODEV },
        { "diratime", true, MS_NODIRATIME },
        { "dirsync", false, MS_DIRSYNC },
        { "exec", true, MS_NOEXEC },
        { "iversion", false, MS_I_VERSION },
        { "lazytime", false, MS_LAZYTIME },
        { "loud", true, MS_SILENT },
        { "mand", false, MS_MANDLOCK },
        { "noacl", true, MS_POSIXACL },
        { "noatime", false, MS_NOATIME },
        { "nodev", false, MS_NODEV },
        { "nodiratime", false, MS_NODIRATIME },
        { "noexec", false, MS_NOEXEC },
        { "noiversion", true, MS_I_VERSION },
        { "nolazytime", true, MS_LAZYTIME },
        { "nomand", true, MS_MANDLOCK },
        { "norelatime", true, MS_RELATIME },
        { "nostrictatime", true, MS_STRICTATIME },
        { "nosuid", false, MS_NOSUID },
        { "nosymfollow", false, MS_NOSYMFOLLOW },
        { "rbind", false, MS_BIND | MS_REC },
        { "relatime", false, MS_RELATIME },
        { "remount", false, MS_REMOUNT },
        { "ro", false, MS_RDONLY },
        { "rw", true, MS_RDONLY },
        { "silent", false, MS_SILENT },
        { "strictatime", false, MS_STRICTATIME },
        { "suid", true, MS_NOSUID },
        { "symfollow", true, MS_NOSYMFOLLOW },
        { "sync", false, MS_SYNCHRONOUS },
};

static const struct {
        const char *name;
        unsigned long flags;
} propagation_options[] = {
        { "private", MS_PRIVATE },         { "rprivate", MS_PRIVATE | MS_REC },
        { "shared", MS_SHARED },           { "rshared", MS_SHARED | MS_REC },
        { "slave", MS_SLAVE },             { "rslave", MS_SLAVE | MS_REC },
        { "unbindable", MS_UNBINDABLE },   { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* The recursive variants runc takes from mount_setattr(2). The access-time
 * ones choose one mode of a field (MOUNT_ATTR__ATIME); their negations mean
 * the kernel's default, relatime (0), as with runc. */
static const struct {
        const char *name;
        bool clear;
        uint64_t attr;
} recursive_options[] = {
        { "rro", false, MOUNT_ATTR_RDONLY },           { "rrw", true, MOUNT_ATTR_RDONLY },
        { "rnosuid", false, MOUNT_ATTR_NOSUID },       { "rsuid", true, MOUNT_ATTR_NOSUID },
        { "rnodev", false, MOUNT_ATTR_NODEV },         { "rdev", true, MOUNT_ATTR_NODEV },
        { "rnoexec", false, MOUNT_ATTR_NOEXEC },       { "rexec", true, MOUNT_ATTR_NOEXEC },
        { "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
        { "rrelatime", false, MOUNT_ATTR_RELATIME },   { "rnorelatime", true, MOUNT_ATTR_RELATIME },
        { "rnoatime", false, MOUNT_ATTR_NOATIME },     { "ratime", true, MOUNT_ATTR_NOATIME },
        { "rstrictatime", false, MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", true, MOUNT_ATTR_STRICTATIME },
        { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
};

/* nook's own options (crun's and runc's extensions), each a bool of struct
 * mount_options, and the one kind of mount each applies to. */
static const struct {
        const char *name;
        size_t offset;
        enum mount_kind kind;
        const char *otherwise; /* why it cannot be used on another kind */
} extension_options[] = {
        { "tmpcopyup", offsetof(struct mount_options, tmpcopyup), MOUNT_KIND_TMPFS, "only for tmpfs" },
        { "idmap", offsetof(struct mount_options, idmap), MOUNT_KIND_BIND, "idmapped mounts are bind mounts only" },
        { "ridmap", offsetof(struct mount_options, rec_idmap), MOUNT_KIND_BIND,
          "idmapped mounts are bind mounts only" },
        { "copy-symlink", offsetof(struct mount_options, copy_symlink), MOUNT_KIND_BIND, "only for bind mounts" },
        { "src-nofollow", offsetof(struct mount_options, src_nofollow), MOUNT_KIND_BIND, "only for bind mounts" },
        { "dest-nofollow", offsetof(struct mount_options, dest_nofollow), MOUNT_KIND_BIND, "only for bind mounts" },
};

/* Filesystem data a filesystem's kernel code knows: "key=value" keys and bare
 * words (Linux 6.x: mm/shmem.c, fs/proc/root.c, fs/devpts/inode.c). sysfs and
 * mqueue take none. The security modules' options are valid on any of them
 * (whether the host's LSM takes them is the kernel's to say). */
static const char *const tmpfs_keys[] = { "size", "nr_blocks", "nr_inodes", "mode", "uid", "gid", "huge", "mpol",
                                          "usrquota_block_hardlimit", "usrquota_inode_hardlimit",
                                          "grpquota_block_hardlimit", "grpquota_inode_hardlimit", "casefold",
                                          NULL };
static const char *const tmpfs_words[] = { "inode32", "inode64", "noswap", "quota", "usrquota", "grpquota",
                                           "casefold", "strict_encoding", NULL };
static const char *const proc_keys[] = { "hidepid", "gid", "subset", "pidns", NULL };
static const char *const devpts_keys[] = { "uid", "gid", "mode", "ptmxmode", "max", NULL };
static const char *const devpts_words[] = { "newinstance", NULL };
static const char *const lsm_keys[] = { "context", "fscontext", "defcontext", "rootcontext", "smackfsdef",
                                        "smackfsfloor", "smackfshat", "smackfsroot", "smackfstransmute", NULL };
static const char *const lsm_words[] = { "seclabel", NULL };

static const struct {
        const char *type;
        enum mount_kind kind;
        const char *const *keys, *const *words;
} known_filesystems[] = {
        { "tmpfs", MOUNT_KIND_TMPFS, tmpfs_keys, tmpfs_words },
        { "proc", MOUNT_KIND_PROC, proc_keys, NULL },
        { "sysfs", MOUNT_KIND_SYSFS, NULL, NULL },
        { "devpts", MOUNT_KIND_OTHER, devpts_keys, devpts_words },
        { "mqueue", MOUNT_KIND_OTHER, NULL, NULL },
        /* nook picks what to mount for the container's cgroup: no data to give. */
        { "cgroup", MOUNT_KIND_CGROUP, NULL, NULL },
        { "cgroup2", MOUNT_KIND_CGROUP, NULL, NULL },
};

static void add_name(const char **out, size_t max, size_t *n, const char *name)
{
        if (*n < max)
                out[*n] = name;
        (*n)++;
}

size_t mount_option_names(const char **out, size_t max)
{
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(flag_options); i++)
                add_name(out, max, &n, flag_options[i].name);
        for (size_t i = 0; i < ARRAY_SIZE(propagation_options); i++)
                add_name(out, max, &n, propagation_options[i].name);
        for (size_t i = 0; i < ARRAY_SIZE(recursive_options); i++)
                add_name(out, max, &n, recursive_options[i].name);
        for (size_t i = 0; i < ARRAY_SIZE(extension_options); i++)
                add_name(out, max, &n, extension_options[i].name);
        return n;
}

unsigned long mount_propagation_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(propagation_options); i++)
                if (strcmp(propagation_options[i].name, name) == 0)
                        return propagation_options[i].flags;
        return 0;
}

static bool apply_flag(const char *option, struct mount_options *out)
{
        for (size_t i = 0; i < ARRAY_SIZE(flag_options); i++) {
                if (strcmp(flag_options[i].name, option) != 0)
                        continue;
                if (flag_options[i].clear) {
                        out->flags &= ~flag_options[i].flag;
                        out->clear_flags |= flag_options[i].flag;
                } else {
                        out->flags |= flag_options[i].flag;
                        out->clear_flags &= ~flag_options[i].flag;
                }
                return true;
        }
        unsigned long propagation = mount_propagation_from_name(option);
        if (propagation != 0) {
                out->propagation = propagation;
                return true;
        }
        return false;
}

static bool apply_recursive(const char *option, struct mount_options *out)
{
        for (size_t i = 0; i < ARRAY_SIZE(recursive_options); i++) {
                if (strcmp(recursive_options[i].name, option) != 0)
                        continue;
                uint64_t attr = recursive_options[i].attr;
                if ((attr & MOUNT_ATTR__ATIME) == attr) {
                        out->rec_attr_set = (out->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) |
                                            (recursive_options[i].clear ? MOUNT_ATTR_RELATIME : attr);
                        out->rec_attr_clr |= MOUNT_ATTR__ATIME;
                } else if (recursive_options[i].clear) {
                        out->rec_attr_set &= ~attr;
                        out->rec_attr_clr |= attr;
                } else {
                        out->rec_attr_set |= attr;
                        out->rec_attr_clr &= ~attr;
                }
                return true;
        }
        return false;
}

/* An extension option: 0, -ENOENT when option is none, -EINVAL (and *why) where it does not apply. */
static int apply_extension(const char *option, struct mount_options *out, const char **why)
{
        for (size_t i = 0; i < ARRAY_SIZE(extension_options); i++) {
                if (strcmp(extension_options[i].name, option) != 0)
                        continue;
                if (extension_options[i].kind != out->kind) {
                        *why = extension_options[i].otherwise;
                        return -EINVAL;
                }
                *(bool *)((char *)out + extension_options[i].offset) = true;
                return 0;
        }
        return -ENOENT;
}

static bool in_list(const char *const *list, const char *word, size_t len)
{
        for (; list != NULL && *list != NULL; list++)
                if (strlen(*list) == len && strncmp(*list, word, len) == 0)
                        return true;
        return false;
}

/* Whether a filesystem of the table takes option as data. */
static bool known_data(size_t fs, const char *option)
{
        const char *eq = strchr(option, '=');
        if (eq == NULL)
                return in_list(known_filesystems[fs].words, option, strlen(option)) ||
                       in_list(lsm_words, option, strlen(option));
        size_t len = (size_t)(eq - option);
        return in_list(known_filesystems[fs].keys, option, len) || in_list(lsm_keys, option, len);
}

static int append_data(char **data, const char *option)
{
        size_t old = *data != NULL ? strlen(*data) : 0;
        char *bigger = realloc(*data, old + strlen(option) + 2);
        if (bigger == NULL)
                return -ENOMEM;
        if (old > 0)
                bigger[old++] = ',';
        strcpy(bigger + old, option);
        *data = bigger;
        return 0;
}

/* "uid=N" (prefix "uid=") with N a 32-bit decimal: into *set and *id. */
static bool take_id(const char *option, const char *prefix, bool *set, uint32_t *id)
{
        size_t len = strlen(prefix);
        if (strncmp(option, prefix, len) != 0 || option[len] < '0' || option[len] > '9')
                return false;
        char *end = NULL;
        errno = 0;
        unsigned long long value = strtoull(option + len, &end, 10);
        if (errno != 0 || *end != '\0' || value > UINT32_MAX)
                return false;
        *set = true;
        *id = (uint32_t)value;
        return true;
}

/* The kind of mount, and the row of known_filesystems (or -1). */
static enum mount_kind mount_kind_of(const char *type, const char *const *options, size_t n, int *fs)
{
        *fs = -1;
        for (size_t i = 0; i < n; i++)
                if (strcmp(options[i], "bind") == 0 || strcmp(options[i], "rbind") == 0)
                        return MOUNT_KIND_BIND;
        if (type != NULL && strcmp(type, "bind") == 0)
                return MOUNT_KIND_BIND;
        for (size_t i = 0; type != NULL && i < ARRAY_SIZE(known_filesystems); i++) {
                if (strcmp(known_filesystems[i].type, type) == 0) {
                        *fs = (int)i;
                        return known_filesystems[i].kind;
                }
        }
        return MOUNT_KIND_OTHER;
}

static int parse_one(const char *type, int fs, const char *option, struct mount_options *out, nook_err *err)
{
        if (apply_flag(option, out) || apply_recursive(option, out))
                return 0;
        const char *why = NULL;
        int ret = apply_extension(option, out, &why);
        if (ret == -EINVAL)
                return nook_error(err, 0, "\"%s\": %s", option, why);
        if (ret == 0)
                return 0;
        if (out->kind == MOUNT_KIND_BIND)
                return nook_error(err, 0, "unknown option \"%s\" (a bind mount takes no filesystem options)", option);
        if (fs >= 0 && !known_data((size_t)fs, option))
                return nook_error(err, 0, "unknown %s option \"%s\"", type, option);
        if (strncmp(option, "mode=", 5) == 0)
                out->has_mode = true;
        if (take_id(option, "uid=", &out->has_uid, &out->uid) || take_id(option, "gid=", &out->has_gid, &out->gid))
                return 0;
        if (append_data(&out->data, option) < 0)
                return nook_error(err, ENOMEM, "mount options");
        return 0;
}

int mount_options_parse(const char *type, const char *const *options, size_t n, struct mount_options *out,
                        size_t *bad, nook_err *err)
{
        memset(out, 0, sizeof(*out));
        int fs;
        out->kind = mount_kind_of(type, options, n, &fs);
        if (out->kind != MOUNT_KIND_BIND && (type == NULL || type[0] == '\0')) {
                *bad = n;
                return nook_error(err, 0, "required unless the mount is a bind mount");
        }
        for (size_t i = 0; i < n; i++) {
                int ret = parse_one(type, fs, options[i], out, err);
                if (ret < 0) {
                        *bad = i;
                        mount_options_free(out);
                        return ret;
                }
        }
        if (out->copy_symlink && (out->src_nofollow || out->dest_nofollow)) {
                for (*bad = 0; *bad < n && strcmp(options[*bad], "copy-symlink") != 0; (*bad)++)
                        ;
                mount_options_free(out);
                return nook_error(err, 0, "\"copy-symlink\" excludes \"src-nofollow\" and \"dest-nofollow\"");
        }
        out->idmap |= out->rec_idmap;
        return 0;
}

void mount_options_free(struct mount_options *opts)
{
        free(opts->data);
        opts->data = NULL;
}
