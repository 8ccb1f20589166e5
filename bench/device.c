// SPDX-License-Identifier: GPL-2.0
/* The device every scenario measures: virtio-blk with the null backend
 * (completes each request with VIRTIO_BLK_S_OK without touching data) behind
 * the virtio-mmio transport, put into the VM by __vm_virtio_attach(). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "virtio_blk_dev.h"

struct bench_dev {
	struct virtio_kvm *vk;
	struct virtio_blk *blk;
	int extra_fd;
	_Atomic uint64_t extra_kicks;
};

/* The iothread's handler for the caller's eventfd: what it does for a
 * queue's ioeventfd, less the ring (there is none behind a port). */
static void extra_ready(void *ctx)
{
	struct bench_dev *d = ctx;
	uint64_t n;

	if (read(d->extra_fd, &n, sizeof(n)) == sizeof(n))
		atomic_fetch_add_explicit(&d->extra_kicks, n, memory_order_relaxed);
}

struct bench_dev *bench_dev_attach(struct bench_ctx *c, struct kvm_vm *vm,
				   const struct bench_dev_wiring *w, char *why, size_t why_len)
{
	struct bench_dev *d = calloc(1, sizeof(*d));
	uint32_t queue_size_max = w->queue_size_max;
	struct virtio_dev_fd extra = { .fd = w->extra_fd, .ready = extra_ready, .ctx = d };
	struct virtio_dev_desc desc = {
		.wire = { .notify = w->notify, .irq = w->irq, .iothread_cpu = c ? c->iothread_cpu : -1,
			  .iothread = w->iothread, .poll_max_ns = c ? c->o->poll_max_ns : 0,
			  .notification_data = w->notification_data },
		.fds = w->extra_fd >= 0 ? &extra : NULL,
		.nr_fds = w->extra_fd >= 0,
	};
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_NULL,
		.capacity_sectors = 1 << 20,
		.num_queues = 1,
		.queue_size_max = (uint16_t)(queue_size_max > 32768 ? 32768 : queue_size_max),
	};
	int r;

	TEST_ASSERT(d, "calloc");
	/* A busy iothread on the vCPU's CPU would take its time slices: the
	 * figure would be the scheduler's, not the design's. */
	if (w->iothread == IOTHREAD_BUSY && c && (c->iothread_cpu < 0 || c->iothread_cpu == c->vcpu_cpu)) {
		snprintf(why, why_len, "busy polling needs a CPU of its own for the iothread: "
			 "only one usable CPU here");
		free(d);
		return NULL;
	}
	d->extra_fd = w->extra_fd;
	r = virtio_blk__new(&bc, &d->blk, &desc.dev);
	TEST_ASSERT(!r, "virtio_blk__new: %d", r);
	r = __vm_virtio_attach(vm, &desc, &d->vk);
	if (r) {
		/* A capability this kernel lacks skips the configuration, not the run. */
		if (r == -EOPNOTSUPP)
			snprintf(why, why_len, "KVM lacks %s", virtio_kvm_missing_cap(&desc.wire));
		else
			snprintf(why, why_len, "virtio device set-up failed: %s", strerror(-r));
		virtio_blk__destroy(d->blk);
		free(d);
		return NULL;
	}
	return d;
}

void bench_dev_detach(struct bench_dev *d)
{
	if (!d)
		return;
	virtio_kvm_destroy(d->vk);	/* the iothread stops and the transport goes first */
	virtio_blk__destroy(d->blk);
	free(d);
}

uint64_t bench_dev_extra_kicks(struct bench_dev *d) { return atomic_load(&d->extra_kicks); }
struct virtio_mmio_dev *bench_dev_mmio(struct bench_dev *d) { return virtio_kvm_mmio(d->vk); }
struct virtio_kvm *bench_dev_kvm(struct bench_dev *d) { return d->vk; }

void bench_set_iothread_cells(struct bench_ctx *c, int mode, const struct virtio_kvm_counters *s0,
			      const struct virtio_kvm_counters *s1)
{
	uint64_t hit = s1->polls_hit - s0->polls_hit, slept = s1->polls_slept - s0->polls_slept;

	if (mode < 0)
		return;
	results_set_u64(c->samples, "eventfd_kicks", s1->eventfd_kicks - s0->eventfd_kicks);
	results_set_u64(c->samples, "iothread_wakeups", s1->iothread_wakeups - s0->iothread_wakeups);
	if (mode != IOTHREAD_POLL)
		return;
	/* How often polling caught the work, and the window it settled on. */
	if (hit + slept)
		results_set_double(c->samples, "poll_hit_rate", (double)hit / (double)(hit + slept));
	results_set_u64(c->samples, "poll_window_ns", s1->poll_window_ns);
}

enum iothread_mode bench_iothread_at(const struct bench_opts *o, bool waits_for_kicks, int i)
{
	return waits_for_kicks ? (enum iothread_mode)o->iothread_modes[i] : IOTHREAD_BLOCK;
}
