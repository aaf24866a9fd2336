/* What every section of the `nook inspect` report shares: adding a finding to
 * the verdict, a string member, the name of the reference, whether a process
 * is the container's. A leaf below inspect.c, inspect_mounts.c and
 * inspect_privilege.c. */
#define _GNU_SOURCE
#include "container/inspect.h"

#include "util/cleanup.h"

static const char *const severity_names[] = {
        [VERDICT_SERIOUS] = "serious",
        [VERDICT_WARNING] = "warning",
        [VERDICT_NOTE] = "note",
};

void inspect_add_verdict(struct inspect *in, enum verdict_severity severity, const char *what, const char *why)
{
        json_object *v = json_object_new_object();
        json_object_object_add(v, "severity", json_object_new_string(severity_names[severity]));
        json_object_object_add(v, "what", json_object_new_string(what));
        json_object_object_add(v, "why", json_object_new_string(why));
        json_object_array_add(in->verdict, v);
}

const char *inspect_reference_name(const struct inspect *in)
{
        return in->ref_host ? "the host" : "nook's caller";
}

void inspect_add_string(json_object *o, const char *key, const char *value)
{
        json_object_object_add(o, key, value != NULL ? json_object_new_string(value) : NULL);
}

bool inspect_is_member(const struct inspect *in, pid_t pid)
{
        if (pid == in->state->pid || in->members_by == NS_TYPE_COUNT)
                return pid == in->state->pid;
        _cleanup_close_ int fd = proc_open(pid, 0, NULL);
        if (fd < 0)
                return true; /* gone: it cannot be someone else's either */
        struct ns_id ids[NS_TYPE_COUNT];
        proc_read_namespaces(fd, ids);
        return ns_id_equal(&ids[in->members_by], &in->ns[in->members_by]);
}
