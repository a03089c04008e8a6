// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: packet decoding, validation and scoring.
//
// Every parser reads through struct dms_cursor (bounds-checked).  A layer
// that runs out of bytes marks the packet TRUNCATED and stops decoding; a
// field that contradicts its specification marks it INVALID.  The score is
// computed once at the end from what was decoded (docs/packets.md).
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "pkt.h"

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100
#define ETH_P_IPV6 0x86dd

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ICMP_ 1
#define IPPROTO_IGMP_ 2
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60

// Maximum number of IPv6 extension headers walked.
#define IPV6_MAX_EXT_HEADERS 8

uint32_t dms_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i = 0;
	// Four 16-bit words per step; 64-bit accumulator cannot overflow for
	// any length we see (< 2^48 bytes).
	for (; i + 8 <= len; i += 8)
		s += (uint32_t)(p[i] << 8 | p[i + 1]) + (uint32_t)(p[i + 2] << 8 | p[i + 3]) +
		     (uint32_t)(p[i + 4] << 8 | p[i + 5]) + (uint32_t)(p[i + 6] << 8 | p[i + 7]);
	for (; i + 2 <= len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t dms_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

const char *dms_pkt_status_name(enum dms_pkt_status status)
{
	switch (status) {
	case DMS_PKT_OK:
		return "ok";
	case DMS_PKT_TRUNCATED:
		return "truncated";
	case DMS_PKT_INVALID:
		return "invalid";
	}
	return "?";
}

const char *dms_csum_name(enum dms_csum csum)
{
	switch (csum) {
	case DMS_CSUM_NONE:
		return "none";
	case DMS_CSUM_OK:
		return "ok";
	case DMS_CSUM_PARTIAL:
		return "partial";
	case DMS_CSUM_UNVERIFIED:
		return "unverified";
	case DMS_CSUM_BAD:
		return "bad";
	}
	return "?";
}

// Record the first problem met; INVALID overrides TRUNCATED.
static void pkt_set(struct dms_pkt *pkt, enum dms_pkt_status status, const char *reason)
{
	if (pkt->status == DMS_PKT_INVALID ||
	    (pkt->status == DMS_PKT_TRUNCATED && status != DMS_PKT_INVALID))
		return;
	pkt->status = status;
	pkt->reason = reason;
}

static uint32_t pseudo_sum(const struct dms_pkt *pkt, size_t l4_len)
{
	size_t alen = pkt->ip_version == 4 ? 4 : 16;
	uint32_t sum = dms_csum_add(0, pkt->src_addr, alen);
	sum = dms_csum_add(sum, pkt->dst_addr, alen);
	// Upper-layer length (32 bits for IPv6, 16 for IPv4: same sum) and
	// next header.
	sum += (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
	sum += pkt->proto;
	return sum;
}

// Check the checksum of the L4 message at frame[l4_off..l4_off+l4_len),
// whose checksum field is at csum_off within it.  pseudo: include the
// pseudo-header (TCP, UDP, ICMPv6).
static enum dms_csum check_l4_csum(const struct dms_pkt *pkt, const uint8_t *frame, size_t avail,
				   size_t l4_off, size_t l4_len, size_t csum_off, bool pseudo,
				   bool verifiable)
{
	if (!verifiable || avail < l4_off || avail - l4_off < l4_len)
		return DMS_CSUM_UNVERIFIED;
	uint32_t ps = pseudo ? pseudo_sum(pkt, l4_len) : 0;
	uint32_t sum = dms_csum_add(ps, frame + l4_off, l4_len);
	if (dms_csum_fold(sum) == 0xffff)
		return DMS_CSUM_OK;
	// CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, to
	// be completed by the NIC over the L4 message.
	if (pseudo && dms_load_be16(frame + l4_off + csum_off) == dms_csum_fold(ps))
		return DMS_CSUM_PARTIAL;
	return DMS_CSUM_BAD;
}

// TCP: RFC 9293.  c is positioned at the TCP header; l4_len is the declared
// segment length (IP payload).
static void decode_tcp(struct dms_pkt *pkt, struct dms_cursor *c, size_t l4_len, bool verifiable)
{
	size_t l4_off = c->pos;
	uint16_t sport, dport, csum;
	uint32_t seq, ack;
	uint8_t doff_byte, flags;
	if (l4_len < 20) {
		pkt_set(pkt, DMS_PKT_INVALID, "tcp segment shorter than header");
		return;
	}
	if (!dms_cursor_be16(c, &sport) || !dms_cursor_be16(c, &dport) ||
	    !dms_cursor_be32(c, &seq) || !dms_cursor_be32(c, &ack) ||
	    !dms_cursor_u8(c, &doff_byte) || !dms_cursor_u8(c, &flags) || !dms_cursor_skip(c, 2) ||
	    !dms_cursor_be16(c, &csum) || !dms_cursor_skip(c, 2)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "tcp header");
		return;
	}
	size_t hdr_len = (size_t)(doff_byte >> 4) * 4;
	if (hdr_len < 20 || hdr_len > l4_len) {
		pkt_set(pkt, DMS_PKT_INVALID, "tcp data offset");
		return;
	}
	// Options: RFC 9293 section 3.1; kind 0 ends, kind 1 is one byte,
	// others carry a length >= 2 that must fit.
	size_t opt_end = l4_off + hdr_len;
	while (c->pos < opt_end) {
		uint8_t kind, olen;
		if (!dms_cursor_u8(c, &kind)) {
			pkt_set(pkt, DMS_PKT_TRUNCATED, "tcp options");
			return;
		}
		if (kind == 0)
			break;
		if (kind == 1)
			continue;
		if (c->pos >= opt_end) {
			pkt_set(pkt, DMS_PKT_INVALID, "tcp option length");
			return;
		}
		if (!dms_cursor_u8(c, &olen)) {
			pkt_set(pkt, DMS_PKT_TRUNCATED, "tcp options");
			return;
		}
		if (olen < 2 || (size_t)olen - 2 > opt_end - c->pos) {
			pkt_set(pkt, DMS_PKT_INVALID, "tcp option length");
			return;
		}
		if (!dms_cursor_skip(c, olen - 2u)) {
			pkt_set(pkt, DMS_PKT_TRUNCATED, "tcp options");
			return;
		}
	}
	pkt->l4_off = l4_off;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->tcp_flags = flags;
	pkt->payload_len = l4_len - hdr_len;
	pkt->l4_csum = check_l4_csum(pkt, c->buf, c->end, l4_off, l4_len, 16, true, verifiable);
}

// UDP: RFC 768 (IPv6: RFC 8200 section 8.1).
static void decode_udp(struct dms_pkt *pkt, struct dms_cursor *c, size_t l4_len, bool verifiable,
		       bool first_fragment)
{
	size_t l4_off = c->pos;
	uint16_t sport, dport, ulen, csum;
	if (!dms_cursor_be16(c, &sport) || !dms_cursor_be16(c, &dport) ||
	    !dms_cursor_be16(c, &ulen) || !dms_cursor_be16(c, &csum)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "udp header");
		return;
	}
	// A first fragment carries only part of the datagram.
	if (ulen < 8 || (first_fragment ? ulen < l4_len : ulen != l4_len)) {
		pkt_set(pkt, DMS_PKT_INVALID, "udp length");
		return;
	}
	pkt->l4_off = l4_off;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->payload_len = ulen - 8u;
	if (csum == 0)
		pkt->l4_csum = DMS_CSUM_NONE;
	else
		pkt->l4_csum =
			check_l4_csum(pkt, c->buf, c->end, l4_off, l4_len, 6, true, verifiable);
}

