// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the kernel facts table (see kfacts.h and docs/kfacts.md).
#include <stdio.h>
#include <string.h>

#include "kfacts.h"

// Derivations for #defines that debuginfo does not hold.  Each is written
// here once, with the kernels it was checked against, and its source string
// says "derived" wherever the fact is shown.

// PAGE_TYPE_BASE while page types were #defines (4.18 .. 6.8; checked in
// the 5.10 and 6.1 headers).  From 6.9 it is an enumerator of enum pagetype.
#define DERIVED_PAGE_TYPE_BASE 0xf0000000u
// PG_buddy while it was a #define (0x80 from 4.18; 5.10 and 6.1 headers).
// Used only when the dump's vmcoreinfo has no PAGE_BUDDY_MAPCOUNT_VALUE.
#define DERIVED_PG_BUDDY 0x00000080u
// PG_table while it was a #define: 0x400 while PG_kmemcg held 0x200
// (4.18 .. 5.10; PG_kmemcg went away with page->memcg_data and enum
// memcg_data_flags in 5.11), 0x200 after (5.11 .. 6.8; 6.1 headers).
#define DERIVED_PG_TABLE_KMEMCG 0x00000400u
#define DERIVED_PG_TABLE 0x00000200u
// POISON_POINTER_DELTA = CONFIG_ILLEGAL_POINTER_VALUE (x86-64 and arm64
// Kconfig default; Debian 5.10, 6.1 and 6.12 configs), and PP_SIGNATURE =
// 0x40 + POISON_POINTER_DELTA (include/linux/poison.h, 5.x .. 6.12).
#define DERIVED_POISON_POINTER_DELTA 0xdead000000000000ull
#define DERIVED_PP_SIGNATURE (0x40 + DERIVED_POISON_POINTER_DELTA)
// slab_flags_t bits while they were #defines (include/linux/slab.h and
// mm/slab.h, 2.6.22 .. 6.9; 5.10 and 6.1 headers): SLAB_RED_ZONE,
// SLAB_POISON, __OBJECT_POISON.  6.10 made them enum _slab_flag_bits.
#define DERIVED_SLAB_RED_ZONE 0x00000400ull
#define DERIVED_SLAB_POISON 0x00000800ull
#define DERIVED_OBJECT_POISON 0x80000000ull

void dms_kfacts_init(struct dms_kfacts *kf)
{
	memset(kf, 0, sizeof(*kf));
	int32_t *offs[] = {
		&kf->page_struct_size,
		&kf->page_flags,
		&kf->page_compound_head,
		&kf->page_mapping,
		&kf->page_private,
		&kf->page_refcount,
		&kf->page_type,
		&kf->page_pp_magic,
		&kf->page_pp,
		&kf->order_off,
		&kf->folio_struct_size,
		&kf->max_order,
		&kf->slab_struct_size,
		&kf->slab_cache,
		&kf->slab_freelist,
		&kf->slab_counters,
		&kf->slab_list,
		&kf->slab_next,
		&kf->kmem_cache_size,
		&kf->s_name,
		&kf->s_size,
		&kf->s_object_size,
		&kf->s_offset,
		&kf->s_random,
		&kf->s_cpu_slab,
		&kf->s_node,
		&kf->s_oo,
		&kf->s_flags,
		&kf->s_list,
		&kf->s_inuse,
		&kf->s_align,
		&kf->s_red_left_pad,
		&kf->s_refcount,
		&kf->s_flags_size,
		&kf->c_freelist,
		&kf->c_slab,
		&kf->c_partial,
		&kf->n_partial,
		&kf->n_nr_partial,
		&kf->nd_struct_size,
		&kf->nd_name,
		&kf->nd_name_size,
		&kf->nd_dev_list,
		&kf->nd_flags,
		&kf->nd_features,
		&kf->nd_hw_features,
		&kf->nd_dev_addr,
		&kf->nd_dev_addr_size,
		&kf->nd_addr_len,
		&kf->nd_netdev_ops,
		&kf->nd_dev,
		&kf->nd_real_num_rx_queues,
		&kf->nd_real_num_tx_queues,
		&kf->dev_parent,
		&kf->dev_driver,
		&kf->dev_iommu_group,
		&kf->drv_name,
		&kf->iommu_list,
		&kf->iommu_dev,
		&kf->dev_kobj,
		&kf->kobj_name,
		&kf->net_dev_base_head,
		&kf->net_ifindex,
		&kf->pp_hold_cnt,
		&kf->pp_release_cnt,
		&kf->irqd_kstat_irqs,
		&kf->irqd_action,
		&kf->irqd_irq_data,
		&kf->irq_data_irq,
		&kf->irqaction_name,
		&kf->xa_head,
		&kf->radix_rnode,
		&kf->mt_root,
		&kf->mr64_pivot,
		&kf->mr64_slot,
		&kf->ma64_pivot,
		&kf->ma64_slot,
	};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		*offs[i] = -1;
	kf->pg_slab = kf->pg_head = kf->pg_reserved = DMS_KF_NONE;
	for (size_t i = 0; i < DMS_KF_F_NUM; i++)
		kf->netif_f[i] = -1;
	kf->counters_inuse_shift = kf->counters_objects_shift = kf->counters_frozen_shift = -1;
	kf->maple_leaf_64 = kf->maple_range_64 = kf->maple_arange_64 = DMS_KF_NONE;
}

