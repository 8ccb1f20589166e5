/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP output and assertions for every test program (unit and KVM).
 *
 * A program either runs a table of cases with ktap_run_cases(), where each
 * case uses CHECK()/CHECK_EQ() (non-fatal, the case fails), or drives KTAP by
 * hand with ktap_plan()/ktap_result(). TEST_ASSERT() is fatal: it prints the
 * file:line, the expression, errno and a message, then exits 1; the runner
 * counts the cases that never reported as failed. ktap_skip_all() is for a
 * missing /dev/kvm or capability only: it prints "1..0 # SKIP reason", exit 4.
 */
#ifndef MMIOBENCH_TEST_UTIL_H
#define MMIOBENCH_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define KSFT_SKIP 4

void ktap_plan(int n);
void ktap_result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktap_result_skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn)) ktap_skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit status for the program: 0 if every reported case passed. */
int ktap_exit_code(void);

struct ktap_case {
	const char *name;
	void (*fn)(void);
};
/* Prints the header and plan, runs each case, returns the exit code. */
int ktap_run_cases(const struct ktap_case *cases, int n);
#define KTAP_CASE(fn) { #fn, fn }
#define KTAP_RUN(cases) ktap_run_cases(cases, (int)(sizeof(cases) / sizeof((cases)[0])))

/* Non-fatal checks inside a case. */
void ktap_check_failed(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define CHECK(cond) do { if (!(cond)) ktap_check_failed(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECK_EQ(a, b) do { long long __a = (long long)(a), __b = (long long)(b); \
	if (__a != __b) ktap_check_failed(__FILE__, __LINE__, "%s == %s: %lld (0x%llx) != %lld (0x%llx)", \
		#a, #b, __a, (unsigned long long)__a, __b, (unsigned long long)__b); } while (0)

void __attribute__((noreturn)) test_assert_fail(const char *file, int line, const char *expr,
						const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define TEST_ASSERT(cond, fmt, ...) do { if (!(cond)) \
	test_assert_fail(__FILE__, __LINE__, #cond, fmt, ##__VA_ARGS__); } while (0)
#define TEST_FAIL(fmt, ...) test_assert_fail(__FILE__, __LINE__, "failure", fmt, ##__VA_ARGS__)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
