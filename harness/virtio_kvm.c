// SPDX-License-Identifier: GPL-2.0
/* A virtio-mmio device in a KVM VM: bus window, ioeventfds, irqfds and the
 * iothread (see include/virtio_kvm.h). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "virtio_kvm.h"

#define VK_MAX_QUEUES VIRTIO_MMIO_MAX_QUEUES

struct virtio_kvm {
	struct kvm_vm *vm;
	struct virtio_kvm_cfg cfg;
	struct virtio_mmio_dev *dev;
	uint16_t num_queues;
	struct irq_source irq;
	int notify_fds[VK_MAX_QUEUES];	/* IOEVENTFD: per queue; ZEROLEN: [0] */
	int nr_notify_fds;
	struct virtio_dev_fd dev_fds[VIRTIO_KVM_MAX_DEV_FDS];
	unsigned int nr_dev_fds;
	bool bus_registered;
	int stop_fd, epoll_fd;
	bool iothread_running, pinned;
	pthread_t iothread;
	_Atomic uint64_t iothread_wakeups, iothread_notifies, eventfd_kicks;
	_Atomic uint64_t irq_signals, resamples, irq_reraises;
	_Atomic uint64_t polls_hit, polls_slept, poll_window_ns;
};

static const char *const notify_names[] = {
	[NOTIFY_TRAPPED] = "trapped",
	[NOTIFY_IOEVENTFD] = "ioeventfd",
	[NOTIFY_IOEVENTFD_ZEROLEN] = "ioeventfd_zerolen",
};
_Static_assert(ARRAY_SIZE(notify_names) == NOTIFY_MODE_COUNT, "a name per notify mode");

static const char *const iothread_names[] = {
	[IOTHREAD_BLOCK] = "block",
	[IOTHREAD_POLL] = "poll",
	[IOTHREAD_BUSY] = "busy",
};
_Static_assert(ARRAY_SIZE(iothread_names) == IOTHREAD_MODE_COUNT, "a name per iothread mode");

const char *iothread_mode_name(enum iothread_mode m)
{
	return (unsigned int)m < ARRAY_SIZE(iothread_names) ? iothread_names[m] : NULL;
}

const char *virtio_notify_mode_name(enum virtio_notify_mode m)
{
	return (unsigned int)m < ARRAY_SIZE(notify_names) ? notify_names[m] : NULL;
}

