// SPDX-License-Identifier: GPL-2.0
/* Command-line options: every value is checked against its range and a bad
 * one is refused naming the option, before anything is measured or written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

void bench_opts_defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->iterations = 2000;
	o->warmup = 200;
	o->requests = 0;	/* per CPL: see scenario_notify() */
	o->reps = 5;
	o->cpls[0] = 0;
	o->cpls[1] = 3;
	o->ncpls = 2;
	{
		static const uint32_t qs[] = { 16, 64, 256, 1024, 4096, 32768 };

		memcpy(o->queue_sizes, qs, sizeof(qs));
		o->nqueue_sizes = 6;
	}
	o->batches[0] = 1;
	o->batches[1] = 8;
	o->batches[2] = 0;
	o->nbatches = 3;
	o->notify_modes[0] = NOTIFY_TRAPPED;
	o->notify_modes[1] = NOTIFY_IOEVENTFD;
	o->nnotify = 2;
	o->irq_methods[0] = IRQ_METHOD_IRQFD;
	o->nirq = 1;
	o->event_idx[0] = 0;
	o->event_idx[1] = 1;
	o->nevent_idx = 2;
	o->rings[0] = 0;
	o->rings[1] = 1;
	o->nrings = 2;
	o->notification_data[0] = 0;
	o->nnotification_data = 1;
	o->completions[0] = 0;
	o->completions[1] = 1;
	o->ncompletions = 2;
	o->iothread_modes[0] = IOTHREAD_BLOCK;
	o->iothread_modes[1] = IOTHREAD_BUSY;
	o->niothread = 2;
	o->poll_max_ns = IOTHREAD_POLL_MAX_NS_DEFAULT;
	o->vcpu_cpu = o->iothread_cpu = o->numa_node = -1;
	o->out_root = "results";
	o->watchdog_ms = 20000;
}

void bench_usage(FILE *f)
{
	fprintf(f,
"usage: mmiobench COMMAND [options]\n"
"\n"
"Measures what virtio-mmio accesses cost a KVM guest: VM-exit latency by\n"
"kind, IRQ injection cost, and notification throughput with ioeventfd versus\n"
"trapped MMIO across queue sizes, in a real VM with a real device.\n"
"\n"
"commands:\n"
"  exit     exit latency per access kind (guest-timed, floor subtracted)\n"
"  irq      IRQ injection: host call cost, delivery latency, service cost, round trip\n"
"  notify   notification throughput across queue and batch sizes\n"
"  sweep    exit + irq + notify (what `make bench` runs)\n"
"  info     print the platform facts and exit\n"
"  list     the scenarios and their kinds (--json: for scripts)\n"
"  compare  A/B comparison of result directories (scripts/compare.py)\n"
"\n"
"options (lists are comma-separated):\n"
"  --iterations N      timed samples per repetition, 1..2000000 (default 2000)\n"
"  --warmup N          discarded samples first, 0..1000000 (default 200)\n"
"  --requests N        requests per throughput repetition, 16..10000000\n"
"                      (default 4000 at CPL3, 400 at CPL0: CPL0 may be interpreted)\n"
"  --reps N            repetitions, each in a fresh VM, 1..100 (default 5)\n"
"  --cpl LIST          guest privilege levels: 0,3 (default 0,3)\n"
"  --queue-sizes LIST  powers of two 2..32768 (default 16,64,256,1024,4096,32768)\n"
"  --batches LIST      requests per notification, 1..32768 or q (= queue size)\n"
"                      (default 1,8,q)\n"
"  --notify LIST       trapped,ioeventfd,ioeventfd_zerolen (default trapped,ioeventfd)\n"
"  --irq LIST          irq_line,irqfd,irqfd_resample (default irqfd)\n"
"  --event-idx LIST    0,1 (default 0,1)\n"
"  --completion LIST   poll,irq (default poll,irq)\n"
"  --ring LIST         split,packed: virtqueue layout of notify and irq roundtrip\n"
"                      (default split,packed)\n"
"  --notification-data LIST  0,1: negotiate VIRTIO_F_NOTIFICATION_DATA in notify\n"
"                      and irq roundtrip (default 0)\n"
"  --iothread LIST     block,poll[:max_ns],busy: how the iothread waits for an\n"
"                      ioeventfd kick (default block,busy; poll's max_ns 32768)\n"
"  --kinds LIST        only these kinds (`mmiobench list`), default all\n"
"  --vcpu-cpu N        pin the vCPU thread (default: first CPU of the node)\n"
"  --iothread-cpu N    pin the iothread (default: another core of the node)\n"
"  --numa-node N       bind guest memory and threads to node N (default: node of the vCPU)\n"
"  --out DIR           results root (default results)\n"
"  --quick             fewer samples, repetitions and configurations (<= 60 s here)\n"
"  --progress          progress line on stderr even when it is not a terminal\n"
"  --no-plots          do not run scripts/plot.py and scripts/report.py\n"
"  --watchdog-ms N     bound on one guest run without a report, 100..600000\n"
"\n"
"examples:\n"
"  mmiobench info\n"
"  mmiobench exit --cpl 3 --kinds mmio_write_trapped,mmio_ioeventfd_datamatch\n"
"  mmiobench notify --queue-sizes 256 --batches 1,q --notify trapped,ioeventfd\n"
"  mmiobench sweep --quick --out /tmp/r\n");
}

