// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixtures.h"
#include "pcapw.h"
#include "test.h"

struct frame {
	const uint8_t *data;
	size_t len;
	enum dms_l2 l2;
};

static const struct frame frames[] = {
	{ fx_eth_ipv4_udp, sizeof(fx_eth_ipv4_udp), DMS_L2_ETHERNET },
	{ fx_ipv6_ext_tcp, sizeof(fx_ipv6_ext_tcp), DMS_L2_NONE },
	{ fx_qinq_ipv6_udp, sizeof(fx_qinq_ipv6_udp), DMS_L2_ETHERNET },
	{ fx_ipv4_tcp_partial, sizeof(fx_ipv4_tcp_partial), DMS_L2_NONE },
	{ fx_eth_arp, sizeof(fx_eth_arp), DMS_L2_ETHERNET },
	{ fx_ipv6_icmp6, sizeof(fx_ipv6_icmp6), DMS_L2_NONE },
	{ fx_vlan_ipv4_icmp, sizeof(fx_vlan_ipv4_icmp), DMS_L2_ETHERNET },
	{ fx_eth_ipv4opt_tcp, sizeof(fx_eth_ipv4opt_tcp), DMS_L2_ETHERNET },
};
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static void temp_path(char *buf, size_t size, const char *suffix)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	static int counter;
	snprintf(buf, size, "%s/dms-pcapw-%ld-%d%s", dir, (long)getpid(), counter++, suffix);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	*len = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
	fclose(f);
	return buf;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

// Write every frame (with metadata) into a pcapng file at path.
static struct dms_error *write_pcapng(const char *path, const char *owner)
{
	struct dms_pcapng *w;
	struct dms_error *err = dms_pcapng_create(path, &w);
	if (err)
		return err;
	for (size_t i = 0; i < NFRAMES && !err; i++) {
		struct dms_pkt pkt;
		dms_pkt_decode(frames[i].data, frames[i].len, frames[i].l2, &pkt);
		struct dms_pkt_meta meta = {
			.paddr = 0x1000 * (i + 1) + 1,
			.has_paddr = true,
			.kvaddr = 0xffff888000000000ull + 0x1000 * (i + 1) + 1,
			.has_kvaddr = true,
			.owner = owner,
			.ts_ns = i * 1000,
		};
		err = dms_pcapng_write(w, &pkt, frames[i].data, &meta);
	}
	struct dms_error *err2 = dms_pcapng_destroy(w);
	if (err) {
		dms_error_destroy(err2);
		return err;
	}
	return err2;
}

static void dms_pcapng_write_block_layout(void)
{
	char path[256];
	temp_path(path, sizeof(path), ".pcapng");
	EXPECT_OK(write_pcapng(path, "slab kmalloc-1k"));
	size_t len = 0;
	uint8_t *buf = read_file(path, &len);
	unlink(path);
	EXPECT_TRUE(buf != NULL);
	// Walk the blocks: each total length is a multiple of 4 and repeated at
	// its end.
	size_t pos = 0, idbs = 0, epbs = 0;
	uint16_t linktypes[2] = { 0, 0 };
	while (pos + 12 <= len) {
		uint32_t type = get32(buf + pos), total = get32(buf + pos + 4);
		if (total < 12 || total % 4 || total > len - pos ||
		    get32(buf + pos + total - 4) != total) {
			free(buf);
			test_fail(__FILE__, __LINE__, "block at %zu: bad length %u", pos, total);
			return;
		}
		if (pos == 0 && (type != 0x0a0d0d0a || get32(buf + 8) != 0x1a2b3c4d)) {
			free(buf);
			test_fail(__FILE__, __LINE__, "expected a section header first");
			return;
		}
		if (type == 1 && idbs < 2)
			linktypes[idbs++] = get16(buf + pos + 8);
		if (type == 6) {
			uint32_t iface = get32(buf + pos + 8);
			uint32_t caplen = get32(buf + pos + 20);
			const struct frame *fr = &frames[epbs];
			if (epbs >= NFRAMES || iface != (fr->l2 == DMS_L2_ETHERNET ? 0u : 1u) ||
			    caplen != fr->len || memcmp(buf + pos + 28, fr->data, fr->len)) {
				free(buf);
				test_fail(__FILE__, __LINE__,
					  "packet block %zu: expected iface %d caplen %zu", epbs,
					  fr->l2 == DMS_L2_ETHERNET ? 0 : 1, fr->len);
				return;
			}
			epbs++;
		}
		pos += total;
	}
	free(buf);
	EXPECT_INT(pos, len);
	EXPECT_INT(idbs, 2);
	EXPECT_INT(linktypes[0], DMS_LINKTYPE_ETHERNET);
	EXPECT_INT(linktypes[1], DMS_LINKTYPE_RAW);
	EXPECT_INT(epbs, NFRAMES);
}

