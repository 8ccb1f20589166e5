// SPDX-License-Identifier: GPL-2.0
/*
 * Device side of the packed ring (virtio 1.x, 2.8), driven directly by a
 * pretend driver in test RAM: lists and indirect tables, the wrap counters
 * flipping at the ring end (also mid-list, and for a size that is not a
 * power of two), out-of-order completion by buffer id, both event
 * suppression structures, and every hostile layout refused with the
 * queue stopped.
 */
#include <errno.h>

#include "test_util.h"
#include "../virtio_test.h"

#define F_AVAIL		(1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED		(1u << VRING_PACKED_DESC_F_USED)
#define EVT_WRAP	(1u << VRING_PACKED_EVENT_F_WRAP_CTR)
#define PACKED		(1ull << VIRTIO_F_RING_PACKED)
#define EVIDX		(1ull << VIRTIO_RING_F_EVENT_IDX)
#define INDIRECT	(1ull << VIRTIO_RING_F_INDIRECT_DESC)

static struct guest_mem *mem;
static struct virtq *vq;

/* The driver's side of the ring: its slot, wrap counter and per-id list
 * lengths (to skip to the next used descriptor, 2.8.6). */
struct tpring {
	uint16_t size;
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver_evt, *device_evt;
	uint16_t next, used_next;
	bool wrap, used_wrap;
	uint16_t len_of[64];
};

static struct tpring r;

struct tseg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

static uint16_t avail_flags(bool wrap)
{
	return wrap ? F_AVAIL : F_USED;
}

static void setup_n(uint16_t size, uint64_t features)
{
	if (mem)
		tmem_free(mem);
	virtq_destroy(vq);
	mem = tmem_new(TRAM_BYTES);
	vq = virtq_new(256);
	TEST_ASSERT(vq, "virtq_new");
	virtq_set_size(vq, size);
	virtq_set_area_addr(vq, VQ_AREA_DESC, TQ_DESC(0));
	virtq_set_area_addr(vq, VQ_AREA_DRIVER, TQ_AVAIL(0));
	virtq_set_area_addr(vq, VQ_AREA_DEVICE, TQ_USED(0));
	TEST_ASSERT(virtq_set_ready(vq, mem, PACKED | features) == 0, "packed ready");
	memset(&r, 0, sizeof(r));
	r.size = size;
	r.desc = tgpa(mem, TQ_DESC(0));
	r.driver_evt = tgpa(mem, TQ_AVAIL(0));
	r.device_evt = tgpa(mem, TQ_USED(0));
	r.wrap = r.used_wrap = true;
}

/* Write a list at the driver's next slots, the first descriptor's flags
 * last (2.8.6), all with buffer id `id` (only the last one's counts). */
static void add_list(uint16_t id, const struct tseg *segs, unsigned int n)
{
	uint16_t first = r.next, first_flags = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct vring_packed_desc *d = &r.desc[r.next];
		uint16_t f = avail_flags(r.wrap) | (segs[i].writable ? VRING_DESC_F_WRITE : 0) |
			     (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		d->addr = segs[i].gpa;
		d->len = segs[i].len;
		d->id = id;
		if (i == 0)
			first_flags = f;
		else
			d->flags = f;
		if (++r.next == r.size) {
			r.next = 0;
			r.wrap = !r.wrap;
		}
	}
	__atomic_store_n(&r.desc[first].flags, first_flags, __ATOMIC_RELEASE);
	if (id < 64)
		r.len_of[id] = (uint16_t)n;
}

static void add_one(uint16_t id, uint64_t gpa, uint32_t len, bool writable)
{
	struct tseg s = { gpa, len, writable };

	add_list(id, &s, 1);
}

/* The next used descriptor, if the device wrote one. */
static bool get_used(uint16_t *id, uint32_t *len)
{
	struct vring_packed_desc *d = &r.desc[r.used_next];
	uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
	uint16_t want = r.used_wrap ? F_AVAIL | F_USED : 0;

	if ((f & (F_AVAIL | F_USED)) != want)
		return false;
	*id = d->id;
	*len = d->len;
	r.used_next += *id < 64 ? r.len_of[*id] : 1;
	if (r.used_next >= r.size) {
		r.used_next -= r.size;
		r.used_wrap = !r.used_wrap;
	}
	return true;
}

