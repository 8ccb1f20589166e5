// SPDX-License-Identifier: GPL-2.0
/*
 * Data integrity through the real virtio-blk (RAM backend) on the virtio-mmio
 * transport, driven by the guest driver at CPL3 (native on PVM), and in
 * a few short runs at CPL0.
 *
 * The guest writes n sectors with a pattern that is a function of (seed,
 * sector, word), then reads them all back in a permuted order into poisoned
 * buffers, checks every word and folds a checksum over the data it read.
 * The host checks, independently:
 *  - the disk image (virtio_blk__disk) holds exactly the pattern;
 *  - the guest's checksum equals the checksum of the disk image;
 *  - every request's cookie completed exactly once (a per-request counter in
 *    guest memory, bumped on each completion the guest collects);
 *  - every status was VIRTIO_BLK_S_OK with the expected used length;
 *  - the device's counters: request/byte counts, no invalid register access,
 *    no ring violation, no DEVICE_NEEDS_RESET, no refused features; with
 *    trapped notifications, one device notification per guest kick.
 *
 * Matrix: a few long runs that cover every dimension with thousands of
 * requests (queue sizes 16/256/32768, the last one filled and its 16-bit
 * indices wrapped; packed rings of 100, 256 and a full 32768 whose wrap
 * counters flip), then the full cross-product (split/packed x queue size x
 * notify x completion/irq method x EVENT_IDX x INDIRECT) with a small count.
 * Interrupts that find InterruptStatus 0 are counted and reported (seen here
 * with level-triggered delivery), not treated as errors: a driver must
 * tolerate them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "guest.h"
#include "guest_apic.h"
#include "guest_virtio.h"
#include "kvm_util.h"
#include "virtio_blk_dev.h"
#include "virtio_kvm.h"

#define SECTOR_WORDS	(VIRTIO_BLK_SECTOR_BYTES / 8)
#define MAX_SLOTS	32768u

/* Host writes the inputs, the guest the outputs. */
struct integ_params {
	/* in */
	uint64_t nsectors;		/* power of two; 2 * nsectors requests */
	uint64_t seed;
	uint32_t queue_size;
	uint32_t nslots;		/* requests in flight at most */
	uint32_t indirect, event_idx, completion_irq;
	uint32_t packed;
	uint64_t ring_gpa, slots_gpa, reqs_gpa, data_gpa, counts_gpa, ids_gpa, free_gpa;
	/* out */
	int64_t error;			/* < 0: set-up failed */
	uint64_t qsize, features;
	uint64_t checksum, mismatches;
	uint64_t bad_status, bad_len, bad_cookie;
	uint64_t completed, kicks, kicks_suppressed, irqs, spurious, waits;
};

/* The pattern and the checksum: the same code on both sides. */
GUEST_INLINE uint64_t pat_word(uint64_t seed, uint64_t sector, uint64_t i)
{
	uint64_t z = seed + sector * 0x9e3779b97f4a7c15ull + i * 0xd1b54a32d192ed03ull + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* FNV-1a over the sector's words, keyed by the sector number; the total is
 * the sum over sectors, so completion order does not matter. */
GUEST_INLINE uint64_t sector_sum(const uint64_t *w, uint64_t sector)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (sector * 0x100000001b3ull);

	for (uint32_t i = 0; i < SECTOR_WORDS; i++)
		h = (h ^ w[i]) * 0x100000001b3ull;
	return h;
}

/* ---- guest ------------------------------------------------------------ */
static struct virtio_blk_drv integ_drv;	/* the guest's copy, shared with the ISR */

GUEST_CODE static void integ_isr(struct ex_regs *regs)
{
	(void)regs;
	virtio_blk_isr(&integ_drv);	/* counts spurious entries too */
	lapic_eoi();
}

/* Request number r (0 .. 2n-1): writes first, then reads in a permuted
 * order (an odd stride is a permutation modulo a power of two). */
GUEST_INLINE uint64_t req_sector(uint64_t r, uint64_t n)
{
	return r < n ? r : ((r - n) * 40503u + 17) & (n - 1);
}

