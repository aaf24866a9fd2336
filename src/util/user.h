/* Users from passwd files (no NSS: nook is linked statically): the host's, and
 * a container's, read inside its root. */
#ifndef NOOK_UTIL_USER_H
#define NOOK_UTIL_USER_H

#include <sys/types.h>

#include "util/error.h"

/* The login name of uid, or its number as text; a heap string. */
char *user_name(uid_t uid);

/* Reads at most this much of a container's /etc/passwd: far above any real one. */
#define USER_PASSWD_MAX (16u << 20)

/* The home directory of uid in rootfd's /etc/passwd, resolved inside rootfd (a
 * symlink never leads out), into *home (a heap string); NULL when the file or
 * the user is missing, or the entry has no home. The file must be a regular
 * one; it is read by lines, no more than USER_PASSWD_MAX bytes. */
int user_home_in_root(int rootfd, uid_t uid, char **home, nook_err *err);

#endif
