/* The systemd driver's pure parts: cgroupsPath "slice:prefix:name", slice
 * expansion, the unit's cgroup and the container's leaf, the unit properties
 * (fixed, from linux.resources, from annotations), GVariant text values, the
 * helper's request; and the helper runner, with small shell scripts standing
 * in for nook-systemd. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/systemd.h"
#include "linux/systemd_leaf.h"
#include "linux/systemd_properties.h"
#include "linux/systemd_unit.h"
#include "spec/spec.h"

/* ret is an error whose message holds each of the NULL-terminated substrings. */
static void assert_error(int ret, nook_err *err, ...)
{
        assert_true(ret < 0);
        assert_non_null(*err);
        va_list ap;
        va_start(ap, err);
        for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *)) {
                if (strstr((*err)->msg, s) == NULL)
                        fail_msg("\"%s\" is not in the error \"%s\"", s, (*err)->msg);
        }
        va_end(ap);
        nook_error_free(err);
}

/* ---- cgroupsPath ---- */

static void parse_ok(const char *path, bool rootless, const char *slice, const char *slice_path, const char *name,
                     bool is_slice)
{
        struct systemd_unit u;
        nook_err err = NULL;
        int ret = systemd_unit_parse(path, "abc", rootless, &u, &err);
        if (ret < 0)
                fail_msg("%s: %s", path, err->msg);
        assert_string_equal(u.slice, slice);
        assert_string_equal(u.slice_path, slice_path);
        assert_string_equal(u.name, name);
        assert_int_equal(u.is_slice, is_slice);
        systemd_unit_free(&u);
}

static void cgroups_path_is_read_as_runc_reads_it(void **state)
{
        (void)state;
        parse_ok("system.slice:docker:abc", false, "system.slice", "/system.slice", "docker-abc.scope", false);
        parse_ok("machine.slice:libpod:f00", false, "machine.slice", "/machine.slice", "libpod-f00.scope", false);
        parse_ok("kubepods-besteffort-pod12.slice:cri-containerd:c1", false, "kubepods-besteffort-pod12.slice",
                 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice",
                 "cri-containerd-c1.scope", false);
        /* An empty slice is the manager's default; an empty prefix leaves the dash out. */
        parse_ok(":libpod:x", false, "system.slice", "/system.slice", "libpod-x.scope", false);
        parse_ok(":libpod:x", true, "user.slice", "/user.slice", "libpod-x.scope", false);
        parse_ok("system.slice::x", false, "system.slice", "/system.slice", "x.scope", false);
        parse_ok("-.slice:p:x", false, "-.slice", "", "p-x.scope", false);
        /* A name ending in .slice is the unit itself, a slice. */
        parse_ok("kubepods.slice:p:kubepods-pod1.slice", false, "kubepods.slice", "/kubepods.slice",
                 "kubepods-pod1.slice", true);
}

static void empty_cgroups_path_gets_the_documented_default(void **state)
{
        (void)state;
        parse_ok(NULL, false, "system.slice", "/system.slice", "nook-abc.scope", false);
        parse_ok("", false, "system.slice", "/system.slice", "nook-abc.scope", false);
        parse_ok("", true, "user.slice", "/user.slice", "nook-abc.scope", false);
}

