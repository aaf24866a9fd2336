/* `nook features` held to the implementation, not to a list written here: every
 * name it lists is taken by the parser or the code that uses it, and every name
 * of a wide vocabulary (the runtime-spec's, runc's and crun's, mount(8)'s) that
 * the implementation takes is listed. Engines act on this output (containerd
 * refuses idmapped mounts when it says they are off). */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "container/container.h"
#include "linux/mount_options.h"
#include "linux/seccomp.h"
#include "spec/spec.h"
#include "spec_assert.h"

static json_object *features;

static int load(void **state)
{
        (void)state;
        nook_err err = NULL;
        return container_features("1.3.0", "test", &features, &err);
}

static int unload(void **state)
{
        (void)state;
        json_object_put(features);
        return 0;
}

static json_object *at(const char *path)
{
        json_object *o = features;
        char copy[128];
        snprintf(copy, sizeof(copy), "%s", path);
        for (char *save = NULL, *key = strtok_r(copy, ".", &save); key != NULL; key = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, key, &o))
                        fail_msg("features has no %s", path);
        return o;
}

static bool listed(const char *path, const char *name)
{
        json_object *list = at(path);
        for (size_t i = 0; i < json_object_array_length(list); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), name) == 0)
                        return true;
        return false;
}

static const char *item(const char *path, size_t i)
{
        return json_object_get_string(json_object_array_get_idx(at(path), i));
}

static size_t count(const char *path)
{
        return json_object_array_length(at(path));
}

/* Whether a config with `fragment` inside "linux" (or at the top) parses. */
static bool config_parses(const char *top, const char *linux_)
{
        char *json = NULL;
        assert_true(asprintf(&json, MINIMAL_HEAD "}%s%s,\"linux\":{%s}}", top[0] ? "," : "", top, linux_) > 0);
        struct spec *spec = NULL;
        nook_err err = NULL;
        int ret = spec_parse(json, strlen(json), &spec, &err);
        free(json);
        nook_error_free(&err);
        spec_free(spec);
        return ret == 0;
}

static bool mount_option_taken(const char *option)
{
        struct mount_options opts;
        nook_err err = NULL;
        if (mount_options_parse(&option, 1, &opts, &err) < 0) {
                nook_error_free(&err);
                return false;
        }
        /* An unknown word goes to the filesystem as data: not an option nook knows. */
        bool known = opts.data == NULL;
        mount_options_free(&opts);
        return known;
}

static void every_mount_option_listed_is_taken_and_every_one_taken_is_listed(void **state)
{
        (void)state;
        for (size_t i = 0; i < count("mountOptions"); i++)
                if (!mount_option_taken(item("mountOptions", i)))
                        fail_msg("features lists mount option \"%s\", which the parser does not take", item("mountOptions", i));
        /* mount(8)'s generic words, the OCI ones runc and crun take, and some that are no option at all. */
        static const char *const vocabulary[] = {
                "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
                "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
                "norelatime", "nostrictatime", "nosuid", "nosymfollow", "rbind", "relatime", "remount", "ro", "rw",
                "silent", "strictatime", "suid", "symfollow", "sync", "acl", "noacl", "private", "rprivate", "shared",
                "rshared", "slave", "rslave", "unbindable", "runbindable", "rro", "rrw", "rnosuid", "rsuid", "rnodev",
                "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime",
                "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow", "tmpcopyup", "idmap",
                "ridmap", "copy-symlink", "src-nofollow", "dest-nofollow", "nofail", "auto", "noauto", "user",
                "nouser", "users", "owner", "group", "_netdev", "x-mount.mkdir", "move", "rmove", "recursive",
                "rcopy-symlink", "cgroup2", "mode=755", "size=64k", "uid=0", "gid=5", "newinstance", "ptmxmode=0666",
        };
        for (size_t i = 0; i < sizeof(vocabulary) / sizeof(vocabulary[0]); i++)
                if (mount_option_taken(vocabulary[i]) && !listed("mountOptions", vocabulary[i]))
                        fail_msg("the parser takes mount option \"%s\", which features does not list", vocabulary[i]);
}

static void namespaces_are_the_parsers(void **state)
{
        (void)state;
        assert_int_equal(count("linux.namespaces"), NS_TYPE_COUNT);
        for (int t = 0; t < NS_TYPE_COUNT; t++)
                assert_true(listed("linux.namespaces", spec_namespace_name((enum spec_namespace_type)t)));
        for (size_t i = 0; i < count("linux.namespaces"); i++) {
                char fragment[256];
                const char *name = item("linux.namespaces", i);
                snprintf(fragment, sizeof(fragment), "\"namespaces\":[{\"type\":\"%s\"}]%s", name,
                         strcmp(name, "user") == 0 ? ",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}],"
                                                     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]"
                                                   : "");
                assert_true(config_parses("", fragment));
        }
        assert_false(config_parses("", "\"namespaces\":[{\"type\":\"net\"}]"));
}

