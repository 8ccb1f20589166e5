// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>

#include "bench.h"
#include "guest.h"
#include "guest_run.h"

/* HLTs the guests' interrupt router stepped over (guest/x86/idt.c), over
 * every VM this process ran. */
static uint64_t hlt_shadow_skips;

static enum guest_outcome run_to_outcome(struct kvm_vcpu *vcpu, char *why, size_t why_len,
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

enum guest_outcome bench_guest_run(struct kvm_vcpu *vcpu, char *why, size_t why_len,
				   void (*on_sync)(void *ctx, const struct ucall *uc), void *ctx)
{
	enum guest_outcome o = run_to_outcome(vcpu, why, why_len, on_sync, ctx);

	hlt_shadow_skips += *guest_hva(vcpu->vm, &guest_hlt_shadow_skips);
	return o;
}

void bench_note_guest_quirks(struct bench_ctx *c)
{
	if (hlt_shadow_skips)
		bench_note(c, "the guests took %" PRIu64 " interrupt(s) inside STI's shadow, before the "
			   "HLT of STI; HLT, which x86 forbids; the guest stepped over that HLT (else it "
			   "would have slept past the interrupt). A platform quirk, seen on kvm_amd in "
			   "QEMU TCG", hlt_shadow_skips);
}
