// SPDX-License-Identifier: GPL-2.0
/*
 * How long from process start to the guest's first ucall, and where it
 * goes: exec and dynamic loading (from /proc/self/stat, clock-tick
 * resolution), then /dev/kvm, VM creation (RAM, irqchip, loading this
 * binary into the guest, page tables), vCPU creation and the first KVM_RUN.
 * Reported as KTAP diagnostics, never asserted; a second VM shows the warm
 * cost. The cases only check that the guest got there.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "kvm_util.h"

GUEST_CODE static void guest_code(void)
{
	GUEST_SYNC(guest_cpl());
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Process age in ns at the moment of the call, from the start time in
 * /proc/self/stat (field 22, clock ticks since boot), or -1. */
static int64_t process_age_ns(void)
{
	char buf[1024], *p;
	unsigned long long start_ticks;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t boot_ns = now_ns(CLOCK_BOOTTIME);
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may contain spaces */
	if (!p || hz <= 0)
		return -1;
	/* After ")": field 3 (state) is first; starttime is field 22. */
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &start_ticks) != 1)
		return -1;
	return (int64_t)boot_ns - (int64_t)(start_ticks * (1000000000ULL / (uint64_t)hz));
}

struct phases {
	uint64_t open_ns, vm_ns, vcpu_ns, entry_ns, run_ns;
	uint64_t ucall_at_ns;	/* CLOCK_MONOTONIC when the first ucall arrived */
	uint64_t free_ns;
};

static bool first_ucall(unsigned int cpl, struct phases *ph)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), t1, t2, t3, t4, t5;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	kvm_open_or_skip();
	t1 = now_ns(CLOCK_MONOTONIC);
	vm = vm_create(NULL);
	t2 = now_ns(CLOCK_MONOTONIC);
	vcpu = vm_vcpu_add(vm, guest_code);
	t3 = now_ns(CLOCK_MONOTONIC);
	vcpu_set_entry(vcpu, guest_code, cpl, 0);
	t4 = now_ns(CLOCK_MONOTONIC);
	ok = vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == cpl;
	t5 = now_ns(CLOCK_MONOTONIC);
	ph->open_ns = t1 - t0;
	ph->vm_ns = t2 - t1;
	ph->vcpu_ns = t3 - t2;
	ph->entry_ns = t4 - t3;
	ph->run_ns = t5 - t4;
	ph->ucall_at_ns = t5;
	kvm_vm_free(vm);
	ph->free_ns = now_ns(CLOCK_MONOTONIC) - t5;
	return ok;
}

static void report(const char *what, const struct phases *ph)
{
	ktap_diag("%s: open /dev/kvm %.3f ms, vm_create %.3f ms, vcpu add %.3f ms, set entry %.3f ms, "
		  "first KVM_RUN to ucall %.3f ms (then kvm_vm_free %.3f ms)", what, ph->open_ns / 1e6,
		  ph->vm_ns / 1e6, ph->vcpu_ns / 1e6, ph->entry_ns / 1e6, ph->run_ns / 1e6, ph->free_ns / 1e6);
}

int main(void)
{
	uint64_t t_main = now_ns(CLOCK_MONOTONIC);
	int64_t age_at_main_ns;
	struct phases cold, warm3, warm0;
	bool ok;

	ok = first_ucall(0, &cold);	/* first thing: nothing else in the way */
	age_at_main_ns = process_age_ns();
	if (age_at_main_ns >= 0)
		age_at_main_ns -= (int64_t)(now_ns(CLOCK_MONOTONIC) - t_main);
	ktap_plan(3);
	report("cold, CPL0", &cold);
	if (age_at_main_ns >= 0)
		ktap_diag("process start -> main(): %.1f ms (resolution %.0f ms: /proc/self/stat clock ticks)",
			  age_at_main_ns / 1e6, 1000.0 / (double)sysconf(_SC_CLK_TCK));
	else
		ktap_diag("process start -> main(): unknown (/proc/self/stat unreadable)");
	ktap_diag("main() -> first guest ucall: %.3f ms", (cold.ucall_at_ns - t_main) / 1e6);
	if (age_at_main_ns >= 0)
		ktap_diag("process start -> first guest ucall: %.1f ms",
			  (age_at_main_ns + (int64_t)(cold.ucall_at_ns - t_main)) / 1e6);
	ktap_result(ok, "cold: the CPL0 guest reached its first ucall");

	ok = first_ucall(0, &warm0);
	report("warm, CPL0", &warm0);
	ktap_result(ok, "warm: a second VM's CPL0 guest reached its first ucall");
	ok = first_ucall(3, &warm3);
	report("warm, CPL3", &warm3);
	ktap_result(ok, "warm: a CPL3 guest reached its first ucall");
	return ktap_exit_code();
}
