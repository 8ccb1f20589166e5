// SPDX-License-Identifier: GPL-2.0
/* bench/stats.c on known data: percentiles, moments, median CI, ns conversion. */
#include <math.h>
#include <stdlib.h>

#include "test_util.h"
#include "../../bench/stats.c"

#define CHECK_NEAR(a, b, tol) do { double __x = (a), __y = (b); \
	if (!(fabs(__x - __y) <= (tol))) ktap_check_failed(__FILE__, __LINE__, \
		"%s ~= %s: %.12g != %.12g", #a, #b, __x, __y); } while (0)

/* numpy.percentile(range(1, 101), q) for the values below. */
static void percentiles_1_to_100(void)
{
	uint64_t v[100];
	struct stats_summary s;

	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)(100 - i);	/* reversed: summarize must sort */
	CHECK_EQ(stats_summarize_u64(v, 100, &s), 0);
	CHECK_EQ(s.n, 100);
	CHECK_NEAR(s.min, 1, 0);
	CHECK_NEAR(s.max, 100, 0);
	CHECK_NEAR(s.p50, 50.5, 1e-12);
	CHECK_NEAR(s.p90, 90.1, 1e-9);
	CHECK_NEAR(s.p99, 99.01, 1e-9);
	CHECK_NEAR(s.p999, 99.901, 1e-9);
	CHECK_NEAR(s.mean, 50.5, 1e-12);
	/* sqrt(sum((i - 50.5)^2) / 99) = sqrt(841.666...) */
	CHECK_NEAR(s.stddev, 29.011491975882016, 1e-9);
	CHECK_NEAR(stats_quantile_sorted_u64(v, 100, 0.25), 25.75, 1e-12);
	CHECK_NEAR(stats_quantile_sorted_u64(v, 100, 0.0), 1, 0);
	CHECK_NEAR(stats_quantile_sorted_u64(v, 100, 1.0), 100, 0);
}

static void percentiles_small_arrays(void)
{
	uint64_t one[] = { 7 };
	uint64_t two[] = { 10, 20 };
	uint64_t four[] = { 4, 1, 3, 2 };
	double d[] = { 3.0, 1.0, 2.0 };
	struct stats_summary s;

	CHECK_EQ(stats_summarize_u64(one, 1, &s), 0);
	CHECK_NEAR(s.p50, 7, 0);
	CHECK_NEAR(s.p999, 7, 0);
	CHECK_NEAR(s.stddev, 0, 0);
	CHECK_EQ(stats_summarize_u64(two, 2, &s), 0);
	CHECK_NEAR(s.p50, 15, 1e-12);
	CHECK_NEAR(s.p90, 19, 1e-12);
	CHECK_NEAR(s.stddev, 7.0710678118654755, 1e-12);
	CHECK_EQ(stats_summarize_u64(four, 4, &s), 0);
	CHECK_NEAR(s.p50, 2.5, 1e-12);
	CHECK_NEAR(s.p90, 3.7, 1e-12);
	CHECK_NEAR(s.stddev, 1.2909944487358056, 1e-12);
	CHECK_EQ(stats_summarize_double(d, 3, &s), 0);
	CHECK_NEAR(s.p50, 2, 0);
	CHECK_NEAR(s.mean, 2, 1e-12);
	CHECK_NEAR(s.stddev, 1, 1e-12);
	CHECK_EQ(stats_summarize_u64(one, 0, &s), -EINVAL);
	CHECK(isnan(stats_quantile_sorted_u64(two, 0, 0.5)));
	CHECK(isnan(stats_quantile_sorted_u64(two, 2, 1.5)));
	CHECK(isnan(stats_quantile_sorted_u64(two, 2, NAN)));
}

/* Welford must not lose a small spread on a large offset. */
static void stddev_large_offset(void)
{
	uint64_t v[] = { 1000000000000ULL + 4, 1000000000000ULL + 7, 1000000000000ULL + 13,
			 1000000000000ULL + 16 };
	struct stats_summary s;

	CHECK_EQ(stats_summarize_u64(v, 4, &s), 0);
	CHECK_NEAR(s.mean, 1000000000010.0, 1e-3);
	CHECK_NEAR(s.stddev, sqrt(90.0 / 3.0), 1e-6);
}

/* A u64 difference must not wrap when interpolating near UINT64_MAX. */
static void quantile_huge_ticks(void)
{
	uint64_t v[] = { UINT64_MAX - 10, UINT64_MAX };

	CHECK(stats_quantile_sorted_u64(v, 2, 0.5) > 1.8e19);
}

