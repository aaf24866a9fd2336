/* nook run [options] ID */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/create_options.h"
#include "container/container.h"

int cmd_run(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        struct create_options opts = { 0 };
        bool detach = false, keep = false;
        const struct option extra[] = {
                { "detach", 'd', OPTION_FLAG, &detach, "return once the program runs", "" },
                { "keep", 0, OPTION_FLAG, &keep, "do not delete the container when it exits", "" },
        };
        char *root = NULL;
        int ret = create_options_parse("run", g, extra, 2, argc, argv, &opts, &root, err);
        if (ret == 0)
                ret = container_run(&opts, detach, keep, exit_code, err);
        free(root);
        return ret > 0 ? 0 : ret;
}
