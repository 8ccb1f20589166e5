// SPDX-License-Identifier: GPL-2.0
/*
 * Split-ring producer (the driver's half of a virtqueue). Runs in the guest
 * at CPL0 (interpreted, ~2 us per instruction) or CPL3, and in host unit
 * tests on a host buffer: short paths, no allocation, no libc.
 *
 * Descriptor bookkeeping lives in the private slot array, never read back
 * from the shared table: a chain is a run of the free list (slot[].next), so
 * freeing it is O(1) by splicing head..tail back in front of the list.
 */
#include "guest_virtio.h"

#define RD16(p)		(*(volatile const uint16_t *)(p))
#define WR16(p, v)	(*(volatile uint16_t *)(p) = (uint16_t)(v))

int vring_drv_init(struct vring_drv *q, unsigned int num, void *mem, unsigned long align,
		   struct vring_drv_slot *slots, uintptr_t dma_offset, uint64_t features)
{
	unsigned int i;

	if (!num || num > VRING_MAX_SIZE || (num & (num - 1)) || !mem || !slots ||
	    ((uintptr_t)mem & (VRING_DESC_ALIGN_SIZE - 1)) ||
	    align < VRING_USED_ALIGN_SIZE || (align & (align - 1)))
		return -EINVAL;

	vring_init(&q->vr, num, mem, align);
	q->slot = slots;
	q->dma_offset = dma_offset;
	q->mask = (uint16_t)(num - 1);
	q->free_head = 0;
	q->num_free = num;
	q->avail_idx = 0;
	q->kick_idx = 0;
	q->last_used = 0;
	q->avail_flags = 0;
	q->since_kick = 0;
	q->event_idx = !!(features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	q->indirect = !!(features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	q->cb_enabled = true;
	q->queue_index = 0;
	q->kicks = 0;
	q->kicks_suppressed = 0;

	/* The device starts from 0 for both indices; the tables need no init
	 * because a descriptor is written before it is made available. */
	WR16(&q->vr.avail->flags, 0);
	WR16(&q->vr.avail->idx, 0);
	WR16(&vring_used_event(&q->vr), 0);
	WR16(&q->vr.used->flags, 0);
	WR16(&q->vr.used->idx, 0);
	WR16(&vring_avail_event(&q->vr), 0);
	for (i = 0; i < num; i++) {
		slots[i].cookie = NULL;
		slots[i].next = (uint16_t)(i + 1);	/* the last link is never followed */
	}
	return 0;
}

int vring_drv_add(struct vring_drv *q, const struct vring_sg *sg, unsigned int out,
		  unsigned int in, void *cookie, struct vring_desc *indirect_table)
{
	unsigned int n = out + in, k;
	uint16_t head = q->free_head, i = head, prev = head;
	struct vring_desc *d;

	if (!cookie || !n || n > q->vr.num || (indirect_table && !q->indirect))
		return -EINVAL;

	if (indirect_table) {
		if (!q->num_free)
			return -ENOSPC;
		for (k = 0; k < n; k++) {
			indirect_table[k].addr = (uintptr_t)sg[k].buf - q->dma_offset;
			indirect_table[k].len = sg[k].len;
			indirect_table[k].flags = (k >= out ? VRING_DESC_F_WRITE : 0) |
						  (k + 1 < n ? VRING_DESC_F_NEXT : 0);
			indirect_table[k].next = k + 1 < n ? (uint16_t)(k + 1) : 0;
		}
		d = &q->vr.desc[head];
		d->addr = (uintptr_t)indirect_table - q->dma_offset;
		d->len = n * sizeof(struct vring_desc);
		d->flags = VRING_DESC_F_INDIRECT;
		d->next = 0;
		n = 1;
	} else {
		if (n > q->num_free)
			return -ENOSPC;
		for (k = 0; k < n; k++) {
			d = &q->vr.desc[i];
			d->addr = (uintptr_t)sg[k].buf - q->dma_offset;
			d->len = sg[k].len;
			d->flags = (k >= out ? VRING_DESC_F_WRITE : 0) |
				   (k + 1 < n ? VRING_DESC_F_NEXT : 0);
			d->next = k + 1 < n ? q->slot[i].next : 0;
			prev = i;
			i = q->slot[i].next;
		}
	}
	if (indirect_table)
		i = q->slot[head].next;

	q->slot[head].cookie = cookie;
	q->slot[head].tail = prev;
	q->slot[head].ndesc = (uint16_t)n;
	q->free_head = i;
	q->num_free -= n;

	q->vr.avail->ring[q->avail_idx & q->mask] = head;
	q->avail_idx++;
	q->since_kick++;
	return head;
}

void vring_drv_publish(struct vring_drv *q)
{
	/* Descriptors and ring entries must be visible before the index. */
	guest_wmb();
	WR16(&q->vr.avail->idx, q->avail_idx);
}

bool vring_drv_kick_prepare(struct vring_drv *q)
{
	uint16_t old = q->kick_idx, new = q->avail_idx;
	uint32_t added = q->since_kick;
	bool kick;

	vring_drv_publish(q);
	if (!added)
		return false;
	q->kick_idx = new;
	q->since_kick = 0;
	/* The new avail->idx must be globally visible before we read what
	 * the device last asked for, or both sides can decide to sleep. */
	guest_mb();
	if (added >= 0xffff)	/* old..new is ambiguous in 16 bits */
		kick = true;
	else if (q->event_idx)
		kick = vring_need_event(RD16(&vring_avail_event(&q->vr)), new, old);
	else
		kick = !(RD16(&q->vr.used->flags) & VRING_USED_F_NO_NOTIFY);
	if (kick)
		q->kicks++;
	else
		q->kicks_suppressed++;
	return kick;
}

bool vring_drv_has_used(const struct vring_drv *q)
{
	return RD16(&q->vr.used->idx) != q->last_used;
}

int vring_drv_pop_used(struct vring_drv *q, void **cookie, uint32_t *len)
{
	const volatile struct vring_used_elem *e;
	uint32_t id;
	struct vring_drv_slot *s;

	if (RD16(&q->vr.used->idx) == q->last_used)
		return 0;
	/* Read the entry only after seeing the index that covers it. */
	guest_rmb();
	e = &q->vr.used->ring[q->last_used & q->mask];
	id = e->id;
	if (id >= q->vr.num || !q->slot[id].cookie)
		return -EIO;
	s = &q->slot[id];
	*cookie = s->cookie;
	*len = e->len;
	s->cookie = NULL;
	q->slot[s->tail].next = q->free_head;
	q->free_head = (uint16_t)id;
	q->num_free += s->ndesc;
	q->last_used++;
	/* With EVENT_IDX and callbacks wanted, ask for the next completion.
	 * With callbacks off, leave used_event where disable_cb() put it: moving
	 * it along with last_used drags it into the window the device is still
	 * completing (it decides after a batch, while we may already have
	 * collected part of it) and makes it interrupt a polling driver. Linux's
	 * get_buf writes used_event only while callbacks are enabled, too.
	 * enable_cb_after() adds the barrier before anyone sleeps on it. */
	if (q->event_idx && q->cb_enabled)
		WR16(&vring_used_event(&q->vr), q->last_used);
	return 1;
}

void vring_drv_disable_cb(struct vring_drv *q)
{
	q->cb_enabled = false;
	if (q->event_idx) {
		/* (new - event - 1) < (new - old) can't hold while event is
		 * behind everything the device has already used. */
		WR16(&vring_used_event(&q->vr), (uint16_t)(q->last_used - 1));
	} else if (!(q->avail_flags & VRING_AVAIL_F_NO_INTERRUPT)) {
		q->avail_flags |= VRING_AVAIL_F_NO_INTERRUPT;
		WR16(&q->vr.avail->flags, q->avail_flags);
	}
}

bool vring_drv_enable_cb_after(struct vring_drv *q, uint16_t n)
{
	q->cb_enabled = true;
	if (q->event_idx) {
		WR16(&vring_used_event(&q->vr), (uint16_t)(q->last_used + (n ? n : 1) - 1));
	} else if (q->avail_flags & VRING_AVAIL_F_NO_INTERRUPT) {
		q->avail_flags &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
		WR16(&q->vr.avail->flags, q->avail_flags);
	}
	/* Our store must be visible before we look at used->idx again, or a
	 * completion between the two is neither seen nor interrupted for. */
	guest_mb();
	return !vring_drv_has_used(q);
}
