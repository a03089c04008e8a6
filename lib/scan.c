// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: one-pass packet scanner.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(DMS_SCAN_NO_SIMD)
#include <emmintrin.h>
#define SCAN_SSE2 1
#endif

#include "cursor.h"
#include "pkt.h"
#include "scan.h"

// Reader scans: bytes scanned per read, and look-ahead read after them for
// frames that cross the chunk end (largest IPv4/IPv6 packet + L2 header).
#define SCAN_CHUNK (1u << 20)
#define SCAN_LOOKAHEAD (65535u + 40u + DMS_SCAN_MAX_L2_HDR)

void dms_scan_init(struct dms_scan *scan)
{
	memset(scan, 0, sizeof(*scan));
	scan->min_score = DMS_PKT_HIT_SCORE;
}

static bool is_vlan_tpid(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

// Given an ethertype at buf[e..e+2), walk back over VLAN tags and return
// the start of the Ethernet header, or -1 if it would start before buf.
static long eth_start(const uint8_t *buf, size_t e)
{
	unsigned int n = 0;
	while (n < DMS_PKT_MAX_VLANS && e >= 12 + 4 && is_vlan_tpid(dms_load_be16(buf + e - 4))) {
		e -= 4;
		n++;
	}
	if (e < 12)
		return -1;
	return (long)(e - 12);
}

struct scan_ctx {
	struct dms_scan *scan;
	const uint8_t *buf;
	size_t len, scan_len;
	uint64_t base;
	dms_hit_fn *fn;
	void *arg;
};

// Decode a candidate at off; report it if it is a hit.  Returns true if it
// was reported (*err set if the callback failed).
static bool try_report(struct scan_ctx *ctx, size_t off, enum dms_l2 l2, struct dms_error **err)
{
	struct dms_scan *scan = ctx->scan;
	if (off >= ctx->scan_len || ctx->base + off < scan->covered_end)
		return false;
	struct dms_hit hit;
	scan->decodes++;
	dms_pkt_decode(ctx->buf + off, ctx->len - off, l2, &hit.pkt);
	bool damaged = scan->damaged && dms_pkt_damaged(&hit.pkt);
	if (!damaged && (hit.pkt.status == DMS_PKT_INVALID || hit.pkt.score < scan->min_score))
		return false;
	hit.pkt.offset = off;
	hit.pos = ctx->base + off;
	hit.data = ctx->buf + off;
	scan->hits++;
	uint64_t end = hit.pos + (hit.pkt.caplen ? hit.pkt.caplen : 1);
	if (end > scan->covered_end)
		scan->covered_end = end;
	*err = ctx->fn(&hit, ctx->arg);
	return true;
}

// Candidate whose byte at i has high nibble 4 or 6 (IPv4/IPv6 version).
static struct dms_error *try_ip(struct scan_ctx *ctx, size_t i)
{
	const uint8_t *p = ctx->buf + i;
	size_t avail = ctx->len - i;
	uint16_t ethertype;
	struct dms_error *err = NULL;
	if (p[0] >> 4 == 4) {
		size_t hl = (size_t)(p[0] & 0xf) * 4;
		// Cheap checks first: header present, lengths, reserved flag,
		// a protocol that can make a hit (or a non-first fragment).
		if (hl < 20 || avail < hl)
			return NULL;
		if (dms_load_be16(p + 2) < hl || (p[6] & 0x80))
			return NULL;
		// A bare packet needs a protocol with a checksum; a
		// non-first fragment or another protocol needs Ethernet.
		uint8_t proto = p[9];
		bool eth = i >= 14 && dms_load_be16(p - 2) == 0x0800;
		if (!eth && ((proto != 6 && proto != 17 && proto != 1 && proto != 2) ||
			     (dms_load_be16(p + 6) & 0x1fff)))
			return NULL;
		if (dms_csum_fold(dms_csum_add(0, p, hl)) != 0xffff)
			return NULL;
		ethertype = 0x0800;
	} else {
		// IPv6: the whole packet must be present for the L4 checksum
		// that a hit needs; the next header must be one we decode.
		if (avail < 40)
			return NULL;
		size_t plen = dms_load_be16(p + 4);
		if (plen == 0 || plen > avail - 40)
			return NULL;
		switch (p[6]) {
		case 0:
		case 6:
		case 17:
		case 43:
		case 44:
		case 51:
		case 58:
		case 60:
			break;
		default:
			return NULL;
		}
		if (!dms_ipv6_addr_plausible(p + 8, false) ||
		    !dms_ipv6_addr_plausible(p + 24, true))
			return NULL;
		ethertype = 0x86dd;
	}
	if (i >= 14 && dms_load_be16(p - 2) == ethertype) {
		long f = eth_start(ctx->buf, i - 2);
		if (f >= 0 && try_report(ctx, (size_t)f, DMS_L2_ETHERNET, &err))
			return err;
	}
	try_report(ctx, i, DMS_L2_NONE, &err);
	return err;
}

// Candidate byte 0x06 at i: the low byte of ethertype 0x0806 (ARP), followed
// by the fixed ARP-for-IPv4-over-Ethernet prefix.
static struct dms_error *try_arp(struct scan_ctx *ctx, size_t i)
{
	static const uint8_t arp_prefix[7] = { 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00 };
	const uint8_t *p = ctx->buf + i;
	struct dms_error *err = NULL;
	if (i < 13 || p[-1] != 0x08 || ctx->len - i < 1 + 28)
		return NULL;
	if (memcmp(p + 1, arp_prefix, sizeof(arp_prefix)) || (p[8] != 1 && p[8] != 2))
		return NULL;
	long f = eth_start(ctx->buf, i - 1);
	if (f >= 0)
		try_report(ctx, (size_t)f, DMS_L2_ETHERNET, &err);
	return err;
}

// Protocols a bare IPv4 packet can be a hit with; IPv6 next headers the
// decoder walks or checks.
static const uint8_t ipv4_proto_ok[256] = { [1] = 1, [2] = 1, [6] = 1, [17] = 1 };
static const uint8_t ipv6_nh_ok[256] = {
	[0] = 1, [6] = 1, [17] = 1, [43] = 1, [44] = 1, [51] = 1, [58] = 1, [60] = 1,
};

// Table look-ups that reject most candidates before any call; a superset
// of what try_ip()/try_arp() accept.  Needs buf[i - 2 .. i + 10).
static inline bool quick_reject(const uint8_t *p)
{
	uint8_t b = p[0];
	if ((b & 0xf0) == 0x40)
		return (b & 0xf) < 5 || (!ipv4_proto_ok[p[9]] && (p[-2] != 0x08 || p[-1] != 0x00));
	if ((b & 0xf0) == 0x60)
		return !ipv6_nh_ok[p[6]];
	return p[-1] != 0x08;
}

static inline struct dms_error *candidate(struct scan_ctx *ctx, size_t i)
{
	uint8_t b = ctx->buf[i];
	ctx->scan->candidates++;
	if (i >= 2 && ctx->len - i >= 10 && quick_reject(ctx->buf + i))
		return NULL;
	if (ctx->base + i < ctx->scan->covered_end)
		return NULL;
	if ((b & 0xd0) == 0x40)
		return try_ip(ctx, i);
	if (b == 0x06)
		return try_arp(ctx, i);
	return NULL;
}

#define ONES UINT64_C(0x0101010101010101)
#define LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)

// High bit of each byte of the result is set iff that byte of x is zero
// (exact, no false positives from borrows).
static inline uint64_t zero_bytes(uint64_t x)
{
	return ~(((x & LOW7) + LOW7) | x | LOW7);
}

// Candidate bytes: high nibble 4 or 6 ((b & 0xd0) == 0x40), or 0x06.
static inline uint64_t candidate_mask(uint64_t x)
{
	return zero_bytes((x & (0xd0 * ONES)) ^ (0x40 * ONES)) | zero_bytes(x ^ (0x06 * ONES));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

#ifdef SCAN_SSE2
// The pre-filter and the table checks of quick_reject() for 16 positions at
// once: bit k is set if p[k] survives them.  Reads p[-2 .. 16 + 9).
static inline uint32_t sse2_mask(const uint8_t *p)
{
#define EQ(a, b) _mm_cmpeq_epi8((a), _mm_set1_epi8((char)(b)))
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8(0x45));
	// 0x45..0x4f: IPv4 with IHL >= 5.
	__m128i is4 = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(10)), t);
	__m128i is6 = EQ(_mm_and_si128(v, _mm_set1_epi8((char)0xf0)), 0x60);
	__m128i isarp = EQ(v, 0x06);
	if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(is4, is6), isarp)))
		return 0;
	__m128i m1 = _mm_loadu_si128((const __m128i *)(p - 1));
	__m128i m2 = _mm_loadu_si128((const __m128i *)(p - 2));
	__m128i p6 = _mm_loadu_si128((const __m128i *)(p + 6));
	__m128i p9 = _mm_loadu_si128((const __m128i *)(p + 9));
	__m128i proto = _mm_or_si128(_mm_or_si128(EQ(p9, 1), EQ(p9, 2)),
				     _mm_or_si128(EQ(p9, 6), EQ(p9, 17)));
	__m128i eth4 = _mm_and_si128(EQ(m2, 0x08), EQ(m1, 0x00));
	__m128i nh = _mm_or_si128(_mm_or_si128(_mm_or_si128(EQ(p6, 0), EQ(p6, 6)),
					       _mm_or_si128(EQ(p6, 17), EQ(p6, 43))),
				  _mm_or_si128(_mm_or_si128(EQ(p6, 44), EQ(p6, 51)),
					       _mm_or_si128(EQ(p6, 58), EQ(p6, 60))));
	__m128i ok = _mm_or_si128(
		_mm_and_si128(is4, _mm_or_si128(proto, eth4)),
		_mm_or_si128(_mm_and_si128(is6, nh), _mm_and_si128(isarp, EQ(m1, 0x08))));
