// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/cryptopan.c and lib/redact.c: Crypto-PAn against the reference
// implementation's published sample (its key and the addresses of sample_trace_raw.dat
// with their sanitised forms), prefix preservation for IPv6, keyed MACs, frames that
// still carry valid checksums after redaction, and text.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryptopan.h"
#include "fixtures.h"
#include "pkt.h"
#include "redact.h"
#include "test.h"

// The key of the Crypto-PAn reference distribution's sample.
static const uint8_t REF_KEY[32] = { 21,  34, 23,  141, 51, 164, 207, 128, 19,	10,  91,
				     22,  73, 144, 125, 16, 216, 152, 143, 131, 121, 121,
				     101, 39, 98,  87,	76, 45,	 42,  132, 34,	2 };
static const char *const REF[][2] = {
	{ "128.11.68.132", "135.242.180.132" },	  { "129.118.74.4", "134.136.186.123" },
	{ "130.132.252.244", "133.68.164.234" },  { "141.223.7.43", "141.167.8.160" },
	{ "141.233.145.108", "141.129.237.235" }, { "152.163.225.39", "151.140.114.167" },
	{ "156.29.3.236", "147.225.12.42" },	  { "165.247.96.84", "162.9.99.234" },
	{ "166.107.77.190", "160.132.178.185" },  { "192.102.249.13", "252.138.62.131" },
	{ "192.215.32.125", "252.43.47.189" },	  { "192.233.80.103", "252.25.108.8" },
	{ "192.41.57.43", "252.222.221.184" },	  { "193.150.244.223", "253.169.52.216" },
	{ "195.205.63.100", "255.186.223.5" },
};

static void dms_cryptopan_anon_reference_vectors(void)
{
	struct dms_cryptopan *c;

	EXPECT_OK(dms_cryptopan_create(REF_KEY, &c));
	for (size_t i = 0; i < sizeof(REF) / sizeof(REF[0]); i++) {
		uint8_t a[4], b[4];
		char got[INET_ADDRSTRLEN];
		inet_pton(AF_INET, REF[i][0], a);
		dms_cryptopan_anon(c, a, b, 4);
		inet_ntop(AF_INET, b, got, sizeof(got));
		if (strcmp(got, REF[i][1])) {
			dms_cryptopan_destroy(c);
			EXPECT_STR(got, REF[i][1]);
		}
	}
	dms_cryptopan_destroy(c);
}

