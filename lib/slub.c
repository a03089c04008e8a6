// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: SLUB model (see slub.h and docs/slub.md).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owner.h"
#include "slub.h"

// Bounds that do not come from the dump itself.
#define MAX_CACHES 65536
#define MAX_CPUS 8192
#define MAX_NODES 1024
// Largest slab: order 10 (MAX_ORDER - 1 on x86-64 is 10).
#define MAX_SLAB_ORDER 10
// Largest compound page a tail may point back over.
#define MAX_COMPOUND_PAGES (1u << 18)
// Struct pages read per call while walking vmemmap.
#define PAGE_BATCH 64
// Cached slab analyses before the cache is flushed.
#define MAX_CACHED_SLABS (1u << 18)
// Freelists the probe looks at before it decides; steps per freelist.
#define PROBE_FREELISTS 16
#define PROBE_STEPS 8
// CPU partial slabs followed per CPU (slub_cpu_partial is at most ~120).
#define MAX_CPU_PARTIAL 4096

static const char *const code_names[] = {
#define DMS_SLUB_FINDING(name, desc) [DMS_SLUB_##name] = #name,
	DMS_SLUB_FINDINGS
#undef DMS_SLUB_FINDING
};

static const char *const code_descs[] = {
#define DMS_SLUB_FINDING(name, desc) [DMS_SLUB_##name] = desc,
	DMS_SLUB_FINDINGS
#undef DMS_SLUB_FINDING
};

const char *dms_slub_code_name(enum dms_slub_code code)
{
	return (unsigned int)code < DMS_SLUB_NUM_CODES ? code_names[code] : "UNKNOWN";
}

const char *dms_slub_code_desc(enum dms_slub_code code)
{
	return (unsigned int)code < DMS_SLUB_NUM_CODES ? code_descs[code] : "unknown finding";
}

const char *dms_slub_fp_name(enum dms_slub_fp mode)
{
	static const char *const names[] = { "probe", "plain", "xor", "xor-swab" };
	return (unsigned int)mode < DMS_SLUB_FP_NUM ? names[mode] : "?";
}

const char *dms_slub_state_name(enum dms_slub_state state)
{
	static const char *const names[] = { "allocated", "free", "free (cpu)", "unknown" };
	return (unsigned int)state <= DMS_SLUB_UNKNOWN ? names[state] : "?";
}

// A set of 64-bit keys with values (open addressing, key 0 never stored).
struct u64map {
	uint64_t *keys;
	void **vals;
	size_t cap, len;
};

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void u64map_clear(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

// Slot of key, or of the empty slot where it goes.
static size_t u64map_slot(const struct u64map *m, uint64_t key)
{
	size_t i = hash64(key) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void *u64map_get(const struct u64map *m, uint64_t key, bool *found)
{
	*found = false;
	if (!m->cap || !key)
		return NULL;
	size_t i = u64map_slot(m, key);
	if (!m->keys[i])
		return NULL;
	*found = true;
	return m->vals[i];
}

// Insert or replace; false on out of memory.
static bool u64map_put(struct u64map *m, uint64_t key, void *val)
{
	if (!key)
		return true;
	if ((m->len + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		struct u64map n = { calloc(ncap, sizeof(uint64_t)), calloc(ncap, sizeof(void *)),
				    ncap, 0 };
		if (!n.keys || !n.vals) {
			free(n.keys);
			free(n.vals);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (m->keys[i]) {
				size_t j = u64map_slot(&n, m->keys[i]);
				n.keys[j] = m->keys[i];
				n.vals[j] = m->vals[i];
				n.len++;
			}
		}
		free(m->keys);
		free(m->vals);
		*m = n;
	}
	size_t i = u64map_slot(m, key);
	if (!m->keys[i])
		m->len++;
	m->keys[i] = key;
	m->vals[i] = val;
	return true;
}

struct cache_int {
	struct dms_slub_cache pub;
	bool cpu_loaded;
	// Per CPU: kmem_cache_cpu.freelist, .slab, .partial.
	uint64_t *cpu_freelist, *cpu_slab, *cpu_partial;
};

// A cached analysis (dms_slub_lookup).
struct slab_entry {
	struct dms_slub_slab slab;
	uint8_t *state;
	struct dms_slub_finding *findings;
};

struct findings {
	struct dms_slub_finding *v;
	size_t len, cap;
	bool oom;
};

struct dms_slub {
	const struct dms_reader *phys, *kv;
	// The kernel facts (a copy): every offset, size, bit and address the
	// model reads; the page-owner model's slab test runs over them.
	struct dms_kfacts kf;
	// CPUs, nodes and the free pointer encoding (per_cpu_offset copied).
	struct dms_slub_env env;
	uint64_t *per_cpu_offset;
	// Bytes of kmem_cache.flags (slab_flags_t): 4 or 8.
	uint32_t flags_size;
	uint64_t page_size;
	unsigned int page_shift;
	// Bytes of struct page and struct kmem_cache that we read.
	size_t page_need, cache_need;

	struct cache_int *caches;
	size_t ncaches;
	// kmem_cache address -> struct cache_int *
	struct u64map by_addr;
	struct findings create_findings;

	bool fp_probed;
	enum dms_slub_fp fp;
	uint32_t votes[DMS_SLUB_FP_NUM];

	// Working buffers of one analysis.
	uint8_t *data, *state, *walkid;
	size_t data_cap, state_cap, walkid_cap;
	struct findings fnd;

	// struct page address -> struct slab_entry *
	struct u64map slabs;

	// Pages of slabs (head and tails) as create's walk of the memory map
	// found them, a bit per pfn; pfns from slab_bits_unknown on are not
	// known (budget, or the walk did not finish).
	uint64_t *slab_bits;
	uint64_t slab_words, slab_bits_unknown;
};

static uint64_t rd_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd_le(p, 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd_le(p, 4);
}

// The direct map (kf.page_offset maps physical kf.dmap_phys: 0 on x86-64,
// the start of RAM on arm64).  Unbounded: callers pass pfns of struct pages
// and addresses they checked against page_offset.
static uint64_t dmap_virt(const struct dms_slub *s, uint64_t paddr)
{
	return s->kf.page_offset + (paddr - s->kf.dmap_phys);
}

static uint64_t dmap_phys(const struct dms_slub *s, uint64_t kv)
{
	return kv - s->kf.page_offset + s->kf.dmap_phys;
}

// Read kernel virtual memory; *got < len means the rest is missing.
static struct dms_error *kv_read(struct dms_slub *s, uint64_t addr, void *buf, size_t len,
				 size_t *got)
{
	*got = 0;
	if (s->kv)
		return dms_reader_read_phys(s->kv, addr, buf, len, got);
	if (addr < s->kf.page_offset)
		return NULL;
	return dms_reader_read_phys(s->phys, dmap_phys(s, addr), buf, len, got);
}

// Read len bytes fully; *ok false if any is missing.
static struct dms_error *kv_read_all(struct dms_slub *s, uint64_t addr, void *buf, size_t len,
				     bool *ok)
{
	size_t got;
	struct dms_error *err = kv_read(s, addr, buf, len, &got);
	*ok = !err && got == len;
	return err;
}

__attribute__((format(printf, 4, 5))) static void finding_add(struct findings *f,
							      const struct dms_slub_finding *tmpl,
							      enum dms_slub_code code,
							      const char *fmt, ...)
{
	if (f->len == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct dms_slub_finding *nv = realloc(f->v, ncap * sizeof(*nv));
		if (!nv) {
			f->oom = true;
			return;
		}
		f->v = nv;
		f->cap = ncap;
	}
	struct dms_slub_finding *x = &f->v[f->len++];
	*x = *tmpl;
	x->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
	va_end(ap);
}

static bool off_ok(int32_t off)
{
	return off >= 0;
}

// The facts the model needs, and how many bytes of struct page and struct
// kmem_cache it reads.
static struct dms_error *check_facts(struct dms_slub *s)
{
	const struct dms_kfacts *l = &s->kf;
	static const struct {
		const char *name;
		size_t off;
	} required[] = {
#define REQ(m) { #m, offsetof(struct dms_kfacts, m) }
		REQ(page_flags),    REQ(page_compound_head), REQ(slab_cache),
		REQ(slab_freelist), REQ(slab_counters),	     REQ(s_name),
		REQ(s_size),	    REQ(s_offset),	     REQ(s_list),
		REQ(s_oo),
#undef REQ
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		int32_t v;
		memcpy(&v, (const char *)l + required[i].off, sizeof(v));
		if (v < 0)
			return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
						"slub facts: %s is required", required[i].name);
	}
	// Slab pages: PG_slab, or the slab page type (dms_page_is_slab).
	bool by_type = l->pg_slab == DMS_KF_NONE;
	if (by_type && (!l->pgty_slab.present || !dms_kf_has(l->page_type)))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"slub facts: pg_slab or the slab page type is required");
	if (!by_type && (l->pg_slab < 0 || l->pg_slab > 63))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "slub facts: pg_slab > 63");
	if (l->page_struct_size <= 0 || l->page_struct_size > 4096)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"slub facts: page_struct_size must be 1..4096");
	if (!l->vmemmap || !l->page_offset || !l->slab_caches)
		return dms_error_create(
			DMS_ERR_INVALID_ARGUMENT,
			"slub facts: vmemmap, page_offset and slab_caches are required");
	if (s->env.nr_cpus > MAX_CPUS || (s->env.nr_cpus && !s->env.per_cpu_offset))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"slub env: bad nr_cpus/per_cpu_offset");
	if (s->env.nr_nodes > MAX_NODES)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "slub env: nr_nodes > %d",
					MAX_NODES);
	// slab_flags_t is 4 bytes since 4.15 (8 with some configs before).
	s->flags_size = l->s_flags_size == 8 ? 8 : 4;
	if (l->counters_inuse_shift < 0 || l->counters_inuse_shift > 16 ||
	    l->counters_objects_shift < 0 || l->counters_objects_shift > 17 ||
	    l->counters_frozen_shift < 0 || l->counters_frozen_shift > 31)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"slub facts: counters bit positions out of range");
	if ((unsigned int)s->env.fp_mode >= DMS_SLUB_FP_NUM)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "slub env: bad fp_mode");
	size_t n = 0;
	dms_span_need(&n, l->page_flags, 8);
	dms_span_need(&n, l->page_compound_head, 8);
	dms_span_need(&n, l->slab_cache, 8);
	dms_span_need(&n, l->slab_freelist, 8);
	dms_span_need(&n, l->slab_counters, 4);
	dms_span_need(&n, l->slab_list, 16);
	dms_span_need(&n, l->slab_next, 8);
	if (by_type)
		dms_span_need(&n, l->page_type, 4);
	if (n > (size_t)l->page_struct_size)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"slub facts: struct page members beyond page_struct_size");
	s->page_need = n;
	n = 0;
	dms_span_need(&n, l->s_name, 8);
	dms_span_need(&n, l->s_size, 4);
	dms_span_need(&n, l->s_object_size, 4);
	dms_span_need(&n, l->s_offset, 4);
	dms_span_need(&n, l->s_random, 8);
	dms_span_need(&n, l->s_cpu_slab, 8);
	dms_span_need(&n, l->s_node, 8 * (size_t)(s->env.nr_nodes ? s->env.nr_nodes : 1));
	dms_span_need(&n, l->s_oo, 4);
	dms_span_need(&n, l->s_flags, s->flags_size);
	dms_span_need(&n, l->s_list, 16);
	dms_span_need(&n, l->s_inuse, 4);
	dms_span_need(&n, l->s_align, 4);
	dms_span_need(&n, l->s_red_left_pad, 4);
	dms_span_need(&n, l->s_refcount, 4);
	if (n > 65536)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"slub facts: kmem_cache offsets too large");
	s->cache_need = n;
	return NULL;
}

