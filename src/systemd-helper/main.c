/* nook-systemd: reads the request, runs one operation, prints the answer or
 * the error line (helper.h describes the protocol). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

#define REQUEST_MAX (1024 * 1024)

static int read_request(char **out, size_t *len)
{
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        if (buf == NULL)
                return -ENOMEM;
        for (;;) {
                if (n + 1 >= cap) {
                        if (cap >= REQUEST_MAX) {
                                free(buf);
                                return -E2BIG;
                        }
                        cap *= 2;
                        char *bigger = realloc(buf, cap);
                        if (bigger == NULL) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = bigger;
                }
                ssize_t r = read(STDIN_FILENO, buf + n, cap - n - 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if (r == 0)
                        break;
                n += r;
        }
        buf[n] = '\0';
        *out = buf;
        *len = n;
        return 0;
}

static const char *string_field(json_object *o, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("nook-systemd: request: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return 2;
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--version") == 0) {
                puts("nook-systemd (the D-Bus client of nook's systemd cgroup driver)");
                return 0;
        }
        if (argc > 1) {
                fprintf(stderr, "usage: nook-systemd < REQUEST.json (see nook's src/systemd-helper/helper.h)\n");
                return 2;
        }
        char *text = NULL;
        size_t len = 0;
        int r = read_request(&text, &len);
        if (r < 0)
                return usage_error("read stdin: %s", strerror(-r));
        json_tokener *tok = json_tokener_new();
        json_object *request = tok != NULL ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
        bool complete = tok != NULL && json_tokener_get_error(tok) == json_tokener_success;
        json_tokener_free(tok);
        free(text);
        if (request == NULL || !complete || !json_object_is_type(request, json_type_object))
                return usage_error("not a JSON object");

        struct helper h = { .manager_version = -1, .timeout_ms = HELPER_DEFAULT_TIMEOUT_MS };
        const char *op = string_field(request, "op");
        h.bus_kind = string_field(request, "bus");
        h.unit = string_field(request, "unit");
        json_object *timeout = NULL, *properties = NULL;
        if (json_object_object_get_ex(request, "timeout_ms", &timeout)) {
                int64_t t = json_object_get_int64(timeout);
                if (!json_object_is_type(timeout, json_type_int) || t <= 0 || t > 3600 * 1000)
                        return usage_error("\"timeout_ms\" must be a number of milliseconds in [1, 3600000]");
                h.timeout_ms = (uint64_t)t;
        }
        json_object_object_get_ex(request, "properties", &properties);
        if (op == NULL)
                return usage_error("no \"op\"");
        if (h.bus_kind == NULL || (strcmp(h.bus_kind, "system") != 0 && strcmp(h.bus_kind, "user") != 0))
                return usage_error("\"bus\" must be \"system\" or \"user\"");
        bool needs_unit = strcmp(op, "ping") != 0;
        if (needs_unit && (h.unit == NULL || h.unit[0] == '\0'))
                return usage_error("%s: no \"unit\"", op);
        bool needs_properties = strcmp(op, "start") == 0 || strcmp(op, "set-properties") == 0;
        if (needs_properties && (properties == NULL || !json_object_is_type(properties, json_type_array)))
                return usage_error("%s: \"properties\" must be an array", op);
        int (*run)(struct helper *, json_object *, json_object *) = NULL;
        if (strcmp(op, "start") == 0)
                run = helper_start;
        else if (strcmp(op, "set-properties") == 0)
                run = helper_set_properties;
        else if (strcmp(op, "stop") != 0 && strcmp(op, "ping") != 0)
                return usage_error("unknown op \"%s\"", op);

        helper_set_deadline(&h);
        json_object *answer = json_object_new_object();
        r = helper_connect(&h);
        bool reached = r == 0;
        if (r == 0) {
                json_object_object_add(answer, "bus", json_object_new_string(h.bus_kind));
                json_object_object_add(answer, "address", json_object_new_string(h.address));
                json_object_object_add(answer, "direct", json_object_new_boolean(h.direct));
                if (h.unit != NULL)
                        json_object_object_add(answer, "unit", json_object_new_string(h.unit));
                if (run != NULL)
                        r = run(&h, properties, answer);
                else if (strcmp(op, "stop") == 0)
                        r = helper_stop(&h, answer);
                else
                        r = helper_ping(&h, answer);
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", h.error != NULL ? h.error : "nook-systemd: failed");
                return !reached ? 3 : r == -EEXIST ? 4 : 1;
        }
        puts(json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(stdout);
        sd_bus_flush_close_unref(h.bus);
        json_object_put(answer);
        json_object_put(request);
        return 0;
}
