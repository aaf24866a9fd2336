/* nook delete [-f] ID */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "container/container.h"

int cmd_delete(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        bool force = false;
        const struct option options[] = {
                { "force", 'f', OPTION_FLAG, &force, "kill a running container first", "" },
        };
        char *root = NULL;
        const char *id = NULL;
        int ret = cli_parse_id_command(g, "delete", "Delete a stopped or created container (--force: a running one too).", options, 1, argc, argv, &root, &id, err);
        if (ret == 0)
                ret = container_delete(root, id, force, err);
        free(root);
        return ret > 0 ? 0 : ret;
}
