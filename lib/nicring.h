// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: NIC RX rings, described by a table and read by one walker.
//
// Each driver is one struct dms_nicring_driver: the struct and member names
// that lead from netdev_priv() to its RX rings, the ring's counters, its
// buffer-info array and its descriptor ring, where a received frame starts,
// and the hardware descriptor format.  Nothing here hard-codes an offset:
// dms_nicring_create() resolves the names once through a layout provider
// (lib/dwlayout in tests, crash's MEMBER_OFFSET in the extension).  A driver
// whose member is missing cannot be created (the error names the member);
// the others work.  Adding a driver is adding an entry to the table in
// nicring.c (docs/rxring-engine.md says how).
//
// The walker reads kernel virtual memory only through a struct dms_reader
// whose addresses are kernel virtual (crash: readmem(KVADDR); tests: a
// dms_memimg whose phys_base is the direct-map address), validates every
// pointer, bounds every loop by the ring's count (capped), and reports a
// corrupt ring as a finding and goes on with the next ring.
#ifndef DMS_NICRING_H
#define DMS_NICRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layout.h"
#include "reader.h"

/** How the ring array hangs off its container. */
enum dms_nicring_rings {
	// container.rings points to one ring (e1000e adapter->rx_ring).
	DMS_NICRING_RINGS_SINGLE,
	// container.rings points to an array of elements (e1000 rx_ring[],
	// virtio_net rq[]); stride sizeof(elem_type).
	DMS_NICRING_RINGS_ARRAY,
	// container.rings points to an array of ring pointers (i40e rx_rings).
	DMS_NICRING_RINGS_PTRS,
	// container.rings IS an array of ring pointers (ixgbe/igb rx_ring[N]).
	DMS_NICRING_RINGS_INLINE_PTRS,
	// container.rings IS an array of ring structs (bcmgenet rx_rings[5],
	// mtk_eth rx_ring[4]).  Without nrings_member every element is
	// walked; an element whose count and buffer array are both zero is a
	// ring the driver never set up (unallocated, not a finding).
	DMS_NICRING_RINGS_INLINE_ARRAY,
};

/** How ownership of buffers is kept. */
enum dms_nicring_model {
	// Buffer-info array + descriptor ring; slots [next_to_clean,
	// next_to_use) are posted to the device (Intel style).
	DMS_NICRING_MODEL_BUFINFO,
	// virtio split virtqueue: descriptor table, avail and used rings.
	DMS_NICRING_MODEL_VIRTQ_SPLIT,
	// USB network devices (lan78xx, usbnet): no descriptor ring in host
	// memory; RX buffers are sk_buffs on a queue (struct sk_buff_head at
	// container.rings_member), each with its struct urb * in skb->cb.
	// Queued = submitted to the USB host controller, which does the DMA.
	DMS_NICRING_MODEL_SKB_QUEUE,
};

/** Where a number comes from. */
enum dms_nicring_src {
	DMS_NICRING_SRC_NONE,
	// A constant of the hardware or the driver.
	DMS_NICRING_SRC_CONST,
	// A member of the ring struct.
	DMS_NICRING_SRC_RING,
	// A member of the struct at netdev_priv().
	DMS_NICRING_SRC_PRIV,
	// value_set if the bit numbered by enumerator `flag` is set in ring
	// member `member`, else value (ixgbe/igb 2K vs 3K buffers).
	DMS_NICRING_SRC_RING_FLAG,
	// value_set if ring member `member` is nonzero, else value (mtk_eth:
	// the ring has a page_pool).
	DMS_NICRING_SRC_RING_NONZERO,
};

struct dms_nicring_value {
	enum dms_nicring_src src;
	const char *member;
	const char *flag;
	uint32_t value, value_set;
};

/**
 * A hardware RX descriptor in the format the driver posts it ("read"
 * format) and the device writes it back.  Hardware, not kernel layout: the
 * numbers come from the datasheets and are checked against the kernel's own
 * union in tests (type, addr_member).
 */
struct dms_nicring_desc_fmt {
	const char *name;
	// Kernel type and member of the buffer address, for cross-checks.
	const char *type, *addr_member;
	uint32_t size;
	// Buffer address in the read format: addr_size bytes (0: 8),
	// little-endian, at addr_off.
	uint32_t addr_off, addr_size;
	// Write-back keeps the address (e1000 legacy) or overwrites it.
	bool addr_survives_wb;
	// Descriptor-done bit: (le(status_size bytes at status_off) & dd_mask).
	uint32_t status_off, status_size;
	uint64_t dd_mask;
	// Written-back length: (le(len_size at len_off) >> len_shift) & len_mask.
	uint32_t len_off, len_size, len_shift;
	uint64_t len_mask;
	// virtio: flags (u16) and next (u16) offsets; 0 size: none.
	uint32_t flags_off, next_off;
	bool virtio;
};

