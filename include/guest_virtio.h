/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of virtio-mmio: split- and packed-ring producers
 * (guest/vring.c, guest/vring_packed.c), the virtio-mmio v2 transport driver
 * (guest/virtio_mmio_drv.c) and a small virtio-blk request layer over either
 * ring (guest/virtio_blk_drv.c).
 *
 * All of it runs inside the VM at CPL0 or CPL3, allocates nothing (the caller
 * hands in every byte of memory) and returns 0 / a count, or a negative errno
 * value; nothing here loops without a bound. Not thread safe: one vCPU owns a
 * queue (an ISR counts as the same owner if the caller keeps it from racing
 * with submission, e.g. by cli or by only polling).
 *
 * Ring addresses handed to the device are guest-physical. In the guest
 * GVA == GPA, so dma_offset is 0; the host unit tests run this same code on a
 * host buffer that stands for guest RAM and pass the buffer's base as
 * dma_offset: phys = (uintptr_t)ptr - dma_offset.
 *
 * x86 is little-endian like virtio 1.x, so ring fields are stored as is.
 */
#ifndef MMIOBENCH_GUEST_VIRTIO_H
#define MMIOBENCH_GUEST_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_blk.h>
#include <linux/errno.h>
#include "guest.h"

/* Constants newer than the distro UAPI headers live in the device model's
 * virtio_extra.h; fall back to the spec value until it exists. */
#if __has_include("virtio_extra.h")
#include "virtio_extra.h"
#endif
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA	38
#endif

#ifndef VIRTIO_MMIO_MAGIC
#define VIRTIO_MMIO_MAGIC		0x74726976u	/* "virt" */
#endif
#define VRING_MAX_SIZE			32768		/* split-ring limit */

/* ======================= split-ring producer (vring.c) ================== */

/* Driver-private state, one per descriptor; the device never sees it. */
struct vring_drv_slot {
	void *cookie;		/* non-NULL only on the head of an in-flight chain */
	uint16_t next;		/* free-list link; inside a chain it equals desc.next */
	uint16_t tail;		/* head only: last descriptor of the chain */
	uint16_t ndesc;		/* head only: descriptors the chain occupies */
};

/* One buffer of a request: a guest pointer (translated with dma_offset). */
struct vring_sg {
	void *buf;
	uint32_t len;
};

struct vring_drv {
	struct vring vr;		/* desc/avail/used inside the caller's ring memory */
	struct vring_drv_slot *slot;	/* caller memory, vr.num entries */
	uintptr_t dma_offset;
	uint16_t mask;			/* vr.num - 1 */
	uint16_t free_head;
	uint32_t num_free;		/* up to 32768 */
	uint16_t avail_idx;		/* next avail index to fill (shadow of avail->idx) */
	uint16_t kick_idx;		/* avail idx at the last kick decision */
	uint16_t last_used;		/* next used index to collect */
	uint16_t avail_flags;		/* shadow of avail->flags */
	uint32_t since_kick;		/* chains added since the last kick decision */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool cb_enabled;		/* interrupts wanted (used_event / NO_INTERRUPT) */
	uint16_t queue_index;		/* for QueueNotify; set by the transport */
	uint64_t kicks;			/* kick_prepare said "notify" */
	uint64_t kicks_suppressed;	/* kick_prepare said "no need" */
};

/* Bytes of ring memory for num entries with the used ring aligned to align
 * (a power of two >= 4; 4096 gives the legacy layout). Same as vring_size(). */
GUEST_INLINE size_t vring_drv_mem_bytes(unsigned int num, unsigned long align)
{
	return vring_size(num, align);
}

/* Lays the ring out over mem (16-byte aligned, vring_drv_mem_bytes long):
 * desc table, avail ring (+used_event), used ring (+avail_event) at align.
 * Zeroes the index/flag/event words (not the tables), links all descriptors
 * into the free list. num: power of two, 1..32768. features: the negotiated
 * bits (only INDIRECT_DESC and EVENT_IDX matter). Callbacks start enabled.
 * Returns 0 or -EINVAL. */
int vring_drv_init(struct vring_drv *q, unsigned int num, void *mem, unsigned long align,
		   struct vring_drv_slot *slots, uintptr_t dma_offset, uint64_t features);

