// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's split-ring producer (guest/vring.c) against the real device
 * side (harness/virtqueue.c) in one host buffer standing for guest RAM: the
 * driver runs with dma_offset = the buffer's base, the device reaches the
 * rings only through the guest-physical addresses and gmem_ptr(). Any chain
 * the device refuses shows up as a violation counter, so every case also
 * proves the producer never builds a chain a strict device rejects.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest_virtio.h"
#include "guest_mem.h"
#include "virtqueue.h"
#include "test_util.h"

#define RAM_BYTES	(8u << 20)
#define RING_GPA	0x1000ull
#define REQ_GPA		(2ull << 20)	/* request contexts from 2 MiB */

#define F_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)

/* One request in guest RAM: the device reads seq, writes answer + status. */
struct treq {
	struct vring_desc table[3];	/* indirect table (16-byte aligned) */
	uint64_t seq;			/* device-readable */
	uint64_t answer;		/* device-writable */
	uint8_t status;			/* device-writable */
	uint8_t pad[7];
};

struct pair {
	struct guest_mem mem;
	struct vring_drv q;
	struct vring_drv_slot *slots;
	struct virtq *vq;
	struct treq *reqs;		/* num contexts in guest RAM */
	uint32_t *free_reqs;		/* host-side stack of free context indices */
	unsigned int nfree_reqs, num;
	uint64_t features;
	uint64_t next_seq, completed;
	bool drv_err;			/* pop_used failed: stop the run */
};

static void pair_init(struct pair *p, unsigned int num, uint64_t features)
{
	p->mem.hva = aligned_alloc(4096, RAM_BYTES);
	p->mem.size_bytes = RAM_BYTES;
	TEST_ASSERT(p->mem.hva, "aligned_alloc");
	memset(p->mem.hva, 0x5a, RAM_BYTES);	/* nothing may rely on zeroed RAM */
	p->slots = calloc(num, sizeof(*p->slots));
	p->free_reqs = calloc(num, sizeof(*p->free_reqs));
	TEST_ASSERT(p->slots && p->free_reqs, "calloc");
	p->num = num;
	p->features = features;
	TEST_ASSERT(vring_drv_init(&p->q, num, p->mem.hva + RING_GPA, 4096, p->slots,
				   (uintptr_t)p->mem.hva, features) == 0, "vring_drv_init");
	TEST_ASSERT(RING_GPA + vring_drv_mem_bytes(num, 4096) <= REQ_GPA, "ring overlaps");
	TEST_ASSERT(REQ_GPA + num * sizeof(struct treq) <= RAM_BYTES, "RAM too small");
	p->reqs = (struct treq *)(p->mem.hva + REQ_GPA);
	for (unsigned int i = 0; i < num; i++)
		p->free_reqs[i] = num - 1 - i;
	p->nfree_reqs = num;
	p->next_seq = p->completed = 0;
	p->drv_err = false;

	p->vq = virtq_new(VRING_MAX_SIZE);
	TEST_ASSERT(p->vq, "virtq_new");
	virtq_set_size(p->vq, num);
	virtq_set_area_addr(p->vq, VQ_AREA_DESC, vring_drv_desc_addr(&p->q));
	virtq_set_area_addr(p->vq, VQ_AREA_DRIVER, vring_drv_avail_addr(&p->q));
	virtq_set_area_addr(p->vq, VQ_AREA_DEVICE, vring_drv_used_addr(&p->q));
	TEST_ASSERT(virtq_set_ready(p->vq, &p->mem, features) == 0, "virtq_set_ready");
}

static uint64_t violations(const struct pair *p)
{
	uint64_t n = 0;

	for (int i = 0; i < VQ_ERR_NR; i++)
		n += virtq_stats(p->vq)->violations[i];
	return n;
}

static void pair_fini(struct pair *p)
{
	CHECK_EQ(violations(p), 0);
	CHECK(!virtq_is_broken(p->vq));
	virtq_destroy(p->vq);
	free(p->slots);
	free(p->free_reqs);
	free(p->mem.hva);
}

/* Driver: queue one request (header-like readable seq, writable answer and
 * status), indirect on every third when negotiated. 0 or -ENOSPC. */
