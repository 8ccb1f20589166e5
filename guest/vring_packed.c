// SPDX-License-Identifier: GPL-2.0
/*
 * Packed-ring producer (see include/guest_virtio.h). Runs in the guest
 * at CPL0 or CPL3 and in host unit tests: short paths, no allocation, no
 * libc. Buffer ids come from a private free stack, never from the shared
 * ring; the device's used descriptors are checked against it.
 */
#include "guest_virtio.h"

#define EVT_WRAP	(1u << VRING_PACKED_EVENT_F_WRAP_CTR)
#define RD16(p)		(*(volatile const uint16_t *)(p))
#define WR16(p, v)	(*(volatile uint16_t *)(p) = (uint16_t)(v))
#define NO_ID		0xffffu

int vring_pdrv_init(struct vring_pdrv *q, unsigned int num, void *mem,
		    struct vring_pdrv_id *ids, uintptr_t dma_offset, uint64_t features)
{
	uint8_t *m = mem;
	size_t bytes = vring_pdrv_mem_bytes(num);

	if (!num || num > VRING_MAX_SIZE || !mem || !ids || ((uintptr_t)mem & 15))
		return -EINVAL;
	for (size_t i = 0; i < bytes; i++)
		m[i] = 0;
	q->desc = mem;
	q->driver_evt = (void *)(m + sizeof(struct vring_packed_desc) * (size_t)num);
	q->device_evt = q->driver_evt + 1;
	q->ids = ids;
	q->dma_offset = dma_offset;
	q->num = (uint16_t)num;		/* 32768 fits */
	q->next_avail = q->next_used = 0;
	q->avail_wrap = q->used_wrap = true;
	q->num_free = num;
	q->since_kick = 0;
	q->driver_flags = VRING_PACKED_EVENT_FLAG_ENABLE;
	q->event_idx = !!(features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	q->indirect = !!(features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	q->cb_enabled = true;
	q->queue_index = 0;
	q->kicks = q->kicks_suppressed = 0;
	for (unsigned int i = 0; i < num; i++) {
		ids[i].cookie = NULL;
		ids[i].slots = 0;
		ids[i].next_free = i + 1 < num ? (uint16_t)(i + 1) : NO_ID;
	}
	q->free_id = 0;
	return 0;
}

int vring_pdrv_add(struct vring_pdrv *q, const struct vring_sg *sg, unsigned int out,
		   unsigned int in, void *cookie, struct vring_packed_desc *indirect_table)
{
	unsigned int n = out + in, slots = indirect_table ? 1 : n;
	uint16_t id = q->free_id, head = q->next_avail, head_flags = 0;
	uint16_t slot = head;
	bool wrap = q->avail_wrap;

	if (!cookie || !n || n > q->num || (indirect_table && !q->indirect))
		return -EINVAL;
	if (id == NO_ID || slots > q->num_free)
		return -ENOSPC;
	if (indirect_table) {
		for (unsigned int k = 0; k < n; k++) {
			indirect_table[k].addr = (uintptr_t)sg[k].buf - q->dma_offset;
			indirect_table[k].len = sg[k].len;
			indirect_table[k].id = 0;
			indirect_table[k].flags = k >= out ? VRING_DESC_F_WRITE : 0;
		}
	}
	for (unsigned int k = 0; k < slots; k++) {
		struct vring_packed_desc *d = &q->desc[slot];
		uint16_t f = vring_packed_avail_flags(wrap);

		if (indirect_table) {
			d->addr = (uintptr_t)indirect_table - q->dma_offset;
			d->len = n * sizeof(struct vring_packed_desc);
			f |= VRING_DESC_F_INDIRECT;
		} else {
			d->addr = (uintptr_t)sg[k].buf - q->dma_offset;
			d->len = sg[k].len;
			f |= (k >= out ? VRING_DESC_F_WRITE : 0) | (k + 1 < slots ? VRING_DESC_F_NEXT : 0);
		}
		d->id = id;
		if (k == 0)
			head_flags = f;
		else
			d->flags = f;
		if (++slot == q->num) {
			slot = 0;
			wrap = !wrap;
		}
	}
	q->free_id = q->ids[id].next_free;
	q->ids[id].cookie = cookie;
	q->ids[id].slots = (uint16_t)slots;
	q->num_free -= slots;
	q->next_avail = slot;
	q->avail_wrap = wrap;
	q->since_kick += slots;
	/* The rest of the list must be visible before its first descriptor
	 * says it is available (2.8.6). */
	guest_wmb();
	WR16(&q->desc[head].flags, head_flags);
	return id;
}

bool vring_pdrv_kick_prepare(struct vring_pdrv *q)
{
	uint32_t added = q->since_kick;
	uint16_t new = q->next_avail, old, flags, off_wrap, event;
	bool kick;

	if (!added)
		return false;
	q->since_kick = 0;
	/* The new descriptors must be globally visible before we read what
	 * the device last asked for, or both sides can decide to sleep. */
	guest_mb();
	flags = RD16(&q->device_evt->flags);
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE) {
		kick = false;
	} else if (flags != VRING_PACKED_EVENT_FLAG_DESC || !q->event_idx || added >= q->num) {
		kick = true;
	} else {
		/* As Linux: the event slot in the lap before ours counts one
		 * ring back, so vring_need_event()'s window sees it. */
		off_wrap = RD16(&q->device_evt->off_wrap);
		event = off_wrap & (uint16_t)~EVT_WRAP;
		if (!!(off_wrap & EVT_WRAP) != q->avail_wrap)
			event = (uint16_t)(event - q->num);
		old = (uint16_t)(new - added);
		kick = vring_need_event(event, new, old);
	}
	if (kick)
		q->kicks++;
	else
		q->kicks_suppressed++;
	return kick;
}

bool vring_pdrv_has_used(const struct vring_pdrv *q)
{
	uint16_t f = RD16(&q->desc[q->next_used].flags);

	return vring_packed_is_used(f, q->used_wrap);
}

static void write_driver_event(struct vring_pdrv *q, uint16_t slot, bool wrap, uint16_t flags)
{
	WR16(&q->driver_evt->off_wrap, slot | (wrap ? EVT_WRAP : 0));
	if (q->driver_flags != flags) {
		q->driver_flags = flags;
		WR16(&q->driver_evt->flags, flags);
	}
}

int vring_pdrv_pop_used(struct vring_pdrv *q, void **cookie, uint32_t *len)
{
	const volatile struct vring_packed_desc *d = &q->desc[q->next_used];
	uint32_t next;
	uint16_t id;

	if (!vring_pdrv_has_used(q))
		return 0;
	/* Read id and len only after the flags that publish them. */
	guest_rmb();
	id = d->id;
	if (id >= q->num || !q->ids[id].cookie)
		return -EIO;
	*cookie = q->ids[id].cookie;
	*len = d->len;
	q->ids[id].cookie = NULL;
	q->num_free += q->ids[id].slots;
	next = (uint32_t)q->next_used + q->ids[id].slots;
	if (next >= q->num) {
		next -= q->num;
		q->used_wrap = !q->used_wrap;
	}
	q->next_used = (uint16_t)next;
	q->ids[id].next_free = q->free_id;
	q->free_id = id;
	/* As the split ring: with EVENT_IDX and callbacks wanted, ask for the
	 * next completion; with callbacks off leave the event where it is. */
	if (q->event_idx && q->cb_enabled)
		write_driver_event(q, q->next_used, q->used_wrap, VRING_PACKED_EVENT_FLAG_DESC);
	return 1;
}

void vring_pdrv_disable_cb(struct vring_pdrv *q)
{
	q->cb_enabled = false;
	if (q->driver_flags != VRING_PACKED_EVENT_FLAG_DISABLE) {
		q->driver_flags = VRING_PACKED_EVENT_FLAG_DISABLE;
		WR16(&q->driver_evt->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	}
}

bool vring_pdrv_enable_cb_after(struct vring_pdrv *q, uint16_t n)
{
	q->cb_enabled = true;
	if (q->event_idx) {
		uint32_t slot = (uint32_t)q->next_used + (n ? n : 1) - 1;
		bool wrap = q->used_wrap;

		if (n > q->num)
			slot = (uint32_t)q->next_used + q->num - 1;
		if (slot >= q->num) {
			slot -= q->num;
			wrap = !wrap;
		}
		write_driver_event(q, (uint16_t)slot, wrap, VRING_PACKED_EVENT_FLAG_DESC);
	} else if (q->driver_flags != VRING_PACKED_EVENT_FLAG_ENABLE) {
		q->driver_flags = VRING_PACKED_EVENT_FLAG_ENABLE;
		WR16(&q->driver_evt->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	}
	/* Our store must be visible before we look at the ring again, or a
	 * completion between the two is neither seen nor interrupted for. */
	guest_mb();
	return !vring_pdrv_has_used(q);
}
