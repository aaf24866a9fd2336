#define _GNU_SOURCE
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "linux/process.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Longer than any label a policy holds; the kernel takes a page at most. */
#define LSM_LABEL_MAX 4000

bool lsm_apparmor_enabled(void)
{
        struct stat st;
        if (stat("/sys/kernel/security/apparmor", &st) < 0)
                return false;
        _cleanup_free_ char *enabled = NULL;
        if (read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &enabled, NULL, NULL) < 0)
                return false;
        return enabled[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
        struct statfs sfs;
        return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

const char *lsm_selinux_mode(void)
{
        if (!lsm_selinux_enabled())
                return NULL;
        _cleanup_free_ char *enforce = NULL;
        if (read_file_at(AT_FDCWD, "/sys/fs/selinux/enforce", &enforce, NULL, NULL) < 0)
                return NULL;
        return enforce[0] == '1' ? "enforcing" : "permissive";
}

static bool is_set(const char *label)
{
        return label != NULL && label[0] != '\0';
}

struct lsm_labels lsm_labels_of(const struct spec_process *process, const char *mount_label)
{
        return (struct lsm_labels){
                .apparmor_profile = process != NULL ? process->apparmor_profile : NULL,
                .apparmor_field = "process.apparmorProfile",
                .selinux_label = process != NULL ? process->selinux_label : NULL,
                .selinux_field = "process.selinuxLabel",
                .mount_label = mount_label,
        };
}

bool lsm_has_process_labels(const struct lsm_labels *labels)
{
        return is_set(labels->apparmor_profile) || is_set(labels->selinux_label);
}

/* A label goes to the kernel as one line of text (and, for mounts, between quotes). */
static int check_text(const char *field, const char *label, bool quoted, nook_err *err)
{
        if (strlen(label) > LSM_LABEL_MAX)
                return nook_error(err, EINVAL, "%s: malformed label: longer than %d bytes", field, LSM_LABEL_MAX);
        for (const unsigned char *p = (const unsigned char *)label; *p != '\0'; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        return nook_error(err, EINVAL, "%s \"%s\": malformed label: a control character", field,
                                          label);
                if (quoted && (*p == '"' || *p == '\''))
                        return nook_error(err, EINVAL, "%s \"%s\": malformed label: a quote", field, label);
        }
        if (label[0] == ' ' || label[strlen(label) - 1] == ' ')
                return nook_error(err, EINVAL, "%s \"%s\": malformed label: leading or trailing space", field, label);
        return 0;
}

/* What libselinux's security_check_context does: the policy parses the context
 * written to selinuxfs's context node, EINVAL when it does not know it. A caller
 * the policy does not let ask (EACCES) is left to the kernel's answer at exec. */
static int selinux_check_context(const char *field, const char *label, nook_err *err)
{
        _cleanup_close_ int fd = open("/sys/fs/selinux/context", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == EACCES || errno == EPERM
                               ? 0
                               : nook_error_errno(err, "%s \"%s\": open `/sys/fs/selinux/context`", field, label);
        if (write(fd, label, strlen(label) + 1) >= 0)
                return 0;
        if (errno == EINVAL)
                return nook_error(err, EINVAL, "%s \"%s\": not a valid SELinux context in the loaded policy", field,
                                  label);
        if (errno == EACCES || errno == EPERM)
                return 0;
        return nook_error_errno(err, "%s \"%s\": check the context", field, label);
}

static int check_one(const char *field, const char *label, bool selinux, bool mount, nook_err *err)
{
        if (!is_set(label))
                return 0;
        int ret = check_text(field, label, mount, err);
        if (ret < 0)
                return ret;
        const char *lsm = selinux ? "SELinux" : "AppArmor";
        if (!(selinux ? lsm_selinux_enabled() : lsm_apparmor_enabled()))
                return nook_error(err, EOPNOTSUPP, "%s \"%s\": %s is not enabled on this host", field, label, lsm);
        return selinux ? selinux_check_context(field, label, err) : 0;
}

int lsm_check_labels(const struct lsm_labels *labels, nook_err *err)
{
        int ret = check_one(labels->apparmor_field, labels->apparmor_profile, false, false, err);
        if (ret == 0)
                ret = check_one(labels->selinux_field, labels->selinux_label, true, false, err);
        if (ret == 0)
                ret = check_one("linux.mountLabel", labels->mount_label, true, true, err);
        return ret;
}

int lsm_check(const struct spec_process *process, const char *mount_label, nook_err *err)
{
        struct lsm_labels labels = lsm_labels_of(process, mount_label);
        return lsm_check_labels(&labels, err);
}

int lsm_open_procfs(nook_err *err)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return nook_error_errno(err, "open `/`");
        return process_open_procfs(root, err);
}

const char *lsm_attr_name(enum lsm_kind lsm, const char *attr, bool legacy, char *buf, size_t size)
{
        /* SELinux has no directory of its own: attr/ is the first (and, before
         * stacking, the only) LSM's, which SELinux is wherever it is on. */
        bool own_dir = lsm == LSM_APPARMOR && !legacy;
        int n = snprintf(buf, size, "thread-self/attr/%s%s", own_dir ? "apparmor/" : "", attr);
        return n < 0 || (size_t)n >= size ? NULL : buf;
}

const char *lsm_apparmor_exec_command(const char *profile, bool no_new_privs, bool confined, char *buf,
                                      size_t size)
{
        int n = snprintf(buf, size, "%s %s", no_new_privs && confined ? "stack" : "exec", profile);
        return n < 0 || (size_t)n >= size ? NULL : buf;
}

bool lsm_apparmor_is_unconfined(const char *current)
{
        size_t len = strlen("unconfined");
        return strncmp(current, "unconfined", len) == 0 &&
               (current[len] == '\0' || current[len] == '\n' || current[len] == ' ');
}

/* Opens one attr file of the calling thread below procfd: thread-self is a plain
 * symlink within procfs, magic links and other mounts are refused, and the file
 * must be on procfs. Returns the fd, or -errno (err set but for -ENOENT when
 * quiet_enoent, so the caller may try the legacy name). */
static int open_attr(int procfd, const char *name, int flags, bool quiet_enoent, nook_err *err)
{
        struct open_how how = {
                .flags = (unsigned)flags | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = (int)syscall(SYS_openat2, procfd, name, &how, sizeof(how));
        if (fd < 0) {
                if (quiet_enoent && errno == ENOENT)
                        return -ENOENT;
                return nook_error_errno(err, "open `/proc/%s`", name);
        }
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
                close(fd);
                return nook_error(err, EINVAL, "`/proc/%s` is not on procfs", name);
        }
        return fd;
}

/* AppArmor's file: its own directory, or attr/ itself on kernels before 5.1. */
static int open_lsm_attr(int procfd, enum lsm_kind lsm, const char *attr, int flags, char *name, size_t size,
                         nook_err *err)
{
        if (lsm_attr_name(lsm, attr, false, name, size) == NULL)
                return nook_error(err, ENAMETOOLONG, "attr `%s`", attr);
        int fd = open_attr(procfd, name, flags, lsm == LSM_APPARMOR, err);
        if (fd != -ENOENT || lsm != LSM_APPARMOR)
                return fd;
        lsm_attr_name(lsm, attr, true, name, size);
        return open_attr(procfd, name, flags, false, err);
}

/* Why the kernel refused a label, in the words a user can act on. */
static const char *refusal(enum lsm_kind lsm, int code)
{
        if (lsm == LSM_APPARMOR && code == ENOENT)
                return "no AppArmor profile of that name is loaded in the kernel";
        if (lsm == LSM_SELINUX && code == EINVAL)
                return "not a valid SELinux context in the loaded policy";
        if (code == EACCES || code == EPERM)
                return lsm == LSM_APPARMOR ? "AppArmor refused the change" : "the SELinux policy refused it";
        return "the kernel refused it";
}

/* Writes text to the thread's attr file, in one write as the kernel wants it. */
static int write_attr(int procfd, enum lsm_kind lsm, const char *attr, const char *text, const char *field,
                      const char *label, nook_err *err)
{
        char name[64];
        _cleanup_close_ int fd = open_lsm_attr(procfd, lsm, attr, O_WRONLY, name, sizeof(name), err);
        if (fd < 0)
                return nook_error_wrap(err, "%s \"%s\"", field, label);
        if (write(fd, text, strlen(text)) < 0) {
                int code = errno;
                return nook_error(err, code, "%s \"%s\": %s (write \"%s\" to `/proc/%s`)", field, label,
                                  refusal(lsm, code), text, name);
        }
        return 0;
}

/* Whether the calling thread runs under an AppArmor profile now. */
static int apparmor_confined(int procfd, const char *field, const char *profile, bool *confined, nook_err *err)
{
        char name[64];
        _cleanup_close_ int fd = open_lsm_attr(procfd, LSM_APPARMOR, "current", O_RDONLY, name, sizeof(name), err);
        if (fd < 0)
                return nook_error_wrap(err, "%s \"%s\"", field, profile);
        char current[256];
        ssize_t n = read(fd, current, sizeof(current) - 1);
        if (n < 0)
                return nook_error_errno(err, "%s \"%s\": read `/proc/%s`", field, profile, name);
        current[n] = '\0';
        *confined = !lsm_apparmor_is_unconfined(current);
        return 0;
}

int lsm_apply_exec_labels(int procfd, const struct lsm_labels *labels, bool no_new_privs, nook_err *err)
{
        if (is_set(labels->apparmor_profile)) {
                const char *field = labels->apparmor_field, *profile = labels->apparmor_profile;
                /* Only needed under no_new_privs: then a confined process may only stack. */
                bool confined = false;
                if (no_new_privs) {
                        int ret = apparmor_confined(procfd, field, profile, &confined, err);
                        if (ret < 0)
                                return ret;
                }
                char command[LSM_LABEL_MAX + 16];
                lsm_apparmor_exec_command(profile, no_new_privs, confined, command, sizeof(command));
                int ret = write_attr(procfd, LSM_APPARMOR, "exec", command, field, profile, err);
                if (ret < 0)
                        return ret;
        }
        if (is_set(labels->selinux_label))
                return write_attr(procfd, LSM_SELINUX, "exec", labels->selinux_label, labels->selinux_field,
                                  labels->selinux_label, err);
        return 0;
}

char *lsm_exec_note(const struct lsm_labels *labels)
{
        char *note = NULL;
        bool apparmor = is_set(labels->apparmor_profile), selinux = is_set(labels->selinux_label);
        int n = apparmor && selinux
                        ? asprintf(&note, "%s \"%s\", %s \"%s\"", labels->apparmor_field, labels->apparmor_profile,
                                   labels->selinux_field, labels->selinux_label)
                : apparmor ? asprintf(&note, "%s \"%s\"", labels->apparmor_field, labels->apparmor_profile)
                : selinux  ? asprintf(&note, "%s \"%s\"", labels->selinux_field, labels->selinux_label)
                           : 0;
        return n < 0 ? NULL : note;
}

int lsm_set_keycreate(int procfd, const struct lsm_labels *labels, bool reset, nook_err *err)
{
        if (!is_set(labels->selinux_label))
                return 0;
        return write_attr(procfd, LSM_SELINUX, "keycreate", reset ? "" : labels->selinux_label,
                          labels->selinux_field, labels->selinux_label, err);
}

/* Whether option (one comma-separated word of data) sets an SELinux context. */
static bool names_context(const char *option, size_t len)
{
        static const char *const keys[] = { "context=", "fscontext=", "defcontext=", "rootcontext=" };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (len >= strlen(keys[i]) && strncmp(option, keys[i], strlen(keys[i])) == 0)
                        return true;
        return false;
}

int lsm_mount_data(const char *data, const char *label, char **out, nook_err *err)
{
        *out = NULL;
        if (!is_set(label))
                return 0;
        bool quoted = false;
        const char *word = data;
        for (const char *p = data; data != NULL; p++) {
                if (*p == '"')
                        quoted = !quoted;
                if (*p != '\0' && (*p != ',' || quoted))
                        continue;
                if (names_context(word, (size_t)(p - word)))
                        return 0;
                if (*p == '\0')
                        break;
                word = p + 1;
        }
        int n = is_set(data) ? asprintf(out, "%s,context=\"%s\"", data, label) : asprintf(out, "context=\"%s\"", label);
        if (n < 0) {
                *out = NULL;
                return nook_error(err, ENOMEM, "linux.mountLabel");
        }
        return 0;
}

int lsm_label_mount_root(int dirfd, const char *label, const char *what, nook_err *err)
{
        if (!is_set(label))
                return 0;
        if (fsetxattr(dirfd, "security.selinux", label, strlen(label), 0) == 0)
                return 0;
        /* A filesystem that keeps no labels: there is nothing to set. */
        if (errno == EOPNOTSUPP)
                return 0;
        return nook_error_errno(err, "linux.mountLabel \"%s\": label `%s`", label, what);
}
