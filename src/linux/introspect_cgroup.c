#define _GNU_SOURCE
#include "linux/introspect_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/introspect_mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/words.h"

/* cgroup v1 shows "no limit" as LONG_MAX rounded down to a page. */
#define V1_UNLIMITED_FROM 0x7ffffffffffff000LL

bool cgroup_names_controller(const char *controllers, const char *controller)
{
        return words_contain(controllers, ",", controller);
}

/* The mount of the caller that shows this hierarchy; for v1 every controller
 * of the line must be among the mount's super options. Prefers a mount of the
 * hierarchy's root. */
static const struct mount_entry *find_mount(const struct mount_table *t, const struct proc_cgroup *cg)
{
        const struct mount_entry *best = NULL;
        for (size_t i = 0; i < t->n; i++) {
                const struct mount_entry *m = &t->entries[i];
                bool v2 = cg->hierarchy == 0 && cg->controllers[0] == '\0';
                if (strcmp(m->fstype, v2 ? "cgroup2" : "cgroup") != 0)
                        continue;
                if (!v2) {
                        _cleanup_free_ char *copy = strdup(cg->controllers);
                        bool all = copy != NULL;
                        char *save = NULL;
                        for (char *c = copy ? strtok_r(copy, ",", &save) : NULL; c && all; c = strtok_r(NULL, ",", &save))
                                all = cgroup_names_controller(m->super_options, c);
                        if (!all)
                                continue;
                }
                if (best == NULL || (strcmp(m->root, "/") == 0 && strcmp(best->root, "/") != 0))
                        best = m;
        }
        return best;
}

/* mountpoint + the part of path below the mount's root, or NULL when the path is not under it. */
static char *dir_in_mount(const struct mount_entry *m, const char *path)
{
        size_t rlen = strcmp(m->root, "/") == 0 ? 0 : strlen(m->root);
        if (rlen > 0 && (strncmp(path, m->root, rlen) != 0 || (path[rlen] != '/' && path[rlen] != '\0')))
                return NULL;
        const char *rest = path + rlen;
        char *dir = NULL;
        if (asprintf(&dir, "%s%s", m->mountpoint, strcmp(rest, "/") == 0 ? "" : rest) < 0)
                return NULL;
        return dir;
}

void proc_cgroups_free(struct proc_cgroup *cgroups, size_t n)
{
        for (size_t i = 0; cgroups != NULL && i < n; i++) {
                free(cgroups[i].controllers);
                free(cgroups[i].path);
                free(cgroups[i].dir);
        }
        free(cgroups);
}

int proc_read_cgroups(int procfd, struct proc_cgroup **out, size_t *n, nook_err *err)
{
        *out = NULL;
        *n = 0;
        _cleanup_free_ char *text = NULL;
        int ret = read_file_at(procfd, "cgroup", &text, NULL, err);
        if (ret < 0)
                return ret;
        struct mount_table mounts;
        ret = mount_table_read(AT_FDCWD, "/proc/self/mountinfo", &mounts, err);
        if (ret < 0)
                return ret;
        size_t lines = 1;
        for (const char *p = text; *p != '\0'; p++)
                lines += *p == '\n';
        struct proc_cgroup *cgs = calloc(lines, sizeof(*cgs));
        if (cgs == NULL) {
                mount_table_free(&mounts);
                return nook_error(err, ENOMEM, "read cgroups");
        }
        size_t count = 0;
        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
                char *c1 = strchr(line, ':');
                char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
                if (c2 == NULL)
                        continue;
                *c1 = *c2 = '\0';
                struct proc_cgroup *cg = &cgs[count];
                cg->hierarchy = atoi(line);
                cg->controllers = strdup(c1 + 1);
                cg->path = strdup(c2 + 1);
                if (cg->controllers == NULL || cg->path == NULL) {
                        proc_cgroups_free(cgs, count + 1);
                        mount_table_free(&mounts);
                        return nook_error(err, ENOMEM, "read cgroups");
                }
                const struct mount_entry *m = find_mount(&mounts, cg);
                cg->dir = m != NULL ? dir_in_mount(m, cg->path) : NULL;
                count++;
        }
        mount_table_free(&mounts);
        *out = cgs;
        *n = count;
        return 0;
}

