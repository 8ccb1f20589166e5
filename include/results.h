/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one results writer: run directory, atomic files, CSV tables.
 * Schema of the files: results/README.md.
 *
 * Every file is written whole and atomically (<name>.tmp, fsync, rename,
 * fsync of the directory), so a reader never sees half a file and a crash or
 * Ctrl-C keeps every row written before it. A table rewrites its file after
 * every completed row (files are small); results/latest is re-pointed
 * atomically after each such flush and at close. Functions return 0 or a
 * negative errno. Not thread-safe: one thread writes results.
 */
#ifndef MMIOBENCH_RESULTS_H
#define MMIOBENCH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "stats.h"

/* Writes data to path via path.tmp + fsync + rename; on error the old file
 * (if any) is untouched and no .tmp is left behind. */
int results_write_file_atomic(const char *path, const void *data, size_t len);
/* Points linkpath at target (a relative name is fine) via symlink + rename. */
int results_symlink_atomic(const char *target, const char *linkpath);

/* A run-id or file name: [A-Za-z0-9._-]{1,100}, not starting with '.'
 * (so no "..", no '/', no hidden files). */
bool results_name_valid(const char *name);
/* "20261122T031500Z-abc1234" (UTC); git_rev NULL/"" -> "nogit". Characters of
 * git_rev outside [0-9a-zA-Z] are dropped, at most 12 kept. */
int results_run_id_make(char *buf, size_t len, time_t when, const char *git_rev);

struct results_run;
/* Creates root (and its parents, if missing) and root/run_id (must not
 * exist), points root/latest at it. */
int results_run_open(struct results_run **out, const char *root, const char *run_id);
const char *results_run_dir(const struct results_run *run);
/* Atomic write of a whole file in the run directory (meta.json, report.md). */
int results_run_write_text(struct results_run *run, const char *name, const char *text);
/* Re-points latest; frees run. Tables must be destroyed first. */
int results_run_close(struct results_run *run);

/*
 * A CSV table: fixed header; a row is filled by column name (columns not set
 * stay empty) and written with results_row_end(). Values are escaped per
 * RFC 4180 (quoted when they hold ',', '"', CR or LF).
 */
struct results_table;
/* Columns are copied; names must be unique. The file is written at once
 * (header only), so an empty table is still a valid CSV. */
int results_table_create(struct results_table **out, struct results_run *run,
			 const char *name, const char *const *columns, size_t ncolumns);
void results_table_destroy(struct results_table *t);
/* -ENOENT for a column the table does not have: typos must not vanish. */
int results_set(struct results_table *t, const char *column, const char *value);
int results_setf(struct results_table *t, const char *column, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int results_set_u64(struct results_table *t, const char *column, uint64_t v);
/* The value set so far in the row being built, or NULL. */
const char *results_get(const struct results_table *t, const char *column);
int results_set_i64(struct results_table *t, const char *column, int64_t v);
/* %.10g; NaN or infinity leaves the cell empty (not measured). */
int results_set_double(struct results_table *t, const char *column, double v);
/* Appends the pending row and rewrites the file (results_row_end) or only
 * appends it (_noflush, for a burst of rows followed by results_flush()).
 * If the rewrite fails the row stays in memory for the next flush. */
int results_row_end_noflush(struct results_table *t);
int results_row_end(struct results_table *t);
int results_flush(struct results_table *t);
/* Drops the pending row (a scenario that failed half-way). */
void results_row_discard(struct results_table *t);
size_t results_table_rows(const struct results_table *t);

/* --- The fixed schema (results/README.md) --- */
extern const char *const results_samples_columns[];
extern const size_t results_samples_ncolumns;
extern const char *const results_summary_columns[];
extern const size_t results_summary_ncolumns;
extern const char *const results_cdf_columns[];
extern const size_t results_cdf_ncolumns;

/* One configuration: NULL strings and negative numbers mean "not
 * applicable" and leave the cell empty. */
struct results_config {
	const char *scenario;	/* exit, irq, notify */
	const char *kind;
	int cpl;		/* 0 or 3 */
	const char *notify;	/* trapped, ioeventfd, ioeventfd_zerolen */
	const char *irq;	/* irq_line, irqfd, irqfd_resample */
	int64_t queue_size;
	int64_t batch;
	int event_idx;		/* 0/1 */
	const char *completion;	/* poll, irq */
	const char *halt_poll;	/* host, off */
	const char *ring;	/* split, packed (virtqueue layout) */
	const char *iothread;	/* block, poll:MAX_NS, busy (how it waits for a kick) */
	int notification_data;	/* 0/1: VIRTIO_F_NOTIFICATION_DATA negotiated */
};
/* A config with every field "not applicable". */
#define RESULTS_CONFIG_NA { .cpl = -1, .queue_size = -1, .batch = -1, .event_idx = -1, \
			   .notification_data = -1 }
int results_set_config(struct results_table *t, const struct results_config *cfg);

/* samples.csv latency columns from a summary in TSC ticks (converted to ns);
 * floor_p50_ticks < 0 leaves floor/net columns empty. */
int results_set_latency(struct results_table *t, const struct stats_summary *ticks,
			uint32_t tsc_khz, double floor_p50_ticks);

/*
 * summary.csv: one row for cfg x metric from the per-repetition values of
 * that metric (the median over reps with its 95% CI, see stats.h). This is
 * the only place summary rows are computed. unit: "ns" for *_ns metrics
 * (including *_ns_per_req), "1/s" for *_per_s.
 */
int results_add_summary(struct results_table *summary, const struct results_config *cfg,
			const char *metric, const char *unit, const double *per_rep, size_t reps);

/* cdf.csv: one row per quantile of stats_cdf_quantiles for one repetition,
 * from ascending samples in TSC ticks; one file rewrite for all of them. */
int results_add_cdf(struct results_table *cdf, const struct results_config *cfg, int rep,
		    const uint64_t *sorted_ticks, size_t n, uint32_t tsc_khz);

#endif
