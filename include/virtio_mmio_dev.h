/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mmio transport, version 2, on a 4 KiB window: the register file,
 * the status state machine, feature negotiation, per-queue configuration,
 * interrupts and config space. Device types (blk, ...) plug in through
 * struct virtio_dev_ops; the transport knows nothing about them.
 *
 * Threads: every entry point takes the device mutex, so one vCPU thread
 * doing register accesses and one or more iothreads calling
 * virtio_mmio__notify() may run concurrently. Device ops and irq ops are
 * called with that mutex held: they must not call back into the transport
 * (except the *_locked helpers below) and must not block for long. A reset
 * (Status = 0, QueueReset) announces itself before it waits for the mutex
 * and ring processing stops at the next chain, so it waits for at most one
 * chain, however busy the queue.
 *
 * A misbehaving guest never makes an entry point fail or crash: invalid
 * accesses are counted per kind (struct virtio_mmio_stats) and logged once
 * per kind to stderr.
 *
 * Wiring (the KVM side, see virtio_kvm.c): bus_register(vm, BUS_MMIO, base,
 * 0x1000, virtio_mmio__access, dev); an iothread woken by an ioeventfd calls
 * virtio_mmio__notify(dev, q) exactly as the trapped write does. irq ops:
 * level KVM_IRQ_LINE raise = line 1, lower = line 0; edge irqfd raise =
 * signal, lower = nothing; resample irqfd as edge, plus re-signal on each
 * resample while virtio_mmio__irq_pending(). NOTIFICATION_DATA is offered
 * by the transport; virtio_kvm.c withdraws it on the datamatch ioeventfd
 * wiring (which matches the bare queue index only) and keeps it for the
 * zero-length ioeventfd, where the data is unavailable to the device (an
 * eventfd carries no value; every queue is processed), and for trapped.
 *
 * Names: the host device model uses kvmtool's module__verb
 * (virtio_mmio__notify, virtio_blk__create) because the guest driver owns
 * virtio_mmio_* and virtio_blk_* and both are linked into every binary.
 * virtq_* has no guest twin and keeps one underscore.
 */
#ifndef MMIOBENCH_VIRTIO_MMIO_DEV_H
#define MMIOBENCH_VIRTIO_MMIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "virtio_extra.h"
#include "virtqueue.h"

#define VIRTIO_MMIO_WINDOW_BYTES	0x1000u
#define VIRTIO_MMIO_CONFIG_MAX_BYTES	(VIRTIO_MMIO_WINDOW_BYTES - VIRTIO_MMIO_CONFIG)
#define VIRTIO_MMIO_MAX_QUEUES		64
#define VIRTIO_MMIO_QUEUE_SIZE_LIMIT	32768u
#define VIRTIO_MMIO_VENDOR_DEFAULT	0x554d4551u	/* "QEMU"; drivers only print it */

/* Feature bits the transport itself implements and offers (unless masked). */
#define VIRTIO_MMIO_TRANSPORT_FEATURES \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) | \
	 (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_F_RING_RESET) | \
	 (1ull << VIRTIO_F_NOTIFICATION_DATA) | (1ull << VIRTIO_F_RING_PACKED))