static int drv_submit(struct pair *p)
{
	struct vring_sg sg[3];
	struct treq *r;
	unsigned int ri;
	bool ind = (p->features & F_INDIRECT) && p->next_seq % 3 == 0;
	int rc;

	if (!p->nfree_reqs)
		return -ENOSPC;
	ri = p->free_reqs[p->nfree_reqs - 1];
	r = &p->reqs[ri];
	r->seq = p->next_seq;
	r->answer = ~0ull;
	r->status = 0xff;
	sg[0] = (struct vring_sg){ &r->seq, sizeof(r->seq) };
	sg[1] = (struct vring_sg){ &r->answer, sizeof(r->answer) };
	sg[2] = (struct vring_sg){ &r->status, 1 };
	rc = vring_drv_add(&p->q, sg, 1, 2, r, ind ? r->table : NULL);
	if (rc < 0)
		return rc;
	p->nfree_reqs--;
	p->next_seq++;
	return 0;
}

/* Driver: collect every used entry, checking what the device wrote. */
static unsigned int drv_collect(struct pair *p)
{
	void *cookie;
	uint32_t len;
	unsigned int n = 0;
	int rc;

	while ((rc = vring_drv_pop_used(&p->q, &cookie, &len)) == 1) {
		struct treq *r = cookie;

		CHECK_EQ(len, 9);
		CHECK_EQ(r->answer, r->seq * 3 + 1);
		CHECK_EQ(r->status, 0);
		p->free_reqs[p->nfree_reqs++] = (uint32_t)(r - p->reqs);
		p->completed++;
		n++;
	}
	if (rc < 0 && !p->drv_err) {
		CHECK_EQ(rc, 0);
		p->drv_err = true;
	}
	return n;
}

/* Device: serve one popped chain with the harness's own copy helpers. */
static void dev_serve(struct pair *p, const struct virtq_chain *c)
{
	uint64_t seq = 0, answer;
	uint8_t status = 0;

	CHECK_EQ(c->n_out, 1);
	CHECK_EQ(c->n_in, 2);
	CHECK_EQ(virtq_chain_read(c, 0, &seq, sizeof(seq)), sizeof(seq));
	answer = seq * 3 + 1;
	CHECK_EQ(virtq_chain_write(c, 0, &answer, sizeof(answer)), sizeof(answer));
	CHECK_EQ(virtq_chain_write(c, 8, &status, 1), 1);
	virtq_push(p->vq, c->head, 9);
}

/* Device: pop and serve up to max chains; returns how many. */
static unsigned int dev_run(struct pair *p, unsigned int max)
{
	struct virtq_chain c;
	unsigned int n = 0;

	while (n < max && virtq_pop(p->vq, &c) == 1) {
		dev_serve(p, &c);
		n++;
	}
	return n;
}

/* Straight through: batches of `batch`, total requests, in order. */
static void run_stream(unsigned int num, unsigned int batch, uint64_t total, uint64_t features)
{
	struct pair p;

	pair_init(&p, num, features);
	while (p.completed < total) {
		for (unsigned int k = 0; k < batch && p.next_seq < total; k++)
			if (drv_submit(&p))
				break;
		vring_drv_kick_prepare(&p.q);
		dev_run(&p, ~0u);
		virtq_should_notify(p.vq);
		if (!drv_collect(&p) && p.completed < total) {
			CHECK(!"no progress");
			break;
		}
		if (violations(&p) || p.drv_err)
			break;
	}
	CHECK_EQ(p.completed, total);
	CHECK_EQ(virtq_next_used(p.vq), (uint16_t)total);
	CHECK_EQ(p.q.last_used, (uint16_t)total);
	CHECK_EQ(vring_drv_num_free(&p.q), num);
	pair_fini(&p);
}

static void test_stream_16(void)
{
	run_stream(16, 1, 70000, 0);
	run_stream(16, 16, 70000, F_INDIRECT);
	run_stream(16, 5, 70000, F_EVENT_IDX | F_INDIRECT);
}

static void test_stream_256(void)
{
	run_stream(256, 100, 140000, F_INDIRECT);
	run_stream(256, 256, 140000, F_EVENT_IDX);
}

