// SPDX-License-Identifier: GPL-2.0
#include "bench.h"
int scenario_irq(struct bench_ctx *c) { (void)c; return 0; }
