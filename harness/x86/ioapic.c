// SPDX-License-Identifier: GPL-2.0
/* The in-kernel IOAPIC, programmed from the host. */
#include "kvm_util.h"

void vm_ioapic_route(struct kvm_vm *vm, uint32_t gsi, uint8_t vector, bool level, bool masked)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	uint64_t e;

	TEST_ASSERT(vm->has_irqchip, "no in-kernel irqchip");
	TEST_ASSERT(gsi < KVM_IOAPIC_NUM_PINS, "IOAPIC pin %u", gsi);
	vm_ioctl(vm, KVM_GET_IRQCHIP, &chip);
	/* Fixed delivery, physical destination APIC 0. */
	e = vector;
	if (level)
		e |= 1ULL << 15;
	if (masked)
		e |= 1ULL << 16;
	chip.chip.ioapic.redirtbl[gsi].bits = e;
	vm_ioctl(vm, KVM_SET_IRQCHIP, &chip);
}
