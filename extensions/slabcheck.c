// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the slabcheck command.
//
// Walks every slab of every cache (or of one) through the SLUB model of
// lib/slub.h (slubglue.c supplies it), counts objects by state and reports
// corruption: the model's freelist/counter/list findings, type-aware field
// checks of lib/objcheck.h, and network frames inside objects of caches
// that never hold packets.  `slabcheck ADDR` tells which object holds an
// address, in which state, and what its bytes look like (lib/classify.h).
//
// Resources of a run live in one static struct, released at the start of
// the next run too: crash may longjmp out of a command (SIGPIPE, FATAL).
#include <crash/defs.h>

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "dms_ext.h"
#include "objcheck.h"
#include "oops.h"
#include "pkt.h"
#include "scan.h"
#include "slub.h"
#include "verdict.h"

// Finding lines printed per cache without -v.
#define MAX_LINES_PER_CACHE 20
// Field check failures kept per object.
#define MAX_CHECK_FAILURES 8
// Bytes before an object searched for a frame that runs into it.
#define FRAME_LOOKBACK 2048

// Finding kinds beyond the model's codes (enum dms_slub_code).
enum {
	CODE_OBJCHECK = DMS_SLUB_NUM_CODES,
	CODE_PACKET,
	CODE_OOPS_VALUE,
};

struct cstat {
	const struct dms_slub_cache *cache;
	uint64_t slabs, objects, allocated, free, unknown, corrupted, findings, lines;
	// Unfrozen slabs with no object in use: discarded, their freeing still
	// pending (call_rcu for SLAB_TYPESAFE_BY_RCU caches); no longer counted
	// in kmem_cache_node's totals.
	uint64_t empty_slabs, empty_objects;
};

struct run {
	// Options.
	bool json, verbose, quiet, phys, readmem_only;
	unsigned int threads; // -t: parallel reader threads (0: one per CPU)
	char *cache_name;
	bool has_addr;
	uint64_t addr;
	// Resources.
	struct cstat *stats;
	size_t nstats;
	struct dms_interrupt intr;
	uint8_t *buf;
	// State.
	struct dms_slub *slub;
	struct dms_objcheck *oc;
	struct cstat bad; // slabs whose slab_cache is unknown
	uint64_t slabs_seen, total_findings;
	bool header_done;
	struct timespec t0;
	unsigned int reader_threads; // the walk's parallel reader (0: readmem)
	struct dms_progress progress;
	// Per slab: objects that already have a finding.
	uint8_t *marked;
	size_t marked_cap;
	// Private copy of the slab being checked (bytes, then states).
	uint8_t *copy;
	size_t copy_cap;
	struct dms_slub_finding *fcopy;
	size_t fcopy_cap;
	// Values the first oops of the log faulted on (non-canonical address,
	// CR2), searched for in every object.
	uint64_t suspects[2];
	size_t nsuspects;
	char oops_headline[160];
	struct dms_classify_config ccfg;
};

static struct run run;

static void run_release(struct run *r)
{
	dms_interrupt_end(&r->intr);
	dms_ext_slub_set_tick(NULL, NULL);
	free(r->stats);
	r->stats = NULL;
	free(r->buf);
	r->buf = NULL;
	free(r->marked);
	r->marked = NULL;
	free(r->copy);
	r->copy = NULL;
	free(r->fcopy);
	r->fcopy = NULL;
}

static bool tick(uint64_t pos, void *arg)
{
	struct run *r = arg;
	if (dms_interrupted())
		return false;
	if (dms_progress_due(&r->progress))
		fprintf(stderr,
			"\rslabcheck: %#" PRIx64 ", %" PRIu64 " slabs, %" PRIu64 " findings ", pos,
			r->slabs_seen, r->total_findings);
	return true;
}

// The one policy of which caches hold packets (lib/verdict.h), with merged names.
static bool is_netbuf_cache(const struct dms_slub_cache *c)
{
	return dms_cache_holds_packets(c->name, (const char *const *)c->aliases, c->naliases);
}

static int cstat_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct cstat *)a)->cache;
	uintptr_t y = (uintptr_t)((const struct cstat *)b)->cache;
	return x < y ? -1 : x > y;
}

static struct cstat *cstat_of(struct run *r, const struct dms_slub_cache *c)
{
	if (!c)
		return &r->bad;
	struct cstat key = { .cache = c };
	struct cstat *s = bsearch(&key, r->stats, r->nstats, sizeof(key), cstat_cmp);
	return s ? s : &r->bad;
}

static const char *code_name(int code)
{
	if (code == CODE_OBJCHECK)
		return "FIELD";
	if (code == CODE_PACKET)
		return "PACKET";
	if (code == CODE_OOPS_VALUE)
		return "OOPS_VALUE";
	return dms_slub_code_name((enum dms_slub_code)code);
}

