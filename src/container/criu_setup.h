/* What checkpoint and restore share around criu: the checked options, the
 * image and work directories, criu found and checked on this host, nook's
 * record in the image, and the container's mountpoints resolved in its rootfs.
 * Internal to container/. */
#ifndef NOOK_CONTAINER_CRIU_SETUP_H
#define NOOK_CONTAINER_CRIU_SETUP_H

#include <stdbool.h>

#include "container/container.h"
#include "container/state.h"
#include "linux/criu.h"
#include "spec/spec.h"
#include "util/error.h"

/* The image's file of the container's stdio as its init had them ("pipe:[N]",
 * "/dev/null"): runc's name and format, so either runtime restores the other's. */
#define CRIU_DESCRIPTORS_FILE "descriptors.json"
/* nook's record: the state and the config the container ran with. */
#define CRIU_RECORD_FILE "nook.json"
/* criu's cgroup yard, in the container's state directory. */
#define CRIU_YARD "criu-yard"

struct criu_setup {
        char *binary;       /* criu on PATH */
        char *image_path;   /* absolute */
        char *work_path;    /* absolute; the image path when not given */
        int image_fd, work_fd;
        enum criu_cgroup_mode cgroup_mode;
        unsigned empty_ns;
        /* criu's own mount namespace (criu_setup_namespace): */
        int ns_fd;
        int ns_image_fd, ns_work_fd; /* the directories as that namespace sees them */
        char *yard;                  /* the host's cgroup hierarchies, bound there */
        char **yard_dirs;            /* yard/<name> a hierarchy (removed with the yard) */
        size_t n_yard_dirs;
};

/* The options checked (names, values) before anything else: no system change. */
int criu_setup_check_options(const struct criu_common_options *o, struct criu_setup *s, nook_err *err);

/* Finds criu and runs its check, then opens (create: makes) the directories;
 * the work directory gets criu's logs. */
int criu_setup_open(const struct criu_common_options *o, bool create, struct criu_setup *s, nook_err *err);

/* The mount namespace criu runs in (ns_fd; it ends with criu): "/" a slave of
 * nook's, so nothing made there reaches the host; the image and work
 * directories opened there (criu mounts in its work directory, which must be a
 * mount of its own namespace); and a cgroup yard at `yard` (a new directory)
 * holding a bind of each of the host's cgroup hierarchies, for criu to use
 * instead of mounting cgroupfs itself — a new cgroup2 mount resets the host's
 * cgroup2 options (nsdelegate, memory_recursiveprot: criu issue 3029). inside,
 * when not NULL, runs in the namespace before nook goes back to its own. */
int criu_setup_namespace(struct criu_setup *s, const char *yard, int (*inside)(void *data, nook_err *err),
                         void *data, nook_err *err);

/* Closes the fds and removes the yard's directories (empty mountpoints, as the
 * host sees them). */
void criu_setup_close(struct criu_setup *s);

/* Per mounts[]: where the destination is in the rootfs as the container sees it
 * (symlinks of the image followed inside it); NULL where it cannot be resolved. */
int criu_setup_mountpoints(const struct spec *spec, const char *rootfs, char ***out, nook_err *err);

void criu_setup_free_mountpoints(const struct spec *spec, char **mountpoints);

/* The init's stdio as criu must be told of them: keys[fd] is "pipe:[N]" for a
 * pipe (runc's key), "file[MNT:INO]" for a file on a mount outside the
 * container (the caller's /dev/null, a log file: declared external), NULL for
 * what criu saves itself (a terminal of the container's). On restore, nook's
 * own stdio stand for them. */
int criu_setup_stdio_keys(pid_t pid, char *keys[3], nook_err *err);

/* Whether an earlier fd has the same key (one file on all three: criu hears of it once). */
bool criu_setup_stdio_repeated(char *const keys[3], int fd);

/* Writes the init's stdio (descriptors.json, runc's record) and nook's record
 * (state, config, stdio keys) into the image. */
int criu_setup_save_record(const struct criu_setup *s, const struct container_state *state,
                           const struct spec *spec, char *const keys[3], nook_err *err);

/* The stdio keys of an image: nook's record, else (an image of runc's) the
 * pipes of descriptors.json. Allocated; NULL where there is none. */
int criu_setup_load_stdio_keys(const struct criu_setup *s, char *keys[3], nook_err *err);

#endif
