/* config.json → struct spec: one dispatch table per OCI object (the rules
 * across objects are in validate.c). */
#define _GNU_SOURCE
#include "spec/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/parse.h"
#include "spec/tables.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* ---- custom field parsers ---- */

static int parse_capability_set(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        spec_strings names = { 0 };
        int ret = parse_strings(p, v, &names, NULL);
        if (ret < 0) {
                free(names.items); /* what parse_array had filled before the bad item */
                return ret;
        }
        uint64_t mask = 0;
        for (size_t i = 0; i < names.len; i++) {
                int cap = spec_capability_from_name(names.items[i]);
                if (cap < 0) {
                        char index[32];
                        snprintf(index, sizeof(index), "[%zu]", i);
                        ret = parse_fail(p, "%s: unknown capability \"%s\"", index, names.items[i]);
                        free(names.items);
                        return ret;
                }
                mask |= 1ULL << cap;
        }
        free(names.items);
        *(uint64_t *)dest = mask;
        return 0;
}

static const struct value_kind capability_set = { parse_capability_set, NULL }; /* uint64_t */

static int parse_rlimit_type(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        const char *name;
        int ret = parse_string(p, v, &name, NULL);
        if (ret < 0)
                return ret;
        int resource = spec_rlimit_from_name(name);
        if (resource < 0)
                return parse_fail(p, "unknown rlimit \"%s\"", name);
        *(int *)dest = resource;
        return 0;
}
static const struct value_kind rlimit_type_name = { parse_rlimit_type, NULL }; /* int RLIMIT_* */

/* ---- process ---- */

static const struct field user_fields[] = {
        FIELD("uid", value_u32, struct spec_user, uid, NULL),
        FIELD("gid", value_u32, struct spec_user, gid, NULL),
        FIELD("umask", value_opt_u64, struct spec_user, umask, NULL),
        FIELD("additionalGids", value_array, struct spec_user, additional_gids,
              &(struct array_type)ARRAY_OF(value_u32, uint32_t, NULL)),
        FIELD("username", value_string, struct spec_user, username, NULL),
};
static const struct object_type user_type = OBJECT_TYPE(struct spec_user, user_fields, NULL);

static const struct field capabilities_fields[] = {
        FIELD("bounding", capability_set, struct spec_capabilities, bounding, NULL),
        FIELD("effective", capability_set, struct spec_capabilities, effective, NULL),
        FIELD("inheritable", capability_set, struct spec_capabilities, inheritable, NULL),
        FIELD("permitted", capability_set, struct spec_capabilities, permitted, NULL),
        FIELD("ambient", capability_set, struct spec_capabilities, ambient, NULL),
};
static const struct object_type capabilities_type =
        OBJECT_TYPE(struct spec_capabilities, capabilities_fields, NULL);

static const struct field rlimit_fields[] = {
        REQUIRED("type", rlimit_type_name, struct spec_rlimit, resource, NULL),
        FIELD("soft", value_u64, struct spec_rlimit, soft, NULL),
        FIELD("hard", value_u64, struct spec_rlimit, hard, NULL),
};
static const struct object_type rlimit_type = OBJECT_TYPE(struct spec_rlimit, rlimit_fields, NULL);

static const struct field console_size_fields[] = {
        FIELD("height", value_u32, struct spec_process, console_height, NULL),
        FIELD("width", value_u32, struct spec_process, console_width, NULL),
};
static const struct object_type console_size_type = OBJECT_TYPE(struct spec_process, console_size_fields, NULL);

