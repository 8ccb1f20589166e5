// SPDX-License-Identifier: GPL-2.0
/*
 * The packed ring (virtio 1.x, 2.8) behind the virtqueue API. One
 * descriptor ring serves both directions: the driver marks a descriptor
 * available by setting AVAIL to its wrap counter and USED to the inverse;
 * we mark the first slot of a chain used by setting both to ours. Every
 * value read from guest RAM is read once into a local and checked before
 * use: the guest may rewrite its ring at any moment.
 */
#include <errno.h>

#include "virtq_impl.h"

#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1u << VRING_PACKED_DESC_F_USED)
#define EVT_WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

static bool desc_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) != wrap;
}

/* One read of a descriptor; the barrier stops the compiler re-reading
 * guest memory after the fields were checked. */
static inline void read_desc(const void *p, struct vring_packed_desc *d)
{
	__builtin_memcpy(d, p, sizeof(*d));
	__asm__ __volatile__("" ::: "memory");
}

static void packed_spans(const struct virtq *vq, uint32_t n, struct virtq_span out[VQ_AREA_NR])
{
	out[VQ_AREA_DESC] = (struct virtq_span){ vq->addr[VQ_AREA_DESC],
						 sizeof(struct vring_packed_desc) * (uint64_t)n };
	out[VQ_AREA_DRIVER] = (struct virtq_span){ vq->addr[VQ_AREA_DRIVER],
						   sizeof(struct vring_packed_desc_event) };
	out[VQ_AREA_DEVICE] = (struct virtq_span){ vq->addr[VQ_AREA_DEVICE],
						   sizeof(struct vring_packed_desc_event) };
}

static int packed_map(struct virtq *vq)
{
	struct virtq_packed *p = &vq->ring.packed;
	struct virtq_span s[VQ_AREA_NR];

	/* Alignment from the spec's table (2.8.10.1): 16, 4, 4. Any size up
	 * to the maximum is legal: no power of two needed. */
	if ((vq->addr[VQ_AREA_DESC] & 15) || (vq->addr[VQ_AREA_DRIVER] & 3) ||
	    (vq->addr[VQ_AREA_DEVICE] & 3))
		return -EINVAL;
	packed_spans(vq, vq->size, s);
	p->desc = gmem_ptr(vq->mem, s[VQ_AREA_DESC].gpa, s[VQ_AREA_DESC].bytes);
	p->driver_evt = gmem_ptr(vq->mem, s[VQ_AREA_DRIVER].gpa, s[VQ_AREA_DRIVER].bytes);
	p->device_evt = gmem_ptr(vq->mem, s[VQ_AREA_DEVICE].gpa, s[VQ_AREA_DEVICE].bytes);
	if (!p->desc || !p->driver_evt || !p->device_evt)
		return -EINVAL;
	return 0;
}

static void packed_start(struct virtq *vq)
{
	struct virtq_packed *p = &vq->ring.packed;

	p->avail_wrap = p->used_wrap = true;	/* both counters start at 1 */
	p->pushed_descs = 0;
	/* Guest RAM holds whatever was there: say what we want before the
	 * first kick decision. With EVENT_IDX, as the split ring's zeroed
	 * avail_event: a kick when slot 0 of the first lap is made available,
	 * none for the rest of that batch. */
	vq_st16(&p->device_evt->off_wrap, vq->event_idx ? EVT_WRAP : 0);
	vq_st16(&p->device_evt->flags, vq->event_idx ? VRING_PACKED_EVENT_FLAG_DESC
						     : VRING_PACKED_EVENT_FLAG_ENABLE);
}

static void advance(uint16_t *slot, bool *wrap, uint32_t by, uint32_t size)
{
	uint32_t s = *slot + by;

	if (s >= size) {
		s -= size;
		*wrap = !*wrap;
	}
	*slot = (uint16_t)s;
}

