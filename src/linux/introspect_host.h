/* Probes of what the running kernel offers containers. Each one asks the
 * kernel (a harmless call, or a throwaway child process) rather than guessing
 * from the version: 0 when the feature works, else a negative errno
 * (-ENOSYS: the kernel lacks it; -EPERM/-EACCES: present but refused to the caller). */
#ifndef NOOK_LINUX_INTROSPECT_HOST_H
#define NOOK_LINUX_INTROSPECT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "linux/introspect.h"

/* clone3 exists. */
int probe_clone3(void);

/* clone3 knows CLONE_INTO_CGROUP (told apart by the error for a non-cgroup fd; no process is made). */
int probe_clone_into_cgroup(void);

/* openat2 with RESOLVE_IN_ROOT. */
int probe_openat2(void);

/* open_tree, move_mount, fsopen, fsconfig, fsmount, mount_setattr: each exists
 * (fsopen may be refused to an unprivileged caller; that still says it exists).
 * *missing names the first absent call. */
int probe_mount_api(const char **missing);

/* An idmapped clone of the mount at path (needs privilege: -EPERM otherwise). */
int probe_idmapped_mount(const char *path);

/* pidfd_open and pidfd_send_signal on the caller itself. */
int probe_pidfd(void);

/* Seccomp filters, and SECCOMP_RET_USER_NOTIF. */
int probe_seccomp_filter(void);
int probe_seccomp_notify(void);

/* A process with the caller's ids (or nobody's, when the caller is root) can unshare(CLONE_NEWUSER). */
int probe_unprivileged_userns(void);

/* A namespace type exists (/proc/self/ns/<file>). */
int probe_namespace(const char *ns_file);

/* overlay is in /proc/filesystems: 0; only as a module not loaded yet: -ENOPKG; else -ENOSYS. */
int probe_overlayfs(void);

/* The subordinate id ranges of a user in /etc/subuid or /etc/subgid (lines
 * "name:start:count" or "uid:start:count"); ranges[i].inside is unused. A
 * missing file is no ranges. */
int host_subid_ranges(const char *file, uid_t uid, const char *name, struct id_range **ranges, size_t *n);

/* Finds a helper program (newuidmap) in the usual bin directories; *privileged
 * when it is owned by root and setuid, or carries file capabilities. -ENOENT when absent. */
int host_find_helper(const char *name, char *path, size_t size, bool *privileged);

#endif
