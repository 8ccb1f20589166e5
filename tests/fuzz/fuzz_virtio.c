// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the host virtio device model (transport + split and
 * packed rings + blk) fed random register accesses and random ring contents, in host
 * memory. Guest RAM has guard pages right below and above it
 * (harness/guard_mem.c), so any access the device makes outside it faults
 * at once. The input is a little program of ops (see run_op); a canned
 * driver init lets the fuzzer reach DRIVER_OK at once and spend its time in
 * ring processing. Op bytes >= 240 select the hostile extras (issue 9):
 * guest accesses of any width at any address around the window, split at
 * page boundaries as KVM splits them and dispatched through the real bus
 * and unclaimed-access policy (warn); ring layouts that overlap; and
 * resets racing ring processing on a second thread.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "virtio_blk_dev.h"
#include "../virtio_test.h"

#define FZ_RAM_BYTES	0x10000u
#define FZ_QBASE(q)	(0x2000u * (q))
#define FZ_DESC(q)	FZ_QBASE(q)
#define FZ_AVAIL(q)	(FZ_QBASE(q) + 0x1000)
#define FZ_USED(q)	(FZ_QBASE(q) + 0x1400)
#define FZ_DATA		0x8000u
#define FZ_NQ_MAX	4

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct input *in)
{
	return u8(in) | (uint16_t)u8(in) << 8;
}

static uint32_t u32(struct input *in)
{
	return u16(in) | (uint32_t)u16(in) << 16;
}

struct fz {
	struct guest_mem mem;
	struct kvm_vm *vm;		/* only its bus and unclaimed policy are used */
	struct virtio_blk *blk;
	struct virtio_mmio_dev *dev;
	uint16_t nq, qsize;
	uint16_t avail_idx[FZ_NQ_MAX];
	bool packed;			/* RING_PACKED negotiated by canned_init */
	uint16_t pk_next[FZ_NQ_MAX];	/* packed: the driver's next slot ... */
	bool pk_wrap[FZ_NQ_MAX];	/* ... and its wrap counter */
	bool raced;			/* one race per input: thread handoffs are slow */
	uint64_t raised, lowered;
};

static void fz_raise(void *ctx)
{
	((struct fz *)ctx)->raised++;
}

static void fz_lower(void *ctx)
{
	((struct fz *)ctx)->lowered++;
}

static const struct virtio_mmio_irq_ops fz_irq = { .raise = fz_raise, .lower = fz_lower };

static const uint32_t regs[] = {
	VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_VERSION, VIRTIO_MMIO_DEVICE_ID,
	VIRTIO_MMIO_VENDOR_ID, VIRTIO_MMIO_DEVICE_FEATURES, VIRTIO_MMIO_DEVICE_FEATURES_SEL,
	VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL,
	VIRTIO_MMIO_QUEUE_NUM_MAX, VIRTIO_MMIO_QUEUE_NUM, VIRTIO_MMIO_QUEUE_READY,
	VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INTERRUPT_ACK,
	VIRTIO_MMIO_STATUS, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
	VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, VIRTIO_MMIO_QUEUE_USED_LOW,
	VIRTIO_MMIO_QUEUE_USED_HIGH, VIRTIO_MMIO_SHM_SEL, VIRTIO_MMIO_SHM_LEN_LOW,
	VIRTIO_MMIO_QUEUE_RESET, VIRTIO_MMIO_CONFIG_GENERATION,
};

/* Addresses the fuzzer can name cheaply: mostly sensible, sometimes not. */
static uint64_t pick_addr(struct input *in)
{
	uint8_t k = u8(in);

	switch (k & 3) {
	case 0:
		return FZ_DATA + (u16(in) & 0x7fff);
	case 1:
		return FZ_RAM_BYTES - (u8(in) & 0x3f);
	case 2:
		return (uint64_t)u32(in) << 32 | u32(in);
	default:
		return u16(in);
	}
}

static uint16_t pick_q(struct fz *f, struct input *in)
{
	return u8(in) % f->nq;
}

static void driver_rings_reset(struct fz *f)
{
	memset(f->avail_idx, 0, sizeof(f->avail_idx));
	memset(f->pk_next, 0, sizeof(f->pk_next));
	for (int q = 0; q < FZ_NQ_MAX; q++)
		f->pk_wrap[q] = true;
}

