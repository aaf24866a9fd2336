/* What a launch prepares for rootless callers and user namespaces, before
 * anything runs: the rootless cgroup (only a delegated one), and the user
 * namespaces of idmapped mounts. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "container/launch.h"
#include "linux/userns.h"
#include "util/fs.h"

/* Whether the resources ask for a limit (device rules aside: rootless, runc ignores them). */
static bool wants_limits(const struct spec_resources *r)
{
        return r != NULL &&
               (r->memory.limit.set || r->memory.reservation.set || r->memory.swap.set || r->memory.kernel.set ||
                r->memory.kernel_tcp.set || r->memory.swappiness.set || r->memory.disable_oom_killer.set ||
                r->cpu.shares.set || r->cpu.quota.set || r->cpu.burst.set || r->cpu.period.set ||
                r->cpu.realtime_runtime.set || r->cpu.realtime_period.set || r->cpu.cpus != NULL ||
                r->cpu.mems != NULL || r->cpu.idle.set || r->pids_limit.set || r->block_io.weight.set ||
                r->block_io.leaf_weight.set || r->block_io.weight_device.len > 0 ||
                r->block_io.throttle_read_bps.len > 0 || r->block_io.throttle_write_bps.len > 0 ||
                r->block_io.throttle_read_iops.len > 0 || r->block_io.throttle_write_iops.len > 0 ||
                r->hugepage_limits.len > 0 || r->network.class_id.set || r->network.priorities.len > 0 ||
                r->unified.len > 0);
}

/* Rootless, as runc's rootless cgroup manager: a cgroup only where one was delegated
 * to the caller. Without one, the container stays in the caller's cgroup, unless the
 * config names a cgroupsPath or asks for limits: then that is an error. Device
 * rules are ignored (no device cgroup is ever the caller's to program). */
int launch_plan_rootless_cgroup(struct launch *l, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        const char *path = linux_ != NULL ? linux_->cgroups_path : NULL;
        struct spec_resources limits = { 0 };
        if (linux_ != NULL && linux_->resources != NULL) {
                limits = *linux_->resources;
                limits.devices.len = 0;
        }
        struct cgroup *cg = NULL;
        int ret = cgroup_plan(path, l->opts->id, &cg, err);
        if (ret < 0)
                return ret;
        cgroup_keep_delegated(cg);
        if (cg->n_hierarchies == 0) {
                cgroup_free(cg);
                if (path != NULL && path[0] != '\0')
                        return nook_error(err, EACCES, "linux.cgroupsPath: \"%s\": no cgroup there is delegated to "
                                                       "uid %u (rootless)", path, geteuid());
                if (wants_limits(&limits))
                        return nook_error(err, EACCES, "linux.resources: rootless without a delegated cgroup, the "
                                                       "limits cannot be set");
                return 0;
        }
        l->state.cgroup = cg;
        ret = cgroup_create(cg, err);
        if (ret == 0 && wants_limits(&limits))
                ret = cgroup_apply(cg, &limits, err);
        return ret;
}

/* Idmapped mounts (mounts[].uidMappings/gidMappings, or "idmap" with the container's
 * maps): a user namespace holding each one's maps, made here, in nook's own user
 * and pid namespaces (whose /proc names the child that holds it). */
int launch_prepare_idmapped_mounts(struct launch *l, nook_err *err)
{
        const struct spec *spec = l->spec;
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                bool idmap = m->parsed.idmap || m->uid_mappings.len > 0 || m->gid_mappings.len > 0;
                bool bind = m->parsed.kind == MOUNT_KIND_BIND;
                if (!idmap)
                        continue;
                if (!bind)
                        return nook_error(err, EINVAL, "mounts[%zu]: idmapped mounts are bind mounts only", i);
                if (geteuid() != 0)
                        return nook_error(err, EPERM, "mounts[%zu]: idmapped mount of `%s`: needs CAP_SYS_ADMIN over "
                                                      "the host filesystem (rootless containers have none)", i,
                                          m->source != NULL ? m->source : "");
                const spec_id_mappings *uids = &m->uid_mappings, *gids = &m->gid_mappings;
                if (uids->len == 0 && gids->len == 0 && l->new_userns) {
                        uids = &spec->linux->uid_mappings;
                        gids = &spec->linux->gid_mappings;
                }
                if (uids->len == 0 || gids->len == 0)
                        return nook_error(err, EINVAL, "mounts[%zu]: an idmapped mount needs uidMappings and "
                                                       "gidMappings (or a user namespace whose maps it takes)", i);
                if (l->idmap_fds == NULL) {
                        l->idmap_fds = malloc(spec->mounts.len * sizeof(int));
                        if (l->idmap_fds == NULL)
                                return nook_error(err, ENOMEM, "mounts");
                        for (size_t j = 0; j < spec->mounts.len; j++)
                                l->idmap_fds[j] = -1;
                }
                l->idmap_fds[i] = userns_create_with_maps(uids, gids, err);
                if (l->idmap_fds[i] < 0)
                        return nook_error_wrap(err, "mounts[%zu]: idmapped mount", i);
                int ret = fd_move_above(&l->idmap_fds[i], 3 + l->opts->preserve_fds, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}
