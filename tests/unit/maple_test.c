// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/maple.c: a maple tree built in memory with the node
// layout of Debian's 6.12 debuginfo (pahole: maple_range_64 pivot[15] at 8,
// slot[16] at 128; maple_arange_64 pivot[9] at 8, slot[10] at 80), then
// damaged.
#include <string.h>

#include "maple.h"
#include "test.h"

#define BASE 0x100000ULL
#define PAGES 4
#define NODE(i) (BASE + 4096ULL * (i)) // a page each: one can be left out

static uint8_t mem[PAGES * 4096];

static void kf_612(struct dms_kfacts *kf)
{
	dms_kfacts_init(kf);
	kf->mt_root = 8;
	kf->mr64_pivot = 8, kf->mr64_npivots = 15, kf->mr64_slot = 128, kf->mr64_nslots = 16;
	kf->ma64_pivot = 8, kf->ma64_npivots = 9, kf->ma64_slot = 80, kf->ma64_nslots = 10;
	kf->maple_leaf_64 = 1, kf->maple_range_64 = 2, kf->maple_arange_64 = 3;
	kf->maple_node_mask = 255, kf->maple_type_mask = 0x0f, kf->maple_type_shift = 3;
}

static void put(uint64_t addr, uint64_t v)
{
	memcpy(mem + (addr - BASE), &v, 8);
}

// An encoded node: node | type << 3 | 4.
static uint64_t enode(int i, uint64_t type)
{
	return NODE(i) | type << 3 | 4;
}

// Root: an arange_64 node (0) over three leaves (1, 2, 3):
// (the last used slot's pivot is the node's maximum; a zero pivot after the
// first slot also ends the data):
//   leaf 1 [0, 99]:    [0,0] = 0xe0, [1,5] empty, [6,9] = 0xe8, a zero pivot
//   leaf 2 [100, 199]: [100,150] = 0xe100, [151,199] empty
//   leaf 3 [200, max]: [200+i] = 0x1000 + 16 i for i < 15, [215, max] = 0xeef0
static uint64_t build(void)
{
	memset(mem, 0, sizeof(mem));
	put(NODE(0) + 8, 99), put(NODE(0) + 16, 199), put(NODE(0) + 24, UINT64_MAX);
	put(NODE(0) + 80, enode(1, 1)), put(NODE(0) + 88, enode(2, 1)),
		put(NODE(0) + 96, enode(3, 1));
	put(NODE(1) + 8, 0), put(NODE(1) + 16, 5), put(NODE(1) + 24, 9);
	put(NODE(1) + 128, 0xe0), put(NODE(1) + 144, 0xe8);
	put(NODE(2) + 8, 150), put(NODE(2) + 16, 199);
	put(NODE(2) + 128, 0xe100);
	for (int i = 0; i < 15; i++) {
		put(NODE(3) + 8 + 8 * i, 200 + i);
		put(NODE(3) + 128 + 8 * i, 0x1000 + 16 * i);
	}
	put(NODE(3) + 128 + 8 * 15, 0xeef0);
	return enode(0, 3) | 2;
}

struct seen {
	uint64_t first[32], last[32], entry[32];
	size_t n;
};

static struct dms_error *collect(uint64_t first, uint64_t last, uint64_t entry, void *arg)
{
	struct seen *s = arg;
	if (s->n < 32) {
		s->first[s->n] = first;
		s->last[s->n] = last;
		s->entry[s->n] = entry;
	}
	s->n++;
	return NULL;
}

static struct dms_error *walk(uint64_t root, size_t max, struct seen *s, int absent_node)
{
	struct dms_kfacts kf;
	kf_612(&kf);
	struct dms_memimg *img = NULL;
	struct dms_memimg_config cfg = { .phys_base = BASE };
	struct dms_error *err = dms_memimg_create(mem, sizeof(mem), &cfg, &img);
	if (err)
		return err;
	if (absent_node >= 0)
		dms_memimg_set_present(img, NODE(absent_node), 256, 0);
	memset(s, 0, sizeof(*s));
	err = dms_maple_walk(dms_memimg_reader(img), &kf, root, max, collect, s, NULL);
	dms_memimg_destroy(img);
	return err;
}

static void dms_maple_walk_visits_entries_in_order(void)
{
	struct seen s;
	EXPECT_OK(walk(build(), 100, &s, -1));
	EXPECT_INT(s.n, 19);
	EXPECT_UINT(s.first[0], 0);
	EXPECT_UINT(s.last[0], 0);
	EXPECT_UINT(s.entry[0], 0xe0);
	EXPECT_UINT(s.first[1], 6);
	EXPECT_UINT(s.last[1], 9);
	EXPECT_UINT(s.entry[1], 0xe8);
	EXPECT_UINT(s.first[2], 100);
	EXPECT_UINT(s.last[2], 150);
	EXPECT_UINT(s.first[3], 200);
	EXPECT_UINT(s.entry[3], 0x1000);
	EXPECT_UINT(s.first[17], 214);
	EXPECT_UINT(s.entry[17], 0x1000 + 16 * 14);
	EXPECT_UINT(s.first[18], 215);
	EXPECT_UINT(s.last[18], UINT64_MAX);
	EXPECT_UINT(s.entry[18], 0xeef0);
}

static void dms_maple_walk_root_forms(void)
{
	struct seen s;
	EXPECT_OK(walk(0, 100, &s, -1));
	EXPECT_INT(s.n, 0);
	// A single entry: index 0.
	EXPECT_OK(walk(0xffff888000123450ULL, 100, &s, -1));
	EXPECT_INT(s.n, 1);
	EXPECT_UINT(s.last[0], 0);
	// No layout: unsupported, nothing read.
	struct dms_kfacts kf;
	dms_kfacts_init(&kf);
	EXPECT_ERR(dms_maple_walk(NULL, &kf, build(), 10, collect, &s, NULL), DMS_ERR_UNSUPPORTED);
}

// Damage: each ends the walk with INVALID_DATA after the entries before it.
static void dms_maple_walk_damaged(void)
{
	struct seen s;
	uint64_t root = build();
	// Pivots that go down in leaf 2.
	put(NODE(2) + 16, 120);
	EXPECT_ERR(walk(root, 100, &s, -1), DMS_ERR_INVALID_DATA);
	EXPECT_INT(s.n, 3); // leaf 1's two, leaf 2's first
	// A node that is not in the dump.
	root = build();
	EXPECT_ERR(walk(root, 100, &s, 3), DMS_ERR_INVALID_DATA);
	EXPECT_INT(s.n, 3);
	// An internal node whose first slot is itself: bounded by the height.
	root = build();
	put(NODE(0) + 80, enode(0, 3));
	EXPECT_ERR(walk(root, 100, &s, -1), DMS_ERR_INVALID_DATA);
	EXPECT_INT(s.n, 0);
	// A node type that is not walked (dense, or garbage bits).
	root = build();
	put(NODE(0) + 88, NODE(2) | 0x0f << 3 | 4);
	EXPECT_ERR(walk(root, 100, &s, -1), DMS_ERR_INVALID_DATA);
	EXPECT_INT(s.n, 2);
	// More entries than asked for.
	root = build();
	EXPECT_ERR(walk(root, 10, &s, -1), DMS_ERR_INVALID_DATA);
	EXPECT_INT(s.n, 10);
}

const struct dms_test maple_tests[] = {
	TEST_ENTRY(dms_maple_walk_visits_entries_in_order),
	TEST_ENTRY(dms_maple_walk_root_forms),
	TEST_ENTRY(dms_maple_walk_damaged),
	{ 0 },
};
