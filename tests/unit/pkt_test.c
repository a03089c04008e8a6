// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "fixtures.h"
#include "pkt.h"
#include "test.h"

struct fixture {
	const char *name;
	const uint8_t *data;
	size_t len;
	enum dms_l2 l2;
	const char *summary;
	enum dms_csum l4_csum;
	// Bytes [covered_from, len) are all covered by a checksum.
	size_t covered_from;
};

#define FX(n) #n, fx_##n, sizeof(fx_##n)

static const struct fixture fixtures[] = {
	{ FX(eth_ipv4_udp), DMS_L2_ETHERNET,
	  "IPv4 UDP 198.51.100.7:5000 > 198.51.100.9:6000 len 32", DMS_CSUM_OK, 14 },
	{ FX(eth_ipv4opt_tcp), DMS_L2_ETHERNET, "IPv4 TCP 192.0.2.1:40000 > 192.0.2.2:80 [S] len 0",
	  DMS_CSUM_OK, 14 },
	{ FX(vlan_ipv4_icmp), DMS_L2_ETHERNET,
	  "vlan 100 IPv4 ICMP 10.1.2.3 > 10.1.2.4 type 8 code 0 len 32", DMS_CSUM_OK, 18 },
	{ FX(qinq_ipv6_udp), DMS_L2_ETHERNET,
	  "vlan 10.20 IPv6 UDP [2001:db8::1]:5001 > [2001:db8::2]:33000 len 32", DMS_CSUM_OK,
	  22 + 40 },
	{ FX(ipv6_ext_tcp), DMS_L2_NONE,
	  "IPv6 frag TCP [2001:db8::10]:443 > [2001:db8::99]:51000 [P.] off 0 len 5", DMS_CSUM_OK,
	  129 - 25 },
	{ FX(ipv6_icmp6), DMS_L2_NONE, "IPv6 ICMPv6 fe80::1 > fe80::2 type 128 code 0 len 32",
	  DMS_CSUM_OK, 40 },
	{ FX(eth_arp), DMS_L2_ETHERNET, "ARP request who-has 192.0.2.2 tell 192.0.2.1",
	  DMS_CSUM_NONE, 0 },
	{ FX(ipv4_tcp_partial), DMS_L2_NONE,
	  "IPv4 TCP 203.0.113.5:33333 > 203.0.113.6:22 [P.] len 32", DMS_CSUM_PARTIAL, 0 },
	{ FX(ipv4_udp_nocsum), DMS_L2_NONE, "IPv4 UDP 198.51.100.1:4000 > 198.51.100.2:4001 len 32",
	  DMS_CSUM_NONE, 0 },
	{ FX(eth_ipv4_frag), DMS_L2_ETHERNET,
	  "IPv4 frag UDP 198.51.100.7 > 198.51.100.9 off 1480 len 64", DMS_CSUM_NONE, 0 },
};

#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

// Copy len bytes to an exactly sized heap buffer at an odd offset, so ASan
// catches any read past the end; the caller frees *base.
static uint8_t *place(const uint8_t *data, size_t len, size_t off, uint8_t **base)
{
	*base = malloc(off + len + 1);
	memset(*base, 0xa5, off);
	memcpy(*base + off, data, len);
	return *base + off;
}

