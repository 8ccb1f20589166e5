// SPDX-License-Identifier: GPL-2.0
/* The run around the scenarios: placement, the results directory, meta.json,
 * progress, Ctrl-C, skips and cross-check verdicts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numa.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bench.h"
#include "json.h"
#include "guest_run.h"
#include "scenario.h"

extern const char mmiobench_version[], mmiobench_git_rev[];
extern const int mmiobench_git_dirty;

static volatile sig_atomic_t interrupted;
static char command_line[1024];

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	vcpu_request_stop();
}

bool bench_interrupted(const struct bench_ctx *c)
{
	(void)c;
	return interrupted;
}

uint64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

void bench_progress(struct bench_ctx *c, const char *what)
{
	double el = elapsed_s(&c->start);
	double left = c->configs_done ? el / c->configs_done * (c->configs_total - c->configs_done) : 0;

	if (!c->o->progress && !isatty(2))
		return;
	fprintf(stderr, "\r\033[K[%s] %s  config %d/%d  %.0f s elapsed, ~%.0f s left",
		c->cur_scenario ? c->cur_scenario : "", what, c->configs_done + 1, c->configs_total,
		el, left);
	fflush(stderr);
}

void bench_skip(struct bench_ctx *c, const char *scenario, const char *kind, int cpl,
		const char *fmt, ...)
{
	struct bench_skip *s;
	va_list ap;

	if (c->nskips == c->skips_cap) {
		int cap = c->skips_cap ? 2 * c->skips_cap : 16;
		struct bench_skip *v = realloc(c->skips, (size_t)cap * sizeof(*v));

		TEST_ASSERT(v, "realloc");
		c->skips = v;
		c->skips_cap = cap;
	}
	s = &c->skips[c->nskips++];
	snprintf(s->scenario, sizeof(s->scenario), "%s", scenario);
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	s->cpl = cpl;
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nmmiobench: skipped %s/%s at CPL%d: %s\n", scenario, kind, cpl, s->reason);
	bench_write_meta(c, false);
}

void bench_note(struct bench_ctx *c, const char *fmt, ...)
{
	char msg[sizeof(c->notes[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (int i = 0; i < c->nnotes; i++)
		if (!strcmp(c->notes[i], msg))
			return;
	if (c->nnotes == (int)(sizeof(c->notes) / sizeof(c->notes[0])))
		return;
	snprintf(c->notes[c->nnotes++], sizeof(c->notes[0]), "%s", msg);
	fprintf(stderr, "\nmmiobench: note: %s\n", msg);
}

/* The configuration of the samples row being built, as "key=value ...". */
static void row_config(const struct bench_ctx *c, char *buf, size_t len)
{
	static const char *const cols[] = {
		"scenario", "kind", "cpl", "notify", "irq", "queue_size", "batch", "event_idx",
		"completion", "halt_poll", "ring", "iothread",
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]) && n < len; i++) {
		const char *v = results_get(c->samples, cols[i]);

		if (v && v[0])
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", cols[i], v);
	}
}

void bench_crosscheck(struct bench_ctx *c, bool ok, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	results_set(c->samples, "crosscheck", ok ? "ok" : "FAIL");
	if (!ok) {
		if (c->crosscheck_failures < BENCH_MAX_XFAILS) {
			struct bench_xfail *x = &c->xfails[c->crosscheck_failures];
			const char *rep = results_get(c->samples, "rep");

			row_config(c, x->config, sizeof(x->config));
			snprintf(x->rep, sizeof(x->rep), "%s", rep ? rep : "?");
			snprintf(x->detail, sizeof(x->detail), "%s", msg);
		}
		c->crosscheck_failures++;
		fprintf(stderr, "\nmmiobench: CROSS-CHECK FAILED: %s\n", msg);
	}
}

/* CPU placement: the vCPU and the iothread on distinct CPUs of one node,
 * not SMT siblings when there is a choice; guest memory on that node. */
