/* Words of a separated list: "cpu,cpuacct" (mount options, v1 controllers),
 * "cpu memory pids\n" (cgroup.controllers). */
#ifndef NOOK_UTIL_WORDS_H
#define NOOK_UTIL_WORDS_H

#include <stdbool.h>

/* Whether list (NULL: empty), split at any of separators, has word as one of its words. */
bool words_contain(const char *list, const char *separators, const char *word);

#endif
