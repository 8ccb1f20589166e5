// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt injection through the in-kernel IOAPIC, counted exactly:
 * KVM_IRQ_LINE (raise + lower: an edge on an edge-routed pin), an edge
 * irqfd, and a level irqfd with resample (KVM lowers the line on EOI and
 * signals the resamplefd; the host re-raises for the next one). The host
 * injects K interrupts one at a time; after each the guest reports its ISR
 * count, which must be exactly the number injected, at CPL0 and CPL3 (where
 * the guest waits through the halt gate). The guest routes the pin itself
 * with ioapic_route() in the first two modes; the host routes it with
 * vm_ioapic_route() in the third; both are read back with
 * ioapic_read_redir(). Finally, a guest already halted in
 * guest_halt_unless() is woken by an irqfd written from another thread
 * (at CPL3 this goes through the halt gate).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "guest_apic.h"
#include "irq_source.h"
#include "kvm_util.h"

#define K		5
#define REDIR_LEVEL	(1ULL << 15)
#define REDIR_MASKED	(1ULL << 16)

enum { SYNC_ROUTED = 1, SYNC_READY, SYNC_TAKEN, SYNC_FINAL };

/* Written by the ISR (at CPL0), read by the guest and by the host. */
volatile uint32_t isr_count;
volatile uint32_t isr_flag;
volatile uint64_t isr_vector;

GUEST_CODE static void guest_isr(struct ex_regs *regs)
{
	isr_count++;
	isr_vector = regs->vector;
	isr_flag = 1;
	lapic_eoi();
}

GUEST_CODE static void guest_code(uint64_t gsi, uint64_t route_in_guest, uint64_t level, uint64_t k)
{
	uint8_t vector = GUEST_IRQ_VECTOR(gsi);

	if (route_in_guest)
		ioapic_route(gsi, vector, level, false);
	GUEST_SYNC(SYNC_ROUTED, ioapic_read_redir(gsi));
	for (uint64_t i = 0; i < k; i++) {
		isr_flag = 0;
		GUEST_SYNC(SYNC_READY, i, isr_count);
		while (!isr_flag)
			guest_halt_unless(&isr_flag);
		GUEST_SYNC(SYNC_TAKEN, i, isr_count, isr_vector);
	}
	/* A few more exits give any stray re-delivery a chance to show. */
	GUEST_SYNC(SYNC_FINAL, isr_count);
	GUEST_SYNC(SYNC_FINAL, isr_count);
}

static const char *mode_name(enum irq_method m)
{
	static const char *const names[] = {
		[IRQ_METHOD_LINE] = "KVM_IRQ_LINE edge",
		[IRQ_METHOD_IRQFD] = "irqfd edge",
		[IRQ_METHOD_IRQFD_RESAMPLE] = "irqfd level + resample",
	};
	_Static_assert(ARRAY_SIZE(names) == IRQ_METHOD_COUNT, "a name per method");

	return names[m];
}

static void expect_sync(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t what)
{
	uint32_t type = vcpu_run_ucall(vcpu, uc);

	TEST_ASSERT(type == UCALL_SYNC && uc->args[0] == what,
		    "expected guest sync %" PRIu64 ", got ucall %u (arg0 %" PRIu64 ")", what, type, uc->args[0]);
}

static void test_mode(enum irq_method m, unsigned int cpl)
{
	uint32_t gsi = m == IRQ_METHOD_LINE ? 17 : m == IRQ_METHOD_IRQFD ? 18 : 19;
	uint8_t vector = GUEST_IRQ_VECTOR(gsi);
	bool level = m == IRQ_METHOD_IRQFD_RESAMPLE;
	bool route_in_guest = m != IRQ_METHOD_IRQFD_RESAMPLE;
	uint64_t want_redir = vector | (level ? REDIR_LEVEL : 0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	struct irq_source src;
	bool exact = true, resample_ok = true;
	uint64_t redir;
	struct ucall uc;
	int r;

	vm_install_handler(vm, vector, guest_isr);
	if (!route_in_guest)
		vm_ioapic_route(vm, gsi, vector, level, false);
	r = irq_source_init(&src, vm, m, gsi);
	errno = -r;
	TEST_ASSERT(!r, "irq_source_init %s gsi %u", irq_method_name(m), gsi);

	vcpu_set_entry(vcpu, guest_code, cpl, 4, (uint64_t)gsi, (uint64_t)route_in_guest,
		       (uint64_t)level, (uint64_t)K);
	expect_sync(vcpu, &uc, SYNC_ROUTED);
	redir = uc.args[1];
	ktap_result(redir == want_redir,
		    "CPL%u %s: pin %u routed %s to vector 0x%x, %s (IOAPIC reads back 0x%" PRIx64 ", want 0x%" PRIx64 ")",
		    cpl, mode_name(m), gsi, route_in_guest ? "by the guest" : "by the host", vector,
		    level ? "level" : "edge", redir, want_redir);

	for (uint64_t i = 0; i < K; i++) {
		expect_sync(vcpu, &uc, SYNC_READY);
		if (uc.args[1] != i || uc.args[2] != i)
			exact = false;
		/* Level: nothing pending on the resamplefd before the interrupt
		 * is taken; then (re-)raise the line. KVM_IRQ_LINE: raise + lower
		 * is the edge. */
		if (m == IRQ_METHOD_IRQFD_RESAMPLE && irq_source_take_resamples(&src) != 0)
			resample_ok = false;
		irq_source_raise(&src);
		irq_source_lower(&src);
		expect_sync(vcpu, &uc, SYNC_TAKEN);
		if (uc.args[1] != i || uc.args[2] != i + 1 || uc.args[3] != vector) {
			ktap_diag("CPL%u %s: after injection %" PRIu64 " the ISR count is %" PRIu64
				  " (want %" PRIu64 "), vector 0x%" PRIx64, cpl, mode_name(m), i + 1,
				  uc.args[2], i + 1, uc.args[3]);
			exact = false;
		}
		/* The ISR's EOI lowered the line and signalled the resamplefd. */
		if (m == IRQ_METHOD_IRQFD_RESAMPLE && irq_source_take_resamples(&src) != 1)
			resample_ok = false;
	}
	expect_sync(vcpu, &uc, SYNC_FINAL);
	exact &= uc.args[1] == K;
	expect_sync(vcpu, &uc, SYNC_FINAL);
	exact &= uc.args[1] == K && *guest_hva(vm, &isr_count) == K;
	ktap_diag("CPL%u %s: %d injected, ISR count %" PRIu64, cpl, mode_name(m), K, uc.args[1]);
	ktap_result(exact, "CPL%u %s: %d interrupts injected one at a time, ISR ran exactly %d times, no extras",
		    cpl, mode_name(m), K, K);
	if (m == IRQ_METHOD_IRQFD_RESAMPLE)
		ktap_result(resample_ok, "CPL%u %s: the resamplefd fired once per EOI and never early", cpl,
			    mode_name(m));
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "guest did not finish");
	irq_source_destroy(&src);
	kvm_vm_free(vm);
}

