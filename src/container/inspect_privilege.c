/* `nook inspect`: what the container's init may do (capabilities,
 * no_new_privs, seccomp, the LSM label it runs under) and what its cgroups let it use. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/inspect.h"
#include "linux/introspect_cgroup.h"
#include "linux/lsm.h"
#include "util/cleanup.h"

/* ---- capabilities ---- */

static json_object *caps_json(uint64_t set)
{
        json_object *list = json_object_new_array();
        for (int bit = 0; bit < 64; bit++) {
                if (!(set & (1ULL << bit)))
                        continue;
                const char *name = spec_capability_name(bit);
                char unknown[16];
                if (name == NULL) {
                        snprintf(unknown, sizeof(unknown), "CAP_%d", bit);
                        name = unknown;
                }
                json_object_array_add(list, json_object_new_string(name));
        }
        return list;
}

/* Capabilities that open the host to the container; with a user namespace of
 * its own most of them act on what that namespace owns, one level less. */
static const struct {
        const char *name;
        enum verdict_severity severity;
        const char *why;
} dangerous_caps[] = {
        { "CAP_SYS_ADMIN", VERDICT_SERIOUS, "mount, namespaces and many kernel interfaces: the usual way out" },
        { "CAP_SYS_MODULE", VERDICT_SERIOUS, "it can load kernel modules: any code in the host kernel" },
        { "CAP_SYS_RAWIO", VERDICT_SERIOUS, "raw I/O ports and device memory of the host" },
        { "CAP_SYS_PTRACE", VERDICT_SERIOUS, "it can trace and inject code into any process it sees" },
        { "CAP_SYS_BOOT", VERDICT_SERIOUS, "it can reboot the host or load a new kernel" },
        { "CAP_DAC_READ_SEARCH", VERDICT_SERIOUS,
          "open_by_handle_at reads any file of a shared filesystem (the 'shocker' escape)" },
        { "CAP_BPF", VERDICT_SERIOUS, "it can load BPF programs into the kernel" },
        { "CAP_MAC_ADMIN", VERDICT_SERIOUS, "it can change the security module's policy" },
        { "CAP_MAC_OVERRIDE", VERDICT_SERIOUS, "it can bypass the security module's policy" },
        { "CAP_NET_ADMIN", VERDICT_WARNING, "it can reconfigure interfaces, routes and firewall rules" },
        { "CAP_SYS_TIME", VERDICT_WARNING, "it can set the host's clock" },
        { "CAP_PERFMON", VERDICT_WARNING, "it can watch the kernel and other processes through perf" },
        { "CAP_SYSLOG", VERDICT_WARNING, "it can read the kernel log and kernel addresses" },
        { "CAP_LINUX_IMMUTABLE", VERDICT_WARNING, "it can change immutable and append-only files" },
        { "CAP_SYS_RESOURCE", VERDICT_WARNING, "it can exceed resource limits and quotas" },
        { "CAP_CHECKPOINT_RESTORE", VERDICT_WARNING, "it can set pids and other process state of its namespace" },
};

static void capability_verdicts(struct inspect *in)
{
        for (size_t i = 0; i < ARRAY_SIZE(dangerous_caps); i++) {
                int bit = spec_capability_from_name(dangerous_caps[i].name);
                if (bit < 0 || !(in->reachable_caps & (1ULL << bit)))
                        continue;
                enum verdict_severity severity = dangerous_caps[i].severity;
                if (in->own[NS_USER] && severity != VERDICT_NOTE)
                        severity++;
                char what[256];
                snprintf(what, sizeof(what), "%s%s", dangerous_caps[i].name,
                         in->own[NS_USER] ? " (in its own user namespace)" : "");
                inspect_add_verdict(in, severity, what, dangerous_caps[i].why);
        }
}

/* ---- LSM labels ---- */

/* Whether the label the kernel shows ("docker-default (enforce)", a SELinux
 * context) is the one asked for. */
static bool label_is(const char *label, const char *asked, bool apparmor)
{
        size_t n = strlen(asked);
        if (!apparmor)
                return strcmp(label, asked) == 0;
        return strncmp(label, asked, n) == 0 && (label[n] == '\0' || label[n] == ' ');
}

/* One LSM: on this host or not, the label asked for, the label the init runs under. */
static json_object *lsm_json(struct inspect *in, const char *name, bool enabled, const char *asked)
{
        bool apparmor = strcmp(name, "AppArmor") == 0;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
        inspect_add_string(o, "asked", asked != NULL && asked[0] != '\0' ? asked : NULL);
        _cleanup_free_ char *label = NULL;
        if (enabled && proc_read_lsm_label(in->procfd, apparmor, &label, NULL) < 0)
                label = NULL;
        inspect_add_string(o, "label", label);
        if (!enabled || label == NULL)
                return o;
        char what[512], why[512];
        if (asked != NULL && asked[0] != '\0' && !label_is(label, asked, apparmor)) {
                snprintf(what, sizeof(what), "%s label \"%.200s\" asked for, \"%.200s\" applied", name, asked, label);
                inspect_add_verdict(in, VERDICT_SERIOUS, what, "the container runs under another confinement than "
                                                             "its config asked for");
        } else if (asked == NULL || asked[0] == '\0') {
                snprintf(what, sizeof(what), "no %s label", name);
                snprintf(why, sizeof(why), "the host runs %s, but the config asked for no label: the init runs as "
                                           "\"%.200s\", and only capabilities, namespaces and seccomp confine it",
                         name, label);
                inspect_add_verdict(in, VERDICT_WARNING, what, why);
        }
        return o;
}

