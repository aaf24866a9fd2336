/* The options create and run share. */
#ifndef NOOK_CLI_CREATE_OPTIONS_H
#define NOOK_CLI_CREATE_OPTIONS_H

#include "cli/cli.h"
#include "container/container.h"

/* Parses create's options plus extra ones; returns 1 when it printed help. */
int create_options_parse(const char *command, const struct global_options *g, const struct option *extra,
                         size_t n_extra, int argc, char **argv, struct create_options *opts, char **root,
                         nook_err *err);

#endif
