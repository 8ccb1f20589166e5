// SPDX-License-Identifier: GPL-2.0
/* The fixed results schema (results/README.md) and the helpers that fill it. */
#include <errno.h>
#include <math.h>

#include "results.h"
#include "results_int.h"

#define CONFIG_COLUMNS "scenario", "kind", "cpl", "notify", "irq", "queue_size", \
	"batch", "event_idx", "completion", "halt_poll", "ring", "iothread", "notification_data"

const char *const results_samples_columns[] = {
	CONFIG_COLUMNS,
	"rep", "samples",
	"min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns", "stddev_ns",
	"floor_p50_ns", "net_p50_ns", "net_p99_ns", "host_user_p50_ns",
	"duration_s", "requests", "requests_per_s", "notifies_per_s", "exits_per_s",
	"irqs_per_s", "vcpu_cpu_ns_per_req", "iothread_cpu_ns_per_req",
	"kvm_exits", "kvm_mmio_exits", "kvm_io_exits", "kvm_irq_injections",
	"device_notifies", "device_irqs", "eventfd_kicks", "iothread_wakeups", "poll_hit_rate",
	"poll_window_ns", "ring_floor_requests_per_s", "ring_floor_ratio", "crosscheck",
};
const size_t results_samples_ncolumns =
	sizeof(results_samples_columns) / sizeof(results_samples_columns[0]);

const char *const results_summary_columns[] = {
	CONFIG_COLUMNS,
	"metric", "unit", "reps", "median", "ci95_lo", "ci95_hi", "min_rep", "max_rep",
	"cv",
};
const size_t results_summary_ncolumns =
	sizeof(results_summary_columns) / sizeof(results_summary_columns[0]);

const char *const results_cdf_columns[] = { CONFIG_COLUMNS, "rep", "q", "ns" };
const size_t results_cdf_ncolumns = sizeof(results_cdf_columns) / sizeof(results_cdf_columns[0]);

/* Sets every config cell, empty where not applicable; first error wins. */
int results_set_config(struct results_table *t, const struct results_config *c)
{
	int ret = 0;

#define SET_STR(col, v) if (!ret) ret = results_set(t, col, v)
#define SET_NUM(col, v) if (!ret) ret = (v) < 0 ? results_set(t, col, NULL) : results_set_i64(t, col, v)
	SET_STR("scenario", c->scenario);
	SET_STR("kind", c->kind);
	SET_NUM("cpl", c->cpl);
	SET_STR("notify", c->notify);
	SET_STR("irq", c->irq);
	SET_NUM("queue_size", c->queue_size);
	SET_NUM("batch", c->batch);
	SET_NUM("event_idx", c->event_idx);
	SET_STR("completion", c->completion);
	SET_STR("halt_poll", c->halt_poll);
	SET_STR("ring", c->ring);
	SET_STR("iothread", c->iothread);
	SET_NUM("notification_data", c->notification_data);
#undef SET_STR
#undef SET_NUM
	return ret;
}

int results_set_latency(struct results_table *t, const struct stats_summary *ticks,
			uint32_t tsc_khz, double floor_p50_ticks)
{
	struct stats_summary ns;
	int ret = 0;

	stats_summary_ticks_to_ns(ticks, tsc_khz, &ns);
#define SET(col, v) if (!ret) ret = results_set_double(t, col, v)
	if (!ret)
		ret = results_set_u64(t, "samples", ticks->n);
	SET("min_ns", ns.min);
	SET("p50_ns", ns.p50);
	SET("p90_ns", ns.p90);
	SET("p99_ns", ns.p99);
	SET("p999_ns", ns.p999);
	SET("max_ns", ns.max);
	SET("mean_ns", ns.mean);
	SET("stddev_ns", ns.stddev);
	if (floor_p50_ticks >= 0) {
		/* Net of the empty loop of the same shape and CPL (measurement.md). */
		SET("floor_p50_ns", stats_ticks_to_ns(floor_p50_ticks, tsc_khz));
		SET("net_p50_ns", stats_ticks_to_ns(ticks->p50 - floor_p50_ticks, tsc_khz));
		SET("net_p99_ns", stats_ticks_to_ns(ticks->p99 - floor_p50_ticks, tsc_khz));
	}
#undef SET
	return ret;
}

int results_add_summary(struct results_table *summary, const struct results_config *cfg,
			const char *metric, const char *unit, const double *per_rep, size_t reps)
{
	struct stats_reps r;
	int ret = stats_reps_summarize(per_rep, reps, &r);

	if (!ret)
		ret = results_set_config(summary, cfg);
	if (!ret)
		ret = results_set(summary, "metric", metric);
	if (!ret)
		ret = results_set(summary, "unit", unit);
	if (!ret)
		ret = results_set_u64(summary, "reps", r.reps);
	if (!ret)
		ret = results_set_double(summary, "median", r.median);
	if (!ret)
		ret = results_set_double(summary, "ci95_lo", r.ci95_lo);
	if (!ret)
		ret = results_set_double(summary, "ci95_hi", r.ci95_hi);
	if (!ret)
		ret = results_set_double(summary, "min_rep", r.min_rep);
	if (!ret)
		ret = results_set_double(summary, "max_rep", r.max_rep);
	if (!ret)	/* NAN (one rep) is an empty cell */
		ret = results_set_double(summary, "cv", r.cv);
	if (!ret)
		ret = results_row_end(summary);
	else
		results_row_discard(summary);
	return ret;
}

int results_add_cdf(struct results_table *cdf, const struct results_config *cfg, int rep,
		    const uint64_t *sorted_ticks, size_t n, uint32_t tsc_khz)
{
	struct results_table_mark mark;
	int ret = 0;

	if (n == 0)
		return -EINVAL;
	results_table_mark_get(cdf, &mark);
	for (size_t i = 0; i < stats_cdf_nquantiles && !ret; i++) {
		double q = stats_cdf_quantiles[i];

		ret = results_set_config(cdf, cfg);
		if (!ret)
			ret = results_set_i64(cdf, "rep", rep);
		if (!ret)
			ret = results_setf(cdf, "q", "%g", q);
		if (!ret)
			ret = results_set_double(cdf, "ns",
				stats_ticks_to_ns(stats_quantile_sorted_u64(sorted_ticks, n, q), tsc_khz));
		if (!ret)
			ret = results_row_end_noflush(cdf);
	}
	if (ret) {
		results_table_rollback(cdf, &mark);	/* all quantiles of a rep, or none */
		return ret;
	}
	/* One rewrite for the whole block keeps cdf.csv cost linear per rep. */
	return results_flush(cdf);
}
