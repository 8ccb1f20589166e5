/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 part of what guest code may use (guest.h includes it): port and
 * MMIO accessors, barriers, the TSC, CPU control, and the exception
 * handler table of guest/x86/idt.c. All always-inline, so nothing here is a
 * call out of guest_text.
 */
#ifndef MMIOBENCH_GUEST_ARCH_H
#define MMIOBENCH_GUEST_ARCH_H

#ifndef MMIOBENCH_GUEST_H
#error "include guest.h, not guest_arch.h"
#endif

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

/* The task register's selector and the GDT's base, for tests that check
 * the per-vCPU descriptors the host wrote (both usable at CPL0 here). */
GUEST_INLINE uint16_t guest_str(void) { uint16_t v; __asm__ volatile("str %0" : "=r"(v)); return v; }
GUEST_INLINE uint64_t guest_gdt_base(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d;

	__asm__ volatile("sgdt %0" : "=m"(d));
	return d.base;
}

/* Halts until the next interrupt unless *wake_flag is already non-zero,
 * without the lost-wakeup race (the check runs with interrupts off). At
 * CPL3, where HLT is privileged, it goes through the halt gate
 * (INT GUEST_HALT_VECTOR). Interrupts are enabled on return.
 * (guest/x86/apic.c) */
void guest_halt_unless(const volatile uint32_t *wake_flag);

/* Exceptions and interrupts (guest/x86/idt.c). A handler returns normally to
 * resume the interrupted code; an unhandled vector reports UCALL_UNHANDLED. */
typedef void (*guest_handler_t)(struct ex_regs *regs);
extern guest_handler_t guest_handlers[256];
/* Interrupts that arrived inside STI's shadow, before the HLT of an
 * STI; HLT, and were made to step over it (idt.c says why). */
extern volatile uint64_t guest_hlt_shadow_skips;

#endif
