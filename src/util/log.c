#define _GNU_SOURCE
#include "util/log.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static int log_fd = STDERR_FILENO;
static bool log_json;
static enum log_level log_max = LOG_LEVEL_WARNING;

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

int log_open(const char *path, bool json, bool debug, nook_err *err)
{
        log_json = json;
        log_max = debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING;
        if (path == NULL || *path == '\0')
                return 0;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return nook_error_errno(err, "open log file `%s`", path);
        log_fd = fd;
        return 0;
}

bool log_is_debug(void)
{
        return log_max >= LOG_LEVEL_DEBUG;
}

void log_timestamp(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* logrus quotes msg like Go's strconv.Quote. */
static void append_quoted(FILE *out, const char *s)
{
        fputc('"', out);
        for (; *s != '\0'; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        fprintf(out, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", out);
                else if (c == '\t')
                        fputs("\\t", out);
                else if (c < 0x20)
                        fprintf(out, "\\x%02x", c);
                else
                        fputc(c, out);
        }
        fputc('"', out);
}

static void write_line(enum log_level level, const char *msg)
{
        char when[64];
        log_timestamp(when, sizeof(when));
        char *line = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&line, &len);
        if (out == NULL)
                return;
        if (log_json) {
                _cleanup_json_ json_object *o = json_object_new_object();
                json_object_object_add(o, "level", json_object_new_string(level_names[level]));
                json_object_object_add(o, "msg", json_object_new_string(msg));
                json_object_object_add(o, "time", json_object_new_string(when));
                fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                      out);
        } else if (log_fd == STDERR_FILENO) {
                /* A person reads this: plain text. */
                if (level == LOG_LEVEL_ERROR)
                        fprintf(out, "nook: %s", msg);
                else
                        fprintf(out, "nook: %s: %s", level_names[level], msg);
        } else {
                fprintf(out, "time=\"%s\" level=%s msg=", when, level_names[level]);
                append_quoted(out, msg);
        }
        fputc('\n', out);
        fclose(out);
        /* One write per line so concurrent writers to an O_APPEND file never interleave. */
        if (write(log_fd, line, len) < 0) {
                /* Nowhere left to report a failing log. */
        }
        free(line);
}

void log_write(enum log_level level, const char *fmt, ...)
{
        if (level > log_max)
                return;
        char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        write_line(level, msg);
        free(msg);
}

void log_fatal(const struct nook_error *err)
{
        write_line(LOG_LEVEL_ERROR, err->msg);
        if (log_fd != STDERR_FILENO)
                dprintf(STDERR_FILENO, "%s\n", err->msg);
}
