/* The launch plan and the order of its messages, for each shape of config,
 * without a kernel: what launch_plan_make decides and launch_plan_steps says. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sched.h>

#include "linux/syscalls.h"

#include "container/launch.h"
#include "spec_assert.h"

#define NS(t) "{\"type\":\"" t "\"}"
#define NS_PATH(t, p) "{\"type\":\"" t "\",\"path\":\"" p "\"}"

struct shape {
        const char *process_extra; /* after "args": e.g. ",\"terminal\":true" */
        const char *namespaces;    /* the array's items */
        const char *linux_extra;   /* more linux fields, with a leading comma */
        const char *top_extra;     /* more top-level fields, with a leading comma */
};

static struct spec *spec_of(const struct shape *s)
{
        char *json = NULL;
        assert_true(asprintf(&json, MINIMAL_HEAD "%s}%s,\"linux\":{\"namespaces\":[%s]%s}}",
                             s->process_extra ? s->process_extra : "", s->top_extra ? s->top_extra : "",
                             s->namespaces, s->linux_extra ? s->linux_extra : "") > 0);
        struct spec *spec = parse_ok(json);
        free(json);
        return spec;
}

static struct launch_plan plan_of(const struct shape *s, enum launch_mode mode, bool rootless, uid_t euid)
{
        struct spec *spec = spec_of(s);
        struct create_options opts = { .id = "c", .rootless = rootless };
        struct launch_plan plan;
        launch_plan_make(spec, &opts, mode, euid, &plan);
        spec_free(spec);
        return plan;
}

/* The plan's steps as text: "<JOINED >ENVIRONMENT <READY >START" (< from the child). */
static void assert_steps(const struct launch_plan *plan, const char *expected)
{
        struct launch_step steps[LAUNCH_MAX_STEPS];
        size_t n = launch_plan_steps(plan, steps);
        char text[256] = "";
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(text);
                snprintf(text + len, sizeof(text) - len, "%s%c%s", i > 0 ? " " : "", steps[i].from_child ? '<' : '>',
                         sync_type_name(steps[i].type));
        }
        assert_string_equal(text, expected);
}

static const struct shape common = {
        .namespaces = NS("pid") "," NS("network") "," NS("ipc") "," NS("uts") "," NS("mount") "," NS("cgroup"),
};

