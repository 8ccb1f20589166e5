// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario "exit": the guest-observed round trip of one access, by kind,
 * the family kvm-unit-tests x86/vmexit reports. Per-iteration samples from
 * fenced TSC reads in the guest; the empty loop of the same shape at the same
 * CPL is the floor, reported and subtracted. For trapped kinds the host also
 * records its own share (KVM_RUN return to re-entry). Each repetition is a
 * fresh VM; KVM's binary stats cross-check that each access took the exit
 * path the kind claims.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "bench.h"
#include "guest.h"
#include "guest_bench.h"
#include "guest_run.h"
#include "scenario.h"
#include "stats.h"

GUEST_CODE static void exit_guest_main(timed_loop_fn loop, uint64_t addr, uint64_t value,
				       uint64_t warmup, uint64_t n, uint64_t *out)
{
	if (warmup)
		loop(addr, value, warmup, out);
	loop(addr, value, n, out);
	GUEST_DONE();
}

#define QNOTIFY (VIRTIO_MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY)
#define PIO_IOEVENTFD_PORT (TEST_PIO_PORT + 0x10)
/* The raw kinds' addresses: no memslot, no device, no bus range. */
#define RAW_MMIO_ADDR TEST_MMIO_BASE
#define RAW_PIO_PORT (TEST_PIO_PORT + 0x20)

static void pio_sink(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)off;
	if (!is_write)
		memset(data, 0, len);
}

static bool host_is_amd(const struct bench_ctx *c)
{
	return !strcmp(c->plat.cpu_vendor, "AuthenticAMD") || !strcmp(c->plat.cpu_vendor, "HygonGenuine");
}

/* The kinds, in report order. A new kind is one row here plus its guest
 * loop (include/guest_bench.h); the first row, the floor, always runs. */
