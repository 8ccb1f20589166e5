// SPDX-License-Identifier: GPL-2.0
/* The C side of the IDT: per-vector handlers, else a report to the host. */
#include "guest.h"

guest_handler_t guest_handlers[256];

void guest_route_exception(struct ex_regs *regs);
void guest_route_exception(struct ex_regs *regs)
{
	guest_handler_t h = guest_handlers[regs->vector & 0xff];

	if (h) {
		h(regs);
		return;
	}
	/* CR2 is only meaningful for #PF, and reading it is cheap at CPL0
	 * where every handler runs. */
	ucall(UCALL_UNHANDLED, 5, regs->vector, regs->error_code, regs->rip,
	      regs->vector == 14 ? read_cr2() : 0, regs->cs & 3);
	/* The host fails the test; if it resumes us anyway, stop here. */
	for (;;)
		hlt();
}
