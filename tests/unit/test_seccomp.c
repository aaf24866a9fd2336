/* linux.seccomp → BPF: each action, operator and flag is checked by loading the
 * compiled program in a child and watching what a system call then does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/seccomp.h"
#include "spec/default_seccomp.h"
#include "spec/spec.h"

#define CONFIG_HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"x\"]},"

static struct spec *parse_seccomp(const char *seccomp)
{
        char *json;
        if (asprintf(&json, CONFIG_HEAD "\"linux\":{\"seccomp\":%s}}", seccomp) < 0)
                fail();
        struct spec *spec = NULL;
        nook_err err = NULL;
        if (spec_parse(json, strlen(json), &spec, &err) < 0)
                fail_msg("parse: %s", err->msg);
        free(json);
        return spec;
}

static struct seccomp_program compile_ok(const char *seccomp)
{
        struct spec *spec = parse_seccomp(seccomp);
        struct seccomp_program p;
        nook_err err = NULL;
        if (seccomp_compile(spec->linux->seccomp, &p, &err) < 0)
                fail_msg("compile: %s", err->msg);
        spec_free(spec);
        return p;
}

static void compile_fails_with(const char *seccomp, const char *expected)
{
        struct spec *spec = parse_seccomp(seccomp);
        struct seccomp_program p;
        nook_err err = NULL;
        if (seccomp_compile(spec->linux->seccomp, &p, &err) == 0)
                fail_msg("compiled, but expected an error with \"%s\"", expected);
        if (strstr(err->msg, expected) == NULL)
                fail_msg("error \"%s\" does not contain \"%s\"", err->msg, expected);
        nook_error_free(&err);
        spec_free(spec);
}

static long load(const struct seccomp_program *p)
{
        struct sock_fprog prog = { .len = (unsigned short)p->len, .filter = p->filter };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -1;
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
}

/* What system call nr (a0, a1) does under the program, in a child: the errno it
 * fails with (0 when it succeeds), or 1000 + the signal that killed the child. */
static int call_under(const struct seccomp_program *p, long nr, long a0, long a1)
{
        pid_t pid = fork();
        if (pid == 0) {
                struct rlimit no_core = { 0, 0 };
                setrlimit(RLIMIT_CORE, &no_core);
                signal(SIGSYS, SIG_DFL); /* cmocka's handler would carry on with the suite here */
                if (load(p) < 0)
                        _exit(200);
                long r = syscall(nr, a0, a1);
                _exit(r >= 0 ? 0 : errno);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status))
                return 1000 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

static int getppid_under(const struct seccomp_program *p, long a0, long a1)
{
        return call_under(p, SYS_getppid, a0, a1);
}

static int outcome(const char *seccomp, long a0)
{
        struct seccomp_program p = compile_ok(seccomp);
        int r = getppid_under(&p, a0, 0);
        seccomp_program_free(&p);
        return r;
}

#define ALLOW_BUT(rule) "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[" rule "]}"

