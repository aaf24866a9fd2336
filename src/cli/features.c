/* nook features */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "container/container.h"
#include "util/cleanup.h"

int cmd_features(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)g, (void)exit_code;
        if (options_want_help(NULL, 0, OPTIONS_ANYWHERE, argc, argv)) {
                options_usage("features", "Print the OCI features this build of nook implements, as JSON.", NULL, 0);
                return 0;
        }
        _cleanup_json_ json_object *features = NULL;
        int ret = cli_expect_args("features", argc, 0, 0, false, "no arguments", err);
        if (ret == 0)
                ret = container_features(NOOK_SPEC_VERSION, NOOK_VERSION, &features, err);
        if (ret < 0)
                return ret;
        report_print_json(stdout, features);
        return 0;
}
