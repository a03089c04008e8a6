// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the dump-file reader: the input is a whole dump file (kdump, flattened,
// ELF; seeds from tests/unit/dumpfile_test.c).  It is opened with a small
// index budget, every present page is read through the random reader, then
// again through a two-thread parallel pass; both must agree, and every read
// must stay within its buffer.
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dumpfile.h"
#include "fuzz.h"

#define MAX_READ (64 * 4096)
#define MAX_PAGES 4096 // pages read per input, whatever the dump claims

struct walk {
	const struct dms_reader *r;
	uint8_t *buf;
	uint64_t pages, sum;
};

static struct dms_error *range(uint64_t paddr, uint64_t len, void *arg)
{
	struct walk *w = arg;
	for (uint64_t pos = paddr; pos < paddr + len && w->pages < MAX_PAGES;) {
		size_t want = paddr + len - pos < MAX_READ ? (size_t)(paddr + len - pos) : MAX_READ;
		size_t got = 0;
		struct dms_error *err = dms_reader_read_phys(w->r, pos, w->buf, want, &got);
		FUZZ_CHECK(err == NULL);
		FUZZ_CHECK(got <= want);
		for (size_t i = 0; i < got; i += 64)
			w->sum = w->sum * 31 + w->buf[i];
		w->pages += (got + 4095) / 4096 + 1;
		pos += got ? got : 4096;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	struct dms_dumpfile_config cfg = { .budget = 1 << 20 };
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = dms_dumpfile_open_fd(fd, &cfg, &df);
	close(fd);
	if (err) {
		FUZZ_CHECK(err->message != NULL);
		dms_error_destroy(err);
		return 0;
	}
	FUZZ_CHECK(dms_dumpfile_info(df)->index_bytes <= cfg.budget);
	struct walk a = { .r = dms_dumpfile_reader(df), .buf = malloc(MAX_READ) };
	struct walk b = { .buf = malloc(MAX_READ) };
	if (a.buf && b.buf) {
		dms_error_destroy(dms_reader_for_each_range(a.r, 0, UINT64_MAX, range, &a));
		struct dms_pstream *ps = NULL;
		struct dms_pstream_config pc = { .threads = 2 };
		if (!dms_pstream_create(df, 0, UINT64_MAX, &pc, &ps)) {
			b.r = dms_pstream_reader(ps);
			dms_error_destroy(dms_reader_for_each_range(b.r, 0, UINT64_MAX, range, &b));
			dms_pstream_destroy(ps);
			FUZZ_CHECK(a.pages == b.pages && a.sum == b.sum);
		}
	}
	char *vi = NULL;
	size_t vlen = 0;
	struct dms_error *verr = dms_dumpfile_vmcoreinfo(df, &vi, &vlen);
	if (!verr)
		FUZZ_CHECK(strlen(vi) == vlen);
	dms_error_destroy(verr);
	free(vi);
	free(a.buf);
	free(b.buf);
	dms_dumpfile_destroy(df);
	return 0;
}
