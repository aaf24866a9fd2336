#define _GNU_SOURCE
#include "util/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

char *user_name(uid_t uid)
{
        _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (f != NULL && getline(&line, &cap, f) > 0) {
                /* name:password:uid:... */
                char *name_end = strchr(line, ':');
                char *uid_field = name_end != NULL ? strchr(name_end + 1, ':') : NULL;
                if (uid_field == NULL)
                        continue;
                char *end;
                unsigned long value = strtoul(uid_field + 1, &end, 10);
                if (*end == ':' && end != uid_field + 1 && value == uid)
                        return strndup(line, (size_t)(name_end - line));
        }
        char *out = NULL;
        if (asprintf(&out, "%u", uid) < 0)
                return NULL;
        return out;
}
