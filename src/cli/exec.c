/* nook exec [options] ID [COMMAND [ARGS...]] */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "container/container.h"

int cmd_exec(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        struct exec_options o = { 0 };
        struct option_list env = { 0 }, gids = { 0 }, caps = { 0 }, cgroups = { 0 };
        const struct option options[] = {
                { "process", 'p', OPTION_STRING, &o.process_file, "the process to run, as an OCI process JSON",
                  "FILE" },
                { "tty", 't', OPTION_FLAG, &o.tty, "allocate a pseudo-terminal", "" },
                { "console-socket", 0, OPTION_STRING, &o.console_socket,
                  "unix socket to send the terminal's master fd to", "PATH" },
                { "detach", 'd', OPTION_FLAG, &o.detach, "return once the program runs", "" },
                { "pid-file", 0, OPTION_STRING, &o.pid_file, "write the process's pid to FILE", "FILE" },
                { "cwd", 0, OPTION_STRING, &o.cwd, "working directory in the container", "DIR" },
                { "env", 'e', OPTION_LIST, &env, "set an environment variable (repeatable)", "KEY=VALUE" },
                { "user", 'u', OPTION_STRING, &o.user, "run as this user", "UID[:GID]" },
                { "additional-gids", 'g', OPTION_LIST, &gids, "supplementary group (repeatable)", "GID" },
                { "cap", 'c', OPTION_LIST, &caps, "add a capability (repeatable)", "CAP" },
                { "no-new-privs", 0, OPTION_FLAG, &o.no_new_privs, "set no_new_privs", "" },
                { "preserve-fds", 0, OPTION_INT, &o.preserve_fds, "pass N more fds (3 to 3+N-1) to the process",
                  "N" },
                { "process-label", 0, OPTION_STRING, &o.process_label, "SELinux label of the process", "LABEL" },
                { "apparmor", 0, OPTION_STRING, &o.apparmor, "AppArmor profile of the process", "PROFILE" },
                { "cgroup", 0, OPTION_LIST, &cgroups,
                  "run in this sub-cgroup of the container's (repeatable)", "[CONTROLLER:]PATH" },
                { "ignore-paused", 0, OPTION_FLAG, &o.ignore_paused,
                  "exec into a paused container (the process runs once it is resumed)", "" },
        };
        size_t n = sizeof(options) / sizeof(options[0]);
        if (options_want_help(options, n, OPTIONS_FIRST, argc, argv)) {
                options_usage("exec [options] ID [COMMAND [ARGS...]]",
                              "Run a new process in a created or running container.", options, n);
                return 0;
        }
        int next;
        char *root = NULL;
        int ret = options_parse("exec", options, n, OPTIONS_FIRST, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("exec", argc, next, 1, true, "a container id", err);
        if (ret == 0 && o.preserve_fds < 0)
                ret = nook_error(err, 0, "exec: --preserve-fds must not be negative");
        if (ret == 0)
                ret = cli_state_root(g, &root, err);
        if (ret == 0) {
                o.root = root;
                o.id = argv[next];
                o.args = argv + next + 1;
                o.n_args = (size_t)(argc - next - 1);
                o.env = env.items;
                o.n_env = env.len;
                o.additional_gids = gids.items;
                o.n_additional_gids = gids.len;
                o.caps = caps.items;
                o.n_caps = caps.len;
                o.cgroups = cgroups.items;
                o.n_cgroups = cgroups.len;
                ret = container_exec(&o, exit_code, err);
                /* As runc: nook's own failures exit 255, so that a caller tells them from
                 * the program's exit codes (a usage error above stays 1). */
                if (ret < 0)
                        *exit_code = 255;
        }
        free(env.items);
        free(gids.items);
        free(caps.items);
        free(cgroups.items);
        free(root);
        return ret;
}
