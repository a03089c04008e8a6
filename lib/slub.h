// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: a model of the Linux SLUB allocator read from a dump.
//
// The model reads kernel memory only through struct dms_reader.  Every
// struct offset, size and bit number comes from the kernel facts table
// (kfacts.h: the crash glue fills it from debuginfo, tests from a layout
// fixture or by hand); nothing here depends on a kernel version number.
// What the facts cannot say (how freelist pointers are encoded) is found by
// probing the dump.  See docs/slub.md for the model and its limits.
//
// Every walk is bounded by kernel metadata (objects per slab, caches on the
// list) and cycle-checked.  Corruption is reported as a finding (struct
// dms_slub_finding) and the walk goes on with the next slab: corruption is
// what we are looking for, so it is data, not an error.
#ifndef DMS_SLUB_H
#define DMS_SLUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kfacts.h"
#include "reader.h"

// slub_debug bytes (include/linux/poison.h), stable since 2.6.
#define DMS_SLUB_RED_INACTIVE 0xbb
#define DMS_SLUB_RED_ACTIVE 0xcc
#define DMS_SLUB_POISON_INUSE 0x5a
#define DMS_SLUB_POISON_FREE 0x6b
#define DMS_SLUB_POISON_END 0xa5

/** How free pointers inside objects are stored (CONFIG_SLAB_FREELIST_HARDENED). */
enum dms_slub_fp {
	// Not known yet: probe the dump (the default).
	DMS_SLUB_FP_PROBE,
	// Plain pointer (no hardening).
	DMS_SLUB_FP_PLAIN,
	// ptr ^ s->random ^ (address of the pointer)  (4.14 .. 5.6)
	DMS_SLUB_FP_XOR,
	// ptr ^ s->random ^ swab(address of the pointer)  (5.7 ..)
	DMS_SLUB_FP_XOR_SWAB,
	DMS_SLUB_FP_NUM,
};

/** "probe", "plain", "xor", "xor-swab". */
const char *dms_slub_fp_name(enum dms_slub_fp mode);

/**
 * What the model needs besides the kernel facts (kfacts.h: every offset,
 * size, flag bit, the slab page test, the counters bits, the slub_debug
 * masks and the address space): the dumped machine's CPUs and nodes, and
 * the free pointer encoding if known.
 */
struct dms_slub_env {
	// Possible CPUs and __per_cpu_offset[0..nr_cpus) (copied by create).
	uint32_t nr_cpus;
	const uint64_t *per_cpu_offset;
	// Entries of kmem_cache.node[] to read (nr_node_ids).
	uint32_t nr_nodes;
	// Free pointer encoding; DMS_SLUB_FP_PROBE to probe (the default).
	enum dms_slub_fp fp_mode;
};

// Findings: (code, short description).  Add new ones at the end.
#define DMS_SLUB_FINDINGS                                                                          \
	DMS_SLUB_FINDING(FREELIST_OUTSIDE, "freelist pointer outside its slab")                    \
	DMS_SLUB_FINDING(FREELIST_MISALIGNED, "freelist pointer not at an object start")           \
	DMS_SLUB_FINDING(FREELIST_CYCLE, "freelist cycle")                                         \
	DMS_SLUB_FINDING(FREELIST_DUPLICATE, "object on two freelists")                            \
	DMS_SLUB_FINDING(COUNT_MISMATCH, "inuse disagrees with the freelist")                      \
	DMS_SLUB_FINDING(BAD_COUNTERS, "impossible slab counters")                                 \
	DMS_SLUB_FINDING(BAD_CACHE, "slab_cache is not a known cache")                             \
	DMS_SLUB_FINDING(BAD_GEOMETRY, "impossible kmem_cache sizes")                              \
	DMS_SLUB_FINDING(LIST_CORRUPT, "broken list linkage")                                      \
	DMS_SLUB_FINDING(POISON, "poison overwritten")                                             \
	DMS_SLUB_FINDING(REDZONE, "redzone overwritten")                                           \
	DMS_SLUB_FINDING(NOT_IN_DUMP, "slab memory not in the dump")

enum dms_slub_code {
#define DMS_SLUB_FINDING(name, desc) DMS_SLUB_##name,
	DMS_SLUB_FINDINGS
#undef DMS_SLUB_FINDING
		DMS_SLUB_NUM_CODES,
};

/** Upper-case code name ("FREELIST_CYCLE") / short description. */
const char *dms_slub_code_name(enum dms_slub_code code);
const char *dms_slub_code_desc(enum dms_slub_code code);

/** One piece of corruption. */
struct dms_slub_finding {
	enum dms_slub_code code;
	// Address of the offending bytes (the pointer slot, the first bad
	// redzone byte, the struct field).
	uint64_t addr;
	// The offending value (raw pointer as stored, counters word, ...).
	uint64_t value;
	// struct kmem_cache address and name ("" if unknown).
	uint64_t cache_addr;
	const char *cache_name;
	// struct slab / struct page address, 0 if not about one slab.
	uint64_t slab;
	// Object index and address, -1 / 0 if not about one object.
	int64_t index;
	uint64_t object;
	// Which field: "slab.freelist", "free pointer", "cpu1 freelist",
	// "slab.counters", "right redzone", ... (static string).
	const char *field;
	// Human-readable, self-contained.
	char reason[160];
};

