// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: NIC RX rings: the driver table and the generic walker.
// See nicring.h and docs/rxring-engine.md.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nicring.h"

// ---------------------------------------------------------------------------
// Hardware descriptor formats (read format as posted by the driver, and the
// write-back fields).  Checked against the kernel's unions in
// tests/unit/nicring_test.c.

// Intel 8254x legacy RX descriptor: e1000/e1000_hw.h struct e1000_rx_desc.
// Write-back keeps buffer_addr; status (DD = bit 0) at 12, length at 8.
static const struct dms_nicring_desc_fmt fmt_e1000_legacy = {
	.name = "e1000 legacy rx",
	.type = "e1000_rx_desc",
	.addr_member = "buffer_addr",
	.size = 16,
	.addr_off = 0,
	.addr_survives_wb = true,
	.status_off = 12,
	.status_size = 1,
	.dd_mask = 0x01,
	.len_off = 8,
	.len_size = 2,
	.len_mask = 0xffff,
};

// 82574 extended RX descriptor: e1000e/hw.h union e1000_rx_desc_extended.
// Write-back overwrites the address; wb.upper.status_error (DD = bit 0) at
// 8, wb.upper.length at 12.
static const struct dms_nicring_desc_fmt fmt_e1000e_ext = {
	.name = "e1000e extended rx",
	.type = "e1000_rx_desc_extended",
	.addr_member = "read.buffer_addr",
	.size = 16,
	.status_off = 8,
	.status_size = 4,
	.dd_mask = 0x01,
	.len_off = 12,
	.len_size = 2,
	.len_mask = 0xffff,
};

// XL710 16-byte RX descriptor: i40e/i40e_type.h union i40e_16byte_rx_desc
// (the driver's union i40e_rx_desc).  Write-back: qword1 at 8 holds DD in
// bit 0 and the packet buffer length in bits 38..51
// (I40E_RXD_QW1_LENGTH_PBUF_SHIFT/MASK).
static const struct dms_nicring_desc_fmt fmt_i40e_16 = {
	.name = "i40e 16-byte rx",
	.type = "i40e_16byte_rx_desc",
	.addr_member = "read.pkt_addr",
	.size = 16,
	.status_off = 8,
	.status_size = 8,
	.dd_mask = 0x01,
	.len_off = 8,
	.len_size = 8,
	.len_shift = 38,
	.len_mask = 0x3fff,
};

// 82599 advanced RX descriptor: ixgbe/ixgbe_type.h union ixgbe_adv_rx_desc.
// Write-back: wb.upper.status_error at 8 (DD = bit 0), wb.upper.length at 12.
static const struct dms_nicring_desc_fmt fmt_ixgbe_adv = {
	.name = "ixgbe advanced rx",
	.type = "ixgbe_adv_rx_desc",
	.addr_member = "read.pkt_addr",
	.size = 16,
	.status_off = 8,
	.status_size = 4,
	.dd_mask = 0x01,
	.len_off = 12,
	.len_size = 2,
	.len_mask = 0xffff,
};

// 82575/82576 advanced RX descriptor: igb/e1000_82575.h union
// e1000_adv_rx_desc; same layout as ixgbe's.
static const struct dms_nicring_desc_fmt fmt_igb_adv = {
	.name = "igb advanced rx",
	.type = "e1000_adv_rx_desc",
	.addr_member = "read.pkt_addr",
	.size = 16,
	.status_off = 8,
	.status_size = 4,
	.dd_mask = 0x01,
	.len_off = 12,
	.len_size = 2,
	.len_mask = 0xffff,
};

// virtio split ring descriptor (virtio 1.x spec 2.7.5, uapi
// linux/virtio_ring.h struct vring_desc): addr, len, flags, next.  The
// device never writes it: ownership is in the avail/used rings.
static const struct dms_nicring_desc_fmt fmt_vring_desc = {
	.name = "virtio split desc",
	.type = "vring_desc",
	.addr_member = "addr",
	.size = 16,
	.addr_survives_wb = true,
	.len_off = 8,
	.len_size = 4,
	.len_mask = 0xffffffff,
	.flags_off = 12,
	.next_off = 14,
	.virtio = true,
};

// MediaTek frame engine PDMA RX descriptor, 16-byte form:
// mediatek/mtk_eth_soc.h struct mtk_rx_dma { rxd1..rxd4 }.  rxd1 is the
// buffer address (32 bits; the driver unmaps with it after completion, so
// write-back keeps it), rxd2 holds RX_DMA_DONE (bit 31) and PLEN0 at
// dma_len_offset 16, 14 bits (MTK_TX_DMA_BUF_LEN 0x3fff).  The 32-byte
// mtk_rx_dma_v2 (MT7988, PLEN0 at bit 8) is used only by SoCs whose rings
// live in the frame engine's SRAM (MTK_SRAM): never in a dump.
static const struct dms_nicring_desc_fmt fmt_mtk_rx = {
	.name = "mtk pdma rx",
	.type = "mtk_rx_dma",
	.addr_member = "rxd1",
	.size = 16,
	.addr_off = 0,
	.addr_size = 4,
	.addr_survives_wb = true,
	.status_off = 4,
	.status_size = 4,
	.dd_mask = 0x80000000,
	.len_off = 4,
	.len_size = 4,
	.len_shift = 16,
	.len_mask = 0x3fff,
};

// VRING_DESC_F_NEXT.
#define VRING_DESC_F_NEXT 1
// Largest split virtqueue (virtio spec: Queue Size <= 32768).
#define VIRTQ_MAX 32768

// ---------------------------------------------------------------------------
// The driver table.  Member names are those of Linux 6.1 and 6.12 (checked
// against Debian's 6.1.0-56 amd64/arm64 and 6.12.95+deb12 arm64 debug modules
// by tests/unit/nicring_test.c); the headroom constants are those of 64-byte
// cache lines (NET_SKB_PAD 64, x86_64 and arm64).