static void every_action_does_what_it_says(void **state)
{
        (void)state;
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}"), 0), EPERM);
        assert_int_equal(
                outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}"), 0), 42);
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL\"}"), 0),
                         1000 + SIGSYS);
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL_THREAD\"}"), 0),
                         1000 + SIGSYS);
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}"), 0),
                         1000 + SIGSYS);
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRAP\"}"), 0),
                         1000 + SIGSYS);
        /* No tracer attached: the kernel answers ENOSYS. */
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRACE\"}"), 0), ENOSYS);
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}"), 0), 0);
        assert_int_equal(outcome("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":7,\"syscalls\":["
                                 "{\"names\":[\"exit_group\",\"exit\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                                 0),
                         7);
        assert_int_equal(outcome("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                                 "{\"names\":[\"exit_group\",\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                                 0),
                         0);
}

static void every_operator_compares_as_libseccomp_says(void **state)
{
        (void)state;
        static const struct {
                const char *op;
                unsigned long long value, value_two, arg;
                bool matches;
        } cases[] = {
                { "SCMP_CMP_NE", 10, 0, 11, true },     { "SCMP_CMP_NE", 10, 0, 10, false },
                { "SCMP_CMP_LT", 10, 0, 9, true },      { "SCMP_CMP_LT", 10, 0, 10, false },
                { "SCMP_CMP_LE", 10, 0, 10, true },     { "SCMP_CMP_LE", 10, 0, 11, false },
                { "SCMP_CMP_EQ", 10, 0, 10, true },     { "SCMP_CMP_EQ", 10, 0, 11, false },
                { "SCMP_CMP_GE", 10, 0, 10, true },     { "SCMP_CMP_GE", 10, 0, 9, false },
                { "SCMP_CMP_GT", 10, 0, 11, true },     { "SCMP_CMP_GT", 10, 0, 10, false },
                { "SCMP_CMP_MASKED_EQ", 0xf0, 0x20, 0x2f, true },
                { "SCMP_CMP_MASKED_EQ", 0xf0, 0x20, 0x30, false },
                /* All 64 bits count. */
                { "SCMP_CMP_EQ", 0x100000001ULL, 0, 0x100000001ULL, true },
                { "SCMP_CMP_EQ", 0x100000001ULL, 0, 1, false },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char rule[256];
                snprintf(rule, sizeof(rule),
                         ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":99,"
                                   "\"args\":[{\"index\":0,\"value\":%llu,\"valueTwo\":%llu,\"op\":\"%s\"}]}"),
                         cases[i].value, cases[i].value_two, cases[i].op);
                int got = outcome(rule, (long)cases[i].arg);
                if (got != (cases[i].matches ? 99 : 0))
                        fail_msg("%s %llu/%llu with %llu: got %d", cases[i].op, cases[i].value, cases[i].value_two,
                                 cases[i].arg, got);
        }
}

static void conditions_on_one_argument_are_ored_on_several_anded(void **state)
{
        (void)state;
        struct seccomp_program ored = compile_ok(ALLOW_BUT(
                "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":99,\"args\":["
                "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}"));
        assert_int_equal(getppid_under(&ored, 1, 0), 99);
        assert_int_equal(getppid_under(&ored, 2, 0), 99);
        assert_int_equal(getppid_under(&ored, 3, 0), 0);
        seccomp_program_free(&ored);
        struct seccomp_program anded = compile_ok(ALLOW_BUT(
                "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":99,\"args\":["
                "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}"));
        assert_int_equal(getppid_under(&anded, 1, 2), 99);
        assert_int_equal(getppid_under(&anded, 1, 3), 0);
        assert_int_equal(getppid_under(&anded, 0, 2), 0);
        seccomp_program_free(&anded);
}

static void unknown_syscall_names_are_skipped(void **state)
{
        (void)state;
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"nook_no_such_call\",\"getppid\"],"
                                           "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5}"),
                                 0),
                         5);
}

static void a_rule_like_the_default_changes_nothing(void **state)
{
        (void)state;
        assert_int_equal(outcome(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}"), 0), 0);
}

static void architectures_add_their_own_tables(void **state)
{
        (void)state;
        const char *rule = "\"syscalls\":[{\"names\":[\"getppid\",\"socketcall\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
        char native[256], multi[256];
        snprintf(native, sizeof(native), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",%s", rule);
        snprintf(multi, sizeof(multi),
                 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
                 "\"SCMP_ARCH_X32\"],%s",
                 rule);
        struct seccomp_program a = compile_ok(native), b = compile_ok(multi);
        assert_true(b.len > a.len);
        assert_int_equal(getppid_under(&b, 0, 0), EPERM);
        seccomp_program_free(&a);
        seccomp_program_free(&b);
}

static void bad_profiles_are_errors_naming_the_field(void **state)
{
        (void)state;
        compile_fails_with(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}"),
                           "linux.seccomp: syscalls[0]: SCMP_ACT_KILL_THREAD takes no errno");
        compile_fails_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":3}",
                           "defaultAction: SCMP_ACT_ALLOW takes no errno");
        compile_fails_with(ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":70000}"),
                           "syscalls[0]: errno return value 70000");
        compile_fails_with(ALLOW_BUT("{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}"), "syscalls[0].names");
        compile_fails_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}",
                           "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");
        compile_fails_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_FOO\"]}",
                           "linux.seccomp.flags[0]: unknown flag");
        compile_fails_with("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
                           "SCMP_ACT_NOTIFY cannot be the default");
}

