// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's split-ring producer (guest/vring.c), run on the host against a
 * device side played by hand here: it finds the rings only through the
 * guest-physical addresses the driver reports, reads avail and the
 * descriptors, and writes used entries the way the spec says a device must.
 * "Guest RAM" is one host buffer; dma_offset is its base, so phys = offset.
 */
#include <stdlib.h>
#include <string.h>

#include "guest_virtio.h"
#include "test_util.h"

#define RAM_BYTES	(4u << 20)
#define MAX_CHAIN	8

/* ---- the hand-played device ------------------------------------------- */
struct tdev {
	uint8_t *ram;			/* phys 0 */
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail, used_idx;
	uint8_t *desc_busy;		/* per descriptor: in a chain the device holds */
};

struct tchain {
	uint16_t head;
	bool indirect;
	unsigned int n, n_out;
	uint64_t addr[MAX_CHAIN];
	uint32_t len[MAX_CHAIN];
};

static void *phys(struct tdev *t, uint64_t pa, uint64_t len)
{
	TEST_ASSERT(pa < RAM_BYTES && len <= RAM_BYTES - pa, "phys 0x%llx+%llu outside RAM",
		    (unsigned long long)pa, (unsigned long long)len);
	return t->ram + pa;
}

static void tdev_attach(struct tdev *t, uint8_t *ram, const struct vring_drv *q)
{
	t->ram = ram;
	t->num = q->vr.num;
	t->desc = phys(t, vring_drv_desc_addr(q), 16ull * t->num);
	t->avail = phys(t, vring_drv_avail_addr(q), 6 + 2ull * t->num);
	t->used = phys(t, vring_drv_used_addr(q), 6 + 8ull * t->num);
	CHECK_EQ(vring_drv_desc_addr(q) % 16, 0);
	CHECK_EQ(vring_drv_avail_addr(q) % 2, 0);
	CHECK_EQ(vring_drv_used_addr(q) % 4, 0);
	t->last_avail = t->used_idx = 0;
	t->desc_busy = calloc(t->num, 1);
	TEST_ASSERT(t->desc_busy, "calloc");
}

static void tdev_detach(struct tdev *t)
{
	free(t->desc_busy);
	t->desc_busy = NULL;
}

static uint16_t tdev_avail_idx(struct tdev *t)
{
	return __atomic_load_n(&t->avail->idx, __ATOMIC_ACQUIRE);
}

/* Pops one chain, checking what a strict device checks. 0 if none. */
static int tdev_pop(struct tdev *t, struct tchain *c)
{
	uint16_t avail_idx = tdev_avail_idx(t), i;
	struct vring_desc *tab = t->desc;
	unsigned int tab_len = t->num, steps = 0;
	bool seen_write = false;

	if (avail_idx == t->last_avail)
		return 0;
	TEST_ASSERT((uint16_t)(avail_idx - t->last_avail) <= t->num, "avail ran ahead");
	c->head = t->avail->ring[t->last_avail & (t->num - 1)];
	t->last_avail++;
	TEST_ASSERT(c->head < t->num, "head %u", c->head);
	c->indirect = false;
	c->n = c->n_out = 0;
	i = c->head;
	for (;;) {
		struct vring_desc *d = &tab[i];

		if (tab == t->desc) {
			CHECK(!t->desc_busy[i]);
			t->desc_busy[i] = 1;
		}
		if (d->flags & VRING_DESC_F_INDIRECT) {
			CHECK(tab == t->desc);
			CHECK(!(d->flags & VRING_DESC_F_NEXT));
			CHECK(d->len && d->len % 16 == 0);
			tab = phys(t, d->addr, d->len);
			tab_len = d->len / 16;
			c->indirect = true;
			i = 0;
			continue;
		}
		TEST_ASSERT(c->n < MAX_CHAIN, "chain too long");
		if (d->flags & VRING_DESC_F_WRITE)
			seen_write = true;
		else
			CHECK(!seen_write);	/* readable before writable */
		c->addr[c->n] = d->addr;
		c->len[c->n] = d->len;
		phys(t, d->addr, d->len);
		c->n++;
		if (!seen_write)
			c->n_out++;
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
		TEST_ASSERT(d->next < tab_len, "next %u", d->next);
		i = d->next;
		TEST_ASSERT(++steps <= t->num, "descriptor loop");
	}
	return 1;
}

