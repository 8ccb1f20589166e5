// SPDX-License-Identifier: GPL-2.0
/*
 * The guest virtio stack end to end: guest/virtio_mmio_drv.c brings up the
 * real transport (harness/virtio_mmio.c), guest/virtio_blk_drv.c issues
 * write/read/flush/get-id requests and a batch under one kick, and waits for
 * completion by polling and by interrupt. The device type here is a tiny
 * RAM disk written for this test. Afterwards the transport's own counters
 * must show no invalid register access and no ring violation: the driver
 * followed the register protocol exactly.
 *
 * Variants: CPL0/CPL3 x (trapped notify + KVM_IRQ_LINE, ioeventfd + irqfd)
 * x ring features (none; EVENT_IDX + INDIRECT), plus NOTIFICATION_DATA.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <linux/virtio_ids.h>

#include "guest.h"
#include "guest_apic.h"
#include "guest_virtio.h"
#include "kvm_util.h"
#include "virtio_kvm.h"
#include "virtio_mmio_dev.h"

#define DISK_SECTORS	64
#define QUEUE_SIZE	64
#define BATCH		16
#define ID_STRING	"mmiobench-ramdisk"

/* Guest work area, one allocation: offsets from its base. */
#define A_DRV		0x00000
#define A_RING		0x01000
#define A_SLOTS		0x08000
#define A_REQS		0x09000
#define A_DATA		0x10000		/* BATCH + 2 sectors */
#define A_ID		0x20000
#define AREA_BYTES	0x21000

enum { SYNC_INIT = 1, SYNC_BATCH, SYNC_IRQ, SYNC_NULL, SYNC_ERR, SYNC_DEAD };

/* ---- guest ------------------------------------------------------------ */
static struct virtio_blk_drv *g_blk;	/* the guest's copy, for the ISR */

GUEST_CODE static void blk_isr(struct ex_regs *regs)
{
	(void)regs;
	virtio_blk_isr(g_blk);
	lapic_eoi();
}

GUEST_CODE static uint8_t pattern(uint64_t sector, uint32_t i)
{
	return (uint8_t)(sector * 7 + i);
}

