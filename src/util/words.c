#define _GNU_SOURCE
#include "util/words.h"

#include <string.h>

bool words_contain(const char *list, const char *separators, const char *word)
{
        size_t len = strlen(word);
        for (const char *p = list; p != NULL && *p != '\0';) {
                p += strspn(p, separators);
                size_t n = strcspn(p, separators);
                if (n == len && n > 0 && strncmp(p, word, len) == 0)
                        return true;
                p += n;
        }
        return false;
}