// Types in use (IANA registries); codes are small everywhere except
// ICMPv6 router renumbering's sequence-number reset (255).
static bool icmp_type_known(uint8_t proto, uint8_t type, uint8_t code)
{
	switch (proto) {
	case IPPROTO_ICMP_:
		return code <= 15 &&
		       (type == 0 || (type >= 3 && type <= 5) || (type >= 8 && type <= 18) ||
			type == 30 || (type >= 40 && type <= 43));
	case IPPROTO_IGMP_:
		return type == 0x11 || type == 0x12 || type == 0x16 || type == 0x17 || type == 0x22;
	case IPPROTO_ICMPV6_:
		return (type >= 1 && type <= 4 && code <= 15) ||
		       (type >= 128 && type <= 161 && (code <= 15 || (type == 138 && code == 255)));
	default:
		return false;
	}
}

// ICMP (RFC 792), IGMP (RFC 2236) and ICMPv6 (RFC 4443): type, code,
// checksum, 4 more header bytes.
static void decode_icmp(struct dms_pkt *pkt, struct dms_cursor *c, size_t l4_len, bool verifiable,
			bool pseudo)
{
	size_t l4_off = c->pos;
	uint8_t type, code;
	if (l4_len < 8) {
		pkt_set(pkt, DMS_PKT_INVALID, "icmp message shorter than header");
		return;
	}
	if (!dms_cursor_u8(c, &type) || !dms_cursor_u8(c, &code) || !dms_cursor_skip(c, 6)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "icmp header");
		return;
	}
	if (!icmp_type_known(pkt->proto, type, code)) {
		pkt_set(pkt, DMS_PKT_INVALID, "icmp type");
		return;
	}
	pkt->l4_off = l4_off;
	pkt->icmp_type = type;
	pkt->icmp_code = code;
	pkt->payload_len = l4_len - 8;
	pkt->l4_csum = check_l4_csum(pkt, c->buf, c->end, l4_off, l4_len, 2, pseudo, verifiable);
}

