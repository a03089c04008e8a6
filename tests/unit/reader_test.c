// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "reader.h"
#include "test.h"

#define PAGE 4096
#define NPAGES 8
#define BASE 0x100000
#define DIRECT_MAP 0xffff888000000000ull

static uint8_t image[NPAGES * PAGE];

static void fill_image(void)
{
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i / PAGE * 16 + i % 7);
}

static struct dms_memimg *make_image(void)
{
	struct dms_memimg_config cfg = {
		.phys_base = BASE,
		.page_size = PAGE,
		.direct_map_base = DIRECT_MAP,
	};
	struct dms_memimg *img = NULL;
	fill_image();
	struct dms_error *err = dms_memimg_create(image, sizeof(image), &cfg, &img);
	dms_error_destroy(err);
	return img;
}

static void dms_memimg_create_rejects_bad_page_size(void)
{
	struct dms_memimg_config cfg = { .page_size = 3000 };
	struct dms_memimg *img = NULL;
	EXPECT_ERR(dms_memimg_create(image, sizeof(image), &cfg, &img), DMS_ERR_INVALID_ARGUMENT);
	cfg.page_size = PAGE;
	EXPECT_ERR(dms_memimg_create(image, 100, &cfg, &img), DMS_ERR_INVALID_ARGUMENT);
	EXPECT_TRUE(img == NULL);
}

static void dms_reader_read_phys_reads_across_pages(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	const struct dms_reader *r = dms_memimg_reader(img);
	uint8_t buf[100];
	size_t got = 0;
	struct dms_error *err = dms_reader_read_phys(r, BASE + PAGE - 50, buf, sizeof(buf), &got);
	dms_memimg_destroy(img);
	EXPECT_OK(err);
	EXPECT_INT(got, 100);
	EXPECT_MEM(buf, image + PAGE - 50, 100);
}

static void dms_reader_read_phys_short_at_missing_page(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	dms_memimg_set_present(img, BASE + 2 * PAGE, 1, 0);
	const struct dms_reader *r = dms_memimg_reader(img);
	uint8_t buf[3 * PAGE];
	size_t got = 12345, got2 = 12345;
	struct dms_error *err = dms_reader_read_phys(r, BASE + PAGE + 10, buf, sizeof(buf), &got);
	struct dms_error *err2 = dms_reader_read_phys(r, BASE + 2 * PAGE + 8, buf, 8, &got2);
	dms_memimg_destroy(img);
	EXPECT_OK(err);
	EXPECT_OK(err2);
	EXPECT_INT(got, PAGE - 10);
	EXPECT_INT(got2, 0);
}

static void dms_reader_read_phys_outside_image_reads_nothing(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	const struct dms_reader *r = dms_memimg_reader(img);
	uint8_t buf[16];
	size_t below = 1, above = 1, tail = 1;
	struct dms_error *e1 = dms_reader_read_phys(r, BASE - 8, buf, 16, &below);
	struct dms_error *e2 = dms_reader_read_phys(r, BASE + sizeof(image), buf, 16, &above);
	struct dms_error *e3 = dms_reader_read_phys(r, BASE + sizeof(image) - 4, buf, 16, &tail);
	struct dms_error *e4 = dms_reader_read_phys(r, UINT64_MAX - 4, buf, 16, &above);
	dms_memimg_destroy(img);
	EXPECT_OK(e1);
	EXPECT_OK(e2);
	EXPECT_OK(e3);
	EXPECT_OK(e4);
	EXPECT_INT(below, 0);
	EXPECT_INT(above, 0);
	EXPECT_INT(tail, 4);
}

struct ranges {
	int n;
	uint64_t start[8], len[8];
	int stop_after;
};

static struct dms_error *record_range(uint64_t paddr, uint64_t len, void *arg)
{
	struct ranges *r = arg;
	if (r->n < 8) {
		r->start[r->n] = paddr;
		r->len[r->n] = len;
	}
	r->n++;
	if (r->stop_after && r->n == r->stop_after)
		return dms_error_create(DMS_ERR_STOP, NULL);
	return NULL;
}