// Decode buf as l2 and report a readable failure if the status differs.
#define EXPECT_STATUS(pkt, want)                                                                   \
	do {                                                                                       \
		if ((pkt)->status != (want)) {                                                     \
			test_fail(__FILE__, __LINE__, "status: expected %s, got %s (%s)",          \
				  dms_pkt_status_name(want), dms_pkt_status_name((pkt)->status),   \
				  (pkt)->reason ? (pkt)->reason : "");                             \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void dms_pkt_decode_fixtures_at_odd_offsets(void)
{
	for (size_t f = 0; f < NFIXTURES; f++) {
		const struct fixture *fx = &fixtures[f];
		uint8_t *base;
		uint8_t *p = place(fx->data, fx->len, 2 * f + 1, &base);
		struct dms_pkt pkt;
		char line[160];
		dms_pkt_decode(p, fx->len, fx->l2, &pkt);
		dms_pkt_format(&pkt, line, sizeof(line));
		free(base);
		if (pkt.status != DMS_PKT_OK || !dms_pkt_is_hit(&pkt) ||
		    strcmp(line, fx->summary) || pkt.l4_csum != fx->l4_csum ||
		    pkt.frame_len != fx->len || pkt.caplen != fx->len) {
			test_fail(__FILE__, __LINE__,
				  "%s: expected ok hit \"%s\" l4 csum %s len %zu, "
				  "got %s (%s) score %d \"%s\" l4 csum %s len %zu",
				  fx->name, fx->summary, dms_csum_name(fx->l4_csum), fx->len,
				  dms_pkt_status_name(pkt.status), pkt.reason ? pkt.reason : "",
				  pkt.score, line, dms_csum_name(pkt.l4_csum), pkt.frame_len);
			return;
		}
	}
}

static void dms_pkt_decode_eth_ipv4_udp_fields(void)
{
	struct dms_pkt pkt;
	static const uint8_t src[4] = { 198, 51, 100, 7 }, dst[4] = { 198, 51, 100, 9 };
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 0x0a };
	dms_pkt_decode(fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.l2, DMS_L2_ETHERNET);
	EXPECT_INT(pkt.nvlans, 0);
	EXPECT_UINT(pkt.ethertype, 0x0800);
	EXPECT_MEM(pkt.src_mac, smac, 6);
	EXPECT_INT(pkt.l3_off, 14);
	EXPECT_INT(pkt.ip_version, 4);
	EXPECT_INT(pkt.ip_csum, DMS_CSUM_OK);
	EXPECT_MEM(pkt.src_addr, src, 4);
	EXPECT_MEM(pkt.dst_addr, dst, 4);
	EXPECT_INT(pkt.proto, 17);
	EXPECT_INT(pkt.l4_off, 34);
	EXPECT_INT(pkt.sport, 5000);
	EXPECT_INT(pkt.dport, 6000);
	EXPECT_INT(pkt.l3_len, 60);
	EXPECT_INT(pkt.ttl, 64);
	EXPECT_INT(pkt.score, 40 + 10 + 40 + 10);
}

static void dms_pkt_decode_ipv4_options_parsed(void)
{
	struct dms_pkt pkt;
	dms_pkt_decode(fx_eth_ipv4opt_tcp, sizeof(fx_eth_ipv4opt_tcp), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.l3_hdr_len, 28);
	EXPECT_INT(pkt.l4_off, 14 + 28);
	EXPECT_UINT(pkt.tcp_flags, 0x02);
}

// Recompute an IPv4 header checksum, independently of lib/.
static void fix_ipv4_csum(uint8_t *h)
{
	size_t hl = (size_t)(h[0] & 15) * 4;
	uint32_t sum = 0;
	h[10] = h[11] = 0;
	for (size_t i = 0; i < hl; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	h[10] = (uint8_t)(~sum >> 8);
	h[11] = (uint8_t)~sum;
}

static void dms_pkt_decode_ipv4_bad_option_length_invalid(void)
{
	uint8_t buf[sizeof(fx_eth_ipv4opt_tcp)];
	memcpy(buf, fx_eth_ipv4opt_tcp, sizeof(buf));
	// Router alert option (at 14 + 20 + 2) claims 9 bytes: past the header.
	buf[14 + 20 + 3] = 9;
	fix_ipv4_csum(buf + 14);
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv4 option length");
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
}

static void dms_pkt_decode_ipv4_header_checksum_flip_invalid(void)
{
	uint8_t buf[sizeof(fx_eth_ipv4_udp)];
	memcpy(buf, fx_eth_ipv4_udp, sizeof(buf));
	buf[14 + 8] ^= 0x01; // TTL
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv4 header checksum");
	EXPECT_INT(pkt.ip_csum, DMS_CSUM_BAD);
	EXPECT_INT(pkt.score, 0);
}

// Every one-byte change inside the checksummed part of a frame makes it a
// non-hit.
static void dms_pkt_decode_one_byte_flips_rejected(void)
{
	uint8_t buf[256];
	for (size_t f = 0; f < NFIXTURES; f++) {
		const struct fixture *fx = &fixtures[f];
		if (!fx->covered_from)
			continue;
		for (size_t i = fx->covered_from; i < fx->len; i++) {
			for (unsigned int x = 1; x < 256; x <<= 1) {
				memcpy(buf, fx->data, fx->len);
				buf[i] ^= (uint8_t)x;
				struct dms_pkt pkt;
				dms_pkt_decode(buf, fx->len, fx->l2, &pkt);
				if (dms_pkt_is_hit(&pkt)) {
					test_fail(__FILE__, __LINE__,
						  "%s with byte %zu ^= %#x: expected no hit, "
						  "got %s score %d l4 csum %s",
						  fx->name, i, x, dms_pkt_status_name(pkt.status),
						  pkt.score, dms_csum_name(pkt.l4_csum));
					return;
				}
			}
		}
	}
}

// Every prefix of every fixture is TRUNCATED (never INVALID, never OK),
// decoded from an exactly sized buffer.
static void dms_pkt_decode_every_prefix_truncated(void)
{
	for (size_t f = 0; f < NFIXTURES; f++) {
		const struct fixture *fx = &fixtures[f];
		for (size_t cut = 0; cut < fx->len; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);
			memcpy(copy, fx->data, cut);
			struct dms_pkt pkt;
			dms_pkt_decode(copy, cut, fx->l2, &pkt);
			free(copy);
			if (pkt.status != DMS_PKT_TRUNCATED || pkt.caplen != cut) {
				test_fail(__FILE__, __LINE__,
					  "%s cut at %zu: expected truncated caplen %zu, "
					  "got %s (%s) caplen %zu",
					  fx->name, cut, cut, dms_pkt_status_name(pkt.status),
					  pkt.reason ? pkt.reason : "", pkt.caplen);
				return;
			}
		}
	}
}

static void dms_pkt_decode_truncated_l4_unverified(void)
{
	// Cut the UDP payload short: headers intact, checksum unverifiable.
	struct dms_pkt pkt;
	dms_pkt_decode(fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp) - 10, DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_TRUNCATED);
	EXPECT_STR(pkt.reason, "ipv4 payload");
	EXPECT_INT(pkt.l4_csum, DMS_CSUM_UNVERIFIED);
	EXPECT_INT(pkt.frame_len, sizeof(fx_eth_ipv4_udp));
	EXPECT_INT(pkt.caplen, sizeof(fx_eth_ipv4_udp) - 10);
	// Ethernet context + valid IPv4 header + UDP header: a (weak) hit.
	EXPECT_INT(pkt.score, 60);
	EXPECT_TRUE(dms_pkt_is_hit(&pkt));
	// Without the Ethernet header the same bytes are not enough.
	dms_pkt_decode(fx_eth_ipv4_udp + 14, sizeof(fx_eth_ipv4_udp) - 24, DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_TRUNCATED);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
}

