// SPDX-License-Identifier: GPL-2.0
/*
 * The notify scenario's ring floor (kind ring_floor): each notify
 * configuration's driver and device with no VM (harness/ring_floor.c), on
 * the threads and CPUs the VM's vCPU and iothread get. Every notify row's
 * requests/s is then reported as a ratio to its floor: what the VM costs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "notify.h"
#include "ring_floor.h"
#include "stats.h"

const char *const notify_floor_metrics[] = {
	"requests_per_s", "notifies_per_s", "irqs_per_s", "vcpu_cpu_ns_per_req",
	"iothread_cpu_ns_per_req", NULL,
};
/* Their slots in a repetition's values, in the same order. */
enum { FM_REQUESTS_PER_S, FM_NOTIFIES_PER_S, FM_IRQS_PER_S, FM_DRIVER_NS_PER_REQ, FM_IOTHREAD_NS_PER_REQ };

/* What a kick is without a VM: the trapped write's handler called on the
 * driver's thread, or the ioeventfd's eventfd written. */
static const char *floor_notify_name(enum virtio_notify_mode m)
{
	return m == NOTIFY_TRAPPED ? "direct" : "eventfd";
}

void notify_floor_key(const struct notify_cfg *nc, char *key, size_t len)
{
	snprintf(key, len, "qs %u batch %u ei %d %s %s %s/%d", nc->qs, nc->batch ? nc->batch : nc->qs,
		 nc->event_idx, nc->completion_irq ? "irq" : "poll", nc->packed ? "packed" : "split",
		 floor_notify_name(nc->notify), nc->notify == NOTIFY_TRAPPED ? -1 : (int)nc->iothread);
}

double notify_floor_requests_per_s(const struct bench_ctx *c, const struct notify_cfg *nc)
{
	char key[96];

	notify_floor_key(nc, key, sizeof(key));
	for (size_t i = 0; i < c->nring_floors; i++)
		if (!strcmp(c->ring_floors[i].key, key))
			return c->ring_floors[i].requests_per_s;
	return NAN;
}

void notify_floor_config(const struct bench_opts *o, const struct notify_cfg *vm,
			 struct bench_config_list *out)
{
	char key[96], other[96];
	struct notify_cfg *nc;
	struct results_config *rc;

	notify_floor_key(vm, key, sizeof(key));
	for (size_t i = 0; i < out->n; i++) {
		const struct notify_cfg *f = (const struct notify_cfg *)out->v[i];

		if (f->base.scn != vm->base.scn || !f->floor)
			continue;
		notify_floor_key(f, other, sizeof(other));
		if (!strcmp(key, other))
			return;
	}
	nc = bench_config_new(out, vm->base.scn, sizeof(*nc));
	*nc = *vm;
	memset(&nc->base, 0, sizeof(nc->base));
	nc->base.scn = vm->base.scn;
	nc->floor = true;
	/* The data only changes what the notify write carries, which a
	 * floor's kick does not deliver: one floor for both. */
	nc->notification_data = 0;
	nc->base.cpl = nc->cpl = -1;		/* a host thread, not a guest */
	/* Every throughput row needs its floor: run with them, or alone. */
	nc->base.always = bench_kind_selected(o, "throughput");
	for (int i = 0; i < BENCH_MAX_SERIES; i++)
		nc->base.series[i].rc = (struct results_config)RESULTS_CONFIG_NA;
	rc = bench_config_series(&nc->base, "notify", "ring_floor", notify_floor_metrics);
	rc->notify = floor_notify_name(nc->notify);
	rc->queue_size = nc->qs;
	rc->batch = nc->batch ? nc->batch : nc->qs;
	rc->event_idx = nc->event_idx;
	rc->completion = nc->completion_irq ? "irq" : "poll";
	rc->ring = nc->packed ? "packed" : "split";
	rc->iothread = nc->notify != NOTIFY_TRAPPED ? bench_iothread_label(o, nc->iothread) : NULL;
	snprintf(nc->base.label, sizeof(nc->base.label), "ring floor qs %u batch %lld %s%s%s %s %s", nc->qs,
		 (long long)rc->batch, rc->notify, rc->iothread ? "/" : "", rc->iothread ? rc->iothread : "",
		 rc->completion, rc->ring);
}

/* Ten times a CPL3 repetition's: the floor runs at native speed, and a
 * timed part of milliseconds keeps its clock and the scheduler's tick small.
 * Where the host itself is emulated (the warm-up says how fast it goes),
 * the timed part is cut to 100 ms (--quick) or 1 s. */
static uint64_t floor_requests(const struct bench_ctx *c)
{
	return 10 * (c->o->requests ? c->o->requests : c->o->quick ? 1000 : 4000);
}