/** One driver.  Members are names resolved at run time; NULL = absent. */
struct dms_nicring_driver {
	// Driver name as ethtool/net_device reports it ("i40e").
	const char *name;
	// Kernel source files the names come from.
	const char *source;
	// Debug modules whose types are needed ("virtio_net virtio_ring").
	const char *modules;
	enum dms_nicring_model model;

	// The struct at netdev_priv(dev).
	const char *priv_type;
	// Optional hop: priv.hop_member points to struct hop_type, which holds
	// the rings (i40e_netdev_priv.vsi -> i40e_vsi).
	const char *hop_member, *hop_type;
	enum dms_nicring_rings rings;
	// In the container (hop_type if any, else priv_type).
	const char *rings_member, *nrings_member;
	// RINGS_ARRAY element type (defaults to ring_type).
	const char *elem_type;
	// Optional: elem.elem_ring_ptr points at member ring_embed of the ring
	// struct (virtio: receive_queue.vq -> vring_virtqueue.vq, container_of).
	const char *elem_ring_ptr, *ring_embed;
	const char *ring_type;

	// Ring members.  BUFINFO without next_to_use/next_to_clean: a ring
	// the driver keeps full (bcmgenet, mtk_eth), whose producer index is
	// a device register: every slot holding a buffer is posted.
	const char *count, *next_to_use, *next_to_clean;
	// Descriptor ring: virtual address, DMA address, size in bytes.  No
	// desc (and desc_fmt NULL): the descriptors live in device memory
	// (bcmgenet), never in a dump.
	const char *desc, *desc_dma, *desc_bytes;
	// Per-slot driver array (pointer member) and its element type.  No
	// bufinfo_type: the array holds one data pointer per slot (mtk_eth
	// u8 **data) and the driver keeps no DMA address: the slot's address
	// is derived from the data pointer (dma_derived).
	const char *bufinfo, *bufinfo_type;
	// Members of the element: DMA address (required with bufinfo_type),
	// struct page *, data pointer (may share the page's offset: a union),
	// page offset, buffer length, struct sk_buff *.
	const char *slot_dma, *slot_page, *slot_data, *slot_page_offset, *slot_len, *slot_skb;
	// virtio: per-slot token array (desc_state[]) and its data pointer.
	const char *token, *token_type, *token_data;
	// virtio: avail ring, used ring, last used index, packed flag.
	const char *avail, *used, *last_used, *packed;
	// SKB_QUEUE: ring_type is the queue head (sk_buff_head, count its
	// qlen) and bufinfo_type the URB (slot_dma transfer_dma, slot_data
	// transfer_buffer, slot_len transfer_buffer_length).  queue_done: a
	// second queue in the container whose URBs completed (lan78xx
	// rxq_done).  skb_type and its list link skb_next (also the head's
	// first pointer), its control block skb_cb, and the struct in the
	// control block (cb_type) whose member cb_urb points to the URB.
	const char *queue_done, *skb_type, *skb_next, *skb_cb, *cb_type, *cb_urb;

	// Buffer length given to the device.
	struct dms_nicring_value buf_len;
	// Device-written header before the frame (virtio_net_hdr_mrg_rxbuf):
	// frame = buffer address + device_hdr.
	struct dms_nicring_value device_hdr;
	// Typical frame start offset inside the allocated buffer (headroom:
	// NET_SKB_PAD, I40E_SKB_PAD ...), for the DMA fingerprint.  With a
	// derived DMA address (no bufinfo_type), the driver mapped data +
	// frame_offset.
	struct dms_nicring_value frame_offset;
	const struct dms_nicring_desc_fmt *desc_fmt;
};

/** The built-in table: *ret entries. */
const struct dms_nicring_driver *dms_nicring_drivers(size_t *ret);

/** The built-in entry for a driver name, or NULL. */
const struct dms_nicring_driver *dms_nicring_driver_find(const char *name);

/** netdev_priv(): dev + ALIGN(sizeof(struct net_device), 32). */
uint64_t dms_nicring_netdev_priv(uint64_t netdev, uint64_t sizeof_net_device);