GUEST_CODE static void guest_code(uint64_t area, uint64_t features, uint64_t irq_level)
{
	struct virtio_blk_drv *b = (void *)(area + A_DRV);
	struct virtio_blk_req *reqs = (void *)(area + A_REQS);
	uint8_t *data = (void *)(area + A_DATA);
	char *id = (void *)(area + A_ID);
	const char *want_id = ID_STRING;
	int size, rc;

	size = virtio_blk_init(b, VIRTIO_MMIO_BASE, features, QUEUE_SIZE, (void *)(area + A_RING),
			       4096, (void *)(area + A_SLOTS));
	GUEST_ASSERT_EQ(size, QUEUE_SIZE);
	GUEST_SYNC(SYNC_INIT, b->capacity_sectors, b->blk_size_bytes, b->mmio.features,
		   b->num_queues);

	/* Write one sector, read it back elsewhere. */
	for (uint32_t i = 0; i < 512; i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	GUEST_ASSERT_EQ(virtio_blk_rw(b, &reqs[0], true, 3, data, 512), VIRTIO_BLK_S_OK);
	GUEST_ASSERT_EQ(reqs[0].used_len, 1);
	for (uint32_t i = 0; i < 512; i++)
		data[512 + i] = 0;
	GUEST_ASSERT_EQ(virtio_blk_rw(b, &reqs[1], false, 3, data + 512, 512), VIRTIO_BLK_S_OK);
	GUEST_ASSERT_EQ(reqs[1].used_len, 513);
	for (uint32_t i = 0; i < 512; i++)
		GUEST_ASSERT_EQ(data[512 + i], (uint8_t)(i ^ 0x5a));
	GUEST_ASSERT_EQ(virtio_blk_flush(b, &reqs[2]), VIRTIO_BLK_S_OK);
	GUEST_ASSERT_EQ(virtio_blk_get_id(b, &reqs[3], id), VIRTIO_BLK_S_OK);
	for (uint32_t i = 0; want_id[i]; i++)
		GUEST_ASSERT_EQ(id[i], want_id[i]);
	/* Out of range and unknown requests: the device says so, nothing hangs. */
	GUEST_ASSERT_EQ(virtio_blk_rw(b, &reqs[4], false, DISK_SECTORS, data, 512),
			VIRTIO_BLK_S_IOERR);
	GUEST_ASSERT_EQ(virtio_blk_submit(b, &reqs[5], 0x4242, 0, NULL, 0), 0);
	virtio_blk_kick(b);
	GUEST_ASSERT_EQ(virtio_blk_wait(b, &reqs[5]), VIRTIO_BLK_S_UNSUPP);

	/* A batch of reads under one kick, collected by polling. */
	uint64_t kicks_before = b->vq.kicks, done_before = b->completed;
	for (uint32_t k = 0; k < BATCH; k++)
		GUEST_ASSERT_EQ(virtio_blk_submit(b, &reqs[k], VIRTIO_BLK_T_IN, 10 + k,
						  data + 512 * k, 512), 0);
	/* Usually one kick; none if an iothread still had kicks off and will
	 * find the batch when it re-checks. */
	virtio_blk_kick(b);
	for (uint32_t k = 0; k < BATCH; k++)
		GUEST_ASSERT_EQ(virtio_blk_wait(b, &reqs[k]), VIRTIO_BLK_S_OK);
	for (uint32_t k = 0; k < BATCH; k++)
		for (uint32_t i = 0; i < 512; i += 37)
			GUEST_ASSERT_EQ(data[512 * k + i], pattern(10 + k, i));
	GUEST_SYNC(SYNC_BATCH, b->vq.kicks - kicks_before, b->completed - done_before,
		   vring_drv_num_free(&b->vq));

	/* Interrupts: drop what polling left pending, then route the pin. */
	virtio_mmio_irq_ack(&b->mmio);
	g_blk = b;
	ioapic_route(VIRTIO_MMIO_GSI, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), irq_level, false);
	/* Each completion must raise an interrupt that the ISR acks. */
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t irqs = b->irq_count;

		b->irq_flag = 0;
		GUEST_ASSERT(virtio_blk_irq_on(b));
		GUEST_ASSERT_EQ(virtio_blk_submit(b, &reqs[k], VIRTIO_BLK_T_IN, 20 + k,
						  data + 512 * k, 512), 0);
		virtio_blk_kick(b);
		guest_halt_unless(&b->irq_flag);
		GUEST_ASSERT(b->irq_count > irqs);
		GUEST_ASSERT_EQ(virtio_blk_wait(b, &reqs[k]), VIRTIO_BLK_S_OK);
		GUEST_ASSERT_EQ(data[512 * k + 5], pattern(20 + k, 5));
	}
	/* The halting waiter: sleeps only while nothing is pending. */
	b->by_irq = true;
	for (uint32_t k = 0; k < 4; k++) {
		rc = virtio_blk_rw(b, &reqs[k], false, 30 + k, data + 512 * k, 512);
		GUEST_ASSERT_EQ(rc, VIRTIO_BLK_S_OK);
		GUEST_ASSERT_EQ(data[512 * k + 9], pattern(30 + k, 9));
	}
	GUEST_SYNC(SYNC_IRQ, b->irq_count, virtio_mmio_status(&b->mmio));
	GUEST_DONE();
}

/* The generic API on its own, as a benchmark would use it: n null requests
 * (one 64-byte readable buffer each; the device completes them untouched),
 * the ring kept full, one kick per refill, completions collected by polling. */
