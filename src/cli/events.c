/* nook events [--stats] [--interval D] ID */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "container/container.h"

/* "5s", "250ms", "1.5s", "2m", "1h"; a bare number is seconds. */
static int parse_duration(const char *text, long *ms, nook_err *err)
{
        static const struct {
                const char *suffix;
                double ms;
        } units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 } };
        char *end = NULL;
        errno = 0;
        double v = strtod(text, &end);
        if (errno == 0 && end != text && v > 0)
                for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                        if (strcmp(end, units[i].suffix) == 0 && v * units[i].ms >= 1 && v * units[i].ms < 1e9) {
                                *ms = (long)(v * units[i].ms);
                                return 0;
                        }
        return nook_error(err, 0, "events: --interval: \"%s\" is not a duration like 5s or 250ms", text);
}

/* One event a line, flushed at once: a reader acts on each as it comes. */
static int print_event(json_object *event, void *ctx, nook_err *err)
{
        (void)ctx;
        if (printf("%s\n", json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN)) < 0 || fflush(stdout) != 0)
                return nook_error_errno(err, "events: write to stdout");
        return 0;
}

int cmd_events(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        bool stats = false;
        const char *interval = "5s";
        const struct option options[] = {
                { "stats", 0, OPTION_FLAG, &stats, "print the usage once and exit", "" },
                { "interval", 0, OPTION_STRING, &interval, "how often to print the usage (default 5s)", "D" },
        };
        char *root = NULL;
        const char *id = NULL;
        int ret = cli_parse_id_command(g, "events",
                                       "Print the container's cgroup usage (stats) every interval, and its OOM "
                                       "kills, as JSON lines until it stops.",
                                       options, 2, argc, argv, &root, &id, err);
        long ms = 0;
        if (ret == 0)
                ret = parse_duration(interval, &ms, err);
        if (ret == 0)
                ret = container_events(root, id, stats, ms, print_event, NULL, err);
        free(root);
        return ret > 0 ? 0 : ret;
}
