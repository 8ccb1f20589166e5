// SPDX-License-Identifier: GPL-2.0
/*
 * Device side of the split ring, driven directly: every guest-controlled
 * violation of checklist item 18, used-ring publication and notification
 * suppression (item 19), and 16-bit index wrap-around.
 */
#include <errno.h>

#include "test_util.h"
#include "../virtio_test.h"

#define QS 8

static struct guest_mem *mem;
static struct virtq *vq;
static struct tring r;

static uint64_t features(bool event_idx, bool indirect)
{
	return (event_idx ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0) |
	       (indirect ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0);
}

static void set_areas(struct virtq *q, uint64_t desc, uint64_t avail, uint64_t used)
{
	virtq_set_area_addr(q, VQ_AREA_DESC, desc);
	virtq_set_area_addr(q, VQ_AREA_DRIVER, avail);
	virtq_set_area_addr(q, VQ_AREA_DEVICE, used);
}

/* A fresh, enabled queue of QS entries on a zeroed ring. */
static void setup(bool event_idx, bool indirect)
{
	if (mem)
		tmem_free(mem);
	virtq_destroy(vq);
	mem = tmem_new(TRAM_BYTES);
	vq = virtq_new(256);
	TEST_ASSERT(vq, "virtq_new");
	virtq_set_size(vq, QS);
	set_areas(vq, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));
	TEST_ASSERT(virtq_set_ready(vq, mem, features(event_idx, indirect)) == 0, "enable");
	tring_init(&r, mem, 0, QS);
}

static uint64_t total_violations(void)
{
	uint64_t n = 0;

	for (int i = 0; i < VQ_ERR_NR; i++)
		n += virtq_stats(vq)->violations[i];
	return n;
}

/* Expect the next pop to be refused for reason e, and the queue to stay stopped. */
static void expect_violation(enum virtq_err e)
{
	struct virtq_chain c;

	CHECK_EQ(virtq_pop(vq, &c), -EIO);
	CHECK(virtq_is_broken(vq));
	CHECK_EQ(virtq_stats(vq)->violations[e], 1);
	CHECK_EQ(total_violations(), 1);
	CHECK_EQ(virtq_pop(vq, &c), -EIO);
	CHECK_EQ(virtq_stats(vq)->chains_popped, 0);
}

static void test_enable_checks(void)
{
	setup(false, false);
	struct virtq *q = virtq_new(256);

	TEST_ASSERT(q, "virtq_new");
	set_areas(q, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));
	virtq_set_size(q, 0);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	virtq_set_size(q, 512);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	virtq_set_size(q, 6);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	/* QueueNum keeps all 32 bits as written: 0x10008 is not 8. */
	virtq_set_size(q, 0x10008);
	CHECK_EQ(virtq_size(q), 0x10008);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	virtq_set_size(q, 8);
	set_areas(q, TQ_DESC(0) + 8, TQ_AVAIL(0), TQ_USED(0));
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	set_areas(q, TQ_DESC(0), TQ_AVAIL(0) + 1, TQ_USED(0));
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	set_areas(q, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0) + 2);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	/* Each area must lie wholly inside guest RAM. */
	set_areas(q, TQ_DESC(0), TQ_AVAIL(0), TRAM_BYTES - virtq_used_bytes(8) + 4);
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	set_areas(q, 0xfffffffffffffff0ull, TQ_AVAIL(0), TQ_USED(0));
	CHECK_EQ(virtq_set_ready(q, mem, 0), -EINVAL);
	set_areas(q, TQ_DESC(0), TQ_AVAIL(0), TQ_USED(0));
	CHECK(!virtq_is_ready(q));
	CHECK_EQ(virtq_set_ready(q, mem, 0), 0);
	CHECK(virtq_is_ready(q));
	/* Configuration is frozen while ready. */
	CHECK_EQ(virtq_set_size(q, 4), -EBUSY);
	CHECK_EQ(virtq_set_area_addr(q, VQ_AREA_DESC, 0), -EBUSY);
	CHECK_EQ(virtq_size(q), 8);
	CHECK_EQ(virtq_area_addr(q, VQ_AREA_DESC), TQ_DESC(0));
	virtq_clear_ready(q);
	CHECK(!virtq_is_ready(q));
	CHECK_EQ(virtq_set_size(q, 4), 0);
	virtq_destroy(q);
}

