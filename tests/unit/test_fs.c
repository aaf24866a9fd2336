/* open_in_root: resolving and creating paths inside a directory as if it were "/";
 * path_join, opendir_dup and the cleanup attributes of util/cleanup.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

struct dirs {
        char base[64];    /* a scratch directory */
        char root[96];    /* base/root: the "rootfs" */
        char outside[96]; /* base/outside: must stay empty */
        int rootfd;
};

static int setup(void **state)
{
        struct dirs *d = calloc(1, sizeof(*d));
        if (d == NULL)
                return -1;
        *state = d;
        strcpy(d->base, "/tmp/nook-unit-fs-XXXXXX");
        if (mkdtemp(d->base) == NULL)
                return -1;
        snprintf(d->root, sizeof(d->root), "%s/root", d->base);
        snprintf(d->outside, sizeof(d->outside), "%s/outside", d->base);
        if (mkdir(d->root, 0755) < 0 || mkdir(d->outside, 0755) < 0)
                return -1;
        d->rootfd = open(d->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return d->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        struct dirs *d = *state;
        char cmd[128];
        close(d->rootfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->base);
        int ret = system(cmd);
        free(d);
        return ret == 0 ? 0 : -1;
}

static bool outside_is_empty(const struct dirs *d)
{
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", d->outside);
        return system(cmd) == 0;
}

/* The type of root/rel as lstat sees it from the host: 'd', 'f', 'l', or 0 when absent. */
static char type_at(const struct dirs *d, const char *rel)
{
        char path[512];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", d->root, rel);
        if (lstat(path, &st) < 0)
                return 0;
        return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : '?';
}

static int open_created(const struct dirs *d, const char *path, enum create_kind kind)
{
        nook_err err = NULL;
        int fd = open_in_root(d->rootfd, path, O_PATH, kind, &err);
        if (fd < 0)
                nook_error_free(&err);
        else
                close(fd);
        return fd < 0 ? fd : 0;
}

static void missing_directories_are_created(void **state)
{
        struct dirs *d = *state;
        assert_int_equal(open_created(d, "/a/b/c", CREATE_DIR), 0);
        assert_int_equal(type_at(d, "a/b/c"), 'd');
        assert_int_equal(open_created(d, "/a/b/file", CREATE_FILE), 0);
        assert_int_equal(type_at(d, "a/b/file"), 'f');
}

static void nothing_is_created_when_asked_not_to(void **state)
{
        struct dirs *d = *state;
        nook_err err = NULL;
        assert_int_equal(open_in_root(d->rootfd, "/absent", O_PATH, CREATE_NONE, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "`/absent`"));
        nook_error_free(&err);
        assert_int_equal(type_at(d, "absent"), 0);
}

static void dangling_absolute_symlink_is_created_inside(void **state)
{
        struct dirs *d = *state;
        char link[256];
        snprintf(link, sizeof(link), "%s/escape", d->root);
        assert_int_equal(symlink(d->outside, link), 0);
        assert_int_equal(open_created(d, "/escape/x", CREATE_DIR), 0);
        char inside[256];
        snprintf(inside, sizeof(inside), "%s/x", d->outside + 1);
        assert_int_equal(type_at(d, inside), 'd');
        assert_true(outside_is_empty(d));
}

static void dangling_relative_symlink_cannot_climb_out(void **state)
{
        struct dirs *d = *state;
        char link[256], target[256];
        snprintf(link, sizeof(link), "%s/up", d->root);
        snprintf(target, sizeof(target), "../../../../../../..%s", d->outside);
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(open_created(d, "/up/file", CREATE_FILE), 0);
        char inside[256];
        snprintf(inside, sizeof(inside), "%s/file", d->outside + 1);
        assert_int_equal(type_at(d, inside), 'f');
        assert_true(outside_is_empty(d));
}

static void last_component_symlink_creates_its_target(void **state)
{
        struct dirs *d = *state;
        char link[256];
        snprintf(link, sizeof(link), "%s/file-link", d->root);
        assert_int_equal(symlink("/etc/made", link), 0);
        assert_int_equal(open_created(d, "/file-link", CREATE_FILE), 0);
        assert_int_equal(type_at(d, "etc/made"), 'f');
        assert_int_equal(type_at(d, "file-link"), 'l');
}

static void dot_dot_stops_at_the_root(void **state)
{
        struct dirs *d = *state;
        assert_int_equal(open_created(d, "/../../x/../y", CREATE_DIR), 0);
        assert_int_equal(type_at(d, "y"), 'd');
        assert_int_equal(type_at(d, "x"), 'd');
        assert_true(outside_is_empty(d));
}

static void symlink_loop_is_refused(void **state)
{
        struct dirs *d = *state;
        char link[256];
        snprintf(link, sizeof(link), "%s/loop", d->root);
        assert_int_equal(symlink("/loop/x", link), 0);
        assert_int_equal(open_created(d, "/loop/y", CREATE_DIR), -ELOOP);
}

static void file_in_the_way_is_not_a_directory(void **state)
{
        struct dirs *d = *state;
        assert_int_equal(open_created(d, "/plain", CREATE_FILE), 0);
        assert_int_equal(open_created(d, "/plain/below", CREATE_DIR), -ENOTDIR);
}

static void assert_joined(const char *want, char *got)
{
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
}

static void path_join_puts_one_slash_between_parts(void **state)
{
        (void)state;
        assert_joined("/sys/fs/cgroup/memory/x", path_join("/sys/fs/cgroup/", "/memory", "x"));
        assert_joined("/a", path_join("/", "a"));
        assert_joined("/a/b", path_join("/a//", "//b"));
        assert_joined("a/b", path_join("", "a", "", "b"));
        assert_joined("/run/nook/id/state.json", path_join("/run/nook", "id", "state.json"));
        assert_joined("//net/x", path_join("//net", "x")); /* the first part's leading slashes stay */
        assert_joined("/dir/", path_join("/dir/", "/"));    /* and the last part's trailing ones */
        assert_joined("rel", path_join("rel"));
}

static void path_join_is_not_bounded_by_a_buffer(void **state)
{
        (void)state;
        char *long_part = malloc(5001);
        assert_non_null(long_part);
        memset(long_part, 'x', 5000);
        long_part[5000] = '\0';
        char *joined = path_join("/base", long_part, "file");
        assert_non_null(joined);
        assert_int_equal(strlen(joined), strlen("/base/") + 5000 + strlen("/file"));
        assert_string_equal(joined + strlen(joined) - 5, "/file");
        free(joined);
        free(long_part);
}

static int open_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;
        while (d != NULL && readdir(d) != NULL)
                n++;
        if (d != NULL)
                closedir(d);
        return n;
}

