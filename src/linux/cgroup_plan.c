/* Where a container's cgroup goes: the host's cgroup mode, its hierarchies
 * (from mountinfo), and the plan of one directory per hierarchy from cgroupsPath;
 * and the free of what the plan (or the state file) made. */
#define _GNU_SOURCE
#include "linux/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/words.h"

int cgroup_detect_mode(enum cgroup_mode *mode, nook_err *err)
{
        static int cached = -1;
        if (cached >= 0) {
                *mode = cached;
                return 0;
        }
        struct statfs st;
        if (statfs(CGROUP_ROOT, &st) < 0)
                return nook_error_errno(err, "statfs `%s`", CGROUP_ROOT);
        if (st.f_type == CGROUP2_SUPER_MAGIC)
                cached = CGROUP_MODE_V2;
        else if (statfs(CGROUP_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
                cached = CGROUP_MODE_HYBRID;
        else
                cached = CGROUP_MODE_V1;
        *mode = cached;
        return 0;
}

/* ---- where things are ---- */

/* True when the comma lists a and b name the same set of controllers. */
bool cgroup_same_controllers(const char *a, const char *b)
{
        size_t count_a = 0, count_b = 0;
        for (const char *p = a; *p; p++)
                count_a += *p == ',';
        for (const char *p = b; *p; p++)
                count_b += *p == ',';
        if (count_a != count_b)
                return false;
        _cleanup_free_ char *copy = strdup(a);
        if (copy == NULL)
                return false;
        char *save = NULL;
        for (char *c = strtok_r(copy, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save))
                if (!words_contain(b, ",", c))
                        return false;
        return true;
}

struct cgroup_mount {
        char *mount;
        char *root;        /* root of the mount inside the hierarchy */
        char *controllers; /* from the super options; NULL for cgroup2 */
};

static void free_mounts(struct cgroup_mount *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].mount);
                free(m[i].root);
                free(m[i].controllers);
        }
        free(m);
}

/* The controller list of a v1 mount from its super options ("rw,cpu,cpuacct"). */
static char *controllers_from_options(const char *options)
{
        static const char *const generic[] = { "rw", "ro", "relatime", "noatime", "nosuid", "nodev",
                                               "noexec", "clone_children", "xattr", "noprefix",
                                               "cpuset_v2_mode", "favordynmods" };
        char *out = calloc(1, strlen(options) + 1);
        if (out == NULL)
                return NULL;
        _cleanup_free_ char *copy = strdup(options);
        if (copy == NULL) {
                free(out);
                return NULL;
        }
        char *save = NULL;
        for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
                bool skip = strncmp(o, "release_agent=", 14) == 0;
                for (size_t i = 0; i < ARRAY_SIZE(generic) && !skip; i++)
                        skip = strcmp(o, generic[i]) == 0;
                if (skip)
                        continue;
                if (out[0] != '\0')
                        strcat(out, ",");
                strcat(out, o);
        }
        return out;
}

static int read_cgroup_mounts(struct cgroup_mount **out, size_t *n_out, nook_err *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
                return nook_error_errno(err, "open `/proc/self/mountinfo`");
        struct cgroup_mount *mounts = NULL;
        size_t n = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                char *sep = strstr(line, " - ");
                if (sep == NULL)
                        continue;
                char fstype[32], source[256], options[1024];
                if (sscanf(sep + 3, "%31s %255s %1023s", fstype, source, options) != 3)
                        continue;
                bool v2 = strcmp(fstype, "cgroup2") == 0;
                if (!v2 && strcmp(fstype, "cgroup") != 0)
                        continue;
                _cleanup_free_ char *root = NULL, *mountpoint = NULL;
                if (sscanf(line, "%*s %*s %*s %ms %ms", &root, &mountpoint) != 2)
                        continue;
                struct cgroup_mount *bigger = realloc(mounts, (n + 1) * sizeof(*mounts));
                if (bigger == NULL) {
                        free_mounts(mounts, n);
                        return nook_error(err, ENOMEM, "read cgroup mounts");
                }
                mounts = bigger;
                mounts[n].mount = steal_pointer(&mountpoint);
                mounts[n].root = steal_pointer(&root);
                mounts[n].controllers = v2 ? NULL : controllers_from_options(options);
                n++;
        }
        *out = mounts;
        *n_out = n;
        return 0;
}

/* Rejects ".." so that a cgroupsPath can never climb out of a hierarchy. */
static int check_cgroups_path(const char *path, nook_err *err)
{
        for (const char *p = path; *p != '\0';) {
                size_t len = strcspn(p, "/");
                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return nook_error(err, 0, "linux.cgroupsPath: \"%s\" must not contain \"..\"", path);
                p += len;
                while (*p == '/')
                        p++;
        }
        return 0;
}