static bool has_random(const struct dms_slub *s)
{
	return off_ok(s->kf.s_random);
}

// Fill a cache from its struct kmem_cache bytes; geometry findings go to f.
static void cache_decode(struct dms_slub *s, struct cache_int *ci, const uint8_t *b,
			 struct findings *f)
{
	const struct dms_kfacts *l = &s->kf;
	struct dms_slub_cache *c = &ci->pub;
	c->size = rd32(b + l->s_size);
	c->object_size = off_ok(l->s_object_size) ? rd32(b + l->s_object_size) : c->size;
	c->offset = rd32(b + l->s_offset);
	c->inuse = off_ok(l->s_inuse) ? rd32(b + l->s_inuse) : c->object_size;
	c->align = off_ok(l->s_align) ? rd32(b + l->s_align) : 8;
	c->red_left_pad = off_ok(l->s_red_left_pad) ? rd32(b + l->s_red_left_pad) : 0;
	c->refcount = off_ok(l->s_refcount) ? (int32_t)rd32(b + l->s_refcount) : 0;
	uint32_t oo = rd32(b + l->s_oo);
	c->order = oo >> 16;
	c->objects = oo & 0xffff;
	c->flags = off_ok(l->s_flags) ? rd_le(b + l->s_flags, s->flags_size) : 0;
	c->random = has_random(s) ? rd64(b + l->s_random) : 0;
	c->cpu_slab = off_ok(l->s_cpu_slab) ? rd64(b + l->s_cpu_slab) : 0;

	// Name: up to 63 bytes, printable only.
	uint64_t name = rd64(b + l->s_name);
	size_t got = 0;
	if (name) {
		struct dms_error *err = kv_read(s, name, c->name, sizeof(c->name) - 1, &got);
		dms_error_destroy(err);
		if (err)
			got = 0;
	}
	c->name[got] = '\0';
	size_t len = strnlen(c->name, got);
	for (size_t i = 0; i < len; i++) {
		if (c->name[i] < 0x20 || c->name[i] > 0x7e)
			c->name[i] = '?';
	}
	c->name[len] = '\0';

	const char *why = NULL;
	uint64_t slab_bytes = s->page_size << (c->order <= MAX_SLAB_ORDER ? c->order : 0);
	if (c->size == 0 || c->size > (s->page_size << MAX_SLAB_ORDER))
		why = "size is 0 or larger than the largest slab";
	else if (c->object_size > c->size || c->inuse > c->size)
		why = "object_size or inuse larger than size";
	else if ((uint64_t)c->red_left_pad + c->offset + 8 > c->size)
		why = "free pointer beyond the object";
	else if (c->order > MAX_SLAB_ORDER || c->objects == 0 ||
		 (uint64_t)c->objects * c->size > slab_bytes)
		why = "oo (order, objects) does not fit the size";
	c->valid = !why;
	if (why) {
		struct dms_slub_finding t = {
			.addr = c->addr,
			.value = c->size,
			.cache_addr = c->addr,
			.cache_name = c->name,
			.index = -1,
			.field = "kmem_cache",
		};
		finding_add(f, &t, DMS_SLUB_BAD_GEOMETRY,
			    "kmem_cache %s at %#llx: %s (size %u object_size %u offset %u order %u "
			    "objects %u)",
			    c->name, (unsigned long long)c->addr, why, c->size, c->object_size,
			    c->offset, c->order, c->objects);
	}
}

// Enumerate slab_caches: bounded, cycle-checked, prev-checked.
static struct dms_error *read_caches(struct dms_slub *s)
{
	const struct dms_kfacts *l = &s->kf;
	uint64_t head = l->slab_caches;
	uint8_t hb[16];
	bool ok;
	struct dms_error *err = kv_read_all(s, head, hb, sizeof(hb), &ok);
	if (err)
		return err;
	if (!ok)
		return dms_error_create_at(DMS_ERR_FAULT, head, "slab_caches is not in the dump");
	uint8_t *buf = malloc(s->cache_need);
	if (!buf)
		return &dms_enomem;
	struct u64map seen = { 0 };
	uint64_t prev = head, node = rd64(hb);
	size_t cap = 0;
	struct dms_slub_finding t = { .index = -1, .field = "kmem_cache.list", .cache_name = "" };
	while (node != head) {
		t.addr = prev;
		t.value = node;
		if (s->ncaches >= MAX_CACHES) {
			finding_add(&s->create_findings, &t, DMS_SLUB_LIST_CORRUPT,
				    "slab_caches: more than %d caches; stopped", MAX_CACHES);
			break;
		}
		bool dup;
		u64map_get(&seen, node, &dup);
		if (dup) {
			finding_add(&s->create_findings, &t, DMS_SLUB_LIST_CORRUPT,
				    "slab_caches: cycle: %#llx->next = %#llx, seen before",
				    (unsigned long long)prev, (unsigned long long)node);
			break;
		}
		uint64_t addr = node - (uint64_t)l->s_list;
		if (node < (uint64_t)l->s_list || (node & 7)) {
			ok = false;
		} else {
			err = kv_read_all(s, addr, buf, s->cache_need, &ok);
			if (err)
				goto out;
		}
		if (!ok) {
			finding_add(&s->create_findings, &t, DMS_SLUB_LIST_CORRUPT,
				    "slab_caches: %#llx->next = %#llx is not a readable kmem_cache",
				    (unsigned long long)prev, (unsigned long long)node);
			break;
		}
		if (!u64map_put(&seen, node, NULL)) {
			err = &dms_enomem;
			goto out;
		}
		uint64_t back = rd64(buf + l->s_list + 8);
		if (back != prev) {
			t.addr = node + 8;
			t.value = back;
			finding_add(&s->create_findings, &t, DMS_SLUB_LIST_CORRUPT,
				    "slab_caches: %#llx->prev = %#llx, expected %#llx",
				    (unsigned long long)node, (unsigned long long)back,
				    (unsigned long long)prev);
		}
		if (s->ncaches == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct cache_int *nc = realloc(s->caches, ncap * sizeof(*nc));
			if (!nc) {
				err = &dms_enomem;
				goto out;
			}
			s->caches = nc;
			cap = ncap;
		}
		struct cache_int *ci = &s->caches[s->ncaches++];
		memset(ci, 0, sizeof(*ci));
		ci->pub.addr = addr;
		cache_decode(s, ci, buf, &s->create_findings);
		prev = node;
		node = rd64(buf + l->s_list);
	}
	for (size_t i = 0; i < s->ncaches; i++) {
		if (!u64map_put(&s->by_addr, s->caches[i].pub.addr, &s->caches[i])) {
			err = &dms_enomem;
			goto out;
		}
	}
	if (s->create_findings.oom)
		err = &dms_enomem;
out:
	u64map_clear(&seen);
	free(buf);
	return err;
}