// One finding, text or JSON.  state < 0: not about one object.
static void print_finding(struct run *r, struct cstat *cs, int code, uint64_t addr, uint64_t value,
			  const char *cache, uint64_t cache_addr, uint64_t slab, int64_t index,
			  uint64_t object, int state, const char *field, const char *why,
			  const char *cls)
{
	r->total_findings++;
	cs->findings++;
	if (r->json) {
		fprintf(fp,
			"{\"type\":\"finding\",\"code\":\"%s\",\"addr\":\"0x%" PRIx64 "\","
			"\"value\":\"0x%" PRIx64 "\",\"cache\":",
			code_name(code), addr, value);
		dms_json_str(fp, cache);
		fprintf(fp, ",\"cache_addr\":\"0x%" PRIx64 "\",\"slab\":", cache_addr);
		if (slab)
			fprintf(fp, "\"0x%" PRIx64 "\"", slab);
		else
			fprintf(fp, "null");
		if (index >= 0)
			fprintf(fp,
				",\"object\":\"0x%" PRIx64 "\",\"index\":%" PRId64
				",\"state\":\"%s\"",
				object, index, dms_slub_state_name((enum dms_slub_state)state));
		else
			fprintf(fp, ",\"object\":null,\"index\":null,\"state\":null");
		fprintf(fp, ",\"field\":");
		dms_json_str(fp, field);
		fprintf(fp, ",\"why\":");
		dms_json_str(fp, why);
		fprintf(fp, ",\"class\":");
		if (cls)
			dms_json_str(fp, cls);
		else
			fprintf(fp, "null");
		fprintf(fp, "}\n");
		return;
	}
	if (!r->verbose && cs->lines >= MAX_LINES_PER_CACHE) {
		cs->lines++;
		return;
	}
	cs->lines++;
	if (!r->header_done) {
		fprintf(fp, "%-16s  %-18s %-16s %-20s %-18s %s\n", "ADDRESS", "CACHE", "OBJECT",
			"FIELD", "CODE", "WHY");
		r->header_done = true;
	}
	char obj[40] = "-";
	if (index >= 0)
		snprintf(obj, sizeof(obj), "%" PRIx64, object);
	char name[24];
	snprintf(name, sizeof(name), "%s", cache && *cache ? cache : "?");
	fprintf(fp, "%16" PRIx64 "  %-18s %-16s %-20s %-18s ", addr, name, obj, field ? field : "-",
		code_name(code));
	// The reason may quote dump bytes: print it as data.
	fputs(why, fp);
	if (cls && code == CODE_OBJCHECK)
		fprintf(fp, " (%s)", cls);
	else if (cls && code != CODE_PACKET) {
		fputs("; contents: ", fp);
		fputs(cls, fp);
	}
	if (index >= 0)
		fprintf(fp, " [%s]", dms_slub_state_name((enum dms_slub_state)state));
	fputc('\n', fp);
}

static bool mark_object(struct run *r, int64_t index)
{
	if (index < 0 || (size_t)index >= r->marked_cap || r->marked[index])
		return false;
	r->marked[index] = 1;
	return true;
}

// "ascii (160 of 192 bytes): ASCII \"path=...\" at +0" for an object.
static void classify_text(const uint8_t *obj, size_t len, uint64_t addr, char *buf, size_t size)
{
	struct dms_classify_config cfg = { .pointer = dms_ext_ptr_info };
	struct dms_class_result cr;
	struct dms_error *err = dms_classify(obj, len, addr, &cfg, &cr);
	if (err)
		snprintf(buf, size, "?");
	else
		dms_class_format(&cr, buf, size);
	dms_error_destroy(err);
}

struct frame_ctx {
	struct run *r;
	const struct dms_slub_slab *slab;
	struct cstat *cs;
};

// A frame in a slab of a cache that never holds packets: one finding per
// object it covers.
static struct dms_error *on_frame(const struct dms_hit *hit, void *arg)
{
	struct frame_ctx *f = arg;
	const struct dms_slub_slab *s = f->slab;
	const struct dms_slub_cache *c = s->cache;
	char desc[160];
	size_t dl = dms_pkt_format(&hit->pkt, desc, sizeof(desc));
	// Ethernet and IPv4 headers intact, the rest written over since the
	// frame landed: as telling in an object as an intact frame.
	if (!dms_pkt_is_hit(&hit->pkt) && dl < sizeof(desc))
		snprintf(desc + dl, sizeof(desc) - dl, " (damaged: %s)",
			 hit->pkt.reason ? hit->pkt.reason : "?");
	uint64_t start = hit->pkt.offset, end = start + hit->pkt.caplen;
	uint64_t first = start > c->red_left_pad ? (start - c->red_left_pad) / c->size : 0;
	for (uint64_t i = first; i < s->objects; i++) {
		uint64_t o = (uint64_t)i * c->size + c->red_left_pad;
		if (o >= end)
			break;
		if (o + c->object_size <= start)
			continue;
		uint64_t lo = start > o ? start : o;
		char why[224];
		if (start >= o)
			snprintf(why, sizeof(why), "frame at +%#" PRIx64 " (%" PRIu64 " bytes): %s",
				 start - o, end - start, desc);
		else
			snprintf(why, sizeof(why),
				 "frame from -%#" PRIx64 " covers +0..+%#" PRIx64 ": %s", o - start,
				 (end < o + c->object_size ? end : o + c->object_size) - o, desc);
		if (mark_object(f->r, (int64_t)i))
			f->cs->corrupted++;
		print_finding(f->r, f->cs, CODE_PACKET, s->base + lo, 0, c->name, c->addr, s->page,
			      (int64_t)i, s->base + o, s->state[i], "frame", why, "packet");
	}
	return dms_interrupted() ? dms_error_create(DMS_ERR_STOP, "interrupted") : NULL;
}

