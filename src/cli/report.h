/* Helpers for the reports `inspect` and `check` print: reading their JSON,
 * and text laid out for a person (columns, lines wrapped at 100). */
#ifndef NOOK_CLI_REPORT_H
#define NOOK_CLI_REPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define REPORT_WIDTH 100

/* A member of o (NULL-safe): its string (NULL when absent or null), number, bool. */
const char *report_str(json_object *o, const char *key);
int64_t report_int(json_object *o, const char *key, int64_t missing);
bool report_bool(json_object *o, const char *key);
/* True when o has key with a JSON null (a "no limit"). */
bool report_is_null(json_object *o, const char *key);

/* Prints prefix then text, wrapped at REPORT_WIDTH with continuation lines indented by indent. */
void report_wrap(FILE *out, const char *prefix, int indent, const char *text);

/* Prints a label in a column of width label_width, then the strings of a JSON
 * array separated by spaces, wrapped under the first one; "none" when empty. */
void report_words(FILE *out, int label_width, const char *label, json_object *array);

/* Bytes as "12.5 MiB"; into buf. */
const char *report_bytes(int64_t bytes, char *buf, size_t size);

/* Writes text with every control character but newline shown as '?': names,
 * mount points and paths come from the container and must not drive the terminal. */
void report_emit_clean(FILE *out, const char *text, size_t len);

/* Prints o as indented JSON and a newline (`state`, `list`, `features`, reports). */
void report_print_json(FILE *out, json_object *o);

/* Prints the report as indented JSON, or as text through print: buffered, then written
 * with report_emit_clean, so that nothing the container chose reaches the terminal raw. */
int report_print(FILE *out, json_object *report, bool json, void (*print)(FILE *, json_object *), nook_err *err);

/* Parses --format: text (default) or json. */
int report_format(const char *format, bool *json, nook_err *err);

#endif
