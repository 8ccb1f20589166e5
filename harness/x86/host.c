// SPDX-License-Identifier: GPL-2.0
/* x86 facts about the host itself, for include/platform.h. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"

bool platform_arch_under_hypervisor(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31));	/* CPUID.1:ECX.hypervisor */
}

/* The hypervisor this host runs under, by its CPUID leaf 0x40000000
 * signature (only meaningful when CPUID.1:ECX[31] says there is one). */
void platform_arch_outer_hypervisor(bool nested, char sig[13], char *name, size_t len)
{
	static const struct { const char *sig, *name; } known[] = {
		{ "TCGTCGTCGTCG", "TCG" }, { "KVMKVMKVM", "KVM" }, { "Microsoft Hv", "Hyper-V" },
		{ "VMwareVMware", "VMware" }, { "XenVMMXenVMM", "Xen" }, { "ACRNACRNACRN", "ACRN" },
		{ " lrpepyh  vr", "Parallels" }, { "bhyve bhyve ", "bhyve" }, { "QNXQVMBSQG", "QNX" },
	};
	unsigned int r[4];

	snprintf(name, len, "none");
	sig[0] = '\0';
	if (!nested)
		return;
	__cpuid(0x40000000, r[0], r[1], r[2], r[3]);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = '\0';
	for (int i = 0; i < 12; i++)	/* keep it printable for JSON and reports */
		if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
			sig[i] = '?';
	snprintf(name, len, "%s", sig[0] ? sig : "unknown");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(sig, known[i].sig))
			snprintf(name, len, "%s", known[i].name);
}
