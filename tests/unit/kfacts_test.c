// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests: the kernel facts table over each lab kernel's layout fixture
// (tests/data/layouts, written by tests/data/mklayouts.sh from the debuginfo),
// the page-owner model over those facts, and the SLUB model's slab test.
#include <stdlib.h>
#include <string.h>

#include "jsonlayout.h"
#include "kfacts.h"
#include "objcheck.h"
#include "owner.h"
#include "slub.h"
#include "slub_fake.h"
#include "test.h"

#define R510 "5.10.0-32-amd64"
#define R61 "6.1.0-56-amd64"
#define R612 "6.12.95+deb12-amd64"

// A small machine: 64 pages at physical 0, direct map and vmemmap as in
// slub_fake.h (vmemmap inside the direct map, page 1).
static void env_fake(struct dms_kfacts_env *env)
{
	memset(env, 0, sizeof(*env));
	env->page_size = FAKE_PAGE;
	env->page_offset = FAKE_DIRECT_MAP;
	env->vmemmap = FAKE_VMEMMAP;
	env->max_pfn = FAKE_NPAGES;
	env->slab_caches = fake_head_list();
	env->va_bits = 48;
	env->user_limit = 0x00007ffffffff000ULL;
}

// Fill the facts of a release from its fixture; false (test failed) if the
// fixture is missing or lib asked something it does not record.
static bool facts_of(const char *release, struct dms_kfacts *kf)
{
	struct jsonlayout *jl = jsonlayout_load(release);
	if (!jl) {
		test_fail(__FILE__, __LINE__, "no fixture for %s (tests/data/mklayouts.sh)",
			  release);
		return false;
	}
	struct dms_layout l = jsonlayout_provider(jl);
	struct dms_kfacts_env env;
	env_fake(&env);
	env.release = release;
	struct dms_error *err = dms_kfacts_fill(&l, &env, kf);
	const char *last;
	size_t un = jsonlayout_unrecorded(jl, &last);
	jsonlayout_free(jl);
	if (err) {
		test_fail(__FILE__, __LINE__, "%s: fill failed: %s", release,
			  err->message ? err->message : "?");
		dms_error_destroy(err);
		return false;
	}
	if (un) {
		test_fail(__FILE__, __LINE__,
			  "%s: %zu questions not in the fixture (last: %s): run "
			  "tests/data/mklayouts.sh",
			  release, un, last);
		return false;
	}
	return true;
}

static void kfacts_fill_5_10_struct_page_slab(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R510, &kf))
		return;
	// No struct slab: slab fields are struct page's, the CPU slab is "page".
	EXPECT_FALSE(kf.has_struct_slab);
	EXPECT_INT(kf.slab_cache, 24);
	EXPECT_INT(kf.c_slab, 16);
	EXPECT_TRUE(dms_kf_has(kf.slab_next));
	EXPECT_INT(kf.pg_slab, 9);
	EXPECT_INT(kf.pgty_scheme, DMS_KF_PGTY_INVERTED);
	EXPECT_FALSE(kf.pgty_slab.present);
	// PG_kmemcg held 0x200: the table type is 0x400 (derived, and says so).
	EXPECT_UINT(kf.pgty_table.mask, 0xf0000400);
	EXPECT_TRUE(strstr(kf.pgty_table.src, "derived") != NULL);
	// No pp_magic before 5.14: page_pool pages cannot be told.
	EXPECT_FALSE(kf.pp_present);
	EXPECT_INT(kf.order_kind, DMS_KF_ORDER_TAIL);
	EXPECT_INT(kf.max_order, 10);
	EXPECT_TRUE(kf.owner_ok);
	EXPECT_TRUE(kf.slab_ok);
}

static void kfacts_fill_6_1_struct_slab(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R61, &kf))
		return;
	EXPECT_TRUE(kf.has_struct_slab);
	EXPECT_INT(kf.slab_cache, 24);
	EXPECT_INT(kf.slab_freelist, 32);
	EXPECT_INT(kf.slab_counters, 40);
	EXPECT_INT(kf.c_slab, 16);
	EXPECT_INT(kf.pg_slab, 9);
	EXPECT_INT(kf.pgty_scheme, DMS_KF_PGTY_INVERTED);
	EXPECT_UINT(kf.pgty_table.mask, 0xf0000200);
	EXPECT_UINT(kf.pgty_buddy.mask, 0xf0000080);
	EXPECT_UINT(kf.pgty_buddy.value, 0xf0000000);
	EXPECT_TRUE(kf.pp_present);
	EXPECT_UINT(kf.pp_signature, 0xdead000000000040ULL);
	EXPECT_UINT(kf.pp_magic_mask, ~3ULL);
	EXPECT_INT(kf.page_pp_magic, 8);
	EXPECT_INT(kf.order_kind, DMS_KF_ORDER_TAIL);
	EXPECT_INT(kf.order_off, 17);
	// #defines before 6.10: derived, and said so.
	EXPECT_UINT(kf.slab_flag_red_zone, FAKE_SLAB_RED_ZONE);
	EXPECT_UINT(kf.slab_flag_poison, FAKE_SLAB_POISON);
	EXPECT_UINT(kf.slab_flag_object_poison, FAKE_OBJECT_POISON);
	EXPECT_TRUE(strstr(kf.slab_flags_src, "derived") != NULL);
	EXPECT_TRUE(kf.slab_ok);
}

