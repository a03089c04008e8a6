// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: who owns a physical page, from its struct page.
//
// Classification (first match wins): slab
// (PG_slab on the compound head: cache from slab.slab_cache), page_pool
// (pp_magic == PP_SIGNATURE), free buddy block (PageBuddy on the page or on
// an aligned head whose order covers it), other free page (refcount 0, e.g.
// per-cpu free lists), page table, kernel image (PG_reserved pages inside
// _text.._end), anonymous (mapping & 1), movable
// (mapping & 2), page cache (other mapping), allocated kernel page (none of
// these: page-frag pages of the network stack land here), unknown (no
// struct page in the dump).  Every value read is untrusted: orders are
// clamped, names are bounded and sanitised by the printers.
#include <crash/defs.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dms_ext.h"
#include "slub.h"

// PP_SIGNATURE: 0x40 + POISON_POINTER_DELTA (CONFIG_ILLEGAL_POINTER_VALUE
// on x86-64); the low 2 bits of pp_magic may be used by the kernel.
#define DMS_PP_SIGNATURE 0xdead000000000040ULL
// Old page_type scheme: types are cleared bits under PAGE_TYPE_BASE.
#define DMS_PAGE_TYPE_BASE 0xf0000000U
// Largest buddy order looked for (MAX_ORDER is 11 on x86-64 up to 6.3).
#define DMS_MAX_BUDDY_ORDER 10
// Largest compound order believed (anything above is corruption).
#define DMS_MAX_COMPOUND_ORDER 18

static const char *const kind_names[DMS_NUM_OWNER_KINDS] = {
	[DMS_OWNER_UNKNOWN] = "unknown",     [DMS_OWNER_SLAB] = "slab",
	[DMS_OWNER_PAGE_POOL] = "page_pool", [DMS_OWNER_BUDDY] = "buddy",
	[DMS_OWNER_FREE] = "free",	     [DMS_OWNER_ANON] = "anon",
	[DMS_OWNER_PAGECACHE] = "pagecache", [DMS_OWNER_MOVABLE] = "movable",
	[DMS_OWNER_PGTABLE] = "pgtable",     [DMS_OWNER_KIMAGE] = "kernel_image",
	[DMS_OWNER_PAGE] = "page",
};

const char *dms_owner_kind_name(enum dms_owner_kind kind)
{
	return kind < DMS_NUM_OWNER_KINDS ? kind_names[kind] : "unknown";
}

// The struct page fields we use.
struct page_fields {
	uint64_t flags, compound_head, mapping, priv, pp_magic;
	uint32_t page_type;
	int32_t refcount;
};

static bool read_kv(uint64_t kvaddr, void *buf, size_t len)
{
	return readmem(kvaddr, KVADDR, buf, len, "dmasleuth kvaddr", QUIET | RETURN_ON_ERROR);
}

