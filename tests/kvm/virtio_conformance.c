// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio device checklist (docs: virtio-mmio.md, items 1-19, and
 * 20: the same rules over the packed ring) driven
 * from guest code over real exits: the guest (CPL3, and again at CPL0)
 * makes the accesses, right
 * and wrong ones, with raw mmio_read/mmio_write where the driver API would
 * not misbehave on purpose, and checks what it reads back; the host checks
 * the device's counters at each GUEST_SYNC. The device is the real
 * virtio-blk (RAM backend, two queues) wired with harness/virtio_kvm.c.
 *
 * Every item runs with trapped notifications + KVM_IRQ_LINE and with
 * ioeventfd (datamatch) + irqfd; item 12 also with a resampling irqfd. Each
 * case gets a fresh VM and device, so the counters are the case's own.
 *
 * Absence checks with an iothread ("this kick was ignored") need the kick to
 * have been handled before the host looks: the guest never has two kicks of
 * unknown effect outstanding, reports how many ioeventfd kicks it made, and
 * the host waits (bounded) until the iothread has made that many
 * virtio_mmio__notify() calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "guest.h"
#include "guest_apic.h"
#include "guest_virtio.h"
#include "kvm_util.h"
#include "virtio_blk_dev.h"
#include "virtio_kvm.h"

#define QS		16
#define NQ		2
#define QMAX		256
#define DISK_SECTORS	64
#define CFG_LEN		((uint32_t)sizeof(struct virtio_blk_config))
#define V1		(1ULL << VIRTIO_F_VERSION_1)
#define S_A		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_D		VIRTIO_CONFIG_S_DRIVER
#define S_F		VIRTIO_CONFIG_S_FEATURES_OK
#define S_K		VIRTIO_CONFIG_S_DRIVER_OK
#define S_LIVE		(S_A | S_D | S_F | S_K)
#define GSI		VIRTIO_MMIO_GSI
#define VEC		GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI)

/* Guest work area: offsets from its base. */
#define A_DRV		0x0000
#define A_Q0		0x0100
#define A_Q1		0x0200
#define A_PQ		0x0300		/* a packed queue 0 (item 20) */
#define A_RING0		0x1000
#define A_RING1		0x4000
#define A_RING2		0x7000
#define A_SLOTS0	0xa000
#define A_SLOTS1	0xa400
#define A_SLOTS2	0xa800
#define A_REQ		0xb000		/* 8 requests, 0x100 each */
#define A_DATA		0xc000		/* 8 sectors */
#define AREA_BYTES	0x10000

struct cparams {
	uint64_t area, ram_bytes;
	uint32_t level;			/* the IOAPIC pin is level-triggered */
	uint32_t tsc_khz;		/* for a liveness bound on interrupt waits */
};

/* ---- guest helpers ------------------------------------------------------ */
static volatile uint32_t conf_bits, conf_ack;
static volatile uint64_t conf_irqs, conf_kicks;

GUEST_INLINE uint32_t rd(uint32_t off) { return mmio_read32(VIRTIO_MMIO_BASE + off); }
GUEST_INLINE void wr(uint32_t off, uint32_t v) { mmio_write32(VIRTIO_MMIO_BASE + off, v); }
GUEST_INLINE struct virtio_mmio_drv *drv(struct cparams *p) { return (void *)(p->area + A_DRV); }
GUEST_INLINE struct vring_drv *q0(struct cparams *p) { return (void *)(p->area + A_Q0); }
GUEST_INLINE struct vring_drv *q1(struct cparams *p) { return (void *)(p->area + A_Q1); }
GUEST_INLINE void *at(struct cparams *p, uint64_t off) { return (void *)(p->area + off); }

/* Every SYNC carries the number of kicks that can match an ioeventfd. */
#define CSYNC(stage, ...) GUEST_SYNC(stage, conf_kicks, ##__VA_ARGS__)

GUEST_CODE static void conf_isr(struct ex_regs *regs)
{
	uint32_t bits = rd(VIRTIO_MMIO_INTERRUPT_STATUS);

	(void)regs;
	if (conf_ack && bits)
		wr(VIRTIO_MMIO_INTERRUPT_ACK, bits);
	conf_bits |= bits;
	conf_irqs++;
	lapic_eoi();
}

/* QueueNotify with a plain queue index: what an ioeventfd matches. */
GUEST_CODE static void kick(uint32_t q)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
	conf_kicks++;
}

/* reset, ACK, DRIVER, features (page 2 gets page2 if non-zero), FEATURES_OK;
 * returns Status as read back. */
GUEST_CODE static uint32_t try_features(uint64_t f, uint32_t page2)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_A);
	wr(VIRTIO_MMIO_STATUS, S_A | S_D);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	if (page2) {
		wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
		wr(VIRTIO_MMIO_DRIVER_FEATURES, page2);
	}
	wr(VIRTIO_MMIO_STATUS, S_A | S_D | S_F);
	return rd(VIRTIO_MMIO_STATUS);
}

GUEST_CODE static void setup_q(struct cparams *p, uint16_t idx, uint64_t ring_off, uint64_t slots_off)
{
	struct vring_drv *q = idx ? q1(p) : q0(p);

	guest_memset(at(p, ring_off), 0, 0x3000);
	GUEST_ASSERT_EQ(virtio_mmio_setup_queue(drv(p), q, idx, QS, at(p, ring_off), 4096,
						at(p, slots_off)), QS);
}

/* The driver's own bring-up: features, both queues (or only queue 0), DRIVER_OK. */
GUEST_CODE static void bring_up(struct cparams *p, uint64_t features, int nq)
{
	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, features), 0);
	setup_q(p, 0, A_RING0, A_SLOTS0);
	if (nq > 1)
		setup_q(p, 1, A_RING1, A_SLOTS1);
	virtio_mmio_driver_ok(drv(p));
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_LIVE);
}

/* Request n's header, sector and status as three buffers: returns how
 * many the device reads (the rest it writes). */
GUEST_CODE static unsigned int blk_req_sg(struct cparams *p, uint32_t n, uint32_t type,
					   struct vring_sg sg[3])
{
	struct virtio_blk_req *req = at(p, A_REQ + 0x100 * (uint64_t)n);

	req->hdr.type = type;
	req->hdr.ioprio = 0;
	req->hdr.sector = n;
	req->status = 0xff;
	sg[0].buf = &req->hdr;
	sg[0].len = sizeof(req->hdr);
	sg[1].buf = at(p, A_DATA + 512 * (uint64_t)n);
	sg[1].len = 512;
	sg[2].buf = (void *)&req->status;
	sg[2].len = 1;
	return type == VIRTIO_BLK_T_IN ? 1 : 2;
}

/* One blk request (header, one sector, status) on q, published. */
GUEST_CODE static int blk_add(struct cparams *p, struct vring_drv *q, uint32_t n, uint32_t type)
{
	struct vring_sg sg[3];
	unsigned int out = blk_req_sg(p, n, type, sg);
	int head = vring_drv_add(q, sg, out, 3 - out, at(p, A_REQ + 0x100 * (uint64_t)n), NULL);

	GUEST_ASSERT(head >= 0);
	vring_drv_publish(q);
	return head;
}

GUEST_CODE static void wait_used(struct vring_drv *q)
{
	while (!vring_drv_has_used(q))
		cpu_relax();
}

/* Collects one completion: checks it is request n with status OK. */
GUEST_CODE static uint32_t pop_ok(struct cparams *p, struct vring_drv *q, uint32_t n)
{
	struct virtio_blk_req *req = at(p, A_REQ + 0x100 * (uint64_t)n);
	void *cookie;
	uint32_t len;

	wait_used(q);
	GUEST_ASSERT_EQ(vring_drv_pop_used(q, &cookie, &len), 1);
	GUEST_ASSERT_EQ((uint64_t)cookie, (uint64_t)req);
	GUEST_ASSERT_EQ(req->status, VIRTIO_BLK_S_OK);
	return len;
}

/* Spins (CPL3 runs natively) until cond or 10 s of TSC: an interrupt that
 * never comes fails this case, not the whole program by the watchdog. */
