// SPDX-License-Identifier: GPL-2.0
/*
 * A failing GUEST_ASSERT_EQ reaches the host as UCALL_ASSERT with the guest's
 * file, line, expression and both 64-bit values, at CPL0 and CPL3; a passing
 * one costs nothing; the failure is final (resuming reports it again).
 */
#include <inttypes.h>
#include <string.h>

#include "guest.h"
#include "kvm_util.h"

/* Set by the guest on the very line of the assertion, so the host knows
 * which __LINE__ to expect without hard-coding a number. */
uint32_t guest_assert_line;

GUEST_CODE static void guest_code(uint64_t a, uint64_t b)
{
	GUEST_ASSERT_EQ(a, a);			/* passes: no ucall */
	GUEST_SYNC(guest_cpl());
	guest_assert_line = __LINE__; GUEST_ASSERT_EQ(a, b);
	GUEST_SYNC(0xbad);			/* never reached */
	GUEST_DONE();
}

#define VAL_A 0x1122334455667788ULL
#define VAL_B 0x8877665544332211ULL

static void run_at(unsigned int cpl)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	const char *file;
	char msg[512], want[64];
	uint32_t type, line;
	struct ucall uc;

	vcpu_set_entry(vcpu, guest_code, cpl, 2, VAL_A, VAL_B);

	/* A passing assertion lets the guest continue to the next ucall. */
	type = __vcpu_run_ucall(vcpu, &uc);
	ktap_result(type == UCALL_SYNC && uc.nargs == 1 && uc.args[0] == cpl && uc.cpl == cpl,
		    "CPL%u: a passing GUEST_ASSERT_EQ does not stop the guest", cpl);

	type = __vcpu_run_ucall(vcpu, &uc);
	line = *guest_hva(vm, &guest_assert_line);
	file = (const char *)(uintptr_t)uc.file;
	ktap_diag("CPL%u: ucall type %u at %s:%u, expr \"%.*s\", args 0x%" PRIx64 " 0x%" PRIx64 " (expected line %u)",
		  cpl, type, file ? file : "(null)", uc.line, UCALL_BUF_LEN, uc.buffer,
		  uc.args[0], uc.args[1], line);
	ktap_result(type == UCALL_ASSERT && uc.cpl == cpl && line != 0 && uc.line == line &&
		    file && !strcmp(file, __FILE__) &&
		    uc.nargs == 2 && uc.args[0] == VAL_A && uc.args[1] == VAL_B &&
		    !strcmp(uc.buffer, "a == b"),
		    "CPL%u: a failing GUEST_ASSERT_EQ reports file, line, expression and both values", cpl);

	/* The host's one-line report names all of them. */
	vcpu_describe_ucall(vcpu, &uc, msg, sizeof(msg));
	ktap_diag("CPL%u: %s", cpl, msg);
	snprintf(want, sizeof(want), "%s:%u", __FILE__, line);
	ktap_result(strstr(msg, want) && strstr(msg, "0x1122334455667788") &&
		    strstr(msg, "0x8877665544332211") && strstr(msg, "a == b"),
		    "CPL%u: the failure message names %s and both values", cpl, want);

	/* Resuming a failed assertion reports it again, never continues. */
	type = __vcpu_run_ucall(vcpu, &uc);
	ktap_result(type == UCALL_ASSERT && uc.line == line,
		    "CPL%u: a failed assertion is final", cpl);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(8);
	run_at(0);
	run_at(3);
	return ktap_exit_code();
}
