// SPDX-License-Identifier: GPL-2.0
/*
 * Two vCPUs of one VM, each on its own thread.
 *
 * 1. Both run guest code at once (a guest-side rendezvous proves it) and
 *    make ucalls; each sees its own ucalls only, its own TSS (TR names a
 *    descriptor in the GDT that points at this vCPU's TSS, whose RSP0 is
 *    this vCPU's kernel stack) and its own stack.
 * 2. One vCPU stopping does not hide the other from vcpu_request_stop():
 *    with vCPU 1 looping on trapped MMIO writes inside vcpu_run(), vCPU 0
 *    runs to DONE; vCPU 1 keeps running, and a stop request afterwards
 *    still reaches it (its kvm_run's immediate_exit is set, and vcpu_run()
 *    returns VCPU_STOP_REQUESTED).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "kvm_util.h"
#include "processor.h"

#define NR_VCPUS	2
#define NR_SYNCS	20
#define SPIN_BASE	TEST_MMIO_BASE

/* Guest-side only (the guest's copy, shared by both vCPUs). */
volatile uint64_t rendezvous;

GUEST_CODE static void guest_ident(uint64_t id)
{
	uint16_t tr = guest_str();
	const volatile uint64_t *desc = (const volatile uint64_t *)(uintptr_t)(guest_gdt_base() + tr);
	uint64_t frame = (uint64_t)(uintptr_t)__builtin_frame_address(0);

	GUEST_SYNC(id, 0, tr, desc[0], desc[1], frame);
	/* Both vCPUs must be in guest code at once to get past here. */
	__atomic_fetch_add(&rendezvous, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&rendezvous, __ATOMIC_SEQ_CST) < NR_VCPUS)
		cpu_relax();
	for (uint64_t i = 1; i < NR_SYNCS; i++)
		GUEST_SYNC(id, i);
}

GUEST_CODE static void guest_mmio_loop(uint64_t base)
{
	GUEST_SYNC(1);
	for (uint32_t i = 0;; i++)
		mmio_write32(base, i);
}

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t th;
	/* phase 1 results */
	struct ucall first;
	int syncs_in_order;
	bool done;
	/* phase 2 */
	enum vcpu_stop stop;
};

static void *run_ident(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(t->vcpu, &uc) == UCALL_SYNC, "vCPU %d: no first SYNC", t->vcpu->id);
	t->first = uc;
	for (uint64_t i = 1; i < NR_SYNCS; i++) {
		if (vcpu_run_ucall(t->vcpu, &uc) != UCALL_SYNC)
			break;
		t->syncs_in_order += uc.args[0] == (uint64_t)t->vcpu->id && uc.args[1] == i;
	}
	t->done = vcpu_run_ucall(t->vcpu, &uc) == UCALL_DONE;
	return NULL;
}

static void phase_concurrent(void)
{
	struct vcpu_thread t[NR_VCPUS] = { 0 };
	struct kvm_vm *vm = vm_create(NULL);

	for (int i = 0; i < NR_VCPUS; i++) {
		t[i].vcpu = vm_vcpu_add(vm, guest_ident);
		vcpu_set_entry(t[i].vcpu, guest_ident, 0, 1, (uint64_t)i);
		vcpu_set_watchdog_ms(t[i].vcpu, 60000);	/* a lost rendezvous ends here */
	}
	for (int i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT(!pthread_create(&t[i].th, NULL, run_ident, &t[i]), "pthread_create");
	for (int i = 0; i < NR_VCPUS; i++)
		pthread_join(t[i].th, NULL);

	for (int i = 0; i < NR_VCPUS; i++) {
		struct kvm_vcpu *vcpu = t[i].vcpu;
		const struct ucall *uc = &t[i].first;
		struct x86_tss64 *tss = addr_gpa2hva(vm, vcpu->arch.tss_gpa);
		struct kvm_segment seg;
		uint64_t want[2];

		x86_segment_tss(&seg, GDT_TSS_SEL(i), vcpu->arch.tss_gpa, sizeof(*tss) - 1);
		x86_encode_tss_desc(&seg, want);
		ktap_result(t[i].syncs_in_order == NR_SYNCS - 1 && t[i].done,
			    "vCPU %d: %d of %d ucalls its own and in order, then DONE, while vCPU %d ran too",
			    i, t[i].syncs_in_order + 1, NR_SYNCS, 1 - i);
		ktap_result(uc->args[0] == (uint64_t)i && uc->args[2] == (uint64_t)GDT_TSS_SEL(i) &&
			    uc->args[3] == want[0] && uc->args[4] == want[1],
			    "vCPU %d: TR 0x%" PRIx64 " (want 0x%x) names a descriptor for its own TSS at 0x%" PRIx64
			    " (GDT has 0x%016" PRIx64 "%016" PRIx64 ")", i, uc->args[2], GDT_TSS_SEL(i),
			    vcpu->arch.tss_gpa, uc->args[4], uc->args[3]);
		ktap_result(tss->rsp0 == vcpu->arch.stack_top_gva &&
			    uc->args[5] < vcpu->arch.stack_top_gva && uc->args[5] > vcpu->arch.stack_top_gva - 4096,
			    "vCPU %d: its TSS.RSP0 is its kernel stack top 0x%" PRIx64 ", where its frame 0x%" PRIx64 " is",
			    i, vcpu->arch.stack_top_gva, uc->args[5]);
	}
	ktap_result(t[0].vcpu->arch.tss_gpa != t[1].vcpu->arch.tss_gpa &&
		    t[0].vcpu->arch.stack_top_gva != t[1].vcpu->arch.stack_top_gva,
		    "the two vCPUs have distinct TSSs and stacks");
	kvm_vm_free(vm);
}

static void count_write(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)offset; (void)data; (void)len;
	if (is_write)
		__atomic_fetch_add((uint64_t *)opaque, 1, __ATOMIC_SEQ_CST);
}

