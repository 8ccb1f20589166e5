/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host-side KVM library, in the style of the kernel's KVM selftests.
 *
 * Two layers: __vm_ioctl()/__vcpu_ioctl()/__kvm_ioctl() return the raw
 * result (for tests that expect failure); vm_ioctl()/vcpu_ioctl()/kvm_ioctl()
 * assert success and name the ioctl, errno and file:line when they fail.
 *
 * Guest code lives in this very binary: its PT_LOAD segments are copied into
 * guest memory at their own addresses (identity mapped), so a guest entry is
 * just a function pointer. A VM has one RAM memslot at GPA 0.
 *
 * Threading: a struct kvm_vcpu is driven by one thread at a time. The bus
 * may only be changed while no vCPU runs.
 */
#ifndef MMIOBENCH_KVM_UTIL_H
#define MMIOBENCH_KVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "abi.h"
#include "bus.h"
#include "guard_mem.h"
#include "guest_mem.h"
#include "kvm_util_arch.h"
#include "test_util.h"
#include "unclaimed.h"

#define KVM_MAX_VCPUS_HERE	8

struct kvm_stats;
#define BUS_MAX_RANGES		32

struct bus_range {
	uint64_t base, len;
	bus_handler_t fn;
	void *opaque;
};

struct kvm_vm {
	int kvm_fd;
	int fd;
	struct guest_mem mem;		/* RAM at GPA 0 */
	struct guard_mem ram_map;	/* its host mapping, guard pages around it */
	uint64_t alloc_next_gpa;	/* bump allocator above the ELF image */
	bool has_irqchip;
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS_HERE];
	int nr_vcpus;
	struct bus_range mmio[BUS_MAX_RANGES];
	int nr_mmio;
	struct bus_range pio[BUS_MAX_RANGES];
	int nr_pio;
	int stats_fd;
	struct kvm_vm_arch arch;
	struct kvm_stats *stats;	/* its descriptors, read on first use */
	enum unclaimed_policy unclaimed_policy;	/* see include/unclaimed.h */
	struct vm_guest_errors guest_errors;
};

/* Why KVM_RUN came back to the caller of vcpu_run(). */
enum vcpu_stop {
	VCPU_STOP_UCALL = 1,	/* a ucall arrived; see vcpu->ucall */
	VCPU_STOP_EXIT,		/* an exit the library does not handle: vcpu->run->exit_reason */
	VCPU_STOP_WATCHDOG,	/* the guest ran longer than the watchdog allows */
	VCPU_STOP_REQUESTED,	/* vcpu_request_stop() was called (e.g. on SIGINT) */
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_vcpu_arch arch;
	struct ucall ucall;		/* copy of the last ucall */
	unsigned int watchdog_ms;	/* 0 disables; default from MMIOBENCH_WATCHDOG_MS or 5000 */
	void *watchdog;			/* private */
	int stats_fd;
	struct kvm_stats *stats;	/* its descriptors, read on first use */
	uint64_t exits_seen;		/* exits handled by vcpu_run(), for tests */
	/* Host-side split: when user_ticks is set, vcpu_run() stores, for each
	 * MMIO/PIO exit it serves, the host TSC ticks from KVM_RUN's return to
	 * the next KVM_RUN (the userspace part of the exit). */
	uint32_t *user_ticks;
	uint64_t user_ticks_cap, user_ticks_n;
	/* The raw reference loop (exit kinds raw_*): while raw_exit.on, a write
	 * to raw_exit.mmio_addr (or with .pio, to port raw_exit.port) makes
	 * vcpu_run() re-enter at once. Nothing else happens: no bus, no device,
	 * no exits_seen; raw_exit.seen counts them. */
	struct {
		bool on, pio;
		uint64_t mmio_addr;
		uint16_t port;
		uint64_t seen;
	} raw_exit;
};

/* ---- /dev/kvm -------------------------------------------------------- */
/* Opens /dev/kvm, or skips the test (exit 4) saying why it cannot. */
int kvm_open_or_skip(void);
int kvm_check_cap(int cap);		/* KVM_CHECK_EXTENSION on /dev/kvm */
void require_cap(int cap, const char *name);	/* skip (exit 4) when absent */
#define REQUIRE_CAP(cap) require_cap(cap, #cap)

