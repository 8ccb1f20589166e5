// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, driven only through its bus handler with a
 * host buffer as guest RAM and a small test device behind the ops table.
 * Case names carry the checklist item they show (docs: virtio-mmio.md).
 */
#include <errno.h>
#include <pthread.h>

#include "test_util.h"
#include "../virtio_test.h"

#define QS	16
#define NQ	2
#define VERSION_1	(1ull << VIRTIO_F_VERSION_1)
#define F_DEV0		(1ull << 0)
#define F_DEV1		(1ull << 1)	/* depends on F_DEV0 */

struct tdev {
	int chains, resets;
	bool refuse_chain;
	int raised, lowered;
	struct virtio_mmio_dev *bound;	/* what ops->bind handed over */
};

static struct tdev td;
static struct guest_mem *mem;
static struct virtio_mmio_dev *dev;
static struct tring ring[NQ];

static int tdev_validate(void *ctx, uint64_t f)
{
	(void)ctx;
	return (f & F_DEV1) && !(f & F_DEV0) ? -EINVAL : 0;
}

static int tdev_handle(void *ctx, uint16_t q, const struct virtq_chain *c, uint32_t *written)
{
	static const uint8_t fill[64] = { [0 ... 63] = 0xab };
	struct tdev *t = ctx;

	(void)q;
	if (t->refuse_chain)
		return -EINVAL;
	t->chains++;
	*written = virtq_chain_write(c, 0, fill, c->in_bytes < 64 ? c->in_bytes : 64);
	return 0;
}

/* Config bytes 8..11 are writable, the rest read-only. */
static int tdev_config_write(void *ctx, uint32_t off, const uint8_t *data, uint32_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return off >= 8 ? 0 : -EPERM;
}

static void tdev_reset(void *ctx)
{
	((struct tdev *)ctx)->resets++;
}

static void tdev_bind(void *ctx, struct virtio_mmio_dev *transport)
{
	((struct tdev *)ctx)->bound = transport;
}

static void irq_raise(void *ctx)
{
	((struct tdev *)ctx)->raised++;
}

static void irq_lower(void *ctx)
{
	((struct tdev *)ctx)->lowered++;
}

static const struct virtio_dev_ops tdev_ops = {
	.validate_features = tdev_validate,
	.handle_chain = tdev_handle,
	.config_write = tdev_config_write,
	.reset = tdev_reset,
	.bind = tdev_bind,
};
static const struct virtio_mmio_irq_ops tirq = { .raise = irq_raise, .lower = irq_lower };
static const uint8_t tconfig[12] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 2, 3, 4 };

static void mkdev_off(uint64_t features_off)
{
	struct virtio_mmio_cfg cfg = {
		.device_id = 42, .vendor_id = 0x1234, .num_queues = NQ, .queue_size_max = 256,
		.device_features = F_DEV0 | F_DEV1 | (1ull << VIRTIO_F_NOTIF_CONFIG_DATA) |
				   (1ull << VIRTIO_F_ADMIN_VQ),
		.features_off = features_off,
		.config = tconfig, .config_len_bytes = sizeof(tconfig),
		.ops = &tdev_ops, .ops_ctx = &td, .irq = &tirq, .irq_ctx = &td,
	};

	virtio_mmio__destroy(dev);
	if (mem)
		tmem_free(mem);
	memset(&td, 0, sizeof(td));
	mem = tmem_new(TRAM_BYTES);
	cfg.mem = mem;
	TEST_ASSERT(virtio_mmio__create(&cfg, &dev) == 0, "create");
	for (int q = 0; q < NQ; q++)
		tring_init(&ring[q], mem, q, QS);
}

static void mkdev(void)
{
	mkdev_off(0);
}

static void bring_up(uint64_t features)
{
	TEST_ASSERT(tdrv_negotiate(dev, features) & VIRTIO_CONFIG_S_FEATURES_OK, "features");
	for (int q = 0; q < NQ; q++)
		tdrv_queue(dev, q, QS);
	tdrv_driver_ok(dev);
}

static struct virtio_mmio_stats stats(void)
{
	struct virtio_mmio_stats s;

	virtio_mmio__get_stats(dev, &s);
	return s;
}

static uint64_t invalid_total(void)
{
	struct virtio_mmio_stats s = stats();
	uint64_t n = 0;

	for (int i = 0; i < VMMIO_INVAL_NR; i++)
		n += s.invalid[i];
	return n;
}