// The counters bit-fields come from the debuginfo on every lab kernel (struct
// page on 5.10, struct slab after), and the VM_* bits from each series' row.
static void kfacts_fill_counters_and_vm_flags_per_series(void)
{
	static const struct {
		const char *release;
		uint64_t vm_flags;
	} want[] = {
		{ R510, (1ULL << 37) - 1 },
		{ R61, (1ULL << 38) - 1 },
		{ R612, ((1ULL << 41) - 1) | 1ULL << 63 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct dms_kfacts kf;
		if (!facts_of(want[i].release, &kf))
			return;
		EXPECT_INT(kf.counters_inuse_shift, 0);
		EXPECT_INT(kf.counters_objects_shift, 16);
		EXPECT_INT(kf.counters_frozen_shift, 31);
		EXPECT_TRUE(strstr(kf.counters_src, "debuginfo") != NULL);
		EXPECT_UINT(kf.vm_flags_mask, want[i].vm_flags);
		EXPECT_TRUE(strstr(kf.vm_flags_src, "series table") != NULL);
	}
}

// Maple trees (6.1+): node layouts and maple_type from the debuginfo, the pointer
// encoding from the series table; 5.10 has none (nothing filled).
static void kfacts_fill_maple_per_series(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R510, &kf))
		return;
	EXPECT_INT(kf.mt_root, -1);
	EXPECT_UINT(kf.maple_node_mask, 0);
	EXPECT_TRUE(kf.maple_src == NULL);
	const char *rel[] = { R61, R612 };
	for (size_t i = 0; i < 2; i++) {
		if (!facts_of(rel[i], &kf))
			return;
		EXPECT_INT(kf.mt_root, 8);
		EXPECT_INT(kf.mr64_pivot, 8);
		EXPECT_UINT(kf.mr64_npivots, 15);
		EXPECT_INT(kf.mr64_slot, 128);
		EXPECT_UINT(kf.mr64_nslots, 16);
		EXPECT_INT(kf.ma64_slot, 80);
		EXPECT_UINT(kf.ma64_nslots, 10);
		EXPECT_INT(kf.maple_leaf_64, 1);
		EXPECT_INT(kf.maple_range_64, 2);
		EXPECT_INT(kf.maple_arange_64, 3);
		EXPECT_UINT(kf.maple_node_mask, 255);
		EXPECT_UINT(kf.maple_type_shift, 3);
		EXPECT_TRUE(kf.maple_src && strstr(kf.maple_src, "series table"));
	}
}

// A provider that cannot answer bit-field questions: the series table's row
// for the kernel's version, said so; a kernel outside every row has neither
// fact (slab model off, vm_flags unchecked) instead of another kernel's.
struct no_bitfields {
	struct dms_layout inner;
};

static struct dms_error *nb_size(void *ctx, const char *type, uint64_t *ret)
{
	return dms_layout_type_size(&((struct no_bitfields *)ctx)->inner, type, ret);
}

static struct dms_error *nb_member(void *ctx, const char *type, const char *path, uint64_t *off,
				   uint64_t *size)
{
	return dms_layout_member(&((struct no_bitfields *)ctx)->inner, type, path, off, size);
}

static struct dms_error *nb_enum(void *ctx, const char *name, int64_t *ret)
{
	return dms_layout_enum_value(&((struct no_bitfields *)ctx)->inner, name, ret);
}

static const struct dms_layout_ops nb_ops = { nb_size, nb_member, nb_enum, NULL };

static void kfacts_fill_counters_series_fallback(void)
{
	struct jsonlayout *jl = jsonlayout_load(R61);
	EXPECT_TRUE(jl != NULL);
	if (!jl)
		return;
	struct no_bitfields nb = { jsonlayout_provider(jl) };
	struct dms_layout l = { &nb_ops, &nb };
	struct dms_kfacts_env env;
	env_fake(&env);
	env.release = R61;
	struct dms_kfacts kf;
	dms_error_destroy(dms_kfacts_fill(&l, &env, &kf));
	EXPECT_INT(kf.counters_objects_shift, 16);
	EXPECT_TRUE(strstr(kf.counters_src, "series table") != NULL);
	EXPECT_TRUE(kf.slab_ok);
	env.release = "7.3.0-1-amd64";
	dms_error_destroy(dms_kfacts_fill(&l, &env, &kf));
	EXPECT_INT(kf.counters_objects_shift, -1);
	EXPECT_UINT(kf.vm_flags_mask, 0);
	EXPECT_FALSE(kf.slab_ok);
	EXPECT_TRUE(strstr(kf.slab_why, "counters") != NULL);
	jsonlayout_free(jl);
}

