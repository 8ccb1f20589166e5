// SPDX-License-Identifier: GPL-2.0
/*
 * Guard pages around guest RAM (harness/guard_mem.c): the usable range is
 * zeroed, writable and aligned as asked; a forked child touching the byte
 * just below it, or just above it, dies of SIGSEGV, so a device access that
 * escapes guest RAM cannot go unnoticed. Host only.
 */
#include <errno.h>
#include <stdlib.h>

#include "guard_mem.h"
#include "test_util.h"

static void check_guards(uint64_t bytes, uint64_t align)
{
	struct guard_mem g;

	CHECK_EQ(guard_mem_map(&g, bytes, align), 0);
	if (!g.hva)
		return;
	CHECK_EQ((uintptr_t)g.hva & ((align ? align : 4096) - 1), 0);
	CHECK_EQ(g.hva[0] | g.hva[bytes / 2] | g.hva[bytes - 1], 0);
	g.hva[0] = g.hva[bytes - 1] = 0x5a;		/* usable to the last byte */
	CHECK(!guard_mem_touch_faults(g.hva + bytes - 1, true));
	CHECK(guard_mem_touch_faults(g.hva - 1, false));
	CHECK(guard_mem_touch_faults(g.hva - 1, true));
	CHECK(guard_mem_touch_faults(g.hva + bytes, false));
	CHECK(guard_mem_touch_faults(g.hva + bytes, true));
	CHECK(guard_mem_touch_faults(g.hva - GUARD_MEM_GUARD_BYTES, false));
	CHECK(guard_mem_touch_faults(g.hva + bytes + GUARD_MEM_GUARD_BYTES - 1, false));
	guard_mem_unmap(&g);
	CHECK(!g.base);
}

static void test_guards_fault_small(void)
{
	check_guards(64 << 10, 0);
}

static void test_guards_fault_guest_ram(void)
{
	check_guards(16 << 20, 2 << 20);	/* as vm_create maps guest RAM */
}

static void test_bad_arguments(void)
{
	struct guard_mem g;

	CHECK_EQ(guard_mem_map(&g, 0, 0), -EINVAL);
	CHECK_EQ(guard_mem_map(&g, 100, 0), -EINVAL);
	CHECK_EQ(guard_mem_map(&g, 4096, 3 << 20), -EINVAL);
	guard_mem_unmap(&g);			/* zeroed: a no-op */
}

int main(void)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(test_guards_fault_small),
		KTAP_CASE(test_guards_fault_guest_ram),
		KTAP_CASE(test_bad_arguments),
	};

	return KTAP_RUN(cases);
}