/* One chain of a readable then a writable buffer, made available on q. */
static void add_req(int q, uint16_t head)
{
	struct tring *r = &ring[q];
	uint16_t h2 = (head + 1) % QS;

	tring_desc(r, head, TDATA, 8, VRING_DESC_F_NEXT, h2);
	tring_desc(r, h2, TDATA + 0x100 + 64 * q, 16, VRING_DESC_F_WRITE, 0);
	tring_add(r, head);
}

static int used_count(int q)
{
	uint32_t id, len;
	int n = 0;

	while (tring_used(&ring[q], &id, &len))
		n++;
	return n;
}

static void test_item01_id_registers(void)
{
	uint8_t b[4];

	mkdev();
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	virtio_mmio__access(dev, VIRTIO_MMIO_MAGIC_VALUE, b, 4, false);
	CHECK(b[0] == 'v' && b[1] == 'i' && b[2] == 'r' && b[3] == 't');	/* little-endian */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_DEVICE_ID), 42);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_VENDOR_ID), 0x1234);
	CHECK_EQ(invalid_total(), 0);
}

static void test_item02_invalid_access_kinds(void)
{
	uint8_t b[8];
	struct virtio_mmio_stats s;

	mkdev();
	memset(b, 0xff, sizeof(b));
	virtio_mmio__access(dev, VIRTIO_MMIO_STATUS, b, 2, false);	/* width */
	CHECK(b[0] == 0 && b[1] == 0);
	memset(b, 0xff, sizeof(b));
	virtio_mmio__access(dev, VIRTIO_MMIO_MAGIC_VALUE, b, 8, false);	/* width */
	CHECK(b[0] == 0 && b[7] == 0);
	virtio_mmio__access(dev, VIRTIO_MMIO_STATUS, b, 1, true);	/* width */
	memset(b, 0xff, 4);
	virtio_mmio__access(dev, VIRTIO_MMIO_MAGIC_VALUE + 2, b, 4, false);	/* unaligned */
	CHECK_EQ(b[0], 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_SEL), 0);		/* read write-only */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);		/* read write-only */
	mmio_wr(dev, VIRTIO_MMIO_MAGIC_VALUE, 0);			/* write read-only */
	mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_STATUS, 3);			/* write read-only */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_GUEST_PAGE_SIZE), 0);		/* undefined (legacy) */
	CHECK_EQ(mmio_rd(dev, 0x0f0), 0);				/* undefined */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_PFN, 1);				/* undefined (legacy) */
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES, 1);			/* wrong state */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER_OK);	/* bad transition */
	s = stats();
	CHECK_EQ(s.invalid[VMMIO_INVAL_WIDTH], 3);
	CHECK_EQ(s.invalid[VMMIO_INVAL_UNALIGNED], 1);
	CHECK_EQ(s.invalid[VMMIO_INVAL_READ_WO], 2);
	CHECK_EQ(s.invalid[VMMIO_INVAL_WRITE_RO], 2);
	CHECK_EQ(s.invalid[VMMIO_INVAL_UNDEF_READ], 2);
	CHECK_EQ(s.invalid[VMMIO_INVAL_UNDEF_WRITE], 1);
	CHECK_EQ(s.invalid[VMMIO_INVAL_STATE], 1);
	CHECK_EQ(s.invalid[VMMIO_INVAL_STATUS], 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);	/* write dropped */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), 0);
	/* Nothing was fatal: the device still comes up and works. */
	bring_up(VERSION_1);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_count(0), 1);
}

static void test_item03_device_features_paged(void)
{
	uint64_t f;

	mkdev();
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f |= (uint64_t)mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	CHECK(f & VERSION_1);
	CHECK(f & F_DEV0);
	CHECK(f & (1ull << VIRTIO_RING_F_EVENT_IDX));
	CHECK(f & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	CHECK(f & (1ull << VIRTIO_F_RING_RESET));
	CHECK(!(f & (1ull << VIRTIO_F_NOTIF_CONFIG_DATA)));
	CHECK(!(f & (1ull << VIRTIO_F_ADMIN_VQ)));
	CHECK(f & (1ull << VIRTIO_F_RING_PACKED));
	for (uint32_t page = 2; page < 5; page++) {
		mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, page);
		CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	}
	/* features_off removes transport bits but never VERSION_1. */
	mkdev_off((1ull << VIRTIO_RING_F_EVENT_IDX) | VERSION_1);
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_RING_F_EVENT_IDX)));
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES) & 1);
	CHECK_EQ(invalid_total(), 0);
}

