// SPDX-License-Identifier: GPL-2.0-or-later
// The dump-file reader and the parallel pass, over synthetic dumps
// (tests/data/dumpgen.c): every compression, the flattened format, ELF, raw,
// and crafted headers and descriptors that must be refused or read as absent.
// DMS_DUMP_SEEDS=DIR also writes the synthetic dumps there (the fuzz corpus).
#define _GNU_SOURCE // SEEK_DATA
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumpfile.h"
#include "dumpgen.h"
#include "test.h"

#define NP 12
static uint8_t pages[NP * GEN_PS];
// Page 5 excluded, pages 6 and 9 zero (one shared data block), 10 raw (stored uncompressed).
static const uint32_t comps[NP] = {
	DMS_DUMP_ZLIB, DMS_DUMP_LZO,  DMS_DUMP_SNAPPY, DMS_DUMP_ZSTD,	0, GEN_EXCLUDED,
	DMS_DUMP_ZSTD, DMS_DUMP_ZLIB, DMS_DUMP_LZO,    DMS_DUMP_SNAPPY, 0, DMS_DUMP_ZSTD,
};
static const char vmcoreinfo[] = "OSRELEASE=6.99.0-test\nPAGESIZE=4096\n";

static void seed(const char *name, const struct gen_buf *b)
{
	const char *dir = getenv("DMS_DUMP_SEEDS");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(b->data, 1, b->len, f);
		fclose(f);
	}
}

static void make_pages(void)
{
	gen_pages(pages, NP);
	memset(pages + 6 * GEN_PS, 0, GEN_PS);
	memset(pages + 9 * GEN_PS, 0, GEN_PS);
}

static struct dms_error *open_buf(const struct gen_buf *b, const struct dms_dumpfile_config *cfg,
				  struct dms_dumpfile **ret)
{
	int fd = gen_fd(b);
	if (fd < 0)
		return dms_error_create(DMS_ERR_IO, "memfd");
	struct dms_error *err = dms_dumpfile_open_fd(fd, cfg, ret);
	close(fd);
	return err;
}

static int make_kdump(struct gen_buf *b)
{
	make_pages();
	return gen_kdump(pages, NP, comps, vmcoreinfo, b);
}

struct ranges {
	uint64_t start[16], len[16];
	int n;
};

static struct dms_error *collect_range(uint64_t paddr, uint64_t len, void *arg)
{
	struct ranges *r = arg;
	if (r->n < 16) {
		r->start[r->n] = paddr;
		r->len[r->n] = len;
	}
	r->n++;
	return NULL;
}

// Every page of `pages` reads back through r, except `absent`, which reads short.
static int check_all_pages(const struct dms_reader *r, int absent)
{
	static uint8_t buf[GEN_PS];
	for (int p = 0; p < NP; p++) {
		size_t got = 99;
		struct dms_error *err =
			dms_reader_read_phys(r, (uint64_t)p * GEN_PS, buf, GEN_PS, &got);
		if (err) {
			dms_error_destroy(err);
			return -1000 - p;
		}
		if (p == absent) {
			if (got != 0)
				return -100 - p;
			continue;
		}
		if (got != GEN_PS || memcmp(buf, pages + (size_t)p * GEN_PS, GEN_PS))
			return -p - 1;
	}
	return 0;
}