static void bad_cgroups_paths_are_refused_naming_the_field(void **state)
{
        (void)state;
        static const struct {
                const char *path, *why;
        } cases[] = {
                { "/nook/abc", "it must be \"slice:prefix:name\"" },
                { "system.slice:abc", "it must be \"slice:prefix:name\"" },
                { "a.slice:b:c:d", "it must be \"slice:prefix:name\"" },
                { "system.slice:nook:", "the name" },
                { "user:nook:x", "is not a slice name" },
                { ".slice:nook:x", "is not a slice name" },
                { "a--b.slice:nook:x", "may not lead, trail or double" },
                { "-a.slice:nook:x", "may not lead, trail or double" },
                { "a-.slice:nook:x", "may not lead, trail or double" },
                { "a/b.slice:nook:x", "must not contain \"/\"" },
                { "system.slice:nook:a/b", "not a valid systemd unit name" },
                { "system.slice:nook:a b", "not a valid systemd unit name" },
                { "system.slice:p:a--b.slice", "may not lead, trail or double" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct systemd_unit u;
                nook_err err = NULL;
                int ret = systemd_unit_parse(cases[i].path, "abc", false, &u, &err);
                if (ret >= 0)
                        fail_msg("%s was accepted", cases[i].path);
                assert_error(ret, &err, "linux.cgroupsPath", cases[i].why, NULL);
        }
}

static void slices_expand_level_by_level(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
                { "-.slice", "" },
                { "a.slice", "/a.slice" },
                { "a-b.slice", "/a.slice/a-b.slice" },
                { "a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice" },
                { "user-1000.slice", "/user.slice/user-1000.slice" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *path = NULL;
                nook_err err = NULL;
                assert_int_equal(systemd_expand_slice(cases[i][0], &path, &err), 0);
                assert_string_equal(path, cases[i][1]);
                free(path);
        }
        char *path = NULL;
        nook_err err = NULL;
        assert_error(systemd_expand_slice("a.scope", &path, &err), &err, "a.scope", NULL);
}

static void unit_cgroup_is_below_the_managers_own(void **state)
{
        (void)state;
        struct systemd_unit u;
        nook_err err = NULL;
        char *path = NULL;
        assert_int_equal(systemd_unit_parse("a-b.slice:nook:x", "x", false, &u, &err), 0);
        assert_int_equal(systemd_unit_cgroup(&u, "", &path, &err), 0);
        assert_string_equal(path, "/a.slice/a-b.slice/nook-x.scope");
        free(path);
        assert_int_equal(systemd_unit_cgroup(&u, "/", &path, &err), 0);
        assert_string_equal(path, "/a.slice/a-b.slice/nook-x.scope");
        free(path);
        systemd_unit_free(&u);
        /* Rootless: the user manager's tree. */
        assert_int_equal(systemd_unit_parse("", "x", true, &u, &err), 0);
        assert_int_equal(systemd_unit_cgroup(&u, "/user.slice/user-1000.slice/user@1000.service", &path, &err), 0);
        assert_string_equal(path, "/user.slice/user-1000.slice/user@1000.service/user.slice/nook-x.scope");
        free(path);
        systemd_unit_free(&u);
        /* A slice unit is placed by its own name. */
        assert_int_equal(systemd_unit_parse("kubepods.slice:p:kubepods-pod1.slice", "x", false, &u, &err), 0);
        assert_int_equal(systemd_unit_cgroup(&u, "", &path, &err), 0);
        assert_string_equal(path, "/kubepods.slice/kubepods-pod1.slice");
        free(path);
        systemd_unit_free(&u);
}

static void the_container_lives_in_a_leaf_of_the_unit(void **state)
{
        (void)state;
        struct cgroup *cg = NULL;
        nook_err err = NULL;
        assert_int_equal(systemd_cgroup_leaf("/system.slice/nook-x.scope", &cg, &err), 0);
        assert_int_equal(cg->mode, CGROUP_MODE_V2);
        assert_int_equal(cg->n_hierarchies, 1);
        assert_int_equal(cg->v2_fd, -1);
        assert_true(cg->hierarchies[0].v2);
        assert_string_equal(cg->hierarchies[0].controllers, "");
        assert_string_equal(cg->hierarchies[0].mount, "/sys/fs/cgroup");
        assert_string_equal(cg->hierarchies[0].path, "/sys/fs/cgroup/system.slice/nook-x.scope/container");
        assert_int_equal(cg->hierarchies[0].created, 1); /* the leaf only: the unit is systemd's */
        cgroup_free(cg);
        assert_error(systemd_cgroup_leaf("system.slice/x.scope", &cg, &err), &err, "not an absolute", NULL);
        assert_error(systemd_cgroup_leaf("/", &cg, &err), &err, "not an absolute", NULL);
        assert_error(systemd_cgroup_leaf("/system.slice/../x", &cg, &err), &err, "\"..\"", NULL);
}

static void only_the_unified_hierarchy_is_driven(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_int_equal(systemd_check_cgroup_mode(CGROUP_MODE_V2, &err), 0);
        assert_error(systemd_check_cgroup_mode(CGROUP_MODE_V1, &err), &err, "v1", "--systemd-cgroup", NULL);
        assert_error(systemd_check_cgroup_mode(CGROUP_MODE_HYBRID, &err), &err, "hybrid", NULL);
}

/* ---- properties ---- */

static json_object *property(json_object *list, const char *name, const char *type)
{
        json_object *p = systemd_property_get(list, name);
        if (p == NULL)
                fail_msg("no property %s in %s", name, json_object_to_json_string(list));
        assert_string_equal(json_object_get_string(json_object_object_get(p, "type")), type);
        return json_object_object_get(p, "value");
}

static uint64_t u64_property(json_object *list, const char *name)
{
        return json_object_get_uint64(property(list, name, "t"));
}

static int since_of(json_object *list, const char *name)
{
        return json_object_get_int(json_object_object_get(systemd_property_get(list, name), "since"));
}

static void assert_bytes(json_object *array, const uint8_t *bytes, size_t n)
{
        assert_int_equal(json_object_array_length(array), n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(json_object_get_int(json_object_array_get_idx(array, i)), bytes[i]);
}

static void a_scope_gets_the_fixed_properties(void **state)
{
        (void)state;
        struct systemd_unit u;
        nook_err err = NULL;
        assert_int_equal(systemd_unit_parse("machine.slice:libpod:abc", "abc", false, &u, &err), 0);
        json_object *list = systemd_properties_new();
        assert_int_equal(systemd_properties_fixed(list, &u, "abc", 1234, &err), 0);
        assert_string_equal(json_object_get_string(property(list, "Description", "s")), "nook container abc");
        assert_string_equal(json_object_get_string(property(list, "Slice", "s")), "machine.slice");
        assert_true(json_object_get_boolean(property(list, "Delegate", "b")));
        json_object *pids = property(list, "PIDs", "au");
        assert_int_equal(json_object_array_length(pids), 1);
        assert_int_equal(json_object_get_int(json_object_array_get_idx(pids, 0)), 1234);
        assert_true(json_object_get_boolean(property(list, "MemoryAccounting", "b")));
        assert_true(json_object_get_boolean(property(list, "CPUAccounting", "b")));
        assert_true(json_object_get_boolean(property(list, "IOAccounting", "b")));
        assert_true(json_object_get_boolean(property(list, "TasksAccounting", "b")));
        assert_false(json_object_get_boolean(property(list, "DefaultDependencies", "b")));
        assert_null(systemd_property_get(list, "Wants"));
        json_object_put(list);
        /* No process yet: no PIDs. */
        list = systemd_properties_new();
        assert_int_equal(systemd_properties_fixed(list, &u, "abc", 0, &err), 0);
        assert_null(systemd_property_get(list, "PIDs"));
        json_object_put(list);
        systemd_unit_free(&u);
}

static void a_slice_wants_its_parent_and_holds_no_pids(void **state)
{
        (void)state;
        struct systemd_unit u;
        nook_err err = NULL;
        assert_int_equal(systemd_unit_parse("kubepods.slice:p:kubepods-pod1.slice", "x", false, &u, &err), 0);
        json_object *list = systemd_properties_new();
        assert_int_equal(systemd_properties_fixed(list, &u, "x", 1234, &err), 0);
        json_object *wants = property(list, "Wants", "as");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(wants, 0)), "kubepods.slice");
        assert_null(systemd_property_get(list, "Slice"));
        assert_null(systemd_property_get(list, "Delegate"));
        assert_null(systemd_property_get(list, "PIDs"));
        json_object_put(list);
        systemd_unit_free(&u);
}

