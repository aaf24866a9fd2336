/* criu, driven as runc drives it: `criu swrk 3` started on one end of a
 * socketpair, one criu_req message in, criu_resp messages out (the RPC of
 * criu_rpc.proto, encoded with protobuf-c), criu's notifications answered on
 * the way. nook never composes a criu command line. Only checkpoint and restore
 * reach this file: nothing of it runs on any other path. */
#ifndef NOOK_LINUX_CRIU_H
#define NOOK_LINUX_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* criu's --manage-cgroups modes (runc's names: soft, full, strict, ignore). */
enum criu_cgroup_mode {
        CRIU_CGROUP_DEFAULT, /* criu's default (soft) */
        CRIU_CGROUP_SOFT,
        CRIU_CGROUP_FULL,
        CRIU_CGROUP_STRICT,
        CRIU_CGROUP_IGNORE,
};

/* A name, as runc spells it, into *mode; false when it is none of them. */
bool criu_cgroup_mode_parse(const char *name, enum criu_cgroup_mode *mode);

/* A pair of strings: an external mount (dump: mountpoint → name in the image;
 * restore: that name → host path), or a cgroup root (controllers, NULL for
 * every hierarchy → path). */
struct criu_pair {
        const char *key;
        const char *value;
};

/* One of criu's own fds that stands for a file the image names by key ("pipe:[N]"). */
struct criu_inherit {
        const char *key;
        int fd;
};

/* What the user switches on alike for checkpoint and restore (runc's flags of these names). */
struct criu_switches {
        bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup, lazy_pages;
};

struct criu_options {
        int images_dir_fd;          /* required */
        int work_dir_fd;            /* -1: the images directory */
        const char *log_file;       /* in the work directory */
        pid_t pid;                  /* dump: the root of the tree */
        const char *root;           /* the container's root, as nook sees it */
        const char *parent_image;   /* relative to the images directory; with it memory is tracked */
        const char *freeze_cgroup;  /* dump: freeze through this cgroup directory */
        const char *cgroup_yard;    /* the hierarchies mounted there (NULL: criu mounts them) */
        const char *config_file;    /* criu's configuration file (missing: ignored) */
        const char *lsm_profile;    /* restore: "apparmor:NAME", "selinux:LABEL" */
        const char *lsm_mount_context;
        struct criu_switches sw;
        bool leave_running, tcp_skip_in_flight, link_remap;
        enum criu_cgroup_mode cgroup_mode;
        unsigned empty_ns;          /* CLONE_NEW* made empty on restore, not dumped */
        const char *page_server_address; /* with page_server_port */
        int page_server_port;
        int status_fd;              /* lazy pages: criu writes \0 there when ready; -1: none */
        const struct criu_pair *mounts; /* ext_mnt */
        size_t n_mounts;
        const char *const *external; /* "net[INODE]:KEY": a namespace criu leaves to its caller */
        size_t n_external;
        const struct criu_inherit *inherit;
        size_t n_inherit;
        const struct criu_pair *join_ns; /* restore: a namespace ("ipc", …) → the path criu joins */
        size_t n_join_ns;
        const struct criu_pair *cgroup_roots;
        size_t n_cgroup_roots;
};

/* A criu swrk process and nook's end of its socket. */
struct criu_swrk {
        pid_t pid;
        int pidfd;
        int sock;
        bool reaped;
};

/* What criu may ask nook while it works (notify_scripts): the script's name
 * ("setup-namespaces", "post-restore", "orphan-pts-master" …), the pid it
 * concerns, and an fd it passed (-1: none; the handler owns it). A negative
 * return fails the request. */
typedef int (*criu_notify_fn)(void *data, const char *script, pid_t pid, int fd, nook_err *err);

/* The criu binary on PATH (runc's lookup), allocated; a clear error when there is none. */
int criu_find(char **path, nook_err *err);

/* How a swrk process starts. */
struct criu_swrk_setup {
        const int *extra_fds; /* go to 4, 5 … in criu (runc's numbering) */
        size_t n_extra;
        int mntns_fd;         /* >= 0: the mount namespace criu runs in */
        const void *sigmask;  /* a sigset_t: the signal mask criu gets (NULL: nook's) */
        bool quiet;           /* stdio on /dev/null; else nook's (a restore hands them on) */
};

/* Starts `criu swrk` from binary (setup NULL: nook's stdio and nothing more). */
int criu_swrk_start(const char *binary, const struct criu_swrk_setup *setup, struct criu_swrk *w, nook_err *err);

#define CRIU_CHECK_LOG "check.log"

/* criu's own check (`criu check`) in a swrk process of its own: 0 when this
 * kernel lets criu work, else the first error of its log, which it writes in
 * work_dir_fd as CRIU_CHECK_LOG (work_dir: its path, for the message). */
int criu_check(const char *binary, int work_dir_fd, const char *work_dir, nook_err *err);

/* criu's version as major*10000 + minor*100 + sublevel (3.17.1: 31701); the
 * swrk process stays open for the next request. */
int criu_version(struct criu_swrk *w, int *version, nook_err *err);

/* Asks whether criu and the kernel support memory tracking (pre-dump) and lazy
 * pages; names the missing one. The swrk process stays open. */
int criu_check_features(struct criu_swrk *w, bool mem_track, bool lazy_pages, nook_err *err);

enum criu_request {
        CRIU_DUMP,
        CRIU_PRE_DUMP,
        CRIU_RESTORE, /* the restored tree's root is the caller's child (rst_sibling) */
};

/* Sends one request and answers criu's notifications until its reply; then
 * waits for criu to exit. *restored gets the restored root's pid (may be NULL). */
int criu_request(struct criu_swrk *w, enum criu_request type, const struct criu_options *opts,
                 criu_notify_fn notify, void *data, pid_t *restored, nook_err *err);

/* Kills (unless it ended) and reaps the swrk process, closes the socket. */
void criu_swrk_close(struct criu_swrk *w);

#endif
