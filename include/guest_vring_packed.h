/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver's half of a packed virtqueue (virtio 1.x, 2.8), in
 * guest/vring_packed.c: the same shape of API as the split-ring producer in
 * guest_virtio.h (add, kick decision, collect, interrupt suppression), the
 * same rules (caller memory only, no libc, bounded, one owner per queue,
 * dma_offset 0 in the guest and the buffer base in host unit tests).
 */
#ifndef MMIOBENCH_GUEST_VRING_PACKED_H
#define MMIOBENCH_GUEST_VRING_PACKED_H

#include "guest_virtio.h"

/* Driver-private state per buffer id; the device never sees it. */
struct vring_pdrv_id {
	void *cookie;		/* non-NULL while the buffer is in flight */
	uint16_t slots;		/* ring descriptors its list takes */
	uint16_t next_free;	/* free-id stack link */
};

struct vring_pdrv {
	struct vring_packed_desc *desc;			/* num descriptors */
	struct vring_packed_desc_event *driver_evt;	/* we write: interrupts */
	struct vring_packed_desc_event *device_evt;	/* we read: kicks */
	struct vring_pdrv_id *ids;			/* caller memory, num entries */
	uintptr_t dma_offset;
	uint16_t num;
	uint16_t next_avail, next_used;	/* ring slots */
	bool avail_wrap, used_wrap;	/* the Driver Ring Wrap Counter, and ours for used */
	uint16_t free_id;		/* top of the free-id stack */
	uint32_t num_free;		/* free ring descriptors */
	uint32_t since_kick;		/* ring descriptors made available since the last decision */
	uint16_t driver_flags;		/* shadow of driver_evt->flags */
	bool event_idx, indirect;
	bool cb_enabled;
	uint16_t queue_index;
	uint64_t kicks, kicks_suppressed;
};

/* Ring memory for num entries: the descriptor ring (16-byte aligned), then
 * the driver and the device event suppression structures, 4 bytes each. */
GUEST_INLINE size_t vring_pdrv_mem_bytes(unsigned int num)
{
	return sizeof(struct vring_packed_desc) * (size_t)num +
	       2 * sizeof(struct vring_packed_desc_event);
}

/* Lays the ring out over mem (16-byte aligned), zeroes it (a zeroed
 * descriptor is neither available nor used for either wrap value), links
 * every id into the free stack. num: 1..32768, any value. features: only
 * EVENT_IDX and INDIRECT_DESC matter. Callbacks start enabled. 0 or -EINVAL. */
int vring_pdrv_init(struct vring_pdrv *q, unsigned int num, void *mem,
		    struct vring_pdrv_id *ids, uintptr_t dma_offset, uint64_t features);

GUEST_INLINE uint64_t vring_pdrv_desc_addr(const struct vring_pdrv *q)
{ return (uintptr_t)q->desc - q->dma_offset; }
GUEST_INLINE uint64_t vring_pdrv_driver_addr(const struct vring_pdrv *q)
{ return (uintptr_t)q->driver_evt - q->dma_offset; }
GUEST_INLINE uint64_t vring_pdrv_device_addr(const struct vring_pdrv *q)
{ return (uintptr_t)q->device_evt - q->dma_offset; }
GUEST_INLINE unsigned int vring_pdrv_num_free(const struct vring_pdrv *q) { return q->num_free; }

/* Makes one list available at once (its first descriptor's flags last):
 * sg[0..out) device-readable, then in device-writable; with indirect_table
 * (INDIRECT_DESC negotiated, out+in entries) it takes one ring slot.
 * Returns the buffer id, -ENOSPC, or -EINVAL. */
int vring_pdrv_add(struct vring_pdrv *q, const struct vring_sg *sg, unsigned int out,
		   unsigned int in, void *cookie, struct vring_packed_desc *indirect_table);

/* Full barrier, then the device's event suppression: true if the caller
 * must notify. False if nothing was added since the last decision. */
bool vring_pdrv_kick_prepare(struct vring_pdrv *q);

/* The notification data for VIRTIO_F_NOTIFICATION_DATA: queue index, next
 * slot to fill and the wrap counter (4.2.3.3 / 2.9). */
GUEST_INLINE uint32_t vring_pdrv_notify_data(const struct vring_pdrv *q)
{
	return q->queue_index | (uint32_t)q->next_avail << 16 | (uint32_t)q->avail_wrap << 31;
}

bool vring_pdrv_has_used(const struct vring_pdrv *q);

/* Collects the next used buffer: 1 with *cookie and *len, 0 if none, -EIO
 * if the device named an id that is not in flight. */
int vring_pdrv_pop_used(struct vring_pdrv *q, void **cookie, uint32_t *len);

/* Interrupt suppression through the driver event structure: disable, or
 * ask for an interrupt once about n more buffers are used. With EVENT_IDX
 * the event slot assumes one ring slot per buffer: lists of several
 * descriptors make it fire early (an extra interrupt), never late. Without
 * EVENT_IDX any completion interrupts. Returns true if nothing is pending
 * after the full barrier, i.e. it is safe to sleep. */
void vring_pdrv_disable_cb(struct vring_pdrv *q);
bool vring_pdrv_enable_cb_after(struct vring_pdrv *q, uint16_t n);
GUEST_INLINE bool vring_pdrv_enable_cb(struct vring_pdrv *q) { return vring_pdrv_enable_cb_after(q, 1); }

/* guest/virtio_mmio_packed.c. Step 5 for a packed queue once RING_PACKED
 * is negotiated: QueueSel, QueueReady must read 0 (-EBUSY), QueueSizeMax
 * (0: -ENOENT); num (any value, clamped to the maximum) entries over mem
 * (vring_pdrv_mem_bytes(num), 16-byte aligned) and ids; QueueSize, the
 * ring and both event areas, QueueReady = 1. The size used, or < 0. */
int virtio_mmio_setup_packed_queue(struct virtio_mmio_drv *d, struct vring_pdrv *q,
				   uint16_t index, unsigned int num, void *mem,
				   struct vring_pdrv_id *ids);

/* vring_pdrv_kick_prepare() and, if needed, QueueNotify: the queue index,
 * or with NOTIFICATION_DATA vring_pdrv_notify_data(). True if notified. */
bool virtio_mmio_kick_packed(const struct virtio_mmio_drv *d, struct vring_pdrv *q);

#endif