static void dms_reader_for_each_range_merges_present_runs(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	// Present: 0-1, 4, 6-7.
	dms_memimg_set_present(img, BASE + 2 * PAGE, 2 * PAGE, 0);
	dms_memimg_set_present(img, BASE + 5 * PAGE + 100, 10, 0);
	struct ranges r = { 0 };
	struct dms_error *err =
		dms_reader_for_each_range(dms_memimg_reader(img), 0, UINT64_MAX, record_range, &r);
	dms_memimg_destroy(img);
	EXPECT_OK(err);
	EXPECT_INT(r.n, 3);
	EXPECT_UINT(r.start[0], BASE);
	EXPECT_UINT(r.len[0], 2 * PAGE);
	EXPECT_UINT(r.start[1], BASE + 4 * PAGE);
	EXPECT_UINT(r.len[1], PAGE);
	EXPECT_UINT(r.start[2], BASE + 6 * PAGE);
	EXPECT_UINT(r.len[2], 2 * PAGE);
}

static void dms_reader_for_each_range_clips_to_request(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	struct ranges r = { 0 };
	struct dms_error *err = dms_reader_for_each_range(dms_memimg_reader(img), BASE + 100,
							  BASE + 3 * PAGE + 5, record_range, &r);
	dms_memimg_destroy(img);
	EXPECT_OK(err);
	EXPECT_INT(r.n, 1);
	EXPECT_UINT(r.start[0], BASE + 100);
	EXPECT_UINT(r.len[0], 3 * PAGE + 5 - 100);
}

static void dms_reader_for_each_range_stops_on_error(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	dms_memimg_set_present(img, BASE + PAGE, 1, 0);
	dms_memimg_set_present(img, BASE + 3 * PAGE, 1, 0);
	struct ranges r = { .stop_after = 2 };
	struct dms_error *err =
		dms_reader_for_each_range(dms_memimg_reader(img), 0, UINT64_MAX, record_range, &r);
	dms_memimg_destroy(img);
	EXPECT_INT(r.n, 2);
	EXPECT_ERR(err, DMS_ERR_STOP);
}

static void dms_reader_kvaddr_to_paddr_direct_map(void)
{
	struct dms_memimg *img = make_image();
	EXPECT_TRUE(img != NULL);
	const struct dms_reader *r = dms_memimg_reader(img);
	uint64_t pa = 0, va = 0;
	struct dms_error *e1 = dms_reader_paddr_to_kvaddr(r, BASE + 0x123, &va);
	struct dms_error *e2 = dms_reader_kvaddr_to_paddr(r, va, &pa);
	struct dms_error *e3 =
		dms_reader_kvaddr_to_paddr(r, 0xffffffff81000000ull - DIRECT_MAP, &pa);
	dms_memimg_destroy(img);
	EXPECT_OK(e1);
	EXPECT_OK(e2);
	EXPECT_UINT(va, DIRECT_MAP + BASE + 0x123);
	EXPECT_UINT(pa, BASE + 0x123);
	EXPECT_ERR(e3, DMS_ERR_NOT_FOUND);
}

static void dms_reader_kvaddr_to_paddr_without_direct_map_fails(void)
{
	struct dms_memimg_config cfg = { .page_size = PAGE };
	struct dms_memimg *img = NULL;
	EXPECT_OK(dms_memimg_create(image, sizeof(image), &cfg, &img));
	uint64_t pa;
	struct dms_error *err = dms_reader_kvaddr_to_paddr(dms_memimg_reader(img), DIRECT_MAP, &pa);
	dms_memimg_destroy(img);
	EXPECT_ERR(err, DMS_ERR_NOT_FOUND);
}

const struct dms_test reader_tests[] = {
	TEST_ENTRY(dms_memimg_create_rejects_bad_page_size),
	TEST_ENTRY(dms_reader_read_phys_reads_across_pages),
	TEST_ENTRY(dms_reader_read_phys_short_at_missing_page),
	TEST_ENTRY(dms_reader_read_phys_outside_image_reads_nothing),
	TEST_ENTRY(dms_reader_for_each_range_merges_present_runs),
	TEST_ENTRY(dms_reader_for_each_range_clips_to_request),
	TEST_ENTRY(dms_reader_for_each_range_stops_on_error),
	TEST_ENTRY(dms_reader_kvaddr_to_paddr_direct_map),
	TEST_ENTRY(dms_reader_kvaddr_to_paddr_without_direct_map_fails),
	{ NULL, NULL },
};