/** A cache as read from the dump (read-only for callers). */
struct dms_slub_cache {
	// struct kmem_cache address.
	uint64_t addr;
	// Name, printable ASCII ('?' for other bytes); "" if unreadable.
	char name[64];
	uint32_t size, object_size, offset, inuse, align, red_left_pad;
	// Order and objects of kmem_cache.oo (the preferred slab size).
	uint32_t order, objects;
	uint64_t flags, random;
	uint64_t cpu_slab;
	// False when the sizes are impossible: its slabs are reported
	// (DMS_SLUB_BAD_GEOMETRY), not walked.
	bool valid;
	// kmem_cache.refcount: how many kmem_cache_create() callers share the
	// cache; above 1 the kernel merged others into it (SLAB_MERGE_DEFAULT),
	// whose names it does not keep.  0: unknown (-1: never merged).
	int32_t refcount;
	// Names the caller said are merged into this cache.
	size_t naliases;
	char **aliases;
};

/** State of one object. */
enum dms_slub_state {
	DMS_SLUB_ALLOCATED,
	// On the slab's freelist.
	DMS_SLUB_FREE,
	// On a CPU's lockless freelist (kmem_cache_cpu.freelist).
	DMS_SLUB_FREE_CPU,
	// Not found on a freelist, but a freelist walk broke or the slab is
	// not in the dump: allocated or free, we cannot say.
	DMS_SLUB_UNKNOWN,
};

/** "allocated", "free", "free (cpu)", "unknown". */
const char *dms_slub_state_name(enum dms_slub_state state);

/** One slab as analysed; valid during a callback only. */
struct dms_slub_slab {
	// NULL when slab_cache is not a known cache (then nothing below
	// the counters is meaningful).
	const struct dms_slub_cache *cache;
	// struct slab / struct page address and slab.slab_cache as read.
	uint64_t page;
	uint64_t cache_addr;
	// Virtual and physical address of the slab's first byte.
	uint64_t base, paddr;
	// From slab.counters (objects clamped to what fits in the slab).
	uint32_t objects, inuse;
	bool frozen;
	// CPU whose active slab (kmem_cache_cpu.slab) this is, or -1.
	int cpu;
	// Every byte of the slab was read.
	bool present;
	// Every freelist of the slab was walked to its end.
	bool freelist_ok;
	// Free objects found (slab freelist + CPU freelists).
	uint32_t nfree;
	// state[i] is an enum dms_slub_state, for i < objects.
	const uint8_t *state;
	const struct dms_slub_finding *findings;
	size_t nfindings;
	// The slab's bytes (data_len == objects * size when present); NULL
	// from dms_slub_lookup's cache.
	const uint8_t *data;
	size_t data_len;
};

/** Address of object i of a slab (after the left red zone). */
static inline uint64_t dms_slub_object_addr(const struct dms_slub_slab *slab, uint32_t i)
{
	return slab->base + (uint64_t)i * slab->cache->size + slab->cache->red_left_pad;
}

/** What dms_slub_lookup() found. */
enum dms_slub_where {
	// struct page not readable (or not in vmemmap): nothing known.
	DMS_SLUB_WHERE_UNKNOWN,
	// Not a slab page (page allocator, kernel image, ...).
	DMS_SLUB_WHERE_NOT_SLAB,
	// A slab page whose slab_cache is not a known cache.
	DMS_SLUB_WHERE_BAD_SLAB,
	// In a slab, past the last object.
	DMS_SLUB_WHERE_SLAB_TAIL,
	// Inside an object (or its left red zone: offset < 0).
	DMS_SLUB_WHERE_OBJECT,
	// The struct page is in the dump and is garbage (a tail pointer to no
	// head): slab, page_value and page_why say which and why.
	DMS_SLUB_WHERE_BAD_PAGE,
};

struct dms_slub_obj {
	enum dms_slub_where where;
	// Virtual (direct map) and physical address looked up.
	uint64_t addr, paddr;
	// Below: for BAD_SLAB, SLAB_TAIL and OBJECT.
	const struct dms_slub_cache *cache;
	uint64_t slab, slab_base, cache_addr;
	// OBJECT only: index, object address, addr - object (negative in
	// the left red zone), state.
	uint32_t index;
	uint64_t object;
	int64_t offset;
	enum dms_slub_state state;
	// Findings in the slab, and in this object.
	uint32_t slab_findings, object_findings;
	// BAD_PAGE: the garbage struct page's compound_head, and why it is
	// impossible (static string).
	uint64_t page_value;
	const char *page_why;
};

struct dms_slub;

