/* GVariant text values (GLib's g_variant_print format, as CRI-O and users write
 * org.systemd.property.* annotations) for the D-Bus types systemd's unit
 * properties use: s b t x u i d, and arrays as au ay. Pure; unit-tested. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/systemd_properties.h"
#include "util/cleanup.h"

struct cursor {
        const char *p;
        const char *what;
        const char *text;
        nook_err *err;
};

static int bad(struct cursor *c, const char *why)
{
        return nook_error(c->err, 0, "%s: \"%s\" is not a GVariant value: %s", c->what, c->text, why);
}

static void skip_space(struct cursor *c)
{
        while (isspace((unsigned char)*c->p))
                c->p++;
}

/* The word at the cursor (letters, digits, sign, dot: a keyword or a number). */
static size_t word_length(const char *p)
{
        size_t n = 0;
        while (p[n] != '\0' && (isalnum((unsigned char)p[n]) || strchr("+-._", p[n]) != NULL))
                n++;
        return n;
}

static bool word_is(const char *p, size_t n, const char *word)
{
        return strlen(word) == n && strncmp(p, word, n) == 0;
}

/* The type keywords of g_variant_print and the signature each stands for. */
static const struct {
        const char *keyword;
        char type;
} type_keywords[] = {
        { "uint64", 't' }, { "int64", 'x' }, { "uint32", 'u' }, { "int32", 'i' }, { "double", 'd' }, { "byte", 'y' },
};

static int parse_string(struct cursor *c, json_object **out)
{
        char quote = *c->p++;
        size_t cap = strlen(c->p) + 1, n = 0;
        _cleanup_free_ char *s = malloc(cap);
        if (s == NULL)
                return nook_error(c->err, ENOMEM, "%s", c->what);
        for (;;) {
                char ch = *c->p++;
                if (ch == '\0')
                        return bad(c, "the string is not closed");
                if (ch == quote)
                        break;
                if (ch == '\\') {
                        char e = *c->p++;
                        switch (e) {
                        case 'n': ch = '\n'; break;
                        case 't': ch = '\t'; break;
                        case '\\': case '\'': case '"': ch = e; break;
                        default: return bad(c, "unknown escape in the string");
                        }
                }
                s[n++] = ch;
        }
        s[n] = '\0';
        *out = json_object_new_string(s);
        return 0;
}

/* A number of type t x u i d y; type 0: GVariant's default (int32, or double with a dot or exponent). */
static int parse_number(struct cursor *c, char type, char *type_out, json_object **out)
{
        size_t n = word_length(c->p);
        if (n == 0)
                return bad(c, "a number was expected");
        _cleanup_free_ char *word = strndup(c->p, n);
        if (word == NULL)
                return nook_error(c->err, ENOMEM, "%s", c->what);
        c->p += n;
        bool hex = strncmp(word, "0x", 2) == 0 || strncmp(word, "0X", 2) == 0;
        if (type == 0)
                type = !hex && strpbrk(word, ".eE") != NULL ? 'd' : 'i';
        char *end = NULL;
        errno = 0;
        if (type == 'd') {
                double d = strtod(word, &end);
                if (errno != 0 || *end != '\0')
                        return bad(c, "not a number");
                *out = json_object_new_double(d);
        } else if (type == 't' || type == 'u' || type == 'y') {
                if (word[0] == '-')
                        return bad(c, "an unsigned number may not be negative");
                uint64_t v = strtoull(word, &end, 0);
                uint64_t max = type == 't' ? UINT64_MAX : type == 'u' ? UINT32_MAX : UINT8_MAX;
                if (errno != 0 || *end != '\0' || v > max)
                        return bad(c, "not a number of its type, or out of its range");
                *out = type == 't' ? json_object_new_uint64(v) : json_object_new_int64((int64_t)v);
        } else {
                int64_t v = strtoll(word, &end, 0);
                if (errno != 0 || *end != '\0' || (type == 'i' && (v < INT32_MIN || v > INT32_MAX)))
                        return bad(c, "not a number of its type, or out of its range (a plain number is int32)");
                *out = json_object_new_int64(v);
        }
        *type_out = type;
        return 0;
}