static void canned_init(struct fz *f, struct input *in)
{
	uint8_t sel = u8(in);
	uint64_t feat = 1ull << VIRTIO_F_VERSION_1;

	if (sel & 1)
		feat |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (sel & 2)
		feat |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (sel & 4)
		feat |= 1ull << VIRTIO_F_RING_RESET;
	if (sel & 8)
		feat |= 1ull << VIRTIO_F_NOTIFICATION_DATA;
	if (sel & 16)
		feat |= 1ull << VIRTIO_BLK_F_FLUSH;
	if ((sel & 32) && f->nq > 1)
		feat |= 1ull << VIRTIO_BLK_F_MQ;
	f->packed = sel & 64;
	if (f->packed) {
		feat |= 1ull << VIRTIO_F_RING_PACKED;
		f->qsize = (uint16_t)(1 + u8(in));		/* 1..256, any */
	} else {
		f->qsize = (uint16_t)(1u << (u8(in) % 9));	/* 1..256 */
	}
	memset(f->mem.hva, 0, FZ_DATA);
	driver_rings_reset(f);
	tdrv_negotiate(f->dev, feat);
	for (uint16_t q = 0; q < f->nq; q++)
		tdrv_queue_at(f->dev, q, f->qsize, FZ_DESC(q), FZ_AVAIL(q), FZ_USED(q));
	tdrv_driver_ok(f->dev);
}

static struct vring_desc *desc_at(struct fz *f, uint16_t q, uint16_t i)
{
	return (struct vring_desc *)(f->mem.hva + FZ_DESC(q)) + (i % 256);
}

static void avail_add(struct fz *f, uint16_t q, uint16_t head)
{
	struct vring_avail *a = (void *)(f->mem.hva + FZ_AVAIL(q));
	uint16_t size = f->qsize ? f->qsize : 1;

	a->ring[f->avail_idx[q] % size] = head;
	f->avail_idx[q]++;
	__atomic_store_n(&a->idx, f->avail_idx[q], __ATOMIC_RELEASE);
}

static struct vring_packed_desc *pdesc_at(struct fz *f, uint16_t q, uint16_t i)
{
	return (struct vring_packed_desc *)(f->mem.hva + FZ_DESC(q)) + (i % 256);
}

static uint16_t pk_avail_flags(bool wrap)
{
	return wrap ? 1u << VRING_PACKED_DESC_F_AVAIL : 1u << VRING_PACKED_DESC_F_USED;
}

/* Packed: n descriptors at the driver's next slots, the first one's flags
 * written last (2.8.6); id in all of them (the device reads the last). */
static void pk_add(struct fz *f, uint16_t q, const struct vring_packed_desc *d, unsigned int n)
{
	uint16_t size = f->qsize ? f->qsize : 1, first = f->pk_next[q] % size, first_flags = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct vring_packed_desc *p = pdesc_at(f, q, f->pk_next[q] % size);
		uint16_t fl = (d[i].flags & 7) | pk_avail_flags(f->pk_wrap[q]);

		p->addr = d[i].addr;
		p->len = d[i].len;
		p->id = d[i].id;
		if (i == 0)
			first_flags = fl;
		else
			p->flags = fl;
		if (++f->pk_next[q] >= size) {
			f->pk_next[q] = 0;
			f->pk_wrap[q] = !f->pk_wrap[q];
		}
	}
	__atomic_store_n(&pdesc_at(f, q, first)->flags, first_flags, __ATOMIC_RELEASE);
}

