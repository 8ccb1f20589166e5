// SPDX-License-Identifier: GPL-2.0
/* The device every scenario measures: virtio-blk with the null backend
 * (completes each request with VIRTIO_BLK_S_OK without touching data) behind
 * the virtio-mmio transport, wired into the VM by harness/virtio_kvm.c. */
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
	struct virtio_kvm_cfg kc = {
		.notify = notify, .irq = irq, .iothread_cpu = c ? c->iothread_cpu : -1,
	};
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_NULL,
		.capacity_sectors = 1 << 20,
		.num_queues = 1,
		.queue_size_max = (uint16_t)(queue_size_max > 32768 ? 32768 : queue_size_max),
		.irq = &virtio_kvm_irq_ops,
		.mem = &vm->mem,
	};
	int r;

	TEST_ASSERT(d, "calloc");
	r = __virtio_kvm_create(vm, &kc, &d->vk);
	if (r) {
		/* A capability this kernel lacks skips the configuration, not the run. */
		if (r == -EOPNOTSUPP)
			snprintf(why, why_len, "KVM lacks %s", virtio_kvm_missing_cap(&kc));
		else
			snprintf(why, why_len, "virtio device set-up failed: %s", strerror(-r));
		free(d);
		return NULL;
	}
	bc.irq_ctx = d->vk;
	r = virtio_blk__create(&bc, &d->blk);
	TEST_ASSERT(!r, "virtio_blk__create: %d", r);
	virtio_kvm_start(d->vk, virtio_blk__mmio(d->blk), 1);
	return d;
}

void bench_dev_detach(struct bench_dev *d)
{
	if (!d)
		return;
	virtio_kvm_destroy(d->vk);	/* the iothread stops before the device goes */
	virtio_blk__destroy(d->blk);
	free(d);
}

struct virtio_mmio_dev *bench_dev_mmio(struct bench_dev *d) { return virtio_blk__mmio(d->blk); }
struct virtio_kvm *bench_dev_kvm(struct bench_dev *d) { return d->vk; }