static void test_stream_32768(void)
{
	run_stream(32768, 32768, 2 * 65536 + 100, F_INDIRECT | F_EVENT_IDX);
}

/* The device completes chains in a scrambled order: the producer's free list
 * must hand out only free descriptors, which the device would catch as
 * loops or bad heads otherwise. */
static void test_out_of_order(void)
{
	struct pair p;
	struct virtq_chain c;
	uint16_t heads[64];
	uint32_t lens[64];
	unsigned int seed = 99;

	pair_init(&p, 64, F_INDIRECT);
	for (int round = 0; round < 3000; round++) {
		unsigned int n = 0;

		while (!drv_submit(&p))
			;
		vring_drv_kick_prepare(&p.q);
		/* Pop a random number, serve them, publish in shuffled order. */
		unsigned int want = 1 + rand_r(&seed) % 64;
		while (n < want && virtq_pop(p.vq, &c) == 1) {
			uint64_t seq = 0, answer;
			uint8_t status = 0;

			virtq_chain_read(&c, 0, &seq, sizeof(seq));
			answer = seq * 3 + 1;
			virtq_chain_write(&c, 0, &answer, sizeof(answer));
			virtq_chain_write(&c, 8, &status, 1);
			heads[n] = c.head;
			lens[n] = 9;
			n++;
		}
		for (unsigned int i = n; i > 1; i--) {
			unsigned int j = rand_r(&seed) % i;
			uint16_t h = heads[i - 1];

			heads[i - 1] = heads[j];
			heads[j] = h;
		}
		for (unsigned int i = 0; i < n; i++)
			virtq_push(p.vq, heads[i], lens[i]);
		drv_collect(&p);
		if (violations(&p) || p.drv_err)
			break;
	}
	/* Drain. */
	vring_drv_kick_prepare(&p.q);
	dev_run(&p, ~0u);
	drv_collect(&p);
	CHECK_EQ(p.completed, p.next_seq);
	CHECK(p.completed > 50000);
	CHECK_EQ(vring_drv_num_free(&p.q), 64);
	pair_fini(&p);
}

/*
 * Notification protocol, interleaved at random: a device that only runs when
 * kicked (and re-arms kicks before going idle), and a driver that collects
 * only when interrupted (and re-arms interrupts before waiting), sometimes
 * staying in a polling phase with interrupts off first. A lost kick
 * or a lost interrupt leaves work stranded: the run would stall.
 */
static void run_protocol(unsigned int num, uint64_t features, unsigned int seed, bool delayed_cb,
			 bool bursty)
{
	struct pair p;
	bool dev_active = false, kick_pending = false, irq_pending = false, polling = false;
	uint64_t total = 100000, steps = 0, kicks = 0, irqs = 0;

	pair_init(&p, num, features);
	vring_drv_enable_cb(&p.q);
	while (p.completed < total && steps < 50 * total) {
		steps++;
		switch (rand_r(&seed) % 5) {
		case 0: {	/* driver submits a small batch */
			unsigned int k = 1 + rand_r(&seed) % 8;

			/* Bursty: the next burst only once all are back, like
			 * a synchronous caller; a lost interrupt then stalls. */
			if (bursty && p.completed != p.next_seq)
				break;
			while (k-- && p.next_seq < total && !drv_submit(&p))
				;
			if (vring_drv_kick_prepare(&p.q)) {
				kick_pending = true;
				kicks++;
			}
			break;
		}
		case 1:		/* device: wake on a kick */
			if (!dev_active && kick_pending) {
				kick_pending = false;
				dev_active = true;
				virtq_disable_kicks(p.vq);
			}
			break;
		case 2:		/* device: a slice of work, maybe go idle */
			if (!dev_active)
				break;
			if (!dev_run(&p, 1 + rand_r(&seed) % 4)) {
				if (!virtq_enable_kicks(p.vq))
					dev_active = false;
				else
					virtq_disable_kicks(p.vq);
			}
			if (virtq_should_notify(p.vq)) {
				irq_pending = true;
				irqs++;
			}
			break;
		case 3: {	/* driver: interrupt handler + re-arm */
			if (!irq_pending)
				break;
			irq_pending = false;
			vring_drv_disable_cb(&p.q);
			if (rand_r(&seed) % 3 == 0) {
				polling = true;	/* NAPI-like: stay quiet, poll later */
				break;
			}
			do {
				drv_collect(&p);
			} while (!p.drv_err && !(delayed_cb && p.next_seq - p.completed > 1 ?
				   vring_drv_enable_cb_after(&p.q,
					(uint16_t)(1 + (p.next_seq - p.completed) / 2)) :
				   vring_drv_enable_cb(&p.q)));
			break;
		}
		case 4:		/* driver: a polling pass, then back to interrupts */
			if (!polling)
				break;
			polling = false;
			/* The device may have pushed since the ISR collected:
			 * enable_cb must report it rather than let us sleep. */
			while (!p.drv_err && !vring_drv_enable_cb(&p.q))
				drv_collect(&p);
			break;
		}
		if (violations(&p) || p.drv_err)
			break;
	}
	CHECK_EQ(p.completed, total);
	if (p.completed != total)
		ktap_diag("stalled: seq %llu done %llu dev_active %d kick %d irq %d",
			  (unsigned long long)p.next_seq, (unsigned long long)p.completed,
			  dev_active, kick_pending, irq_pending);
	/* Suppression did something: fewer kicks and interrupts than requests. */
	CHECK(kicks < total);
	CHECK(irqs < total);
	CHECK(p.q.kicks_suppressed > 0);
	CHECK(virtq_stats(p.vq)->used_irqs_suppressed > 0);
	pair_fini(&p);
}