/* A well-formed blk request: header | data | status, at descriptor head. */
static void blk_request(struct fz *f, struct input *in)
{
	uint16_t q = pick_q(f, in), size = f->qsize ? f->qsize : 1;
	uint16_t head = u8(in) % size;
	uint32_t type = u8(in) % 10, len = (u8(in) % 5) * 512;
	uint64_t sector = u8(in) % 24;
	uint32_t slot = FZ_DATA + 0x600 * (u8(in) % 16);
	struct virtio_blk_outhdr *h = (void *)(f->mem.hva + slot);
	uint16_t d1 = (head + 1) % size, d2 = (head + 2) % size;
	bool in_dir = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	if (slot + 0x10 + len + 1 > FZ_RAM_BYTES)
		len = 0;
	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	if (f->packed) {
		/* The id: mostly in range, sometimes one past it. */
		uint16_t id = head % (size + 1);
		struct vring_packed_desc d[3] = {
			{ slot, 16, id, VRING_DESC_F_NEXT },
			{ slot + 0x10, len, id, VRING_DESC_F_NEXT | (in_dir ? VRING_DESC_F_WRITE : 0) },
			{ slot + 0x10 + len, 1, id, VRING_DESC_F_WRITE },
		};

		if (len) {
			pk_add(f, q, d, 3);
		} else {
			d[1] = d[2];
			pk_add(f, q, d, 2);
		}
		if (u8(in) & 1)
			virtio_mmio__notify(f->dev, q);
		return;
	}
	*desc_at(f, q, head) = (struct vring_desc){ slot, 16, VRING_DESC_F_NEXT, len ? d1 : d2 };
	if (len)
		*desc_at(f, q, d1) = (struct vring_desc){ slot + 0x10, len,
			VRING_DESC_F_NEXT | (in_dir ? VRING_DESC_F_WRITE : 0), d2 };
	*desc_at(f, q, d2) = (struct vring_desc){ slot + 0x10 + len, 1, VRING_DESC_F_WRITE, 0 };
	avail_add(f, q, head);
	if (u8(in) & 1)
		virtio_mmio__notify(f->dev, q);
}

/* What vcpu_run() does with an MMIO exit: the bus or the unclaimed policy. */
static void bus_access(struct fz *f, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	const struct bus_range *r = bus_find(f->vm->mmio, f->vm->nr_mmio, gpa, len);

	if (!r)
		vm_unclaimed_access(f->vm, BUS_MMIO, gpa, data, len, 1, is_write);
	else
		r->fn(r->opaque, gpa - r->base, data, len, is_write);
}

/* A guest access of 1..8 bytes near the window, split at the page boundary
 * as KVM's emulator splits it; reads beyond the window must be all ones. */
static void page_crossing_access(struct fz *f, struct input *in)
{
	uint64_t gpa = VIRTIO_MMIO_BASE + (u16(in) % (VIRTIO_MMIO_WINDOW_BYTES + 16)) - 8;
	uint32_t len = u8(in) % 8 + 1, first;
	bool is_write = u8(in) & 1;
	uint8_t buf[8];

	memset(buf, 0x5a, sizeof(buf));
	if (is_write)
		for (uint32_t i = 0; i < len; i++)
			buf[i] = u8(in);
	first = (uint32_t)(((gpa | 0xfff) + 1 - gpa) < len ? (gpa | 0xfff) + 1 - gpa : len);
	bus_access(f, gpa, buf, first, is_write);
	if (first < len)
		bus_access(f, gpa + first, buf + first, len - first, is_write);
	if (!is_write && gpa >= VIRTIO_MMIO_BASE + VIRTIO_MMIO_WINDOW_BYTES)
		for (uint32_t i = 0; i < len; i++)
			if (buf[i] != 0xff)
				abort();
}

static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* Queue q's three areas placed by the fuzzer in one 8 KiB region, so they
 * often overlap; a queue that goes ready must have disjoint areas. */
static void overlap_layout(struct fz *f, struct input *in)
{
	uint16_t q = pick_q(f, in);
	uint32_t n = f->qsize ? f->qsize : 1, ev = 2;	/* with or without EVENT_IDX: the worst */
	uint64_t d = FZ_QBASE(q) + (u8(in) * 16u) % 0x1000;
	uint64_t a = FZ_QBASE(q) + (u16(in) * 2u) % 0x1800;
	uint64_t u = FZ_QBASE(q) + (u16(in) * 4u) % 0x1800;

	mmio_wr(f->dev, VIRTIO_MMIO_QUEUE_SEL, q);
	mmio_wr(f->dev, VIRTIO_MMIO_QUEUE_READY, 0);
	tdrv_queue_at(f->dev, q, n, d, a, u);
	if (mmio_rd(f->dev, VIRTIO_MMIO_QUEUE_READY) != 1)
		return;
	if (virtio_mmio__features(f->dev) & (1ull << VIRTIO_F_RING_PACKED)) {
		/* Packed areas: the ring and two 4-byte event structures. */
		if (overlap(d, 16ull * n, a, 4) || overlap(d, 16ull * n, u, 4) || overlap(a, 4, u, 4))
			abort();
		return;
	}
	if (overlap(d, 16ull * n, a, 4 + 2ull * n + ev) || overlap(d, 16ull * n, u, 4 + 8ull * n + ev) ||
	    overlap(a, 4 + 2ull * n + ev, u, 4 + 8ull * n + ev)) {
		/* Only the EVENT_IDX tails may touch without it being an overlap. */
		bool evidx = virtio_mmio__features(f->dev) & (1ull << VIRTIO_RING_F_EVENT_IDX);

		if (evidx || overlap(d, 16ull * n, a, 4 + 2ull * n) || overlap(d, 16ull * n, u, 4 + 8ull * n) ||
		    overlap(a, 4 + 2ull * n, u, 4 + 8ull * n))
			abort();
	}
}

