/* `nook inspect`: the report's frame, namespaces, processes and users. */
#define _GNU_SOURCE
#include "container/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/container.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* ---- namespaces ---- */

/* What sharing one namespace with the host costs, for the verdict. */
static const struct {
        enum spec_namespace_type type;
        enum verdict_severity severity;
        const char *why;
} shared_namespace_costs[] = {
        { NS_MOUNT, VERDICT_SERIOUS, "it has the host's whole filesystem tree and sees every mount made there" },
        { NS_PID, VERDICT_SERIOUS,
          "it sees every host process and can signal or trace those of the same user" },
        { NS_NETWORK, VERDICT_SERIOUS,
          "it uses the host's interfaces, listening ports and abstract unix sockets" },
        { NS_IPC, VERDICT_SERIOUS, "it can attach to the host's shared memory, semaphores and message queues" },
        { NS_UTS, VERDICT_WARNING, "it sees the host's name and, with CAP_SYS_ADMIN, can change it" },
        { NS_CGROUP, VERDICT_NOTE, "it sees the host's cgroup paths in /proc/self/cgroup" },
};

static void namespace_verdicts(struct inspect *in)
{
        for (size_t i = 0; i < ARRAY_SIZE(shared_namespace_costs); i++) {
                enum spec_namespace_type t = shared_namespace_costs[i].type;
                if (in->own[t] || in->ns[t].error != 0)
                        continue;
                char what[128];
                snprintf(what, sizeof(what), "%s namespace shared with %s", spec_namespace_name(t),
                         inspect_reference_name(in));
                inspect_add_verdict(in, shared_namespace_costs[i].severity, what, shared_namespace_costs[i].why);
        }
}

static json_object *namespaces_json(struct inspect *in)
{
        json_object *list = json_object_new_array();
        for (int t = 0; t < NS_TYPE_COUNT; t++) {
                json_object *o = json_object_new_object();
                inspect_add_string(o, "type", spec_namespace_name(t));
                if (in->ns[t].error != 0) {
                        inspect_add_string(o, "error", strerror(-in->ns[t].error));
                        json_object_array_add(list, o);
                        continue;
                }
                json_object_object_add(o, "inode", json_object_new_uint64(in->ns[t].inode));
                const struct spec_namespace *asked = in->config != NULL ? spec_namespace(in->config, t) : NULL;
                if (asked != NULL && asked->path != NULL) {
                        /* Joined: still the namespace that path names? */
                        struct ns_id at_path;
                        ns_id_of_path(asked->path, &at_path);
                        inspect_add_string(o, "origin", "joined");
                        inspect_add_string(o, "path", asked->path);
                        json_object_object_add(o, "pathMatches",
                                               json_object_new_boolean(ns_id_equal(&at_path, &in->ns[t])));
                } else {
                        inspect_add_string(o, "origin", in->own[t] ? "own" : in->ref_host ? "host" : "caller");
                }
                json_object_array_add(list, o);
        }
        return list;
}

/* ---- processes ---- */

static const char *state_name(char state)
{
        switch (state) {
        case 'R': return "running";
        case 'S': return "sleeping";
        case 'D': return "disk sleep";
        case 'T': return "stopped";
        case 't': return "tracing stop";
        case 'Z': return "zombie";
        case 'X': return "dead";
        case 'I': return "idle";
        default: return "unknown";
        }
}

static json_object *process_json(const struct proc_status *st, pid_t pid, int levels)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "pid", json_object_new_int(pid));
        /* The container's pid namespace is the init's innermost one. */
        pid_t inside = st->nspid_levels >= levels ? st->nspid[levels - 1] : pid;
        json_object_object_add(o, "containerPid", json_object_new_int(inside));
        json_object_object_add(o, "ppid", json_object_new_int(st->ppid));
        inspect_add_string(o, "name", st->name);
        json_object_object_add(o, "threads", json_object_new_int(st->threads));
        char state[2] = { st->state, '\0' };
        inspect_add_string(o, "state", state);
        inspect_add_string(o, "stateName", state_name(st->state));
        return o;
}

static int inspect_processes(struct inspect *in, nook_err *err)
{
        json_object *list = json_object_new_array();
        json_object_object_add(in->report, "processes", list);
        /* Like cinf --namespace: the members of its pid namespace, else of its mount namespace. */
        enum spec_namespace_type by = in->members_by;
        inspect_add_string(in->report, "processesBy",
                           by == NS_PID ? "pid namespace" : by == NS_MOUNT ? "mount namespace" : "init only");
        if (by == NS_TYPE_COUNT) {
                json_object_array_add(list, process_json(&in->init, in->state->pid, in->init.nspid_levels));
                return 0;
        }
        _cleanup_free_ int *fds = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int ret = proc_list_in_namespace(by, &in->ns[by], &fds, &pids, &n, err);
        if (ret < 0)
                return nook_error_wrap(err, "list the container's processes");
        for (size_t i = 0; i < n; i++) {
                struct proc_status st;
                /* A process that exited meanwhile is no longer in the container. */
                if (proc_read_status(fds[i], &st, NULL) == 0)
                        json_object_array_add(list, process_json(&st, pids[i], in->init.nspid_levels));
                close(fds[i]);
        }
        return 0;
}

