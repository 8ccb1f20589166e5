/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM's host mapping with guard regions: inaccessible (PROT_NONE)
 * pages directly below and above it, so that a device access that escapes
 * guest RAM faults at once instead of landing in whatever mmap placed next
 * to it. The usable part is zeroed, private, MAP_NORESERVE (as a plain
 * guest RAM mmap) and aligned to `align` (2 MiB lets THP back guest RAM).
 */
#ifndef MMIOBENCH_GUARD_MEM_H
#define MMIOBENCH_GUARD_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUARD_MEM_GUARD_BYTES	(1ull << 20)	/* at least this much each side */

struct guard_mem {
	uint8_t *hva;		/* usable: [hva, hva + bytes) */
	uint64_t bytes;
	void *base;		/* the whole reservation, guards included */
	size_t len;
};

/* bytes: a multiple of 4 KiB; align: a power of two (0 = 4 KiB). 0 or -errno. */
int guard_mem_map(struct guard_mem *g, uint64_t bytes, uint64_t align);
void guard_mem_unmap(struct guard_mem *g);	/* zeroed struct: no-op */
/* For tests that prove a guard: whether reading (or writing) *p kills a
 * forked child with SIGSEGV. The parent is never touched. */
bool guard_mem_touch_faults(volatile uint8_t *p, bool write);

#endif
