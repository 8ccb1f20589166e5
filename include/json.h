/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny JSON writer for meta.json: append-only into a growing buffer,
 * commas and string escaping handled here. Inside an object every value
 * takes a key; at top level and in arrays key must be NULL. Errors (ENOMEM,
 * a key where none belongs, unbalanced nesting) are sticky and reported by
 * json_finish(), so callers chain calls without checking each one.
 */
#ifndef MMIOBENCH_JSON_H
#define MMIOBENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len, cap;
	int depth;
	bool in_object[JSON_MAX_DEPTH];
	bool need_comma[JSON_MAX_DEPTH];
	int err;		/* first negative errno */
	int values_at_top;
};

void json_init(struct json *j);
void json_free(struct json *j);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);	/* NULL -> null */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);	/* NaN/inf -> null */
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* 0 and *out = the text (newline-terminated, owned by j) if the document is
 * one complete value; else the first error. */
int json_finish(struct json *j, const char **out);

#endif
