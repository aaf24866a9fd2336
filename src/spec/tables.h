/* The object types spec.c shares with resources.c and seccomp.c (internal to spec/). */
#ifndef NOOK_SPEC_TABLES_H
#define NOOK_SPEC_TABLES_H

#include "spec/parse.h"
#include "spec/spec.h"

extern const struct object_type resources_type; /* linux.resources */
extern const struct object_type seccomp_type;   /* linux.seccomp */

/* validate.c: the rules across the document, once every field is read (dest: struct spec). */
int validate_spec(struct parser *p, void *dest);

/* The parser's own name tables, for spec_names (table_names.c). */
extern const struct enum_type namespace_enum;
extern const struct enum_type seccomp_action_enum;
extern const struct enum_type seccomp_operator_enum;
extern const struct enum_type memory_policy_mode_enum;
extern const struct enum_type memory_policy_flag_enum;
extern const struct object_type hooks_object_type;

/* host_resources.c: linux.memoryPolicy, linux.netDevices (a map of struct
 * spec_net_device), linux.intelRdt. */
extern const struct object_type memory_policy_type;
extern const struct array_type net_devices_type;
extern const struct object_type intel_rdt_type;

/* The rules of those fields that span the document (a network namespace for netDevices). */
int validate_host_resources(struct parser *p, const struct spec *s);

#endif
