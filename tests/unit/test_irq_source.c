// SPDX-License-Identifier: GPL-2.0
/* The interrupt method and notify mode names (harness/irq_source.c,
 * harness/virtio_kvm.c): every value has its name, a value out of range has
 * none (the tables used to be indexed unchecked), parse inverts name. */
#include <string.h>

#include "irq_source.h"
#include "test_util.h"
#include "virtio_kvm.h"

static void method_names_round_trip(void)
{
	for (int m = 0; m < IRQ_METHOD_COUNT; m++) {
		const char *n = irq_method_name((enum irq_method)m);

		CHECK(n != NULL);
		CHECK_EQ(irq_method_parse(n), m);
	}
	CHECK(!strcmp(irq_method_name(IRQ_METHOD_IRQFD_RESAMPLE), "irqfd_resample"));
	CHECK_EQ(irq_method_parse("irqfd_resampl"), -1);
	CHECK_EQ(irq_method_parse(""), -1);
	CHECK(!irq_method_is_level(IRQ_METHOD_IRQFD));
	CHECK(irq_method_is_level(IRQ_METHOD_LINE) && irq_method_is_level(IRQ_METHOD_IRQFD_RESAMPLE));
}

static void names_out_of_range(void)
{
	CHECK(irq_method_name((enum irq_method)IRQ_METHOD_COUNT) == NULL);
	CHECK(irq_method_name((enum irq_method)-1) == NULL);
	CHECK(irq_method_name((enum irq_method)7) == NULL);
	CHECK(virtio_notify_mode_name((enum virtio_notify_mode)NOTIFY_MODE_COUNT) == NULL);
	CHECK(virtio_notify_mode_name((enum virtio_notify_mode)-1) == NULL);
}

static void notify_names_round_trip(void)
{
	for (int m = 0; m < NOTIFY_MODE_COUNT; m++) {
		const char *n = virtio_notify_mode_name((enum virtio_notify_mode)m);

		CHECK(n != NULL);
		CHECK_EQ(virtio_notify_mode_parse(n), m);
	}
	CHECK_EQ(virtio_notify_mode_parse("mmio"), -1);
}

/* A zeroed or failed source is safe to destroy (error paths rely on it). */
static void destroy_without_init(void)
{
	struct irq_source s = { .irqfd = -1, .resamplefd = -1 };

	irq_source_destroy(&s);
	CHECK_EQ(irq_source_take_resamples(&s), 0);
	CHECK_EQ(irq_source_wait_resample(&s, 0), -22);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(method_names_round_trip),
	KTAP_CASE(names_out_of_range),
	KTAP_CASE(notify_names_round_trip),
	KTAP_CASE(destroy_without_init),
};

int main(void)
{
	return KTAP_RUN(cases);
}
