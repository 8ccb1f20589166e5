/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 64-bit guest set-up by state, as pure functions over a guest-memory view so
 * they can be unit tested without KVM: identity page tables, GDT/TSS/IDT
 * encodings. harness/vm.c applies them to a VM.
 */
#ifndef MMIOBENCH_X86_H
#define MMIOBENCH_X86_H

#include <stdint.h>
#include <linux/kvm.h>
#include <asm/processor-flags.h>	/* X86_CR0_*, X86_CR4_*, X86_EFLAGS_* */
#include "guest_mem.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PS		(1ULL << 7)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

/* EFER is an MSR: its bits are not in the UAPI headers. */
#define X86_EFER_LME	(1UL << 8)
#define X86_EFER_LMA	(1UL << 10)

/* Page-table pages the identity map needs: PML4, PDPT and 4 PDs. */
#define X86_IDMAP_TABLE_PAGES	6
#define X86_IDMAP_BYTES		(4ULL << 30)

/* Identity-maps the low 4 GiB with 2 MiB pages, user-accessible (so one
 * guest function can run at CPL0 and CPL3 alike), writable; everything from
 * uncached_from up (the MMIO windows, IOAPIC, LAPIC) is PCD|PWT. Tables are
 * written to X86_IDMAP_TABLE_PAGES consecutive pages at tables_gpa.
 * Returns the PML4 GPA, or 0 if the tables do not fit in mem. */
uint64_t x86_build_identity_map(struct guest_mem *mem, uint64_t tables_gpa, uint64_t uncached_from);
/* Walks the tables like the MMU: returns the GPA for gva and the leaf's
 * flags, or -1 if not present. */
int64_t x86_walk(const struct guest_mem *mem, uint64_t pml4_gpa, uint64_t gva, uint64_t *flags);

/* Segment descriptor (8 bytes) for a code/data segment; system segments
 * (the TSS) take 16 bytes: x86_encode_tss_desc. */
uint64_t x86_encode_seg_desc(const struct kvm_segment *s);
void x86_encode_tss_desc(const struct kvm_segment *s, uint64_t out[2]);
/* 64-bit interrupt gate (16 bytes). */
void x86_encode_idt_gate(uint64_t handler, uint16_t cs, unsigned int dpl, uint64_t out[2]);

void x86_segment_code64(struct kvm_segment *s, uint16_t sel, unsigned int dpl);
void x86_segment_data(struct kvm_segment *s, uint16_t sel, unsigned int dpl);
void x86_segment_tss(struct kvm_segment *s, uint16_t sel, uint64_t base, uint32_t limit);

struct x86_tss64 {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#endif