static struct dms_error *discover_caches(struct dms_slub *s);
static struct cache_int *cache_int_by_addr(const struct dms_slub *s, uint64_t addr);

struct dms_error *dms_slub_create(const struct dms_reader *phys, const struct dms_reader *kv,
				  const struct dms_kfacts *kf, const struct dms_slub_env *env,
				  struct dms_slub **ret)
{
	struct dms_slub *s = calloc(1, sizeof(*s));
	if (!s)
		return &dms_enomem;
	s->phys = phys;
	s->kv = kv;
	s->kf = *kf;
	if (env)
		s->env = *env;
	s->page_size = kf->page_size ? kf->page_size : phys->page_size;
	struct dms_error *err;
	if (s->page_size < 256 || (s->page_size & (s->page_size - 1))) {
		err = dms_error_create(DMS_ERR_INVALID_ARGUMENT,
				       "slub facts: page size is not a power of two");
		goto out_free;
	}
	s->page_shift = (unsigned int)__builtin_ctzll(s->page_size);
	err = check_facts(s);
	if (err)
		goto out_free;
	if (s->env.nr_cpus) {
		s->per_cpu_offset = malloc(s->env.nr_cpus * sizeof(uint64_t));
		if (!s->per_cpu_offset) {
			err = &dms_enomem;
			goto out_free;
		}
		memcpy(s->per_cpu_offset, s->env.per_cpu_offset, s->env.nr_cpus * sizeof(uint64_t));
	}
	s->env.per_cpu_offset = NULL;
	if (!has_random(s)) {
		s->fp = DMS_SLUB_FP_PLAIN;
		s->fp_probed = true;
	} else if (s->env.fp_mode != DMS_SLUB_FP_PROBE) {
		s->fp = s->env.fp_mode;
		s->fp_probed = true;
	}
	err = read_caches(s);
	if (!err)
		err = discover_caches(s);
	if (err)
		goto out_free;
	// The caches array moved while it grew: findings name caches through it.
	for (size_t i = 0; i < s->create_findings.len; i++) {
		struct dms_slub_finding *f = &s->create_findings.v[i];
		struct cache_int *ci = f->cache_addr ? cache_int_by_addr(s, f->cache_addr) : NULL;
		f->cache_name = ci ? ci->pub.name : "";
	}
	*ret = s;
	return NULL;

out_free:
	dms_slub_destroy(s);
	return err;
}

void dms_slub_flush(struct dms_slub *s)
{
	for (size_t i = 0; i < s->slabs.cap; i++) {
		struct slab_entry *e = s->slabs.vals ? s->slabs.vals[i] : NULL;
		if (s->slabs.keys[i] && e) {
			free(e->state);
			free(e->findings);
			free(e);
		}
	}
	u64map_clear(&s->slabs);
}

void dms_slub_destroy(struct dms_slub *s)
{
	if (!s)
		return;
	dms_slub_flush(s);
	for (size_t i = 0; i < s->ncaches; i++) {
		struct cache_int *ci = &s->caches[i];
		for (size_t j = 0; j < ci->pub.naliases; j++)
			free(ci->pub.aliases[j]);
		free(ci->pub.aliases);
		free(ci->cpu_freelist);
		free(ci->cpu_slab);
		free(ci->cpu_partial);
	}
	free(s->caches);
	free(s->slab_bits);
	u64map_clear(&s->by_addr);
	free(s->create_findings.v);
	free(s->fnd.v);
	free(s->data);
	free(s->state);
	free(s->walkid);
	free(s->per_cpu_offset);
	free(s);
}

size_t dms_slub_num_caches(const struct dms_slub *s)
{
	return s->ncaches;
}

const struct dms_slub_cache *dms_slub_cache_at(const struct dms_slub *s, size_t i)
{
	return i < s->ncaches ? &s->caches[i].pub : NULL;
}

static struct cache_int *cache_int_by_addr(const struct dms_slub *s, uint64_t addr)
{
	bool found;
	return u64map_get(&s->by_addr, addr, &found);
}

const struct dms_slub_cache *dms_slub_cache_by_addr(const struct dms_slub *s, uint64_t addr)
{
	struct cache_int *ci = cache_int_by_addr(s, addr);
	return ci ? &ci->pub : NULL;
}

const struct dms_slub_cache *dms_slub_cache_by_name(const struct dms_slub *s, const char *name)
{
	for (size_t i = 0; i < s->ncaches; i++) {
		if (!strcmp(s->caches[i].pub.name, name))
			return &s->caches[i].pub;
	}
	for (size_t i = 0; i < s->ncaches; i++) {
		for (size_t j = 0; j < s->caches[i].pub.naliases; j++) {
			if (!strcmp(s->caches[i].pub.aliases[j], name))
				return &s->caches[i].pub;
		}
	}
	return NULL;
}

struct dms_error *dms_slub_add_alias(struct dms_slub *s, uint64_t cache_addr, const char *name)
{
	struct cache_int *ci = cache_int_by_addr(s, cache_addr);
	if (!ci)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, cache_addr, "no cache at %#llx",
					   (unsigned long long)cache_addr);
	struct dms_slub_cache *c = &ci->pub;
	char **na = realloc(c->aliases, (c->naliases + 1) * sizeof(*na));
	if (!na)
		return &dms_enomem;
	c->aliases = na;
	na[c->naliases] = strdup(name);
	if (!na[c->naliases])
		return &dms_enomem;
	c->naliases++;
	return NULL;
}

const struct dms_slub_finding *dms_slub_findings(const struct dms_slub *s, size_t *ret)
{
	*ret = s->create_findings.len;
	return s->create_findings.v;
}

// Per-CPU kmem_cache_cpu of a cache, read once.  Unreadable CPUs read as 0.
static struct dms_error *load_cpu(struct dms_slub *s, struct cache_int *ci)
{
	if (ci->cpu_loaded)
		return NULL;
	const struct dms_kfacts *l = &s->kf;
	uint32_t n = s->env.nr_cpus;
	if (!n || !ci->pub.cpu_slab || !off_ok(l->c_freelist) || !off_ok(l->c_slab)) {
		ci->cpu_loaded = true;
		return NULL;
	}
	ci->cpu_freelist = calloc(n, sizeof(uint64_t));
	ci->cpu_slab = calloc(n, sizeof(uint64_t));
	ci->cpu_partial = calloc(n, sizeof(uint64_t));
	if (!ci->cpu_freelist || !ci->cpu_slab || !ci->cpu_partial)
		return &dms_enomem;
	size_t len = 0;
	dms_span_need(&len, l->c_freelist, 8);
	dms_span_need(&len, l->c_slab, 8);
	dms_span_need(&len, l->c_partial, 8);
	uint8_t b[256];
	if (len > sizeof(b))
		len = 0;
	for (uint32_t cpu = 0; len && cpu < n; cpu++) {
		bool ok;
		struct dms_error *err =
			kv_read_all(s, ci->pub.cpu_slab + s->per_cpu_offset[cpu], b, len, &ok);
		if (err)
			return err;
		if (!ok)
			continue;
		ci->cpu_freelist[cpu] = rd64(b + l->c_freelist);
		ci->cpu_slab[cpu] = rd64(b + l->c_slab);
		ci->cpu_partial[cpu] = off_ok(l->c_partial) ? rd64(b + l->c_partial) : 0;
	}
	ci->cpu_loaded = true;
	return NULL;
}

static uint64_t bswap64(uint64_t x)
{
	return __builtin_bswap64(x);
}

static uint64_t fp_decode(enum dms_slub_fp mode, const struct dms_slub_cache *c, uint64_t stored,
			  uint64_t slot)
{
	switch (mode) {
	case DMS_SLUB_FP_XOR:
		return stored ^ c->random ^ slot;
	case DMS_SLUB_FP_XOR_SWAB:
		return stored ^ c->random ^ bswap64(slot);
	default:
		return stored;
	}
}

// The page-owner model decides (owner.h): one test for both models.
static bool page_is_slab(const struct dms_slub *s, const uint8_t *pg)
{
	return dms_page_is_slab(&s->kf, pg);
}

// struct page address of a pfn, and back; false if out of vmemmap.
static bool pfn_to_page(const struct dms_slub *s, uint64_t pfn, uint64_t *ret)
{
	if (pfn > (UINT64_MAX - s->kf.vmemmap) / (uint64_t)s->kf.page_struct_size)
		return false;
	*ret = s->kf.vmemmap + pfn * (uint64_t)s->kf.page_struct_size;
	return true;
}