static void inspect_lsm(struct inspect *in, json_object *privilege)
{
        const struct spec_process *process = in->config != NULL ? in->config->process : NULL;
        const struct spec_linux *linux_ = in->config != NULL ? in->config->linux : NULL;
        json_object *o = json_object_new_object();
        json_object_object_add(privilege, "lsm", o);
        json_object_object_add(o, "apparmor", lsm_json(in, "AppArmor", lsm_apparmor_enabled(),
                                                       process != NULL ? process->apparmor_profile : NULL));
        json_object *selinux = lsm_json(in, "SELinux", lsm_selinux_enabled(),
                                        process != NULL ? process->selinux_label : NULL);
        inspect_add_string(selinux, "mode", lsm_selinux_mode());
        inspect_add_string(selinux, "mountLabel",
                   linux_ != NULL && linux_->mount_label != NULL && linux_->mount_label[0] != '\0'
                           ? linux_->mount_label : NULL);
        json_object_object_add(o, "selinux", selinux);
}

int inspect_privilege(struct inspect *in, nook_err *err)
{
        (void)err;
        const struct proc_status *st = &in->init;
        json_object *o = json_object_new_object();
        json_object_object_add(in->report, "privilege", o);
        json_object *caps = json_object_new_object();
        json_object_object_add(o, "capabilities", caps);
        json_object_object_add(caps, "effective", caps_json(st->cap_effective));
        json_object_object_add(caps, "permitted", caps_json(st->cap_permitted));
        json_object_object_add(caps, "inheritable", caps_json(st->cap_inheritable));
        json_object_object_add(caps, "bounding", caps_json(st->cap_bounding));
        json_object_object_add(caps, "ambient", caps_json(st->cap_ambient));
        json_object_object_add(o, "noNewPrivileges",
                               st->no_new_privs < 0 ? NULL : json_object_new_boolean(st->no_new_privs == 1));
        json_object *seccomp = json_object_new_object();
        json_object_object_add(o, "seccomp", seccomp);
        static const char *const modes[] = { "disabled", "strict", "filter" };
        inspect_add_string(seccomp, "mode",
                           st->seccomp_mode >= 0 && st->seccomp_mode <= 2 ? modes[st->seccomp_mode] : "unknown");
        json_object_object_add(seccomp, "filters",
                               st->seccomp_filters < 0 ? NULL : json_object_new_int(st->seccomp_filters));

        inspect_lsm(in, o);

        capability_verdicts(in);
        if (st->seccomp_mode == 0)
                inspect_add_verdict(in, VERDICT_WARNING, "no seccomp filter",
                                    "every system call reaches the kernel: a bug in a rarely used one is "
                                    "reachable from the container");
        if (st->no_new_privs == 0)
                inspect_add_verdict(in, VERDICT_WARNING, "no_new_privs is off",
                                    "setuid and file-capability programs in the image can raise privileges up "
                                    "to the bounding set");
        return 0;
}

/* ---- cgroup ---- */

/* number, null for "no limit"; nothing when the kernel does not show it. */
static void add_value(json_object *o, const char *key, const struct cgroup_value *v)
{
        if (v->from == NULL || v->value == CGROUP_VALUE_UNKNOWN)
                return;
        json_object_object_add(o, key, v->value == CGROUP_VALUE_UNLIMITED ? NULL : json_object_new_int64(v->value));
}

/* The limit, and where it is set when that is not the container's own cgroup. */
static void add_limit(json_object *o, const struct cgroup_value *v, const struct proc_cgroup *cgs, size_t n)
{
        add_value(o, "limit", v);
        bool own_dir = false;
        for (size_t i = 0; v->from != NULL && i < n && !own_dir; i++)
                own_dir = cgs[i].dir != NULL && strcmp(cgs[i].dir, v->from) == 0;
        if (v->from != NULL && v->value >= 0 && !own_dir)
                inspect_add_string(o, "limitSetOn", v->from);
}

static const char *path_of(const struct proc_cgroup *cgs, size_t n, int hierarchy)
{
        for (size_t i = 0; i < n; i++)
                if (cgs[i].hierarchy == hierarchy)
                        return cgs[i].path;
        return NULL;
}