static void decode_l4(struct dms_pkt *pkt, struct dms_cursor *c, size_t l4_len, bool verifiable)
{
	bool first_fragment = pkt->fragment && pkt->frag_offset == 0;
	pkt->l4_csum = DMS_CSUM_NONE;
	switch (pkt->proto) {
	case IPPROTO_TCP_:
		decode_tcp(pkt, c, l4_len, verifiable);
		break;
	case IPPROTO_UDP_:
		decode_udp(pkt, c, l4_len, verifiable, first_fragment);
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_IGMP_:
		if (pkt->ip_version == 4)
			decode_icmp(pkt, c, l4_len, verifiable, false);
		break;
	case IPPROTO_ICMPV6_:
		if (pkt->ip_version == 6)
			decode_icmp(pkt, c, l4_len, verifiable, true);
		break;
	default:
		break;
	}
	if (pkt->l4_csum == DMS_CSUM_BAD)
		pkt_set(pkt, DMS_PKT_INVALID, "l4 checksum");
}

// IPv4: RFC 791; header checksum RFC 1071.
static void decode_ipv4(struct dms_pkt *pkt, struct dms_cursor *c)
{
	size_t l3_off = c->pos;
	const uint8_t *h = c->buf + l3_off;
	uint8_t vihl, tos, ttl, proto;
	uint16_t total_len, id, frag, csum;
	pkt->ip_version = 4;
	pkt->l3_off = l3_off;
	if (!dms_cursor_u8(c, &vihl) || !dms_cursor_u8(c, &tos) ||
	    !dms_cursor_be16(c, &total_len) || !dms_cursor_be16(c, &id) ||
	    !dms_cursor_be16(c, &frag) || !dms_cursor_u8(c, &ttl) || !dms_cursor_u8(c, &proto) ||
	    !dms_cursor_be16(c, &csum) || !dms_cursor_bytes(c, pkt->src_addr, 4) ||
	    !dms_cursor_bytes(c, pkt->dst_addr, 4)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv4 header");
		return;
	}
	(void)tos;
	(void)id;
	(void)csum;
	size_t hdr_len = (size_t)(vihl & 0xf) * 4;
	if (vihl >> 4 != 4) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv4 version");
		return;
	}
	if (hdr_len < 20) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv4 header length");
		return;
	}
	if (total_len < hdr_len) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv4 total length");
		return;
	}
	// The reserved ("evil") flag bit is never set by a real stack.
	if (frag & 0x8000) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv4 reserved flag");
		return;
	}
	pkt->l3_hdr_len = hdr_len;
	pkt->l3_len = total_len;
	pkt->ttl = ttl;
	pkt->proto = proto;
	pkt->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
	pkt->more_fragments = frag & 0x2000;
	pkt->fragment = pkt->frag_offset || pkt->more_fragments;
	if (dms_cursor_remaining(c) < hdr_len - 20) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv4 options");
		return;
	}
	if (dms_csum_fold(dms_csum_add(0, h, hdr_len)) != 0xffff) {
		pkt->ip_csum = DMS_CSUM_BAD;
		pkt_set(pkt, DMS_PKT_INVALID, "ipv4 header checksum");
		return;
	}
	pkt->ip_csum = DMS_CSUM_OK;
	// Options: RFC 791 section 3.1; 0 ends the list, 1 is a one-byte
	// no-op, the others have a length octet >= 2 that must fit.
	size_t opt_end = l3_off + hdr_len;
	while (c->pos < opt_end) {
		uint8_t type, olen;
		if (!dms_cursor_u8(c, &type) || type == 0)
			break;
		if (type == 1)
			continue;
		if (c->pos >= opt_end || !dms_cursor_u8(c, &olen) || olen < 2 ||
		    (size_t)olen - 2 > opt_end - c->pos) {
			pkt_set(pkt, DMS_PKT_INVALID, "ipv4 option length");
			return;
		}
		dms_cursor_skip(c, olen - 2u);
	}
	c->pos = opt_end;
	size_t l4_len = total_len - hdr_len;
	if (c->end - l3_off < total_len)
		pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv4 payload");
	else
		c->end = l3_off + total_len; // ignore padding after the packet
	if (pkt->frag_offset) {
		// Non-first fragment: no L4 header.  Every fragment but the
		// last carries a multiple of 8 bytes.
		if (pkt->more_fragments && l4_len % 8) {
			pkt_set(pkt, DMS_PKT_INVALID, "ipv4 fragment length");
			return;
		}
		pkt->l4_csum = DMS_CSUM_NONE;
		pkt->payload_len = l4_len;
		return;
	}
	decode_l4(pkt, c, l4_len, !pkt->more_fragments);
}

