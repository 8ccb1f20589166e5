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

/* ---- port and MMIO accessors ------------------------------------------ */
GUEST_INLINE void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port) : "memory"); }
GUEST_INLINE void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port) : "memory"); }
GUEST_INLINE void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port) : "memory"); }
GUEST_INLINE uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory"); return v; }
GUEST_INLINE uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory"); return v; }
GUEST_INLINE uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory"); return v; }

/* One mov each, so every MMIO access is exactly one exit of that width. */
GUEST_INLINE void mmio_write8(uint64_t a, uint8_t v) { __asm__ volatile("movb %1, %0" : "=m"(*(volatile uint8_t *)a) : "q"(v) : "memory"); }
GUEST_INLINE void mmio_write16(uint64_t a, uint16_t v) { __asm__ volatile("movw %1, %0" : "=m"(*(volatile uint16_t *)a) : "r"(v) : "memory"); }
GUEST_INLINE void mmio_write32(uint64_t a, uint32_t v) { __asm__ volatile("movl %1, %0" : "=m"(*(volatile uint32_t *)a) : "r"(v) : "memory"); }
GUEST_INLINE void mmio_write64(uint64_t a, uint64_t v) { __asm__ volatile("movq %1, %0" : "=m"(*(volatile uint64_t *)a) : "r"(v) : "memory"); }
GUEST_INLINE uint8_t mmio_read8(uint64_t a) { uint8_t v; __asm__ volatile("movb %1, %0" : "=q"(v) : "m"(*(volatile uint8_t *)a) : "memory"); return v; }
GUEST_INLINE uint16_t mmio_read16(uint64_t a) { uint16_t v; __asm__ volatile("movw %1, %0" : "=r"(v) : "m"(*(volatile uint16_t *)a) : "memory"); return v; }
GUEST_INLINE uint32_t mmio_read32(uint64_t a) { uint32_t v; __asm__ volatile("movl %1, %0" : "=r"(v) : "m"(*(volatile uint32_t *)a) : "memory"); return v; }
GUEST_INLINE uint64_t mmio_read64(uint64_t a) { uint64_t v; __asm__ volatile("movq %1, %0" : "=r"(v) : "m"(*(volatile uint64_t *)a) : "memory"); return v; }

/* ---- barriers, TSC, CPU control --------------------------------------- */
GUEST_INLINE void barrier(void) { __asm__ volatile("" ::: "memory"); }
GUEST_INLINE void guest_mb(void) { __asm__ volatile("mfence" ::: "memory"); }
/* x86 is TSO: store->store and load->load need only a compiler barrier. */
GUEST_INLINE void guest_wmb(void) { barrier(); }
GUEST_INLINE void guest_rmb(void) { barrier(); }

/* rdtsc fenced on both sides so the timed region is neither entered early
 * nor left late (measurement.md). Values are TSC ticks, not cycles. */
GUEST_INLINE uint64_t rdtsc_fenced(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

GUEST_INLINE void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
GUEST_INLINE void cli(void) { __asm__ volatile("cli" ::: "memory"); }
GUEST_INLINE void sti(void) { __asm__ volatile("sti" ::: "memory"); }
GUEST_INLINE void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* sti takes effect after the next instruction, so no interrupt is lost
 * between the check and the halt. */
GUEST_INLINE void safe_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

GUEST_INLINE unsigned int guest_cpl(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

GUEST_INLINE void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub) : "memory");
}

GUEST_INLINE uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }

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

/* Exceptions and interrupts (guest/x86/idt.c). A handler returns normally to
 * resume the interrupted code; an unhandled vector reports UCALL_UNHANDLED. */
typedef void (*guest_handler_t)(struct ex_regs *regs);
extern guest_handler_t guest_handlers[256];

#endif
