// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio transport, version 2 (see include/virtio_mmio_dev.h).
 * One mutex per device serialises the vCPU thread's register accesses and
 * iothread notifications; queue processing runs under it and allocates
 * nothing.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_mmio_dev.h"

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER	VIRTIO_CONFIG_S_DRIVER
#define S_FEAT_OK	VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK	VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET
#define S_FAILED	VIRTIO_CONFIG_S_FAILED

/* Feature bits MMIO must never offer: their mechanisms do not exist here. */
#define NEVER_OFFERED ((1ull << VIRTIO_F_NOTIF_CONFIG_DATA) | (1ull << VIRTIO_F_ADMIN_VQ))

struct virtio_mmio_dev {
	pthread_mutex_t lock;
	struct virtio_mmio_cfg cfg;
	uint64_t offered;
	uint64_t driver_features;	/* as written, pages 0 and 1 */
	bool driver_features_high;	/* non-zero write to a page >= 2 */
	uint64_t negotiated;		/* valid once FEATURES_OK was accepted */
	uint32_t status;		/* includes the device-owned NEEDS_RESET */
	uint32_t isr;			/* InterruptStatus; atomic for irq_pending */
	uint32_t dev_features_sel, drv_features_sel, queue_sel, shm_sel;
	uint32_t config_generation;
	struct virtio_mmio_stats stats;
	/* Resets announced before taking the lock (atomics, see reset_request):
	 * ring processing stops at the next chain while one is pending. */
	uint32_t reset_pending;
	uint32_t queue_reset_pending[VIRTIO_MMIO_MAX_QUEUES];
	bool polling[VIRTIO_MMIO_MAX_QUEUES];	/* the device polls: kicks stay off */
	uint8_t config[VIRTIO_MMIO_CONFIG_MAX_BYTES];
	struct virtq *vqs[];
};

/* Once per kind per process: a hostile guest must not flood stderr. */
static uint32_t logged_kinds;

/* DRIVER_OK and not FAILED: the only status in which queues are served. */
static bool device_live(const struct virtio_mmio_dev *dev)
{
	return (dev->status & (S_DRIVER_OK | S_FAILED)) == S_DRIVER_OK;
}

static const char *const inval_names[VMMIO_INVAL_NR] = {
	[VMMIO_INVAL_WIDTH] = "wrong access width",
	[VMMIO_INVAL_UNALIGNED] = "unaligned access",
	[VMMIO_INVAL_READ_WO] = "read of write-only register",
	[VMMIO_INVAL_WRITE_RO] = "write to read-only register",
	[VMMIO_INVAL_UNDEF_READ] = "read of undefined offset",
	[VMMIO_INVAL_UNDEF_WRITE] = "write to undefined offset",
	[VMMIO_INVAL_STATE] = "write not allowed in this device status",
	[VMMIO_INVAL_STATUS] = "illegal Status transition",
	[VMMIO_INVAL_VALUE] = "value out of range",
	[VMMIO_INVAL_QUEUE_SEL] = "queue register with no queue selected",
	[VMMIO_INVAL_QUEUE_CFG] = "QueueReady=1 with invalid queue configuration",
	[VMMIO_INVAL_QUEUE_OVERLAP] = "QueueReady=1 with overlapping ring areas",
	[VMMIO_INVAL_CONFIG_RANGE] = "config access out of range",
	[VMMIO_INVAL_CONFIG_RO] = "config write refused",
};

const char *virtio_mmio__inval_name(enum vmmio_inval k)
{
	return (unsigned)k < VMMIO_INVAL_NR ? inval_names[k] : "?";
}

/*
 * Legal driver Status writes other than 0 (reset), a rewrite of the current
 * value and adding FAILED: one step at a time along the init sequence.
 */
static const struct { uint8_t from, to; } status_table[] = {
	{ 0, S_ACK },
	{ S_ACK, S_ACK | S_DRIVER },
	{ S_ACK | S_DRIVER, S_ACK | S_DRIVER | S_FEAT_OK },
	{ S_ACK | S_DRIVER | S_FEAT_OK, S_ACK | S_DRIVER | S_FEAT_OK | S_DRIVER_OK },
};

