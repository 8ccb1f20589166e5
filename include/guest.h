/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What guest code may use. Guest code runs inside the VM at CPL0 or CPL3 and
 * never calls libc: only functions in guest/ (section guest_text) and the
 * always-inline helpers below. scripts/check_guest_calls.py enforces this on
 * every linked binary.
 *
 * Functions written inside a test or benchmark file that run in the guest are
 * marked GUEST_CODE; helpers in headers are GUEST_INLINE.
 */
#ifndef MMIOBENCH_GUEST_H
#define MMIOBENCH_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"

#define GUEST_ATTRS	target("general-regs-only"), no_sanitize("address", "undefined"), \
			no_instrument_function
#define GUEST_CODE	__attribute__((section("guest_text"), noinline, GUEST_ATTRS))
#define GUEST_INLINE	static inline __attribute__((always_inline, GUEST_ATTRS))

GUEST_INLINE void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* The architecture's accessors, barriers, TSC and CPU control. */
#include "guest_arch.h"

/* ---- guest library (guest/, section guest_text) --------------------- */
void *guest_memcpy(void *dst, const void *src, size_t n);
void *guest_memset(void *dst, int c, size_t n);
int guest_memcmp(const void *a, const void *b, size_t n);
size_t guest_strlen(const char *s);
int guest_vsnprintf(char *buf, size_t n, const char *fmt, __builtin_va_list ap);
int guest_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ucall (guest/ucall.c) */
void ucall(uint32_t type, uint32_t nargs, ...);
void ucall_assert(const char *file, uint32_t line, const char *expr, uint64_t a, uint64_t b);
void ucall_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn)) ucall_done(void);

#define __GUEST_NARGS(...) (sizeof((uint64_t[]){0, ##__VA_ARGS__}) / sizeof(uint64_t) - 1)
#define GUEST_SYNC(...)		ucall(UCALL_SYNC, __GUEST_NARGS(__VA_ARGS__), ##__VA_ARGS__)
#define GUEST_PRINTF(...)	ucall_printf(__VA_ARGS__)
#define GUEST_DONE()		ucall_done()
#define GUEST_ASSERT(cond) do { if (!(cond)) \
	ucall_assert(__FILE__, __LINE__, #cond, 0, 0); } while (0)
#define GUEST_ASSERT_EQ(a, b) do { uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b); \
	if (__a != __b) ucall_assert(__FILE__, __LINE__, #a " == " #b, __a, __b); } while (0)
#endif
