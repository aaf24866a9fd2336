/* What criu is told about a container (criu_plan.c), from configs alone: the
 * external mounts of a dump and of a restore, the namespaces given by path,
 * --empty-ns, and criu's cgroup modes. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sched.h>

#include "container/criu_plan.h"
#include "spec_assert.h"

#define BIND(dest, src) "{\"destination\":\"" dest "\",\"type\":\"bind\",\"source\":\"" src "\",\"options\":[\"rbind\"]}"
#define MOUNT(dest, type) "{\"destination\":\"" dest "\",\"type\":\"" type "\",\"source\":\"" type "\"}"

static struct spec *spec_with(const char *mounts, const char *linux_fields)
{
        char *json = NULL;
        assert_true(asprintf(&json, MINIMAL_HEAD "},\"mounts\":[%s],\"linux\":{%s}}", mounts, linux_fields) > 0);
        struct spec *spec = parse_ok(json);
        free(json);
        return spec;
}

static const char *value_of(const struct criu_plan *p, const char *key)
{
        for (size_t i = 0; i < p->n_mounts; i++)
                if (strcmp(p->mounts[i].key, key) == 0)
                        return p->mounts[i].value;
        return NULL;
}

static const char *const mounts_of_a_container =
        MOUNT("/proc", "proc") "," MOUNT("/dev", "tmpfs") "," MOUNT("/sys", "sysfs") ","
        BIND("/etc/hosts", "/var/lib/x/hosts") "," BIND("/data/", "/srv/data") "," MOUNT("/sys/fs/cgroup", "cgroup");

static void a_dump_names_binds_masked_files_and_devices(void **state)
{
        (void)state;
        struct spec *spec = spec_with(mounts_of_a_container,
                                      "\"namespaces\":[{\"type\":\"mount\"}],\"maskedPaths\":[\"/proc/kcore\",\"/proc/acpi\",\"/proc/nothing\"],"
                                      "\"devices\":[{\"type\":\"c\",\"path\":\"/dev/fuse\",\"major\":10,\"minor\":229}]");
        /* The image's symlinks resolved: /data/ is where its bind really is. */
        char *mountpoints[7] = { NULL, NULL, NULL, NULL, "/srv-in-image/data", NULL, NULL };
        const bool masked_files[] = { true, false, false }; /* a file; a directory; missing */
        struct criu_plan_input in = { .spec = spec, .mountpoints = mountpoints, .masked_files = masked_files };
        struct criu_plan p;
        nook_err err = NULL;
        assert_int_equal(criu_plan_dump(&in, &p, &err), 0);
        /* Dump: the mountpoint names itself in the image. */
        assert_string_equal(value_of(&p, "/etc/hosts"), "/etc/hosts");
        assert_string_equal(value_of(&p, "/srv-in-image/data"), "/srv-in-image/data");
        assert_null(value_of(&p, "/data"));
        /* Only binds: criu saves a tmpfs, proc, sysfs itself. */
        assert_null(value_of(&p, "/proc"));
        assert_null(value_of(&p, "/dev"));
        /* Masked files share one name; a masked directory is criu's (a tmpfs). */
        assert_string_equal(value_of(&p, "/proc/kcore"), "/dev/null");
        assert_null(value_of(&p, "/proc/acpi"));
        assert_null(value_of(&p, "/proc/nothing"));
        /* The default nodes of nook's /dev and the config's, once each. */
        assert_string_equal(value_of(&p, "/dev/null"), "/dev/null");
        assert_string_equal(value_of(&p, "/dev/tty"), "/dev/tty");
        assert_string_equal(value_of(&p, "/dev/fuse"), "/dev/fuse");
        assert_int_equal(p.n_external, 0);
        criu_plan_free(&p);
        spec_free(spec);
}

static void a_restore_binds_the_sources_again(void **state)
{
        (void)state;
        struct spec *spec = spec_with(mounts_of_a_container,
                                      "\"namespaces\":[{\"type\":\"mount\"}],\"maskedPaths\":[\"/proc/kcore\"]");
        struct criu_plan_input in = { .spec = spec };
        struct criu_plan p;
        nook_err err = NULL;
        assert_int_equal(criu_plan_restore(&in, &p, &err), 0);
        assert_string_equal(value_of(&p, "/etc/hosts"), "/var/lib/x/hosts");
        /* The destination cleaned, as the dump named it. */
        assert_string_equal(value_of(&p, "/data"), "/srv/data");
        /* The masks' name, bound from the host's null device. */
        assert_string_equal(value_of(&p, "/dev/null"), "/dev/null");
        assert_null(value_of(&p, "/proc/kcore"));
        assert_int_equal(p.n_namespaces, 0);
        criu_plan_free(&p);
        spec_free(spec);
}

