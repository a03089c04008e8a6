// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth unit tests: a fake SLUB kernel built in an in-memory image.
//
// Physical layout (4 KiB pages, image at physical 0, direct map at
// FAKE_DIRECT_MAP): page 1 struct page array (vmemmap, inside the direct map
// here), page 2 kmem_cache structs, page 3 slab_caches head and names,
// pages 4-5 per-cpu areas (cpu0, cpu1), page 6 kmem_cache_node, pages
// FAKE_SLAB_PFN.. slabs.  Offsets follow Linux 6.1 x86-64.
#ifndef DMS_SLUB_FAKE_H
#define DMS_SLUB_FAKE_H

#include <stdint.h>
#include <string.h>

#include "reader.h"
#include "slub.h"

#define FAKE_PAGE 4096
#define FAKE_NPAGES 64
#define FAKE_DIRECT_MAP 0xffff888000000000ULL
#define FAKE_VMEMMAP (FAKE_DIRECT_MAP + 1 * FAKE_PAGE)
#define FAKE_SLAB_PFN 8
#define FAKE_PG_SLAB 9
#define FAKE_PG_HEAD 16
#define FAKE_CACHE_STRIDE 512
// slab_flags_t SLAB_RED_ZONE, SLAB_POISON, __OBJECT_POISON of 6.1.
#define FAKE_SLAB_RED_ZONE 0x00000400ULL
#define FAKE_SLAB_POISON 0x00000800ULL
#define FAKE_OBJECT_POISON 0x80000000ULL

struct fake {
	uint8_t img[FAKE_NPAGES * FAKE_PAGE];
	struct dms_memimg *phys;
	// The kernel facts the model reads and its CPUs/nodes.
	struct dms_kfacts kf;
	struct dms_slub_env env;
	uint64_t pco[2];
	int ncaches;
	uint64_t last_list; // last kmem_cache.list on slab_caches
	enum dms_slub_fp enc;
	size_t name_off;
};

static inline uint64_t fake_va(uint64_t paddr)
{
	return FAKE_DIRECT_MAP + paddr;
}

static inline uint64_t fake_pa(uint64_t va)
{
	return va - FAKE_DIRECT_MAP;
}

static inline void fake_w64(struct fake *f, uint64_t va, uint64_t v)
{
	uint64_t pa = fake_pa(va);
	for (int i = 0; i < 8; i++)
		f->img[pa + i] = (uint8_t)(v >> (8 * i));
}

