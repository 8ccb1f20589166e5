// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario "irq": what an interrupt costs, stage by stage.
 *  host_<method>     (a) the host's call: KVM_IRQ_LINE, an irqfd write, a
 *                        resample irqfd write (host TSC around the call)
 *  deliver_running   (b) host signal -> the guest ISR's entry, vCPU spinning
 *  deliver_halted    (b) the same with the vCPU halted, halt polling as the
 *                        host has it (halt_poll=host) and disabled for the VM
 *                        (KVM_CAP_HALT_POLL, halt_poll=off)
 *  service           (c) InterruptStatus read + InterruptACK write + EOI
 *  roundtrip         (d) guest notify -> device completes -> interrupt -> ISR
 * (b) and (d) use one time base: the guest's ISR entry stamps its TSC
 * (guest/x86/isr_stamp.S) and guest TSC = host TSC + the vCPU's TSC offset.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>

#include "bench.h"
#include "guest.h"
#include "guest_apic.h"
#include "guest_bench.h"
#include "guest_run.h"
#include "guest_virtio.h"
#include "scenario.h"
#include "stats.h"

#define IRQ_GSI		10	/* a free IOAPIC pin for host-injected interrupts */
#define IRQ_VECTOR	GUEST_IRQ_VECTOR(IRQ_GSI)
#define SETTLE_NS	20000	/* after the guest is waiting (or KVM saw the halt) */
#define WAIT_TIMEOUT_NS	2000000000ULL

/* Parameter blocks: the host writes one into guest memory and passes its
 * address; the guest writes the results back into it. */
/* IRQ delivery: the guest announces each wait in `ready`; the host injects. */
struct bench_irq_params {
	uint64_t total;			/* interrupts to take */
	uint32_t halted;		/* wait halted (1) or spinning (0) */
	uint32_t pad;
	volatile uint64_t ready;	/* guest: i + 1 when waiting for interrupt i */
};

/* Round trip: notify -> device completes -> interrupt -> ISR entry. */
struct bench_rt_params {
	uint64_t total;
	uint64_t packed;		/* negotiate VIRTIO_F_RING_PACKED */
	uint64_t notification_data;	/* negotiate VIRTIO_F_NOTIFICATION_DATA */
	uint64_t ring_gpa, slots_gpa, req_gpa, data_gpa, out_gpa;
	uint64_t bad_status;
	int64_t error;
};

/* ---- (b) delivery: guest side ------------------------------------------ */
GUEST_CODE static void deliver_guest_main(struct bench_irq_params *p)
{
	for (uint64_t i = 0; i < p->total; i++) {
		isr_stamp_flag = 0;
		barrier();
		p->ready = i + 1;
		if (p->halted)
			while (!isr_stamp_flag)
				guest_halt_unless(&isr_stamp_flag);
		else
			while (!isr_stamp_flag)
				cpu_relax();
	}
	GUEST_DONE();
}

/* ---- (b) delivery: the host's injector thread ------------------------------ */
struct injector {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct irq_source src;
	int cpu;
	bool halted;
	struct bench_irq_params *p;	/* host view of guest memory */
	uint64_t total;
	int64_t tsc_offset, halts0;
	int halt_idx;			/* halt_exits, resolved before the thread starts */
	bool have_offset;		/* one time base: host TSC + offset = guest TSC */
	char no_time_base[300];		/* why not, when !have_offset */
	uint64_t *call_ticks, *deliver_ticks;
	uint64_t done;
	volatile bool stop;
	char err[160];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Spins until cond() or the timeout; false on timeout or stop. */
#define SPIN_UNTIL(inj, cond) ({ uint64_t __t = now_ns(); bool __ok = true; \
	while (!(cond)) { if ((inj)->stop || now_ns() - __t > WAIT_TIMEOUT_NS) { __ok = false; break; } \
		_mm_pause(); } __ok; })

