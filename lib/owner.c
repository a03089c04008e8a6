// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the page-owner model (see owner.h).
#include <stdlib.h>
#include <string.h>

#include "owner.h"

// Largest compound order believed (anything above is corruption).
#define MAX_COMPOUND_ORDER 18
// Pages and cache names remembered.
#define OWNER_CACHE 256
#define NAME_CACHE 64

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
	return (unsigned int)kind < DMS_NUM_OWNER_KINDS ? kind_names[kind] : "unknown";
}

static uint64_t rd_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t get64(const uint8_t *pg, int32_t off)
{
	return off >= 0 ? rd_le(pg + off, 8) : 0;
}

static uint32_t get32(const uint8_t *pg, int32_t off)
{
	return off >= 0 ? (uint32_t)rd_le(pg + off, 4) : 0;
}

void dms_page_decode(const struct dms_kfacts *kf, const uint8_t *pg, struct dms_pagebits *ret)
{
	ret->flags = get64(pg, kf->page_flags);
	ret->compound_head = get64(pg, kf->page_compound_head);
	ret->mapping = get64(pg, kf->page_mapping);
	ret->priv = get64(pg, kf->page_private);
	ret->pp_magic = get64(pg, kf->page_pp_magic);
	ret->page_type = get32(pg, kf->page_type);
	ret->refcount = (int32_t)get32(pg, kf->page_refcount);
}

bool dms_page_is_pp(const struct dms_kfacts *kf, const struct dms_pagebits *p)
{
	return kf->pp_present && (p->pp_magic & kf->pp_magic_mask) == kf->pp_signature;
}

bool dms_page_pool_of(const struct dms_kfacts *kf, const uint8_t *pg, uint64_t *pool)
{
	struct dms_pagebits p;

	dms_page_decode(kf, pg, &p);
	if (!dms_page_is_pp(kf, &p))
		return false;
	*pool = get64(pg, kf->page_pp);
	return true;
}

bool dms_page_has_type(const struct dms_kfacts *kf, const struct dms_kf_pgtype *t,
		       const struct dms_pagebits *p)
{
	return dms_kf_has(kf->page_type) && t->present && (p->page_type & t->mask) == t->value;
}

static bool flag_set(const struct dms_pagebits *p, int64_t bit)
{
	return bit >= 0 && bit < 64 && ((p->flags >> bit) & 1);
}

bool dms_page_is_slab(const struct dms_kfacts *kf, const uint8_t *pg)
{
	// Only flags and page_type are read: callers may hold a prefix of
	// struct page that covers these two.
	struct dms_pagebits p = { 0 };
	if (kf->pg_slab != DMS_KF_NONE) {
		p.flags = get64(pg, kf->page_flags);
		return dms_kf_has(kf->page_flags) && flag_set(&p, kf->pg_slab);
	}
	p.page_type = get32(pg, kf->page_type);
	return dms_page_has_type(kf, &kf->pgty_slab, &p);
}

bool dms_pfn_to_page(const struct dms_kfacts *kf, uint64_t pfn, uint64_t *ret)
{
	if (!kf->vmemmap || kf->page_struct_size <= 0 || (kf->max_pfn && pfn >= kf->max_pfn) ||
	    pfn > (UINT64_MAX - kf->vmemmap) / (uint64_t)kf->page_struct_size)
		return false;
	*ret = kf->vmemmap + pfn * (uint64_t)kf->page_struct_size;
	return true;
}

bool dms_page_to_pfn(const struct dms_kfacts *kf, uint64_t page, uint64_t *ret)
{
	uint64_t pss = kf->page_struct_size > 0 ? (uint64_t)kf->page_struct_size : 0;
	if (!kf->vmemmap || !pss || page < kf->vmemmap || (page - kf->vmemmap) % pss)
		return false;
	uint64_t pfn = (page - kf->vmemmap) / pss;
	if (kf->max_pfn && pfn >= kf->max_pfn)
		return false;
	*ret = pfn;
	return true;
}

struct owner_slot {
	bool valid;
	struct dms_page_owner o;
};

struct name_slot {
	uint64_t cache;
	uint32_t size, red_left_pad;
	char name[DMS_CACHE_NAME_MAX];
};

struct dms_owner_model {
	const struct dms_reader *kv;
	struct dms_kfacts kf;
	size_t page_need;
	struct owner_slot pages[OWNER_CACHE];
	struct name_slot names[NAME_CACHE];
};