#define WAIT_FOR(p, cond) do { uint64_t __t0 = rdtsc_fenced(); \
	while (!(cond)) { cpu_relax(); \
		if (rdtsc_fenced() - __t0 > 10000ULL * (p)->tsc_khz) { \
			GUEST_ASSERT(cond); break; } } } while (0)

/* A request that must complete: add, kick, collect. */
GUEST_CODE static void request_ok(struct cparams *p, int qi, uint32_t n)
{
	struct vring_drv *q = qi ? q1(p) : q0(p);

	blk_add(p, q, n, VIRTIO_BLK_T_OUT);
	kick((uint32_t)qi);
	pop_ok(p, q, n);
}

/* A request whose used-buffer interrupt the case relies on: with EVENT_IDX
 * an iothread may decide about the completion after the driver collected
 * it and moved used_event on, and then rightly not interrupt. So wait for
 * InterruptStatus before collecting. */
GUEST_CODE static void request_irq_ok(struct cparams *p, int qi, uint32_t n)
{
	struct vring_drv *q = qi ? q1(p) : q0(p);

	blk_add(p, q, n, VIRTIO_BLK_T_OUT);
	kick((uint32_t)qi);
	WAIT_FOR(p, rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
	pop_ok(p, q, n);
}

/* QueueNum, the three ring addresses, QueueReady = 1 on the selected queue;
 * returns QueueReady as read back. */
GUEST_CODE static uint32_t prog_queue(uint32_t size, uint64_t d, uint64_t a, uint64_t u)
{
	wr(VIRTIO_MMIO_QUEUE_NUM, size);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)a);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(a >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)u);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(u >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	return rd(VIRTIO_MMIO_QUEUE_READY);
}

GUEST_CODE static uint32_t try_ready(uint32_t size, uint64_t d, uint64_t a, uint64_t u)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	return prog_queue(size, d, a, u);
}

/* ---- item 1 ------------------------------------------------------------- */
GUEST_CODE static void g01(struct cparams *p)
{
	uint32_t magic = rd(VIRTIO_MMIO_MAGIC_VALUE);
	volatile uint8_t *b = (volatile uint8_t *)&magic;

	(void)p;
	/* Little-endian: the bytes in memory order spell "virt". */
	GUEST_ASSERT(b[0] == 'v' && b[1] == 'i' && b[2] == 'r' && b[3] == 't');
	CSYNC(1, magic, rd(VIRTIO_MMIO_VERSION), rd(VIRTIO_MMIO_DEVICE_ID),
	      rd(VIRTIO_MMIO_VENDOR_ID));
}

/* ---- item 2 ------------------------------------------------------------- */
GUEST_CODE static void g02(struct cparams *p)
{
	const uint64_t B = VIRTIO_MMIO_BASE;

	/* Wrong widths: reads return 0, writes are dropped. */
	GUEST_ASSERT_EQ(mmio_read16(B + VIRTIO_MMIO_MAGIC_VALUE), 0);
	GUEST_ASSERT_EQ(mmio_read8(B + VIRTIO_MMIO_MAGIC_VALUE), 0);
	GUEST_ASSERT_EQ(mmio_read64(B + VIRTIO_MMIO_MAGIC_VALUE), 0);
	mmio_write8(B + VIRTIO_MMIO_STATUS, S_A);
	mmio_write16(B + VIRTIO_MMIO_STATUS, S_A);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	/* Unaligned. */
	GUEST_ASSERT_EQ(mmio_read32(B + VIRTIO_MMIO_MAGIC_VALUE + 2), 0);
	mmio_write32(B + VIRTIO_MMIO_STATUS + 1, S_A);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	/* Reads of write-only registers return 0. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_SEL), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_ACK), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	/* Writes to read-only registers are dropped. */
	wr(VIRTIO_MMIO_MAGIC_VALUE, 0);
	wr(VIRTIO_MMIO_INTERRUPT_STATUS, 3);
	wr(VIRTIO_MMIO_DEVICE_FEATURES, 0);
	wr(VIRTIO_MMIO_CONFIG_GENERATION, 5);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	/* Undefined offsets (legacy GuestPageSize / QueuePFN, a hole). */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_GUEST_PAGE_SIZE), 0);
	GUEST_ASSERT_EQ(rd(0x0f0), 0);
	wr(VIRTIO_MMIO_QUEUE_PFN, 1);
	wr(0x0f0, 1);
	CSYNC(1);
	/* Nothing was fatal: the device comes up and works. */
	bring_up(p, V1, 1);
	request_ok(p, 0, 0);
}

/* ---- item 3 ------------------------------------------------------------- */
GUEST_CODE static void g03(struct cparams *p)
{
	uint32_t lo, hi;

	(void)p;
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	for (uint32_t sel = 2; sel < 6; sel++) {
		wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	}
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	CSYNC(1, lo, hi);
}

/* ---- item 4 ------------------------------------------------------------- */
GUEST_CODE static void g04(struct cparams *p)
{
	uint32_t s[5];

	(void)p;
	/* Not while DRIVER is clear. */
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_A);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	/* Refusals: FEATURES_OK stays clear. */
	s[0] = try_features(V1 | (1ULL << VIRTIO_BLK_F_RO), 0);		/* not offered */
	s[1] = try_features(1ULL << VIRTIO_BLK_F_FLUSH, 0);		/* no VERSION_1 */
	s[2] = try_features(V1 | (1ULL << VIRTIO_F_ADMIN_VQ), 0);		/* never on MMIO */
	s[3] = try_features(V1, 1);					/* a bit on page 2 */
	s[4] = try_features(V1 | (1ULL << VIRTIO_BLK_F_FLUSH), 0);	/* fine */
	for (int i = 0; i < 4; i++)
		GUEST_ASSERT_EQ(s[i], S_A | S_D);
	GUEST_ASSERT_EQ(s[4], S_A | S_D | S_F);
	/* Not after FEATURES_OK either. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CSYNC(1);
}

/* ---- item 5 ------------------------------------------------------------- */
GUEST_CODE static void g05(struct cparams *p)
{
	struct virtio_mmio_drv *d = drv(p);

	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_A | S_D);			/* skips ACK */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	wr(VIRTIO_MMIO_STATUS, S_A);
	wr(VIRTIO_MMIO_STATUS, S_A);				/* rewrite: harmless */
	wr(VIRTIO_MMIO_STATUS, S_A | S_D);
	wr(VIRTIO_MMIO_STATUS, S_A | S_D | S_K);		/* DRIVER_OK before FEATURES_OK */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_A | S_D);
	wr(VIRTIO_MMIO_STATUS, S_A);				/* losing a bit */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_A | S_D);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);			/* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, S_A | S_D | S_F);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_A | S_D | S_F);
	d->base = VIRTIO_MMIO_BASE;
	d->features = V1;
	setup_q(p, 0, A_RING0, A_SLOTS0);
	wr(VIRTIO_MMIO_STATUS, S_LIVE);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_LIVE);
	request_ok(p, 0, 0);
	/* FAILED stops the device: a kick is ignored. */
	wr(VIRTIO_MMIO_STATUS, S_LIVE | VIRTIO_CONFIG_S_FAILED);
	blk_add(p, q0(p), 1, VIRTIO_BLK_T_OUT);
	kick(0);
	CSYNC(1);
	GUEST_ASSERT(!vring_drv_has_used(q0(p)));
	/* Only a reset leaves FAILED; it is synchronous. */
	wr(VIRTIO_MMIO_STATUS, S_LIVE);
	GUEST_ASSERT(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FAILED);
	wr(VIRTIO_MMIO_STATUS, 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	CSYNC(2);
}