static bool cpu_allowed(int cpu)
{
	cpu_set_t set;

	return cpu >= 0 && cpu < CPU_SETSIZE && !sched_getaffinity(0, sizeof(set), &set) &&
	       CPU_ISSET(cpu, &set);
}

static bool smt_siblings(int a, int b)
{
	char path[128], buf[256];
	FILE *f;
	bool sib = false;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", a);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		struct bitmask *m = numa_parse_cpustring_all(buf);

		if (m) {
			sib = numa_bitmask_isbitset(m, (unsigned int)b);
			numa_bitmask_free(m);
		}
	}
	fclose(f);
	return sib;
}

static int choose_placement(struct bench_ctx *c)
{
	const struct bench_opts *o = c->o;
	bool numa = numa_available() >= 0;
	int node = o->numa_node;

	if (o->vcpu_cpu >= 0 && !cpu_allowed(o->vcpu_cpu)) {
		fprintf(stderr, "mmiobench: bad value '%d' for --vcpu-cpu: not an online CPU this process may use\n", o->vcpu_cpu);
		return -1;
	}
	if (o->iothread_cpu >= 0 && !cpu_allowed(o->iothread_cpu)) {
		fprintf(stderr, "mmiobench: bad value '%d' for --iothread-cpu: not an online CPU this process may use\n", o->iothread_cpu);
		return -1;
	}
	if (node >= 0 && (!numa || node > numa_max_node())) {
		fprintf(stderr, "mmiobench: bad value '%d' for --numa-node: %s\n", node,
			numa ? "no such node" : "NUMA is not available on this host");
		return -1;
	}
	c->vcpu_cpu = o->vcpu_cpu;
	c->iothread_cpu = o->iothread_cpu;
	if (node < 0 && numa)
		node = numa_node_of_cpu(c->vcpu_cpu >= 0 ? c->vcpu_cpu : sched_getcpu());
	for (int cpu = 0; cpu < CPU_SETSIZE && c->vcpu_cpu < 0; cpu++)
		if (cpu_allowed(cpu) && (!numa || numa_node_of_cpu(cpu) == node))
			c->vcpu_cpu = cpu;
	for (int pass = 0; pass < 2 && c->iothread_cpu < 0; pass++)
		for (int cpu = 0; cpu < CPU_SETSIZE && c->iothread_cpu < 0; cpu++)
			if (cpu != c->vcpu_cpu && cpu_allowed(cpu) &&
			    (!numa || numa_node_of_cpu(cpu) == node) &&
			    (pass == 1 || !smt_siblings(c->vcpu_cpu, cpu)))
				c->iothread_cpu = cpu;
	c->numa_node = numa ? node : -1;
	c->placement_note[0] = 0;
	if (c->iothread_cpu < 0)
		snprintf(c->placement_note, sizeof(c->placement_note),
			 "only one usable CPU: the iothread shares it with the vCPU, unpinned");
	else if (smt_siblings(c->vcpu_cpu, c->iothread_cpu))
		snprintf(c->placement_note, sizeof(c->placement_note),
			 "vCPU and iothread are SMT siblings: no other core in the node");
	if (numa) {
		struct bitmask *nodes = numa_allocate_nodemask();

		numa_bitmask_setbit(nodes, (unsigned int)node);
		numa_set_membind(nodes);
		numa_bitmask_free(nodes);
		c->membind = true;
	} else {
		size_t n = strlen(c->placement_note);

		snprintf(c->placement_note + n, sizeof(c->placement_note) - n, "%sNUMA not available: guest memory placement not controlled",
			 n ? "; " : "");
	}
	return 0;
}

void bench_pin_vcpu_thread(struct bench_ctx *c)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(c->vcpu_cpu, &set);
	c->vcpu_pinned = !sched_setaffinity(0, sizeof(set), &set);
}

