// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio v2 transport, driver side: the initialisation sequence of
 * virtio-mmio.md in that exact order, queue set-up, notification, config
 * reads under ConfigGeneration and the interrupt acknowledge. Every register
 * access is one 32-bit mmio_read32/mmio_write32 (one exit each) except
 * config space, which uses the field's natural width.
 */
#include "guest_virtio.h"

#define RESET_POLLS		1000
#define CONFIG_RETRIES		64

static inline uint32_t rd(const struct virtio_mmio_drv *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

static inline void wr(const struct virtio_mmio_drv *d, uint32_t off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

int virtio_mmio_probe(struct virtio_mmio_drv *d, uint64_t base)
{
	d->base = base;
	d->device_features = 0;
	d->features = 0;
	if (rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return -ENODEV;
	if (rd(d, VIRTIO_MMIO_VERSION) != 2)
		return -ENODEV;
	d->device_id = rd(d, VIRTIO_MMIO_DEVICE_ID);
	if (!d->device_id)
		return -ENODEV;
	d->vendor_id = rd(d, VIRTIO_MMIO_VENDOR_ID);
	return 0;
}

uint32_t virtio_mmio_status(const struct virtio_mmio_drv *d)
{
	return rd(d, VIRTIO_MMIO_STATUS);
}

int virtio_mmio_reset(struct virtio_mmio_drv *d)
{
	wr(d, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < RESET_POLLS; i++) {
		if (!rd(d, VIRTIO_MMIO_STATUS))
			return 0;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

/* Status only ever gains bits during bring-up; we keep no shadow so that
 * what we OR into is what the device really holds. */
static uint32_t status_add(struct virtio_mmio_drv *d, uint32_t bits)
{
	uint32_t s = rd(d, VIRTIO_MMIO_STATUS) | bits;

	wr(d, VIRTIO_MMIO_STATUS, s);
	return s;
}

void virtio_mmio_fail(struct virtio_mmio_drv *d)
{
	status_add(d, VIRTIO_CONFIG_S_FAILED);
}

void virtio_mmio_driver_ok(struct virtio_mmio_drv *d)
{
	status_add(d, VIRTIO_CONFIG_S_DRIVER_OK);
}

int virtio_mmio_negotiate(struct virtio_mmio_drv *d, uint64_t wanted)
{
	uint64_t accept;
	int rc;

	rc = virtio_mmio_reset(d);
	if (rc)
		return rc;
	status_add(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status_add(d, VIRTIO_CONFIG_S_DRIVER);

	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	d->device_features = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	d->device_features |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;

	if (!(d->device_features & (1ULL << VIRTIO_F_VERSION_1))) {
		virtio_mmio_fail(d);
		return -ENODEV;
	}
	accept = d->device_features & (wanted | (1ULL << VIRTIO_F_VERSION_1));
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));

	status_add(d, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		virtio_mmio_fail(d);
		return -EPROTO;
	}
	d->features = accept;
	return 0;
}

int virtio_mmio_init(struct virtio_mmio_drv *d, uint64_t base, uint64_t wanted)
{
	int rc = virtio_mmio_probe(d, base);

	return rc ? rc : virtio_mmio_negotiate(d, wanted);
}

/* QueueSel = index; QueueReady must read 0 (-EBUSY); QueueSizeMax, capped
 * at VRING_MAX_SIZE (0: -ENOENT). Returns the maximum. */
static int select_queue(const struct virtio_mmio_drv *d, uint16_t index)
{
	uint32_t max;

	wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (rd(d, VIRTIO_MMIO_QUEUE_READY))
		return -EBUSY;
	max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	return max ? (int)(max > VRING_MAX_SIZE ? VRING_MAX_SIZE : max) : -ENOENT;
}

static void wr64(const struct virtio_mmio_drv *d, uint32_t lo, uint64_t v)
{
	wr(d, lo, (uint32_t)v);
	wr(d, lo + 4, (uint32_t)(v >> 32));
}

/* QueueSize, the three areas, QueueReady = 1 for the selected queue. A
 * device that refuses the ring leaves QueueReady at 0: -EPROTO. */
static int program_queue(const struct virtio_mmio_drv *d, unsigned int size, uint64_t desc,
			 uint64_t driver, uint64_t device)
{
	wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
	wr64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	wr64(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, driver);
	wr64(d, VIRTIO_MMIO_QUEUE_USED_LOW, device);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (rd(d, VIRTIO_MMIO_QUEUE_READY) != 1)
		return -EPROTO;
	return (int)size;
}

int virtio_mmio_setup_queue(struct virtio_mmio_drv *d, struct vring_drv *q, uint16_t index,
			    unsigned int num, void *mem, unsigned long align,
			    struct vring_drv_slot *slots)
{
	int max = select_queue(d, index);
	unsigned int size;
	int rc;

	if (max < 0)
		return max;
	if (!num)
		return -EINVAL;
	if (num > (unsigned int)max)
		num = (unsigned int)max;
	for (size = 1; size * 2 <= num; size *= 2)
		;
	rc = vring_drv_init(q, size, mem, align, slots, 0, d->features);
	if (rc)
		return rc;
	q->queue_index = index;
	return program_queue(d, size, vring_drv_desc_addr(q), vring_drv_avail_addr(q),
			     vring_drv_used_addr(q));
}

/* A packed queue takes the same registers: the descriptor ring, then the
 * driver and device event areas where a split ring has avail and used. */
int virtio_mmio_setup_packed_queue(struct virtio_mmio_drv *d, struct vring_pdrv *q,
				   uint16_t index, unsigned int num, void *mem,
				   struct vring_pdrv_id *ids)
{
	int rc, max;

	if (!(d->features & (1ULL << VIRTIO_F_RING_PACKED)))
		return -EINVAL;
	max = select_queue(d, index);
	if (max < 0)
		return max;
	if (num > (unsigned int)max)
		num = (unsigned int)max;
	/* Any size: the packed ring has no power-of-two rule. */
	rc = vring_pdrv_init(q, num, mem, ids, 0, d->features);
	if (rc)
		return rc;
	q->queue_index = index;
	return program_queue(d, num, vring_pdrv_desc_addr(q), vring_pdrv_driver_addr(q),
			     vring_pdrv_device_addr(q));
}

/* QueueNotify: the queue index, or with NOTIFICATION_DATA the layout's
 * data word (which starts with the index). */
static void queue_notify(const struct virtio_mmio_drv *d, uint32_t index, uint32_t data)
{
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY,
	   d->features & (1ULL << VIRTIO_F_NOTIFICATION_DATA) ? data : index);
}

void virtio_mmio_notify(const struct virtio_mmio_drv *d, const struct vring_drv *q)
{
	queue_notify(d, q->queue_index, q->queue_index | (uint32_t)q->avail_idx << 16);
}

bool virtio_mmio_kick(const struct virtio_mmio_drv *d, struct vring_drv *q)
{
	if (!vring_drv_kick_prepare(q))
		return false;
	virtio_mmio_notify(d, q);
	return true;
}

bool virtio_mmio_kick_packed(const struct virtio_mmio_drv *d, struct vring_pdrv *q)
{
	if (!vring_pdrv_kick_prepare(q))
		return false;
	queue_notify(d, q->queue_index, vring_pdrv_notify_data(q));
	return true;
}

int virtio_mmio_config_read(const struct virtio_mmio_drv *d, uint32_t offset, void *buf,
			    uint32_t len)
{
	uint8_t *p = buf;

	for (int tries = 0; tries < CONFIG_RETRIES; tries++) {
		uint32_t gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION), i = 0;

		while (i < len) {
			uint64_t a = d->base + VIRTIO_MMIO_CONFIG + offset + i;
			uint32_t left = len - i, v, w;

			if (!(a & 3) && left >= 4) {
				v = mmio_read32(a);
				w = 4;
			} else if (!(a & 1) && left >= 2) {
				v = mmio_read16(a);
				w = 2;
			} else {
				v = mmio_read8(a);
				w = 1;
			}
			for (uint32_t k = 0; k < w; k++)
				p[i + k] = (uint8_t)(v >> (8 * k));
			i += w;
		}
		if (rd(d, VIRTIO_MMIO_CONFIG_GENERATION) == gen)
			return 0;
	}
	return -EAGAIN;
}

uint32_t virtio_mmio_irq_ack(const struct virtio_mmio_drv *d)
{
	uint32_t bits = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (bits)
		wr(d, VIRTIO_MMIO_INTERRUPT_ACK, bits);
	return bits;
}

int64_t virtio_mmio_isr(const struct virtio_mmio_drv *d, struct vring_drv *q,
			vring_done_fn done, void *ctx)
{
	uint32_t bits = virtio_mmio_irq_ack(d);
	void *cookie;
	uint32_t len;
	int rc;

	if (!(bits & VIRTIO_MMIO_INT_VRING) || !q)
		return bits;
	while ((rc = vring_drv_pop_used(q, &cookie, &len)) == 1)
		done(ctx, cookie, len);
	return rc < 0 ? rc : (int64_t)bits;
}
