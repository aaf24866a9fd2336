/* config.json parsing: values land in the right fields, and every error names
 * the JSON path of what is wrong. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "spec/spec.h"
#include "spec_assert.h"

static void minimal_config_parses(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD "}}");
        assert_string_equal(spec->oci_version, "1.0.2");
        assert_string_equal(spec->root_path, "rootfs");
        assert_false(spec->root_readonly);
        assert_int_equal(spec->process->args.len, 1);
        assert_string_equal(spec->process->args.items[0], "sh");
        assert_null(spec->linux);
        spec_free(spec);
}

static void default_spec_round_trips(void **state)
{
        (void)state;
        char *text = spec_default_json(false);
        struct spec *spec = parse_ok(text);
        assert_true(spec->root_readonly);
        assert_non_null(spec_namespace(spec, NS_PID));
        assert_non_null(spec_namespace(spec, NS_CGROUP));
        assert_null(spec_namespace(spec, NS_USER));
        assert_int_equal(spec->linux->masked_paths.len, 11);
        assert_true(spec->process->capabilities.bounding & (1ULL << spec_capability_from_name("CAP_CHOWN")));
        assert_false(spec->process->capabilities.bounding & (1ULL << spec_capability_from_name("CAP_SYS_ADMIN")));
        assert_int_equal(spec->process->capabilities.inheritable, 0);
        spec_free(spec);
        free(text);
}

static void rootless_default_maps_the_caller(void **state)
{
        (void)state;
        char *text = spec_default_json(true);
        struct spec *spec = parse_ok(text);
        assert_non_null(spec_namespace(spec, NS_USER));
        assert_int_equal(spec->linux->uid_mappings.len, 1);
        assert_int_equal(spec->linux->uid_mappings.items[0].container_id, 0);
        assert_int_equal(spec->linux->uid_mappings.items[0].host_id, getuid());
        assert_null(spec->linux->resources);
        spec_free(spec);
        free(text);
}

static void every_namespace_type_parses(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"},"
                                                  "{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},{\"type\":\"ipc\"},"
                                                  "{\"type\":\"uts\"},{\"type\":\"cgroup\"},{\"type\":\"time\"}]}}");
        assert_int_equal(spec->linux->namespaces.len, 7);
        assert_string_equal(spec_namespace(spec, NS_NETWORK)->path, "/proc/1/ns/net");
        assert_null(spec_namespace(spec, NS_TIME)->path);
        spec_free(spec);
}

static void values_land_in_their_fields(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(
                "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"/r\",\"readonly\":true},\"hostname\":\"h\","
                "\"process\":{\"cwd\":\"/w\",\"args\":[\"a\",\"b\"],\"env\":[\"X=1\"],\"terminal\":true,"
                "\"user\":{\"uid\":5,\"gid\":6,\"umask\":18,\"additionalGids\":[7,8]},\"noNewPrivileges\":true,"
                "\"oomScoreAdj\":100,\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":"
                "18446744073709551615}],\"capabilities\":{\"ambient\":[\"CAP_KILL\"]}},"
                "\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/y\",\"options\":[\"rbind\",\"ro\"]}],"
                "\"linux\":{\"namespaces\":[{\"type\":\"uts\"},{\"type\":\"time\"},{\"type\":\"mount\"}],\"sysctl\":{\"kernel.domainname\":\"d\"},"
                "\"timeOffsets\":{\"monotonic\":{\"secs\":10,\"nanosecs\":5}},\"cgroupsPath\":\"/a/b\","
                "\"resources\":{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":-1}},"
                "\"devices\":[{\"type\":\"c\",\"path\":\"/dev/fuse\",\"major\":10,\"minor\":229,\"fileMode\":438}]}}");
        assert_true(spec->root_readonly);
        assert_string_equal(spec->hostname, "h");
        struct spec_process *p = spec->process;
        assert_int_equal(p->user.uid, 5);
        assert_int_equal(p->user.gid, 6);
        assert_true(p->user.umask.set);
        assert_int_equal(p->user.umask.value, 18);
        assert_int_equal(p->user.additional_gids.len, 2);
        assert_int_equal(p->user.additional_gids.items[1], 8);
        assert_true(p->terminal);
        assert_true(p->no_new_privileges);
        assert_int_equal(p->oom_score_adj.value, 100);
        assert_int_equal(p->rlimits.items[0].resource, RLIMIT_NOFILE);
        assert_true(p->rlimits.items[0].hard == UINT64_MAX);
        assert_true(p->has_capabilities);
        assert_int_equal(p->capabilities.ambient, 1ULL << 5);
        assert_int_equal(p->capabilities.bounding, 0);
        assert_string_equal(spec->mounts.items[0].options.items[1], "ro");
        assert_string_equal(spec->linux->sysctl.items[0].value, "d");
        assert_true(spec->linux->time_monotonic.set);
        assert_int_equal(spec->linux->time_monotonic.secs, 10);
        assert_false(spec->linux->time_boottime.set);
        assert_true(spec->linux->resources->memory.limit.set);
        assert_int_equal(spec->linux->resources->memory.limit.value, 1048576);
        assert_false(spec->linux->resources->memory.swap.set);
        assert_int_equal(spec->linux->resources->pids_limit.value, -1);
        assert_int_equal(spec->linux->devices.items[0].file_mode.value, 0666);
        spec_free(spec);
}

static void unknown_fields_are_ignored(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD ",\"futureField\":{\"x\":1}},\"vm\":{}}");
        spec_free(spec);
}

static void json_syntax_errors_say_where(void **state)
{
        (void)state;
        parse_fails_with("{\"ociVersion\": \"1.0.0\",\n  \"root\": }", "line 2, column");
        parse_fails_with("{\"ociVersion\":\"1.0.0\"", "invalid JSON");
        parse_fails_with(MINIMAL_HEAD "}} trailing", "invalid JSON");
        parse_fails_with("[]", "expected an object");
}

static void type_errors_name_the_field(void **state)
{
        (void)state;
        parse_fails_with("{\"ociVersion\":1}", "ociVersion: expected a string, got a number");
        parse_fails_with(MINIMAL_HEAD ",\"terminal\":\"yes\"}}", "process.terminal: expected a boolean");
        parse_fails_with(MINIMAL_HEAD ",\"user\":{\"uid\":-1}}}", "process.user.uid: expected a non-negative");
        parse_fails_with(MINIMAL_HEAD ",\"user\":{\"uid\":4294967296}}}", "process.user.uid: number 4294967296");
        parse_fails_with(MINIMAL_HEAD ",\"env\":[\"A=1\",2]}}", "process.env[1]: expected a string");
        parse_fails_with(MINIMAL_HEAD "},\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\"},{\"type\":\"tmpfs\"}]}",
                         "mounts[1].destination: required");
}

static void required_fields_are_checked(void **state)
{
        (void)state;
        parse_fails_with("{\"root\":{\"path\":\"r\"}}", "ociVersion: required");
        parse_fails_with("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"]}}", "root.path: required");
        parse_fails_with("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}", "process: required");
        parse_fails_with("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\"}}",
                         "process.args: required");
        parse_fails_with("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"]}}",
                         "process.cwd: required");
        parse_fails_with("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"w\",\"args\":[\"a\"]}}",
                         "process.cwd: must be an absolute path");
}

/* The tables say which fields are required; the error names the missing one,
 * wherever it is, and a null counts as absent. */