GUEST_CODE static void integ_guest_main(struct integ_params *p)
{
	struct virtio_blk_drv *b = &integ_drv;
	struct virtio_blk_req *reqs = (struct virtio_blk_req *)p->reqs_gpa;
	uint8_t *data = (uint8_t *)p->data_gpa;
	uint32_t *counts = (uint32_t *)p->counts_gpa;	/* per request number */
	uint64_t *ids = (uint64_t *)p->ids_gpa;		/* slot -> request number */
	uint32_t *free_stack = (uint32_t *)p->free_gpa;
	uint64_t n = p->nsectors, total = 2 * n, submitted = 0, completed = 0;
	uint64_t wanted = (p->indirect ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
			  (p->event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
			  (p->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	uint32_t nfree = 0;
	int qs;

	qs = virtio_blk_init(b, VIRTIO_MMIO_BASE, wanted, p->queue_size, (void *)p->ring_gpa, 4096,
			     (struct vring_drv_slot *)p->slots_gpa);
	p->qsize = (uint64_t)qs;
	if (qs < 0) {
		p->error = qs;
		GUEST_DONE();
	}
	p->features = b->mmio.features;
	b->by_irq = p->completion_irq;
	for (int i = (int)p->nslots - 1; i >= 0; i--)
		free_stack[nfree++] = (uint32_t)i;
	if (!p->completion_irq)
		virtio_blk_irq_off(b);

	while (completed < total) {
		/* A write phase must finish before its sectors are read back. */
		uint64_t limit = submitted < n || completed >= n ? total : n;
		uint64_t added = 0;

		while (submitted < limit && nfree && virtio_blk_has_room(b, 1)) {
			uint32_t slot = free_stack[--nfree];
			uint64_t sector = req_sector(submitted, n);
			uint64_t *w = (uint64_t *)(data + (uint64_t)slot * VIRTIO_BLK_SECTOR_BYTES);
			bool write = submitted < n;

			if (write)
				for (uint32_t i = 0; i < SECTOR_WORDS; i++)
					w[i] = pat_word(p->seed, sector, i);
			else
				guest_memset(w, 0xa5, VIRTIO_BLK_SECTOR_BYTES);
			ids[slot] = submitted;
			GUEST_ASSERT_EQ(virtio_blk_submit(b, &reqs[slot], write ? VIRTIO_BLK_T_OUT :
							  VIRTIO_BLK_T_IN, sector, w,
							  VIRTIO_BLK_SECTOR_BYTES), 0);
			submitted++;
			added++;
		}
		if (added) {
			/* Interrupt mode arms before the kick: a trapped kick
			 * completes everything before the guest runs again. */
			if (p->completion_irq)
				virtio_blk_irq_on(b);
			virtio_blk_kick(b);
		}
		/* A stopped queue never completes: say so at once, not by the
		 * watchdog. */
		p->waits++;
		p->completed = completed;	/* progress, for a host that gave up waiting */
		GUEST_ASSERT_EQ(virtio_blk_wait_used(b), 0);
		for (;;) {
			struct virtio_blk_req *r;
			uint32_t len, slot;
			uint64_t id, sector;
			int rc = virtio_blk_pop(b, &r);

			if (rc != 1) {
				GUEST_ASSERT_EQ(rc, 0);
				break;
			}
			len = r->used_len;
			slot = (uint32_t)(r - reqs);
			if (r < reqs || slot >= p->nslots) {
				p->bad_cookie++;
				continue;
			}
			id = ids[slot];
			if (id >= total) {
				p->bad_cookie++;
				continue;
			}
			counts[id]++;
			ids[slot] = ~0ull;
			if (r->status != VIRTIO_BLK_S_OK)
				p->bad_status++;
			if (len != (id < n ? 1u : VIRTIO_BLK_SECTOR_BYTES + 1))
				p->bad_len++;
			if (id >= n) {
				const uint64_t *w = (const uint64_t *)(data + (uint64_t)slot *
								       VIRTIO_BLK_SECTOR_BYTES);
				uint64_t bad = 0;

				sector = req_sector(id, n);
				for (uint32_t i = 0; i < SECTOR_WORDS; i++)
					bad |= w[i] ^ pat_word(p->seed, sector, i);
				p->mismatches += bad != 0;
				p->checksum += sector_sum(w, sector);
			}
			free_stack[nfree++] = slot;
			completed++;
		}
	}
	/* Interrupt mode: the device raised at least once; its interrupt must
	 * arrive even if polling already found every completion (irqfd
	 * injection is asynchronous). */
	while (p->completion_irq && !(b->irq_count + b->irq_spurious))
		guest_halt_unless(&b->irq_flag);
	p->completed = completed;
	p->spurious = b->irq_spurious;
	p->kicks = virtio_blk_kicks(b);
	p->kicks_suppressed = virtio_blk_kicks_suppressed(b);
	p->irqs = b->irq_count + b->irq_spurious;
	GUEST_DONE();
}

/* ---- host ------------------------------------------------------------- */
struct integ_cfg {
	uint32_t qs;
	enum virtio_notify_mode notify;
	int completion_irq;		/* 0: poll */
	enum irq_method irq;	/* only with completion_irq */
	int event_idx, indirect;
	uint64_t nsectors;
	int packed;			/* VIRTIO_F_RING_PACKED: the packed ring */
	unsigned int cpl;		/* the guest driver's privilege level: 3 or 0 */
};

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* The guest stopped without DONE (the watchdog, an exit): where it stood. */
static void report_stuck(const char *name, struct kvm_vcpu *vcpu, enum vcpu_stop stop,
			 const struct integ_params *p, struct virtio_mmio_dev *dev, struct virtio_kvm *vk)
{
	const struct virtio_blk_drv *b = guest_hva(vcpu->vm, &integ_drv);
	struct virtio_mmio_stats st;
	struct virtq_stats qst;
	struct virtio_kvm_counters k;
	char msg[512];

	if (stop == VCPU_STOP_WATCHDOG)
		snprintf(msg, sizeof(msg), "watchdog: the guest ran %u ms without a ucall",
			 vcpu->watchdog_ms);	/* the words scripts/svm/ktap-run retries on */
	else if (stop == VCPU_STOP_REQUESTED)
		snprintf(msg, sizeof(msg), "interrupted");
	else
		vcpu_describe_exit(vcpu, msg, sizeof(msg));
	vcpu_dump(vcpu);
	virtio_mmio__get_stats(dev, &st);
	virtio_mmio__get_queue_stats(dev, 0, &qst);
	virtio_kvm_get_counters(vk, &k);
	ktap_diag("%s: %s, after %" PRIu64 " waits with %" PRIu64 " completions collected; guest "
		  "ISR entries %" PRIu64 " (+%" PRIu64 " spurious), irq_flag %u; device: %" PRIu64
		  " notifies, %" PRIu64 " popped, %" PRIu64 " completed, %" PRIu64 " used irqs (%"
		  PRIu64 " suppressed), raised %" PRIu64 ", lowered %" PRIu64 ", Status 0x%x; "
		  "eventfd kicks %" PRIu64 "; HLTs stepped over after an interrupt in STI's shadow %"
		  PRIu64, name, msg, p->waits, p->completed, b->irq_count,
		  b->irq_spurious, b->irq_flag, st.notifies, qst.chains_popped, qst.chains_completed,
		  qst.used_irqs, qst.used_irqs_suppressed, st.irqs_raised, st.irqs_lowered,
		  virtio_mmio__status(dev), k.eventfd_kicks,
		  *guest_hva(vcpu->vm, &guest_hlt_shadow_skips));
	if (stop == VCPU_STOP_REQUESTED)
		exit(1);	/* Ctrl-C: end the program, not the case */
}

static bool run_config(const struct integ_cfg *c, uint64_t seed, bool verbose)
{
	uint32_t per_req = c->indirect ? 1 : 3;
	uint32_t nslots = c->qs / per_req;
	uint64_t n = c->nsectors, total = 2 * n;
	uint64_t ring_bytes = vring_size(c->qs, 4096);
	uint64_t need, host_sum = 0, disk_bad = 0, count_bad = 0, first_count_bad = ~0ull;
	int vector = GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI);
	struct virtio_dev_desc desc = {
		.wire = { .notify = c->notify, .irq = c->irq, .iothread_cpu = -1 },
	};
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_RAM, .capacity_sectors = n, .num_queues = 1,
		/* A power of two (the transport's rule for the maximum); a
		 * packed driver then asks for exactly c->qs. */
		.queue_size_max = (uint16_t)(c->qs & (c->qs - 1) ? 1u << (32 - __builtin_clz(c->qs)) : c->qs),
	};
	struct vm_options vo = { 0 };
	struct virtio_mmio_stats st;
	struct virtq_stats qst;
	struct virtio_blk_stats bst;
	struct virtio_kvm_counters kcnt;
	struct integ_params *p;
	struct virtio_blk *blk;
	struct virtio_mmio_dev *dev;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t p_gpa, invalid = 0, violations = 0, hlt_skips;
	const uint32_t *counts;
	const uint8_t *disk;
	char name[200];
	bool ok = true;
	int r;

	if (nslots > MAX_SLOTS)
		nslots = MAX_SLOTS;
	snprintf(name, sizeof(name), "CPL%u %s qs %u, %s, %s%s, event_idx %d, indirect %d, %" PRIu64
		 " sectors", c->cpl, c->packed ? "packed" : "split", c->qs, virtio_notify_mode_name(c->notify),
		 c->completion_irq ? "irq " : "poll", c->completion_irq ?
		 irq_method_name(c->irq) : "", c->event_idx, c->indirect, n);

	need = ring_bytes + (uint64_t)c->qs * sizeof(struct vring_drv_slot) +
	       (uint64_t)nslots * (sizeof(struct virtio_blk_req) + VIRTIO_BLK_SECTOR_BYTES + 12) +
	       total * 4 + (8ull << 20);
	vo.ram_bytes = align_up(need + (64ull << 20), GUEST_LARGE_PAGE_SIZE);
	if (vo.ram_bytes < GUEST_RAM_DEFAULT_BYTES)
		vo.ram_bytes = GUEST_RAM_DEFAULT_BYTES;
	vm = vm_create(&vo);
	vcpu = vm_vcpu_add(vm, integ_guest_main);
	r = virtio_blk__new(&bc, &blk, &desc.dev);
	TEST_ASSERT(!r, "virtio_blk__new: %d", r);
	vk = vm_virtio_attach(vm, &desc);
	dev = virtio_kvm_mmio(vk);

	p_gpa = vm_alloc(vm, sizeof(*p), 0);
	p = addr_gpa2hva(vm, p_gpa);
	p->nsectors = n;
	p->seed = seed;
	p->queue_size = c->qs;
	p->nslots = nslots;
	p->indirect = (uint32_t)c->indirect;
	p->event_idx = (uint32_t)c->event_idx;
	p->completion_irq = (uint32_t)c->completion_irq;
	p->packed = (uint32_t)c->packed;
	p->ring_gpa = vm_alloc(vm, ring_bytes, 4096);
	p->slots_gpa = vm_alloc(vm, (uint64_t)c->qs * sizeof(struct vring_drv_slot), 0);
	p->reqs_gpa = vm_alloc(vm, (uint64_t)nslots * sizeof(struct virtio_blk_req), 64);
	p->data_gpa = vm_alloc(vm, (uint64_t)nslots * VIRTIO_BLK_SECTOR_BYTES, 4096);
	p->counts_gpa = vm_alloc(vm, total * 4, 0);
	p->ids_gpa = vm_alloc(vm, (uint64_t)nslots * 8, 0);
	p->free_gpa = vm_alloc(vm, (uint64_t)nslots * 4, 0);

	vm_ioapic_route(vm, VIRTIO_MMIO_GSI, (uint8_t)vector,
			irq_method_is_level(c->irq), !c->completion_irq);
	vm_install_handler(vm, vector, integ_isr);
	vcpu_set_entry_irqs_on(vcpu, integ_guest_main, c->cpl, 1, p_gpa);
	vcpu_set_watchdog_ms(vcpu, 60000);

	/* A guest assertion or a hang fails this configuration, not the
	 * program, and says where the guest and the device stood. */
	for (;;) {
		enum vcpu_stop stop = vcpu_run(vcpu);
		uint32_t type;
		char msg[512];

		if (stop != VCPU_STOP_UCALL) {
			report_stuck(name, vcpu, stop, p, dev, vk);
			ok = false;
			goto out;
		}
		uc = vcpu->ucall;
		type = uc.type;
		if (type == UCALL_DONE)
			break;
		if (type == UCALL_PRINTF) {
			ktap_diag("%s: guest: %.*s", name, UCALL_BUF_LEN, uc.buffer);
			continue;
		}
		vcpu_describe_ucall(vcpu, &uc, msg, sizeof(msg));
		ktap_diag("%s: %s", name, msg);
		ok = false;
		goto out;
	}
	if (p->error < 0) {
		ktap_diag("%s: guest driver set-up failed: %" PRId64, name, p->error);
		ok = false;
		goto out;
	}

	/* The disk, checked against the pattern without the guest's help. */
	disk = virtio_blk__disk(blk);
	for (uint64_t s = 0; s < n; s++) {
		uint64_t w[SECTOR_WORDS];
		bool bad = false;

		memcpy(w, disk + s * VIRTIO_BLK_SECTOR_BYTES, sizeof(w));
		for (uint32_t i = 0; i < SECTOR_WORDS; i++)
			bad |= w[i] != pat_word(seed, s, i);
		if (bad && disk_bad++ < 3)
			ktap_diag("%s: disk sector %" PRIu64 " differs from the pattern (word 0 "
				  "0x%016" PRIx64 ", want 0x%016" PRIx64 ")", name, s, w[0],
				  pat_word(seed, s, 0));
		host_sum += sector_sum(w, s);
	}
	counts = addr_gpa2hva(vm, p->counts_gpa);
	for (uint64_t i = 0; i < total; i++)
		if (counts[i] != 1) {
			if (count_bad++ < 3)
				ktap_diag("%s: request %" PRIu64 " (%s of sector %" PRIu64 ") completed "
					  "%u times", name, i, i < n ? "write" : "read",
					  req_sector(i, n), counts[i]);
			if (first_count_bad == ~0ull)
				first_count_bad = i;
		}

	virtio_mmio__get_stats(dev, &st);
	virtio_mmio__get_queue_stats(dev, 0, &qst);
	virtio_blk__get_stats(blk, &bst);
	virtio_kvm_get_counters(vk, &kcnt);
	for (int i = 0; i < VMMIO_INVAL_NR; i++) {
		if (st.invalid[i])
			ktap_diag("%s: %" PRIu64 " x %s", name, st.invalid[i], virtio_mmio__inval_name(i));
		invalid += st.invalid[i];
	}
	for (int i = 0; i < VQ_ERR_NR; i++) {
		if (qst.violations[i])
			ktap_diag("%s: %" PRIu64 " x ring violation: %s", name, qst.violations[i],
				  virtq_err_name(i));
		violations += qst.violations[i];
	}

#define EXPECT(cond, fmt, ...) do { if (!(cond)) { ok = false; \
	ktap_diag("%s: " fmt, name, ##__VA_ARGS__); } } while (0)
	EXPECT(p->qsize == c->qs, "queue size %" PRIu64 ", want %u", p->qsize, c->qs);
	EXPECT(!!(p->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC)) == !!c->indirect &&
	       !!(p->features & (1ull << VIRTIO_RING_F_EVENT_IDX)) == !!c->event_idx &&
	       !!(p->features & (1ull << VIRTIO_F_RING_PACKED)) == !!c->packed,
	       "negotiated features 0x%" PRIx64, p->features);
	EXPECT(p->completed == total, "guest collected %" PRIu64 " of %" PRIu64 " completions",
	       p->completed, total);
	EXPECT(!count_bad, "%" PRIu64 " requests not completed exactly once (first: %" PRIu64 ")",
	       count_bad, first_count_bad);
	EXPECT(!p->bad_cookie && !p->bad_status && !p->bad_len,
	       "bad cookies %" PRIu64 ", statuses not OK %" PRIu64 ", wrong used len %" PRIu64,
	       p->bad_cookie, p->bad_status, p->bad_len);
	EXPECT(!p->mismatches, "%" PRIu64 " sectors read back differ from the pattern", p->mismatches);
	EXPECT(!disk_bad, "%" PRIu64 " disk sectors differ from the pattern", disk_bad);
	EXPECT(p->checksum == host_sum, "guest checksum 0x%016" PRIx64 " != host 0x%016" PRIx64,
	       p->checksum, host_sum);
	EXPECT(bst.reqs_out == n && bst.reqs_in == n && bst.bytes_written == n * 512 &&
	       bst.bytes_read == n * 512 && !bst.reqs_ioerr && !bst.reqs_unsupp &&
	       !bst.reqs_flush && !bst.reqs_get_id,
	       "device counted out %" PRIu64 ", in %" PRIu64 ", %" PRIu64 " B written, %" PRIu64
	       " B read, ioerr %" PRIu64 ", unsupp %" PRIu64, bst.reqs_out, bst.reqs_in,
	       bst.bytes_written, bst.bytes_read, bst.reqs_ioerr, bst.reqs_unsupp);
	EXPECT(qst.chains_popped == total && qst.chains_completed == total,
	       "device popped %" PRIu64 ", completed %" PRIu64 " chains", qst.chains_popped,
	       qst.chains_completed);
	EXPECT(!invalid && !violations && !st.needs_reset && !st.features_refused &&
	       !st.notifies_bad_queue,
	       "invalid accesses %" PRIu64 ", ring violations %" PRIu64 ", needs_reset %" PRIu64
	       ", features refused %" PRIu64 ", bad-queue notifies %" PRIu64, invalid, violations,
	       st.needs_reset, st.features_refused, st.notifies_bad_queue);
	EXPECT(!(virtio_mmio__status(dev) & VIRTIO_CONFIG_S_NEEDS_RESET), "Status 0x%x",
	       virtio_mmio__status(dev));
	if (c->notify == NOTIFY_TRAPPED)
		EXPECT(st.notifies == p->kicks, "guest kicked %" PRIu64 " times, device saw %" PRIu64
		       " notifications", p->kicks, st.notifies);
	else
		EXPECT(kcnt.eventfd_kicks <= p->kicks && kcnt.iothread_notifies >= 1,
		       "guest kicked %" PRIu64 " times, eventfd counted %" PRIu64
		       ", iothread notified %" PRIu64, p->kicks, kcnt.eventfd_kicks,
		       kcnt.iothread_notifies);
	if (c->completion_irq)
		EXPECT(p->irqs >= 1 && st.irqs_raised >= 1, "interrupt completion, but the device "
		       "raised %" PRIu64 " and the guest took %" PRIu64 " interrupts", st.irqs_raised,
		       p->irqs);
#undef EXPECT
	hlt_skips = *guest_hva(vm, &guest_hlt_shadow_skips);
	if (hlt_skips)
		ktap_diag("%s: %" PRIu64 " interrupt(s) arrived in STI's shadow, before HLT (a "
			  "platform quirk), and stepped over it", name, hlt_skips);
	if (verbose || !ok)
		ktap_diag("%s: %" PRIu64 " kicks (%" PRIu64 " suppressed), %" PRIu64 " waits, %" PRIu64
			  " interrupts taken (%" PRIu64 " with InterruptStatus 0), device raised %"
			  PRIu64 " (%" PRIu64 " used irqs suppressed)", name, p->kicks,
			  p->kicks_suppressed, p->waits, p->irqs, p->spurious, st.irqs_raised,
			  qst.used_irqs_suppressed);
out:
	virtio_kvm_destroy(vk);
	virtio_blk__destroy(blk);
	kvm_vm_free(vm);
	if (verbose)
		ktap_result(ok, "%s", name);
	else if (!ok)
		ktap_diag("FAILED: %s", name);
	return ok;
}

int main(void)
{
	/* Long runs: every value of every dimension, thousands of requests. */
	static const struct integ_cfg longs[] = {
		{ 16, NOTIFY_TRAPPED, 0, IRQ_METHOD_LINE, 0, 0, 8192, 0, 3 },
		{ 16, NOTIFY_IOEVENTFD, 1, IRQ_METHOD_LINE, 0, 1, 8192, 0, 3 },
		{ 256, NOTIFY_IOEVENTFD, 1, IRQ_METHOD_IRQFD, 1, 1, 16384, 0, 3 },
		{ 256, NOTIFY_TRAPPED, 1, IRQ_METHOD_IRQFD_RESAMPLE, 1, 0, 16384, 0, 3 },
		/* 131072 requests through a full 32768 ring: 16-bit indices wrap. */
		{ 32768, NOTIFY_TRAPPED, 1, IRQ_METHOD_LINE, 1, 1, 65536, 0, 3 },
		{ 32768, NOTIFY_IOEVENTFD, 0, IRQ_METHOD_LINE, 0, 0, 32768, 0, 3 },
		/* The packed ring: a size that is no power of two, and a full
		 * 32768 ring whose wrap counters flip again and again. */
		{ 100, NOTIFY_IOEVENTFD, 1, IRQ_METHOD_IRQFD, 1, 0, 8192, 1, 3 },
		{ 256, NOTIFY_TRAPPED, 0, IRQ_METHOD_LINE, 0, 1, 16384, 1, 3 },
		{ 32768, NOTIFY_TRAPPED, 1, IRQ_METHOD_LINE, 1, 1, 65536, 1, 3 },
	};
	static const uint32_t qss[] = { 16, 256, 32768 };
	static const enum virtio_notify_mode notifies[] = { NOTIFY_TRAPPED, NOTIFY_IOEVENTFD };
	/* completion: poll, then irq by each method */
	static const struct { int irq_mode; enum irq_method m; } comps[] = {
		{ 0, IRQ_METHOD_LINE }, { 1, IRQ_METHOD_LINE }, { 1, IRQ_METHOD_IRQFD },
		{ 1, IRQ_METHOD_IRQFD_RESAMPLE },
	};
	const uint64_t small_n = 256;
	unsigned int nsmall = 0, small_ok = 0, cfg_i = 0;

	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_IRQCHIP);
	REQUIRE_CAP(KVM_CAP_IOEVENTFD);
	REQUIRE_CAP(KVM_CAP_IRQFD);
	REQUIRE_CAP(KVM_CAP_IRQFD_RESAMPLE);
	/* CPL0 (interpreted on PVM, so short): both rings, both notify
	 * paths, polled and by interrupt. */
	static const struct integ_cfg cpl0[] = {
		{ 256, NOTIFY_TRAPPED, 0, IRQ_METHOD_LINE, 1, 1, 512, 0, 0 },
		{ 256, NOTIFY_IOEVENTFD, 1, IRQ_METHOD_IRQFD, 1, 0, 512, 0, 0 },
		{ 100, NOTIFY_TRAPPED, 1, IRQ_METHOD_LINE, 0, 1, 512, 1, 0 },
		{ 256, NOTIFY_IOEVENTFD, 0, IRQ_METHOD_IRQFD, 1, 1, 512, 1, 0 },
	};
	ktap_plan((int)ARRAY_SIZE(longs) + (int)ARRAY_SIZE(cpl0) + 1);
	for (unsigned int i = 0; i < ARRAY_SIZE(longs); i++)
		run_config(&longs[i], 0x5eed0000 + i, true);
	for (unsigned int i = 0; i < ARRAY_SIZE(cpl0); i++)
		run_config(&cpl0[i], 0x5eed0100 + i, true);

	/* The full matrix, small: one line for all, details for failures. */
	for (int packed = 0; packed < 2; packed++)
	for (unsigned int qi = 0; qi < ARRAY_SIZE(qss); qi++)
	for (unsigned int ni = 0; ni < ARRAY_SIZE(notifies); ni++)
	for (unsigned int ci = 0; ci < ARRAY_SIZE(comps); ci++)
	for (int ev = 0; ev < 2; ev++)
	for (int ind = 0; ind < 2; ind++) {
		struct integ_cfg c = {
			.qs = qss[qi], .notify = notifies[ni], .completion_irq = comps[ci].irq_mode,
			.irq = comps[ci].m, .event_idx = ev, .indirect = ind, .nsectors = small_n,
			.packed = packed, .cpl = 3,
		};

		nsmall++;
		small_ok += run_config(&c, 0xc0ffee00ull + cfg_i++, false);
	}
	ktap_result(small_ok == nsmall, "full matrix (ring x queue size x notify x completion/irq "
		    "x event_idx x indirect), %" PRIu64 " sectors written and read each: %u of %u "
		    "configurations intact", small_n, small_ok, nsmall);
	return ktap_exit_code();
}
