// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the DMA-after-free verdict (see verdict.h and docs/dmaf.md).
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "logsig.h"
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

const char *dms_frame_class_name(enum dms_frame_class c)
{
	static const char *const names[DMS_FRAME_NUM_CLASSES] = {
		[DMS_FRAME_INCRIMINATING] = "incriminating",
		[DMS_FRAME_FOREIGN_PARTIAL] = "foreign-partial",
		[DMS_FRAME_FREED] = "freed",
		[DMS_FRAME_BELONGS] = "belongs",
		[DMS_FRAME_KERNEL_IMAGE] = "kernel-image",
		[DMS_FRAME_UNKNOWN_OWNER] = "unknown-owner",
		[DMS_FRAME_UNWEIGHED] = "unweighed",
	};
	return (unsigned)c < DMS_FRAME_NUM_CLASSES ? names[c] : "unknown";
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

// ---------------------------------------------------------------- which frames matter

static bool packet_name(const char *name)
{
	// Caches whose objects are buffers of arbitrary bytes where the network stack
	// legitimately puts packets: kmalloc (skb data, copies, TX data; also kmalloc-cg-,
	// kmalloc-rcl-, kmalloc-rnd-), dma-kmalloc, and skb heads (skbuff_head_cache,
	// skbuff_fclone_cache, skbuff_small_head).
	static const char *const prefixes[] = { "kmalloc-", "dma-kmalloc-", "skbuff_" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

bool dms_cache_holds_packets(const char *name, const char *const *aliases, size_t naliases)
{
	if (!name || !name[0])
		return true; // unknown: do not count it against anyone
	if (packet_name(name))
		return true;
	// A cache merged into this one (SLAB_MERGE_DEFAULT) shares its objects.
	for (size_t i = 0; aliases && i < naliases; i++)
		if (aliases[i] && packet_name(aliases[i]))
			return true;
	return false;
}

// A frame as a device writes it: an Ethernet header and a valid IP header (IPv4 header
// checksum).  The transport checksum is usually valid too, but a live object keeps
// being written by its owner after the frame landed, so it is counted, not required.
static bool whole(const struct dms_vframe *fr)
{
	return fr->has_l2 && fr->ip_csum_ok;
}

enum dms_frame_class dms_frame_class_of_owner(enum dms_owner_kind k)
{
	switch (k) {
	case DMS_OWNER_KIMAGE:
		return DMS_FRAME_KERNEL_IMAGE;
	case DMS_OWNER_UNKNOWN:
		return DMS_FRAME_UNKNOWN_OWNER;
	default:
		// page_pool and other network buffer pages, free pages, user and page-cache
		// pages (slab memory and page tables are classified frame by frame).
		return DMS_FRAME_BELONGS;
	}
}

enum dms_frame_class dms_frame_classify_one(const struct dms_vframe *fr, const char *const *aliases,
					    size_t naliases)
{
	// Evidence of a device writing into memory it did not own: a page table, or an
	// object of a non-packet cache that is not known to be free (live, or in a slab
	// whose freelist is broken, often by a frame written over a free pointer).
	if (fr->owner == DMS_OWNER_PGTABLE)
		return whole(fr) ? DMS_FRAME_INCRIMINATING : DMS_FRAME_FOREIGN_PARTIAL;
	if (fr->owner != DMS_OWNER_SLAB)
		return dms_frame_class_of_owner(fr->owner);
	if (dms_cache_holds_packets(fr->cache, aliases, naliases))
		return DMS_FRAME_BELONGS;
	if (fr->state == DMS_VOBJ_FREE)
		return DMS_FRAME_FREED;
	return whole(fr) ? DMS_FRAME_INCRIMINATING : DMS_FRAME_FOREIGN_PARTIAL;
}

enum dms_frame_class dms_frame_classify(const struct dms_facts *f, const struct dms_vframe *fr)
{
	const struct dms_fcache *c =
		fr->owner == DMS_OWNER_SLAB ? dms_facts_cache(f, fr->cache) : NULL;
	const char *al[DMS_FCACHE_MAX_ALIASES];
	size_t n = 0;

	for (; c && n < c->naliases; n++)
		al[n] = c->aliases[n];
	return dms_frame_classify_one(fr, al, n);
}

// ---------------------------------------------------------------- evidence list

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

static __attribute__((format(printf, 2, 3))) void note(struct dms_vresult *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes >= DMS_VERDICT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

static void mac_str(const uint8_t *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static bool mac_zero(const uint8_t *m)
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

static int netdev_of(const struct dms_facts *f, const struct dms_vframe *fr)
{
	if (!fr->has_l2 || mac_zero(fr->dst_mac))
		return -1;
	for (size_t i = 0; i < f->nnetdevs; i++)
		if (!memcmp(f->netdevs[i].mac, fr->dst_mac, 6))
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

// ---------------------------------------------------------------- the log

// A NIC signature line of the log, as the verdict uses it.
struct vlog {
	char kind[32]; // dms_logsig_kind_name()
	char netdev[32], driver[32];
	char device[32]; // bus id ("0000:07:00.3") when the line names no netdev
	double time;	 // printk seconds, -1 if none
	char line[192];
};

struct logscan {
	struct vlog *logs;
	size_t n, cap;
	bool oom;
};

static struct dms_error *on_logsig(const struct dms_logsig *sig, const char *line, void *arg)
{
	struct logscan *ls = arg;

	if (sig->klass != DMS_LOGCLASS_NIC)
		return NULL;
	if (ls->n == ls->cap) {
		size_t ncap = ls->cap ? ls->cap * 2 : 64;
		struct vlog *nl = realloc(ls->logs, ncap * sizeof(*nl));
		if (!nl) {
			ls->oom = true;
			return dms_error_create(DMS_ERR_STOP, NULL);
		}
		ls->logs = nl;
		ls->cap = ncap;
	}
	struct vlog *l = &ls->logs[ls->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->kind, sizeof(l->kind), "%s", sig->name);
	snprintf(l->netdev, sizeof(l->netdev), "%s", sig->netdev);
	snprintf(l->driver, sizeof(l->driver), "%s", sig->driver);
	snprintf(l->device, sizeof(l->device), "%s", sig->device);
	l->time = sig->time;
	size_t n = sig->len < sizeof(l->line) - 1 ? sig->len : sizeof(l->line) - 1;
	memcpy(l->line, line, n);
	l->line[n] = '\0';
	return NULL;
}

// The device a log line is about: its netdev, else its bus id.
static const char *source(const struct vlog *l)
{
	return l->netdev[0] ? l->netdev : l->device;
}

static bool same_source(const struct vlog *a, const struct vlog *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(source(a), source(b)) &&
	       !strcmp(a->driver, b->driver);
}

struct loggroup {
	const struct vlog *first;
	size_t n;
	double last;
};

static int by_lines(const void *a, const void *b)
{
	const struct loggroup *x = a, *y = b;

	// More lines first, then log order (stable across runs).
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

#define MAX_LOG_GROUPS 64

// NIC signatures merged by (signature, device), one item each with its count; the kind
// weighs 10 however many lines and signatures there are.
static void log_evidence(struct dms_vresult *r, const struct logscan *ls, bool frames)
{
	struct loggroup groups[MAX_LOG_GROUPS];
	size_t ngroups = 0, ungrouped = 0;

	for (size_t i = 0; i < ls->n; i++) {
		const struct vlog *l = &ls->logs[i];

		if (!r->driver[0] && l->driver[0] && frames)
			snprintf(r->driver, sizeof(r->driver), "%s", l->driver);
		size_t g = 0;
		while (g < ngroups && !same_source(groups[g].first, l))
			g++;
		if (g == ngroups) {
			if (ngroups == MAX_LOG_GROUPS) {
				ungrouped++;
				continue;
			}
			groups[ngroups++] = (struct loggroup){ .first = l };
		}
		groups[g].n++;
		groups[g].last = l->time;
	}
	// The busiest groups first; the last item sums up those not listed.
	qsort(groups, ngroups, sizeof(groups[0]), by_lines);
	size_t shown =
		ngroups <= DMS_VERDICT_MAX_LOG_ITEMS ? ngroups : DMS_VERDICT_MAX_LOG_ITEMS - 1;
	for (size_t g = 0; g < shown; g++) {
		const struct vlog *l = groups[g].first;
		char span[64] = "";

		if (groups[g].n == 1) {
			add(r, DMS_EV_LOG, 10, 0, "log: %s", l->line);
			continue;
		}
		if (l->time >= 0 && groups[g].last >= 0)
			snprintf(span, sizeof(span), ", %.1f s to %.1f s", l->time, groups[g].last);
		add(r, DMS_EV_LOG, 10, 0, "log: %s from %s%s%s, %zu lines%s; first: %s", l->kind,
		    l->driver, l->driver[0] && source(l)[0] ? " " : "",
		    l->driver[0] || source(l)[0] ? source(l) : "an unnamed device", groups[g].n,
		    span, l->line);
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
}

// ---------------------------------------------------------------- notes

// What the glue could not gather, with what is lost and how to get it (docs/dmaf.md).
static void gap_notes(const struct dms_facts *f, struct dms_vresult *r)
{
	static const struct {
		const char *what, *head, *lost;
	} gaps[] = {
		{ "slub", "no SLUB model", "objects' allocation state unknown" },
		{ "netdevs", "network devices not listed", "frames name no NIC" },
		{ "log", "the kernel log could not be read",
		  "no log signatures, no oops analysis" },
		{ "panic", "the oops' bad value was not looked up", "its source is unknown" },
		{ "netdev", "a network device is damaged", "it may not name its frames" },
		{ "rings", "an RX ring walk stopped", "those slots cannot name frames" },
		{ "slab_caches", "the slab cache list is damaged",
		  "caches with slabs were found through their slab pages" },
		{ "irqs", "IRQ counts not read", "IRQ storms not checked" },
		{ "page_pool", "page_pool pages not surveyed", "pages in flight not checked" },
	};

	for (size_t i = 0; i < f->ngaps; i++) {
		const struct dms_fgap *g = &f->gaps[i];
		size_t k = 0;
		while (k < sizeof(gaps) / sizeof(gaps[0]) && strcmp(gaps[k].what, g->what))
			k++;
		if (k < sizeof(gaps) / sizeof(gaps[0]))
			note(r, "%s (%s): %s", gaps[k].head, g->why, gaps[k].lost);
		else
			note(r, "%s not gathered: %s", g->what, g->why);
	}
	// A NIC (a device with a bus driver) whose rings could not be read loses its ring
	// provenance.
	for (size_t i = 0; i < f->nnetdevs; i++) {
		const struct dms_vnetdev *nd = &f->netdevs[i];
		if (nd->bus_driver && !nd->rings_read)
			note(r,
			     "%s (%s): RX rings not read (%s): its ring slots cannot name frames",
			     nd->name, nd->driver,
			     nd->rings_why[0] ? nd->rings_why : "no reason given");
	}
	if (f->frames_unweighed)
		note(r,
		     "%" PRIu64
		     " frames in slab memory beyond the first %u were counted, not weighed",
		     f->frames_unweighed, DMS_FACTS_MAX_FRAMES);
	if (f->findings_dropped)
		note(r,
		     "%" PRIu64 " slab findings beyond the first %u were counted, not classified",
		     f->findings_dropped, DMS_FACTS_MAX_FINDINGS);
}

// An IRQ that fired more than ten times as often as the next busiest one, and often in
// absolute terms (an SFP TX-fault line, a NIC that keeps raising interrupts): context
// for the NIC's state, not evidence of DMA-after-free.
#define IRQ_STORM_MIN 100000

static void irq_notes(const struct dms_facts *f, struct dms_vresult *r)
{
	const struct dms_firq *best = NULL;
	uint64_t second = 0;

	for (size_t i = 0; i < f->nirqs; i++) {
		const struct dms_firq *q = &f->irqs[i];
		if (!best || q->count > best->count) {
			second = best ? best->count : 0;
			best = q;
		} else if (q->count > second) {
			second = q->count;
		}
	}
	if (!best || best->count < IRQ_STORM_MIN || best->count <= 10 * second)
		return;
	note(r,
	     "IRQ %u (%s) fired %" PRIu64 " times, %" PRIu64 "x the next busiest IRQ: an IRQ storm",
	     best->irq, best->name[0] ? best->name : "?", best->count,
	     second ? best->count / second : best->count);
}

// A pool whose hold count exceeds its release count has pages in flight: the router's
// teardown leak when the pool is being destroyed.
static void pool_notes(const struct dms_facts *f, struct dms_vresult *r)
{
	for (size_t i = 0; i < f->npools; i++) {
		const struct dms_fpool *p = &f->pools[i];
		int32_t inflight = (int32_t)(p->hold - p->release);
		if (p->counters && inflight > 0)
			note(r,
			     "page_pool %#" PRIx64
			     ": %d pages in flight (hold %u, release %u), %" PRIu64
			     " of its pages in the dump",
			     p->addr, inflight, p->hold, p->release, p->pages);
	}
}

// For each NIC the log complains about (checksum faults, hangs, watchdogs), the offloads
// that bear on it: hardware checksums, segmentation and receive coalescing.
static void offload_notes(const struct dms_facts *f, const struct logscan *ls,
			  struct dms_vresult *r)
{
	static const char *const relevant[] = { "rx-csum", "tx-csum", "tso", "gso",
						"lro",	   "gro-hw",  "sg",  "rx-vlan-hw" };

	for (size_t i = 0; i < ls->n; i++) {
		const struct vlog *l = &ls->logs[i];
		bool seen = false;
		if (!l->netdev[0] && !l->driver[0])
			continue;
		for (size_t j = 0; j < i && !seen; j++) // one note per device and kind
			seen = !strcmp(ls->logs[j].netdev, l->netdev) &&
			       !strcmp(ls->logs[j].driver, l->driver) &&
			       !strcmp(ls->logs[j].kind, l->kind);
		if (seen)
			continue;
		for (size_t k = 0; k < f->nnetdevs; k++) {
			const struct dms_vnetdev *nd = &f->netdevs[k];
			if (!nd->nfeatures || (l->netdev[0] ? strcmp(nd->name, l->netdev)
							    : strcmp(nd->driver, l->driver)))
				continue;
			char on[160] = "", *p = on;
			for (size_t j = 0; j < nd->nfeatures; j++) {
				bool rel = false;
				for (size_t q = 0; q < sizeof(relevant) / sizeof(relevant[0]); q++)
					rel |= !strncmp(nd->features[j].name, relevant[q],
							strlen(relevant[q]));
				if (rel && nd->features[j].on && p < on + sizeof(on) - 1)
					p += snprintf(p, (size_t)(on + sizeof(on) - p), " %s",
						      nd->features[j].name);
			}
			note(r, "%s (%s) is in the log (%s); offloads on:%s", nd->name, nd->driver,
			     l->kind, on[0] ? on : " none");
			break;
		}
	}
}

// ---------------------------------------------------------------- the verdict

// Where every carved frame was, by memmap class: frames kept one by one from their
// address and class, the others from their cell counts.
static void build_memmap(const struct dms_facts *f, struct dms_vresult *r)
{
	struct dms_memmap *m = &r->map;

	dms_memmap_init(m, f->memory_end);
	for (size_t i = 0; i < f->nframes; i++) {
		const struct dms_vframe *fr = &f->frames[i];
		enum dms_memclass c = DMS_MEM_PGTABLE;
		if (fr->owner == DMS_OWNER_SLAB)
			c = dms_frame_classify(f, fr) == DMS_FRAME_BELONGS ? DMS_MEM_PACKET
			    : fr->state == DMS_VOBJ_LIVE		   ? DMS_MEM_FOREIGN_LIVE
									   : DMS_MEM_FOREIGN_OTHER;
		dms_memmap_add(m, fr->paddr, c);
	}
	for (unsigned int cell = 0; f->cell_counts && cell < m->ncells; cell++)
		for (unsigned int k = 0; k < DMS_NUM_OWNER_KINDS; k++)
			m->counts[cell][dms_memclass_of(k, NULL, false)] += f->cell_counts[cell][k];
	// Frames outside every cell (past memory_end) count in the total only.
	m->frames = r->carved;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

// Is the bytes at pa part of a kept frame?
static bool in_frame(const struct dms_facts *f, uint64_t pa)
{
	for (size_t i = 0; pa && i < f->nframes; i++)
		if (pa >= f->frames[i].paddr && pa < f->frames[i].paddr + f->frames[i].len)
			return true;
	return false;
}

struct dms_error *dms_verdict_compute(const struct dms_facts *f, struct dms_vresult *r)
{
	struct count caches[MAXC], flows[MAXC], nics[MAXC], residues[MAXC];
	size_t ncaches = 0, nflows = 0, nnics = 0, nres = 0;
	size_t nwhole = 0, nattrib = 0, nvirtio = 0, nbcast = 0, nunknown = 0, nl4 = 0;
	const struct dms_vframe *first = NULL;
	char buf[256], mac[24];
	struct logscan ls = { 0 };
	uint64_t *starts = NULL;
	struct dms_error *err = NULL;

	memset(r, 0, sizeof(*r));
	r->ring = -1;
	if (!f || (f->nframes && !f->frames))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "verdict: no facts");

	// Every frame in one class.
	for (unsigned int k = 0; k < DMS_NUM_OWNER_KINDS; k++)
		r->frames[dms_frame_class_of_owner(k)] += f->frames_counted[k];
	r->frames[DMS_FRAME_UNWEIGHED] += f->frames_unweighed;
	if (f->nframes) {
		starts = malloc(f->nframes * sizeof(*starts));
		if (!starts)
			return &dms_enomem;
	}
	for (size_t i = 0; i < f->nframes; i++) {
		const struct dms_vframe *fr = &f->frames[i];
		enum dms_frame_class c = dms_frame_classify(f, fr);

		r->frames[c]++;
		if (c != DMS_FRAME_INCRIMINATING)
			continue;
		starts[nwhole++] = fr->paddr;
		nl4 += fr->l4_csum_ok;
		if (fr->state == DMS_VOBJ_UNKNOWN && fr->owner == DMS_OWNER_SLAB)
			nunknown++;
		if (!first || (first->state != DMS_VOBJ_LIVE && fr->state == DMS_VOBJ_LIVE))
			first = fr;
		bump(caches, MAXC, &ncaches,
		     fr->owner == DMS_OWNER_PGTABLE ? "page table" : fr->cache, fr->obj);
		bump(flows, MAXC, &nflows, fr->flow, fr->paddr);
		int nd = netdev_of(f, fr);
		if (nd >= 0) {
			bump(nics, MAXC, &nnics, f->netdevs[nd].name, fr->paddr);
			nattrib++;
		} else if (fr->dst_mac[0] & 1) {
			nbcast++; // broadcast/multicast: received, but says no NIC
		}
		if (fr->virtio_hdr)
			nvirtio++;
		for (unsigned int bs = 1024; bs <= 4096; bs *= 2) {
			snprintf(buf, sizeof(buf), "%#llx mod %u",
				 (unsigned long long)(fr->paddr % bs), bs);
			bump(residues, MAXC, &nres, buf, fr->paddr);
		}
	}
	for (int c = 0; c < DMS_FRAME_NUM_CLASSES; c++)
		r->carved += r->frames[c];
	uint64_t nforeign =
		r->frames[DMS_FRAME_INCRIMINATING] + r->frames[DMS_FRAME_FOREIGN_PARTIAL];

	// 1. Whole frames in live objects of caches that never hold packets.
	if (nwhole) {
		list_counts(caches, ncaches, buf, sizeof(buf));
		add(r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS, 40,
		    first->owner == DMS_OWNER_SLAB ? first->obj : first->paddr,
		    "%zu received frame%s (Ethernet header, valid IP header; %zu also with a valid "
		    "L4 checksum) inside objects of caches that never hold packets (%zu allocated, "
		    "%zu in slabs whose freelist is broken): %s; e.g. %s %#llx (frame at %s%#x): "
		    "%s",
		    nwhole, nwhole == 1 ? "" : "s", nl4, nwhole - nunknown, nunknown, buf,
		    first->owner == DMS_OWNER_PGTABLE ? "page table" : first->cache,
		    (unsigned long long)(first->owner == DMS_OWNER_SLAB ? first->obj
									: first->paddr),
		    first->obj_offset < 0 ? "-" : "+",
		    (unsigned int)(first->obj_offset < 0 ? -(int64_t)first->obj_offset
							 : first->obj_offset),
		    first->summary);
	} else if (nforeign) {
		add(r, DMS_EV_FRAMES_IN_FOREIGN_OBJECTS, 15, 0,
		    "%" PRIu64
		    " packet%s inside live objects of caches that never hold packets, but "
		    "none is a frame with an Ethernet header and a valid IP header",
		    nforeign, nforeign == 1 ? "" : "s");
	}

	// 2. Addressed to this machine's NIC.
	if (nattrib) {
		qsort(nics, nnics, sizeof(nics[0]), by_count);
		int nic = 0;
		for (size_t i = 0; i < f->nnetdevs; i++)
			if (!strcmp(f->netdevs[i].name, nics[0].key)) {
				nic = (int)i;
				break;
			}
		const struct dms_vnetdev *nd = &f->netdevs[nic];
		mac_str(nd->mac, mac, sizeof(mac));
		snprintf(r->netdev, sizeof(r->netdev), "%s", nd->name);
		snprintf(r->driver, sizeof(r->driver), "%s", nd->driver);
		add(r, DMS_EV_DST_MAC, 20, nics[0].example,
		    "%zu of %zu are addressed to %s (%s, MAC %s%s): frames this machine's NIC "
		    "received",
		    nics[0].n, nwhole, nd->name, nd->driver[0] ? nd->driver : "driver unknown", mac,
		    nd->up ? "" : ", now down");
		nattrib = nics[0].n;
	} else if (nbcast) {
		add(r, DMS_EV_DST_MAC, 5, 0,
		    "%zu are broadcast/multicast frames: received, but they do not name a NIC",
		    nbcast);
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
			    "%zu of %zu frames start at %s: fixed-size device buffers, not copies "
			    "at "
			    "object offsets",
			    residues[0].n, nwhole, residues[0].key);
	}

	// 4. Ring provenance: a slot's buffer holds an incriminating frame.
	if (nwhole)
		qsort(starts, nwhole, sizeof(*starts), by_u64);
	size_t nslot = 0;
	const struct dms_vslot *slot = NULL;
	for (size_t s = 0; s < f->nslots; s++) {
		const struct dms_vslot *sl = &f->slots[s];
		uint64_t end = sl->paddr + (sl->len ? sl->len : 2048);

		if (!sl->paddr)
			continue; // an IOVA that was not translated
		// The first incriminating frame at or after the buffer's start.
		size_t lo = 0, hi = nwhole;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (starts[mid] < sl->paddr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nwhole && starts[lo] < end) {
			if (!slot)
				slot = sl;
			nslot++;
		}
	}
	if (slot) {
		add(r, DMS_EV_RING_PROVENANCE, 15, slot->paddr,
		    "%zu %s slot%s point%s into memory that holds these frames, e.g. %s RX ring %d "
		    "slot %d: "
		    "DMA address %#llx",
		    nslot, slot->stale ? "stale descriptor" : "ring", nslot == 1 ? "" : "s",
		    nslot == 1 ? "s" : "", slot->netdev, slot->ring, slot->slot,
		    (unsigned long long)slot->dma);
		r->ring = slot->ring;
		if (!r->netdev[0])
			snprintf(r->netdev, sizeof(r->netdev), "%s", slot->netdev);
	}

	// 5. The log.
	if (f->has_log) {
		err = dms_logsig_scan(f->log, f->log_len, on_logsig, &ls);
		if (ls.oom) {
			dms_error_destroy(err);
			err = &dms_enomem;
			goto out;
		}
		dms_error_destroy(err);
		err = NULL;
	}
	log_evidence(r, &ls, nwhole != 0);

	// 6. The panic.
	dms_panic_analyze(f, &r->panic);
	const struct dms_vpanic *pn = &r->panic;
	if (pn->valid && pn->noncanonical) {
		// x86-64 registers read as AT&T's %rax; arm64's as x0.
		const char *pct = pn->arch == DMS_ARCH_ARM64 ? "" : "%";
		const char *why = pn->why[0] ? pn->why : "is non-canonical";
		if (pn->value_in_frame)
			add(r, DMS_EV_PANIC, 15, pn->loaded_from,
			    "panic: %s; %s%s = %#llx %s; %s%s%sit was loaded from frame bytes: "
			    "%#llx%s%s%s (frame at %#llx)",
			    pn->insn, pct, pn->reg, (unsigned long long)pn->value, why,
			    pn->load_insn[0] ? "loaded by `" : "", pn->load_insn,
			    pn->load_insn[0] ? "`; " : "",
			    (unsigned long long)(pn->value + (uint64_t)pn->loaded_delta),
			    pn->loaded_delta ? " (the value plus a member offset)" : "",
			    pn->loaded_from_owner[0] ? " is stored in " : "", pn->loaded_from_owner,
			    (unsigned long long)pn->frame_paddr);
		else
			add(r, DMS_EV_PANIC, 5, pn->loaded_from, "panic: %s; %s%s = %#llx %s%s%s",
			    pn->insn, pct, pn->reg, (unsigned long long)pn->value, why,
			    pn->loaded_from_owner[0] ? "; loaded from " : "",
			    pn->loaded_from_owner);
	}

	// Slab damage, and whether it is packet data: inside a carved frame, or the object
	// holds packets.
	for (size_t i = 0; i < f->nfindings; i++) {
		const struct dms_ffinding *fd = &f->findings[i];
		r->slab_findings++;
		r->slab_findings_packet += fd->object_packets || in_frame(f, fd->paddr);
	}
	r->slab_findings += f->findings_dropped;
	uint64_t soft = r->slab_findings - r->slab_findings_packet;
	if (soft)
		add(r, DMS_EV_SOFTWARE_CORRUPTION, 20, 0,
		    "%" PRIu64 " slab finding%s whose bytes are not packet data (pointers, text, "
		    "small integers): the marks of a software bug",
		    soft, soft == 1 ? "" : "s");
	uint64_t nfreed = r->frames[DMS_FRAME_FREED];
	if (nfreed)
		add(r, DMS_EV_FRAMES_IN_FREED_OBJECTS, 0, 0,
		    "%" PRIu64
		    " frame%s in free objects of non-packet caches (consistent with either "
		    "story: freed memory keeps whatever was last written)",
		    nfreed, nfreed == 1 ? "" : "s");
	uint64_t nlegit = r->frames[DMS_FRAME_BELONGS];
	if (nlegit)
		add(r, DMS_EV_LEGIT_PACKETS, 0, 0,
		    "%" PRIu64
		    " packet%s where packets belong (network buffers, packet caches, free or "
		    "user pages)",
		    nlegit, nlegit == 1 ? "" : "s");

	// The verdict: categorical, from which kinds of evidence are present.
	bool device = nattrib || nvirtio || slot;
	if (nwhole && device)
		r->verdict = DMS_VERDICT_DMA_AFTER_FREE;
	else if (nforeign)
		r->verdict = DMS_VERDICT_INCONCLUSIVE;
	else if (soft)
		r->verdict = DMS_VERDICT_SLAB_CORRUPTION_NOT_DMA;
	else if (pn->valid && pn->noncanonical)
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
		snprintf(r->top_flows[r->nflows++], sizeof(r->top_flows[0]), "%.140s (%zu)",
			 flows[i].key, flows[i].n);

	// Notes: what could not be gathered, then context.
	gap_notes(f, r);
	irq_notes(f, r);
	pool_notes(f, r);
	offload_notes(f, &ls, r);
	if (pn->value_copies > 1)
		note(r, "the bad value %#" PRIx64 " occurs %zu%s times in memory", pn->value,
		     pn->value_copies, pn->value_copies_more ? "+" : "");
	if (pn->not_analysed[0])
		note(r, "the oops was not analysed (%s): no panic evidence", pn->not_analysed);
	build_memmap(f, r);
out:
	free(ls.logs);
	free(starts);
	return err;
}

// ---------------------------------------------------------------- output

static const char *check_cmd(const struct dms_evidence *e, char *buf, size_t size)
{
	if (!e->address)
		return "";
	if (e->address >> 63) // the kernel half: a virtual address
		snprintf(buf, size, "kmem %#" PRIx64, e->address);
	else
		snprintf(buf, size, "rd -p %#" PRIx64 " 8", e->address);
	return buf;
}

// The FRAMES line's classes after "incriminating" and "where packets belong", as text.
static const char *const class_text[DMS_FRAME_NUM_CLASSES] = {
	[DMS_FRAME_FOREIGN_PARTIAL] = "partial in non-packet objects",
	[DMS_FRAME_FREED] = "in free non-packet objects",
	[DMS_FRAME_KERNEL_IMAGE] = "in the kernel image",
	[DMS_FRAME_UNKNOWN_OWNER] = "of unknown owner",
	[DMS_FRAME_UNWEIGHED] = "not weighed",
};

// Text as printed: with a redactor, IP and MAC addresses mapped (kernel addresses stay).
struct shown {
	struct dms_redact *redact;
	char buf[1024];
};

static const char *shown(struct shown *sh, const char *text)
{
	if (!sh->redact)
		return text;
	dms_redact_text(sh->redact, text, sh->buf, sizeof(sh->buf));
	return sh->buf;
}

void dms_verdict_write_text(FILE *out, const struct dms_facts *f, const struct dms_vresult *r,
			    bool verbose, struct dms_redact *redact)
{
	struct shown sh = { .redact = redact };
	char cmd[64];

	fprintf(out, "VERDICT: %s   score %d/100\n", dms_verdict_name(r->verdict), r->score);
	if (r->netdev[0] || r->driver[0]) {
		fprintf(out, "SUSPECT: %s%s%s%s", r->netdev[0] ? r->netdev : "?",
			r->driver[0] ? " (" : "", r->driver, r->driver[0] ? ")" : "");
		if (r->ring >= 0)
			fprintf(out, ", RX ring %d", r->ring);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < r->nflows; i++)
		fprintf(out, "%s %s\n", i ? "      " : "FLOWS:", shown(&sh, r->top_flows[i]));
	fprintf(out,
		"FRAMES: %" PRIu64 " carved, %" PRIu64 " incriminating, %" PRIu64
		" where packets belong",
		r->carved, r->frames[DMS_FRAME_INCRIMINATING], r->frames[DMS_FRAME_BELONGS]);
	for (int c = 0; c < DMS_FRAME_NUM_CLASSES; c++)
		if (class_text[c] && r->frames[c])
			fprintf(out, ", %" PRIu64 " %s", r->frames[c], class_text[c]);
	fprintf(out, "; slab findings %" PRIu64 " (%" PRIu64 " packet data)\nEVIDENCE:\n",
		r->slab_findings, r->slab_findings_packet);
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct dms_evidence *e = &r->evidence[i];
		fprintf(out, "  %2zu. [%s] %s\n", i + 1, dms_evidence_kind_name(e->kind),
			shown(&sh, e->text));
		if (e->address)
			fprintf(out, "      check: crash> %s\n", check_cmd(e, cmd, sizeof(cmd)));
	}
	for (size_t i = 0; i < r->nnotes; i++)
		fprintf(out, "NOTE: %s\n", shown(&sh, r->notes[i]));
	if (!verbose)
		return;
	fprintf(out, "INCRIMINATING FRAMES:\n");
	for (size_t i = 0; i < f->nframes; i++) {
		const struct dms_vframe *fr = &f->frames[i];
		if (dms_frame_classify(f, fr) != DMS_FRAME_INCRIMINATING)
			continue;
		if (fr->owner == DMS_OWNER_PGTABLE)
			fprintf(out, "  %#" PRIx64 "  page table  %s\n", fr->paddr,
				shown(&sh, fr->summary));
		else
			fprintf(out, "  %#" PRIx64 "  %s %#" PRIx64 " %+d %s  %s\n", fr->paddr,
				fr->cache, fr->obj, fr->obj_offset,
				fr->state == DMS_VOBJ_LIVE ? "allocated" : "state-unknown",
				shown(&sh, fr->summary));
	}
}

// "memmap": cell size, extent, the direct map's base (to place the evidence's kernel
// addresses), class names, and per non-empty cell [index, count per class...].
static void write_memmap(FILE *out, const struct dms_facts *f, const struct dms_memmap *m)
{
	fprintf(out, "\"memmap\":{\"cell\":%" PRIu64 ",\"end\":\"%#" PRIx64 "\",\"direct_map\":",
		m->cell, m->end);
	if (f->has_direct_map && m->end)
		fprintf(out, "\"%#" PRIx64 "\"", f->direct_map);
	else
		fprintf(out, "null");
	fprintf(out, ",\"frames\":%" PRIu64 ",\"classes\":[", m->frames);
	for (int c = 0; c < DMS_NUM_MEMCLASSES; c++)
		fprintf(out, "%s\"%s\"", c ? "," : "", dms_memclass_name(c));
	fprintf(out, "],\"cells\":[");
	bool first = true;
	for (unsigned int i = 0; i < m->ncells; i++) {
		bool any = false;
		for (int c = 0; c < DMS_NUM_MEMCLASSES; c++)
			any |= m->counts[i][c] != 0;
		if (!any)
			continue;
		fprintf(out, "%s[%u", first ? "" : ",", i);
		for (int c = 0; c < DMS_NUM_MEMCLASSES; c++)
			fprintf(out, ",%" PRIu32, m->counts[i][c]);
		fprintf(out, "]");
		first = false;
	}
	fprintf(out, "]}");
}

void dms_verdict_write_json(FILE *out, const struct dms_facts *f, const struct dms_vresult *r,
			    struct dms_redact *redact)
{
	struct shown sh = { .redact = redact };

	fprintf(out, "{\"verdict\":\"%s\",\"score\":%d,\"netdev\":", dms_verdict_name(r->verdict),
		r->score);
	if (r->netdev[0])
		dms_json_write_str(out, r->netdev);
	else
		fprintf(out, "null");
	fprintf(out, ",\"driver\":");
	if (r->driver[0])
		dms_json_write_str(out, r->driver);
	else
		fprintf(out, "null");
	fprintf(out, ",\"ring\":%d,\"flows\":[", r->ring);
	for (size_t i = 0; i < r->nflows; i++) {
		fprintf(out, i ? "," : "");
		dms_json_write_str(out, shown(&sh, r->top_flows[i]));
	}
	fprintf(out,
		"],\"frames\":%" PRIu64 ",\"incriminating\":%" PRIu64 ",\"legit\":%" PRIu64
		",\"frame_classes\":{",
		r->carved, r->frames[DMS_FRAME_INCRIMINATING], r->frames[DMS_FRAME_BELONGS]);
	for (int c = 0; c < DMS_FRAME_NUM_CLASSES; c++)
		fprintf(out, "%s\"%s\":%" PRIu64, c ? "," : "", dms_frame_class_name(c),
			r->frames[c]);
	fprintf(out,
		"},\"slab_findings\":%" PRIu64 ",\"slab_findings_packet\":%" PRIu64
		",\"evidence\":[",
		r->slab_findings, r->slab_findings_packet);
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct dms_evidence *e = &r->evidence[i];
		fprintf(out,
			"%s{\"n\":%zu,\"kind\":\"%s\",\"weight\":%d,\"address\":", i ? "," : "",
			i + 1, dms_evidence_kind_name(e->kind), e->weight);
		if (e->address)
			fprintf(out, "\"%#" PRIx64 "\"", e->address);
		else
			fprintf(out, "null");
		fprintf(out, ",\"text\":");
		dms_json_write_str(out, shown(&sh, e->text));
		fprintf(out, "}");
	}
	fprintf(out, "],\"notes\":[");
	for (size_t i = 0; i < r->nnotes; i++) {
		fprintf(out, i ? "," : "");
		dms_json_write_str(out, shown(&sh, r->notes[i]));
	}
	fprintf(out, "],");
	write_memmap(out, f, &r->map);
	fprintf(out, "}\n");
}
