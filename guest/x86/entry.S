/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest entry points the host writes into guest state: the 256 IDT stubs,
 * the halt gate for CPL3, and the trampoline a returning guest_code lands in.
 * Each stub is 16 bytes so the host computes stub n at guest_idt_stubs + 16n.
 */
	.section guest_text, "ax"

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.globl guest_idt_stubs
	.balign 16
guest_idt_stubs:
	vector = 0
	.rept 256
	.balign 16
	.if HAS_ERR(vector)
	pushq $vector
	.else
	pushq $0
	pushq $vector
	.endif
	jmp guest_idt_common
	vector = vector + 1
	.endr

/* Saves the general registers as struct ex_regs (abi.h), calls the C
 * router, restores and returns to the interrupted code. */
guest_idt_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rdi
	pushq %rsi
	pushq %rbp
	pushq %rbx
	pushq %rdx
	pushq %rcx
	pushq %rax
	movq %rsp, %rdi
	call guest_route_exception
	popq %rax
	popq %rcx
	popq %rdx
	popq %rbx
	popq %rbp
	popq %rsi
	popq %rdi
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	addq $16, %rsp		/* vector, error code */
	iretq

/* INT GUEST_HALT_VECTOR from CPL3, %rdi = address of a wake flag: unless
 * the flag is already set, wait at CPL0 for one interrupt (its handler runs
 * nested here), then return. The gate cleared IF, so an interrupt that sets
 * the flag cannot slip in between the check and the HLT (STI's shadow). */
	.globl guest_halt_entry
	.balign 16
guest_halt_entry:
	cmpl $0, (%rdi)
	jne 1f
	sti
	hlt
1:	iretq

/* guest_code returned: report DONE. Its RET left RSP 16-byte aligned,
 * which is what SysV wants before a CALL (RSP is 8 mod 16 at the callee's
 * entry). Align anyway, so a guest_code that returned with a skewed stack
 * still reports DONE instead of faulting in an aligned access. */
	.globl guest_return_trampoline
	.balign 16
guest_return_trampoline:
	andq $-16, %rsp
	call ucall_done
	ud2

	.section .note.GNU-stack, "", @progbits
