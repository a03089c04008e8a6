// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the kernel facts table (docs/kfacts.md).
//
// Every kernel fact the memory models use -- struct page / slab / folio /
// kmem_cache / kmem_cache_cpu / kmem_cache_node offsets and sizes, page flag
// bits, the page type scheme, the page_pool signature, the address space --
// is resolved once, by dms_kfacts_fill(), from a layout provider (lib/
// layout.h: crash's MEMBER_OFFSET/STRUCT_SIZE/enumerator_value in the glue,
// libdw on a vmlinux, or a JSON fixture in the unit tests) plus a few numbers
// the caller reads from the dump (struct dms_kfacts_env).  Each fact is
// present or explicitly absent: offsets and sizes are -1 when absent,
// enumerator-like values DMS_KF_NONE, addresses 0.  A value that debuginfo
// cannot hold (a #define) is either given by the caller from the dump
// (vmcoreinfo) or derived by a rule written down in kfacts.c and
// docs/kfacts.md; its source string then says "derived".  Nothing here is a
// constant of one kernel version.
#ifndef DMS_KFACTS_H
#define DMS_KFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layout.h"
#include "vaddr.h"

/** An absent enumerator, flag bit or value. */
#define DMS_KF_NONE INT64_MIN

/** How a page type is recognised: (page_type & mask) == value. */
struct dms_kf_pgtype {
	bool present;
	uint32_t mask, value;
	// "enum pagetype (debuginfo)", "vmcoreinfo PAGE_BUDDY_MAPCOUNT_VALUE",
	// "derived: ..." (static string); NULL when absent.
	const char *src;
};

/** Page type schemes (include/linux/page-flags.h). */
enum dms_kf_pgty_scheme {
	// No page_type member: no page types at all.
	DMS_KF_PGTY_NONE,
	// 4.18 .. 6.11: a type is a *cleared* bit under PAGE_TYPE_BASE
	// (#defines up to 6.8, enum pagetype 6.9 .. 6.11).
	DMS_KF_PGTY_INVERTED,
	// 6.12+: enum pagetype PGTY_* in the top byte of page_type.
	DMS_KF_PGTY_TOP_BYTE,
};

/** Where a compound page's order is stored. */
enum dms_kf_order {
	DMS_KF_ORDER_NONE,
	// A byte at order_off inside the first tail page (page[1]) (.. 6.2).
	DMS_KF_ORDER_TAIL,
	// A byte at order_off from the head: struct folio _folio_order (6.3 ..
	// 6.5) or the low byte of _flags_1 (6.6+).
	DMS_KF_ORDER_FOLIO,
};

/**
 * The target machine and the address-space numbers and symbols the caller
 * reads from the dump (in crash: machdep, symbols, vmcoreinfo; one function
 * per crash target in extensions/kfacts.c).
 */
struct dms_kfacts_env {
	// The dumped machine's architecture.
	enum dms_arch arch;
	// Page size.
	uint64_t page_size;
	// The direct (linear) map: its first virtual address (PAGE_OFFSET) and
	// the physical address that maps to it (0 on x86-64; PHYS_OFFSET, the
	// start of RAM, on arm64: 0x40000000 on QEMU virt).
	uint64_t page_offset, dmap_phys;
	// struct page of pfn 0 (vmemmap_base on x86-64; on arm64 vmemmap,
	// which lies below VMEMMAP_START by PHYS_OFFSET's pages).
	uint64_t vmemmap;
	// Kernel image _text.._end: virtual and physical ([start, end)).
	uint64_t kimage_start, kimage_end, kimage_pstart, kimage_pend;
	// Kernel virtual address bits (x86-64 48 or 57 with 5-level paging;
	// arm64 vabits_actual: 48, 52, 39, ...).
	uint32_t va_bits;
	// The highest value a user address or mm_struct.task_size takes:
	// x86-64 TASK_SIZE_MAX (the top of user space minus a guard page);
	// arm64 TASK_SIZE_64 = 1 << va_bits, the top itself.
	uint64_t user_limit;
	// Kernel pointers may carry a tag in their top byte (arm64 with a
	// KASAN tag mode: TBI1).  User addresses on arm64 always may (TBI0).
	bool kernel_tags;
	// Highest pfn + 1 of any memory node.
	uint64_t max_pfn;
	// &slab_caches (0: absent).
	uint64_t slab_caches;
	// The kernel's release (utsname: "6.1.0-56-amd64"), or NULL: picks the
	// series table's rows for facts debuginfo does not hold.
	const char *release;
	// vmcoreinfo NUMBER(name) of the dump; may be NULL.  Returns false
	// when the dump has no such number.
	bool (*vmcoreinfo)(void *ctx, const char *name, int64_t *ret);
	void *ctx;
};