static uint64_t get_u64(const unsigned char *buf, long off)
{
	uint64_t v;
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint32_t get_u32(const unsigned char *buf, long off)
{
	uint32_t v;
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static void parse_page(const unsigned char *buf, struct page_fields *ret)
{
	const struct dms_kinfo *k = &dms_kinfo;
	memset(ret, 0, sizeof(*ret));
	ret->flags = get_u64(buf, k->page_flags);
	ret->compound_head = get_u64(buf, k->page_compound_head);
	ret->mapping = get_u64(buf, k->page_mapping);
	ret->refcount = (int32_t)get_u32(buf, k->page_refcount);
	if (k->page_private >= 0)
		ret->priv = get_u64(buf, k->page_private);
	if (k->page_type >= 0)
		ret->page_type = get_u32(buf, k->page_type);
	if (k->page_pp_magic >= 0)
		ret->pp_magic = get_u64(buf, k->page_pp_magic);
}

static bool read_page(uint64_t page, struct page_fields *ret)
{
	unsigned char buf[512];
	long n = dms_kinfo.page_size;
	if (n <= 0 || n > (long)sizeof(buf) || !read_kv(page, buf, n))
		return false;
	parse_page(buf, ret);
	return true;
}

static bool has_type(const struct page_fields *p, long type)
{
	const struct dms_kinfo *k = &dms_kinfo;
	if (k->page_type < 0 || type < 0)
		return false;
	if (k->pgty_new)
		return (p->page_type >> 24) == (uint32_t)type;
	return (p->page_type & (DMS_PAGE_TYPE_BASE | (uint32_t)type)) == DMS_PAGE_TYPE_BASE;
}

static bool flag_set(const struct page_fields *p, long bit)
{
	return bit >= 0 && bit < 64 && (p->flags >> bit) & 1;
}

// Order of a compound page from its head; 0 if not compound or unreadable.
static unsigned int compound_order(uint64_t head, const struct page_fields *hp)
{
	const struct dms_kinfo *k = &dms_kinfo;
	if (!flag_set(hp, k->pg_head) || k->page_compound_order < 0)
		return 0;
	uint64_t addr = head + k->page_compound_order + (k->order_in_folio ? 0 : k->page_size);
	unsigned char order;
	if (!read_kv(addr, &order, 1) || order > DMS_MAX_COMPOUND_ORDER)
		return 0;
	return order;
}

// kmem_cache names and sizes, cached by address.
#define NAME_CACHE 64
static struct {
	uint64_t cache;
	uint32_t size;
	char name[DMS_CACHE_NAME_MAX];
} names[NAME_CACHE];

static void cache_info(uint64_t cache, char *name, uint32_t *size)
{
	const struct dms_kinfo *k = &dms_kinfo;
	unsigned int h = (unsigned int)(cache >> 6) % NAME_CACHE;
	if (names[h].cache == cache && cache) {
		memcpy(name, names[h].name, DMS_CACHE_NAME_MAX);
		*size = names[h].size;
		return;
	}
	snprintf(name, DMS_CACHE_NAME_MAX, "?");
	*size = 0;
	uint64_t name_ptr;
	uint32_t sz;
	if (!read_kv(cache + k->cache_size, &sz, sizeof(sz)))
		return;
	*size = sz;
	if (read_kv(cache + k->cache_name, &name_ptr, sizeof(name_ptr))) {
		char buf[DMS_CACHE_NAME_MAX];
		// The name may end just before a missing page: read byte runs.
		size_t n = 0;
		while (n < sizeof(buf) - 1) {
			size_t chunk = PAGESIZE() - ((name_ptr + n) & (PAGESIZE() - 1));
			if (chunk > sizeof(buf) - 1 - n)
				chunk = sizeof(buf) - 1 - n;
			if (!read_kv(name_ptr + n, buf + n, chunk))
				break;
			n += chunk;
			if (memchr(buf, '\0', n))
				break;
		}
		buf[n] = '\0';
		// Keep it printable: it comes from the dump.
		size_t i;
		for (i = 0; buf[i]; i++)
			if (!isgraph((unsigned char)buf[i]))
				buf[i] = '?';
		if (i)
			memcpy(name, buf, i + 1);
	}
	names[h].cache = cache;
	names[h].size = *size;
	memcpy(names[h].name, name, DMS_CACHE_NAME_MAX);
}

// Is pfn inside a free buddy block?  Looks at aligned heads of growing order.
static bool in_buddy(uint64_t pfn, const struct page_fields *self, unsigned int *order_ret)
{
	const struct dms_kinfo *k = &dms_kinfo;
	if (has_type(self, k->pgty_buddy)) {
		*order_ret = self->priv <= DMS_MAX_BUDDY_ORDER ? (unsigned int)self->priv : 0;
		return true;
	}
	for (unsigned int o = 1; o <= DMS_MAX_BUDDY_ORDER; o++) {
		uint64_t hpfn = pfn & ~((1ULL << o) - 1);
		if (hpfn == pfn)
			continue;
		ulong page;
		struct page_fields hp;
		if (!phys_to_page(hpfn << PAGESHIFT(), &page) || !read_page(page, &hp))
			return false;
		if (has_type(&hp, k->pgty_buddy) && hp.priv >= o &&
		    hp.priv <= DMS_MAX_BUDDY_ORDER) {
			*order_ret = (unsigned int)hp.priv;
			return true;
		}
	}
	return false;
}

static void classify(uint64_t pfn, struct dms_page_owner *ret)
{
	const struct dms_kinfo *k = &dms_kinfo;
	uint64_t paddr = pfn << PAGESHIFT();
	memset(ret, 0, sizeof(*ret));
	ret->pfn = pfn;
	ret->kind = DMS_OWNER_UNKNOWN;
	if (!k->owner_ok) {
		ret->note = "owner look-up disabled";
		return;
	}
	ulong page;
	// The image (_text.._end) is checked last: its init sections are
	// freed after boot and reused like any other page.
	bool in_image = k->kimage_end && paddr >= k->kimage_start && paddr < k->kimage_end;
	if (!phys_to_page(paddr, &page)) {
		ret->kind = in_image ? DMS_OWNER_KIMAGE : DMS_OWNER_UNKNOWN;
		ret->note = "no struct page";
		return;
	}
	ret->page = page;
	struct page_fields self;
	if (!read_page(page, &self)) {
		ret->kind = in_image ? DMS_OWNER_KIMAGE : DMS_OWNER_UNKNOWN;
		ret->note = "struct page not in the dump";
		return;
	}
	uint64_t head = page;
	struct page_fields hp = self;
	if (self.compound_head & 1) {
		head = self.compound_head - 1;
		physaddr_t hphys;
		// The head must be a struct page at or before ours.
		if (head > page || !is_page_ptr(head, &hphys) || !read_page(head, &hp)) {
			ret->note = "bad compound_head";
			head = page;
			hp = self;
		}
	}
	ret->head = head;
	ret->order = compound_order(head, &hp);

	if (k->slab_ok && flag_set(&hp, k->pg_slab)) {
		ret->kind = DMS_OWNER_SLAB;
		uint64_t cache;
		if (read_kv(head + k->slab_slab_cache, &cache, sizeof(cache))) {
			ret->cache = cache;
			cache_info(cache, ret->cache_name, &ret->obj_size);
		} else {
			snprintf(ret->cache_name, sizeof(ret->cache_name), "?");
		}
		physaddr_t hphys;
		if (is_page_ptr(head, &hphys))
			dms_paddr_to_kvaddr(hphys, &ret->slab_base);
		ret->slab_bytes = (uint64_t)PAGESIZE() << ret->order;
		return;
	}
	if (k->pp_ok && (hp.pp_magic & ~3ULL) == DMS_PP_SIGNATURE) {
		ret->kind = DMS_OWNER_PAGE_POOL;
		return;
	}
	unsigned int border;
	if (k->buddy_ok && self.refcount == 0 && in_buddy(pfn, &self, &border)) {
		ret->kind = DMS_OWNER_BUDDY;
		ret->order = border;
		return;
	}
	if (k->buddy_ok && has_type(&self, k->pgty_table)) {
		ret->kind = DMS_OWNER_PGTABLE;
		return;
	}
	if (hp.refcount == 0) {
		ret->kind = DMS_OWNER_FREE;
		return;
	}
	// Reserved pages inside _text.._end are the image itself; its init
	// sections were freed after boot and are ordinary pages now.
	if (in_image && flag_set(&hp, k->pg_reserved)) {
		ret->kind = DMS_OWNER_KIMAGE;
		return;
	}
	if (hp.mapping & 1)
		ret->kind = DMS_OWNER_ANON;
	else if (hp.mapping & 2)
		ret->kind = DMS_OWNER_MOVABLE;
	else if (hp.mapping)
		ret->kind = DMS_OWNER_PAGECACHE;
	else
		ret->kind = DMS_OWNER_PAGE;
}

// Page owners, cached by pfn (hits cluster in a few pages).
#define OWNER_CACHE 256
static struct dms_page_owner owner_cache[OWNER_CACHE];
static bool owner_valid[OWNER_CACHE];

void dms_owner_cache_reset(void)
{
	memset(owner_valid, 0, sizeof(owner_valid));
	memset(names, 0, sizeof(names));
}

void dms_page_owner_get(uint64_t paddr, struct dms_page_owner *ret)
{
	uint64_t pfn = paddr >> PAGESHIFT();
	unsigned int h = (unsigned int)(pfn % OWNER_CACHE);
	if (!owner_valid[h] || owner_cache[h].pfn != pfn) {
		classify(pfn, &owner_cache[h]);
		owner_valid[h] = true;
	}
	*ret = owner_cache[h];
}

void dms_owner_get(uint64_t paddr, struct dms_owner *ret)
{
	memset(ret, 0, sizeof(*ret));
	dms_page_owner_get(paddr, &ret->page);
	const struct dms_page_owner *p = &ret->page;
	uint64_t kv;
	if (p->kind != DMS_OWNER_SLAB || !p->slab_base || !p->obj_size ||
	    !dms_paddr_to_kvaddr(paddr, &kv) || kv < p->slab_base ||
	    kv - p->slab_base >= p->slab_bytes)
		return;
	uint64_t idx = (kv - p->slab_base) / p->obj_size;
	ret->obj = p->slab_base + idx * p->obj_size;
	ret->offset = kv - ret->obj;
	ret->has_obj = true;
	ret->slab_tail = (idx + 1) * p->obj_size > p->slab_bytes;
	// Allocated or free, from the SLUB model (slubglue.c).
	struct dms_slub *slub = dms_ext_slub(NULL);
	struct dms_slub_obj o;
	if (slub && !ret->slab_tail) {
		struct dms_error *err = dms_slub_lookup_phys(slub, paddr, &o);
		if (!err && o.where == DMS_SLUB_WHERE_OBJECT && o.object == ret->obj)
			ret->state = dms_slub_state_name(o.state);
		dms_error_destroy(err);
	}
}

size_t dms_owner_format(const struct dms_owner *o, char *buf, size_t size)
{
	const struct dms_page_owner *p = &o->page;
	const char *kind = dms_owner_kind_name(p->kind);
	int n;
	switch (p->kind) {
	case DMS_OWNER_SLAB:
		if (o->has_obj && !o->slab_tail)
			n = snprintf(buf, size, "slab %s obj %" PRIx64 "+0x%" PRIx64 " state=%s",
				     p->cache_name, o->obj, o->offset, o->state ? o->state : "?");
		else
			n = snprintf(buf, size, "slab %s %s", p->cache_name,
				     o->has_obj ? "tail padding" : "obj ?");
		break;
	case DMS_OWNER_BUDDY:
		n = snprintf(buf, size, "buddy order %u (free)", p->order);
		break;
	case DMS_OWNER_PAGE:
		if (p->order)
			n = snprintf(buf, size, "page order %u", p->order);
		else
			n = snprintf(buf, size, "page");
		break;
	case DMS_OWNER_UNKNOWN:
		n = snprintf(buf, size, "unknown%s%s", p->note ? ": " : "", p->note ? p->note : "");
		break;
	default:
		n = snprintf(buf, size, "%s", kind);
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}

uint64_t dms_slab_cache_find(const char *name, uint32_t *size_ret)
{
	const struct dms_kinfo *k = &dms_kinfo;
	if (!k->slab_ok || k->cache_list < 0 || !symbol_exists("slab_caches"))
		return 0;
	uint64_t headaddr = symbol_value("slab_caches");
	uint64_t next;
	if (!read_kv(headaddr, &next, sizeof(next)))
		return 0;
	// Bounded walk: a kernel has a few hundred caches.
	for (int i = 0; i < 65536 && next && next != headaddr; i++) {
		uint64_t cache = next - k->cache_list;
		char cname[DMS_CACHE_NAME_MAX];
		uint32_t size;
		cache_info(cache, cname, &size);
		if (strcmp(cname, name) == 0) {
			*size_ret = size;
			return cache;
		}
		if (!read_kv(next, &next, sizeof(next)))
			return 0;
	}
	return 0;
}

uint64_t dms_slab_for_each(uint64_t cache, dms_slab_fn *fn, void *arg)
{
	const struct dms_kinfo *k = &dms_kinfo;
	uint64_t visited = 0;
	if (!k->slab_ok)
		return 0;
	enum { BATCH = 64 };
	long psz = k->page_size;
	unsigned char *buf = (unsigned char *)GETBUF(BATCH * psz);
	uint64_t ps = PAGESIZE();
	for (int n = 0; n < vt->numnodes; n++) {
		struct node_table *nt = &vt->node_table[n];
		uint64_t pfn = nt->start_paddr / ps, end = pfn + nt->size;
		while (pfn < end) {
			uint64_t cnt = end - pfn < BATCH ? end - pfn : BATCH;
			ulong first, last;
			if (!phys_to_page(pfn * ps, &first) ||
			    !phys_to_page((pfn + cnt - 1) * ps, &last) ||
			    last - first != (cnt - 1) * psz || !read_kv(first, buf, cnt * psz)) {
				// Not contiguous or not in the dump: one at a time.
				cnt = 1;
				if (!phys_to_page(pfn * ps, &first) || !read_kv(first, buf, psz)) {
					pfn++;
					continue;
				}
			}
			uint64_t skip_to = pfn + cnt;
			for (uint64_t i = 0; i < cnt; i++) {
				struct page_fields p;
				parse_page(buf + i * psz, &p);
				if (!flag_set(&p, k->pg_slab) || (p.compound_head & 1))
					continue;
				uint64_t c = get_u64(buf + i * psz, k->slab_slab_cache);
				if (c != cache)
					continue;
				struct dms_page_owner o;
				dms_page_owner_get((pfn + i) * ps, &o);
				if (o.kind != DMS_OWNER_SLAB)
					continue;
				visited++;
				uint64_t bytes = ps << o.order;
				if (!fn((pfn + i) * ps, bytes, &o, arg))
					goto out;
				if (pfn + i + (1ULL << o.order) > skip_to)
					skip_to = pfn + i + (1ULL << o.order);
				i += (1ULL << o.order) - 1;
			}
			pfn = skip_to;
		}
	}
out:
	FREEBUF(buf);
	return visited;
}