// Options of a hop-by-hop or destination options header: RFC 8200 4.2.
static bool ipv6_options_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (p[i] == 0) { // Pad1
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] > len - i - 2)
			return false;
		i += 2 + (size_t)p[i + 1];
	}
	return true;
}

bool dms_ipv6_addr_plausible(const uint8_t *a, bool dst)
{
	switch (a[0]) {
	case 0x00:
		// ::, ::1, IPv4-compatible/mapped (::/96, ::ffff:0:0/96), and
		// NAT64 64:ff9b::/96.
		if (a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b)
			return true;
		for (int i = 1; i < 10; i++) {
			if (a[i])
				return false;
		}
		return true;
	case 0xfc: // unique local fc00::/7
	case 0xfd:
	case 0xfe: // link-local fe80::/10, old site-local fec0::/10
		return true;
	case 0xff: // multicast: destination only
		return dst;
	default:
		return a[0] >= 0x20 && a[0] <= 0x3f; // global unicast 2000::/3
	}
}

// IPv6: RFC 8200 (extension headers section 4), SRH RFC 8754.
static void decode_ipv6(struct dms_pkt *pkt, struct dms_cursor *c)
{
	size_t l3_off = c->pos;
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh, hlim;
	pkt->ip_version = 6;
	pkt->l3_off = l3_off;
	pkt->ip_csum = DMS_CSUM_NONE;
	if (!dms_cursor_be32(c, &vtcfl) || !dms_cursor_be16(c, &plen) || !dms_cursor_u8(c, &nh) ||
	    !dms_cursor_u8(c, &hlim) || !dms_cursor_bytes(c, pkt->src_addr, 16) ||
	    !dms_cursor_bytes(c, pkt->dst_addr, 16)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv6 header");
		return;
	}
	if (vtcfl >> 28 != 6) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv6 version");
		return;
	}
	// Payload length 0 means a jumbogram (RFC 2675) or Linux BIG TCP:
	// not supported, and never a plausible packet otherwise.
	if (plen == 0 && nh != IPPROTO_NONE_) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv6 payload length 0");
		return;
	}
	// Addresses outside the allocated blocks (RFC 4291 section 2.4 and
	// the IANA registry) do not occur in real traffic.
	if (!dms_ipv6_addr_plausible(pkt->src_addr, false) ||
	    !dms_ipv6_addr_plausible(pkt->dst_addr, true)) {
		pkt_set(pkt, DMS_PKT_INVALID, "ipv6 address not assigned");
		return;
	}
	pkt->ttl = hlim;
	pkt->l3_hdr_len = 40;
	pkt->l3_len = 40 + (size_t)plen;
	size_t end = l3_off + pkt->l3_len;
	if (c->end < end)
		pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv6 payload");
	else
		c->end = end;
	for (int n = 0;; n++) {
		if (n >= IPV6_MAX_EXT_HEADERS) {
			pkt_set(pkt, DMS_PKT_INVALID, "too many ipv6 extension headers");
			return;
		}
		size_t hstart = c->pos;
		uint8_t next, hlen;
		size_t len;
		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_AH_:
			if (nh == IPPROTO_HOPOPTS_ && n != 0) {
				pkt_set(pkt, DMS_PKT_INVALID, "ipv6 hop-by-hop not first");
				return;
			}
			if (end - hstart < 8) {
				pkt_set(pkt, DMS_PKT_INVALID, "ipv6 extension header length");
				return;
			}
			if (!dms_cursor_u8(c, &next) || !dms_cursor_u8(c, &hlen)) {
				pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv6 extension header");
				return;
			}
			// AH counts 4-byte units minus 2 (RFC 4302), the
			// others 8-byte units minus 1.
			len = nh == IPPROTO_AH_ ? ((size_t)hlen + 2) * 4 : ((size_t)hlen + 1) * 8;
			if (len > end - hstart) {
				pkt_set(pkt, DMS_PKT_INVALID, "ipv6 extension header length");
				return;
			}
			if (c->end - hstart < len) {
				pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv6 extension header");
				return;
			}
			if ((nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_DSTOPTS_) &&
			    !ipv6_options_valid(c->buf + hstart + 2, len - 2)) {
				pkt_set(pkt, DMS_PKT_INVALID, "ipv6 option length");
				return;
			}
			if (nh == IPPROTO_ROUTING_) {
				const uint8_t *rh = c->buf + hstart;
				uint8_t type = rh[2], left = rh[3];
				// Types 0 and 2: address list at 8, final
				// destination last.  Type 4 (SRH): segment
				// list[0] is the final destination.
				size_t naddr = (len - 8) / 16;
				// An unknown type is only skipped when no
				// segments are left (RFC 8200 section 4.4).
				if (left && type != 0 && type != 2 && type != 3 && type != 4) {
					pkt_set(pkt, DMS_PKT_INVALID, "ipv6 routing type");
					return;
				}
				if (left && naddr && (type == 0 || type == 2 || type == 4)) {
					size_t idx = type == 4 ? 0 : naddr - 1;
					memcpy(pkt->dst_addr, rh + 8 + 16 * idx, 16);
				}
			}
			c->pos = hstart + len;
			nh = next;
			continue;
		case IPPROTO_FRAGMENT_: {
			uint8_t rsv;
			uint16_t off;
			if (end - hstart < 8) {
				pkt_set(pkt, DMS_PKT_INVALID, "ipv6 fragment header length");
				return;
			}
			if (!dms_cursor_u8(c, &next) || !dms_cursor_u8(c, &rsv) ||
			    !dms_cursor_be16(c, &off) || !dms_cursor_skip(c, 4)) {
				pkt_set(pkt, DMS_PKT_TRUNCATED, "ipv6 fragment header");
				return;
			}
			// Reserved fields: zero from every sender (RFC 8200
			// section 4.5); garbage here is not a packet.
			if (rsv || (off & 6)) {
				pkt_set(pkt, DMS_PKT_INVALID, "ipv6 fragment reserved");
				return;
			}
			pkt->fragment = true;
			pkt->frag_offset = (uint32_t)(off >> 3) * 8;
			pkt->more_fragments = off & 1;
			nh = next;
			continue;
		}
		default:
			break;
		}
		break;
	}
	pkt->proto = nh;
	size_t l4_len = end - c->pos;
	if (pkt->frag_offset || nh == IPPROTO_NONE_) {
		pkt->l4_csum = DMS_CSUM_NONE;
		pkt->payload_len = l4_len;
		return;
	}
	decode_l4(pkt, c, l4_len, !pkt->more_fragments);
}

