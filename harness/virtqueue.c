// SPDX-License-Identifier: GPL-2.0
/*
 * The layout-independent part of the virtqueue (see include/virtqueue.h):
 * configuration and its validation at QueueReady, counting, the guards
 * every call shares, and the chain a layout's walk fills. The ring itself
 * is an implementation behind struct virtq_ops (harness/virtq_split.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtq_impl.h"

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
	[VQ_ERR_ID] = "buffer id out of range or already in flight",
	[VQ_ERR_CHAIN_FLAGS] = "descriptor of a list not marked available",
	[VQ_ERR_EVENT_OFF] = "event suppression offset out of range",
};
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == VQ_ERR_NR, "a name per error");

/* Once per kind per process: a hostile guest must not flood stderr. */
static uint32_t logged_errs;

const char *virtq_err_name(enum virtq_err e)
{
	return (unsigned)e < VQ_ERR_NR ? err_names[e] : "?";
}

struct virtq *virtq_new(uint16_t size_max)
{
	struct virtq *vq = calloc(1, sizeof(*vq));

	if (vq)
		vq->size_max = size_max;
	return vq;
}

void virtq_destroy(struct virtq *vq)
{
	if (!vq)
		return;
	free(vq->bufs);
	free(vq->id_slots);
	free(vq);
}

void virtq_reset(struct virtq *vq)
{
	/* Keep size_max, the scratch array and the statistics. */
	vq->size = 0;
	vq->ready = false;
	memset(vq->addr, 0, sizeof(vq->addr));
	vq->ops = NULL;
	vq->event_idx = vq->indirect = false;
	vq->mem = NULL;
	vq->next_avail = vq->next_used = vq->signalled_used = 0;
	vq->pushed = 0;
	vq->broken = false;
	vq->started = false;
	memset(&vq->ring, 0, sizeof(vq->ring));
}

int virtq_set_size(struct virtq *vq, uint32_t size)
{
	if (vq->ready)
		return -EBUSY;
	vq->size = size;
	return 0;
}

int virtq_set_area_addr(struct virtq *vq, enum virtq_area area, uint64_t gpa)
{
	if ((unsigned)area >= VQ_AREA_NR)
		return -EINVAL;
	if (vq->ready)
		return -EBUSY;
	vq->addr[area] = gpa;
	return 0;
}

/* Spans already lie inside guest RAM: no sum wraps. */
static bool spans_overlap(const struct virtq_span *x, const struct virtq_span *y)
{
	return x->gpa < y->gpa + y->bytes && y->gpa < x->gpa + x->bytes;
}

bool virtq_rings_overlap(const struct virtq *a, const struct virtq *b)
{
	struct virtq_span x[VQ_AREA_NR], y[VQ_AREA_NR];

	if (!a->ready || !b->ready)
		return false;
	a->ops->spans(a, a->size, x);
	b->ops->spans(b, b->size, y);
	for (int i = 0; i < VQ_AREA_NR; i++)
		for (int j = 0; j < VQ_AREA_NR; j++)
			if (spans_overlap(&x[i], &y[j]))
				return true;
	return false;
}

