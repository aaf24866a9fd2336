/* nook state ID */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "container/container.h"
#include "util/cleanup.h"

int cmd_state(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        _cleanup_free_ char *root = NULL;
        const char *id = NULL;
        _cleanup_json_ json_object *state = NULL;
        int ret = cli_parse_id_command(g, "state", "Print the OCI state of a container as JSON.", NULL, 0, argc, argv,
                                       &root, &id, err);
        if (ret == 0)
                ret = container_state(root, id, &state, err);
        if (ret == 0)
                report_print_json(stdout, state);
        return ret > 0 ? 0 : ret;
}