static const struct dms_nicring_driver drivers[] = {
	{
		.name = "e1000",
		.source = "drivers/net/ethernet/intel/e1000/e1000.h, e1000_main.c",
		.modules = "e1000",
		.model = DMS_NICRING_MODEL_BUFINFO,
		.priv_type = "e1000_adapter",
		.rings = DMS_NICRING_RINGS_ARRAY,
		.rings_member = "rx_ring",
		.nrings_member = "num_rx_queues",
		.ring_type = "e1000_rx_ring",
		.count = "count",
		.next_to_use = "next_to_use",
		.next_to_clean = "next_to_clean",
		.desc = "desc",
		.desc_dma = "dma",
		.desc_bytes = "size",
		.bufinfo = "buffer_info",
		.bufinfo_type = "e1000_rx_buffer",
		.slot_dma = "dma",
		// A union: data (e1000_alloc_frag() + E1000_HEADROOM) for
		// standard frames, page for jumbo frames.
		.slot_page = "rxbuf.page",
		.slot_data = "rxbuf.data",
		.buf_len = { DMS_NICRING_SRC_PRIV, "rx_buffer_len", NULL, 0, 0 },
		// E1000_HEADROOM = NET_SKB_PAD + NET_IP_ALIGN; dma maps data.
		.frame_offset = { DMS_NICRING_SRC_CONST, NULL, NULL, 64, 0 },
		.desc_fmt = &fmt_e1000_legacy,
	},
	{
		.name = "e1000e",
		.source = "drivers/net/ethernet/intel/e1000e/e1000.h, netdev.c",
		.modules = "e1000e",
		.model = DMS_NICRING_MODEL_BUFINFO,
		.priv_type = "e1000_adapter",
		.rings = DMS_NICRING_RINGS_SINGLE,
		.rings_member = "rx_ring",
		.ring_type = "e1000_ring",
		.count = "count",
		.next_to_use = "next_to_use",
		.next_to_clean = "next_to_clean",
		.desc = "desc",
		.desc_dma = "dma",
		.desc_bytes = "size",
		.bufinfo = "buffer_info",
		.bufinfo_type = "e1000_buffer",
		// dma maps skb->data (e1000_alloc_rx_buffers) or a page (jumbo).
		.slot_dma = "dma",
		.slot_page = "page",
		.buf_len = { DMS_NICRING_SRC_PRIV, "rx_buffer_len", NULL, 0, 0 },
		// netdev_alloc_skb_ip_align(): NET_SKB_PAD + NET_IP_ALIGN.
		.frame_offset = { DMS_NICRING_SRC_CONST, NULL, NULL, 64, 0 },
		.desc_fmt = &fmt_e1000e_ext,
	},
	{
		.name = "virtio_net",
		.source = "drivers/net/virtio_net.c, drivers/virtio/virtio_ring.c",
		.modules = "virtio_net virtio_ring",
		.model = DMS_NICRING_MODEL_VIRTQ_SPLIT,
		.priv_type = "virtnet_info",
		.rings = DMS_NICRING_RINGS_ARRAY,
		.rings_member = "rq",
		// Every rq has a virtqueue; inactive ones may still hold buffers.
		.nrings_member = "max_queue_pairs",
		.elem_type = "receive_queue",
		.elem_ring_ptr = "vq",
		.ring_type = "vring_virtqueue",
		.ring_embed = "vq",
		.count = "split.vring.num",
		.desc = "split.vring.desc",
		.desc_dma = "split.queue_dma_addr",
		.bufinfo = "split.desc_extra",
		.bufinfo_type = "vring_desc_extra",
		.slot_dma = "addr",
		.slot_len = "len",
		.token = "split.desc_state",
		.token_type = "vring_desc_state_split",
		.token_data = "data",
		.avail = "split.vring.avail",
		.used = "split.vring.used",
		.last_used = "last_used_idx",
		.packed = "packed_ring",
		// struct virtio_net_hdr_mrg_rxbuf (12 bytes with VIRTIO_F_VERSION_1
		// or MRG_RXBUF) in front of every frame.
		.device_hdr = { DMS_NICRING_SRC_PRIV, "hdr_len", NULL, 0, 0 },
		.frame_offset = { DMS_NICRING_SRC_PRIV, "hdr_len", NULL, 0, 0 },
		.desc_fmt = &fmt_vring_desc,
	},
	{
		.name = "i40e",
		.source = "drivers/net/ethernet/intel/i40e/i40e.h, i40e_txrx.h, i40e_txrx.c",
		.modules = "i40e",
		.model = DMS_NICRING_MODEL_BUFINFO,
		.priv_type = "i40e_netdev_priv",
		.hop_member = "vsi",
		.hop_type = "i40e_vsi",
		.rings = DMS_NICRING_RINGS_PTRS,
		.rings_member = "rx_rings",
		.nrings_member = "num_queue_pairs",
		.ring_type = "i40e_ring",
		.count = "count",
		.next_to_use = "next_to_use",
		.next_to_clean = "next_to_clean",
		.desc = "desc",
		.desc_dma = "dma",
		.desc_bytes = "size",
		.bufinfo = "rx_bi",
		.bufinfo_type = "i40e_rx_buffer",
		.slot_dma = "dma",
		.slot_page = "page",
		// pkt_addr = dma + page_offset; page_offset starts at
		// rx_offset (I40E_SKB_PAD with build_skb) and flips by truesize.
		.slot_page_offset = "page_offset",
		.buf_len = { DMS_NICRING_SRC_RING, "rx_buf_len", NULL, 0, 0 },
		.frame_offset = { DMS_NICRING_SRC_RING, "rx_offset", NULL, 0, 0 },
		.desc_fmt = &fmt_i40e_16,
	},
	{
		.name = "ixgbe",
		.source = "drivers/net/ethernet/intel/ixgbe/ixgbe.h, ixgbe_main.c",
		.modules = "ixgbe",
		.model = DMS_NICRING_MODEL_BUFINFO,
		.priv_type = "ixgbe_adapter",
		.rings = DMS_NICRING_RINGS_INLINE_PTRS,
		.rings_member = "rx_ring",
		.nrings_member = "num_rx_queues",
		.ring_type = "ixgbe_ring",
		.count = "count",
		.next_to_use = "next_to_use",
		.next_to_clean = "next_to_clean",
		.desc = "desc",
		.desc_dma = "dma",
		.desc_bytes = "size",
		.bufinfo = "rx_buffer_info",
		.bufinfo_type = "ixgbe_rx_buffer",
		.slot_dma = "dma",
		.slot_page = "page",
		.slot_page_offset = "page_offset",
		// ixgbe_rx_bufsz(): IXGBE_RXBUFFER_3K if ring_uses_large_buffer().
		.buf_len = { DMS_NICRING_SRC_RING_FLAG, "state", "__IXGBE_RX_3K_BUFFER", 2048,
			     3072 },
		// ixgbe_rx_offset(): IXGBE_SKB_PAD with build_skb, else 0.
		.frame_offset = { DMS_NICRING_SRC_RING_FLAG, "state",
				  "__IXGBE_RX_BUILD_SKB_ENABLED", 0, 64 },
		.desc_fmt = &fmt_ixgbe_adv,
	},
	{
		.name = "igb",
		.source = "drivers/net/ethernet/intel/igb/igb.h, igb_main.c",
		.modules = "igb",
		.model = DMS_NICRING_MODEL_BUFINFO,
		.priv_type = "igb_adapter",
		.rings = DMS_NICRING_RINGS_INLINE_PTRS,
		.rings_member = "rx_ring",
		.nrings_member = "num_rx_queues",
		.ring_type = "igb_ring",
		.count = "count",
		.next_to_use = "next_to_use",
		.next_to_clean = "next_to_clean",
		.desc = "desc",
		.desc_dma = "dma",
		.desc_bytes = "size",
		.bufinfo = "rx_buffer_info",
		.bufinfo_type = "igb_rx_buffer",
		.slot_dma = "dma",
		.slot_page = "page",
		.slot_page_offset = "page_offset",
		// igb_rx_bufsz(): IGB_RXBUFFER_3072 if ring_uses_large_buffer().
		.buf_len = { DMS_NICRING_SRC_RING_FLAG, "flags", "IGB_RING_FLAG_RX_3K_BUFFER", 2048,
			     3072 },
		// igb_rx_offset(): IGB_SKB_PAD with build_skb, else 0.
		.frame_offset = { DMS_NICRING_SRC_RING_FLAG, "flags",
				  "IGB_RING_FLAG_RX_BUILD_SKB_ENABLED", 0, 64 },
		.desc_fmt = &fmt_igb_adv,
	},
	{
		// Raspberry Pi 4 / CM4 (BCM2711 GENET v5), Broadcom STB SoCs.
		.name = "bcmgenet",
		.source = "drivers/net/ethernet/broadcom/genet/bcmgenet.h, bcmgenet.c",
		.modules = "genet",
		.model = DMS_NICRING_MODEL_BUFINFO,
		.priv_type = "bcmgenet_priv",
		// rx_rings[GENET_MAX_MQ_CNT + 1]: ring 0 the default ring,
		// 1..hw_params->rx_queues priority rings (none on GENET v5);
		// unused ones stay zero.
		.rings = DMS_NICRING_RINGS_INLINE_ARRAY,
		.rings_member = "rx_rings",
		.ring_type = "bcmgenet_rx_ring",
		.count = "size",
		// The buffer descriptors are registers of the device (priv->base
		// + rdma_offset), never in a dump; the producer index too: the
		// driver refills each slot as it takes it, so the ring is full.
		// cbs points into priv->rx_cbs.
		.bufinfo = "cbs",
		.bufinfo_type = "enet_cb",
		// dma_map_single(skb->data, rx_buf_len) in bcmgenet_rx_refill().
		.slot_dma = "dma_addr",
		.slot_len = "dma_len",
		.slot_skb = "skb",
		.buf_len = { DMS_NICRING_SRC_PRIV, "rx_buf_len", NULL, 2048, 0 },
		// The device writes a 64-byte receive status block and 2 bytes
		// of IP alignment before the frame (bcmgenet_desc_rx():
		// skb_pull(skb, 66)).
		.device_hdr = { DMS_NICRING_SRC_CONST, NULL, NULL, 66, 0 },
		.frame_offset = { DMS_NICRING_SRC_CONST, NULL, NULL, 66, 0 },
	},
	{
		// MediaTek frame engine (MT7622/7623/7621/7629 and the Filogic
		// MT7981/7986/7988 of OpenWrt routers).
		.name = "mtk_soc_eth",
		.source = "drivers/net/ethernet/mediatek/mtk_eth_soc.h, mtk_eth_soc.c",
		.modules = "mtk_eth",
		.model = DMS_NICRING_MODEL_BUFINFO,
		// netdev_priv() is one MAC; the rings are the frame engine's,
		// shared by every MAC: mtk_mac.hw -> struct mtk_eth.
		.priv_type = "mtk_mac",
		.hop_member = "hw",
		.hop_type = "mtk_eth",
		// rx_ring[MTK_MAX_RX_RING_NUM]: ring 0, rings 1..3 only with
		// hardware LRO.  rx_ring_qdma is not walked.
		.rings = DMS_NICRING_RINGS_INLINE_ARRAY,
		.rings_member = "rx_ring",
		.ring_type = "mtk_rx_ring",
		.count = "dma_size",
		// calc_idx is the last slot returned to the device; the device's
		// index is a register: the driver keeps the ring full.
		.desc = "dma",
		.desc_dma = "phys",
		// u8 **data: one buffer address per slot, no DMA address kept
		// (the device's copy is rxd1 of the descriptor).
		.bufinfo = "data",
		.buf_len = { DMS_NICRING_SRC_RING, "buf_size", NULL, 0, 0 },
		// With a page_pool (NETSYS v2+) data is the page and the driver
		// maps page + MTK_PP_HEADROOM (XDP_PACKET_HEADROOM 256); else a
		// page frag mapped at data + NET_SKB_PAD (64 with 64-byte cache
		// lines, arm64 and x86_64) + ip_align (0 but on MT7628).
		.frame_offset = { DMS_NICRING_SRC_RING_NONZERO, "page_pool", NULL, 64, 256 },
		.desc_fmt = &fmt_mtk_rx,
	},
	{
		// Microchip LAN7800/7850 USB 3 bridges; the Raspberry Pi 3B+
		// (LAN7515).  No ring in host memory: rx_submit() puts each
		// skb's URB (skb->cb, struct skb_data) on rxq when it submits
		// it (transfer_buffer = skb->data; the host controller maps it
		// into transfer_dma), rx_complete() moves it to rxq_done.
		.name = "lan78xx",
		.source = "drivers/net/usb/lan78xx.c",
		.modules = "lan78xx",
		.model = DMS_NICRING_MODEL_SKB_QUEUE,
		.priv_type = "lan78xx_net",
		.rings_member = "rxq",
		.queue_done = "rxq_done",
		.ring_type = "sk_buff_head",
		.count = "qlen",
		.skb_type = "sk_buff",
		.skb_next = "next",
		.skb_cb = "cb",
		.cb_type = "skb_data",
		.cb_urb = "urb",
		.bufinfo_type = "urb",
		.slot_dma = "transfer_dma",
		.slot_data = "transfer_buffer",
		.slot_len = "transfer_buffer_length",
		// Each frame in the URB follows RX_CMD_A, RX_CMD_B (u32) and
		// RX_CMD_C (u16): lan78xx_rx() pulls 4, 4, 2.
		.device_hdr = { DMS_NICRING_SRC_CONST, NULL, NULL, 10, 0 },
		.frame_offset = { DMS_NICRING_SRC_CONST, NULL, NULL, 10, 0 },
	},
	{
		// SMSC LAN95xx USB 2 bridges: the Raspberry Pi 1, 2 and 3B
		// (LAN9512/9514).  A usbnet driver: netdev_priv is struct
		// usbnet, rx_submit() queues each skb on rxq with its URB in
		// skb->cb.  usbnet's done queue mixes RX and TX skbs: not walked.
		.name = "smsc95xx",
		.source = "drivers/net/usb/usbnet.c, include/linux/usb/usbnet.h, smsc95xx.c",
		.modules = "usbnet",
		.model = DMS_NICRING_MODEL_SKB_QUEUE,
		.priv_type = "usbnet",
		.rings_member = "rxq",
		.ring_type = "sk_buff_head",
		.count = "qlen",
		.skb_type = "sk_buff",
		.skb_next = "next",
		.skb_cb = "cb",
		.cb_type = "skb_data",
		.cb_urb = "urb",
		.bufinfo_type = "urb",
		.slot_dma = "transfer_dma",
		.slot_data = "transfer_buffer",
		.slot_len = "transfer_buffer_length",
		// A 4-byte RX status word before each frame (smsc95xx_rx_fixup:
		// skb_pull(skb, 4) in the 6.1 and 6.12 arm64 binaries).
		.device_hdr = { DMS_NICRING_SRC_CONST, NULL, NULL, 4, 0 },
		.frame_offset = { DMS_NICRING_SRC_CONST, NULL, NULL, 4, 0 },
	},
};

const struct dms_nicring_driver *dms_nicring_drivers(size_t *ret)
{
	*ret = sizeof(drivers) / sizeof(drivers[0]);
	return drivers;
}

const struct dms_nicring_driver *dms_nicring_driver_find(const char *name)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (!strcmp(drivers[i].name, name))
			return &drivers[i];
	}
	return NULL;
}

