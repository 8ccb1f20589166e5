// SPDX-License-Identifier: GPL-2.0
/*
 * Unexpected guest exceptions reach the host as UCALL_UNHANDLED with the
 * vector, error code, faulting RIP (checked against an asm label), CR2 for
 * #PF and the CPL; a handler installed with vm_install_handler() can fix up
 * and resume. At CPL0 and CPL3.
 */
#include <inttypes.h>

#include "guest.h"
#include "guest_bench.h"
#include "kvm_util.h"

/* Above the 4 GiB identity map: no PML4 entry, so any access faults. */
#define UNMAPPED_GVA	0x100000000000ULL
#define PF_ERR_P	(1u << 0)
#define PF_ERR_W	(1u << 1)
#define PF_ERR_U	(1u << 2)

extern char guest_ud_insn[], guest_pf_read_insn[], guest_pf_write_insn[], guest_fixup_ud_insn[];

GUEST_CODE static void guest_ud(void)
{
	__asm__ volatile(".globl guest_ud_insn\n guest_ud_insn: ud2" ::: "memory");
	GUEST_SYNC(0xbad);
}

GUEST_CODE static void guest_pf(uint64_t gva, uint64_t write)
{
	uint64_t v = 0x5a;

	if (write)
		__asm__ volatile(".globl guest_pf_write_insn\n guest_pf_write_insn: movq %0, (%1)"
				 :: "r"(v), "r"(gva) : "memory");
	else
		__asm__ volatile(".globl guest_pf_read_insn\n guest_pf_read_insn: movq (%1), %0"
				 : "=r"(v) : "r"(gva) : "memory");
	GUEST_SYNC(0xbad, v);
}

/* Written by the #UD handler, read by the guest and (via guest_hva) the host. */
uint64_t ud_fixups;
uint64_t ud_fixup_rip;
uint64_t ud_fixup_cs;

GUEST_CODE static void guest_ud_fixup_handler(struct ex_regs *regs)
{
	ud_fixups++;
	ud_fixup_rip = regs->rip;
	ud_fixup_cs = regs->cs;
	regs->rip += 2;		/* ud2 is 0f 0b */
}

GUEST_CODE static void guest_ud_fixup(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		__asm__ volatile(".globl guest_fixup_ud_insn\n guest_fixup_ud_insn: ud2" ::: "memory");
		GUEST_ASSERT_EQ(ud_fixups, i + 1);
	}
	GUEST_SYNC(ud_fixups, guest_cpl());
}

/* An interrupt in STI's shadow leaves a frame whose RIP is a HLT right after
 * an STI byte (idt.c). INT 0xfb (cd fb) followed by HLT makes that frame on
 * purpose; with interrupts off, a HLT not stepped over would never end. */
uint64_t shadow_handler_runs;

GUEST_CODE static void guest_shadow_handler(struct ex_regs *regs)
{
	(void)regs;
	shadow_handler_runs++;
}

GUEST_CODE static void guest_shadowed_hlt(void)
{
	__asm__ volatile("cli; int $0xfb; hlt" ::: "memory");
	GUEST_SYNC(guest_hlt_shadow_skips, shadow_handler_runs + isr_stamp_count);
}

static struct kvm_vm *new_vm(struct kvm_vcpu **vcpu, void *fn, unsigned int cpl, int nargs,
			     uint64_t a0, uint64_t a1)
{
	struct kvm_vm *vm = vm_create_with_vcpu(vcpu, fn);

	vcpu_set_entry(*vcpu, fn, cpl, nargs, a0, a1);
	return vm;
}

static void describe(struct kvm_vcpu *vcpu, const struct ucall *uc)
{
	char msg[512];

	vcpu_describe_ucall(vcpu, uc, msg, sizeof(msg));
	ktap_diag("%s", msg);
}

static void test_ud(unsigned int cpl)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = new_vm(&vcpu, guest_ud, cpl, 0, 0, 0);
	struct ucall uc;
	uint32_t type = __vcpu_run_ucall(vcpu, &uc);

	describe(vcpu, &uc);
	ktap_result(type == UCALL_UNHANDLED && uc.nargs == 5 && uc.args[0] == 6 &&
		    uc.args[2] == (uint64_t)(uintptr_t)guest_ud_insn && uc.args[4] == cpl && uc.cpl == 0,
		    "CPL%u: ud2 is reported as #UD (6) at RIP %p", cpl, (void *)guest_ud_insn);
	kvm_vm_free(vm);
}