static bool page_to_pfn(const struct dms_slub *s, uint64_t page, uint64_t *ret)
{
	if (page < s->kf.vmemmap || (page - s->kf.vmemmap) % (uint64_t)s->kf.page_struct_size)
		return false;
	*ret = (page - s->kf.vmemmap) / (uint64_t)s->kf.page_struct_size;
	if (s->kf.max_pfn && *ret >= s->kf.max_pfn)
		return false;
	return *ret <= (UINT64_MAX >> s->page_shift);
}

// Head struct page of the page at pfn: *page and its bytes in pg.
// *ok false if unreadable or the compound head is impossible; in the
// latter case *garbage says why (the struct page is in the dump but is
// garbage), *page is the struct page read and *gval its compound_head.
static struct dms_error *read_head(struct dms_slub *s, uint64_t pfn, uint64_t *page, uint8_t *pg,
				   bool *ok, const char **garbage, uint64_t *gval)
{
	*ok = false;
	*garbage = NULL;
	if (!pfn_to_page(s, pfn, page))
		return NULL;
	struct dms_error *err = kv_read_all(s, *page, pg, s->page_need, ok);
	if (err || !*ok)
		return err;
	uint64_t ch = rd64(pg + s->kf.page_compound_head);
	if (!(ch & 1))
		return NULL;
	uint64_t head = ch - 1, hpfn;
	*ok = false;
	*gval = ch;
	if (!page_to_pfn(s, head, &hpfn)) {
		*garbage = "compound_head is a tail pointer to no struct page";
		return NULL;
	}
	if (hpfn > pfn || pfn - hpfn >= MAX_COMPOUND_PAGES) {
		*garbage = "compound_head is a tail pointer to a head too far away";
		return NULL;
	}
	uint64_t tail = *page;
	*page = head;
	err = kv_read_all(s, head, pg, s->page_need, ok);
	if (err || !*ok)
		return err;
	// A head is not itself a tail.
	if (rd64(pg + s->kf.page_compound_head) & 1) {
		*ok = false;
		*page = tail;
		*garbage = "compound_head names a head that is itself a tail";
	}
	return NULL;
}

// --- Slab analysis -------------------------------------------------------

struct walk {
	struct dms_slub *s;
	const struct dms_slub_cache *c;
	struct dms_slub_slab *slab;
	uint64_t limit; // base + objects * size
	size_t data_got;
	enum dms_slub_fp mode;
	bool record;
};

// Is pointer p an object of the slab?  Its index to *idx, or why not to *code.
static bool ptr_check(const struct walk *w, uint64_t p, uint32_t *idx, enum dms_slub_code *code)
{
	const struct dms_slub_slab *sl = w->slab;
	uint64_t first = sl->base + w->c->red_left_pad;
	*code = DMS_SLUB_FREELIST_OUTSIDE;
	if (p < first || p >= w->limit)
		return false;
	*code = DMS_SLUB_FREELIST_MISALIGNED;
	if ((p - first) % w->c->size)
		return false;
	*idx = (uint32_t)((p - first) / w->c->size);
	return true;
}

static void walk_finding(const struct walk *w, enum dms_slub_code code, uint64_t slot,
			 uint64_t stored, int64_t index, const char *field, const char *fmt,
			 uint64_t a, uint64_t b)
{
	if (!w->record)
		return;
	const struct dms_slub_slab *sl = w->slab;
	struct dms_slub_finding t = {
		.addr = slot,
		.value = stored,
		.cache_addr = w->c->addr,
		.cache_name = w->c->name,
		.slab = sl->page,
		.index = index,
		.object = index >= 0 ? dms_slub_object_addr(sl, (uint32_t)index) : 0,
		.field = field,
	};
	char pre[64] = "";
	if (index >= 0)
		snprintf(pre, sizeof(pre), "object %lld (%#llx): ", (long long)index,
			 (unsigned long long)t.object);
	finding_add(&w->s->fnd, &t, code, "%s%s: %s %#llx (slab %#llx-%#llx)", pre, field, fmt,
		    (unsigned long long)a, (unsigned long long)b, (unsigned long long)w->limit);
}

// Walk one freelist from head (stored plainly at head_slot), marking
// objects with mark and walk id id.  Returns true if it ended at NULL.
// *nfound counts the objects it marked.
static bool walk_chain(struct walk *w, uint64_t head, uint64_t head_slot, const char *field,
		       uint8_t mark, uint8_t id, uint32_t *nfound)
{
	struct dms_slub *s = w->s;
	const struct dms_slub_cache *c = w->c;
	struct dms_slub_slab *sl = w->slab;
	uint64_t p = head, slot = head_slot, stored = head;
	int64_t from = -1;
	const char *what = field;
	*nfound = 0;
	// At most objects + 1 steps: the last one must be NULL.
	for (uint32_t step = 0; step <= sl->objects; step++) {
		if (!p)
			return true;
		uint32_t idx = 0;
		enum dms_slub_code bad;
		if (!ptr_check(w, p, &idx, &bad)) {
			walk_finding(w, bad, slot, stored, from, what,
				     stored == p ? "holds" : "decodes to", p, sl->base);
			return false;
		}
		if (s->walkid[idx] == id) {
			walk_finding(w, DMS_SLUB_FREELIST_CYCLE, slot, stored, from, what,
				     "points back to an object already on this freelist:", p,
				     sl->base);
			return false;
		}
		if (s->walkid[idx]) {
			walk_finding(w, DMS_SLUB_FREELIST_DUPLICATE, slot, stored, from, what,
				     "points to an object already on another freelist:", p,
				     sl->base);
			return false;
		}
		s->walkid[idx] = id;
		s->state[idx] = mark;
		(*nfound)++;
		// Next pointer, stored inside the free object.
		uint64_t off = (uint64_t)idx * c->size + c->red_left_pad + c->offset;
		if (off + 8 > w->data_got)
			return false; // not in the dump: cannot go on
		slot = p + c->offset;
		stored = rd64(sl->data + off);
		p = fp_decode(w->mode, c, stored, slot);
		from = idx;
		what = "free pointer";
	}
	// More steps than objects without a repeat is impossible: the
	// visited check fires first.
	return false;
}

// Walk every freelist of the slab with one mode; returns true if all ended
// cleanly.  Resets state/walkid first.
static bool walk_all(struct walk *w, struct cache_int *ci, const uint8_t *pg, uint32_t *nslab)
{
	struct dms_slub *s = w->s;
	struct dms_slub_slab *sl = w->slab;
	memset(s->state, DMS_SLUB_ALLOCATED, sl->objects);
	memset(s->walkid, 0, sl->objects);
	sl->nfree = 0;
	uint64_t head = rd64(pg + s->kf.slab_freelist);
	bool ok = walk_chain(w, head, sl->page + s->kf.slab_freelist, "slab.freelist",
			     DMS_SLUB_FREE, 1, nslab);
	sl->nfree += *nslab;
	for (uint32_t cpu = 0; ci->cpu_slab && cpu < s->env.nr_cpus; cpu++) {
		if (ci->cpu_slab[cpu] != sl->page)
			continue;
		if (sl->cpu < 0)
			sl->cpu = (int)cpu;
		static const char *const names[] = {
			"cpu0 freelist", "cpu1 freelist", "cpu2 freelist", "cpu3 freelist",
			"cpu4 freelist", "cpu5 freelist", "cpu6 freelist", "cpu7 freelist",
		};
		const char *field = cpu < 8 ? names[cpu] : "cpu freelist";
		uint32_t n;
		uint64_t slot =
			ci->pub.cpu_slab + s->per_cpu_offset[cpu] + (uint64_t)s->kf.c_freelist;
		uint8_t id = (uint8_t)(2 + (cpu < 250 ? cpu : 250));
		ok &= walk_chain(w, ci->cpu_freelist[cpu], slot, field, DMS_SLUB_FREE_CPU, id, &n);
		sl->nfree += n;
	}
	return ok;
}

struct area {
	enum dms_slub_code code;
	const char *field;
	size_t start, len;
	uint8_t want;
};

