// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the pktscan command.
//
// Carves network packets out of the dump (lib/scan.h) and says who owns the
// memory each one sits in (owner.c).  Output: one line per hit plus summary
// tables, or JSON lines (-j, docs/json.md); optionally a pcapng/pcap file.
//
// Resources of a run live in one static struct: crash may longjmp out of a
// command (SIGPIPE on a closed pipe, a FATAL error deep in crash), and the
// next run then releases what the interrupted one left behind.
#include <crash/defs.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dms_ext.h"
#include "pcapw.h"
#include "redact.h"
#include "pkt.h"
#include "report.h"
#include "scan.h"
#include "slub.h"
#include "verdict.h"

// Slabs larger than this are scanned only up to it (corruption guard).
#define MAX_SLAB_BYTES (8ULL << 20)
// Bytes read past the end of an object or slab so that a frame that starts
// inside it is decoded whole (largest IP packet + L2 header).
#define LOOKAHEAD (65535 + DMS_SCAN_MAX_L2_HDR)

enum mode { MODE_FULL, MODE_PHYS, MODE_VIRT, MODE_CACHE, MODE_OBJ, MODE_PAGE };

struct run {
	// Options.
	enum mode mode;
	uint64_t start, end;
	const char *cache_name;
	bool json, summary_only, quiet, classic_pcap, no_owner, bare_read, no_pipeline,
		force_thread, damaged, readmem_only;
	// Parallel reader threads (-t; 0: one per CPU).
	unsigned int threads;
	const char *wfile;
	const char *redact_spec;
	// Resources (released by run_release()).
	struct dms_redact *redact; // -R: addresses mapped, payload gone (docs/redaction.md)
	struct dms_creader *cr;
	struct dms_pcapng *png;
	struct dms_pcap *pcap;
	char *raw_path;
	struct dms_report *rep;
	uint8_t *buf;
	struct dms_interrupt intr;
	// State.
	struct dms_scan scan;
	bool virt_positions;
	uint64_t hits, write_errors;
	uint64_t total_bytes;
	struct timespec t0;
	struct dms_progress progress;
	struct dms_error *write_err;
};

static struct run run;
static void run_release(struct run *r)
{
	dms_interrupt_end(&r->intr);
	dms_redact_destroy(r->redact);
	r->redact = NULL;
	dms_creader_destroy(r->cr);
	r->cr = NULL;
	dms_error_destroy(dms_pcapng_destroy(r->png));
	r->png = NULL;
	if (r->pcap)
		dms_error_destroy(dms_pcap_destroy(r->pcap));
	r->pcap = NULL;
	free(r->raw_path);
	r->raw_path = NULL;
	dms_report_destroy(r->rep);
	r->rep = NULL;
	free(r->buf);
	r->buf = NULL;
	dms_error_destroy(r->write_err);
	r->write_err = NULL;
}

// Progress on the terminal (stderr, only if it is a tty), interruption.
static bool tick(uint64_t pos, void *arg)
{
	struct run *r = arg;
	if (dms_interrupted())
		return false;
	if (dms_progress_due(&r->progress)) {
		uint64_t done = pos > r->start ? pos - r->start : 0;
		uint64_t span = r->end > r->start ? r->end - r->start : 1;
		fprintf(stderr, "\rpktscan: %#" PRIx64 " (%u%%), %" PRIu64 " hits ", pos,
			(unsigned int)(done * 100 / span), r->hits);
	}
	return true;
}

static void owner_key(const struct dms_owner *o, char *buf, size_t size)
{
	const struct dms_page_owner *p = &o->page;
	if (p->kind == DMS_OWNER_SLAB)
		snprintf(buf, size, "slab %s", p->cache_name);
	else if ((p->kind == DMS_OWNER_PAGE || p->kind == DMS_OWNER_BUDDY) && p->order)
		snprintf(buf, size, "%s order %u", dms_owner_kind_name(p->kind), p->order);
	else
		snprintf(buf, size, "%s", dms_owner_kind_name(p->kind));
}

