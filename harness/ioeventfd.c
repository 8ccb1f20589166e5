// SPDX-License-Identifier: GPL-2.0
/* KVM_IOEVENTFD registration for MMIO and PIO (see include/kvm_util.h). */
#include <errno.h>

#include "kvm_util.h"

int __vm_ioeventfd(struct kvm_vm *vm, int fd, const struct ioeventfd_spec *s, bool deassign)
{
	struct kvm_ioeventfd io = {
		.addr = s->addr, .len = s->len, .fd = fd, .datamatch = s->data,
	};

	if (s->pio)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (s->datamatch)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (deassign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return __vm_ioctl(vm, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

void vm_ioeventfd(struct kvm_vm *vm, int fd, const struct ioeventfd_spec *s)
{
	int r = __vm_ioeventfd(vm, fd, s, false);

	errno = -r;
	TEST_ASSERT(!r, "KVM_IOEVENTFD assign %s 0x%llx len %u%s", s->pio ? "PIO" : "MMIO",
		    (unsigned long long)s->addr, s->len, s->datamatch ? " datamatch" : "");
}

void vm_ioeventfd_deassign(struct kvm_vm *vm, int fd, const struct ioeventfd_spec *s)
{
	int r = __vm_ioeventfd(vm, fd, s, true);

	errno = -r;
	TEST_ASSERT(!r, "KVM_IOEVENTFD deassign %s 0x%llx", s->pio ? "PIO" : "MMIO",
		    (unsigned long long)s->addr);
}