static void test_protocol_flags(void)
{
	run_protocol(16, 0, 1, false, false);
	run_protocol(256, 0, 2, false, false);
	run_protocol(16, 0, 7, false, true);
}
static void test_protocol_event_idx(void)
{
	run_protocol(16, F_EVENT_IDX, 3, false, false);
	run_protocol(256, F_EVENT_IDX | F_INDIRECT, 4, false, false);
	run_protocol(16, F_EVENT_IDX, 8, false, true);
}
static void test_protocol_event_idx_delayed(void)
{
	run_protocol(16, F_EVENT_IDX, 5, true, false);
	run_protocol(256, F_EVENT_IDX, 6, true, false);
	run_protocol(64, F_EVENT_IDX, 9, true, true);
}

/*
 * The same protocol with real concurrency: the device on its own thread,
 * sleeping until kicked; the driver sleeping until interrupted. Semaphores
 * stand for the notify exit and the interrupt. x86 may reorder a store
 * before a later load, which is what the full barriers in kick_prepare/
 * enable_cb (and the device's) are for. A lost kick or interrupt shows as a
 * 2 s timeout. The race window is tens of nanoseconds, so this is a sanity
 * run under real concurrency, not proof: removing guest_mb() did not make
 * it fail in a few tries.
 */
struct conc {
	struct pair p;
	bool spin;		/* wait by spinning on flags: tighter races */
	sem_t kick, irq;
	uint32_t kick_flag, irq_flag;
	volatile bool stop;
	uint64_t dev_wakeups;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conc_signal(struct conc *c, sem_t *s, uint32_t *flag)
{
	if (c->spin)
		__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
	else
		sem_post(s);
}

/* Spin until *flag (consuming it), or give up after ms (or on stop). */
static bool spin_wait_ms(struct conc *c, uint32_t *flag, uint64_t ms)
{
	uint64_t deadline = now_ms() + ms;

	for (unsigned int i = 0;; i++) {
		if (__atomic_exchange_n(flag, 0, __ATOMIC_ACQ_REL))
			return true;
		if (c->stop)
			return false;
		if (!(i & 1023) && now_ms() > deadline)
			return false;
		/* The machine may have fewer free CPUs than spinners. */
		if (!(i & 63))
			sched_yield();
		__asm__ volatile("pause");
	}
}

static void *conc_device(void *arg)
{
	struct conc *c = arg;

	for (;;) {
		if (c->spin)
			while (!spin_wait_ms(c, &c->kick_flag, 1000) && !c->stop)
				;
		else
			sem_wait(&c->kick);
		if (c->stop)
			return NULL;
		c->dev_wakeups++;
		virtq_disable_kicks(c->p.vq);
		do {
			while (dev_run(&c->p, 8))
				if (virtq_should_notify(c->p.vq))
					conc_signal(c, &c->irq, &c->irq_flag);
			if (virtq_should_notify(c->p.vq))
				conc_signal(c, &c->irq, &c->irq_flag);
		} while (virtq_enable_kicks(c->p.vq) && !violations(&c->p));
	}
}

static bool sem_wait_ms(sem_t *s, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(s, &ts)) {
		if (errno != EINTR)
			return false;
	}
	return true;
}