GUEST_CODE static void guest_null(uint64_t area, uint64_t n, uint64_t features)
{
	struct virtio_mmio_drv *d = (void *)(area + A_DRV);
	struct vring_drv *q = (void *)(area + A_DRV + 0x800);
	struct vring_sg sg = { (void *)(area + A_DATA), 64 };
	uint64_t sent = 0, done = 0, bad = 0;
	void *cookie;
	uint32_t len;

	GUEST_ASSERT_EQ(virtio_mmio_init(d, VIRTIO_MMIO_BASE, features), 0);
	GUEST_ASSERT_EQ(virtio_mmio_setup_queue(d, q, 0, QUEUE_SIZE, (void *)(area + A_RING), 4096,
						(void *)(area + A_SLOTS)), QUEUE_SIZE);
	virtio_mmio_driver_ok(d);
	while (done < n) {
		while (sent < n && vring_drv_add(q, &sg, 1, 0, (void *)(sent + 1), NULL) >= 0)
			sent++;
		virtio_mmio_kick(d, q);
		while (vring_drv_pop_used(q, &cookie, &len) == 1)
			bad += (uint64_t)cookie != ++done || len != 0;
	}
	GUEST_SYNC(SYNC_NULL, done, bad, q->kicks, q->kicks_suppressed);
	GUEST_DONE();
}

/* Error paths return codes, never hang. which: ERR_REFUSED (the device
 * refuses the feature set), ERR_NOT_BLK (a non-block device). */
enum { ERR_REFUSED, ERR_NOT_BLK };

GUEST_CODE static void guest_errors(uint64_t area, uint64_t which)
{
	struct virtio_mmio_drv *d = (void *)(area + A_DRV);
	struct virtio_blk_drv *b = (void *)(area + A_DRV + 0x400);
	struct vring_drv *q = (void *)(area + A_DRV + 0x800);
	void *ring = (void *)(area + A_RING), *slots = (void *)(area + A_SLOTS);

	if (which == ERR_REFUSED) {
		GUEST_ASSERT_EQ(virtio_mmio_init(d, VIRTIO_MMIO_BASE,
						 1ULL << VIRTIO_RING_F_EVENT_IDX), -EPROTO);
		GUEST_SYNC(SYNC_ERR, virtio_mmio_status(d));
		/* A fresh attempt without the refused bit works. */
		GUEST_ASSERT_EQ(virtio_mmio_init(d, VIRTIO_MMIO_BASE, 0), 0);
		GUEST_SYNC(SYNC_ERR, virtio_mmio_status(d));
	} else {
		GUEST_ASSERT_EQ(virtio_blk_init(b, VIRTIO_MMIO_BASE, 0, QUEUE_SIZE, ring, 4096, slots),
				-ENODEV);
		GUEST_ASSERT_EQ(virtio_mmio_init(d, VIRTIO_MMIO_BASE, 0), 0);
		GUEST_ASSERT_EQ(virtio_mmio_setup_queue(d, q, 0, QUEUE_SIZE, ring, 4096, slots),
				QUEUE_SIZE);
		GUEST_ASSERT_EQ(virtio_mmio_setup_queue(d, q, 0, QUEUE_SIZE, ring, 4096, slots),
				-EBUSY);
		GUEST_ASSERT_EQ(virtio_mmio_setup_queue(d, q, 1, QUEUE_SIZE, ring, 4096, slots),
				-ENOENT);
		GUEST_SYNC(SYNC_ERR, virtio_mmio_status(d));
	}
	GUEST_DONE();
}

/* A request the device cannot serve (its data buffer lies outside guest
 * RAM), waited for by interrupt with interrupts on all along: the device
 * sets NEEDS_RESET and raises the config interrupt, which a trapped kick
 * delivers before the waiter has even cleared its flag. The wait must end
 * in -EIO, not in a halt nobody wakes (the host's watchdog). */
