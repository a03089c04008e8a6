// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: table-driven object checks (see objcheck.h).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfacts.h"
#include "objcheck.h"

#define PAGE_ALIGN 4096

// The default table.  Member names are those of Linux 6.1; a kernel where
// one is missing leaves that check unresolved (skipped).
#define U(f, al)                                                                                   \
	{                                                                                          \
		.field = f, .offset = -1, .kind = DMS_CHECK_USER_ADDR, .align = al                 \
	}
#define K(f, null)                                                                                 \
	{                                                                                          \
		.field = f, .offset = -1, .kind = DMS_CHECK_KERNEL_PTR, .nullable = null           \
	}
#define S(f, null)                                                                                 \
	{                                                                                          \
		.field = f, .offset = -1, .kind = DMS_CHECK_SLAB_PTR, .nullable = null             \
	}
#define O(f, t, null)                                                                              \
	{                                                                                          \
		.field = f, .offset = -1, .kind = DMS_CHECK_OBJECT_PTR, .target = t,               \
		.nullable = null                                                                   \
	}

static const struct dms_field_check vma_checks[] = {
	U("vm_start", PAGE_ALIGN),
	U("vm_end", PAGE_ALIGN),
	{ .field = "vm_start", .offset = -1, .kind = DMS_CHECK_LESS, .other = "vm_end" },
	O("vm_mm", "mm_struct", false),
	// VM_* bits: a kernel fact (the series table of kfacts.c).
	{ .field = "vm_flags",
	  .offset = -1,
	  .kind = DMS_CHECK_FLAGS,
	  .mask_from = DMS_MASK_VM_FLAGS },
	O("vm_file", "filp", true),
	O("anon_vma", "anon_vma", true),
	K("vm_ops", true),
};

static const struct dms_field_check filp_checks[] = {
	S("f_path.mnt", false), O("f_path.dentry", "dentry", false),
	S("f_inode", false),	K("f_op", false),
	S("f_mapping", true),	O("f_cred", "cred_jar", false),
};

static const struct dms_field_check dentry_checks[] = {
	O("d_parent", "dentry", false),
	K("d_name.name", false),
	S("d_inode", true),
	K("d_op", true),
	S("d_sb", false),
};

static const struct dms_field_check anon_vma_checks[] = {
	O("root", "anon_vma", false),
	O("parent", "anon_vma", false),
};

static const struct dms_field_check mm_checks[] = {
	{ .field = "pgd", .offset = -1, .kind = DMS_CHECK_KERNEL_PTR, .align = PAGE_ALIGN },
	U("mmap_base", PAGE_ALIGN),
	U("task_size", PAGE_ALIGN),
};

static const struct dms_field_check cred_checks[] = {
	S("user", false),
	K("user_ns", false),
};

#undef U
#undef K
#undef S
#undef O

#define RULES_RCU(c, t, v, a, r)                                                                   \
	{                                                                                          \
		.cache = c, .type = t, .cache_var = v, .checks = (struct dms_field_check *)a,      \
		.nchecks = sizeof(a) / sizeof(a[0]), .rcu_field = r, .rcu_offset = -1              \
	}
#define RULES(c, t, v, a) RULES_RCU(c, t, v, a, NULL)
static const struct dms_cache_rules default_rules[] = {
	RULES_RCU("vm_area_struct", "vm_area_struct", "vm_area_cachep", vma_checks, "vm_rcu"),
	RULES("filp", "file", "filp_cachep", filp_checks),
	RULES("dentry", "dentry", "dentry_cache", dentry_checks),
	RULES("anon_vma", "anon_vma", "anon_vma_cachep", anon_vma_checks),
	RULES("mm_struct", "mm_struct", "mm_cachep", mm_checks),
	RULES("cred_jar", "cred", "cred_jar", cred_checks),
};
#undef RULES
#undef RULES_RCU

struct dms_objcheck {
	struct dms_slub *slub;
	struct dms_objcheck_env env;
	struct dms_cache_rules *rules;
	size_t nrules;
};

