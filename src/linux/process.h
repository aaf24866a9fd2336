/* Per-process settings: rlimits, oom_score_adj, personality, scheduler, I/O
 * priority, memory policy, CPU affinity, sysctls, and finding the program to execute. */
#ifndef NOOK_LINUX_PROCESS_H
#define NOOK_LINUX_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* Applies process.rlimits to the calling process. */
int process_set_rlimits(const struct spec_process *process, nook_err *err);

/* Writes /proc/<pid>/oom_score_adj of the host's procfs. Lowering it below the
 * caller's needs CAP_SYS_RESOURCE: without it that is an error, as with runc. */
int process_set_oom_score_adj(pid_t pid, int value, nook_err *err);

/* personality(2), sched_setattr(2), ioprio_set(2) from the config. */
int process_set_personality(int persona, nook_err *err);
int process_set_scheduler(const struct spec_scheduler *scheduler, nook_err *err);
int process_set_io_priority(const struct spec_io_priority *prio, nook_err *err);

/* set_mempolicy(2) for the calling thread (inherited by its children and kept across execve). */
int process_set_memory_policy(const struct spec_memory_policy *policy, nook_err *err);

/* sched_setaffinity(2) of pid (0: the calling thread) to cpus (bits set). */
int process_set_affinity(pid_t pid, const struct spec_id_set *cpus, nook_err *err);

/* Sets the calling thread's affinity to cpus for what it clones next; *saved (heap)
 * keeps the old one for process_pop_affinity, which restores and frees it (NULL: nothing). */
int process_push_affinity(const struct spec_id_set *cpus, unsigned long **saved, nook_err *err);
void process_pop_affinity(unsigned long *saved);

/* Writes one sysctl ("net.ipv4.ip_forward") under procfd/sys, refusing symlinks and other mounts. */
int process_write_sysctl(int procfd, const char *key, const char *value, nook_err *err);

/* Opens <rootfd>/proc (no symlinks) and checks that it is the root of a procfs. */
int process_open_procfs(int rootfd, nook_err *err);

/* Opens name under procfd with no symlink, magic link or mount crossing. */
int process_open_proc_file(int procfd, const char *name, int flags, nook_err *err);

/* Finds args[0] on PATH (from env, else the default) in the current root, as
 * execvp would, and checks it can be executed. The errors say "executable file
 * not found in $PATH", "no such file or directory" or "permission denied", as
 * engines map those to exit codes 127 and 126. Returns a heap path. */
int process_find_executable(const char *arg0, const spec_strings *env, char **out, nook_err *err);

#endif
