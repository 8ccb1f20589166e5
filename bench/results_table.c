// SPDX-License-Identifier: GPL-2.0
/* CSV tables rewritten atomically after every row (results.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "results_int.h"

struct results_table {
	struct results_run *run;
	char *path;
	char **columns;
	size_t ncolumns;
	char **pending;		/* one malloc'd value or NULL per column */
	char *text;		/* header + every completed row, ready to write */
	size_t len, cap;
	size_t rows;
};

static int text_append(struct results_table *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->text, cap);
		if (!p)
			return -ENOMEM;
		t->text = p;
		t->cap = cap;
	}
	memcpy(t->text + t->len, s, n);
	t->len += n;
	t->text[t->len] = '\0';
	return 0;
}

/* RFC 4180: quote only when needed, double the quotes inside. */
static int append_field(struct results_table *t, const char *v)
{
	int ret = 0;

	if (!v)
		return 0;
	if (!strpbrk(v, ",\"\r\n"))
		return text_append(t, v, strlen(v));
	ret = text_append(t, "\"", 1);
	for (const char *c = v; *c && !ret; c++)
		ret = *c == '"' ? text_append(t, "\"\"", 2) : text_append(t, c, 1);
	return ret ? ret : text_append(t, "\"", 1);
}

static int append_line(struct results_table *t, char *const *values)
{
	size_t old = t->len;
	int ret = 0;

	for (size_t i = 0; i < t->ncolumns && !ret; i++) {
		if (i)
			ret = text_append(t, ",", 1);
		if (!ret)
			ret = append_field(t, values[i]);
	}
	if (!ret)
		ret = text_append(t, "\n", 1);
	if (ret)
		t->len = old;	/* never keep half a line */
	return ret;
}

int results_flush(struct results_table *t)
{
	int ret = results_write_file_atomic(t->path, t->text, t->len);

	return ret ? ret : results_run_update_latest(t->run);
}

void results_table_destroy(struct results_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncolumns; i++) {
		free(t->columns ? t->columns[i] : NULL);
		free(t->pending ? t->pending[i] : NULL);
	}
	free(t->columns);
	free(t->pending);
	free(t->path);
	free(t->text);
	free(t);
}

int results_table_create(struct results_table **out, struct results_run *run,
			 const char *name, const char *const *columns, size_t ncolumns)
{
	struct results_table *t;
	int ret;

	if (ncolumns == 0)
		return -EINVAL;
	for (size_t i = 0; i < ncolumns; i++) {
		if (!columns[i] || !columns[i][0])
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(columns[i], columns[j]))
				return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->run = run;
	t->ncolumns = ncolumns;
	t->columns = calloc(ncolumns, sizeof(*t->columns));
	t->pending = calloc(ncolumns, sizeof(*t->pending));
	t->path = results_run_path(run, name);
	ret = !t->path && !results_name_valid(name) ? -EINVAL : -ENOMEM;
	if (!t->columns || !t->pending || !t->path)
		goto fail;
	for (size_t i = 0; i < ncolumns; i++) {
		t->columns[i] = strdup(columns[i]);
		if (!t->columns[i])
			goto fail;
	}
	ret = append_line(t, t->columns);
	if (!ret)
		ret = results_flush(t);
	if (ret)
		goto fail;
	*out = t;
	return 0;
fail:
	results_table_destroy(t);
	return ret;
}

static int column_index(const struct results_table *t, const char *column)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (!strcmp(t->columns[i], column))
			return (int)i;
	return -ENOENT;
}

int results_set(struct results_table *t, const char *column, const char *value)
{
	int i = column_index(t, column);
	char *v = NULL;

	if (i < 0)
		return i;
	if (value && !(v = strdup(value)))
		return -ENOMEM;
	free(t->pending[i]);
	t->pending[i] = v;
	return 0;
}

const char *results_get(const struct results_table *t, const char *column)
{
	int i = column_index(t, column);

	return i < 0 ? NULL : t->pending[i];
}

int results_setf(struct results_table *t, const char *column, const char *fmt, ...)
{
	va_list ap;
	char *v;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	ret = results_set(t, column, v);
	free(v);
	return ret;
}

int results_set_u64(struct results_table *t, const char *column, uint64_t v)
{
	return results_setf(t, column, "%" PRIu64, v);
}

int results_set_i64(struct results_table *t, const char *column, int64_t v)
{
	return results_setf(t, column, "%" PRId64, v);
}

int results_set_double(struct results_table *t, const char *column, double v)
{
	if (!isfinite(v))
		return results_set(t, column, NULL);
	return results_setf(t, column, "%.10g", v);
}

void results_row_discard(struct results_table *t)
{
	for (size_t i = 0; i < t->ncolumns; i++) {
		free(t->pending[i]);
		t->pending[i] = NULL;
	}
}

int results_row_end_noflush(struct results_table *t)
{
	int ret = append_line(t, t->pending);

	if (ret)
		return ret;
	t->rows++;
	results_row_discard(t);
	return 0;
}

int results_row_end(struct results_table *t)
{
	int ret = results_row_end_noflush(t);

	return ret ? ret : results_flush(t);
}

size_t results_table_rows(const struct results_table *t)
{
	return t->rows;
}

void results_table_mark_get(const struct results_table *t, struct results_table_mark *m)
{
	m->len = t->len;
	m->rows = t->rows;
}

void results_table_rollback(struct results_table *t, const struct results_table_mark *m)
{
	if (m->len <= t->len) {
		t->len = m->len;
		if (t->text)
			t->text[t->len] = '\0';
		t->rows = m->rows;
	}
	results_row_discard(t);
}