/* ---- users ---- */

static json_object *map_json(const struct id_range *r, size_t n)
{
        json_object *list = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_new_object();
                json_object_object_add(m, "containerID", json_object_new_int64(r[i].inside));
                json_object_object_add(m, "hostID", json_object_new_int64(r[i].outside));
                json_object_object_add(m, "size", json_object_new_int64(r[i].count));
                json_object_array_add(list, m);
        }
        return list;
}

/* {"host": N, "container": N or null} for an id as the host sees it. */
static json_object *id_json(uint32_t host_id, const struct id_range *map, size_t n)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "host", json_object_new_int64(host_id));
        uint32_t inside;
        json_object_object_add(o, "container",
                               id_map_inside(map, n, host_id, &inside) ? json_object_new_int64(inside) : NULL);
        return o;
}

static int inspect_users(struct inspect *in, nook_err *err)
{
        _cleanup_free_ struct id_range *uids = NULL, *gids = NULL;
        size_t n_uids = 0, n_gids = 0;
        int ret = proc_read_id_map(in->procfd, "uid_map", &uids, &n_uids, err);
        if (ret == 0)
                ret = proc_read_id_map(in->procfd, "gid_map", &gids, &n_gids, err);
        if (ret < 0)
                return nook_error_wrap(err, "read the container's id maps");
        json_object *o = json_object_new_object();
        json_object_object_add(in->report, "users", o);
        inspect_add_string(o, "namespace", in->own[NS_USER] ? "own" : in->ref_host ? "host" : "caller");
        json_object_object_add(o, "uidMap", map_json(uids, n_uids));
        json_object_object_add(o, "gidMap", map_json(gids, n_gids));
        uint32_t root_host = 0;
        bool root_mapped = id_map_outside(uids, n_uids, 0, &root_host);
        json_object_object_add(o, "rootOnHost", root_mapped ? json_object_new_int64(root_host) : NULL);
        json_object_object_add(o, "uid", id_json(in->init.uid[1], uids, n_uids));
        json_object_object_add(o, "gid", id_json(in->init.gid[1], gids, n_gids));
        /* The maps are read from nook's user namespace: host uid 0 is host root when that is the initial one. */
        if (root_mapped && root_host == 0) {
                bool runs_as_root = in->init.uid[1] == 0;
                inspect_add_verdict(in, runs_as_root ? VERDICT_WARNING : VERDICT_NOTE,
                                    runs_as_root ? "container root is host root, and the process runs as root"
                                                 : "container root is host root",
                                    in->own[NS_USER]
                                            ? "its user namespace maps uid 0 to host uid 0: a process that "
                                              "breaks out is root on the host"
                                            : "no user namespace: a process that breaks out is root on the host; "
                                              "only capabilities, masking and seccomp hold it");
        }
        return 0;
}

/* ---- the frame ---- */

static int load_config(struct inspect *in)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        if (asprintf(&path, "%s/config.json", in->state->dir) < 0 ||
            read_file_at(AT_FDCWD, path, &text, &len, NULL) < 0)
                return -ENOENT;
        return spec_parse(text, len, &in->config, NULL);
}

static json_object *container_json(const struct inspect *in, enum container_status status)
{
        json_object *o = json_object_new_object();
        inspect_add_string(o, "id", in->state->id);
        inspect_add_string(o, "status", state_status_name(status));
        json_object_object_add(o, "pid", json_object_new_int(in->state->pid));
        inspect_add_string(o, "bundle", in->state->bundle);
        inspect_add_string(o, "stateDir", in->state->dir);
        inspect_add_string(o, "created", in->state->created);
        inspect_add_string(o, "owner", in->state->owner);
        json_object_object_add(o, "rootless", json_object_new_boolean(in->state->rootless));
        json_object_object_add(o, "configRead", json_object_new_boolean(in->config != NULL));
        return o;
}

static json_object *reference_json(const struct inspect *in)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "pid", json_object_new_int(in->ref_pid));
        inspect_add_string(o, "kind", in->ref_host ? "host" : "caller");
        return o;
}

