/* Introspection primitives: mountinfo, id maps, subordinate ids, path facts,
 * cgroup limits up the tree, and the locked-mount probe on a mount that the
 * kernel really locked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/introspect.h"
#include "linux/introspect_cgroup.h"
#include "linux/introspect_host.h"
#include "linux/introspect_mounts.h"
#include "util/fs.h"

static const char mountinfo[] =
        "66 43 254:0 /tmp/b/rootfs / ro,relatime - ext4 /dev/vda rw,discard\n"
        "67 66 0:40 / /proc rw,relatime shared:7 master:3 - proc proc rw\n"
        "85 67 0:6 /null /proc/keys rw,relatime - devtmpfs devtmpfs rw,size=123k\n"
        "90 66 0:50 / /mnt/with\\040space ro,nosuid unbindable - tmpfs my\\134src ro\n"
        "not a mountinfo line\n"
        "91 66 0:51 / /data rw propagate_from:2 master:4 - fuse.sshfs \n";

static void mountinfo_fields_and_propagation_are_parsed(void **state)
{
        (void)state;
        struct mount_table t;
        assert_int_equal(mount_table_parse(mountinfo, &t, NULL), 0);
        assert_int_equal(t.n, 5);
        const struct mount_entry *root = mount_table_by_id(&t, 66);
        assert_non_null(root);
        assert_string_equal(root->root, "/tmp/b/rootfs");
        assert_string_equal(root->mountpoint, "/");
        assert_string_equal(root->fstype, "ext4");
        assert_string_equal(root->source, "/dev/vda");
        assert_true(root->readonly);
        char buf[64];
        assert_string_equal(mount_propagation_string(root, buf, sizeof(buf)), "private");
        const struct mount_entry *proc = mount_table_by_id(&t, 67);
        assert_int_equal(proc->shared, 7);
        assert_int_equal(proc->master, 3);
        assert_false(proc->readonly);
        assert_string_equal(mount_propagation_string(proc, buf, sizeof(buf)), "shared:7 master:3");
        const struct mount_entry *odd = mount_table_by_id(&t, 90);
        assert_string_equal(odd->mountpoint, "/mnt/with space");
        assert_string_equal(odd->source, "my\\src");
        assert_true(odd->unbindable);
        assert_string_equal(mount_propagation_string(odd, buf, sizeof(buf)), "unbindable");
        const struct mount_entry *fuse = mount_table_by_id(&t, 91);
        assert_int_equal(fuse->propagate_from, 2);
        assert_string_equal(fuse->source, "");
        assert_true(mount_table_has_peer_group(&t, 7));
        assert_false(mount_table_has_peer_group(&t, 3));
        assert_false(mount_table_has_peer_group(&t, 0));
        mount_table_free(&t);
}

static void id_maps_translate_both_ways(void **state)
{
        (void)state;
        const struct id_range map[] = { { 0, 100000, 1000 }, { 1000, 5000, 1 } };
        uint32_t v = 0;
        assert_true(id_map_outside(map, 2, 0, &v));
        assert_int_equal(v, 100000);
        assert_true(id_map_outside(map, 2, 999, &v));
        assert_int_equal(v, 100999);
        assert_true(id_map_outside(map, 2, 1000, &v));
        assert_int_equal(v, 5000);
        assert_false(id_map_outside(map, 2, 1001, &v));
        assert_true(id_map_inside(map, 2, 100500, &v));
        assert_int_equal(v, 500);
        assert_false(id_map_inside(map, 2, 0, &v));
        const struct id_range full[] = { { 0, 0, 4294967295u } };
        assert_true(id_map_outside(full, 1, 4294967294u, &v));
        assert_int_equal(v, 4294967294u);
}

static void subordinate_ids_are_found_by_name_or_uid(void **state)
{
        (void)state;
        char path[] = "/tmp/nook-subuid-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char text[] = "alice:100000:65536\n1000:300000:10\nbob:200000:65536\nbroken line\nalice:9:0\n";
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
        close(fd);
        struct id_range *r = NULL;
        size_t n = 0;
        assert_int_equal(host_subid_ranges(path, 1000, "alice", &r, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(r[0].outside, 100000);
        assert_int_equal(r[0].count, 65536);
        assert_int_equal(r[1].outside, 300000);
        free(r);
        assert_int_equal(host_subid_ranges(path, 4242, "carol", &r, &n), 0);
        assert_int_equal(n, 0);
        free(r);
        unlink(path);
        assert_int_equal(host_subid_ranges("/nonexistent/subuid", 0, "root", &r, &n), 0);
        assert_int_equal(n, 0);
}

static void path_facts_tell_devices_mounts_and_absence(void **state)
{
        (void)state;
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(root >= 0);
        struct path_facts f;
        assert_int_equal(path_facts_in_root(root, "/dev/null", &f, NULL), 0);
        assert_true(f.exists && f.null_device && !f.is_dir);
        assert_int_equal(path_facts_in_root(root, "/proc", &f, NULL), 0);
        assert_true(f.exists && f.is_dir && f.mountpoint);
        assert_string_equal(fs_type_name(f.fs_type), "proc");
        assert_int_equal(path_facts_in_root(root, "/proc/self/status", &f, NULL), 0);
        assert_false(f.mountpoint);
        assert_int_equal(path_facts_in_root(root, "/no/such/path", &f, NULL), 0);
        assert_false(f.exists);
        close(root);
}

static void write_text(const char *dir, const char *file, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static void cgroup_limit_in_force_is_the_tightest_up_the_tree(void **state)
{
        (void)state;
        char top[] = "/tmp/nook-cgroup-XXXXXX";
        assert_non_null(mkdtemp(top));
        char leaf[600];
        snprintf(leaf, sizeof(leaf), "%s/leaf", top);
        assert_int_equal(mkdir(leaf, 0755), 0);
        write_text(top, "memory.limit_in_bytes", "1048576\n");
        write_text(leaf, "memory.limit_in_bytes", "9223372036854771712\n"); /* v1's "no limit" */
        write_text(leaf, "memory.usage_in_bytes", "4096\n");
        write_text(top, "pids.max", "max\n");
        write_text(leaf, "pids.max", "20\n");
        write_text(leaf, "pids.current", "3\n");
        struct proc_cgroup cgs[] = {
                { 4, "memory", "/leaf", leaf },
                { 8, "pids", "/leaf", leaf },
        };
        struct cgroup_usage u;
        cgroup_read_usage(cgs, 2, &u);
        assert_int_equal(u.memory_limit.value, 1048576);
        assert_string_equal(u.memory_limit.from, top);
        assert_int_equal(u.memory_usage.value, 4096);
        assert_int_equal(u.pids_limit.value, 20);
        assert_string_equal(u.pids_limit.from, leaf);
        assert_int_equal(u.pids_current.value, 3);
        assert_null(u.cpu_quota_us.from);
        cgroup_usage_free(&u);
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        assert_int_equal(system(cmd), 0);
}

