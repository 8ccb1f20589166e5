/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What happens when the guest touches MMIO or a port nobody claimed (no bus
 * range, or an access straddling the end of one: e.g. an 8-byte read at
 * 0xffc of a 4 KiB device window, which KVM splits at the page boundary).
 * That is a guest error, not a host failure; the policy is per VM:
 *
 *  UNCLAIMED_STRICT  (vm_create() default: selftests) fail the test naming
 *                    the access, as a selftest must.
 *  UNCLAIMED_WARN    (the benchmark) reads return all ones, writes are
 *                    dropped; each access is counted by kind and the first
 *                    of each kind per VM is logged to stderr. The guest
 *                    keeps running.
 *
 * Either way the access is recorded first, so a test that provokes one in
 * WARN mode inspects the counters and the last access with
 * vm_guest_errors() instead of the process exiting. Counters are updated
 * atomically: several vCPU threads may take such exits at once.
 */
#ifndef MMIOBENCH_UNCLAIMED_H
#define MMIOBENCH_UNCLAIMED_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

enum unclaimed_policy { UNCLAIMED_STRICT, UNCLAIMED_WARN };

enum unclaimed_kind {
	UNCLAIMED_MMIO_READ,
	UNCLAIMED_MMIO_WRITE,
	UNCLAIMED_PIO_IN,
	UNCLAIMED_PIO_OUT,
	UNCLAIMED_NR
};
const char *unclaimed_kind_name(enum unclaimed_kind k);	/* "MMIO read", ... */

struct unclaimed_access {
	enum unclaimed_kind kind;
	uint64_t addr;		/* GPA or port */
	uint32_t len;		/* bytes per access */
	uint32_t count;		/* > 1 for string PIO (rep ins/outs) */
	uint64_t data;		/* first 8 bytes written; 0 for reads */
};

struct vm_guest_errors {
	uint64_t unclaimed[UNCLAIMED_NR];	/* exits, by kind */
	bool have_last;
	struct unclaimed_access last;		/* the most recent one */
	uint32_t logged;			/* private: kinds already logged */
};

struct kvm_vm;
void vm_set_unclaimed_policy(struct kvm_vm *vm, enum unclaimed_policy p);
/* Snapshot of the VM's guest-error record. */
void vm_guest_errors(struct kvm_vm *vm, struct vm_guest_errors *out);
uint64_t vm_unclaimed_total(struct kvm_vm *vm);
/* Unclaimed accesses of every VM this process created, by kind (for a
 * benchmark run's notes: the VMs are gone by then). Returns the sum. */
uint64_t unclaimed_process_totals(uint64_t out[UNCLAIMED_NR]);

/*
 * The exit loop's fallback for an exit no bus range claims. data is the
 * kvm_run data (len * count bytes): filled with all ones for a read under
 * WARN. Under STRICT it does not return.
 */
void vm_unclaimed_access(struct kvm_vm *vm, enum bus_space space, uint64_t addr,
			 uint8_t *data, uint32_t len, uint32_t count, bool is_write);

#endif
