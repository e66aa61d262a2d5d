// SPDX-License-Identifier: GPL-2.0
/*
 * The single printing path for text and JSON (see print.h).  JSON is built
 * as a json-c tree and written once by print_end().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <json.h>

#include "gptctl.h"
#include "print.h"

#define MAX_DEPTH 16

static bool json_mode;
static FILE *out;
static struct json_object *root;
static struct json_object *stack[MAX_DEPTH];
static int depth;

void print_set_file(FILE *f)
{
	out = f;
}

static FILE *outf(void)
{
	return out ? out : stdout;
}

void print_begin(bool json)
{
	json_mode = json;
	root = NULL;
	depth = 0;
}

bool is_json(void)
{
	return json_mode;
}

void print_end(void)
{
	if (json_mode && root) {
		int fl = JSON_C_TO_STRING_NOSLASHESCAPE |
			 (gopts.pretty ? JSON_C_TO_STRING_PRETTY |
					 JSON_C_TO_STRING_SPACED :
					 JSON_C_TO_STRING_PLAIN);

		fputs(json_object_to_json_string_ext(root, fl), outf());
		fputc('\n', outf());
		json_object_put(root);
	}
	root = NULL;
	depth = 0;
	fflush(outf());
}

/* Attach v under key in the current container (or make it the root). */
static void attach(const char *key, struct json_object *v)
{
	struct json_object *cur;

	if (!depth) {
		if (root)	/* a second top-level value: programming error */
			json_object_put(root);
		root = v;
		return;
	}
	cur = stack[depth - 1];
	if (json_object_is_type(cur, json_type_array))
		json_object_array_add(cur, v);
	else
		json_object_object_add(cur, key ? key : "", v);
}

static void open_container(const char *key, struct json_object *c)
{
	if (!json_mode)
		return;
	if (depth >= MAX_DEPTH) {
		json_object_put(c);
		abort();
	}
	attach(key, c);
	stack[depth++] = json_object_get(c);
}

static void close_container(void)
{
	if (!json_mode || !depth)
		return;
	json_object_put(stack[--depth]);
}

void open_json_object(const char *key)
{
	if (json_mode)
		open_container(key, json_object_new_object());
}

void close_json_object(void)
{
	close_container();
}

void open_json_array(const char *key)
{
	if (json_mode)
		open_container(key, json_object_new_array());
}

void close_json_array(void)
{
	close_container();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void text(const char *fmt, ...)
{
	va_list ap;

	if (!fmt)
		return;
	va_start(ap, fmt);
	vfprintf(outf(), fmt, ap);
	va_end(ap);
}
#pragma GCC diagnostic pop

void print_string(const char *key, const char *fmt, const char *value)
{
	if (json_mode)
		attach(key, value ? json_object_new_string(value) : NULL);
	else
		text(fmt, value ? value : "-");
}

void print_uint(const char *key, const char *fmt, uint64_t value)
{
	if (json_mode)
		attach(key, json_object_new_uint64(value));
	else
		text(fmt, (unsigned long long)value);
}

void print_int(const char *key, const char *fmt, int64_t value)
{
	if (json_mode)
		attach(key, json_object_new_int64(value));
	else
		text(fmt, (long long)value);
}

void print_bool(const char *key, const char *fmt, bool value)
{
	if (json_mode)
		attach(key, json_object_new_boolean(value));
	else
		text(fmt, value ? "yes" : "no");
}

void print_null(const char *key, const char *fmt)
{
	if (json_mode)
		attach(key, NULL);
	else
		text(fmt, "-");
}

void print_hex(const char *key, const char *fmt, uint64_t value, int width)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%0*llx", width, (unsigned long long)value);
	if (json_mode)
		attach(key, json_object_new_string(buf));
	else
		text(fmt, buf);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vfprintf(outf(), fmt, ap);
	va_end(ap);
}
