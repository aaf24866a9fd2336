#define _GNU_SOURCE
#include "container/systemd_scope.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux/cgroup.h"
#include "linux/systemd.h"
#include "linux/systemd_leaf.h"
#include "linux/systemd_properties.h"
#include "util/cleanup.h"

static enum systemd_bus bus_of(const struct container_state *state)
{
        return state->systemd_user ? SYSTEMD_BUS_USER : SYSTEMD_BUS_SYSTEM;
}

static const struct spec_resources *resources_of(const struct spec *spec)
{
        return spec->linux != NULL ? spec->linux->resources : NULL;
}

int scope_prepare(const struct spec *spec, const char *id, bool rootless, struct systemd_unit *unit, nook_err *err)
{
        const char *path = spec->linux != NULL ? spec->linux->cgroups_path : NULL;
        int ret = systemd_unit_parse(path, id, rootless, unit, err);
        if (ret < 0)
                return ret;
        /* The config's errors first: every property, so that a bad one fails before
         * anything is made; then the host's. */
        _cleanup_json_ json_object *properties = NULL;
        ret = systemd_properties_for_start(unit, id, 0, resources_of(spec), &spec->annotations, &properties, err);
        struct stat st;
        if (ret == 0 && (stat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode)))
                ret = nook_error(err, ENOTSUP, "--systemd-cgroup: systemd is not running on this host (no "
                                               "`/run/systemd/system`), so it cannot make the unit `%s`",
                                 unit->name);
        enum cgroup_mode mode;
        if (ret == 0)
                ret = cgroup_detect_mode(&mode, err);
        if (ret == 0)
                ret = systemd_check_cgroup_mode(mode, err);
        if (ret < 0)
                systemd_unit_free(unit);
        return ret;
}

int scope_start(const struct systemd_unit *unit, const struct spec *spec, struct container_state *state, pid_t pid,
                nook_err *err)
{
        _cleanup_json_ json_object *properties = NULL;
        int ret = systemd_properties_for_start(unit, state->id, pid, resources_of(spec), &spec->annotations,
                                               &properties, err);
        _cleanup_free_ char *unit_cgroup = NULL;
        if (ret == 0)
                ret = systemd_start_unit(bus_of(state), unit->name, properties, SCOPE_TIMEOUT_MS, &unit_cgroup, err);
        if (ret == 0)
                ret = systemd_cgroup_leaf(unit_cgroup, &state->cgroup, err);
        if (ret == 0)
                ret = systemd_enter_leaf(state->cgroup, pid, err);
        if (ret == 0 && resources_of(spec) != NULL)
                ret = cgroup_apply(state->cgroup, resources_of(spec), err);
        return ret;
}

int scope_stop(const struct container_state *state, nook_err *err)
{
        if (state->systemd_unit == NULL)
                return 0;
        return systemd_stop_unit(bus_of(state), state->systemd_unit, SCOPE_TIMEOUT_MS, NULL, err);
}

int scope_update(const struct container_state *state, const struct spec_resources *resources, nook_err *err)
{
        if (state->systemd_unit == NULL)
                return 0;
        _cleanup_json_ json_object *properties = systemd_properties_new();
        if (properties == NULL)
                return nook_error(err, ENOMEM, "update");
        int ret = systemd_properties_from_resources(properties, resources, err);
        if (ret == 0 && json_object_array_length(properties) > 0)
                ret = systemd_set_unit_properties(bus_of(state), state->systemd_unit, properties, SCOPE_TIMEOUT_MS, err);
        return ret;
}
