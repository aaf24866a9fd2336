/* Table-driven JSON → struct decoding, used by spec.c (internal to spec/).
 * Each object type is a table of fields: name → kind of value → offset in the
 * struct, whether it is required. The parser tracks the JSON path so that
 * every error names the field; the free of a parsed struct walks the same tables. */
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

typedef int (*parse_fn)(struct parser *p, json_object *value, void *dest, const void *arg);

/* How one JSON value becomes a struct member (parse), and how what that
 * allocated is freed again (release, with the same arg; NULL: it allocates
 * nothing): the parse of a document and its free walk the same tables. */
struct value_kind {
        parse_fn parse;
        void (*release)(void *dest, const void *arg);
};

struct field {
        const char *name;
        const struct value_kind *kind;
        size_t offset;
        const void *arg;
        bool required; /* absent (or null): "<path>.<name>: required" */
        /* With has_present: the offset of a bool in the same struct, set when the
         * field is given (capabilities: absent keeps the process's, as runc does). */
        bool has_present;
        size_t present;
};

struct object_type {
        const struct field *fields;
        size_t n_fields;
        size_t size;
        /* Cross-field rules, once the fields are read and the required ones are there. */
        int (*finish)(struct parser *p, void *dest);
        /* Frees what finish allocated (NULL: nothing); the fields' own are the table's. */
        void (*release)(void *dest);
};

struct array_type {
        const struct value_kind *kind;
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

/* A field of a struct type: FIELD("uid", value_u32, struct spec_user, uid, NULL); the
 * last argument is the kind's arg (variadic: a compound literal holds commas). */
#define FIELD(json_name, kind, type, member, ...) \
        { json_name, &(kind), offsetof(type, member), __VA_ARGS__, false, false, 0 }
/* The same, refused when absent. */
#define REQUIRED(json_name, kind, type, member, ...) \
        { json_name, &(kind), offsetof(type, member), __VA_ARGS__, true, false, 0 }
/* The same, setting the bool flag of the struct when given. */
#define FIELD_FLAGGED(json_name, kind, type, member, arg, flag) \
        { json_name, &(kind), offsetof(type, member), arg, false, true, offsetof(type, flag) }
/* An object whose members live in the parent struct itself ("root" in struct spec). */
#define FOLDED(json_name, object_type) { json_name, &value_object, 0, object_type, false, false, 0 }
/* The same, setting the bool flag of the parent struct when given. */
#define FOLDED_FLAGGED(json_name, object_type, type, flag) \
        { json_name, &value_object, 0, object_type, false, true, offsetof(type, flag) }
#define OBJECT_TYPE(type, table, finish_fn) \
        { table, sizeof(table) / sizeof((table)[0]), sizeof(type), finish_fn, NULL }

/* Fails with "<path>: <message>". */
int parse_fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails with "<path>.<field>: <message>" for a field that is not the current one. */
int parse_fail_field(struct parser *p, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The kinds of value (struct value_kind) every table uses; what each takes as
 * arg and fills in dest: */
extern const struct value_kind value_string;    /* const char *, into the JSON tree */
extern const struct value_kind value_bool;      /* bool */
extern const struct value_kind value_u32;       /* uint32_t */
extern const struct value_kind value_i32;       /* int32_t */
extern const struct value_kind value_i64;       /* int64_t */
extern const struct value_kind value_u64;       /* uint64_t */
extern const struct value_kind value_opt_i64;   /* struct opt_i64 */
extern const struct value_kind value_opt_u64;   /* struct opt_u64 */
extern const struct value_kind value_opt_bool;  /* struct opt_bool */
extern const struct value_kind value_strings;   /* spec_strings */
extern const struct value_kind value_string_map; /* spec_map */
extern const struct value_kind value_enum;      /* arg: struct enum_type; int */
extern const struct value_kind value_flags;     /* arg: struct enum_type of bits; uint64_t, their OR */
extern const struct value_kind value_object;    /* arg: struct object_type; the struct itself */
extern const struct value_kind value_object_ptr; /* arg: struct object_type; a pointer to it, allocated */
extern const struct value_kind value_array;     /* arg: struct array_type; SPEC_ARRAY */
extern const struct value_kind value_id_set;    /* "0-3,7"; struct spec_id_set */
/* An object whose keys name its entries ({"eth0": {...}}): arg: struct array_type
 * of the entries, whose first member is their key (const char *); SPEC_ARRAY. */
extern const struct value_kind value_object_map;
extern const struct value_kind value_type_letter; /* arg: the allowed letters ("cbup"); char */

/* The parsers behind those kinds, for parsers of their own that build on them. */
int parse_string(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_strings(struct parser *p, json_object *v, void *dest, const void *arg);
int parse_object(struct parser *p, json_object *v, void *dest, const void *arg);

#define ENUM_TYPE(table, what) { table, sizeof(table) / sizeof((table)[0]), what }
#define ARRAY_OF(kind, type, extra) { &(kind), sizeof(type), extra }

/* Frees what parsing left in a struct of the given type (arg: struct object_type),
 * walking its table, but not the struct itself. A partly parsed struct is fine. */
void release_object(void *dest, const void *type);

/* Looks a name up in an enum table; -1 when absent. */
int enum_lookup(const struct enum_type *type, const char *name);

/* Parses text as strict JSON; errors say where ("line 3, column 7"). */
int parse_json_text(const char *text, size_t len, json_object **out, nook_err *err);

/* Decodes a whole document of the given object type into dest. */
int parse_document(json_object *root, const struct object_type *type, void *dest, nook_err *err);

/* Decodes a JSON object of the given type into a struct allocated here; on
 * failure *out is NULL and nothing is left allocated. */
int parse_fragment(json_object *root, const struct object_type *type, void **out, nook_err *err);

#endif
