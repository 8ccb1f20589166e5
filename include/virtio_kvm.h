/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wiring a virtio-mmio device (include/virtio_mmio_dev.h) into a KVM VM: its
 * window on the MMIO bus, how notifications reach it and how its interrupt
 * reaches the guest. One ring-processing function (virtio_mmio__notify)
 * serves every mode; only the thread that calls it differs.
 *
 *  notify TRAPPED            QueueNotify exits to the vCPU thread (bus).
 *  notify IOEVENTFD          KVM_IOEVENTFD on QueueNotify, len 4, datamatch =
 *                            queue index, one eventfd per queue.
 *                            With cfg.notification_data: one len-4
 *                            wildcard for all queues (the data is lost).
 *  notify IOEVENTFD_ZEROLEN  one zero-length wildcard ioeventfd (KVM's
 *                            cheapest MMIO path); the iothread then looks
 *                            at every queue, since the write's data is lost.
 *  irq LINE                  KVM_IRQ_LINE, level: high while InterruptStatus
 *                            is non-zero (the spec's level semantics).
 *  irq IRQFD                 irqfd without resample: an edge per new event.
 *  irq IRQFD_RESAMPLE        irqfd with resample: level; on EOI KVM lowers
 *                            the line and the iothread re-raises it if
 *                            InterruptStatus is still non-zero.
 *
 * Usage (the transport wraps the device, as Firecracker's MmioTransport
 * wraps a VirtioDevice): describe the device type (virtio_blk__new() fills
 * .dev; or write the ops table and config by hand) and its wiring, then
 *	vk = vm_virtio_attach(vm, &desc);	(tests) or
 *	r = __vm_virtio_attach(vm, &desc, &vk);	(library callers: -errno)
 * gives a live device: transport created, window on the bus at its base,
 * ioeventfds and irq source set up, iothread running if any mode or the
 * device's own fds need one. virtio_kvm_destroy(vk) stops the iothread and
 * frees the transport; the device type's own state (ops_ctx) goes after it,
 * and the VM after both.
 */
#ifndef MMIOBENCH_VIRTIO_KVM_H
#define MMIOBENCH_VIRTIO_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "irq_source.h"
#include "kvm_util.h"
#include "virtio_mmio_dev.h"

enum virtio_notify_mode { NOTIFY_TRAPPED, NOTIFY_IOEVENTFD, NOTIFY_IOEVENTFD_ZEROLEN };
#define NOTIFY_MODE_COUNT 3

/* trapped, ioeventfd, ioeventfd_zerolen; NULL for a value out of range. */
const char *virtio_notify_mode_name(enum virtio_notify_mode m);
/* Parses the names above; -1 if unknown. */
int virtio_notify_mode_parse(const char *s);

/* Interrupt methods: enum irq_method and its helpers (irq_source.h). */

/*
 * How the iothread waits for work (the designs real VMMs use):
 *  IOTHREAD_BLOCK  sleep in epoll_wait() on the eventfds: every kick that
 *                  finds it asleep pays a wake-up.
 *  IOTHREAD_POLL   QEMU's adaptive polling (util/aio-posix.c, iothread
 *                  poll-max-ns): before sleeping, poll the rings (kicks off
 *                  meanwhile) and the eventfds for up to a window; the
 *                  window grows (0, 4 us, doubling up to poll_max_ns) while
 *                  the time to the next work is under poll_max_ns, and drops
 *                  to 0 once it is over.
 *  IOTHREAD_BUSY   never sleep: poll the rings and the eventfds forever,
 *                  with the driver told not to kick (NO_NOTIFY, DISABLE, or
 *                  avail_event kept behind it). Burns a core.
 */
enum iothread_mode { IOTHREAD_BLOCK, IOTHREAD_POLL, IOTHREAD_BUSY };
#define IOTHREAD_MODE_COUNT 3
#define IOTHREAD_POLL_MAX_NS_DEFAULT 32768	/* QEMU's default poll-max-ns */

/* block, poll, busy; NULL for a value out of range. */
const char *iothread_mode_name(enum iothread_mode m);

struct virtio_kvm_cfg {
	uint64_t base;		/* window GPA; 0 = VIRTIO_MMIO_BASE */
	uint32_t gsi;		/* 0 = VIRTIO_MMIO_GSI */
	enum virtio_notify_mode notify;
	enum irq_method irq;
	int iothread_cpu;	/* -1: not pinned */
	enum iothread_mode iothread;
	uint64_t poll_max_ns;	/* IOTHREAD_POLL; 0 = IOTHREAD_POLL_MAX_NS_DEFAULT */
	/* Offer VIRTIO_F_NOTIFICATION_DATA on every wiring. A datamatch
	 * ioeventfd cannot match its writes (queue index | ring position), so
	 * IOEVENTFD then registers one len-4 wildcard ioeventfd on QueueNotify
	 * for all queues instead: the data is lost to the device, and the
	 * iothread looks at every queue, as with IOEVENTFD_ZEROLEN. False:
	 * offered except on the datamatch wiring, which keeps per-queue fds. */
	bool notification_data;
};

struct virtio_kvm_counters {
	uint64_t iothread_wakeups;	/* epoll returns with work */
	uint64_t iothread_notifies;	/* virtio_mmio__notify() calls the iothread began */
	uint64_t eventfd_kicks;		/* sum of ioeventfd counts read */
	uint64_t irq_signals;		/* irqfd writes / KVM_IRQ_LINE raises */
	uint64_t resamples;		/* resamplefd events */
	uint64_t irq_reraises;		/* re-raised after a resample */
	/* IOTHREAD_POLL: waits that polling ended (work found in the window)
	 * and waits that slept; the window now. IOTHREAD_BUSY: polls_hit
	 * counts ring passes that found work. */
	uint64_t polls_hit, polls_slept, poll_window_ns;
};

/* A file descriptor of the device's own (an RX source, a console's input)
 * that the iothread watches: when it is readable the iothread calls
 * ready(ctx) with no mutex held; ready() drains the fd and may call
 * virtio_dev_complete() or virtio_mmio__config_update(). The fd stays the
 * device's: it must stay open until virtio_kvm_destroy() returns. */
struct virtio_dev_fd {
	int fd;
	void (*ready)(void *ctx);
	void *ctx;
};
#define VIRTIO_KVM_MAX_DEV_FDS 4

/* What the harness needs to put a live device into a VM. */
struct virtio_dev_desc {
	/* The device type: id, queues (1..64), queue size, features, config,
	 * ops. .irq, .irq_ctx and .mem belong to the harness: leave them 0. */
	struct virtio_mmio_cfg dev;
	struct virtio_kvm_cfg wire;	/* base, GSI, notify mode, interrupt method */
	const struct virtio_dev_fd *fds;	/* copied; <= VIRTIO_KVM_MAX_DEV_FDS */
	unsigned int nr_fds;
};

struct virtio_kvm;

/* The capability this wiring needs and KVM lacks, or NULL. */
const char *virtio_kvm_missing_cap(const struct virtio_kvm_cfg *cfg);
/* 0 and *out, or -errno (*out NULL, nothing left behind): -EOPNOTSUPP for a
 * missing capability (virtio_kvm_missing_cap() names it), -EINVAL for a VM
 * without the in-kernel irqchip, a mode out of range or a bad description,
 * else the failing call's. Never exits: mmiobench turns -EOPNOTSUPP into a
 * skip of one configuration. */
int __vm_virtio_attach(struct kvm_vm *vm, const struct virtio_dev_desc *d, struct virtio_kvm **out);
/*
 * The same device, transport and iothread with no VM (the ring floor,
 * harness/ring_floor.c): nothing on a bus and nothing registered with KVM.
 * The caller stands for the guest: it calls virtio_mmio__access() where a
 * trapped access would, writes virtio_kvm_notify_fd() where KVM's ioeventfd
 * would signal it, and reads virtio_kvm_irq_fd() (wire.irq must be
 * IRQ_METHOD_IRQFD) where KVM would inject. mem must outlive the device.
 * 0 and *out, or -errno (-EINVAL for a bad description).
 */
int virtio_host_attach(const struct guest_mem *mem, const struct virtio_dev_desc *d,
		       struct virtio_kvm **out);
/* The eventfd that stands for queue q's ioeventfd (-1 when trapped). */
int virtio_kvm_notify_fd(struct virtio_kvm *vk, uint16_t q);
/* The interrupt's eventfd (-1 for KVM_IRQ_LINE). */
int virtio_kvm_irq_fd(struct virtio_kvm *vk);
/* The test programs' layer (as vm_ioctl over __vm_ioctl): skips the program
 * (exit 4) on -EOPNOTSUPP, fails it on any other error. */
struct virtio_kvm *vm_virtio_attach(struct kvm_vm *vm, const struct virtio_dev_desc *d);
/* The transport: register snapshots, virtio_dev_complete(). */
struct virtio_mmio_dev *virtio_kvm_mmio(struct virtio_kvm *vk);
void virtio_kvm_destroy(struct virtio_kvm *vk);	/* NULL ok */
void virtio_kvm_get_counters(struct virtio_kvm *vk, struct virtio_kvm_counters *out);
/* CPU time consumed by the iothread so far, 0 if there is none. */
uint64_t virtio_kvm_iothread_cpu_ns(struct virtio_kvm *vk);
/* Whether the iothread got the CPU it was asked to be pinned to. */
bool virtio_kvm_iothread_pinned(struct virtio_kvm *vk);

#endif
