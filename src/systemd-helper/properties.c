/* The request's typed properties into a D-Bus a(sv): each {"name", "type",
 * "value"} becomes (name, variant of type), checked against its JSON value. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

/* The leading number of a systemd version string ("252.38-1~deb12u1", "v245.4-1.fc32"). */
static int parse_version(const char *text)
{
        while (*text == 'v' || *text == '"')
                text++;
        int v = 0;
        if (*text < '0' || *text > '9')
                return -1;
        for (; *text >= '0' && *text <= '9' && v < 100000; text++)
                v = v * 10 + (*text - '0');
        return v;
}

static int manager_version(struct helper *h)
{
        if (h->manager_version >= 0)
                return h->manager_version;
        char *text = NULL;
        int r = helper_manager_property(h, "Version", &text);
        if (r < 0)
                return r;
        h->manager_version = parse_version(text);
        free(text);
        if (h->manager_version < 0)
                h->manager_version = 0;
        return h->manager_version;
}

static bool get_int(json_object *v, int64_t min, int64_t max, int64_t *out)
{
        if (!json_object_is_type(v, json_type_int))
                return false;
        errno = 0;
        *out = json_object_get_int64(v);
        return errno == 0 && *out >= min && *out <= max;
}

static int append_array(sd_bus_message *m, char element, json_object *value)
{
        if (!json_object_is_type(value, json_type_array))
                return -EINVAL;
        size_t n = json_object_array_length(value);
        if (element == 'y') {
                uint8_t *bytes = calloc(n + 1, 1);
                if (bytes == NULL)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        int64_t b;
                        if (!get_int(json_object_array_get_idx(value, i), 0, 255, &b)) {
                                free(bytes);
                                return -EINVAL;
                        }
                        bytes[i] = (uint8_t)b;
                }
                int r = sd_bus_message_append_array(m, 'y', bytes, n);
                free(bytes);
                return r;
        }
        char contents[2] = { element, '\0' };
        int r = sd_bus_message_open_container(m, 'a', contents);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *e = json_object_array_get_idx(value, i);
                if (element == 's') {
                        if (!json_object_is_type(e, json_type_string))
                                return -EINVAL;
                        r = sd_bus_message_append_basic(m, 's', json_object_get_string(e));
                } else {
                        int64_t u;
                        if (!get_int(e, 0, UINT32_MAX, &u))
                                return -EINVAL;
                        uint32_t v = (uint32_t)u;
                        r = sd_bus_message_append_basic(m, 'u', &v);
                }
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* The variant's contents; -EINVAL when the JSON value does not fit the type. */
static int append_value(sd_bus_message *m, const char *type, json_object *value)
{
        int64_t i;
        if (strcmp(type, "s") == 0) {
                if (!json_object_is_type(value, json_type_string))
                        return -EINVAL;
                return sd_bus_message_append_basic(m, 's', json_object_get_string(value));
        }
        if (strcmp(type, "b") == 0) {
                if (!json_object_is_type(value, json_type_boolean))
                        return -EINVAL;
                int b = json_object_get_boolean(value);
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        if (strcmp(type, "t") == 0) {
                /* json-c keeps integers above INT64_MAX as unsigned (USEC_INFINITY, "infinity"). */
                if (!json_object_is_type(value, json_type_int))
                        return -EINVAL;
                if (json_object_get_int64(value) < 0 && json_object_get_uint64(value) == 0)
                        return -EINVAL;
                uint64_t t = json_object_get_uint64(value);
                return sd_bus_message_append_basic(m, 't', &t);
        }
        if (strcmp(type, "x") == 0) {
                if (!get_int(value, INT64_MIN, INT64_MAX, &i))
                        return -EINVAL;
                return sd_bus_message_append_basic(m, 'x', &i);
        }
        if (strcmp(type, "u") == 0 || strcmp(type, "i") == 0) {
                bool u = type[0] == 'u';
                if (!get_int(value, u ? 0 : INT32_MIN, u ? (int64_t)UINT32_MAX : INT32_MAX, &i))
                        return -EINVAL;
                uint32_t v32 = (uint32_t)i;
                int32_t i32 = (int32_t)i;
                return sd_bus_message_append_basic(m, type[0], u ? (void *)&v32 : (void *)&i32);
        }
        if (strcmp(type, "d") == 0) {
                if (!json_object_is_type(value, json_type_double) && !json_object_is_type(value, json_type_int))
                        return -EINVAL;
                double d = json_object_get_double(value);
                return sd_bus_message_append_basic(m, 'd', &d);
        }
        return append_array(m, type[1], value); /* as, au, ay */
}

static bool known_type(const char *type)
{
        static const char *const types[] = { "s", "b", "t", "x", "u", "i", "d", "as", "au", "ay" };
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(type, types[i]) == 0)
                        return true;
        return false;
}

int helper_append_properties(struct helper *h, sd_bus_message *m, json_object *properties)
{
        int r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return helper_fail(h, -r, "build the properties: %s", strerror(-r));
        size_t n = json_object_array_length(properties);
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_array_get_idx(properties, i), *name, *type, *value, *since;
                if (!json_object_is_type(p, json_type_object) || !json_object_object_get_ex(p, "name", &name) ||
                    !json_object_object_get_ex(p, "type", &type) || !json_object_object_get_ex(p, "value", &value) ||
                    !json_object_is_type(name, json_type_string) || !json_object_is_type(type, json_type_string))
                        return helper_fail(h, EINVAL, "request: properties[%zu]: needs \"name\", \"type\" and \"value\"",
                                           i);
                const char *n_text = json_object_get_string(name), *t_text = json_object_get_string(type);
                if (!known_type(t_text))
                        return helper_fail(h, EINVAL, "request: property %s: unknown type \"%s\"", n_text, t_text);
                if (json_object_object_get_ex(p, "since", &since)) {
                        int version = manager_version(h);
                        if (version < 0)
                                return version;
                        if (json_object_get_int64(since) > version)
                                continue; /* this manager does not know the property */
                }
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', n_text);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', t_text);
                if (r >= 0)
                        r = append_value(m, t_text, value);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return helper_fail(h, -r, "request: property %s: the value does not fit type \"%s\"", n_text,
                                           t_text);
        }
        r = sd_bus_message_close_container(m);
        return r < 0 ? helper_fail(h, -r, "build the properties: %s", strerror(-r)) : 0;
}