static uint64_t total_violations(void)
{
	uint64_t n = 0;

	for (int i = 0; i < VQ_ERR_NR; i++)
		n += virtq_stats(vq)->violations[i];
	return n;
}

static void expect_violation(enum virtq_err e)
{
	struct virtq_chain c;

	CHECK_EQ(virtq_pop(vq, &c), -EIO);
	CHECK(virtq_is_broken(vq));
	CHECK_EQ(virtq_stats(vq)->violations[e], 1);
	CHECK_EQ(total_violations(), 1);
	CHECK_EQ(virtq_pop(vq, &c), -EIO);
}

static void test_ready_rules(void)
{
	struct virtq *q = virtq_new(256);

	mem = mem ? mem : tmem_new(TRAM_BYTES);
	TEST_ASSERT(q, "virtq_new");
	/* Any size up to the maximum, no power of two needed ... */
	virtq_set_size(q, 100);
	virtq_set_area_addr(q, VQ_AREA_DESC, TQ_DESC(0));
	virtq_set_area_addr(q, VQ_AREA_DRIVER, TQ_AVAIL(0));
	virtq_set_area_addr(q, VQ_AREA_DEVICE, TQ_USED(0));
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);	/* ... but the split ring needs one */
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), 0);
	virtq_reset(q);
	virtq_set_size(q, 257);
	virtq_set_area_addr(q, VQ_AREA_DESC, TQ_DESC(0));
	virtq_set_area_addr(q, VQ_AREA_DRIVER, TQ_AVAIL(0));
	virtq_set_area_addr(q, VQ_AREA_DEVICE, TQ_USED(0));
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), -EINVAL);	/* > size_max */
	virtq_set_size(q, 16);
	/* Alignment 16 / 4 / 4 (2.8.10.1). */
	virtq_set_area_addr(q, VQ_AREA_DESC, TQ_DESC(0) + 8);
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), -EINVAL);
	virtq_set_area_addr(q, VQ_AREA_DESC, TQ_DESC(0));
	virtq_set_area_addr(q, VQ_AREA_DRIVER, TQ_AVAIL(0) + 2);
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), -EINVAL);
	virtq_set_area_addr(q, VQ_AREA_DRIVER, TQ_AVAIL(0) + 4);
	virtq_set_area_addr(q, VQ_AREA_DEVICE, TRAM_BYTES - 2);
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), -EINVAL);	/* outside RAM */
	/* The 4-byte event areas overlap the 256-byte ring: refused. */
	virtq_set_area_addr(q, VQ_AREA_DEVICE, TQ_DESC(0) + 0xfc);
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), -EEXIST);
	virtq_set_area_addr(q, VQ_AREA_DEVICE, TQ_DESC(0) + 0x100);	/* touching is fine */
	CHECK_EQ(virtq_set_ready(q, mem, PACKED), 0);
	/* Both wrap counters start at 1; kicks start enabled. */
	CHECK_EQ(virtq_next_avail(q), EVT_WRAP);
	CHECK_EQ(virtq_next_used(q), EVT_WRAP);
	virtq_destroy(q);
}

static void test_pop_list(void)
{
	struct tseg segs[3] = {
		{ TDATA, 16, false }, { TDATA + 16, 100, false }, { TDATA + 200, 8, true },
	};
	struct virtq_chain c;
	uint16_t id;
	uint32_t len;

	setup_n(8, 0);
	CHECK_EQ(virtq_pop(vq, &c), 0);		/* empty (zeroed) ring */
	add_list(5, segs, 3);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(c.head, 5);
	CHECK_EQ(c.n_out, 2);
	CHECK_EQ(c.n_in, 1);
	CHECK_EQ(c.out_bytes, 116);
	CHECK_EQ(c.in_bytes, 8);
	CHECK_EQ(virtq_next_avail(vq), 3 | EVT_WRAP);
	CHECK_EQ(virtq_pop(vq, &c), 0);
	CHECK(!get_used(&id, &len));
	virtq_push(vq, 5, 8);
	CHECK(get_used(&id, &len));
	CHECK_EQ(id, 5);
	CHECK_EQ(len, 8);
	/* Written over the list's first slot, WRITE set: data was written. */
	CHECK(r.desc[0].flags & VRING_DESC_F_WRITE);
	CHECK_EQ(virtq_next_used(vq), 3 | EVT_WRAP);	/* skipped the whole list */
	CHECK_EQ(virtq_stats(vq)->chains_completed, 1);
}

