// SPDX-License-Identifier: GPL-2.0
/*
 * KVM binary statistics and the TSC as the harness exposes them: VM and
 * vCPU stats read by name (what kvm_stats_foreach lists), -1 for an unknown
 * name, exit counters that grow by at least N after N trapped MMIO writes;
 * the TSC frequency as KVM reports it, and the TSC offset (when this kernel
 * has the attribute) putting a guest rdtsc between host readings taken
 * around the run, on one time base. Where KVM considers the host TSC
 * unstable (it then rewrites the offset at every vCPU load: kvm_stats
 * cannot put host and guest on one time base, e.g. kvm_amd in QEMU TCG),
 * what is checked instead is that the guest's TSC only moves forward and
 * that a written offset moves it by the written amount.
 */
#include <inttypes.h>
#include <string.h>

#include "guest.h"
#include "kvm_util.h"

#define N_WRITES	20
#define TSC_SHIFT_TICKS	1000000000000LL	/* minutes at GHz rates: unmistakable */

GUEST_CODE static void guest_writes(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		mmio_write32(TEST_MMIO_BASE, (uint32_t)i);
	GUEST_DONE();
}

GUEST_CODE static void guest_tsc(void)
{
	GUEST_SYNC(rdtsc_fenced());
}

static void sink(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)offset;
	(void)data;
	(void)len;
	if (is_write)
		(*(uint64_t *)opaque)++;
}

struct listing {
	const char *prefix;
	int n;
	char first[64];
	uint64_t first_value;
};

static void list_stat(void *ctx, const char *name, uint64_t value)
{
	struct listing *l = ctx;

	if (!l->n++) {
		snprintf(l->first, sizeof(l->first), "%s", name);
		l->first_value = value;
	}
	ktap_diag("%s %s = %" PRIu64, l->prefix, name, value);
}

static void test_by_name(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct listing vml = { "vm", 0, "", 0 }, vcl = { "vcpu", 0, "", 0 };

	kvm_stats_foreach(vm->stats_fd, list_stat, &vml);
	kvm_stats_foreach(vcpu->stats_fd, list_stat, &vcl);
	ktap_result(vml.n > 0 && vm_stat(vm, vml.first) >= 0,
		    "VM statistics readable by name (%d offered; %s = %" PRId64 ")", vml.n, vml.first,
		    vml.n ? vm_stat(vm, vml.first) : -1);
	ktap_result(vcl.n > 0 && vcpu_stat(vcpu, vcl.first) >= 0 && vcpu_stat(vcpu, "exits") >= 0,
		    "vCPU statistics readable by name (%d offered; %s = %" PRId64 ", exits = %" PRId64 ")",
		    vcl.n, vcl.first, vcl.n ? vcpu_stat(vcpu, vcl.first) : -1, vcpu_stat(vcpu, "exits"));
	ktap_result(vm_stat(vm, "no_such_statistic") == -1 && vcpu_stat(vcpu, "no_such_statistic") == -1 &&
		    vcpu_stat(vcpu, "") == -1,
		    "an unknown statistic name gives -1 (VM and vCPU)");
}

static void test_exit_counters(struct kvm_vm *vm, struct kvm_vcpu *vcpu, unsigned int cpl)
{
	static const char *const names[] = { "exits", "mmio_exits" };
	int64_t before[2], after[2];
	uint64_t writes = 0, seen0;

	TEST_ASSERT(!bus_register(vm, BUS_MMIO, TEST_MMIO_BASE, 0x1000, sink, &writes), "bus_register");
	for (int i = 0; i < 2; i++)
		before[i] = vcpu_stat(vcpu, names[i]);
	seen0 = vcpu->exits_seen;
	vcpu_set_entry(vcpu, guest_writes, cpl, 1, (uint64_t)N_WRITES);
	vcpu_run_to_done(vcpu);
	for (int i = 0; i < 2; i++)
		after[i] = vcpu_stat(vcpu, names[i]);
	TEST_ASSERT(!bus_unregister(vm, BUS_MMIO, TEST_MMIO_BASE), "bus_unregister");
	ktap_diag("CPL%u: %d trapped writes (handler saw %" PRIu64 ", exits_seen +%" PRIu64 "): exits +%" PRId64
		  ", mmio_exits +%" PRId64, cpl, N_WRITES, writes, vcpu->exits_seen - seen0,
		  after[0] - before[0], after[1] - before[1]);
	for (int i = 0; i < 2; i++) {
		if (before[i] < 0) {
			ktap_result_skip("this kernel has no such vCPU statistic", "CPL%u: %s grows by >= %d",
					 cpl, names[i], N_WRITES);
			continue;
		}
		ktap_result(writes == N_WRITES && after[i] - before[i] >= N_WRITES,
			    "CPL%u: %s grows by >= %d after %d trapped MMIO writes (+%" PRId64 ")", cpl,
			    names[i], N_WRITES, N_WRITES, after[i] - before[i]);
	}
}

