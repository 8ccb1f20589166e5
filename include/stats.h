/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one statistics module for every benchmark (host side only).
 *
 * Percentile method: linear interpolation between closest ranks, the same as
 * numpy.percentile's default ("linear", Hyndman & Fan type 7): for sorted
 * x[0..n-1] and q in [0,1], h = (n-1)*q, result = x[floor h] +
 * (h - floor h) * (x[floor h + 1] - x[floor h]). So p50 of an even count is
 * the mean of the two middle values, and q=0 / q=1 are min / max.
 *
 * Units: functions that take uint64_t samples take TSC ticks and say so;
 * results are doubles in the same unit until converted with
 * stats_ticks_to_ns(). Nothing here allocates except stats_reps_summarize()
 * (one copy of the per-repetition values). No shared state: calls are
 * thread-safe as long as threads do not share the arrays passed in.
 */
#ifndef MMIOBENCH_STATS_H
#define MMIOBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per-repetition distribution summary. Same unit as the input samples. */
struct stats_summary {
	size_t n;		/* sample count */
	double min, p50, p90, p99, p999, max;
	double mean;
	double stddev;		/* sample standard deviation (n-1); 0 when n < 2 */
};

/* Sorts in place, ascending (qsort). */
void stats_sort_u64(uint64_t *v, size_t n);
void stats_sort_double(double *v, size_t n);

/* q in [0,1] on an ascending array; NaN when n == 0 or q out of range. */
double stats_quantile_sorted_u64(const uint64_t *sorted, size_t n, double q);
double stats_quantile_sorted_double(const double *sorted, size_t n, double q);

/* Sorts samples in place and fills *out; -EINVAL when n == 0. */
int stats_summarize_u64(uint64_t *samples, size_t n, struct stats_summary *out);
int stats_summarize_double(double *samples, size_t n, struct stats_summary *out);

/*
 * TSC ticks -> nanoseconds with the frequency KVM_GET_TSC_KHZ reports:
 * ns = ticks * 1e6 / tsc_khz (kHz = 1e3 ticks/s, so 1 tick = 1e6/khz ns).
 * NaN when tsc_khz == 0: a missing frequency must never look like a number.
 */
double stats_ticks_to_ns(double ticks, uint32_t tsc_khz);
/* Converts every field but n; stddev scales like the values. */
void stats_summary_ticks_to_ns(const struct stats_summary *ticks, uint32_t tsc_khz,
			       struct stats_summary *ns);

/*
 * Distribution-free confidence interval of the median from order statistics:
 * with n values sorted, [x(k), x(n+1-k)] (1-based ranks) covers the median
 * with probability 1 - 2*P(Binomial(n, 1/2) <= k-1). k is the largest rank
 * for which that is >= 95%. For n < 6 no pair of ranks reaches 95% (even
 * [min, max] covers only 1 - 2^(1-n), 93.75% at n=5): the interval is then
 * [min, max], full_range is set and confidence says what it really covers.
 */
struct stats_median_ci {
	size_t n;
	size_t lo_rank, hi_rank;	/* 1-based order statistics used */
	double confidence;		/* exact coverage of [lo, hi] */
	bool full_range;		/* n < 6: below 95%, the full range */
};
/* Ranks only (depends on n alone); -EINVAL when n == 0. */
int stats_median_ci95_ranks(size_t n, struct stats_median_ci *out);

/* Across repetitions: median of per-repetition values with its 95% CI. */
struct stats_reps {
	size_t reps;
	double median;
	double ci95_lo, ci95_hi;
	double min_rep, max_rep;
	/* Coefficient of variation, sample stddev / |mean|: how much the
	 * run-level figures move (NAN below 2 reps or at mean 0). */
	double cv;
	struct stats_median_ci ci;
};
/* Does not modify per_rep (sorts a copy); -EINVAL on n == 0, -ENOMEM. */
int stats_reps_summarize(const double *per_rep, size_t n, struct stats_reps *out);

/* The fixed quantile list of cdf.csv (0.001 .. 0.999), ascending. */
extern const double stats_cdf_quantiles[];
extern const size_t stats_cdf_nquantiles;

#endif
