// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: who owns a physical page -- glue over the one
// page-owner model (lib/owner.c) and the SLUB model (lib/slub.c).
//
// lib/owner.c reads struct page through crash's readmem(KVADDR) (the
// virtual crash reader) with the offsets, bits and page type values of the
// facts table (dms_kf) and decides; this file formats, attaches the slab
// object's state from the SLUB model, and walks caches for pktscan -c.
// Every value read is untrusted: lib bounds pointers by the dump's pfn
// range and vmemmap before following them.
#include <crash/defs.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dms_ext.h"
#include "owner.h"
#include "slub.h"

static struct {
	bool tried;
	struct dms_creader *kv;
	struct dms_owner_model *m;
} g;

// The session's owner model; NULL when the facts lack what it needs.
static struct dms_owner_model *model(void)
{
	if (g.m || g.tried)
		return g.m;
	g.tried = true;
	g.kv = dms_creader_virt_create(NULL, NULL);
	if (!g.kv)
		return NULL;
	struct dms_error *err = dms_owner_model_create(dms_creader_reader(g.kv), &dms_kf, &g.m);
	if (err) {
		dms_error_destroy(err);
		dms_creader_destroy(g.kv);
		g.kv = NULL;
		g.m = NULL;
	}
	return g.m;
}

void dms_owner_cache_reset(void)
{
	if (g.m)
		dms_owner_model_reset(g.m);
}

void dms_page_owner_get(uint64_t paddr, struct dms_page_owner *ret)
{
	struct dms_owner_model *m = model();
	if (!m) {
		memset(ret, 0, sizeof(*ret));
		ret->pfn = paddr / PAGESIZE();
		ret->kind = DMS_OWNER_UNKNOWN;
		ret->note = "owner look-up disabled";
		return;
	}
	dms_owner_page(m, paddr >> dms_kf.page_shift, ret);
}

void dms_owner_get(uint64_t paddr, struct dms_owner *ret)
{
	memset(ret, 0, sizeof(*ret));
	dms_page_owner_get(paddr, &ret->page);
	uint64_t kv, obj;
	int64_t off;
	bool tail;
	if (!dms_paddr_to_kvaddr(paddr, &kv) ||
	    !dms_owner_slab_object(&ret->page, kv, &obj, &off, &tail))
		return;
	ret->obj = obj;
	ret->offset = (uint64_t)off;
	ret->has_obj = true;
	ret->slab_tail = tail;
	// Allocated or free, from the SLUB model (slubglue.c).
	struct dms_slub *slub = dms_ext_slub(NULL);
	struct dms_slub_obj o;
	if (slub && !tail) {
		struct dms_error *err = dms_slub_lookup_phys(slub, paddr, &o);
		if (!err && o.where == DMS_SLUB_WHERE_OBJECT && o.object == obj)
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

static bool read_kv(uint64_t kvaddr, void *buf, size_t len)
{
	return readmem(kvaddr, KVADDR, buf, len, "dmasleuth kvaddr", QUIET | RETURN_ON_ERROR);
}

uint64_t dms_slab_cache_find(const char *name, uint32_t *size_ret)
{
	const struct dms_kfacts *kf = &dms_kf;
	struct dms_owner_model *m = model();
	if (!m || !kf->slab_ok)
		return 0;
	uint64_t headaddr = kf->slab_caches, next;
	if (!read_kv(headaddr, &next, sizeof(next)))
		return 0;
	// Bounded walk: a kernel has a few hundred caches.
	for (int i = 0; i < 65536 && next && next != headaddr; i++) {
		uint64_t cache = next - (uint64_t)kf->s_list;
		char cname[DMS_CACHE_NAME_MAX];
		uint32_t size, rlp;
		dms_owner_cache_info(m, cache, cname, &size, &rlp);
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
	const struct dms_kfacts *kf = &dms_kf;
	uint64_t visited = 0;
	if (!kf->slab_ok || !model())
		return 0;
	enum { BATCH = 64 };
	long psz = kf->page_struct_size;
	unsigned char *buf = (unsigned char *)GETBUF(BATCH * psz);
	uint64_t ps = kf->page_size;
	for (int n = 0; n < vt->numnodes; n++) {
		struct node_table *nt = &vt->node_table[n];
		uint64_t pfn = nt->start_paddr / ps, end = pfn + nt->size;
		while (pfn < end) {
			uint64_t cnt = end - pfn < BATCH ? end - pfn : BATCH;
			uint64_t first;
			if (!dms_pfn_to_page(kf, pfn, &first) || !read_kv(first, buf, cnt * psz)) {
				// Not in the dump: one at a time.
				cnt = 1;
				if (!dms_pfn_to_page(kf, pfn, &first) ||
				    !read_kv(first, buf, psz)) {
					pfn++;
					continue;
				}
			}
			uint64_t skip_to = pfn + cnt;
			for (uint64_t i = 0; i < cnt; i++) {
				const unsigned char *pg = buf + i * psz;
				uint64_t ch, c;
				memcpy(&ch, pg + kf->page_compound_head, 8);
				if (!dms_page_is_slab(kf, pg) || (ch & 1))
					continue;
				memcpy(&c, pg + kf->slab_cache, 8);
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
