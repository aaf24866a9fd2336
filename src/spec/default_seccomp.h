/* The seccomp profile `nook spec` writes (see default_seccomp.c). */
#ifndef NOOK_SPEC_DEFAULT_SECCOMP_H
#define NOOK_SPEC_DEFAULT_SECCOMP_H

#include <json-c/json.h>
#include <stdint.h>

/* The linux.seccomp object for a container holding these capabilities (bit n = capability n). */
json_object *default_seccomp_profile(uint64_t capabilities);

#endif