/* Size 5, lists of two: every lap ends mid-list, so the wrap counter flips
 * between a list's descriptors as well as between lists. */
static void test_wrap_counters(void)
{
	struct virtq_chain c;
	unsigned int got = 0;
	uint16_t id;
	uint32_t len;

	setup_n(5, 0);
	for (unsigned int round = 0; round < 12; round++) {
		struct tseg segs[2] = { { TDATA, 4, false }, { TDATA + 64, 4, true } };

		add_list((uint16_t)(round % 2), segs, 2);
		CHECK_EQ(virtq_pop(vq, &c), 1);
		CHECK_EQ(c.head, round % 2);
		CHECK_EQ(c.n_out + c.n_in, 2);
		virtq_push(vq, c.head, 4);
		while (get_used(&id, &len))
			CHECK_EQ(id, got++ % 2);
	}
	CHECK_EQ(got, 12);
	/* 24 slots of a 5-slot ring: 4 laps and 4 slots, the counter flipped
	 * 4 times back to 1. */
	CHECK_EQ(virtq_next_avail(vq), 4 | EVT_WRAP);
	CHECK_EQ(virtq_next_used(vq), 4 | EVT_WRAP);
	CHECK_EQ(total_violations(), 0);
}

/* The device may complete in any order; the used descriptors follow the
 * completion order and each names its buffer by id. */
static void test_out_of_order(void)
{
	struct virtq_chain c;
	uint16_t heads[3], id;
	uint32_t len;

	setup_n(8, 0);
	for (uint16_t i = 0; i < 3; i++) {
		add_one((uint16_t)(5 + i), TDATA + 64 * i, 8, true);
		CHECK_EQ(virtq_pop(vq, &c), 1);
		heads[i] = c.head;
	}
	virtq_push(vq, heads[2], 3);
	virtq_push(vq, heads[0], 1);
	virtq_push(vq, heads[1], 2);
	CHECK(get_used(&id, &len));
	CHECK_EQ(id, 7);
	CHECK_EQ(len, 3);
	CHECK(get_used(&id, &len));
	CHECK_EQ(id, 5);
	CHECK(get_used(&id, &len));
	CHECK_EQ(id, 6);
	CHECK(!get_used(&id, &len));
	/* An id is free again once used. */
	add_one(5, TDATA, 8, true);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	/* Pushing an id not in flight touches nothing. */
	virtq_push(vq, 6, 1);
	CHECK(!get_used(&id, &len));
	CHECK_EQ(total_violations(), 0);
}

static void test_indirect(void)
{
	struct vring_packed_desc *t = tgpa(mem, TDATA + 0x1000);
	struct virtq_chain c;
	uint16_t id;
	uint32_t len;

	setup_n(8, INDIRECT);
	t = tgpa(mem, TDATA + 0x1000);
	t[0] = (struct vring_packed_desc){ .addr = TDATA, .len = 16, .flags = 0 };
	/* NEXT and the id are reserved inside a table and ignored (2.8.7). */
	t[1] = (struct vring_packed_desc){ .addr = TDATA + 16, .len = 8,
					   .flags = VRING_DESC_F_NEXT, .id = 77 };
	t[2] = (struct vring_packed_desc){ .addr = TDATA + 64, .len = 32,
					   .flags = VRING_DESC_F_WRITE };
	r.desc[0] = (struct vring_packed_desc){ .addr = TDATA + 0x1000, .len = 3 * 16, .id = 4 };
	__atomic_store_n(&r.desc[0].flags, avail_flags(true) | VRING_DESC_F_INDIRECT,
			 __ATOMIC_RELEASE);
	r.next = 1;
	r.len_of[4] = 1;
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(c.head, 4);
	CHECK_EQ(c.n_out, 2);
	CHECK_EQ(c.n_in, 1);
	CHECK_EQ(c.in_bytes, 32);
	virtq_push(vq, 4, 32);
	CHECK(get_used(&id, &len));
	CHECK_EQ(id, 4);
	CHECK_EQ(virtq_next_used(vq), 1 | EVT_WRAP);	/* one ring slot */
}

