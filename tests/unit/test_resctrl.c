/* linux.intelRdt on a directory laid out as resctrl is (info/, groups with
 * tasks, schemata and mon_groups/): which group, what is written where and in
 * which order, what is checked before and removed after. This host has no
 * resctrl: the kernel's own checks of the values are not exercised here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/resctrl.h"
#include "util/error.h"
#include "util/fs.h"
#include "scratch.h"

struct tree {
        char path[64];
        int fd;
};

static void make(struct tree *t, const char *dir)
{
        assert_int_equal(mkdirat(t->fd, dir, 0755), 0);
}

static void put(struct tree *t, const char *file, const char *text)
{
        int fd = openat(t->fd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static char *get(struct tree *t, const char *file)
{
        char *text = NULL;
        nook_err err = NULL;
        if (read_file_at(t->fd, file, &text, NULL, &err) < 0)
                fail_msg("%s", err->msg);
        return text;
}

static bool exists(struct tree *t, const char *path)
{
        struct stat st;
        return fstatat(t->fd, path, &st, 0) == 0;
}

static int setup(void **state)
{
        struct tree *t = calloc(1, sizeof(*t));
        if (t == NULL)
                return -1;
        *state = t;
        strcpy(t->path, "/tmp/nook-unit-resctrl-XXXXXX");
        if (scratch_make(t->path, &t->fd) < 0)
                return -1;
        /* The root group and what this "hardware" has: L3 allocation, bandwidth, monitoring. */
        make(t, "info");
        make(t, "info/L3");
        make(t, "info/MB");
        make(t, "info/L3_MON");
        make(t, "mon_groups");
        put(t, "tasks", "");
        put(t, "schemata", "    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n");
        return 0;
}

static int teardown(void **state)
{
        struct tree *t = *state;
        int ret = scratch_remove(t->path, t->fd);
        free(t);
        return ret;
}

/* A CLOS someone made: its files and a monitoring directory, as the kernel makes them. */
static void make_group(struct tree *t, const char *name, const char *schemata)
{
        char path[128];
        make(t, name);
        snprintf(path, sizeof(path), "%s/mon_groups", name);
        make(t, path);
        snprintf(path, sizeof(path), "%s/schemata", name);
        put(t, path, schemata);
}

static void check_fails_with(struct tree *t, const struct spec_intel_rdt *rdt, const char *id, const char *expected)
{
        nook_err err = NULL;
        assert_true(resctrl_check_at(t->fd, rdt, id, &err) < 0);
        if (strstr(err->msg, expected) == NULL)
                fail_msg("error \"%s\" does not contain \"%s\"", err->msg, expected);
        nook_error_free(&err);
}

static void check_passes(struct tree *t, const struct spec_intel_rdt *rdt, const char *id)
{
        nook_err err = NULL;
        if (resctrl_check_at(t->fd, rdt, id, &err) < 0)
                fail_msg("unexpected error: %s", err->msg);
}

static void a_group_of_the_containers_own_is_made_written_and_removed(void **state)
{
        struct tree *t = *state;
        const char *extra[] = { "L2:0=f" };
        struct spec_intel_rdt rdt = { .l3_cache_schema = "L3:0=ff;1=f0", .mem_bw_schema = "MB:0=50",
                                      .schemata = { .items = extra, .len = 1 } };
        nook_err err = NULL;
        check_passes(t, &rdt, "c1");
        assert_int_equal(resctrl_join_new_at(t->fd, &rdt, "c1", 4242, &err), 0);
        char *text = get(t, "c1/schemata");
        /* One write, in the spec's order. */
        assert_string_equal(text, "L3:0=ff;1=f0\nMB:0=50\nL2:0=f\n");
        free(text);
        text = get(t, "c1/tasks");
        assert_string_equal(text, "4242");
        free(text);
        /* A second container of that name is refused before anything. */
        check_fails_with(t, &rdt, "c1", "the resctrl group `c1` of the container exists already");
        /* (resctrl's rmdir takes a group with its files; a plain directory needs them gone.) */
        unlinkat(t->fd, "c1/schemata", 0);
        unlinkat(t->fd, "c1/tasks", 0);
        assert_int_equal(resctrl_remove_at(t->fd, &rdt, "c1", &err), 0);
        assert_false(exists(t, "c1"));
}