// The series table: facts the debuginfo does not hold (#defines), or holds
// in a form a provider may not answer (bit-fields), per range of kernel
// versions [from, to].  A kernel outside every row has the fact absent.
// Each row says which headers or debuginfo it was checked against.

// vm_area_struct.vm_flags: every VM_* bit of include/linux/mm.h (any 64-bit
// architecture: x86 pkeys and shadow stack, arm64 MTE, ...).
static const struct {
	uint32_t from, to;
	uint64_t mask;
	const char *src;
} vm_flags_rows[] = {
	// Bits 0..31, VM_HIGH_ARCH_BIT_0..4 (32..36); VM_UFFD_MINOR (5.13)
	// not yet.  5.10 headers.
	{ DMS_KF_KV(5, 10), DMS_KF_KV(5, 12), (1ull << 37) - 1,
	  "series table: VM_* bits 0..36 (#defines, 5.10..5.12)" },
	// + VM_UFFD_MINOR_BIT 37 (until 6.6 gave bit 37 to VM_HIGH_ARCH_5 and
	// moved it to 38).  6.1 headers.
	{ DMS_KF_KV(5, 13), DMS_KF_KV(6, 5), (1ull << 38) - 1,
	  "series table: VM_* bits 0..37 (#defines, 5.13..6.5)" },
	// VM_HIGH_ARCH_BIT_5 37, VM_UFFD_MINOR_BIT 38,
	// VM_ALLOW_ANY_UNCACHED_BIT 39, VM_DROPPABLE_BIT 40 (6.11), VM_SEALED
	// bit 63 (6.10; moved to 42 in 6.17).  6.12 headers.
	{ DMS_KF_KV(6, 11), DMS_KF_KV(6, 12), ((1ull << 41) - 1) | 1ull << 63,
	  "series table: VM_* bits 0..40 and 63 (#defines, 6.11..6.12)" },
};

// struct slab (struct page before 5.17) counters: inuse:16, objects:15,
// frozen:1 in one 32-bit word since 2.6.22; the bit-fields' positions in the
// 5.10, 6.1 and 6.12 debuginfo.  Used only when the layout provider cannot
// answer bit-field questions.
static const struct {
	uint32_t from, to;
	int8_t inuse, objects, frozen;
	const char *src;
} counters_rows[] = {
	{ DMS_KF_KV(3, 0), DMS_KF_KV(6, 12), 0, 16, 31,
	  "series table: inuse:16, objects:15, frozen:1 (3.0..6.12)" },
};

// Maple tree node pointers (include/linux/maple_tree.h MAPLE_NODE_MASK,
// lib/maple_tree.c MAPLE_NODE_TYPE_SHIFT and MAPLE_NODE_TYPE_MASK), and enum
// maple_type: the enumerators maple_range_64 and maple_arange_64 share their
// names with the node structs, so a provider may not answer for them (crash's
// enumerator_value does not); the debuginfo's values win where it answers.
// The same from the tree's first kernel (6.1) to 6.12.
static const struct {
	uint32_t from, to;
	uint64_t node_mask, type_mask;
	uint32_t type_shift;
	int64_t leaf_64, range_64, arange_64;
	const char *src;
} maple_rows[] = {
	{ DMS_KF_KV(6, 1), DMS_KF_KV(6, 12), 255, 0x0f, 3, 1, 2, 3,
	  "series table: maple node mask 255, type shift 3, type mask 0x0f; maple_type "
	  "leaf_64 1, range_64 2, arange_64 3 (6.1..6.12)" },
};

// "6.1.0-56-amd64" -> DMS_KF_KV(6, 1); 0 if it does not start so.
static uint32_t kversion(const char *release)
{
	unsigned int major = 0, minor = 0;
	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2 || major > 255 || minor > 255)
		return 0;
	return DMS_KF_KV(major, minor);
}

