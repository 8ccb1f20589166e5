// SPDX-License-Identifier: GPL-2.0
/* VM and vCPU life cycle, guest memory and the 64-bit entry state. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_load.h"
#include "kvm_util.h"
#include "x86.h"
#include "guest.h"

/* Guest-side symbols (guest/entry.S): their addresses are the same inside
 * the guest because the image is loaded at its own addresses. */
extern char guest_idt_stubs[];
extern char guest_halt_entry[];
extern char guest_return_trampoline[];
/* Defined by the linker only when referenced: this reference also gives
 * scripts/check_guest_calls.py the bounds it checks. */
extern char __start_guest_text[], __stop_guest_text[];
#define GUEST_IDT_STUB_BYTES 16

/* Low guest memory, below the ELF image at 0x400000. */
#define PT_GPA		0x1000ULL
#define GDT_GPA		(PT_GPA + X86_IDMAP_TABLE_PAGES * GUEST_PAGE_SIZE)
#define IDT_GPA		(GDT_GPA + GUEST_PAGE_SIZE)
#define KSTACK_BYTES	(64 * 1024)
#define USTACK_BYTES	(256 * 1024)

static int kvm_dev_fd = -1;

int kvm_open_or_skip(void)
{
	int fd, version;

	if (kvm_dev_fd >= 0)
		return kvm_dev_fd;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == EACCES || errno == EPERM || errno == ENXIO)
			ktap_skip_all("/dev/kvm not usable: %s", strerror(errno));
		TEST_FAIL("open /dev/kvm");
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	TEST_ASSERT(version == KVM_API_VERSION, "KVM API version %d, expected %d", version, KVM_API_VERSION);
	kvm_dev_fd = fd;
	return fd;
}

