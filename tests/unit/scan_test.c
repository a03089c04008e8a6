// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "fixtures.h"
#include "reader.h"
#include "scan.h"
#include "test.h"

#define PAGE 4096

struct hits {
	int n;
	uint64_t pos[64];
	enum dms_l2 l2[64];
	enum dms_pkt_status status[64];
	size_t caplen[64];
	int stop_at;
};

static struct dms_error *record_hit(const struct dms_hit *hit, void *arg)
{
	struct hits *h = arg;
	if (h->n < 64) {
		h->pos[h->n] = hit->pos;
		h->l2[h->n] = hit->pkt.l2;
		h->status[h->n] = hit->pkt.status;
		h->caplen[h->n] = hit->pkt.caplen;
	}
	h->n++;
	if (h->stop_at && h->n == h->stop_at)
		return dms_error_create(DMS_ERR_STOP, NULL);
	return NULL;
}

// Deterministic "kernel-like" filler: zero runs, pointers, small integers,
// ASCII text and random bytes.
static void fill_noise(uint8_t *p, size_t len, uint32_t seed)
{
	uint64_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len;) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned int kind = (unsigned int)(x >> 60) & 3;
		size_t run = 8 + (size_t)((x >> 40) & 63);
		for (size_t j = 0; j < run && i < len; j++, i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint8_t r = (uint8_t)(x >> 56);
			switch (kind) {
			case 0:
				p[i] = 0;
				break;
			case 1: { // little-endian pointer 0xffff8880xxxxxxxx
				static const uint8_t hi[4] = { 0x80, 0x88, 0xff, 0xff };
				p[i] = (i & 7) < 4 ? r : hi[(i & 7) - 4];
				break;
			}
			case 2:
				p[i] = (uint8_t)(' ' + r % 95);
				break;
			default:
				p[i] = r;
				break;
			}
		}
	}
}