static void settle(void)
{
	uint64_t t = now_ns();

	while (now_ns() - t < SETTLE_NS)
		_mm_pause();
}

static void *injector_main(void *arg)
{
	struct injector *in = arg;
	volatile uint64_t *count = guest_hva(in->vm, &isr_stamp_count);
	volatile uint64_t *stamp = guest_hva(in->vm, &isr_stamp_tsc);
	/* The guest halts once per wait, so wait i is halted once KVM has
	 * counted i + 1 halts since the start (read before the guest runs). */
	int64_t halts0 = in->halts0;

	if (in->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(in->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (uint64_t i = 0; i < in->total; i++) {
		uint64_t t0, t1;

		if (!SPIN_UNTIL(in, in->p->ready == i + 1)) {
			snprintf(in->err, sizeof(in->err), "the guest never announced wait %llu", (unsigned long long)i);
			return NULL;
		}
		if (in->halted) {
			/* Inject only once KVM has seen the HLT, else this is the running case.
			 * One pread of a stat resolved before this thread started:
			 * no descriptor walk, no allocation, and before t0. */
			if (halts0 >= 0 && !SPIN_UNTIL(in, vcpu_stat_at(in->vcpu, in->halt_idx) > halts0 + (int64_t)i || *count > i)) {
				snprintf(in->err, sizeof(in->err), "the guest never halted (wait %llu)", (unsigned long long)i);
				return NULL;
			}
		}
		settle();
		t0 = __rdtsc();
		irq_source_raise(&in->src);
		t1 = __rdtsc();
		if (!SPIN_UNTIL(in, *count == i + 1)) {
			snprintf(in->err, sizeof(in->err), "interrupt %llu never reached the guest ISR", (unsigned long long)i);
			return NULL;
		}
		in->call_ticks[i] = t1 - t0;
		in->deliver_ticks[i] = *stamp - (uint64_t)in->tsc_offset - t0;
		irq_source_lower(&in->src);	/* KVM_IRQ_LINE: completes the edge pulse */
		if (in->src.method == IRQ_METHOD_IRQFD_RESAMPLE) {
			/* The guest's EOI lowered the level line and signals resample. */
			if (irq_source_wait_resample(&in->src, 2000) != 1) {
				snprintf(in->err, sizeof(in->err), "no resample event after EOI %llu", (unsigned long long)i);
				return NULL;
			}
		}
		in->done = i + 1;
	}
	return NULL;
}

/* Starts a samples row for latency samples (sorted in place); the caller
 * adds its columns and calls finish_row(). */
static void latency_row(struct bench_ctx *c, const struct results_config *cfg, unsigned int rep,
			uint64_t *ticks, uint64_t n)
{
	struct stats_summary sum;

	stats_summarize_u64(ticks, n, &sum);
	results_set_config(c->samples, cfg);
	results_set_u64(c->samples, "rep", rep);
	results_set_u64(c->samples, "samples", n);
	results_set_latency(c->samples, &sum, c->tsc_khz, -1);
}

static void finish_row(struct bench_ctx *c, const struct results_config *cfg, unsigned int rep,
		       uint64_t *sorted, uint64_t n, double *p50_ns, double *p99_ns)
{
	results_row_end(c->samples);
	results_add_cdf(c->cdf, cfg, (int)rep, sorted, n, c->tsc_khz);
	*p50_ns = stats_ticks_to_ns(stats_quantile_sorted_u64(sorted, n, 0.5), c->tsc_khz);
	*p99_ns = stats_ticks_to_ns(stats_quantile_sorted_u64(sorted, n, 0.99), c->tsc_khz);
}

static uint64_t irq_samples(const struct bench_ctx *c)
{
	uint64_t cap = c->o->quick ? 100 : 300;

	return c->o->iterations < cap ? c->o->iterations : cap;
}

enum wait_mode { WAIT_RUNNING, WAIT_HALTED_HOST, WAIT_HALTED_OFF };

/* One repetition of (a)+(b): fresh VM, n interrupts after a short warm-up. */
static enum guest_outcome deliver_rep(struct bench_ctx *c, int cpl, enum irq_method m,
				      enum wait_mode w, uint64_t n, uint64_t warm, struct injector *in,
				      int64_t *d_inj, char *why, size_t why_len)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = bench_vm_create(c, &vcpu, GUEST_RAM_DEFAULT_BYTES);
	uint64_t p_gpa = vm_alloc(vm, sizeof(struct bench_irq_params), 0);
	enum guest_outcome o;
	pthread_t th;
	int64_t inj0;
	int r;

	in->vm = vm;
	in->vcpu = vcpu;
	in->halted = w != WAIT_RUNNING;
	in->cpu = c->iothread_cpu;
	in->total = warm + n;
	in->stop = false;
	in->err[0] = 0;
	in->p = addr_gpa2hva(vm, p_gpa);
	in->p->total = in->total;
	in->p->halted = in->halted;
	/* Not where KVM rewrites the offset at each vCPU load (unstable host
	 * TSC, e.g. kvm_amd in QEMU TCG): the delivery stamps would then be
	 * on a moving base (vcpu_tsc_one_time_base()). */
	in->have_offset = vcpu_tsc_one_time_base(vcpu, in->no_time_base, sizeof(in->no_time_base)) &&
			  vcpu_tsc_offset(vcpu, &in->tsc_offset);
	/* A halted vCPU's repetition measures only (b), which needs that time
	 * base: without it, the guest is not run at all. */
	if (!in->have_offset && w != WAIT_RUNNING) {
		snprintf(why, why_len, "%s", in->no_time_base);
		kvm_vm_free(vm);
		return GUEST_SKIP;
	}
	if (w == WAIT_HALTED_OFF) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { 0 } };

		vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	}
	vm_ioapic_route(vm, IRQ_GSI, IRQ_VECTOR, m == IRQ_METHOD_IRQFD_RESAMPLE, false);
	vm_install_isr_entry(vm, IRQ_VECTOR, guest_isr_stamp);
	r = irq_source_init(&in->src, vm, m, IRQ_GSI);
	if (r) {
		snprintf(why, why_len, "interrupt source %s on GSI %u: %s", irq_method_name(m), IRQ_GSI,
			 irq_method_missing_cap(m) ? irq_method_missing_cap(m) : strerror(-r));
		irq_source_destroy(&in->src);
		kvm_vm_free(vm);
		return r == -EOPNOTSUPP ? GUEST_SKIP : GUEST_FAILED;
	}
	vcpu_set_entry_irqs_on(vcpu, deliver_guest_main, (unsigned int)cpl, 1, p_gpa);
	vcpu_set_watchdog_ms(vcpu, c->o->watchdog_ms < 10000 ? c->o->watchdog_ms : 10000);
	inj0 = vcpu_stat(vcpu, "irq_injections");
	in->halts0 = vcpu_stat(vcpu, "halt_exits");
	in->halt_idx = vcpu_stat_index(vcpu, "halt_exits");
	TEST_ASSERT(!pthread_create(&th, NULL, injector_main, in), "pthread_create");
	o = bench_guest_run(vcpu, why, why_len, NULL, NULL);
	in->stop = true;
	pthread_join(th, NULL);
	*d_inj = inj0 >= 0 ? vcpu_stat(vcpu, "irq_injections") - inj0 : -1;
	if (o == GUEST_OK && in->done != in->total) {
		snprintf(why, why_len, "%s", in->err[0] ? in->err : "injector stopped early");
		o = GUEST_FAILED;
	} else if (o == GUEST_FAILED && in->err[0]) {
		size_t l = strlen(why);

		snprintf(why + l, why_len - l, " (host: %s)", in->err);
	}
	irq_source_destroy(&in->src);
	kvm_vm_free(vm);
	return o;
}

