/* Names of users, read from the host's /etc/passwd (no NSS: nook is linked statically). */
#ifndef NOOK_UTIL_USER_H
#define NOOK_UTIL_USER_H

#include <sys/types.h>

/* The login name of uid, or its number as text; a heap string. */
char *user_name(uid_t uid);

#endif