/* One scalar; want is the type it must have (0: any). */
static int parse_scalar(struct cursor *c, char want, char *type, json_object **out)
{
        skip_space(c);
        if (*c->p == '\'' || *c->p == '"') {
                if (want != 0 && want != 's')
                        return bad(c, "a string where a number was expected");
                *type = 's';
                return parse_string(c, out);
        }
        size_t n = word_length(c->p);
        if (word_is(c->p, n, "true") || word_is(c->p, n, "false")) {
                if (want != 0 && want != 'b')
                        return bad(c, "a boolean where another type was expected");
                *type = 'b';
                *out = json_object_new_boolean(c->p[0] == 't');
                c->p += n;
                return 0;
        }
        for (size_t i = 0; i < sizeof(type_keywords) / sizeof(type_keywords[0]); i++)
                if (word_is(c->p, n, type_keywords[i].keyword)) {
                        char kw = type_keywords[i].type;
                        if (want != 0 && want != kw)
                                return bad(c, "the element types of the array differ");
                        c->p += n;
                        skip_space(c);
                        return parse_number(c, kw, type, out);
                }
        if (want == 's' || want == 'b')
                return bad(c, want == 's' ? "a string must be quoted" : "true or false was expected");
        return parse_number(c, want, type, out);
}

/* "[a, b]" of strings, uint32s or bytes; want is the array's type ("as", "au", "ay") or NULL. */
static int parse_array(struct cursor *c, const char *want, char type[3], json_object **out)
{
        skip_space(c);
        if (*c->p != '[')
                return bad(c, "\"[\" was expected");
        c->p++;
        _cleanup_json_ json_object *array = json_object_new_array();
        char element = want != NULL ? want[1] : 0;
        skip_space(c);
        while (*c->p != ']') {
                char t;
                json_object *v = NULL;
                int r = parse_scalar(c, element, &t, &v);
                if (r < 0)
                        return r;
                element = t;
                json_object_array_add(array, v);
                skip_space(c);
                if (*c->p == ',') {
                        c->p++;
                        skip_space(c);
                        if (*c->p == ']')
                                break;
                } else if (*c->p != ']') {
                        return bad(c, "\",\" or \"]\" was expected in the array");
                }
        }
        c->p++;
        if (element == 0)
                return bad(c, "an empty array needs its type, as \"@as []\"");
        if (element != 's' && element != 'u' && element != 'y')
                return bad(c, "only arrays of strings, uint32 and bytes are sent (\"@au [1, 2]\")");
        type[0] = 'a';
        type[1] = element;
        type[2] = '\0';
        *out = steal_pointer(&array);
        return 0;
}

int systemd_parse_gvariant(const char *text, const char *what, char type[3], json_object **value, nook_err *err)
{
        struct cursor c = { .p = text, .what = what, .text = text, .err = err };
        _cleanup_json_ json_object *v = NULL;
        int r;
        skip_space(&c);
        if (*c.p == '@') {
                /* A type annotation: "@as []", "@t 5". */
                c.p++;
                size_t n = strcspn(c.p, " \t\n[");
                if (!((n == 1 && strchr("sbtxuid", c.p[0]) != NULL) ||
                      (n == 2 && c.p[0] == 'a' && strchr("suy", c.p[1]) != NULL)))
                        return bad(&c, "the type after \"@\" must be one of s b t x u i d as au ay");
                char want[3] = { c.p[0], n == 2 ? c.p[1] : '\0', '\0' };
                c.p += n;
                if (want[0] == 'a') {
                        r = parse_array(&c, want, type, &v);
                } else {
                        type[1] = '\0';
                        r = parse_scalar(&c, want[0], &type[0], &v);
                }
        } else if (*c.p == '[') {
                r = parse_array(&c, NULL, type, &v);
        } else {
                type[1] = '\0';
                r = parse_scalar(&c, 0, &type[0], &v);
                if (r == 0 && type[0] == 'y')
                        return bad(&c, "a single byte is not sent (only arrays of bytes)");
        }
        if (r < 0)
                return r;
        skip_space(&c);
        if (*c.p != '\0')
                return bad(&c, "something follows the value");
        *value = steal_pointer(&v);
        return 0;
}