/* A configuration of this scenario: one of three shapes. */
enum irq_what { IRQ_DELIVER, IRQ_SERVICE, IRQ_ROUNDTRIP };

struct irq_config {
	struct timed_config t;		/* t.k: the service kind; unused otherwise */
	enum irq_what what;
	enum irq_method m;
	enum wait_mode w;
	enum virtio_notify_mode nm;
	enum iothread_mode io;		/* round trip with an ioeventfd */
	int packed;			/* round trip: the packed ring */
	int notification_data;		/* round trip: VIRTIO_F_NOTIFICATION_DATA */
};

static const char *const irq_metrics[] = { "p50_ns", "p99_ns", NULL };
enum { M_P50, M_P99 };
enum { S_HOST, S_DELIVER };	/* series of a running delivery; halted has only S_DELIVER */

static enum bench_rep_status deliver_probe(struct bench_ctx *c, const struct irq_config *ic,
					   char *why, size_t why_len)
{
	(void)c;
	if (irq_method_missing_cap(ic->m)) {
		snprintf(why, why_len, "KVM lacks %s: no %s", irq_method_missing_cap(ic->m), irq_method_name(ic->m));
		return REP_SKIP;
	}
	if (ic->w == WAIT_HALTED_OFF && !kvm_check_cap(KVM_CAP_HALT_POLL)) {
		snprintf(why, why_len, "KVM lacks KVM_CAP_HALT_POLL: halt polling cannot be disabled per VM");
		return REP_SKIP;
	}
	return REP_OK;
}

