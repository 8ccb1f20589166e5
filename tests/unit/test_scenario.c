// SPDX-License-Identifier: GPL-2.0
/*
 * bench/scenario.c, the one repetition driver, without KVM: fake scenarios
 * whose repetitions succeed, fail, skip or are interrupted, and what the
 * driver makes of it in summary.csv and meta.json. Also --kinds checking
 * and the run's bookkeeping in bench/runner.c.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>

#include "test_util.h"
#include "../../bench/stats.c"
#include "../../bench/results.c"
#include "../../bench/results_table.c"
#include "../../bench/results_schema.c"
#include "../../bench/json.c"
#include "../../bench/opts.c"
#include "../../bench/runner.c"
#include "../../bench/version.c"
#include "../../bench/scenario.c"
#include "../../bench/unclaimed_note.c"
#include "../../bench/guest_run.c"

static char tmpdir[] = "/tmp/test_scenario.XXXXXX";

/* ---- a fake scenario ------------------------------------------------------ */
enum fake_script { FAKE_OK, FAKE_FAIL_AT_1, FAKE_SKIP_SECOND_SERIES, FAKE_INTERRUPT_AT_1 };

struct fake_config {
	struct bench_config base;
	enum fake_script script;
};

static const char *const fake_metrics[] = { "p50_ns", "requests_per_s", NULL };
static int fake_prepared;

static bool fake_kind(size_t i, struct bench_kind_info *out)
{
	static const struct bench_kind_info k[] = {
		{ .name = "alpha", .about = "first", .metrics = fake_metrics },
		{ .name = "beta", .about = "second", .metrics = fake_metrics },
	};

	if (i >= ARRAY_SIZE(k))
		return false;
	*out = k[i];
	return true;
}

static void fake_configs(const struct bench_opts *o, struct bench_config_list *out);

static int fake_prepare(struct bench_ctx *c, const struct bench_config *cfg)
{
	(void)c;
	(void)cfg;
	fake_prepared++;
	return 0;
}

/* Values: 100 * rep + series; series 1 (beta) only where the script lets it. */
static enum bench_rep_status fake_run_rep(struct bench_ctx *c, const struct bench_config *cfg,
					  unsigned int rep, struct bench_rep_out *out, char *why, size_t why_len)
{
	const struct fake_config *fc = (const struct fake_config *)cfg;

	(void)c;
	if (fc->script == FAKE_FAIL_AT_1 && rep == 1) {
		snprintf(why, why_len, "the guest fell over");
		return REP_FAILED;
	}
	if (fc->script == FAKE_INTERRUPT_AT_1 && rep == 1)
		return REP_INTERRUPTED;
	for (int s = 0; s < cfg->nseries; s++) {
		if (s == 1 && fc->script == FAKE_SKIP_SECOND_SERIES) {
			/* Like irq_cost.c without KVM_VCPU_TSC_OFFSET: the host call
			 * was measured, the delivery cannot be. */
			snprintf(why, why_len, "no common time base");
			return REP_SKIP;
		}
		out->v[s][0] = 100.0 * rep + s;
		out->v[s][1] = 1000.0 + rep;
	}
	return REP_OK;
}

static const struct bench_scenario fake = {
	.name = "fake", .about = "a scenario for the driver's tests", .kind = fake_kind,
	.configs = fake_configs, .prepare = fake_prepare, .run_rep = fake_run_rep,
};

static struct fake_config *fake_new(struct bench_config_list *out, enum fake_script script, const char *label)
{
	struct fake_config *fc = bench_config_new(out, &fake, sizeof(*fc));

	fc->script = script;
	fc->base.cpl = 3;
	snprintf(fc->base.label, sizeof(fc->base.label), "%s", label);
	bench_config_series(&fc->base, "fake", "alpha", fake_metrics);
	bench_config_series(&fc->base, "fake", "beta", fake_metrics);
	return fc;
}

static enum fake_script next_script;

static void fake_configs(const struct bench_opts *o, struct bench_config_list *out)
{
	(void)o;
	fake_new(out, next_script, "the config");
}

/* ---- a run without KVM ------------------------------------------------------ */
static struct bench_opts opts;
static struct bench_ctx ctx;

