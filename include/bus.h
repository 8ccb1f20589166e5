/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit loop's dispatch table: guest-physical MMIO ranges and port ranges
 * mapped to device handlers. Handlers run on the vCPU thread that took the
 * exit. For a read the handler fills data[0..len); for a write it consumes it.
 * offset is relative to the registered base. Little-endian, as on the wire.
 */
#ifndef MMIOBENCH_BUS_H
#define MMIOBENCH_BUS_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*bus_handler_t)(void *opaque, uint64_t offset, uint8_t *data,
			      uint32_t len, bool is_write);

enum bus_space { BUS_MMIO, BUS_PIO };

struct kvm_vm;
/* Returns 0, or -EEXIST if the range overlaps one already registered. */
int bus_register(struct kvm_vm *vm, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler_t fn, void *opaque);
int bus_unregister(struct kvm_vm *vm, enum bus_space space, uint64_t base);

#endif