uint64_t dms_nicring_netdev_priv(uint64_t netdev, uint64_t sizeof_net_device)
{
	// NETDEV_ALIGN is 32 (include/linux/netdevice.h).
	return netdev + ((sizeof_net_device + 31) & ~31ULL);
}

static const char *const code_names[] = {
#define DMS_NICRING_FINDING(name, desc) [DMS_NICRING_##name] = #name,
	DMS_NICRING_FINDINGS
#undef DMS_NICRING_FINDING
};

static const char *const code_descs[] = {
#define DMS_NICRING_FINDING(name, desc) [DMS_NICRING_##name] = desc,
	DMS_NICRING_FINDINGS
#undef DMS_NICRING_FINDING
};

const char *dms_nicring_code_name(enum dms_nicring_code code)
{
	if ((unsigned int)code >= DMS_NICRING_NUM_CODES)
		return "UNKNOWN";
	return code_names[code];
}

const char *dms_nicring_code_desc(enum dms_nicring_code code)
{
	if ((unsigned int)code >= DMS_NICRING_NUM_CODES)
		return "unknown finding";
	return code_descs[code];
}

const char *dms_nicring_slot_state_name(enum dms_nicring_slot_state state)
{
	switch (state) {
	case DMS_NICRING_SLOT_EMPTY:
		return "empty";
	case DMS_NICRING_SLOT_POSTED:
		return "posted";
	case DMS_NICRING_SLOT_COMPLETED:
		return "completed";
	case DMS_NICRING_SLOT_STALE:
		return "stale";
	}
	return "?";
}

// ---------------------------------------------------------------------------
// Resolution.

// A member: offset and size; off < 0 means absent.
struct field {
	int64_t off;
	uint32_t size;
};

struct value {
	enum dms_nicring_src src;
	struct field f;
	uint32_t bit;
	uint32_t value, value_set;
};

struct dms_nicring {
	const struct dms_nicring_driver *drv;
	struct field hop, rings, nrings, elem_ring_ptr;
	uint64_t ring_embed_off, elem_size, bufinfo_size, token_size;
	// INLINE_PTRS / INLINE_ARRAY: number of elements in the array.
	uint64_t rings_inline_len;
	struct field count, ntu, ntc, desc, desc_dma, desc_bytes, bufinfo;
	struct field slot_dma, slot_page, slot_data, slot_page_offset, slot_len, slot_skb;
	struct field token, token_data, avail, used, last_used, packed;
	struct value buf_len, device_hdr, frame_offset;
	// SKB_QUEUE: done queue (in the container), the head's first pointer,
	// skb's link and skb's URB pointer (skb_cb + cb_urb).
	struct field qdone, qnext, skb_next, skb_urb;
};

static struct dms_error *resolve(const struct dms_layout *l, const char *type, const char *member,
				 bool required, struct field *ret)
{
	ret->off = -1;
	ret->size = 0;
	if (!member)
		return NULL;
	uint64_t off, size;
	struct dms_error *err = dms_layout_member(l, type, member, &off, &size);
	if (err) {
		if (err->code == DMS_ERR_NOT_FOUND && !required) {
			dms_error_destroy(err);
			return NULL;
		}
		if (err->code == DMS_ERR_NOT_FOUND) {
			dms_error_destroy(err);
			return dms_error_create(DMS_ERR_NOT_FOUND, "%s.%s not found", type, member);
		}
		return err;
	}
	if (off > INT32_MAX || size > 4096)
		return dms_error_create(DMS_ERR_INVALID_DATA, "%s.%s: offset %llu size %llu", type,
					member, (unsigned long long)off, (unsigned long long)size);
	ret->off = (int64_t)off;
	ret->size = (uint32_t)size;
	return NULL;
}

// A scalar the walker reads: 1, 2, 4 or 8 bytes.
static struct dms_error *resolve_scalar(const struct dms_layout *l, const char *type,
					const char *member, bool required, struct field *ret)
{
	struct dms_error *err = resolve(l, type, member, required, ret);
	if (err || ret->off < 0)
		return err;
	if (ret->size != 1 && ret->size != 2 && ret->size != 4 && ret->size != 8)
		return dms_error_create(DMS_ERR_INVALID_DATA, "%s.%s: size %u is not a scalar",
					type, member, ret->size);
	return NULL;
}

static struct dms_error *resolve_size(const struct dms_layout *l, const char *type, uint64_t *ret)
{
	struct dms_error *err = dms_layout_type_size(l, type, ret);
	if (err)
		return err;
	if (*ret == 0 || *ret > (1 << 20))
		return dms_error_create(DMS_ERR_INVALID_DATA, "sizeof(%s) = %llu", type,
					(unsigned long long)*ret);
	return NULL;
}

static struct dms_error *resolve_value(const struct dms_layout *l,
				       const struct dms_nicring_driver *d,
				       const struct dms_nicring_value *v, struct value *ret)
{
	*ret = (struct value){ .src = v->src, .value = v->value, .value_set = v->value_set };
	ret->f.off = -1;
	struct dms_error *err = NULL;
	switch (v->src) {
	case DMS_NICRING_SRC_NONE:
	case DMS_NICRING_SRC_CONST:
		return NULL;
	case DMS_NICRING_SRC_RING:
	case DMS_NICRING_SRC_RING_NONZERO:
		err = resolve_scalar(l, d->ring_type, v->member, false, &ret->f);
		break;
	case DMS_NICRING_SRC_PRIV:
		err = resolve_scalar(l, d->priv_type, v->member, false, &ret->f);
		break;
	case DMS_NICRING_SRC_RING_FLAG: {
		err = resolve_scalar(l, d->ring_type, v->member, false, &ret->f);
		if (err || ret->f.off < 0)
			break;
		int64_t bit;
		err = dms_layout_enum_value(l, v->flag, &bit);
		if (err && err->code == DMS_ERR_NOT_FOUND) {
			// Unknown bit: fall back to the constant.
			dms_error_destroy(err);
			err = NULL;
			ret->f.off = -1;
		} else if (!err && (bit < 0 || bit >= 8 * ret->f.size)) {
			err = dms_error_create(DMS_ERR_INVALID_DATA, "%s = %lld out of range",
					       v->flag, (long long)bit);
		} else if (!err) {
			ret->bit = (uint32_t)bit;
		}
		break;
	}
	}
	// A missing member falls back to the constant.
	if (!err && ret->f.off < 0)
		ret->src = DMS_NICRING_SRC_CONST;
	return err;
}

// SKB_QUEUE entries: queue heads in the container, the skb's link and URB
// pointer, the URB's buffer fields.
static struct dms_error *create_skbq(const struct dms_nicring_driver *d, const struct dms_layout *l,
				     struct dms_nicring *nr)
{
	const char *container = d->hop_type ? d->hop_type : d->priv_type;
	struct field cb, urb;
	struct dms_error *err;
	nr->hop.off = nr->nrings.off = nr->elem_ring_ptr.off = -1;
	nr->ntu.off = nr->ntc.off = nr->desc.off = nr->desc_dma.off = nr->desc_bytes.off = -1;
	nr->bufinfo.off = nr->slot_page.off = nr->slot_page_offset.off = nr->slot_skb.off = -1;
	nr->token.off = nr->token_data.off = nr->avail.off = nr->used.off = -1;
	nr->last_used.off = nr->packed.off = -1;
	if ((err = resolve(l, d->priv_type, d->hop_member, d->hop_member != NULL, &nr->hop)) ||
	    (err = resolve(l, container, d->rings_member, true, &nr->rings)) ||
	    (err = resolve(l, container, d->queue_done, d->queue_done != NULL, &nr->qdone)) ||
	    (err = resolve_scalar(l, d->ring_type, d->skb_next, true, &nr->qnext)) ||
	    (err = resolve_scalar(l, d->ring_type, d->count, true, &nr->count)) ||
	    (err = resolve_scalar(l, d->skb_type, d->skb_next, true, &nr->skb_next)) ||
	    (err = resolve(l, d->skb_type, d->skb_cb, true, &cb)) ||
	    (err = resolve_scalar(l, d->cb_type, d->cb_urb, true, &urb)) ||
	    (err = resolve_size(l, d->bufinfo_type, &nr->bufinfo_size)) ||
	    (err = resolve_scalar(l, d->bufinfo_type, d->slot_dma, true, &nr->slot_dma)) ||
	    (err = resolve_scalar(l, d->bufinfo_type, d->slot_data, false, &nr->slot_data)) ||
	    (err = resolve_scalar(l, d->bufinfo_type, d->slot_len, false, &nr->slot_len)) ||
	    (err = resolve_value(l, d, &d->buf_len, &nr->buf_len)) ||
	    (err = resolve_value(l, d, &d->device_hdr, &nr->device_hdr)) ||
	    (err = resolve_value(l, d, &d->frame_offset, &nr->frame_offset)))
		return err;
	if ((nr->hop.off >= 0 && nr->hop.size != 8) || nr->qnext.size != 8 ||
	    nr->skb_next.size != 8 || urb.size != 8 || urb.off + 8 > cb.size)
		return dms_error_create(DMS_ERR_INVALID_DATA, "%s: queue or URB pointer layout",
					d->name);
	nr->skb_urb = (struct field){ .off = cb.off + urb.off, .size = 8 };
	return NULL;
}

struct dms_error *dms_nicring_create(const struct dms_nicring_driver *d, const struct dms_layout *l,
				     struct dms_nicring **ret)
{
	// A descriptor ring needs its format; a buffer-info struct its DMA
	// address (without a struct, bufinfo is an array of data pointers).
	bool skbq = d && d->model == DMS_NICRING_MODEL_SKB_QUEUE;
	if (!d || !l || !d->priv_type || !d->ring_type || !d->rings_member ||
	    ((d->desc || d->model == DMS_NICRING_MODEL_VIRTQ_SPLIT) && !d->desc_fmt) ||
	    (!d->bufinfo && !skbq) || (d->bufinfo_type && !d->slot_dma) || !d->count ||
	    (skbq && (!d->bufinfo_type || !d->skb_type || !d->skb_next || !d->skb_cb ||
		      !d->cb_type || !d->cb_urb)))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "incomplete driver entry %s",
					d && d->name ? d->name : "?");
	struct dms_nicring *nr = calloc(1, sizeof(*nr));
	if (!nr)
		return &dms_enomem;
	nr->drv = d;
	if (skbq) {
		struct dms_error *qerr = create_skbq(d, l, nr);
		if (qerr) {
			free(nr);
			return qerr;
		}
		*ret = nr;
		return NULL;
	}
	const char *container = d->hop_type ? d->hop_type : d->priv_type;
	const char *elem = d->elem_type ? d->elem_type : d->ring_type;
	bool virtq = d->model == DMS_NICRING_MODEL_VIRTQ_SPLIT;
	struct dms_error *err = NULL;