static void capabilities_are_every_one_the_kernel_headers_know(void **state)
{
        (void)state;
        assert_int_equal(count("linux.capabilities"), CAP_LAST_CAP + 1);
        for (size_t i = 0; i < count("linux.capabilities"); i++)
                assert_int_equal(spec_capability_from_name(item("linux.capabilities", i)), (int)i);
}

static void hooks_are_the_parsers(void **state)
{
        (void)state;
        static const char *const kinds[] = { "prestart",       "createRuntime", "createContainer",
                                             "startContainer", "poststart",     "poststop" };
        assert_int_equal(count("hooks"), HOOK_KIND_COUNT);
        for (size_t i = 0; i < HOOK_KIND_COUNT; i++) {
                assert_true(listed("hooks", kinds[i]));
                char *json = NULL;
                assert_true(asprintf(&json, MINIMAL_HEAD "},\"hooks\":{\"%s\":[{\"path\":\"/bin/true\"}]}}", kinds[i]) > 0);
                struct spec *spec = parse_ok(json);
                size_t hooks = 0;
                for (int k = 0; k < HOOK_KIND_COUNT; k++)
                        hooks += spec->hooks[k].len;
                assert_int_equal(hooks, 1);
                spec_free(spec);
                free(json);
        }
}

/* A profile whose one rule has this action parses and compiles. */
static bool rule_action_compiles(const char *action)
{
        char *json = NULL;
        assert_true(asprintf(&json, MINIMAL_HEAD "},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                                "\"listenerPath\":\"/run/agent\",\"syscalls\":[{\"names\":[\"getppid\"],"
                                                "\"action\":\"%s\"}]}}}", action) > 0);
        struct spec *spec = parse_ok(json);
        struct seccomp_program program = { 0 };
        nook_err err = NULL;
        int ret = seccomp_compile(spec->linux->seccomp, &program, &err);
        if (ret < 0)
                print_error("%s: %s\n", action, err->msg);
        nook_error_free(&err);
        seccomp_program_free(&program);
        spec_free(spec);
        free(json);
        return ret == 0;
}

static void seccomp_actions_and_operators_are_the_parsers_and_the_specs(void **state)
{
        (void)state;
        static const char *const actions[] = { "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                               "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                               "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY" };
        static const char *const operators[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                                 "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
        for (size_t i = 0; i < count("linux.seccomp.actions"); i++)
                assert_true(rule_action_compiles(item("linux.seccomp.actions", i)));
        for (size_t i = 0; i < count("linux.seccomp.operators"); i++) {
                char fragment[256];
                snprintf(fragment, sizeof(fragment),
                         "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                         "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"%s\"}]}]}",
                         item("linux.seccomp.operators", i));
                assert_true(config_parses("", fragment));
        }
        /* Every action and operator of the runtime-spec is implemented: listed. */
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
                assert_true(listed("linux.seccomp.actions", actions[i]));
        for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
                assert_true(listed("linux.seccomp.operators", operators[i]));
        assert_false(config_parses("", "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NONSENSE\"}"));
}

static bool arch_compiles(const char *arch)
{
        struct spec_seccomp config = { .default_action = SPEC_SECCOMP_ALLOW,
                                       .architectures = { .items = &arch, .len = 1 } };
        struct seccomp_program program = { 0 };
        nook_err err = NULL;
        int ret = seccomp_compile(&config, &program, &err);
        nook_error_free(&err);
        seccomp_program_free(&program);
        return ret == 0;
}

static void seccomp_archs_are_those_the_compiler_takes(void **state)
{
        (void)state;
        static const char *const spec_archs[] = {
                "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
                "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
                "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
                "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
                "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",        "SCMP_ARCH_NONSENSE",
        };
        for (size_t i = 0; i < count("linux.seccomp.archs"); i++)
                if (!arch_compiles(item("linux.seccomp.archs", i)))
                        fail_msg("features lists %s, which the compiler refuses", item("linux.seccomp.archs", i));
        for (size_t i = 0; i < sizeof(spec_archs) / sizeof(spec_archs[0]); i++)
                if (arch_compiles(spec_archs[i]) != listed("linux.seccomp.archs", spec_archs[i]))
                        fail_msg("%s: compiles %d, listed %d", spec_archs[i], arch_compiles(spec_archs[i]),
                                 listed("linux.seccomp.archs", spec_archs[i]));
}

static bool flag_taken(const char *flag)
{
        struct spec_seccomp config = { .default_action = SPEC_SECCOMP_ALLOW, .flags = { .items = &flag, .len = 1 } };
        unsigned flags;
        nook_err err = NULL;
        int ret = seccomp_flags(&config, &flags, &err);
        nook_error_free(&err);
        return ret == 0;
}

static void seccomp_flags_are_those_the_compiler_takes(void **state)
{
        (void)state;
        static const char *const spec_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_NONE" };
        for (size_t i = 0; i < count("linux.seccomp.knownFlags"); i++)
                assert_true(flag_taken(item("linux.seccomp.knownFlags", i)));
        for (size_t i = 0; i < sizeof(spec_flags) / sizeof(spec_flags[0]); i++)
                assert_int_equal(flag_taken(spec_flags[i]), listed("linux.seccomp.knownFlags", spec_flags[i]));
        for (size_t i = 0; i < count("linux.seccomp.supportedFlags"); i++)
                assert_true(listed("linux.seccomp.knownFlags", item("linux.seccomp.supportedFlags", i)));
}

static void memory_policy_modes_and_flags_are_the_parsers_and_the_specs(void **state)
{
        (void)state;
        static const char *const modes[] = { "MPOL_DEFAULT",    "MPOL_BIND",           "MPOL_INTERLEAVE",
                                             "MPOL_PREFERRED",  "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
                                             "MPOL_WEIGHTED_INTERLEAVE" };
        static const char *const flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES" };
        assert_int_equal(count("linux.memoryPolicy.modes"), sizeof(modes) / sizeof(modes[0]));
        assert_int_equal(count("linux.memoryPolicy.flags"), sizeof(flags) / sizeof(flags[0]));
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                char fragment[128];
                bool no_nodes = strcmp(modes[i], "MPOL_DEFAULT") == 0 || strcmp(modes[i], "MPOL_LOCAL") == 0;
                snprintf(fragment, sizeof(fragment), "\"memoryPolicy\":{\"mode\":\"%s\"%s}", modes[i],
                         no_nodes ? "" : ",\"nodes\":\"0\"");
                assert_true(listed("linux.memoryPolicy.modes", modes[i]));
                assert_true(config_parses("", fragment));
        }
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
                char fragment[128];
                snprintf(fragment, sizeof(fragment),
                         "\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\",\"flags\":[\"%s\"]}", flags[i]);
                assert_true(listed("linux.memoryPolicy.flags", flags[i]));
                assert_true(config_parses("", fragment));
        }
}