/* Guest-physical addresses of the three areas, for QueueDesc/Driver/Device. */
GUEST_INLINE uint64_t vring_drv_desc_addr(const struct vring_drv *q)
{ return (uintptr_t)q->vr.desc - q->dma_offset; }
GUEST_INLINE uint64_t vring_drv_avail_addr(const struct vring_drv *q)
{ return (uintptr_t)q->vr.avail - q->dma_offset; }
GUEST_INLINE uint64_t vring_drv_used_addr(const struct vring_drv *q)
{ return (uintptr_t)q->vr.used - q->dma_offset; }
GUEST_INLINE unsigned int vring_drv_num_free(const struct vring_drv *q) { return q->num_free; }

/* Queues one chain: sg[0..out) device-readable, then sg[out..out+in)
 * device-writable. cookie (non-NULL) comes back from vring_drv_pop_used().
 * With indirect_table (needs INDIRECT_DESC negotiated, out+in entries, caller
 * memory that stays untouched until the chain is used) the chain takes one
 * ring descriptor; otherwise out+in. Not visible to the device until
 * vring_drv_publish()/kick_prepare(). Returns the head index, -ENOSPC when
 * the ring lacks free descriptors, -EINVAL for a bad argument. */
int vring_drv_add(struct vring_drv *q, const struct vring_sg *sg, unsigned int out,
		  unsigned int in, void *cookie, struct vring_desc *indirect_table);

/* Makes every added chain visible: write barrier, then avail->idx. */
void vring_drv_publish(struct vring_drv *q);

/* Publishes, full barrier, then reads the device's suppression state
 * (avail_event with EVENT_IDX, else VRING_USED_F_NO_NOTIFY). Returns true if
 * the caller must notify the device; false if nothing was added since the
 * last decision or the device asked not to be kicked. Batching: add N, call
 * this once. */
bool vring_drv_kick_prepare(struct vring_drv *q);

/* True if the device has used entries not yet collected. */
bool vring_drv_has_used(const struct vring_drv *q);

/* Collects one used entry: *cookie and *len (bytes the device wrote), and
 * frees its descriptors. Returns 1, 0 if none is pending, or -EIO if the
 * device returned an id that is not an in-flight head (ring then unusable). */
int vring_drv_pop_used(struct vring_drv *q, void **cookie, uint32_t *len);

/* Interrupt suppression. disable: ask for no interrupts (NO_INTERRUPT flag,
 * or used_event left behind). enable_after(n): ask for an interrupt once n
 * more entries (n >= 1) are used beyond those collected (n > 1 needs
 * EVENT_IDX; without it any completion interrupts). Both enable calls end
 * with a full barrier and return true if nothing is pending, i.e. it is safe
 * to wait for the interrupt; false means poll again first. */
void vring_drv_disable_cb(struct vring_drv *q);
bool vring_drv_enable_cb_after(struct vring_drv *q, uint16_t n);
GUEST_INLINE bool vring_drv_enable_cb(struct vring_drv *q) { return vring_drv_enable_cb_after(q, 1); }

/* =============== packed-ring producer (vring_packed.c) ================== */

/*
 * The driver's half of a packed virtqueue (virtio 1.x, 2.8): the same shape
 * of API as the split-ring producer (add, kick decision, collect, interrupt
 * suppression), the same rules.
 */
/* Driver-private state per buffer id; the device never sees it. */
struct vring_pdrv_id {
	void *cookie;		/* non-NULL while the buffer is in flight */
	uint16_t slots;		/* ring descriptors its list takes */
	uint16_t next_free;	/* free-id stack link */
};
/* So that the blk layer's callers size one slot array for either ring. */
_Static_assert(sizeof(struct vring_pdrv_id) <= sizeof(struct vring_drv_slot),
	       "a split slot array holds the packed ids");

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

/* A descriptor's flags in the lap whose wrap counter is `wrap`: the ones
 * that make it available (AVAIL == wrap, USED != wrap), and whether it is
 * used (both == wrap). */
GUEST_INLINE uint16_t vring_packed_avail_flags(bool wrap)
{
	return wrap ? 1u << VRING_PACKED_DESC_F_AVAIL : 1u << VRING_PACKED_DESC_F_USED;
}

GUEST_INLINE bool vring_packed_is_used(uint16_t flags, bool wrap)
{
	return !!(flags & (1u << VRING_PACKED_DESC_F_AVAIL)) == wrap &&
	       !!(flags & (1u << VRING_PACKED_DESC_F_USED)) == wrap;
}

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

/* ================= virtio-mmio v2 transport (virtio_mmio_drv.c) ========= */

struct virtio_mmio_drv {
	uint64_t base;			/* device window (GPA == GVA in the guest) */
	uint32_t device_id;
	uint32_t vendor_id;
	uint64_t device_features;	/* offered, pages 0 and 1 */
	uint64_t features;		/* accepted (what the queues are set up for) */
};