int kvm_check_cap(int cap)
{
	int r = ioctl(kvm_open_or_skip(), KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

void require_cap(int cap, const char *name)
{
	if (!kvm_check_cap(cap))
		ktap_skip_all("KVM lacks %s (capability %d)", name, cap);
}

void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa)
{
	void *p = gmem_ptr(&vm->mem, gpa, 1);

	TEST_ASSERT(p, "GPA 0x%llx is outside guest RAM (0x%llx bytes)",
		    (unsigned long long)gpa, (unsigned long long)vm->mem.size_bytes);
	return p;
}

uint64_t vm_alloc(struct kvm_vm *vm, uint64_t bytes, uint64_t align)
{
	uint64_t gpa;

	if (align < GUEST_PAGE_SIZE)
		align = GUEST_PAGE_SIZE;
	gpa = (vm->alloc_next_gpa + align - 1) & ~(align - 1);
	TEST_ASSERT(gpa + bytes <= vm->mem.size_bytes && gpa + bytes > gpa,
		    "guest RAM exhausted: 0x%llx bytes wanted at 0x%llx of 0x%llx",
		    (unsigned long long)bytes, (unsigned long long)gpa,
		    (unsigned long long)vm->mem.size_bytes);
	vm->alloc_next_gpa = (gpa + bytes + GUEST_PAGE_SIZE - 1) & ~(GUEST_PAGE_SIZE - 1);
	memset(vm->mem.hva + gpa, 0, bytes);
	return gpa;
}

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

struct kvm_vm *vm_create(const struct vm_options *opts)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));
	uint64_t ram = opts && opts->ram_bytes ? opts->ram_bytes : GUEST_RAM_DEFAULT_BYTES;
	struct kvm_userspace_memory_region region;
	uint64_t image_end;
	void *hva;

	TEST_ASSERT(vm, "calloc");
	TEST_ASSERT(ram >= (16ULL << 20) && ram <= (3ULL << 30) && !(ram & (GUEST_LARGE_PAGE_SIZE - 1)),
		    "guest RAM must be 16 MiB..3 GiB in 2 MiB steps, not 0x%llx", (unsigned long long)ram);
	vm->kvm_fd = kvm_open_or_skip();
	vm->stats_fd = -1;
	vm->unclaimed_policy = opts ? opts->unclaimed : UNCLAIMED_STRICT;
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	TEST_ASSERT(vm->fd >= 0, "KVM_CREATE_VM");

	/* Guards below and above: a stray device access faults at once. */
	errno = -guard_mem_map(&vm->ram_map, ram, GUEST_LARGE_PAGE_SIZE);
	TEST_ASSERT(!errno, "mmap %llu bytes of guest RAM", (unsigned long long)ram);
	hva = vm->ram_map.hva;
	vm->mem.hva = hva;
	vm->mem.size_bytes = ram;
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = ram, .userspace_addr = (uintptr_t)hva,
	};
	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);

	if (!(opts && opts->no_irqchip)) {
		REQUIRE_CAP(KVM_CAP_IRQCHIP);
		vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
		vm->has_irqchip = true;
	}

	image_end = elf_load(&vm->mem, "/proc/self/exe");
	TEST_ASSERT(image_end, "loading /proc/self/exe into %llu MiB of guest RAM",
		    (unsigned long long)(ram >> 20));
	vm->alloc_next_gpa = (image_end + GUEST_PAGE_SIZE - 1) & ~(GUEST_PAGE_SIZE - 1);
	vm->pml4_gpa = x86_build_identity_map(&vm->mem, PT_GPA, ram < TEST_MMIO_BASE ? TEST_MMIO_BASE : ram);
	TEST_ASSERT(vm->pml4_gpa, "building page tables");
	vm->gdt_gpa = GDT_GPA;
	vm->idt_gpa = IDT_GPA;
	vm_setup_descriptor_tables(vm);
	vm->stats_fd = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	return vm;
}

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

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, void *guest_code)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct x86_tss64 *tss;
	uint64_t tss_gpa, *gdt;
	struct kvm_segment seg;
	int mmap_size;

	TEST_ASSERT(vcpu, "calloc");
	TEST_ASSERT(vm->nr_vcpus < KVM_MAX_VCPUS_HERE, "too many vCPUs");
	vcpu->vm = vm;
	vcpu->id = vm->nr_vcpus;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, vcpu->id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU %d", vcpu->id);
	mmap_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vcpu->run_size = (size_t)mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap kvm_run");
	vcpu->stats_fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, 0);
	vm->vcpus[vm->nr_vcpus++] = vcpu;

	vcpu->stack_top_gva = vm_alloc(vm, KSTACK_BYTES, 0) + KSTACK_BYTES;
	vcpu->user_stack_top_gva = vm_alloc(vm, USTACK_BYTES, 0) + USTACK_BYTES;
	tss_gpa = vm_alloc(vm, GUEST_PAGE_SIZE, 0);
	vcpu->tss_gpa = tss_gpa;
	tss = addr_gpa2hva(vm, tss_gpa);
	tss->rsp0 = vcpu->stack_top_gva;
	tss->iomap_base = sizeof(*tss);	/* no I/O bitmap: IOPL decides */
	x86_segment_tss(&seg, tss_gpa, sizeof(*tss) - 1);
	gdt = addr_gpa2hva(vm, vm->gdt_gpa);
	x86_encode_tss_desc(&seg, &gdt[GDT_TSS >> 3]);

	vcpu_setup_cpuid(vcpu);
	vcpu_setup_lapic(vcpu);
	vcpu->watchdog_ms = 5000;
	if (getenv("MMIOBENCH_WATCHDOG_MS"))
		vcpu->watchdog_ms = (unsigned int)strtoul(getenv("MMIOBENCH_WATCHDOG_MS"), NULL, 0);
	vcpu_set_entry(vcpu, guest_code, 0, 0);
	return vcpu;
}

static void vcpu_load_entry_sregs(struct kvm_vcpu *vcpu, unsigned int cpl, uint64_t tss_gpa)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	sregs.cr3 = vm->pml4_gpa;
	if (cpl == 3) {
		x86_segment_code64(&sregs.cs, GDT_USER_CS, 3);
		x86_segment_data(&sregs.ss, GDT_USER_DS, 3);
	} else {
		x86_segment_code64(&sregs.cs, GDT_KERNEL_CS, 0);
		x86_segment_data(&sregs.ss, GDT_KERNEL_DS, 0);
	}
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
	x86_segment_tss(&sregs.tr, tss_gpa, sizeof(struct x86_tss64) - 1);
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.unusable = 1;
	sregs.gdt.base = vm->gdt_gpa;
	sregs.gdt.limit = GUEST_PAGE_SIZE - 1;
	sregs.idt.base = vm->idt_gpa;
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

