// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the facts of a dump, as the glue read them -- and nothing decided yet.
//
// The crash glue (extensions/facts.c) reads a dump and records what it holds: every
// carved frame and who owns its memory, the slab caches those frames sit in, the slab
// model's findings and the type checks' failures, the network devices, their RX ring
// slots and why a device's rings could not be read, the kernel log, the memory reads
// the oops' bad value needed, per-IRQ counts, page_pool pools, and every piece it
// could not gather ("gaps").  lib/verdict.c decides everything from these facts alone:
// what is legitimate traffic, which caches hold packets, what is an IRQ storm or a pool
// with pages in flight, and the verdict.
//
// Facts serialise to JSON (docs/json.md, "dmaf -f: facts"), so a verdict can be
// replayed without crash or the dump (scripts/dmasleuth-verdict, tests/facts/).  A
// facts file is untrusted input: dms_facts_read() checks every field.
#ifndef DMS_FACTS_H
#define DMS_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "memmap.h"
#include "owner.h"
#include "vaddr.h"

#define DMS_FACTS_VERSION 1

// UNKNOWN: the slab's freelist could not be walked to the end (often because a frame
// overwrote a free object's free pointer), so the object is not known to be free.
enum dms_vobj_state { DMS_VOBJ_UNKNOWN, DMS_VOBJ_LIVE, DMS_VOBJ_FREE };

/** One carved frame or packet and who owns its memory. */
struct dms_vframe {
	uint64_t paddr;	 // first byte of the frame (Ethernet header, or IP header if bare)
	uint64_t kvaddr; // direct-map address, 0 if none
	uint32_t len;	 // bytes the headers declare (or the bytes present, if fewer)
	bool has_l2;	 // an Ethernet header is present
	uint8_t dst_mac[6];
	bool ip_csum_ok;   // IPv4 header checksum verified (IPv6: the header decodes)
	bool l4_csum_ok;   // transport checksum verified
	bool damaged;	   // headers intact, payload written over since (dms_pkt_damaged)
	bool virtio_hdr;   // a plausible virtio_net_hdr precedes the frame
	uint16_t vlan;	   // 0 = untagged
	char summary[128]; // "IPv4 UDP a:p > b:q len n"
	char flow[128];	   // a flow key: "udp 203.0.113.3:40001 > 192.0.2.10:5001"
	enum dms_owner_kind owner;
	char cache[64];	    // slab cache name when owner is SLAB
	uint64_t obj;	    // object base (SLAB)
	int32_t obj_offset; // frame start - object base (negative: the frame starts before it)
	uint32_t obj_size;
	enum dms_vobj_state state;
};

/** A slab cache frames were found in: its name and the names merged into it. */
#define DMS_FCACHE_MAX_ALIASES 8
struct dms_fcache {
	char name[64];
	size_t naliases;
	char aliases[DMS_FCACHE_MAX_ALIASES][64];
};

#define DMS_FNETDEV_MAX_FEATURES 24

/** A network device of the dumped machine. */
struct dms_vnetdev {
	char name[32];
	char driver[32]; // "" when the device has no driver (loopback)
	// The driver is its bus device's (PCI, virtio: dev.parent->driver), so it has RX
	// rings of its own; else a software device's module (8021q, bridge ...), or none.
	bool bus_driver;
	uint8_t mac[6];
	bool up;
	// Features (offloads) whose NETIF_F_*_BIT the debuginfo names, and whether each is on.
	size_t nfeatures;
	struct {
		char name[16]; // "rx-csum", "tso", "lro", ...
		bool on;
	} features[DMS_FNETDEV_MAX_FEATURES];
	// Its RX rings: read (rings_read), or why not ("" when the device has no driver).
	bool rings_read;
	char rings_why[400];
};

/** A ring slot (current or stale descriptor) whose DMA address points into a page. */
struct dms_vslot {
	char netdev[32];
	int ring, slot;
	bool stale;	     // from the device's descriptor ring copy, not the driver's bookkeeping
	uint64_t dma, paddr; // buffer DMA address and the physical address it maps to (0: unknown)
	uint32_t len;
};

/** A finding of the SLUB model (lib/slub.h): broken freelists, counters, red zones ... */
struct dms_ffinding {
	char code[24]; // "FREELIST_OUTSIDE" ... (dms_slub_code_name)
	char cache[64];
	uint64_t object; // 0 when not about one object
	uint64_t addr;	 // the offending bytes
	uint64_t paddr;	 // ... their physical address, 0 outside the direct map
	uint64_t value;
	char field[32];
	// Frames lib/classify finds in the object's bytes (and the 64 bytes before it).
	uint32_t object_packets;
	char reason[160];
};

/** An address where the oops' bad value (or the value plus a small offset) is stored. */
struct dms_fvalue_hit {
	uint64_t paddr, kvaddr; // kvaddr 0: outside the direct map
	int64_t delta;		// the stored word minus the value (container_of offsets)
	enum dms_owner_kind owner;
	char owner_text[160]; // "slab anon_vma_chain obj ff19...+0x0 state=allocated"
};

#define DMS_FPANIC_MAX_HITS 16

/** The reads the oops' analysis asked for (lib/panic.h says which). */
struct dms_fpanic {
	// The faulting function's address from the vmlinux, when the oops printed a
	// symbol only ("RIP: 0010:func+0x48/0xc0"); rip_sym names it.
	bool has_sym;
	char rip_sym[96];
	uint64_t sym_addr;
	// The word at the address the loading instruction read (lib/insn.h load site).
	bool has_load;
	uint64_t load_ea, load_paddr, load_kvaddr, load_value; // load_kvaddr: direct map, 0 if none
	char load_owner[160];
	// Where the value is stored in memory (searched when the load site did not say).
	bool searched;
	uint64_t searched_value;
	size_t nhits;
	bool hits_more; // more than DMS_FPANIC_MAX_HITS
	struct dms_fvalue_hit hits[DMS_FPANIC_MAX_HITS];
};