static void test_pop_simple_chain(void)
{
	struct virtq_chain c;

	setup(false, false);
	CHECK_EQ(virtq_pop(vq, &c), 0);	/* empty ring */
	tring_desc(&r, 3, TDATA, 16, VRING_DESC_F_NEXT, 5);
	tring_desc(&r, 5, TDATA + 16, 100, VRING_DESC_F_NEXT, 1);
	tring_desc(&r, 1, TDATA + 200, 7, VRING_DESC_F_WRITE, 0);
	tring_add(&r, 3);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(c.head, 3);
	CHECK_EQ(c.n_out, 2);
	CHECK_EQ(c.n_in, 1);
	CHECK_EQ(c.out_bytes, 116);
	CHECK_EQ(c.in_bytes, 7);
	CHECK(c.bufs[0].hva == tgpa(mem, TDATA));
	CHECK(c.bufs[2].writable);
	CHECK_EQ(virtq_pop(vq, &c), 0);
	CHECK_EQ(total_violations(), 0);
}

static void test_avail_idx_too_far(void)
{
	setup(false, false);
	tring_desc(&r, 0, TDATA, 1, 0, 0);
	__atomic_store_n(&r.avail->idx, QS + 1, __ATOMIC_RELEASE);
	expect_violation(VQ_ERR_AVAIL_IDX);
}

static void test_avail_idx_exactly_size_ok(void)
{
	struct virtq_chain c;

	setup(false, false);
	for (int i = 0; i < QS; i++) {
		tring_desc(&r, i, TDATA, 1, 0, 0);
		tring_add(&r, i);
	}
	for (int i = 0; i < QS; i++)
		CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(virtq_pop(vq, &c), 0);
	CHECK_EQ(total_violations(), 0);
}

static void test_head_out_of_range(void)
{
	setup(false, false);
	tring_add(&r, QS);
	expect_violation(VQ_ERR_HEAD);
}

static void test_next_out_of_range(void)
{
	setup(false, false);
	tring_desc(&r, 0, TDATA, 1, VRING_DESC_F_NEXT, QS);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_NEXT);
}

static void test_loop_detected(void)
{
	setup(false, false);
	tring_desc(&r, 0, TDATA, 1, VRING_DESC_F_NEXT, 1);
	tring_desc(&r, 1, TDATA, 1, VRING_DESC_F_NEXT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_LOOP);
}

static void test_self_loop_detected(void)
{
	setup(false, false);
	tring_desc(&r, 2, TDATA, 1, VRING_DESC_F_NEXT, 2);
	tring_add(&r, 2);
	expect_violation(VQ_ERR_LOOP);
}

static void test_chain_of_full_size_ok(void)
{
	struct virtq_chain c;

	setup(false, false);
	for (int i = 0; i < QS; i++)
		tring_desc(&r, i, TDATA, 4, i < QS - 1 ? VRING_DESC_F_NEXT : 0, i + 1);
	tring_add(&r, 0);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(c.n_out, QS);
}

static void test_indirect_not_negotiated(void)
{
	setup(false, false);
	tring_desc(&r, 0, TDATA, 32, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_INDIRECT_OFF);
}

static void test_indirect_bad_len(void)
{
	setup(false, true);
	tring_desc(&r, 0, TDATA, 0, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_INDIRECT_LEN);

	setup(false, true);
	tring_desc(&r, 0, TDATA, 24, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_INDIRECT_LEN);
}

static void test_indirect_nested(void)
{
	struct vring_desc *t;

	setup(false, true);
	t = tgpa(mem, TDATA);
	t[0] = (struct vring_desc){ .addr = TDATA + 0x100, .len = 16, .flags = VRING_DESC_F_INDIRECT };
	tring_desc(&r, 0, TDATA, 16, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_INDIRECT_NESTED);
}

