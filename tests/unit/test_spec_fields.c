/* Config fields checked before clone: the scheduler's SCHED_DEADLINE rules, sysctls
 * that conflict with a field, and every error naming what is wrong. */
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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(deadline_scheduler_rules_are_checked_before_clone),
                cmocka_unit_test(hostname_sysctls_beside_their_fields_are_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
