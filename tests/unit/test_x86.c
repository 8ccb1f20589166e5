// SPDX-License-Identifier: GPL-2.0
/* harness/x86/processor.c without KVM: the identity map as the MMU would walk it, and
 * descriptor encodings against constants from the SDM / Linux. */
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "test_util.h"
#include "processor.h"

#define MEM_BYTES	(64 * 1024)
#define TABLES_GPA	0x1000
#define UNCACHED_FROM	0xc0000000ULL

static struct guest_mem mem;
static uint64_t pml4;

static void setup(void)
{
	if (!mem.hva) {
		mem.hva = calloc(1, MEM_BYTES);
		mem.size_bytes = MEM_BYTES;
		TEST_ASSERT(mem.hva, "calloc");
	}
	pml4 = x86_build_identity_map(&mem, TABLES_GPA, UNCACHED_FROM);
}

static void identity_low_4g(void)
{
	static const uint64_t addrs[] = {
		0, 0x1, 0xfff, 0x1000, 0x1fffff, 0x200000, 0x200001, 0x3fffff, 0x400000,
		0x3fffffff, 0x40000000, 0x7fffffff, 0xbfffffff, 0xfee00000, 0xffffffff,
	};
	const uint64_t want_flags = PTE_P | PTE_RW | PTE_US | PTE_PS;

	setup();
	CHECK_EQ(pml4, TABLES_GPA);
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		uint64_t flags = 0;

		CHECK_EQ(x86_walk(&mem, pml4, addrs[i], &flags), (int64_t)addrs[i]);
		CHECK_EQ(flags & want_flags, want_flags);
	}
}

static void uncached_from_boundary(void)
{
	uint64_t flags = 0;

	setup();
	CHECK_EQ(x86_walk(&mem, pml4, 0xd0000000ULL, &flags), 0xd0000000LL);
	CHECK_EQ(flags & (PTE_PCD | PTE_PWT), PTE_PCD | PTE_PWT);
	CHECK_EQ(x86_walk(&mem, pml4, UNCACHED_FROM, &flags), (int64_t)UNCACHED_FROM);
	CHECK_EQ(flags & (PTE_PCD | PTE_PWT), PTE_PCD | PTE_PWT);
	CHECK_EQ(x86_walk(&mem, pml4, LAPIC_BASE, &flags), (int64_t)LAPIC_BASE);
	CHECK_EQ(flags & (PTE_PCD | PTE_PWT), PTE_PCD | PTE_PWT);
	/* The last 2 MiB page below the boundary is cacheable. */
	CHECK_EQ(x86_walk(&mem, pml4, UNCACHED_FROM - 1, &flags), (int64_t)(UNCACHED_FROM - 1));
	CHECK_EQ(flags & (PTE_PCD | PTE_PWT), 0);
	CHECK_EQ(x86_walk(&mem, pml4, 0x400000, &flags), 0x400000);
	CHECK_EQ(flags & (PTE_PCD | PTE_PWT), 0);
}

static void above_4g_not_present(void)
{
	setup();
	CHECK_EQ(x86_walk(&mem, pml4, 0x100000000ULL, NULL), -1);
	CHECK_EQ(x86_walk(&mem, pml4, 0x100000000000ULL, NULL), -1);
	CHECK_EQ(x86_walk(&mem, pml4, 0x7fffffffffffULL, NULL), -1);
	CHECK_EQ(x86_walk(&mem, pml4, 0xffff800000000000ULL, NULL), -1);
}

static void rejects_bad_placement(void)
{
	struct guest_mem small = { 0 };

	small.hva = calloc(1, 7 * GUEST_PAGE_SIZE);
	TEST_ASSERT(small.hva, "calloc");
	/* 6 table pages at 0x1000 need 7 pages of memory: one byte less fails. */
	small.size_bytes = 7 * GUEST_PAGE_SIZE - 1;
	CHECK_EQ(x86_build_identity_map(&small, 0x1000, UNCACHED_FROM), 0);
	small.size_bytes = 6 * GUEST_PAGE_SIZE;
	CHECK_EQ(x86_build_identity_map(&small, 0x1000, UNCACHED_FROM), 0);
	small.size_bytes = 7 * GUEST_PAGE_SIZE;
	CHECK_EQ(x86_build_identity_map(&small, 0x1000, UNCACHED_FROM), 0x1000);
	CHECK_EQ(x86_walk(&small, 0x1000, 0x12345678, NULL), 0x12345678);
	free(small.hva);
	/* Tables must be page aligned. */
	setup();
	CHECK_EQ(x86_build_identity_map(&mem, TABLES_GPA + 8, UNCACHED_FROM), 0);
	/* Far outside memory. */
	CHECK_EQ(x86_build_identity_map(&mem, 1ULL << 40, UNCACHED_FROM), 0);
}

static void segment_descriptors(void)
{
	struct kvm_segment s;
	uint64_t tss[2];

	x86_segment_code64(&s, GDT_KERNEL_CS, 0);
	CHECK_EQ(x86_encode_seg_desc(&s), 0x00af9b000000ffffULL);	/* Linux GDT_ENTRY(0xa09b..) accessed */
	x86_segment_code64(&s, GDT_USER_CS, 3);
	CHECK_EQ(x86_encode_seg_desc(&s), 0x00affb000000ffffULL);
	x86_segment_data(&s, GDT_KERNEL_DS, 0);
	CHECK_EQ(x86_encode_seg_desc(&s), 0x00cf93000000ffffULL);
	x86_segment_data(&s, GDT_USER_DS, 3);
	CHECK_EQ(x86_encode_seg_desc(&s), 0x00cff3000000ffffULL);

	x86_segment_tss(&s, GDT_TSS_SEL(1), 0x123456789abcdef0ULL, 0x67);
	x86_encode_tss_desc(&s, tss);
	CHECK_EQ(tss[0], 0x9a008bbcdef00067ULL);	/* busy 64-bit TSS, present */
	CHECK_EQ(tss[1], 0x12345678ULL);
	CHECK_EQ(s.selector, GDT_TSS_SEL(1));
	CHECK_EQ(GDT_TSS_SEL(0), GDT_TSS);
	CHECK_EQ(GDT_TSS_SEL(1), 0x38);	/* the next 16-byte slot */
}

static void idt_gate_split(void)
{
	uint64_t g[2];

	x86_encode_idt_gate(0x123456789abcdef0ULL, GDT_KERNEL_CS, 0, g);
	CHECK_EQ(g[0], 0x9abc8e000008def0ULL);	/* offset 15:0, CS, P|DPL0|type E, offset 31:16 */
	CHECK_EQ(g[1], 0x12345678ULL);		/* offset 63:32, reserved 0 */
	x86_encode_idt_gate(0x123456789abcdef0ULL, GDT_KERNEL_CS, 3, g);
	CHECK_EQ(g[0], 0x9abcee000008def0ULL);
	x86_encode_idt_gate(0x404000, GDT_KERNEL_CS, 0, g);
	CHECK_EQ(g[0], 0x00408e0000084000ULL);
	CHECK_EQ(g[1], 0);
}

int main(void)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(identity_low_4g),
		KTAP_CASE(uncached_from_boundary),
		KTAP_CASE(above_4g_not_present),
		KTAP_CASE(rejects_bad_placement),
		KTAP_CASE(segment_descriptors),
		KTAP_CASE(idt_gate_split),
	};
	int r = KTAP_RUN(cases);

	free(mem.hva);
	return r;
}
