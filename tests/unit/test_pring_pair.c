// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's packed-ring producer (guest/vring_packed.c) against the
 * host's packed ring (harness/virtq_packed.c), in one host buffer that
 * stands for guest RAM: every request's answer checked, at ring sizes that
 * are and are not powers of two, with and without EVENT_IDX and indirect
 * tables, in order and out of order, kicks and interrupts decided by both
 * event suppression structures as the real paths decide them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "guest_mem.h"
#include "guest_virtio.h"
#include "virtqueue.h"

#define RAM_BYTES	(4u << 20)
#define REQ_GPA		(1u << 20)
#define PACKED		(1ULL << VIRTIO_F_RING_PACKED)
#define F_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)

struct preq {
	struct vring_packed_desc table[3];
	uint64_t seq;			/* device-readable */
	uint64_t answer;		/* device-writable */
	uint8_t status;
	uint8_t pad[7];
};

struct ppair {
	struct guest_mem mem;
	struct vring_pdrv q;
	struct vring_pdrv_id *ids;
	struct virtq *vq;
	struct preq *reqs;
	uint32_t *free_reqs;
	unsigned int nfree, num;
	uint64_t features, next_seq, completed;
	bool drv_err;
};

static void pp_init(struct ppair *p, unsigned int num, uint64_t features)
{
	p->mem.hva = aligned_alloc(4096, RAM_BYTES);
	p->mem.size_bytes = RAM_BYTES;
	TEST_ASSERT(p->mem.hva, "aligned_alloc");
	memset(p->mem.hva, 0x5a, RAM_BYTES);	/* nothing may rely on zeroed RAM */
	p->ids = calloc(num, sizeof(*p->ids));
	p->free_reqs = calloc(num, sizeof(*p->free_reqs));
	TEST_ASSERT(p->ids && p->free_reqs, "calloc");
	p->num = num;
	p->features = features;
	TEST_ASSERT(vring_pdrv_init(&p->q, num, p->mem.hva + 4096, p->ids,
				    (uintptr_t)p->mem.hva, features) == 0, "vring_pdrv_init");
	TEST_ASSERT(4096 + vring_pdrv_mem_bytes(num) <= REQ_GPA, "ring too big");
	p->reqs = (struct preq *)(p->mem.hva + REQ_GPA);
	for (unsigned int i = 0; i < num; i++)
		p->free_reqs[i] = num - 1 - i;
	p->nfree = num;
	p->next_seq = p->completed = 0;
	p->drv_err = false;
	p->vq = virtq_new(VRING_MAX_SIZE);
	TEST_ASSERT(p->vq, "virtq_new");
	virtq_set_size(p->vq, num);
	virtq_set_area_addr(p->vq, VQ_AREA_DESC, vring_pdrv_desc_addr(&p->q));
	virtq_set_area_addr(p->vq, VQ_AREA_DRIVER, vring_pdrv_driver_addr(&p->q));
	virtq_set_area_addr(p->vq, VQ_AREA_DEVICE, vring_pdrv_device_addr(&p->q));
	TEST_ASSERT(virtq_set_ready(p->vq, &p->mem, PACKED | features) == 0, "virtq_set_ready");
}

static uint64_t violations(const struct ppair *p)
{
	uint64_t n = 0;

	for (int i = 0; i < VQ_ERR_NR; i++)
		n += virtq_stats(p->vq)->violations[i];
	return n;
}

static void pp_fini(struct ppair *p)
{
	CHECK_EQ(violations(p), 0);
	CHECK(!virtq_is_broken(p->vq));
	virtq_destroy(p->vq);
	free(p->ids);
	free(p->free_reqs);
	free(p->mem.hva);
}

/* Driver: one request (readable seq, writable answer and status), through
 * an indirect table on every third when negotiated. 0 or -ENOSPC. */
static int drv_submit(struct ppair *p)
{
	bool ind = (p->features & F_INDIRECT) && p->next_seq % 3 == 0;
	struct vring_sg sg[3];
	struct preq *r;
	int rc;

	if (!p->nfree)
		return -ENOSPC;
	r = &p->reqs[p->free_reqs[p->nfree - 1]];
	r->seq = p->next_seq;
	r->answer = ~0ull;
	r->status = 0xff;
	sg[0] = (struct vring_sg){ &r->seq, sizeof(r->seq) };
	sg[1] = (struct vring_sg){ &r->answer, sizeof(r->answer) };
	sg[2] = (struct vring_sg){ &r->status, 1 };
	rc = vring_pdrv_add(&p->q, sg, 1, 2, r, ind ? r->table : NULL);
	if (rc < 0)
		return rc;
	p->nfree--;
	p->next_seq++;
	return 0;
}