GUEST_CODE static void guest_dead(uint64_t area, uint64_t features, uint64_t irq_level)
{
	struct virtio_blk_drv *b = (void *)(area + A_DRV);
	struct virtio_blk_req *req = (void *)(area + A_REQS);
	void *outside = (void *)(1ull << 40);		/* no guest RAM there */
	int rc;

	GUEST_ASSERT_EQ(virtio_blk_init(b, VIRTIO_MMIO_BASE, features, QUEUE_SIZE,
					(void *)(area + A_RING), 4096, (void *)(area + A_SLOTS)),
			QUEUE_SIZE);
	g_blk = b;
	b->by_irq = true;
	ioapic_route(VIRTIO_MMIO_GSI, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), irq_level, false);
	GUEST_ASSERT_EQ(virtio_blk_submit(b, req, VIRTIO_BLK_T_IN, 0, outside, 512), 0);
	virtio_blk_kick(b);
	rc = virtio_blk_wait(b, req);
	GUEST_SYNC(SYNC_DEAD, (uint64_t)(int64_t)rc, virtio_mmio_status(&b->mmio), b->config_irqs,
		   b->status_reads);
	GUEST_DONE();
}

/* ---- host: a RAM disk device type -------------------------------------- */
struct ramdisk {
	uint8_t disk[DISK_SECTORS * 512];
	uint64_t requests;
};

static int ramdisk_chain(void *ctx, uint16_t q, const struct virtq_chain *c, uint32_t *written)
{
	struct ramdisk *rd = ctx;
	struct virtio_blk_outhdr h;
	uint64_t data_in, data_out, off;
	uint8_t status = VIRTIO_BLK_S_OK;

	(void)q;
	if (c->n_in < 1 || virtq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h))
		return -EINVAL;
	rd->requests++;
	data_out = c->out_bytes - sizeof(h);
	data_in = c->in_bytes - 1;
	off = h.sector * 512;
	*written = 0;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		if (h.sector >= DISK_SECTORS || data_in > sizeof(rd->disk) - off) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		*written = (uint32_t)virtq_chain_write(c, 0, rd->disk + off, data_in);
		break;
	case VIRTIO_BLK_T_OUT:
		if (h.sector >= DISK_SECTORS || data_out > sizeof(rd->disk) - off) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		virtq_chain_read(c, sizeof(h), rd->disk + off, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = ID_STRING;

		*written = (uint32_t)virtq_chain_write(c, 0, id, data_in < sizeof(id) ? data_in : sizeof(id));
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
	virtq_chain_write(c, data_in, &status, 1);
	*written += 1;
	return 0;
}

static const struct virtio_dev_ops ramdisk_ops = { .handle_chain = ramdisk_chain };

struct variant {
	unsigned int cpl;
	enum virtio_notify_mode notify;
	enum irq_method irq;
	uint64_t features;
};

static void expect_sync(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t what)
{
	uint32_t type = vcpu_run_ucall(vcpu, uc);

	TEST_ASSERT(type == UCALL_SYNC && uc->args[0] == what,
		    "expected guest sync %" PRIu64 ", got ucall %u (arg0 %" PRIu64 ")", what, type,
		    uc->args[0]);
}

