// SPDX-License-Identifier: GPL-2.0-or-later
// dumpbench: the dump reader's benchmark aid (make bench; docs/performance.md).
//
//   dumpbench read DUMP THREADS...  every present page once: the random reader on one
//                                   thread ("random"), then the parallel pass with each
//                                   THREADS (0: one per CPU); MiB/s of page data
//   dumpbench kdumpfile DUMP        the same pages through libkdumpfile on one thread
//                                   (built with -DHAVE_KDUMPFILE; kdump-compressed and
//                                   ELF only: libkdumpfile 0.5.1 has no flattened format)
//   dumpbench image OUT DUMP...     a raw physical-memory image: each dump's pages at
//                                   their physical offsets, the dumps one after another
//                                   (page aligned); absent pages are holes (zeros)
// Every line ends with a CRC of the page data, so readers can be compared.
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifdef HAVE_KDUMPFILE
#include <libkdumpfile/kdumpfile.h>
#endif

#include "dumpfile.h"

#define CHUNK (1U << 20)

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct pass {
	const struct dms_reader *r;
	uint8_t *buf;
	uint64_t bytes;
	uint32_t crc;
	int out; // image fd, -1: none
	uint64_t out_base;
};

static struct dms_error *range(uint64_t paddr, uint64_t len, void *arg)
{
	struct pass *p = arg;
	for (uint64_t pos = paddr; pos < paddr + len;) {
		size_t n = paddr + len - pos < CHUNK ? (size_t)(paddr + len - pos) : CHUNK;
		size_t got = 0;
		struct dms_error *err = dms_reader_read_phys(p->r, pos, p->buf, n, &got);
		if (err)
			return err;
		p->bytes += got;
		p->crc = (uint32_t)crc32(p->crc, p->buf, (uInt)got);
		if (p->out >= 0 && got &&
		    pwrite(p->out, p->buf, got, (off_t)(p->out_base + pos)) != (ssize_t)got)
			return dms_error_create(DMS_ERR_IO, "write failed");
		pos += got ? got : 4096;
	}
	return NULL;
}

static struct dms_dumpfile *open_dump(const char *path)
{
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = dms_dumpfile_open(path, NULL, &df);
	if (err) {
		fprintf(stderr, "dumpbench: %s: %s\n", path, err->message);
		exit(1);
	}
	return df;
}

static void report(const char *dump, const char *what, double t, const struct pass *p)
{
	printf("%s %s %.3f s %.1f MiB/s %" PRIu64 " MiB crc %08x\n", dump, what, t,
	       (double)p->bytes / (1 << 20) / t, p->bytes >> 20, p->crc);
}

static int cmd_read(int argc, char **argv)
{
	struct dms_dumpfile *df = open_dump(argv[0]);
	struct pass p = { .buf = malloc(CHUNK), .out = -1 };
	p.r = dms_dumpfile_reader(df);
	double t = now();
	dms_error_destroy(dms_reader_for_each_range(p.r, 0, UINT64_MAX, range, &p));
	report(argv[0], "random", now() - t, &p);
	for (int i = 1; i < argc; i++) {
		struct dms_pstream *ps = NULL;
		struct dms_pstream_config cfg = { .threads = (unsigned int)atoi(argv[i]) };
		t = now();
		if (dms_pstream_create(df, 0, UINT64_MAX, &cfg, &ps))
			return 1;
		struct dms_pstream_stats st;
		dms_pstream_stats(ps, &st);
		p.r = dms_pstream_reader(ps);
		p.bytes = 0;
		p.crc = 0;
		dms_error_destroy(dms_reader_for_each_range(p.r, 0, UINT64_MAX, range, &p));
		dms_pstream_destroy(ps);
		char what[32];
		snprintf(what, sizeof(what), "parallel-%u", st.threads);
		report(argv[0], what, now() - t, &p);
	}
	free(p.buf);
	dms_dumpfile_destroy(df);
	return 0;
}

static int cmd_kdumpfile(char **argv)
{
#ifdef HAVE_KDUMPFILE
	// The page list from our reader (which pages are present); the bytes from libkdumpfile.
	struct dms_dumpfile *df = open_dump(argv[0]);
	const struct dms_dumpfile_info *in = dms_dumpfile_info(df);
	if (in->format == DMS_DUMP_KDUMP_FLAT) {
		printf("%s libkdumpfile unsupported (flattened format)\n", argv[0]);
		return 0;
	}
	int fd = open(argv[0], O_RDONLY);
	kdump_ctx_t *ctx = kdump_new();
	if (fd < 0 || !ctx || kdump_open_fd(ctx, fd) != KDUMP_OK) {
		printf("%s libkdumpfile cannot open it: %s\n", argv[0],
		       ctx ? kdump_get_err(ctx) : "?");
		return 0;
	}
	uint8_t *page = malloc(in->page_size);
	struct pass p = { 0 };
	double t = now();
	for (uint64_t pfn = 0; pfn < in->max_pfn; pfn++) {
		if (!dms_dumpfile_present(df, pfn))
			continue;
		size_t sz = in->page_size;
		if (kdump_read(ctx, KDUMP_MACHPHYSADDR, pfn * in->page_size, page, &sz) !=
			    KDUMP_OK ||
		    sz != in->page_size)
			continue;
		p.bytes += sz;
		p.crc = (uint32_t)crc32(p.crc, page, (uInt)sz);
	}
	report(argv[0], "libkdumpfile", now() - t, &p);
	kdump_free(ctx);
	close(fd);
	free(page);
	dms_dumpfile_destroy(df);
	return 0;
#else
	printf("%s libkdumpfile not built in (install libkdumpfile-dev)\n", argv[0]);
	return 0;
#endif
}

static int cmd_image(int argc, char **argv)
{
	int out = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		perror(argv[0]);
		return 1;
	}
	uint64_t base = 0;
	struct pass p = { .buf = malloc(CHUNK), .out = out };
	for (int i = 1; i < argc; i++) {
		struct dms_dumpfile *df = open_dump(argv[i]);
		const struct dms_dumpfile_info *in = dms_dumpfile_info(df);
		p.r = dms_dumpfile_reader(df);
		p.out_base = base;
		dms_error_destroy(dms_reader_for_each_range(p.r, 0, UINT64_MAX, range, &p));
		base += in->max_pfn * in->page_size;
		printf("%s at %#" PRIx64 "\n", argv[i], p.out_base);
		dms_dumpfile_destroy(df);
	}
	if (ftruncate(out, (off_t)base) != 0)
		perror("ftruncate");
	close(out);
	printf("%s: %" PRIu64 " MiB\n", argv[0], base >> 20);
	free(p.buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "read") == 0)
		return cmd_read(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "kdumpfile") == 0)
		return cmd_kdumpfile(argv + 2);
	if (argc >= 4 && strcmp(argv[1], "image") == 0)
		return cmd_image(argc - 2, argv + 2);
	fprintf(stderr,
		"usage: dumpbench read DUMP [THREADS...] | kdumpfile DUMP | image OUT DUMP...\n");
	return 2;
}