// enum netdev_features enumerators, in enum dms_kf_feature order.
static const struct {
	const char *label, *bit;
} features[DMS_KF_F_NUM] = {
	[DMS_KF_F_RXCSUM] = { "rx-csum", "NETIF_F_RXCSUM_BIT" },
	[DMS_KF_F_IP_CSUM] = { "tx-csum-ip", "NETIF_F_IP_CSUM_BIT" },
	[DMS_KF_F_IPV6_CSUM] = { "tx-csum-ipv6", "NETIF_F_IPV6_CSUM_BIT" },
	[DMS_KF_F_HW_CSUM] = { "tx-csum-hw", "NETIF_F_HW_CSUM_BIT" },
	[DMS_KF_F_SG] = { "sg", "NETIF_F_SG_BIT" },
	[DMS_KF_F_TSO] = { "tso", "NETIF_F_TSO_BIT" },
	[DMS_KF_F_TSO6] = { "tso6", "NETIF_F_TSO6_BIT" },
	[DMS_KF_F_GSO] = { "gso", "NETIF_F_GSO_BIT" },
	[DMS_KF_F_GRO] = { "gro", "NETIF_F_GRO_BIT" },
	[DMS_KF_F_LRO] = { "lro", "NETIF_F_LRO_BIT" },
	[DMS_KF_F_GRO_HW] = { "gro-hw", "NETIF_F_GRO_HW_BIT" },
	[DMS_KF_F_HW_VLAN_CTAG_RX] = { "rx-vlan-hw", "NETIF_F_HW_VLAN_CTAG_RX_BIT" },
	[DMS_KF_F_RXFCS] = { "rx-fcs", "NETIF_F_RXFCS_BIT" },
	[DMS_KF_F_RXALL] = { "rx-all", "NETIF_F_RXALL_BIT" },
};

const char *dms_kf_feature_label(enum dms_kf_feature f)
{
	return (unsigned int)f < DMS_KF_F_NUM ? features[f].label : "?";
}

const char *dms_kf_pgty_scheme_name(enum dms_kf_pgty_scheme s)
{
	switch (s) {
	case DMS_KF_PGTY_INVERTED:
		return "inverted bits under PAGE_TYPE_BASE";
	case DMS_KF_PGTY_TOP_BYTE:
		return "top byte (PGTY_*)";
	default:
		return "none";
	}
}

enum dms_vaddr_kind dms_kf_vaddr_kind(const struct dms_kfacts *kf, uint64_t v)
{
	struct dms_vaddr a;
	dms_vaddr_classify(kf->arch, kf->va_bits, v, &a);
	return a.kind;
}

bool dms_kf_kernel_ptr(const struct dms_kfacts *kf, uint64_t v)
{
	if (kf->arch != DMS_ARCH_X86_64 && kf->arch != DMS_ARCH_ARM64)
		return false;
	enum dms_vaddr_kind k = dms_kf_vaddr_kind(kf, v);
	return k == DMS_VADDR_KERNEL || (k == DMS_VADDR_KERNEL_TAGGED && kf->kernel_tags);
}

uint64_t dms_kf_kernel_min(const struct dms_kfacts *kf)
{
	unsigned int w = kf->va_bits;
	switch (kf->arch) {
	case DMS_ARCH_X86_64:
		// The canonical upper half: bits 63..w-1 set.
		return w >= 32 && w <= 63 ? ~0ULL << (w - 1) : 0;
	case DMS_ARCH_ARM64:
		// TTBR1: bits 63..w set (PAGE_OFFSET of the flipped layout, 5.4+).
		return w >= 36 && w <= 52 ? ~0ULL << w : 0;
	default:
		return 0;
	}
}

bool dms_kf_user_addr(const struct dms_kfacts *kf, uint64_t v)
{
	return kf->user_limit && v <= kf->user_limit;
}

const char *dms_kf_noncanonical_name(const struct dms_kfacts *kf)
{
	return kf->arch == DMS_ARCH_ARM64 ? "between the user and kernel address ranges"
					  : "non-canonical";
}

// End of physical memory (0: unknown, no bound).
static uint64_t phys_end(const struct dms_kfacts *kf)
{
	if (!kf->max_pfn || kf->page_shift >= 64 || kf->max_pfn > UINT64_MAX >> kf->page_shift)
		return 0;
	return kf->max_pfn << kf->page_shift;
}

bool dms_kf_phys_to_virt(const struct dms_kfacts *kf, uint64_t paddr, uint64_t *ret)
{
	uint64_t end = phys_end(kf);
	if (!kf->page_offset || paddr < kf->dmap_phys || (end && paddr >= end) ||
	    paddr - kf->dmap_phys > UINT64_MAX - kf->page_offset)
		return false;
	*ret = kf->page_offset + (paddr - kf->dmap_phys);
	return true;
}

