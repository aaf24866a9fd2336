/* Security-module labels for the next execve: an AppArmor profile or an
 * SELinux process label (process.apparmorProfile, process.selinuxLabel). */
#ifndef NOOK_LINUX_LSM_H
#define NOOK_LINUX_LSM_H

#include <stdbool.h>

#include "util/error.h"

enum lsm_kind { LSM_APPARMOR, LSM_SELINUX };

/* Whether the module is active on this host. */
bool lsm_enabled(enum lsm_kind kind);

/* Opens the calling thread's exec attribute in the host's /proc: done before
 * entering the container, whose /proc may be anything. */
int lsm_open_exec_attr(enum lsm_kind kind, nook_err *err);

/* Labels the next execve of the thread that opened fd. */
int lsm_set_exec_label(int fd, enum lsm_kind kind, const char *label, nook_err *err);

#endif