static size_t common_prefix(const uint8_t *a, const uint8_t *b, size_t nbytes)
{
	for (size_t i = 0; i < nbytes * 8; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return i;
	return nbytes * 8;
}

static void dms_cryptopan_anon_ipv6_prefix_preserving(void)
{
	struct dms_cryptopan *c;
	uint8_t key[32];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 3);
	EXPECT_OK(dms_cryptopan_create(key, &c));
	srand(11);
	for (int t = 0; t < 200; t++) {
		uint8_t a[16], b[16], ma[16], mb[16];
		for (int i = 0; i < 16; i++)
			a[i] = (uint8_t)rand();
		// b shares the first k bits of a, then differs.
		size_t k = (size_t)rand() % 128;
		memcpy(b, a, 16);
		b[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
		for (size_t i = k + 1; i < 128; i++)
			if (rand() & 1)
				b[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
		dms_cryptopan_anon(c, a, ma, 16);
		dms_cryptopan_anon(c, b, mb, 16);
		if (common_prefix(ma, mb, 16) != k) {
			dms_cryptopan_destroy(c);
			EXPECT_INT(common_prefix(ma, mb, 16), k);
		}
	}
	dms_cryptopan_destroy(c);
}

static struct dms_redact *redactor(uint8_t seed, size_t keep, bool cut, bool oui)
{
	uint8_t key[32];
	struct dms_redact_opts o = { .keep = keep, .cut = cut, .keep_oui = oui };
	struct dms_redact *r = NULL;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(seed + i);
	dms_error_destroy(dms_redact_create(key, &o, &r));
	return r;
}

static void dms_redact_mac_keyed(void)
{
	struct dms_redact *r = redactor(1, 0, false, false), *r2 = redactor(2, 0, false, false),
			  *ro = redactor(1, 0, false, true);
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x5a, 0x10, 0x01 },
		      mcast[6] = { 0x01, 0x00, 0x5e, 1, 2, 3 };
	const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t a[6], b[6], c[6], d[6], e[6], f[6];

	dms_redact_mac(r, mac, a);
	dms_redact_mac(r, mac, b);
	dms_redact_mac(r2, mac, c);
	dms_redact_mac(ro, mac, d);
	dms_redact_mac(r, mcast, e);
	dms_redact_mac(r, bcast, f);
	bool stable = !memcmp(a, b, 6), differs = memcmp(a, c, 6) != 0,
	     changed = memcmp(a, mac, 6) != 0;
	bool local = (a[0] & 0x03) == 0x02, oui = !memcmp(d, mac, 3) && memcmp(d, mac, 6);
	bool group = (e[0] & 1) && memcmp(e, mcast, 6), bc = !memcmp(f, bcast, 6);
	dms_redact_destroy(r);
	dms_redact_destroy(r2);
	dms_redact_destroy(ro);
	EXPECT_TRUE(stable);
	EXPECT_TRUE(differs);
	EXPECT_TRUE(changed);
	EXPECT_TRUE(local);
	EXPECT_TRUE(oui);
	EXPECT_TRUE(group);
	EXPECT_TRUE(bc);
}

// The L4 checksum of a frame verifies (sum over pseudo-header and segment is 0xffff).
static bool l4_sum_ok(const uint8_t *f, const struct dms_pkt *p)
{
	size_t l3 = p->l3_off, end = l3 + p->l3_len, l4 = p->l4_off, seg = end - l4;
	uint32_t sum = 0;

	if (p->proto != 1) {
		uint8_t tail[8] = { 0 };
		if (p->ip_version == 6) {
			sum = dms_csum_add(sum, f + l3 + 8, 32);
			tail[2] = (uint8_t)(seg >> 8);
			tail[3] = (uint8_t)seg;
			tail[7] = p->proto;
			sum = dms_csum_add(sum, tail, 8);
		} else {
			sum = dms_csum_add(sum, f + l3 + 12, 8);
			tail[1] = p->proto;
			tail[2] = (uint8_t)(seg >> 8);
			tail[3] = (uint8_t)seg;
			sum = dms_csum_add(sum, tail, 4);
		}
	}
	sum = dms_csum_add(sum, f + l4, seg);
	return dms_csum_fold(sum) == 0xffff;
}

struct frame_case {
	const char *name;
	const uint8_t *data;
	size_t len;
	enum dms_l2 l2;
};

static void dms_redact_frame_fixtures_keep_checksums(void)
{
	static const struct frame_case cases[] = {
		{ "eth ipv4 udp", fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET },
		{ "eth ipv4 options tcp", fx_eth_ipv4opt_tcp, sizeof(fx_eth_ipv4opt_tcp),
		  DMS_L2_ETHERNET },
		{ "vlan ipv4 icmp", fx_vlan_ipv4_icmp, sizeof(fx_vlan_ipv4_icmp), DMS_L2_ETHERNET },
		{ "qinq ipv6 udp", fx_qinq_ipv6_udp, sizeof(fx_qinq_ipv6_udp), DMS_L2_ETHERNET },
		{ "ipv6 ext tcp", fx_ipv6_ext_tcp, sizeof(fx_ipv6_ext_tcp), DMS_L2_NONE },
		{ "ipv6 icmpv6", fx_ipv6_icmp6, sizeof(fx_ipv6_icmp6), DMS_L2_NONE },
		{ "ipv4 tcp partial", fx_ipv4_tcp_partial, sizeof(fx_ipv4_tcp_partial),
		  DMS_L2_NONE },
		{ "ipv4 udp no checksum", fx_ipv4_udp_nocsum, sizeof(fx_ipv4_udp_nocsum),
		  DMS_L2_NONE },
	};
	struct dms_redact *r = redactor(5, 0, false, false);
	static uint8_t mem[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct frame_case *c = &cases[i];
		struct dms_pkt p, q;
		uint8_t *f = mem + 1 + 2 * i; // odd offsets
		memcpy(f, c->data, c->len);
		dms_pkt_decode(f, c->len, c->l2, &p);
		size_t kept = dms_redact_frame(r, f, c->len, &p);
		dms_pkt_decode(f, c->len, c->l2, &q);
		size_t alen = p.ip_version == 6 ? 16 : 4;
		uint8_t want_src[16], want_dst[16];
		// The header's addresses (the decoder's dst is an SRH's final segment), read
		// back from the bytes: the decoder may reject a mapped IPv6 address as
		// implausible (a global prefix can map to any other).
		size_t at = p.l3_off + (alen == 16 ? 8 : 12);
		dms_redact_ip(r, c->data + at, want_src, alen);
		dms_redact_ip(r, c->data + at + alen, want_dst, alen);
		const uint8_t *s = f + at;
		bool addrs = !memcmp(s, want_src, alen) && !memcmp(s + alen, want_dst, alen);
		bool macs = c->l2 != DMS_L2_ETHERNET ||
			    (memcmp(q.dst_mac, p.dst_mac, 6) && memcmp(q.src_mac, p.src_mac, 6));
		size_t hdr = p.l4_off + (p.proto == 6 ? (size_t)(f[p.l4_off + 12] >> 4) * 4 : 8);
		bool payload_zero = true;
		for (size_t k = hdr; k < c->len; k++)
			payload_zero &= f[k] == 0;
		bool ip_ok = p.ip_version == 6 || q.ip_csum == DMS_CSUM_OK;
		bool l4_ok = (p.proto == 17 && p.ip_version == 4 && !f[p.l4_off + 6] &&
			      !f[p.l4_off + 7] && p.l4_csum == DMS_CSUM_NONE) ||
			     l4_sum_ok(f, &p);
		if (!(kept == c->len && addrs && macs && payload_zero && ip_ok && l4_ok)) {
			dms_redact_destroy(r);
			test_fail(__FILE__, __LINE__,
				  "%s: kept %zu of %zu, addresses mapped %d, MACs mapped %d, "
				  "payload zero %d, "
				  "IP checksum %d, L4 checksum %d",
				  c->name, kept, c->len, addrs, macs, payload_zero, ip_ok, l4_ok);
			return;
		}
	}
	// IPv6 segment routing header: its segment addresses are mapped too.
	memcpy(mem, fx_ipv6_ext_tcp, sizeof(fx_ipv6_ext_tcp));
	struct dms_pkt p;
	dms_pkt_decode(mem, sizeof(fx_ipv6_ext_tcp), DMS_L2_NONE, &p);
	dms_redact_frame(r, mem, sizeof(fx_ipv6_ext_tcp), &p);
	bool leaked = false;
	for (size_t k = 0; k + 16 <= sizeof(fx_ipv6_ext_tcp); k++) {
		static const uint8_t doc[4] = { 0x20, 0x01, 0x0d,
						0xb8 }; // 2001:db8::/32 of the fixture
		leaked |= !memcmp(mem + k, doc, 4);
	}
	dms_redact_destroy(r);
	EXPECT_FALSE(leaked);
}

static void dms_redact_frame_arp_keep_cut(void)
{
	struct dms_redact *r = redactor(9, 0, false, false), *rk = redactor(9, 4, false, false),
			  *rc = redactor(9, 0, true, false);
	uint8_t f[128];
	struct dms_pkt p;

	memcpy(f, fx_eth_arp, sizeof(fx_eth_arp));
	dms_pkt_decode(f, sizeof(fx_eth_arp), DMS_L2_ETHERNET, &p);
	dms_redact_frame(r, f, sizeof(fx_eth_arp), &p);
	uint8_t spa[4], want[4];
	memcpy(spa, f + p.l3_off + 14, 4);
	dms_redact_ip(r, fx_eth_arp + p.l3_off + 14, want, 4);
	bool arp = !memcmp(spa, want, 4) && memcmp(f + p.l3_off + 8, fx_eth_arp + p.l3_off + 8, 6);

	memcpy(f, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	dms_pkt_decode(f, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET, &p);
	size_t hdr = p.l4_off + 8;
	dms_redact_frame(rk, f, sizeof(fx_eth_ipv4_udp), &p);
	bool kept4 =
		!memcmp(f + hdr, fx_eth_ipv4_udp + hdr, 4) && f[hdr + 4] == 0 && l4_sum_ok(f, &p);
	memcpy(f, fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp));
	size_t cut = dms_redact_frame(rc, f, sizeof(fx_eth_ipv4_udp), &p);
	dms_redact_destroy(r);
	dms_redact_destroy(rk);
	dms_redact_destroy(rc);
	EXPECT_TRUE(arp);
	EXPECT_TRUE(kept4);
	EXPECT_INT(cut, hdr);
}

// IPv6 neighbor solicitation (RFC 4861 4.3) with a source link-layer address option.
static void dms_redact_frame_neighbor_discovery(void)
{
	static uint8_t f[1 + 72];
	uint8_t *n = f + 1; // odd offset
	static const uint8_t hdr[40] = { 0x60, 0,	 0,    0,    0,	       32,   58, 255, 0xfe,
					 0x80, [23] = 1, 0xff, 0x02, [35] = 1, 0xff, 0,	 0,   2 };
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	memcpy(n, hdr, 40);
	n[40] = 135; // NS
	n[48] = 0xfe;
	n[49] = 0x80;
	n[63] = 2; // target fe80::2
	n[64] = 1; // option: source link-layer address, 1 x 8 bytes
	n[65] = 1;
	memcpy(n + 66, mac, 6);
	uint8_t tail[8] = { 0, 0, 0, 32, 0, 0, 0, 58 };
	uint32_t sum = dms_csum_add(dms_csum_add(0, n + 8, 32), tail, 8);
	uint16_t c = (uint16_t)~dms_csum_fold(dms_csum_add(sum, n + 40, 32));
	n[42] = (uint8_t)(c >> 8);
	n[43] = (uint8_t)c;
	struct dms_pkt p;
	dms_pkt_decode(n, 72, DMS_L2_NONE, &p);
	EXPECT_INT(p.l4_off, 40);
	struct dms_redact *r = redactor(4, 0, false, false);
	uint8_t want_target[16], want_mac[6], target[16] = { 0xfe, 0x80, [15] = 2 };
	dms_redact_ip(r, target, want_target, 16);
	dms_redact_mac(r, mac, want_mac);
	dms_redact_frame(r, n, 72, &p);
	dms_redact_destroy(r);
	EXPECT_MEM(n + 48, want_target, 16);
	EXPECT_INT(n[64], 1); // the option keeps its type and length
	EXPECT_INT(n[65], 1);
	EXPECT_MEM(n + 66, want_mac, 6);
	EXPECT_TRUE(l4_sum_ok(n, &p));
}

static void dms_redact_text_addresses_only(void)
{
	struct dms_redact *r = redactor(3, 0, false, false);
	char out[512], want[512];
	uint8_t a[4] = { 203, 0, 113, 9 }, b[4] = { 192, 0, 2, 10 },
		m[6] = { 0x52, 0x54, 0, 0x5a, 0x10, 1 };
	uint8_t v6[16];

	inet_pton(AF_INET6, "2001:db8::1", v6);
	dms_redact_ip(r, a, a, 4);
	dms_redact_ip(r, b, b, 4);
	dms_redact_mac(r, m, m);
	dms_redact_ip(r, v6, v6, 16);
	char s6[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, v6, s6, sizeof(s6));
	dms_redact_text(r,
			"tcp 203.0.113.9:443 > 192.0.2.10:51000 (2); MAC 52:54:00:5a:10:01; "
			"[2001:db8::1]:443; "
			"obj ff19e434df9d07b8 at 0xff19e434df9d07b8+0x88, 16:07:15, "
			"6.1.0-56-amd64, v1.2.3.4.5",
			out, sizeof(out));
	snprintf(want, sizeof(want),
		 "tcp %u.%u.%u.%u:443 > %u.%u.%u.%u:51000 (2); MAC %02x:%02x:%02x:%02x:%02x:%02x; "
		 "[%s]:443; "
		 "obj ff19e434df9d07b8 at 0xff19e434df9d07b8+0x88, 16:07:15, 6.1.0-56-amd64, "
		 "v1.2.3.4.5",
		 a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], m[0], m[1], m[2], m[3], m[4], m[5],
		 s6);
	size_t n = dms_redact_text(r, "192.0.2.10", out + 400, 5);
	dms_redact_destroy(r);
	EXPECT_STR(out, want);
	EXPECT_INT(strlen(out + 400), 4);
	EXPECT_TRUE(n >= 7);
}