static void inval(struct virtio_mmio_dev *dev, enum vmmio_inval k, uint64_t off,
		  uint32_t len, bool is_write)
{
	dev->stats.invalid[k]++;
	if (!(__atomic_fetch_or(&logged_kinds, 1u << k, __ATOMIC_RELAXED) & (1u << k)))
		fprintf(stderr, "virtio-mmio: guest %s at 0x%03llx len %u: %s (counted; logged once)\n",
			is_write ? "write" : "read", (unsigned long long)off, len, inval_names[k]);
}

/* ---- interrupts ---- */

static void irq_event(struct virtio_mmio_dev *dev, uint32_t bit)
{
	__atomic_or_fetch(&dev->isr, bit, __ATOMIC_SEQ_CST);
	dev->stats.irqs_raised++;
	if (bit & VIRTIO_MMIO_INT_CONFIG)
		dev->stats.config_irqs++;
	/* Every new event fires again: an edge-delivered line would lose a
	 * completion if we only raised on a 0 -> non-zero change. */
	if (dev->cfg.irq && dev->cfg.irq->raise)
		dev->cfg.irq->raise(dev->cfg.irq_ctx);
}

static void irq_clear(struct virtio_mmio_dev *dev, uint32_t bits)
{
	uint32_t old = __atomic_fetch_and(&dev->isr, ~bits, __ATOMIC_SEQ_CST);

	if (old && !(old & ~bits)) {
		dev->stats.irqs_lowered++;
		if (dev->cfg.irq && dev->cfg.irq->lower)
			dev->cfg.irq->lower(dev->cfg.irq_ctx);
	}
}

static void needs_reset(struct virtio_mmio_dev *dev)
{
	if (dev->status & S_NEEDS_RESET)
		return;
	dev->status |= S_NEEDS_RESET;
	dev->stats.needs_reset++;
	if (dev->status & S_DRIVER_OK)
		irq_event(dev, VIRTIO_MMIO_INT_CONFIG);
}

/* ---- queue processing: the one path for trapped and ioeventfd kicks ---- */

/* A reset of the device or of queue q waits for the lock we hold. */
static bool reset_waiting(struct virtio_mmio_dev *dev, uint16_t q)
{
	return __atomic_load_n(&dev->reset_pending, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&dev->queue_reset_pending[q], __ATOMIC_SEQ_CST);
}

/*
 * Pops and completes chains until the ring is empty. The lock is held all
 * along, so a waiting reset (Status = 0, QueueReset) is honoured at the next
 * chain: processing stops, leaving the rest to the reset, and the resetting
 * vCPU waits for at most the chain in flight, however fast another thread
 * refills the ring.
 */
static void process_queue(struct virtio_mmio_dev *dev, uint16_t q)
{
	struct virtq *vq = dev->vqs[q];
	struct virtq_chain c;
	bool stopped = false, polling = dev->polling[q];
	int r;

	do {
		unsigned int popped = 0;

		/* A polling device keeps kicks off itself, and rewrites the
		 * shared field only when its position moved. */
		if (!polling)
			virtq_disable_kicks(vq);
		while (!(stopped = reset_waiting(dev, q)) && (r = virtq_pop(vq, &c)) > 0) {
			uint32_t written = 0;

			popped++;
			if (dev->cfg.ops->handle_chain(dev->cfg.ops_ctx, q, &c, &written) < 0) {
				virtq_fail(vq, VQ_ERR_DEVICE);
				break;
			}
			/* A device can only have written into writable bytes. */
			if (written > c.in_bytes)
				written = (uint32_t)c.in_bytes;
			virtq_push(vq, c.head, written);
			if (reset_waiting(dev, q))
				dev->stats.chains_during_reset++;
		}
		if (polling && popped)
			virtq_hold_kicks(vq);
	} while (!stopped && !virtq_is_broken(vq) && !polling && virtq_enable_kicks(vq));
	if (stopped) {
		dev->stats.reset_preemptions++;
		/* Kicks back on, in case the reset turns out not to concern
		 * this queue (a guest racing its own QueueSel). */
		if (!polling)
			virtq_enable_kicks(vq);
	}

	if (virtq_should_notify(vq))
		irq_event(dev, VIRTIO_MMIO_INT_VRING);
	if (virtq_is_broken(vq))
		needs_reset(dev);
}