static void test_pf(unsigned int cpl, bool write)
{
	const char *insn = write ? guest_pf_write_insn : guest_pf_read_insn;
	uint64_t want_err = (write ? PF_ERR_W : 0) | (cpl == 3 ? PF_ERR_U : 0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = new_vm(&vcpu, guest_pf, cpl, 2, UNMAPPED_GVA, write);
	struct ucall uc;
	uint32_t type = __vcpu_run_ucall(vcpu, &uc);

	describe(vcpu, &uc);
	ktap_result(type == UCALL_UNHANDLED && uc.nargs == 5 && uc.args[0] == 14 &&
		    uc.args[1] == want_err && uc.args[2] == (uint64_t)(uintptr_t)insn &&
		    uc.args[3] == UNMAPPED_GVA && uc.args[4] == cpl,
		    "CPL%u: %s of unmapped 0x%llx is #PF (14), error code 0x%" PRIx64 ", at RIP %p, CR2 = address",
		    cpl, write ? "write" : "read", UNMAPPED_GVA, want_err, (void *)insn);
	kvm_vm_free(vm);
}

static void test_fixup(unsigned int cpl)
{
	const uint64_t n = 3;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = new_vm(&vcpu, guest_ud_fixup, cpl, 1, n, 0);
	struct ucall uc;
	uint32_t type;

	vm_install_handler(vm, 6, guest_ud_fixup_handler);
	type = __vcpu_run_ucall(vcpu, &uc);
	if (type != UCALL_SYNC)
		describe(vcpu, &uc);
	ktap_result(type == UCALL_SYNC && uc.args[0] == n && uc.args[1] == cpl && uc.cpl == cpl &&
		    *guest_hva(vm, &ud_fixups) == n &&
		    *guest_hva(vm, &ud_fixup_rip) == (uint64_t)(uintptr_t)guest_fixup_ud_insn &&
		    (*guest_hva(vm, &ud_fixup_cs) & 3) == cpl,
		    "CPL%u: a #UD handler that skips ud2 resumes the guest (%" PRIu64 " times)", cpl, n);
	if (type == UCALL_SYNC)
		ktap_result(__vcpu_run_ucall(vcpu, &uc) == UCALL_DONE,
			    "CPL%u: the guest runs to completion after fix-ups", cpl);
	else
		ktap_result(false, "CPL%u: the guest runs to completion after fix-ups", cpl);
	kvm_vm_free(vm);
}

/* stamp: through the benchmark's stamp ISR (isr_stamp.S), not the C router. */
static void test_shadowed_hlt(bool stamp)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = new_vm(&vcpu, guest_shadowed_hlt, 0, 0, 0, 0);
	enum vcpu_stop stop;

	if (stamp)
		vm_install_isr_entry(vm, 0xfb, guest_isr_stamp);
	else
		vm_install_handler(vm, 0xfb, guest_shadow_handler);
	vcpu_set_watchdog_ms(vcpu, 3000);
	stop = vcpu_run(vcpu);
	if (stop == VCPU_STOP_WATCHDOG)
		ktap_diag("the guest slept in the HLT (watchdog)");
	else if (stop != VCPU_STOP_UCALL || vcpu->ucall.type != UCALL_SYNC)
		describe(vcpu, &vcpu->ucall);
	ktap_result(stop == VCPU_STOP_UCALL && vcpu->ucall.type == UCALL_SYNC &&
		    vcpu->ucall.args[0] == 1 && vcpu->ucall.args[1] == 1,
		    "CPL0: an interrupt whose saved RIP is a HLT after STI steps over it, counted once "
		    "(%s)", stamp ? "stamp ISR" : "C router");
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(12);
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3) {
		test_ud(cpl);
		test_pf(cpl, false);
		test_pf(cpl, true);
		test_fixup(cpl);
	}
	test_shadowed_hlt(false);
	test_shadowed_hlt(true);
	return ktap_exit_code();
}
