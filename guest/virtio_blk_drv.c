// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk requests over the guest virtio-mmio driver: header (readable),
 * optional data, status byte (writable), as one direct chain or through the
 * request's own indirect table. Completions are collected from the used ring
 * by the submitting context only, spinning or halted for the interrupt; the
 * ISR just acks, counts and wakes, so the ring never needs a lock.
 */
#include "guest_virtio.h"

#define BLK_DEFAULT_MAX_WAITS	(1ULL << 20)
#define SPINS_PER_STATUS_READ	0xfffffu	/* a mask: one read per 2^20 spins */

static void blk_fields_init(struct virtio_blk_drv *b)
{
	b->host = NULL;
	b->host_ctx = NULL;
	b->capacity_sectors = 0;
	b->blk_size_bytes = 512;
	b->num_queues = 1;
	b->by_irq = false;
	b->max_waits = BLK_DEFAULT_MAX_WAITS;
	b->irq_count = b->irq_spurious = 0;
	b->config_irqs = b->config_seen = 0;
	b->irq_flag = 0;
	b->status_reads = 0;
	b->completed = 0;
}

int virtio_blk_init(struct virtio_blk_drv *b, uint64_t base, uint64_t wanted,
		    unsigned int num, void *mem, unsigned long align,
		    struct vring_drv_slot *slots)
{
	uint32_t v32;
	uint16_t v16;
	int rc, size;

	blk_fields_init(b);
	rc = virtio_mmio_probe(&b->mmio, base);
	if (rc)
		return rc;
	if (b->mmio.device_id != VIRTIO_ID_BLOCK)
		return -ENODEV;
	rc = virtio_mmio_negotiate(&b->mmio, wanted | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
				   (1ULL << VIRTIO_BLK_F_MQ));
	if (rc)
		return rc;

	rc = virtio_mmio_config_read(&b->mmio, offsetof(struct virtio_blk_config, capacity),
				     &b->capacity_sectors, sizeof(b->capacity_sectors));
	if (!rc && (b->mmio.features & (1ULL << VIRTIO_BLK_F_BLK_SIZE))) {
		rc = virtio_mmio_config_read(&b->mmio,
					     offsetof(struct virtio_blk_config, blk_size),
					     &v32, sizeof(v32));
		b->blk_size_bytes = v32;
	}
	if (!rc && (b->mmio.features & (1ULL << VIRTIO_BLK_F_MQ))) {
		rc = virtio_mmio_config_read(&b->mmio,
					     offsetof(struct virtio_blk_config, num_queues),
					     &v16, sizeof(v16));
		b->num_queues = v16;
	}
	if (rc)
		goto fail;

	b->packed = !!(b->mmio.features & (1ULL << VIRTIO_F_RING_PACKED));
	if (b->packed)
		size = virtio_mmio_setup_packed_queue(&b->mmio, &b->pq, 0, num, mem,
						      (struct vring_pdrv_id *)slots);
	else
		size = virtio_mmio_setup_queue(&b->mmio, &b->vq, 0, num, mem, align, slots);
	if (size < 0) {
		rc = size;
		goto fail;
	}
	b->use_indirect = b->packed ? b->pq.indirect : b->vq.indirect;
	virtio_mmio_driver_ok(&b->mmio);
	return size;
fail:
	virtio_mmio_fail(&b->mmio);
	return rc;
}

int virtio_blk_host_init(struct virtio_blk_drv *b, uint64_t features, unsigned int num,
			 void *mem, struct vring_drv_slot *slots, uintptr_t dma_offset,
			 const struct virtio_blk_host_ops *host, void *host_ctx)
{
	int rc;

	if (!host || !host->notify || !host->wait_used)
		return -EINVAL;
	blk_fields_init(b);
	b->mmio.base = 0;	/* no register window */
	b->mmio.device_id = VIRTIO_ID_BLOCK;
	b->mmio.features = features;
	b->packed = !!(features & (1ULL << VIRTIO_F_RING_PACKED));
	rc = b->packed ? vring_pdrv_init(&b->pq, num, mem, (struct vring_pdrv_id *)slots, dma_offset, features)
		       : vring_drv_init(&b->vq, num, mem, 4096, slots, dma_offset, features);
	if (rc)
		return rc;
	b->use_indirect = b->packed ? b->pq.indirect : b->vq.indirect;
	b->host = host;
	b->host_ctx = host_ctx;
	return (int)num;
}

int virtio_blk_submit(struct virtio_blk_drv *b, struct virtio_blk_req *req, uint32_t type,
		      uint64_t sector, void *data, uint32_t len)
{
	struct vring_sg sg[3];
	unsigned int out = 1, in = 1, n = 1;
	int rc;

	if (!data != !len)
		return -EINVAL;
	req->hdr.type = type;
	req->hdr.ioprio = 0;
	req->hdr.sector = sector;
	req->status = 0xff;
	req->done = 0;
	req->used_len = 0;
	sg[0].buf = &req->hdr;
	sg[0].len = sizeof(req->hdr);
	if (len) {
		sg[n].buf = data;
		sg[n].len = len;
		n++;
		if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID)
			in++;
		else
			out++;
	}
	sg[n].buf = (void *)&req->status;
	sg[n].len = 1;
	if (b->packed)
		rc = vring_pdrv_add(&b->pq, sg, out, in, req,
				    b->use_indirect ? req->indirect_packed : NULL);
	else
		rc = vring_drv_add(&b->vq, sg, out, in, req, b->use_indirect ? req->indirect : NULL);
	return rc < 0 ? rc : 0;
}