static void notify_locked(struct virtio_mmio_dev *dev, uint32_t value)
{
	uint32_t q = value;
	struct virtq *vq;

	dev->stats.notifies++;
	/* NOTIFICATION_DATA: index | next_off << 16 | next_wrap << 31. We
	 * re-read avail.idx anyway, so the hint is only decoded, not trusted. */
	if (dev->negotiated & (1ull << VIRTIO_F_NOTIFICATION_DATA))
		q = value & 0xffff;
	if (q >= dev->cfg.num_queues) {
		dev->stats.notifies_bad_queue++;
		return;
	}
	vq = dev->vqs[q];
	if (virtq_accept_notify(vq, device_live(dev)))
		process_queue(dev, (uint16_t)q);
}

void virtio_mmio__notify(struct virtio_mmio_dev *dev, uint32_t notify_value)
{
	pthread_mutex_lock(&dev->lock);
	notify_locked(dev, notify_value);
	pthread_mutex_unlock(&dev->lock);
}

bool virtio_mmio__set_polling(struct virtio_mmio_dev *dev, uint16_t q, bool on)
{
	bool pending = false;

	if (q >= dev->cfg.num_queues)
		return false;
	pthread_mutex_lock(&dev->lock);
	dev->polling[q] = on;
	if (on)
		virtq_hold_kicks(dev->vqs[q]);
	else
		pending = virtq_enable_kicks(dev->vqs[q]);
	pthread_mutex_unlock(&dev->lock);
	return pending;
}

unsigned int virtio_mmio__poll(struct virtio_mmio_dev *dev, uint16_t q)
{
	uint64_t before;
	unsigned int done = 0;

	if (q >= dev->cfg.num_queues)
		return 0;
	pthread_mutex_lock(&dev->lock);
	if (device_live(dev) && virtq_is_ready(dev->vqs[q]) && !virtq_is_broken(dev->vqs[q])) {
		before = virtq_stats(dev->vqs[q])->chains_completed;
		process_queue(dev, q);
		done = (unsigned int)(virtq_stats(dev->vqs[q])->chains_completed - before);
	}
	pthread_mutex_unlock(&dev->lock);
	return done;
}

