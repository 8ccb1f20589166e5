/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk device (host side) on the virtio-mmio transport. Backends:
 * RAM (a host buffer of capacity * 512 bytes holding real data) and NULL
 * (every request completes with VIRTIO_BLK_S_OK, no data touched: for
 * notification benchmarks). Offers FLUSH, BLK_SIZE, SEG_MAX and, with more
 * than one queue, MQ. Requests IN, OUT, FLUSH, GET_ID; anything else gets
 * UNSUPP, a bad sector range or short header IOERR, and a chain with no
 * writable status byte is a ring violation (DEVICE_NEEDS_RESET).
 *
 * Requests run under the transport's device mutex (see virtio_mmio_dev.h);
 * the statistics may be read from any thread at any time.
 */
#ifndef MMIOBENCH_VIRTIO_BLK_DEV_H
#define MMIOBENCH_VIRTIO_BLK_DEV_H

#include <stdint.h>
#include <linux/virtio_blk.h>

#include "virtio_mmio_dev.h"

#define VIRTIO_BLK_SECTOR_BYTES		512u
#define VIRTIO_BLK_DEFAULT_QUEUE_MAX	32768u
#define VIRTIO_BLK_DEFAULT_SEG_MAX	126u
#define VIRTIO_BLK_DEFAULT_ID		"mmiobench-virtio-blk"

enum virtio_blk_backend { VIRTIO_BLK_BACKEND_RAM, VIRTIO_BLK_BACKEND_NULL };

struct virtio_blk_cfg {
	enum virtio_blk_backend backend;
	uint64_t capacity_sectors;	/* 512-byte sectors; RAM backend allocates them */
	uint16_t num_queues;		/* 0 = 1; > 1 offers VIRTIO_BLK_F_MQ */
	uint16_t queue_size_max;	/* power of two; 0 = 32768 */
	uint32_t seg_max;		/* advertised; 0 = VIRTIO_BLK_DEFAULT_SEG_MAX */
	uint64_t features_off;		/* feature bits NOT to offer (variants) */
	const char *id;			/* GET_ID string, <= 20 bytes used; NULL = default */
	/* virtio_blk__create() only (no KVM: unit tests, fuzzer); with
	 * virtio_blk__new() the harness provides them. */
	const struct virtio_mmio_irq_ops *irq;	/* see virtio_mmio_cfg */
	void *irq_ctx;
	const struct guest_mem *mem;	/* must outlive the device */
};

struct virtio_blk_stats {
	uint64_t reqs_in, reqs_out, reqs_flush, reqs_get_id;
	uint64_t reqs_unsupp;		/* unknown type: VIRTIO_BLK_S_UNSUPP */
	uint64_t reqs_ioerr;		/* short header, bad range/length: IOERR */
	uint64_t bytes_read, bytes_written;	/* data moved by IN / OUT */
};

struct virtio_blk;

/* The device alone, and its description for a transport to wrap (*dev:
 * id, queues, features, config, ops; irq and mem left 0), e.g. the .dev of
 * a virtio_dev_desc for vm_virtio_attach(). 0, -EINVAL for a bad cfg,
 * -ENOMEM. Destroy it after the transport. */
int virtio_blk__new(const struct virtio_blk_cfg *cfg, struct virtio_blk **out,
		    struct virtio_mmio_cfg *dev);
/* virtio_blk__new() plus a transport of its own, wired to cfg->irq and
 * cfg->mem: the KVM-less rig of the unit tests and the fuzzer. */
int virtio_blk__create(const struct virtio_blk_cfg *cfg, struct virtio_blk **out);
void virtio_blk__destroy(struct virtio_blk *b);		/* NULL ok; its own transport too */
/* The transport wrapping it (set when one wraps it); notify through it. */
struct virtio_mmio_dev *virtio_blk__mmio(struct virtio_blk *b);
/* RAM backend's disk (capacity * 512 bytes), NULL for the NULL backend.
 * Only touch it while the guest is not doing I/O. */
uint8_t *virtio_blk__disk(struct virtio_blk *b);
void virtio_blk__get_stats(struct virtio_blk *b, struct virtio_blk_stats *out);

#endif
