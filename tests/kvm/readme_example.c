// SPDX-License-Identifier: GPL-2.0
/* The README's example test, kept compiling and passing. */
#include <string.h>
#include "guest.h"
#include "kvm_util.h"

GUEST_CODE static void guest_code(uint64_t base)
{
	mmio_write32(base, 0x1234);              /* one trapped MMIO exit */
	GUEST_ASSERT_EQ(mmio_read32(base + 4), 0xabcd);
	GUEST_SYNC(guest_cpl());
	GUEST_DONE();
}

static uint32_t last_write;

static void dev(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque; (void)len;
	if (is_write)
		memcpy(&last_write, data, 4);
	else if (off == 4)
		*(uint32_t *)data = 0xabcd;
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_code);
	struct ucall uc;

	ktap_plan(1);
	bus_register(vm, BUS_MMIO, TEST_MMIO_BASE, 0x1000, dev, NULL);
	vcpu_set_entry(vcpu, guest_code, 3, 1, TEST_MMIO_BASE);   /* run it at CPL3 */
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "no SYNC");
	ktap_result(last_write == 0x1234 && uc.args[0] == 3, "write seen at CPL3");
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
	return ktap_exit_code();
}
