/* What every part of nook-systemd shares: the one error line it reports, the
 * bus's name in messages, the time left before the deadline. A leaf below
 * main.c, bus.c, ops.c and properties.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "helper.h"

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void helper_set_deadline(struct helper *h)
{
        h->deadline = now_usec() + h->timeout_ms * 1000;
}

uint64_t helper_remaining(const struct helper *h)
{
        uint64_t now = now_usec();
        return h->deadline > now ? h->deadline - now : 1;
}

int helper_fail(struct helper *h, int code, const char *fmt, ...)
{
        if (h->error == NULL) {
                va_list ap;
                va_start(ap, fmt);
                if (vasprintf(&h->error, fmt, ap) < 0)
                        h->error = NULL;
                va_end(ap);
        }
        return code > 0 ? -code : -EIO;
}

void helper_clear_error(struct helper *h)
{
        free(h->error);
        h->error = NULL;
}

const char *helper_bus_name(struct helper *h)
{
        static char name[4200];
        snprintf(name, sizeof(name), "the %s %s `%s`", h->bus_kind, h->direct ? "manager's private socket" : "bus",
                 h->address != NULL ? h->address : "");
        return name;
}
