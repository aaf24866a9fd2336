/* The systemd driver's names and paths (runc's docs/systemd.md "unit name and
 * placement"): pure string work, unit-tested. */
#define _GNU_SOURCE
#include "linux/systemd_unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"

#define FIELD "linux.cgroupsPath"
#define SLICE_SUFFIX ".slice"
#define UNIT_NAME_MAX 255

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The characters systemd allows in a unit name (unit_name_is_valid), ':' aside. */
static bool valid_unit_chars(const char *s)
{
        for (; *s != '\0'; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      strchr("-_.\\@", *s) != NULL))
                        return false;
        return true;
}

int systemd_expand_slice(const char *slice, char **path, nook_err *err)
{
        size_t len = strlen(slice);
        if (len <= strlen(SLICE_SUFFIX) || !ends_with(slice, SLICE_SUFFIX))
                return nook_error(err, 0, FIELD ": slice \"%s\" is not a slice name (\"<name>.slice\")", slice);
        if (strchr(slice, '/') != NULL)
                return nook_error(err, 0, FIELD ": slice \"%s\" must not contain \"/\"", slice);
        if (!valid_unit_chars(slice) || len > UNIT_NAME_MAX)
                return nook_error(err, 0, FIELD ": slice \"%s\" is not a valid unit name", slice);
        size_t base = len - strlen(SLICE_SUFFIX);
        if (base == 1 && slice[0] == '-') {
                *path = strdup("");
                return *path != NULL ? 0 : nook_error(err, ENOMEM, FIELD);
        }
        if (slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2) != NULL)
                return nook_error(err, 0,
                                  FIELD ": slice \"%s\": a dash separates parent and child slices, so it may not "
                                        "lead, trail or double",
                                  slice);
        /* Each dash closes one level: a-b-c.slice is in a-b.slice, which is in a.slice. */
        size_t levels = 1;
        for (size_t i = 0; i < base; i++)
                levels += slice[i] == '-';
        char *out = malloc(levels * (len + 2) + 1);
        if (out == NULL)
                return nook_error(err, ENOMEM, FIELD);
        char *w = out;
        for (size_t i = 0; i <= base; i++) {
                if (i == base || slice[i] == '-') {
                        *w++ = '/';
                        memcpy(w, slice, i);
                        w += i;
                        w = stpcpy(w, SLICE_SUFFIX);
                }
        }
        *w = '\0';
        *path = out;
        return 0;
}

void systemd_unit_free(struct systemd_unit *u)
{
        free(u->slice);
        free(u->slice_path);
        free(u->name);
        memset(u, 0, sizeof(*u));
}

int systemd_unit_parse(const char *cgroups_path, const char *id, bool rootless, struct systemd_unit *out,
                       nook_err *err)
{
        memset(out, 0, sizeof(*out));
        const char *default_slice = rootless ? "user.slice" : "system.slice";
        _cleanup_free_ char *path = NULL;
        if (cgroups_path == NULL || cgroups_path[0] == '\0') {
                if (asprintf(&path, "%s:nook:%s", default_slice, id) < 0)
                        return nook_error(err, ENOMEM, FIELD);
        } else {
                path = strdup(cgroups_path);
                if (path == NULL)
                        return nook_error(err, ENOMEM, FIELD);
        }
        char *c1 = strchr(path, ':');
        char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL || strchr(c2 + 1, ':') != NULL)
                return nook_error(err, 0,
                                  FIELD ": \"%s\": with --systemd-cgroup it must be \"slice:prefix:name\", as "
                                        "\"%s:nook:%s\"",
                                  path, default_slice, id);
        *c1 = *c2 = '\0';
        const char *slice = path[0] != '\0' ? path : default_slice, *prefix = c1 + 1, *name = c2 + 1;
        if (name[0] == '\0')
                return nook_error(err, 0, FIELD ": \"%s:%s:\": the name (after the second \":\") is empty", slice,
                                  prefix);
        struct systemd_unit u = { 0 };
        int ret = systemd_expand_slice(slice, &u.slice_path, err);
        if (ret < 0)
                return ret;
        u.slice = strdup(slice);
        u.is_slice = ends_with(name, SLICE_SUFFIX);
        /* runc: a name ending in ".slice" is the unit itself, a slice; else the scope
         * "prefix-name.scope" (just "name.scope" when there is no prefix). */
        if (u.is_slice)
                u.name = strdup(name);
        else if (asprintf(&u.name, "%s%s%s.scope", prefix, prefix[0] != '\0' ? "-" : "", name) < 0)
                u.name = NULL;
        if (u.slice == NULL || u.name == NULL) {
                systemd_unit_free(&u);
                return nook_error(err, ENOMEM, FIELD);
        }
        if (strchr(u.name, '/') != NULL || !valid_unit_chars(u.name) || strlen(u.name) > UNIT_NAME_MAX) {
                ret = nook_error(err, 0,
                                 FIELD ": unit \"%s\" is not a valid systemd unit name (letters, digits, "
                                       "\"-_.\\@\", at most %d characters)",
                                 u.name, UNIT_NAME_MAX);
                systemd_unit_free(&u);
                return ret;
        }
        if (u.is_slice) {
                /* A slice's place comes from its own name; it must check like any slice. */
                _cleanup_free_ char *own = NULL;
                ret = systemd_expand_slice(u.name, &own, err);
                if (ret < 0) {
                        systemd_unit_free(&u);
                        return ret;
                }
        }
        *out = u;
        return 0;
}

