/* User namespace id maps: written directly when the caller may, through the
 * setuid newuidmap/newgidmap helpers (package uidmap) when it needs subordinate ids. */
#ifndef NOOK_LINUX_USERNS_H
#define NOOK_LINUX_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* Whether the caller is in the initial user namespace (root in any other one,
 * e.g. under rootless podman, is as rootless as its owner). One stat. */
bool userns_is_initial(void);

/* "containerID hostID size\n" lines for /proc/<pid>/uid_map. Returns a heap string. */
char *userns_format_map(const spec_id_mappings *maps);

/* True when an unprivileged caller can write these maps itself: one mapping of its own id. */
bool userns_maps_are_self(const spec_id_mappings *maps, unsigned own_id);

/* Writes the uid and gid maps of pid's user namespace (the process waits meanwhile). */
int userns_write_maps(pid_t pid, const spec_id_mappings *uids, const spec_id_mappings *gids, nook_err *err);

/* A user namespace with these maps, as an fd (for MOUNT_ATTR_IDMAP): made by a
 * short-lived child whose maps we write. Needs CAP_SETUID/CAP_SETGID over the ids. */
int userns_create_with_maps(const spec_id_mappings *uids, const spec_id_mappings *gids, nook_err *err);

/* The host id of a container id through maps; false when it is not mapped. */
bool userns_map_id(const spec_id_mappings *maps, uint32_t container_id, uint32_t *host_id);

/* Writes the maps of pid's user namespace, a child of ours, as the identity of
 * the container ids of uids and gids ("c c size"): the ids ours maps, seen
 * the same from the child. Needs CAP_SETUID/CAP_SETGID here. */
int userns_write_identity_maps(pid_t pid, const spec_id_mappings *uids, const spec_id_mappings *gids,
                               nook_err *err);

#endif