// ARP for IPv4 over Ethernet: RFC 826.
static void decode_arp(struct dms_pkt *pkt, struct dms_cursor *c)
{
	uint16_t htype, ptype, op;
	uint8_t hlen, plen;
	pkt->l3_off = c->pos;
	pkt->l3_hdr_len = pkt->l3_len = 28;
	if (!dms_cursor_be16(c, &htype) || !dms_cursor_be16(c, &ptype) ||
	    !dms_cursor_u8(c, &hlen) || !dms_cursor_u8(c, &plen) || !dms_cursor_be16(c, &op)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "arp header");
		return;
	}
	if (htype != 1 || ptype != ETH_P_IP || hlen != 6 || plen != 4 || (op != 1 && op != 2)) {
		pkt_set(pkt, DMS_PKT_INVALID, "arp header");
		return;
	}
	pkt->arp_op = op;
	if (!dms_cursor_bytes(c, pkt->arp_sha, 6) || !dms_cursor_bytes(c, pkt->src_addr, 4) ||
	    !dms_cursor_bytes(c, pkt->arp_tha, 6) || !dms_cursor_bytes(c, pkt->dst_addr, 4)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "arp addresses");
		return;
	}
}

static bool is_vlan_tpid(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1;
}

// Ethernet II (IEEE 802.3 clause 3.2.6) with IEEE 802.1Q / 802.1ad tags.
static void decode_ethernet(struct dms_pkt *pkt, struct dms_cursor *c)
{
	uint16_t type;
	if (!dms_cursor_bytes(c, pkt->dst_mac, 6) || !dms_cursor_bytes(c, pkt->src_mac, 6) ||
	    !dms_cursor_be16(c, &type)) {
		pkt_set(pkt, DMS_PKT_TRUNCATED, "ethernet header");
		return;
	}
	while (is_vlan_tpid(type)) {
		uint16_t tci;
		if (pkt->nvlans == DMS_PKT_MAX_VLANS) {
			pkt_set(pkt, DMS_PKT_INVALID, "too many vlan tags");
			return;
		}
		if (!dms_cursor_be16(c, &tci)) {
			pkt_set(pkt, DMS_PKT_TRUNCATED, "vlan tag");
			return;
		}
		pkt->vlan_tpid[pkt->nvlans] = type;
		pkt->vlan_id[pkt->nvlans] = tci & 0xfff;
		pkt->vlan_pcp[pkt->nvlans] = (uint8_t)(tci >> 13);
		pkt->nvlans++;
		if (!dms_cursor_be16(c, &type)) {
			pkt_set(pkt, DMS_PKT_TRUNCATED, "vlan tag");
			return;
		}
	}
	pkt->ethertype = type;
	switch (type) {
	case ETH_P_IP:
		decode_ipv4(pkt, c);
		break;
	case ETH_P_IPV6:
		decode_ipv6(pkt, c);
		break;
	case ETH_P_ARP:
		decode_arp(pkt, c);
		break;
	default:
		pkt->l3_off = c->pos;
		pkt_set(pkt, DMS_PKT_INVALID, "ethertype not recognised");
		break;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

// Scoring: see docs/packets.md ("Scoring"); keep the two in sync.
static int pkt_score(const struct dms_pkt *pkt)
{
	int score = 0;
	bool l4_decoded = pkt->l4_off != 0;
	if (pkt->ip_version == 4) {
		if (pkt->ip_csum != DMS_CSUM_OK)
			return 0;
		score += 40;
		if (pkt->src_addr[0] >= 224 && pkt->src_addr[0] != 255)
			score -= 20; // multicast or class E source
		if (all_zero(pkt->src_addr, 4) && all_zero(pkt->dst_addr, 4))
			score -= 20;
	} else if (pkt->ip_version == 6) {
		if (pkt->l3_hdr_len != 40)
			return 0;
		score += 20;
		if (pkt->src_addr[0] == 0xff)
			score -= 20;
		if (all_zero(pkt->src_addr, 16) && all_zero(pkt->dst_addr, 16))
			score -= 20;
	} else if (pkt->l2 == DMS_L2_ETHERNET && pkt->ethertype == ETH_P_ARP) {
		if (!pkt->arp_op)
			return 0;
		score += 40;
		if (!memcmp(pkt->arp_sha, pkt->src_mac, 6))
			score += 20;
	}
	if (pkt->ip_version && pkt->ttl == 0)
		score -= 20;
	if (pkt->ip_version && pkt->frag_offset) {
		// Non-first fragment: lengths passed their checks.
		score += 10;
	} else if (l4_decoded) {
		score += 10;
		switch (pkt->l4_csum) {
		case DMS_CSUM_OK:
			score += 40;
			break;
		case DMS_CSUM_PARTIAL:
			score += 30;
			break;
		case DMS_CSUM_NONE:
			score += 10;
			break;
		case DMS_CSUM_UNVERIFIED:
		case DMS_CSUM_BAD:
			break;
		}
		if ((pkt->proto == IPPROTO_TCP_ || pkt->proto == IPPROTO_UDP_) &&
		    (pkt->sport == 0 || pkt->dport == 0))
			score -= 10;
	}
	if (pkt->l2 == DMS_L2_ETHERNET) {
		score += 10;
		if (pkt->src_mac[0] & 1)
			score -= 10; // multicast source MAC
		if (all_zero(pkt->src_mac, 6) && all_zero(pkt->dst_mac, 6))
			score -= 10;
	}
	return score < 0 ? 0 : score;
}

enum dms_pkt_status dms_pkt_decode(const uint8_t *buf, size_t len, enum dms_l2 l2,
				   struct dms_pkt *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->l2 = l2;
	struct dms_cursor c;
	dms_cursor_init(&c, buf, 0, len);
	if (l2 == DMS_L2_ETHERNET) {
		decode_ethernet(ret, &c);
	} else if (len == 0) {
		pkt_set(ret, DMS_PKT_TRUNCATED, "empty");
	} else if (buf[0] >> 4 == 4) {
		decode_ipv4(ret, &c);
	} else if (buf[0] >> 4 == 6) {
		decode_ipv6(ret, &c);
	} else {
		pkt_set(ret, DMS_PKT_INVALID, "ip version");
	}
	if (ret->l3_len)
		ret->frame_len = ret->l3_off + ret->l3_len;
	else if (ret->status == DMS_PKT_TRUNCATED)
		ret->frame_len = len; // length unknown: at least what we have
	else
		ret->frame_len = ret->l3_off;
	ret->caplen = ret->frame_len < len ? ret->frame_len : len;
	ret->score = ret->status == DMS_PKT_INVALID ? 0 : pkt_score(ret);
	return ret->status;
}

const char *dms_pkt_proto_name(const struct dms_pkt *p, char *buf, size_t size)
{
	if (p->ip_version == 0)
		return "arp";
	switch (p->proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 2:
		return "igmp";
	}
	snprintf(buf, size, "%u", p->proto);
	return buf;
}

bool dms_pkt_damaged(const struct dms_pkt *pkt)
{
	return pkt->status == DMS_PKT_INVALID && pkt->l2 == DMS_L2_ETHERNET &&
	       pkt->ip_version == 4 && pkt->ip_csum == DMS_CSUM_OK && pkt->l3_hdr_len >= 20;
}

bool dms_pkt_is_hit(const struct dms_pkt *pkt)
{
	return pkt->status != DMS_PKT_INVALID && pkt->score >= DMS_PKT_HIT_SCORE;
}

// Bounded string builder for the formatter: output is cut at size - 1
// bytes; len counts the full length.
struct strbuf {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *dst = sb->len < sb->size ? sb->buf + sb->len : NULL;
	size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}

static void sb_addr(struct strbuf *sb, const struct dms_pkt *pkt, const uint8_t *addr,
		    bool with_port, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];
	if (pkt->ip_version == 6) {
		if (!inet_ntop(AF_INET6, addr, text, sizeof(text)))
			text[0] = '\0';
		if (with_port)
			sb_printf(sb, "[%s]:%u", text, port);
		else
			sb_printf(sb, "%s", text);
	} else {
		sb_printf(sb, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
		if (with_port)
			sb_printf(sb, ":%u", port);
	}
}

static const char *proto_name(const struct dms_pkt *pkt)
{
	switch (pkt->proto) {
	case IPPROTO_TCP_:
		return "TCP";
	case IPPROTO_UDP_:
		return "UDP";
	case IPPROTO_ICMP_:
		return pkt->ip_version == 4 ? "ICMP" : NULL;
	case IPPROTO_IGMP_:
		return pkt->ip_version == 4 ? "IGMP" : NULL;
	case IPPROTO_ICMPV6_:
		return pkt->ip_version == 6 ? "ICMPv6" : NULL;
	default:
		return NULL;
	}
}

size_t dms_pkt_format(const struct dms_pkt *pkt, char *buf, size_t size)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	for (unsigned int i = 0; i < pkt->nvlans && i < DMS_PKT_MAX_VLANS; i++)
		sb_printf(&sb, "%s%u", i ? "." : "vlan ", pkt->vlan_id[i]);
	if (pkt->nvlans)
		sb_printf(&sb, " ");
	if (pkt->l2 == DMS_L2_ETHERNET && pkt->ethertype == ETH_P_ARP) {
		const uint8_t *s = pkt->src_addr, *t = pkt->dst_addr;
		const uint8_t *m = pkt->arp_sha;
		if (pkt->arp_op == 1)
			sb_printf(&sb, "ARP request who-has %u.%u.%u.%u tell %u.%u.%u.%u", t[0],
				  t[1], t[2], t[3], s[0], s[1], s[2], s[3]);
		else
			sb_printf(&sb, "ARP reply %u.%u.%u.%u is-at %02x:%02x:%02x:%02x:%02x:%02x",
				  s[0], s[1], s[2], s[3], m[0], m[1], m[2], m[3], m[4], m[5]);
		return sb.len;
	}
	if (pkt->ip_version != 4 && pkt->ip_version != 6) {
		sb_printf(&sb, "ethertype 0x%04x len %zu", pkt->ethertype, pkt->frame_len);
		return sb.len;
	}
	sb_printf(&sb, "IPv%u ", pkt->ip_version);
	const char *name = proto_name(pkt);
	bool ports = pkt->l4_off && (pkt->proto == IPPROTO_TCP_ || pkt->proto == IPPROTO_UDP_);
	if (pkt->fragment)
		sb_printf(&sb, "frag ");
	if (name)
		sb_printf(&sb, "%s ", name);
	else
		sb_printf(&sb, "proto %u ", pkt->proto);
	sb_addr(&sb, pkt, pkt->src_addr, ports, pkt->sport);
	sb_printf(&sb, " > ");
	sb_addr(&sb, pkt, pkt->dst_addr, ports, pkt->dport);
	if (pkt->proto == IPPROTO_TCP_ && pkt->l4_off) {
		static const char flag_chars[] = "FSRP.UEW";
		char flags[9];
		size_t n = 0;
		// tcpdump order: S F R P, '.' for ACK, then U E W.
		static const uint8_t order[] = { 0x02, 0x01, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80 };
		for (size_t i = 0; i < sizeof(order); i++) {
			if (!(pkt->tcp_flags & order[i]))
				continue;
			flags[n++] = order[i] == 0x10 ? '.' : flag_chars[__builtin_ctz(order[i])];
		}
		flags[n] = '\0';
		sb_printf(&sb, " [%s]", flags);
	} else if (pkt->l4_off && (pkt->proto == IPPROTO_ICMP_ || pkt->proto == IPPROTO_ICMPV6_ ||
				   pkt->proto == IPPROTO_IGMP_)) {
		sb_printf(&sb, " type %u code %u", pkt->icmp_type, pkt->icmp_code);
	}
	if (pkt->fragment)
		sb_printf(&sb, " off %u%s", pkt->frag_offset, pkt->more_fragments ? "+" : "");
	sb_printf(&sb, " len %zu", pkt->payload_len);
	return sb.len;
}
