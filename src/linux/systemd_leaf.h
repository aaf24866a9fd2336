/* The container's leaf in its systemd unit: systemd started the unit with the
 * container's first process in it (PIDs=); the process moves one level down,
 * into "<unit>/container", and only then can the unit's directory hand its
 * controllers to the leaf (cgroup2 lets a cgroup enable controllers for its
 * children only while it holds no process itself). nook touches nothing above
 * the unit: the slices are systemd's. */
#ifndef NOOK_LINUX_SYSTEMD_LEAF_H
#define NOOK_LINUX_SYSTEMD_LEAF_H

#include <sys/types.h>

#include "linux/cgroup.h"
#include "util/error.h"

/* For cg from systemd_cgroup_leaf: creates the leaf (an existing one is an
 * error: it is not nook's), moves pid into it, enables every controller the
 * unit has for its children (cgroup.subtree_control of the unit's directory),
 * and opens cg->v2_fd. Then cgroup_apply writes the limits into the leaf. */
int systemd_enter_leaf(struct cgroup *cg, pid_t pid, nook_err *err);

#endif
