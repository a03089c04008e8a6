// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the rxring command.
//
// For every net_device (netdev.c): driver, state, MAC, offload features and
// its RX rings read by lib/nicring, with the descriptor ring read back (what
// the device holds) and the current owner of every buffer's page (owner.c,
// the SLUB model for allocated/free objects).  Text or JSON lines (-j).
//
// Resources of a run live in one static struct released at the start of the
// next run too: crash may longjmp out of a command (SIGPIPE, FATAL).
#include <crash/defs.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms_ext.h"
#include "slub.h"
#include "verdict.h"

#define MAX_DEVS 256
#define MAX_TALLY 24

struct tally {
	char key[DMS_CACHE_NAME_MAX + 40];
	uint32_t n;
};

struct run {
	bool slots, json;
	const char *only;
	struct dms_netdev *devs;
	struct dms_netdev_rings *rings;
	struct dms_slub *slub;
};

static struct run run;

static void run_release(struct run *r)
{
	free(r->devs);
	r->devs = NULL;
	dms_netdev_rings_destroy(r->rings);
	r->rings = NULL;
}

static void fmt_mac(const struct dms_netdev *d, char *buf, size_t size)
{
	if (!d->has_mac) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1], d->mac[2],
		 d->mac[3], d->mac[4], d->mac[5]);
}

// What owns the page a buffer lives in, now.
struct slot_owner {
	struct dms_owner o;
	const char *obj_state; // "allocated", "free", ... (slab, SLUB model) or NULL
	char text[160];
};

static void owner_of(struct run *r, uint64_t paddr, bool driver_live, struct slot_owner *ret)
{
	memset(ret, 0, sizeof(*ret));
	dms_owner_get(paddr, &ret->o);
	const struct dms_page_owner *p = &ret->o.page;
	if (p->kind == DMS_OWNER_SLAB && r->slub) {
		struct dms_slub_obj so;
		struct dms_error *err = dms_slub_lookup_phys(r->slub, paddr, &so);
		if (!err && so.where == DMS_SLUB_WHERE_OBJECT)
			ret->obj_state = dms_slub_state_name(so.state);
		dms_error_destroy(err);
	}
	char *t = ret->text;
	size_t sz = sizeof(ret->text);
	switch (p->kind) {
	case DMS_OWNER_SLAB: {
		// A live ring's buffer in a cache that holds packets is skb data
		// (e1000e allocates skb heads with kmalloc at open); anything
		// else is a page the slab allocator took back.
		const struct dms_slub_cache *sc =
			r->slub ? dms_slub_cache_by_name(r->slub, p->cache_name) : NULL;
		bool packets = dms_cache_holds_packets(p->cache_name,
						       sc ? (const char *const *)sc->aliases : NULL,
						       sc ? sc->naliases : 0);
		const char *what =
			driver_live && packets ? "skb data in slab cache" : "reused by slab cache";
		if (ret->o.has_obj && !ret->o.slab_tail)
			snprintf(t, sz, "%s %s obj %" PRIx64 "+0x%" PRIx64 " (%s)", what,
				 p->cache_name, ret->o.obj, ret->o.offset,
				 ret->obj_state ? ret->obj_state : "state ?");
		else
			snprintf(t, sz, "%s %s", what, p->cache_name);
		break;
	}
	case DMS_OWNER_PAGE_POOL:
		snprintf(t, sz, "page_pool");
		break;
	case DMS_OWNER_PAGE:
		if (driver_live)
			snprintf(t, sz, "driver-owned page-frag (page order %u)", p->order);
		else
			snprintf(t, sz, "allocated kernel page (order %u)", p->order);
		break;
	case DMS_OWNER_BUDDY:
		snprintf(t, sz, "free (buddy order %u)", p->order);
		break;
	case DMS_OWNER_FREE:
		snprintf(t, sz, "free (refcount 0)");
		break;
	case DMS_OWNER_ANON:
		snprintf(t, sz, "reused as user memory (anon)");
		break;
	case DMS_OWNER_PAGECACHE:
		snprintf(t, sz, "reused by the page cache");
		break;
	case DMS_OWNER_MOVABLE:
		snprintf(t, sz, "reused (movable page)");
		break;
	case DMS_OWNER_PGTABLE:
		snprintf(t, sz, "reused as a page table");
		break;
	case DMS_OWNER_KIMAGE:
		snprintf(t, sz, "kernel image");
		break;
	default:
		snprintf(t, sz, "unknown%s%s", p->note ? ": " : "", p->note ? p->note : "");
		break;
	}
}