/* Kinds of invalid guest access (checklist item 2 and the state guards). */
enum vmmio_inval {
	VMMIO_INVAL_WIDTH,		/* register access not 4 bytes, config not 1/2/4 */
	VMMIO_INVAL_UNALIGNED,		/* offset not a multiple of the width */
	VMMIO_INVAL_READ_WO,		/* read of a write-only register (reads 0) */
	VMMIO_INVAL_WRITE_RO,		/* write to a read-only register (dropped) */
	VMMIO_INVAL_UNDEF_READ,		/* read of an undefined offset (reads 0) */
	VMMIO_INVAL_UNDEF_WRITE,	/* write to an undefined offset (dropped) */
	VMMIO_INVAL_STATE,		/* write not allowed in the current status */
	VMMIO_INVAL_STATUS,		/* Status write not in the transition table */
	VMMIO_INVAL_VALUE,		/* value out of range (QueueReady 2, ...) */
	VMMIO_INVAL_QUEUE_SEL,		/* queue register while QueueSel has no queue */
	VMMIO_INVAL_QUEUE_CFG,		/* QueueReady=1 refused (size/align/range) */
	VMMIO_INVAL_QUEUE_OVERLAP,	/* QueueReady=1 refused: ring areas overlap
					 * each other or another ready queue's */
	VMMIO_INVAL_CONFIG_RANGE,	/* config access past the device's config */
	VMMIO_INVAL_CONFIG_RO,		/* config write the device refused */
	VMMIO_INVAL_NR
};
const char *virtio_mmio__inval_name(enum vmmio_inval k);

struct virtio_mmio_stats {
	uint64_t invalid[VMMIO_INVAL_NR];
	uint64_t features_refused;	/* FEATURES_OK writes left clear */
	uint64_t resets;		/* Status = 0 writes */
	uint64_t queue_resets;		/* QueueReset = 1 writes */
	uint64_t notifies;		/* QueueNotify writes + virtio_mmio__notify() */
	uint64_t notifies_bad_queue;	/* index out of range: ignored */
	uint64_t irqs_raised;		/* raise() calls: one per new event */
	uint64_t irqs_lowered;		/* lower() calls */
	uint64_t config_irqs;		/* config-change events */
	uint64_t needs_reset;		/* DEVICE_NEEDS_RESET raised */
	/* Reset latency bound: ring processing stopped because a reset
	 * (Status = 0 or QueueReset) was waiting for the device, and chains
	 * completed while one was waiting (at most one per stop). */
	uint64_t reset_preemptions;
	uint64_t chains_during_reset;
};

/* Interrupt delivery, implemented by the KVM side. raise(): a NEW event set
 * a bit in InterruptStatus (called again for each new event even when a bit
 * was already set). lower(): InterruptStatus became 0 (ack or reset). */
struct virtio_mmio_irq_ops {
	void (*raise)(void *ctx);
	void (*lower)(void *ctx);
};

struct virtio_mmio_dev;

/* A device type. All hooks are optional except handle_chain; all run under
 * the device mutex. */
struct virtio_dev_ops {
	/* Dependencies among the device's own bits; 0 or -EINVAL to refuse. */
	int (*validate_features)(void *ctx, uint64_t driver_features);
	/*
	 * One popped chain of queue q. Set *written_bytes (bytes written into
	 * the chain's writable buffers) and return 0 to complete it, or
	 * return a negative errno if the chain's layout is a ring violation
	 * (the queue stops, DEVICE_NEEDS_RESET is raised).
	 */
	int (*handle_chain)(void *ctx, uint16_t q, const struct virtq_chain *c,
			    uint32_t *written_bytes);
	/* Guest write of config bytes [off, off+len): 0 to store it. */
	int (*config_write)(void *ctx, uint32_t off, const uint8_t *data, uint32_t len);
	/* Device reset (Status = 0), after the transport cleared itself. */
	void (*reset)(void *ctx);
	/* The transport that wraps the device, once, from virtio_mmio__create()
	 * (no mutex held): the handle for virtio_dev_complete() and
	 * virtio_mmio__config_update(). Valid until virtio_mmio__destroy(). */
	void (*bind)(void *ctx, struct virtio_mmio_dev *transport);
};

struct virtio_mmio_cfg {
	uint32_t device_id;		/* VIRTIO_ID_*; non-zero */
	uint32_t vendor_id;		/* 0 = VIRTIO_MMIO_VENDOR_DEFAULT */
	uint16_t num_queues;		/* <= VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_size_max;	/* per queue, power of two <= 32768 */
	uint64_t device_features;	/* device-type bits offered (0..23) */
	uint64_t features_off;		/* transport bits NOT to offer (variants) */
	const void *config;		/* initial config space, copied */
	uint32_t config_len_bytes;	/* <= VIRTIO_MMIO_CONFIG_MAX_BYTES */
	const struct virtio_dev_ops *ops;
	void *ops_ctx;
	const struct virtio_mmio_irq_ops *irq;	/* NULL = no delivery */
	void *irq_ctx;
	const struct guest_mem *mem;	/* guest RAM; must outlive the device */
};