struct dms_error *dms_objcheck_add_rules(struct dms_objcheck *oc,
					 const struct dms_cache_rules *rules)
{
	struct dms_cache_rules *nr = realloc(oc->rules, (oc->nrules + 1) * sizeof(*nr));
	if (!nr)
		return &dms_enomem;
	oc->rules = nr;
	struct dms_field_check *checks = NULL;
	if (rules->nchecks) {
		checks = malloc(rules->nchecks * sizeof(*checks));
		if (!checks)
			return &dms_enomem;
		memcpy(checks, rules->checks, rules->nchecks * sizeof(*checks));
	}
	nr[oc->nrules] = *rules;
	nr[oc->nrules].checks = checks;
	oc->nrules++;
	return NULL;
}

struct dms_error *dms_objcheck_create(struct dms_slub *slub, const struct dms_objcheck_env *env,
				      struct dms_objcheck **ret)
{
	struct dms_objcheck *oc = calloc(1, sizeof(*oc));
	if (!oc)
		return &dms_enomem;
	oc->slub = slub;
	if (env)
		oc->env = *env;
	// The target's user limit (x86-64 TASK_SIZE_MAX; arm64 1 << va_bits:
	// mm_struct.task_size reaches it exactly); none: user checks skipped.
	if (!oc->env.user_limit && oc->env.kf)
		oc->env.user_limit = oc->env.kf->user_limit;
	for (size_t i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]); i++) {
		struct dms_error *err = dms_objcheck_add_rules(oc, &default_rules[i]);
		if (err) {
			dms_objcheck_destroy(oc);
			return err;
		}
	}
	*ret = oc;
	return NULL;
}

void dms_objcheck_destroy(struct dms_objcheck *oc)
{
	if (!oc)
		return;
	for (size_t i = 0; i < oc->nrules; i++)
		free(oc->rules[i].checks);
	free(oc->rules);
	free(oc);
}

size_t dms_objcheck_num_rules(const struct dms_objcheck *oc)
{
	return oc->nrules;
}

struct dms_cache_rules *dms_objcheck_rules_at(struct dms_objcheck *oc, size_t i)
{
	return i < oc->nrules ? &oc->rules[i] : NULL;
}

static bool cache_has_name(const struct dms_slub_cache *c, const char *name)
{
	if (!strcmp(c->name, name))
		return true;
	for (size_t i = 0; i < c->naliases; i++) {
		if (!strcmp(c->aliases[i], name))
			return true;
	}
	return false;
}

const struct dms_cache_rules *dms_objcheck_rules_for(const struct dms_objcheck *oc,
						     const struct dms_slub_cache *cache,
						     bool *merged)
{
	if (merged)
		*merged = cache->refcount > 1;
	if (cache->refcount > 1)
		return NULL; // objects of several types: no type rules
	for (size_t i = 0; i < oc->nrules; i++) {
		if (oc->rules[i].cache_addr && oc->rules[i].cache_addr == cache->addr) {
			if (merged)
				*merged = strcmp(cache->name, oc->rules[i].cache) != 0;
			return &oc->rules[i];
		}
	}
	for (size_t i = 0; i < oc->nrules; i++) {
		if (!oc->rules[i].cache_addr && cache_has_name(cache, oc->rules[i].cache))
			return &oc->rules[i];
	}
	return NULL;
}

// Address of the cache called name: a rule set's cache_addr, else slab_caches.
static uint64_t target_cache(const struct dms_objcheck *oc, const char *name)
{
	for (size_t i = 0; i < oc->nrules; i++) {
		if (oc->rules[i].cache_addr && !strcmp(oc->rules[i].cache, name))
			return oc->rules[i].cache_addr;
	}
	const struct dms_slub_cache *c = oc->slub ? dms_slub_cache_by_name(oc->slub, name) : NULL;
	return c ? c->addr : 0;
}

