// SPDX-License-Identifier: GPL-2.0
/* Tiny JSON writer (json.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->err)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 1024;
		char *p;

		while (cap < j->len + n + 1)
			cap *= 2;
		p = realloc(j->buf, cap);
		if (!p) {
			j->err = -ENOMEM;
			return;
		}
		j->buf = p;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at c (1..4), or 0 if it is not one. */
static int utf8_len(const unsigned char *c)
{
	int n;
	unsigned int cp;

	if (*c < 0x80)
		return 1;
	if ((*c & 0xe0) == 0xc0)
		n = 2, cp = *c & 0x1f;
	else if ((*c & 0xf0) == 0xe0)
		n = 3, cp = *c & 0x0f;
	else if ((*c & 0xf8) == 0xf0)
		n = 4, cp = *c & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((c[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (c[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * RFC 8259: escape '"', '\\' and every control character. Bytes that are not
 * UTF-8 (a command line can hold anything) become U+FFFD, so meta.json
 * always parses.
 */
static void put_string(struct json *j, const char *s)
{
	put(j, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char esc[8];
		int n;

		if (*c >= 0x80) {
			n = utf8_len(c);
			if (n) {
				put(j, (const char *)c, (size_t)n);
				c += n - 1;
			} else {
				puts_(j, "\\ufffd");
			}
			continue;
		}
		switch (*c) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (*c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *c);
				puts_(j, esc);
			} else {
				put(j, (const char *)c, 1);
			}
		}
	}
	put(j, "\"", 1);
}

/* Comma, indentation and key before every value; checks key placement. */
static void value_prefix(struct json *j, const char *key)
{
	bool in_obj = j->depth > 0 && j->in_object[j->depth - 1];

	if (j->err)
		return;
	if (in_obj != (key != NULL)) {
		j->err = -EINVAL;
		return;
	}
	if (j->depth == 0) {
		if (j->values_at_top++) {
			j->err = -EINVAL;	/* one document, one value */
			return;
		}
		return;
	}
	if (j->need_comma[j->depth - 1])
		put(j, ",", 1);
	j->need_comma[j->depth - 1] = true;
	put(j, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		put(j, "  ", 2);
	if (key) {
		put_string(j, key);
		put(j, ": ", 2);
	}
}

static void open_(struct json *j, const char *key, bool object)
{
	value_prefix(j, key);
	if (j->err)
		return;
	if (j->depth >= JSON_MAX_DEPTH) {
		j->err = -E2BIG;
		return;
	}
	put(j, object ? "{" : "[", 1);
	j->in_object[j->depth] = object;
	j->need_comma[j->depth] = false;
	j->depth++;
}

static void close_(struct json *j, bool object)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->in_object[j->depth - 1] != object) {
		j->err = -EINVAL;
		return;
	}
	j->depth--;
	if (j->need_comma[j->depth]) {
		put(j, "\n", 1);
		for (int i = 0; i < j->depth; i++)
			put(j, "  ", 2);
	}
	put(j, object ? "}" : "]", 1);
}

void json_object_begin(struct json *j, const char *key) { open_(j, key, true); }
void json_object_end(struct json *j) { close_(j, true); }
void json_array_begin(struct json *j, const char *key) { open_(j, key, false); }
void json_array_end(struct json *j) { close_(j, false); }

void json_string(struct json *j, const char *key, const char *value)
{
	value_prefix(j, key);
	if (value)
		put_string(j, value);
	else
		puts_(j, "null");
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	char s[32];

	value_prefix(j, key);
	snprintf(s, sizeof(s), "%" PRIu64, v);
	puts_(j, s);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	char s[32];

	value_prefix(j, key);
	snprintf(s, sizeof(s), "%" PRId64, v);
	puts_(j, s);
}

void json_double(struct json *j, const char *key, double v)
{
	char s[40];

	value_prefix(j, key);
	if (!isfinite(v)) {
		puts_(j, "null");
		return;
	}
	/* Shortest form that reads back exactly: 0.1, not 0.10000000000000001. */
	snprintf(s, sizeof(s), "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof(s), "%.17g", v);
	puts_(j, s);
}

void json_bool(struct json *j, const char *key, bool v)
{
	value_prefix(j, key);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	value_prefix(j, key);
	puts_(j, "null");
}

int json_finish(struct json *j, const char **out)
{
	if (!j->err && (j->depth != 0 || j->values_at_top != 1))
		j->err = -EINVAL;
	if (!j->err && (j->len == 0 || j->buf[j->len - 1] != '\n'))
		put(j, "\n", 1);
	if (j->err)
		return j->err;
	*out = j->buf;
	return 0;
}
