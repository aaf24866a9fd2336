/* runc-compatible logging: --log FILE, --log-format text|json, --debug.
 * Lines look like logrus's: time="…" level=error msg="…", or
 * {"level":"error","msg":"…","time":"…"} (containerd's shim reads the last error line). */
#ifndef NOOK_UTIL_LOG_H
#define NOOK_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Opens the log (path NULL or "" → stderr); json selects the JSON-lines format. */
int log_open(const char *path, bool json, bool debug, nook_err *err);

/* Writes one line at the given level (dropped when level is above the configured one). */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Now, UTC, RFC 3339 with nanoseconds ("2026-01-02T03:04:05.123456789Z"), as runc writes times. */
void log_timestamp(char *buf, size_t size);

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_warning(...) log_write(LOG_LEVEL_WARNING, __VA_ARGS__)

/* True when --debug was given. */
bool log_is_debug(void);

/* Reports the error that ends a command: one log line, plus a plain line on
 * stderr when the log goes elsewhere (as runc does). */
void log_fatal(const struct nook_error *err);

#endif
