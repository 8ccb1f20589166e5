// SPDX-License-Identifier: GPL-2.0
/*
 * The exit loop. KVM_RUN, then serve MMIO/PIO exits from the bus and go
 * straight back in; return to the caller only for a ucall or an exit the
 * library does not handle. This loop is on the measured path of every
 * trapped exit: no allocation, no syscalls besides KVM_RUN.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kvm_util.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define WATCHDOG_SIGNAL (SIGRTMIN + 3)

static volatile sig_atomic_t stop_requested;
/* The kvm_run of every vCPU inside vcpu_run(), one slot each, so that a
 * stop request reaches all of them and one vCPU returning does not hide
 * another. Claimed and released with atomics: vcpu_request_stop() may run
 * in a signal handler, so no lock. */
#define RUNNING_SLOTS 64
static struct kvm_run *running[RUNNING_SLOTS];

static int running_claim(struct kvm_run *run)
{
	for (int i = 0; i < RUNNING_SLOTS; i++) {
		struct kvm_run *none = NULL;

		if (__atomic_compare_exchange_n(&running[i], &none, run, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return i;
	}
	TEST_FAIL("more than %d vCPUs inside vcpu_run() at once", RUNNING_SLOTS);
}

void vcpu_request_stop(void)
{
	stop_requested = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int i = 0; i < RUNNING_SLOTS; i++) {
		struct kvm_run *run = __atomic_load_n(&running[i], __ATOMIC_SEQ_CST);

		if (run)
			run->immediate_exit = 1;
	}
}

void vcpu_clear_stop_request(void)
{
	stop_requested = 0;
}

bool vcpu_stop_requested(void)
{
	return stop_requested;
}

static inline uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct watchdog {
	timer_t timer;
	pid_t tid;
	volatile sig_atomic_t fired;
	struct kvm_run *run;
};

static void watchdog_signal(int sig, siginfo_t *si, void *uc)
{
	struct watchdog *wd = si->si_value.sival_ptr;

	(void)sig;
	(void)uc;
	if (!wd)
		return;
	wd->fired = 1;
	/* KVM_RUN returns -EINTR now, or at once if entered after this. */
	wd->run->immediate_exit = 1;
}

static struct watchdog *watchdog_get(struct kvm_vcpu *vcpu)
{
	struct watchdog *wd = vcpu->watchdog;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	static bool handler_installed;

	if (wd && wd->tid == tid)
		return wd;
	if (!handler_installed) {
		struct sigaction sa = { .sa_sigaction = watchdog_signal, .sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		TEST_ASSERT(!sigaction(WATCHDOG_SIGNAL, &sa, NULL), "sigaction");
		handler_installed = true;
	}
	if (wd) {	/* the vCPU moved to another thread */
		timer_delete(wd->timer);
	} else {
		wd = calloc(1, sizeof(*wd));
		TEST_ASSERT(wd, "calloc");
		vcpu->watchdog = wd;
	}
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = WATCHDOG_SIGNAL };

	sev.sigev_value.sival_ptr = wd;
	sev.sigev_notify_thread_id = tid;
	wd->tid = tid;
	wd->run = vcpu->run;
	TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &wd->timer), "timer_create");
	return wd;
}

static void watchdog_arm(struct kvm_vcpu *vcpu, unsigned int ms)
{
	struct watchdog *wd = watchdog_get(vcpu);
	/* Re-fires every 100 ms so a signal lost to a race cannot hang us. */
	struct itimerspec its = {
		.it_value = { ms / 1000, (long)(ms % 1000) * 1000000L },
		.it_interval = { 0, 100 * 1000000L },
	};

	wd->fired = 0;
	TEST_ASSERT(!timer_settime(wd->timer, 0, &its, NULL), "timer_settime");
}

static void watchdog_disarm(struct kvm_vcpu *vcpu)
{
	struct watchdog *wd = vcpu->watchdog;
	struct itimerspec off = { 0 };

	if (wd)
		timer_settime(wd->timer, 0, &off, NULL);
	if (!stop_requested)
		vcpu->run->immediate_exit = 0;
}

void vcpu_watchdog_free(struct kvm_vcpu *vcpu)
{
	struct watchdog *wd = vcpu->watchdog;

	if (!wd)
		return;
	timer_delete(wd->timer);
	free(wd);
	vcpu->watchdog = NULL;
}

