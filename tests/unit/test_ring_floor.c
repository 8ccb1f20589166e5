// SPDX-License-Identifier: GPL-2.0
/*
 * The ring floor (harness/ring_floor.c) in every wiring it offers: both
 * rings, a kick as a direct call or an eventfd, each iothread mode,
 * completions polled and by interrupt, with and without EVENT_IDX. Each run
 * must complete every request with status OK and leave the device with no
 * complaint about the ring (the integrity the VM's rows are held to), and
 * its counters must say the wiring did what it claims.
 */
#include <errno.h>
#include <string.h>

#include "ring_floor.h"
#include "test_util.h"

#define REQUESTS 2000

static void run_one(const struct ring_floor_cfg *cfg)
{
	struct ring_floor_result r;
	char why[256];
	int rc = ring_floor_run(cfg, &r, why, sizeof(why));
	uint64_t efd = r.vk1.eventfd_kicks - r.vk0.eventfd_kicks;
	uint64_t wakeups = r.vk1.iothread_wakeups - r.vk0.iothread_wakeups;
	uint64_t unread = r.warmup_kicks > r.vk0.eventfd_kicks ? r.warmup_kicks - r.vk0.eventfd_kicks : 0;

	ktap_diag("%s qs %u batch %u event_idx %d %s/%s %s: rc %d %s; %.0f requests/s, %llu kicks, "
		  "%llu irqs, %llu wake-ups", cfg->packed ? "packed" : "split", cfg->queue_size, cfg->batch,
		  cfg->event_idx, virtio_notify_mode_name(cfg->notify),
		  cfg->notify == NOTIFY_TRAPPED ? "-" : iothread_mode_name(cfg->iothread),
		  cfg->completion_irq ? "irq" : "poll", rc, why,
		  r.ns ? (double)r.completed * 1e9 / (double)r.ns : 0.0, (unsigned long long)r.kicks,
		  (unsigned long long)r.irqs, (unsigned long long)wakeups);
	CHECK_EQ(rc, 0);
	if (rc)
		return;
	CHECK_EQ(r.completed, cfg->requests);
	CHECK_EQ(r.bad_status, 0);
	CHECK_EQ(r.needs_reset, 0);
	CHECK_EQ(r.invalid, 0);
	CHECK(r.ns > 0 && r.driver_cpu_ns > 0);
	/* Every kick the driver decided on reached the device, and no more. */
	CHECK(r.kicks + r.kicks_suppressed > 0);
	if (cfg->notify == NOTIFY_TRAPPED) {
		CHECK_EQ(r.device_notifies, r.kicks);
		CHECK_EQ(r.iothread_cpu_ns, 0);		/* no iothread at all */
	} else {
		CHECK(efd <= r.kicks + unread);
		CHECK(r.iothread_cpu_ns > 0);
	}
	if (cfg->notify != NOTIFY_TRAPPED && cfg->iothread == IOTHREAD_BUSY) {
		CHECK(r.kicks <= 2);			/* kicks held off */
		CHECK_EQ(wakeups, 0);			/* it never slept */
		CHECK(r.vk1.polls_hit > r.vk0.polls_hit);
	}
	if (cfg->notify != NOTIFY_TRAPPED && cfg->iothread == IOTHREAD_POLL)
		CHECK(r.vk1.polls_hit + r.vk1.polls_slept > r.vk0.polls_hit + r.vk0.polls_slept);
	if (cfg->completion_irq)
		/* Each wake-up had a raise behind it; one may be the warm-up's,
		 * signalled before the snapshot and read after it. */
		CHECK(r.irqs <= r.device_irqs + 1);
	else
		CHECK(r.device_irqs <= r.completed / 65536 + 1);	/* callbacks stayed off */
}

static void run_matrix(bool packed)
{
	static const struct { uint32_t qs, batch; } shapes[] = { { 16, 1 }, { 256, 16 } };
	static const enum virtio_notify_mode notify[] = {
		NOTIFY_TRAPPED, NOTIFY_IOEVENTFD, NOTIFY_IOEVENTFD_ZEROLEN,
	};

	for (size_t s = 0; s < ARRAY_SIZE(shapes); s++)
	for (size_t n = 0; n < ARRAY_SIZE(notify); n++)
	for (int io = 0; io < (notify[n] == NOTIFY_TRAPPED ? 1 : IOTHREAD_MODE_COUNT); io++)
	for (int irq = 0; irq < 2; irq++)
	for (int ei = 0; ei < 2; ei++) {
		struct ring_floor_cfg cfg = {
			.queue_size = shapes[s].qs, .batch = shapes[s].batch, .event_idx = ei,
			.packed = packed, .completion_irq = irq, .notify = notify[n],
			.iothread = (enum iothread_mode)io, .iothread_cpu = -1,
			.warmup = 100, .requests = REQUESTS, .wait_timeout_ms = 10000,
		};

		run_one(&cfg);
	}
}

/* The largest ring held off by a busy iothread with EVENT_IDX: batches of
 * one and of the whole ring, for several laps of the 16-bit index. */
static void test_busy_32768(void)
{
	for (int packed = 0; packed < 2; packed++)
		for (uint32_t batch = 1; batch; batch = batch == 1 ? 32768 : 0) {
			struct ring_floor_cfg cfg = {
				.queue_size = 32768, .batch = batch, .event_idx = true, .packed = packed,
				.notify = NOTIFY_IOEVENTFD, .iothread = IOTHREAD_BUSY, .iothread_cpu = -1,
				.warmup = 32768, .requests = 4 * 32768, .wait_timeout_ms = 10000,
			};

			run_one(&cfg);
		}
}

static void test_split(void) { run_matrix(false); }
static void test_packed(void) { run_matrix(true); }

static void test_bad_config(void)
{
	struct ring_floor_cfg cfg = { .queue_size = 24, .batch = 1, .requests = 10, .wait_timeout_ms = 100,
				      .iothread_cpu = -1 };
	struct ring_floor_result r;
	char why[128];

	CHECK_EQ(ring_floor_run(&cfg, &r, why, sizeof(why)), -EINVAL);	/* not a power of two */
	cfg.queue_size = 16;
	cfg.batch = 32;
	CHECK_EQ(ring_floor_run(&cfg, &r, why, sizeof(why)), -EINVAL);	/* batch over the ring */
	cfg.batch = 1;
	cfg.notify = (enum virtio_notify_mode)7;
	CHECK_EQ(ring_floor_run(&cfg, &r, why, sizeof(why)), -EINVAL);
	CHECK(strlen(why) > 0);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(test_split),
	KTAP_CASE(test_packed),
	KTAP_CASE(test_busy_32768),
	KTAP_CASE(test_bad_config),
};

int main(void)
{
	return KTAP_RUN(cases);
}