/* The properties of a linux.resources object given as JSON text; NULL (and *err) on error. */
static json_object *resources_properties(const char *json, nook_err *err)
{
        struct spec_resources *r = NULL;
        json_object *owner = NULL;
        if (spec_parse_resources(json, strlen(json), &r, &owner, err) < 0)
                fail_msg("resources: %s", (*err)->msg);
        json_object *list = systemd_properties_new();
        int ret = systemd_properties_from_resources(list, r, err);
        spec_free_resources(r);
        json_object_put(owner);
        if (ret < 0) {
                json_object_put(list);
                return NULL;
        }
        return list;
}

static void resources_become_the_properties_systemd_knows(void **state)
{
        (void)state;
        nook_err err = NULL;
        json_object *list = resources_properties(
                "{\"memory\": {\"limit\": 1048576, \"reservation\": 524288, \"swap\": 3145728},"
                " \"pids\": {\"limit\": 100},"
                " \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-2,9\", \"mems\": \"0\"},"
                " \"blockIO\": {\"weight\": 500}}",
                &err);
        assert_non_null(list);
        assert_int_equal(u64_property(list, "MemoryMax"), 1048576);
        assert_int_equal(u64_property(list, "MemoryLow"), 524288);
        assert_int_equal(u64_property(list, "MemorySwapMax"), 2097152); /* memory+swap minus memory */
        assert_int_equal(u64_property(list, "TasksMax"), 100);
        assert_int_equal(u64_property(list, "CPUWeight"), 100); /* nook's cgroup2 curve: 1024 → 100 */
        assert_int_equal(u64_property(list, "CPUQuotaPeriodUSec"), 100000);
        assert_int_equal(since_of(list, "CPUQuotaPeriodUSec"), 242);
        assert_int_equal(u64_property(list, "CPUQuotaPerSecUSec"), 500000);
        assert_bytes(property(list, "AllowedCPUs", "ay"), (const uint8_t[]){ 0x07, 0x02 }, 2);
        assert_int_equal(since_of(list, "AllowedCPUs"), 244);
        assert_bytes(property(list, "AllowedMemoryNodes", "ay"), (const uint8_t[]){ 0x01 }, 1);
        assert_int_equal(u64_property(list, "IOWeight"), 4950);
        assert_int_equal(json_object_array_length(list), 10);
        json_object_put(list);
}

static void unlimited_values_are_infinity(void **state)
{
        (void)state;
        nook_err err = NULL;
        json_object *list = resources_properties(
                "{\"memory\": {\"limit\": -1, \"reservation\": -1, \"swap\": -1}, \"pids\": {\"limit\": -1},"
                " \"cpu\": {\"quota\": -1}}",
                &err);
        assert_non_null(list);
        assert_true(u64_property(list, "MemoryMax") == SYSTEMD_INFINITY);
        assert_true(u64_property(list, "MemoryLow") == SYSTEMD_INFINITY);
        assert_true(u64_property(list, "MemorySwapMax") == SYSTEMD_INFINITY);
        assert_true(u64_property(list, "TasksMax") == SYSTEMD_INFINITY);
        assert_true(u64_property(list, "CPUQuotaPerSecUSec") == SYSTEMD_INFINITY);
        json_object_put(list);
        /* pids.limit 0 is no limit for nook's cgroup2 writer too. */
        list = resources_properties("{\"pids\": {\"limit\": 0}}", &err);
        assert_true(u64_property(list, "TasksMax") == SYSTEMD_INFINITY);
        json_object_put(list);
        /* Swap equal to memory: no swap at all. */
        list = resources_properties("{\"memory\": {\"limit\": 1048576, \"swap\": 1048576}}", &err);
        assert_int_equal(u64_property(list, "MemorySwapMax"), 0);
        json_object_put(list);
}