static int bad(const char *opt, const char *val, const char *range)
{
	fprintf(stderr, "mmiobench: bad value '%s' for %s: expected %s\n", val, opt, range);
	return -1;
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;
	char range[64];

	snprintf(range, sizeof(range), "an integer %llu..%llu",
		 (unsigned long long)lo, (unsigned long long)hi);
	errno = 0;
	if (!*s || *s == '-')
		return bad(opt, s, range);
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return bad(opt, s, range);
	*out = v;
	return 0;
}

/* Splits a comma list; calls item() for each; rejects empty items. */
static int parse_list(const char *opt, const char *s, int max,
		      int (*item)(const char *opt, const char *tok, void *out, int i), void *out)
{
	char buf[256], *save = NULL, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == ',' || strstr(s, ",,") || *s == ',')
		return bad(opt, s, "a comma-separated list");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return bad(opt, s, "a shorter list");
		if (item(opt, tok, out, n) < 0)
			return -1;
		n++;
	}
	return n;
}

static int item_cpl(const char *opt, const char *tok, void *out, int i)
{
	if (strcmp(tok, "0") && strcmp(tok, "3"))
		return bad(opt, tok, "0 or 3");
	((int *)out)[i] = atoi(tok);
	return 0;
}

static int item_qs(const char *opt, const char *tok, void *out, int i)
{
	uint64_t v;

	if (parse_u64(opt, tok, 2, 32768, &v) < 0)
		return -1;
	if (v & (v - 1))
		return bad(opt, tok, "a power of two 2..32768");
	((uint32_t *)out)[i] = (uint32_t)v;
	return 0;
}

static int item_batch(const char *opt, const char *tok, void *out, int i)
{
	uint64_t v;

	if (!strcmp(tok, "q")) {
		((uint32_t *)out)[i] = 0;
		return 0;
	}
	if (parse_u64(opt, tok, 1, 32768, &v) < 0)
		return -1;
	((uint32_t *)out)[i] = (uint32_t)v;
	return 0;
}

static int item_notify(const char *opt, const char *tok, void *out, int i)
{
	int m = virtio_notify_mode_parse(tok);

	if (m < 0)
		return bad(opt, tok, "trapped, ioeventfd or ioeventfd_zerolen");
	((int *)out)[i] = m;
	return 0;
}

static int item_irq(const char *opt, const char *tok, void *out, int i)
{
	int m = irq_method_parse(tok);

	if (m < 0)
		return bad(opt, tok, "irq_line, irqfd or irqfd_resample");
	((int *)out)[i] = m;
	return 0;
}

static int item_bool(const char *opt, const char *tok, void *out, int i)
{
	if (strcmp(tok, "0") && strcmp(tok, "1"))
		return bad(opt, tok, "0 or 1");
	((int *)out)[i] = atoi(tok);
	return 0;
}

static int item_ring(const char *opt, const char *tok, void *out, int i)
{
	if (strcmp(tok, "split") && strcmp(tok, "packed"))
		return bad(opt, tok, "split or packed");
	((int *)out)[i] = !strcmp(tok, "packed");
	return 0;
}