/** The netdev_features_t bits rxring and dmaf report (enum netdev_features). */
enum dms_kf_feature {
	DMS_KF_F_RXCSUM,
	DMS_KF_F_IP_CSUM,
	DMS_KF_F_IPV6_CSUM,
	DMS_KF_F_HW_CSUM,
	DMS_KF_F_SG,
	DMS_KF_F_TSO,
	DMS_KF_F_TSO6,
	DMS_KF_F_GSO,
	DMS_KF_F_GRO,
	DMS_KF_F_LRO,
	DMS_KF_F_GRO_HW,
	DMS_KF_F_HW_VLAN_CTAG_RX,
	DMS_KF_F_RXFCS,
	DMS_KF_F_RXALL,
	DMS_KF_F_NUM,
};

/** The label a feature is shown with ("rx-csum", "tso", "gro-hw", ...). */
const char *dms_kf_feature_label(enum dms_kf_feature f);

/** A kernel version as the series table keys it: major and minor. */
#define DMS_KF_KV(major, minor) ((uint32_t)(major) << 8 | (uint32_t)(minor))

struct dms_kfacts {
	// --- the kernel: DMS_KF_KV(major, minor) of env.release, 0 unknown
	uint32_t kversion;

	// --- the target and its address space (from the env; 0 = absent).
	// What each means: struct dms_kfacts_env.  Read addresses through the
	// predicates below, not by comparing with constants.
	enum dms_arch arch;
	uint64_t page_size;
	unsigned int page_shift;
	uint64_t page_offset, dmap_phys, vmemmap;
	uint64_t kimage_start, kimage_end, kimage_pstart, kimage_pend;
	uint32_t va_bits;
	uint64_t user_limit, max_pfn, slab_caches;
	bool kernel_tags;

	// --- struct page (offsets; -1 = absent)
	int32_t page_struct_size;
	int32_t page_flags, page_compound_head, page_mapping, page_private, page_refcount;
	// page_type (or _mapcount on kernels whose page_type is not named).
	int32_t page_type;
	int32_t page_pp_magic, page_pp;
	enum dms_kf_order order_kind;
	int32_t order_off;
	// struct folio exists (6.0+).
	int32_t folio_struct_size;
	// Largest buddy order (MAX_ORDER - 1 / MAX_PAGE_ORDER): entries of
	// zone.free_area minus one.
	int32_t max_order;

	// --- page flags (enum pageflags bit numbers; DMS_KF_NONE = absent)
	int64_t pg_slab, pg_head, pg_reserved;

	// --- page types
	enum dms_kf_pgty_scheme pgty_scheme;
	struct dms_kf_pgtype pgty_buddy, pgty_table, pgty_slab;

	// --- page_pool: (pp_magic & pp_magic_mask) == pp_signature
	bool pp_present;
	uint64_t pp_signature, pp_magic_mask;
	// Where they come from (static string).
	const char *pp_src;

	// --- slab (struct slab since 5.17, struct page before)
	bool has_struct_slab;
	int32_t slab_struct_size;
	int32_t slab_cache, slab_freelist, slab_counters, slab_list, slab_next;
	// Lowest bit of the inuse:16, objects:15, frozen:1 bit-fields in the
	// 32-bit word at counters (-1: absent), from the debuginfo's bit-field
	// members or, when the provider cannot say, the series table; source.
	int8_t counters_inuse_shift, counters_objects_shift, counters_frozen_shift;
	const char *counters_src;

	// --- struct kmem_cache
	int32_t kmem_cache_size;
	int32_t s_name, s_size, s_object_size, s_offset, s_random, s_cpu_slab, s_node, s_oo,
		s_flags, s_list, s_inuse, s_align, s_red_left_pad, s_refcount;
	int32_t s_flags_size;
	// --- struct kmem_cache_cpu (c_slab: "slab", or "page" before 5.17)
	int32_t c_freelist, c_slab, c_partial;
	// --- struct kmem_cache_node
	int32_t n_partial, n_nr_partial;
	// slab_flags_t bits SLAB_RED_ZONE, SLAB_POISON, __OBJECT_POISON
	// (enum _slab_flag_bits 6.10+, #defines before: then derived); 0 absent.
	uint64_t slab_flag_red_zone, slab_flag_poison, slab_flag_object_poison;
	const char *slab_flags_src;

	// --- struct vm_area_struct: the VM_* bits the kernel defines (any
	// 64-bit architecture): a set bit outside them is not a flag.  VM_* are
	// #defines in the lab kernels' headers: the series table (kfacts.c);
	// 0 absent (a kernel outside every row: the check is skipped).
	uint64_t vm_flags_mask;
	const char *vm_flags_src;

