/* nook kill [--all] ID [SIGNAL] */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/signals.h"

int cmd_kill(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        bool all = false;
        const struct option options[] = {
                { "all", 'a', OPTION_FLAG, &all, "signal every process of the container", "" },
        };
        if (options_want_help(options, 1, OPTIONS_ANYWHERE, argc, argv)) {
                options_usage("kill [options] ID [SIGNAL]",
                              "Send a signal (default SIGTERM; a name like KILL or SIGKILL, or a number; "
                              "0: only check that the container runs).",
                              options, 1);
                return 0;
        }
        int next;
        int ret = options_parse("kill", options, 1, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret < 0)
                return ret;
        if (argc - next < 1 || argc - next > 2)
                return cli_expect_args("kill", argc, next, 1, false, "a container id and a signal", err);
        int sig = SIGTERM;
        if (argc - next == 2) {
                /* 0 sends nothing: it asks whether the container is alive (runc takes it too). */
                sig = strcmp(argv[next + 1], "0") == 0 ? 0 : signal_from_name(argv[next + 1]);
                if (sig < 0)
                        return nook_error(err, 0, "kill: unknown signal \"%s\"", argv[next + 1]);
        }
        char *root = NULL;
        ret = cli_state_root(g, &root, err);
        if (ret == 0)
                ret = container_kill(root, argv[next], sig, all, err);
        free(root);
        return ret;
}
