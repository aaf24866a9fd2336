/* linux.resources.devices on cgroup2: there is no devices.allow, a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup decides instead.
 * It is built here from the rules (raw instructions, no libbpf), loaded and
 * attached with bpf(2), and replaces the program attached before (update). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup_internal.h"
#include "util/cleanup.h"

/* The context (struct bpf_cgroup_dev_ctx): access_type = access << 16 | type, major, minor.
 * Registers: r2 type, r3 access, r4 major, r5 minor; r1 scratch; r0 the verdict. */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static uint32_t access_bits(const char *access)
{
        uint32_t bits = 0;
        if (strchr(access, 'r') != NULL)
                bits |= BPF_DEVCG_ACC_READ;
        if (strchr(access, 'w') != NULL)
                bits |= BPF_DEVCG_ACC_WRITE;
        if (strchr(access, 'm') != NULL)
                bits |= BPF_DEVCG_ACC_MKNOD;
        return bits;
}

#define ALL_ACCESS (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

static bool specific(const struct opt_i64 *n)
{
        return n->set && n->value >= 0;
}

/* The v1 device controller's model, replayed: a default behaviour and a list of
 * exceptions to it. "a" resets both; a rule against the default adds an exception
 * (or more access to an identical one); a rule agreeing with the default takes
 * access away from an identical exception (security/device_cgroup.c). */
struct device_model {
        bool allow; /* the default */
        struct spec_device_cgroup *exceptions;
        size_t n;
};

/* A major or minor number; -1 for the wildcard. */
static int64_t node_number(const struct opt_i64 *n)
{
        return specific(n) ? n->value : -1;
}

static bool same_node(const struct spec_device_cgroup *a, const struct spec_device_cgroup *b)
{
        return a->type == b->type && node_number(&a->major) == node_number(&b->major) &&
               node_number(&a->minor) == node_number(&b->minor);
}

static const char *access_string(uint32_t bits)
{
        /* Indexed by the BPF_DEVCG_ACC_* bits: mknod 1, read 2, write 4. */
        static const char *const names[] = { "", "m", "r", "rm", "w", "wm", "rw", "rwm" };
        return names[bits & ALL_ACCESS];
}

static int model_replay(struct device_model *m, const struct spec_device_cgroup *rules, size_t n, nook_err *err)
{
        size_t total = n + cgroup_n_default_devices;
        m->allow = true; /* a new v1 cgroup inherits the root's "allow all" */
        m->n = 0;
        m->exceptions = calloc(total, sizeof(*m->exceptions));
        if (m->exceptions == NULL)
                return nook_error(err, ENOMEM, OCI_RESOURCES "devices");
        for (size_t i = 0; i < total; i++) {
                const struct spec_device_cgroup *d = i < n ? &rules[i] : &cgroup_default_devices[i - n];
                if (d->type == 'a') {
                        m->allow = d->allow;
                        m->n = 0;
                        continue;
                }
                size_t k = 0;
                while (k < m->n && !same_node(&m->exceptions[k], d))
                        k++;
                uint32_t bits = access_bits(d->access);
                if (d->allow != m->allow) {
                        if (k == m->n)
                                m->exceptions[m->n++] = *d;
                        else
                                bits |= access_bits(m->exceptions[k].access);
                        m->exceptions[k].access = access_string(bits);
                } else if (k < m->n) {
                        bits = access_bits(m->exceptions[k].access) & ~bits;
                        if (bits == 0)
                                m->exceptions[k] = m->exceptions[--m->n];
                        else
                                m->exceptions[k].access = access_string(bits);
                }
        }
        return 0;
}

/* Instructions of one exception's block: the checks, then r0 = verdict; exit. */
static size_t block_length(const struct spec_device_cgroup *d)
{
        return 1 + (access_bits(d->access) != ALL_ACCESS ? 3 : 0) + specific(&d->major) + specific(&d->minor) + 2;
}