static void only_the_fields_given_become_properties(void **state)
{
        (void)state;
        nook_err err = NULL;
        json_object *list = resources_properties("{}", &err);
        assert_int_equal(json_object_array_length(list), 0);
        json_object_put(list);
        /* update: a swap limit alone, or a period alone, leave what depends on the cgroup's
         * current values to the leaf. */
        list = resources_properties("{\"memory\": {\"swap\": 1048576}, \"cpu\": {\"period\": 50000}}", &err);
        assert_null(systemd_property_get(list, "MemorySwapMax"));
        assert_null(systemd_property_get(list, "CPUQuotaPerSecUSec"));
        assert_int_equal(u64_property(list, "CPUQuotaPeriodUSec"), 50000);
        json_object_put(list);
}

static void cpu_quota_rounds_up_to_whole_percents(void **state)
{
        (void)state;
        assert_int_equal(systemd_cpu_quota_per_sec(50000, 100000), 500000);
        assert_int_equal(systemd_cpu_quota_per_sec(33333, 100000), 340000);
        assert_int_equal(systemd_cpu_quota_per_sec(200000, 0), 2000000); /* default period */
        assert_int_equal(systemd_cpu_quota_per_sec(1000, 1000000), 10000);
        assert_true(systemd_cpu_quota_per_sec(0, 100000) == SYSTEMD_INFINITY);
        assert_true(systemd_cpu_quota_per_sec(-1, 100000) == SYSTEMD_INFINITY);
}

static void bad_resources_are_refused_naming_the_field(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_null(resources_properties("{\"cpu\": {\"cpus\": \"0-\"}}", &err));
        assert_error(-EINVAL, &err, "linux.resources.cpu.cpus", "\"0-\"", NULL);
        assert_null(resources_properties("{\"cpu\": {\"mems\": \"x\"}}", &err));
        assert_error(-EINVAL, &err, "linux.resources.cpu.mems", NULL);
        assert_null(resources_properties("{\"memory\": {\"limit\": 2097152, \"swap\": 1048576}}", &err));
        assert_error(-EINVAL, &err, "linux.resources.memory.swap", NULL);
}

static void cpusets_become_byte_masks(void **state)
{
        (void)state;
        static const struct {
                const char *list;
                uint8_t bytes[4];
                size_t n;
        } cases[] = {
                { "0", { 0x01 }, 1 },       { "0-7", { 0xff }, 1 },       { "8", { 0x00, 0x01 }, 2 },
                { "1,3", { 0x0a }, 1 },     { "0-2,9", { 0x07, 0x02 }, 2 }, { "31", { 0, 0, 0, 0x80 }, 4 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t *mask = NULL;
                size_t len = 0;
                nook_err err = NULL;
                assert_int_equal(systemd_cpuset_mask(cases[i].list, "f", &mask, &len, &err), 0);
                assert_int_equal(len, cases[i].n);
                assert_memory_equal(mask, cases[i].bytes, len);
                free(mask);
        }
        static const char *const bad[] = { "", "a", "3-1", "1,,2", "1,", "-1", "70000", "1-70000", "1 2" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                uint8_t *mask = NULL;
                size_t len = 0;
                nook_err err = NULL;
                int ret = systemd_cpuset_mask(bad[i], "linux.resources.cpu.cpus", &mask, &len, &err);
                if (ret >= 0)
                        fail_msg("\"%s\" was accepted", bad[i]);
                assert_error(ret, &err, "linux.resources.cpu.cpus", NULL);
        }
}

/* ---- GVariant text ---- */

static void gvariant_ok(const char *text, const char *type, const char *json)
{
        char t[3];
        json_object *v = NULL;
        nook_err err = NULL;
        if (systemd_parse_gvariant(text, "v", t, &v, &err) < 0)
                fail_msg("%s: %s", text, err->msg);
        assert_string_equal(t, type);
        assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), json);
        json_object_put(v);
}