int cgroup_read_procs(const char *dir, pid_t **pids, size_t *n, nook_err *err)
{
        *pids = NULL;
        *n = 0;
        _cleanup_free_ char *path = path_join(dir, "cgroup.procs");
        if (path == NULL)
                return nook_error(err, ENOMEM, "read `%s/cgroup.procs`", dir);
        _cleanup_free_ char *text = NULL;
        int ret = read_file_at(AT_FDCWD, path, &text, NULL, err);
        if (ret < 0)
                return ret;
        size_t lines = 1;
        for (const char *p = text; *p != '\0'; p++)
                lines += *p == '\n';
        pid_t *out = calloc(lines, sizeof(*out));
        if (out == NULL)
                return nook_error(err, ENOMEM, "read `%s`", path);
        size_t count = 0;
        for (char *p = text; *p != '\0';) {
                char *end = NULL;
                long pid = strtol(p, &end, 10);
                if (end == p)
                        break;
                out[count++] = (pid_t)pid;
                p = end;
        }
        *pids = out;
        *n = count;
        return 0;
}

static bool read_text(const char *dir, const char *file, char **text)
{
        _cleanup_free_ char *path = path_join(dir, file);
        return path != NULL && read_file_at(AT_FDCWD, path, text, NULL, NULL) == 0;
}

static int64_t parse_value(const char *text)
{
        while (*text == ' ')
                text++;
        if (strncmp(text, "max", 3) == 0)
                return CGROUP_VALUE_UNLIMITED;
        char *end = NULL;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (end == text || errno != 0)
                return CGROUP_VALUE_UNKNOWN;
        if (v < 0 || v >= V1_UNLIMITED_FROM)
                return CGROUP_VALUE_UNLIMITED;
        return v;
}

/* The value of "key N" in a flat-keyed file (cpu.stat). */
static int64_t keyed_value(const char *text, const char *key)
{
        size_t len = strlen(key);
        for (const char *line = text; line != NULL && *line != '\0';) {
                if (strncmp(line, key, len) == 0 && line[len] == ' ')
                        return parse_value(line + len + 1);
                line = strchr(line, '\n');
                if (line != NULL)
                        line++;
        }
        return CGROUP_VALUE_UNKNOWN;
}

enum value_kind {
        VALUE_PLAIN,    /* the whole file is the number */
        VALUE_FIRST,    /* first of two fields (cpu.max quota) */
        VALUE_SECOND,   /* second of two fields (cpu.max period) */
        VALUE_USAGE_US, /* cpu.stat usage_usec, turned into ns */
};

static int64_t value_of(const char *text, enum value_kind kind)
{
        switch (kind) {
        case VALUE_PLAIN:
        case VALUE_FIRST:
                return parse_value(text);
        case VALUE_SECOND: {
                const char *space = strchr(text, ' ');
                return space != NULL ? parse_value(space + 1) : CGROUP_VALUE_UNKNOWN;
        }
        case VALUE_USAGE_US: {
                int64_t us = keyed_value(text, "usage_usec");
                return us >= 0 ? us * 1000 : us;
        }
        }
        return CGROUP_VALUE_UNKNOWN;
}

/* A limit is the lowest one on the way up to the root of the hierarchy. */
static void read_tightest(const char *dir, const char *file, enum value_kind kind, struct cgroup_value *out)
{
        _cleanup_free_ char *walk = strdup(dir);
        while (walk != NULL) {
                _cleanup_free_ char *text = NULL;
                if (!read_text(walk, file, &text))
                        break;
                int64_t v = value_of(text, kind);
                bool tighter = out->from == NULL ||
                               (v >= 0 && (out->value == CGROUP_VALUE_UNLIMITED || v < out->value));
                if (tighter) {
                        free(out->from);
                        out->from = strdup(walk);
                        out->value = v;
                }
                char *slash = strrchr(walk, '/');
                if (slash == NULL || slash == walk)
                        break;
                *slash = '\0';
        }
}