static const struct timed_kind exit_kinds[] = {
	{ .name = "empty_loop", .about = "the loop without an access: the floor",
	  .loop = timed_empty, .path = PATH_NONE },
	{ .name = "mmio_write_trapped", .about = "QueueNotify write, trapped to userspace",
	  .loop = timed_mmio_write32, .addr = QNOTIFY, .virtio = true, .notify = NOTIFY_TRAPPED,
	  .path = PATH_USER_MMIO },
	{ .name = "mmio_read_config", .about = "config space read, trapped",
	  .loop = timed_mmio_read32, .addr = VIRTIO_MMIO_BASE + VIRTIO_MMIO_CONFIG, .virtio = true,
	  .notify = NOTIFY_TRAPPED, .path = PATH_USER_MMIO },
	{ .name = "mmio_read_isr", .about = "InterruptStatus read, trapped",
	  .loop = timed_mmio_read32, .addr = VIRTIO_MMIO_BASE + VIRTIO_MMIO_INTERRUPT_STATUS,
	  .virtio = true, .notify = NOTIFY_TRAPPED, .path = PATH_USER_MMIO },
	{ .name = "mmio_ioeventfd_datamatch", .about = "QueueNotify write to an ioeventfd, len 4, datamatch",
	  .loop = timed_mmio_write32, .addr = QNOTIFY, .virtio = true, .notify = NOTIFY_IOEVENTFD,
	  .path = PATH_KERNEL_IOEVENTFD },
	{ .name = "mmio_ioeventfd_zerolen", .about = "QueueNotify write to a zero-length ioeventfd",
	  .loop = timed_mmio_write32, .addr = QNOTIFY, .virtio = true, .notify = NOTIFY_IOEVENTFD_ZEROLEN,
	  .path = PATH_KERNEL_IOEVENTFD },
	{ .name = "mmio_ioeventfd_nowaiter", .about = "the same write to an ioeventfd (len 4, datamatch) "
	  "nobody waits on: exit + signal, no wake-up",
	  .loop = timed_mmio_write32, .addr = QNOTIFY, .path = PATH_KERNEL_IOEVENTFD, .nowaiter = true },
	{ .name = "pio_trapped", .about = "port write, trapped to userspace",
	  .loop = timed_pio_out32, .addr = TEST_PIO_PORT, .pio = 1, .path = PATH_USER_PIO },
	{ .name = "pio_ioeventfd", .about = "port write to an ioeventfd the iothread waits on",
	  .loop = timed_pio_out32, .addr = PIO_IOEVENTFD_PORT, .pio = 2, .path = PATH_KERNEL_IOEVENTFD },
	{ .name = "pio_ioeventfd_nowaiter", .about = "port write to an ioeventfd nobody waits on",
	  .loop = timed_pio_out32, .addr = PIO_IOEVENTFD_PORT, .pio = 2, .path = PATH_KERNEL_IOEVENTFD,
	  .nowaiter = true },
	{ .name = "cpuid", .about = "CPUID, handled in the kernel",
	  .loop = timed_cpuid, .path = PATH_KERNEL_EXIT },
	{ .name = "vmcall", .about = "VMCALL (VMMCALL on AMD), handled in the kernel",
	  .loop = timed_vmcall, .loop_amd = timed_vmmcall, .addr = 0x7fffffff, .path = PATH_KERNEL_EXIT },
	/* The raw KVM_RUN loop, the reference the kinds above are read against:
	 * the same guest loops, no device, exits re-entered at once. */
	{ .name = "raw_mmio_write", .about = "raw KVM_RUN loop: an MMIO write no device backs, "
	  "re-entered at once",
	  .loop = timed_mmio_write32, .addr = RAW_MMIO_ADDR, .path = PATH_USER_MMIO, .raw = true },
	{ .name = "raw_mmio_ioeventfd", .about = "raw KVM_RUN loop: an MMIO write to an ioeventfd "
	  "(len 4, datamatch) nobody waits on, no device",
	  .loop = timed_mmio_write32, .addr = RAW_MMIO_ADDR, .path = PATH_KERNEL_IOEVENTFD,
	  .nowaiter = true, .raw = true },
	{ .name = "raw_mmio_ioeventfd_zerolen", .about = "raw KVM_RUN loop: an MMIO write to a "
	  "zero-length ioeventfd nobody waits on, no device",
	  .loop = timed_mmio_write32, .addr = RAW_MMIO_ADDR, .notify = NOTIFY_IOEVENTFD_ZEROLEN,
	  .path = PATH_KERNEL_IOEVENTFD, .nowaiter = true, .raw = true },
	{ .name = "raw_pio_write", .about = "raw KVM_RUN loop: a port write no device backs, re-entered at once",
	  .loop = timed_pio_out32, .addr = RAW_PIO_PORT, .pio = 1, .path = PATH_USER_PIO, .raw = true },
	{ .name = "raw_pio_ioeventfd", .about = "raw KVM_RUN loop: a port write to an ioeventfd nobody waits on",
	  .loop = timed_pio_out32, .addr = RAW_PIO_PORT, .pio = 2, .path = PATH_KERNEL_IOEVENTFD,
	  .nowaiter = true, .raw = true },
};
_Static_assert(ARRAY_SIZE(exit_kinds) >= 1, "the floor row comes first");

static const char *const latency_metrics[] = { "p50_ns", "p99_ns", "net_p50_ns", NULL };
/* The same plus the p50 in ticks, kept for the floor (no summary row). */
static const char *const timed_metrics[] = { "p50_ns", "p99_ns", "net_p50_ns", "", NULL };
enum { M_P50, M_P99, M_NET_P50, M_P50_TICKS };

struct rep_result {
	uint64_t *samples;	/* host copy, n entries */
	uint64_t n;
	uint32_t *user_ticks;
	uint64_t user_n;
	int64_t d_exits, d_mmio, d_io;
	int64_t d_user;		/* exits KVM_RUN returned to us (the harness's own count) */
	uint64_t d_notifies;
	int64_t efd_count;	/* nowaiter: the eventfd's count, read after the run; else -1 */
	uint64_t raw_seen;	/* raw kinds: exits the raw loop re-entered */
	struct virtio_kvm_counters k0, k1;	/* iothread, around the run */
	bool has_iothread;
};

static int64_t stat_delta(int64_t before, int64_t after)
{
	return before < 0 || after < 0 ? -1 : after - before;
}