static void required_fields_of_nested_objects_are_named(void **state)
{
        (void)state;
        parse_fails_with(MINIMAL_HEAD ",\"cwd\":null}}", "process.cwd: required");
        parse_fails_with(MINIMAL_HEAD ",\"rlimits\":[{\"soft\":1,\"hard\":1}]}}", "process.rlimits[0].type: required");
        parse_fails_with(MINIMAL_HEAD "},\"mounts\":[{\"type\":\"tmpfs\"}]}", "mounts[0].destination: required");
        parse_fails_with(MINIMAL_HEAD "},\"hooks\":{\"poststop\":[{\"args\":[]}]}}",
                         "hooks.poststop[0].path: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"path\":\"/x\"}]}}",
                         "linux.namespaces[0].type: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"devices\":[{\"type\":\"c\",\"major\":1,\"minor\":3}]}}",
                         "linux.devices[0].path: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"devices\":[{\"path\":\"/dev/x\"}]}}",
                         "linux.devices[0].type: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"resources\":{\"hugepageLimits\":[{\"limit\":1}]}}}",
                         "linux.resources.hugepageLimits[0].pageSize: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"seccomp\":{\"syscalls\":[]}}}",
                         "linux.seccomp.defaultAction: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                      "\"syscalls\":[{\"names\":[\"read\"]}]}}}",
                         "linux.seccomp.syscalls[0].action: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                      "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
                                      "\"args\":[{\"index\":0,\"value\":1}]}]}}}",
                         "linux.seccomp.syscalls[0].args[0].op: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"nodes\":\"0\"}}}",
                         "linux.memoryPolicy.mode: required");
        /* A folded object (root's members live in struct spec) is missing by its required member. */
        parse_fails_with("{\"ociVersion\":\"1.0.0\",\"root\":null,\"process\":{\"cwd\":\"/\",\"args\":[\"a\"]}}",
                         "root.path: required");
}

/* Absent and given-but-empty differ where the table says so: capabilities absent
 * keep the process's, a hook's env absent is nook's environment. */