static void dms_pkt_decode_bare_0x45_not_hit(void)
{
	static const uint8_t one[1] = { 0x45 };
	uint8_t zeros[64] = { 0x45 };
	uint8_t fill[64];
	memset(fill, 0x45, sizeof(fill));
	struct dms_pkt pkt;
	dms_pkt_decode(one, sizeof(one), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_TRUNCATED);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
	dms_pkt_decode(zeros, sizeof(zeros), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
	dms_pkt_decode(fill, sizeof(fill), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
}

static void dms_pkt_decode_ipv4_header_only_not_hit(void)
{
	// A valid IPv4 header of an unknown protocol, no Ethernet: the header
	// checksum alone never makes a hit.
	uint8_t h[20] = { 0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	fix_ipv4_csum(h);
	struct dms_pkt pkt;
	dms_pkt_decode(h, sizeof(h), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.ip_csum, DMS_CSUM_OK);
	EXPECT_INT(pkt.score, 40);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
}

static void dms_pkt_decode_vlan_tag(void)
{
	struct dms_pkt pkt;
	dms_pkt_decode(fx_vlan_ipv4_icmp, sizeof(fx_vlan_ipv4_icmp), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.nvlans, 1);
	EXPECT_UINT(pkt.vlan_tpid[0], 0x8100);
	EXPECT_INT(pkt.vlan_id[0], 100);
	EXPECT_INT(pkt.l3_off, 18);
	EXPECT_INT(pkt.icmp_type, 8);
}

static void dms_pkt_decode_qinq_stack(void)
{
	struct dms_pkt pkt;
	dms_pkt_decode(fx_qinq_ipv6_udp, sizeof(fx_qinq_ipv6_udp), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.nvlans, 2);
	EXPECT_UINT(pkt.vlan_tpid[0], 0x88a8);
	EXPECT_UINT(pkt.vlan_tpid[1], 0x8100);
	EXPECT_INT(pkt.vlan_id[0], 10);
	EXPECT_INT(pkt.vlan_id[1], 20);
	EXPECT_UINT(pkt.ethertype, 0x86dd);
	EXPECT_INT(pkt.l3_off, 22);
	EXPECT_INT(pkt.ip_version, 6);
}

static void dms_pkt_decode_three_vlan_tags_invalid(void)
{
	uint8_t buf[sizeof(fx_qinq_ipv6_udp) + 4];
	// Insert a third tag (0x8100, vid 30) after the two of the fixture.
	memcpy(buf, fx_qinq_ipv6_udp, 20);
	static const uint8_t tag[4] = { 0x81, 0x00, 0x00, 30 };
	memcpy(buf + 20, tag, 4);
	memcpy(buf + 24, fx_qinq_ipv6_udp + 20, sizeof(fx_qinq_ipv6_udp) - 20);
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "too many vlan tags");
}

static void dms_pkt_decode_ipv6_extension_headers(void)
{
	struct dms_pkt pkt;
	static const uint8_t final_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
	dms_pkt_decode(fx_ipv6_ext_tcp, sizeof(fx_ipv6_ext_tcp), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.proto, 6);
	// 40 + HBH 8 + DSTOPTS 8 + SRH 40 + fragment 8.
	EXPECT_INT(pkt.l4_off, 104);
	EXPECT_MEM(pkt.dst_addr, final_dst, 16);
	EXPECT_INT(pkt.fragment, 1);
	EXPECT_INT(pkt.frag_offset, 0);
	EXPECT_INT(pkt.more_fragments, 0);
	EXPECT_INT(pkt.l4_csum, DMS_CSUM_OK);
	EXPECT_INT(pkt.payload_len, 5);
}

static void dms_pkt_decode_ipv6_ext_header_too_long_invalid(void)
{
	uint8_t buf[sizeof(fx_ipv6_ext_tcp)];
	memcpy(buf, fx_ipv6_ext_tcp, sizeof(buf));
	buf[41] = 200; // hop-by-hop length: 1608 bytes, payload is 89
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv6 extension header length");
}

static void dms_pkt_decode_ipv6_bad_option_invalid(void)
{
	uint8_t buf[sizeof(fx_ipv6_ext_tcp)];
	memcpy(buf, fx_ipv6_ext_tcp, sizeof(buf));
	buf[43] = 5; // PadN length 5 overruns the 6 option bytes
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv6 option length");
}

static void dms_pkt_decode_ipv6_hbh_not_first_invalid(void)
{
	uint8_t buf[sizeof(fx_ipv6_ext_tcp)];
	memcpy(buf, fx_ipv6_ext_tcp, sizeof(buf));
	buf[48] = 0; // destination options header says hop-by-hop follows
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv6 hop-by-hop not first");
}

static void dms_pkt_decode_ipv6_unassigned_address_invalid(void)
{
	uint8_t buf[sizeof(fx_ipv6_icmp6)];
	memcpy(buf, fx_ipv6_icmp6, sizeof(buf));
	buf[8] = 0x40; // source 40XX::/8: not allocated
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv6 address not assigned");
	memcpy(buf, fx_ipv6_icmp6, sizeof(buf));
	buf[8] = 0xff; // multicast source
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
}

static void dms_ipv6_addr_plausible_blocks(void)
{
	uint8_t a[16] = { 0 };
	EXPECT_TRUE(dms_ipv6_addr_plausible(a, false)); // ::
	a[15] = 1;
	EXPECT_TRUE(dms_ipv6_addr_plausible(a, false)); // ::1
	a[9] = 1;
	EXPECT_TRUE(!dms_ipv6_addr_plausible(a, false)); // 0:0:0:0:1::1
	a[0] = 0x20;
	EXPECT_TRUE(dms_ipv6_addr_plausible(a, false));
	a[0] = 0x40;
	EXPECT_TRUE(!dms_ipv6_addr_plausible(a, true));
	a[0] = 0xff;
	EXPECT_TRUE(!dms_ipv6_addr_plausible(a, false));
	EXPECT_TRUE(dms_ipv6_addr_plausible(a, true));
}

static void dms_pkt_decode_icmp_unknown_type_invalid(void)
{
	uint8_t buf[sizeof(fx_vlan_ipv4_icmp)];
	memcpy(buf, fx_vlan_ipv4_icmp, sizeof(buf));
	// Type 8 -> 200 and fix the ICMP checksum by the same amount, so only
	// the type check can reject it.
	size_t icmp = 18 + 20;
	uint32_t c = (uint32_t)(buf[icmp + 2] << 8 | buf[icmp + 3]);
	buf[icmp] = 200;
	c = (c + 0xffff - ((200u - 8u) << 8)) % 0xffff;
	buf[icmp + 2] = (uint8_t)(c >> 8);
	buf[icmp + 3] = (uint8_t)c;
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "icmp type");
}

static void dms_pkt_decode_ipv6_fragment_reserved_invalid(void)
{
	uint8_t buf[sizeof(fx_ipv6_ext_tcp)];
	memcpy(buf, fx_ipv6_ext_tcp, sizeof(buf));
	buf[40 + 8 + 8 + 40 + 1] = 1; // fragment header reserved byte
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ipv6 fragment reserved");
}

static void dms_pkt_decode_partial_checksum(void)
{
	struct dms_pkt pkt;
	dms_pkt_decode(fx_ipv4_tcp_partial, sizeof(fx_ipv4_tcp_partial), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.l4_csum, DMS_CSUM_PARTIAL);
	EXPECT_INT(pkt.score, 40 + 10 + 30);
}

static void dms_pkt_decode_udp_length_mismatch_invalid(void)
{
	uint8_t buf[sizeof(fx_ipv4_udp_nocsum)];
	memcpy(buf, fx_ipv4_udp_nocsum, sizeof(buf));
	buf[20 + 5] -= 1; // UDP length one less than the IP payload
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "udp length");
}