static void test_indirect_with_next(void)
{
	setup(false, true);
	tring_desc(&r, 0, TDATA, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	tring_desc(&r, 1, TDATA, 1, 0, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_INDIRECT_NEXT);
}

static void test_indirect_outside_ram(void)
{
	setup(false, true);
	tring_desc(&r, 0, TRAM_BYTES - 16, 32, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_ADDR);
}

static void test_indirect_ok(void)
{
	struct virtq_chain c;
	struct vring_desc *t;

	setup(false, true);
	/* Direct descriptor, then an indirect table with three entries; the
	 * table deliberately sits at an address that is not 16-byte aligned. */
	t = tgpa(mem, TDATA + 0x1008);
	t[0] = (struct vring_desc){ .addr = TDATA, .len = 10, .flags = VRING_DESC_F_NEXT, .next = 2 };
	t[2] = (struct vring_desc){ .addr = TDATA + 64, .len = 20, .flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, .next = 1 };
	t[1] = (struct vring_desc){ .addr = TDATA + 128, .len = 1, .flags = VRING_DESC_F_WRITE };
	tring_desc(&r, 4, TDATA + 512, 16, VRING_DESC_F_NEXT, 6);
	tring_desc(&r, 6, TDATA + 0x1008, 48, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 4);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(c.head, 4);
	CHECK_EQ(c.n_out, 2);
	CHECK_EQ(c.n_in, 2);
	CHECK_EQ(c.out_bytes, 26);
	CHECK_EQ(c.in_bytes, 21);
	CHECK_EQ(total_violations(), 0);
}

static void test_indirect_loop_detected(void)
{
	struct vring_desc *t;

	setup(false, true);
	t = tgpa(mem, TDATA);
	t[0] = (struct vring_desc){ .addr = TDATA + 0x100, .len = 1, .flags = VRING_DESC_F_NEXT, .next = 1 };
	t[1] = (struct vring_desc){ .addr = TDATA + 0x100, .len = 1, .flags = VRING_DESC_F_NEXT, .next = 0 };
	tring_desc(&r, 0, TDATA, 32, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_LOOP);
}

static void test_indirect_next_out_of_table(void)
{
	struct vring_desc *t;

	setup(false, true);
	t = tgpa(mem, TDATA);
	t[0] = (struct vring_desc){ .addr = TDATA + 0x100, .len = 1, .flags = VRING_DESC_F_NEXT, .next = 2 };
	tring_desc(&r, 0, TDATA, 32, VRING_DESC_F_INDIRECT, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_NEXT);
}

static void test_readable_after_writable(void)
{
	setup(false, false);
	tring_desc(&r, 0, TDATA, 4, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	tring_desc(&r, 1, TDATA + 4, 4, 0, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_ORDER);
}

static void test_buffer_outside_ram(void)
{
	setup(false, false);
	tring_desc(&r, 0, TRAM_BYTES - 4, 5, 0, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_ADDR);

	/* addr + len wrapping around 2^64 must not look small. */
	setup(false, false);
	tring_desc(&r, 0, 0xfffffffffffffff0ull, 0x20, 0, 0);
	tring_add(&r, 0);
	expect_violation(VQ_ERR_ADDR);
}

static void test_buffer_ending_at_ram_end_ok(void)
{
	struct virtq_chain c;

	setup(false, false);
	tring_desc(&r, 0, TRAM_BYTES - 4, 4, VRING_DESC_F_WRITE, 0);
	tring_add(&r, 0);
	CHECK_EQ(virtq_pop(vq, &c), 1);
}

static void test_chain_write_skips_readable(void)
{
	struct virtq_chain c;
	uint8_t src[32], *ro = tgpa(mem, TDATA), *rw;
	size_t n;

	setup(false, false);
	ro = tgpa(mem, TDATA);
	rw = tgpa(mem, TDATA + 64);
	memset(ro, 0xaa, 16);
	memset(src, 0x55, sizeof(src));
	tring_desc(&r, 0, TDATA, 16, VRING_DESC_F_NEXT, 1);
	tring_desc(&r, 1, TDATA + 64, 8, VRING_DESC_F_WRITE, 0);
	tring_add(&r, 0);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	n = virtq_chain_write(&c, 0, src, sizeof(src));
	CHECK_EQ(n, 8);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(ro[i], 0xaa);
	CHECK_EQ(rw[7], 0x55);
	CHECK_EQ(rw[8], 0);
	n = virtq_chain_read(&c, 4, src, sizeof(src));
	CHECK_EQ(n, 12);
	CHECK_EQ(src[0], 0xaa);
}

static void test_used_ring_publish(void)
{
	struct virtq_chain c;
	uint32_t id = 0, len = 0;

	setup(false, false);
	tring_desc(&r, 5, TDATA, 8, VRING_DESC_F_WRITE, 0);
	tring_add(&r, 5);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK(!tring_used(&r, &id, &len));
	virtq_push(vq, c.head, 8);
	CHECK(tring_used(&r, &id, &len));
	CHECK_EQ(id, 5);
	CHECK_EQ(len, 8);
	CHECK_EQ(r.used->idx, 1);
	CHECK_EQ(virtq_stats(vq)->chains_completed, 1);
}

static void test_index_wraparound(void)
{
	struct virtq_chain c;
	uint32_t id = 0, len = 0, got = 0;

	setup(false, false);
	/* Both sides start just below 2^16, as after a long run. */
	virtq_set_next_avail(vq, 65530);
	virtq_set_next_used(vq, 65530);
	r.avail_idx = r.last_used = 65530;
	r.avail->idx = r.used->idx = 65530;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < QS; i++) {
			tring_desc(&r, i, TDATA + 8 * i, 8, VRING_DESC_F_WRITE, 0);
			tring_add(&r, i);
		}
		for (int i = 0; i < QS; i++) {
			CHECK_EQ(virtq_pop(vq, &c), 1);
			CHECK_EQ(c.head, i);
			virtq_push(vq, c.head, 8);
		}
		CHECK_EQ(virtq_pop(vq, &c), 0);
		while (tring_used(&r, &id, &len))
			CHECK_EQ(id, got++ % QS);
	}
	CHECK_EQ(got, 4 * QS);
	CHECK_EQ(r.used->idx, (uint16_t)(65530 + 4 * QS));
	CHECK_EQ(total_violations(), 0);
}

