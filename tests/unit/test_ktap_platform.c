// SPDX-License-Identifier: GPL-2.0
/*
 * The KTAP writer, byte for byte, and platform facts. KTAP output is checked
 * by re-executing this binary for one scenario with stdout on a pipe, so the
 * scenario starts from fresh KTAP state and its exit status is its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "platform.h"
#include "test_util.h"

/* Runs this binary with the scenario name as argument, its stdout captured
 * into out; returns the exit status (or -1 if it did not exit normally). */
static int capture(const char *scenario, char *out, size_t len)
{
	int pfd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	TEST_ASSERT(!pipe(pfd), "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		close(pfd[0]);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[1]);
		execl("/proc/self/exe", "test_ktap_platform", scenario, (char *)NULL);
		_exit(99);
	}
	close(pfd[1]);
	while (n < len - 1 && (r = read(pfd[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(pfd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CHECK_TEXT(got, want) do { if (strcmp(got, want)) \
	ktap_check_failed(__FILE__, __LINE__, "output differs:\n--- got\n%s--- want\n%s---", got, want); } while (0)

static void scenario_mixed(void)
{
	ktap_plan(4);
	ktap_result(true, "first %d", 1);
	ktap_diag("a diagnostic: %s", "x");
	ktap_result(false, "second");
	ktap_result_skip("no widget (reason 7)", "third %s", "case");
	ktap_result(true, "fourth");
	exit(ktap_exit_code());
}

static void ktap_results_and_exit_code(void)
{
	char out[1024];
	int rc = capture("scenario_mixed", out, sizeof(out));

	CHECK_TEXT(out, "KTAP version 1\n1..4\nok 1 first 1\n# a diagnostic: x\nnot ok 2 second\n"
			"ok 3 third case # SKIP no widget (reason 7)\nok 4 fourth\n");
	CHECK_EQ(rc, 1);
}

static void scenario_all_pass(void)
{
	ktap_plan(2);
	ktap_result(true, "a");
	ktap_result_skip("why", "b");	/* a skip is not a failure */
	exit(ktap_exit_code());
}

static void ktap_pass_and_skip_exit_zero(void)
{
	char out[256];

	CHECK_EQ(capture("scenario_all_pass", out, sizeof(out)), 0);
	CHECK_TEXT(out, "KTAP version 1\n1..2\nok 1 a\nok 2 b # SKIP why\n");
}

static void scenario_skip_all(void)
{
	ktap_skip_all("no %s here", "/dev/kvm");
}

static void ktap_skip_all_exit_4(void)
{
	char out[256];

	CHECK_EQ(capture("scenario_skip_all", out, sizeof(out)), KSFT_SKIP);
	CHECK_TEXT(out, "KTAP version 1\n1..0 # SKIP no /dev/kvm here\n");
}

static void scenario_assert(void)
{
	int answer = 41;

	ktap_plan(1);
	errno = ENOENT;
	TEST_ASSERT(answer == 42, "answer is %d", answer);
	exit(0);
}

static void test_assert_names_file_line_errno(void)
{
	char out[512], want[128];

	CHECK_EQ(capture("scenario_assert", out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "# FAIL %s:", __FILE__);
	CHECK(strstr(out, want));
	CHECK(strstr(out, ": answer == 42: answer is 41 (errno 2: No such file or directory)\n"));
}

static void case_ok(void) { CHECK_EQ(1 + 1, 2); }
static void case_bad(void) { CHECK_EQ(2 + 2, 5); CHECK(0 > 1); } static const int case_bad_line = __LINE__;

static void scenario_cases(void)
{
	static const struct ktap_case cases[] = { KTAP_CASE(case_ok), KTAP_CASE(case_bad), KTAP_CASE(case_ok) };

	exit(KTAP_RUN(cases));
}

static void ktap_run_cases_reports_checks(void)
{
	char out[1024], want[512];
	const int line_eq = case_bad_line;

	CHECK_EQ(capture("scenario_cases", out, sizeof(out)), 1);
	snprintf(want, sizeof(want),
		 "KTAP version 1\n1..3\nok 1 case_ok\n"
		 "# %s:%d: 2 + 2 == 5: 4 (0x4) != 5 (0x5)\n"
		 "# %s:%d: CHECK(0 > 1)\n"
		 "not ok 2 case_bad\nok 3 case_ok\n", __FILE__, line_eq, __FILE__, line_eq);
	CHECK_TEXT(out, want);
}

static void platform_facts(void)
{
	struct platform_info *p = calloc(1, sizeof(*p));
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	TEST_ASSERT(p, "calloc");
	platform_collect(p);
	ktap_diag("hypervisor %s (%s), %d CPUs, kernel %s, %d params", p->hypervisor,
		  p->kvm_module[0] ? p->kvm_module : "none", p->online_cpus, p->kernel_release, p->nr_params);
	CHECK(!strcmp(p->hypervisor, "VMX") || !strcmp(p->hypervisor, "SVM") ||
	      !strcmp(p->hypervisor, "PVM") || !strcmp(p->hypervisor, "unknown"));
	/* The module named is the one that makes the hypervisor what it is. */
	if (!strcmp(p->hypervisor, "PVM"))
		CHECK(!strcmp(p->kvm_module, "kvm_pvm"));
	else if (!strcmp(p->hypervisor, "VMX"))
		CHECK(!strcmp(p->kvm_module, "kvm_intel"));
	else if (!strcmp(p->hypervisor, "SVM"))
		CHECK(!strcmp(p->kvm_module, "kvm_amd"));
	else
		CHECK_EQ(p->kvm_module[0], 0);
	CHECK(p->online_cpus >= 1);
	CHECK(p->kernel_release[0]);
	CHECK(p->nr_params >= 0 && p->nr_params <= PLATFORM_MAX_PARAMS);
	CHECK(p->smt_active >= -1 && p->smt_active <= 1);

	f = fopen("/sys/module/kvm/parameters/halt_poll_ns", "r");
	if (f) {
		char want[64] = "";

		if (fgets(want, sizeof(want), f))
			want[strcspn(want, "\n")] = 0;
		fclose(f);
		CHECK(platform_param(p, "kvm", "halt_poll_ns"));
		CHECK(platform_param(p, "kvm", "halt_poll_ns") &&
		      !strcmp(platform_param(p, "kvm", "halt_poll_ns"), want));
	} else {
		ktap_diag("no /sys/module/kvm: kvm.halt_poll_ns lookup not checked");
	}
	CHECK(!platform_param(p, "kvm", "no_such_parameter"));
	CHECK(!platform_param(p, "no_such_module", "halt_poll_ns"));

	f = open_memstream(&text, &len);
	TEST_ASSERT(f, "open_memstream");
	platform_print(p, f);
	fclose(f);
	CHECK(strstr(text, "hypervisor: ") == text);
	CHECK(strstr(text, p->hypervisor));
	free(text);
	free(p);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } scenarios[] = {
		{ "scenario_mixed", scenario_mixed }, { "scenario_all_pass", scenario_all_pass },
		{ "scenario_skip_all", scenario_skip_all }, { "scenario_assert", scenario_assert },
		{ "scenario_cases", scenario_cases },
	};
	static const struct ktap_case cases[] = {
		KTAP_CASE(ktap_results_and_exit_code),
		KTAP_CASE(ktap_pass_and_skip_exit_zero),
		KTAP_CASE(ktap_skip_all_exit_4),
		KTAP_CASE(test_assert_names_file_line_errno),
		KTAP_CASE(ktap_run_cases_reports_checks),
		KTAP_CASE(platform_facts),
	};

	if (argc == 2) {
		for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
			if (!strcmp(argv[1], scenarios[i].name))
				scenarios[i].fn();	/* exits */
		return 98;
	}
	return KTAP_RUN(cases);
}
