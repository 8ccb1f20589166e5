/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scenarios as a registry, and the one repetition driver.
 *
 * A scenario declares its kinds (the names --kinds takes and results carry)
 * and, from the options alone (no KVM), the configurations of a run. Each
 * configuration names the series of rows it writes (a results_config and the
 * metrics summarized over repetitions) and is measured by run_rep(), once
 * per repetition, each in a fresh VM. The driver (bench/scenario.c) does the
 * rest for every scenario alike: --kinds selection, counting and progress,
 * the probe, the skip and interrupt rules, the per-repetition values and the
 * summary rows.
 */
#ifndef MMIOBENCH_SCENARIO_H
#define MMIOBENCH_SCENARIO_H

#include <stdio.h>

#include "bench.h"

enum bench_rep_status {
	REP_OK,
	REP_FAILED,		/* this repetition failed: skip the rest, "repetition N: why" */
	REP_SKIP,		/* cannot be measured here (a capability, an attribute): why verbatim */
	REP_INTERRUPTED,	/* Ctrl-C: stop the run, no summaries for this configuration */
};

#define BENCH_MAX_SERIES	2	/* row sets one repetition writes */
#define BENCH_MAX_METRICS	6	/* values per series and repetition */

/* Rows one configuration writes: their config cells and the metrics that
 * get a summary.csv row each. An empty metric name ("") is a value the
 * scenario keeps for its after() hook without a summary row. Units follow the name:
 * "_per_s" is 1/s, everything else ns. */
struct bench_series {
	struct results_config rc;
	const char *metrics[BENCH_MAX_METRICS];
	int nmetrics;
};

struct bench_scenario;

/* A scenario's configuration starts with this (its own parameters follow:
 * see bench_config_new()). */
struct bench_config {
	const struct bench_scenario *scn;
	char label[96];		/* progress line; the "kind" of a skip record */
	int cpl;
	bool always;		/* measured whatever --kinds says (the exit floor) */
	int nseries;
	struct bench_series series[BENCH_MAX_SERIES];
	char kind_buf[BENCH_MAX_SERIES][40];	/* storage for composed kind names */
};

/* What one repetition measured: NaN (the driver's preset) = not measured. */
struct bench_rep_out {
	double v[BENCH_MAX_SERIES][BENCH_MAX_METRICS];
};

/* Every repetition's measured values, per series and metric. */
struct bench_values {
	double *v[BENCH_MAX_SERIES][BENCH_MAX_METRICS];
	unsigned int n[BENCH_MAX_SERIES][BENCH_MAX_METRICS];
};

struct bench_config_list {
	struct bench_config **v;
	size_t n, cap;
};

struct bench_kind_info {
	const char *name;
	const char *about;
	const char *const *metrics;	/* its summary metrics, NULL-terminated */
};

struct bench_scenario {
	const char *name;	/* the command and the scenario column */
	const char *about;
	/* Kind i of this scenario; false past the last. */
	bool (*kind)(size_t i, struct bench_kind_info *out);
	/* Appends the configurations the options ask for, selected or not. */
	void (*configs)(const struct bench_opts *o, struct bench_config_list *out);
	/* Optional, first: what the configuration needs measured before it
	 * (the floor); 0 or -EINTR. */
	int (*prepare)(struct bench_ctx *c, const struct bench_config *cfg);
	/* Optional, once before the repetitions: REP_SKIP/REP_FAILED skip the
	 * configuration with why verbatim. */
	enum bench_rep_status (*probe)(struct bench_ctx *c, const struct bench_config *cfg,
				       char *why, size_t why_len);
	/* One repetition: writes its samples/cdf rows, sets out for each value
	 * it measured, and says how it went. */
	enum bench_rep_status (*run_rep)(struct bench_ctx *c, const struct bench_config *cfg,
					 unsigned int rep, struct bench_rep_out *out,
					 char *why, size_t why_len);
	/* Optional, after the summaries (reps may have measured nothing). */
	void (*after)(struct bench_ctx *c, const struct bench_config *cfg, const struct bench_values *v);
};

/* Zeroed configuration of `size` bytes (the scenario's struct, which starts
 * with struct bench_config), appended to l; every series' rc preset to
 * RESULTS_CONFIG_NA. Aborts on ENOMEM. */
