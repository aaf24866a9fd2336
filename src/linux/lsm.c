#define _GNU_SOURCE
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

bool lsm_apparmor_enabled(void)
{
        struct stat st;
        if (stat("/sys/kernel/security/apparmor", &st) < 0)
                return false;
        _cleanup_free_ char *enabled = NULL;
        if (read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &enabled, NULL, NULL) < 0)
                return false;
        return enabled[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
        struct statfs sfs;
        return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

static int refuse(const char *field, const char *label, const char *lsm, bool enabled, nook_err *err)
{
        if (!enabled)
                return nook_error(err, EOPNOTSUPP, "%s \"%s\": %s is not enabled on this host", field, label, lsm);
        return nook_error(err, EOPNOTSUPP, "%s \"%s\": nook does not apply %s labels yet", field, label, lsm);
}

int lsm_check(const struct spec_process *process, const char *mount_label, nook_err *err)
{
        if (process->apparmor_profile != NULL && process->apparmor_profile[0] != '\0')
                return refuse("process.apparmorProfile", process->apparmor_profile, "AppArmor",
                              lsm_apparmor_enabled(), err);
        if (process->selinux_label != NULL && process->selinux_label[0] != '\0')
                return refuse("process.selinuxLabel", process->selinux_label, "SELinux", lsm_selinux_enabled(), err);
        if (mount_label != NULL && mount_label[0] != '\0')
                return refuse("linux.mountLabel", mount_label, "SELinux", lsm_selinux_enabled(), err);
        return 0;
}
