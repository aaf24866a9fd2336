#define _GNU_SOURCE
#include "spec/parse.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/id_list.h"
#include "util/log.h"

static size_t push_key(struct parser *p, const char *key)
{
        size_t old = p->path_len;
        int n = snprintf(p->path + old, sizeof(p->path) - old, "%s%s", old > 0 ? "." : "", key);
        if (n > 0)
                p->path_len = old + (size_t)n < sizeof(p->path) ? old + (size_t)n : sizeof(p->path) - 1;
        return old;
}

static size_t push_index(struct parser *p, size_t index)
{
        size_t old = p->path_len;
        int n = snprintf(p->path + old, sizeof(p->path) - old, "[%zu]", index);
        if (n > 0)
                p->path_len = old + (size_t)n < sizeof(p->path) ? old + (size_t)n : sizeof(p->path) - 1;
        return old;
}

static void pop(struct parser *p, size_t old)
{
        p->path_len = old;
        p->path[old] = '\0';
}

static int vfail(struct parser *p, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                return nook_error(p->err, ENOMEM, "parse");
        if (p->path_len == 0)
                return nook_error(p->err, 0, "%s", msg);
        return nook_error(p->err, 0, "%s: %s", p->path, msg);
}

int parse_fail(struct parser *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int ret = vfail(p, fmt, ap);
        va_end(ap);
        return ret;
}

int parse_fail_field(struct parser *p, const char *field, const char *fmt, ...)
{
        size_t old = push_key(p, field);
        va_list ap;
        va_start(ap, fmt);
        int ret = vfail(p, fmt, ap);
        va_end(ap);
        pop(p, old);
        return ret;
}

static const char *type_name(json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "a boolean";
        case json_type_double:
                return "a fractional number";
        case json_type_int:
                return "a number";
        case json_type_object:
                return "an object";
        case json_type_array:
                return "an array";
        case json_type_string:
                return "a string";
        }
        return "something else";
}

static int expect(struct parser *p, json_object *v, enum json_type type, const char *what)
{
        if (json_object_is_type(v, type))
                return 0;
        return parse_fail(p, "expected %s, got %s", what, type_name(v));
}

int parse_string(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        if (expect(p, v, json_type_string, "a string") < 0)
                return nook_error_ret(*p->err);
        *(const char **)dest = json_object_get_string(v);
        return 0;
}

static int parse_bool(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        if (expect(p, v, json_type_boolean, "a boolean") < 0)
                return nook_error_ret(*p->err);
        *(bool *)dest = json_object_get_boolean(v);
        return 0;
}