struct dms_error *dms_owner_model_create(const struct dms_reader *kv, const struct dms_kfacts *kf,
					 struct dms_owner_model **ret)
{
	if (!kf->owner_ok)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "page owners: %s", kf->owner_why);
	size_t n = 0;
	dms_span_need(&n, kf->page_flags, 8);
	dms_span_need(&n, kf->page_compound_head, 8);
	dms_span_need(&n, kf->page_mapping, 8);
	dms_span_need(&n, kf->page_private, 8);
	dms_span_need(&n, kf->page_pp_magic, 8);
	dms_span_need(&n, kf->page_type, 4);
	dms_span_need(&n, kf->page_refcount, 4);
	dms_span_need(&n, kf->slab_cache, 8);
	if (n > (size_t)kf->page_struct_size || n > 512)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"page owners: struct page members beyond its size");
	struct dms_owner_model *m = calloc(1, sizeof(*m));
	if (!m)
		return &dms_enomem;
	m->kv = kv;
	m->kf = *kf;
	m->page_need = n;
	*ret = m;
	return NULL;
}

void dms_owner_model_destroy(struct dms_owner_model *m)
{
	free(m);
}

void dms_owner_model_reset(struct dms_owner_model *m)
{
	memset(m->pages, 0, sizeof(m->pages));
	memset(m->names, 0, sizeof(m->names));
}

static bool read_kv(struct dms_owner_model *m, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;
	struct dms_error *err = dms_reader_read_phys(m->kv, addr, buf, len, &got);
	if (err) {
		dms_error_destroy(err);
		return false;
	}
	return got == len;
}

static bool read_page(struct dms_owner_model *m, uint64_t page, uint8_t *pg, struct dms_pagebits *p)
{
	if (!read_kv(m, page, pg, m->page_need))
		return false;
	dms_page_decode(&m->kf, pg, p);
	return true;
}

void dms_owner_cache_info(struct dms_owner_model *m, uint64_t cache, char *name, uint32_t *size,
			  uint32_t *red_left_pad)
{
	const struct dms_kfacts *kf = &m->kf;
	unsigned int h = (unsigned int)(cache >> 6) % NAME_CACHE;
	struct name_slot *ns = &m->names[h];
	if (cache && ns->cache == cache) {
		memcpy(name, ns->name, DMS_CACHE_NAME_MAX);
		*size = ns->size;
		*red_left_pad = ns->red_left_pad;
		return;
	}
	memcpy(name, "?", 2);
	*size = 0;
	*red_left_pad = 0;
	uint8_t b[4];
	if (!dms_kf_has(kf->s_size) || !read_kv(m, cache + (uint64_t)kf->s_size, b, 4))
		return;
	*size = (uint32_t)rd_le(b, 4);
	if (dms_kf_has(kf->s_red_left_pad) &&
	    read_kv(m, cache + (uint64_t)kf->s_red_left_pad, b, 4))
		*red_left_pad = (uint32_t)rd_le(b, 4);
	uint8_t pb[8];
	if (dms_kf_has(kf->s_name) && read_kv(m, cache + (uint64_t)kf->s_name, pb, 8)) {
		uint64_t name_ptr = rd_le(pb, 8);
		char buf[DMS_CACHE_NAME_MAX];
		// The name may end just before a missing page: read what is there.
		size_t got = 0;
		struct dms_error *err =
			dms_reader_read_phys(m->kv, name_ptr, buf, sizeof(buf) - 1, &got);
		if (err) {
			dms_error_destroy(err);
			got = 0;
		}
		buf[got] = '\0';
		// Keep it printable: it comes from the dump.
		size_t i;
		for (i = 0; buf[i]; i++) {
			if (buf[i] <= 0x20 || buf[i] > 0x7e)
				buf[i] = '?';
		}
		if (i)
			memcpy(name, buf, i + 1);
	}
	ns->cache = cache;
	ns->size = *size;
	ns->red_left_pad = *red_left_pad;
	memcpy(ns->name, name, DMS_CACHE_NAME_MAX);
}

// Order of a compound page from its head; 0 if not compound or unreadable.
static unsigned int compound_order(struct dms_owner_model *m, uint64_t head,
				   const struct dms_pagebits *hp)
{
	const struct dms_kfacts *kf = &m->kf;
	if (!flag_set(hp, kf->pg_head) || kf->order_kind == DMS_KF_ORDER_NONE)
		return 0;
	uint64_t addr = head + (uint64_t)kf->order_off;
	if (kf->order_kind == DMS_KF_ORDER_TAIL)
		addr += (uint64_t)kf->page_struct_size;
	uint8_t order;
	if (!read_kv(m, addr, &order, 1) || order > MAX_COMPOUND_ORDER)
		return 0;
	return order;
}

// Is pfn inside a free buddy block?  Looks at aligned heads of growing order.
static bool in_buddy(struct dms_owner_model *m, uint64_t pfn, const struct dms_pagebits *self,
		     unsigned int *order_ret)
{
	const struct dms_kfacts *kf = &m->kf;
	uint64_t max = kf->max_order >= 0 ? (uint64_t)kf->max_order : 0;
	if (dms_page_has_type(kf, &kf->pgty_buddy, self)) {
		*order_ret = self->priv <= max ? (unsigned int)self->priv : 0;
		return true;
	}
	for (unsigned int o = 1; o <= max; o++) {
		uint64_t hpfn = pfn & ~((1ULL << o) - 1), page;
		if (hpfn == pfn)
			continue;
		uint8_t pg[512];
		struct dms_pagebits hp;
		if (!dms_pfn_to_page(kf, hpfn, &page) || !read_page(m, page, pg, &hp))
			return false;
		if (dms_page_has_type(kf, &kf->pgty_buddy, &hp) && hp.priv >= o && hp.priv <= max) {
			*order_ret = (unsigned int)hp.priv;
			return true;
		}
	}
	return false;
}

