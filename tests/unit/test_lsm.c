/* linux/lsm.c: which attr file a label goes to, what is written there, the
 * mount option, the early checks, and that a write never lands anywhere but on
 * procfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/sync.h"
#include "linux/lsm.h"
#include "linux/stub.h"
#include "util/error.h"
#include "util/fs.h"

static void apparmor_has_a_directory_of_its_own(void **state)
{
        (void)state;
        char buf[64];
        assert_string_equal(lsm_attr_name(LSM_APPARMOR, "exec", false, buf, sizeof(buf)),
                            "thread-self/attr/apparmor/exec");
        assert_string_equal(lsm_attr_name(LSM_APPARMOR, "current", false, buf, sizeof(buf)),
                            "thread-self/attr/apparmor/current");
}

static void apparmor_before_5_1_and_selinux_use_attr_itself(void **state)
{
        (void)state;
        char buf[64];
        assert_string_equal(lsm_attr_name(LSM_APPARMOR, "exec", true, buf, sizeof(buf)), "thread-self/attr/exec");
        assert_string_equal(lsm_attr_name(LSM_SELINUX, "exec", false, buf, sizeof(buf)), "thread-self/attr/exec");
        assert_string_equal(lsm_attr_name(LSM_SELINUX, "keycreate", false, buf, sizeof(buf)),
                            "thread-self/attr/keycreate");
        assert_null(lsm_attr_name(LSM_SELINUX, "keycreate", false, buf, 8));
}

static void apparmor_stacks_only_when_confined_under_no_new_privs(void **state)
{
        (void)state;
        char buf[64];
        assert_string_equal(lsm_apparmor_exec_command("p", false, false, buf, sizeof(buf)), "exec p");
        assert_string_equal(lsm_apparmor_exec_command("p", false, true, buf, sizeof(buf)), "exec p");
        assert_string_equal(lsm_apparmor_exec_command("p", true, false, buf, sizeof(buf)), "exec p");
        assert_string_equal(lsm_apparmor_exec_command("p", true, true, buf, sizeof(buf)), "stack p");
        assert_null(lsm_apparmor_exec_command("a-long-profile-name", false, false, buf, 8));
}

static void unconfined_is_the_word_alone(void **state)
{
        (void)state;
        assert_true(lsm_apparmor_is_unconfined("unconfined\n"));
        assert_true(lsm_apparmor_is_unconfined("unconfined"));
        assert_false(lsm_apparmor_is_unconfined("unconfined_foo (enforce)\n"));
        assert_false(lsm_apparmor_is_unconfined("docker-default (enforce)\n"));
        assert_false(lsm_apparmor_is_unconfined(""));
}

static char *mount_data(const char *data, const char *label)
{
        char *out = NULL;
        nook_err err = NULL;
        assert_int_equal(lsm_mount_data(data, label, &out, &err), 0);
        return out;
}

static void mount_label_is_a_quoted_context_option(void **state)
{
        (void)state;
        char *out = mount_data("mode=755", "system_u:object_r:svirt_image_t:s0:c1,c2");
        assert_string_equal(out, "mode=755,context=\"system_u:object_r:svirt_image_t:s0:c1,c2\"");
        free(out);
        out = mount_data(NULL, "system_u:object_r:tmpfs_t:s0");
        assert_string_equal(out, "context=\"system_u:object_r:tmpfs_t:s0\"");
        free(out);
        out = mount_data("", "system_u:object_r:tmpfs_t:s0");
        assert_string_equal(out, "context=\"system_u:object_r:tmpfs_t:s0\"");
        free(out);
}

static void mount_data_is_left_alone_without_a_label_or_with_a_context(void **state)
{
        (void)state;
        assert_null(mount_data("mode=755", NULL));
        assert_null(mount_data("mode=755", ""));
        assert_null(mount_data("mode=755,context=\"a:b:c:s0:c1,c2\"", "x:y:z:s0"));
        assert_null(mount_data("rootcontext=a:b:c:s0,size=1m", "x:y:z:s0"));
        /* "context=" inside another option's quoted value is not an option of its own. */
        char *out = mount_data("opt=\"x,context=y\"", "x:y:z:s0");
        assert_string_equal(out, "opt=\"x,context=y\",context=\"x:y:z:s0\"");
        free(out);
}