static struct dms_error *on_slab(const struct dms_slub_slab *s, void *arg)
{
	struct run *r = arg;
	r->slabs_seen++;
	if (dms_interrupted())
		return dms_error_create(DMS_ERR_STOP, "interrupted");
	struct cstat *cs = cstat_of(r, s->cache);
	cs->slabs++;
	if (r->json && r->verbose)
		fprintf(fp,
			"{\"type\":\"slab\",\"page\":\"0x%" PRIx64 "\",\"base\":\"0x%" PRIx64
			"\",\"cache_addr\":\"0x%" PRIx64 "\",\"objects\":%u,\"inuse\":%u,"
			"\"free\":%u,\"frozen\":%s,\"cpu\":%d,\"freelist_ok\":%s,\"present\":%s}\n",
			s->page, s->base, s->cache_addr, s->objects, s->inuse, s->nfree,
			s->frozen ? "true" : "false", s->cpu, s->freelist_ok ? "true" : "false",
			s->present ? "true" : "false");
	if (r->marked_cap < s->objects) {
		free(r->marked);
		r->marked_cap = 0;
		r->marked = calloc(s->objects, 1);
		if (!r->marked)
			return &dms_enomem;
		r->marked_cap = s->objects;
	} else {
		memset(r->marked, 0, s->objects);
	}
	cs->objects += s->objects;
	if (s->cache && !s->frozen && s->inuse == 0 && s->freelist_ok) {
		cs->empty_slabs++;
		cs->empty_objects += s->objects;
	}
	for (uint32_t i = 0; s->state && i < s->objects; i++) {
		switch (s->state[i]) {
		case DMS_SLUB_ALLOCATED:
			cs->allocated++;
			break;
		case DMS_SLUB_FREE:
		case DMS_SLUB_FREE_CPU:
			cs->free++;
			break;
		default:
			cs->unknown++;
		}
	}
	const struct dms_slub_cache *c = s->cache;
	if (!c || !s->data || !s->state) {
		for (size_t i = 0; i < s->nfindings; i++) {
			const struct dms_slub_finding *f = &s->findings[i];
			if (f->code == DMS_SLUB_NOT_IN_DUMP && !r->verbose)
				continue;
			if (mark_object(r, f->index))
				cs->corrupted++;
			print_finding(r, cs, f->code, f->addr, f->value, f->cache_name,
				      f->cache_addr, f->slab, f->index, f->object, DMS_SLUB_UNKNOWN,
				      f->field, f->reason, NULL);
		}
		return NULL;
	}
	// Field checks look up pointers in the model, which may analyse other
	// slabs into the buffers s->data and s->state point to: work on copies.
	size_t need = s->data_len + s->objects;
	if (r->copy_cap < need) {
		free(r->copy);
		r->copy_cap = 0;
		r->copy = malloc(need);
		if (!r->copy)
			return &dms_enomem;
		r->copy_cap = need;
	}
	memcpy(r->copy, s->data, s->data_len);
	memcpy(r->copy + s->data_len, s->state, s->objects);
	struct dms_slub_slab copy = *s;
	copy.data = r->copy;
	copy.state = r->copy + s->data_len;
	size_t nf = s->nfindings;
	if (r->fcopy_cap < nf) {
		free(r->fcopy);
		r->fcopy_cap = 0;
		r->fcopy = malloc(nf * sizeof(*r->fcopy));
		if (!r->fcopy)
			return &dms_enomem;
		r->fcopy_cap = nf;
	}
	if (nf)
		memcpy(r->fcopy, s->findings, nf * sizeof(*r->fcopy));
	copy.findings = r->fcopy;
	s = &copy;
	// The model's findings, with what the object's bytes look like.
	for (size_t i = 0; i < nf; i++) {
		const struct dms_slub_finding *f = &s->findings[i];
		if (f->code == DMS_SLUB_NOT_IN_DUMP && !r->verbose)
			continue;
		if (mark_object(r, f->index))
			cs->corrupted++;
		bool one = f->index >= 0 && (uint64_t)f->index < s->objects;
		int st = one ? s->state[f->index] : DMS_SLUB_UNKNOWN;
		char cls[200] = "";
		uint64_t off = one ? (uint64_t)f->index * c->size + c->red_left_pad : 0;
		if (one && off + c->object_size <= s->data_len)
			classify_text(s->data + off, c->object_size, s->base + off, cls,
				      sizeof(cls));
		print_finding(r, cs, f->code, f->addr, f->value, f->cache_name, f->cache_addr,
			      f->slab, f->index, f->object, st, f->field, f->reason,
			      cls[0] ? cls : NULL);
	}
	// Words equal to the address the oops faulted on.
	for (size_t v = 0; v < r->nsuspects; v++) {
		for (uint32_t i = 0; i < s->objects; i++) {
			uint64_t off = (uint64_t)i * c->size + c->red_left_pad;
			if (off + c->object_size > s->data_len)
				break;
			for (uint64_t k = 0; k + 8 <= c->object_size; k += 8) {
				uint64_t w;
				memcpy(&w, s->data + off + k, 8);
				if (w != r->suspects[v])
					continue;
				char field[24], why[320], word[9];
				snprintf(field, sizeof(field), "+%#" PRIx64, k);
				for (int b = 0; b < 8; b++) {
					unsigned char ch = (unsigned char)(w >> (8 * b));
					word[b] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
				}
				word[8] = '\0';
				snprintf(why, sizeof(why),
					 "holds %#" PRIx64
					 " (bytes \"%s\", %s), the address the oops "
					 "faulted on: ",
					 w, word,
					 dms_class_name(dms_classify_word(w, &r->ccfg, NULL)));
				size_t wl = strlen(why);
				snprintf(why + wl, sizeof(why) - wl, "%s", r->oops_headline);
				if (mark_object(r, i))
					cs->corrupted++;
				char cls[200] = "";
				classify_text(s->data + off, c->object_size, s->base + off, cls,
					      sizeof(cls));
				print_finding(r, cs, CODE_OOPS_VALUE, s->base + off + k, w, c->name,
					      c->addr, s->page, i, s->base + off, s->state[i],
					      field, why, cls);
			}
		}
	}
	// Type-aware checks of allocated objects.
	bool merged = false;
	const struct dms_cache_rules *rules =
		r->oc ? dms_objcheck_rules_for(r->oc, c, &merged) : NULL;
	for (uint32_t i = 0; rules && i < s->objects; i++) {
		if (s->state[i] != DMS_SLUB_ALLOCATED)
			continue;
		uint64_t off = (uint64_t)i * c->size + c->red_left_pad;
		if (off + c->object_size > s->data_len)
			break;
		struct dms_objcheck_failure fail[MAX_CHECK_FAILURES];
		size_t nfail = 0;
		struct dms_error *err =
			dms_objcheck_object(r->oc, rules, s->base + off, s->data + off,
					    c->object_size, fail, MAX_CHECK_FAILURES, &nfail);
		if (err)
			return err;
		if (nfail && mark_object(r, i))
			cs->corrupted++;
		for (size_t k = 0; k < nfail && k < MAX_CHECK_FAILURES; k++) {
			char why[200];
			snprintf(why, sizeof(why), "%s%s", fail[k].reason,
				 merged ? " (merged cache: a hint)" : "");
			print_finding(r, cs, CODE_OBJCHECK, fail[k].addr, fail[k].value, c->name,
				      c->addr, s->page, i, s->base + off, s->state[i],
				      fail[k].check->field, why, dms_class_name(fail[k].cls));
		}
	}
	// Frames in caches that never hold packets.
	if (!is_netbuf_cache(c)) {
		struct dms_scan scan;
		dms_scan_init(&scan);
		// Frames whose payload the kernel wrote over since count here too.
		scan.damaged = true;
		struct frame_ctx fc = { r, s, cs };
		struct dms_error *err =
			dms_scan_buffer(&scan, s->data, s->data_len, s->data_len, 0, on_frame, &fc);
		if (err)
			return err;
	}
	return NULL;
}

