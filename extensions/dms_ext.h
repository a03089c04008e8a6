// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: internal interfaces shared by the glue files.
//
// Everything here is hidden (the extension is built with
// -fvisibility=hidden); only the constructor in dmasleuth.c runs on load.
// These files include crash's defs.h; lib/ never does.
#ifndef DMS_EXT_H
#define DMS_EXT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "reader.h"
#include "scan.h"

#include "kfacts.h"
#include "layout.h"
#include "owner.h"

// The kernel facts table (lib/kfacts.h), filled once when the extension
// loads (kfacts.c) from crash's debuginfo and address-space numbers.  Every
// offset, size, flag bit and page type value the glue and lib/ use comes
// from here.
extern struct dms_kfacts dms_kf;

/** Fill dms_kf once; called from the constructor. */
void dms_ext_kfacts_init(void);

/** End of physical memory (max_pfn * page size). */
uint64_t dms_max_paddr(void);

/** The layout provider over crash's debuginfo (STRUCT_SIZE, MEMBER_OFFSET, enums). */
struct dms_layout dms_crash_layout(void);

// Commands (one file each): the function and crash's help array.
void dms_cmd_pktscan(void);
void dms_cmd_dmaf(void);
extern char *dms_help_dmaf[];
extern char *dms_help_pktscan[];

// Ctrl-C and progress for long commands (interrupt.c).

#include <signal.h>
#include <time.h>

struct dms_interrupt {
	bool installed;
	struct sigaction old;
};

/** Take SIGINT for this command (clears the interrupted flag). */
void dms_interrupt_begin(struct dms_interrupt *in);

/** Give SIGINT back to crash; idempotent. */
void dms_interrupt_end(struct dms_interrupt *in);

/** Was Ctrl-C pressed since dms_interrupt_begin()? */
bool dms_interrupted(void);

struct dms_progress {
	bool quiet, shown;
	struct timespec last;
};

/**
 * True when a progress line should be printed now (stderr is a terminal, not quiet,
 * half a second since the last one); the caller prints it with "\r".
 */
bool dms_progress_due(struct dms_progress *p);

/** Erase the progress line if one was printed. */
void dms_progress_clear(struct dms_progress *p);

/** Seconds from a to b (CLOCK_MONOTONIC readings). */
double dms_elapsed(const struct timespec *a, const struct timespec *b);

// dms_json_str(): lib/report.h.
#include "report.h"

/**
 * Make an output file readable by its owner only (mode 0600): redacted evidence is for
 * sharing on purpose, not with every user of this machine.  Create such files under
 * umask(077) too; this covers a file that existed before (fopen keeps its mode).
 */
void dms_ext_private_file(const char *path);

// Readers over crash's readmem (creader.c).

struct dms_creader;

// Called from the readers before each chunk: progress and interruption.
// Return false to stop the scan.
typedef bool dms_creader_tick_fn(uint64_t pos, void *arg);

/**
 * A reader of physical memory: read_phys over readmem(PHYSADDR),
 * for_each_range over crash's memory node table (pages missing from the dump
 * read short), direct-map translations through PTOV/VTOP.
 */
struct dms_creader *dms_creader_phys_create(dms_creader_tick_fn *tick, void *arg);

/**
 * A reader whose "physical" addresses are kernel virtual addresses: reads go
 * through readmem(KVADDR) one page at a time, ranges are runs of pages that
 * translate (kvtop) to a physical page.  Used for -v.
 */
struct dms_creader *dms_creader_virt_create(dms_creader_tick_fn *tick, void *arg);

/** The reader interface of a crash reader. */
const struct dms_reader *dms_creader_reader(struct dms_creader *cr);

/** True if the tick function stopped the last scan. */
bool dms_creader_stopped(const struct dms_creader *cr);

/** Bytes read so far (look-ahead bytes read twice count twice). */
uint64_t dms_creader_bytes_read(const struct dms_creader *cr);

/** Destroy a crash reader; accepts NULL. */
void dms_creader_destroy(struct dms_creader *cr);

/**
 * Serve a physical reader's reads of [start, end) from a parallel pass over
 * crash's dump file (lib/dumpfile.h, threads workers, 0: one per CPU): the
 * extension reads a kdump-compressed (plain or flattened) or ELF dump itself
 * once it agrees with readmem on sample pages; ranges stay crash's node
 * table, so results are those of the readmem path.  false with a one-line
 * reason in why when it cannot: the reader then goes on through readmem.
 */
bool dms_creader_stream(struct dms_creader *cr, uint64_t start, uint64_t end, unsigned int threads,
			char *why, size_t whylen);

/**
 * dms_creader_stream() for a walk that reads some pages in address order:
 * only pages where want(paddr, len, want_arg) is true are decompressed ahead
 * (struct dms_pstream_config.want), any other page is read when asked.
 */
