#define _GNU_SOURCE
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

bool lsm_enabled(enum lsm_kind kind)
{
        if (kind == LSM_SELINUX)
                return access("/sys/fs/selinux/enforce", F_OK) == 0;
        char value = 0;
        _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        return fd >= 0 && read(fd, &value, 1) == 1 && value == 'Y';
}

int lsm_open_exec_attr(enum lsm_kind kind, nook_err *err)
{
        const char *path = "/proc/thread-self/attr/exec";
        int fd = -1;
        if (kind == LSM_APPARMOR)
                fd = open("/proc/thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `%s`", path);
        return fd;
}

int lsm_set_exec_label(int fd, enum lsm_kind kind, const char *label, nook_err *err)
{
        char text[4200];
        int len = snprintf(text, sizeof(text), kind == LSM_APPARMOR ? "exec %s" : "%s", label);
        if (len < 0 || (size_t)len >= sizeof(text))
                return nook_error(err, ENAMETOOLONG, "label \"%s\"", label);
        if (write(fd, text, (size_t)len) != len)
                return nook_error_errno(err, "set %s label \"%s\"", kind == LSM_APPARMOR ? "AppArmor" : "SELinux",
                                        label);
        return 0;
}
