/* What criu is told about a container, computed from its config and a few
 * facts nook looked up (pure: unit-tested without criu). criu dumps and
 * restores what the container made itself — its tmpfs, proc, sysfs, devpts,
 * its binds of its own files — and must be told which mounts come from the
 * host: the config's binds, the masked files (binds of /dev/null), the device
 * nodes (bound from the host in a user namespace), the v1 cgroup hierarchies
 * (binds, without a cgroup namespace). Dump: mountpoint → name in the image;
 * restore: that name → the host path to bind again (runc's keys). Namespaces
 * given by path stay the caller's too. Internal to container/. */
#ifndef NOOK_CONTAINER_CRIU_PLAN_H
#define NOOK_CONTAINER_CRIU_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "linux/cgroup.h"
#include "linux/criu.h"
#include "spec/spec.h"
#include "util/error.h"

struct criu_plan_input {
        const struct spec *spec;
        /* Per mounts[]: the mountpoint as the container sees it, symlinks of the
         * image resolved (NULL, or a NULL entry: the destination, cleaned). */
        char *const *mountpoints;
        /* Dump, per linux.maskedPaths: a file (masked by a bind of /dev/null); a
         * directory or a missing path is not (NULL: none is). */
        const bool *masked_files;
        /* v1 or hybrid hierarchies (the "cgroup" mount is their binds, without a
         * cgroup namespace); restore binds its directories. NULL: none. */
        const struct cgroup *cgroup;
        /* Dump, per namespace type given by path: its inode (0: unknown). */
        const unsigned long *namespace_inodes;
};

/* A namespace given by path on restore: criu joins it (join), or takes it as
 * the fd nook passes (inherit: network and pid, runc's extRoot keys). */
struct criu_plan_namespace {
        enum spec_namespace_type type;
        const char *path;
        const char *criu_name; /* "net", "ipc", … */
        const char *inherit_key; /* "extRootNetNS"; NULL: joined by path */
};

struct criu_plan {
        struct criu_pair *mounts;
        size_t n_mounts;
        char **external; /* dump: "net[INODE]:extRootNetNS" */
        size_t n_external;
        struct criu_plan_namespace namespaces[NS_TYPE_COUNT]; /* restore */
        size_t n_namespaces;
        char **owned; /* the strings the pairs point to */
        size_t n_owned;
};

/* The dump's externals. */
int criu_plan_dump(const struct criu_plan_input *in, struct criu_plan *out, nook_err *err);

/* The restore's externals and namespaces; a cgroup namespace given by path fails. */
int criu_plan_restore(const struct criu_plan_input *in, struct criu_plan *out, nook_err *err);

void criu_plan_free(struct criu_plan *plan);

/* --empty-ns NAME…: the CLONE_NEW* mask criu makes empty instead of dumping.
 * The network namespace always is (nook, like runc, does not manage network
 * devices); runc's only name is "network". */
int criu_plan_empty_ns(const char *const *names, size_t n, unsigned *mask, nook_err *err);

#endif