static void gvariant_values_become_typed_values(void **state)
{
        (void)state;
        gvariant_ok("uint64 5000000", "t", "5000000");
        gvariant_ok("uint64 18446744073709551615", "t", "18446744073709551615");
        gvariant_ok("int64 -5", "x", "-5");
        gvariant_ok("uint32 7", "u", "7");
        gvariant_ok("int32 -1", "i", "-1");
        gvariant_ok("42", "i", "42");
        gvariant_ok("-7", "i", "-7");
        gvariant_ok("double 1.5", "d", "1.5");
        gvariant_ok("2.5", "d", "2.5");
        gvariant_ok("@t 5", "t", "5");
        gvariant_ok("true", "b", "true");
        gvariant_ok(" false ", "b", "false");
        gvariant_ok("'str'", "s", "\"str\"");
        gvariant_ok("\"str\"", "s", "\"str\"");
        gvariant_ok("'it\\'s'", "s", "\"it's\"");
        gvariant_ok("['a.service', \"b.service\"]", "as", "[\"a.service\",\"b.service\"]");
        gvariant_ok("@as []", "as", "[]");
        gvariant_ok("@au [1, 2]", "au", "[1,2]");
        gvariant_ok("[uint32 1, 2]", "au", "[1,2]");
        gvariant_ok("@ay [0x1, 255]", "ay", "[1,255]");
        gvariant_ok("[byte 3]", "ay", "[3]");
}

static void bad_gvariant_values_are_refused_naming_them(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "",         "uint64 -1", "uint64 x",   "uint64 18446744073709551616", "'open", "[]",
                "[1, 2]",   "['a', 1]",  "int32 3000000000", "yes",   "'a' extra", "@q 1",
                "byte 3",   "[uint32 1, 'a']", "['a' 'b']", "'bad \\q escape'", "@s 1",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char t[3];
                json_object *v = NULL;
                nook_err err = NULL;
                int ret = systemd_parse_gvariant(bad[i], "annotation org.systemd.property.X", t, &v, &err);
                if (ret >= 0)
                        fail_msg("\"%s\" was accepted", bad[i]);
                assert_error(ret, &err, "annotation org.systemd.property.X", "not a GVariant value", NULL);
        }
}

/* ---- annotations ---- */

static json_object *annotation_properties(const char *key, const char *value, nook_err *err, int *ret)
{
        struct spec_string_pair pairs[] = { { "com.example.other", "1" }, { key, value } };
        spec_map map = { .items = pairs, .len = 2 };
        json_object *list = systemd_properties_new();
        *ret = systemd_properties_from_annotations(list, &map, err);
        return list;
}

static void annotations_become_properties(void **state)
{
        (void)state;
        nook_err err = NULL;
        int ret;
        json_object *list = annotation_properties("org.systemd.property.TimeoutStopUSec", "uint64 123456789", &err, &ret);
        assert_int_equal(ret, 0);
        assert_int_equal(json_object_array_length(list), 1); /* the other annotation is not a property */
        assert_int_equal(u64_property(list, "TimeoutStopUSec"), 123456789);
        json_object_put(list);
        list = annotation_properties("org.systemd.property.CollectMode", "'inactive-or-failed'", &err, &ret);
        assert_string_equal(json_object_get_string(property(list, "CollectMode", "s")), "inactive-or-failed");
        json_object_put(list);
        list = annotation_properties("org.systemd.property.After", "['a.service']", &err, &ret);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(property(list, "After", "as"), 0)),
                            "a.service");
        json_object_put(list);
}

static void seconds_become_microseconds_as_runc_does(void **state)
{
        (void)state;
        nook_err err = NULL;
        int ret;
        json_object *list = annotation_properties("org.systemd.property.TimeoutStopSec", "456", &err, &ret);
        assert_int_equal(ret, 0);
        assert_null(systemd_property_get(list, "TimeoutStopSec"));
        assert_int_equal(u64_property(list, "TimeoutStopUSec"), 456000000);
        json_object_put(list);
        list = annotation_properties("org.systemd.property.TimeoutStopSec", "uint64 2", &err, &ret);
        assert_int_equal(u64_property(list, "TimeoutStopUSec"), 2000000);
        json_object_put(list);
        list = annotation_properties("org.systemd.property.TimeoutStopSec", "234.5", &err, &ret);
        assert_int_equal(u64_property(list, "TimeoutStopUSec"), 234500000);
        json_object_put(list);
        /* Only a lowercase letter before "Sec" makes a seconds property. */
        list = annotation_properties("org.systemd.property.FOOSec", "123", &err, &ret);
        assert_int_equal(json_object_get_int(property(list, "FOOSec", "i")), 123);
        json_object_put(list);
        list = annotation_properties("org.systemd.property.TimeoutStopSec", "false", &err, &ret);
        assert_error(ret, &err, "org.systemd.property.TimeoutStopSec", "seconds", NULL);
        json_object_put(list);
        list = annotation_properties("org.systemd.property.TimeoutStopSec", "-1", &err, &ret);
        assert_error(ret, &err, "org.systemd.property.TimeoutStopSec", "negative", NULL);
        json_object_put(list);
}

