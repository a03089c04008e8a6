// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "objcheck.h"
#include "slub.h"
#include "slub_fake.h"
#include "test.h"

// Fake kernel: vm_area_struct (192), mm_struct (1024, order 1), filp (256),
// kmalloc-256, anon_vma (128).  One slab each; in mm_struct object 3 is free.
struct env {
	struct fake *f;
	struct dms_slub *slub;
	struct dms_objcheck *oc;
	const struct dms_cache_rules *vma;
	uint64_t vma_obj, mm_obj, mm_free, filp_obj, kmalloc_obj;
};

#define PFN_VMA (FAKE_SLAB_PFN)
#define PFN_MM (FAKE_SLAB_PFN + 2)
#define PFN_FILP (FAKE_SLAB_PFN + 4)
#define PFN_KM (FAKE_SLAB_PFN + 5)
#define PFN_AV (FAKE_SLAB_PFN + 6)

static void set_offset(struct dms_cache_rules *r, const char *field, int32_t off)
{
	for (size_t i = 0; i < r->nchecks; i++) {
		if (!strcmp(r->checks[i].field, field))
			r->checks[i].offset = off;
	}
}

static struct dms_error *env_create_with(struct env *e, const struct dms_objcheck_env *extra)
{
	memset(e, 0, sizeof(*e));
	e->f = fake_create(DMS_SLUB_FP_XOR_SWAB);
	if (!e->f)
		return &dms_enomem;
	struct fake *f = e->f;
	uint64_t vma = fake_cache(f, "vm_area_struct", 192, 152, 80, 0, 0);
	uint64_t mm = fake_cache(f, "mm_struct", 1024, 1000, 512, 1, 0);
	uint64_t filp = fake_cache(f, "filp", 256, 232, 120, 0, 0);
	uint64_t km = fake_cache(f, "kmalloc-256", 256, 256, 128, 0, 0);
	uint64_t av = fake_cache(f, "anon_vma", 128, 120, 64, 0, 0);
	static const uint32_t mm_free[] = { 3 };
	fake_slab(f, vma, PFN_VMA, NULL, 0, 0);
	fake_slab(f, mm, PFN_MM, mm_free, 1, 0);
	fake_slab(f, filp, PFN_FILP, NULL, 0, 0);
	fake_slab(f, km, PFN_KM, NULL, 0, 0);
	fake_slab(f, av, PFN_AV, NULL, 0, 0);
	e->vma_obj = fake_obj(f, vma, PFN_VMA, 4);
	e->mm_obj = fake_obj(f, mm, PFN_MM, 1);
	e->mm_free = fake_obj(f, mm, PFN_MM, 3);
	e->filp_obj = fake_obj(f, filp, PFN_FILP, 2);
	e->kmalloc_obj = fake_obj(f, km, PFN_KM, 5);
	// A sane VMA.
	fake_w64(f, e->vma_obj + 0, 0x7f1234560000ULL);
	fake_w64(f, e->vma_obj + 8, 0x7f1234589000ULL);
	fake_w64(f, e->vma_obj + 16, e->mm_obj);
	fake_w64(f, e->vma_obj + 32, 0x8100073); // VM_READ|WRITE|MAYxx|ACCOUNT
	fake_w64(f, e->vma_obj + 88, fake_obj(f, av, PFN_AV, 7));
	fake_w64(f, e->vma_obj + 96, 0xffffffff82a1b2c0ULL);
	fake_w64(f, e->vma_obj + 112, e->filp_obj);

	struct dms_error *err = fake_model(f, &e->slub);
	// The fake follows 6.1: VM_* bits 0..37 (the series table's row).
	f->kf.vm_flags_mask = (1ULL << 38) - 1;
	struct dms_objcheck_env oenv = { .kf = &f->kf };
	if (extra) { // a test's own address rules and pointer predicate
		f->kf.arch = extra->kf->arch;
		f->kf.va_bits = extra->kf->va_bits;
		oenv.kernel_ptr = extra->kernel_ptr;
		oenv.arg = extra->arg;
	}
	if (!err)
		err = dms_objcheck_create(e->slub, &oenv, &e->oc);
	if (err)
		return err;
	for (size_t i = 0; i < dms_objcheck_num_rules(e->oc); i++) {
		struct dms_cache_rules *r = dms_objcheck_rules_at(e->oc, i);
		if (!strcmp(r->cache, "vm_area_struct")) {
			set_offset(r, "vm_start", 0);
			set_offset(r, "vm_end", 8);
			set_offset(r, "vm_mm", 16);
			set_offset(r, "vm_flags", 32);
			set_offset(r, "anon_vma", 88);
			set_offset(r, "vm_ops", 96);
			set_offset(r, "vm_file", 112);
		}
	}
	e->vma = dms_objcheck_rules_for(e->oc, dms_slub_cache_by_name(e->slub, "vm_area_struct"),
					NULL);
	return e->vma ? NULL : dms_error_create(DMS_ERR_NOT_FOUND, "no vma rules");
}

