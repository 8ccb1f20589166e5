// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario "notify": notification throughput of virtio-blk (null backend,
 * one queue) across queue sizes and batch sizes, trapped MMIO versus
 * ioeventfd. The guest keeps the queue as full as the batch allows: while
 * the ring has room it adds `batch` requests and makes one notification
 * decision (suppressed by EVENT_IDX / NO_NOTIFY when the device asks), then
 * collects completions by polling the used ring or by waiting for the
 * interrupt. The timed part follows a warm-up; the host snapshots KVM's
 * stats, the device's counters and both threads' CPU time around it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "bench.h"
#include "guest.h"
#include "guest_apic.h"
#include "guest_run.h"
#include "guest_virtio.h"
#include "notify.h"
#include "scenario.h"
#include "stats.h"

#define REQ_DATA_BYTES 512

/* Parameter block: the host writes one into guest memory and passes its
 * address; the guest writes the results back into it. */
struct bench_notify_params {
	/* in */
	uint64_t requests;		/* timed requests */
	uint64_t warmup;		/* requests completed before timing */
	uint32_t queue_size;
	uint32_t batch;			/* requests added per notification decision */
	uint32_t event_idx;		/* negotiate VIRTIO_RING_F_EVENT_IDX */
	uint32_t completion_irq;	/* 0: poll the used ring, 1: wait for the interrupt */
	uint32_t packed;		/* negotiate VIRTIO_F_RING_PACKED */
	uint32_t notification_data;	/* negotiate VIRTIO_F_NOTIFICATION_DATA */
	uint64_t ring_gpa, slots_gpa, reqs_gpa;
	/* out, for the timed part only */
	uint64_t ticks;
	uint64_t kicks, kicks_suppressed;	/* notifications sent / suppressed */
	uint64_t irqs;				/* interrupts the guest took */
	uint64_t completed, bad_status;
	int64_t error;				/* < 0: set-up failed */
	uint64_t liveness_reads;		/* Status reads (MMIO exits) while waiting */
};

/* The guest's driver, shared with its ISR (the guest's private copy). */
static struct virtio_blk_drv notify_drv;

GUEST_CODE static void notify_isr(struct ex_regs *regs)
{
	(void)regs;
	virtio_blk_isr(&notify_drv);	/* InterruptStatus + InterruptACK */
	lapic_eoi();
}

GUEST_CODE static uint64_t isr_entries(const struct virtio_blk_drv *b)
{
	return b->irq_count + b->irq_spurious;
}