int systemd_unit_cgroup(const struct systemd_unit *u, const char *manager_cgroup, char **out, nook_err *err)
{
        const char *manager = manager_cgroup != NULL && strcmp(manager_cgroup, "/") != 0 ? manager_cgroup : "";
        int r;
        if (u->is_slice) {
                /* systemd places a slice by its name alone (a-b.slice in a.slice), whatever its Wants=. */
                _cleanup_free_ char *own = NULL;
                r = systemd_expand_slice(u->name, &own, err);
                if (r < 0)
                        return r;
                r = asprintf(out, "%s%s", manager, own);
        } else {
                r = asprintf(out, "%s%s/%s", manager, u->slice_path, u->name);
        }
        return r < 0 ? nook_error(err, ENOMEM, "systemd unit cgroup") : 0;
}

int systemd_check_cgroup_mode(enum cgroup_mode mode, nook_err *err)
{
        if (mode == CGROUP_MODE_V2)
                return 0;
        return nook_error(err, ENOTSUP,
                          "--systemd-cgroup: this host's cgroups are %s; nook's systemd driver needs the unified "
                          "cgroup v2 hierarchy at `" CGROUP_ROOT "` (drop --systemd-cgroup to let nook manage the "
                          "cgroup itself)",
                          mode == CGROUP_MODE_V1 ? "v1" : "hybrid (v1 controllers)");
}

int systemd_cgroup_leaf(const char *unit_cgroup, struct cgroup **out, nook_err *err)
{
        if (unit_cgroup == NULL || unit_cgroup[0] != '/' || strcmp(unit_cgroup, "/") == 0)
                return nook_error(err, 0, "systemd unit cgroup \"%s\": not an absolute cgroup path below the root",
                                  unit_cgroup != NULL ? unit_cgroup : "");
        for (const char *p = unit_cgroup; *p != '\0';) {
                while (*p == '/')
                        p++;
                size_t n = strcspn(p, "/");
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return nook_error(err, 0, "systemd unit cgroup \"%s\": \".\" and \"..\" are not allowed",
                                          unit_cgroup);
                p += n;
        }
        struct cgroup *cg = calloc(1, sizeof(*cg));
        struct cgroup_hierarchy *h = calloc(1, sizeof(*h));
        if (cg == NULL || h == NULL) {
                free(cg);
                free(h);
                return nook_error(err, ENOMEM, "systemd cgroup");
        }
        cg->mode = CGROUP_MODE_V2;
        cg->v2_fd = -1;
        cg->hierarchies = h;
        cg->n_hierarchies = 1;
        h->v2 = true;
        h->created = 1; /* the leaf; the unit's directory is systemd's */
        h->controllers = strdup("");
        h->mount = strdup(CGROUP_ROOT);
        size_t len = strlen(unit_cgroup);
        while (len > 1 && unit_cgroup[len - 1] == '/')
                len--;
        if (asprintf(&h->path, CGROUP_ROOT "%.*s/" SYSTEMD_LEAF, (int)len, unit_cgroup) < 0)
                h->path = NULL;
        if (h->controllers == NULL || h->mount == NULL || h->path == NULL) {
                /* Freed here rather than with cgroup_free: cgroup.c calls this file, not the reverse. */
                free(h->controllers);
                free(h->mount);
                free(h->path);
                free(h);
                free(cg);
                return nook_error(err, ENOMEM, "systemd cgroup");
        }
        *out = cg;
        return 0;
}
