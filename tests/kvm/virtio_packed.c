// SPDX-License-Identifier: GPL-2.0
/*
 * Packed virtqueues in a real VM (issue 12): the guest negotiates
 * VIRTIO_F_RING_PACKED, sets a queue up through the transport's registers
 * (guest/virtio_mmio_drv.c) and drives it with the packed producer
 * (guest/vring_packed.c) against the host's packed ring behind the
 * transport (harness/virtq_packed.c): requests kept as many as the ring
 * holds, one kick decision per refill, completions collected by polling or
 * by interrupt. Every answer is checked in the guest; afterwards the
 * transport must show no invalid access, no ring violation and no
 * NEEDS_RESET, and (trapped) exactly one notify per kick the guest sent.
 *
 * Variants: CPL0/CPL3 x (trapped + KVM_IRQ_LINE, ioeventfd + irqfd) x
 * polled/interrupt x ring features (none; EVENT_IDX + INDIRECT), at queue
 * sizes that are and are not powers of two, plus NOTIFICATION_DATA
 * on every wiring: negotiated with trapped and zero-length ioeventfds, not
 * offered with a datamatch ioeventfd (which cannot match its values).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <linux/virtio_ids.h>

#include "guest.h"
#include "guest_apic.h"
#include "guest_virtio.h"
#include "kvm_util.h"
#include "virtio_kvm.h"
#include "virtio_mmio_dev.h"

#define REQUESTS	300
#define MAX_QS		256

/* Guest work area, one allocation: offsets from its base. */
#define A_DRV		0x00000		/* struct virtio_mmio_drv */
#define A_Q		0x00400		/* struct vring_pdrv */
#define A_IDS		0x01000		/* MAX_QS ids */
#define A_FREE		0x02000		/* MAX_QS request numbers */
#define A_RING		0x03000		/* MAX_QS * 16 + 8 */
#define A_REQS		0x05000		/* MAX_QS requests */
#define AREA_BYTES	(A_REQS + MAX_QS * sizeof(struct preq))

enum { SYNC_DONE = 1 };

struct preq {
	struct vring_packed_desc table[3];
	uint64_t seq;			/* device-readable */
	uint64_t answer;		/* device-writable: seq * 3 + 1 */
	uint8_t status;			/* device-writable: 0 */
	uint8_t pad[7];
};

/* ---- guest ------------------------------------------------------------ */
static struct virtio_mmio_drv *g_mmio;	/* for the ISR */
static volatile uint32_t g_wake;

GUEST_CODE static void packed_isr(struct ex_regs *regs)
{
	(void)regs;
	virtio_mmio_irq_ack(g_mmio);
	g_wake = 1;
	lapic_eoi();
}

/* Until a used descriptor is there: spinning, or halted with the wake-flag
 * protocol (cleared, armed, then halt unless set; see guest_halt_unless). */
GUEST_CODE static void wait_used(struct vring_pdrv *q, bool by_irq)
{
	if (!by_irq) {
		while (!vring_pdrv_has_used(q))
			cpu_relax();
		return;
	}
	while (!vring_pdrv_has_used(q)) {
		g_wake = 0;
		if (!vring_pdrv_enable_cb(q))
			break;
		guest_halt_unless(&g_wake);
	}
}

GUEST_CODE static void guest_main(uint64_t area, uint64_t features, uint64_t qs,
				  uint64_t by_irq, uint64_t irq_level)
{
	struct virtio_mmio_drv *d = (void *)(area + A_DRV);
	struct vring_pdrv *q = (void *)(area + A_Q);
	uint32_t *free_stack = (void *)(area + A_FREE);
	struct preq *reqs = (void *)(area + A_REQS);
	uint64_t sent = 0, done = 0, bad = 0;
	uint32_t nfree = 0;

	GUEST_ASSERT_EQ(virtio_mmio_init(d, VIRTIO_MMIO_BASE,
					 features | 1ULL << VIRTIO_F_RING_PACKED), 0);
	GUEST_ASSERT(d->features & (1ULL << VIRTIO_F_RING_PACKED));
	GUEST_ASSERT_EQ(virtio_mmio_setup_packed_queue(d, q, 0, (unsigned int)qs,
						       (void *)(area + A_RING),
						       (void *)(area + A_IDS)), (int)qs);
	virtio_mmio_driver_ok(d);
	for (uint32_t i = 0; i < qs; i++)
		free_stack[nfree++] = (uint32_t)qs - 1 - i;
	if (by_irq) {
		g_mmio = d;
		ioapic_route(VIRTIO_MMIO_GSI, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), irq_level, false);
	} else {
		vring_pdrv_disable_cb(q);
	}
	while (done < REQUESTS) {
		void *cookie;
		uint32_t len;
		int rc;

		while (sent < REQUESTS && nfree) {
			struct preq *r = &reqs[free_stack[nfree - 1]];
			bool ind = (d->features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC)) && sent % 3 == 0;
			struct vring_sg sg[3] = {
				{ &r->seq, sizeof(r->seq) }, { &r->answer, sizeof(r->answer) },
				{ &r->status, 1 },
			};

			r->seq = sent;
			r->answer = ~0ull;
			r->status = 0xff;
			if (vring_pdrv_add(q, sg, 1, 2, r, ind ? r->table : NULL) < 0)
				break;		/* ring full: collect first */
			nfree--;
			sent++;
		}
		virtio_mmio_kick_packed(d, q);
		wait_used(q, by_irq);
		while ((rc = vring_pdrv_pop_used(q, &cookie, &len)) == 1) {
			struct preq *r = cookie;

			bad += len != 9 || r->answer != r->seq * 3 + 1 || r->status != 0;
			free_stack[nfree++] = (uint32_t)(r - reqs);
			done++;
		}
		GUEST_ASSERT_EQ(rc, 0);
	}
	GUEST_SYNC(SYNC_DONE, done, bad, q->kicks, q->kicks_suppressed, d->features);
	GUEST_DONE();
}

