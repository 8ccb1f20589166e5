/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmiobench's benchmark side: options, the run context every scenario
 * writes through, and the scenarios themselves. One scenario = one file
 * holding its guest code and its host driver.
 */
#ifndef MMIOBENCH_BENCH_H
#define MMIOBENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kvm_util.h"
#include "platform.h"
#include "results.h"
#include "guest_bench.h"
#include "virtio_kvm.h"

#define BENCH_MAX_LIST 8

struct bench_opts {
	uint64_t iterations;		/* timed samples per repetition (latency) */
	uint64_t warmup;		/* discarded samples before them */
	uint64_t requests;		/* requests per repetition (throughput) */
	unsigned int reps;		/* repetitions, each in a fresh VM */
	int cpls[2], ncpls;
	uint32_t queue_sizes[BENCH_MAX_LIST];
	int nqueue_sizes;
	uint32_t batches[BENCH_MAX_LIST];	/* 0 = the queue size */
	int nbatches;
	int notify_modes[NOTIFY_MODE_COUNT], nnotify;
	int irq_methods[IRQ_METHOD_COUNT], nirq;
	int event_idx[2], nevent_idx;
	int rings[2], nrings;		/* 0 split, 1 packed (VIRTIO_F_RING_PACKED) */
	int notification_data[2], nnotification_data;	/* VIRTIO_F_NOTIFICATION_DATA 0/1 */
	int completions[2], ncompletions;	/* 0 poll, 1 irq */
	int iothread_modes[IOTHREAD_MODE_COUNT], niothread;	/* enum iothread_mode */
	uint64_t poll_max_ns;		/* of --iothread poll[:max_ns] */
	char kinds[512];		/* comma list of kinds to run; "" = all */
	int vcpu_cpu, iothread_cpu, numa_node;	/* -1: choose */
	const char *out_root;
	bool quick, progress, no_plots;
	unsigned int watchdog_ms;
};

struct bench_skip {
	char scenario[16], kind[64];
	int cpl;
	char reason[200];
};

/* A cross-check that failed: which configuration and repetition, and the
 * counts that disagreed (for meta.json and the report). */
struct bench_xfail {
	char config[200];
	char rep[8];
	char detail[400];
};

#define BENCH_MAX_XFAILS 32

struct bench_ctx {
	struct bench_opts *o;
	struct results_run *run;
	struct results_table *samples, *summary, *cdf;
	struct platform_info plat;
	uint32_t tsc_khz;
	/* Placement actually obtained (not just asked for). */
	int vcpu_cpu, iothread_cpu, numa_node;
	bool vcpu_pinned, membind;
	char placement_note[256];
	struct bench_skip *skips;	/* every one of them: meta.json lists them all */
	int nskips, skips_cap;
	int crosscheck_failures;
	struct bench_xfail xfails[BENCH_MAX_XFAILS];	/* the first ones */
	double floor_ticks[4];		/* empty-loop p50 per CPL, -1 until measured */
	/* notify: the ring floors measured so far, by configuration key */
	struct bench_ring_floor { char key[96]; double requests_per_s; } *ring_floors;
	size_t nring_floors;
	char notes[16][320];		/* facts a reader must know, for meta.json */
	int nnotes;
	char cut_short[256];
	/* progress */
	struct timespec start;
	int configs_total, configs_done;
	const char *cur_scenario;
	const struct bench_scenario *const *scenarios;	/* what this run measures */
	size_t nscenarios;
};

/* bench/opts.c */
void bench_opts_defaults(struct bench_opts *o);
/* Parses argv from optind; 0 or -1 after printing which option is wrong. */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv);
void bench_usage(FILE *f);
bool bench_kind_selected(const struct bench_opts *o, const char *kind);

/* bench/runner.c */
struct bench_scenario;
/* Probes KVM, opens the results directory; scn: what this run measures
 * (listed in meta.json). */
int bench_begin(struct bench_ctx *c, struct bench_opts *o, const struct bench_scenario *const *scn,
		size_t nscn, int argc, char **argv);
int bench_end(struct bench_ctx *c);	/* exit status for main() */
/* Runs `python3 SCRIPTS/plot.py DIR` then report.py the same way, with an
 * argument vector (no shell: any DIR is fine), output to /dev/null; 0 when
 * both exit 0. */
int bench_run_scripts(const char *scripts, const char *dir);
void bench_skip(struct bench_ctx *c, const char *scenario, const char *kind, int cpl,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool bench_interrupted(const struct bench_ctx *c);
/* A fact about this platform that qualifies the numbers (deduplicated). */
void bench_note(struct bench_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_progress(struct bench_ctx *c, const char *what);
void bench_pin_vcpu_thread(struct bench_ctx *c);
/* Fresh VM for one repetition, with the guest RAM the scenario needs. */
struct kvm_vm *bench_vm_create(struct bench_ctx *c, struct kvm_vcpu **vcpu, uint64_t ram_bytes);
/* Records a cross-check result on the current samples row; a mismatch is
 * also printed and makes mmiobench exit non-zero. */
void bench_crosscheck(struct bench_ctx *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* bench/unclaimed_note.c: a note if any guest made unclaimed accesses. */
void bench_note_unclaimed(struct bench_ctx *c);
/* Thread CPU time of the caller, ns. */
uint64_t bench_thread_cpu_ns(void);
void bench_write_meta(struct bench_ctx *c, bool final);

/* The scenarios and their driver: bench/scenario.h. */

/* bench/device.c: the benchmarked device, a virtio-blk (null backend)
 * wired into the VM as w says; NULL with the reason in why when this KVM
 * cannot (a missing capability). */
struct bench_dev_wiring {
	enum virtio_notify_mode notify;
	enum irq_method irq;
	enum iothread_mode iothread;	/* how the iothread waits (poll: --iothread's max) */
	uint32_t queue_size_max;
	bool notification_data;		/* the guest will negotiate it */
	/* >= 0: an eventfd of the caller's (a port ioeventfd) that the
	 * iothread waits on too, drains and counts (bench_dev_extra_kicks). */
	int extra_fd;
};
struct bench_dev;
struct bench_dev *bench_dev_attach(struct bench_ctx *c, struct kvm_vm *vm,
				   const struct bench_dev_wiring *w, char *why, size_t why_len);
uint64_t bench_dev_extra_kicks(struct bench_dev *d);
/* The --iothread mode i for a configuration whose iothread waits for
 * kicks; any other (trapped: an iothread only for resample) keeps block,
 * whatever the list says first. */
enum iothread_mode bench_iothread_at(const struct bench_opts *o, bool waits_for_kicks, int i);
/* The iothread cell of a row: block, busy, poll:MAX_NS (static storage). */
const char *bench_iothread_label(const struct bench_opts *o, enum iothread_mode m);
/* A samples row's iothread columns from counters around its timed part
 * (mode < 0: no iothread waits for kicks, cells left empty). */
void bench_set_iothread_cells(struct bench_ctx *c, int mode, const struct virtio_kvm_counters *s0,
			      const struct virtio_kvm_counters *s1);
void bench_dev_detach(struct bench_dev *d);
struct virtio_mmio_dev *bench_dev_mmio(struct bench_dev *d);
struct virtio_kvm *bench_dev_kvm(struct bench_dev *d);

#endif
