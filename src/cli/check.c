/* nook check [--format text|json] */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "container/container.h"
#include "util/cleanup.h"

static void print_text(FILE *out, json_object *report)
{
        json_object *caller = json_object_object_get(report, "caller");
        json_object *checks = json_object_object_get(report, "checks");
        fprintf(out, "What this host gives containers, checked as %s (uid %lld)\n\n", report_str(caller, "user"),
                (long long)report_int(caller, "uid", -1));
        size_t counts[3] = { 0 };
        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                const char *status = report_str(c, "status");
                counts[strcmp(status, "ok") == 0 ? 0 : strcmp(status, "warn") == 0 ? 1 : 2]++;
                char prefix[64], *text = NULL;
                snprintf(prefix, sizeof(prefix), "%-8s %-20s ", status, report_str(c, "name"));
                if (asprintf(&text, "%s - %s", report_str(c, "value"), report_str(c, "meaning")) < 0)
                        continue;
                report_wrap(out, prefix, 30, text);
                free(text);
        }
        fprintf(out, "\n%zu ok, %zu warn, %zu missing\n", counts[0], counts[1], counts[2]);
}

int cmd_check(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)g;
        (void)exit_code;
        const char *format = "text";
        const struct option options[] = {
                { "format", 'f', OPTION_STRING, &format, "text (for a person) or json (for a program)", "FORMAT" },
        };
        if (options_want_help(options, 1, OPTIONS_ANYWHERE, argc, argv)) {
                options_usage("check [options]", "Show what this host gives containers, before anything runs.",
                              options, 1);
                return 0;
        }
        int next;
        bool json = false;
        int ret = options_parse("check", options, 1, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("check", argc, next, 0, false, "no arguments", err);
        if (ret == 0)
                ret = report_format(format, &json, err);
        _cleanup_json_ json_object *report = NULL;
        if (ret == 0)
                ret = container_check_host(&report, err);
        if (ret == 0)
                ret = report_print(stdout, report, json, print_text, err);
        return ret;
}
