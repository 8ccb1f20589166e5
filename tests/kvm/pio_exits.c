// SPDX-License-Identifier: GPL-2.0
/*
 * Trapped port I/O: OUT and IN of 1, 2 and 4 bytes to a bus-registered port
 * range reach the handler with the exact port, width, direction and data;
 * IN returns host-chosen data. At CPL0; at CPL3 only where the hypervisor
 * honours IOPL=3 (PVM forces IOPL=0 at CPL3: detected and skipped, and the
 * #GP that IN/OUT then raise is checked instead).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "guest.h"
#include "kvm_util.h"
#include "processor.h"

#define NR_PORTS	16
#define NR_WIDTHS	3

static const uint16_t port_offsets[NR_WIDTHS] = { 1, 2, 4 };
static const uint32_t widths[NR_WIDTHS] = { 1, 2, 4 };

uint32_t wr_data[NR_WIDTHS];
uint32_t rd_data[NR_WIDTHS];

extern char guest_cpl3_out_insn[];

GUEST_INLINE uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

GUEST_CODE static void guest_code(void)
{
	/* The host decides from RFLAGS whether CPL3 port I/O can work here. */
	GUEST_SYNC(read_rflags(), guest_cpl());
	outb(TEST_PIO_PORT + 1, (uint8_t)wr_data[0]);
	outw(TEST_PIO_PORT + 2, (uint16_t)wr_data[1]);
	outl(TEST_PIO_PORT + 4, wr_data[2]);
	GUEST_ASSERT_EQ(inb(TEST_PIO_PORT + 1), (uint8_t)rd_data[0]);
	GUEST_ASSERT_EQ(inw(TEST_PIO_PORT + 2), (uint16_t)rd_data[1]);
	GUEST_ASSERT_EQ(inl(TEST_PIO_PORT + 4), rd_data[2]);
	GUEST_DONE();
}

/* String I/O: one exit may carry several elements (kvm_run io.count);
 * the library must hand each one to the handler in order. */
#define STR_PORT	(TEST_PIO_PORT + 8)
#define STR_COUNT	4
uint16_t str_out[STR_COUNT];
uint16_t str_in[STR_COUNT];

GUEST_CODE static void guest_string_io(void)
{
	const uint16_t *src = str_out;
	uint16_t *dst = str_in;
	uint64_t n = STR_COUNT;

	__asm__ volatile("cld; rep outsw" : "+S"(src), "+c"(n) : "d"((uint16_t)STR_PORT) : "memory");
	n = STR_COUNT;
	__asm__ volatile("cld; rep insw" : "+D"(dst), "+c"(n) : "d"((uint16_t)STR_PORT) : "memory");
	GUEST_DONE();
}

/* Without IOPL=3, CPL3 OUT must raise #GP (never silently exit). */
GUEST_CODE static void guest_cpl3_out(void)
{
	__asm__ volatile(".globl guest_cpl3_out_insn\n guest_cpl3_out_insn: outb %0, %1"
			 :: "a"((uint8_t)0x5a), "Nd"((uint16_t)TEST_PIO_PORT) : "memory");
	GUEST_SYNC(0xbad);
}

struct access {
	uint16_t port, offset;
	uint32_t len, data;
	bool is_write;
};

struct recorder {
	struct kvm_vcpu *vcpu;
	struct access log[16];
	int n, reads;
	uint32_t max_count;	/* largest kvm_run io.count seen */
};

static void record(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct recorder *r = opaque;
	struct access *a;
	uint32_t v = 0;

	if (!is_write) {
		v = rd_data[r->reads++ % NR_WIDTHS] & (len == 4 ? ~0u : (1u << (8 * len)) - 1);
		memcpy(data, &v, len);
	} else {
		memcpy(&v, data, len < 4 ? len : 4);
	}
	if (r->vcpu->run->io.count > r->max_count)
		r->max_count = r->vcpu->run->io.count;
	if (r->n == (int)ARRAY_SIZE(r->log))
		return;
	a = &r->log[r->n++];
	a->port = r->vcpu->run->io.port;
	a->offset = (uint16_t)offset;
	a->len = len;
	a->data = v;
	a->is_write = is_write;
}

static uint32_t mask(uint32_t len)
{
	return len == 4 ? ~0u : (1u << (8 * len)) - 1;
}

