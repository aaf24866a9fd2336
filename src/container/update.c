/* `update`: new resources for a live container's cgroup, from a linux.resources
 * JSON and single values over it (runc's flags). Only what is given changes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/container.h"
#include "container/state.h"
#include "container/systemd_scope.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int load_resources(const char *path, struct spec_resources **out, json_object **json, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int ret = strcmp(path, "-") == 0 ? read_all_fd(STDIN_FILENO, &text, &len, err)
                                         : read_file_at(AT_FDCWD, path, &text, &len, err);
        if (ret < 0)
                return nook_error_wrap(err, "update: --resources");
        ret = spec_parse_resources(text, len, out, json, err);
        if (ret < 0)
                return nook_error_wrap(err, "update: %s", strcmp(path, "-") == 0 ? "stdin" : path);
        return 0;
}

/* The single values win over the file, as with runc. */
static void apply_options(struct spec_resources *r, const struct update_options *o)
{
        if (o->memory.set)
                r->memory.limit = o->memory;
        if (o->memory_swap.set)
                r->memory.swap = o->memory_swap;
        if (o->memory_reservation.set)
                r->memory.reservation = o->memory_reservation;
        if (o->cpu_quota.set)
                r->cpu.quota = o->cpu_quota;
        if (o->cpu_period.set)
                r->cpu.period = o->cpu_period;
        if (o->cpu_shares.set)
                r->cpu.shares = o->cpu_shares;
        if (o->cpu_rt_runtime.set)
                r->cpu.realtime_runtime = o->cpu_rt_runtime;
        if (o->cpu_rt_period.set)
                r->cpu.realtime_period = o->cpu_rt_period;
        if (o->cpuset_cpus != NULL)
                r->cpu.cpus = o->cpuset_cpus;
        if (o->cpuset_mems != NULL)
                r->cpu.mems = o->cpuset_mems;
        if (o->pids_limit.set)
                r->pids_limit = o->pids_limit;
        if (o->blkio_weight.set)
                r->block_io.weight = o->blkio_weight;
}

int container_update(const char *root, const char *id, const struct update_options *opts, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(state);
        struct spec_resources *r = NULL;
        _cleanup_json_ json_object *json = NULL; /* owns the strings of r */
        if (status == STATUS_STOPPED || status == STATUS_CREATING)
                ret = nook_error(err, EINVAL, "cannot update container \"%s\": it is %s", id,
                                 state_status_name(status));
        else if (state->cgroup == NULL)
                ret = nook_error(err, ENOTSUP, "cannot update container \"%s\": it has no cgroup (rootless)", id);
        else if (opts->resources != NULL)
                ret = load_resources(opts->resources, &r, &json, err);
        else if ((r = calloc(1, sizeof(*r))) == NULL)
                ret = nook_error(err, ENOMEM, "update");
        if (ret == 0) {
                apply_options(r, opts);
                /* systemd's view first, as runc: a limit it refuses changes nothing. */
                ret = scope_update(state, r, err);
        }
        if (ret == 0)
                ret = cgroup_update(state->cgroup, r, err);
        spec_free_resources(r);
        state_free(state);
        return ret;
}
