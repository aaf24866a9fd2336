/* Pure helpers: signal names, container ids, id maps, errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "container/state.h"
#include "linux/userns.h"
#include "util/error.h"
#include "util/signals.h"
#include "util/words.h"

static void signal_names(void **state)
{
        (void)state;
        assert_int_equal(signal_from_name("KILL"), SIGKILL);
        assert_int_equal(signal_from_name("SIGKILL"), SIGKILL);
        assert_int_equal(signal_from_name("sigterm"), SIGTERM);
        assert_int_equal(signal_from_name("9"), 9);
        assert_int_equal(signal_from_name("RTMIN+2"), SIGRTMIN + 2);
        assert_int_equal(signal_from_name("NOPE"), -1);
        assert_int_equal(signal_from_name("0"), -1);
        assert_int_equal(signal_from_name("65"), -1);
}

static void container_ids(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_int_equal(state_check_id("web-1_a.b", &err), 0);
        const char *bad[] = { "", ".", "..", "a/b", "a b", "tab\there" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_true(state_check_id(bad[i], &err) < 0);
                assert_non_null(strstr(err->msg, "invalid container id"));
                nook_error_free(&err);
        }
        char long_id[1100];
        memset(long_id, 'a', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        assert_true(state_check_id(long_id, &err) < 0);
        nook_error_free(&err);
}

static void id_maps_format_one_line_each(void **state)
{
        (void)state;
        struct spec_id_mapping items[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
        spec_id_mappings maps = { items, 2 };
        char *text = userns_format_map(&maps);
        assert_string_equal(text, "0 1000 1\n1 100000 65536\n");
        free(text);
        assert_false(userns_maps_are_self(&maps, 1000));
        maps.len = 1;
        assert_true(userns_maps_are_self(&maps, 1000));
        assert_false(userns_maps_are_self(&maps, 1001));
}

static void container_ids_map_to_host_ids(void **state)
{
        (void)state;
        struct spec_id_mapping items[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
        spec_id_mappings maps = { items, 2 };
        uint32_t host = 0;
        assert_true(userns_map_id(&maps, 0, &host));
        assert_int_equal(host, 1000);
        assert_true(userns_map_id(&maps, 5, &host));
        assert_int_equal(host, 100004);
        assert_true(userns_map_id(&maps, 65536, &host));
        assert_int_equal(host, 165535);
        assert_false(userns_map_id(&maps, 65537, &host));
        maps.len = 0;
        assert_false(userns_map_id(&maps, 0, &host));
}

static void errors_carry_their_context(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_int_equal(nook_error(&err, ENOENT, "open `%s`", "/x"), -ENOENT);
        assert_string_equal(err->msg, "open `/x`: no such file or directory");
        assert_int_equal(nook_error_wrap(&err, "mounts[%d]", 2), -ENOENT);
        assert_string_equal(err->msg, "mounts[2]: open `/x`: no such file or directory");
        nook_error_free(&err);
        assert_null(err);
        assert_int_equal(nook_error(&err, 0, "plain"), -EINVAL);
        assert_string_equal(err->msg, "plain");
        nook_error_free(&err);
}

/* Engines match runc's (Go's) errno words case-sensitively; an acronym keeps its case. */
static void errno_words_are_runcs(void **state)
{
        (void)state;
        nook_err err = NULL;
        nook_error(&err, EACCES, "exec `/x`");
        assert_string_equal(err->msg, "exec `/x`: permission denied");
        nook_error(&err, EROFS, "mkdir");
        assert_string_equal(err->msg, "mkdir: read-only file system");
        nook_error(&err, EDOTDOT, "x");
        assert_string_equal(err->msg, "x: RFS specific error");
        nook_error_free(&err);
}

static void words_are_matched_whole(void **state)
{
        (void)state;
        assert_true(words_contain("cpu,cpuacct", ",", "cpu"));
        assert_true(words_contain("cpu,cpuacct", ",", "cpuacct"));
        assert_false(words_contain("cpu,cpuacct", ",", "acct"));
        assert_false(words_contain("cpu,cpuacct", ",", "cpuac"));
        assert_true(words_contain("rw,,ro", ",", "ro"));
        assert_true(words_contain("cpu memory pids\n", " \n", "pids"));
        assert_false(words_contain("cpu memory pids\n", " \n", "pid"));
        assert_false(words_contain("", ",", "cpu"));
        assert_false(words_contain(NULL, ",", "cpu"));
        assert_false(words_contain("a,b", ",", ""));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(signal_names),
                cmocka_unit_test(container_ids),
                cmocka_unit_test(id_maps_format_one_line_each),
                cmocka_unit_test(container_ids_map_to_host_ids),
                cmocka_unit_test(errors_carry_their_context),
                cmocka_unit_test(errno_words_are_runcs),
                cmocka_unit_test(words_are_matched_whole),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
