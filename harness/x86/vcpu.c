// SPDX-License-Identifier: GPL-2.0
/* x86 vCPU state: stacks and TSS, CPUID, LAPIC, the long-mode entry
 * (sregs, RIP/RSP/RFLAGS) and the SysV argument registers; and reports of
 * that state (registers, unhandled exceptions). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"

/* guest/x86/entry.S: a returning guest_code lands here. */
extern char guest_return_trampoline[];

#define KSTACK_BYTES	(64 * 1024)
#define USTACK_BYTES	(256 * 1024)

/* Every vCPU's TSS descriptor fits in the one-page GDT. */
_Static_assert(GDT_TSS_SEL(KVM_MAX_VCPUS_HERE) <= 4096, "GDT too small for the TSS descriptors");

static void vcpu_setup_lapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t *reg;

	if (!vcpu->vm->has_irqchip)
		return;
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic);
	reg = (uint32_t *)&lapic.regs[0xf0];	/* spurious vector register */
	*reg = 0x100 | 0xff;			/* software-enable, vector 0xff */
	reg = (uint32_t *)&lapic.regs[0x350];	/* LVT LINT0 */
	*reg = 1u << 16;			/* masked: no ExtINT from the PIC */
	reg = (uint32_t *)&lapic.regs[0x80];	/* TPR */
	*reg = 0;
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &lapic);
}

static void vcpu_setup_cpuid(struct kvm_vcpu *vcpu)
{
	int nent = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(struct kvm_cpuid_entry2));

	TEST_ASSERT(cpuid, "calloc");
	cpuid->nent = nent;
	kvm_ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);
}

void vcpu_arch_init(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	struct x86_tss64 *tss;
	uint64_t tss_gpa, *gdt;
	struct kvm_segment seg;

	vcpu->arch.stack_top_gva = vm_alloc(vm, KSTACK_BYTES, 0) + KSTACK_BYTES;
	vcpu->arch.user_stack_top_gva = vm_alloc(vm, USTACK_BYTES, 0) + USTACK_BYTES;
	tss_gpa = vm_alloc(vm, GUEST_PAGE_SIZE, 0);
	vcpu->arch.tss_gpa = tss_gpa;
	tss = addr_gpa2hva(vm, tss_gpa);
	tss->rsp0 = vcpu->arch.stack_top_gva;
	tss->iomap_base = sizeof(*tss);	/* no I/O bitmap: IOPL decides */
	x86_segment_tss(&seg, GDT_TSS_SEL(vcpu->id), tss_gpa, sizeof(*tss) - 1);
	gdt = addr_gpa2hva(vm, vm->arch.gdt_gpa);
	x86_encode_tss_desc(&seg, &gdt[GDT_TSS_SEL(vcpu->id) >> 3]);

	vcpu_setup_cpuid(vcpu);
	vcpu_setup_lapic(vcpu);
	/* With the in-kernel LAPIC every vCPU but the BSP starts waiting for
	 * INIT/SIPI, and KVM_RUN would block: make it runnable, as the BSP. */
	if (vcpu->id != 0) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
	}
}

static void vcpu_load_entry_sregs(struct kvm_vcpu *vcpu, unsigned int cpl, uint64_t tss_gpa)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	sregs.cr3 = vm->arch.pml4_gpa;
	if (cpl == 3) {
		x86_segment_code64(&sregs.cs, GDT_USER_CS, 3);
		x86_segment_data(&sregs.ss, GDT_USER_DS, 3);
	} else {
		x86_segment_code64(&sregs.cs, GDT_KERNEL_CS, 0);
		x86_segment_data(&sregs.ss, GDT_KERNEL_DS, 0);
	}
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
	x86_segment_tss(&sregs.tr, GDT_TSS_SEL(vcpu->id), tss_gpa, sizeof(struct x86_tss64) - 1);
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.unusable = 1;
	sregs.gdt.base = vm->arch.gdt_gpa;
	sregs.gdt.limit = GUEST_PAGE_SIZE - 1;
	sregs.idt.base = vm->arch.idt_gpa;
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);
}