static int add_hierarchy(struct cgroup *cg, const char *controllers, const char *mount, const char *own,
                         const char *mount_root, const char *inner, bool v2)
{
        /* Our own cgroup as a path below the mount's root. */
        const char *rel = own;
        size_t root_len = strlen(mount_root);
        if (strcmp(mount_root, "/") != 0 && strncmp(own, mount_root, root_len) == 0)
                rel = own + root_len;
        _cleanup_free_ char *base = NULL;
        if (inner[0] == '/') {
                base = strdup("");
        } else if (v2) {
                /* On cgroup2 our own cgroup already holds processes, so its controllers cannot be
                 * delegated to a child: go beside it, under its parent, as runc does. */
                base = strdup(rel);
                char *slash = base != NULL ? strrchr(base, '/') : NULL;
                if (slash != NULL)
                        *slash = '\0';
        } else {
                base = strdup(rel);
        }
        if (base == NULL)
                return -ENOMEM;
        struct cgroup_hierarchy *bigger = realloc(cg->hierarchies, (cg->n_hierarchies + 1) * sizeof(*bigger));
        if (bigger == NULL)
                return -ENOMEM;
        cg->hierarchies = bigger;
        struct cgroup_hierarchy *h = &cg->hierarchies[cg->n_hierarchies++];
        memset(h, 0, sizeof(*h));
        h->v2 = v2;
        h->controllers = strdup(controllers);
        h->mount = strdup(mount);
        while (*inner == '/')
                inner++;
        if (asprintf(&h->path, "%s%s%s/%s", mount, base[0] == '/' || base[0] == '\0' ? "" : "/", base, inner) < 0)
                h->path = NULL;
        if (h->controllers == NULL || h->mount == NULL || h->path == NULL)
                return -ENOMEM;
        /* Collapse "//" left by an empty base. */
        char *w = h->path;
        for (const char *r = h->path; *r != '\0'; r++)
                if (!(r[0] == '/' && r[1] == '/'))
                        *w++ = *r;
        *w = '\0';
        return 0;
}

int cgroup_plan(const char *cgroups_path, const char *id, struct cgroup **out, nook_err *err)
{
        enum cgroup_mode mode;
        int ret = cgroup_detect_mode(&mode, err);
        if (ret < 0)
                return ret;
        const char *inner = cgroups_path != NULL && cgroups_path[0] != '\0' ? cgroups_path : id;
        ret = check_cgroups_path(inner, err);
        if (ret < 0)
                return ret;

        struct cgroup *cg = calloc(1, sizeof(*cg));
        if (cg == NULL)
                return nook_error(err, ENOMEM, "cgroup");
        cg->mode = mode;
        cg->v2_fd = -1;

        _cleanup_free_ char *self = NULL;
        ret = read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err);
        if (ret < 0) {
                cgroup_free(cg);
                return ret;
        }
        struct cgroup_mount *mounts = NULL;
        size_t n_mounts = 0;
        if (mode != CGROUP_MODE_V2) {
                ret = read_cgroup_mounts(&mounts, &n_mounts, err);
                if (ret < 0) {
                        cgroup_free(cg);
                        return ret;
                }
        }
        char *save = NULL;
        for (char *line = strtok_r(self, "\n", &save); line != NULL && ret == 0; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':');
                char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
                if (c2 == NULL)
                        continue;
                *c2 = '\0';
                const char *controllers = c1 + 1, *own = c2 + 1;
                bool v2 = controllers[0] == '\0';
                if (mode == CGROUP_MODE_V2) {
                        if (v2)
                                ret = add_hierarchy(cg, "", CGROUP_ROOT, own, "/", inner, true);
                        continue;
                }
                for (size_t i = 0; i < n_mounts; i++) {
                        bool match = v2 ? mounts[i].controllers == NULL
                                        : mounts[i].controllers != NULL &&
                                                  cgroup_same_controllers(mounts[i].controllers, controllers);
                        if (match) {
                                ret = add_hierarchy(cg, controllers, mounts[i].mount, own, mounts[i].root, inner, v2);
                                break;
                        }
                }
        }
        free_mounts(mounts, n_mounts);
        if (ret < 0) {
                cgroup_free(cg);
                return nook_error(err, -ret, "plan cgroup");
        }
        if (cg->n_hierarchies == 0) {
                cgroup_free(cg);
                return nook_error(err, ENOENT, "no cgroup hierarchy is mounted");
        }
        *out = cg;
        return 0;
}

void cgroup_free(struct cgroup *cg)
{
        if (cg == NULL)
                return;
        for (size_t i = 0; i < cg->n_hierarchies; i++) {
                free(cg->hierarchies[i].controllers);
                free(cg->hierarchies[i].mount);
                free(cg->hierarchies[i].path);
        }
        free(cg->hierarchies);
        if (cg->v2_fd >= 0)
                close(cg->v2_fd);
        free(cg);
}