/* One racing "iothread" for the whole process: creating a thread per
 * input (under ASan) cost 25 times the rest of the input. */
static struct {
	pthread_t t;
	sem_t go, done;
	struct virtio_mmio_dev *dev;
	uint32_t q;
	bool up;
} racer;

static void *racer_main(void *arg)
{
	(void)arg;
	for (;;) {
		while (sem_wait(&racer.go))
			;
		virtio_mmio__notify(racer.dev, racer.q);
		sem_post(&racer.done);
	}
	return NULL;
}

static bool racer_start(void)
{
	if (!racer.up && !sem_init(&racer.go, 0, 0) && !sem_init(&racer.done, 0, 0) &&
	    !pthread_create(&racer.t, NULL, racer_main, NULL))
		racer.up = true;
	return racer.up;
}

/* A reset (device or queue) while the racer processes the ring; which side
 * wins varies, either must be safe. Without the race (most of the time: a
 * thread handoff costs more than a whole input), right after processing. */
static void reset_during_processing(struct fz *f, struct input *in)
{
	uint32_t q = pick_q(f, in);
	uint8_t how = u8(in);

	for (uint8_t i = how >> 4; i; i--)
		blk_request(f, in);
	if (f->raced || (how & 0x0e) != 0x0e || !racer_start()) {
		virtio_mmio__notify(f->dev, q);
		mmio_wr(f->dev, VIRTIO_MMIO_STATUS, 0);
		driver_rings_reset(f);
		return;
	}
	f->raced = true;
	racer.dev = f->dev;
	racer.q = q;
	sem_post(&racer.go);
	if (how & 1) {
		mmio_wr(f->dev, VIRTIO_MMIO_STATUS, 0);
		driver_rings_reset(f);
	} else {
		mmio_wr(f->dev, VIRTIO_MMIO_QUEUE_SEL, q);
		mmio_wr(f->dev, VIRTIO_MMIO_QUEUE_RESET, 1);
	}
	while (sem_wait(&racer.done))
		;
	if ((how & 1) && mmio_rd(f->dev, VIRTIO_MMIO_STATUS) != 0)
		abort();
}

/* A polling device (the poll and busy iothreads): kicks held off or back
 * on, and a look at the ring that processes what is there. */
static void polling_op(struct fz *f, struct input *in)
{
	uint16_t q = pick_q(f, in);
	uint8_t how = u8(in);

	if (how & 1)
		virtio_mmio__set_polling(f->dev, q, how & 2);
	virtio_mmio__poll(f->dev, q);
}