static struct dms_error *env_create(struct env *e)
{
	return env_create_with(e, NULL);
}

static void env_destroy(struct env *e)
{
	dms_objcheck_destroy(e->oc);
	dms_slub_destroy(e->slub);
	fake_destroy(e->f);
}

// Check the VMA object; failures to ret.
static struct dms_error *check_vma(struct env *e, struct dms_objcheck_failure *ret, size_t *n)
{
	uint8_t obj[192];
	memcpy(obj, e->f->img + fake_pa(e->vma_obj), sizeof(obj));
	dms_slub_flush(e->slub);
	return dms_objcheck_object(e->oc, e->vma, e->vma_obj, obj, sizeof(obj), ret, 8, n);
}

static void dms_objcheck_object_sane_vma(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	struct dms_objcheck_failure fl[8];
	size_t n = 99;
	if (!err)
		err = check_vma(&e, fl, &n);
	env_destroy(&e);
	EXPECT_OK(err);
	if (n)
		EXPECT_STR(fl[0].reason, "(none)");
	EXPECT_INT(n, 0);
}

static void dms_objcheck_object_vm_mm_upper_half_overwritten(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	struct dms_objcheck_failure fl[8];
	size_t n = 0;
	if (!err) {
		// Upper half of vm_mm replaced by IPv4 bytes 45 00 00 54.
		fake_w32(e.f, e.vma_obj + 20, 0x54000045);
		err = check_vma(&e, fl, &n);
	}
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_INT(n, 1);
	EXPECT_STR(fl[0].reason,
		   "vm_mm: not a kernel address (upper half overwritten: 0x54000045)");
	EXPECT_UINT(fl[0].addr, e.vma_obj + 16);
}

// Kernel pointers as the crash glue sees them: the direct map and the kernel image,
// not the all-ones word (nothing maps the last page).
static bool mapped_kernel(uint64_t v, void *arg, struct dms_ptr_info *ret)
{
	(void)arg;
	memset(ret, 0, sizeof(*ret));
	return v >= 0xffff888000000000ULL && v < 0xffffffffc0000000ULL;
}

// 0xffffffffffffffff is canonical (with 48- and 57-bit addresses): not a kernel
// address, and not "non-canonical" (issue 12).
static void dms_objcheck_object_all_ones_is_not_noncanonical(void)
{
	struct dms_kfacts kf = { .arch = DMS_ARCH_X86_64, .va_bits = 57 };
	struct dms_objcheck_env oenv = { .kf = &kf, .kernel_ptr = mapped_kernel };
	struct env e;
	struct dms_error *err = env_create_with(&e, &oenv);
	struct dms_objcheck_failure fl[8];
	size_t n = 0;
	if (!err) {
		fake_w64(e.f, e.vma_obj + 16, 0xffffffffffffffffULL);  // vm_mm
		fake_w64(e.f, e.vma_obj + 112, 0x9a8cd9dbc4374a0dULL); // vm_file
		err = check_vma(&e, fl, &n);
	}
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_INT(n, 2);
	if (n == 2) {
		EXPECT_STR(fl[0].reason,
			   "vm_mm: not a kernel address (0xffffffffffffffff, in the kernel half)");
		EXPECT_STR(fl[1].reason, "vm_file: not a kernel address (non-canonical "
					 "0x9a8cd9dbc4374a0d)");
	}
}

static void dms_objcheck_object_reversed_range_and_ascii(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	struct dms_objcheck_failure fl[8];
	size_t n = 0;
	if (!err) {
		fake_w64(e.f, e.vma_obj + 8, 0x7f1234550000ULL);	   // vm_end below vm_start
		memcpy(e.f->img + fake_pa(e.vma_obj) + 32, "kworker/", 8); // vm_flags
		err = check_vma(&e, fl, &n);
	}
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_INT(n, 2);
	EXPECT_STR(fl[0].reason, "vm_start: 0x7f1234560000 is not below vm_end 0x7f1234550000");
	EXPECT_TRUE(strstr(fl[1].reason, "vm_flags: unknown flag bits") != NULL);
	EXPECT_INT(fl[1].cls, DMS_CLASS_ASCII);
}