static void dms_dumpfile_open_kdump_reads_every_compression(void)
{
	struct gen_buf b;
	EXPECT_INT(make_kdump(&b), 0);
	seed("kdump-all-compressions", &b);
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = open_buf(&b, NULL, &df);
	free(b.data);
	EXPECT_OK(err);
	const struct dms_dumpfile_info *i = dms_dumpfile_info(df);
	EXPECT_INT(i->format, DMS_DUMP_KDUMP);
	EXPECT_INT(i->page_size, GEN_PS);
	EXPECT_INT(i->max_pfn, NP);
	EXPECT_INT(i->present_pages, NP - 1);
	EXPECT_INT(i->dump_level, 31);
	EXPECT_STR(i->release, "6.99.0-test");
	int bad = check_all_pages(dms_dumpfile_reader(df), 5);
	struct ranges r = { 0 };
	dms_error_destroy(dms_reader_for_each_range(dms_dumpfile_reader(df), 0, UINT64_MAX,
						    collect_range, &r));
	char *vi = NULL;
	size_t vlen = 0;
	err = dms_dumpfile_vmcoreinfo(df, &vi, &vlen);
	uint64_t nbad = dms_dumpfile_bad_pages(df);
	dms_dumpfile_destroy(df);
	EXPECT_OK(err);
	EXPECT_STR(vi, vmcoreinfo);
	free(vi);
	EXPECT_INT(bad, 0);
	EXPECT_INT(nbad, 0);
	EXPECT_INT(r.n, 2);
	EXPECT_UINT(r.start[0], 0);
	EXPECT_UINT(r.len[0], 5 * GEN_PS);
	EXPECT_UINT(r.start[1], 6 * GEN_PS);
	EXPECT_UINT(r.len[1], 6 * GEN_PS);
}

static void dms_dumpfile_open_flattened_reads_as_restored(void)
{
	struct gen_buf k, f;
	EXPECT_INT(make_kdump(&k), 0);
	// Records of 1000 bytes: pages and descriptors straddle records.
	int rc = gen_flatten(&k, 1000, &f);
	free(k.data);
	EXPECT_INT(rc, 0);
	seed("kdump-flattened", &f);
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = open_buf(&f, NULL, &df);
	free(f.data);
	EXPECT_OK(err);
	EXPECT_INT(dms_dumpfile_info(df)->format, DMS_DUMP_KDUMP_FLAT);
	int bad = check_all_pages(dms_dumpfile_reader(df), 5);
	dms_dumpfile_destroy(df);
	EXPECT_INT(bad, 0);
}

static void dms_dumpfile_open_elf_reads_segments_and_zero_tail(void)
{
	make_pages();
	// Pages 0-3 (the last one half in the file, half zero: memsz > filesz),
	// a hole at 4-5, then 6 .. 11 in two segments meeting mid-page 8.
	memset(pages + 3 * GEN_PS + 2048, 0, 2048);
	memset(pages + 4 * GEN_PS, 0, 2 * GEN_PS);
	struct gen_seg segs[] = {
		{ 0, 3 * GEN_PS + 2048, 4 * GEN_PS },
		{ 6 * GEN_PS, 2 * GEN_PS + 100, 2 * GEN_PS + 100 },
		{ 8 * GEN_PS + 100, 4 * GEN_PS - 100, 4 * GEN_PS - 100 },
	};
	struct gen_buf b;
	EXPECT_INT(gen_elf(pages, segs, 3, vmcoreinfo, &b), 0);
	seed("elf-core", &b);
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = open_buf(&b, NULL, &df);
	free(b.data);
	EXPECT_OK(err);
	EXPECT_INT(dms_dumpfile_info(df)->format, DMS_DUMP_ELF);
	EXPECT_INT(dms_dumpfile_info(df)->present_pages, 10);
	uint8_t buf[GEN_PS];
	size_t got = 0;
	dms_error_destroy(dms_reader_read_phys(dms_dumpfile_reader(df), 4 * GEN_PS, buf, 8, &got));
	EXPECT_INT(got, 0);
	// Every page but the hole.
	int bad = 0;
	for (int p = 0; p < NP && !bad; p++) {
		if (p == 4 || p == 5)
			continue;
		dms_error_destroy(dms_reader_read_phys(dms_dumpfile_reader(df),
						       (uint64_t)p * GEN_PS, buf, GEN_PS, &got));
		if (got != GEN_PS || memcmp(buf, pages + (size_t)p * GEN_PS, GEN_PS))
			bad = p + 1;
	}
	char *vi = NULL;
	size_t vlen = 0;
	err = dms_dumpfile_vmcoreinfo(df, &vi, &vlen);
	dms_dumpfile_destroy(df);
	EXPECT_INT(bad, 0);
	EXPECT_OK(err);
	EXPECT_STR(vi, vmcoreinfo);
	free(vi);
}