#define TRY(call)                                                                                  \
	do {                                                                                       \
		err = (call);                                                                      \
		if (err)                                                                           \
			goto out_free;                                                             \
	} while (0)
	TRY(resolve(l, d->priv_type, d->hop_member, d->hop_member != NULL, &nr->hop));
	if (nr->hop.off >= 0 && nr->hop.size != 8) {
		err = dms_error_create(DMS_ERR_INVALID_DATA, "%s.%s is not a pointer", d->priv_type,
				       d->hop_member);
		goto out_free;
	}
	TRY(resolve(l, container, d->rings_member, true, &nr->rings));
	if (d->rings == DMS_NICRING_RINGS_INLINE_PTRS) {
		nr->rings_inline_len = nr->rings.size / 8;
		if (!nr->rings_inline_len) {
			err = dms_error_create(DMS_ERR_INVALID_DATA, "%s.%s is not an array",
					       container, d->rings_member);
			goto out_free;
		}
	} else if (d->rings == DMS_NICRING_RINGS_INLINE_ARRAY) {
		TRY(resolve_size(l, elem, &nr->elem_size));
		nr->rings_inline_len = nr->rings.size / nr->elem_size;
		if (!nr->rings_inline_len || nr->rings.size % nr->elem_size) {
			err = dms_error_create(DMS_ERR_INVALID_DATA,
					       "%s.%s is not an array of struct %s", container,
					       d->rings_member, elem);
			goto out_free;
		}
	} else if (nr->rings.size != 8) {
		err = dms_error_create(DMS_ERR_INVALID_DATA, "%s.%s is not a pointer", container,
				       d->rings_member);
		goto out_free;
	}
	TRY(resolve_scalar(l, container, d->nrings_member, d->nrings_member != NULL, &nr->nrings));
	if (d->rings == DMS_NICRING_RINGS_ARRAY)
		TRY(resolve_size(l, elem, &nr->elem_size));
	nr->elem_ring_ptr.off = -1;
	if (d->elem_ring_ptr) {
		TRY(resolve_scalar(l, elem, d->elem_ring_ptr, true, &nr->elem_ring_ptr));
		struct field embed;
		TRY(resolve(l, d->ring_type, d->ring_embed, d->ring_embed != NULL, &embed));
		nr->ring_embed_off = embed.off > 0 ? (uint64_t)embed.off : 0;
	}
	TRY(resolve_scalar(l, d->ring_type, d->count, true, &nr->count));
	TRY(resolve_scalar(l, d->ring_type, d->next_to_use, !virtq, &nr->ntu));
	TRY(resolve_scalar(l, d->ring_type, d->next_to_clean, !virtq, &nr->ntc));
	TRY(resolve_scalar(l, d->ring_type, d->desc, true, &nr->desc));
	TRY(resolve_scalar(l, d->ring_type, d->desc_dma, false, &nr->desc_dma));
	TRY(resolve_scalar(l, d->ring_type, d->desc_bytes, false, &nr->desc_bytes));
	// A split virtqueue keeps each buffer's DMA address in a shadow array
	// (desc_extra, 5.13+); before that only in the descriptor table itself,
	// which the driver writes and the device never does.
	TRY(resolve_scalar(l, d->ring_type, d->bufinfo, !virtq, &nr->bufinfo));
	nr->slot_dma.off = nr->slot_page.off = nr->slot_data.off = -1;
	nr->slot_page_offset.off = nr->slot_len.off = nr->slot_skb.off = -1;
	if (nr->bufinfo.off >= 0 && !d->bufinfo_type) {
		// An array of data pointers (mtk_eth u8 **data).
		nr->bufinfo_size = 8;
		nr->slot_data = (struct field){ .off = 0, .size = 8 };
	} else if (nr->bufinfo.off >= 0) {
		TRY(resolve_size(l, d->bufinfo_type, &nr->bufinfo_size));
		TRY(resolve_scalar(l, d->bufinfo_type, d->slot_dma, true, &nr->slot_dma));
		TRY(resolve_scalar(l, d->bufinfo_type, d->slot_page, false, &nr->slot_page));
		TRY(resolve_scalar(l, d->bufinfo_type, d->slot_data, false, &nr->slot_data));
		TRY(resolve_scalar(l, d->bufinfo_type, d->slot_page_offset, false,
				   &nr->slot_page_offset));
		TRY(resolve_scalar(l, d->bufinfo_type, d->slot_len, false, &nr->slot_len));
		TRY(resolve_scalar(l, d->bufinfo_type, d->slot_skb, false, &nr->slot_skb));
	}
	nr->token.off = nr->token_data.off = -1;
	if (d->token && d->token_type) {
		TRY(resolve_scalar(l, d->ring_type, d->token, false, &nr->token));
		if (nr->token.off >= 0) {
			TRY(resolve_size(l, d->token_type, &nr->token_size));
			TRY(resolve_scalar(l, d->token_type, d->token_data, true, &nr->token_data));
		}
	}
	TRY(resolve_scalar(l, d->ring_type, d->avail, virtq, &nr->avail));
	TRY(resolve_scalar(l, d->ring_type, d->used, virtq, &nr->used));
	TRY(resolve_scalar(l, d->ring_type, d->last_used, virtq, &nr->last_used));
	TRY(resolve_scalar(l, d->ring_type, d->packed, false, &nr->packed));
	TRY(resolve_value(l, d, &d->buf_len, &nr->buf_len));
	TRY(resolve_value(l, d, &d->device_hdr, &nr->device_hdr));
	TRY(resolve_value(l, d, &d->frame_offset, &nr->frame_offset));
#undef TRY
	// Members the walker reads out of fixed-size slot buffers must fit.
	const struct field *in_slot[] = { &nr->slot_dma,	 &nr->slot_page, &nr->slot_data,
					  &nr->slot_page_offset, &nr->slot_len,	 &nr->slot_skb };
	for (size_t i = 0; i < sizeof(in_slot) / sizeof(in_slot[0]); i++) {
		if (in_slot[i]->off >= 0 &&
		    (uint64_t)in_slot[i]->off + in_slot[i]->size > nr->bufinfo_size) {
			err = dms_error_create(DMS_ERR_INVALID_DATA, "%s member outside the struct",
					       d->bufinfo_type);
			goto out_free;
		}
	}
	if (nr->token_data.off >= 0 && (uint64_t)nr->token_data.off + 8 > nr->token_size) {
		err = dms_error_create(DMS_ERR_INVALID_DATA, "%s member outside the struct",
				       d->token_type);
		goto out_free;
	}
	*ret = nr;
	return NULL;
out_free:
	free(nr);
	return err;
}

void dms_nicring_destroy(struct dms_nicring *nr)
{
	free(nr);
}

const struct dms_nicring_driver *dms_nicring_driver(const struct dms_nicring *nr)
{
	return nr->drv;
}

// ---------------------------------------------------------------------------
// The walker.

struct walk {
	const struct dms_nicring *nr;
	const struct dms_nicring_env *env;
	struct dms_nicring_result *res;
	size_t findings_cap;
	uint64_t kernel_min;
	uint32_t max_slots, max_rings;
	uint64_t priv;
};

