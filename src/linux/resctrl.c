/* resctrl groups by directory fd: mkdirat, and one write per file (a tasks file
 * takes one pid per write; a schemata file takes its lines in one write). */
#define _GNU_SOURCE
#include "linux/resctrl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/introspect_mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"

int resctrl_open(nook_err *err)
{
        struct mount_table mounts = { 0 };
        int ret = mount_table_read(AT_FDCWD, "/proc/self/mountinfo", &mounts, err);
        if (ret < 0)
                return ret;
        int fd = -ENOENT;
        for (size_t i = mounts.n; i-- > 0 && fd == -ENOENT;)
                if (strcmp(mounts.entries[i].fstype, "resctrl") == 0) {
                        fd = open(mounts.entries[i].mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (fd < 0)
                                fd = nook_error_errno(err, "open the resctrl mount `%s`", mounts.entries[i].mountpoint);
                }
        mount_table_free(&mounts);
        if (fd == -ENOENT)
                return nook_error(err, ENOENT, "no resctrl filesystem is mounted in nook's mount namespace (Intel RDT "
                                               "needs the hardware, and `mount -t resctrl resctrl /sys/fs/resctrl`)");
        return fd;
}

/* The container's group, relative to the root: closID, "." for "/", or the id. */
static const char *group_of(const struct spec_intel_rdt *rdt, const char *id)
{
        if (rdt->clos_id == NULL)
                return id;
        return strcmp(rdt->clos_id, "/") == 0 ? "." : rdt->clos_id;
}

static int monitoring_group(const char *group, const char *id, char **out)
{
        return asprintf(out, "%s/mon_groups/%s", group, id) < 0 ? -ENOMEM : 0;
}

static bool has_schema(const struct spec_intel_rdt *rdt)
{
        return rdt->l3_cache_schema != NULL || rdt->mem_bw_schema != NULL || rdt->schemata.len > 0;
}

static bool exists_at(int dirfd, const char *path)
{
        struct stat st;
        return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The value of domain `id` on a schemata line "L3:0=7ff;1=7ff" (after its "NAME:"). */
static bool domain_value(const char *domains, unsigned long id, int base, unsigned long long *value)
{
        for (const char *p = domains; *p != '\0';) {
                char *end;
                unsigned long got = strtoul(p, &end, 10);
                if (end == p || *end != '=')
                        return false;
                unsigned long long v = strtoull(end + 1, &end, base);
                if (got == id) {
                        *value = v;
                        return true;
                }
                p = end + strspn(end, "; \t");
        }
        return false;
}

/* Whether the group's schemata (the kernel's text: one resource a line, padded with
 * spaces, values without leading zeros) holds every domain of the line `wanted`. */
static bool schema_matches(const char *wanted, const char *schemata)
{
        const char *colon = strchr(wanted, ':');
        if (colon == NULL)
                return false;
        size_t name_len = (size_t)(colon - wanted);
        int base = name_len == 2 && strncmp(wanted, "MB", 2) == 0 ? 10 : 16; /* bandwidth, else a bit mask */
        const char *line = NULL;
        for (const char *p = schemata; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
                const char *name = p + strspn(p, " \t");
                if (strncmp(name, wanted, name_len) == 0 && name[name_len] == ':') {
                        line = name + name_len + 1;
                        break;
                }
        }
        if (line == NULL)
                return false;
        _cleanup_free_ char *have = strndup(line, strcspn(line, "\n"));
        for (const char *p = colon + 1; have != NULL && *p != '\0';) {
                char *end;
                unsigned long id = strtoul(p, &end, 10);
                if (end == p || *end != '=')
                        return false;
                unsigned long long want = strtoull(end + 1, &end, base), got;
                if (!domain_value(have, id, base, &got) || got != want)
                        return false;
                p = end + strspn(end, "; \t");
        }
        return have != NULL;
}

static int check_matches(int group, const char *field, const char *wanted, nook_err *err)
{
        if (wanted == NULL)
                return 0;
        _cleanup_close_ int fd = openat(group, "schemata", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        int ret = fd < 0 ? nook_error_errno(err, "open `schemata`") : read_all_fd(fd, &text, NULL, err);
        if (ret < 0)
                return nook_error_wrap(err, "linux.intelRdt.%s", field);
        size_t len = strlen(text);
        while (len > 0 && text[len - 1] == '\n')
                len--;
        if (!schema_matches(wanted, text))
                return nook_error(err, 0, "linux.intelRdt.%s: \"%s\" does not match the schemata of the existing "
                                          "group: \"%.*s\"", field, wanted, (int)len, text);
        return 0;
}

int resctrl_check_at(int root, const struct spec_intel_rdt *rdt, const char *id, nook_err *err)
{
        static const struct {
                const char *field, *info;
        } needs[] = { { "l3CacheSchema", "info/L3" }, { "memBwSchema", "info/MB" }, { "enableMonitoring", "info/L3_MON" } };
        const bool asked[] = { rdt->l3_cache_schema != NULL, rdt->mem_bw_schema != NULL, rdt->enable_monitoring };
        for (size_t i = 0; i < ARRAY_SIZE(needs); i++)
                /* With CDP on, L3 shows as L3CODE and L3DATA. */
                if (asked[i] && !exists_at(root, needs[i].info) && !(i == 0 && exists_at(root, "info/L3CODE")))
                        return nook_error(err, ENOTSUP, "linux.intelRdt.%s: this host's resctrl has no `%s`",
                                          needs[i].field, needs[i].info);
        const char *group = group_of(rdt, id);
        _cleanup_free_ char *mon = NULL;
        if (rdt->enable_monitoring && monitoring_group(group, id, &mon) < 0)
                return nook_error(err, ENOMEM, "resctrl");
        if (mon != NULL && exists_at(root, mon))
                return nook_error(err, EEXIST, "linux.intelRdt.enableMonitoring: the resctrl group `%s` exists already",
                                  mon);
        if (rdt->clos_id == NULL && exists_at(root, group))
                return nook_error(err, EEXIST, "linux.intelRdt: the resctrl group `%s` of the container exists already",
                                  group);
        if (rdt->clos_id != NULL && !exists_at(root, group)) {
                if (!has_schema(rdt))
                        return nook_error(err, ENOENT, "linux.intelRdt.closID: no resctrl group `%s` (without a schema "
                                                       "it must exist)", rdt->clos_id);
                return 0;
        }
        if (rdt->clos_id == NULL)
                return 0;
        /* An existing group is shared: what the config says of it must be true. */
        _cleanup_close_ int fd = openat(root, group, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "linux.intelRdt.closID: open `%s`", group);
        int ret = check_matches(fd, "l3CacheSchema", rdt->l3_cache_schema, err);
        return ret < 0 ? ret : check_matches(fd, "memBwSchema", rdt->mem_bw_schema, err);
}

/* One write, as the kernel wants it. O_CREAT changes nothing on resctrl, whose
 * groups come with their files; it lets a test use a plain directory. */
static int write_at(int dirfd, const char *dir, const char *file, const char *text, nook_err *err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return nook_error(err, ENOMEM, "resctrl");
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return nook_error_errno(err, "open resctrl `%s`", path);
        ssize_t n = write(fd, text, strlen(text));
        if (n < 0)
                return nook_error_errno(err, "write \"%.*s\" to resctrl `%s`", (int)strcspn(text, "\n"), text, path);
        return 0;
}

static int write_schemata(int root, const char *group, const struct spec_intel_rdt *rdt, nook_err *err)
{
        if (!has_schema(rdt))
                return 0;
        size_t len = 1;
        const char *first[] = { rdt->l3_cache_schema, rdt->mem_bw_schema };
        for (size_t i = 0; i < 2; i++)
                len += first[i] != NULL ? strlen(first[i]) + 1 : 0;
        for (size_t i = 0; i < rdt->schemata.len; i++)
                len += strlen(rdt->schemata.items[i]) + 1;
        _cleanup_free_ char *text = calloc(1, len);
        if (text == NULL)
                return nook_error(err, ENOMEM, "resctrl schemata");
        /* In the spec's order: l3CacheSchema, memBwSchema, then schemata. */
        for (size_t i = 0; i < 2; i++)
                if (first[i] != NULL)
                        strcat(strcat(text, first[i]), "\n");
        for (size_t i = 0; i < rdt->schemata.len; i++)
                strcat(strcat(text, rdt->schemata.items[i]), "\n");
        int ret = write_at(root, group, "schemata", text, err);
        return ret < 0 ? nook_error_wrap(err, "linux.intelRdt") : 0;
}

int resctrl_join_at(int root, const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err)
{
        const char *group = group_of(rdt, id);
        char text[32];
        snprintf(text, sizeof(text), "%d", pid);
        int ret = write_at(root, group, "tasks", text, err);
        if (ret == 0 && rdt->enable_monitoring) {
                /* A monitoring group takes only tasks of its parent group: that one first. */
                _cleanup_free_ char *mon = NULL;
                ret = monitoring_group(group, id, &mon) < 0 ? nook_error(err, ENOMEM, "resctrl")
                                                            : write_at(root, mon, "tasks", text, err);
        }
        return ret < 0 ? nook_error_wrap(err, "linux.intelRdt") : 0;
}

int resctrl_join_new_at(int root, const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err)
{
        const char *group = group_of(rdt, id);
        bool made = false;
        int ret = 0;
        if (!exists_at(root, group)) {
                if (mkdirat(root, group, 0755) < 0)
                        return nook_error_errno(err, "linux.intelRdt: make the resctrl group `%s`", group);
                made = true;
        }
        ret = write_schemata(root, group, rdt, err);
        _cleanup_free_ char *mon = NULL;
        if (ret == 0 && rdt->enable_monitoring) {
                if (monitoring_group(group, id, &mon) < 0)
                        ret = nook_error(err, ENOMEM, "resctrl");
                else if (mkdirat(root, mon, 0755) < 0)
                        ret = nook_error_errno(err, "linux.intelRdt.enableMonitoring: make `%s`", mon);
        }
        if (ret == 0)
                ret = resctrl_join_at(root, rdt, id, pid, err);
        if (ret < 0 && mon != NULL)
                unlinkat(root, mon, AT_REMOVEDIR);
        if (ret < 0 && made)
                unlinkat(root, group, AT_REMOVEDIR);
        return ret;
}

int resctrl_remove_at(int root, const struct spec_intel_rdt *rdt, const char *id, nook_err *err)
{
        const char *group = group_of(rdt, id);
        _cleanup_free_ char *mon = NULL;
        /* The group named after the container takes its monitoring group with it. */
        const char *path = group;
        if (rdt->clos_id != NULL) {
                if (!rdt->enable_monitoring)
                        return 0;
                if (monitoring_group(group, id, &mon) < 0)
                        return nook_error(err, ENOMEM, "resctrl");
                path = mon;
        }
        if (unlinkat(root, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return nook_error_errno(err, "linux.intelRdt: remove the resctrl group `%s`", path);
        return 0;
}

/* The same on the resctrl mount of nook's mount namespace. */

static int open_root(nook_err *err)
{
        int root = resctrl_open(err);
        return root < 0 ? nook_error_wrap(err, "linux.intelRdt") : root;
}

int resctrl_check(const struct spec_intel_rdt *rdt, const char *id, nook_err *err)
{
        _cleanup_close_ int root = open_root(err);
        return root < 0 ? root : resctrl_check_at(root, rdt, id, err);
}

int resctrl_join_new(const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err)
{
        _cleanup_close_ int root = open_root(err);
        return root < 0 ? root : resctrl_join_new_at(root, rdt, id, pid, err);
}

int resctrl_join(const struct spec_intel_rdt *rdt, const char *id, pid_t pid, nook_err *err)
{
        _cleanup_close_ int root = open_root(err);
        return root < 0 ? root : resctrl_join_at(root, rdt, id, pid, err);
}

int resctrl_remove(const struct spec_intel_rdt *rdt, const char *id, nook_err *err)
{
        _cleanup_close_ int root = open_root(err);
        return root < 0 ? root : resctrl_remove_at(root, rdt, id, err);
}
