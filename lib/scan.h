// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: one-pass packet scanner over memory.
//
// The scanner finds every packet that starts in a buffer, in one pass: a
// vector pre-filter (SSE2 on x86-64, 64-bit SWAR elsewhere) finds bytes that
// can start an IPv4/IPv6 header or end an ARP ethertype, cheap checks reject
// most of them, and survivors are decoded by dms_pkt_decode().  An IP packet preceded by a matching
// Ethernet header (with VLAN tags) is reported once, as the Ethernet frame.
// Candidates inside an already reported frame are skipped, also across
// consecutive calls (the state is kept in struct dms_scan).
#ifndef DMS_SCAN_H
#define DMS_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pkt.h"
#include "reader.h"

// Longest L2 header looked back for: Ethernet + DMS_PKT_MAX_VLANS tags.
#define DMS_SCAN_MAX_L2_HDR (14 + 4 * DMS_PKT_MAX_VLANS)

struct dms_hit {
	// Decoded packet; pkt.offset is the frame start in the scanned buffer.
	struct dms_pkt pkt;
	// Absolute position of the frame start: base + pkt.offset (the
	// physical address when scanning through a reader).
	uint64_t pos;
	// The frame's bytes, data[0..pkt.caplen); valid during the callback.
	const uint8_t *data;
};

/**
 * Called for each hit in increasing position order.  Return NULL to go on or
 * an error to stop the scan (the scan returns it).
 */
typedef struct dms_error *dms_hit_fn(const struct dms_hit *hit, void *arg);

struct dms_scan {
	// Hits need score >= min_score (default DMS_PKT_HIT_SCORE).
	int min_score;
	// Also report damaged frames (dms_pkt_damaged(): Ethernet and IPv4 headers
	// valid, the rest written over since the frame landed).  Off by default:
	// pktscan carves intact packets; dmaf weighs damaged ones too.
	bool damaged;
	// Absolute end of the last reported frame: candidates before it are
	// inside that frame and skipped.
	uint64_t covered_end;
	// Statistics: bytes scanned, pre-filter candidates, full decodes, hits.
	uint64_t bytes, candidates, decodes, hits;
};

/** Initialise a scan with default settings and zero statistics. */
void dms_scan_init(struct dms_scan *scan);

/**
 * Scan buf[0..len) for frames that start in buf[0..scan_len) (scan_len <=
 * len); bytes after scan_len are look-ahead for frames that cross the end
 * (e.g. the next page).  base is the absolute position of buf[0]; calls to
 * one scan must have increasing bases.
 */
struct dms_error *dms_scan_buffer(struct dms_scan *scan, const uint8_t *buf, size_t len,
				  size_t scan_len, uint64_t base, dms_hit_fn *fn, void *arg);

/**
 * Scan the dumpable physical memory in [start, end) through a reader, in
 * chunks, reassembling frames that cross into the next present page.  Hit
 * positions are physical addresses.  Memory use is constant.
 */
struct dms_error *dms_scan_reader(struct dms_scan *scan, const struct dms_reader *reader,
				  uint64_t start, uint64_t end, dms_hit_fn *fn, void *arg);

#endif // DMS_SCAN_H
