/* Config fields checked before clone: the scheduler's SCHED_DEADLINE rules, sysctls
 * that conflict with a field, linux.memoryPolicy, process.execCPUAffinity,
 * linux.netDevices and linux.intelRdt; every error names what is wrong. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/spec.h"
#include "spec_assert.h"

#define UTS "\"linux\":{\"namespaces\":[{\"type\":\"uts\"}],"

static void parse_fine(const char *json)
{
        spec_free(parse_ok(json));
}

static void deadline_scheduler_rules_are_checked_before_clone(void **state)
{
        (void)state;
        /* runtime <= deadline <= period, and a period of 0 means the deadline. */
        parse_fine(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000,\"deadline\":20000,"
                                "\"period\":30000}}}");
        parse_fine(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":20000,\"deadline\":20000}}}");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"deadline\":20000}}}",
                         "process.scheduler.runtime: must be at least 1024 (ns) with SCHED_DEADLINE, got 0");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":100}}}",
                         "process.scheduler.runtime: must be at least 1024");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000}}}",
                         "process.scheduler.deadline: required with SCHED_DEADLINE");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":30000,"
                                      "\"deadline\":20000,\"period\":40000}}}",
                         "process.scheduler.deadline: must not be less than the runtime (20000 < 30000)");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000,"
                                      "\"deadline\":20000,\"period\":15000}}}",
                         "process.scheduler.period: must not be less than the deadline (15000 < 20000)");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000,"
                                      "\"deadline\":9223372036854775808}}}",
                         "process.scheduler.deadline: out of range");
        parse_fails_with(MINIMAL_HEAD ",\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":1,\"runtime\":10000}}}",
                         "process.scheduler: runtime, deadline and period are for SCHED_DEADLINE only");
}

static void hostname_sysctls_beside_their_fields_are_refused(void **state)
{
        (void)state;
        parse_fails_with(MINIMAL_HEAD "},\"hostname\":\"h\"," UTS "\"sysctl\":{\"kernel.hostname\":\"other\"}}}",
                         "linux.sysctl: \"kernel.hostname\" conflicts with the \"hostname\" field: give one of them");
        parse_fails_with(MINIMAL_HEAD "},\"domainname\":\"d\"," UTS "\"sysctl\":{\"kernel.domainname\":\"e\"}}}",
                         "linux.sysctl: \"kernel.domainname\" conflicts with the \"domainname\" field");
        /* Alone, each is fine (its own uts namespace). */
        parse_fine(MINIMAL_HEAD "}," UTS "\"sysctl\":{\"kernel.hostname\":\"h\",\"kernel.domainname\":\"d\"}}}");
        parse_fine(MINIMAL_HEAD "},\"hostname\":\"h\"," UTS "\"sysctl\":{\"kernel.domainname\":\"d\"}}}");
}

#define LINUX_NET "\"linux\":{\"namespaces\":[{\"type\":\"network\"}],"

static void memory_policy_modes_flags_and_nodes_are_checked(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\","
                                                  "\"nodes\":\"0-2,5\",\"flags\":[\"MPOL_F_STATIC_NODES\"]}}}");
        const struct spec_memory_policy *m = spec->linux->memory_policy;
        assert_int_equal(m->mode, 3);
        assert_int_equal(m->flags, 1 << 15);
        assert_int_equal(m->nodes.nbits, 6);
        assert_int_equal(m->nodes.bits[0], 0x27);
        spec_free(spec);
        parse_fine(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\"}}}");
        parse_fine(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_PREFERRED\"}}}");
        parse_fine(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\","
                                "\"flags\":[\"MPOL_F_NUMA_BALANCING\"]}}}");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"nodes\":\"0\"}}}",
                         "linux.memoryPolicy.mode: required");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_NONSENSE\"}}}",
                         "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_NONSENSE\"");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}}}",
                         "linux.memoryPolicy.nodes: required with MPOL_BIND");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_WEIGHTED_INTERLEAVE\","
                                      "\"nodes\":\" , \"}}}",
                         "linux.memoryPolicy.nodes: \" , \": no id in the list");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_DEFAULT\",\"nodes\":\"1\"}}}",
                         "linux.memoryPolicy.nodes: must be empty with MPOL_DEFAULT");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\","
                                      "\"flags\":[\"MPOL_F_RELATIVE_NODES\"]}}}",
                         "linux.memoryPolicy.flags: MPOL_LOCAL takes no node flags");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\","
                                      "\"flags\":[\"MPOL_F_RELATIVE_NODES\",\"MPOL_F_STATIC_NODES\"]}}}",
                         "exclude each other");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0\","
                                      "\"flags\":[\"MPOL_F_NUMA_BALANCING\"]}}}",
                         "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\","
                                      "\"flags\":[\"MPOL_F_WHATEVER\"]}}}",
                         "linux.memoryPolicy.flags[0]: unknown memory policy flag \"MPOL_F_WHATEVER\"");
}

