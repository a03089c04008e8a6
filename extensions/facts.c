// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the facts dmaf's verdict is made from, read from the dump (lib/facts.h).
//
// Reads only; decides nothing.  Every frame in dumpable memory and who owns it (slab
// object and its allocation state from dmasleuth's SLUB model, page table, page_pool,
// free page ...), the caches those frames sit in, the SLUB model's findings with what
// their objects hold, the network devices, their RX
// ring slots and why a device's rings could not be read, the kernel log, the reads the
// oops' analysis asks for (lib/panic.h), per-IRQ counts and page_pool pools.  What
// cannot be read becomes a gap, which the verdict turns into a NOTE.
#include <crash/defs.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "dms_ext.h"
#include "facts.h"
#include "maple.h"
#include "panic.h"
#include "slub.h"
#include "verdict.h"

#define MAX_NETDEVS 256
#define MAX_IRQS 4096
#define MAX_POOLS 32

struct gather {
	struct dms_facts *f;
	struct dms_creader *cr;
	struct dms_slub *slub;
	struct dms_progress progress;
	uint64_t hits;
	struct dms_error *err; // the first failure to record a fact (out of memory)
};

static bool tick(uint64_t pos, void *arg)
{
	struct gather *g = arg;

	if (dms_interrupted())
		return false;
	if (dms_progress_due(&g->progress))
		fprintf(stderr,
			"\rdmaf: scanning %#" PRIx64 " of %#" PRIx64 ", %" PRIu64 " frames ", pos,
			dms_max_paddr(), g->hits);
	return true;
}

static void keep(struct gather *g, struct dms_error *err)
{
	if (err && !g->err)
		g->err = err;
	else
		dms_error_destroy(err);
}

// ---------------------------------------------------------------- frames

static void flow_key(const struct dms_pkt *p, char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = p->ip_version == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, p->src_addr, src, sizeof(src)))
		snprintf(src, sizeof(src), "?");
	if (!inet_ntop(af, p->dst_addr, dst, sizeof(dst)))
		snprintf(dst, sizeof(dst), "?");
	char vlan[16] = "", num[8];
	const char *proto = dms_pkt_proto_name(p, num, sizeof(num));
	if (p->nvlans)
		snprintf(vlan, sizeof(vlan), " vlan %u", p->vlan_id[0]);
	if (p->l4_off && (p->proto == 6 || p->proto == 17))
		snprintf(buf, size, "%s %s%s%s:%u > %s%s%s:%u%s", proto, af == AF_INET6 ? "[" : "",
			 src, af == AF_INET6 ? "]" : "", p->sport, af == AF_INET6 ? "[" : "", dst,
			 af == AF_INET6 ? "]" : "", p->dport, vlan);
	else
		snprintf(buf, size, "%s %s > %s%s", proto, src, dst, vlan);
}

static enum dms_vobj_state obj_state(enum dms_slub_state s)
{
	switch (s) {
	case DMS_SLUB_ALLOCATED:
		return DMS_VOBJ_LIVE;
	case DMS_SLUB_FREE:
	case DMS_SLUB_FREE_CPU:
		return DMS_VOBJ_FREE;
	default:
		return DMS_VOBJ_UNKNOWN;
	}
}

// The objects a frame overlaps: the frame often starts in one object and covers the
// next ones.  The SLUB model's state of each is read; the one named is the most telling
// (an allocated one first, then one of unknown state), as the model orders states.
static const struct dms_slub_cache *frame_object(struct dms_slub *slub, uint64_t paddr,
						 uint64_t len, struct dms_vframe *f)
{
	const struct dms_slub_cache *cache = NULL;
	struct dms_slub_obj o;
	enum dms_vobj_state best = DMS_VOBJ_FREE;
	bool any = false;

	if (!slub)
		return NULL;
	for (unsigned int n = 0; n < 64; n++) {
		struct dms_error *err = dms_slub_lookup_phys(slub, paddr, &o);
		if (err) {
			dms_error_destroy(err);
			break;
		}
		if (o.where != DMS_SLUB_WHERE_OBJECT || !o.cache)
			break;
		enum dms_vobj_state s = obj_state(o.state);
		if (!any || (s == DMS_VOBJ_LIVE && best != DMS_VOBJ_LIVE) ||
		    (s == DMS_VOBJ_UNKNOWN && best == DMS_VOBJ_FREE)) {
			best = s;
			f->obj = o.object;
			f->obj_offset =
				(int32_t)(int64_t)(f->paddr - (o.paddr - (uint64_t)o.offset));
			f->obj_size = o.cache->object_size;
			snprintf(f->cache, sizeof(f->cache), "%s", o.cache->name);
			cache = o.cache;
		}
		any = true;
		// The next object: past this one's end (offset may be negative in a red zone).
		uint64_t obj_paddr = o.paddr - (uint64_t)o.offset;
		uint64_t next = obj_paddr + o.cache->size;
		if (!o.cache->size || next >= paddr + len || next <= paddr)
			break;
		len -= next - paddr;
		paddr = next;
	}
	if (any)
		f->state = best;
	return cache;
}