bool dms_kf_virt_to_phys(const struct dms_kfacts *kf, uint64_t kv, uint64_t *ret)
{
	uint64_t end = phys_end(kf);
	if (!kf->page_offset || kv < kf->page_offset ||
	    kv - kf->page_offset > UINT64_MAX - kf->dmap_phys)
		return false;
	uint64_t pa = kv - kf->page_offset + kf->dmap_phys;
	if (end && pa >= end)
		return false;
	*ret = pa;
	return true;
}

struct filler {
	const struct dms_layout *l;
	// The first provider error that is not "not found".
	struct dms_error *err;
};

// A provider answer: true if found; "not found" is an absent fact.
static bool keep(struct filler *f, struct dms_error *err)
{
	if (!err)
		return true;
	if (err->code != DMS_ERR_NOT_FOUND && !f->err)
		f->err = err;
	else
		dms_error_destroy(err);
	return false;
}

static int32_t size_of(struct filler *f, const char *type)
{
	uint64_t v;
	if (!keep(f, dms_layout_type_size(f->l, type, &v)) || v > INT32_MAX)
		return -1;
	return (int32_t)v;
}

static int32_t member(struct filler *f, const char *type, const char *path, int32_t *size)
{
	uint64_t off, sz;
	if (size)
		*size = -1;
	if (!keep(f, dms_layout_member(f->l, type, path, &off, &sz)) || off > INT32_MAX)
		return -1;
	if (size && sz <= INT32_MAX)
		*size = (int32_t)sz;
	return (int32_t)off;
}

static int64_t enum_val(struct filler *f, const char *name)
{
	int64_t v;
	if (!keep(f, dms_layout_enum_value(f->l, name, &v)))
		return DMS_KF_NONE;
	return v;
}

static bool vmci(const struct dms_kfacts_env *env, const char *name, int64_t *ret)
{
	return env->vmcoreinfo && env->vmcoreinfo(env->ctx, name, ret);
}

// A page flag bit number of enum pageflags; absent if out of range.
static int64_t flag_bit(struct filler *f, const char *name)
{
	int64_t v = enum_val(f, name);
	return v >= 0 && v < 64 ? v : DMS_KF_NONE;
}

static void inverted(struct dms_kf_pgtype *t, uint32_t base, int64_t bit, const char *src)
{
	if (bit <= 0 || bit > 0xffffffffll || (bit & (bit - 1)))
		return;
	t->present = true;
	t->mask = base | (uint32_t)bit;
	t->value = base;
	t->src = src;
}

static void top_byte(struct dms_kf_pgtype *t, int64_t v, const char *src)
{
	if (v < 0 || v > 0xff)
		return;
	t->present = true;
	t->mask = 0xff000000u;
	t->value = (uint32_t)v << 24;
	t->src = src;
}

static void page_types(struct filler *f, const struct dms_kfacts_env *env, struct dms_kfacts *kf)
{
	if (!dms_kf_has(kf->page_type))
		return;
	int64_t v = enum_val(f, "PGTY_buddy");
	if (v != DMS_KF_NONE) {
		kf->pgty_scheme = DMS_KF_PGTY_TOP_BYTE;
		const char *src = "enum pagetype PGTY_* (debuginfo)";
		top_byte(&kf->pgty_buddy, v, src);
		top_byte(&kf->pgty_table, enum_val(f, "PGTY_table"), src);
		top_byte(&kf->pgty_slab, enum_val(f, "PGTY_slab"), src);
		return;
	}
	kf->pgty_scheme = DMS_KF_PGTY_INVERTED;
	int64_t base = enum_val(f, "PAGE_TYPE_BASE");
	if (base != DMS_KF_NONE && base > 0 && base <= 0xffffffffll) {
		// 6.9 .. 6.11: enum pagetype holds PAGE_TYPE_BASE and the bits;
		// PG_slab there is a page type, not a page flag.
		const char *src = "enum pagetype PG_* (debuginfo)";
		inverted(&kf->pgty_buddy, (uint32_t)base, enum_val(f, "PG_buddy"), src);
		inverted(&kf->pgty_table, (uint32_t)base, enum_val(f, "PG_table"), src);
		int64_t slab = enum_val(f, "PG_slab");
		if (slab >= 64)
			inverted(&kf->pgty_slab, (uint32_t)base, slab, src);
		return;
	}
	// 4.18 .. 6.8: #defines.
	uint32_t b = DERIVED_PAGE_TYPE_BASE;
	int64_t mc;
	if (vmci(env, "PAGE_BUDDY_MAPCOUNT_VALUE", &mc))
		inverted(&kf->pgty_buddy, b, (int64_t)(~(uint32_t)mc),
			 "vmcoreinfo PAGE_BUDDY_MAPCOUNT_VALUE (= ~PG_buddy)");
	else
		inverted(&kf->pgty_buddy, b, DERIVED_PG_BUDDY,
			 "derived: PG_buddy 0x80 (#define, 4.18..6.8)");
	if (enum_val(f, "MEMCG_DATA_KMEM") != DMS_KF_NONE)
		inverted(&kf->pgty_table, b, DERIVED_PG_TABLE,
			 "derived: PG_table 0x200 (#define, 5.11..6.8: enum memcg_data_flags "
			 "present)");
	else
		inverted(&kf->pgty_table, b, DERIVED_PG_TABLE_KMEMCG,
			 "derived: PG_table 0x400 (#define, 4.18..5.10: PG_kmemcg era, no enum "
			 "memcg_data_flags)");
}

