// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/memmap.c: the coarse map of where frames were carved.
#include "memmap.h"
#include "test.h"

static void dms_memmap_init_512m_is_1m_cells(void)
{
	static struct dms_memmap m;

	dms_memmap_init(&m, 512ULL << 20);
	EXPECT_UINT(m.cell, 1ULL << 20);
	EXPECT_INT(m.ncells, 512);
}

static void dms_memmap_init_big_machine_capped(void)
{
	static struct dms_memmap m;

	// 1 TiB + 1 byte: 1 GiB cells would need 1025; the next power of two fits.
	dms_memmap_init(&m, (1ULL << 40) + 1);
	EXPECT_UINT(m.cell, 2ULL << 30);
	EXPECT_INT(m.ncells, 513);
	dms_memmap_init(&m, UINT64_MAX);
	EXPECT_TRUE(m.ncells <= DMS_MEMMAP_MAX_CELLS);
	dms_memmap_init(&m, 0);
	EXPECT_INT(m.ncells, 0);
}

static void dms_memmap_add_counts_per_cell_and_class(void)
{
	static struct dms_memmap m;

	dms_memmap_init(&m, 64ULL << 20);
	dms_memmap_add(&m, 0x1f9d0840, DMS_MEM_FOREIGN_LIVE); // past end: not in a cell
	dms_memmap_add(&m, 0x0300000, DMS_MEM_PACKET);
	dms_memmap_add(&m, 0x03fffff, DMS_MEM_PACKET);
	dms_memmap_add(&m, 0x0400000, DMS_MEM_FREE);
	dms_memmap_add(&m, 0x0400001, (enum dms_memclass)99); // out of range: counted, not placed
	EXPECT_UINT(m.frames, 5);
	EXPECT_INT(m.counts[3][DMS_MEM_PACKET], 2);
	EXPECT_INT(m.counts[4][DMS_MEM_FREE], 1);
	EXPECT_INT(m.counts[4][DMS_MEM_PACKET], 0);
}

static void dms_memclass_of_owner_kinds(void)
{
	EXPECT_INT(dms_memclass_of(DMS_OWNER_SLAB, "vm_area_struct", true), DMS_MEM_FOREIGN_LIVE);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_SLAB, "vm_area_struct", false), DMS_MEM_FOREIGN_OTHER);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_SLAB, "kmalloc-1k", true), DMS_MEM_PACKET);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_SLAB, "skbuff_head_cache", true), DMS_MEM_PACKET);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_SLAB, NULL, true), DMS_MEM_PACKET);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_PGTABLE, NULL, false), DMS_MEM_PGTABLE);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_PAGE_POOL, NULL, false), DMS_MEM_PACKET);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_BUDDY, NULL, false), DMS_MEM_FREE);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_ANON, NULL, false), DMS_MEM_USER);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_KIMAGE, NULL, false), DMS_MEM_KIMAGE);
	EXPECT_INT(dms_memclass_of(DMS_OWNER_UNKNOWN, NULL, false), DMS_MEM_OTHER);
	EXPECT_STR(dms_memclass_name(DMS_MEM_FOREIGN_LIVE), "foreign-live");
	EXPECT_STR(dms_memclass_name(DMS_MEM_KIMAGE), "kernel_image");
	EXPECT_STR(dms_memclass_name((enum dms_memclass)99), "other");
}

const struct dms_test memmap_tests[] = {
	TEST_ENTRY(dms_memmap_init_512m_is_1m_cells),
	TEST_ENTRY(dms_memmap_init_big_machine_capped),
	TEST_ENTRY(dms_memmap_add_counts_per_cell_and_class),
	TEST_ENTRY(dms_memclass_of_owner_kinds),
	{ 0 },
};
