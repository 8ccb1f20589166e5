// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: a matching guest write signals the eventfd inside KVM and
 * never reaches userspace; a write that does not match (other data, other
 * width, other address) exits to the bus handler exactly once; after a
 * deassign every write exits again. Variants: MMIO with datamatch (len 4),
 * MMIO without datamatch (len 4), MMIO of any length (len 0, needs
 * KVM_CAP_IOEVENTFD_ANY_LENGTH), PIO with datamatch. MMIO at CPL0 and CPL3,
 * PIO at CPL0 (CPL3 port I/O depends on IOPL: see pio_exits).
 *
 * "No userspace exit" is shown two ways: vcpu->exits_seen (every exit the
 * library loop handled) grows only by the final ucall, and KVM's own
 * mmio_exits/io_exits statistic agrees where this kernel offers it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "guest.h"
#include "kvm_util.h"
#include "platform.h"

#define N_MATCH		16	/* writes KVM must absorb */
#define N_MISS		3	/* writes that must exit */
#define MATCH_DATA	0x1234abcdU
#define MMIO_ADDR	(TEST_MMIO_BASE + 0x100)
#define PIO_ADDR	(TEST_PIO_PORT + 4)

/* kind: access width in bytes (1/2/4/8; 0 = cycle through 1, 2, 4, 8),
 * plus KIND_PIO for port I/O. */
#define KIND_PIO	0x100

GUEST_CODE static void guest_writes(uint64_t addr, uint64_t data, uint64_t n, uint64_t kind)
{
	static const uint8_t cycle[4] = { 1, 2, 4, 8 };

	for (uint64_t i = 0; i < n; i++) {
		uint32_t w = kind & 0xff;

		if (!w)
			w = cycle[i & 3];
		if (kind & KIND_PIO) {
			if (w == 1)
				outb((uint16_t)addr, (uint8_t)data);
			else if (w == 2)
				outw((uint16_t)addr, (uint16_t)data);
			else
				outl((uint16_t)addr, (uint32_t)data);
		} else if (w == 1) {
			mmio_write8(addr, (uint8_t)data);
		} else if (w == 2) {
			mmio_write16(addr, (uint16_t)data);
		} else if (w == 4) {
			mmio_write32(addr, (uint32_t)data);
		} else {
			mmio_write64(addr, data);
		}
	}
	GUEST_DONE();
}

struct counter {
	struct kvm_vcpu *vcpu;
	uint64_t writes, reads;
	uint64_t last_addr, last_data;
	uint32_t last_len;
};

static void count_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct counter *c = opaque;
	struct kvm_run *run = c->vcpu->run;

	(void)offset;
	if (!is_write) {
		memset(data, 0, len);
		c->reads++;
		return;
	}
	c->writes++;
	c->last_len = len;
	c->last_data = 0;
	memcpy(&c->last_data, data, len < 8 ? len : 8);
	c->last_addr = run->exit_reason == KVM_EXIT_IO ? run->io.port : run->mmio.phys_addr;
}

struct variant {
	const char *name;
	bool pio;
	uint32_t len;		/* ioeventfd length; 0 = any */
	bool datamatch;
};

/* io_exits per ioeventfd-absorbed port write: 1 on VMX/SVM, 0 on PVM. */
static int pio_counted_per_write(void)
{
	static int v = -1;

	if (v < 0) {
		struct platform_info p;

		platform_collect(&p);
		v = strcmp(p.hypervisor, "PVM") != 0;
	}
	return v;
}

GUEST_CODE static void guest_report_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	GUEST_SYNC(f);
	GUEST_DONE();
}

/* The IOPL CPL3 code really runs with (PVM forces 0 whatever we set). */
static unsigned int cpl3_iopl(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_report_rflags);
	struct ucall uc;
	unsigned int iopl;

	vcpu_set_entry(vcpu, guest_report_rflags, 3, 0);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "expected the RFLAGS sync");
	iopl = (uc.args[0] >> 12) & 3;
	kvm_vm_free(vm);
	return iopl;
}

/* What exits the library saw and what KVM counted, around one run. */
struct snapshot {
	uint64_t exits_seen;
	int64_t exits, kind_exits;
};

static const char *kind_stat(const struct variant *v)
{
	return v->pio ? "io_exits" : "mmio_exits";
}

