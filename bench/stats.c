// SPDX-License-Identifier: GPL-2.0
/* Sample statistics for every benchmark: see include/stats.h for the methods. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* Dense in both tails, where latency distributions hide their stories. */
const double stats_cdf_quantiles[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07,
	0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50,
	0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90,
	0.92, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99, 0.993, 0.995, 0.997, 0.998, 0.999,
};
const size_t stats_cdf_nquantiles = sizeof(stats_cdf_quantiles) / sizeof(stats_cdf_quantiles[0]);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort_u64(uint64_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u64);
}

void stats_sort_double(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_double);
}

/* Type 7 interpolation; index math shared by both element types. */
static bool quantile_index(size_t n, double q, size_t *lo, double *frac)
{
	double h;

	if (n == 0 || !(q >= 0.0 && q <= 1.0))
		return false;
	h = (double)(n - 1) * q;
	*lo = (size_t)floor(h);
	if (*lo >= n - 1) {
		*lo = n - 1;
		*frac = 0.0;
	} else {
		*frac = h - (double)*lo;
	}
	return true;
}

double stats_quantile_sorted_u64(const uint64_t *sorted, size_t n, double q)
{
	size_t lo;
	double frac;

	if (!quantile_index(n, q, &lo, &frac))
		return NAN;
	if (frac == 0.0)
		return (double)sorted[lo];
	/* Difference in integers first: ticks can exceed 2^53 only in theory. */
	return (double)sorted[lo] + frac * (double)(sorted[lo + 1] - sorted[lo]);
}

double stats_quantile_sorted_double(const double *sorted, size_t n, double q)
{
	size_t lo;
	double frac;

	if (!quantile_index(n, q, &lo, &frac))
		return NAN;
	if (frac == 0.0)
		return sorted[lo];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/*
 * Welford's update: no catastrophic cancellation when the spread is tiny
 * against the mean (ticks of a 50 us exit vary by a few hundred).
 */
struct moments {
	size_t n;
	double mean, m2;
};

static void moments_add(struct moments *m, double x)
{
	double d = x - m->mean;

	m->n++;
	m->mean += d / (double)m->n;
	m->m2 += d * (x - m->mean);
}

static void fill_moments(const struct moments *m, struct stats_summary *out)
{
	out->n = m->n;
	out->mean = m->mean;
	out->stddev = m->n > 1 ? sqrt(m->m2 / (double)(m->n - 1)) : 0.0;
}

int stats_summarize_u64(uint64_t *samples, size_t n, struct stats_summary *out)
{
	struct moments m = { 0 };

	if (n == 0)
		return -EINVAL;
	stats_sort_u64(samples, n);
	for (size_t i = 0; i < n; i++)
		moments_add(&m, (double)samples[i]);
	fill_moments(&m, out);
	out->min = (double)samples[0];
	out->max = (double)samples[n - 1];
	out->p50 = stats_quantile_sorted_u64(samples, n, 0.50);
	out->p90 = stats_quantile_sorted_u64(samples, n, 0.90);
	out->p99 = stats_quantile_sorted_u64(samples, n, 0.99);
	out->p999 = stats_quantile_sorted_u64(samples, n, 0.999);
	return 0;
}

int stats_summarize_double(double *samples, size_t n, struct stats_summary *out)
{
	struct moments m = { 0 };

	if (n == 0)
		return -EINVAL;
	stats_sort_double(samples, n);
	for (size_t i = 0; i < n; i++)
		moments_add(&m, samples[i]);
	fill_moments(&m, out);
	out->min = samples[0];
	out->max = samples[n - 1];
	out->p50 = stats_quantile_sorted_double(samples, n, 0.50);
	out->p90 = stats_quantile_sorted_double(samples, n, 0.90);
	out->p99 = stats_quantile_sorted_double(samples, n, 0.99);
	out->p999 = stats_quantile_sorted_double(samples, n, 0.999);
	return 0;
}

double stats_ticks_to_ns(double ticks, uint32_t tsc_khz)
{
	if (tsc_khz == 0)
		return NAN;
	return ticks * 1e6 / (double)tsc_khz;
}

void stats_summary_ticks_to_ns(const struct stats_summary *ticks, uint32_t tsc_khz,
			       struct stats_summary *ns)
{
	ns->n = ticks->n;
	ns->min = stats_ticks_to_ns(ticks->min, tsc_khz);
	ns->p50 = stats_ticks_to_ns(ticks->p50, tsc_khz);
	ns->p90 = stats_ticks_to_ns(ticks->p90, tsc_khz);
	ns->p99 = stats_ticks_to_ns(ticks->p99, tsc_khz);
	ns->p999 = stats_ticks_to_ns(ticks->p999, tsc_khz);
	ns->max = stats_ticks_to_ns(ticks->max, tsc_khz);
	ns->mean = stats_ticks_to_ns(ticks->mean, tsc_khz);
	ns->stddev = stats_ticks_to_ns(ticks->stddev, tsc_khz);
}

/* P(Binomial(n, 1/2) = i), in log space so that large n cannot underflow. */
static double binom_half_pmf(size_t n, size_t i)
{
	return exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
		   lgamma((double)(n - i) + 1) - (double)n * M_LN2);
}

int stats_median_ci95_ranks(size_t n, struct stats_median_ci *out)
{
	double below = binom_half_pmf(n, 0);	/* P(B <= k-1) for k = 1 */
	size_t k = 1;

	if (n == 0)
		return -EINVAL;
	/* Grow k while the tail left out on each side stays within 2.5%. */
	while (2 * (k + 1) <= n + 1) {
		double next = below + binom_half_pmf(n, k);

		if (next > 0.025)
			break;
		below = next;
		k++;
	}
	out->n = n;
	out->lo_rank = k;
	out->hi_rank = n + 1 - k;
	out->confidence = 1.0 - 2.0 * below;
	out->full_range = out->confidence < 0.95;
	return 0;
}

int stats_reps_summarize(const double *per_rep, size_t n, struct stats_reps *out)
{
	struct moments m = { 0 };
	double *v;

	if (n == 0)
		return -EINVAL;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, per_rep, n * sizeof(*v));
	stats_sort_double(v, n);
	stats_median_ci95_ranks(n, &out->ci);
	out->reps = n;
	out->median = stats_quantile_sorted_double(v, n, 0.5);
	out->ci95_lo = v[out->ci.lo_rank - 1];
	out->ci95_hi = v[out->ci.hi_rank - 1];
	out->min_rep = v[0];
	out->max_rep = v[n - 1];
	for (size_t i = 0; i < n; i++)
		moments_add(&m, v[i]);
	out->cv = n > 1 && m.mean != 0 ? sqrt(m.m2 / (double)(n - 1)) / fabs(m.mean) : NAN;
	free(v);
	return 0;
}
