/* A container being created. Internal to container/.
 *
 * The plan (launch_plan.c, pure) is fixed before clone3: which processes a
 * start takes and what each one makes, as data. Then the stages run it:
 *   create.c         nook's side: clone3, the protocol, the state; undo on failure
 *   stage_init.c     the clone3 child, then the init: namespaces → rootfs → process
 *   stage_outer.c    locked mounts: the outer stage and its mount helper
 *   rootfs_setup.c   the rootfs set-up both the init and the mount helper run
 *
 * The layouts (which processes, who makes which namespace):
 *
 *   PARALLEL  nook ─clone3(pid, time)─▶ init
 *             The common path (rootful, no user namespace, nothing joined by path):
 *             the init unshares its other namespaces and mounts while nook makes
 *             the network namespace and the v1 cgroups; ENVIRONMENT brings both.
 *   SINGLE    nook ─clone3(every new namespace)─▶ init
 *             or, setns_first: the init joins the namespaces given by path, then
 *             unshares the new ones and says JOINED.
 *   FORK      nook ─clone3─▶ first ─fork(CLONE_PARENT)─▶ init
 *             A pid or time namespace set up after setns (or time offsets, which
 *             must be written before any process enters it) holds only children:
 *             the first child joins and unshares, then forks the init, nook's child.
 *   OUTER     nook ─clone3(mount[, user])─▶ outer ─clone3(CLONE_PARENT, user, …)─▶ init
 *                                            └─ mount helper (CLONE_VM)
 *             Locked mounts (stage_outer.c): the mounts are made one user
 *             namespace further out than the container's own.
 *   RESTORE   nook ─fork─▶ criu swrk ─(CLONE_PARENT)─▶ init, restored from an image
 *             `nook restore` (restore.c): the same preparation and undo, but criu
 *             rebuilds the namespaces, mounts and processes; no stage runs.
 *
 * The messages (sync.h) follow from the plan (launch_plan_steps):
 *
 *   nook                                         child
 *   clone3 ─────────────────────────────────────▶
 *                                     ◀──────── JOINED       setns_first
 *   cgroup, id maps, oom score (PARALLEL: network namespace, v1 cgroups, limits)
 *   ENVIRONMENT ────────────────────────────────▶            (PARALLEL: awaited before
 *                                                             the first sysfs or cgroup mount)
 *                                     ◀──────── HELLO        FORK, OUTER: the init itself
 *   the init's id maps
 *   MAPPED ─────────────────────────────────────▶            OUTER rootful
 *                                     ◀──────── HOOKS        prestart/createRuntime/createContainer hooks
 *   prestart, createRuntime hooks
 *   HOOKS_DONE ─────────────────────────────────▶            (then createContainer, in the init)
 *                                     ◀──────── CONSOLE      nook relays the terminal
 *                                     ◀──────── READY        the stub: caps, seccomp done
 *   state.json saved
 *   run: START ─────────────────────────────────▶ execve (EOF on the socket: it ran)
 *   create: COMMITTED ──────────────────────────▶ accept() on start.sock; nook exits
 *                                     ◀──────── ERROR        at any time
 *
 * RESTORE exchanges no message with the init: criu's notifications take their
 * place, in criu's order (restore.c answers them):
 *
 *   nook                                         criu swrk
 *   RESTORE request (external mounts, cgroup roots, inherited stdio) ▶
 *                             ◀──────── setup-namespaces (pid)   lo up; prestart, createRuntime hooks
 *                             ◀──────── orphan-pts-master (fd)   process.terminal: to the console socket
 *                             ◀──────── post-restore (pid)       the init is nook's child
 *                             ◀──────── reply; criu exits         state.json saved; poststart hooks
 */
#ifndef NOOK_CONTAINER_LAUNCH_H
#define NOOK_CONTAINER_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/container.h"
#include "container/state.h"
#include "container/sync.h"
#include "linux/cgroup.h"
#include "linux/systemd_unit.h"
#include <linux/filter.h>
#include "linux/stub.h"
#include "spec/spec.h"

enum launch_mode {
        LAUNCH_CREATE, /* the init waits on start.sock for `nook start` */
        LAUNCH_RUN,    /* the init waits for START on the sync socket */
        LAUNCH_RESTORE, /* criu restores the init from an image (restore.c) */
};

enum launch_layout {
        LAYOUT_PARALLEL,
        LAYOUT_SINGLE,
        LAYOUT_FORK,
        LAYOUT_OUTER,
        LAYOUT_RESTORE,
};