static void print_cache_row(struct run *r, const struct cstat *s, const char *name, uint64_t addr,
			    uint32_t objsize, uint32_t size, uint64_t flags)
{
	if (r->json) {
		fprintf(fp, "{\"type\":\"cache\",\"name\":");
		dms_json_str(fp, name);
		fprintf(fp,
			",\"addr\":\"0x%" PRIx64
			"\",\"object_size\":%u,\"size\":%u,\"slabs\":%" PRIu64
			",\"objects\":%" PRIu64 ",\"allocated\":%" PRIu64 ",\"free\":%" PRIu64
			",\"unknown\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"findings\":%" PRIu64
			",\"empty_slabs\":%" PRIu64 ",\"empty_objects\":%" PRIu64
			",\"flags\":\"0x%" PRIx64 "\"}\n",
			addr, objsize, size, s->slabs, s->objects, s->allocated, s->free,
			s->unknown, s->corrupted, s->findings, s->empty_slabs, s->empty_objects,
			flags);
		return;
	}
	fprintf(fp,
		"%16" PRIx64 " %7u %7" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64 " %7" PRIu64
		" %7" PRIu64 " %8" PRIu64 "  ",
		addr, objsize, s->slabs, s->objects, s->allocated, s->free, s->unknown,
		s->corrupted, s->findings);
	fputs(name, fp);
	fputc('\n', fp);
}

static void print_summary(struct run *r, const struct dms_slub_cache *only, bool stopped,
			  double secs)
{
	struct cstat tot = { 0 };
	if (!r->json) {
		for (size_t i = 0; i < r->nstats; i++)
			if (r->stats[i].lines > MAX_LINES_PER_CACHE && !r->verbose)
				fprintf(fp,
					"  ... %" PRIu64 " more findings in %s (-v or -j: all)\n",
					r->stats[i].lines - MAX_LINES_PER_CACHE,
					r->stats[i].cache->name);
		if (r->header_done)
			fputc('\n', fp);
		fprintf(fp, "%16s %7s %7s %9s %9s %7s %7s %7s %8s  %s\n", "CACHE", "OBJSIZE",
			"SLABS", "OBJECTS", "ALLOCATED", "FREE", "UNKNOWN", "CORRUPT", "FINDINGS",
			"NAME");
	}
	for (size_t i = 0; i < dms_slub_num_caches(r->slub); i++) {
		const struct dms_slub_cache *c = dms_slub_cache_at(r->slub, i);
		if (only && c != only)
			continue;
		const struct cstat *s = cstat_of(r, c);
		print_cache_row(r, s, c->name, c->addr, c->object_size, c->size, c->flags);
		tot.slabs += s->slabs;
		tot.objects += s->objects;
		tot.allocated += s->allocated;
		tot.free += s->free;
		tot.unknown += s->unknown;
		tot.corrupted += s->corrupted;
		tot.findings += s->findings;
	}
	if (r->bad.slabs || r->bad.findings)
		print_cache_row(r, &r->bad, "(slab_cache unknown)", 0, 0, 0, 0);
	tot.findings += r->bad.findings;
	tot.slabs += r->bad.slabs;
	uint32_t votes[DMS_SLUB_FP_NUM];
	enum dms_slub_fp fpm = dms_slub_fp_mode(r->slub, votes);
	if (r->json) {
		fprintf(fp,
			"{\"type\":\"summary\",\"caches\":%zu,\"slabs\":%" PRIu64
			",\"objects\":%" PRIu64 ",\"allocated\":%" PRIu64 ",\"free\":%" PRIu64
			",\"unknown\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"findings\":%" PRIu64
			",\"freelist_encoding\":\"%s\",\"interrupted\":%s,\"reader\":\"%s\","
			"\"reader_threads\":%u,\"seconds\":%.2f}\n",
			only ? (size_t)1 : dms_slub_num_caches(r->slub), tot.slabs, tot.objects,
			tot.allocated, tot.free, tot.unknown, tot.corrupted, tot.findings,
			dms_slub_fp_name(fpm), stopped ? "true" : "false",
			r->reader_threads ? "parallel" : "readmem", r->reader_threads, secs);
		return;
	}
	fprintf(fp,
		"\nslabcheck: %zu caches, %" PRIu64 " slabs, %" PRIu64 " objects (%" PRIu64
		" allocated, %" PRIu64 " free, %" PRIu64 " unknown), %" PRIu64
		" corrupted objects, %" PRIu64 " findings; free pointers %s; %.2f s%s\n",
		only ? (size_t)1 : dms_slub_num_caches(r->slub), tot.slabs, tot.objects,
		tot.allocated, tot.free, tot.unknown, tot.corrupted, tot.findings,
		dms_slub_fp_name(fpm), secs, stopped ? " (interrupted: counts are partial)" : "");
}

