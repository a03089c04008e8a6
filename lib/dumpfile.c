// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: a dump file read without crash, and a parallel whole-memory pass.
//
// Formats (see dumpfile.h):
//  - kdump-compressed (makedumpfile's "KDUMP   " format): disk_dump_header,
//    kdump_sub_header, two bitmaps (the second says which pages were dumped),
//    an array of 24-byte page descriptors, one per dumped page in pfn order,
//    then page data; each descriptor gives the data's offset and size and the
//    compression (zlib, lzo, snappy, zstd; none when it did not shrink).
//  - the flattened format: a 4096-byte "makedumpfile" header, then records
//    {be64 offset, be64 size, data} that write a kdump (or ELF) file in any
//    order, ended by offset -1.  It is indexed once into non-overlapping
//    segments (a later record wins where two overlap).
//  - ELF64 cores: PT_LOAD segments by physical address, resolved once into
//    non-overlapping ones (the first in the header wins, as crash reads
//    them); bytes past p_filesz up to p_memsz read as zeros.
//  - raw images: one segment.
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "dumpfile.h"

#define KDUMP_SIG "KDUMP   "
#define FLAT_SIG "makedumpfile"
#define FLAT_HEADER_SIZE 4096
#define PD_SIZE 24 // struct page_desc: s64 offset, u32 size, u32 flags, u64 page_flags
#define COMP_MASK (DMS_DUMP_ZLIB | DMS_DUMP_LZO | DMS_DUMP_SNAPPY | DMS_DUMP_ZSTD)
// Location flags besides the compression bits.
#define LOC_ABSENT 0x10000u // not in the dump
#define LOC_BAD 0x20000u    // descriptor invalid
#define LOC_SLOW 0x40000u   // ELF/raw page not inside one segment: assembled byte-wise
// Bytes of index per flattened record while it is built (entries, sweep, output).
#define FLAT_BYTES_PER_RECORD 96
#define VMCOREINFO_MAX (1U << 20)
#define MAX_THREADS 64
#define BATCH 64 // pages per batch of the parallel pass

struct seg { // ELF/raw: physical [paddr, paddr + memsz) from file [off, off + filesz)
	uint64_t paddr, memsz, off, filesz;
};

struct fseg { // flattened: logical [v, v + len) is file [f, f + len)
	uint64_t v, len, f;
};

struct loc {
	uint64_t off;
	uint32_t size, flags;
};

// Decompression state; one per thread.
struct dctx {
	z_stream z;
	bool z_ok;
	ZSTD_DCtx *zd;
	uint8_t *io; // compressed bytes read from the file
	size_t io_cap;
	uint8_t desc[BATCH * PD_SIZE];
	struct loc loc[BATCH];
};

struct dms_dumpfile {
	struct dms_reader reader;
	struct dms_dumpfile_info info;
	int fd;
	uint64_t fsize; // bytes in the file
	uint64_t vsize; // bytes of the logical file (flattened: as restored)
	unsigned int page_shift;
	// kdump: dumpable bitmap (max_pfn bits), rank[i] = bits set before word 8 * i.
	uint64_t *bitmap, *rank;
	uint64_t pd_off;
	// Flattened index.
	struct fseg *flat;
	size_t nflat;
	// ELF/raw segments, sorted by paddr.
	struct seg *segs;
	size_t nsegs;
	// Random reader: its decompressor and the last page it decoded.
	struct dctx rd;
	uint8_t *rpage;
	uint64_t rpfn;
	bool rvalid;
	uint64_t bad; // atomic
};

const char *dms_dump_format_name(enum dms_dump_format f)
{
	switch (f) {
	case DMS_DUMP_RAW:
		return "raw";
	case DMS_DUMP_ELF:
		return "ELF";
	case DMS_DUMP_KDUMP:
		return "kdump-compressed";
	case DMS_DUMP_KDUMP_FLAT:
		return "kdump-compressed (flattened)";
	}
	return "?";
}

static uint64_t ld_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t ld_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint16_t ld_le16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return le16toh(v);
}

static uint64_t ld_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64toh(v);
}

// File I/O.