/**
 * Create a model over the kernel facts kf (copied; the model reads nothing
 * else about the kernel) and env (may be NULL: one CPU's worth of nothing,
 * probe the free pointers): check that the facts the model needs are
 * present, enumerate the caches on slab_caches.  A fact the kernel lacks
 * is an error naming it.  phys reads physical memory; kv (may be NULL)
 * reads kernel virtual addresses through its read_phys (crash's
 * readmem(KVADDR)); without it, virtual addresses are read through the
 * direct map (kf->page_offset), which then must cover vmemmap, kmem_cache
 * and per-cpu data.  A broken slab_caches list is a finding
 * (dms_slub_findings()), not an error.
 */
struct dms_error *dms_slub_create(const struct dms_reader *phys, const struct dms_reader *kv,
				  const struct dms_kfacts *kf, const struct dms_slub_env *env,
				  struct dms_slub **ret);

/** Destroy a model; accepts NULL. */
void dms_slub_destroy(struct dms_slub *slub);

/** Number of caches found on slab_caches, and cache i of them. */
size_t dms_slub_num_caches(const struct dms_slub *slub);
const struct dms_slub_cache *dms_slub_cache_at(const struct dms_slub *slub, size_t i);

/** The cache at a struct kmem_cache address, or NULL. */
const struct dms_slub_cache *dms_slub_cache_by_addr(const struct dms_slub *slub, uint64_t addr);

/** The cache with this name or alias, or NULL. */
const struct dms_slub_cache *dms_slub_cache_by_name(const struct dms_slub *slub, const char *name);

/**
 * Record that name is merged into (an alias of) the cache at cache_addr
 * (SLAB_MERGE_DEFAULT).  The model does not need aliases; they name things.
 */
struct dms_error *dms_slub_add_alias(struct dms_slub *slub, uint64_t cache_addr, const char *name);

/** Findings of create (slab_caches list, impossible caches). */
const struct dms_slub_finding *dms_slub_findings(const struct dms_slub *slub, size_t *ret);

/**
 * The free pointer encoding: the env's, or probed on CPU and partial
 * freelists of the caches (the first call probes).  votes[m] counts the
 * freelists that decode cleanly with mode m; DMS_SLUB_FP_PROBE means no
 * freelist could tell (each slab is then decoded with whichever mode walks
 * it cleanly).
 */
enum dms_slub_fp dms_slub_fp_mode(struct dms_slub *slub, uint32_t votes[DMS_SLUB_FP_NUM]);

/**
 * Which object holds kernel virtual address addr (direct map): cache,
 * object, offset, allocated or free.  Slab analyses are cached, so looking
 * up many addresses costs one analysis per slab.  Not finding a slab is not
 * an error (see ret->where).
 */
struct dms_error *dms_slub_lookup(struct dms_slub *slub, uint64_t addr, struct dms_slub_obj *ret);

/** dms_slub_lookup() by physical address. */
struct dms_error *dms_slub_lookup_phys(struct dms_slub *slub, uint64_t paddr,
				       struct dms_slub_obj *ret);

/**
 * Called for each slab; return NULL to go on, an error to stop (the walk
 * returns it).
 */
typedef struct dms_error *dms_slub_slab_fn(const struct dms_slub_slab *slab, void *arg);

/**
 * Analyse every slab of cache (NULL: of every cache, and slabs whose
 * slab_cache is unknown) by walking struct page over the dumpable physical
 * ranges, full slabs included.  One pass over vmemmap either way.
 */
struct dms_error *dms_slub_for_each_slab(struct dms_slub *slub, const struct dms_slub_cache *cache,
					 dms_slub_slab_fn *fn, void *arg);

/**
 * Whether a page of [paddr, paddr + len) belongs to a slab (head or tail page)
 * as create's walk of the memory map found them; true where it cannot tell
 * (beyond a 2 TiB budget of 4 KiB pages, or a walk that did not finish).  A
 * reader that decompresses pages ahead of dms_slub_for_each_slab() needs
 * only these.  Reads only what create wrote: safe from other threads.
 */
bool dms_slub_slab_range(const struct dms_slub *slub, uint64_t paddr, uint64_t len);

/** Analyse the slab whose struct slab / head struct page is at page. */
struct dms_error *dms_slub_slab_analyze(struct dms_slub *slub, uint64_t page, dms_slub_slab_fn *fn,
					void *arg);

/** Called for each finding; return NULL to go on, an error to stop. */
typedef struct dms_error *dms_slub_finding_fn(const struct dms_slub_finding *finding, void *arg);

/**
 * Walk a cache's node partial lists and CPU partial chains, bounded and
 * cycle-checked; report entries that are not slabs of this cache and broken
 * linkage.  *nr_partial (may be NULL) gets the node partial slabs found.
 */
struct dms_error *dms_slub_check_lists(struct dms_slub *slub, const struct dms_slub_cache *cache,
				       dms_slub_finding_fn *fn, void *arg, uint64_t *nr_partial);

/** Drop cached slab analyses (e.g. after the reader's data changed). */
void dms_slub_flush(struct dms_slub *slub);

#endif // DMS_SLUB_H