// A kernel whose VM_* bits are not known (no series row): vm_flags is not
// checked, whatever it holds.
static void dms_objcheck_object_vm_flags_unknown_skipped(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	struct dms_objcheck_failure fl[8];
	size_t n = 0, n_known = 0;
	if (!err) {
		memcpy(e.f->img + fake_pa(e.vma_obj) + 32, "kworker/", 8); // vm_flags
		err = check_vma(&e, fl, &n_known);
		e.f->kf.vm_flags_mask = 0;
		if (!err)
			err = check_vma(&e, fl, &n);
	}
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_INT(n_known, 1);
	EXPECT_INT(n, 0);
}

static void dms_objcheck_object_pointer_to_wrong_cache(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	struct dms_objcheck_failure fl[8];
	size_t n = 0;
	if (!err) {
		fake_w64(e.f, e.vma_obj + 112, e.kmalloc_obj + 0x10); // vm_file
		fake_w64(e.f, e.vma_obj + 16, e.mm_free);	      // vm_mm freed
		err = check_vma(&e, fl, &n);
	}
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_INT(n, 2);
	EXPECT_TRUE(strstr(fl[0].reason, "vm_mm: ") == fl[0].reason);
	EXPECT_TRUE(strstr(fl[0].reason, "free mm_struct object") != NULL);
	EXPECT_TRUE(strstr(fl[1].reason, "points into kmalloc-256") != NULL);
	EXPECT_TRUE(strstr(fl[1].reason, "not a filp") != NULL);
}

static void dms_objcheck_object_unresolved_offsets_skip(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	struct dms_objcheck_failure fl[8];
	size_t n = 0;
	if (!err) {
		struct dms_cache_rules *r = (struct dms_cache_rules *)e.vma;
		set_offset(r, "vm_mm", -1);
		fake_w64(e.f, e.vma_obj + 16, 0x4141414141414141ULL);
		err = check_vma(&e, fl, &n);
	}
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_INT(n, 0);
}

static void dms_objcheck_rules_for_by_cache_addr_reports_merge(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	bool merged = false;
	const struct dms_cache_rules *r = NULL;
	if (!err) {
		// The glue read vm_area_cachep: it points at kmalloc-256 (merged).
		struct dms_cache_rules *vr = (struct dms_cache_rules *)e.vma;
		const struct dms_slub_cache *km = dms_slub_cache_by_name(e.slub, "kmalloc-256");
		vr->cache_addr = km->addr;
		r = dms_objcheck_rules_for(e.oc, km, &merged);
	}
	const struct dms_cache_rules *want = e.vma;
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_TRUE(r == want);
	EXPECT_TRUE(merged);
}

static void dms_objcheck_rules_for_kernel_shared_cache_none(void)
{
	struct env e;
	struct dms_error *err = env_create(&e);
	bool merged = false, merged1 = true;
	const struct dms_cache_rules *r = NULL, *r1 = NULL;
	if (!err) {
		// kmem_cache.refcount 2: another caller's objects share vm_area_struct's slabs.
		struct dms_slub_cache *c =
			(struct dms_slub_cache *)dms_slub_cache_by_name(e.slub, "vm_area_struct");
		c->refcount = 2;
		r = dms_objcheck_rules_for(e.oc, c, &merged);
		c->refcount = 1;
		r1 = dms_objcheck_rules_for(e.oc, c, &merged1);
	}
	const struct dms_cache_rules *want = e.vma;
	env_destroy(&e);
	EXPECT_OK(err);
	EXPECT_TRUE(r == NULL);
	EXPECT_TRUE(merged);
	EXPECT_TRUE(r1 == want);
	EXPECT_TRUE(!merged1);
}

const struct dms_test objcheck_tests[] = {
	TEST_ENTRY(dms_objcheck_object_sane_vma),
	TEST_ENTRY(dms_objcheck_object_vm_mm_upper_half_overwritten),
	TEST_ENTRY(dms_objcheck_object_all_ones_is_not_noncanonical),
	TEST_ENTRY(dms_objcheck_object_reversed_range_and_ascii),
	TEST_ENTRY(dms_objcheck_object_vm_flags_unknown_skipped),
	TEST_ENTRY(dms_objcheck_object_pointer_to_wrong_cache),
	TEST_ENTRY(dms_objcheck_object_unresolved_offsets_skip),
	TEST_ENTRY(dms_objcheck_rules_for_by_cache_addr_reports_merge),
	TEST_ENTRY(dms_objcheck_rules_for_kernel_shared_cache_none),
	{ NULL, NULL },
};
