// SPDX-License-Identifier: GPL-2.0
/* Host facts for results (see include/platform.h). Everything is read, never
 * assumed: a missing file leaves "n/a". */
#include <dirent.h>
#include <numa.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "platform.h"

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "n/a");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static void cpuinfo_field(const char *field, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	size_t n = strlen(field);

	snprintf(buf, len, "n/a");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && (line[n] == ' ' || line[n] == '\t' || line[n] == ':')) {
			char *v = strchr(line, ':');

			if (v) {
				v += 1 + (v[1] == ' ');
				v[strcspn(v, "\n")] = 0;
				snprintf(buf, len, "%s", v);
			}
			break;
		}
	}
	fclose(f);
}

/* Parameters that change exit and interrupt costs (kvm_amd nrips=0: KVM
 * decodes each intercepted instruction to skip it, as under QEMU TCG); the whole kvm_pvm set
 * since it is young and every knob may matter. */
static const char *const interesting[] = {
	"halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_shrink", "mmio_caching", "tdp_mmu",
	"enable_pmu", "nx_huge_pages", "lapic_timer_advance", "enable_apicv", "enable_ept",
	"ept", "npt", "avic", "vnmi", "nested", "pml", "preemption_timer", "enable_shadow_vmcs",
	"ple_gap", "pause_filter_count", "force_emulation_prefix", "nrips", "vgif", "vls",
	"tsc_scaling", NULL,
};

static void add_module_params(struct platform_info *p, const char *module, bool all)
{
	char dir[128], path[512];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", module);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && p->nr_params < PLATFORM_MAX_PARAMS) {
		bool want = all;

		if (de->d_name[0] == '.')
			continue;
		for (int i = 0; !want && interesting[i]; i++)
			want = !strcmp(de->d_name, interesting[i]);
		if (!want)
			continue;
		struct platform_param *pp = &p->params[p->nr_params++];

		snprintf(pp->module, sizeof(pp->module), "%s", module);
		snprintf(pp->name, sizeof(pp->name), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		read_line(path, pp->value, sizeof(pp->value));
	}
	closedir(d);
}

void platform_collect(struct platform_info *p)
{
	static const struct { const char *module, *kind; } backends[] = {
		{ "kvm_intel", "VMX" }, { "kvm_amd", "SVM" }, { "kvm_pvm", "PVM" },
	};
	struct utsname u;
	char path[128], buf[64];

	memset(p, 0, sizeof(*p));
	snprintf(p->hypervisor, sizeof(p->hypervisor), "unknown");
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", backends[i].module);
		if (!access(path, F_OK)) {
			snprintf(p->hypervisor, sizeof(p->hypervisor), "%s", backends[i].kind);
			snprintf(p->kvm_module, sizeof(p->kvm_module), "%s", backends[i].module);
			break;
		}
	}
	p->nested = platform_arch_under_hypervisor();
	platform_arch_outer_hypervisor(p->nested, p->outer_signature, p->outer_hypervisor,
				       sizeof(p->outer_hypervisor));
	cpuinfo_field("model name", p->cpu_model, sizeof(p->cpu_model));
	cpuinfo_field("vendor_id", p->cpu_vendor, sizeof(p->cpu_vendor));
	cpuinfo_field("microcode", p->microcode, sizeof(p->microcode));
	if (!uname(&u)) {
		snprintf(p->kernel_release, sizeof(p->kernel_release), "%s", u.release);
		snprintf(p->kernel_version, sizeof(p->kernel_version), "%s", u.version);
	}
	p->online_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	p->numa_nodes = numa_available() < 0 ? 0 : numa_num_configured_nodes();
	read_line("/sys/devices/system/cpu/smt/active", buf, sizeof(buf));
	p->smt_active = !strcmp(buf, "1") ? 1 : !strcmp(buf, "0") ? 0 : -1;
	read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", p->governor, sizeof(p->governor));
	read_line("/proc/loadavg", p->loadavg, sizeof(p->loadavg));
	add_module_params(p, "kvm", false);
	if (p->kvm_module[0])
		add_module_params(p, p->kvm_module, !strcmp(p->kvm_module, "kvm_pvm"));
}

const char *platform_param(const struct platform_info *p, const char *module, const char *name)
{
	for (int i = 0; i < p->nr_params; i++)
		if (!strcmp(p->params[i].module, module) && !strcmp(p->params[i].name, name))
			return p->params[i].value;
	return NULL;
}

void platform_print(const struct platform_info *p, FILE *f)
{
	fprintf(f, "hypervisor: %s (%s)%s%s%s\n", p->hypervisor, p->kvm_module[0] ? p->kvm_module : "no KVM module",
		p->nested ? ", host is itself a guest (nested) of " : "", p->nested ? p->outer_hypervisor : "",
		!strcmp(p->outer_hypervisor, "TCG") ? " (emulated: times mean nothing, counts do)" : "");
	fprintf(f, "cpu: %s (%s, microcode %s), %d online CPUs, SMT %s, %d NUMA node(s), governor %s\n",
		p->cpu_model, p->cpu_vendor, p->microcode, p->online_cpus,
		p->smt_active < 0 ? "unknown" : p->smt_active ? "on" : "off", p->numa_nodes, p->governor);
	fprintf(f, "kernel: %s %s\n", p->kernel_release, p->kernel_version);
	fprintf(f, "load average: %s\n", p->loadavg);
	for (int i = 0; i < p->nr_params; i++)
		fprintf(f, "param: %s.%s=%s\n", p->params[i].module, p->params[i].name, p->params[i].value);
}