void *bench_config_new(struct bench_config_list *l, const struct bench_scenario *s, size_t size);
void bench_config_list_free(struct bench_config_list *l);
/* Adds a series with the given metrics (NULL-terminated); returns its rc. */
struct results_config *bench_config_series(struct bench_config *cfg, const char *scenario,
					   const char *kind, const char *const *metrics);
bool bench_config_selected(const struct bench_opts *o, const struct bench_config *cfg);

/* Every kind in the kinds list must belong to one of the scenarios: else
 * prints which is unknown and the valid ones to f, returns -1. */
int bench_kinds_check(const struct bench_scenario *const *s, size_t n, const char *kinds, FILE *f);
/* `mmiobench list --json`: scenarios, their kinds, in registry order. */
int bench_list_json(const struct bench_scenario *const *s, size_t n, FILE *f);
struct json;
/* The same listing as a value in a JSON document being written. */
void bench_list_json_value(struct json *j, const char *key, const struct bench_scenario *const *s, size_t n);

/* Runs every selected configuration of the scenarios in order; 0, or
 * -EINTR when interrupted (rows so far are kept). */
int bench_run_scenarios(struct bench_ctx *c, const struct bench_scenario *const *s, size_t n);
/* Probe, repetitions and summaries of one configuration; 0 or -EINTR. */
int bench_run_config(struct bench_ctx *c, const struct bench_config *cfg);

/* ---- guest-timed kinds (bench/exit_latency.c), shared with irq "service" --- */
enum exit_path { PATH_NONE, PATH_USER_MMIO, PATH_USER_PIO, PATH_KERNEL_IOEVENTFD, PATH_KERNEL_EXIT };

struct timed_kind {
	const char *name;
	const char *about;
	timed_loop_fn loop;
	timed_loop_fn loop_amd;		/* AMD/Hygon hosts, when it differs (VMMCALL) */
	uint64_t addr, value;
	bool virtio;			/* needs the virtio device at VIRTIO_MMIO_BASE */
	enum virtio_notify_mode notify;
	int pio;			/* 1: trapped port, 2: port with an ioeventfd */
	enum exit_path path;		/* PATH_NONE: the floor (empty loop) */
	unsigned int exits_per_iter;	/* userspace exits per access; 0 means 1 */
	/* PATH_KERNEL_IOEVENTFD: an eventfd nobody waits on (no iothread), the
	 * access's cost without the wake-up; else the iothread waits on it,
	 * in each --iothread mode. */
	bool nowaiter;
	/* The raw reference: the same guest loop, no device and no bus;
	 * vcpu_run()'s raw_exit path re-enters its exits at once. */
	bool raw;
};

/* Whether kind k's configurations run once per --iothread mode. */
static inline bool timed_kind_has_iothread(const struct timed_kind *k)
{
	return k->path == PATH_KERNEL_IOEVENTFD && !k->nowaiter;
}

struct timed_config {
	struct bench_config base;
	const struct timed_kind *k;
	enum iothread_mode io;		/* timed_kind_has_iothread() kinds */
};

/* A timed configuration of kind k at cpl whose rows say `scenario`; io
 * and its label (bench_iothread_label()) only for a kind with an iothread. */
void timed_config_init(struct timed_config *tc, const struct bench_scenario *s,
		       const char *scenario, const struct timed_kind *k, int cpl,
		       enum iothread_mode io, const char *io_label);
enum bench_rep_status timed_probe(struct bench_ctx *c, const struct bench_config *cfg,
				  char *why, size_t why_len);
enum bench_rep_status timed_run_rep(struct bench_ctx *c, const struct bench_config *cfg,
				    unsigned int rep, struct bench_rep_out *out, char *why, size_t why_len);
void timed_after(struct bench_ctx *c, const struct bench_config *cfg, const struct bench_values *v);
/* Measures the empty loop at cpl (rows under `scenario`) unless this run
 * already has it; 0 or -EINTR. */
int bench_measure_floor(struct bench_ctx *c, const char *scenario, int cpl);

extern const struct bench_scenario scenario_exit, scenario_irq, scenario_notify;

#endif
