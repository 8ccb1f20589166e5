// SPDX-License-Identifier: GPL-2.0
/* The scenario registry's driver (scenario.h): one place for --kinds, the
 * progress count, the skip and interrupt rules and the summary rows. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "scenario.h"

void *bench_config_new(struct bench_config_list *l, const struct bench_scenario *s, size_t size)
{
	struct bench_config *cfg;

	TEST_ASSERT(size >= sizeof(*cfg), "config size %zu", size);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct bench_config **v = realloc(l->v, cap * sizeof(*v));

		TEST_ASSERT(v, "realloc");
		l->v = v;
		l->cap = cap;
	}
	cfg = calloc(1, size);
	TEST_ASSERT(cfg, "calloc");
	cfg->scn = s;
	cfg->cpl = -1;
	for (int i = 0; i < BENCH_MAX_SERIES; i++)
		cfg->series[i].rc = (struct results_config)RESULTS_CONFIG_NA;
	l->v[l->n++] = cfg;
	return cfg;
}

void bench_config_list_free(struct bench_config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct results_config *bench_config_series(struct bench_config *cfg, const char *scenario,
					   const char *kind, const char *const *metrics)
{
	struct bench_series *s;

	TEST_ASSERT(cfg->nseries < BENCH_MAX_SERIES, "too many series for %s", kind);
	s = &cfg->series[cfg->nseries++];
	s->rc.scenario = scenario;
	s->rc.kind = kind;
	s->rc.cpl = cfg->cpl;
	for (s->nmetrics = 0; metrics[s->nmetrics]; s->nmetrics++)
		TEST_ASSERT(s->nmetrics < BENCH_MAX_METRICS, "too many metrics for %s", kind);
	memcpy(s->metrics, metrics, (size_t)s->nmetrics * sizeof(*metrics));
	return &s->rc;
}

bool bench_config_selected(const struct bench_opts *o, const struct bench_config *cfg)
{
	if (cfg->always)
		return true;
	for (int i = 0; i < cfg->nseries; i++)
		if (bench_kind_selected(o, cfg->series[i].rc.kind))
			return true;
	return false;
}

static bool scenario_has_kind(const struct bench_scenario *s, const char *name, size_t len)
{
	struct bench_kind_info k;

	for (size_t i = 0; s->kind(i, &k); i++)
		if (strlen(k.name) == len && !strncmp(k.name, name, len))
			return true;
	return false;
}

int bench_kinds_check(const struct bench_scenario *const *s, size_t n, const char *kinds, FILE *f)
{
	for (const char *p = kinds; *p; ) {
		size_t len = strcspn(p, ",");
		bool known = false;

		for (size_t i = 0; i < n && !known; i++)
			known = scenario_has_kind(s[i], p, len);
		if (!known) {
			struct bench_kind_info k;
			const char *sep = "";

			fprintf(f, "mmiobench: bad value '%.*s' for --kinds: expected a kind of", (int)len, p);
			for (size_t i = 0; i < n; i++)
				fprintf(f, "%s %s", i ? "," : "", s[i]->name);
			fprintf(f, " (");
			for (size_t i = 0; i < n; i++)
				for (size_t j = 0; s[i]->kind(j, &k); j++, sep = ", ")
					fprintf(f, "%s%s", sep, k.name);
			fprintf(f, "; `mmiobench list` shows them all)\n");
			return -1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

void bench_list_json_value(struct json *j, const char *key, const struct bench_scenario *const *s, size_t n)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		struct bench_kind_info k;

		json_object_begin(j, NULL);
		json_string(j, "name", s[i]->name);
		json_string(j, "about", s[i]->about);
		json_array_begin(j, "kinds");
		for (size_t ki = 0; s[i]->kind(ki, &k); ki++) {
			json_object_begin(j, NULL);
			json_string(j, "name", k.name);
			json_string(j, "about", k.about);
			json_array_begin(j, "metrics");
			for (const char *const *m = k.metrics; m && *m; m++)
				json_string(j, NULL, *m);
			json_array_end(j);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

int bench_list_json(const struct bench_scenario *const *s, size_t n, FILE *f)
{
	struct json j;
	const char *text;
	int r;

	json_init(&j);
	json_object_begin(&j, NULL);
	bench_list_json_value(&j, "scenarios", s, n);
	json_object_end(&j);
	r = json_finish(&j, &text);
	if (!r)
		fputs(text, f);
	json_free(&j);
	return r;
}

static const char *metric_unit(const char *metric)
{
	return strstr(metric, "_per_s") ? "1/s" : "ns";
}

static void values_free(struct bench_values *v)
{
	for (int s = 0; s < BENCH_MAX_SERIES; s++)
		for (int m = 0; m < BENCH_MAX_METRICS; m++)
			free(v->v[s][m]);
}

/* Keeps what the repetition measured; NaN is "not measured". */
static void values_add(struct bench_values *v, const struct bench_config *cfg,
		       const struct bench_rep_out *out, unsigned int reps)
{
	for (int s = 0; s < cfg->nseries; s++)
		for (int m = 0; m < cfg->series[s].nmetrics; m++) {
			if (isnan(out->v[s][m]))
				continue;
			if (!v->v[s][m]) {
				v->v[s][m] = calloc(reps, sizeof(double));
				TEST_ASSERT(v->v[s][m], "calloc");
			}
			v->v[s][m][v->n[s][m]++] = out->v[s][m];
		}
}