static void bad_annotations_are_refused_naming_them(void **state)
{
        (void)state;
        static const char *const cases[][3] = {
                { "org.systemd.property.Xo", "1", "not a systemd property name" },
                { "org.systemd.property.Number1", "1", "not a systemd property name" },
                { "org.systemd.property.ValidName", "invalid-value", "not a GVariant value" },
                { "org.systemd.property.Slice", "'evil.slice'", "cannot be overridden" },
                { "org.systemd.property.PIDs", "@au [1]", "cannot be overridden" },
                { "org.systemd.property.Delegate", "false", "cannot be overridden" },
                { "org.systemd.property.DelegateSubgroup", "'x'", "cannot be overridden" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                nook_err err = NULL;
                int ret;
                json_object *list = annotation_properties(cases[i][0], cases[i][1], &err, &ret);
                if (ret >= 0)
                        fail_msg("%s=%s was accepted", cases[i][0], cases[i][1]);
                assert_error(ret, &err, cases[i][0], cases[i][2], NULL);
                json_object_put(list);
        }
}

static void annotations_replace_nooks_own_defaults(void **state)
{
        (void)state;
        struct systemd_unit u;
        nook_err err = NULL;
        assert_int_equal(systemd_unit_parse("", "abc", false, &u, &err), 0);
        struct spec_string_pair pairs[] = { { "org.systemd.property.DefaultDependencies", "true" },
                                            { "org.systemd.property.Description", "'mine'" } };
        spec_map map = { .items = pairs, .len = 2 };
        json_object *list = NULL;
        assert_int_equal(systemd_properties_for_start(&u, "abc", 99, NULL, &map, &list, &err), 0);
        assert_true(json_object_get_boolean(property(list, "DefaultDependencies", "b")));
        assert_string_equal(json_object_get_string(property(list, "Description", "s")), "mine");
        /* Each name once. */
        size_t n = 0;
        for (size_t i = 0; i < json_object_array_length(list); i++)
                n += strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(list, i), "name")),
                            "DefaultDependencies") == 0;
        assert_int_equal(n, 1);
        json_object_put(list);
        systemd_unit_free(&u);
}

/* ---- the request ---- */

static void requests_carry_op_bus_unit_timeout_and_properties(void **state)
{
        (void)state;
        json_object *list = systemd_properties_new();
        systemd_property_set(list, "MemoryMax", "t", json_object_new_uint64(SYSTEMD_INFINITY), 0);
        char *text = systemd_request_json("start", SYSTEMD_BUS_USER, "nook-x.scope", list, 0);
        json_object *o = json_tokener_parse(text);
        assert_string_equal(json_object_get_string(json_object_object_get(o, "op")), "start");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "bus")), "user");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "unit")), "nook-x.scope");
        assert_int_equal(json_object_get_int(json_object_object_get(o, "timeout_ms")), SYSTEMD_TIMEOUT_MS);
        json_object *p = json_object_array_get_idx(json_object_object_get(o, "properties"), 0);
        assert_true(json_object_get_uint64(json_object_object_get(p, "value")) == UINT64_MAX);
        json_object_put(o);
        free(text);
        text = systemd_request_json("ping", SYSTEMD_BUS_SYSTEM, NULL, NULL, 1500);
        o = json_tokener_parse(text);
        assert_string_equal(json_object_get_string(json_object_object_get(o, "bus")), "system");
        assert_null(json_object_object_get(o, "unit"));
        assert_null(json_object_object_get(o, "properties"));
        assert_int_equal(json_object_get_int(json_object_object_get(o, "timeout_ms")), 1500);
        json_object_put(o);
        free(text);
        json_object_put(list);
}

/* ---- running the helper ---- */

static char dir[] = "/tmp/nook-test-systemd-XXXXXX";

/* A fake helper: a shell script with body. */
static char *script(const char *name, const char *body)
{
        char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\n%s\n", body);
        fclose(f);
        chmod(path, 0755);
        return path;
}

static void the_helper_gets_the_request_and_its_answer_is_parsed(void **state)
{
        (void)state;
        char *body = NULL;
        assert_true(asprintf(&body, "cat > %s/request; echo '{\"unit\": \"u.scope\"}'", dir) > 0);
        char *helper = script("answer", body);
        json_object *answer = NULL;
        nook_err err = NULL;
        assert_int_equal(systemd_run_helper(helper, "{\"op\":\"ping\"}", 1000, &answer, &err), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(answer, "unit")), "u.scope");
        json_object_put(answer);
        char *request_path = NULL, request[64] = "";
        assert_true(asprintf(&request_path, "%s/request", dir) > 0);
        FILE *f = fopen(request_path, "r");
        assert_non_null(fgets(request, sizeof(request), f));
        fclose(f);
        assert_string_equal(request, "{\"op\":\"ping\"}");
        free(request_path);
        free(helper);
        free(body);
}