static void test_item04_driver_features_negotiation(void)
{
	const uint32_t fok = VIRTIO_CONFIG_S_FEATURES_OK;

	mkdev();
	/* Only while DRIVER is set and FEATURES_OK is not. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATE], 1);
	CHECK(tdrv_negotiate(dev, VERSION_1 | F_DEV0) & fok);
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATE], 2);
	CHECK_EQ(virtio_mmio__features(dev), VERSION_1 | F_DEV0);

	/* Refusals leave FEATURES_OK clear. */
	CHECK(!(tdrv_negotiate(dev, F_DEV0) & fok));			/* no VERSION_1 */
	CHECK(!(tdrv_negotiate(dev, VERSION_1 | (1ull << 5)) & fok));	/* not offered */
	CHECK(!(tdrv_negotiate(dev, VERSION_1 | (1ull << VIRTIO_F_ADMIN_VQ)) & fok));
	CHECK(!(tdrv_negotiate(dev, VERSION_1 | F_DEV1) & fok));	/* dependency */
	CHECK_EQ(stats().features_refused, 4);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS),
		 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	CHECK_EQ(virtio_mmio__features(dev), 0);
	/* A non-zero write to a page that has no bits is refused too. */
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | fok);
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_STATUS) & fok));
	CHECK(tdrv_negotiate(dev, VERSION_1 | F_DEV0 | F_DEV1) & fok);
}

static void test_item05_status_transitions(void)
{
	const uint32_t A = VIRTIO_CONFIG_S_ACKNOWLEDGE, D = VIRTIO_CONFIG_S_DRIVER,
		       F = VIRTIO_CONFIG_S_FEATURES_OK, K = VIRTIO_CONFIG_S_DRIVER_OK;

	mkdev();
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D);		/* skips ACK */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), 0);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A);			/* rewrite: harmless */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D | K);		/* DRIVER_OK before FEATURES_OK */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), A | D);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A);			/* losing a bit */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), A | D);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATUS], 3);
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)F_DEV0);
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(dev, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D | F);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), A | D | F);
	for (int q = 0; q < NQ; q++)
		tdrv_queue(dev, q, QS);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D | F | K);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), A | D | F | K);

	/* FAILED stops the device: kicks are ignored, only reset leaves it. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D | F | K | VIRTIO_CONFIG_S_FAILED);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_count(0), 0);
	CHECK_EQ(td.chains, 0);
	mmio_wr(dev, VIRTIO_MMIO_STATUS, A | D | F | K);	/* cannot clear FAILED */
	CHECK(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FAILED);
	/* Reset is synchronous: the very next read returns 0. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(td.resets, 1);
}

static void test_item06_reset_clears_everything(void)
{
	struct virtq_stats qs;

	mkdev();
	bring_up(VERSION_1 | F_DEV0);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CHECK(virtio_mmio__irq_pending(dev));
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 1);
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint32_t gen = mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION);

	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK(!virtio_mmio__irq_pending(dev));
	CHECK_EQ(td.lowered, 1);				/* line lowered */
	CHECK_EQ(virtio_mmio__features(dev), 0);
	/* Selectors back to 0: DeviceFeatures shows page 0 again. */
	CHECK(mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_RING_F_EVENT_IDX));
	for (int q = 0; q < NQ; q++) {
		mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	CHECK(mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION) >= gen);
	/* Size, addresses and indices are gone: ready without reprogramming
	 * is refused (size 0), and after reprogramming indices restart at 0. */
	tdrv_negotiate(dev, VERSION_1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_QUEUE_CFG], 1);
	memset(tgpa(mem, TQ_BASE(0)), 0, 0x30000);
	tring_init(&ring[0], mem, 0, QS);
	tdrv_queue(dev, 0, QS);
	tdrv_driver_ok(dev);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_count(0), 1);
	CHECK_EQ(ring[0].used->idx, 1);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.chains_completed, 2);
}