// Findings of create (slab_caches list, impossible caches).
static void print_global_findings(struct run *r)
{
	size_t n = 0;
	const struct dms_slub_finding *f = dms_slub_findings(r->slub, &n);
	for (size_t i = 0; i < n; i++) {
		struct cstat *cs = cstat_of(r, dms_slub_cache_by_addr(r->slub, f[i].cache_addr));
		print_finding(r, cs, f[i].code, f[i].addr, f[i].value, f[i].cache_name,
			      f[i].cache_addr, f[i].slab, f[i].index, f[i].object, DMS_SLUB_UNKNOWN,
			      f[i].field, f[i].reason, NULL);
	}
}

struct list_ctx {
	struct run *r;
	struct cstat *cs;
};

static struct dms_error *on_list_finding(const struct dms_slub_finding *f, void *arg)
{
	struct list_ctx *l = arg;
	print_finding(l->r, l->cs, f->code, f->addr, f->value, f->cache_name, f->cache_addr,
		      f->slab, f->index, f->object, DMS_SLUB_UNKNOWN, f->field, f->reason, NULL);
	return NULL;
}

// The first oops of the log: the address it faulted on (the non-canonical
// address of a GPF headline, CR2 of a page fault).  Read once a session.
static struct {
	bool loaded;
	uint64_t values[2];
	size_t n;
	char headline[160];
} oops_cache;

static void oops_load(struct run *r)
{
	if (!oops_cache.loaded) {
		oops_cache.loaded = true; // also if dump_log longjmps
		open_tmpfile();
		dump_log(0);
		fflush(pc->tmpfile);
		long len = ftell(pc->tmpfile);
		char *log = len > 0 && len < (64L << 20) ? malloc((size_t)len + 1) : NULL;
		size_t got = 0;
		if (log) {
			rewind(pc->tmpfile);
			got = fread(log, 1, (size_t)len, pc->tmpfile);
			log[got] = '\0';
		}
		close_tmpfile();
		struct dms_oops o;
		memset(&o, 0, sizeof(o));
		if (log)
			dms_oops_parse(log, got, &o);
		free(log);
		if (o.found) {
			snprintf(oops_cache.headline, sizeof(oops_cache.headline), "%s",
				 o.headline);
			const char *a = strstr(o.headline, "address");
			if (a) {
				a += strlen("address");
				while (*a == ' ' || *a == ':')
					a++;
				char *end;
				uint64_t v = strtoull(a, &end, 16);
				// The whole address or nothing: a garbled one is
				// not searched for as a shorter number.
				if (end != a && v >= 0x10000 &&
				    (*end == ':' || *end == ' ' || !*end))
					oops_cache.values[oops_cache.n++] = v;
			}
			if (o.has_cr2 && o.cr2 >= 0x10000 &&
			    (!oops_cache.n || o.cr2 != oops_cache.values[0]))
				oops_cache.values[oops_cache.n++] = o.cr2;
		}
	}
	r->nsuspects = oops_cache.n;
	memcpy(r->suspects, oops_cache.values, sizeof(r->suspects));
	snprintf(r->oops_headline, sizeof(r->oops_headline), "%s", oops_cache.headline);
}

