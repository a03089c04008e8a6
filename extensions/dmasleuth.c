// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the constructor (the only exported symbol's
// work), the command table, and the kernel facts resolved once at load.
#include <crash/defs.h>

#include <stdio.h>
#include <string.h>

#include "dms_ext.h"

struct dms_kinfo dms_kinfo;

static struct command_table_entry dms_commands[] = {
	{"pktscan", dms_cmd_pktscan, dms_help_pktscan, 0},
	{"rxring", dms_cmd_rxring, dms_help_rxring, 0},
	{"slabcheck", dms_cmd_slabcheck, dms_help_slabcheck, 0},
	{"dmaf", dms_cmd_dmaf, dms_help_dmaf, 0},
	{NULL},
};

// Offset of a member, looking inside anonymous structs and unions too.
static long member_off(const char *type, const char *member)
{
	long off = MEMBER_OFFSET((char *)type, (char *)member);
	if (off < 0)
		off = ANON_MEMBER_OFFSET((char *)type, (char *)member);
	return off;
}

static long enum_value(const char *name)
{
	long v;
	if (enumerator_value((char *)name, &v))
		return v;
	return -1;
}

static void kimage_init(struct dms_kinfo *k)
{
	if (!symbol_exists("_text") || !symbol_exists("_end"))
		return;
	physaddr_t start, end;
	if (kvtop(NULL, symbol_value("_text"), &start, 0) &&
	    kvtop(NULL, symbol_value("_end") - 1, &end, 0) && end >= start) {
		k->kimage_start = start;
		k->kimage_end = end + 1;
	}
}

void dms_kinfo_init(void)
{
	struct dms_kinfo *k = &dms_kinfo;
	if (k->loaded)
		return;
	memset(k, 0, sizeof(*k));
	k->page_size = STRUCT_SIZE("page");
	k->page_flags = member_off("page", "flags");
	k->page_compound_head = member_off("page", "compound_head");
	k->page_mapping = member_off("page", "mapping");
	k->page_private = member_off("page", "private");
	k->page_type = member_off("page", "page_type");
	if (k->page_type < 0)
		k->page_type = member_off("page", "_mapcount");
	k->page_refcount = member_off("page", "_refcount");
	k->page_pp_magic = member_off("page", "pp_magic");
	k->page_compound_order = member_off("page", "compound_order");
	if (k->page_compound_order < 0) { // 6.3+: folio->_folio_order in page[1]
		k->page_compound_order = member_off("folio", "_folio_order");
		k->order_in_folio = true;
	}
	k->slab_slab_cache = member_off("slab", "slab_cache");
	if (k->slab_slab_cache < 0)
		k->slab_slab_cache = member_off("page", "slab_cache");
	k->cache_name = member_off("kmem_cache", "name");
	k->cache_size = member_off("kmem_cache", "size");
	k->cache_object_size = member_off("kmem_cache", "object_size");
	k->cache_list = member_off("kmem_cache", "list");
	k->pg_slab = enum_value("PG_slab");
	k->pg_head = enum_value("PG_head");
	k->pg_reserved = enum_value("PG_reserved");
	// Page types: 6.9+ keeps an enum pagetype in the top byte; older
	// kernels use inverted bits under PAGE_TYPE_BASE (0xf0000000).
	k->pgty_buddy = enum_value("PGTY_buddy");
	if (k->pgty_buddy >= 0) {
		k->pgty_new = true;
		k->pgty_table = enum_value("PGTY_table");
	} else {
		k->pgty_buddy = 0x80;
		k->pgty_table = 0x200;
	}
	for (int n = 0; n < vt->numnodes; n++) {
		struct node_table *nt = &vt->node_table[n];
		uint64_t end = nt->start_paddr + (uint64_t)nt->size * PAGESIZE();
		if (end > k->max_paddr)
			k->max_paddr = end;
	}
	kimage_init(k);

	k->owner_ok = k->page_size > 0 && k->page_flags >= 0 && k->page_compound_head >= 0 &&
		      k->page_mapping >= 0 && k->page_refcount >= 0;
	if (!k->owner_ok)
		snprintf(k->why_owner, sizeof(k->why_owner),
			 "struct page lacks flags/compound_head/mapping/_refcount");
	k->slab_ok = k->owner_ok && k->pg_slab >= 0 && k->slab_slab_cache >= 0 &&
		     k->cache_name >= 0 && k->cache_size >= 0;
	if (!k->slab_ok)
		snprintf(k->why_slab, sizeof(k->why_slab), "%s",
			 !k->owner_ok		  ? "struct page offsets missing"
			 : k->pg_slab < 0	  ? "enum pageflags has no PG_slab"
			 : k->slab_slab_cache < 0 ? "no slab.slab_cache member"
						  : "kmem_cache lacks name/size");
	k->buddy_ok = k->owner_ok && k->page_type >= 0 && k->page_private >= 0;
	k->pp_ok = k->owner_ok && k->page_pp_magic >= 0;
	k->loaded = true;
}

// The one exported symbol: crash's `extend` runs it through dlopen().
void dmasleuth_init(void) __attribute__((constructor, visibility("default")));

void dmasleuth_init(void)
{
	dms_kinfo_init();
	register_extension(dms_commands);
}
