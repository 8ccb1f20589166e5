// SPDX-License-Identifier: GPL-2.0
/*
 * Every way into ucall_done() gives it the stack the C calling convention
 * promises (RSP 8 mod 16 at entry, so its frame pointer is 16-aligned):
 * a guest_code that returns (through the return trampoline in
 * guest/x86/entry.S) as well as one that calls GUEST_DONE() itself, at CPL0
 * and CPL3. ucall_done() reports its frame address in DONE's args[0]. The
 * trampoline used to leave RSP 0 mod 16 at the call: latent until guest
 * code with an aligned SSE spill, or a libgcc helper, runs there.
 */
#include <inttypes.h>

#include "guest.h"
#include "kvm_util.h"

/* x86-64 with frame pointers: the frame address is the entry RSP - 8. */
#define FRAME_ALIGN	16

GUEST_CODE static void guest_returns(uint64_t v)
{
	GUEST_SYNC(v);
}

GUEST_CODE static void guest_calls_done(uint64_t v)
{
	GUEST_SYNC(v);
	GUEST_DONE();
}

static void check(void *fn, const char *how, unsigned int cpl)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, fn);
	uint64_t frame;
	struct ucall uc;

	vcpu_set_entry(vcpu, fn, cpl, 1, 7ULL);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 7, "guest did not start");
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "expected DONE");
	frame = uc.args[0];
	ktap_result(uc.nargs == 1 && frame % FRAME_ALIGN == 0,
		    "CPL%u, guest_code %s: ucall_done()'s frame 0x%" PRIx64 " is %d-byte aligned (off by %" PRIu64 ")",
		    cpl, how, frame, FRAME_ALIGN, frame % FRAME_ALIGN);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(4);
	check(guest_returns, "returns (trampoline)", 0);
	check(guest_returns, "returns (trampoline)", 3);
	check(guest_calls_done, "calls GUEST_DONE()", 0);
	check(guest_calls_done, "calls GUEST_DONE()", 3);
	return ktap_exit_code();
}
