// SPDX-License-Identifier: GPL-2.0
/* Host side of ucall, and readable reports of every way a guest can stop. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"

const char *exit_reason_str(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR", [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "(unknown exit)";
}

void vcpu_describe_ucall(struct kvm_vcpu *vcpu, const struct ucall *uc, char *buf, size_t len)
{
	(void)vcpu;
	switch (uc->type) {
	case UCALL_ASSERT:
		/* The guest's __FILE__ pointer is valid here too: same image. */
		snprintf(buf, len, "guest assertion failed at %s:%u (CPL%u): %.*s: 0x%" PRIx64 " vs 0x%" PRIx64,
			 uc->file ? (const char *)(uintptr_t)uc->file : "?", uc->line, uc->cpl,
			 UCALL_BUF_LEN, uc->buffer, uc->args[0], uc->args[1]);
		break;
	case UCALL_UNHANDLED:
		vcpu_arch_describe_exception(uc, buf, len);
		break;
	case UCALL_PRINTF:
		snprintf(buf, len, "%.*s", UCALL_BUF_LEN, uc->buffer);
		break;
	default:
		snprintf(buf, len, "ucall %u with %u args", uc->type, uc->nargs);
	}
}

/* Everything about an exit the library does not serve, in one line. */
void vcpu_describe_exit(struct kvm_vcpu *vcpu, char *buf, size_t len)
{
	struct kvm_run *run = vcpu->run;
	int n = snprintf(buf, len, "unexpected exit %s (%u)", exit_reason_str(run->exit_reason),
			 run->exit_reason);

	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		n += snprintf(buf + n, len - (size_t)n, ": suberror %u%s", run->internal.suberror,
			      run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			      " (instruction emulation failed)" : "");
		/* For emulation failures KVM puts the instruction bytes in data[]. */
		for (uint32_t i = 0; i < run->internal.ndata && i < 16 && n < (int)len; i++)
			n += snprintf(buf + n, len - (size_t)n, " data[%u]=0x%llx", i,
				      (unsigned long long)run->internal.data[i]);
	} else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		snprintf(buf + n, len - (size_t)n, ": hardware entry failure 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	} else if (run->exit_reason == KVM_EXIT_SHUTDOWN) {
		snprintf(buf + n, len - (size_t)n, " (triple fault: an exception while delivering one)");
	}
}

uint32_t __vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	char msg[512];

	switch (vcpu_run(vcpu)) {
	case VCPU_STOP_UCALL:
		*uc = vcpu->ucall;
		return uc->type;
	case VCPU_STOP_REQUESTED:
		TEST_FAIL("stopped on request (interrupted)");
	case VCPU_STOP_WATCHDOG:
		vcpu_dump(vcpu);
		TEST_FAIL("watchdog: the guest ran %u ms without a ucall", vcpu->watchdog_ms);
	case VCPU_STOP_EXIT:
		vcpu_describe_exit(vcpu, msg, sizeof(msg));
		vcpu_dump(vcpu);
		TEST_FAIL("%s", msg);
	}
	TEST_FAIL("unreachable");
}

uint32_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	char msg[512];

	for (;;) {
		uint32_t type = __vcpu_run_ucall(vcpu, uc);

		switch (type) {
		case UCALL_PRINTF:
			ktap_diag("guest: %.*s", UCALL_BUF_LEN, uc->buffer);
			return type;
		case UCALL_ASSERT:
		case UCALL_UNHANDLED:
			vcpu_describe_ucall(vcpu, uc, msg, sizeof(msg));
			TEST_FAIL("%s", msg);
		default:
			return type;
		}
	}
}

void vcpu_run_to_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	uint32_t type;

	while ((type = vcpu_run_ucall(vcpu, &uc)) == UCALL_PRINTF)
		;
	TEST_ASSERT(type == UCALL_DONE, "expected UCALL_DONE, got ucall %u", type);
}