const struct dms_slub_cache *dms_ext_vframe(const struct dms_hit *hit, uint64_t paddr,
					    const struct dms_owner *own, struct dms_vframe *ret)
{
	const struct dms_pkt *p = &hit->pkt;
	const struct dms_slub_cache *cache = NULL;

	memset(ret, 0, sizeof(*ret));
	ret->paddr = paddr;
	ret->owner = own->page.kind;
	if (!dms_paddr_to_kvaddr(paddr, &ret->kvaddr))
		ret->kvaddr = 0;
	ret->len = (uint32_t)(p->frame_len ? p->frame_len : p->caplen);
	ret->has_l2 = p->l2 == DMS_L2_ETHERNET;
	memcpy(ret->dst_mac, p->dst_mac, 6);
	// IPv6 has no header checksum: its "header is valid" is the whole decode.
	ret->ip_csum_ok =
		p->ip_csum == DMS_CSUM_OK || (p->ip_version == 6 && p->status == DMS_PKT_OK);
	ret->l4_csum_ok = p->l4_csum == DMS_CSUM_OK;
	ret->damaged = !dms_pkt_is_hit(p) && dms_pkt_damaged(p);
	ret->vlan = p->nvlans ? p->vlan_id[0] : 0;
	dms_pkt_format(p, ret->summary, sizeof(ret->summary));
	flow_key(p, ret->flow, sizeof(ret->flow));
	if (ret->owner == DMS_OWNER_SLAB) {
		snprintf(ret->cache, sizeof(ret->cache), "%s", own->page.cache_name);
		ret->obj = own->has_obj ? own->obj : 0;
		ret->obj_offset = (int32_t)own->offset;
		ret->state = DMS_VOBJ_UNKNOWN;
		cache = frame_object(dms_ext_slub(NULL), paddr, ret->len, ret);
	}
	// The 12 bytes a virtio device writes in front of a frame.
	uint8_t hdr[12];
	if (ret->has_l2 && paddr >= sizeof(hdr) &&
	    dms_read_phys(paddr - sizeof(hdr), hdr, sizeof(hdr)) == sizeof(hdr))
		ret->virtio_hdr = dms_virtio_hdr_plausible(hdr);
	return cache;
}

static struct dms_error *on_hit(const struct dms_hit *hit, void *arg)
{
	struct gather *g = arg;
	struct dms_owner own;
	struct dms_vframe fr;

	g->hits++;
	dms_owner_get(hit->pos, &own);
	if (own.page.kind != DMS_OWNER_SLAB && own.page.kind != DMS_OWNER_PGTABLE) {
		// Counted by owner (lib/facts.c): nothing more is read for it.
		memset(&fr, 0, sizeof(fr));
		fr.paddr = hit->pos;
		fr.owner = own.page.kind;
		keep(g, dms_facts_add_frame(g->f, &fr));
		return g->err;
	}
	const struct dms_slub_cache *c = dms_ext_vframe(hit, hit->pos, &own, &fr);
	if (c)
		keep(g, dms_facts_add_cache(g->f, c->name, (const char *const *)c->aliases,
					    c->naliases));
	else if (fr.owner == DMS_OWNER_SLAB && !dms_facts_cache(g->f, fr.cache))
		keep(g, dms_facts_add_cache(g->f, fr.cache, NULL, 0));
	keep(g, dms_facts_add_frame(g->f, &fr));
	return g->err;
}

// ---------------------------------------------------------------- slab damage

// Frames lib/classify finds in an object's bytes and the 64 bytes before it (a frame
// that starts just before the object and runs into it).
static uint32_t object_packets(const struct dms_slub_slab *slab, uint64_t object)
{
	if (!slab->cache || !slab->data || !object || object < slab->base)
		return 0;
	uint64_t off = object - slab->base;
	uint64_t from = off > 64 ? off - 64 : 0;
	uint64_t to = off + slab->cache->size;
	if (to > slab->data_len || from >= to)
		return 0;
	struct dms_class_result cr;
	struct dms_error *err =
		dms_classify(slab->data + from, to - from, slab->base + from, NULL, &cr);
	if (err) {
		dms_error_destroy(err);
		return 0;
	}
	return (uint32_t)cr.npackets;
}

