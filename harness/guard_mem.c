// SPDX-License-Identifier: GPL-2.0
/* Guest RAM with PROT_NONE guards around it (include/guard_mem.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "guard_mem.h"
#include "test_util.h"

int guard_mem_map(struct guard_mem *g, uint64_t bytes, uint64_t align)
{
	uintptr_t start;
	void *base, *p;
	size_t len;

	memset(g, 0, sizeof(*g));
	if (!align)
		align = 4096;
	if (!bytes || (bytes & 4095) || (align & (align - 1)) ||
	    bytes > SIZE_MAX - 2 * GUARD_MEM_GUARD_BYTES - align)
		return -EINVAL;
	/* Reserve guards + slack for the alignment, all inaccessible; then
	 * map the usable part over the middle. What is left stays PROT_NONE. */
	len = (size_t)(bytes + 2 * GUARD_MEM_GUARD_BYTES + align);
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	start = ((uintptr_t)base + GUARD_MEM_GUARD_BYTES + align - 1) & ~(uintptr_t)(align - 1);
	p = mmap((void *)start, (size_t)bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(base, len);
		return -err;
	}
	g->hva = p;
	g->bytes = bytes;
	g->base = base;
	g->len = len;
	return 0;
}

void guard_mem_unmap(struct guard_mem *g)
{
	if (g->base)
		munmap(g->base, g->len);
	memset(g, 0, sizeof(*g));
}

bool guard_mem_touch_faults(volatile uint8_t *p, bool write)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);	/* not ASan's report-and-exit */
		if (write)
			*p = 1;
		else
			(void)*p;
		_exit(0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}