int virtio_notify_mode_parse(const char *s)
{
	for (int i = 0; i < NOTIFY_MODE_COUNT; i++)
		if (!strcmp(s, notify_names[i]))
			return i;
	return -1;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	/* An eventfd write fails only when the counter would overflow, which
	 * still leaves it signalled: nothing is lost. */
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Called by the transport with the device mutex held. */
static void vk_raise(void *ctx)
{
	struct virtio_kvm *vk = ctx;

	atomic_fetch_add_explicit(&vk->irq_signals, 1, memory_order_relaxed);
	irq_source_raise(&vk->irq);
}

static void vk_lower(void *ctx)
{
	struct virtio_kvm *vk = ctx;

	irq_source_lower(&vk->irq);
}

static const struct virtio_mmio_irq_ops virtio_kvm_irq_ops = { .raise = vk_raise, .lower = vk_lower };

const char *virtio_kvm_missing_cap(const struct virtio_kvm_cfg *cfg)
{
	const char *irq = irq_method_missing_cap(cfg->irq);

	if (irq)
		return irq;
	if (cfg->notify != NOTIFY_TRAPPED && !kvm_check_cap(KVM_CAP_IOEVENTFD))
		return "KVM_CAP_IOEVENTFD";
	if (cfg->notify == NOTIFY_IOEVENTFD_ZEROLEN && !kvm_check_cap(KVM_CAP_IOEVENTFD_ANY_LENGTH))
		return "KVM_CAP_IOEVENTFD_ANY_LENGTH";
	return NULL;
}

static uint64_t drain_fd(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* epoll data names the source: a queue index (< VK_MAX_QUEUES), one of
 * these, or SRC_DEV + i for the device's own fd i. */
enum { SRC_STOP = 0xffff, SRC_RESAMPLE = 0xfffe, SRC_ALL_QUEUES = 0xfffd, SRC_DEV = 0x10000 };

/* Handles what epoll returned; false when told to stop. */
static bool dispatch(struct virtio_kvm *vk, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t src = ev[i].data.u32;

		if (src == SRC_STOP)
			return false;
		if (src == SRC_RESAMPLE) {
			atomic_fetch_add_explicit(&vk->resamples, 1, memory_order_relaxed);
			if (irq_source_on_resample(&vk->irq, virtio_mmio__irq_pending(vk->dev)))
				atomic_fetch_add_explicit(&vk->irq_reraises, 1, memory_order_relaxed);
			continue;
		}
		if (src >= SRC_DEV) {
			const struct virtio_dev_fd *f = &vk->dev_fds[src - SRC_DEV];

			f->ready(f->ctx);
			continue;
		}
		if (src == SRC_ALL_QUEUES) {
			atomic_fetch_add_explicit(&vk->eventfd_kicks, drain_fd(vk->notify_fds[0]),
						  memory_order_relaxed);
			/* Counted before the call: its completions can end
			 * the guest, and the host read the counters, before
			 * an increment after it (a CI run saw 0). */
			atomic_fetch_add_explicit(&vk->iothread_notifies, vk->num_queues,
						  memory_order_relaxed);
			for (uint16_t q = 0; q < vk->num_queues; q++)
				virtio_mmio__notify(vk->dev, q);
			continue;
		}
		atomic_fetch_add_explicit(&vk->eventfd_kicks, drain_fd(vk->notify_fds[src]),
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&vk->iothread_notifies, 1, memory_order_relaxed);
		virtio_mmio__notify(vk->dev, src);
	}
	return true;
}

#define EV_MAX (VK_MAX_QUEUES + 2 + VIRTIO_KVM_MAX_DEV_FDS)

/* epoll_wait with timeout_ms, then dispatch: -1 to stop, else the events
 * handled. */
static int wait_and_dispatch(struct virtio_kvm *vk, int timeout_ms)
{
	struct epoll_event ev[EV_MAX];
	int n = epoll_wait(vk->epoll_fd, ev, EV_MAX, timeout_ms);

	if (n < 0) {
		TEST_ASSERT(errno == EINTR, "epoll_wait");
		return 0;
	}
	if (n && timeout_ms)
		atomic_fetch_add_explicit(&vk->iothread_wakeups, 1, memory_order_relaxed);
	return dispatch(vk, ev, n) ? n : -1;
}

/* One look at every queue's ring; whether any had work. */
static bool poll_rings(struct virtio_kvm *vk)
{
	unsigned int done = 0;

	for (uint16_t q = 0; q < vk->num_queues; q++)
		done += virtio_mmio__poll(vk->dev, q);
	return done;
}

/* Kicks off (polling) or on again; turning them on reports whether work
 * arrived meanwhile. */
static bool set_polling(struct virtio_kvm *vk, bool on)
{
	bool pending = false;

	for (uint16_t q = 0; q < vk->num_queues; q++)
		pending |= virtio_mmio__set_polling(vk->dev, q, on);
	return pending;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void iothread_block(struct virtio_kvm *vk)
{
	while (wait_and_dispatch(vk, -1) >= 0)
		;
}

static void iothread_busy(struct virtio_kvm *vk)
{
	set_polling(vk, true);
	for (;;) {
		int n = wait_and_dispatch(vk, 0);

		if (n < 0)
			return;
		if (poll_rings(vk) || n)
			atomic_fetch_add_explicit(&vk->polls_hit, 1, memory_order_relaxed);
		else
			spin_pause();
	}
}

/*
 * QEMU's adjust_polling_time() with its defaults (grow 2, shrink 0): the
 * time from the start of a wait to its work decides. Under the window: the
 * window was right. Over poll_max_ns: polling could not have caught it,
 * stop polling. In between: poll longer.
 */
static uint64_t adjust_window(uint64_t window, uint64_t waited_ns, uint64_t max_ns)
{
	if (waited_ns <= window)
		return window;
	if (waited_ns > max_ns)
		return 0;
	if (window < max_ns) {
		window = window ? window * 2 : 4000;
		return window > max_ns ? max_ns : window;
	}
	return window;
}

static void iothread_poll(struct virtio_kvm *vk)
{
	uint64_t max_ns = vk->cfg.poll_max_ns ? vk->cfg.poll_max_ns : IOTHREAD_POLL_MAX_NS_DEFAULT;
	uint64_t window = 0;

	for (;;) {
		uint64_t t0 = now_ns();
		bool hit = false;
		int n;

		if (window) {
			set_polling(vk, true);
			do {
				n = wait_and_dispatch(vk, 0);
				if (n < 0)
					return;
				hit = poll_rings(vk) || n;
			} while (!hit && now_ns() - t0 < window);
		}
		if (hit) {
			atomic_fetch_add_explicit(&vk->polls_hit, 1, memory_order_relaxed);
		} else {
			/* Kicks on, then one more look: work that came in
			 * between must not wait for a kick already skipped. */
			if (set_polling(vk, false))
				poll_rings(vk);
			atomic_fetch_add_explicit(&vk->polls_slept, 1, memory_order_relaxed);
			if (wait_and_dispatch(vk, -1) < 0)
				return;
		}
		window = adjust_window(window, now_ns() - t0, max_ns);
		atomic_store_explicit(&vk->poll_window_ns, window, memory_order_relaxed);
	}
}

static void *iothread_main(void *arg)
{
	struct virtio_kvm *vk = arg;

	if (vk->cfg.iothread == IOTHREAD_BUSY)
		iothread_busy(vk);
	else if (vk->cfg.iothread == IOTHREAD_POLL)
		iothread_poll(vk);
	else
		iothread_block(vk);
	return NULL;
}

/* One eventfd for every queue: the zero-length wildcard, or the len-4
 * wildcard that notification data needs. */
static bool notify_fd_shared(const struct virtio_kvm *vk)
{
	return vk->cfg.notify == NOTIFY_IOEVENTFD_ZEROLEN ||
	       (vk->cfg.notify == NOTIFY_IOEVENTFD && vk->cfg.notification_data);
}

static struct ioeventfd_spec notify_spec(struct virtio_kvm *vk, uint16_t q)
{
	struct ioeventfd_spec s = { .addr = vk->cfg.base + VIRTIO_MMIO_QUEUE_NOTIFY };

	if (vk->cfg.notify == NOTIFY_IOEVENTFD) {
		s.len = 4;
		s.datamatch = !vk->cfg.notification_data;
		s.data = s.datamatch ? q : 0;
	}
	return s;
}

static int epoll_add(struct virtio_kvm *vk, int fd, uint32_t src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(vk->epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Bus window, ioeventfds, iothread: the transport is live after this. */
static int vk_start(struct virtio_kvm *vk)
{
	int r;

	if (vk->vm) {
		r = bus_register(vk->vm, BUS_MMIO, vk->cfg.base, VIRTIO_MMIO_WINDOW, virtio_mmio__access,
				 vk->dev);
		if (r)
			return r;
		vk->bus_registered = true;
	}

	if (notify_fd_shared(vk))
		vk->nr_notify_fds = 1;
	else if (vk->cfg.notify == NOTIFY_IOEVENTFD)
		vk->nr_notify_fds = vk->num_queues;
	for (int i = 0; i < vk->nr_notify_fds; i++) {
		struct ioeventfd_spec s = notify_spec(vk, (uint16_t)i);

		vk->notify_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vk->notify_fds[i] < 0) {
			vk->nr_notify_fds = i;
			return -errno;
		}
		r = vk->vm ? __vm_ioeventfd(vk->vm, vk->notify_fds[i], &s, false) : 0;
		if (r) {
			r = -errno;
			close(vk->notify_fds[i]);
			vk->nr_notify_fds = i;
			return r;
		}
	}
	if (!vk->nr_notify_fds && vk->irq.resamplefd < 0 && !vk->nr_dev_fds)
		return 0;	/* trapped with a self-lowering irq: no iothread */

	vk->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	vk->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vk->epoll_fd < 0 || vk->stop_fd < 0)
		return -errno;
	r = epoll_add(vk, vk->stop_fd, SRC_STOP);
	if (!r && vk->irq.resamplefd >= 0)
		r = epoll_add(vk, vk->irq.resamplefd, SRC_RESAMPLE);
	for (int i = 0; !r && i < vk->nr_notify_fds; i++)
		r = epoll_add(vk, vk->notify_fds[i],
			      notify_fd_shared(vk) ? SRC_ALL_QUEUES : (uint32_t)i);
	for (unsigned int i = 0; !r && i < vk->nr_dev_fds; i++)
		r = epoll_add(vk, vk->dev_fds[i].fd, SRC_DEV + i);
	if (r)
		return r;
	r = pthread_create(&vk->iothread, NULL, iothread_main, vk);
	if (r)
		return -r;
	vk->iothread_running = true;
	if (vk->cfg.iothread_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(vk->cfg.iothread_cpu, &set);
		vk->pinned = !pthread_setaffinity_np(vk->iothread, sizeof(set), &set);
	}
	return 0;
}

/* vm NULL: no bus window, no KVM registration (virtio_host_attach()). */
static int attach(struct kvm_vm *vm, const struct guest_mem *mem, const struct virtio_dev_desc *d,
		  struct virtio_kvm **out)
{
	const struct virtio_kvm_cfg *cfg = &d->wire;
	struct virtio_mmio_cfg mc = d->dev;
	struct virtio_kvm *vk;
	int r;

	*out = NULL;
	if ((vm && !vm->has_irqchip) || !virtio_notify_mode_name(cfg->notify) || !irq_method_name(cfg->irq) ||
	    !iothread_mode_name(cfg->iothread) ||
	    d->dev.num_queues < 1 || d->dev.num_queues > VK_MAX_QUEUES ||
	    d->nr_fds > VIRTIO_KVM_MAX_DEV_FDS || (d->nr_fds && !d->fds))
		return -EINVAL;
	for (unsigned int i = 0; i < d->nr_fds; i++)
		if (d->fds[i].fd < 0 || !d->fds[i].ready)
			return -EINVAL;
	if (vm && virtio_kvm_missing_cap(cfg))
		return -EOPNOTSUPP;
	vk = calloc(1, sizeof(*vk));
	if (!vk)
		return -ENOMEM;
	vk->vm = vm;
	vk->cfg = *cfg;
	if (!vk->cfg.base)
		vk->cfg.base = VIRTIO_MMIO_BASE;
	if (!vk->cfg.gsi)
		vk->cfg.gsi = VIRTIO_MMIO_GSI;
	vk->num_queues = d->dev.num_queues;
	vk->nr_dev_fds = d->nr_fds;
	if (d->nr_fds)
		memcpy(vk->dev_fds, d->fds, d->nr_fds * sizeof(d->fds[0]));
	vk->stop_fd = vk->epoll_fd = -1;
	r = irq_source_init(&vk->irq, vm, cfg->irq, vk->cfg.gsi);
	if (r)
		goto fail;
	/* The transport wraps the device; its interrupt is this VM's source. */
	mc.irq = &virtio_kvm_irq_ops;
	mc.irq_ctx = vk;
	/* A datamatch ioeventfd matches the bare queue index only: with
	 * NOTIFICATION_DATA every kick would miss it and be trapped, and a
	 * run labelled ioeventfd would time trapped exits. Not offered on
	 * that wiring unless asked for (then the fd is a len-4 wildcard);
	 * the zero-length (wildcard) and trapped ones keep it. */
	if (cfg->notify == NOTIFY_IOEVENTFD && !cfg->notification_data)
		mc.features_off |= 1ull << VIRTIO_F_NOTIFICATION_DATA;
	mc.mem = mem;
	r = virtio_mmio__create(&mc, &vk->dev);
	if (r)
		goto fail;
	r = vk_start(vk);
	if (r)
		goto fail;
	*out = vk;
	return 0;
fail:
	virtio_kvm_destroy(vk);
	return r;
}

int __vm_virtio_attach(struct kvm_vm *vm, const struct virtio_dev_desc *d, struct virtio_kvm **out)
{
	*out = NULL;
	return vm ? attach(vm, &vm->mem, d, out) : -EINVAL;
}

int virtio_host_attach(const struct guest_mem *mem, const struct virtio_dev_desc *d,
		       struct virtio_kvm **out)
{
	*out = NULL;
	if (!mem || d->wire.irq != IRQ_METHOD_IRQFD)
		return -EINVAL;
	return attach(NULL, mem, d, out);
}

struct virtio_kvm *vm_virtio_attach(struct kvm_vm *vm, const struct virtio_dev_desc *d)
{
	struct virtio_kvm *vk;
	int r = __vm_virtio_attach(vm, d, &vk);

	if (r == -EOPNOTSUPP)
		ktap_skip_all("KVM lacks %s", virtio_kvm_missing_cap(&d->wire));
	errno = -r;
	TEST_ASSERT(!r, "vm_virtio_attach device %u at 0x%llx notify %d irq %d", d->dev.device_id,
		    (unsigned long long)d->wire.base, d->wire.notify, d->wire.irq);
	return vk;
}

struct virtio_mmio_dev *virtio_kvm_mmio(struct virtio_kvm *vk)
{
	return vk->dev;
}

int virtio_kvm_notify_fd(struct virtio_kvm *vk, uint16_t q)
{
	if (notify_fd_shared(vk))
		q = 0;
	return q < vk->nr_notify_fds ? vk->notify_fds[q] : -1;
}

int virtio_kvm_irq_fd(struct virtio_kvm *vk)
{
	return vk->irq.irqfd;
}

void virtio_kvm_destroy(struct virtio_kvm *vk)
{
	if (!vk)
		return;
	if (vk->iothread_running) {
		signal_fd(vk->stop_fd);
		pthread_join(vk->iothread, NULL);
	}
	for (int i = 0; i < vk->nr_notify_fds; i++) {
		struct ioeventfd_spec s = notify_spec(vk, (uint16_t)i);

		if (vk->vm)
			__vm_ioeventfd(vk->vm, vk->notify_fds[i], &s, true);
		close(vk->notify_fds[i]);
	}
	irq_source_destroy(&vk->irq);
	if (vk->stop_fd >= 0)
		close(vk->stop_fd);
	if (vk->epoll_fd >= 0)
		close(vk->epoll_fd);
	if (vk->bus_registered)
		bus_unregister(vk->vm, BUS_MMIO, vk->cfg.base);
	virtio_mmio__destroy(vk->dev);	/* NULL ok; no thread can reach it now */
	free(vk);
}

void virtio_kvm_get_counters(struct virtio_kvm *vk, struct virtio_kvm_counters *out)
{
	out->iothread_wakeups = atomic_load(&vk->iothread_wakeups);
	out->iothread_notifies = atomic_load(&vk->iothread_notifies);
	out->eventfd_kicks = atomic_load(&vk->eventfd_kicks);
	out->irq_signals = atomic_load(&vk->irq_signals);
	out->resamples = atomic_load(&vk->resamples);
	out->irq_reraises = atomic_load(&vk->irq_reraises);
	out->polls_hit = atomic_load(&vk->polls_hit);
	out->polls_slept = atomic_load(&vk->polls_slept);
	out->poll_window_ns = atomic_load(&vk->poll_window_ns);
}

uint64_t virtio_kvm_iothread_cpu_ns(struct virtio_kvm *vk)
{
	clockid_t cid;
	struct timespec ts;

	if (!vk->iothread_running || pthread_getcpuclockid(vk->iothread, &cid) ||
	    clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool virtio_kvm_iothread_pinned(struct virtio_kvm *vk)
{
	return vk->pinned;
}