static void common_rootful_config_takes_the_parallel_path(void **state)
{
        (void)state;
        struct launch_plan plan = plan_of(&common, LAUNCH_RUN, false, 0);
        assert_int_equal(plan.layout, LAYOUT_PARALLEL);
        assert_false(plan.setns_first);
        /* clone3 makes only what holds children; nook makes the network namespace. */
        assert_int_equal(plan.clone_flags, CLONE_NEWPID);
        assert_int_equal(plan.unshare_flags, CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
        assert_true(plan.netns_by_parent);
        assert_false(plan.lo_by_init);
        assert_true(plan.new_cgroupns);
        assert_steps(&plan, ">ENVIRONMENT <READY >START");
        plan = plan_of(&common, LAUNCH_CREATE, false, 0);
        assert_steps(&plan, ">ENVIRONMENT <READY >COMMITTED");
}

/* containerd's pod sandbox: the pod's network namespace by path, the rest new
 * (issue: a create that hung 20 s with READY where the init's pid was awaited). */
static void pod_sandbox_forks_the_init_which_says_hello_itself(void **state)
{
        (void)state;
        struct shape sandbox = {
                .namespaces = NS("pid") "," NS("ipc") "," NS("uts") "," NS("mount") "," NS_PATH("network", "/run/netns/pod"),
        };
        struct launch_plan plan = plan_of(&sandbox, LAUNCH_CREATE, false, 0);
        assert_int_equal(plan.layout, LAYOUT_FORK);
        assert_true(plan.setns_first);
        assert_int_equal(plan.clone_flags, 0);
        assert_int_equal(plan.unshare_flags, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
        assert_false(plan.netns_by_parent);
        assert_false(plan.lo_by_init); /* a joined network namespace is left as it is */
        /* The first child joins and reports; the init itself then says HELLO: nothing of
         * the first child's can come after the init's first word. */
        assert_steps(&plan, "<JOINED >ENVIRONMENT <HELLO <READY >COMMITTED");
}

static void joining_without_a_pid_namespace_keeps_one_process(void **state)
{
        (void)state;
        struct shape s = { .namespaces = NS("mount") "," NS("ipc") "," NS_PATH("network", "/run/netns/x") };
        struct launch_plan plan = plan_of(&s, LAUNCH_RUN, false, 0);
        assert_int_equal(plan.layout, LAYOUT_SINGLE);
        assert_true(plan.setns_first);
        assert_steps(&plan, "<JOINED >ENVIRONMENT <READY >START");
}

static void joined_pid_namespace_needs_the_fork_too(void **state)
{
        (void)state;
        struct shape s = { .namespaces = NS("mount") "," NS_PATH("pid", "/proc/1/ns/pid") };
        struct launch_plan plan = plan_of(&s, LAUNCH_RUN, false, 0);
        assert_int_equal(plan.layout, LAYOUT_FORK);
        assert_true(plan.shares_pid_namespace);
        assert_steps(&plan, "<JOINED >ENVIRONMENT <HELLO <READY >START");
}

static void time_offsets_are_written_before_the_init_is_forked(void **state)
{
        (void)state;
        struct shape s = {
                .namespaces = NS("mount") "," NS("time"),
                .linux_extra = ",\"timeOffsets\":{\"monotonic\":{\"secs\":5}}",
        };
        struct launch_plan plan = plan_of(&s, LAUNCH_RUN, false, 0);
        assert_int_equal(plan.layout, LAYOUT_FORK);
        assert_true(plan.setns_first);
        assert_true(plan.time_offsets);
        assert_int_equal(plan.unshare_flags, CLONE_NEWNS | CLONE_NEWTIME);
        assert_steps(&plan, "<JOINED >ENVIRONMENT <HELLO <READY >START");
}

static const struct shape userns = {
        .namespaces = NS("user") "," NS("pid") "," NS("network") "," NS("ipc") "," NS("uts") "," NS("mount") "," NS("cgroup"),
        .linux_extra = ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                       "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]",
};

static void user_namespace_rootful_locks_the_mounts_and_nook_maps_the_init(void **state)
{
        (void)state;
        struct launch_plan plan = plan_of(&userns, LAUNCH_CREATE, false, 0);
        assert_int_equal(plan.layout, LAYOUT_OUTER);
        assert_true(plan.outer_in_host);
        assert_int_equal(plan.clone_flags, CLONE_NEWNS);
        assert_int_equal(plan.init_flags,
                         CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP);
        assert_false(plan.first_maps_by_parent);
        assert_true(plan.init_maps_by_parent);
        assert_true(plan.outer_pivot);
        assert_true(plan.lo_by_init);
        assert_steps(&plan, ">ENVIRONMENT <HELLO >MAPPED <READY >COMMITTED");
}

static void user_namespace_rootless_maps_the_outer_stage_only(void **state)
{
        (void)state;
        struct launch_plan plan = plan_of(&userns, LAUNCH_RUN, true, 1000);
        assert_int_equal(plan.layout, LAYOUT_OUTER);
        assert_false(plan.outer_in_host);
        assert_int_equal(plan.clone_flags, CLONE_NEWUSER | CLONE_NEWNS);
        assert_true(plan.first_maps_by_parent);
        assert_false(plan.init_maps_by_parent);
        assert_steps(&plan, ">ENVIRONMENT <HELLO <READY >START");
}

static void rootless_without_a_user_namespace_of_its_own_is_one_process(void **state)
{
        (void)state;
        struct launch_plan plan = plan_of(&common, LAUNCH_RUN, true, 0);
        assert_int_equal(plan.layout, LAYOUT_SINGLE);
        assert_false(plan.setns_first);
        assert_true(plan.lo_by_init);
        assert_int_equal(plan.clone_flags, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
        assert_steps(&plan, ">ENVIRONMENT <READY >START");
}

static void hooks_and_a_relayed_terminal_come_before_ready(void **state)
{
        (void)state;
        struct shape s = common;
        s.process_extra = ",\"terminal\":true";
        s.top_extra = ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\"}]}";
        struct launch_plan plan = plan_of(&s, LAUNCH_RUN, false, 0);
        assert_true(plan.hooks_request);
        assert_true(plan.console_relay);
        assert_steps(&plan, ">ENVIRONMENT <HOOKS >HOOKS_DONE <CONSOLE <READY >START");
        /* Early hooks want the host's view: the mount helper does not pivot. */
        s = userns;
        s.top_extra = ",\"hooks\":{\"createContainer\":[{\"path\":\"/bin/true\"}]}";
        plan = plan_of(&s, LAUNCH_CREATE, false, 0);
        assert_false(plan.outer_pivot);
        assert_steps(&plan, ">ENVIRONMENT <HELLO >MAPPED <HOOKS >HOOKS_DONE <READY >COMMITTED");
}

static void restore_is_criu_s_layout_and_exchanges_no_message(void **state)
{
        (void)state;
        /* criu makes the namespaces and the processes: no stage, no clone flag, no
         * message (its notifications take their place, restore.c). */
        struct launch_plan plan = plan_of(&common, LAUNCH_RESTORE, false, 0);
        assert_int_equal(plan.layout, LAYOUT_RESTORE);
        assert_int_equal(plan.clone_flags, 0);
        assert_int_equal(plan.unshare_flags, 0);
        assert_false(plan.netns_by_parent);
        assert_false(plan.shares_pid_namespace);
        assert_steps(&plan, "");
        /* What launch_prepare and launch_abort read of the plan is kept. */
        struct create_options opts = { .id = "c", .systemd_cgroup = true };
        struct spec *spec = spec_of(&common);
        launch_plan_make(spec, &opts, LAUNCH_RESTORE, 0, &plan);
        spec_free(spec);
        assert_true(plan.cgroup_by_systemd);
        struct shape host_pid = { .namespaces = NS("mount") };
        plan = plan_of(&host_pid, LAUNCH_RESTORE, false, 0);
        assert_true(plan.shares_pid_namespace);
}

static void a_message_out_of_order_names_both(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_int_equal(sync_check_order(SYNC_HELLO, SYNC_HELLO, "the container process", &err), 0);
        assert_true(sync_check_order(SYNC_READY, SYNC_HELLO, "the container process", &err) < 0);
        assert_string_equal(err->msg, "the container process sent READY while nook waited for HELLO: protocol error");
        nook_error_free(&err);
        assert_true(sync_check_order((enum sync_type)99, SYNC_READY, "nook", &err) < 0);
        assert_non_null(strstr(err->msg, "an unknown message"));
        nook_error_free(&err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(common_rootful_config_takes_the_parallel_path),
                cmocka_unit_test(pod_sandbox_forks_the_init_which_says_hello_itself),
                cmocka_unit_test(joining_without_a_pid_namespace_keeps_one_process),
                cmocka_unit_test(joined_pid_namespace_needs_the_fork_too),
                cmocka_unit_test(time_offsets_are_written_before_the_init_is_forked),
                cmocka_unit_test(user_namespace_rootful_locks_the_mounts_and_nook_maps_the_init),
                cmocka_unit_test(user_namespace_rootless_maps_the_outer_stage_only),
                cmocka_unit_test(rootless_without_a_user_namespace_of_its_own_is_one_process),
                cmocka_unit_test(hooks_and_a_relayed_terminal_come_before_ready),
                cmocka_unit_test(restore_is_criu_s_layout_and_exchanges_no_message),
                cmocka_unit_test(a_message_out_of_order_names_both),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