static unsigned int drv_collect(struct ppair *p)
{
	unsigned int n = 0;
	void *cookie;
	uint32_t len;
	int rc;

	while ((rc = vring_pdrv_pop_used(&p->q, &cookie, &len)) == 1) {
		struct preq *r = cookie;

		CHECK_EQ(len, 9);
		CHECK_EQ(r->answer, r->seq * 3 + 1);
		CHECK_EQ(r->status, 0);
		p->free_reqs[p->nfree++] = (uint32_t)(r - p->reqs);
		p->completed++;
		n++;
	}
	if (rc < 0 && !p->drv_err) {
		CHECK_EQ(rc, 0);
		p->drv_err = true;
	}
	return n;
}

static void dev_serve(const struct virtq_chain *c)
{
	uint64_t seq = 0, answer;
	uint8_t status = 0;

	CHECK_EQ(c->n_out, 1);
	CHECK_EQ(c->n_in, 2);
	CHECK_EQ(virtq_chain_read(c, 0, &seq, sizeof(seq)), sizeof(seq));
	answer = seq * 3 + 1;
	CHECK_EQ(virtq_chain_write(c, 0, &answer, sizeof(answer)), sizeof(answer));
	CHECK_EQ(virtq_chain_write(c, 8, &status, 1), 1);
}

/* Device, as the transport's process_queue(): kicks off while draining,
 * on again with the re-check; reversed pairs when out_of_order. */
static void dev_process(struct ppair *p, bool out_of_order)
{
	struct virtq_chain c;
	uint16_t held = 0;
	bool holding = false;

	do {
		virtq_disable_kicks(p->vq);
		while (virtq_pop(p->vq, &c) == 1) {
			dev_serve(&c);
			if (out_of_order && !holding) {
				held = c.head;
				holding = true;
				continue;
			}
			virtq_push(p->vq, c.head, 9);
			if (holding) {
				virtq_push(p->vq, held, 9);
				holding = false;
			}
		}
	} while (virtq_enable_kicks(p->vq));
	if (holding)
		virtq_push(p->vq, held, 9);
}

/*
 * Batches of `batch`; the device runs only when the driver's kick decision
 * says so, the driver collects only on an interrupt decision or when it
 * runs out of room (polling with callbacks off when !irqs). A lost kick or
 * interrupt shows as no progress.
 */
static void run_stream(unsigned int num, unsigned int batch, uint64_t total, uint64_t features,
		       bool irqs, bool out_of_order)
{
	struct ppair p;
	unsigned int stalls = 0;

	pp_init(&p, num, features);
	if (!irqs)
		vring_pdrv_disable_cb(&p.q);
	while (p.completed < total && stalls < 3) {
		uint64_t seq0 = p.next_seq, done0 = p.completed;
		bool irq = false, full = false;

		for (unsigned int k = 0; k < batch && p.next_seq < total; k++)
			if (drv_submit(&p)) {
				full = true;
				break;
			}
		if (vring_pdrv_kick_prepare(&p.q))
			dev_process(&p, out_of_order);
		if (virtq_should_notify(p.vq))
			irq = true;
		if (irq || !irqs || full || p.next_seq == total)
			drv_collect(&p);
		stalls = p.next_seq != seq0 || p.completed != done0 ? 0 : stalls + 1;
		if (irqs)
			vring_pdrv_enable_cb_after(&p.q, 1);
		if (violations(&p) || p.drv_err)
			break;
	}
	CHECK_EQ(p.completed, total);
	CHECK_EQ(vring_pdrv_num_free(&p.q), num);
	ktap_diag("size %u batch %u features 0x%llx%s%s: kicks %llu (suppressed %llu), irqs %llu "
		  "(suppressed %llu)", num, batch, (unsigned long long)features,
		  irqs ? " irqs" : " polled", out_of_order ? " out-of-order" : "",
		  (unsigned long long)p.q.kicks, (unsigned long long)p.q.kicks_suppressed,
		  (unsigned long long)virtq_stats(p.vq)->used_irqs,
		  (unsigned long long)virtq_stats(p.vq)->used_irqs_suppressed);
	pp_fini(&p);
}

static void test_stream_sizes(void)
{
	/* A request is a list of three, and no list may be longer than the
	 * queue (2.8.18), indirect or not: 3 is the smallest ring. */
	static const unsigned int sizes[] = { 3, 4, 5, 16, 100, 256 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run_stream(sizes[i], 1, 3000, 0, true, false);
		run_stream(sizes[i], sizes[i], 3000, F_EVENT_IDX, true, false);
	}
}

