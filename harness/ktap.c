// SPDX-License-Identifier: GPL-2.0
/* KTAP writer and test assertions (see include/test_util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static int ktap_next = 1;
static int ktap_failures;
static int case_failures;

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void ktap_plan(int n)
{
	printf("KTAP version 1\n1..%d\n", n);
	fflush(stdout);
}

void ktap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		ktap_failures++;
	printf("%s %d ", ok ? "ok" : "not ok", ktap_next++);
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

void ktap_result_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d ", ktap_next++);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
}

void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void ktap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("KTAP version 1\n1..0 # SKIP ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(KSFT_SKIP);
}

int ktap_exit_code(void)
{
	return ktap_failures ? 1 : 0;
}

void ktap_check_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	case_failures++;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

int ktap_run_cases(const struct ktap_case *cases, int n)
{
	ktap_plan(n);
	for (int i = 0; i < n; i++) {
		case_failures = 0;
		cases[i].fn();
		ktap_result(case_failures == 0, "%s", cases[i].name);
	}
	return ktap_exit_code();
}

void test_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	printf("# FAIL %s:%d: %s: ", file, line, expr);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	printf(" (errno %d: %s)\n", err, strerror(err));
	fflush(stdout);
	exit(1);
}
