// SPDX-License-Identifier: GPL-2.0
/* Unclaimed MMIO/PIO accesses: strict or warn-and-count (include/unclaimed.h).
 * Off the hot path: only exits that no device claimed come here. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"

static const char *const kind_names[UNCLAIMED_NR] = {
	[UNCLAIMED_MMIO_READ] = "MMIO read",
	[UNCLAIMED_MMIO_WRITE] = "MMIO write",
	[UNCLAIMED_PIO_IN] = "PIO in",
	[UNCLAIMED_PIO_OUT] = "PIO out",
};

/* Guards every VM's `last` record; the counters are atomics. */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t process_totals[UNCLAIMED_NR];

const char *unclaimed_kind_name(enum unclaimed_kind k)
{
	return (unsigned)k < UNCLAIMED_NR ? kind_names[k] : "?";
}

void vm_set_unclaimed_policy(struct kvm_vm *vm, enum unclaimed_policy p)
{
	vm->unclaimed_policy = p;
}

void vm_guest_errors(struct kvm_vm *vm, struct vm_guest_errors *out)
{
	pthread_mutex_lock(&last_lock);
	*out = vm->guest_errors;
	for (int k = 0; k < UNCLAIMED_NR; k++)
		out->unclaimed[k] = __atomic_load_n(&vm->guest_errors.unclaimed[k], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&last_lock);
}

uint64_t vm_unclaimed_total(struct kvm_vm *vm)
{
	uint64_t n = 0;

	for (int k = 0; k < UNCLAIMED_NR; k++)
		n += __atomic_load_n(&vm->guest_errors.unclaimed[k], __ATOMIC_RELAXED);
	return n;
}

uint64_t unclaimed_process_totals(uint64_t out[UNCLAIMED_NR])
{
	uint64_t n = 0;

	for (int k = 0; k < UNCLAIMED_NR; k++) {
		uint64_t v = __atomic_load_n(&process_totals[k], __ATOMIC_RELAXED);

		if (out)
			out[k] = v;
		n += v;
	}
	return n;
}

void vm_unclaimed_access(struct kvm_vm *vm, enum bus_space space, uint64_t addr,
			 uint8_t *data, uint32_t len, uint32_t count, bool is_write)
{
	struct vm_guest_errors *ge = &vm->guest_errors;
	enum unclaimed_kind k = space == BUS_MMIO ? (is_write ? UNCLAIMED_MMIO_WRITE : UNCLAIMED_MMIO_READ)
						  : (is_write ? UNCLAIMED_PIO_OUT : UNCLAIMED_PIO_IN);
	struct unclaimed_access a = { .kind = k, .addr = addr, .len = len, .count = count ? count : 1 };
	char what[48] = "";
	bool first;

	if (is_write)	/* a read has no data yet */
		memcpy(&a.data, data, len < 8 ? len : 8);
	__atomic_fetch_add(&ge->unclaimed[k], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&process_totals[k], 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&last_lock);
	ge->last = a;
	ge->have_last = true;
	first = !(ge->logged & (1u << k));
	ge->logged |= 1u << k;
	pthread_mutex_unlock(&last_lock);

	if (is_write)
		snprintf(what, sizeof(what), ", data 0x%" PRIx64, a.data);
	if (vm->unclaimed_policy == UNCLAIMED_STRICT)
		TEST_FAIL("unclaimed %s at 0x%" PRIx64 ", %u bytes%s", kind_names[k], addr, len, what);
	if (!is_write)
		memset(data, 0xff, (size_t)len * a.count);
	if (first)	/* a hostile guest must not flood stderr */
		fprintf(stderr, "mmiobench: guest %s at 0x%" PRIx64 ", %u bytes%s, claimed by no device: "
			"%s (counted; logged once per kind)\n", kind_names[k], addr, len, what,
			is_write ? "dropped" : "read as all ones");
}
