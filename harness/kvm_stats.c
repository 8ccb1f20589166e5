// SPDX-License-Identifier: GPL-2.0
/*
 * KVM binary statistics (KVM_GET_STATS_FD), read by name. As the kernel's
 * selftests do (read_stat_header(), read_stats_descriptors()), the header
 * and descriptors of an fd are read once, on the first lookup, and kept
 * with the VM or vCPU; a lookup is then a name search and one pread of the
 * value, with no allocation. Stats are read around a measurement, never
 * inside a timed window.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

struct kvm_stats {
	int fd;
	struct kvm_stats_header h;
	size_t desc_size;
	uint8_t *descs;
};

struct kvm_stats *kvm_stats_open(int fd)
{
	struct kvm_stats *s;
	size_t bytes;

	if (fd < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	TEST_ASSERT(s, "calloc");
	s->fd = fd;
	if (pread(fd, &s->h, sizeof(s->h), 0) != sizeof(s->h))
		goto fail;
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	bytes = s->desc_size * s->h.num_desc;
	s->descs = malloc(bytes ? bytes : 1);
	TEST_ASSERT(s->descs, "malloc");
	if (pread(fd, s->descs, bytes, s->h.desc_offset) != (ssize_t)bytes)
		goto fail;
	return s;
fail:
	kvm_stats_free(s);
	return NULL;
}

void kvm_stats_free(struct kvm_stats *s)
{
	if (!s)
		return;
	free(s->descs);
	free(s);
}

static const struct kvm_stats_desc *desc_at(const struct kvm_stats *s, int i)
{
	return (const struct kvm_stats_desc *)(s->descs + (size_t)i * s->desc_size);
}

int kvm_stats_find(const struct kvm_stats *s, const char *name)
{
	for (uint32_t i = 0; s && i < s->h.num_desc; i++)
		if (!strncmp(desc_at(s, (int)i)->name, name, s->h.name_size))
			return (int)i;
	return -1;
}

int64_t kvm_stats_read(const struct kvm_stats *s, int i)
{
	const struct kvm_stats_desc *d;
	uint64_t vals[64], sum = 0;

	if (!s || i < 0 || (uint32_t)i >= s->h.num_desc)
		return -1;
	d = desc_at(s, i);
	/* Histograms: the sum of their buckets, read in chunks. */
	for (uint32_t done = 0; done < d->size; ) {
		uint32_t n = d->size - done < 64 ? d->size - done : 64;
		off_t off = (off_t)(s->h.data_offset + d->offset + done * sizeof(uint64_t));

		if (pread(s->fd, vals, n * sizeof(uint64_t), off) != (ssize_t)(n * sizeof(uint64_t)))
			return -1;
		for (uint32_t j = 0; j < n; j++)
			sum += vals[j];
		done += n;
	}
	return (int64_t)sum;
}

void kvm_stats_foreach(int fd, void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	struct kvm_stats *s = kvm_stats_open(fd);

	for (uint32_t i = 0; s && i < s->h.num_desc; i++) {
		int64_t v = kvm_stats_read(s, (int)i);

		if (v >= 0)
			fn(ctx, desc_at(s, (int)i)->name, (uint64_t)v);
	}
	kvm_stats_free(s);
}

static int64_t cached(struct kvm_stats **cache, int fd, const char *name)
{
	if (!*cache)
		*cache = kvm_stats_open(fd);
	return kvm_stats_read(*cache, kvm_stats_find(*cache, name));
}

int64_t vm_stat(struct kvm_vm *vm, const char *name)
{
	return cached(&vm->stats, vm->stats_fd, name);
}

int64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	return cached(&vcpu->stats, vcpu->stats_fd, name);
}

int vcpu_stat_index(struct kvm_vcpu *vcpu, const char *name)
{
	if (!vcpu->stats)
		vcpu->stats = kvm_stats_open(vcpu->stats_fd);
	return kvm_stats_find(vcpu->stats, name);
}

int64_t vcpu_stat_at(struct kvm_vcpu *vcpu, int index)
{
	return kvm_stats_read(vcpu->stats, index);
}
