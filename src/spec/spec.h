/* The OCI runtime configuration (config.json) as C structs.
 *
 * Strings point into the parsed JSON tree, which lives as long as the spec.
 * Optional scalars use the opt_* types so "absent" and "zero" differ.
 * Parse errors name the JSON path: "linux.namespaces[2].type: unknown namespace \"foo\"". */
#ifndef NOOK_SPEC_SPEC_H
#define NOOK_SPEC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/mount_options.h"
#include "util/error.h"

struct json_object;

struct opt_i64 {
        bool set;
        int64_t value;
};

struct opt_u64 {
        bool set;
        uint64_t value;
};

struct opt_bool {
        bool set;
        bool value;
};

/* A typed array: items and their count, laid out alike for every element type. */
#define SPEC_ARRAY(type)      \
        struct {              \
                type *items;  \
                size_t len;   \
        }

struct spec_string_pair {
        const char *key;
        const char *value;
};

typedef SPEC_ARRAY(const char *) spec_strings;
typedef SPEC_ARRAY(struct spec_string_pair) spec_map;

/* A list of CPU or NUMA node ids ("0-3,7") as a bit mask, bit n = id n
 * (util/id_list.h); bits == NULL when absent or empty. */
struct spec_id_set {
        unsigned long *bits;
        size_t nbits; /* highest id + 1 */
};

/* ---- process ---- */

struct spec_rlimit {
        int resource; /* RLIMIT_* */
        uint64_t soft;
        uint64_t hard;
};

