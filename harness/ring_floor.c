// SPDX-License-Identifier: GPL-2.0
/* The notify benchmark with no VM (include/ring_floor.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "guest_virtio.h"
#include "ring_floor.h"
#include "virtio_blk_dev.h"

#define FLOOR_DATA_BYTES	512	/* as the VM's notify requests */
#define SPINS_PER_CHECK		0xfffffu	/* as the guest's spin: a look per 2^20 */

struct floor {
	const struct ring_floor_cfg *cfg;
	struct guest_mem mem;
	struct virtio_blk *blk;
	struct virtio_kvm *vk;
	struct virtio_mmio_dev *dev;
	struct virtio_blk_drv drv;
	int notify_fd, irq_fd;
	uint64_t irqs;
	const char *stopped;		/* why a wait gave up */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The register accesses a guest's trapped MMIO would deliver. */
static void reg_write(struct floor *f, uint32_t off, uint32_t v)
{
	virtio_mmio__access(f->dev, off, (uint8_t *)&v, sizeof(v), true);
}

static uint32_t reg_read(struct floor *f, uint32_t off)
{
	uint32_t v = 0;

	virtio_mmio__access(f->dev, off, (uint8_t *)&v, sizeof(v), false);
	return v;
}

static void floor_notify(void *ctx)
{
	struct floor *f = ctx;
	uint64_t one = 1;

	if (f->notify_fd < 0) {
		reg_write(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);	/* the device runs here */
		return;
	}
	/* Fails only if the counter would overflow, which leaves it signalled. */
	while (write(f->notify_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static bool device_stopped(struct floor *f)
{
	if (!(virtio_mmio__status(f->dev) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return false;
	f->stopped = "the device set DEVICE_NEEDS_RESET";
	return true;
}

static int wait_spinning(struct floor *f)
{
	uint64_t spins = 0, t0 = clock_ns(CLOCK_MONOTONIC);

	while (!virtio_blk_has_used(&f->drv)) {
		if (++spins & SPINS_PER_CHECK)
			continue;
		if (device_stopped(f))
			return -EIO;
		if (clock_ns(CLOCK_MONOTONIC) - t0 > f->cfg->wait_timeout_ms * 1000000ull) {
			f->stopped = "no completion within the wait timeout";
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* As the guest does it: arm, sleep until the interrupt, then the ISR's
 * InterruptStatus read and InterruptACK write. */
static int wait_for_irq(struct floor *f)
{
	struct pollfd pfd = { .fd = f->irq_fd, .events = POLLIN };

	while (!virtio_blk_has_used(&f->drv)) {
		uint64_t n;
		uint32_t bits;
		int r;

		if (!virtio_blk_irq_on(&f->drv))
			break;		/* something arrived while arming */
		do
			r = poll(&pfd, 1, (int)f->cfg->wait_timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			if (!device_stopped(f))
				f->stopped = "no interrupt within the wait timeout";
			return -ETIMEDOUT;
		}
		if (read(f->irq_fd, &n, sizeof(n)) == sizeof(n))
			f->irqs++;
		bits = reg_read(f, VIRTIO_MMIO_INTERRUPT_STATUS);
		if (bits)
			reg_write(f, VIRTIO_MMIO_INTERRUPT_ACK, bits);
		if ((bits & VIRTIO_MMIO_INT_CONFIG) && device_stopped(f))
			return -EIO;
	}
	return 0;
}

static int floor_wait_used(void *ctx)
{
	struct floor *f = ctx;

	return f->cfg->completion_irq ? wait_for_irq(f) : wait_spinning(f);
}

static const struct virtio_blk_host_ops floor_ops = {
	.notify = floor_notify,
	.wait_used = floor_wait_used,
};

/* The guest driver's bring-up (virtio_mmio_negotiate(), setup_queue()),
 * done through the register handler since there is no window to write. */
static int bring_up(struct floor *f, void *ring, struct vring_drv_slot *slots, char *why, size_t why_len)
{
	const struct ring_floor_cfg *cfg = f->cfg;
	uint64_t wanted = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			  (cfg->event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
			  (cfg->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	uint64_t offered, desc, drv, dev;
	int r;

	reg_write(f, VIRTIO_MMIO_STATUS, 0);
	reg_write(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	reg_write(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	reg_write(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)reg_read(f, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	reg_write(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered |= reg_read(f, VIRTIO_MMIO_DEVICE_FEATURES);
	if ((offered & wanted) != wanted) {
		snprintf(why, why_len, "the device does not offer features 0x%llx",
			 (unsigned long long)(wanted & ~offered));
		return -EOPNOTSUPP;
	}
	reg_write(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)wanted);
	reg_write(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(wanted >> 32));
	reg_write(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		  VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(reg_read(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		snprintf(why, why_len, "the device refused features 0x%llx", (unsigned long long)wanted);
		return -EPROTO;
	}
	r = virtio_blk_host_init(&f->drv, wanted, cfg->queue_size, ring, slots,
				 (uintptr_t)f->mem.hva, &floor_ops, f);
	if (r < 0) {
		snprintf(why, why_len, "driver ring set-up failed: %s", strerror(-r));
		return r;
	}
	f->drv.by_irq = cfg->completion_irq;
	virtio_blk_irq_off(&f->drv);	/* interrupts only while waiting for one */
	if (cfg->packed) {
		desc = vring_pdrv_desc_addr(&f->drv.pq);
		drv = vring_pdrv_driver_addr(&f->drv.pq);
		dev = vring_pdrv_device_addr(&f->drv.pq);
	} else {
		desc = vring_drv_desc_addr(&f->drv.vq);
		drv = vring_drv_avail_addr(&f->drv.vq);
		dev = vring_drv_used_addr(&f->drv.vq);
	}
	reg_write(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (reg_read(f, VIRTIO_MMIO_QUEUE_NUM_MAX) < cfg->queue_size) {
		snprintf(why, why_len, "queue size %u is over the device's maximum", cfg->queue_size);
		return -EINVAL;
	}
	reg_write(f, VIRTIO_MMIO_QUEUE_NUM, cfg->queue_size);
	reg_write(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg_write(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	reg_write(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)drv);
	reg_write(f, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(drv >> 32));
	reg_write(f, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)dev);
	reg_write(f, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(dev >> 32));
	reg_write(f, VIRTIO_MMIO_QUEUE_READY, 1);
	if (reg_read(f, VIRTIO_MMIO_QUEUE_READY) != 1) {
		snprintf(why, why_len, "the device refused the queue");
		return -EPROTO;
	}
	reg_write(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return 0;
}

static void snapshot_device(struct floor *f, uint64_t *notifies, uint64_t *irqs)
{
	struct virtio_mmio_stats s;

	virtio_mmio__get_stats(f->dev, &s);
	*notifies = s.notifies;
	*irqs = s.irqs_raised;
}

static int loop_run(struct floor *f, struct virtio_blk_loop *l, uint64_t n, char *why, size_t why_len)
{
	int r = virtio_blk_loop_run(l, n);

	if (r)
		snprintf(why, why_len, "request loop failed: %s%s%s", strerror(-r),
			 f->stopped ? ": " : "", f->stopped ? f->stopped : "");
	return r;
}

static uint64_t timed_requests(const struct ring_floor_cfg *cfg, uint64_t warmup_ns)
{
	uint64_t fit;

	if (!cfg->timed_budget_ms || !cfg->warmup || !warmup_ns)
		return cfg->requests;
	fit = (uint64_t)((double)cfg->warmup * (double)cfg->timed_budget_ms * 1e6 / (double)warmup_ns);
	if (fit < cfg->warmup)
		fit = cfg->warmup;
	return fit < cfg->requests ? fit : cfg->requests;
}

int ring_floor_run(const struct ring_floor_cfg *cfg, struct ring_floor_result *out,
		   char *why, size_t why_len)
{
	uint32_t qs = cfg->queue_size;
	size_t ring_off = 4096, slots_off = ring_off + ((vring_size(qs, 4096) + 4095) & ~(size_t)4095);
	size_t reqs_off = (slots_off + (size_t)qs * sizeof(struct vring_drv_slot) + 63) & ~(size_t)63;
	size_t stack_off = reqs_off + (size_t)qs * sizeof(struct virtio_blk_req);
	size_t data_off = (stack_off + (size_t)qs * sizeof(uint32_t) + 63) & ~(size_t)63;
	size_t bytes = (data_off + FLOOR_DATA_BYTES + 4095) & ~(size_t)4095;
	struct floor f = { .cfg = cfg, .notify_fd = -1, .irq_fd = -1 };
	struct virtio_blk_cfg bc = {
		.backend = VIRTIO_BLK_BACKEND_NULL,
		.capacity_sectors = 1 << 20,
		.num_queues = 1,
		.queue_size_max = (uint16_t)qs,
	};
	struct virtio_dev_desc desc = {
		.wire = { .notify = cfg->notify, .irq = IRQ_METHOD_IRQFD, .iothread_cpu = cfg->iothread_cpu,
			  .iothread = cfg->notify == NOTIFY_TRAPPED ? IOTHREAD_BLOCK : cfg->iothread,
			  .poll_max_ns = cfg->poll_max_ns },
	};
	struct virtio_blk_loop l = { .data_len = FLOOR_DATA_BYTES, .batch = cfg->batch };
	struct virtio_mmio_stats st;
	uint64_t t0, cpu0, iot0, n, supp0, notifies0, irqs0, notifies1, irqs1;
	int r;

	memset(out, 0, sizeof(*out));
	why[0] = 0;
	if (!qs || qs > VRING_MAX_SIZE || (qs & (qs - 1)) || !cfg->batch || cfg->batch > qs ||
	    !cfg->requests || !cfg->wait_timeout_ms || !virtio_notify_mode_name(cfg->notify) ||
	    !iothread_mode_name(cfg->iothread)) {
		snprintf(why, why_len, "bad ring floor configuration");
		return -EINVAL;
	}
	f.mem.hva = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.mem.hva == MAP_FAILED) {
		r = -errno;
		snprintf(why, why_len, "mmap of %zu bytes: %s", bytes, strerror(errno));
		return r;
	}
	f.mem.size_bytes = bytes;
	l.b = &f.drv;
	l.reqs = (struct virtio_blk_req *)(f.mem.hva + reqs_off);
	l.free_stack = (uint32_t *)(f.mem.hva + stack_off);
	l.data = f.mem.hva + data_off;

	r = virtio_blk__new(&bc, &f.blk, &desc.dev);
	if (!r)
		r = virtio_host_attach(&f.mem, &desc, &f.vk);
	if (r) {
		snprintf(why, why_len, "device set-up failed: %s", strerror(-r));
		goto out;
	}
	f.dev = virtio_kvm_mmio(f.vk);
	f.notify_fd = virtio_kvm_notify_fd(f.vk, 0);
	f.irq_fd = virtio_kvm_irq_fd(f.vk);
	r = bring_up(&f, f.mem.hva + ring_off, (struct vring_drv_slot *)(f.mem.hva + slots_off), why, why_len);
	if (r)
		goto out;
	virtio_blk_loop_reset(&l, qs);
	t0 = clock_ns(CLOCK_MONOTONIC);
	r = loop_run(&f, &l, cfg->warmup, why, why_len);
	if (r)
		goto out;
	n = timed_requests(cfg, clock_ns(CLOCK_MONOTONIC) - t0);

	l.bad_status = 0;
	f.irqs = 0;
	out->warmup_kicks = virtio_blk_kicks(&f.drv);
	supp0 = virtio_blk_kicks_suppressed(&f.drv);
	snapshot_device(&f, &notifies0, &irqs0);
	virtio_kvm_get_counters(f.vk, &out->vk0);
	iot0 = virtio_kvm_iothread_cpu_ns(f.vk);
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = clock_ns(CLOCK_MONOTONIC);
	r = loop_run(&f, &l, n, why, why_len);
	out->ns = clock_ns(CLOCK_MONOTONIC) - t0;
	out->driver_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	out->iothread_cpu_ns = virtio_kvm_iothread_cpu_ns(f.vk);
	out->iothread_cpu_ns = out->iothread_cpu_ns ? out->iothread_cpu_ns - iot0 : 0;
	virtio_kvm_get_counters(f.vk, &out->vk1);
	if (r)
		goto out;
	snapshot_device(&f, &notifies1, &irqs1);
	out->device_notifies = notifies1 - notifies0;
	out->device_irqs = irqs1 - irqs0;
	out->completed = n;
	out->bad_status = l.bad_status;
	out->kicks = virtio_blk_kicks(&f.drv) - out->warmup_kicks;
	out->kicks_suppressed = virtio_blk_kicks_suppressed(&f.drv) - supp0;
	out->irqs = f.irqs;
	virtio_mmio__get_stats(f.dev, &st);
	out->needs_reset = st.needs_reset;
	for (int i = 0; i < VMMIO_INVAL_NR; i++)
		out->invalid += st.invalid[i];
	if (out->bad_status || out->needs_reset || out->invalid) {
		snprintf(why, why_len, "%llu bad statuses, %llu DEVICE_NEEDS_RESET, %llu invalid register accesses",
			 (unsigned long long)out->bad_status, (unsigned long long)out->needs_reset,
			 (unsigned long long)out->invalid);
		r = -EIO;
	}
out:
	virtio_kvm_destroy(f.vk);	/* the iothread stops first */
	virtio_blk__destroy(f.blk);
	munmap(f.mem.hva, bytes);
	return r;
}
