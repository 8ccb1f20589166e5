// SPDX-License-Identifier: GPL-2.0
/*
 * The unclaimed-access policy (include/unclaimed.h), host only: the exit
 * loop's fallback is called as vcpu_run() calls it, on a VM struct that
 * never touched /dev/kvm. WARN fills reads with all ones (string PIO: every
 * element), drops writes, counts by kind and keeps the last access; STRICT
 * fails the test naming the access (in a child process).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kvm_util.h"

static void test_warn_reads_all_ones_and_counts(void)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));
	struct vm_guest_errors ge;
	uint8_t data[16];
	uint64_t before = unclaimed_process_totals(NULL);

	vm_set_unclaimed_policy(vm, UNCLAIMED_WARN);
	memset(data, 0x5a, sizeof(data));
	vm_unclaimed_access(vm, BUS_MMIO, 0xd0001000, data, 4, 1, false);
	CHECK_EQ(data[0] & data[1] & data[2] & data[3], 0xff);
	CHECK_EQ(data[4], 0x5a);			/* only len bytes */
	vm_unclaimed_access(vm, BUS_MMIO, 0xd0001000, data, 2, 1, false);
	memcpy(data, "\x78\x56\x34\x12", 4);
	vm_unclaimed_access(vm, BUS_MMIO, 0xd0001000, data, 2, 1, true);
	CHECK_EQ(data[0], 0x78);			/* a write's data is left alone */
	memset(data, 0, sizeof(data));
	vm_unclaimed_access(vm, BUS_PIO, 0x2010, data, 2, 3, false);	/* rep insw, 3 elements */
	for (int i = 0; i < 6; i++)
		CHECK_EQ(data[i], 0xff);
	CHECK_EQ(data[6], 0);
	data[0] = 0x42;
	vm_unclaimed_access(vm, BUS_PIO, 0x2011, data, 1, 1, true);

	vm_guest_errors(vm, &ge);
	CHECK_EQ(ge.unclaimed[UNCLAIMED_MMIO_READ], 2);
	CHECK_EQ(ge.unclaimed[UNCLAIMED_MMIO_WRITE], 1);
	CHECK_EQ(ge.unclaimed[UNCLAIMED_PIO_IN], 1);
	CHECK_EQ(ge.unclaimed[UNCLAIMED_PIO_OUT], 1);
	CHECK_EQ(vm_unclaimed_total(vm), 5);
	CHECK_EQ(unclaimed_process_totals(NULL) - before, 5);
	CHECK(ge.have_last);
	CHECK_EQ(ge.last.kind, UNCLAIMED_PIO_OUT);
	CHECK_EQ(ge.last.addr, 0x2011);
	CHECK_EQ(ge.last.len, 1);
	CHECK_EQ(ge.last.data, 0x42);
	CHECK(!strcmp(unclaimed_kind_name(UNCLAIMED_MMIO_READ), "MMIO read"));
	free(vm);
}

static void test_strict_fails_naming_the_access(void)
{
	int pfd[2], status;
	char out[1024];
	ssize_t n = 0, r;
	pid_t pid;

	TEST_ASSERT(!pipe(pfd), "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct kvm_vm *vm = calloc(1, sizeof(*vm));	/* STRICT: the default */
		uint8_t data[4] = { 0xef, 0xbe, 0xad, 0xde };

		dup2(pfd[1], STDOUT_FILENO);
		vm_unclaimed_access(vm, BUS_MMIO, 0xd0001000, data, 4, 1, true);
		printf("survived\n");
		exit(0);
	}
	close(pfd[1]);
	while (n < (ssize_t)sizeof(out) - 1 && (r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(pfd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CHECK(strstr(out, "unclaimed MMIO write at 0xd0001000, 4 bytes, data 0xdeadbeef"));
	CHECK(!strstr(out, "survived"));
}

int main(void)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(test_warn_reads_all_ones_and_counts),
		KTAP_CASE(test_strict_fails_naming_the_access),
	};

	return KTAP_RUN(cases);
}
