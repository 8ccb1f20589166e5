/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The notify scenario's configuration, shared by its VM side
 * (notify_tput.c) and its ring floor (notify_floor.c).
 */
#ifndef MMIOBENCH_NOTIFY_H
#define MMIOBENCH_NOTIFY_H

#include "scenario.h"

struct notify_cfg {
	struct bench_config base;
	bool floor;			/* kind ring_floor: no VM */
	int cpl;
	uint32_t qs, batch;
	enum virtio_notify_mode notify;
	enum irq_method irq;
	enum iothread_mode iothread;	/* ioeventfd kinds only */
	int event_idx, completion_irq, packed;
	int notification_data;		/* negotiate VIRTIO_F_NOTIFICATION_DATA */
};

/* The floor a configuration's requests/s is a ratio to: the same queue
 * size, batch, EVENT_IDX, completion, ring and iothread mode, with the
 * kick as a call (trapped) or an eventfd (either ioeventfd). */
void notify_floor_key(const struct notify_cfg *nc, char *key, size_t len);
/* Its median requests/s over the repetitions, NaN until measured. */
double notify_floor_requests_per_s(const struct bench_ctx *c, const struct notify_cfg *nc);

/* The ring_floor configuration for nc's key, appended to out unless one
 * with that key is there already. */
void notify_floor_config(const struct bench_opts *o, const struct notify_cfg *nc,
			 struct bench_config_list *out);
enum bench_rep_status notify_floor_run_rep(struct bench_ctx *c, const struct notify_cfg *nc,
					   unsigned int rep, struct bench_rep_out *out,
					   char *why, size_t why_len);
void notify_floor_after(struct bench_ctx *c, const struct notify_cfg *nc, const struct bench_values *v);

extern const char *const notify_floor_metrics[];

#endif
