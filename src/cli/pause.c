/* nook pause ID */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "container/container.h"

int cmd_pause(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        char *root = NULL;
        const char *id = NULL;
        int ret = cli_parse_id_command(g, "pause", "Freeze every process of a running container.", NULL, 0, argc, argv,
                                       &root, &id, err);
        if (ret == 0)
                ret = container_pause(root, id, true, err);
        free(root);
        return ret > 0 ? 0 : ret;
}