/* The eventfd of a port or nowaiter kind, registered on its address. */
static int attach_ioeventfd(struct kvm_vm *vm, const struct timed_kind *k)
{
	struct ioeventfd_spec s = { .addr = k->addr, .len = 4, .pio = k->pio == 2 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	TEST_ASSERT(efd >= 0, "eventfd");
	if (k->notify == NOTIFY_IOEVENTFD_ZEROLEN)
		s.len = 0;	/* what the zero-length wiring registers */
	else if (!s.pio) {	/* what the datamatch wiring registers for queue 0 */
		s.datamatch = true;
		s.data = k->value;
	}
	vm_ioeventfd(vm, efd, &s);
	return efd;
}

/* One fresh VM, one run of the kind. */
static enum guest_outcome run_once(struct bench_ctx *c, const struct timed_kind *k, int cpl,
				   enum iothread_mode io, uint64_t warmup, uint64_t n,
				   unsigned int watchdog_ms, struct rep_result *res, char *why, size_t why_len)
{
	struct kvm_vcpu *vcpu;
	uint64_t ram = GUEST_RAM_DEFAULT_BYTES + ((n > warmup ? n : warmup) * 8 + (2 << 20));
	struct kvm_vm *vm;
	struct bench_dev *dev = NULL;
	struct virtio_mmio_stats ds0 = { 0 }, ds1 = { 0 };
	int efd = -1;
	int64_t e0, m0, i0;
	uint64_t out_gpa, u0;
	enum guest_outcome o;

	ram = (ram + GUEST_LARGE_PAGE_SIZE - 1) & ~(GUEST_LARGE_PAGE_SIZE - 1);
	vm = bench_vm_create(c, &vcpu, ram);
	vcpu_set_watchdog_ms(vcpu, watchdog_ms);
	res->efd_count = -1;
	if (k->pio == 2 || k->nowaiter)
		efd = attach_ioeventfd(vm, k);
	/* A port ioeventfd with a waiter: the device's iothread waits on it. */
	if (k->virtio || (k->pio == 2 && !k->nowaiter)) {
		struct bench_dev_wiring w = { .notify = k->virtio ? k->notify : NOTIFY_TRAPPED,
					      .irq = IRQ_METHOD_IRQFD, .iothread = io,
					      .queue_size_max = 256, .extra_fd = k->virtio ? -1 : efd };

		dev = bench_dev_attach(c, vm, &w, why, why_len);
		if (!dev) {
			if (efd >= 0)
				close(efd);
			kvm_vm_free(vm);
			return GUEST_FAILED;	/* the probe turns it into a skip */
		}
		virtio_mmio__get_stats(bench_dev_mmio(dev), &ds0);
		virtio_kvm_get_counters(bench_dev_kvm(dev), &res->k0);
		res->k0.eventfd_kicks += bench_dev_extra_kicks(dev);	/* the port's eventfd */
		res->has_iothread = timed_kind_has_iothread(k);
	}
	if (k->pio == 1 && !k->raw)
		TEST_ASSERT(!bus_register(vm, BUS_PIO, TEST_PIO_PORT, 4, pio_sink, NULL), "bus_register");
	out_gpa = vm_alloc(vm, (n > warmup ? n : warmup) * 8, 0);
	if (k->raw)	/* an ioeventfd kind's too: a write it misses is counted */
		vcpu->raw_exit = (typeof(vcpu->raw_exit)){ .on = true, .pio = k->pio != 0,
			.mmio_addr = k->addr, .port = (uint16_t)k->addr };
	else if (k->path == PATH_USER_MMIO || k->path == PATH_USER_PIO) {
		unsigned int per = k->exits_per_iter ? k->exits_per_iter : 1;

		res->user_ticks = calloc((warmup + n) * per + 16, sizeof(uint32_t));
		TEST_ASSERT(res->user_ticks, "calloc");
		vcpu->user_ticks = res->user_ticks;
		vcpu->user_ticks_cap = (warmup + n) * per + 16;
	}
	e0 = vcpu_stat(vcpu, "exits");
	m0 = vcpu_stat(vcpu, "mmio_exits");
	i0 = vcpu_stat(vcpu, "io_exits");
	u0 = vcpu->exits_seen;
	vcpu_set_entry(vcpu, exit_guest_main, (unsigned int)cpl, 6,
		       (uint64_t)(uintptr_t)(k->loop_amd && host_is_amd(c) ? k->loop_amd : k->loop),
		       k->addr, k->value, warmup, n, out_gpa);
	o = bench_guest_run(vcpu, why, why_len, NULL, NULL);
	res->d_exits = stat_delta(e0, vcpu_stat(vcpu, "exits"));
	res->d_mmio = stat_delta(m0, vcpu_stat(vcpu, "mmio_exits"));
	res->d_io = stat_delta(i0, vcpu_stat(vcpu, "io_exits"));
	res->d_user = (int64_t)(vcpu->exits_seen - u0);
	res->raw_seen = vcpu->raw_exit.seen;
	vcpu->raw_exit.on = false;
	if (dev) {
		virtio_mmio__get_stats(bench_dev_mmio(dev), &ds1);
		virtio_kvm_get_counters(bench_dev_kvm(dev), &res->k1);
		res->k1.eventfd_kicks += bench_dev_extra_kicks(dev);
		res->d_notifies = ds1.notifies - ds0.notifies;
	}
	if (k->nowaiter) {
		uint64_t cnt = 0;

		res->efd_count = read(efd, &cnt, sizeof(cnt)) == sizeof(cnt) ? (int64_t)cnt : 0;
	}
	if (o == GUEST_OK) {
		res->n = n;
		res->samples = malloc(n * sizeof(uint64_t));
		TEST_ASSERT(res->samples, "malloc");
		memcpy(res->samples, addr_gpa2hva(vm, out_gpa), n * sizeof(uint64_t));
		/* The first warmup exits belong to the warm-up loop. */
		uint64_t per = k->exits_per_iter ? k->exits_per_iter : 1, skip = warmup * per;

		res->user_n = vcpu->user_ticks_n > skip ? vcpu->user_ticks_n - skip : 0;
		if (res->user_n > n * per)
			res->user_n = n * per;
		if (res->user_n)
			memmove(res->user_ticks, res->user_ticks + skip, res->user_n * sizeof(uint32_t));
	}
	vcpu->user_ticks = NULL;
	bench_dev_detach(dev);
	if (efd >= 0)
		close(efd);
	kvm_vm_free(vm);
	return o;
}

/*
 * What the KVM statistics used here count (x86; kernel functions named):
 *  exits      - every VM exit KVM handles, in-kernel ones included: VMX
 *               vmx_handle_exit(), SVM svm_handle_exit() (both via
 *               vcpu_enter_guest() ++stat.exits); PVM the same, but its CPL0
 *               code is interpreted, so in-kernel work there often is no exit.
 *  io_exits   - VMX handle_io() and SVM io_interception() increment it for
 *               every port-I/O exit BEFORE kvm_fast_pio() looks for an
 *               in-kernel device: trapped and ioeventfd PIO alike. PVM counts
 *               none here (its PIO goes through the emulator, emulator_pio_out(),
 *               which has no counter).
 *  mmio_exits - x86_emulate_instruction() increments it only when an MMIO
 *               access needs userspace (vcpu->mmio_needed); an ioeventfd
 *               (kvm_io_bus_write() succeeds, or VMX's fast-MMIO path in
 *               handle_ept_misconfig()) is not counted: the same on all three.
 * Whether an access reached userspace is the harness's own count of exits
 * KVM_RUN returned (vcpu->exits_seen), the same on every platform.
 */

/* Trapped to userspace: each access one exit that KVM_RUN returns. */
static bool crosscheck_user(struct bench_ctx *c, const struct timed_kind *k, int cpl, int64_t t,
			    int64_t slack, uint64_t total, const struct rep_result *r, char *why, size_t len)
{
	int64_t counter = k->pio ? r->d_io : r->d_mmio;
	/* The raw loop re-enters its exits itself, exactly one per access; only
	 * the DONE ucall reaches the harness. */
	int64_t user = k->raw ? (int64_t)r->raw_seen : r->d_user;
	bool ok = k->raw ? user == t && r->d_user <= 4 : user >= t && user <= t + slack;

	/* KVM's own counter agrees where it counts (PVM: io_exits 0). */
	if (counter > 0 || !k->pio)
		ok &= counter >= t && counter <= t + slack;
	else
		bench_note(c, "exit/%s CPL%d: KVM's io_exits stayed 0 for %llu port writes that "
			   "reached userspace; cross-checked against the exits KVM_RUN returned instead",
			   k->name, cpl, (unsigned long long)total);
	if (!strcmp(k->name, "mmio_write_trapped"))
		ok &= r->d_notifies == total;
	snprintf(why, len, "%s: %llu accesses, %lld exits reached userspace%s, KVM counted %lld %s",
		 k->name, (unsigned long long)total, (long long)user,
		 k->raw ? " (the raw loop re-entered them)" : "", (long long)counter,
		 k->pio ? "I/O exits" : "MMIO exits");
	if (k->virtio)
		snprintf(why + strlen(why), len - strlen(why), ", device %llu notifies",
			 (unsigned long long)r->d_notifies);
	return ok;
}

/* Served in the kernel (ioeventfd, CPUID, VMCALL): nothing but the DONE
 * ucall (and a stray host interrupt's) reaches userspace. */
static bool crosscheck_kernel(struct bench_ctx *c, const struct bench_config *cfg,
			      const struct timed_kind *k, int cpl, int64_t t, int64_t slack, uint64_t total,
			      const struct rep_result *r, char *why, size_t len)
{
	bool hw = strcmp(c->plat.hypervisor, "PVM") != 0;
	bool ok = r->d_user <= 4 && r->d_mmio <= 4 && r->raw_seen == 0;

	/* PIO ioeventfd: io_exits counts every access on VMX/SVM (counted
	 * before kvm_fast_pio() finds the ioeventfd), none on PVM. */
	if (k->pio == 2 && hw)
		ok &= r->d_io >= t && r->d_io <= t + slack;
	else
		ok &= r->d_io <= 4;
	/* VMX/SVM exit for each CPUID/VMCALL and each ioeventfd write (an
	 * EPT misconfig / NPF, or an I/O intercept) at any CPL: KVM's exits
	 * counter sees at least those. No upper bound: it also counts the
	 * host's interrupts and first-touch NPT/EPT faults, not ours. */
	if (hw && k->path != PATH_NONE && r->d_exits >= 0)
		ok &= r->d_exits >= t;
	if (k->path != PATH_NONE && r->d_exits >= 0 && r->d_exits < t / 2)
		bench_note(c, "exit/%s CPL%d: KVM's exits counter saw under half as many exits as "
			   "accesses: this platform handles the access without a counted exit%s, so "
			   "the figure is its cost seen by the guest, not an exit's", k->name, cpl,
			   !hw ? (cpl ? " (PVM runs CPL3 natively)" :
			   " (PVM interprets CPL0 code and serves it inside the emulator)") : "");
	snprintf(why, len, "%s: %llu accesses, %lld exits reached userspace; KVM counted %lld exits, "
		 "%lld MMIO and %lld I/O exits (expected: none to userspace%s)", k->name,
		 (unsigned long long)total, (long long)(r->d_user + (int64_t)r->raw_seen), (long long)r->d_exits,
		 (long long)r->d_mmio, (long long)r->d_io,
		 k->pio == 2 && hw ? ", one I/O exit per access" :
		 hw && k->path != PATH_NONE ? ", at least one exit per access" : "");
	/* Nobody waits: every access signalled the eventfd, nobody read it. */
	if (k->nowaiter) {
		ok &= r->efd_count == (int64_t)total;
		snprintf(why + strlen(why), len - strlen(why), "; eventfd count %lld, expected %llu",
			 (long long)r->efd_count, (unsigned long long)total);
	}
	/* A busy iothread never sleeps, so no access can have woken it. */
	if (r->has_iothread && ((const struct timed_config *)cfg)->io == IOTHREAD_BUSY) {
		uint64_t wakes = r->k1.iothread_wakeups - r->k0.iothread_wakeups;

		ok &= wakes == 0;
		snprintf(why + strlen(why), len - strlen(why), "; busy iothread woke %llu times, expected 0",
			 (unsigned long long)wakes);
	}
	return ok;
}

/* Did every access take the path the kind claims? "About N": the DONE
 * ucall and host interrupts add a few exits, hence the slack. */
static void crosscheck(struct bench_ctx *c, const struct bench_config *cfg, const struct timed_kind *k,
		       int cpl, uint64_t total, const struct rep_result *r)
{
	const int64_t t = (int64_t)total * (k->exits_per_iter ? k->exits_per_iter : 1);
	const int64_t slack = 8 + t / 50;
	char why[400];
	bool ok;

	if (r->d_mmio < 0 || r->d_io < 0) {	/* no binary stats: nothing to check against */
		results_set(c->samples, "crosscheck", "n/a");
		return;
	}
	if (k->path == PATH_USER_MMIO || k->path == PATH_USER_PIO)
		ok = crosscheck_user(c, k, cpl, t, slack, total, r, why, sizeof(why));
	else
		ok = crosscheck_kernel(c, cfg, k, cpl, t, slack, total, r, why, sizeof(why));
	bench_crosscheck(c, ok, "%s", why);
}

static void write_row(struct bench_ctx *c, const struct bench_config *bc, unsigned int rep,
		      struct rep_result *r, const struct timed_kind *k, double floor_p50_ticks,
		      uint64_t total, struct stats_summary *sum)
{
	const struct results_config *cfg = &bc->series[0].rc;

	stats_summarize_u64(r->samples, r->n, sum);
	results_set_config(c->samples, cfg);
	results_set_u64(c->samples, "rep", rep);
	results_set_u64(c->samples, "samples", r->n);
	results_set_latency(c->samples, sum, c->tsc_khz, floor_p50_ticks);
	if (r->user_n) {
		uint64_t *u = malloc(r->user_n * sizeof(uint64_t));

		TEST_ASSERT(u, "malloc");
		for (uint64_t i = 0; i < r->user_n; i++)
			u[i] = r->user_ticks[i];
		stats_sort_u64(u, r->user_n);
		results_set_double(c->samples, "host_user_p50_ns",
				   stats_ticks_to_ns(stats_quantile_sorted_u64(u, r->user_n, 0.5), c->tsc_khz));
		free(u);
	}
	if (r->d_exits >= 0)
		results_set_i64(c->samples, "kvm_exits", r->d_exits);
	if (r->d_mmio >= 0)
		results_set_i64(c->samples, "kvm_mmio_exits", r->d_mmio);
	if (r->d_io >= 0)
		results_set_i64(c->samples, "kvm_io_exits", r->d_io);
	if (k->virtio)
		results_set_u64(c->samples, "device_notifies", r->d_notifies);
	if (r->efd_count >= 0)
		results_set_i64(c->samples, "eventfd_kicks", r->efd_count);
	bench_set_iothread_cells(c, r->has_iothread ? (int)((const struct timed_config *)bc)->io : -1,
				 &r->k0, &r->k1);
	crosscheck(c, bc, k, cfg->cpl, total, r);
	results_row_end(c->samples);
	results_add_cdf(c->cdf, cfg, (int)rep, r->samples, r->n, c->tsc_khz);
}

void timed_config_init(struct timed_config *tc, const struct bench_scenario *s,
		       const char *scenario, const struct timed_kind *k, int cpl,
		       enum iothread_mode io, const char *io_label)
{
	struct results_config *rc;

	tc->base.scn = s;
	tc->base.cpl = cpl;
	tc->base.always = k->path == PATH_NONE;	/* every other kind needs the floor */
	tc->k = k;
	tc->io = io;
	snprintf(tc->base.label, sizeof(tc->base.label), "%s%s%s", k->name,
		 timed_kind_has_iothread(k) ? " iothread=" : "", timed_kind_has_iothread(k) ? io_label : "");
	rc = bench_config_series(&tc->base, scenario, k->name, timed_metrics);
	if (k->virtio)
		rc->notify = virtio_notify_mode_name(k->notify);
	if (timed_kind_has_iothread(k))
		rc->iothread = io_label;
}

/* A one-sample probe under a short watchdog first: a kind the platform
 * cannot do (a hang, a fault) is skipped with its reason. */
enum bench_rep_status timed_probe(struct bench_ctx *c, const struct bench_config *cfg,
				  char *why, size_t why_len)
{
	const struct timed_kind *k = ((const struct timed_config *)cfg)->k;
	const struct bench_opts *o = c->o;
	struct rep_result probe = { 0 };
	char msg[512];
	enum guest_outcome po;
	bool iopl;

	po = run_once(c, k, cfg->cpl, ((const struct timed_config *)cfg)->io, 0, 1, o->watchdog_ms < 3000 ? o->watchdog_ms : 3000, &probe, msg, sizeof(msg));
	free(probe.samples);
	free(probe.user_ticks);
	if (po == GUEST_INTERRUPTED)
		return REP_INTERRUPTED;
	if (po == GUEST_OK)
		return REP_OK;
	/* Say why a CPL3 port access faults, not only that it did. */
	iopl = k->pio && cfg->cpl == 3 && strstr(msg, "vector 13 (#GP)");
	snprintf(why, why_len, "%s%s", iopl ? "CPL3 port I/O raised #GP: this "
		 "hypervisor runs CPL3 with RFLAGS.IOPL 0 (PVM forces it); " : "", msg);
	return REP_SKIP;
}

enum bench_rep_status timed_run_rep(struct bench_ctx *c, const struct bench_config *cfg,
				    unsigned int rep, struct bench_rep_out *out, char *why, size_t why_len)
{
	const struct timed_kind *k = ((const struct timed_config *)cfg)->k;
	const struct bench_opts *o = c->o;
	double floor_ticks = k->path == PATH_NONE ? -1 : c->floor_ticks[cfg->cpl];
	struct rep_result r = { 0 };
	struct stats_summary sum;
	enum guest_outcome go = run_once(c, k, cfg->cpl, ((const struct timed_config *)cfg)->io,
					 o->warmup, o->iterations, o->watchdog_ms,
					 &r, why, why_len);

	if (go != GUEST_OK) {
		free(r.user_ticks);
		return go == GUEST_INTERRUPTED ? REP_INTERRUPTED : REP_FAILED;
	}
	write_row(c, cfg, rep, &r, k, floor_ticks, o->warmup + o->iterations, &sum);
	out->v[0][M_P50_TICKS] = sum.p50;
	out->v[0][M_P50] = stats_ticks_to_ns(sum.p50, c->tsc_khz);
	out->v[0][M_P99] = stats_ticks_to_ns(sum.p99, c->tsc_khz);
	out->v[0][M_NET_P50] = floor_ticks >= 0 ? stats_ticks_to_ns(sum.p50 - floor_ticks, c->tsc_khz) : NAN;
	free(r.samples);
	free(r.user_ticks);
	return REP_OK;
}

/* The floor: median of the run medians, in ticks. */
void timed_after(struct bench_ctx *c, const struct bench_config *cfg, const struct bench_values *v)
{
	const struct timed_kind *k = ((const struct timed_config *)cfg)->k;
	unsigned int n = v->n[0][M_P50_TICKS];

	if (k->path != PATH_NONE || !n)
		return;
	stats_sort_double(v->v[0][M_P50_TICKS], n);
	c->floor_ticks[cfg->cpl] = stats_quantile_sorted_double(v->v[0][M_P50_TICKS], n, 0.5);
}

int bench_measure_floor(struct bench_ctx *c, const char *scenario, int cpl)
{
	struct timed_config tc = { 0 };

	if (c->floor_ticks[cpl] >= 0)
		return 0;
	for (int i = 0; i < BENCH_MAX_SERIES; i++)
		tc.base.series[i].rc = (struct results_config)RESULTS_CONFIG_NA;
	timed_config_init(&tc, &scenario_exit, scenario, &exit_kinds[0], cpl, IOTHREAD_BLOCK, NULL);
	return bench_run_config(c, &tc.base);
}

static bool exit_kind(size_t i, struct bench_kind_info *out)
{
	if (i >= ARRAY_SIZE(exit_kinds))
		return false;
	*out = (struct bench_kind_info){ exit_kinds[i].name, exit_kinds[i].about, latency_metrics };
	return true;
}

static void exit_configs(const struct bench_opts *o, struct bench_config_list *out)
{
	for (int ci = 0; ci < o->ncpls; ci++)
		for (size_t ki = 0; ki < ARRAY_SIZE(exit_kinds); ki++)
			for (int ti = 0; ti < (timed_kind_has_iothread(&exit_kinds[ki]) ? o->niothread : 1); ti++)
				timed_config_init(bench_config_new(out, &scenario_exit, sizeof(struct timed_config)),
						  &scenario_exit, "exit", &exit_kinds[ki], o->cpls[ci],
						  bench_iothread_at(o, timed_kind_has_iothread(&exit_kinds[ki]), ti),
						  bench_iothread_label(o, o->iothread_modes[ti]));
}

const struct bench_scenario scenario_exit = {
	.name = "exit",
	.about = "exit latency per access kind (guest-timed, floor subtracted)",
	.kind = exit_kind,
	.configs = exit_configs,
	.probe = timed_probe,
	.run_rep = timed_run_rep,
	.after = timed_after,
};
