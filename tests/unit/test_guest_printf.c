// SPDX-License-Identifier: GPL-2.0
/* guest/printf.c called from the host: each conversion against the exact
 * text (and, where the formats agree, against libc's snprintf). */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "guest.h"
#include "test_util.h"

/* Checks one format: the text, the return value (full length) and that
 * libc agrees. */
static void check_vfmt(int line, const char *want, bool libc_too, const char *fmt, va_list ap)
{
	char got[128], ref[128];
	va_list ap2;
	int r;

	va_copy(ap2, ap);
	r = guest_vsnprintf(got, sizeof(got), fmt, ap);
	if (strcmp(got, want) || r != (int)strlen(want))
		ktap_check_failed(__FILE__, line, "guest_snprintf(\"%s\") = \"%s\" (%d), want \"%s\" (%zu)",
				  fmt, got, r, want, strlen(want));
	if (libc_too) {
		vsnprintf(ref, sizeof(ref), fmt, ap2);
		if (strcmp(ref, want))
			ktap_check_failed(__FILE__, line, "libc disagrees on \"%s\": \"%s\"", fmt, ref);
	}
	va_end(ap2);
}

static void __attribute__((format(printf, 3, 4))) check_fmt(int line, const char *want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vfmt(line, want, true, fmt, ap);
	va_end(ap);
}

/* For what libc does differently or the compiler rejects as a format. */
static void check_guest_only(int line, const char *want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vfmt(line, want, false, fmt, ap);
	va_end(ap);
}
#define FMT(want, ...) check_fmt(__LINE__, want, __VA_ARGS__)
#define FMT_GUEST_ONLY(want, ...) check_guest_only(__LINE__, want, __VA_ARGS__)

static void signed_decimal(void)
{
	FMT("0", "%d", 0);
	FMT("-42", "%d", -42);
	FMT("-1", "%i", -1);
	FMT("-2147483648", "%d", INT_MIN);
	FMT("2147483647", "%i", INT_MAX);
	FMT("-9223372036854775808", "%ld", LONG_MIN);
	FMT("-9223372036854775807", "%lld", -LLONG_MAX);
	FMT("9223372036854775807", "%li", LONG_MAX);
}

static void unsigned_and_hex(void)
{
	FMT("4294967295", "%u", UINT_MAX);
	FMT("18446744073709551615", "%lu", ULONG_MAX);
	FMT("42", "%zu", (size_t)42);
	FMT("deadbeef", "%x", 0xdeadbeefU);
	FMT("DEADBEEF", "%X", 0xdeadbeefU);
	FMT("123456789abcdef0", "%lx", 0x123456789abcdef0UL);
	FMT("ffffffffffffffff", "%llx", ~0ULL);
	FMT("0", "%x", 0U);
	/* An int argument of -1 under %x is its 32-bit pattern, not 64 bits. */
	FMT("ffffffff", "%x", -1);
}

static void pointers_strings_chars(void)
{
	FMT("0x1234", "%p", (void *)0x1234);
	FMT("0xffffffffffffffff", "%p", (void *)~0UL);
	FMT_GUEST_ONLY("0x0", "%p", (void *)0);		/* glibc prints (nil) */
	FMT("abc", "%s", "abc");
	FMT("", "%s", "");
	FMT_GUEST_ONLY("(null)", "%s", (char *)NULL);
	FMT("Z", "%c", 'Z');
	FMT("100%", "100%%");
	FMT("a%b", "a%%b");
	FMT("x=1 y=ff s=hi c=!", "x=%d y=%x s=%s c=%c", 1, 0xff, "hi", '!');
	FMT_GUEST_ONLY("%q", "%q");			/* unknown: printed as is */
}

static void width_and_padding(void)
{
	FMT("   42", "%5d", 42);
	FMT("00042", "%05d", 42);
	FMT("-0042", "%05d", -42);
	FMT("  -42", "%5d", -42);
	FMT("42   |", "%-5d|", 42);
	FMT("0000beef", "%08lx", 0xbeefUL);
	FMT("0000BEEF", "%08X", 0xbeefU);
	FMT("  a", "%3s", "a");
	FMT("a  |", "%-3s|", "a");
	FMT("    x", "%5c", 'x');
	FMT("123456", "%3d", 123456);		/* width is a minimum */
	FMT("      0x10", "%10p", (void *)0x10);
}

static void truncation(void)
{
	char buf[8];
	int r;

	memset(buf, '#', sizeof(buf));
	r = guest_snprintf(buf, sizeof(buf), "%s", "hello world");
	CHECK_EQ(r, 11);
	CHECK(!strcmp(buf, "hello w"));

	memset(buf, '#', sizeof(buf));
	r = guest_snprintf(buf, sizeof(buf), "%d", -1234567);	/* exactly 8 chars: 7 fit */
	CHECK_EQ(r, 8);
	CHECK(!strcmp(buf, "-123456"));

	memset(buf, '#', sizeof(buf));
	r = guest_snprintf(buf, 1, "abc");
	CHECK_EQ(r, 3);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[1], '#');

	memset(buf, '#', sizeof(buf));
	r = guest_snprintf(buf, 0, "abc%d", 12345);		/* size 0: nothing written */
	CHECK_EQ(r, 8);
	CHECK_EQ(buf[0], '#');

	memset(buf, '#', sizeof(buf));
	r = guest_snprintf(buf, sizeof(buf), "%07d", 42);	/* 7 chars + NUL fit exactly */
	CHECK_EQ(r, 7);
	CHECK(!strcmp(buf, "0000042"));
}

int main(void)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(signed_decimal),
		KTAP_CASE(unsigned_and_hex),
		KTAP_CASE(pointers_strings_chars),
		KTAP_CASE(width_and_padding),
		KTAP_CASE(truncation),
	};

	return KTAP_RUN(cases);
}