static void kfacts_fill_6_12_page_type(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R612, &kf))
		return;
	// struct slab with slab_cache at +8 (6.1: +24); PG_slab gone.
	EXPECT_TRUE(kf.has_struct_slab);
	EXPECT_INT(kf.slab_cache, 8);
	EXPECT_TRUE(kf.pg_slab == DMS_KF_NONE);
	EXPECT_INT(kf.pgty_scheme, DMS_KF_PGTY_TOP_BYTE);
	EXPECT_TRUE(kf.pgty_slab.present);
	EXPECT_UINT(kf.pgty_slab.mask, 0xff000000);
	EXPECT_UINT(kf.pgty_slab.value, 0xf5000000);
	EXPECT_UINT(kf.pgty_buddy.value, 0xf0000000);
	EXPECT_UINT(kf.pgty_table.value, 0xf2000000);
	EXPECT_TRUE(strstr(kf.pgty_slab.src, "debuginfo") != NULL);
	// The DMA index bits 7..38 of pp_magic are not part of the signature.
	EXPECT_UINT(kf.pp_magic_mask, ~(3ULL | (((1ULL << 32) - 1) << 7)));
	EXPECT_INT(kf.order_kind, DMS_KF_ORDER_FOLIO);
	// slab_flags_t bits are enum _slab_flag_bits since 6.10.
	EXPECT_UINT(kf.slab_flag_red_zone, 0x2);
	EXPECT_UINT(kf.slab_flag_poison, 0x4);
	EXPECT_UINT(kf.slab_flag_object_poison, 1ULL << 17);
	EXPECT_TRUE(strstr(kf.slab_flags_src, "debuginfo") != NULL);
	EXPECT_TRUE(kf.slab_ok);
}

static void kfacts_fill_absent_env_disables(void)
{
	struct jsonlayout *jl = jsonlayout_load(R61);
	EXPECT_TRUE(jl != NULL);
	struct dms_layout l = jsonlayout_provider(jl);
	struct dms_kfacts_env env = { 0 };
	struct dms_kfacts kf;
	struct dms_error *err = dms_kfacts_fill(&l, &env, &kf);
	jsonlayout_free(jl);
	EXPECT_TRUE(err == NULL);
	EXPECT_FALSE(kf.owner_ok);
	EXPECT_FALSE(kf.slab_ok);
	EXPECT_TRUE(kf.owner_why[0] != '\0');
	struct dms_owner_model *m = NULL;
	err = dms_owner_model_create(NULL, &kf, &m);
	EXPECT_TRUE(err != NULL);
	dms_error_destroy(err);
}

// A reader of kernel virtual addresses over the fake's physical image
// (direct map only).
static struct dms_error *kv_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *ret)
{
	const struct dms_reader *phys = ctx;
	*ret = 0;
	if (addr < FAKE_DIRECT_MAP)
		return NULL;
	return dms_reader_read_phys(phys, addr - FAKE_DIRECT_MAP, buf, len, ret);
}

static const struct dms_reader_ops kv_ops = { .read_phys = kv_read };

static void owner_page_6_12_slab_by_page_type(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R612, &kf))
		return;
	struct fake *f = fake_create(DMS_SLUB_FP_PLAIN);
	EXPECT_TRUE(f != NULL);
	uint64_t cache = fake_cache(f, "kmalloc-256", 256, 256, 128, 0, 0);
	// A 6.12 slab head: page_type PGTY_slab << 24, slab_cache at +8.
	uint64_t page = fake_page(FAKE_SLAB_PFN);
	fake_w64(f, page + 0, 0);
	fake_w64(f, page + 8, cache);
	fake_w32(f, page + 48, 0xf5000000);
	fake_w32(f, page + 52, 1);
	// A page_pool page with a DMA index in pp_magic (refcount 1).
	uint64_t pp = fake_page(FAKE_SLAB_PFN + 1);
	fake_w64(f, pp + 8, 0xdead000000000040ULL | (5ULL << 7));
	fake_w32(f, pp + 48, 0xffffffff);
	fake_w32(f, pp + 52, 1);
	// A tail whose compound_head points beyond the dump's pfns.
	uint64_t bad = fake_page(FAKE_SLAB_PFN + 2);
	fake_w64(f, bad + 8, fake_page(FAKE_NPAGES + 100) + 1);
	fake_w32(f, bad + 52, 1);
	struct dms_reader kv = { &kv_ops, (void *)dms_memimg_reader(f->phys), FAKE_PAGE };
	struct dms_owner_model *m;
	struct dms_error *err = dms_owner_model_create(&kv, &kf, &m);
	EXPECT_TRUE(err == NULL);
	struct dms_page_owner o;
	dms_owner_page(m, FAKE_SLAB_PFN, &o);
	EXPECT_INT(o.kind, DMS_OWNER_SLAB);
	EXPECT_UINT(o.cache, cache);
	EXPECT_STR(o.cache_name, "kmalloc-256");
	EXPECT_INT(o.obj_size, 256);
	EXPECT_UINT(o.slab_base, fake_va(FAKE_SLAB_PFN * FAKE_PAGE));
	uint64_t obj;
	int64_t off;
	bool tail;
	EXPECT_TRUE(dms_owner_slab_object(&o, o.slab_base + 300, &obj, &off, &tail));
	EXPECT_UINT(obj, o.slab_base + 256);
	EXPECT_INT(off, 44);
	EXPECT_FALSE(tail);
	dms_owner_page(m, FAKE_SLAB_PFN + 1, &o);
	EXPECT_INT(o.kind, DMS_OWNER_PAGE_POOL);
	dms_owner_page(m, FAKE_SLAB_PFN + 2, &o);
	EXPECT_STR(o.note, "bad compound_head");
	// Beyond max_pfn: no struct page is read.
	dms_owner_page(m, FAKE_NPAGES + 5, &o);
	EXPECT_INT(o.kind, DMS_OWNER_UNKNOWN);
	dms_owner_model_destroy(m);

	// The same page_pool page under 6.1's facts (mask ~3): not page_pool.
	struct dms_kfacts kf61;
	if (!facts_of(R61, &kf61))
		goto out;
	err = dms_owner_model_create(&kv, &kf61, &m);
	EXPECT_TRUE(err == NULL);
	dms_owner_page(m, FAKE_SLAB_PFN + 1, &o);
	EXPECT_TRUE(o.kind != DMS_OWNER_PAGE_POOL);
	dms_owner_model_destroy(m);
