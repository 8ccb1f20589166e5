/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device side of a virtqueue, behind an opaque handle (in the manner of
 * rust-vmm's QueueT): the transport configures a queue only through setters
 * that the queue validates at QueueReady, and reads it only through getters.
 * The ring layout is an implementation behind this API (harness/virtq_split.c
 * today), so a second layout adds a file, not an edit to every user.
 *
 * Nothing the guest writes is trusted: indices, heads, chain links, lengths
 * and addresses are checked before use and every guest address goes through
 * gmem_ptr(). A violation marks the queue broken (virtq_pop() then returns
 * -EIO until virtq_reset()); the transport turns that into DEVICE_NEEDS_RESET.
 *
 * Not thread-safe by itself: the owning transport serialises every call
 * under its device lock. The ring lives in guest RAM, which the guest
 * changes concurrently; shared indices are read with atomic loads.
 */
#ifndef MMIOBENCH_VIRTQUEUE_H
#define MMIOBENCH_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"

/* Why a chain or ring was refused (checklist item 18). */
enum virtq_err {
	VQ_ERR_AVAIL_IDX,	/* avail.idx ran more than size ahead */
	VQ_ERR_HEAD,		/* head index >= size */
	VQ_ERR_NEXT,		/* next index >= table length */
	VQ_ERR_LOOP,		/* chain longer than the queue size */
	VQ_ERR_INDIRECT_OFF,	/* INDIRECT without VIRTIO_F_INDIRECT_DESC */
	VQ_ERR_INDIRECT_LEN,	/* indirect table length 0 or not a multiple of 16 */
	VQ_ERR_INDIRECT_NESTED,	/* INDIRECT inside an indirect table */
	VQ_ERR_INDIRECT_NEXT,	/* INDIRECT together with NEXT */
	VQ_ERR_ORDER,		/* readable descriptor after a writable one */
	VQ_ERR_ADDR,		/* buffer or table not wholly inside guest RAM */
	VQ_ERR_DEVICE,		/* the device type refused the chain's layout */
	VQ_ERR_ID,		/* packed: buffer id >= size, or already in flight */
	VQ_ERR_CHAIN_FLAGS,	/* packed: a chain's later descriptor not available */
	VQ_ERR_EVENT_OFF,	/* packed: event suppression offset >= size */
	VQ_ERR_NR
};
const char *virtq_err_name(enum virtq_err e);

/* The three areas a driver gives a queue (virtio 1.x, 2.6): for the split
 * ring the descriptor table, the available ring and the used ring; for the
 * packed ring the descriptor ring, the driver and the device event
 * suppression structures. */
enum virtq_area {
	VQ_AREA_DESC,
	VQ_AREA_DRIVER,
	VQ_AREA_DEVICE,
	VQ_AREA_NR
};

/* One guest buffer of a popped chain, already translated and bounds-checked. */
struct virtq_buf {
	uint8_t *hva;
	uint32_t len_bytes;
	bool writable;
};

/* A popped descriptor chain: bufs[0..n_out) readable, then n_in writable. */
struct virtq_chain {
	uint16_t head;
	uint16_t n_out, n_in;
	uint64_t out_bytes, in_bytes;
	struct virtq_buf *bufs;		/* points into the queue's array */
};

struct virtq_stats {
	uint64_t notifies;		/* kicks accepted for processing */
	uint64_t notifies_ignored;	/* queue not ready, device not live */
	uint64_t chains_popped;
	uint64_t chains_completed;	/* used entries published */
	uint64_t used_irqs;		/* used-buffer notifications sent */
	uint64_t used_irqs_suppressed;	/* NO_INTERRUPT / used_event said no */
	uint64_t violations[VQ_ERR_NR];
};

struct virtq;

/* A queue with QueueSizeMax size_max (0 = absent), not ready; NULL if out
 * of memory. */
struct virtq *virtq_new(uint16_t size_max);
void virtq_destroy(struct virtq *vq);
/* Clear configuration and state (device reset or queue reset); keeps
 * size_max and the statistics. */
void virtq_reset(struct virtq *vq);

/*
 * Configuration, legal only while the queue is not ready (-EBUSY otherwise;
 * the transport refuses such writes itself first). Values are stored as
 * written, QueueNum's full 32 bits included, so that a bad value is refused
 * at QueueReady like every other, never half-applied.
 */
int virtq_set_size(struct virtq *vq, uint32_t size);
int virtq_set_area_addr(struct virtq *vq, enum virtq_area area, uint64_t gpa);

/*
 * QueueReady = 1, with the negotiated feature bits (EVENT_IDX, INDIRECT_DESC
 * and the ring layout, RING_PACKED, are taken from them). Checks size
 * (non-zero, <= max; a power of two for the split ring), alignment and that every area lies in guest RAM, then that
 * no two areas overlap (the device writes the used ring: over the descriptor
 * table it would change requests under the guest's feet), then goes ready.
 * Returns 0, -EINVAL (bad size, alignment or range), -EEXIST (areas
 * overlap; the queue stays not ready) or -ENOMEM. May allocate: never on the hot path.
 */
int virtq_set_ready(struct virtq *vq, const struct guest_mem *mem, uint64_t features);
/* QueueReady = 0: stop using the queue; its indices are kept. */
void virtq_clear_ready(struct virtq *vq);
/* Whether any ring area of ready queue a overlaps any of ready queue b. */
bool virtq_rings_overlap(const struct virtq *a, const struct virtq *b);

uint16_t virtq_size_max(const struct virtq *vq);
uint32_t virtq_size(const struct virtq *vq);		/* as written */
uint64_t virtq_area_addr(const struct virtq *vq, enum virtq_area area);
bool virtq_is_ready(const struct virtq *vq);
bool virtq_is_broken(const struct virtq *vq);
const struct virtq_stats *virtq_stats(const struct virtq *vq);

/*
 * The device's ring positions: the next available entry it will consume
 * and the next used entry it will publish. Split ring: free-running 16-bit
 * indices. Packed ring: the slot (0..size-1) with the wrap counter in bit
 * 15, as in a notification's data and an event suppression offset. Setting
 * them is for restoring a saved, ready queue; setting next_used also
 * forgets completions not yet signalled.
 */
uint16_t virtq_next_avail(const struct virtq *vq);
uint16_t virtq_next_used(const struct virtq *vq);
void virtq_set_next_avail(struct virtq *vq, uint16_t idx);
void virtq_set_next_used(struct virtq *vq, uint16_t idx);

/* Ring-area sizes in bytes for a split queue of `size` entries (from
 * <linux/virtio_ring.h>'s structs), used_event/avail_event included. */
uint64_t virtq_desc_bytes(uint16_t size);
uint64_t virtq_avail_bytes(uint16_t size);
uint64_t virtq_used_bytes(uint16_t size);

/*
 * A driver notification for this queue arrived. Counts it as accepted or
 * ignored and returns whether the caller should process the queue: only if
 * device_live (DRIVER_OK, not FAILED), the queue ready and not broken.
 */
bool virtq_accept_notify(struct virtq *vq, bool device_live);

/*
 * Pop the next available chain into *c (valid until the next pop). Returns
 * 1 with a chain, 0 if the ring is empty, -EIO if the queue is (or has just
 * become) broken.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);
/* Publish a used entry for the chain popped with head/buffer id `head`: id
 * and len, write barrier, then used.idx (split) or the descriptor's flags
 * (packed). Chains may complete in any order. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written_bytes);
/* Mark the queue broken for reason e (counted; logged once per kind per process). */
void virtq_fail(struct virtq *vq, enum virtq_err e);

/*
 * After a batch of pushes: should the guest be interrupted? Honours
 * VRING_AVAIL_F_NO_INTERRUPT or, with EVENT_IDX, used_event. Counts the
 * decision. False if nothing was pushed since the last call.
 */
bool virtq_should_notify(struct virtq *vq);

/* Ask the guest not to kick while we process (VRING_USED_F_NO_NOTIFY). */
void virtq_disable_kicks(struct virtq *vq);
/* Keep kicks off for a device that polls the ring instead (no kick at all,
 * not just one per batch): NO_NOTIFY or DISABLE, or with split EVENT_IDX
 * avail_event kept half the index space away from the device's position.
 * Call after each pass. */
void virtq_hold_kicks(struct virtq *vq);
/*
 * Ask for kicks again (clear NO_NOTIFY, or with EVENT_IDX set avail_event to
 * the next avail index), full barrier, re-check: true if buffers arrived
 * meanwhile and the caller must process again.
 */
bool virtq_enable_kicks(struct virtq *vq);

/* Copy between a chain and host memory. Offsets count only readable (read)
 * or only writable (write) bytes. Return the bytes copied. virtq_chain_write
 * never touches a readable buffer. */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len);

#endif
