// SPDX-License-Identifier: GPL-2.0
/*
 * One guest function, two privilege levels: a checksum over a buffer is the
 * same at CPL0 (interpreted here), at CPL3 (native) and on the host; every
 * ucall reports the CPL that was asked for. At CPL3, privileged
 * instructions (HLT, MOV to CR3, MOV from CR3) raise #GP (vector 13) at the
 * instruction.
 */
#include <inttypes.h>

#include "guest.h"
#include "kvm_util.h"

#define BUF_BYTES	4096	/* ~40k instructions at CPL0: ~0.1 s here */

extern char guest_hlt_insn[], guest_cr3_write_insn[], guest_cr3_read_insn[];

/* Fletcher-64 style: order-sensitive, cheap, general registers only.
 * Called by the guest and by the host alike (pure function). */
GUEST_CODE static uint64_t checksum(const uint32_t *p, uint64_t n)
{
	uint64_t a = 1, b = 0;

	for (uint64_t i = 0; i < n; i++) {
		a = (a + p[i]) % 0xffffffffULL;
		b = (b + a) % 0xffffffffULL;
	}
	return (b << 32) | a;
}

GUEST_CODE static void guest_checksum(uint64_t gva, uint64_t words)
{
	GUEST_SYNC(checksum((const uint32_t *)gva, words), guest_cpl());
}

GUEST_CODE static void guest_priv(uint64_t which)
{
	uint64_t v = 0;

	switch (which) {
	case 0:
		__asm__ volatile(".globl guest_hlt_insn\n guest_hlt_insn: hlt" ::: "memory");
		break;
	case 1:
		__asm__ volatile(".globl guest_cr3_write_insn\n guest_cr3_write_insn: mov %0, %%cr3"
				 :: "r"(v) : "memory");
		break;
	default:
		__asm__ volatile(".globl guest_cr3_read_insn\n guest_cr3_read_insn: mov %%cr3, %0"
				 : "=r"(v) :: "memory");
		break;
	}
	GUEST_SYNC(0xbad, v);
}

static uint64_t run_checksum(unsigned int cpl, const uint32_t *pattern, uint64_t words, uint32_t *ucall_cpl,
			     uint64_t *guest_seen_cpl)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_checksum);
	uint64_t gpa = vm_alloc(vm, words * 4, 0);
	uint32_t *buf = addr_gpa2hva(vm, gpa);
	struct ucall uc;
	uint64_t sum;

	for (uint64_t i = 0; i < words; i++)
		buf[i] = pattern[i];
	vcpu_set_entry(vcpu, guest_checksum, cpl, 2, gpa, words);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "expected the checksum");
	sum = uc.args[0];
	*ucall_cpl = uc.cpl;
	*guest_seen_cpl = uc.args[1];
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE && uc.cpl == cpl, "expected DONE from CPL%u", cpl);
	kvm_vm_free(vm);
	return sum;
}

static void test_same_result(void)
{
	static uint32_t pattern[BUF_BYTES / 4];
	uint64_t words = ARRAY_SIZE(pattern), host, sum[2], seen[2];
	uint32_t ucpl[2], x = 0x2545f491;

	for (uint64_t i = 0; i < words; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		pattern[i] = x;
	}
	host = checksum(pattern, words);
	sum[0] = run_checksum(0, pattern, words, &ucpl[0], &seen[0]);
	sum[1] = run_checksum(3, pattern, words, &ucpl[1], &seen[1]);
	ktap_diag("checksum of %" PRIu64 " bytes: host 0x%" PRIx64 ", CPL0 0x%" PRIx64 ", CPL3 0x%" PRIx64,
		  words * 4, host, sum[0], sum[1]);
	ktap_result(sum[0] == host && sum[1] == host,
		    "the same guest checksum at CPL0 and CPL3 equals the host's");
	ktap_result(ucpl[0] == 0 && seen[0] == 0 && ucpl[1] == 3 && seen[1] == 3,
		    "ucalls report the CPL asked for (CPL0: uc.cpl %u, CS.RPL %" PRIu64 "; CPL3: uc.cpl %u, CS.RPL %" PRIu64 ")",
		    ucpl[0], seen[0], ucpl[1], seen[1]);
}

static void test_privileged(uint64_t which, const char *name, const char *insn)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_priv);
	struct ucall uc;
	uint32_t type;
	char msg[512];

	vcpu_set_entry(vcpu, guest_priv, 3, 1, which);
	type = __vcpu_run_ucall(vcpu, &uc);
	vcpu_describe_ucall(vcpu, &uc, msg, sizeof(msg));
	ktap_diag("%s", msg);
	ktap_result(type == UCALL_UNHANDLED && uc.args[0] == 13 && uc.args[1] == 0 &&
		    uc.args[2] == (uint64_t)(uintptr_t)insn && uc.args[4] == 3,
		    "CPL3 %s raises #GP(0) at the instruction (%p)", name, (const void *)insn);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(5);
	test_same_result();
	test_privileged(0, "hlt", guest_hlt_insn);
	test_privileged(1, "mov to cr3", guest_cr3_write_insn);
	test_privileged(2, "mov from cr3", guest_cr3_read_insn);
	return ktap_exit_code();
}