struct kvm_vm *bench_vm_create(struct bench_ctx *c, struct kvm_vcpu **vcpu, uint64_t ram_bytes)
{
	/* A guest error must not end the run: warn, count, and note it. */
	struct vm_options vo = { .ram_bytes = ram_bytes, .unclaimed = UNCLAIMED_WARN };
	struct kvm_vm *vm = vm_create(&vo);

	*vcpu = vm_vcpu_add(vm, NULL);
	vcpu_set_watchdog_ms(*vcpu, c->o->watchdog_ms);
	return vm;
}

void bench_write_meta(struct bench_ctx *c, bool final)
{
	const struct bench_opts *o = c->o;
	struct json j;
	const char *text;
	char when[32];
	time_t now = time(NULL);

	if (!c->run)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "tool", "mmiobench");
	json_string(&j, "version", mmiobench_version);
	json_string(&j, "git_rev", mmiobench_git_rev);
	json_bool(&j, "git_dirty", mmiobench_git_dirty);
	json_string(&j, "command_line", command_line);
	json_string(&j, "date_utc", when);
	json_bool(&j, "complete", final && !c->cut_short[0]);
	json_object_begin(&j, "platform");
	json_string(&j, "hypervisor", c->plat.hypervisor);
	json_string(&j, "kvm_module", c->plat.kvm_module);
	json_bool(&j, "nested", c->plat.nested);
	json_string(&j, "outer_hypervisor", c->plat.outer_hypervisor);
	json_string(&j, "outer_hypervisor_signature", c->plat.outer_signature);
	json_string(&j, "cpu_model", c->plat.cpu_model);
	json_string(&j, "cpu_vendor", c->plat.cpu_vendor);
	json_string(&j, "microcode", c->plat.microcode);
	json_string(&j, "kernel_release", c->plat.kernel_release);
	json_string(&j, "kernel_version", c->plat.kernel_version);
	json_i64(&j, "online_cpus", c->plat.online_cpus);
	json_i64(&j, "numa_nodes", c->plat.numa_nodes);
	json_i64(&j, "smt_active", c->plat.smt_active);
	json_string(&j, "governor", c->plat.governor);
	json_string(&j, "loadavg_at_start", c->plat.loadavg);
	json_u64(&j, "tsc_khz", c->tsc_khz);
	json_object_begin(&j, "params");
	for (int i = 0; i < c->plat.nr_params; i++) {
		char key[80];

		snprintf(key, sizeof(key), "%s.%s", c->plat.params[i].module, c->plat.params[i].name);
		json_string(&j, key, c->plat.params[i].value);
	}
	json_object_end(&j);
	json_object_end(&j);
	json_object_begin(&j, "clock");
	json_string(&j, "guest", "rdtsc fenced with lfence on both sides; TSC ticks");
	json_string(&j, "conversion", "ns = ticks * 1e6 / tsc_khz (KVM_GET_TSC_KHZ)");
	json_object_end(&j);
	json_object_begin(&j, "options");
	json_u64(&j, "iterations", o->iterations);
	json_u64(&j, "warmup", o->warmup);
	json_u64(&j, "reps", o->reps);
	json_u64(&j, "requests", o->requests);
	json_bool(&j, "quick", o->quick);
	json_array_begin(&j, "cpl");
	for (int i = 0; i < o->ncpls; i++)
		json_i64(&j, NULL, o->cpls[i]);
	json_array_end(&j);
	json_array_begin(&j, "queue_sizes");
	for (int i = 0; i < o->nqueue_sizes; i++)
		json_u64(&j, NULL, o->queue_sizes[i]);
	json_array_end(&j);
	json_array_begin(&j, "batches");
	for (int i = 0; i < o->nbatches; i++)
		json_u64(&j, NULL, o->batches[i]);
	json_array_end(&j);
	json_array_begin(&j, "ring");
	for (int i = 0; i < o->nrings; i++)
		json_string(&j, NULL, o->rings[i] ? "packed" : "split");
	json_array_end(&j);
	json_array_begin(&j, "notification_data");
	for (int i = 0; i < o->nnotification_data; i++)
		json_i64(&j, NULL, o->notification_data[i]);
	json_array_end(&j);
	json_array_begin(&j, "iothread");
	for (int i = 0; i < o->niothread; i++)
		json_string(&j, NULL, bench_iothread_label(o, o->iothread_modes[i]));
	json_array_end(&j);
	json_string(&j, "kinds", o->kinds[0] ? o->kinds : "all");
	json_object_end(&j);
	json_object_begin(&j, "placement");
	json_i64(&j, "vcpu_cpu", c->vcpu_cpu);
	json_bool(&j, "vcpu_pinned", c->vcpu_pinned);
	json_i64(&j, "iothread_cpu", c->iothread_cpu);
	json_i64(&j, "numa_node", c->numa_node);
	json_bool(&j, "memory_bound_to_node", c->membind);
	json_string(&j, "note", c->placement_note);
	json_object_end(&j);
	/* The kinds this run could write: readers take the names from here. */
	bench_list_json_value(&j, "scenarios", c->scenarios, c->nscenarios);
	json_array_begin(&j, "skipped");
	for (int i = 0; i < c->nskips; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "scenario", c->skips[i].scenario);
		json_string(&j, "kind", c->skips[i].kind);
		json_i64(&j, "cpl", c->skips[i].cpl);
		json_string(&j, "reason", c->skips[i].reason);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "notes");
	for (int i = 0; i < c->nnotes; i++)
		json_string(&j, NULL, c->notes[i]);
	json_array_end(&j);
	if (c->cut_short[0])
		json_string(&j, "cut_short", c->cut_short);
	else if (final)
		json_null(&j, "cut_short");
	else
		json_string(&j, "cut_short", "run in progress (or killed before it finished)");
	json_i64(&j, "crosscheck_failures", c->crosscheck_failures);
	/* Each failure with its configuration, repetition and the counts
	 * that disagreed (the first BENCH_MAX_XFAILS). */
	json_array_begin(&j, "crosscheck_failed");
	for (int i = 0; i < c->crosscheck_failures && i < BENCH_MAX_XFAILS; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "config", c->xfails[i].config);
		json_string(&j, "rep", c->xfails[i].rep);
		json_string(&j, "detail", c->xfails[i].detail);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	if (!json_finish(&j, &text))
		results_run_write_text(c->run, "meta.json", text);
	json_free(&j);
}

