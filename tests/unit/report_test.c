// SPDX-License-Identifier: GPL-2.0-or-later
// lib/report: what pktscan and dmasleuth-scan print for hits and the summary.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "fixtures.h"
#include "report.h"
#include "test.h"

static void dms_json_str_escapes_dump_text(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	dms_json_str(f, "a\"b\\c\n\x80%s");
	dms_json_str(f, NULL);
	fclose(f);
	EXPECT_STR(out, "\"a\\\"b\\\\c\\u000a\\u0080%s\"\"\"");
	free(out);
}

// One hit through a report: scan the fixture at an odd offset in a buffer.
struct one {
	struct dms_report *rp;
	int n;
};

static struct dms_error *on_hit(const struct dms_hit *hit, void *arg)
{
	struct one *o = arg;
	struct dms_report_hit h = {
		.hit = hit,
		.paddr = hit->pos,
		.has_paddr = true,
		.summary = "S",
		.owner = "-",
		.owner_key = "unknown (no kernel model)",
	};
	dms_report_hit(o->rp, &h);
	o->n++;
	return NULL;
}

static void dms_report_hit_json_without_owner_model(void)
{
	uint8_t buf[512] = { 0 };
	memcpy(buf + 101, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct dms_report_config cfg = { .out = f, .name = "t", .json = true, .page_size = 4096 };
	struct one o = { 0 };
	struct dms_error *err = dms_report_create(&cfg, &o.rp);
	if (!err) {
		struct dms_scan scan;
		dms_scan_init(&scan);
		err = dms_scan_buffer(&scan, buf, sizeof(buf), sizeof(buf), 0x10000, on_hit, &o);
		struct dms_report_end e = { .has_bytes_read = true,
					    .bytes_read = 512,
					    .reader = "parallel",
					    .reader_threads = 2 };
		dms_report_summary(o.rp, &e);
		dms_report_destroy(o.rp);
	}
	fclose(f);
	EXPECT_OK(err);
	EXPECT_INT(o.n, 1);
	EXPECT_TRUE(strstr(out, "{\"type\":\"hit\",\"paddr\":\"0x10065\",\"page_offset\":101,"
				"\"vaddr\":null,") != NULL);
	EXPECT_TRUE(strstr(out, ",\"owner\":null}\n") != NULL);
	EXPECT_TRUE(strstr(out, "\"owners\":{\"unknown (no kernel model)\":1},\"reader\":"
				"\"parallel\",\"reader_threads\":2}\n") != NULL);
	free(out);
}

const struct dms_test report_tests[] = {
	TEST_ENTRY(dms_json_str_escapes_dump_text),
	TEST_ENTRY(dms_report_hit_json_without_owner_model),
	{ NULL, NULL },
};
