/* `nook inspect`: the container's mounts, what really covers its masked and
 * read-only paths, and whether those mounts are locked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/inspect.h"
#include "linux/introspect_mounts.h"
#include "util/cleanup.h"

#define CAP_BIT(n) (1ULL << (n))
#define CAP_SYS_ADMIN_BIT 21

/* What each path of the default masked list would show (seed 000 and the runc/Docker history). */
static const struct {
        const char *path;
        const char *why;
} leak_reasons[] = {
        { "/proc/acpi", "ACPI interfaces of the host's hardware" },
        { "/proc/asound", "the host's sound activity and monitor models (seed 000)" },
        { "/proc/kcore", "an image of the host kernel's memory" },
        { "/proc/keys", "the kernel keyrings visible to its uid, and other keys' descriptions" },
        { "/proc/latency_stats", "host-wide latency records" },
        { "/proc/timer_list", "every host timer, with the pids and functions that set it" },
        { "/proc/timer_stats", "which host processes set timers" },
        { "/proc/sched_debug", "every host task and its scheduling state" },
        { "/proc/scsi", "the host's SCSI devices (and a rescan trigger)" },
        { "/sys/firmware", "firmware tables of the host (ACPI, EFI, DMI)" },
        { "/sys/devices/virtual/powercap", "power meters: a side channel on host activity" },
};

static const char *leak_reason(const char *path)
{
        for (size_t i = 0; i < ARRAY_SIZE(leak_reasons); i++)
                if (strcmp(leak_reasons[i].path, path) == 0)
                        return leak_reasons[i].why;
        return "what the config meant to hide";
}

static bool strings_contain(const spec_strings *list, const char *path)
{
        for (size_t i = 0; list != NULL && i < list->len; i++)
                if (strcmp(list->items[i], path) == 0)
                        return true;
        return false;
}

/* ---- mounts and propagation ---- */

static json_object *mounts_json(struct inspect *in, const struct mount_table *mounts,
                                const struct mount_table *host)
{
        json_object *list = json_object_new_array();
        size_t shared = 0, receiving = 0;
        const char *first_shared = NULL, *first_receiving = NULL;
        for (size_t i = 0; i < mounts->n; i++) {
                const struct mount_entry *m = &mounts->entries[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_int(m->id));
                json_object_object_add(o, "parent", json_object_new_int(m->parent));
                inspect_add_string(o, "mountpoint", m->mountpoint);
                inspect_add_string(o, "root", m->root);
                inspect_add_string(o, "type", m->fstype);
                inspect_add_string(o, "source", m->source);
                json_object_object_add(o, "readOnly", json_object_new_boolean(m->readonly));
                inspect_add_string(o, "options", m->options);
                char propagation[64];
                inspect_add_string(o, "propagation", mount_propagation_string(m, propagation, sizeof(propagation)));
                /* Peer group ids are global: the same id on the host means the same group. */
                const char *peer = NULL;
                if (host != NULL && in->own[NS_MOUNT]) {
                        if (mount_table_has_peer_group(host, m->shared))
                                peer = "shared";
                        else if (mount_table_has_peer_group(host, m->master))
                                peer = "receives";
                }
                inspect_add_string(o, "hostPeer", peer);
                if (peer != NULL && strcmp(peer, "shared") == 0 && shared++ == 0)
                        first_shared = m->mountpoint;
                if (peer != NULL && strcmp(peer, "receives") == 0 && receiving++ == 0)
                        first_receiving = m->mountpoint;
                json_object_array_add(list, o);
        }
        char what[512];
        if (shared > 0) {
                snprintf(what, sizeof(what), "%zu mount%s in the same peer group as a host mount (first: %s)",
                         shared, shared == 1 ? "" : "s", first_shared);
                inspect_add_verdict(in, VERDICT_SERIOUS, what,
                                    "mounts and unmounts on either side propagate to the other (shared "
                                    "sub-trees, seed 000)");
        }
        if (receiving > 0) {
                snprintf(what, sizeof(what), "%zu mount%s receive%s mounts from the host (first: %s)", receiving,
                         receiving == 1 ? "" : "s", receiving == 1 ? "s" : "", first_receiving);
                inspect_add_verdict(in, VERDICT_WARNING, what,
                                    "whatever the host mounts below them later (a disk, a secret) appears in "
                                    "the container; nothing goes back");
        }
        return list;
}