/* ---- ioctls, two layers ----------------------------------------------- */
#define __kvm_ioctl(fd, cmd, arg)	ioctl(fd, cmd, arg)
#define __vm_ioctl(vm, cmd, arg)	ioctl((vm)->fd, cmd, arg)
#define __vcpu_ioctl(vcpu, cmd, arg)	ioctl((vcpu)->fd, cmd, arg)
#define __IOCTL_ASSERT(name, ret) \
	TEST_ASSERT((ret) >= 0, "%s failed, rc: %i", name, (int)(ret))
#define kvm_ioctl(fd, cmd, arg) ({ int __r = __kvm_ioctl(fd, cmd, arg); __IOCTL_ASSERT(#cmd, __r); __r; })
#define vm_ioctl(vm, cmd, arg) ({ int __r = __vm_ioctl(vm, cmd, arg); __IOCTL_ASSERT(#cmd, __r); __r; })
#define vcpu_ioctl(vcpu, cmd, arg) ({ int __r = __vcpu_ioctl(vcpu, cmd, arg); __IOCTL_ASSERT(#cmd, __r); __r; })

/* ---- VM and vCPU life cycle -------------------------------------------- */
struct vm_options {
	uint64_t ram_bytes;		/* 0: GUEST_RAM_DEFAULT_BYTES */
	bool no_irqchip;		/* default: in-kernel PIC+IOAPIC+LAPIC */
	enum unclaimed_policy unclaimed;	/* default STRICT (include/unclaimed.h) */
};
struct kvm_vm *vm_create(const struct vm_options *opts);	/* opts may be NULL */
/* VM with one vCPU that will enter guest_code at CPL0. */
struct kvm_vm *vm_create_with_vcpu(struct kvm_vcpu **vcpu, void *guest_code);
struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, void *guest_code);
void kvm_vm_free(struct kvm_vm *vm);	/* also frees vCPUs; NULL ok */

/* Sets where and how the vCPU starts: entry point, CPL (0 or 3) and up to
 * six arguments, passed as to a C function. Returning from the entry ends
 * the guest with GUEST_DONE. */
void vcpu_set_entry(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl,
		    int nargs, ...);
/* The same, entering with interrupts enabled: guest code at CPL3 cannot
 * enable them itself where the hypervisor forces IOPL to 0 (PVM). */
void vcpu_set_entry_irqs_on(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl,
			    int nargs, ...);
void vcpu_args_set(struct kvm_vcpu *vcpu, int nargs, ...);
void vcpu_args_set_va(struct kvm_vcpu *vcpu, int nargs, va_list ap);

/* ---- guest memory -------------------------------------------------------- */
void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa);	/* asserts in RAM */
/* Host pointer to this binary's object as the guest sees it (its copy). */
#define guest_hva(vm, host_ptr) ((__typeof__(host_ptr))addr_gpa2hva(vm, (uint64_t)(uintptr_t)(host_ptr)))
/* Zeroed, page-aligned guest memory above the image; returns the GPA. */
uint64_t vm_alloc(struct kvm_vm *vm, uint64_t bytes, uint64_t align);
/* Writes a value into the guest's copy of a global (before or between runs). */
#define sync_global_to_guest(vm, g) (*guest_hva(vm, &(g)) = (g))
#define sync_global_from_guest(vm, g) ((g) = *guest_hva(vm, &(g)))

/* ---- running ------------------------------------------------------------- */
/* Runs until a ucall or an exit the bus does not handle. MMIO/PIO exits to
 * registered ranges are served here; an unclaimed access follows the VM's
 * policy (include/unclaimed.h); an internal error, a shutdown or a failed
 * guest assertion fail the test with details. */
enum vcpu_stop vcpu_run(struct kvm_vcpu *vcpu);
/* vcpu_run() that also fails the test on anything but a ucall. Returns the
 * ucall type (UCALL_SYNC, UCALL_PRINTF, UCALL_DONE). PRINTF is echoed. */
uint32_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
/* Runs through PRINTF ucalls until DONE; fails on anything else. */
void vcpu_run_to_done(struct kvm_vcpu *vcpu);
/* Like vcpu_run_ucall() but a guest assertion or unhandled exception is
 * returned (UCALL_ASSERT/UCALL_UNHANDLED) instead of failing the test. */
