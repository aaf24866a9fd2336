/* Looking at a live process from the outside, the way lsns and cinf do: its
 * /proc/<pid> directory opened once as a dir fd (pinned to that process: once
 * it exits, reads through the fd fail instead of reading a recycled pid), its
 * status, namespaces and id maps read relative to it. */
#ifndef NOOK_LINUX_INTROSPECT_H
#define NOOK_LINUX_INTROSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

#define PROC_MAX_NS_LEVELS 32

/* The fields of /proc/<pid>/status that say who a process is and what it may do. */
struct proc_status {
        char name[64];
        char state; /* 'R', 'S', 'D', 'T', 'Z' … */
        pid_t ppid; /* as the reader sees it; 0 when the parent is outside its pid namespace */
        int threads;
        pid_t nspid[PROC_MAX_NS_LEVELS]; /* the reader's view first, the innermost last */
        int nspid_levels;
        uid_t uid[4]; /* real, effective, saved, filesystem: as the reader's user namespace sees them */
        gid_t gid[4];
        uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bounding, cap_ambient;
        int no_new_privs;    /* -1 when the kernel does not say */
        int seccomp_mode;    /* 0 disabled, 1 strict, 2 filter; -1 unknown */
        int seccomp_filters; /* -1 when the kernel does not say */
};

/* One namespace as /proc/<pid>/ns/<type> shows it; error is the -errno of stat when unreadable. */
struct ns_id {
        uint64_t inode;
        uint64_t dev;
        int error;
};

/* One line of a uid_map or gid_map: ids [inside, inside+count) are [outside, outside+count). */
struct id_range {
        uint32_t inside;
        uint32_t outside;
        uint32_t count;
};

/* Opens /proc/<pid> (O_DIRECTORY, O_CLOEXEC); with start_time != 0, fails with
 * -ESRCH when that pid is now another process (or a zombie). Returns the fd. */
int proc_open(pid_t pid, unsigned long long start_time, nook_err *err);

/* Field 22 of <procfd>/stat, 0 for a zombie or a process that is gone. */
unsigned long long proc_start_time(int procfd);

int proc_read_status(int procfd, struct proc_status *st, nook_err *err);

/* The file name under /proc/<pid>/ns of a namespace type ("mnt", "net" …). */
const char *proc_ns_file(enum spec_namespace_type type);

/* stat of every <procfd>/ns/<type>; an unreadable one gets its error, the rest are still filled. */
void proc_read_namespaces(int procfd, struct ns_id ids[NS_TYPE_COUNT]);

/* The identity (inode, device) of the namespace file at path, e.g. a bind-mounted /run/netns/x. */
int ns_id_of_path(const char *path, struct ns_id *id);

static inline bool ns_id_equal(const struct ns_id *a, const struct ns_id *b)
{
        return a->error == 0 && b->error == 0 && a->inode == b->inode && a->dev == b->dev;
}

/* Every process whose ns/<type> is the namespace id (pinned dir fds and pids,
 * sorted by pid); processes the caller may not look at are skipped. */
int proc_list_in_namespace(enum spec_namespace_type type, const struct ns_id *id, int **fds, pid_t **pids,
                           size_t *n, nook_err *err);

/* The label the process runs under for one LSM (<procfd>/attr/apparmor/current,
 * or attr/current), without its trailing newline; heap. */
int proc_read_lsm_label(int procfd, bool apparmor, char **label, nook_err *err);

/* Reads <procfd>/uid_map or gid_map (file names the map) as the caller's user namespace sees it. */
int proc_read_id_map(int procfd, const char *file, struct id_range **ranges, size_t *n, nook_err *err);

/* The outside id of an inside id, or false when it is not mapped. */
bool id_map_outside(const struct id_range *ranges, size_t n, uint32_t inside, uint32_t *outside);

/* The inside id of an outside id, or false when it is not mapped. */
bool id_map_inside(const struct id_range *ranges, size_t n, uint32_t outside, uint32_t *inside);

/* The process the host's namespaces are compared with: pid 1 when the caller may
 * read its namespaces, else kthreadd (pid 2, which lives in the initial
 * namespaces), else the caller itself (host is then false). Returns its dir fd. */
int proc_open_reference(pid_t *pid, bool *host, nook_err *err);

#endif
