// SPDX-License-Identifier: GPL-2.0-or-later
// Synthetic dump files (see dumpgen.h).
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "dumpfile.h"
#include "dumpgen.h"

void gen_pages(uint8_t *pages, size_t npages)
{
	for (size_t p = 0; p < npages; p++)
		for (size_t i = 0; i < GEN_PS; i++)
			pages[p * GEN_PS + i] = (uint8_t)(i % 61 < 40 ? p * 7 + 1 : i * 13 + p);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void putbe64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static int grow(struct gen_buf *b, size_t len)
{
	if (len <= b->len)
		return 0;
	uint8_t *p = realloc(b->data, len);
	if (!p)
		return -1;
	memset(p + b->len, 0, len - b->len);
	b->data = p;
	b->len = len;
	return 0;
}

// Compress one page; returns its size, or 0 if it did not shrink.
static size_t compress_page(uint32_t comp, const uint8_t *src, uint8_t *dst, size_t cap)
{
	size_t out = 0;
	switch (comp) {
	case DMS_DUMP_ZLIB: {
		uLongf n = cap;
		if (compress2(dst, &n, src, GEN_PS, 1) == Z_OK)
			out = n;
		break;
	}
	case DMS_DUMP_LZO: {
		static uint8_t wrk[LZO1X_1_MEM_COMPRESS];
		lzo_uint n = cap;
		lzo_init();
		if (lzo1x_1_compress(src, GEN_PS, dst, &n, wrk) == LZO_E_OK)
			out = n;
		break;
	}
	case DMS_DUMP_SNAPPY: {
		size_t n = cap;
		if (snappy_compress((const char *)src, GEN_PS, (char *)dst, &n) == SNAPPY_OK)
			out = n;
		break;
	}
	case DMS_DUMP_ZSTD: {
		size_t n = ZSTD_compress(dst, cap, src, GEN_PS, 1);
		if (!ZSTD_isError(n))
			out = n;
		break;
	}
	}
	return out < GEN_PS ? out : 0;
}

int gen_kdump(const uint8_t *pages, size_t npages, const uint32_t *comp, const char *vmcoreinfo,
	      struct gen_buf *ret)
{
	struct gen_buf b = { 0 };
	size_t nd = 0;
	for (size_t i = 0; i < npages; i++)
		nd += comp[i] != GEN_EXCLUDED;
	// Blocks: header, sub-header, bitmap 1, bitmap 2, descriptors, data.
	size_t pd_off = 4 * GEN_PS, vi_off = pd_off + nd * 24;
	size_t vi_len = vmcoreinfo ? strlen(vmcoreinfo) : 0;
	size_t data_off = vi_off + vi_len;
	if (grow(&b, data_off))
		return -1;
	memcpy(b.data, "KDUMP   ", 8);
	put32(b.data + 8, 6);
	memcpy(b.data + 12 + 2 * 65, "6.99.0-test", 11);
	put32(b.data + 428, GEN_PS); // block_size
	put32(b.data + 432, 1);	     // sub_hdr_size
	put32(b.data + 436, 2);	     // bitmap_blocks
	put32(b.data + 440, (uint32_t)npages);
	uint8_t *sh = b.data + GEN_PS;
	put32(sh + 8, 31); // dump_level
	if (vmcoreinfo) {
		put64(sh + 32, vi_off);
		put64(sh + 40, vi_len);
		memcpy(b.data + vi_off, vmcoreinfo, vi_len);
	}
	put64(sh + 96, npages);
	size_t zero_at = 0, zero_size = 0;
	uint32_t zero_flags = 0;
	uint8_t tmp[2 * GEN_PS];
	size_t d = 0;
	static const uint8_t zeros[GEN_PS];
	for (size_t i = 0; i < npages; i++) {
		b.data[2 * GEN_PS + i / 8] |= (uint8_t)(1 << (i % 8));
		if (comp[i] == GEN_EXCLUDED)
			continue;
		b.data[3 * GEN_PS + i / 8] |= (uint8_t)(1 << (i % 8));
		const uint8_t *src = pages + i * GEN_PS;
		bool zero = memcmp(src, zeros, GEN_PS) == 0;
		size_t at, size;
		uint32_t flags;
		if (zero && zero_size) {
			at = zero_at;
			size = zero_size;
			flags = zero_flags;
		} else {
			size = compress_page(comp[i], src, tmp, sizeof(tmp));
			flags = size ? comp[i] : 0;
			if (!size) {
				size = GEN_PS;
				memcpy(tmp, src, GEN_PS);
			}
			at = b.len;
			if (grow(&b, b.len + size)) {
				free(b.data);
				return -1;
			}
			memcpy(b.data + at, tmp, size);
			if (zero) {
				zero_at = at;
				zero_size = size;
				zero_flags = flags;
			}
		}
		uint8_t *pd = b.data + pd_off + d++ * 24;
		put64(pd, at);
		put32(pd + 8, (uint32_t)size);
		put32(pd + 12, flags);
	}
	*ret = b;
	return 0;
}

int gen_flatten(const struct gen_buf *in, size_t rec, struct gen_buf *ret)
{
	struct gen_buf b = { 0 };
	if (grow(&b, 4096))
		return -1;
	memcpy(b.data, "makedumpfile", 12);
	putbe64(b.data + 16, 1);
	putbe64(b.data + 24, 1);
	size_t nrec = (in->len + rec - 1) / rec;
	// A stale header copy first: overwritten by the real one written last.
	uint8_t stale[64];
	memset(stale, 0xee, sizeof(stale));
	for (int pass = -1; pass <= 2; pass++) {
		for (size_t r = 0; r < nrec; r++) {
			const uint8_t *src;
			size_t off, len;
			if (pass == -1) {
				if (r)
					break;
				src = stale, off = 0, len = sizeof(stale);
			} else if (pass == 2) {
				if (r)
					break;
				src = in->data, off = 0, len = 64 < in->len ? 64 : in->len;
			} else {
				if ((int)(r % 2) == pass)
					continue;
				off = r * rec;
				len = in->len - off < rec ? in->len - off : rec;
				src = in->data + off;
			}
			size_t at = b.len;
			if (grow(&b, at + 16 + len))
				return -1;
			putbe64(b.data + at, off);
			putbe64(b.data + at + 8, len);
			memcpy(b.data + at + 16, src, len);
		}
	}
	size_t at = b.len;
	if (grow(&b, at + 16))
		return -1;
	putbe64(b.data + at, (uint64_t)-1);
	putbe64(b.data + at + 8, 0);
	*ret = b;
	return 0;
}

int gen_elf(const uint8_t *pages, const struct gen_seg *segs, size_t nsegs, const char *vmcoreinfo,
	    struct gen_buf *ret)
{
	struct gen_buf b = { 0 };
	size_t phnum = nsegs + 1;
	size_t vi_len = vmcoreinfo ? strlen(vmcoreinfo) : 0;
	size_t note_off = 64 + phnum * 56;
	size_t note_len = 12 + 12 + ((vi_len + 3) & ~(size_t)3);
	size_t data = note_off + note_len;
	if (grow(&b, data))
		return -1;
	memcpy(b.data, "\177ELF", 4);
	b.data[4] = 2; // ELFCLASS64
	b.data[5] = 1; // little-endian
	b.data[6] = 1;
	b.data[16] = 4;	 // ET_CORE
	b.data[18] = 62; // EM_X86_64
	put32(b.data + 20, 1);
	put64(b.data + 32, 64);	     // e_phoff
	b.data[52] = 64;	     // e_ehsize
	b.data[54] = 56;	     // e_phentsize
	b.data[56] = (uint8_t)phnum; // e_phnum, 16 bits
	b.data[57] = (uint8_t)(phnum >> 8);
	uint8_t *ph = b.data + 64;
	put32(ph, 4); // PT_NOTE
	put64(ph + 8, note_off);
	put64(ph + 32, note_len);
	put64(ph + 40, note_len);
	uint8_t *n = b.data + note_off;
	put32(n, 11);
	put32(n + 4, (uint32_t)vi_len);
	memcpy(n + 12, "VMCOREINFO", 11);
	if (vi_len)
		memcpy(n + 24, vmcoreinfo, vi_len);
	for (size_t i = 0; i < nsegs; i++) {
		size_t at = b.len;
		if (grow(&b, at + segs[i].filesz))
			return -1;
		memcpy(b.data + at, pages + segs[i].paddr, segs[i].filesz);
		ph = b.data + 64 + (i + 1) * 56;
		put32(ph, 1); // PT_LOAD
		put64(ph + 8, at);
		put64(ph + 16, 0xffff888000000000ull + segs[i].paddr);
		put64(ph + 24, segs[i].paddr);
		put64(ph + 32, segs[i].filesz);
		put64(ph + 40, segs[i].memsz);
	}
	*ret = b;
	return 0;
}

int gen_fd(const struct gen_buf *b)
{
	int fd = memfd_create("dumpgen", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < b->len) {
		ssize_t n = write(fd, b->data + done, b->len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return fd;
}