out:
	fake_destroy(f);
}

// The SLUB model recognises slabs through the owner model's test: a
// hand-filled layout with the 6.12 page type scheme.
static void slub_lookup_page_type_scheme(void)
{
	struct fake *f = fake_create(DMS_SLUB_FP_PLAIN);
	EXPECT_TRUE(f != NULL);
	uint64_t cache = fake_cache(f, "kmalloc-256", 256, 256, 128, 0, 0);
	uint32_t idx[] = { 3, 1 };
	uint64_t page = fake_slab(f, cache, FAKE_SLAB_PFN, idx, 2, 0);
	// No PG_slab: the page type says slab.
	fake_w64(f, page, 0);
	fake_w32(f, page + 48, 0xf5000000);
	f->kf.pg_slab = DMS_KF_NONE;
	f->kf.page_type = 48;
	f->kf.pgty_slab = (struct dms_kf_pgtype){ true, 0xff000000, 0xf5000000, "test" };
	struct dms_slub *s;
	struct dms_error *err = fake_model(f, &s);
	EXPECT_TRUE(err == NULL);
	struct dms_slub_obj o;
	err = dms_slub_lookup(s, fake_obj(f, cache, FAKE_SLAB_PFN, 1) + 8, &o);
	EXPECT_TRUE(err == NULL);
	EXPECT_INT(o.where, DMS_SLUB_WHERE_OBJECT);
	EXPECT_INT(o.state, DMS_SLUB_FREE);
	err = dms_slub_lookup(s, fake_obj(f, cache, FAKE_SLAB_PFN, 2), &o);
	EXPECT_TRUE(err == NULL);
	EXPECT_INT(o.state, DMS_SLUB_ALLOCATED);
	// Without the page type the same page is not a slab.
	dms_slub_destroy(s);
	fake_w32(f, page + 48, 0xffffffff);
	err = fake_model(f, &s);
	EXPECT_TRUE(err == NULL);
	err = dms_slub_lookup(s, fake_obj(f, cache, FAKE_SLAB_PFN, 2), &o);
	EXPECT_TRUE(err == NULL);
	EXPECT_INT(o.where, DMS_SLUB_WHERE_NOT_SLAB);
	dms_slub_destroy(s);
	fake_destroy(f);
}

// 6.1's facts table agrees with the fake's hand-filled facts where both
// speak (the fake follows 6.1 x86-64), and the model walks the fake with it.
static void slub_create_from_kfacts_6_1(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R61, &kf))
		return;
	struct fake *f = fake_create(DMS_SLUB_FP_PLAIN);
	EXPECT_TRUE(f != NULL);
	uint64_t cache = fake_cache(f, "dentry", 192, 192, 96, 0, 0);
	uint32_t idx[] = { 0 };
	fake_slab(f, cache, FAKE_SLAB_PFN, idx, 1, 0);
	EXPECT_INT(kf.slab_cache, f->kf.slab_cache);
	EXPECT_INT(kf.slab_freelist, f->kf.slab_freelist);
	EXPECT_INT(kf.slab_counters, f->kf.slab_counters);
	EXPECT_INT(kf.pg_slab, f->kf.pg_slab);
	EXPECT_INT(kf.s_size, f->kf.s_size);
	EXPECT_INT(kf.s_offset, f->kf.s_offset);
	EXPECT_INT(kf.s_name, f->kf.s_name);
	EXPECT_INT(kf.s_list, f->kf.s_list);
	EXPECT_INT(kf.s_oo, f->kf.s_oo);
	EXPECT_INT(kf.c_slab, f->kf.c_slab);
	EXPECT_INT(kf.c_freelist, f->kf.c_freelist);
	EXPECT_UINT(kf.vmemmap, FAKE_VMEMMAP);
	// The fake's kmem_cache keeps cpu_slab/node/random where 6.1 does not:
	// use the fake's for those, the facts' for the rest.
	kf.s_cpu_slab = f->kf.s_cpu_slab;
	kf.s_node = f->kf.s_node;
	kf.s_random = f->kf.s_random;
	kf.s_red_left_pad = f->kf.s_red_left_pad;
	kf.s_inuse = f->kf.s_inuse;
	kf.s_align = f->kf.s_align;
	kf.s_flags = f->kf.s_flags;
	kf.s_object_size = f->kf.s_object_size;
	struct dms_slub *s;
	struct dms_error *err = dms_slub_create(dms_memimg_reader(f->phys), NULL, &kf, &f->env, &s);
	EXPECT_TRUE(err == NULL);
	struct dms_slub_obj o;
	err = dms_slub_lookup(s, fake_obj(f, cache, FAKE_SLAB_PFN, 0), &o);
	EXPECT_TRUE(err == NULL);
	EXPECT_INT(o.where, DMS_SLUB_WHERE_OBJECT);
	EXPECT_INT(o.state, DMS_SLUB_FREE);
	// A struct page pointer beyond max_pfn is not followed.
	err = dms_slub_slab_analyze(s, fake_page(FAKE_NPAGES + 1), NULL, NULL);
	EXPECT_TRUE(err != NULL);
	dms_error_destroy(err);
	dms_slub_destroy(s);
	fake_destroy(f);
}

