/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Facts about the host that change what the numbers mean, gathered in one
 * place for meta.json and reports: which hypervisor backs /dev/kvm (VMX, SVM
 * or PVM), whether this host is itself a guest, CPU, kernel, SMT, NUMA, the
 * frequency governor and the KVM module parameters that move results.
 */
#ifndef MMIOBENCH_PLATFORM_H
#define MMIOBENCH_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PLATFORM_MAX_PARAMS 48

struct platform_param {
	char module[16];
	char name[48];
	char value[64];
};

struct platform_info {
	char hypervisor[8];	/* "VMX", "SVM", "PVM" or "unknown" */
	char kvm_module[16];	/* kvm_intel, kvm_amd, kvm_pvm */
	bool nested;		/* the host runs under a hypervisor (CPUID.1:ECX[31]) */
	/* That outer hypervisor, from its CPUID 0x40000000 signature: "TCG"
	 * (QEMU's emulator: times are emulated), "KVM", "Hyper-V", "VMware",
	 * "Xen", the raw signature if unknown; "none" when not nested. */
	char outer_hypervisor[16];
	char outer_signature[13];	/* the 12 raw bytes (EBX, ECX, EDX) */
	char cpu_model[128];
	char cpu_vendor[16];
	char microcode[32];
	char kernel_release[128];
	char kernel_version[256];
	int online_cpus;
	int numa_nodes;		/* 0 if libnuma reports NUMA unavailable */
	int smt_active;		/* 1, 0, or -1 if unknown */
	char governor[32];	/* cpufreq governor of CPU 0, or "n/a" */
	char loadavg[64];	/* /proc/loadavg at collection: other load moves results */
	int nr_params;
	struct platform_param params[PLATFORM_MAX_PARAMS];
};

void platform_collect(struct platform_info *p);
/* Value of a module parameter, or NULL. */
const char *platform_param(const struct platform_info *p, const char *module, const char *name);
void platform_print(const struct platform_info *p, FILE *f);
/* Whether this host itself runs under a hypervisor (harness/x86/host.c). */
bool platform_arch_under_hypervisor(void);
/* The outer hypervisor's name (TCG, KVM, Hyper-V, ... or "none") and its raw
 * signature (harness/x86/host.c). */
void platform_arch_outer_hypervisor(bool nested, char sig[13], char *name, size_t len);

#endif