/* ---- item 6 ------------------------------------------------------------- */
GUEST_CODE static void g06(struct cparams *p)
{
	const uint64_t f = V1 | (1ULL << VIRTIO_RING_F_EVENT_IDX);
	uint32_t page0, gen;

	bring_up(p, f, 2);
	request_irq_ok(p, 0, 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	page0 = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	GUEST_ASSERT(rd(VIRTIO_MMIO_DEVICE_FEATURES) != page0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	CSYNC(1);

	wr(VIRTIO_MMIO_STATUS, 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* DeviceFeaturesSel is back to 0. */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), page0);
	for (uint32_t q = 0; q < NQ; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	}
	GUEST_ASSERT(rd(VIRTIO_MMIO_CONFIG_GENERATION) - gen < 0x80000000u);	/* not backwards */
	CSYNC(2);

	/* Size and addresses are gone: QueueReady = 1 without reprogramming
	 * is refused. QueueSel is 0 again: programming without selecting
	 * configures queue 0, not the queue 1 selected before the reset. */
	GUEST_ASSERT_EQ(try_features(f, 0), S_A | S_D | S_F);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	/* Reprogrammed, the indices start again from 0. */
	guest_memset(at(p, A_RING0), 0, 0x3000);
	GUEST_ASSERT_EQ(vring_drv_init(q0(p), QS, at(p, A_RING0), 4096, at(p, A_SLOTS0), 0, f), 0);
	GUEST_ASSERT_EQ(prog_queue(QS, vring_drv_desc_addr(q0(p)), vring_drv_avail_addr(q0(p)),
				   vring_drv_used_addr(q0(p))), 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, S_LIVE);
	request_ok(p, 0, 1);
	GUEST_ASSERT_EQ(q0(p)->vr.used->idx, 1);
	CSYNC(3);
}

/* ---- item 7 ------------------------------------------------------------- */
GUEST_CODE static void g07(struct cparams *p)
{
	struct vring_drv *q = q0(p);

	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, V1), 0);
	setup_q(p, 0, A_RING0, A_SLOTS0);	/* queue 1 stays not ready */
	blk_add(p, q, 0, VIRTIO_BLK_T_OUT);
	kick(0);				/* before DRIVER_OK */
	CSYNC(1);
	GUEST_ASSERT(!vring_drv_has_used(q));
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	virtio_mmio_driver_ok(drv(p));
	kick(1);				/* queue 1 is not ready */
	CSYNC(2);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);		/* queue 0 stopped */
	kick(0);
	CSYNC(3);
	GUEST_ASSERT(!vring_drv_has_used(q));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);		/* and started again: now it runs */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	kick(0);
	pop_ok(p, q, 0);
	/* After reset nothing more is consumed. */
	wr(VIRTIO_MMIO_STATUS, 0);
	blk_add(p, q, 1, VIRTIO_BLK_T_OUT);
	kick(0);
	CSYNC(4);
	GUEST_ASSERT(!vring_drv_has_used(q));
}

/* ---- item 8 ------------------------------------------------------------- */
GUEST_CODE static void g08(struct cparams *p)
{
	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, V1), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, NQ);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QS);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	CSYNC(1);
	/* The dropped writes configured nothing: queue 0 still sets up and works. */
	setup_q(p, 0, A_RING0, A_SLOTS0);
	virtio_mmio_driver_ok(drv(p));
	request_ok(p, 0, 0);
}

/* ---- item 9 ------------------------------------------------------------- */
GUEST_CODE static void g09(struct cparams *p)
{
	bring_up(p, V1, 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 1);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, 0x8);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	/* Still running on its original configuration. */
	request_ok(p, 0, 0);
	request_ok(p, 0, 1);
	/* Before FEATURES_OK the queue registers are not writable either. */
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_A);
	wr(VIRTIO_MMIO_STATUS, S_A | S_D);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	CSYNC(1);
}

/* ---- item 10 ------------------------------------------------------------ */
GUEST_CODE static void g10(struct cparams *p)
{
	uint64_t d = p->area + A_RING0, a = d + 16 * QS, u = d + 4096, ram = p->ram_bytes;

	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, V1), 0);
	GUEST_ASSERT_EQ(try_ready(0, d, a, u), 0);
	GUEST_ASSERT_EQ(try_ready(2 * QMAX, d, a, u), 0);		/* > QueueSizeMax */
	GUEST_ASSERT_EQ(try_ready(12, d, a, u), 0);			/* not a power of two */
	GUEST_ASSERT_EQ(try_ready(QS, d + 8, a, u), 0);			/* desc not 16-aligned */
	GUEST_ASSERT_EQ(try_ready(QS, d, a + 1, u), 0);			/* avail not 2-aligned */
	GUEST_ASSERT_EQ(try_ready(QS, d, a, u + 2), 0);			/* used not 4-aligned */
	GUEST_ASSERT_EQ(try_ready(QS, ram - 16, a, u), 0);		/* desc past RAM */
	GUEST_ASSERT_EQ(try_ready(QS, d, ram - 2, u), 0);		/* avail past RAM */
	GUEST_ASSERT_EQ(try_ready(QS, d, a, ram - 8), 0);		/* used past RAM */
	GUEST_ASSERT_EQ(try_ready(QS, d + (1ULL << 32), a, u), 0);	/* high dword */
	wr(VIRTIO_MMIO_QUEUE_READY, 2);					/* not a boolean */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	GUEST_ASSERT_EQ(try_ready(QS, d, a, u), 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	CSYNC(1);
}

/* ---- item 11 ------------------------------------------------------------ */
GUEST_CODE static void g11(struct cparams *p)
{
	bring_up(p, V1, 2);
	/* Out of range (no NOTIFICATION_DATA: 0x10000 is index 65536). These
	 * match no ioeventfd, so they trap in every mode. */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, NQ);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	/* Spurious: an empty ring. */
	kick(0);
	CSYNC(1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_LIVE);
	request_ok(p, 0, 0);
	request_ok(p, 1, 1);
	CSYNC(2);

	/* NOTIFICATION_DATA: index | next_off << 16 | next_wrap << 31, where
	 * the wiring offers it (not with a datamatch ioeventfd). */
	bring_up(p, V1 | (1ULL << VIRTIO_F_NOTIFICATION_DATA), 2);
	bool nd = drv(p)->features & (1ULL << VIRTIO_F_NOTIFICATION_DATA);
	blk_add(p, q1(p), 2, VIRTIO_BLK_T_OUT);
	virtio_mmio_notify(drv(p), q1(p));	/* 1 | 1 << 16, or 1 */
	pop_ok(p, q1(p), 2);
	blk_add(p, q0(p), 3, VIRTIO_BLK_T_OUT);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, nd ? 0u | 1u << 16 | 1u << 31 : 0u);
	pop_ok(p, q0(p), 3);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 5u | 1u << 16);	/* index 5: out of range */
	if (!nd)
		conf_kicks += 2;	/* the two above were plain kicks: an ioeventfd's */
	CSYNC(3, nd);
}

/* ---- item 12 ------------------------------------------------------------ */
GUEST_CODE static void g12(struct cparams *p)
{
	bring_up(p, V1, 1);
	/* Edge: no ACK at all, InterruptStatus stays set, yet every new
	 * completion must interrupt again. Level: the ISR acks each. */
	conf_ack = p->level;
	ioapic_route(GSI, VEC, p->level, false);
	for (uint32_t k = 0; k < 3; k++) {
		uint64_t before = conf_irqs;

		blk_add(p, q0(p), k, VIRTIO_BLK_T_OUT);
		kick(0);
		WAIT_FOR(p, conf_irqs != before);
		pop_ok(p, q0(p), k);
	}
	if (!p->level)
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CSYNC(1, conf_irqs);
	/* Held until acked: with the pin masked nobody acks. */
	ioapic_route(GSI, VEC, p->level, true);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 3);
	request_irq_ok(p, 0, 3);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CSYNC(2);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CSYNC(3);
}

/* ---- item 13 ------------------------------------------------------------ */
GUEST_CODE static void g13(struct cparams *p)
{
	bring_up(p, V1, 1);
	request_irq_ok(p, 0, 0);
	CSYNC(1);				/* the host changes the config */
	WAIT_FOR(p, rd(VIRTIO_MMIO_INTERRUPT_STATUS) == 3);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 0);	/* clears nothing */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CSYNC(2);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 3);	/* already clear */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CSYNC(3);
}

