// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the scanner: dms_scan_buffer() with a scan length taken from the
// first two bytes, then dms_scan_reader() over an in-memory image whose
// present-page bitmap comes from the third byte (256-byte pages).
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "reader.h"
#include "scan.h"

struct state {
	size_t len;
	uint64_t base, last_pos;
	int hits;
};

static struct dms_error *on_hit(const struct dms_hit *hit, void *arg)
{
	struct state *st = arg;
	FUZZ_CHECK(dms_pkt_is_hit(&hit->pkt));
	FUZZ_CHECK(hit->pos >= st->last_pos);
	FUZZ_CHECK(hit->pos == st->base + hit->pkt.offset || st->base == UINT64_MAX);
	st->last_pos = hit->pos + 1;
	// Touch every captured byte: ASan checks they are inside the buffer.
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < hit->pkt.caplen; i++)
		sink ^= hit->data[i];
	(void)sink;
	st->hits++;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t scan_len = (size_t)(data[0] << 8 | data[1]) % (size - 3 + 1);
	uint8_t present = data[2];
	data += 3;
	size -= 3;
	struct dms_scan scan;
	struct state st = { .len = size, .base = 0x1000 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, data, size, scan_len, 0x1000, on_hit, &st);
	FUZZ_CHECK(err == NULL);

	// Reader scan over up to 8 pages of 256 bytes.
	size_t npages = size / 256 < 8 ? size / 256 : 8;
	if (!npages)
		return 0;
	struct dms_memimg_config cfg = { .page_size = 256, .phys_base = 0x100000 };
	struct dms_memimg *img;
	if (dms_memimg_create(data, npages * 256, &cfg, &img))
		return 0;
	for (size_t p = 0; p < npages; p++) {
		if (!(present >> p & 1))
			dms_memimg_set_present(img, 0x100000 + p * 256, 256, 0);
	}
	struct state st2 = { .len = npages * 256, .base = UINT64_MAX };
	dms_scan_init(&scan);
	err = dms_scan_reader(&scan, dms_memimg_reader(img), 0, UINT64_MAX, on_hit, &st2);
	FUZZ_CHECK(err == NULL);
	dms_memimg_destroy(img);
	return 0;
}