static void dms_pkt_decode_fragment_needs_ethernet(void)
{
	struct dms_pkt pkt;
	dms_pkt_decode(fx_eth_ipv4_frag, sizeof(fx_eth_ipv4_frag), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.frag_offset, 1480);
	EXPECT_INT(pkt.l4_off, 0);
	EXPECT_TRUE(dms_pkt_is_hit(&pkt));
	dms_pkt_decode(fx_eth_ipv4_frag + 14, sizeof(fx_eth_ipv4_frag) - 14, DMS_L2_NONE, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.score, 50);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
}

static void dms_pkt_decode_arp_sender_mismatch_not_hit(void)
{
	uint8_t buf[sizeof(fx_eth_arp)];
	memcpy(buf, fx_eth_arp, sizeof(buf));
	buf[14 + 8 + 5] ^= 0x10; // sender hardware address != Ethernet source
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.score, 50);
	EXPECT_TRUE(!dms_pkt_is_hit(&pkt));
	buf[14 + 7] = 3; // RARP opcode
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
}

static void dms_pkt_decode_unknown_ethertype_invalid(void)
{
	uint8_t buf[sizeof(fx_eth_ipv4_udp)];
	memcpy(buf, fx_eth_ipv4_udp, sizeof(buf));
	buf[12] = 0x88;
	buf[13] = 0xb5;
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_INVALID);
	EXPECT_STR(pkt.reason, "ethertype not recognised");
}