/* ---- item 14 ------------------------------------------------------------ */
GUEST_CODE static void g14(struct cparams *p)
{
	const uint32_t off = offsetof(struct virtio_blk_config, opt_io_size);
	uint32_t g0, g1, v = 0;

	wr(VIRTIO_MMIO_STATUS, 0);
	drv(p)->base = VIRTIO_MMIO_BASE;
	g0 = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	CSYNC(1);				/* host: opt_io_size = 7 */
	g1 = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	GUEST_ASSERT(g1 != g0);
	GUEST_ASSERT_EQ(virtio_mmio_config_read(drv(p), off, &v, 4), 0);
	GUEST_ASSERT_EQ(v, 7);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);	/* not before DRIVER_OK */
	bring_up(p, V1, 1);
	g0 = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	CSYNC(2);				/* host: opt_io_size = 9 */
	GUEST_ASSERT(rd(VIRTIO_MMIO_CONFIG_GENERATION) != g0);
	GUEST_ASSERT_EQ(virtio_mmio_config_read(drv(p), off, &v, 4), 0);
	GUEST_ASSERT_EQ(v, 9);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CSYNC(3);
}

/* ---- item 15 ------------------------------------------------------------ */
GUEST_CODE static void g15(struct cparams *p)
{
	const uint64_t C = VIRTIO_MMIO_BASE + VIRTIO_MMIO_CONFIG;

	(void)p;
	/* Readable right after reset, before FEATURES_OK, at widths 1, 2, 4. */
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_A);
	GUEST_ASSERT_EQ(mmio_read32(C + offsetof(struct virtio_blk_config, capacity)), DISK_SECTORS);
	GUEST_ASSERT_EQ(mmio_read32(C + offsetof(struct virtio_blk_config, capacity) + 4), 0);
	GUEST_ASSERT_EQ(mmio_read16(C + offsetof(struct virtio_blk_config, capacity)), DISK_SECTORS);
	GUEST_ASSERT_EQ(mmio_read8(C + offsetof(struct virtio_blk_config, capacity)), DISK_SECTORS);
	GUEST_ASSERT_EQ(mmio_read32(C + offsetof(struct virtio_blk_config, blk_size)), 512);
	GUEST_ASSERT_EQ(mmio_read16(C + offsetof(struct virtio_blk_config, num_queues)), NQ);
	/* Out of range reads 0. */
	GUEST_ASSERT_EQ(mmio_read8(C + CFG_LEN), 0);
	GUEST_ASSERT_EQ(mmio_read32(C + CFG_LEN), 0);
	GUEST_ASSERT_EQ(mmio_read32(VIRTIO_MMIO_BASE + 0xffc), 0);
	/* Misaligned and wrong width: refused, read 0. */
	GUEST_ASSERT_EQ(mmio_read16(C + 1), 0);
	GUEST_ASSERT_EQ(mmio_read32(C + 2), 0);
	GUEST_ASSERT_EQ(mmio_read64(C), 0);
	/* Writes: read-only config (virtio-blk without CONFIG_WCE), out of range. */
	mmio_write8(C, 0x99);
	mmio_write32(C + CFG_LEN, 1);
	GUEST_ASSERT_EQ(mmio_read8(C), DISK_SECTORS);
	CSYNC(1);
}

/* ---- item 16 ------------------------------------------------------------ */
GUEST_CODE static void g16(struct cparams *p)
{
	static const uint32_t sels[] = { 0, 1, 2, 0xffffffff };

	(void)p;
	for (uint32_t i = 0; i < 4; i++) {
		wr(VIRTIO_MMIO_SHM_SEL, sels[i]);
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffff);
		GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
	}
	CSYNC(1);
}

/* ---- item 17 ------------------------------------------------------------ */
GUEST_CODE static void g17(struct cparams *p)
{
	/* Without RING_RESET the register is not there. */
	bring_up(p, V1, 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_RESET, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_RESET), 0);
	CSYNC(1);

	bring_up(p, V1 | (1ULL << VIRTIO_F_RING_RESET), 2);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_RESET), 0);	/* after enable */
	request_ok(p, 1, 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_RESET, 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_RESET), 0);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	/* Queue 0 is untouched. */
	request_ok(p, 0, 1);
	/* Queue 1 comes back after DRIVER_OK, on a new ring, from index 0. */
	setup_q(p, 1, A_RING2, A_SLOTS2);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_RESET), 0);
	request_ok(p, 1, 2);
	GUEST_ASSERT_EQ(q1(p)->vr.used->idx, 1);
	wr(VIRTIO_MMIO_QUEUE_RESET, 0);				/* only 1 is valid */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_LIVE);
	CSYNC(2);
}

/* ---- item 18 ------------------------------------------------------------ */
GUEST_CODE static void g18(struct cparams *p)
{
	struct vring_drv *q = q0(p);
	uint32_t st;

	bring_up(p, V1, 2);
	conf_ack = 1;
	ioapic_route(GSI, VEC, p->level, false);
	/* A head index past the ring. */
	q->vr.avail->ring[q->avail_idx & q->mask] = QS + 3;
	guest_wmb();
	q->vr.avail->idx = (uint16_t)(q->avail_idx + 1);
	guest_mb();
	kick(0);
	WAIT_FOR(p, conf_bits & VIRTIO_MMIO_INT_CONFIG);
	st = rd(VIRTIO_MMIO_STATUS);
	GUEST_ASSERT_EQ(st, S_LIVE | VIRTIO_CONFIG_S_NEEDS_RESET);
	GUEST_ASSERT_EQ(q->vr.used->idx, 0);
	kick(0);				/* the stopped queue ignores it */
	CSYNC(1);
	/* The other queue keeps working. */
	request_ok(p, 1, 0);
	/* Writing back what was read (NEEDS_RESET included) is fine. */
	wr(VIRTIO_MMIO_STATUS, st);
	CSYNC(2);
	/* Reset brings everything back. */
	bring_up(p, V1, 2);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_LIVE);
	request_ok(p, 0, 1);
	request_ok(p, 1, 2);
	CSYNC(3);
}