static void a_named_clos_must_exist_without_a_schema_and_is_never_removed(void **state)
{
        struct tree *t = *state;
        struct spec_intel_rdt rdt = { .clos_id = "gold", .enable_monitoring = true };
        nook_err err = NULL;
        check_fails_with(t, &rdt, "c1", "linux.intelRdt.closID: no resctrl group `gold` (without a schema it must exist)");
        make_group(t, "gold", "L3:0=7ff\n");
        check_passes(t, &rdt, "c1");
        assert_int_equal(resctrl_join_new_at(t->fd, &rdt, "c1", 7, &err), 0);
        char *text = get(t, "gold/schemata"); /* no schema given: left as it was */
        assert_string_equal(text, "L3:0=7ff\n");
        free(text);
        text = get(t, "gold/tasks");
        assert_string_equal(text, "7");
        free(text);
        /* The monitoring group takes the pid after its parent group did. */
        text = get(t, "gold/mon_groups/c1/tasks");
        assert_string_equal(text, "7");
        free(text);
        /* exec: the same groups. */
        assert_int_equal(resctrl_join_at(t->fd, &rdt, "c1", 8, &err), 0);
        text = get(t, "gold/mon_groups/c1/tasks");
        assert_string_equal(text, "8");
        free(text);
        check_fails_with(t, &rdt, "c1", "linux.intelRdt.enableMonitoring: the resctrl group `gold/mon_groups/c1` exists");
        unlinkat(t->fd, "gold/mon_groups/c1/tasks", 0);
        assert_int_equal(resctrl_remove_at(t->fd, &rdt, "c1", &err), 0);
        assert_false(exists(t, "gold/mon_groups/c1"));
        assert_true(exists(t, "gold"));
}

static void a_named_clos_with_a_schema_is_made_when_missing(void **state)
{
        struct tree *t = *state;
        struct spec_intel_rdt rdt = { .clos_id = "silver", .l3_cache_schema = "L3:0=f" };
        nook_err err = NULL;
        check_passes(t, &rdt, "c1");
        assert_int_equal(resctrl_join_new_at(t->fd, &rdt, "c1", 9, &err), 0);
        char *text = get(t, "silver/schemata");
        assert_string_equal(text, "L3:0=f\n");
        free(text);
        assert_int_equal(resctrl_remove_at(t->fd, &rdt, "c1", &err), 0);
        assert_true(exists(t, "silver")); /* closID's: it stays */
}

static void an_existing_clos_must_match_the_schemas_given(void **state)
{
        struct tree *t = *state;
        /* As the kernel prints it: padded, hex without leading zeros. */
        make_group(t, "gold", "    L3:0=0f0;1=7ff\n    MB:0=20;1=70\n");
        struct spec_intel_rdt rdt = { .clos_id = "gold", .l3_cache_schema = "L3:1=7FF;0=f0", .mem_bw_schema = "MB:1=70" };
        check_passes(t, &rdt, "c1");
        rdt.l3_cache_schema = "L3:0=ff";
        check_fails_with(t, &rdt, "c1", "linux.intelRdt.l3CacheSchema: \"L3:0=ff\" does not match the schemata of the "
                                        "existing group: \"    L3:0=0f0;1=7ff\n    MB:0=20;1=70\"");
        rdt.l3_cache_schema = "L3:2=ff";
        check_fails_with(t, &rdt, "c1", "l3CacheSchema");
        rdt.l3_cache_schema = NULL;
        rdt.mem_bw_schema = "MB:0=50";
        check_fails_with(t, &rdt, "c1", "linux.intelRdt.memBwSchema: \"MB:0=50\" does not match");
}

static void the_default_clos_is_the_root(void **state)
{
        struct tree *t = *state;
        struct spec_intel_rdt rdt = { .clos_id = "/" };
        nook_err err = NULL;
        check_passes(t, &rdt, "c1");
        assert_int_equal(resctrl_join_new_at(t->fd, &rdt, "c1", 11, &err), 0);
        char *text = get(t, "tasks");
        assert_string_equal(text, "11");
        free(text);
        assert_int_equal(resctrl_remove_at(t->fd, &rdt, "c1", &err), 0);
        assert_true(exists(t, "info"));
}

static void resources_the_host_lacks_are_refused(void **state)
{
        struct tree *t = *state;
        unlinkat(t->fd, "info/MB", AT_REMOVEDIR);
        unlinkat(t->fd, "info/L3_MON", AT_REMOVEDIR);
        struct spec_intel_rdt rdt = { .mem_bw_schema = "MB:0=50" };
        check_fails_with(t, &rdt, "c1", "linux.intelRdt.memBwSchema: this host's resctrl has no `info/MB`");
        rdt = (struct spec_intel_rdt){ .enable_monitoring = true };
        check_fails_with(t, &rdt, "c1", "linux.intelRdt.enableMonitoring: this host's resctrl has no `info/L3_MON`");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(a_group_of_the_containers_own_is_made_written_and_removed, setup, teardown),
                cmocka_unit_test_setup_teardown(a_named_clos_must_exist_without_a_schema_and_is_never_removed, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(a_named_clos_with_a_schema_is_made_when_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(an_existing_clos_must_match_the_schemas_given, setup, teardown),
                cmocka_unit_test_setup_teardown(the_default_clos_is_the_root, setup, teardown),
                cmocka_unit_test_setup_teardown(resources_the_host_lacks_are_refused, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