static void run_variant(const struct variant *v)
{
	static struct ramdisk rd;
	struct virtio_blk_config cfg = { .capacity = DISK_SECTORS, .blk_size = 512, .num_queues = 1 };
	struct virtio_dev_desc desc = {
		.dev = {
			.device_id = VIRTIO_ID_BLOCK, .num_queues = 1, .queue_size_max = 256,
			.device_features = (1ull << VIRTIO_BLK_F_BLK_SIZE) |
					   (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_MQ),
			.config = &cfg, .config_len_bytes = sizeof(cfg), .ops = &ramdisk_ops,
			.ops_ctx = &rd,
		},
		.wire = { .notify = v->notify, .irq = v->irq, .iothread_cpu = -1 },
	};
	struct virtio_mmio_stats st;
	struct virtq_stats qs;
	struct virtio_mmio_dev *dev;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t area, invalid = 0, violations = 0, want_features;
	char name[160];
	bool ok = true;

	snprintf(name, sizeof(name), "CPL%u %s + %s, features 0x%" PRIx64, v->cpl,
		 virtio_notify_mode_name(v->notify), irq_method_name(v->irq), v->features);
	for (uint32_t s = 0; s < DISK_SECTORS; s++)
		for (uint32_t i = 0; i < 512; i++)
			rd.disk[s * 512 + i] = (uint8_t)(s * 7 + i);
	rd.requests = 0;

	vm = vm_create_with_vcpu(&vcpu, guest_code);
	vk = vm_virtio_attach(vm, &desc);
	dev = virtio_kvm_mmio(vk);
	vm_install_handler(vm, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), blk_isr);
	area = vm_alloc(vm, AREA_BYTES, 4096);

	vcpu_set_entry(vcpu, guest_code, v->cpl, 3, area, v->features,
		       (uint64_t)irq_method_is_level(v->irq));
	expect_sync(vcpu, &uc, SYNC_INIT);
	want_features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
			(1ull << VIRTIO_BLK_F_MQ) | v->features;
	if (uc.args[1] != DISK_SECTORS || uc.args[2] != 512 || uc.args[3] != want_features ||
	    uc.args[4] != 1) {
		ktap_diag("%s: init saw capacity %" PRIu64 ", blk_size %" PRIu64 ", features 0x%"
			  PRIx64 " (want 0x%" PRIx64 "), num_queues %" PRIu64, name, uc.args[1],
			  uc.args[2], uc.args[3], want_features, uc.args[4]);
		ok = false;
	}
	expect_sync(vcpu, &uc, SYNC_BATCH);
	if (uc.args[1] > 1 || uc.args[2] != BATCH || uc.args[3] != QUEUE_SIZE) {
		ktap_diag("%s: batch: %" PRIu64 " kicks, %" PRIu64 " completed, %" PRIu64 " free",
			  name, uc.args[1], uc.args[2], uc.args[3]);
		ok = false;
	}
	expect_sync(vcpu, &uc, SYNC_IRQ);
	if (uc.args[1] < 4 || uc.args[2] != 0xf) {
		ktap_diag("%s: %" PRIu64 " interrupts taken, Status 0x%" PRIx64, name, uc.args[1],
			  uc.args[2]);
		ok = false;
	}
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "guest did not finish");

	virtio_mmio__get_stats(dev, &st);
	virtio_mmio__get_queue_stats(dev, 0, &qs);
	for (int i = 0; i < VMMIO_INVAL_NR; i++) {
		if (st.invalid[i])
			ktap_diag("%s: %" PRIu64 " x %s", name, st.invalid[i], virtio_mmio__inval_name(i));
		invalid += st.invalid[i];
	}
	for (int i = 0; i < VQ_ERR_NR; i++)
		violations += qs.violations[i];
	if (invalid || violations || st.features_refused || st.needs_reset) {
		ktap_diag("%s: invalid %" PRIu64 ", violations %" PRIu64 ", refused %" PRIu64
			  ", needs_reset %" PRIu64, name, invalid, violations, st.features_refused,
			  st.needs_reset);
		ok = false;
	}
	ktap_diag("%s: %" PRIu64 " requests, %" PRIu64 " notifies, %" PRIu64 " irqs raised, %"
		  PRIu64 " used irqs suppressed", name, rd.requests, st.notifies, st.irqs_raised,
		  qs.used_irqs_suppressed);
	ktap_result(ok, "%s: init, rw/flush/get-id, batch of %d under one kick, interrupt wait, "
		    "no invalid access", name, BATCH);

	virtio_kvm_destroy(vk);
	kvm_vm_free(vm);
}

static int null_chain(void *ctx, uint16_t q, const struct virtq_chain *c, uint32_t *written)
{
	(void)ctx;
	(void)q;
	(void)c;
	*written = 0;
	return 0;
}

