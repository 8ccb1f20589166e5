/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest timed loops (guest/x86/timed_loops.c). Each runs n iterations of one
 * access between two fenced TSC reads and stores the ticks of iteration i
 * in out[i]. The empty loop has the same shape without the access: its
 * median is the floor subtracted from the others at the same CPL.
 * Signature: (addr, value, n, out); not every loop uses addr and value.
 */
#ifndef MMIOBENCH_GUEST_BENCH_H
#define MMIOBENCH_GUEST_BENCH_H

#include <stdint.h>

typedef void (*timed_loop_fn)(uint64_t addr, uint64_t value, uint64_t n, uint64_t *out);

void timed_empty(uint64_t addr, uint64_t value, uint64_t n, uint64_t *out);
void timed_mmio_write32(uint64_t addr, uint64_t value, uint64_t n, uint64_t *out);
void timed_mmio_read32(uint64_t addr, uint64_t value, uint64_t n, uint64_t *out);
void timed_pio_out32(uint64_t port, uint64_t value, uint64_t n, uint64_t *out);
void timed_cpuid(uint64_t leaf, uint64_t value, uint64_t n, uint64_t *out);
void timed_vmcall(uint64_t nr, uint64_t value, uint64_t n, uint64_t *out);	/* Intel */
void timed_vmmcall(uint64_t nr, uint64_t value, uint64_t n, uint64_t *out);	/* AMD */
/* InterruptStatus read + InterruptACK write + LAPIC EOI: the guest's cost
 * of servicing a virtio-mmio interrupt (addr = device window). */
void timed_irq_service(uint64_t base, uint64_t value, uint64_t n, uint64_t *out);


/* guest/x86/isr_stamp.S: interrupt entries that stamp the TSC on arrival. The
 * guest clears isr_stamp_flag before each expected interrupt; the entry
 * keeps the first stamp, sets the flag and bumps the count. */
extern volatile uint64_t isr_stamp_tsc, isr_stamp_count;
extern volatile uint32_t isr_stamp_flag;
void guest_isr_stamp(void);
void guest_isr_virtio_stamp(void);

#endif
