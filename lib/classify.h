// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: what do these bytes look like?
//
// dms_classify() sorts the bytes of an object (or any region) into classes:
// whole network frames (the packet decoder of pkt.h), kernel pointers (a
// caller-supplied predicate says where they point, so lib stays free of
// kernel knowledge), ASCII text, slub_debug poison, zeros, small integers
// and high-entropy ("random") bytes.  It returns the dominant class and the
// evidence behind it, each item with its offset, e.g.
// "IPv4 UDP 198.51.100.7:5000 > 198.51.100.9:6000 len 32 at +0x16".
#ifndef DMS_CLASSIFY_H
#define DMS_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum dms_class {
	DMS_CLASS_ZERO,
	// slub_debug bytes: 0x6b, 0xa5, 0xbb, 0xcc, 0x5a.
	DMS_CLASS_POISON,
	// Bytes of a decoded frame (dms_pkt_is_hit()).
	DMS_CLASS_PACKET,
	DMS_CLASS_POINTER,
	DMS_CLASS_ASCII,
	// 64-bit words below 2^32, or -1 .. -2^31 (counters, flags, lengths).
	DMS_CLASS_INTEGER,
	DMS_CLASS_RANDOM,
	DMS_CLASS_NUM,
};

/** "zero", "poison", "packet", "pointer", "ascii", "integer", "random". */
const char *dms_class_name(enum dms_class cls);

/** Where a pointer points, as the caller's predicate sees it. */
enum dms_ptr_kind {
	DMS_PTR_NONE,
	// Some kernel address the predicate cannot place further.
	DMS_PTR_KERNEL,
	DMS_PTR_DIRECT_MAP,
	DMS_PTR_KERNEL_IMAGE,
	DMS_PTR_MODULE,
	DMS_PTR_VMALLOC,
	// Into a slab object: name is the cache, offset from the object.
	DMS_PTR_SLAB,
};

struct dms_ptr_info {
	enum dms_ptr_kind kind;
	// Cache or symbol name (borrowed; must live until dms_classify
	// returns), or NULL.
	const char *name;
	int64_t offset;
};

/**
 * Is value a kernel pointer?  Fill *ret and return true if so.  The glue
 * implements it with dms_slub_lookup() and crash's symbol tables.
 */
typedef bool dms_ptr_fn(uint64_t value, void *arg, struct dms_ptr_info *ret);

struct dms_kfacts;

struct dms_classify_config {
	// Where a pointer points; NULL: any value in the kernel range of the
	// target (kf, kfacts.h) counts as DMS_PTR_KERNEL; without both, no
	// word is a pointer.
	dms_ptr_fn *pointer;
	void *arg;
	const struct dms_kfacts *kf;
	// Packet score threshold; 0: DMS_PKT_HIT_SCORE.
	int min_score;
};

#define DMS_CLASS_MAX_EVIDENCE 8

struct dms_class_evidence {
	enum dms_class cls;
	// Offset in the region and length in bytes.
	size_t offset, len;
	// For POINTER: the first pointer; for POISON: the byte.
	uint64_t value;
	// Self-contained line, e.g. "ASCII \"/usr/lib\" at +0x28".
	char text[160];
};

struct dms_class_result {
	enum dms_class dominant;
	// Bytes per class.
	size_t bytes[DMS_CLASS_NUM];
	// Shannon entropy of the region, bits per byte.
	double entropy;
	// Frames found (all of them, also those beyond the evidence list).
	size_t npackets;
	size_t nevidence;
	// Packets first, then runs of other classes in address order.
	struct dms_class_evidence evidence[DMS_CLASS_MAX_EVIDENCE];
};

/**
 * Classify buf[0..len); addr is the (virtual) address of buf[0], used for
 * word alignment only.  The dominant class is the one covering most
 * non-zero bytes (ZERO if fewer than 8 bytes are non-zero).  Frames that
 * start before buf are not seen: pass a wider region to catch them.
 * Returns an error only when out of memory.
 */
struct dms_error *dms_classify(const uint8_t *buf, size_t len, uint64_t addr,
			       const struct dms_classify_config *cfg, struct dms_class_result *ret);

/**
 * One line: "packet (74 of 192 bytes): IPv4 UDP ... at +0x16".  Returns the
 * length the full line has (like snprintf).
 */
size_t dms_class_format(const struct dms_class_result *r, char *buf, size_t size);

/**
 * Class of one little-endian 64-bit word by itself (no packet check),
 * e.g. to say what overwrote a pointer field.
 */
enum dms_class dms_classify_word(uint64_t value, const struct dms_classify_config *cfg,
				 struct dms_ptr_info *ret);

#endif // DMS_CLASSIFY_H
