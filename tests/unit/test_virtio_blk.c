// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk on the virtio-mmio transport, driven through the bus handler
 * with hand-built request chains: config space, real data through the RAM
 * backend, the NULL backend, every malformed-request path, MQ, and the
 * 32768-entry queue.
 */
#include <errno.h>
#include <linux/virtio_ids.h>

#include "test_util.h"
#include "virtio_blk_dev.h"
#include "../virtio_test.h"

#define QS		16
#define CAP		64	/* sectors */
#define VERSION_1	(1ull << VIRTIO_F_VERSION_1)
#define BLK_FEATURES	(VERSION_1 | (1ull << VIRTIO_BLK_F_FLUSH) | \
			 (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_SEG_MAX))
#define HDR(i)		(TDATA + 0x1000 * (i))
#define STATUS(i)	(TDATA + 0x1000 * (i) + 0x20)
#define BUF(i)		(TDATA + 0x40000 + 0x2000 * (i))

static struct guest_mem *mem;
static struct virtio_blk *blk;
static struct virtio_mmio_dev *dev;
static struct tring ring[4];

static void mkblk(enum virtio_blk_backend be, uint16_t nq)
{
	struct virtio_blk_cfg cfg = {
		.backend = be, .capacity_sectors = CAP, .num_queues = nq, .id = "disk-under-test",
	};

	virtio_blk__destroy(blk);
	if (mem)
		tmem_free(mem);
	mem = tmem_new(TRAM_BYTES);
	cfg.mem = mem;
	TEST_ASSERT(virtio_blk__create(&cfg, &blk) == 0, "create");
	dev = virtio_blk__mmio(blk);
	for (int q = 0; q < 4; q++)
		tring_init(&ring[q], mem, q, QS);
}

static void bring_up(uint64_t features, int nq)
{
	TEST_ASSERT(tdrv_negotiate(dev, features) & VIRTIO_CONFIG_S_FEATURES_OK, "features");
	for (int q = 0; q < nq; q++)
		tdrv_queue(dev, q, QS);
	tdrv_driver_ok(dev);
}

static uint8_t *status_byte(int i)
{
	return tgpa(mem, STATUS(i));
}

/* Request i on queue q: header | data (len bytes at BUF(i)) | status. */
static void submit(int q, int i, uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	struct virtio_blk_outhdr *h = tgpa(mem, HDR(i));
	struct tring *r = &ring[q];
	uint16_t d = (uint16_t)(3 * (i % 5));

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*status_byte(i) = 0xee;
	if (len) {
		tring_desc(r, d, HDR(i), sizeof(*h), VRING_DESC_F_NEXT, d + 1);
		tring_desc(r, d + 1, BUF(i), len,
			   VRING_DESC_F_NEXT | (data_writable ? VRING_DESC_F_WRITE : 0), d + 2);
	} else {
		tring_desc(r, d, HDR(i), sizeof(*h), VRING_DESC_F_NEXT, d + 2);
	}
	tring_desc(r, d + 2, STATUS(i), 1, VRING_DESC_F_WRITE, 0);
	tring_add(r, d);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static uint32_t used_len(int q)
{
	uint32_t id = 0, len = 0;

	CHECK(tring_used(&ring[q], &id, &len));
	return len;
}

static uint32_t cfg_rd32(uint32_t off)
{
	uint8_t b[4];

	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + off, b, 4, false);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t offered(void)
{
	uint64_t f;

	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void test_identity_and_config(void)
{
	uint8_t b[2];
	uint64_t f;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_NUM_MAX), 32768);
	f = offered();
	CHECK(f & VERSION_1);
	CHECK(f & (1ull << VIRTIO_BLK_F_FLUSH));
	CHECK(f & (1ull << VIRTIO_BLK_F_BLK_SIZE));
	CHECK(f & (1ull << VIRTIO_BLK_F_SEG_MAX));
	CHECK(!(f & (1ull << VIRTIO_BLK_F_MQ)));
	CHECK(!(f & (1ull << VIRTIO_BLK_F_RO)));
	/* 64-bit capacity as two 32-bit reads, before any negotiation. */
	CHECK_EQ(cfg_rd32(0), CAP);
	CHECK_EQ(cfg_rd32(4), 0);
	CHECK_EQ(cfg_rd32(12), VIRTIO_BLK_DEFAULT_SEG_MAX);
	CHECK_EQ(cfg_rd32(20), 512);			/* blk_size */
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 34, b, 2, false);	/* num_queues */
	CHECK_EQ(b[0], 1);

	mkblk(VIRTIO_BLK_BACKEND_RAM, 4);
	CHECK(offered() & (1ull << VIRTIO_BLK_F_MQ));
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 34, b, 2, false);
	CHECK_EQ(b[0], 4);
	/* The config space is read-only: writes are dropped and counted. */
	b[0] = 9;
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG, b, 1, true);
	CHECK_EQ(cfg_rd32(0), CAP);
}

