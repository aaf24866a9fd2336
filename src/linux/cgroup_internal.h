/* What the cgroup files share: cgroup_plan.c (where the cgroup goes), cgroup.c
 * (lifecycle), cgroup_resources.c (which hierarchy carries a controller),
 * cgroup_v1.c and cgroup_v2.c (resources), cgroup_v2_devices.c (the eBPF device
 * filter), cgroup_stats.c (events), and below them all cgroup_common.c (the
 * cgroup's files, the hugetlb writer, the default device rules).
 * Internal to src/linux. */
#ifndef NOOK_LINUX_CGROUP_INTERNAL_H
#define NOOK_LINUX_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "linux/cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The linux.resources fields a resource writer reports errors against. */
#define OCI_RESOURCES "linux.resources."

/* True when the comma lists a and b name the same set of controllers. */
bool cgroup_same_controllers(const char *a, const char *b);

/* The v1 hierarchy whose controller list holds controller, or NULL. */
const struct cgroup_hierarchy *cgroup_v1_hierarchy(const struct cgroup *cg, const char *controller);

/* The cgroup2 hierarchy, or NULL (pure v1 hosts). */
const struct cgroup_hierarchy *cgroup_v2_hierarchy(const struct cgroup *cg);

/* Whether the container's cgroup2 directory offers controller (its cgroup.controllers). */
bool cgroup_v2_has_controller(const struct cgroup_hierarchy *h, const char *controller);

/* Whether file exists in the container's directory of h. */
bool cgroup_has_file(const struct cgroup_hierarchy *h, const char *file);

/* Writes value to file in the container's directory of h. Errors name the OCI
 * field, the controller and the file: "linux.resources.memory.swap: write
 * `memory.memsw.limit_in_bytes` (memory controller, `/sys/fs/cgroup/memory/x`) = "1": …";
 * a missing file says the controller lacks it. */
int cgroup_write(const struct cgroup_hierarchy *h, const char *field, const char *file, const char *value,
                 nook_err *err);
int cgroup_writef(const struct cgroup_hierarchy *h, const char *field, const char *file, nook_err *err, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));

/* cgroup_write in two steps, for many writes to one file (one rule a write):
 * the open, then each write; errors as cgroup_write's. */
int cgroup_open_file(const struct cgroup_hierarchy *h, const char *field, const char *file, nook_err *err);
int cgroup_write_fd(int fd, const struct cgroup_hierarchy *h, const char *field, const char *file, const char *value,
                    nook_err *err);

/* Reads file of the container's directory of h whole. */
int cgroup_read(const struct cgroup_hierarchy *h, const char *file, char **out, nook_err *err);

/* Reads a number from file; "max" (and v1's huge "unlimited" values) read as -1. */
int cgroup_read_i64(const struct cgroup_hierarchy *h, const char *file, int64_t *out, nook_err *err);

/* The value of `key N` in a flat keyed file ("memory.stat", "cpu.stat"); -1 when absent. */
int64_t cgroup_keyed_value(const char *text, const char *key);

/* A resource writer: one controller of one cgroup version. update is set for
 * `nook update` (checkBeforeUpdate applies; absent values keep their setting). */
typedef int (*cgroup_apply_fn)(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                               nook_err *err);

int cgroup_v1_apply_cpuset(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                           nook_err *err);
int cgroup_v1_apply_cpu(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err);
int cgroup_v1_apply_memory(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                           nook_err *err);
int cgroup_v1_apply_pids(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err);
int cgroup_v1_apply_blkio(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err);
int cgroup_v1_apply_hugetlb(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err);
int cgroup_v1_apply_net_cls(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err);
int cgroup_v1_apply_net_prio(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                             nook_err *err);
int cgroup_v1_apply_devices(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err);

int cgroup_v2_apply_cpuset(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                           nook_err *err);
int cgroup_v2_apply_cpu(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err);
int cgroup_v2_apply_memory(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                           nook_err *err);
int cgroup_v2_apply_pids(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err);
int cgroup_v2_apply_io(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update, nook_err *err);
int cgroup_v2_apply_hugetlb(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err);
int cgroup_v2_apply_unified(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err);
/* cgroup_v2_devices.c: builds the eBPF program from the rules and attaches it
 * in place of the programs attached before. */
int cgroup_v2_apply_devices(const struct cgroup_hierarchy *h, const struct spec_resources *r, bool update,
                            nook_err *err);

/* The device rules every container gets after its own (runc's default allowed devices). */
extern const struct spec_device_cgroup cgroup_default_devices[];
extern const size_t cgroup_n_default_devices;

/* ---- conversions (pure; unit-tested) ---- */

/* cpu.shares [2, 262144] to cpu.weight [1, 10000]; 0 stays 0 (unset). */
uint64_t cgroup_shares_to_weight(uint64_t shares);

/* blkio.weight [10, 1000] to io.weight [1, 10000]; 0 stays 0 (unset). */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);

/* OCI memory.swap (memory+swap, v1 meaning) to memory.swap.max, given the memory
 * limit (0: none, -1: unlimited). *out is -1 for "max", 0 for "leave alone". */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, nook_err *err);

/* A hugepageLimits pageSize ("2MB", "1GB", "64KB") checked to be a safe file name part. */
bool cgroup_valid_page_size(const char *size);

/* hugepageLimits into hugetlb.<size>.<limit>, and into hugetlb.<size>.<rsvd> where
 * the kernel has reservation files (v1: limit_in_bytes, v2: max). */
int cgroup_write_hugetlb(const struct cgroup_hierarchy *h, const struct spec_resources *r, const char *limit,
                         const char *rsvd, nook_err *err);

/* ---- the v2 device program (cgroup_v2_devices.c) ---- */

struct bpf_insn;

/* The instructions of a BPF_PROG_TYPE_CGROUP_DEVICE program for the rules
 * followed by the default ones, deciding as the v1 device controller would
 * after the same writes to devices.allow / devices.deny. */
int cgroup_device_program(const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **insns, size_t *len,
                          nook_err *err);

#endif