static void finding_paddr(struct dms_ffinding *fd)
{
	if (!fd->addr || !dms_kvaddr_to_paddr(fd->addr, &fd->paddr))
		fd->paddr = 0;
}

struct slabwalk {
	struct gather *g;
	uint64_t slabs;
};

static struct dms_error *on_slab(const struct dms_slub_slab *slab, void *arg)
{
	struct slabwalk *w = arg;
	struct gather *g = w->g;

	if ((++w->slabs & 1023) == 0 && !tick(slab->paddr, g))
		return dms_error_create(DMS_ERR_STOP, "interrupted");
	for (size_t i = 0; i < slab->nfindings; i++) {
		const struct dms_slub_finding *sf = &slab->findings[i];
		struct dms_ffinding fd;
		memset(&fd, 0, sizeof(fd));
		snprintf(fd.code, sizeof(fd.code), "%s", dms_slub_code_name(sf->code));
		snprintf(fd.cache, sizeof(fd.cache), "%s", sf->cache_name ? sf->cache_name : "");
		fd.object = sf->object;
		fd.addr = sf->addr;
		fd.value = sf->value;
		snprintf(fd.field, sizeof(fd.field), "%s", sf->field ? sf->field : "");
		snprintf(fd.reason, sizeof(fd.reason), "%s", sf->reason);
		finding_paddr(&fd);
		fd.object_packets = object_packets(slab, sf->object);
		keep(g, dms_facts_add_finding(g->f, &fd));
	}
	return g->err;
}

// The slab model's own damage (lib/slub.h, create findings): a broken slab_caches
// list, caches with impossible sizes.  One gap.
static void gather_cache_damage(struct gather *g)
{
	size_t n = 0, nlist = 0, ngeo = 0;
	const struct dms_slub_finding *cf = dms_slub_findings(g->slub, &n);
	for (size_t i = 0; i < n; i++) {
		nlist += cf[i].code == DMS_SLUB_LIST_CORRUPT;
		ngeo += cf[i].code == DMS_SLUB_BAD_GEOMETRY;
	}
	if (n)
		keep(g, dms_facts_add_gap(g->f, "slab_caches",
					  "%zu list findings, %zu caches with impossible sizes "
					  "(their slabs not walked); first: %.110s",
					  nlist, ngeo, cf[0].reason));
}

// ---------------------------------------------------------------- network devices