static void ticks_to_ns(void)
{
	/* 2596.1 MHz (the dev machines): 2596100 kHz. */
	CHECK_NEAR(stats_ticks_to_ns(2596100, 2596100), 1e6, 1e-6);	/* 1 ms */
	CHECK_NEAR(stats_ticks_to_ns(2596.1, 2596100), 1000, 1e-9);
	CHECK_NEAR(stats_ticks_to_ns(1000, 1000000), 1000, 0);		/* 1 GHz: 1 tick = 1 ns */
	CHECK_NEAR(stats_ticks_to_ns(3000, 3000000), 1000, 0);		/* 3 GHz */
	CHECK_NEAR(stats_ticks_to_ns(0, 3000000), 0, 0);
	CHECK(isnan(stats_ticks_to_ns(1000, 0)));

	struct stats_summary t = { .n = 9, .min = 1000, .p50 = 2000, .p90 = 3000, .p99 = 4000,
				   .p999 = 5000, .max = 6000, .mean = 2500, .stddev = 500 };
	struct stats_summary ns;

	stats_summary_ticks_to_ns(&t, 2000000, &ns);	/* 2 GHz: 2 ticks per ns */
	CHECK_EQ(ns.n, 9);
	CHECK_NEAR(ns.min, 500, 0);
	CHECK_NEAR(ns.p50, 1000, 0);
	CHECK_NEAR(ns.p999, 2500, 0);
	CHECK_NEAR(ns.max, 3000, 0);
	CHECK_NEAR(ns.stddev, 250, 0);
}

/* Ranks from the binomial table (e.g. Conover, or scipy.stats.binom). */
static void median_ci_ranks(void)
{
	static const struct { size_t n, lo, hi; bool full; double conf; } want[] = {
		{ 1, 1, 1, true, 0.0 },
		{ 2, 1, 2, true, 0.5 },
		{ 5, 1, 5, true, 0.9375 },
		{ 6, 1, 6, false, 0.96875 },
		{ 8, 1, 8, false, 0.9921875 },
		{ 9, 2, 8, false, 0.9609375 },
		{ 11, 2, 10, false, 0.98828125 },
		{ 12, 3, 10, false, 0.96142578125 },
		{ 20, 6, 15, false, 0.9586105346679688 },
		{ 100, 40, 61, false, 0.9647997997822529 },
	};
	struct stats_median_ci ci;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		CHECK_EQ(stats_median_ci95_ranks(want[i].n, &ci), 0);
		CHECK_EQ(ci.lo_rank, want[i].lo);
		CHECK_EQ(ci.hi_rank, want[i].hi);
		CHECK_EQ(ci.full_range, want[i].full);
		CHECK_NEAR(ci.confidence, want[i].conf, 1e-9);
	}
	CHECK_EQ(stats_median_ci95_ranks(0, &ci), -EINVAL);
	/* Large n: log-space pmf must not underflow to a degenerate interval. */
	CHECK_EQ(stats_median_ci95_ranks(5000, &ci), 0);
	CHECK(ci.lo_rank > 2400 && ci.lo_rank < 2500 && ci.confidence >= 0.95);
}

static void reps_summary(void)
{
	double r[] = { 5, 3, 9, 1, 7, 2, 8, 6, 4 };	/* 1..9 shuffled */
	double few[] = { 10, 30, 20 };
	struct stats_reps s;

	CHECK_EQ(stats_reps_summarize(r, 9, &s), 0);
	CHECK_EQ(s.reps, 9);
	CHECK_NEAR(s.median, 5, 0);
	CHECK_NEAR(s.ci95_lo, 2, 0);	/* ranks 2 and 8 */
	CHECK_NEAR(s.ci95_hi, 8, 0);
	CHECK_NEAR(s.min_rep, 1, 0);
	CHECK_NEAR(s.max_rep, 9, 0);
	CHECK(!s.ci.full_range);
	CHECK_NEAR(s.cv, sqrt(7.5) / 5, 1e-12);	/* 1..9: sample variance 7.5 */
	CHECK_NEAR(r[0], 5, 0);		/* input untouched */
	CHECK_EQ(stats_reps_summarize(few, 3, &s), 0);
	CHECK_NEAR(s.median, 20, 0);
	CHECK_NEAR(s.ci95_lo, 10, 0);
	CHECK_NEAR(s.ci95_hi, 30, 0);
	CHECK(s.ci.full_range);
	CHECK_EQ(stats_reps_summarize(few, 1, &s), 0);
	CHECK(isnan(s.cv));		/* one rep: no spread to speak of */
	CHECK_EQ(stats_reps_summarize(few, 0, &s), -EINVAL);
}

static void cdf_quantile_list(void)
{
	CHECK(stats_cdf_nquantiles >= 30 && stats_cdf_nquantiles <= 45);
	CHECK_NEAR(stats_cdf_quantiles[0], 0.001, 0);
	CHECK_NEAR(stats_cdf_quantiles[stats_cdf_nquantiles - 1], 0.999, 0);
	for (size_t i = 1; i < stats_cdf_nquantiles; i++)
		CHECK(stats_cdf_quantiles[i] > stats_cdf_quantiles[i - 1]);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(percentiles_1_to_100),
	KTAP_CASE(percentiles_small_arrays),
	KTAP_CASE(stddev_large_offset),
	KTAP_CASE(quantile_huge_ticks),
	KTAP_CASE(ticks_to_ns),
	KTAP_CASE(median_ci_ranks),
	KTAP_CASE(reps_summary),
	KTAP_CASE(cdf_quantile_list),
};

int main(void)
{
	return KTAP_RUN(cases);
}