// The owner's key for the per-ring tally (no object addresses).
static void owner_key(const struct slot_owner *so, bool driver_live, char *buf, size_t size)
{
	const struct dms_page_owner *p = &so->o.page;
	switch (p->kind) {
	case DMS_OWNER_SLAB:
		snprintf(buf, size, "slab %s%s%s", p->cache_name, so->obj_state ? " " : "",
			 so->obj_state ? so->obj_state : "");
		break;
	case DMS_OWNER_PAGE:
		snprintf(buf, size, "%s order %u", driver_live ? "page-frag" : "page", p->order);
		break;
	default:
		snprintf(buf, size, "%s", dms_owner_kind_name(p->kind));
		break;
	}
}

static void tally_add(struct tally *t, unsigned int *n, const char *key)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (!strcmp(t[i].key, key)) {
			t[i].n++;
			return;
		}
	}
	if (*n == MAX_TALLY) {
		key = "(other)";
		for (unsigned int i = 0; i < *n; i++)
			if (!strcmp(t[i].key, key)) {
				t[i].n++;
				return;
			}
		snprintf(t[*n - 1].key, sizeof(t[0].key), "%s", key);
		t[*n - 1].n++;
		return;
	}
	snprintf(t[*n].key, sizeof(t[0].key), "%s", key);
	t[*n].n = 1;
	(*n)++;
}

static void tally_print(const char *what, const struct tally *t, unsigned int n)
{
	if (!n)
		return;
	fprintf(fp, "    %s:", what);
	for (unsigned int i = 0; i < n; i++)
		fprintf(fp, "%s %u %s", i ? "," : "", t[i].n, t[i].key);
	fprintf(fp, "\n");
}

static void tally_json(const char *what, const struct tally *t, unsigned int n)
{
	fprintf(fp, ",\"%s\":{", what);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(fp, "%s", i ? "," : "");
		dms_json_str(fp, t[i].key);
		fprintf(fp, ":%u", t[i].n);
	}
	fprintf(fp, "}");
}

