// SPDX-License-Identifier: GPL-2.0
/*
 * The watchdog: a guest that never makes a ucall (spinning at CPL3 natively,
 * at CPL0 in the interpreter) makes vcpu_run() return VCPU_STOP_WATCHDOG
 * once vcpu_set_watchdog_ms() allows no more; the vCPU is then still usable
 * (a new entry runs to DONE) and the VM is freed cleanly. No timing is
 * asserted: only that the run returns, and why.
 */
#include <dirent.h>
#include <string.h>

#include "guest.h"
#include "kvm_util.h"

/* Entries in a /proc/self listing: open fds, or POSIX timers ("ID:" lines). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	TEST_ASSERT(d, "opendir /proc/self/fd");
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static int count_timers(void)
{
	FILE *f = fopen("/proc/self/timers", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "ID:", 3);
	fclose(f);
	return n;
}

GUEST_CODE static void guest_spin(void)
{
	GUEST_SYNC(guest_cpl());
	for (;;)
		cpu_relax();
}

GUEST_CODE static void guest_quick(uint64_t v)
{
	GUEST_SYNC(v + 1);
}

static void test_spin(unsigned int cpl)
{
	int fds_before = count_fds(), timers_before = count_timers(), fds_after, timers_after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_spin);
	enum vcpu_stop stop;
	struct ucall uc;

	vcpu_set_entry(vcpu, guest_spin, cpl, 0);
	vcpu_set_watchdog_ms(vcpu, 300);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == cpl, "guest did not start");
	stop = vcpu_run(vcpu);
	ktap_result(stop == VCPU_STOP_WATCHDOG,
		    "CPL%u: a spinning guest makes vcpu_run() return VCPU_STOP_WATCHDOG (got %d)", cpl, stop);
	ktap_result(vcpu->run->immediate_exit == 0,
		    "CPL%u: immediate_exit is cleared after the watchdog stop", cpl);

	/* The vCPU survives: a fresh entry runs normally. */
	vcpu_set_entry(vcpu, guest_quick, cpl, 1, 41ULL);
	ktap_result(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 42 &&
		    vcpu_run_ucall(vcpu, &uc) == UCALL_DONE,
		    "CPL%u: the vCPU runs a new entry to completion after a watchdog stop", cpl);
	ktap_diag("CPL%u: POSIX timers while the vCPU exists: %d", cpl, count_timers());
	kvm_vm_free(vm);
	fds_after = count_fds();
	timers_after = count_timers();
	ktap_result(fds_after == fds_before && timers_after == timers_before,
		    "CPL%u: freeing the VM after a watchdog stop releases its fds (%d -> %d) and timer (%d -> %d)",
		    cpl, fds_before, fds_after, timers_before, timers_after);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(8);
	test_spin(3);
	test_spin(0);
	return ktap_exit_code();
}
