/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest LAPIC (xAPIC, MMIO at LAPIC_BASE) and IOAPIC helpers. The host
 * already software-enables the LAPIC and masks LINT0 (harness/vm.c), so a
 * guest needs only ioapic_route() and lapic_eoi(). Both are plain MMIO
 * stores handled inside KVM, usable from CPL0 and CPL3 (pages are
 * user-accessible).
 */
#ifndef MMIOBENCH_GUEST_APIC_H
#define MMIOBENCH_GUEST_APIC_H

#include "guest.h"

/* APIC_REG_* (xAPIC register offsets) are in abi_arch.h. */
#define IOAPIC_REGSEL	0x00
#define IOAPIC_WINDOW	0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))

GUEST_INLINE void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }
GUEST_INLINE uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_BASE + reg); }
GUEST_INLINE void lapic_eoi(void) { lapic_write(APIC_REG_EOI, 0); }

/* Software-enable the LAPIC with the spurious vector, accept all priorities. */
void lapic_enable(void);
/* Route IOAPIC pin to vector on APIC 0, fixed delivery. */
void ioapic_route(uint32_t pin, uint8_t vector, bool level, bool masked);
uint64_t ioapic_read_redir(uint32_t pin);

#endif
