/* maskedPaths and readonlyPaths, applied after pivot_root: every path is
 * resolved inside the container root, masks bind a /dev/null that nook opened
 * and verified itself (never one looked up in the container: CVE-2025-31133). */
#ifndef NOOK_LINUX_MASKED_H
#define NOOK_LINUX_MASKED_H

#include "spec/spec.h"
#include "util/error.h"

/* Opens the host's /dev/null and checks that it is the character device 1:3. */
int masked_open_null(nook_err *err);

/* Covers each path: a directory with an empty read-only tmpfs (labelled with
 * mount_label when not NULL), anything else with null_fd. Paths that do not
 * exist are skipped, as runc does. */
int masked_apply(int rootfd, const spec_strings *paths, int null_fd, const char *mount_label, nook_err *err);

/* Makes each path (and every mount below it) read-only; missing paths are skipped. */
int readonly_apply(int rootfd, const spec_strings *paths, nook_err *err);

#endif