static void dms_redact_create_spec_forms(void)
{
	struct dms_redact *r = NULL, *r2 = NULL;
	char path[] = "/tmp/dms-redact-key-XXXXXX";
	int fd = mkstemp(path);
	uint8_t in[4] = { 10, 1, 2, 3 }, x[4], y[4];

	EXPECT_TRUE(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	fprintf(fp, "correct horse battery staple\n");
	fclose(fp);
	char spec[96];
	snprintf(spec, sizeof(spec), "%s,keep=16,oui", path);
	struct dms_error *e1 = dms_redact_create_spec(spec, &r);
	struct dms_error *e2 = dms_redact_create_spec("pass:correct horse battery staple", &r2);
	bool same = false, opts = false;
	if (!e1 && !e2) {
		dms_redact_ip(r, in, x, 4);
		dms_redact_ip(r2, in, y, 4);
		same = !memcmp(x, y, 4); // a key file of a passphrase is that passphrase
		opts = dms_redact_options(r)->keep == 16 && dms_redact_options(r)->keep_oui &&
		       !dms_redact_options(r2)->keep;
	}
	unlink(path);
	dms_redact_destroy(r);
	dms_redact_destroy(r2);
	EXPECT_OK(e1);
	EXPECT_OK(e2);
	EXPECT_TRUE(same);
	EXPECT_TRUE(opts);
	EXPECT_ERR(dms_redact_create_spec("pass:x,keep=99999999", &r), DMS_ERR_INVALID_ARGUMENT);
	EXPECT_ERR(dms_redact_create_spec("/nonexistent/key", &r), DMS_ERR_IO);
	EXPECT_ERR(dms_redact_create_spec("env:DMS_SURELY_UNSET_VAR", &r),
		   DMS_ERR_INVALID_ARGUMENT);
}

const struct dms_test redact_tests[] = {
	TEST_ENTRY(dms_cryptopan_anon_reference_vectors),
	TEST_ENTRY(dms_cryptopan_anon_ipv6_prefix_preserving),
	TEST_ENTRY(dms_redact_mac_keyed),
	TEST_ENTRY(dms_redact_frame_fixtures_keep_checksums),
	TEST_ENTRY(dms_redact_frame_arp_keep_cut),
	TEST_ENTRY(dms_redact_frame_neighbor_discovery),
	TEST_ENTRY(dms_redact_text_addresses_only),
	TEST_ENTRY(dms_redact_create_spec_forms),
	{ 0 },
};