/* ---- masked and read-only paths ---- */

struct checked_path {
        const char *path;
        bool masked_kind; /* a masked path; else one that should be read-only */
        struct path_facts facts;
        bool covered; /* masked: the mask is really there; read-only: the ro flag is set */
};

static bool mask_covers(const struct path_facts *f)
{
        if (!f->mountpoint)
                return false;
        if (f->is_dir)
                return f->fs_type == TMPFS_MAGIC && f->readonly && f->empty;
        return f->null_device;
}

static json_object *masked_json(struct inspect *in, const struct checked_path *c, bool configured, bool in_default)
{
        const struct path_facts *f = &c->facts;
        json_object *o = json_object_new_object();
        inspect_add_string(o, "path", c->path);
        json_object_object_add(o, "configured", json_object_new_boolean(configured));
        json_object_object_add(o, "default", json_object_new_boolean(in_default));
        json_object_object_add(o, "exists", json_object_new_boolean(f->exists));
        json_object_object_add(o, "masked", json_object_new_boolean(c->covered));
        const char *by = !c->covered ? NULL : f->is_dir ? "empty read-only tmpfs" : "null device";
        inspect_add_string(o, "maskedBy", by);
        char detail[256] = "";
        if (f->exists && !c->covered) {
                const char *fs = fs_type_name(f->fs_type);
                snprintf(detail, sizeof(detail), "%s %s on %s%s", f->is_dir ? "directory" : "file",
                         f->mountpoint ? "mounted" : "visible", fs != NULL ? fs : "an unknown filesystem",
                         f->mountpoint && f->is_dir && !f->empty ? ", not empty" : "");
                inspect_add_string(o, "shows", detail);
                char what[512];
                snprintf(what, sizeof(what), configured ? "%s is listed as masked but is not masked"
                                                        : "%s exists but is not masked",
                         c->path);
                char why[512];
                snprintf(why, sizeof(why), "the container can read %s%s", leak_reason(c->path),
                         configured ? "" : " (it is on nook's default masked list)");
                inspect_add_verdict(in, VERDICT_SERIOUS, what, why);
        }
        return o;
}

/* Kernel paths whose writability matters whatever the config says. */
static const struct {
        const char *path;
        const char *why;
} kernel_paths[] = {
        { "/sys", "it can write kernel, device and driver settings" },
        { "/proc/sys", "it can change the host kernel's settings (sysctl)" },
};

static json_object *readonly_json(struct inspect *in, const struct checked_path *c, bool configured)
{
        const struct path_facts *f = &c->facts;
        json_object *o = json_object_new_object();
        inspect_add_string(o, "path", c->path);
        json_object_object_add(o, "configured", json_object_new_boolean(configured));
        json_object_object_add(o, "exists", json_object_new_boolean(f->exists));
        json_object_object_add(o, "readOnly", json_object_new_boolean(c->covered));
        if (!f->exists || c->covered)
                return o;
        const char *why = "the config asked for it to be read-only";
        for (size_t i = 0; i < ARRAY_SIZE(kernel_paths); i++)
                if (strcmp(kernel_paths[i].path, c->path) == 0)
                        why = kernel_paths[i].why;
        char what[512];
        snprintf(what, sizeof(what), "%s is writable", c->path);
        /* In a user namespace the kernel still checks most of these files against host root. */
        inspect_add_verdict(in, configured || !in->own[NS_USER] ? VERDICT_SERIOUS : VERDICT_WARNING, what, why);
        return o;
}

static int check_path(struct inspect *in, const char *path, bool masked_kind, struct checked_path *out,
                      nook_err *err)
{
        *out = (struct checked_path){ .path = path, .masked_kind = masked_kind };
        int ret = path_facts_in_root(in->rootfd, path, &out->facts, err);
        if (ret < 0)
                return nook_error_wrap(err, "check `%s`", path);
        out->covered = masked_kind ? mask_covers(&out->facts) : out->facts.exists && out->facts.readonly;
        return 0;
}

struct path_list {
        struct checked_path *items;
        size_t len, cap;
};

