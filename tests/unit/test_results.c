// SPDX-License-Identifier: GPL-2.0
/* bench/results*.c and bench/json.c: atomic files, run dir, CSV tables, JSON. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>

#include "test_util.h"
#include "../../bench/stats.c"
#include "../../bench/results.c"
#include "../../bench/results_table.c"
#include "../../bench/results_schema.c"
#include "../../bench/json.c"

static char tmpdir[] = "/tmp/test_results.XXXXXX";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);	/* whole file: no NUL in text */
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static char *in_tmp(const char *name)
{
	char *p;

	TEST_ASSERT(asprintf(&p, "%s/%s", tmpdir, name) > 0, "asprintf");
	return p;
}

static void atomic_write_replaces(void)
{
	char *path = in_tmp("a.txt"), *tmp = in_tmp("a.txt.tmp"), *s;

	CHECK_EQ(results_write_file_atomic(path, "one\n", 4), 0);
	CHECK_EQ(results_write_file_atomic(path, "two\n", 4), 0);
	s = slurp(path);
	CHECK(s && !strcmp(s, "two\n"));
	CHECK(!exists(tmp));
	free(s);
	free(path);
	free(tmp);
}

/* A write that fails half-way (file size limit) keeps the old file whole. */
static void atomic_write_failure_keeps_old(void)
{
	char *path = in_tmp("b.txt"), *tmp = in_tmp("b.txt.tmp"), *s;
	char big[4096];
	struct rlimit old, small = { .rlim_cur = 100 };
	void (*old_sig)(int);

	memset(big, 'x', sizeof(big));
	CHECK_EQ(results_write_file_atomic(path, "old\n", 4), 0);
	TEST_ASSERT(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
	small.rlim_max = old.rlim_max;
	old_sig = signal(SIGXFSZ, SIG_IGN);
	TEST_ASSERT(setrlimit(RLIMIT_FSIZE, &small) == 0, "setrlimit");
	CHECK_EQ(results_write_file_atomic(path, big, sizeof(big)), -EFBIG);
	TEST_ASSERT(setrlimit(RLIMIT_FSIZE, &old) == 0, "setrlimit restore");
	signal(SIGXFSZ, old_sig);
	s = slurp(path);
	CHECK(s && !strcmp(s, "old\n"));
	CHECK(!exists(tmp));
	free(s);
	free(path);
	free(tmp);
}

/* The rename fails (target is a non-empty directory): no .tmp left. */
static void atomic_write_rename_failure(void)
{
	char *dir = in_tmp("d"), *inner = in_tmp("d/x"), *tmp = in_tmp("d.tmp");

	TEST_ASSERT(mkdir(dir, 0755) == 0, "mkdir");
	CHECK_EQ(results_write_file_atomic(inner, "x", 1), 0);
	CHECK(results_write_file_atomic(dir, "data", 4) < 0);
	CHECK(!exists(tmp));
	CHECK(exists(inner));
	free(dir);
	free(inner);
	free(tmp);
}

static void symlink_replace(void)
{
	char *link = in_tmp("lnk"), buf[64];
	ssize_t n;

	CHECK_EQ(results_symlink_atomic("first", link), 0);
	CHECK_EQ(results_symlink_atomic("second", link), 0);
	n = readlink(link, buf, sizeof(buf) - 1);
	CHECK_EQ(n, 6);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(buf, "second"));
	free(link);
}