static int probe_kvm(struct bench_ctx *c)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	if (fd < 0) {
		fprintf(stderr, "mmiobench: /dev/kvm is not usable: %s. This tool needs KVM "
			"(load kvm_intel/kvm_amd, or run as a user in the kvm group).\n", strerror(errno));
		return -1;
	}
	close(fd);
	vm = vm_create_with_vcpu(&vcpu, NULL);
	c->tsc_khz = vcpu_tsc_khz(vcpu);
	kvm_vm_free(vm);
	return 0;
}

int bench_begin(struct bench_ctx *c, struct bench_opts *o, const struct bench_scenario *const *scn,
		size_t nscn, int argc, char **argv)
{
	char run_id[64];
	size_t n = 0;
	int r;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->scenarios = scn;
	c->nscenarios = nscn;
	for (int i = 0; i < 4; i++)
		c->floor_ticks[i] = -1;
	for (int i = 0; i < argc && n < sizeof(command_line) - 2; i++)
		n += (size_t)snprintf(command_line + n, sizeof(command_line) - n, "%s%s", i ? " " : "", argv[i]);
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	platform_collect(&c->plat);
	if (choose_placement(c) < 0 || probe_kvm(c) < 0)
		return -1;
	bench_pin_vcpu_thread(c);

	results_run_id_make(run_id, sizeof(run_id), time(NULL), mmiobench_git_rev);
	r = results_run_open(&c->run, o->out_root, run_id);
	/* Two runs in one second: the second gets a suffix, never a shared dir. */
	for (int k = 2; r == -EEXIST && k < 100; k++) {
		char alt[80];

		snprintf(alt, sizeof(alt), "%s-%d", run_id, k);
		r = results_run_open(&c->run, o->out_root, alt);
	}
	if (r) {
		fprintf(stderr, "mmiobench: cannot create %s/%s: %s\n", o->out_root, run_id, strerror(-r));
		return -1;
	}
	r = results_table_create(&c->samples, c->run, "samples.csv", results_samples_columns, results_samples_ncolumns);
	r = r ?: results_table_create(&c->summary, c->run, "summary.csv", results_summary_columns, results_summary_ncolumns);
	r = r ?: results_table_create(&c->cdf, c->run, "cdf.csv", results_cdf_columns, results_cdf_ncolumns);
	if (r) {
		fprintf(stderr, "mmiobench: cannot write results: %s\n", strerror(-r));
		return -1;
	}
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	bench_write_meta(c, false);
	fprintf(stderr, "mmiobench: %s on %s (%s), TSC %u kHz; vCPU on CPU %d, iothread on CPU %d, node %d; results in %s\n",
		c->plat.hypervisor, c->plat.cpu_model, c->plat.kernel_release, c->tsc_khz,
		c->vcpu_cpu, c->iothread_cpu, c->numa_node, results_run_dir(c->run));
	return 0;
}

