// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz the NIC ring walker: the input is kernel memory.  The layouts are the
// real Linux 6.1 ones (Debian 6.1.0-56 debug modules; mtk_eth: 6.12), recorded from
// lib/dwlayout through a logging layout provider, so the fuzzer needs no
// debuginfo; tests/unit/nicring_test.c checks the same names against the
// modules themselves.
//
// Input: [0] driver index (mod the table), [1] flags (bit 0: an IOVA hook
// that cannot translate half the space, bit 1: vmemmap known, bit 2: slot cap
// 64), then the bytes of a 64 KiB image at kernel address BASE, where
// netdev_priv() points.  Pointers into [BASE, BASE + 64 KiB) are followed.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "nicring.h"
#include "reader.h"

#define DIRECT 0xffff888000000000ULL
#define BASE (DIRECT + 0x100000)
#define IMG (64 * 1024)

struct row {
	const char *driver;
	const char *type, *member; // member NULL: sizeof(type); "=": enumerator
	uint64_t off, size;
};

static const struct row rows[] = {
	// e1000
	{ "e1000", "e1000_adapter", "rx_ring", 680, 8 },
	{ "e1000", "e1000_adapter", "num_rx_queues", 1092, 4 },
	{ "e1000", "e1000_rx_ring", NULL, 56, 0 },
	{ "e1000", "e1000_rx_ring", "count", 20, 4 },
	{ "e1000", "e1000_rx_ring", "next_to_use", 24, 4 },
	{ "e1000", "e1000_rx_ring", "next_to_clean", 28, 4 },
	{ "e1000", "e1000_rx_ring", "desc", 0, 8 },
	{ "e1000", "e1000_rx_ring", "dma", 8, 8 },
	{ "e1000", "e1000_rx_ring", "size", 16, 4 },
	{ "e1000", "e1000_rx_ring", "buffer_info", 32, 8 },
	{ "e1000", "e1000_rx_buffer", NULL, 16, 0 },
	{ "e1000", "e1000_rx_buffer", "dma", 8, 8 },
	{ "e1000", "e1000_rx_buffer", "rxbuf.page", 0, 8 },
	{ "e1000", "e1000_rx_buffer", "rxbuf.data", 0, 8 },
	{ "e1000", "e1000_adapter", "rx_buffer_len", 520, 4 },
	// e1000e
	{ "e1000e", "e1000_adapter", "rx_ring", 1360, 8 },
	{ "e1000e", "e1000_ring", "count", 28, 4 },
	{ "e1000e", "e1000_ring", "next_to_use", 32, 2 },
	{ "e1000e", "e1000_ring", "next_to_clean", 34, 2 },
	{ "e1000e", "e1000_ring", "desc", 8, 8 },
	{ "e1000e", "e1000_ring", "dma", 16, 8 },
	{ "e1000e", "e1000_ring", "size", 24, 4 },
	{ "e1000e", "e1000_ring", "buffer_info", 56, 8 },
	{ "e1000e", "e1000_buffer", NULL, 40, 0 },
	{ "e1000e", "e1000_buffer", "dma", 0, 8 },
	{ "e1000e", "e1000_buffer", "page", 24, 8 },
	{ "e1000e", "e1000_adapter", "rx_buffer_len", 708, 4 },
	// virtio_net
	{ "virtio_net", "virtnet_info", "rq", 32, 8 },
	{ "virtio_net", "virtnet_info", "max_queue_pairs", 44, 2 },
	{ "virtio_net", "receive_queue", NULL, 1280, 0 },
	{ "virtio_net", "receive_queue", "vq", 0, 8 },
	{ "virtio_net", "vring_virtqueue", "vq", 0, 72 },
	{ "virtio_net", "vring_virtqueue", "split.vring.num", 96, 4 },
	{ "virtio_net", "vring_virtqueue", "split.vring.desc", 104, 8 },
	{ "virtio_net", "vring_virtqueue", "split.queue_dma_addr", 152, 8 },
	{ "virtio_net", "vring_virtqueue", "split.desc_extra", 144, 8 },
	{ "virtio_net", "vring_desc_extra", NULL, 16, 0 },
	{ "virtio_net", "vring_desc_extra", "addr", 0, 8 },
	{ "virtio_net", "vring_desc_extra", "len", 8, 4 },
	{ "virtio_net", "vring_virtqueue", "split.desc_state", 136, 8 },
	{ "virtio_net", "vring_desc_state_split", NULL, 16, 0 },
	{ "virtio_net", "vring_desc_state_split", "data", 0, 8 },
	{ "virtio_net", "vring_virtqueue", "split.vring.avail", 112, 8 },
	{ "virtio_net", "vring_virtqueue", "split.vring.used", 120, 8 },
	{ "virtio_net", "vring_virtqueue", "last_used_idx", 88, 2 },
	{ "virtio_net", "vring_virtqueue", "packed_ring", 72, 1 },
	{ "virtio_net", "virtnet_info", "hdr_len", 74, 1 },
	// i40e
	{ "i40e", "i40e_netdev_priv", "vsi", 0, 8 },
	{ "i40e", "i40e_vsi", "rx_rings", 3304, 8 },
	{ "i40e", "i40e_vsi", "num_queue_pairs", 3406, 2 },
	{ "i40e", "i40e_ring", "count", 74, 2 },
	{ "i40e", "i40e_ring", "next_to_use", 80, 2 },
	{ "i40e", "i40e_ring", "next_to_clean", 82, 2 },
	{ "i40e", "i40e_ring", "desc", 8, 8 },
	{ "i40e", "i40e_ring", "dma", 176, 8 },
	{ "i40e", "i40e_ring", "size", 168, 4 },
	{ "i40e", "i40e_ring", "rx_bi", 40, 8 },
	{ "i40e", "i40e_rx_buffer", NULL, 24, 0 },
	{ "i40e", "i40e_rx_buffer", "dma", 0, 8 },
	{ "i40e", "i40e_rx_buffer", "page", 8, 8 },
	{ "i40e", "i40e_rx_buffer", "page_offset", 16, 4 },
	{ "i40e", "i40e_ring", "rx_buf_len", 78, 2 },
	{ "i40e", "i40e_ring", "rx_offset", 240, 2 },
	// ixgbe
	{ "ixgbe", "ixgbe_adapter", "rx_ring", 1688, 512 },
	{ "ixgbe", "ixgbe_adapter", "num_rx_queues", 576, 4 },
	{ "ixgbe", "ixgbe_ring", "count", 84, 2 },
	{ "ixgbe", "ixgbe_ring", "next_to_use", 88, 2 },
	{ "ixgbe", "ixgbe_ring", "next_to_clean", 90, 2 },
	{ "ixgbe", "ixgbe_ring", "desc", 40, 8 },
	{ "ixgbe", "ixgbe_ring", "dma", 72, 8 },
	{ "ixgbe", "ixgbe_ring", "size", 80, 4 },
	{ "ixgbe", "ixgbe_ring", "rx_buffer_info", 48, 8 },
	{ "ixgbe", "ixgbe_rx_buffer", NULL, 32, 0 },
	{ "ixgbe", "ixgbe_rx_buffer", "dma", 8, 8 },
	{ "ixgbe", "ixgbe_rx_buffer", "page", 16, 8 },
	{ "ixgbe", "ixgbe_rx_buffer", "page_offset", 24, 4 },
	{ "ixgbe", "ixgbe_ring", "state", 56, 8 },
	{ "ixgbe", "__IXGBE_RX_3K_BUFFER", "=", 0, 0 },
	{ "ixgbe", "__IXGBE_RX_BUILD_SKB_ENABLED", "=", 1, 0 },
	// igb
	{ "igb", "igb_adapter", "rx_ring", 784, 128 },
	{ "igb", "igb_adapter", "num_rx_queues", 776, 4 },
	{ "igb", "igb_ring", "count", 76, 2 },
	{ "igb", "igb_ring", "next_to_use", 102, 2 },
	{ "igb", "igb_ring", "next_to_clean", 100, 2 },
	{ "igb", "igb_ring", "desc", 40, 8 },
	{ "igb", "igb_ring", "dma", 64, 8 },
	{ "igb", "igb_ring", "size", 72, 4 },
	{ "igb", "igb_ring", "rx_buffer_info", 32, 8 },
	{ "igb", "igb_rx_buffer", NULL, 24, 0 },
	{ "igb", "igb_rx_buffer", "dma", 0, 8 },
	{ "igb", "igb_rx_buffer", "page", 8, 8 },
	{ "igb", "igb_rx_buffer", "page_offset", 16, 4 },
	{ "igb", "igb_ring", "flags", 48, 8 },
	{ "igb", "IGB_RING_FLAG_RX_3K_BUFFER", "=", 0, 0 },
	{ "igb", "IGB_RING_FLAG_RX_BUILD_SKB_ENABLED", "=", 1, 0 },
	// bcmgenet (6.1.0-56-arm64 genet.ko)
	{ "bcmgenet", "bcmgenet_priv", "rx_rings", 5640, 3360 },
	{ "bcmgenet", "bcmgenet_rx_ring", NULL, 672, 0 },
	{ "bcmgenet", "bcmgenet_rx_ring", "size", 488, 4 },
	{ "bcmgenet", "bcmgenet_rx_ring", "cbs", 480, 8 },
	{ "bcmgenet", "enet_cb", NULL, 32, 0 },
	{ "bcmgenet", "enet_cb", "dma_addr", 16, 8 },
	{ "bcmgenet", "enet_cb", "dma_len", 24, 4 },
	{ "bcmgenet", "enet_cb", "skb", 0, 8 },
	{ "bcmgenet", "bcmgenet_priv", "rx_buf_len", 2548, 4 },
	// mtk_soc_eth (6.12.95+deb12-arm64 mtk_eth.ko)
	{ "mtk_soc_eth", "mtk_mac", "hw", 72, 8 },
	{ "mtk_soc_eth", "mtk_eth", "rx_ring", 320, 512 },
	{ "mtk_soc_eth", "mtk_rx_ring", NULL, 128, 0 },
	{ "mtk_soc_eth", "mtk_rx_ring", "dma_size", 28, 2 },
	{ "mtk_soc_eth", "mtk_rx_ring", "dma", 0, 8 },
	{ "mtk_soc_eth", "mtk_rx_ring", "phys", 16, 8 },
	{ "mtk_soc_eth", "mtk_rx_ring", "data", 8, 8 },
	{ "mtk_soc_eth", "mtk_rx_ring", "buf_size", 26, 2 },
	{ "mtk_soc_eth", "mtk_rx_ring", "page_pool", 40, 8 },
	// lan78xx (6.1.0-56-arm64 lan78xx.ko)
	{ "lan78xx", "lan78xx_net", "rxq", 96, 24 },
	{ "lan78xx", "lan78xx_net", "rxq_done", 120, 24 },
	{ "lan78xx", "sk_buff_head", "next", 0, 8 },
	{ "lan78xx", "sk_buff_head", "qlen", 16, 4 },
	{ "lan78xx", "sk_buff", "next", 0, 8 },
	{ "lan78xx", "sk_buff", "cb", 40, 48 },
	{ "lan78xx", "skb_data", "urb", 0, 8 },
	{ "lan78xx", "urb", NULL, 184, 0 },
	{ "lan78xx", "urb", "transfer_dma", 104, 8 },
	{ "lan78xx", "urb", "transfer_buffer", 96, 8 },
	{ "lan78xx", "urb", "transfer_buffer_length", 128, 4 },
	// smsc95xx (6.1.0-56-arm64 usbnet.ko)
	{ "smsc95xx", "usbnet", "rxq", 320, 24 },
	{ "smsc95xx", "sk_buff_head", "next", 0, 8 },
	{ "smsc95xx", "sk_buff_head", "qlen", 16, 4 },
	{ "smsc95xx", "sk_buff", "next", 0, 8 },
	{ "smsc95xx", "sk_buff", "cb", 40, 48 },
	{ "smsc95xx", "skb_data", "urb", 0, 8 },
	{ "smsc95xx", "urb", NULL, 184, 0 },
	{ "smsc95xx", "urb", "transfer_dma", 104, 8 },
	{ "smsc95xx", "urb", "transfer_buffer", 96, 8 },
	{ "smsc95xx", "urb", "transfer_buffer_length", 128, 4 },
};

