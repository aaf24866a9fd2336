/* nook ps [--format table|json] ID [PS OPTIONS...]: the container's pids as
 * JSON, or the host's ps(1) filtered to the lines of those pids, as runc does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Runs ps with args and returns what it printed. */
static int run_ps(char *const *args, size_t n_args, char **out, nook_err *err)
{
        _cleanup_free_ char **argv = calloc(n_args + 3, sizeof(char *));
        if (argv == NULL)
                return nook_error(err, ENOMEM, "ps");
        argv[0] = "ps";
        if (n_args == 0)
                argv[1] = "-ef";
        memcpy(argv + 1, args, n_args * sizeof(char *));
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nook_error_errno(err, "pipe");
        _cleanup_close_ int from_ps = pipefd[0];
        _cleanup_pid_ pid_t pid = fork();
        if (pid < 0) {
                close(pipefd[1]);
                return nook_error_errno(err, "fork");
        }
        if (pid == 0) {
                dup2(pipefd[1], STDOUT_FILENO);
                execvp("ps", argv);
                dprintf(STDERR_FILENO, "nook: ps: %s\n", strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);
        int ret = read_all_fd(from_ps, out, NULL, err);
        int status;
        int waited = pid_wait(&pid, &status);
        if (waited < 0)
                return nook_error(err, -waited, "wait for ps");
        if (ret == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                ret = nook_error(err, 0, "ps exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return ret;
}

/* The index of the PID column in ps's header line. */
static int pid_column(const char *header)
{
        _cleanup_free_ char *copy = strdup(header);
        char *save = NULL;
        int i = 0;
        for (char *field = strtok_r(copy, " \t", &save); field != NULL; field = strtok_r(NULL, " \t", &save), i++)
                if (strcmp(field, "PID") == 0)
                        return i;
        return -1;
}

static bool line_has_pid(const char *line, int column, const pid_t *pids, size_t n)
{
        _cleanup_free_ char *copy = strdup(line);
        char *save = NULL;
        char *field = strtok_r(copy, " \t", &save);
        for (int i = 0; field != NULL && i < column; i++)
                field = strtok_r(NULL, " \t", &save);
        if (field == NULL)
                return false;
        pid_t pid = (pid_t)atoi(field);
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

static int print_table(const pid_t *pids, size_t n, char *const *args, size_t n_args, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        int ret = run_ps(args, n_args, &text, err);
        if (ret < 0)
                return ret;
        char *save = NULL;
        char *header = strtok_r(text, "\n", &save);
        int column = header != NULL ? pid_column(header) : -1;
        if (column < 0)
                return nook_error(err, 0, "ps: no PID column in its output (add -o pid or -f)");
        printf("%s\n", header);
        for (char *line = strtok_r(NULL, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
                if (line_has_pid(line, column, pids, n))
                        printf("%s\n", line);
        return 0;
}

static void print_json(const pid_t *pids, size_t n)
{
        printf("[");
        for (size_t i = 0; i < n; i++)
                printf("%s%d", i > 0 ? "," : "", pids[i]);
        printf("]\n");
}

int cmd_ps(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        const char *format = "table";
        const struct option options[] = {
                { "format", 'f', OPTION_STRING, &format, "table (through the host's ps) or json (the pids)",
                  "FORMAT" },
        };
        if (options_want_help(options, 1, OPTIONS_FIRST, argc, argv)) {
                options_usage("ps [options] ID [PS OPTIONS...]",
                              "List the processes of a container (ps options default to -ef).", options, 1);
                return 0;
        }
        int next;
        int ret = options_parse("ps", options, 1, OPTIONS_FIRST, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args("ps", argc, next, 1, true, "a container id", err);
        if (ret < 0)
                return ret;
        bool json = strcmp(format, "json") == 0;
        if (!json && strcmp(format, "table") != 0)
                return nook_error(err, 0, "ps: --format: expected table or json, not \"%s\"", format);
        char **ps_args = argv + next + 1;
        size_t n_args = (size_t)(argc - next - 1);
        if (n_args > 0 && strcmp(ps_args[0], "--") == 0) {
                ps_args++;
                n_args--;
        }
        if (json && n_args > 0)
                return nook_error(err, 0, "ps: ps options cannot be used with --format json");
        _cleanup_free_ char *root = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        ret = cli_state_root(g, &root, err);
        if (ret == 0)
                ret = container_pids(root, argv[next], &pids, &n, err);
        if (ret == 0 && json)
                print_json(pids, n);
        else if (ret == 0)
                ret = print_table(pids, n, ps_args, n_args, err);
        return ret;
}