static void dms_dumpfile_open_raw_needs_config(void)
{
	make_pages();
	struct gen_buf b = { pages, NP * GEN_PS - 1000 }; // a partial last page
	struct dms_dumpfile *df = NULL;
	EXPECT_ERR(open_buf(&b, NULL, &df), DMS_ERR_UNSUPPORTED);
	struct dms_dumpfile_config cfg = { .raw = true, .raw_phys_base = 0x100000 };
	EXPECT_OK(open_buf(&b, &cfg, &df));
	uint8_t buf[GEN_PS];
	size_t got = 0;
	const struct dms_reader *r = dms_dumpfile_reader(df);
	dms_error_destroy(dms_reader_read_phys(r, 0x100000 + GEN_PS + 5, buf, 100, &got));
	int same = got == 100 && !memcmp(buf, pages + GEN_PS + 5, 100);
	dms_error_destroy(dms_reader_read_phys(r, 0x100000 + (NP - 1) * GEN_PS, buf, GEN_PS, &got));
	int tail = got == GEN_PS && buf[GEN_PS - 1] == 0 && buf[0] == pages[(NP - 1) * GEN_PS];
	dms_error_destroy(dms_reader_read_phys(r, 0xff000, buf, 16, &got));
	dms_dumpfile_destroy(df);
	EXPECT_TRUE(same);
	EXPECT_TRUE(tail);
	EXPECT_INT(got, 0);
}

// A sparse raw image: a pass visits the pages holding data, not the holes;
// reads into a hole return its zeros (a frame ending there is whole).
struct spans {
	uint64_t covered[64];
	int n;
};

static struct dms_error *add_span(uint64_t paddr, uint64_t len, void *arg)
{
	struct spans *sp = arg;
	for (uint64_t p = paddr / GEN_PS; p < (paddr + len) / GEN_PS && p < 64; p++)
		sp->covered[p]++;
	sp->n++;
	return NULL;
}

static void dms_dumpfile_raw_pass_skips_holes(void)
{
	char path[] = "/tmp/dms-sparse-XXXXXX";
	int fd = mkstemp(path);
	EXPECT_TRUE(fd >= 0);
	if (fd < 0)
		return;
	uint8_t page[GEN_PS];
	memset(page, 0xab, sizeof(page));
	int ok = pwrite(fd, page, GEN_PS, 2 * GEN_PS) == GEN_PS &&
		 pwrite(fd, page, GEN_PS, 40 * GEN_PS) == GEN_PS && ftruncate(fd, 64 * GEN_PS) == 0;
	EXPECT_TRUE(ok);
	// Whether this file system keeps holes (tmpfs and ext4 do).
	int holes = lseek(fd, 0, SEEK_DATA) == 2 * GEN_PS;
	close(fd);
	struct dms_dumpfile_config cfg = { .raw = true };
	struct dms_dumpfile *df = NULL;
	struct spans sp = { 0 };
	uint8_t buf[2 * GEN_PS];
	size_t got = 0;
	struct dms_error *err = ok ? dms_dumpfile_open(path, &cfg, &df) : NULL;
	if (ok && !err) {
		const struct dms_reader *r = dms_dumpfile_reader(df);
		err = dms_reader_for_each_range(r, 0, 64 * GEN_PS, add_span, &sp);
		dms_error_destroy(dms_reader_read_phys(r, 2 * GEN_PS, buf, sizeof(buf), &got));
	}
	dms_dumpfile_destroy(df);
	unlink(path);
	EXPECT_OK(err);
	EXPECT_INT(sp.covered[2], 1);
	EXPECT_INT(sp.covered[40], 1);
	if (holes) {
		EXPECT_INT(sp.covered[0], 0);
		EXPECT_INT(sp.covered[10], 0);
		EXPECT_INT(sp.covered[63], 0);
		EXPECT_INT(sp.n, 2);
	}
	EXPECT_INT(got, sizeof(buf));
	EXPECT_TRUE(buf[GEN_PS - 1] == 0xab && buf[GEN_PS] == 0 && buf[2 * GEN_PS - 1] == 0);
}