static void signal_byte(int fd, char c)
{
        assert_int_equal(write(fd, &c, 1), 1);
}

static char wait_byte(int fd)
{
        char c = 0;
        return read(fd, &c, 1) == 1 ? c : 0;
}

/* A child makes a read-only tmpfs in a private mount namespace, then moves
 * into a new user + mount namespace (so that mount is locked there), and
 * mounts a second read-only tmpfs itself (not locked). */
static void locked_mount_probe_tells_locked_from_own(void **state)
{
        (void)state;
        if (geteuid() != 0)
                skip();
        char dir[] = "/tmp/nook-locked-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char inherited[600], own[600];
        snprintf(inherited, sizeof(inherited), "%s/inherited", dir);
        snprintf(own, sizeof(own), "%s/own", dir);
        assert_int_equal(mkdir(inherited, 0755), 0);
        assert_int_equal(mkdir(own, 0755), 0);
        int ready[2], go[2];
        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                close(ready[0]);
                close(go[1]);
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("tmpfs", inherited, "tmpfs", MS_RDONLY, "size=4k") < 0 ||
                    unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        _exit(1);
                signal_byte(ready[1], '1');
                if (wait_byte(go[0]) != 'g' || mount("tmpfs", own, "tmpfs", MS_RDONLY, "size=4k") < 0)
                        _exit(2);
                signal_byte(ready[1], '2');
                wait_byte(go[0]);
                _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        assert_int_equal(wait_byte(ready[0]), '1');
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
        assert_int_equal(write_file_at(AT_FDCWD, path, "0 0 1", 5, NULL), 0);
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)child);
        assert_int_equal(write_file_at(AT_FDCWD, path, "0 0 1", 5, NULL), 0);
        signal_byte(go[1], 'g');
        assert_int_equal(wait_byte(ready[0]), '2');

        int procfd = proc_open(child, 0, NULL);
        assert_true(procfd >= 0);
        int userns = openat(procfd, "ns/user", O_RDONLY | O_CLOEXEC);
        int mntns = openat(procfd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        int rootfd = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(userns >= 0 && mntns >= 0 && rootfd >= 0);
        const char *paths[] = { inherited, own };
        const bool try_remount[] = { true, true };
        struct lock_probe results[2];
        assert_int_equal(mount_probe_locks(userns, mntns, rootfd, paths, try_remount, 2, results, NULL), 0);
        assert_int_equal(results[0].unmount, EINVAL); /* locked */
        assert_int_equal(results[0].remount, EPERM);  /* locked read-only */
        assert_int_equal(results[1].unmount, 0);
        assert_int_equal(results[1].remount, 0);

        /* The probe worked on a copy: both mounts are still there, read-only. */
        struct path_facts f;
        assert_int_equal(path_facts_in_root(rootfd, own, &f, NULL), 0);
        assert_true(f.mountpoint && f.readonly);
        assert_int_equal(path_facts_in_root(rootfd, inherited, &f, NULL), 0);
        assert_true(f.mountpoint && f.readonly);

        close(userns);
        close(mntns);
        close(rootfd);
        close(procfd);
        close(go[1]);
        int status = 0;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(ready[0]);
        rmdir(inherited);
        rmdir(own);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(mountinfo_fields_and_propagation_are_parsed),
                cmocka_unit_test(id_maps_translate_both_ways),
                cmocka_unit_test(subordinate_ids_are_found_by_name_or_uid),
                cmocka_unit_test(path_facts_tell_devices_mounts_and_absence),
                cmocka_unit_test(cgroup_limit_in_force_is_the_tightest_up_the_tree),
                cmocka_unit_test(locked_mount_probe_tells_locked_from_own),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