static void run_open(const char *name)
{
	bench_opts_defaults(&opts);
	opts.reps = 3;
	memset(&ctx, 0, sizeof(ctx));
	ctx.o = &opts;
	ctx.tsc_khz = 1000000;
	for (int i = 0; i < 4; i++)
		ctx.floor_ticks[i] = -1;
	opts.out_root = tmpdir;
	TEST_ASSERT(!results_run_open(&ctx.run, tmpdir, name), "run open");
	TEST_ASSERT(!results_table_create(&ctx.samples, ctx.run, "samples.csv", results_samples_columns,
					  results_samples_ncolumns), "samples");
	TEST_ASSERT(!results_table_create(&ctx.summary, ctx.run, "summary.csv", results_summary_columns,
					  results_summary_ncolumns), "summary");
	TEST_ASSERT(!results_table_create(&ctx.cdf, ctx.run, "cdf.csv", results_cdf_columns,
					  results_cdf_ncolumns), "cdf");
}

static void run_close(void)
{
	bench_write_meta(&ctx, true);
	results_table_destroy(ctx.samples);
	results_table_destroy(ctx.summary);
	results_table_destroy(ctx.cdf);
	results_run_close(ctx.run);
	ctx.run = NULL;
	free(ctx.skips);	/* bench_end() does this in mmiobench */
	ctx.skips = NULL;
}