static int check(const char *apparmor, const char *selinux, const char *mount, nook_err *err)
{
        struct lsm_labels labels = {
                .apparmor_profile = apparmor,
                .apparmor_field = "--apparmor",
                .selinux_label = selinux,
                .selinux_field = "process.selinuxLabel",
                .mount_label = mount,
        };
        return lsm_check_labels(&labels, err);
}

static void no_label_passes_the_checks(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_int_equal(check(NULL, "", NULL, &err), 0);
        assert_null(err);
}

static void malformed_labels_are_refused_naming_the_field(void **state)
{
        (void)state;
        nook_err err = NULL;
        assert_int_equal(check("a\nb", NULL, NULL, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "--apparmor"));
        assert_non_null(strstr(err->msg, "malformed"));
        nook_error_free(&err);
        assert_int_equal(check(NULL, " system_u:system_r:svirt_t:s0", NULL, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "process.selinuxLabel"));
        nook_error_free(&err);
        assert_int_equal(check(NULL, NULL, "a:b:c:s0\" ,nosuid", &err), -EINVAL);
        assert_non_null(strstr(err->msg, "linux.mountLabel"));
        nook_error_free(&err);
}

static void a_label_without_its_lsm_is_refused_naming_the_field(void **state)
{
        (void)state;
        nook_err err = NULL;
        if (!lsm_apparmor_enabled()) {
                assert_int_equal(check("nook-test", NULL, NULL, &err), -EOPNOTSUPP);
                assert_string_equal(err->msg, "--apparmor \"nook-test\": AppArmor is not enabled on this host: "
                                              "operation not supported");
                nook_error_free(&err);
        }
        if (!lsm_selinux_enabled()) {
                assert_int_equal(check(NULL, NULL, "system_u:object_r:svirt_image_t:s0", &err), -EOPNOTSUPP);
                assert_non_null(strstr(err->msg, "linux.mountLabel"));
                assert_non_null(strstr(err->msg, "SELinux is not enabled"));
                nook_error_free(&err);
        }
}

/* A directory made to look like a procfs: thread-self/attr/... as plain files. */
struct fake_proc {
        char dir[64];
        int fd;
};

static int fake_setup(void **state)
{
        struct fake_proc *f = calloc(1, sizeof(*f));
        if (f == NULL)
                return -1;
        *state = f;
        strcpy(f->dir, "/tmp/nook-unit-lsm-XXXXXX");
        if (mkdtemp(f->dir) == NULL)
                return -1;
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/1/task/1/attr/apparmor && touch %s/1/task/1/attr/apparmor/exec "
                                   "%s/1/task/1/attr/exec && ln -s 1/task/1 %s/thread-self",
                 f->dir, f->dir, f->dir, f->dir);
        if (system(cmd) != 0)
                return -1;
        f->fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return f->fd < 0 ? -1 : 0;
}

static int fake_teardown(void **state)
{
        struct fake_proc *f = *state;
        char cmd[128];
        close(f->fd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        int ret = system(cmd);
        free(f);
        return ret == 0 ? 0 : -1;
}

static size_t size_of(const struct fake_proc *f, const char *name)
{
        struct stat st;
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", f->dir, name);
        assert_int_equal(stat(path, &st), 0);
        return (size_t)st.st_size;
}

static void a_fake_procfs_is_refused_and_nothing_is_written(void **state)
{
        struct fake_proc *f = *state;
        struct lsm_labels labels = lsm_labels_of(&(struct spec_process){ .apparmor_profile = "nook-test",
                                                                         .selinux_label = "a:b:c:s0" },
                                                 NULL);
        nook_err err = NULL;
        assert_int_equal(lsm_apply_exec_labels(f->fd, &labels, false, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "process.apparmorProfile \"nook-test\""));
        assert_non_null(strstr(err->msg, "is not on procfs"));
        nook_error_free(&err);
        assert_int_equal(size_of(f, "1/task/1/attr/apparmor/exec"), 0);
        assert_int_equal(size_of(f, "1/task/1/attr/exec"), 0);
}

static void a_symlink_out_of_the_procfs_is_not_followed(void **state)
{
        struct fake_proc *f = *state;
        char link[128];
        snprintf(link, sizeof(link), "%s/thread-self", f->dir);
        assert_int_equal(unlink(link), 0);
        /* Absolute: it would reach the real procfs — or whatever "/proc" is where this runs. */
        assert_int_equal(symlink("/proc/thread-self", link), 0);
        struct lsm_labels labels = lsm_labels_of(&(struct spec_process){ .selinux_label = "a:b:c:s0" }, NULL);
        nook_err err = NULL;
        assert_int_equal(lsm_apply_exec_labels(f->fd, &labels, false, &err), -EXDEV);
        assert_non_null(strstr(err->msg, "process.selinuxLabel"));
        nook_error_free(&err);
}

static void the_procfs_opened_is_the_real_root_of_one(void **state)
{
        (void)state;
        nook_err err = NULL;
        int fd = lsm_open_procfs(&err);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstatat(fd, "thread-self/attr", &st, 0), 0);
        close(fd);
}