static void classify(struct dms_owner_model *m, uint64_t pfn, struct dms_page_owner *ret)
{
	const struct dms_kfacts *kf = &m->kf;
	uint64_t paddr = pfn << kf->page_shift;
	memset(ret, 0, sizeof(*ret));
	ret->pfn = pfn;
	ret->kind = DMS_OWNER_UNKNOWN;
	// The image (_text.._end) is checked last: its init sections are
	// freed after boot and reused like any other page.
	bool in_image = kf->kimage_pend && paddr >= kf->kimage_pstart && paddr < kf->kimage_pend;
	uint64_t page;
	if (!dms_pfn_to_page(kf, pfn, &page)) {
		ret->kind = in_image ? DMS_OWNER_KIMAGE : DMS_OWNER_UNKNOWN;
		ret->note = "no struct page";
		return;
	}
	ret->page = page;
	uint8_t self_pg[512], head_pg[512];
	struct dms_pagebits self;
	if (!read_page(m, page, self_pg, &self)) {
		ret->kind = in_image ? DMS_OWNER_KIMAGE : DMS_OWNER_UNKNOWN;
		ret->note = "struct page not in the dump";
		return;
	}
	uint64_t head = page;
	struct dms_pagebits hp = self;
	const uint8_t *hpg = self_pg;
	if (self.compound_head & 1) {
		uint64_t hpfn;
		head = self.compound_head - 1;
		// The head must be a struct page at or before ours, close enough.
		if (!dms_page_to_pfn(kf, head, &hpfn) || hpfn > pfn ||
		    pfn - hpfn >= (1ULL << MAX_COMPOUND_ORDER) ||
		    !read_page(m, head, head_pg, &hp)) {
			ret->note = "bad compound_head";
			head = page;
			hp = self;
		} else {
			hpg = head_pg;
		}
	}
	ret->head = head;
	ret->order = compound_order(m, head, &hp);

	if (kf->slab_ok && dms_page_is_slab(kf, hpg)) {
		uint64_t hpfn = pfn;
		dms_page_to_pfn(kf, head, &hpfn);
		ret->kind = DMS_OWNER_SLAB;
		ret->cache = get64(hpg, kf->slab_cache);
		dms_owner_cache_info(m, ret->cache, ret->cache_name, &ret->obj_size,
				     &ret->red_left_pad);
		// The slab's first byte in the direct map (which starts at
		// physical dmap_phys: the start of RAM on arm64).
		ret->slab_base = kf->page_offset + ((hpfn << kf->page_shift) - kf->dmap_phys);
		ret->slab_bytes = kf->page_size << ret->order;
		return;
	}
	if (dms_page_is_pp(kf, &hp)) {
		ret->kind = DMS_OWNER_PAGE_POOL;
		return;
	}
	unsigned int border;
	bool types = dms_kf_has(kf->page_type) && dms_kf_has(kf->page_private);
	if (types && self.refcount == 0 && in_buddy(m, pfn, &self, &border)) {
		ret->kind = DMS_OWNER_BUDDY;
		ret->order = border;
		return;
	}
	if (types && dms_page_has_type(kf, &kf->pgty_table, &self)) {
		ret->kind = DMS_OWNER_PGTABLE;
		return;
	}
	if (hp.refcount == 0) {
		ret->kind = DMS_OWNER_FREE;
		return;
	}
	// Reserved pages inside _text.._end are the image itself; its init
	// sections were freed after boot and are ordinary pages now.
	if (in_image && flag_set(&hp, kf->pg_reserved)) {
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

void dms_owner_page(struct dms_owner_model *m, uint64_t pfn, struct dms_page_owner *ret)
{
	struct owner_slot *s = &m->pages[pfn % OWNER_CACHE];
	if (!s->valid || s->o.pfn != pfn) {
		classify(m, pfn, &s->o);
		s->valid = true;
	}
	*ret = s->o;
}

bool dms_owner_slab_object(const struct dms_page_owner *p, uint64_t kv, uint64_t *obj,
			   int64_t *offset, bool *tail)
{
	if (p->kind != DMS_OWNER_SLAB || !p->slab_base || !p->obj_size || kv < p->slab_base ||
	    kv - p->slab_base >= p->slab_bytes)
		return false;
	uint64_t idx = (kv - p->slab_base) / p->obj_size;
	*obj = p->slab_base + idx * p->obj_size + p->red_left_pad;
	*offset = (int64_t)(kv - *obj);
	*tail = (idx + 1) * p->obj_size > p->slab_bytes;
	return true;
}
