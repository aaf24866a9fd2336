/* Every input `make fuzz` found crashing or leaking in the config parser,
 * replayed so that the bug stays fixed. Built with AddressSanitizer (see the
 * Makefile), whose leak check runs at exit; each input also ends right before
 * an unmapped page, so that reading past it faults even without ASan. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/seccomp.h"
#include "spec/spec.h"

/* Parses (and compiles the seccomp profile of) len bytes that end at a guard page. */
static void parse_guarded(const char *bytes, size_t len)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t span = (len + page - 1) / page * page + page;
        char *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(base != MAP_FAILED);
        assert_int_equal(mprotect(base + span - page, page, PROT_NONE), 0);
        char *text = base + span - page - len;
        memcpy(text, bytes, len);
        struct spec *spec = NULL;
        nook_err err = NULL;
        if (spec_parse(text, len, &spec, &err) == 0) {
                if (spec->linux != NULL && spec->linux->seccomp != NULL) {
                        struct seccomp_program p;
                        if (seccomp_compile(spec->linux->seccomp, &p, &err) == 0)
                                seccomp_program_free(&p);
                }
                spec_free(spec);
        }
        nook_error_free(&err);
        munmap(base, span);
}

/* libseccomp 2.5.4 leaks on its own (see tests/fuzz/lsan.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
        return "leak:libseccomp.so\n";
}

#define GUARDED(literal) parse_guarded(literal, sizeof(literal) - 1)

/* A complete document that is not NUL-terminated: the check for trailing
 * garbage ran strspn past the end of the buffer. */
static void document_without_a_terminating_nul(void **state)
{
        (void)state;
        GUARDED("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"x\"]}}");
        GUARDED("{}");
        GUARDED("{} \n");
}

/* A capability set whose second item is not a string: the names read so far leaked. */
static void capability_set_with_a_bad_item(void **state)
{
        (void)state;
        GUARDED("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"x\"],"
                "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",5]}}}");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(document_without_a_terminating_nul),
                cmocka_unit_test(capability_set_with_a_bad_item),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
