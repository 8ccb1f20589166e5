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
 * (guest/isr_stamp.S) and guest TSC = host TSC + the vCPU's TSC offset.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <x86intrin.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>

#include "bench.h"
#include "guest.h"
#include "guest_apic.h"
#include "guest_bench.h"
#include "guest_run.h"
#include "guest_virtio.h"
#include "stats.h"

#define IRQ_GSI		10	/* a free IOAPIC pin for host-injected interrupts */
#define IRQ_VECTOR	GUEST_IRQ_VECTOR(IRQ_GSI)
#define SETTLE_NS	20000	/* after the guest is waiting (or KVM saw the halt) */
#define WAIT_TIMEOUT_NS	2000000000ULL

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
	enum virtio_irq_method method;
	int irqfd, resamplefd, cpu;
	bool halted;
	struct bench_irq_params *p;	/* host view of guest memory */
	uint64_t total;
	int64_t tsc_offset, halts0;
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
	uint64_t one = 1;
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
			/* Inject only once KVM has seen the HLT, else this is the running case. */
			if (halts0 >= 0 && !SPIN_UNTIL(in, vcpu_stat(in->vcpu, "halt_exits") > halts0 + (int64_t)i || *count > i)) {
				snprintf(in->err, sizeof(in->err), "the guest never halted (wait %llu)", (unsigned long long)i);
				return NULL;
			}
		}
		settle();
		t0 = __rdtsc();
		if (in->method == IRQ_METHOD_LINE)
			vm_irq_line(in->vm, IRQ_GSI, 1);
		else
			TEST_ASSERT(write(in->irqfd, &one, 8) == 8, "irqfd write");
		t1 = __rdtsc();
		if (!SPIN_UNTIL(in, *count == i + 1)) {
			snprintf(in->err, sizeof(in->err), "interrupt %llu never reached the guest ISR", (unsigned long long)i);
			return NULL;
		}
		in->call_ticks[i] = t1 - t0;
		in->deliver_ticks[i] = *stamp - (uint64_t)in->tsc_offset - t0;
		if (in->method == IRQ_METHOD_LINE)
			vm_irq_line(in->vm, IRQ_GSI, 0);	/* complete the edge pulse */
		if (in->method == IRQ_METHOD_IRQFD_RESAMPLE) {
			struct pollfd pfd = { .fd = in->resamplefd, .events = POLLIN };
			uint64_t v;

			/* The guest's EOI lowered the level line and signals resample. */
			if (poll(&pfd, 1, 2000) != 1 || read(in->resamplefd, &v, 8) != 8) {
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

static void summaries(struct bench_ctx *c, const struct results_config *cfg, const double *p50,
		      const double *p99, unsigned int n)
{
	if (!n)
		return;
	results_add_summary(c->summary, cfg, "p50_ns", "ns", p50, n);
	results_add_summary(c->summary, cfg, "p99_ns", "ns", p99, n);
}

static uint64_t irq_samples(const struct bench_ctx *c)
{
	uint64_t cap = c->o->quick ? 100 : 300;

	return c->o->iterations < cap ? c->o->iterations : cap;
}

enum wait_mode { WAIT_RUNNING, WAIT_HALTED_HOST, WAIT_HALTED_OFF };

/* One repetition of (a)+(b): fresh VM, n interrupts after a short warm-up. */
static enum guest_outcome deliver_rep(struct bench_ctx *c, int cpl, enum virtio_irq_method m,
				      enum wait_mode w, uint64_t n, uint64_t warm, struct injector *in,
				      int64_t *d_inj, char *why, size_t why_len)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = bench_vm_create(c, &vcpu, GUEST_RAM_DEFAULT_BYTES);
	uint64_t p_gpa = vm_alloc(vm, sizeof(struct bench_irq_params), 0);
	struct kvm_regs regs;
	enum guest_outcome o;
	pthread_t th;
	int64_t inj0;

	memset(in, 0, offsetof(struct injector, call_ticks));
	in->vm = vm;
	in->vcpu = vcpu;
	in->method = m;
	in->halted = w != WAIT_RUNNING;
	in->cpu = c->iothread_cpu;
	in->total = warm + n;
	in->irqfd = in->resamplefd = -1;
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
	if (w == WAIT_HALTED_OFF) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { 0 } };

		vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	}
	vm_ioapic_route(vm, IRQ_GSI, IRQ_VECTOR, m == IRQ_METHOD_IRQFD_RESAMPLE, false);
	vm_install_isr_entry(vm, IRQ_VECTOR, guest_isr_stamp);
	if (m != IRQ_METHOD_LINE) {
		in->irqfd = eventfd(0, EFD_CLOEXEC);
		if (m == IRQ_METHOD_IRQFD_RESAMPLE)
			in->resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vm_irqfd(vm, in->irqfd, IRQ_GSI, in->resamplefd);
	}
	vcpu_set_entry(vcpu, deliver_guest_main, (unsigned int)cpl, 1, p_gpa);
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= 1u << 9;		/* IF */
	vcpu_regs_set(vcpu, &regs);
	vcpu_set_watchdog_ms(vcpu, c->o->watchdog_ms < 10000 ? c->o->watchdog_ms : 10000);
	inj0 = vcpu_stat(vcpu, "irq_injections");
	in->halts0 = vcpu_stat(vcpu, "halt_exits");
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
	if (in->irqfd >= 0) {
		vm_irqfd_deassign(vm, in->irqfd, IRQ_GSI, in->resamplefd);
		close(in->irqfd);
	}
	if (in->resamplefd >= 0)
		close(in->resamplefd);
	kvm_vm_free(vm);
	return o;
}

