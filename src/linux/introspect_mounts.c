#define _GNU_SOURCE
#include "linux/introspect_mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/words.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t len)
{
        char *out = malloc(len + 1);
        if (out == NULL)
                return NULL;
        size_t w = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        out[w++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else {
                        out[w++] = s[i];
                }
        }
        out[w] = '\0';
        return out;
}

/* The next space-separated field of *p, unescaped; NULL at the end of the line. */
static char *next_field(const char **p)
{
        const char *s = *p;
        while (*s == ' ')
                s++;
        if (*s == '\0' || *s == '\n')
                return NULL;
        size_t len = strcspn(s, " \n");
        *p = s + len;
        return unescape(s, len);
}

static void free_entry(struct mount_entry *m)
{
        free(m->root);
        free(m->mountpoint);
        free(m->options);
        free(m->fstype);
        free(m->source);
        free(m->super_options);
}

/* Fills m from one line; false when the line is not mountinfo. */
static bool parse_line(const char *line, struct mount_entry *m)
{
        memset(m, 0, sizeof(*m));
        int consumed = 0;
        if (sscanf(line, "%d %d %u:%u %n", &m->id, &m->parent, &m->major, &m->minor, &consumed) != 4)
                return false;
        const char *p = line + consumed;
        m->root = next_field(&p);
        m->mountpoint = next_field(&p);
        m->options = next_field(&p);
        if (m->options == NULL)
                return false;
        for (;;) {
                _cleanup_free_ char *tag = next_field(&p);
                if (tag == NULL)
                        return false;
                if (strcmp(tag, "-") == 0)
                        break;
                if (strncmp(tag, "shared:", 7) == 0)
                        m->shared = atoi(tag + 7);
                else if (strncmp(tag, "master:", 7) == 0)
                        m->master = atoi(tag + 7);
                else if (strncmp(tag, "propagate_from:", 15) == 0)
                        m->propagate_from = atoi(tag + 15);
                else if (strcmp(tag, "unbindable") == 0)
                        m->unbindable = true;
        }
        m->fstype = next_field(&p);
        m->source = next_field(&p);
        m->super_options = next_field(&p);
        if (m->fstype == NULL)
                return false;
        if (m->source == NULL)
                m->source = strdup("");
        if (m->super_options == NULL)
                m->super_options = strdup("");
        m->readonly = words_contain(m->options, ",", "ro");
        return m->root != NULL && m->mountpoint != NULL && m->source != NULL && m->super_options != NULL;
}

int mount_table_parse(const char *text, struct mount_table *table, nook_err *err)
{
        table->entries = NULL;
        table->n = 0;
        size_t cap = 0;
        for (const char *line = text; line != NULL && *line != '\0';) {
                struct mount_entry m;
                if (parse_line(line, &m)) {
                        if (table->n == cap) {
                                cap = cap ? cap * 2 : 32;
                                struct mount_entry *bigger = realloc(table->entries, cap * sizeof(m));
                                if (bigger == NULL) {
                                        free_entry(&m);
                                        mount_table_free(table);
                                        return nook_error(err, ENOMEM, "read mounts");
                                }
                                table->entries = bigger;
                        }
                        table->entries[table->n++] = m;
                } else {
                        free_entry(&m);
                }
                line = strchr(line, '\n');
                if (line != NULL)
                        line++;
        }
        return 0;
}

int mount_table_read(int dirfd, const char *path, struct mount_table *table, nook_err *err)
{
        _cleanup_free_ char *text = NULL;
        int ret = read_file_at(dirfd, path, &text, NULL, err);
        if (ret < 0)
                return ret;
        return mount_table_parse(text, table, err);
}

void mount_table_free(struct mount_table *table)
{
        for (size_t i = 0; i < table->n; i++)
                free_entry(&table->entries[i]);
        free(table->entries);
        table->entries = NULL;
        table->n = 0;
}

const struct mount_entry *mount_table_by_id(const struct mount_table *table, int id)
{
        for (size_t i = 0; i < table->n; i++)
                if (table->entries[i].id == id)
                        return &table->entries[i];
        return NULL;
}

