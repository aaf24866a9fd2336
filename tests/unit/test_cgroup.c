/* cgroup conversions (v1 values to cgroup2 files) and the cgroup2 device
 * program, run here by a small interpreter of the instructions it uses. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linux/cgroup_internal.h"

static void shares_become_weights_with_the_defaults_matching(void **state)
{
        (void)state;
        assert_int_equal(cgroup_shares_to_weight(0), 0); /* unset */
        assert_int_equal(cgroup_shares_to_weight(1), 1);
        assert_int_equal(cgroup_shares_to_weight(2), 1);
        assert_int_equal(cgroup_shares_to_weight(1024), 100);
        assert_int_equal(cgroup_shares_to_weight(262144), 10000);
        assert_int_equal(cgroup_shares_to_weight(1000000), 10000);
        uint64_t last = 0;
        for (uint64_t s = 2; s <= 262144; s *= 2) {
                uint64_t w = cgroup_shares_to_weight(s);
                assert_true(w >= last && w >= 1 && w <= 10000);
                last = w;
        }
}

static void blkio_weights_become_io_weights(void **state)
{
        (void)state;
        assert_int_equal(cgroup_blkio_to_io_weight(0), 0);
        assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
        assert_int_equal(cgroup_blkio_to_io_weight(500), 4950);
        assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);
}

static int64_t swap(int64_t swap_value, int64_t limit)
{
        int64_t out = 12345;
        nook_err err = NULL;
        int ret = cgroup_swap_to_v2(swap_value, limit, &out, &err);
        if (ret < 0) {
                nook_error_free(&err);
                return INT64_MIN;
        }
        return out;
}

static void swap_counts_memory_plus_swap_as_on_v1(void **state)
{
        (void)state;
        const int64_t mb = 1 << 20;
        assert_int_equal(swap(96 * mb, 64 * mb), 32 * mb);
        assert_int_equal(swap(64 * mb, 64 * mb), -2); /* an explicit "no swap" */
        assert_int_equal(swap(0, 64 * mb), 0);        /* leave alone */
        assert_int_equal(swap(-1, 64 * mb), -1);      /* max */
        assert_int_equal(swap(0, -1), -1);            /* unlimited memory: unlimited swap */
        assert_true(swap(32 * mb, 64 * mb) == INT64_MIN);
        assert_true(swap(96 * mb, 0) == INT64_MIN);
        assert_true(swap(96 * mb, -1) == INT64_MIN);
}

static void page_sizes_are_checked_before_they_name_a_file(void **state)
{
        (void)state;
        assert_true(cgroup_valid_page_size("2MB"));
        assert_true(cgroup_valid_page_size("1GB"));
        assert_true(cgroup_valid_page_size("64KB"));
        assert_false(cgroup_valid_page_size("../../memory"));
        assert_false(cgroup_valid_page_size("2MB/x"));
        assert_false(cgroup_valid_page_size("MB"));
        assert_false(cgroup_valid_page_size("2mb"));
        assert_false(cgroup_valid_page_size(""));
}

static void keyed_files_are_read_by_key(void **state)
{
        (void)state;
        const char *text = "oom 1\noom_kill 3\noom_group_kill 0\n";
        assert_int_equal(cgroup_keyed_value(text, "oom"), 1);
        assert_int_equal(cgroup_keyed_value(text, "oom_kill"), 3);
        assert_int_equal(cgroup_keyed_value(text, "max"), -1);
}

/* ---- the device program ---- */

/* Runs the subset of eBPF the program uses on one device access. */
static int run_program(const struct bpf_insn *p, size_t len, char type, uint32_t major, uint32_t minor,
                       const char *access)
{
        uint32_t ctx[3] = { 0, major, minor };
        uint32_t acc = 0;
        for (const char *a = access; *a; a++)
                acc |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
        ctx[0] = acc << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        uint64_t r[11] = { 0 };
        for (size_t pc = 0; pc < len; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint64_t src = BPF_SRC(i->code) == BPF_X ? r[i->src_reg] : (uint64_t)(int64_t)i->imm;
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        assert_int_equal(i->src_reg, BPF_REG_1);
                        assert_true(i->off % 4 == 0 && i->off / 4 < 3);
                        r[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & src);
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> src;
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        r[i->dst_reg] = src;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                case BPF_JMP | BPF_JNE | BPF_X:
                        if (r[i->dst_reg] != src)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        if (r[i->dst_reg] == src)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int)r[0];
                default:
                        fail_msg("unexpected instruction %#x at %zu", i->code, pc);
                }
                assert_true(pc + 1 <= len);
        }
        fail_msg("the program ran off its end");
        return -1;
}

