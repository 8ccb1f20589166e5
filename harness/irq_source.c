// SPDX-License-Identifier: GPL-2.0
/* One interrupt source, three methods (include/irq_source.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "irq_source.h"
#include "kvm_util.h"

static const char *const method_names[] = {
	[IRQ_METHOD_LINE] = "irq_line",
	[IRQ_METHOD_IRQFD] = "irqfd",
	[IRQ_METHOD_IRQFD_RESAMPLE] = "irqfd_resample",
};
_Static_assert(ARRAY_SIZE(method_names) == IRQ_METHOD_COUNT, "a name per method");

const char *irq_method_name(enum irq_method m)
{
	return (unsigned int)m < ARRAY_SIZE(method_names) ? method_names[m] : NULL;
}

int irq_method_parse(const char *s)
{
	for (int i = 0; i < IRQ_METHOD_COUNT; i++)
		if (!strcmp(s, method_names[i]))
			return i;
	return -1;
}

bool irq_method_is_level(enum irq_method m)
{
	return m != IRQ_METHOD_IRQFD;
}

const char *irq_method_missing_cap(enum irq_method m)
{
	if (m != IRQ_METHOD_LINE && !kvm_check_cap(KVM_CAP_IRQFD))
		return "KVM_CAP_IRQFD";
	if (m == IRQ_METHOD_IRQFD_RESAMPLE && !kvm_check_cap(KVM_CAP_IRQFD_RESAMPLE))
		return "KVM_CAP_IRQFD_RESAMPLE";
	return NULL;
}

int irq_source_init(struct irq_source *s, struct kvm_vm *vm, enum irq_method m, uint32_t gsi)
{
	int r;

	*s = (struct irq_source){ .vm = vm, .method = m, .gsi = gsi, .irqfd = -1, .resamplefd = -1 };
	if (!irq_method_name(m) || (!vm && m != IRQ_METHOD_IRQFD))
		return -EINVAL;
	if (vm && irq_method_missing_cap(m))
		return -EOPNOTSUPP;
	if (m == IRQ_METHOD_LINE)
		return 0;
	s->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->irqfd < 0)
		return -errno;
	if (m == IRQ_METHOD_IRQFD_RESAMPLE) {
		s->resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->resamplefd < 0)
			return -errno;
	}
	if (!vm)
		return 0;	/* no VM: whoever stands for the guest reads the eventfd */
	r = __vm_irqfd(vm, s->irqfd, gsi, s->resamplefd, false);
	if (r) {
		close(s->irqfd);	/* not assigned: destroy must not deassign */
		s->irqfd = -1;
	}
	return r;
}

void irq_source_destroy(struct irq_source *s)
{
	if (s->irqfd >= 0) {
		if (s->vm)
			__vm_irqfd(s->vm, s->irqfd, s->gsi, s->resamplefd, true);
		close(s->irqfd);
	}
	if (s->resamplefd >= 0)
		close(s->resamplefd);
	s->irqfd = s->resamplefd = -1;
}

void irq_source_raise(struct irq_source *s)
{
	uint64_t one = 1;

	if (s->method == IRQ_METHOD_LINE) {
		vm_irq_line(s->vm, s->gsi, 1);
		return;
	}
	/* An eventfd write fails only when the counter would overflow, which
	 * still leaves it signalled: nothing is lost. */
	while (write(s->irqfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void irq_source_lower(struct irq_source *s)
{
	/* irqfd lines are lowered by KVM itself: the edge method pulses, the
	 * resample method deasserts on EOI. */
	if (s->method == IRQ_METHOD_LINE)
		vm_irq_line(s->vm, s->gsi, 0);
}

uint64_t irq_source_take_resamples(struct irq_source *s)
{
	uint64_t n = 0;

	if (s->resamplefd < 0 || read(s->resamplefd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

int irq_source_wait_resample(struct irq_source *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = s->resamplefd, .events = POLLIN };
	int r;

	if (s->resamplefd < 0)
		return -EINVAL;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r && irq_source_take_resamples(s) ? 1 : 0;
}

bool irq_source_on_resample(struct irq_source *s, bool still_pending)
{
	irq_source_take_resamples(s);
	/* KVM lowered the line on EOI: raise it again if the device still has
	 * something the guest has not acknowledged. */
	if (still_pending)
		irq_source_raise(s);
	return still_pending;
}
