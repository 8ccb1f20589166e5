/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest/host ABI: the one header both sides include for shared layouts,
 * addresses and ports. Anything the guest writes and the host reads (or the
 * reverse) is declared here and nowhere else.
 */
#ifndef MMIOBENCH_ABI_H
#define MMIOBENCH_ABI_H

#include <stdint.h>

/* Guest-physical map (identity-mapped: GVA == GPA). */
#define GUEST_PAGE_SIZE		0x1000ULL
#define GUEST_LARGE_PAGE_SIZE	0x200000ULL
#define GUEST_RAM_DEFAULT_BYTES	(128ULL << 20)
#define VIRTIO_MMIO_BASE	0xd0000000ULL	/* device 0; device n at +n*4 KiB */
#define VIRTIO_MMIO_WINDOW	0x1000ULL
#define VIRTIO_MMIO_GSI		5		/* device 0; device n at GSI 5+n */
#define TEST_MMIO_BASE		0xc0000000ULL	/* scratch MMIO window for tests */
#define IOAPIC_BASE		0xfec00000ULL
#define LAPIC_BASE		0xfee00000ULL

/* ucall doorbell: outside every memslot, so a write always exits. MMIO, not
 * a port: PVM runs CPL3 with IOPL forced to 0, so OUT from CPL3 faults. */
#define UCALL_MMIO_ADDR		0xcfff0000ULL
#define TEST_PIO_PORT		0x2000

/* GDT selectors set up by the host (harness/x86.c). */
#define GDT_KERNEL_CS		0x08
#define GDT_KERNEL_DS		0x10
#define GDT_USER_DS		0x1b	/* index 3, RPL 3 */
#define GDT_USER_CS		0x23	/* index 4, RPL 3 */
#define GDT_TSS			0x28	/* index 5, 16 bytes */

/* IDT vectors. Device interrupts: IOAPIC pin n -> GUEST_IRQ_VECTOR(n). The
 * halt gate lets CPL3 code wait for an interrupt (HLT is CPL0-only). */
#define GUEST_IRQ_VECTOR_BASE	0x30
#define GUEST_IRQ_VECTOR(gsi)	(GUEST_IRQ_VECTOR_BASE + (gsi))
#define GUEST_HALT_VECTOR	0x81
#define GUEST_SPURIOUS_VECTOR	0xff

/* ucall: the guest fills a struct ucall in its own memory and writes its
 * guest-physical address with one 8-byte store to UCALL_MMIO_ADDR. */
enum ucall_type {
	UCALL_NONE = 0,
	UCALL_SYNC,	/* args[] carry values for the host */
	UCALL_PRINTF,	/* buffer holds a formatted line */
	UCALL_ASSERT,	/* buffer holds the expression; file/line; args[0..1] values */
	UCALL_DONE,	/* guest_code finished */
	UCALL_UNHANDLED,/* unexpected exception: args = vector, error code, rip, cr2 */
};

#define UCALL_MAX_ARGS	6
#define UCALL_BUF_LEN	256

struct ucall {
	uint32_t type;		/* enum ucall_type */
	uint32_t cpl;		/* privilege level the guest issued it from */
	uint32_t line;
	uint32_t nargs;
	uint64_t args[UCALL_MAX_ARGS];
	uint64_t file;		/* guest address of __FILE__ (same in host) */
	char buffer[UCALL_BUF_LEN];
};

/* Register frame the IDT stubs push before calling the C router. */
struct ex_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* hardware frame */
};

/* Benchmark parameter blocks: the host writes one into guest memory and
 * passes its address; the guest writes the results back into it. */
struct bench_notify_params {
	/* in */
	uint64_t requests;		/* timed requests */
	uint64_t warmup;		/* requests completed before timing */
	uint32_t queue_size;
	uint32_t batch;			/* requests added per notification decision */
	uint32_t event_idx;		/* negotiate VIRTIO_RING_F_EVENT_IDX */
	uint32_t completion_irq;	/* 0: poll the used ring, 1: wait for the interrupt */
	uint64_t ring_gpa, slots_gpa, reqs_gpa;
	/* out, for the timed part only */
	uint64_t ticks;
	uint64_t kicks, kicks_suppressed;	/* notifications sent / suppressed */
	uint64_t irqs;				/* interrupts the guest took */
	uint64_t completed, bad_status;
	int64_t error;				/* < 0: set-up failed */
	uint64_t liveness_reads;		/* Status reads (MMIO exits) while waiting */
};
/* IRQ delivery: the guest announces each wait in `ready`; the host injects. */
struct bench_irq_params {
	uint64_t total;			/* interrupts to take */
	uint32_t halted;		/* wait halted (1) or spinning (0) */
	uint32_t pad;
	volatile uint64_t ready;	/* guest: i + 1 when waiting for interrupt i */
};

/* Round trip: notify -> device completes -> interrupt -> ISR entry. */
struct bench_rt_params {
	uint64_t total;
	uint64_t ring_gpa, slots_gpa, req_gpa, data_gpa, out_gpa;
	uint64_t bad_status;
	int64_t error;
};
#endif