static int measure_delivery(struct bench_ctx *c, int cpl, enum virtio_irq_method m, enum wait_mode w)
{
	static const char *const halt_names[] = { NULL, "host", "off" };
	uint64_t n = irq_samples(c), warm = n / 10 + 1;
	struct results_config dcfg = RESULTS_CONFIG_NA, hcfg = RESULTS_CONFIG_NA;
	double dp50[100], dp99[100], hp50[100], hp99[100];
	char kind_host[40], why[512], label[80];
	unsigned int done = 0;
	struct injector in;

	snprintf(kind_host, sizeof(kind_host), "host_%s", virtio_irq_method_name(m));
	dcfg.scenario = hcfg.scenario = "irq";
	dcfg.cpl = hcfg.cpl = cpl;
	dcfg.irq = hcfg.irq = virtio_irq_method_name(m);
	dcfg.kind = w == WAIT_RUNNING ? "deliver_running" : "deliver_halted";
	dcfg.halt_poll = halt_names[w];
	hcfg.kind = kind_host;
	snprintf(label, sizeof(label), "%s %s%s%s", dcfg.kind, dcfg.irq, w ? " halt_poll=" : "", w ? dcfg.halt_poll : "");
	bench_progress(c, label);
	if (w == WAIT_HALTED_OFF && !kvm_check_cap(KVM_CAP_HALT_POLL)) {
		bench_skip(c, "irq", label, cpl, "KVM lacks KVM_CAP_HALT_POLL: halt polling cannot be disabled per VM");
		return 0;
	}
	in.call_ticks = calloc(warm + n, sizeof(uint64_t));
	in.deliver_ticks = calloc(warm + n, sizeof(uint64_t));
	TEST_ASSERT(in.call_ticks && in.deliver_ticks, "calloc");
	for (unsigned int rep = 0; rep < c->o->reps; rep++) {
		int64_t d_inj;
		enum guest_outcome o = deliver_rep(c, cpl, m, w, n, warm, &in, &d_inj, why, sizeof(why));

		if (o == GUEST_INTERRUPTED) {
			free(in.call_ticks);
			free(in.deliver_ticks);
			return -EINTR;
		}
		if (o != GUEST_OK) {
			bench_skip(c, "irq", label, cpl, "repetition %u: %s", rep, why);
			break;
		}
		if (w == WAIT_RUNNING) {	/* (a): the host call, measured in the running case */
			latency_row(c, &hcfg, rep, in.call_ticks + warm, n);
			results_set_u64(c->samples, "device_irqs", warm + n);
			results_set(c->samples, "crosscheck", "n/a");
			finish_row(c, &hcfg, rep, in.call_ticks + warm, n, &hp50[done], &hp99[done]);
		}
		/* No common time base: no host->guest latency. */
		if (!in.have_offset) {
			bench_skip(c, "irq", label, cpl, "%s", in.no_time_base);
			done++;
			break;
		}
		latency_row(c, &dcfg, rep, in.deliver_ticks + warm, n);
		if (d_inj >= 0)
			results_set_i64(c->samples, "kvm_irq_injections", d_inj);
		results_set_u64(c->samples, "device_irqs", warm + n);
		/* Every injected interrupt entered the ISR exactly once. */
		bench_crosscheck(c, in.done == warm + n, "irq %s CPL%d: %llu injected, %llu taken", label, cpl,
				 (unsigned long long)(warm + n), (unsigned long long)in.done);
		finish_row(c, &dcfg, rep, in.deliver_ticks + warm, n, &dp50[done], &dp99[done]);
		done++;
	}
	if (w == WAIT_RUNNING)
		summaries(c, &hcfg, hp50, hp99, done);
	summaries(c, &dcfg, dp50, dp99, done);
	free(in.call_ticks);
	free(in.deliver_ticks);
	if (cpl == 0 && w == WAIT_RUNNING && done && !strcmp(c->plat.hypervisor, "PVM"))
		bench_note(c, "irq/deliver_running CPL0: PVM interprets CPL0 code in batches (kvm_pvm "
			   "pvm_emul_batch=%s instructions) and takes interrupts between batches, which "
			   "dominates delivery to a spinning CPL0 vCPU",
			   platform_param(&c->plat, "kvm_pvm", "pvm_emul_batch") ?: "?");
	return 0;
}

