// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "classify.h"
#include "fixtures.h"
#include "kfacts.h"
#include "test.h"

#define ADDR 0xffff888004321000ULL

// Exactly sized heap copy, so ASan sees any read past the region.
static struct dms_class_result run(const uint8_t *p, size_t len, uint64_t addr,
				   const struct dms_classify_config *cfg)
{
	struct dms_class_result r;
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, p, len);
	struct dms_error *err = dms_classify(copy, len, addr, cfg, &r);
	dms_error_destroy(err);
	free(copy);
	return r;
}

static void dms_classify_zeros(void)
{
	uint8_t b[256] = { 0 };
	b[17] = 1; // fewer than 8 non-zero bytes
	struct dms_class_result r = run(b, sizeof(b), ADDR, NULL);
	EXPECT_INT(r.dominant, DMS_CLASS_ZERO);
	EXPECT_INT(r.bytes[DMS_CLASS_ZERO], 248);
}

static void dms_classify_frame_at_odd_offset(void)
{
	uint8_t b[256] = { 0 };
	memcpy(b + 0x27, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	struct dms_class_result r = run(b, sizeof(b), ADDR, NULL);
	EXPECT_INT(r.dominant, DMS_CLASS_PACKET);
	EXPECT_INT(r.npackets, 1);
	EXPECT_INT(r.bytes[DMS_CLASS_PACKET], sizeof(fx_eth_ipv4_udp));
	EXPECT_INT(r.evidence[0].offset, 0x27);
	EXPECT_STR(r.evidence[0].text,
		   "IPv4 UDP 198.51.100.7:5000 > 198.51.100.9:6000 len 32 at +0x27");
	char line[256];
	dms_class_format(&r, line, sizeof(line));
	EXPECT_STR(line, "packet (74 of 256 bytes): IPv4 UDP 198.51.100.7:5000 > "
			 "198.51.100.9:6000 len 32 at +0x27");
}

static void dms_classify_flipped_checksum_is_not_packet(void)
{
	uint8_t b[256] = { 0 };
	memcpy(b + 0x27, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	b[0x27 + 24] ^= 0x01; // IPv4 header checksum
	struct dms_class_result r = run(b, sizeof(b), ADDR, NULL);
	EXPECT_INT(r.npackets, 0);
	EXPECT_TRUE(r.dominant != DMS_CLASS_PACKET);
}

static void dms_classify_ascii_text(void)
{
	uint8_t b[128] = { 0 };
	static const char t[] = "GET /index.html HTTP/1.1\r\nHost: example.org\r\n";
	memcpy(b + 3, t, sizeof(t) - 1);
	struct dms_class_result r = run(b, sizeof(b), ADDR, NULL);
	EXPECT_INT(r.dominant, DMS_CLASS_ASCII);
	EXPECT_TRUE(r.nevidence >= 1);
	EXPECT_INT(r.evidence[0].cls, DMS_CLASS_ASCII);
	EXPECT_TRUE(strstr(r.evidence[0].text, "ASCII \"GET /index") != NULL);
}

static void dms_classify_poison(void)
{
	uint8_t b[192];
	memset(b, 0x6b, sizeof(b));
	b[191] = 0xa5;
	struct dms_class_result r = run(b, sizeof(b), ADDR, NULL);
	EXPECT_INT(r.dominant, DMS_CLASS_POISON);
	EXPECT_INT(r.bytes[DMS_CLASS_POISON], 192);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct fake_ptrs {
	int calls;
};

// Addresses 0xffff8880_0100_0000.. are "slab objects of kmalloc-64".
static bool slab_ptr(uint64_t v, void *arg, struct dms_ptr_info *ret)
{
	struct fake_ptrs *fp = arg;
	fp->calls++;
	if (v >> 24 != 0xffff888001ULL)
		return false;
	ret->kind = DMS_PTR_SLAB;
	ret->name = "kmalloc-64";
	ret->offset = (int64_t)(v & 63);
	return true;
}

static void dms_classify_pointers_with_predicate(void)
{
	uint8_t b[64] = { 0 };
	for (int i = 0; i < 6; i++)
		put64(b + 8 * i, 0xffff888001000000ULL + 64 * (uint64_t)i + 8);
	put64(b + 48, 0xffff888077777777ULL); // kernel-looking, not for the predicate
	struct fake_ptrs fp = { 0 };
	struct dms_classify_config cfg = { .pointer = slab_ptr, .arg = &fp };
	struct dms_class_result r = run(b, sizeof(b), ADDR, &cfg);
	EXPECT_INT(r.dominant, DMS_CLASS_POINTER);
	EXPECT_INT(r.bytes[DMS_CLASS_POINTER], 48);
	EXPECT_TRUE(fp.calls >= 7);
	EXPECT_STR(r.evidence[0].text,
		   "6 pointers, first 0xffff888001000008 (slab kmalloc-64+8) at +0");
}

static void dms_classify_random_bytes(void)
{
	uint8_t b[512];
	uint64_t x = 12345;
	for (size_t i = 0; i < sizeof(b); i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		b[i] = (uint8_t)(x >> 56);
	}
	struct dms_class_result r = run(b, sizeof(b), ADDR, NULL);
	EXPECT_INT(r.dominant, DMS_CLASS_RANDOM);
	EXPECT_TRUE(r.entropy > 7.0 && r.entropy <= 8.0);
}

static void dms_classify_unaligned_region(void)
{
	// Region starts 3 bytes before a word boundary: partial words at both ends.
	uint8_t b[21];
	memset(b, 0, sizeof(b));
	put64(b + 3, 0x0000000000001234ULL);
	put64(b + 11, 0x0000000000000010ULL);
	b[20] = 'x';
	struct dms_class_result r = run(b, sizeof(b), ADDR + 5, NULL);
	EXPECT_INT(r.bytes[DMS_CLASS_INTEGER], 16);
	size_t total = 0;
	for (int k = 0; k < DMS_CLASS_NUM; k++)
		total += r.bytes[k];
	EXPECT_INT(total, 21);
}

static void dms_classify_word_kinds(void)
{
	// Without a target nothing is a pointer; with one, its kernel range.
	struct dms_kfacts x86;
	dms_kfacts_init(&x86);
	x86.arch = DMS_ARCH_X86_64;
	x86.va_bits = 48;
	struct dms_classify_config cfg = { .kf = &x86 };
	EXPECT_INT(dms_classify_word(0, NULL, NULL), DMS_CLASS_ZERO);
	EXPECT_INT(dms_classify_word(0xffff888003c4d200ULL, &cfg, NULL), DMS_CLASS_POINTER);
	EXPECT_INT(dms_classify_word(0xffff888003c4d200ULL, NULL, NULL), DMS_CLASS_RANDOM);
	// Non-canonical with 4-level paging; ERR_PTR(-EINVAL) is no pointer.
	EXPECT_INT(dms_classify_word(0xfff0888003c4d200ULL, &cfg, NULL), DMS_CLASS_RANDOM);
	EXPECT_INT(dms_classify_word((uint64_t)-22, &cfg, NULL), DMS_CLASS_INTEGER);
	// An arm64 target with 48-bit VA: the same kernel range.
	struct dms_kfacts a64 = x86;
	a64.arch = DMS_ARCH_ARM64;
	cfg.kf = &a64;
	EXPECT_INT(dms_classify_word(0xffff000003c4d200ULL, &cfg, NULL), DMS_CLASS_POINTER);
	EXPECT_INT(dms_classify_word(0x6b6b6b6b6b6b6b6bULL, NULL, NULL), DMS_CLASS_POISON);
	EXPECT_INT(dms_classify_word(0x6f6c6c6568202e2fULL, NULL, NULL), DMS_CLASS_ASCII);
	EXPECT_INT(dms_classify_word(42, NULL, NULL), DMS_CLASS_INTEGER);
	EXPECT_INT(dms_classify_word((uint64_t)-22, NULL, NULL), DMS_CLASS_INTEGER);
	EXPECT_INT(dms_classify_word(0x1c46bd0a00450008ULL, NULL, NULL), DMS_CLASS_RANDOM);
}

const struct dms_test classify_tests[] = {
	TEST_ENTRY(dms_classify_zeros),
	TEST_ENTRY(dms_classify_frame_at_odd_offset),
	TEST_ENTRY(dms_classify_flipped_checksum_is_not_packet),
	TEST_ENTRY(dms_classify_ascii_text),
	TEST_ENTRY(dms_classify_poison),
	TEST_ENTRY(dms_classify_pointers_with_predicate),
	TEST_ENTRY(dms_classify_random_bytes),
	TEST_ENTRY(dms_classify_unaligned_region),
	TEST_ENTRY(dms_classify_word_kinds),
	{ NULL, NULL },
};