void vcpu_args_set(struct kvm_vcpu *vcpu, int nargs, ...)
{
	va_list ap;

	va_start(ap, nargs);
	vcpu_args_set_va(vcpu, nargs, ap);
	va_end(ap);
}

void vcpu_set_entry(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl, int nargs, ...)
{
	struct kvm_regs regs;
	uint64_t *sp;
	uint64_t rsp;
	va_list ap;

	TEST_ASSERT(cpl == 0 || cpl == 3, "CPL must be 0 or 3, not %u", cpl);
	TEST_ASSERT(!guest_code || ((char *)guest_code >= __start_guest_text &&
				    (char *)guest_code < __stop_guest_text),
		    "guest entry %p is not in guest_text: mark it GUEST_CODE", guest_code);
	vcpu_load_entry_sregs(vcpu, cpl, vcpu->tss_gpa);
	vcpu->entry_cpl = cpl;

	/* A return from guest_code lands in the trampoline, which reports DONE.
	 * RSP is 8 mod 16 at entry, as right after a call. */
	rsp = (cpl == 3 ? vcpu->user_stack_top_gva : vcpu->stack_top_gva) - 16;
	sp = addr_gpa2hva(vcpu->vm, rsp - 8);
	*sp = (uint64_t)(uintptr_t)guest_return_trampoline;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uint64_t)(uintptr_t)guest_code;
	regs.rsp = rsp - 8;
	regs.rflags = X86_RFLAGS_FIXED | (cpl == 3 ? X86_RFLAGS_IOPL3 : 0);
	vcpu_regs_set(vcpu, &regs);
	va_start(ap, nargs);
	vcpu_args_set_va(vcpu, nargs, ap);
	va_end(ap);
}

struct kvm_vm *vm_create_with_vcpu(struct kvm_vcpu **vcpu, void *guest_code)
{
	struct kvm_vm *vm = vm_create(NULL);

	*vcpu = vm_vcpu_add(vm, guest_code);
	return vm;
}

void kvm_vm_free(struct kvm_vm *vm)
{
	if (!vm)
		return;
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_vcpu *vcpu = vm->vcpus[i];

		vcpu_watchdog_free(vcpu);
		munmap(vcpu->run, vcpu->run_size);
		if (vcpu->stats_fd >= 0)
			close(vcpu->stats_fd);
		close(vcpu->fd);
		free(vcpu);
	}
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	close(vm->fd);
	guard_mem_unmap(&vm->ram_map);
	free(vm);
}

void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs) { vcpu_ioctl(vcpu, KVM_GET_REGS, regs); }
void vcpu_regs_set(struct kvm_vcpu *vcpu, struct kvm_regs *regs) { vcpu_ioctl(vcpu, KVM_SET_REGS, regs); }
void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs) { vcpu_ioctl(vcpu, KVM_GET_SREGS, sregs); }
void vcpu_sregs_set(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs) { vcpu_ioctl(vcpu, KVM_SET_SREGS, sregs); }

void vm_install_handler(struct kvm_vm *vm, int vector, void (*fn)(struct ex_regs *))
{
	TEST_ASSERT(vector >= 0 && vector < 256, "vector %d", vector);
	guest_hva(vm, &guest_handlers[0])[vector] = fn;
}

void vm_install_isr_entry(struct kvm_vm *vm, int vector, void (*entry)(void))
{
	uint64_t *idt = addr_gpa2hva(vm, vm->idt_gpa);

	TEST_ASSERT(vector >= 32 && vector < 256, "vector %d", vector);
	x86_encode_idt_gate((uint64_t)(uintptr_t)entry, GDT_KERNEL_CS, 0, &idt[vector * 2]);
}