int virtio_dev_complete(struct virtio_mmio_dev *dev, uint16_t q)
{
	int r = -EINVAL;

	pthread_mutex_lock(&dev->lock);
	if (q < dev->cfg.num_queues) {
		struct virtq *vq = dev->vqs[q];

		r = -EAGAIN;
		if (device_live(dev) && virtq_is_ready(vq) && !virtq_is_broken(vq)) {
			process_queue(dev, q);
			r = 0;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return r;
}

/* ---- status, reset, features ---- */

static void reset_locked(struct virtio_mmio_dev *dev)
{
	dev->status = 0;
	irq_clear(dev, ~0u);
	dev->driver_features = 0;
	dev->driver_features_high = false;
	dev->negotiated = 0;
	dev->dev_features_sel = dev->drv_features_sel = 0;
	dev->queue_sel = dev->shm_sel = 0;
	for (uint32_t i = 0; i < dev->cfg.num_queues; i++)
		virtq_reset(dev->vqs[i]);
	dev->stats.resets++;
	if (dev->cfg.ops->reset)
		dev->cfg.ops->reset(dev->cfg.ops_ctx);
}

static bool features_acceptable(struct virtio_mmio_dev *dev)
{
	uint64_t f = dev->driver_features;

	if (dev->driver_features_high || (f & ~dev->offered))
		return false;
	if (!(f & (1ull << VIRTIO_F_VERSION_1)))
		return false;
	if (dev->cfg.ops->validate_features &&
	    dev->cfg.ops->validate_features(dev->cfg.ops_ctx, f) < 0)
		return false;
	return true;
}

static void status_write(struct virtio_mmio_dev *dev, uint32_t val)
{
	/* NEEDS_RESET belongs to the device; drivers write back what they read. */
	uint32_t cur = dev->status & ~S_NEEDS_RESET;
	uint32_t v = val & ~S_NEEDS_RESET;

	if (v == 0) {
		reset_locked(dev);
		return;
	}
	if (v == cur)
		return;
	if (v == (cur | S_FAILED)) {
		dev->status |= S_FAILED;
		return;
	}
	if (!(cur & S_FAILED)) {
		for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++) {
			if (status_table[i].from != cur || status_table[i].to != v)
				continue;
			if ((v & S_FEAT_OK) && !(cur & S_FEAT_OK)) {
				if (!features_acceptable(dev)) {
					/* Refusal: the bit stays clear for the driver to see. */
					dev->stats.features_refused++;
					return;
				}
				dev->negotiated = dev->driver_features;
			}
			dev->status = v | (dev->status & S_NEEDS_RESET);
			return;
		}
	}
	inval(dev, VMMIO_INVAL_STATUS, VIRTIO_MMIO_STATUS, 4, true);
}

/* ---- queue registers ---- */

static struct virtq *sel_queue(struct virtio_mmio_dev *dev)
{
	return dev->queue_sel < dev->cfg.num_queues ? dev->vqs[dev->queue_sel] : NULL;
}

/* Queue configuration is legal between FEATURES_OK and DRIVER_OK, or after
 * DRIVER_OK for a queue that was reset (RING_RESET), and only while the
 * queue is not ready. */
static bool queue_cfg_allowed(struct virtio_mmio_dev *dev, struct virtq *vq)
{
	return (dev->status & (S_FEAT_OK | S_FAILED)) == S_FEAT_OK && !virtq_is_ready(vq);
}

/* QueueReady = 1. A refused queue keeps reading 0 and is counted by why. */
static void queue_enable(struct virtio_mmio_dev *dev, struct virtq *vq)
{
	int r = virtq_set_ready(vq, dev->cfg.mem, dev->negotiated);

	for (uint32_t i = 0; !r && i < dev->cfg.num_queues; i++) {
		if (dev->vqs[i] != vq && virtq_rings_overlap(vq, dev->vqs[i])) {
			virtq_clear_ready(vq);
			r = -EEXIST;
		}
	}
	if (r)
		inval(dev, r == -EEXIST ? VMMIO_INVAL_QUEUE_OVERLAP : VMMIO_INVAL_QUEUE_CFG,
		      VIRTIO_MMIO_QUEUE_READY, 4, true);
}

static void queue_write(struct virtio_mmio_dev *dev, uint32_t off, uint32_t val)
{
	struct virtq *vq = sel_queue(dev);
	enum virtq_area area;
	uint64_t gpa;

	if (!vq || !virtq_size_max(vq)) {
		inval(dev, VMMIO_INVAL_QUEUE_SEL, off, 4, true);
		return;
	}
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (val > 1) {
			inval(dev, VMMIO_INVAL_VALUE, off, 4, true);
		} else if (val == 0) {
			virtq_clear_ready(vq);	/* stop using it; indices kept */
		} else if ((dev->status & (S_FEAT_OK | S_FAILED)) != S_FEAT_OK) {
			inval(dev, VMMIO_INVAL_STATE, off, 4, true);
		} else if (!virtq_is_ready(vq)) {
			queue_enable(dev, vq);
		}
		return;
	}
	if (off == VIRTIO_MMIO_QUEUE_RESET) {
		if (!(dev->negotiated & (1ull << VIRTIO_F_RING_RESET)) ||
		    !(dev->status & S_FEAT_OK))
			inval(dev, VMMIO_INVAL_STATE, off, 4, true);
		else if (val != 1)
			inval(dev, VMMIO_INVAL_VALUE, off, 4, true);
		else {
			virtq_reset(vq);
			dev->stats.queue_resets++;
		}
		return;
	}
	if (!queue_cfg_allowed(dev, vq)) {
		inval(dev, VMMIO_INVAL_STATE, off, 4, true);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Whatever the driver wrote, so that a bad size is refused at
		 * QueueReady like every other bad value, never half-applied. */
		virtq_set_size(vq, val);
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		area = VQ_AREA_DESC;
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		area = VQ_AREA_DRIVER;
		break;
	default:
		area = VQ_AREA_DEVICE;
		break;
	}
	/* Each register is one half of a 64-bit address. */
	gpa = virtq_area_addr(vq, area);
	if (off & 4)
		gpa = (gpa & 0xffffffffull) | ((uint64_t)val << 32);
	else
		gpa = (gpa & ~0xffffffffull) | val;
	virtq_set_area_addr(vq, area, gpa);
}

