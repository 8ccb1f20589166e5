// SPDX-License-Identifier: GPL-2.0
/*
 * The split ring (virtio 1.x, 2.7) behind the virtqueue API. Every value
 * read from guest RAM is read once into a local and checked before use: the
 * guest may rewrite its ring at any moment.
 */
#include <errno.h>

#include "virtq_impl.h"

/*
 * Area sizes from the UAPI structs: the avail ring is its header (flags,
 * idx), ring[size] and used_event; the used ring its header, ring[size] and
 * avail_event. The trailing event field is what vring_used_event() /
 * vring_avail_event() address, and exists only with EVENT_IDX.
 */
static uint64_t desc_bytes(uint32_t n)
{
	return sizeof(struct vring_desc) * (uint64_t)n;
}

static uint64_t avail_bytes(uint32_t n, bool event_idx)
{
	return sizeof(struct vring_avail) + sizeof(__virtio16) * (uint64_t)n +
	       (event_idx ? sizeof(__virtio16) : 0);
}

static uint64_t used_bytes(uint32_t n, bool event_idx)
{
	return sizeof(struct vring_used) + sizeof(struct vring_used_elem) * (uint64_t)n +
	       (event_idx ? sizeof(__virtio16) : 0);
}

uint64_t virtq_desc_bytes(uint16_t size)
{
	return desc_bytes(size);
}

uint64_t virtq_avail_bytes(uint16_t size)
{
	return avail_bytes(size, true);
}

uint64_t virtq_used_bytes(uint16_t size)
{
	return used_bytes(size, true);
}

/* The bytes the device really touches: used_event and avail_event exist
 * only with EVENT_IDX, and a compact driver may put the next area there. */
static void split_spans(const struct virtq *vq, uint32_t n, struct virtq_span out[VQ_AREA_NR])
{
	out[VQ_AREA_DESC] = (struct virtq_span){ vq->addr[VQ_AREA_DESC], desc_bytes(n) };
	out[VQ_AREA_DRIVER] = (struct virtq_span){ vq->addr[VQ_AREA_DRIVER],
						   avail_bytes(n, vq->event_idx) };
	out[VQ_AREA_DEVICE] = (struct virtq_span){ vq->addr[VQ_AREA_DEVICE],
						   used_bytes(n, vq->event_idx) };
}

static int split_map(struct virtq *vq)
{
	uint32_t n = vq->size;
	void *d, *a, *u;

	if (n & (n - 1))
		return -EINVAL;		/* the split ring's indices need a power of two */
	if ((vq->addr[VQ_AREA_DESC] & (VRING_DESC_ALIGN_SIZE - 1)) ||
	    (vq->addr[VQ_AREA_DRIVER] & (VRING_AVAIL_ALIGN_SIZE - 1)) ||
	    (vq->addr[VQ_AREA_DEVICE] & (VRING_USED_ALIGN_SIZE - 1)))
		return -EINVAL;
	/* Translated at their EVENT_IDX size whatever was negotiated, as
	 * before: a queue valid for one feature set is valid for both. */
	d = gmem_ptr(vq->mem, vq->addr[VQ_AREA_DESC], desc_bytes(n));
	a = gmem_ptr(vq->mem, vq->addr[VQ_AREA_DRIVER], avail_bytes(n, true));
	u = gmem_ptr(vq->mem, vq->addr[VQ_AREA_DEVICE], used_bytes(n, true));
	if (!d || !a || !u)
		return -EINVAL;
	vq->ring.split.vr = (struct vring){ .num = n, .desc = d, .avail = a, .used = u };
	return 0;
}

/* One read of a descriptor: the barrier stops the compiler re-reading guest
 * memory after the fields were checked. Indirect tables may be unaligned. */
static inline void read_desc(const uint8_t *table, uint32_t i, struct vring_desc *d)
{
	__builtin_memcpy(d, table + (uint64_t)i * sizeof(*d), sizeof(*d));
	__asm__ __volatile__("" ::: "memory");
}

