// SPDX-License-Identifier: GPL-2.0
/* The ucall round trip: SYNC with arguments, PRINTF, DONE, at CPL0 and CPL3. */
#include "guest.h"
#include "kvm_util.h"

GUEST_CODE static void guest_code(uint64_t a, uint64_t b)
{
	GUEST_SYNC(a, b, a + b);
	GUEST_PRINTF("hello from CPL%u: %lu + %lu = %lu", guest_cpl(), a, b, a + b);
	GUEST_SYNC(0xdeadbeefcafef00dULL);
	GUEST_DONE();
}

static void run_at(unsigned int cpl)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	struct ucall uc;
	bool ok = true;

	vcpu_set_entry(vcpu, guest_code, cpl, 2, 40ULL, 2ULL);
	ok &= vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC;
	ok &= uc.nargs == 3 && uc.args[0] == 40 && uc.args[1] == 2 && uc.args[2] == 42 && uc.cpl == cpl;
	ok &= vcpu_run_ucall(vcpu, &uc) == UCALL_PRINTF;
	ok &= vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 0xdeadbeefcafef00dULL;
	ok &= vcpu_run_ucall(vcpu, &uc) == UCALL_DONE && uc.cpl == cpl;
	ktap_result(ok, "ucall round trip at CPL%u", cpl);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(2);
	run_at(0);
	run_at(3);
	return ktap_exit_code();
}