static void flags_are_passed_as_the_kernel_knows_them(void **state)
{
        (void)state;
        struct seccomp_program p = compile_ok(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
                "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\","
                "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}");
        /* No listener: WAIT_KILLABLE_RECV means nothing and the kernel would refuse it. */
        assert_int_equal(p.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        assert_int_equal(getppid_under(&p, 0, 0), 0);
        seccomp_program_free(&p);
        p = compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\","
                       "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
                       "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
        assert_int_equal(p.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
        seccomp_program_free(&p);
}

static int recv_fd(int sock)
{
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        if (recvmsg(sock, &mh, 0) <= 0 || CMSG_FIRSTHDR(&mh) == NULL)
                return -1;
        int fd;
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(fd));
        return fd;
}

static void notify_hands_the_call_to_the_listener(void **state)
{
        (void)state;
        struct seccomp_program p =
                compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\","
                           "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        pid_t pid = fork();
        if (pid == 0) {
                long listener = load(&p);
                if (listener < 0)
                        _exit(200);
                char byte = 0;
                struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
                union {
                        char buf[CMSG_SPACE(sizeof(int))];
                        struct cmsghdr align;
                } control = { 0 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                                     .msg_controllen = sizeof(control.buf) };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                int fd = (int)listener;
                memcpy(CMSG_DATA(c), &fd, sizeof(fd));
                if (sendmsg(sv[1], &mh, 0) < 0)
                        _exit(201);
                close(fd);
                long r = syscall(SYS_getppid);
                _exit(r >= 0 ? 0 : errno);
        }
        int listener = recv_fd(sv[0]);
        assert_true(listener >= 0);
        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        assert_int_equal(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
        assert_int_equal(req.data.nr, SYS_getppid);
        struct seccomp_notif_resp resp = { .id = req.id, .error = -55 };
        assert_int_equal(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 55);
        close(listener);
        close(sv[0]);
        close(sv[1]);
        seccomp_program_free(&p);
}

static void notify_is_refused_for_calls_nook_makes_after_loading(void **state)
{
        (void)state;
        struct spec *spec = parse_seccomp("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\","
                                          "\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
                                          "{\"names\":[\"prctl\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
        nook_err err = NULL;
        assert_int_equal(seccomp_check_notify(spec->linux->seccomp, true, &err), 0);
        assert_true(seccomp_check_notify(spec->linux->seccomp, false, &err) < 0);
        assert_non_null(strstr(err->msg, "syscalls[1]: SCMP_ACT_NOTIFY cannot apply to \"prctl\""));
        nook_error_free(&err);
        spec_free(spec);
        spec = parse_seccomp("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\","
                             "\"syscalls\":[{\"names\":[\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
        assert_true(seccomp_check_notify(spec->linux->seccomp, true, &err) < 0);
        nook_error_free(&err);
        spec_free(spec);
}

/* ---- the default profile ---- */

static bool allows(json_object *profile, const char *name)
{
        json_object *names = json_object_object_get(json_object_array_get_idx(
                                                            json_object_object_get(profile, "syscalls"), 0),
                                                    "names");
        for (size_t i = 0; i < json_object_array_length(names); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name) == 0)
                        return true;
        return false;
}

static bool has_rule_for(json_object *profile, const char *name)
{
        json_object *rules = json_object_object_get(profile, "syscalls");
        for (size_t i = 1; i < json_object_array_length(rules); i++) {
                json_object *names = json_object_object_get(json_object_array_get_idx(rules, i), "names");
                if (strcmp(json_object_get_string(json_object_array_get_idx(names, 0)), name) == 0)
                        return true;
        }
        return false;
}

static void the_default_profile_compiles_and_follows_capabilities(void **state)
{
        (void)state;
        json_object *plain = default_seccomp_profile(1ULL << CAP_CHOWN);
        struct seccomp_program p = compile_ok(json_object_to_json_string(plain));
        assert_true(p.len > 300 && p.len < 4096);
        /* The container process itself runs under it. */
        assert_int_equal(getppid_under(&p, 0, 0), 0);
        seccomp_program_free(&p);
        assert_false(allows(plain, "mount"));
        assert_false(allows(plain, "clone"));
        assert_true(has_rule_for(plain, "clone"));
        assert_true(has_rule_for(plain, "clone3"));
        assert_false(allows(plain, "chroot"));
        json_object *admin = default_seccomp_profile((1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SYS_CHROOT));
        assert_true(allows(admin, "mount"));
        assert_true(allows(admin, "clone"));
        assert_true(allows(admin, "chroot"));
        assert_false(has_rule_for(admin, "clone"));
        assert_false(has_rule_for(admin, "clone3"));
        json_object_put(plain);
        json_object_put(admin);
}

/* ---- calls newer than the profile: ENOSYS (runc's stub) ---- */

/* A number no kernel gives a call (x86_64 and the others are far below). */
#define NEWER_THAN_ANY 1000

static int call_under_profile(const char *seccomp, long nr)
{
        struct seccomp_program p = compile_ok(seccomp);
        int r = call_under(&p, nr, 0, 0);
        seccomp_program_free(&p);
        return r;
}

static void calls_above_the_highest_named_answer_enosys(void **state)
{
        (void)state;
        /* exit_group is the highest named; dup is below, named nowhere. */
        const char *profile = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                              "{\"names\":[\"exit_group\",\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
        assert_int_equal(call_under_profile(profile, NEWER_THAN_ANY), ENOSYS);
        assert_int_equal(call_under_profile(profile, SYS_exit_group + 1), ENOSYS);
        assert_int_equal(call_under_profile(profile, SYS_dup), EPERM);
        assert_int_equal(call_under_profile(profile, SYS_getppid), 0);
        /* A killing default too: the new call answers, the old one kills. */
        const char *kill = "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[{\"names\":[\"exit_group\","
                           "\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
        assert_int_equal(call_under_profile(kill, NEWER_THAN_ANY), ENOSYS);
        assert_int_equal(call_under_profile(kill, SYS_dup), 1000 + SIGSYS);
}

static void listed_architectures_get_the_stub_too(void **state)
{
        (void)state;
        const char *profile = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                              "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":[\"exit_group\","
                              "\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
        assert_int_equal(call_under_profile(profile, NEWER_THAN_ANY), ENOSYS);
        assert_int_equal(call_under_profile(profile, SYS_dup), EPERM);
        assert_int_equal(call_under_profile(profile, SYS_getppid), 0);
}

static void permissive_or_enosys_defaults_get_no_stub(void **state)
{
        (void)state;
        const char *rules = "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
                            "{\"names\":[\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
        char profile[512];
        const char *defaults[] = { "\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_LOG\"",
                                   "\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38" };
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
                snprintf(profile, sizeof(profile), "{\"defaultAction\":%s,%s", defaults[i], rules);
                struct seccomp_program with = compile_ok(profile);
                /* Exactly libseccomp's program: it starts by loading the architecture, then checks it. */
                assert_int_equal(with.filter[1].code, BPF_JMP | BPF_JEQ | BPF_K);
                assert_int_not_equal(with.filter[1].jf, 0);
                assert_int_equal(call_under(&with, SYS_getppid, 0, 0), EPERM);
                seccomp_program_free(&with);
        }
        /* And with the stub, the program grows by it. */
        struct seccomp_program allow = compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                                                  "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
        struct seccomp_program deny = compile_ok("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                                                 "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
        assert_true(deny.len > allow.len);
        seccomp_program_free(&allow);
        seccomp_program_free(&deny);
}

static void the_default_profile_answers_enosys_for_newer_calls(void **state)
{
        (void)state;
        json_object *profile = default_seccomp_profile(0);
        struct seccomp_program p = compile_ok(json_object_to_json_string(profile));
        assert_int_equal(call_under(&p, NEWER_THAN_ANY, 0, 0), ENOSYS);
        /* Named nowhere (CAP_SYS_BOOT's), below the highest named: the default's EPERM. */
        assert_int_equal(call_under(&p, SYS_kexec_load, 0, 0), EPERM);
        seccomp_program_free(&p);
        json_object_put(profile);
}

/* ---- the cache ---- */

static char *make_temp_dir(void)
{
        char *dir = strdup("/tmp/nook-test-seccomp-XXXXXX");
        if (mkdtemp(dir) == NULL)
                fail();
        return dir;
}

static void remove_dir(const char *dir)
{
        char *cmd;
        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && system(cmd) != 0)
                fail_msg("rm %s", dir);
        free(cmd);
}

static char *only_entry(const char *dir)
{
        char *cmd, *path = NULL;
        if (asprintf(&cmd, "ls '%s'", dir) < 0)
                fail();
        FILE *f = popen(cmd, "r");
        char name[256];
        if (f != NULL && fgets(name, sizeof(name), f) != NULL) {
                name[strcspn(name, "\n")] = '\0';
                if (asprintf(&path, "%s/%s", dir, name) < 0)
                        path = NULL;
        }
        if (f != NULL && fgets(name, sizeof(name), f) != NULL)
                fail_msg("more than one cache entry");
        pclose(f);
        free(cmd);
        return path;
}

#define CACHED_PROFILE ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":33}")

static struct seccomp_program compile_cached(const char *seccomp, const char *dir)
{
        struct spec *spec = parse_seccomp(seccomp);
        struct seccomp_program p;
        nook_err err = NULL;
        if (seccomp_compile_cached(spec->linux->seccomp, dir, &p, &err) < 0)
                fail_msg("compile: %s", err->msg);
        spec_free(spec);
        return p;
}

/* Every instruction of the entry's program (its last `len`) rewritten to return `value`. */
static void rewrite_entry(const char *path, size_t len, uint32_t value)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        struct stat st;
        assert_true(fd >= 0 && fstat(fd, &st) == 0);
        struct sock_filter ret = BPF_STMT(BPF_RET | BPF_K, value);
        for (size_t i = 1; i <= len; i++)
                assert_int_equal(pwrite(fd, &ret, sizeof(ret), st.st_size - (off_t)(i * sizeof(ret))), sizeof(ret));
        close(fd);
}

static void a_cached_program_is_used_when_the_profile_matches(void **state)
{
        (void)state;
        char *root = make_temp_dir(), *dir;
        assert_true(asprintf(&dir, "%s/cache", root) > 0);
        struct seccomp_program first = compile_cached(CACHED_PROFILE, dir);
        assert_int_equal(getppid_under(&first, 0, 0), 33);
        char *entry = only_entry(dir);
        assert_non_null(entry);
        /* Proof that the next compile reads the entry: a program that allows everything. */
        rewrite_entry(entry, first.len, SECCOMP_RET_ALLOW);
        struct seccomp_program second = compile_cached(CACHED_PROFILE, dir);
        assert_int_equal(second.len, first.len);
        assert_int_equal(getppid_under(&second, 0, 0), 0);
        seccomp_program_free(&first);
        seccomp_program_free(&second);
        free(entry);
        free(dir);
        remove_dir(root);
        free(root);
}

static void another_profile_never_gets_a_cached_program(void **state)
{
        (void)state;
        char *dir = make_temp_dir();
        struct seccomp_program a = compile_cached(CACHED_PROFILE, dir);
        char *entry = only_entry(dir);
        struct seccomp_program b = compile_cached(
                ALLOW_BUT("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":34}"), dir);
        assert_int_equal(getppid_under(&b, 0, 0), 34);
        seccomp_program_free(&b);
        /* b's entry under a's name — what a hash collision would look like: a must not take it. */
        char *cmd;
        assert_true(asprintf(&cmd, "cd '%s' && for f in *; do [ \"$PWD/$f\" = '%s' ] || mv \"$f\" '%s'; done", dir,
                             entry, entry) > 0);
        assert_int_equal(system(cmd), 0);
        struct seccomp_program again = compile_cached(CACHED_PROFILE, dir);
        assert_int_equal(getppid_under(&again, 0, 0), 33);
        seccomp_program_free(&a);
        seccomp_program_free(&again);
        free(cmd);
        free(entry);
        remove_dir(dir);
        free(dir);
}

static void a_cache_others_can_write_is_ignored(void **state)
{
        (void)state;
        char *dir = make_temp_dir();
        struct seccomp_program a = compile_cached(CACHED_PROFILE, dir);
        char *entry = only_entry(dir);
        rewrite_entry(entry, a.len, SECCOMP_RET_ALLOW);
        assert_int_equal(chmod(dir, 0777), 0);
        struct seccomp_program b = compile_cached(CACHED_PROFILE, dir);
        assert_int_equal(getppid_under(&b, 0, 0), 33);
        seccomp_program_free(&a);
        seccomp_program_free(&b);
        free(entry);
        remove_dir(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_action_does_what_it_says),
                cmocka_unit_test(every_operator_compares_as_libseccomp_says),
                cmocka_unit_test(conditions_on_one_argument_are_ored_on_several_anded),
                cmocka_unit_test(unknown_syscall_names_are_skipped),
                cmocka_unit_test(a_rule_like_the_default_changes_nothing),
                cmocka_unit_test(architectures_add_their_own_tables),
                cmocka_unit_test(bad_profiles_are_errors_naming_the_field),
                cmocka_unit_test(flags_are_passed_as_the_kernel_knows_them),
                cmocka_unit_test(notify_hands_the_call_to_the_listener),
                cmocka_unit_test(notify_is_refused_for_calls_nook_makes_after_loading),
                cmocka_unit_test(the_default_profile_compiles_and_follows_capabilities),
                cmocka_unit_test(calls_above_the_highest_named_answer_enosys),
                cmocka_unit_test(listed_architectures_get_the_stub_too),
                cmocka_unit_test(permissive_or_enosys_defaults_get_no_stub),
                cmocka_unit_test(the_default_profile_answers_enosys_for_newer_calls),
                cmocka_unit_test(a_cached_program_is_used_when_the_profile_matches),
                cmocka_unit_test(another_profile_never_gets_a_cached_program),
                cmocka_unit_test(a_cache_others_can_write_is_ignored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