static int refuse_event_idx(void *ctx, uint64_t f)
{
	(void)ctx;
	return f & (1ull << VIRTIO_RING_F_EVENT_IDX) ? -EINVAL : 0;
}

static const struct virtio_dev_ops null_ops = { .handle_chain = null_chain };
static const struct virtio_dev_ops refusing_ops = {
	.handle_chain = null_chain, .validate_features = refuse_event_idx,
};

/* A VM with one device of type id and ops; the guest entry gets area + args. */
struct rig {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct virtio_kvm *vk;
	struct virtio_mmio_dev *dev;
	uint64_t area;
};

static void rig_up(struct rig *r, void *entry, uint32_t id, const struct virtio_dev_ops *ops,
		   enum virtio_notify_mode notify)
{
	struct virtio_dev_desc desc = {
		.dev = { .device_id = id, .num_queues = 1, .queue_size_max = 256, .ops = ops },
		.wire = { .notify = notify, .irq = IRQ_METHOD_LINE, .iothread_cpu = -1 },
	};

	r->vm = vm_create_with_vcpu(&r->vcpu, entry);
	r->vk = vm_virtio_attach(r->vm, &desc);
	r->dev = virtio_kvm_mmio(r->vk);
	r->area = vm_alloc(r->vm, AREA_BYTES, 4096);
}

static void rig_down(struct rig *r)
{
	virtio_kvm_destroy(r->vk);	/* and the transport */
	kvm_vm_free(r->vm);
}

static void run_null(unsigned int cpl, enum virtio_notify_mode notify, uint64_t features)
{
	const uint64_t n = 1000;
	struct virtio_mmio_stats st;
	struct ucall uc;
	struct rig r;
	uint64_t invalid = 0;

	rig_up(&r, guest_null, VIRTIO_ID_BLOCK, &null_ops, notify);
	vcpu_set_entry(r.vcpu, guest_null, cpl, 3, r.area, n, features);
	expect_sync(r.vcpu, &uc, SYNC_NULL);
	{
		struct ucall done;

		TEST_ASSERT(vcpu_run_ucall(r.vcpu, &done) == UCALL_DONE, "guest did not finish");
	}
	virtio_mmio__get_stats(r.dev, &st);
	for (int i = 0; i < VMMIO_INVAL_NR; i++)
		invalid += st.invalid[i];
	ktap_result(uc.args[1] == n && uc.args[2] == 0 && invalid == 0,
		    "CPL%u %s, features 0x%" PRIx64 ": %" PRIu64 " null requests in order, "
		    "%" PRIu64 " kicks (%" PRIu64 " suppressed), no invalid access",
		    cpl, virtio_notify_mode_name(notify), features, uc.args[1], uc.args[3], uc.args[4]);
	rig_down(&r);
}

static void run_dead(unsigned int cpl, enum virtio_notify_mode notify, enum irq_method irq)
{
	struct virtio_dev_desc desc = {
		.dev = { .device_id = VIRTIO_ID_BLOCK, .num_queues = 1, .queue_size_max = 256,
			 .ops = &ramdisk_ops, .ops_ctx = NULL },
		.wire = { .notify = notify, .irq = irq, .iothread_cpu = -1 },
	};
	static struct ramdisk rd;
	struct virtio_mmio_stats st;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t area;
	int64_t rc;

	desc.dev.ops_ctx = &rd;
	vm = vm_create_with_vcpu(&vcpu, guest_dead);
	vk = vm_virtio_attach(vm, &desc);
	vm_install_handler(vm, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), blk_isr);
	area = vm_alloc(vm, AREA_BYTES, 4096);
	vcpu_set_entry_irqs_on(vcpu, guest_dead, cpl, 3, area, 0, (uint64_t)irq_method_is_level(irq));
	expect_sync(vcpu, &uc, SYNC_DEAD);
	rc = (int64_t)uc.args[1];
	{
		struct ucall done;

		TEST_ASSERT(vcpu_run_ucall(vcpu, &done) == UCALL_DONE, "guest did not finish");
	}
	virtio_mmio__get_stats(virtio_kvm_mmio(vk), &st);
	ktap_result(rc == -EIO && (uc.args[2] & VIRTIO_CONFIG_S_NEEDS_RESET) && st.needs_reset == 1,
		    "CPL%u %s + %s: a request the device cannot serve, waited for by interrupt, "
		    "ends in -EIO (got %" PRId64 "; Status 0x%" PRIx64 ", %" PRIu64 " config "
		    "interrupts, %" PRIu64 " Status reads), not in a halt nobody wakes", cpl,
		    virtio_notify_mode_name(notify), irq_method_name(irq), rc, uc.args[2],
		    uc.args[3], uc.args[4]);
	virtio_kvm_destroy(vk);
	kvm_vm_free(vm);
}