static void switched_on_features_are_fields_the_parser_takes(void **state)
{
        (void)state;
        /* idmap: the options and the mappings of a mount. */
        assert_true(json_object_get_boolean(at("linux.mountExtensions.idmap.enabled")));
        const char *options[] = { "idmap" };
        struct mount_options opts;
        nook_err err = NULL;
        assert_int_equal(mount_options_parse(options, 1, &opts, &err), 0);
        assert_true(opts.idmap);
        mount_options_free(&opts);
        options[0] = "ridmap";
        assert_int_equal(mount_options_parse(options, 1, &opts, &err), 0);
        assert_true(opts.idmap && opts.rec_idmap);
        mount_options_free(&opts);
        struct spec *spec = parse_ok(MINIMAL_HEAD "},\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/s\","
                                                  "\"options\":[\"rbind\",\"idmap\"],\"uidMappings\":[{\"containerID\":0,"
                                                  "\"hostID\":1000,\"size\":1}],\"gidMappings\":[{\"containerID\":0,"
                                                  "\"hostID\":1000,\"size\":1}]}]}");
        assert_int_equal(spec->mounts.items[0].uid_mappings.len, 1);
        spec_free(spec);
        /* netDevices and intelRdt land in the config. */
        assert_true(json_object_get_boolean(at("linux.netDevices.enabled")));
        spec = parse_ok(MINIMAL_HEAD "},\"linux\":{\"namespaces\":[{\"type\":\"network\"}],\"netDevices\":{\"eth0\":{}},"
                                     "\"intelRdt\":{\"schemata\":[\"L3:0=f\"],\"enableMonitoring\":true}}}");
        assert_int_equal(spec->linux->net_devices.len, 1);
        assert_non_null(spec->linux->intel_rdt);
        assert_int_equal(spec->linux->intel_rdt->schemata.len, 1);
        assert_true(spec->linux->intel_rdt->enable_monitoring);
        spec_free(spec);
        assert_true(json_object_get_boolean(at("linux.intelRdt.enabled")));
        assert_true(json_object_get_boolean(at("linux.intelRdt.schemata")));
        assert_true(json_object_get_boolean(at("linux.intelRdt.monitoring")));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_mount_option_listed_is_taken_and_every_one_taken_is_listed),
                cmocka_unit_test(namespaces_are_the_parsers),
                cmocka_unit_test(capabilities_are_every_one_the_kernel_headers_know),
                cmocka_unit_test(hooks_are_the_parsers),
                cmocka_unit_test(seccomp_actions_and_operators_are_the_parsers_and_the_specs),
                cmocka_unit_test(seccomp_archs_are_those_the_compiler_takes),
                cmocka_unit_test(seccomp_flags_are_those_the_compiler_takes),
                cmocka_unit_test(memory_policy_modes_and_flags_are_the_parsers_and_the_specs),
                cmocka_unit_test(switched_on_features_are_fields_the_parser_takes),
        };
        return cmocka_run_group_tests(tests, load, unload);
}