static char *slurp(const char *name, const char *file)
{
	char *path, *buf = NULL;
	size_t cap = 0;
	FILE *f;

	TEST_ASSERT(asprintf(&path, "%s/%s/%s", tmpdir, name, file) > 0, "asprintf");
	f = fopen(path, "r");
	free(path);
	if (!f)
		return strdup("");
	if (getdelim(&buf, &cap, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int run_fake(const char *name, enum fake_script script)
{
	const struct bench_scenario *const s[] = { &fake };
	int r;

	next_script = script;
	run_open(name);
	r = bench_run_scenarios(&ctx, s, 1);
	run_close();
	return r;
}

/* Three good repetitions: one summary row per series and metric, reps 3,
 * from the values the repetitions reported. */
static void all_reps_summarized(void)
{
	char *sum;

	fake_prepared = 0;
	CHECK_EQ(run_fake("ok", FAKE_OK), 0);
	sum = slurp("ok", "summary.csv");
	CHECK_EQ(count(sum, "\nfake,"), 4);
	CHECK(strstr(sum, "fake,alpha,3,,,,,,,,,,,p50_ns,ns,3,100,"));
	CHECK(strstr(sum, "fake,beta,3,,,,,,,,,,,p50_ns,ns,3,101,"));
	CHECK(strstr(sum, "fake,alpha,3,,,,,,,,,,,requests_per_s,1/s,3,1001,"));
	CHECK_EQ(ctx.configs_total, 1);
	CHECK_EQ(ctx.configs_done, 1);
	CHECK_EQ(fake_prepared, 1);
	free(sum);
}

/* A repetition that fails ends the configuration: the repetitions before it
 * are summarized, the skip names the repetition and the reason. */
static void failed_rep_keeps_earlier(void)
{
	char *sum, *meta;

	CHECK_EQ(run_fake("fail", FAKE_FAIL_AT_1), 0);
	sum = slurp("fail", "summary.csv");
	meta = slurp("fail", "meta.json");
	CHECK_EQ(count(sum, "\nfake,"), 4);
	CHECK(strstr(sum, "fake,alpha,3,,,,,,,,,,,p50_ns,ns,1,0,"));
	CHECK(strstr(meta, "\"reason\": \"repetition 1: the guest fell over\""));
	CHECK(strstr(meta, "\"kind\": \"the config\""));
	CHECK(strstr(meta, "\"cut_short\": null"));
	free(sum);
	free(meta);
}

/*
 * The bug irq_cost.c had: a series a repetition could not measure got a
 * summary row anyway, from an array slot never written. Here the first
 * series is measured and the second skipped: only the first is summarized,
 * and the skip is recorded.
 */
static void skipped_series_has_no_summary(void)
{
	char *sum, *meta;

	CHECK_EQ(run_fake("skip", FAKE_SKIP_SECOND_SERIES), 0);
	sum = slurp("skip", "summary.csv");
	meta = slurp("skip", "meta.json");
	CHECK_EQ(count(sum, "\nfake,alpha,"), 2);
	CHECK_EQ(count(sum, "\nfake,beta,"), 0);
	CHECK(strstr(meta, "\"reason\": \"no common time base\""));
	free(sum);
	free(meta);
}

/* Ctrl-C: -EINTR, no summary for the configuration cut short. */
static void interrupted_rep_stops(void)
{
	char *sum;

	CHECK_EQ(run_fake("intr", FAKE_INTERRUPT_AT_1), -EINTR);
	sum = slurp("intr", "summary.csv");
	CHECK_EQ(count(sum, "\nfake,"), 0);
	CHECK_EQ(ctx.configs_done, 0);
	free(sum);
}

/* --kinds: only kinds of the scenarios being run; an unknown one is refused
 * naming the valid ones (it used to select nothing and exit 0). */
static void kinds_checked(void)
{
	const struct bench_scenario *const s[] = { &fake };
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);

	TEST_ASSERT(f, "open_memstream");
	CHECK_EQ(bench_kinds_check(s, 1, "", f), 0);
	CHECK_EQ(bench_kinds_check(s, 1, "alpha", f), 0);
	CHECK_EQ(bench_kinds_check(s, 1, "beta,alpha", f), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(bench_kinds_check(s, 1, "alpha,alph", f), -1);
	CHECK_EQ(bench_kinds_check(s, 1, "alphab", f), -1);
	fclose(f);
	CHECK(msg && strstr(msg, "'alph'") && strstr(msg, "alpha, beta"));
	CHECK(msg && strstr(msg, "'alphab'"));
	free(msg);
}

/* A configuration is selected by any of its series' kinds, or always. */
static void selection_by_series(void)
{
	struct bench_config_list l = { 0 };
	struct fake_config *fc;

	bench_opts_defaults(&opts);
	fc = fake_new(&l, FAKE_OK, "x");
	snprintf(opts.kinds, sizeof(opts.kinds), "beta");
	CHECK(bench_config_selected(&opts, &fc->base));
	snprintf(opts.kinds, sizeof(opts.kinds), "gamma");
	CHECK(!bench_config_selected(&opts, &fc->base));
	fc->base.always = true;
	CHECK(bench_config_selected(&opts, &fc->base));
	bench_config_list_free(&l);
}

/* meta.json lists every skip: there used to be room for 64, the rest
 * silently dropped. */
static void many_skips_all_kept(void)
{
	char *meta;

	run_open("skips");
	for (int i = 0; i < 100; i++)
		bench_skip(&ctx, "fake", "alpha", 3, "reason %d", i);
	run_close();
	meta = slurp("skips", "meta.json");
	CHECK_EQ(count(meta, "\"reason\": \"reason "), 100);
	CHECK(strstr(meta, "\"reason 99\""));
	free(meta);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	TEST_ASSERT(f && fputs(text, f) >= 0 && !fclose(f), "write %s", path);
}

/* The plot and report scripts get the results directory as one argument,
 * whatever it holds: a quote used to break the shell command. */
static void scripts_get_dir_verbatim(void)
{
	static const char script[] =
		"import os, sys\n"
		"open(os.path.join(sys.argv[1], os.path.basename(sys.argv[0]) + '.ran'), 'w').write(sys.argv[1])\n"
		"print('to /dev/null')\n";
	char *scripts, *dir, *path, *s;

	TEST_ASSERT(asprintf(&scripts, "%s/scripts", tmpdir) > 0, "asprintf");
	TEST_ASSERT(asprintf(&dir, "%s/it's a \"run\" $(false); x", tmpdir) > 0, "asprintf");
	TEST_ASSERT(!mkdir(scripts, 0755) && !mkdir(dir, 0755), "mkdir");
	TEST_ASSERT(asprintf(&path, "%s/plot.py", scripts) > 0, "asprintf");
	write_text(path, script);
	free(path);
	TEST_ASSERT(asprintf(&path, "%s/report.py", scripts) > 0, "asprintf");
	write_text(path, script);
	free(path);
	CHECK_EQ(bench_run_scripts(scripts, dir), 0);
	TEST_ASSERT(asprintf(&path, "%s/report.py.ran", dir) > 0, "asprintf");
	s = slurp(dir + strlen(tmpdir) + 1, "plot.py.ran");
	CHECK(!strcmp(s, dir));
	free(s);
	CHECK_EQ(access(path, F_OK), 0);
	free(path);
	/* A failing script is reported, and the report does not run after it. */
	TEST_ASSERT(asprintf(&path, "%s/plot.py", scripts) > 0, "asprintf");
	write_text(path, "import sys\nsys.exit(3)\n");
	free(path);
	CHECK(bench_run_scripts(scripts, dir) < 0);
	free(scripts);
	free(dir);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(all_reps_summarized),
	KTAP_CASE(failed_rep_keeps_earlier),
	KTAP_CASE(skipped_series_has_no_summary),
	KTAP_CASE(interrupted_rep_stops),
	KTAP_CASE(kinds_checked),
	KTAP_CASE(selection_by_series),
	KTAP_CASE(many_skips_all_kept),
	KTAP_CASE(scripts_get_dir_verbatim),
};

int main(void)
{
	int ret;

	TEST_ASSERT(mkdtemp(tmpdir), "mkdtemp");
	ret = KTAP_RUN(cases);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
