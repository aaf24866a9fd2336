#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "container/state.h"

/* Errors name the command ("run: ..."), except for nook's global options. */
#define GLOBAL_COMMAND "nook"

static bool is_global(const char *command)
{
        return strcmp(command, GLOBAL_COMMAND) == 0;
}

static const char *prefix_of(const char *command)
{
        return is_global(command) ? "" : command;
}

static const char *colon_of(const char *command)
{
        return is_global(command) ? "" : ": ";
}

static const struct option *find_long(const struct option *options, size_t n, const char *name, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
                        return &options[i];
        return NULL;
}

static const struct option *find_short(const struct option *options, size_t n, char c)
{
        for (size_t i = 0; i < n; i++)
                if (options[i].short_name == c)
                        return &options[i];
        return NULL;
}

static int store(const char *command, const struct option *o, const char *value, nook_err *err)
{
        switch (o->kind) {
        case OPTION_FLAG:
                if (value == NULL || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
                        *(bool *)o->dest = true;
                else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
                        *(bool *)o->dest = false;
                else
                        return nook_error(err, 0, "%s%s--%s takes true or false, not \"%s\"", prefix_of(command),
                                          colon_of(command), o->name, value);
                return 0;
        case OPTION_STRING:
                *(const char **)o->dest = value;
                return 0;
        case OPTION_INT: {
                char *end;
                errno = 0;
                long v = strtol(value, &end, 10);
                if (*value == '\0' || *end != '\0' || errno != 0 || v < INT_MIN || v > INT_MAX)
                        return nook_error(err, 0, "%s%s--%s takes a number, not \"%s\"", prefix_of(command),
                                          colon_of(command), o->name, value);
                *(int *)o->dest = (int)v;
                return 0;
        }
        case OPTION_LIST: {
                struct option_list *list = o->dest;
                const char **bigger = realloc(list->items, (list->len + 1) * sizeof(char *));
                if (bigger == NULL)
                        return nook_error(err, ENOMEM, "%s", command);
                list->items = bigger;
                list->items[list->len++] = value;
                return 0;
        }
        }
        return 0;
}

/* What one argument is, given the command's options. */
enum arg_kind {
        ARG_OPTION,     /* *o, with *value when written --name=value (or -n5) */
        ARG_UNKNOWN,    /* looks like an option, names none of the command's */
        ARG_END,        /* "--": everything after it is an argument */
        ARG_POSITIONAL, /* an argument ("-" alone is one) */
};

static enum arg_kind classify(const struct option *options, size_t n, const char *arg, const struct option **o,
                              const char **value)
{
        *o = NULL;
        *value = NULL;
        if (strcmp(arg, "--") == 0)
                return ARG_END;
        if (arg[0] != '-' || arg[1] == '\0')
                return ARG_POSITIONAL;
        if (arg[1] == '-' || strlen(arg) > 2) {
                /* --name, --name=value, and Go's single-dash -name. */
                const char *name = arg + (arg[1] == '-' ? 2 : 1);
                const char *eq = strchr(name, '=');
                size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
                *o = find_long(options, n, name, len);
                if (*o == NULL && arg[1] != '-' && find_short(options, n, arg[1]) != NULL) {
                        /* -n5 or Go's -n=5: a short option with its value attached. */
                        *o = find_short(options, n, arg[1]);
                        *value = arg + (arg[2] == '=' ? 3 : 2);
                } else if (eq != NULL) {
                        *value = eq + 1;
                }
        } else {
                *o = find_short(options, n, arg[1]);
        }
        return *o != NULL ? ARG_OPTION : ARG_UNKNOWN;
}

/* Moves argv[from..from+k) to argv[to], shifting argv[to..from) up: an option met
 * after some arguments joins the options in front of them. */
static void move_before(char **argv, int to, int from, int k)
{
        char *moved[2] = { argv[from], k > 1 ? argv[from + 1] : NULL };
        memmove(argv + to + k, argv + to, (size_t)(from - to) * sizeof(char *));
        for (int j = 0; j < k; j++)
                argv[to + j] = moved[j];
}

int options_parse(const char *command, const struct option *options, size_t n, enum option_order order, int argc,
                  char **argv, int *next, nook_err *err)
{
        int front = 0; /* argv[0..front) holds the options read; argv[front..i) the arguments met */
        int i = 0;
        while (i < argc) {
                const struct option *o;
                const char *value;
                enum arg_kind kind = classify(options, n, argv[i], &o, &value);
                if (kind == ARG_POSITIONAL) {
                        if (order == OPTIONS_FIRST)
                                break;
                        i++;
                        continue;
                }
                if (kind == ARG_END) {
                        move_before(argv, front, i, 1);
                        front++;
                        break;
                }
                if (kind == ARG_UNKNOWN)
                        return nook_error(err, 0, "%s%sunknown option \"%s\" (see nook %s%s--help)",
                                          prefix_of(command), colon_of(command), argv[i], prefix_of(command),
                                          is_global(command) ? "" : " ");
                int k = 1;
                if (o->kind != OPTION_FLAG && value == NULL) {
                        if (i + 1 >= argc)
                                return nook_error(err, 0, "%s%soption --%s needs a value", prefix_of(command),
                                                  colon_of(command), o->name);
                        value = argv[i + 1];
                        k = 2;
                }
                move_before(argv, front, i, k);
                front += k;
                i += k;
                int ret = store(command, o, value, err);
                if (ret < 0)
                        return ret;
        }
        *next = front;
        return 0;
}

bool options_want_help(const struct option *options, size_t n, enum option_order order, int argc, char **argv)
{
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                        return true;
                const struct option *o;
                const char *value;
                enum arg_kind kind = classify(options, n, argv[i], &o, &value);
                if (kind == ARG_END || (kind == ARG_POSITIONAL && order == OPTIONS_FIRST))
                        return false;
                if (kind == ARG_OPTION && o->kind != OPTION_FLAG && value == NULL)
                        i++; /* its value, whatever it looks like */
        }
        return false;
}

