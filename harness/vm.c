// SPDX-License-Identifier: GPL-2.0
/* VM and vCPU life cycle and guest memory; the architecture fills in the
 * rest through the hooks in kvm_util.h (harness/x86/). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_load.h"
#include "kvm_util.h"

/* Defined by the linker only when referenced: this reference also gives
 * scripts/check_guest_calls.py the bounds it checks. */
extern char __start_guest_text[], __stop_guest_text[];

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

/* MMIOBENCH_HIDE_CAPS=82,36 makes those capability numbers read as absent,
 * so that the paths taken on an older kernel can be tested on this one. */
static bool cap_hidden(int cap)
{
	const char *p = getenv("MMIOBENCH_HIDE_CAPS");
	char *end;

	while (p && *p) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v == cap)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

int kvm_check_cap(int cap)
{
	int r = ioctl(kvm_open_or_skip(), KVM_CHECK_EXTENSION, cap);

	return r < 0 || cap_hidden(cap) ? 0 : r;
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
	vm_arch_post_create(vm);
	vm->stats_fd = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	return vm;
}

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, void *guest_code)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
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

	vcpu_arch_init(vcpu);
	vcpu->watchdog_ms = 5000;
	if (getenv("MMIOBENCH_WATCHDOG_MS"))
		vcpu->watchdog_ms = (unsigned int)strtoul(getenv("MMIOBENCH_WATCHDOG_MS"), NULL, 0);
	vcpu_set_entry(vcpu, guest_code, 0, 0);
	return vcpu;
}

void vcpu_args_set(struct kvm_vcpu *vcpu, int nargs, ...)
{
	va_list ap;

	va_start(ap, nargs);
	vcpu_args_set_va(vcpu, nargs, ap);
	va_end(ap);
}

static void assert_guest_text(void *guest_code)
{
	TEST_ASSERT(!guest_code || ((char *)guest_code >= __start_guest_text &&
				    (char *)guest_code < __stop_guest_text),
		    "guest entry %p is not in guest_text: mark it GUEST_CODE", guest_code);
}

void vcpu_set_entry(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl, int nargs, ...)
{
	va_list ap;

	assert_guest_text(guest_code);
	va_start(ap, nargs);
	vcpu_arch_set_entry(vcpu, guest_code, cpl, false, nargs, ap);
	va_end(ap);
}

void vcpu_set_entry_irqs_on(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl, int nargs, ...)
{
	va_list ap;

	assert_guest_text(guest_code);
	va_start(ap, nargs);
	vcpu_arch_set_entry(vcpu, guest_code, cpl, true, nargs, ap);
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
		kvm_stats_free(vcpu->stats);
		if (vcpu->stats_fd >= 0)
			close(vcpu->stats_fd);
		close(vcpu->fd);
		free(vcpu);
	}
	kvm_stats_free(vm->stats);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	close(vm->fd);
	guard_mem_unmap(&vm->ram_map);
	free(vm);
}