/* ---- waking a halted guest -------------------------------------------- */
GUEST_CODE static void guest_wait_once(uint64_t gsi)
{
	ioapic_route(gsi, GUEST_IRQ_VECTOR(gsi), false, false);
	isr_flag = 0;
	GUEST_SYNC(SYNC_READY, isr_count);
	while (!isr_flag)
		guest_halt_unless(&isr_flag);
	GUEST_SYNC(SYNC_TAKEN, isr_count, isr_vector);
}

struct waker {
	struct kvm_vcpu *vcpu;
	struct irq_source *src;
	int64_t halts_before;
	bool saw_halt;
};

/* Raises the interrupt only once the vCPU is known to be halted (its
 * halt_exits statistic moved), so the wake-up path is what gets tested. */
static void *waker_thread(void *arg)
{
	struct waker *w = arg;
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 5000 && w->halts_before >= 0; i++) {
		if (vcpu_stat(w->vcpu, "halt_exits") > w->halts_before) {
			w->saw_halt = true;
			break;
		}
		nanosleep(&ts, NULL);
	}
	irq_source_raise(w->src);
	return NULL;
}

static void test_wake_halted(unsigned int cpl)
{
	const uint32_t gsi = 20;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_wait_once);
	struct irq_source src;
	struct waker w = { .vcpu = vcpu, .src = &src };
	pthread_t t;
	struct ucall uc;
	int r;

	vm_install_handler(vm, GUEST_IRQ_VECTOR(gsi), guest_isr);
	r = irq_source_init(&src, vm, IRQ_METHOD_IRQFD, gsi);
	errno = -r;
	TEST_ASSERT(!r, "irq_source_init irqfd gsi %u", gsi);
	vcpu_set_entry(vcpu, guest_wait_once, cpl, 1, (uint64_t)gsi);
	expect_sync(vcpu, &uc, SYNC_READY);
	w.halts_before = vcpu_stat(vcpu, "halt_exits");
	TEST_ASSERT(!pthread_create(&t, NULL, waker_thread, &w), "pthread_create");
	expect_sync(vcpu, &uc, SYNC_TAKEN);
	TEST_ASSERT(!pthread_join(t, NULL), "pthread_join");
	if (w.halts_before < 0)
		ktap_diag("CPL%u: no halt_exits statistic: the irqfd was written without knowing the guest halted", cpl);
	ktap_result(uc.args[1] == 1 && uc.args[2] == GUEST_IRQ_VECTOR(gsi) && (w.halts_before < 0 || w.saw_halt),
		    "CPL%u: a guest halted in guest_halt_unless() is woken by an irqfd from another thread "
		    "(halted: %s, ISR count %" PRIu64 ")", cpl,
		    w.halts_before < 0 ? "unknown" : w.saw_halt ? "yes" : "no", uc.args[1]);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "guest did not finish");
	irq_source_destroy(&src);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_IRQCHIP);
	REQUIRE_CAP(KVM_CAP_IRQFD);
	REQUIRE_CAP(KVM_CAP_IRQFD_RESAMPLE);
	ktap_plan(2 * 8);
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3) {
		for (int m = 0; m < IRQ_METHOD_COUNT; m++)
			test_mode((enum irq_method)m, cpl);
		test_wake_halted(cpl);
	}
	return ktap_exit_code();
}
