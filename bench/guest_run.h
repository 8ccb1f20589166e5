/* SPDX-License-Identifier: GPL-2.0 */
/* Running a benchmark guest to completion without failing the process: every
 * way a guest can stop is turned into an outcome and a one-line reason, so a
 * kind the platform cannot do is skipped with that reason. */
#ifndef MMIOBENCH_GUEST_RUN_H
#define MMIOBENCH_GUEST_RUN_H

#include "kvm_util.h"

/* GUEST_SKIP: not run, this KVM cannot (the reason says which capability). */
enum guest_outcome { GUEST_OK, GUEST_FAILED, GUEST_INTERRUPTED, GUEST_SKIP };

/* Runs until DONE. SYNC ucalls are passed to on_sync (may be NULL: then a
 * SYNC is a failure); PRINTF is echoed to stderr. */
enum guest_outcome bench_guest_run(struct kvm_vcpu *vcpu, char *why, size_t why_len,
				   void (*on_sync)(void *ctx, const struct ucall *uc), void *ctx);

struct bench_ctx;
/* A note in the run's meta.json for what the guests worked around on this
 * platform (an interrupt inside STI's shadow), if anything. */
void bench_note_guest_quirks(struct bench_ctx *c);

#endif