/* (a) and (b) of one repetition. A running delivery's series 0 is the
 * host call (S_HOST), measured only there; the delivery is the last series. */
static enum bench_rep_status deliver_run_rep(struct bench_ctx *c, const struct irq_config *ic,
					     unsigned int rep, struct bench_rep_out *out,
					     char *why, size_t why_len)
{
	const struct bench_config *cfg = &ic->t.base;
	const struct results_config *dcfg = &cfg->series[cfg->nseries - 1].rc;
	double *dv = out->v[cfg->nseries - 1];
	uint64_t n = irq_samples(c), warm = n / 10 + 1;
	struct injector in = { 0 };	/* all of it: nothing carries over from the last rep */
	enum bench_rep_status st = REP_OK;
	enum guest_outcome o;
	int64_t d_inj;

	in.call_ticks = calloc(warm + n, sizeof(uint64_t));
	in.deliver_ticks = calloc(warm + n, sizeof(uint64_t));
	TEST_ASSERT(in.call_ticks && in.deliver_ticks, "calloc");
	o = deliver_rep(c, cfg->cpl, ic->m, ic->w, n, warm, &in, &d_inj, why, why_len);
	if (o != GUEST_OK) {
		st = o == GUEST_INTERRUPTED ? REP_INTERRUPTED : o == GUEST_SKIP ? REP_SKIP : REP_FAILED;
		goto out;
	}
	if (ic->w == WAIT_RUNNING) {	/* (a): the host call, measured in the running case */
		const struct results_config *hcfg = &cfg->series[S_HOST].rc;

		latency_row(c, hcfg, rep, in.call_ticks + warm, n);
		results_set_u64(c->samples, "device_irqs", warm + n);
		results_set(c->samples, "crosscheck", "n/a");
		finish_row(c, hcfg, rep, in.call_ticks + warm, n, &out->v[S_HOST][M_P50], &out->v[S_HOST][M_P99]);
	}
	/* No common time base: no host->guest latency. */
	if (!in.have_offset) {
		snprintf(why, why_len, "%s", in.no_time_base);
		st = REP_SKIP;
		goto out;
	}
	latency_row(c, dcfg, rep, in.deliver_ticks + warm, n);
	if (d_inj >= 0)
		results_set_i64(c->samples, "kvm_irq_injections", d_inj);
	results_set_u64(c->samples, "device_irqs", warm + n);
	/* Every injected interrupt entered the ISR exactly once. */
	bench_crosscheck(c, in.done == warm + n, "irq %s CPL%d: %llu injected, %llu taken", cfg->label, cfg->cpl,
			 (unsigned long long)(warm + n), (unsigned long long)in.done);
	finish_row(c, dcfg, rep, in.deliver_ticks + warm, n, &dv[M_P50], &dv[M_P99]);
out:
	free(in.call_ticks);
	free(in.deliver_ticks);
	return st;
}

