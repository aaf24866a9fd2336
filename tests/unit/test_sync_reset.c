/* The parent's side of the sync socket: an error the container process sent just
 * before it exited is read, even when it exited with a message of the parent's
 * unread (the kernel then reports a reset first). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/sync.h"
#include "util/error.h"

static void error_sent_before_a_reset_is_read(void **state)
{
        (void)state;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        nook_err err = NULL;
        /* nook's ENVIRONMENT, which the failing child never reads. */
        assert_int_equal(sync_send(sv[0], SYNC_ENVIRONMENT, 0, &err), 0);
        nook_err child_err = NULL;
        nook_error(&child_err, EPERM, "process.rlimits[0]: set RLIMIT_NOFILE");
        sync_send_error(sv[1], child_err);
        nook_error_free(&child_err);
        close(sv[1]);
        struct sync_in in;
        assert_int_equal(sync_expect(sv[0], SYNC_READY, "the container process", &in, &err), -EPERM);
        assert_non_null(strstr(err->msg, "RLIMIT_NOFILE"));
        nook_error_free(&err);
        close(sv[0]);
}

static void a_reset_with_nothing_sent_is_an_exit(void **state)
{
        (void)state;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        nook_err err = NULL;
        assert_int_equal(sync_send(sv[0], SYNC_ENVIRONMENT, 0, &err), 0);
        close(sv[1]);
        struct sync_in in;
        assert_int_equal(sync_expect(sv[0], SYNC_READY, "the container process", &in, &err), -EPIPE);
        assert_non_null(strstr(err->msg, "exited during set-up"));
        nook_error_free(&err);
        close(sv[0]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(error_sent_before_a_reset_is_read),
                cmocka_unit_test(a_reset_with_nothing_sent_is_an_exit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