static void opendir_dup_leaves_the_fd_open(void **state)
{
        struct dirs *d = *state;
        int before = open_fds();
        DIR *dir = opendir_dup(d->rootfd);
        assert_non_null(dir);
        assert_true(fcntl(dirfd(dir), F_GETFD) & FD_CLOEXEC);
        closedir(dir);
        assert_true(fcntl(d->rootfd, F_GETFD) >= 0);
        /* A file is no directory: NULL, and no duplicate left open. */
        int file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        assert_true(file >= 0);
        assert_null(opendir_dup(file));
        assert_int_equal(errno, ENOTDIR);
        close(file);
        assert_int_equal(open_fds(), before);
}

static void assert_content(int dirfd, const char *name, const char *want)
{
        char *text = NULL;
        size_t len = 0;
        nook_err err = NULL;
        assert_int_equal(read_file_at(dirfd, name, &text, &len, &err), 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(text, want, len);
        free(text);
}

/* create's state: staged while the init sets itself up, put in place at READY. */
static void a_staged_file_appears_only_when_committed(void **state)
{
        struct dirs *d = *state;
        nook_err err = NULL;
        assert_int_equal(write_file_atomic(d->rootfd, "state.json", "planned", 7, 0600, &err), 0);
        assert_int_equal(write_file_staged(d->rootfd, "state.json", "final", 5, 0600, &err), 0);
        assert_content(d->rootfd, "state.json", "planned");
        assert_int_equal(write_file_commit(d->rootfd, "state.json", &err), 0);
        assert_content(d->rootfd, "state.json", "final");
        /* Nothing else is left in the directory: the staged file became state.json. */
        DIR *dir = opendir(d->root);
        assert_non_null(dir);
        int entries = 0;
        for (struct dirent *e; (e = readdir(dir)) != NULL;)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        entries++;
        closedir(dir);
        assert_int_equal(entries, 1);
        /* A commit with nothing staged fails and names both files. */
        assert_int_equal(write_file_commit(d->rootfd, "state.json", &err), -ENOENT);
        assert_non_null(strstr(err->msg, "state.json"));
        nook_error_free(&err);
}

static pid_t fork_sleeper(int exit_code)
{
        pid_t pid = fork();
        if (pid == 0) {
                if (exit_code < 0)
                        pause();
                _exit(exit_code);
        }
        assert_true(pid > 0);
        return pid;
}

static void cleanup_pid_kills_and_reaps_the_child(void **state)
{
        (void)state;
        pid_t seen;
        {
                _cleanup_pid_ pid_t pid = fork_sleeper(-1);
                seen = pid;
        }
        /* Reaped: no longer our child. */
        assert_int_equal(waitpid(seen, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

static void pid_wait_hands_the_child_back(void **state)
{
        (void)state;
        _cleanup_pid_ pid_t pid = fork_sleeper(7);
        int status = 0;
        assert_int_equal(pid_wait(&pid, &status), 0);
        assert_int_equal(pid, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 7);
}

static void cleanup_json_drops_one_reference(void **state)
{
        (void)state;
        json_object *o = json_object_new_object();
        json_object_get(o);
        {
                _cleanup_json_ json_object *scoped = o;
                (void)scoped;
        }
        assert_int_equal(json_object_put(o), 1); /* the last reference: freed now */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(missing_directories_are_created, setup, teardown),
                cmocka_unit_test_setup_teardown(nothing_is_created_when_asked_not_to, setup, teardown),
                cmocka_unit_test_setup_teardown(dangling_absolute_symlink_is_created_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(dangling_relative_symlink_cannot_climb_out, setup, teardown),
                cmocka_unit_test_setup_teardown(last_component_symlink_creates_its_target, setup, teardown),
                cmocka_unit_test_setup_teardown(dot_dot_stops_at_the_root, setup, teardown),
                cmocka_unit_test_setup_teardown(symlink_loop_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(file_in_the_way_is_not_a_directory, setup, teardown),
                cmocka_unit_test(path_join_puts_one_slash_between_parts),
                cmocka_unit_test(path_join_is_not_bounded_by_a_buffer),
                cmocka_unit_test_setup_teardown(opendir_dup_leaves_the_fd_open, setup, teardown),
                cmocka_unit_test_setup_teardown(a_staged_file_appears_only_when_committed, setup, teardown),
                cmocka_unit_test(cleanup_pid_kills_and_reaps_the_child),
                cmocka_unit_test(pid_wait_hands_the_child_back),
                cmocka_unit_test(cleanup_json_drops_one_reference),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