/* Allocate a device in reset state. Returns 0 and *out, or -EINVAL/-ENOMEM. */
int virtio_mmio__create(const struct virtio_mmio_cfg *cfg, struct virtio_mmio_dev **out);
void virtio_mmio__destroy(struct virtio_mmio_dev *dev);

/* The bus handler (include/bus.h signature); opaque is the device. */
void virtio_mmio__access(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len, bool is_write);

/*
 * A notification: notify_value is what the guest wrote to QueueNotify (the
 * queue index, or index | next_off << 16 | next_wrap << 31 with
 * NOTIFICATION_DATA). Processes that queue's ring and raises a used-buffer
 * interrupt if due. Same effect from the trapped write and an iothread.
 */
void virtio_mmio__notify(struct virtio_mmio_dev *dev, uint32_t notify_value);

/*
 * A device that polls its rings (virtio_kvm.c's poll and busy iothreads).
 * set_polling(q, true): from now on processing queue q leaves the driver's
 * kicks off (virtq_hold_kicks()), since the device will look by itself.
 * set_polling(q, false): kicks on again, full barrier, re-check: true if
 * work arrived meanwhile (call poll once more before sleeping). Both are
 * no-ops for a queue out of range. poll(q): one look at queue q, processing
 * what is available exactly as a notify would (not counted as one); returns
 * the chains completed, 0 if none or while the queue is not live.
 */
bool virtio_mmio__set_polling(struct virtio_mmio_dev *dev, uint16_t q, bool on);
unsigned int virtio_mmio__poll(struct virtio_mmio_dev *dev, uint16_t q);

/* Whether a reset is waiting for the device mutex. Lock-free: device ops
 * may call it (tests use it to hold a chain until a reset is waiting). */
bool virtio_mmio__reset_pending(struct virtio_mmio_dev *dev);

/*
 * Device-initiated work (an RX or console-input device whose data arrives on
 * its own thread): processes queue q's available chains through the
 * device's handle_chain and raises a used-buffer interrupt if due, exactly
 * as a notify would, but is not counted as one. Takes the device mutex, so
 * any thread may call it except from inside a device op. Returns 0, -EINVAL
 * for a queue out of range, -EAGAIN while the queue is not live (no
 * DRIVER_OK, not ready, or broken).
 */
int virtio_dev_complete(struct virtio_mmio_dev *dev, uint16_t q);

/* InterruptStatus != 0: for a resample (level) handler to re-raise. */
bool virtio_mmio__irq_pending(struct virtio_mmio_dev *dev);

/* Device-initiated config change: update bytes, bump ConfigGeneration and
 * send a config interrupt once DRIVER_OK. Returns 0 or -EINVAL. */
int virtio_mmio__config_update(struct virtio_mmio_dev *dev, uint32_t off,
			      const void *src, uint32_t len);

/* Snapshots, taken under the mutex. Unknown queue: zeroes, -EINVAL. */
void virtio_mmio__get_stats(struct virtio_mmio_dev *dev, struct virtio_mmio_stats *out);
int virtio_mmio__get_queue_stats(struct virtio_mmio_dev *dev, uint16_t q,
				struct virtq_stats *out);
uint32_t virtio_mmio__status(struct virtio_mmio_dev *dev);
uint64_t virtio_mmio__features(struct virtio_mmio_dev *dev);	/* negotiated */
/* For device ops running under the mutex (no locking). */
uint64_t virtio_mmio__features_locked(const struct virtio_mmio_dev *dev);

#endif