#define KTEXT 0xffffffff81000000ULL

static bool ptr_fn(uint64_t v, void *arg, struct dms_ptr_info *ret)
{
	(void)arg;
	memset(ret, 0, sizeof(*ret));
	if (v < 0xffff800000000000ULL)
		return false;
	ret->kind = v >= KTEXT ? DMS_PTR_KERNEL_IMAGE : DMS_PTR_DIRECT_MAP;
	return true;
}

// 6.4+: a VMA waiting for its RCU free has an rcu_head over vm_start and
// vm_end; its fields are not checked.  A frame over it is not an rcu_head.
static void objcheck_vma_rcu_pending_not_checked(void)
{
	struct dms_kfacts kf;
	if (!facts_of(R612, &kf))
		return;
	struct jsonlayout *jl = jsonlayout_load(R612);
	EXPECT_TRUE(jl != NULL);
	struct dms_layout l = jsonlayout_provider(jl);
	struct dms_objcheck_env env = { .user_limit = 0x00007ffffffff000ULL, .kernel_ptr = ptr_fn };
	struct dms_objcheck *oc;
	struct dms_error *err = dms_objcheck_create(NULL, &env, &oc);
	EXPECT_TRUE(err == NULL);
	struct dms_cache_rules *r = NULL;
	for (size_t i = 0; i < dms_objcheck_num_rules(oc); i++) {
		if (!strcmp(dms_objcheck_rules_at(oc, i)->type, "vm_area_struct"))
			r = dms_objcheck_rules_at(oc, i);
	}
	EXPECT_TRUE(r != NULL && r->rcu_field != NULL);
	// Resolve offsets as the glue does.
	err = dms_objcheck_resolve(oc, &l);
	EXPECT_TRUE(err == NULL);
	EXPECT_TRUE(r->present && r->rcu_resolved);
	jsonlayout_free(jl);
	uint8_t obj[256] = { 0 };
	// rcu_head { next = NULL, func = vm_area_free_rcu_cb in the image }.
	uint64_t func = KTEXT + 0x123450;
	memcpy(obj + r->rcu_offset + 8, &func, 8);
	EXPECT_TRUE(dms_objcheck_rcu_pending(oc, r, obj, sizeof(obj)));
	struct dms_objcheck_failure fail[8];
	size_t n = 99;
	err = dms_objcheck_object(oc, r, 0xffff888000100000ULL, obj, sizeof(obj), fail, 8, &n);
	EXPECT_TRUE(err == NULL);
	EXPECT_INT(n, 0);
	// Frame bytes over the same fields: not an rcu_head, checked.
	memset(obj, 0x45, 32);
	EXPECT_FALSE(dms_objcheck_rcu_pending(oc, r, obj, sizeof(obj)));
	err = dms_objcheck_object(oc, r, 0xffff888000100000ULL, obj, sizeof(obj), fail, 8, &n);
	EXPECT_TRUE(err == NULL);
	EXPECT_TRUE(n > 0);
	dms_objcheck_destroy(oc);
}

// ---- the target's facts: mock x86-64 and arm64 machines -----------------

static void target_x86(struct dms_kfacts *kf, unsigned int va_bits)
{
	dms_kfacts_init(kf);
	kf->arch = DMS_ARCH_X86_64;
	kf->va_bits = va_bits;
	kf->page_size = 4096;
	kf->page_shift = 12;
	// TASK_SIZE_MAX: the top of user space minus a guard page.
	kf->user_limit = (1ULL << (va_bits - 1)) - 4096;
	kf->page_offset = va_bits == 57 ? 0xff19e434c0000000ULL : 0xffff888000000000ULL;
	kf->max_pfn = 0x20000;
}

static void target_arm64(struct dms_kfacts *kf, unsigned int va_bits, bool tags)
{
	dms_kfacts_init(kf);
	kf->arch = DMS_ARCH_ARM64;
	kf->va_bits = va_bits;
	kf->page_size = 4096;
	kf->page_shift = 12;
	kf->kernel_tags = tags;
	// TASK_SIZE_64: the top of user space itself.
	kf->user_limit = 1ULL << va_bits;
	// QEMU virt: RAM (and the direct map) starts at 0x40000000.
	kf->page_offset = ~0ULL << va_bits;
	kf->dmap_phys = 0x40000000;
	kf->max_pfn = (0x40000000 + 0x20000000) >> 12;
}

