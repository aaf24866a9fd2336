/* Which bus, connecting to it within the deadline, and method calls on the
 * manager with one-line errors.
 *
 * system: $DBUS_SYSTEM_BUS_ADDRESS, else the system bus socket, else (no bus
 * daemon) systemd's own /run/systemd/private, a direct connection.
 * user: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus (as sd_bus_open_user).
 *
 * sd-bus (systemd 252) authenticates with "AUTH EXTERNAL" and empty data: the
 * server takes the uid from the socket's peer credentials, so a client that
 * is uid 0 inside a user namespace is seen as the user who owns that
 * namespace — what rootless podman needs (a client that sent its own uid, 0,
 * would be refused by the user's bus). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"
#define SYSTEMD_PRIVATE_SOCKET "/run/systemd/private"

/* "unix:path=" plus path with the bytes a D-Bus address may not hold as is %-escaped. */
static char *unix_address(const char *path)
{
        static const char plain[] = "-_/.\\*";
        size_t len = strlen(path);
        char *out = malloc(strlen("unix:path=") + len * 3 + 1);
        if (out == NULL)
                return NULL;
        char *w = stpcpy(out, "unix:path=");
        for (const char *p = path; *p != '\0'; p++) {
                unsigned char c = (unsigned char)*p;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(plain, c))
                        *w++ = (char)c;
                else
                        w += sprintf(w, "%%%02x", c);
        }
        *w = '\0';
        return out;
}

static int pick_address(struct helper *h)
{
        bool system = strcmp(h->bus_kind, "system") == 0;
        const char *env = getenv(system ? "DBUS_SYSTEM_BUS_ADDRESS" : "DBUS_SESSION_BUS_ADDRESS");
        if (env != NULL && env[0] != '\0') {
                h->address = strdup(env);
                return h->address != NULL ? 0 : -ENOMEM;
        }
        if (system) {
                struct stat st;
                if (lstat(SYSTEM_BUS_SOCKET, &st) == 0 || lstat(SYSTEMD_PRIVATE_SOCKET, &st) < 0) {
                        h->address = unix_address(SYSTEM_BUS_SOCKET);
                } else {
                        /* No bus daemon: talk to systemd directly, as systemctl does. */
                        h->address = unix_address(SYSTEMD_PRIVATE_SOCKET);
                        h->direct = true;
                }
                return h->address != NULL ? 0 : -ENOMEM;
        }
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        if (runtime == NULL || runtime[0] == '\0') {
                h->address = strdup("");
                return helper_fail(h, ENOMEDIUM,
                                   "no user bus: neither $DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR is set "
                                   "(the user manager's bus is $XDG_RUNTIME_DIR/bus)");
        }
        char *path = NULL;
        if (asprintf(&path, "%s/bus", runtime) < 0)
                return -ENOMEM;
        h->address = unix_address(path);
        free(path);
        return h->address != NULL ? 0 : -ENOMEM;
}

int helper_connect(struct helper *h)
{
        int r = pick_address(h);
        if (r < 0)
                return h->error != NULL ? r : helper_fail(h, -r, "connect to the %s bus: %s", h->bus_kind, strerror(-r));
        r = sd_bus_new(&h->bus);
        if (r >= 0)
                r = sd_bus_set_address(h->bus, h->address);
        if (r >= 0)
                r = sd_bus_set_bus_client(h->bus, !h->direct);
        if (r >= 0)
                r = sd_bus_set_method_call_timeout(h->bus, h->timeout_ms * 1000);
        if (r < 0)
                return helper_fail(h, -r, "connect to %s: %s", helper_bus_name(h), strerror(-r));
        r = sd_bus_start(h->bus);
        if (r < 0)
                return helper_fail(h, -r, "connect to %s: %s", helper_bus_name(h), strerror(-r));
        /* Authentication and Hello happen as the bus is processed: wait for them here, with
         * our deadline (sd-bus's own is 90 s), so that a socket that accepts and never
         * answers fails in time. */
        for (;;) {
                r = sd_bus_is_ready(h->bus);
                if (r > 0)
                        return 0;
                if (r == 0)
                        r = sd_bus_process(h->bus, NULL);
                if (r == -ECONNRESET || r == -EPERM || r == -EACCES)
                        return helper_fail(h, -r,
                                           "connect to %s: the bus refused this client (%s): a user's bus accepts "
                                           "only that user, or root of a user namespace that user owns",
                                           helper_bus_name(h), strerror(-r));
                if (r < 0)
                        return helper_fail(h, -r, "connect to %s: %s", helper_bus_name(h), strerror(-r));
                if (r > 0)
                        continue;
                if (helper_remaining(h) <= 1)
                        return helper_fail(h, ETIMEDOUT, "no answer from %s within %llu ms (connect and authenticate)",
                                           helper_bus_name(h), (unsigned long long)h->timeout_ms);
                r = sd_bus_wait(h->bus, helper_remaining(h));
                if (r < 0 && r != -EINTR)
                        return helper_fail(h, -r, "connect to %s: %s", helper_bus_name(h), strerror(-r));
        }
}

