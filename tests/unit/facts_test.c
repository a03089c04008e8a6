// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/json.c and lib/facts.c: the JSON reader on valid and hostile
// input, and facts that round-trip through their JSON form.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "json.h"
#include "test.h"

static struct dms_json *parse(const char *s)
{
	struct dms_json *doc = NULL;
	struct dms_error *err = dms_json_parse(s, strlen(s), &doc);

	dms_error_destroy(err);
	return doc;
}

static void dms_json_parse_values(void)
{
	struct dms_json *doc = parse(
		" {\"a\": [1, -2, 3.5e2, true, false, null], \"s\": \"x\\u0041\\u00ff\\n\\\"\","
		" \"h\": \"0xff19e434df9d07b8\", \"o\": {}} ");
	EXPECT_TRUE(doc != NULL);
	const struct dms_json_value *root = dms_json_root(doc);
	const struct dms_json_value *a = dms_json_get(root, "a");
	EXPECT_TRUE(a && a->type == DMS_JSON_ARRAY);
	EXPECT_INT(a->len, 6);
	uint64_t u;
	int64_t i;
	double d;
	bool b;
	EXPECT_TRUE(dms_json_u64(a->child, &u));
	EXPECT_INT(u, 1);
	EXPECT_TRUE(!dms_json_u64(a->child->next, &u)); // negative
	EXPECT_TRUE(dms_json_i64(a->child->next, &i));
	EXPECT_INT(i, -2);
	EXPECT_TRUE(!dms_json_u64(a->child->next->next, &u)); // a fraction
	EXPECT_TRUE(dms_json_double(a->child->next->next, &d));
	EXPECT_TRUE(d == 350.0);
	EXPECT_TRUE(dms_json_bool(a->child->next->next->next, &b) && b);
	const struct dms_json_value *s = dms_json_get(root, "s");
	EXPECT_INT(s->len, 5);
	EXPECT_TRUE(!memcmp(s->str, "xA\xff\n\"", 5));
	EXPECT_TRUE(dms_json_u64(dms_json_get(root, "h"), &u));
	EXPECT_UINT(u, 0xff19e434df9d07b8ULL);
	EXPECT_TRUE(dms_json_get(root, "missing") == NULL);
	EXPECT_INT(dms_json_get(root, "o")->len, 0);
	dms_json_destroy(doc);
}

static void dms_json_parse_rejects_malformed(void)
{
	static const char *const bad[] = {
		"",   "{", "[1,]",  "{\"a\" 1}", "{\"a\":1,}",	     "\"abc",	  "\"a\\q\"", "01",
		"1.", "-", "[1] 2", "tru",	 "{\"a\":\"\x01\"}", "\"\\u12\"", "{1:2}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dms_json *doc = NULL;
		struct dms_error *err = dms_json_parse(bad[i], strlen(bad[i]), &doc);
		if (!err) {
			test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
			dms_json_destroy(doc);
			return;
		}
		EXPECT_TRUE(err->message && strstr(err->message, "at byte") != NULL);
		dms_error_destroy(err);
	}
}

static void dms_json_parse_depth_bounded(void)
{
	char buf[256];
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		buf[n++] = '[';
	struct dms_json *doc = NULL;
	struct dms_error *err = dms_json_parse(buf, n, &doc);
	EXPECT_TRUE(err != NULL);
	dms_error_destroy(err);
}

static void dms_json_u64_overflow_rejected(void)
{
	struct dms_json *doc =
		parse("[18446744073709551616, \"0x10000000000000000\", \"0x\", \"0x-1\"]");
	uint64_t u;

	EXPECT_TRUE(doc != NULL);
	for (const struct dms_json_value *v = dms_json_root(doc)->child; v; v = v->next)
		EXPECT_TRUE(!dms_json_u64(v, &u));
	dms_json_destroy(doc);
}

static void dms_json_write_round_trips_bytes(void)
{
	static const char raw[] = "tab\there \"q\" \\ \x01\x7f\xff end";
	char out[256];
	FILE *mem = fmemopen(out, sizeof(out), "w");

	dms_json_write_mem(mem, raw, sizeof(raw) - 1);
	fclose(mem);
	struct dms_json *doc = parse(out);
	EXPECT_TRUE(doc != NULL);
	EXPECT_INT(dms_json_root(doc)->len, sizeof(raw) - 1);
	EXPECT_TRUE(!memcmp(dms_json_root(doc)->str, raw, sizeof(raw) - 1));
	dms_json_destroy(doc);
}

