/* Control groups on cgroup v1, cgroup2 and hybrid hosts: where a container's
 * cgroup lives, creating and removing it, moving processes in, listing them,
 * freezing them. Resource limits live in cgroup_v1.c / cgroup_v2.c. */
#ifndef NOOK_LINUX_CGROUP_H
#define NOOK_LINUX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

struct json_object;

enum cgroup_mode {
        CGROUP_MODE_V1,
        CGROUP_MODE_V2,     /* unified: /sys/fs/cgroup is cgroup2 */
        CGROUP_MODE_HYBRID, /* v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified */
};

/* One mounted hierarchy and the container's directory in it. */
struct cgroup_hierarchy {
        char *controllers; /* "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
        char *mount;       /* "/sys/fs/cgroup/cpu,cpuacct" */
        char *path;        /* the container's cgroup directory */
        int created;       /* how many trailing components of path nook created (removed on delete) */
        bool v2;
};

struct cgroup {
        enum cgroup_mode mode;
        struct cgroup_hierarchy *hierarchies;
        size_t n_hierarchies;
        int v2_fd; /* O_DIRECTORY fd of the cgroup2 directory (CLONE_INTO_CGROUP), or -1 */
};

/* The host's cgroup mode (statfs of /sys/fs/cgroup, done once per process). */
int cgroup_detect_mode(enum cgroup_mode *mode, nook_err *err);

/* Where the container's cgroup goes, as runc decides: an absolute cgroupsPath
 * under each hierarchy's root, a relative one under the caller's own cgroup
 * (on cgroup2 under its parent), an empty one as the relative path "<id>".
 * Fills the hierarchies; nothing is created yet. */
int cgroup_plan(const char *cgroups_path, const char *id, struct cgroup **out, nook_err *err);

/* Creates the directories (recording which ones nook made) and opens v2_fd. */
int cgroup_create(struct cgroup *cg, nook_err *err);

/* Writes the resources into the cgroup files. */
int cgroup_apply(struct cgroup *cg, const struct spec_resources *resources, nook_err *err);

/* Moves pid into the cgroup in every hierarchy; skip_v2 when clone3 already put it there. */
int cgroup_enter(const struct cgroup *cg, pid_t pid, bool skip_v2, nook_err *err);

/* The pids in the cgroup (cgroup.procs of one hierarchy). */
int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, nook_err *err);

/* Freezes or thaws the cgroup (v1 freezer, v2 cgroup.freeze) and waits until it is done. */
int cgroup_freeze(const struct cgroup *cg, bool frozen, nook_err *err);

/* Whether the cgroup is frozen now. */
bool cgroup_is_frozen(const struct cgroup *cg);

/* Removes the directories nook created, deepest first. Busy cgroups are retried briefly. */
int cgroup_destroy(struct cgroup *cg, nook_err *err);

void cgroup_free(struct cgroup *cg);

/* State-file form: [{"controllers":…, "mount":…, "path":…, "created":N, "v2":bool}, …]. */
struct json_object *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(struct json_object *json, struct cgroup **out, nook_err *err);

/* Mounts the host's cgroup hierarchies, as seen from the container's cgroup,
 * at dest inside rootfd (the OCI "cgroup" mount type): cgroup2 directly, v1 as
 * a tmpfs with one cgroup mount (or bind, without a cgroup namespace) per hierarchy. */
int cgroup_mount_in_container(const struct cgroup *cg, int rootfd, const char *dest, unsigned long flags,
                              bool has_cgroupns, nook_err *err);

#endif