/* ---- item 19 ------------------------------------------------------------ */
GUEST_CODE static void g19(struct cparams *p)
{
	struct vring_drv *q = q0(p);
	const struct vring_used_elem *e;
	int head;

	/* NO_INTERRUPT: no interrupt; used entry = (head, bytes written). */
	bring_up(p, V1, 1);
	vring_drv_disable_cb(q);
	GUEST_ASSERT(q->vr.avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
	head = blk_add(p, q, 0, VIRTIO_BLK_T_IN);
	kick(0);
	wait_used(q);
	e = &q->vr.used->ring[0];
	GUEST_ASSERT_EQ(e->id, (uint32_t)head);
	GUEST_ASSERT_EQ(e->len, 513);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	GUEST_ASSERT_EQ(q->vr.used->flags, 0);	/* idle: kicks welcome again */
	head = blk_add(p, q, 1, VIRTIO_BLK_T_OUT);
	kick(0);
	while (q->vr.used->idx != 2)
		cpu_relax();
	GUEST_ASSERT_EQ(q->vr.used->ring[1].id, (uint32_t)head);
	GUEST_ASSERT_EQ(q->vr.used->ring[1].len, 1);
	CSYNC(1);

	/* EVENT_IDX: used_event = 1 asks for an interrupt only once used.idx
	 * passes 1, i.e. at the second completion. */
	bring_up(p, V1 | (1ULL << VIRTIO_RING_F_EVENT_IDX), 1);
	vring_used_event(&q->vr) = 1;
	guest_mb();
	blk_add(p, q, 2, VIRTIO_BLK_T_OUT);
	kick(0);
	wait_used(q);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	blk_add(p, q, 3, VIRTIO_BLK_T_OUT);
	kick(0);
	while (q->vr.used->idx != 2)
		cpu_relax();
	WAIT_FOR(p, rd(VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_MMIO_INT_VRING);
	/* Kick suppression: the device asks to be kicked when avail passes 2. */
	GUEST_ASSERT_EQ(vring_avail_event(&q->vr), 2);
	CSYNC(2);
}

/* ---- item 20: the packed ring ------------------------------------------- */
GUEST_INLINE struct vring_pdrv *pq0(struct cparams *p) { return (void *)(p->area + A_PQ); }

/* One blk request (header, one sector, status) made available on q. */
GUEST_CODE static int pblk_add(struct cparams *p, struct vring_pdrv *q, uint32_t n, uint32_t type)
{
	struct vring_sg sg[3];
	unsigned int out = blk_req_sg(p, n, type, sg);
	int id = vring_pdrv_add(q, sg, out, 3 - out, at(p, A_REQ + 0x100 * (uint64_t)n), NULL);

	GUEST_ASSERT(id >= 0);
	return id;
}

GUEST_CODE static void packed_areas(uint64_t desc, uint64_t drv_evt, uint64_t dev_evt)
{
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)drv_evt);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(drv_evt >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)dev_evt);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(dev_evt >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

GUEST_CODE static void g20(struct cparams *p)
{
	const uint64_t f = V1 | (1ULL << VIRTIO_F_RING_PACKED);
	const uint64_t ring = p->area + A_RING0;
	struct vring_pdrv *q = pq0(p);
	struct vring_pdrv_id *ids = at(p, A_SLOTS0);
	uint32_t slot = 0, laps = 0;
	void *cookie;
	uint32_t len;

	/* QueueReady = 1 refused: descriptor ring not 16-aligned, either
	 * event area not 4-aligned, the ring past the end of RAM. */
	GUEST_ASSERT(try_features(f, 0) & S_F);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QS);
	packed_areas(ring + 8, ring + 0x800, ring + 0x900);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	packed_areas(ring, ring + 0x802, ring + 0x900);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	packed_areas(ring, ring + 0x800, ring + 0x902);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	packed_areas(p->ram_bytes - 64, ring + 0x800, ring + 0x900);
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	packed_areas(ring, ring + 0x800, ring + 0x900);		/* a good layout */
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	CSYNC(1);

	/* Nothing is consumed before DRIVER_OK. */
	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, f), 0);
	guest_memset(at(p, A_RING0), 0, 0x3000);
	GUEST_ASSERT_EQ(virtio_mmio_setup_packed_queue(drv(p), q, 0, QS, at(p, A_RING0), ids), QS);
	vring_pdrv_disable_cb(q);
	pblk_add(p, q, 0, VIRTIO_BLK_T_IN);
	kick(0);
	CSYNC(2);
	GUEST_ASSERT(!vring_pdrv_has_used(q));
	virtio_mmio_driver_ok(drv(p));
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_STATUS), S_LIVE);
	kick(0);
	while (!vring_pdrv_has_used(q))
		cpu_relax();
	/* The used element sits in the list's first slot, with its buffer
	 * id, the bytes written and both flags equal to the wrap counter. */
	GUEST_ASSERT_EQ(q->desc[0].id, 0);
	GUEST_ASSERT_EQ(q->desc[0].len, 513);
	GUEST_ASSERT(vring_packed_is_used(q->desc[0].flags, true));
	GUEST_ASSERT_EQ(vring_pdrv_pop_used(q, &cookie, &len), 1);
	GUEST_ASSERT_EQ((uint64_t)cookie, (uint64_t)at(p, A_REQ));
	GUEST_ASSERT_EQ(len, 513);
	slot = 3;

	/* Three laps of 3-slot lists, one at a time: lists cross the ring
	 * end, the wrap counter flips there (used flags of the new lap), and
	 * each used element names its buffer; callbacks stay DISABLEd. */
	for (uint32_t i = 1; i <= QS; i++) {
		uint32_t n = i % 8;
		int id = pblk_add(p, q, n, i & 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN);
		bool wrap = !(laps & 1);

		kick(0);
		while (!vring_pdrv_has_used(q))
			cpu_relax();
		GUEST_ASSERT_EQ(q->desc[slot].id, (uint32_t)id);
		GUEST_ASSERT_EQ(q->desc[slot].len, i & 1 ? 1 : 513);
		GUEST_ASSERT(vring_packed_is_used(q->desc[slot].flags, wrap));
		GUEST_ASSERT_EQ(vring_pdrv_pop_used(q, &cookie, &len), 1);
		GUEST_ASSERT_EQ((uint64_t)cookie, (uint64_t)at(p, A_REQ + 0x100 * (uint64_t)n));
		slot += 3;
		if (slot >= QS) {
			slot -= QS;
			laps++;
		}
	}
	GUEST_ASSERT_EQ(laps, 3);
	GUEST_ASSERT_EQ(q->used_wrap, !(laps & 1));
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);	/* DISABLE held */
	CSYNC(3);

	/* EVENT_IDX (DESC): an interrupt when the used element lands in slot
	 * 3, i.e. at the second 3-slot list (the API counts slots). */
	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, f | (1ULL << VIRTIO_RING_F_EVENT_IDX)), 0);
	guest_memset(at(p, A_RING0), 0, 0x3000);
	GUEST_ASSERT_EQ(virtio_mmio_setup_packed_queue(drv(p), q, 0, QS, at(p, A_RING0), ids), QS);
	virtio_mmio_driver_ok(drv(p));
	GUEST_ASSERT(vring_pdrv_enable_cb_after(q, 4));
	GUEST_ASSERT_EQ(q->driver_evt->off_wrap, 3 | 1u << VRING_PACKED_EVENT_F_WRAP_CTR);
	GUEST_ASSERT_EQ(q->driver_evt->flags, VRING_PACKED_EVENT_FLAG_DESC);
	pblk_add(p, q, 1, VIRTIO_BLK_T_OUT);
	GUEST_ASSERT(vring_pdrv_kick_prepare(q));	/* the device asked for this kick */
	kick(0);
	while (!vring_pdrv_has_used(q))
		cpu_relax();
	GUEST_ASSERT_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	pblk_add(p, q, 2, VIRTIO_BLK_T_OUT);
	kick(0);
	WAIT_FOR(p, rd(VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_MMIO_INT_VRING);
	CSYNC(4);

	/* IN_ORDER: four lists made available before one kick are used in
	 * that order, each element in its own list's first slot. */
	GUEST_ASSERT_EQ(virtio_mmio_init(drv(p), VIRTIO_MMIO_BASE, f | (1ULL << VIRTIO_F_IN_ORDER)), 0);
	GUEST_ASSERT(drv(p)->features & (1ULL << VIRTIO_F_IN_ORDER));
	guest_memset(at(p, A_RING0), 0, 0x3000);
	GUEST_ASSERT_EQ(virtio_mmio_setup_packed_queue(drv(p), q, 0, QS, at(p, A_RING0), ids), QS);
	virtio_mmio_driver_ok(drv(p));
	vring_pdrv_disable_cb(q);
	{
		int order[4];

		for (uint32_t n = 0; n < 4; n++)
			order[n] = pblk_add(p, q, n, VIRTIO_BLK_T_OUT);
		kick(0);
		for (uint32_t n = 0; n < 4; n++) {
			while (!vring_pdrv_has_used(q))
				cpu_relax();
			GUEST_ASSERT_EQ(q->desc[3 * n].id, (uint32_t)order[n]);
			GUEST_ASSERT_EQ(vring_pdrv_pop_used(q, &cookie, &len), 1);
			GUEST_ASSERT_EQ((uint64_t)cookie, (uint64_t)at(p, A_REQ + 0x100 * (uint64_t)n));
		}
	}
	CSYNC(5);
}

/* ---- host ------------------------------------------------------------- */
struct mode {
	enum virtio_notify_mode notify;
	enum irq_method irq;
};

struct rig {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct virtio_kvm *vk;
	struct virtio_blk *blk;
	struct virtio_mmio_dev *dev;
	struct cparams *p;
	struct mode m;
	const char *label;
	bool ok;
};

