/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest/host ABI: the one header both sides include for shared layouts,
 * addresses and ports. Anything the guest writes and the host reads (or the
 * reverse) is declared here, or in the architecture's abi_arch.h that it
 * includes, and nowhere else.
 */
#ifndef MMIOBENCH_ABI_H
#define MMIOBENCH_ABI_H

#include <stdint.h>

#include "abi_arch.h"	/* the guest-physical map, vectors, register frame */

#define GUEST_RAM_DEFAULT_BYTES	(128ULL << 20)

/* ucall: the guest fills a struct ucall in its own memory and writes its
 * guest-physical address with one 8-byte store to UCALL_MMIO_ADDR. */
enum ucall_type {
	UCALL_NONE = 0,
	UCALL_SYNC,	/* args[] carry values for the host */
	UCALL_PRINTF,	/* buffer holds a formatted line */
	UCALL_ASSERT,	/* buffer holds the expression; file/line; args[0..1] values */
	UCALL_DONE,	/* guest_code finished; args[0] = ucall_done()'s frame address */
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
