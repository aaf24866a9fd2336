/* `events`: the container's cgroup usage and OOM kills as runc reports them,
 * one JSON object each: {"type":"stats","id":…,"data":{…}} and {"type":"oom","id":…},
 * handed to the caller as they come (cli/events.c prints them a line each). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <time.h>

#include "container/container.h"
#include "container/state.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"

struct emitter {
        container_event_fn emit;
        void *ctx;
        const char *id;
};

static int emit_event(const struct emitter *to, const char *type, json_object *data, nook_err *err)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "id", json_object_new_string(to->id));
        if (data != NULL)
                json_object_object_add(o, "data", data);
        return to->emit(o, to->ctx, err);
}

static int emit_stats(const struct container_state *state, const struct emitter *to, nook_err *err)
{
        json_object *data = NULL;
        int ret = cgroup_stats(state->cgroup, &data, err);
        if (ret < 0)
                return ret;
        return emit_event(to, "stats", data, err);
}

static int emit_ooms(struct cgroup_oom_watch *w, const struct emitter *to, nook_err *err)
{
        int n = cgroup_oom_watch_read(w, err);
        for (int i = 0; n > 0 && i < n; i++) {
                int ret = emit_event(to, "oom", NULL, err);
                if (ret < 0)
                        return ret;
        }
        return n < 0 ? n : 0;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int watch(const struct container_state *state, long interval_ms, const struct emitter *to, nook_err *err)
{
        _cleanup_close_ int pidfd = sys_pidfd_open(state->pid, 0);
        if (pidfd < 0 || state_process_start_time(state->pid) != state->start_time)
                return nook_error(err, ESRCH, "events: container \"%s\" is not running", state->id);
        struct cgroup_oom_watch oom = { .fd = -1, .source_fd = -1 };
        int ret = cgroup_oom_watch_open(state->cgroup, &oom, err);
        if (ret == -ENOTSUP) {
                /* No memory controller: no OOM kill can come from the container's limits. */
                nook_error_free(err);
                ret = 0;
        }
        /* The first stats at once: they also tell a reader that OOM kills are watched from now on. */
        if (ret == 0)
                ret = emit_stats(state, to, err);
        long long next = now_ms() + interval_ms;
        while (ret == 0) {
                struct pollfd fds[2] = { { .fd = pidfd, .events = POLLIN },
                                         { .fd = oom.fd, .events = cgroup_oom_watch_events(&oom) } };
                long long wait = next - now_ms();
                int n = poll(fds, oom.fd >= 0 ? 2 : 1, wait > 0 ? (int)wait : 0);
                if (n < 0 && errno != EINTR) {
                        ret = nook_error_errno(err, "events: poll");
                        break;
                }
                if (n > 0 && fds[1].revents != 0)
                        ret = emit_ooms(&oom, to, err);
                if (ret == 0 && n > 0 && fds[0].revents != 0) {
                        /* The init is gone: an OOM kill may have been its end; say so first. */
                        if (oom.fd >= 0)
                                ret = emit_ooms(&oom, to, err);
                        break;
                }
                if (ret == 0 && now_ms() >= next) {
                        ret = emit_stats(state, to, err);
                        next += interval_ms;
                }
        }
        cgroup_oom_watch_close(&oom);
        return ret;
}

int container_events(const char *root, const char *id, bool stats_only, long interval_ms, container_event_fn emit,
                     void *ctx, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        const struct emitter to = { emit, ctx, state->id };
        enum container_status status = state_status(state);
        if (status == STATUS_STOPPED || status == STATUS_CREATING)
                ret = nook_error(err, ESRCH, "events: container \"%s\" is not running (%s)", id,
                                 state_status_name(status));
        else if (state->cgroup == NULL)
                ret = nook_error(err, ENOTSUP, "events: container \"%s\" has no cgroup (rootless)", id);
        else if (stats_only)
                ret = emit_stats(state, &to, err);
        else
                ret = watch(state, interval_ms > 0 ? interval_ms : 5000, &to, err);
        state_free(state);
        return ret;
}