/* Step 1: checks magic, version 2 and DeviceID != 0 at base (e.g.
 * VIRTIO_MMIO_BASE). Touches no writable register. -ENODEV otherwise. */
int virtio_mmio_probe(struct virtio_mmio_drv *d, uint64_t base);

/* Reset: Status = 0, then polls (bounded) until it reads 0. -ETIMEDOUT. */
int virtio_mmio_reset(struct virtio_mmio_drv *d);

/* Steps 2-4 after probe: reset, ACKNOWLEDGE, DRIVER, read DeviceFeatures
 * pages 0/1, write (offered & (wanted | VERSION_1)) to DriverFeatures pages
 * 0/1, FEATURES_OK, and read Status back. -ENODEV if VERSION_1 is not
 * offered, -EPROTO if the device clears FEATURES_OK; on error sets FAILED. */
int virtio_mmio_negotiate(struct virtio_mmio_drv *d, uint64_t wanted);

/* probe + negotiate. */
int virtio_mmio_init(struct virtio_mmio_drv *d, uint64_t base, uint64_t wanted);

/* Step 5 for one queue: QueueSel, QueueReady must read 0 (-EBUSY), read
 * QueueSizeMax (0: -ENOENT); size = largest power of two <= min(num, max);
 * vring_drv_init(q) over mem/slots (sized by the caller for num) with the
 * negotiated features; write QueueSize, the three addresses, QueueReady = 1.
 * Returns the queue size used (> 0) or a negative error. */
int virtio_mmio_setup_queue(struct virtio_mmio_drv *d, struct vring_drv *q, uint16_t index,
			    unsigned int num, void *mem, unsigned long align,
			    struct vring_drv_slot *slots);

/* Step 6: Status |= DRIVER_OK. Buffers may be made available from now on. */
void virtio_mmio_driver_ok(struct virtio_mmio_drv *d);

/* Status |= FAILED (the driver gave up). */
void virtio_mmio_fail(struct virtio_mmio_drv *d);
uint32_t virtio_mmio_status(const struct virtio_mmio_drv *d);

/* QueueNotify for q: its index, or with NOTIFICATION_DATA index | avail_idx << 16
 * (next_off = bits 0-14 of the avail index, next_wrap = bit 15). */
void virtio_mmio_notify(const struct virtio_mmio_drv *d, const struct vring_drv *q);

/* vring_drv_kick_prepare() and, if needed, notify. Returns true if notified. */
bool virtio_mmio_kick(const struct virtio_mmio_drv *d, struct vring_drv *q);

/* Reads len bytes of device config at offset (0 = first config byte) into
 * buf with natural-width accesses (8-byte fields as two 32-bit reads),
 * retrying until ConfigGeneration is the same before and after (bounded:
 * -EAGAIN). */
int virtio_mmio_config_read(const struct virtio_mmio_drv *d, uint32_t offset, void *buf,
			    uint32_t len);

/* Reads InterruptStatus and writes the same bits to InterruptACK (if any).
 * Returns the bits acked; the caller EOIs the LAPIC. */
uint32_t virtio_mmio_irq_ack(const struct virtio_mmio_drv *d);

/* An ISR body: irq_ack(), then drains q's used ring through done(ctx, cookie,
 * len). The ACK comes before the drain, as in Linux vm_interrupt(): acking
 * after draining could clear the bit of a completion that landed in between
 * and lose it. Returns the acked bits, or -EIO from pop_used as a negative. */
typedef void (*vring_done_fn)(void *ctx, void *cookie, uint32_t len);
int64_t virtio_mmio_isr(const struct virtio_mmio_drv *d, struct vring_drv *q,
			vring_done_fn done, void *ctx);

/* Step 5 for a packed queue once RING_PACKED
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

/* ==================== virtio-blk requests (virtio_blk_drv.c) ============ */

/* One request; caller memory in guest RAM, untouched until done. The device
 * reads hdr and writes status; indirect[] is the chain's table when the
 * layer uses indirect descriptors. */
struct virtio_blk_req {
	struct virtio_blk_outhdr hdr;
	union {				/* the layout the ring uses */
		struct vring_desc indirect[3];
		struct vring_packed_desc indirect_packed[3];
	} __attribute__((aligned(16)));
	volatile uint8_t status;	/* VIRTIO_BLK_S_*, 0xff while in flight */
	volatile uint8_t done;		/* set when the completion is collected */
	uint32_t used_len;		/* bytes the device reported written */
};

