/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 half of the guest/host ABI (abi.h includes it): the guest-physical
 * map, the GDT selectors and IDT vectors the host sets up, the LAPIC
 * registers guest code touches, and the register frame of the IDT stubs.
 * Assembler-safe: the .S files in guest/x86/ include it (the Makefile defines
 * __ASSEMBLY__ for them, which <linux/const.h>'s _AC() needs).
 */
#ifndef MMIOBENCH_ABI_ARCH_H
#define MMIOBENCH_ABI_ARCH_H

#include <linux/const.h>

/* Guest-physical map (identity-mapped: GVA == GPA). */
#define GUEST_PAGE_SIZE		_AC(0x1000, ULL)
#define GUEST_LARGE_PAGE_SIZE	_AC(0x200000, ULL)
#define VIRTIO_MMIO_BASE	_AC(0xd0000000, ULL)	/* device 0; device n at +n*4 KiB */
#define VIRTIO_MMIO_WINDOW	_AC(0x1000, ULL)
#define VIRTIO_MMIO_GSI		5		/* device 0; device n at GSI 5+n */
#define TEST_MMIO_BASE		_AC(0xc0000000, ULL)	/* scratch MMIO window for tests */
#define IOAPIC_BASE		_AC(0xfec00000, ULL)
#define LAPIC_BASE		_AC(0xfee00000, ULL)

/* ucall doorbell: outside every memslot, so a write always exits. MMIO, not
 * a port: PVM runs CPL3 with IOPL forced to 0, so OUT from CPL3 faults. */
#define UCALL_MMIO_ADDR		_AC(0xcfff0000, ULL)
#define TEST_PIO_PORT		0x2000

/* xAPIC registers (offsets from LAPIC_BASE). */
#define APIC_REG_ID		0x20
#define APIC_REG_TPR		0x80
#define APIC_REG_EOI		0xb0
#define APIC_REG_SVR		0xf0
#define APIC_REG_LVT0		0x350
#define APIC_SVR_ENABLE		0x100

/* GDT selectors set up by the host (harness/x86/vm.c). */
#define GDT_KERNEL_CS		0x08
#define GDT_KERNEL_DS		0x10
#define GDT_USER_DS		0x1b	/* index 3, RPL 3 */
#define GDT_USER_CS		0x23	/* index 4, RPL 3 */
#define GDT_TSS			0x28	/* index 5: vCPU 0's TSS, 16 bytes */
/* Each vCPU has its own TSS and descriptor (TR must name the vCPU's own
 * TSS, for RSP0 and for anything that reads the GDT). */
#define GDT_TSS_SEL(vcpu_id)	(GDT_TSS + 16 * (vcpu_id))

/* IDT vectors. Device interrupts: IOAPIC pin n -> GUEST_IRQ_VECTOR(n). The
 * halt gate lets CPL3 code wait for an interrupt (HLT is CPL0-only). */
#define GUEST_IRQ_VECTOR_BASE	0x30
#define GUEST_IRQ_VECTOR(gsi)	(GUEST_IRQ_VECTOR_BASE + (gsi))
#define GUEST_HALT_VECTOR	0x81
#define GUEST_SPURIOUS_VECTOR	0xff

#ifndef __ASSEMBLY__
#include <stdint.h>

/* Register frame the IDT stubs push before calling the C router. */
struct ex_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* hardware frame */
};
#endif

#endif
