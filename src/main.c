/* nook: parse the global flags, dispatch to a command, report its error once. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "linux/userns.h"
#include "util/log.h"

static const struct command commands[] = {
        { "create", cmd_create, "create a container from a bundle" },
        { "start", cmd_start, "run the program of a created container" },
        { "run", cmd_run, "create and start a container" },
        { "exec", cmd_exec, "run a new process in a running container" },
        { "kill", cmd_kill, "send a signal to a container" },
        { "delete", cmd_delete, "delete a container" },
        { "state", cmd_state, "print the OCI state of a container" },
        { "list", cmd_list, "list containers" },
        { "ps", cmd_ps, "list the processes of a container" },
        { "spec", cmd_spec, "write a default config.json" },
        { "inspect", cmd_inspect, "show how isolated a running container really is" },
        { "check", cmd_check, "show what this host gives containers" },
        { "features", cmd_features, "print the OCI features of this build" },
        { "pause", cmd_pause, "freeze the processes of a container" },
        { "resume", cmd_resume, "thaw the processes of a paused container" },
        { "update", cmd_update, "change the resource limits of a container" },
        { "events", cmd_events, "print a container's resource usage and OOM events" },
        { "checkpoint", cmd_checkpoint, "save a running container with criu" },
        { "restore", cmd_restore, "restore a container from a checkpoint" },
};

static void usage(FILE *out)
{
        fprintf(out, "Usage: nook [global options] COMMAND [options] [arguments]\n\n"
                     "nook is an OCI container runtime.\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "  %-10s %s\n", "help", "show the help of a command");
        fprintf(out, "\nGlobal options:\n"
                     "  --root DIR              state directory (default /run/nook; rootless: "
                     "$XDG_RUNTIME_DIR/nook)\n"
                     "  --log FILE              write the log there (default stderr)\n"
                     "  --log-format FORMAT     text or json\n"
                     "  --debug                 log debug messages\n"
                     "  --systemd-cgroup        place the container in a systemd scope (cgroup v2; state remembers it)\n"
                     "  --rootless VALUE        true, false or auto (default auto: not root, or root of a\n"
                     "                          user namespace that is not the host's)\n"
                     "  -v, --version           print the version\n"
                     "  -h, --help              print this help\n");
}

static const struct command *find_command(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

int main(int argc, char **argv)
{
        struct global_options g = { 0 };
        const char *rootless = "auto";
        bool help = false, version = false;
        const struct option globals[] = {
                { "root", 0, OPTION_STRING, &g.root, "", "DIR" },
                { "log", 0, OPTION_STRING, &g.log, "", "FILE" },
                { "log-format", 0, OPTION_STRING, &g.log_format, "", "FORMAT" },
                { "debug", 0, OPTION_FLAG, &g.debug, "", "" },
                { "systemd-cgroup", 0, OPTION_FLAG, &g.systemd_cgroup, "", "" },
                { "rootless", 0, OPTION_STRING, &rootless, "", "VALUE" },
                { "help", 'h', OPTION_FLAG, &help, "", "" },
                { "version", 'v', OPTION_FLAG, &version, "", "" },
        };
        nook_err err = NULL;
        int next = 0;
        int ret = options_parse("nook", globals, sizeof(globals) / sizeof(globals[0]), OPTIONS_FIRST, argc - 1, argv + 1, &next,
                                &err);
        next += 1;
        bool json = g.log_format != NULL && strcmp(g.log_format, "json") == 0;
        if (ret == 0 && g.log_format != NULL && !json && strcmp(g.log_format, "text") != 0)
                ret = nook_error(&err, 0, "--log-format: unknown format \"%s\" (text or json)", g.log_format);
        if (ret == 0)
                ret = log_open(g.log, json, g.debug, &err);
        if (ret == 0) {
                if (strcmp(rootless, "true") == 0)
                        g.rootless = true;
                else if (strcmp(rootless, "false") == 0)
                        g.rootless = false;
                else if (strcmp(rootless, "auto") == 0)
                        g.rootless = geteuid() != 0 || !userns_is_initial();
                else
                        ret = nook_error(&err, 0, "--rootless: expected true, false or auto, not \"%s\"", rootless);
        }
        if (ret < 0) {
                log_fatal(err);
                return 1;
        }
        if (version) {
                printf("nook version %s\nspec: %s\n", NOOK_VERSION, NOOK_SPEC_VERSION);
                return 0;
        }
        if (help || next >= argc) {
                usage(help ? stdout : stderr);
                return help ? 0 : 1;
        }
        const char *name = argv[next];
        if (strcmp(name, "help") == 0) {
                if (next + 1 >= argc) {
                        usage(stdout);
                        return 0;
                }
                const struct command *c = find_command(argv[next + 1]);
                if (c == NULL) {
                        nook_error(&err, 0, "help: unknown command \"%s\"", argv[next + 1]);
                        log_fatal(err);
                        return 1;
                }
                char *help_argv[] = { "--help", NULL };
                int unused = 0;
                return c->run(&g, 1, help_argv, &unused, &err) < 0 ? 1 : 0;
        }
        const struct command *c = find_command(name);
        if (c == NULL) {
                nook_error(&err, 0, "unknown command \"%s\" (see nook --help)", name);
                log_fatal(err);
                return 1;
        }
        log_debug("nook %s", name);
        int exit_code = 0;
        if (c->run(&g, argc - next - 1, argv + next + 1, &exit_code, &err) < 0) {
                log_fatal(err);
                nook_error_free(&err);
                return exit_code != 0 ? exit_code : 1;
        }
        return exit_code;
}