	// --- network devices (the glue's device walk: netdev.c)
	// struct net_device: size; name (char[IFNAMSIZ], its size), dev_list,
	// flags, features, hw_features, dev_addr (a pointer since 5.17, a
	// char[32] before: its size says which), addr_len, netdev_ops, dev
	// (the embedded struct device), real_num_rx_queues/_tx_queues.
	int32_t nd_struct_size;
	int32_t nd_name, nd_name_size, nd_dev_list, nd_flags, nd_features, nd_hw_features,
		nd_dev_addr, nd_dev_addr_size, nd_addr_len, nd_netdev_ops, nd_dev,
		nd_real_num_rx_queues, nd_real_num_tx_queues;
	// struct device parent/driver/iommu_group; struct device_driver name;
	// struct net dev_base_head/ifindex.
	int32_t dev_parent, dev_driver, dev_iommu_group, drv_name;
	// Registered IOMMUs (iommu_device_list): iommu_device list/dev; device
	// kobj; kobject name.
	int32_t iommu_list, iommu_dev, dev_kobj, kobj_name;
	int32_t net_dev_base_head, net_ifindex;
	// enum net_device_flags IFF_UP (UAPI: 1 wherever the enum is absent).
	uint32_t iff_up;
	// enum netdev_features bit numbers (NETIF_F_*_BIT); -1 absent.
	int8_t netif_f[DMS_KF_F_NUM];

	// --- struct page_pool counters (dmaf's in-flight pages)
	int32_t pp_hold_cnt, pp_release_cnt;

	// --- interrupts (dmaf's IRQ storm note): irq_desc kstat_irqs, action,
	// irq_data; irq_data irq; irqaction name.  How irq_desc_tree is kept:
	// an xarray (xarray.xa_head, 4.20+) or a radix tree (radix_tree_root.
	// rnode); -1 absent.
	int32_t irqd_kstat_irqs, irqd_action, irqd_irq_data, irq_data_irq, irqaction_name;
	int32_t xa_head, radix_rnode;

	// --- maple trees (lib/maple.h; sparse_irqs since 6.5): maple_tree.ma_root;
	// maple_range_64 (leaf and internal nodes) and maple_arange_64 pivot[] and
	// slot[] offsets and element counts; enum maple_type values (DMS_KF_NONE
	// absent); the node pointer encoding (#defines: the series table).
	int32_t mt_root, mr64_pivot, mr64_slot, ma64_pivot, ma64_slot;
	uint32_t mr64_npivots, mr64_nslots, ma64_npivots, ma64_nslots;
	int64_t maple_leaf_64, maple_range_64, maple_arange_64;
	uint64_t maple_node_mask, maple_type_mask;
	uint32_t maple_type_shift;
	const char *maple_src;

	// Everything the models need is present (else *_why says what is not).
	bool owner_ok, slab_ok;
	char owner_why[128], slab_why[128];
};

/** Mark every fact absent. */
void dms_kfacts_init(struct dms_kfacts *kf);

/**
 * Fill the table from a layout provider and the dump's numbers (env).  A
 * missing fact is left absent and, when it disables a model, explained in
 * owner_why / slab_why; only provider failures other than "not found"
 * return an error.
 */
struct dms_error *dms_kfacts_fill(const struct dms_layout *layout, const struct dms_kfacts_env *env,
				  struct dms_kfacts *ret);

/** "none", "inverted bits under PAGE_TYPE_BASE", "top byte (PGTY_*)". */
const char *dms_kf_pgty_scheme_name(enum dms_kf_pgty_scheme s);

// --- the target's addresses (what a pointer looks like, the direct map)

/**
 * What v is as a virtual address of the target: lib/vaddr.h's rules with the
 * table's architecture and VA bits (user, kernel, tagged, non-canonical).
 */
enum dms_vaddr_kind dms_kf_vaddr_kind(const struct dms_kfacts *kf, uint64_t v);

/**
 * Does v look like a kernel pointer of the target: in the kernel range
 * (x86-64: canonical upper half; arm64: TTBR1, with a top-byte tag only
 * where kernel pointers carry tags)?  Says nothing about whether anything is
 * mapped there.  False when the architecture is unknown.
 */
bool dms_kf_kernel_ptr(const struct dms_kfacts *kf, uint64_t v);

/**
 * The lowest address of the kernel range (x86-64: 2^64 - 2^(va_bits-1);
 * arm64: 2^64 - 2^va_bits); 0 when the architecture is unknown.
 */
uint64_t dms_kf_kernel_min(const struct dms_kfacts *kf);

/**
 * Is v a value a user address or mm_struct.task_size can take (<= the
 * target's user_limit)?  False when user_limit is absent.
 */
bool dms_kf_user_addr(const struct dms_kfacts *kf, uint64_t v);

/**
 * How the target names a value outside both ranges: "non-canonical"
 * (x86-64), "between the user and kernel address ranges" (arm64).
 */
const char *dms_kf_noncanonical_name(const struct dms_kfacts *kf);

/**
 * The direct map: the kernel virtual address of physical address paddr, and
 * back.  False outside [dmap_phys, max_pfn pages) or when the direct map is
 * unknown.
 */
bool dms_kf_phys_to_virt(const struct dms_kfacts *kf, uint64_t paddr, uint64_t *ret);
bool dms_kf_virt_to_phys(const struct dms_kfacts *kf, uint64_t kv, uint64_t *ret);

/** Is this a present offset? */
static inline bool dms_kf_has(int32_t off)
{
	return off >= 0;
}

#endif // DMS_KFACTS_H
