// SPDX-License-Identifier: GPL-2.0-or-later
// Synthetic dump files for the dump reader's tests: kdump-compressed (every
// compression makedumpfile writes), flattened, ELF.  Built from the formats'
// descriptions (makedumpfile's diskdump_mod.h, the ELF gABI), not from a tool.
#ifndef DMS_DUMPGEN_H
#define DMS_DUMPGEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_PS 4096
// comp[] value of a page left out of the dump.
#define GEN_EXCLUDED 0xffffffffu

struct gen_buf {
	uint8_t *data;
	size_t len;
};

/** Fill npages pages with distinct, compressible content (page i's own pattern). */
void gen_pages(uint8_t *pages, size_t npages);

/**
 * A kdump-compressed file of npages pages: page i compressed with comp[i]
 * (0, DMS_DUMP_ZLIB/LZO/SNAPPY/ZSTD) or GEN_EXCLUDED.  Pages that are all
 * zero share one data block, as makedumpfile's do.  VMCOREINFO text is stored
 * when vmcoreinfo is not NULL.  Returns 0 on success.
 */
int gen_kdump(const uint8_t *pages, size_t npages, const uint32_t *comp, const char *vmcoreinfo,
	      struct gen_buf *ret);

/**
 * The flattened format of a file: records of at most rec bytes, written in
 * an order that is not the file's (every odd record first), and the first 64
 * bytes written twice (a stale copy first, the real one last).
 */
int gen_flatten(const struct gen_buf *in, size_t rec, struct gen_buf *ret);

struct gen_seg {
	uint64_t paddr, filesz, memsz;
	// Bytes of the segment come from pages + paddr (as if pages were
	// physical memory from address 0).
};

/** An ELF64 core with these PT_LOAD segments over pages, plus a VMCOREINFO note. */
int gen_elf(const uint8_t *pages, const struct gen_seg *segs, size_t nsegs, const char *vmcoreinfo,
	    struct gen_buf *ret);

/** Write a buffer to an anonymous file; returns the fd or -1. */
int gen_fd(const struct gen_buf *b);

#endif // DMS_DUMPGEN_H
