/* nook spec [--bundle DIR] [--rootless] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

int cmd_spec(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        const char *bundle = ".";
        bool rootless = false;
        const struct option options[] = {
                { "bundle", 'b', OPTION_STRING, &bundle, "where to write config.json", "DIR" },
                { "rootless", 0, OPTION_FLAG, &rootless, "a config for an unprivileged caller", "" },
        };
        if (options_want_help(options, 2, OPTIONS_ANYWHERE, argc, argv)) {
                options_usage("spec [options]", "Write a default config.json.", options, 2);
                return 0;
        }
        int next;
        int ret = options_parse("spec", options, 2, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("spec", argc, next, 0, false, "no arguments", err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *text = spec_default_json(rootless || g->rootless);
        _cleanup_free_ char *path = path_join(bundle, "config.json");
        if (text == NULL || path == NULL)
                return nook_error(err, ENOMEM, "spec");
        /* Like runc, never overwrite a config that is already there. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return nook_error_errno(err, "spec: create `%s`", path);
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
                return nook_error_errno(err, "spec: write `%s`", path);
        return 0;
}
