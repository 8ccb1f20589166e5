/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest/host ABI: the one header both sides include for shared layouts,
 * addresses and ports. Anything the guest writes and the host reads (or the
 * reverse) is declared here, or in the architecture's abi_arch.h that it
 * includes, and nowhere else.
 */
#ifndef MMIOBENCH_ABI_H
#define MMIOBENCH_ABI_H

#include <stdint.h>

#include "abi_arch.h"	/* the guest-physical map, vectors, register frame */

#define GUEST_RAM_DEFAULT_BYTES	(128ULL << 20)

/* ucall: the guest fills a struct ucall in its own memory and writes its
 * guest-physical address with one 8-byte store to UCALL_MMIO_ADDR. */
enum ucall_type {
	UCALL_NONE = 0,
	UCALL_SYNC,	/* args[] carry values for the host */
	UCALL_PRINTF,	/* buffer holds a formatted line */
	UCALL_ASSERT,	/* buffer holds the expression; file/line; args[0..1] values */
	UCALL_DONE,	/* guest_code finished; args[0] = ucall_done()'s frame address */
	UCALL_UNHANDLED,/* unexpected exception: args = vector, error code, rip, cr2 */
};

#define UCALL_MAX_ARGS	6
#define UCALL_BUF_LEN	256

struct ucall {
	uint32_t type;		/* enum ucall_type */
	uint32_t cpl;		/* privilege level the guest issued it from */
	uint32_t line;
	uint32_t nargs;
	uint64_t args[UCALL_MAX_ARGS];
	uint64_t file;		/* guest address of __FILE__ (same in host) */
	char buffer[UCALL_BUF_LEN];
};

#endif
