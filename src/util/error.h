/* One way to fail: a function returns 0 or a negative errno-like value and
 * fills an error object saying what was being done, on what, and why. */
#ifndef NOOK_UTIL_ERROR_H
#define NOOK_UTIL_ERROR_H

#include <stdarg.h>

struct nook_error {
        int code;  /* errno value, or 0 when the cause is not a system error */
        char *msg; /* owned, complete message: "mount `/proc`: operation not permitted" */
};

typedef struct nook_error *nook_err;

/* Sets *err to fmt plus ": " and code's description as runc writes it ("no such file or
 * directory") when code != 0; returns -code, or -EINVAL for code 0. */
int nook_error(nook_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Same as nook_error with code = errno. */
int nook_error_errno(nook_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets *err from a message that already holds its cause (e.g. one received from the container). */
int nook_error_raw(nook_err *err, int code, const char *msg);

/* Prefixes the message of *err with fmt and ": "; returns the error's negative code. */
int nook_error_wrap(nook_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees *err and sets it to NULL. */
void nook_error_free(nook_err *err);

/* The negative return value matching an error object. */
int nook_error_ret(const struct nook_error *err);

#endif
