// SPDX-License-Identifier: GPL-2.0
/* mmiobench: the command line. See `mmiobench --help` and README.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "scenario.h"

/* The registry: every scenario, in the order `sweep` runs them. */
static const struct bench_scenario *const scenarios[] = { &scenario_exit, &scenario_irq, &scenario_notify };

static int cmd_info(void)
{
	struct platform_info p;

	platform_collect(&p);
	platform_print(&p, stdout);
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	const char *scripts = getenv("MMIOBENCH_SCRIPTS") ?: "scripts";
	char path[512];
	char **args = calloc((size_t)argc + 3, sizeof(char *));

	if (!args)
		return 2;
	snprintf(path, sizeof(path), "%s/compare.py", scripts);
	args[0] = "python3";
	args[1] = path;
	for (int i = 2; i < argc; i++)
		args[i] = argv[i];
	execvp("python3", args);
	fprintf(stderr, "mmiobench: cannot run %s: %s\n", path, strerror(errno));
	return 2;
}

/* `mmiobench list [--json]`: what a run can measure, from the registry. */
static int cmd_list(int argc, char **argv)
{
	struct bench_kind_info k;

	if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json"))) {
		fprintf(stderr, "mmiobench: usage: mmiobench list [--json]\n");
		return 2;
	}
	if (argc == 3)
		return bench_list_json(scenarios, ARRAY_SIZE(scenarios), stdout) ? 1 : 0;
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++) {
		printf("%s: %s\n", scenarios[i]->name, scenarios[i]->about);
		for (size_t j = 0; scenarios[i]->kind(j, &k); j++)
			printf("  %-26s %s\n", k.name, k.about);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_ctx c;
	const struct bench_scenario *const *run = NULL;
	size_t nrun = 1;
	const char *cmd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc, argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc, argv);
	if (!strcmp(cmd, "sweep")) {
		run = scenarios;
		nrun = ARRAY_SIZE(scenarios);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
			if (!strcmp(cmd, scenarios[i]->name))
				run = &scenarios[i];
	}
	if (!run && strcmp(cmd, "info")) {
		fprintf(stderr, "mmiobench: unknown command '%s' (exit, irq, notify, sweep, info, list, compare; see --help)\n", cmd);
		return 2;
	}
	bench_opts_defaults(&o);
	optind = 2;
	if (bench_opts_parse(&o, argc, argv) < 0)
		return 2;
	if (!strcmp(cmd, "info"))
		return cmd_info();
	/* Before anything is probed or written: a kind that is not there would
	 * otherwise select nothing and "succeed". */
	if (bench_kinds_check(run, nrun, o.kinds, stderr) < 0)
		return 2;
	if (bench_begin(&c, &o, run, nrun, argc, argv) < 0)
		return 2;
	bench_run_scenarios(&c, run, nrun);
	return bench_end(&c);
}
