// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "guest_run.h"

enum guest_outcome bench_guest_run(struct kvm_vcpu *vcpu, char *why, size_t why_len,
				   void (*on_sync)(void *ctx, const struct ucall *uc), void *ctx)
{
	for (;;) {
		switch (vcpu_run(vcpu)) {
		case VCPU_STOP_REQUESTED:
			snprintf(why, why_len, "interrupted");
			return GUEST_INTERRUPTED;
		case VCPU_STOP_WATCHDOG:
			snprintf(why, why_len, "no report from the guest within %u ms (the watchdog "
				 "stopped it: this exit does not complete on this platform)", vcpu->watchdog_ms);
			return GUEST_FAILED;
		case VCPU_STOP_EXIT:
			vcpu_describe_exit(vcpu, why, why_len);
			return GUEST_FAILED;
		case VCPU_STOP_UCALL:
			break;
		}
		switch (vcpu->ucall.type) {
		case UCALL_DONE:
			return GUEST_OK;
		case UCALL_PRINTF:
			fprintf(stderr, "guest: %.*s\n", UCALL_BUF_LEN, vcpu->ucall.buffer);
			continue;
		case UCALL_SYNC:
			if (on_sync) {
				on_sync(ctx, &vcpu->ucall);
				continue;
			}
			/* fall through */
		default:
			vcpu_describe_ucall(vcpu, &vcpu->ucall, why, why_len);
			return GUEST_FAILED;
		}
	}
}