static void test_item07_no_processing_before_driver_ok(void)
{
	struct virtq_stats qs;

	mkdev();
	tdrv_negotiate(dev, VERSION_1);
	tdrv_queue(dev, 0, QS);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);		/* before DRIVER_OK */
	virtio_mmio__notify(dev, 0);
	CHECK_EQ(td.chains, 0);
	CHECK_EQ(td.raised, 0);
	/* Queue 1 never made ready: kicks on it are ignored after DRIVER_OK. */
	tdrv_driver_ok(dev);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	virtio_mmio__get_queue_stats(dev, 1, &qs);
	CHECK_EQ(qs.notifies_ignored, 1);
	CHECK_EQ(td.raised, 0);
	/* QueueReady = 0 stops consumption too. */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_READY, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.chains, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.chains, 1);
	CHECK_EQ(used_count(0), 1);
	/* After reset nothing more is consumed. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	add_req(0, 2);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.chains, 1);
	CHECK_EQ(td.raised, 1);
}

static void test_item08_queue_sel_out_of_range(void)
{
	mkdev();
	tdrv_negotiate(dev, VERSION_1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, NQ);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NUM, QS);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_QUEUE_SEL], 3);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
}

static void test_item09_queue_regs_locked_while_ready(void)
{
	mkdev();
	bring_up(VERSION_1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NUM, 4);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_USED_LOW, 0x8);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATE], 4);
	/* The queue still runs on its original configuration. */
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_count(0), 1);
	/* Before FEATURES_OK, queue registers are not writable either. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NUM, 4);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATE], 5);
}

static void expect_ready_refused(uint32_t size, uint64_t d, uint64_t a, uint64_t u)
{
	uint64_t before = stats().invalid[VMMIO_INVAL_QUEUE_CFG];

	tdrv_queue_at(dev, 0, size, d, a, u);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_QUEUE_CFG], before + 1);
}

static void test_item10_queue_ready_validation(void)
{
	mkdev();
	tdrv_negotiate(dev, VERSION_1);
	expect_ready_refused(0, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));
	expect_ready_refused(512, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));	/* > max */
	expect_ready_refused(12, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));	/* not 2^n */
	expect_ready_refused(QS, TQ_DESC(0) + 8, TQ_AVAIL(0), TQ_USED(0));
	expect_ready_refused(QS, TQ_DESC(0), TQ_AVAIL(0) + 1, TQ_USED(0));
	expect_ready_refused(QS, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0) + 2);
	expect_ready_refused(QS, TRAM_BYTES - 16, TQ_AVAIL(0), TQ_USED(0));
	expect_ready_refused(QS, TQ_DESC(0), TRAM_BYTES - 2, TQ_USED(0));
	expect_ready_refused(QS, TQ_DESC(0), TQ_AVAIL(0), TRAM_BYTES - 8);
	expect_ready_refused(QS, 0x100000000ull + TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_READY, 2);	/* not a boolean */
	CHECK_EQ(stats().invalid[VMMIO_INVAL_VALUE], 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	tdrv_queue(dev, 0, QS);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

static void test_item11_queue_notify(void)
{
	struct virtio_mmio_stats s;
	struct virtq_stats qs;

	mkdev();
	bring_up(VERSION_1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, NQ);		/* out of range */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000);	/* no NOTIFICATION_DATA */
	virtio_mmio__notify(dev, 0xffffffff);
	s = stats();
	CHECK_EQ(s.notifies_bad_queue, 3);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);		/* spurious: empty ring */
	CHECK_EQ(td.raised, 0);
	/* Trapped write and direct call (iothread path) do the same thing. */
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	add_req(1, 0);
	virtio_mmio__notify(dev, 1);
	CHECK_EQ(used_count(0), 1);
	CHECK_EQ(used_count(1), 1);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.notifies, 2);
	CHECK_EQ(qs.chains_completed, 1);
	virtio_mmio__get_queue_stats(dev, 1, &qs);
	CHECK_EQ(qs.notifies, 1);
	CHECK_EQ(qs.chains_completed, 1);
	CHECK_EQ(stats().notifies, 6);

	/* NOTIFICATION_DATA: index | next_off << 16 | next_wrap << 31. */
	mkdev();
	bring_up(VERSION_1 | (1ull << VIRTIO_F_NOTIFICATION_DATA));
	add_req(1, 4);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1u | 1u << 16 | 1u << 31);
	CHECK_EQ(used_count(1), 1);
	add_req(0, 2);
	virtio_mmio__notify(dev, 0u | 7u << 16);
	CHECK_EQ(used_count(0), 1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 5u | 1u << 16);
	CHECK_EQ(stats().notifies_bad_queue, 1);
}