static uint64_t guest_tsc_once(struct kvm_vcpu *vcpu, unsigned int cpl, uint64_t *t0, uint64_t *t1)
{
	struct ucall uc;
	uint64_t g;

	vcpu_set_entry(vcpu, guest_tsc, cpl, 0);
	*t0 = rdtsc_fenced();
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "expected the guest TSC");
	*t1 = rdtsc_fenced();
	g = uc.args[0];
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "guest did not finish");
	return g;
}

/* One time base: the guest's rdtsc lies between host readings + offset. */
static void check_tsc_between(struct kvm_vcpu *vcpu, const char *what)
{
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3) {
		uint64_t t0, t1, g;
		int64_t offset;

		TEST_ASSERT(vcpu_tsc_offset(vcpu, &offset), "the TSC offset went away");
		g = guest_tsc_once(vcpu, cpl, &t0, &t1);
		ktap_diag("CPL%u: host %" PRIu64 " + offset %" PRId64 " <= guest %" PRIu64 " <= host %" PRIu64
			  " + offset (guest - host before: %" PRId64 " ticks)", cpl, t0, offset, g, t1,
			  (int64_t)(g - (t0 + (uint64_t)offset)));
		ktap_result(t0 + (uint64_t)offset <= g && g <= t1 + (uint64_t)offset,
			    "CPL%u: guest rdtsc lies between host readings + offset (%s)", cpl, what);
	}
}

/*
 * No one time base (KVM rewrites the offset at each vCPU load, see
 * vcpu_tsc_one_time_base()): what still holds is that the guest's TSC never
 * goes backwards from one run to the next (KVM resumes it from
 * last_guest_tsc), and, with shift, that a written offset moves it by the
 * written amount (the write sets last_guest_tsc, which the next load keeps).
 * The bound on the shift is a tenth of it, i.e. tens of seconds of TSC: a
 * check of where the TSC is, not of how long anything took.
 */
static void check_tsc_unstable(struct kvm_vcpu *vcpu, int64_t shift, const char *what)
{
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3) {
		uint64_t t0, t1, g0, g1;
		int64_t offset, d;
		struct kvm_device_attr attr = {
			.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
			.addr = (uint64_t)(uintptr_t)&offset,
		};

		g0 = guest_tsc_once(vcpu, cpl, &t0, &t1);
		if (shift) {
			TEST_ASSERT(vcpu_tsc_offset(vcpu, &offset), "the TSC offset went away");
			offset += shift;
			TEST_ASSERT(!__vcpu_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &attr), "KVM_SET_DEVICE_ATTR TSC offset");
		}
		g1 = guest_tsc_once(vcpu, cpl, &t0, &t1);
		d = (int64_t)(g1 - g0);
		ktap_diag("CPL%u: guest TSC %" PRIu64 " then %" PRIu64 " (+%" PRId64 ", written shift %" PRId64 ")",
			  cpl, g0, g1, d, shift);
		if (shift)
			ktap_result(d >= shift - shift / 10 && d <= shift + shift / 10,
				    "CPL%u: a written TSC offset moves the guest's TSC by it (%s)", cpl, what);
		else
			ktap_result(d > 0, "CPL%u: the guest's TSC moves forward from one run to the next (%s)",
				    cpl, what);
	}
}

