/* nook ps [--format table|json] ID [PS OPTIONS...] */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "container/container.h"

int cmd_ps(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        const char *format = "table";
        const struct option options[] = {
                { "format", 'f', OPTION_STRING, &format, "table (through the host's ps) or json (the pids)",
                  "FORMAT" },
        };
        if (options_want_help(options, 1, OPTIONS_FIRST, argc, argv)) {
                options_usage("ps [options] ID [PS OPTIONS...]",
                              "List the processes of a container (ps options default to -ef).", options, 1);
                return 0;
        }
        int next;
        int ret = options_parse("ps", options, 1, OPTIONS_FIRST, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("ps", argc, next, 1, true, "a container id", err);
        if (ret < 0)
                return ret;
        bool json = strcmp(format, "json") == 0;
        if (!json && strcmp(format, "table") != 0)
                return nook_error(err, 0, "ps: --format: expected table or json, not \"%s\"", format);
        char **ps_args = argv + next + 1;
        size_t n_args = (size_t)(argc - next - 1);
        if (n_args > 0 && strcmp(ps_args[0], "--") == 0) {
                ps_args++;
                n_args--;
        }
        if (json && n_args > 0)
                return nook_error(err, 0, "ps: ps options cannot be used with --format json");
        char *root = NULL;
        ret = cli_state_root(g, &root, err);
        if (ret == 0)
                ret = container_ps(root, argv[next], json, ps_args, n_args, err);
        free(root);
        return ret;
}