static void complete_one(uint16_t head)
{
	struct virtq_chain c;

	tring_desc(&r, head, TDATA, 1, VRING_DESC_F_WRITE, 0);
	tring_add(&r, head);
	TEST_ASSERT(virtq_pop(vq, &c) == 1, "pop");
	virtq_push(vq, c.head, 1);
}

static void test_no_interrupt_flag(void)
{
	setup(false, false);
	CHECK(!virtq_should_notify(vq));	/* nothing pushed */
	complete_one(0);
	CHECK(virtq_should_notify(vq));
	r.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	complete_one(1);
	CHECK(!virtq_should_notify(vq));
	CHECK_EQ(virtq_stats(vq)->used_irqs, 1);
	CHECK_EQ(virtq_stats(vq)->used_irqs_suppressed, 1);
	r.avail->flags = 0;
	complete_one(2);
	CHECK(virtq_should_notify(vq));
}

/* The area sizes QueueReady validates: the spec's table (virtio 1.x, 2.7),
 * and together what <linux/virtio_ring.h>'s vring_size() gives unpadded. */
static void test_ring_area_sizes(void)
{
	static const uint16_t sizes[] = { 1, 2, 16, 256, 4096, 32768 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = sizes[i];

		CHECK_EQ(virtq_desc_bytes(n), 16 * n);
		CHECK_EQ(virtq_avail_bytes(n), 6 + 2 * n);
		CHECK_EQ(virtq_used_bytes(n), 6 + 8 * n);
		CHECK_EQ(virtq_desc_bytes(n) + virtq_avail_bytes(n) + virtq_used_bytes(n),
			 vring_size(n, 1));
	}
}

static void test_event_idx_math(void)
{
	/* (u16)(new - event - 1) < (u16)(new - old) */
	CHECK(vring_need_event(0, 1, 0));
	CHECK(!vring_need_event(1, 1, 0));
	CHECK(vring_need_event(1, 2, 0));
	CHECK(vring_need_event(4, 8, 4));
	CHECK(!vring_need_event(8, 8, 4));
	CHECK(!vring_need_event(3, 8, 4));
	CHECK(vring_need_event(65535, 2, 65534));	/* across the wrap */
	CHECK(!vring_need_event(2, 2, 65534));
	CHECK(!vring_need_event(5, 5, 5));		/* nothing new */
}

static void test_event_idx_suppression(void)
{
	setup(true, false);
	/* Guest wants an interrupt once used.idx passes 2 (i.e. reaches 3). */
	*tring_used_event(&r) = 2;
	complete_one(0);
	CHECK(!virtq_should_notify(vq));	/* used 1 */
	complete_one(1);
	CHECK(!virtq_should_notify(vq));	/* used 2 */
	complete_one(2);
	CHECK(virtq_should_notify(vq));	/* used 3 crosses 2 */
	complete_one(3);
	CHECK(!virtq_should_notify(vq));	/* used_event stale */
	/* A batch that jumps over used_event still notifies. */
	*tring_used_event(&r) = 5;
	complete_one(4);
	complete_one(5);
	complete_one(6);
	CHECK(virtq_should_notify(vq));
	CHECK_EQ(virtq_stats(vq)->used_irqs, 2);
	CHECK_EQ(virtq_stats(vq)->used_irqs_suppressed, 3);
	/* NO_INTERRUPT is ignored once EVENT_IDX is negotiated. */
	r.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*tring_used_event(&r) = 7;
	complete_one(7);
	CHECK(virtq_should_notify(vq));
}

