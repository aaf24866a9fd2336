#define _GNU_SOURCE
#include "container/criu_plan.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/devices.h"
#include "linux/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The key every masked file shares in the image, and what it is bound from again. */
#define MASK_KEY "/dev/null"

/* criu's names of namespaces, and runc's keys for those handed over as fds. */
static const struct {
        const char *criu_name;
        const char *inherit_key;
} namespace_names[NS_TYPE_COUNT] = {
        [NS_MOUNT] = { "mnt", NULL },      [NS_PID] = { "pid", "extRootPidNS" },
        [NS_NETWORK] = { "net", "extRootNetNS" }, [NS_IPC] = { "ipc", NULL },
        [NS_UTS] = { "uts", NULL },        [NS_USER] = { "user", NULL },
        [NS_CGROUP] = { "cgroup", NULL },  [NS_TIME] = { "time", NULL },
};

static char *own(struct criu_plan *p, char *s)
{
        if (s == NULL)
                return NULL;
        char **bigger = realloc(p->owned, (p->n_owned + 1) * sizeof(char *));
        if (bigger == NULL) {
                free(s);
                return NULL;
        }
        p->owned = bigger;
        p->owned[p->n_owned++] = s;
        return s;
}

static int add_mount(struct criu_plan *p, const char *key, const char *value, nook_err *err)
{
        if (key == NULL || value == NULL)
                return nook_error(err, ENOMEM, "criu: external mounts");
        /* One entry a key: the same mountpoint (a device listed twice) is one mount. */
        for (size_t i = 0; i < p->n_mounts; i++)
                if (strcmp(p->mounts[i].key, key) == 0)
                        return 0;
        struct criu_pair *bigger = realloc(p->mounts, (p->n_mounts + 1) * sizeof(*bigger));
        if (bigger == NULL)
                return nook_error(err, ENOMEM, "criu: external mounts");
        p->mounts = bigger;
        p->mounts[p->n_mounts++] = (struct criu_pair){ .key = key, .value = value };
        return 0;
}

static const char *mountpoint_of(const struct criu_plan_input *in, struct criu_plan *p, size_t i)
{
        if (in->mountpoints != NULL && in->mountpoints[i] != NULL)
                return in->mountpoints[i];
        return own(p, path_clean(in->spec->mounts.items[i].destination));
}

/* The v1 hierarchies the "cgroup" mount binds (cgroup_mount_in_container): one
 * directory a hierarchy, named as its mount on the host. */
