// SPDX-License-Identifier: GPL-2.0-or-later
// Damaged frames: Ethernet and IPv4 headers intact, the rest written over after the
// frame landed (lib/pkt.c dms_pkt_damaged, lib/scan.c scan.damaged).
#include <string.h>

#include "fixtures.h"
#include "pcapw.h"
#include "pkt.h"
#include "scan.h"
#include "test.h"

static struct dms_error *count_hit(const struct dms_hit *hit, void *arg)
{
	struct dms_pkt *last = arg;

	*last = hit->pkt;
	last->offset++; // used as a hit counter by the tests below
	return NULL;
}

static void dms_pkt_damaged_payload_overwritten(void)
{
	uint8_t f[sizeof(fx_eth_ipv4_udp)];
	struct dms_pkt p;

	memcpy(f, fx_eth_ipv4_udp, sizeof(f));
	f[sizeof(f) - 3] ^= 0x5a; // payload byte: UDP checksum now wrong
	EXPECT_INT(dms_pkt_decode(f, sizeof(f), DMS_L2_ETHERNET, &p), DMS_PKT_INVALID);
	EXPECT_INT(p.l4_csum, DMS_CSUM_BAD);
	EXPECT_TRUE(dms_pkt_damaged(&p));
}

static void dms_pkt_damaged_ip_header_broken(void)
{
	uint8_t f[sizeof(fx_eth_ipv4_udp)];
	struct dms_pkt p;

	memcpy(f, fx_eth_ipv4_udp, sizeof(f));
	f[14 + 8] ^= 0x01; // TTL: the IPv4 header checksum fails
	dms_pkt_decode(f, sizeof(f), DMS_L2_ETHERNET, &p);
	EXPECT_TRUE(!dms_pkt_damaged(&p));
}

static void dms_pkt_damaged_intact_frame_is_not(void)
{
	struct dms_pkt p;

	dms_pkt_decode(fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET, &p);
	EXPECT_TRUE(!dms_pkt_damaged(&p));
	// A bare IPv4 packet with a bad payload: no Ethernet header, not reported.
	uint8_t f[sizeof(fx_eth_ipv4_udp) - 14];
	memcpy(f, fx_eth_ipv4_udp + 14, sizeof(f));
	f[sizeof(f) - 1] ^= 0xff;
	dms_pkt_decode(f, sizeof(f), DMS_L2_NONE, &p);
	EXPECT_TRUE(!dms_pkt_damaged(&p));
}

static void dms_pkt_comment_flags_damage(void)
{
	uint8_t f[sizeof(fx_eth_ipv4_udp)];
	struct dms_pkt p;
	struct dms_pkt_meta meta = { .paddr = 0x1f9d0840, .has_paddr = true, .owner = "slab filp" };
	char c[256];

	memcpy(f, fx_eth_ipv4_udp, sizeof(f));
	f[sizeof(f) - 3] ^= 0x5a;
	dms_pkt_decode(f, sizeof(f), DMS_L2_ETHERNET, &p);
	dms_pkt_comment(&p, &meta, c, sizeof(c));
	EXPECT_TRUE(strstr(c, "status=damaged ") != NULL);
	EXPECT_TRUE(strstr(c, " damage=") != NULL);
	// An intact frame's comment is as before.
	dms_pkt_decode(fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET, &p);
	dms_pkt_comment(&p, &meta, c, sizeof(c));
	EXPECT_TRUE(strstr(c, "status=ok ") != NULL);
	EXPECT_TRUE(strstr(c, "damage") == NULL);
}

static void dms_scan_buffer_damaged_only_when_asked(void)
{
	uint8_t buf[256];
	struct dms_scan scan;
	struct dms_pkt last;

	memset(buf, 0, sizeof(buf));
	memcpy(buf + 37, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	buf[37 + sizeof(fx_eth_ipv4_udp) - 2] ^= 0x33;

	dms_scan_init(&scan);
	memset(&last, 0, sizeof(last));
	EXPECT_TRUE(
		!dms_scan_buffer(&scan, buf, sizeof(buf), sizeof(buf), 0x1000, count_hit, &last));
	EXPECT_INT(last.offset, 0);

	dms_scan_init(&scan);
	scan.damaged = true;
	memset(&last, 0, sizeof(last));
	EXPECT_TRUE(
		!dms_scan_buffer(&scan, buf, sizeof(buf), sizeof(buf), 0x1000, count_hit, &last));
	EXPECT_INT(last.offset, 37 + 1);
	EXPECT_INT(last.l4_csum, DMS_CSUM_BAD);
	EXPECT_INT(last.l2, DMS_L2_ETHERNET);
}

static void dms_pkt_proto_name_known_and_numeric(void)
{
	struct dms_pkt p;
	char buf[8];

	dms_pkt_decode(fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET, &p);
	EXPECT_STR(dms_pkt_proto_name(&p, buf, sizeof(buf)), "udp");
	dms_pkt_decode(fx_eth_arp, sizeof(fx_eth_arp), DMS_L2_ETHERNET, &p);
	EXPECT_STR(dms_pkt_proto_name(&p, buf, sizeof(buf)), "arp");
	p.ip_version = 4;
	p.proto = 47; // GRE: no name here, its number
	EXPECT_STR(dms_pkt_proto_name(&p, buf, sizeof(buf)), "47");
}

const struct dms_test damaged_tests[] = {
	TEST_ENTRY(dms_pkt_proto_name_known_and_numeric),
	TEST_ENTRY(dms_pkt_damaged_payload_overwritten),
	TEST_ENTRY(dms_pkt_damaged_ip_header_broken),
	TEST_ENTRY(dms_pkt_damaged_intact_frame_is_not),
	TEST_ENTRY(dms_scan_buffer_damaged_only_when_asked),
	TEST_ENTRY(dms_pkt_comment_flags_damage),
	{ 0 },
};