static int by_severity(const void *a, const void *b)
{
        static const char *const order[] = { "serious", "warning", "note" };
        const char *x = json_object_get_string(json_object_object_get(*(json_object *const *)a, "severity"));
        const char *y = json_object_get_string(json_object_object_get(*(json_object *const *)b, "severity"));
        int rx = 0, ry = 0;
        for (int i = 0; i < 3; i++) {
                rx = strcmp(x, order[i]) == 0 ? i : rx;
                ry = strcmp(y, order[i]) == 0 ? i : ry;
        }
        return rx - ry;
}

/* json-c's array sort is not stable: keep the order of discovery within a severity. */
static void sort_verdict(json_object *verdict)
{
        size_t n = json_object_array_length(verdict);
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0; j--) {
                        json_object *a = json_object_array_get_idx(verdict, j - 1);
                        json_object *b = json_object_array_get_idx(verdict, j);
                        if (by_severity(&a, &b) <= 0)
                                break;
                        json_object_get(a);
                        json_object_get(b);
                        json_object_array_put_idx(verdict, j - 1, b);
                        json_object_array_put_idx(verdict, j, a);
                }
}

static int open_live(struct inspect *in, const char *root, const char *id, nook_err *err)
{
        int ret = state_load(root, id, &in->state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(in->state);
        if (status == STATUS_STOPPED || status == STATUS_CREATING)
                return nook_error(err, ESRCH, "container \"%s\" is %s: inspect looks at a live container", id,
                                  state_status_name(status));
        in->procfd = proc_open(in->state->pid, in->state->start_time, err);
        if (in->procfd < 0)
                return nook_error_wrap(err, "container \"%s\"", id);
        in->rootfd = openat(in->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (in->rootfd < 0)
                return nook_error_errno(err, "open the root of pid %d", (int)in->state->pid);
        ret = proc_read_status(in->procfd, &in->init, err);
        if (ret < 0)
                return nook_error_wrap(err, "container \"%s\"", id);
        in->reffd = proc_open_reference(&in->ref_pid, &in->ref_host, err);
        if (in->reffd < 0)
                return in->reffd;
        proc_read_namespaces(in->procfd, in->ns);
        proc_read_namespaces(in->reffd, in->ref_ns);
        for (int t = 0; t < NS_TYPE_COUNT; t++) {
                if (in->ns[t].error != 0)
                        return nook_error(err, -in->ns[t].error, "read the %s namespace of pid %d",
                                          spec_namespace_name(t), (int)in->state->pid);
                in->own[t] = !ns_id_equal(&in->ns[t], &in->ref_ns[t]);
        }
        in->members_by = in->own[NS_PID] ? NS_PID : in->own[NS_MOUNT] ? NS_MOUNT : NS_TYPE_COUNT;
        /* With no_new_privs nothing can grow the permitted set; without it a
         * setuid-root or file-capability binary can raise it to the bounding set. */
        in->reachable_caps = in->init.cap_permitted | in->init.cap_ambient;
        if (in->init.no_new_privs != 1)
                in->reachable_caps |= in->init.cap_bounding;
        load_config(in);
        json_object_object_add(in->report, "container", container_json(in, status));
        json_object_object_add(in->report, "reference", reference_json(in));
        return 0;
}

int container_inspect(const char *root, const char *id, json_object **report, nook_err *err)
{
        _cleanup_json_ json_object *out = json_object_new_object(), *verdict = json_object_new_array();
        struct inspect in = { .procfd = -1, .rootfd = -1, .reffd = -1, .report = out, .verdict = verdict };
        int ret = open_live(&in, root, id, err);
        if (ret == 0) {
                json_object_object_add(in.report, "namespaces", namespaces_json(&in));
                namespace_verdicts(&in);
                ret = inspect_processes(&in, err);
        }
        if (ret == 0)
                ret = inspect_users(&in, err);
        if (ret == 0)
                ret = inspect_mounts(&in, err);
        if (ret == 0)
                ret = inspect_privilege(&in, err);
        if (ret == 0)
                ret = inspect_cgroup(&in, err);
        /* Still the same process? Then everything above describes it. */
        if (ret == 0 && proc_start_time(in.procfd) != in.state->start_time)
                ret = nook_error(err, ESRCH, "container \"%s\" stopped while it was inspected", id);
        if (ret == 0) {
                sort_verdict(verdict);
                json_object_object_add(out, "verdict", json_object_get(verdict));
                *report = steal_pointer(&out);
        }
        spec_free(in.config);
        state_free(in.state);
        cleanup_closep(&in.procfd);
        cleanup_closep(&in.rootfd);
        cleanup_closep(&in.reffd);
        return ret;
}