static void kf_kernel_ptr_x86_64_by_paging_level(void)
{
	struct dms_kfacts kf;
	target_x86(&kf, 48);
	EXPECT_UINT(dms_kf_kernel_min(&kf), 0xffff800000000000ULL);
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xffff888003c4d200ULL));
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xffffffff81000000ULL));
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0x00007f1234560000ULL));
	// 5-level paging's direct map is non-canonical with 4 levels.
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0xff19e434c0000000ULL));
	EXPECT_INT(dms_kf_vaddr_kind(&kf, 0xff19e434c0000000ULL), DMS_VADDR_NONCANONICAL);
	// The e1000-vma panic value (IPv4/TCP bytes): non-canonical.
	EXPECT_INT(dms_kf_vaddr_kind(&kf, 0x7f13e8a32b7937a7ULL), DMS_VADDR_NONCANONICAL);
	EXPECT_STR(dms_kf_noncanonical_name(&kf), "non-canonical");
	EXPECT_TRUE(dms_kf_user_addr(&kf, 0x00007ffffffff000ULL));
	EXPECT_FALSE(dms_kf_user_addr(&kf, 1ULL << 47));
	target_x86(&kf, 57);
	EXPECT_UINT(dms_kf_kernel_min(&kf), 0xff00000000000000ULL);
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xff19e434c0000000ULL));
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xffff888003c4d200ULL));
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0xfe19e434c0000000ULL));
	EXPECT_TRUE(dms_kf_user_addr(&kf, (1ULL << 56) - 4096));
	// An unknown target has no kernel range.
	dms_kfacts_init(&kf);
	EXPECT_UINT(dms_kf_kernel_min(&kf), 0);
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0xffff888003c4d200ULL));
}

static void kf_kernel_ptr_arm64_ranges_and_tags(void)
{
	struct dms_kfacts kf;
	target_arm64(&kf, 48, false);
	EXPECT_UINT(dms_kf_kernel_min(&kf), 0xffff000000000000ULL);
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xffff000012345678ULL));
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xffff800008000000ULL));
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0x0000ffffa0000000ULL));
	// IPv4 bytes in the top byte: bit 55 clear, a tagged user address.
	EXPECT_INT(dms_kf_vaddr_kind(&kf, 0x4500005400000000ULL), DMS_VADDR_USER_TAGGED);
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0x4500005400000000ULL));
	// Bits 55..48 not all equal: between the ranges.
	EXPECT_INT(dms_kf_vaddr_kind(&kf, 0x0045000000000010ULL), DMS_VADDR_NONCANONICAL);
	EXPECT_STR(dms_kf_noncanonical_name(&kf), "between the user and kernel address ranges");
	// A KASAN tag (0xf2) in a kernel pointer: a kernel address only where
	// kernel pointers carry tags.
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0xf2ff000012345678ULL));
	kf.kernel_tags = true;
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xf2ff000012345678ULL));
	// TASK_SIZE_64 is the top itself: task_size == 1 << 48 is a user value.
	EXPECT_TRUE(dms_kf_user_addr(&kf, 1ULL << 48));
	EXPECT_FALSE(dms_kf_user_addr(&kf, (1ULL << 48) + 4096));
	target_arm64(&kf, 52, false);
	EXPECT_UINT(dms_kf_kernel_min(&kf), 0xfff0000000000000ULL);
	EXPECT_TRUE(dms_kf_kernel_ptr(&kf, 0xfff0000012345678ULL));
	EXPECT_FALSE(dms_kf_kernel_ptr(&kf, 0xffe0000012345678ULL));
}

// The direct map starts where RAM starts: at physical 0 on x86-64, at
// PHYS_OFFSET on arm64 (physical 0 is no RAM there and has no address).
static void kf_direct_map_by_physical_start(void)
{
	struct dms_kfacts kf;
	uint64_t v = 0, p = 0;
	target_arm64(&kf, 48, false);
	EXPECT_TRUE(dms_kf_phys_to_virt(&kf, 0x40001000, &v));
	EXPECT_UINT(v, 0xffff000000001000ULL);
	EXPECT_TRUE(dms_kf_virt_to_phys(&kf, 0xffff000000001040ULL, &p));
	EXPECT_UINT(p, 0x40001040);
	EXPECT_FALSE(dms_kf_phys_to_virt(&kf, 0x1000, &v));
	EXPECT_FALSE(dms_kf_phys_to_virt(&kf, 0x60000000, &v));
	EXPECT_FALSE(dms_kf_virt_to_phys(&kf, 0xffff000020000000ULL, &p));
	EXPECT_FALSE(dms_kf_virt_to_phys(&kf, 0xfffe000000000000ULL, &p));
	target_x86(&kf, 48);
	EXPECT_TRUE(dms_kf_phys_to_virt(&kf, 0x1000, &v));
	EXPECT_UINT(v, 0xffff888000001000ULL);
	EXPECT_TRUE(dms_kf_virt_to_phys(&kf, 0xffff888000001000ULL, &p));
	EXPECT_UINT(p, 0x1000);
	EXPECT_FALSE(dms_kf_phys_to_virt(&kf, 0x20000000, &v));
}

// mm_struct.task_size is TASK_SIZE_MAX on x86-64 but exactly 1 << 48 on
// arm64: the same value is a finding on one target only.  Bad kernel
// pointers are named by the target's rule.
static const struct dms_cache_rules *rules_of(struct dms_objcheck *oc, const char *type)
{
	for (size_t i = 0; i < dms_objcheck_num_rules(oc); i++) {
		struct dms_cache_rules *r = dms_objcheck_rules_at(oc, i);
		if (!strcmp(r->type, type))
			return r;
	}
	return NULL;
}