static void compound_order(struct filler *f, struct dms_kfacts *kf)
{
	int32_t off = member(f, "page", "compound_order", NULL);
	if (dms_kf_has(off)) {
		kf->order_kind = DMS_KF_ORDER_TAIL;
		kf->order_off = off;
		return;
	}
	off = member(f, "folio", "_folio_order", NULL);
	if (!dms_kf_has(off))
		// 6.6+: folio_order() is folio->_flags_1 & 0xff (little endian:
		// the member's first byte).
		off = member(f, "folio", "_flags_1", NULL);
	if (dms_kf_has(off)) {
		kf->order_kind = DMS_KF_ORDER_FOLIO;
		kf->order_off = off;
	}
}

static void page_pool(struct filler *f, struct dms_kfacts *kf)
{
	if (!dms_kf_has(kf->page_pp_magic))
		return;
	kf->pp_present = true;
	kf->pp_signature = DERIVED_PP_SIGNATURE;
	kf->pp_magic_mask = ~3ull;
	kf->pp_src = "derived: PP_SIGNATURE = 0x40 + POISON_POINTER_DELTA 0xdead000000000000; "
		     "low 2 bits free";
	if (dms_kf_has(member(f, "page_pool", "dma_mapped", NULL))) {
		// page_pool DMA-index tracking (6.15, backported to 6.12.y):
		// pp_magic bits [PP_DMA_INDEX_SHIFT, +PP_DMA_INDEX_BITS) hold an
		// index; SHIFT = 1 + fls(0x40) = 7, BITS = min(32,
		// ffs(POISON_POINTER_DELTA) - SHIFT) = 32 (include/linux/mm.h).
		unsigned int shift = 7;
		unsigned int bits =
			(unsigned int)__builtin_ctzll(DERIVED_POISON_POINTER_DELTA) - shift;
		if (bits > 32)
			bits = 32;
		kf->pp_magic_mask &= ~(((1ull << bits) - 1) << shift);
		kf->pp_src = "derived: PP_SIGNATURE = 0x40 + POISON_POINTER_DELTA "
			     "0xdead000000000000; low 2 bits and DMA index bits 7..38 free "
			     "(page_pool.dma_mapped present)";
	}
}

// The counters bit-fields from the debuginfo, else the series table.
static void counters(struct filler *f, struct dms_kfacts *kf, const char *t)
{
	static const struct {
		const char *name;
		uint64_t width;
	} bf[3] = { { "inuse", 16 }, { "objects", 15 }, { "frozen", 1 } };
	int8_t shift[3];
	bool asked = false, ok = dms_kf_has(kf->slab_counters);
	for (size_t i = 0; ok && i < 3; i++) {
		uint64_t off, width, base = (uint64_t)kf->slab_counters * 8;
		struct dms_error *err = dms_layout_bitfield(f->l, t, bf[i].name, &off, &width);
		asked = asked || !err || err->code != DMS_ERR_NOT_FOUND;
		dms_error_destroy(err);
		ok = !err && width == bf[i].width && off >= base && off - base + width <= 32;
		shift[i] = ok ? (int8_t)(off - base) : -1;
	}
	if (ok) {
		kf->counters_inuse_shift = shift[0];
		kf->counters_objects_shift = shift[1];
		kf->counters_frozen_shift = shift[2];
		kf->counters_src = "bit-fields inuse/objects/frozen (debuginfo)";
		return;
	}
	// A provider that answered and said otherwise is believed: absent.
	if (asked || !dms_kf_has(kf->slab_counters))
		return;
	for (size_t i = 0; i < sizeof(counters_rows) / sizeof(counters_rows[0]); i++) {
		if (kf->kversion >= counters_rows[i].from && kf->kversion <= counters_rows[i].to) {
			kf->counters_inuse_shift = counters_rows[i].inuse;
			kf->counters_objects_shift = counters_rows[i].objects;
			kf->counters_frozen_shift = counters_rows[i].frozen;
			kf->counters_src = counters_rows[i].src;
			return;
		}
	}
}