// Findings: (code, short description).  Add new ones at the end.
#define DMS_NICRING_FINDINGS                                                                       \
	DMS_NICRING_FINDING(BAD_POINTER, "invalid kernel pointer")                                 \
	DMS_NICRING_FINDING(NOT_IN_DUMP, "ring memory not in the dump")                            \
	DMS_NICRING_FINDING(BAD_COUNT, "impossible ring count")                                    \
	DMS_NICRING_FINDING(BAD_INDEX, "ring index out of range")                                  \
	DMS_NICRING_FINDING(DESC_SIZE, "descriptor ring size disagrees with count")                \
	DMS_NICRING_FINDING(BAD_CHAIN, "broken descriptor chain")                                  \
	DMS_NICRING_FINDING(BAD_SLOT_POINTER, "slot page/data pointer invalid")                    \
	DMS_NICRING_FINDING(UNSUPPORTED, "ring format not supported")

enum dms_nicring_code {
#define DMS_NICRING_FINDING(name, desc) DMS_NICRING_##name,
	DMS_NICRING_FINDINGS
#undef DMS_NICRING_FINDING
		DMS_NICRING_NUM_CODES,
};

/** Upper-case code name ("BAD_COUNT") / short description. */
const char *dms_nicring_code_name(enum dms_nicring_code code);
const char *dms_nicring_code_desc(enum dms_nicring_code code);

struct dms_nicring_finding {
	enum dms_nicring_code code;
	// Ring index, slot index (-1: not about one).
	int32_t ring, slot;
	// Address of the offending field and the value found there.
	uint64_t addr, value;
	char reason[128];
};

/** Who holds a slot's buffer. */
enum dms_nicring_slot_state {
	// No buffer recorded.
	DMS_NICRING_SLOT_EMPTY,
	// Posted: the device may write into it (Intel: [ntc, ntu); virtio:
	// on the avail ring, not yet used).
	DMS_NICRING_SLOT_POSTED,
	// virtio: used by the device, not yet taken by the driver.
	DMS_NICRING_SLOT_COMPLETED,
	// Outside the posted window but still naming a buffer: driver-owned or
	// a stale copy the driver did not clear.
	DMS_NICRING_SLOT_STALE,
};

/** "empty", "posted", "completed", "stale". */
const char *dms_nicring_slot_state_name(enum dms_nicring_slot_state state);

/** How a DMA address became physical. */
enum dms_nicring_phys {
	// No IOMMU: DMA address == physical address.
	DMS_NICRING_PHYS_IDENTITY,
	// Translated by the IOVA hook, or (dma_derived) the physical address
	// of the driver's data pointer while the device's IOVA is unknown.
	DMS_NICRING_PHYS_TRANSLATED,
	// The hook could not translate: phys is 0.
	DMS_NICRING_PHYS_UNKNOWN,
};

struct dms_nicring_slot {
	uint32_t index;
	enum dms_nicring_slot_state state;
	// As the driver recorded it (buffer-info dma, virtio desc_extra addr).
	uint64_t dma;
	// Address the driver gave the device: dma + page offset.
	uint64_t buf_dma;
	// Where a received frame starts: buf_dma + device header.
	uint64_t frame_dma;
	// Physical addresses of buf_dma and frame_dma (see phys_state).
	uint64_t buf_phys, frame_phys;
	enum dms_nicring_phys phys_state;
	// struct page * and its physical address (0 if none / unknown).
	uint64_t page, page_phys;
	// Data pointer (e1000 rxbuf.data, virtio desc_state data), or 0.
	uint64_t data;
	// struct sk_buff * the slot holds (bcmgenet), or 0.
	uint64_t skb;
	// The driver keeps no DMA address (mtk_eth): dma is the physical
	// address of data + frame_offset, which equals what the device was
	// given only without an IOMMU (with one, dma and buf_dma are 0).
	bool dma_derived;
	uint32_t page_offset;
	// Buffer length (per slot if the driver keeps one, else the ring's).
	uint32_t len;
};

struct dms_nicring_ring {
	uint32_t index;
	// Ring struct address (i40e_ring, vring_virtqueue).
	uint64_t addr;
	// False: the ring was skipped (see the findings).
	bool valid;
	// Not set up: no buffer array (interface down, ring freed).
	bool unallocated;
	uint32_t count;
	// Intel: next_to_use / next_to_clean.  virtio: avail->idx and
	// last_used_idx (free-running 16-bit); used_idx is used->idx.
	uint32_t ntu, ntc, used_idx;
	// Descriptor ring: virtual, DMA, physical address, bytes.
	uint64_t desc, desc_dma, desc_phys, desc_bytes;
	// Buffer-info array (virtio: desc_extra) address.
	uint64_t bufinfo;
	uint32_t buf_len, device_hdr, frame_offset;
	uint32_t nposted;
	struct dms_nicring_slot *slots;
	uint32_t nslots;
};