/* A device with work of its own (RX, console input) completes through the
 * handle the transport bound it to; that is not a guest notify. */
static void test_device_completes_on_its_own(void)
{
	struct virtq_stats qs;

	mkdev();
	CHECK(td.bound == dev);
	add_req(0, 0);
	CHECK_EQ(virtio_dev_complete(td.bound, 0), -EAGAIN);	/* no DRIVER_OK yet */
	CHECK_EQ(td.chains, 0);
	bring_up(VERSION_1);
	CHECK_EQ(virtio_dev_complete(td.bound, NQ), -EINVAL);
	/* The chain made available earlier is processed now. */
	CHECK_EQ(virtio_dev_complete(td.bound, 0), 0);
	CHECK_EQ(used_count(0), 1);
	CHECK_EQ(td.chains, 1);
	CHECK_EQ(td.raised, 1);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.notifies, 0);
	CHECK_EQ(qs.chains_completed, 1);
	CHECK_EQ(stats().notifies, 0);
	CHECK_EQ(invalid_total(), 0);
}

/* A polling device (the poll and busy iothreads): kicks stay off while it
 * polls, each look processes what is there without counting a notify, and
 * turning polling off reports work that came in meanwhile. */
static void test_device_polling(void)
{
	struct virtq_stats qs;
	uint16_t *avail_event;

	mkdev();
	bring_up(VERSION_1);
	CHECK_EQ(virtio_mmio__poll(dev, 0), 0);			/* empty ring */
	CHECK_EQ(virtio_mmio__poll(dev, NQ), 0);			/* out of range: nothing */
	CHECK(!virtio_mmio__set_polling(dev, NQ, true));
	CHECK(!virtio_mmio__set_polling(dev, 0, true));
	CHECK_EQ(ring[0].used->flags, VRING_USED_F_NO_NOTIFY);	/* kicks off at once */
	add_req(0, 0);
	add_req(0, 2);
	CHECK_EQ(virtio_mmio__poll(dev, 0), 2);
	CHECK_EQ(used_count(0), 2);
	/* A kick that arrives anyway is served, and kicks stay off. */
	add_req(0, 4);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_count(0), 1);
	CHECK_EQ(ring[0].used->flags, VRING_USED_F_NO_NOTIFY);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.notifies, 1);			/* the polls were not notifies */
	CHECK_EQ(qs.chains_completed, 3);
	/* Off with work pending: said so, and kicks are on again. */
	add_req(0, 6);
	CHECK(virtio_mmio__set_polling(dev, 0, false));
	CHECK_EQ(ring[0].used->flags, 0);
	CHECK_EQ(virtio_mmio__poll(dev, 0), 1);
	CHECK(!virtio_mmio__set_polling(dev, 0, false));
	/* Not live (no DRIVER_OK after a reset): a poll does nothing. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(virtio_mmio__poll(dev, 0), 0);

	/* EVENT_IDX: avail_event stays half the index space behind the
	 * device's position, so no new avail index crosses it (not once per
	 * 64 Ki requests), not even one the device consumed before the
	 * driver read avail_event. */
	mkdev();
	bring_up(VERSION_1 | (1ull << VIRTIO_RING_F_EVENT_IDX));
	avail_event = (uint16_t *)&ring[0].used->ring[QS];
	CHECK(!virtio_mmio__set_polling(dev, 0, true));
	CHECK_EQ(*avail_event, 0x8000);
	add_req(0, 0);
	add_req(0, 2);
	CHECK_EQ(virtio_mmio__poll(dev, 0), 2);
	CHECK_EQ(*avail_event, 0x8002);
	CHECK(!vring_need_event(*avail_event, 3, 2));	/* the driver's next add: no kick */
	CHECK(!vring_need_event(*avail_event, 2, 1));	/* nor one already consumed */
	CHECK(!vring_need_event(*avail_event, 2 + QS, 2));	/* nor a full ring at once */
	/* The extremes of a 32768 ring: a full ring ahead of the device, in
	 * one batch or one by one, and a batch the device already used. */
	CHECK(!vring_need_event(*avail_event, (uint16_t)(2 + 32768), 2));
	CHECK(!vring_need_event(*avail_event, (uint16_t)(2 + 32768), (uint16_t)(1 + 32768)));
	CHECK(!vring_need_event(*avail_event, 2, (uint16_t)(2 - 32767)));
	CHECK(!virtio_mmio__set_polling(dev, 0, false));
	CHECK_EQ(*avail_event, 2);			/* kick me at the next one */
	CHECK_EQ(invalid_total(), 0);
}

