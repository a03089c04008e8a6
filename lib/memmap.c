// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: where in physical memory frames were carved (memmap.h).
#include <string.h>

#include "memmap.h"
#include "verdict.h"

uint64_t dms_memmap_cell_size(uint64_t end, unsigned int *ncells)
{
	uint64_t cell = 1 << 20;

	// end / cell rounded up must fit; the cap on cell keeps the loop bounded for any end.
	while (cell < (1ULL << 62) && (end + cell - 1) / cell > DMS_MEMMAP_MAX_CELLS)
		cell <<= 1;
	uint64_t n = (end + cell - 1) / cell;
	*ncells = n > DMS_MEMMAP_MAX_CELLS ? DMS_MEMMAP_MAX_CELLS : (unsigned int)n;
	return cell;
}

void dms_memmap_init(struct dms_memmap *m, uint64_t end)
{
	memset(m, 0, sizeof(*m));
	m->end = end;
	m->cell = dms_memmap_cell_size(end, &m->ncells);
}

enum dms_memclass dms_memclass_of(enum dms_owner_kind kind, const char *cache, bool live)
{
	switch (kind) {
	case DMS_OWNER_SLAB:
		if (cache && cache[0] && !dms_cache_holds_packets(cache, NULL, 0))
			return live ? DMS_MEM_FOREIGN_LIVE : DMS_MEM_FOREIGN_OTHER;
		return DMS_MEM_PACKET;
	case DMS_OWNER_PGTABLE:
		return DMS_MEM_PGTABLE;
	case DMS_OWNER_PAGE_POOL:
	case DMS_OWNER_PAGE:
		return DMS_MEM_PACKET;
	case DMS_OWNER_BUDDY:
	case DMS_OWNER_FREE:
		return DMS_MEM_FREE;
	case DMS_OWNER_ANON:
	case DMS_OWNER_MOVABLE:
	case DMS_OWNER_PAGECACHE:
		return DMS_MEM_USER;
	case DMS_OWNER_KIMAGE:
		return DMS_MEM_KIMAGE;
	default:
		return DMS_MEM_OTHER;
	}
}

void dms_memmap_add(struct dms_memmap *m, uint64_t paddr, enum dms_memclass c)
{
	m->frames++;
	if (paddr >= m->end || (unsigned int)c >= DMS_NUM_MEMCLASSES)
		return;
	uint64_t i = paddr / m->cell;
	if (i < m->ncells && m->counts[i][c] < UINT32_MAX)
		m->counts[i][c]++;
}

const char *dms_memclass_name(enum dms_memclass c)
{
	static const char *const names[DMS_NUM_MEMCLASSES] = {
		[DMS_MEM_FOREIGN_LIVE] = "foreign-live",
		[DMS_MEM_FOREIGN_OTHER] = "foreign-other",
		[DMS_MEM_PGTABLE] = "pgtable",
		[DMS_MEM_PACKET] = "packet",
		[DMS_MEM_FREE] = "free",
		[DMS_MEM_USER] = "user",
		[DMS_MEM_KIMAGE] = "kernel_image",
		[DMS_MEM_OTHER] = "other",
	};
	return (unsigned int)c < DMS_NUM_MEMCLASSES ? names[c] : "other";
}
