// SPDX-License-Identifier: GPL-2.0
/* LAPIC and IOAPIC programming from inside the guest. */
#include "guest_apic.h"

void lapic_enable(void)
{
	lapic_write(APIC_REG_SVR, APIC_SVR_ENABLE | GUEST_SPURIOUS_VECTOR);
	lapic_write(APIC_REG_TPR, 0);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_WINDOW, v);
}

static uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_WINDOW);
}

void ioapic_route(uint32_t pin, uint8_t vector, bool level, bool masked)
{
	uint32_t lo = vector | (level ? 1u << 15 : 0) | (masked ? 1u << 16 : 0);

	ioapic_write(IOAPIC_REDTBL(pin) + 1, 0);	/* destination APIC 0 */
	ioapic_write(IOAPIC_REDTBL(pin), lo);
}

uint64_t ioapic_read_redir(uint32_t pin)
{
	return ((uint64_t)ioapic_read(IOAPIC_REDTBL(pin) + 1) << 32) | ioapic_read(IOAPIC_REDTBL(pin));
}

void guest_halt_unless(const volatile uint32_t *wake_flag)
{
	if (guest_cpl() == 3) {
		__asm__ volatile("int %1" :: "D"(wake_flag), "i"(GUEST_HALT_VECTOR) : "memory");
		return;
	}
	cli();
	if (*wake_flag)
		sti();
	else
		safe_halt();
}
