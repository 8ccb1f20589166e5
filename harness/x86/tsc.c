// SPDX-License-Identifier: GPL-2.0
/* The guest's TSC: frequency and offset from the host's, for converting
 * ticks and for one-way host->guest latencies on one time base. */
#include "kvm_util.h"

uint32_t vcpu_tsc_khz(struct kvm_vcpu *vcpu)
{
	int r = __vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, 0);

	TEST_ASSERT(r > 0, "KVM_GET_TSC_KHZ");
	return (uint32_t)r;
}

bool vcpu_tsc_offset(struct kvm_vcpu *vcpu, int64_t *offset)
{
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)offset,
	};

	if (__vcpu_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &attr))
		return false;
	return __vcpu_ioctl(vcpu, KVM_GET_DEVICE_ATTR, &attr) == 0;
}
