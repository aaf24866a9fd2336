/* OCI mount options → mount(2) flags, propagation, mount_setattr attributes and
 * filesystem data, with runc's vocabulary (pure: no system calls). */
#ifndef NOOK_LINUX_MOUNT_OPTIONS_H
#define NOOK_LINUX_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct mount_options {
        unsigned long flags;       /* MS_* to set (MS_BIND and MS_REC for bind/rbind) */
        unsigned long clear_flags; /* MS_* explicitly turned off (rw, suid, dev, exec, …) */
        unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC], or 0 */
        uint64_t rec_attr_set;     /* MOUNT_ATTR_* for the recursive options (rro, rnosuid, …) */
        uint64_t rec_attr_clr;
        bool idmap;      /* "idmap": idmapped bind of the top mount */
        bool rec_idmap;  /* "ridmap": recursive */
        bool tmpcopyup;  /* copy the image's content of the destination into a new tmpfs */
        char *data;      /* remaining options, comma-joined, for the filesystem; NULL when none */
};

/* Parses options[0..n). Unknown words are filesystem data, as runc does. */
int mount_options_parse(const char *const *options, size_t n, struct mount_options *out, nook_err *err);

void mount_options_free(struct mount_options *opts);

/* The mount_setattr(2) change equivalent to setting set_flags and clearing
 * clear_flags (ro, nosuid, nodev, noexec, nodiratime, nosymfollow, atime mode). */
void mount_flags_to_attr(unsigned long set_flags, unsigned long clear_flags, uint64_t *attr_set, uint64_t *attr_clr);

/* The MS_* propagation flags of a name ("rslave" → MS_SLAVE|MS_REC); 0 when unknown. */
unsigned long mount_propagation_from_name(const char *name);

/* Every option word this parser knows (for `nook features`), in table order;
 * returns how many there are, filling at most max. */
size_t mount_option_names(const char **out, size_t max);

#endif
