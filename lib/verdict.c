// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the DMA-after-free verdict (see verdict.h and docs/dmaf.md).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

const char *dms_verdict_name(enum dms_verdict v)
{
	switch (v) {
	case DMS_VERDICT_DMA_AFTER_FREE:
		return "dma-after-free";
	case DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA:
		return "slab-corruption-not-dma";
	case DMS_VERDICT_NO_CORRUPTION:
		return "no-corruption-found";
	case DMS_VERDICT_INCONCLUSIVE:
		return "inconclusive";
	}
	return "inconclusive";
}

const char *dms_evidence_kind_name(enum dms_evidence_kind k)
{
	static const char *const names[DMS_EV_NUM_KINDS] = {
		[DMS_EV_FRAMES_IN_FOREIGN_OBJECTS] = "frames-in-foreign-objects",
		[DMS_EV_FRAMES_IN_FREED_OBJECTS] = "frames-in-freed-memory",
		[DMS_EV_DST_MAC] = "addressed-to-local-nic",
		[DMS_EV_DEVICE_FRAMING] = "device-framing",
		[DMS_EV_RING_PROVENANCE] = "ring-provenance",
		[DMS_EV_LOG] = "kernel-log",
		[DMS_EV_PANIC] = "panic",
		[DMS_EV_SOFTWARE_CORRUPTION] = "software-corruption",
		[DMS_EV_LEGIT_PACKETS] = "packets-where-packets-belong",
	};
	return (unsigned)k < DMS_EV_NUM_KINDS ? names[k] : "unknown";
}

bool dms_virtio_hdr_plausible(const uint8_t h[12])
{
	// struct virtio_net_hdr_mrg_rxbuf (virtio spec 5.1.6): flags, gso_type, hdr_len,
	// gso_size, csum_start, csum_offset, num_buffers; little-endian (VERSION_1).
	unsigned int flags = h[0], gso = h[1] & 0x7f;
	unsigned int hdr_len = h[2] | h[3] << 8, gso_size = h[4] | h[5] << 8;
	unsigned int num_buffers = h[10] | h[11] << 8;

	if (flags > 3 || (gso != 0 && gso != 1 && gso != 3 && gso != 4 && gso != 5))
		return false;
	if (num_buffers < 1 || num_buffers > 64)
		return false;
	if (gso == 0 && (gso_size != 0 || hdr_len > 256))
		return false;
	return true;
}