static void vm_flags(struct dms_kfacts *kf)
{
	for (size_t i = 0; i < sizeof(vm_flags_rows) / sizeof(vm_flags_rows[0]); i++) {
		if (kf->kversion >= vm_flags_rows[i].from && kf->kversion <= vm_flags_rows[i].to) {
			kf->vm_flags_mask = vm_flags_rows[i].mask;
			kf->vm_flags_src = vm_flags_rows[i].src;
			return;
		}
	}
}

// The maple node encoding, where the kernel has maple trees at all.
static void maple(struct dms_kfacts *kf)
{
	if (kf->mt_root < 0)
		return;
	for (size_t i = 0; i < sizeof(maple_rows) / sizeof(maple_rows[0]); i++) {
		if (kf->kversion >= maple_rows[i].from && kf->kversion <= maple_rows[i].to) {
			int64_t *have[] = { &kf->maple_leaf_64, &kf->maple_range_64,
					    &kf->maple_arange_64 };
			int64_t want[] = { maple_rows[i].leaf_64, maple_rows[i].range_64,
					   maple_rows[i].arange_64 };
			for (size_t k = 0; k < 3; k++)
				if (*have[k] != DMS_KF_NONE && *have[k] != want[k])
					return; // the row does not describe this kernel
			for (size_t k = 0; k < 3; k++)
				*have[k] = want[k];
			kf->maple_node_mask = maple_rows[i].node_mask;
			kf->maple_type_mask = maple_rows[i].type_mask;
			kf->maple_type_shift = maple_rows[i].type_shift;
			kf->maple_src = maple_rows[i].src;
			return;
		}
	}
}

static void slab(struct filler *f, struct dms_kfacts *kf)
{
	// struct slab since 5.17; before, the same members are in struct page.
	const char *t = "page";
	if (dms_kf_has(member(f, "slab", "slab_cache", NULL))) {
		kf->has_struct_slab = true;
		kf->slab_struct_size = size_of(f, "slab");
		t = "slab";
	}
	kf->slab_cache = member(f, t, "slab_cache", NULL);
	kf->slab_freelist = member(f, t, "freelist", NULL);
	kf->slab_counters = member(f, t, "counters", NULL);
	kf->slab_list = member(f, t, "slab_list", NULL);
	kf->slab_next = member(f, t, "next", NULL);

	counters(f, kf, t);

	const char *kc = "kmem_cache";
	kf->kmem_cache_size = size_of(f, kc);
	kf->s_name = member(f, kc, "name", NULL);
	kf->s_size = member(f, kc, "size", NULL);
	kf->s_object_size = member(f, kc, "object_size", NULL);
	kf->s_offset = member(f, kc, "offset", NULL);
	kf->s_random = member(f, kc, "random", NULL);
	kf->s_cpu_slab = member(f, kc, "cpu_slab", NULL);
	kf->s_node = member(f, kc, "node", NULL);
	kf->s_oo = member(f, kc, "oo", NULL);
	kf->s_flags = member(f, kc, "flags", &kf->s_flags_size);
	kf->s_list = member(f, kc, "list", NULL);
	kf->s_inuse = member(f, kc, "inuse", NULL);
	kf->s_align = member(f, kc, "align", NULL);
	kf->s_red_left_pad = member(f, kc, "red_left_pad", NULL);
	// Callers sharing the cache: above 1, others were merged into it.
	kf->s_refcount = member(f, kc, "refcount", NULL);

	kf->c_freelist = member(f, "kmem_cache_cpu", "freelist", NULL);
	kf->c_slab = member(f, "kmem_cache_cpu", kf->has_struct_slab ? "slab" : "page", NULL);
	kf->c_partial = member(f, "kmem_cache_cpu", "partial", NULL);
	kf->n_partial = member(f, "kmem_cache_node", "partial", NULL);
	kf->n_nr_partial = member(f, "kmem_cache_node", "nr_partial", NULL);

	int64_t rz = enum_val(f, "_SLAB_RED_ZONE"), po = enum_val(f, "_SLAB_POISON");
	int64_t op = enum_val(f, "_SLAB_OBJECT_POISON");
	if (rz != DMS_KF_NONE || po != DMS_KF_NONE || op != DMS_KF_NONE) {
		kf->slab_flag_red_zone = rz >= 0 && rz < 64 ? 1ull << rz : 0;
		kf->slab_flag_poison = po >= 0 && po < 64 ? 1ull << po : 0;
		kf->slab_flag_object_poison = op >= 0 && op < 64 ? 1ull << op : 0;
		kf->slab_flags_src = "enum _slab_flag_bits (debuginfo)";
	} else if (dms_kf_has(kf->s_flags)) {
		kf->slab_flag_red_zone = DERIVED_SLAB_RED_ZONE;
		kf->slab_flag_poison = DERIVED_SLAB_POISON;
		kf->slab_flag_object_poison = DERIVED_OBJECT_POISON;
		kf->slab_flags_src = "derived: SLAB_RED_ZONE 0x400, SLAB_POISON 0x800, "
				     "__OBJECT_POISON 0x80000000 (#defines, 2.6.22..6.9)";
	}
}

