// SPDX-License-Identifier: GPL-2.0
/* x86 facts about the host itself, for include/platform.h. */
#include <cpuid.h>

#include "platform.h"

bool platform_arch_under_hypervisor(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31));	/* CPUID.1:ECX.hypervisor */
}