static void run_errors(void)
{
	const uint32_t failed = VIRTIO_CONFIG_S_FAILED;
	struct ucall uc;
	struct rig r;
	uint64_t s1, s2;

	rig_up(&r, guest_errors, VIRTIO_ID_BLOCK, &refusing_ops, NOTIFY_TRAPPED);
	vcpu_set_entry(r.vcpu, guest_errors, 0, 2, r.area, (uint64_t)ERR_REFUSED);
	expect_sync(r.vcpu, &uc, SYNC_ERR);
	s1 = uc.args[1];
	expect_sync(r.vcpu, &uc, SYNC_ERR);
	s2 = uc.args[1];
	TEST_ASSERT(vcpu_run_ucall(r.vcpu, &uc) == UCALL_DONE, "guest did not finish");
	ktap_result((s1 & failed) && !(s1 & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    s2 == (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			   VIRTIO_CONFIG_S_FEATURES_OK),
		    "refused features: -EPROTO with FAILED set (Status 0x%" PRIx64 "), then a "
		    "retry without the bit negotiates (Status 0x%" PRIx64 ")", s1, s2);
	rig_down(&r);

	rig_up(&r, guest_errors, VIRTIO_ID_NET, &null_ops, NOTIFY_TRAPPED);
	vcpu_set_entry(r.vcpu, guest_errors, 0, 2, r.area, (uint64_t)ERR_NOT_BLK);
	expect_sync(r.vcpu, &uc, SYNC_ERR);
	TEST_ASSERT(vcpu_run_ucall(r.vcpu, &uc) == UCALL_DONE, "guest did not finish");
	ktap_result(true, "virtio_blk_init on a net device: -ENODEV; queue already ready: -EBUSY; "
		    "absent queue: -ENOENT");
	rig_down(&r);
}

/* A device with an fd of its own (an RX source): the iothread wakes on it
 * and the device completes through the transport it was bound to. No
 * guest driver here, so the queue is not live and the completion must be
 * refused, not processed. */
struct own_fd {
	int fd;
	struct virtio_mmio_dev *transport;
	_Atomic int woken;
	int complete_r;
};

static void own_bind(void *ctx, struct virtio_mmio_dev *transport)
{
	((struct own_fd *)ctx)->transport = transport;
}

static void own_ready(void *ctx)
{
	struct own_fd *o = ctx;
	uint64_t n;

	if (read(o->fd, &n, sizeof(n)) == sizeof(n)) {
		o->complete_r = virtio_dev_complete(o->transport, 0);
		atomic_store(&o->woken, 1);
	}
}

static const struct virtio_dev_ops own_ops = { .handle_chain = null_chain, .bind = own_bind };

static void run_own_fd(void)
{
	static struct own_fd o;
	struct virtio_dev_fd fds[VIRTIO_KVM_MAX_DEV_FDS + 1];
	struct virtio_dev_desc desc = {
		.dev = { .device_id = VIRTIO_ID_CONSOLE, .num_queues = 1, .queue_size_max = 16,
			 .ops = &own_ops, .ops_ctx = &o },
		.wire = { .notify = NOTIFY_TRAPPED, .irq = IRQ_METHOD_LINE, .iothread_cpu = -1 },
		.fds = fds, .nr_fds = 1,
	};
	struct virtio_kvm_counters kc;
	struct virtio_mmio_stats st;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int too_many, bad_fd, no_queue;
	uint64_t one = 1;

	o.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	TEST_ASSERT(o.fd >= 0, "eventfd");
	for (unsigned int i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = (struct virtio_dev_fd){ .fd = o.fd, .ready = own_ready, .ctx = &o };
	vm = vm_create_with_vcpu(&vcpu, guest_code);

	/* A bad description is refused before anything is set up. */
	desc.nr_fds = VIRTIO_KVM_MAX_DEV_FDS + 1;
	too_many = __vm_virtio_attach(vm, &desc, &vk);
	desc.nr_fds = 1;
	fds[0].fd = -1;
	bad_fd = __vm_virtio_attach(vm, &desc, &vk);
	fds[0].fd = o.fd;
	desc.dev.num_queues = 0;
	no_queue = __vm_virtio_attach(vm, &desc, &vk);
	desc.dev.num_queues = 1;

	vk = vm_virtio_attach(vm, &desc);	/* trapped + line: the fd alone needs the iothread */
	TEST_ASSERT(o.transport == virtio_kvm_mmio(vk), "bind: the transport that wraps it");
	TEST_ASSERT(write(o.fd, &one, sizeof(one)) == sizeof(one), "eventfd write");
	for (int i = 0; i < 5000 && !atomic_load(&o.woken); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	virtio_kvm_get_counters(vk, &kc);
	virtio_mmio__get_stats(virtio_kvm_mmio(vk), &st);
	ktap_result(too_many == -EINVAL && bad_fd == -EINVAL && no_queue == -EINVAL &&
		    atomic_load(&o.woken) && o.complete_r == -EAGAIN && kc.iothread_wakeups >= 1 &&
		    st.notifies == 0 && kc.iothread_notifies == 0,
		    "device's own fd: bad descriptions -EINVAL (%d %d %d); the iothread woke (%d, "
		    "%" PRIu64 " wakeups) and virtio_dev_complete on a queue not live gave %d",
		    too_many, bad_fd, no_queue, atomic_load(&o.woken), kc.iothread_wakeups,
		    o.complete_r);
	virtio_kvm_destroy(vk);
	close(o.fd);
	kvm_vm_free(vm);
}

int main(void)
{
	const uint64_t ring = (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	const struct variant variants[] = {
		{ 0, NOTIFY_TRAPPED, IRQ_METHOD_LINE, 0 },
		{ 0, NOTIFY_TRAPPED, IRQ_METHOD_LINE, ring },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, ring },
		{ 0, NOTIFY_TRAPPED, IRQ_METHOD_LINE, 1ull << VIRTIO_F_NOTIFICATION_DATA },
		{ 3, NOTIFY_TRAPPED, IRQ_METHOD_LINE, 0 },
		{ 3, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, ring },
	};

	kvm_open_or_skip();
	ktap_plan((int)ARRAY_SIZE(variants) + 4 + 4 + 2 + 1);
	for (unsigned int i = 0; i < ARRAY_SIZE(variants); i++)
		run_variant(&variants[i]);
	run_null(0, NOTIFY_TRAPPED, 0);
	run_null(0, NOTIFY_IOEVENTFD, ring);
	run_null(3, NOTIFY_TRAPPED, ring);
	run_null(3, NOTIFY_IOEVENTFD, 0);
	run_dead(0, NOTIFY_TRAPPED, IRQ_METHOD_LINE);
	run_dead(3, NOTIFY_TRAPPED, IRQ_METHOD_LINE);
	run_dead(0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD);
	run_dead(3, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD);
	run_errors();
	run_own_fd();
	return ktap_exit_code();
}