static void gather_netdevs(struct gather *g)
{
	struct dms_netdev *devs = calloc(MAX_NETDEVS, sizeof(*devs));
	char why[160];

	if (!devs) {
		keep(g, &dms_enomem);
		return;
	}
	size_t n = dms_netdev_list(devs, MAX_NETDEVS, why, sizeof(why));
	if (!n && why[0])
		keep(g, dms_facts_add_gap(g->f, "netdevs", "%s", why));
	else if (why[0])
		keep(g, dms_facts_add_gap(g->f, "netdevs", "the list is incomplete: %s", why));
	for (size_t d = 0; d < n && !g->err; d++) {
		const struct dms_netdev *dev = &devs[d];
		struct dms_vnetdev v;
		memset(&v, 0, sizeof(v));
		snprintf(v.name, sizeof(v.name), "%s", dev->name);
		bool none = !strcmp(dev->driver_from, "none");
		snprintf(v.driver, sizeof(v.driver), "%s", none ? "" : dev->driver);
		v.bus_driver = !strcmp(dev->driver_from, "dev.parent->driver->name");
		memcpy(v.mac, dev->mac, 6);
		v.up = dev->up;
		if (dev->has_features) {
			struct dms_feature feat[DMS_FNETDEV_MAX_FEATURES];
			size_t nf =
				dms_netdev_features(dev->features, feat, DMS_FNETDEV_MAX_FEATURES);
			for (size_t k = 0; k < nf; k++) {
				if (!feat[k].known)
					continue;
				snprintf(v.features[v.nfeatures].name, sizeof(v.features[0].name),
					 "%s", feat[k].name);
				v.features[v.nfeatures++].on = feat[k].on;
			}
		}
		// Its RX rings: the driver's slots and the device's descriptors read back.
		// Damage the device itself shows.
		if (dev->name_unterminated)
			keep(g, dms_facts_add_gap(g->f, "netdev",
						  "%s: its name has no NUL "
						  "(net_device.name damaged)",
						  dev->name));
		if (!strcmp(dev->driver, "?") && strcmp(dev->driver_from, "none"))
			keep(g, dms_facts_add_gap(g->f, "netdev",
						  "%s (net_device %#" PRIx64 "): "
						  "driver unknown (%s): its rings were not read",
						  dev->name, dev->addr, dev->driver_from));
		struct dms_netdev_rings *r = NULL;
		struct dms_error *err = none ? NULL : dms_netdev_rings_get(dev, &r);
		if (err) {
			snprintf(v.rings_why, sizeof(v.rings_why), "%s",
				 err->message ? err->message : dms_error_string(err->code));
			dms_error_destroy(err);
		} else if (r && !r->nr) {
			snprintf(v.rings_why, sizeof(v.rings_why), "%s", r->why);
		} else if (r) {
			v.rings_read = true;
		}
		keep(g, dms_facts_add_netdev(g->f, &v));
		// Ring findings that stop a walk; index and chain findings are the device's
		// state (evidence), not gaps.
		for (size_t k = 0; r && r->res && k < r->res->nfindings && !g->err; k++) {
			const struct dms_nicring_finding *fd = &r->res->findings[k];
			if (fd->code == DMS_NICRING_BAD_POINTER ||
			    fd->code == DMS_NICRING_BAD_COUNT ||
			    fd->code == DMS_NICRING_UNSUPPORTED ||
			    (fd->code == DMS_NICRING_NOT_IN_DUMP && fd->slot < 0))
				keep(g, dms_facts_add_gap(g->f, "rings",
							  "%s (%s) RX ring %d: %s at %#" PRIx64
							  ": %.110s",
							  dev->name, dev->driver, fd->ring,
							  dms_nicring_code_name(fd->code), fd->addr,
							  fd->reason));
		}
		for (size_t k = 0; r && r->res && k < r->res->nrings && !g->err; k++) {
			const struct dms_nicring_ring *ring = &r->res->rings[k];
			for (uint32_t i = 0; i < ring->nslots && !g->err; i++) {
				const struct dms_nicring_slot *sl = &ring->slots[i];
				if (sl->state == DMS_NICRING_SLOT_EMPTY)
					continue;
				struct dms_vslot s = { .ring = (int)ring->index,
						       .slot = (int)sl->index,
						       .dma = sl->buf_dma,
						       .paddr = sl->buf_phys,
						       .len = sl->len };
				snprintf(s.netdev, sizeof(s.netdev), "%s", dev->name);
				keep(g, dms_facts_add_slot(g->f, &s));
			}
			// Descriptors the driver does not record (or no longer, after freeing
			// its ring): stale copies of buffer addresses the device may still use.
			const struct dms_nicring_hwdesc *hw = k < r->nhw ? r->hw[k] : NULL;
			for (uint32_t i = 0; hw && i < ring->count && !g->err; i++) {
				const struct dms_nicring_hwdesc *h = &hw[i];
				if (!h->present || !h->addr_valid || !h->addr)
					continue;
				bool differ = r->freed_hw[k] || i >= ring->nslots ||
					      dms_nicring_compare(&ring->slots[i], h) ==
						      DMS_NICRING_DIFFER ||
					      ring->slots[i].state == DMS_NICRING_SLOT_EMPTY;
				if (!differ)
					continue;
				// With the IOMMU off (or passthrough), DMA address == physical.
				bool ident = !r->iommu.on || r->iommu.passthrough;
				struct dms_vslot s = { .ring = (int)ring->index,
						       .slot = (int)i,
						       .stale = true,
						       .dma = h->addr,
						       .paddr = ident ? h->addr : 0,
						       .len = h->len ? h->len : ring->buf_len };
				snprintf(s.netdev, sizeof(s.netdev), "%s", dev->name);
				keep(g, dms_facts_add_slot(g->f, &s));
			}
		}
		dms_netdev_rings_destroy(r);
	}
	free(devs);
}

// ---------------------------------------------------------------- log and panic

