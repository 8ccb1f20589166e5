// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest (checklist item 18): the guest brings up the real
 * virtio-blk (RAM backend) with the guest driver, then writes one malformed
 * chain of each kind straight into the live ring and notifies. For every
 * kind:
 *  - the device sets DEVICE_NEEDS_RESET: the guest reads Status and sees 0x40;
 *  - a configuration-change interrupt arrives (InterruptStatus bit 1, read
 *    and acked by the guest's ISR);
 *  - a good request made available ahead of it in the same kick completes
 *    (except when avail.idx itself is bad: then nothing is consumed), the
 *    bad chain is never published in the used ring and none of its buffers
 *    was written (poisoned bytes stay as they were);
 *  - a second notification to the stopped queue is ignored;
 *  - the host counted exactly one violation, of the expected kind, and is
 *    still running;
 *  - the guest resets the device (a fresh virtio_blk_init), and a write and
 *    a read of a sector complete with VIRTIO_BLK_S_OK and the right data.
 * Runs with trapped notifications + KVM_IRQ_LINE, ioeventfd (datamatch) +
 * irqfd, and zero-length ioeventfd + resampling irqfd, over the split ring
 * and again over the packed ring (VIRTIO_F_RING_PACKED) with its own cases:
 * a bad buffer id, a list whose later descriptor is not available, a list
 * crossing the ring end with the old wrap counter, a list running into used
 * descriptors (more than the ring holds), an event suppression offset out
 * of range, and the indirect, order, address and layout cases again.
 * The guest runs at CPL3, then again at CPL0.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "guest.h"
#include "guest_apic.h"
#include "guest_virtio.h"
#include "kvm_util.h"
#include "virtio_blk_dev.h"
#include "virtio_kvm.h"

#define QSIZE		16
#define DISK_SECTORS	64

/* Guest work area: offsets from its base. */
#define A_RING		0x0000
#define A_SLOTS		0x3000
#define A_REQ		0x3400
#define A_HDR		0x3800
#define A_STATUS	0x3900
#define A_HDR2		0x3940		/* a good request ahead of the bad one */
#define A_STATUS2	0x3980
#define A_IND		0x3a00		/* indirect table, 16-byte aligned */
#define A_IND2		0x3b00		/* a second (nested) table */
#define A_DATA		0x4000
#define A_DATA2		0x4400
#define AREA_BYTES	0x5000

enum hcase {
	H_AVAIL_IDX, H_HEAD, H_NEXT, H_LOOP, H_IND_OFF, H_IND_LEN40, H_IND_LEN0,
	H_IND_NESTED, H_IND_NEXT, H_ORDER, H_ADDR_OUT, H_ADDR_STRADDLE, H_ADDR_WRAP,
	H_IND_TABLE_OUT, H_READONLY, H_NR
};

static const struct {
	const char *name;
	enum virtq_err err;
} hcases[H_NR] = {
	[H_AVAIL_IDX] = { "avail.idx jumps size + 1 ahead", VQ_ERR_AVAIL_IDX },
	[H_HEAD] = { "head index == queue size", VQ_ERR_HEAD },
	[H_NEXT] = { "next index >= queue size", VQ_ERR_NEXT },
	[H_LOOP] = { "descriptor loop 0 -> 1 -> 0", VQ_ERR_LOOP },
	[H_IND_OFF] = { "INDIRECT without negotiating it", VQ_ERR_INDIRECT_OFF },
	[H_IND_LEN40] = { "indirect table length 40 (not a multiple of 16)", VQ_ERR_INDIRECT_LEN },
	[H_IND_LEN0] = { "indirect table length 0", VQ_ERR_INDIRECT_LEN },
	[H_IND_NESTED] = { "nested indirect table", VQ_ERR_INDIRECT_NESTED },
	[H_IND_NEXT] = { "INDIRECT together with NEXT", VQ_ERR_INDIRECT_NEXT },
	[H_ORDER] = { "writable descriptor before a readable one", VQ_ERR_ORDER },
	[H_ADDR_OUT] = { "data buffer outside guest RAM", VQ_ERR_ADDR },
	[H_ADDR_STRADDLE] = { "data buffer straddling the end of guest RAM", VQ_ERR_ADDR },
	[H_ADDR_WRAP] = { "data buffer wrapping around 2^64", VQ_ERR_ADDR },
	[H_IND_TABLE_OUT] = { "indirect table straddling the end of guest RAM", VQ_ERR_ADDR },
	[H_READONLY] = { "readable-only chain for a read (the device must write)", VQ_ERR_DEVICE },
};

/* The packed ring's cases: the bad list starts 3 slots after a good one. */
enum pcase {
	P_ID, P_CHAIN_FLAGS, P_WRAP_CROSS, P_RUN_ROUND, P_EVENT_OFF, P_IND_OFF, P_IND_LEN40,
	P_IND_NESTED, P_ORDER, P_ADDR_OUT, P_READONLY, P_NR
};

static const struct {
	const char *name;
	enum virtq_err err;
} pcases[P_NR] = {
	[P_ID] = { "buffer id == queue size", VQ_ERR_ID },
	[P_CHAIN_FLAGS] = { "a list's second descriptor not available (avail/used flags of the "
			    "other lap)", VQ_ERR_CHAIN_FLAGS },
	[P_WRAP_CROSS] = { "a list crossing the ring end with the old wrap counter",
			   VQ_ERR_CHAIN_FLAGS },
	[P_RUN_ROUND] = { "a list longer than the free ring (runs into used descriptors)",
			  VQ_ERR_CHAIN_FLAGS },
	[P_EVENT_OFF] = { "driver event suppression offset >= queue size", VQ_ERR_EVENT_OFF },
	[P_IND_OFF] = { "INDIRECT without negotiating it", VQ_ERR_INDIRECT_OFF },
	[P_IND_LEN40] = { "indirect table length 40 (not a multiple of 16)", VQ_ERR_INDIRECT_LEN },
	[P_IND_NESTED] = { "nested indirect table", VQ_ERR_INDIRECT_NESTED },
	[P_ORDER] = { "writable descriptor before a readable one", VQ_ERR_ORDER },
	[P_ADDR_OUT] = { "data buffer outside guest RAM", VQ_ERR_ADDR },
	[P_READONLY] = { "readable-only list for a read (the device must write)", VQ_ERR_DEVICE },
};

#define GOOD_ID		8	/* the good request's id (split: its head) */

enum { SYNC_GOOD = 1, SYNC_BAD };

/* ---- guest ------------------------------------------------------------ */
static struct virtio_blk_drv hostile_drv;	/* the guest's copy, shared with the ISR */
static volatile uint32_t hostile_isr_bits, hostile_wake;

GUEST_CODE static void hostile_isr(struct ex_regs *regs)
{
	(void)regs;
	hostile_isr_bits |= virtio_mmio_irq_ack(&hostile_drv.mmio);
	hostile_wake = 1;
	lapic_eoi();
}

GUEST_CODE static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
				uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

GUEST_CODE static bool bytes_are(const volatile uint8_t *p, uint8_t v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Brings the device up and proves it works: one write and one read. */
GUEST_CODE static void bring_up_and_check(uint64_t area, uint64_t c, bool packed)
{
	struct virtio_blk_drv *b = &hostile_drv;
	struct virtio_blk_req *req = (void *)(area + A_REQ);
	uint8_t *data = (void *)(area + A_DATA), *data2 = (void *)(area + A_DATA2);
	bool no_ind = packed ? c == P_IND_OFF : c == H_IND_OFF;
	uint64_t wanted = (no_ind ? 0 : 1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			  (packed ? 1ULL << VIRTIO_F_RING_PACKED | 1ULL << VIRTIO_RING_F_EVENT_IDX : 0);
	int qs, rc_w, rc_r;
	bool same = true;

	qs = virtio_blk_init(b, VIRTIO_MMIO_BASE, wanted, QSIZE, (void *)(area + A_RING), 4096,
			     (void *)(area + A_SLOTS));
	GUEST_ASSERT_EQ(qs, QSIZE);
	GUEST_ASSERT_EQ(b->packed, packed);
	for (uint32_t i = 0; i < 512; i++) {
		data[i] = (uint8_t)(i * 3 + c);
		data2[i] = 0;
	}
	rc_w = virtio_blk_rw(b, req, true, c % DISK_SECTORS, data, 512);
	rc_r = virtio_blk_rw(b, req, false, c % DISK_SECTORS, data2, 512);
	for (uint32_t i = 0; i < 512; i++)
		same &= data2[i] == data[i];
	/* The wrap case needs its lists to reach the ring's end: more good
	 * reads first, before the host's count of this case begins. */
	while (packed && c == P_WRAP_CROSS && b->pq.next_avail != QSIZE - 4)
		GUEST_ASSERT_EQ(virtio_blk_rw(b, req, false, 0, data2, 512), VIRTIO_BLK_S_OK);
	GUEST_SYNC(SYNC_GOOD, c, (uint64_t)(int64_t)rc_w, (uint64_t)(int64_t)rc_r, same,
		   virtio_mmio_status(&b->mmio));
}

/*
 * Kicks queue 0 and waits for the config interrupt that says the device
 * gave up (asynchronous with an iothread; the watchdog catches one that
 * never comes); reads Status, kicks the stopped queue again (it must ignore
 * it) and reads Status again. True if the bad request's poisoned buffers
 * are as they were.
 */
GUEST_CODE static bool kick_until_stopped(uint64_t area, uint32_t *st, uint32_t *st2)
{
	const struct virtio_blk_outhdr *hdr = (void *)(area + A_HDR);

	mmio_write32(VIRTIO_MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	while (!(hostile_isr_bits & VIRTIO_MMIO_INT_CONFIG))
		guest_halt_unless(&hostile_wake);
	*st = mmio_read32(VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS);
	mmio_write32(VIRTIO_MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	*st2 = mmio_read32(VIRTIO_MMIO_BASE + VIRTIO_MMIO_STATUS);
	return bytes_are((void *)(area + A_DATA), 0x5a, 512) &&
	       *(volatile uint8_t *)(area + A_STATUS) == 0xee &&
	       hdr->type == VIRTIO_BLK_T_IN && hdr->sector == 0;
}

/* ---- packed ring ------------------------------------------------------ */

GUEST_CODE static void p_put(struct vring_packed_desc *d, uint64_t addr, uint32_t len, uint16_t id,
			     uint16_t flags)
{
	d->addr = addr;
	d->len = len;
	d->id = id;
	d->flags = flags;
}

GUEST_CODE static void hostile_packed(uint64_t area, uint64_t ram_bytes)
{
	struct virtio_blk_drv *b = &hostile_drv;
	struct vring_pdrv *q = &b->pq;
	struct virtio_blk_outhdr *hdr = (void *)(area + A_HDR);
	volatile uint8_t *status = (void *)(area + A_STATUS);
	struct vring_packed_desc *ind = (void *)(area + A_IND), *ind2 = (void *)(area + A_IND2);
	uint8_t *data = (void *)(area + A_DATA);
	const uint16_t WR = VRING_DESC_F_WRITE, NX = VRING_DESC_F_NEXT, IN = VRING_DESC_F_INDIRECT;

	for (uint64_t c = 0; c < P_NR; c++) {
		struct vring_packed_desc *d;
		uint16_t s, bad_id = 3, nbad = 3, flags[QSIZE];
		uint32_t st, st2, used;
		bool w, untouched;

		bring_up_and_check(area, c, true);
		d = q->desc;
		s = q->next_avail;
		w = q->avail_wrap;

		hdr->type = VIRTIO_BLK_T_IN;
		hdr->ioprio = 0;
		hdr->sector = 0;
		guest_memset(data, 0x5a, 512);
		*status = 0xee;
		hostile_isr_bits = 0;

		/* Position i after s: its slot, and the flags that make it
		 * available in its lap. */
#define SLOT(i) ((uint16_t)((s + (i)) % QSIZE))
#define AVAIL(i) vring_packed_avail_flags(w ^ (s + (i) >= QSIZE))
		/* A good write of sector 5 in slots s..s+2, then the bad read. */
		((struct virtio_blk_outhdr *)(area + A_HDR2))->type = VIRTIO_BLK_T_OUT;
		((struct virtio_blk_outhdr *)(area + A_HDR2))->ioprio = 0;
		((struct virtio_blk_outhdr *)(area + A_HDR2))->sector = 5;
		*(volatile uint8_t *)(area + A_STATUS2) = 0xee;
		p_put(&d[SLOT(1)], area + A_DATA2, 512, 0, NX | AVAIL(1));
		p_put(&d[SLOT(2)], area + A_STATUS2, 1, GOOD_ID, WR | AVAIL(2));
		p_put(&ind[0], area + A_HDR, 16, 0, 0);
		p_put(&ind[1], area + A_DATA, 512, 0, WR);
		p_put(&ind[2], area + A_STATUS, 1, 0, WR);
		p_put(&ind2[0], area + A_HDR, 16, 0, 0);
		flags[0] = NX;
		flags[1] = WR | NX;
		flags[2] = WR;
		switch (c) {
		case P_ID:
			bad_id = QSIZE;
			break;
		case P_CHAIN_FLAGS:
			break;		/* below: the second descriptor's lap */
		case P_WRAP_CROSS:
			break;		/* below: the old wrap past the end */
		case P_RUN_ROUND:
			nbad = QSIZE - 3;	/* every free slot, each with NEXT */
			for (int i = 0; i < nbad; i++)
				flags[i] = NX | (i ? WR : 0);
			break;
		case P_EVENT_OFF:
			nbad = 0;		/* no bad list: the event area is bad */
			q->driver_evt->off_wrap = QSIZE + 3;
			q->driver_evt->flags = VRING_PACKED_EVENT_FLAG_DESC;
			break;
		case P_IND_OFF:
		case P_IND_NESTED:
			nbad = 1;
			flags[0] = IN;
			if (c == P_IND_NESTED)
				ind[0].flags = IN;
			break;
		case P_IND_LEN40:
			nbad = 1;
			flags[0] = IN;
			break;
		case P_ORDER:
			flags[0] = WR | NX;
			flags[1] = NX;
			break;
		case P_ADDR_OUT:
		case P_READONLY:
			if (c == P_READONLY)
				flags[1] = NX, flags[2] = 0;
			break;
		}
		for (int i = nbad - 1; i >= 0; i--) {
			uint64_t addr = i == 0 ? area + A_HDR : i == 1 ? area + A_DATA : area + A_STATUS;
			uint32_t len = i == 0 ? 16 : i == 1 ? 512 : 1;
			uint16_t lap = AVAIL(3 + i);

			if (flags[i] & IN) {
				addr = area + A_IND;
				len = c == P_IND_LEN40 ? 40 : 48;
			}
			if (c == P_ADDR_OUT && i == 1)
				addr = ram_bytes + 0x10000;
			if (c == P_RUN_ROUND && i > 0)
				addr = area + A_DATA, len = 16;
			if (c == P_CHAIN_FLAGS && i == 1)
				lap = AVAIL(3 + i) ^ (1u << VRING_PACKED_DESC_F_AVAIL | 1u << VRING_PACKED_DESC_F_USED);
			if (c == P_WRAP_CROSS && s + 3 + i >= QSIZE)
				lap = vring_packed_avail_flags(w);	/* should have flipped */
			p_put(&d[SLOT(3 + i)], addr, len, i == nbad - 1 ? bad_id : 0, flags[i] | lap);
		}
		/* The good list's first descriptor last: it publishes both. */
		guest_wmb();
		p_put(&d[SLOT(0)], area + A_HDR2, 16, 0, NX | AVAIL(0));
		guest_mb();
		untouched = kick_until_stopped(area, &st, &st2);
		/* Used elements: the good list's at s, none where the bad
		 * list's would go (slot s + 3). */
		used = vring_packed_is_used(d[SLOT(0)].flags, w) +
		       (nbad && vring_packed_is_used(d[SLOT(3)].flags, w ^ (s + 3 >= QSIZE)));
		GUEST_SYNC(SYNC_BAD, c, st, hostile_isr_bits,
			   used | (uint64_t)d[SLOT(0)].id << 16 | (uint64_t)d[SLOT(0)].len << 32,
			   untouched | (uint64_t)st2 << 8 |
			   (uint64_t)*(volatile uint8_t *)(area + A_STATUS2) << 40);
#undef SLOT
#undef AVAIL
	}
	bring_up_and_check(area, P_NR, true);
	GUEST_DONE();
}

GUEST_CODE static void hostile_guest_main(uint64_t area, uint64_t ram_bytes, uint64_t packed)
{
	if (packed)
		hostile_packed(area, ram_bytes);
	struct virtio_blk_drv *b = &hostile_drv;
	struct vring_drv *q = &b->vq;
	struct virtio_blk_outhdr *hdr = (void *)(area + A_HDR);
	volatile uint8_t *status = (void *)(area + A_STATUS);
	struct vring_desc *ind = (void *)(area + A_IND), *ind2 = (void *)(area + A_IND2);
	uint8_t *data = (void *)(area + A_DATA);
	const uint16_t RD = 0, WR = VRING_DESC_F_WRITE, NX = VRING_DESC_F_NEXT;

	for (uint64_t c = 0; c < H_NR; c++) {
		struct vring_desc *d;
		uint16_t used_before, aidx, head = 0;
		uint32_t st, st2;
		bool untouched;

		bring_up_and_check(area, c, false);
		d = q->vr.desc;

		/* Poison everything the bad chain names. */
		hdr->type = VIRTIO_BLK_T_IN;
		hdr->ioprio = 0;
		hdr->sector = 0;
		guest_memset(data, 0x5a, 512);
		*status = 0xee;
		hostile_isr_bits = 0;
		used_before = q->vr.used->idx;
		aidx = q->avail_idx;

		/* The normal layout: hdr (R), data (W for IN), status (W). */
		set_desc(&d[0], area + A_HDR, 16, NX, 1);
		set_desc(&d[1], area + A_DATA, 512, WR | NX, 2);
		set_desc(&d[2], area + A_STATUS, 1, WR, 0);
		set_desc(&ind[0], area + A_HDR, 16, NX, 1);
		set_desc(&ind[1], area + A_DATA, 512, WR | NX, 2);
		set_desc(&ind[2], area + A_STATUS, 1, WR, 0);
		set_desc(&ind2[0], area + A_HDR, 16, NX, 1);
		set_desc(&ind2[1], area + A_DATA, 512, WR | NX, 2);
		set_desc(&ind2[2], area + A_STATUS, 1, WR, 0);
		switch (c) {
		case H_AVAIL_IDX:
			break;
		case H_HEAD:
			head = QSIZE;
			break;
		case H_NEXT:
			d[1].next = QSIZE + 5;
			break;
		case H_LOOP:
			set_desc(&d[1], area + A_DATA, 512, RD | NX, 0);
			break;
		case H_IND_OFF:
			set_desc(&d[0], area + A_IND, 48, VRING_DESC_F_INDIRECT, 0);
			break;
		case H_IND_LEN40:
			set_desc(&d[0], area + A_IND, 40, VRING_DESC_F_INDIRECT, 0);
			break;
		case H_IND_LEN0:
			set_desc(&d[0], area + A_IND, 0, VRING_DESC_F_INDIRECT, 0);
			break;
		case H_IND_NESTED:
			set_desc(&d[0], area + A_IND, 48, VRING_DESC_F_INDIRECT, 0);
			set_desc(&ind[0], area + A_IND2, 48, VRING_DESC_F_INDIRECT, 0);
			break;
		case H_IND_NEXT:
			set_desc(&d[0], area + A_IND, 48, VRING_DESC_F_INDIRECT | NX, 2);
			break;
		case H_ORDER:
			set_desc(&d[0], area + A_STATUS, 1, WR | NX, 1);
			set_desc(&d[1], area + A_HDR, 16, RD, 0);
			break;
		case H_ADDR_OUT:
			d[1].addr = ram_bytes + 0x10000;
			break;
		case H_ADDR_STRADDLE:
			d[1].addr = ram_bytes - 256;
			break;
		case H_ADDR_WRAP:
			d[1].addr = ~0ULL - 255;
			break;
		case H_IND_TABLE_OUT:
			set_desc(&d[0], ram_bytes - 16, 48, VRING_DESC_F_INDIRECT, 0);
			break;
		case H_READONLY:
			set_desc(&d[1], area + A_DATA, 512, RD | NX, 2);
			set_desc(&d[2], area + A_STATUS, 1, RD, 0);
			break;
		}
		/* A good write of sector 5 (descriptors 8-10) ahead of it in the
		 * same kick: it completes, the bad chain stops the queue. */
		set_desc(&d[GOOD_ID], area + A_HDR2, 16, NX, 9);
		set_desc(&d[9], area + A_DATA2, 512, NX, 10);
		set_desc(&d[10], area + A_STATUS2, 1, WR, 0);
		((struct virtio_blk_outhdr *)(area + A_HDR2))->type = VIRTIO_BLK_T_OUT;
		((struct virtio_blk_outhdr *)(area + A_HDR2))->ioprio = 0;
		((struct virtio_blk_outhdr *)(area + A_HDR2))->sector = 5;
		*(volatile uint8_t *)(area + A_STATUS2) = 0xee;
		q->vr.avail->ring[aidx & q->mask] = GOOD_ID;
		q->vr.avail->ring[(aidx + 1) & q->mask] = head;
		guest_wmb();
		q->vr.avail->idx = (uint16_t)(aidx + (c == H_AVAIL_IDX ? QSIZE + 1 : 2));
		guest_mb();
		untouched = kick_until_stopped(area, &st, &st2);
		/* used: how many entries, and the first one's id and length. */
		GUEST_SYNC(SYNC_BAD, c, st, hostile_isr_bits,
			   (uint16_t)(q->vr.used->idx - used_before) |
			   (uint64_t)q->vr.used->ring[used_before & q->mask].id << 16 |
			   (uint64_t)q->vr.used->ring[used_before & q->mask].len << 32,
			   untouched | (uint64_t)st2 << 8 |
			   (uint64_t)*(volatile uint8_t *)(area + A_STATUS2) << 40);
	}
	bring_up_and_check(area, H_NR, false);
	GUEST_DONE();
}

/* ---- host ------------------------------------------------------------- */
struct snap {
	struct virtio_mmio_stats st;
	struct virtq_stats qs;
};

static void snap(struct virtio_mmio_dev *dev, struct snap *s)
{
	virtio_mmio__get_stats(dev, &s->st);
	virtio_mmio__get_queue_stats(dev, 0, &s->qs);
}

static uint64_t violations_total(const struct virtq_stats *qs)
{
	uint64_t n = 0;

	for (int i = 0; i < VQ_ERR_NR; i++)
		n += qs->violations[i];
	return n;
}

static void expect_sync(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t what, uint64_t c)
{
	uint32_t type = vcpu_run_ucall(vcpu, uc);

	TEST_ASSERT(type == UCALL_SYNC && uc->args[0] == what && uc->args[1] == c,
		    "expected guest sync %" PRIu64 " for case %" PRIu64 ", got ucall %u (args %"
		    PRIu64 ", %" PRIu64 ")", what, c, type, uc->args[0], uc->args[1]);
}

/* A SYNC_GOOD: the write and read went through on a healthy device. */
static bool good_ok(const char *mode, const struct ucall *uc, struct virtio_mmio_dev *dev)
{
	const uint32_t live = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	bool ok = (int64_t)uc->args[2] == VIRTIO_BLK_S_OK && (int64_t)uc->args[3] == VIRTIO_BLK_S_OK &&
		  uc->args[4] == 1 && uc->args[5] == live && virtio_mmio__status(dev) == live;

	if (!ok)
		ktap_diag("%s: after reset (before case %" PRIu64 "): write %" PRId64 ", read %" PRId64
			  ", data %s, guest Status 0x%" PRIx64 ", device Status 0x%x", mode,
			  uc->args[1], (int64_t)uc->args[2], (int64_t)uc->args[3],
			  uc->args[4] ? "same" : "DIFFERENT", uc->args[5], virtio_mmio__status(dev));
	return ok;
}

/* A case of either ring: its name and the violation it must count. */
static const char *case_name(bool packed, uint64_t c)
{
	return packed ? pcases[c].name : hcases[c].name;
}

static enum virtq_err case_err(bool packed, uint64_t c)
{
	return packed ? pcases[c].err : hcases[c].err;
}

static void run_mode(enum virtio_notify_mode notify, enum irq_method irq, bool packed, unsigned int cpl)
{
	const uint64_t ncases = packed ? P_NR : H_NR;
	struct virtio_dev_desc desc = {
		.wire = { .notify = notify, .irq = irq, .iothread_cpu = -1 },
	};
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_RAM, .capacity_sectors = DISK_SECTORS, .num_queues = 1,
		.queue_size_max = 256,
	};
	int vector = GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI);
	struct virtio_mmio_dev *dev;
	struct virtio_blk *blk;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	struct snap s0, s1;
	uint64_t area;
	char mode[64];
	bool pending_ok;
	int r;

	snprintf(mode, sizeof(mode), "CPL%u %s, %s + %s", cpl, packed ? "packed" : "split",
		 virtio_notify_mode_name(notify), irq_method_name(irq));
	vm = vm_create_with_vcpu(&vcpu, hostile_guest_main);
	r = virtio_blk__new(&bc, &blk, &desc.dev);
	TEST_ASSERT(!r, "virtio_blk__new: %d", r);
	vk = vm_virtio_attach(vm, &desc);
	dev = virtio_kvm_mmio(vk);
	area = vm_alloc(vm, AREA_BYTES, 4096);
	vm_ioapic_route(vm, VIRTIO_MMIO_GSI, (uint8_t)vector, irq_method_is_level(irq), false);
	vm_install_handler(vm, vector, hostile_isr);
	vcpu_set_entry_irqs_on(vcpu, hostile_guest_main, cpl, 3, area, vm->mem.size_bytes, (uint64_t)packed);
	vcpu_set_watchdog_ms(vcpu, 30000);	/* a lost config interrupt ends here */

	expect_sync(vcpu, &uc, SYNC_GOOD, 0);
	pending_ok = good_ok(mode, &uc, dev);
	if (!pending_ok)
		ktap_diag("%s: the device does not work even before any violation", mode);
	for (uint64_t c = 0; c < ncases; c++) {
		enum virtq_err want = case_err(packed, c);
		uint32_t st, st2, bits, used_delta, want_used;
		bool untouched, ok = true;

		snap(dev, &s0);
		expect_sync(vcpu, &uc, SYNC_BAD, c);
		snap(dev, &s1);
		st = (uint32_t)uc.args[2];
		bits = (uint32_t)uc.args[3];
		used_delta = (uint16_t)uc.args[4];
		untouched = uc.args[5] & 1;
		st2 = (uint32_t)(uc.args[5] >> 8) & 0xffff;
		/* avail.idx too far refuses the whole batch; otherwise the good
		 * request ahead of the bad chain completes normally. */
		want_used = !packed && c == H_AVAIL_IDX ? 0 : 1;
#define EXPECT(cond, fmt, ...) do { if (!(cond)) { ok = false; \
	ktap_diag("%s: %s: " fmt, mode, case_name(packed, c), ##__VA_ARGS__); } } while (0)
		EXPECT(st & VIRTIO_CONFIG_S_NEEDS_RESET, "guest read Status 0x%x, no NEEDS_RESET", st);
		EXPECT(st2 & VIRTIO_CONFIG_S_NEEDS_RESET, "Status 0x%x after a second notify", st2);
		EXPECT(bits & VIRTIO_MMIO_INT_CONFIG, "InterruptStatus bits seen 0x%x", bits);
		EXPECT(used_delta == want_used, "%u used entries published, want %u (the good request "
		       "only)", used_delta, want_used);
		if (want_used)
			EXPECT((uint16_t)(uc.args[4] >> 16) == GOOD_ID && (uint32_t)(uc.args[4] >> 32) == 1 &&
			       (uint8_t)(uc.args[5] >> 40) == VIRTIO_BLK_S_OK,
			       "good request: used id %u len %u status 0x%x",
			       (unsigned)(uint16_t)(uc.args[4] >> 16), (unsigned)(uc.args[4] >> 32),
			       (unsigned)(uint8_t)(uc.args[5] >> 40));
		EXPECT(untouched, "a buffer of the refused chain was written");
		EXPECT(s1.qs.violations[want] - s0.qs.violations[want] == 1 &&
		       violations_total(&s1.qs) - violations_total(&s0.qs) == 1,
		       "%" PRIu64 " violations counted, %" PRIu64 " of kind '%s'",
		       violations_total(&s1.qs) - violations_total(&s0.qs),
		       s1.qs.violations[want] - s0.qs.violations[want], virtq_err_name(want));
		EXPECT(s1.st.needs_reset - s0.st.needs_reset == 1 &&
		       s1.st.config_irqs - s0.st.config_irqs == 1,
		       "needs_reset raised %" PRIu64 " times, %" PRIu64 " config interrupts",
		       s1.st.needs_reset - s0.st.needs_reset, s1.st.config_irqs - s0.st.config_irqs);
		EXPECT(s1.qs.chains_completed - s0.qs.chains_completed == want_used,
		       "%" PRIu64 " chains completed", s1.qs.chains_completed - s0.qs.chains_completed);
		/* Trapped: the second notify was handled before the guest went on. */
		if (notify == NOTIFY_TRAPPED)
			EXPECT(s1.qs.notifies_ignored - s0.qs.notifies_ignored == 1,
			       "%" PRIu64 " notifies ignored", s1.qs.notifies_ignored - s0.qs.notifies_ignored);
#undef EXPECT
		/* The guest resets and re-initialises: a normal request works. */
		snap(dev, &s0);
		expect_sync(vcpu, &uc, SYNC_GOOD, c + 1);
		snap(dev, &s1);
		ok &= good_ok(mode, &uc, dev);
		if (violations_total(&s1.qs) != violations_total(&s0.qs)) {
			ktap_diag("%s: %s: violations after the reset", mode, case_name(packed, c));
			ok = false;
		}
		ktap_result(ok && pending_ok, "item 18, %s: %s -> NEEDS_RESET (0x40) + config interrupt, "
			    "bad chain not used or written; after reset a request completes", mode,
			    case_name(packed, c));
		pending_ok = true;
	}
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "guest did not finish");
	snap(dev, &s1);
	{
		uint64_t invalid = 0;

		for (int i = 0; i < VMMIO_INVAL_NR; i++) {
			if (s1.st.invalid[i])
				ktap_diag("%s: %" PRIu64 " x %s", mode, s1.st.invalid[i],
					  virtio_mmio__inval_name(i));
			invalid += s1.st.invalid[i];
		}
		ktap_result(invalid == 0 && violations_total(&s1.qs) == ncases &&
			    s1.st.needs_reset == ncases,
			    "%s: %" PRIu64 " violations, %" PRIu64 " counted, %" PRIu64 " DEVICE_NEEDS_RESET, "
			    "no invalid register access, host alive", mode, ncases,
			    violations_total(&s1.qs), s1.st.needs_reset);
	}
	virtio_kvm_destroy(vk);
	virtio_blk__destroy(blk);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_IRQCHIP);
	REQUIRE_CAP(KVM_CAP_IOEVENTFD);
	REQUIRE_CAP(KVM_CAP_IRQFD);
	ktap_plan(2 * (3 * (H_NR + 1) + 3 * (P_NR + 1)));
	for (unsigned int ci = 0, cpl = 3; ci < 2; ci++, cpl = 0)
		for (int packed = 0; packed < 2; packed++) {
			int n = packed ? P_NR : H_NR;

			run_mode(NOTIFY_TRAPPED, IRQ_METHOD_LINE, packed, cpl);
			run_mode(NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, packed, cpl);
			if (kvm_check_cap(KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0 &&
			    kvm_check_cap(KVM_CAP_IRQFD_RESAMPLE) > 0)
				run_mode(NOTIFY_IOEVENTFD_ZEROLEN, IRQ_METHOD_IRQFD_RESAMPLE, packed, cpl);
			else
				for (int c = 0; c <= n; c++)
					ktap_result_skip("KVM lacks KVM_CAP_IOEVENTFD_ANY_LENGTH or "
							 "KVM_CAP_IRQFD_RESAMPLE",
							 "CPL%u %s, ioeventfd_zerolen + irqfd_resample, case %d",
							 cpl, packed ? "packed" : "split", c);
		}
	return ktap_exit_code();
}