/* Device bookkeeping for descriptors of a completed chain (direct ones). */
static void tdev_release(struct tdev *t, uint16_t head)
{
	uint16_t i = head;

	for (unsigned int steps = 0; steps < t->num; steps++) {
		t->desc_busy[i] = 0;
		if (!(t->desc[i].flags & VRING_DESC_F_NEXT) || t->desc[i].next >= t->num)
			break;
		i = t->desc[i].next;
	}
}

static void tdev_push(struct tdev *t, uint16_t head, uint32_t len)
{
	tdev_release(t, head);
	t->used->ring[t->used_idx & (t->num - 1)].id = head;
	t->used->ring[t->used_idx & (t->num - 1)].len = len;
	t->used_idx++;
	__atomic_store_n(&t->used->idx, t->used_idx, __ATOMIC_RELEASE);
}

/* ---- fixtures ---------------------------------------------------------- */
struct fix {
	uint8_t *ram;
	struct vring_drv q;
	struct vring_drv_slot *slots;
	struct tdev t;
	uint8_t *bufs;			/* a data area inside RAM */
};

static void fix_init(struct fix *f, unsigned int num, unsigned long align, uint64_t features)
{
	f->ram = aligned_alloc(4096, RAM_BYTES);
	TEST_ASSERT(f->ram, "aligned_alloc");
	memset(f->ram, 0xa5, RAM_BYTES);	/* the ring must not rely on zeroed memory */
	f->slots = calloc(num, sizeof(*f->slots));
	TEST_ASSERT(f->slots, "calloc");
	/* Ring at phys 0x1000, data from phys 2 MiB. */
	TEST_ASSERT(vring_drv_init(&f->q, num, f->ram + 0x1000, align, f->slots,
				   (uintptr_t)f->ram, features) == 0, "vring_drv_init(%u)", num);
	TEST_ASSERT(0x1000 + vring_drv_mem_bytes(num, align) <= (2u << 20), "ring too big");
	f->bufs = f->ram + (2u << 20);
	tdev_attach(&f->t, f->ram, &f->q);
}

static void fix_fini(struct fix *f)
{
	tdev_detach(&f->t);
	free(f->slots);
	free(f->ram);
}

static void *cookie_of(unsigned long v) { return (void *)(v + 1); }

/* Adds a 1-buffer chain with cookie c; returns the head. */
static int add1(struct fix *f, unsigned long c)
{
	struct vring_sg sg = { f->bufs + (c % 512) * 64, 64 };

	return vring_drv_add(&f->q, &sg, 0, 1, cookie_of(c), NULL);
}

/* ---- cases ------------------------------------------------------------- */
static void test_init_layout(void)
{
	static const unsigned int sizes[] = { 1, 16, 256, 32768 };
	static const unsigned long aligns[] = { 4, 64, 4096 };

	for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (unsigned int a = 0; a < ARRAY_SIZE(aligns); a++) {
			struct fix f;
			unsigned int num = sizes[s];

			fix_init(&f, num, aligns[a], 0);
			CHECK_EQ(vring_drv_num_free(&f.q), num);
			CHECK_EQ(vring_drv_desc_addr(&f.q), 0x1000);
			CHECK_EQ(vring_drv_avail_addr(&f.q), 0x1000 + 16 * num);
			CHECK_EQ(vring_drv_used_addr(&f.q) % aligns[a], 0);
			/* used ring and avail_event end exactly at vring_size(). */
			CHECK_EQ((uint8_t *)(&vring_avail_event(&f.t) + 1) - f.t.ram,
				 0x1000 + vring_size(num, aligns[a]));
			CHECK_EQ(f.t.avail->idx, 0);
			CHECK_EQ(f.t.avail->flags, 0);
			CHECK_EQ(f.t.used->idx, 0);
			CHECK_EQ(f.t.used->flags, 0);
			CHECK_EQ(vring_used_event(&f.t), 0);
			CHECK_EQ(vring_avail_event(&f.t), 0);
			fix_fini(&f);
		}
	}
}