/* One script, stdout to /dev/null, stderr kept: 0 if it exited 0. */
static int run_script(const char *scripts, const char *name, const char *dir)
{
	char path[PATH_MAX];
	char *const argv[] = { "python3", path, (char *)dir, NULL };
	posix_spawn_file_actions_t fa;
	int status, r;
	pid_t pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", scripts, name) >= sizeof(path))
		return -ENAMETOOLONG;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, "python3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

int bench_run_scripts(const char *scripts, const char *dir)
{
	int r = run_script(scripts, "plot.py", dir);

	return r ? r : run_script(scripts, "report.py", dir);
}

int bench_end(struct bench_ctx *c)
{
	char dir[512];
	int status = 0;

	if (interrupted && !c->cut_short[0])
		snprintf(c->cut_short, sizeof(c->cut_short), "interrupted by a signal (Ctrl-C) during %s",
			 c->cur_scenario ? c->cur_scenario : "set-up");
	bench_note_unclaimed(c);
	bench_note_guest_quirks(c);
	bench_write_meta(c, true);
	snprintf(dir, sizeof(dir), "%s", results_run_dir(c->run));
	free(c->ring_floors);
	c->ring_floors = NULL;
	c->nring_floors = 0;
	results_table_destroy(c->samples);
	results_table_destroy(c->summary);
	results_table_destroy(c->cdf);
	results_run_close(c->run);
	if (c->o->progress || isatty(2))
		fprintf(stderr, "\n");
	if (!c->o->no_plots) {
		const char *scripts = getenv("MMIOBENCH_SCRIPTS") ?: "scripts";

		if (bench_run_scripts(scripts, dir))
			fprintf(stderr, "mmiobench: plots or report failed (data is intact): %s/plot.py, "
				"%s/report.py on %s\n", scripts, scripts, dir);
	}
	free(c->skips);
	c->skips = NULL;
	if (c->cut_short[0]) {
		fprintf(stderr, "mmiobench: cut short (%s); every row measured before is in %s\n", c->cut_short, dir);
		status = 130;
	} else if (c->crosscheck_failures) {
		fprintf(stderr, "mmiobench: %d cross-check failure(s): see the crosscheck column in %s/samples.csv\n",
			c->crosscheck_failures, dir);
		status = 1;
	}
	printf("results: %s\n", dir);
	return status;
}
