/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pretend guest driver for the virtio unit tests and the fuzzer: guest RAM
 * is a malloc'd buffer, rings are built by hand in it, and the device is
 * driven only through its bus handler (virtio_mmio__access). Host-only.
 */
#ifndef MMIOBENCH_VIRTIO_TEST_H
#define MMIOBENCH_VIRTIO_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard_mem.h"
#include "virtio_mmio_dev.h"

#define TRAM_BYTES	(4u << 20)
/* Queue q's rings: 256 KiB apart, desc | avail | used, room for 4096 entries. */
#define TQ_BASE(q)	(0x10000ull + (uint64_t)(q) * 0x40000ull)
#define TQ_DESC(q)	TQ_BASE(q)
#define TQ_AVAIL(q)	(TQ_BASE(q) + 0x10000)
#define TQ_USED(q)	(TQ_BASE(q) + 0x20000)
/* Data buffers for tests: above every ring. */
#define TDATA		(TQ_BASE(8))

/* Test RAM with guard pages directly below and above (harness/guard_mem.c):
 * a device access outside it faults at once. bytes: a multiple of 4 KiB. */
struct tmem {
	struct guest_mem m;	/* first: tmem_free() gets this pointer back */
	struct guard_mem g;
};

static inline struct guest_mem *tmem_new(uint64_t bytes)
{
	struct tmem *t = calloc(1, sizeof(*t));

	if (!t || guard_mem_map(&t->g, bytes, 0)) {
		fprintf(stderr, "tmem_new: cannot map %llu bytes\n", (unsigned long long)bytes);
		abort();
	}
	t->m.hva = t->g.hva;
	t->m.size_bytes = bytes;
	return &t->m;
}

static inline void tmem_free(struct guest_mem *m)
{
	struct tmem *t = (struct tmem *)m;

	guard_mem_unmap(&t->g);
	free(t);
}

static inline void *tgpa(struct guest_mem *m, uint64_t gpa)
{
	return m->hva + gpa;
}

static inline uint32_t mmio_rd(struct virtio_mmio_dev *d, uint32_t off)
{
	uint8_t b[4];

	virtio_mmio__access(d, off, b, 4, false);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline void mmio_wr(struct virtio_mmio_dev *d, uint32_t off, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	virtio_mmio__access(d, off, b, 4, true);
}

/* Status -> ACK -> DRIVER -> features -> FEATURES_OK. Returns Status read back. */
static inline uint32_t tdrv_negotiate(struct virtio_mmio_dev *d, uint64_t features)
{
	mmio_wr(d, VIRTIO_MMIO_STATUS, 0);
	mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (uint32_t page = 0; page < 2; page++) {
		mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, page);
		mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * page)));
	}
	mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK);
	return mmio_rd(d, VIRTIO_MMIO_STATUS);
}

static inline void tdrv_queue_at(struct virtio_mmio_dev *d, uint32_t q, uint32_t size,
				 uint64_t desc, uint64_t avail, uint64_t used)
{
	mmio_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
	mmio_wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
	mmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	mmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	mmio_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	mmio_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	mmio_wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	mmio_wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	mmio_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

static inline void tdrv_queue(struct virtio_mmio_dev *d, uint32_t q, uint32_t size)
{
	tdrv_queue_at(d, q, size, TQ_DESC(q), TQ_AVAIL(q), TQ_USED(q));
}

static inline void tdrv_driver_ok(struct virtio_mmio_dev *d)
{
	mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Driver-side view of one split ring in test RAM. */
struct tring {
	struct guest_mem *mem;
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;	/* driver's next avail index */
	uint16_t last_used;	/* driver's consumed used index */
};

static inline void tring_init_at(struct tring *r, struct guest_mem *m, uint16_t size,
				 uint64_t desc, uint64_t avail, uint64_t used)
{
	r->mem = m;
	r->size = size;
	r->desc = tgpa(m, desc);
	r->avail = tgpa(m, avail);
	r->used = tgpa(m, used);
	r->avail_idx = r->last_used = 0;
}

static inline void tring_init(struct tring *r, struct guest_mem *m, uint32_t q, uint16_t size)
{
	tring_init_at(r, m, size, TQ_DESC(q), TQ_AVAIL(q), TQ_USED(q));
}

static inline void tring_desc(struct tring *r, uint16_t i, uint64_t addr, uint32_t len,
			      uint16_t flags, uint16_t next)
{
	r->desc[i].addr = addr;
	r->desc[i].len = len;
	r->desc[i].flags = flags;
	r->desc[i].next = next;
}

/* Make head available and publish avail.idx (release, as a driver must). */
static inline void tring_add(struct tring *r, uint16_t head)
{
	r->avail->ring[r->avail_idx & (r->size - 1)] = head;
	r->avail_idx++;
	__atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

/* Next used element, or false if none. */
static inline bool tring_used(struct tring *r, uint32_t *id, uint32_t *len)
{
	if (__atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE) == r->last_used)
		return false;
	struct vring_used_elem *e = &r->used->ring[r->last_used & (r->size - 1)];

	*id = e->id;
	*len = e->len;
	r->last_used++;
	return true;
}

/* The event fields where <linux/virtio_ring.h> puts them (the device reads
 * them the same way, so test and device cannot disagree on the layout). */
static inline struct vring tring_vring(const struct tring *r)
{
	return (struct vring){ .num = r->size, .desc = r->desc, .avail = r->avail,
			       .used = r->used };
}

static inline uint16_t *tring_used_event(struct tring *r)
{
	struct vring vr = tring_vring(r);

	return &vring_used_event(&vr);
}

static inline uint16_t *tring_avail_event(struct tring *r)
{
	struct vring vr = tring_vring(r);

	return &vring_avail_event(&vr);
}

#endif