static void flagged_fields_say_whether_they_were_given(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD ",\"capabilities\":null},\"hooks\":{\"prestart\":[{\"path\":\"/a\"},"
                                     "{\"path\":\"/b\",\"env\":[]}]}}");
        assert_false(spec->process->has_capabilities);
        assert_false(spec->process->has_scheduler);
        assert_false(spec->process->has_console_size);
        assert_false(spec->hooks[HOOK_PRESTART].items[0].has_env);
        assert_true(spec->hooks[HOOK_PRESTART].items[1].has_env);
        assert_int_equal(spec->hooks[HOOK_PRESTART].items[1].env.len, 0);
        spec_free(spec);
        spec = parse_ok(MINIMAL_HEAD ",\"capabilities\":{},\"scheduler\":{\"policy\":\"SCHED_BATCH\"},"
                        "\"consoleSize\":{\"height\":3,\"width\":4}},"
                        "\"linux\":{\"personality\":{\"domain\":\"LINUX32\"}}}");
        assert_true(spec->process->has_capabilities);
        assert_int_equal(spec->process->capabilities.bounding, 0);
        assert_true(spec->process->has_scheduler);
        assert_int_equal(spec->process->scheduler.policy, 3);
        assert_true(spec->process->has_console_size);
        assert_int_equal(spec->process->console_width, 4);
        assert_true(spec->linux->has_personality);
        spec_free(spec);
}

static void versions_1x_are_accepted_others_refused(void **state)
{
        (void)state;
        const char *ok[] = { "1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.9.0" };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                char json[512];
                snprintf(json, sizeof(json),
                         "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"a\"]}}",
                         ok[i]);
                spec_free(parse_ok(json));
        }
        parse_fails_with("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"a\"]}}",
                         "ociVersion: unsupported version \"2.0.0\"");
}

static void unknown_names_are_errors(void **state)
{
        (void)state;
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
                                      "{\"type\":\"foo\"}]}}",
                         "linux.namespaces[2].type: unknown namespace \"foo\"");
        parse_fails_with(MINIMAL_HEAD ",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_FOO\"]}}}",
                         "process.capabilities.bounding: [1]: unknown capability \"CAP_FOO\"");
        parse_fails_with(MINIMAL_HEAD ",\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}",
                         "process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
                         "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                                      "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
                                      "\"value\":1,\"op\":\"SCMP_CMP_WHAT\"}]}]}}}",
                         "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_WHAT\"");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]}}",
                         "linux.devices[0].type: unknown device type \"x\"");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"rootfsPropagation\":\"sideways\"}}",
                         "linux.rootfsPropagation: unknown propagation \"sideways\"");
}

static void cross_field_rules(void **state)
{
        (void)state;
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
                         "namespace \"pid\" is given twice");
        parse_fails_with(MINIMAL_HEAD "},\"hostname\":\"h\"}", "hostname: needs its own uts namespace");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}",
                         "linux.uidMappings: given without a user namespace");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}",
                         "linux.uidMappings: required with a new user namespace");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}}",
                         "\"net.ipv4.ip_forward\" needs its own network namespace");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"network\"}],"
                                      "\"sysctl\":{\"vm.overcommit_memory\":\"1\"}}}",
                         "\"vm.overcommit_memory\" is not in a separate kernel namespace");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"network\"}],"
                                      "\"sysctl\":{\"net/../../x\":\"1\"}}}",
                         "invalid key");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"timeOffsets\":{\"boottime\":{\"secs\":1}}}}",
                         "linux.timeOffsets: needs a new time namespace");
        parse_fails_with(MINIMAL_HEAD ",\"rlimits\":[{\"type\":\"RLIMIT_CORE\"},{\"type\":\"RLIMIT_CORE\"}]}}",
                         "process.rlimits: RLIMIT_CORE is given twice");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"maskedPaths\":[\"/x\"]}}",
                         "linux.maskedPaths: need a mount namespace");
}

static void process_fragment_parses_alone(void **state)
{
        (void)state;
        const char *json = "{\"cwd\":\"/\",\"args\":[\"ls\"],\"env\":[\"A=b\"]}";
        struct spec_process *process = NULL;
        struct json_object *root = NULL;
        nook_err err = NULL;
        assert_int_equal(spec_parse_process(json, strlen(json), &process, &root, &err), 0);
        assert_string_equal(process->args.items[0], "ls");
        spec_process_free(process);
        json_object_put(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(minimal_config_parses),
                cmocka_unit_test(default_spec_round_trips),
                cmocka_unit_test(rootless_default_maps_the_caller),
                cmocka_unit_test(every_namespace_type_parses),
                cmocka_unit_test(values_land_in_their_fields),
                cmocka_unit_test(unknown_fields_are_ignored),
                cmocka_unit_test(json_syntax_errors_say_where),
                cmocka_unit_test(type_errors_name_the_field),
                cmocka_unit_test(required_fields_are_checked),
                cmocka_unit_test(required_fields_of_nested_objects_are_named),
                cmocka_unit_test(flagged_fields_say_whether_they_were_given),
                cmocka_unit_test(versions_1x_are_accepted_others_refused),
                cmocka_unit_test(unknown_names_are_errors),
                cmocka_unit_test(cross_field_rules),
                cmocka_unit_test(process_fragment_parses_alone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