static void names_and_run_id(void)
{
	char id[64];
	time_t when = 1795317300;	/* 2026-11-22T03:15:00Z */

	CHECK(results_name_valid("20261122T031500Z-abc1234"));
	CHECK(results_name_valid("samples.csv"));
	CHECK(!results_name_valid(".."));
	CHECK(!results_name_valid("."));
	CHECK(!results_name_valid(".hidden"));
	CHECK(!results_name_valid("../etc"));
	CHECK(!results_name_valid("a/b"));
	CHECK(!results_name_valid(""));
	CHECK(!results_name_valid(NULL));
	CHECK(!results_name_valid("a b"));
	CHECK_EQ(results_run_id_make(id, sizeof(id), when, "abc1234"), 0);
	CHECK(!strcmp(id, "20261122T031500Z-abc1234"));
	CHECK_EQ(results_run_id_make(id, sizeof(id), when, "../../x\n"), 0);
	CHECK(!strcmp(id, "20261122T031500Z-x"));
	CHECK(results_name_valid(id));
	CHECK_EQ(results_run_id_make(id, sizeof(id), when, NULL), 0);
	CHECK(!strcmp(id, "20261122T031500Z-nogit"));
	CHECK_EQ(results_run_id_make(id, 10, when, "abc"), -ENOSPC);
}

static void run_dir_and_latest(void)
{
	char *root = in_tmp("results"), *latest = in_tmp("results/latest"), buf[64];
	struct results_run *run, *again;
	ssize_t n;

	CHECK_EQ(results_run_open(&run, root, "../escape"), -EINVAL);
	CHECK_EQ(results_run_open(&run, root, "r1"), 0);
	n = readlink(latest, buf, sizeof(buf) - 1);
	CHECK_EQ(n, 2);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(buf, "r1"));
	CHECK_EQ(results_run_open(&again, root, "r1"), -EEXIST);
	CHECK_EQ(results_run_write_text(run, "meta.json", "{}\n"), 0);
	CHECK_EQ(results_run_write_text(run, "../meta.json", "{}\n"), -EINVAL);
	CHECK(exists(results_run_dir(run)));
	CHECK_EQ(results_run_close(run), 0);
	free(root);
	free(latest);

	root = in_tmp("deep/er/results/");	/* parents created, trailing slash fine */
	CHECK_EQ(results_run_open(&run, root, "r2"), 0);
	CHECK(exists(results_run_dir(run)));
	CHECK_EQ(results_run_close(run), 0);
	free(root);
	CHECK_EQ(results_run_open(&run, "", "r3"), -EINVAL);
}

static void table_rows_and_escaping(void)
{
	static const char *const cols[] = { "a", "b", "c" };
	char *root = in_tmp("t"), *s;
	struct results_run *run;
	struct results_table *t;
	char path[PATH_MAX];

	TEST_ASSERT(results_run_open(&run, root, "run") == 0, "run open");
	CHECK_EQ(results_table_create(&t, run, "x.csv", cols, 3), 0);
	snprintf(path, sizeof(path), "%s/x.csv", results_run_dir(run));
	s = slurp(path);
	CHECK(s && !strcmp(s, "a,b,c\n"));	/* header on disk at once */
	free(s);

	CHECK_EQ(results_set(t, "nope", "1"), -ENOENT);
	CHECK_EQ(results_set(t, "a", "plain"), 0);
	CHECK_EQ(results_set(t, "c", "has,comma and \"quote\""), 0);
	CHECK_EQ(results_row_end(t), 0);
	s = slurp(path);
	CHECK(s && !strcmp(s, "a,b,c\nplain,,\"has,comma and \"\"quote\"\"\"\n"));
	free(s);

	CHECK_EQ(results_set_u64(t, "b", 18446744073709551615ULL), 0);
	CHECK_EQ(results_set_double(t, "a", 1234.5), 0);
	CHECK_EQ(results_set_double(t, "c", NAN), 0);
	CHECK_EQ(results_row_end(t), 0);
	CHECK_EQ(results_set(t, "a", "discarded"), 0);
	results_row_discard(t);
	CHECK_EQ(results_set(t, "b", "line\nbreak"), 0);
	CHECK_EQ(results_set_i64(t, "a", -3), 0);
	CHECK_EQ(results_row_end(t), 0);
	CHECK_EQ(results_table_rows(t), 3);
	s = slurp(path);
	CHECK(s && !strcmp(s, "a,b,c\nplain,,\"has,comma and \"\"quote\"\"\"\n"
			  "1234.5,18446744073709551615,\n-3,\"line\nbreak\",\n"));
	free(s);
	snprintf(path, sizeof(path), "%s/x.csv.tmp", results_run_dir(run));
	CHECK(!exists(path));
	results_table_destroy(t);

	static const char *const dup[] = { "a", "a" };
	CHECK_EQ(results_table_create(&t, run, "y.csv", dup, 2), -EINVAL);
	CHECK_EQ(results_table_create(&t, run, "../y.csv", cols, 3), -EINVAL);
	results_run_close(run);
	free(root);
}

