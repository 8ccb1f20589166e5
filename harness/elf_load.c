// SPDX-License-Identifier: GPL-2.0
/* This binary, copied into the guest (see include/elf_load.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "elf_load.h"

static int read_full(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

int elf_read_segments(const char *path, struct elf_segment *segs, int max)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int n = 0, r;

	if (fd < 0)
		return -errno;
	r = read_full(fd, &eh, sizeof(eh), 0);
	if (r == -EIO)		/* shorter than an ELF header: not an executable */
		r = -ENOEXEC;
	if (r)
		goto out;
	r = -ENOEXEC;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		goto out;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		r = read_full(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph)));
		if (r)
			goto out;
		if (ph.p_type != PT_LOAD)
			continue;
		if (n == max) {
			r = -E2BIG;
			goto out;
		}
		segs[n++] = (struct elf_segment){ ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz };
	}
	r = n;
out:
	close(fd);
	return r;
}

uint64_t elf_image_end(const struct elf_segment *segs, int n, uint64_t ram_bytes)
{
	uint64_t end = 0;

	for (int i = 0; i < n; i++) {
		const struct elf_segment *s = &segs[i];

		if (s->filesz > s->memsz || s->vaddr > ram_bytes || s->memsz > ram_bytes - s->vaddr)
			return 0;
		if (s->vaddr + s->memsz > end)
			end = s->vaddr + s->memsz;
	}
	return end;
}

uint64_t elf_load(struct guest_mem *mem, const char *path)
{
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	int n = elf_read_segments(path, segs, ELF_MAX_SEGMENTS);
	uint64_t end;
	int fd;

	if (n <= 0)
		return 0;
	end = elf_image_end(segs, n, mem->size_bytes);
	if (!end)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		uint8_t *dst = gmem_ptr(mem, segs[i].vaddr, segs[i].memsz);

		if (read_full(fd, dst, segs[i].filesz, (off_t)segs[i].offset)) {
			close(fd);
			return 0;
		}
		memset(dst + segs[i].filesz, 0, segs[i].memsz - segs[i].filesz);
	}
	close(fd);
	return end;
}
