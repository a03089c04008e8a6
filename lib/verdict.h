// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the DMA-after-free verdict, from the facts the glue gathered in a dump.
//
// The engine weighs the signals of docs/dmaf.md ("Evidence, strongest first"): whole
// received frames in live objects of caches that never hold packets; frames addressed
// to one of this machine's NICs; device framing (a virtio_net header, one buffer offset
// shared by many frames); ring provenance (a descriptor or buffer slot pointing into
// the page); the kernel log; the panic itself.  Every conclusion is an evidence item
// with an address, so a reader can re-check it with plain crash commands.  The verdict
// is categorical (which kinds of evidence are present), not a threshold tuned to some
// dumps; the score only says how much independent evidence agrees.
//
// Every judgement lives here, over struct dms_facts (facts.h): which caches hold
// packets, what counts as legitimate traffic, IRQ storms, page_pool pages in flight,
// which offloads matter, and the notes about what could not be gathered.
#ifndef DMS_VERDICT_H
#define DMS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "facts.h"
#include "memmap.h"
#include "panic.h"
#include "redact.h"

enum dms_verdict {
	DMS_VERDICT_DMA_AFTER_FREE,
	DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA,
	DMS_VERDICT_NO_CORRUPTION,
	DMS_VERDICT_INCONCLUSIVE,
};

/**
 * Does a slab cache hold packet bytes legitimately?  Its objects are buffers of
 * arbitrary bytes the network stack fills (kmalloc-*, dma-kmalloc-*: skb data;
 * skbuff_*: skb heads), under its own name or a name merged into it.  The one
 * policy: dmaf, slabcheck, rxring and pktscan's frame classes all ask here.  An
 * unknown (empty) name counts as holding packets: it accuses nobody.
 */
bool dms_cache_holds_packets(const char *name, const char *const *aliases, size_t naliases);

/** What a carved frame means, one class per frame; the FRAMES counts sum to the total. */
enum dms_frame_class {
	// A whole frame (Ethernet header, valid IP header) in a page table or in an
	// object of a cache that never holds packets, not known to be free.
	DMS_FRAME_INCRIMINATING,
	// Packet data in such an object, but not a whole frame.
	DMS_FRAME_FOREIGN_PARTIAL,
	// In a free object of such a cache: freed memory keeps what was last written.
	DMS_FRAME_FREED,
	// Where packets belong: packet caches, page_pool and other network buffer pages,
	// free pages, user and page-cache pages.
	DMS_FRAME_BELONGS,
	// In the kernel image (static test vectors).
	DMS_FRAME_KERNEL_IMAGE,
	// In memory with no struct page in the dump.
	DMS_FRAME_UNKNOWN_OWNER,
	// In slab memory beyond the frames kept (DMS_FACTS_MAX_FRAMES): counted only.
	DMS_FRAME_UNWEIGHED,
	DMS_FRAME_NUM_CLASSES,
};

/** "incriminating", "foreign-partial", "freed", "belongs", "kernel-image", ... */
const char *dms_frame_class_name(enum dms_frame_class c);

/** The class of a frame whose cache (if in a slab) has these merged names. */
enum dms_frame_class dms_frame_classify_one(const struct dms_vframe *fr, const char *const *aliases,
					    size_t naliases);

/** The class of one kept frame of f (its cache's aliases from f's cache table). */
enum dms_frame_class dms_frame_classify(const struct dms_facts *f, const struct dms_vframe *fr);

/** The class of a frame in memory of this owner kind that was counted, not kept. */
enum dms_frame_class dms_frame_class_of_owner(enum dms_owner_kind k);

/**
 * Could these 12 bytes be a virtio_net_hdr_mrg_rxbuf as a device writes it in front of
 * a received frame (flags, GSO type, sizes and num_buffers in their ranges)?
 */
bool dms_virtio_hdr_plausible(const uint8_t hdr[12]);

enum dms_evidence_kind {
	DMS_EV_FRAMES_IN_FOREIGN_OBJECTS, // 1: whole frames in live non-packet objects
	DMS_EV_FRAMES_IN_FREED_OBJECTS,	  // frames in free slab objects of non-packet caches
	DMS_EV_DST_MAC,			  // 2: addressed to this NIC
	DMS_EV_DEVICE_FRAMING,		  // 3: virtio header / shared buffer offset
	DMS_EV_RING_PROVENANCE,		  // 4: descriptors point into the page
	DMS_EV_LOG,			  // 5: NIC signatures of the kernel log
	DMS_EV_PANIC,			  // 6
	DMS_EV_SOFTWARE_CORRUPTION,	  // corruption without packet bytes
	DMS_EV_LEGIT_PACKETS,		  // packets only where packets belong
	DMS_EV_NUM_KINDS,
};

struct dms_evidence {
	enum dms_evidence_kind kind;
	int weight;	  // contribution to the score
	uint64_t address; // where to look (0 none)
	char text[512];
};

// Log signatures are merged by (signature, device) with a count; at most this many
// merged items are listed, the last one saying how many more there are.  Every other
// kind has one item at most, so the list always has room for each kind.
#define DMS_VERDICT_MAX_LOG_ITEMS 4
#define DMS_VERDICT_MAX_EVIDENCE 24
#define DMS_VERDICT_MAX_NOTES 32

struct dms_vresult {
	enum dms_verdict verdict;
	int score; // 0..100: how much independent evidence agrees with the verdict
	char netdev[32], driver[32]; // the suspected NIC ("" if none)
	int ring;		     // suspected RX ring, -1 unknown
	char top_flows[4][160];	     // most frequent flows among incriminating frames
	size_t nflows;
	// Frames by class (one number per definition): carved is their sum.
	uint64_t carved;
	uint64_t frames[DMS_FRAME_NUM_CLASSES];
	// Slab findings (lib/slub.h), and those whose bytes are packet data (inside a
	// carved frame, or the object holds packets).
	uint64_t slab_findings, slab_findings_packet;
	struct dms_vpanic panic;
	size_t nevidence;
	struct dms_evidence evidence[DMS_VERDICT_MAX_EVIDENCE];
	// What could not be gathered, and context a driver engineer wants next to the
	// verdict without weighing it (page_pool pages in flight, IRQ storms, offloads).
	size_t nnotes;
	char notes[DMS_VERDICT_MAX_NOTES][400];
	// Where every carved frame was, by owner class (dmaf -j's memmap, for reports).
	struct dms_memmap map;
};

/** Weigh the facts; fills ret.  The facts are only read. */
struct dms_error *dms_verdict_compute(const struct dms_facts *f, struct dms_vresult *ret);

const char *dms_verdict_name(enum dms_verdict v); // "dma-after-free" ...
const char *dms_evidence_kind_name(enum dms_evidence_kind k);

/**
 * The verdict as `dmaf` prints it (docs/dmaf.md): VERDICT, SUSPECT, FLOWS, FRAMES,
 * EVIDENCE with a crash command per address, NOTE lines; verbose adds every
 * incriminating frame.  With a redactor (dmaf -R, docs/redaction.md; NULL: none) the
 * flows, evidence, notes and frame summaries show mapped addresses.
 */
void dms_verdict_write_text(FILE *out, const struct dms_facts *f, const struct dms_vresult *r,
			    bool verbose, struct dms_redact *redact);

/** The verdict as `dmaf -j` prints it: one JSON object on one line (docs/json.md). */
void dms_verdict_write_json(FILE *out, const struct dms_facts *f, const struct dms_vresult *r,
			    struct dms_redact *redact);

#endif // DMS_VERDICT_H
