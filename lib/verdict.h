// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the DMA-after-free verdict, from facts the glue gathered in a dump.
//
// The engine weighs what EVIDENCE.md lists, strongest first: whole received frames in
// live objects of caches that never hold packets; frames addressed to one of this
// machine's NICs; device framing (a virtio_net header, one buffer offset shared by many
// frames); ring provenance (a descriptor or buffer slot pointing into the page); the
// kernel log; the panic itself.  Every conclusion is an evidence item with an address,
// so a reader can re-check it with plain crash commands.  The verdict is categorical
// (which kinds of evidence are present), not a threshold tuned to some dumps; the score
// only says how much independent evidence agrees.
#ifndef DMS_VERDICT_H
#define DMS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "vaddr.h"

enum dms_verdict {
	DMS_VERDICT_DMA_AFTER_FREE,
	DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA,
	DMS_VERDICT_NO_CORRUPTION,
	DMS_VERDICT_INCONCLUSIVE,
};

/** Who owned the memory a frame was found in. */
enum dms_vowner {
	DMS_VOWNER_UNKNOWN,
	DMS_VOWNER_SLAB, // cache/state/offset say more
	DMS_VOWNER_PAGE_POOL, // a page_pool page (pp_magic)
	DMS_VOWNER_PAGE_FRAG, // a network page-frag / RX buffer page in use
	DMS_VOWNER_BUDDY, // a free page in the buddy allocator
	DMS_VOWNER_FREE, // refcount 0 (per-cpu free lists)
	DMS_VOWNER_ANON, // user memory
	DMS_VOWNER_PAGECACHE,
	DMS_VOWNER_PGTABLE,
	DMS_VOWNER_KERNEL_IMAGE,
};

// UNKNOWN: the slab's freelist could not be walked to the end (often because a frame
// overwrote a free object's free pointer), so the object is not known to be free.
enum dms_vobj_state { DMS_VOBJ_UNKNOWN, DMS_VOBJ_LIVE, DMS_VOBJ_FREE };

/** One carved frame or packet and who owns its memory. */
struct dms_vframe {
	uint64_t paddr; // first byte of the frame (Ethernet header, or IP header if bare)
	uint64_t kvaddr;
	bool has_l2; // an Ethernet header is present
	uint8_t dst_mac[6];
	bool ip_csum_ok, l4_csum_ok; // header and transport checksums verified
	bool virtio_hdr; // a plausible virtio_net_hdr precedes the frame
	uint16_t vlan; // 0 = untagged
	char summary[128]; // "IPv4 UDP a:p > b:q len n"
	char flow[128]; // a flow key: "udp 203.0.113.3:40001 > 192.0.2.10:5001"
	enum dms_vowner owner;
	char cache[64]; // slab cache name when owner is SLAB
	uint64_t obj; // object base (SLAB)
	int32_t obj_offset; // frame start - object base (negative: the frame starts before it)
	uint32_t obj_size;
	enum dms_vobj_state state;
	bool packet_cache; // the cache may legitimately hold packets (kmalloc, skbuff...)
};

/** A network device of the dumped machine. */
struct dms_vnetdev {
	char name[32];
	char driver[32];
	uint8_t mac[6];
	bool up;
	uint32_t rx_buf_len; // typical RX buffer size (0 unknown)
	uint32_t frame_offset; // where the device puts a frame in a buffer (0 unknown)
};

/** A ring slot (current or stale descriptor) whose DMA address points into a page. */
struct dms_vslot {
	char netdev[32];
	int ring, slot;
	bool stale; // from the device's descriptor ring copy, not the driver's bookkeeping
	uint64_t dma, paddr; // buffer DMA address and the physical address it maps to
	uint32_t len;
};

/** A kernel log signature (lib/logsig.h), reduced to what the verdict needs. */
struct dms_vlog {
	char kind[32]; // dms_logsig_kind_name()
	bool nic_class;
	bool crash_class;
	char netdev[32], driver[32];
	char device[32]; // bus id ("0000:07:00.3") when the line names no netdev
	double time; // printk seconds, -1 if none
	char line[192];
};

