// SPDX-License-Identifier: GPL-2.0
/* Guest timed loops (see include/x86/guest_bench.h). One macro makes them all,
 * so every loop differs from the empty one only by its access. */
#include <linux/virtio_mmio.h>

#include "guest_apic.h"
#include "guest_bench.h"

#define DEFINE_TIMED_LOOP(name, ACCESS)						\
void name(uint64_t addr, uint64_t value, uint64_t n, uint64_t *out)		\
{										\
	(void)addr;								\
	(void)value;								\
	for (uint64_t i = 0; i < n; i++) {					\
		uint64_t t0 = rdtsc_fenced();					\
		ACCESS;								\
		out[i] = rdtsc_fenced() - t0;					\
	}									\
}

static inline __attribute__((always_inline, GUEST_ATTRS)) void do_cpuid(uint32_t leaf)
{
	uint32_t a, b, c, d;

	cpuid(leaf, 0, &a, &b, &c, &d);
}

DEFINE_TIMED_LOOP(timed_empty, barrier())
DEFINE_TIMED_LOOP(timed_mmio_write32, mmio_write32(addr, (uint32_t)value))
DEFINE_TIMED_LOOP(timed_mmio_read32, (void)mmio_read32(addr))
DEFINE_TIMED_LOOP(timed_pio_out32, outl((uint16_t)addr, (uint32_t)value))
DEFINE_TIMED_LOOP(timed_cpuid, do_cpuid((uint32_t)addr))
/* An unknown hypercall number: KVM answers -KVM_ENOSYS inside the kernel. */
DEFINE_TIMED_LOOP(timed_vmcall, ({ uint64_t r = addr; __asm__ volatile("vmcall" : "+a"(r) :: "memory"); }))
DEFINE_TIMED_LOOP(timed_vmmcall, ({ uint64_t r = addr; __asm__ volatile("vmmcall" : "+a"(r) :: "memory"); }))
DEFINE_TIMED_LOOP(timed_irq_service, ({
	uint32_t isr = mmio_read32(addr + VIRTIO_MMIO_INTERRUPT_STATUS);
	mmio_write32(addr + VIRTIO_MMIO_INTERRUPT_ACK, isr);
	lapic_eoi();
}))
