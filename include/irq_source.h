/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One interrupt source into a VM's in-kernel irqchip, whatever the method:
 *
 *  LINE            KVM_IRQ_LINE: raise sets the GSI's level to 1, lower to 0
 *                  (raise + lower is an edge on an edge-routed pin).
 *  IRQFD           an irqfd without resample: raise writes the eventfd, an
 *                  edge per write; lower does nothing.
 *  IRQFD_RESAMPLE  an irqfd with resample (route the pin level-triggered):
 *                  raise asserts the line; KVM lowers it on the guest's EOI
 *                  and signals the resamplefd, where the owner re-raises if
 *                  its device still has something pending (on_resample).
 *
 * Used by the virtio device wiring (harness/virtio_kvm.c), the irq scenario
 * and tests/kvm/irq_inject.c. raise/lower/on_resample may be called from any
 * thread; init and destroy by the owner with no other caller active.
 * Functions that can fail return 0 or a negative errno and never exit.
 */
#ifndef MMIOBENCH_IRQ_SOURCE_H
#define MMIOBENCH_IRQ_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

enum irq_method { IRQ_METHOD_LINE, IRQ_METHOD_IRQFD, IRQ_METHOD_IRQFD_RESAMPLE };
#define IRQ_METHOD_COUNT 3

/* "irq_line", "irqfd", "irqfd_resample"; NULL for a value out of range. */
const char *irq_method_name(enum irq_method m);
/* The names above -> method; -1 if unknown. */
int irq_method_parse(const char *s);
/* Whether a device behind this method has level semantics (its IOAPIC pin
 * level-triggered): every method but the edge irqfd. */
bool irq_method_is_level(enum irq_method m);
/* The KVM capability the method needs and this kernel lacks ("KVM_CAP_IRQFD",
 * "KVM_CAP_IRQFD_RESAMPLE"), or NULL when it can be used. */
const char *irq_method_missing_cap(enum irq_method m);

struct kvm_vm;

struct irq_source {
	struct kvm_vm *vm;
	enum irq_method method;
	uint32_t gsi;
	int irqfd, resamplefd;	/* -1 where the method has none */
};

/* Eventfds and KVM_IRQFD as the method needs. -EOPNOTSUPP when KVM lacks
 * the capability (irq_method_missing_cap() names it), -EINVAL for a bad
 * method, else the failing call's -errno; *s is then safe to destroy. */
int irq_source_init(struct irq_source *s, struct kvm_vm *vm, enum irq_method m, uint32_t gsi);
/* vm NULL (the ring floor, harness/ring_floor.c): IRQFD only, an eventfd
 * that is not assigned to any VM; its reader stands for the guest. */
/* Deassigns the irqfd and closes the fds; fine on a zeroed or failed source. */
void irq_source_destroy(struct irq_source *s);
void irq_source_raise(struct irq_source *s);
void irq_source_lower(struct irq_source *s);
/* Resample events since the last call, without waiting (0 if none). */
uint64_t irq_source_take_resamples(struct irq_source *s);
/* Waits up to timeout_ms for a resample event and takes it: 1, 0 on
 * timeout, -errno. */
int irq_source_wait_resample(struct irq_source *s, int timeout_ms);
/* What the owner does on a resample event: takes it and re-raises when
 * still_pending. Returns whether it re-raised. */
bool irq_source_on_resample(struct irq_source *s, bool still_pending);

#endif
