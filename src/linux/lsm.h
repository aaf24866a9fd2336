/* Linux security modules: whether the host runs AppArmor or SELinux, the early
 * checks of a config's labels, and the writes to a thread's /proc attr files
 * that apply them (the kernel's answer to those writes is the final word).
 *
 * Every attr file is opened below a procfs root nook opened and checked itself
 * (lsm_open_procfs), never by a path in the container: an image's fake /proc
 * must not turn a write into a no-op (CVE-2019-16884). The file is opened right
 * before its write: the kernel refuses a write through an fd opened under other
 * credentials (proc_pid_attr_write compares f_cred with the writer's). */
#ifndef NOOK_LINUX_LSM_H
#define NOOK_LINUX_LSM_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

enum lsm_kind { LSM_APPARMOR, LSM_SELINUX };

/* As runc detects them: AppArmor's securityfs directory and module parameter;
 * a mounted selinuxfs. */
bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* "enforcing" or "permissive" (SELinux on), NULL when off or unreadable. */
const char *lsm_selinux_mode(void);

/* The labels of one process, and the names of the fields they came from (for
 * messages: "process.apparmorProfile", or exec's "--apparmor"). NULL or "": none. */
struct lsm_labels {
        const char *apparmor_profile;
        const char *apparmor_field;
        const char *selinux_label;
        const char *selinux_field;
        const char *mount_label; /* linux.mountLabel (create only) */
};

/* The labels of a config's process (and its mountLabel; may be NULL), with their fields' names. */
struct lsm_labels lsm_labels_of(const struct spec_process *process, const char *mount_label);

/* Whether any process label is set (then the init or exec needs lsm_open_procfs). */
bool lsm_has_process_labels(const struct lsm_labels *labels);

/* Before anything is set up: refuses a label whose LSM is off (as runc does: a
 * container must not run less confined than its config asked), a malformed
 * label, and (SELinux) a context the loaded policy does not know. An AppArmor
 * profile that is not loaded is refused by the kernel at lsm_apply_exec_labels. */
int lsm_check_labels(const struct lsm_labels *labels, nook_err *err);

/* lsm_check_labels for a config: process.apparmorProfile, process.selinuxLabel,
 * linux.mountLabel (may be NULL). */
int lsm_check(const struct spec_process *process, const char *mount_label, nook_err *err);

/* Opens the procfs at /proc of the caller's root, checked to be the root of a
 * procfs; done while that is nook's own (before pivot_root or setns). */
int lsm_open_procfs(nook_err *err);

/* The attr file of the calling thread below a procfs root: legacy is for
 * kernels without per-LSM directories (before 5.1), where attr/ is the one
 * LSM's ("thread-self/attr/apparmor/exec", "thread-self/attr/exec"). */
const char *lsm_attr_name(enum lsm_kind lsm, const char *attr, bool legacy, char *buf, size_t size);

/* What AppArmor's attr/exec is given for profile: "stack P" when the process
 * will have no_new_privs and is confined already (the only change AppArmor
 * then allows), else "exec P". Into buf; NULL when it does not fit. */
const char *lsm_apparmor_exec_command(const char *profile, bool no_new_privs, bool confined, char *buf,
                                      size_t size);

/* Whether an AppArmor attr/current text ("unconfined\n", "foo (enforce)\n") is unconfined. */
bool lsm_apparmor_is_unconfined(const char *current);

/* Sets the labels the calling thread's next execve gives it (inherited by a
 * fork before it): AppArmor's exec transition (or stack, see above), SELinux's
 * exec context. Errors name the field. */
int lsm_apply_exec_labels(int procfd, const struct lsm_labels *labels, bool no_new_privs, nook_err *err);

/* What a refused execve may be refused for: the process labels and their fields
 * ("process.selinuxLabel \"…\""), for the error message; heap, NULL when none. */
char *lsm_exec_note(const struct lsm_labels *labels);

/* SELinux: the label of keyrings the calling thread creates (selinux_label's
 * field names it); NULL resets it to the default. */
int lsm_set_keycreate(int procfd, const struct lsm_labels *labels, bool reset, nook_err *err);

/* A mount's data with context="label" added for SELinux, unless data already
 * names a context of its own (context=, fscontext=, defcontext=, rootcontext=).
 * *out: the new heap string, or NULL when data stays as it is. */
int lsm_mount_data(const char *data, const char *label, char **out, nook_err *err);

/* Labels the root of a filesystem without context= support (mqueue) through
 * its security.selinux attribute; dirfd is that root, opened O_DIRECTORY. */
int lsm_label_mount_root(int dirfd, const char *label, const char *what, nook_err *err);

#endif