static void run_op(struct fz *f, struct input *in)
{
	static const uint32_t widths[4] = { 1, 2, 4, 8 };
	uint8_t buf[8] = { 0 };
	uint8_t op = u8(in);
	uint16_t q;

	if (op >= 240) {
		switch (op % 8) {
		case 0:
		case 1:
			page_crossing_access(f, in);
			break;
		case 2:
		case 6:
			overlap_layout(f, in);
			break;
		case 4:
		case 5:
			polling_op(f, in);
			break;
		default:
			reset_during_processing(f, in);
			break;
		}
		return;
	}
	switch (op % 16) {
	case 0: {	/* raw access anywhere in (or just past) the window */
		uint32_t off = u16(in) % (VIRTIO_MMIO_WINDOW_BYTES + 8), len = widths[u8(in) & 3];
		uint32_t v = u32(in);

		memcpy(buf, &v, 4);
		virtio_mmio__access(f->dev, off, buf, len, u8(in) & 1);
		break;
	}
	case 1:		/* aligned 32-bit write to a known register */
		mmio_wr(f->dev, regs[u8(in) % (sizeof(regs) / sizeof(regs[0]))], u32(in));
		break;
	case 2:		/* aligned 32-bit read of a known register */
		mmio_rd(f->dev, regs[u8(in) % (sizeof(regs) / sizeof(regs[0]))]);
		break;
	case 3: {	/* guest scribbles on its RAM (rings included) */
		uint32_t off = u16(in) % FZ_RAM_BYTES, n = u8(in) % 32;

		for (uint32_t i = 0; i < n && off + i < FZ_RAM_BYTES; i++)
			f->mem.hva[off + i] = u8(in);
		break;
	}
	case 4:
		canned_init(f, in);
		break;
	case 5: {	/* one descriptor */
		struct vring_desc *d;

		q = pick_q(f, in);
		d = desc_at(f, q, u8(in));
		d->addr = pick_addr(in);
		d->len = u16(in) % 0x3000;
		d->flags = u8(in) & 7;
		d->next = u8(in);
		break;
	}
	case 6:
		q = pick_q(f, in);
		if (f->packed) {	/* one descriptor made available, as it is */
			struct vring_packed_desc d = *pdesc_at(f, q, f->pk_next[q]);

			d.id = u8(in);
			pk_add(f, q, &d, 1);
		} else {
			avail_add(f, q, u8(in));
		}
		break;
	case 7: {	/* avail.idx set to anything */
		struct vring_avail *a;

		q = pick_q(f, in);
		a = (void *)(f->mem.hva + FZ_AVAIL(q));
		f->avail_idx[q] = u16(in);
		__atomic_store_n(&a->idx, f->avail_idx[q], __ATOMIC_RELEASE);
		break;
	}
	case 8:		/* iothread path */
		virtio_mmio__notify(f->dev, u32(in));
		break;
	case 9:		/* trapped path */
		mmio_wr(f->dev, VIRTIO_MMIO_QUEUE_NOTIFY, pick_q(f, in));
		break;
	case 10:	/* interrupt handler */
		mmio_wr(f->dev, VIRTIO_MMIO_INTERRUPT_ACK,
			mmio_rd(f->dev, VIRTIO_MMIO_INTERRUPT_STATUS) & u8(in));
		break;
	case 11:
		blk_request(f, in);
		break;
	case 12: {	/* suppression fields: avail.flags and used_event */
		struct vring vr = { .num = f->qsize ? f->qsize : 1 };

		q = pick_q(f, in);
		if (f->packed) {	/* the driver event suppression structure */
			struct vring_packed_desc_event *e = (void *)(f->mem.hva + FZ_AVAIL(q));

			e->flags = u8(in) & 3;
			e->off_wrap = u16(in);
			break;
		}
		vr.avail = (void *)(f->mem.hva + FZ_AVAIL(q));
		vr.avail->flags = u8(in) & 1;
		vring_used_event(&vr) = u16(in);
		break;
	}
	case 13:
		mmio_wr(f->dev, VIRTIO_MMIO_STATUS, 0);
		driver_rings_reset(f);
		break;
	case 14: {	/* config space, or a device-side config change */
		uint32_t off = VIRTIO_MMIO_CONFIG + u8(in) % 72, len = widths[u8(in) & 3];
		uint8_t how = u8(in);

		if (how & 2)
			virtio_mmio__config_update(f->dev, off - VIRTIO_MMIO_CONFIG, buf, len);
		else
			virtio_mmio__access(f->dev, off, buf, len, how & 1);
		break;
	}
	default: {	/* an indirect table of up to 4 entries in the data area */
		uint64_t t = FZ_DATA + 0x6000 + 64 * (u8(in) % 8);
		struct vring_desc *d = (void *)(f->mem.hva + t);
		uint8_t n = u8(in) % 4 + 1;

		for (uint8_t i = 0; i < n; i++)
			d[i] = (struct vring_desc){ pick_addr(in), u16(in) % 0x800, u8(in) & 7, u8(in) };
		q = pick_q(f, in);
		if (f->packed) {	/* same table bytes, read as packed entries */
			struct vring_packed_desc pd = { t, 16u * n, u8(in), VRING_DESC_F_INDIRECT };

			pk_add(f, q, &pd, 1);
			break;
		}
		*desc_at(f, q, 0) = (struct vring_desc){ t, 16u * n, VRING_DESC_F_INDIRECT, 0 };
		avail_add(f, q, 0);
		break;
	}
	}
}

