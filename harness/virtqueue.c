// SPDX-License-Identifier: GPL-2.0
/*
 * Device side of the split virtqueue (see include/virtqueue.h). Every value
 * read from guest RAM is read once into a local and checked before use: the
 * guest may rewrite its ring at any moment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtqueue.h"

static const char *const err_names[VQ_ERR_NR] = {
	[VQ_ERR_AVAIL_IDX] = "avail.idx more than queue size ahead",
	[VQ_ERR_HEAD] = "head index out of range",
	[VQ_ERR_NEXT] = "next index out of range",
	[VQ_ERR_LOOP] = "chain longer than queue size (loop)",
	[VQ_ERR_INDIRECT_OFF] = "INDIRECT not negotiated",
	[VQ_ERR_INDIRECT_LEN] = "indirect table length not a non-zero multiple of 16",
	[VQ_ERR_INDIRECT_NESTED] = "nested indirect table",
	[VQ_ERR_INDIRECT_NEXT] = "INDIRECT combined with NEXT",
	[VQ_ERR_ORDER] = "readable descriptor after writable",
	[VQ_ERR_ADDR] = "buffer outside guest RAM",
	[VQ_ERR_DEVICE] = "chain layout refused by device",
};

/* Once per kind per process: a hostile guest must not flood stderr. */
static uint32_t logged_errs;

const char *virtq_err_name(enum virtq_err e)
{
	return (unsigned)e < VQ_ERR_NR ? err_names[e] : "?";
}