static void the_helpers_error_line_is_reported_verbatim(void **state)
{
        (void)state;
        char *helper = script("fails", "echo 'start unit `u.scope` on the system bus `x`: boom' >&2; "
                                       "echo 'second line' >&2; exit 1");
        json_object *answer = NULL;
        nook_err err = NULL;
        int ret = systemd_run_helper(helper, "{}", 1000, &answer, &err);
        assert_true(ret < 0);
        assert_string_equal(err->msg, "start unit `u.scope` on the system bus `x`: boom");
        nook_error_free(&err);
        free(helper);
        /* 3: systemd never reached; 4: the unit is another's — each its own code. */
        helper = script("unreached", "echo 'no answer from the system bus' >&2; exit 3");
        assert_int_equal(systemd_run_helper(helper, "{}", 1000, &answer, &err), -ENOTCONN);
        assert_string_equal(err->msg, "no answer from the system bus");
        nook_error_free(&err);
        free(helper);
        helper = script("exists", "echo 'the unit already exists' >&2; exit 4");
        assert_int_equal(systemd_run_helper(helper, "{}", 1000, &answer, &err), -EEXIST);
        nook_error_free(&err);
        free(helper);
        helper = script("status", "echo 'odd' >&2; exit 5");
        assert_error(systemd_run_helper(helper, "{}", 1000, &answer, &err), &err, "status 5", "odd", helper, NULL);
        free(helper);
        helper = script("garbage", "echo not json");
        assert_error(systemd_run_helper(helper, "{}", 1000, &answer, &err), &err, "no JSON object", NULL);
        free(helper);
        assert_error(systemd_run_helper("/nonexistent/nook-systemd", "{}", 1000, &answer, &err), &err,
                     "`/nonexistent/nook-systemd`", NULL);
}

static void the_helper_gets_only_stdin_stdout_and_stderr(void **state)
{
        (void)state;
        int inherited = dup2(STDIN_FILENO, 50); /* as an engine's fd, without O_CLOEXEC */
        assert_int_equal(inherited, 50);
        char *helper = script("fds", "if [ -e /proc/$$/fd/50 ]; then echo 'fd 50 leaked' >&2; exit 1; fi; echo '{}'");
        json_object *answer = NULL;
        nook_err err = NULL;
        int ret = systemd_run_helper(helper, "{}", 1000, &answer, &err);
        close(inherited);
        if (ret < 0)
                fail_msg("%s", err->msg);
        json_object_put(answer);
        free(helper);
}

static void a_helper_that_hangs_is_killed_after_the_timeout(void **state)
{
        (void)state;
        char *helper = script("hangs", "exec sleep 30");
        json_object *answer = NULL;
        nook_err err = NULL;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int ret = systemd_run_helper(helper, "{}", 200, &answer, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        assert_int_equal(ret, -ETIMEDOUT);
        assert_error(ret, &err, "did not answer within", NULL);
        double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        assert_true(seconds < 3.0); /* 200 ms plus the second of grace */
        free(helper);
}

/* ---- the leaf, on this host's cgroup2 (root only) ---- */

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
        char *text = NULL;
        size_t cap = 0;
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        if (getline(&text, &cap, f) < 0)
                text[0] = '\0';
        fclose(f);
        text[strcspn(text, "\n")] = '\0';
        return text;
}

/* What the leaf test made, removed by its teardown even when the test fails. */
static struct {
        pid_t child;
        char top[256];
} leaf_test = { .child = -1 };

static int remove_leaf_test(void **state)
{
        (void)state;
        if (leaf_test.child > 0) {
                kill(leaf_test.child, SIGKILL);
                waitpid(leaf_test.child, NULL, 0);
        }
        char path[400];
        snprintf(path, sizeof(path), "%s/nook-x.scope/container", leaf_test.top);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/nook-x.scope", leaf_test.top);
        rmdir(path);
        if (leaf_test.top[0] != '\0')
                rmdir(leaf_test.top);
        return 0;
}