int helper_new_call(struct helper *h, const char *member, sd_bus_message **m)
{
        int r = sd_bus_message_new_method_call(h->bus, m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                               "org.freedesktop.systemd1.Manager", member);
        if (r < 0)
                return helper_fail(h, -r, "%s: build the message: %s", member, strerror(-r));
        return 0;
}

int helper_call(struct helper *h, sd_bus_message *m, sd_bus_message **reply, char **error_name)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *member = sd_bus_message_get_member(m);
        if (error_name != NULL)
                *error_name = NULL;
        int r = sd_bus_call(h->bus, m, helper_remaining(h), &error, reply);
        if (r >= 0)
                return 0;
        const char *unit_sep = h->unit != NULL ? " of unit `" : "";
        const char *unit = h->unit != NULL ? h->unit : "";
        const char *unit_end = h->unit != NULL ? "`" : "";
        /* sd-bus reports its own timeout as the error org.freedesktop.DBus.Error.Timeout. */
        if (r == -ETIMEDOUT && (!sd_bus_error_is_set(&error) || sd_bus_error_has_name(&error, SD_BUS_ERROR_TIMEOUT))) {
                helper_fail(h, -r, "%s%s%s%s on %s: no reply within %llu ms", member, unit_sep, unit, unit_end,
                            helper_bus_name(h), (unsigned long long)h->timeout_ms);
        } else if (sd_bus_error_is_set(&error)) {
                if (error_name != NULL)
                        *error_name = strdup(error.name);
                helper_fail(h, -r, "%s%s%s%s on %s: %s: %s", member, unit_sep, unit, unit_end, helper_bus_name(h),
                            error.name, error.message != NULL ? error.message : "");
        } else {
                helper_fail(h, -r, "%s%s%s%s on %s: %s", member, unit_sep, unit, unit_end, helper_bus_name(h),
                            strerror(-r));
        }
        sd_bus_error_free(&error);
        return r;
}

int helper_string_property(struct helper *h, const char *object, const char *interface, const char *property,
                           char **out)
{
        sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(h->bus, &m, "org.freedesktop.systemd1", object,
                                               "org.freedesktop.DBus.Properties", "Get");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", interface, property);
        if (r < 0) {
                sd_bus_message_unref(m);
                return helper_fail(h, -r, "read %s of `%s`: %s", property, object, strerror(-r));
        }
        r = helper_call(h, m, &reply, NULL);
        sd_bus_message_unref(m);
        if (r < 0)
                return r;
        const char *value = NULL;
        r = sd_bus_message_read(reply, "v", "s", &value);
        if (r >= 0)
                *out = strdup(value);
        sd_bus_message_unref(reply);
        if (r < 0)
                return helper_fail(h, -r, "read %s of `%s` on %s: %s", property, object, helper_bus_name(h),
                                   strerror(-r));
        return *out != NULL ? 0 : -ENOMEM;
}

int helper_manager_property(struct helper *h, const char *property, char **out)
{
        /* The manager's properties are no unit's: the errors name none. */
        const char *saved = h->unit;
        h->unit = NULL;
        int r = helper_string_property(h, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", property,
                                       out);
        h->unit = saved;
        return r;
}