static uint64_t le(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

// A field out of a buffer read from memory (absent: 0).
static uint64_t get(const uint8_t *buf, const struct field *f)
{
	if (f->off < 0)
		return 0;
	return le(buf + f->off, f->size);
}

// The buffer address of a hardware descriptor in format fmt.
static uint64_t desc_addr(const struct dms_nicring_desc_fmt *fmt, const uint8_t *p)
{
	return le(p + fmt->addr_off, fmt->addr_size ? fmt->addr_size : 8);
}

__attribute__((format(printf, 7, 8))) static struct dms_error *
finding(struct walk *w, enum dms_nicring_code code, int32_t ring, int32_t slot, uint64_t addr,
	uint64_t value, const char *fmt, ...)
{
	struct dms_nicring_result *res = w->res;
	if (res->nfindings == w->findings_cap) {
		size_t ncap = w->findings_cap ? w->findings_cap * 2 : 8;
		struct dms_nicring_finding *nf = realloc(res->findings, ncap * sizeof(*nf));
		if (!nf)
			return &dms_enomem;
		res->findings = nf;
		w->findings_cap = ncap;
	}
	struct dms_nicring_finding *f = &res->findings[res->nfindings++];
	*f = (struct dms_nicring_finding){
		.code = code, .ring = ring, .slot = slot, .addr = addr, .value = value
	};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	return NULL;
}

static bool kptr_ok(const struct walk *w, uint64_t p, uint64_t align)
{
	return p >= w->kernel_min && (p & (align - 1)) == 0 && p <= UINT64_MAX - (1 << 20);
}

// Read len bytes at a kernel virtual address; *ok false if any is missing.
static struct dms_error *kread(const struct walk *w, uint64_t addr, void *buf, size_t len,
			       size_t *got)
{
	*got = 0;
	if (addr > UINT64_MAX - len)
		return NULL;
	return dms_reader_read_phys(w->env->kv, addr, buf, len, got);
}

// Read a scalar field of the struct at base.  *ok false if not present.
static struct dms_error *kread_field(const struct walk *w, uint64_t base, const struct field *f,
				     uint64_t *ret, bool *ok)
{
	*ret = 0;
	*ok = false;
	if (f->off < 0)
		return NULL;
	uint8_t buf[8];
	size_t got;
	struct dms_error *err = kread(w, base + (uint64_t)f->off, buf, f->size, &got);
	if (err)
		return err;
	if (got == f->size) {
		*ret = le(buf, f->size);
		*ok = true;
	}
	return NULL;
}

// Read a pointer field and check it: 0 is returned as 0 with *ok true;
// anything else must be a kernel address aligned to align.  Records a
// finding (ring index r) when missing or invalid.
static struct dms_error *read_ptr(struct walk *w, int32_t r, uint64_t base, const struct field *f,
				  const char *what, uint64_t align, uint64_t *ret, bool *ok)
{
	bool present;
	struct dms_error *err = kread_field(w, base, f, ret, &present);
	*ok = false;
	if (err)
		return err;
	if (!present)
		return finding(w, DMS_NICRING_NOT_IN_DUMP, r, -1, base + (uint64_t)f->off, 0,
			       "%s at %#llx not in the dump", what,
			       (unsigned long long)(base + (uint64_t)f->off));
	if (*ret && !kptr_ok(w, *ret, align))
		return finding(w, DMS_NICRING_BAD_POINTER, r, -1, base + (uint64_t)f->off, *ret,
			       "%s %#llx is not a kernel pointer", what, (unsigned long long)*ret);
	*ok = true;
	return NULL;
}

static uint32_t value_of(const struct value *v, const uint8_t *ring, const uint8_t *priv)
{
	switch (v->src) {
	case DMS_NICRING_SRC_NONE:
		return 0;
	case DMS_NICRING_SRC_CONST:
		return v->value;
	case DMS_NICRING_SRC_RING:
		return (uint32_t)get(ring, &v->f);
	case DMS_NICRING_SRC_PRIV:
		return priv ? (uint32_t)get(priv, &v->f) : v->value;
	case DMS_NICRING_SRC_RING_FLAG:
		return (get(ring, &v->f) >> v->bit) & 1 ? v->value_set : v->value;
	case DMS_NICRING_SRC_RING_NONZERO:
		return get(ring, &v->f) ? v->value_set : v->value;
	}
	return 0;
}

// Bytes of a struct needed to hold every field the walker reads from it.
static uint64_t span(const struct field *const *fields, size_t n)
{
	uint64_t end = 0;
	for (size_t i = 0; i < n; i++) {
		if (fields[i]->off >= 0 && (uint64_t)fields[i]->off + fields[i]->size > end)
			end = (uint64_t)fields[i]->off + fields[i]->size;
	}
	return end;
}

// Read the scalars of a struct we need into buf[0..span); false if missing.
static struct dms_error *read_span(struct walk *w, uint64_t addr, uint8_t *buf, uint64_t len,
				   bool *ok)
{
	size_t got;
	struct dms_error *err = kread(w, addr, buf, len, &got);
	*ok = !err && got == len;
	return err;
}

static struct dms_error *translate(struct walk *w, struct dms_nicring_slot *s)
{
	const struct dms_nicring_env *env = w->env;
	if (!env->iova_to_phys) {
		s->phys_state = DMS_NICRING_PHYS_IDENTITY;
		s->buf_phys = s->buf_dma;
		s->frame_phys = s->frame_dma;
		return NULL;
	}
	uint64_t pa;
	struct dms_error *err = env->iova_to_phys(env->iova_arg, s->buf_dma, &pa);
	if (err && err->code == DMS_ERR_NOT_FOUND) {
		dms_error_destroy(err);
		s->phys_state = DMS_NICRING_PHYS_UNKNOWN;
		return NULL;
	}
	if (err)
		return err;
	s->phys_state = DMS_NICRING_PHYS_TRANSLATED;
	s->buf_phys = pa;
	s->frame_phys = pa + (s->frame_dma - s->buf_dma);
	return NULL;
}

static bool in_vmemmap(const struct walk *w, uint64_t p)
{
	const struct dms_nicring_env *env = w->env;
	if (!env->vmemmap || !env->page_struct_size || p < env->vmemmap)
		return false;
	uint64_t idx = (p - env->vmemmap) / env->page_struct_size;
	if ((p - env->vmemmap) % env->page_struct_size)
		return false;
	return !env->max_pfn || idx < env->max_pfn;
}

// Fill the page/data fields of a slot from its buffer-info element.
static struct dms_error *slot_pointers(struct walk *w, int32_t r, struct dms_nicring_slot *s,
				       const uint8_t *e, uint64_t eaddr)
{
	const struct dms_nicring *nr = w->nr;
	const struct dms_nicring_env *env = w->env;
	uint64_t page = get(e, &nr->slot_page), data = get(e, &nr->slot_data);
	bool shared = nr->slot_page.off >= 0 && nr->slot_page.off == nr->slot_data.off;
	if (shared) {
		// A union: a pointer into vmemmap is the page, else the data.
		if (in_vmemmap(w, page))
			data = 0;
		else
			page = 0;
	}
	s->page = page;
	s->data = data;
	if (page && env->vmemmap && env->page_struct_size) {
		if (in_vmemmap(w, page)) {
			s->page_phys =
				(page - env->vmemmap) / env->page_struct_size * env->kv->page_size;
		} else {
			struct dms_error *err =
				finding(w, DMS_NICRING_BAD_SLOT_POINTER, r, (int32_t)s->index,
					eaddr + (uint64_t)nr->slot_page.off, page,
					"slot %u page %#llx is not a struct page", s->index,
					(unsigned long long)page);
			if (err)
				return err;
		}
	} else if (page && !kptr_ok(w, page, 8)) {
		struct dms_error *err =
			finding(w, DMS_NICRING_BAD_SLOT_POINTER, r, (int32_t)s->index,
				eaddr + (uint64_t)nr->slot_page.off, page,
				"slot %u page %#llx is not a kernel pointer", s->index,
				(unsigned long long)page);
		if (err)
			return err;
	}
	if (data && !kptr_ok(w, data, 1)) {
		struct dms_error *err =
			finding(w, DMS_NICRING_BAD_SLOT_POINTER, r, (int32_t)s->index,
				eaddr + (uint64_t)(nr->slot_data.off >= 0 ? nr->slot_data.off : 0),
				data, "slot %u data %#llx is not a kernel pointer", s->index,
				(unsigned long long)data);
		if (err)
			return err;
	}
	return NULL;
}

// The sk_buff a slot holds (bcmgenet enet_cb.skb): recorded, checked.
static struct dms_error *slot_skb(struct walk *w, int32_t r, struct dms_nicring_slot *s,
				  const uint8_t *e, uint64_t eaddr)
{
	const struct dms_nicring *nr = w->nr;
	s->skb = get(e, &nr->slot_skb);
	if (!s->skb || kptr_ok(w, s->skb, 8))
		return NULL;
	return finding(w, DMS_NICRING_BAD_SLOT_POINTER, r, (int32_t)s->index,
		       eaddr + (uint64_t)nr->slot_skb.off, s->skb,
		       "slot %u skb %#llx is not a kernel pointer", s->index,
		       (unsigned long long)s->skb);
}

// A slot whose driver keeps only a data pointer (mtk_eth): the driver
// mapped data + offset; its physical address is what the device was given
// when there is no IOMMU.  A data pointer the dump cannot translate leaves
// the address unknown.
static struct dms_error *derive_dma(struct walk *w, const struct dms_nicring_ring *ring,
				    uint32_t offset, struct dms_nicring_slot *s)
{
	s->dma_derived = true;
	s->phys_state = DMS_NICRING_PHYS_UNKNOWN;
	if (!s->data || !kptr_ok(w, s->data, 1))
		return NULL;
	uint64_t pa;
	struct dms_error *err = dms_reader_kvaddr_to_paddr(w->env->kv, s->data, &pa);
	if (err && err->code == DMS_ERR_NOT_FOUND) {
		dms_error_destroy(err);
		return NULL;
	}
	if (err)
		return err;
	s->buf_phys = pa + offset;
	s->frame_phys = s->buf_phys + ring->device_hdr;
	if (w->env->iova_to_phys) {
		// The IOVA the device holds is not recorded anywhere.
		s->phys_state = DMS_NICRING_PHYS_TRANSLATED;
		return NULL;
	}
	s->phys_state = DMS_NICRING_PHYS_IDENTITY;
	s->dma = s->buf_dma = s->buf_phys;
	s->frame_dma = s->frame_phys;
	return NULL;
}

// Read the buffer-info array (count elements of size esize) at addr into a
// new buffer; missing bytes are zero and reported once.
static struct dms_error *read_array(struct walk *w, int32_t r, uint64_t addr, uint64_t count,
				    uint64_t esize, const char *what, uint8_t **ret)
{
	*ret = NULL;
	uint64_t len = count * esize;
	uint8_t *buf = calloc(1, len ? len : 1);
	if (!buf)
		return &dms_enomem;
	size_t got;
	struct dms_error *err = kread(w, addr, buf, len, &got);
	if (!err && got < len)
		err = finding(w, DMS_NICRING_NOT_IN_DUMP, r, (int32_t)(got / esize), addr + got, 0,
			      "%s at %#llx: bytes from %#llx not in the dump", what,
			      (unsigned long long)addr, (unsigned long long)(addr + got));
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	return NULL;
}

static struct dms_error *ring_desc(struct walk *w, struct dms_nicring_ring *ring, const uint8_t *rb)
{
	const struct dms_nicring *nr = w->nr;
	int32_t r = (int32_t)ring->index;
	ring->desc = get(rb, &nr->desc);
	ring->desc_dma = get(rb, &nr->desc_dma);
	ring->desc_bytes = get(rb, &nr->desc_bytes);
	if (ring->desc && !kptr_ok(w, ring->desc, 16)) {
		struct dms_error *err = finding(w, DMS_NICRING_BAD_POINTER, r, -1,
						ring->addr + (uint64_t)nr->desc.off, ring->desc,
						"descriptor ring %#llx is not a kernel pointer",
						(unsigned long long)ring->desc);
		ring->desc = 0;
		if (err)
			return err;
	}
	if (ring->desc) {
		struct dms_error *err =
			dms_reader_kvaddr_to_paddr(w->env->kv, ring->desc, &ring->desc_phys);
		if (err && err->code != DMS_ERR_NOT_FOUND)
			return err;
		dms_error_destroy(err);
	}
	// Descriptors in device memory (no format): nothing to check.
	if (!nr->drv->desc_fmt)
		return NULL;
	// The ring's byte size is count descriptors rounded up to a page, or
	// sized for the driver's largest descriptor format (e1000e allocates
	// 32-byte packet-split descriptors and uses 16-byte extended ones).
	uint64_t want = (uint64_t)ring->count * nr->drv->desc_fmt->size;
	if (nr->desc_bytes.off >= 0 && ring->desc_bytes &&
	    (ring->desc_bytes < want || ring->desc_bytes - want >= want + 4096))
		return finding(
			w, DMS_NICRING_DESC_SIZE, r, -1, ring->addr + (uint64_t)nr->desc_bytes.off,
			ring->desc_bytes, "descriptor ring is %llu bytes for %u descriptors of %u",
			(unsigned long long)ring->desc_bytes, ring->count, nr->drv->desc_fmt->size);
	return NULL;
}

static struct dms_error *walk_bufinfo(struct walk *w, struct dms_nicring_ring *ring,
				      const uint8_t *rb, const uint8_t *pb)
{
	const struct dms_nicring *nr = w->nr;
	int32_t r = (int32_t)ring->index;
	struct dms_error *err;
	ring->ntu = (uint32_t)get(rb, &nr->ntu);
	ring->ntc = (uint32_t)get(rb, &nr->ntc);
	bool window = true;
	// No driver indices: the driver keeps the ring full and the producer
	// index is a device register; every slot holding a buffer is posted.
	bool full = nr->ntu.off < 0 && nr->ntc.off < 0;
	if (!full && (ring->ntu >= ring->count || ring->ntc >= ring->count)) {
		// The posted window is unknown; slots are still read.
		window = false;
		err = finding(w, DMS_NICRING_BAD_INDEX, r, -1, ring->addr + (uint64_t)nr->ntu.off,
			      ring->ntu, "next_to_use %u / next_to_clean %u not below count %u",
			      ring->ntu, ring->ntc, ring->count);
		if (err)
			return err;
	}
	err = ring_desc(w, ring, rb);
	if (err)
		return err;
	ring->bufinfo = get(rb, &nr->bufinfo);
	if (!ring->bufinfo) {
		ring->unallocated = true;
		ring->valid = true;
		return NULL;
	}
	if (!kptr_ok(w, ring->bufinfo, 8))
		return finding(w, DMS_NICRING_BAD_POINTER, r, -1,
			       ring->addr + (uint64_t)nr->bufinfo.off, ring->bufinfo,
			       "buffer-info array %#llx is not a kernel pointer",
			       (unsigned long long)ring->bufinfo);
	uint8_t *arr;
	err = read_array(w, r, ring->bufinfo, ring->count, nr->bufinfo_size, "buffer-info array",
			 &arr);
	if (err)
		return err;
	ring->slots = calloc(ring->count, sizeof(*ring->slots));
	if (!ring->slots) {
		free(arr);
		return &dms_enomem;
	}
	ring->nslots = ring->count;
	ring->valid = true;
	for (uint32_t i = 0; i < ring->count; i++) {
		struct dms_nicring_slot *s = &ring->slots[i];
		const uint8_t *e = arr + (uint64_t)i * nr->bufinfo_size;
		uint64_t eaddr = ring->bufinfo + (uint64_t)i * nr->bufinfo_size;
		s->index = i;
		s->dma = get(e, &nr->slot_dma);
		s->page_offset = (uint32_t)get(e, &nr->slot_page_offset);
		s->len = nr->slot_len.off >= 0 ? (uint32_t)get(e, &nr->slot_len) : ring->buf_len;
		s->buf_dma = s->dma + s->page_offset;
		s->frame_dma = s->buf_dma + ring->device_hdr;
		err = slot_pointers(w, r, s, e, eaddr);
		if (err)
			break;
		err = slot_skb(w, r, s, e, eaddr);
		if (err)
			break;
		(void)pb;
		bool empty = !s->dma && !s->page && !s->data && !s->skb;
		// [ntc, ntu) circular: posted to the device.
		bool posted = full || (window &&
				       (ring->ntc <= ring->ntu ? i >= ring->ntc && i < ring->ntu
							       : i >= ring->ntc || i < ring->ntu));
		s->state = empty    ? DMS_NICRING_SLOT_EMPTY
			   : posted ? DMS_NICRING_SLOT_POSTED
				    : DMS_NICRING_SLOT_STALE;
		if (s->state == DMS_NICRING_SLOT_POSTED)
			ring->nposted++;
		if (!empty && nr->slot_dma.off < 0) {
			err = derive_dma(w, ring, ring->frame_offset, s);
			if (err)
				break;
		} else if (!empty) {
			err = translate(w, s);
			if (err)
				break;
		}
	}
	free(arr);
	return err;
}

// Mark the descriptor chain starting at head (device view: the descriptor
// table) with state; bounded by num, a cycle is a finding.
static struct dms_error *mark_chain(struct walk *w, struct dms_nicring_ring *ring,
				    const uint8_t *descs, uint32_t head,
				    enum dms_nicring_slot_state state, uint64_t where)
{
	const struct dms_nicring_desc_fmt *fmt = w->nr->drv->desc_fmt;
	int32_t r = (int32_t)ring->index;
	if (head >= ring->count)
		return finding(w, DMS_NICRING_BAD_INDEX, r, -1, where, head,
			       "ring entry names descriptor %u of %u", head, ring->count);
	uint32_t d = head;
	for (uint32_t steps = 0;; steps++) {
		if (steps >= ring->count)
			return finding(w, DMS_NICRING_BAD_CHAIN, r, (int32_t)head, ring->desc, head,
				       "descriptor chain from %u longer than the ring (cycle)",
				       head);
		struct dms_nicring_slot *s = &ring->slots[d];
		if (s->state != DMS_NICRING_SLOT_POSTED && state == DMS_NICRING_SLOT_POSTED)
			ring->nposted++;
		s->state = state;
		if (!descs)
			return NULL;
		const uint8_t *p = descs + (uint64_t)d * fmt->size;
		if (!(le(p + fmt->flags_off, 2) & VRING_DESC_F_NEXT))
			return NULL;
		uint32_t next = (uint32_t)le(p + fmt->next_off, 2);
		if (next >= ring->count)
			return finding(w, DMS_NICRING_BAD_CHAIN, r, (int32_t)d,
				       ring->desc + (uint64_t)d * fmt->size + fmt->next_off, next,
				       "descriptor %u: next %u out of range", d, next);
		d = next;
	}
}

// virtio split ring (virtio 1.x spec 2.7): avail {u16 flags, idx, ring[num]},
// used {u16 flags, idx, {u32 id, u32 len}[num]}.
static struct dms_error *walk_virtq(struct walk *w, struct dms_nicring_ring *ring,
				    const uint8_t *rb)
{
	const struct dms_nicring *nr = w->nr;
	int32_t r = (int32_t)ring->index;
	struct dms_error *err;
	if (nr->packed.off >= 0 && get(rb, &nr->packed))
		return finding(w, DMS_NICRING_UNSUPPORTED, r, -1, ring->addr, 1,
			       "packed virtqueue: not supported");
	if (ring->count > VIRTQ_MAX || (ring->count & (ring->count - 1)))
		return finding(w, DMS_NICRING_BAD_COUNT, r, -1,
			       ring->addr + (uint64_t)nr->count.off, ring->count,
			       "virtqueue size %u is not a power of two <= 32768", ring->count);
	err = ring_desc(w, ring, rb);
	if (err)
		return err;
	uint64_t avail = get(rb, &nr->avail), used = get(rb, &nr->used);
	// Without desc_extra (before 5.13) the descriptor table holds the addresses.
	bool has_extra = nr->bufinfo.off >= 0;
	ring->bufinfo = has_extra ? get(rb, &nr->bufinfo) : 0;
	ring->ntc = (uint16_t)get(rb, &nr->last_used);
	if (has_extra ? !ring->bufinfo : !ring->desc) {
		ring->unallocated = true;
		ring->valid = true;
		return NULL;
	}
	const char *bad = has_extra && !kptr_ok(w, ring->bufinfo, 8) ? "desc_extra"
			  : !kptr_ok(w, avail, 2)		     ? "avail ring"
			  : !kptr_ok(w, used, 4)		     ? "used ring"
			  : !ring->desc				     ? "descriptor table"
								     : NULL;
	if (bad)
		return finding(w, DMS_NICRING_BAD_POINTER, r, -1, ring->addr, 0,
			       "%s pointer is not a kernel pointer", bad);
	uint8_t *extra = NULL, *tokens = NULL, *descs = NULL, *av = NULL, *us = NULL;
	if (has_extra) {
		err = read_array(w, r, ring->bufinfo, ring->count, nr->bufinfo_size, "desc_extra",
				 &extra);
		if (err)
			goto out_free;
	}
	uint64_t token_addr = 0;
	if (nr->token.off >= 0) {
		token_addr = get(rb, &nr->token);
		if (token_addr && !kptr_ok(w, token_addr, 8)) {
			err = finding(w, DMS_NICRING_BAD_POINTER, r, -1,
				      ring->addr + (uint64_t)nr->token.off, token_addr,
				      "desc_state %#llx is not a kernel pointer",
				      (unsigned long long)token_addr);
			token_addr = 0;
			if (err)
				goto out_free;
		}
		if (token_addr) {
			err = read_array(w, r, token_addr, ring->count, nr->token_size,
					 "desc_state", &tokens);
			if (err)
				goto out_free;
		}
	}
	const struct dms_nicring_desc_fmt *fmt = nr->drv->desc_fmt;
	err = read_array(w, r, ring->desc, ring->count, fmt->size, "descriptor table", &descs);
	if (err)
		goto out_free;
	err = read_array(w, r, avail, ring->count + 2, 2, "avail ring", &av);
	if (err)
		goto out_free;
	err = read_array(w, r, used, ring->count + 1, 8, "used ring", &us);
	if (err)
		goto out_free;
	ring->ntu = (uint16_t)le(av + 2, 2);
	ring->used_idx = (uint16_t)le(us + 2, 2);
	ring->slots = calloc(ring->count, sizeof(*ring->slots));
	if (!ring->slots) {
		err = &dms_enomem;
		goto out_free;
	}
	ring->nslots = ring->count;
	ring->valid = true;
	for (uint32_t i = 0; i < ring->count; i++) {
		struct dms_nicring_slot *s = &ring->slots[i];
		s->index = i;
		if (extra) {
			const uint8_t *e = extra + (uint64_t)i * nr->bufinfo_size;
			s->dma = get(e, &nr->slot_dma);
			s->len = nr->slot_len.off >= 0 ? (uint32_t)get(e, &nr->slot_len)
						       : ring->buf_len;
		} else {
			const uint8_t *dd = descs + (uint64_t)i * fmt->size;
			s->dma = desc_addr(fmt, dd);
			s->len = (uint32_t)((le(dd + fmt->len_off, fmt->len_size) >>
					     fmt->len_shift) &
					    fmt->len_mask);
		}
		s->buf_dma = s->dma;
		s->frame_dma = s->dma + ring->device_hdr;
		if (tokens)
			s->data = get(tokens + (uint64_t)i * nr->token_size, &nr->token_data);
		s->state = s->dma || s->data ? DMS_NICRING_SLOT_STALE : DMS_NICRING_SLOT_EMPTY;
		if (s->state != DMS_NICRING_SLOT_EMPTY) {
			err = translate(w, s);
			if (err)
				goto out_free;
		}
	}
	// Used by the device, not yet taken by the driver: used ring entries
	// [last_used_idx, used->idx).
	uint16_t ncompleted = (uint16_t)(ring->used_idx - ring->ntc);
	uint16_t npending = (uint16_t)(ring->ntu - ring->used_idx);
	// The two windows are checked apart: a device that kept consuming
	// buffers re-posted behind the driver's back (the driver stopped taking
	// used entries) overruns [last_used, used) while [used, avail) is still
	// exact, and those posted buffers are the evidence.
	if (npending > ring->count) {
		err = finding(w, DMS_NICRING_BAD_INDEX, r, -1, avail + 2, ring->ntu,
			      "avail idx %u, used idx %u, last used %u: more than %u in flight",
			      ring->ntu, ring->used_idx, ring->ntc, ring->count);
		goto out_free;
	}
	if (ncompleted > ring->count) {
		err = finding(w, DMS_NICRING_BAD_INDEX, r, -1, used + 2, ring->used_idx,
			      "used idx %u is %u past last used %u (ring of %u): device used more "
			      "than the driver posted",
			      ring->used_idx, ncompleted, ring->ntc, ring->count);
		if (err)
			goto out_free;
		ncompleted = 0;
	}
	for (uint32_t k = 0; k < ncompleted; k++) {
		uint32_t pos = (uint16_t)(ring->ntc + k) % ring->count;
		uint32_t id = (uint32_t)le(us + 4 + 8 * (uint64_t)pos, 4);
		err = mark_chain(w, ring, descs, id, DMS_NICRING_SLOT_COMPLETED,
				 used + 4 + 8 * pos);
		if (err)
			goto out_free;
	}
	// Posted and not yet used: avail ring entries [used->idx, avail->idx).
	for (uint32_t k = 0; k < npending; k++) {
		uint32_t pos = (uint16_t)(ring->used_idx + k) % ring->count;
		uint32_t head = (uint32_t)le(av + 4 + 2 * (uint64_t)pos, 2);
		err = mark_chain(w, ring, descs, head, DMS_NICRING_SLOT_POSTED,
				 avail + 4 + 2 * pos);
		if (err)
			goto out_free;
	}
out_free:
	free(extra);
	free(tokens);
	free(descs);
	free(av);
	free(us);
	return err;
}

static struct dms_error *walk_ring(struct walk *w, struct dms_nicring_ring *ring, const uint8_t *pb)
{
	const struct dms_nicring *nr = w->nr;
	int32_t r = (int32_t)ring->index;
	const struct field *const fields[] = {
		&nr->count,	&nr->ntu,	   &nr->ntc,
		&nr->desc,	&nr->desc_dma,	   &nr->desc_bytes,
		&nr->bufinfo,	&nr->token,	   &nr->avail,
		&nr->used,	&nr->last_used,	   &nr->packed,
		&nr->buf_len.f, &nr->device_hdr.f, &nr->frame_offset.f,
	};
	uint64_t len = span(fields, sizeof(fields) / sizeof(fields[0]));
	uint8_t *rb = calloc(1, len);
	if (!rb)
		return &dms_enomem;
	bool ok;
	struct dms_error *err = read_span(w, ring->addr, rb, len, &ok);
	if (err)
		goto out_free;
	if (!ok) {
		err = finding(w, DMS_NICRING_NOT_IN_DUMP, r, -1, ring->addr, 0,
			      "ring struct at %#llx not in the dump",
			      (unsigned long long)ring->addr);
		goto out_free;
	}
	uint64_t count = get(rb, &nr->count);
	if (nr->drv->rings == DMS_NICRING_RINGS_INLINE_ARRAY && count == 0 &&
	    get(rb, &nr->bufinfo) == 0) {
		// An element of the inline array the driver never set up.
		ring->unallocated = true;
		ring->valid = true;
		goto out_free;
	}
	if (count == 0 || count > w->max_slots) {
		err = finding(w, DMS_NICRING_BAD_COUNT, r, -1, ring->addr + (uint64_t)nr->count.off,
			      count, "ring count %llu (%#llx; cap %u)", (unsigned long long)count,
			      (unsigned long long)count, w->max_slots);
		goto out_free;
	}
	ring->count = (uint32_t)count;
	ring->buf_len = value_of(&nr->buf_len, rb, pb);
	ring->device_hdr = value_of(&nr->device_hdr, rb, pb);
	ring->frame_offset = value_of(&nr->frame_offset, rb, pb);
	if (nr->drv->model == DMS_NICRING_MODEL_VIRTQ_SPLIT)
		err = walk_virtq(w, ring, rb);
	else
		err = walk_bufinfo(w, ring, rb, pb);
out_free:
	free(rb);
	return err;
}

// The ring address of ring i; 0 with *ok true: no ring (a NULL slot).
static struct dms_error *ring_addr(struct walk *w, uint32_t i, uint64_t container, uint64_t base,
				   uint64_t *ret, bool *ok)
{
	const struct dms_nicring *nr = w->nr;
	int32_t r = (int32_t)i;
	struct dms_error *err = NULL;
	uint64_t elem = 0;
	*ok = false;
	*ret = 0;
	struct field ptr = { .off = 0, .size = 8 };
	switch (nr->drv->rings) {
	case DMS_NICRING_RINGS_SINGLE:
		elem = base;
		break;
	case DMS_NICRING_RINGS_ARRAY:
		elem = base + (uint64_t)i * nr->elem_size;
		break;
	case DMS_NICRING_RINGS_PTRS:
		err = read_ptr(w, r, base + 8ULL * i, &ptr, "ring pointer", 8, &elem, ok);
		if (err || !*ok)
			return err;
		break;
	case DMS_NICRING_RINGS_INLINE_PTRS:
		err = read_ptr(w, r, container + (uint64_t)nr->rings.off + 8ULL * i, &ptr,
			       "ring pointer", 8, &elem, ok);
		if (err || !*ok)
			return err;
		break;
	case DMS_NICRING_RINGS_INLINE_ARRAY:
		elem = container + (uint64_t)nr->rings.off + (uint64_t)i * nr->elem_size;
		break;
	}
	*ok = true;
	if (!elem || nr->elem_ring_ptr.off < 0) {
		*ret = elem;
		return NULL;
	}
	// container_of(elem->ptr, ring_type, ring_embed).
	uint64_t p;
	err = read_ptr(w, r, elem, &nr->elem_ring_ptr, "ring pointer", 8, &p, ok);
	if (err || !*ok)
		return err;
	if (p && p < nr->ring_embed_off + w->kernel_min) {
		*ok = false;
		return finding(w, DMS_NICRING_BAD_POINTER, r, -1,
			       elem + (uint64_t)nr->elem_ring_ptr.off, p,
			       "ring pointer %#llx below the kernel", (unsigned long long)p);
	}
	*ret = p ? p - nr->ring_embed_off : 0;
	return NULL;
}

// One skb queue (SKB_QUEUE model) at head: its skbs in list order, bounded
// by qlen (a list that does not come back to the head within qlen skbs is
// broken or cyclic), each skb's URB and the URB's buffer.
static struct dms_error *walk_skbq(struct walk *w, struct dms_nicring_ring *ring,
				   enum dms_nicring_slot_state state)
{
	const struct dms_nicring *nr = w->nr;
	int32_t r = (int32_t)ring->index;
	uint64_t head = ring->addr;
	const struct field *const hf[] = { &nr->qnext, &nr->count };
	uint8_t hb[64] = { 0 };
	uint64_t hlen = span(hf, 2);
	bool ok;
	struct dms_error *err = hlen <= sizeof(hb) ? read_span(w, head, hb, hlen, &ok) : NULL;
	if (err)
		return err;
	if (hlen > sizeof(hb) || !ok)
		return finding(w, DMS_NICRING_NOT_IN_DUMP, r, -1, head, 0,
			       "queue head at %#llx not in the dump", (unsigned long long)head);
	uint64_t qlen = get(hb, &nr->count);
	if (qlen > w->max_slots)
		return finding(w, DMS_NICRING_BAD_COUNT, r, -1, head + (uint64_t)nr->count.off,
			       qlen, "queue length %llu (cap %u)", (unsigned long long)qlen,
			       w->max_slots);
	ring->count = (uint32_t)qlen;
	ring->buf_len = value_of(&nr->buf_len, hb, NULL);
	ring->device_hdr = value_of(&nr->device_hdr, hb, NULL);
	ring->frame_offset = value_of(&nr->frame_offset, hb, NULL);
	ring->slots = calloc(qlen ? qlen : 1, sizeof(*ring->slots));
	if (!ring->slots)
		return &dms_enomem;
	ring->valid = true;
	const struct field *const sf[] = { &nr->skb_next, &nr->skb_urb };
	const struct field *const uf[] = { &nr->slot_dma, &nr->slot_data, &nr->slot_len };
	uint64_t slen = span(sf, 2), ulen = span(uf, 3);
	uint8_t sb[256], ub[512];
	if (slen > sizeof(sb) || ulen > sizeof(ub))
		return finding(w, DMS_NICRING_UNSUPPORTED, r, -1, head, 0,
			       "skb or URB fields beyond %zu bytes", sizeof(ub));
	uint64_t p = get(hb, &nr->qnext), where = head + (uint64_t)nr->qnext.off;
	uint32_t k = 0;
	for (;; k++) {
		if (p == head)
			break;
		if (k >= qlen)
			return finding(w, DMS_NICRING_BAD_CHAIN, r, (int32_t)k, where, p,
				       "queue longer than its qlen %llu (cycle or corrupt link)",
				       (unsigned long long)qlen);
		if (!kptr_ok(w, p, 8))
			return finding(w, DMS_NICRING_BAD_POINTER, r, (int32_t)k, where, p,
				       "skb %u link %#llx is not a kernel pointer", k,
				       (unsigned long long)p);
		err = read_span(w, p, sb, slen, &ok);
		if (err)
			return err;
		if (!ok)
			return finding(w, DMS_NICRING_NOT_IN_DUMP, r, (int32_t)k, p, 0,
				       "skb %u at %#llx not in the dump", k, (unsigned long long)p);
		struct dms_nicring_slot *s = &ring->slots[k];
		ring->nslots = k + 1;
		s->index = k;
		s->skb = p;
		s->len = ring->buf_len;
		uint64_t urb = get(sb, &nr->skb_urb);
		if (urb && !kptr_ok(w, urb, 8)) {
			err = finding(w, DMS_NICRING_BAD_SLOT_POINTER, r, (int32_t)k,
				      p + (uint64_t)nr->skb_urb.off, urb,
				      "skb %u URB %#llx is not a kernel pointer", k,
				      (unsigned long long)urb);
			if (err)
				return err;
		} else if (urb) {
			err = read_span(w, urb, ub, ulen, &ok);
			if (err)
				return err;
			if (ok) {
				s->dma = get(ub, &nr->slot_dma);
				s->data = get(ub, &nr->slot_data);
				if (nr->slot_len.off >= 0)
					s->len = (uint32_t)get(ub, &nr->slot_len);
			}
		}
		s->buf_dma = s->dma;
		s->frame_dma = s->dma ? s->dma + ring->device_hdr : 0;
		s->state = s->dma || s->data ? state : DMS_NICRING_SLOT_EMPTY;
		if (s->state == DMS_NICRING_SLOT_POSTED)
			ring->nposted++;
		if (s->data && !kptr_ok(w, s->data, 1)) {
			err = finding(w, DMS_NICRING_BAD_SLOT_POINTER, r, (int32_t)k, urb, s->data,
				      "skb %u URB buffer %#llx is not a kernel pointer", k,
				      (unsigned long long)s->data);
			if (err)
				return err;
		} else if (!s->dma && s->data) {
			// Not mapped by the host controller (yet): the buffer.
			err = derive_dma(w, ring, 0, s);
		} else if (s->dma) {
			err = translate(w, s);
		}
		if (err)
			return err;
		where = p + (uint64_t)nr->skb_next.off;
		p = get(sb, &nr->skb_next);
	}
	if (k != qlen)
		return finding(w, DMS_NICRING_BAD_COUNT, r, -1, head + (uint64_t)nr->count.off,
			       qlen, "queue holds %u skbs, its qlen says %llu", k,
			       (unsigned long long)qlen);
	return NULL;
}

static struct dms_error *walk_queues(struct walk *w, uint64_t container)
{
	const struct dms_nicring *nr = w->nr;
	struct dms_nicring_result *res = w->res;
	res->rings = calloc(2, sizeof(*res->rings));
	if (!res->rings)
		return &dms_enomem;
	// The submitted URBs, then those the device completed.
	const struct field *const q[] = { &nr->rings, &nr->qdone };
	const enum dms_nicring_slot_state st[] = { DMS_NICRING_SLOT_POSTED,
						   DMS_NICRING_SLOT_COMPLETED };
	for (uint32_t i = 0; i < 2; i++) {
		if (q[i]->off < 0)
			continue;
		struct dms_nicring_ring *ring = &res->rings[res->nrings++];
		ring->index = i;
		ring->addr = container + (uint64_t)q[i]->off;
		struct dms_error *err = walk_skbq(w, ring, st[i]);
		if (err)
			return err;
	}
	return NULL;
}

static struct dms_error *walk_rings(struct walk *w)
{
	const struct dms_nicring *nr = w->nr;
	struct dms_nicring_result *res = w->res;
	bool ok;
	struct dms_error *err;
	uint64_t container = w->priv;
	if (nr->hop.off >= 0) {
		err = read_ptr(w, -1, w->priv, &nr->hop, nr->drv->hop_member, 8, &container, &ok);
		if (err || !ok)
			return err;
		if (!container)
			return finding(w, DMS_NICRING_BAD_POINTER, -1, -1,
				       w->priv + (uint64_t)nr->hop.off, 0, "%s.%s is NULL",
				       nr->drv->priv_type, nr->drv->hop_member);
	}
	res->container = container;
	if (nr->drv->model == DMS_NICRING_MODEL_SKB_QUEUE)
		return walk_queues(w, container);
	bool inline_rings = nr->drv->rings == DMS_NICRING_RINGS_INLINE_PTRS ||
			    nr->drv->rings == DMS_NICRING_RINGS_INLINE_ARRAY;
	// Without a count an inline array is walked whole.
	uint64_t n = nr->drv->rings == DMS_NICRING_RINGS_INLINE_ARRAY ? nr->rings_inline_len : 1;
	if (nr->nrings.off >= 0) {
		err = kread_field(w, container, &nr->nrings, &n, &ok);
		if (err)
			return err;
		if (!ok)
			return finding(w, DMS_NICRING_NOT_IN_DUMP, -1, -1,
				       container + (uint64_t)nr->nrings.off, 0,
				       "ring count not in the dump");
	}
	uint64_t cap = inline_rings				    ? nr->rings_inline_len
		       : nr->drv->rings == DMS_NICRING_RINGS_SINGLE ? 1
								    : w->max_rings;
	// A signed int count: negative is impossible.  The finding shows the
	// value as stored (its field's width), not a widened one.
	bool negative = nr->nrings.off >= 0 && nr->nrings.size < 8 &&
			((n >> (8 * nr->nrings.size - 1)) & 1);
	if (negative) {
		int64_t sv = (int64_t)(n | ~0ULL << (8 * nr->nrings.size));
		return finding(w, DMS_NICRING_BAD_COUNT, -1, -1,
			       container + (uint64_t)nr->nrings.off, n,
			       "ring count %lld (%#llx as stored) is negative", (long long)sv,
			       (unsigned long long)n);
	}
	if (n > cap)
		return finding(w, DMS_NICRING_BAD_COUNT, -1, -1,
			       container + (uint64_t)nr->nrings.off, n,
			       "%llu rings (%#llx; at most %llu)", (unsigned long long)n,
			       (unsigned long long)n, (unsigned long long)cap);
	uint64_t base = 0;
	if (!inline_rings) {
		err = read_ptr(w, -1, container, &nr->rings, nr->drv->rings_member, 8, &base, &ok);
		if (err || !ok)
			return err;
		if (!base)
			return NULL; // no rings allocated (interface never opened)
	}
	res->rings = calloc(n ? n : 1, sizeof(*res->rings));
	if (!res->rings)
		return &dms_enomem;
	// The priv struct's scalars used by value sources (hdr_len, rx_buffer_len).
	const struct field *const pf[] = { &nr->buf_len.f, &nr->device_hdr.f, &nr->frame_offset.f };
	const struct value *const pv[] = { &nr->buf_len, &nr->device_hdr, &nr->frame_offset };
	uint64_t plen = 0;
	for (size_t i = 0; i < 3; i++) {
		if (pv[i]->src == DMS_NICRING_SRC_PRIV && pf[i]->off >= 0 &&
		    (uint64_t)pf[i]->off + pf[i]->size > plen)
			plen = (uint64_t)pf[i]->off + pf[i]->size;
	}
	uint8_t *pb = NULL;
	if (plen) {
		pb = calloc(1, plen);
		if (!pb)
			return &dms_enomem;
		err = read_span(w, w->priv, pb, plen, &ok);
		if (err || !ok) {
			free(pb);
			if (err)
				return err;
			pb = NULL; // fall back to constants
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr;
		err = ring_addr(w, i, container, base, &addr, &ok);
		if (err)
			break;
		struct dms_nicring_ring *ring = &res->rings[res->nrings++];
		ring->index = i;
		ring->addr = addr;
		if (!ok)
			continue;
		if (!addr) {
			err = finding(w, DMS_NICRING_BAD_POINTER, (int32_t)i, -1, container, 0,
				      "ring %u of %llu is NULL", i, (unsigned long long)n);
			if (err)
				break;
			continue;
		}
		if (!kptr_ok(w, addr, 8)) {
			err = finding(w, DMS_NICRING_BAD_POINTER, (int32_t)i, -1, addr, addr,
				      "ring %u at %#llx is not a kernel pointer", i,
				      (unsigned long long)addr);
			if (err)
				break;
			continue;
		}
		err = walk_ring(w, ring, pb);
		if (err)
			break;
	}
	free(pb);
	return err;
}

struct dms_error *dms_nicring_walk(const struct dms_nicring *nr, const struct dms_nicring_env *env,
				   uint64_t priv, struct dms_nicring_result **ret)
{
	if (!nr || !env || !env->kv)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "nicring walk without a reader");
	if (!env->kernel_min)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"nicring walk without the target's kernel range");
	struct dms_nicring_result *res = calloc(1, sizeof(*res));
	if (!res)
		return &dms_enomem;
	res->driver = nr->drv;
	res->priv = priv;
	struct walk w = {
		.nr = nr,
		.env = env,
		.res = res,
		.kernel_min = env->kernel_min,
		.max_slots = env->max_slots ? env->max_slots : 65536,
		.max_rings = env->max_rings ? env->max_rings : 4096,
		.priv = priv,
	};
	struct dms_error *err = NULL;
	if (!kptr_ok(&w, priv, 8))
		err = finding(&w, DMS_NICRING_BAD_POINTER, -1, -1, priv, priv,
			      "netdev_priv %#llx is not a kernel pointer",
			      (unsigned long long)priv);
	else
		err = walk_rings(&w);
	if (err) {
		dms_nicring_result_destroy(res);
		return err;
	}
	*ret = res;
	return NULL;
}

