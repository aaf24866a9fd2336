/* Control groups on cgroup v1, cgroup2 and hybrid hosts: where a container's
 * cgroup lives, creating and removing it, moving processes in, listing them,
 * freezing them. Resource limits live in cgroup_v1.c / cgroup_v2.c. */
#ifndef NOOK_LINUX_CGROUP_H
#define NOOK_LINUX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* Rootless: keeps the hierarchies whose directory the caller may create or
 * enter (a delegated subtree); a lone cgroup2 one makes the mode V2. */
void cgroup_keep_delegated(struct cgroup *cg);

/* Creates the directories (recording which ones nook made) and opens v2_fd. */
int cgroup_create(struct cgroup *cg, nook_err *err);

/* The same for only the cgroup2 hierarchy (v2) or only the v1 ones: cgroup2 must
 * exist before clone3 CLONE_INTO_CGROUP, v1 may be made while the child sets up. */
int cgroup_create_part(struct cgroup *cg, bool v2, nook_err *err);

/* Writes the resources into the cgroup files: v1 controllers where a v1
 * hierarchy mounts them, else cgroup2 (converted as runc and crun do). A
 * resource the host cannot honour fails, naming the controller and the file. */
int cgroup_apply(struct cgroup *cg, const struct spec_resources *resources, nook_err *err);

/* cgroup_apply for `nook update`: the fields given change, the others keep their
 * values; memory.checkBeforeUpdate refuses limits below the current usage. */
int cgroup_update(struct cgroup *cg, const struct spec_resources *resources, nook_err *err);

/* Moves pid into the cgroup2 hierarchy (when clone3 CLONE_INTO_CGROUP could not);
 * the v1 hierarchies are joined by the process itself (cgroup_join_self). */
int cgroup_enter_v2(const struct cgroup *cg, pid_t pid, nook_err *err);

/* How a new process moves itself into the v1 hierarchies: their "tasks" files,
 * opened by the parent (the kernel checks the opener's credentials). A thread
 * that writes "0" there moves itself without the global lock that writing a
 * pid to cgroup.procs takes — an RCU grace period, milliseconds per start.
 * cgroup2 needs none of this: clone3 CLONE_INTO_CGROUP. */
struct cgroup_join {
        int *fds;
        size_t n;
};

int cgroup_join_open(const struct cgroup *cg, struct cgroup_join *join, nook_err *err);

/* In the new, single-threaded process: moves it into every opened hierarchy and closes the fds. */
int cgroup_join_self(struct cgroup_join *join, nook_err *err);

void cgroup_join_close(struct cgroup_join *join);

/* The pids in the cgroup and the cgroups below it (cgroup.procs, as seen from
 * nook's pid namespace, so also processes outside the container's). */
int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, nook_err *err);

/* SIGKILLs every process of the cgroup and below at once (cgroup2 cgroup.kill);
 * -ENOTSUP (err untouched) where the kernel or the host has none. */
int cgroup_kill(const struct cgroup *cg, nook_err *err);

/* Freezes or thaws the cgroup (v1 freezer, v2 cgroup.freeze) and waits until it is done. */
int cgroup_freeze(const struct cgroup *cg, bool frozen, nook_err *err);

/* Whether the cgroup is frozen now. */
bool cgroup_is_frozen(const struct cgroup *cg);

/* One rmdir per directory nook created, no waiting: 0 when all are gone, else
 * -EBUSY (processes or sub-cgroups remain; what could go is gone). */
int cgroup_remove_if_empty(struct cgroup *cg);

/* Removes the directories nook created and the cgroups the container made
 * below them, deepest first. Busy cgroups are retried briefly. */
int cgroup_destroy(struct cgroup *cg, nook_err *err);

void cgroup_free(struct cgroup *cg);

/* The container's usage as runc's events --stats "data": cpu, memory, pids, blkio, hugetlb. */
int cgroup_stats(const struct cgroup *cg, struct json_object **out, nook_err *err);

/* How many processes the OOM killer ended in the cgroup so far (0 when it cannot tell). */
int64_t cgroup_oom_kills(const struct cgroup *cg);

/* OOM notifications: poll fd for cgroup_oom_watch_events(); then
 * cgroup_oom_watch_read says how many OOM kills happened since. */
struct cgroup_oom_watch {
        int fd;
        int source_fd; /* v1: the memory.oom_control fd the eventfd listens to */
        bool v2;
        int64_t count; /* v2: the last oom_kill counter */
};
int cgroup_oom_watch_open(const struct cgroup *cg, struct cgroup_oom_watch *w, nook_err *err);
short cgroup_oom_watch_events(const struct cgroup_oom_watch *w);
int cgroup_oom_watch_read(struct cgroup_oom_watch *w, nook_err *err);
void cgroup_oom_watch_close(struct cgroup_oom_watch *w);

/* State-file form: [{"controllers":…, "mount":…, "path":…, "created":N, "v2":bool}, …]. */
struct json_object *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(struct json_object *json, struct cgroup **out, nook_err *err);

/* Mounts the host's cgroup hierarchies, as seen from the container's cgroup,
 * at dest inside rootfd (the OCI "cgroup" mount type): cgroup2 directly, v1 as
 * a tmpfs (with the SELinux mount_label, may be NULL) with one cgroup mount (or
 * bind, without a cgroup namespace) per hierarchy. */
int cgroup_mount_in_container(const struct cgroup *cg, int rootfd, const char *dest, unsigned long flags,
                              bool has_cgroupns, const char *mount_label, nook_err *err);

#endif