// pread until len bytes or the end of the file; returns the bytes read.
static size_t fread_at(const struct dms_dumpfile *df, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		if (off + done >= df->fsize)
			break;
		ssize_t n = pread(df->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

// Read the logical file (the restored one for the flattened format): bytes
// no record wrote read as zeros, as in the sparse file makedumpfile -R makes.
// Returns the bytes read; short only past the logical end.
static size_t vread(const struct dms_dumpfile *df, uint64_t off, void *buf, size_t len)
{
	if (!df->flat)
		return fread_at(df, off, buf, len);
	if (off >= df->vsize)
		return 0;
	if (len > df->vsize - off)
		len = (size_t)(df->vsize - off);
	// Last segment starting at or before off.
	size_t lo = 0, hi = df->nflat;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (df->flat[mid].v <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo ? lo - 1 : 0;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		while (i < df->nflat && df->flat[i].v + df->flat[i].len <= pos)
			i++;
		if (i == df->nflat || df->flat[i].v > pos) {
			// A hole up to the next segment.
			uint64_t next = i < df->nflat ? df->flat[i].v : df->vsize;
			size_t n = next - pos < len - done ? (size_t)(next - pos) : len - done;
			memset((char *)buf + done, 0, n);
			done += n;
			continue;
		}
		const struct fseg *s = &df->flat[i];
		uint64_t in = pos - s->v;
		size_t n = s->len - in < len - done ? (size_t)(s->len - in) : len - done;
		size_t got = fread_at(df, s->f + in, (char *)buf + done, n);
		if (got < n) { // the file ends inside a record: zeros, like a hole
			memset((char *)buf + done + got, 0, n - got);
		}
		done += n;
	}
	return done;
}

// Decompression.

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static void lzo_init_once(void)
{
	(void)lzo_init();
}

static bool dctx_init(struct dctx *d, size_t io_cap)
{
	memset(d, 0, sizeof(*d));
	d->io = malloc(io_cap);
	d->io_cap = io_cap;
	d->zd = ZSTD_createDCtx();
	if (inflateInit(&d->z) == Z_OK)
		d->z_ok = true;
	return d->io && d->zd && d->z_ok;
}

static void dctx_deinit(struct dctx *d)
{
	if (d->z_ok)
		inflateEnd(&d->z);
	ZSTD_freeDCtx(d->zd);
	free(d->io);
	memset(d, 0, sizeof(*d));
}

// Decode one page: exactly page_size bytes must come out.
static bool decode(struct dctx *d, uint32_t flags, const uint8_t *src, size_t len, uint8_t *dst,
		   size_t ps)
{
	switch (flags & COMP_MASK) {
	case 0:
		if (len != ps)
			return false;
		memcpy(dst, src, ps);
		return true;
	case DMS_DUMP_ZLIB: {
		if (inflateReset(&d->z) != Z_OK)
			return false;
		d->z.next_in = (Bytef *)src;
		d->z.avail_in = (uInt)len;
		d->z.next_out = dst;
		d->z.avail_out = (uInt)ps;
		int rc = inflate(&d->z, Z_FINISH);
		return rc == Z_STREAM_END && d->z.total_out == ps;
	}
	case DMS_DUMP_LZO: {
		lzo_uint out = ps;
		int rc = lzo1x_decompress_safe(src, len, dst, &out, NULL);
		return rc == LZO_E_OK && out == ps;
	}
	case DMS_DUMP_SNAPPY: {
		size_t out = 0;
		if (snappy_uncompressed_length((const char *)src, len, &out) != SNAPPY_OK ||
		    out != ps)
			return false;
		return snappy_uncompress((const char *)src, len, (char *)dst, &out) == SNAPPY_OK &&
		       out == ps;
	}
	case DMS_DUMP_ZSTD: {
		size_t r = ZSTD_decompressDCtx(d->zd, dst, ps, src, len);
		return !ZSTD_isError(r) && r == ps;
	}
	}
	return false; // several compression bits
}

// Page presence and location.

static bool kdump_bit(const struct dms_dumpfile *df, uint64_t pfn)
{
	return pfn < df->info.max_pfn && (df->bitmap[pfn / 64] >> (pfn % 64) & 1);
}

// Index of pfn's descriptor: bits set before it.
static uint64_t kdump_rank(const struct dms_dumpfile *df, uint64_t pfn)
{
	uint64_t w = pfn / 64;
	uint64_t r = df->rank[w / 8];
	for (uint64_t i = w & ~UINT64_C(7); i < w; i++)
		r += (uint64_t)__builtin_popcountll(df->bitmap[i]);
	if (pfn % 64)
		r += (uint64_t)__builtin_popcountll(df->bitmap[w] &
						    ((UINT64_C(1) << (pfn % 64)) - 1));
	return r;
}

// First segment whose end is above pa (segments sorted by paddr, not overlapping:
// elf_resolve).
static size_t seg_find(const struct dms_dumpfile *df, uint64_t pa)
{
	size_t lo = 0, hi = df->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (df->segs[mid].paddr + df->segs[mid].memsz <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool dms_dumpfile_present(const struct dms_dumpfile *df, uint64_t pfn)
{
	if (pfn >= df->info.max_pfn)
		return false;
	if (df->bitmap)
		return kdump_bit(df, pfn);
	uint64_t pa = pfn << df->page_shift;
	size_t i = seg_find(df, pa);
	return i < df->nsegs && df->segs[i].paddr < pa + df->info.page_size;
}

// First present pfn in [pfn, limit), or limit.
static uint64_t next_present(const struct dms_dumpfile *df, uint64_t pfn, uint64_t limit)
{
	if (limit > df->info.max_pfn)
		limit = df->info.max_pfn;
	if (pfn >= limit)
		return limit;
	if (df->bitmap) {
		uint64_t w = pfn / 64;
		uint64_t bits = df->bitmap[w] & (~UINT64_C(0) << (pfn % 64));
		uint64_t nw = (limit + 63) / 64;
		while (!bits) {
			if (++w >= nw)
				return limit;
			bits = df->bitmap[w];
		}
		uint64_t r = w * 64 + (uint64_t)__builtin_ctzll(bits);
		return r < limit ? r : limit;
	}
	uint64_t pa = pfn << df->page_shift;
	size_t i = seg_find(df, pa);
	if (i == df->nsegs)
		return limit;
	uint64_t p = df->segs[i].paddr > pa ? df->segs[i].paddr >> df->page_shift : pfn;
	return p < limit ? p : limit;
}

// First absent pfn in [pfn, limit), or limit.
static uint64_t next_absent(const struct dms_dumpfile *df, uint64_t pfn, uint64_t limit)
{
	if (limit > df->info.max_pfn)
		limit = df->info.max_pfn;
	if (df->bitmap) {
		if (pfn >= limit)
			return limit;
		uint64_t w = pfn / 64;
		uint64_t bits = ~df->bitmap[w] & (~UINT64_C(0) << (pfn % 64));
		uint64_t nw = (limit + 63) / 64;
		while (!bits) {
			if (++w >= nw)
				return limit;
			bits = ~df->bitmap[w];
		}
		uint64_t r = w * 64 + (uint64_t)__builtin_ctzll(bits);
		return r < limit ? r : limit;
	}
	uint64_t ps = df->info.page_size;
	while (pfn < limit) {
		uint64_t pa = pfn << df->page_shift;
		size_t i = seg_find(df, pa);
		if (i == df->nsegs || df->segs[i].paddr >= pa + ps)
			return pfn;
		// Skip to the end of the segment that covers pa.
		uint64_t end = df->segs[i].paddr + df->segs[i].memsz;
		uint64_t next = (end + ps - 1) >> df->page_shift;
		pfn = next > pfn ? next : pfn + 1;
	}
	return limit;
}

// Where page pfn's data is (ELF/raw).
static struct loc seg_loc(const struct dms_dumpfile *df, uint64_t pfn)
{
	struct loc l = { .flags = LOC_ABSENT };
	uint64_t ps = df->info.page_size, pa = pfn << df->page_shift;
	if (pfn >= df->info.max_pfn)
		return l;
	size_t i = seg_find(df, pa);
	if (i == df->nsegs || df->segs[i].paddr >= pa + ps)
		return l;
	const struct seg *s = &df->segs[i];
	bool next_overlaps = i + 1 < df->nsegs && df->segs[i + 1].paddr < pa + ps;
	if (s->paddr <= pa && pa - s->paddr + ps <= s->filesz && !next_overlaps) {
		l.off = s->off + (pa - s->paddr);
		l.size = (uint32_t)ps;
		l.flags = 0;
	} else {
		l.flags = LOC_SLOW;
	}
	return l;
}

// An ELF/raw page not inside one segment's file bytes: every segment's part.
static void slow_page(const struct dms_dumpfile *df, uint64_t pfn, uint8_t *dst)
{
	uint64_t ps = df->info.page_size, pa = pfn << df->page_shift;
	memset(dst, 0, ps);
	for (size_t i = seg_find(df, pa); i < df->nsegs && df->segs[i].paddr < pa + ps; i++) {
		const struct seg *s = &df->segs[i];
		uint64_t a = s->paddr > pa ? s->paddr : pa;
		uint64_t e = s->paddr + s->filesz < pa + ps ? s->paddr + s->filesz : pa + ps;
		if (a < e)
			fread_at(df, s->off + (a - s->paddr), dst + (a - pa), (size_t)(e - a));
	}
}

// A kdump page descriptor, checked: the data must lie in the file and be at
// most a page; uncompressed data exactly a page.
static struct loc kdump_desc(const struct dms_dumpfile *df, const uint8_t *pd)
{
	struct loc l = { .flags = LOC_BAD };
	uint64_t off = ld_le64(pd);
	uint32_t size = ld_le32(pd + 8), flags = ld_le32(pd + 12);
	uint32_t comp = flags & COMP_MASK;
	if ((int64_t)off <= 0 || size == 0 || size > df->info.page_size || off > df->vsize ||
	    size > df->vsize - off || (comp & (comp - 1)) || (!comp && size != df->info.page_size))
		return l;
	l.off = off;
	l.size = size;
	l.flags = comp;
	return l;
}

static void count_bad(struct dms_dumpfile *df, uint64_t n)
{
	__atomic_fetch_add(&df->bad, n, __ATOMIC_RELAXED);
}

uint64_t dms_dumpfile_bad_pages(const struct dms_dumpfile *df)
{
	return __atomic_load_n(&df->bad, __ATOMIC_RELAXED);
}

// Locate and decode pages pfn[0..n) (increasing, all present) into dst
// (n pages); ok[i] says whether page i was read.  Adjacent data is read with
// one pread.  Thread-safe given a dctx of the caller's own.
static void read_pages(struct dms_dumpfile *df, struct dctx *d, const uint64_t *pfn, size_t n,
		       uint8_t *dst, uint8_t *ok)
{
	size_t ps = (size_t)df->info.page_size;
	struct loc *loc = d->loc;
	if (df->bitmap) {
		// Present pages have consecutive descriptors: one read for each run of
		// pages with no present page between them (all of a batch, unless a
		// stream's filter left pages out).
		for (size_t i = 0; i < n;) {
			uint64_t idx = kdump_rank(df, pfn[i]);
			size_t j = i + 1;
			while (j < n && kdump_rank(df, pfn[j]) == idx + (j - i))
				j++;
			size_t got = vread(df, df->pd_off + idx * PD_SIZE, d->desc + i * PD_SIZE,
					   (j - i) * PD_SIZE);
			for (size_t k = i; k < j; k++) {
				if ((k - i + 1) * PD_SIZE <= got)
					loc[k] = kdump_desc(df, d->desc + k * PD_SIZE);
				else
					loc[k] = (struct loc){ .flags = LOC_BAD };
			}
			i = j;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			loc[i] = seg_loc(df, pfn[i]);
	}
	uint64_t bad = 0;
	for (size_t i = 0; i < n;) {
		ok[i] = 0;
		if (loc[i].flags & LOC_SLOW) {
			slow_page(df, pfn[i], dst + i * ps);
			ok[i] = 1;
			i++;
			continue;
		}
		if (loc[i].flags & (LOC_BAD | LOC_ABSENT)) {
			bad += !!(loc[i].flags & LOC_BAD);
			i++;
			continue;
		}
		// A run of pages whose data follow each other in the file.
		size_t j = i + 1;
		uint64_t end = loc[i].off + loc[i].size;
		while (j < n && !(loc[j].flags & (LOC_BAD | LOC_ABSENT | LOC_SLOW)) &&
		       loc[j].off == end && end + loc[j].size - loc[i].off <= d->io_cap) {
			end += loc[j].size;
			j++;
		}
		size_t len = (size_t)(end - loc[i].off);
		size_t got = vread(df, loc[i].off, d->io, len);
		size_t pos = 0;
		for (size_t k = i; k < j; k++) {
			ok[k] = pos + loc[k].size <= got &&
				decode(d, loc[k].flags, d->io + pos, loc[k].size, dst + k * ps, ps);
			bad += !ok[k];
			pos += loc[k].size;
		}
		i = j;
	}
	if (bad)
		count_bad(df, bad);
}

// The random reader.

static struct dms_error *df_read_phys(void *ctx, uint64_t paddr, void *buf, size_t len, size_t *ret)
{
	struct dms_dumpfile *df = ctx;
	uint64_t ps = df->info.page_size;
	size_t done = 0;
	while (done < len) {
		uint64_t pa = paddr + done;
		if (pa < paddr)
			break;
		uint64_t pfn = pa >> df->page_shift;
		if (!df->rvalid || df->rpfn != pfn) {
			if (!dms_dumpfile_present(df, pfn))
				break;
			uint8_t ok = 0;
			df->rvalid = false;
			read_pages(df, &df->rd, &pfn, 1, df->rpage, &ok);
			if (!ok)
				break;
			df->rpfn = pfn;
			df->rvalid = true;
		}
		size_t in = (size_t)(pa & (ps - 1));
		size_t n = ps - in < len - done ? ps - in : len - done;
		memcpy((char *)buf + done, df->rpage + in, n);
		done += n;
	}
	*ret = done;
	return NULL;
}

// A raw image's runs of file data within physical [s, e): a hole of a sparse
// file (SEEK_HOLE) reads as zeros and holds no frame, so a pass need not
// read it; reads into a hole still return its zeros (a frame that ends
// there is seen whole).  Page-granular; where the file system cannot tell,
// the whole range.
static struct dms_error *raw_data_ranges(struct dms_dumpfile *df, uint64_t s, uint64_t e,
					 dms_range_fn *fn, void *arg)
{
	uint64_t base = df->segs[0].paddr, ps = df->info.page_size;
	uint64_t off = s - base, stop = e - base;
	while (off < stop) {
		off_t d = lseek(df->fd, (off_t)off, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO ? NULL : fn(base + off, stop - off, arg);
		off_t h = lseek(df->fd, d, SEEK_HOLE);
		if (h <= d)
			h = (off_t)stop; // cannot tell: data to the end
		uint64_t a = (uint64_t)d & ~(ps - 1), b = ((uint64_t)h + ps - 1) & ~(ps - 1);
		if (a < off)
			a = off;
		if (b > stop)
			b = stop;
		if (a >= stop)
			break;
		if (b > a) {
			struct dms_error *err = fn(base + a, b - a, arg);
			if (err)
				return err;
		}
		if (b <= off)
			break; // no progress: a file system that lies
		off = b;
	}
	return NULL;
}

static struct dms_error *df_ranges(void *ctx, uint64_t start, uint64_t end, dms_range_fn *fn,
				   void *arg)
{
	struct dms_dumpfile *df = ctx;
	uint64_t ps = df->info.page_size;
	uint64_t pfn = start >> df->page_shift;
	uint64_t limit = (end - 1) / ps + 1;
	if (limit > df->info.max_pfn)
		limit = df->info.max_pfn;
	while (pfn < limit) {
		uint64_t a = next_present(df, pfn, limit);
		if (a >= limit)
			break;
		uint64_t b = next_absent(df, a, limit);
		if (b <= a)
			break;
		uint64_t s = a << df->page_shift, e = b << df->page_shift;
		if (s < start)
			s = start;
		if (e > end)
			e = end;
		if (e > s) {
			struct dms_error *err = df->info.format == DMS_DUMP_RAW
							? raw_data_ranges(df, s, e, fn, arg)
							: fn(s, e - s, arg);
			if (err)
				return err;
		}
		pfn = b;
	}
	return NULL;
}

static const struct dms_reader_ops df_ops = {
	.read_phys = df_read_phys,
	.for_each_range = df_ranges,
};

// Opening.

static struct dms_error *too_big(const char *what, uint64_t need, size_t budget)
{
	return dms_error_create(DMS_ERR_UNSUPPORTED,
				"%s needs %llu MiB of index, over the reader's budget of %zu MiB",
				what, (unsigned long long)(need >> 20) + 1, budget >> 20);
}

static int fseg_entry_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b; // {v, len, f, seq}
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[3] < y[3] ? -1 : x[3] > y[3];
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

// Max-heap of record numbers by sequence (= record number: later wins).
static void heap_push(uint32_t *h, size_t *n, uint32_t v)
{
	size_t i = (*n)++;
	while (i && h[(i - 1) / 2] < v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(uint32_t *h, size_t *n)
{
	uint32_t v = h[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] > h[c])
			c++;
		if (h[c] <= v)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

// f of a piece that reads as zeros (an ELF segment's memsz beyond its filesz).
#define F_ZERO UINT64_MAX

// Records {v, len, f} -> non-overlapping pieces sorted by v, a later record
// winning where records overlap (a sweep over the boundaries with a max-heap
// of the records covering the current point): O(n log n) for any overlaps.
static struct dms_error *resolve_overlaps(uint64_t (*rec)[3], size_t n, struct fseg **ret,
					  size_t *nret)
{
	struct dms_error *err = NULL;
	uint64_t(*ent)[4] = malloc((n ? n : 1) * sizeof(*ent));
	uint64_t *pts = malloc((2 * n + 1) * sizeof(*pts));
	uint32_t *heap = malloc((n ? n : 1) * sizeof(*heap));
	struct fseg *out = malloc((2 * n + 1) * sizeof(*out));
	if (!ent || !pts || !heap || !out) {
		err = &dms_enomem;
		goto out_free;
	}
	for (size_t i = 0; i < n; i++) {
		ent[i][0] = rec[i][0];
		ent[i][1] = rec[i][1];
		ent[i][2] = rec[i][2];
		ent[i][3] = i;
		pts[2 * i] = rec[i][0];
		pts[2 * i + 1] = rec[i][0] + rec[i][1];
	}
	qsort(ent, n, sizeof(*ent), fseg_entry_cmp);
	qsort(pts, 2 * n, sizeof(*pts), u64_cmp);
	// heap holds indexes into ent ordered by ent[..][3]: store seq, map back.
	uint32_t *by_seq = malloc((n ? n : 1) * sizeof(*by_seq));
	if (!by_seq) {
		err = &dms_enomem;
		goto out_free;
	}
	for (size_t i = 0; i < n; i++)
		by_seq[ent[i][3]] = (uint32_t)i;
	size_t nh = 0, nout = 0, next = 0;
	for (size_t p = 0; p < 2 * n; p++) {
		uint64_t x = pts[p];
		if (p + 1 < 2 * n && pts[p + 1] == x)
			continue; // same boundary
		while (next < n && ent[next][0] <= x)
			heap_push(heap, &nh, (uint32_t)ent[next++][3]);
		while (nh && ent[by_seq[heap[0]]][0] + ent[by_seq[heap[0]]][1] <= x)
			heap_pop(heap, &nh);
		if (!nh || p + 1 >= 2 * n)
			continue;
		uint64_t y = pts[p + 1];
		const uint64_t *w = ent[by_seq[heap[0]]];
		uint64_t f = w[2] == F_ZERO ? F_ZERO : w[2] + (x - w[0]);
		const struct fseg *o = nout ? &out[nout - 1] : NULL;
		if (o && o->v + o->len == x &&
		    (o->f == F_ZERO ? f == F_ZERO : f != F_ZERO && o->f + o->len == f)) {
			out[nout - 1].len += y - x;
		} else {
			out[nout++] = (struct fseg){ .v = x, .len = y - x, .f = f };
		}
	}
	free(by_seq);
	*ret = out;
	*nret = nout;
	out = NULL;
out_free:
	free(ent);
	free(pts);
	free(heap);
	free(out);
	return err;
}

// The flattened format: index every record once.
static struct dms_error *flat_open(struct dms_dumpfile *df, size_t budget)
{
	uint8_t h[32];
	if (fread_at(df, 0, h, sizeof(h)) < sizeof(h))
		return dms_error_create(DMS_ERR_TRUNCATED, "flattened dump: header truncated");
	int64_t type = (int64_t)ld_be64(h + 16), version = (int64_t)ld_be64(h + 24);
	if (type != 1 || version < 1)
		return dms_error_create(DMS_ERR_UNSUPPORTED,
					"flattened dump: type %lld version %lld not supported",
					(long long)type, (long long)version);
	size_t max_rec = budget / FLAT_BYTES_PER_RECORD;
	size_t n = 0, cap = 0;
	uint64_t(*rec)[3] = NULL;
	struct dms_error *err = NULL;
	uint64_t pos = FLAT_HEADER_SIZE;
	for (;;) {
		uint8_t r[16];
		if (fread_at(df, pos, r, sizeof(r)) < sizeof(r))
			break; // truncated: what was indexed stays readable
		int64_t off = (int64_t)ld_be64(r), size = (int64_t)ld_be64(r + 8);
		if (off == -1)
			break;
		pos += 16;
		if (off < 0 || size < 0 || (uint64_t)size > df->fsize - pos ||
		    (uint64_t)off > UINT64_MAX / 2) {
			err = dms_error_create_at(DMS_ERR_INVALID_DATA, pos - 16,
						  "flattened dump: invalid record at file offset "
						  "%#llx (offset %lld, size %lld)",
						  (unsigned long long)(pos - 16), (long long)off,
						  (long long)size);
			goto out_free;
		}
		if (size) {
			if (n == max_rec) {
				err = too_big("the flattened format",
					      (uint64_t)(n + 1) * FLAT_BYTES_PER_RECORD, budget);
				goto out_free;
			}
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 1024;
				if (nc > max_rec)
					nc = max_rec;
				void *p = realloc(rec, nc * sizeof(*rec));
				if (!p) {
					err = &dms_enomem;
					goto out_free;
				}
				rec = p;
				cap = nc;
			}
			rec[n][0] = (uint64_t)off;
			rec[n][1] = (uint64_t)size;
			rec[n][2] = pos;
			n++;
		}
		pos += (uint64_t)size;
	}
	// Records in file order: a later one wins where two overlap.
	err = resolve_overlaps(rec, n, &df->flat, &df->nflat);
	if (!err)
		df->vsize = df->nflat ? df->flat[df->nflat - 1].v + df->flat[df->nflat - 1].len : 0;
	df->info.index_bytes += df->nflat * sizeof(struct fseg);
out_free:
	free(rec);
	return err;
}

// PT_LOADs in header order -> non-overlapping segments sorted by address.
// Where segments overlap the first one in the header wins, as crash reads an
// ELF core (the first PT_LOAD that holds the address), its bytes beyond
// filesz reading as zeros; a hostile core with many overlapping segments
// costs O(n log n) here, not a walk of them for every page.
static struct dms_error *elf_resolve(struct dms_dumpfile *df)
{
	size_t n = 0;
	uint64_t(*rec)[3] = malloc((2 * df->nsegs + 1) * sizeof(*rec));
	if (!rec)
		return &dms_enomem;
	// The first segment last: a later record wins.
	for (size_t i = df->nsegs; i-- > 0;) {
		const struct seg *g = &df->segs[i];
		if (g->memsz > g->filesz) {
			rec[n][0] = g->paddr + g->filesz;
			rec[n][1] = g->memsz - g->filesz;
			rec[n][2] = F_ZERO;
			n++;
		}
		if (g->filesz) {
			rec[n][0] = g->paddr;
			rec[n][1] = g->filesz;
			rec[n][2] = g->off;
			n++;
		}
	}
	struct fseg *piece = NULL;
	size_t np = 0;
	struct dms_error *err = resolve_overlaps(rec, n, &piece, &np);
	free(rec);
	if (err)
		return err;
	struct seg *segs = malloc((np ? np : 1) * sizeof(*segs));
	if (!segs) {
		free(piece);
		return &dms_enomem;
	}
	for (size_t i = 0; i < np; i++)
		segs[i] = (struct seg){ .paddr = piece[i].v,
					.memsz = piece[i].len,
					.off = piece[i].f == F_ZERO ? 0 : piece[i].f,
					.filesz = piece[i].f == F_ZERO ? 0 : piece[i].len };
	free(piece);
	free(df->segs);
	df->segs = segs;
	df->nsegs = np;
	return NULL;
}

// ELF64 little-endian cores: PT_LOAD segments.
static struct dms_error *elf_open(struct dms_dumpfile *df, uint64_t ps, size_t budget)
{
	uint8_t eh[64];
	if (vread(df, 0, eh, sizeof(eh)) < sizeof(eh))
		return dms_error_create(DMS_ERR_TRUNCATED, "ELF header truncated");
	if (eh[4] != 2 || eh[5] != 1)
		return dms_error_create(DMS_ERR_UNSUPPORTED,
					"ELF: only 64-bit little-endian cores are supported");
	uint64_t phoff = ld_le64(eh + 32);
	uint16_t phentsize = ld_le16(eh + 54), phnum = ld_le16(eh + 56);
	if (phentsize != 56 || phnum == 0xffff || phnum == 0)
		return dms_error_create(DMS_ERR_INVALID_DATA,
					"ELF: %u program headers of %u bytes not supported", phnum,
					phentsize);
	if ((uint64_t)phnum * sizeof(struct seg) > budget)
		return too_big("the ELF segment table", (uint64_t)phnum * sizeof(struct seg),
			       budget);
	uint8_t *ph = malloc((size_t)phnum * 56);
	df->segs = calloc(phnum, sizeof(*df->segs));
	struct dms_error *err = NULL;
	if (!ph || !df->segs) {
		err = &dms_enomem;
		goto out_free;
	}
	if (phoff > df->vsize || vread(df, phoff, ph, (size_t)phnum * 56) < (size_t)phnum * 56) {
		err = dms_error_create(DMS_ERR_TRUNCATED, "ELF: program headers truncated");
		goto out_free;
	}
	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *p = ph + (size_t)i * 56;
		if (ld_le32(p) != 1) // PT_LOAD
			continue;
		struct seg s = {
			.off = ld_le64(p + 8),
			.paddr = ld_le64(p + 24),
			.filesz = ld_le64(p + 32),
			.memsz = ld_le64(p + 40),
		};
		if (s.filesz > s.memsz)
			s.memsz = s.filesz;
		// Clamp to the file (truncated dump: the rest reads as zeros) and
		// to the address space.
		if (s.off > df->vsize)
			s.filesz = 0;
		else if (s.filesz > df->vsize - s.off)
			s.filesz = df->vsize - s.off;
		if (s.memsz > UINT64_MAX / 2 || s.paddr > UINT64_MAX / 2 - s.memsz)
			continue;
		if (s.memsz)
			df->segs[df->nsegs++] = s;
	}
	err = elf_resolve(df);
	if (err)
		goto out_free;
	uint64_t max = 0;
	for (size_t i = 0; i < df->nsegs; i++)
		if (df->segs[i].paddr + df->segs[i].memsz > max)
			max = df->segs[i].paddr + df->segs[i].memsz;
	df->info.max_pfn = (max + ps - 1) / ps;
	df->info.index_bytes += df->nsegs * sizeof(struct seg);
out_free:
	free(ph);
	return err;
}

static struct dms_error *kdump_open(struct dms_dumpfile *df, size_t budget)
{
	uint8_t h[512];
	if (vread(df, 0, h, sizeof(h)) < sizeof(h))
		return dms_error_create(DMS_ERR_TRUNCATED, "kdump header truncated");
	int32_t version = (int32_t)ld_le32(h + 8);
	// utsname (6 x 65 bytes) at 12, then struct timeval (8-aligned, 16 bytes).
	memcpy(df->info.release, h + 12 + 2 * 65, 64);
	df->info.release[64] = '\0';
	for (char *c = df->info.release; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	const uint8_t *st = h + 424;
	int32_t block_size = (int32_t)ld_le32(st + 4), sub_hdr_size = (int32_t)ld_le32(st + 8);
	uint32_t bitmap_blocks = ld_le32(st + 12);
	uint64_t max_mapnr = ld_le32(st + 16);
	if (block_size < 1024 || block_size > (1 << 20) || (block_size & (block_size - 1)))
		return dms_error_create(DMS_ERR_INVALID_DATA, "kdump: invalid block size %d",
					block_size);
	if (sub_hdr_size < 0 || sub_hdr_size > (1 << 20) || bitmap_blocks == 0)
		return dms_error_create(DMS_ERR_INVALID_DATA,
					"kdump: invalid header (sub-header %d blocks, bitmap %u "
					"blocks)",
					sub_hdr_size, bitmap_blocks);
	uint64_t bs = (uint64_t)block_size;
	df->info.page_size = bs;
	df->page_shift = (unsigned int)__builtin_ctzll(bs);
	df->info.dump_level = -1;
	if (sub_hdr_size > 0) {
		uint8_t sh[104];
		memset(sh, 0, sizeof(sh));
		vread(df, bs, sh, sizeof(sh));
		if (version >= 1)
			df->info.dump_level = (int32_t)ld_le32(sh + 8);
		if (version >= 2 && ld_le32(sh + 12))
			return dms_error_create(DMS_ERR_UNSUPPORTED,
						"kdump: a split dump (one of several files)");
		if (version >= 3) {
			df->info.vmcoreinfo_off = ld_le64(sh + 32);
			df->info.vmcoreinfo_size = ld_le64(sh + 40);
		}
		if (version >= 6)
			max_mapnr = ld_le64(sh + 96);
	}
	uint64_t bm_off = bs * (1 + (uint64_t)sub_hdr_size);
	uint64_t bm_len = bs * bitmap_blocks;
	if (bm_off > df->vsize || bm_len > df->vsize - bm_off)
		return dms_error_create(DMS_ERR_TRUNCATED, "kdump: bitmaps truncated");
	// The second half of the bitmap area: pages in the dump.
	uint64_t cap_bits = bm_len / 2 * 8;
	if (max_mapnr > cap_bits)
		max_mapnr = cap_bits;
	uint64_t words = (max_mapnr + 63) / 64;
	uint64_t nrank = words / 8 + 1;
	uint64_t need = (words + 1) * 8 + nrank * 8;
	if (need > budget)
		return too_big("the dump's page bitmap", need, budget);
	df->bitmap = calloc(words + 1, 8);
	df->rank = calloc(nrank, 8);
	if (!df->bitmap || !df->rank)
		return &dms_enomem;
	size_t bytes = (size_t)((max_mapnr + 7) / 8);
	if (vread(df, bm_off + bm_len / 2, df->bitmap, bytes) < bytes)
		return dms_error_create(DMS_ERR_TRUNCATED, "kdump: bitmap truncated");
	for (uint64_t w = 0; w < words; w++)
		df->bitmap[w] = le64toh(df->bitmap[w]);
	if (max_mapnr % 64)
		df->bitmap[words - 1] &= (UINT64_C(1) << (max_mapnr % 64)) - 1;
	uint64_t total = 0;
	for (uint64_t w = 0; w < words; w++) {
		if (w % 8 == 0)
			df->rank[w / 8] = total;
		total += (uint64_t)__builtin_popcountll(df->bitmap[w]);
	}
	if (words % 8 == 0)
		df->rank[words / 8] = total;
	df->info.max_pfn = max_mapnr;
	df->info.present_pages = total;
	df->pd_off = bm_off + bm_len;
	df->info.index_bytes += need;
	return NULL;
}

struct dms_error *dms_dumpfile_open_fd(int fd, const struct dms_dumpfile_config *config,
				       struct dms_dumpfile **ret)
{
	static const struct dms_dumpfile_config defaults;
	if (!config)
		config = &defaults;
	size_t budget = config->budget ? config->budget : DMS_DUMPFILE_DEFAULT_BUDGET;
	uint64_t ps = config->page_size ? config->page_size : 4096;
	if (ps < 512 || ps > (1 << 20) || (ps & (ps - 1)))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "invalid page size %llu",
					(unsigned long long)ps);
	pthread_once(&lzo_once, lzo_init_once);
	struct dms_dumpfile *df = calloc(1, sizeof(*df));
	if (!df)
		return &dms_enomem;
	df->fd = -1;
	df->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct dms_error *err = NULL;
	struct stat sb;
	if (df->fd < 0 || fstat(df->fd, &sb) < 0) {
		err = dms_error_create(DMS_ERR_IO, "cannot use the dump file: %s", strerror(errno));
		goto out_err;
	}
	df->fsize = (uint64_t)sb.st_size;
	df->vsize = df->fsize;
	df->info.page_size = ps;
	df->page_shift = (unsigned int)__builtin_ctzll(ps);
	df->info.dump_level = -1;
	uint8_t sig[16] = { 0 };
	fread_at(df, 0, sig, sizeof(sig));
	if (config->raw) {
		df->info.format = DMS_DUMP_RAW;
		if (config->raw_phys_base & (ps - 1)) {
			err = dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					       "raw image base not page aligned");
			goto out_err;
		}
		df->segs = calloc(1, sizeof(*df->segs));
		if (!df->segs) {
			err = &dms_enomem;
			goto out_err;
		}
		if (df->fsize) {
			df->segs[0] = (struct seg){ .paddr = config->raw_phys_base,
						    .memsz = df->fsize,
						    .filesz = df->fsize };
			df->nsegs = 1;
		}
		df->info.max_pfn = (config->raw_phys_base + df->fsize + ps - 1) / ps;
	} else {
		bool flat = memcmp(sig, FLAT_SIG, strlen(FLAT_SIG)) == 0;
		if (flat) {
			err = flat_open(df, budget);
			if (err)
				goto out_err;
			memset(sig, 0, sizeof(sig));
			vread(df, 0, sig, sizeof(sig));
		}
		if (memcmp(sig, KDUMP_SIG, 8) == 0) {
			df->info.format = flat ? DMS_DUMP_KDUMP_FLAT : DMS_DUMP_KDUMP;
			err = kdump_open(df, budget - df->info.index_bytes);
		} else if (memcmp(sig, "\177ELF", 4) == 0) {
			df->info.format = DMS_DUMP_ELF;
			err = elf_open(df, ps, budget - df->info.index_bytes);
		} else if (memcmp(sig, "DISKDUMP", 8) == 0) {
			err = dms_error_create(DMS_ERR_UNSUPPORTED,
					       "the old diskdump format is not supported");
		} else {
			err = dms_error_create(DMS_ERR_UNSUPPORTED,
					       "not a kdump-compressed, flattened or ELF dump");
		}
		if (err)
			goto out_err;
	}
	if (!df->bitmap) {
		// Pages that segments touch.
		uint64_t n = 0;
		for (uint64_t p = next_present(df, 0, df->info.max_pfn); p < df->info.max_pfn;) {
			uint64_t e = next_absent(df, p, df->info.max_pfn);
			n += e - p;
			p = next_present(df, e, df->info.max_pfn);
		}
		df->info.present_pages = n;
	}
	ps = df->info.page_size;
	df->rpage = malloc(ps);
	if (!df->rpage || !dctx_init(&df->rd, ps)) {
		err = &dms_enomem;
		goto out_err;
	}
	df->reader.ops = &df_ops;
	df->reader.ctx = df;
	df->reader.page_size = ps;
	*ret = df;
	return NULL;
out_err:
	dms_dumpfile_destroy(df);
	return err;
}

struct dms_error *dms_dumpfile_open(const char *path, const struct dms_dumpfile_config *config,
				    struct dms_dumpfile **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dms_error_create(DMS_ERR_IO, "%s: %s", path, strerror(errno));
	struct dms_error *err = dms_dumpfile_open_fd(fd, config, ret);
	close(fd);
	return err;
}

void dms_dumpfile_destroy(struct dms_dumpfile *df)
{
	if (!df)
		return;
	if (df->fd >= 0)
		close(df->fd);
	dctx_deinit(&df->rd);
	free(df->rpage);
	free(df->bitmap);
	free(df->rank);
	free(df->flat);
	free(df->segs);
	free(df);
}

const struct dms_dumpfile_info *dms_dumpfile_info(const struct dms_dumpfile *df)
{
	return &df->info;
}

const struct dms_reader *dms_dumpfile_reader(struct dms_dumpfile *df)
{
	return &df->reader;
}

// ELF notes: namesz, descsz, type, name (4-aligned), desc (4-aligned).
static bool elf_find_vmcoreinfo(struct dms_dumpfile *df, uint64_t *off, uint64_t *size)
{
	uint8_t eh[64];
	if (vread(df, 0, eh, sizeof(eh)) < sizeof(eh))
		return false;
	uint64_t phoff = ld_le64(eh + 32);
	uint16_t phnum = ld_le16(eh + 56);
	for (unsigned int i = 0; i < phnum && i < 4096; i++) {
		uint8_t p[56];
		if (vread(df, phoff + (uint64_t)i * 56, p, sizeof(p)) < sizeof(p))
			return false;
		if (ld_le32(p) != 4) // PT_NOTE
			continue;
		uint64_t noff = ld_le64(p + 8), nsz = ld_le64(p + 32);
		if (nsz > VMCOREINFO_MAX * 4)
			nsz = VMCOREINFO_MAX * 4;
		for (uint64_t pos = 0; pos + 12 <= nsz;) {
			uint8_t nh[12 + 12];
			memset(nh, 0, sizeof(nh));
			if (vread(df, noff + pos, nh, sizeof(nh)) < 12)
				break;
			uint64_t namesz = ld_le32(nh), descsz = ld_le32(nh + 4);
			uint64_t name_al = (namesz + 3) & ~UINT64_C(3);
			uint64_t desc_al = (descsz + 3) & ~UINT64_C(3);
			if (namesz == 11 && memcmp(nh + 12, "VMCOREINFO", 10) == 0) {
				*off = noff + pos + 12 + name_al;
				*size = descsz;
				return true;
			}
			uint64_t step = 12 + name_al + desc_al;
			if (step > nsz - pos)
				break;
			pos += step;
		}
	}
	return false;
}

struct dms_error *dms_dumpfile_vmcoreinfo(struct dms_dumpfile *df, char **ret, size_t *len_ret)
{
	uint64_t off = df->info.vmcoreinfo_off, size = df->info.vmcoreinfo_size;
	if (df->info.format == DMS_DUMP_ELF && !elf_find_vmcoreinfo(df, &off, &size))
		off = size = 0;
	if (!off || !size)
		return dms_error_create(DMS_ERR_NOT_FOUND, "the dump has no VMCOREINFO");
	if (size > VMCOREINFO_MAX)
		size = VMCOREINFO_MAX;
	char *buf = malloc(size + 1);
	if (!buf)
		return &dms_enomem;
	size_t got = vread(df, off, buf, (size_t)size);
	buf[got] = '\0';
	*ret = buf;
	*len_ret = strnlen(buf, got);
	return NULL;
}

// The parallel pass.

enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

struct batch {
	uint64_t seq;
	// Every present pfn in [lo, hi) is listed in pfn[0..n).
	uint64_t lo, hi;
	uint32_t n;
	int state;
	uint64_t pfn[BATCH];
	uint8_t ok[BATCH];
	uint8_t *data;
};

struct dms_pstream {
	struct dms_reader reader;
	struct dms_dumpfile *df;
	const struct dms_reader *ranges, *translate;
	bool (*want)(uint64_t paddr, uint64_t len, void *arg);
	void *want_arg;
	uint64_t end_pfn;
	pthread_mutex_t mu;
	pthread_cond_t cv_done, cv_free;
	unsigned int nslots;
	struct batch *slots;
	uint8_t *data;
	// Planning: the next pfn to plan from, batches planned, whether done.
	uint64_t plan_pfn, planned;
	bool plan_done, stop;
	// Slots of batches below `consumed` may be reused.
	uint64_t consumed, cur;
	pthread_t threads[MAX_THREADS];
	unsigned int nthreads;
	struct dctx *dctx;
	uint64_t streamed, random, waits;
};

static void *worker(void *arg)
{
	struct dms_pstream *ps = ((void **)arg)[0];
	struct dctx *d = ((void **)arg)[1];
	free(arg);
	pthread_mutex_lock(&ps->mu);
	while (!ps->stop && !ps->plan_done) {
		if (ps->planned >= ps->consumed + ps->nslots) {
			pthread_cond_wait(&ps->cv_free, &ps->mu);
			continue;
		}
		struct batch *b = &ps->slots[ps->planned % ps->nslots];
		b->seq = ps->planned++;
		b->lo = ps->plan_pfn;
		b->n = 0;
		uint64_t p = ps->plan_pfn;
		while (b->n < BATCH) {
			p = next_present(ps->df, p, ps->end_pfn);
			if (p >= ps->end_pfn)
				break;
			if (ps->want && !ps->want(p << ps->df->page_shift, ps->df->info.page_size,
						  ps->want_arg)) {
				p++;
				continue;
			}
			b->pfn[b->n++] = p++;
		}
		if (b->n < BATCH) {
			b->hi = ps->end_pfn;
			ps->plan_done = true;
		} else {
			b->hi = p;
		}
		ps->plan_pfn = b->hi;
		b->state = SLOT_BUSY;
		pthread_mutex_unlock(&ps->mu);
		if (b->n)
			read_pages(ps->df, d, b->pfn, b->n, b->data, b->ok);
		pthread_mutex_lock(&ps->mu);
		b->state = SLOT_DONE;
		ps->streamed += b->n;
		pthread_cond_broadcast(&ps->cv_done);
	}
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

// In batch b: its page pfn (1), absent (0).
static int batch_lookup(const struct batch *b, uint64_t pfn, const uint8_t **data, size_t ps)
{
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->pfn[mid] < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->n && b->pfn[lo] == pfn && b->ok[lo]) {
		*data = b->data + lo * ps;
		return 1;
	}
	return 0;
}

// The page pfn from the window: 1 with *data, 0 absent, -1 not in the window.
static int window_page(struct dms_pstream *ps, uint64_t pfn, const uint8_t **data)
{
	size_t psz = (size_t)ps->df->info.page_size;
	int r = -1;
	pthread_mutex_lock(&ps->mu);
	for (;;) {
		if (ps->cur >= ps->planned) {
			if (ps->plan_done || ps->stop)
				break;
			ps->waits++;
			pthread_cond_wait(&ps->cv_done, &ps->mu);
			continue;
		}
		struct batch *b = &ps->slots[ps->cur % ps->nslots];
		if (b->state != SLOT_DONE) {
			ps->waits++;
			pthread_cond_wait(&ps->cv_done, &ps->mu);
			continue;
		}
		if (pfn >= b->hi) {
			// Done with the batch before this one.
			ps->cur++;
			ps->consumed = ps->cur - 1;
			pthread_cond_broadcast(&ps->cv_free);
			continue;
		}
		if (pfn >= b->lo) {
			r = batch_lookup(b, pfn, data, psz);
			break;
		}
		if (ps->cur > ps->consumed) {
			const struct batch *pb = &ps->slots[(ps->cur - 1) % ps->nslots];
			if (pfn >= pb->lo && pfn < pb->hi) {
				r = batch_lookup(pb, pfn, data, psz);
				break;
			}
		}
		break;
	}
	pthread_mutex_unlock(&ps->mu);
	// A page the filter left out is not absent: the random reader says.
	if (r == 0 && ps->want)
		r = -1;
	return r;
}

static struct dms_error *ps_read_phys(void *ctx, uint64_t paddr, void *buf, size_t len, size_t *ret)
{
	struct dms_pstream *ps = ctx;
	struct dms_dumpfile *df = ps->df;
	uint64_t psz = df->info.page_size;
	size_t done = 0;
	while (done < len) {
		uint64_t pa = paddr + done;
		if (pa < paddr)
			break;
		uint64_t pfn = pa >> df->page_shift;
		size_t in = (size_t)(pa & (psz - 1));
		size_t n = psz - in < len - done ? (size_t)psz - in : len - done;
		const uint8_t *data = NULL;
		int r = window_page(ps, pfn, &data);
		if (r == 0)
			break;
		if (r > 0) {
			memcpy((char *)buf + done, data + in, n);
		} else {
			size_t got = 0;
			ps->random++;
			df_read_phys(df, pa, (char *)buf + done, n, &got);
			if (got < n)
				break;
		}
		done += n;
	}
	*ret = done;
	return NULL;
}

static struct dms_error *ps_ranges(void *ctx, uint64_t start, uint64_t end, dms_range_fn *fn,
				   void *arg)
{
	struct dms_pstream *ps = ctx;
	if (ps->ranges)
		return dms_reader_for_each_range(ps->ranges, start, end, fn, arg);
	return df_ranges(ps->df, start, end, fn, arg);
}

static struct dms_error *ps_v2p(void *ctx, uint64_t kvaddr, uint64_t *ret)
{
	struct dms_pstream *ps = ctx;
	if (!ps->translate)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, kvaddr, "no address translation");
	return dms_reader_kvaddr_to_paddr(ps->translate, kvaddr, ret);
}

static struct dms_error *ps_p2v(void *ctx, uint64_t paddr, uint64_t *ret)
{
	struct dms_pstream *ps = ctx;
	if (!ps->translate)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, paddr, "no address translation");
	return dms_reader_paddr_to_kvaddr(ps->translate, paddr, ret);
}

static const struct dms_reader_ops ps_ops = {
	.read_phys = ps_read_phys,
	.for_each_range = ps_ranges,
	.kvaddr_to_paddr = ps_v2p,
	.paddr_to_kvaddr = ps_p2v,
};

struct dms_error *dms_pstream_create(struct dms_dumpfile *df, uint64_t start, uint64_t end,
				     const struct dms_pstream_config *config,
				     struct dms_pstream **ret)
{
	static const struct dms_pstream_config defaults;
	if (!config)
		config = &defaults;
	unsigned int nt = config->threads;
	if (!nt) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nt = n > 0 ? (unsigned int)n : 1;
	}
	if (nt > MAX_THREADS)
		nt = MAX_THREADS;
	struct dms_pstream *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return &dms_enomem;
	size_t psz = (size_t)df->info.page_size;
	ps->df = df;
	ps->ranges = config->ranges;
	ps->translate = config->translate;
	ps->want = config->want;
	ps->want_arg = config->want_arg;
	ps->plan_pfn = start >> df->page_shift;
	ps->end_pfn = end ? (end - 1) / psz + 1 : 0;
	if (ps->end_pfn > df->info.max_pfn)
		ps->end_pfn = df->info.max_pfn;
	if (ps->plan_pfn >= ps->end_pfn)
		ps->plan_done = ps->plan_pfn >= ps->end_pfn;
	ps->nslots = 2 * nt + 2;
	ps->slots = calloc(ps->nslots, sizeof(*ps->slots));
	ps->data = malloc((size_t)ps->nslots * BATCH * psz);
	ps->dctx = calloc(nt, sizeof(*ps->dctx));
	pthread_mutex_init(&ps->mu, NULL);
	pthread_cond_init(&ps->cv_done, NULL);
	pthread_cond_init(&ps->cv_free, NULL);
	ps->reader.ops = &ps_ops;
	ps->reader.ctx = ps;
	ps->reader.page_size = psz;
	struct dms_error *err = NULL;
	if (!ps->slots || !ps->data || !ps->dctx) {
		err = &dms_enomem;
		goto out_err;
	}
	for (unsigned int i = 0; i < ps->nslots; i++)
		ps->slots[i].data = ps->data + (size_t)i * BATCH * psz;
	// Workers take no signals: a handler of the caller's (crash's SIGINT
	// longjmps) must never run on them.  They inherit this mask.
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned int i = 0; i < nt; i++) {
		if (!dctx_init(&ps->dctx[i], BATCH * psz)) {
			dctx_deinit(&ps->dctx[i]);
			break;
		}
		void **arg = malloc(2 * sizeof(void *));
		if (!arg) {
			dctx_deinit(&ps->dctx[i]);
			break;
		}
		arg[0] = ps;
		arg[1] = &ps->dctx[i];
		if (pthread_create(&ps->threads[i], NULL, worker, arg) != 0) {
			free(arg);
			dctx_deinit(&ps->dctx[i]);
			break;
		}
		ps->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ps->nthreads) {
		err = dms_error_create(DMS_ERR_NOMEM, "no worker thread could be started");
		goto out_err;
	}
	*ret = ps;
	return NULL;
out_err:
	dms_pstream_destroy(ps);
	return err;
}

void dms_pstream_destroy(struct dms_pstream *ps)
{
	if (!ps)
		return;
	pthread_mutex_lock(&ps->mu);
	ps->stop = true;
	pthread_cond_broadcast(&ps->cv_free);
	pthread_cond_broadcast(&ps->cv_done);
	pthread_mutex_unlock(&ps->mu);
	for (unsigned int i = 0; i < ps->nthreads; i++)
		pthread_join(ps->threads[i], NULL);
	if (ps->dctx)
		for (unsigned int i = 0; i < ps->nthreads; i++)
			dctx_deinit(&ps->dctx[i]);
	pthread_cond_destroy(&ps->cv_free);
	pthread_cond_destroy(&ps->cv_done);
	pthread_mutex_destroy(&ps->mu);
	free(ps->dctx);
	free(ps->data);
	free(ps->slots);
	free(ps);
}

const struct dms_reader *dms_pstream_reader(struct dms_pstream *ps)
{
	return &ps->reader;
}

void dms_pstream_stats(const struct dms_pstream *ps, struct dms_pstream_stats *ret)
{
	pthread_mutex_lock((pthread_mutex_t *)&ps->mu);
	ret->threads = ps->nthreads;
	ret->streamed = ps->streamed;
	ret->random = ps->random;
	ret->waits = ps->waits;
	pthread_mutex_unlock((pthread_mutex_t *)&ps->mu);
}
