/* Lists of CPU or NUMA node ids in the kernel's list format ("0-3,7"). */
#ifndef NOOK_UTIL_ID_LIST_H
#define NOOK_UTIL_ID_LIST_H

#include <stddef.h>

#include "util/error.h"

/* The highest id a list may hold, as runc allows (a bogus "99999999" must not
 * allocate a huge mask). */
#define ID_LIST_MAX (64u * 1024u)

#define ID_LIST_WORD_BITS (8 * sizeof(unsigned long))

/* Parses text (ranges "a-b" and single ids, comma-separated; spaces around and
 * empty elements allowed) into a bit mask, bit n = id n, the layout of
 * sched_setaffinity's cpu set and set_mempolicy's node mask. *nbits is the
 * highest id + 1. An empty or blank text gives *bits = NULL; a text with no
 * id at all ("," ) is an error. */
int id_list_parse(const char *text, unsigned long **bits, size_t *nbits, nook_err *err);

/* The mask's size in bytes, whole words. */
static inline size_t id_list_bytes(size_t nbits)
{
        return (nbits + ID_LIST_WORD_BITS - 1) / ID_LIST_WORD_BITS * sizeof(unsigned long);
}

#endif
