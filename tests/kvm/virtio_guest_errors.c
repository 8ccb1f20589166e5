// SPDX-License-Identifier: GPL-2.0
/*
 * Guest errors the host must survive (issue 9), made by a guest over real
 * exits against the real virtio-blk (RAM backend) in a VM with the
 * warn-and-count policy (include/unclaimed.h):
 *  1. page-crossing accesses at the end of the 4 KiB window (8-byte read at
 *     0xffc, 2-byte read at 0xfff, 4-byte write at 0xffe: KVM splits them
 *     and the half on the next page is claimed by nobody) and a port nobody
 *     has: reads give all ones there, writes are dropped, each is counted
 *     by kind and the host inspects the last one; the process lives on;
 *  2. QueueReady=1 with the used ring over the descriptor table, avail over
 *     desc, used over avail: refused, counted as overlaps;
 *  3. QueueNum=16 then QueueNum=65536, QueueReady=1: refused (before, the
 *     65536 was dropped and size 16 went ready);
 * and afterwards the device still serves a write and a read of a sector.
 * At CPL0 and CPL3, with trapped notifications and with ioeventfd.
 * Also: a VM's guest RAM has guard pages right below and above its host
 * mapping (a forked child touching either dies of SIGSEGV).
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "guest.h"
#include "guest_virtio.h"
#include "kvm_util.h"
#include "virtio_blk_dev.h"
#include "virtio_kvm.h"

#define QS		16
#define PORT		(TEST_PIO_PORT + 0x10)	/* nobody's port */
#define PORT_DATA	0xcafef00du
#define V1		(1ULL << VIRTIO_F_VERSION_1)

#define A_DRV		0x0000
#define A_RING		0x1000			/* 0x3000 bytes */
#define A_SLOTS		0x4000
#define A_REQ		0x4400
#define A_DATA		0x5000
#define A_DATA2		0x5400
#define AREA_BYTES	0x6000

GUEST_INLINE uint32_t rd(uint32_t off) { return mmio_read32(VIRTIO_MMIO_BASE + off); }
GUEST_INLINE void wr(uint32_t off, uint32_t v) { mmio_write32(VIRTIO_MMIO_BASE + off, v); }

GUEST_CODE static uint32_t try_ready(uint32_t size, uint64_t d, uint64_t a, uint64_t u)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, size);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)a);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(a >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)u);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(u >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	return rd(VIRTIO_MMIO_QUEUE_READY);
}

GUEST_CODE static void guest_main(uint64_t area)
{
	uint64_t b = VIRTIO_MMIO_BASE, d = area + A_RING, a = d + 0x1000, u = d + 0x2000;
	struct virtio_blk_drv *blk = (void *)(area + A_DRV);
	struct virtio_blk_req *req = (void *)(area + A_REQ);
	uint8_t *data = (void *)(area + A_DATA), *data2 = (void *)(area + A_DATA2);
	uint64_t v8, refused = 0;
	uint32_t pin, same = 1;
	uint16_t v2;
	int rc_w, rc_r;

	/* 1 */
	v8 = mmio_read64(b + 0xffc);
	v2 = mmio_read16(b + 0xfff);
	mmio_write32(b + 0xffe, 0x12345678);
	pin = inl(PORT);
	outl(PORT, PORT_DATA);
	GUEST_SYNC(1, v8, v2, pin, rd(VIRTIO_MMIO_MAGIC_VALUE));

	/* 2 and 3: a raw driver up to FEATURES_OK */
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(V1 >> 32));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK);
	refused |= (uint64_t)!try_ready(QS, d, a, d) << 0;		/* used over desc */
	refused |= (uint64_t)!try_ready(QS, d, d + 16 * QS - 2, u) << 1;	/* avail over desc */
	refused |= (uint64_t)!try_ready(QS, d, a, a) << 2;		/* used over avail */
	wr(VIRTIO_MMIO_QUEUE_NUM, QS);
	refused |= (uint64_t)!try_ready(65536, d, a, u) << 3;		/* QueueNum 2^16 */
	refused |= (uint64_t)!try_ready(0x10010, d, a, u) << 4;		/* low half is 16 */
	GUEST_SYNC(2, refused, try_ready(QS, d, a, u));

	/* The device still works. */
	GUEST_ASSERT_EQ(virtio_blk_init(blk, VIRTIO_MMIO_BASE, 0, QS, (void *)d, 4096,
					(void *)(area + A_SLOTS)), QS);
	for (uint32_t i = 0; i < 512; i++) {
		data[i] = (uint8_t)(i * 7 + 1);
		data2[i] = 0;
	}
	rc_w = virtio_blk_rw(blk, req, true, 5, data, 512);
	rc_r = virtio_blk_rw(blk, req, false, 5, data2, 512);
	for (uint32_t i = 0; i < 512; i++)
		same &= data[i] == data2[i];
	GUEST_SYNC(3, (uint64_t)(int64_t)rc_w, (uint64_t)(int64_t)rc_r, same);
}

static void expect_sync(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t stage)
{
	uint32_t t = vcpu_run_ucall(vcpu, uc);

	TEST_ASSERT(t == UCALL_SYNC && uc->args[0] == stage, "expected SYNC %" PRIu64 ", got type %u "
		    "stage %" PRIu64, stage, t, uc->args[0]);
}