static const struct name_value scheduler_policies[] = {
        { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 },  { "SCHED_RR", 2 },
        { "SCHED_BATCH", 3 }, { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};
static const struct name_value scheduler_flag_names[] = {
        { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
        { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
        { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
        { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};
static const struct enum_type scheduler_flag_type = ENUM_TYPE(scheduler_flag_names, "scheduler flag");

static const struct field scheduler_fields[] = {
        FIELD("policy", value_enum, struct spec_scheduler, policy,
              &(struct enum_type)ENUM_TYPE(scheduler_policies, "scheduler policy")),
        FIELD("nice", value_i32, struct spec_scheduler, nice, NULL),
        FIELD("priority", value_i32, struct spec_scheduler, priority, NULL),
        FIELD("flags", value_flags, struct spec_scheduler, flags, &scheduler_flag_type),
        FIELD("runtime", value_u64, struct spec_scheduler, runtime, NULL),
        FIELD("deadline", value_u64, struct spec_scheduler, deadline, NULL),
        FIELD("period", value_u64, struct spec_scheduler, period, NULL),
};
#define SCHED_DEADLINE_POLICY 6
#define SCHED_DEADLINE_MIN_RUNTIME 1024 /* ns: the kernel keeps runtimes in units of 2^DL_SCALE */

/* The kernel's own rules for SCHED_DEADLINE (sched_setattr(2)), checked before clone
 * so that the error names the field: runtime <= deadline <= period (0: the deadline). */
static int finish_scheduler(struct parser *p, void *dest)
{
        const struct spec_scheduler *s = dest;
        if (s->policy != SCHED_DEADLINE_POLICY) {
                if (s->runtime != 0 || s->deadline != 0 || s->period != 0)
                        return parse_fail(p, "runtime, deadline and period are for SCHED_DEADLINE only");
                return 0;
        }
        if (s->runtime < SCHED_DEADLINE_MIN_RUNTIME)
                return parse_fail_field(p, "runtime", "must be at least %d (ns) with SCHED_DEADLINE, got %llu",
                                        SCHED_DEADLINE_MIN_RUNTIME, (unsigned long long)s->runtime);
        if (s->deadline == 0)
                return parse_fail_field(p, "deadline", "required with SCHED_DEADLINE");
        if (s->deadline >= 1ULL << 63 || s->period >= 1ULL << 63)
                return parse_fail_field(p, s->period >= 1ULL << 63 ? "period" : "deadline", "out of range");
        if (s->runtime > s->deadline)
                return parse_fail_field(p, "deadline", "must not be less than the runtime (%llu < %llu)",
                                        (unsigned long long)s->deadline, (unsigned long long)s->runtime);
        if (s->period != 0 && s->period < s->deadline)
                return parse_fail_field(p, "period", "must not be less than the deadline (%llu < %llu)",
                                        (unsigned long long)s->period, (unsigned long long)s->deadline);
        return 0;
}
static const struct object_type scheduler_type =
        OBJECT_TYPE(struct spec_scheduler, scheduler_fields, finish_scheduler);

static const struct name_value io_classes[] = {
        { "IOPRIO_CLASS_RT", 1 },
        { "IOPRIO_CLASS_BE", 2 },
        { "IOPRIO_CLASS_IDLE", 3 },
};
static const struct field io_priority_fields[] = {
        FIELD("class", value_enum, struct spec_io_priority, io_class,
              &(struct enum_type)ENUM_TYPE(io_classes, "I/O priority class")),
        FIELD("priority", value_i32, struct spec_io_priority, priority, NULL),
};
static const struct object_type io_priority_type = OBJECT_TYPE(struct spec_io_priority, io_priority_fields, NULL);

static const struct field cpu_affinity_fields[] = {
        FIELD("initial", value_id_set, struct spec_process, exec_cpu_affinity_initial, NULL),
        FIELD("final", value_id_set, struct spec_process, exec_cpu_affinity_final, NULL),
};
static const struct object_type cpu_affinity_type = OBJECT_TYPE(struct spec_process, cpu_affinity_fields, NULL);

/* Fields whose JSON object is folded into struct spec_process itself take offset 0. */
static const struct field process_fields[] = {
        FIELD("terminal", value_bool, struct spec_process, terminal, NULL),
        FOLDED_FLAGGED("consoleSize", &console_size_type, struct spec_process, has_console_size),
        FIELD("user", value_object, struct spec_process, user, &user_type),
        FIELD("args", value_strings, struct spec_process, args, NULL),
        FIELD("env", value_strings, struct spec_process, env, NULL),
        REQUIRED("cwd", value_string, struct spec_process, cwd, NULL),
        FIELD_FLAGGED("capabilities", value_object, struct spec_process, capabilities, &capabilities_type,
                      has_capabilities),
        FIELD("rlimits", value_array, struct spec_process, rlimits,
              &(struct array_type)ARRAY_OF(value_object, struct spec_rlimit, &rlimit_type)),
        FIELD("noNewPrivileges", value_bool, struct spec_process, no_new_privileges, NULL),
        FIELD("apparmorProfile", value_string, struct spec_process, apparmor_profile, NULL),
        FIELD("selinuxLabel", value_string, struct spec_process, selinux_label, NULL),
        FIELD("oomScoreAdj", value_opt_i64, struct spec_process, oom_score_adj, NULL),
        FIELD_FLAGGED("scheduler", value_object, struct spec_process, scheduler, &scheduler_type, has_scheduler),
        FIELD_FLAGGED("ioPriority", value_object, struct spec_process, io_priority, &io_priority_type,
                      has_io_priority),
        FOLDED("execCPUAffinity", &cpu_affinity_type),
};

static int finish_process(struct parser *p, void *dest)
{
        struct spec_process *process = dest;
        if (process->cwd[0] != '/')
                return parse_fail_field(p, "cwd", "must be an absolute path");
        for (size_t i = 0; i < process->rlimits.len; i++)
                for (size_t j = 0; j < i; j++)
                        if (process->rlimits.items[i].resource == process->rlimits.items[j].resource)
                                return parse_fail_field(p, "rlimits", "%s is given twice",
                                                        spec_rlimit_name(process->rlimits.items[i].resource));
        if (process->oom_score_adj.set &&
            (process->oom_score_adj.value < -1000 || process->oom_score_adj.value > 1000))
                return parse_fail_field(p, "oomScoreAdj", "must be between -1000 and 1000");
        return 0;
}
static const struct object_type process_type = OBJECT_TYPE(struct spec_process, process_fields, finish_process);

/* ---- mounts ---- */

static const struct field id_mapping_fields[] = {
        FIELD("containerID", value_u32, struct spec_id_mapping, container_id, NULL),
        FIELD("hostID", value_u32, struct spec_id_mapping, host_id, NULL),
        FIELD("size", value_u32, struct spec_id_mapping, size, NULL),
};
static int finish_id_mapping(struct parser *p, void *dest)
{
        struct spec_id_mapping *m = dest;
        if (m->size == 0)
                return parse_fail_field(p, "size", "must be greater than 0");
        if ((uint64_t)m->container_id + m->size - 1 > UINT32_MAX || (uint64_t)m->host_id + m->size - 1 > UINT32_MAX)
                return parse_fail(p, "range overflows 32-bit ids");
        return 0;
}
static const struct object_type id_mapping_type =
        OBJECT_TYPE(struct spec_id_mapping, id_mapping_fields, finish_id_mapping);
static const struct array_type id_mappings_type = ARRAY_OF(value_object, struct spec_id_mapping, &id_mapping_type);

static const struct field mount_fields[] = {
        REQUIRED("destination", value_string, struct spec_mount, destination, NULL),
        FIELD("source", value_string, struct spec_mount, source, NULL),
        FIELD("type", value_string, struct spec_mount, type, NULL),
        FIELD("options", value_strings, struct spec_mount, options, NULL),
        FIELD("uidMappings", value_array, struct spec_mount, uid_mappings, &id_mappings_type),
        FIELD("gidMappings", value_array, struct spec_mount, gid_mappings, &id_mappings_type),
};
static int finish_mount(struct parser *p, void *dest)
{
        struct spec_mount *m = dest;
        if (m->destination[0] == '\0')
                return parse_fail_field(p, "destination", "required");
        if ((m->uid_mappings.len == 0) != (m->gid_mappings.len == 0))
                return parse_fail(p, "uidMappings and gidMappings must be given together");
        size_t bad = 0;
        _cleanup_error_ nook_err why = NULL;
        if (mount_options_parse(m->type, m->options.items, m->options.len, &m->parsed, &bad, &why) < 0) {
                char field[32];
                snprintf(field, sizeof(field), "options[%zu]", bad);
                return parse_fail_field(p, bad < m->options.len ? field : "type", "%s (mount on `%s`)", why->msg,
                                        m->destination);
        }
        return 0;
}
/* What finish_mount made: the parsed options. */
static void release_mount(void *dest)
{
        mount_options_free(&((struct spec_mount *)dest)->parsed);
}
static const struct object_type mount_type = {
        mount_fields, ARRAY_SIZE(mount_fields), sizeof(struct spec_mount), finish_mount, release_mount,
};

/* ---- hooks ---- */

static const struct field hook_fields[] = {
        REQUIRED("path", value_string, struct spec_hook, path, NULL),
        FIELD("args", value_strings, struct spec_hook, args, NULL),
        FIELD_FLAGGED("env", value_strings, struct spec_hook, env, NULL, has_env),
        FIELD("timeout", value_i64, struct spec_hook, timeout, NULL),
};
static int finish_hook(struct parser *p, void *dest)
{
        struct spec_hook *h = dest;
        if (h->path[0] != '/')
                return parse_fail_field(p, "path", "must be an absolute path");
        if (h->timeout < 0)
                return parse_fail_field(p, "timeout", "must be positive");
        return 0;
}
static const struct object_type hook_type = OBJECT_TYPE(struct spec_hook, hook_fields, finish_hook);
static const struct array_type hooks_type = ARRAY_OF(value_object, struct spec_hook, &hook_type);

#define HOOK_FIELD(name, kind) \
        { name, &value_array, offsetof(struct spec, hooks) + (kind) * sizeof(spec_hooks), &hooks_type, false, false, 0 }
static const struct field hooks_fields[] = {
        HOOK_FIELD("prestart", HOOK_PRESTART),
        HOOK_FIELD("createRuntime", HOOK_CREATE_RUNTIME),
        HOOK_FIELD("createContainer", HOOK_CREATE_CONTAINER),
        HOOK_FIELD("startContainer", HOOK_START_CONTAINER),
        HOOK_FIELD("poststart", HOOK_POSTSTART),
        HOOK_FIELD("poststop", HOOK_POSTSTOP),
};
const struct object_type hooks_object_type = OBJECT_TYPE(struct spec, hooks_fields, NULL);

/* ---- linux ---- */

static const struct name_value namespace_names[] = {
        { "mount", NS_MOUNT }, { "pid", NS_PID },       { "network", NS_NETWORK }, { "ipc", NS_IPC },
        { "uts", NS_UTS },     { "user", NS_USER },     { "cgroup", NS_CGROUP },   { "time", NS_TIME },
};
const struct enum_type namespace_enum = ENUM_TYPE(namespace_names, "namespace");

static const struct field namespace_fields[] = {
        REQUIRED("type", value_enum, struct spec_namespace, type, &namespace_enum),
        FIELD("path", value_string, struct spec_namespace, path, NULL),
};
static int finish_namespace(struct parser *p, void *dest)
{
        struct spec_namespace *ns = dest;
        if (ns->path != NULL && ns->path[0] != '/')
                return parse_fail_field(p, "path", "must be an absolute path");
        if (ns->path != NULL && ns->path[0] == '\0')
                ns->path = NULL;
        return 0;
}
static const struct object_type namespace_type = OBJECT_TYPE(struct spec_namespace, namespace_fields, finish_namespace);

static const struct field time_offset_fields[] = {
        FIELD("secs", value_i64, struct spec_time_offset, secs, NULL),
        FIELD("nanosecs", value_u32, struct spec_time_offset, nanosecs, NULL),
};
static int finish_time_offset(struct parser *p, void *dest)
{
        struct spec_time_offset *t = dest;
        t->set = true;
        if (t->nanosecs >= 1000000000)
                return parse_fail_field(p, "nanosecs", "must be less than 1000000000");
        return 0;
}
static const struct object_type time_offset_type =
        OBJECT_TYPE(struct spec_time_offset, time_offset_fields, finish_time_offset);
static const struct field time_offsets_fields[] = {
        FIELD("monotonic", value_object, struct spec_linux, time_monotonic, &time_offset_type),
        FIELD("boottime", value_object, struct spec_linux, time_boottime, &time_offset_type),
};
static const struct object_type time_offsets_type = OBJECT_TYPE(struct spec_linux, time_offsets_fields, NULL);

/* A device path in its clean form ("/dev/fuse/" is "/dev/fuse", as runc and crun
 * take it), written back into the JSON tree that owns the strings; one that
 * cleans to "/" or "/dev" names no device. */
static int parse_device_path(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const char *path;
        int ret = parse_string(p, v, &path, arg);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *clean = path_clean(path);
        if (clean == NULL)
                return parse_fail(p, "out of memory");
        if (strcmp(clean, "/") == 0 || strcmp(clean, "/dev") == 0 || strcmp(clean, ".") == 0)
                return parse_fail(p, "\"%s\" names no device", path);
        if (strcmp(clean, path) != 0 && json_object_set_string(v, clean) == 0)
                return parse_fail(p, "out of memory");
        *(const char **)dest = json_object_get_string(v);
        return 0;
}
static const struct value_kind device_path = { parse_device_path, NULL }; /* into the JSON tree */

static const struct field device_fields[] = {
        REQUIRED("path", device_path, struct spec_device, path, NULL),
        REQUIRED("type", value_type_letter, struct spec_device, type, "cbup"),
        FIELD("major", value_i64, struct spec_device, major, NULL),
        FIELD("minor", value_i64, struct spec_device, minor, NULL),
        FIELD("fileMode", value_opt_u64, struct spec_device, file_mode, NULL),
        FIELD("uid", value_opt_u64, struct spec_device, uid, NULL),
        FIELD("gid", value_opt_u64, struct spec_device, gid, NULL),
};
static int finish_device(struct parser *p, void *dest)
{
        struct spec_device *d = dest;
        if (d->path[0] != '/')
                return parse_fail_field(p, "path", "must be an absolute path");
        if (d->type != 'p' && (d->major < 0 || d->minor < 0))
                return parse_fail(p, "major and minor are required for device type '%c'", d->type);
        if (d->uid.set && d->uid.value > UINT32_MAX)
                return parse_fail_field(p, "uid", "out of range");
        if (d->gid.set && d->gid.value > UINT32_MAX)
                return parse_fail_field(p, "gid", "out of range");
        return 0;
}
static const struct object_type device_type = OBJECT_TYPE(struct spec_device, device_fields, finish_device);

/* major and minor start at -1: absent, which only a 'p' device may leave them. */
static int parse_device(struct parser *p, json_object *v, void *dest, const void *arg)
{
        struct spec_device *d = dest;
        d->major = d->minor = -1;
        return parse_object(p, v, dest, arg);
}
static const struct value_kind device = { parse_device, release_object };

/* ---- linux.personality ---- */

static const struct name_value personality_domains[] = {
        { "LINUX", PER_LINUX },
        { "LINUX32", PER_LINUX32 },
};
static const struct field personality_fields[] = {
        FIELD("domain", value_enum, struct spec_linux, personality,
              &(struct enum_type)ENUM_TYPE(personality_domains, "personality domain")),
};
static const struct object_type personality_type = OBJECT_TYPE(struct spec_linux, personality_fields, NULL);

static const struct field linux_fields[] = {
        FIELD("namespaces", value_array, struct spec_linux, namespaces,
              &(struct array_type)ARRAY_OF(value_object, struct spec_namespace, &namespace_type)),
        FIELD("uidMappings", value_array, struct spec_linux, uid_mappings, &id_mappings_type),
        FIELD("gidMappings", value_array, struct spec_linux, gid_mappings, &id_mappings_type),
        FOLDED("timeOffsets", &time_offsets_type),
        FIELD("devices", value_array, struct spec_linux, devices,
              &(struct array_type)ARRAY_OF(device, struct spec_device, &device_type)),
        FIELD("cgroupsPath", value_string, struct spec_linux, cgroups_path, NULL),
        FIELD("resources", value_object_ptr, struct spec_linux, resources, &resources_type),
        FIELD("rootfsPropagation", value_string, struct spec_linux, rootfs_propagation, NULL),
        FIELD("maskedPaths", value_strings, struct spec_linux, masked_paths, NULL),
        FIELD("readonlyPaths", value_strings, struct spec_linux, readonly_paths, NULL),
        FIELD("sysctl", value_string_map, struct spec_linux, sysctl, NULL),
        FIELD("seccomp", value_object_ptr, struct spec_linux, seccomp, &seccomp_type),
        FOLDED_FLAGGED("personality", &personality_type, struct spec_linux, has_personality),
        FIELD("mountLabel", value_string, struct spec_linux, mount_label, NULL),
        FIELD("memoryPolicy", value_object_ptr, struct spec_linux, memory_policy, &memory_policy_type),
        FIELD("netDevices", value_object_map, struct spec_linux, net_devices, &net_devices_type),
        FIELD("intelRdt", value_object_ptr, struct spec_linux, intel_rdt, &intel_rdt_type),
};

static const char *const propagation_names[] = { "private", "rprivate", "slave", "rslave",
                                                 "shared",  "rshared",  "unbindable", "runbindable" };

static int finish_linux(struct parser *p, void *dest)
{
        struct spec_linux *l = dest;
        bool seen[NS_TYPE_COUNT] = { false };
        for (size_t i = 0; i < l->namespaces.len; i++) {
                enum spec_namespace_type t = l->namespaces.items[i].type;
                if (seen[t])
                        return parse_fail_field(p, "namespaces", "namespace \"%s\" is given twice",
                                                spec_namespace_name(t));
                seen[t] = true;
        }
        if (l->rootfs_propagation != NULL && l->rootfs_propagation[0] != '\0') {
                bool known = false;
                for (size_t i = 0; i < ARRAY_SIZE(propagation_names); i++)
                        known |= strcmp(propagation_names[i], l->rootfs_propagation) == 0;
                if (!known)
                        return parse_fail_field(p, "rootfsPropagation", "unknown propagation \"%s\"",
                                                l->rootfs_propagation);
        }
        for (size_t i = 0; i < l->masked_paths.len; i++)
                if (l->masked_paths.items[i][0] != '/')
                        return parse_fail_field(p, "maskedPaths", "\"%s\" is not an absolute path",
                                                l->masked_paths.items[i]);
        for (size_t i = 0; i < l->readonly_paths.len; i++)
                if (l->readonly_paths.items[i][0] != '/')
                        return parse_fail_field(p, "readonlyPaths", "\"%s\" is not an absolute path",
                                                l->readonly_paths.items[i]);
        return 0;
}
static const struct object_type linux_type = OBJECT_TYPE(struct spec_linux, linux_fields, finish_linux);

/* ---- the document ---- */

static const struct field root_fields[] = {
        REQUIRED("path", value_string, struct spec, root_path, NULL),
        FIELD("readonly", value_bool, struct spec, root_readonly, NULL),
};
static const struct object_type root_type = OBJECT_TYPE(struct spec, root_fields, NULL);

static const struct field spec_fields[] = {
        REQUIRED("ociVersion", value_string, struct spec, oci_version, NULL),
        /* Folded and required: a missing root is reported as "root.path: required". */
        { .name = "root", .kind = &value_object, .arg = &root_type, .required = true },
        REQUIRED("process", value_object_ptr, struct spec, process, &process_type),
        FIELD("hostname", value_string, struct spec, hostname, NULL),
        FIELD("domainname", value_string, struct spec, domainname, NULL),
        FIELD("mounts", value_array, struct spec, mounts,
              &(struct array_type)ARRAY_OF(value_object, struct spec_mount, &mount_type)),
        FOLDED("hooks", &hooks_object_type),
        FIELD("annotations", value_string_map, struct spec, annotations, NULL),
        FIELD("linux", value_object_ptr, struct spec, linux, &linux_type),
};
static const struct object_type spec_type = OBJECT_TYPE(struct spec, spec_fields, validate_spec);

/* ---- entry points ---- */

int spec_parse(const char *text, size_t len, struct spec **out, nook_err *err)
{
        json_object *root = NULL;
        int ret = parse_json_text(text, len, &root, err);
        if (ret < 0)
                return ret;
        struct spec *spec = calloc(1, sizeof(*spec));
        if (spec == NULL) {
                json_object_put(root);
                return nook_error(err, ENOMEM, "parse config");
        }
        spec->json = root;
        ret = parse_document(root, &spec_type, spec, err);
        if (ret < 0) {
                spec_free(spec);
                return ret;
        }
        *out = spec;
        return 0;
}

static const char *file_type_name(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFDIR:
                return "a directory";
        case S_IFIFO:
                return "a fifo";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        case S_IFSOCK:
                return "a socket";
        default:
                return "not a regular file";
        }
}

/* config.json is a regular file (followed through symlinks, as runc does): a
 * fifo would block nook, /dev/zero would never end. Opened without blocking,
 * checked on the fd, and read whole up to SPEC_CONFIG_MAX_BYTES. */
static int read_config(const char *path, char **text, size_t *len, nook_err *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `%s`", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return nook_error_errno(err, "stat `%s`", path);
        if (!S_ISREG(st.st_mode))
                return nook_error(err, 0, "`%s` is %s, not a regular file", path, file_type_name(st.st_mode));
        /* The size is checked again while reading: the file may grow meanwhile. */
        size_t cap = (size_t)(st.st_size < SPEC_CONFIG_MAX_BYTES ? st.st_size : SPEC_CONFIG_MAX_BYTES) + 2;
        _cleanup_free_ char *buf = malloc(cap);
        size_t n = 0;
        while (buf != NULL && n <= SPEC_CONFIG_MAX_BYTES) {
                if (n + 1 == cap) {
                        cap = cap * 2 < SPEC_CONFIG_MAX_BYTES + 2 ? cap * 2 : SPEC_CONFIG_MAX_BYTES + 2;
                        char *bigger = realloc(buf, cap);
                        if (bigger == NULL)
                                break;
                        buf = bigger;
                }
                ssize_t r = read(fd, buf + n, cap - 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return nook_error_errno(err, "read `%s`", path);
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        if (buf == NULL)
                return nook_error(err, ENOMEM, "read `%s`", path);
        if (n > SPEC_CONFIG_MAX_BYTES)
                return nook_error(err, 0, "`%s` is larger than %d MiB, the most a config may be", path,
                                  SPEC_CONFIG_MAX_BYTES >> 20);
        buf[n] = '\0';
        *len = n;
        *text = steal_pointer(&buf);
        return 0;
}

int spec_load(const char *bundle, struct spec **out, nook_err *err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/config.json", bundle) < 0)
                return nook_error(err, ENOMEM, "config.json");
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int ret = read_config(path, &text, &len, err);
        if (ret < 0)
                return ret;
        ret = spec_parse(text, len, out, err);
        if (ret < 0)
                return nook_error_wrap(err, "config.json");
        return 0;
}

/* text → a JSON tree (*json, which owns the strings) and a struct of type (*out). */
static int parse_text_fragment(const char *text, size_t len, const struct object_type *type, void **out,
                               json_object **json, nook_err *err)
{
        _cleanup_json_ json_object *root = NULL;
        int ret = parse_json_text(text, len, &root, err);
        if (ret == 0)
                ret = parse_fragment(root, type, out, err);
        if (ret == 0)
                *json = steal_pointer(&root);
        return ret;
}

int spec_parse_process(const char *text, size_t len, struct spec_process **out, json_object **json, nook_err *err)
{
        int ret = parse_text_fragment(text, len, &process_type, (void **)out, json, err);
        if (ret == 0 && (*out)->args.len == 0) {
                spec_process_free(*out);
                json_object_put(*json);
                return nook_error(err, 0, "args: required and must not be empty");
        }
        return ret;
}

int spec_parse_resources(const char *text, size_t len, struct spec_resources **out, json_object **json,
                         nook_err *err)
{
        return parse_text_fragment(text, len, &resources_type, (void **)out, json, err);
}

/* The frees walk the tables the parse used: what a field's kind allocated, its kind releases. */

void spec_process_free(struct spec_process *process)
{
        if (process == NULL)
                return;
        release_object(process, &process_type);
        free(process);
}

void spec_free_resources(struct spec_resources *r)
{
        if (r == NULL)
                return;
        release_object(r, &resources_type);
        free(r);
}

void spec_free(struct spec *spec)
{
        if (spec == NULL)
                return;
        release_object(spec, &spec_type);
        json_object_put(spec->json);
        free(spec);
}