// slub_debug checks of each object's red zones and poison.
static void debug_checks(struct walk *w)
{
	struct dms_slub *s = w->s;
	const struct dms_slub_cache *c = w->c;
	struct dms_slub_slab *sl = w->slab;
	bool rz = s->kf.slab_flag_red_zone && (c->flags & s->kf.slab_flag_red_zone);
	bool poison =
		s->kf.slab_flag_poison && (c->flags & s->kf.slab_flag_poison) &&
		(!s->kf.slab_flag_object_poison || (c->flags & s->kf.slab_flag_object_poison));
	if (!rz && !poison)
		return;
	for (uint32_t i = 0; i < sl->objects; i++) {
		size_t o = (size_t)i * c->size;
		if (o + c->size > w->data_got)
			break;
		const uint8_t *obj = sl->data + o + c->red_left_pad;
		uint8_t st = sl->state[i];
		bool is_free = st == DMS_SLUB_FREE || st == DMS_SLUB_FREE_CPU;
		struct area areas[4];
		size_t na = 0;
		if (rz) {
			uint8_t want = is_free ? DMS_SLUB_RED_INACTIVE : DMS_SLUB_RED_ACTIVE;
			if (st == DMS_SLUB_UNKNOWN)
				want = obj[c->object_size < c->inuse ? c->object_size : 0] ==
						       DMS_SLUB_RED_INACTIVE
					       ? DMS_SLUB_RED_INACTIVE
					       : DMS_SLUB_RED_ACTIVE;
			areas[na++] = (struct area){ DMS_SLUB_REDZONE, "left redzone", o,
						     c->red_left_pad, want };
			if (c->inuse > c->object_size)
				areas[na++] = (struct area){ DMS_SLUB_REDZONE, "right redzone",
							     o + c->red_left_pad + c->object_size,
							     c->inuse - c->object_size, want };
		}
		if (poison && is_free && c->object_size) {
			areas[na++] = (struct area){ DMS_SLUB_POISON, "poison", o + c->red_left_pad,
						     c->object_size - 1, DMS_SLUB_POISON_FREE };
			areas[na++] = (struct area){ DMS_SLUB_POISON, "end poison",
						     o + c->red_left_pad + c->object_size - 1, 1,
						     DMS_SLUB_POISON_END };
		}
		for (size_t a = 0; a < na; a++) {
			size_t first = SIZE_MAX, nbad = 0;
			for (size_t k = 0; k < areas[a].len; k++) {
				size_t at = areas[a].start + k;
				// The free pointer may sit inside a checked area.
				size_t fp = o + c->red_left_pad + c->offset;
				if (is_free && at >= fp && at < fp + 8)
					continue;
				if (sl->data[at] != areas[a].want) {
					if (first == SIZE_MAX)
						first = at;
					nbad++;
				}
			}
			if (!nbad)
				continue;
			struct dms_slub_finding t = {
				.addr = sl->base + first,
				.value = sl->data[first],
				.cache_addr = c->addr,
				.cache_name = c->name,
				.slab = sl->page,
				.index = i,
				.object = dms_slub_object_addr(sl, i),
				.field = areas[a].field,
			};
			finding_add(&s->fnd, &t, areas[a].code,
				    "object %u (%#llx): %s: %zu of %zu bytes are not 0x%02x, first "
				    "at %+lld (0x%02x)",
				    i, (unsigned long long)t.object, areas[a].field, nbad,
				    areas[a].len, areas[a].want,
				    (long long)(first - (o + c->red_left_pad)), sl->data[first]);
		}
	}
}

