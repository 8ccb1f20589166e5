// SPDX-License-Identifier: GPL-2.0
/* Guest side of ucall: fill a struct ucall on the stack and hand its
 * address to the host with one MMIO store (works at CPL0 and CPL3).
 * Only the fields the type needs are written: at CPL0 on a software
 * hypervisor every instruction costs microseconds. */
#include <stdarg.h>

#include "guest.h"

static inline __attribute__((always_inline, GUEST_ATTRS)) void ucall_send(struct ucall *uc)
{
	uc->cpl = guest_cpl();
	mmio_write64(UCALL_MMIO_ADDR, (uint64_t)(uintptr_t)uc);
}

void ucall(uint32_t type, uint32_t nargs, ...)
{
	struct ucall uc;
	va_list ap;

	uc.type = type;
	uc.nargs = nargs > UCALL_MAX_ARGS ? UCALL_MAX_ARGS : nargs;
	va_start(ap, nargs);
	for (uint32_t i = 0; i < uc.nargs; i++)
		uc.args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	ucall_send(&uc);
}

void ucall_assert(const char *file, uint32_t line, const char *expr, uint64_t a, uint64_t b)
{
	struct ucall uc;
	size_t n = guest_strlen(expr);

	uc.type = UCALL_ASSERT;
	uc.nargs = 2;
	uc.args[0] = a;
	uc.args[1] = b;
	uc.file = (uint64_t)(uintptr_t)file;
	uc.line = line;
	if (n >= UCALL_BUF_LEN)
		n = UCALL_BUF_LEN - 1;
	guest_memcpy(uc.buffer, expr, n);
	uc.buffer[n] = 0;
	ucall_send(&uc);
	for (;;)	/* the host does not resume a failed assertion */
		ucall_send(&uc);
}

void ucall_printf(const char *fmt, ...)
{
	struct ucall uc;
	va_list ap;

	uc.type = UCALL_PRINTF;
	uc.nargs = 0;
	va_start(ap, fmt);
	guest_vsnprintf(uc.buffer, UCALL_BUF_LEN, fmt, ap);
	va_end(ap);
	ucall_send(&uc);
}

void ucall_done(void)
{
	struct ucall uc;

	/* args[0]: this frame's address, so a test can check the stack
	 * alignment every path into ucall_done() gives it (tests/kvm/stack_align.c). */
	uc.type = UCALL_DONE;
	uc.nargs = 1;
	uc.args[0] = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	for (;;)	/* DONE is final: resuming the vCPU reports it again */
		ucall_send(&uc);
}
