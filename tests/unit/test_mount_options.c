/* mounts[].options: parsed once with the config into flags, propagation,
 * recursive attributes, nook's options and checked filesystem data; the lexical
 * path helpers the mount code compares destinations with. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "linux/mount.h"
#include "spec/mount_options.h"
#include "spec/spec.h"
#include "util/fs.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct mount_options parse(const char *type, const char *const *options, size_t n)
{
        struct mount_options opts;
        nook_err err = NULL;
        size_t bad = 0;
        if (mount_options_parse(type, options, n, &opts, &bad, &err) < 0)
                fail_msg("unexpected error at %zu: %s", bad, err->msg);
        return opts;
}

/* Expects a failure at option index `bad` whose message holds `expected`. */
static void parse_fails(const char *type, const char *const *options, size_t n, size_t bad, const char *expected)
{
        struct mount_options opts;
        nook_err err = NULL;
        size_t at = 99;
        if (mount_options_parse(type, options, n, &opts, &at, &err) == 0)
                fail_msg("parsed, but expected an error with \"%s\"", expected);
        assert_int_equal(at, bad);
        if (strstr(err->msg, expected) == NULL)
                fail_msg("error \"%s\" does not contain \"%s\"", err->msg, expected);
        nook_error_free(&err);
}

static void flags_and_data_are_separated(void **state)
{
        (void)state;
        const char *options[] = { "nosuid", "strictatime", "mode=755", "size=65536k", "ro" };
        struct mount_options opts = parse("tmpfs", options, N(options));
        assert_int_equal(opts.kind, MOUNT_KIND_TMPFS);
        assert_int_equal(opts.flags, MS_NOSUID | MS_STRICTATIME | MS_RDONLY);
        assert_string_equal(opts.data, "mode=755,size=65536k");
        assert_true(opts.has_mode);
        assert_int_equal(opts.propagation, 0);
        mount_options_free(&opts);
}