static char *read_log(size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	char line[1024];

	open_tmpfile();
	dump_log(0);
	rewind(pc->tmpfile);
	while (fgets(line, sizeof(line), pc->tmpfile)) {
		size_t l = strlen(line);
		if (n + l + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			while (ncap < n + l + 1)
				ncap *= 2;
			char *nb = realloc(buf, ncap);
			if (!nb)
				break;
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + n, line, l);
		n += l;
	}
	close_tmpfile();
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static void owner_text(uint64_t paddr, char *buf, size_t size, enum dms_owner_kind *kind)
{
	struct dms_owner own;
	char text[96];

	dms_owner_get(paddr, &own);
	dms_owner_format(&own, text, sizeof(text));
	// The owner text carries the object's allocation state (the SLUB model's).
	snprintf(buf, size, "%.150s", text);
	if (kind)
		*kind = own.page.kind;
}

// Where is value stored in memory (8-byte aligned)?  A bad pointer is often the stored
// one minus a member offset (container_of, rb_entry): words within VALUE_SLACK of the
// value count too.  Up to DMS_FPANIC_MAX_HITS addresses.
#define VALUE_SLACK 0x200
struct valsearch {
	struct gather *g;
	struct dms_fpanic *p;
	uint64_t value;
	uint8_t *buf;
};

static struct dms_error *search_range(uint64_t start, uint64_t len, void *arg)
{
	struct valsearch *vs = arg;
	struct dms_fpanic *p = vs->p;
	const size_t chunk = 1 << 20;
	const uint64_t page = PAGESIZE();
	uint64_t end = start + len, pos = start;

	while (pos < end && !p->hits_more) {
		if (!tick(pos, vs->g))
			return dms_error_create(DMS_ERR_STOP, "interrupted");
		size_t want = end - pos < chunk ? (size_t)(end - pos) : chunk;
		size_t got = 0;
		dms_error_destroy(dms_reader_read_phys(dms_creader_reader(vs->g->cr), pos, vs->buf,
						       want, &got));
		for (size_t i = 0; i + 8 <= got; i += 8) {
			uint64_t v;
			memcpy(&v, vs->buf + i, 8);
			if (v - vs->value + VALUE_SLACK > 2 * VALUE_SLACK)
				continue;
			if (p->nhits == DMS_FPANIC_MAX_HITS) {
				p->hits_more = true;
				break;
			}
			struct dms_fvalue_hit *h = &p->hits[p->nhits++];
			h->paddr = pos + i;
			h->delta = (int64_t)(v - vs->value);
		}
		// A short read stops at a page missing from the dump: skip that page.
		pos += got == want ? got : (got / page + 1) * page;
	}
	return NULL;
}

// The reads lib/panic.c plans: the faulting function's address, the word at the load
// site, and where the value is stored.
static struct dms_error *gather_panic(struct gather *g)
{
	struct dms_facts *f = g->f;
	struct dms_fpanic *p = &f->panic;
	struct dms_panic_plan *plan = malloc(sizeof(*plan));
	struct dms_error *err = NULL;

	if (!plan)
		return &dms_enomem;
	dms_panic_plan(f->log, f->log_len, f->arch, f->va_bits, p, plan);
	if (plan->need_sym) {
		if (symbol_exists(plan->sym)) {
			p->has_sym = true;
			snprintf(p->rip_sym, sizeof(p->rip_sym), "%s", plan->sym);
			p->sym_addr = symbol_value(plan->sym);
			dms_panic_plan(f->log, f->log_len, f->arch, f->va_bits, p, plan);
		} else {
			err = dms_facts_add_gap(f, "panic",
						"the faulting function %s is not in the "
						"vmlinux's symbols: is it the dump's vmlinux?",
						plan->sym);
			goto out;
		}
	}
	if (!plan->culprit || !plan->noncanonical)
		goto out;
	uint64_t pa;
	bool at = plan->ls.found && plan->ls.ea_known && dms_kvaddr_to_paddr(plan->ls.ea, &pa);
	if (at &&
	    dms_read_phys(pa, &p->load_value, sizeof(p->load_value)) != sizeof(p->load_value)) {
		// Where it was loaded from is known and missing: a copy of the value elsewhere
		// would not be its source.
		err = dms_facts_add_gap(f, "panic",
					"%%%s was loaded from %#" PRIx64 " (`%.60s`), "
					"which is not in the dump",
					dms_reg_name(plan->insn.culprit), plan->ls.ea,
					plan->ls.text);
		goto out;
	}
	if (at) {
		p->has_load = true;
		p->load_ea = plan->ls.ea;
		p->load_paddr = pa;
		if (!dms_paddr_to_kvaddr(pa, &p->load_kvaddr))
			p->load_kvaddr = 0;
		owner_text(pa, p->load_owner, sizeof(p->load_owner), NULL);
		dms_panic_plan(f->log, f->log_len, f->arch, f->va_bits, p, plan);
	}
	if (!plan->search)
		goto out;
	struct valsearch vs = { .g = g, .p = p, .value = plan->value, .buf = malloc(1 << 20) };
	if (!vs.buf) {
		err = &dms_enomem;
		goto out;
	}
	p->searched = true;
	p->searched_value = plan->value;
	err = dms_reader_for_each_range(dms_creader_reader(g->cr), 0, dms_max_paddr(), search_range,
					&vs);
	free(vs.buf);
	for (size_t i = 0; i < p->nhits; i++) {
		struct dms_fvalue_hit *h = &p->hits[i];
		if (!dms_paddr_to_kvaddr(h->paddr, &h->kvaddr))
			h->kvaddr = 0;
		owner_text(h->paddr, h->owner_text, sizeof(h->owner_text), &h->owner);
	}
out:
	free(plan);
	return err;
}

// ---------------------------------------------------------------- page_pool

// Pools are found through their pages (lib/owner.h's page_pool test on every struct
// page; page.pp names the pool): 6.1 keeps no list of them.  Then each pool's hold and
// release counters.
static void gather_pools(struct gather *g)
{
	const struct dms_kfacts *kf = &dms_kf;
	long hold = kf->pp_hold_cnt, rel = kf->pp_release_cnt;
	long psz = kf->page_struct_size;
	struct dms_fpool pools[MAX_POOLS];
	size_t npools = 0;
	bool more = false;

	if (!kf->pp_present || kf->page_pp < 0) {
		keep(g,
		     dms_facts_add_gap(g->f, "page_pool", "%s",
				       kf->pp_present ? "no page.pp in the debuginfo"
						      : "this kernel's struct page has no pp_magic "
							"(page_pool pages carry it since 5.14)"));
		return;
	}
	if (hold < 0 || rel < 0 || psz <= 0 || psz > 256) {
		keep(g, dms_facts_add_gap(g->f, "page_pool",
					  "struct page_pool's hold/release counters are not in the "
					  "debuginfo"));
		return;
	}
	uint8_t *buf = malloc((size_t)psz * 64);
	if (!buf) {
		keep(g, &dms_enomem);
		return;
	}
	memset(pools, 0, sizeof(pools));
	for (int n = 0; n < vt->numnodes; n++) {
		struct node_table *nt = &vt->node_table[n];
		uint64_t pfn0 = nt->start_paddr >> PAGESHIFT();
		for (uint64_t i = 0; i < nt->size; i += 64) {
			uint64_t page;
			uint64_t cnt = nt->size - i < 64 ? nt->size - i : 64;
			if ((i & 0xffff) == 0 && !tick((pfn0 + i) << PAGESHIFT(), g))
				goto out;
			if (!dms_pfn_to_page(kf, pfn0 + i, &page) ||
			    !readmem(page, KVADDR, buf, (long)(cnt * psz), "dmaf page_pool survey",
				     QUIET | RETURN_ON_ERROR))
				continue;
			for (uint64_t j = 0; j < cnt; j++) {
				uint64_t pool;
				if (!dms_page_pool_of(kf, buf + j * psz, &pool))
					continue;
				size_t k = 0;
				while (k < npools && pools[k].addr != pool)
					k++;
				if (k == npools && npools < MAX_POOLS)
					pools[npools++].addr = pool;
				else if (k == npools)
					more = true;
				if (k < npools)
					pools[k].pages++;
			}
		}
	}
	g->f->has_pools = true;
	for (size_t k = 0; k < npools; k++) {
		struct dms_fpool *p = &pools[k];
		p->counters = IS_KVADDR(p->addr) &&
			      readmem(p->addr + hold, KVADDR, &p->hold, 4, "page_pool hold",
				      QUIET | RETURN_ON_ERROR) &&
			      readmem(p->addr + rel, KVADDR, &p->release, 4, "page_pool release",
				      QUIET | RETURN_ON_ERROR);
		keep(g, dms_facts_add_pool(g->f, p));
	}
	if (more)
		keep(g, dms_facts_add_gap(g->f, "page_pool",
					  "pages of more than %d pools: the rest "
					  "were not counted",
					  MAX_POOLS));
out:
	free(buf);
}

// ---------------------------------------------------------------- IRQ counts

// The irq_desc pointers of the sparse IRQ tree: the sparse_irqs maple tree (6.5+),
// walked by lib/maple over the facts table, or irq_desc_tree, an xarray (4.20+) or a
// radix tree, walked by crash.  NULL with a gap said when it cannot.
struct irq_list {
	ulong *desc;
	size_t n;
};

static struct dms_error *on_irq_desc(uint64_t first, uint64_t last, uint64_t entry, void *arg)
{
	(void)first;
	(void)last;
	struct irq_list *l = arg;
	if (l->n < MAX_IRQS)
		l->desc[l->n++] = (ulong)entry;
	return NULL;
}

static bool irq_descs(struct dms_facts *f, struct irq_list *l)
{
	const struct dms_kfacts *kf = &dms_kf;
	l->n = 0;
	l->desc = calloc(MAX_IRQS, sizeof(*l->desc));
	if (!l->desc)
		return false;
	if (symbol_exists("sparse_irqs")) {
		ulong root = 0;
		if (kf->mt_root < 0 ||
		    !readmem(symbol_value("sparse_irqs") + (ulong)kf->mt_root, KVADDR, &root,
			     sizeof(root), "sparse_irqs.ma_root", QUIET | RETURN_ON_ERROR)) {
			dms_error_destroy(dms_facts_add_gap(
				f, "irqs", "sparse_irqs.ma_root could not be read"));
			return false;
		}
		struct dms_creader *kv = dms_creader_virt_create(NULL, NULL);
		if (!kv)
			return false;
		struct dms_error *err = dms_maple_walk(dms_creader_reader(kv), kf, root, MAX_IRQS,
						       on_irq_desc, l, NULL);
		dms_creader_destroy(kv);
		if (err) {
			// What was read before the damage still counts.
			dms_error_destroy(dms_facts_add_gap(
				f, "irqs", "the sparse_irqs maple tree: %s%s",
				err->message ? err->message : dms_error_string(err->code),
				l->n ? " (the IRQs before it are counted)" : ""));
			dms_error_destroy(err);
		}
		return l->n > 0;
	}
	if (!symbol_exists("irq_desc_tree")) {
		dms_error_destroy(dms_facts_add_gap(f, "irqs", "%s",
						    "no sparse_irqs or irq_desc_tree: a kernel "
						    "without SPARSE_IRQ; crash's `irq -s` prints "
						    "the counts"));
		return false;
	}
	// Since 4.20 a radix tree root is an xarray; crash walks each with its own helper
	// (and aborts the command on a format it does not know: check first).
	bool xa = dms_kf_has(kf->xa_head);
	if (!xa && !dms_kf_has(kf->radix_rnode)) {
		dms_error_destroy(dms_facts_add_gap(f, "irqs",
						    "irq_desc_tree is neither an xarray "
						    "nor a radix tree crash knows"));
		return false;
	}
	ulong root = symbol_value("irq_desc_tree");
	ulong n = xa ? do_xarray(root, XARRAY_COUNT, NULL)
		     : do_radix_tree(root, RADIX_TREE_COUNT, NULL);
	if (!n || n > MAX_IRQS) {
		dms_error_destroy(
			dms_facts_add_gap(f, "irqs", "irq_desc_tree holds %lu entries", n));
		return false;
	}
	struct list_pair *lp = calloc(n + 1, sizeof(*lp));
	if (!lp)
		return false;
	lp[0].index = n;
	n = xa ? do_xarray(root, XARRAY_GATHER, lp) : do_radix_tree(root, RADIX_TREE_GATHER, lp);
	for (ulong i = 0; i < n && i < MAX_IRQS; i++)
		l->desc[l->n++] = (ulong)lp[i].value;
	free(lp);
	return true;
}

// Per-IRQ counts (irq_desc.kstat_irqs, per CPU) from the sparse IRQ tree: the numbers
// crash's `irq -s` prints.
static void gather_irqs(struct dms_facts *f)
{
	const struct dms_kfacts *kf = &dms_kf;
	long kstat = kf->irqd_kstat_irqs, action = kf->irqd_action, aname = kf->irqaction_name;
	long idata = kf->irqd_irq_data, iirq = kf->irq_data_irq;

	if (kstat < 0 || idata < 0 || iirq < 0) {
		dms_error_destroy(dms_facts_add_gap(f, "irqs",
						    "irq_desc.kstat_irqs or irq_data.irq "
						    "not in the debuginfo"));
		return;
	}
	struct irq_list l = { 0 };
	if (!irq_descs(f, &l)) {
		free(l.desc);
		return;
	}
	f->has_irqs = true;
	for (size_t i = 0; i < l.n; i++) {
		ulong desc = l.desc[i], pcpu = 0;
		struct dms_firq q;
		memset(&q, 0, sizeof(q));
		if (!IS_KVADDR(desc) ||
		    !readmem(desc + kstat, KVADDR, &pcpu, sizeof(pcpu), "irq_desc.kstat_irqs",
			     QUIET | RETURN_ON_ERROR) ||
		    !pcpu)
			continue;
		for (int cpu = 0; cpu < kt->cpus && cpu < NR_CPUS; cpu++) {
			uint32_t c = 0;
			if (readmem(pcpu + kt->__per_cpu_offset[cpu], KVADDR, &c, sizeof(c),
				    "kstat_irqs", QUIET | RETURN_ON_ERROR))
				q.count += c;
		}
		if (!q.count)
			continue;
		readmem(desc + idata + iirq, KVADDR, &q.irq, sizeof(q.irq), "irq_data.irq",
			QUIET | RETURN_ON_ERROR);
		ulong act = 0, str = 0;
		if (action >= 0 && aname >= 0 &&
		    readmem(desc + action, KVADDR, &act, sizeof(act), "irq_desc.action",
			    QUIET | RETURN_ON_ERROR) &&
		    IS_KVADDR(act) &&
		    readmem(act + aname, KVADDR, &str, sizeof(str), "irqaction.name",
			    QUIET | RETURN_ON_ERROR) &&
		    IS_KVADDR(str))
			read_string(str, q.name, sizeof(q.name) - 1);
		for (char *c = q.name; *c; c++)
			if (*c < 32 || *c > 126)
				*c = '?';
		if (dms_facts_add_irq(f, &q))
			break; // out of memory: the counts so far
	}
	free(l.desc);
}

// ---------------------------------------------------------------- all of it

void dms_ext_facts_irqs(struct dms_facts *f)
{
	gather_irqs(f);
}

bool dms_facts_readmem_only;

struct dms_error *dms_ext_facts_gather(struct dms_facts *f, bool quiet)
{
	struct gather g = { .f = f };
	struct dms_error *err = NULL;

	g.progress.quiet = quiet;
	snprintf(f->release, sizeof(f->release), "%s", kt->utsname.release);
	snprintf(f->machine, sizeof(f->machine), "%.15s", kt->utsname.machine);
	// The target (the facts table's: the build's crash target, checked at
	// load): it picks the oops format, the instruction set and the address
	// rules (lib/vaddr.h).
	f->arch = dms_kf.arch;
	f->va_bits = dms_kf.va_bits;
	f->memory_end = dms_max_paddr();
	// The direct map as "virtual address of physical 0" (kv = direct_map +
	// paddr, modulo 2^64): on arm64 RAM starts above 0, so it is computed
	// from where the map starts, not translated.
	f->has_direct_map = dms_kf.page_offset && f->memory_end;
	f->direct_map = f->has_direct_map ? dms_kf.page_offset - dms_kf.dmap_phys : 0;
	dms_owner_cache_reset();
	g.cr = dms_creader_phys_create(tick, &g);
	if (!g.cr)
		return &dms_enomem;
	if (!dms_kf.owner_ok) {
		err = dms_error_create(DMS_ERR_NOT_FOUND, "dmaf needs struct page owners: %s",
				       dms_kf.owner_why);
		goto out;
	}
	// The SLUB model: allocated/free for every object.
	const char *why = NULL;
	g.slub = dms_ext_slub(&why);
	if (!g.slub)
		keep(&g, dms_facts_add_gap(f, "slub", "%s", why ? why : "unavailable"));
	else
		gather_cache_damage(&g);
	gather_netdevs(&g);
	// Every frame in dumpable memory (frames whose payload the kernel wrote over since
	// count: their headers are what a device wrote).
	struct dms_scan scan;
	dms_scan_init(&scan);
	scan.damaged = true;
	// Pages from the parallel reader (crash's dump file, read by the extension) unless
	// dmaf -M; the same pages either way.
	char rwhy[256];
	if (!dms_facts_readmem_only &&
	    !dms_creader_stream(g.cr, 0, dms_max_paddr(), 0, rwhy, sizeof(rwhy)))
		keep(&g, dms_facts_add_gap(f, "reader", "memory read through crash's readmem: %s",
					   rwhy));
	err = dms_pipescan(&scan, dms_creader_reader(g.cr), 0, dms_max_paddr(), false, on_hit, &g);
	if (err)
		goto out;
	if (g.slub) {
		struct slabwalk w = { .g = &g };
		dms_ext_slub_set_tick(tick, &g);
		// The slabs' bytes from the parallel reader too (a failure is the scan's gap).
		if (!dms_facts_readmem_only)
			dms_ext_slub_stream(0, rwhy, sizeof(rwhy));
		err = dms_slub_for_each_slab(g.slub, NULL, on_slab, &w);
		dms_ext_slub_unstream();
		dms_ext_slub_set_tick(NULL, NULL);
		if (err)
			goto out;
		f->slub = true;
	}
	gather_pools(&g);
	size_t loglen = 0;
	char *log = read_log(&loglen);
	if (log) {
		keep(&g, dms_facts_set_log(f, log, loglen));
		free(log);
		err = gather_panic(&g);
		if (err)
			goto out;
	} else {
		keep(&g, dms_facts_add_gap(f, "log", "crash's log command printed nothing"));
	}
	err = g.err;
	g.err = NULL;
out:
	dms_progress_clear(&g.progress);
	dms_error_destroy(g.err);
	dms_creader_destroy(g.cr);
	return err;
}
