/* A container's memory between nook calls: <root>/<id>/ with state.json
 * (written atomically), the config it was created from, and start.sock while
 * the init waits for `start`. The status is never stored: it is read off the
 * live process (pid + start time, so a recycled pid is not mistaken). */
#ifndef NOOK_CONTAINER_STATE_H
#define NOOK_CONTAINER_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "linux/cgroup.h"
#include "util/error.h"

struct json_object;

enum container_status {
        STATUS_CREATING, /* a live nook is creating it (no state.json yet, or one without the init) */
        STATUS_CREATED,
        STATUS_RUNNING,
        STATUS_PAUSED,
        STATUS_STOPPED,
};

struct container_state {
        char *id;
        char *dir; /* <root>/<id> */
        char *oci_version;
        char *bundle;
        char *rootfs;
        char *created; /* RFC 3339 */
        char *owner;
        pid_t pid;                     /* the init; 0 until it is ready */
        unsigned long long start_time; /* field 22 of /proc/<pid>/stat */
        pid_t creator;                 /* while pid is 0: the nook that creates the container */
        unsigned long long creator_start_time;
        struct cgroup *cgroup;         /* NULL when the container has none (rootless) */
        char *systemd_unit;            /* --systemd-cgroup: the unit systemd keeps it in (its cgroup's parent) */
        bool systemd_user;             /* ... on the user manager's bus (rootless), else the system bus */
        struct json_object *annotations;
        bool rootless;
        bool shares_pid_namespace; /* no new pid ns: its processes outlive the init */
};

/* Checks an id: not empty, at most 1024 bytes, no '/', not "." or "..", printable. */
int state_check_id(const char *id, nook_err *err);

/* The state root: --root, else $XDG_RUNTIME_DIR/nook when rootless, else /run/nook. */
int state_root_default(bool rootless, char **out, nook_err *err);

/* Creates <root>/<id> (mode 0700) atomically; EEXIST becomes "already exists". */
int state_reserve(const char *root, const char *id, char **dir, nook_err *err);

/* Writes state.json atomically. */
int state_save(const struct container_state *state, nook_err *err);

/* state_save in two halves: the new state.json written beside the old one, then
 * put in its place (one rename). state_remove_dir removes a staged one too. */
int state_stage(const struct container_state *state, nook_err *err);
int state_commit(const struct container_state *state, nook_err *err);

/* Loads <root>/<id>/state.json; a missing container says "does not exist". */
int state_load(const char *root, const char *id, struct container_state **out, nook_err *err);

/* Removes the state dir and what is in it. */
int state_remove_dir(const char *dir, nook_err *err);

/* What the container is doing now. */
enum container_status state_status(const struct container_state *state);
const char *state_status_name(enum container_status status);

/* The start time of pid (field 22 of /proc/<pid>/stat), 0 if it is gone, a zombie or exiting. */
unsigned long long state_process_start_time(pid_t pid);

/* The container's processes: its cgroup's; without a cgroup (rootless), the
 * members of its own pid namespace; else the init alone (none once stopped). */
int state_pids(const struct container_state *state, pid_t **pids, size_t *n, nook_err *err);

/* The OCI state object (ociVersion, id, status, pid, bundle, annotations, rootfs,
 * created, owner), as `nook state` prints it and hooks receive it. */
struct json_object *state_to_json(const struct container_state *state, enum container_status status);

/* Lists the ids under root (skipping what is not a container). */
int state_list_ids(const char *root, char ***ids, size_t *n, nook_err *err);

/* Frees what the state holds (not the struct itself). */
void state_clear(struct container_state *state);

void state_free(struct container_state *state);

#endif