static void test_item12_edge_fires_per_event(void)
{
	mkdev();
	bring_up(VERSION_1);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.raised, 1);
	/* Not acked: the bit is still set, yet a new completion fires again. */
	add_req(0, 2);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.raised, 2);
	add_req(1, 0);
	virtio_mmio__notify(dev, 1);
	CHECK_EQ(td.raised, 3);
	CHECK_EQ(stats().irqs_raised, 3);
	CHECK_EQ(td.lowered, 0);
	/* Level: held until acked, for a resample handler to see. */
	CHECK(virtio_mmio__irq_pending(dev));
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(!virtio_mmio__irq_pending(dev));
	CHECK_EQ(td.lowered, 1);
	/* One kick that completes several chains is one event. */
	add_req(0, 4);
	add_req(0, 6);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.raised, 4);
	CHECK_EQ(used_count(0), 4);
}

static void test_item13_interrupt_ack(void)
{
	uint8_t v = 9;

	mkdev();
	bring_up(VERSION_1);
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	virtio_mmio__config_update(dev, 0, &v, 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), 3);
	mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(td.lowered, 0);				/* still pending */
	mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_ACK, 0);		/* clears nothing */
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(td.lowered, 1);
	mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_ACK, 3);		/* already clear */
	CHECK_EQ(td.lowered, 1);
}

static void test_item14_config_generation(void)
{
	uint32_t g0, v = 0xdeadbeef;
	uint8_t b[4];

	mkdev();
	g0 = mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION);
	CHECK_EQ(virtio_mmio__config_update(dev, 4, &v, 4), 0);
	CHECK(mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION) != g0);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 4, b, 4, false);
	CHECK_EQ(b[0], 0xef);
	CHECK_EQ(td.raised, 0);			/* no interrupt before DRIVER_OK */
	CHECK_EQ(virtio_mmio__config_update(dev, 10, &v, 4), -EINVAL);
	bring_up(VERSION_1);
	g0 = mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_mmio__config_update(dev, 0, &v, 2);
	CHECK(mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION) != g0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(stats().config_irqs, 1);
}

static void test_item15_config_space(void)
{
	uint8_t b[8];
	struct virtio_mmio_stats s;

	mkdev();
	/* Readable at once, before any negotiation, at widths 1, 2 and 4. */
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 3, b, 1, false);
	CHECK_EQ(b[0], 0x44);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 2, b, 2, false);
	CHECK(b[0] == 0x33 && b[1] == 0x44);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 4, b, 4, false);
	CHECK(b[0] == 0x55 && b[3] == 0x88);
	/* Out of range reads 0; wrong width and misalignment are refused. */
	memset(b, 0xff, sizeof(b));
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 12, b, 1, false);
	CHECK_EQ(b[0], 0);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 12, b, 4, false);
	virtio_mmio__access(dev, 0xffc, b, 4, false);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 1, b, 2, false);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG, b, 8, false);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG, b, 3, false);
	/* Writes: dropped where read-only or out of range, stored where the
	 * device allows (bytes 8..11). */
	b[0] = 0x99;
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 0, b, 1, true);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 16, b, 1, true);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 9, b, 1, true);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 0, b, 1, false);
	CHECK_EQ(b[0], 0x11);
	virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG + 9, b, 1, false);
	CHECK_EQ(b[0], 0x99);
	s = stats();
	CHECK_EQ(s.invalid[VMMIO_INVAL_CONFIG_RANGE], 4);
	CHECK_EQ(s.invalid[VMMIO_INVAL_UNALIGNED], 1);
	CHECK_EQ(s.invalid[VMMIO_INVAL_WIDTH], 2);
	CHECK_EQ(s.invalid[VMMIO_INVAL_CONFIG_RO], 1);
}

static void test_item16_shm_all_ones(void)
{
	mkdev();
	for (uint32_t sel = 0; sel < 3; sel++) {
		mmio_wr(dev, VIRTIO_MMIO_SHM_SEL, sel);
		CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
		CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
		CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffff);
		CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
	}
	CHECK_EQ(invalid_total(), 0);
}