static void *run_until_stopped(void *arg)
{
	struct vcpu_thread *t = arg;

	t->stop = vcpu_run(t->vcpu);
	return NULL;
}

static void nothing(int sig) { (void)sig; }

/* Polls *count until it exceeds floor: a liveness bound, not a timing one. */
static bool wait_past(const uint64_t *count, uint64_t floor)
{
	for (int i = 0; i < 30000; i++) {
		if (__atomic_load_n(count, __ATOMIC_SEQ_CST) > floor)
			return true;
		usleep(1000);
	}
	return false;
}

static void phase_stop(void)
{
	struct kvm_vm *vm = vm_create(NULL);
	struct kvm_vcpu *v0 = vm_vcpu_add(vm, guest_ident);
	struct vcpu_thread t1 = { .vcpu = vm_vcpu_add(vm, guest_mmio_loop) };
	struct sigaction sa = { .sa_handler = nothing };
	uint64_t writes = 0, at_done;
	bool reached, still_running;
	struct ucall uc;

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	TEST_ASSERT(!bus_register(vm, BUS_MMIO, SPIN_BASE, 0x1000, count_write, &writes), "bus_register");
	vcpu_set_entry(t1.vcpu, guest_mmio_loop, 0, 1, SPIN_BASE);
	vcpu_set_watchdog_ms(t1.vcpu, 0);	/* only a stop request may end this run */
	TEST_ASSERT(vcpu_run_ucall(t1.vcpu, &uc) == UCALL_SYNC, "vCPU 1 did not start");
	TEST_ASSERT(!pthread_create(&t1.th, NULL, run_until_stopped, &t1), "pthread_create");
	TEST_ASSERT(wait_past(&writes, 0), "vCPU 1 made no MMIO exit in 30 s");

	/* vCPU 0 enters and leaves vcpu_run() NR_SYNCS + 1 times meanwhile. */
	__atomic_store_n(guest_hva(vm, &rendezvous), NR_VCPUS, __ATOMIC_SEQ_CST);
	vcpu_set_entry(v0, guest_ident, 0, 1, 0ULL);
	while (vcpu_run_ucall(v0, &uc) == UCALL_SYNC)
		;
	at_done = __atomic_load_n(&writes, __ATOMIC_SEQ_CST);
	still_running = wait_past(&writes, at_done);
	ktap_result(uc.type == UCALL_DONE && still_running,
		    "vCPU 0 ran to DONE; vCPU 1 kept running after it (%" PRIu64 " MMIO writes at vCPU 0's DONE)",
		    at_done);

	vcpu_request_stop();
	reached = __atomic_load_n(&t1.vcpu->run->immediate_exit, __ATOMIC_SEQ_CST) == 1;
	ktap_result(reached, "a stop request after vCPU 0's return still reaches vCPU 1 (immediate_exit %u)",
		    t1.vcpu->run->immediate_exit);
	/* If the request missed it, kick it out of KVM_RUN until it sees the
	 * flag (a signal that lands while it serves an exit is lost). */
	while (!reached && pthread_tryjoin_np(t1.th, NULL)) {
		pthread_kill(t1.th, SIGUSR1);
		usleep(10000);
	}
	if (reached)
		pthread_join(t1.th, NULL);
	ktap_result(t1.stop == VCPU_STOP_REQUESTED, "vCPU 1's vcpu_run() returns VCPU_STOP_REQUESTED (got %d)",
		    t1.stop);
	vcpu_clear_stop_request();
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(3 * NR_VCPUS + 1 + 3);
	phase_concurrent();
	phase_stop();
	return ktap_exit_code();
}