static void set_check(struct dms_objcheck *oc, const char *type, const char *field, int32_t off)
{
	struct dms_cache_rules *r = (struct dms_cache_rules *)rules_of(oc, type);
	for (size_t i = 0; r && i < r->nchecks; i++) {
		if (!strcmp(r->checks[i].field, field))
			r->checks[i].offset = off;
	}
}

static size_t check_one(const struct dms_kfacts *kf, dms_ptr_fn *kptr, const char *type,
			const uint8_t *obj, size_t len, char *reason, size_t rlen)
{
	struct dms_objcheck_env env = { .kf = kf, .kernel_ptr = kptr };
	struct dms_objcheck *oc;
	struct dms_error *err = dms_objcheck_create(NULL, &env, &oc);
	if (err) {
		test_fail(__FILE__, __LINE__, "dms_objcheck_create failed");
		dms_error_destroy(err);
		return 0;
	}
	set_check(oc, "mm_struct", "pgd", 0);
	set_check(oc, "mm_struct", "mmap_base", 8);
	set_check(oc, "mm_struct", "task_size", 16);
	set_check(oc, "anon_vma", "root", 0);
	struct dms_objcheck_failure fl[4];
	size_t n = 0;
	err = dms_objcheck_object(oc, rules_of(oc, type), 0xffff888000100000ULL, obj, len, fl, 4,
				  &n);
	if (err) {
		test_fail(__FILE__, __LINE__, "dms_objcheck_object failed");
		dms_error_destroy(err);
	}
	reason[0] = '\0';
	if (n)
		snprintf(reason, rlen, "%s", fl[0].reason);
	dms_objcheck_destroy(oc);
	return n;
}

static void put64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void objcheck_task_size_and_pointers_per_target(void)
{
	struct dms_kfacts x86, a64;
	target_x86(&x86, 48);
	target_arm64(&a64, 48, false);
	uint8_t mm[24];
	char why[160];
	// A sane arm64 mm_struct: pgd in the kernel range, task_size 1 << 48.
	put64le(mm, 0xffff000041234000ULL);
	put64le(mm + 8, 0x0000ffff80000000ULL);
	put64le(mm + 16, 1ULL << 48);
	EXPECT_INT(check_one(&a64, NULL, "mm_struct", mm, sizeof(mm), why, sizeof(why)), 0);
	// The same bytes on x86-64: pgd is non-canonical with 4-level paging,
	// and task_size is above TASK_SIZE_MAX.
	EXPECT_INT(check_one(&x86, NULL, "mm_struct", mm, sizeof(mm), why, sizeof(why)), 3);
	EXPECT_STR(why, "pgd: not a kernel address (non-canonical 0xffff000041234000)");
	// An x86-64 mm_struct.
	put64le(mm, 0xffff888041234000ULL);
	put64le(mm + 8, 0x00007f0000000000ULL);
	put64le(mm + 16, (1ULL << 47) - 4096);
	EXPECT_INT(check_one(&x86, NULL, "mm_struct", mm, sizeof(mm), why, sizeof(why)), 0);
	// arm64 with 39-bit VA: a 0xffff... value outside both ranges is named
	// so, not "non-canonical".
	struct dms_kfacts a39;
	target_arm64(&a39, 39, false);
	uint8_t av[8];
	put64le(av, 0xffff001000000000ULL);
	EXPECT_INT(check_one(&a39, NULL, "anon_vma", av, sizeof(av), why, sizeof(why)), 1);
	EXPECT_STR(why, "root: not a kernel address (between the user and kernel address ranges "
			"0xffff001000000000)");
}

// A canonical kernel-half value no kernel mapping holds is not called
// non-canonical (5.10 e1000-vma: 0xffff8c396c1acc90 below page_offset_base).
static bool below_direct_map(uint64_t v, void *arg, struct dms_ptr_info *ret)
{
	(void)arg;
	memset(ret, 0, sizeof(*ret));
	return v >= 0xffff888000000000ULL;
}

static void objcheck_unmapped_kernel_half_not_noncanonical(void)
{
	struct dms_kfacts x86;
	target_x86(&x86, 48);
	uint8_t av[8];
	char why[160];
	put64le(av, 0xffff80396c1acc90ULL);
	EXPECT_INT(check_one(&x86, below_direct_map, "anon_vma", av, sizeof(av), why, sizeof(why)),
		   1);
	EXPECT_STR(why, "root: not a kernel address (0xffff80396c1acc90, in the kernel half)");
	put64le(av, 0xffff7c396c1acc90ULL);
	EXPECT_INT(check_one(&x86, below_direct_map, "anon_vma", av, sizeof(av), why, sizeof(why)),
		   1);
	EXPECT_STR(why, "root: not a kernel address (non-canonical 0xffff7c396c1acc90)");
}

// 6.9 .. 6.11 keep page types in enum pagetype as inverted bits under a
// PAGE_TYPE_BASE enumerator, and 6.10 made PG_slab one of them.  No lab
// kernel has that scheme: 6.12's fixture with 6.10-style enumerators.
struct enum_override {
	struct dms_layout inner;
};

static struct dms_error *ov_size(void *ctx, const char *type, uint64_t *ret)
{
	struct enum_override *o = ctx;
	return dms_layout_type_size(&o->inner, type, ret);
}

