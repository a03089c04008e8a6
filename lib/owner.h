// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: who owns a physical page -- the one page-owner model.
//
// Reads struct page (and its compound head) through a reader of kernel
// virtual addresses, with every offset, bit and type value from the kernel
// facts table (kfacts.h), and classifies the page.  The SLUB model
// (slub.c) asks the same model whether a struct page is a slab.  Every
// pointer read from the dump is checked against the dump's pfn range and
// vmemmap before it is followed: nothing unchecked reaches the reader.
//
// Classification (first match wins): slab (PG_slab, or the slab page type
// on 6.10+, on the compound head: cache from slab.slab_cache), page_pool
// (pp_magic & mask == PP_SIGNATURE), free buddy block (the buddy page type
// on the page or on an aligned head whose order covers it), other free page
// (refcount 0), page table (page type), kernel image (PG_reserved inside
// _text.._end), anonymous (mapping & 1), movable (mapping & 2), page cache
// (other mapping), allocated kernel page (none of these), unknown (no
// struct page in the dump).
#ifndef DMS_OWNER_H
#define DMS_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kfacts.h"
#include "reader.h"

enum dms_owner_kind {
	DMS_OWNER_UNKNOWN,
	DMS_OWNER_SLAB,
	DMS_OWNER_PAGE_POOL,
	DMS_OWNER_BUDDY,
	DMS_OWNER_FREE,
	DMS_OWNER_ANON,
	DMS_OWNER_PAGECACHE,
	DMS_OWNER_MOVABLE,
	DMS_OWNER_PGTABLE,
	DMS_OWNER_KIMAGE,
	DMS_OWNER_PAGE,
	DMS_NUM_OWNER_KINDS,
};

/** Short name of an owner kind ("slab", "page_pool", "buddy", ...). */
const char *dms_owner_kind_name(enum dms_owner_kind kind);

#define DMS_CACHE_NAME_MAX 48

/** What a physical page is, from its struct page. */
struct dms_page_owner {
	enum dms_owner_kind kind;
	uint64_t pfn;
	// struct page of the page and of its compound head (0 if unknown).
	uint64_t page, head;
	// Order of the compound page or free buddy block (0 if single).
	unsigned int order;
	// Slab: cache address and name, object stride (kmem_cache.size), left
	// red zone, first byte of the slab (direct map) and its size.
	uint64_t cache;
	char cache_name[DMS_CACHE_NAME_MAX];
	uint32_t obj_size, red_left_pad;
	uint64_t slab_base;
	uint64_t slab_bytes;
	// Anything odd found while classifying (static string) or NULL.
	const char *note;
};

/** The fields of a struct page the models use. */
struct dms_pagebits {
	uint64_t flags, compound_head, mapping, priv, pp_magic;
	uint32_t page_type;
	int32_t refcount;
};

/** Decode a struct page's bytes (kf->page_struct_size of them). */
void dms_page_decode(const struct dms_kfacts *kf, const uint8_t *pg, struct dms_pagebits *ret);

/**
 * Is this a page_pool page: (pp_magic & pp_magic_mask) == pp_signature (kfacts.h)?
 * The one test of pp_magic: the owner model and dmaf's page_pool survey ask here.
 */
bool dms_page_is_pp(const struct dms_kfacts *kf, const struct dms_pagebits *p);

/**
 * The page_pool a struct page's bytes (kf->page_struct_size of them) belong to
 * (page.pp, unchecked: a dump value); false if it is not a page_pool page.
 */
bool dms_page_pool_of(const struct dms_kfacts *kf, const uint8_t *pg, uint64_t *pool);

/** Is the page of type t?  False when the type is absent. */
bool dms_page_has_type(const struct dms_kfacts *kf, const struct dms_kf_pgtype *t,
		       const struct dms_pagebits *p);

/** Is this (head) struct page a slab?  PG_slab or the slab page type. */
bool dms_page_is_slab(const struct dms_kfacts *kf, const uint8_t *pg);

/** struct page address of pfn; false beyond max_pfn or vmemmap. */
bool dms_pfn_to_page(const struct dms_kfacts *kf, uint64_t pfn, uint64_t *ret);

/** pfn of a struct page address; false if not one (range, alignment). */
bool dms_page_to_pfn(const struct dms_kfacts *kf, uint64_t page, uint64_t *ret);

struct dms_owner_model;

/**
 * A model over kv (reads kernel virtual addresses: vmemmap, kmem_cache and
 * its name) and the facts (copied).  Fails when kf->owner_ok is false.
 */
struct dms_error *dms_owner_model_create(const struct dms_reader *kv, const struct dms_kfacts *kf,
					 struct dms_owner_model **ret);

/** Destroy; accepts NULL. */
void dms_owner_model_destroy(struct dms_owner_model *m);

/** Classify the page at pfn (cached per pfn; read errors give UNKNOWN). */
void dms_owner_page(struct dms_owner_model *m, uint64_t pfn, struct dms_page_owner *ret);

/** Forget cached pages and cache names. */
void dms_owner_model_reset(struct dms_owner_model *m);

/**
 * The slab object holding kernel virtual address kv of a slab page owner:
 * index, object address (after the left red zone) and kv's offset in it
 * (negative inside the left red zone).  False if kv is not in the slab; a
 * kv past the last whole object sets *tail.
 */
bool dms_owner_slab_object(const struct dms_page_owner *p, uint64_t kv, uint64_t *obj,
			   int64_t *offset, bool *tail);

/** A kmem_cache's name (sanitised, "?" if unreadable) and size, cached. */
void dms_owner_cache_info(struct dms_owner_model *m, uint64_t cache, char *name, uint32_t *size,
			  uint32_t *red_left_pad);

/**
 * Grow *n to cover the member at off of len bytes (off < 0: absent, no
 * change): how many bytes of a struct page a reader must fetch.
 */
static inline void dms_span_need(size_t *n, int32_t off, size_t len)
{
	if (off >= 0 && (size_t)off + len > *n)
		*n = (size_t)off + len;
}

#endif // DMS_OWNER_H