static void test_init_rejects(void)
{
	static uint8_t mem[8192] __attribute__((aligned(4096)));
	struct vring_drv_slot slots[16];
	struct vring_drv q;

	CHECK_EQ(vring_drv_init(&q, 0, mem, 4096, slots, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 12, mem, 4096, slots, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 65536, mem, 4096, slots, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 16, mem + 8, 4096, slots, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 16, mem, 2, slots, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 16, mem, 48, slots, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 16, mem, 4096, NULL, 0, 0), -EINVAL);
	CHECK_EQ(vring_drv_init(&q, 16, mem, 4096, slots, 0, 0), 0);
}

static void test_chain(void)
{
	struct fix f;
	struct tchain c;
	struct vring_sg sg[3];
	void *cookie;
	uint32_t len;
	int head;

	fix_init(&f, 16, 4096, 0);
	sg[0] = (struct vring_sg){ f.bufs, 16 };
	sg[1] = (struct vring_sg){ f.bufs + 100, 512 };
	sg[2] = (struct vring_sg){ f.bufs + 1000, 1 };
	head = vring_drv_add(&f.q, sg, 2, 1, cookie_of(7), NULL);
	CHECK(head >= 0);
	CHECK_EQ(vring_drv_num_free(&f.q), 13);
	/* Added but not published: the device sees nothing yet. */
	CHECK_EQ(tdev_pop(&f.t, &c), 0);
	CHECK(vring_drv_kick_prepare(&f.q));
	CHECK_EQ(tdev_pop(&f.t, &c), 1);
	CHECK_EQ(c.head, head);
	CHECK(!c.indirect);
	CHECK_EQ(c.n, 3);
	CHECK_EQ(c.n_out, 2);
	CHECK_EQ(c.addr[0], 2u << 20);
	CHECK_EQ(c.addr[1], (2u << 20) + 100);
	CHECK_EQ(c.addr[2], (2u << 20) + 1000);
	CHECK_EQ(c.len[0], 16);
	CHECK_EQ(c.len[1], 512);
	CHECK_EQ(c.len[2], 1);
	CHECK_EQ(f.t.desc[head].flags, VRING_DESC_F_NEXT);

	CHECK_EQ(vring_drv_pop_used(&f.q, &cookie, &len), 0);
	CHECK(!vring_drv_has_used(&f.q));
	tdev_push(&f.t, c.head, 1);
	CHECK(vring_drv_has_used(&f.q));
	CHECK_EQ(vring_drv_pop_used(&f.q, &cookie, &len), 1);
	CHECK(cookie == cookie_of(7));
	CHECK_EQ(len, 1);
	CHECK_EQ(vring_drv_num_free(&f.q), 16);
	CHECK_EQ(vring_drv_pop_used(&f.q, &cookie, &len), 0);

	/* Bad arguments change nothing. */
	CHECK_EQ(vring_drv_add(&f.q, sg, 2, 1, NULL, NULL), -EINVAL);
	CHECK_EQ(vring_drv_add(&f.q, sg, 0, 0, cookie_of(1), NULL), -EINVAL);
	CHECK_EQ(vring_drv_add(&f.q, sg, 17, 0, cookie_of(1), NULL), -EINVAL);
	CHECK_EQ(vring_drv_num_free(&f.q), 16);
	fix_fini(&f);
}

