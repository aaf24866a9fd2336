/* nook-systemd: the D-Bus client of nook's systemd cgroup driver, a small
 * dynamically linked program (sd-bus, json-c) that nook runs only on the
 * systemd path, so that nook itself stays static.
 *
 * Protocol: one JSON request on stdin, one JSON answer on stdout, exit 0; or
 * exit 1 (the operation failed), 3 (it never reached the manager: the bus could not
 * be connected to or authenticated with), 4 (start: the unit exists already — not
 * ours to stop) or 2 (a bad request), with one error line on
 * stderr naming the unit and the bus, which nook reports verbatim.
 *
 *   {"op": "start" | "set-properties" | "stop" | "ping",
 *    "bus": "system" | "user", "unit": "nook-x.scope", "timeout_ms": 5000,
 *    "properties": [{"name": "Slice", "type": "s", "value": "system.slice"},
 *                   {"name": "AllowedCPUs", "type": "ay", "value": [3], "since": 244}, …]}
 *
 * Types: s b t x u i d as au ay. A property with "since" is sent only to a
 * manager whose Version is at least that. */
#ifndef NOOK_SYSTEMD_HELPER_H
#define NOOK_SYSTEMD_HELPER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#define HELPER_DEFAULT_TIMEOUT_MS 5000

/* One connection to a manager and what is needed to report on it. */
struct helper {
        sd_bus *bus;
        const char *bus_kind; /* "system" or "user" */
        char *address;        /* "unix:path=/run/dbus/system_bus_socket" */
        bool direct;          /* a peer-to-peer connection (/run/systemd/private): no bus driver */
        uint64_t deadline;    /* CLOCK_MONOTONIC µs by which the whole operation must be done */
        uint64_t timeout_ms;
        const char *unit;
        char *error; /* the one line reported on failure */
        int manager_version; /* -1: not read yet */
        /* JobRemoved signals seen so far: job object path → result. */
        struct {
                char *job;
                char *result;
        } *jobs;
        size_t n_jobs;
};

/* ---- helper.c ---- */

/* Sets h->error (once: the first, most precise message wins) and returns -code (-EIO for 0). */
int helper_fail(struct helper *h, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Forgets the error recorded so far (an expected one). */
void helper_clear_error(struct helper *h);

/* "the system bus `unix:path=…`", for messages. */
const char *helper_bus_name(struct helper *h);

/* Starts the clock: the deadline is timeout_ms from now. */
void helper_set_deadline(struct helper *h);

/* Microseconds left before the deadline (at least 1). */
uint64_t helper_remaining(const struct helper *h);

/* ---- bus.c ---- */

/* Picks the address for h->bus_kind (see bus.c), connects, authenticates
 * (AUTH EXTERNAL: the uid comes from the socket's peer credentials) and
 * waits until the bus is ready, all before the deadline. */
int helper_connect(struct helper *h);

/* A method call with the time left before the deadline; errors name the
 * member, the unit, the bus and the D-Bus error. *error_name (when not NULL)
 * receives the D-Bus error name, so that a caller can tell an expected error
 * apart (and drop the message with helper_clear_error). */
int helper_call(struct helper *h, sd_bus_message *m, sd_bus_message **reply, char **error_name);

/* A new method call message to org.freedesktop.systemd1.Manager. */
int helper_new_call(struct helper *h, const char *member, sd_bus_message **m);

/* A string property (org.freedesktop.DBus.Properties.Get) of an object of systemd's. */
int helper_string_property(struct helper *h, const char *object, const char *interface, const char *property,
                           char **out);

/* A string property of the manager ("Version", "ControlGroup"). */
int helper_manager_property(struct helper *h, const char *property, char **out);

/* ---- properties.c ---- */

/* Appends the request's properties as a(sv) to m, leaving out those whose
 * "since" is above the manager's version (read once when one is present). */
int helper_append_properties(struct helper *h, sd_bus_message *m, json_object *properties);

/* ---- ops.c ---- */

int helper_start(struct helper *h, json_object *properties, json_object *answer);
int helper_set_properties(struct helper *h, json_object *properties, json_object *answer);
int helper_stop(struct helper *h, json_object *answer);
int helper_ping(struct helper *h, json_object *answer);

#endif