/** One interrupt line and how often it fired, summed over CPUs. */
struct dms_firq {
	uint32_t irq;
	char name[48]; // the first irqaction's name, "" if none
	uint64_t count;
};

/** A page_pool found through its pages (pp_magic, page.pp). */
struct dms_fpool {
	uint64_t addr;
	uint64_t pages;		// of its pages in the dump
	bool counters;		// hold/release were read
	uint32_t hold, release; // pages_state_hold_cnt, pages_state_release_cnt
};

/**
 * Something the glue could not gather.  what is one of dms_gap_names (docs/dmaf.md,
 * "Notes"): "slub", "netdevs", "log", "panic", "irqs", "page_pool", "scan".
 */
struct dms_fgap {
	char what[16];
	char why[400];
};

struct dms_facts {
	int version;
	char release[65]; // utsname release, "" unknown
	char machine[16]; // "x86_64"
	// The architecture (crash's machine type): the oops format, instruction set and
	// address rules (lib/vaddr.h).
	enum dms_arch arch;
	// Virtual address width from the facts table (48, 57; arm64 39..52); 0: unknown
	// (the oops' "48-bit VAs" line, else 48).
	unsigned int va_bits;

	// Frames in slab objects and page tables are kept one by one; frames anywhere
	// else are counted by owner kind (frames_counted); frames beyond DMS_FACTS_MAX_FRAMES
	// in slab memory are counted as unweighed.
	struct dms_vframe *frames;
	size_t nframes, frames_cap;
	uint64_t frames_counted[DMS_NUM_OWNER_KINDS];
	uint64_t frames_unweighed;
	// Where the frames not kept one by one were, for the memory map (lib/memmap.h):
	// physical memory [0, memory_end) in the memmap's cells, counts per owner kind
	// (frames beyond the cap count as slab).  Set memory_end before adding frames.
	uint64_t memory_end;
	uint32_t (*cell_counts)[DMS_NUM_OWNER_KINDS]; // DMS_MEMMAP_MAX_CELLS rows, or NULL
	// The kernel address of physical 0 (the direct map), to place kernel addresses.
	bool has_direct_map;
	uint64_t direct_map;

	struct dms_fcache *caches;
	size_t ncaches, caches_cap;

	struct dms_vnetdev *netdevs;
	size_t nnetdevs, netdevs_cap;
	struct dms_vslot *slots;
	size_t nslots, slots_cap;

	bool has_log;
	char *log; // the kernel log as crash's `log` prints it (NUL-terminated)
	size_t log_len;

	struct dms_fpanic panic;

	bool slub; // the slab walk ran (findings are complete up to the cap)
	struct dms_ffinding *findings;
	size_t nfindings, findings_cap;
	uint64_t findings_dropped;

	bool has_irqs;
	struct dms_firq *irqs;
	size_t nirqs, irqs_cap;

	bool has_pools; // the page_pool survey ran
	struct dms_fpool *pools;
	size_t npools, pools_cap;

	struct dms_fgap *gaps;
	size_t ngaps, gaps_cap;
};

#define DMS_FACTS_MAX_FRAMES (1u << 16)
#define DMS_FACTS_MAX_FINDINGS 4096

/** An empty set of facts. */
void dms_facts_init(struct dms_facts *f);

/** Free what the facts hold (not f itself); f is empty afterwards. */
void dms_facts_deinit(struct dms_facts *f);

/**
 * Record a carved frame: kept in full when it sits in a slab or a page table (up to
 * DMS_FACTS_MAX_FRAMES), else counted by owner.
 */
struct dms_error *dms_facts_add_frame(struct dms_facts *f, const struct dms_vframe *frame);

/** Record a slab cache (once per name; later calls add aliases). */
struct dms_error *dms_facts_add_cache(struct dms_facts *f, const char *name,
				      const char *const *aliases, size_t naliases);

/** The recorded cache of this name, or NULL. */
const struct dms_fcache *dms_facts_cache(const struct dms_facts *f, const char *name);

struct dms_error *dms_facts_add_netdev(struct dms_facts *f, const struct dms_vnetdev *nd);
struct dms_error *dms_facts_add_slot(struct dms_facts *f, const struct dms_vslot *slot);
/** Record a finding (up to DMS_FACTS_MAX_FINDINGS; the rest are counted). */
struct dms_error *dms_facts_add_finding(struct dms_facts *f, const struct dms_ffinding *fd);
struct dms_error *dms_facts_add_irq(struct dms_facts *f, const struct dms_firq *irq);
struct dms_error *dms_facts_add_pool(struct dms_facts *f, const struct dms_fpool *pool);

/** Record the kernel log (copied). */
struct dms_error *dms_facts_set_log(struct dms_facts *f, const char *log, size_t len);

/** Record a gap: what could not be gathered and why (printf-style why). */
struct dms_error *dms_facts_add_gap(struct dms_facts *f, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Write the facts as one JSON document (docs/json.md); false on an I/O error. */
bool dms_facts_write(const struct dms_facts *f, FILE *out);

/**
 * Read facts written by dms_facts_write() from text[0..len) into f (initialised here).
 * Unknown members are ignored; a missing required one or a malformed value is an error
 * naming it.
 */
struct dms_error *dms_facts_read(const char *text, size_t len, struct dms_facts *f);

/** Read a facts file. */
struct dms_error *dms_facts_read_file(const char *path, struct dms_facts *f);

#endif // DMS_FACTS_H