// A member's offset and size; false (offset -1) when absent.  Keeps the
// first error that is not "not found" in *err.
static bool resolve_member(const struct dms_layout *l, const char *type, const char *path,
			   int32_t *off, uint64_t *size, struct dms_error **err)
{
	uint64_t o, sz;
	*off = -1;
	*size = 0;
	struct dms_error *e = dms_layout_member(l, type, path, &o, &sz);
	if (e) {
		if (e->code != DMS_ERR_NOT_FOUND && !*err)
			*err = e;
		else
			dms_error_destroy(e);
		return false;
	}
	if (o > INT32_MAX)
		return false;
	*off = (int32_t)o;
	*size = sz;
	return true;
}

struct dms_error *dms_objcheck_resolve(struct dms_objcheck *oc, const struct dms_layout *layout)
{
	struct dms_error *err = NULL;
	for (size_t i = 0; i < oc->nrules; i++) {
		struct dms_cache_rules *r = &oc->rules[i];
		uint64_t size;
		struct dms_error *e = dms_layout_type_size(layout, r->type, &size);
		r->present = !e;
		if (e && e->code != DMS_ERR_NOT_FOUND && !err)
			err = e;
		else
			dms_error_destroy(e);
		if (!r->present)
			continue;
		if (r->rcu_field) {
			resolve_member(layout, r->type, r->rcu_field, &r->rcu_offset, &size, &err);
			r->rcu_resolved = r->rcu_offset >= 0 && size >= 16;
		}
		for (size_t j = 0; j < r->nchecks; j++) {
			struct dms_field_check *ck = &r->checks[j];
			if (resolve_member(layout, r->type, ck->field, &ck->offset, &size, &err) &&
			    (size == 1 || size == 2 || size == 4 || size == 8))
				ck->size = (uint8_t)size;
		}
	}
	return err;
}

static bool is_kernel(const struct dms_objcheck *oc, uint64_t v)
{
	if (oc->env.kernel_ptr) {
		struct dms_ptr_info pi;
		return oc->env.kernel_ptr(v, oc->env.arg, &pi);
	}
	// The target's kernel range; an unknown target cannot tell (not a
	// failure).
	if (oc->env.kf && dms_kf_kernel_min(oc->env.kf))
		return dms_kf_kernel_ptr(oc->env.kf, v);
	return true;
}

// How a value that should be a kernel (or user) address is not one.  Only the
// target's address rules call a value non-canonical: 0xffffffffffffffff is a
// canonical kernel-half address that maps nothing.
static void describe_bad(const struct dms_kfacts *kf, uint64_t v, unsigned int size, char *buf,
			 size_t n)
{
	// Without the table: x86-64's rule with 48 bits (lib/vaddr.h).
	struct dms_vaddr va;
	if (kf)
		va.kind = dms_kf_vaddr_kind(kf, v);
	else
		dms_vaddr_classify(DMS_ARCH_UNKNOWN, 0, v, &va);
	char text[9];
	size_t printable = 0;
	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		printable += b >= 0x20 && b < 0x7f;
		text[i] = b >= 0x20 && b < 0x7f && b != '"' ? (char)b : '.';
	}
	text[size < 8 ? size : 8] = '\0';
	uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
	if (size == 8 && printable == 8)
		snprintf(buf, n, "ASCII \"%s\"", text);
	else if (size == 8 && hi >> 16 != 0xffff && hi && (lo & 7) == 0 &&
		 va.kind == DMS_VADDR_NONCANONICAL)
		snprintf(buf, n, "upper half overwritten: %#010x", hi);
	else if (size == 8 && va.kind == DMS_VADDR_NONCANONICAL)
		snprintf(buf, n, "%s %#llx", kf ? dms_kf_noncanonical_name(kf) : "non-canonical",
			 (unsigned long long)v);
	else if (size == 8 && va.kind == DMS_VADDR_KERNEL)
		snprintf(buf, n, "%#llx, in the kernel half", (unsigned long long)v);
	else if (!hi)
		snprintf(buf, n, "a small value %#x", lo);
	else
		snprintf(buf, n, "%#llx", (unsigned long long)v);
}

static uint64_t field_value(const struct dms_field_check *ck, const uint8_t *obj)
{
	unsigned int size = ck->size ? ck->size : 8;
	uint64_t v = 0;
	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)obj[ck->offset + i] << (8 * i);
	return v;
}

