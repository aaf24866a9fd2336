#define _GNU_SOURCE
#include "util/id_list.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* One decimal id at *p (no sign, no spaces inside), moving *p past it. */
static bool parse_id(const char **p, unsigned *out)
{
        if (!isdigit((unsigned char)**p))
                return false;
        unsigned long value = 0;
        while (isdigit((unsigned char)**p)) {
                value = value * 10 + (unsigned long)(**p - '0');
                if (value > ID_LIST_MAX)
                        return false;
                (*p)++;
        }
        *out = (unsigned)value;
        return true;
}

static void skip_blanks(const char **p)
{
        while (**p == ' ' || **p == '\t')
                (*p)++;
}

/* Walks the list, calling each range in; returns 0 or the error. */
static int walk(const char *text, unsigned long *bits, unsigned *highest, size_t *ranges, nook_err *err)
{
        for (const char *p = text; *p != '\0';) {
                skip_blanks(&p);
                if (*p == ',' || *p == '\0') {
                        p += *p == ',';
                        continue; /* an empty element */
                }
                const char *start = p;
                unsigned first, last;
                if (!parse_id(&p, &first))
                        return nook_error(err, 0, "\"%s\": expected an id (at most %u) at \"%s\"", text,
                                          ID_LIST_MAX, start);
                last = first;
                if (*p == '-') {
                        p++;
                        if (!parse_id(&p, &last))
                                return nook_error(err, 0, "\"%s\": expected an id (at most %u) at \"%s\"",
                                                  text, ID_LIST_MAX, start);
                        if (last < first)
                                return nook_error(err, 0, "\"%s\": invalid range %u-%u", text, first, last);
                }
                skip_blanks(&p);
                if (*p != ',' && *p != '\0')
                        return nook_error(err, 0, "\"%s\": unexpected \"%s\"", text, p);
                p += *p == ',';
                if (*ranges == 0 || last > *highest)
                        *highest = last;
                (*ranges)++;
                for (unsigned id = first; bits != NULL && id <= last; id++)
                        bits[id / ID_LIST_WORD_BITS] |= 1UL << (id % ID_LIST_WORD_BITS);
        }
        return 0;
}

int id_list_parse(const char *text, unsigned long **bits, size_t *nbits, nook_err *err)
{
        *bits = NULL;
        *nbits = 0;
        if (text[strspn(text, " \t")] == '\0')
                return 0;
        /* Twice: the size first, then the bits. */
        unsigned highest = 0;
        size_t ranges = 0;
        int ret = walk(text, NULL, &highest, &ranges, err);
        if (ret < 0)
                return ret;
        if (ranges == 0)
                return nook_error(err, 0, "\"%s\": no id in the list", text);
        _cleanup_free_ unsigned long *mask = calloc(1, id_list_bytes((size_t)highest + 1));
        if (mask == NULL)
                return nook_error(err, ENOMEM, "\"%s\"", text);
        ranges = 0;
        ret = walk(text, mask, &highest, &ranges, err);
        if (ret < 0)
                return ret;
        *bits = steal_pointer(&mask);
        *nbits = (size_t)highest + 1;
        return 0;
}
