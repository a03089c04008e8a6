// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the SLUB model: one cache whose geometry comes from the input, a
// slab (two pages) whose struct page words, CPU freelist and bytes are the
// input.  Runs create, the probe, the vmemmap walk, lookups and the list
// check; checks the model's invariants.
//
// Input: [0] size index, [1] free pointer offset, [2] flags (bit 0 frozen,
// bit 1 slub_debug, bit 2 red_left_pad, bit 3 cpu slab, bit 4 fuzz
// compound_head, bits 5-6 encoding, bit 7: the slab's slab_cache points
// into the kmem_cache page at the input's first body word (low 12 bits)
// and the cache's list.next is its second body word: caches found through
// slab pages, list damage), then 8-byte words: counters,
// slab.freelist, cpu freelist, compound_head of page 2, partial list next;
// the rest is the slab's bytes.
#include <stdlib.h>
#include <string.h>

#include "../unit/slub_fake.h"
#include "fuzz.h"
#include "slub.h"

static uint64_t word(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static struct dms_error *on_slab(const struct dms_slub_slab *sl, void *arg)
{
	int *n = arg;
	(*n)++;
	FUZZ_CHECK(sl->nfree <= sl->objects);
	for (uint32_t i = 0; sl->state && i < sl->objects; i++)
		FUZZ_CHECK(sl->state[i] <= DMS_SLUB_UNKNOWN);
	for (size_t i = 0; i < sl->nfindings; i++) {
		FUZZ_CHECK((unsigned int)sl->findings[i].code < DMS_SLUB_NUM_CODES);
		FUZZ_CHECK(memchr(sl->findings[i].reason, 0, sizeof(sl->findings[i].reason)));
	}
	if (sl->data && sl->data_len) {
		volatile uint8_t sink = sl->data[0] ^ sl->data[sl->data_len - 1];
		(void)sink;
	}
	return NULL;
}

static struct dms_error *on_finding(const struct dms_slub_finding *f, void *arg)
{
	(void)arg;
	FUZZ_CHECK((unsigned int)f->code < DMS_SLUB_NUM_CODES);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sizes[] = { 8, 16, 64, 96, 192, 256, 512, 1024, 4096, 3 };
	if (size < 3 + 5 * 8)
		return 0;
	uint8_t flags = data[2];
	struct fake *f = fake_create((enum dms_slub_fp)(1 + (flags >> 5 & 3) % 3));
	if (!f)
		return 0;
	uint32_t sz = sizes[data[0] % 10];
	uint32_t rlp = (flags & 4) && sz >= 64 ? 16 : 0;
	uint32_t offset = sz > 8 ? (uint32_t)data[1] % sz : 0;
	uint64_t cache = fake_cache(f, "fuzz", sz, sz - rlp, offset, 1, rlp);
	if (flags & 2)
		fake_w32(f, cache + 8, (uint32_t)(FAKE_SLAB_RED_ZONE | FAKE_SLAB_POISON));
	uint64_t page = fake_slab(f, cache, FAKE_SLAB_PFN, NULL, 0, flags & 1);
	const uint8_t *w = data + 3;
	fake_w32(f, page + 40, (uint32_t)word(w));
	fake_w64(f, page + 32, word(w + 8));
	if (flags & 8)
		fake_cpu(f, 0, 1, page, word(w + 16));
	if (flags & 16)
		fake_w64(f, fake_page(FAKE_SLAB_PFN + 1) + 8, word(w + 24));
	// node[0]'s partial list: head -> input word.
	uint64_t node = fake_va(6 * FAKE_PAGE);
	fake_w64(f, node + 16, word(w + 32));
	fake_w64(f, node + 8, word(w + 32) & 0xff);
	size_t body = size - 43 < 2 * FAKE_PAGE ? size - 43 : 2 * FAKE_PAGE;
	memcpy(f->img + FAKE_SLAB_PFN * FAKE_PAGE, data + 43, body);
	if ((flags & 128) && body >= 16) {
		fake_w64(f, page + 24, fake_va(2 * FAKE_PAGE + (word(data + 43) & 0xfff)));
		fake_w64(f, cache + 104, word(data + 51));
	}

	struct dms_slub *s = NULL;
	struct dms_error *err = fake_model(f, &s);
	if (err) {
		// Only a layout problem may fail create; none here.
		FUZZ_CHECK(err->code != DMS_ERR_INVALID_ARGUMENT);
		dms_error_destroy(err);
		fake_destroy(f);
		return 0;
	}
	size_t nf = 0;
	const struct dms_slub_finding *cf = dms_slub_findings(s, &nf);
	for (size_t i = 0; i < nf; i++) {
		FUZZ_CHECK(cf[i].cache_name != NULL);
		FUZZ_CHECK(memchr(cf[i].reason, 0, sizeof(cf[i].reason)));
		volatile char c0 = cf[i].cache_name[0]; // names point at live caches
		(void)c0;
	}
	for (size_t i = 0; i < dms_slub_num_caches(s); i++)
		FUZZ_CHECK(dms_slub_cache_by_addr(s, dms_slub_cache_at(s, i)->addr) ==
			   dms_slub_cache_at(s, i));
	dms_slub_fp_mode(s, NULL);
	int n = 0;
	err = dms_slub_for_each_slab(s, NULL, on_slab, &n);
	FUZZ_CHECK(!err);
	for (uint64_t off = 0; off < 2 * FAKE_PAGE; off += 509) {
		struct dms_slub_obj o;
		err = dms_slub_lookup_phys(s, FAKE_SLAB_PFN * FAKE_PAGE + off, &o);
		FUZZ_CHECK(!err);
		if (o.where == DMS_SLUB_WHERE_OBJECT)
			FUZZ_CHECK(o.addr >= o.slab_base && o.state <= DMS_SLUB_UNKNOWN);
		if (o.where == DMS_SLUB_WHERE_BAD_PAGE)
			FUZZ_CHECK(o.page_why != NULL);
	}
	// The slab-page bitmap of create's walk: any range, never out of bounds.
	for (uint64_t pfn = 0; pfn < FAKE_NPAGES + 2; pfn++)
		(void)dms_slub_slab_range(s, pfn * FAKE_PAGE, (word(w) & 0xffff) + 1);
	err = dms_slub_check_lists(s, dms_slub_cache_at(s, 0), on_finding, NULL, NULL);
	FUZZ_CHECK(!err);
	dms_slub_destroy(s);
	fake_destroy(f);
	return 0;
}