#define EXPECT_HIT(h, idx, want_pos, want_l2, want_status)                                         \
	do {                                                                                       \
		if ((h)->n <= (idx) || (h)->pos[idx] != (want_pos) || (h)->l2[idx] != (want_l2) || \
		    (h)->status[idx] != (want_status)) {                                           \
			test_fail(__FILE__, __LINE__,                                              \
				  "hit %d: expected pos %llu l2 %d %s, got "                       \
				  "%d hits%s%llu l2 %d %s",                                        \
				  (idx), (unsigned long long)(want_pos), (int)(want_l2),           \
				  dms_pkt_status_name(want_status), (h)->n,                        \
				  (h)->n > (idx) ? ", pos " : ", ",                                \
				  (h)->n > (idx) ? (unsigned long long)(h)->pos[idx] : 0ull,       \
				  (h)->n > (idx) ? (int)(h)->l2[idx] : -1,                         \
				  (h)->n > (idx) ? dms_pkt_status_name((h)->status[idx]) : "-");   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void dms_scan_buffer_noise_has_no_hits(void)
{
	size_t len = 64 * PAGE;
	uint8_t *buf = malloc(len);
	fill_noise(buf, len, 1);
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, len, len, 0, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	EXPECT_INT(h.n, 0);
	EXPECT_TRUE(scan.candidates > 0);
	EXPECT_UINT(scan.bytes, len);
}

static void dms_scan_buffer_byte_patterns_have_no_hits(void)
{
	static const uint8_t patterns[] = { 0x45, 0x46, 0x4f, 0x60, 0x06, 0x00, 0xff };
	uint8_t buf[PAGE];
	for (size_t k = 0; k < sizeof(patterns); k++) {
		memset(buf, patterns[k], sizeof(buf));
		// Also 0xNN 0x00 pairs.
		for (size_t i = 1; k % 2 && i < sizeof(buf); i += 2)
			buf[i] = 0;
		struct dms_scan scan;
		struct hits h = { 0 };
		dms_scan_init(&scan);
		EXPECT_OK(dms_scan_buffer(&scan, buf, sizeof(buf), sizeof(buf), 0, record_hit, &h));
		EXPECT_INT(h.n, 0);
	}
}

struct placed {
	const uint8_t *data;
	size_t len;
	size_t off;
	enum dms_l2 l2;
};

static void dms_scan_buffer_finds_each_fixture_once(void)
{
	const struct placed items[] = {
		{ fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), 101, DMS_L2_ETHERNET },
		{ fx_eth_ipv4opt_tcp, sizeof(fx_eth_ipv4opt_tcp), 333, DMS_L2_ETHERNET },
		{ fx_vlan_ipv4_icmp, sizeof(fx_vlan_ipv4_icmp), 555, DMS_L2_ETHERNET },
		{ fx_qinq_ipv6_udp, sizeof(fx_qinq_ipv6_udp), 777, DMS_L2_ETHERNET },
		{ fx_ipv6_ext_tcp, sizeof(fx_ipv6_ext_tcp), 1001, DMS_L2_NONE },
		{ fx_ipv6_icmp6, sizeof(fx_ipv6_icmp6), 1501, DMS_L2_NONE },
		{ fx_eth_arp, sizeof(fx_eth_arp), 1999, DMS_L2_ETHERNET },
		{ fx_ipv4_tcp_partial, sizeof(fx_ipv4_tcp_partial), 2223, DMS_L2_NONE },
		{ fx_ipv4_udp_nocsum, sizeof(fx_ipv4_udp_nocsum), 2501, DMS_L2_NONE },
		{ fx_eth_ipv4_frag, sizeof(fx_eth_ipv4_frag), 3003, DMS_L2_ETHERNET },
		// A bare IP packet right after the previous frame.
		{ fx_eth_ipv4_udp + 14, sizeof(fx_eth_ipv4_udp) - 14, 3101, DMS_L2_NONE },
	};
	size_t n = sizeof(items) / sizeof(items[0]);
	uint8_t *buf = malloc(PAGE);
	fill_noise(buf, PAGE, 7);
	for (size_t i = 0; i < n; i++)
		memcpy(buf + items[i].off, items[i].data, items[i].len);
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, PAGE, PAGE, 0x10000, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	for (size_t i = 0; i < n; i++)
		EXPECT_HIT(&h, (int)i, 0x10000 + items[i].off, items[i].l2, DMS_PKT_OK);
	EXPECT_INT(h.n, (int)n);
	EXPECT_INT(scan.hits, n);
}

// Exercises the head, vector, word and tail loops of the scanner: a frame
// at every offset of exactly sized buffers is found once.
static void dms_scan_buffer_finds_frame_at_every_offset(void)
{
	const struct placed items[] = {
		{ fx_ipv4_tcp_partial, sizeof(fx_ipv4_tcp_partial), 0, DMS_L2_NONE },
		{ fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), 0, DMS_L2_ETHERNET },
		{ fx_eth_arp, sizeof(fx_eth_arp), 0, DMS_L2_ETHERNET },
		{ fx_ipv6_icmp6, sizeof(fx_ipv6_icmp6), 0, DMS_L2_NONE },
	};
	for (size_t k = 0; k < sizeof(items) / sizeof(items[0]); k++) {
		for (size_t off = 0; off < 80; off++) {
			size_t len = off + items[k].len + off % 7;
			uint8_t *buf = malloc(len);
			memset(buf, 0, len);
			memcpy(buf + off, items[k].data, items[k].len);
			struct dms_scan scan;
			struct hits h = { 0 };
			dms_scan_init(&scan);
			struct dms_error *err =
				dms_scan_buffer(&scan, buf, len, len, 0, record_hit, &h);
			free(buf);
			EXPECT_OK(err);
			if (h.n != 1 || h.pos[0] != off || h.l2[0] != items[k].l2) {
				test_fail(__FILE__, __LINE__,
					  "item %zu at offset %zu in %zu bytes: expected one hit "
					  "there, got %d hits, first at %llu",
					  k, off, len, h.n,
					  h.n ? (unsigned long long)h.pos[0] : 0ull);
				return;
			}
		}
	}
}