/* What a start does, decided before clone3 from the config and the caller. */
struct launch_plan {
        enum launch_mode mode;
        enum launch_layout layout;
        bool setns_first;            /* the clone3 child joins namespaces by path (or writes time offsets), then unshares */
        unsigned long clone_flags;   /* CLONE_NEW* clone3 makes */
        unsigned long unshare_flags; /* CLONE_NEW* the clone3 child unshares itself (after setns; PARALLEL: at once) */
        unsigned long init_flags;    /* OUTER: CLONE_NEW* the outer stage clones the init with (user included) */
        bool new_cgroupns;           /* made by the init once it is in its cgroup, so that cgroup is its root */
        bool netns_by_parent;        /* PARALLEL: nook makes the network namespace, sends it with ENVIRONMENT,
                                      * and brings its lo up */
        bool lo_by_init;             /* the init brings up lo of a network namespace nook did not make */
        bool new_userns;             /* the config asks for a new user namespace */
        bool in_userns;              /* the set-up runs as root of a user namespace (new, joined, or rootless) */
        bool first_maps_by_parent;   /* nook writes the clone3 child's id maps before ENVIRONMENT */
        bool init_maps_by_parent;    /* OUTER rootful: nook writes the init's id maps, then MAPPED */
        bool time_offsets;           /* linux.timeOffsets: written by the process that unshared the time namespace */
        bool outer_time;             /* OUTER: the outer stage makes the time namespace */
        bool outer_in_host;          /* OUTER rootful: the outer stage stays in nook's user namespace */
        bool outer_pivot;            /* OUTER: the mount helper pivots (no hook wants the host's view) */
        bool hooks_request;          /* prestart, createRuntime or createContainer hooks: HOOKS, HOOKS_DONE */
        bool console_relay;          /* process.terminal without --console-socket: nook relays it (CONSOLE) */
        bool shares_pid_namespace;   /* no pid namespace of its own: its processes outlive the init */
        bool cgroup_by_systemd;      /* --systemd-cgroup: a transient scope, made once the first process
                                      * exists (systemd wants one in it), joined by nook moving it */
};

/* The plan for a config, the caller's options, its mode and effective uid
 * (pure). The namespaces given by path are not opened here. */
void launch_plan_make(const struct spec *spec, const struct create_options *opts, enum launch_mode mode, uid_t euid,
                      struct launch_plan *plan);

/* One message of a start, in order. */
struct launch_step {
        bool from_child;
        enum sync_type type;
};

#define LAUNCH_MAX_STEPS 10

/* The messages a plan exchanges, in order, the final START or COMMITTED
 * included; returns how many (none for RESTORE: criu's notifications instead). */
size_t launch_plan_steps(const struct launch_plan *plan, struct launch_step steps[LAUNCH_MAX_STEPS]);

/* Whether hooks run before pivot_root (prestart, createRuntime, createContainer):
 * they get the root writable, so root.readonly waits for them. */
bool launch_has_early_hooks(const struct spec *spec);

struct launch {
        const struct create_options *opts;
        struct launch_plan plan;
        struct spec *spec;
        char *bundle; /* absolute */
        char *rootfs; /* absolute */
        struct container_state state;
        int ns_fds[NS_TYPE_COUNT]; /* namespaces given by path, opened; -1 otherwise */
        int *idmap_fds; /* per mounts[] entry: the user namespace of an idmapped mount, or -1 (NULL: none) */
        struct sock_filter *seccomp_filter; /* compiled before clone3; NULL: no seccomp */
        size_t seccomp_len;
        unsigned seccomp_flags;
        bool protect_exe;
        struct systemd_unit unit; /* --systemd-cgroup */
        bool unit_may_exist;      /* ... a start that may have made it: launch_abort stops it */

        /* Fds the children inherit: the socketpair, the start socket, the console socket. */
        int sync_fd;       /* nook's end */
        int child_sync_fd; /* the children's end */
        int start_fd;      /* listening start.sock (create), or -1 */
        int console_fd;    /* connected --console-socket, or -1 */
        struct cgroup_join cgroup_join; /* v1 hierarchies, joined by the clone3 child itself */

        /* nook's side, after clone3. */
        pid_t first;       /* the clone3 child (== pid in PARALLEL and SINGLE) */
        int first_pidfd;
        bool first_reaped;
        pid_t pid;         /* the init, once known */
        int pidfd;         /* of the init */
        int console_master;   /* with CONSOLE, or -1 */
        int seccomp_listener; /* with READY, or -1 */
        bool hooks_begun;     /* a failure from here on runs the poststop hooks */

