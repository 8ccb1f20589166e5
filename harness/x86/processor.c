// SPDX-License-Identifier: GPL-2.0
/* Long-mode data structures as pure functions (see include/x86/processor.h). */
#include <string.h>

#include "abi.h"
#include "processor.h"

uint64_t x86_build_identity_map(struct guest_mem *mem, uint64_t tables_gpa, uint64_t uncached_from)
{
	uint64_t *pml4 = gmem_ptr(mem, tables_gpa, X86_IDMAP_TABLE_PAGES * GUEST_PAGE_SIZE);
	uint64_t pdpt_gpa = tables_gpa + GUEST_PAGE_SIZE;
	uint64_t *pdpt, *pd;
	const uint64_t table_flags = PTE_P | PTE_RW | PTE_US;

	if (!pml4 || (tables_gpa & (GUEST_PAGE_SIZE - 1)))
		return 0;
	memset(pml4, 0, X86_IDMAP_TABLE_PAGES * GUEST_PAGE_SIZE);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = pdpt_gpa | table_flags;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (pdpt_gpa + (i + 1) * GUEST_PAGE_SIZE) | table_flags;
	for (uint64_t i = 0; i < 4 * 512; i++) {
		uint64_t pa = i * GUEST_LARGE_PAGE_SIZE;
		uint64_t flags = PTE_P | PTE_RW | PTE_US | PTE_PS;

		if (pa >= uncached_from)
			flags |= PTE_PCD | PTE_PWT;
		pd[i] = pa | flags;
	}
	return tables_gpa;
}

int64_t x86_walk(const struct guest_mem *mem, uint64_t pml4_gpa, uint64_t gva, uint64_t *flags)
{
	uint64_t table = pml4_gpa;
	const int shifts[] = { 39, 30, 21, 12 };

	for (int level = 0; level < 4; level++) {
		uint64_t *t = gmem_ptr(mem, table, GUEST_PAGE_SIZE);
		uint64_t e;

		if (!t)
			return -1;
		e = t[(gva >> shifts[level]) & 511];
		if (!(e & PTE_P))
			return -1;
		if ((level == 1 || level == 2) && (e & PTE_PS)) {
			uint64_t size = 1ULL << shifts[level];

			if (flags)
				*flags = e & 0xfff;
			return (int64_t)((e & PTE_ADDR_MASK & ~(size - 1)) | (gva & (size - 1)));
		}
		if (level == 3) {
			if (flags)
				*flags = e & 0xfff;
			return (int64_t)((e & PTE_ADDR_MASK) | (gva & 0xfff));
		}
		table = e & PTE_ADDR_MASK;
	}
	return -1;
}

uint64_t x86_encode_seg_desc(const struct kvm_segment *s)
{
	uint64_t d = 0;
	uint32_t limit = s->g ? s->limit >> 12 : s->limit;

	d |= limit & 0xffff;
	d |= (s->base & 0xffffffULL) << 16;
	d |= (uint64_t)(s->type & 0xf) << 40;
	d |= (uint64_t)(s->s & 1) << 44;
	d |= (uint64_t)(s->dpl & 3) << 45;
	d |= (uint64_t)(s->present & 1) << 47;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(s->avl & 1) << 52;
	d |= (uint64_t)(s->l & 1) << 53;
	d |= (uint64_t)(s->db & 1) << 54;
	d |= (uint64_t)(s->g & 1) << 55;
	d |= ((s->base >> 24) & 0xffULL) << 56;
	return d;
}

void x86_encode_tss_desc(const struct kvm_segment *s, uint64_t out[2])
{
	out[0] = x86_encode_seg_desc(s);
	out[1] = s->base >> 32;
}

void x86_encode_idt_gate(uint64_t handler, uint16_t cs, unsigned int dpl, uint64_t out[2])
{
	out[0] = (handler & 0xffff) | ((uint64_t)cs << 16) |
		 (0xeULL << 40) /* 64-bit interrupt gate */ |
		 ((uint64_t)(dpl & 3) << 45) | (1ULL << 47) |
		 (((handler >> 16) & 0xffff) << 48);
	out[1] = handler >> 32;
}

void x86_segment_code64(struct kvm_segment *s, uint16_t sel, unsigned int dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = 0xb;		/* execute/read, accessed */
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->l = 1;
	s->g = 1;
}

void x86_segment_data(struct kvm_segment *s, uint16_t sel, unsigned int dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = 0x3;		/* read/write, accessed */
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

void x86_segment_tss(struct kvm_segment *s, uint16_t sel, uint64_t base, uint32_t limit)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = 0xb;		/* 64-bit TSS, busy */
	s->present = 1;
}
