// SPDX-License-Identifier: GPL-2.0
/*
 * Trapped MMIO: writes and reads of 1, 2, 4 and 8 bytes to a bus-registered
 * range reach the handler with the exact address, width, direction and
 * data; read data chosen by the host arrives in the guest unchanged. At
 * CPL0 and CPL3. An access nobody claimed fails the test naming address,
 * width and data (checked in a child process). The raw KVM_RUN loop of the
 * exit kinds raw_* re-enters exactly its own writes and nothing else.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "guest.h"
#include "kvm_util.h"

#define WINDOW_BYTES	0x1000
#define NR_WIDTHS	4

/* Offsets are not width-aligned on purpose (except where noted) so a
 * handler that rounds addresses is caught. */
static const uint64_t offsets[NR_WIDTHS] = { 0x11, 0x22, 0x44, 0x88 };
static const uint32_t widths[NR_WIDTHS] = { 1, 2, 4, 8 };

/* Host-chosen at run time, copied into the guest before it runs. */
uint64_t wr_data[NR_WIDTHS];
uint64_t rd_data[NR_WIDTHS];

GUEST_CODE static void guest_code(uint64_t base)
{
	mmio_write8(base + 0x11, (uint8_t)wr_data[0]);
	mmio_write16(base + 0x22, (uint16_t)wr_data[1]);
	mmio_write32(base + 0x44, (uint32_t)wr_data[2]);
	mmio_write64(base + 0x88, wr_data[3]);
	GUEST_ASSERT_EQ(mmio_read8(base + 0x11), (uint8_t)rd_data[0]);
	GUEST_ASSERT_EQ(mmio_read16(base + 0x22), (uint16_t)rd_data[1]);
	GUEST_ASSERT_EQ(mmio_read32(base + 0x44), (uint32_t)rd_data[2]);
	GUEST_ASSERT_EQ(mmio_read64(base + 0x88), rd_data[3]);
	GUEST_DONE();
}

struct access {
	uint64_t gpa, offset, data;
	uint32_t len;
	bool is_write;
};

struct recorder {
	struct kvm_vcpu *vcpu;
	struct access log[16];
	int n;
	int reads;
};

static uint64_t mask(uint32_t len)
{
	return len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

static void record(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct recorder *r = opaque;
	struct access *a;
	uint64_t v = 0;

	if (!is_write) {	/* reads come in the order offsets[] lists them */
		v = rd_data[r->reads++ % NR_WIDTHS] & mask(len);
		memcpy(data, &v, len);
	} else {
		memcpy(&v, data, len < 8 ? len : 8);
	}
	if (r->n == (int)ARRAY_SIZE(r->log))
		return;
	a = &r->log[r->n++];
	a->gpa = r->vcpu->run->mmio.phys_addr;
	a->offset = offset;
	a->data = v;
	a->len = len;
	a->is_write = is_write;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool run_to_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	char msg[512];
	uint32_t type;

	while ((type = __vcpu_run_ucall(vcpu, &uc)) == UCALL_PRINTF)
		ktap_diag("guest: %.*s", UCALL_BUF_LEN, uc.buffer);
	if (type == UCALL_DONE)
		return true;
	vcpu_describe_ucall(vcpu, &uc, msg, sizeof(msg));
	ktap_diag("%s", msg);
	return false;
}

static void test_widths(unsigned int cpl)
{
	uint64_t seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL | 1;
	struct recorder rec = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	bool ok, log_ok = true;

	for (int i = 0; i < NR_WIDTHS; i++) {
		wr_data[i] = xorshift(&seed);
		rd_data[i] = xorshift(&seed);
	}
	memcpy(guest_hva(vm, &wr_data[0]), wr_data, sizeof(wr_data));
	memcpy(guest_hva(vm, &rd_data[0]), rd_data, sizeof(rd_data));
	rec.vcpu = vcpu;
	TEST_ASSERT(!bus_register(vm, BUS_MMIO, TEST_MMIO_BASE, WINDOW_BYTES, record, &rec), "bus_register");
	vcpu_set_entry(vcpu, guest_code, cpl, 1, TEST_MMIO_BASE);
	ok = run_to_done(vcpu);
	ktap_result(ok, "CPL%u: the guest read back host-chosen data at widths 1/2/4/8", cpl);

	for (int i = 0; i < rec.n; i++)
		ktap_diag("CPL%u: %s gpa 0x%" PRIx64 " off 0x%" PRIx64 " len %u data 0x%" PRIx64, cpl,
			  rec.log[i].is_write ? "write" : "read ", rec.log[i].gpa, rec.log[i].offset,
			  rec.log[i].len, rec.log[i].data);
	log_ok = rec.n == 2 * NR_WIDTHS;
	for (int i = 0; log_ok && i < 2 * NR_WIDTHS; i++) {
		const struct access *a = &rec.log[i];
		int w = i % NR_WIDTHS;
		bool is_write = i < NR_WIDTHS;
		uint64_t want = (is_write ? wr_data[w] : rd_data[w]) & mask(widths[w]);

		log_ok = a->is_write == is_write && a->len == widths[w] && a->offset == offsets[w] &&
			 a->gpa == TEST_MMIO_BASE + offsets[w] && a->data == want;
	}
	ktap_result(log_ok, "CPL%u: the handler saw exactly 4 writes then 4 reads with exact address, width, data", cpl);
	kvm_vm_free(vm);
}

/* ---- the raw KVM_RUN loop ----------------------------------------------- */
#define RAW_WRITES	100

GUEST_CODE static void guest_raw(uint64_t base)
{
	for (int i = 0; i < RAW_WRITES; i++)
		mmio_write32(base + 0x44, (uint32_t)i);
	mmio_write8(base + 0x11, 0x5a);		/* another address: the bus's */
	(void)mmio_read32(base + 0x44);		/* a read of it: the bus's too */
	GUEST_DONE();
}

static void test_raw_loop(unsigned int cpl)
{
	struct recorder rec = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_raw);
	uint64_t seen0 = vcpu->exits_seen;
	bool ok;

	rec.vcpu = vcpu;
	TEST_ASSERT(!bus_register(vm, BUS_MMIO, TEST_MMIO_BASE, WINDOW_BYTES, record, &rec), "bus_register");
	vcpu->raw_exit.on = true;
	vcpu->raw_exit.mmio_addr = TEST_MMIO_BASE + 0x44;
	vcpu_set_entry(vcpu, guest_raw, cpl, 1, TEST_MMIO_BASE);
	ok = run_to_done(vcpu);
	ktap_diag("CPL%u: raw loop re-entered %" PRIu64 " exits; the harness handled %" PRIu64
		  ", the bus saw %d", cpl, vcpu->raw_exit.seen, vcpu->exits_seen - seen0, rec.n);
	ok &= vcpu->raw_exit.seen == RAW_WRITES && rec.n == 2 && vcpu->exits_seen - seen0 == 3;
	ok = ok && rec.log[0].is_write && rec.log[0].offset == 0x11 &&
	      !rec.log[1].is_write && rec.log[1].offset == 0x44;
	ktap_result(ok, "CPL%u: the raw loop re-entered its %d writes alone; the other write, the read "
		    "and the ucall reached the harness", cpl, RAW_WRITES);
	kvm_vm_free(vm);
}