static int get_i64(struct parser *p, json_object *v, int64_t *out)
{
        if (expect(p, v, json_type_int, "an integer") < 0)
                return nook_error_ret(*p->err);
        errno = 0;
        int64_t value = json_object_get_int64(v);
        if (errno == ERANGE || (value == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
                return parse_fail(p, "number out of range");
        *out = value;
        return 0;
}

static int get_u64(struct parser *p, json_object *v, uint64_t *out)
{
        if (expect(p, v, json_type_int, "an integer") < 0)
                return nook_error_ret(*p->err);
        if (json_object_get_int64(v) < 0)
                return parse_fail(p, "expected a non-negative integer");
        errno = 0;
        uint64_t value = json_object_get_uint64(v);
        if (errno == ERANGE)
                return parse_fail(p, "number out of range");
        *out = value;
        return 0;
}

static int parse_i64(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        return get_i64(p, v, dest);
}

static int parse_u64(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        return get_u64(p, v, dest);
}

static int parse_u32(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        uint64_t value;
        if (get_u64(p, v, &value) < 0)
                return nook_error_ret(*p->err);
        if (value > UINT32_MAX)
                return parse_fail(p, "number %llu out of range", (unsigned long long)value);
        *(uint32_t *)dest = (uint32_t)value;
        return 0;
}

static int parse_i32(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        int64_t value;
        if (get_i64(p, v, &value) < 0)
                return nook_error_ret(*p->err);
        if (value < INT32_MIN || value > INT32_MAX)
                return parse_fail(p, "number %lld out of range", (long long)value);
        *(int32_t *)dest = (int32_t)value;
        return 0;
}

static int parse_opt_i64(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        struct opt_i64 *o = dest;
        if (get_i64(p, v, &o->value) < 0)
                return nook_error_ret(*p->err);
        o->set = true;
        return 0;
}

static int parse_opt_u64(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        struct opt_u64 *o = dest;
        if (get_u64(p, v, &o->value) < 0)
                return nook_error_ret(*p->err);
        o->set = true;
        return 0;
}

static int parse_opt_bool(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        struct opt_bool *o = dest;
        if (parse_bool(p, v, &o->value, NULL) < 0)
                return nook_error_ret(*p->err);
        o->set = true;
        return 0;
}

/* Every SPEC_ARRAY (and spec_map) has this layout. */
struct generic_array {
        void *items;
        size_t len;
};

static void release_items(void *dest, const void *arg)
{
        (void)arg;
        struct generic_array *array = dest;
        free(array->items);
        array->items = NULL;
        array->len = 0;
}

/* arg: struct array_type: what each item holds, then the items. */
static void release_array(void *dest, const void *arg)
{
        const struct array_type *type = arg;
        struct generic_array *array = dest;
        for (size_t i = 0; type->kind->release != NULL && i < array->len; i++)
                type->kind->release((char *)array->items + i * type->elem_size, type->arg);
        release_items(dest, NULL);
}

/* Empties a SPEC_ARRAY and gives it room for n zeroed items (none when n is 0). */
static int reset_array(struct parser *p, struct generic_array *array, size_t n, size_t elem_size)
{
        free(array->items);
        array->items = NULL;
        array->len = 0;
        if (n > 0 && (array->items = calloc(n, elem_size)) == NULL)
                return parse_fail(p, "out of memory");
        return 0;
}

static int parse_array(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const struct array_type *type = arg;
        struct generic_array *array = dest;
        if (expect(p, v, json_type_array, "an array") < 0)
                return nook_error_ret(*p->err);
        size_t n = json_object_array_length(v);
        int ret = reset_array(p, array, n, type->elem_size);
        if (ret < 0 || n == 0)
                return ret;
        char *items = array->items;
        array->len = n;
        for (size_t i = 0; i < n; i++) {
                json_object *item = json_object_array_get_idx(v, i);
                size_t old = push_index(p, i);
                int ret;
                if (item == NULL)
                        ret = parse_fail(p, "expected a value, got null");
                else
                        ret = type->kind->parse(p, item, items + i * type->elem_size, type->arg);
                pop(p, old);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static const struct array_type strings_type = { &value_string, sizeof(const char *), NULL };

int parse_strings(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        return parse_array(p, v, dest, &strings_type);
}

static int parse_string_map(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        spec_map *map = dest;
        if (expect(p, v, json_type_object, "an object") < 0)
                return nook_error_ret(*p->err);
        size_t n = (size_t)json_object_object_length(v);
        map->len = 0;
        free(map->items);
        map->items = n > 0 ? calloc(n, sizeof(*map->items)) : NULL;
        if (n > 0 && map->items == NULL)
                return parse_fail(p, "out of memory");
        json_object_object_foreach(v, key, value)
        {
                size_t old = push_key(p, key);
                int ret = 0;
                if (value == NULL)
                        ret = parse_fail(p, "expected a string, got null");
                else if (expect(p, value, json_type_string, "a string") < 0)
                        ret = nook_error_ret(*p->err);
                pop(p, old);
                if (ret < 0)
                        return ret;
                map->items[map->len].key = key;
                map->items[map->len].value = json_object_get_string(value);
                map->len++;
        }
        return 0;
}

static int parse_id_set(struct parser *p, json_object *v, void *dest, const void *arg)
{
        (void)arg;
        struct spec_id_set *set = dest;
        const char *text;
        if (parse_string(p, v, &text, NULL) < 0)
                return nook_error_ret(*p->err);
        free(set->bits);
        set->bits = NULL;
        _cleanup_error_ nook_err err = NULL;
        if (id_list_parse(text, &set->bits, &set->nbits, &err) < 0)
                return parse_fail(p, "%s", err->msg);
        return 0;
}

static void release_id_set(void *dest, const void *arg)
{
        (void)arg;
        struct spec_id_set *set = dest;
        free(set->bits);
        set->bits = NULL;
}

static int parse_object_map(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const struct array_type *type = arg;
        struct generic_array *array = dest;
        if (expect(p, v, json_type_object, "an object") < 0)
                return nook_error_ret(*p->err);
        size_t n = (size_t)json_object_object_length(v);
        int ret = reset_array(p, array, n, type->elem_size);
        if (ret < 0 || n == 0)
                return ret;
        char *items = array->items;
        json_object_object_foreach(v, key, value)
        {
                char *item = items + array->len * type->elem_size;
                *(const char **)item = key;
                array->len++;
                size_t old = push_key(p, key);
                ret = value == NULL ? parse_fail(p, "expected an object, got null")
                                    : type->kind->parse(p, value, item, type->arg);
                pop(p, old);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* A one-letter type out of an allowed set ("cbup" for devices). */
static int parse_type_letter(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const char *allowed = arg;
        const char *name;
        int ret = parse_string(p, v, &name, NULL);
        if (ret < 0)
                return ret;
        if (strlen(name) != 1 || strchr(allowed, name[0]) == NULL)
                return parse_fail(p, "unknown device type \"%s\"", name);
        *(char *)dest = name[0];
        return 0;
}

int enum_lookup(const struct enum_type *type, const char *name)
{
        for (size_t i = 0; i < type->n_values; i++)
                if (strcmp(type->values[i].name, name) == 0)
                        return type->values[i].value;
        return -1;
}

static int parse_enum(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const struct enum_type *type = arg;
        const char *name = NULL;
        if (parse_string(p, v, &name, NULL) < 0)
                return nook_error_ret(*p->err);
        int value = enum_lookup(type, name);
        if (value < 0)
                return parse_fail(p, "unknown %s \"%s\"", type->what, name);
        *(int *)dest = value;
        return 0;
}

static int parse_flags(struct parser *p, json_object *v, void *dest, const void *arg)
{
        SPEC_ARRAY(int) flags = { 0 };
        int ret = parse_array(p, v, &flags, &(struct array_type)ARRAY_OF(value_enum, int, arg));
        uint64_t mask = 0;
        for (size_t i = 0; ret == 0 && i < flags.len; i++)
                mask |= (uint64_t)flags.items[i];
        free(flags.items);
        *(uint64_t *)dest = mask;
        return ret;
}

/* Reports the first required field of type that is missing: absent from the
 * JSON (seen[i] false), or, for an object folded into its parent (value_object),
 * absent with a required field of its own: a missing "root" is reported as
 * "root.path: required", the field that makes it needed. */
static int check_required(struct parser *p, const struct object_type *type, const bool *seen)
{
        for (size_t i = 0; i < type->n_fields; i++) {
                const struct field *f = &type->fields[i];
                if (!f->required || (seen != NULL && seen[i]))
                        continue;
                if (f->kind == &value_object) {
                        size_t old = push_key(p, f->name);
                        int ret = check_required(p, f->arg, NULL);
                        pop(p, old);
                        if (ret < 0)
                                return ret;
                        continue;
                }
                return parse_fail_field(p, f->name, "required");
        }
        return 0;
}

int parse_object(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const struct object_type *type = arg;
        if (expect(p, v, json_type_object, "an object") < 0)
                return nook_error_ret(*p->err);
        bool seen[type->n_fields > 0 ? type->n_fields : 1];
        memset(seen, 0, sizeof(seen));
        json_object_object_foreach(v, key, value)
        {
                size_t i = 0;
                while (i < type->n_fields && strcmp(type->fields[i].name, key) != 0)
                        i++;
                const struct field *f = i < type->n_fields ? &type->fields[i] : NULL;
                size_t old = push_key(p, key);
                int ret = 0;
                if (f == NULL) {
                        /* The OCI spec says unknown properties MUST be ignored. */
                        log_debug("config: ignoring unknown field %s", p->path);
                } else if (value != NULL) { /* null is the same as absent */
                        seen[i] = true;
                        if (f->has_present)
                                *(bool *)((char *)dest + f->present) = true;
                        ret = f->kind->parse(p, value, (char *)dest + f->offset, f->arg);
                }
                pop(p, old);
                if (ret < 0)
                        return ret;
        }
        int ret = check_required(p, type, seen);
        if (ret == 0 && type->finish != NULL)
                ret = type->finish(p, dest);
        return ret;
}

void release_object(void *dest, const void *arg)
{
        const struct object_type *type = arg;
        for (size_t i = 0; i < type->n_fields; i++) {
                const struct field *f = &type->fields[i];
                if (f->kind->release != NULL)
                        f->kind->release((char *)dest + f->offset, f->arg);
        }
        if (type->release != NULL)
                type->release(dest);
}

static int parse_object_ptr(struct parser *p, json_object *v, void *dest, const void *arg)
{
        const struct object_type *type = arg;
        void **slot = dest;
        if (*slot == NULL) {
                *slot = calloc(1, type->size);
                if (*slot == NULL)
                        return parse_fail(p, "out of memory");
        }
        return parse_object(p, v, *slot, arg);
}

static void release_object_ptr(void *dest, const void *arg)
{
        void **slot = dest;
        if (*slot == NULL)
                return;
        release_object(*slot, arg);
        free(*slot);
        *slot = NULL;
}

/* ---- the kinds ---- */

const struct value_kind value_string = { parse_string, NULL };
const struct value_kind value_bool = { parse_bool, NULL };
const struct value_kind value_u32 = { parse_u32, NULL };
const struct value_kind value_i32 = { parse_i32, NULL };
const struct value_kind value_i64 = { parse_i64, NULL };
const struct value_kind value_u64 = { parse_u64, NULL };
const struct value_kind value_opt_i64 = { parse_opt_i64, NULL };
const struct value_kind value_opt_u64 = { parse_opt_u64, NULL };
const struct value_kind value_opt_bool = { parse_opt_bool, NULL };
const struct value_kind value_strings = { parse_strings, release_items };
const struct value_kind value_string_map = { parse_string_map, release_items };
const struct value_kind value_enum = { parse_enum, NULL };
const struct value_kind value_flags = { parse_flags, NULL };
const struct value_kind value_object = { parse_object, release_object };
const struct value_kind value_object_ptr = { parse_object_ptr, release_object_ptr };
const struct value_kind value_array = { parse_array, release_array };
const struct value_kind value_id_set = { parse_id_set, release_id_set };
const struct value_kind value_object_map = { parse_object_map, release_array };
const struct value_kind value_type_letter = { parse_type_letter, NULL };

int parse_json_text(const char *text, size_t len, json_object **out, nook_err *err)
{
        if (len > INT_MAX)
                return nook_error(err, EFBIG, "parse JSON: %zu bytes is too long", len);
        json_tokener *tok = json_tokener_new();
        if (tok == NULL)
                return nook_error(err, ENOMEM, "parse JSON");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *root = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t offset = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_success) {
                /* Anything but whitespace after the document is an error too. The text
                 * is len bytes, not a C string: no strspn past its end. */
                size_t rest = offset;
                while (rest < len && strchr(" \t\r\n", text[rest]) != NULL && text[rest] != '\0')
                        rest++;
                if (rest == len) {
                        if (root == NULL)
                                return nook_error(err, 0, "expected a JSON object, got null");
                        *out = root;
                        return 0;
                }
                json_object_put(root);
                offset = rest;
                jerr = json_tokener_error_parse_unexpected;
        } else if (jerr == json_tokener_continue) {
                jerr = json_tokener_error_parse_eof;
                offset = len;
        }
        size_t line = 1, column = 1;
        for (size_t i = 0; i < offset && i < len; i++) {
                if (text[i] == '\n') {
                        line++;
                        column = 1;
                } else {
                        column++;
                }
        }
        return nook_error(err, 0, "invalid JSON at line %zu, column %zu: %s", line, column,
                          json_tokener_error_desc(jerr));
}

int parse_document(json_object *root, const struct object_type *type, void *dest, nook_err *err)
{
        struct parser p = { .err = err };
        return parse_object(&p, root, dest, type);
}

int parse_fragment(json_object *root, const struct object_type *type, void **out, nook_err *err)
{
        struct parser p = { .err = err };
        *out = NULL;
        int ret = parse_object_ptr(&p, root, out, type);
        if (ret < 0)
                release_object_ptr(out, type);
        return ret;
}
