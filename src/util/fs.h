/* Small filesystem helpers, and path resolution confined to a root directory. */
#ifndef NOOK_UTIL_FS_H
#define NOOK_UTIL_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Reads all of fd into a NUL-terminated heap buffer. */
int read_all_fd(int fd, char **out, size_t *len, nook_err *err);

/* Reads dirfd/path whole (dirfd may be AT_FDCWD). */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, nook_err *err);

/* Writes data to an existing file dirfd/path in one write(2) (procfs, cgroupfs, sysctl). */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, nook_err *err);

/* Replaces dirfd/name with data atomically (temporary file + rename). */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode, nook_err *err);

/* write_file_atomic in two halves, for a caller with idle time before the moment
 * the file must appear: the temporary file (".NAME.PID", next to NAME) written,
 * then renamed over NAME. A failed commit removes the temporary file. */
int write_file_staged(int dirfd, const char *name, const char *data, size_t len, mode_t mode, nook_err *err);
int write_file_commit(int dirfd, const char *name, nook_err *err);

/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode, nook_err *err);

/* "/proc/self/fd/N" for an fd, into buf (at least 32 bytes). */
const char *fd_path(int fd, char *buf, size_t size);

/* Moves *fd to a number >= min (close-on-exec) unless it is there already or -1. */
int fd_move_above(int *fd, int min, nook_err *err);

/* The lexically clean form of path, as Go's filepath.Clean gives it: one
 * slash between components, no "." components, ".." folded where it can be
 * (never above "/"), no trailing slash; "" becomes ".". Allocated; NULL: no memory. */
char *path_clean(const char *path);

/* The parts joined with one slash between each two (slashes at the joins are
 * folded; the first part's leading ones and the last part's trailing ones
 * stay; empty parts are skipped), as systemd's path_join and crun's
 * append_paths: path_join("/sys/fs/cgroup/", "/memory", "x") is
 * "/sys/fs/cgroup/memory/x". Allocated; NULL: no memory. */
#define path_join(...) path_join_parts(__VA_ARGS__, (const char *)NULL)
char *path_join_parts(const char *first, ...);

/* A DIR* over a duplicate of fd (close-on-exec), so that closedir leaves fd
 * open; NULL with errno set on failure, nothing leaked. */
DIR *opendir_dup(int fd);

/* Whether two paths are the same but for repeated slashes, "." components and a
 * trailing slash ("/dev/" is "/dev"; ".." is compared as a name). No allocation. */
bool path_same(const char *a, const char *b);

/* What to create when a path resolved inside a root is missing. */
enum create_kind { CREATE_NONE, CREATE_DIR, CREATE_FILE };

/* Opens path inside the directory rootfd as if rootfd were "/": absolute
 * symlinks and ".." never leave it (openat2 RESOLVE_IN_ROOT). Missing
 * components are created as directories, the last one as `kind` says.
 * Returns an O_PATH fd (or flags when given) or a negative errno. */
int open_in_root(int rootfd, const char *path, int flags, enum create_kind kind, nook_err *err);

#endif
