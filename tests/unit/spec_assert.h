/* Parse-and-check helpers the config tests share (include after cmocka.h). */
#ifndef NOOK_TESTS_SPEC_ASSERT_H
#define NOOK_TESTS_SPEC_ASSERT_H

#include <string.h>

#include "spec/spec.h"

#define MINIMAL_HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]"

static inline struct spec *parse_ok(const char *json)
{
        struct spec *spec = NULL;
        nook_err err = NULL;
        int ret = spec_parse(json, strlen(json), &spec, &err);
        if (ret < 0)
                fail_msg("unexpected error: %s", err->msg);
        return spec;
}

/* Parses json, expects a failure, and checks the message contains `expected`. */
static inline void parse_fails_with(const char *json, const char *expected)
{
        struct spec *spec = NULL;
        nook_err err = NULL;
        int ret = spec_parse(json, strlen(json), &spec, &err);
        if (ret == 0)
                fail_msg("parsed, but expected an error with \"%s\"", expected);
        if (strstr(err->msg, expected) == NULL)
                fail_msg("error \"%s\" does not contain \"%s\"", err->msg, expected);
        nook_error_free(&err);
}

#endif