/** The panic, decoded (lib/insn.h), and where the bad value came from. */
struct dms_vpanic {
	bool valid;
	enum dms_arch arch; // of the decoded instruction (x86-64 registers print as %rax)
	char insn[256]; // "mov 0x10(%rdx),%rax at anon_vma_interval_tree_insert+72"
	char reg[8]; // culprit register
	uint64_t value; // its value
	// The value is no pointer kernel code may follow (lib/vaddr.h: non-canonical on
	// x86-64; on arm64 between the ranges or tagged), and why, in words ("" reads
	// "is non-canonical").
	bool noncanonical;
	char why[160];
	bool value_in_frame; // the value's bytes lie inside a carved frame
	uint64_t frame_paddr; // ... that one
	uint64_t loaded_from; // where in memory the value was found (0 unknown)
	int64_t loaded_delta; // what was stored there minus the value (container_of offsets)
	char load_insn[192]; // the instruction that loaded the register, when the code says
	char loaded_from_owner[160]; // "vm_area_struct 0xffff... +0x10 (live)"
};

struct dms_vinput {
	const struct dms_vframe *frames;
	size_t nframes;
	const struct dms_vnetdev *netdevs;
	size_t nnetdevs;
	const struct dms_vslot *slots;
	size_t nslots;
	const struct dms_vlog *logs;
	size_t nlogs;
	struct dms_vpanic panic;
	size_t slab_findings; // slabcheck findings (freelist/metadata corruption)
	size_t slab_findings_packet; // ... of those, ones whose bytes are packet data
	size_t objcheck_failures; // type-check failures in live objects
	size_t objcheck_failures_packet; // ... whose overwritten bytes are packet data
};

enum dms_evidence_kind {
	DMS_EV_FRAMES_IN_FOREIGN_OBJECTS, // 1: whole frames in live non-packet objects
	DMS_EV_FRAMES_IN_FREED_OBJECTS, // frames in free slab objects / free pages
	DMS_EV_DST_MAC, // 2: addressed to this NIC
	DMS_EV_DEVICE_FRAMING, // 3: virtio header / shared buffer offset
	DMS_EV_RING_PROVENANCE, // 4: descriptors point into the page
	DMS_EV_LOG, // 6
	DMS_EV_PANIC, // 7
	DMS_EV_SOFTWARE_CORRUPTION, // corruption without packet bytes
	DMS_EV_LEGIT_PACKETS, // packets only where packets belong
	DMS_EV_NUM_KINDS,
};

struct dms_evidence {
	enum dms_evidence_kind kind;
	int weight; // contribution to the score
	uint64_t address; // where to look (0 none)
	char text[512];
};

// Log signatures are merged by (signature, device) with a count; at most this many
// merged items are listed, the last one saying how many more there are.  Every other
// kind has one item at most, so the list always has room for each kind.
#define DMS_VERDICT_MAX_LOG_ITEMS 4
#define DMS_VERDICT_MAX_EVIDENCE 24

struct dms_vresult {
	enum dms_verdict verdict;
	int score; // 0..100: how much independent evidence agrees with the verdict
	char netdev[32], driver[32]; // the suspected NIC ("" if none)
	int ring; // suspected RX ring, -1 unknown
	char top_flows[4][160]; // most frequent flows among incriminating frames
	size_t nflows;
	size_t incriminating; // frames counted as evidence of DMA-after-free
	size_t nevidence;
	struct dms_evidence evidence[DMS_VERDICT_MAX_EVIDENCE];
};

/**
 * Could these 12 bytes be a virtio_net_hdr_mrg_rxbuf as a device writes it in front of
 * a received frame (flags, GSO type, sizes and num_buffers in their ranges)?
 */
bool dms_virtio_hdr_plausible(const uint8_t hdr[12]);

/**
 * Is this frame evidence of a device writing into memory it did not own: a frame with
 * an Ethernet header and a valid IP header in a page table or in an object of a
 * non-packet cache that is not known to be free?
 */
bool dms_vframe_incriminating(const struct dms_vframe *f);

/** Does a slab cache of this name legitimately hold packet bytes? (kmalloc, skbuff ...) */
bool dms_cache_may_hold_packets(const char *name);

/** Weigh the facts; fills ret.  Input arrays are only read. */
struct dms_error *dms_verdict_compute(const struct dms_vinput *in, struct dms_vresult *ret);

const char *dms_verdict_name(enum dms_verdict v); // "dma-after-free" ...
const char *dms_evidence_kind_name(enum dms_evidence_kind k);

#endif // DMS_VERDICT_H
