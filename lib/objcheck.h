// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: type-aware checks of slab objects, driven by a table.
//
// A rule set names a cache and lists field checks: {member path, offset,
// kind}.  lib ships a default table (vm_area_struct, filp, dentry,
// anon_vma, mm_struct, cred) with every offset unresolved (-1); the glue
// fills offsets from debuginfo once (MEMBER_OFFSET of rules->type and
// check->field) and, where a kernel variable holds the cache
// (vm_area_cachep), the cache address.  A check whose offset is still -1 is
// skipped.  Adding a type = adding a table entry.
#ifndef DMS_OBJCHECK_H
#define DMS_OBJCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "error.h"
#include "layout.h"
#include "slub.h"

enum dms_check_kind {
	// A user-space address: value <= user_limit (and aligned).
	DMS_CHECK_USER_ADDR,
	// A kernel address (env.kernel_ptr, or the target's kernel range).
	DMS_CHECK_KERNEL_PTR,
	// Points into an allocated slab object of any cache.
	DMS_CHECK_SLAB_PTR,
	// Points to an allocated object of cache `target`, at target_offset.
	DMS_CHECK_OBJECT_PTR,
	// value < value of field `other` of the same rule set.
	DMS_CHECK_LESS,
	// No bits outside mask.
	DMS_CHECK_FLAGS,
	// min <= value <= max.
	DMS_CHECK_RANGE,
};

struct dms_field_check {
	// Member path in rules->type, dots for nesting ("f_path.dentry").
	const char *field;
	// Filled by the glue; -1: unresolved, the check is skipped.
	int32_t offset;
	// Bytes: 8, 4, 2 or 1 (the glue may set MEMBER_SIZE); 0 means 8.
	uint8_t size;
	enum dms_check_kind kind;
	bool nullable;
	// Required alignment (power of two), 0 for none.
	uint64_t align;
	// OBJECT_PTR: cache name and offset of the pointed-to member.
	const char *target;
	int64_t target_offset;
	// LESS: the other field.
	const char *other;
	// FLAGS: allowed bits; RANGE: bounds.
	uint64_t mask, min, max;
	// FLAGS: the allowed bits are a kernel fact instead of mask (the
	// env's kf; a kernel without the fact skips the check).
	enum dms_check_mask {
		DMS_MASK_GIVEN,
		// kf->vm_flags_mask: the VM_* bits of the kernel's series.
		DMS_MASK_VM_FLAGS,
	} mask_from;
};

struct dms_cache_rules {
	// Cache name (slab_caches) and struct type.
	const char *cache;
	const char *type;
	// Kernel variable holding the struct kmem_cache pointer, or NULL.
	const char *cache_var;
	// Filled by the glue from cache_var; 0: match the cache by name.
	uint64_t cache_addr;
	struct dms_field_check *checks;
	size_t nchecks;
	// An rcu_head the kernel lays over other fields while the object
	// waits for its RCU free (vm_area_struct.vm_rcu over vm_start/vm_end,
	// 6.4+), or NULL.  rcu_offset is valid when rcu_resolved (the glue
	// sets both; a kernel without the member leaves it unresolved).
	const char *rcu_field;
	int32_t rcu_offset;
	bool rcu_resolved;
	// The kernel has the type (set by dms_objcheck_resolve()).
	bool present;
};

struct dms_kfacts;

struct dms_objcheck_env {
	// The kernel facts (may be NULL): the target's user limit and pointer
	// rules, fact-derived masks.
	const struct dms_kfacts *kf;
	// Highest user address or task_size; 0: kf->user_limit (none: user
	// address checks are skipped).
	uint64_t user_limit;
	// Optional: is this a kernel address (any kind)?  Without it, the
	// target's kernel range (kf); without both, kernel checks pass.
	dms_ptr_fn *kernel_ptr;
	void *arg;
};

struct dms_objcheck;

/**
 * Create a checker with a private, mutable copy of the default table.
 * slub (may be NULL: pointer-to-cache checks are then skipped) must
 * outlive the checker.
 */
struct dms_error *dms_objcheck_create(struct dms_slub *slub, const struct dms_objcheck_env *env,
				      struct dms_objcheck **ret);

/** Destroy a checker; accepts NULL. */
void dms_objcheck_destroy(struct dms_objcheck *oc);

/** Rule sets, mutable so the glue can fill offsets and cache addresses. */
size_t dms_objcheck_num_rules(const struct dms_objcheck *oc);
struct dms_cache_rules *dms_objcheck_rules_at(struct dms_objcheck *oc, size_t i);

/**
 * Resolve every rule set through a layout provider: whether the kernel has
 * the type, each check's offset and size (1, 2, 4 or 8 bytes; else the
 * default 8), and the rcu_head's offset (resolved when it is 16 bytes or
 * more).  What the kernel lacks stays unresolved (-1): that check is
 * skipped.  Returns the first provider error other than "not found".
 */
struct dms_error *dms_objcheck_resolve(struct dms_objcheck *oc, const struct dms_layout *layout);

/** Add a rule set (deep copy; strings must be static or outlive oc). */
struct dms_error *dms_objcheck_add_rules(struct dms_objcheck *oc,
					 const struct dms_cache_rules *rules);

/**
 * The rule set for a cache (by cache_addr, else by name or alias), or NULL.
 * A cache merged with others (SLAB_MERGE_DEFAULT) mixes types: a rule set
 * found by cache_addr on a cache whose name differs says so in *merged.  A
 * cache the kernel says others share (refcount above 1) gets no rule set
 * and *merged: its objects' type is unknown, an object of another type is
 * not a corrupted one.
 */
const struct dms_cache_rules *dms_objcheck_rules_for(const struct dms_objcheck *oc,
						     const struct dms_slub_cache *cache,
						     bool *merged);

struct dms_objcheck_failure {
	const struct dms_field_check *check;
	// Address of the field and its value.
	uint64_t addr, value;
	// What the value looks like (dms_classify_word).
	enum dms_class cls;
	// "vm_mm: not a kernel address (upper half overwritten: 0x45000054)".
	char reason[160];
};

/**
 * Is the object waiting for its RCU free?  Its rule set's rcu_head holds a
 * callback in the kernel image (func) and a NULL or kernel next pointer.
 * Such an object is allocated for SLUB but its overlaid fields are not
 * what the type says (needs env.kernel_ptr; false without it).
 */
bool dms_objcheck_rcu_pending(const struct dms_objcheck *oc, const struct dms_cache_rules *rules,
			      const uint8_t *obj, size_t len);

/**
 * Check the object at addr whose bytes are obj[0..len).  An object waiting
 * for its RCU free (dms_objcheck_rcu_pending) is not checked: no failures.  Up to max failures
 * go to ret[], their count (also beyond max) to *nret.  Fields beyond len
 * are skipped.
 */
struct dms_error *dms_objcheck_object(struct dms_objcheck *oc, const struct dms_cache_rules *rules,
				      uint64_t addr, const uint8_t *obj, size_t len,
				      struct dms_objcheck_failure *ret, size_t max, size_t *nret);

#endif // DMS_OBJCHECK_H