static void test_tsc(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	uint32_t khz = vcpu_tsc_khz(vcpu);
	int raw = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	int vm_khz = kvm_check_cap(KVM_CAP_VM_TSC_CONTROL) ? ioctl(vm->fd, KVM_GET_TSC_KHZ, 0) : -1;
	int64_t offset;
	char why[300];
	bool one_base;

	ktap_diag("TSC: vcpu_tsc_khz %u, vCPU KVM_GET_TSC_KHZ %d, VM KVM_GET_TSC_KHZ %d%s", khz, raw, vm_khz,
		  vm_khz < 0 ? " (no KVM_CAP_VM_TSC_CONTROL)" : "");
	ktap_result(khz > 0 && raw == (int)khz && (vm_khz < 0 || vm_khz == (int)khz),
		    "vcpu_tsc_khz() is positive and equals KVM_GET_TSC_KHZ (%u kHz)", khz);

	if (!vcpu_tsc_offset(vcpu, &offset)) {
		ktap_result_skip("KVM_VCPU_TSC_OFFSET attribute absent on this kernel",
				 "vcpu_tsc_offset() reads the offset");
		for (unsigned int cpl = 0; cpl <= 3; cpl += 3)
			ktap_result_skip("no TSC offset: host and guest TSC cannot be put on one time base",
					 "CPL%u: guest rdtsc lies between host readings + offset (as created)", cpl);
		for (unsigned int cpl = 0; cpl <= 3; cpl += 3)
			ktap_result_skip("no TSC offset attribute",
					 "CPL%u: guest rdtsc lies between host readings + offset (shifted)", cpl);
		return;
	}
	ktap_result(true, "vcpu_tsc_offset() reads the offset (%" PRId64 ")", offset);
	one_base = vcpu_tsc_one_time_base(vcpu, why, sizeof(why));
	if (!one_base) {
		/* Not a skip: the platform's TSC behaves differently, and
		 * that behaviour is what is checked. */
		ktap_diag("no one time base: %s", why);
		check_tsc_unstable(vcpu, 0, "as created, unstable host TSC");
		check_tsc_unstable(vcpu, TSC_SHIFT_TICKS, "shifted, unstable host TSC");
		return;
	}
	check_tsc_between(vcpu, "as created");

	/* Move the guest's TSC by a known amount: the readings must follow. */
	{
		int64_t want = offset + TSC_SHIFT_TICKS, got = 0;
		struct kvm_device_attr attr = {
			.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
			.addr = (uint64_t)(uintptr_t)&want,
		};
		int r;

		TEST_ASSERT(vcpu_tsc_offset(vcpu, &offset), "the TSC offset went away");
		want = offset + TSC_SHIFT_TICKS;
		r = __vcpu_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &attr);
		vcpu_tsc_offset(vcpu, &got);
		ktap_diag("KVM_SET_DEVICE_ATTR TSC offset %" PRId64 ": rc %d, reads back %" PRId64, want, r, got);
		if (r || got != want) {
			char msg[200];

			snprintf(msg, sizeof(msg), "this hypervisor does not apply a written TSC offset "
				 "(set %" PRId64 ": rc %d, reads back %" PRId64 ")", want, r, got);
			for (unsigned int cpl = 0; cpl <= 3; cpl += 3)
				ktap_result_skip(msg, "CPL%u: guest rdtsc lies between host readings + offset (shifted)", cpl);
			return;
		}
		check_tsc_between(vcpu, "shifted");
	}
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_BINARY_STATS_FD);
	ktap_plan(3 + 2 * 2 + 1 + 1 + 2 + 2);
	vm = vm_create_with_vcpu(&vcpu, guest_writes);
	TEST_ASSERT(vm->stats_fd >= 0 && vcpu->stats_fd >= 0, "KVM_GET_STATS_FD");
	test_by_name(vm, vcpu);
	test_exit_counters(vm, vcpu, 0);
	test_exit_counters(vm, vcpu, 3);
	test_tsc(vm, vcpu);
	kvm_vm_free(vm);
	return ktap_exit_code();
}