static struct dms_error *ov_member(void *ctx, const char *type, const char *path, uint64_t *off,
				   uint64_t *size)
{
	struct enum_override *o = ctx;
	return dms_layout_member(&o->inner, type, path, off, size);
}

static struct dms_error *ov_enum(void *ctx, const char *name, int64_t *ret)
{
	(void)ctx;
	static const struct {
		const char *name;
		int64_t v;
	} e[] = {
		{ "PAGE_TYPE_BASE", 0x80000000 },
		{ "PG_buddy", 0x40000000 },
		{ "PG_table", 0x10000000 },
		{ "PG_slab", 0x02000000 },
		{ "PG_head", 6 },
		{ "PG_reserved", 13 },
	};
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		if (!strcmp(e[i].name, name)) {
			*ret = e[i].v;
			return NULL;
		}
	}
	return dms_error_create(DMS_ERR_NOT_FOUND, "%s", name);
}

static struct dms_error *ov_bitfield(void *ctx, const char *type, const char *path, uint64_t *off,
				     uint64_t *size)
{
	struct enum_override *o = ctx;
	return dms_layout_bitfield(&o->inner, type, path, off, size);
}

static const struct dms_layout_ops ov_ops = { ov_size, ov_member, ov_enum, ov_bitfield };

static void kfacts_fill_enum_pagetype_inverted(void)
{
	struct jsonlayout *jl = jsonlayout_load(R612);
	EXPECT_TRUE(jl != NULL);
	struct enum_override o = { jsonlayout_provider(jl) };
	struct dms_layout l = { &ov_ops, &o };
	struct dms_kfacts_env env;
	env_fake(&env);
	struct dms_kfacts kf;
	struct dms_error *err = dms_kfacts_fill(&l, &env, &kf);
	jsonlayout_free(jl);
	EXPECT_TRUE(err == NULL);
	// PG_slab is a page type here, not a flag bit.
	EXPECT_TRUE(kf.pg_slab == DMS_KF_NONE);
	EXPECT_INT(kf.pgty_scheme, DMS_KF_PGTY_INVERTED);
	EXPECT_TRUE(kf.pgty_slab.present);
	EXPECT_UINT(kf.pgty_slab.mask, 0x82000000);
	EXPECT_UINT(kf.pgty_slab.value, 0x80000000);
	EXPECT_UINT(kf.pgty_table.mask, 0x90000000);
	EXPECT_UINT(kf.pgty_buddy.mask, 0xc0000000);
	EXPECT_TRUE(strstr(kf.pgty_slab.src, "debuginfo") != NULL);
	EXPECT_TRUE(kf.slab_ok);
	// A slab page's page_type: all ones but the PG_slab bit.
	uint8_t pg[64];
	memset(pg, 0, sizeof(pg));
	uint32_t t = ~0x02000000u;
	memcpy(pg + kf.page_type, &t, 4);
	EXPECT_TRUE(dms_page_is_slab(&kf, pg));
	t = ~0x10000000u;
	memcpy(pg + kf.page_type, &t, 4);
	EXPECT_FALSE(dms_page_is_slab(&kf, pg));
}

// 6.1 has no vm_rcu: the rule set's rcu_head stays unresolved.
static void kfacts_fixture_vm_rcu_absent_before_6_4(void)
{
	struct jsonlayout *jl = jsonlayout_load(R61);
	EXPECT_TRUE(jl != NULL);
	struct dms_layout l = jsonlayout_provider(jl);
	uint64_t off, size;
	struct dms_error *err = dms_layout_member(&l, "vm_area_struct", "vm_rcu", &off, &size);
	size_t un = jsonlayout_unrecorded(jl, NULL);
	jsonlayout_free(jl);
	EXPECT_TRUE(err != NULL);
	EXPECT_INT(err->code, DMS_ERR_NOT_FOUND);
	dms_error_destroy(err);
	EXPECT_INT(un, 0);
}

const struct dms_test kfacts_tests[] = {
	TEST_ENTRY(kfacts_fill_5_10_struct_page_slab),
	TEST_ENTRY(kfacts_fill_6_1_struct_slab),
	TEST_ENTRY(kfacts_fill_6_12_page_type),
	TEST_ENTRY(kfacts_fill_absent_env_disables),
	TEST_ENTRY(kfacts_fixture_vm_rcu_absent_before_6_4),
	TEST_ENTRY(kfacts_fill_enum_pagetype_inverted),
	TEST_ENTRY(owner_page_6_12_slab_by_page_type),
	TEST_ENTRY(slub_lookup_page_type_scheme),
	TEST_ENTRY(slub_create_from_kfacts_6_1),
	TEST_ENTRY(kfacts_fill_counters_and_vm_flags_per_series),
	TEST_ENTRY(kfacts_fill_maple_per_series),
	TEST_ENTRY(kf_kernel_ptr_x86_64_by_paging_level),
	TEST_ENTRY(kf_kernel_ptr_arm64_ranges_and_tags),
	TEST_ENTRY(kf_direct_map_by_physical_start),
	TEST_ENTRY(objcheck_task_size_and_pointers_per_target),
	TEST_ENTRY(objcheck_unmapped_kernel_half_not_noncanonical),
	TEST_ENTRY(kfacts_fill_counters_series_fallback),
	TEST_ENTRY(objcheck_vma_rcu_pending_not_checked),
	{ NULL, NULL },
};
