/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM as the host sees it: one contiguous range at GPA 0. Every
 * guest-supplied address must pass through gmem_ptr(), which returns NULL
 * unless the whole [gpa, gpa + len) lies inside RAM, so device code can never
 * be steered outside guest memory.
 */
#ifndef MMIOBENCH_GUEST_MEM_H
#define MMIOBENCH_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint8_t *hva;		/* host mapping of GPA 0 */
	uint64_t size_bytes;
};

static inline void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa > m->size_bytes || len > m->size_bytes - gpa)
		return NULL;
	return m->hva + gpa;
}

#endif