static void deliver_after(struct bench_ctx *c, const struct irq_config *ic, const struct bench_values *v)
{
	if (ic->t.base.cpl == 0 && ic->w == WAIT_RUNNING && v->n[S_HOST][M_P50] &&
	    !strcmp(c->plat.hypervisor, "PVM"))
		bench_note(c, "irq/deliver_running CPL0: PVM interprets CPL0 code in batches (kvm_pvm "
			   "pvm_emul_batch=%s instructions) and takes interrupts between batches, which "
			   "dominates delivery to a spinning CPL0 vCPU",
			   platform_param(&c->plat, "kvm_pvm", "pvm_emul_batch") ?: "?");
}

/* ---- (d) round trip ---------------------------------------------------- */
static struct virtio_blk_drv rt_drv;

GUEST_CODE static void rt_guest_main(struct bench_rt_params *p)
{
	struct virtio_blk_drv *b = &rt_drv;
	struct virtio_blk_req *req = (struct virtio_blk_req *)p->req_gpa;
	uint64_t *out = (uint64_t *)p->out_gpa;
	uint64_t wanted = (p->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
			  (p->notification_data ? 1ULL << VIRTIO_F_NOTIFICATION_DATA : 0);
	int qs = virtio_blk_init(b, VIRTIO_MMIO_BASE, wanted, 16,
				 (void *)p->ring_gpa, 4096, (struct vring_drv_slot *)p->slots_gpa);

	if (qs < 0) {
		p->error = qs;
		GUEST_DONE();
	}
	GUEST_ASSERT_EQ(b->packed, !!p->packed);	/* the layout asked for, or no row */
	GUEST_ASSERT_EQ(!!(b->mmio.features & (1ULL << VIRTIO_F_NOTIFICATION_DATA)), !!p->notification_data);
	for (uint64_t i = 0; i < p->total; i++) {
		struct virtio_blk_req *done;
		uint64_t t0;

		GUEST_ASSERT_EQ(virtio_blk_submit(b, req, VIRTIO_BLK_T_IN, 0, (void *)p->data_gpa, 512), 0);
		virtio_blk_irq_on(b);
		isr_stamp_flag = 0;
		t0 = rdtsc_fenced();
		virtio_blk_kick(b);
		/* A stray interrupt stamped before t0 is not this request's. */
		for (;;) {
			while (!isr_stamp_flag)
				cpu_relax();
			if (isr_stamp_tsc >= t0)
				break;
			isr_stamp_flag = 0;
		}
		out[i] = isr_stamp_tsc - t0;
		/* The stamping ISR acks in assembly: spin for the entry. */
		GUEST_ASSERT_EQ(virtio_blk_wait_used(b), 0);
		GUEST_ASSERT_EQ(virtio_blk_pop(b, &done), 1);
		GUEST_ASSERT(done == req);
		if (req->status != VIRTIO_BLK_S_OK)
			p->bad_status++;
	}
	GUEST_DONE();
}

static enum bench_rep_status roundtrip_run_rep(struct bench_ctx *c, const struct irq_config *ic,
					       unsigned int rep, struct bench_rep_out *out,
					       char *why, size_t why_len)
{
	const struct bench_config *bc = &ic->t.base;
	const struct results_config *cfg = &bc->series[0].rc;
	const char *label = bc->label;
	int cpl = bc->cpl;
	enum irq_method m = ic->m;
	uint64_t n = irq_samples(c), warm = n / 10 + 1, total = warm + n;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = bench_vm_create(c, &vcpu, GUEST_RAM_DEFAULT_BYTES);
	struct bench_dev_wiring wire = { .notify = ic->nm, .irq = m, .iothread = ic->io,
					 .queue_size_max = 256, .notification_data = ic->notification_data,
					 .extra_fd = -1 };
	struct bench_dev *dev = bench_dev_attach(c, vm, &wire, why, why_len);
	uint64_t p_gpa = vm_alloc(vm, sizeof(struct bench_rt_params), 0);
	struct bench_rt_params *p = addr_gpa2hva(vm, p_gpa);
	struct virtio_mmio_stats s0, s1;
	struct virtio_kvm_counters k0, k1;
	enum guest_outcome o;
	uint64_t *ticks;

	if (!dev) {
		kvm_vm_free(vm);
		return REP_SKIP;
	}
	p->total = total;
	p->packed = (uint64_t)ic->packed;
	p->notification_data = (uint64_t)ic->notification_data;
	p->ring_gpa = vm_alloc(vm, vring_size(16, 4096), 4096);
	p->slots_gpa = vm_alloc(vm, 16 * sizeof(struct vring_drv_slot), 0);
	p->req_gpa = vm_alloc(vm, sizeof(struct virtio_blk_req), 64);
	p->data_gpa = vm_alloc(vm, 512, 0);
	p->out_gpa = vm_alloc(vm, total * 8, 0);
	vm_ioapic_route(vm, VIRTIO_MMIO_GSI, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), irq_method_is_level(m), false);
	vm_install_isr_entry(vm, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), guest_isr_virtio_stamp);
	vcpu_set_entry_irqs_on(vcpu, rt_guest_main, (unsigned int)cpl, 1, p_gpa);
	virtio_mmio__get_stats(bench_dev_mmio(dev), &s0);
	virtio_kvm_get_counters(bench_dev_kvm(dev), &k0);
	o = bench_guest_run(vcpu, why, why_len, NULL, NULL);
	if (o == GUEST_OK && p->error < 0) {
		snprintf(why, why_len, "guest driver set-up failed: error %lld", (long long)p->error);
		o = GUEST_FAILED;
	}
	if (o == GUEST_OK) {
		virtio_mmio__get_stats(bench_dev_mmio(dev), &s1);
		virtio_kvm_get_counters(bench_dev_kvm(dev), &k1);
		ticks = (uint64_t *)addr_gpa2hva(vm, p->out_gpa) + warm;
		latency_row(c, cfg, rep, ticks, n);
		results_set_u64(c->samples, "device_notifies", s1.notifies - s0.notifies);
		results_set_u64(c->samples, "device_irqs", s1.irqs_raised - s0.irqs_raised);
		bench_set_iothread_cells(c, ic->nm != NOTIFY_TRAPPED ? (int)ic->io : -1, &k0, &k1);
		bench_crosscheck(c, s1.irqs_raised - s0.irqs_raised >= total && !p->bad_status,
				 "%s CPL%d: %llu requests, device raised %llu interrupts, %llu bad statuses",
				 label, cpl, (unsigned long long)total,
				 (unsigned long long)(s1.irqs_raised - s0.irqs_raised),
				 (unsigned long long)p->bad_status);
		finish_row(c, cfg, rep, ticks, n, &out->v[0][M_P50], &out->v[0][M_P99]);
	}
	bench_dev_detach(dev);
	kvm_vm_free(vm);
	return o == GUEST_OK ? REP_OK : o == GUEST_INTERRUPTED ? REP_INTERRUPTED : REP_FAILED;
}