static void run(unsigned int cpl, enum virtio_notify_mode notify)
{
	struct vm_options vo = { .unclaimed = UNCLAIMED_WARN };
	struct virtio_dev_desc desc = { .wire = { .notify = notify, .irq = IRQ_METHOD_LINE, .iothread_cpu = -1 } };
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_RAM, .capacity_sectors = 16, .num_queues = 1,
		.queue_size_max = 256,
	};
	struct virtio_mmio_stats st;
	struct vm_guest_errors ge;
	struct virtio_blk *blk;
	struct virtio_kvm *vk;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t area;
	char mode[48];
	bool ok;
	int r;

	snprintf(mode, sizeof(mode), "CPL%u %s", cpl, virtio_notify_mode_name(notify));
	vm = vm_create(&vo);
	vcpu = vm_vcpu_add(vm, guest_main);
	r = virtio_blk__new(&bc, &blk, &desc.dev);
	TEST_ASSERT(!r, "virtio_blk__new: %d", r);
	vk = vm_virtio_attach(vm, &desc);
	area = vm_alloc(vm, AREA_BYTES, 4096);
	vcpu_set_entry(vcpu, guest_main, cpl, 1, area);

	expect_sync(vcpu, &uc, 1);
	vm_guest_errors(vm, &ge);
	ok = uc.args[1] == 0xffffffff00000000ull && uc.args[2] == 0xff00 && uc.args[3] == 0xffffffffu &&
	     uc.args[4] == VIRTIO_MMIO_MAGIC;
	if (!ok)
		ktap_diag("%s: read 0x%" PRIx64 " at 0xffc, 0x%" PRIx64 " at 0xfff, port 0x%" PRIx64
			  ", magic 0x%" PRIx64, mode, uc.args[1], uc.args[2], uc.args[3], uc.args[4]);
	for (int k = 0; k < UNCLAIMED_NR; k++)
		ktap_diag("%s: %" PRIu64 " unclaimed %s", mode, ge.unclaimed[k], unclaimed_kind_name(k));
	ok &= ge.unclaimed[UNCLAIMED_MMIO_READ] == 2 && ge.unclaimed[UNCLAIMED_MMIO_WRITE] == 1 &&
	      ge.unclaimed[UNCLAIMED_PIO_IN] == 1 && ge.unclaimed[UNCLAIMED_PIO_OUT] == 1 &&
	      ge.have_last && ge.last.kind == UNCLAIMED_PIO_OUT && ge.last.addr == PORT &&
	      ge.last.len == 4 && ge.last.data == PORT_DATA;
	ktap_result(ok, "%s: page-crossing reads at 0xffc/0xfff give the device's half + all ones, "
		    "the write at 0xffe is dropped, an unowned port reads all ones: counted by kind, "
		    "host alive", mode);

	expect_sync(vcpu, &uc, 2);
	virtio_mmio__get_stats(virtio_blk__mmio(blk), &st);
	ok = uc.args[1] == 0x1f && uc.args[2] == 1 && st.invalid[VMMIO_INVAL_QUEUE_OVERLAP] == 3 &&
	     st.invalid[VMMIO_INVAL_QUEUE_CFG] == 2 && st.invalid[VMMIO_INVAL_VALUE] == 0;
	if (!ok)
		ktap_diag("%s: refused mask 0x%" PRIx64 ", good layout ready %" PRIu64 ", overlaps %" PRIu64
			  ", bad config %" PRIu64 ", bad values %" PRIu64, mode, uc.args[1], uc.args[2],
			  st.invalid[VMMIO_INVAL_QUEUE_OVERLAP], st.invalid[VMMIO_INVAL_QUEUE_CFG],
			  st.invalid[VMMIO_INVAL_VALUE]);
	ktap_result(ok, "%s: QueueReady refused for used/desc, avail/desc, used/avail overlaps and "
		    "QueueNum 65536 and 0x10010; the good layout goes ready", mode);

	expect_sync(vcpu, &uc, 3);
	ok = uc.args[1] == VIRTIO_BLK_S_OK && uc.args[2] == VIRTIO_BLK_S_OK && uc.args[3] == 1;
	ktap_result(ok, "%s: afterwards a sector write and read complete with the right data "
		    "(write %" PRId64 ", read %" PRId64 ")", mode, (int64_t)uc.args[1], (int64_t)uc.args[2]);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "guest did not finish");
	virtio_kvm_destroy(vk);
	virtio_blk__destroy(blk);
	kvm_vm_free(vm);
}

static void test_ram_guards(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_vcpu(&vcpu, guest_main);
	uint8_t *hva = vm->mem.hva;

	ktap_result(guard_mem_touch_faults(hva - 1, false) &&
		    guard_mem_touch_faults(hva + vm->mem.size_bytes, false) &&
		    !guard_mem_touch_faults(hva + vm->mem.size_bytes - 1, false),
		    "guest RAM (%llu MiB): the byte below and the byte above its host mapping fault",
		    (unsigned long long)(vm->mem.size_bytes >> 20));
	kvm_vm_free(vm);
}

int main(void)
{
	kvm_open_or_skip();
	REQUIRE_CAP(KVM_CAP_IRQCHIP);
	REQUIRE_CAP(KVM_CAP_IOEVENTFD);
	ktap_plan(13);
	test_ram_guards();
	for (unsigned int cpl = 0; cpl <= 3; cpl += 3) {
		run(cpl, NOTIFY_TRAPPED);
		run(cpl, NOTIFY_IOEVENTFD);
	}
	return ktap_exit_code();
}
