/* The systemd cgroup driver's calls to systemd, each one run of the helper
 * program nook-systemd (src/systemd-helper/helper.h: JSON request on stdin,
 * JSON answer on stdout). nook stays static; only this path loads libsystemd.
 *
 * How the pieces fit (the wiring into create/update/delete is the caller's):
 *   create: systemd_unit_parse (systemd_unit.h) → systemd_properties_for_start
 *           (systemd_properties.h) with the pid of a process that exists and
 *           will be the container's (systemd refuses a scope without one) →
 *           systemd_start_unit, which returns the unit's cgroup → systemd_cgroup_leaf
 *           → systemd_enter_leaf (systemd_leaf.h: the process into "<unit>/container",
 *           the unit's controllers handed down) → cgroup_apply on that struct cgroup
 *           as for any cgroup2 container (not cgroup_create: nook writes nothing above
 *           the unit). Record the bus and the unit in the state. On any later
 *           failure: systemd_stop_unit (it is idempotent).
 *   update: systemd_properties_from_resources → systemd_set_unit_properties, and
 *           cgroup_update on the leaf.
 *   delete: kill, cgroup_destroy (the leaf and below), systemd_stop_unit.
 * Every call's errors are one line naming the unit and the bus. */
#ifndef NOOK_LINUX_SYSTEMD_H
#define NOOK_LINUX_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct json_object;

enum systemd_bus {
        SYSTEMD_BUS_SYSTEM, /* root: $DBUS_SYSTEM_BUS_ADDRESS, the system bus, or /run/systemd/private */
        SYSTEMD_BUS_USER,   /* rootless: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus */
};

/* How long one call may take, start to answer, unless the caller says (timeout_ms 0). */
#define SYSTEMD_TIMEOUT_MS 5000

/* The helper's file name, looked for next to nook's executable, then in NOOK_LIBEXECDIR. */
#define SYSTEMD_HELPER "nook-systemd"

/* "system" or "user". */
const char *systemd_bus_name(enum systemd_bus bus);

/* The manager that answered a ping, and how it sees nook. */
struct systemd_manager {
        char *manager; /* "system" or "user" (the uid owning org.freedesktop.systemd1 is 0, or not) */
        uid_t manager_uid;
        char *version; /* "252.38-1~deb12u1" */
        char *cgroup;  /* the manager's own cgroup: "" (system) or "/user.slice/user-1000.slice/user@1000.service" */
        uid_t uid;     /* who nook is to the bus: its peer credentials (1000 from rootless podman's userns) */
        char *address; /* the bus address used */
};

void systemd_manager_free(struct systemd_manager *m);

/* Which manager answers on bus, its version and cgroup, and as whom. */
int systemd_ping(enum systemd_bus bus, int timeout_ms, struct systemd_manager *out, nook_err *err);

/* StartTransientUnit(unit, "fail", properties) and waits for the job to be "done"
 * (a failed job or a leftover unit: ResetFailedUnit and one retry). *unit_cgroup
 * (heap) is the unit's ControlGroup as systemd reports it ("/system.slice/nook-x.scope").
 * An existing unit is -EEXIST; a manager never reached, -ENOTCONN. */
int systemd_start_unit(enum systemd_bus bus, const char *unit, struct json_object *properties, int timeout_ms,
                       char **unit_cgroup, nook_err *err);

/* SetUnitProperties(unit, runtime=true, properties). */
int systemd_set_unit_properties(enum systemd_bus bus, const char *unit, struct json_object *properties,
                                int timeout_ms, nook_err *err);

/* StopUnit(unit, "replace"), waits for the job, ResetFailedUnit. A unit that is
 * not there is success (*existed false; existed may be NULL). */
int systemd_stop_unit(enum systemd_bus bus, const char *unit, int timeout_ms, bool *existed, nook_err *err);

/* ---- the plumbing, exposed for tests ---- */

/* The helper to run: next to /proc/self/exe, else NOOK_LIBEXECDIR; -ENOENT naming both. */
int systemd_helper_path(char **out, nook_err *err);

/* The request text for op ("start", "set-properties", "stop", "ping"); unit and
 * properties may be NULL. NULL on ENOMEM. */
char *systemd_request_json(const char *op, enum systemd_bus bus, const char *unit, struct json_object *properties,
                           int timeout_ms);

/* Runs helper with request on stdin; waits at most timeout_ms plus a second for
 * it to exit (then kills it). Exit 0: *answer is its stdout parsed (a JSON object).
 * Exit 1, 3, 4: the helper's error line, verbatim, with -EIO, -ENOTCONN (systemd
 * was never reached: nothing can have been made) or -EEXIST (the unit exists: not
 * the caller's). Anything else names the helper. */
int systemd_run_helper(const char *helper, const char *request, int timeout_ms, struct json_object **answer,
                       nook_err *err);

#endif
