/* The command line: global flags, one function per command, and the option
 * parser they share (runc's conventions: --flag value, --flag=value, -f, a
 * bool as --flag or --flag=false; options before or after the arguments). */
#ifndef NOOK_CLI_CLI_H
#define NOOK_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#ifndef NOOK_VERSION
#define NOOK_VERSION "0.1.0"
#endif
/* The runtime-spec version this build implements (every 1.x config is accepted). */
#define NOOK_SPEC_VERSION "1.3.0"

struct global_options {
        const char *root; /* NULL: the default for the caller */
        const char *log;
        const char *log_format;
        bool debug;
        bool systemd_cgroup;
        bool rootless;
};

enum option_kind {
        OPTION_FLAG,   /* bool */
        OPTION_STRING, /* const char * */
        OPTION_INT,    /* int */
        OPTION_LIST,   /* repeated: struct option_list */
};

struct option_list {
        const char **items;
        size_t len;
};

struct option {
        const char *name; /* long name, without dashes */
        char short_name;  /* 0: none */
        enum option_kind kind;
        void *dest;
        const char *help;
        const char *value_name; /* for help: "DIR", "FILE" */
};

/* Where a command's options may stand. runc (urfave/cli) moves a command's
 * options to the front of its arguments: `delete ID --force` is `delete --force
 * ID`. Not for exec and ps, whose arguments after the id are a program's or
 * ps's, nor for the global options, which end at the command. */
enum option_order {
        OPTIONS_ANYWHERE, /* before, between or after the arguments; "--" ends them */
        OPTIONS_FIRST,    /* only before the first argument */
};

/* Parses options from argv[0..argc), reordering argv so that the arguments
 * (positionals) are argv[*next..argc), in their order. */
int options_parse(const char *command, const struct option *options, size_t n, enum option_order order, int argc,
                  char **argv, int *next, nook_err *err);

/* Prints a command's usage and options. */
void options_usage(const char *usage, const char *summary, const struct option *options, size_t n);

/* True when argv holds -h or --help where an option may stand. */
bool options_want_help(const struct option *options, size_t n, enum option_order order, int argc, char **argv);

/* A command returns 0, or a negative errno with err filled: nook prints it and
 * exits with *exit_code when the command set one (exec's 255), else 1. */
typedef int (*command_fn)(const struct global_options *global, int argc, char **argv, int *exit_code,
                          nook_err *err);

struct command {
        const char *name;
        command_fn run;
        const char *summary;
};

/* The state root to use: --root, else the default for root or rootless. */
int cli_state_root(const struct global_options *global, char **root, nook_err *err);

/* Exactly `want` positionals (or at least, with at_least) remain, else a usage error. */
int cli_expect_args(const char *command, int argc, int next, int want, bool at_least, const char *what,
                    nook_err *err);

/* Parses `nook <command> [options] ID` and finds the state root; returns 1
 * when it printed the help instead. */
int cli_parse_id_command(const struct global_options *g, const char *command, const char *summary,
                         const struct option *options, size_t n, int argc, char **argv, char **root,
                         const char **id, nook_err *err);

int cmd_create(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_start(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_run(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_kill(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_delete(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_state(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_list(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_exec(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_ps(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_features(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_spec(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_inspect(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_check(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_pause(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_resume(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_update(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_events(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_checkpoint(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);
int cmd_restore(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err);

#endif
