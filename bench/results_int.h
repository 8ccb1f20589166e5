/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between bench/results*.c only; the public contract is results.h. */
#ifndef MMIOBENCH_RESULTS_INT_H
#define MMIOBENCH_RESULTS_INT_H

#include "results.h"

/* Re-points <root>/latest at this run. */
int results_run_update_latest(struct results_run *run);
/* malloc'd "<run dir>/<name>", NULL if name is invalid or on ENOMEM. */
char *results_run_path(const struct results_run *run, const char *name);

/* Undo rows appended since a mark (a multi-row block that failed half-way). */
struct results_table_mark {
	size_t len, rows;
};
void results_table_mark_get(const struct results_table *t, struct results_table_mark *m);
void results_table_rollback(struct results_table *t, const struct results_table_mark *m);

#endif