int bench_run_config(struct bench_ctx *c, const struct bench_config *cfg)
{
	const struct bench_scenario *scn = cfg->scn;
	const char *scenario = cfg->series[0].rc.scenario;
	struct bench_values vals = { 0 };
	enum bench_rep_status st = REP_OK;
	char why[512] = "";
	int ret = 0;

	if (scn->prepare && scn->prepare(c, cfg) < 0)
		return -EINTR;
	bench_progress(c, cfg->label);
	if (scn->probe)
		st = scn->probe(c, cfg, why, sizeof(why));
	if (st == REP_INTERRUPTED)
		return -EINTR;
	if (st != REP_OK) {
		bench_skip(c, scenario, cfg->label, cfg->cpl, "%s", why);
		return 0;
	}
	for (unsigned int rep = 0; rep < c->o->reps; rep++) {
		struct bench_rep_out out;

		for (int s = 0; s < BENCH_MAX_SERIES; s++)
			for (int m = 0; m < BENCH_MAX_METRICS; m++)
				out.v[s][m] = NAN;
		why[0] = 0;
		st = scn->run_rep(c, cfg, rep, &out, why, sizeof(why));
		if (st == REP_INTERRUPTED) {
			ret = -EINTR;
			goto out;
		}
		values_add(&vals, cfg, &out, c->o->reps);
		if (st == REP_FAILED) {
			bench_skip(c, scenario, cfg->label, cfg->cpl, "repetition %u: %s", rep, why);
			break;
		}
		if (st == REP_SKIP) {
			bench_skip(c, scenario, cfg->label, cfg->cpl, "%s", why);
			break;
		}
	}
	/* A summary only from repetitions that measured the metric: never
	 * from a slot a skipped repetition left unset. */
	for (int s = 0; s < cfg->nseries; s++)
		for (int m = 0; m < cfg->series[s].nmetrics; m++) {
			const char *metric = cfg->series[s].metrics[m];

			if (metric[0] && vals.n[s][m])
				results_add_summary(c->summary, &cfg->series[s].rc, metric, metric_unit(metric),
						    vals.v[s][m], vals.n[s][m]);
		}
	if (scn->after)
		scn->after(c, cfg, &vals);
out:
	values_free(&vals);
	return ret;
}

int bench_run_scenarios(struct bench_ctx *c, const struct bench_scenario *const *s, size_t n)
{
	struct bench_config_list *lists = calloc(n ? n : 1, sizeof(*lists));
	int ret = 0;

	TEST_ASSERT(lists, "calloc");
	c->configs_total = 0;
	for (size_t i = 0; i < n; i++) {
		s[i]->configs(c->o, &lists[i]);
		for (size_t k = 0; k < lists[i].n; k++)
			c->configs_total += bench_config_selected(c->o, lists[i].v[k]);
	}
	for (size_t i = 0; i < n && !ret; i++) {
		c->cur_scenario = s[i]->name;
		for (size_t k = 0; k < lists[i].n && !ret; k++) {
			if (!bench_config_selected(c->o, lists[i].v[k]))
				continue;
			if (bench_interrupted(c) || bench_run_config(c, lists[i].v[k]) < 0) {
				ret = -EINTR;
				break;
			}
			c->configs_done++;
		}
	}
	for (size_t i = 0; i < n; i++)
		bench_config_list_free(&lists[i]);
	free(lists);
	return ret;
}