/* ---- host ------------------------------------------------------------- */
static int answer_chain(void *ctx, uint16_t q, const struct virtq_chain *c, uint32_t *written)
{
	uint64_t seq, answer;
	uint8_t status = 0;

	(void)ctx;
	(void)q;
	if (c->n_out != 1 || c->n_in != 2 ||
	    virtq_chain_read(c, 0, &seq, sizeof(seq)) != sizeof(seq))
		return -EINVAL;
	answer = seq * 3 + 1;
	virtq_chain_write(c, 0, &answer, sizeof(answer));
	virtq_chain_write(c, sizeof(answer), &status, 1);
	*written = sizeof(answer) + 1;
	return 0;
}

static const struct virtio_dev_ops answer_ops = { .handle_chain = answer_chain };

struct variant {
	unsigned int cpl;
	enum virtio_notify_mode notify;
	enum irq_method irq;
	bool by_irq;
	uint64_t features;
	uint32_t qs;
	enum iothread_mode iothread;	/* ioeventfd wirings */
	bool nd_wiring;			/* wire.notification_data: a wildcard ioeventfd */
};

static void run_variant(const struct variant *v)
{
	struct virtio_dev_desc desc = {
		.dev = { .device_id = VIRTIO_ID_BLOCK, .num_queues = 1, .queue_size_max = MAX_QS,
			 .ops = &answer_ops },
		.wire = { .notify = v->notify, .irq = v->irq, .iothread_cpu = -1, .iothread = v->iothread,
			  .notification_data = v->nd_wiring },
	};
	struct virtio_mmio_stats st;
	struct virtio_kvm_counters kc;
	struct virtq_stats qst;
	struct virtio_mmio_dev *dev;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc, fin;
	uint64_t area, invalid = 0, violations = 0;
	uint32_t type;
	bool notifies_ok, ndata_ok, mode_ok = true;
	uint64_t ndata = 1ull << VIRTIO_F_NOTIFICATION_DATA, trapped;

	vm = vm_create_with_vcpu(&vcpu, guest_main);
	vk = vm_virtio_attach(vm, &desc);
	dev = virtio_kvm_mmio(vk);
	vm_install_handler(vm, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), packed_isr);
	area = vm_alloc(vm, AREA_BYTES, 4096);
	vcpu_set_entry(vcpu, guest_main, v->cpl, 5, area, v->features, (uint64_t)v->qs,
		       (uint64_t)v->by_irq, (uint64_t)irq_method_is_level(v->irq));
	type = vcpu_run_ucall(vcpu, &uc);
	TEST_ASSERT(type == UCALL_SYNC && uc.args[0] == SYNC_DONE,
		    "expected the guest's summary, got ucall %u", type);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &fin) == UCALL_DONE, "guest did not finish");

	virtio_mmio__get_stats(dev, &st);
	virtio_mmio__get_queue_stats(dev, 0, &qst);
	virtio_kvm_get_counters(vk, &kc);
	/* NOTIFICATION_DATA is withdrawn where a datamatch ioeventfd could not
	 * match it (unless the wiring is the wildcard that can), kept
	 * elsewhere; an ioeventfd wiring traps no kick. */
	ndata_ok = !!(uc.args[5] & ndata) ==
		   (!!(v->features & ndata) && (v->notify != NOTIFY_IOEVENTFD || v->nd_wiring));
	trapped = st.notifies - kc.iothread_notifies;
	if (v->notify != NOTIFY_TRAPPED && trapped)
		ndata_ok = false;
	for (int i = 0; i < VMMIO_INVAL_NR; i++)
		invalid += st.invalid[i];
	for (int i = 0; i < VQ_ERR_NR; i++) {
		if (qst.violations[i])
			ktap_diag("%" PRIu64 " x %s", qst.violations[i], virtq_err_name(i));
		violations += qst.violations[i];
	}
	/* Trapped: every kick is one notify. ioeventfd: the iothread may
	 * coalesce several kicks into one eventfd read. */
	notifies_ok = v->notify == NOTIFY_TRAPPED ? st.notifies == uc.args[3]
						  : st.notifies <= uc.args[3];
	/* Busy: the device told the driver not to kick and never slept, so
	 * only kicks before its first look at the ring may remain. Poll: it
	 * says how its waits ended (hit or slept). */
	if (v->iothread == IOTHREAD_BUSY)
		mode_ok = kc.iothread_wakeups == 0 && uc.args[3] <= 4 && kc.polls_hit > 0;
	if (v->iothread == IOTHREAD_POLL)
		mode_ok = kc.polls_hit + kc.polls_slept > 0;
	if (v->iothread != IOTHREAD_BLOCK)
		ktap_diag("iothread %s: %" PRIu64 " wake-ups, %" PRIu64 " kicks, polls hit %" PRIu64
			  ", slept %" PRIu64 ", window %" PRIu64 " ns", iothread_mode_name(v->iothread),
			  kc.iothread_wakeups, uc.args[3], kc.polls_hit, kc.polls_slept, kc.poll_window_ns);
	ktap_result(uc.args[1] == REQUESTS && uc.args[2] == 0 && !invalid && !violations &&
		    !st.needs_reset && notifies_ok && ndata_ok && mode_ok,
		    "packed, CPL%u %s%s/%s + %s, %s, features 0x%" PRIx64 ", queue %u: %" PRIu64
		    " requests, %" PRIu64 " wrong answers, %" PRIu64 " kicks (%" PRIu64
		    " suppressed), negotiated 0x%" PRIx64 ", device saw %" PRIu64 " notifies (%"
		    PRIu64 " trapped) and raised %" PRIu64
		    " interrupts (%" PRIu64 " suppressed); invalid %" PRIu64 ", violations %" PRIu64
		    ", needs_reset %" PRIu64, v->cpl, virtio_notify_mode_name(v->notify),
		    v->nd_wiring ? " (wildcard for notification data)" : "",
		    v->notify == NOTIFY_TRAPPED ? "vcpu" : iothread_mode_name(v->iothread), irq_method_name(v->irq), v->by_irq ? "interrupt" : "polled", v->features, v->qs,
		    uc.args[1], uc.args[2], uc.args[3], uc.args[4], uc.args[5], st.notifies, trapped,
		    qst.used_irqs,
		    qst.used_irqs_suppressed, invalid, violations, st.needs_reset);
	virtio_kvm_destroy(vk);
	kvm_vm_free(vm);
}

