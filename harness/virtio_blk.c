// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk behind the virtio-mmio transport (see include/virtio_blk_dev.h).
 * A request chain: 16-byte header (readable), data, status byte (the last
 * writable byte). Header and data may be split across descriptors anyway
 * they like: all copies go through virtq_chain_read/write.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "virtio_blk_dev.h"

struct virtio_blk {
	struct virtio_mmio_dev *mmio;	/* the transport wrapping it (bind) */
	bool owns_mmio;			/* made by virtio_blk__create() */
	struct virtio_blk_config config;
	uint16_t num_queues, queue_size_max;
	uint64_t features, features_off;
	enum virtio_blk_backend backend;
	uint64_t capacity_sectors;
	uint8_t *disk;
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_stats stats;
};

/* Written only under the device mutex (one writer), read from anywhere:
 * relaxed atomics make that race-free without a locked instruction. */
#define STAT_ADD(b, field, n) \
	__atomic_store_n(&(b)->stats.field, (b)->stats.field + (n), __ATOMIC_RELAXED)

/* Sector range check without overflow. */
static bool range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / VIRTIO_BLK_SECTOR_BYTES;

	return bytes % VIRTIO_BLK_SECTOR_BYTES == 0 && sector <= b->capacity_sectors &&
	       n <= b->capacity_sectors - sector;
}

static uint8_t do_request(struct virtio_blk *b, const struct virtq_chain *c,
			  uint64_t data_in_bytes)
{
	struct virtio_blk_outhdr h;
	uint64_t sector, data_out_bytes;

	if (c->out_bytes < sizeof(h)) {
		STAT_ADD(b, reqs_ioerr, 1);
		return VIRTIO_BLK_S_IOERR;
	}
	virtq_chain_read(c, 0, &h, sizeof(h));
	sector = le64toh(h.sector);
	data_out_bytes = c->out_bytes - sizeof(h);

	switch (le32toh(h.type)) {
	case VIRTIO_BLK_T_IN:
		if (!range_ok(b, sector, data_in_bytes))
			break;
		if (data_in_bytes)	/* a 0-sector disk has no buffer at all */
			virtq_chain_write(c, 0, b->disk + sector * VIRTIO_BLK_SECTOR_BYTES,
					  data_in_bytes);
		STAT_ADD(b, reqs_in, 1);
		STAT_ADD(b, bytes_read, data_in_bytes);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (!range_ok(b, sector, data_out_bytes))
			break;
		if (data_out_bytes)
			virtq_chain_read(c, sizeof(h), b->disk + sector * VIRTIO_BLK_SECTOR_BYTES,
					 data_out_bytes);
		STAT_ADD(b, reqs_out, 1);
		STAT_ADD(b, bytes_written, data_out_bytes);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		/* RAM is always stable. */
		STAT_ADD(b, reqs_flush, 1);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		virtq_chain_write(c, 0, b->id, data_in_bytes < sizeof(b->id) ?
				  data_in_bytes : sizeof(b->id));
		STAT_ADD(b, reqs_get_id, 1);
		return VIRTIO_BLK_S_OK;
	default:
		STAT_ADD(b, reqs_unsupp, 1);
		return VIRTIO_BLK_S_UNSUPP;
	}
	STAT_ADD(b, reqs_ioerr, 1);
	return VIRTIO_BLK_S_IOERR;
}

static int blk_handle_chain(void *ctx, uint16_t q, const struct virtq_chain *c,
			    uint32_t *written_bytes)
{
	struct virtio_blk *b = ctx;
	uint8_t status = VIRTIO_BLK_S_OK;

	(void)q;
	/* Without a writable byte there is nowhere to put the status: the
	 * driver broke the protocol, not just the request. */
	if (c->in_bytes == 0 || c->in_bytes > UINT32_MAX)
		return -EINVAL;
	if (b->backend == VIRTIO_BLK_BACKEND_RAM)
		status = do_request(b, c, c->in_bytes - 1);
	virtq_chain_write(c, c->in_bytes - 1, &status, 1);
	/* Like QEMU: the whole writable part counts as written. */
	*written_bytes = (uint32_t)c->in_bytes;
	return 0;
}

static void blk_bind(void *ctx, struct virtio_mmio_dev *transport)
{
	struct virtio_blk *b = ctx;

	b->mmio = transport;
}

static const struct virtio_dev_ops blk_ops = {
	.handle_chain = blk_handle_chain,
	.bind = blk_bind,
	/* No CONFIG_WCE: the config space is read-only (writes are counted). */
};

