/* The four operations: start (StartTransientUnit, wait for the job), set-properties
 * (SetUnitProperties), stop (StopUnit, wait, ResetFailedUnit), ping (who answers). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

#define ERROR_NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"
#define ERROR_UNIT_EXISTS "org.freedesktop.systemd1.UnitExists"

/* ---- jobs ---- */

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        (void)ret_error;
        struct helper *h = userdata;
        uint32_t id;
        const char *job, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        __typeof__(h->jobs) bigger = realloc(h->jobs, (h->n_jobs + 1) * sizeof(*h->jobs));
        if (bigger == NULL)
                return 0;
        h->jobs = bigger;
        h->jobs[h->n_jobs].job = strdup(job);
        h->jobs[h->n_jobs].result = strdup(result);
        if (h->jobs[h->n_jobs].job != NULL && h->jobs[h->n_jobs].result != NULL)
                h->n_jobs++;
        return 0;
}

/* Subscribes to JobRemoved before the call that makes the job, so that its end
 * cannot be missed (sd_bus_match_signal waits for AddMatch's reply). Direct
 * connections carry no sender, so the match names none there. */
static int subscribe_jobs(struct helper *h, sd_bus_slot **slot)
{
        int r = sd_bus_match_signal(h->bus, slot, h->direct ? NULL : "org.freedesktop.systemd1",
                                    "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
                                    on_job_removed, h);
        if (r < 0)
                return helper_fail(h, -r, "subscribe to JobRemoved on %s: %s", helper_bus_name(h), strerror(-r));
        return 0;
}

/* Waits for the JobRemoved signal of job; *result points into h->jobs. */
static int wait_job(struct helper *h, const char *what, const char *job, const char **result)
{
        for (;;) {
                for (size_t i = 0; i < h->n_jobs; i++)
                        if (strcmp(h->jobs[i].job, job) == 0) {
                                *result = h->jobs[i].result;
                                return 0;
                        }
                int r = sd_bus_process(h->bus, NULL);
                if (r < 0)
                        return helper_fail(h, -r, "%s unit `%s` on %s: waiting for job `%s`: %s", what, h->unit,
                                           helper_bus_name(h), job, strerror(-r));
                if (r > 0)
                        continue;
                if (helper_remaining(h) <= 1)
                        return helper_fail(h, ETIMEDOUT, "%s unit `%s` on %s: job `%s` did not finish within %llu ms",
                                           what, h->unit, helper_bus_name(h), job,
                                           (unsigned long long)h->timeout_ms);
                r = sd_bus_wait(h->bus, helper_remaining(h));
                if (r < 0 && r != -EINTR)
                        return helper_fail(h, -r, "%s unit `%s` on %s: waiting for job `%s`: %s", what, h->unit,
                                           helper_bus_name(h), job, strerror(-r));
        }
}

/* Calls member(unit, …) and reads the reply's object path. */
static int call_unit_method(struct helper *h, sd_bus_message *m, char **object, char **error_name)
{
        sd_bus_message *reply = NULL;
        int r = helper_call(h, m, &reply, error_name);
        if (r < 0)
                return r;
        const char *path = NULL;
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                *object = strdup(path);
        sd_bus_message_unref(reply);
        if (r < 0)
                return helper_fail(h, -r, "%s of unit `%s` on %s: unexpected reply: %s",
                                   sd_bus_message_get_member(m), h->unit, helper_bus_name(h), strerror(-r));
        return *object != NULL ? 0 : -ENOMEM;
}

