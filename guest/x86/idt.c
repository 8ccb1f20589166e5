// SPDX-License-Identifier: GPL-2.0
/* The C side of the IDT: per-vector handlers, else a report to the host. */
#include "guest.h"

guest_handler_t guest_handlers[256];

void guest_route_exception(struct ex_regs *regs);
/*
 * PVM turns INT n from CPL3 into #UD for every n but 3 and 4 (its underlying
 * IDT lets only those and a legacy syscall vector through), so the CPL3 halt
 * gate (INT GUEST_HALT_VECTOR, see guest_halt_entry) is emulated here: the
 * same flag check with interrupts off and wait, then skip the 2-byte INT.
 */
static bool halt_gate_from_ud(struct ex_regs *regs)
{
	const volatile uint8_t *insn = (const volatile uint8_t *)regs->rip;

	if (regs->vector != 6 || (regs->cs & 3) != 3 || insn[0] != 0xcd || insn[1] != GUEST_HALT_VECTOR)
		return false;
	if (!*(const volatile uint32_t *)regs->rdi)
		safe_halt();
	cli();
	regs->rip += 2;
	return true;
}

volatile uint64_t guest_hlt_shadow_skips;

/*
 * x86 delivers no interrupt in the one-instruction shadow of STI, which is
 * what makes STI; HLT a race-free wait. kvm_amd inside QEMU's emulated SVM
 * was seen to deliver one there anyway (about once in eight runs of
 * virtio_blk_integrity): the saved RIP is then the HLT itself, and returning
 * to it sleeps past the very interrupt it waited for. Step over that HLT,
 * and count it (the stamp ISRs in isr_stamp.S do the same). A HLT runs at
 * CPL0 only; the byte before it is STI's in every STI; HLT this guest has
 * (safe_halt(), guest_halt_entry), and skipping any other interrupted HLT
 * only ends a wait early, which every caller's loop tolerates.
 */
static void skip_shadowed_hlt(struct ex_regs *regs)
{
	const volatile uint8_t *insn = (const volatile uint8_t *)regs->rip;

	if (!(regs->cs & 3) && insn[0] == 0xf4 && insn[-1] == 0xfb) {	/* HLT, after STI */
		regs->rip++;
		guest_hlt_shadow_skips++;
	}
}

void guest_route_exception(struct ex_regs *regs)
{
	guest_handler_t h = guest_handlers[regs->vector & 0xff];

	if (halt_gate_from_ud(regs))
		return;
	if (h) {
		if (regs->vector >= 32)
			skip_shadowed_hlt(regs);
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