static bool grow(uint8_t **buf, size_t *cap, size_t n)
{
	if (n <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 4096;
	while (ncap < n)
		ncap *= 2;
	uint8_t *nb = realloc(*buf, ncap);
	if (!nb)
		return false;
	*buf = nb;
	*cap = ncap;
	return true;
}

// Analyse the slab whose head struct page (bytes pg) is at page.  The
// result points into the model's working buffers.
static struct dms_error *analyze(struct dms_slub *s, uint64_t page, const uint8_t *pg,
				 struct dms_slub_slab *sl)
{
	const struct dms_kfacts *l = &s->kf;
	s->fnd.len = 0;
	s->fnd.oom = false;
	memset(sl, 0, sizeof(*sl));
	sl->page = page;
	sl->cpu = -1;
	sl->cache_addr = rd64(pg + l->slab_cache);
	uint64_t pfn = 0;
	page_to_pfn(s, page, &pfn);
	sl->paddr = pfn << s->page_shift;
	sl->base = dmap_virt(s, sl->paddr);
	uint32_t counters = rd32(pg + l->slab_counters);
	sl->inuse = (counters >> l->counters_inuse_shift) & 0xffff;
	sl->objects = (counters >> l->counters_objects_shift) & 0x7fff;
	sl->frozen = (counters >> l->counters_frozen_shift) & 1;

	struct cache_int *ci = cache_int_by_addr(s, sl->cache_addr);
	struct dms_slub_finding t = {
		.addr = page + (uint64_t)l->slab_cache,
		.value = sl->cache_addr,
		.cache_addr = sl->cache_addr,
		.cache_name = "",
		.slab = page,
		.index = -1,
		.field = "slab.slab_cache",
	};
	if (!ci) {
		finding_add(&s->fnd, &t, DMS_SLUB_BAD_CACHE,
			    "slab %#llx (paddr %#llx): slab_cache %#llx is not on slab_caches",
			    (unsigned long long)page, (unsigned long long)sl->paddr,
			    (unsigned long long)sl->cache_addr);
		sl->objects = 0;
		goto out;
	}
	const struct dms_slub_cache *c = &ci->pub;
	sl->cache = c;
	t.cache_name = c->name;
	if (!c->valid) {
		t.field = "kmem_cache";
		finding_add(&s->fnd, &t, DMS_SLUB_BAD_GEOMETRY,
			    "slab %#llx: cache %s has impossible sizes; slab not walked",
			    (unsigned long long)page, c->name);
		sl->objects = 0;
		goto out;
	}
	t.addr = page + (uint64_t)l->slab_counters;
	t.value = counters;
	t.field = "slab.counters";
	if (sl->objects == 0 || sl->objects > c->objects || sl->inuse > sl->objects) {
		finding_add(&s->fnd, &t, DMS_SLUB_BAD_COUNTERS,
			    "slab %#llx: counters %#x: inuse %u objects %u (cache %s holds at most "
			    "%u per slab)",
			    (unsigned long long)page, counters, sl->inuse, sl->objects, c->name,
			    c->objects);
		// Locate objects with the cache's count; say nothing of their state.
		if (sl->objects == 0 || sl->objects > c->objects)
			sl->objects = c->objects;
		if (!grow(&s->state, &s->state_cap, sl->objects))
			return &dms_enomem;
		memset(s->state, DMS_SLUB_UNKNOWN, sl->objects);
		sl->state = s->state;
		goto out;
	}
	struct dms_error *err = load_cpu(s, ci);
	if (err)
		return err;
	size_t len = (size_t)sl->objects * c->size;
	if (!grow(&s->data, &s->data_cap, len) || !grow(&s->state, &s->state_cap, sl->objects) ||
	    !grow(&s->walkid, &s->walkid_cap, sl->objects))
		return &dms_enomem;
	size_t got = 0;
	err = dms_reader_read_phys(s->phys, sl->paddr, s->data, len, &got);
	if (err)
		return err;
	sl->data = s->data;
	sl->data_len = got;
	sl->present = got == len;
	sl->state = s->state;
	if (!sl->present) {
		t.addr = sl->base + got;
		t.value = 0;
		t.field = "slab";
		finding_add(&s->fnd, &t, DMS_SLUB_NOT_IN_DUMP,
			    "slab %#llx (%s): bytes from %#llx on are not in the dump",
			    (unsigned long long)page, c->name, (unsigned long long)t.addr);
	}

	struct walk w = { .s = s, .c = c, .slab = sl, .limit = sl->base + len, .data_got = got };
	uint32_t nslab = 0;
	enum dms_slub_fp mode = dms_slub_fp_mode(s, NULL);
	if (mode == DMS_SLUB_FP_PROBE) {
		// Undecided: use the first mode that walks this slab cleanly.
		static const enum dms_slub_fp order[] = { DMS_SLUB_FP_XOR_SWAB, DMS_SLUB_FP_XOR,
							  DMS_SLUB_FP_PLAIN };
		mode = order[0];
		for (size_t i = 0; i < 3; i++) {
			w.mode = order[i];
			if (walk_all(&w, ci, pg, &nslab)) {
				mode = order[i];
				break;
			}
		}
	}
	w.mode = mode;
	w.record = true;
	sl->freelist_ok = walk_all(&w, ci, pg, &nslab);
	if (!sl->freelist_ok) {
		for (uint32_t i = 0; i < sl->objects; i++) {
			if (s->state[i] == DMS_SLUB_ALLOCATED)
				s->state[i] = DMS_SLUB_UNKNOWN;
		}
	} else if (!sl->frozen && sl->objects - nslab != sl->inuse) {
		// A frozen slab belongs to a CPU (or its partial list) and
		// its counters move under the lockless fast path; only
		// unfrozen ones must add up.
		finding_add(&s->fnd, &t, DMS_SLUB_COUNT_MISMATCH,
			    "slab %#llx (%s): inuse %u but %u of %u objects are on the freelist",
			    (unsigned long long)page, c->name, sl->inuse, nslab, sl->objects);
	}
	debug_checks(&w);
out:
	if (s->fnd.oom)
		return &dms_enomem;
	sl->findings = s->fnd.v;
	sl->nfindings = s->fnd.len;
	return NULL;
}

// --- Probing the free pointer encoding -----------------------------------

// Does the freelist at head of the slab at page walk cleanly with mode?
static struct dms_error *probe_chain(struct dms_slub *s, const struct dms_slub_cache *c,
				     uint64_t page, uint64_t head, bool clean[DMS_SLUB_FP_NUM],
				     bool *usable)
{
	*usable = false;
	uint64_t pfn;
	if (!head || !page_to_pfn(s, page, &pfn))
		return NULL;
	uint8_t pg[4096];
	bool ok;
	struct dms_error *err = kv_read_all(s, page, pg, s->page_need, &ok);
	if (err || !ok)
		return err;
	uint32_t counters = rd32(pg + s->kf.slab_counters);
	uint32_t objects = (counters >> s->kf.counters_objects_shift) & 0x7fff;
	if (!objects || objects > c->objects)
		return NULL;
	uint64_t first = dmap_virt(s, pfn << s->page_shift) + c->red_left_pad;
	uint64_t limit = first - c->red_left_pad + (uint64_t)objects * c->size;
	if (head < first || head >= limit || (head - first) % c->size)
		return NULL; // the head is plain: a bad one tells nothing
	*usable = true;
	for (int m = DMS_SLUB_FP_PLAIN; m < DMS_SLUB_FP_NUM; m++) {
		uint64_t p = head;
		clean[m] = false;
		for (int step = 0; step < PROBE_STEPS; step++) {
			uint8_t b[8];
			err = kv_read_all(s, p + c->offset, b, 8, &ok);
			if (err)
				return err;
			if (!ok)
				break;
			p = fp_decode((enum dms_slub_fp)m, c, rd64(b), p + c->offset);
			if (!p || step == PROBE_STEPS - 1) {
				clean[m] = true;
				break;
			}
			if (p < first || p >= limit || (p - first) % c->size)
				break;
		}
	}
	return NULL;
}

static struct dms_error *probe(struct dms_slub *s)
{
	uint32_t seen = 0;
	const struct dms_kfacts *l = &s->kf;
	for (size_t i = 0; i < s->ncaches && seen < PROBE_FREELISTS; i++) {
		struct cache_int *ci = &s->caches[i];
		if (!ci->pub.valid)
			continue;
		struct dms_error *err = load_cpu(s, ci);
		if (err)
			return err;
		// Candidates: each CPU's freelist, the first slab of node 0's partial list.
		uint64_t pages[65], heads[65];
		size_t n = 0;
		for (uint32_t cpu = 0; ci->cpu_slab && cpu < s->env.nr_cpus && n < 64; cpu++) {
			if (ci->cpu_freelist[cpu] && ci->cpu_slab[cpu]) {
				pages[n] = ci->cpu_slab[cpu];
				heads[n++] = ci->cpu_freelist[cpu];
			}
		}
		if (off_ok(l->s_node) && off_ok(l->n_partial) && off_ok(l->slab_list) &&
		    s->env.nr_nodes) {
			uint8_t b[16];
			bool ok;
			err = kv_read_all(s, ci->pub.addr + (uint64_t)l->s_node, b, 8, &ok);
			uint64_t node = ok ? rd64(b) : 0;
			if (!err && node)
				err = kv_read_all(s, node + (uint64_t)l->n_partial, b, 8, &ok);
			if (!err && node && ok && rd64(b) != node + (uint64_t)l->n_partial) {
				uint64_t pg = rd64(b) - (uint64_t)l->slab_list;
				err = kv_read_all(s, pg + (uint64_t)l->slab_freelist, b, 8, &ok);
				if (!err && ok) {
					pages[n] = pg;
					heads[n++] = rd64(b);
				}
			}
			if (err)
				return err;
		}
		for (size_t k = 0; k < n && seen < PROBE_FREELISTS; k++) {
			bool clean[DMS_SLUB_FP_NUM] = { 0 }, usable;
			err = probe_chain(s, &ci->pub, pages[k], heads[k], clean, &usable);
			if (err)
				return err;
			if (!usable)
				continue;
			seen++;
			for (int m = DMS_SLUB_FP_PLAIN; m < DMS_SLUB_FP_NUM; m++)
				s->votes[m] += clean[m];
		}
	}
	s->fp = DMS_SLUB_FP_PROBE;
	uint32_t best = 0;
	for (int m = DMS_SLUB_FP_PLAIN; m < DMS_SLUB_FP_NUM; m++) {
		if (s->votes[m] > best) {
			best = s->votes[m];
			s->fp = (enum dms_slub_fp)m;
		}
	}
	return NULL;
}

enum dms_slub_fp dms_slub_fp_mode(struct dms_slub *s, uint32_t votes[DMS_SLUB_FP_NUM])
{
	if (!s->fp_probed) {
		s->fp_probed = true;
		struct dms_error *err = probe(s);
		// A read error leaves the mode undecided: per-slab probing.
		if (err) {
			dms_error_destroy(err);
			s->fp = DMS_SLUB_FP_PROBE;
		}
	}
	if (votes)
		memcpy(votes, s->votes, sizeof(s->votes));
	return s->fp;
}

// --- Lookup ---------------------------------------------------------------

static struct dms_error *cached_analysis(struct dms_slub *s, uint64_t page, const uint8_t *pg,
					 struct slab_entry **ret)
{
	bool found;
	struct slab_entry *e = u64map_get(&s->slabs, page, &found);
	if (found) {
		*ret = e;
		return NULL;
	}
	struct dms_slub_slab sl;
	struct dms_error *err = analyze(s, page, pg, &sl);
	if (err)
		return err;
	if (s->slabs.len >= MAX_CACHED_SLABS)
		dms_slub_flush(s);
	e = calloc(1, sizeof(*e));
	if (!e)
		return &dms_enomem;
	e->slab = sl;
	e->slab.data = NULL;
	e->slab.data_len = 0;
	if (sl.objects && sl.state) {
		e->state = malloc(sl.objects);
		if (!e->state)
			goto out_free;
		memcpy(e->state, sl.state, sl.objects);
	}
	if (sl.nfindings) {
		e->findings = malloc(sl.nfindings * sizeof(*e->findings));
		if (!e->findings)
			goto out_free;
		memcpy(e->findings, sl.findings, sl.nfindings * sizeof(*e->findings));
	}
	e->slab.state = e->state;
	e->slab.findings = e->findings;
	if (!u64map_put(&s->slabs, page, e))
		goto out_free;
	*ret = e;
	return NULL;

out_free:
	free(e->state);
	free(e->findings);
	free(e);
	return &dms_enomem;
}

struct dms_error *dms_slub_lookup_phys(struct dms_slub *s, uint64_t paddr, struct dms_slub_obj *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->paddr = paddr;
	ret->addr = dmap_virt(s, paddr);
	ret->where = DMS_SLUB_WHERE_UNKNOWN;
	uint64_t page, gval = 0;
	uint8_t pg[4096];
	bool ok;
	const char *garbage;
	struct dms_error *err =
		read_head(s, paddr >> s->page_shift, &page, pg, &ok, &garbage, &gval);
	if (!err && garbage) {
		ret->where = DMS_SLUB_WHERE_BAD_PAGE;
		ret->slab = page;
		ret->page_value = gval;
		ret->page_why = garbage;
	}
	if (err || !ok)
		return err;
	if (!page_is_slab(s, pg)) {
		ret->where = DMS_SLUB_WHERE_NOT_SLAB;
		return NULL;
	}
	struct slab_entry *e;
	err = cached_analysis(s, page, pg, &e);
	if (err)
		return err;
	const struct dms_slub_slab *sl = &e->slab;
	ret->slab = page;
	ret->slab_base = sl->base;
	ret->cache_addr = sl->cache_addr;
	ret->cache = sl->cache;
	ret->slab_findings = (uint32_t)sl->nfindings;
	if (!sl->cache || !sl->objects) {
		ret->where = DMS_SLUB_WHERE_BAD_SLAB;
		return NULL;
	}
	uint64_t off = ret->addr - sl->base;
	uint32_t size = sl->cache->size;
	if (ret->addr < sl->base || off >= (uint64_t)sl->objects * size) {
		ret->where = DMS_SLUB_WHERE_SLAB_TAIL;
		return NULL;
	}
	ret->where = DMS_SLUB_WHERE_OBJECT;
	ret->index = (uint32_t)(off / size);
	ret->object = dms_slub_object_addr(sl, ret->index);
	ret->offset = (int64_t)(ret->addr - ret->object);
	ret->state = sl->state ? (enum dms_slub_state)sl->state[ret->index] : DMS_SLUB_UNKNOWN;
	for (size_t i = 0; i < sl->nfindings; i++) {
		const struct dms_slub_finding *f = &sl->findings[i];
		if (f->index == (int64_t)ret->index)
			ret->object_findings++;
	}
	return NULL;
}

struct dms_error *dms_slub_lookup(struct dms_slub *s, uint64_t addr, struct dms_slub_obj *ret)
{
	if (addr < s->kf.page_offset) {
		memset(ret, 0, sizeof(*ret));
		ret->addr = addr;
		ret->where = DMS_SLUB_WHERE_NOT_SLAB;
		return NULL;
	}
	struct dms_error *err = dms_slub_lookup_phys(s, dmap_phys(s, addr), ret);
	ret->addr = addr;
	return err;
}

// --- Walking every slab ---------------------------------------------------

struct range_walk {
	struct dms_slub *s;
	const struct dms_slub_cache *cache;
	dms_slub_slab_fn *fn;
	void *arg;
	uint8_t *batch;
	// Called for every struct page read (slab_page by default).
	struct dms_error *(*page_fn)(struct range_walk *rw, uint64_t page, const uint8_t *pg);
	// discover_caches: kmem_cache address -> slab pages naming it; the last
	// slab head page seen (its tail pages follow it).
	struct u64map *refs;
	uint64_t slab_head;
};

static struct dms_error *slab_page(struct range_walk *rw, uint64_t page, const uint8_t *pg)
{
	struct dms_slub *s = rw->s;
	uint64_t ch = rd64(pg + s->kf.page_compound_head);
	if ((ch & 1) || !page_is_slab(s, pg))
		return NULL;
	if (rw->cache && rd64(pg + s->kf.slab_cache) != rw->cache->addr)
		return NULL;
	struct dms_slub_slab sl;
	struct dms_error *err = analyze(s, page, pg, &sl);
	if (err)
		return err;
	return rw->fn(&sl, rw->arg);
}

static struct dms_error *range_fn(uint64_t paddr, uint64_t len, void *arg)
{
	struct range_walk *rw = arg;
	struct dms_slub *s = rw->s;
	uint64_t pss = (uint64_t)s->kf.page_struct_size;
	uint64_t pfn = (paddr + s->page_size - 1) >> s->page_shift;
	uint64_t end = (paddr + len) >> s->page_shift;
	while (pfn < end) {
		uint64_t n = end - pfn < PAGE_BATCH ? end - pfn : PAGE_BATCH;
		uint64_t vaddr;
		if (!pfn_to_page(s, pfn + n, &vaddr) || !pfn_to_page(s, pfn, &vaddr))
			return NULL;
		size_t got;
		struct dms_error *err = kv_read(s, vaddr, rw->batch, n * pss, &got);
		if (err)
			return err;
		uint64_t full = got / pss;
		for (uint64_t j = 0; j < full; j++) {
			err = rw->page_fn(rw, vaddr + j * pss, rw->batch + j * pss);
			if (err)
				return err;
		}
		if (full == n) {
			pfn += n;
			continue;
		}
		// vmemmap missing from the dump: skip to its next page.
		uint64_t fail = vaddr + got;
		uint64_t next = (fail | (s->page_size - 1)) + 1;
		uint64_t npfn = (next - s->kf.vmemmap + pss - 1) / pss;
		pfn = npfn > pfn + full + 1 ? npfn : pfn + full + 1;
	}
	return NULL;
}

struct dms_error *dms_slub_for_each_slab(struct dms_slub *s, const struct dms_slub_cache *cache,
					 dms_slub_slab_fn *fn, void *arg)
{
	struct range_walk rw = { .s = s,
				 .cache = cache,
				 .fn = fn,
				 .arg = arg,
				 .batch = malloc(PAGE_BATCH * (uint64_t)s->kf.page_struct_size),
				 .page_fn = slab_page };
	if (!rw.batch)
		return &dms_enomem;
	dms_slub_fp_mode(s, NULL);
	struct dms_error *err = dms_reader_for_each_range(s->phys, 0, UINT64_MAX, range_fn, &rw);
	free(rw.batch);
	return err;
}

// --- Caches found through their slab pages --------------------------------
//
// slab_caches is one list a single bad pointer cuts: a kmem_cache whose list
// head points to itself hides every cache after it.  Slabs are found from the
// memory map, and so are caches: the slab_cache of every slab head page.  The
// list is the cross-check: a cache with slabs that is not on it is a finding.

// Slab pages that must name an address before it is believed to be a cache
// whose sizes are impossible (a garbage slab_cache names its target once).
#define MIN_SLAB_REFS 2

// Pfns recorded in slab_bits: 2^29 (a 64 MiB bitmap, 2 TiB of 4 KiB pages).
#define SLAB_BITS_MAX (UINT64_C(1) << 29)

static void mark_slab_page(struct dms_slub *s, uint64_t page)
{
	uint64_t pfn;
	if (!page_to_pfn(s, page, &pfn) || pfn >= s->slab_bits_unknown)
		return;
	uint64_t w = pfn / 64;
	if (w >= s->slab_words) {
		uint64_t n = s->slab_words ? s->slab_words : 1024;
		while (n <= w)
			n *= 2;
		uint64_t *nb = realloc(s->slab_bits, n * sizeof(*nb));
		if (!nb) {
			s->slab_bits_unknown = pfn;
			return;
		}
		memset(nb + s->slab_words, 0, (n - s->slab_words) * sizeof(*nb));
		s->slab_bits = nb;
		s->slab_words = n;
	}
	s->slab_bits[w] |= UINT64_C(1) << (pfn % 64);
}

bool dms_slub_slab_range(const struct dms_slub *s, uint64_t paddr, uint64_t len)
{
	if (!len)
		return false;
	uint64_t first = paddr >> s->page_shift;
	uint64_t last = (paddr + (len - 1)) >> s->page_shift;
	if (last < first || last >= s->slab_bits_unknown)
		return true;
	for (uint64_t pfn = first; pfn <= last; pfn++)
		if (pfn / 64 < s->slab_words && (s->slab_bits[pfn / 64] >> (pfn % 64) & 1))
			return true;
	return false;
}

static struct dms_error *count_slab_cache(struct range_walk *rw, uint64_t page, const uint8_t *pg)
{
	struct dms_slub *s = rw->s;
	uint64_t ch = rd64(pg + s->kf.page_compound_head);
	if (ch & 1) {
		if (rw->slab_head && ch - 1 == rw->slab_head)
			mark_slab_page(s, page);
		return NULL;
	}
	rw->slab_head = 0;
	if (!page_is_slab(s, pg))
		return NULL;
	rw->slab_head = page;
	mark_slab_page(s, page);
	uint64_t c = rd64(pg + s->kf.slab_cache);
	bool found;
	if (!c || cache_int_by_addr(s, c))
		return NULL;
	uintptr_t n = (uintptr_t)u64map_get(rw->refs, c, &found);
	if (rw->refs->len >= MAX_CACHES && !found)
		return NULL; // that many distinct values: garbage, not caches
	return u64map_put(rw->refs, c, (void *)(n + 1)) ? NULL : &dms_enomem;
}

// Is the kmem_cache at addr one: readable, with a printable NUL-terminated
// name, and sizes that are possible (or named by several slab pages)?  On
// success its bytes are in buf and ci is decoded (geometry findings to f).
static struct dms_error *cache_plausible(struct dms_slub *s, uint64_t addr, uintptr_t refs,
					 uint8_t *buf, struct cache_int *ci, struct findings *f,
					 bool *ok)
{
	*ok = false;
	if (addr & 7 || addr < s->kf.page_offset)
		return NULL;
	bool got;
	struct dms_error *err = kv_read_all(s, addr, buf, s->cache_need, &got);
	if (err || !got)
		return err;
	uint64_t name = rd64(buf + s->kf.s_name);
	char nb[64];
	size_t n = 0;
	if (!name || (err = kv_read(s, name, nb, sizeof(nb), &n)))
		return err;
	size_t len = strnlen(nb, n);
	if (len == 0 || len == n)
		return NULL; // no name, or no terminator within 63 bytes
	for (size_t i = 0; i < len; i++)
		if (nb[i] < 0x20 || nb[i] > 0x7e)
			return NULL;
	struct findings tf = { 0 };
	memset(ci, 0, sizeof(*ci));
	ci->pub.addr = addr;
	cache_decode(s, ci, buf, &tf);
	*ok = ci->pub.valid || refs >= MIN_SLAB_REFS;
	for (size_t i = 0; *ok && i < tf.len; i++)
		finding_add(f, &tf.v[i], tf.v[i].code, "%s", tf.v[i].reason);
	free(tf.v);
	return tf.oom ? &dms_enomem : NULL;
}

static int u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct dms_error *discover_caches(struct dms_slub *s)
{
	struct u64map refs = { 0 };
	struct range_walk rw = { .s = s,
				 .batch = malloc(PAGE_BATCH * (uint64_t)s->kf.page_struct_size),
				 .page_fn = count_slab_cache,
				 .refs = &refs };
	uint8_t *buf = malloc(s->cache_need);
	uint64_t *addrs = NULL;
	struct cache_int *found = NULL;
	size_t nfound = 0;
	struct dms_error *err = &dms_enomem;
	if (!rw.batch || !buf)
		goto out;
	s->slab_bits_unknown = SLAB_BITS_MAX;
	err = dms_reader_for_each_range(s->phys, 0, UINT64_MAX, range_fn, &rw);
	if (err)
		s->slab_bits_unknown = 0;
	if (err || !refs.len)
		goto out;
	// In address order: the result does not depend on the hash table.
	addrs = malloc(refs.len * sizeof(*addrs));
	found = calloc(refs.len, sizeof(*found));
	err = &dms_enomem;
	if (!addrs || !found)
		goto out;
	size_t na = 0;
	for (size_t i = 0; i < refs.cap; i++)
		if (refs.keys[i])
			addrs[na++] = refs.keys[i];
	qsort(addrs, na, sizeof(*addrs), u64cmp);
	for (size_t i = 0; i < na; i++) {
		bool f;
		uintptr_t n = (uintptr_t)u64map_get(&refs, addrs[i], &f);
		bool ok;
		err = cache_plausible(s, addrs[i], n, buf, &found[nfound], &s->create_findings,
				      &ok);
		if (err)
			goto out;
		nfound += ok;
	}
	err = NULL;
	if (!nfound)
		goto out;
	struct cache_int *nc = realloc(s->caches, (s->ncaches + nfound) * sizeof(*nc));
	err = &dms_enomem;
	if (!nc)
		goto out;
	s->caches = nc;
	memcpy(s->caches + s->ncaches, found, nfound * sizeof(*found));
	size_t first = s->ncaches;
	s->ncaches += nfound;
	// The array moved: index it again.
	u64map_clear(&s->by_addr);
	for (size_t i = 0; i < s->ncaches; i++)
		if (!u64map_put(&s->by_addr, s->caches[i].pub.addr, &s->caches[i]))
			goto out;
	char names[96] = "";
	size_t nl = 0;
	for (size_t i = first; i < s->ncaches && nl + 1 < sizeof(names); i++) {
		int w = snprintf(names + nl, sizeof(names) - nl, "%s%s", nl ? ", " : "",
				 s->caches[i].pub.name);
		nl += w > 0 ? (size_t)w : 0;
	}
	if (nl >= sizeof(names) - 1)
		snprintf(names + sizeof(names) - 5, 5, "...");
	struct dms_slub_finding t = { .addr = s->kf.slab_caches,
				      .value = nfound,
				      .index = -1,
				      .field = "slab_caches",
				      .cache_name = "" };
	finding_add(&s->create_findings, &t, DMS_SLUB_LIST_CORRUPT,
		    "slab_caches: %zu caches with slabs are not on the list (found through their "
		    "slab pages): %s",
		    nfound, names);
	err = s->create_findings.oom ? &dms_enomem : NULL;
out:
	u64map_clear(&refs);
	free(rw.batch);
	free(buf);
	free(addrs);
	free(found);
	return err;
}

struct dms_error *dms_slub_slab_analyze(struct dms_slub *s, uint64_t page, dms_slub_slab_fn *fn,
					void *arg)
{
	uint64_t pfn;
	if (!page_to_pfn(s, page, &pfn))
		return dms_error_create_at(DMS_ERR_INVALID_ARGUMENT, page,
					   "%#llx is not a struct page address",
					   (unsigned long long)page);
	uint8_t pg[4096];
	bool ok;
	struct dms_error *err = kv_read_all(s, page, pg, s->page_need, &ok);
	if (err)
		return err;
	if (!ok)
		return dms_error_create_at(DMS_ERR_FAULT, page, "struct page %#llx not in the dump",
					   (unsigned long long)page);
	if (!page_is_slab(s, pg))
		return dms_error_create_at(DMS_ERR_NOT_FOUND, page,
					   "struct page %#llx is not a slab",
					   (unsigned long long)page);
	struct dms_slub_slab sl;
	err = analyze(s, page, pg, &sl);
	if (err)
		return err;
	return fn(&sl, arg);
}

// --- Partial lists ----------------------------------------------------------

// Is page a slab head page of cache c?  *why gets the reason if not.
static struct dms_error *list_entry_ok(struct dms_slub *s, const struct dms_slub_cache *c,
				       uint64_t page, uint8_t *pg, const char **why)
{
	uint64_t pfn;
	bool ok = false;
	*why = NULL;
	if (!page_to_pfn(s, page, &pfn)) {
		*why = "not a struct page address";
		return NULL;
	}
	struct dms_error *err = kv_read_all(s, page, pg, s->page_need, &ok);
	if (err)
		return err;
	if (!ok)
		*why = "struct page not in the dump";
	else if (rd64(pg + s->kf.page_compound_head) & 1)
		*why = "a tail page";
	else if (!page_is_slab(s, pg))
		*why = "not a slab page";
	else if (rd64(pg + s->kf.slab_cache) != c->addr)
		*why = "a slab of another cache";
	return NULL;
}

struct dms_error *dms_slub_check_lists(struct dms_slub *s, const struct dms_slub_cache *cache,
				       dms_slub_finding_fn *fn, void *arg, uint64_t *nr_partial)
{
	const struct dms_kfacts *l = &s->kf;
	struct cache_int *ci = cache_int_by_addr(s, cache->addr);
	if (nr_partial)
		*nr_partial = 0;
	if (!ci)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, cache->addr, "unknown cache");
	struct dms_error *err = NULL;
	struct u64map seen = { 0 };
	uint8_t pg[4096], b[16];
	bool ok;
	struct dms_slub_finding t = { .cache_addr = cache->addr,
				      .cache_name = cache->name,
				      .index = -1 };
	struct findings f = { 0 };
	bool node_ok = off_ok(l->s_node) && off_ok(l->n_partial) && off_ok(l->n_nr_partial) &&
		       off_ok(l->slab_list);
	for (uint32_t nd = 0; node_ok && nd < s->env.nr_nodes; nd++) {
		err = kv_read_all(s, cache->addr + (uint64_t)l->s_node + 8 * nd, b, 8, &ok);
		if (err)
			goto out;
		uint64_t node = ok ? rd64(b) : 0;
		if (!node)
			continue;
		err = kv_read_all(s, node + (uint64_t)l->n_nr_partial, b, 8, &ok);
		if (err)
			goto out;
		if (!ok)
			continue;
		uint64_t want = rd64(b), count = 0;
		uint64_t head = node + (uint64_t)l->n_partial, prev = head, cur;
		err = kv_read_all(s, head, b, 16, &ok);
		if (err || !ok)
			goto next_node;
		cur = rd64(b);
		// Bound: the count the node claims, plus slack for a wrong count.
		uint64_t bound = (want < (1u << 20) ? want : (1u << 20)) + 64;
		while (cur != head) {
			t.addr = prev;
			t.value = cur;
			t.field = "partial list";
			t.slab = cur - (uint64_t)l->slab_list;
			const char *why = NULL;
			bool dup;
			u64map_get(&seen, cur, &dup);
			if (count >= bound)
				why = "list longer than nr_partial allows";
			else if (dup)
				why = "a cycle (seen before)";
			else if ((err = list_entry_ok(s, cache, t.slab, pg, &why)))
				goto out;
			if (why) {
				finding_add(&f, &t, DMS_SLUB_LIST_CORRUPT,
					    "%s node %u partial list: %#llx->next = %#llx is %s",
					    cache->name, nd, (unsigned long long)prev,
					    (unsigned long long)cur, why);
				break;
			}
			if (!u64map_put(&seen, cur, NULL)) {
				err = &dms_enomem;
				goto out;
			}
			uint64_t back = rd64(pg + l->slab_list + 8);
			if (back != prev) {
				t.addr = cur + 8;
				t.value = back;
				finding_add(&f, &t, DMS_SLUB_LIST_CORRUPT,
					    "%s node %u partial list: %#llx->prev = %#llx, "
					    "expected %#llx",
					    cache->name, nd, (unsigned long long)cur,
					    (unsigned long long)back, (unsigned long long)prev);
			}
			count++;
			prev = cur;
			cur = rd64(pg + l->slab_list);
		}
		if (cur == head && count != want) {
			t.addr = node + (uint64_t)l->n_nr_partial;
			t.value = want;
			t.slab = 0;
			t.field = "kmem_cache_node.nr_partial";
			finding_add(&f, &t, DMS_SLUB_LIST_CORRUPT,
				    "%s node %u: nr_partial %llu but %llu slabs on the list",
				    cache->name, nd, (unsigned long long)want,
				    (unsigned long long)count);
		}
	next_node:
		if (nr_partial)
			*nr_partial += count;
	}
	// CPU partial chains: slab.next, bounded.
	err = load_cpu(s, ci);
	if (err)
		goto out;
	for (uint32_t cpu = 0; ci->cpu_partial && off_ok(l->slab_next) && cpu < s->env.nr_cpus;
	     cpu++) {
		uint64_t prev = ci->pub.cpu_slab + s->per_cpu_offset[cpu] + (uint64_t)l->c_partial;
		uint64_t cur = ci->cpu_partial[cpu];
		for (uint32_t k = 0; cur; k++) {
			const char *why = NULL;
			bool dup;
			u64map_get(&seen, cur, &dup);
			if (k >= MAX_CPU_PARTIAL)
				why = "a chain too long";
			else if (dup)
				why = "a cycle (seen before)";
			else if ((err = list_entry_ok(s, cache, cur, pg, &why)))
				goto out;
			if (why) {
				t.addr = prev;
				t.value = cur;
				t.slab = cur;
				t.field = "cpu partial";
				finding_add(&f, &t, DMS_SLUB_LIST_CORRUPT,
					    "%s cpu%u partial: %#llx->next = %#llx is %s",
					    cache->name, cpu, (unsigned long long)prev,
					    (unsigned long long)cur, why);
				break;
			}
			if (!u64map_put(&seen, cur, NULL)) {
				err = &dms_enomem;
				goto out;
			}
			prev = cur + (uint64_t)l->slab_next;
			cur = rd64(pg + l->slab_next);
		}
	}
	if (f.oom) {
		err = &dms_enomem;
		goto out;
	}
	for (size_t i = 0; i < f.len && !err; i++)
		err = fn(&f.v[i], arg);
out:
	free(f.v);
	u64map_clear(&seen);
	return err;
}
