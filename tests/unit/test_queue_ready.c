// SPDX-License-Identifier: GPL-2.0
/*
 * QueueReady = 1 against a hostile driver (issue 9): ring areas that
 * overlap each other (every pair, both ways round, with and without
 * EVENT_IDX, which adds used_event/avail_event) or another ready queue's
 * are refused and counted, the queue stays not ready and is never
 * processed; areas that only touch are accepted. QueueNum stores any 32-bit
 * value and a bad one is refused at QueueReady like every other bad value
 * (before, 65536 was dropped and the old size 16 went ready).
 */
#include <errno.h>

#include "test_util.h"
#include "../virtio_test.h"

#define QS		16
#define NQ		2
#define V1		(1ull << VIRTIO_F_VERSION_1)
#define EVIDX		(1ull << VIRTIO_RING_F_EVENT_IDX)
#define D		0x10000ull		/* descriptor table, 16 * QS = 0x100 bytes */
#define AV_BYTES(ev)	(4 + 2 * QS + ((ev) ? 2 : 0))
#define US_BYTES(ev)	(4 + 8 * QS + ((ev) ? 2 : 0))

static int chains;
static struct guest_mem *mem;
static struct virtio_mmio_dev *dev;

static int handle(void *ctx, uint16_t q, const struct virtq_chain *c, uint32_t *written)
{
	(void)ctx;
	(void)q;
	(void)c;
	chains++;
	*written = 0;
	return 0;
}

static const struct virtio_dev_ops ops = { .handle_chain = handle };

static void mkdev(uint64_t features)
{
	struct virtio_mmio_cfg cfg = {
		.device_id = 42, .num_queues = NQ, .queue_size_max = 256, .ops = &ops,
	};

	virtio_mmio__destroy(dev);
	if (mem)
		tmem_free(mem);
	chains = 0;
	mem = tmem_new(TRAM_BYTES);
	cfg.mem = mem;
	TEST_ASSERT(virtio_mmio__create(&cfg, &dev) == 0, "create");
	TEST_ASSERT(tdrv_negotiate(dev, V1 | features) & VIRTIO_CONFIG_S_FEATURES_OK, "features");
}

static uint64_t inval(enum vmmio_inval k)
{
	struct virtio_mmio_stats s;

	virtio_mmio__get_stats(dev, &s);
	return s.invalid[k];
}

static uint32_t ready(uint32_t q)
{
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, q);
	return mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY);
}

/* Programs queue q; returns whether it went ready. A refusal must be
 * counted as kind `want` and nothing else. */
static bool try_q(uint32_t q, uint32_t size, uint64_t d, uint64_t a, uint64_t u,
		  enum vmmio_inval want)
{
	uint64_t ov = inval(VMMIO_INVAL_QUEUE_OVERLAP), cf = inval(VMMIO_INVAL_QUEUE_CFG);
	bool on;

	tdrv_queue_at(dev, q, size, d, a, u);
	on = ready(q) == 1;
	if (on) {
		CHECK_EQ(inval(VMMIO_INVAL_QUEUE_OVERLAP), ov);
		CHECK_EQ(inval(VMMIO_INVAL_QUEUE_CFG), cf);
	} else {
		CHECK_EQ(inval(VMMIO_INVAL_QUEUE_OVERLAP), ov + (want == VMMIO_INVAL_QUEUE_OVERLAP));
		CHECK_EQ(inval(VMMIO_INVAL_QUEUE_CFG), cf + (want == VMMIO_INVAL_QUEUE_CFG));
	}
	return on;
}

#define REFUSED(d, a, u) CHECK(!try_q(0, QS, d, a, u, VMMIO_INVAL_QUEUE_OVERLAP))
#define ACCEPTED(d, a, u) do { CHECK(try_q(0, QS, d, a, u, VMMIO_INVAL_NR)); \
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_READY, 0); } while (0)

