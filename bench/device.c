// SPDX-License-Identifier: GPL-2.0
/* The device every scenario measures: virtio-blk with the null backend
 * (completes each request with VIRTIO_BLK_S_OK without touching data) behind
 * the virtio-mmio transport, put into the VM by __vm_virtio_attach(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "virtio_blk_dev.h"

struct bench_dev {
	struct virtio_kvm *vk;
	struct virtio_blk *blk;
};

struct bench_dev *bench_dev_attach(struct bench_ctx *c, struct kvm_vm *vm,
				   enum virtio_notify_mode notify, enum irq_method irq,
				   uint32_t queue_size_max, char *why, size_t why_len)
{
	struct bench_dev *d = calloc(1, sizeof(*d));
	struct virtio_dev_desc desc = {
		.wire = { .notify = notify, .irq = irq, .iothread_cpu = c ? c->iothread_cpu : -1 },
	};
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_NULL,
		.capacity_sectors = 1 << 20,
		.num_queues = 1,
		.queue_size_max = (uint16_t)(queue_size_max > 32768 ? 32768 : queue_size_max),
	};
	int r;

	TEST_ASSERT(d, "calloc");
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

struct virtio_mmio_dev *bench_dev_mmio(struct bench_dev *d) { return virtio_kvm_mmio(d->vk); }
struct virtio_kvm *bench_dev_kvm(struct bench_dev *d) { return d->vk; }
