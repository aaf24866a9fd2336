#define _GNU_SOURCE
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

const char *report_str(json_object *o, const char *key)
{
        json_object *v = NULL;
        if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
                return NULL;
        return json_object_get_string(v);
}

int64_t report_int(json_object *o, const char *key, int64_t missing)
{
        json_object *v = NULL;
        if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
                return missing;
        return json_object_get_int64(v);
}

bool report_bool(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o != NULL && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

bool report_is_null(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o != NULL && json_object_object_get_ex(o, key, &v) && v == NULL;
}

void report_wrap(FILE *out, const char *prefix, int indent, const char *text)
{
        int col = fprintf(out, "%s", prefix);
        const char *p = text;
        bool first = true;
        while (*p != '\0') {
                while (*p == ' ')
                        p++;
                size_t len = strcspn(p, " ");
                if (len == 0)
                        break;
                if (!first && col + 1 + (int)len > REPORT_WIDTH) {
                        col = fprintf(out, "\n%*s", indent, "") - 1;
                        first = true;
                }
                col += fprintf(out, "%s%.*s", first ? "" : " ", (int)len, p);
                first = false;
                p += len;
        }
        fputc('\n', out);
}

void report_words(FILE *out, int label_width, const char *label, json_object *array)
{
        size_t n = array != NULL ? json_object_array_length(array) : 0;
        if (n == 0) {
                fprintf(out, "  %-*s none\n", label_width, label);
                return;
        }
        size_t total = 1;
        for (size_t i = 0; i < n; i++)
                total += strlen(json_object_get_string(json_object_array_get_idx(array, i))) + 1;
        char *text = malloc(total);
        if (text == NULL)
                return;
        text[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(text, " ");
                strcat(text, json_object_get_string(json_object_array_get_idx(array, i)));
        }
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "  %-*s ", label_width, label);
        report_wrap(out, prefix, label_width + 3, text);
        free(text);
}

const char *report_bytes(int64_t bytes, char *buf, size_t size)
{
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double)bytes;
        int u = 0;
        while (v >= 1024 && u < 4) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%lld B", (long long)bytes);
        else
                snprintf(buf, size, "%.1f %s", v, units[u]);
        return buf;
}

void report_emit_clean(FILE *out, const char *text, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)text[i];
                fputc((c < 0x20 && c != '\n') || c == 0x7f ? '?' : c, out);
        }
}

int report_format(const char *format, bool *json, nook_err *err)
{
        *json = format != NULL && strcmp(format, "json") == 0;
        if (format != NULL && !*json && strcmp(format, "text") != 0)
                return nook_error(err, 0, "--format: unknown format \"%s\" (text or json)", format);
        return 0;
}

void report_print_json(FILE *out, json_object *o)
{
        fprintf(out, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
}

int report_print(FILE *out, json_object *report, bool json, void (*print)(FILE *, json_object *), nook_err *err)
{
        if (json) {
                report_print_json(out, report);
                return 0;
        }
        char *text = NULL;
        size_t size = 0;
        FILE *mem = open_memstream(&text, &size);
        if (mem == NULL)
                return nook_error_errno(err, "buffer the report");
        print(mem, report);
        fclose(mem);
        report_emit_clean(out, text, size);
        free(text);
        return 0;
}