bool mount_table_has_peer_group(const struct mount_table *table, int group)
{
        for (size_t i = 0; group > 0 && i < table->n; i++)
                if (table->entries[i].shared == group)
                        return true;
        return false;
}

const char *mount_propagation_string(const struct mount_entry *m, char *buf, size_t size)
{
        size_t w = 0;
        buf[0] = '\0';
        if (m->shared > 0)
                w += snprintf(buf + w, size - w, "shared:%d", m->shared);
        if (m->master > 0 && w < size)
                w += snprintf(buf + w, size - w, "%smaster:%d", w ? " " : "", m->master);
        if (m->unbindable && w < size)
                w += snprintf(buf + w, size - w, "%sunbindable", w ? " " : "");
        if (w == 0)
                snprintf(buf, size, "private");
        return buf;
}

static int mount_id_of(int fd, const char *path, int flags)
{
        struct statx stx;
        if (statx(fd, path, flags | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
                return 0;
        return (int)stx.stx_mnt_id;
}

static bool directory_empty(int fd)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return false;
        DIR *d = fdopendir(dfd);
        if (d == NULL) {
                close(dfd);
                return false;
        }
        bool empty = true;
        struct dirent *e;
        while (empty && (e = readdir(d)) != NULL)
                empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        closedir(d);
        return empty;
}

int path_facts_in_root(int rootfd, const char *path, struct path_facts *facts, nook_err *err)
{
        memset(facts, 0, sizeof(*facts));
        _cleanup_error_ nook_err local = NULL;
        _cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, CREATE_NONE, &local);
        if (fd < 0) {
                if (local->code == ENOENT)
                        return 0;
                *err = steal_pointer(&local);
                return nook_error_ret(*err);
        }
        facts->exists = true;
        struct stat st;
        struct statfs sfs;
        struct statvfs svfs;
        if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0 || fstatvfs(fd, &svfs) < 0)
                return nook_error_errno(err, "stat `%s` inside the container", path);
        facts->is_dir = S_ISDIR(st.st_mode);
        facts->null_device = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
        facts->readonly = (svfs.f_flag & ST_RDONLY) != 0;
        facts->fs_type = (uint64_t)sfs.f_type;
        facts->empty = facts->is_dir && directory_empty(fd);
        facts->mount_id = mount_id_of(fd, "", AT_EMPTY_PATH);
        /* A mount point sits on a different mount than its parent directory. */
        _cleanup_free_ char *parent = strdup(path);
        if (parent == NULL)
                return nook_error(err, ENOMEM, "stat `%s`", path);
        char *slash = strrchr(parent, '/');
        if (slash != NULL)
                slash[slash == parent ? 1 : 0] = '\0';
        _cleanup_close_ int pfd = open_in_root(rootfd, parent, O_PATH, CREATE_NONE, NULL);
        int parent_id = pfd >= 0 ? mount_id_of(pfd, "", AT_EMPTY_PATH) : 0;
        facts->mountpoint = facts->mount_id != 0 && parent_id != 0 && facts->mount_id != parent_id;
        return 0;
}

static const struct {
        uint64_t magic;
        const char *name;
} fs_names[] = {
        { PROC_SUPER_MAGIC, "proc" },     { SYSFS_MAGIC, "sysfs" },     { TMPFS_MAGIC, "tmpfs" },
        { DEVPTS_SUPER_MAGIC, "devpts" }, { CGROUP_SUPER_MAGIC, "cgroup" }, { CGROUP2_SUPER_MAGIC, "cgroup2" },
        { EXT4_SUPER_MAGIC, "ext4" },     { OVERLAYFS_SUPER_MAGIC, "overlay" }, { 0x9123683e, "btrfs" },
        { 0x58465342, "xfs" },            { 0x19800202, "mqueue" },    { 0x64626720, "debugfs" },
        { 0x73636673, "securityfs" },     { 0x74726163, "tracefs" },
};

const char *fs_type_name(uint64_t type)
{
        for (size_t i = 0; i < ARRAY_SIZE(fs_names); i++)
                if (fs_names[i].magic == type)
                        return fs_names[i].name;
        return NULL;
}
