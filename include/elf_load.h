/* SPDX-License-Identifier: GPL-2.0 */
/* Copying this binary's PT_LOAD segments into guest RAM at their own
 * virtual addresses, so guest code is reached by plain function pointers. */
#ifndef MMIOBENCH_ELF_LOAD_H
#define MMIOBENCH_ELF_LOAD_H

#include <stdint.h>
#include "guest_mem.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t vaddr, offset, filesz, memsz;
};

/* Reads the PT_LOAD program headers of the ELF file at path. Returns the
 * number found (0..max) or -errno (-ENOEXEC: not a 64-bit x86 executable). */
int elf_read_segments(const char *path, struct elf_segment *segs, int max);
/* Checks the segments fit in RAM of ram_bytes and are sane (filesz <= memsz,
 * no overflow). Returns the first byte past the image, or 0 if they do not. */
uint64_t elf_image_end(const struct elf_segment *segs, int n, uint64_t ram_bytes);
/* Loads path into mem. Returns the image end or 0 on failure. */
uint64_t elf_load(struct guest_mem *mem, const char *path);

#endif