static void test_stream_features(void)
{
	static const uint64_t feats[] = { 0, F_EVENT_IDX, F_INDIRECT, F_EVENT_IDX | F_INDIRECT };

	for (unsigned int i = 0; i < 4; i++) {
		run_stream(7, 3, 5000, feats[i], true, false);
		run_stream(7, 3, 5000, feats[i], false, false);
		run_stream(16, 16, 5000, feats[i], true, true);
	}
}

/* Suppression works, exactly: with EVENT_IDX, batches of 8 requests (24
 * slots) on a 64 ring, a kick decision after every add and an interrupt
 * decision after every completion (the device signals per chain). The
 * device's event is at the batch's first slot and the driver's at its last,
 * so each batch is one kick and one interrupt, the other seven of each
 * suppressed. */
static void test_suppression_counts(void)
{
	const uint64_t batches = 512, total = batches * 8;
	uint64_t irqs = 0, quiet = 0;
	struct virtq_chain c;
	struct ppair p;

	pp_init(&p, 64, F_EVENT_IDX);
	vring_pdrv_enable_cb_after(&p.q, 24);
	while (p.completed < total) {
		bool kick = false;

		for (unsigned int k = 0; k < 8; k++) {
			TEST_ASSERT(drv_submit(&p) == 0, "submit");
			kick |= vring_pdrv_kick_prepare(&p.q);
		}
		TEST_ASSERT(kick, "no kick for a batch: the device would never run");
		virtq_disable_kicks(p.vq);
		while (virtq_pop(p.vq, &c) == 1) {
			dev_serve(&c);
			virtq_push(p.vq, c.head, 9);
			if (virtq_should_notify(p.vq))
				irqs++;
			else
				quiet++;
		}
		TEST_ASSERT(!virtq_enable_kicks(p.vq), "nothing left");
		TEST_ASSERT(drv_collect(&p) == 8, "a batch completes");
		vring_pdrv_enable_cb_after(&p.q, 24);
	}
	CHECK_EQ(p.q.kicks, batches);
	CHECK_EQ(p.q.kicks_suppressed, batches * 7);
	CHECK_EQ(irqs, batches);
	CHECK_EQ(quiet, batches * 7);
	CHECK_EQ(virtq_stats(p.vq)->used_irqs, batches);
	CHECK_EQ(virtq_stats(p.vq)->used_irqs_suppressed, batches * 7);
	pp_fini(&p);
}

/* The driver refuses a used descriptor naming an id not in flight. */
static void test_driver_refuses_bad_id(void)
{
	struct ppair p;
	void *cookie;
	uint32_t len;

	pp_init(&p, 4, 0);
	TEST_ASSERT(drv_submit(&p) == 0, "submit");
	p.q.desc[0].id = 3;		/* "used" with an id never handed out */
	p.q.desc[0].flags = (1u << VRING_PACKED_DESC_F_AVAIL) | (1u << VRING_PACKED_DESC_F_USED);
	CHECK_EQ(vring_pdrv_pop_used(&p.q, &cookie, &len), -EIO);
	virtq_destroy(p.vq);
	free(p.ids);
	free(p.free_reqs);
	free(p.mem.hva);
}

/* Notification data (VIRTIO_F_NOTIFICATION_DATA): index, next slot, wrap. */
static void test_notify_data(void)
{
	struct ppair p;

	pp_init(&p, 4, 0);
	p.q.queue_index = 1;
	CHECK_EQ(vring_pdrv_notify_data(&p.q), 1u | 0u << 16 | 1u << 31);
	TEST_ASSERT(drv_submit(&p) == 0, "submit");	/* slots 0..2 */
	CHECK_EQ(vring_pdrv_notify_data(&p.q), 1u | 3u << 16 | 1u << 31);
	dev_process(&p, false);
	CHECK_EQ(drv_collect(&p), 1);
	TEST_ASSERT(drv_submit(&p) == 0, "submit");	/* slots 3, 0, 1: wrapped */
	CHECK_EQ(vring_pdrv_notify_data(&p.q), 1u | 2u << 16 | 0u << 31);
	dev_process(&p, false);
	drv_collect(&p);
	pp_fini(&p);
}

int main(void)
{
	struct ktap_case cases[] = {
		KTAP_CASE(test_stream_sizes),
		KTAP_CASE(test_stream_features),
		KTAP_CASE(test_suppression_counts),
		KTAP_CASE(test_driver_refuses_bad_id),
		KTAP_CASE(test_notify_data),
	};

	return KTAP_RUN(cases);
}