static inline void fake_w32(struct fake *f, uint64_t va, uint32_t v)
{
	uint64_t pa = fake_pa(va);
	for (int i = 0; i < 4; i++)
		f->img[pa + i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t fake_r64(const struct fake *f, uint64_t va)
{
	uint64_t v = 0, pa = fake_pa(va);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)f->img[pa + i] << (8 * i);
	return v;
}

static inline uint64_t fake_page(uint64_t pfn)
{
	return FAKE_VMEMMAP + pfn * 64;
}

static inline uint64_t fake_head_list(void)
{
	return fake_va(3 * FAKE_PAGE);
}

/** Build an empty kernel; enc is the free pointer encoding to write. */
static inline struct fake *fake_create(enum dms_slub_fp enc)
{
	static struct fake storage;
	struct fake *f = &storage;
	memset(f, 0, sizeof(*f));
	f->enc = enc;
	struct dms_memimg_config cfg = { .phys_base = 0,
					 .page_size = FAKE_PAGE,
					 .direct_map_base = FAKE_DIRECT_MAP };
	struct dms_error *err = dms_memimg_create(f->img, sizeof(f->img), &cfg, &f->phys);
	if (err) {
		dms_error_destroy(err);
		return NULL;
	}
	// Empty slab_caches.
	fake_w64(f, fake_head_list(), fake_head_list());
	fake_w64(f, fake_head_list() + 8, fake_head_list());
	f->last_list = fake_head_list();
	f->name_off = 3 * FAKE_PAGE + 256;
	f->pco[0] = 0;
	f->pco[1] = FAKE_PAGE;

	struct dms_kfacts *k = &f->kf;
	dms_kfacts_init(k);
	k->page_size = FAKE_PAGE;
	k->page_shift = 12;
	// An x86-64 machine with 4-level paging.
	k->arch = DMS_ARCH_X86_64;
	k->va_bits = 48;
	k->user_limit = 0x00007ffffffff000ULL;
	k->page_offset = FAKE_DIRECT_MAP;
	k->vmemmap = FAKE_VMEMMAP;
	k->page_struct_size = 64;
	k->slab_caches = fake_head_list();
	k->pg_slab = FAKE_PG_SLAB;
	k->page_flags = 0;
	k->page_compound_head = 8;
	k->slab_list = 8;
	k->slab_next = 8;
	k->slab_cache = 24;
	k->slab_freelist = 32;
	k->slab_counters = 40;
	k->counters_inuse_shift = 0;
	k->counters_objects_shift = 16;
	k->counters_frozen_shift = 31;
	k->s_cpu_slab = 0;
	k->s_flags = 8;
	k->s_flags_size = 4;
	k->s_size = 24;
	k->s_object_size = 28;
	k->s_offset = 40;
	k->s_oo = 52;
	k->s_inuse = 80;
	k->s_align = 84;
	k->s_red_left_pad = 88;
	k->s_name = 96;
	k->s_list = 104;
	k->s_random = 200;
	k->s_node = 256;
	k->c_freelist = 0;
	k->c_slab = 16;
	k->c_partial = 24;
	k->n_nr_partial = 8;
	k->n_partial = 16;
	k->slab_flag_red_zone = FAKE_SLAB_RED_ZONE;
	k->slab_flag_poison = FAKE_SLAB_POISON;
	k->slab_flag_object_poison = FAKE_OBJECT_POISON;
	f->env = (struct dms_slub_env){ .nr_cpus = 2, .per_cpu_offset = f->pco, .nr_nodes = 1 };
	return f;
}

static inline void fake_destroy(struct fake *f)
{
	if (f)
		dms_memimg_destroy(f->phys);
}

static inline uint64_t fake_cache_addr(int i)
{
	return fake_va(2 * FAKE_PAGE + (uint64_t)i * FAKE_CACHE_STRIDE);
}

static inline uint64_t fake_cpu_area(const struct fake *f, int cache, int cpu)
{
	return fake_va(4 * FAKE_PAGE + f->pco[cpu] + (uint64_t)cache * 32);
}

/**
 * Add a cache at the end of slab_caches.  offset is the free pointer
 * offset; red_left_pad is usually 0.
 */
static inline uint64_t fake_cache(struct fake *f, const char *name, uint32_t size,
				  uint32_t object_size, uint32_t offset, uint32_t order,
				  uint32_t red_left_pad)
{
	int i = f->ncaches++;
	uint64_t s = fake_cache_addr(i);
	memcpy(f->img + f->name_off, name, strlen(name) + 1);
	fake_w64(f, s + 96, fake_va(f->name_off));
	f->name_off += strlen(name) + 1;
	fake_w32(f, s + 24, size);
	fake_w32(f, s + 28, object_size);
	fake_w32(f, s + 40, offset);
	uint32_t objects = (uint32_t)((FAKE_PAGE << order) / size);
	fake_w32(f, s + 52, order << 16 | objects);
	fake_w32(f, s + 80, object_size);
	fake_w32(f, s + 84, 8);
	fake_w32(f, s + 88, red_left_pad);
	fake_w64(f, s + 200, 0x5a17c0de12345678ULL * (uint64_t)(i + 1));
	// __percpu pointer: cpu area minus cpu0's offset (0).
	fake_w64(f, s + 0, fake_cpu_area(f, i, 0));
	// node[0]: kmem_cache_node with an empty partial list.
	uint64_t n = fake_va(6 * FAKE_PAGE + (uint64_t)i * 64);
	fake_w64(f, s + 256, n);
	fake_w64(f, n + 16, n + 16);
	fake_w64(f, n + 24, n + 16);
	// Link at the tail of slab_caches.
	uint64_t list = s + 104, head = fake_head_list();
	fake_w64(f, f->last_list, list);
	fake_w64(f, list + 8, f->last_list);
	fake_w64(f, list, head);
	fake_w64(f, head + 8, list);
	f->last_list = list;
	return s;
}

static inline uint32_t fake_size(const struct fake *f, uint64_t cache)
{
	return (uint32_t)fake_r64(f, cache + 24);
}

/** Encode and store the free pointer of the object at obj. */
static inline void fake_set_fp(struct fake *f, uint64_t cache, uint64_t obj, uint64_t next)
{
	uint32_t offset = (uint32_t)fake_r64(f, cache + 40) & 0xffffffff;
	uint64_t random = fake_r64(f, cache + 200), slot = obj + offset, v = next;
	if (f->enc == DMS_SLUB_FP_XOR)
		v = next ^ random ^ slot;
	else if (f->enc == DMS_SLUB_FP_XOR_SWAB)
		v = next ^ random ^ __builtin_bswap64(slot);
	fake_w64(f, slot, v);
}

/** Object i of the slab at pfn. */
static inline uint64_t fake_obj(struct fake *f, uint64_t cache, uint64_t pfn, uint32_t i)
{
	uint32_t rlp = (uint32_t)fake_r64(f, cache + 88) & 0xffffffff;
	return fake_va(pfn * FAKE_PAGE) + (uint64_t)i * fake_size(f, cache) + rlp;
}

/** Write a chain of free objects (indices), returns the head (0 if n == 0). */
static inline uint64_t fake_chain(struct fake *f, uint64_t cache, uint64_t pfn, const uint32_t *idx,
				  uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		uint64_t next = k + 1 < n ? fake_obj(f, cache, pfn, idx[k + 1]) : 0;
		fake_set_fp(f, cache, fake_obj(f, cache, pfn, idx[k]), next);
	}
	return n ? fake_obj(f, cache, pfn, idx[0]) : 0;
}

