/* The command line's option parser: options before or after the arguments, as
 * runc (urfave/cli) takes them, or only before them (exec, ps, global options). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

struct parsed {
        bool force;
        const char *cpus;
        struct option_list env;
        int next;
        int ret;
        char *argv[16];
        int argc;
};

static void parse(struct parsed *p, enum option_order order, const char *const *args)
{
        memset(p, 0, sizeof(*p));
        const struct option options[] = {
                { "force", 'f', OPTION_FLAG, &p->force, "", "" },
                { "cpuset-cpus", 0, OPTION_STRING, &p->cpus, "", "L" },
                { "env", 'e', OPTION_LIST, &p->env, "", "KEY=VALUE" },
        };
        while (args[p->argc] != NULL)
                p->argv[p->argc] = (char *)args[p->argc], p->argc++;
        nook_err err = NULL;
        p->ret = options_parse("test", options, 3, order, p->argc, p->argv, &p->next, &err);
        nook_error_free(&err);
}

static void assert_arguments(const struct parsed *p, const char *const *want)
{
        int n = 0;
        while (want[n] != NULL)
                n++;
        assert_int_equal(p->argc - p->next, n);
        for (int i = 0; i < n; i++)
                assert_string_equal(p->argv[p->next + i], want[i]);
}

static void options_after_the_id_are_read(void **state)
{
        (void)state;
        struct parsed p;
        parse(&p, OPTIONS_ANYWHERE, (const char *[]){ "ID", "--cpuset-cpus", "1", "--force", NULL });
        assert_int_equal(p.ret, 0);
        assert_true(p.force);
        assert_string_equal(p.cpus, "1");
        assert_arguments(&p, (const char *[]){ "ID", NULL });
}

static void options_between_arguments_keep_their_order(void **state)
{
        (void)state;
        struct parsed p;
        parse(&p, OPTIONS_ANYWHERE,
              (const char *[]){ "-e", "A=1", "ID", "-e=B=2", "KILL", "-f", "-e", "C=3", NULL });
        assert_int_equal(p.ret, 0);
        assert_true(p.force);
        assert_int_equal(p.env.len, 3);
        assert_string_equal(p.env.items[0], "A=1");
        assert_string_equal(p.env.items[1], "B=2");
        assert_string_equal(p.env.items[2], "C=3");
        /* A flag does not take the argument after it (urfave/cli 1.22 would). */
        assert_arguments(&p, (const char *[]){ "ID", "KILL", NULL });
        free(p.env.items);
}

static void a_value_may_look_like_an_option(void **state)
{
        (void)state;
        struct parsed p;
        parse(&p, OPTIONS_ANYWHERE, (const char *[]){ "ID", "--cpuset-cpus", "-1", NULL });
        assert_int_equal(p.ret, 0);
        assert_string_equal(p.cpus, "-1");
        assert_arguments(&p, (const char *[]){ "ID", NULL });
}

static void double_dash_ends_the_options(void **state)
{
        (void)state;
        struct parsed p;
        parse(&p, OPTIONS_ANYWHERE, (const char *[]){ "ID", "--", "--force", "-", NULL });
        assert_int_equal(p.ret, 0);
        assert_false(p.force);
        assert_arguments(&p, (const char *[]){ "ID", "--force", "-", NULL });
}

static void unknown_option_after_the_id_is_an_error(void **state)
{
        (void)state;
        struct parsed p;
        parse(&p, OPTIONS_ANYWHERE, (const char *[]){ "ID", "--bogus", NULL });
        assert_int_not_equal(p.ret, 0);
        parse(&p, OPTIONS_ANYWHERE, (const char *[]){ "ID", "--cpuset-cpus", NULL });
        assert_int_not_equal(p.ret, 0);
}

static void options_first_leave_the_program_alone(void **state)
{
        (void)state;
        struct parsed p;
        parse(&p, OPTIONS_FIRST, (const char *[]){ "-f", "ID", "sh", "--force", "-e", "x", NULL });
        assert_int_equal(p.ret, 0);
        assert_true(p.force);
        assert_int_equal(p.env.len, 0);
        assert_arguments(&p, (const char *[]){ "ID", "sh", "--force", "-e", "x", NULL });
}

static void help_is_seen_where_options_may_stand(void **state)
{
        (void)state;
        const struct option options[] = { { "cpuset-cpus", 0, OPTION_STRING, NULL, "", "L" } };
        char *after[] = { "ID", "--help" }, *value[] = { "--cpuset-cpus", "-h", "ID" }, *program[] = { "ID", "sh", "-h" };
        assert_true(options_want_help(options, 1, OPTIONS_ANYWHERE, 2, after));
        assert_false(options_want_help(options, 1, OPTIONS_FIRST, 2, after));
        assert_false(options_want_help(options, 1, OPTIONS_ANYWHERE, 3, value));
        assert_false(options_want_help(options, 1, OPTIONS_FIRST, 3, program));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(options_after_the_id_are_read),
                cmocka_unit_test(options_between_arguments_keep_their_order),
                cmocka_unit_test(a_value_may_look_like_an_option),
                cmocka_unit_test(double_dash_ends_the_options),
                cmocka_unit_test(unknown_option_after_the_id_is_an_error),
                cmocka_unit_test(options_first_leave_the_program_alone),
                cmocka_unit_test(help_is_seen_where_options_may_stand),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