uint32_t __vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
const char *exit_reason_str(uint32_t reason);
void vcpu_describe_ucall(struct kvm_vcpu *vcpu, const struct ucall *uc, char *buf, size_t len);
void vcpu_dump(struct kvm_vcpu *vcpu);	/* registers, as KTAP diagnostics (arch) */
/* One line about the exit in vcpu->run (reason, suberror, instruction bytes). */
void vcpu_describe_exit(struct kvm_vcpu *vcpu, char *buf, size_t len);
/* Async-signal-safe: makes the running (or next) vcpu_run() return
 * VCPU_STOP_REQUESTED, e.g. from a SIGINT handler. Sticky until cleared. */
void vcpu_request_stop(void);
void vcpu_clear_stop_request(void);
bool vcpu_stop_requested(void);
/* Milliseconds a single vcpu_run() may take; 0 disables. */
void vcpu_set_watchdog_ms(struct kvm_vcpu *vcpu, unsigned int ms);
void vcpu_watchdog_free(struct kvm_vcpu *vcpu);

/* Range containing [addr, addr + len), or NULL. */
const struct bus_range *bus_find(const struct bus_range *t, int nr, uint64_t addr, uint32_t len);

/* ---- interrupts ---------------------------------------------------------- */
void vm_irq_line(struct kvm_vm *vm, uint32_t gsi, int level);
/* Returns 0 or -errno. resample_fd < 0: edge irqfd; else level + resample. */
int __vm_irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, int resample_fd, bool deassign);
void vm_irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, int resample_fd);
void vm_irqfd_deassign(struct kvm_vm *vm, int fd, uint32_t gsi, int resample_fd);

/* ---- ioeventfd ----------------------------------------------------------- */
struct ioeventfd_spec {
	uint64_t addr;
	uint32_t len;		/* 0 (wildcard, any width), 1, 2, 4 or 8 */
	bool pio;
	bool datamatch;
	uint64_t data;
};
/* Returns 0 or -errno. */
int __vm_ioeventfd(struct kvm_vm *vm, int fd, const struct ioeventfd_spec *s, bool deassign);
void vm_ioeventfd(struct kvm_vm *vm, int fd, const struct ioeventfd_spec *s);
void vm_ioeventfd_deassign(struct kvm_vm *vm, int fd, const struct ioeventfd_spec *s);

/* ---- KVM binary statistics ------------------------------------------------ */
/* Cumulative value of a named statistic, or -1 if this kernel lacks it. For
 * histogram stats, the sum of buckets. */
int64_t vm_stat(struct kvm_vm *vm, const char *name);
int64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name);
/* Calls fn for every statistic the fd offers (name, value). */
void kvm_stats_foreach(int stats_fd, void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx);
/* One fd's header and descriptors, read once (NULL if fd < 0 or unreadable);
 * a lookup by index is then one pread and no allocation. Not thread-safe
 * to open; reads from several threads are fine. */
struct kvm_stats *kvm_stats_open(int stats_fd);
void kvm_stats_free(struct kvm_stats *s);	/* NULL ok */
int kvm_stats_find(const struct kvm_stats *s, const char *name);	/* index or -1 */
int64_t kvm_stats_read(const struct kvm_stats *s, int index);		/* -1 on error */
/* A vCPU statistic resolved once (index, -1 if absent) and read by index:
 * for a loop on another thread; resolve before that thread starts. */
int vcpu_stat_index(struct kvm_vcpu *vcpu, const char *name);
int64_t vcpu_stat_at(struct kvm_vcpu *vcpu, int index);

/* ---- architecture hooks (harness/$(ARCH)/) -------------------------------- */
/* After the RAM memslot, the irqchip and the image are in place: the
 * architecture's tables (page tables, descriptor tables). */
void vm_arch_post_create(struct kvm_vm *vm);
/* After KVM_CREATE_VCPU and the kvm_run mapping: stacks, per-vCPU tables,
 * CPUID, interrupt controller state. */
void vcpu_arch_init(struct kvm_vcpu *vcpu);
/* Entry state: guest_code at cpl with interrupts enabled or not, nargs
 * arguments as the C calling convention passes them, a return lands in
 * ucall_done(). */
void vcpu_arch_set_entry(struct kvm_vcpu *vcpu, void *guest_code, unsigned int cpl, bool irqs_on,
			 int nargs, va_list ap);
/* One line about a UCALL_UNHANDLED: vector, error code, where. */
void vcpu_arch_describe_exception(const struct ucall *uc, char *buf, size_t len);

#endif