static void netdev(struct filler *f, struct dms_kfacts *kf)
{
	const char *nd = "net_device";
	kf->nd_struct_size = size_of(f, nd);
	kf->nd_name = member(f, nd, "name", &kf->nd_name_size);
	kf->nd_dev_list = member(f, nd, "dev_list", NULL);
	kf->nd_flags = member(f, nd, "flags", NULL);
	kf->nd_features = member(f, nd, "features", NULL);
	kf->nd_hw_features = member(f, nd, "hw_features", NULL);
	kf->nd_dev_addr = member(f, nd, "dev_addr", &kf->nd_dev_addr_size);
	kf->nd_addr_len = member(f, nd, "addr_len", NULL);
	kf->nd_netdev_ops = member(f, nd, "netdev_ops", NULL);
	kf->nd_dev = member(f, nd, "dev", NULL);
	kf->nd_real_num_rx_queues = member(f, nd, "real_num_rx_queues", NULL);
	kf->nd_real_num_tx_queues = member(f, nd, "real_num_tx_queues", NULL);
	kf->dev_parent = member(f, "device", "parent", NULL);
	kf->dev_driver = member(f, "device", "driver", NULL);
	kf->dev_iommu_group = member(f, "device", "iommu_group", NULL);
	kf->drv_name = member(f, "device_driver", "name", NULL);
	kf->iommu_list = member(f, "iommu_device", "list", NULL);
	kf->iommu_dev = member(f, "iommu_device", "dev", NULL);
	kf->dev_kobj = member(f, "device", "kobj", NULL);
	kf->kobj_name = member(f, "kobject", "name", NULL);
	kf->net_dev_base_head = member(f, "net", "dev_base_head", NULL);
	kf->net_ifindex = member(f, "net", "ifindex", NULL);
	// IFF_UP is UAPI (include/uapi/linux/if.h): 1 since the first
	// kernels; the enumerator is used when the debuginfo has it.
	int64_t up = enum_val(f, "IFF_UP");
	kf->iff_up = up > 0 && up <= 0xffffffffll ? (uint32_t)up : 1;
	for (size_t i = 0; i < DMS_KF_F_NUM; i++) {
		int64_t b = enum_val(f, features[i].bit);
		kf->netif_f[i] = b >= 0 && b < 64 ? (int8_t)b : -1;
	}
}

static void misc(struct filler *f, struct dms_kfacts *kf)
{
	kf->pp_hold_cnt = member(f, "page_pool", "pages_state_hold_cnt", NULL);
	kf->pp_release_cnt = member(f, "page_pool", "pages_state_release_cnt", NULL);
	kf->irqd_kstat_irqs = member(f, "irq_desc", "kstat_irqs", NULL);
	kf->irqd_action = member(f, "irq_desc", "action", NULL);
	kf->irqd_irq_data = member(f, "irq_desc", "irq_data", NULL);
	kf->irq_data_irq = member(f, "irq_data", "irq", NULL);
	kf->irqaction_name = member(f, "irqaction", "name", NULL);
	kf->xa_head = member(f, "xarray", "xa_head", NULL);
	kf->radix_rnode = member(f, "radix_tree_root", "rnode", NULL);
	kf->mt_root = member(f, "maple_tree", "ma_root", NULL);
	int32_t sz;
	kf->mr64_pivot = member(f, "maple_range_64", "pivot", &sz);
	kf->mr64_npivots = sz > 0 ? (uint32_t)sz / 8 : 0;
	kf->mr64_slot = member(f, "maple_range_64", "slot", &sz);
	kf->mr64_nslots = sz > 0 ? (uint32_t)sz / 8 : 0;
	kf->ma64_pivot = member(f, "maple_arange_64", "pivot", &sz);
	kf->ma64_npivots = sz > 0 ? (uint32_t)sz / 8 : 0;
	kf->ma64_slot = member(f, "maple_arange_64", "slot", &sz);
	kf->ma64_nslots = sz > 0 ? (uint32_t)sz / 8 : 0;
	kf->maple_leaf_64 = enum_val(f, "maple_leaf_64");
	kf->maple_range_64 = enum_val(f, "maple_range_64");
	kf->maple_arange_64 = enum_val(f, "maple_arange_64");
}