#undef EQ
	return (uint32_t)_mm_movemask_epi8(ok);
}
#endif

struct dms_error *dms_scan_buffer(struct dms_scan *scan, const uint8_t *buf, size_t len,
				  size_t scan_len, uint64_t base, dms_hit_fn *fn, void *arg)
{
	if (scan_len > len)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"scan length %zu beyond buffer length %zu", scan_len, len);
	struct scan_ctx ctx = {
		.scan = scan,
		.buf = buf,
		.len = len,
		.scan_len = scan_len,
		.base = base,
		.fn = fn,
		.arg = arg,
	};
	struct dms_error *err;
	scan->bytes += scan_len;
	// An IP header up to DMS_SCAN_MAX_L2_HDR bytes past scan_len can still
	// belong to an Ethernet frame that starts before it.
	size_t limit = scan_len + DMS_SCAN_MAX_L2_HDR;
	if (limit > len)
		limit = len;
	size_t i = 0;
#ifdef SCAN_SSE2
	// The first two positions have no look-back bytes: scalar.
	for (; i < 2 && i < limit; i++) {
		uint8_t b = buf[i];
		if ((b & 0xd0) != 0x40 && b != 0x06)
			continue;
		err = candidate(&ctx, i);
		if (err)
			return err;
	}
	// 32 positions per step, while every load stays inside buf.
	for (; limit - i >= 32 && len - i >= 32 + 9 + 16; i += 32) {
		uint32_t m = sse2_mask(buf + i) | sse2_mask(buf + i + 16) << 16;
		while (m) {
			size_t k = (size_t)__builtin_ctz(m);
			m &= m - 1;
			err = candidate(&ctx, i + k);
			if (err)
				return err;
		}
	}