/* Invariants a guest can never break. */
static void check(struct fz *f)
{
	uint32_t s = mmio_rd(f->dev, VIRTIO_MMIO_STATUS);
	uint32_t isr = mmio_rd(f->dev, VIRTIO_MMIO_INTERRUPT_STATUS);

	if ((s & VIRTIO_CONFIG_S_DRIVER_OK) && !(s & VIRTIO_CONFIG_S_FEATURES_OK))
		abort();
	if ((s & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(virtio_mmio__features(f->dev) & (1ull << VIRTIO_F_VERSION_1)))
		abort();
	if (isr & ~3u)
		abort();
	if (virtio_mmio__irq_pending(f->dev) != (isr != 0))
		abort();
	/* The line is lowered only after being raised. */
	if (f->lowered > f->raised)
		abort();
}

static void debug_dump(struct fz *f, int ops)
{
	struct virtio_blk_stats b;
	struct virtio_mmio_stats m;
	struct virtq_stats q;

	virtio_blk__get_stats(f->blk, &b);
	virtio_mmio__get_stats(f->dev, &m);
	fprintf(stderr, "ops %d status 0x%x nq %u qsize %u: in %llu out %llu flush %llu id %llu unsupp %llu ioerr %llu;"
		" notifies %llu irqs %llu needs_reset %llu invalid-status %llu\n",
		ops, mmio_rd(f->dev, VIRTIO_MMIO_STATUS), f->nq, f->qsize,
		(unsigned long long)b.reqs_in, (unsigned long long)b.reqs_out,
		(unsigned long long)b.reqs_flush, (unsigned long long)b.reqs_get_id,
		(unsigned long long)b.reqs_unsupp, (unsigned long long)b.reqs_ioerr,
		(unsigned long long)m.notifies, (unsigned long long)m.irqs_raised,
		(unsigned long long)m.needs_reset, (unsigned long long)m.invalid[VMMIO_INVAL_STATUS]);
	for (uint16_t i = 0; i < f->nq; i++) {
		virtio_mmio__get_queue_stats(f->dev, i, &q);
		fprintf(stderr, "  q%u: popped %llu completed %llu irqs %llu suppressed %llu\n", i,
			(unsigned long long)q.chains_popped, (unsigned long long)q.chains_completed,
			(unsigned long long)q.used_irqs, (unsigned long long)q.used_irqs_suppressed);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fz f;
	struct virtio_blk_cfg cfg;
	uint8_t hdr = u8(&in);
	int ops = 0;

	static struct guard_mem ram;		/* mapped once: guards on both sides */
	static struct kvm_vm vm;

	if (!ram.hva && guard_mem_map(&ram, FZ_RAM_BYTES, 0))
		abort();
	memset(&f, 0, sizeof(f));
	driver_rings_reset(&f);
	f.mem.hva = ram.hva;
	memset(f.mem.hva, 0, FZ_RAM_BYTES);
	f.mem.size_bytes = FZ_RAM_BYTES;
	/* A bus as the exit loop sees it: the window, nothing past it. */
	memset(&vm, 0, sizeof(vm));
	vm.unclaimed_policy = UNCLAIMED_WARN;
	vm.guest_errors.logged = ~0u;		/* the fuzzer makes thousands: stay quiet */
	f.vm = &vm;
	f.nq = 1 + (hdr & 3);
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = (hdr & 4) ? VIRTIO_BLK_BACKEND_NULL : VIRTIO_BLK_BACKEND_RAM;
	cfg.capacity_sectors = 16;
	cfg.num_queues = f.nq;
	cfg.queue_size_max = 256;
	cfg.irq = &fz_irq;
	cfg.irq_ctx = &f;
	cfg.mem = &f.mem;
	if (virtio_blk__create(&cfg, &f.blk))
		abort();
	f.dev = virtio_blk__mmio(f.blk);
	if (bus_register(&vm, BUS_MMIO, VIRTIO_MMIO_BASE, VIRTIO_MMIO_WINDOW_BYTES,
			 virtio_mmio__access, f.dev))
		abort();
	while (in.n && ops++ < 4096) {
		run_op(&f, &in);
		check(&f);
	}
	if (getenv("FUZZ_VIRTIO_DEBUG"))	/* what an input reached, for corpus work */
		debug_dump(&f, ops);
	virtio_blk__destroy(f.blk);
	return 0;
}
