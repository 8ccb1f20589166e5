// SPDX-License-Identifier: GPL-2.0
/* The guest's TSC: frequency and offset from the host's, for converting
 * ticks and for one-way host->guest latencies on one time base. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The host's current clocksource, for the reason text ("?" if unknown). */
static void current_clocksource(char *buf, size_t len)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(buf, len, "?");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/*
 * When KVM considers the host TSC unstable (kvm_check_tsc_unstable(): the
 * host kernel marked it so, e.g. "TSCs unsynchronized" across CPUs, as a
 * Linux guest of QEMU TCG does), kvm_arch_vcpu_load() rewrites the TSC
 * offset at every vCPU load (every vCPU ioctl, KVM_RUN included) so that the
 * guest TSC resumes from last_guest_tsc, and sets tsc_catchup, which moves
 * it forward again at the next entry (kvm_guest_time_update()). The offset
 * then changes under the reader's feet and host TSC + offset is not the
 * guest's TSC. On a stable TSC only writes (kvm_synchronize_tsc(),
 * KVM_VCPU_TSC_OFFSET) change it. Two reads 20 ms apart (each a load) tell.
 */
bool vcpu_tsc_one_time_base(struct kvm_vcpu *vcpu, char *why, size_t len)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int64_t a, b;
	char cs[32];

	if (!vcpu_tsc_offset(vcpu, &a)) {
		snprintf(why, len, "no KVM_VCPU_TSC_OFFSET attribute: no common time base for host and guest TSC");
		return false;
	}
	nanosleep(&ts, NULL);
	TEST_ASSERT(vcpu_tsc_offset(vcpu, &b), "the TSC offset went away");
	if (a == b)
		return true;
	current_clocksource(cs, sizeof(cs));
	snprintf(why, len, "KVM rewrites the TSC offset at every vCPU load (%" PRId64 " ticks in 20 ms): "
		 "it considers the host TSC unstable (host clocksource %s), so host TSC + offset is not "
		 "the guest's TSC", b - a, cs);
	return false;
}