static void test_hostile_id(void)
{
	struct virtq_chain c;

	setup_n(8, 0);
	add_one(8, TDATA, 8, true);			/* id >= size */
	expect_violation(VQ_ERR_ID);
	setup_n(8, 0);
	add_one(3, TDATA, 8, true);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	add_one(3, TDATA, 8, true);			/* still in flight */
	expect_violation(VQ_ERR_ID);
}

/* A list whose later descriptor is not marked available, at the ring's end
 * (the driver forgot to flip its counter there) and in the middle. */
static void test_hostile_list_flags(void)
{
	struct tseg segs[2] = { { TDATA, 4, false }, { TDATA + 64, 4, true } };

	setup_n(4, 0);
	r.next = 3;			/* as if three slots were used already */
	virtq_set_next_avail(vq, 3 | EVT_WRAP);
	add_list(0, segs, 2);
	r.desc[0].flags = avail_flags(true) | VRING_DESC_F_WRITE;	/* not flipped */
	expect_violation(VQ_ERR_CHAIN_FLAGS);
	setup_n(8, 0);
	add_list(0, segs, 2);
	r.desc[1].flags = 0;
	expect_violation(VQ_ERR_CHAIN_FLAGS);
}

/* Every slot of the ring in one list, each with NEXT: the walk comes back
 * round to a slot of the other lap and stops. */
static void test_hostile_endless_list(void)
{
	setup_n(4, 0);
	for (int i = 0; i < 4; i++) {
		r.desc[i] = (struct vring_packed_desc){ .addr = TDATA, .len = 4, .id = 0 };
		r.desc[i].flags = avail_flags(true) | VRING_DESC_F_NEXT;
	}
	expect_violation(VQ_ERR_CHAIN_FLAGS);
}

static void test_hostile_layouts(void)
{
	struct tseg order[2] = { { TDATA, 4, true }, { TDATA + 64, 4, false } };
	struct tseg outside = { TRAM_BYTES - 4, 8, true };
	struct vring_packed_desc *t;

	setup_n(8, 0);
	add_list(0, order, 2);
	expect_violation(VQ_ERR_ORDER);
	setup_n(8, 0);
	add_list(0, &outside, 1);
	expect_violation(VQ_ERR_ADDR);
	/* INDIRECT not negotiated. */
	setup_n(8, 0);
	r.desc[0] = (struct vring_packed_desc){ .addr = TDATA + 0x1000, .len = 16 };
	r.desc[0].flags = avail_flags(true) | VRING_DESC_F_INDIRECT;
	expect_violation(VQ_ERR_INDIRECT_OFF);
	/* INDIRECT with NEXT. */
	setup_n(8, INDIRECT);
	r.desc[0] = (struct vring_packed_desc){ .addr = TDATA + 0x1000, .len = 16 };
	r.desc[0].flags = avail_flags(true) | VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT;
	expect_violation(VQ_ERR_INDIRECT_NEXT);
	/* A table inside a table. */
	setup_n(8, INDIRECT);
	t = tgpa(mem, TDATA + 0x1000);
	t[0] = (struct vring_packed_desc){ .addr = TDATA + 0x2000, .len = 16,
					   .flags = VRING_DESC_F_INDIRECT };
	r.desc[0] = (struct vring_packed_desc){ .addr = TDATA + 0x1000, .len = 16 };
	r.desc[0].flags = avail_flags(true) | VRING_DESC_F_INDIRECT;
	expect_violation(VQ_ERR_INDIRECT_NESTED);
	/* A table longer than the queue size: the list is too long. */
	setup_n(8, INDIRECT);
	t = tgpa(mem, TDATA + 0x1000);
	for (int i = 0; i < 9; i++)
		t[i] = (struct vring_packed_desc){ .addr = TDATA, .len = 4 };
	r.desc[0] = (struct vring_packed_desc){ .addr = TDATA + 0x1000, .len = 9 * 16 };
	r.desc[0].flags = avail_flags(true) | VRING_DESC_F_INDIRECT;
	expect_violation(VQ_ERR_LOOP);
	/* A table length that is not a multiple of 16. */
	setup_n(8, INDIRECT);
	r.desc[0] = (struct vring_packed_desc){ .addr = TDATA + 0x1000, .len = 24 };
	r.desc[0].flags = avail_flags(true) | VRING_DESC_F_INDIRECT;
	expect_violation(VQ_ERR_INDIRECT_LEN);
}

