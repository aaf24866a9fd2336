/* nook inspect [--format text|json] ID */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "container/container.h"
#include "util/cleanup.h"

#define get json_object_object_get
#define at json_object_array_get_idx
#define len json_object_array_length

static void print_header(FILE *out, json_object *r)
{
        json_object *c = get(r, "container"), *ref = get(r, "reference");
        fprintf(out, "Container %s: %s, init pid %lld\n", report_str(c, "id"), report_str(c, "status"),
                (long long)report_int(c, "pid", 0));
        fprintf(out, "  %-12s %s\n", "bundle", report_str(c, "bundle"));
        fprintf(out, "  %-12s %s\n", "state", report_str(c, "stateDir"));
        bool host = strcmp(report_str(ref, "kind"), "host") == 0;
        fprintf(out, "  %-12s %s (pid %lld)\n", "compared", host ? "with the host" : "with nook's caller",
                (long long)report_int(ref, "pid", 0));
        if (!report_bool(c, "configRead"))
                fprintf(out, "  %-12s %s\n", "config", "unreadable: masked paths checked against the default list");
}

static const char *origin_text(json_object *ns, char *buf, size_t size)
{
        const char *origin = report_str(ns, "origin");
        if (origin == NULL)
                snprintf(buf, size, "unreadable: %s", report_str(ns, "error"));
        else if (strcmp(origin, "joined") == 0)
                snprintf(buf, size, "joined from %s%s", report_str(ns, "path"),
                         report_bool(ns, "pathMatches") ? "" : " (the path now names another one)");
        else if (strcmp(origin, "own") == 0)
                snprintf(buf, size, "own");
        else
                snprintf(buf, size, "shared with %s", strcmp(origin, "host") == 0 ? "the host" : "nook's caller");
        return buf;
}

static void print_namespaces(FILE *out, json_object *r)
{
        json_object *list = get(r, "namespaces");
        fprintf(out, "\nNamespaces\n  %-9s %-12s %s\n", "TYPE", "INODE", "ORIGIN");
        for (size_t i = 0; i < len(list); i++) {
                json_object *ns = at(list, i);
                char buf[512];
                fprintf(out, "  %-9s %-12lld %s\n", report_str(ns, "type"), (long long)report_int(ns, "inode", 0),
                        origin_text(ns, buf, sizeof(buf)));
        }
}

static void print_processes(FILE *out, json_object *r)
{
        json_object *list = get(r, "processes");
        const char *by = report_str(r, "processesBy");
        if (strcmp(by, "init only") == 0)
                fprintf(out, "\nProcesses (only the init: no pid or mount namespace of its own to tell them by)\n");
        else
                fprintf(out, "\nProcesses (those in its %s)\n", by);
        fprintf(out, "  %-9s %-9s %-9s %-8s %-14s %s\n", "PID", "CPID", "PPID", "THREADS", "STATE", "NAME");
        for (size_t i = 0; i < len(list); i++) {
                json_object *p = at(list, i);
                char state[32];
                snprintf(state, sizeof(state), "%s %s", report_str(p, "state"), report_str(p, "stateName"));
                fprintf(out, "  %-9lld %-9lld %-9lld %-8lld %-14s %s\n", (long long)report_int(p, "pid", 0),
                        (long long)report_int(p, "containerPid", 0), (long long)report_int(p, "ppid", 0),
                        (long long)report_int(p, "threads", 0), state, report_str(p, "name"));
        }
}

static void print_map(FILE *out, const char *label, json_object *map)
{
        if (len(map) == 0)
                fprintf(out, "  %-12s empty: nothing is mapped\n", label);
        for (size_t i = 0; i < len(map); i++) {
                json_object *m = at(map, i);
                fprintf(out, "  %-12s %lld-%lld is host %lld-%lld\n", i == 0 ? label : "",
                        (long long)report_int(m, "containerID", 0),
                        (long long)(report_int(m, "containerID", 0) + report_int(m, "size", 1) - 1),
                        (long long)report_int(m, "hostID", 0),
                        (long long)(report_int(m, "hostID", 0) + report_int(m, "size", 1) - 1));
        }
}

