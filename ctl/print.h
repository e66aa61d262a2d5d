/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printing path for text and JSON, in the manner of iproute2's
 * json_print.h.  Every field is printed once:
 *
 *	print_string("driver", "%-12s ", r->driver_or_null);
 *	print_uint("iommu_group", "%-6llu ", group);
 *
 * In JSON mode (print_begin(true)) the key is used and fmt is ignored; in
 * text mode the key is ignored and fmt (a printf format with exactly one
 * conversion for the value) is used.  Keys are lower_snake_case.  Output
 * goes to stdout only; print_end() writes the JSON document and a newline.
 *
 * Objects and arrays nest: open_json_object(key)/close_json_object(),
 * open_json_array(key)/close_json_array().  key is NULL inside an array (and
 * for the top-level value).  In text mode these print nothing.  A list is
 * always an array, even when empty.  The document's root is whatever is
 * opened first (list: an array; show: an object).
 *
 * A NULL string prints JSON null; in text mode it prints fmt with "-".
 *
 * Text-mode conversions (the value is passed to fmt as):
 *	print_string, print_null, print_bool ("yes"/"no"), print_hex: %s
 *	print_uint: unsigned long long (%llu, %llx)
 *	print_int:  long long (%lld)
 *
 * Backed by json-c (JSON_C_TO_STRING_PLAIN, or PRETTY with gopts.pretty).
 */
#ifndef GPTCTL_PRINT_H
#define GPTCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>

void print_begin(bool json);
/* Flushes: JSON document + "\n" (nothing if nothing was opened). */
void print_end(void);
bool is_json(void);

void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);

void print_string(const char *key, const char *fmt, const char *value);
void print_uint(const char *key, const char *fmt, uint64_t value);
void print_int(const char *key, const char *fmt, int64_t value);
void print_bool(const char *key, const char *fmt, bool value);
/* JSON null; text: fmt printed with the string "-". */
void print_null(const char *key, const char *fmt);
/*
 * JSON: a string of exactly `width` lower-case hex digits, no "0x"
 * (e.g. "10de"); text: fmt applied to that same string.
 */
void print_hex(const char *key, const char *fmt, uint64_t value, int width);

/* Text mode only (ignored in JSON mode). */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Streaming JSON for `monitor -j`: print_begin()/print_end() may be called
 * once per event; each print_end() emits one complete document on its own
 * line and flushes.
 *
 * Output stream (default stdout); unit tests point it at a memstream.
 */
#include <stdio.h>
void print_set_file(FILE *f);

#endif /* GPTCTL_PRINT_H */