struct source {
        const char *v1_controller; /* NULL: cgroup2 only */
        const char *v1_file;
        const char *v2_file;
        enum value_kind v1_kind, v2_kind;
        bool limit;
};

/* cgroup2 first (the unified host, or a controller enabled there on a hybrid one), then v1. */
static void read_value(const struct proc_cgroup *cgs, size_t n, const struct source *s, struct cgroup_value *out)
{
        out->value = CGROUP_VALUE_UNKNOWN;
        out->from = NULL;
        for (int pass = 0; pass < 2 && out->from == NULL; pass++) {
                for (size_t i = 0; i < n && out->from == NULL; i++) {
                        const struct proc_cgroup *cg = &cgs[i];
                        bool v2 = cg->hierarchy == 0 && cg->controllers[0] == '\0';
                        if (cg->dir == NULL || (pass == 0) != v2)
                                continue;
                        if (!v2 && (s->v1_controller == NULL || !cgroup_names_controller(cg->controllers,
                                                                                         s->v1_controller)))
                                continue;
                        const char *file = v2 ? s->v2_file : s->v1_file;
                        enum value_kind kind = v2 ? s->v2_kind : s->v1_kind;
                        if (file == NULL)
                                continue;
                        if (s->limit) {
                                read_tightest(cg->dir, file, kind, out);
                                continue;
                        }
                        _cleanup_free_ char *text = NULL;
                        if (read_text(cg->dir, file, &text)) {
                                out->value = value_of(text, kind);
                                out->from = strdup(cg->dir);
                        }
                }
        }
}

void cgroup_read_usage(const struct proc_cgroup *cgs, size_t n, struct cgroup_usage *u)
{
        static const struct source memory_limit = { "memory", "memory.limit_in_bytes", "memory.max",
                                                    VALUE_PLAIN, VALUE_PLAIN, true };
        static const struct source memory_usage = { "memory", "memory.usage_in_bytes", "memory.current",
                                                    VALUE_PLAIN, VALUE_PLAIN, false };
        static const struct source pids_limit = { "pids", "pids.max", "pids.max", VALUE_PLAIN, VALUE_PLAIN, true };
        static const struct source pids_current = { "pids", "pids.current", "pids.current", VALUE_PLAIN,
                                                    VALUE_PLAIN, false };
        static const struct source cpu_quota = { "cpu", "cpu.cfs_quota_us", "cpu.max", VALUE_PLAIN, VALUE_FIRST,
                                                 false };
        static const struct source cpu_period = { "cpu", "cpu.cfs_period_us", "cpu.max", VALUE_PLAIN,
                                                  VALUE_SECOND, false };
        static const struct source cpu_shares = { "cpu", "cpu.shares", NULL, VALUE_PLAIN, VALUE_PLAIN, false };
        static const struct source cpu_weight = { NULL, NULL, "cpu.weight", VALUE_PLAIN, VALUE_PLAIN, false };
        static const struct source cpu_usage = { "cpuacct", "cpuacct.usage", "cpu.stat", VALUE_PLAIN,
                                                 VALUE_USAGE_US, false };
        read_value(cgs, n, &memory_limit, &u->memory_limit);
        read_value(cgs, n, &memory_usage, &u->memory_usage);
        read_value(cgs, n, &pids_limit, &u->pids_limit);
        read_value(cgs, n, &pids_current, &u->pids_current);
        read_value(cgs, n, &cpu_quota, &u->cpu_quota_us);
        read_value(cgs, n, &cpu_period, &u->cpu_period_us);
        read_value(cgs, n, &cpu_shares, &u->cpu_shares);
        read_value(cgs, n, &cpu_weight, &u->cpu_weight);
        read_value(cgs, n, &cpu_usage, &u->cpu_usage_ns);
}

void cgroup_usage_free(struct cgroup_usage *u)
{
        struct cgroup_value *values[] = { &u->memory_limit, &u->memory_usage, &u->pids_limit,
                                          &u->pids_current, &u->cpu_quota_us, &u->cpu_period_us,
                                          &u->cpu_shares, &u->cpu_weight, &u->cpu_usage_ns };
        for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
                free(values[i]->from);
                values[i]->from = NULL;
        }
}