int virtq_set_ready(struct virtq *vq, const struct guest_mem *mem, uint64_t features)
{
	uint32_t n = vq->size;
	struct virtq_span s[VQ_AREA_NR];
	int r;

	if (vq->ready)
		return 0;
	if (n == 0 || n > vq->size_max)
		return -EINVAL;
	vq->ops = (features & (1ull << VIRTIO_F_RING_PACKED)) ? &virtq_packed_ops
							       : &virtq_split_ops;
	vq->mem = mem;
	vq->event_idx = features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	r = vq->ops->map(vq);
	if (r)
		return r;
	vq->ops->spans(vq, n, s);
	for (int i = 0; i < VQ_AREA_NR; i++)
		for (int j = i + 1; j < VQ_AREA_NR; j++)
			if (spans_overlap(&s[i], &s[j]))
				return -EEXIST;
	if (vq->bufs_cap < n) {
		struct virtq_buf *b = realloc(vq->bufs, n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		vq->bufs = b;
		vq->bufs_cap = n;
	}
	if (vq->ids_cap < n) {
		uint16_t *ids = realloc(vq->id_slots, n * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		vq->id_slots = ids;
		vq->ids_cap = n;
	}
	if (!vq->started) {
		memset(vq->id_slots, 0, n * sizeof(*vq->id_slots));
		if (vq->ops->start)
			vq->ops->start(vq);
		vq->started = true;
	}
	vq->ready = true;
	return 0;
}

void virtq_clear_ready(struct virtq *vq)
{
	vq->ready = false;
}

uint16_t virtq_size_max(const struct virtq *vq)
{
	return vq->size_max;
}

uint32_t virtq_size(const struct virtq *vq)
{
	return vq->size;
}

uint64_t virtq_area_addr(const struct virtq *vq, enum virtq_area area)
{
	return (unsigned)area < VQ_AREA_NR ? vq->addr[area] : 0;
}

bool virtq_is_ready(const struct virtq *vq)
{
	return vq->ready;
}

bool virtq_is_broken(const struct virtq *vq)
{
	return vq->broken;
}

const struct virtq_stats *virtq_stats(const struct virtq *vq)
{
	return &vq->stats;
}

static bool is_packed(const struct virtq *vq)
{
	return vq->ops == &virtq_packed_ops;
}

#define WRAP_BIT (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

uint16_t virtq_next_avail(const struct virtq *vq)
{
	if (is_packed(vq) && vq->ring.packed.avail_wrap)
		return (uint16_t)(vq->next_avail | WRAP_BIT);
	return vq->next_avail;
}

uint16_t virtq_next_used(const struct virtq *vq)
{
	if (is_packed(vq) && vq->ring.packed.used_wrap)
		return (uint16_t)(vq->next_used | WRAP_BIT);
	return vq->next_used;
}

void virtq_set_next_avail(struct virtq *vq, uint16_t idx)
{
	if (is_packed(vq)) {
		vq->ring.packed.avail_wrap = idx & WRAP_BIT;
		idx &= ~WRAP_BIT;
	}
	vq->next_avail = idx;
}

void virtq_set_next_used(struct virtq *vq, uint16_t idx)
{
	if (is_packed(vq)) {
		vq->ring.packed.used_wrap = idx & WRAP_BIT;
		vq->ring.packed.pushed_descs = 0;
		idx &= ~WRAP_BIT;
	}
	vq->next_used = vq->signalled_used = idx;
	vq->pushed = 0;
}

bool virtq_accept_notify(struct virtq *vq, bool device_live)
{
	if (!device_live || !vq->ready || vq->broken) {
		vq->stats.notifies_ignored++;
		return false;
	}
	vq->stats.notifies++;
	return true;
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

int virtq_fail_io(struct virtq *vq, enum virtq_err e)
{
	virtq_fail(vq, e);
	return -EIO;
}

void virtq_chain_begin(struct virtq *vq, struct virtq_chain *c, uint16_t head)
{
	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_bytes = c->in_bytes = 0;
	c->bufs = vq->bufs;
}

int virtq_chain_add(struct virtq *vq, struct virtq_chain *c,
		    uint64_t gpa, uint32_t len, bool writable)
{
	uint32_t count = (uint32_t)c->n_out + c->n_in;
	struct virtq_buf *b;
	void *hva;

	/* Every buffer passes here, so this bounds the walk (and the bufs[]
	 * index) whatever loops the guest made. */
	if (count >= vq->size)
		return virtq_fail_io(vq, VQ_ERR_LOOP);
	hva = gmem_ptr(vq->mem, gpa, len);
	if (!hva)
		return virtq_fail_io(vq, VQ_ERR_ADDR);
	if (!writable && c->n_in)
		return virtq_fail_io(vq, VQ_ERR_ORDER);
	b = &vq->bufs[count];
	b->hva = hva;
	b->len_bytes = len;
	b->writable = writable;
	if (writable) {
		c->n_in++;
		c->in_bytes += len;
	} else {
		c->n_out++;
		c->out_bytes += len;
	}
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	int r;

	if (vq->broken)
		return -EIO;
	if (!vq->ready)
		return 0;
	r = vq->ops->pop(vq, c);
	if (r > 0)
		vq->stats.chains_popped++;
	return r;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written_bytes)
{
	if (!vq->ready || vq->broken)
		return;
	vq->ops->push(vq, head, written_bytes);
	vq->pushed++;
	vq->stats.chains_completed++;
}

bool virtq_should_notify(struct virtq *vq)
{
	bool notify;

	if (!vq->pushed || !vq->ready)
		return false;
	notify = vq->ops->should_notify(vq);
	if (notify)
		vq->stats.used_irqs++;
	else
		vq->stats.used_irqs_suppressed++;
	return notify;
}

void virtq_disable_kicks(struct virtq *vq)
{
	if (vq->ready)
		vq->ops->disable_kicks(vq);
}

void virtq_hold_kicks(struct virtq *vq)
{
	if (vq->ready)
		(vq->ops->hold_kicks ? vq->ops->hold_kicks : vq->ops->disable_kicks)(vq);
}

bool virtq_enable_kicks(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	return vq->ops->enable_kicks(vq);
}

/* The one walk over a chain's buffers for both copy directions: only the
 * readable ones [0, n_out) or only the writable ones [n_out, n_out+n_in). */
static size_t chain_copy(const struct virtq_chain *c, bool to_guest, uint64_t off,
			 uint8_t *host, size_t len)
{
	uint32_t first = to_guest ? c->n_out : 0;
	uint32_t end = to_guest ? (uint32_t)c->n_out + c->n_in : c->n_out;
	size_t done = 0;

	for (uint32_t i = first; i < end && done < len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		size_t n;

		if (off >= b->len_bytes) {
			off -= b->len_bytes;
			continue;
		}
		n = b->len_bytes - off;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			memcpy(b->hva + off, host + done, n);
		else
			memcpy(host + done, b->hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len)
{
	return chain_copy(c, false, off, dst, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len)
{
	/* chain_copy only reads `host` when copying to the guest. */
	return chain_copy(c, true, off, (uint8_t *)(uintptr_t)src, len);
}