/* Every pair, both ways round, by the first and the last byte. */
static void overlap_pairs(uint64_t features)
{
	bool ev = features & EVIDX;
	uint64_t a = D + 0x1000, u = D + 0x2000;

	mkdev(features);
	ACCEPTED(D, a, u);
	/* desc / avail */
	REFUSED(D, D, u);				/* same start */
	REFUSED(D, D + 16 * QS - 2, u);			/* avail over the last descriptor */
	REFUSED(a - 16 * QS + 16, a, u);		/* desc table runs into avail */
	REFUSED(a + 16, a, u);				/* desc inside avail */
	/* desc / used: the case (used.flags over desc[0].addr) */
	REFUSED(D, a, D);
	REFUSED(D, a, D + 16 * QS - 4);
	REFUSED(u - 16 * QS + 16, a, u);
	REFUSED(u + 16 * (US_BYTES(ev) / 16 - 1), a, u);
	/* avail / used */
	REFUSED(D, a, a);
	REFUSED(D, a, (a + AV_BYTES(ev) - 1) & ~3ull);
	REFUSED(D, u + US_BYTES(ev) - 2, u);
	REFUSED(D, u - AV_BYTES(ev) + 2, u);
	/* all three at one address */
	REFUSED(D, D, D);
	/* touching is fine: the compact layout a driver may choose */
	ACCEPTED(D, D + 16 * QS, (D + 16 * QS + AV_BYTES(ev) + 3) & ~3ull);
	/* used right after avail's ring: legal only without used_event */
	if (ev)
		REFUSED(D, a, a + 4 + 2 * QS);
	else
		ACCEPTED(D, a, a + 4 + 2 * QS);
	/* A refused queue is never processed and does not need a reset. */
	REFUSED(D, a, D);
	tdrv_driver_ok(dev);
	((uint16_t *)tgpa(mem, a))[1] = 1;		/* avail.idx: one chain */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	virtio_mmio__notify(dev, 0);
	CHECK_EQ(chains, 0);
	CHECK_EQ(virtio_mmio__status(dev) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

static void test_overlap_pairs(void)
{
	overlap_pairs(0);
}

static void test_overlap_pairs_event_idx(void)
{
	overlap_pairs(EVIDX);
}

/* Queue 1's used ring over queue 0's descriptor table corrupts queue 0. */
static void test_overlap_other_queue(void)
{
	mkdev(EVIDX);
	CHECK(try_q(0, QS, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0), VMMIO_INVAL_NR));
	CHECK(!try_q(1, QS, TQ_DESC(1), TQ_AVAIL(1), TQ_DESC(0), VMMIO_INVAL_QUEUE_OVERLAP));
	CHECK(!try_q(1, QS, TQ_AVAIL(0), TQ_AVAIL(1), TQ_USED(1), VMMIO_INVAL_QUEUE_OVERLAP));
	CHECK(!try_q(1, QS, TQ_DESC(1), TQ_USED(0) + 8, TQ_USED(1), VMMIO_INVAL_QUEUE_OVERLAP));
	CHECK_EQ(ready(0), 1);				/* the first queue is untouched */
	CHECK(try_q(1, QS, TQ_DESC(1), TQ_AVAIL(1), TQ_USED(1), VMMIO_INVAL_NR));
}

/* The virtqueue layer itself says why. */
static void test_virtq_enable_eexist(void)
{
	struct virtq *q = virtq_new(256);

	TEST_ASSERT(q, "virtq_new");
	mkdev(0);
	virtq_set_size(q, QS);
	virtq_set_area_addr(q, VQ_AREA_DESC, D);
	virtq_set_area_addr(q, VQ_AREA_DRIVER, D + 0x1000);
	virtq_set_area_addr(q, VQ_AREA_DEVICE, D);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EEXIST);
	CHECK(!virtq_is_ready(q));
	virtq_set_area_addr(q, VQ_AREA_DEVICE, D + 0x2000);
	CHECK_EQ(virtq_set_ready(q, mem, 0), 0);
	CHECK(virtq_is_ready(q));
	virtq_destroy(q);
}

/* QueueNum keeps what was written; QueueReady refuses every bad size the
 * same way (counted QUEUE_CFG, no VALUE at the QueueNum write). */
static void test_queue_num_stored_refused_at_ready(void)
{
	static const uint32_t bad[] = { 0, 12, 512, 32769, 65536, 0x10010, 0x80000010u, 0xffffffffu };

	mkdev(0);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		/* A good size first: a dropped write would leave it in place. */
		mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
		mmio_wr(dev, VIRTIO_MMIO_QUEUE_NUM, QS);
		CHECK(!try_q(0, bad[i], TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0), VMMIO_INVAL_QUEUE_CFG));
	}
	CHECK_EQ(inval(VMMIO_INVAL_VALUE), 0);
	CHECK(try_q(0, QS, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0), VMMIO_INVAL_NR));
	/* 256 == QueueSizeMax is the largest accepted. */
	CHECK(try_q(1, 256, TQ_DESC(1), TQ_AVAIL(1), TQ_USED(1), VMMIO_INVAL_NR));
}

int main(void)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(test_overlap_pairs),
		KTAP_CASE(test_overlap_pairs_event_idx),
		KTAP_CASE(test_overlap_other_queue),
		KTAP_CASE(test_virtq_enable_eexist),
		KTAP_CASE(test_queue_num_stored_refused_at_ready),
	};
	int r = KTAP_RUN(cases);

	virtio_mmio__destroy(dev);
	tmem_free(mem);
	return r;
}