#define EXPECT(r, cond, fmt, ...) do { if (!(cond)) { (r)->ok = false; \
	ktap_diag("%s: %s:%d: %s: " fmt, (r)->label, __FILE__, __LINE__, #cond, ##__VA_ARGS__); } } while (0)

static struct virtio_mmio_stats S(struct rig *r)
{
	struct virtio_mmio_stats s;

	virtio_mmio__get_stats(r->dev, &s);
	return s;
}

static struct virtq_stats QST(struct rig *r, uint16_t q)
{
	struct virtq_stats s;

	virtio_mmio__get_queue_stats(r->dev, q, &s);
	return s;
}

static uint64_t invalid_total(struct rig *r)
{
	struct virtio_mmio_stats s = S(r);
	uint64_t n = 0;

	for (int i = 0; i < VMMIO_INVAL_NR; i++)
		n += s.invalid[i];
	return n;
}

/* Only these kinds, exactly these counts (the rest 0). */
static void expect_invalid(struct rig *r, const uint64_t want[VMMIO_INVAL_NR])
{
	struct virtio_mmio_stats s = S(r);

	for (int i = 0; i < VMMIO_INVAL_NR; i++)
		EXPECT(r, s.invalid[i] == want[i], "%" PRIu64 " x '%s', want %" PRIu64, s.invalid[i],
		       virtio_mmio__inval_name(i), want[i]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* With an iothread: wait until it has handled every kick the guest made
 * (one notify each, see the top comment). A liveness bound, not a timing
 * threshold. */
static void quiesce(struct rig *r, uint64_t kicks)
{
	struct virtio_kvm_counters c;
	uint64_t t0 = now_ns();

	if (r->m.notify == NOTIFY_TRAPPED)
		return;
	for (;;) {
		virtio_kvm_get_counters(r->vk, &c);
		if (c.iothread_notifies >= kicks)
			break;
		if (now_ns() - t0 > 10000000000ull) {
			EXPECT(r, c.iothread_notifies >= kicks, "the iothread handled %" PRIu64
			       " of %" PRIu64 " kicks in 10 s", c.iothread_notifies, kicks);
			return;
		}
		sched_yield();
	}
	EXPECT(r, c.eventfd_kicks == kicks && c.iothread_notifies == kicks,
	       "eventfd counted %" PRIu64 ", iothread notified %" PRIu64 " for %" PRIu64 " kicks",
	       c.eventfd_kicks, c.iothread_notifies, kicks);
}

/* What the device offers on this wiring: NOTIFICATION_DATA not where a
 * datamatch ioeventfd (the bare queue index) could not match it. */
static uint64_t offered(const struct rig *r)
{
	return V1 | (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
	       (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_MQ) |
	       (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
	       (1ULL << VIRTIO_F_RING_RESET) | (1ULL << VIRTIO_F_RING_PACKED) |
	       (1ULL << VIRTIO_F_IN_ORDER) | (r->m.notify == NOTIFY_IOEVENTFD ? 0 : 1ULL << VIRTIO_F_NOTIFICATION_DATA);
}

static void config_set(struct rig *r, uint32_t v)
{
	EXPECT(r, !virtio_mmio__config_update(r->dev, offsetof(struct virtio_blk_config, opt_io_size),
					      &v, 4), "config_update");
}

/* Host side of each item: stage = the guest's SYNC number, 0 after DONE. */
static void h01(struct rig *r, int stage, const struct ucall *uc)
{
	if (stage == 1) {
		EXPECT(r, uc->args[2] == VIRTIO_MMIO_MAGIC, "magic 0x%" PRIx64, uc->args[2]);
		EXPECT(r, uc->args[3] == 2, "version %" PRIu64, uc->args[3]);
		EXPECT(r, uc->args[4] == VIRTIO_ID_BLOCK, "device id %" PRIu64, uc->args[4]);
		EXPECT(r, uc->args[5] == VIRTIO_MMIO_VENDOR_DEFAULT, "vendor 0x%" PRIx64, uc->args[5]);
	}
	if (stage == 0)
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid accesses", invalid_total(r));
}

static void h02(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = {
		[VMMIO_INVAL_WIDTH] = 5, [VMMIO_INVAL_UNALIGNED] = 2, [VMMIO_INVAL_READ_WO] = 3,
		[VMMIO_INVAL_WRITE_RO] = 4, [VMMIO_INVAL_UNDEF_READ] = 2, [VMMIO_INVAL_UNDEF_WRITE] = 2,
	};

	(void)uc;
	if (stage == 1 || stage == 0)
		expect_invalid(r, want);
	if (stage == 0)
		EXPECT(r, QST(r, 0).chains_completed == 1, "request after the bad accesses");
}

static void h03(struct rig *r, int stage, const struct ucall *uc)
{
	if (stage == 1) {
		uint64_t f = uc->args[2] | uc->args[3] << 32;

		EXPECT(r, f == offered(r), "DeviceFeatures 0x%" PRIx64 ", want 0x%" PRIx64, f, offered(r));
		EXPECT(r, !(f & (1ULL << VIRTIO_F_NOTIF_CONFIG_DATA)) && !(f & (1ULL << VIRTIO_F_ADMIN_VQ)),
		       "0x%" PRIx64, f);
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid", invalid_total(r));
	}
}

static void h04(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_STATE] = 2 };

	(void)uc;
	if (stage == 1) {
		expect_invalid(r, want);
		EXPECT(r, S(r).features_refused == 4, "%" PRIu64 " refusals", S(r).features_refused);
		EXPECT(r, virtio_mmio__features(r->dev) == (V1 | (1ULL << VIRTIO_BLK_F_FLUSH)),
		       "negotiated 0x%" PRIx64, virtio_mmio__features(r->dev));
	}
}

static void h05(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_STATUS] = 4 };

	(void)uc;
	if (stage == 1) {
		EXPECT(r, QST(r, 0).chains_popped == 1, "%" PRIu64 " chains popped while FAILED",
		       QST(r, 0).chains_popped);
		EXPECT(r, QST(r, 0).notifies_ignored == 1, "%" PRIu64 " notifies ignored",
		       QST(r, 0).notifies_ignored);
	}
	if (stage == 2) {
		expect_invalid(r, want);
		EXPECT(r, S(r).resets >= 1 && virtio_mmio__status(r->dev) == 0, "status 0x%x",
		       virtio_mmio__status(r->dev));
	}
}

static void h06(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1)
		EXPECT(r, virtio_mmio__irq_pending(r->dev) && virtio_mmio__features(r->dev) != 0,
		       "before reset: pending %d, features 0x%" PRIx64, virtio_mmio__irq_pending(r->dev),
		       virtio_mmio__features(r->dev));
	if (stage == 2) {
		EXPECT(r, !virtio_mmio__irq_pending(r->dev), "InterruptStatus survived reset");
		EXPECT(r, S(r).irqs_lowered == 1, "line lowered %" PRIu64 " times", S(r).irqs_lowered);
		EXPECT(r, virtio_mmio__features(r->dev) == 0, "features 0x%" PRIx64 " after reset",
		       virtio_mmio__features(r->dev));
	}
	if (stage == 3) {
		uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_QUEUE_CFG] = 1 };

		expect_invalid(r, want);
		EXPECT(r, QST(r, 0).chains_completed == 2, "%" PRIu64, QST(r, 0).chains_completed);
	}
}

static void h07(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1)
		EXPECT(r, QST(r, 0).chains_popped == 0 && QST(r, 0).notifies_ignored == 1 &&
		       S(r).irqs_raised == 0, "popped %" PRIu64 ", ignored %" PRIu64 ", irqs %" PRIu64,
		       QST(r, 0).chains_popped, QST(r, 0).notifies_ignored, S(r).irqs_raised);
	if (stage == 2)
		EXPECT(r, QST(r, 1).notifies_ignored == 1 && QST(r, 1).chains_popped == 0,
		       "queue 1 (not ready): ignored %" PRIu64, QST(r, 1).notifies_ignored);
	if (stage == 3)
		EXPECT(r, QST(r, 0).notifies_ignored == 2 && QST(r, 0).chains_popped == 0,
		       "queue 0 (ready 0): ignored %" PRIu64 ", popped %" PRIu64,
		       QST(r, 0).notifies_ignored, QST(r, 0).chains_popped);
	if (stage == 4)
		EXPECT(r, QST(r, 0).chains_popped == 1 && QST(r, 0).chains_completed == 1,
		       "popped %" PRIu64 " (one before reset only)", QST(r, 0).chains_popped);
	if (stage == 0)
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid", invalid_total(r));
}