bool dms_creader_stream_want(struct dms_creader *cr, uint64_t start, uint64_t end,
			     unsigned int threads, bool (*want)(uint64_t, uint64_t, void *),
			     void *want_arg, char *why, size_t whylen);

/** A -t argument: decimal threads 0 (one per CPU) to 64; false if it is not one. */
bool dms_creader_threads_arg(const char *arg, unsigned int *ret);

/** Worker threads of the attached pass (0: reads go through readmem). */
unsigned int dms_creader_stream_threads(const struct dms_creader *cr);

/** Detach the parallel pass (its threads end): reads go through readmem again. */
void dms_creader_unstream(struct dms_creader *cr);

/** The format of the dump file the extension opened itself ("kdump-compressed", ...), or NULL. */
const char *dms_creader_dump_format(void);

/** Read physical memory, stopping at the first page not in the dump. */
size_t dms_read_phys(uint64_t paddr, void *buf, size_t len);

/** Direct-map translation; false outside the direct map. */
bool dms_paddr_to_kvaddr(uint64_t paddr, uint64_t *ret);
bool dms_kvaddr_to_paddr(uint64_t kvaddr, uint64_t *ret);

// Pipelined scan (pipescan.c).

/**
 * Like dms_scan_reader(), but every page is read once (the look-ahead read
 * past a chunk is reused by the next chunk) and, if threaded, reading (the
 * calling thread) and scanning (one worker thread) overlap.  fn always runs
 * on the calling thread, so it may call crash.
 */
struct dms_error *dms_pipescan(struct dms_scan *scan, const struct dms_reader *reader,
			       uint64_t start, uint64_t end, bool threaded, dms_hit_fn *fn,
			       void *arg);

// Owners of memory (owner.c).

// The owner of one address: the page's owner plus, for slab memory, the
// object that holds the address.
struct dms_owner {
	struct dms_page_owner page;
	bool has_obj;
	uint64_t obj;
	// addr - obj (two's complement: "negative" inside the object's left
	// red zone, which only slub_debug caches have).
	uint64_t offset;
	// The address lies in the slab's tail, after the last object.
	bool slab_tail;
	// Object state from the SLUB model ("allocated", "free", "free (cpu)",
	// "unknown"), NULL without a model.
	const char *state;
};

/** Classify the page that holds paddr (lib/owner.c's model; cached per page). */
void dms_page_owner_get(uint64_t paddr, struct dms_page_owner *ret);

/** The owner of paddr, with the slab object when it is slab memory. */
void dms_owner_get(uint64_t paddr, struct dms_owner *ret);

/** One-line owner text ("slab kmalloc-1k obj 0xffff...+0x40"). */
size_t dms_owner_format(const struct dms_owner *owner, char *buf, size_t size);

/** Forget cached page owners (at the start of each command). */
void dms_owner_cache_reset(void);

/**
 * Find a kmem_cache by name on slab_caches (bounded walk); 0 if none.
 * On success *size_ret is the object stride.
 */
uint64_t dms_slab_cache_find(const char *name, uint32_t *size_ret);

/**
 * Called for each slab of a cache: [paddr, paddr + bytes) is the slab's
 * memory.  Return false to stop.
 */
typedef bool dms_slab_fn(uint64_t paddr, uint64_t bytes, const struct dms_page_owner *owner,
			 void *arg);

/**
 * Visit every slab of cache by walking the memory map (struct pages of all
 * memory nodes): works on full slabs too, and on corrupted lists.  Returns
 * the number of slabs visited.
 */
uint64_t dms_slab_for_each(uint64_t cache, dms_slab_fn *fn, void *arg);

// The SLUB model and object checks (slubglue.c), slabcheck (slabcheck.c).

struct dms_slub;     /* lib/slub.h */
struct dms_objcheck; /* lib/objcheck.h */
struct dms_ptr_info; /* lib/classify.h */

/** The session's SLUB model, created on first use from crash's debuginfo (layout filled once); NULL
 *  with *why set to a one-line reason when the kernel lacks what it needs. Never longjmps. */
struct dms_slub *dms_ext_slub(const char **why);

/**
 * The session's object checker over dms_ext_slub(), its offsets and cache
 * addresses filled from debuginfo; NULL with *why set when unavailable.
 */
struct dms_objcheck *dms_ext_objcheck(const char **why);

/**
 * Progress/interruption for the model's reads while a command runs; NULL
 * when it ends.  dms_ext_slub_stopped() says whether the tick stopped a read.
 */
void dms_ext_slub_set_tick(dms_creader_tick_fn *tick, void *arg);
bool dms_ext_slub_stopped(void);

/**
 * A walk of every slab (slabs come in pfn order) reads the slab bytes from a
 * parallel pass over crash's dump file (dms_creader_stream on the model's
 * physical reader, threads workers, 0: one per CPU) until
 * dms_ext_slub_unstream(); the same bytes as readmem.  false with a one-line
 * reason in why when it cannot: the walk reads through readmem.
 */