static void test_item17_queue_reset(void)
{
	mkdev();
	/* Without RING_RESET negotiated the register is not there. */
	bring_up(VERSION_1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_RESET, 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 1);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATE], 1);

	mkdev();
	bring_up(VERSION_1 | (1ull << VIRTIO_F_RING_RESET));
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_RESET), 0);	/* after enable */
	add_req(1, 0);
	virtio_mmio__notify(dev, 1);
	CHECK_EQ(used_count(1), 1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_RESET, 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_RESET), 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(stats().queue_resets, 1);
	/* Queue 0 is untouched; queue 1 can be re-enabled from index 0 after
	 * DRIVER_OK. */
	add_req(0, 0);
	virtio_mmio__notify(dev, 0);
	CHECK_EQ(used_count(0), 1);
	memset(tgpa(mem, TQ_BASE(1)), 0, 0x30000);
	tring_init(&ring[1], mem, 1, QS);
	tdrv_queue(dev, 1, QS);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_RESET), 0);
	add_req(1, 6);
	virtio_mmio__notify(dev, 1);
	CHECK_EQ(used_count(1), 1);
	CHECK_EQ(ring[1].used->idx, 1);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_RESET, 0);
	CHECK_EQ(stats().invalid[VMMIO_INVAL_VALUE], 1);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 1);
}

static void test_item18_violation_needs_reset_then_recovers(void)
{
	struct virtq_stats qs;

	mkdev();
	bring_up(VERSION_1);
	tring_add(&ring[0], QS + 3);				/* bad head */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(stats().needs_reset, 1);
	CHECK_EQ(td.raised, 1);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.violations[VQ_ERR_HEAD], 1);
	/* The queue stays stopped; the other queue keeps working. */
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.notifies_ignored, 1);
	add_req(1, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(used_count(1), 1);
	/* A driver writing back the status it read (NEEDS_RESET included) is fine. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, mmio_rd(dev, VIRTIO_MMIO_STATUS));
	CHECK_EQ(stats().invalid[VMMIO_INVAL_STATUS], 0);
	/* The device type can refuse a chain's layout the same way. */
	td.refuse_chain = true;
	add_req(1, 2);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	virtio_mmio__get_queue_stats(dev, 1, &qs);
	CHECK_EQ(qs.violations[VQ_ERR_DEVICE], 1);
	CHECK_EQ(stats().needs_reset, 1);			/* raised once */
	td.refuse_chain = false;

	/* Reset brings the device back to a working state. */
	mmio_wr(dev, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_STATUS), 0);
	memset(tgpa(mem, TQ_BASE(0)), 0, 0x80000);
	for (int q = 0; q < NQ; q++)
		tring_init(&ring[q], mem, q, QS);
	bring_up(VERSION_1);
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	add_req(0, 0);
	add_req(1, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(used_count(0), 1);
	CHECK_EQ(used_count(1), 1);
}

static void test_item19_used_irq_suppression(void)
{
	struct virtio_mmio_stats s;

	mkdev();
	bring_up(VERSION_1);
	ring[0].avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(used_count(0), 1);
	CHECK_EQ(td.raised, 0);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* The guest is never asked to stop kicking once we are idle. */
	CHECK_EQ(ring[0].used->flags, 0);

	mkdev();
	bring_up(VERSION_1 | (1ull << VIRTIO_RING_F_EVENT_IDX));
	*tring_used_event(&ring[0]) = 1;	/* interrupt when used.idx passes 1 */
	add_req(0, 0);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.raised, 0);
	add_req(0, 2);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.raised, 1);
	CHECK_EQ(*tring_avail_event(&ring[0]), 2);	/* kick when avail passes 2 */
	s = stats();
	CHECK_EQ(s.irqs_raised, 1);
}

/* ---- thread-safety smoke test ---- */

#define SMOKE_REQS	20000
#define SMOKE_QS	64

static volatile bool smoke_done;

static void *smoke_iothread(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&smoke_done, __ATOMIC_ACQUIRE))
		virtio_mmio__notify(dev, 0);
	return NULL;
}