static void run_concurrent(unsigned int num, uint64_t features, uint64_t total, bool spin)
{
	struct conc *c = calloc(1, sizeof(*c));
	pthread_t dev;
	uint64_t waits = 0, timeouts = 0;

	TEST_ASSERT(c, "calloc");
	c->spin = spin;
	pair_init(&c->p, num, features);
	sem_init(&c->kick, 0, 0);
	sem_init(&c->irq, 0, 0);
	TEST_ASSERT(!pthread_create(&dev, NULL, conc_device, c), "pthread_create");
	while (c->p.completed < total && !c->p.drv_err && !violations(&c->p)) {
		bool added = false;

		while (c->p.next_seq < total && !drv_submit(&c->p))
			added = true;
		if (added && vring_drv_kick_prepare(&c->p.q))
			conc_signal(c, &c->kick, &c->kick_flag);
		if (drv_collect(&c->p))
			continue;
		/* Nothing to collect: arm, re-check, sleep. */
		if (!vring_drv_enable_cb(&c->p.q))
			continue;
		waits++;
		if (!(spin ? spin_wait_ms(c, &c->irq_flag, 2000) : sem_wait_ms(&c->irq, 2000))) {
			timeouts++;
			break;
		}
	}
	c->stop = true;
	sem_post(&c->kick);
	__atomic_store_n(&c->kick_flag, 1, __ATOMIC_RELEASE);
	pthread_join(dev, NULL);
	CHECK_EQ(timeouts, 0);
	CHECK_EQ(c->p.completed, total);
	if (c->p.completed != total)
		ktap_diag("lost wakeup: seq %llu done %llu avail %u used %u last_avail %u",
			  (unsigned long long)c->p.next_seq, (unsigned long long)c->p.completed,
			  c->p.q.avail_idx, virtq_next_used(c->p.vq), virtq_next_avail(c->p.vq));
	ktap_diag("%s, size %u features 0x%llx: %llu requests, %llu driver sleeps, %llu device "
		  "wakeups, kicks %llu (suppressed %llu), irqs %llu (suppressed %llu)",
		  spin ? "spinning" : "sleeping", num,
		  (unsigned long long)features, (unsigned long long)total,
		  (unsigned long long)waits, (unsigned long long)c->dev_wakeups,
		  (unsigned long long)c->p.q.kicks, (unsigned long long)c->p.q.kicks_suppressed,
		  (unsigned long long)virtq_stats(c->p.vq)->used_irqs,
		  (unsigned long long)virtq_stats(c->p.vq)->used_irqs_suppressed);
	pair_fini(&c->p);
	sem_destroy(&c->kick);
	sem_destroy(&c->irq);
	free(c);
}

static void test_concurrent_flags(void)
{
	run_concurrent(16, 0, 200000, false);
	run_concurrent(16, 0, 100000, true);
}
static void test_concurrent_event_idx(void)
{
	run_concurrent(16, F_EVENT_IDX, 200000, false);
	run_concurrent(256, F_EVENT_IDX | F_INDIRECT, 200000, false);
	run_concurrent(16, F_EVENT_IDX, 100000, true);
	run_concurrent(256, F_EVENT_IDX, 100000, true);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(test_stream_16),
	KTAP_CASE(test_stream_256),
	KTAP_CASE(test_stream_32768),
	KTAP_CASE(test_out_of_order),
	KTAP_CASE(test_protocol_flags),
	KTAP_CASE(test_protocol_event_idx),
	KTAP_CASE(test_protocol_event_idx_delayed),
	KTAP_CASE(test_concurrent_flags),
	KTAP_CASE(test_concurrent_event_idx),
};

int main(void)
{
	return KTAP_RUN(cases);
}
