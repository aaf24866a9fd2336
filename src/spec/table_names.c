/* Every name table of the parser by name, for `nook features` (which must say
 * what the parser takes). Above the tables of spec.c, seccomp.c,
 * host_resources.c and names.c. */
#define _GNU_SOURCE
#include "spec/spec.h"
#include "spec/tables.h"

static size_t enum_names(const struct enum_type *type, const char **out, size_t max)
{
        for (size_t i = 0; i < type->n_values && i < max; i++)
                out[i] = type->values[i].name;
        return type->n_values;
}

size_t spec_names(enum spec_names kind, const char **out, size_t max)
{
        switch (kind) {
        case SPEC_NAMES_HOOKS:
                for (size_t i = 0; i < hooks_object_type.n_fields && i < max; i++)
                        out[i] = hooks_object_type.fields[i].name;
                return hooks_object_type.n_fields;
        case SPEC_NAMES_NAMESPACES:
                return enum_names(&namespace_enum, out, max);
        case SPEC_NAMES_CAPABILITIES:
                for (int i = 0; i < spec_capability_count() && (size_t)i < max; i++)
                        out[i] = spec_capability_name(i);
                return (size_t)spec_capability_count();
        case SPEC_NAMES_SECCOMP_ACTIONS:
                return enum_names(&seccomp_action_enum, out, max);
        case SPEC_NAMES_SECCOMP_OPERATORS:
                return enum_names(&seccomp_operator_enum, out, max);
        case SPEC_NAMES_MEMORY_POLICY_MODES:
                return enum_names(&memory_policy_mode_enum, out, max);
        case SPEC_NAMES_MEMORY_POLICY_FLAGS:
                return enum_names(&memory_policy_flag_enum, out, max);
        }
        return 0;
}
