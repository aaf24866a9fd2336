/* Linux security modules: whether the host runs AppArmor or SELinux, and
 * whether a config's labels can be honoured here. */
#ifndef NOOK_LINUX_LSM_H
#define NOOK_LINUX_LSM_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* As runc detects them: AppArmor's securityfs directory and module parameter;
 * a mounted selinuxfs. */
bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* Refuses a label nook cannot apply, before anything is set up: with the LSM
 * off (runc fails too: a container must not run unconfined when confinement
 * was asked for), or on, since nook does not apply labels yet.
 * mount_label may be NULL. */
int lsm_check(const struct spec_process *process, const char *mount_label, nook_err *err);

#endif
