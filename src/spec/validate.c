/* The rules of config.json that span its objects (a hostname needs a uts
 * namespace, a sysctl its namespace, …): the finish of the document's table,
 * which has checked its required fields (ociVersion, root.path, process). */
#define _GNU_SOURCE
#include <string.h>

#include "spec/parse.h"
#include "spec/spec.h"
#include "spec/tables.h"
#include "util/cleanup.h"

static bool has_namespace(const struct spec *spec, enum spec_namespace_type type)
{
        return spec_namespace(spec, type) != NULL;
}

/* A sysctl key as a path under /proc/sys must not climb out of it. */
static bool sysctl_key_is_sane(const char *key)
{
        if (key[0] == '\0' || key[0] == '.' || key[0] == '/' || strstr(key, "..") != NULL)
                return false;
        return true;
}

int validate_spec(struct parser *p, void *dest)
{
        struct spec *s = dest;
        /* Any 1.x is accepted: refusing newer minor versions is a known crun bug. */
        if (strncmp(s->oci_version, "1.", 2) != 0)
                return parse_fail_field(p, "ociVersion", "unsupported version \"%s\" (nook supports 1.x)",
                                        s->oci_version);
        if (s->root_path[0] == '\0')
                return parse_fail_field(p, "root.path", "required");
        if (s->process->args.len == 0)
                return parse_fail_field(p, "process.args", "required and must not be empty");
        if (s->process->args.items[0][0] == '\0')
                return parse_fail_field(p, "process.args[0]", "must not be empty");

        bool userns = has_namespace(s, NS_USER);
        const struct spec_linux *l = s->linux;
        if (l != NULL && (l->uid_mappings.len > 0 || l->gid_mappings.len > 0) && !userns)
                return parse_fail_field(p, "linux.uidMappings", "given without a user namespace");
        if (userns && spec_namespace(s, NS_USER)->path == NULL &&
            (l->uid_mappings.len == 0 || l->gid_mappings.len == 0))
                return parse_fail_field(p, l->uid_mappings.len == 0 ? "linux.uidMappings" : "linux.gidMappings",
                                        "required with a new user namespace");
        if (s->hostname != NULL && s->hostname[0] != '\0' && !has_namespace(s, NS_UTS))
                return parse_fail_field(p, "hostname", "needs its own uts namespace");
        if (s->domainname != NULL && s->domainname[0] != '\0' && !has_namespace(s, NS_UTS))
                return parse_fail_field(p, "domainname", "needs its own uts namespace");
        if (!has_namespace(s, NS_MOUNT)) {
                /* Without a mount namespace of its own, these would change the host's mounts
                 * (mounts[] are left out, as runc does). */
                if (s->root_readonly)
                        return parse_fail_field(p, "root.readonly", "needs a mount namespace");
                if (l != NULL && l->masked_paths.len > 0)
                        return parse_fail_field(p, "linux.maskedPaths", "need a mount namespace");
                if (l != NULL && l->readonly_paths.len > 0)
                        return parse_fail_field(p, "linux.readonlyPaths", "need a mount namespace");
        }
        if (l != NULL && (l->time_monotonic.set || l->time_boottime.set)) {
                const struct spec_namespace *time = spec_namespace(s, NS_TIME);
                if (time == NULL || time->path != NULL)
                        return parse_fail_field(p, "linux.timeOffsets", "needs a new time namespace");
        }
        for (size_t i = 0; l != NULL && i < l->sysctl.len; i++) {
                const char *key = l->sysctl.items[i].key;
                enum spec_namespace_type ns = spec_sysctl_namespace(key);
                if (!sysctl_key_is_sane(key))
                        return parse_fail(p, "linux.sysctl: invalid key \"%s\"", key);
                if (ns == NS_TYPE_COUNT)
                        return parse_fail(p, "linux.sysctl: \"%s\" is not in a separate kernel namespace", key);
                if (!has_namespace(s, ns))
                        return parse_fail(p, "linux.sysctl: \"%s\" needs its own %s namespace", key,
                                          spec_namespace_name(ns));
                /* Two values for one name: which one wins would be an accident of order. */
                bool hostname = strcmp(key, "kernel.hostname") == 0 && s->hostname != NULL && s->hostname[0] != '\0';
                bool domainname = strcmp(key, "kernel.domainname") == 0 && s->domainname != NULL &&
                                  s->domainname[0] != '\0';
                if (hostname || domainname)
                        return parse_fail(p, "linux.sysctl: \"%s\" conflicts with the \"%s\" field: give one of them",
                                          key, hostname ? "hostname" : "domainname");
        }
        return validate_host_resources(p, s);
}