int main(void)
{
	const uint64_t ring = (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	const uint64_t ndata = 1ull << VIRTIO_F_NOTIFICATION_DATA;
	struct variant variants[] = {
		{ 0, NOTIFY_TRAPPED, IRQ_METHOD_LINE, false, 0, 100, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_TRAPPED, IRQ_METHOD_LINE, true, ring, 256, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, false, ring, 7, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, true, 0, 64, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_TRAPPED, IRQ_METHOD_LINE, false, ndata | ring, 5, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, true, ndata | ring, 64, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_IOEVENTFD_ZEROLEN, IRQ_METHOD_IRQFD, false, ndata, 16, IOTHREAD_BLOCK, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, false, ring, 64, IOTHREAD_BUSY, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, true, 0, 64, IOTHREAD_BUSY, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, true, ring, 64, IOTHREAD_POLL, false },
		{ 0, NOTIFY_IOEVENTFD_ZEROLEN, IRQ_METHOD_IRQFD, false, 0, 16, IOTHREAD_POLL, false },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, true, ndata | ring, 64, IOTHREAD_BLOCK, true },
		{ 0, NOTIFY_IOEVENTFD, IRQ_METHOD_IRQFD, false, ndata, 16, IOTHREAD_BUSY, true },
	};
	const unsigned int n = ARRAY_SIZE(variants);

	kvm_open_or_skip();
	ktap_plan((int)(2 * n));
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3)
		for (unsigned int i = 0; i < n; i++) {
			variants[i].cpl = cpl;
			run_variant(&variants[i]);
		}
	return ktap_exit_code();
}