// Facts with one of everything.
static void sample(struct dms_facts *f)
{
	static const char *const aliases[] = { "kmalloc-64" };
	struct dms_vframe fr = { .paddr = 0x1f9d0840,
				 .kvaddr = 0xff19e434df9d0840ULL,
				 .len = 317,
				 .has_l2 = true,
				 .dst_mac = { 0x52, 0x54, 0, 0x5a, 0x10, 1 },
				 .ip_csum_ok = true,
				 .damaged = true,
				 .vlan = 100,
				 .summary = "IPv4 TCP a > b",
				 .flow = "tcp a:1 > b:2 vlan 100",
				 .owner = DMS_OWNER_SLAB,
				 .cache = "vm_area_struct",
				 .obj = 0xff19e434df9d07b8ULL,
				 .obj_offset = -8,
				 .obj_size = 152,
				 .state = DMS_VOBJ_UNKNOWN };
	struct dms_vframe pg = { .paddr = 0x5000, .owner = DMS_OWNER_PAGE_POOL };
	struct dms_vnetdev nd = { .name = "eth0",
				  .driver = "e1000",
				  .bus_driver = true,
				  .mac = { 0x52, 0x54, 0, 0x5a, 0x10, 1 },
				  .nfeatures = 1,
				  .rings_why = "" };
	struct dms_vslot s[3] = {
		{ .netdev = "eth0",
		  .ring = 0,
		  .slot = 2354,
		  .stale = true,
		  .dma = 0x1f9d0840,
		  .paddr = 0x1f9d0840,
		  .len = 1522 },
		{ .netdev = "eth0",
		  .ring = 1,
		  .slot = 7,
		  .dma = 0xfff000,
		  .paddr = 0,
		  .len = 2048 },
		{ .netdev = "eth1",
		  .ring = 0,
		  .slot = 0,
		  .dma = 0x3000,
		  .paddr = 0x3000,
		  .len = 0 },
	};
	struct dms_ffinding fd = { .code = "FREELIST_OUTSIDE",
				   .cache = "anon_vma_chain",
				   .object = 0xff19e434df9d07b8ULL,
				   .addr = 0xff19e434df9d07c8ULL,
				   .paddr = 0x1f9d07c8,
				   .value = 0x450000,
				   .field = "free pointer",
				   .object_packets = 1,
				   .reason = "free pointer: decodes to 0x45..." };
	struct dms_firq q = { .irq = 25, .name = "eth1-tx-0", .count = 17195 };
	struct dms_fpool p = { .addr = 0xffff888003000000ULL,
			       .pages = 40,
			       .counters = true,
			       .hold = 1064,
			       .release = 1000 };

	dms_facts_init(f);
	snprintf(f->release, sizeof(f->release), "6.1.0-56-amd64");
	snprintf(f->machine, sizeof(f->machine), "x86_64");
	f->va_bits = 57;
	snprintf(nd.features[0].name, sizeof(nd.features[0].name), "rx-csum");
	nd.features[0].on = true;
	dms_error_destroy(dms_facts_add_frame(f, &fr));
	dms_error_destroy(dms_facts_add_frame(f, &pg));
	dms_error_destroy(dms_facts_add_cache(f, "vm_area_struct", aliases, 1));
	dms_error_destroy(dms_facts_add_netdev(f, &nd));
	for (int i = 0; i < 3; i++)
		dms_error_destroy(dms_facts_add_slot(f, &s[i]));
	f->slub = true;
	dms_error_destroy(dms_facts_add_finding(f, &fd));
	f->has_irqs = true;
	dms_error_destroy(dms_facts_add_irq(f, &q));
	f->has_pools = true;
	dms_error_destroy(dms_facts_add_pool(f, &p));
	f->panic.has_sym = true;
	snprintf(f->panic.rip_sym, sizeof(f->panic.rip_sym), "anon_vma_interval_tree_insert");
	f->panic.sym_addr = 0xffffffff81234560ULL;
	f->panic.searched = true;
	f->panic.searched_value = 0x7f13e8a32b7937a7ULL;
	f->panic.nhits = 1;
	f->panic.hits[0] = (struct dms_fvalue_hit){
		.paddr = 0x3a4d340, .delta = -0x20, .owner = DMS_OWNER_SLAB, .owner_text = "slab x"
	};
	dms_error_destroy(dms_facts_add_gap(f, "irqs", "why %d", 1));
	dms_error_destroy(dms_facts_set_log(f, "line \"1\"\n\x01\n", 12));
}