static void print_id(FILE *out, const char *what, json_object *id)
{
        if (report_is_null(id, "container"))
                fprintf(out, "%s unmapped (host %lld)", what, (long long)report_int(id, "host", 0));
        else
                fprintf(out, "%s %lld (host %lld)", what, (long long)report_int(id, "container", 0),
                        (long long)report_int(id, "host", 0));
}

static void print_users(FILE *out, json_object *r)
{
        json_object *u = get(r, "users");
        const char *ns = report_str(u, "namespace");
        fprintf(out, "\nUsers\n  %-12s %s\n", "namespace",
                strcmp(ns, "own") == 0 ? "own" : strcmp(ns, "host") == 0 ? "shared with the host"
                                                                         : "shared with nook's caller");
        print_map(out, "uid map", get(u, "uidMap"));
        print_map(out, "gid map", get(u, "gidMap"));
        if (report_is_null(u, "rootOnHost"))
                fprintf(out, "  %-12s uid 0 is not mapped\n", "root");
        else if (report_int(u, "rootOnHost", -1) == 0)
                fprintf(out, "  %-12s uid 0 is host root\n", "root");
        else
                fprintf(out, "  %-12s uid 0 is host uid %lld\n", "root", (long long)report_int(u, "rootOnHost", 0));
        fprintf(out, "  %-12s ", "process");
        print_id(out, "uid", get(u, "uid"));
        fprintf(out, ", ");
        print_id(out, "gid", get(u, "gid"));
        fprintf(out, "\n");
}

/* Prints a line without the blanks an empty last column leaves. */
static void print_trimmed(FILE *out, char *line)
{
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == ' ')
                line[--n] = '\0';
        fprintf(out, "%s\n", line);
}

/* Long paths keep their end, which says the most. */
static const char *fit(const char *s, int width, char *buf, size_t size)
{
        int n = (int)strlen(s);
        if (n <= width)
                return s;
        snprintf(buf, size, "...%s", s + n - (width - 3));
        return buf;
}

static void print_mounts(FILE *out, json_object *r)
{
        json_object *list = get(r, "mounts");
        fprintf(out, "\nMounts\n  %-32s %-10s %-16s %-3s %-20s %s\n", "MOUNTPOINT", "TYPE", "SOURCE", "RO",
                "PROPAGATION", "HOST");
        for (size_t i = 0; i < len(list); i++) {
                json_object *m = at(list, i);
                char b1[64], b2[64];
                const char *peer = report_str(m, "hostPeer");
                char line[256];
                snprintf(line, sizeof(line), "  %-32s %-10s %-16s %-3s %-20s %s",
                         fit(report_str(m, "mountpoint"), 32, b1, sizeof(b1)), report_str(m, "type"),
                         fit(report_str(m, "source"), 16, b2, sizeof(b2)), report_bool(m, "readOnly") ? "ro" : "rw",
                         report_str(m, "propagation"),
                         peer == NULL ? "" : strcmp(peer, "shared") == 0 ? "PEER" : "receives");
                print_trimmed(out, line);
        }
}

static void print_masking(FILE *out, json_object *r)
{
        json_object *list = get(r, "maskedPaths");
        fprintf(out, "\nMasked paths\n");
        for (size_t i = 0; i < len(list); i++) {
                json_object *p = at(list, i);
                char state[256];
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s%s", report_str(p, "path"),
                             report_bool(p, "configured") ? "" : " (default)") < 0)
                        continue;
                if (!report_bool(p, "exists"))
                        snprintf(state, sizeof(state), "absent");
                else if (report_bool(p, "masked"))
                        snprintf(state, sizeof(state), "masked by the %s", report_str(p, "maskedBy"));
                else
                        snprintf(state, sizeof(state), "NOT MASKED: %s", report_str(p, "shows"));
                fprintf(out, "  %-40s %s\n", path, state);
        }
        list = get(r, "readonlyPaths");
        fprintf(out, "\nRead-only paths\n");
        for (size_t i = 0; i < len(list); i++) {
                json_object *p = at(list, i);
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s%s", report_str(p, "path"),
                             report_bool(p, "configured") ? "" : " (kernel files)") < 0)
                        continue;
                fprintf(out, "  %-40s %s\n", path,
                        !report_bool(p, "exists") ? "absent" : report_bool(p, "readOnly") ? "read-only" : "WRITABLE");
        }
}

