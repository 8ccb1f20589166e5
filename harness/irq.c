// SPDX-License-Identifier: GPL-2.0
/* In-kernel irqchip: KVM_IRQ_LINE, irqfd (edge, or level with resample).
 * Host-side IOAPIC routing is x86: harness/x86/ioapic.c. */
#include <errno.h>
#include <string.h>

#include "kvm_util.h"

void vm_irq_line(struct kvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	vm_ioctl(vm, KVM_IRQ_LINE, &irq);
}

int __vm_irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, int resample_fd, bool deassign)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };

	if (deassign)
		irqfd.flags |= KVM_IRQFD_FLAG_DEASSIGN;
	if (resample_fd >= 0 && !deassign) {
		irqfd.flags |= KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = (uint32_t)resample_fd;
	}
	return __vm_ioctl(vm, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

void vm_irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, int resample_fd)
{
	int r = __vm_irqfd(vm, fd, gsi, resample_fd, false);

	errno = -r;
	TEST_ASSERT(!r, "KVM_IRQFD assign fd %d gsi %u resample %d", fd, gsi, resample_fd);
}

void vm_irqfd_deassign(struct kvm_vm *vm, int fd, uint32_t gsi, int resample_fd)
{
	int r = __vm_irqfd(vm, fd, gsi, resample_fd, true);

	errno = -r;
	TEST_ASSERT(!r, "KVM_IRQFD deassign fd %d gsi %u", fd, gsi);
}
