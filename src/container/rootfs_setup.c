/* The container's root filesystem, set up in the mount namespace where its
 * mounts are made — the init's own, or (locked mounts) the mount helper's one
 * user namespace further out: the rootfs bound onto itself, the config's mounts,
 * the devices, the sysctls, masks and read-only paths (resolved inside the rootfs,
 * while nook's own /dev/null is still in sight), then a missing cwd and a
 * read-only root. pivot_root is the caller's: the two callers differ there. */
#define _GNU_SOURCE
#include "container/launch.h"

#include <fcntl.h>
#include <unistd.h>

#include "linux/devices.h"
#include "linux/masked.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int mount_all(struct launch *l, int *rootfd, nook_err *err)
{
        const struct spec *spec = l->spec;
        struct rootfs_context ctx = {
                .rootfd = *rootfd,
                .rootfs = l->rootfs,
                .needs_console = spec->process->terminal,
                .in_userns = l->plan.in_userns,
                .cgroup = l->state.cgroup,
                .has_cgroupns = spec_namespace(spec, NS_CGROUP) != NULL,
                .mount_label = spec->linux != NULL ? spec->linux->mount_label : NULL,
                .uid_map = l->plan.outer_in_host ? &spec->linux->uid_mappings : NULL,
                .gid_map = l->plan.outer_in_host ? &spec->linux->gid_mappings : NULL,
        };
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                /* sysfs and cgroup mounts show the namespaces and cgroup of their mounter. */
                enum mount_kind kind = m->parsed.kind;
                int ret = kind == MOUNT_KIND_CGROUP || kind == MOUNT_KIND_SYSFS ? stage_init_await_environment(l, err) : 0;
                if (ret == 0)
                        ret = rootfs_mount(&ctx, m, l->idmap_fds != NULL ? l->idmap_fds[i] : -1, err);
                *rootfd = ctx.rootfd;
                if (ret < 0) {
                        rootfs_context_release(&ctx);
                        return nook_error_wrap(err, "mounts[%zu]", i);
                }
        }
        const struct spec_device *devices = spec->linux != NULL ? spec->linux->devices.items : NULL;
        size_t n_devices = spec->linux != NULL ? spec->linux->devices.len : 0;
        int ret = 0;
        if (rootfs_needs_dev(spec) || n_devices > 0)
                ret = devices_create(*rootfd, devices, n_devices, l->plan.in_userns, err);
        if (ret == 0 && rootfs_needs_dev(spec))
                ret = devices_create_symlinks(*rootfd, err);
        if (ret < 0) {
                rootfs_context_release(&ctx);
                return nook_error_wrap(err, "linux.devices");
        }
        ret = rootfs_finish_mounts(&ctx, err);
        return ret < 0 ? ret : stage_init_await_environment(l, err);
}

int rootfs_setup_protect_paths(struct launch *l, int rootfd, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        if (linux_ == NULL)
                return 0;
        if (linux_->sysctl.len > 0) {
                _cleanup_close_ int procfd = process_open_procfs(rootfd, err);
                if (procfd < 0)
                        return nook_error_wrap(err, "linux.sysctl");
                for (size_t i = 0; i < linux_->sysctl.len; i++) {
                        int ret = process_write_sysctl(procfd, linux_->sysctl.items[i].key,
                                                       linux_->sysctl.items[i].value, err);
                        if (ret < 0)
                                return nook_error_wrap(err, "linux.sysctl");
                }
        }
        if (linux_->masked_paths.len > 0) {
                _cleanup_close_ int null_fd = masked_open_null(err);
                int ret = null_fd < 0 ? null_fd : masked_apply(rootfd, &linux_->masked_paths, null_fd,
                                                                 linux_->mount_label, err);
                if (ret < 0)
                        return nook_error_wrap(err, "linux.maskedPaths");
        }
        int ret = readonly_apply(rootfd, &linux_->readonly_paths, err);
        if (ret < 0)
                return nook_error_wrap(err, "linux.readonlyPaths");
        return 0;
}

int rootfs_setup_mounts(struct launch *l, int *rootfd, nook_err *err)
{
        const struct spec_linux *linux_ = l->spec->linux;
        const char *propagation = linux_ != NULL ? linux_->rootfs_propagation : NULL;
        int ret = rootfs_prepare(l->rootfs, propagation, rootfd, err);
        if (ret == 0)
                ret = mount_all(l, rootfd, err);
        if (ret == 0)
                ret = rootfs_setup_protect_paths(l, *rootfd, err);
        return ret;
}

int rootfs_setup_finish(struct launch *l, int rootfd, bool early_hooks_later, nook_err *err)
{
        _cleanup_close_ int cwd = open_in_root(rootfd, l->spec->process->cwd, O_PATH | O_DIRECTORY, CREATE_DIR, err);
        if (cwd < 0)
                return nook_error_wrap(err, "process.cwd");
        /* Hooks that run before pivot_root get the root writable, as with runc. */
        if (!l->spec->root_readonly || early_hooks_later)
                return 0;
        int ret = rootfs_make_readonly(rootfd, err);
        return ret < 0 ? nook_error_wrap(err, "root.readonly") : 0;
}