/* Guest-shared 16-bit fields: single atomic accesses, never torn or cached. */
static inline uint16_t ld16_acquire(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint16_t ld16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void st16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

void virtq_init(struct virtq *vq, uint16_t size_max)
{
	memset(vq, 0, sizeof(*vq));
	vq->size_max = size_max;
}

void virtq_reset(struct virtq *vq)
{
	/* Keep the scratch array and the statistics. */
	vq->size = 0;
	vq->ready = false;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->event_idx = vq->indirect = false;
	vq->mem = NULL;
	memset(&vq->vr, 0, sizeof(vq->vr));
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->pushed = 0;
	vq->broken = false;
}

void virtq_free(struct virtq *vq)
{
	free(vq->bufs);
	vq->bufs = NULL;
	vq->bufs_cap = 0;
}

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
struct area {
	uint64_t gpa, bytes;
};

static void ring_areas(const struct virtq *vq, uint32_t n, bool event_idx, struct area out[3])
{
	out[0] = (struct area){ vq->desc_gpa, desc_bytes(n) };
	out[1] = (struct area){ vq->avail_gpa, avail_bytes(n, event_idx) };
	out[2] = (struct area){ vq->used_gpa, used_bytes(n, event_idx) };
}

/* Areas already lie inside guest RAM: no sum wraps. */
static bool areas_overlap(const struct area *x, const struct area *y)
{
	return x->gpa < y->gpa + y->bytes && y->gpa < x->gpa + x->bytes;
}

bool virtq_rings_overlap(const struct virtq *a, const struct virtq *b)
{
	struct area x[3], y[3];

	if (!a->ready || !b->ready)
		return false;
	ring_areas(a, a->size, a->event_idx, x);
	ring_areas(b, b->size, b->event_idx, y);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (areas_overlap(&x[i], &y[j]))
				return true;
	return false;
}

int virtq_enable(struct virtq *vq, const struct guest_mem *mem,
		 bool event_idx, bool indirect)
{
	uint32_t n = vq->size;
	struct area ar[3];
	void *d, *a, *u;

	if (n == 0 || n > vq->size_max || (n & (n - 1)))
		return -EINVAL;
	if ((vq->desc_gpa & (VRING_DESC_ALIGN_SIZE - 1)) ||
	    (vq->avail_gpa & (VRING_AVAIL_ALIGN_SIZE - 1)) ||
	    (vq->used_gpa & (VRING_USED_ALIGN_SIZE - 1)))
		return -EINVAL;
	d = gmem_ptr(mem, vq->desc_gpa, virtq_desc_bytes(n));
	a = gmem_ptr(mem, vq->avail_gpa, virtq_avail_bytes(n));
	u = gmem_ptr(mem, vq->used_gpa, virtq_used_bytes(n));
	if (!d || !a || !u)
		return -EINVAL;
	ring_areas(vq, n, event_idx, ar);
	if (areas_overlap(&ar[0], &ar[1]) || areas_overlap(&ar[0], &ar[2]) ||
	    areas_overlap(&ar[1], &ar[2]))
		return -EEXIST;
	if (vq->bufs_cap < n) {
		struct virtq_buf *b = realloc(vq->bufs, n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		vq->bufs = b;
		vq->bufs_cap = n;
	}
	vq->mem = mem;
	vq->vr = (struct vring){ .num = n, .desc = d, .avail = a, .used = u };
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->ready = true;
	return 0;
}

void virtq_fail(struct virtq *vq, enum virtq_err e)
{
	if ((unsigned)e >= VQ_ERR_NR)
		e = VQ_ERR_DEVICE;
	vq->broken = true;
	vq->stats.violations[e]++;
	if (!(__atomic_fetch_or(&logged_errs, 1u << e, __ATOMIC_RELAXED) & (1u << e)))
		fprintf(stderr, "virtq: guest ring violation: %s; queue stopped (logged once)\n",
			err_names[e]);
}

static int fail(struct virtq *vq, enum virtq_err e)
{
	virtq_fail(vq, e);
	return -EIO;
}

/* One read of a descriptor: the barrier stops the compiler re-reading guest
 * memory after the fields were checked. Indirect tables may be unaligned. */
static inline void read_desc(const uint8_t *table, uint32_t i, struct vring_desc *d)
{
	__builtin_memcpy(d, table + (uint64_t)i * sizeof(*d), sizeof(*d));
	__asm__ __volatile__("" ::: "memory");
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	const uint8_t *table;
	uint32_t table_n, idx, count = 0;
	bool in_indirect = false, seen_write = false;
	uint16_t avail_idx, head;

	if (vq->broken)
		return -EIO;
	if (!vq->ready)
		return 0;
	avail_idx = ld16_acquire(&vq->vr.avail->idx);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return fail(vq, VQ_ERR_AVAIL_IDX);
	/* size is a power of two, so the mask keeps the slot in the ring. */
	head = ld16(&vq->vr.avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return fail(vq, VQ_ERR_HEAD);

	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_bytes = c->in_bytes = 0;
	c->bufs = vq->bufs;
	table = (const uint8_t *)vq->vr.desc;
	table_n = vq->size;
	idx = head;
	for (;;) {
		struct vring_desc d;
		struct virtq_buf *b;
		void *hva;

		read_desc(table, idx, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return fail(vq, VQ_ERR_INDIRECT_OFF);
			if (in_indirect)
				return fail(vq, VQ_ERR_INDIRECT_NESTED);
			if (d.flags & VRING_DESC_F_NEXT)
				return fail(vq, VQ_ERR_INDIRECT_NEXT);
			if (d.len == 0 || d.len % sizeof(struct vring_desc))
				return fail(vq, VQ_ERR_INDIRECT_LEN);
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return fail(vq, VQ_ERR_ADDR);
			table_n = d.len / sizeof(struct vring_desc);
			in_indirect = true;
			idx = 0;
			continue;
		}
		/* Every iteration that gets here adds a buffer, so this bounds
		 * the walk (and the bufs[] index) whatever loops the guest made. */
		if (++count > vq->size)
			return fail(vq, VQ_ERR_LOOP);
		hva = gmem_ptr(vq->mem, d.addr, d.len);
		if (!hva)
			return fail(vq, VQ_ERR_ADDR);
		b = &vq->bufs[count - 1];
		b->hva = hva;
		b->len_bytes = d.len;
		b->writable = d.flags & VRING_DESC_F_WRITE;
		if (b->writable) {
			seen_write = true;
			c->n_in++;
			c->in_bytes += d.len;
		} else {
			if (seen_write)
				return fail(vq, VQ_ERR_ORDER);
			c->n_out++;
			c->out_bytes += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= table_n)
			return fail(vq, VQ_ERR_NEXT);
		idx = d.next;
	}
	vq->last_avail++;
	vq->stats.chains_popped++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written_bytes)
{
	struct vring_used_elem *e;

	if (!vq->ready || vq->broken)
		return;
	e = &vq->vr.used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written_bytes, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element is visible before the index that publishes it. */
	__atomic_store_n(&vq->vr.used->idx, vq->used_idx, __ATOMIC_RELEASE);
	vq->pushed++;
	vq->stats.chains_completed++;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old_idx = vq->signalled_used, new_idx = vq->used_idx;
	uint32_t pushed = vq->pushed;
	bool notify;

	if (!pushed || !vq->ready)
		return false;
	vq->pushed = 0;
	vq->signalled_used = new_idx;
	/* Our used.idx store must be visible before we read the guest's
	 * suppression state, or we race with it going to sleep. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		uint16_t used_event = ld16(&vring_used_event(&vq->vr));

		/* More than 64K completions since the last decision: the
		 * 16-bit arithmetic cannot tell, so notify. */
		notify = pushed > 0xffff || vring_need_event(used_event, new_idx, old_idx);
	} else {
		notify = !(ld16(&vq->vr.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (notify)
		vq->stats.used_irqs++;
	else
		vq->stats.used_irqs_suppressed++;
	return notify;
}

void virtq_disable_kicks(struct virtq *vq)
{
	/* With EVENT_IDX a stale avail_event already suppresses kicks. */
	if (vq->ready && !vq->event_idx)
		st16(&vq->vr.used->flags, VRING_USED_F_NO_NOTIFY);
}

bool virtq_enable_kicks(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->event_idx)
		st16(&vring_avail_event(&vq->vr), vq->last_avail);
	else
		st16(&vq->vr.used->flags, 0);
	/* Store-load ordering against the guest's "publish idx, then read
	 * flags/avail_event": without it a kick can be lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16_acquire(&vq->vr.avail->idx) != vq->last_avail;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len)
{
	uint8_t *out = dst;
	size_t done = 0;

	for (uint32_t i = 0; i < c->n_out && done < len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		size_t n;

		if (off >= b->len_bytes) {
			off -= b->len_bytes;
			continue;
		}
		n = b->len_bytes - off;
		if (n > len - done)
			n = len - done;
		memcpy(out + done, b->hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len)
{
	const uint8_t *in = src;
	size_t done = 0;

	/* Only bufs[n_out..n_out+n_in), the writable ones, are ever written. */
	for (uint32_t i = c->n_out; i < (uint32_t)c->n_out + c->n_in && done < len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		size_t n;

		if (off >= b->len_bytes) {
			off -= b->len_bytes;
			continue;
		}
		n = b->len_bytes - off;
		if (n > len - done)
			n = len - done;
		memcpy(b->hva + off, in + done, n);
		done += n;
		off = 0;
	}
	return done;
}
