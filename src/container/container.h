/* The container lifecycle, as the CLI drives it (runc's commands). */
#ifndef NOOK_CONTAINER_CONTAINER_H
#define NOOK_CONTAINER_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "linux/criu.h"
#include "spec/spec.h"
#include "util/error.h"

struct json_object;

struct create_options {
        const char *root; /* state root */
        const char *id;
        const char *bundle; /* NULL: the current directory */
        const char *pid_file;
        const char *console_socket;
        bool no_pivot;
        bool no_new_keyring;
        int preserve_fds;
        bool rootless;
        bool systemd_cgroup; /* --systemd-cgroup: refused with the reason */
};

/* Creates the container; its init waits for `start` and is the only process left. */
int container_create(const struct create_options *opts, nook_err *err);

/* Lets the init exec the program; fails with the exec error if it cannot. */
int container_start(const char *root, const char *id, nook_err *err);

/* create + start; unless detached, waits (forwarding signals) and returns the
 * program's exit code (128+signal when killed) in *exit_code, then deletes the
 * container unless keep. */
int container_run(const struct create_options *opts, bool detach, bool keep, int *exit_code, nook_err *err);

struct exec_options {
        const char *root;
        const char *id;
        const char *process_file; /* --process: the process JSON; else the container's, changed as below */
        char *const *args;        /* the command (replaces the process's args when given) */
        size_t n_args;
        bool tty;
        const char *console_socket;
        bool detach;
        const char *pid_file;
        const char *cwd;
        const char *const *env; /* KEY=VALUE, replacing KEY */
        size_t n_env;
        const char *user; /* UID[:GID] */
        const char *const *additional_gids;
        size_t n_additional_gids;
        const char *const *caps; /* added to the bounding, effective and permitted sets */
        size_t n_caps;
        bool no_new_privs;
        int preserve_fds;
        const char *process_label;
        const char *apparmor;
        const char *const *cgroups; /* "[controller[,controller]:]path" below the container's cgroup */
        size_t n_cgroups;
        bool ignore_paused; /* exec into a paused container (the process waits for resume) */
};

/* Runs a new process in a created (not yet started) or running container, as
 * runc does; in the foreground, returns its exit code (128+signal when killed)
 * in *exit_code. */
int container_exec(const struct exec_options *opts, int *exit_code, nook_err *err);

/* Sends sig to the init, or (all) to every process of the container's cgroup. */
int container_kill(const char *root, const char *id, int sig, bool all, nook_err *err);

/* Removes a stopped (or created) container; force kills a running one first. */
int container_delete(const char *root, const char *id, bool force, nook_err *err);

/* The OCI state of one container (ociVersion, id, status, pid, bundle, rootfs,
 * created, owner, annotations), as `nook state` prints it. */
int container_state(const char *root, const char *id, struct json_object **state, nook_err *err);

/* The OCI state of every container under root, as a JSON array (`nook list`). */
int container_list(const char *root, struct json_object **list, nook_err *err);

/* What the kernel gave a live container, read from its processes, mounts and
 * cgroups: the report `nook inspect` prints (its JSON form is in the README). */
int container_inspect(const char *root, const char *id, struct json_object **report, nook_err *err);

/* What this host gives containers: the report `nook check` prints. */
int container_check_host(struct json_object **report, nook_err *err);

/* The host pids of a container's processes (`nook ps`); *pids is allocated. */
int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, nook_err *err);

/* The OCI features structure of this build (features.md), as JSON. */
int container_features(const char *spec_version, const char *nook_version, struct json_object **out, nook_err *err);

/* Freezes (pause) or thaws (resume) every process of the container. */
int container_pause(const char *root, const char *id, bool pause, nook_err *err);

/* `update`: a linux.resources JSON file ("-": stdin; NULL: none), then single values over it. */
struct update_options {
        const char *resources;
        struct opt_i64 memory, memory_swap, memory_reservation, cpu_quota, cpu_rt_runtime, pids_limit;
        struct opt_u64 cpu_period, cpu_shares, cpu_rt_period, blkio_weight;
        const char *cpuset_cpus, *cpuset_mems;
};

/* Changes the resources of a created, running or paused container. */
int container_update(const char *root, const char *id, const struct update_options *opts, nook_err *err);

/* Receives one event of container_events (the callee neither keeps nor frees it);
 * a negative return stops the events with that error. */
typedef int (*container_event_fn)(struct json_object *event, void *ctx, nook_err *err);

/* `events`: runc-shaped events ({"type":"stats","id":…,"data":{…}}, {"type":"oom","id":…})
 * handed to emit: one stats event (stats_only), or a stats event at once and
 * every interval_ms, and an oom event at each OOM kill, until the container stops. */
int container_events(const char *root, const char *id, bool stats_only, long interval_ms, container_event_fn emit,
                     void *ctx, nook_err *err);

/* `checkpoint` and `restore` (criu, see linux/criu.h): runc's options. */
struct criu_common_options {
        const char *image_path;  /* NULL: ./checkpoint */
        const char *work_path;   /* NULL: the image path */
        const char *manage_cgroups_mode; /* soft, full, strict, ignore; NULL: criu's default */
        const char *const *empty_ns; /* --empty-ns NAME, repeated */
        size_t n_empty_ns;
        struct criu_switches sw;
};

struct checkpoint_options {
        const char *root;
        const char *id;
        struct criu_common_options criu;
        const char *parent_path; /* relative to the image path */
        const char *page_server; /* ADDRESS:PORT */
        int status_fd;           /* -1: none */
        bool leave_running, tcp_skip_in_flight, link_remap, pre_dump;
};

/* Saves a running or paused container's processes into the image directory
 * (with nook's record of its state and config); unless leave_running or
 * pre_dump, the container is then destroyed as `delete` would. */
int container_checkpoint(const struct checkpoint_options *opts, nook_err *err);

struct restore_options {
        struct create_options create; /* root, id, bundle, pid_file, console_socket, no_pivot … */
        struct criu_common_options criu;
        const char *lsm_profile, *lsm_mount_context;
        bool detach, no_subreaper;
};

/* Makes a container from a bundle and a checkpoint image, criu restoring its
 * processes where `create` would clone them; unless detached, waits for it as
 * `run` does and returns its exit code in *exit_code. */
int container_restore(const struct restore_options *opts, int *exit_code, nook_err *err);

#endif