static void dms_pkt_decode_ignores_trailing_padding(void)
{
	uint8_t buf[sizeof(fx_eth_arp) + 18];
	memcpy(buf, fx_eth_arp, sizeof(fx_eth_arp));
	memset(buf + sizeof(fx_eth_arp), 0, 18);
	struct dms_pkt pkt;
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	EXPECT_STATUS(&pkt, DMS_PKT_OK);
	EXPECT_INT(pkt.frame_len, 42);
	EXPECT_INT(pkt.caplen, 42);
}

static void dms_pkt_format_truncates_output(void)
{
	struct dms_pkt pkt;
	char small[10];
	dms_pkt_decode(fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET, &pkt);
	size_t n = dms_pkt_format(&pkt, small, sizeof(small));
	EXPECT_INT(n, strlen("IPv4 UDP 198.51.100.7:5000 > 198.51.100.9:6000 len 32"));
	EXPECT_STR(small, "IPv4 UDP ");
	EXPECT_INT(dms_pkt_format(&pkt, NULL, 0), n);
}

static void dms_pkt_format_arp_reply(void)
{
	uint8_t buf[sizeof(fx_eth_arp)];
	memcpy(buf, fx_eth_arp, sizeof(buf));
	buf[14 + 7] = 2;
	struct dms_pkt pkt;
	char line[100];
	dms_pkt_decode(buf, sizeof(buf), DMS_L2_ETHERNET, &pkt);
	dms_pkt_format(&pkt, line, sizeof(line));
	EXPECT_STR(line, "ARP reply 192.0.2.1 is-at 02:00:00:00:00:0a");
}