static void the_process_moves_to_the_leaf_and_the_controllers_follow(void **state)
{
        (void)state;
        const char *mount = "/sys/fs/cgroup";
        struct statfs st;
        if (statfs(mount, &st) < 0 || st.f_type != 0x63677270) /* CGROUP2_SUPER_MAGIC */
                mount = "/sys/fs/cgroup/unified";
        if (geteuid() != 0 || statfs(mount, &st) < 0 || st.f_type != 0x63677270)
                skip(); /* needs root and a cgroup2 hierarchy */
        char *top = NULL, *unit = NULL, *procs = NULL, *path = NULL;
        assert_true(asprintf(&top, "%s/nook-test-leaf-%d", mount, (int)getpid()) > 0);
        assert_true(asprintf(&unit, "%s/nook-x.scope", top) > 0);
        if (mkdir(top, 0755) < 0)
                skip(); /* this cgroup2 is not writable here */
        snprintf(leaf_test.top, sizeof(leaf_test.top), "%s", top);
        /* The unit gets controllers to hand down, as systemd's slices give a delegated unit. */
        assert_true(asprintf(&path, "%s/cgroup.controllers", top) > 0);
        char *top_controllers = read_text(path);
        free(path);
        assert_true(asprintf(&path, "%s/cgroup.subtree_control", top) > 0);
        for (char *save = NULL, *c = strtok_r(top_controllers, " ", &save); c != NULL; c = strtok_r(NULL, " ", &save)) {
                char request[64];
                snprintf(request, sizeof(request), "+%s", c);
                write_text(path, request);
        }
        free(path);
        path = NULL;
        free(top_controllers);
        assert_int_equal(mkdir(unit, 0755), 0);
        /* As systemd leaves it: the unit's first process in the unit's own directory. */
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                pause();
                _exit(0);
        }
        leaf_test.child = child;
        char pid_text[32];
        snprintf(pid_text, sizeof(pid_text), "%d", (int)child);
        assert_true(asprintf(&procs, "%s/cgroup.procs", unit) > 0);
        write_text(procs, pid_text);

        struct cgroup_hierarchy h = { .controllers = (char *)"", .mount = (char *)mount, .v2 = true };
        assert_true(asprintf(&h.path, "%s/container", unit) > 0);
        struct cgroup cg = { .mode = CGROUP_MODE_V2, .hierarchies = &h, .n_hierarchies = 1, .v2_fd = -1 };
        nook_err err = NULL;
        int ret = systemd_enter_leaf(&cg, child, &err);
        if (ret < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(h.created, 1);
        assert_true(cg.v2_fd >= 0);
        /* The process is in the leaf; the unit holds none and hands its controllers down. */
        assert_true(asprintf(&path, "/proc/%d/cgroup", (int)child) > 0);
        char line[4200] = "", *cgroup_text = NULL;
        FILE *f = fopen(path, "r");
        while (fgets(line, sizeof(line), f) != NULL)
                if (strncmp(line, "0::", 3) == 0)
                        cgroup_text = strdup(line);
        fclose(f);
        assert_non_null(cgroup_text);
        assert_non_null(strstr(cgroup_text, "/nook-x.scope/container\n"));
        char *unit_procs = read_text(procs);
        assert_string_equal(unit_procs, "");
        free(path);
        assert_true(asprintf(&path, "%s/cgroup.controllers", unit) > 0);
        char *available = read_text(path);
        free(path);
        assert_true(asprintf(&path, "%s/cgroup.subtree_control", unit) > 0);
        char *enabled = read_text(path);
        assert_string_equal(enabled, available);
        if (available[0] == '\0')
                fprintf(stderr, "note: no cgroup2 controller here: only the move was checked\n");
        /* A leaf that is already there is not nook's. */
        close(cg.v2_fd);
        cg.v2_fd = -1;
        assert_error(systemd_enter_leaf(&cg, child, &err), &err, "create cgroup", "container", NULL);

        free(cgroup_text);
        free(unit_procs);
        free(available);
        free(enabled);
        free(h.path);
        free(path);
        free(procs);
        free(unit);
        free(top);
}

static int make_dir(void **state)
{
        (void)state;
        return mkdtemp(dir) != NULL ? 0 : -1;
}

static int remove_dir(void **state)
{
        (void)state;
        char *cmd = NULL;
        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        free(cmd);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cgroups_path_is_read_as_runc_reads_it),
                cmocka_unit_test(empty_cgroups_path_gets_the_documented_default),
                cmocka_unit_test(bad_cgroups_paths_are_refused_naming_the_field),
                cmocka_unit_test(slices_expand_level_by_level),
                cmocka_unit_test(unit_cgroup_is_below_the_managers_own),
                cmocka_unit_test(the_container_lives_in_a_leaf_of_the_unit),
                cmocka_unit_test(only_the_unified_hierarchy_is_driven),
                cmocka_unit_test(a_scope_gets_the_fixed_properties),
                cmocka_unit_test(a_slice_wants_its_parent_and_holds_no_pids),
                cmocka_unit_test(resources_become_the_properties_systemd_knows),
                cmocka_unit_test(unlimited_values_are_infinity),
                cmocka_unit_test(only_the_fields_given_become_properties),
                cmocka_unit_test(cpu_quota_rounds_up_to_whole_percents),
                cmocka_unit_test(bad_resources_are_refused_naming_the_field),
                cmocka_unit_test(cpusets_become_byte_masks),
                cmocka_unit_test(gvariant_values_become_typed_values),
                cmocka_unit_test(bad_gvariant_values_are_refused_naming_them),
                cmocka_unit_test(annotations_become_properties),
                cmocka_unit_test(seconds_become_microseconds_as_runc_does),
                cmocka_unit_test(bad_annotations_are_refused_naming_them),
                cmocka_unit_test(annotations_replace_nooks_own_defaults),
                cmocka_unit_test(requests_carry_op_bus_unit_timeout_and_properties),
                cmocka_unit_test(the_helper_gets_the_request_and_its_answer_is_parsed),
                cmocka_unit_test(the_helpers_error_line_is_reported_verbatim),
                cmocka_unit_test(the_helper_gets_only_stdin_stdout_and_stderr),
                cmocka_unit_test(a_helper_that_hangs_is_killed_after_the_timeout),
                cmocka_unit_test_teardown(the_process_moves_to_the_leaf_and_the_controllers_follow, remove_leaf_test),
        };
        return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