/* Capability sets as bit masks (bit n = capability n). */
struct spec_capabilities {
        uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_user {
        uint32_t uid;
        uint32_t gid;
        struct opt_u64 umask;
        SPEC_ARRAY(uint32_t) additional_gids;
        const char *username;
};

struct spec_scheduler {
        int policy; /* SCHED_* */
        int32_t nice;
        int32_t priority;
        uint64_t flags; /* SCHED_FLAG_* */
        uint64_t runtime, deadline, period;
};

struct spec_io_priority {
        int io_class; /* IOPRIO_CLASS_* */
        int priority;
};

struct spec_process {
        bool terminal;
        bool has_console_size;
        uint32_t console_height, console_width;
        struct spec_user user;
        spec_strings args;
        spec_strings env;
        const char *cwd;
        bool has_capabilities; /* absent: the process keeps what it has, as runc does */
        struct spec_capabilities capabilities;
        SPEC_ARRAY(struct spec_rlimit) rlimits;
        bool no_new_privileges;
        const char *apparmor_profile;
        const char *selinux_label;
        struct opt_i64 oom_score_adj;
        bool has_scheduler;
        struct spec_scheduler scheduler;
        bool has_io_priority;
        struct spec_io_priority io_priority;
        /* exec'd processes only: before they enter the cgroup, and once in it. */
        struct spec_id_set exec_cpu_affinity_initial, exec_cpu_affinity_final;
};

/* ---- mounts ---- */

struct spec_id_mapping {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

typedef SPEC_ARRAY(struct spec_id_mapping) spec_id_mappings;

struct spec_mount {
        const char *destination;
        const char *source;
        const char *type;
        spec_strings options;
        spec_id_mappings uid_mappings, gid_mappings;
        struct mount_options parsed; /* the options, parsed and checked with the config */
};

/* ---- hooks ---- */

struct spec_hook {
        const char *path;
        spec_strings args;
        spec_strings env;
        bool has_env; /* absent: a hook nook runs gets nook's environment (runc, crun) */
        int64_t timeout; /* seconds; 0 = none */
};

enum spec_hook_kind {
        HOOK_PRESTART,
        HOOK_CREATE_RUNTIME,
        HOOK_CREATE_CONTAINER,
        HOOK_START_CONTAINER,
        HOOK_POSTSTART,
        HOOK_POSTSTOP,
        HOOK_KIND_COUNT,
};

typedef SPEC_ARRAY(struct spec_hook) spec_hooks;

/* ---- linux ---- */

enum spec_namespace_type {
        NS_MOUNT,
        NS_PID,
        NS_NETWORK,
        NS_IPC,
        NS_UTS,
        NS_USER,
        NS_CGROUP,
        NS_TIME,
        NS_TYPE_COUNT,
};

struct spec_namespace {
        enum spec_namespace_type type;
        const char *path; /* NULL: create a new one */
};

struct spec_device {
        char type; /* 'c', 'b', 'u', 'p' */
        const char *path;
        int64_t major, minor;
        struct opt_u64 file_mode;
        struct opt_u64 uid, gid;
};

struct spec_device_cgroup {
        bool allow;
        char type; /* 'a', 'c', 'b'; 'a' when absent */
        struct opt_i64 major, minor;
        const char *access; /* "rwm" when absent */
};

struct spec_weight_device {
        int64_t major, minor;
        struct opt_u64 weight, leaf_weight;
};

struct spec_throttle_device {
        int64_t major, minor;
        uint64_t rate;
};

typedef SPEC_ARRAY(struct spec_throttle_device) spec_throttle_devices;

struct spec_hugepage_limit {
        const char *page_size; /* "2MB", "1GB" */
        uint64_t limit;
};

struct spec_net_priority {
        const char *name;
        uint32_t priority;
};

struct spec_resources {
        SPEC_ARRAY(struct spec_device_cgroup) devices;
        struct {
                struct opt_i64 limit, reservation, swap, kernel, kernel_tcp;
                struct opt_u64 swappiness;
                struct opt_bool disable_oom_killer, use_hierarchy, check_before_update;
        } memory;
        struct {
                struct opt_u64 shares;
                struct opt_i64 quota;
                struct opt_u64 burst;
                struct opt_u64 period;
                struct opt_i64 realtime_runtime;
                struct opt_u64 realtime_period;
                const char *cpus, *mems;
                struct opt_i64 idle;
        } cpu;
        struct opt_i64 pids_limit;
        struct {
                struct opt_u64 weight, leaf_weight;
                SPEC_ARRAY(struct spec_weight_device) weight_device;
                spec_throttle_devices throttle_read_bps, throttle_write_bps;
                spec_throttle_devices throttle_read_iops, throttle_write_iops;
        } block_io;
        SPEC_ARRAY(struct spec_hugepage_limit) hugepage_limits;
        struct {
                struct opt_u64 class_id;
                SPEC_ARRAY(struct spec_net_priority) priorities;
        } network;
        spec_map unified;
};

enum spec_seccomp_action {
        SPEC_SECCOMP_KILL_THREAD, /* SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD */
        SPEC_SECCOMP_KILL_PROCESS,
        SPEC_SECCOMP_TRAP,
        SPEC_SECCOMP_ERRNO,
        SPEC_SECCOMP_TRACE,
        SPEC_SECCOMP_ALLOW,
        SPEC_SECCOMP_LOG,
        SPEC_SECCOMP_NOTIFY,
};

enum spec_seccomp_op {
        SPEC_SECCOMP_OP_NE,
        SPEC_SECCOMP_OP_LT,
        SPEC_SECCOMP_OP_LE,
        SPEC_SECCOMP_OP_EQ,
        SPEC_SECCOMP_OP_GE,
        SPEC_SECCOMP_OP_GT,
        SPEC_SECCOMP_OP_MASKED_EQ,
};

struct spec_seccomp_arg {
        uint32_t index;
        uint64_t value, value_two;
        enum spec_seccomp_op op;
};

struct spec_seccomp_rule {
        spec_strings names;
        enum spec_seccomp_action action;
        struct opt_u64 errno_ret;
        SPEC_ARRAY(struct spec_seccomp_arg) args;
};

struct spec_seccomp {
        enum spec_seccomp_action default_action;
        struct opt_u64 default_errno_ret;
        spec_strings architectures;
        spec_strings flags;
        const char *listener_path;
        const char *listener_metadata;
        SPEC_ARRAY(struct spec_seccomp_rule) syscalls;
};

struct spec_time_offset {
        bool set;
        int64_t secs;
        uint32_t nanosecs;
};

struct spec_memory_policy {
        int mode;       /* MPOL_* */
        uint64_t flags; /* MPOL_F_* */
        struct spec_id_set nodes;
};

/* linux.netDevices: one interface of the runtime's network namespace moved into the container's. */
struct spec_net_device {
        const char *host_name; /* the entry's key */
        const char *name;      /* inside the container; NULL: host_name */
};

/* The name a moved interface has in the container. */
const char *spec_net_device_name(const struct spec_net_device *d);

struct spec_intel_rdt {
        const char *clos_id; /* NULL: a group named after the container, made and removed by nook */
        const char *l3_cache_schema, *mem_bw_schema;
        spec_strings schemata;
        bool enable_monitoring;
};

struct spec_linux {
        SPEC_ARRAY(struct spec_namespace) namespaces;
        spec_id_mappings uid_mappings, gid_mappings;
        struct spec_time_offset time_monotonic, time_boottime;
        SPEC_ARRAY(struct spec_device) devices;
        const char *cgroups_path;
        struct spec_resources *resources; /* NULL when absent */
        const char *rootfs_propagation;
        spec_strings masked_paths;
        spec_strings readonly_paths;
        spec_map sysctl;
        struct spec_seccomp *seccomp; /* NULL when absent */
        bool has_personality;
        int personality; /* PER_LINUX or PER_LINUX32 */
        const char *mount_label;
        struct spec_memory_policy *memory_policy; /* NULL when absent */
        SPEC_ARRAY(struct spec_net_device) net_devices;
        struct spec_intel_rdt *intel_rdt; /* NULL when absent */
};

struct spec {
        struct json_object *json; /* owns every string below */
        const char *oci_version;
        const char *root_path;
        bool root_readonly;
        struct spec_process *process; /* NULL when absent */
        const char *hostname;
        const char *domainname;
        SPEC_ARRAY(struct spec_mount) mounts;
        spec_hooks hooks[HOOK_KIND_COUNT];
        spec_map annotations;
        struct spec_linux *linux; /* NULL when absent */
};

/* Parses config.json text. Errors name the JSON path of the bad field. */
int spec_parse(const char *text, size_t len, struct spec **out, nook_err *err);

/* The most a config.json may hold: far above any real one (Docker's and
 * Kubernetes' are tens of KiB), so that a runaway file is an error. */
#define SPEC_CONFIG_MAX_BYTES (16 << 20)

/* Reads and parses <bundle>/config.json, which must be a regular file of at
 * most SPEC_CONFIG_MAX_BYTES; parse errors start with "config.json: ". */
int spec_load(const char *bundle, struct spec **out, nook_err *err);

/* Parses a "process" object alone (exec --process FILE). The result owns its JSON. */
int spec_parse_process(const char *text, size_t len, struct spec_process **out, struct json_object **json,
                       nook_err *err);

/* Frees what spec_parse_process allocated (not its JSON). */
void spec_process_free(struct spec_process *process);

/* Parses a linux.resources object alone (update --resources FILE). */
int spec_parse_resources(const char *text, size_t len, struct spec_resources **out, struct json_object **json,
                         nook_err *err);

/* Frees a resources object (not its JSON); NULL is fine. */
void spec_free_resources(struct spec_resources *r);

void spec_free(struct spec *spec);

/* The namespace entry of a type, or NULL when the config does not ask for one. */
const struct spec_namespace *spec_namespace(const struct spec *spec, enum spec_namespace_type type);

/* Names: "mount", "pid", "network", … and the CLONE_NEW* flag of each type. */
const char *spec_namespace_name(enum spec_namespace_type type);
int spec_namespace_clone_flag(enum spec_namespace_type type);

/* The namespace a sysctl key lives in, as runc decides it; NS_TYPE_COUNT when none. */
enum spec_namespace_type spec_sysctl_namespace(const char *key);

/* Capability names ("CAP_CHOWN") to numbers and back; -1 / NULL when unknown. */
int spec_capability_from_name(const char *name);
const char *spec_capability_name(int cap);
int spec_capability_count(void); /* names known to this build */

/* "RLIMIT_NOFILE" to RLIMIT_NOFILE; -1 when unknown. */
int spec_rlimit_from_name(const char *name);
const char *spec_rlimit_name(int resource);

/* The names a table of the parser accepts, for `nook features` (which must say
 * what the parser takes): fills at most max, returns how many there are. */
enum spec_names {
        SPEC_NAMES_HOOKS,
        SPEC_NAMES_NAMESPACES,
        SPEC_NAMES_CAPABILITIES,
        SPEC_NAMES_SECCOMP_ACTIONS,
        SPEC_NAMES_SECCOMP_OPERATORS,
        SPEC_NAMES_MEMORY_POLICY_MODES,
        SPEC_NAMES_MEMORY_POLICY_FLAGS,
};
size_t spec_names(enum spec_names kind, const char **out, size_t max);

/* The default config.json written by `nook spec`; rootless adapts it for an unprivileged caller. */
char *spec_default_json(bool rootless);

#endif