/* An indirect table: a plain array, WRITE its only valid flag (2.8.7). */
static int add_indirect(struct virtq *vq, struct virtq_chain *c, const struct vring_packed_desc *d)
{
	const uint8_t *table;
	uint32_t n;

	if (!vq->indirect)
		return virtq_fail_io(vq, VQ_ERR_INDIRECT_OFF);
	/* INDIRECT with NEXT, or after direct descriptors of the same
	 * buffer: a list mixes both kinds, which the spec forbids. */
	if ((d->flags & VRING_DESC_F_NEXT) || c->n_out || c->n_in)
		return virtq_fail_io(vq, VQ_ERR_INDIRECT_NEXT);
	if (d->len == 0 || d->len % sizeof(struct vring_packed_desc))
		return virtq_fail_io(vq, VQ_ERR_INDIRECT_LEN);
	table = gmem_ptr(vq->mem, d->addr, d->len);
	if (!table)
		return virtq_fail_io(vq, VQ_ERR_ADDR);
	n = d->len / sizeof(struct vring_packed_desc);
	for (uint32_t i = 0; i < n; i++) {
		struct vring_packed_desc e;
		int r;

		read_desc(table + (uint64_t)i * sizeof(e), &e);
		if (e.flags & VRING_DESC_F_INDIRECT)
			return virtq_fail_io(vq, VQ_ERR_INDIRECT_NESTED);
		r = virtq_chain_add(vq, c, e.addr, e.len, e.flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
	}
	return 0;
}

static int packed_pop(struct virtq *vq, struct virtq_chain *c)
{
	struct virtq_packed *p = &vq->ring.packed;
	uint16_t slot = vq->next_avail;
	bool wrap = p->avail_wrap;
	struct vring_packed_desc d;
	uint32_t slots = 0;

	/* Acquire: the driver makes the first descriptor available last, so
	 * after this load the whole chain is visible. */
	if (!desc_is_avail(__atomic_load_n(&p->desc[slot].flags, __ATOMIC_ACQUIRE), wrap))
		return 0;
	virtq_chain_begin(vq, c, 0);
	for (;;) {
		int r;

		read_desc(&p->desc[slot], &d);
		/* Every descriptor of a list carries the available flags; one
		 * that does not (or a list running round the ring) is refused. */
		if (!desc_is_avail(d.flags, wrap))
			return virtq_fail_io(vq, VQ_ERR_CHAIN_FLAGS);
		if (++slots > vq->size)
			return virtq_fail_io(vq, VQ_ERR_LOOP);
		if (d.flags & VRING_DESC_F_INDIRECT)
			r = add_indirect(vq, c, &d);
		else
			r = virtq_chain_add(vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		advance(&slot, &wrap, 1, vq->size);
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
	}
	/* The buffer id is in the last descriptor of the list (2.8.6). */
	if (d.id >= vq->size || vq->id_slots[d.id])
		return virtq_fail_io(vq, VQ_ERR_ID);
	vq->id_slots[d.id] = (uint16_t)slots;
	c->head = d.id;
	vq->next_avail = slot;
	p->avail_wrap = wrap;
	return 1;
}

static void packed_push(struct virtq *vq, uint16_t id, uint32_t written_bytes)
{
	struct virtq_packed *p = &vq->ring.packed;
	struct vring_packed_desc *u;
	uint16_t flags;
	uint32_t slots;

	/* Only ids we popped and have not completed: anything else is our
	 * own device's bug, and must not corrupt the guest's ring. */
	if (id >= vq->size || !vq->id_slots[id])
		return;
	slots = vq->id_slots[id];
	vq->id_slots[id] = 0;
	u = &p->desc[vq->next_used];
	__atomic_store_n(&u->id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&u->len, written_bytes, __ATOMIC_RELAXED);
	flags = (p->used_wrap ? F_AVAIL | F_USED : 0) | (written_bytes ? VRING_DESC_F_WRITE : 0);
	/* Release: id and len are visible before the flags that publish them. */
	__atomic_store_n(&u->flags, flags, __ATOMIC_RELEASE);
	/* The driver skips the rest of the list's slots, as we do (2.8.6). */
	advance(&vq->next_used, &p->used_wrap, slots, vq->size);
	p->pushed_descs += slots;
}

static bool packed_should_notify(struct virtq *vq)
{
	struct virtq_packed *p = &vq->ring.packed;
	uint32_t slots = p->pushed_descs;
	uint16_t flags, off_wrap, event, new_slot = vq->next_used;

	p->pushed_descs = 0;
	/* Our flag stores must be visible before we read the driver's
	 * suppression state, or we race with it going to sleep. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = vq_ld16(&p->driver_evt->flags);
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	/* ENABLE, the reserved value 3, or DESC without EVENT_IDX (which a
	 * driver must not set): notify, a spurious interrupt is harmless. */
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx)
		return true;
	off_wrap = vq_ld16(&p->driver_evt->off_wrap);
	event = off_wrap & ~EVT_WRAP;
	if (event >= vq->size) {
		virtq_fail(vq, VQ_ERR_EVENT_OFF);
		return true;
	}
	if (slots >= vq->size)
		return true;
	/* The event slot in the lap before ours: count it back one ring so
	 * that vring_need_event()'s 16-bit window sees it (as Linux does). */
	if (!!(off_wrap & EVT_WRAP) != p->used_wrap)
		event = (uint16_t)(event - vq->size);
	return vring_need_event(event, new_slot, (uint16_t)(new_slot - slots));
}

static void packed_disable_kicks(struct virtq *vq)
{
	vq_st16(&vq->ring.packed.device_evt->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

static bool packed_enable_kicks(struct virtq *vq)
{
	struct virtq_packed *p = &vq->ring.packed;

	if (vq->event_idx) {
		/* Kick me when the descriptor at our next slot is made available. */
		vq_st16(&p->device_evt->off_wrap,
			(uint16_t)(vq->next_avail | (p->avail_wrap ? EVT_WRAP : 0)));
		vq_st16(&p->device_evt->flags, VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		vq_st16(&p->device_evt->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	}
	/* Store-load ordering against the driver's "publish, then read the
	 * suppression state": without it a kick can be lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return desc_is_avail(__atomic_load_n(&p->desc[vq->next_avail].flags, __ATOMIC_ACQUIRE),
			     p->avail_wrap);
}

const struct virtq_ops virtq_packed_ops = {
	.map = packed_map,
	.start = packed_start,
	.spans = packed_spans,
	.pop = packed_pop,
	.push = packed_push,
	.should_notify = packed_should_notify,
	.disable_kicks = packed_disable_kicks,
	.enable_kicks = packed_enable_kicks,
};