static int add_cgroup_binds(const struct criu_plan_input *in, struct criu_plan *p, const char *dest, bool restore,
                            nook_err *err)
{
        const struct cgroup *cg = in->cgroup;
        if (cg == NULL || cg->mode == CGROUP_MODE_V2 || spec_namespace(in->spec, NS_CGROUP) != NULL)
                return 0;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                const char *name = strrchr(cg->hierarchies[i].mount, '/');
                char *key = own(p, path_join(dest, name != NULL ? name + 1 : ""));
                int ret = add_mount(p, key, restore ? cg->hierarchies[i].path : key, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int add_config_mounts(const struct criu_plan_input *in, struct criu_plan *p, bool restore, nook_err *err)
{
        const struct spec *spec = in->spec;
        for (size_t i = 0; i < spec->mounts.len; i++) {
                const struct spec_mount *m = &spec->mounts.items[i];
                const char *mountpoint = mountpoint_of(in, p, i);
                int ret = 0;
                if (m->parsed.kind == MOUNT_KIND_BIND)
                        ret = add_mount(p, mountpoint, restore ? m->source : mountpoint, err);
                else if (m->parsed.kind == MOUNT_KIND_CGROUP)
                        ret = mountpoint == NULL ? nook_error(err, ENOMEM, "criu") :
                                                   add_cgroup_binds(in, p, mountpoint, restore, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* The device nodes: bound from the host in a user namespace, where the path in
 * the container is the host's path. */
static int add_devices(const struct criu_plan_input *in, struct criu_plan *p, nook_err *err)
{
        const struct spec_linux *linux_ = in->spec->linux;
        size_t n_config = linux_ != NULL ? linux_->devices.len : 0;
        if (rootfs_needs_dev(in->spec)) {
                size_t n_default = 0;
                const struct spec_device *defaults = devices_default(&n_default);
                for (size_t i = 0; i < n_default; i++) {
                        int ret = add_mount(p, defaults[i].path, defaults[i].path, err);
                        if (ret < 0)
                                return ret;
                }
        }
        for (size_t i = 0; i < n_config; i++) {
                int ret = add_mount(p, linux_->devices.items[i].path, linux_->devices.items[i].path, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int criu_plan_dump(const struct criu_plan_input *in, struct criu_plan *out, nook_err *err)
{
        *out = (struct criu_plan){ 0 };
        int ret = add_config_mounts(in, out, false, err);
        const struct spec_linux *linux_ = in->spec->linux;
        for (size_t i = 0; ret == 0 && linux_ != NULL && i < linux_->masked_paths.len; i++)
                if (in->masked_files != NULL && in->masked_files[i])
                        ret = add_mount(out, linux_->masked_paths.items[i], MASK_KEY, err);
        if (ret == 0)
                ret = add_devices(in, out, err);
        /* The network and pid namespaces given by path: criu leaves them, and finds
         * them again on restore under runc's keys. */
        for (size_t i = 0; ret == 0 && linux_ != NULL && i < linux_->namespaces.len; i++) {
                const struct spec_namespace *ns = &linux_->namespaces.items[i];
                const char *key = namespace_names[ns->type].inherit_key;
                if (ns->path == NULL || key == NULL)
                        continue;
                unsigned long inode = in->namespace_inodes != NULL ? in->namespace_inodes[ns->type] : 0;
                if (inode == 0)
                        return nook_error(err, ENOENT, "linux.namespaces[%zu].path: `%s`: its inode is unknown", i,
                                          ns->path);
                char *external = NULL;
                if (asprintf(&external, "%s[%lu]:%s", namespace_names[ns->type].criu_name, inode, key) < 0 ||
                    own(out, external) == NULL)
                        return nook_error(err, ENOMEM, "criu: external namespaces");
                char **bigger = realloc(out->external, (out->n_external + 1) * sizeof(char *));
                if (bigger == NULL)
                        return nook_error(err, ENOMEM, "criu: external namespaces");
                out->external = bigger;
                out->external[out->n_external++] = external;
        }
        return ret;
}

int criu_plan_restore(const struct criu_plan_input *in, struct criu_plan *out, nook_err *err)
{
        *out = (struct criu_plan){ 0 };
        int ret = add_config_mounts(in, out, true, err);
        const struct spec_linux *linux_ = in->spec->linux;
        if (ret == 0 && linux_ != NULL && linux_->masked_paths.len > 0)
                ret = add_mount(out, MASK_KEY, MASK_KEY, err);
        if (ret == 0)
                ret = add_devices(in, out, err);
        for (size_t i = 0; ret == 0 && linux_ != NULL && i < linux_->namespaces.len; i++) {
                const struct spec_namespace *ns = &linux_->namespaces.items[i];
                if (ns->path == NULL)
                        continue;
                /* criu has no way to join a cgroup namespace (runc refuses it too). */
                if (ns->type == NS_CGROUP)
                        return nook_error(err, ENOTSUP, "linux.namespaces[%zu]: criu cannot restore into a cgroup "
                                                        "namespace given by path (`%s`)",
                                          i, ns->path);
                out->namespaces[out->n_namespaces++] = (struct criu_plan_namespace){
                        .type = ns->type,
                        .path = ns->path,
                        .criu_name = namespace_names[ns->type].criu_name,
                        .inherit_key = namespace_names[ns->type].inherit_key,
                };
        }
        return ret;
}

void criu_plan_free(struct criu_plan *plan)
{
        for (size_t i = 0; i < plan->n_owned; i++)
                free(plan->owned[i]);
        free(plan->owned);
        free(plan->mounts);
        free(plan->external);
        *plan = (struct criu_plan){ 0 };
}

int criu_plan_empty_ns(const char *const *names, size_t n, unsigned *mask, nook_err *err)
{
        *mask = CLONE_NEWNET;
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], "network") != 0)
                        return nook_error(err, 0, "--empty-ns: namespace \"%s\" is not supported (only \"network\")",
                                          names[i]);
        return 0;
}