static struct checked_path *path_list_add(struct path_list *l)
{
        if (l->len == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 32;
                struct checked_path *bigger = realloc(l->items, cap * sizeof(*bigger));
                if (bigger == NULL)
                        return NULL;
                l->items = bigger;
                l->cap = cap;
        }
        return &l->items[l->len++];
}

static int check_paths(struct inspect *in, const spec_strings *defaults, struct path_list *checked, nook_err *err)
{
        const spec_strings *masked = in->config && in->config->linux ? &in->config->linux->masked_paths : NULL;
        const spec_strings *readonly = in->config && in->config->linux ? &in->config->linux->readonly_paths : NULL;
        json_object *masked_list = json_object_new_array();
        json_object *readonly_list = json_object_new_array();
        json_object_object_add(in->report, "maskedPaths", masked_list);
        json_object_object_add(in->report, "readonlyPaths", readonly_list);
        /* The configured masked paths, then the default ones the config left out. */
        for (int pass = 0; pass < 2; pass++) {
                const spec_strings *list = pass == 0 ? masked : defaults;
                for (size_t i = 0; list != NULL && i < list->len; i++) {
                        const char *path = list->items[i];
                        if (pass == 1 && strings_contain(masked, path))
                                continue;
                        struct checked_path *c = path_list_add(checked);
                        if (c == NULL)
                                return nook_error(err, ENOMEM, "check masked paths");
                        int ret = check_path(in, path, true, c, err);
                        if (ret < 0)
                                return ret;
                        json_object_array_add(masked_list,
                                              masked_json(in, c, pass == 0, strings_contain(defaults, path)));
                }
        }
        for (size_t i = 0; readonly != NULL && i < readonly->len; i++) {
                struct checked_path *c = path_list_add(checked);
                if (c == NULL)
                        return nook_error(err, ENOMEM, "check read-only paths");
                int ret = check_path(in, readonly->items[i], false, c, err);
                if (ret < 0)
                        return ret;
                json_object_array_add(readonly_list, readonly_json(in, c, true));
        }
        for (size_t i = 0; i < ARRAY_SIZE(kernel_paths); i++) {
                if (strings_contain(readonly, kernel_paths[i].path))
                        continue;
                struct checked_path *c = path_list_add(checked);
                if (c == NULL)
                        return nook_error(err, ENOMEM, "check read-only paths");
                int ret = check_path(in, kernel_paths[i].path, false, c, err);
                if (ret < 0)
                        return ret;
                json_object_array_add(readonly_list, readonly_json(in, c, false));
        }
        return 0;
}

/* ---- locked mounts ---- */

static const char *probe_answer(int error, char *buf, size_t size)
{
        if (error == 0)
                return "allowed";
        if (error == EINVAL || error == EPERM)
                return "refused";
        snprintf(buf, size, "error: %s", strerror(error));
        return buf;
}

static void lock_verdict(struct inspect *in, size_t unlocked, size_t total)
{
        if (!in->own[NS_USER] || unlocked == 0)
                return;
        char what[256];
        snprintf(what, sizeof(what), "%zu of %zu masked and read-only mounts are not locked", unlocked, total);
        if (in->reachable_caps & CAP_BIT(CAP_SYS_ADMIN_BIT))
                inspect_add_verdict(in, VERDICT_SERIOUS, what,
                                    "it holds CAP_SYS_ADMIN in its user namespace, which owns these mounts: it "
                                    "can unmount the masks or make them writable (seed 002)");
        else
                inspect_add_verdict(in, VERDICT_NOTE, what,
                                    "they were made inside its own user namespace, so only the missing "
                                    "CAP_SYS_ADMIN keeps them in place (seed 002)");
}

