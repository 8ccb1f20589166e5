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
	int notify_modes[3], nnotify;
	int irq_methods[3], nirq;
	int event_idx[2], nevent_idx;
	int completions[2], ncompletions;	/* 0 poll, 1 irq */
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

#define BENCH_MAX_SKIPS 64

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
	struct bench_skip skips[BENCH_MAX_SKIPS];
	int nskips;
	int crosscheck_failures;
	struct bench_xfail xfails[BENCH_MAX_XFAILS];	/* the first ones */
	double floor_ticks[4];		/* empty-loop p50 per CPL, -1 until measured */
	char notes[16][320];		/* facts a reader must know, for meta.json */
	int nnotes;
	char cut_short[256];
	/* progress */
	struct timespec start;
	int configs_total, configs_done;
	bool counting;			/* scenarios only count their configurations */
	const char *cur_scenario;
};

/* bench/opts.c */
void bench_opts_defaults(struct bench_opts *o);
/* Parses argv from optind; 0 or -1 after printing which option is wrong. */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv);
void bench_usage(FILE *f);
bool bench_kind_selected(const struct bench_opts *o, const char *kind);

/* bench/runner.c */
int bench_begin(struct bench_ctx *c, struct bench_opts *o, int argc, char **argv);
int bench_end(struct bench_ctx *c);	/* exit status for main() */
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
/* Thread CPU time of the caller, ns. */
uint64_t bench_thread_cpu_ns(void);
void bench_write_meta(struct bench_ctx *c, bool final);

/* One guest-timed access kind (bench/exit_latency.c). */
enum exit_path { PATH_NONE, PATH_USER_MMIO, PATH_USER_PIO, PATH_KERNEL_IOEVENTFD, PATH_KERNEL_EXIT };

struct timed_kind {
	const char *name;
	timed_loop_fn loop;
	uint64_t addr, value;
	bool virtio;			/* needs the virtio device at VIRTIO_MMIO_BASE */
	enum virtio_notify_mode notify;
	int pio;			/* 1: trapped port, 2: port with an ioeventfd */
	enum exit_path path;
	unsigned int exits_per_iter;	/* userspace exits per access; 0 means 1 */
};

/* Probe, repetitions in fresh VMs, samples/cdf/summary rows for one kind at
 * one CPL; the floor kind (PATH_NONE) sets c->floor_ticks[cpl]. 0 or -EINTR. */
int bench_measure_timed(struct bench_ctx *c, const char *scenario, const struct timed_kind *k, int cpl);
/* Measures the empty loop at cpl unless this run already has it. */
int bench_measure_floor(struct bench_ctx *c, const char *scenario, int cpl);

/* Scenarios: 0, or -EINTR when interrupted (rows so far are kept). */
int scenario_exit(struct bench_ctx *c);
int scenario_irq(struct bench_ctx *c);
int scenario_notify(struct bench_ctx *c);

/* bench/device.c: the benchmarked device, a virtio-blk (null backend)
 * wired into the VM with the given notify mode and interrupt method. */
struct bench_dev;
struct bench_dev *bench_dev_attach(struct bench_ctx *c, struct kvm_vm *vm,
				   enum virtio_notify_mode notify, enum virtio_irq_method irq,
				   uint32_t queue_size_max);
void bench_dev_detach(struct bench_dev *d);
struct virtio_mmio_dev *bench_dev_mmio(struct bench_dev *d);
struct virtio_kvm *bench_dev_kvm(struct bench_dev *d);

#endif