// "a/b/x.ko c/y.ko" -> "x.ko y.ko" (the directory is the machine's).
static void print_basenames(const char *files)
{
	const char *p = files ? files : "";
	bool first = true;
	while (*p) {
		const char *end = strchr(p, ' ');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *base = p;
		for (const char *q = p; q < p + n; q++)
			if (*q == '/')
				base = q + 1;
		fprintf(fp, "%s%.*s", first ? "" : " ", (int)(p + n - base), base);
		first = false;
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void print_features(const struct dms_netdev *d)
{
	if (!d->has_features) {
		if (!run.json)
			fprintf(fp, "  features: unknown (net_device.features not readable)\n");
		return;
	}
	struct dms_feature f[32];
	size_t n = dms_netdev_features(d->features, f, 32);
	if (run.json) {
		fprintf(fp, ",\"features\":{");
		for (size_t i = 0, k = 0; i < n; i++) {
			if (!f[i].known)
				continue;
			fprintf(fp, "%s\"%s\":%s", k++ ? "," : "", f[i].name,
				f[i].on ? "true" : "false");
		}
		fprintf(fp, "},\"features_raw\":\"%#" PRIx64 "\"", d->features);
		return;
	}
	fprintf(fp, "  features %#" PRIx64 ": on:", d->features);
	for (size_t i = 0; i < n; i++)
		if (f[i].known && f[i].on)
			fprintf(fp, " %s", f[i].name);
	fprintf(fp, "; off:");
	for (size_t i = 0; i < n; i++)
		if (f[i].known && !f[i].on)
			fprintf(fp, " %s", f[i].name);
	bool unknown = false;
	for (size_t i = 0; i < n; i++)
		unknown |= !f[i].known;
	if (unknown) {
		fprintf(fp, "; not in the debuginfo:");
		for (size_t i = 0; i < n; i++)
			if (!f[i].known)
				fprintf(fp, " %s", f[i].name);
	}
	fprintf(fp, "\n");
}

// "A/D/U": what the descriptor ring says against the driver's slots.
struct hwcount {
	uint32_t agree, differ, unknown, written, with_addr;
};

static void ring_line(const struct dms_netdev_rings *rr, const struct dms_nicring_ring *ring,
		      const struct dms_nicring_driver *drv)
{
	bool virtio = drv->model == DMS_NICRING_MODEL_VIRTQ_SPLIT;
	if (drv->model == DMS_NICRING_MODEL_SKB_QUEUE) {
		// USB: sk_buff queues, not rings (lib/nicring.h).
		fprintf(fp, "  rx queue %u (%s) at %" PRIx64 ": qlen %u, URBs %s", ring->index,
			ring->index ? drv->queue_done : drv->rings_member, ring->addr, ring->count,
			ring->index ? "completed" : "submitted to the host controller");
	} else {
		fprintf(fp, "  rx ring %u at %" PRIx64 ": count %u, ", ring->index, ring->addr,
			ring->count);
		if (virtio)
			fprintf(fp, "avail idx %u, used idx %u, last_used %u", ring->ntu,
				ring->used_idx, ring->ntc);
		else if (!drv->next_to_use)
			fprintf(fp, "kept full (the device's index is a register)");
		else
			fprintf(fp, "next_to_use %u, next_to_clean %u", ring->ntu, ring->ntc);
	}
	if (ring->buf_len)
		fprintf(fp, ", buf_len %u", ring->buf_len);
	else
		fprintf(fp, ", buf_len per slot");
	fprintf(fp, ", frame at +%u", ring->frame_offset);
	if (ring->device_hdr)
		fprintf(fp, " (device header %u)", ring->device_hdr);
	fprintf(fp, "\n");
	(void)rr;
}

static void slot_header(void)
{
	fprintf(fp, "    %5s %-9s %-16s %-12s %-16s %-12s %-4s %s\n", "SLOT", "STATE", "DMA",
		"PHYS", "PAGE", "FRAME", "HW", "OWNER");
}

static const char *hw_word(enum dms_nicring_agree a, const struct dms_nicring_hwdesc *h)
{
	if (!h)
		return "-";
	if (!h->present)
		return "gone";
	if (h->done && !h->addr_valid)
		return "wb";
	switch (a) {
	case DMS_NICRING_AGREE:
		return "same";
	case DMS_NICRING_DIFFER:
		return "DIFF";
	default:
		return "-";
	}
}

static void do_ring(struct run *r, const struct dms_netdev *d, const struct dms_netdev_rings *rr,
		    size_t k)
{
	const struct dms_nicring_ring *ring = &rr->res->rings[k];
	const struct dms_nicring_driver *drv = rr->res->driver;
	const struct dms_nicring_hwdesc *hw = k < rr->nhw ? rr->hw[k] : NULL;
	bool freed = k < rr->nhw && rr->freed_hw[k];
	bool live = ring->valid && !ring->unallocated;
	struct tally owners[MAX_TALLY], sowners[MAX_TALLY], hwowners[MAX_TALLY];
	unsigned int nown = 0, nsown = 0, nhwown = 0;
	struct hwcount hc = { 0 };
	uint32_t nstate[4] = { 0 };

	if (!r->json) {
		ring_line(rr, ring, drv);
		if (!ring->valid)
			fprintf(fp, "    not walked (see findings)\n");
		else if (ring->unallocated && !ring->count)
			fprintf(fp, "    not set up by the driver (unused ring)\n");
		else if (ring->unallocated)
			fprintf(fp, "    FREED by the driver: no buffer-info array (interface down "
				    "or ring torn down)\n");
		if (ring->desc) {
			fprintf(fp, "    descriptors: %" PRIx64 " (dma %#" PRIx64, ring->desc,
				ring->desc_dma);
			if (ring->desc_bytes)
				fprintf(fp, ", %" PRIu64 " bytes", ring->desc_bytes);
			fprintf(fp, ")\n");
		} else if (ring->desc_dma) {
			// Who holds the freed descriptor memory now.
			char now[160] = "IOVA: not translated";
			if (!rr->iommu.on || rr->iommu.passthrough) {
				struct slot_owner so;
				owner_of(r, ring->desc_dma, false, &so);
				snprintf(now, sizeof(now), "%s", so.text);
			}
			fprintf(fp,
				"    descriptors: freed by the driver, DMA address %#" PRIx64
				" (%" PRIu64 " bytes) kept; that memory now: %s\n",
				ring->desc_dma, ring->desc_bytes, now);
		}
		if (r->slots && ring->nslots)
			slot_header();
	}
	for (uint32_t i = 0; i < ring->nslots; i++) {
		const struct dms_nicring_slot *s = &ring->slots[i];
		nstate[s->state < 4 ? s->state : 0]++;
		const struct dms_nicring_hwdesc *h = hw ? &hw[i] : NULL;
		enum dms_nicring_agree a =
			h && !freed ? dms_nicring_compare(s, h) : DMS_NICRING_UNKNOWN;
		if (h && !freed) {
			if (a == DMS_NICRING_AGREE)
				hc.agree++;
			else if (a == DMS_NICRING_DIFFER)
				hc.differ++;
			else
				hc.unknown++;
			hc.written += h->done;
		}
		if (s->state == DMS_NICRING_SLOT_EMPTY) {
			if (r->slots && !r->json)
				fprintf(fp, "    %5u %-9s\n", s->index, "empty");
			continue;
		}
		struct slot_owner so;
		uint64_t pa = s->frame_phys ? s->frame_phys : s->buf_phys;
		bool have_pa = s->phys_state != DMS_NICRING_PHYS_UNKNOWN;
		char key[sizeof(owners[0].key)];
		// Posted/completed buffers of a live ring are the driver's.
		bool mine = live && s->state != DMS_NICRING_SLOT_STALE;
		if (have_pa) {
			owner_of(r, pa, mine, &so);
			owner_key(&so, mine, key, sizeof(key));
		} else {
			snprintf(so.text, sizeof(so.text), "unknown: IOVA not translated");
			snprintf(key, sizeof(key), "unknown (IOVA)");
			memset(&so.o, 0, sizeof(so.o));
			so.obj_state = NULL;
		}
		if (s->state == DMS_NICRING_SLOT_STALE)
			tally_add(sowners, &nsown, key);
		else
			tally_add(owners, &nown, key);
		if (!r->slots)
			continue;
		if (r->json) {
			fprintf(fp, "{\"type\":\"slot\",\"netdev\":");
			dms_json_str(fp, d->name);
			fprintf(fp,
				",\"ring\":%u,\"slot\":%u,\"state\":\"%s\",\"stale\":false,"
				"\"dma\":\"%#" PRIx64 "\",\"buf_dma\":\"%#" PRIx64 "\"",
				ring->index, s->index, dms_nicring_slot_state_name(s->state),
				s->dma, s->buf_dma);
			if (have_pa)
				fprintf(fp,
					",\"paddr\":\"%#" PRIx64 "\",\"frame\":\"%#" PRIx64 "\"",
					s->buf_phys, s->frame_phys);
			else
				fprintf(fp, ",\"paddr\":null,\"frame\":null");
			fprintf(fp, ",\"page\":\"%#" PRIx64 "\",\"len\":%u,\"hw\":\"%s\"",
				s->page ? s->page : so.o.page.page, s->len, hw_word(a, h));
			// Only where the driver has them (bcmgenet, USB; mtk_eth).
			if (s->skb)
				fprintf(fp, ",\"skb\":\"%#" PRIx64 "\"", s->skb);
			if (s->dma_derived)
				fprintf(fp, ",\"dma_derived\":true");
			fprintf(fp, ",\"owner\":{\"kind\":\"%s\",\"cache\":",
				dms_owner_kind_name(so.o.page.kind));
			if (so.o.page.kind == DMS_OWNER_SLAB)
				dms_json_str(fp, so.o.page.cache_name);
			else
				fprintf(fp, "null");
			if (so.o.has_obj)
				fprintf(fp, ",\"obj\":\"%#" PRIx64 "\"", so.o.obj);
			else
				fprintf(fp, ",\"obj\":null");
			fprintf(fp, ",\"state\":");
			if (so.obj_state)
				dms_json_str(fp, so.obj_state);
			else
				fprintf(fp, "null");
			fprintf(fp, ",\"order\":%u,\"text\":", so.o.page.order);
			dms_json_str(fp, so.text);
			fprintf(fp, "}}\n");
		} else {
			char phys[24], frame[24];
			if (have_pa) {
				snprintf(phys, sizeof(phys), "%" PRIx64, s->buf_phys);
				snprintf(frame, sizeof(frame), "%" PRIx64, s->frame_phys);
			} else {
				snprintf(phys, sizeof(phys), "?");
				snprintf(frame, sizeof(frame), "?");
			}
			fprintf(fp,
				"    %5u %-9s %-16" PRIx64 " %-12s %-16" PRIx64 " %-12s %-4s %s\n",
				s->index, dms_nicring_slot_state_name(s->state), s->buf_dma, phys,
				s->page ? s->page : so.o.page.page, frame, hw_word(a, h), so.text);
		}
	}
	// Descriptors the driver does not know (freed ring, differing addresses).
	uint32_t nstale = 0;
	for (uint32_t i = 0; hw && i < ring->count; i++) {
		const struct dms_nicring_hwdesc *h = &hw[i];
		if (!h->present || !h->addr_valid || !h->addr)
			continue;
		hc.with_addr++;
		bool differ = freed || i >= ring->nslots ||
			      ring->slots[i].state == DMS_NICRING_SLOT_EMPTY ||
			      dms_nicring_compare(&ring->slots[i], h) == DMS_NICRING_DIFFER;
		if (!differ)
			continue;
		nstale++;
		bool ident = !rr->iommu.on || rr->iommu.passthrough;
		struct slot_owner so;
		char key[sizeof(owners[0].key)];
		if (ident) {
			owner_of(r, h->addr + ring->device_hdr, false, &so);
			owner_key(&so, false, key, sizeof(key));
		} else {
			memset(&so, 0, sizeof(so));
			snprintf(so.text, sizeof(so.text), "unknown: IOVA not translated");
			snprintf(key, sizeof(key), "unknown (IOVA)");
		}
		tally_add(hwowners, &nhwown, key);
		if (!r->slots)
			continue;
		if (r->json) {
			fprintf(fp, "{\"type\":\"slot\",\"netdev\":");
			dms_json_str(fp, d->name);
			fprintf(fp,
				",\"ring\":%u,\"slot\":%u,\"state\":\"descriptor\",\"stale\":true,"
				"\"dma\":\"%#" PRIx64 "\",\"buf_dma\":\"%#" PRIx64 "\"",
				ring->index, i, h->addr, h->addr);
			if (ident)
				fprintf(fp,
					",\"paddr\":\"%#" PRIx64 "\",\"frame\":\"%#" PRIx64 "\"",
					h->addr, h->addr + ring->device_hdr);
			else
				fprintf(fp, ",\"paddr\":null,\"frame\":null");
			fprintf(fp, ",\"page\":\"%#" PRIx64 "\",\"len\":%u,\"hw\":\"%s\"",
				so.o.page.page, h->len, freed ? "freed-ring" : "DIFF");
			fprintf(fp, ",\"owner\":{\"kind\":\"%s\",\"cache\":",
				dms_owner_kind_name(so.o.page.kind));
			if (so.o.page.kind == DMS_OWNER_SLAB)
				dms_json_str(fp, so.o.page.cache_name);
			else
				fprintf(fp, "null");
			fprintf(fp, ",\"obj\":");
			if (so.o.has_obj)
				fprintf(fp, "\"%#" PRIx64 "\"", so.o.obj);
			else
				fprintf(fp, "null");
			fprintf(fp, ",\"state\":");
			if (so.obj_state)
				dms_json_str(fp, so.obj_state);
			else
				fprintf(fp, "null");
			fprintf(fp, ",\"order\":%u,\"text\":", so.o.page.order);
			dms_json_str(fp, so.text);
			fprintf(fp, "}}\n");
		} else {
			if (nstale == 1)
				fprintf(fp, "    descriptors the driver does not record (%s):\n",
					freed ? "freed descriptor ring" : "address differs");
			fprintf(fp,
				"    %5u %-9s %-16" PRIx64 " %-12" PRIx64 " %-16" PRIx64
				" %-12" PRIx64 " %-4s %s\n",
				i, "desc", h->addr, ident ? h->addr : 0, so.o.page.page,
				ident ? h->addr + ring->device_hdr : 0, freed ? "free" : "DIFF",
				so.text);
		}
	}
	if (r->json) {
		fprintf(fp, "{\"type\":\"ring\",\"netdev\":");
		dms_json_str(fp, d->name);
		fprintf(fp,
			",\"driver\":\"%s\",\"ring\":%u,\"addr\":\"%#" PRIx64
			"\",\"valid\":%s,\"freed\":%s,\"count\":%u,\"next_to_use\":%u,"
			"\"next_to_clean\":%u,\"used_idx\":%u,\"buf_len\":%u,\"frame_offset\":%u,"
			"\"device_hdr\":%u,\"desc\":\"%#" PRIx64 "\",\"desc_dma\":\"%#" PRIx64
			"\",\"posted\":%u,\"completed\":%u,\"stale\":%u,\"empty\":%u,"
			"\"hw\":{\"read\":%s,\"freed_ring\":%s,\"agree\":%u,\"differ\":%u,"
			"\"unknown\":%u,\"written_back\":%u,\"with_addr\":%u,\"not_recorded\":%u}",
			drv->name, ring->index, ring->addr, ring->valid ? "true" : "false",
			ring->unallocated ? "true" : "false", ring->count, ring->ntu, ring->ntc,
			ring->used_idx, ring->buf_len, ring->frame_offset, ring->device_hdr,
			ring->desc, ring->desc_dma, nstate[DMS_NICRING_SLOT_POSTED],
			nstate[DMS_NICRING_SLOT_COMPLETED], nstate[DMS_NICRING_SLOT_STALE],
			nstate[DMS_NICRING_SLOT_EMPTY], hw ? "true" : "false",
			freed ? "true" : "false", hc.agree, hc.differ, hc.unknown, hc.written,
			hc.with_addr, nstale);
		tally_json("owners", owners, nown);
		tally_json("stale_owners", sowners, nsown);
		tally_json("desc_owners", hwowners, nhwown);
		fprintf(fp, "}\n");
		return;
	}
	if (ring->nslots)
		fprintf(fp, "    slots: %u posted, %u completed, %u stale, %u empty\n",
			nstate[DMS_NICRING_SLOT_POSTED], nstate[DMS_NICRING_SLOT_COMPLETED],
			nstate[DMS_NICRING_SLOT_STALE], nstate[DMS_NICRING_SLOT_EMPTY]);
	if (hw && !freed)
		fprintf(fp,
			"    device's descriptors: %u agree with the driver, %u differ, %u unknown "
			"(%u written back)\n",
			hc.agree, hc.differ, hc.unknown, hc.written);
	else if (hw && freed)
		fprintf(fp,
			"    freed descriptor memory read back: %u of %u descriptors still hold a "
			"buffer address\n",
			hc.with_addr, ring->count);
	else if (ring->valid && !ring->desc && !ring->desc_dma)
		fprintf(fp, "    device's descriptors: none recorded\n");
	tally_print("posted/completed buffer pages now", owners, nown);
	tally_print("stale slot pages now", sowners, nsown);
	tally_print("pages named by unrecorded descriptors", hwowners, nhwown);
}

static void do_dev(struct run *r, const struct dms_netdev *d)
{
	char mac[24];
	fmt_mac(d, mac, sizeof(mac));
	if (r->json) {
		fprintf(fp, "{\"type\":\"netdev\",\"addr\":\"%#" PRIx64 "\",\"name\":", d->addr);
		dms_json_str(fp, d->name);
		if (d->name_unterminated)
			fprintf(fp, ",\"name_unterminated\":true");
		fprintf(fp, ",\"driver\":");
		dms_json_str(fp, d->driver);
		fprintf(fp,
			",\"driver_from\":\"%s\",\"up\":%s,\"mac\":\"%s\",\"rx_queues\":%u,"
			"\"tx_queues\":%u",
			d->driver_from, d->up ? "true" : "false", mac, d->rx_queues, d->tx_queues);
		print_features(d);
	} else {
		fprintf(fp, "%-16" PRIx64 "  %-6s %-11s %-5s %-17s %3u %3u\n", d->addr, d->name,
			d->driver, d->up ? "up" : "down", mac, d->rx_queues, d->tx_queues);
		if (d->name_unterminated)
			fprintf(fp, "  name: no NUL in its %zu bytes (net_device.name damaged)\n",
				strlen(d->name));
		print_features(d);
	}
	struct dms_netdev_rings *rr = NULL;
	struct dms_error *err = NULL;
	if (!dms_nicring_driver_find(d->driver)) {
		if (r->json)
			fprintf(fp, ",\"rings\":null,\"why\":\"no ring table entry\"}\n");
		else
			fprintf(fp, "  rx rings: no ring table entry for driver \"%s\"\n",
				d->driver);
		return;
	}
	err = dms_netdev_rings_get(d, &rr);
	if (err) {
		if (r->json)
			fprintf(fp, ",\"rings\":null,\"why\":\"error\"}\n");
		else
			fprintf(fp, "  rx rings: %s\n",
				err->message ? err->message : dms_error_string(err->code));
		dms_error_destroy(err);
		return;
	}
	r->rings = rr;
	if (r->json) {
		fprintf(fp, ",\"iommu\":");
		dms_json_str(fp, rr->iommu.text);
		// Full paths: the JSON consumer may want to open them.
		fprintf(fp, ",\"debuginfo\":");
		dms_json_str(fp, rr->files ? rr->files : "");
		fprintf(fp, ",\"layout\":");
		dms_json_str(fp, rr->nr ? rr->res->driver->priv_type : "");
		if (!rr->nr) {
			fprintf(fp, ",\"rings\":null,\"why\":");
			dms_json_str(fp, rr->why);
			fprintf(fp, "}\n");
		} else {
			fprintf(fp, ",\"rings\":%zu,\"priv\":\"%#" PRIx64 "\",\"findings\":%zu}\n",
				rr->res->nrings, rr->res->priv, rr->res->nfindings);
		}
	} else {
		fprintf(fp, "  iommu: %s\n", rr->iommu.text);
		if (!rr->nr) {
			fprintf(fp, "  rx rings: not read: %s\n", rr->why);
			goto out;
		}
		fprintf(fp, "  rx rings: %zu (%s at netdev_priv %" PRIx64 ", layout from ",
			rr->res->nrings, rr->res->driver->priv_type, rr->res->priv);
		print_basenames(rr->files);
		fprintf(fp, ")\n");
	}
	if (!rr->nr)
		goto out;
	for (size_t i = 0; i < rr->res->nfindings; i++) {
		const struct dms_nicring_finding *f = &rr->res->findings[i];
		if (r->json) {
			fprintf(fp, "{\"type\":\"finding\",\"netdev\":");
			dms_json_str(fp, d->name);
			fprintf(fp,
				",\"code\":\"%s\",\"ring\":%d,\"slot\":%d,\"addr\":\"%#" PRIx64
				"\",\"value\":\"%#" PRIx64 "\",\"reason\":",
				dms_nicring_code_name(f->code), f->ring, f->slot, f->addr,
				f->value);
			dms_json_str(fp, f->reason);
			fprintf(fp, "}\n");
		} else {
			fprintf(fp, "  finding %s: ring %d slot %d at %" PRIx64 ": ",
				dms_nicring_code_name(f->code), f->ring, f->slot, f->addr);
			fprintf(fp, "%s\n", f->reason);
		}
	}
	for (size_t k = 0; k < rr->res->nrings; k++)
		do_ring(r, d, rr, k);
out:
	r->rings = NULL;
	dms_netdev_rings_destroy(rr);
}

void dms_cmd_rxring(void)
{
	run_release(&run);
	memset(&run, 0, sizeof(run));
	int c, argerrs = 0;
	while ((c = getopt(argcnt, args, "n:sj")) != EOF) {
		switch (c) {
		case 'n':
			run.only = optarg;
			break;
		case 's':
			run.slots = true;
			break;
		case 'j':
			run.json = true;
			break;
		default:
			argerrs++;
			break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS); // longjmps: nothing allocated yet
	dms_owner_cache_reset();
	const char *why_slub = NULL;
	run.slub = dms_ext_slub(&why_slub);
	run.devs = calloc(MAX_DEVS, sizeof(*run.devs));
	if (!run.devs)
		error(FATAL, "out of memory\n");
	char why[256];
	size_t n = dms_netdev_list(run.devs, MAX_DEVS, why, sizeof(why));
	if (!run.json) {
		fprintf(fp, "%-16s  %-6s %-11s %-5s %-17s %3s %3s\n", "NET_DEVICE", "NAME",
			"DRIVER", "STATE", "MAC", "RXQ", "TXQ");
	}
	if (why[0]) {
		if (run.json) {
			fprintf(fp, "{\"type\":\"warning\",\"text\":");
			dms_json_str(fp, why);
			fprintf(fp, "}\n");
		} else {
			fprintf(fp, "WARNING: device list: %s\n", why);
		}
	}
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (run.only && strcmp(run.only, run.devs[i].name) != 0)
			continue;
		shown++;
		do_dev(&run, &run.devs[i]);
	}
	if (run.only && !shown) {
		run_release(&run);
		error(INFO, "no network device named \"%s\"\n", run.only);
		return;
	}
	run_release(&run);
}

char *dms_help_rxring[] = {
	"rxring",
	"network devices, their offloads, RX rings and who owns each buffer now",
	"[-n netdev] [-s] [-j]",
	"  For every net_device of init_net (a bounded, cycle-checked walk): its",
	"  driver (dev.parent->driver->name, else the module owning netdev_ops),",
	"  state (IFF_UP), MAC, queue counts and offload features (rx/tx checksum,",
	"  scatter-gather, TSO, GSO, GRO, LRO, hardware GRO, ... decoded by the",
	"  NETIF_F_*_BIT enumerators of the debuginfo), whether an IOMMU translates",
	"  its DMA addresses, and its RX rings when the driver has an entry in the",
	"  ring table (lib/nicring: e1000, e1000e, virtio_net, i40e, ixgbe, igb,",
	"  bcmgenet, mtk_soc_eth; USB: lan78xx, smsc95xx, whose RX buffers are",
	"  queued URBs, shown as rx queues).",
	"  Struct layouts come from the driver's debug module: the one crash loaded",
	"  (mod -s), else $DEBUG_MODULES or the dumps/fetch-debuginfo cache",
	"  ($DMASLEUTH_CACHE, $XDG_CACHE_HOME or ~/.cache/dmasleuth/RELEASE/modules).",
	"",
	"  Per ring: count, next_to_use/next_to_clean (virtio: avail idx, used idx,",
	"  last_used), buffer length, where a frame starts, the descriptor ring, and",
	"  how many slots are posted (the device may write there now), completed,",
	"  stale or empty.  The descriptor ring is read back: what the DEVICE holds,",
	"  compared with the driver's records.  A ring the driver freed whose DMA",
	"  address it kept is read back at that address.  Last, the current owner",
	"  of every buffer's page, counted:",
	"    page-frag order N         allocated kernel page (the driver's page-frag)",
	"    page_pool                 page_pool page",
	"    slab CACHE allocated|free the page was REUSED by a slab cache",
	"    buddy / free              free page",
	"    anon, pagecache, pgtable  reused as user, file or page-table memory",
	"",
	"   -n netdev  only this device.",
	"   -s         one line per slot: index, state, DMA address given to the",
	"              device, physical address, struct page, frame start, the",
	"              device's descriptor (same/DIFF/wb = written back/-), owner.",
	"              Descriptors the driver does not record follow as \"desc\".",
	"   -j         JSON lines: netdev, ring and (-s) slot objects (docs/json.md).",
	"\nEXAMPLE",
#include "rxring_example.h" // generated from docs/examples/rxring.txt
	NULL,
};
