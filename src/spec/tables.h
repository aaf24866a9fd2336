/* The object types spec.c shares with resources.c and seccomp.c (internal to spec/). */
#ifndef NOOK_SPEC_TABLES_H
#define NOOK_SPEC_TABLES_H

#include "spec/parse.h"
#include "spec/spec.h"

extern const struct object_type resources_type; /* linux.resources */
extern const struct object_type seccomp_type;   /* linux.seccomp */

/* linux.seccomp: allocates the struct and marks the actions absent before reading it. */
int parse_seccomp(struct parser *p, json_object *v, void *dest, const void *arg);

void spec_free_seccomp(struct spec_seccomp *s);

#endif