// Crafted kdump headers.

static void put32le(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64le(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void dms_dumpfile_open_rejects_bad_kdump_headers(void)
{
	struct gen_buf b;
	EXPECT_INT(make_kdump(&b), 0);
	struct dms_dumpfile *df = NULL;
	uint8_t save[512];
	memcpy(save, b.data, sizeof(save));
	put32le(b.data + 428, 3000); // block size not a power of two
	EXPECT_ERR(open_buf(&b, NULL, &df), DMS_ERR_INVALID_DATA);
	memcpy(b.data, save, sizeof(save));
	put32le(b.data + 436, 0x7fffffff); // bitmap past the end of the file
	EXPECT_ERR(open_buf(&b, NULL, &df), DMS_ERR_TRUNCATED);
	memcpy(b.data, save, sizeof(save));
	put32le(b.data + GEN_PS + 12, 1); // one file of a split dump
	EXPECT_ERR(open_buf(&b, NULL, &df), DMS_ERR_UNSUPPORTED);
	put32le(b.data + GEN_PS + 12, 0);
	struct gen_buf t = { b.data, 300 }; // header cut short
	EXPECT_ERR(open_buf(&t, NULL, &df), DMS_ERR_TRUNCATED);
	free(b.data);
}

static void dms_dumpfile_open_keeps_index_within_budget(void)
{
	struct gen_buf b;
	EXPECT_INT(make_kdump(&b), 0);
	// A huge max_mapnr is clamped to what the bitmap holds (1 block: 32768
	// pages); a budget smaller than that bitmap refuses the file.
	put64le(b.data + GEN_PS + 96, UINT64_MAX / 2);
	struct dms_dumpfile *df = NULL;
	struct dms_dumpfile_config cfg = { .budget = 1024 };
	EXPECT_ERR(open_buf(&b, &cfg, &df), DMS_ERR_UNSUPPORTED);
	EXPECT_OK(open_buf(&b, NULL, &df));
	uint64_t max = dms_dumpfile_info(df)->max_pfn;
	size_t idx = dms_dumpfile_info(df)->index_bytes;
	dms_dumpfile_destroy(df);
	free(b.data);
	EXPECT_INT(max, GEN_PS * 8);
	EXPECT_TRUE(idx < 8192);
}

static void dms_dumpfile_read_phys_hostile_descriptor_reads_absent(void)
{
	struct gen_buf b;
	EXPECT_INT(make_kdump(&b), 0);
	uint8_t *pd = b.data + 4 * GEN_PS;
	put64le(pd + 0 * 24, b.len - 10);     // page 0: data runs past the end of the file
	put32le(pd + 1 * 24 + 8, GEN_PS + 1); // page 1: larger than a page
	put32le(pd + 2 * 24 + 12, DMS_DUMP_ZLIB | DMS_DUMP_ZSTD); // page 2: two compressions
	put32le(pd + 3 * 24 + 12, 0);		 // page 3: zstd data said to be raw (size != page)
	put32le(pd + 4 * 24 + 12, DMS_DUMP_LZO); // page 4: raw data said to be lzo
	put64le(pd + 5 * 24, (uint64_t)-4096);	 // page 6 (5 is excluded): negative offset
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = open_buf(&b, NULL, &df);
	free(b.data);
	EXPECT_OK(err);
	uint8_t buf[GEN_PS];
	int read = 0;
	for (int p = 0; p < 7; p++) {
		size_t got = 0;
		dms_error_destroy(dms_reader_read_phys(dms_dumpfile_reader(df),
						       (uint64_t)p * GEN_PS, buf, GEN_PS, &got));
		read += got != 0;
	}
	size_t got = 0;
	dms_error_destroy(
		dms_reader_read_phys(dms_dumpfile_reader(df), 7 * GEN_PS, buf, GEN_PS, &got));
	uint64_t nbad = dms_dumpfile_bad_pages(df);
	dms_dumpfile_destroy(df);
	EXPECT_INT(read, 0);
	EXPECT_INT(nbad, 6);
	EXPECT_INT(got, GEN_PS);
	EXPECT_MEM(buf, pages + 7 * GEN_PS, GEN_PS);
}

static void dms_dumpfile_open_rejects_bad_flattened_records(void)
{
	struct gen_buf k, f;
	EXPECT_INT(make_kdump(&k), 0);
	EXPECT_INT(gen_flatten(&k, 4096, &f), 0);
	free(k.data);
	struct dms_dumpfile *df = NULL;
	// The first record's size runs past the end of the file.
	uint8_t save[8];
	memcpy(save, f.data + 4096 + 8, 8);
	memset(f.data + 4096 + 8, 0x7f, 8);
	EXPECT_ERR(open_buf(&f, NULL, &df), DMS_ERR_INVALID_DATA);
	memcpy(f.data + 4096 + 8, save, 8);
	// Too many records for the budget.
	struct dms_dumpfile_config cfg = { .budget = 96 * 3 };
	EXPECT_ERR(open_buf(&f, &cfg, &df), DMS_ERR_UNSUPPORTED);
	// Cut in the middle of the records: what was indexed stays readable,
	// the rest reads as absent pages, nothing outside the file.
	struct gen_buf t = { f.data, f.len / 2 };
	struct dms_error *err = open_buf(&t, NULL, &df);
	if (!err) {
		uint8_t buf[GEN_PS];
		for (int p = 0; p < NP; p++) {
			size_t got = 0;
			dms_error_destroy(dms_reader_read_phys(
				dms_dumpfile_reader(df), (uint64_t)p * GEN_PS, buf, GEN_PS, &got));
		}
		dms_dumpfile_destroy(df);
	}
	dms_error_destroy(err);
	free(f.data);
}

static void dms_dumpfile_open_rejects_bad_elf(void)
{
	make_pages();
	struct gen_seg segs[] = { { 0, 2 * GEN_PS, 2 * GEN_PS } };
	struct gen_buf b;
	EXPECT_INT(gen_elf(pages, segs, 1, NULL, &b), 0);
	struct dms_dumpfile *df = NULL;
	b.data[4] = 1; // ELFCLASS32
	EXPECT_ERR(open_buf(&b, NULL, &df), DMS_ERR_UNSUPPORTED);
	b.data[4] = 2;
	put64le(b.data + 32, b.len - 20); // program headers past the end
	EXPECT_ERR(open_buf(&b, NULL, &df), DMS_ERR_TRUNCATED);
	put64le(b.data + 32, 64);
	// A segment whose file bytes run past the end: clamped, the rest zero.
	put64le(b.data + 64 + 56 + 32, 1ull << 40);
	put64le(b.data + 64 + 56 + 40, 1ull << 40);
	struct dms_error *err = open_buf(&b, NULL, &df);
	free(b.data);
	EXPECT_OK(err);
	uint8_t buf[GEN_PS];
	size_t got = 0;
	dms_error_destroy(
		dms_reader_read_phys(dms_dumpfile_reader(df), 5 * GEN_PS, buf, GEN_PS, &got));
	dms_dumpfile_destroy(df);
	EXPECT_INT(got, GEN_PS);
	EXPECT_INT(buf[0], 0);
}

// Overlapping PT_LOADs: the first in the header wins (as crash reads them), its
// memsz beyond filesz reading as zeros; 3000 segments over the same memory are
// resolved once into a few (a hostile core costs no walk of them per page).
static void dms_dumpfile_elf_overlaps_first_wins(void)
{
	make_pages();
	enum { NS = 3000 };
	static struct gen_seg segs[NS];
	segs[0] = (struct gen_seg){ 0, 4 * GEN_PS, 4 * GEN_PS };	  // pages 0-3
	segs[1] = (struct gen_seg){ 2 * GEN_PS, 4 * GEN_PS, 4 * GEN_PS }; // 2-5: 4-5 from here
	segs[2] = (struct gen_seg){ 6 * GEN_PS, GEN_PS, 2 * GEN_PS };	  // 6, then 7 zeros
	segs[3] = (struct gen_seg){ 7 * GEN_PS, GEN_PS, GEN_PS };	  // 7: under 2's zeros
	for (int i = 4; i < NS; i++)
		segs[i] = (struct gen_seg){ 0, 0, NP * GEN_PS }; // zeros under everything
	struct gen_buf b;
	EXPECT_INT(gen_elf(pages, segs, NS, NULL, &b), 0);
	// Segment 1's copy of pages 2-3 differs from segment 0's: which one is read?
	uint64_t off1 = 0;
	for (int k = 0; k < 8; k++)
		off1 |= (uint64_t)b.data[64 + 2 * 56 + 8 + k] << (8 * k);
	memset(b.data + off1, 0xab, 2 * GEN_PS);
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = open_buf(&b, NULL, &df);
	free(b.data);
	EXPECT_OK(err);
	uint64_t index = dms_dumpfile_info(df)->index_bytes;
	uint8_t buf[GEN_PS], zero[GEN_PS] = { 0 };
	int bad = 0;
	for (int p = 0; p < NP && !bad; p++) {
		size_t got = 0;
		dms_error_destroy(dms_reader_read_phys(dms_dumpfile_reader(df),
						       (uint64_t)p * GEN_PS, buf, GEN_PS, &got));
		const uint8_t *want = p == 7 || p >= 8 ? zero : pages + (size_t)p * GEN_PS;
		if (got != GEN_PS || memcmp(buf, want, GEN_PS))
			bad = p + 1;
	}
	dms_dumpfile_destroy(df);
	EXPECT_INT(bad, 0);
	// Pieces: 0-3 and 4-5 and 6 (file), 7-11 (zeros): 4 segments, not 3000.
	EXPECT_TRUE(index <= 8 * 32);
}

// The parallel pass.

// make_kdump()'s dump, opened; NULL (the test failed) if it cannot be.
static struct dms_dumpfile *open_kdump(void)
{
	struct gen_buf b;
	if (make_kdump(&b)) {
		test_fail(__FILE__, __LINE__, "make_kdump failed");
		return NULL;
	}
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = open_buf(&b, NULL, &df);
	free(b.data);
	if (err) {
		test_fail(__FILE__, __LINE__, "open: %s", err->message ? err->message : "?");
		dms_error_destroy(err);
		return NULL;
	}
	return df;
}

static void dms_pstream_reader_matches_random_reads(void)
{
	struct dms_dumpfile *df = open_kdump();
	if (!df)
		return;
	struct dms_error *err = NULL;
	int bad[4] = { 0 };
	uint64_t streamed[4] = { 0 };
	for (unsigned int t = 1; t <= 3; t++) {
		struct dms_pstream *ps = NULL;
		struct dms_pstream_config cfg = { .threads = t };
		err = dms_pstream_create(df, 0, NP * GEN_PS, &cfg, &ps);
		if (err)
			break;
		bad[t] = check_all_pages(dms_pstream_reader(ps), 5);
		struct dms_pstream_stats st;
		dms_pstream_stats(ps, &st);
		streamed[t] = st.streamed;
		dms_pstream_destroy(ps);
	}
	dms_dumpfile_destroy(df);
	EXPECT_OK(err);
	EXPECT_INT(bad[1], 0);
	EXPECT_INT(bad[2], 0);
	EXPECT_INT(bad[3], 0);
	EXPECT_INT(streamed[1], NP - 1);
}

static void dms_pstream_reader_serves_backward_reads(void)
{
	struct dms_dumpfile *df = open_kdump();
	if (!df)
		return;
	struct dms_error *err = NULL;
	struct dms_pstream *ps = NULL;
	struct dms_pstream_config cfg = { .threads = 2 };
	err = dms_pstream_create(df, 2 * GEN_PS, NP * GEN_PS, &cfg, &ps);
	if (err) {
		dms_dumpfile_destroy(df);
		EXPECT_OK(err);
	}
	const struct dms_reader *r = dms_pstream_reader(ps);
	uint8_t buf[3 * GEN_PS];
	size_t got1 = 0, got2 = 0, got3 = 0;
	// Across the excluded page: stops short at it.
	dms_error_destroy(dms_reader_read_phys(r, 3 * GEN_PS + 10, buf, 3 * GEN_PS, &got1));
	int same1 = !memcmp(buf, pages + 3 * GEN_PS + 10, got1);
	// Back before the stream's start, then forward past its end.
	dms_error_destroy(dms_reader_read_phys(r, 0, buf, 2 * GEN_PS, &got2));
	int same2 = !memcmp(buf, pages, got2);
	dms_error_destroy(dms_reader_read_phys(r, 11 * GEN_PS, buf, 2 * GEN_PS, &got3));
	struct dms_pstream_stats st;
	dms_pstream_stats(ps, &st);
	dms_pstream_destroy(ps);
	dms_dumpfile_destroy(df);
	EXPECT_INT(got1, 2 * GEN_PS - 10);
	EXPECT_TRUE(same1);
	EXPECT_INT(got2, 2 * GEN_PS);
	EXPECT_TRUE(same2);
	EXPECT_INT(got3, GEN_PS);
	EXPECT_TRUE(st.random >= 2);
}

// Pages 1, 2 and 7 wanted: only those are decompressed ahead; every page still
// reads as the random reader reads it (a filtered-out page is not absent).
static bool want_some(uint64_t paddr, uint64_t len, void *arg)
{
	(void)len;
	int *calls = arg;
	(*calls)++;
	uint64_t p = paddr / GEN_PS;
	return p == 1 || p == 2 || p == 7;
}

static void dms_pstream_want_filters_only_what_is_read_ahead(void)
{
	struct dms_dumpfile *df = open_kdump();
	if (!df)
		return;
	struct dms_error *err = NULL;
	int calls = 0;
	struct dms_pstream *ps = NULL;
	struct dms_pstream_config cfg = { .threads = 2, .want = want_some, .want_arg = &calls };
	err = dms_pstream_create(df, 0, NP * GEN_PS, &cfg, &ps);
	if (err) {
		dms_dumpfile_destroy(df);
		EXPECT_OK(err);
	}
	int bad = check_all_pages(dms_pstream_reader(ps), 5);
	struct dms_pstream_stats st;
	dms_pstream_stats(ps, &st);
	dms_pstream_destroy(ps);
	dms_dumpfile_destroy(df);
	EXPECT_INT(bad, 0);
	EXPECT_INT(st.streamed, 3);
	// Asked once per present page (page 5 is excluded from the dump).
	EXPECT_INT(calls, NP - 1);
	// Every other page through the random reader (the excluded one reads short there).
	EXPECT_INT(st.random, NP - 3);
}

const struct dms_test dumpfile_tests[] = {
	TEST_ENTRY(dms_dumpfile_open_kdump_reads_every_compression),
	TEST_ENTRY(dms_dumpfile_open_flattened_reads_as_restored),
	TEST_ENTRY(dms_dumpfile_open_elf_reads_segments_and_zero_tail),
	TEST_ENTRY(dms_dumpfile_open_raw_needs_config),
	TEST_ENTRY(dms_dumpfile_raw_pass_skips_holes),
	TEST_ENTRY(dms_dumpfile_open_rejects_bad_kdump_headers),
	TEST_ENTRY(dms_dumpfile_open_keeps_index_within_budget),
	TEST_ENTRY(dms_dumpfile_read_phys_hostile_descriptor_reads_absent),
	TEST_ENTRY(dms_dumpfile_open_rejects_bad_flattened_records),
	TEST_ENTRY(dms_dumpfile_open_rejects_bad_elf),
	TEST_ENTRY(dms_dumpfile_elf_overlaps_first_wins),
	TEST_ENTRY(dms_pstream_reader_matches_random_reads),
	TEST_ENTRY(dms_pstream_reader_serves_backward_reads),
	TEST_ENTRY(dms_pstream_want_filters_only_what_is_read_ahead),
	{ NULL, NULL },
};
