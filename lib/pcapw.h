// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: writing carved packets to capture files.
//
// Ethernet frames are written as LINKTYPE_ETHERNET, bare L3 packets as
// LINKTYPE_RAW: no Ethernet header is ever invented.  Two formats:
//  - classic pcap through libpcap (pcap_open_dead + pcap_dump): one file
//    per link type;
//  - pcapng (one file, one interface per link type) with a per-packet
//    comment carrying where the bytes were found (paddr, kvaddr, owner,
//    score, checksum states), written by this module.
#ifndef DMS_PCAPW_H
#define DMS_PCAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pkt.h"

// LINKTYPE_* values of the pcap/pcapng link-layer header type registry.
#define DMS_LINKTYPE_ETHERNET 1
#define DMS_LINKTYPE_RAW 101

// Where a packet was found; everything optional.
struct dms_pkt_meta {
	uint64_t paddr;
	bool has_paddr;
	uint64_t kvaddr;
	bool has_kvaddr;
	// Owner of the memory, e.g. "slab kmalloc-2k obj 0xffff... +0x40";
	// may come from the dump: it is sanitised, never used as a format.
	const char *owner;
	// Timestamp in nanoseconds since the epoch (0 if unknown).
	uint64_t ts_ns;
};

/** LINKTYPE for a decoded packet: Ethernet frames vs bare L3 packets. */
int dms_pkt_linktype(const struct dms_pkt *pkt);

/**
 * Format the pcapng comment of a packet into buf (NUL-terminated if
 * size > 0), e.g. "paddr=0x1000 kvaddr=0xffff888000001000 owner=... score=90
 * status=ok ip_csum=ok l4_csum=ok"; a damaged frame (dms_pkt_damaged()) has
 * "status=damaged ... damage=WHAT FAILED".  Returns the full length.
 */
size_t dms_pkt_comment(const struct dms_pkt *pkt, const struct dms_pkt_meta *meta, char *buf,
		       size_t size);

// Classic pcap, through libpcap.
struct dms_pcap;

/**
 * Open pcap files for Ethernet frames (eth_path) and bare L3 packets
 * (raw_path); either may be NULL, and packets of that kind are then
 * skipped.
 */
struct dms_error *dms_pcap_create(const char *eth_path, const char *raw_path,
				  struct dms_pcap **ret);

/** Append pkt's captured bytes (data[0..pkt->caplen)) to the right file. */
struct dms_error *dms_pcap_write(struct dms_pcap *w, const struct dms_pkt *pkt, const uint8_t *data,
				 const struct dms_pkt_meta *meta);

/** Flush and close the files; returns an error if a flush failed. */
struct dms_error *dms_pcap_destroy(struct dms_pcap *w);

// pcapng, written directly (see docs/packets.md for why not libwiretap).
struct dms_pcapng;

/**
 * Create a pcapng file with a section header and two interfaces: 0 =
 * Ethernet, 1 = raw IP.
 */
struct dms_error *dms_pcapng_create(const char *path, struct dms_pcapng **ret);

/**
 * Append an Enhanced Packet Block with pkt's captured bytes, original
 * length pkt->frame_len, and the dms_pkt_comment() comment.
 */
struct dms_error *dms_pcapng_write(struct dms_pcapng *w, const struct dms_pkt *pkt,
				   const uint8_t *data, const struct dms_pkt_meta *meta);

/** Flush and close; accepts NULL; returns an error if writing failed. */
struct dms_error *dms_pcapng_destroy(struct dms_pcapng *w);

#endif // DMS_PCAPW_H