static void verdicts(struct dms_kfacts *kf)
{
	const char *why = NULL;
	if (!kf->page_size || !kf->page_offset || !kf->vmemmap || !kf->max_pfn)
		why = "page size, direct map, vmemmap or memory size unknown";
	else if (kf->page_struct_size <= 0 || kf->page_struct_size > 4096)
		why = "sizeof(struct page) unknown";
	else if (!dms_kf_has(kf->page_flags) || !dms_kf_has(kf->page_compound_head) ||
		 !dms_kf_has(kf->page_mapping) || !dms_kf_has(kf->page_refcount))
		why = "struct page lacks flags/compound_head/mapping/_refcount";
	kf->owner_ok = !why;
	if (why)
		snprintf(kf->owner_why, sizeof(kf->owner_why), "%s", why);
	if (!why) {
		if (kf->pg_slab == DMS_KF_NONE && !kf->pgty_slab.present)
			why = "neither a PG_slab page flag nor a slab page type";
		else if (!dms_kf_has(kf->slab_cache) || !dms_kf_has(kf->slab_freelist) ||
			 !dms_kf_has(kf->slab_counters))
			why = "no slab_cache/freelist/counters in struct slab or struct page";
		else if (!dms_kf_has(kf->s_name) || !dms_kf_has(kf->s_size) ||
			 !dms_kf_has(kf->s_offset) || !dms_kf_has(kf->s_list) ||
			 !dms_kf_has(kf->s_oo))
			why = "struct kmem_cache lacks name/size/offset/list/oo (not SLUB?)";
		else if (!kf->slab_caches)
			why = "no slab_caches symbol (not a SLUB kernel?)";
		else if (kf->counters_inuse_shift < 0)
			why = "slab counters bit-fields (inuse:16, objects:15, frozen:1) not found";
	} else {
		why = "struct page facts missing";
	}
	kf->slab_ok = !why;
	if (why)
		snprintf(kf->slab_why, sizeof(kf->slab_why), "%s", why);
}

struct dms_error *dms_kfacts_fill(const struct dms_layout *layout, const struct dms_kfacts_env *env,
				  struct dms_kfacts *kf)
{
	struct filler f = { layout, NULL };
	dms_kfacts_init(kf);
	if (env->page_size >= 256 && !(env->page_size & (env->page_size - 1))) {
		kf->page_size = env->page_size;
		kf->page_shift = (unsigned int)__builtin_ctzll(env->page_size);
	}
	kf->arch = env->arch;
	kf->page_offset = env->page_offset;
	kf->dmap_phys = env->dmap_phys;
	kf->vmemmap = env->vmemmap;
	kf->kernel_tags = env->kernel_tags;
	if (env->kimage_end > env->kimage_start && env->kimage_pend > env->kimage_pstart) {
		kf->kimage_start = env->kimage_start;
		kf->kimage_end = env->kimage_end;
		kf->kimage_pstart = env->kimage_pstart;
		kf->kimage_pend = env->kimage_pend;
	}
	kf->va_bits = env->va_bits;
	kf->user_limit = env->user_limit;
	kf->max_pfn = env->max_pfn;
	kf->slab_caches = env->slab_caches;
	kf->kversion = kversion(env->release);

	kf->page_struct_size = size_of(&f, "page");
	kf->page_flags = member(&f, "page", "flags", NULL);
	kf->page_compound_head = member(&f, "page", "compound_head", NULL);
	kf->page_mapping = member(&f, "page", "mapping", NULL);
	kf->page_private = member(&f, "page", "private", NULL);
	kf->page_refcount = member(&f, "page", "_refcount", NULL);
	kf->page_type = member(&f, "page", "page_type", NULL);
	kf->page_pp_magic = member(&f, "page", "pp_magic", NULL);
	kf->page_pp = member(&f, "page", "pp", NULL);
	kf->folio_struct_size = size_of(&f, "folio");
	compound_order(&f, kf);
	int32_t fa_size, fa = member(&f, "zone", "free_area", &fa_size);
	int32_t fa_one = size_of(&f, "free_area");
	if (dms_kf_has(fa) && fa_size > 0 && fa_one > 0 && fa_size % fa_one == 0 &&
	    fa_size / fa_one >= 1 && fa_size / fa_one <= 32)
		kf->max_order = fa_size / fa_one - 1;

	// PG_slab is a page flag (a bit number < 64) until 6.9; 6.10 and
	// 6.11 made it a page type bit of the same name (0x00400000).
	kf->pg_slab = flag_bit(&f, "PG_slab");
	kf->pg_head = flag_bit(&f, "PG_head");
	kf->pg_reserved = flag_bit(&f, "PG_reserved");
	page_types(&f, env, kf);
	page_pool(&f, kf);
	slab(&f, kf);
	netdev(&f, kf);
	misc(&f, kf);
	vm_flags(kf);
	maple(kf);
	verdicts(kf);
	return f.err;
}