static void v1_cgroup_hierarchies_without_a_cgroup_namespace_are_binds(void **state)
{
        (void)state;
        struct spec *spec = spec_with(MOUNT("/sys/fs/cgroup", "cgroup"), "\"namespaces\":[{\"type\":\"mount\"}]");
        struct cgroup_hierarchy h[] = {
                { .controllers = "cpu,cpuacct", .mount = "/sys/fs/cgroup/cpu,cpuacct",
                  .path = "/sys/fs/cgroup/cpu,cpuacct/pod/c" },
                { .controllers = "", .mount = "/sys/fs/cgroup/unified", .path = "/sys/fs/cgroup/unified/pod/c",
                  .v2 = true },
        };
        struct cgroup cg = { .mode = CGROUP_MODE_HYBRID, .hierarchies = h, .n_hierarchies = 2 };
        struct criu_plan_input in = { .spec = spec, .cgroup = &cg };
        struct criu_plan p;
        nook_err err = NULL;
        assert_int_equal(criu_plan_dump(&in, &p, &err), 0);
        assert_string_equal(value_of(&p, "/sys/fs/cgroup/cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
        assert_string_equal(value_of(&p, "/sys/fs/cgroup/unified"), "/sys/fs/cgroup/unified");
        criu_plan_free(&p);
        assert_int_equal(criu_plan_restore(&in, &p, &err), 0);
        assert_string_equal(value_of(&p, "/sys/fs/cgroup/cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/pod/c");
        criu_plan_free(&p);
        spec_free(spec);
        /* With a cgroup namespace, or on cgroup2 alone, they are real mounts criu saves. */
        spec = spec_with(MOUNT("/sys/fs/cgroup", "cgroup"), "\"namespaces\":[{\"type\":\"cgroup\"}]");
        in.spec = spec;
        assert_int_equal(criu_plan_dump(&in, &p, &err), 0);
        assert_int_equal(p.n_mounts, 0);
        criu_plan_free(&p);
        spec_free(spec);
}

static void namespaces_given_by_path_stay_the_caller_s(void **state)
{
        (void)state;
        struct spec *spec = spec_with("", "\"namespaces\":[{\"type\":\"network\",\"path\":\"/run/netns/a\"},"
                                          "{\"type\":\"ipc\",\"path\":\"/proc/1/ns/ipc\"},{\"type\":\"pid\"}]");
        unsigned long inodes[NS_TYPE_COUNT] = { [NS_NETWORK] = 4026532000UL };
        struct criu_plan_input in = { .spec = spec, .namespace_inodes = inodes };
        struct criu_plan p;
        nook_err err = NULL;
        assert_int_equal(criu_plan_dump(&in, &p, &err), 0);
        assert_int_equal(p.n_external, 1);
        assert_string_equal(p.external[0], "net[4026532000]:extRootNetNS");
        criu_plan_free(&p);
        assert_int_equal(criu_plan_restore(&in, &p, &err), 0);
        assert_int_equal(p.n_namespaces, 2);
        assert_string_equal(p.namespaces[0].inherit_key, "extRootNetNS");
        assert_string_equal(p.namespaces[0].path, "/run/netns/a");
        assert_string_equal(p.namespaces[1].criu_name, "ipc");
        assert_null(p.namespaces[1].inherit_key);
        criu_plan_free(&p);
        spec_free(spec);
        /* criu cannot join a cgroup namespace. */
        spec = spec_with("", "\"namespaces\":[{\"type\":\"cgroup\",\"path\":\"/proc/1/ns/cgroup\"}]");
        in.spec = spec;
        assert_true(criu_plan_restore(&in, &p, &err) < 0);
        assert_non_null(strstr(err->msg, "linux.namespaces[0]: criu cannot restore into a cgroup namespace"));
        nook_error_free(&err);
        criu_plan_free(&p);
        spec_free(spec);
}

static void empty_ns_takes_network_only_and_always_has_it(void **state)
{
        (void)state;
        unsigned mask = 0;
        nook_err err = NULL;
        assert_int_equal(criu_plan_empty_ns(NULL, 0, &mask, &err), 0);
        assert_int_equal(mask, CLONE_NEWNET);
        const char *net[] = { "network" };
        assert_int_equal(criu_plan_empty_ns(net, 1, &mask, &err), 0);
        const char *pid[] = { "network", "pid" };
        assert_true(criu_plan_empty_ns(pid, 2, &mask, &err) < 0);
        assert_string_equal(err->msg, "--empty-ns: namespace \"pid\" is not supported (only \"network\")");
        nook_error_free(&err);
}

static void cgroup_modes_are_runc_s_names(void **state)
{
        (void)state;
        enum criu_cgroup_mode mode;
        assert_true(criu_cgroup_mode_parse(NULL, &mode) && mode == CRIU_CGROUP_DEFAULT);
        assert_true(criu_cgroup_mode_parse("", &mode) && mode == CRIU_CGROUP_DEFAULT);
        assert_true(criu_cgroup_mode_parse("soft", &mode) && mode == CRIU_CGROUP_SOFT);
        assert_true(criu_cgroup_mode_parse("full", &mode) && mode == CRIU_CGROUP_FULL);
        assert_true(criu_cgroup_mode_parse("strict", &mode) && mode == CRIU_CGROUP_STRICT);
        assert_true(criu_cgroup_mode_parse("ignore", &mode) && mode == CRIU_CGROUP_IGNORE);
        assert_false(criu_cgroup_mode_parse("Soft", &mode));
        assert_false(criu_cgroup_mode_parse("props", &mode));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_dump_names_binds_masked_files_and_devices),
                cmocka_unit_test(a_restore_binds_the_sources_again),
                cmocka_unit_test(v1_cgroup_hierarchies_without_a_cgroup_namespace_are_binds),
                cmocka_unit_test(namespaces_given_by_path_stay_the_caller_s),
                cmocka_unit_test(empty_ns_takes_network_only_and_always_has_it),
                cmocka_unit_test(cgroup_modes_are_runc_s_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