static void dms_csum_add_odd_length_and_chaining(void)
{
	static const uint8_t data[5] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
	// 0x1234 + 0x5678 + 0x9a00 = 0x1_02ac -> 0x02ad
	EXPECT_UINT(dms_csum_fold(dms_csum_add(0, data, 5)), 0x02ad);
	uint32_t s = dms_csum_add(0, data, 2);
	EXPECT_UINT(dms_csum_fold(dms_csum_add(s, data + 2, 3)), 0x02ad);
	EXPECT_UINT(dms_csum_fold(dms_csum_add(0, data, 0)), 0);
}

const struct dms_test pkt_tests[] = {
	TEST_ENTRY(dms_pkt_decode_fixtures_at_odd_offsets),
	TEST_ENTRY(dms_pkt_decode_eth_ipv4_udp_fields),
	TEST_ENTRY(dms_pkt_decode_ipv4_options_parsed),
	TEST_ENTRY(dms_pkt_decode_ipv4_bad_option_length_invalid),
	TEST_ENTRY(dms_pkt_decode_ipv4_header_checksum_flip_invalid),
	TEST_ENTRY(dms_pkt_decode_one_byte_flips_rejected),
	TEST_ENTRY(dms_pkt_decode_every_prefix_truncated),
	TEST_ENTRY(dms_pkt_decode_truncated_l4_unverified),
	TEST_ENTRY(dms_pkt_decode_bare_0x45_not_hit),
	TEST_ENTRY(dms_pkt_decode_ipv4_header_only_not_hit),
	TEST_ENTRY(dms_pkt_decode_vlan_tag),
	TEST_ENTRY(dms_pkt_decode_qinq_stack),
	TEST_ENTRY(dms_pkt_decode_three_vlan_tags_invalid),
	TEST_ENTRY(dms_pkt_decode_ipv6_extension_headers),
	TEST_ENTRY(dms_pkt_decode_ipv6_ext_header_too_long_invalid),
	TEST_ENTRY(dms_pkt_decode_ipv6_bad_option_invalid),
	TEST_ENTRY(dms_pkt_decode_ipv6_hbh_not_first_invalid),
	TEST_ENTRY(dms_pkt_decode_ipv6_unassigned_address_invalid),
	TEST_ENTRY(dms_ipv6_addr_plausible_blocks),
	TEST_ENTRY(dms_pkt_decode_icmp_unknown_type_invalid),
	TEST_ENTRY(dms_pkt_decode_ipv6_fragment_reserved_invalid),
	TEST_ENTRY(dms_pkt_decode_partial_checksum),
	TEST_ENTRY(dms_pkt_decode_udp_length_mismatch_invalid),
	TEST_ENTRY(dms_pkt_decode_fragment_needs_ethernet),
	TEST_ENTRY(dms_pkt_decode_arp_sender_mismatch_not_hit),
	TEST_ENTRY(dms_pkt_decode_unknown_ethertype_invalid),
	TEST_ENTRY(dms_pkt_decode_ignores_trailing_padding),
	TEST_ENTRY(dms_pkt_format_truncates_output),
	TEST_ENTRY(dms_pkt_format_arp_reply),
	TEST_ENTRY(dms_csum_add_odd_length_and_chaining),
	{ NULL, NULL },
};
