/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring floor: the notify benchmark with no VM. The guest's own driver
 * code (guest/vring*.c, the blk layer and its request loop, blk_loop.c) runs
 * on the calling thread, against the same virtio-blk null device, transport
 * and iothread (harness/virtio_kvm.c, virtio_host_attach()) over a host
 * buffer standing for guest RAM. What differs is only what a VM does:
 *
 *  notify TRAPPED     a kick is a direct call of the transport's register
 *                     handler on the driver's thread (a trapped write, with
 *                     no exit);
 *  notify IOEVENTFD*  a kick writes the queue's eventfd (what KVM's
 *                     ioeventfd does), read by the iothread in its mode;
 *  completion irq     the device's interrupt is an eventfd the driver
 *                     thread sleeps on, then reads InterruptStatus and
 *                     writes InterruptACK by direct calls (its ISR).
 *
 * So requests/s of a VM row over its floor's is what the VM costs: exits,
 * injection, halts, and nothing of the ring's own work.
 */
#ifndef MMIOBENCH_RING_FLOOR_H
#define MMIOBENCH_RING_FLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_kvm.h"

struct ring_floor_cfg {
	uint32_t queue_size;		/* power of two, 1..32768 */
	uint32_t batch;			/* 1..queue_size */
	bool event_idx, packed, completion_irq;
	enum virtio_notify_mode notify;
	enum iothread_mode iothread;	/* notify != TRAPPED */
	uint64_t poll_max_ns;		/* 0: the default */
	int iothread_cpu;		/* -1: not pinned */
	uint64_t warmup, requests;
	/* 0, or fewer timed requests when the warm-up's rate says `requests`
	 * would take longer than this (an emulated host): at least warmup. */
	unsigned int timed_budget_ms;
	unsigned int wait_timeout_ms;	/* a completion later than this fails the run */
};

struct ring_floor_result {
	uint64_t ns;			/* the timed requests, CLOCK_MONOTONIC */
	uint64_t completed, bad_status;
	uint64_t kicks, kicks_suppressed;	/* the driver's decisions */
	uint64_t irqs;			/* interrupt eventfd reads that found a signal */
	uint64_t device_notifies, device_irqs;
	uint64_t driver_cpu_ns, iothread_cpu_ns;	/* iothread 0: none */
	uint64_t warmup_kicks;		/* sent before the timed part */
	struct virtio_kvm_counters vk0, vk1;	/* around the timed part */
	uint64_t needs_reset, invalid;	/* the device's verdicts on the ring: must be 0 */
};

/* Runs warm-up then the timed requests. 0 and *out; -EINVAL for a bad cfg;
 * -EIO (why says what) if the device stopped the queue, a request failed,
 * a completion did not come within wait_timeout_ms or the driver saw a bad
 * id; else a set-up call's -errno. Nothing is left behind either way. */
int ring_floor_run(const struct ring_floor_cfg *cfg, struct ring_floor_result *out,
		   char *why, size_t why_len);

#endif