static char *written(const struct dms_facts *f, size_t *len)
{
	FILE *tmp = tmpfile();

	dms_facts_write(f, tmp);
	*len = (size_t)ftell(tmp);
	char *text = calloc(1, *len + 1);
	rewind(tmp);
	if (fread(text, 1, *len, tmp) != *len)
		*len = 0;
	fclose(tmp);
	return text;
}

static void dms_facts_write_read_round_trip(void)
{
	struct dms_facts a, b;
	size_t len, len2;

	sample(&a);
	char *text = written(&a, &len);
	struct dms_error *err = dms_facts_read(text, len, &b);
	if (err) {
		test_fail(__FILE__, __LINE__, "read back: %s", err->message);
		dms_error_destroy(err);
		free(text);
		dms_facts_deinit(&a);
		return;
	}
	char *again = written(&b, &len2);
	// Written again, byte for byte the same.
	EXPECT_INT(len2, len);
	EXPECT_TRUE(!strcmp(text, again));
	EXPECT_INT(b.nframes, 1);
	EXPECT_INT(b.frames_counted[DMS_OWNER_PAGE_POOL], 1);
	EXPECT_INT(b.frames[0].obj_offset, -8);
	EXPECT_TRUE(b.frames[0].damaged);
	EXPECT_INT(b.nslots, 3);
	EXPECT_UINT(b.slots[1].paddr, 0);
	EXPECT_STR(b.slots[2].netdev, "eth1");
	EXPECT_STR(b.caches[0].aliases[0], "kmalloc-64");
	EXPECT_INT(b.panic.hits[0].delta, -0x20);
	EXPECT_INT(b.log_len, 12);
	EXPECT_TRUE(!memcmp(b.log, "line \"1\"\n\x01\n", 12));
	free(text);
	free(again);
	dms_facts_deinit(&a);
	dms_facts_deinit(&b);
}

static void dms_facts_read_names_bad_field(void)
{
	struct dms_facts a, b;
	size_t len;

	sample(&a);
	char *text = written(&a, &len);
	dms_facts_deinit(&a);
	// Break one frame's MAC, then one slot row, then the version.
	char *p = strstr(text, "\"dst\":\"52:54");
	EXPECT_TRUE(p != NULL);
	memcpy(p + 7, "zz", 2);
	struct dms_error *err = dms_facts_read(text, len, &b);
	EXPECT_TRUE(err && strstr(err->message, "frames[0]") && strstr(err->message, "\"dst\""));
	dms_error_destroy(err);
	memcpy(p + 7, "52", 2);
	p = strstr(text, "[0,2354,1,");
	EXPECT_TRUE(p != NULL);
	p[7] = '7'; // stale 7
	err = dms_facts_read(text, len, &b);
	EXPECT_TRUE(err && strstr(err->message, "slot"));
	dms_error_destroy(err);
	p[7] = '1';
	p = strstr(text, "\"version\":1");
	p[10] = '9';
	err = dms_facts_read(text, len, &b);
	EXPECT_TRUE(err && strstr(err->message, "version 9"));
	dms_error_destroy(err);
	free(text);
}

static void dms_facts_add_frame_keeps_slab_counts_rest(void)
{
	struct dms_facts f;
	struct dms_vframe slab = { .owner = DMS_OWNER_SLAB }, pt = { .owner = DMS_OWNER_PGTABLE },
			  anon = { .owner = DMS_OWNER_ANON },
			  bad = { .owner = (enum dms_owner_kind)99 };

	dms_facts_init(&f);
	EXPECT_TRUE(!dms_facts_add_frame(&f, &slab));
	EXPECT_TRUE(!dms_facts_add_frame(&f, &pt));
	EXPECT_TRUE(!dms_facts_add_frame(&f, &anon));
	EXPECT_TRUE(!dms_facts_add_frame(&f, &bad));
	EXPECT_INT(f.nframes, 2);
	EXPECT_INT(f.frames_counted[DMS_OWNER_ANON], 1);
	EXPECT_INT(f.frames_counted[DMS_OWNER_UNKNOWN], 1);
	dms_facts_deinit(&f);
}

const struct dms_test facts_tests[] = {
	TEST_ENTRY(dms_json_parse_values),
	TEST_ENTRY(dms_json_parse_rejects_malformed),
	TEST_ENTRY(dms_json_parse_depth_bounded),
	TEST_ENTRY(dms_json_u64_overflow_rejected),
	TEST_ENTRY(dms_json_write_round_trips_bytes),
	TEST_ENTRY(dms_facts_write_read_round_trip),
	TEST_ENTRY(dms_facts_read_names_bad_field),
	TEST_ENTRY(dms_facts_add_frame_keeps_slab_counts_rest),
	{ 0 },
};