static int item_iothread(const char *opt, const char *tok, void *out, int i)
{
	struct bench_opts *o = out;

	if (!strcmp(tok, "block") || !strcmp(tok, "busy")) {
		o->iothread_modes[i] = !strcmp(tok, "busy") ? IOTHREAD_BUSY : IOTHREAD_BLOCK;
		return 0;
	}
	if (strncmp(tok, "poll", 4) || (tok[4] && tok[4] != ':'))
		return bad(opt, tok, "block, poll, poll:MAX_NS or busy");
	o->iothread_modes[i] = IOTHREAD_POLL;
	o->poll_max_ns = IOTHREAD_POLL_MAX_NS_DEFAULT;
	return tok[4] ? parse_u64(opt, tok + 5, 1000, 100000000, &o->poll_max_ns) : 0;
}

static int item_completion(const char *opt, const char *tok, void *out, int i)
{
	if (strcmp(tok, "poll") && strcmp(tok, "irq"))
		return bad(opt, tok, "poll or irq");
	((int *)out)[i] = !strcmp(tok, "irq");
	return 0;
}

static int item_kind(const char *opt, const char *tok, void *out, int i)
{
	(void)out;
	(void)i;
	for (const char *p = tok; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return bad(opt, tok, "kind names like mmio_write_trapped");
	return 0;
}

bool bench_kind_selected(const struct bench_opts *o, const char *kind)
{
	char pat[64];
	size_t n = strlen(kind);

	if (!o->kinds[0])
		return true;
	snprintf(pat, sizeof(pat), ",%s,", kind);
	for (const char *p = o->kinds; (p = strstr(p, kind)); p += n) {
		bool start = p == o->kinds || p[-1] == ',';
		bool end = p[n] == 0 || p[n] == ',';

		if (start && end)
			return true;
	}
	return false;
}

int bench_opts_parse(struct bench_opts *o, int argc, char **argv)
{
	enum { O_ITER = 256, O_WARM, O_REQ, O_REPS, O_CPL, O_QS, O_BATCH, O_NOTIFY, O_IRQ,
	       O_EVIDX, O_COMPL, O_KINDS, O_VCPU, O_IOT, O_NODE, O_OUT, O_QUICK, O_PROG,
	       O_NOPLOT, O_WD, O_RING, O_IOMODE, O_NDATA };
	static const struct option long_opts[] = {
		{ "iterations", 1, 0, O_ITER }, { "warmup", 1, 0, O_WARM },
		{ "requests", 1, 0, O_REQ }, { "reps", 1, 0, O_REPS }, { "cpl", 1, 0, O_CPL },
		{ "queue-sizes", 1, 0, O_QS }, { "batches", 1, 0, O_BATCH },
		{ "notify", 1, 0, O_NOTIFY }, { "irq", 1, 0, O_IRQ },
		{ "event-idx", 1, 0, O_EVIDX }, { "completion", 1, 0, O_COMPL },
		{ "ring", 1, 0, O_RING }, { "iothread", 1, 0, O_IOMODE },
		{ "notification-data", 1, 0, O_NDATA },
		{ "kinds", 1, 0, O_KINDS }, { "vcpu-cpu", 1, 0, O_VCPU },
		{ "iothread-cpu", 1, 0, O_IOT }, { "numa-node", 1, 0, O_NODE },
		{ "out", 1, 0, O_OUT }, { "quick", 0, 0, O_QUICK }, { "progress", 0, 0, O_PROG },
		{ "no-plots", 0, 0, O_NOPLOT }, { "watchdog-ms", 1, 0, O_WD },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bool iter_set = false, warm_set = false, reps_set = false, qs_set = false;
	bool batch_set = false, cpl_set = false;
	uint64_t v;
	int c, n;

	opterr = 0;
	/* Leading ':': a missing value is ':', not '?' ("unknown option"). */
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

		switch (c) {
		case O_ITER:
			if (parse_u64("--iterations", optarg, 1, 2000000, &o->iterations) < 0)
				return -1;
			iter_set = true;
			break;
		case O_WARM:
			if (parse_u64("--warmup", optarg, 0, 1000000, &o->warmup) < 0)
				return -1;
			warm_set = true;
			break;
		case O_REQ:
			if (parse_u64("--requests", optarg, 16, 10000000, &o->requests) < 0)
				return -1;
			break;
		case O_REPS:
			if (parse_u64("--reps", optarg, 1, 100, &v) < 0)
				return -1;
			o->reps = (unsigned int)v;
			reps_set = true;
			break;
		case O_CPL:
			if ((n = parse_list("--cpl", optarg, 2, item_cpl, o->cpls)) < 0)
				return -1;
			o->ncpls = n;
			cpl_set = true;
			break;
		case O_QS:
			if ((n = parse_list("--queue-sizes", optarg, BENCH_MAX_LIST, item_qs, o->queue_sizes)) < 0)
				return -1;
			o->nqueue_sizes = n;
			qs_set = true;
			break;
		case O_BATCH:
			if ((n = parse_list("--batches", optarg, BENCH_MAX_LIST, item_batch, o->batches)) < 0)
				return -1;
			o->nbatches = n;
			batch_set = true;
			break;
		case O_NOTIFY:
			if ((n = parse_list("--notify", optarg, NOTIFY_MODE_COUNT, item_notify, o->notify_modes)) < 0)
				return -1;
			o->nnotify = n;
			break;
		case O_IRQ:
			if ((n = parse_list("--irq", optarg, IRQ_METHOD_COUNT, item_irq, o->irq_methods)) < 0)
				return -1;
			o->nirq = n;
			break;
		case O_EVIDX:
			if ((n = parse_list("--event-idx", optarg, 2, item_bool, o->event_idx)) < 0)
				return -1;
			o->nevent_idx = n;
			break;
		case O_RING:
			if ((n = parse_list("--ring", optarg, 2, item_ring, o->rings)) < 0)
				return -1;
			o->nrings = n;
			break;
		case O_NDATA:
			if ((n = parse_list("--notification-data", optarg, 2, item_bool, o->notification_data)) < 0)
				return -1;
			o->nnotification_data = n;
			break;
		case O_IOMODE:
			if ((n = parse_list("--iothread", optarg, IOTHREAD_MODE_COUNT, item_iothread, o)) < 0)
				return -1;
			for (int a = 0; a < n; a++)
				for (int b = a + 1; b < n; b++)
					if (o->iothread_modes[a] == o->iothread_modes[b])
						return bad("--iothread", optarg, "each mode once");
			o->niothread = n;
			break;
		case O_COMPL:
			if ((n = parse_list("--completion", optarg, 2, item_completion, o->completions)) < 0)
				return -1;
			o->ncompletions = n;
			break;
		case O_KINDS:
			if (parse_list("--kinds", optarg, 32, item_kind, NULL) < 0)
				return -1;
			snprintf(o->kinds, sizeof(o->kinds), "%s", optarg);
			break;
		case O_VCPU:
		case O_IOT:
		case O_NODE:
			if (parse_u64(c == O_VCPU ? "--vcpu-cpu" : c == O_IOT ? "--iothread-cpu" : "--numa-node",
				      optarg, 0, 4095, &v) < 0)
				return -1;
			*(c == O_VCPU ? &o->vcpu_cpu : c == O_IOT ? &o->iothread_cpu : &o->numa_node) = (int)v;
			break;
		case O_OUT:
			if (!*optarg)
				return bad("--out", optarg, "a directory");
			o->out_root = optarg;
			break;
		case O_QUICK:
			o->quick = true;
			break;
		case O_PROG:
			o->progress = true;
			break;
		case O_NOPLOT:
			o->no_plots = true;
			break;
		case O_WD:
			if (parse_u64("--watchdog-ms", optarg, 100, 600000, &v) < 0)
				return -1;
			o->watchdog_ms = (unsigned int)v;
			break;
		case 'h':
			bench_usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "mmiobench: %s needs a value\n", name);
			return -1;
		default:
			fprintf(stderr, "mmiobench: unknown option '%s' (see --help)\n", name);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmiobench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->quick) {	/* only what the user did not set explicitly */
		if (!iter_set)
			o->iterations = 300;
		if (!warm_set)
			o->warmup = 30;
		if (!reps_set)
			o->reps = 3;
		if (!qs_set) {
			o->queue_sizes[0] = 16;
			o->queue_sizes[1] = 256;
			o->queue_sizes[2] = 4096;
			o->nqueue_sizes = 3;
		}
		if (!batch_set) {
			o->batches[0] = 1;
			o->batches[1] = 0;
			o->nbatches = 2;
		}
	}
	(void)cpl_set;
	return 0;
}

const char *bench_iothread_label(const struct bench_opts *o, enum iothread_mode m)
{
	static char poll[32];

	if (m != IOTHREAD_POLL)
		return iothread_mode_name(m);
	snprintf(poll, sizeof(poll), "poll:%llu", (unsigned long long)o->poll_max_ns);
	return poll;
}