static void *smoke_regthread(void *arg)
{
	uint8_t b[4];

	(void)arg;
	while (!__atomic_load_n(&smoke_done, __ATOMIC_ACQUIRE)) {
		uint32_t isr = mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS);

		if (isr)
			mmio_wr(dev, VIRTIO_MMIO_INTERRUPT_ACK, isr);
		virtio_mmio__access(dev, VIRTIO_MMIO_CONFIG, b, 4, false);
		mmio_rd(dev, VIRTIO_MMIO_CONFIG_GENERATION);
		mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);	/* other queue, empty */
	}
	return NULL;
}

static void test_thread_notify_vs_registers(void)
{
	static uint8_t seen[SMOKE_REQS];
	struct tring r;
	struct virtq_stats qs;
	pthread_t io, regs;
	uint32_t submitted = 0, completed = 0, id, len;
	uint32_t owner[SMOKE_QS];
	bool dup = false;

	mkdev();
	memset(seen, 0, sizeof(seen));
	TEST_ASSERT(tdrv_negotiate(dev, VERSION_1 | (1ull << VIRTIO_RING_F_EVENT_IDX)) &
		    VIRTIO_CONFIG_S_FEATURES_OK, "features");
	tdrv_queue(dev, 0, SMOKE_QS);
	tdrv_queue(dev, 1, QS);
	tdrv_driver_ok(dev);
	tring_init(&r, mem, 0, SMOKE_QS);
	smoke_done = false;
	pthread_create(&io, NULL, smoke_iothread, NULL);
	pthread_create(&regs, NULL, smoke_regthread, NULL);
	/* This thread is the driver: one-descriptor chains, head = slot, and
	 * sometimes a trapped kick of its own. */
	while (completed < SMOKE_REQS) {
		while (submitted < SMOKE_REQS && submitted - completed < SMOKE_QS) {
			uint16_t head = submitted % SMOKE_QS;

			owner[head] = submitted;
			tring_desc(&r, head, TDATA + 16 * head, 16, VRING_DESC_F_WRITE, 0);
			tring_add(&r, head);
			submitted++;
			if (submitted % 7 == 0)
				mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		}
		while (tring_used(&r, &id, &len)) {
			if (id >= SMOKE_QS || seen[owner[id]]++)
				dup = true;
			CHECK_EQ(len, 16);
			completed++;
		}
	}
	__atomic_store_n(&smoke_done, true, __ATOMIC_RELEASE);
	pthread_join(io, NULL);
	pthread_join(regs, NULL);
	CHECK(!dup);
	for (uint32_t i = 0; i < SMOKE_REQS; i++)
		if (seen[i] != 1)
			dup = true;
	CHECK(!dup);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	CHECK_EQ(qs.chains_completed, SMOKE_REQS);
	CHECK_EQ(qs.chains_popped, SMOKE_REQS);
	CHECK_EQ(td.chains, SMOKE_REQS);
	CHECK_EQ(invalid_total(), 0);
	CHECK(!(virtio_mmio__status(dev) & VIRTIO_CONFIG_S_NEEDS_RESET));
}

int main(void)
{
	struct ktap_case cases[] = {
		KTAP_CASE(test_item01_id_registers),
		KTAP_CASE(test_item02_invalid_access_kinds),
		KTAP_CASE(test_item03_device_features_paged),
		KTAP_CASE(test_item04_driver_features_negotiation),
		KTAP_CASE(test_item05_status_transitions),
		KTAP_CASE(test_item06_reset_clears_everything),
		KTAP_CASE(test_item07_no_processing_before_driver_ok),
		KTAP_CASE(test_item08_queue_sel_out_of_range),
		KTAP_CASE(test_item09_queue_regs_locked_while_ready),
		KTAP_CASE(test_item10_queue_ready_validation),
		KTAP_CASE(test_item11_queue_notify),
		KTAP_CASE(test_device_completes_on_its_own),
		KTAP_CASE(test_device_polling),
		KTAP_CASE(test_item12_edge_fires_per_event),
		KTAP_CASE(test_item13_interrupt_ack),
		KTAP_CASE(test_item14_config_generation),
		KTAP_CASE(test_item15_config_space),
		KTAP_CASE(test_item16_shm_all_ones),
		KTAP_CASE(test_item17_queue_reset),
		KTAP_CASE(test_item18_violation_needs_reset_then_recovers),
		KTAP_CASE(test_item19_used_irq_suppression),
		KTAP_CASE(test_thread_notify_vs_registers),
	};
	int rc = KTAP_RUN(cases);

	virtio_mmio__destroy(dev);
	tmem_free(mem);
	return rc;
}