bool dms_cache_may_hold_packets(const char *name)
{
	// Caches whose objects are buffers of arbitrary bytes, where the network stack
	// (skb heads, copies, TX data) legitimately puts packets.
	static const char *const prefixes[] = {
		"kmalloc-", "kmalloc-cg-", "kmalloc-rcl-", "dma-kmalloc-", "skbuff_", "size-",
	};
	if (!name || !name[0])
		return true; // unknown: do not count it against anyone
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

// Items per evidence kind: one, except the log's merged signatures.
static size_t kind_max(enum dms_evidence_kind kind)
{
	return kind == DMS_EV_LOG ? DMS_VERDICT_MAX_LOG_ITEMS : 1;
}

_Static_assert(DMS_EV_NUM_KINDS - 1 + DMS_VERDICT_MAX_LOG_ITEMS <= DMS_VERDICT_MAX_EVIDENCE,
	       "the evidence list has room for every kind");

static __attribute__((format(printf, 5, 6))) void add(struct dms_vresult *r,
						       enum dms_evidence_kind kind, int weight,
						       uint64_t address, const char *fmt, ...)
{
	va_list ap;
	size_t same = 0;

	for (size_t i = 0; i < r->nevidence; i++)
		same += r->evidence[i].kind == kind;
	if (same >= kind_max(kind) || r->nevidence >= DMS_VERDICT_MAX_EVIDENCE)
		return;
	struct dms_evidence *e = &r->evidence[r->nevidence++];
	e->kind = kind;
	e->weight = weight;
	e->address = address;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static void mac_str(const uint8_t *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

// Frames that are evidence of a device writing into memory it did not own: in a page
// table, or in an object of a non-packet cache that is not known to be free (live, or
// in a slab whose freelist is broken, often by a frame written over a free pointer).
static bool foreign(const struct dms_vframe *f)
{
	if (f->owner == DMS_VOWNER_PGTABLE)
		return true; // page tables never hold packets
	return f->owner == DMS_VOWNER_SLAB && f->state != DMS_VOBJ_FREE && !f->packet_cache;
}

// A frame as a device writes it: an Ethernet header and a valid IP header (IPv4 header
// checksum).  The transport checksum is usually valid too, but a live object keeps
// being written by its owner after the frame landed, so it is counted, not required.
static bool whole(const struct dms_vframe *f)
{
	return f->has_l2 && f->ip_csum_ok;
}

bool dms_vframe_incriminating(const struct dms_vframe *f)
{
	return foreign(f) && whole(f);
}

static int netdev_of(const struct dms_vinput *in, const struct dms_vframe *f)
{
	if (!f->has_l2)
		return -1;
	for (size_t i = 0; i < in->nnetdevs; i++)
		if (!memcmp(in->netdevs[i].mac, f->dst_mac, 6))
			return (int)i;
	return -1;
}

struct count {
	char key[128];
	size_t n;
	uint64_t example;
};

static void bump(struct count *c, size_t max, size_t *nc, const char *key, uint64_t example)
{
	for (size_t i = 0; i < *nc; i++) {
		if (!strcmp(c[i].key, key)) {
			c[i].n++;
			return;
		}
	}
	if (*nc < max) {
		snprintf(c[*nc].key, sizeof(c[*nc].key), "%s", key);
		c[*nc].n = 1;
		c[*nc].example = example;
		(*nc)++;
	}
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->key, y->key);
}

// "vm_area_struct x12, anon_vma_chain x10, ..." of the counts (sorted).
static void list_counts(struct count *c, size_t n, char *buf, size_t size)
{
	size_t off = 0;

	qsort(c, n, sizeof(*c), by_count);
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 6 && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s x%zu", i ? ", " : "", c[i].key,
					c[i].n);
	if (n > 6 && off < size)
		snprintf(buf + off, size - off, ", ...");
}

#define MAXC 64
#define MAX_LOG_GROUPS 64

// The device a log line is about: its netdev, else its bus id.
static const char *source(const struct dms_vlog *l)
{
	return l->netdev[0] ? l->netdev : l->device;
}

static bool same_source(const struct dms_vlog *a, const struct dms_vlog *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(source(a), source(b)) &&
	       !strcmp(a->driver, b->driver);
}

struct loggroup_key {
	const struct dms_vlog *first;
	size_t n;
	double last;
};

static int by_lines(const void *a, const void *b)
{
	const struct loggroup_key *x = a, *y = b;

	// More lines first, then log order (stable across runs).
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

struct dms_error *dms_verdict_compute(const struct dms_vinput *in, struct dms_vresult *r)
{
	struct count caches[MAXC], flows[MAXC], nics[MAXC], residues[MAXC];
	size_t ncaches = 0, nflows = 0, nnics = 0, nres = 0;
	size_t nforeign = 0, nwhole = 0, nattrib = 0, nvirtio = 0, nfreed = 0, nlegit = 0;
	size_t nbcast = 0, nunknown = 0, nl4 = 0;
	const struct dms_vframe *first = NULL;
	char buf[256], mac[24];

	memset(r, 0, sizeof(*r));
	r->ring = -1;
	if (!in || (in->nframes && !in->frames))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "verdict: no input");

	for (size_t i = 0; i < in->nframes; i++) {
		const struct dms_vframe *f = &in->frames[i];

		if (!foreign(f)) {
			if (f->owner == DMS_VOWNER_SLAB && f->state == DMS_VOBJ_FREE && !f->packet_cache)
				nfreed++;
			else if (f->owner != DMS_VOWNER_KERNEL_IMAGE)
				nlegit++;
			continue;
		}
		nforeign++;
		if (!whole(f))
			continue;
		nwhole++;
		nl4 += f->l4_csum_ok;
		if (f->state == DMS_VOBJ_UNKNOWN && f->owner == DMS_VOWNER_SLAB)
			nunknown++;
		if (!first || (first->state != DMS_VOBJ_LIVE && f->state == DMS_VOBJ_LIVE))
			first = f;
		bump(caches, MAXC, &ncaches, f->owner == DMS_VOWNER_PGTABLE ? "page table" : f->cache,
		     f->obj);
		bump(flows, MAXC, &nflows, f->flow, f->paddr);
		int nd = netdev_of(in, f);
		if (nd >= 0) {
			bump(nics, MAXC, &nnics, in->netdevs[nd].name, f->paddr);
			nattrib++;
		} else if (f->dst_mac[0] & 1) {
			nbcast++; // broadcast/multicast: received, but says no NIC
		}
		if (f->virtio_hdr)
			nvirtio++;
		for (unsigned int bs = 1024; bs <= 4096; bs *= 2) {
			snprintf(buf, sizeof(buf), "%#llx mod %u",
				 (unsigned long long)(f->paddr % bs), bs);
			bump(residues, MAXC, &nres, buf, f->paddr);
		}
	}

	// 1. Whole frames in live objects of caches that never hold packets.
	if (nwhole) {
		list_counts(caches, ncaches, buf, sizeof(buf));
		add(r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS, 40, first->owner == DMS_VOWNER_SLAB ? first->obj : first->paddr,
		    "%zu received frame%s (Ethernet header, valid IP header; %zu also with a valid "
		    "L4 checksum) inside objects of caches that never hold packets (%zu allocated, "
		    "%zu in slabs whose freelist is broken): %s; e.g. %s %#llx (frame at %s%#x): %s",
		    nwhole, nwhole == 1 ? "" : "s", nl4, nwhole - nunknown, nunknown, buf,
		    first->owner == DMS_VOWNER_PGTABLE ? "page table" : first->cache,
		    (unsigned long long)(first->owner == DMS_VOWNER_SLAB ? first->obj : first->paddr),
		    first->obj_offset < 0 ? "-" : "+",
		    (unsigned int)(first->obj_offset < 0 ? -(int64_t)first->obj_offset : first->obj_offset),
		    first->summary);
	} else if (nforeign) {
		add(r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS, 15, 0,
		    "%zu packet%s inside live objects of caches that never hold packets, but none is a "
		    "frame with an Ethernet header and a valid IP header", nforeign,
		    nforeign == 1 ? "" : "s");
	}

	// 2. Addressed to this machine's NIC.
	int nic = -1;
	if (nattrib) {
		qsort(nics, nnics, sizeof(nics[0]), by_count);
		for (size_t i = 0; i < in->nnetdevs; i++)
			if (!strcmp(in->netdevs[i].name, nics[0].key))
				nic = (int)i;
		const struct dms_vnetdev *nd = &in->netdevs[nic];
		mac_str(nd->mac, mac, sizeof(mac));
		snprintf(r->netdev, sizeof(r->netdev), "%s", nd->name);
		snprintf(r->driver, sizeof(r->driver), "%s", nd->driver);
		add(r, DMS_EV_DST_MAC, 20, nics[0].example,
		    "%zu of %zu are addressed to %s (%s, MAC %s%s): frames this machine's NIC received",
		    nics[0].n, nwhole, nd->name, nd->driver[0] ? nd->driver : "driver unknown", mac,
		    nd->up ? "" : ", now down");
		nattrib = nics[0].n;
	} else if (nbcast) {
		add(r, DMS_EV_DST_MAC, 5, 0,
		    "%zu are broadcast/multicast frames: received, but they do not name a NIC", nbcast);
	}

	// 3. Device framing.
	if (nvirtio) {
		add(r, DMS_EV_DEVICE_FRAMING, 10, 0,
		    "%zu of %zu frames sit behind a virtio_net_hdr, as a virtio device writes them",
		    nvirtio, nwhole);
	} else if (nwhole >= 4) {
		qsort(residues, nres, sizeof(residues[0]), by_count);
		if (residues[0].n * 2 > nwhole)
			add(r, DMS_EV_DEVICE_FRAMING, 10, residues[0].example,
			    "%zu of %zu frames start at %s: fixed-size device buffers, not copies at "
			    "object offsets", residues[0].n, nwhole, residues[0].key);
	}

	// 4. Ring provenance: a slot's buffer holds an incriminating frame.
	size_t nslot = 0;
	const struct dms_vslot *slot = NULL;
	for (size_t s = 0; s < in->nslots; s++) {
		const struct dms_vslot *sl = &in->slots[s];

		for (size_t i = 0; i < in->nframes; i++) {
			const struct dms_vframe *f = &in->frames[i];

			if (foreign(f) && whole(f) && f->paddr >= sl->paddr &&
			    f->paddr < sl->paddr + (sl->len ? sl->len : 2048)) {
				if (!slot)
					slot = sl;
				nslot++;
				break;
			}
		}
	}
	if (slot) {
		add(r, DMS_EV_RING_PROVENANCE, 15, slot->paddr,
		    "%zu %s slot%s point%s into memory that holds these frames, e.g. %s RX ring %d slot %d: "
		    "DMA address %#llx", nslot, slot->stale ? "stale descriptor" : "ring",
		    nslot == 1 ? "" : "s", nslot == 1 ? "s" : "", slot->netdev, slot->ring, slot->slot,
		    (unsigned long long)slot->dma);
		r->ring = slot->ring;
		if (!r->netdev[0])
			snprintf(r->netdev, sizeof(r->netdev), "%s", slot->netdev);
	}

	// 6. The log: NIC signatures merged by (signature, device), one item each with
	// its count; the kind weighs 10 however many lines and signatures there are.
	struct loggroup_key groups[MAX_LOG_GROUPS];
	size_t ngroups = 0, ungrouped = 0;
	for (size_t i = 0; i < in->nlogs; i++) {
		const struct dms_vlog *l = &in->logs[i];

		if (!l->nic_class)
			continue;
		if (!r->driver[0] && l->driver[0] && nwhole)
			snprintf(r->driver, sizeof(r->driver), "%s", l->driver);
		size_t g = 0;
		while (g < ngroups && !same_source(groups[g].first, l))
			g++;
		if (g == ngroups) {
			if (ngroups == MAX_LOG_GROUPS) {
				ungrouped++;
				continue;
			}
			groups[ngroups++] = (struct loggroup_key){ .first = l };
		}
		groups[g].n++;
		groups[g].last = l->time;
	}
	// The busiest groups first; the last item sums up those not listed.
	qsort(groups, ngroups, sizeof(groups[0]), by_lines);
	size_t shown = ngroups <= DMS_VERDICT_MAX_LOG_ITEMS ? ngroups : DMS_VERDICT_MAX_LOG_ITEMS - 1;
	for (size_t g = 0; g < shown; g++) {
		const struct dms_vlog *l = groups[g].first;
		char span[64] = "";

		if (groups[g].n == 1) {
			add(r, DMS_EV_LOG, 10, 0, "log: %s", l->line);
			continue;
		}
		if (l->time >= 0 && groups[g].last >= 0)
			snprintf(span, sizeof(span), ", %.1f s to %.1f s", l->time, groups[g].last);
		add(r, DMS_EV_LOG, 10, 0, "log: %s from %s%s%s, %zu lines%s; first: %s", l->kind,
		    l->driver[0] ? l->driver : "a driver", source(l)[0] ? " " : "", source(l),
		    groups[g].n, span, l->line);
	}
	if (shown < ngroups || ungrouped) {
		size_t lines = ungrouped;
		for (size_t g = shown; g < ngroups; g++)
			lines += groups[g].n;
		add(r, DMS_EV_LOG, 10, 0,
		    "log: %zu%s more NIC signature%s or device%s (%zu lines), e.g. %s",
		    ngroups - shown, ungrouped ? "+" : "", ngroups - shown == 1 ? "" : "s",
		    ngroups - shown == 1 ? "" : "s", lines,
		    shown < ngroups ? groups[shown].first->line : "");
	}

	// 7. The panic.
	if (in->panic.valid && in->panic.noncanonical) {
		// x86-64 registers read as AT&T's %rax; arm64's as x0.
		const char *pct = in->panic.arch == DMS_ARCH_ARM64 ? "" : "%";
		const char *why = in->panic.why[0] ? in->panic.why : "is non-canonical";
		if (in->panic.value_in_frame)
			add(r, DMS_EV_PANIC, 15, in->panic.loaded_from,
			    "panic: %s; %s%s = %#llx %s; %s%s%sit was loaded from frame bytes: "
			    "%#llx%s%s%s (frame at %#llx)", in->panic.insn, pct, in->panic.reg,
			    (unsigned long long)in->panic.value, why,
			    in->panic.load_insn[0] ? "loaded by `" : "", in->panic.load_insn,
			    in->panic.load_insn[0] ? "`; " : "",
			    (unsigned long long)(in->panic.value + (uint64_t)in->panic.loaded_delta),
			    in->panic.loaded_delta ? " (the value plus a member offset)" : "",
			    in->panic.loaded_from_owner[0] ? " is stored in " : "",
			    in->panic.loaded_from_owner,
			    (unsigned long long)in->panic.frame_paddr);
		else
			add(r, DMS_EV_PANIC, 5, in->panic.loaded_from,
			    "panic: %s; %s%s = %#llx %s%s%s", in->panic.insn, pct, in->panic.reg,
			    (unsigned long long)in->panic.value, why,
			    in->panic.loaded_from_owner[0] ? "; loaded from " : "",
			    in->panic.loaded_from_owner);
	}

	size_t soft = (in->slab_findings - in->slab_findings_packet) +
		      (in->objcheck_failures - in->objcheck_failures_packet);
	if (soft)
		add(r, DMS_EV_SOFTWARE_CORRUPTION, 20, 0,
		    "%zu slab finding%s and %zu type-check failure%s whose bytes are not packet data "
		    "(pointers, text, small integers): the marks of a software bug",
		    in->slab_findings - in->slab_findings_packet,
		    in->slab_findings - in->slab_findings_packet == 1 ? "" : "s",
		    in->objcheck_failures - in->objcheck_failures_packet,
		    in->objcheck_failures - in->objcheck_failures_packet == 1 ? "" : "s");
	if (nfreed)
		add(r, DMS_EV_FRAMES_IN_FREED_OBJECTS, 0, 0,
		    "%zu frame%s in free objects of non-packet caches (consistent with either story: "
		    "freed memory keeps whatever was last written)", nfreed, nfreed == 1 ? "" : "s");
	if (nlegit)
		add(r, DMS_EV_LEGIT_PACKETS, 0, 0,
		    "%zu packet%s where packets belong (network buffers, packet caches, free or user "
		    "pages)", nlegit, nlegit == 1 ? "" : "s");

	// The verdict: categorical, from which kinds of evidence are present.
	bool device = nattrib || nvirtio || slot;
	if (nwhole && device)
		r->verdict = DMS_VERDICT_DMA_AFTER_FREE;
	else if (nforeign)
		r->verdict = DMS_VERDICT_INCONCLUSIVE;
	else if (soft)
		r->verdict = DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA;
	else if (in->panic.valid && in->panic.noncanonical)
		r->verdict = DMS_VERDICT_INCONCLUSIVE; // a bad pointer, and nothing found behind it
	else
		r->verdict = DMS_VERDICT_NO_CORRUPTION;

	// Score: per kind of evidence that supports the verdict, the weight of its
	// strongest item; the kinds present count, not the number of items.
	int best[DMS_EV_NUM_KINDS] = { 0 };
	for (size_t i = 0; i < r->nevidence; i++) {
		enum dms_evidence_kind k = r->evidence[i].kind;
		bool for_dma = k != DMS_EV_SOFTWARE_CORRUPTION && k != DMS_EV_LEGIT_PACKETS;

		if (((r->verdict == DMS_VERDICT_DMA_AFTER_FREE && for_dma) ||
		     (r->verdict == DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA &&
		      (k == DMS_EV_SOFTWARE_CORRUPTION || k == DMS_EV_PANIC)) ||
		     r->verdict == DMS_VERDICT_INCONCLUSIVE) &&
		    r->evidence[i].weight > best[k])
			best[k] = r->evidence[i].weight;
	}
	int score = 0;
	for (int k = 0; k < DMS_EV_NUM_KINDS; k++)
		score += best[k];
	if (r->verdict == DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA)
		score += 40; // and no packet bytes in any damaged or foreign object
	if (r->verdict == DMS_VERDICT_NO_CORRUPTION)
		score = 80; // nothing found; a scan can only miss what the dump lacks
	r->score = score > 100 ? 100 : score;
	if (r->verdict != DMS_VERDICT_DMA_AFTER_FREE && r->verdict != DMS_VERDICT_INCONCLUSIVE) {
		r->netdev[0] = r->driver[0] = '\0';
		r->ring = -1;
	}

	qsort(flows, nflows, sizeof(flows[0]), by_count);
	for (size_t i = 0; i < nflows && r->nflows < 4; i++)
		snprintf(r->top_flows[r->nflows++], sizeof(r->top_flows[0]), "%.140s (%zu)", flows[i].key,
			 flows[i].n);
	r->incriminating = nwhole;
	return NULL;
}
