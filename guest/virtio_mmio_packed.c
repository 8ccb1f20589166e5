// SPDX-License-Identifier: GPL-2.0
/*
 * Step 5 of the bring-up for a packed queue (virtio-mmio 4.2.3.2): the same
 * registers as a split queue, holding the descriptor ring and the driver
 * and device event suppression areas (QueueDriver / QueueDevice are the
 * avail / used registers of a split ring). And its notification.
 */
#include "guest_virtio.h"

static uint32_t rd(const struct virtio_mmio_drv *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

static void wr(const struct virtio_mmio_drv *d, uint32_t off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

static void wr64(const struct virtio_mmio_drv *d, uint32_t lo, uint64_t v)
{
	wr(d, lo, (uint32_t)v);
	wr(d, lo + 4, (uint32_t)(v >> 32));
}

int virtio_mmio_setup_packed_queue(struct virtio_mmio_drv *d, struct vring_pdrv *q,
				   uint16_t index, unsigned int num, void *mem,
				   struct vring_pdrv_id *ids)
{
	int rc, max;

	if (!(d->features & (1ULL << VIRTIO_F_RING_PACKED)))
		return -EINVAL;
	max = virtio_mmio_select_queue(d, index);
	if (max < 0)
		return max;
	if (num > (unsigned int)max)
		num = (unsigned int)max;
	/* Any size: the packed ring has no power-of-two rule. */
	rc = vring_pdrv_init(q, num, mem, ids, 0, d->features);
	if (rc)
		return rc;
	q->queue_index = index;
	wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	wr64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, vring_pdrv_desc_addr(q));
	wr64(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, vring_pdrv_driver_addr(q));
	wr64(d, VIRTIO_MMIO_QUEUE_USED_LOW, vring_pdrv_device_addr(q));
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (rd(d, VIRTIO_MMIO_QUEUE_READY) != 1)
		return -EPROTO;
	return (int)num;
}

bool virtio_mmio_kick_packed(const struct virtio_mmio_drv *d, struct vring_pdrv *q)
{
	if (!vring_pdrv_kick_prepare(q))
		return false;
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, d->features & (1ULL << VIRTIO_F_NOTIFICATION_DATA) ?
	   vring_pdrv_notify_data(q) : q->queue_index);
	return true;
}
