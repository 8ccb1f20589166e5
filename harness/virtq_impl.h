/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the virtqueue: the state every ring layout shares and the ops a
 * layout implements. Only harness/virtqueue.c and the layout files
 * (harness/virtq_split.c) include this; everyone else goes through
 * include/virtqueue.h.
 */
#ifndef MMIOBENCH_VIRTQ_IMPL_H
#define MMIOBENCH_VIRTQ_IMPL_H

#include "virtqueue.h"

/* A guest-physical range the device touches. */
struct virtq_span {
	uint64_t gpa, bytes;
};

struct virtq_ops {
	/* At QueueReady, after the generic size check: check the layout's
	 * size rule and alignment, translate the areas and set up the
	 * layout's state. -EINVAL if the size, an area's alignment or its
	 * range is wrong. */
	int (*map)(struct virtq *vq);
	/* Optional: the first time the queue goes ready after a reset, put
	 * the layout's state and device-written ring fields in their initial
	 * form (a QueueReady 0 -> 1 cycle keeps them, as it keeps indices). */
	void (*start)(struct virtq *vq);
	/* The bytes of each area the device really touches, for size n. */
	void (*spans)(const struct virtq *vq, uint32_t n, struct virtq_span out[VQ_AREA_NR]);
	int (*pop)(struct virtq *vq, struct virtq_chain *c);
	void (*push)(struct virtq *vq, uint16_t head, uint32_t written_bytes);
	bool (*should_notify)(struct virtq *vq);
	void (*disable_kicks)(struct virtq *vq);
	bool (*enable_kicks)(struct virtq *vq);
	/* Optional (else disable_kicks): keep kicks off for a polling device. */
	void (*hold_kicks)(struct virtq *vq);
};

/* Split layout state: host views into guest RAM. vr.num = size: the UAPI
 * layout, so vring_used_event() and vring_avail_event() find the fields. */
struct virtq_split {
	struct vring vr;
};

/* Packed layout state (virtio 1.x, 2.8): the one descriptor ring and the
 * two event suppression structures, as host views into guest RAM. */
struct virtq_packed {
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver_evt;	/* driver area: we read it */
	struct vring_packed_desc_event *device_evt;	/* device area: we write it */
	bool avail_wrap, used_wrap;	/* the Device Ring Wrap Counters */
	uint32_t pushed_descs;		/* ring slots used since the last notify decision */
};

struct virtq {
	/* Driver-visible configuration (transport registers). */
	uint16_t size_max;		/* 0 = queue absent */
	uint32_t size;			/* QueueSize as written (any value; 0 after
					 * reset), checked only at QueueReady */
	bool ready;			/* QueueReady */
	uint64_t addr[VQ_AREA_NR];

	/* Chosen at QueueReady from the negotiated features. */
	const struct virtq_ops *ops;
	bool event_idx, indirect;
	const struct guest_mem *mem;

	/* Device state, valid while ready. */
	uint16_t next_avail;		/* next avail entry to consume */
	uint16_t next_used;		/* next used entry to publish */
	uint16_t signalled_used;	/* next_used at the last notify decision */
	uint32_t pushed;		/* completions since the last notify decision */
	bool broken;
	bool started;			/* has been ready since the last reset */
	union {
		struct virtq_split split;
		struct virtq_packed packed;
	} ring;

	struct virtq_buf *bufs;		/* chain scratch, bufs_cap >= size */
	uint32_t bufs_cap;
	/* Per buffer id: ring slots its chain took while in flight, 0 when
	 * not in flight (the packed ring needs both to publish and to refuse
	 * a reused id). ids_cap >= size. */
	uint16_t *id_slots;
	uint32_t ids_cap;

	struct virtq_stats stats;
};

extern const struct virtq_ops virtq_split_ops;
extern const struct virtq_ops virtq_packed_ops;

/* Shared by the layouts' chain walks. */
void virtq_chain_begin(struct virtq *vq, struct virtq_chain *c, uint16_t head);
/*
 * Append one descriptor's buffer to chain c: bounds the walk at the queue
 * size (loops), translates the address and keeps readable before writable.
 * Returns 0, or -EIO with the queue marked broken.
 */
int virtq_chain_add(struct virtq *vq, struct virtq_chain *c,
		    uint64_t gpa, uint32_t len, bool writable);
/* virtq_fail() and return -EIO, for the walks' error paths. */
int virtq_fail_io(struct virtq *vq, enum virtq_err e);

/* Guest-shared 16-bit fields: single atomic accesses, never torn or cached. */
static inline uint16_t vq_ld16_acquire(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint16_t vq_ld16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void vq_st16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

#endif