static void print_locked(FILE *out, json_object *r)
{
        json_object *l = get(r, "lockedMounts");
        bool userns = report_bool(l, "userNamespace");
        fprintf(out, "\nLocked mounts (%s)\n",
                userns ? "tried from inside its user and mount namespaces"
                       : "no user namespace: the kernel locks nothing; tried from inside its mount namespace");
        if (!report_bool(l, "checked")) {
                report_wrap(out, "  not checked: ", 4, report_str(l, "error"));
                return;
        }
        json_object *list = get(l, "paths");
        fprintf(out, "  %-40s %-10s %-12s %s\n", "PATH", "UNMOUNT", "REMOUNT RW", "LOCKED");
        for (size_t i = 0; i < len(list); i++) {
                json_object *p = at(list, i);
                const char *remount = report_str(p, "remountWritable");
                fprintf(out, "  %-40s %-10s %-12s %s\n", report_str(p, "path"), report_str(p, "unmount"),
                        remount != NULL ? remount : "-", report_bool(p, "locked") ? "yes" : "no");
        }
}

static bool same_array(json_object *a, json_object *b)
{
        return strcmp(json_object_to_json_string(a), json_object_to_json_string(b)) == 0;
}

static void print_privilege(FILE *out, json_object *r)
{
        json_object *p = get(r, "privilege"), *caps = get(p, "capabilities");
        json_object *effective = get(caps, "effective");
        fprintf(out, "\nPrivilege\n");
        static const char *const sets[] = { "effective", "permitted", "inheritable", "bounding", "ambient" };
        for (size_t i = 0; i < 5; i++) {
                json_object *set = get(caps, sets[i]);
                if (i > 0 && len(set) > 0 && same_array(set, effective))
                        fprintf(out, "  %-12s same as effective\n", sets[i]);
                else
                        report_words(out, 12, sets[i], set);
        }
        fprintf(out, "  %-12s %s\n", "no_new_privs",
                report_is_null(p, "noNewPrivileges") ? "unknown" : report_bool(p, "noNewPrivileges") ? "yes" : "no");
        json_object *s = get(p, "seccomp");
        const char *mode = report_str(s, "mode");
        if (strcmp(mode, "filter") == 0)
                fprintf(out, "  %-12s filter (%lld)\n", "seccomp", (long long)report_int(s, "filters", 0));
        else
                fprintf(out, "  %-12s %s\n", "seccomp", mode);
        json_object *lsm = get(p, "lsm");
        static const char *const modules[] = { "apparmor", "selinux" };
        for (size_t i = 0; i < 2; i++) {
                json_object *m = get(lsm, modules[i]);
                const char *label = report_str(m, "label"), *asked = report_str(m, "asked");
                if (!report_bool(m, "enabled"))
                        fprintf(out, "  %-12s %s\n", modules[i], "off on this host");
                else
                        fprintf(out, "  %-12s %s (%s%s)\n", modules[i], label != NULL ? label : "unreadable",
                                asked != NULL ? "asked: " : "none asked", asked != NULL ? asked : "");
        }
}

/* "none", a number, or "-" when the kernel does not show it. */
static const char *value(json_object *o, const char *key, bool bytes, char *buf, size_t size)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v))
                return "-";
        if (v == NULL)
                return "none";
        if (bytes)
                return report_bytes(json_object_get_int64(v), buf, size);
        snprintf(buf, size, "%lld", (long long)json_object_get_int64(v));
        return buf;
}