static void test_indirect(void)
{
	struct fix f;
	struct tchain c;
	struct vring_sg sg[3];
	struct vring_desc *table;
	void *cookie;
	uint32_t len;
	int head;

	/* Not negotiated: refused. */
	fix_init(&f, 16, 4096, 0);
	table = (struct vring_desc *)(f.ram + 0x100000);
	sg[0] = (struct vring_sg){ f.bufs, 16 };
	CHECK_EQ(vring_drv_add(&f.q, sg, 1, 0, cookie_of(0), table), -EINVAL);
	fix_fini(&f);

	fix_init(&f, 16, 4096, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	table = (struct vring_desc *)(f.ram + 0x100000);
	sg[0] = (struct vring_sg){ f.bufs, 16 };
	sg[1] = (struct vring_sg){ f.bufs + 64, 4096 };
	sg[2] = (struct vring_sg){ f.bufs + 8192, 1 };
	head = vring_drv_add(&f.q, sg, 1, 2, cookie_of(3), table);
	CHECK(head >= 0);
	CHECK_EQ(vring_drv_num_free(&f.q), 15);
	CHECK_EQ(f.t.desc[head].flags, VRING_DESC_F_INDIRECT);
	CHECK_EQ(f.t.desc[head].addr, 0x100000);
	CHECK_EQ(f.t.desc[head].len, 3 * 16);
	CHECK(vring_drv_kick_prepare(&f.q));
	CHECK_EQ(tdev_pop(&f.t, &c), 1);
	CHECK(c.indirect);
	CHECK_EQ(c.n, 3);
	CHECK_EQ(c.n_out, 1);
	CHECK_EQ(c.addr[1], (2u << 20) + 64);
	CHECK_EQ(c.len[1], 4096);
	CHECK_EQ(table[2].flags, VRING_DESC_F_WRITE);
	CHECK_EQ(table[0].flags, VRING_DESC_F_NEXT);

	/* Indirect and direct chains side by side, completed out of order. */
	int h2 = vring_drv_add(&f.q, sg, 2, 1, cookie_of(4), NULL);
	CHECK(h2 >= 0 && h2 != head);
	CHECK_EQ(vring_drv_num_free(&f.q), 12);
	CHECK(vring_drv_kick_prepare(&f.q));
	struct tchain c2;
	CHECK_EQ(tdev_pop(&f.t, &c2), 1);
	CHECK(!c2.indirect);
	tdev_push(&f.t, c2.head, 0);
	tdev_push(&f.t, c.head, 4097);
	CHECK_EQ(vring_drv_pop_used(&f.q, &cookie, &len), 1);
	CHECK(cookie == cookie_of(4));
	CHECK_EQ(vring_drv_pop_used(&f.q, &cookie, &len), 1);
	CHECK(cookie == cookie_of(3));
	CHECK_EQ(len, 4097);
	CHECK_EQ(vring_drv_num_free(&f.q), 16);
	fix_fini(&f);
}

/* Random chain lengths (some indirect), completed in random order: cookies
 * come back right, no descriptor is ever in two chains, nothing leaks. */
static void test_free_list_reuse(void)
{
	enum { NUM = 16, ROUNDS = 20000 };
	struct fix f;
	struct vring_desc *tables;
	struct tchain held[NUM];
	unsigned int nheld = 0, inflight = 0;
	unsigned long next_cookie = 0;
	unsigned long head_cookie[NUM];
	uint8_t used_tab[NUM] = { 0 };
	unsigned int seed = 12345;

	for (unsigned int i = 0; i < NUM; i++)
		head_cookie[i] = ~0UL;
	fix_init(&f, NUM, 4096, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	tables = (struct vring_desc *)(f.ram + 0x100000);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int op = rand_r(&seed) % 3;

		if (op == 0) {
			unsigned int n = 1 + rand_r(&seed) % 4, out = rand_r(&seed) % (n + 1);
			bool ind = rand_r(&seed) % 4 == 0;
			struct vring_sg sg[4];
			unsigned int free_before = vring_drv_num_free(&f.q), tab = 0;

			for (unsigned int k = 0; k < n; k++)
				sg[k] = (struct vring_sg){ f.bufs + k * 128, 100 + k };
			if (ind) {
				for (tab = 0; tab < NUM && used_tab[tab]; tab++)
					;
				TEST_ASSERT(tab < NUM, "no free indirect table");
			}
			int h = vring_drv_add(&f.q, sg, out, n - out, cookie_of(next_cookie),
					      ind ? tables + tab * 4 : NULL);
			if (h == -ENOSPC) {
				CHECK(free_before < (ind ? 1u : n));
				CHECK_EQ(vring_drv_num_free(&f.q), free_before);
				continue;
			}
			TEST_ASSERT(h >= 0 && h < NUM, "add: %d", h);
			CHECK_EQ(vring_drv_num_free(&f.q), free_before - (ind ? 1 : n));
			head_cookie[h] = next_cookie;
			if (ind)
				used_tab[tab] = 1 + h;
			next_cookie++;
			inflight++;
			if (rand_r(&seed) % 2)
				vring_drv_kick_prepare(&f.q);
		} else if (op == 1) {
			vring_drv_kick_prepare(&f.q);
			while (nheld < NUM && tdev_pop(&f.t, &held[nheld]))
				nheld++;
			if (!nheld)
				continue;
			unsigned int k = rand_r(&seed) % nheld;
			tdev_push(&f.t, held[k].head, held[k].n);
			held[k] = held[--nheld];
		} else {
			void *cookie;
			uint32_t len;
			int rc;

			while ((rc = vring_drv_pop_used(&f.q, &cookie, &len)) == 1) {
				unsigned long cv = (unsigned long)cookie - 1;
				int h = -1;

				for (int i = 0; i < NUM; i++)
					if (head_cookie[i] == cv) {
						h = i;
						break;
					}
				CHECK(h >= 0);
				if (h >= 0)
					head_cookie[h] = ~0UL;
				for (unsigned int t = 0; t < NUM; t++)
					if (used_tab[t] == 1 + h)
						used_tab[t] = 0;
				inflight--;
			}
			CHECK_EQ(rc, 0);
		}
		/* Every descriptor is free or in exactly one in-flight chain. */
		unsigned int in_chains = 0;
		for (unsigned int i = 0; i < NUM; i++)
			if (f.slots[i].cookie)
				in_chains += f.slots[i].ndesc;
		CHECK_EQ(in_chains + vring_drv_num_free(&f.q), NUM);
	}
	CHECK(next_cookie > 1000);
	(void)inflight;
	fix_fini(&f);
}

/* Runs `total` requests through a ring of `num` entries in batches of
 * `batch`: checks order, lengths and the 16-bit index wrap. */
static void run_wrap(unsigned int num, unsigned int batch, unsigned long total, uint64_t features)
{
	struct fix f;
	unsigned long sent = 0, got = 0;

	fix_init(&f, num, 4096, features);
	while (got < total) {
		unsigned int k;

		for (k = 0; k < batch && sent < total; k++, sent++)
			TEST_ASSERT(add1(&f, sent) >= 0, "add at %lu", sent);
		vring_drv_kick_prepare(&f.q);
		CHECK_EQ(f.t.avail->idx, (uint16_t)sent);
		struct tchain c;
		while (tdev_pop(&f.t, &c))
			tdev_push(&f.t, c.head, (uint32_t)(f.t.used_idx * 3));
		void *cookie;
		uint32_t len;
		unsigned long got_before = got;
		int rc;
		while ((rc = vring_drv_pop_used(&f.q, &cookie, &len)) == 1) {
			if ((unsigned long)cookie != got + 1 || len != (uint32_t)((uint16_t)got * 3)) {
				CHECK_EQ((unsigned long)cookie, got + 1);
				CHECK_EQ(len, (uint32_t)((uint16_t)got * 3));
				fix_fini(&f);
				return;
			}
			got++;
		}
		if (rc < 0 || got == got_before) {
			CHECK_EQ(rc, 0);
			CHECK(got > got_before);
			break;
		}
	}
	CHECK_EQ(got, total);
	CHECK_EQ(f.q.last_used, (uint16_t)total);
	CHECK_EQ(f.t.used->idx, (uint16_t)total);
	CHECK_EQ(vring_drv_num_free(&f.q), num);
	fix_fini(&f);
}

static void test_wrap_16(void) { run_wrap(16, 1, 70001, 0); run_wrap(16, 16, 70001, 0); }
static void test_wrap_256_batch(void) { run_wrap(256, 200, 140000, 0); }
static void test_wrap_event_idx(void)
{
	run_wrap(16, 7, 70001, 1ULL << VIRTIO_RING_F_EVENT_IDX);
}
static void test_wrap_32768(void)
{
	/* The whole ring in flight at once, three times round the indices. */
	run_wrap(32768, 32768, 3 * 65536 + 5, 0);
}

static void test_full_ring(void)
{
	static const unsigned int sizes[] = { 16, 256, 32768 };

	for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++) {
		unsigned int num = sizes[s];
		struct fix f;
		struct vring_sg sg[2];
		void *cookie;
		uint32_t len;
		struct tchain c;

		fix_init(&f, num, 4096, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
		for (unsigned int i = 0; i < num - 1; i++)
			TEST_ASSERT(add1(&f, i) >= 0, "add %u", i);
		CHECK_EQ(vring_drv_num_free(&f.q), 1);
		sg[0] = (struct vring_sg){ f.bufs, 1 };
		sg[1] = (struct vring_sg){ f.bufs + 1, 1 };
		/* A 2-descriptor chain doesn't fit, an indirect one does. */
		CHECK_EQ(vring_drv_add(&f.q, sg, 1, 1, cookie_of(999), NULL), -ENOSPC);
		CHECK_EQ(vring_drv_num_free(&f.q), 1);
		CHECK(vring_drv_add(&f.q, sg, 1, 1, cookie_of(num - 1),
				    (struct vring_desc *)(f.ram + 0x100000)) >= 0);
		CHECK_EQ(vring_drv_num_free(&f.q), 0);
		CHECK_EQ(add1(&f, 5), -ENOSPC);
		CHECK_EQ(vring_drv_add(&f.q, sg, 1, 1, cookie_of(5),
				       (struct vring_desc *)(f.ram + 0x100000)), -ENOSPC);
		CHECK(vring_drv_kick_prepare(&f.q));
		CHECK_EQ(f.t.avail->idx, (uint16_t)num);
		/* The device completes one: exactly one slot comes back. */
		CHECK_EQ(tdev_pop(&f.t, &c), 1);
		tdev_push(&f.t, c.head, 0);
		CHECK_EQ(vring_drv_pop_used(&f.q, &cookie, &len), 1);
		CHECK(cookie == cookie_of(0));
		CHECK_EQ(vring_drv_num_free(&f.q), 1);
		CHECK(add1(&f, num) >= 0);
		CHECK_EQ(add1(&f, num + 1), -ENOSPC);
		fix_fini(&f);
	}
}

static void test_no_notify(void)
{
	struct fix f;

	fix_init(&f, 16, 4096, 0);
	CHECK(!vring_drv_kick_prepare(&f.q));		/* nothing added */
	add1(&f, 0);
	CHECK(vring_drv_kick_prepare(&f.q));
	CHECK(!vring_drv_kick_prepare(&f.q));		/* nothing new */
	f.t.used->flags = VRING_USED_F_NO_NOTIFY;
	add1(&f, 1);
	CHECK(!vring_drv_kick_prepare(&f.q));
	CHECK_EQ(f.t.avail->idx, 2);			/* published all the same */
	f.t.used->flags = 0;
	add1(&f, 2);
	CHECK(vring_drv_kick_prepare(&f.q));
	CHECK_EQ(f.q.kicks, 2);
	CHECK_EQ(f.q.kicks_suppressed, 1);
	fix_fini(&f);
}

static void test_batch(void)
{
	struct fix f;
	struct tchain c;

	fix_init(&f, 256, 4096, 0);
	for (int i = 0; i < 100; i++)
		add1(&f, i);
	CHECK_EQ(f.t.avail->idx, 0);
	CHECK(vring_drv_kick_prepare(&f.q));
	CHECK_EQ(f.t.avail->idx, 100);
	for (int i = 0; i < 100; i++) {
		CHECK_EQ(tdev_pop(&f.t, &c), 1);
		CHECK_EQ(c.addr[0], (2u << 20) + i * 64);
	}
	CHECK_EQ(tdev_pop(&f.t, &c), 0);
	CHECK_EQ(f.q.kicks, 1);
	/* publish() alone exposes buffers without a kick decision. */
	add1(&f, 100);
	vring_drv_publish(&f.q);
	CHECK_EQ(f.t.avail->idx, 101);
	CHECK(vring_drv_kick_prepare(&f.q));		/* still owed a kick */
	fix_fini(&f);
}

/* Reference for EVENT_IDX: kick iff avail_event lies in [old, new). */
static bool ref_need_kick(uint16_t event, uint16_t new_idx, uint16_t old)
{
	for (uint16_t k = old; k != new_idx; k++)
		if (k == event)
			return true;
	return false;
}

static void test_event_idx_kick(void)
{
	struct fix f;
	struct tchain c;
	uint16_t *avail_event;
	unsigned int seed = 777;
	unsigned long sent = 0;

	fix_init(&f, 256, 4096, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	avail_event = &vring_avail_event(&f.t);

	/* Hand-picked: event 0, first add kicks; event 5 is crossed only by
	 * the add that makes avail idx 6. NO_NOTIFY is ignored under EVENT_IDX. */
	f.t.used->flags = VRING_USED_F_NO_NOTIFY;
	add1(&f, sent++);
	CHECK(vring_drv_kick_prepare(&f.q));
	*avail_event = 5;
	for (int i = 2; i <= 5; i++) {
		add1(&f, sent++);
		CHECK(!vring_drv_kick_prepare(&f.q));
	}
	add1(&f, sent++);
	CHECK(vring_drv_kick_prepare(&f.q));		/* idx 5 -> 6 crosses 5 */
	add1(&f, sent++);
	CHECK(!vring_drv_kick_prepare(&f.q));
	/* A batch that jumps over the event still kicks once. */
	*avail_event = 9;
	for (int i = 0; i < 5; i++)
		add1(&f, sent++);
	CHECK(vring_drv_kick_prepare(&f.q));		/* 7 -> 12 */
	while (tdev_pop(&f.t, &c))
		tdev_push(&f.t, c.head, 0);
	void *ck;
	uint32_t len;
	while (vring_drv_pop_used(&f.q, &ck, &len) == 1)
		;

	/* Random events and batch sizes, through several index wraps. */
	uint16_t old = f.q.avail_idx;
	for (int r = 0; r < 6000; r++) {
		unsigned int n = 1 + rand_r(&seed) % 64;
		uint16_t ev = rand_r(&seed) % 3 ? (uint16_t)(old + rand_r(&seed) % 80 - 8)
						 : (uint16_t)rand_r(&seed);

		*avail_event = ev;
		for (unsigned int k = 0; k < n; k++)
			TEST_ASSERT(add1(&f, sent++) >= 0, "add");
		bool kick = vring_drv_kick_prepare(&f.q);
		uint16_t new_idx = f.q.avail_idx;
		if (kick != ref_need_kick(ev, new_idx, old)) {
			CHECK_EQ(kick, ref_need_kick(ev, new_idx, old));
			ktap_diag("event %u old %u new %u", ev, old, new_idx);
			break;
		}
		old = new_idx;
		while (tdev_pop(&f.t, &c))
			tdev_push(&f.t, c.head, 0);
		while (vring_drv_pop_used(&f.q, &ck, &len) == 1)
			;
	}
	CHECK(sent > 65536 * 2);
	CHECK(f.q.kicks > 100 && f.q.kicks_suppressed > 100);
	fix_fini(&f);
}

/* 65536 chains published without a kick decision bring avail idx back to
 * where the device asked to be kicked: new == old says "no", yet the device
 * may be waiting. The producer must kick. */
static void test_event_idx_65536_unkicked(void)
{
	struct fix f;
	struct tchain c;
	void *ck;
	uint32_t len;

	fix_init(&f, 16, 4096, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	vring_avail_event(&f.t) = 0;
	for (unsigned long i = 0; i < 65536; i++) {
		TEST_ASSERT(add1(&f, i) >= 0, "add %lu", i);
		vring_drv_publish(&f.q);
		TEST_ASSERT(tdev_pop(&f.t, &c) == 1, "pop %lu", i);
		tdev_push(&f.t, c.head, 0);
		TEST_ASSERT(vring_drv_pop_used(&f.q, &ck, &len) == 1, "used %lu", i);
	}
	CHECK_EQ(f.q.avail_idx, 0);
	CHECK(vring_drv_kick_prepare(&f.q));
	fix_fini(&f);
}

static void test_interrupt_suppression(void)
{
	struct fix f;
	struct tchain c;
	void *ck;
	uint32_t len;

	/* Without EVENT_IDX: the NO_INTERRUPT flag. */
	fix_init(&f, 16, 4096, 0);
	vring_drv_disable_cb(&f.q);
	CHECK_EQ(f.t.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	CHECK(vring_drv_enable_cb(&f.q));
	CHECK_EQ(f.t.avail->flags, 0);
	add1(&f, 0);
	vring_drv_kick_prepare(&f.q);
	tdev_pop(&f.t, &c);
	tdev_push(&f.t, c.head, 0);
	vring_drv_disable_cb(&f.q);
	CHECK(!vring_drv_enable_cb(&f.q));		/* pending: poll, don't sleep */
	CHECK_EQ(vring_drv_pop_used(&f.q, &ck, &len), 1);
	CHECK(vring_drv_enable_cb(&f.q));
	fix_fini(&f);

	/* With EVENT_IDX: used_event, judged the way the device judges it. */
	fix_init(&f, 16, 4096, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	uint16_t *used_event = &vring_used_event(&f.t);
	for (int round = 0; round < 3; round++) {
		uint16_t base = f.q.last_used;

		CHECK(vring_drv_enable_cb(&f.q));
		CHECK_EQ(*used_event, base);
		/* Interrupt wanted on the very next completion. */
		CHECK(vring_need_event(*used_event, base + 1, base));
		CHECK(vring_drv_enable_cb_after(&f.q, 4));
		CHECK(!vring_need_event(*used_event, base + 3, base));
		CHECK(vring_need_event(*used_event, base + 4, base + 3));
		vring_drv_disable_cb(&f.q);
		CHECK(!vring_need_event(*used_event, base + 1, base));
		CHECK(!vring_need_event(*used_event, base + 16, base));
		CHECK_EQ(f.t.avail->flags, 0);		/* flag unused under EVENT_IDX */

		/* Collecting while disabled leaves used_event where disable put it.
		 * The race that matters: the device pushes a batch, the polling
		 * driver collects half of it, and only then does the device decide
		 * about the batch. It must still decide "no interrupt". */
		uint16_t parked = *used_event;
		for (int i = 0; i < 10; i++)
			add1(&f, i);
		vring_drv_kick_prepare(&f.q);
		while (tdev_pop(&f.t, &c))
			tdev_push(&f.t, c.head, 0);
		for (int i = 0; i < 5; i++)
			CHECK_EQ(vring_drv_pop_used(&f.q, &ck, &len), 1);
		CHECK_EQ(*used_event, parked);
		CHECK(!vring_need_event(*used_event, base + 10, base));
		while (vring_drv_pop_used(&f.q, &ck, &len) == 1)
			;
		CHECK_EQ(*used_event, parked);
		/* Enabled: each pop moves used_event to the next index. */
		vring_drv_enable_cb(&f.q);
		add1(&f, 0);
		vring_drv_kick_prepare(&f.q);
		tdev_pop(&f.t, &c);
		tdev_push(&f.t, c.head, 0);
		CHECK(!vring_drv_enable_cb(&f.q));
		vring_drv_pop_used(&f.q, &ck, &len);
		CHECK_EQ(*used_event, f.q.last_used);
	}
	fix_fini(&f);
}

static void test_bad_used_id(void)
{
	struct fix f;
	struct tchain c;
	void *ck;
	uint32_t len;

	fix_init(&f, 16, 4096, 0);
	add1(&f, 0);
	add1(&f, 1);
	vring_drv_kick_prepare(&f.q);
	tdev_pop(&f.t, &c);
	/* An id that is not an in-flight head, then one out of range. */
	f.t.used->ring[0].id = (c.head + 5) & 15;
	f.t.used->ring[0].len = 0;
	f.t.used->idx = 1;
	CHECK_EQ(vring_drv_pop_used(&f.q, &ck, &len), -EIO);
	f.t.used->ring[0].id = 16;
	CHECK_EQ(vring_drv_pop_used(&f.q, &ck, &len), -EIO);
	CHECK_EQ(vring_drv_num_free(&f.q), 14);
	fix_fini(&f);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(test_init_layout),
	KTAP_CASE(test_init_rejects),
	KTAP_CASE(test_chain),
	KTAP_CASE(test_indirect),
	KTAP_CASE(test_free_list_reuse),
	KTAP_CASE(test_wrap_16),
	KTAP_CASE(test_wrap_256_batch),
	KTAP_CASE(test_wrap_event_idx),
	KTAP_CASE(test_wrap_32768),
	KTAP_CASE(test_full_ring),
	KTAP_CASE(test_no_notify),
	KTAP_CASE(test_batch),
	KTAP_CASE(test_event_idx_kick),
	KTAP_CASE(test_event_idx_65536_unkicked),
	KTAP_CASE(test_interrupt_suppression),
	KTAP_CASE(test_bad_used_id),
};

int main(void)
{
	return KTAP_RUN(cases);
}