void options_usage(const char *usage, const char *summary, const struct option *options, size_t n)
{
        printf("Usage: nook %s\n\n%s\n", usage, summary);
        if (n > 0)
                printf("\nOptions:\n");
        for (size_t i = 0; i < n; i++) {
                char left[64];
                const char *value = options[i].kind == OPTION_FLAG ? "" : options[i].value_name;
                if (options[i].short_name != 0)
                        snprintf(left, sizeof(left), "-%c, --%s%s%s", options[i].short_name, options[i].name,
                                 value[0] ? " " : "", value);
                else
                        snprintf(left, sizeof(left), "    --%s%s%s", options[i].name, value[0] ? " " : "", value);
                printf("  %-30s %s\n", left, options[i].help);
        }
}

int cli_state_root(const struct global_options *global, char **root, nook_err *err)
{
        if (global->root != NULL) {
                *root = strdup(global->root);
                return *root != NULL ? 0 : nook_error(err, ENOMEM, "--root");
        }
        return state_root_default(global->rootless, root, err);
}

int cli_expect_args(const char *command, int argc, int next, int want, bool at_least, const char *what,
                    nook_err *err)
{
        int have = argc - next;
        if (have == want || (at_least && have > want))
                return 0;
        return nook_error(err, 0, "%s: expected %s%s, got %d argument%s (see nook %s --help)", command,
                          at_least ? "at least " : "", what, have, have == 1 ? "" : "s", command);
}

int cli_parse_id_command(const struct global_options *g, const char *command, const char *summary,
                         const struct option *options, size_t n, int argc, char **argv, char **root,
                         const char **id, nook_err *err)
{
        if (options_want_help(options, n, OPTIONS_ANYWHERE, argc, argv)) {
                char usage[64];
                snprintf(usage, sizeof(usage), "%s%s ID", command, n > 0 ? " [options]" : "");
                options_usage(usage, summary, options, n);
                return 1;
        }
        int next;
        int ret = options_parse(command, options, n, OPTIONS_ANYWHERE, argc, argv, &next, err);
        if (ret == 0)
                ret = cli_expect_args(command, argc, next, 1, false, "a container id", err);
        if (ret == 0)
                ret = cli_state_root(g, root, err);
        if (ret < 0)
                return ret;
        *id = argv[next];
        return 0;
}
