// SPDX-License-Identifier: GPL-2.0
/* The device every scenario measures: virtio-blk behind the virtio-mmio
 * transport, wired into the VM by harness/virtio_kvm.c. */
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "bench.h"
#include "virtio_mmio_dev.h"

struct bench_dev {
	struct virtio_kvm *vk;
	struct virtio_mmio_dev *dev;
};

/* Temporary until virtio-blk lands: completes every chain, writes nothing. */
static int null_chain(void *ctx, uint16_t q, const struct virtq_chain *ch, uint32_t *written)
{
	(void)ctx;
	(void)q;
	(void)ch;
	*written = 0;
	return 0;
}

static const struct virtio_dev_ops null_ops = { .handle_chain = null_chain };

struct bench_dev *bench_dev_attach(struct bench_ctx *c, struct kvm_vm *vm,
				   enum virtio_notify_mode notify, enum virtio_irq_method irq,
				   uint32_t queue_size_max)
{
	struct bench_dev *d = calloc(1, sizeof(*d));
	struct virtio_kvm_cfg kc = {
		.notify = notify, .irq = irq, .iothread_cpu = c ? c->iothread_cpu : -1,
	};
	struct virtio_blk_config cfg = { .capacity = 1 << 20 };
	struct virtio_mmio_cfg mc = {
		.device_id = VIRTIO_ID_BLOCK, .num_queues = 1, .queue_size_max = (uint16_t)queue_size_max,
		.config = &cfg, .config_len_bytes = sizeof(cfg), .ops = &null_ops,
		.irq = &virtio_kvm_irq_ops, .mem = &vm->mem,
	};
	int r;

	TEST_ASSERT(d, "calloc");
	d->vk = virtio_kvm_create(vm, &kc);
	mc.irq_ctx = d->vk;
	r = virtio_mmio__create(&mc, &d->dev);
	TEST_ASSERT(!r, "virtio_mmio_create: %d", r);
	virtio_kvm_start(d->vk, d->dev, 1);
	return d;
}

void bench_dev_detach(struct bench_dev *d)
{
	if (!d)
		return;
	virtio_kvm_destroy(d->vk);	/* iothread stopped before the device goes */
	virtio_mmio__destroy(d->dev);
	free(d);
}

struct virtio_mmio_dev *bench_dev_mmio(struct bench_dev *d) { return d->dev; }
struct virtio_kvm *bench_dev_kvm(struct bench_dev *d) { return d->vk; }
