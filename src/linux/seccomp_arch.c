/* Architecture names of linux.seccomp as libseccomp's tokens: what the compiler
 * (seccomp.c) and the -ENOSYS stub (seccomp_enosys.c) both resolve. */
#define _GNU_SOURCE
#include "linux/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <string.h>

int seccomp_arch_token(const char *name, uint32_t *token)
{
        char lower[32];
        if (strncmp(name, "SCMP_ARCH_", 10) == 0)
                name += 10;
        size_t len = strlen(name);
        if (len == 0 || len >= sizeof(lower))
                return -EINVAL;
        for (size_t i = 0; i <= len; i++)
                lower[i] = (char)tolower((unsigned char)name[i]);
        *token = seccomp_arch_resolve_name(lower);
        return *token != 0 ? 0 : -EINVAL;
}