/*
 * The ring floor (harness/ring_floor.c) runs this driver on a host thread,
 * where there is no register window to write and no hlt to wait in: kicks
 * and waits go through these instead. NULL in the VM, where they cost one
 * test per kick and per wait.
 *  notify(ctx)     what QueueNotify would do (the ring already said "kick")
 *  wait_used(ctx)  returns once a completion is pending: 0, or < 0 when the
 *                  device stopped (NEEDS_RESET) or never answered
 */
struct virtio_blk_host_ops {
	void (*notify)(void *ctx);
	int (*wait_used)(void *ctx);
};

struct virtio_blk_drv {
	struct virtio_mmio_drv mmio;
	const struct virtio_blk_host_ops *host;	/* ring floor only, else NULL */
	void *host_ctx;
	bool packed;				/* VIRTIO_F_RING_PACKED negotiated */
	union {					/* request queue 0 */
		struct vring_drv vq;		/* split */
		struct vring_pdrv pq;		/* packed */
	};
	uint64_t capacity_sectors;		/* 512-byte sectors */
	uint32_t blk_size_bytes;		/* 512 unless VIRTIO_BLK_F_BLK_SIZE */
	uint16_t num_queues;			/* 1 unless VIRTIO_BLK_F_MQ */
	bool use_indirect;			/* set by init iff INDIRECT_DESC negotiated */
	bool by_irq;				/* waits halt for the interrupt (init: spin) */
	uint64_t max_waits;			/* bound for virtio_blk_wait(), init: 1 << 20 */
	volatile uint64_t irq_count;		/* ISR entries that found a bit to ack */
	volatile uint64_t irq_spurious;		/* ISR entries that found none */
	volatile uint64_t config_irqs;		/* ... with the config bit (e.g. NEEDS_RESET) */
	uint64_t config_seen;			/* config_irqs the waiter has looked at */
	volatile uint32_t irq_flag;		/* set by the ISR, cleared by the waiter */
	uint64_t status_reads;			/* liveness reads of Status (trapped exits) */
	uint64_t completed;			/* requests collected */
};

/* Full bring-up of the blk device at base: probe (DeviceID must be
 * VIRTIO_ID_BLOCK), negotiate wanted | BLK_SIZE | MQ, read capacity,
 * blk_size and num_queues with the generation loop, set up queue 0 (num
 * entries over mem/slots, used ring aligned to align), DRIVER_OK. With
 * VIRTIO_F_RING_PACKED in wanted and offered, queue 0 is a packed ring of
 * num entries (any value) over the same memory: a split ring's mem and
 * slots are big enough for it. Returns the queue size, or < 0. */
int virtio_blk_init(struct virtio_blk_drv *b, uint64_t base, uint64_t wanted,
		    unsigned int num, void *mem, unsigned long align,
		    struct vring_drv_slot *slots);

/* The ring floor's bring-up, with no transport: the same fields as
 * virtio_blk_init() and queue 0 over mem/slots for the already negotiated
 * features (RING_PACKED picks the layout), rings addressed through
 * dma_offset, kicks and waits through host. The caller programs the
 * device's queue registers with the ring's addresses. Queue size or < 0. */
int virtio_blk_host_init(struct virtio_blk_drv *b, uint64_t features, unsigned int num,
			 void *mem, struct vring_drv_slot *slots, uintptr_t dma_offset,
			 const struct virtio_blk_host_ops *host, void *host_ctx);

/* Queues one request without kicking. type VIRTIO_BLK_T_*: data is
 * device-writable for IN and GET_ID, readable otherwise; FLUSH takes
 * NULL/0. Returns 0, -ENOSPC when the ring is full, -EINVAL. */
int virtio_blk_submit(struct virtio_blk_drv *b, struct virtio_blk_req *req, uint32_t type,
		      uint64_t sector, void *data, uint32_t len);

/* Kicks if needed (one notify for a whole batch). Returns true if notified. */
bool virtio_blk_kick(struct virtio_blk_drv *b);

/* Ring room for n more requests of up to three buffers (one slot each with
 * indirect descriptors, three without). */
GUEST_INLINE bool virtio_blk_has_room(const struct virtio_blk_drv *b, unsigned int n)
{
	unsigned int free = b->packed ? vring_pdrv_num_free(&b->pq) : vring_drv_num_free(&b->vq);

	return free >= n * (b->use_indirect ? 1u : 3u);
}