static void uid_and_gid_are_kept_apart_as_numbers(void **state)
{
        (void)state;
        const char *options[] = { "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "uid=1000" };
        struct mount_options opts = parse("devpts", options, N(options));
        assert_string_equal(opts.data, "newinstance,ptmxmode=0666,mode=0620");
        assert_true(opts.has_uid && opts.has_gid);
        assert_int_equal(opts.uid, 1000);
        assert_int_equal(opts.gid, 5);
        mount_options_free(&opts);
}

static void later_options_override_earlier_ones(void **state)
{
        (void)state;
        const char *options[] = { "ro", "rw", "nosuid", "suid" };
        struct mount_options opts = parse("tmpfs", options, N(options));
        assert_int_equal(opts.flags & (MS_RDONLY | MS_NOSUID), 0);
        assert_int_equal(opts.clear_flags, MS_RDONLY | MS_NOSUID);
        assert_null(opts.data);
}

static void propagation_and_bind_options(void **state)
{
        (void)state;
        const char *options[] = { "rbind", "rslave" };
        struct mount_options opts = parse(NULL, options, N(options));
        assert_int_equal(opts.kind, MOUNT_KIND_BIND);
        assert_int_equal(opts.flags, MS_BIND | MS_REC);
        assert_int_equal(opts.propagation, MS_SLAVE | MS_REC);
        assert_int_equal(mount_propagation_from_name("unbindable"), MS_UNBINDABLE);
        assert_int_equal(mount_propagation_from_name("rshared"), MS_SHARED | MS_REC);
        assert_int_equal(mount_propagation_from_name("bogus"), 0);
        /* The type alone makes a bind, without "bind" among the options. */
        assert_int_equal(parse("bind", NULL, 0).kind, MOUNT_KIND_BIND);
}

static void recursive_options_apply_to_every_kind(void **state)
{
        (void)state;
        const char *bind[] = { "bind", "rro", "rnosuid", "idmap" };
        struct mount_options opts = parse(NULL, bind, N(bind));
        assert_int_equal(opts.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
        assert_true(opts.idmap);
        assert_false(opts.rec_idmap);
        const char *tmpfs[] = { "rro", "rnoexec", "tmpcopyup" };
        opts = parse("tmpfs", tmpfs, N(tmpfs));
        assert_int_equal(opts.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
        assert_true(opts.tmpcopyup);
        const char *proc[] = { "rnosuid", "rrw" };
        opts = parse("proc", proc, N(proc));
        assert_int_equal(opts.rec_attr_set, MOUNT_ATTR_NOSUID);
        assert_int_equal(opts.rec_attr_clr, MOUNT_ATTR_RDONLY);
}

static void access_time_options_set_one_mode(void **state)
{
        (void)state;
        const char *noatime[] = { "rstrictatime", "rnoatime" };
        struct mount_options opts = parse("tmpfs", noatime, N(noatime));
        assert_int_equal(opts.rec_attr_set, MOUNT_ATTR_NOATIME);
        assert_int_equal(opts.rec_attr_clr, MOUNT_ATTR__ATIME);
        const char *relatime[] = { "rnoatime", "rrelatime", "rnodiratime" };
        opts = parse("tmpfs", relatime, N(relatime));
        assert_int_equal(opts.rec_attr_set, MOUNT_ATTR_RELATIME | MOUNT_ATTR_NODIRATIME);
        assert_int_equal(opts.rec_attr_clr, MOUNT_ATTR__ATIME);
        const char *atime[] = { "rnoatime", "ratime" };
        opts = parse("tmpfs", atime, N(atime));
        assert_int_equal(opts.rec_attr_set, MOUNT_ATTR_RELATIME);
}

static void ridmap_is_an_idmap_of_the_whole_tree(void **state)
{
        (void)state;
        const char *options[] = { "rbind", "ridmap" };
        struct mount_options opts = parse(NULL, options, N(options));
        assert_true(opts.idmap && opts.rec_idmap);
}

static void symlink_options_of_binds(void **state)
{
        (void)state;
        const char *options[] = { "bind", "src-nofollow", "dest-nofollow" };
        struct mount_options opts = parse(NULL, options, N(options));
        assert_true(opts.src_nofollow && opts.dest_nofollow && !opts.copy_symlink);
        const char *copy[] = { "rbind", "copy-symlink" };
        opts = parse(NULL, copy, N(copy));
        assert_true(opts.copy_symlink);
        const char *both[] = { "bind", "src-nofollow", "copy-symlink" };
        parse_fails(NULL, both, N(both), 2, "\"copy-symlink\" excludes");
        const char *on_tmpfs[] = { "size=1m", "dest-nofollow" };
        parse_fails("tmpfs", on_tmpfs, N(on_tmpfs), 1, "\"dest-nofollow\": only for bind mounts");
}

static void unknown_options_are_refused(void **state)
{
        (void)state;
        const char *bind[] = { "rbind", "rro", "mode=755" };
        parse_fails("bind", bind, N(bind), 2, "unknown option \"mode=755\" (a bind mount takes no filesystem options)");
        const char *typo[] = { "rbind", "rrro" };
        parse_fails(NULL, typo, N(typo), 1, "unknown option \"rrro\"");
        const char *tmpfs[] = { "nosuid", "size=1m", "sise=1m" };
        parse_fails("tmpfs", tmpfs, N(tmpfs), 2, "unknown tmpfs option \"sise=1m\"");
        const char *word[] = { "noswap", "newinstance" };
        parse_fails("tmpfs", word, N(word), 1, "unknown tmpfs option \"newinstance\"");
        const char *sysfs[] = { "ro", "mode=755" };
        parse_fails("sysfs", sysfs, N(sysfs), 1, "unknown sysfs option");
        const char *mqueue[] = { "nosuid", "size=1" };
        parse_fails("mqueue", mqueue, N(mqueue), 1, "unknown mqueue option");
        const char *cgroup[] = { "ro", "nsdelegate" };
        parse_fails("cgroup", cgroup, N(cgroup), 1, "unknown cgroup option");
        const char *idmap[] = { "idmap" };
        parse_fails("tmpfs", idmap, N(idmap), 0, "idmapped mounts are bind mounts only");
        const char *copyup[] = { "tmpcopyup" };
        parse_fails("proc", copyup, N(copyup), 0, "\"tmpcopyup\": only for tmpfs");
        /* No type and no bind: the type is at fault (index n). */
        const char *nothing[] = { "ro" };
        parse_fails(NULL, nothing, N(nothing), 1, "required unless the mount is a bind mount");
}

static void data_of_known_and_unknown_filesystems(void **state)
{
        (void)state;
        const char *proc[] = { "nosuid", "hidepid=2", "subset=pid", "context=\"system_u:object_r:proc_t:s0\"" };
        struct mount_options opts = parse("proc", proc, N(proc));
        assert_string_equal(opts.data, "hidepid=2,subset=pid,context=\"system_u:object_r:proc_t:s0\"");
        mount_options_free(&opts);
        /* Only the kernel knows another filesystem's options: they go as they are. */
        const char *overlay[] = { "lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "userxattr", "ro" };
        opts = parse("overlay", overlay, N(overlay));
        assert_int_equal(opts.kind, MOUNT_KIND_OTHER);
        assert_string_equal(opts.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w,userxattr");
        assert_int_equal(opts.flags, MS_RDONLY);
        mount_options_free(&opts);
        /* A value the kernel will judge (size=lots) is not the parser's to refuse. */
        const char *value[] = { "size=lots" };
        opts = parse("tmpfs", value, N(value));
        assert_string_equal(opts.data, "size=lots");
        mount_options_free(&opts);
}

static void feature_names_include_the_extensions(void **state)
{
        (void)state;
        const char *names[256];
        size_t n = mount_option_names(names, N(names));
        assert_true(n < N(names));
        bool copy_symlink = false, rro = false, bind = false;
        for (size_t i = 0; i < n; i++) {
                copy_symlink |= strcmp(names[i], "copy-symlink") == 0;
                rro |= strcmp(names[i], "rro") == 0;
                bind |= strcmp(names[i], "bind") == 0;
        }
        assert_true(copy_symlink && rro && bind);
}

static void config_errors_name_the_option(void **state)
{
        (void)state;
        const char *json = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\","
                           "\"args\":[\"sh\"]},\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\"},"
                           "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"options\":[\"nosuid\",\"bogus\"]}]}";
        struct spec *spec = NULL;
        nook_err err = NULL;
        assert_true(spec_parse(json, strlen(json), &spec, &err) < 0);
        assert_string_equal(err->msg, "mounts[1].options[1]: unknown tmpfs option \"bogus\" (mount on `/data`)");
        nook_error_free(&err);
        const char *untyped = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\","
                              "\"args\":[\"sh\"]},\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\"]}]}";
        assert_true(spec_parse(untyped, strlen(untyped), &spec, &err) < 0);
        assert_non_null(strstr(err->msg, "mounts[0].type: required unless the mount is a bind mount"));
        nook_error_free(&err);
        const char *ok = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\","
                         "\"args\":[\"sh\"]},\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\","
                         "\"options\":[\"rro\",\"size=1m\"]}]}";
        assert_int_equal(spec_parse(ok, strlen(ok), &spec, &err), 0);
        assert_int_equal(spec->mounts.items[0].parsed.rec_attr_set, MOUNT_ATTR_RDONLY);
        assert_string_equal(spec->mounts.items[0].parsed.data, "size=1m");
        spec_free(spec);
}

static void flags_translate_to_mount_attributes(void **state)
{
        (void)state;
        uint64_t set, clr;
        mount_flags_to_attr(MS_RDONLY | MS_NOEXEC | MS_NOATIME, MS_NOSUID, &set, &clr);
        assert_int_equal(set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME);
        assert_int_equal(clr, MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME);
        mount_flags_to_attr(MS_RELATIME, 0, &set, &clr);
        assert_int_equal(set, 0);
        assert_int_equal(clr, MOUNT_ATTR__ATIME);
}

static void clean(const char *in, const char *want)
{
        char *out = path_clean(in);
        assert_non_null(out);
        assert_string_equal(out, want);
        free(out);
}

static void paths_are_cleaned_lexically(void **state)
{
        (void)state;
        clean("/dev/fuse/", "/dev/fuse");
        clean("//dev//./fuse", "/dev/fuse");
        clean("/dev/../../fuse", "/fuse");
        clean("/", "/");
        clean("", ".");
        clean("a/../../b/", "../b");
        clean("./a/./b/..", "a");
        assert_true(path_same("/dev/", "/dev"));
        assert_true(path_same("//dev/.", "/dev"));
        assert_true(path_same("/", "//./"));
        assert_false(path_same("/dev/pts", "/dev"));
        assert_false(path_same("/devx", "/dev"));
        assert_false(path_same("dev", "/dev"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(flags_and_data_are_separated),
                cmocka_unit_test(uid_and_gid_are_kept_apart_as_numbers),
                cmocka_unit_test(later_options_override_earlier_ones),
                cmocka_unit_test(propagation_and_bind_options),
                cmocka_unit_test(recursive_options_apply_to_every_kind),
                cmocka_unit_test(access_time_options_set_one_mode),
                cmocka_unit_test(ridmap_is_an_idmap_of_the_whole_tree),
                cmocka_unit_test(symlink_options_of_binds),
                cmocka_unit_test(unknown_options_are_refused),
                cmocka_unit_test(data_of_known_and_unknown_filesystems),
                cmocka_unit_test(feature_names_include_the_extensions),
                cmocka_unit_test(config_errors_name_the_option),
                cmocka_unit_test(flags_translate_to_mount_attributes),
                cmocka_unit_test(paths_are_cleaned_lexically),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
