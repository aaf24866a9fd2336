/* mounts[].options → what the kernel is given: mount(2) flags, propagation,
 * mount_setattr(2) attributes for the recursive options, nook's own options,
 * and the filesystem's data. Parsed once, when config.json is read; the
 * container's init only reads the result (pure: no system calls). */
#ifndef NOOK_SPEC_MOUNT_OPTIONS_H
#define NOOK_SPEC_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* What nook mounts, after the type and the bind options. */
enum mount_kind {
        MOUNT_KIND_BIND,   /* type "bind", or "bind"/"rbind" among the options */
        MOUNT_KIND_CGROUP, /* "cgroup" or "cgroup2": nook's view of the container's cgroup */
        MOUNT_KIND_PROC,
        MOUNT_KIND_SYSFS,
        MOUNT_KIND_TMPFS,
        MOUNT_KIND_OTHER, /* any other filesystem type: its data goes to the kernel unchecked */
};

struct mount_options {
        enum mount_kind kind;
        unsigned long flags;       /* MS_* to set (MS_BIND and MS_REC for bind/rbind) */
        unsigned long clear_flags; /* MS_* explicitly turned off (rw, suid, dev, exec, …) */
        unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC], or 0 */
        uint64_t rec_attr_set;     /* MOUNT_ATTR_* of the recursive options (rro, rnosuid, …), */
        uint64_t rec_attr_clr;     /* MOUNT_ATTR__ATIME included whenever an atime mode is given */
        bool idmap;         /* "idmap" or "ridmap": an idmapped bind (of the top mount), */
        bool rec_idmap;     /* "ridmap": of every mount of the tree */
        bool tmpcopyup;     /* copy the image's content of the destination into the new tmpfs */
        bool copy_symlink;  /* a bind whose source is a symlink makes that symlink at the destination */
        bool src_nofollow;  /* a bind of a source symlink binds the symlink itself */
        bool dest_nofollow; /* a bind onto a destination symlink mounts on the symlink itself */
        bool has_mode;      /* the data sets mode= (a tmpfs without it keeps the covered directory's) */
        /* uid=N and gid=N of the data, apart: they name ids of the container's user
         * namespace, which nook maps when it mounts from outside it. */
        bool has_uid, has_gid;
        uint32_t uid, gid;
        char *data; /* the rest of the filesystem data, comma-joined; NULL when none */
};

/* Parses options[0..n) of a mount of the given type (NULL: none). Flags,
 * propagation and recursive options are nook's; a bind mount takes nothing else;
 * tmpfs, proc, sysfs, devpts, mqueue and the cgroup types take only the data
 * options their kernel code knows; other filesystems get the rest as data.
 * On error *bad is the index of the option at fault (n: the type). */
int mount_options_parse(const char *type, const char *const *options, size_t n, struct mount_options *out,
                        size_t *bad, nook_err *err);

void mount_options_free(struct mount_options *opts);

/* The MS_* propagation flags of a name ("rslave" → MS_SLAVE|MS_REC); 0 when unknown. */
unsigned long mount_propagation_from_name(const char *name);

/* Every option word this parser knows (for `nook features`), in table order;
 * returns how many there are, filling at most max. */
size_t mount_option_names(const char **out, size_t max);

#endif