void dms_nicring_result_destroy(struct dms_nicring_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nrings; i++)
		free(res->rings[i].slots);
	free(res->rings);
	free(res->findings);
	free(res);
}

struct dms_error *dms_nicring_read_hw(const struct dms_nicring *nr,
				      const struct dms_nicring_env *env,
				      const struct dms_nicring_ring *ring,
				      struct dms_nicring_hwdesc **ret)
{
	const struct dms_nicring_desc_fmt *fmt = nr ? nr->drv->desc_fmt : NULL;
	if (!ring->valid || !ring->desc || !ring->count || !fmt)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"ring %u has no descriptor ring to read", ring->index);
	uint64_t len = (uint64_t)ring->count * fmt->size;
	uint8_t *buf = calloc(1, len);
	struct dms_nicring_hwdesc *hw = calloc(ring->count, sizeof(*hw));
	if (!buf || !hw) {
		free(buf);
		free(hw);
		return &dms_enomem;
	}
	size_t got = 0;
	struct dms_error *err = NULL;
	if (ring->desc <= UINT64_MAX - len)
		err = dms_reader_read_phys(env->kv, ring->desc, buf, len, &got);
	if (err) {
		free(buf);
		free(hw);
		return err;
	}
	for (uint32_t i = 0; i < ring->count; i++) {
		struct dms_nicring_hwdesc *h = &hw[i];
		const uint8_t *p = buf + (uint64_t)i * fmt->size;
		h->index = i;
		if ((uint64_t)(i + 1) * fmt->size > got)
			continue;
		h->present = true;
		if (fmt->status_size)
			h->done = (le(p + fmt->status_off, fmt->status_size) & fmt->dd_mask) != 0;
		h->addr_valid = !h->done || fmt->addr_survives_wb;
		h->addr = h->addr_valid ? desc_addr(fmt, p) : 0;
		if (h->done || fmt->virtio)
			h->len =
				(uint32_t)((le(p + fmt->len_off, fmt->len_size) >> fmt->len_shift) &
					   fmt->len_mask);
		if (fmt->virtio) {
			h->flags = (uint16_t)le(p + fmt->flags_off, 2);
			h->next = (uint16_t)le(p + fmt->next_off, 2);
		}
	}
	free(buf);
	*ret = hw;
	return NULL;
}

enum dms_nicring_agree dms_nicring_compare(const struct dms_nicring_slot *slot,
					   const struct dms_nicring_hwdesc *hw)
{
	if (!hw->present || !hw->addr_valid || slot->state == DMS_NICRING_SLOT_EMPTY ||
	    (slot->dma_derived && !slot->buf_dma))
		return DMS_NICRING_UNKNOWN;
	return hw->addr == slot->buf_dma ? DMS_NICRING_AGREE : DMS_NICRING_DIFFER;
}