// dmaf's class of the frame (lib/verdict.h: the one policy of which memory holds packets
// legitimately), or NULL without an owner.
static const char *frame_class(const struct dms_hit *hit, uint64_t paddr, const struct dms_owner *o)
{
	struct dms_vframe vf;
	const struct dms_slub_cache *c = dms_ext_vframe(hit, paddr, o, &vf);
	return dms_frame_class_name(dms_frame_classify_one(
		&vf, c ? (const char *const *)c->aliases : NULL, c ? c->naliases : 0));
}

struct owner_arg {
	struct run *r;
	const struct dms_hit *hit;
	uint64_t paddr;
	bool has_paddr;
	const struct dms_owner *o;
};

// The owner object of a JSON hit line (docs/json.md), with dmaf's class of the frame.
static void owner_json(FILE *out, const void *arg)
{
	const struct owner_arg *a = arg;
	const struct dms_owner *o = a->o;
	fprintf(out, "{\"kind\":\"%s\"", dms_owner_kind_name(o->page.kind));
	if (o->page.kind == DMS_OWNER_SLAB) {
		fprintf(out, ",\"cache\":");
		dms_json_str(out, o->page.cache_name);
		if (o->has_obj && !o->slab_tail)
			fprintf(out,
				",\"obj\":\"0x%" PRIx64 "\",\"offset\":%" PRIu64
				",\"obj_size\":%u,\"state\":",
				o->obj, o->offset, o->page.obj_size);
		if (o->has_obj && !o->slab_tail) {
			if (o->state)
				dms_json_str(out, o->state);
			else
				fprintf(out, "null");
		} else {
			fprintf(out, ",\"obj\":null,\"offset\":null,\"state\":null");
		}
	} else {
		fprintf(out, ",\"cache\":null,\"obj\":null,\"offset\":null");
	}
	fprintf(out, ",\"order\":%u", o->page.order);
	if (o->page.page)
		fprintf(out, ",\"page\":\"0x%" PRIx64 "\"", o->page.page);
	fprintf(out, ",\"class\":");
	if (a->has_paddr && !a->r->no_owner)
		fprintf(out, "\"%s\"", frame_class(a->hit, a->paddr, o));
	else
		fprintf(out, "null");
	fprintf(out, "}");
}

static struct dms_error *on_hit(const struct dms_hit *hit, void *arg)
{
	struct run *r = arg;
	const struct dms_pkt *p = &hit->pkt;
	uint64_t paddr = hit->pos, kvaddr = 0;
	bool has_paddr = true, has_kvaddr;
	if (r->virt_positions) {
		kvaddr = hit->pos;
		has_kvaddr = true;
		physaddr_t pa = 0;
		has_paddr = kvtop(NULL, kvaddr, &pa, 0) != 0;
		paddr = pa;
	} else {
		has_kvaddr = dms_paddr_to_kvaddr(paddr, &kvaddr);
	}
	struct dms_owner o;
	memset(&o, 0, sizeof(o));
	if (has_paddr && !r->no_owner)
		dms_owner_get(paddr, &o);
	char summary[256] = "", owner[160] = "";
	// Text is needed only for lines and capture comments.
	if (!r->summary_only || r->png || r->pcap) {
		dms_pkt_format(p, summary, sizeof(summary));
		dms_owner_format(&o, owner, sizeof(owner));
		if (r->redact) {
			char plain[sizeof(summary)];
			memcpy(plain, summary, sizeof(plain));
			dms_redact_text(r->redact, plain, summary, sizeof(summary));
		}
	}
	r->hits++;

	if (r->png || r->pcap) {
		struct dms_pkt_meta meta = {
			.paddr = paddr,
			.has_paddr = has_paddr,
			.kvaddr = kvaddr,
			.has_kvaddr = has_kvaddr,
			.owner = owner,
		};
		const uint8_t *data = hit->data;
		struct dms_pkt rp;
		if (r->redact) {
			// The frame's bytes as shared: a copy with addresses mapped, payload gone.
			static uint8_t copy[65536 + 64];
			rp = *p;
			rp.caplen = p->caplen < sizeof(copy) ? p->caplen : sizeof(copy);
			memcpy(copy, hit->data, rp.caplen);
			rp.caplen = dms_redact_frame(r->redact, copy, rp.caplen, p);
			data = copy;
			p = &rp;
		}
		struct dms_error *err = r->png ? dms_pcapng_write(r->png, p, data, &meta)
					       : dms_pcap_write(r->pcap, p, data, &meta);
		p = &hit->pkt;
		if (err) {
			// Keep scanning; report the first write error at the end.
			r->write_errors++;
			if (!r->write_err)
				r->write_err = err;
			else
				dms_error_destroy(err);
		}
	}
	if (!r->summary_only)
		dms_progress_clear(&r->progress);
	char key[DMS_CACHE_NAME_MAX + 24];
	owner_key(&o, key, sizeof(key));
	struct owner_arg oa = { r, hit, paddr, has_paddr, &o };
	struct dms_report_hit h = {
		.hit = hit,
		.paddr = paddr,
		.kvaddr = kvaddr,
		.has_paddr = has_paddr,
		.has_kvaddr = has_kvaddr,
		.summary = summary,
		.owner = owner,
		.owner_key = key,
		.owner_json = owner_json,
		.owner_arg = &oa,
	};
	dms_report_hit(r->rep, &h);
	return NULL;
}

static void print_summary(struct run *r, double secs)
{
	unsigned int nt = r->cr ? dms_creader_stream_threads(r->cr) : 0;
	struct dms_report_end e = {
		.secs = secs,
		.interrupted = dms_interrupted(),
		.has_bytes_read = r->cr != NULL,
		.bytes_read = r->cr ? dms_creader_bytes_read(r->cr) : 0,
		.reader = nt ? "parallel" : "readmem",
		.reader_threads = nt,
	};
	dms_report_summary(r->rep, &e);
}

// Scans by mode.

// A worker thread pays only if a CPU is idle: with every CPU busy it waits
// for a time slice while the main thread waits for it (measured: 25% slower
// than one thread on a loaded 2-CPU machine).  Auto: 1-minute load average
// below CPUs - 1.
static bool use_thread(const struct run *r)
{
	if (r->no_pipeline)
		return false;
	if (r->force_thread)
		return true;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double load;
	if (cpus < 2 || getloadavg(&load, 1) != 1)
		return false;
	return load < (double)cpus - 1.0;
}

static struct dms_error *scan_reader(struct run *r, bool virt)
{
	r->cr = virt ? dms_creader_virt_create(tick, r) : dms_creader_phys_create(tick, r);
	if (!r->cr)
		return &dms_enomem;
	r->virt_positions = virt;
	if (virt)
		return dms_scan_reader(&r->scan, dms_creader_reader(r->cr), r->start, r->end,
				       on_hit, r);
	// Pages from the parallel reader when the dump file allows it; the scan
	// then runs on this thread (the workers decompress).
	bool threaded = use_thread(r);
	char why[256];
	if (!r->readmem_only) {
		if (dms_creader_stream(r->cr, r->start, r->end, r->threads, why, sizeof(why)))
			threaded = r->force_thread;
		else if (!r->json)
			fprintf(fp, "pktscan: NOTE: reading through crash's readmem: %s\n", why);
	}
	return dms_pipescan(&r->scan, dms_creader_reader(r->cr), r->start, r->end, threaded, on_hit,
			    r);
}

// -B: one bare read pass over the dumpable pages of the range, page by page,
// no scanning: the floor a scan is measured against (make bench).
struct bare {
	struct run *r;
	bool parallel;
	uint8_t *page;
	uint64_t pages, bytes;
};

static struct dms_error *bare_range(uint64_t paddr, uint64_t len, void *arg)
{
	struct bare *b = arg;
	uint64_t ps = PAGESIZE();
	for (uint64_t pa = paddr; pa < paddr + len; pa += ps) {
		if (((pa / ps) & 255) == 0 && !tick(pa, b->r))
			return dms_error_create_at(DMS_ERR_STOP, pa, "interrupted");
		size_t got = 0;
		if (b->parallel)
			dms_error_destroy(dms_reader_read_phys(dms_creader_reader(b->r->cr), pa,
							       b->page, ps, &got));
		if (b->parallel ? got == ps
				: readmem(pa, PHYSADDR, b->page, ps, "dmasleuth bare read",
					  QUIET | RETURN_ON_ERROR)) {
			b->pages++;
			b->bytes += b->page[pa & 63]; // keep the read observable
		}
	}
	return NULL;
}

static struct dms_error *bare_read(struct run *r)
{
	r->cr = dms_creader_phys_create(tick, r);
	r->buf = malloc(PAGESIZE());
	if (!r->cr || !r->buf)
		return &dms_enomem;
	struct bare b = { .r = r, .page = r->buf };
	char why[256];
	if (!r->readmem_only) {
		b.parallel =
			dms_creader_stream(r->cr, r->start, r->end, r->threads, why, sizeof(why));
		if (!b.parallel)
			fprintf(fp, "pktscan: NOTE: reading through crash's readmem: %s\n", why);
	}
	struct timespec t1;
	struct dms_error *err = dms_reader_for_each_range(dms_creader_reader(r->cr), r->start,
							  r->end, bare_range, &b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err)
		fprintf(fp,
			"pktscan: bare read pass: %" PRIu64 " pages (%" PRIu64
			" MiB) in %.3f s (%s)\n",
			b.pages, b.pages * PAGESIZE() >> 20, dms_elapsed(&r->t0, &t1),
			b.parallel ? "parallel reader" : "readmem");
	return err;
}

struct slab_walk {
	struct run *r;
	struct dms_error *err;
};

static bool scan_slab(uint64_t paddr, uint64_t bytes, const struct dms_page_owner *o, void *arg)
{
	struct slab_walk *w = arg;
	struct run *r = w->r;
	(void)o;
	if (!tick(paddr, r))
		return false;
	if (bytes > MAX_SLAB_BYTES)
		bytes = MAX_SLAB_BYTES;
	// Frames that start in the slab, read on into the next pages.
	size_t got = dms_read_phys(paddr, r->buf, bytes + LOOKAHEAD);
	w->err =
		dms_scan_buffer(&r->scan, r->buf, got, got < bytes ? got : bytes, paddr, on_hit, r);
	return !w->err;
}

static struct dms_error *scan_cache(struct run *r)
{
	uint32_t size;
	uint64_t cache = dms_slab_cache_find(r->cache_name, &size);
	if (!cache)
		return dms_error_create(DMS_ERR_NOT_FOUND,
					"no kmem_cache named \"%s\" on slab_caches (merged caches "
					"go by the name of the cache they were merged into: see "
					"kmem -s)",
					r->cache_name);
	r->buf = malloc(MAX_SLAB_BYTES + LOOKAHEAD);
	if (!r->buf)
		return &dms_enomem;
	struct slab_walk w = { .r = r };
	uint64_t n = dms_slab_for_each(cache, scan_slab, &w);
	if (!r->json && !w.err)
		fprintf(fp, "pktscan: cache %s at %" PRIx64 ": %" PRIu64 " slabs scanned\n",
			r->cache_name, cache, n);
	return w.err;
}

static struct dms_error *scan_object(struct run *r)
{
	uint64_t paddr;
	physaddr_t pa;
	if (!kvtop(NULL, r->start, &pa, 0))
		return dms_error_create_at(DMS_ERR_NOT_FOUND, r->start, "address not mapped");
	paddr = pa;
	struct dms_owner o;
	dms_owner_get(paddr, &o);
	if (!o.has_obj || o.slab_tail || !o.page.obj_size)
		return dms_error_create_at(DMS_ERR_NOT_FOUND, r->start,
					   "%" PRIx64
					   " is not in a slab object (owner: %s); use -P "
					   "for a page",
					   r->start, dms_owner_kind_name(o.page.kind));
	uint64_t obj_pa;
	if (!dms_kvaddr_to_paddr(o.obj, &obj_pa))
		return dms_error_create_at(DMS_ERR_NOT_FOUND, o.obj,
					   "object not in the direct map");
	// Frames that start in the object; the look-ahead runs past its end
	// (into the next objects) so that such a frame is decoded whole.
	size_t size = o.page.obj_size;
	r->buf = malloc(size + LOOKAHEAD);
	if (!r->buf)
		return &dms_enomem;
	size_t got = dms_read_phys(obj_pa, r->buf, size + LOOKAHEAD);
	if (!r->json)
		fprintf(fp, "pktscan: object %" PRIx64 " (%s, %u bytes)\n", o.obj,
			o.page.cache_name, o.page.obj_size);
	return dms_scan_buffer(&r->scan, r->buf, got, got < size ? got : size, obj_pa, on_hit, r);
}

static struct dms_error *scan_page(struct run *r)
{
	uint64_t ps = PAGESIZE(), paddr, pfn;
	// A struct page address is checked against vmemmap and the dump's pfns
	// in lib (crash's is_page_ptr() warns about what it cannot place).
	if (dms_page_to_pfn(&dms_kf, r->start, &pfn))
		paddr = pfn << dms_kf.page_shift;
	else if (r->start < dms_max_paddr())
		paddr = r->start & ~(ps - 1);
	else if (dms_kvaddr_to_paddr(r->start, &paddr))
		paddr &= ~(ps - 1);
	else
		return dms_error_create_at(DMS_ERR_INVALID_ARGUMENT, r->start,
					   "%" PRIx64 " is neither a struct page, a physical "
					   "address nor a direct-map address",
					   r->start);
	r->start = paddr;
	r->end = paddr + ps;
	return scan_reader(r, false);
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 16);
	if (errno || end == s || *end)
		return false;
	*ret = v;
	return true;
}

// "START-END" (hex); END is exclusive.
static bool parse_range(const char *s, uint64_t *start, uint64_t *end)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *dash = strchr(buf, '-');
	if (!dash)
		return false;
	*dash = '\0';
	return parse_u64(buf, start) && parse_u64(dash + 1, end) && *start < *end;
}

// A page type's value as the kernel writes it: the PGTY_* byte, or the
// cleared bit under PAGE_TYPE_BASE; 0 when absent.
static uint32_t pgty_val(const struct dms_kfacts *k, const struct dms_kf_pgtype *t)
{
	if (!t->present)
		return 0;
	return k->pgty_scheme == DMS_KF_PGTY_TOP_BYTE ? t->value >> 24 : t->mask & ~t->value;
}

static void print_info(void)
{
	const struct dms_kfacts *k = &dms_kf;
	fprintf(fp,
		"dmasleuth: struct page size %d, flags %d, compound_head %d, mapping %d, "
		"private %d, page_type %d, _refcount %d, pp_magic %d, compound_order %d%s\n",
		k->page_struct_size, k->page_flags, k->page_compound_head, k->page_mapping,
		k->page_private, k->page_type, k->page_refcount, k->page_pp_magic, k->order_off,
		k->order_kind == DMS_KF_ORDER_FOLIO ? " (folio)" : "");
	// Absent flags print as -1.
	long pg_slab = k->pg_slab == DMS_KF_NONE ? -1 : (long)k->pg_slab;
	long pg_head = k->pg_head == DMS_KF_NONE ? -1 : (long)k->pg_head;
	fprintf(fp,
		"dmasleuth: slab.slab_cache %d, kmem_cache name %d size %d list %d, "
		"PG_slab %ld, PG_head %ld, page types %s (buddy %#x, table %#x, slab %#x)\n",
		k->slab_cache, k->s_name, k->s_size, k->s_list, pg_slab, pg_head,
		dms_kf_pgty_scheme_name(k->pgty_scheme), pgty_val(k, &k->pgty_buddy),
		pgty_val(k, &k->pgty_table), pgty_val(k, &k->pgty_slab));
	fprintf(fp, "dmasleuth: page type sources: buddy %s; table %s; slab %s\n",
		k->pgty_buddy.src ? k->pgty_buddy.src : "absent",
		k->pgty_table.src ? k->pgty_table.src : "absent",
		k->pgty_slab.src ? k->pgty_slab.src : "absent");
	if (k->pp_present)
		fprintf(fp, "dmasleuth: page_pool: pp_magic & %#" PRIx64 " == %#" PRIx64 " (%s)\n",
			k->pp_magic_mask, k->pp_signature, k->pp_src);
	fprintf(fp,
		"dmasleuth: kernel image %#" PRIx64 "-%#" PRIx64 ", memory up to %#" PRIx64
		", direct map at %#" PRIx64,
		k->kimage_pstart, k->kimage_pend, dms_max_paddr(), k->page_offset);
	// Where the direct map does not start at physical 0 (arm64: the start
	// of RAM), the physical address it starts at.
	if (k->dmap_phys)
		fprintf(fp, " (physical %#" PRIx64 ")", k->dmap_phys);
	fprintf(fp, "\n");
	bool buddy_ok = k->owner_ok && k->pgty_buddy.present && dms_kf_has(k->page_private);
	fprintf(fp, "dmasleuth: owners %s%s%s, slab caches %s%s%s, buddy %s, page_pool %s\n",
		k->owner_ok ? "on" : "OFF", k->owner_ok ? "" : ": ",
		k->owner_ok ? "" : k->owner_why, k->slab_ok ? "on" : "OFF", k->slab_ok ? "" : ": ",
		k->slab_ok ? "" : k->slab_why, buddy_ok ? "on" : "OFF",
		k->owner_ok && k->pp_present ? "on" : "OFF");
}

static bool set_mode(struct run *r, enum mode m)
{
	if (r->mode != MODE_FULL)
		return false;
	r->mode = m;
	return true;
}

void dms_cmd_pktscan(void)
{
	struct run *r = &run;
	run_release(r); // what an interrupted run left behind
	memset(r, 0, sizeof(*r));
	dms_owner_cache_reset();
	bool info = false;
	int c;
	while ((c = getopt(argcnt, args, "p:v:c:o:P:w:F:R:jsqnDiBSTMt:")) != EOF) {
		switch (c) {
		case 'p':
		case 'v':
			if (!set_mode(r, c == 'p' ? MODE_PHYS : MODE_VIRT) ||
			    !parse_range(optarg, &r->start, &r->end))
				argerrs++;
			break;
		case 'c':
			if (!set_mode(r, MODE_CACHE))
				argerrs++;
			r->cache_name = optarg;
			break;
		case 'o':
		case 'P':
			if (!set_mode(r, c == 'o' ? MODE_OBJ : MODE_PAGE) ||
			    !parse_u64(optarg, &r->start))
				argerrs++;
			break;
		case 'w':
			r->wfile = optarg;
			break;
		case 'R':
			r->redact_spec = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "pcap") == 0)
				r->classic_pcap = true;
			else if (strcmp(optarg, "pcapng") != 0)
				argerrs++;
			break;
		case 'j':
			r->json = true;
			break;
		case 's':
			r->summary_only = true;
			break;
		case 'q':
			r->quiet = true;
			break;
		case 'n':
			r->no_owner = true;
			break;
		case 'D':
			r->damaged = true;
			break;
		case 'i':
			info = true;
			break;
		case 'B':
			r->bare_read = true;
			break;
		case 'S':
			r->no_pipeline = true;
			break;
		case 'T':
			r->force_thread = true;
			break;
		case 'M':
			r->readmem_only = true;
			break;
		case 't':
			if (!dms_creader_threads_arg(optarg, &r->threads))
				argerrs++;
			break;
		default:
			argerrs++;
			break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS); // longjmps: nothing allocated yet
	if (info) {
		print_info();
		return;
	}
	if (r->mode == MODE_FULL) {
		r->start = 0;
		r->end = dms_max_paddr();
	}

	struct dms_error *err = NULL;
	dms_scan_init(&r->scan);
	r->scan.damaged = r->damaged;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->progress.quiet = r->quiet;
	dms_interrupt_begin(&r->intr);
	if (r->redact_spec) {
		err = dms_redact_create_spec(r->redact_spec, &r->redact);
		if (err)
			goto out;
	}
	struct dms_report_config rc = {
		.out = fp,
		.name = "pktscan",
		.json = r->json,
		.summary_only = r->summary_only,
		.damaged = r->damaged,
		.page_size = PAGESIZE(),
		.redact = r->redact,
	};
	err = dms_report_create(&rc, &r->rep);
	if (err)
		goto out;
	// Redacted output is for sharing, but not with this machine's other users.
	mode_t mask = r->redact ? umask(077) : 0;
	if (r->wfile && r->classic_pcap) {
		size_t n = strlen(r->wfile);
		r->raw_path = malloc(n + 16);
		if (!r->raw_path) {
			err = &dms_enomem;
			goto out;
		}
		// Bare IP packets go to FILE minus ".pcap", plus "-raw.pcap".
		if (n > 5 && strcmp(r->wfile + n - 5, ".pcap") == 0)
			n -= 5;
		snprintf(r->raw_path, n + 16, "%.*s-raw.pcap", (int)n, r->wfile);
		err = dms_pcap_create(r->wfile, r->raw_path, &r->pcap);
	} else if (r->wfile) {
		err = dms_pcapng_create(r->wfile, &r->png);
	}
	if (r->redact) {
		umask(mask);
		if (!err && r->wfile) // an existing file keeps its mode through fopen
			dms_ext_private_file(r->wfile);
		if (!err && r->raw_path)
			dms_ext_private_file(r->raw_path);
	}
	if (err)
		goto out;

	if (r->bare_read && r->mode != MODE_FULL && r->mode != MODE_PHYS) {
		err = dms_error_create(DMS_ERR_INVALID_ARGUMENT, "-B works with -p or a full scan");
		goto out;
	}
	if (r->bare_read) {
		err = bare_read(r);
		dms_progress_clear(&r->progress);
		goto out;
	}
	switch (r->mode) {
	case MODE_FULL:
	case MODE_PHYS:
		err = scan_reader(r, false);
		break;
	case MODE_VIRT:
		err = scan_reader(r, true);
		break;
	case MODE_CACHE:
		if (!dms_kf.slab_ok)
			err = dms_error_create(DMS_ERR_NOT_FOUND, "-c is disabled: %s",
					       dms_kf.slab_why);
		else
			err = scan_cache(r);
		break;
	case MODE_OBJ:
		err = dms_kf.slab_ok ? scan_object(r)
				     : dms_error_create(DMS_ERR_NOT_FOUND, "-o is disabled: %s",
							dms_kf.slab_why);
		break;
	case MODE_PAGE:
		err = scan_page(r);
		break;
	}
	dms_progress_clear(&r->progress);
	if (err && err->code == DMS_ERR_STOP && dms_interrupted()) {
		dms_error_destroy(err);
		err = NULL;
	}
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err)
		print_summary(r, dms_elapsed(&r->t0, &t1));
	if (!err && r->wfile) {
		struct dms_error *werr =
			r->png ? dms_pcapng_destroy(r->png) : dms_pcap_destroy(r->pcap);
		r->png = NULL;
		r->pcap = NULL;
		if (werr || r->write_err) {
			err = werr ? werr : r->write_err;
			if (werr)
				dms_error_destroy(r->write_err);
			r->write_err = NULL;
		} else if (!r->json) {
			fprintf(fp, "\npktscan: wrote %" PRIu64 " packets to %s%s%s\n", r->hits,
				r->wfile, r->raw_path ? " (bare IP packets: " : "",
				r->raw_path ? r->raw_path : "");
			if (r->raw_path)
				fprintf(fp, ")\n");
		}
	}
out:;
	char msg[512] = "";
	if (err)
		snprintf(msg, sizeof(msg), "%s%s", err->message ? err->message : "",
			 err->message ? "" : dms_error_string(err->code));
	dms_error_destroy(err);
	run_release(r);
	if (msg[0])
		error(INFO, "%s\n", msg);
}

char *dms_help_pktscan[] = {
	"pktscan",
	"carve network packets out of memory, with the owner of every hit",
	"[-p start-end | -v start-end | -c cache | -o addr | -P page]\n"
	"          [-w file [-F pcap|pcapng]] [-R key[,opts]] [-D] [-j] [-s] [-q] [-n]\n"
	"          [-i] [-B] [-S|-T] [-M | -t threads]",
	"  Scans memory for Ethernet frames and bare IPv4/IPv6 packets (802.1Q/802.1ad",
	"  tags, TCP, UDP, ICMP, ICMPv6, IGMP, ARP) at every byte offset.  A candidate",
	"  is reported only when its headers are consistent and checksums that can be",
	"  checked are right (see docs/packets.md for the scoring).  Without a range",
	"  option the whole dumpable physical memory is scanned: the ranges come from",
	"  crash's memory node table only, and pages the dump does not hold (excluded",
	"  by makedumpfile, holes) are skipped quietly.  No kernel list is trusted, so",
	"  this works on dumps whose lists a DMA overwrote.",
	"",
	"  Each hit prints its physical address, direct-map address, offset in its",
	"  page, the IP/L4 checksum states, a tcpdump-like summary and the owner of",
	"  the memory, from its struct page:",
	"    slab CACHE obj ADDR+OFF state=S   slab object; S from the SLUB model",
	"                              (allocated, free, free (cpu), unknown; ? without)",
	"    page_pool                 page_pool page (pp_magic)",
	"    buddy order N (free)      free page in the buddy allocator",
	"    free                      refcount 0, not buddy (e.g. per-cpu free lists)",
	"    anon / pagecache / movable   user or file page (page->mapping)",
	"    pgtable                   page table page",
	"    kernel_image              inside _text.._end",
	"    page [order N]            allocated kernel page with no further owner",
	"                              (the network stack's page-frag pages look so)",
	"    unknown                   no struct page in the dump",
	"  Summary tables by flow and by owner follow.  A full scan shows progress on",
	"  the terminal (stderr) and stops cleanly at Ctrl-C, keeping what it found.",
	"",
	"   -p start-end  scan physical addresses [start, end) (hex).",
	"   -v start-end  scan kernel virtual addresses [start, end) (hex), page by",
	"                 page through the page tables (vmalloc space works too).",
	"   -c cache      scan every slab of this kmem_cache; slabs are found from",
	"                 the memory map (PG_slab + slab_cache), so full slabs and",
	"                 slabs on corrupted lists are included.",
	"   -o addr       scan the one slab object containing this kernel address.",
	"                 With -c and -o, frames that start inside the slab/object",
	"                 are reported, read on past its end if they run over.",
	"   -P page       scan one page: a struct page address, a physical address",
	"                 or a direct-map address.",
	"   -w file       write the hits to a capture file, pcapng by default, with",
	"                 a comment per packet (paddr, kvaddr, owner, score, checksum",
	"                 states).  Ethernet frames are LINKTYPE_ETHERNET, bare IP",
	"                 packets LINKTYPE_RAW (no Ethernet header is made up).",
	"   -F pcap       write classic pcap instead: Ethernet frames to file, bare IP",
	"                 packets to file-raw.pcap.",
	"   -R key[,keep=N][,cut][,oui]",
	"                 redact for sharing (docs/redaction.md): IPv4/IPv6 addresses",
	"                 mapped prefix-preservingly (Crypto-PAn) and MACs by the key,",
	"                 in the lines, JSON, flow table and capture; payload after",
	"                 the L4 header zeroed (cut: left out; keep=N: its first N",
	"                 bytes stay), checksums recomputed; -w file made mode 0600.",
	"                 key: a key file (32 bytes, 64 hex digits, or a passphrase),",
	"                 pass:PHRASE, or env:VAR (a passphrase in the environment);",
	"                 oui: MACs keep their vendor's first three bytes.",
	"   -j            JSON lines, one object per hit and a final summary object",
	"                 (fields: docs/json.md).",
	"   -D            also report damaged frames: Ethernet and IPv4 headers",
	"                 intact (header checksum right), the rest written over since",
	"                 the frame landed, as a frame in reused memory often is (dmaf",
	"                 weighs them).  Flagged DAMAGED (what failed) on the line,",
	"                 status \"damaged\" in JSON, status=damaged in the pcapng",
	"                 comment.",
	"   -s            summary tables only, no line per hit.",
	"   -q            no progress output.",
	"   -n            no owner look-up (faster on dumps with many hits).",
	"   -i            print the kernel facts resolved at load (offsets, enabled",
	"                 features) and exit.",
	"   -B            benchmark aid: read the range (default: all) page by page",
	"                 without scanning and print the time (see make bench); with",
	"                 -M through readmem, else through the parallel reader.",
	"   -S, -T        with -M: -T scans on a worker thread while crash reads the",
	"                 next chunk, -S reads and scans in turn on one thread.",
	"                 Default: -T if a CPU is idle (load average < CPUs - 1).",
	"   -t threads    full/-p scans of a kdump-compressed (also flattened) or ELF",
	"                 dump: the extension reads crash's dump file itself, with",
	"                 this many threads decompressing pages ahead of the scan",
	"                 (default 0: one per CPU).  It first checks sample pages",
	"                 against crash's readmem; on any other dump, or if they",
	"                 differ, a NOTE says so and the scan reads through readmem.",
	"                 Ranges are crash's memory nodes either way: the results",
	"                 are the same (docs/performance.md).",
	"   -M            read through crash's readmem only (no parallel reader).",
	"\nEXAMPLE",
#include "pktscan_example.h" // generated from docs/examples/pktscan.txt
	NULL,
};