/* ---- register file ---- */

static uint32_t reg_read(struct virtio_mmio_dev *dev, uint32_t off)
{
	struct virtq *vq;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->cfg.device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return dev->cfg.vendor_id;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (dev->dev_features_sel > 1)
			return 0;
		return (uint32_t)(dev->offered >> (32 * dev->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		vq = sel_queue(dev);
		return vq ? virtq_size_max(vq) : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		vq = sel_queue(dev);
		return vq ? virtq_is_ready(vq) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&dev->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu;	/* no shared-memory region, any SHMSel */
	case VIRTIO_MMIO_QUEUE_RESET:
		if (!(dev->negotiated & (1ull << VIRTIO_F_RING_RESET))) {
			inval(dev, VMMIO_INVAL_STATE, off, 4, false);
			return 0;
		}
		/* Queue resets complete synchronously: never "in progress". */
		return 0;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
	case VIRTIO_MMIO_DRIVER_FEATURES:
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
	case VIRTIO_MMIO_QUEUE_SEL:
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_NOTIFY:
	case VIRTIO_MMIO_INTERRUPT_ACK:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
	case VIRTIO_MMIO_SHM_SEL:
		inval(dev, VMMIO_INVAL_READ_WO, off, 4, false);
		return 0;
	default:
		inval(dev, VMMIO_INVAL_UNDEF_READ, off, 4, false);
		return 0;
	}
}

static void reg_write(struct virtio_mmio_dev *dev, uint32_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->dev_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if ((dev->status & (S_DRIVER | S_FEAT_OK | S_FAILED)) != S_DRIVER) {
			inval(dev, VMMIO_INVAL_STATE, off, 4, true);
		} else if (dev->drv_features_sel > 1) {
			/* No such bits exist to accept: remember, refuse at FEATURES_OK. */
			if (val)
				dev->driver_features_high = true;
		} else {
			unsigned int shift = 32 * dev->drv_features_sel;

			dev->driver_features &= ~(0xffffffffull << shift);
			dev->driver_features |= (uint64_t)val << shift;
		}
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->drv_features_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_RESET:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		queue_write(dev, off, val);
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		notify_locked(dev, val);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		irq_clear(dev, val);
		return;
	case VIRTIO_MMIO_STATUS:
		status_write(dev, val);
		return;
	case VIRTIO_MMIO_SHM_SEL:
		dev->shm_sel = val;
		return;
	case VIRTIO_MMIO_MAGIC_VALUE:
	case VIRTIO_MMIO_VERSION:
	case VIRTIO_MMIO_DEVICE_ID:
	case VIRTIO_MMIO_VENDOR_ID:
	case VIRTIO_MMIO_DEVICE_FEATURES:
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_INTERRUPT_STATUS:
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
	case VIRTIO_MMIO_CONFIG_GENERATION:
		inval(dev, VMMIO_INVAL_WRITE_RO, off, 4, true);
		return;
	default:
		inval(dev, VMMIO_INVAL_UNDEF_WRITE, off, 4, true);
		return;
	}
}

