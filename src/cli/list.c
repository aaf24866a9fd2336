/* nook list [-q] [--format table|json] */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "container/container.h"

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
        char *root = NULL;
        int ret = options_parse("list", options, 2, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("list", argc, next, 0, false, "no arguments", err);
        if (ret == 0)
                ret = cli_state_root(g, &root, err);
        if (ret == 0)
                ret = container_print_list(root, format, quiet, err);
        free(root);
        return ret;
}