static int probe_locks(struct inspect *in, const struct path_list *checked, json_object *o)
{
        _cleanup_free_ const char **paths = calloc(checked->len + 1, sizeof(*paths));
        _cleanup_free_ bool *try_remount = calloc(checked->len + 1, sizeof(*try_remount));
        _cleanup_free_ struct lock_probe *results = calloc(checked->len + 1, sizeof(*results));
        _cleanup_free_ const struct checked_path **which = calloc(checked->len + 1, sizeof(*which));
        if (paths == NULL || try_remount == NULL || results == NULL || which == NULL)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < checked->len; i++) {
                const struct checked_path *c = &checked->items[i];
                /* Only what is really mounted there: umount2 on a plain path says EINVAL too. */
                if (!c->facts.exists || !c->facts.mountpoint || (c->masked_kind && !c->covered))
                        continue;
                bool seen = false;
                for (size_t j = 0; j < n && !seen; j++)
                        seen = strcmp(paths[j], c->path) == 0;
                if (seen)
                        continue;
                which[n] = c;
                paths[n] = c->path;
                try_remount[n] = c->facts.readonly;
                n++;
        }
        _cleanup_close_ int userns = in->own[NS_USER] ? openat(in->procfd, "ns/user", O_RDONLY | O_CLOEXEC) : -1;
        _cleanup_close_ int mntns = openat(in->procfd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        _cleanup_error_ nook_err probe_err = NULL;
        int ret = (in->own[NS_USER] && userns < 0) || mntns < 0
                          ? nook_error_errno(&probe_err, "open the container's namespaces")
                          : mount_probe_locks(userns, mntns, in->rootfd, paths, try_remount, n, results, &probe_err);
        if (ret < 0) {
                json_object_object_add(o, "checked", json_object_new_boolean(false));
                inspect_add_string(o, "error", probe_err->msg);
                char what[512];
                snprintf(what, sizeof(what), "locked mounts could not be checked: %s", probe_err->msg);
                inspect_add_verdict(in, VERDICT_NOTE, what, "nook inspect needs to join the container's namespaces");
                return 0;
        }
        json_object_object_add(o, "checked", json_object_new_boolean(true));
        json_object *list = json_object_new_array();
        json_object_object_add(o, "paths", list);
        size_t unlocked = 0;
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_new_object();
                char buf[128];
                inspect_add_string(p, "path", paths[i]);
                inspect_add_string(p, "kind", which[i]->masked_kind ? "masked" : "readonly");
                inspect_add_string(p, "unmount", probe_answer(results[i].unmount, buf, sizeof(buf)));
                inspect_add_string(p, "remountWritable",
                                   results[i].remount < 0 ? NULL : probe_answer(results[i].remount, buf, sizeof(buf)));
                bool locked = results[i].unmount == EINVAL && (results[i].remount < 0 || results[i].remount == EPERM);
                json_object_object_add(p, "locked", json_object_new_boolean(locked));
                unlocked += !locked;
                json_object_array_add(list, p);
        }
        lock_verdict(in, unlocked, n);
        return 0;
}

static struct spec *default_spec(void)
{
        _cleanup_free_ char *text = spec_default_json(false);
        struct spec *spec = NULL;
        if (text != NULL)
                spec_parse(text, strlen(text), &spec, NULL);
        return spec;
}

int inspect_mounts(struct inspect *in, nook_err *err)
{
        struct mount_table mounts = { 0 }, host = { 0 };
        int ret = mount_table_read(in->procfd, "mountinfo", &mounts, err);
        if (ret < 0)
                return nook_error_wrap(err, "read the container's mounts");
        bool have_host = mount_table_read(in->reffd, "mountinfo", &host, NULL) == 0;
        json_object_object_add(in->report, "mounts", mounts_json(in, &mounts, have_host ? &host : NULL));
        mount_table_free(&mounts);
        mount_table_free(&host);

        struct spec *defaults = default_spec();
        if (defaults == NULL || defaults->linux == NULL) {
                spec_free(defaults);
                return nook_error(err, EINVAL, "nook's default config does not parse");
        }
        struct path_list checked = { 0 };
        ret = check_paths(in, &defaults->linux->masked_paths, &checked, err);
        if (ret == 0) {
                json_object *locked = json_object_new_object();
                json_object_object_add(in->report, "lockedMounts", locked);
                json_object_object_add(locked, "userNamespace", json_object_new_boolean(in->own[NS_USER]));
                if (!in->own[NS_MOUNT]) {
                        json_object_object_add(locked, "checked", json_object_new_boolean(false));
                        inspect_add_string(locked, "error", "the container has no mount namespace of its own");
                } else if (probe_locks(in, &checked, locked) < 0) {
                        ret = nook_error(err, ENOMEM, "check locked mounts");
                }
        }
        free(checked.items);
        spec_free(defaults);
        return ret;
}
