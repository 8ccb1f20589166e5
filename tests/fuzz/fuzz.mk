# libFuzzer target for the host virtio device model (transport + split ring +
# blk), built with clang into build-fuzz/, independent of the gcc build.
#   make fuzz      run for FUZZ_SECONDS (default 60), growing build-fuzz/corpus
#   make fuzz-ci   replay tests/fuzz/corpus (regressions), then fuzz briefly
#                  (FUZZ_CI_SECONDS, default 30) and print the executions count
# A crash input is kept in tests/fuzz/corpus/ once fixed, as a regression case.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 30
FUZZ_BUILD := build-fuzz
FUZZ_BIN := $(FUZZ_BUILD)/fuzz_virtio
FUZZ_SRCS := tests/fuzz/fuzz_virtio.c harness/virtio_mmio.c harness/virtqueue.c harness/virtq_split.c harness/virtq_packed.c harness/virtio_blk.c \
	harness/guard_mem.c harness/bus.c harness/unclaimed.c harness/ktap.c
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Iinclude -Iinclude/x86 -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Stats go to stderr; the fuzzer's own chatter is kept out of the CI log.
FUZZ_STATS = grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Test unit written' \
	| sed 's/stat::number_of_executed_units:/fuzz_virtio executions:/'

.PHONY: fuzz fuzz-ci fuzz-replay

$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard include/*.h include/x86/*.h tests/*.h harness/*.h)
	@mkdir -p $(FUZZ_BUILD)
	@echo "  CC [fuzz] $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SRCS) -o $@ -pthread

fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/crashes
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/ $(FUZZ_BUILD)/corpus tests/fuzz/corpus

# -runs=0 executes every corpus input once and stops.
fuzz-replay: $(FUZZ_BIN)
	@set -o pipefail; $(FUZZ_BIN) -runs=0 tests/fuzz/corpus 2>&1 | tail -n 3
	@echo "fuzz_virtio: replayed $$(ls tests/fuzz/corpus | wc -l) corpus inputs"

fuzz-ci: fuzz-replay
	@mkdir -p $(FUZZ_BUILD)/corpus-ci $(FUZZ_BUILD)/crashes
	@set -o pipefail; $(FUZZ_BIN) -max_total_time=$(FUZZ_CI_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/ $(FUZZ_BUILD)/corpus-ci tests/fuzz/corpus \
		2>&1 | $(FUZZ_STATS)

# This file is included above the top-level `all:`; give the default goal back.
.DEFAULT_GOAL :=
