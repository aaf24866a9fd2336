/* A container being created: everything the parent decides before clone3 and
 * the child (container/init.c) reads after it. Internal to container/. */
#ifndef NOOK_CONTAINER_LAUNCH_H
#define NOOK_CONTAINER_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/container.h"
#include "container/state.h"
#include "linux/cgroup.h"
#include <linux/filter.h>
#include "linux/stub.h"
#include "spec/spec.h"

enum launch_mode {
        LAUNCH_CREATE, /* init waits on start.sock for `nook start` */
        LAUNCH_RUN,    /* init waits for GO on the sync socket */
};

struct launch {
        const struct create_options *opts;
        enum launch_mode mode;
        struct spec *spec;
        char *bundle; /* absolute */
        char *rootfs; /* absolute */
        struct container_state state;

        /* Namespaces: flags for clone3, or for unshare after joining paths. */
        unsigned long new_ns_flags; /* CLONE_NEW* to create (cgroup excluded: see init.c) */
        bool new_cgroupns;
        int ns_fds[NS_TYPE_COUNT]; /* opened paths, -1 when created or absent */
        bool joins_paths;          /* some namespace is joined: setns + unshare in the child */
        bool second_fork;          /* the init is a grandchild (pid/time namespace set up by the child) */
        bool new_userns;
        bool in_userns; /* the container runs in a user namespace (new or joined) */
        /* Locked mounts (outer.c): the clone3 child makes an outer user namespace with the
         * config's maps and a mount namespace where a helper makes every mount; the init
         * gets the container's own user namespace (inner_ns_flags) and a copy of that
         * mount namespace, in which the kernel locks them all. */
        bool outer_userns;
        unsigned long inner_ns_flags; /* CLONE_NEW* the init is cloned with (CLONE_NEWUSER included) */
        bool outer_time;              /* the outer stage makes the time namespace (offsets) */
        bool outer_in_host;           /* rootful: the outer stage stays in nook's user namespace and
                                       * nook writes the init's maps; else it makes its own with them */
        int outer_rootfd;             /* in the init: the prepared rootfs, from the helper; else -1 */
        bool outer_pivot;             /* the helper pivots into the rootfs (no hook needs the host's view) */
        int *idmap_fds; /* per mounts[] entry: the user namespace of an idmapped mount, or -1 (NULL: none) */

        /* Fds the child keeps: its end of the socketpair, the start socket, the console socket. */
        int sync_fd;        /* parent's end */
        int child_sync_fd;  /* child's end */
        int start_fd;       /* listening start.sock (create), or -1 */
        int console_fd;     /* connected --console-socket, or -1 */
        bool protect_exe;
        struct sock_filter *seccomp_filter; /* compiled before clone3; NULL: no seccomp */
        size_t seccomp_len;
        unsigned seccomp_flags;

        struct cgroup_join cgroup_join; /* the init moves itself into the v1 hierarchies */
        /* The common path (no user namespace, nothing joined): the init makes its own mount,
         * net, ipc and uts namespaces and mounts while nook makes its v1 cgroups; it joins
         * them (and makes its cgroup namespace) only once GO says they exist. */
        bool cgroup_deferred;
        unsigned long child_unshare_flags;
        bool netns_by_parent; /* and sent with GO: the init enters it in ensure_cgroup */
        bool cgroup_joined; /* child side */
        int console_master;   /* pty master sent by the init when nook relays the terminal, or -1 */
        int seccomp_listener; /* seccomp notify fd that came with READY, or -1 */
        bool hooks_begun; /* a failure from here on runs the poststop hooks */
        pid_t pid;     /* the container init */
        pid_t child;   /* the process clone3 made (== pid unless second_fork) */
        int pidfd;     /* of child */
        bool child_reaped;
};

/* Validates the config and reserves the state dir and cgroup. */
int launch_prepare(struct launch *l, const struct create_options *opts, enum launch_mode mode, nook_err *err);

/* Rootless: the cgroup, only where one is delegated to the caller (launch_userns.c). */
int launch_plan_rootless_cgroup(struct launch *l, nook_err *err);

/* A user namespace with each idmapped mount's maps, into idmap_fds (launch_userns.c). */
int launch_prepare_idmapped_mounts(struct launch *l, nook_err *err);

/* Clones the init and answers its protocol until it is ready; saves state.json. */
int launch_spawn(struct launch *l, nook_err *err);

/* Runs the config's hooks of one kind with the state (in the given status) on
 * stdin; startContainer hooks inside the container (spawn.c), the others here. */
int launch_run_hooks(struct launch *l, enum spec_hook_kind kind, enum container_status status, nook_err *err);

/* clone3 with CLONE_PIDFD (and flags), straight into the cgroup2 directory
 * cgroup_fd when there is one (-1: none); falls back to a plain clone3 when the
 * kernel refuses direct entry. *into_cgroup says whether it went in. Returns as clone3. */
long launch_clone(uint64_t flags, int cgroup_fd, int *pidfd, bool *into_cgroup);

/* Undoes a failed launch: kills the init, removes the cgroup, runs the poststop
 * hooks once any hook ran, removes the state dir. */
void launch_abort(struct launch *l);

void launch_free(struct launch *l);

/* Reads what the init says at its exec: EOF means the program runs, else why it failed. */
int start_wait_exec(int fd, nook_err *err);

/* Kills what is left of a container, removes its cgroup, runs the poststop
 * hooks (spec may be NULL) and removes its state dir. */
int container_destroy(struct container_state *state, const struct spec *spec, nook_err *err);

/* In the mount namespace where the container's mounts are made: binds the
 * rootfs, mounts the config's mounts, makes the devices, writes the sysctls,
 * masks and read-only paths; *rootfd gets the rootfs mount (init.c). */
int init_prepare_rootfs(struct launch *l, int *rootfd, nook_err *err);

/* The outer stage (outer.c), in the clone3 child once it is root in the outer
 * user namespace: clones the init into the container's namespaces, writes its
 * maps, and has a helper in those namespaces make the mounts. Returns 0 in the
 * init, with outer_rootfd set, once they are made; the child itself never returns
 * on success. */
int outer_start_init(struct launch *l, nook_err *err);

/* Whether hooks run before pivot_root (prestart, createRuntime, createContainer):
 * they get the root writable, so root.readonly waits for them. */
bool outer_has_early_hooks(const struct spec *spec);

/* Child side: sets the container up and never returns (execs or exits). */
__attribute__((noreturn)) void init_main(struct launch *l);

#endif