static void snap(struct kvm_vcpu *vcpu, const struct variant *v, struct snapshot *s)
{
	s->exits_seen = vcpu->exits_seen;
	s->exits = vcpu_stat(vcpu, "exits");
	s->kind_exits = vcpu_stat(vcpu, kind_stat(v));
}

static uint64_t eventfd_count(int efd)
{
	uint64_t v;
	ssize_t r = read(efd, &v, sizeof(v));

	if (r < 0 && errno == EAGAIN)
		return 0;
	TEST_ASSERT(r == sizeof(v), "read eventfd");
	return v;
}

static void run_writes(struct kvm_vcpu *vcpu, unsigned int cpl, uint64_t addr, uint64_t data,
		       uint64_t n, uint64_t kind)
{
	vcpu_set_entry(vcpu, guest_writes, cpl, 4, addr, data, n, kind);
	vcpu_run_to_done(vcpu);
}

#define CASES_PER_RUN 6

static void test_variant(const struct variant *v, unsigned int cpl)
{
	uint64_t addr = v->pio ? PIO_ADDR : MMIO_ADDR;
	uint64_t kind = (v->pio ? KIND_PIO : 0) | v->len;
	struct ioeventfd_spec spec = {
		.addr = addr, .len = v->len, .pio = v->pio, .datamatch = v->datamatch, .data = MATCH_DATA,
	};
	struct counter c = { 0 };
	struct snapshot s0, s1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t n, miss_addr, miss_data, miss_kind, miss_len;
	char name[96];
	int efd;

	static const char *const what[CASES_PER_RUN] = {
		"matching writes signal the eventfd", "no userspace exit for matching writes",
		"KVM's exit statistic agrees",
		"a non-matching write exits once", "after deassign writes exit", "double deassign",
	};
	const char *skip = NULL;
	char why[96];
	int want_kind;

	snprintf(name, sizeof(name), "CPL%u %s", cpl, v->name);
	if (!v->len && !kvm_check_cap(KVM_CAP_IOEVENTFD_ANY_LENGTH))
		skip = "KVM lacks KVM_CAP_IOEVENTFD_ANY_LENGTH";
	if (v->pio && cpl == 3) {
		unsigned int iopl = cpl3_iopl();

		snprintf(why, sizeof(why), "this hypervisor runs CPL3 with IOPL=%u: port I/O raises #GP", iopl);
		if (iopl != 3)
			skip = why;
	}
	if (skip) {
		for (int i = 0; i < CASES_PER_RUN; i++)
			ktap_result_skip(skip, "%s: %s", name, what[i]);
		return;
	}
	vm = vm_create_with_vcpu(&vcpu, guest_writes);
	c.vcpu = vcpu;
	if (v->pio)
		TEST_ASSERT(!bus_register(vm, BUS_PIO, TEST_PIO_PORT, 16, count_access, &c), "bus_register");
	else
		TEST_ASSERT(!bus_register(vm, BUS_MMIO, TEST_MMIO_BASE, 0x1000, count_access, &c), "bus_register");
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	TEST_ASSERT(efd >= 0, "eventfd");
	vm_ioeventfd(vm, efd, &spec);

	/* 1. Matching writes: signalled in KVM, invisible to userspace. */
	snap(vcpu, v, &s0);
	run_writes(vcpu, cpl, addr, MATCH_DATA, N_MATCH, kind);
	snap(vcpu, v, &s1);
	n = eventfd_count(efd);
	ktap_diag("%s: %d matching writes: eventfd count %" PRIu64 ", handler writes %" PRIu64
		  ", exits_seen +%" PRIu64 ", stat exits +%" PRId64 ", %s +%" PRId64, name, N_MATCH, n,
		  c.writes, s1.exits_seen - s0.exits_seen, s1.exits - s0.exits, kind_stat(v),
		  s1.kind_exits - s0.kind_exits);
	ktap_result(n == N_MATCH && c.writes == 0,
		    "%s: %d matching writes signal the eventfd %d times, none reach the handler",
		    name, N_MATCH, N_MATCH);
	/* The only userspace exit is the final DONE ucall (an MMIO write). */
	ktap_result(s1.exits_seen - s0.exits_seen == 1,
		    "%s: no userspace exit for matching writes (exits_seen +%" PRIu64 ": the DONE ucall only)",
		    name, s1.exits_seen - s0.exits_seen);
	if (s0.kind_exits < 0)
		ktap_result_skip("this kernel has no such vCPU statistic",
				 "%s: KVM's %s agrees", name, kind_stat(v));
	else {
		/* MMIO: the DONE ucall only. PIO: one per absorbed write on
		 * VMX/SVM, none on PVM (see the top of this file). */
		want_kind = v->pio ? N_MATCH * pio_counted_per_write() : 1;
		ktap_result(s1.kind_exits - s0.kind_exits == want_kind,
			    "%s: KVM's %s agrees (+%" PRId64 ", want +%d: %s)", name, kind_stat(v),
			    s1.kind_exits - s0.kind_exits, want_kind,
			    !v->pio ? "the DONE ucall is MMIO" : want_kind ?
			    "VMX/SVM count each port-I/O exit, absorbed ones too" :
			    "PVM counts no port I/O");
	}

	/* 2. Writes that do not match exit to the handler, once each. */
	miss_addr = addr;
	miss_data = MATCH_DATA;
	miss_kind = kind;
	miss_len = v->len;
	if (v->datamatch) {
		miss_data = MATCH_DATA ^ 0xff00ff;	/* other data */
	} else if (v->len) {
		miss_kind = (kind & KIND_PIO) | 2;	/* other width */
		miss_len = 2;
	} else {
		miss_addr = addr + 8;			/* other address */
		miss_kind = 4;
		miss_len = 4;
	}
	snap(vcpu, v, &s0);
	run_writes(vcpu, cpl, miss_addr, miss_data, N_MISS, miss_kind);
	snap(vcpu, v, &s1);
	n = eventfd_count(efd);
	ktap_diag("%s: %d non-matching writes (addr 0x%" PRIx64 ", len %" PRIu64 ", data 0x%" PRIx64
		  "): handler writes %" PRIu64 " (last 0x%" PRIx64 " len %u data 0x%" PRIx64
		  "), eventfd %" PRIu64 ", exits_seen +%" PRIu64, name, N_MISS, miss_addr, miss_len,
		  miss_data, c.writes, c.last_addr, c.last_len, c.last_data, n, s1.exits_seen - s0.exits_seen);
	ktap_result(c.writes == N_MISS && n == 0 && c.last_addr == miss_addr && c.last_len == miss_len &&
		    c.last_data == (miss_data & (miss_len == 8 ? ~0ULL : (1ULL << (8 * miss_len)) - 1)) &&
		    s1.exits_seen - s0.exits_seen == N_MISS + 1,
		    "%s: a non-matching write exits to the bus handler exactly once (%d writes)", name, N_MISS);

	/* 3. Deassigned: the matching write exits again. */
	vm_ioeventfd_deassign(vm, efd, &spec);
	c.writes = 0;
	run_writes(vcpu, cpl, addr, MATCH_DATA, N_MISS, kind);
	n = eventfd_count(efd);
	ktap_result(c.writes == N_MISS && n == 0 && c.last_addr == addr,
		    "%s: after deassign, %d formerly matching writes exit to the handler (%" PRIu64 ")",
		    name, N_MISS, c.writes);
	/* A second deassign finds nothing. */
	ktap_result(__vm_ioeventfd(vm, efd, &spec, true) == -ENOENT,
		    "%s: deassigning twice fails with ENOENT", name);
	close(efd);
	kvm_vm_free(vm);
}

static void print_stat(void *ctx, const char *name, uint64_t value)
{
	(void)ctx;
	ktap_diag("  %s = %" PRIu64, name, value);
}

int main(void)
{
	static const struct variant variants[] = {
		{ "MMIO len 4 datamatch", false, 4, true },
		{ "MMIO len 4 any data", false, 4, false },
		{ "MMIO len 0 (any length)", false, 0, false },
		{ "PIO len 4 datamatch", true, 4, true },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_IOEVENTFD);
	ktap_plan(8 * CASES_PER_RUN);

	/* Which statistics this kernel offers, once, for the record. */
	vm = vm_create_with_vcpu(&vcpu, guest_writes);
	ktap_diag("vCPU statistics offered by this kernel:");
	kvm_stats_foreach(vcpu->stats_fd, print_stat, NULL);
	kvm_vm_free(vm);

	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		test_variant(&variants[i], 0);
		test_variant(&variants[i], 3);
	}
	return ktap_exit_code();
}
