// SPDX-License-Identifier: GPL-2.0
/* harness/elf_load.c without KVM: this very binary's PT_LOADs, the image
 * sanity checks, and files that are not executables. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_load.h"
#include "test_util.h"

int main(void);

static char *temp_file(const char *content, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_elf.XXXXXX");
	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	TEST_ASSERT(write(fd, content, len) == (ssize_t)len, "write");
	close(fd);
	return path;
}

static void self_segments(void)
{
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	int n = elf_read_segments("/proc/self/exe", segs, ELF_MAX_SEGMENTS);
	uint64_t m = (uint64_t)(uintptr_t)main;
	int holding_main = -1;

	CHECK(n >= 2);
	for (int i = 0; i < n; i++) {
		ktap_diag("PT_LOAD vaddr 0x%llx offset 0x%llx filesz 0x%llx memsz 0x%llx",
			  (unsigned long long)segs[i].vaddr, (unsigned long long)segs[i].offset,
			  (unsigned long long)segs[i].filesz, (unsigned long long)segs[i].memsz);
		CHECK(segs[i].filesz <= segs[i].memsz);
		if (segs[i].vaddr <= m && m < segs[i].vaddr + segs[i].memsz)
			holding_main = i;
	}
	CHECK(holding_main >= 0);
	/* The image fits the default guest RAM and ends past main. */
	CHECK(elf_image_end(segs, n, 128ULL << 20) > m);
}

static void too_many_segments(void)
{
	struct elf_segment segs[1];

	CHECK_EQ(elf_read_segments("/proc/self/exe", segs, 1), -E2BIG);
}

static void image_end_checks(void)
{
	const uint64_t ram = 16ULL << 20;
	struct elf_segment ok[2] = {
		{ .vaddr = 0x400000, .offset = 0, .filesz = 0x1000, .memsz = 0x1000 },
		{ .vaddr = 0x600000, .offset = 0x1000, .filesz = 0x100, .memsz = 0x3000 },
	};
	struct elf_segment s;

	CHECK_EQ(elf_image_end(ok, 2, ram), 0x603000);
	CHECK_EQ(elf_image_end(ok, 0, ram), 0);

	s = (struct elf_segment){ .vaddr = 0x400000, .filesz = 0x2000, .memsz = 0x1000 };
	CHECK_EQ(elf_image_end(&s, 1, ram), 0);				/* filesz > memsz */
	s = (struct elf_segment){ .vaddr = UINT64_MAX - 0xfff, .filesz = 0, .memsz = 0x2000 };
	CHECK_EQ(elf_image_end(&s, 1, UINT64_MAX), 0);			/* vaddr + memsz wraps */
	s = (struct elf_segment){ .vaddr = 0x1000, .filesz = 0, .memsz = UINT64_MAX };
	CHECK_EQ(elf_image_end(&s, 1, ram), 0);				/* memsz huge */
	s = (struct elf_segment){ .vaddr = ram - 0x1000, .filesz = 0x1000, .memsz = 0x1001 };
	CHECK_EQ(elf_image_end(&s, 1, ram), 0);				/* one byte past RAM */
	s = (struct elf_segment){ .vaddr = ram + 0x1000, .filesz = 0, .memsz = 0 };
	CHECK_EQ(elf_image_end(&s, 1, ram), 0);				/* starts past RAM */
	s = (struct elf_segment){ .vaddr = ram - 0x1000, .filesz = 0x1000, .memsz = 0x1000 };
	CHECK_EQ(elf_image_end(&s, 1, ram), ram);			/* ends exactly at RAM end */
}

static void not_an_executable(void)
{
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	char text[256], *path;

	memset(text, 'x', sizeof(text));
	path = temp_file(text, sizeof(text));
	CHECK_EQ(elf_read_segments(path, segs, ELF_MAX_SEGMENTS), -ENOEXEC);
	unlink(path);

	path = temp_file("#!/bin/sh\n", 10);			/* shorter than an ELF header */
	CHECK_EQ(elf_read_segments(path, segs, ELF_MAX_SEGMENTS), -ENOEXEC);
	unlink(path);

	CHECK_EQ(elf_read_segments("/nonexistent/file", segs, ELF_MAX_SEGMENTS), -ENOENT);
}

int main(void)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(self_segments),
		KTAP_CASE(too_many_segments),
		KTAP_CASE(image_end_checks),
		KTAP_CASE(not_an_executable),
	};

	return KTAP_RUN(cases);
}