/* ---- an access nobody claimed ---------------------------------------- */
#define UNCLAIMED_GPA	(TEST_MMIO_BASE + 0x2340)	/* outside the window */
#define UNCLAIMED_DATA	0xfeedf00dU

GUEST_CODE static void guest_unclaimed(uint64_t gpa, uint64_t write)
{
	if (write)
		mmio_write32(gpa, UNCLAIMED_DATA);
	else
		(void)mmio_read16(gpa);
	GUEST_DONE();
}

static void unclaimed_child(unsigned int cpl, bool write)
{
	struct recorder rec = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_unclaimed);

	rec.vcpu = vcpu;
	TEST_ASSERT(!bus_register(vm, BUS_MMIO, TEST_MMIO_BASE, WINDOW_BYTES, record, &rec), "bus_register");
	vcpu_set_entry(vcpu, guest_unclaimed, cpl, 2, UNCLAIMED_GPA, (uint64_t)write);
	vcpu_run_to_done(vcpu);		/* must not return */
	printf("child: the unclaimed access went unnoticed\n");
	exit(0);
}

static void test_unclaimed(unsigned int cpl, bool write)
{
	char out[4096], want_addr[32], want_data[32];
	int pfd[2], status;
	const char *width;
	size_t len = 0;
	bool ok;
	ssize_t r;
	pid_t pid;

	TEST_ASSERT(!pipe(pfd), "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[1]);
		unclaimed_child(cpl, write);
	}
	close(pfd[1]);
	while (len < sizeof(out) - 1 && (r = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = 0;
	close(pfd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	snprintf(want_addr, sizeof(want_addr), "0x%llx", (unsigned long long)UNCLAIMED_GPA);
	snprintf(want_data, sizeof(want_data), "data 0x%x", UNCLAIMED_DATA);
	width = strstr(out, write ? "4 bytes" : "2 bytes");
	ok = WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
	     strstr(out, write ? "unclaimed MMIO write" : "unclaimed MMIO read") &&
	     strstr(out, want_addr) && width && !isalnum((unsigned char)width[7]) &&
	     (write ? strstr(out, want_data) != NULL : strstr(out, "data") == NULL);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		ktap_diag("child: %s", line[0] == '#' ? line + 2 : line);
	ktap_result(ok, "CPL%u: an unclaimed %u-byte MMIO %s at %s fails the test and names address, width%s",
		    cpl, write ? 4 : 2, write ? "write" : "read", want_addr, write ? ", data" : "");
}

int main(void)
{
	kvm_open_or_skip();
	ktap_plan(10);
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3)
		test_widths(cpl);
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3)
		test_raw_loop(cpl);
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3) {
		test_unclaimed(cpl, true);
		test_unclaimed(cpl, false);
	}
	return ktap_exit_code();
}
