// SPDX-License-Identifier: GPL-2.0
/* KVM binary statistics (KVM_GET_STATS_FD), read by name. The descriptors
 * are re-read on every call: stats are read around a measurement, never
 * inside one. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

void kvm_stats_foreach(int fd, void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	struct kvm_stats_header h;
	size_t desc_size;
	uint8_t *descs;

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(desc_size * h.num_desc);
	TEST_ASSERT(descs, "malloc");
	if (pread(fd, descs, desc_size * h.num_desc, h.desc_offset) != (ssize_t)(desc_size * h.num_desc)) {
		free(descs);
		return;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
		uint64_t vals[64], sum = 0;
		uint32_t n = d->size < 64 ? d->size : 64;

		if (pread(fd, vals, n * sizeof(uint64_t), h.data_offset + d->offset) != (ssize_t)(n * sizeof(uint64_t)))
			continue;
		for (uint32_t j = 0; j < n; j++)
			sum += vals[j];
		fn(ctx, d->name, sum);
	}
	free(descs);
}

struct stat_lookup {
	const char *name;
	int64_t value;
};

static void match(void *ctx, const char *name, uint64_t value)
{
	struct stat_lookup *l = ctx;

	if (!strcmp(name, l->name))
		l->value = (int64_t)value;
}

static int64_t stat_by_name(int fd, const char *name)
{
	struct stat_lookup l = { name, -1 };

	kvm_stats_foreach(fd, match, &l);
	return l.value;
}

int64_t vm_stat(struct kvm_vm *vm, const char *name)
{
	return stat_by_name(vm->stats_fd, name);
}

int64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	return stat_by_name(vcpu->stats_fd, name);
}