static bool field_ok(const struct dms_field_check *ck, size_t len)
{
	unsigned int size = ck->size ? ck->size : 8;
	return ck->offset >= 0 && size <= 8 && (size_t)ck->offset + size <= len;
}

// Check a pointer that must be a slab object (of cache want, if non-zero).
// Returns false with a reason.  NULL/kernel checks are done by the caller.
static struct dms_error *check_slab_ptr(struct dms_objcheck *oc, const struct dms_field_check *ck,
					uint64_t v, uint64_t want, bool *ok, char *why, size_t n)
{
	struct dms_slub_obj o;
	*ok = true;
	struct dms_error *err = dms_slub_lookup(oc->slub, v, &o);
	if (err)
		return err;
	const char *t = ck->target ? ck->target : "slab";
	switch (o.where) {
	case DMS_SLUB_WHERE_UNKNOWN:
	case DMS_SLUB_WHERE_BAD_PAGE:
	case DMS_SLUB_WHERE_BAD_SLAB:
		// cannot tell (no struct page, a garbage one, a slab of an unknown
		// cache: its object boundaries are unknown): not a failure; the
		// slab walk reports the slab itself.
		return NULL;
	case DMS_SLUB_WHERE_NOT_SLAB:
		*ok = false;
		snprintf(why, n, "%#llx is not in a slab object", (unsigned long long)v);
		return NULL;
	case DMS_SLUB_WHERE_SLAB_TAIL:
		*ok = false;
		snprintf(why, n, "%#llx is in a slab page but not in an object",
			 (unsigned long long)v);
		return NULL;
	case DMS_SLUB_WHERE_OBJECT:
		break;
	}
	const char *cname = o.cache ? o.cache->name : "?";
	if (want && o.cache_addr != want) {
		*ok = false;
		snprintf(why, n, "%#llx points into %s (object %#llx%+lld), not a %s",
			 (unsigned long long)v, cname, (unsigned long long)o.object,
			 (long long)o.offset, t);
	} else if (want && o.offset != ck->target_offset) {
		*ok = false;
		snprintf(why, n, "%#llx points at %+lld inside a %s, not at %+lld",
			 (unsigned long long)v, (long long)o.offset, t,
			 (long long)ck->target_offset);
	} else if (o.state == DMS_SLUB_FREE || o.state == DMS_SLUB_FREE_CPU) {
		*ok = false;
		snprintf(why, n, "%#llx points to a free %s object %#llx (use after free)",
			 (unsigned long long)v, cname, (unsigned long long)o.object);
	}
	return NULL;
}

bool dms_objcheck_rcu_pending(const struct dms_objcheck *oc, const struct dms_cache_rules *rules,
			      const uint8_t *obj, size_t len)
{
	if (!rules->rcu_field || !rules->rcu_resolved || rules->rcu_offset < 0 ||
	    (size_t)rules->rcu_offset + 16 > len || !oc->env.kernel_ptr)
		return false;
	uint64_t next = 0, func = 0;
	for (int i = 7; i >= 0; i--) {
		next = next << 8 | obj[rules->rcu_offset + i];
		func = func << 8 | obj[rules->rcu_offset + 8 + i];
	}
	// struct rcu_head { next; func; }: the callback is kernel (or module)
	// text; next is NULL or another rcu_head.
	struct dms_ptr_info pi;
	if (!oc->env.kernel_ptr(func, oc->env.arg, &pi) ||
	    (pi.kind != DMS_PTR_KERNEL_IMAGE && pi.kind != DMS_PTR_MODULE))
		return false;
	return !next || oc->env.kernel_ptr(next, oc->env.arg, &pi);
}