/* ResetFailedUnit; a unit that is not loaded is fine (*error_name says so). */
static int reset_failed(struct helper *h)
{
        sd_bus_message *m = NULL;
        int r = helper_new_call(h, "ResetFailedUnit", &m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", h->unit);
        if (r < 0) {
                sd_bus_message_unref(m);
                return helper_fail(h, -r, "ResetFailedUnit: %s", strerror(-r));
        }
        char *error_name = NULL;
        r = helper_call(h, m, NULL, &error_name);
        sd_bus_message_unref(m);
        if (r < 0 && error_name != NULL && strcmp(error_name, ERROR_NO_SUCH_UNIT) == 0) {
                helper_clear_error(h);
                r = 0;
        }
        free(error_name);
        return r;
}

/* ---- start ---- */

static int start_once(struct helper *h, json_object *properties, char **job, char **error_name)
{
        sd_bus_message *m = NULL;
        int r = helper_new_call(h, "StartTransientUnit", &m);
        if (r < 0)
                return r;
        /* "fail": never replace a job already queued for a unit of that name. */
        r = sd_bus_message_append(m, "ss", h->unit, "fail");
        if (r >= 0)
                r = helper_append_properties(h, m, properties);
        else
                helper_fail(h, -r, "StartTransientUnit: %s", strerror(-r));
        if (r >= 0) {
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
                if (r < 0)
                        helper_fail(h, -r, "StartTransientUnit: %s", strerror(-r));
        }
        if (r >= 0)
                r = call_unit_method(h, m, job, error_name);
        sd_bus_message_unref(m);
        return r;
}

/* The unit's ControlGroup, as systemd placed it ("/system.slice/nook-x.scope";
 * under the user manager's own cgroup for the user manager). */
static int unit_control_group(struct helper *h, char **out)
{
        sd_bus_message *m = NULL;
        char *object = NULL;
        int r = helper_new_call(h, "GetUnit", &m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", h->unit);
        if (r >= 0)
                r = call_unit_method(h, m, &object, NULL);
        sd_bus_message_unref(m);
        if (r < 0)
                return r;
        size_t len = strlen(h->unit);
        bool slice = len > 6 && strcmp(h->unit + len - 6, ".slice") == 0;
        r = helper_string_property(h, object, slice ? "org.freedesktop.systemd1.Slice" : "org.freedesktop.systemd1.Scope",
                                   "ControlGroup", out);
        free(object);
        return r;
}

int helper_start(struct helper *h, json_object *properties, json_object *answer)
{
        sd_bus_slot *slot = NULL;
        int r = subscribe_jobs(h, &slot);
        if (r < 0)
                return r;
        const char *result = NULL;
        int attempt;
        /* A unit of that name left failed, or a job that fails: ResetFailedUnit and one
         * more try, as runc and crun do. */
        for (attempt = 1; attempt <= 2; attempt++) {
                char *job = NULL, *error_name = NULL;
                r = start_once(h, properties, &job, &error_name);
                bool exists = r < 0 && error_name != NULL && strcmp(error_name, ERROR_UNIT_EXISTS) == 0;
                free(error_name);
                if (exists) {
                        if (attempt == 2) {
                                helper_clear_error(h);
                                r = helper_fail(h, EEXIST,
                                                "start unit `%s` on %s: the unit already exists (still there after "
                                                "ResetFailedUnit): another container has that name, or it was "
                                                "not deleted",
                                                h->unit, helper_bus_name(h));
                                break;
                        }
                        helper_clear_error(h);
                        r = reset_failed(h);
                        if (r < 0)
                                break;
                        continue;
                }
                if (r < 0)
                        break;
                r = wait_job(h, "start", job, &result);
                free(job);
                if (r < 0 || strcmp(result, "done") == 0)
                        break;
                if (attempt == 2) {
                        r = helper_fail(h, EIO,
                                        "start unit `%s` on %s: the start job ended \"%s\", not \"done\" (also after "
                                        "ResetFailedUnit and a retry)",
                                        h->unit, helper_bus_name(h), result);
                        break;
                }
                r = reset_failed(h);
                if (r < 0)
                        break;
        }
        sd_bus_slot_unref(slot);
        if (r < 0 && r != -EEXIST) {
                /* Leave no failed unit behind (best effort; the error above is the one reported). */
                char *saved = h->error;
                h->error = NULL;
                reset_failed(h);
                helper_clear_error(h);
                h->error = saved;
        }
        if (r < 0)
                return r;
        char *cgroup = NULL;
        r = unit_control_group(h, &cgroup);
        if (r < 0)
                return r;
        json_object_object_add(answer, "result", json_object_new_string(result));
        json_object_object_add(answer, "attempts", json_object_new_int(attempt));
        json_object_object_add(answer, "cgroup", json_object_new_string(cgroup));
        free(cgroup);
        return 0;
}

/* ---- set-properties ---- */

int helper_set_properties(struct helper *h, json_object *properties, json_object *answer)
{
        (void)answer;
        sd_bus_message *m = NULL;
        int r = helper_new_call(h, "SetUnitProperties", &m);
        if (r < 0)
                return r;
        /* runtime: the change lasts until the unit goes, as for the transient unit itself. */
        r = sd_bus_message_append(m, "sb", h->unit, 1);
        if (r < 0)
                helper_fail(h, -r, "SetUnitProperties: %s", strerror(-r));
        if (r >= 0)
                r = helper_append_properties(h, m, properties);
        if (r >= 0)
                r = helper_call(h, m, NULL, NULL);
        sd_bus_message_unref(m);
        return r;
}

/* ---- stop ---- */

int helper_stop(struct helper *h, json_object *answer)
{
        sd_bus_slot *slot = NULL;
        int r = subscribe_jobs(h, &slot);
        if (r < 0)
                return r;
        sd_bus_message *m = NULL;
        r = helper_new_call(h, "StopUnit", &m);
        if (r < 0) {
                sd_bus_slot_unref(slot);
                return r;
        }
        r = sd_bus_message_append(m, "ss", h->unit, "replace");
        char *job = NULL, *error_name = NULL;
        if (r >= 0)
                r = call_unit_method(h, m, &job, &error_name);
        else
                helper_fail(h, -r, "StopUnit: %s", strerror(-r));
        sd_bus_message_unref(m);
        bool existed = true;
        const char *result = NULL;
        if (r < 0 && error_name != NULL && strcmp(error_name, ERROR_NO_SUCH_UNIT) == 0) {
                /* Gone already: delete is idempotent. */
                helper_clear_error(h);
                existed = false;
                r = 0;
        } else if (r == 0) {
                r = wait_job(h, "stop", job, &result);
        }
        free(job);
        free(error_name);
        sd_bus_slot_unref(slot);
        if (r == 0)
                r = reset_failed(h);
        if (r == 0 && result != NULL && strcmp(result, "done") != 0)
                r = helper_fail(h, EIO, "stop unit `%s` on %s: the stop job ended \"%s\", not \"done\"", h->unit,
                                helper_bus_name(h), result);
        if (r < 0)
                return r;
        json_object_object_add(answer, "existed", json_object_new_boolean(existed));
        if (result != NULL)
                json_object_object_add(answer, "result", json_object_new_string(result));
        return 0;
}

/* ---- ping ---- */

/* The uid the bus daemon saw when name connected (its peer credentials). */
static int connection_uid(struct helper *h, const char *name, uint32_t *uid)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(h->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "GetConnectionUnixUser", &error, &reply, "s", name);
        if (r >= 0)
                r = sd_bus_message_read(reply, "u", uid);
        sd_bus_message_unref(reply);
        if (r < 0)
                helper_fail(h, -r, "GetConnectionUnixUser(%s) on %s: %s", name, helper_bus_name(h),
                            sd_bus_error_is_set(&error) ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        return r < 0 ? r : 0;
}

int helper_ping(struct helper *h, json_object *answer)
{
        char *version = NULL, *cgroup = NULL;
        int r = helper_manager_property(h, "Version", &version);
        if (r == 0)
                r = helper_manager_property(h, "ControlGroup", &cgroup);
        uint32_t manager_uid = 0, uid = (uint32_t)geteuid();
        if (r == 0 && !h->direct) {
                const char *unique = NULL;
                r = connection_uid(h, "org.freedesktop.systemd1", &manager_uid);
                if (r == 0)
                        r = sd_bus_get_unique_name(h->bus, &unique);
                if (r == 0)
                        r = connection_uid(h, unique, &uid);
        } else if (r == 0) {
                /* Peer to peer: the manager is the socket's peer. */
                sd_bus_creds *creds = NULL;
                uid_t peer = 0;
                r = sd_bus_get_owner_creds(h->bus, SD_BUS_CREDS_EUID, &creds);
                if (r >= 0)
                        r = sd_bus_creds_get_euid(creds, &peer);
                sd_bus_creds_unref(creds);
                if (r < 0)
                        helper_fail(h, -r, "credentials of %s: %s", helper_bus_name(h), strerror(-r));
                manager_uid = peer;
                r = r < 0 ? r : 0;
        }
        if (r == 0) {
                json_object_object_add(answer, "manager", json_object_new_string(manager_uid == 0 ? "system" : "user"));
                json_object_object_add(answer, "manager_uid", json_object_new_int64(manager_uid));
                json_object_object_add(answer, "version", json_object_new_string(version));
                json_object_object_add(answer, "cgroup", json_object_new_string(cgroup));
                json_object_object_add(answer, "uid", json_object_new_int64(uid));
                json_object_object_add(answer, "local_uid", json_object_new_int64(geteuid()));
        }
        free(version);
        free(cgroup);
        return r;
}