static void schema_helpers(void)
{
	char *root = in_tmp("s"), *s, path[PATH_MAX];
	struct results_run *run;
	struct results_table *sum, *cdf, *smp;
	struct results_config cfg = RESULTS_CONFIG_NA;
	double per_rep[] = { 110, 100, 120, 105, 115, 108 };
	uint64_t ticks[1000];
	struct stats_summary st;

	TEST_ASSERT(results_run_open(&run, root, "run") == 0, "run open");
	CHECK_EQ(results_samples_ncolumns, 48);
	CHECK_EQ(results_summary_ncolumns, 22);
	CHECK_EQ(results_cdf_ncolumns, 16);
	CHECK_EQ(results_table_create(&sum, run, "summary.csv", results_summary_columns,
				      results_summary_ncolumns), 0);
	cfg.scenario = "exit";
	cfg.kind = "mmio_write_trapped";
	cfg.cpl = 3;
	CHECK_EQ(results_add_summary(sum, &cfg, "p50_ns", "ns", per_rep, 6), 0);
	snprintf(path, sizeof(path), "%s/summary.csv", results_run_dir(run));
	s = slurp(path);
	CHECK(s && strstr(s, "\nexit,mmio_write_trapped,3,,,,,,,,,,,p50_ns,ns,6,109,100,120,100,120,0.06490625077\n"));
	free(s);
	results_table_destroy(sum);

	CHECK_EQ(results_table_create(&cdf, run, "cdf.csv", results_cdf_columns,
				      results_cdf_ncolumns), 0);
	for (int i = 0; i < 1000; i++)
		ticks[i] = 2000 + (uint64_t)i * 2;	/* 2 GHz: 1000 .. 1999 ns */
	CHECK_EQ(results_add_cdf(cdf, &cfg, 0, ticks, 1000, 2000000), 0);
	CHECK_EQ(results_table_rows(cdf), stats_cdf_nquantiles);
	snprintf(path, sizeof(path), "%s/cdf.csv", results_run_dir(run));
	s = slurp(path);
	CHECK(s && strstr(s, "\nexit,mmio_write_trapped,3,,,,,,,,,,,0,0.5,1499.5\n"));
	CHECK(s && strstr(s, "\nexit,mmio_write_trapped,3,,,,,,,,,,,0,0.001,1000.999\n"));
	free(s);
	CHECK_EQ(results_add_cdf(cdf, &cfg, 1, ticks, 0, 2000000), -EINVAL);
	{	/* a block that fails half-way leaves no partial rows */
		struct results_table_mark m;
		size_t len = cdf->len;

		results_table_mark_get(cdf, &m);
		CHECK_EQ(results_set(cdf, "rep", "9"), 0);
		CHECK_EQ(results_row_end_noflush(cdf), 0);
		CHECK_EQ(results_set(cdf, "rep", "half"), 0);
		results_table_rollback(cdf, &m);
		CHECK_EQ(cdf->len, len);
		CHECK_EQ(results_table_rows(cdf), stats_cdf_nquantiles);
		CHECK_EQ(results_row_end(cdf), 0);	/* pending row was dropped too */
		CHECK_EQ(results_table_rows(cdf), stats_cdf_nquantiles + 1);
	}
	results_table_destroy(cdf);

	CHECK_EQ(results_table_create(&smp, run, "samples.csv", results_samples_columns,
				      results_samples_ncolumns), 0);
	stats_summarize_u64(ticks, 1000, &st);
	CHECK_EQ(results_set_config(smp, &cfg), 0);
	CHECK_EQ(results_set_i64(smp, "rep", 0), 0);
	CHECK_EQ(results_set_latency(smp, &st, 2000000, 200.0), 0);
	CHECK_EQ(results_set(smp, "crosscheck", "ok"), 0);
	CHECK_EQ(results_row_end(smp), 0);
	snprintf(path, sizeof(path), "%s/samples.csv", results_run_dir(run));
	s = slurp(path);
	/* p50 = 2999 ticks = 1499.5 ns; floor 200 ticks = 100 ns; net 1399.5 ns */
	CHECK(s && strstr(s, "\nexit,mmio_write_trapped,3,,,,,,,,,,,0,1000,1000,1499.5,"));
	CHECK(s && strstr(s, ",100,1399.5,"));
	free(s);
	results_table_destroy(smp);
	results_run_close(run);
	free(root);
}