static void h08(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_QUEUE_SEL] = 3 };

	(void)uc;
	if (stage == 1 || stage == 0)
		expect_invalid(r, want);
}

static void h09(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_STATE] = 5 };

	(void)uc;
	if (stage == 1) {
		expect_invalid(r, want);
		EXPECT(r, QST(r, 0).chains_completed == 2, "%" PRIu64, QST(r, 0).chains_completed);
	}
}

static void h10(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_QUEUE_CFG] = 10, [VMMIO_INVAL_VALUE] = 1 };

	(void)uc;
	if (stage == 1) {
		expect_invalid(r, want);
		EXPECT(r, S(r).needs_reset == 0, "needs_reset %" PRIu64, S(r).needs_reset);
	}
}

static void h11(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1) {
		EXPECT(r, S(r).notifies_bad_queue == 3, "%" PRIu64 " bad-queue notifies",
		       S(r).notifies_bad_queue);
		EXPECT(r, QST(r, 0).notifies == 1 && QST(r, 0).chains_popped == 0 && S(r).irqs_raised == 0,
		       "spurious kick: notifies %" PRIu64 ", popped %" PRIu64 ", irqs %" PRIu64,
		       QST(r, 0).notifies, QST(r, 0).chains_popped, S(r).irqs_raised);
	}
	if (stage == 2) {
		EXPECT(r, QST(r, 0).chains_completed == 1 && QST(r, 1).chains_completed == 1,
		       "completed %" PRIu64 " + %" PRIu64, QST(r, 0).chains_completed,
		       QST(r, 1).chains_completed);
		/* Trapped: every write is one device notification; ioeventfd:
		 * the three bad ones trapped, the kicks came by the iothread. */
		EXPECT(r, S(r).notifies == 6, "device notifications %" PRIu64, S(r).notifies);
	}
	if (stage == 3) {
		EXPECT(r, uc->args[2] == (r->m.notify != NOTIFY_IOEVENTFD),
		       "NOTIFICATION_DATA negotiated: %" PRIu64, uc->args[2]);
		EXPECT(r, S(r).notifies_bad_queue == 4, "%" PRIu64 " bad-queue notifies",
		       S(r).notifies_bad_queue);
		EXPECT(r, QST(r, 0).chains_completed == 2 && QST(r, 1).chains_completed == 2,
		       "NOTIFICATION_DATA: completed %" PRIu64 " + %" PRIu64,
		       QST(r, 0).chains_completed, QST(r, 1).chains_completed);
	}
	if (stage == 0)
		EXPECT(r, invalid_total(r) == 0 && S(r).needs_reset == 0, "invalid %" PRIu64,
		       invalid_total(r));
}

static void h12(struct rig *r, int stage, const struct ucall *uc)
{
	if (stage == 1) {
		EXPECT(r, S(r).irqs_raised == 3, "device raised %" PRIu64 " for 3 completions",
		       S(r).irqs_raised);
		EXPECT(r, uc->args[2] >= 3, "guest took %" PRIu64 " interrupts", uc->args[2]);
		if (!irq_method_is_level(r->m.irq))
			EXPECT(r, S(r).irqs_lowered == 0 && virtio_mmio__irq_pending(r->dev),
			       "edge, never acked: lowered %" PRIu64, S(r).irqs_lowered);
	}
	if (stage == 2)
		EXPECT(r, virtio_mmio__irq_pending(r->dev), "InterruptStatus not held");
	if (stage == 3)
		EXPECT(r, !virtio_mmio__irq_pending(r->dev), "InterruptStatus not cleared by ACK");
}

static void h13(struct rig *r, int stage, const struct ucall *uc)
{
	static uint64_t lowered0;

	(void)uc;
	if (stage == 1) {
		lowered0 = S(r).irqs_lowered;
		config_set(r, 3);
	}
	if (stage == 2)
		EXPECT(r, virtio_mmio__irq_pending(r->dev) && S(r).irqs_lowered == lowered0,
		       "one bit still set: pending %d, lowered %" PRIu64 " -> %" PRIu64,
		       virtio_mmio__irq_pending(r->dev), lowered0, S(r).irqs_lowered);
	if (stage == 3)
		EXPECT(r, !virtio_mmio__irq_pending(r->dev) && S(r).irqs_lowered == lowered0 + 1,
		       "all clear: lowered %" PRIu64 " -> %" PRIu64, lowered0, S(r).irqs_lowered);
	if (stage == 0)
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid", invalid_total(r));
}

static void h14(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1)
		config_set(r, 7);
	if (stage == 2)
		config_set(r, 9);
	if (stage == 3)
		EXPECT(r, S(r).config_irqs == 1, "%" PRIu64 " config interrupts (only after DRIVER_OK)",
		       S(r).config_irqs);
}

static void h15(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = {
		[VMMIO_INVAL_CONFIG_RANGE] = 4, [VMMIO_INVAL_UNALIGNED] = 2, [VMMIO_INVAL_WIDTH] = 1,
		[VMMIO_INVAL_CONFIG_RO] = 1,
	};

	(void)uc;
	if (stage == 1)
		expect_invalid(r, want);
}

static void h16(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1)
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid", invalid_total(r));
}

static void h17(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1) {
		uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_STATE] = 2 };

		expect_invalid(r, want);
		EXPECT(r, S(r).queue_resets == 0, "%" PRIu64, S(r).queue_resets);
	}
	if (stage == 2) {
		uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_STATE] = 2, [VMMIO_INVAL_VALUE] = 1 };

		expect_invalid(r, want);
		EXPECT(r, S(r).queue_resets == 1, "%" PRIu64 " queue resets", S(r).queue_resets);
		EXPECT(r, QST(r, 1).chains_completed == 2 && QST(r, 0).chains_completed == 1,
		       "completed q0 %" PRIu64 ", q1 %" PRIu64, QST(r, 0).chains_completed,
		       QST(r, 1).chains_completed);
	}
}

static void h18(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1) {
		EXPECT(r, QST(r, 0).violations[VQ_ERR_HEAD] == 1, "head violations %" PRIu64,
		       QST(r, 0).violations[VQ_ERR_HEAD]);
		EXPECT(r, S(r).needs_reset == 1 && S(r).config_irqs == 1, "needs_reset %" PRIu64
		       ", config irqs %" PRIu64, S(r).needs_reset, S(r).config_irqs);
		EXPECT(r, QST(r, 0).notifies_ignored == 1, "ignored %" PRIu64, QST(r, 0).notifies_ignored);
	}
	if (stage == 2) {
		EXPECT(r, QST(r, 1).chains_completed == 1, "queue 1 completed %" PRIu64,
		       QST(r, 1).chains_completed);
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid (Status write-back)",
		       invalid_total(r));
	}
	if (stage == 3)
		EXPECT(r, QST(r, 0).chains_completed == 1 && QST(r, 1).chains_completed == 2 &&
		       virtio_mmio__status(r->dev) == S_LIVE, "after reset: status 0x%x",
		       virtio_mmio__status(r->dev));
}

static void h19(struct rig *r, int stage, const struct ucall *uc)
{
	(void)uc;
	if (stage == 1)
		EXPECT(r, S(r).irqs_raised == 0 && QST(r, 0).used_irqs_suppressed >= 1,
		       "NO_INTERRUPT: raised %" PRIu64 ", suppressed %" PRIu64, S(r).irqs_raised,
		       QST(r, 0).used_irqs_suppressed);
	if (stage == 2)
		EXPECT(r, S(r).irqs_raised == 1, "EVENT_IDX: raised %" PRIu64 " (want 1)",
		       S(r).irqs_raised);
	if (stage == 0)
		EXPECT(r, invalid_total(r) == 0, "%" PRIu64 " invalid", invalid_total(r));
}