/* ---- the scenario -------------------------------------------------------- */
static const struct timed_kind service_kind = {
	.name = "service", .about = "(c) InterruptStatus read + InterruptACK write + EOI",
	.loop = timed_irq_service, .addr = VIRTIO_MMIO_BASE, .virtio = true, .notify = NOTIFY_TRAPPED,
	.path = PATH_USER_MMIO, .exits_per_iter = 2,
};

static const char *const service_metrics[] = { "p50_ns", "p99_ns", "net_p50_ns", NULL };

static const struct bench_kind_info irq_kinds[] = {
	{ .name = "host_irq_line", .about = "(a) the host's KVM_IRQ_LINE call", .metrics = irq_metrics },
	{ .name = "host_irqfd", .about = "(a) the host's irqfd write", .metrics = irq_metrics },
	{ .name = "host_irqfd_resample", .about = "(a) the host's resample-irqfd write", .metrics = irq_metrics },
	{ .name = "deliver_running", .about = "(b) host signal -> guest ISR entry, vCPU spinning", .metrics = irq_metrics },
	{ .name = "deliver_halted", .about = "(b) the same, vCPU halted (halt_poll host and off)", .metrics = irq_metrics },
	{ .name = "service", .about = "(c) InterruptStatus read + InterruptACK write + EOI", .metrics = service_metrics },
	{ .name = "roundtrip", .about = "(d) notify -> completion interrupt -> ISR", .metrics = irq_metrics },
};
/* host_<method> rows name the methods in enum order. */
_Static_assert(ARRAY_SIZE(irq_kinds) == 7, "irq kinds: 3 host methods + 4 stages");