void vcpu_args_set_va(struct kvm_vcpu *vcpu, int nargs, va_list ap)
{
	struct kvm_regs regs;

	TEST_ASSERT(nargs >= 0 && nargs <= 6, "at most 6 guest arguments, not %d", nargs);
	vcpu_regs_get(vcpu, &regs);
	for (int i = 0; i < nargs; i++) {
		uint64_t v = va_arg(ap, uint64_t);

		switch (i) {
		case 0: regs.rdi = v; break;
		case 1: regs.rsi = v; break;
		case 2: regs.rdx = v; break;
		case 3: regs.rcx = v; break;
		case 4: regs.r8 = v; break;
		case 5: regs.r9 = v; break;
		}
	}
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_arch_set_entry(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl, bool irqs_on,
			 int nargs, va_list ap)
{
	struct kvm_regs regs;
	uint64_t *sp;
	uint64_t rsp;

	TEST_ASSERT(cpl == 0 || cpl == 3, "CPL must be 0 or 3, not %u", cpl);
	vcpu_load_entry_sregs(vcpu, cpl, vcpu->arch.tss_gpa);
	vcpu->arch.entry_cpl = cpl;

	/* A return from guest_code lands in the trampoline, which reports DONE.
	 * RSP is 8 mod 16 at entry, as right after a call. */
	rsp = (cpl == 3 ? vcpu->arch.user_stack_top_gva : vcpu->arch.stack_top_gva) - 16;
	sp = addr_gpa2hva(vcpu->vm, rsp - 8);
	*sp = (uint64_t)(uintptr_t)guest_return_trampoline;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uint64_t)(uintptr_t)guest_code;
	regs.rsp = rsp - 8;
	regs.rflags = X86_EFLAGS_FIXED | (cpl == 3 ? X86_EFLAGS_IOPL : 0);
	if (irqs_on)	/* CPL3 cannot STI where IOPL is forced to 0 (PVM) */
		regs.rflags |= X86_EFLAGS_IF;
	vcpu_regs_set(vcpu, &regs);
	vcpu_args_set_va(vcpu, nargs, ap);
}

void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs) { vcpu_ioctl(vcpu, KVM_GET_REGS, regs); }
void vcpu_regs_set(struct kvm_vcpu *vcpu, struct kvm_regs *regs) { vcpu_ioctl(vcpu, KVM_SET_REGS, regs); }
void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs) { vcpu_ioctl(vcpu, KVM_GET_SREGS, sregs); }
void vcpu_sregs_set(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs) { vcpu_ioctl(vcpu, KVM_SET_SREGS, sregs); }

void vcpu_dump(struct kvm_vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	vcpu_regs_get(vcpu, &r);
	vcpu_sregs_get(vcpu, &s);
	ktap_diag("RIP 0x%llx RSP 0x%llx RFLAGS 0x%llx CS 0x%x (CPL%u) CR0 0x%llx CR3 0x%llx CR4 0x%llx EFER 0x%llx",
		  r.rip, r.rsp, r.rflags, s.cs.selector, s.ss.dpl, s.cr0, s.cr3, s.cr4, s.efer);
	ktap_diag("RAX 0x%llx RBX 0x%llx RCX 0x%llx RDX 0x%llx RSI 0x%llx RDI 0x%llx",
		  r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi);
}

static const char *vector_name(uint64_t v)
{
	static const char *const names[] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
		"#TS", "#NP", "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM",
	};

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "interrupt";
}

void vcpu_arch_describe_exception(const struct ucall *uc, char *buf, size_t len)
{
	snprintf(buf, len, "unhandled guest exception: vector %" PRIu64 " (%s), error code 0x%" PRIx64
		 ", RIP 0x%" PRIx64 ", CR2 0x%" PRIx64 ", from CPL%" PRIu64,
		 uc->args[0], vector_name(uc->args[0]), uc->args[1], uc->args[2], uc->args[3],
		 uc->args[4]);
}
