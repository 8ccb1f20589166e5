/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 part of the host library (kvm_util.h includes it): the state a VM
 * and a vCPU carry for long mode, and the calls only x86 has. Implemented
 * in harness/x86/.
 */
#ifndef MMIOBENCH_KVM_UTIL_ARCH_H
#define MMIOBENCH_KVM_UTIL_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "abi.h"

struct kvm_vm;
struct kvm_vcpu;

struct kvm_vm_arch {
	uint64_t pml4_gpa;
	uint64_t gdt_gpa, idt_gpa;
};

struct kvm_vcpu_arch {
	uint64_t stack_top_gva;		/* kernel stack (also TSS.RSP0) */
	uint64_t user_stack_top_gva;	/* CPL3 stack */
	unsigned int entry_cpl;		/* CPL the guest entry was set up for */
	uint64_t tss_gpa;
};

/* ---- x86 state ----------------------------------------------------------- */
void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_regs_set(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
void vcpu_sregs_set(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
/* Guest exception handler table (the guest's copy of guest_handlers[]). */
void vm_install_handler(struct kvm_vm *vm, int vector, void (*fn)(struct ex_regs *));

/* Points IDT vector at a raw entry (an asm stub that ends in IRETQ),
 * bypassing the C router: for interrupt-latency measurements. */
void vm_install_isr_entry(struct kvm_vm *vm, int vector, void (*entry)(void));

/* Programs IOAPIC pin gsi -> vector from the host (KVM_SET_IRQCHIP). */
void vm_ioapic_route(struct kvm_vm *vm, uint32_t gsi, uint8_t vector, bool level, bool masked);

/* ---- TSC ------------------------------------------------------------------ */
uint32_t vcpu_tsc_khz(struct kvm_vcpu *vcpu);
/* Guest TSC = host TSC + offset. Returns false if the kernel lacks the attribute. */
bool vcpu_tsc_offset(struct kvm_vcpu *vcpu, int64_t *offset);
/* Whether host TSC + the offset is the guest's TSC (one time base): false,
 * with the reason in why, where KVM rewrites the offset at each vCPU load
 * because it considers the host TSC unstable. See harness/x86/tsc.c. */
bool vcpu_tsc_one_time_base(struct kvm_vcpu *vcpu, char *why, size_t len);

#endif
