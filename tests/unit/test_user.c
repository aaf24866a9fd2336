/* user_home_in_root: a container's /etc/passwd read by lines, inside its root,
 * with a size cap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/error.h"
#include "util/user.h"
#include "scratch.h"

struct root {
        char path[64];
        char etc[80];
        char passwd[96];
        int fd;
};

static int setup(void **state)
{
        struct root *r = calloc(1, sizeof(*r));
        if (r == NULL)
                return -1;
        *state = r;
        strcpy(r->path, "/tmp/nook-unit-user-XXXXXX");
        if (scratch_make(r->path, &r->fd) < 0)
                return -1;
        snprintf(r->etc, sizeof(r->etc), "%s/etc", r->path);
        snprintf(r->passwd, sizeof(r->passwd), "%s/passwd", r->etc);
        return mkdir(r->etc, 0755);
}

static int teardown(void **state)
{
        struct root *r = *state;
        int ret = scratch_remove(r->path, r->fd);
        free(r);
        return ret;
}

static void write_passwd(struct root *r, const char *text)
{
        FILE *f = fopen(r->passwd, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* The home of uid, or "(none)". */
static const char *home(struct root *r, uid_t uid)
{
        static char out[256];
        char *h = NULL;
        nook_err err = NULL;
        if (user_home_in_root(r->fd, uid, &h, &err) < 0)
                fail_msg("unexpected error: %s", err->msg);
        snprintf(out, sizeof(out), "%s", h != NULL ? h : "(none)");
        free(h);
        return out;
}

static void home_is_the_sixth_field_of_the_first_entry_of_the_uid(void **state)
{
        struct root *r = *state;
        write_passwd(r, "root:x:0:0:root:/root:/bin/sh\n# a comment\nbroken line\napp:x:1000:1000::/home/app:/bin/sh\n"
                        "again:x:1000:1000::/second:/bin/sh\nnohome:x:7:7:::/bin/sh\nlast:x:9:9::/no-newline:/bin/sh");
        assert_string_equal(home(r, 0), "/root");
        assert_string_equal(home(r, 1000), "/home/app");
        assert_string_equal(home(r, 7), "(none)");
        assert_string_equal(home(r, 9), "/no-newline");
        assert_string_equal(home(r, 4242), "(none)");
}

static void a_missing_file_gives_no_home(void **state)
{
        assert_string_equal(home(*state, 0), "(none)");
}

static void lines_longer_than_the_buffer_are_skipped_whole(void **state)
{
        struct root *r = *state;
        /* A 10 000-byte line whose tail would parse as uid 5's entry if read alone. */
        char *text = malloc(20000);
        assert_non_null(text);
        memset(text, 'a', 10000);
        strcpy(text + 10000, "x:x:5:5::/tail:/bin/sh\nfive:x:5:5::/five:/bin/sh\n");
        write_passwd(r, text);
        free(text);
        assert_string_equal(home(r, 5), "/five");
}

static void symlinks_resolve_inside_the_root(void **state)
{
        struct root *r = *state;
        /* "/etc/real" inside the root, not the host's /etc. */
        char real[128];
        snprintf(real, sizeof(real), "%s/real", r->etc);
        FILE *f = fopen(real, "w");
        assert_non_null(f);
        fputs("root:x:0:0::/inside:/bin/sh\n", f);
        fclose(f);
        assert_int_equal(symlink("/../../../etc/real", r->passwd), 0);
        assert_string_equal(home(r, 0), "/inside");
}

static void a_file_above_the_cap_or_not_regular_is_an_error(void **state)
{
        struct root *r = *state;
        nook_err err = NULL;
        char *h = NULL;
        int fd = open(r->passwd, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, USER_PASSWD_MAX + 1), 0); /* sparse: no line ever matches */
        close(fd);
        assert_int_equal(user_home_in_root(r->fd, 0, &h, &err), -EFBIG);
        assert_non_null(strstr(err->msg, "larger than 16 MiB"));
        nook_error_free(&err);
        unlink(r->passwd);
        assert_int_equal(mkfifo(r->passwd, 0644), 0);
        assert_int_equal(user_home_in_root(r->fd, 0, &h, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "not a regular file"));
        nook_error_free(&err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(home_is_the_sixth_field_of_the_first_entry_of_the_uid, setup, teardown),
                cmocka_unit_test_setup_teardown(a_missing_file_gives_no_home, setup, teardown),
                cmocka_unit_test_setup_teardown(lines_longer_than_the_buffer_are_skipped_whole, setup, teardown),
                cmocka_unit_test_setup_teardown(symlinks_resolve_inside_the_root, setup, teardown),
                cmocka_unit_test_setup_teardown(a_file_above_the_cap_or_not_regular_is_an_error, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