static void complete(uint16_t id)
{
	struct virtq_chain c;

	add_one(id, TDATA, 1, true);
	TEST_ASSERT(virtq_pop(vq, &c) == 1, "pop");
	virtq_push(vq, c.head, 1);
}

/* Driver Event Suppression decides our used-buffer notifications. */
static void test_used_event_suppression(void)
{
	uint16_t id;
	uint32_t len;

	setup_n(4, EVIDX);
	CHECK(!virtq_should_notify(vq));			/* nothing pushed */
	complete(0);
	CHECK(virtq_should_notify(vq));				/* ENABLE (zeroed) */
	r.driver_evt->flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	complete(1);
	CHECK(!virtq_should_notify(vq));
	/* DESC: notify once the slot 3 of this lap is used. */
	r.driver_evt->off_wrap = 3 | EVT_WRAP;
	r.driver_evt->flags = VRING_PACKED_EVENT_FLAG_DESC;
	complete(2);						/* uses slot 2 */
	CHECK(!virtq_should_notify(vq));
	complete(3);						/* uses slot 3 */
	CHECK(virtq_should_notify(vq));
	/* Slot 0 of the next lap (counter 0): the ring wraps on the way. */
	r.driver_evt->off_wrap = 1;				/* slot 1, counter 0 */
	complete(0);						/* slot 0, lap 2 */
	CHECK(!virtq_should_notify(vq));
	complete(1);						/* slot 1, lap 2 */
	CHECK(virtq_should_notify(vq));
	while (get_used(&id, &len))
		;
	CHECK_EQ(virtq_stats(vq)->used_irqs, 3);
	CHECK_EQ(virtq_stats(vq)->used_irqs_suppressed, 3);
	/* An offset past the ring: hostile, the queue stops (and the guest is
	 * told, so it can see NEEDS_RESET). */
	r.driver_evt->off_wrap = 4;
	complete(2);
	CHECK(virtq_should_notify(vq));
	CHECK(virtq_is_broken(vq));
	CHECK_EQ(virtq_stats(vq)->violations[VQ_ERR_EVENT_OFF], 1);
}

/* DESC without EVENT_IDX is not allowed to the driver: we notify. */
static void test_desc_without_event_idx(void)
{
	setup_n(4, 0);
	r.driver_evt->off_wrap = 3 | EVT_WRAP;
	r.driver_evt->flags = VRING_PACKED_EVENT_FLAG_DESC;
	complete(0);
	CHECK(virtq_should_notify(vq));
	CHECK_EQ(total_violations(), 0);
}