static void test_pio(unsigned int cpl)
{
	uint32_t seed = (uint32_t)time(NULL) | 1;
	struct recorder rec = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	char msg[512], reason[160];
	struct ucall uc;
	uint32_t type;
	uint64_t rflags;
	bool log_ok;

	for (int i = 0; i < NR_WIDTHS; i++) {
		seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
		wr_data[i] = seed;
		seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
		rd_data[i] = seed;
	}
	memcpy(guest_hva(vm, &wr_data[0]), wr_data, sizeof(wr_data));
	memcpy(guest_hva(vm, &rd_data[0]), rd_data, sizeof(rd_data));
	rec.vcpu = vcpu;
	TEST_ASSERT(!bus_register(vm, BUS_PIO, TEST_PIO_PORT, NR_PORTS, record, &rec), "bus_register");
	vcpu_set_entry(vcpu, guest_code, cpl, 0);

	type = vcpu_run_ucall(vcpu, &uc);
	TEST_ASSERT(type == UCALL_SYNC && uc.args[1] == cpl, "expected the RFLAGS sync, got ucall %u", type);
	rflags = uc.args[0];
	ktap_diag("CPL%u: guest RFLAGS 0x%" PRIx64 " (IOPL %" PRIu64 ")", cpl, rflags, (rflags >> 12) & 3);
	if (cpl == 3 && ((rflags >> 12) & 3) != 3) {
		snprintf(reason, sizeof(reason),
			 "CPL3 port I/O: this hypervisor runs CPL3 with IOPL=0 (RFLAGS 0x%" PRIx64 ")", rflags);
		ktap_result_skip(reason, "CPL%u: OUT/IN at widths 1/2/4 read back host-chosen data", cpl);
		ktap_result_skip(reason, "CPL%u: the handler saw exact port, width, direction, data", cpl);
		kvm_vm_free(vm);
		return;
	}

	type = __vcpu_run_ucall(vcpu, &uc);
	if (type != UCALL_DONE) {
		vcpu_describe_ucall(vcpu, &uc, msg, sizeof(msg));
		ktap_diag("%s", msg);
	}
	ktap_result(type == UCALL_DONE, "CPL%u: OUT/IN at widths 1/2/4 read back host-chosen data", cpl);

	for (int i = 0; i < rec.n; i++)
		ktap_diag("CPL%u: %s port 0x%x off %u len %u data 0x%x", cpl, rec.log[i].is_write ? "out" : "in ",
			  rec.log[i].port, rec.log[i].offset, rec.log[i].len, rec.log[i].data);
	log_ok = rec.n == 2 * NR_WIDTHS;
	for (int i = 0; log_ok && i < 2 * NR_WIDTHS; i++) {
		const struct access *a = &rec.log[i];
		int w = i % NR_WIDTHS;
		bool is_write = i < NR_WIDTHS;

		log_ok = a->is_write == is_write && a->len == widths[w] && a->offset == port_offsets[w] &&
			 a->port == TEST_PIO_PORT + port_offsets[w] &&
			 a->data == ((is_write ? wr_data[w] : rd_data[w]) & mask(widths[w]));
	}
	ktap_result(log_ok, "CPL%u: the handler saw exact port, width, direction, data", cpl);
	kvm_vm_free(vm);
}

/* With IOPL < 3, CPL3 OUT must fault with #GP, not exit: where the
 * hypervisor forces IOPL=0 (PVM) as it comes, elsewhere with IOPL cleared. */
static void test_cpl3_iopl0_gp(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	struct recorder rec = { 0 };
	struct ucall uc;
	uint64_t rflags;
	uint32_t type;
	char msg[512];

	rec.vcpu = vcpu;
	TEST_ASSERT(!bus_register(vm, BUS_PIO, TEST_PIO_PORT, NR_PORTS, record, &rec), "bus_register");
	vcpu_set_entry(vcpu, guest_code, 3, 0);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "expected the RFLAGS sync");
	rflags = uc.args[0];
	vcpu_set_entry(vcpu, guest_cpl3_out, 3, 0);
	if (((rflags >> 12) & 3) == 3) {
		/* This hypervisor honours the IOPL we give (VMX/SVM): give 0. */
		struct kvm_regs regs;

		vcpu_regs_get(vcpu, &regs);
		regs.rflags &= ~(3ULL << 12);
		vcpu_regs_set(vcpu, &regs);
		rflags = regs.rflags;
	}
	type = __vcpu_run_ucall(vcpu, &uc);
	vcpu_describe_ucall(vcpu, &uc, msg, sizeof(msg));
	ktap_diag("%s", msg);
	ktap_result(type == UCALL_UNHANDLED && uc.args[0] == 13 && uc.args[4] == 3 &&
		    uc.args[2] == (uint64_t)(uintptr_t)guest_cpl3_out_insn && rec.n == 0,
		    "CPL3: OUT with IOPL=%" PRIu64 " raises #GP at the OUT, no exit to the handler",
		    (rflags >> 12) & 3);
	kvm_vm_free(vm);
}

static void test_string_io(void)
{
	struct recorder rec = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_string_io);
	uint16_t *in;
	bool ok;

	for (int i = 0; i < STR_COUNT; i++) {
		str_out[i] = (uint16_t)(0xa110 + i);
		rd_data[i % NR_WIDTHS] = 0;
	}
	rd_data[0] = 0xbeef;	/* every IN returns rd_data[reads % 3] */
	rd_data[1] = 0xcafe;
	rd_data[2] = 0xf00d;
	memcpy(guest_hva(vm, &str_out[0]), str_out, sizeof(str_out));
	rec.vcpu = vcpu;
	TEST_ASSERT(!bus_register(vm, BUS_PIO, TEST_PIO_PORT, NR_PORTS, record, &rec), "bus_register");
	vcpu_set_entry(vcpu, guest_string_io, 0, 0);
	vcpu_run_to_done(vcpu);
	in = guest_hva(vm, &str_in[0]);
	ok = rec.n == 2 * STR_COUNT;
	for (int i = 0; ok && i < STR_COUNT; i++) {
		const struct access *o = &rec.log[i], *r = &rec.log[STR_COUNT + i];

		ok = o->is_write && o->port == STR_PORT && o->len == 2 && o->data == str_out[i] &&
		     !r->is_write && r->port == STR_PORT && r->len == 2 && r->data == rd_data[i % NR_WIDTHS] &&
		     in[i] == rd_data[i % NR_WIDTHS];
	}
	for (int i = 0; i < rec.n; i++)
		ktap_diag("string I/O: %s port 0x%x len %u data 0x%x", rec.log[i].is_write ? "out" : "in ",
			  rec.log[i].port, rec.log[i].len, rec.log[i].data);
	ktap_diag("string I/O: largest io.count in one exit: %u", rec.max_count);
	ktap_result(ok, "CPL0: rep outsw/insw of %d words reach the handler element by element, in order",
		    STR_COUNT);
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(6);
	test_pio(0);
	test_pio(3);
	test_cpl3_iopl0_gp();
	test_string_io();
	return ktap_exit_code();
}
