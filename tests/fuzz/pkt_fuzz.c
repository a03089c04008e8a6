// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz dms_pkt_decode() (both start kinds), dms_pkt_format() and
// dms_pkt_comment() on arbitrary bytes.
#include <string.h>

#include "fuzz.h"
#include "pcapw.h"
#include "pkt.h"

static void check(const uint8_t *data, size_t size, enum dms_l2 l2)
{
	struct dms_pkt pkt;
	enum dms_pkt_status st = dms_pkt_decode(data, size, l2, &pkt);
	FUZZ_CHECK(st == pkt.status);
	FUZZ_CHECK(pkt.caplen <= size);
	FUZZ_CHECK(pkt.caplen <= pkt.frame_len || pkt.status == DMS_PKT_INVALID);
	FUZZ_CHECK(pkt.status != DMS_PKT_OK || pkt.caplen == pkt.frame_len);
	FUZZ_CHECK(pkt.status == DMS_PKT_OK || pkt.reason != NULL);
	FUZZ_CHECK(pkt.nvlans <= DMS_PKT_MAX_VLANS);
	FUZZ_CHECK(pkt.l4_off == 0 || pkt.l4_off <= pkt.frame_len);
	if (dms_pkt_is_hit(&pkt))
		FUZZ_CHECK(pkt.score >= DMS_PKT_HIT_SCORE && pkt.l4_csum != DMS_CSUM_BAD);
	char line[256], small[7];
	size_t n = dms_pkt_format(&pkt, line, sizeof(line));
	FUZZ_CHECK(n < sizeof(line) ? strlen(line) == n : strlen(line) == sizeof(line) - 1);
	FUZZ_CHECK(dms_pkt_format(&pkt, small, sizeof(small)) == n);
	struct dms_pkt_meta meta = { .owner = (const char *)"own\x01er" };
	dms_pkt_comment(&pkt, &meta, line, sizeof(line));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, DMS_L2_ETHERNET);
	check(data, size, DMS_L2_NONE);
	return 0;
}