#endif
	// Four words per step: one branch per 32 bytes of ordinary memory.
	for (; limit - i >= 32; i += 32) {
		uint64_t m0 = candidate_mask(load_le64(buf + i));
		uint64_t m1 = candidate_mask(load_le64(buf + i + 8));
		uint64_t m2 = candidate_mask(load_le64(buf + i + 16));
		uint64_t m3 = candidate_mask(load_le64(buf + i + 24));
		if (!(m0 | m1 | m2 | m3))
			continue;
		uint64_t m[4] = { m0, m1, m2, m3 };
		for (size_t w = 0; w < 4; w++) {
			while (m[w]) {
				size_t k = (size_t)__builtin_ctzll(m[w]) / 8;
				m[w] &= m[w] - 1;
				err = candidate(&ctx, i + 8 * w + k);
				if (err)
					return err;
			}
		}
	}
	for (; i < limit; i++) {
		uint8_t b = buf[i];
		if ((b & 0xd0) != 0x40 && b != 0x06)
			continue;
		err = candidate(&ctx, i);
		if (err)
			return err;
	}
	return NULL;
}

struct reader_scan {
	struct dms_scan *scan;
	const struct dms_reader *reader;
	uint8_t *buf;
	dms_hit_fn *fn;
	void *arg;
};

static struct dms_error *scan_range(uint64_t paddr, uint64_t len, void *arg)
{
	struct reader_scan *rs = arg;
	uint64_t end = paddr + len;
	for (uint64_t pos = paddr; pos < end;) {
		size_t n = end - pos < SCAN_CHUNK ? (size_t)(end - pos) : SCAN_CHUNK;
		size_t got;
		// The look-ahead may run past the range into memory that is
		// not present: the read is then short, which is fine.
		struct dms_error *err =
			dms_reader_read_phys(rs->reader, pos, rs->buf, n + SCAN_LOOKAHEAD, &got);
		if (err)
			return err;
		if (got == 0) {
			// The range said present but the page is not: skip a
			// page and go on.
			uint64_t ps = rs->reader->page_size;
			pos = (pos | (ps - 1)) + 1;
			continue;
		}
		size_t scan_len = got < n ? got : n;
		err = dms_scan_buffer(rs->scan, rs->buf, got, scan_len, pos, rs->fn, rs->arg);
		if (err)
			return err;
		pos += scan_len;
	}
	return NULL;
}

struct dms_error *dms_scan_reader(struct dms_scan *scan, const struct dms_reader *reader,
				  uint64_t start, uint64_t end, dms_hit_fn *fn, void *arg)
{
	struct reader_scan rs = {
		.scan = scan,
		.reader = reader,
		.fn = fn,
		.arg = arg,
	};
	rs.buf = malloc(SCAN_CHUNK + SCAN_LOOKAHEAD);
	if (!rs.buf)
		return &dms_enomem;
	struct dms_error *err = dms_reader_for_each_range(reader, start, end, scan_range, &rs);
	free(rs.buf);
	return err;
}