bool dms_ext_slub_stream(unsigned int threads, char *why, size_t whylen);
/** Worker threads of the attached pass (0: none attached). */
unsigned int dms_ext_slub_stream_threads(void);
void dms_ext_slub_unstream(void);

/** Pointer predicate (lib/classify.h dms_ptr_fn): slab objects, kernel image, vmalloc. */
bool dms_ext_ptr_info(uint64_t value, void *arg, struct dms_ptr_info *ret);

void dms_cmd_slabcheck(void);
extern char *dms_help_slabcheck[];

// Network devices and their RX rings (netdev.c; the rxring command: rxring.c).

#include "nicring.h"

// One net_device as rxring shows it.
struct dms_netdev {
	uint64_t addr, priv;
	char name[32], driver[32];
	char driver_from[32]; // "dev.parent->driver->name", "module of netdev_ops", "none"
	uint32_t flags;
	bool up, has_mac, has_features;
	uint8_t mac[6], addr_len;
	uint64_t features, hw_features;
	uint32_t rx_queues, tx_queues;
	uint64_t parent, iommu_group; // struct device of the parent (PCI/virtio), its iommu_group
	bool name_unterminated;	      // net_device.name filled IFNAMSIZ bytes with no NUL
};

/**
 * Walk init_net's devices into out (at most max); returns how many were stored.
 * why (may be NULL) says what stopped the walk early or looked corrupt ("" if nothing).
 */
size_t dms_netdev_list(struct dms_netdev *out, size_t max, char *why, size_t whylen);

struct dms_feature {
	const char *name; // "rx-csum", "tso", "lro", "gro-hw", ...
	bool known;	  // the NETIF_F_*_BIT enumerator is in the debuginfo
	bool on;
};

/** Decode netdev_features_t by the NETIF_F_*_BIT enumerators; returns the count stored. */
size_t dms_netdev_features(uint64_t features, struct dms_feature *ret, size_t max);

struct dms_iommu {
	bool on; // an IOMMU is enabled (intel/amd on x86-64; any registered one, e.g. an ARM SMMU)
	bool passthrough; // ... with an identity default domain
	char which[64];
	char text[192]; // one line for the user
};

/** Whether DMA addresses are translated by an IOMMU in the dump. */
void dms_iommu_get(struct dms_iommu *ret);

// A device's RX rings as read by lib/nicring.
struct dms_netdev_rings {
	const struct dms_nicring *nr; // NULL: see why (no table entry, no debuginfo)
	const char *files;	      // the debug modules the layout came from
	char why[400];
	struct dms_iommu iommu;
	struct dms_nicring_result *res;
	// Per ring: the descriptor ring read back (ring->count entries) or NULL;
	// freed_hw[i]: read at the DMA address of a descriptor ring the driver freed.
	struct dms_nicring_hwdesc **hw;
	bool *freed_hw;
	size_t nhw;
};

/** Walk a device's RX rings (NULL return: ok or "not walked" in (*ret)->why). */
struct dms_error *dms_netdev_rings_get(const struct dms_netdev *dev, struct dms_netdev_rings **ret);

/** Destroy; accepts NULL. */
void dms_netdev_rings_destroy(struct dms_netdev_rings *r);

void dms_cmd_rxring(void);
extern char *dms_help_rxring[];

// The facts dmaf's verdict is made from (facts.c; lib/facts.h).

struct dms_facts;
struct dms_vframe;
struct dms_slub_cache;

/**
 * A carved frame at paddr with owner own as lib's verdict sees it (lib/facts.h): the
 * one conversion of a hit, for dmaf's facts and pktscan's frame class.  Slab frames get
 * the most telling object they overlap and its state from the SLUB model; returns that
 * object's cache (its merged names matter to the packet-cache policy), or NULL.
 */
const struct dms_slub_cache *dms_ext_vframe(const struct dms_hit *hit, uint64_t paddr,
					    const struct dms_owner *own, struct dms_vframe *ret);

/**
 * Per-IRQ counts into f (or a gap).  Run it before anything is allocated: crash's tree
 * walkers may abort the command on a damaged IRQ tree.
 */
void dms_ext_facts_irqs(struct dms_facts *f);

/**
 * Read everything else the verdict needs into f: frames and owners, caches, slab
 * findings, netdevs and ring slots, the log, the oops' reads,
 * page_pool pools; what cannot be read is recorded as a gap.  Errors: out of memory,
 * no struct page owners, Ctrl-C (DMS_ERR_STOP).
 */
struct dms_error *dms_ext_facts_gather(struct dms_facts *f, bool quiet);

/** dmaf -M: the facts' frame scan reads through crash's readmem, not the parallel reader. */
extern bool dms_facts_readmem_only;

#endif // DMS_EXT_H