static const char *cur_driver;

static struct dms_error *type_size(void *ctx, const char *type, uint64_t *ret)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!strcmp(rows[i].driver, cur_driver) && !rows[i].member &&
		    !strcmp(rows[i].type, type)) {
			*ret = rows[i].off;
			return NULL;
		}
	}
	return dms_error_create(DMS_ERR_NOT_FOUND, NULL);
}

static struct dms_error *member(void *ctx, const char *type, const char *path, uint64_t *off,
				uint64_t *size)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		if (!strcmp(r->driver, cur_driver) && r->member && strcmp(r->member, "=") &&
		    !strcmp(r->type, type) && !strcmp(r->member, path)) {
			*off = r->off;
			*size = r->size;
			return NULL;
		}
	}
	return dms_error_create(DMS_ERR_NOT_FOUND, NULL);
}

static struct dms_error *enum_value(void *ctx, const char *name, int64_t *ret)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		if (!strcmp(r->driver, cur_driver) && r->member && !strcmp(r->member, "=") &&
		    !strcmp(r->type, name)) {
			*ret = (int64_t)r->off;
			return NULL;
		}
	}
	return dms_error_create(DMS_ERR_NOT_FOUND, NULL);
}

static const struct dms_layout_ops ops = { type_size, member, enum_value, NULL };