static int split_pop(struct virtq *vq, struct virtq_chain *c)
{
	const struct vring *vr = &vq->ring.split.vr;
	const uint8_t *table;
	uint32_t table_n, idx;
	bool in_indirect = false;
	uint16_t avail_idx, head;
	int r;

	avail_idx = vq_ld16_acquire(&vr->avail->idx);
	if (avail_idx == vq->next_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->next_avail) > vq->size)
		return virtq_fail_io(vq, VQ_ERR_AVAIL_IDX);
	/* size is a power of two, so the mask keeps the slot in the ring. */
	head = vq_ld16(&vr->avail->ring[vq->next_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return virtq_fail_io(vq, VQ_ERR_HEAD);

	virtq_chain_begin(vq, c, head);
	table = (const uint8_t *)vr->desc;
	table_n = vq->size;
	idx = head;
	for (;;) {
		struct vring_desc d;

		read_desc(table, idx, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return virtq_fail_io(vq, VQ_ERR_INDIRECT_OFF);
			if (in_indirect)
				return virtq_fail_io(vq, VQ_ERR_INDIRECT_NESTED);
			if (d.flags & VRING_DESC_F_NEXT)
				return virtq_fail_io(vq, VQ_ERR_INDIRECT_NEXT);
			if (d.len == 0 || d.len % sizeof(struct vring_desc))
				return virtq_fail_io(vq, VQ_ERR_INDIRECT_LEN);
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return virtq_fail_io(vq, VQ_ERR_ADDR);
			table_n = d.len / sizeof(struct vring_desc);
			in_indirect = true;
			idx = 0;
			continue;
		}
		r = virtq_chain_add(vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= table_n)
			return virtq_fail_io(vq, VQ_ERR_NEXT);
		idx = d.next;
	}
	vq->next_avail++;
	return 1;
}

static void split_push(struct virtq *vq, uint16_t head, uint32_t written_bytes)
{
	struct vring *vr = &vq->ring.split.vr;
	struct vring_used_elem *e = &vr->used->ring[vq->next_used & (vq->size - 1)];

	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written_bytes, __ATOMIC_RELAXED);
	vq->next_used++;
	/* Release: the element is visible before the index that publishes it. */
	__atomic_store_n(&vr->used->idx, vq->next_used, __ATOMIC_RELEASE);
}

static bool split_should_notify(struct virtq *vq)
{
	struct vring *vr = &vq->ring.split.vr;
	uint16_t old_idx = vq->signalled_used, new_idx = vq->next_used;
	uint32_t pushed = vq->pushed;

	vq->pushed = 0;
	vq->signalled_used = new_idx;
	/* Our used.idx store must be visible before we read the guest's
	 * suppression state, or we race with it going to sleep. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		/* More than 64K completions since the last decision: the
		 * 16-bit arithmetic cannot tell, so notify. */
		return pushed > 0xffff ||
		       vring_need_event(vq_ld16(&vring_used_event(vr)), new_idx, old_idx);
	return !(vq_ld16(&vr->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

static void split_disable_kicks(struct virtq *vq)
{
	/* With EVENT_IDX a stale avail_event already suppresses kicks. */
	if (!vq->event_idx)
		vq_st16(&vq->ring.split.vr.used->flags, VRING_USED_F_NO_NOTIFY);
}

static bool split_enable_kicks(struct virtq *vq)
{
	struct vring *vr = &vq->ring.split.vr;

	if (vq->event_idx)
		vq_st16(&vring_avail_event(vr), vq->next_avail);
	else
		vq_st16(&vr->used->flags, 0);
	/* Store-load ordering against the guest's "publish idx, then read
	 * flags/avail_event": without it a kick can be lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_ld16_acquire(&vr->avail->idx) != vq->next_avail;
}

/*
 * A polling device (virtio_kvm.c's poll and busy iothreads) never wants a
 * kick: NO_NOTIFY, or with EVENT_IDX an avail_event no new avail index
 * crosses. A stale one alone would let a kick through once per 64 Ki
 * requests. The driver kicks when its new avail index passes
 * avail_event. One behind the device's position is not enough: a device
 * that consumes a buffer between the driver's publish and its read of
 * avail_event has already written next_avail - 1 == the driver's old index,
 * which asks for that very kick. At event = next_avail + 0x8000 (mod 2^16),
 * with the driver x = new - next_avail in [0, size <= 32768] ahead and a
 * batch of b = new - old in [1, size], vring_need_event() computes
 * new - event - 1 = x + 0x7fff, which is < b only for x = 0, b = 32768: a
 * whole 32768-ring batch the device used up before the driver looked.
 */
#define HOLD_KICKS_DISTANCE 0x7fffu

static void split_hold_kicks(struct virtq *vq)
{
	if (vq->event_idx)
		vq_st16(&vring_avail_event(&vq->ring.split.vr),
			(uint16_t)(vq->next_avail - 1 - HOLD_KICKS_DISTANCE));
	else
		vq_st16(&vq->ring.split.vr.used->flags, VRING_USED_F_NO_NOTIFY);
}

const struct virtq_ops virtq_split_ops = {
	.map = split_map,
	.spans = split_spans,
	.pop = split_pop,
	.push = split_push,
	.should_notify = split_should_notify,
	.disable_kicks = split_disable_kicks,
	.enable_kicks = split_enable_kicks,
	.hold_kicks = split_hold_kicks,
};
