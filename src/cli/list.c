/* nook list [-q] [--format table|json] */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "container/container.h"
#include "util/cleanup.h"

/* ID PID STATUS BUNDLE CREATED OWNER, one container a line, as runc prints it. */
static void print_table(json_object *list)
{
        printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *c = json_object_array_get_idx(list, i);
                const char *owner = report_str(c, "owner");
                printf("%-20s %-8d %-10s %-40s %-30s %s\n", report_str(c, "id"), (int)report_int(c, "pid", 0),
                       report_str(c, "status"), report_str(c, "bundle"), report_str(c, "created"),
                       owner != NULL ? owner : "");
        }
}

int cmd_list(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        bool quiet = false;
        const char *format = "table";
        const struct option options[] = {
                { "quiet", 'q', OPTION_FLAG, &quiet, "print only the ids", "" },
                { "format", 'f', OPTION_STRING, &format, "table or json", "FORMAT" },
        };
        if (options_want_help(options, 2, OPTIONS_ANYWHERE, argc, argv)) {
                options_usage("list [options]", "List the containers under the state root.", options, 2);
                return 0;
        }
        int next;
        _cleanup_free_ char *root = NULL;
        _cleanup_json_ json_object *list = NULL;
        int ret = options_parse("list", options, 2, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("list", argc, next, 0, false, "no arguments", err);
        if (ret == 0)
                ret = cli_state_root(g, &root, err);
        bool json = strcmp(format, "json") == 0;
        if (ret == 0 && !json && strcmp(format, "table") != 0)
                ret = nook_error(err, 0, "--format: unknown format \"%s\" (table or json)", format);
        if (ret == 0)
                ret = container_list(root, &list, err);
        if (ret < 0)
                return ret;
        if (quiet) {
                for (size_t i = 0; i < json_object_array_length(list); i++)
                        printf("%s\n", report_str(json_object_array_get_idx(list, i), "id"));
        } else if (json) {
                report_print_json(stdout, list);
        } else {
                print_table(list);
        }
        return 0;
}