GUEST_CODE static void notify_guest_main(struct bench_notify_params *p)
{
	struct virtio_blk_drv *b = &notify_drv;
	struct virtio_blk_req *reqs = (struct virtio_blk_req *)p->reqs_gpa;
	struct virtio_blk_loop l = {
		.b = b, .reqs = reqs, .free_stack = (uint32_t *)(reqs + p->queue_size),
		.data = (uint32_t *)(reqs + p->queue_size) + p->queue_size,
		.data_len = REQ_DATA_BYTES, .batch = p->batch,
	};
	uint64_t wanted = (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			  (p->event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
			  (p->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
			  (p->notification_data ? 1ULL << VIRTIO_F_NOTIFICATION_DATA : 0);
	uint64_t t0, kicks0, supp0, irqs0, alive0;
	int qs = virtio_blk_init(b, VIRTIO_MMIO_BASE, wanted, p->queue_size,
				 (void *)p->ring_gpa, 4096, (struct vring_drv_slot *)p->slots_gpa);

	if (qs < 0) {
		p->error = qs;
		GUEST_DONE();
	}
	GUEST_ASSERT_EQ(qs, p->queue_size);
	GUEST_ASSERT_EQ(b->packed, !!p->packed);	/* the layout asked for, or no row */
	GUEST_ASSERT_EQ(!!(b->mmio.features & (1ULL << VIRTIO_F_NOTIFICATION_DATA)), !!p->notification_data);
	b->by_irq = p->completion_irq;
	virtio_blk_irq_off(b);		/* interrupts only while waiting for one */
	virtio_blk_loop_reset(&l, (unsigned int)qs);
	GUEST_ASSERT_EQ(virtio_blk_loop_run(&l, p->warmup), 0);
	l.bad_status = 0;
	/* The host snapshots its counters; it also learns how many kicks the
	 * warm-up sent, since the iothread may read the last of them later. */
	GUEST_SYNC(1, virtio_blk_kicks(b));
	kicks0 = virtio_blk_kicks(b);
	alive0 = b->status_reads;
	supp0 = virtio_blk_kicks_suppressed(b);
	irqs0 = isr_entries(b);
	t0 = rdtsc_fenced();
	GUEST_ASSERT_EQ(virtio_blk_loop_run(&l, p->requests), 0);
	p->ticks = rdtsc_fenced() - t0;
	p->kicks = virtio_blk_kicks(b) - kicks0;
	p->kicks_suppressed = virtio_blk_kicks_suppressed(b) - supp0;
	p->irqs = isr_entries(b) - irqs0;
	p->liveness_reads = b->status_reads - alive0;
	p->bad_status = l.bad_status;
	p->completed = p->requests;
	GUEST_DONE();
}

struct counters {
	int64_t exits, mmio, io, irq_inj;
	uint64_t notifies, irqs_raised, vcpu_ns, iothread_ns;
	struct virtio_kvm_counters vk;
};

static void snapshot(struct kvm_vcpu *vcpu, struct bench_dev *dev, struct counters *s)
{
	struct virtio_mmio_stats ds;

	s->exits = vcpu_stat(vcpu, "exits");
	s->mmio = vcpu_stat(vcpu, "mmio_exits");
	s->io = vcpu_stat(vcpu, "io_exits");
	s->irq_inj = vcpu_stat(vcpu, "irq_injections");
	virtio_mmio__get_stats(bench_dev_mmio(dev), &ds);
	s->notifies = ds.notifies;
	s->irqs_raised = ds.irqs_raised;
	virtio_kvm_get_counters(bench_dev_kvm(dev), &s->vk);
	s->vcpu_ns = bench_thread_cpu_ns();
	s->iothread_ns = virtio_kvm_iothread_cpu_ns(bench_dev_kvm(dev));
}

struct sync_ctx {
	struct kvm_vcpu *vcpu;
	struct bench_dev *dev;
	struct counters *start;
	uint64_t warmup_kicks;		/* the guest's count at the snapshot */
};

static void on_sync(void *ctx, const struct ucall *uc)
{
	struct sync_ctx *s = ctx;

	snapshot(s->vcpu, s->dev, s->start);
	s->warmup_kicks = uc->nargs > 1 ? uc->args[1] : 0;
}

/* One repetition's figures, in the order of notify_metrics[]. */
struct notify_rep {
	double requests_per_s, notifies_per_s, exits_per_s, irqs_per_s, vcpu_ns_per_req, iothread_ns_per_req;
};

static const char *const notify_metrics[] = {
	"requests_per_s", "notifies_per_s", "exits_per_s", "irqs_per_s",
	"vcpu_cpu_ns_per_req", "iothread_cpu_ns_per_req", NULL,
};
_Static_assert(ARRAY_SIZE(notify_metrics) - 1 == sizeof(struct notify_rep) / sizeof(double),
	       "one metric name per notify_rep field");

static uint64_t requests_for(const struct bench_ctx *c, int cpl)
{
	if (c->o->requests)
		return c->o->requests;
	/* CPL0 may be interpreted (PVM): fewer requests keep the sweep short. */
	return cpl ? (c->o->quick ? 1000 : 4000) : (c->o->quick ? 100 : 400);
}

/*
 * Did the notifications and interrupts take the paths the configuration
 * claims? mmio_exits counts MMIO exits to userspace (x86_emulate_instruction()
 * when vcpu->mmio_needed; an ioeventfd write is not one) on VMX, SVM and PVM
 * alike. Expected: one per trapped notification, the ISR's InterruptStatus
 * read and InterruptACK write per interrupt, the guest's liveness reads of
 * Status while it waits long, and the DONE ucall. Boundary: the warm-up's
 * last kicks may be read from the eventfd by the iothread only after the
 * host's snapshot, so the timed part's eventfd count may exceed its kicks by
 * those still unread at the snapshot (the guest says how many it sent).
 */
static void notify_crosscheck(struct bench_ctx *c, const struct notify_cfg *nc,
			      const struct bench_notify_params *p, const struct counters *s0,
			      const struct counters *s1, uint64_t warmup_kicks)
{
	int64_t d_mmio = s1->mmio - s0->mmio;
	uint64_t d_notif = s1->notifies - s0->notifies, d_raised = s1->irqs_raised - s0->irqs_raised;
	uint64_t d_efd = s1->vk.eventfd_kicks - s0->vk.eventfd_kicks;
	uint64_t unread = warmup_kicks > s0->vk.eventfd_kicks ? warmup_kicks - s0->vk.eventfd_kicks : 0;
	const int64_t slack = 8 + (int64_t)(p->kicks + p->irqs) / 50;
	int64_t expect_mmio = (nc->notify == NOTIFY_TRAPPED ? (int64_t)p->kicks : 0) + 2 * (int64_t)p->irqs +
			      (int64_t)p->liveness_reads + 1;
	uint64_t d_wake = s1->vk.iothread_wakeups - s0->vk.iothread_wakeups;

	/* Polling keeps interrupts off: a device may still fire once per
	 * 64 Ki completions (16-bit used_event wrap), never more. A busy
	 * iothread asked for no kicks and never sleeps: a kick or a wake-up
	 * means the suppression (or its honouring) is broken. Allowed: the
	 * kicks of a first batch, before the device first saw the queue (the
	 * warm-up normally takes them). */
	if (!nc->completion_irq && d_raised > p->completed / 65536 + 1)
		bench_crosscheck(c, false, "notify %s qs %u batch %u, polled: the device raised %llu "
				 "interrupts for %llu requests with callbacks disabled",
				 virtio_notify_mode_name(nc->notify), nc->qs, p->batch,
				 (unsigned long long)d_raised, (unsigned long long)p->completed);
	else if (nc->notify != NOTIFY_TRAPPED && nc->iothread == IOTHREAD_BUSY)
		bench_crosscheck(c, p->kicks <= 2 && d_mmio <= expect_mmio + slack && d_efd <= p->kicks + unread &&
				 d_wake == 0 && p->completed == p->requests && !p->bad_status,
				 "notify %s busy qs %u batch %u: guest sent %llu notifications (expected about "
				 "none: kicks off), eventfd counted %llu, iothread woke %llu times (expected 0), "
				 "%llu of %llu requests completed, %llu bad statuses",
				 virtio_notify_mode_name(nc->notify), nc->qs, p->batch, (unsigned long long)p->kicks,
				 (unsigned long long)d_efd, (unsigned long long)d_wake,
				 (unsigned long long)p->completed, (unsigned long long)p->requests,
				 (unsigned long long)p->bad_status);
	else if (nc->notify == NOTIFY_TRAPPED)
		bench_crosscheck(c, d_notif == p->kicks && d_mmio >= expect_mmio && d_mmio <= expect_mmio + slack &&
				 !p->bad_status,
				 "notify trapped qs %u batch %u: guest sent %llu notifications, device saw %llu, "
				 "KVM counted %lld MMIO exits (expected %lld: notifications + 2 per interrupt + "
				 "%llu liveness reads + DONE), %llu bad statuses",
				 nc->qs, p->batch, (unsigned long long)p->kicks, (unsigned long long)d_notif,
				 (long long)d_mmio, (long long)expect_mmio, (unsigned long long)p->liveness_reads,
				 (unsigned long long)p->bad_status);
	else
		bench_crosscheck(c, d_mmio <= expect_mmio + slack && d_efd <= p->kicks + unread && !p->bad_status,
				 "notify %s qs %u batch %u: guest sent %llu notifications, KVM counted %lld MMIO exits "
				 "(expected about %lld: 2 per interrupt + %llu liveness reads + DONE, none per "
				 "notification), eventfd counted %llu (%llu warm-up kicks unread at the start), "
				 "%llu bad statuses",
				 virtio_notify_mode_name(nc->notify), nc->qs, p->batch, (unsigned long long)p->kicks,
				 (long long)d_mmio, (long long)expect_mmio, (unsigned long long)p->liveness_reads,
				 (unsigned long long)d_efd, (unsigned long long)unread,
				 (unsigned long long)p->bad_status);
}

static enum guest_outcome notify_once(struct bench_ctx *c, const struct notify_cfg *nc,
				      const struct results_config *cfg, unsigned int rep,
				      struct notify_rep *out, char *why, size_t why_len)
{
	uint64_t reqs = requests_for(c, nc->cpl);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = bench_vm_create(c, &vcpu, GUEST_RAM_DEFAULT_BYTES);
	struct bench_dev_wiring w = { .notify = nc->notify, .irq = nc->irq, .iothread = nc->iothread,
				      .queue_size_max = nc->qs, .notification_data = nc->notification_data,
				      .extra_fd = -1 };
	struct bench_dev *dev = bench_dev_attach(c, vm, &w, why, why_len);
	uint64_t ring_bytes = vring_size(nc->qs, 4096);
	uint64_t p_gpa = vm_alloc(vm, sizeof(struct bench_notify_params), 0);
	struct bench_notify_params *p = addr_gpa2hva(vm, p_gpa);
	struct counters s0 = { 0 }, s1;
	struct sync_ctx sc = { vcpu, dev, &s0, 0 };
	enum guest_outcome o;
	double secs;
	int vector = GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI);
	double floor_rps = notify_floor_requests_per_s(c, nc);

	if (!dev) {
		kvm_vm_free(vm);
		return GUEST_SKIP;
	}
	p->requests = reqs;
	p->warmup = reqs / 10 ? reqs / 10 : 1;
	p->queue_size = nc->qs;
	p->batch = nc->batch ? nc->batch : nc->qs;
	p->event_idx = (uint32_t)nc->event_idx;
	p->packed = (uint32_t)nc->packed;
	p->notification_data = (uint32_t)nc->notification_data;
	p->completion_irq = (uint32_t)nc->completion_irq;
	p->ring_gpa = vm_alloc(vm, ring_bytes, 4096);
	p->slots_gpa = vm_alloc(vm, (uint64_t)nc->qs * sizeof(struct vring_drv_slot), 0);
	p->reqs_gpa = vm_alloc(vm, (uint64_t)nc->qs * (sizeof(struct virtio_blk_req) + 4) + REQ_DATA_BYTES, 64);
	vm_ioapic_route(vm, VIRTIO_MMIO_GSI, (uint8_t)vector, irq_method_is_level(nc->irq), false);
	vm_install_handler(vm, vector, notify_isr);
	vcpu_set_entry_irqs_on(vcpu, notify_guest_main, (unsigned int)nc->cpl, 1, p_gpa);

	o = bench_guest_run(vcpu, why, why_len, on_sync, &sc);
	if (o == GUEST_OK && p->error < 0) {
		snprintf(why, why_len, "guest driver set-up failed: error %lld", (long long)p->error);
		o = GUEST_FAILED;
	}
	if (o == GUEST_OK) {
		snapshot(vcpu, dev, &s1);
		secs = (double)p->ticks / ((double)c->tsc_khz * 1e3);
		int64_t d_exits = s1.exits - s0.exits, d_mmio = s1.mmio - s0.mmio;
		uint64_t d_notif = s1.notifies - s0.notifies, d_raised = s1.irqs_raised - s0.irqs_raised;
		uint64_t d_vcpu = s1.vcpu_ns - s0.vcpu_ns, d_iot = s1.iothread_ns - s0.iothread_ns;

		out->requests_per_s = (double)p->completed / secs;
		out->notifies_per_s = (double)d_notif / secs;
		out->exits_per_s = (double)d_exits / secs;
		out->irqs_per_s = (double)p->irqs / secs;
		out->vcpu_ns_per_req = (double)d_vcpu / (double)p->completed;
		/* No iothread (trapped without resample): not applicable, not zero. */
		out->iothread_ns_per_req = s1.iothread_ns ? (double)d_iot / (double)p->completed : NAN;

		results_set_config(c->samples, cfg);
		results_set_u64(c->samples, "rep", rep);
		results_set_u64(c->samples, "samples", p->completed);
		results_set_double(c->samples, "duration_s", secs);
		results_set_u64(c->samples, "requests", p->completed);
		results_set_double(c->samples, "requests_per_s", out->requests_per_s);
		results_set_double(c->samples, "notifies_per_s", out->notifies_per_s);
		results_set_double(c->samples, "exits_per_s", out->exits_per_s);
		results_set_double(c->samples, "irqs_per_s", out->irqs_per_s);
		results_set_double(c->samples, "vcpu_cpu_ns_per_req", out->vcpu_ns_per_req);
		if (s1.iothread_ns)
			results_set_double(c->samples, "iothread_cpu_ns_per_req", out->iothread_ns_per_req);
		results_set_i64(c->samples, "kvm_exits", d_exits);
		results_set_i64(c->samples, "kvm_mmio_exits", d_mmio);
		results_set_i64(c->samples, "kvm_io_exits", s1.io - s0.io);
		if (s0.irq_inj >= 0)
			results_set_i64(c->samples, "kvm_irq_injections", s1.irq_inj - s0.irq_inj);
		results_set_u64(c->samples, "device_notifies", d_notif);
		results_set_u64(c->samples, "device_irqs", d_raised);
		bench_set_iothread_cells(c, nc->notify != NOTIFY_TRAPPED ? (int)nc->iothread : -1, &s0.vk, &s1.vk);
		if (!isnan(floor_rps)) {
			results_set_double(c->samples, "ring_floor_requests_per_s", floor_rps);
			results_set_double(c->samples, "ring_floor_ratio", out->requests_per_s / floor_rps);
		}
		notify_crosscheck(c, nc, p, &s0, &s1, sc.warmup_kicks);
		results_row_end(c->samples);
	}
	bench_dev_detach(dev);
	kvm_vm_free(vm);
	return o;
}

static enum bench_rep_status notify_run_rep(struct bench_ctx *c, const struct bench_config *cfg,
					    unsigned int rep, struct bench_rep_out *out, char *why, size_t why_len)
{
	const struct notify_cfg *nc = (const struct notify_cfg *)cfg;
	struct notify_rep r;
	enum guest_outcome go;

	if (nc->floor)
		return notify_floor_run_rep(c, nc, rep, out, why, why_len);
	go = notify_once(c, nc, &cfg->series[0].rc, rep, &r, why, why_len);

	if (go != GUEST_OK)
		return go == GUEST_INTERRUPTED ? REP_INTERRUPTED : go == GUEST_SKIP ? REP_SKIP : REP_FAILED;
	memcpy(out->v[0], &r, sizeof(r));
	return REP_OK;
}

static bool notify_kind(size_t i, struct bench_kind_info *out)
{
	if (i == 0)
		*out = (struct bench_kind_info){ "throughput", "requests/s, notifications, exits, interrupts "
						 "and CPU per request", notify_metrics };
	else if (i == 1)
		*out = (struct bench_kind_info){ "ring_floor", "the same driver and device with no VM, on "
						 "two host threads: each throughput row's limit", notify_floor_metrics };
	return i < 2;
}

static void notify_after(struct bench_ctx *c, const struct bench_config *cfg, const struct bench_values *v)
{
	const struct notify_cfg *nc = (const struct notify_cfg *)cfg;

	if (nc->floor)
		notify_floor_after(c, nc, v);
}

/* Every configuration the options ask for, into out: the VM's, or (floors)
 * their ring floors, once per key. */
static void notify_add_configs(const struct bench_opts *o, struct bench_config_list *out, bool floors)
{
	for (int ci = 0; ci < o->ncpls; ci++)
	for (int qi = 0; qi < o->nqueue_sizes; qi++)
	for (int bi = 0; bi < o->nbatches; bi++)
	for (int ni = 0; ni < o->nnotify; ni++)
	for (int ki = 0; ki < o->ncompletions; ki++)
	for (int ei = 0; ei < o->nevent_idx; ei++)
	for (int ri = 0; ri < o->nrings; ri++)
	for (int di = 0; di < o->nnotification_data; di++)
	for (int ti = 0; ti < (o->notify_modes[ni] != NOTIFY_TRAPPED ? o->niothread : 1); ti++)
	for (int ii = 0; ii < (o->completions[ki] ? o->nirq : 1); ii++) {
		struct notify_cfg *nc;
		struct results_config *cfg;

		if (o->batches[bi] > o->queue_sizes[qi])
			continue;	/* a batch cannot exceed the ring */
		struct notify_cfg tmp = { .base.scn = &scenario_notify };

		nc = floors ? &tmp : bench_config_new(out, &scenario_notify, sizeof(*nc));
		nc->base.cpl = nc->cpl = o->cpls[ci];
		nc->qs = o->queue_sizes[qi];
		nc->batch = o->batches[bi];
		nc->notify = o->notify_modes[ni];
		nc->irq = o->irq_methods[ii];
		nc->event_idx = o->event_idx[ei];
		nc->completion_irq = o->completions[ki];
		nc->packed = o->rings[ri];
		nc->notification_data = o->notification_data[di];
		nc->iothread = bench_iothread_at(o, nc->notify != NOTIFY_TRAPPED, ti);
		if (floors) {
			notify_floor_config(o, nc, out);
			continue;
		}
		cfg = bench_config_series(&nc->base, "notify", "throughput", notify_metrics);
		cfg->notify = virtio_notify_mode_name(nc->notify);
		cfg->irq = nc->completion_irq ? irq_method_name(nc->irq) : NULL;
		cfg->queue_size = nc->qs;
		cfg->batch = nc->batch ? nc->batch : nc->qs;
		cfg->event_idx = nc->event_idx;
		cfg->completion = nc->completion_irq ? "irq" : "poll";
		cfg->ring = nc->packed ? "packed" : "split";
		cfg->notification_data = nc->notification_data;
		cfg->iothread = nc->notify != NOTIFY_TRAPPED ? bench_iothread_label(o, nc->iothread) : NULL;
		snprintf(nc->base.label, sizeof(nc->base.label), "CPL%d qs %u batch %lld %s%s%s %s %s%s", nc->cpl,
			 nc->qs, (long long)cfg->batch, cfg->notify, cfg->iothread ? "/" : "",
			 cfg->iothread ? cfg->iothread : "", cfg->completion, cfg->ring,
			 nc->notification_data ? " notification_data" : "");
	}
}

/* The floors first: each throughput row's ratio needs its floor measured. */
static void notify_configs(const struct bench_opts *o, struct bench_config_list *out)
{
	notify_add_configs(o, out, true);
	notify_add_configs(o, out, false);
}

const struct bench_scenario scenario_notify = {
	.name = "notify",
	.about = "notification throughput across queue and batch sizes",
	.kind = notify_kind,
	.configs = notify_configs,
	.run_rep = notify_run_rep,
	.after = notify_after,
};
