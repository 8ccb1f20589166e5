// SPDX-License-Identifier: GPL-2.0
/* x86 VM set-up by state: identity page tables, the GDT and the IDT, in
 * low guest memory below the image; and the host's writes into the IDT. */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "guest.h"

/* Guest-side symbols (guest/x86/entry.S): their addresses are the same
 * inside the guest because the image is loaded at its own addresses. */
extern char guest_idt_stubs[];
extern char guest_halt_entry[];
#define GUEST_IDT_STUB_BYTES 16

/* Low guest memory, below the ELF image at 0x400000. */
#define PT_GPA		0x1000ULL
#define GDT_GPA		(PT_GPA + X86_IDMAP_TABLE_PAGES * GUEST_PAGE_SIZE)
#define IDT_GPA		(GDT_GPA + GUEST_PAGE_SIZE)

static void vm_setup_descriptor_tables(struct kvm_vm *vm)
{
	uint64_t *gdt = addr_gpa2hva(vm, GDT_GPA);
	uint64_t *idt = addr_gpa2hva(vm, IDT_GPA);
	struct kvm_segment seg;

	memset(gdt, 0, GUEST_PAGE_SIZE);
	x86_segment_code64(&seg, GDT_KERNEL_CS, 0);
	gdt[GDT_KERNEL_CS >> 3] = x86_encode_seg_desc(&seg);
	x86_segment_data(&seg, GDT_KERNEL_DS, 0);
	gdt[GDT_KERNEL_DS >> 3] = x86_encode_seg_desc(&seg);
	x86_segment_data(&seg, GDT_USER_DS, 3);
	gdt[GDT_USER_DS >> 3] = x86_encode_seg_desc(&seg);
	x86_segment_code64(&seg, GDT_USER_CS, 3);
	gdt[GDT_USER_CS >> 3] = x86_encode_seg_desc(&seg);
	/* The TSS descriptor is written per vCPU; TR is loaded by state. */

	for (int v = 0; v < 256; v++) {
		uint64_t handler = (uint64_t)(uintptr_t)guest_idt_stubs + (uint64_t)v * GUEST_IDT_STUB_BYTES;
		unsigned int dpl = 0;

		if (v == GUEST_HALT_VECTOR) {
			handler = (uint64_t)(uintptr_t)guest_halt_entry;
			dpl = 3;	/* reachable by INT from CPL3 */
		}
		x86_encode_idt_gate(handler, GDT_KERNEL_CS, dpl, &idt[v * 2]);
	}
}

void vm_arch_post_create(struct kvm_vm *vm)
{
	uint64_t ram = vm->mem.size_bytes;

	vm->arch.pml4_gpa = x86_build_identity_map(&vm->mem, PT_GPA, ram < TEST_MMIO_BASE ? TEST_MMIO_BASE : ram);
	TEST_ASSERT(vm->arch.pml4_gpa, "building page tables");
	vm->arch.gdt_gpa = GDT_GPA;
	vm->arch.idt_gpa = IDT_GPA;
	vm_setup_descriptor_tables(vm);
}

void vm_install_handler(struct kvm_vm *vm, int vector, void (*fn)(struct ex_regs *))
{
	TEST_ASSERT(vector >= 0 && vector < 256, "vector %d", vector);
	guest_hva(vm, &guest_handlers[0])[vector] = fn;
}

void vm_install_isr_entry(struct kvm_vm *vm, int vector, void (*entry)(void))
{
	uint64_t *idt = addr_gpa2hva(vm, vm->arch.idt_gpa);

	TEST_ASSERT(vector >= 32 && vector < 256, "vector %d", vector);
	x86_encode_idt_gate((uint64_t)(uintptr_t)entry, GDT_KERNEL_CS, 0, &idt[vector * 2]);
}