static void dms_scan_buffer_frame_crossing_page_uses_lookahead(void)
{
	uint8_t *buf = calloc(1, 2 * PAGE);
	size_t off = PAGE - 31;
	memcpy(buf + off, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, 2 * PAGE, PAGE, 0, record_hit, &h);
	// The next page on its own: the frame's tail is inside the reported
	// frame, and no new hit may come from it.
	struct dms_error *err2 =
		dms_scan_buffer(&scan, buf + PAGE, PAGE, PAGE, PAGE, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	EXPECT_OK(err2);
	EXPECT_HIT(&h, 0, off, DMS_L2_ETHERNET, DMS_PKT_OK);
	EXPECT_INT(h.caplen[0], sizeof(fx_eth_ipv4_udp));
	EXPECT_INT(h.n, 1);
}

static void dms_scan_buffer_frame_at_page_end_truncated(void)
{
	uint8_t *buf = calloc(1, PAGE);
	// 45 of 74 bytes present: Ethernet, IPv4 and UDP headers.
	size_t off = PAGE - 45;
	memcpy(buf + off, fx_eth_ipv4_udp, 45);
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, PAGE, PAGE, 0, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	EXPECT_HIT(&h, 0, off, DMS_L2_ETHERNET, DMS_PKT_TRUNCATED);
	EXPECT_INT(h.caplen[0], 45);
	EXPECT_INT(h.n, 1);
}

static void dms_scan_buffer_ethernet_header_before_scan_end(void)
{
	// The frame starts 5 bytes before scan_len; its IP header is in the
	// look-ahead.  It is reported once, as Ethernet.
	uint8_t *buf = calloc(1, 2 * PAGE);
	size_t off = PAGE - 5;
	memcpy(buf + off, fx_vlan_ipv4_icmp, sizeof(fx_vlan_ipv4_icmp));
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, 2 * PAGE, PAGE, 0, record_hit, &h);
	struct dms_error *err2 =
		dms_scan_buffer(&scan, buf + PAGE, PAGE, PAGE, PAGE, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	EXPECT_OK(err2);
	EXPECT_HIT(&h, 0, off, DMS_L2_ETHERNET, DMS_PKT_OK);
	EXPECT_INT(h.n, 1);
}

static void dms_scan_buffer_ignores_starts_in_lookahead(void)
{
	uint8_t *buf = calloc(1, 2 * PAGE);
	memcpy(buf + PAGE + 1, fx_ipv4_tcp_partial, sizeof(fx_ipv4_tcp_partial));
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, 2 * PAGE, PAGE, 0, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	EXPECT_INT(h.n, 0);
}

static void dms_scan_buffer_callback_error_stops(void)
{
	uint8_t *buf = calloc(1, PAGE);
	memcpy(buf + 11, fx_eth_arp, sizeof(fx_eth_arp));
	memcpy(buf + 201, fx_eth_arp, sizeof(fx_eth_arp));
	memcpy(buf + 401, fx_eth_arp, sizeof(fx_eth_arp));
	struct dms_scan scan;
	struct hits h = { .stop_at = 2 };
	dms_scan_init(&scan);
	struct dms_error *err = dms_scan_buffer(&scan, buf, PAGE, PAGE, 0, record_hit, &h);
	free(buf);
	EXPECT_INT(h.n, 2);
	EXPECT_ERR(err, DMS_ERR_STOP);
}

static void dms_scan_buffer_rejects_scan_len_beyond_len(void)
{
	uint8_t buf[16] = { 0 };
	struct dms_scan scan;
	dms_scan_init(&scan);
	EXPECT_ERR(dms_scan_buffer(&scan, buf, 16, 17, 0, record_hit, NULL),
		   DMS_ERR_INVALID_ARGUMENT);
}

static void dms_scan_buffer_min_score_filters(void)
{
	uint8_t *buf = calloc(1, PAGE);
	memcpy(buf + 11, fx_ipv4_udp_nocsum, sizeof(fx_ipv4_udp_nocsum));
	memcpy(buf + 301, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	scan.min_score = 90;
	struct dms_error *err = dms_scan_buffer(&scan, buf, PAGE, PAGE, 0, record_hit, &h);
	free(buf);
	EXPECT_OK(err);
	EXPECT_HIT(&h, 0, 301, DMS_L2_ETHERNET, DMS_PKT_OK);
	EXPECT_INT(h.n, 1);
}

static void dms_scan_reader_reassembles_across_present_pages(void)
{
	size_t npages = 300; // more than one scan chunk
	uint8_t *img_data = malloc(npages * PAGE);
	fill_noise(img_data, npages * PAGE, 3);
	// 1: crosses from page 2 into present page 3: complete.
	memcpy(img_data + 3 * PAGE - 21, fx_qinq_ipv6_udp, sizeof(fx_qinq_ipv6_udp));
	// 2: crosses from page 5 into missing page 6: truncated (45 bytes).
	memcpy(img_data + 6 * PAGE - 45, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	// 3: inside missing page 6: not seen.
	memcpy(img_data + 6 * PAGE + 100, fx_eth_arp, sizeof(fx_eth_arp));
	// 4: crosses the 1 MiB scan chunk boundary of the second range (it
	// starts at page 7, so the boundary is at page 7 + 256).
	memcpy(img_data + 263 * PAGE - 17, fx_eth_ipv4opt_tcp, sizeof(fx_eth_ipv4opt_tcp));
	// 5: in the last page.
	memcpy(img_data + (npages - 1) * PAGE + 3, fx_ipv6_icmp6, sizeof(fx_ipv6_icmp6));
	struct dms_memimg_config cfg = { .phys_base = 0x40000000, .page_size = PAGE };
	struct dms_memimg *img = NULL;
	EXPECT_OK(dms_memimg_create(img_data, npages * PAGE, &cfg, &img));
	dms_memimg_set_present(img, 0x40000000 + 6 * PAGE, PAGE, 0);
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err =
		dms_scan_reader(&scan, dms_memimg_reader(img), 0, UINT64_MAX, record_hit, &h);
	dms_memimg_destroy(img);
	free(img_data);
	EXPECT_OK(err);
	EXPECT_HIT(&h, 0, 0x40000000 + 3 * PAGE - 21, DMS_L2_ETHERNET, DMS_PKT_OK);
	EXPECT_HIT(&h, 1, 0x40000000 + 6 * PAGE - 45, DMS_L2_ETHERNET, DMS_PKT_TRUNCATED);
	EXPECT_HIT(&h, 2, 0x40000000 + 263 * PAGE - 17, DMS_L2_ETHERNET, DMS_PKT_OK);
	EXPECT_HIT(&h, 3, 0x40000000 + (npages - 1) * PAGE + 3, DMS_L2_NONE, DMS_PKT_OK);
	EXPECT_INT(h.n, 4);
	EXPECT_UINT(scan.bytes, (npages - 1) * PAGE);
}

static void dms_scan_reader_limits_to_range(void)
{
	uint8_t *img_data = calloc(8, PAGE);
	memcpy(img_data + 1 * PAGE + 9, fx_eth_arp, sizeof(fx_eth_arp));
	memcpy(img_data + 4 * PAGE + 9, fx_eth_arp, sizeof(fx_eth_arp));
	struct dms_memimg_config cfg = { .page_size = PAGE };
	struct dms_memimg *img = NULL;
	EXPECT_OK(dms_memimg_create(img_data, 8 * PAGE, &cfg, &img));
	struct dms_scan scan;
	struct hits h = { 0 };
	dms_scan_init(&scan);
	struct dms_error *err =
		dms_scan_reader(&scan, dms_memimg_reader(img), 3 * PAGE, 5 * PAGE, record_hit, &h);
	dms_memimg_destroy(img);
	free(img_data);
	EXPECT_OK(err);
	EXPECT_HIT(&h, 0, 4 * PAGE + 9, DMS_L2_ETHERNET, DMS_PKT_OK);
	EXPECT_INT(h.n, 1);
}

const struct dms_test scan_tests[] = {
	TEST_ENTRY(dms_scan_buffer_noise_has_no_hits),
	TEST_ENTRY(dms_scan_buffer_byte_patterns_have_no_hits),
	TEST_ENTRY(dms_scan_buffer_finds_each_fixture_once),
	TEST_ENTRY(dms_scan_buffer_finds_frame_at_every_offset),
	TEST_ENTRY(dms_scan_buffer_frame_crossing_page_uses_lookahead),
	TEST_ENTRY(dms_scan_buffer_frame_at_page_end_truncated),
	TEST_ENTRY(dms_scan_buffer_ethernet_header_before_scan_end),
	TEST_ENTRY(dms_scan_buffer_ignores_starts_in_lookahead),
	TEST_ENTRY(dms_scan_buffer_callback_error_stops),
	TEST_ENTRY(dms_scan_buffer_rejects_scan_len_beyond_len),
	TEST_ENTRY(dms_scan_buffer_min_score_filters),
	TEST_ENTRY(dms_scan_reader_reassembles_across_present_pages),
	TEST_ENTRY(dms_scan_reader_limits_to_range),
	{ NULL, NULL },
};
