// SPDX-License-Identifier: GPL-2.0
/* A benchmark guest's unclaimed MMIO/PIO accesses (include/unclaimed.h):
 * benchmark VMs warn and count instead of failing, so a run where any
 * happened says so in its notes; its figures include those exits. */
#include <inttypes.h>

#include "bench.h"

void bench_note_unclaimed(struct bench_ctx *c)
{
	uint64_t k[UNCLAIMED_NR];

	if (!unclaimed_process_totals(k))
		return;
	bench_note(c, "guests made accesses no device claims (%s %" PRIu64 ", %s %" PRIu64 ", %s %" PRIu64
		   ", %s %" PRIu64 "): reads returned all ones, writes were dropped; each is an "
		   "extra exit inside the measured figures", unclaimed_kind_name(UNCLAIMED_MMIO_READ),
		   k[UNCLAIMED_MMIO_READ], unclaimed_kind_name(UNCLAIMED_MMIO_WRITE),
		   k[UNCLAIMED_MMIO_WRITE], unclaimed_kind_name(UNCLAIMED_PIO_IN), k[UNCLAIMED_PIO_IN],
		   unclaimed_kind_name(UNCLAIMED_PIO_OUT), k[UNCLAIMED_PIO_OUT]);
}