static bool irq_kind(size_t i, struct bench_kind_info *out)
{
	if (i >= ARRAY_SIZE(irq_kinds))
		return false;
	*out = irq_kinds[i];
	return true;
}

static struct irq_config *irq_config_new(struct bench_config_list *out, enum irq_what what, int cpl)
{
	struct irq_config *ic = bench_config_new(out, &scenario_irq, sizeof(*ic));

	ic->what = what;
	ic->t.base.cpl = cpl;
	return ic;
}

static void irq_configs(const struct bench_opts *o, struct bench_config_list *out)
{
	static const enum irq_method methods[] = { IRQ_METHOD_LINE, IRQ_METHOD_IRQFD, IRQ_METHOD_IRQFD_RESAMPLE };
	static const char *const halt_names[] = { [WAIT_RUNNING] = NULL, [WAIT_HALTED_HOST] = "host",
						  [WAIT_HALTED_OFF] = "off" };

	for (int ci = 0; ci < o->ncpls; ci++) {
		int cpl = o->cpls[ci];

		for (size_t mi = 0; mi < ARRAY_SIZE(methods); mi++)
			for (int w = WAIT_RUNNING; w <= WAIT_HALTED_OFF; w++) {
				struct irq_config *ic = irq_config_new(out, IRQ_DELIVER, cpl);
				struct bench_config *bc = &ic->t.base;
				const char *irq = irq_method_name(methods[mi]);
				struct results_config *rc;

				ic->m = methods[mi];
				ic->w = (enum wait_mode)w;
				if (w == WAIT_RUNNING) {
					snprintf(bc->kind_buf[S_HOST], sizeof(bc->kind_buf[S_HOST]), "host_%s", irq);
					bench_config_series(bc, "irq", bc->kind_buf[S_HOST], irq_metrics)->irq = irq;
				}
				rc = bench_config_series(bc, "irq", w == WAIT_RUNNING ? "deliver_running" : "deliver_halted",
							 irq_metrics);
				rc->irq = irq;
				rc->halt_poll = halt_names[w];
				snprintf(bc->label, sizeof(bc->label), "%s %s%s%s", rc->kind, irq,
					 w ? " halt_poll=" : "", w ? rc->halt_poll : "");
			}
		{
			struct irq_config *ic = irq_config_new(out, IRQ_SERVICE, cpl);

			timed_config_init(&ic->t, &scenario_irq, "irq", &service_kind, cpl, IOTHREAD_BLOCK, NULL);
		}
		for (int ni = 0; ni < o->nnotify; ni++)
			for (size_t mi = 0; mi < ARRAY_SIZE(methods); mi++)
			for (int ri = 0; ri < o->nrings; ri++)
			for (int di = 0; di < o->nnotification_data; di++)
			for (int ti = 0; ti < (o->notify_modes[ni] != NOTIFY_TRAPPED ? o->niothread : 1); ti++) {
				struct irq_config *ic = irq_config_new(out, IRQ_ROUNDTRIP, cpl);
				struct results_config *rc = bench_config_series(&ic->t.base, "irq", "roundtrip", irq_metrics);

				ic->nm = o->notify_modes[ni];
				ic->m = methods[mi];
				ic->packed = o->rings[ri];
				ic->notification_data = o->notification_data[di];
				ic->io = bench_iothread_at(o, ic->nm != NOTIFY_TRAPPED, ti);
				rc->notify = virtio_notify_mode_name(ic->nm);
				rc->irq = irq_method_name(ic->m);
				rc->ring = ic->packed ? "packed" : "split";
				rc->notification_data = ic->notification_data;
				rc->iothread = ic->nm != NOTIFY_TRAPPED ? bench_iothread_label(o, ic->io) : NULL;
				snprintf(ic->t.base.label, sizeof(ic->t.base.label), "roundtrip %s%s%s %s %s%s",
					 rc->notify, rc->iothread ? "/" : "", rc->iothread ? rc->iothread : "",
					 rc->irq, rc->ring, ic->notification_data ? " notification_data" : "");
			}
	}
}

