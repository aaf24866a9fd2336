/* Capability sets: what the kernel knows, what nook can give, and the capset
 * data the final step (stub.c) loads. */
#ifndef NOOK_LINUX_CAPS_H
#define NOOK_LINUX_CAPS_H

#include <linux/capability.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* The highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap). */
int caps_last_cap(void);

/* The calling process's bounding set: nothing outside it can be given to a container. */
uint64_t caps_bounding(void);

/* Drops every capability not in keep from the bounding set (needs CAP_SETPCAP). */
int caps_drop_bounding(uint64_t keep, nook_err *err);

/* Restricts the requested sets to what the host can give, as runc and crun do
 * for a config that asks for every capability (privileged). */
void caps_clamp(struct spec_capabilities *caps, uint64_t available);

/* Fills capset(2) data (version 3) for the effective/permitted/inheritable sets. */
void caps_to_capset(const struct spec_capabilities *caps, struct __user_cap_header_struct *header,
                    struct __user_cap_data_struct data[2]);

/* Sets effective = permitted = all of what the process has, inheritable = none
 * (the state the setup code needs until the final capset). */
int caps_raise_all(nook_err *err);

#endif