static void print_cgroup(FILE *out, json_object *r)
{
        json_object *c = get(r, "cgroup"), *list = get(c, "paths");
        fprintf(out, "\nCgroup (%s)\n  %-16s %-5s %s\n", report_bool(c, "own") ? "its own" : "none of its own",
                "CONTROLLERS", "OWN", "PATH");
        for (size_t i = 0; i < len(list); i++) {
                json_object *p = at(list, i);
                const char *controllers = report_str(p, "controllers");
                char b[96];
                fprintf(out, "  %-16s %-5s %s\n", controllers[0] ? controllers : "(cgroup2)",
                        report_bool(p, "own") ? "yes" : "no", fit(report_str(p, "path"), 76, b, sizeof(b)));
        }
        char b1[32], b2[32], b3[32], b4[32];
        json_object *m = get(c, "memory"), *pids = get(c, "pids"), *cpu = get(c, "cpu");
        fprintf(out, "  %-16s limit %-12s usage %s\n", "memory", value(m, "limit", true, b1, sizeof(b1)),
                value(m, "usage", true, b2, sizeof(b2)));
        fprintf(out, "  %-16s limit %-12s current %s\n", "pids", value(pids, "limit", false, b1, sizeof(b1)),
                value(pids, "current", false, b2, sizeof(b2)));
        const char *share = json_object_object_get_ex(cpu, "weight", NULL) ? "weight" : "shares";
        int64_t ns = report_int(cpu, "usageNs", -1);
        if (ns >= 0)
                snprintf(b4, sizeof(b4), ns >= 1000000000 ? "%.1f s" : "%.1f ms",
                         ns >= 1000000000 ? ns / 1e9 : ns / 1e6);
        fprintf(out, "  %-16s quota %-12s period %-8s %s %-6s usage %s\n", "cpu",
                value(cpu, "quotaUs", false, b1, sizeof(b1)), value(cpu, "periodUs", false, b2, sizeof(b2)), share,
                value(cpu, share, false, b3, sizeof(b3)), ns >= 0 ? b4 : "-");
        for (size_t i = 0; i < 2; i++) {
                json_object *o = i == 0 ? m : pids;
                if (report_str(o, "limitSetOn") != NULL)
                        fprintf(out, "  %-16s the %s limit is set on %s\n", "", i == 0 ? "memory" : "pids",
                                report_str(o, "limitSetOn"));
        }
}

static void print_verdict(FILE *out, json_object *r)
{
        json_object *list = get(r, "verdict");
        fprintf(out, "\nVerdict\n");
        size_t serious = 0;
        for (size_t i = 0; i < len(list); i++) {
                json_object *v = at(list, i);
                char prefix[16], *text = NULL;
                serious += strcmp(report_str(v, "severity"), "serious") == 0;
                snprintf(prefix, sizeof(prefix), "  %-8s ", report_str(v, "severity"));
                if (asprintf(&text, "%s - %s", report_str(v, "what"), report_str(v, "why")) < 0)
                        continue;
                report_wrap(out, prefix, 11, text);
                free(text);
        }
        if (len(list) == 0)
                fprintf(out, "  nothing weakens its isolation that nook can see\n");
        else if (serious == 0)
                fprintf(out, "  nothing serious\n");
}

static void print_text(FILE *out, json_object *r)
{
        print_header(out, r);
        print_namespaces(out, r);
        print_processes(out, r);
        print_users(out, r);
        print_mounts(out, r);
        print_masking(out, r);
        print_locked(out, r);
        print_privilege(out, r);
        print_cgroup(out, r);
        print_verdict(out, r);
}

int cmd_inspect(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        const char *format = "text";
        const struct option options[] = {
                { "format", 'f', OPTION_STRING, &format, "text (for a person) or json (for a program)", "FORMAT" },
        };
        char *root = NULL;
        const char *id = NULL;
        bool json = false;
        int ret = cli_parse_id_command(g, "inspect",
                                       "Show how isolated a running container is, as the kernel reports it.",
                                       options, 1, argc, argv, &root, &id, err);
        if (ret == 0)
                ret = report_format(format, &json, err);
        _cleanup_json_ json_object *report = NULL;
        if (ret == 0)
                ret = container_inspect(root, id, &report, err);
        if (ret == 0)
                ret = report_print(stdout, report, json, print_text, err);
        free(root);
        return ret > 0 ? 0 : ret;
}
