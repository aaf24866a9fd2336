#define _GNU_SOURCE
#include "linux/mount_options.h"

#include <errno.h>
#include <sys/mount.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* Values from <sys/mount.h>, which clashes with <linux/mount.h>. */
#ifndef MS_RDONLY
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_SYNCHRONOUS 16
#define MS_REMOUNT 32
#define MS_MANDLOCK 64
#define MS_DIRSYNC 128
#define MS_NOATIME 1024
#define MS_NODIRATIME 2048
#define MS_BIND 4096
#define MS_REC 16384
#define MS_SILENT 32768
#define MS_POSIXACL (1 << 16)
#define MS_UNBINDABLE (1 << 17)
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_SHARED (1 << 20)
#define MS_RELATIME (1 << 21)
#define MS_I_VERSION (1 << 23)
#define MS_STRICTATIME (1 << 24)
#define MS_LAZYTIME (1 << 25)
#endif
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

/* The recursive variants runc takes from mount_setattr(2). */
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

static void add_name(const char **out, size_t max, size_t *n, const char *name)
{
        if (*n < max)
                out[*n] = name;
        (*n)++;
}

size_t mount_option_names(const char **out, size_t max)
{
        static const char *const extra[] = { "tmpcopyup", "idmap", "ridmap" };
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(flag_options); i++)
                add_name(out, max, &n, flag_options[i].name);
        for (size_t i = 0; i < ARRAY_SIZE(propagation_options); i++)
                add_name(out, max, &n, propagation_options[i].name);
        for (size_t i = 0; i < ARRAY_SIZE(recursive_options); i++)
                add_name(out, max, &n, recursive_options[i].name);
        for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
                add_name(out, max, &n, extra[i]);
        return n;
}

unsigned long mount_propagation_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(propagation_options); i++)
                if (strcmp(propagation_options[i].name, name) == 0)
                        return propagation_options[i].flags;
        return 0;
}

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

static bool apply_known(const char *option, struct mount_options *out)
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
        for (size_t i = 0; i < ARRAY_SIZE(recursive_options); i++) {
                if (strcmp(recursive_options[i].name, option) != 0)
                        continue;
                if (recursive_options[i].clear) {
                        out->rec_attr_set &= ~recursive_options[i].attr;
                        out->rec_attr_clr |= recursive_options[i].attr;
                } else {
                        out->rec_attr_set |= recursive_options[i].attr;
                        out->rec_attr_clr &= ~recursive_options[i].attr;
                }
                return true;
        }
        if (strcmp(option, "idmap") == 0)
                out->idmap = true;
        else if (strcmp(option, "ridmap") == 0)
                out->idmap = out->rec_idmap = true;
        else if (strcmp(option, "tmpcopyup") == 0)
                out->tmpcopyup = true;
        else
                return false;
        return true;
}

int mount_options_parse(const char *const *options, size_t n, struct mount_options *out, nook_err *err)
{
        memset(out, 0, sizeof(*out));
        for (size_t i = 0; i < n; i++) {
                if (apply_known(options[i], out))
                        continue;
                if (append_data(&out->data, options[i]) < 0) {
                        mount_options_free(out);
                        return nook_error(err, ENOMEM, "mount options");
                }
        }
        return 0;
}

void mount_options_free(struct mount_options *opts)
{
        free(opts->data);
        opts->data = NULL;
}