static void json_builder(void)
{
	struct json j;
	const char *out;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "s", "q\"b\\n\nt\t\x01");
	json_u64(&j, "tsc_khz", 2596100);
	json_i64(&j, "neg", -5);
	json_double(&j, "d", 0.1);
	json_double(&j, "nan", NAN);
	json_bool(&j, "nested", false);
	json_null(&j, "cut_short");
	json_array_begin(&j, "skipped");
	json_object_begin(&j, NULL);
	json_string(&j, "kind", "vmcall");
	json_object_end(&j);
	json_array_end(&j);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_object_end(&j);
	CHECK_EQ(json_finish(&j, &out), 0);
	CHECK(strstr(out, "\"s\": \"q\\\"b\\\\n\\nt\\t\\u0001\""));
	CHECK(strstr(out, "\"tsc_khz\": 2596100,"));
	CHECK(strstr(out, "\"d\": 0.1,"));
	CHECK(strstr(out, "\"nan\": null,"));
	CHECK(strstr(out, "\"cut_short\": null,"));
	CHECK(strstr(out, "\"kind\": \"vmcall\""));
	CHECK(strstr(out, "\"empty\": []"));
	CHECK(out[strlen(out) - 1] == '\n');
	json_free(&j);

	json_init(&j);	/* valid UTF-8 passes; anything else becomes U+FFFD */
	json_array_begin(&j, NULL);
	json_string(&j, NULL, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_string(&j, NULL, "bad \xff \xc3 \xc0\xaf \xed\xa0\x80 end");
	json_array_end(&j);
	CHECK_EQ(json_finish(&j, &out), 0);
	CHECK(strstr(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""));
	/* \xc3 then ' ': truncated; \xc0\xaf: overlong '/'; \xed\xa0\x80: surrogate */
	CHECK(strstr(out, "\"bad \\ufffd \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd end\""));
	json_free(&j);

	json_init(&j);	/* a key inside an array is a bug */
	json_array_begin(&j, NULL);
	json_u64(&j, "k", 1);
	json_array_end(&j);
	CHECK_EQ(json_finish(&j, &out), -EINVAL);
	json_free(&j);

	json_init(&j);	/* unbalanced */
	json_object_begin(&j, NULL);
	CHECK_EQ(json_finish(&j, &out), -EINVAL);
	json_free(&j);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(atomic_write_replaces),
	KTAP_CASE(atomic_write_failure_keeps_old),
	KTAP_CASE(atomic_write_rename_failure),
	KTAP_CASE(symlink_replace),
	KTAP_CASE(names_and_run_id),
	KTAP_CASE(run_dir_and_latest),
	KTAP_CASE(table_rows_and_escaping),
	KTAP_CASE(schema_helpers),
	KTAP_CASE(json_builder),
};

int main(void)
{
	int ret;

	TEST_ASSERT(mkdtemp(tmpdir), "mkdtemp");
	ret = KTAP_RUN(cases);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