static void check_all(struct run *r, const struct dms_slub_cache *only)
{
	size_t n = dms_slub_num_caches(r->slub);
	r->stats = calloc(n ? n : 1, sizeof(*r->stats));
	if (!r->stats) {
		error(INFO, "out of memory\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		r->stats[i].cache = dms_slub_cache_at(r->slub, i);
	r->nstats = n;
	qsort(r->stats, n, sizeof(*r->stats), cstat_cmp);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->ccfg.pointer = dms_ext_ptr_info;
	oops_load(r);
	print_global_findings(r);
	struct dms_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		const struct dms_slub_cache *c = dms_slub_cache_at(r->slub, i);
		if (only && c != only)
			continue;
		struct list_ctx l = { r, cstat_of(r, c) };
		err = dms_slub_check_lists(r->slub, c, on_list_finding, &l, NULL);
	}
	// Every slab: their bytes from the parallel reader (slabs come in pfn order).  One
	// cache's slabs are a few pages spread over memory: readmem reads only those.
	char why[256];
	if (!err && !only && !r->readmem_only) {
		if (dms_ext_slub_stream(r->threads, why, sizeof(why)))
			r->reader_threads = dms_ext_slub_stream_threads();
		else if (!r->json)
			fprintf(fp, "slabcheck: NOTE: reading through crash's readmem: %s\n", why);
	}
	if (!err)
		err = dms_slub_for_each_slab(r->slub, only, on_slab, r);
	dms_ext_slub_unstream();
	dms_progress_clear(&r->progress);
	bool stopped =
		dms_interrupted() || dms_ext_slub_stopped() || (err && err->code == DMS_ERR_STOP);
	if (err && err->code != DMS_ERR_STOP)
		error(INFO, "%s\n", err->message ? err->message : "error");
	dms_error_destroy(err);
	// An interrupted walk leaves partial analyses behind.
	if (stopped)
		dms_slub_flush(r->slub);
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_summary(r, only, stopped, dms_elapsed(&r->t0, &t1));
}

// --- slabcheck ADDR ---

struct obj_ctx {
	struct run *r;
	const struct dms_slub_obj *o;
	struct cstat cs;
	size_t nslab_findings;
};

static struct dms_error *on_obj_slab(const struct dms_slub_slab *s, void *arg)
{
	struct obj_ctx *x = arg;
	for (size_t i = 0; i < s->nfindings; i++) {
		const struct dms_slub_finding *f = &s->findings[i];
		if (f->index != (int64_t)x->o->index && !x->r->verbose) {
			x->nslab_findings++;
			continue;
		}
		int st = f->index >= 0 && s->state && (uint64_t)f->index < s->objects
				 ? s->state[f->index]
				 : DMS_SLUB_UNKNOWN;
		print_finding(x->r, &x->cs, f->code, f->addr, f->value, f->cache_name,
			      f->cache_addr, f->slab, f->index, f->object, st, f->field, f->reason,
			      NULL);
	}
	return NULL;
}

struct objframe_ctx {
	uint64_t obj_off, obj_len;
	char text[4][200];
	size_t n;
};

static struct dms_error *on_obj_frame(const struct dms_hit *hit, void *arg)
{
	struct objframe_ctx *x = arg;
	uint64_t s = hit->pkt.offset, e = s + hit->pkt.caplen;
	if (e <= x->obj_off || s >= x->obj_off + x->obj_len || x->n >= 4)
		return NULL;
	char desc[128];
	dms_pkt_format(&hit->pkt, desc, sizeof(desc));
	int64_t rel = (int64_t)s - (int64_t)x->obj_off;
	snprintf(x->text[x->n++], sizeof(x->text[0]), "%s at %s%#" PRIx64 " (%" PRIu64 " bytes)",
		 desc, rel < 0 ? "-" : "+", (uint64_t)(rel < 0 ? -rel : rel), e - s);
	return NULL;
}

static void check_addr(struct run *r)
{
	struct dms_slub_obj o;
	struct dms_error *err = r->phys ? dms_slub_lookup_phys(r->slub, r->addr, &o)
					: dms_slub_lookup(r->slub, r->addr, &o);
	if (err) {
		error(INFO, "%s\n", err->message ? err->message : "lookup failed");
		dms_error_destroy(err);
		return;
	}
	static const char *const where[] = { "unknown (no struct page)",
					     "not a slab page",
					     "slab page of an unknown cache",
					     "slab tail",
					     "slab object",
					     "garbage struct page" };
	const struct dms_slub_cache *c = o.cache;
	if (o.where != DMS_SLUB_WHERE_OBJECT || !c) {
		// A known cache whose kmem_cache has impossible sizes: its slabs
		// are not walked, the slab's cache is not unknown.
		const char *w = o.where == DMS_SLUB_WHERE_BAD_SLAB && c && !c->valid
					? "slab page of a cache with impossible sizes"
					: where[o.where];
		if (r->json) {
			fprintf(fp, "{\"type\":\"object\",\"addr\":\"0x%" PRIx64 "\",\"where\":",
				o.addr);
			dms_json_str(fp, w);
			fprintf(fp, ",\"cache\":");
			if (c)
				dms_json_str(fp, c->name);
			else
				fprintf(fp, "null");
			if (o.where == DMS_SLUB_WHERE_BAD_PAGE) {
				fprintf(fp,
					",\"struct_page\":\"0x%" PRIx64 "\",\"compound_head\":"
					"\"0x%" PRIx64 "\",\"why\":",
					o.slab, o.page_value);
				dms_json_str(fp, o.page_why);
			}
			fprintf(fp, "}\n");
		} else {
			fprintf(fp, "%" PRIx64 ": %s", r->phys ? o.paddr : o.addr, w);
			if (c)
				fprintf(fp, " (cache %s, slab %" PRIx64 ")", c->name, o.slab);
			else if (o.where == DMS_SLUB_WHERE_BAD_SLAB)
				fprintf(fp, " (slab %" PRIx64 ", slab_cache %" PRIx64 ")", o.slab,
					o.cache_addr);
			else if (o.where == DMS_SLUB_WHERE_BAD_PAGE)
				fprintf(fp,
					" (struct page %" PRIx64 ": compound_head %" PRIx64 ": %s)",
					o.slab, o.page_value, o.page_why);
			fputc('\n', fp);
		}
		return;
	}
	// The object's bytes, with room before it for a frame that runs in.
	uint64_t before = o.object - o.slab_base;
	if (before > FRAME_LOOKBACK)
		before = FRAME_LOOKBACK;
	size_t len = before + c->size;
	r->buf = calloc(1, len);
	if (!r->buf) {
		error(INFO, "out of memory\n");
		return;
	}
	uint64_t opa = 0;
	size_t got = 0;
	if (dms_kvaddr_to_paddr(o.object - before, &opa))
		got = dms_read_phys(opa, r->buf, len);
	const uint8_t *obj = r->buf + before;
	size_t objlen = got > before ? got - before : 0;
	if (objlen > c->object_size)
		objlen = c->object_size;

	struct dms_classify_config cfg = { .pointer = dms_ext_ptr_info };
	struct dms_class_result cr;
	memset(&cr, 0, sizeof(cr));
	char cls[320] = "not in the dump";
	if (objlen) {
		err = dms_classify(obj, objlen, o.object, &cfg, &cr);
		if (!err)
			dms_class_format(&cr, cls, sizeof(cls));
		dms_error_destroy(err);
	}
	struct objframe_ctx fx = { .obj_off = before, .obj_len = objlen };
	if (got > before) {
		struct dms_scan scan;
		dms_scan_init(&scan);
		dms_error_destroy(dms_scan_buffer(&scan, r->buf, got, got, 0, on_obj_frame, &fx));
	}
	bool merged = false;
	const struct dms_cache_rules *rules =
		r->oc ? dms_objcheck_rules_for(r->oc, c, &merged) : NULL;
	struct dms_objcheck_failure fail[MAX_CHECK_FAILURES];
	size_t nfail = 0;
	if (rules && objlen) {
		err = dms_objcheck_object(r->oc, rules, o.object, obj, objlen, fail,
					  MAX_CHECK_FAILURES, &nfail);
		dms_error_destroy(err);
	}
	// Words equal to the address the oops faulted on.
	oops_load(r);
	char oopsw[4][64];
	size_t noops = 0;
	for (size_t k = 0; k + 8 <= objlen && noops < 4; k += 8) {
		uint64_t w;
		memcpy(&w, obj + k, 8);
		for (size_t v = 0; v < r->nsuspects; v++)
			if (w == r->suspects[v] && noops < 4)
				snprintf(oopsw[noops++], sizeof(oopsw[0]), "+%#zx holds %#" PRIx64,
					 k, w);
	}
	const char *verdict = fx.n		  ? "packet"
			      : noops		  ? "holds the oops' faulting address"
			      : nfail		  ? "corrupted fields"
			      : o.object_findings ? "allocator metadata corrupted"
			      : !objlen		  ? "not in the dump: its bytes were not checked"
						  : "no corruption found";
	if (r->json) {
		fprintf(fp,
			"{\"type\":\"object\",\"addr\":\"0x%" PRIx64 "\",\"where\":\"slab object\","
			"\"cache\":",
			o.addr);
		dms_json_str(fp, c->name);
		fprintf(fp,
			",\"cache_addr\":\"0x%" PRIx64 "\",\"slab\":\"0x%" PRIx64
			"\",\"slab_base\":\"0x%" PRIx64 "\",\"index\":%u,\"object\":\"0x%" PRIx64
			"\",\"offset\":%" PRId64
			",\"object_size\":%u,\"size\":%u,\"state\":\"%s\",\"slab_findings\":%u,"
			"\"object_findings\":%u,\"field_failures\":%zu,\"frames\":%zu,\"oops_"
			"values\":%zu,"
			"\"class\":\"%s\","
			"\"classify\":",
			c->addr, o.slab, o.slab_base, o.index, o.object, o.offset, c->object_size,
			c->size, dms_slub_state_name(o.state), o.slab_findings, o.object_findings,
			nfail, fx.n, noops, objlen ? dms_class_name(cr.dominant) : "unknown");
		dms_json_str(fp, cls);
		fprintf(fp, ",\"verdict\":\"%s\"}\n", verdict);
	} else {
		fprintf(fp, "%" PRIx64 ": slab object\n", r->phys ? o.paddr : o.addr);
		fprintf(fp, "  cache    %s (%" PRIx64 "), object size %u, stride %u%s\n", c->name,
			c->addr, c->object_size, c->size, merged ? ", merged" : "");
		fprintf(fp, "  slab     %" PRIx64 " (memory %" PRIx64 ")\n", o.slab, o.slab_base);
		fprintf(fp, "  object   %" PRIx64 " index %u, offset %s%#" PRIx64 ", %s\n",
			o.object, o.index, o.offset < 0 ? "-" : "+",
			(uint64_t)(o.offset < 0 ? -o.offset : o.offset),
			dms_slub_state_name(o.state));
		fprintf(fp, "  contents ");
		fputs(cls, fp);
		fputc('\n', fp);
		for (size_t i = 0; i < fx.n; i++) {
			fprintf(fp, "  frame    ");
			fputs(fx.text[i], fp);
			fputc('\n', fp);
		}
		for (size_t i = 0; i < nfail && i < MAX_CHECK_FAILURES; i++) {
			fprintf(fp, "  field    ");
			fputs(fail[i].reason, fp);
			fprintf(fp, " (%s)%s\n", dms_class_name(fail[i].cls),
				merged ? " (merged cache: a hint)" : "");
		}
		for (size_t i = 0; i < noops; i++) {
			fprintf(fp, "  oops     %s, the address the oops faulted on: ", oopsw[i]);
			fputs(r->oops_headline, fp);
			fputc('\n', fp);
		}
		fprintf(fp, "  verdict  %s; %u allocator findings in the object, %u in its slab\n",
			verdict, o.object_findings, o.slab_findings);
	}
	// The model's findings of this object (all of the slab's with -v).
	struct obj_ctx x = { .r = r, .o = &o };
	err = dms_slub_slab_analyze(r->slub, o.slab, on_obj_slab, &x);
	dms_error_destroy(err);
	if (r->verbose && !r->json && objlen) {
		fprintf(fp, "\n");
		for (size_t i = 0; i < objlen; i += 16) {
			fprintf(fp, "  %" PRIx64 ":", o.object + i);
			for (size_t k = i; k < i + 16 && k < objlen; k += 8) {
				uint64_t w = 0;
				memcpy(&w, obj + k, objlen - k >= 8 ? 8 : objlen - k);
				fprintf(fp, "  %016" PRIx64, w);
			}
			fprintf(fp, "   ");
			for (size_t k = i; k < i + 16 && k < objlen; k++)
				fputc(obj[k] >= 0x20 && obj[k] < 0x7f ? obj[k] : '.', fp);
			fputc('\n', fp);
		}
	}
}

void dms_cmd_slabcheck(void)
{
	struct run *r = &run;
	run_release(r);
	memset(r, 0, sizeof(*r));
	int c;
	while ((c = getopt(argcnt, args, "c:jvqpMt:")) != EOF) {
		switch (c) {
		case 'M':
			r->readmem_only = true;
			break;
		case 't':
			if (!dms_creader_threads_arg(optarg, &r->threads))
				argerrs++;
			break;
		case 'c':
			r->cache_name = optarg;
			break;
		case 'j':
			r->json = true;
			break;
		case 'v':
			r->verbose = true;
			break;
		case 'q':
			r->quiet = true;
			break;
		case 'p':
			r->phys = true;
			break;
		default:
			argerrs++;
		}
	}
	if (args[optind]) {
		if (!hexadecimal(args[optind], 0) || args[optind + 1]) {
			argerrs++;
		} else {
			r->addr = htol(args[optind], FAULT_ON_ERROR, NULL);
			r->has_addr = true;
		}
	}
	if (argerrs || (r->has_addr && r->cache_name))
		cmd_usage(pc->curcmd, SYNOPSIS);

	const char *why = "unknown reason";
	r->slub = dms_ext_slub(&why);
	if (!r->slub) {
		error(INFO, "disabled: %s\n", why);
		return;
	}
	const char *owhy = NULL;
	r->oc = dms_ext_objcheck(&owhy);
	const struct dms_slub_cache *only = NULL;
	if (r->cache_name) {
		only = dms_slub_cache_by_name(r->slub, r->cache_name);
		if (!only && hexadecimal(r->cache_name, 0))
			only = dms_slub_cache_by_addr(r->slub,
						      htol(r->cache_name, RETURN_ON_ERROR, NULL));
		if (!only) {
			// crash's error() prefixes the command's name.
			error(INFO, "no cache named \"%s\"\n", r->cache_name);
			return;
		}
	}
	r->progress.quiet = r->quiet || r->json;
	dms_interrupt_begin(&r->intr);
	dms_ext_slub_set_tick(tick, r);
	if (!r->oc && !r->json && !r->has_addr)
		fprintf(fp, "slabcheck: no field checks: %s\n", owhy ? owhy : "?");
	if (r->has_addr)
		check_addr(r);
	else
		check_all(r, only);
	run_release(r);
}

char *dms_help_slabcheck[] = {
	"slabcheck",
	"SLUB objects by state, and corruption in them",
	"[-c cache | [-p] addr] [-j] [-v] [-q] [-M | -t threads]",
	"  Walks every slab of every kmem_cache (or of one) from the memory map:",
	"  each struct page with PG_slab, its slab_cache, freelist and counters, so",
	"  full slabs and slabs on broken lists are counted too.  Objects are",
	"  allocated, free (on the slab's freelist or a CPU's lockless freelist) or",
	"  unknown (a freelist walk broke before reaching them).  Hardened freelist",
	"  pointers are decoded; the encoding is probed from the dump.",
	"",
	"  Findings, one line each (address, cache, object, field, code, why):",
	"    FREELIST_OUTSIDE, FREELIST_MISALIGNED, FREELIST_CYCLE,",
	"    FREELIST_DUPLICATE   a freelist pointer that SLUB could not have written",
	"    COUNT_MISMATCH, BAD_COUNTERS, BAD_CACHE, BAD_GEOMETRY, LIST_CORRUPT",
	"    POISON, REDZONE      slub_debug bytes overwritten (caches with debug on)",
	"    FIELD                a type-aware check of an allocated object failed",
	"                         (vm_area_struct, filp, dentry, anon_vma, mm_struct,",
	"                         cred: e.g. vm_mm is not a kernel address)",
	"    PACKET               a network frame inside an object of a cache that",
	"                         never holds packets (not kmalloc-*, skbuff_*)",
	"    OOPS_VALUE           a word equal to the address the log's first oops",
	"                         faulted on (how a bogus pointer in an untyped",
	"                         kmalloc object is found)",
	"  A corrupt slab is reported and skipped; the walk goes on.  Then a table per",
	"  cache: objects, allocated, free, unknown, corrupted objects, findings.",
	"  Ctrl-C stops the walk and prints what was counted.",
	"",
	"  addr      which object holds this kernel (direct-map) address: cache, slab,",
	"            index, object base, offset, state, the allocator's findings on",
	"            it, field checks, and what its bytes look like (packet, pointers,",
	"            ASCII, zeros, ...), with frames that run into it from before.",
	"   -p       addr is a physical address.",
	"   -c cache only this cache (name, alias or kmem_cache address).",
	"   -j       JSON lines: finding, cache, object and summary objects",
	"            (docs/json.md).",
	"   -v       every finding line (default: 20 per cache), NOT_IN_DUMP notes,",
	"            for addr also the slab's other findings and a dump of the object.",
	"   -q       no progress output.",
	"   -t threads  the walk of every slab reads the slabs' bytes from a",
	"            kdump-compressed (also flattened) or ELF dump file itself, this",
	"            many threads decompressing pages ahead (default 0: one per CPU),",
	"            after checking sample pages against readmem; otherwise a NOTE",
	"            and readmem.  The same bytes either way (docs/performance.md).",
	"            -c and addr read through readmem (a few pages).",
	"   -M       read through crash's readmem only.",
	"\nEXAMPLE",
#include "slabcheck_example.h" // generated from docs/examples/slabcheck.txt
	NULL,
};