static void test_write_then_read_ram(void)
{
	struct virtio_blk_stats s;
	uint8_t *out = tgpa(mem, BUF(0)), *in;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	out = tgpa(mem, BUF(0));
	in = tgpa(mem, BUF(1));
	bring_up(BLK_FEATURES, 1);
	for (int i = 0; i < 1024; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	submit(0, 0, VIRTIO_BLK_T_OUT, 10, 1024, false);
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_len(0), 1);
	CHECK(memcmp(virtio_blk__disk(blk) + 10 * 512, out, 1024) == 0);
	submit(0, 1, VIRTIO_BLK_T_IN, 10, 1024, true);
	CHECK_EQ(*status_byte(1), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_len(0), 1025);
	CHECK(memcmp(in, out, 1024) == 0);
	/* The last sector is in range. */
	submit(0, 2, VIRTIO_BLK_T_IN, CAP - 1, 512, true);
	CHECK_EQ(*status_byte(2), VIRTIO_BLK_S_OK);
	virtio_blk__get_stats(blk, &s);
	CHECK_EQ(s.reqs_in, 2);
	CHECK_EQ(s.reqs_out, 1);
	CHECK_EQ(s.bytes_written, 1024);
	CHECK_EQ(s.bytes_read, 1536);
}

static void test_split_header_and_scattered_data(void)
{
	struct tring *r;
	uint8_t *disk, *a, *b;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	r = &ring[0];
	bring_up(BLK_FEATURES, 1);
	disk = virtio_blk__disk(blk);
	for (int i = 0; i < 1024; i++)
		disk[512 * 3 + i] = (uint8_t)(i ^ 0x5a);
	struct virtio_blk_outhdr *h = tgpa(mem, HDR(0));

	h->type = VIRTIO_BLK_T_IN;
	h->sector = 3;
	/* Header in two pieces, data in three, status alone. */
	tring_desc(r, 0, HDR(0), 5, VRING_DESC_F_NEXT, 1);
	tring_desc(r, 1, HDR(0) + 5, 11, VRING_DESC_F_NEXT, 2);
	tring_desc(r, 2, BUF(0), 100, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
	tring_desc(r, 3, BUF(1), 900, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 4);
	tring_desc(r, 4, BUF(2), 25, VRING_DESC_F_WRITE, 0);	/* 24 data + status */
	tring_add(r, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_len(0), 1025);
	a = tgpa(mem, BUF(1));
	b = tgpa(mem, BUF(2));
	CHECK_EQ(((uint8_t *)tgpa(mem, BUF(0)))[99], (uint8_t)(99 ^ 0x5a));
	CHECK_EQ(a[0], (uint8_t)(100 ^ 0x5a));
	CHECK_EQ(b[23], (uint8_t)(1023 ^ 0x5a));
	CHECK_EQ(b[24], VIRTIO_BLK_S_OK);
}

static void test_indirect_request(void)
{
	struct vring_desc *t;
	struct virtio_blk_outhdr *h;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	bring_up(BLK_FEATURES | (1ull << VIRTIO_RING_F_INDIRECT_DESC), 1);
	h = tgpa(mem, HDR(0));
	h->type = VIRTIO_BLK_T_OUT;
	h->sector = 1;
	memset(tgpa(mem, BUF(0)), 0x77, 512);
	t = tgpa(mem, TDATA + 0x30000);
	t[0] = (struct vring_desc){ HDR(0), 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ BUF(0), 512, VRING_DESC_F_NEXT, 2 };
	t[2] = (struct vring_desc){ STATUS(0), 1, VRING_DESC_F_WRITE, 0 };
	tring_desc(&ring[0], 0, TDATA + 0x30000, 48, VRING_DESC_F_INDIRECT, 0);
	tring_add(&ring[0], 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_OK);
	CHECK_EQ(virtio_blk__disk(blk)[512 + 511], 0x77);
}

static void test_flush_and_get_id(void)
{
	struct virtio_blk_stats s;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	bring_up(BLK_FEATURES, 1);
	submit(0, 0, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_OK);
	submit(0, 1, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true);
	CHECK_EQ(*status_byte(1), VIRTIO_BLK_S_OK);
	CHECK(memcmp(tgpa(mem, BUF(1)), "disk-under-test\0\0\0\0\0", 20) == 0);
	/* A short id buffer gets a prefix, never more. */
	memset(tgpa(mem, BUF(2)), 0xcc, 8);
	submit(0, 2, VIRTIO_BLK_T_GET_ID, 0, 4, true);
	CHECK_EQ(*status_byte(2), VIRTIO_BLK_S_OK);
	CHECK(memcmp(tgpa(mem, BUF(2)), "disk\xcc", 5) == 0);
	virtio_blk__get_stats(blk, &s);
	CHECK_EQ(s.reqs_flush, 1);
	CHECK_EQ(s.reqs_get_id, 2);
}

static void test_bad_requests_get_status(void)
{
	struct virtio_blk_stats s;
	struct tring *r;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	r = &ring[0];
	bring_up(BLK_FEATURES, 1);
	submit(0, 0, 0x1234, 0, 0, false);				/* bad type */
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_UNSUPP);
	submit(0, 1, VIRTIO_BLK_T_IN, CAP, 512, true);			/* past the end */
	CHECK_EQ(*status_byte(1), VIRTIO_BLK_S_IOERR);
	submit(0, 2, VIRTIO_BLK_T_OUT, CAP - 1, 1024, false);		/* runs off the end */
	CHECK_EQ(*status_byte(2), VIRTIO_BLK_S_IOERR);
	submit(0, 3, VIRTIO_BLK_T_IN, 0xffffffffffffffffull, 512, true); /* overflow */
	CHECK_EQ(*status_byte(3), VIRTIO_BLK_S_IOERR);
	submit(0, 4, VIRTIO_BLK_T_IN, 0, 100, true);			/* not whole sectors */
	CHECK_EQ(*status_byte(4), VIRTIO_BLK_S_IOERR);
	/* Header too short: 8 readable bytes, then the status. */
	tring_desc(r, 0, HDR(5), 8, VRING_DESC_F_NEXT, 1);
	tring_desc(r, 1, STATUS(5), 1, VRING_DESC_F_WRITE, 0);
	*status_byte(5) = 0xee;
	tring_add(r, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(*status_byte(5), VIRTIO_BLK_S_IOERR);
	/* No header at all. */
	tring_desc(r, 2, STATUS(6), 1, VRING_DESC_F_WRITE, 0);
	*status_byte(6) = 0xee;
	tring_add(r, 2);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(*status_byte(6), VIRTIO_BLK_S_IOERR);
	virtio_blk__get_stats(blk, &s);
	CHECK_EQ(s.reqs_unsupp, 1);
	CHECK_EQ(s.reqs_ioerr, 6);
	CHECK_EQ(s.reqs_in + s.reqs_out, 0);
	/* None of that is a protocol violation: the device carries on. */
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	for (int i = 0; i < 7; i++)
		used_len(0);
	submit(0, 7, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(*status_byte(7), VIRTIO_BLK_S_OK);
}

static void expect_needs_reset_then_recover(void)
{
	CHECK(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	memset(tgpa(mem, TQ_BASE(0)), 0, 0x40000);
	tring_init(&ring[0], mem, 0, QS);
	bring_up(BLK_FEATURES, 1);
	submit(0, 0, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_OK);
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
}

static void test_no_status_byte_is_violation(void)
{
	struct virtq_stats qs;
	struct tring *r;

	/* Status not writable: header and "status" both readable. */
	mkblk(VIRTIO_BLK_BACKEND_RAM, 1);
	r = &ring[0];
	bring_up(BLK_FEATURES, 1);
	tring_desc(r, 0, HDR(0), 16, VRING_DESC_F_NEXT, 1);
	tring_desc(r, 1, STATUS(0), 1, 0, 0);
	*status_byte(0) = 0xee;
	tring_add(r, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(*status_byte(0), 0xee);		/* readable buffer untouched */
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.violations[VQ_ERR_DEVICE], 1);
	CHECK_EQ(qs.chains_completed, 0);
	expect_needs_reset_then_recover();

	/* A zero-length writable descriptor is no status byte either. */
	mkblk(VIRTIO_BLK_BACKEND_NULL, 1);
	r = &ring[0];
	bring_up(BLK_FEATURES, 1);
	tring_desc(r, 0, HDR(0), 16, VRING_DESC_F_NEXT, 1);
	tring_desc(r, 1, STATUS(0), 0, VRING_DESC_F_WRITE, 0);
	tring_add(r, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	expect_needs_reset_then_recover();
}

static void test_null_backend(void)
{
	struct virtio_blk_stats s;
	uint8_t *in;

	mkblk(VIRTIO_BLK_BACKEND_NULL, 1);
	in = tgpa(mem, BUF(0));
	CHECK(virtio_blk__disk(blk) == NULL);
	bring_up(BLK_FEATURES, 1);
	memset(in, 0xab, 512);
	submit(0, 0, VIRTIO_BLK_T_IN, 5, 512, true);
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_OK);
	CHECK_EQ(in[0], 0xab);				/* data untouched */
	CHECK_EQ(in[511], 0xab);
	submit(0, 1, VIRTIO_BLK_T_IN, 1ull << 40, 512, true);	/* no range check */
	CHECK_EQ(*status_byte(1), VIRTIO_BLK_S_OK);
	submit(0, 2, 99, 0, 0, false);
	CHECK_EQ(*status_byte(2), VIRTIO_BLK_S_OK);
	virtio_blk__get_stats(blk, &s);
	CHECK_EQ(s.bytes_read, 0);
}

static void test_multiqueue(void)
{
	struct virtq_stats qs;

	mkblk(VIRTIO_BLK_BACKEND_RAM, 4);
	bring_up(BLK_FEATURES | (1ull << VIRTIO_BLK_F_MQ), 4);
	for (int q = 0; q < 4; q++) {
		memset(tgpa(mem, BUF(q)), 0x10 + q, 512);
		submit(q, q, VIRTIO_BLK_T_OUT, q, 512, false);
	}
	for (int q = 0; q < 4; q++) {
		CHECK_EQ(*status_byte(q), VIRTIO_BLK_S_OK);
		CHECK_EQ(virtio_blk__disk(blk)[512 * q], 0x10 + q);
		virtio_mmio__get_queue_stats(dev, q, &qs);
		CHECK_EQ(qs.chains_completed, 1);
	}
	/* Without MQ negotiated the driver uses queue 0 alone; that works. */
	mkblk(VIRTIO_BLK_BACKEND_RAM, 4);
	bring_up(BLK_FEATURES, 1);
	submit(0, 0, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(*status_byte(0), VIRTIO_BLK_S_OK);
}

static void test_queue_size_32768(void)
{
	const uint32_t n = 32768;
	/* desc 512 KiB | avail 64 KiB | used 256 KiB, data above. */
	const uint64_t d = 0x100000, a = d + 16ull * n, u = a + 0x10000 + 0x1000;
	struct tring r;
	uint32_t id = 0, len = 0, got = 0;

	mkblk(VIRTIO_BLK_BACKEND_NULL, 1);
	TEST_ASSERT(tdrv_negotiate(dev, BLK_FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK, "features");
	tdrv_queue_at(dev, 0, n, d, a, u);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 1);
	tdrv_driver_ok(dev);
	tring_init_at(&r, mem, n, d, a, u);
	/* Fill the whole ring, one kick; then a chain as long as the queue. */
	for (uint32_t i = 0; i < n; i++) {
		tring_desc(&r, i, STATUS(0), 1, VRING_DESC_F_WRITE, 0);
		tring_add(&r, i);
	}
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	while (tring_used(&r, &id, &len))
		got++;
	CHECK_EQ(got, n);
	for (uint32_t i = 0; i < n; i++)
		tring_desc(&r, i, STATUS(0), 1, VRING_DESC_F_WRITE | (i + 1 < n ? VRING_DESC_F_NEXT : 0), i + 1);
	tring_add(&r, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(tring_used(&r, &id, &len));
	CHECK_EQ(len, n);
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	/* QueueSizeMax reports the configured limit. */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_NUM_MAX), n);
}

static void test_create_rejects_bad_cfg(void)
{
	struct virtio_blk_cfg cfg = { .backend = VIRTIO_BLK_BACKEND_RAM, .capacity_sectors = 8,
				      .queue_size_max = 100 };
	struct virtio_blk *b;

	cfg.mem = mem;
	CHECK_EQ(virtio_blk__create(&cfg, &b), -EINVAL);	/* not a power of two */
	cfg.queue_size_max = 0;
	cfg.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	CHECK_EQ(virtio_blk__create(&cfg, &b), -EINVAL);
	cfg.num_queues = 1;
	cfg.backend = 7;
	CHECK_EQ(virtio_blk__create(&cfg, &b), -EINVAL);
	cfg.backend = VIRTIO_BLK_BACKEND_RAM;
	cfg.capacity_sectors = 1ull << 62;
	CHECK_EQ(virtio_blk__create(&cfg, &b), -EINVAL);
	cfg.capacity_sectors = 0;				/* empty disk is fine */
	CHECK_EQ(virtio_blk__create(&cfg, &b), 0);
	virtio_blk__destroy(b);
}

int main(void)
{
	struct ktap_case cases[] = {
		KTAP_CASE(test_identity_and_config),
		KTAP_CASE(test_write_then_read_ram),
		KTAP_CASE(test_split_header_and_scattered_data),
		KTAP_CASE(test_indirect_request),
		KTAP_CASE(test_flush_and_get_id),
		KTAP_CASE(test_bad_requests_get_status),
		KTAP_CASE(test_no_status_byte_is_violation),
		KTAP_CASE(test_null_backend),
		KTAP_CASE(test_multiqueue),
		KTAP_CASE(test_queue_size_32768),
		KTAP_CASE(test_create_rejects_bad_cfg),
	};
	int rc = KTAP_RUN(cases);

	virtio_blk__destroy(blk);
	tmem_free(mem);
	return rc;
}