// Second source: tshark reads the file back, dissects every frame without
// a malformed-packet error, and shows our comments.
static void dms_pcapng_write_tshark_roundtrip(void)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		test_skip("tshark not installed (apt-get install tshark)");
		return;
	}
	char path[256], out[256], cmd[800];
	temp_path(path, sizeof(path), ".pcapng");
	temp_path(out, sizeof(out), ".txt");
	EXPECT_OK(write_pcapng(path, "slab\tkmalloc-1k\xff"));
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.check_checksum:TRUE "
		 "-o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE "
		 "-T fields -E separator='|' -e frame.interface_id "
		 "-e frame.protocols -e frame.comment -e _ws.malformed "
		 "-e _ws.expert.severity >'%s' 2>/dev/null",
		 path, out);
	int rc = system(cmd);
	size_t len = 0;
	uint8_t *text = read_file(out, &len);
	unlink(path);
	unlink(out);
	EXPECT_INT(rc, 0);
	EXPECT_TRUE(text != NULL);
	char *save = NULL, *line = strtok_r((char *)text, "\n", &save);
	(void)len;
	for (size_t i = 0; i < NFRAMES; i++, line = strtok_r(NULL, "\n", &save)) {
		char want[300];
		struct dms_pkt pkt;
		dms_pkt_decode(frames[i].data, frames[i].len, frames[i].l2, &pkt);
		snprintf(want, sizeof(want),
			 "paddr=%#zx kvaddr=0xffff888%09zx owner=slab?kmalloc-1k? "
			 "score=%d status=ok ip_csum=%s l4_csum=%s",
			 0x1000 * (i + 1) + 1, 0x1000 * (i + 1) + 1, pkt.score,
			 dms_csum_name(pkt.ip_csum), dms_csum_name(pkt.l4_csum));
		const char *proto_prefix = frames[i].l2 == DMS_L2_ETHERNET ? "eth:" : "raw:";
		char *fields[5] = { 0 };
		// strsep keeps empty fields (strtok would merge them).
		char *rest = line;
		for (int k = 0; k < 5 && rest; k++)
			fields[k] = strsep(&rest, "|");
		// Expert infos above "chat" (notes, warnings, errors) are
		// problems; the offloaded-checksum frame is the only one
		// tshark may warn about (its TCP checksum).  Nothing may be
		// malformed.
		bool partial = pkt.l4_csum == DMS_CSUM_PARTIAL;
		bool problem = false;
		for (char *sev = fields[4]; sev && *sev;) {
			char *end;
			unsigned long v = strtoul(sev, &end, 0);
			if (v > 0x200000 && !partial)
				problem = true;
			sev = *end == ',' ? end + 1 : NULL;
		}
		if (!line || !fields[1] || !fields[2] || strcmp(fields[2], want) ||
		    strncmp(fields[1], proto_prefix, 4) || (fields[3] && strlen(fields[3]) > 0) ||
		    problem) {
			test_fail(__FILE__, __LINE__,
				  "frame %zu: expected %s... comment \"%s\", no expert info; "
				  "got \"%s\" \"%s\" malformed \"%s\" expert \"%s\"",
				  i, proto_prefix, want, fields[1] ? fields[1] : "",
				  fields[2] ? fields[2] : "", fields[3] ? fields[3] : "",
				  fields[4] ? fields[4] : "");
			free(text);
			return;
		}
	}
	bool extra = line != NULL;
	free(text);
	EXPECT_TRUE(!extra);
}

