// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: where in physical memory frames were carved, and who owned that memory.
//
// A coarse map for reports (dmasleuth-triage's HTML memory map, docs/triage.md): physical
// memory cut into at most DMS_MEMMAP_MAX_CELLS cells of a power-of-two number of MiB, and
// per cell the number of frames carved there in each owner class.  The classes say what
// the owner means for the verdict (a frame in a live object of a cache that never holds
// packets is the telling one); the policy "which caches hold packets" is verdict.h's.
#ifndef DMS_MEMMAP_H
#define DMS_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "owner.h"

#define DMS_MEMMAP_MAX_CELLS 1024

// Most telling first: a cell is drawn in the first class it holds.
enum dms_memclass {
	DMS_MEM_FOREIGN_LIVE,  // allocated object of a cache that never holds packets
	DMS_MEM_FOREIGN_OTHER, // free or unknown-state object of such a cache
	DMS_MEM_PGTABLE,
	DMS_MEM_PACKET, // kmalloc/skbuff objects, page_pool and other packet pages
	DMS_MEM_FREE,	// free pages
	DMS_MEM_USER,	// anonymous, movable and page-cache pages
	DMS_MEM_KIMAGE,
	DMS_MEM_OTHER,
	DMS_NUM_MEMCLASSES,
};

struct dms_memmap {
	uint64_t end;  // physical address past the last byte covered
	uint64_t cell; // bytes per cell: a power of two, at least 1 MiB
	unsigned int ncells;
	uint64_t frames; // frames added (also those past end, which no cell holds)
	uint32_t counts[DMS_MEMMAP_MAX_CELLS][DMS_NUM_MEMCLASSES];
};

/** Bytes per cell of a map of [0, end) (the smallest power-of-two MiB that fits), and the cells. */
uint64_t dms_memmap_cell_size(uint64_t end, unsigned int *ncells);

/** Empty map of physical memory [0, end): cells of the smallest power-of-two MiB that fits. */
void dms_memmap_init(struct dms_memmap *m, uint64_t end);

/**
 * The class of a frame's owner: kind from the page owner, cache the slab cache's name
 * (NULL if none), live whether the SLUB model says the object is allocated.
 */
enum dms_memclass dms_memclass_of(enum dms_owner_kind kind, const char *cache, bool live);

/** Count one frame at paddr; frames at or past end count in frames only. */
void dms_memmap_add(struct dms_memmap *m, uint64_t paddr, enum dms_memclass c);

/** "foreign-live", "foreign-other", "pgtable", "packet", "free", "user", "kernel_image", "other".
 */
const char *dms_memclass_name(enum dms_memclass c);

#endif // DMS_MEMMAP_H