static void config_access(struct virtio_mmio_dev *dev, uint32_t off, uint8_t *data,
			  uint32_t len, bool is_write)
{
	uint32_t coff = off - VIRTIO_MMIO_CONFIG;

	if (len != 1 && len != 2 && len != 4) {
		inval(dev, VMMIO_INVAL_WIDTH, off, len, is_write);
		return;
	}
	if (coff & (len - 1)) {
		inval(dev, VMMIO_INVAL_UNALIGNED, off, len, is_write);
		return;
	}
	if (coff + len > dev->cfg.config_len_bytes) {
		inval(dev, VMMIO_INVAL_CONFIG_RANGE, off, len, is_write);
		return;
	}
	if (!is_write) {
		memcpy(data, dev->config + coff, len);
	} else if (dev->cfg.ops->config_write &&
		   dev->cfg.ops->config_write(dev->cfg.ops_ctx, coff, data, len) == 0) {
		memcpy(dev->config + coff, data, len);
	} else {
		inval(dev, VMMIO_INVAL_CONFIG_RO, off, len, is_write);
	}
}

/*
 * The counter a reset write announces itself in before it takes the lock,
 * or NULL. QueueReset names its queue by QueueSel, read here without the
 * lock: only a guest racing its own QueueSel can make the hint wrong, and
 * then a queue merely stops early with kicks re-enabled.
 */
static uint32_t *reset_request(struct virtio_mmio_dev *dev, uint32_t off, const uint8_t *data,
			       uint32_t len, bool is_write)
{
	uint32_t v, sel;

	if (!is_write || len != 4)
		return NULL;
	memcpy(&v, data, 4);
	v = le32toh(v);
	if (off == VIRTIO_MMIO_STATUS && !(v & ~S_NEEDS_RESET))
		return &dev->reset_pending;
	if (off != VIRTIO_MMIO_QUEUE_RESET || v != 1 ||
	    !(__atomic_load_n(&dev->negotiated, __ATOMIC_RELAXED) & (1ull << VIRTIO_F_RING_RESET)))
		return NULL;
	sel = __atomic_load_n(&dev->queue_sel, __ATOMIC_RELAXED);
	return sel < dev->cfg.num_queues ? &dev->queue_reset_pending[sel] : NULL;
}