/* Device Event Suppression: what we ask of the driver's kicks. */
static void test_kick_suppression(void)
{
	struct virtq_chain c;

	setup_n(4, 0);
	/* Whatever guest RAM held there, going ready wrote ENABLE. */
	virtq_reset(vq);
	r.device_evt->flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	r.device_evt->off_wrap = 0xffff;
	virtq_set_size(vq, 4);
	virtq_set_area_addr(vq, VQ_AREA_DESC, TQ_DESC(0));
	virtq_set_area_addr(vq, VQ_AREA_DRIVER, TQ_AVAIL(0));
	virtq_set_area_addr(vq, VQ_AREA_DEVICE, TQ_USED(0));
	CHECK_EQ(virtq_set_ready(vq, mem, PACKED), 0);
	CHECK_EQ(r.device_evt->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	CHECK_EQ(r.device_evt->off_wrap, 0);
	virtq_disable_kicks(vq);
	CHECK_EQ(r.device_evt->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	CHECK(!virtq_enable_kicks(vq));
	CHECK_EQ(r.device_evt->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	virtq_disable_kicks(vq);
	add_one(0, TDATA, 1, true);
	CHECK(virtq_enable_kicks(vq));		/* the re-check sees it */

	setup_n(4, EVIDX);
	for (int i = 0; i < 4; i++) {
		add_one((uint16_t)i, TDATA, 1, true);
		CHECK_EQ(virtq_pop(vq, &c), 1);
		virtq_push(vq, c.head, 1);
	}
	CHECK(!virtq_enable_kicks(vq));
	/* Kick me when slot 0 of lap 2 (counter 0) is made available. */
	CHECK_EQ(r.device_evt->flags, VRING_PACKED_EVENT_FLAG_DESC);
	CHECK_EQ(r.device_evt->off_wrap, 0);
}

static void test_reset_restarts_counters(void)
{
	setup_n(3, 0);
	for (uint16_t i = 0; i < 4; i++)
		complete(i % 3);
	CHECK_EQ(virtq_next_avail(vq), 1);		/* slot 1, counter 0 */
	virtq_reset(vq);
	virtq_set_size(vq, 3);
	virtq_set_area_addr(vq, VQ_AREA_DESC, TQ_DESC(0));
	virtq_set_area_addr(vq, VQ_AREA_DRIVER, TQ_AVAIL(0));
	virtq_set_area_addr(vq, VQ_AREA_DEVICE, TQ_USED(0));
	CHECK_EQ(virtq_set_ready(vq, mem, PACKED), 0);
	CHECK_EQ(virtq_next_avail(vq), EVT_WRAP);
	/* QueueReady 0 -> 1 keeps the position and the counters. */
	virtq_set_next_avail(vq, 2);
	virtq_clear_ready(vq);
	CHECK_EQ(virtq_set_ready(vq, mem, PACKED), 0);
	CHECK_EQ(virtq_next_avail(vq), 2);
}

static int handled;

static int handle(void *ctx, uint16_t q, const struct virtq_chain *c, uint32_t *written)
{
	uint8_t status = 0;

	(void)ctx;
	(void)q;
	handled++;
	*written = (uint32_t)virtq_chain_write(c, 0, &status, 1);
	return 0;
}

static const struct virtio_dev_ops dev_ops = { .handle_chain = handle };

/* Through the transport: RING_PACKED offered and negotiated, a queue of a
 * size that is no power of two goes ready, a kick is served. Without the
 * feature the same size is refused. */
static void test_transport(void)
{
	struct virtio_mmio_cfg cfg = {
		.device_id = 42, .num_queues = 1, .queue_size_max = 256, .ops = &dev_ops,
	};
	struct virtio_mmio_dev *dev;
	uint64_t f;
	uint16_t id;
	uint32_t len;

	setup_n(100, 0);		/* for r's views; the queue itself is the device's */
	virtq_destroy(vq);
	vq = NULL;
	cfg.mem = mem;
	TEST_ASSERT(virtio_mmio__create(&cfg, &dev) == 0, "create");
	mmio_wr(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)mmio_rd(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	CHECK(f & PACKED);
	TEST_ASSERT(tdrv_negotiate(dev, (1ull << VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK,
		    "split");
	tdrv_queue(dev, 0, 100);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 0);	/* split needs 2^n */
	TEST_ASSERT(tdrv_negotiate(dev, (1ull << VIRTIO_F_VERSION_1) | PACKED) &
		    VIRTIO_CONFIG_S_FEATURES_OK, "packed");
	tdrv_queue(dev, 0, 100);
	CHECK_EQ(mmio_rd(dev, VIRTIO_MMIO_QUEUE_READY), 1);
	tdrv_driver_ok(dev);
	handled = 0;
	add_one(7, TDATA, 1, true);
	mmio_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(handled, 1);
	CHECK(get_used(&id, &len));
	CHECK_EQ(id, 7);
	CHECK_EQ(len, 1);
	CHECK(mmio_rd(dev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
	CHECK(!(mmio_rd(dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	virtio_mmio__destroy(dev);
}

int main(void)
{
	struct ktap_case cases[] = {
		KTAP_CASE(test_ready_rules),
		KTAP_CASE(test_pop_list),
		KTAP_CASE(test_wrap_counters),
		KTAP_CASE(test_out_of_order),
		KTAP_CASE(test_indirect),
		KTAP_CASE(test_hostile_id),
		KTAP_CASE(test_hostile_list_flags),
		KTAP_CASE(test_hostile_endless_list),
		KTAP_CASE(test_hostile_layouts),
		KTAP_CASE(test_used_event_suppression),
		KTAP_CASE(test_desc_without_event_idx),
		KTAP_CASE(test_kick_suppression),
		KTAP_CASE(test_reset_restarts_counters),
		KTAP_CASE(test_transport),
	};
	int rc = KTAP_RUN(cases);

	virtq_destroy(vq);
	if (mem)
		tmem_free(mem);
	return rc;
}