static struct dms_error *iova_half(void *arg, uint64_t iova, uint64_t *ret)
{
	(void)arg;
	if (iova & 0x1000)
		return dms_error_create(DMS_ERR_NOT_FOUND, NULL);
	*ret = iova ^ 0x40000000;
	return NULL;
}

static uint8_t img[IMG];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t n;
	const struct dms_nicring_driver *d = dms_nicring_drivers(&n);
	const struct dms_nicring_driver *drv = &d[data[0] % n];
	cur_driver = drv->name;
	uint8_t flags = data[1];
	memset(img, 0, sizeof(img));
	memcpy(img, data + 2, size - 2 < IMG ? size - 2 : IMG);
	struct dms_layout l = { &ops, NULL };
	struct dms_nicring *nr = NULL;
	struct dms_error *err = dms_nicring_create(drv, &l, &nr);
	if (err) { // a driver added without rows here
		dms_error_destroy(err);
		return 0;
	}
	struct dms_memimg_config cfg = { .phys_base = BASE, .direct_map_base = DIRECT };
	struct dms_memimg *mi = NULL;
	err = dms_memimg_create(img, IMG, &cfg, &mi);
	FUZZ_CHECK(!err);
	// The last page is absent: reads run into a hole.
	dms_memimg_set_present(mi, BASE + IMG - 4096, 4096, 0);
	struct dms_nicring_env env = {
		.kv = dms_memimg_reader(mi),
		.iova_to_phys = flags & 1 ? iova_half : NULL,
		.vmemmap = flags & 2 ? 0xffffea0000000000ULL : 0,
		.page_struct_size = 64,
		.max_slots = flags & 4 ? 64 : 0,
		.kernel_min = 0xffff800000000000ULL, // x86-64, 4-level paging
	};
	struct dms_nicring_result *res = NULL;
	err = dms_nicring_walk(nr, &env, BASE, &res);
	FUZZ_CHECK(!err || err->code == DMS_ERR_NOMEM);
	dms_error_destroy(err);
	for (size_t i = 0; res && i < res->nfindings; i++) {
		FUZZ_CHECK((unsigned int)res->findings[i].code < DMS_NICRING_NUM_CODES);
		FUZZ_CHECK(memchr(res->findings[i].reason, 0, sizeof(res->findings[i].reason)));
	}
	for (size_t i = 0; res && i < res->nrings; i++) {
		const struct dms_nicring_ring *r = &res->rings[i];
#ifdef NICRING_FUZZ_VERBOSE // -DNICRING_FUZZ_VERBOSE: what a corpus input reaches
		fprintf(stderr, "%s ring %zu valid %d count %u posted %u findings %zu\n", drv->name,
			i, r->valid, r->count, r->nposted, res->nfindings);
#endif
		FUZZ_CHECK(r->nslots <= r->count && r->count <= 65536);
		FUZZ_CHECK(r->nposted <= r->count);
		for (uint32_t s = 0; s < r->nslots; s++) {
			FUZZ_CHECK(r->slots[s].index == s);
			FUZZ_CHECK(r->slots[s].state <= DMS_NICRING_SLOT_STALE);
		}
		struct dms_nicring_hwdesc *hw = NULL;
		err = dms_nicring_read_hw(nr, &env, r, &hw);
		if (!err) {
			for (uint32_t s = 0; s < r->nslots; s++)
				FUZZ_CHECK(dms_nicring_compare(&r->slots[s], &hw[s]) <=
					   DMS_NICRING_UNKNOWN);
		}
		dms_error_destroy(err);
		free(hw);
	}
	dms_nicring_result_destroy(res);
	dms_memimg_destroy(mi);
	dms_nicring_destroy(nr);
	return 0;
}