void virtio_mmio__access(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len, bool is_write)
{
	struct virtio_mmio_dev *dev = opaque;
	uint32_t off = (uint32_t)offset, v;
	uint32_t *reset_req = offset < VIRTIO_MMIO_WINDOW_BYTES ?
			      reset_request(dev, off, data, len, is_write) : NULL;

	/* Reads that fail return zeroes, whatever path they take. */
	if (!is_write)
		memset(data, 0, len);
	if (reset_req) {
		__atomic_add_fetch(reset_req, 1, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_lock(&dev->lock);
	if (offset >= VIRTIO_MMIO_WINDOW_BYTES) {
		inval(dev, VMMIO_INVAL_CONFIG_RANGE, offset, len, is_write);
	} else if (off >= VIRTIO_MMIO_CONFIG) {
		config_access(dev, off, data, len, is_write);
	} else if (len != 4) {
		inval(dev, VMMIO_INVAL_WIDTH, off, len, is_write);
	} else if (off & 3) {
		inval(dev, VMMIO_INVAL_UNALIGNED, off, len, is_write);
	} else if (is_write) {
		memcpy(&v, data, 4);
		reg_write(dev, off, le32toh(v));
	} else {
		v = htole32(reg_read(dev, off));
		memcpy(data, &v, 4);
	}
	/* Withdrawn under the lock: whoever takes it next sees the reset done
	 * and nothing pending, so no later kick is cut short for it. */
	if (reset_req)
		__atomic_sub_fetch(reset_req, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&dev->lock);
}

/* ---- lifetime, config updates, snapshots ---- */

int virtio_mmio__create(const struct virtio_mmio_cfg *cfg, struct virtio_mmio_dev **out)
{
	struct virtio_mmio_dev *dev;
	uint32_t qmax = cfg->queue_size_max;

	*out = NULL;
	if (!cfg->device_id || !cfg->ops || !cfg->ops->handle_chain || !cfg->mem ||
	    cfg->num_queues > VIRTIO_MMIO_MAX_QUEUES ||
	    qmax == 0 || qmax > VIRTIO_MMIO_QUEUE_SIZE_LIMIT || (qmax & (qmax - 1)) ||
	    cfg->config_len_bytes > VIRTIO_MMIO_CONFIG_MAX_BYTES ||
	    (cfg->config_len_bytes && !cfg->config))
		return -EINVAL;
	dev = calloc(1, sizeof(*dev) + cfg->num_queues * sizeof(dev->vqs[0]));
	if (!dev)
		return -ENOMEM;
	if (pthread_mutex_init(&dev->lock, NULL)) {
		free(dev);
		return -ENOMEM;
	}
	dev->cfg = *cfg;
	if (!dev->cfg.vendor_id)
		dev->cfg.vendor_id = VIRTIO_MMIO_VENDOR_DEFAULT;
	dev->offered = ((cfg->device_features | VIRTIO_MMIO_TRANSPORT_FEATURES) &
			~cfg->features_off & ~NEVER_OFFERED) | (1ull << VIRTIO_F_VERSION_1);
	if (cfg->config_len_bytes)
		memcpy(dev->config, cfg->config, cfg->config_len_bytes);
	for (uint32_t i = 0; i < cfg->num_queues; i++) {
		dev->vqs[i] = virtq_new((uint16_t)qmax);
		if (!dev->vqs[i]) {
			virtio_mmio__destroy(dev);
			return -ENOMEM;
		}
	}
	if (cfg->ops->bind)
		cfg->ops->bind(cfg->ops_ctx, dev);
	*out = dev;
	return 0;
}

void virtio_mmio__destroy(struct virtio_mmio_dev *dev)
{
	if (!dev)
		return;
	for (uint32_t i = 0; i < dev->cfg.num_queues; i++)
		virtq_destroy(dev->vqs[i]);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

bool virtio_mmio__reset_pending(struct virtio_mmio_dev *dev)
{
	if (__atomic_load_n(&dev->reset_pending, __ATOMIC_SEQ_CST))
		return true;
	for (uint32_t q = 0; q < dev->cfg.num_queues; q++)
		if (__atomic_load_n(&dev->queue_reset_pending[q], __ATOMIC_SEQ_CST))
			return true;
	return false;
}

bool virtio_mmio__irq_pending(struct virtio_mmio_dev *dev)
{
	return __atomic_load_n(&dev->isr, __ATOMIC_SEQ_CST) != 0;
}

int virtio_mmio__config_update(struct virtio_mmio_dev *dev, uint32_t off,
			      const void *src, uint32_t len)
{
	if (off > dev->cfg.config_len_bytes || len > dev->cfg.config_len_bytes - off)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	memcpy(dev->config + off, src, len);
	dev->config_generation++;
	if (device_live(dev))
		irq_event(dev, VIRTIO_MMIO_INT_CONFIG);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void virtio_mmio__get_stats(struct virtio_mmio_dev *dev, struct virtio_mmio_stats *out)
{
	pthread_mutex_lock(&dev->lock);
	*out = dev->stats;
	pthread_mutex_unlock(&dev->lock);
}

int virtio_mmio__get_queue_stats(struct virtio_mmio_dev *dev, uint16_t q,
				struct virtq_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (q >= dev->cfg.num_queues)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	*out = *virtq_stats(dev->vqs[q]);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

uint32_t virtio_mmio__status(struct virtio_mmio_dev *dev)
{
	uint32_t s;

	pthread_mutex_lock(&dev->lock);
	s = dev->status;
	pthread_mutex_unlock(&dev->lock);
	return s;
}

uint64_t virtio_mmio__features_locked(const struct virtio_mmio_dev *dev)
{
	return dev->negotiated;
}

uint64_t virtio_mmio__features(struct virtio_mmio_dev *dev)
{
	uint64_t f;

	pthread_mutex_lock(&dev->lock);
	f = dev->negotiated;
	pthread_mutex_unlock(&dev->lock);
	return f;
}