static void dms_pcap_write_two_files_read_back(void)
{
	char eth[256], raw[256];
	temp_path(eth, sizeof(eth), "-eth.pcap");
	temp_path(raw, sizeof(raw), "-raw.pcap");
	struct dms_pcap *w;
	EXPECT_OK(dms_pcap_create(eth, raw, &w));
	for (size_t i = 0; i < NFRAMES; i++) {
		struct dms_pkt pkt;
		dms_pkt_decode(frames[i].data, frames[i].len, frames[i].l2, &pkt);
		struct dms_error *err = dms_pcap_write(w, &pkt, frames[i].data, NULL);
		if (err) {
			dms_error_destroy(dms_pcap_destroy(w));
			EXPECT_OK(err);
		}
	}
	EXPECT_OK(dms_pcap_destroy(w));
	// Read both files back with libpcap; frames must come out in order,
	// each in the file of its link type.
	const char *paths[2] = { eth, raw };
	const int dlts[2] = { DLT_EN10MB, DLT_RAW };
	size_t next[2] = { 0, 0 }, counts[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		char errbuf[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(paths[k], errbuf);
		if (!p) {
			unlink(eth);
			unlink(raw);
			test_fail(__FILE__, __LINE__, "pcap_open_offline %s: %s", paths[k], errbuf);
			return;
		}
		int dlt = pcap_datalink(p);
		struct pcap_pkthdr *hdr;
		const u_char *data;
		while (pcap_next_ex(p, &hdr, &data) == 1) {
			enum dms_l2 want_l2 = k == 0 ? DMS_L2_ETHERNET : DMS_L2_NONE;
			while (next[k] < NFRAMES && frames[next[k]].l2 != want_l2)
				next[k]++;
			if (next[k] >= NFRAMES || hdr->caplen != frames[next[k]].len ||
			    memcmp(data, frames[next[k]].data, hdr->caplen)) {
				pcap_close(p);
				unlink(eth);
				unlink(raw);
				test_fail(__FILE__, __LINE__, "%s: packet %zu differs", paths[k],
					  counts[k]);
				return;
			}
			next[k]++;
			counts[k]++;
		}
		pcap_close(p);
		if (dlt != dlts[k]) {
			unlink(eth);
			unlink(raw);
			EXPECT_INT(dlt, dlts[k]);
		}
	}
	unlink(eth);
	unlink(raw);
	EXPECT_INT(counts[0], 5);
	EXPECT_INT(counts[1], 3);
}

static void dms_pcap_create_bad_path_fails(void)
{
	struct dms_pcap *w = NULL;
	struct dms_pcapng *ng = NULL;
	EXPECT_ERR(dms_pcap_create("/nonexistent-dir/x.pcap", NULL, &w), DMS_ERR_PCAP);
	EXPECT_ERR(dms_pcapng_create("/nonexistent-dir/x.pcapng", &ng), DMS_ERR_IO);
	EXPECT_TRUE(w == NULL && ng == NULL);
}

static void dms_pkt_comment_sanitises_owner(void)
{
	struct dms_pkt pkt;
	dms_pkt_decode(fx_eth_arp, sizeof(fx_eth_arp), DMS_L2_ETHERNET, &pkt);
	struct dms_pkt_meta meta = { .paddr = 0x10, .has_paddr = true, .owner = "a\nb%s\x80" };
	char buf[200];
	dms_pkt_comment(&pkt, &meta, buf, sizeof(buf));
	EXPECT_STR(buf, "paddr=0x10 owner=a?b%s? score=70 status=ok ip_csum=none l4_csum=none");
}

const struct dms_test pcapw_tests[] = {
	TEST_ENTRY(dms_pcapng_write_block_layout),
	TEST_ENTRY(dms_pcapng_write_tshark_roundtrip),
	TEST_ENTRY(dms_pcap_write_two_files_read_back),
	TEST_ENTRY(dms_pcap_create_bad_path_fails),
	TEST_ENTRY(dms_pkt_comment_sanitises_owner),
	{ NULL, NULL },
};
