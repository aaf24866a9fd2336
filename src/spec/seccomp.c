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
        FIELD("index", parse_u32, struct spec_seccomp_arg, index, NULL),
        FIELD("value", parse_u64, struct spec_seccomp_arg, value, NULL),
        FIELD("valueTwo", parse_u64, struct spec_seccomp_arg, value_two, NULL),
        FIELD("op", parse_enum, struct spec_seccomp_arg, op, &seccomp_operator_enum),
};
static int finish_seccomp_arg(struct parser *p, void *dest)
{
        struct spec_seccomp_arg *a = dest;
        if ((int)a->op < 0)
                return parse_fail_field(p, "op", "required");
        if (a->index > 5)
                return parse_fail_field(p, "index", "must be between 0 and 5");
        return 0;
}
static const struct object_type seccomp_arg_type =
        OBJECT_TYPE(struct spec_seccomp_arg, seccomp_arg_fields, finish_seccomp_arg);

static int parse_seccomp_arg(struct parser *p, json_object *v, void *dest, const void *arg)
{
        ((struct spec_seccomp_arg *)dest)->op = -1;
        return parse_object(p, v, dest, arg);
}

static const struct field seccomp_rule_fields[] = {
        FIELD("names", parse_strings, struct spec_seccomp_rule, names, NULL),
        FIELD("action", parse_enum, struct spec_seccomp_rule, action, &seccomp_action_enum),
        FIELD("errnoRet", parse_opt_u64, struct spec_seccomp_rule, errno_ret, NULL),
        FIELD("args", parse_array, struct spec_seccomp_rule, args,
              &(struct array_type)ARRAY_OF(parse_seccomp_arg, struct spec_seccomp_arg, &seccomp_arg_type)),
};
static int finish_seccomp_rule(struct parser *p, void *dest)
{
        struct spec_seccomp_rule *r = dest;
        if ((int)r->action < 0)
                return parse_fail_field(p, "action", "required");
        return 0;
}
static const struct object_type seccomp_rule_type =
        OBJECT_TYPE(struct spec_seccomp_rule, seccomp_rule_fields, finish_seccomp_rule);

static int parse_seccomp_rule(struct parser *p, json_object *v, void *dest, const void *arg)
{
        ((struct spec_seccomp_rule *)dest)->action = -1;
        return parse_object(p, v, dest, arg);
}

static const struct field seccomp_fields[] = {
        FIELD("defaultAction", parse_enum, struct spec_seccomp, default_action, &seccomp_action_enum),
        FIELD("defaultErrnoRet", parse_opt_u64, struct spec_seccomp, default_errno_ret, NULL),
        FIELD("architectures", parse_strings, struct spec_seccomp, architectures, NULL),
        FIELD("flags", parse_strings, struct spec_seccomp, flags, NULL),
        FIELD("listenerPath", parse_string, struct spec_seccomp, listener_path, NULL),
        FIELD("listenerMetadata", parse_string, struct spec_seccomp, listener_metadata, NULL),
        FIELD("syscalls", parse_array, struct spec_seccomp, syscalls,
              &(struct array_type)ARRAY_OF(parse_seccomp_rule, struct spec_seccomp_rule, &seccomp_rule_type)),
};
static int finish_seccomp(struct parser *p, void *dest)
{
        struct spec_seccomp *s = dest;
        if ((int)s->default_action < 0)
                return parse_fail_field(p, "defaultAction", "required");
        bool notify = s->default_action == SPEC_SECCOMP_NOTIFY;
        for (size_t i = 0; i < s->syscalls.len; i++)
                notify |= s->syscalls.items[i].action == SPEC_SECCOMP_NOTIFY;
        if (notify && s->listener_path == NULL)
                return parse_fail_field(p, "listenerPath", "required when an action is SCMP_ACT_NOTIFY");
        return 0;
}
const struct object_type seccomp_type = OBJECT_TYPE(struct spec_seccomp, seccomp_fields, finish_seccomp);

int parse_seccomp(struct parser *p, json_object *v, void *dest, const void *arg)
{
        struct spec_seccomp **slot = dest;
        if (*slot == NULL && (*slot = calloc(1, sizeof(**slot))) == NULL)
                return parse_fail(p, "out of memory");
        (*slot)->default_action = -1;
        return parse_object(p, v, *slot, arg);
}

void spec_free_seccomp(struct spec_seccomp *s)
{
        if (s == NULL)
                return;
        for (size_t i = 0; i < s->syscalls.len; i++) {
                free(s->syscalls.items[i].names.items);
                free(s->syscalls.items[i].args.items);
        }
        free(s->syscalls.items);
        free(s->architectures.items);
        free(s->flags.items);
        free(s);
}
