# mmiobench: `make` builds, `make check` runs every test, `make bench` runs
# the default benchmark sweep. SAN=1 builds the host side with ASan+UBSan.
SHELL := /bin/bash
CC ?= gcc
SAN ?= 0
V ?= 0
BUILD := build$(if $(filter 1,$(SAN)),-san,)
# The one architecture: its code sits in harness/$(ARCH)/, guest/$(ARCH)/ and
# include/$(ARCH)/ behind the hooks kvm_util.h names.
ARCH := x86

# Every C file may hold guest code (GUEST_CODE functions), so the flags that
# guest code needs apply everywhere; guest/ additionally gets
# -mgeneral-regs-only (the software hypervisor here cannot emulate every
# SSE/AVX instruction) and never a sanitizer.
COMMON_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -Iinclude -Iinclude/$(ARCH) -D_GNU_SOURCE \
	-fno-pie -mno-red-zone -fno-stack-protector -fcf-protection=none \
	-fno-builtin -U_FORTIFY_SOURCE -fno-tree-loop-distribute-patterns \
	-fno-reorder-blocks-and-partition -fno-omit-frame-pointer -fno-strict-aliasing
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
else
SAN_FLAGS :=
endif
HOST_CFLAGS := $(COMMON_CFLAGS) $(SAN_FLAGS) $(EXTRA_CFLAGS)
GUEST_CFLAGS := $(COMMON_CFLAGS) -ffreestanding -mgeneral-regs-only $(EXTRA_CFLAGS)
LDFLAGS := -no-pie -pthread $(SAN_FLAGS)
LDLIBS := -lnuma -lm -lrt

GUEST_SRCS := $(wildcard guest/*.c guest/*.S guest/$(ARCH)/*.c guest/$(ARCH)/*.S)
HARNESS_SRCS := $(wildcard harness/*.c harness/$(ARCH)/*.c)
HEADERS := $(wildcard include/*.h include/$(ARCH)/*.h)
BENCH_SRCS := $(wildcard bench/*.c)
-include tests/fuzz/fuzz.mk
-include scripts/ab.mk
# The included files define targets; plain `make` must still mean `all`.
.DEFAULT_GOAL := all
UNIT_SRCS := $(wildcard tests/unit/*.c)
KVM_TEST_SRCS := $(wildcard tests/kvm/*.c)
PY_TESTS := $(wildcard tests/py/test_*.py)

GUEST_OBJS := $(patsubst %,$(BUILD)/%.o,$(basename $(GUEST_SRCS)))
HARNESS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HARNESS_SRCS))
BENCH_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(BENCH_SRCS))
UNIT_BINS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
KVM_TEST_BINS := $(patsubst %.c,$(BUILD)/%,$(KVM_TEST_SRCS))
MMIOBENCH := $(BUILD)/mmiobench
LIBS := $(BUILD)/libharness.a $(BUILD)/libguest.a

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps check unit kvm-tests bench fuzz clean check-svm bench-svm svm-deps
all: $(UNIT_BINS) $(KVM_TEST_BINS) $(if $(wildcard bench/main.c),$(MMIOBENCH))

deps:
	$(Q)scripts/deps.sh

# Guest objects: compiled freestanding, then their code moved to section
# guest_text so the linker brackets it with __start/__stop_guest_text and
# scripts/check_guest_calls.py can prove guest code calls only guest code.
$(BUILD)/guest/%.o: guest/%.c $(HEADERS) | $(BUILD)/guest
	@echo "  CC [guest] $<"
	$(Q)mkdir -p $(dir $@) && $(CC) $(GUEST_CFLAGS) -c $< -o $@.tmp.o
	$(Q)objcopy --rename-section .text=guest_text $@.tmp.o $@ && rm -f $@.tmp.o
$(BUILD)/guest/%.o: guest/%.S $(HEADERS) | $(BUILD)/guest
	@echo "  AS [guest] $<"
	$(Q)mkdir -p $(dir $@) && $(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/%.o: %.c $(HEADERS) $(wildcard harness/*.h bench/*.h tests/*.h) | $(BUILD)/harness $(BUILD)/bench
	@echo "  CC $<"
	$(Q)mkdir -p $(dir $@) && $(CC) $(HOST_CFLAGS) -c $< -o $@

# The revision goes into every build of bench/version.o, so results name it.
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)
GIT_DIRTY := $(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo 1 || echo 0)
$(BUILD)/bench/version.o: HOST_CFLAGS += -DMMIOBENCH_GIT_REV='"$(GIT_REV)"' -DMMIOBENCH_GIT_DIRTY=$(GIT_DIRTY)
$(BUILD)/bench/version.o: FORCE
.PHONY: FORCE
FORCE:

$(BUILD)/libguest.a: $(GUEST_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/libharness.a: $(HARNESS_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# --whole-archive for libguest: the IDT stubs and ucall code are reached
# only through addresses the host writes into the guest, never by a symbol
# reference the linker can see.
LINK = $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libharness.a \
	-Wl,--whole-archive $(BUILD)/libguest.a -Wl,--no-whole-archive $(LDLIBS)

# These unit tests #include bench sources to reach their static functions.
$(BUILD)/tests/unit/test_results.o $(BUILD)/tests/unit/test_scenario.o \
$(BUILD)/tests/unit/test_stats.o: $(BENCH_SRCS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBS)
	@echo "  LD $@"
	$(Q)$(LINK)
$(BUILD)/tests/kvm/%: $(BUILD)/tests/kvm/%.o $(LIBS)
	@echo "  LD $@"
	$(Q)$(LINK)
$(MMIOBENCH): $(BENCH_OBJS) $(LIBS)
	@echo "  LD $@"
	$(Q)$(LINK)

$(BUILD)/guest $(BUILD)/harness $(BUILD)/bench:
	$(Q)mkdir -p $@

check: deps all
	$(Q)MMIOBENCH_BIN=$(abspath $(MMIOBENCH)) MMIOBENCH_BUILD=$(abspath $(BUILD)) python3 scripts/run_tests.py --guest-check --build $(BUILD) $(UNIT_BINS) $(KVM_TEST_BINS) $(PY_TESTS) guestcheck:$(MMIOBENCH) $(EXTRA_TESTS)

unit: deps $(UNIT_BINS)
	$(Q)python3 scripts/run_tests.py --build $(BUILD) $(UNIT_BINS)

bench: deps all
	$(Q)scripts/bench.sh $(MMIOBENCH) $(if $(filter 1,$(QUICK)),--quick,)

# The SVM test platform: real kvm_amd inside QEMU TCG (scripts/svm/). Both
# skip, with the reason and status 0, when QEMU, a static busybox or the
# kernel package cannot be had; they fail only for failing tests/checks.
svm-deps:
	$(Q)SVM=1 scripts/deps.sh || true

check-svm: deps svm-deps all
	$(Q)scripts/svm/check.sh --build $(BUILD); rc=$$?; [ $$rc = 77 ] && rc=0; exit $$rc

bench-svm: deps svm-deps all
	$(Q)scripts/svm/bench.sh $(BUILD) $(if $(filter 1,$(QUICK)),--quick,); rc=$$?; [ $$rc = 77 ] && rc=0; exit $$rc

clean:
	rm -rf build build-san build-fuzz

.SECONDARY:
