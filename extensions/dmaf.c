// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the `dmaf` command, the DMA-after-free verdict.
//
// Gathers the facts lib/verdict.c weighs (docs/dmaf.md): every frame in dumpable
// memory and who owns it (allocated or free, by dmasleuth's SLUB model), the network
// devices and their RX ring slots, the kernel log's signatures, the oops decoded with
// capstone and where its bad value lives, and the slab damage and what it is made of.
// Then prints the verdict with numbered evidence, or one JSON object (-j), and writes
// the incriminating frames to a pcapng (-w).
#include <crash/defs.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "dms_ext.h"
#include "insn.h"
#include "logsig.h"
#include "memmap.h"
#include "oops.h"
#include "pcapw.h"
#include "redact.h"
#include "slub.h"
#include "vaddr.h"
#include "verdict.h"

// Provided by the slabcheck and rxring glue; weak so that dmaf degrades (and says so)
// when a build lacks them.
size_t dms_ext_netdevs(struct dms_vnetdev *out, size_t max);
size_t dms_ext_rx_slots(struct dms_vslot **ret);
#pragma weak dms_ext_slub
#pragma weak dms_ext_netdevs
#pragma weak dms_ext_rx_slots

#define MAX_FRAMES (1u << 16) // frames in slab/page-table memory kept (~400 bytes each); the rest are counted
#define MAX_NETDEVS 64
#define MAX_LOGS 256 // NIC signature lines kept (lib/verdict.c merges them); the rest are counted
#define MAX_VALUE_HITS 16

char *dms_help_dmaf[] = {
	"dmaf",
	"the verdict: did a NIC DMA-write frames into freed memory?",
	"[-j] [-w FILE] [-R key[,opts]] [-q] [-v]",
	"  Scans all dumpable physical memory for network frames, finds who owns the",
	"  memory each one sits in (slab object and whether it is allocated, page table,",
	"  page_pool, free page ...), walks every NIC's RX rings, reads the kernel log's",
	"  NIC signatures, decodes the oops' faulting instruction and finds where its bad",
	"  value lives, and checks the slab allocator's metadata.  Then it says:",
	"",
	"    dma-after-free           whole received frames (Ethernet header, valid IP",
	"                             and L4 checksums) inside objects of caches that never",
	"                             hold packets, attributed to a device (addressed to a",
	"                             local NIC's MAC, behind a virtio_net header, or in a",
	"                             buffer an RX ring slot points at)",
	"    slab-corruption-not-dma  slab damage whose bytes are not packet data",
	"    no-corruption-found      packets only where packets belong",
	"    inconclusive             anything in between, with the reason",
	"",
	"  with a score (how much independent evidence agrees), the suspected netdev,",
	"  driver and ring, the flows involved, and numbered evidence: each item names an",
	"  address to re-check with kmem, rd or struct.  docs/dmaf.md has the rules.",
	"",
	"    -j       one JSON object (docs/json.md): verdict, score, netdev, driver,",
	"             ring, flows[], evidence[], counts",
	"    -w FILE  write the incriminating frames to FILE (pcapng, one comment per",
	"             frame: physical and virtual address, owner)",
	"    -R key[,keep=N][,cut][,oui]",
	"             redact for sharing (docs/redaction.md): IP addresses mapped",
	"             prefix-preservingly (Crypto-PAn) and MACs by the key in the flows,",
	"             evidence, notes and frames; payload after the L4 header zeroed",
	"             (cut: left out; keep=N: its first N bytes stay), checksums",
	"             recomputed; the -w FILE made mode 0600.  key: a key file,",
	"             pass:PHRASE or env:VAR; oui: MACs keep their vendor bytes.",
	"    -q       no progress on the terminal",
	"    -v       list every incriminating frame",
	"",
	"EXAMPLE",
#include "dmaf_example.h" // generated from docs/examples/dmaf.txt
	NULL,
};

struct dmaf {
	bool json, quiet, verbose;
	const char *wfile;
	const char *redact_spec;
	// -R: every address the output shows goes through this map (docs/redaction.md).
	struct dms_redact *redact;
	char redacted[1024];
	// Frames kept for the verdict; lengths alongside (the value search needs them).
	struct dms_vframe *frames;
	uint32_t *frame_len;
	size_t nframes, frames_dropped;
	uint64_t hits, legit;
	struct dms_vnetdev netdevs[MAX_NETDEVS];
	size_t nnetdevs;
	struct dms_vslot *slots;
	size_t nslots;
	struct dms_vlog logs[MAX_LOGS];
	size_t nlogs, logs_dropped;
	struct dms_oops oops;
	struct dms_fault_insn insn;
	struct dms_vinput in;
	struct dms_vresult res;
	struct dms_slub *slub;
	const char *slub_why;
	struct dms_creader *cr;
	struct dms_progress progress;
	char notes[12][200];
	size_t nnotes;
	size_t findings, findings_packet;
	// Where every carved frame was, by owner class (the JSON's memmap, for reports).
	struct dms_memmap map;
};

static struct dmaf dmaf_state;

static __attribute__((format(printf, 2, 3))) void note(struct dmaf *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nnotes >= sizeof(d->notes) / sizeof(d->notes[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(d->notes[d->nnotes++], sizeof(d->notes[0]), fmt, ap);
	va_end(ap);
}

static bool tick(uint64_t pos, void *arg)
{
	struct dmaf *d = arg;

	if (dms_interrupted())
		return false;
	if (dms_progress_due(&d->progress))
		fprintf(stderr, "\rdmaf: scanning %#" PRIx64 " of %#" PRIx64 ", %" PRIu64 " frames ", pos,
			dms_max_paddr(), d->hits);
	return true;
}

// ---------------------------------------------------------------- frames

static void flow_key(const struct dms_pkt *p, char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = p->ip_version == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, p->src_addr, src, sizeof(src)))
		snprintf(src, sizeof(src), "?");
	if (!inet_ntop(af, p->dst_addr, dst, sizeof(dst)))
		snprintf(dst, sizeof(dst), "?");
	char vlan[16] = "", num[8];
	const char *proto = dms_pkt_proto_name(p, num, sizeof(num));
	if (p->nvlans)
		snprintf(vlan, sizeof(vlan), " vlan %u", p->vlan_id[0]);
	if (p->l4_off && (p->proto == 6 || p->proto == 17))
		snprintf(buf, size, "%s %s%s%s:%u > %s%s%s:%u%s", proto, af == AF_INET6 ? "[" : "",
			 src, af == AF_INET6 ? "]" : "", p->sport, af == AF_INET6 ? "[" : "", dst,
			 af == AF_INET6 ? "]" : "", p->dport, vlan);
	else
		snprintf(buf, size, "%s %s > %s%s", proto, src, dst, vlan);
}

static enum dms_vobj_state obj_state(enum dms_slub_state s)
{
	switch (s) {
	case DMS_SLUB_ALLOCATED:
		return DMS_VOBJ_LIVE;
	case DMS_SLUB_FREE:
	case DMS_SLUB_FREE_CPU:
		return DMS_VOBJ_FREE;
	default:
		return DMS_VOBJ_UNKNOWN;
	}
}

// The most incriminating object a frame overlaps: the frame often starts in one object
// and covers the next ones (an allocated one first, then one of unknown state).
static void frame_object(struct dmaf *d, uint64_t paddr, uint64_t len, struct dms_vframe *f)
{
	struct dms_slub_obj o;
	enum dms_vobj_state best = DMS_VOBJ_FREE;
	bool any = false;

	if (!d->slub)
		return;
	for (unsigned int n = 0; n < 64; n++) {
		struct dms_error *err = dms_slub_lookup_phys(d->slub, paddr, &o);
		if (err) {
			dms_error_destroy(err);
			break;
		}
		if (o.where != DMS_SLUB_WHERE_OBJECT || !o.cache)
			break;
		enum dms_vobj_state s = obj_state(o.state);
		if (!any || (s == DMS_VOBJ_LIVE && best != DMS_VOBJ_LIVE) ||
		    (s == DMS_VOBJ_UNKNOWN && best == DMS_VOBJ_FREE)) {
			best = s;
			f->obj = o.object;
			f->obj_offset = (int32_t)(int64_t)(f->paddr - (o.paddr - (uint64_t)o.offset));
			f->obj_size = o.cache->object_size;
			snprintf(f->cache, sizeof(f->cache), "%s", o.cache->name);
		}
		any = true;
		// The next object: past this one's end (offset may be negative in a red zone).
		uint64_t obj_paddr = o.paddr - (uint64_t)o.offset;
		uint64_t next = obj_paddr + o.cache->size;
		if (!o.cache->size || next >= paddr + len || next <= paddr)
			break;
		len -= next - paddr;
		paddr = next;
	}
	if (any)
		f->state = best;
}

static struct dms_error *on_hit(const struct dms_hit *hit, void *arg)
{
	struct dmaf *d = arg;
	const struct dms_pkt *p = &hit->pkt;
	struct dms_owner own;

	d->hits++;
	dms_owner_get(hit->pos, &own);
	enum dms_owner_kind k = own.page.kind;
	if (k != DMS_OWNER_SLAB && k != DMS_OWNER_PGTABLE) {
		d->legit += k != DMS_OWNER_KIMAGE;
		dms_memmap_add(&d->map, hit->pos, dms_memclass_of(k, NULL, false));
		return NULL;
	}
	if (d->nframes >= MAX_FRAMES) {
		d->frames_dropped++;
		dms_memmap_add(&d->map, hit->pos, dms_memclass_of(k, own.page.cache_name, false));
		return NULL;
	}
	struct dms_vframe *f = &d->frames[d->nframes];
	memset(f, 0, sizeof(*f));
	f->paddr = hit->pos;
	if (!dms_paddr_to_kvaddr(hit->pos, &f->kvaddr))
		f->kvaddr = 0;
	f->has_l2 = p->l2 == DMS_L2_ETHERNET;
	memcpy(f->dst_mac, p->dst_mac, 6);
	// IPv6 has no header checksum: its "header is valid" is the whole decode.
	f->ip_csum_ok = p->ip_csum == DMS_CSUM_OK || (p->ip_version == 6 && p->status == DMS_PKT_OK);
	f->l4_csum_ok = p->l4_csum == DMS_CSUM_OK;
	f->vlan = p->nvlans ? p->vlan_id[0] : 0;
	dms_pkt_format(p, f->summary, sizeof(f->summary));
	flow_key(p, f->flow, sizeof(f->flow));
	if (k == DMS_OWNER_PGTABLE) {
		f->owner = DMS_VOWNER_PGTABLE;
	} else {
		f->owner = DMS_VOWNER_SLAB;
		snprintf(f->cache, sizeof(f->cache), "%s", own.page.cache_name);
		f->obj = own.has_obj ? own.obj : 0;
		f->obj_offset = (int32_t)own.offset;
		f->state = DMS_VOBJ_UNKNOWN;
		frame_object(d, hit->pos, p->frame_len ? p->frame_len : p->caplen, f);
		f->packet_cache = dms_cache_may_hold_packets(f->cache);
	}
	dms_memmap_add(&d->map, hit->pos, dms_memclass_of(k, f->cache, f->state == DMS_VOBJ_LIVE));
	// The 12 bytes a virtio device writes in front of a frame.
	uint8_t hdr[12];
	if (f->has_l2 && hit->pos >= sizeof(hdr) &&
	    dms_read_phys(hit->pos - sizeof(hdr), hdr, sizeof(hdr)) == sizeof(hdr))
		f->virtio_hdr = dms_virtio_hdr_plausible(hdr);
	d->frame_len[d->nframes++] = (uint32_t)(p->frame_len ? p->frame_len : p->caplen);
	return NULL;
}

// ---------------------------------------------------------------- slab damage

static long frame_at(const struct dmaf *d, uint64_t paddr)
{
	for (size_t i = 0; i < d->nframes; i++)
		if (paddr >= d->frames[i].paddr && paddr < d->frames[i].paddr + d->frame_len[i])
			return (long)i;
	return -1;
}


struct slabwalk {
	struct dmaf *d;
	uint64_t slabs;
};

static struct dms_error *on_slab(const struct dms_slub_slab *slab, void *arg)
{
	struct slabwalk *w = arg;
	struct dmaf *d = w->d;

	if ((++w->slabs & 1023) == 0 && !tick(slab->paddr, d))
		return dms_error_create(DMS_ERR_STOP, "interrupted");
	for (size_t i = 0; i < slab->nfindings; i++) {
		const struct dms_slub_finding *fd = &slab->findings[i];
		d->findings++;
		// The damaged bytes lie inside a carved frame: the damage is a frame's.
		uint64_t pa;
		if (fd->addr && dms_kvaddr_to_paddr(fd->addr, &pa) && frame_at(d, pa) >= 0) {
			d->findings_packet++;
			continue;
		}
		// Else: packet data in (or just before) the object.
		if (!slab->cache || !slab->data || !fd->object || fd->object < slab->base)
			continue;
		uint64_t off = fd->object - slab->base;
		uint64_t from = off > 64 ? off - 64 : 0;
		uint64_t to = off + slab->cache->size;
		if (to > slab->data_len || from >= to)
			continue;
		struct dms_class_result cr;
		struct dms_error *err = dms_classify(slab->data + from, to - from, slab->base + from,
						     NULL, &cr);
		if (err) {
			dms_error_destroy(err);
			continue;
		}
		if (cr.npackets)
			d->findings_packet++;
	}
	return NULL;
}

// ---------------------------------------------------------------- log and panic

static char *read_log(size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	char line[1024];

	open_tmpfile();
	dump_log(0);
	rewind(pc->tmpfile);
	while (fgets(line, sizeof(line), pc->tmpfile)) {
		size_t l = strlen(line);
		if (n + l + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			while (ncap < n + l + 1)
				ncap *= 2;
			char *nb = realloc(buf, ncap);
			if (!nb)
				break;
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + n, line, l);
		n += l;
	}
	close_tmpfile();
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static struct dms_error *on_logsig(const struct dms_logsig *sig, const char *line, void *arg)
{
	struct dmaf *d = arg;

	if (sig->klass != DMS_LOGCLASS_NIC)
		return NULL;
	if (d->nlogs >= MAX_LOGS) {
		d->logs_dropped++;
		return NULL;
	}
	struct dms_vlog *l = &d->logs[d->nlogs++];
	memset(l, 0, sizeof(*l));
	snprintf(l->kind, sizeof(l->kind), "%s", sig->name);
	l->nic_class = true;
	snprintf(l->netdev, sizeof(l->netdev), "%s", sig->netdev);
	snprintf(l->driver, sizeof(l->driver), "%s", sig->driver);
	snprintf(l->device, sizeof(l->device), "%s", sig->device);
	l->time = sig->time;
	snprintf(l->line, sizeof(l->line), "%s", line);
	return NULL;
}

// Where does value sit in memory (8-byte aligned)?  A bad pointer is often the stored
// one minus a member offset (container_of, rb_entry): words within VALUE_SLACK of the
// value count too.  Up to MAX_VALUE_HITS addresses.
#define VALUE_SLACK 0x200
struct valsearch {
	struct dmaf *d;
	uint64_t value;
	uint64_t found[MAX_VALUE_HITS];
	int64_t delta[MAX_VALUE_HITS];
	size_t nfound;
	uint8_t *buf;
};

static struct dms_error *search_range(uint64_t start, uint64_t len, void *arg)
{
	struct valsearch *vs = arg;
	const size_t chunk = 1 << 20;

	const uint64_t page = PAGESIZE();
	uint64_t end = start + len, pos = start;

	while (pos < end && vs->nfound < MAX_VALUE_HITS) {
		if (!tick(pos, vs->d))
			return dms_error_create(DMS_ERR_STOP, "interrupted");
		size_t want = end - pos < chunk ? (size_t)(end - pos) : chunk;
		size_t got = 0;
		struct dms_error *err = dms_reader_read_phys(dms_creader_reader(vs->d->cr), pos,
							     vs->buf, want, &got);
		dms_error_destroy(err);
		for (size_t i = 0; i + 8 <= got && vs->nfound < MAX_VALUE_HITS; i += 8) {
			uint64_t v;
			memcpy(&v, vs->buf + i, 8);
			if (v - vs->value + VALUE_SLACK <= 2 * VALUE_SLACK) {
				vs->delta[vs->nfound] = (int64_t)(v - vs->value);
				vs->found[vs->nfound++] = pos + i;
			}
		}
		// A short read stops at a page missing from the dump: skip that page.
		pos += got == want ? got : (got / page + 1) * page;
	}
	return NULL;
}

static void describe_source(struct dmaf *d, uint64_t where, int64_t delta);

// The dumped machine's architecture, from crash's machine type (not from how this
// extension was built): it picks the oops format, the instruction set and the address
// rules (lib/vaddr.h).
static enum dms_arch crash_arch(void)
{
	if (machine_type("ARM64"))
		return DMS_ARCH_ARM64;
	if (machine_type("X86_64"))
		return DMS_ARCH_X86_64;
	if (machine_type("ARM"))
		return DMS_ARCH_ARM;
	return DMS_ARCH_UNKNOWN;
}

static void analyse_panic(struct dmaf *d, const char *log, size_t len)
{
	struct dms_vpanic *pn = &d->in.panic;
	enum dms_arch arch = crash_arch();

	dms_oops_parse_arch(log, len, arch, &d->oops);
	if (!d->oops.found)
		return;
	// Virtual address width: the facts table's (vmcoreinfo / crash), else what the
	// oops printed ("48-bit VAs"), else 48.
	unsigned int va_bits = dms_kf.va_bits ? dms_kf.va_bits : d->oops.va_bits;
	if (!va_bits)
		va_bits = 48;
	const uint8_t *code = d->oops.code_rip >= 0 ? d->oops.code + d->oops.code_rip : NULL;
	size_t clen = d->oops.code_rip >= 0 ? d->oops.code_len - (size_t)d->oops.code_rip : 0;
	uint64_t rip = d->oops.rip;
	if (!rip && d->oops.rip_sym[0]) {
		// "func+0x48/0xc0": the symbol's address from the vmlinux.
		char sym[96];
		unsigned long off = 0;
		snprintf(sym, sizeof(sym), "%s", d->oops.rip_sym);
		char *plus = strchr(sym, '+');
		if (plus) {
			off = strtoul(plus + 1, NULL, 16);
			*plus = '\0';
		}
		if (symbol_exists(sym))
			rip = symbol_value(sym) + off;
	}
	dms_error_destroy(dms_insn_analyze(d->oops.arch, code, clen, rip, &d->oops.regs, va_bits,
					 &d->insn));
	if (d->insn.culprit == DMS_REG_NONE)
		return;
	pn->valid = true;
	pn->arch = d->insn.arch;
	snprintf(pn->reg, sizeof(pn->reg), "%s", dms_reg_name(d->insn.culprit));
	pn->value = d->oops.regs.r[d->insn.culprit];
	if (d->insn.culprit == dms_reg_pc(d->insn.arch))
		pn->value = rip; // also when only the symbol was printed
	pn->noncanonical = dms_vaddr_bad_pointer(d->insn.arch, va_bits, pn->value);
	dms_vaddr_describe(d->insn.arch, va_bits, pn->value, pn->why, sizeof(pn->why));
	// arm64: what the abort was ("read, level 0 translation fault"), from the ESR.
	char abort[96] = "";
	if (d->insn.arch == DMS_ARCH_ARM64)
		dms_oops_abort_describe(&d->oops, abort, sizeof(abort));
	if (abort[0])
		snprintf(pn->insn, sizeof(pn->insn), "%.118s at %.80s (%.50s)", d->insn.text,
			 d->oops.rip_sym[0] ? d->oops.rip_sym : "PC", abort);
	else
		snprintf(pn->insn, sizeof(pn->insn), "%.150s at %.90s", d->insn.text,
			 d->oops.rip_sym[0] ? d->oops.rip_sym : "RIP");
	if (!pn->noncanonical || !d->cr)
		return;
	// Where the bad value came from.  First the code: the instruction before RIP that
	// loaded the register, and the address it read (the seed's `dis -r` + `rd`).
	struct dms_load_site ls;
	if (d->oops.code_rip > 0 &&
	    !dms_insn_find_load(d->oops.arch, d->oops.code, (size_t)d->oops.code_rip, rip,
				d->insn.culprit, &d->oops.regs, &ls) && ls.found) {
		snprintf(pn->load_insn, sizeof(pn->load_insn), "%s", ls.text);
		uint64_t pa, v = 0;
		if (ls.ea_known && dms_kvaddr_to_paddr(ls.ea, &pa) &&
		    dms_read_phys(pa, &v, sizeof(v)) == sizeof(v) && v == pn->value) {
			long fi = frame_at(d, pa);
			if (fi >= 0) {
				pn->value_in_frame = true;
				pn->frame_paddr = d->frames[fi].paddr;
			}
			describe_source(d, pa, 0);
			return;
		}
	}
	// Else: find the value in memory, prefer a copy inside a frame.
	struct valsearch vs = { .d = d, .value = pn->value, .buf = malloc(1 << 20) };
	if (!vs.buf)
		return;
	struct dms_error *err = dms_reader_for_each_range(dms_creader_reader(d->cr), 0,
							  dms_max_paddr(), search_range, &vs);
	dms_error_destroy(err);
	free(vs.buf);
	// Prefer a copy inside a frame, then one in a slab object (where pointers are
	// loaded from), then the first.
	uint64_t where = 0;
	size_t wi = 0;
	for (size_t i = 0; i < vs.nfound; i++) {
		long fi = frame_at(d, vs.found[i]);
		if (fi >= 0) {
			pn->value_in_frame = true;
			pn->frame_paddr = d->frames[fi].paddr;
			where = vs.found[i];
			wi = i;
			break;
		}
	}
	for (size_t i = 0; !where && i < vs.nfound; i++) {
		struct dms_page_owner po;
		dms_page_owner_get(vs.found[i], &po);
		if (po.kind == DMS_OWNER_SLAB) {
			where = vs.found[i];
			wi = i;
		}
	}
	if (!where && vs.nfound)
		where = vs.found[0];
	if (!where)
		return;
	describe_source(d, where, vs.delta[wi]);
	if (vs.nfound > 1)
		note(d, "the bad value %#" PRIx64 " occurs %zu%s times in memory", pn->value,
		     vs.nfound, vs.nfound == MAX_VALUE_HITS ? "+" : "");
}

// Say which object holds the bad value's source at physical address where.
static void describe_source(struct dmaf *d, uint64_t where, int64_t delta)
{
	struct dms_vpanic *pn = &d->in.panic;
	uint64_t kv;

	pn->loaded_delta = delta;
	pn->loaded_from = dms_paddr_to_kvaddr(where, &kv) ? kv : where;
	struct dms_owner own;
	dms_owner_get(where, &own);
	char text[96];
	dms_owner_format(&own, text, sizeof(text));
	// The owner text carries the object's allocation state (the SLUB model's).
	snprintf(pn->loaded_from_owner, sizeof(pn->loaded_from_owner), "%.150s", text);
}

// ---------------------------------------------------------------- page_pool

// page_pool pages carry pp_magic == PP_SIGNATURE under a mask (both from the facts
// table, dms_kf: 0x40 + POISON_POINTER_DELTA; low bits may hold flags) and point at
// their pool.  A pool
// whose hold count exceeds its release count has pages in flight: the router's teardown
// leak when the pool is being destroyed.  Pools are found through their pages: 6.1 keeps
// no list of them.
#define MAX_POOLS 32

static void page_pools(struct dmaf *d)
{
	const struct dms_kfacts *kf = &dms_kf;
	long magic = kf->page_pp_magic, ppo = kf->page_pp;
	long hold = MEMBER_OFFSET("page_pool", "pages_state_hold_cnt");
	long rel = MEMBER_OFFSET("page_pool", "pages_state_release_cnt");
	long psz = kf->page_struct_size;
	uint64_t pools[MAX_POOLS], pages[MAX_POOLS];
	size_t npools = 0;

	if (!kf->pp_present || magic < 0 || ppo < 0 || hold < 0 || rel < 0 || psz <= 0 ||
	    psz > 256)
		return; // no page_pool in this kernel's debuginfo
	uint8_t *buf = malloc((size_t)psz * 64);
	if (!buf)
		return;
	for (int n = 0; n < vt->numnodes; n++) {
		struct node_table *nt = &vt->node_table[n];
		uint64_t pfn0 = nt->start_paddr >> PAGESHIFT();
		for (uint64_t i = 0; i < nt->size; i += 64) {
			uint64_t page;
			uint64_t cnt = nt->size - i < 64 ? nt->size - i : 64;
			if ((i & 0xffff) == 0 && !tick((pfn0 + i) << PAGESHIFT(), d))
				goto out;
			if (!dms_pfn_to_page(kf, pfn0 + i, &page) ||
			    !readmem(page, KVADDR, buf, (long)(cnt * psz), "dmaf page_pool survey",
				     QUIET | RETURN_ON_ERROR))
				continue;
			for (uint64_t j = 0; j < cnt; j++) {
				uint64_t m, pool;
				memcpy(&m, buf + j * psz + magic, 8);
				if ((m & kf->pp_magic_mask) != kf->pp_signature)
					continue;
				memcpy(&pool, buf + j * psz + ppo, 8);
				size_t k = 0;
				while (k < npools && pools[k] != pool)
					k++;
				if (k == npools && npools < MAX_POOLS) {
					pools[npools] = pool;
					pages[npools++] = 0;
				}
				if (k < npools)
					pages[k]++;
			}
		}
	}
	for (size_t k = 0; k < npools; k++) {
		uint32_t h = 0, r = 0;
		if (!IS_KVADDR(pools[k]) ||
		    !readmem(pools[k] + hold, KVADDR, &h, 4, "page_pool hold", QUIET | RETURN_ON_ERROR) ||
		    !readmem(pools[k] + rel, KVADDR, &r, 4, "page_pool release", QUIET | RETURN_ON_ERROR))
			continue;
		int32_t inflight = (int32_t)(h - r);
		if (inflight > 0)
			note(d, "page_pool %#" PRIx64 ": %d pages in flight (hold %u, release %u), %" PRIu64
			     " of its pages in the dump", pools[k], inflight, h, r, pages[k]);
	}
out:
	free(buf);
}

// ---------------------------------------------------------------- IRQ storms

// Per-IRQ counts (irq_desc.kstat_irqs, per CPU) from the sparse IRQ tree.  A storm is an
// IRQ that fired more than ten times as often as the next busiest one, and often in
// absolute terms (an SFP TX-fault line, a NIC that keeps raising interrupts).  Reported
// as a note: context for the NIC's state, not evidence of DMA-after-free.
#define MAX_IRQS 4096

static void irq_storms(struct dmaf *d)
{
	long kstat = MEMBER_OFFSET("irq_desc", "kstat_irqs");
	long action = MEMBER_OFFSET("irq_desc", "action"), aname = MEMBER_OFFSET("irqaction", "name");
	long idata = MEMBER_OFFSET("irq_desc", "irq_data"), iirq = MEMBER_OFFSET("irq_data", "irq");

	if (!symbol_exists("irq_desc_tree") || kstat < 0 || idata < 0 || iirq < 0)
		return;
	// Since 4.20 a radix tree root is an xarray; crash walks each with its own helper
	// (and aborts the command on a format it does not know: check first).
	bool xa = MEMBER_EXISTS("xarray", "xa_head");
	if (!xa && !MEMBER_EXISTS("radix_tree_root", "rnode"))
		return;
	ulong root = symbol_value("irq_desc_tree");
	ulong n = xa ? do_xarray(root, XARRAY_COUNT, NULL) : do_radix_tree(root, RADIX_TREE_COUNT, NULL);
	if (!n || n > MAX_IRQS)
		return;
	struct list_pair *lp = calloc(n + 1, sizeof(*lp));
	if (!lp)
		return;
	lp[0].index = n;
	n = xa ? do_xarray(root, XARRAY_GATHER, lp) : do_radix_tree(root, RADIX_TREE_GATHER, lp);
	uint64_t best = 0, second = 0, best_desc = 0;
	unsigned int best_irq = 0;
	for (ulong i = 0; i < n && i < MAX_IRQS; i++) {
		ulong desc = (ulong)lp[i].value, pcpu = 0;
		uint64_t total = 0;
		if (!IS_KVADDR(desc) || !readmem(desc + kstat, KVADDR, &pcpu, sizeof(pcpu),
						 "irq_desc.kstat_irqs", QUIET | RETURN_ON_ERROR) || !pcpu)
			continue;
		for (int cpu = 0; cpu < kt->cpus && cpu < NR_CPUS; cpu++) {
			uint32_t c = 0;
			if (readmem(pcpu + kt->__per_cpu_offset[cpu], KVADDR, &c, sizeof(c),
				    "kstat_irqs", QUIET | RETURN_ON_ERROR))
				total += c;
		}
		if (total > best) {
			second = best;
			best = total;
			best_desc = desc;
			uint32_t irq = 0;
			readmem(desc + idata + iirq, KVADDR, &irq, sizeof(irq), "irq_data.irq",
				QUIET | RETURN_ON_ERROR);
			best_irq = irq;
		} else if (total > second) {
			second = total;
		}
	}
	free(lp);
	if (best < 100000 || best <= 10 * second)
		return;
	char name[48] = "?";
	ulong act = 0, str = 0;
	if (action >= 0 && aname >= 0 &&
	    readmem(best_desc + action, KVADDR, &act, sizeof(act), "irq_desc.action",
		    QUIET | RETURN_ON_ERROR) && IS_KVADDR(act) &&
	    readmem(act + aname, KVADDR, &str, sizeof(str), "irqaction.name",
		    QUIET | RETURN_ON_ERROR) && IS_KVADDR(str))
		read_string(str, name, sizeof(name) - 1);
	for (char *c = name; *c; c++)
		if (*c < 32 || *c > 126)
			*c = '?';
	note(d, "IRQ %u (%s) fired %" PRIu64 " times, %" PRIu64 "x the next busiest IRQ: an IRQ storm",
	     best_irq, name, best, second ? best / second : best);
}

// ---------------------------------------------------------------- offloads

// For each NIC the log complains about (checksum faults, hangs, watchdogs), the offloads
// that bear on it: hardware checksums, segmentation and receive coalescing.
static void offload_notes(struct dmaf *d)
{
	static const char *const relevant[] = { "rx-csum", "tx-csum", "tso", "gso", "lro", "gro-hw",
						"sg", "rx-vlan-hw" };
	struct dms_netdev nd[MAX_NETDEVS];
	char why[128];
	size_t n = 0;
	bool listed = false;

	for (size_t i = 0; i < d->nlogs; i++) {
		const struct dms_vlog *l = &d->logs[i];
		bool seen = false;
		if (!l->netdev[0] && !l->driver[0])
			continue;
		for (size_t j = 0; j < i && !seen; j++) // one note per device and kind
			seen = !strcmp(d->logs[j].netdev, l->netdev) &&
			       !strcmp(d->logs[j].driver, l->driver) && !strcmp(d->logs[j].kind, l->kind);
		if (seen)
			continue;
		if (!listed) {
			n = dms_netdev_list(nd, MAX_NETDEVS, why, sizeof(why));
			listed = true;
		}
		for (size_t k = 0; k < n; k++) {
			if (!nd[k].has_features ||
			    (l->netdev[0] ? strcmp(nd[k].name, l->netdev) : strcmp(nd[k].driver, l->driver)))
				continue;
			struct dms_feature f[128];
			size_t nf = dms_netdev_features(nd[k].features, f, 128);
			char on[160] = "", *p = on;
			for (size_t j = 0; j < nf; j++) {
				bool rel = false;
				for (size_t r = 0; r < sizeof(relevant) / sizeof(relevant[0]); r++)
					rel |= f[j].name && !strncmp(f[j].name, relevant[r], strlen(relevant[r]));
				if (rel && f[j].on && p < on + sizeof(on) - 1)
					p += snprintf(p, (size_t)(on + sizeof(on) - p), " %s", f[j].name);
			}
			note(d, "%s (%s) is in the log (%s); offloads on:%s", nd[k].name, nd[k].driver,
			     l->kind, on[0] ? on : " none");
			break;
		}
	}
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

// Text as printed: with -R, IP and MAC addresses mapped (kernel addresses stay).
static const char *shown(struct dmaf *d, const char *text)
{
	if (!d->redact)
		return text;
	dms_redact_text(d->redact, text, d->redacted, sizeof(d->redacted));
	return d->redacted;
}

static void print_text(struct dmaf *d)
{
	const struct dms_vresult *r = &d->res;
	char cmd[64];

	fprintf(fp, "VERDICT: %s   score %d/100\n", dms_verdict_name(r->verdict), r->score);
	if (r->netdev[0] || r->driver[0]) {
		fprintf(fp, "SUSPECT: %s%s%s%s", r->netdev[0] ? r->netdev : "?",
			r->driver[0] ? " (" : "", r->driver, r->driver[0] ? ")" : "");
		if (r->ring >= 0)
			fprintf(fp, ", RX ring %d", r->ring);
		fprintf(fp, "\n");
	}
	for (size_t i = 0; i < r->nflows; i++)
		fprintf(fp, "%s %s\n", i ? "      " : "FLOWS:", shown(d, r->top_flows[i]));
	fprintf(fp, "FRAMES: %" PRIu64 " carved, %zu incriminating, %" PRIu64
		" where packets belong; slab findings %zu (%zu packet data)\n",
		d->hits, r->incriminating, d->legit, d->findings, d->findings_packet);
	fprintf(fp, "EVIDENCE:\n");
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct dms_evidence *e = &r->evidence[i];
		fprintf(fp, "  %2zu. [%s] %s\n", i + 1, dms_evidence_kind_name(e->kind),
			shown(d, e->text));
		if (e->address)
			fprintf(fp, "      check: crash> %s\n", check_cmd(e, cmd, sizeof(cmd)));
	}
	for (size_t i = 0; i < d->nnotes; i++)
		fprintf(fp, "NOTE: %s\n", shown(d, d->notes[i]));
	if (d->verbose) {
		fprintf(fp, "INCRIMINATING FRAMES:\n");
		for (size_t i = 0; i < d->nframes; i++) {
			const struct dms_vframe *f = &d->frames[i];
			if (!dms_vframe_incriminating(f))
				continue;
			if (f->owner == DMS_VOWNER_PGTABLE)
				fprintf(fp, "  %#" PRIx64 "  page table  %s\n", f->paddr,
					shown(d, f->summary));
			else
				fprintf(fp, "  %#" PRIx64 "  %s %#" PRIx64 " %+d %s  %s\n", f->paddr,
					f->cache, f->obj, f->obj_offset,
					f->state == DMS_VOBJ_LIVE ? "allocated"
					: f->state == DMS_VOBJ_FREE ? "free" : "state-unknown",
					shown(d, f->summary));
		}
	}
}

// "memmap": cell size, extent, the direct map's base (to place the evidence's kernel
// addresses), class names, and per non-empty cell [index, count per class...].
static void print_json_memmap(const struct dms_memmap *m)
{
	uint64_t base = 0;
	bool has_base = m->end && dms_paddr_to_kvaddr(0, &base);

	fprintf(fp, "\"memmap\":{\"cell\":%" PRIu64 ",\"end\":\"%#" PRIx64 "\",\"direct_map\":",
		m->cell, m->end);
	if (has_base)
		fprintf(fp, "\"%#" PRIx64 "\"", base);
	else
		fprintf(fp, "null");
	fprintf(fp, ",\"frames\":%" PRIu64 ",\"classes\":[", m->frames);
	for (int c = 0; c < DMS_NUM_MEMCLASSES; c++)
		fprintf(fp, "%s\"%s\"", c ? "," : "", dms_memclass_name(c));
	fprintf(fp, "],\"cells\":[");
	bool first = true;
	for (unsigned int i = 0; i < m->ncells; i++) {
		bool any = false;
		for (int c = 0; c < DMS_NUM_MEMCLASSES; c++)
			any |= m->counts[i][c] != 0;
		if (!any)
			continue;
		fprintf(fp, "%s[%u", first ? "" : ",", i);
		for (int c = 0; c < DMS_NUM_MEMCLASSES; c++)
			fprintf(fp, ",%" PRIu32, m->counts[i][c]);
		fprintf(fp, "]");
		first = false;
	}
	fprintf(fp, "]}");
}

static void print_json(struct dmaf *d)
{
	const struct dms_vresult *r = &d->res;

	fprintf(fp, "{\"verdict\":\"%s\",\"score\":%d,\"netdev\":", dms_verdict_name(r->verdict),
		r->score);
	if (r->netdev[0])
		dms_json_str(fp, r->netdev);
	else
		fprintf(fp, "null");
	fprintf(fp, ",\"driver\":");
	if (r->driver[0])
		dms_json_str(fp, r->driver);
	else
		fprintf(fp, "null");
	fprintf(fp, ",\"ring\":%d,\"flows\":[", r->ring);
	for (size_t i = 0; i < r->nflows; i++) {
		fprintf(fp, i ? "," : "");
		dms_json_str(fp, shown(d, r->top_flows[i]));
	}
	fprintf(fp, "],\"frames\":%" PRIu64 ",\"incriminating\":%zu,\"legit\":%" PRIu64
		",\"slab_findings\":%zu,\"slab_findings_packet\":%zu,\"evidence\":[",
		d->hits, r->incriminating, d->legit, d->findings, d->findings_packet);
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct dms_evidence *e = &r->evidence[i];
		fprintf(fp, "%s{\"n\":%zu,\"kind\":\"%s\",\"weight\":%d,\"address\":", i ? "," : "",
			i + 1, dms_evidence_kind_name(e->kind), e->weight);
		if (e->address)
			fprintf(fp, "\"%#" PRIx64 "\"", e->address);
		else
			fprintf(fp, "null");
		fprintf(fp, ",\"text\":");
		dms_json_str(fp, shown(d, e->text));
		fprintf(fp, "}");
	}
	fprintf(fp, "],\"notes\":[");
	for (size_t i = 0; i < d->nnotes; i++) {
		fprintf(fp, i ? "," : "");
		dms_json_str(fp, shown(d, d->notes[i]));
	}
	fprintf(fp, "],");
	print_json_memmap(&d->map);
	fprintf(fp, "}\n");
}

static struct dms_error *write_pcap(struct dmaf *d)
{
	struct dms_pcapng *png = NULL;
	mode_t mask = d->redact ? umask(077) : 0; // redacted output: private (0600)
	struct dms_error *err = dms_pcapng_create(d->wfile, &png);
	if (d->redact) {
		umask(mask);
		if (!err)
			dms_ext_private_file(d->wfile);
	}
	uint8_t buf[16384];
	size_t written = 0;

	for (size_t i = 0; !err && i < d->nframes; i++) {
		const struct dms_vframe *f = &d->frames[i];
		if (!dms_vframe_incriminating(f))
			continue;
		size_t len = d->frame_len[i] < sizeof(buf) ? d->frame_len[i] : sizeof(buf);
		size_t got = dms_read_phys(f->paddr, buf, len);
		struct dms_pkt p;
		dms_pkt_decode(buf, got, DMS_L2_ETHERNET, &p);
		if (!dms_pkt_is_hit(&p) && !dms_pkt_damaged(&p))
			continue; // rewritten since the scan: nothing to export
		if (d->redact)
			p.caplen = dms_redact_frame(d->redact, buf, p.caplen, &p);
		char owner[160];
		snprintf(owner, sizeof(owner), "%s %#" PRIx64 " %+d %s", f->cache, f->obj,
			 f->obj_offset, f->state == DMS_VOBJ_LIVE ? "allocated" : "state unknown");
		struct dms_pkt_meta meta = { .paddr = f->paddr, .has_paddr = true,
					     .kvaddr = f->kvaddr, .has_kvaddr = f->kvaddr != 0,
					     .owner = owner };
		err = dms_pcapng_write(png, &p, buf, &meta);
		written += !err;
	}
	struct dms_error *cerr = dms_pcapng_destroy(png);
	if (!err)
		err = cerr;
	else
		dms_error_destroy(cerr);
	if (!err && !d->json)
		fprintf(fp, "WROTE: %zu frames to %s\n", written, d->wfile);
	return err;
}

// ---------------------------------------------------------------- the command

static void dmaf_release(struct dmaf *d)
{
	dms_creader_destroy(d->cr);
	dms_redact_destroy(d->redact);
	free(d->frames);
	free(d->frame_len);
	free(d->slots);
	memset(d, 0, sizeof(*d));
}

void dms_cmd_dmaf(void)
{
	struct dmaf *d = &dmaf_state;
	int c;

	dmaf_release(d); // what an interrupted run left behind
	while ((c = getopt(argcnt, args, "jw:R:qv")) != EOF) {
		switch (c) {
		case 'j':
			d->json = true;
			break;
		case 'w':
			d->wfile = optarg;
			break;
		case 'R':
			d->redact_spec = optarg;
			break;
		case 'q':
			d->quiet = true;
			break;
		case 'v':
			d->verbose = true;
			break;
		default:
			argerrs++;
			break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS); // longjmps: nothing allocated yet

	// IRQ counts first: crash's tree walker may abort the command on a damaged tree,
	// and nothing is allocated or installed yet.
	irq_storms(d);

	struct dms_interrupt intr;
	dms_interrupt_begin(&intr);
	d->progress.quiet = d->quiet;
	struct dms_error *err = NULL;

	dms_owner_cache_reset();
	dms_memmap_init(&d->map, dms_max_paddr());
	d->frames = calloc(MAX_FRAMES, sizeof(*d->frames));
	d->frame_len = calloc(MAX_FRAMES, sizeof(*d->frame_len));
	d->cr = dms_creader_phys_create(tick, d);
	if (!d->frames || !d->frame_len || !d->cr) {
		err = &dms_enomem;
		goto out;
	}
	if (d->redact_spec) {
		err = dms_redact_create_spec(d->redact_spec, &d->redact);
		if (err)
			goto out;
	}
	if (!dms_kf.owner_ok) {
		err = dms_error_create(DMS_ERR_NOT_FOUND, "dmaf needs struct page owners: %s",
				       dms_kf.owner_why);
		goto out;
	}
	// The SLUB model: allocated/free for every object.
	if (dms_ext_slub) {
		d->slub = dms_ext_slub(&d->slub_why);
		if (!d->slub)
			note(d, "no SLUB model (%s): objects' allocation state unknown",
			     d->slub_why ? d->slub_why : "unavailable");
	} else {
		note(d, "this build has no SLUB model: objects' allocation state unknown");
	}
	// Network devices and their rings.
	if (dms_ext_netdevs)
		d->nnetdevs = dms_ext_netdevs(d->netdevs, MAX_NETDEVS);
	else
		note(d, "this build cannot list network devices: frames name no NIC");
	if (dms_ext_rx_slots)
		d->nslots = dms_ext_rx_slots(&d->slots);
	// Every frame in dumpable memory.
	struct dms_scan scan;
	dms_scan_init(&scan);
	scan.damaged = true; // frames whose payload the kernel wrote over since
	err = dms_pipescan(&scan, dms_creader_reader(d->cr), 0, dms_max_paddr(), false, on_hit,
			   d);
	if (err)
		goto out;
	if (d->frames_dropped)
		note(d, "%zu frames in slab memory beyond the first %u were not weighed",
		     d->frames_dropped, MAX_FRAMES);
	// Slab damage, and whether it is packet data.
	if (d->slub) {
		struct slabwalk w = { .d = d };
		err = dms_slub_for_each_slab(d->slub, NULL, on_slab, &w);
		if (err)
			goto out;
	}
	// page_pool pools with pages in flight (context, not evidence: reported as notes).
	page_pools(d);
	// The log and the panic.
	size_t loglen = 0;
	char *log = read_log(&loglen);
	if (log) {
		dms_error_destroy(dms_logsig_scan(log, loglen, on_logsig, d));
		if (d->logs_dropped)
			note(d, "%zu NIC log lines beyond the first %u were not weighed",
			     d->logs_dropped, MAX_LOGS);
		offload_notes(d);
		analyse_panic(d, log, loglen);
		free(log);
	} else {
		note(d, "the kernel log could not be read");
	}
	dms_progress_clear(&d->progress);

	d->in = (struct dms_vinput){
		.frames = d->frames, .nframes = d->nframes, .netdevs = d->netdevs,
		.nnetdevs = d->nnetdevs, .slots = d->slots, .nslots = d->nslots, .logs = d->logs,
		.nlogs = d->nlogs, .panic = d->in.panic, .slab_findings = d->findings,
		.slab_findings_packet = d->findings_packet,
	};
	err = dms_verdict_compute(&d->in, &d->res);
	if (err)
		goto out;
	if (d->json)
		print_json(d);
	else
		print_text(d);
	if (d->wfile)
		err = write_pcap(d);
out:
	dms_progress_clear(&d->progress);
	dms_interrupt_end(&intr);
	if (err) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", err->message ? err->message : dms_error_string(err->code));
		bool stopped = err->code == DMS_ERR_STOP;
		dms_error_destroy(err);
		dmaf_release(d);
		error(INFO, "dmaf: %s%s\n", stopped ? "interrupted: " : "", msg);
		return;
	}
	dmaf_release(d);
}