/* The error the stub sends when execve fails with code, as nook reads it. */
static char *exec_error(const char *note, int code)
{
        struct stub_message ready, error, hello;
        sync_stub_messages("/bin/sh", note, &ready, &error, &hello);
        uint32_t value = STUB_STAGE_EXEC + 1, ucode = (uint32_t)code;
        memcpy(error.bytes + error.code_offset, &ucode, 4);
        memcpy(error.bytes + error.value_offset, &value, 4);
        struct sync_msg msg;
        memset(&msg, 0, sizeof(msg));
        memcpy(&msg, error.bytes, error.len);
        nook_err err = NULL;
        assert_int_equal(sync_error_from_msg(&msg, &err), -code);
        char *text = strdup(err->msg);
        nook_error_free(&err);
        return text;
}

static void a_refused_exec_under_a_label_names_the_field(void **state)
{
        (void)state;
        struct lsm_labels labels = lsm_labels_of(&(struct spec_process){ .selinux_label = "a:b:c:s0" }, NULL);
        char *note = lsm_exec_note(&labels);
        assert_string_equal(note, "process.selinuxLabel \"a:b:c:s0\"");
        char *text = exec_error(note, EACCES);
        assert_string_equal(text, "exec: \"/bin/sh\" under process.selinuxLabel \"a:b:c:s0\": permission denied");
        free(text);
        /* A missing program is not the label's doing: the words engines map to 127 stay alone. */
        text = exec_error(note, ENOENT);
        assert_string_equal(text, "exec: \"/bin/sh\": no such file or directory");
        free(text);
        free(note);
        text = exec_error(NULL, EACCES);
        assert_string_equal(text, "exec: \"/bin/sh\": permission denied");
        free(text);
        struct lsm_labels none = lsm_labels_of(&(struct spec_process){ 0 }, NULL);
        assert_null(lsm_exec_note(&none));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(apparmor_has_a_directory_of_its_own),
                cmocka_unit_test(apparmor_before_5_1_and_selinux_use_attr_itself),
                cmocka_unit_test(apparmor_stacks_only_when_confined_under_no_new_privs),
                cmocka_unit_test(unconfined_is_the_word_alone),
                cmocka_unit_test(mount_label_is_a_quoted_context_option),
                cmocka_unit_test(mount_data_is_left_alone_without_a_label_or_with_a_context),
                cmocka_unit_test(no_label_passes_the_checks),
                cmocka_unit_test(malformed_labels_are_refused_naming_the_field),
                cmocka_unit_test(a_label_without_its_lsm_is_refused_naming_the_field),
                cmocka_unit_test_setup_teardown(a_fake_procfs_is_refused_and_nothing_is_written, fake_setup,
                                                fake_teardown),
                cmocka_unit_test_setup_teardown(a_symlink_out_of_the_procfs_is_not_followed, fake_setup,
                                                fake_teardown),
                cmocka_unit_test(the_procfs_opened_is_the_real_root_of_one),
                cmocka_unit_test(a_refused_exec_under_a_label_names_the_field),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