static void test_kick_suppression_flags(void)
{
	setup(false, false);
	virtq_disable_kicks(vq);
	CHECK_EQ(r.used->flags, VRING_USED_F_NO_NOTIFY);
	CHECK(!virtq_enable_kicks(vq));
	CHECK_EQ(r.used->flags, 0);
	/* A buffer that arrived while kicks were off is reported by the re-check. */
	virtq_disable_kicks(vq);
	tring_desc(&r, 0, TDATA, 1, 0, 0);
	tring_add(&r, 0);
	CHECK(virtq_enable_kicks(vq));
}

static void test_kick_suppression_event_idx(void)
{
	struct virtq_chain c;

	setup(true, false);
	virtq_disable_kicks(vq);
	CHECK_EQ(r.used->flags, 0);		/* flag unused with EVENT_IDX */
	tring_desc(&r, 0, TDATA, 1, 0, 0);
	tring_add(&r, 0);
	tring_add(&r, 0);
	CHECK(virtq_enable_kicks(vq));		/* re-check sees them */
	CHECK_EQ(*tring_avail_event(&r), 0);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK_EQ(virtq_pop(vq, &c), 1);
	CHECK(!virtq_enable_kicks(vq));
	CHECK_EQ(*tring_avail_event(&r), 2);	/* kick me when idx passes 2 */
}

static void test_reset_clears_broken(void)
{
	struct virtq_chain c;

	setup(false, false);
	tring_add(&r, QS);
	CHECK_EQ(virtq_pop(vq, &c), -EIO);
	virtq_reset(vq);
	CHECK(!virtq_is_broken(vq));
	CHECK(!virtq_is_ready(vq));
	CHECK_EQ(virtq_size(vq), 0);
	CHECK_EQ(virtq_next_avail(vq), 0);
	CHECK_EQ(virtq_area_addr(vq, VQ_AREA_DESC), 0);
	CHECK_EQ(virtq_pop(vq, &c), 0);	/* not ready: nothing consumed */
}

static void test_guest_rewrites_ring_mid_flight(void)
{
	struct virtq_chain c;

	/* Garbage everywhere in the descriptor table: refused or accepted,
	 * but never a read outside RAM (ASan watches) or a crash. */
	for (int seed = 1; seed < 200; seed++) {
		setup(seed & 1, seed & 2);
		srand(seed);
		for (size_t i = 0; i < QS * sizeof(struct vring_desc); i++)
			((uint8_t *)r.desc)[i] = rand();
		for (int i = 0; i < QS; i++)
			r.desc[i].addr %= TRAM_BYTES + 64;
		for (int i = 0; i < 3; i++)
			tring_add(&r, rand() % (QS + 1));
		while (virtq_pop(vq, &c) > 0)
			virtq_push(vq, c.head, 0);
	}
	CHECK(1);
}

int main(void)
{
	struct ktap_case cases[] = {
		KTAP_CASE(test_enable_checks),
		KTAP_CASE(test_pop_simple_chain),
		KTAP_CASE(test_avail_idx_too_far),
		KTAP_CASE(test_avail_idx_exactly_size_ok),
		KTAP_CASE(test_head_out_of_range),
		KTAP_CASE(test_next_out_of_range),
		KTAP_CASE(test_loop_detected),
		KTAP_CASE(test_self_loop_detected),
		KTAP_CASE(test_chain_of_full_size_ok),
		KTAP_CASE(test_indirect_not_negotiated),
		KTAP_CASE(test_indirect_bad_len),
		KTAP_CASE(test_indirect_nested),
		KTAP_CASE(test_indirect_with_next),
		KTAP_CASE(test_indirect_outside_ram),
		KTAP_CASE(test_indirect_ok),
		KTAP_CASE(test_indirect_loop_detected),
		KTAP_CASE(test_indirect_next_out_of_table),
		KTAP_CASE(test_readable_after_writable),
		KTAP_CASE(test_buffer_outside_ram),
		KTAP_CASE(test_buffer_ending_at_ram_end_ok),
		KTAP_CASE(test_chain_write_skips_readable),
		KTAP_CASE(test_used_ring_publish),
		KTAP_CASE(test_index_wraparound),
		KTAP_CASE(test_no_interrupt_flag),
		KTAP_CASE(test_ring_area_sizes),
		KTAP_CASE(test_event_idx_math),
		KTAP_CASE(test_event_idx_suppression),
		KTAP_CASE(test_kick_suppression_flags),
		KTAP_CASE(test_kick_suppression_event_idx),
		KTAP_CASE(test_reset_clears_broken),
		KTAP_CASE(test_guest_rewrites_ring_mid_flight),
	};
	int rc = KTAP_RUN(cases);

	virtq_destroy(vq);
	vq = NULL;
	if (mem)
		tmem_free(mem);
	return rc;
}
