/* Table-driven JSON → struct decoding, used by spec.c (internal to spec/).
 * Each object type is a table of fields: name → parser → offset in the struct.
 * The parser tracks the JSON path so that every error names the field. */
#ifndef NOOK_SPEC_PARSE_H
#define NOOK_SPEC_PARSE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct parser {
        char path[512];
        size_t path_len;
        nook_err *err;
};

struct field;
typedef int (*parse_fn)(struct parser *p, json_object *value, void *dest, const void *arg);

struct field {
        const char *name;
        parse_fn parse;
        size_t offset;
        const void *arg;
};

struct object_type {
        const struct field *fields;
        size_t n_fields;
        size_t size;
        /* Checks required fields and cross-field rules once all fields are read. */
        int (*finish)(struct parser *p, void *dest);
};

struct array_type {
        parse_fn parse;
        size_t elem_size;
        const void *arg;
};

/* A name → integer table, for enums. */
struct name_value {
        const char *name;
        int value;
};

struct enum_type {
        const struct name_value *values;
        size_t n_values;
        const char *what; /* "namespace", "seccomp action" */
};

#define FIELD(json_name, fn, type, member, ...) \
        { json_name, fn, offsetof(type, member), __VA_ARGS__ }
#define OBJECT_TYPE(type, table, finish_fn) \
        { table, sizeof(table) / sizeof((table)[0]), sizeof(type), finish_fn }

/* Fails with "<path>: <message>". */
int parse_fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails with "<path>.<field>: <message>" for a field that is not the current one. */
int parse_fail_field(struct parser *p, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

int parse_string(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_bool(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_u32(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_i32(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_i64(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_u64(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_opt_i64(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_opt_u64(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_opt_bool(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_strings(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_string_map(struct parser *p, json_object *v, void *dest, const void *arg);
/* arg: struct enum_type; dest: int */
int parse_enum(struct parser *p, json_object *v, void *dest, const void *arg);
/* An array of flag names: arg: struct enum_type of their bits; dest: uint64_t, their OR. */
int parse_flags(struct parser *p, json_object *v, void *dest, const void *arg);
/* arg: struct object_type; dest: the struct itself */
int parse_object(struct parser *p, json_object *v, void *dest, const void *arg);
/* arg: struct object_type; dest: a pointer to the struct, allocated here */
int parse_object_ptr(struct parser *p, json_object *v, void *dest, const void *arg);
/* arg: struct array_type; dest: SPEC_ARRAY */
int parse_array(struct parser *p, json_object *v, void *dest, const void *arg);

/* A list of ids ("0-3,7"); dest: struct spec_id_set. */
int parse_id_set(struct parser *p, json_object *v, void *dest, const void *arg);

/* An object whose keys name its entries ({"eth0": {...}}): arg: struct array_type of the
 * entries, whose first member is their key (const char *); dest: SPEC_ARRAY. */
int parse_object_map(struct parser *p, json_object *v, void *dest, const void *arg);

/* arg: the allowed letters ("cbup"); dest: char. */
int parse_type_letter(struct parser *p, json_object *v, void *dest, const void *arg);

#define ENUM_TYPE(table, what) { table, sizeof(table) / sizeof((table)[0]), what }
#define ARRAY_OF(fn, type, extra) { fn, sizeof(type), extra }

/* Looks a name up in an enum table; -1 when absent. */
int enum_lookup(const struct enum_type *type, const char *name);

/* Parses text as strict JSON; errors say where ("line 3, column 7"). */
int parse_json_text(const char *text, size_t len, json_object **out, nook_err *err);

/* Decodes a whole document of the given object type into dest. */
int parse_document(json_object *root, const struct object_type *type, void *dest, nook_err *err);

#endif