static void h20(struct rig *r, int stage, const struct ucall *uc)
{
	uint64_t want[VMMIO_INVAL_NR] = { [VMMIO_INVAL_QUEUE_CFG] = 4 };

	(void)uc;
	if (stage == 1)
		expect_invalid(r, want);
	if (stage == 2)
		EXPECT(r, QST(r, 0).chains_popped == 0 && QST(r, 0).notifies_ignored == 1 &&
		       S(r).irqs_raised == 0, "before DRIVER_OK: popped %" PRIu64 ", ignored %" PRIu64
		       ", irqs %" PRIu64, QST(r, 0).chains_popped, QST(r, 0).notifies_ignored, S(r).irqs_raised);
	if (stage == 3)
		EXPECT(r, QST(r, 0).chains_completed == QS + 1 && S(r).irqs_raised == 0 &&
		       QST(r, 0).used_irqs_suppressed >= QS + 1, "three laps: completed %" PRIu64
		       ", raised %" PRIu64 ", suppressed %" PRIu64, QST(r, 0).chains_completed,
		       S(r).irqs_raised, QST(r, 0).used_irqs_suppressed);
	if (stage == 4)
		EXPECT(r, S(r).irqs_raised == 1, "EVENT_IDX (DESC): raised %" PRIu64 " (want 1)",
		       S(r).irqs_raised);
	if (stage == 5)
		EXPECT(r, virtio_mmio__features(r->dev) & (1ULL << VIRTIO_F_IN_ORDER),
		       "IN_ORDER not negotiated: 0x%" PRIx64, virtio_mmio__features(r->dev));
	if (stage == 0)
		EXPECT(r, S(r).needs_reset == 0, "needs_reset %" PRIu64, S(r).needs_reset);
}

struct ccase {
	int item;
	const char *what;
	void (*guest)(struct cparams *p);
	void (*host)(struct rig *r, int stage, const struct ucall *uc);
	bool resample_too;
};

static const struct ccase ccases[] = {
	{ 1, "magic, version 2, device and vendor id, little-endian", g01, h01, false },
	{ 2, "wrong width, unaligned, write-only read, read-only write, undefined offsets: counted, never fatal", g02, h02, false },
	{ 3, "DeviceFeatures paged, pages >= 2 read 0, only implemented bits, never NOTIF_CONFIG_DATA/ADMIN_VQ", g03, h03, false },
	{ 4, "DriverFeatures only between DRIVER and FEATURES_OK; unoffered/no VERSION_1/page 2 refused", g04, h04, false },
	{ 5, "Status transition table, FAILED stops the device, reset is synchronous", g05, h05, false },
	{ 6, "reset clears status, interrupts, queues, selectors, features", g06, h06, false },
	{ 7, "no buffer consumed before DRIVER_OK, for a not-ready queue, after reset", g07, h07, false },
	{ 8, "QueueSel out of range: max/ready read 0, writes dropped", g08, h08, false },
	{ 9, "QueueSize and ring addresses writable only while not ready", g09, h09, false },
	{ 10, "QueueReady = 1 refused for bad size, alignment, rings outside RAM", g10, h10, false },
	{ 11, "QueueNotify: bad index ignored, spurious harmless, NOTIFICATION_DATA", g11, h11, false },
	{ 12, "InterruptStatus held until acked; every new event fires again", g12, h12, true },
	{ 13, "InterruptACK clears exactly the written bits; line lowered when all clear", g13, h13, false },
	{ 14, "ConfigGeneration changes with the config; config irq only after DRIVER_OK", g14, h14, false },
	{ 15, "config space: natural widths, bounds, read-only, readable before FEATURES_OK", g15, h15, false },
	{ 16, "SHMLen/SHMBase read all ones", g16, h16, false },
	{ 17, "QueueReset with RING_RESET; absent without it", g17, h17, false },
	{ 18, "ring violation: NEEDS_RESET, config irq, queue stopped, other queue runs, reset recovers", g18, h18, false },
	{ 19, "used ring id/len; NO_INTERRUPT and EVENT_IDX suppression; avail_event", g19, h19, false },
	{ 20, "packed ring: QueueReady layout rules, nothing before DRIVER_OK, wrap counter flips at the "
	      "ring end, used element = buffer id + bytes, DISABLE and DESC suppression, IN_ORDER", g20, h20, false },
};

static void run_case(const struct ccase *c, struct mode m, unsigned int cpl)
{
	struct virtio_dev_desc desc = {
		.wire = { .notify = m.notify, .irq = m.irq, .iothread_cpu = -1 },
	};
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_RAM, .capacity_sectors = DISK_SECTORS, .num_queues = NQ,
		.queue_size_max = QMAX,
	};
	struct ucall uc;
	struct rig r;
	char label[96], msg[512];
	uint64_t p_gpa;
	bool done = false;
	int e;

	memset(&r, 0, sizeof(r));
	snprintf(label, sizeof(label), "item %d [CPL%u %s + %s]", c->item, cpl,
		 virtio_notify_mode_name(m.notify), irq_method_name(m.irq));
	r.label = label;
	r.m = m;
	r.ok = true;
	r.vm = vm_create_with_vcpu(&r.vcpu, c->guest);
	e = virtio_blk__new(&bc, &r.blk, &desc.dev);
	TEST_ASSERT(!e, "virtio_blk__new: %d", e);
	r.vk = vm_virtio_attach(r.vm, &desc);
	r.dev = virtio_kvm_mmio(r.vk);
	p_gpa = vm_alloc(r.vm, sizeof(*r.p), 0);
	r.p = addr_gpa2hva(r.vm, p_gpa);
	r.p->area = vm_alloc(r.vm, AREA_BYTES, 4096);
	r.p->ram_bytes = r.vm->mem.size_bytes;
	r.p->level = irq_method_is_level(m.irq);
	r.p->tsc_khz = vcpu_tsc_khz(r.vcpu);
	/* Masked until a case routes it: InterruptStatus is read by hand. */
	vm_ioapic_route(r.vm, GSI, VEC, r.p->level, true);
	vm_install_handler(r.vm, VEC, conf_isr);
	vcpu_set_entry_irqs_on(r.vcpu, c->guest, cpl, 1, p_gpa);
	vcpu_set_watchdog_ms(r.vcpu, 30000);

	while (!done) {
		uint32_t type = __vcpu_run_ucall(r.vcpu, &uc);

		switch (type) {
		case UCALL_SYNC:
			quiesce(&r, uc.args[1]);
			c->host(&r, (int)uc.args[0], &uc);
			break;
		case UCALL_PRINTF:
			ktap_diag("%s: guest: %.*s", label, UCALL_BUF_LEN, uc.buffer);
			break;
		case UCALL_DONE:
			c->host(&r, 0, &uc);
			done = true;
			break;
		default:
			vcpu_describe_ucall(r.vcpu, &uc, msg, sizeof(msg));
			ktap_diag("%s: %s", label, msg);
			r.ok = false;
			done = true;
		}
	}
	ktap_result(r.ok, "item %d: %s [CPL%u %s + %s]", c->item, c->what, cpl,
		    virtio_notify_mode_name(m.notify), irq_method_name(m.irq));
	virtio_kvm_destroy(r.vk);
	virtio_blk__destroy(r.blk);
	kvm_vm_free(r.vm);
}

int main(void)
{
	static const struct mode modes[] = {
		{ NOTIFY_TRAPPED, IRQ_METHOD_LINE }, { NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD },
	};
	const struct mode resample = { NOTIFY_TRAPPED, IRQ_METHOD_IRQFD_RESAMPLE };
	int n = 0;

	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_IRQCHIP);
	REQUIRE_CAP(KVM_CAP_IOEVENTFD);
	REQUIRE_CAP(KVM_CAP_IRQFD);
	REQUIRE_CAP(KVM_CAP_IRQFD_RESAMPLE);
	for (unsigned int i = 0; i < ARRAY_SIZE(ccases); i++)
		n += (int)ARRAY_SIZE(modes) + ccases[i].resample_too;
	ktap_plan(2 * n);
	for (unsigned int ci = 0, cpl = 3; ci < 2; ci++, cpl = 0)
		for (unsigned int i = 0; i < ARRAY_SIZE(ccases); i++) {
			for (unsigned int k = 0; k < ARRAY_SIZE(modes); k++)
				run_case(&ccases[i], modes[k], cpl);
			if (ccases[i].resample_too)
				run_case(&ccases[i], resample, cpl);
		}
	return ktap_exit_code();
}