/* ---- (d) round trip ---------------------------------------------------- */
static struct virtio_blk_drv rt_drv;

GUEST_CODE static void rt_guest_main(struct bench_rt_params *p)
{
	struct virtio_blk_drv *b = &rt_drv;
	struct virtio_blk_req *req = (struct virtio_blk_req *)p->req_gpa;
	uint64_t *out = (uint64_t *)p->out_gpa;
	int qs = virtio_blk_init(b, VIRTIO_MMIO_BASE, 0, 16, (void *)p->ring_gpa, 4096,
				 (struct vring_drv_slot *)p->slots_gpa);

	if (qs < 0) {
		p->error = qs;
		GUEST_DONE();
	}
	for (uint64_t i = 0; i < p->total; i++) {
		void *cookie;
		uint32_t len;
		uint64_t t0;

		GUEST_ASSERT_EQ(virtio_blk_submit(b, req, VIRTIO_BLK_T_IN, 0, (void *)p->data_gpa, 512), 0);
		vring_drv_enable_cb(&b->vq);
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
		while (!vring_drv_has_used(&b->vq))
			cpu_relax();
		GUEST_ASSERT_EQ(vring_drv_pop_used(&b->vq, &cookie, &len), 1);
		if (req->status != VIRTIO_BLK_S_OK)
			p->bad_status++;
	}
	GUEST_DONE();
}