#define RULE(a, t, maj, min, acc)                                                                                      \
        {                                                                                                              \
                .allow = (a), .type = (t), .major = { (maj) >= 0, (maj) }, .minor = { (min) >= 0, (min) },             \
                .access = (acc)                                                                                        \
        }

struct program {
        struct bpf_insn *insns;
        size_t len;
};

static struct program build(const struct spec_device_cgroup *rules, size_t n)
{
        struct program p;
        nook_err err = NULL;
        assert_int_equal(cgroup_device_program(rules, n, &p.insns, &p.len, &err), 0);
        return p;
}

static void deny_all_leaves_the_default_devices(void **state)
{
        (void)state;
        const struct spec_device_cgroup rules[] = { RULE(false, 'a', -1, -1, "rwm") };
        struct program p = build(rules, 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 1, 3, "rw"), 1);   /* /dev/null */
        assert_int_equal(run_program(p.insns, p.len, 'c', 136, 4, "rw"), 1); /* a pty */
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "r"), 0); /* /dev/fuse */
        assert_int_equal(run_program(p.insns, p.len, 'b', 8, 0, "m"), 1);    /* mknod of any node */
        assert_int_equal(run_program(p.insns, p.len, 'b', 8, 0, "r"), 0);
        assert_int_equal(run_program(p.insns, p.len, 'c', 1, 3, "rwm"), 1);
        free(p.insns);
}

static void an_allow_rule_must_cover_every_access_asked(void **state)
{
        (void)state;
        const struct spec_device_cgroup rules[] = { RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 10, 229, "rw") };
        struct program p = build(rules, 2);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "rw"), 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "r"), 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "rwm"), 0);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 228, "r"), 0);
        free(p.insns);
}

static void a_later_deny_takes_access_away_as_on_v1(void **state)
{
        (void)state;
        const struct spec_device_cgroup rules[] = { RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 10, 229, "rwm"),
                                                    RULE(false, 'c', 10, 229, "w") };
        struct program p = build(rules, 3);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "r"), 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "w"), 0);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "rw"), 0);
        free(p.insns);
}

static void without_deny_all_everything_else_stays_allowed(void **state)
{
        (void)state;
        /* A new v1 cgroup starts from "allow all": a deny rule is an exception to it,
         * caught by any access it names. */
        const struct spec_device_cgroup rules[] = { RULE(false, 'c', 10, 229, "w") };
        struct program p = build(rules, 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "r"), 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "rw"), 0);
        assert_int_equal(run_program(p.insns, p.len, 'b', 8, 0, "rwm"), 1);
        free(p.insns);
}

static void allow_all_after_deny_all_resets_the_list(void **state)
{
        (void)state;
        const struct spec_device_cgroup rules[] = { RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'a', -1, -1, "rwm") };
        struct program p = build(rules, 2);
        assert_int_equal(run_program(p.insns, p.len, 'b', 8, 0, "rw"), 1);
        assert_int_equal(run_program(p.insns, p.len, 'c', 10, 229, "rwm"), 1);
        free(p.insns);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(shares_become_weights_with_the_defaults_matching),
                cmocka_unit_test(blkio_weights_become_io_weights),
                cmocka_unit_test(swap_counts_memory_plus_swap_as_on_v1),
                cmocka_unit_test(page_sizes_are_checked_before_they_name_a_file),
                cmocka_unit_test(keyed_files_are_read_by_key),
                cmocka_unit_test(deny_all_leaves_the_default_devices),
                cmocka_unit_test(an_allow_rule_must_cover_every_access_asked),
                cmocka_unit_test(a_later_deny_takes_access_away_as_on_v1),
                cmocka_unit_test(without_deny_all_everything_else_stays_allowed),
                cmocka_unit_test(allow_all_after_deny_all_resets_the_list),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
