/* linux.seccomp: the syscall filter of config.json (compiled by linux/seccomp.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "spec/spec.h"
#include "spec/tables.h"
#include "util/cleanup.h"

/* ---- linux.seccomp ---- */

static const struct name_value seccomp_actions[] = {
        { "SCMP_ACT_KILL", SPEC_SECCOMP_KILL_THREAD },
        { "SCMP_ACT_KILL_THREAD", SPEC_SECCOMP_KILL_THREAD },
        { "SCMP_ACT_KILL_PROCESS", SPEC_SECCOMP_KILL_PROCESS },
        { "SCMP_ACT_TRAP", SPEC_SECCOMP_TRAP },
        { "SCMP_ACT_ERRNO", SPEC_SECCOMP_ERRNO },
        { "SCMP_ACT_TRACE", SPEC_SECCOMP_TRACE },
        { "SCMP_ACT_ALLOW", SPEC_SECCOMP_ALLOW },
        { "SCMP_ACT_LOG", SPEC_SECCOMP_LOG },
        { "SCMP_ACT_NOTIFY", SPEC_SECCOMP_NOTIFY },
};
const struct enum_type seccomp_action_enum = ENUM_TYPE(seccomp_actions, "seccomp action");

static const struct name_value seccomp_ops[] = {
        { "SCMP_CMP_NE", SPEC_SECCOMP_OP_NE }, { "SCMP_CMP_LT", SPEC_SECCOMP_OP_LT },
        { "SCMP_CMP_LE", SPEC_SECCOMP_OP_LE }, { "SCMP_CMP_EQ", SPEC_SECCOMP_OP_EQ },
        { "SCMP_CMP_GE", SPEC_SECCOMP_OP_GE }, { "SCMP_CMP_GT", SPEC_SECCOMP_OP_GT },
        { "SCMP_CMP_MASKED_EQ", SPEC_SECCOMP_OP_MASKED_EQ },
};
const struct enum_type seccomp_operator_enum = ENUM_TYPE(seccomp_ops, "seccomp operator");

static const struct field seccomp_arg_fields[] = {
        FIELD("index", value_u32, struct spec_seccomp_arg, index, NULL),
        FIELD("value", value_u64, struct spec_seccomp_arg, value, NULL),
        FIELD("valueTwo", value_u64, struct spec_seccomp_arg, value_two, NULL),
        REQUIRED("op", value_enum, struct spec_seccomp_arg, op, &seccomp_operator_enum),
};
static int finish_seccomp_arg(struct parser *p, void *dest)
{
        struct spec_seccomp_arg *a = dest;
        if (a->index > 5)
                return parse_fail_field(p, "index", "must be between 0 and 5");
        return 0;
}
static const struct object_type seccomp_arg_type =
        OBJECT_TYPE(struct spec_seccomp_arg, seccomp_arg_fields, finish_seccomp_arg);

static const struct field seccomp_rule_fields[] = {
        FIELD("names", value_strings, struct spec_seccomp_rule, names, NULL),
        REQUIRED("action", value_enum, struct spec_seccomp_rule, action, &seccomp_action_enum),
        FIELD("errnoRet", value_opt_u64, struct spec_seccomp_rule, errno_ret, NULL),
        FIELD("args", value_array, struct spec_seccomp_rule, args,
              &(struct array_type)ARRAY_OF(value_object, struct spec_seccomp_arg, &seccomp_arg_type)),
};
static const struct object_type seccomp_rule_type = OBJECT_TYPE(struct spec_seccomp_rule, seccomp_rule_fields, NULL);

static const struct field seccomp_fields[] = {
        REQUIRED("defaultAction", value_enum, struct spec_seccomp, default_action, &seccomp_action_enum),
        FIELD("defaultErrnoRet", value_opt_u64, struct spec_seccomp, default_errno_ret, NULL),
        FIELD("architectures", value_strings, struct spec_seccomp, architectures, NULL),
        FIELD("flags", value_strings, struct spec_seccomp, flags, NULL),
        FIELD("listenerPath", value_string, struct spec_seccomp, listener_path, NULL),
        FIELD("listenerMetadata", value_string, struct spec_seccomp, listener_metadata, NULL),
        FIELD("syscalls", value_array, struct spec_seccomp, syscalls,
              &(struct array_type)ARRAY_OF(value_object, struct spec_seccomp_rule, &seccomp_rule_type)),
};
static int finish_seccomp(struct parser *p, void *dest)
{
        struct spec_seccomp *s = dest;
        bool notify = s->default_action == SPEC_SECCOMP_NOTIFY;
        for (size_t i = 0; i < s->syscalls.len; i++)
                notify |= s->syscalls.items[i].action == SPEC_SECCOMP_NOTIFY;
        if (notify && s->listener_path == NULL)
                return parse_fail_field(p, "listenerPath", "required when an action is SCMP_ACT_NOTIFY");
        return 0;
}
const struct object_type seccomp_type = OBJECT_TYPE(struct spec_seccomp, seccomp_fields, finish_seccomp);
