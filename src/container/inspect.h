/* `nook inspect`: what the kernel gave a live container, read from its init's
 * /proc entries, its mounts and its cgroups (the config only says what was
 * asked, and is used only to tell "asked" from "got"). Internal to container/:
 * the sections are built in inspect.c (identity, namespaces, processes,
 * users), inspect_mounts.c (mounts, masking, locked mounts) and
 * inspect_privilege.c (capabilities, seccomp, LSM labels, cgroup), each one adding
 * its JSON object to the report and its findings to the verdict with the helpers
 * of inspect_report.c. */
#ifndef NOOK_CONTAINER_INSPECT_H
#define NOOK_CONTAINER_INSPECT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "container/state.h"
#include "linux/introspect.h"
#include "spec/spec.h"
#include "util/error.h"

enum verdict_severity {
        VERDICT_SERIOUS, /* isolation is broken or trivially breakable */
        VERDICT_WARNING, /* isolation rests on one layer less than it could */
        VERDICT_NOTE,    /* worth knowing; the usual state of a default container */
};

struct inspect {
        struct container_state *state;
        struct spec *config; /* the config at create time, NULL when unreadable */
        int procfd;          /* the init's /proc/<pid>, pinned */
        int rootfd;          /* the init's root directory (<procfd>/root) */
        int reffd;           /* the process the host's namespaces are compared with */
        pid_t ref_pid;
        bool ref_host; /* false: the reference is the caller, not the host */
        struct proc_status init;
        struct ns_id ns[NS_TYPE_COUNT];
        struct ns_id ref_ns[NS_TYPE_COUNT];
        bool own[NS_TYPE_COUNT]; /* differs from the reference */
        enum spec_namespace_type members_by; /* processes are those in this namespace; NS_TYPE_COUNT: the init */
        uint64_t reachable_caps; /* what a process of the container can hold (see inspect_privilege.c) */
        json_object *report;
        json_object *verdict; /* array of {severity, what, why} */
};

/* inspect_report.c, below the sections: */

/* Adds one finding: what weakens isolation, and why it matters. */
void inspect_add_verdict(struct inspect *in, enum verdict_severity severity, const char *what, const char *why);

/* "the host" or "nook's caller": what the namespaces were compared with. */
const char *inspect_reference_name(const struct inspect *in);

/* Whether pid is one of the container's processes (in its namespace, or the init). */
bool inspect_is_member(const struct inspect *in, pid_t pid);

/* Adds key: value to o, a JSON null when value is NULL. */
void inspect_add_string(json_object *o, const char *key, const char *value);

/* The sections: */

/* report.mounts, report.maskedPaths, report.readonlyPaths, report.lockedMounts. */
int inspect_mounts(struct inspect *in, nook_err *err);

/* report.privilege (capabilities, no_new_privs, seccomp, LSM labels) and report.cgroup. */
int inspect_privilege(struct inspect *in, nook_err *err);
int inspect_cgroup(struct inspect *in, nook_err *err);

#endif
