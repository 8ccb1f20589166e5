/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupt entries for the IRQ benchmarks. Their third instruction reads
 * the TSC, so a stamp is as close to "the ISR's first instruction" as the
 * guest can get without clobbering the interrupted code's registers. Only
 * the first stamp after isr_stamp_flag was cleared is kept; every entry
 * counts, and EOIs the LAPIC.
 *
 * guest_isr_stamp:        a bare interrupt (host-injected, no device).
 * guest_isr_virtio_stamp: a virtio-mmio device 0 interrupt: also reads
 *                         InterruptStatus and acks it, as any driver must
 *                         before EOI (or a level line fires again at once).
 */
#include <linux/virtio_mmio.h>

#include "abi_arch.h"

#define LAPIC_EOI_ADDR		(LAPIC_BASE + APIC_REG_EOI)
#define VIRTIO0_ISR_ADDR	(VIRTIO_MMIO_BASE + VIRTIO_MMIO_INTERRUPT_STATUS)

	.section .bss
	.balign 8
	.globl isr_stamp_tsc, isr_stamp_count, isr_stamp_flag
isr_stamp_tsc:		.quad 0
isr_stamp_count:	.quad 0
isr_stamp_flag:		.long 0
	.long 0

	.section guest_text, "ax"

.macro STAMP_ENTRY
	pushq %rax
	pushq %rdx
	rdtsc
	cmpl $0, isr_stamp_flag(%rip)
	jne 1f
	movl %eax, isr_stamp_tsc(%rip)
	movl %edx, isr_stamp_tsc+4(%rip)
1:
.endm

/* After the stamp, so outside what is timed: an interrupt taken inside STI's
 * shadow returns past the HLT it preempted (guest/x86/idt.c says why).
 * Frame: rdx, rax, then RIP at 16(%rsp) and CS at 24(%rsp). */
.macro STAMP_EXIT
	movl $1, isr_stamp_flag(%rip)
	lock incq isr_stamp_count(%rip)
	movl $LAPIC_EOI_ADDR, %eax
	movl $0, (%rax)
	movq 16(%rsp), %rax
	testb $3, 24(%rsp)
	jnz 2f
	cmpb $0xf4, (%rax)	/* HLT */
	jne 2f
	cmpb $0xfb, -1(%rax)	/* after STI */
	jne 2f
	incq 16(%rsp)
	lock incq guest_hlt_shadow_skips(%rip)
2:
	popq %rdx
	popq %rax
	iretq
.endm

	.globl guest_isr_stamp
	.balign 16
guest_isr_stamp:
	STAMP_ENTRY
	STAMP_EXIT

	.globl guest_isr_virtio_stamp
	.balign 16
guest_isr_virtio_stamp:
	STAMP_ENTRY
	movl $VIRTIO0_ISR_ADDR, %edx
	movl (%rdx), %eax	/* InterruptStatus */
	movl %eax, (VIRTIO_MMIO_INTERRUPT_ACK - VIRTIO_MMIO_INTERRUPT_STATUS)(%rdx)	/* exactly the bits seen */
	STAMP_EXIT

	.section .note.GNU-stack, "", @progbits