static void exec_cpu_affinity_lists_are_parsed(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD ",\"execCPUAffinity\":{\"initial\":\" 7 \",\"final\":\"0-3,7\"}}}");
        const struct spec_process *p = spec->process;
        assert_int_equal(p->exec_cpu_affinity_initial.nbits, 8);
        assert_int_equal(p->exec_cpu_affinity_initial.bits[0], 0x80);
        assert_int_equal(p->exec_cpu_affinity_final.bits[0], 0x8f);
        spec_free(spec);
        spec = parse_ok(MINIMAL_HEAD ",\"execCPUAffinity\":{\"initial\":\"\"}}}");
        assert_null(spec->process->exec_cpu_affinity_initial.bits);
        spec_free(spec);
        parse_fails_with(MINIMAL_HEAD ",\"execCPUAffinity\":{\"final\":\"3-1\"}}}",
                         "process.execCPUAffinity.final: \"3-1\": invalid range 3-1");
        parse_fails_with(MINIMAL_HEAD ",\"execCPUAffinity\":{\"initial\":\"0,x\"}}}",
                         "process.execCPUAffinity.initial: \"0,x\": expected an id");
        parse_fails_with(MINIMAL_HEAD ",\"execCPUAffinity\":{\"initial\":\"99999999\"}}}", "at most 65536");
}

static void net_devices_are_named_validly_and_need_a_network_namespace(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD "}," LINUX_NET "\"netDevices\":{\"eth0\":{\"name\":\"c0\"},"
                                                  "\"dummy1\":{}}}}");
        assert_int_equal(spec->linux->net_devices.len, 2);
        assert_string_equal(spec->linux->net_devices.items[0].host_name, "eth0");
        assert_string_equal(spec_net_device_name(&spec->linux->net_devices.items[0]), "c0");
        assert_string_equal(spec_net_device_name(&spec->linux->net_devices.items[1]), "dummy1");
        spec_free(spec);
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"netDevices\":{\"eth0\":{}}}}",
                         "linux.netDevices: need a network namespace of the container's own");
        parse_fails_with(MINIMAL_HEAD "}," LINUX_NET "\"netDevices\":{\"eth0\":{\"name\":\"a/b\"}}}}",
                         "linux.netDevices.eth0.name: \"a/b\" is not a valid interface name");
        parse_fails_with(MINIMAL_HEAD "}," LINUX_NET "\"netDevices\":{\"averyveryverylongname\":{}}}}",
                         "linux.netDevices.averyveryverylongname: \"averyveryverylongname\" is not a valid");
        parse_fails_with(MINIMAL_HEAD "}," LINUX_NET "\"netDevices\":{\"a\":{\"name\":\"c\"},\"b\":{\"name\":\"c\"}}}}",
                         "linux.netDevices: \"a\" and \"b\" would both be \"c\"");
        parse_fails_with(MINIMAL_HEAD "}," LINUX_NET "\"netDevices\":{\"a\":null}}}", "expected an object, got null");
        /* A kernel template may repeat: each gets its own number. */
        parse_fine(MINIMAL_HEAD "}," LINUX_NET "\"netDevices\":{\"a\":{\"name\":\"c%d\"},\"b\":{\"name\":\"c%d\"}}}}");
}

static void intel_rdt_values_are_checked(void **state)
{
        (void)state;
        struct spec *spec = parse_ok(MINIMAL_HEAD "},\"linux\":{\"intelRdt\":{\"closID\":\"gold\","
                                                  "\"l3CacheSchema\":\"L3:0=ff\",\"memBwSchema\":\"MB:0=50\","
                                                  "\"schemata\":[\"L2:0=f\"],\"enableMonitoring\":true}}}");
        const struct spec_intel_rdt *r = spec->linux->intel_rdt;
        assert_string_equal(r->clos_id, "gold");
        assert_string_equal(r->schemata.items[0], "L2:0=f");
        assert_true(r->enable_monitoring);
        spec_free(spec);
        parse_fine(MINIMAL_HEAD "},\"linux\":{\"intelRdt\":{\"closID\":\"/\"}}}");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"intelRdt\":{\"closID\":\"../x\"}}}",
                         "linux.intelRdt.closID: \"../x\" is not a resctrl group name");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"intelRdt\":{\"memBwSchema\":\"L3:0=1\"}}}",
                         "linux.intelRdt.memBwSchema: must be one line starting with \"MB:\"");
        parse_fails_with(MINIMAL_HEAD "},\"linux\":{\"intelRdt\":{\"schemata\":[\"L3:0=1\\nMB:0=2\"]}}}",
                         "linux.intelRdt: schemata[0]: must be one line");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(deadline_scheduler_rules_are_checked_before_clone),
                cmocka_unit_test(hostname_sysctls_beside_their_fields_are_refused),
                cmocka_unit_test(memory_policy_modes_flags_and_nodes_are_checked),
                cmocka_unit_test(exec_cpu_affinity_lists_are_parsed),
                cmocka_unit_test(net_devices_are_named_validly_and_need_a_network_namespace),
                cmocka_unit_test(intel_rdt_values_are_checked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
