// SPDX-License-Identifier: GPL-2.0
/* MMIO and PIO range registration (see include/bus.h). Lookup is a linear
 * scan: a handful of ranges, and it runs on every trapped exit. */
#include <errno.h>

#include "kvm_util.h"

static struct bus_range *bus_table(struct kvm_vm *vm, enum bus_space space, int **nr)
{
	*nr = space == BUS_MMIO ? &vm->nr_mmio : &vm->nr_pio;
	return space == BUS_MMIO ? vm->mmio : vm->pio;
}

int bus_register(struct kvm_vm *vm, enum bus_space space, uint64_t base, uint64_t len,
		 bus_handler_t fn, void *opaque)
{
	int *nr;
	struct bus_range *t = bus_table(vm, space, &nr);

	if (!len || base + len < base || !fn)
		return -EINVAL;
	for (int i = 0; i < *nr; i++)
		if (base < t[i].base + t[i].len && t[i].base < base + len)
			return -EEXIST;
	if (*nr == BUS_MAX_RANGES)
		return -ENOSPC;
	t[(*nr)++] = (struct bus_range){ base, len, fn, opaque };
	return 0;
}

int bus_unregister(struct kvm_vm *vm, enum bus_space space, uint64_t base)
{
	int *nr;
	struct bus_range *t = bus_table(vm, space, &nr);

	for (int i = 0; i < *nr; i++) {
		if (t[i].base == base) {
			t[i] = t[--(*nr)];
			return 0;
		}
	}
	return -ENOENT;
}

const struct bus_range *bus_find(const struct bus_range *t, int nr, uint64_t addr, uint32_t len)
{
	for (int i = 0; i < nr; i++)
		if (addr >= t[i].base && addr - t[i].base + len <= t[i].len)
			return &t[i];
	return NULL;
}