        /* The children's side. */
        int outer_rootfd; /* OUTER, in the init: the rootfs the helper prepared; else -1 */
        bool environment_received; /* PARALLEL: ENVIRONMENT came (and the cgroup is joined) */
};

/* Validates the config and reserves the state dir and cgroup (launch_prepare.c). */
int launch_prepare(struct launch *l, const struct create_options *opts, enum launch_mode mode, nook_err *err);

/* Rootless: the cgroup, only where one is delegated to the caller (launch_prepare.c). */
int launch_plan_rootless_cgroup(struct launch *l, nook_err *err);

/* A user namespace with each idmapped mount's maps, into idmap_fds (launch_prepare.c). */
int launch_prepare_idmapped_mounts(struct launch *l, nook_err *err);

/* Writes state.json before the cgroup is made: what a killed create leaves, `delete -f` finds. */
int launch_save_planned_state(struct launch *l, nook_err *err);

/* Makes what remains of the cgroup and writes the limits (launch_prepare.c). */
int launch_make_cgroup(struct launch *l, nook_err *err);

/* Clones the init and answers its protocol until it is ready; saves state.json. */
int launch_spawn(struct launch *l, nook_err *err);

/* With the init ready (l->pid): its start time, the config and state.json saved,
 * --pid-file written (restore's end). launch_spawn does the same in two halves:
 * while the init sets itself up, the config saved and the state staged (nook
 * would only wait meanwhile); once it is READY, the state put in place and the
 * pid file written. */
int launch_save_state(struct launch *l, nook_err *err);
int launch_stage_state(struct launch *l, nook_err *err);
int launch_commit_state(struct launch *l, nook_err *err);

/* The last word to a ready init: START (run) or COMMITTED (create). */
int launch_release(struct launch *l, nook_err *err);

/* Runs the config's hooks of one kind with the state (in the given status) on
 * stdin; startContainer hooks inside the container (spawn.c), the others here. */
int launch_run_hooks(struct launch *l, enum spec_hook_kind kind, enum container_status status, nook_err *err);

/* Undoes a failed launch: kills the init, removes the cgroup, runs the poststop
 * hooks once any hook ran, removes the state dir. */
void launch_abort(struct launch *l);

void launch_free(struct launch *l);

/* Reads what the init says at its exec: EOF means the program runs, else why it failed. */
int start_wait_exec(int fd, nook_err *err);

/* Kills what is left of a container, removes its cgroup, runs the poststop
 * hooks (spec may be NULL) and removes its state dir. */
int container_destroy(struct container_state *state, const struct spec *spec, nook_err *err);

/* The clone3 child (stage_init.c): sets the container up and never returns
 * (execs or exits). */
__attribute__((noreturn)) void stage_init_main(struct launch *l);

/* The outer stage (stage_outer.c), in the clone3 child once it is root in the
 * outer user namespace: clones the init into the container's namespaces, has a
 * helper in those namespaces make the mounts, and exits. Returns 0 in the init,
 * with outer_rootfd set, once they are made (and its maps written). */
int stage_outer_start_init(struct launch *l, nook_err *err);

/* In the mount namespace where the container's mounts are made (rootfs_setup.c):
 * binds the rootfs, mounts the config's mounts, makes the devices, writes the
 * sysctls, masks and read-only paths; *rootfd gets the rootfs mount. */
int rootfs_setup_mounts(struct launch *l, int *rootfd, nook_err *err);

/* The sysctls, masks and read-only paths, resolved inside rootfd (part of
 * rootfs_setup_mounts; alone for a container without a mount namespace). */
int rootfs_setup_protect_paths(struct launch *l, int rootfd, nook_err *err);

/* After the mounts: makes a missing cwd while the root is writable, and makes
 * the root read-only unless hooks before pivot_root want it writable (then after them). */
int rootfs_setup_finish(struct launch *l, int rootfd, bool early_hooks_later, nook_err *err);

/* PARALLEL (rootfs_setup.c calls it before the first sysfs or cgroup mount): waits
 * for ENVIRONMENT, enters the network namespace and the cgroups it says exist,
 * and makes the cgroup namespace. A no-op once done, and on other layouts. */
int stage_init_await_environment(struct launch *l, nook_err *err); /* stage_environment.c */

#endif