void vcpu_set_watchdog_ms(struct kvm_vcpu *vcpu, unsigned int ms)
{
	vcpu->watchdog_ms = ms;
}

static void handle_io(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	const struct bus_range *r;

	r = bus_find(vcpu->vm->pio, vcpu->vm->nr_pio, run->io.port, run->io.size);
	if (!r) {
		vm_unclaimed_access(vcpu->vm, BUS_PIO, run->io.port, data, run->io.size,
				    run->io.count, is_write);
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		r->fn(r->opaque, run->io.port - r->base, data, run->io.size, is_write);
}

/* Returns true for a ucall, which vcpu_run() hands back to its caller. */
static bool handle_mmio(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	const struct bus_range *r;

	if (run->mmio.phys_addr == UCALL_MMIO_ADDR && run->mmio.is_write && run->mmio.len == 8) {
		uint64_t gpa;
		const void *src;

		memcpy(&gpa, run->mmio.data, 8);
		src = gmem_ptr(&vcpu->vm->mem, gpa, sizeof(struct ucall));
		TEST_ASSERT(src, "ucall from a bad guest address 0x%llx", (unsigned long long)gpa);
		memcpy(&vcpu->ucall, src, sizeof(struct ucall));
		return true;
	}
	r = bus_find(vcpu->vm->mmio, vcpu->vm->nr_mmio, run->mmio.phys_addr, run->mmio.len);

	if (!r) {	/* e.g. the half of a page-crossing access past a window */
		vm_unclaimed_access(vcpu->vm, BUS_MMIO, run->mmio.phys_addr, run->mmio.data,
				    run->mmio.len, 1, run->mmio.is_write);
		return false;
	}
	r->fn(r->opaque, run->mmio.phys_addr - r->base, run->mmio.data, run->mmio.len,
	      run->mmio.is_write);
	return false;
}

/* The raw reference loop's exits: its own address, written, nothing more. */
static inline bool raw_exit_matches(const struct kvm_vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;

	if (!vcpu->raw_exit.pio)
		return run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
		       run->mmio.phys_addr == vcpu->raw_exit.mmio_addr;
	return run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
	       run->io.port == vcpu->raw_exit.port;
}

static enum vcpu_stop vcpu_stop(struct kvm_vcpu *vcpu, int slot, enum vcpu_stop why)
{
	watchdog_disarm(vcpu);
	__atomic_store_n(&running[slot], NULL, __ATOMIC_SEQ_CST);
	return why;
}

enum vcpu_stop vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t returned_at = 0;
	int slot;

	if (vcpu->watchdog_ms)
		watchdog_arm(vcpu, vcpu->watchdog_ms);
	slot = running_claim(run);
	if (stop_requested)
		return vcpu_stop(vcpu, slot, VCPU_STOP_REQUESTED);
	for (;;) {
		int r;

		if (returned_at && vcpu->user_ticks_n < vcpu->user_ticks_cap)
			vcpu->user_ticks[vcpu->user_ticks_n++] = (uint32_t)(host_rdtsc() - returned_at);
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		if (vcpu->raw_exit.on && r == 0 && raw_exit_matches(vcpu)) {
			vcpu->raw_exit.seen++;
			returned_at = 0;
			continue;
		}
		returned_at = vcpu->user_ticks ? host_rdtsc() : 0;
		if (r < 0) {
			struct watchdog *wd = vcpu->watchdog;

			TEST_ASSERT(errno == EINTR || errno == EAGAIN, "KVM_RUN failed");
			returned_at = 0;
			if (stop_requested)
				return vcpu_stop(vcpu, slot, VCPU_STOP_REQUESTED);
			if (wd && wd->fired && vcpu->watchdog_ms)
				return vcpu_stop(vcpu, slot, VCPU_STOP_WATCHDOG);
			run->immediate_exit = 0;
			continue;
		}
		vcpu->exits_seen++;
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			if (handle_mmio(vcpu))
				return vcpu_stop(vcpu, slot, VCPU_STOP_UCALL);
			continue;
		case KVM_EXIT_IO:
			handle_io(vcpu);
			continue;
		default:
			return vcpu_stop(vcpu, slot, VCPU_STOP_EXIT);
		}
	}
}
