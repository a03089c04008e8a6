// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: packet recognition in raw memory.
//
// dms_pkt_decode() decodes one candidate frame that starts exactly at a
// given byte, validates it (lengths, checksums, plausibility) and scores it.
// Every header is read through a bounds-checked cursor; nothing is read
// outside [buf, buf + len).  Scoring is documented in docs/packets.md.
#ifndef DMS_PKT_H
#define DMS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// A candidate with at least this score (and status != DMS_PKT_INVALID) is a
// hit.  No single layer can reach it alone: see docs/packets.md.
#define DMS_PKT_HIT_SCORE 60

// Maximum number of VLAN tags (802.1Q / 802.1ad) decoded in one frame.
#define DMS_PKT_MAX_VLANS 2

enum dms_pkt_status {
	// The frame is complete and every check that applies passed.
	DMS_PKT_OK,
	// The frame is consistent as far as it goes but ends beyond the
	// bytes available; some checks (e.g. the L4 checksum) could not run.
	DMS_PKT_TRUNCATED,
	// A field contradicts its specification or a checksum is wrong.
	DMS_PKT_INVALID,
};

// Where a candidate starts.
enum dms_l2 {
	// A bare L3 packet (IPv4 or IPv6, by the version nibble).
	DMS_L2_NONE,
	// An Ethernet II frame (destination MAC first), possibly VLAN tagged.
	DMS_L2_ETHERNET,
};

enum dms_csum {
	// No checksum to check (none in the protocol, UDP/IPv4 checksum 0,
	// non-first fragment).
	DMS_CSUM_NONE,
	DMS_CSUM_OK,
	// The field holds only the pseudo-header sum: a transmit buffer with
	// checksum offload (Linux CHECKSUM_PARTIAL) that the NIC completes.
	DMS_CSUM_PARTIAL,
	// Could not be checked: data truncated or a first fragment.
	DMS_CSUM_UNVERIFIED,
	DMS_CSUM_BAD,
};

struct dms_pkt {
	enum dms_pkt_status status;
	// Static string saying why the status is not OK; NULL when OK.
	const char *reason;
	int score;
	// Offset of the frame's first byte in the scanned buffer (set by the
	// scanner; 0 from dms_pkt_decode()).
	size_t offset;
	// Length of the frame as its headers declare it (L2 header + L3
	// total length; no Ethernet padding or FCS).
	size_t frame_len;
	// Bytes of the frame available in the buffer: min(frame_len, len).
	size_t caplen;

	enum dms_l2 l2;
	uint8_t dst_mac[6], src_mac[6];
	unsigned int nvlans;
	// Outermost tag first.
	uint16_t vlan_tpid[DMS_PKT_MAX_VLANS];
	uint16_t vlan_id[DMS_PKT_MAX_VLANS];
	uint8_t vlan_pcp[DMS_PKT_MAX_VLANS];
	// Innermost ethertype (0 for bare L3 packets).
	uint16_t ethertype;

	// Offset of the L3 header from the frame start.
	size_t l3_off;
	// 4, 6, or 0 for ARP (addresses below are then the ARP protocol
	// addresses, 4 bytes).
	unsigned int ip_version;
	uint8_t src_addr[16], dst_addr[16];
	// IPv4 header / total length, or 40 + IPv6 payload length.
	size_t l3_hdr_len, l3_len;
	uint8_t ttl;
	// IPv4: header checksum state; IPv6 and ARP: DMS_CSUM_NONE.
	enum dms_csum ip_csum;
	bool fragment;
	// Fragment offset in bytes, and the more-fragments flag.
	uint32_t frag_offset;
	bool more_fragments;

	// Final upper-layer protocol (after IPv6 extension headers).
	uint8_t proto;
	// Offset of the L4 header from the frame start; 0 if none decoded.
	size_t l4_off;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	// ARP operation (1 request, 2 reply).
	uint16_t arp_op;
	uint8_t arp_sha[6], arp_tha[6];
	// L4 payload bytes as declared (after the TCP/UDP/ICMP header).
	size_t payload_len;
	enum dms_csum l4_csum;
};

/**
 * Decode the candidate frame at buf[0..len) as an Ethernet frame or a bare
 * L3 packet.  Never reads outside the buffer.  Fills *ret completely and
 * returns ret->status.  A hit is status != DMS_PKT_INVALID and
 * score >= DMS_PKT_HIT_SCORE (see dms_pkt_is_hit()).
 */
enum dms_pkt_status dms_pkt_decode(const uint8_t *buf, size_t len, enum dms_l2 l2,
				   struct dms_pkt *ret);

/**
 * True for an invalid candidate whose Ethernet header and IPv4 header (with its
 * checksum) are valid: only the transport header or payload fails, as when memory
 * was written over after the frame landed.  The header checksum over a structurally
 * valid IPv4 header behind a matching ethertype makes a chance match negligible.
 */
bool dms_pkt_damaged(const struct dms_pkt *pkt);

/**
 * Lowercase name of the packet's final protocol ("tcp", "udp", "icmp", "icmpv6", "igmp",
 * "arp"), else its number written into buf.  Returns buf or a static string.
 */
const char *dms_pkt_proto_name(const struct dms_pkt *pkt, char *buf, size_t size);

/** True if a decoded candidate is reported as a packet. */
bool dms_pkt_is_hit(const struct dms_pkt *pkt);

/**
 * Write a tcpdump-like one-line summary of pkt into buf (always
 * NUL-terminated if size > 0), e.g.
 * "IPv4 UDP 198.51.100.7:5000 > 198.51.100.9:6000 len 512".
 * Returns the length the full line has (like snprintf).
 */
size_t dms_pkt_format(const struct dms_pkt *pkt, char *buf, size_t size);

/** Short names: "ok", "truncated", "invalid" / "none", "ok", "partial", ... */
const char *dms_pkt_status_name(enum dms_pkt_status status);
const char *dms_csum_name(enum dms_csum csum);

/**
 * True if an IPv6 address lies in an allocated block (global unicast,
 * unique local, link-local, ::/::1/IPv4-mapped, NAT64, and multicast when
 * dst).  Packets with other addresses are rejected as invalid.
 */
bool dms_ipv6_addr_plausible(const uint8_t *addr, bool dst);

/**
 * Internet checksum (RFC 1071) helpers: add len bytes to a 32-bit partial
 * sum (len may be odd only for the last piece), and fold to 16 bits.
 */
uint32_t dms_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t dms_csum_fold(uint32_t sum);

#endif // DMS_PKT_H
