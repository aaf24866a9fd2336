/* nook create [options] ID */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/create_options.h"
#include "container/container.h"

int create_options_parse(const char *command, const struct global_options *g, const struct option *extra,
                         size_t n_extra, int argc, char **argv, struct create_options *opts, char **root,
                         nook_err *err)
{
        const struct option common[] = {
                { "bundle", 'b', OPTION_STRING, &opts->bundle, "the bundle directory (default: the current one)",
                  "DIR" },
                { "pid-file", 0, OPTION_STRING, &opts->pid_file, "write the container process's pid to FILE",
                  "FILE" },
                { "console-socket", 0, OPTION_STRING, &opts->console_socket,
                  "unix socket to send the terminal's master fd to", "PATH" },
                { "no-pivot", 0, OPTION_FLAG, &opts->no_pivot, "MS_MOVE + chroot instead of pivot_root", "" },
                { "no-new-keyring", 0, OPTION_FLAG, &opts->no_new_keyring, "keep the caller's session keyring",
                  "" },
                { "preserve-fds", 0, OPTION_INT, &opts->preserve_fds,
                  "pass N more fds (3 to 3+N-1) to the container", "N" },
        };
        size_t n = sizeof(common) / sizeof(common[0]);
        struct option all[16];
        for (size_t i = 0; i < n; i++)
                all[i] = common[i];
        for (size_t i = 0; i < n_extra && n < 16; i++)
                all[n++] = extra[i];
        if (options_want_help(all, n, OPTIONS_ANYWHERE, argc, argv)) {
                char usage[64];
                snprintf(usage, sizeof(usage), "%s [options] ID", command);
                options_usage(usage,
                              command[0] == 'c' ? "Create a container from a bundle; it waits for `nook start`."
                                                : "Create and start a container, and wait for it (unless -d).",
                              all, n);
                return 1;
        }
        int next;
        int ret = options_parse(command, all, n, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args(command, argc, next, 1, false, "a container id", err);
        if (ret < 0)
                return ret;
        if (opts->preserve_fds < 0)
                return nook_error(err, 0, "%s: --preserve-fds must not be negative", command);
        opts->id = argv[next];
        opts->rootless = g->rootless;
        opts->systemd_cgroup = g->systemd_cgroup;
        ret = cli_state_root(g, root, err);
        if (ret < 0)
                return ret;
        opts->root = *root;
        return 0;
}

int cmd_create(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        struct create_options opts = { 0 };
        char *root = NULL;
        int ret = create_options_parse("create", g, NULL, 0, argc, argv, &opts, &root, err);
        if (ret == 0)
                ret = container_create(&opts, err);
        free(root);
        return ret > 0 ? 0 : ret;
}