struct dms_nicring_result {
	const struct dms_nicring_driver *driver;
	// Struct at netdev_priv() and the ring container.
	uint64_t priv, container;
	struct dms_nicring_ring *rings;
	size_t nrings;
	struct dms_nicring_finding *findings;
	size_t nfindings;
};

/** Free a result; accepts NULL. */
void dms_nicring_result_destroy(struct dms_nicring_result *res);

/**
 * IOVA -> physical translation (IOMMU on).  Return NULL with *ret set, or
 * DMS_ERR_NOT_FOUND when it cannot translate (the slot then says UNKNOWN);
 * other errors stop the walk.
 */
typedef struct dms_error *dms_nicring_iova_fn(void *arg, uint64_t iova, uint64_t *ret);

/** What the walker reads with. */
struct dms_nicring_env {
	// Reads kernel virtual addresses (through read_phys) and translates
	// them to physical (kvaddr_to_paddr).
	const struct dms_reader *kv;
	// NULL: DMA address == physical address.
	dms_nicring_iova_fn *iova_to_phys;
	void *iova_arg;
	// struct page array (vmemmap_base) and sizeof(struct page); 0: page
	// pointers are not translated or range-checked.
	uint64_t vmemmap, page_struct_size;
	// Highest pfn + 1 (bounds the vmemmap check); 0: unknown.
	uint64_t max_pfn;
	// Lowest address of the target's kernel range (kfacts.h
	// dms_kf_kernel_min(): x86-64 0xffff800000000000 with 4-level paging,
	// arm64 0xffff000000000000 with 48-bit VA); required.
	uint64_t kernel_min;
	// Caps; 0: defaults 65536 slots, 4096 rings.
	uint32_t max_slots, max_rings;
};

struct dms_nicring;

/**
 * Resolve a driver entry against a layout.  Fails (DMS_ERR_NOT_FOUND, the
 * message names "type.member") when a required name is missing; optional
 * ones (page, data, page offset, length sources) just go unused.
 */
struct dms_error *dms_nicring_create(const struct dms_nicring_driver *drv,
				     const struct dms_layout *layout, struct dms_nicring **ret);

/** Destroy; accepts NULL. */
void dms_nicring_destroy(struct dms_nicring *nr);

/** The entry a walker was created from. */
const struct dms_nicring_driver *dms_nicring_driver(const struct dms_nicring *nr);

/**
 * Walk every RX ring of the device whose netdev_priv() is priv.  Corruption
 * (bad pointers, counts, indices, missing memory) is a finding in the result
 * and the ring is skipped; errors are only for out-of-memory, invalid
 * arguments and reader/hook failures.
 */
struct dms_error *dms_nicring_walk(const struct dms_nicring *nr, const struct dms_nicring_env *env,
				   uint64_t priv, struct dms_nicring_result **ret);

/** A hardware descriptor read back from the descriptor ring. */
struct dms_nicring_hwdesc {
	uint32_t index;
	// False: not in the dump (the rest is zero).
	bool present;
	// Descriptor done: the device wrote a frame (Intel DD bit; virtio:
	// false).
	bool done;
	// The buffer address the device holds; addr_valid false when the
	// write-back format overwrote it.
	bool addr_valid;
	uint64_t addr;
	// Written-back length (Intel, when done) or posted length (virtio).
	uint32_t len;
	// virtio flags and next.
	uint16_t flags, next;
};

/**
 * Read the descriptor ring of a walked ring: what the DEVICE holds, as
 * opposed to the driver's buffer-info array.  *ret has ring->count entries
 * (free() it).  A ring that was skipped, or has no descriptor ring, gives
 * DMS_ERR_INVALID_ARGUMENT.
 */
struct dms_error *dms_nicring_read_hw(const struct dms_nicring *nr,
				      const struct dms_nicring_env *env,
				      const struct dms_nicring_ring *ring,
				      struct dms_nicring_hwdesc **ret);

/** Does the device's descriptor agree with the driver's slot? */
enum dms_nicring_agree {
	// The device holds the address the driver recorded.
	DMS_NICRING_AGREE,
	// The device holds a different address: evidence.
	DMS_NICRING_DIFFER,
	// Cannot tell (descriptor written back, not in the dump, slot empty).
	DMS_NICRING_UNKNOWN,
};

/** Compare one slot with its hardware descriptor. */
enum dms_nicring_agree dms_nicring_compare(const struct dms_nicring_slot *slot,
					   const struct dms_nicring_hwdesc *hw);

#endif // DMS_NICRING_H