/* A cgroup is the container's own when it differs from the reference's and
 * holds nothing but the container's processes (an engine may leave a container
 * in its own cgroup, as podman does with --cgroups=disabled). */
static bool cgroup_is_own(const struct inspect *in, const struct proc_cgroup *cg, const char *ref_path,
                          pid_t *stranger)
{
        *stranger = 0;
        if (ref_path != NULL && strcmp(ref_path, cg->path) == 0)
                return false;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (cg->dir == NULL || cgroup_read_procs(cg->dir, &pids, &n, NULL) < 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (!inspect_is_member(in, pids[i])) {
                        *stranger = pids[i];
                        return false;
                }
        return true;
}

static json_object *paths_json(const struct inspect *in, const struct proc_cgroup *cgs, size_t n,
                               const struct proc_cgroup *ref, size_t n_ref, bool *any_own)
{
        json_object *list = json_object_new_array();
        *any_own = false;
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "hierarchy", json_object_new_int(cgs[i].hierarchy));
                inspect_add_string(p, "controllers", cgs[i].controllers);
                inspect_add_string(p, "path", cgs[i].path);
                inspect_add_string(p, "directory", cgs[i].dir);
                const char *ref_path = path_of(ref, n_ref, cgs[i].hierarchy);
                pid_t stranger = 0;
                bool own = cgroup_is_own(in, &cgs[i], ref_path, &stranger);
                json_object_object_add(p, "own", json_object_new_boolean(own));
                if (stranger != 0)
                        json_object_object_add(p, "sharedWithPid", json_object_new_int(stranger));
                *any_own |= own;
                json_object_array_add(list, p);
        }
        return list;
}

static void cgroup_verdicts(struct inspect *in, bool any_own, const struct cgroup_usage *u)
{
        if (!any_own) {
                char why[256];
                snprintf(why, sizeof(why), "its processes are in the cgroups of %s: no limit or accounting "
                                           "applies to the container alone",
                         inspect_reference_name(in));
                inspect_add_verdict(in, VERDICT_WARNING, "no cgroup of its own", why);
                return;
        }
        if (u->pids_limit.from == NULL || u->pids_limit.value == CGROUP_VALUE_UNLIMITED)
                inspect_add_verdict(in, VERDICT_NOTE, "no pids limit",
                                    "a fork bomb in the container can exhaust the host's process table");
        if (u->memory_limit.from == NULL || u->memory_limit.value == CGROUP_VALUE_UNLIMITED)
                inspect_add_verdict(in, VERDICT_NOTE, "no memory limit",
                                    "it can take all host memory and set the OOM killer on host processes");
}

int inspect_cgroup(struct inspect *in, nook_err *err)
{
        struct proc_cgroup *cgs = NULL, *ref = NULL;
        size_t n = 0, n_ref = 0;
        int ret = proc_read_cgroups(in->procfd, &cgs, &n, err);
        if (ret < 0)
                return nook_error_wrap(err, "read the container's cgroups");
        /* Unreadable for an unprivileged caller looking at pid 1: then every path counts as its own. */
        proc_read_cgroups(in->reffd, &ref, &n_ref, NULL);
        json_object *o = json_object_new_object();
        json_object_object_add(in->report, "cgroup", o);
        bool any_own = false;
        json_object *paths = paths_json(in, cgs, n, ref, n_ref, &any_own);
        json_object_object_add(o, "own", json_object_new_boolean(any_own));
        json_object_object_add(o, "paths", paths);
        /* What nook recorded at create, to compare with where the init is now. */
        json_object *recorded = json_object_new_array();
        for (size_t i = 0; in->state->cgroup != NULL && i < in->state->cgroup->n_hierarchies; i++)
                json_object_array_add(recorded, json_object_new_string(in->state->cgroup->hierarchies[i].path));
        json_object_object_add(o, "recorded", recorded);

        struct cgroup_usage u;
        cgroup_read_usage(cgs, n, &u);
        json_object *memory = json_object_new_object();
        add_limit(memory, &u.memory_limit, cgs, n);
        add_value(memory, "usage", &u.memory_usage);
        json_object_object_add(o, "memory", memory);
        json_object *pids = json_object_new_object();
        add_limit(pids, &u.pids_limit, cgs, n);
        add_value(pids, "current", &u.pids_current);
        json_object_object_add(o, "pids", pids);
        json_object *cpu = json_object_new_object();
        add_value(cpu, "quotaUs", &u.cpu_quota_us);
        add_value(cpu, "periodUs", &u.cpu_period_us);
        add_value(cpu, "shares", &u.cpu_shares);
        add_value(cpu, "weight", &u.cpu_weight);
        add_value(cpu, "usageNs", &u.cpu_usage_ns);
        json_object_object_add(o, "cpu", cpu);
        cgroup_verdicts(in, any_own, &u);
        cgroup_usage_free(&u);
        proc_cgroups_free(cgs, n);
        proc_cgroups_free(ref, n_ref);
        return 0;
}