/* The same claims as the VM's cross-check, where they apply. */
static void floor_crosscheck(struct bench_ctx *c, const struct notify_cfg *nc, const struct ring_floor_result *r)
{
	uint64_t efd = r->vk1.eventfd_kicks - r->vk0.eventfd_kicks;
	uint64_t wake = r->vk1.iothread_wakeups - r->vk0.iothread_wakeups;
	uint64_t unread = r->warmup_kicks > r->vk0.eventfd_kicks ? r->warmup_kicks - r->vk0.eventfd_kicks : 0;
	char key[96];

	notify_floor_key(nc, key, sizeof(key));
	if (!nc->completion_irq && r->device_irqs > r->completed / 65536 + 1)
		bench_crosscheck(c, false, "ring floor %s, polled: the device raised %llu interrupts for %llu "
				 "requests with callbacks disabled", key, (unsigned long long)r->device_irqs,
				 (unsigned long long)r->completed);
	else if (nc->notify == NOTIFY_TRAPPED)
		bench_crosscheck(c, r->device_notifies == r->kicks, "ring floor %s: driver sent %llu "
				 "notifications, device saw %llu", key, (unsigned long long)r->kicks,
				 (unsigned long long)r->device_notifies);
	else if (nc->iothread == IOTHREAD_BUSY)
		bench_crosscheck(c, r->kicks <= 2 && wake == 0 && efd <= r->kicks + unread,
				 "ring floor %s: driver sent %llu notifications (expected about none: kicks "
				 "off), eventfd counted %llu, iothread woke %llu times (expected 0)", key,
				 (unsigned long long)r->kicks, (unsigned long long)efd, (unsigned long long)wake);
	else
		bench_crosscheck(c, efd <= r->kicks + unread, "ring floor %s: driver sent %llu notifications, "
				 "eventfd counted %llu (%llu warm-up kicks unread at the start)", key,
				 (unsigned long long)r->kicks, (unsigned long long)efd, (unsigned long long)unread);
}

enum bench_rep_status notify_floor_run_rep(struct bench_ctx *c, const struct notify_cfg *nc,
					   unsigned int rep, struct bench_rep_out *out,
					   char *why, size_t why_len)
{
	uint64_t n = floor_requests(c);
	struct ring_floor_cfg fc = {
		.queue_size = nc->qs, .batch = nc->batch ? nc->batch : nc->qs,
		.event_idx = nc->event_idx, .packed = nc->packed, .completion_irq = nc->completion_irq,
		.notify = nc->notify, .iothread = nc->iothread, .poll_max_ns = c->o->poll_max_ns,
		.iothread_cpu = c->iothread_cpu, .warmup = n / 10 ? n / 10 : 1, .requests = n,
		.timed_budget_ms = c->o->quick ? 100 : 1000, .wait_timeout_ms = c->o->watchdog_ms,
	};
	struct ring_floor_result r;
	double secs;
	int err;

	/* As bench_dev_attach(): a busy iothread needs a CPU of its own. */
	if (nc->notify != NOTIFY_TRAPPED && nc->iothread == IOTHREAD_BUSY &&
	    (c->iothread_cpu < 0 || c->iothread_cpu == c->vcpu_cpu)) {
		snprintf(why, why_len, "busy polling needs a CPU of its own for the iothread: "
			 "only one usable CPU here");
		return REP_SKIP;
	}
	if (bench_interrupted(c))
		return REP_INTERRUPTED;
	err = ring_floor_run(&fc, &r, why, why_len);
	if (err)
		return REP_FAILED;
	secs = (double)r.ns / 1e9;
	out->v[0][FM_REQUESTS_PER_S] = (double)r.completed / secs;
	out->v[0][FM_NOTIFIES_PER_S] = (double)r.device_notifies / secs;
	out->v[0][FM_IRQS_PER_S] = (double)r.irqs / secs;
	out->v[0][FM_DRIVER_NS_PER_REQ] = (double)r.driver_cpu_ns / (double)r.completed;
	out->v[0][FM_IOTHREAD_NS_PER_REQ] = r.iothread_cpu_ns ? (double)r.iothread_cpu_ns / (double)r.completed
							      : NAN;

	results_set_config(c->samples, &nc->base.series[0].rc);
	results_set_u64(c->samples, "rep", rep);
	results_set_u64(c->samples, "samples", r.completed);
	results_set_double(c->samples, "duration_s", secs);
	results_set_u64(c->samples, "requests", r.completed);
	for (int m = 0; notify_floor_metrics[m]; m++)	/* no iothread: left empty */
		if (!isnan(out->v[0][m]))
			results_set_double(c->samples, notify_floor_metrics[m], out->v[0][m]);
	results_set_u64(c->samples, "device_notifies", r.device_notifies);
	results_set_u64(c->samples, "device_irqs", r.device_irqs);
	bench_set_iothread_cells(c, nc->notify != NOTIFY_TRAPPED ? (int)nc->iothread : -1, &r.vk0, &r.vk1);
	floor_crosscheck(c, nc, &r);
	results_row_end(c->samples);
	return REP_OK;
}

/* The floor a throughput row is divided by: the median of its reps. */
void notify_floor_after(struct bench_ctx *c, const struct notify_cfg *nc, const struct bench_values *v)
{
	unsigned int n = v->n[0][FM_REQUESTS_PER_S];
	struct bench_ring_floor *e;

	e = realloc(c->ring_floors, (c->nring_floors + 1) * sizeof(*e));
	TEST_ASSERT(e, "realloc");
	c->ring_floors = e;
	e = &c->ring_floors[c->nring_floors++];
	notify_floor_key(nc, e->key, sizeof(e->key));
	e->requests_per_s = NAN;
	if (n) {
		stats_sort_double(v->v[0][FM_REQUESTS_PER_S], n);
		e->requests_per_s = stats_quantile_sorted_double(v->v[0][FM_REQUESTS_PER_S], n, 0.5);
	}
}