struct dms_error *dms_objcheck_object(struct dms_objcheck *oc, const struct dms_cache_rules *rules,
				      uint64_t addr, const uint8_t *obj, size_t len,
				      struct dms_objcheck_failure *ret, size_t max, size_t *nret)
{
	*nret = 0;
	if (dms_objcheck_rcu_pending(oc, rules, obj, len))
		return NULL;
	struct dms_classify_config ccfg = { .pointer = oc->env.kernel_ptr,
					    .arg = oc->env.arg,
					    .kf = oc->env.kf };
	for (size_t i = 0; i < rules->nchecks; i++) {
		const struct dms_field_check *ck = &rules->checks[i];
		if (!field_ok(ck, len))
			continue;
		unsigned int size = ck->size ? ck->size : 8;
		uint64_t v = field_value(ck, obj);
		char why[128] = "";
		bool bad = false;
		switch (ck->kind) {
		case DMS_CHECK_USER_ADDR:
			if (!oc->env.user_limit)
				continue; // the target's user limit is unknown
			if (v > oc->env.user_limit) {
				char d[96];
				describe_bad(oc->env.kf, v, size, d, sizeof(d));
				snprintf(why, sizeof(why), "not a user address (%s)", d);
				bad = true;
			}
			break;
		case DMS_CHECK_KERNEL_PTR:
		case DMS_CHECK_SLAB_PTR:
		case DMS_CHECK_OBJECT_PTR:
			if (!v) {
				bad = !ck->nullable;
				snprintf(why, sizeof(why), "NULL");
				break;
			}
			if (!is_kernel(oc, v)) {
				char d[96];
				describe_bad(oc->env.kf, v, size, d, sizeof(d));
				snprintf(why, sizeof(why), "not a kernel address (%s)", d);
				bad = true;
				break;
			}
			if (ck->kind != DMS_CHECK_KERNEL_PTR && oc->slub) {
				uint64_t want = 0;
				if (ck->kind == DMS_CHECK_OBJECT_PTR) {
					want = target_cache(oc, ck->target);
					if (!want)
						break; // target cache unknown: cannot tell
				}
				bool ok;
				struct dms_error *err =
					check_slab_ptr(oc, ck, v, want, &ok, why, sizeof(why));
				if (err)
					return err;
				bad = !ok;
			}
			break;
		case DMS_CHECK_LESS:
			for (size_t j = 0; j < rules->nchecks; j++) {
				const struct dms_field_check *o = &rules->checks[j];
				if (j == i || strcmp(o->field, ck->other) || !field_ok(o, len))
					continue;
				uint64_t w = field_value(o, obj);
				if (!(v < w)) {
					snprintf(why, sizeof(why), "%#llx is not below %s %#llx",
						 (unsigned long long)v, ck->other,
						 (unsigned long long)w);
					bad = true;
				}
				break;
			}
			break;
		case DMS_CHECK_FLAGS: {
			uint64_t mask = ck->mask;
			if (ck->mask_from == DMS_MASK_VM_FLAGS) {
				mask = oc->env.kf ? oc->env.kf->vm_flags_mask : 0;
				if (!mask)
					continue; // the kernel's VM_* bits are unknown
			}
			if (v & ~mask) {
				snprintf(why, sizeof(why), "unknown flag bits %#llx set (%#llx)",
					 (unsigned long long)(v & ~mask), (unsigned long long)v);
				bad = true;
			}
			break;
		}
		case DMS_CHECK_RANGE:
			if (v < ck->min || v > ck->max) {
				snprintf(why, sizeof(why), "%#llx outside %#llx..%#llx",
					 (unsigned long long)v, (unsigned long long)ck->min,
					 (unsigned long long)ck->max);
				bad = true;
			}
			break;
		}
		if (!bad && ck->align && v % ck->align && ck->kind != DMS_CHECK_LESS) {
			snprintf(why, sizeof(why), "%#llx is not %llu-byte aligned",
				 (unsigned long long)v, (unsigned long long)ck->align);
			bad = true;
		}
		if (!bad)
			continue;
		if (*nret < max) {
			struct dms_objcheck_failure *f = &ret[*nret];
			f->check = ck;
			f->addr = addr + (uint64_t)ck->offset;
			f->value = v;
			f->cls = dms_classify_word(v, &ccfg, NULL);
			snprintf(f->reason, sizeof(f->reason), "%s: %s", ck->field, why);
		}
		(*nret)++;
	}
	return NULL;
}