int cgroup_device_program(const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **insns, size_t *len,
                          nook_err *err)
{
        struct device_model m;
        int ret = model_replay(&m, rules, n, err);
        if (ret < 0)
                return ret;
        size_t count = 6 + 2; /* the loads, and the default */
        for (size_t i = 0; i < m.n; i++)
                count += block_length(&m.exceptions[i]);
        struct bpf_insn *p = calloc(count, sizeof(*p));
        if (p == NULL) {
                free(m.exceptions);
                return nook_error(err, ENOMEM, OCI_RESOURCES "devices");
        }
        size_t k = 0;
        p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
        p[k++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
        p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
        p[k++] = insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
        p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
        p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
        /* Every exception has the same verdict (the opposite of the default): their order does not matter. */
        for (size_t i = 0; i < m.n; i++) {
                const struct spec_device_cgroup *d = &m.exceptions[i];
                size_t next = k + block_length(d);
#define JUMP_NEXT(instruction)                                                                                         \
        do {                                                                                                           \
                p[k] = (instruction);                                                                                  \
                p[k].off = (int16_t)(next - (k + 1));                                                                  \
                k++;                                                                                                   \
        } while (0)
                JUMP_NEXT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                               d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
                uint32_t bits = access_bits(d->access);
                if (bits != ALL_ACCESS) {
                        p[k++] = insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
                        p[k++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)bits);
                        if (m.allow) /* a deny exception catches any access it names */
                                JUMP_NEXT(insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, 0));
                        else /* an allow exception must cover every access asked for */
                                JUMP_NEXT(insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
                }
                if (specific(&d->major))
                        JUMP_NEXT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)d->major.value));
                if (specific(&d->minor))
                        JUMP_NEXT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)d->minor.value));
#undef JUMP_NEXT
                p[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, !m.allow);
                p[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
        p[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, m.allow);
        p[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        free(m.exceptions);
        *insns = p;
        *len = k;
        return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct bpf_insn *insns, size_t len, nook_err *err)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uintptr_t)insns;
        attr.insn_cnt = (uint32_t)len;
        attr.license = (uintptr_t) "Apache-2.0";
        int fd = sys_bpf(BPF_PROG_LOAD, &attr); /* bpf(2) fds are close-on-exec */
        if (fd >= 0)
                return fd;
        int saved = errno;
        /* Ask again with the verifier's log, to say why. */
        char log[2048] = "";
        attr.log_buf = (uintptr_t)log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        char *nl = strrchr(log, '\n');
        while (nl != NULL && nl[1] == '\0' && nl > log) {
                *nl = '\0';
                nl = strrchr(log, '\n');
        }
        return nook_error(err, saved, OCI_RESOURCES "devices: load the cgroup2 device program (%s)",
                          nl != NULL ? nl + 1 : log);
}

int cgroup_v2_apply_devices(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err)
{
        (void)update;
        _cleanup_free_ struct bpf_insn *insns = NULL;
        size_t len = 0;
        int ret = cgroup_device_program(r->devices.items, r->devices.len, &insns, &len, err);
        if (ret < 0)
                return ret;
        _cleanup_close_ int prog = load_program(insns, len, err);
        if (prog < 0)
                return prog;
        /* bpf(2) refuses O_PATH fds. */
        _cleanup_close_ int cgroup = open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgroup < 0)
                return nook_error_errno(err, OCI_RESOURCES "devices: open cgroup `%s`", h->path);

        /* What is attached now gets detached once the new program is in place, so that
         * no device is allowed in between. */
        uint32_t old_ids[64];
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cgroup;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uintptr_t)old_ids;
        attr.query.prog_cnt = ARRAY_SIZE(old_ids);
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
                return nook_error_errno(err, OCI_RESOURCES "devices: query the device programs of `%s`", h->path);
        uint32_t n_old = attr.query.prog_cnt;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup;
        attr.attach_bpf_fd = (uint32_t)prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
                return nook_error_errno(err, OCI_RESOURCES "devices: attach the device program to `%s`", h->path);

        for (uint32_t i = 0; i < n_old && i < ARRAY_SIZE(old_ids); i++) {
                memset(&attr, 0, sizeof(attr));
                attr.prog_id = old_ids[i];
                _cleanup_close_ int old = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
                if (old < 0)
                        return nook_error_errno(err, OCI_RESOURCES "devices: open the old device program %" PRIu32,
                                                old_ids[i]);
                memset(&attr, 0, sizeof(attr));
                attr.target_fd = (uint32_t)cgroup;
                attr.attach_bpf_fd = (uint32_t)old;
                attr.attach_type = BPF_CGROUP_DEVICE;
                if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
                        return nook_error_errno(err, OCI_RESOURCES "devices: detach the old device program %" PRIu32,
                                                old_ids[i]);
        }
        return 0;
}
