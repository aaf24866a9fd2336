#define _GNU_SOURCE
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nook_error_ret(const struct nook_error *err)
{
        return err->code > 0 ? -err->code : -EINVAL;
}

static int set_message(nook_err *err, int code, char *msg)
{
        if (err == NULL) {
                free(msg);
                return code > 0 ? -code : -EINVAL;
        }
        nook_error_free(err);
        struct nook_error *e = malloc(sizeof(*e));
        if (e == NULL) {
                free(msg);
                return -ENOMEM;
        }
        e->code = code;
        e->msg = msg != NULL ? msg : strdup("out of memory");
        *err = e;
        return nook_error_ret(e);
}

/* strerror() as runc (Go) writes it, which engines match case-sensitively
 * ("no such file or directory" → docker's 127): the first word lower case,
 * unless it is an acronym ("RFS specific error"). */
static char *errno_description(int code)
{
        char *text = strdup(strerror(code));
        if (text != NULL && isupper((unsigned char)text[0]) && !isupper((unsigned char)text[1]))
                text[0] = (char)tolower((unsigned char)text[0]);
        return text;
}

static int verror(nook_err *err, int code, const char *fmt, va_list ap)
{
        char *what = NULL, *msg = NULL;
        if (vasprintf(&what, fmt, ap) < 0)
                return set_message(err, ENOMEM, NULL);
        if (code > 0) {
                char *why = errno_description(code);
                if (why == NULL || asprintf(&msg, "%s: %s", what, why) < 0)
                        msg = NULL;
                free(why);
                free(what);
        } else {
                msg = what;
        }
        return set_message(err, code, msg);
}

int nook_error(nook_err *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int ret = verror(err, code, fmt, ap);
        va_end(ap);
        return ret;
}

int nook_error_errno(nook_err *err, const char *fmt, ...)
{
        int code = errno;
        va_list ap;
        va_start(ap, fmt);
        int ret = verror(err, code, fmt, ap);
        va_end(ap);
        return ret;
}

int nook_error_raw(nook_err *err, int code, const char *msg)
{
        return set_message(err, code, strdup(msg));
}

int nook_error_wrap(nook_err *err, const char *fmt, ...)
{
        if (err == NULL || *err == NULL)
                return -EINVAL;
        char *prefix = NULL, *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&prefix, fmt, ap);
        va_end(ap);
        if (n >= 0 && asprintf(&msg, "%s: %s", prefix, (*err)->msg) >= 0) {
                free((*err)->msg);
                (*err)->msg = msg;
        }
        free(prefix);
        return nook_error_ret(*err);
}

void nook_error_free(nook_err *err)
{
        if (err == NULL || *err == NULL)
                return;
        free((*err)->msg);
        free(*err);
        *err = NULL;
}
