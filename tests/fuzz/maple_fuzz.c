// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the maple tree walker (lib/maple.c): the input is the root pointer and
// the memory the nodes live in, with the node layout of Debian's 6.12
// debuginfo (as tests/unit/maple_test.c).  Checks that entries come in index
// order, each range inside the last one's end, and no more than asked for.
//
// Input: [0..7] ma_root (little-endian), [8] the entries asked for, then the
// bytes of a 16 KiB image at BASE (node pointers into it are followed).
#include <string.h>

#include "fuzz.h"
#include "maple.h"
#include "reader.h"

#define BASE 0x100000ULL
#define IMG (16 * 1024)

static uint8_t img[IMG];

struct order {
	uint64_t next;
	size_t n, max;
	int any;
};

static struct dms_error *on_entry(uint64_t first, uint64_t last, uint64_t entry, void *arg)
{
	struct order *o = arg;
	FUZZ_CHECK(first <= last);
	FUZZ_CHECK(!o->any || first >= o->next);
	FUZZ_CHECK(entry != 0);
	FUZZ_CHECK(++o->n <= o->max);
	o->next = last + 1;
	o->any = last != UINT64_MAX;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	uint64_t root;
	memcpy(&root, data, 8);
	// Most roots point into the image: keep the low byte (type bits), pick a node.
	if (root & 0x8000000000000000ULL)
		root = BASE + (root & (IMG - 1));
	struct dms_kfacts kf;
	dms_kfacts_init(&kf);
	kf.mt_root = 8;
	kf.mr64_pivot = 8, kf.mr64_npivots = 15, kf.mr64_slot = 128, kf.mr64_nslots = 16;
	kf.ma64_pivot = 8, kf.ma64_npivots = 9, kf.ma64_slot = 80, kf.ma64_nslots = 10;
	kf.maple_leaf_64 = 1, kf.maple_range_64 = 2, kf.maple_arange_64 = 3;
	kf.maple_node_mask = 255, kf.maple_type_mask = 0x0f, kf.maple_type_shift = 3;
	memset(img, 0, sizeof(img));
	size_t body = size - 9 < IMG ? size - 9 : IMG;
	memcpy(img, data + 9, body);
	struct dms_memimg *m = NULL;
	struct dms_memimg_config cfg = { .phys_base = BASE };
	struct dms_error *err = dms_memimg_create(img, sizeof(img), &cfg, &m);
	if (err) {
		dms_error_destroy(err);
		return 0;
	}
	struct order o = { .max = data[8] };
	size_t nodes = 0;
	err = dms_maple_walk(dms_memimg_reader(m), &kf, root, o.max, on_entry, &o, &nodes);
	FUZZ_CHECK(!err || err->code == DMS_ERR_INVALID_DATA);
	FUZZ_CHECK(nodes <= (1u << 20));
	dms_error_destroy(err);
	dms_memimg_destroy(m);
	return 0;
}
