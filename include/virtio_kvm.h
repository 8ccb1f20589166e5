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
 * Usage: vk = virtio_kvm_create(vm, &cfg); create the device with
 * .irq = &virtio_kvm_irq_ops, .irq_ctx = vk; virtio_kvm_start(vk, dev, nq);
 * ... virtio_kvm_destroy(vk) before the device and the VM.
 * The iothread (ioeventfd modes or resample) starts in virtio_kvm_start()
 * and stops in virtio_kvm_destroy().
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

/* The interrupt method is the harness's one interrupt source's
 * (irq_source.h); the device tests keep these names for it. */
#define virtio_irq_method irq_method
static inline const char *virtio_irq_method_name(enum irq_method m) { return irq_method_name(m); }
static inline int virtio_irq_method_parse(const char *s) { return irq_method_parse(s); }
/* Whether the IOAPIC pin must be level-triggered for this method. */
static inline bool virtio_irq_method_is_level(enum irq_method m) { return irq_method_is_level(m); }

struct virtio_kvm_cfg {
	uint64_t base;		/* window GPA; 0 = VIRTIO_MMIO_BASE */
	uint32_t gsi;		/* 0 = VIRTIO_MMIO_GSI */
	enum virtio_notify_mode notify;
	enum virtio_irq_method irq;
	int iothread_cpu;	/* -1: not pinned */
};

struct virtio_kvm_counters {
	uint64_t iothread_wakeups;	/* epoll returns with work */
	uint64_t iothread_notifies;	/* virtio_mmio__notify() calls by the iothread */
	uint64_t eventfd_kicks;		/* sum of ioeventfd counts read */
	uint64_t irq_signals;		/* irqfd writes / KVM_IRQ_LINE raises */
	uint64_t resamples;		/* resamplefd events */
	uint64_t irq_reraises;		/* re-raised after a resample */
};

struct virtio_kvm;
extern const struct virtio_mmio_irq_ops virtio_kvm_irq_ops;

/* The capability this configuration needs and KVM lacks, or NULL. */
const char *virtio_kvm_missing_cap(const struct virtio_kvm_cfg *cfg);
/* 0 or -errno: -EOPNOTSUPP for a missing capability (see above), -EINVAL
 * for a VM without the in-kernel irqchip or a mode out of range. Library
 * callers (mmiobench) turn it into a skip of one configuration. */
int __virtio_kvm_create(struct kvm_vm *vm, const struct virtio_kvm_cfg *cfg, struct virtio_kvm **out);
/* For test programs: skips the program (exit 4) on a missing capability,
 * fails it on any other error. */
struct virtio_kvm *virtio_kvm_create(struct kvm_vm *vm, const struct virtio_kvm_cfg *cfg);
void virtio_kvm_start(struct virtio_kvm *vk, struct virtio_mmio_dev *dev, uint16_t num_queues);
void virtio_kvm_destroy(struct virtio_kvm *vk);	/* NULL ok */
void virtio_kvm_get_counters(struct virtio_kvm *vk, struct virtio_kvm_counters *out);
/* CPU time consumed by the iothread so far, 0 if there is none. */
uint64_t virtio_kvm_iothread_cpu_ns(struct virtio_kvm *vk);
/* Whether the iothread got the CPU it was asked to be pinned to. */
bool virtio_kvm_iothread_pinned(struct virtio_kvm *vk);

#endif