/* Kick decisions so far: notified, and suppressed by the device. */
GUEST_INLINE uint64_t virtio_blk_kicks(const struct virtio_blk_drv *b)
{ return b->packed ? b->pq.kicks : b->vq.kicks; }
GUEST_INLINE uint64_t virtio_blk_kicks_suppressed(const struct virtio_blk_drv *b)
{ return b->packed ? b->pq.kicks_suppressed : b->vq.kicks_suppressed; }

/* True if the device has used buffers not yet collected. */
bool virtio_blk_has_used(const struct virtio_blk_drv *b);

/* The kick decision alone (the ring's suppression state): true if the
 * device must be notified. virtio_blk_kick() is this plus the notify. */
bool virtio_blk_kick_prepare(struct virtio_blk_drv *b);

/* Collects one completion: 1 with *req (done and used_len set), 0 if none
 * is pending, -EIO if the device named a buffer not in flight. */
int virtio_blk_pop(struct virtio_blk_drv *b, struct virtio_blk_req **req);

/* Collects every pending completion. Returns how many, or -EIO. Only ever
 * called from one context (not from an ISR). */
int virtio_blk_poll(struct virtio_blk_drv *b);

/* Used-buffer interrupts off (the device may still send some), or on:
 * irq_on returns false if a completion is already pending. */
void virtio_blk_irq_off(struct virtio_blk_drv *b);
bool virtio_blk_irq_on(struct virtio_blk_drv *b);

/*
 * Waits until a completion is pending: 0, or -EIO once the device says
 * DEVICE_NEEDS_RESET (it will complete nothing more). Spinning, with a
 * Status read every 2^20 spins; or, with b->by_irq, halted until the ISR
 * sets irq_flag (guest_halt_unless() checks it with interrupts off), the
 * interrupt armed first and left armed. A config interrupt that came before
 * the flag was cleared is remembered in config_irqs, so a NEEDS_RESET that
 * raced the waiter is still seen instead of halting for ever. Needs, with
 * by_irq, the GSI routed to a vector whose handler calls virtio_blk_isr().
 */
int virtio_blk_wait_used(struct virtio_blk_drv *b);

/* Polls until req->done, virtio_blk_wait_used() between empty polls, at
 * most b->max_waits times. Returns req->status (>= 0), -ETIMEDOUT or -EIO. */
int virtio_blk_wait(struct virtio_blk_drv *b, struct virtio_blk_req *req);

/* ISR body: reads InterruptStatus, writes the bits to InterruptACK, counts
 * the entry (irq_count, irq_spurious, config_irqs) and sets irq_flag. It
 * does not touch the ring (the waiting context does), so no lock is needed.
 * Returns the bits acked; the caller EOIs the LAPIC. */
uint32_t virtio_blk_isr(struct virtio_blk_drv *b);

/* Synchronous helpers: submit + kick + wait. Return VIRTIO_BLK_S_* or < 0. */
int virtio_blk_rw(struct virtio_blk_drv *b, struct virtio_blk_req *req, bool write,
		  uint64_t sector, void *buf, uint32_t len);
int virtio_blk_flush(struct virtio_blk_drv *b, struct virtio_blk_req *req);
/* id must be in guest RAM, VIRTIO_BLK_ID_BYTES long (not NUL-terminated
 * when the id fills it). */
int virtio_blk_get_id(struct virtio_blk_drv *b, struct virtio_blk_req *req, char *id);

/* ============ the notify benchmark's request loop (blk_loop.c) =========== */

/*
 * One loop for both sides of the ring floor's ratio: the guest runs it in
 * the VM (bench/notify_tput.c), the ring floor on a host thread with no VM
 * (harness/ring_floor.c). It keeps the queue as full as the batch allows:
 * while the ring has room it adds `batch` reads of data_len bytes into data
 * and makes one kick decision, then waits for a completion (spinning or by
 * interrupt, as the driver is set) and collects every one pending.
 */
struct virtio_blk_loop {
	struct virtio_blk_drv *b;
	struct virtio_blk_req *reqs;	/* the request contexts, queue-size of them */
	uint32_t *free_stack;		/* indices of the free contexts */
	uint32_t nfree;
	void *data;
	uint32_t data_len, batch;	/* batch >= 1 */
	uint64_t bad_status;		/* completions whose status was not OK */
};

/* Pushes every context of l->reqs (num of them) onto the free stack. */
void virtio_blk_loop_reset(struct virtio_blk_loop *l, unsigned int num);
/* n requests submitted and completed: 0, or the first error (a submit's,
 * -EIO from the wait or a bad id). */
int virtio_blk_loop_run(struct virtio_blk_loop *l, uint64_t n);

#endif
