// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the memory-reader interface.
//
// The engine reads a dump only through struct dms_reader, so the same code
// runs inside crash (glue wires readmem()), on a raw memory image and in unit
// tests (struct dms_memimg below).  Missing or excluded pages are normal in a
// dump: they are reported as short reads, not as errors.
#ifndef DMS_READER_H
#define DMS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/**
 * Called for each range [paddr, paddr + len) of dumpable physical memory.
 * Return NULL to continue, an error to stop the iteration (it is passed on).
 */
typedef struct dms_error *dms_range_fn(uint64_t paddr, uint64_t len, void *arg);

struct dms_reader_ops {
	/*
	 * Read up to len bytes of physical memory at paddr into buf. Set *ret
	 * to the number of bytes read: a short count means the byte at
	 * paddr + *ret is not present in the dump (a normal condition, not an
	 * error).  Return an error only for a real failure (I/O, corruption).
	 */
	struct dms_error *(*read_phys)(void *ctx, uint64_t paddr, void *buf, size_t len,
				       size_t *ret);
	/*
	 * Call fn for each maximal run of dumpable pages intersecting
	 * [start, end), clipped to it, in increasing address order.
	 */
	struct dms_error *(*for_each_range)(void *ctx, uint64_t start, uint64_t end,
					    dms_range_fn *fn, void *arg);
	// Direct-map translations; DMS_ERR_NOT_FOUND outside the direct map.
	struct dms_error *(*kvaddr_to_paddr)(void *ctx, uint64_t kvaddr, uint64_t *ret);
	struct dms_error *(*paddr_to_kvaddr)(void *ctx, uint64_t paddr, uint64_t *ret);
};

struct dms_reader {
	const struct dms_reader_ops *ops;
	void *ctx;
	// Page size of the dumped machine (a power of two).
	uint64_t page_size;
};

/** Read physical memory; *ret < len means the next page is not present. */
struct dms_error *dms_reader_read_phys(const struct dms_reader *r, uint64_t paddr, void *buf,
				       size_t len, size_t *ret);

/** Iterate over dumpable physical ranges within [start, end). */
struct dms_error *dms_reader_for_each_range(const struct dms_reader *r, uint64_t start,
					    uint64_t end, dms_range_fn *fn, void *arg);

/** Translate a direct-map kernel virtual address to a physical address. */
struct dms_error *dms_reader_kvaddr_to_paddr(const struct dms_reader *r, uint64_t kvaddr,
					     uint64_t *ret);

/** Translate a physical address to its direct-map kernel virtual address. */
struct dms_error *dms_reader_paddr_to_kvaddr(const struct dms_reader *r, uint64_t paddr,
					     uint64_t *ret);

// In-memory implementation: a raw physical memory image plus a bitmap of
// present pages.  The image is borrowed, not copied: it must outlive the
// dms_memimg.

struct dms_memimg;

struct dms_memimg_config {
	// Physical address of data[0]; a multiple of page_size.
	uint64_t phys_base;
	// Page size, a power of two >= 256 (0 means 4096).
	uint64_t page_size;
	// Kernel virtual address of physical address 0 in the direct map
	// (e.g. PAGE_OFFSET); 0 disables the translations.
	uint64_t direct_map_base;
};

/**
 * Create an image reader over data[0..size) (size a multiple of the page
 * size); every page starts present.
 */
struct dms_error *dms_memimg_create(const void *data, size_t size,
				    const struct dms_memimg_config *config,
				    struct dms_memimg **ret);

/** Destroy an image reader; accepts NULL. */
void dms_memimg_destroy(struct dms_memimg *img);

/**
 * Mark pages [paddr, paddr + len) (rounded out to pages, clipped to the
 * image) present or not present.
 */
void dms_memimg_set_present(struct dms_memimg *img, uint64_t paddr, uint64_t len, int present);

/** The reader interface of an image; valid until dms_memimg_destroy(). */
const struct dms_reader *dms_memimg_reader(const struct dms_memimg *img);

#endif // DMS_READER_H