int virtio_blk__new(const struct virtio_blk_cfg *cfg, struct virtio_blk **out,
		    struct virtio_mmio_cfg *dev)
{
	struct virtio_blk *b;
	uint16_t nq = cfg->num_queues ? cfg->num_queues : 1;
	const char *id = cfg->id ? cfg->id : VIRTIO_BLK_DEFAULT_ID;
	size_t id_len;

	*out = NULL;
	if (cfg->backend != VIRTIO_BLK_BACKEND_RAM && cfg->backend != VIRTIO_BLK_BACKEND_NULL)
		return -EINVAL;
	if (cfg->capacity_sectors > (UINT64_MAX / VIRTIO_BLK_SECTOR_BYTES))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->backend = cfg->backend;
	b->capacity_sectors = cfg->capacity_sectors;
	if (b->backend == VIRTIO_BLK_BACKEND_RAM && b->capacity_sectors) {
		b->disk = calloc(b->capacity_sectors, VIRTIO_BLK_SECTOR_BYTES);
		if (!b->disk) {
			free(b);
			return -ENOMEM;
		}
	}
	/* GET_ID: up to 20 bytes, NUL-padded, not necessarily terminated. */
	id_len = strlen(id);
	memcpy(b->id, id, id_len < sizeof(b->id) ? id_len : sizeof(b->id));

	/* IN_ORDER: every request is handled while the transport holds it,
	 * so buffers are used in the order they were made available. */
	b->features = (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		      (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_F_IN_ORDER);
	if (nq > 1)
		b->features |= 1ull << VIRTIO_BLK_F_MQ;
	b->features_off = cfg->features_off;
	b->num_queues = nq;
	b->queue_size_max = cfg->queue_size_max ? cfg->queue_size_max : VIRTIO_BLK_DEFAULT_QUEUE_MAX;
	b->config.capacity = htole64(b->capacity_sectors);
	b->config.seg_max = htole32(cfg->seg_max ? cfg->seg_max : VIRTIO_BLK_DEFAULT_SEG_MAX);
	b->config.blk_size = htole32(VIRTIO_BLK_SECTOR_BYTES);
	b->config.num_queues = htole16(nq);

	memset(dev, 0, sizeof(*dev));
	dev->device_id = VIRTIO_ID_BLOCK;
	dev->num_queues = nq;
	dev->queue_size_max = b->queue_size_max;
	dev->device_features = b->features & ~b->features_off;
	dev->features_off = b->features_off;
	dev->config = &b->config;
	dev->config_len_bytes = sizeof(b->config);
	dev->ops = &blk_ops;
	dev->ops_ctx = b;
	*out = b;
	return 0;
}

int virtio_blk__create(const struct virtio_blk_cfg *cfg, struct virtio_blk **out)
{
	struct virtio_mmio_cfg mc;
	struct virtio_blk *b;
	int r;

	r = virtio_blk__new(cfg, &b, &mc);
	if (r)
		return r;
	mc.irq = cfg->irq;
	mc.irq_ctx = cfg->irq_ctx;
	mc.mem = cfg->mem;
	r = virtio_mmio__create(&mc, &b->mmio);
	if (r) {
		virtio_blk__destroy(b);
		return r;
	}
	b->owns_mmio = true;
	*out = b;
	return 0;
}

void virtio_blk__destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	if (b->owns_mmio)
		virtio_mmio__destroy(b->mmio);
	free(b->disk);
	free(b);
}

struct virtio_mmio_dev *virtio_blk__mmio(struct virtio_blk *b)
{
	return b->mmio;
}

uint8_t *virtio_blk__disk(struct virtio_blk *b)
{
	return b->disk;
}

void virtio_blk__get_stats(struct virtio_blk *b, struct virtio_blk_stats *out)
{
	out->reqs_in = __atomic_load_n(&b->stats.reqs_in, __ATOMIC_RELAXED);
	out->reqs_out = __atomic_load_n(&b->stats.reqs_out, __ATOMIC_RELAXED);
	out->reqs_flush = __atomic_load_n(&b->stats.reqs_flush, __ATOMIC_RELAXED);
	out->reqs_get_id = __atomic_load_n(&b->stats.reqs_get_id, __ATOMIC_RELAXED);
	out->reqs_unsupp = __atomic_load_n(&b->stats.reqs_unsupp, __ATOMIC_RELAXED);
	out->reqs_ioerr = __atomic_load_n(&b->stats.reqs_ioerr, __ATOMIC_RELAXED);
	out->bytes_read = __atomic_load_n(&b->stats.bytes_read, __ATOMIC_RELAXED);
	out->bytes_written = __atomic_load_n(&b->stats.bytes_written, __ATOMIC_RELAXED);
}