bool virtio_blk_kick_prepare(struct virtio_blk_drv *b)
{
	return b->packed ? vring_pdrv_kick_prepare(&b->pq) : vring_drv_kick_prepare(&b->vq);
}

bool virtio_blk_kick(struct virtio_blk_drv *b)
{
	if (b->host) {
		bool kick = virtio_blk_kick_prepare(b);

		if (kick)
			b->host->notify(b->host_ctx);
		return kick;
	}
	return b->packed ? virtio_mmio_kick_packed(&b->mmio, &b->pq)
			 : virtio_mmio_kick(&b->mmio, &b->vq);
}

bool virtio_blk_has_used(const struct virtio_blk_drv *b)
{
	return b->packed ? vring_pdrv_has_used(&b->pq) : vring_drv_has_used(&b->vq);
}

int virtio_blk_pop(struct virtio_blk_drv *b, struct virtio_blk_req **req)
{
	void *cookie;
	uint32_t len;
	int rc = b->packed ? vring_pdrv_pop_used(&b->pq, &cookie, &len)
			   : vring_drv_pop_used(&b->vq, &cookie, &len);

	if (rc != 1)
		return rc;
	*req = cookie;
	(*req)->used_len = len;
	(*req)->done = 1;
	b->completed++;
	return 1;
}

int virtio_blk_poll(struct virtio_blk_drv *b)
{
	struct virtio_blk_req *req;
	int rc, n = 0;

	while ((rc = virtio_blk_pop(b, &req)) == 1)
		n++;
	return rc < 0 ? rc : n;
}

void virtio_blk_irq_off(struct virtio_blk_drv *b)
{
	if (b->packed)
		vring_pdrv_disable_cb(&b->pq);
	else
		vring_drv_disable_cb(&b->vq);
}

bool virtio_blk_irq_on(struct virtio_blk_drv *b)
{
	return b->packed ? vring_pdrv_enable_cb(&b->pq) : vring_drv_enable_cb(&b->vq);
}

/* One trapped read of Status: false once the device stopped the queue. */
static bool device_alive(struct virtio_blk_drv *b)
{
	b->status_reads++;
	return !(virtio_mmio_status(&b->mmio) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

int virtio_blk_wait_used(struct virtio_blk_drv *b)
{
	uint64_t spins = 0;

	if (b->host)
		return b->host->wait_used(b->host_ctx);
	if (!b->by_irq) {
		while (!virtio_blk_has_used(b))
			if (!(++spins & SPINS_PER_STATUS_READ) && !device_alive(b))
				return -EIO;
		return 0;
	}
	while (!virtio_blk_has_used(b)) {
		/* Clear first: an interrupt after this sets it again and the
		 * halt is skipped; one before it left its used entry for
		 * irq_on to see, or its config bit in config_irqs. */
		b->irq_flag = 0;
		if (!virtio_blk_irq_on(b))
			break;		/* something arrived while arming */
		if (b->config_irqs != b->config_seen) {
			b->config_seen = b->config_irqs;
			if (!device_alive(b))
				return -EIO;
		}
		guest_halt_unless(&b->irq_flag);
		if (!virtio_blk_has_used(b) && !device_alive(b))
			return -EIO;	/* woken with nothing used */
	}
	return 0;
}

int virtio_blk_wait(struct virtio_blk_drv *b, struct virtio_blk_req *req)
{
	for (uint64_t w = 0;; w++) {
		int rc = virtio_blk_poll(b);

		if (rc < 0)
			return rc;
		if (req->done)
			return req->status;
		if (w >= b->max_waits)
			return -ETIMEDOUT;
		rc = virtio_blk_wait_used(b);
		if (rc < 0)
			return rc;
	}
}

uint32_t virtio_blk_isr(struct virtio_blk_drv *b)
{
	uint32_t bits = virtio_mmio_irq_ack(&b->mmio);

	if (bits)
		b->irq_count++;
	else
		b->irq_spurious++;
	if (bits & VIRTIO_MMIO_INT_CONFIG)
		b->config_irqs++;
	b->irq_flag = 1;
	return bits;
}

int virtio_blk_rw(struct virtio_blk_drv *b, struct virtio_blk_req *req, bool write,
		  uint64_t sector, void *buf, uint32_t len)
{
	int rc = virtio_blk_submit(b, req, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				   sector, buf, len);

	if (rc)
		return rc;
	virtio_blk_kick(b);
	return virtio_blk_wait(b, req);
}

int virtio_blk_flush(struct virtio_blk_drv *b, struct virtio_blk_req *req)
{
	int rc = virtio_blk_submit(b, req, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);

	if (rc)
		return rc;
	virtio_blk_kick(b);
	return virtio_blk_wait(b, req);
}

int virtio_blk_get_id(struct virtio_blk_drv *b, struct virtio_blk_req *req, char *id)
{
	int rc = virtio_blk_submit(b, req, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES);

	if (rc)
		return rc;
	virtio_blk_kick(b);
	return virtio_blk_wait(b, req);
}