static int measure_roundtrip(struct bench_ctx *c, int cpl, enum virtio_notify_mode nm, enum virtio_irq_method m)
{
	uint64_t n = irq_samples(c), warm = n / 10 + 1, total = warm + n;
	struct results_config cfg = RESULTS_CONFIG_NA;
	double p50[100], p99[100];
	unsigned int done = 0;
	char why[512], label[80];

	cfg.scenario = "irq";
	cfg.kind = "roundtrip";
	cfg.cpl = cpl;
	cfg.notify = virtio_notify_mode_name(nm);
	cfg.irq = virtio_irq_method_name(m);
	snprintf(label, sizeof(label), "roundtrip %s %s", cfg.notify, cfg.irq);
	bench_progress(c, label);
	for (unsigned int rep = 0; rep < c->o->reps; rep++) {
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm = bench_vm_create(c, &vcpu, GUEST_RAM_DEFAULT_BYTES);
		struct bench_dev *dev = bench_dev_attach(c, vm, nm, m, 256);
		uint64_t p_gpa = vm_alloc(vm, sizeof(struct bench_rt_params), 0);
		struct bench_rt_params *p = addr_gpa2hva(vm, p_gpa);
		struct virtio_mmio_stats s0, s1;
		struct kvm_regs regs;
		enum guest_outcome o;
		uint64_t *ticks;

		p->total = total;
		p->ring_gpa = vm_alloc(vm, vring_size(16, 4096), 4096);
		p->slots_gpa = vm_alloc(vm, 16 * sizeof(struct vring_drv_slot), 0);
		p->req_gpa = vm_alloc(vm, sizeof(struct virtio_blk_req), 64);
		p->data_gpa = vm_alloc(vm, 512, 0);
		p->out_gpa = vm_alloc(vm, total * 8, 0);
		vm_ioapic_route(vm, VIRTIO_MMIO_GSI, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), virtio_irq_method_is_level(m), false);
		vm_install_isr_entry(vm, GUEST_IRQ_VECTOR(VIRTIO_MMIO_GSI), guest_isr_virtio_stamp);
		vcpu_set_entry(vcpu, rt_guest_main, (unsigned int)cpl, 1, p_gpa);
		vcpu_regs_get(vcpu, &regs);
		regs.rflags |= 1u << 9;
		vcpu_regs_set(vcpu, &regs);
		virtio_mmio__get_stats(bench_dev_mmio(dev), &s0);
		o = bench_guest_run(vcpu, why, sizeof(why), NULL, NULL);
		if (o == GUEST_OK && p->error < 0) {
			snprintf(why, sizeof(why), "guest driver set-up failed: error %lld", (long long)p->error);
			o = GUEST_FAILED;
		}
		if (o == GUEST_OK) {
			virtio_mmio__get_stats(bench_dev_mmio(dev), &s1);
			ticks = (uint64_t *)addr_gpa2hva(vm, p->out_gpa) + warm;
			latency_row(c, &cfg, rep, ticks, n);
			results_set_u64(c->samples, "device_notifies", s1.notifies - s0.notifies);
			results_set_u64(c->samples, "device_irqs", s1.irqs_raised - s0.irqs_raised);
			bench_crosscheck(c, s1.irqs_raised - s0.irqs_raised >= total && !p->bad_status,
					 "%s CPL%d: %llu requests, device raised %llu interrupts, %llu bad statuses",
					 label, cpl, (unsigned long long)total,
					 (unsigned long long)(s1.irqs_raised - s0.irqs_raised),
					 (unsigned long long)p->bad_status);
			finish_row(c, &cfg, rep, ticks, n, &p50[done], &p99[done]);
			done++;
		}
		bench_dev_detach(dev);
		kvm_vm_free(vm);
		if (o == GUEST_INTERRUPTED)
			return -EINTR;
		if (o != GUEST_OK) {
			bench_skip(c, "irq", label, cpl, "repetition %u: %s", rep, why);
			break;
		}
	}
	summaries(c, &cfg, p50, p99, done);
	return 0;
}

int scenario_irq(struct bench_ctx *c)
{
	const struct bench_opts *o = c->o;
	static const struct timed_kind service = {
		"service", timed_irq_service, VIRTIO_MMIO_BASE, 0, true, NOTIFY_TRAPPED, 0, PATH_USER_MMIO, 2,
	};
	static const enum virtio_irq_method methods[] = { IRQ_METHOD_LINE, IRQ_METHOD_IRQFD, IRQ_METHOD_IRQFD_RESAMPLE };

	c->cur_scenario = "irq";
	for (int ci = 0; ci < o->ncpls; ci++) {
		int cpl = o->cpls[ci];

		for (int mi = 0; mi < 3; mi++)
			for (int w = WAIT_RUNNING; w <= WAIT_HALTED_OFF; w++) {
				if (!bench_kind_selected(o, w == WAIT_RUNNING ? "deliver_running" : "deliver_halted"))
					continue;
				if (c->counting) {
					c->configs_total++;
					continue;
				}
				if (measure_delivery(c, cpl, methods[mi], (enum wait_mode)w) < 0)
					return -EINTR;
				c->configs_done++;
			}
		if (bench_kind_selected(o, "service") && c->counting) {
			c->configs_total++;
		} else if (bench_kind_selected(o, "service")) {
			if (bench_measure_floor(c, "irq", cpl) < 0 || bench_measure_timed(c, "irq", &service, cpl) < 0)
				return -EINTR;
			c->configs_done++;
		}
		if (!bench_kind_selected(o, "roundtrip"))
			continue;
		for (int ni = 0; ni < o->nnotify; ni++)
			for (int mi = 0; mi < 3; mi++) {
				if (c->counting) {
					c->configs_total++;
					continue;
				}
				if (measure_roundtrip(c, cpl, o->notify_modes[ni], methods[mi]) < 0)
					return -EINTR;
				c->configs_done++;
			}
	}
	return 0;
}