/**
 * Make a slab of cache at pfn (order from the cache), objects from the
 * cache, with free objects idx[0..nfree) on slab.freelist in that order.
 * Returns the struct page address.
 */
static inline uint64_t fake_slab(struct fake *f, uint64_t cache, uint64_t pfn, const uint32_t *idx,
				 uint32_t nfree, int frozen)
{
	uint32_t oo = (uint32_t)fake_r64(f, cache + 52);
	uint32_t order = oo >> 16, objects = oo & 0xffff;
	uint64_t page = fake_page(pfn);
	uint64_t flags = 1ULL << FAKE_PG_SLAB;
	if (order)
		flags |= 1ULL << FAKE_PG_HEAD;
	fake_w64(f, page, flags);
	fake_w64(f, page + 8, 0);
	fake_w64(f, page + 16, 0);
	fake_w64(f, page + 24, cache);
	fake_w64(f, page + 32, fake_chain(f, cache, pfn, idx, nfree));
	fake_w32(f, page + 40,
		 (uint32_t)(objects - nfree) | objects << 16 | (uint32_t)(frozen ? 1u << 31 : 0));
	for (uint32_t t = 1; t < (1u << order); t++) {
		fake_w64(f, fake_page(pfn + t), 0);
		fake_w64(f, fake_page(pfn + t) + 8, page + 1);
	}
	return page;
}

/** Make cpu's active slab of cache (index ci) the slab at page, freelist head. */
static inline void fake_cpu(struct fake *f, int ci, int cpu, uint64_t page, uint64_t freelist)
{
	uint64_t c = fake_cpu_area(f, ci, cpu);
	fake_w64(f, c + 0, freelist);
	fake_w64(f, c + 16, page);
}

/** Create the model (kv == NULL: direct map). */
static inline struct dms_error *fake_model(struct fake *f, struct dms_slub **ret)
{
	return dms_slub_create(dms_memimg_reader(f->phys), NULL, &f->kf, &f->env, ret);
}

#endif // DMS_SLUB_FAKE_H
