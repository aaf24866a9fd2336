#define _GNU_SOURCE
#include "linux/stdio.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int stdio_give_to_user(uid_t uid, nook_err *err)
{
        for (int fd = 0; fd <= 2; fd++) {
                struct stat st;
                if (fstat(fd, &st) < 0) {
                        if (errno == EBADF)
                                continue;
                        return nook_error_errno(err, "stat fd %d", fd);
                }
                if (st.st_uid == uid || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode)))
                        continue;
                /* Only the owner: the group may be one a mount chose, as runc leaves it. */
                if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EPERM && errno != EROFS)
                        return nook_error_errno(err, "give fd %d to uid %u", fd, uid);
        }
        return 0;
}