/* The service figure is net of the floor: measure it first if this run has
 * not (rows under "irq" then). */
static int irq_prepare(struct bench_ctx *c, const struct bench_config *cfg)
{
	const struct irq_config *ic = (const struct irq_config *)cfg;

	return ic->what == IRQ_SERVICE ? bench_measure_floor(c, "irq", cfg->cpl) : 0;
}

static enum bench_rep_status irq_probe(struct bench_ctx *c, const struct bench_config *cfg,
				       char *why, size_t why_len)
{
	const struct irq_config *ic = (const struct irq_config *)cfg;

	if (ic->what == IRQ_SERVICE)
		return timed_probe(c, cfg, why, why_len);
	if (ic->what == IRQ_DELIVER)
		return deliver_probe(c, ic, why, why_len);
	return REP_OK;
}

static enum bench_rep_status irq_run_rep(struct bench_ctx *c, const struct bench_config *cfg,
					 unsigned int rep, struct bench_rep_out *out, char *why, size_t why_len)
{
	const struct irq_config *ic = (const struct irq_config *)cfg;

	switch (ic->what) {
	case IRQ_DELIVER:
		return deliver_run_rep(c, ic, rep, out, why, why_len);
	case IRQ_SERVICE:
		return timed_run_rep(c, cfg, rep, out, why, why_len);
	case IRQ_ROUNDTRIP:
		break;
	}
	return roundtrip_run_rep(c, ic, rep, out, why, why_len);
}

static void irq_after(struct bench_ctx *c, const struct bench_config *cfg, const struct bench_values *v)
{
	const struct irq_config *ic = (const struct irq_config *)cfg;

	if (ic->what == IRQ_SERVICE)
		timed_after(c, cfg, v);
	if (ic->what == IRQ_DELIVER)
		deliver_after(c, ic, v);
}

const struct bench_scenario scenario_irq = {
	.name = "irq",
	.about = "IRQ injection: host call cost, delivery latency, service cost, round trip",
	.kind = irq_kind,
	.configs = irq_configs,
	.prepare = irq_prepare,
	.probe = irq_probe,
	.run_rep = irq_run_rep,
	.after = irq_after,
};
