// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: struct dms_reader over crash's readmem().
//
// Physical reads go through readmem(PHYSADDR, QUIET|RETURN_ON_ERROR) one
// page at a time: a page that is excluded (makedumpfile -d), missing or
// outside the dump fails quietly and the read stops short there, which is
// what the reader interface expects.  Dumpable ranges come from crash's
// memory node table only (never from kernel lists a DMA may have corrupted);
// holes inside a node simply read short.
#include <crash/defs.h>

#include <stdlib.h>
#include <string.h>

#include "dms_ext.h"
#include "dumpfile.h"

struct dms_creader {
	struct dms_reader reader;
	// A parallel pass over crash's dump file, when attached (dms_creader_stream()).
	struct dms_pstream *ps;
	bool virt;
	dms_creader_tick_fn *tick;
	void *tick_arg;
	bool stopped;
	uint64_t bytes_read;
};

size_t dms_read_phys(uint64_t paddr, void *buf, size_t len)
{
	uint64_t ps = PAGESIZE();
	size_t done = 0;
	while (done < len) {
		uint64_t pa = paddr + done;
		size_t n = ps - (pa & (ps - 1));
		if (n > len - done)
			n = len - done;
		if (!readmem(pa, PHYSADDR, (char *)buf + done, n, "dmasleuth phys",
			     QUIET | RETURN_ON_ERROR))
			break;
		done += n;
	}
	return done;
}

// The direct map is the facts table's (on arm64 it starts at the start of
// RAM, not at physical 0).
bool dms_paddr_to_kvaddr(uint64_t paddr, uint64_t *ret)
{
	return dms_kf_phys_to_virt(&dms_kf, paddr, ret);
}

bool dms_kvaddr_to_paddr(uint64_t kvaddr, uint64_t *ret)
{
	return dms_kf_virt_to_phys(&dms_kf, kvaddr, ret);
}

static struct dms_error *stop_error(struct dms_creader *cr, uint64_t pos)
{
	cr->stopped = true;
	return dms_error_create_at(DMS_ERR_STOP, pos, "interrupted");
}

static struct dms_error *phys_read(void *ctx, uint64_t paddr, void *buf, size_t len, size_t *ret)
{
	struct dms_creader *cr = ctx;
	if (cr->tick && !cr->tick(paddr, cr->tick_arg))
		return stop_error(cr, paddr);
	if (cr->ps) {
		struct dms_error *err =
			dms_reader_read_phys(dms_pstream_reader(cr->ps), paddr, buf, len, ret);
		if (err)
			return err;
	} else {
		*ret = dms_read_phys(paddr, buf, len);
	}
	cr->bytes_read += *ret;
	return NULL;
}

// Memory nodes in increasing address order.
static int node_cmp(const void *a, const void *b)
{
	const struct node_table *x = a, *y = b;
	return x->start_paddr < y->start_paddr ? -1 : x->start_paddr > y->start_paddr;
}

static struct dms_error *phys_ranges(void *ctx, uint64_t start, uint64_t end, dms_range_fn *fn,
				     void *arg)
{
	(void)ctx;
	int n = vt->numnodes > 0 ? vt->numnodes : 0;
	struct node_table *nodes = calloc(n ? n : 1, sizeof(*nodes));
	if (!nodes)
		return &dms_enomem;
	memcpy(nodes, vt->node_table, n * sizeof(*nodes));
	qsort(nodes, n, sizeof(*nodes), node_cmp);
	struct dms_error *err = NULL;
	uint64_t done = start; // ranges never overlap, even if nodes do
	for (int i = 0; i < n && !err; i++) {
		uint64_t s = nodes[i].start_paddr;
		uint64_t e = s + (uint64_t)nodes[i].size * PAGESIZE();
		if (s < done)
			s = done;
		if (e > end)
			e = end;
		if (s >= e)
			continue;
		err = fn(s, e - s, arg);
		done = e;
	}
	free(nodes);
	return err;
}

static struct dms_error *p2v(void *ctx, uint64_t paddr, uint64_t *ret)
{
	(void)ctx;
	if (!dms_paddr_to_kvaddr(paddr, ret))
		return dms_error_create_at(DMS_ERR_NOT_FOUND, paddr, "not in the direct map");
	return NULL;
}

static struct dms_error *v2p(void *ctx, uint64_t kvaddr, uint64_t *ret)
{
	(void)ctx;
	if (!dms_kvaddr_to_paddr(kvaddr, ret))
		return dms_error_create_at(DMS_ERR_NOT_FOUND, kvaddr, "not in the direct map");
	return NULL;
}

static const struct dms_reader_ops phys_ops = {
	.read_phys = phys_read,
	.for_each_range = phys_ranges,
	.kvaddr_to_paddr = v2p,
	.paddr_to_kvaddr = p2v,
};

// Virtual reader: positions are kernel virtual addresses.

static struct dms_error *virt_read(void *ctx, uint64_t vaddr, void *buf, size_t len, size_t *ret)
{
	struct dms_creader *cr = ctx;
	if (cr->tick && !cr->tick(vaddr, cr->tick_arg))
		return stop_error(cr, vaddr);
	uint64_t ps = PAGESIZE();
	size_t done = 0;
	while (done < len) {
		uint64_t va = vaddr + done;
		if (va < vaddr)
			break;
		size_t n = ps - (va & (ps - 1));
		if (n > len - done)
			n = len - done;
		if (!readmem(va, KVADDR, (char *)buf + done, n, "dmasleuth virt",
			     QUIET | RETURN_ON_ERROR))
			break;
		done += n;
	}
	*ret = done;
	cr->bytes_read += done;
	return NULL;
}

static bool vpage_mapped(uint64_t va)
{
	physaddr_t pa;
	return kvtop(NULL, va, &pa, 0) != 0;
}

static struct dms_error *virt_ranges(void *ctx, uint64_t start, uint64_t end, dms_range_fn *fn,
				     void *arg)
{
	struct dms_creader *cr = ctx;
	uint64_t ps = PAGESIZE();
	uint64_t run = 0;
	bool in_run = false;
	for (uint64_t va = start & ~(ps - 1); va < end; va += ps) {
		// Long unmapped stretches: let the user interrupt them too.
		if (((va / ps) & 0xffff) == 0 && cr->tick && !cr->tick(va, cr->tick_arg))
			return stop_error(cr, va);
		bool mapped = vpage_mapped(va);
		if (mapped && !in_run) {
			run = va < start ? start : va;
			in_run = true;
		} else if (!mapped && in_run) {
			struct dms_error *err = fn(run, va - run, arg);
			if (err)
				return err;
			in_run = false;
		}
		if (va + ps < va)
			break;
	}
	if (in_run)
		return fn(run, end - run, arg);
	return NULL;
}

static struct dms_error *virt_v2p(void *ctx, uint64_t kvaddr, uint64_t *ret)
{
	(void)ctx;
	physaddr_t pa;
	if (!kvtop(NULL, kvaddr, &pa, 0))
		return dms_error_create_at(DMS_ERR_NOT_FOUND, kvaddr, "not mapped");
	*ret = pa;
	return NULL;
}

static const struct dms_reader_ops virt_ops = {
	.read_phys = virt_read,
	.for_each_range = virt_ranges,
	.kvaddr_to_paddr = virt_v2p,
	.paddr_to_kvaddr = p2v,
};

static struct dms_creader *creader_create(bool virt, dms_creader_tick_fn *tick, void *arg)
{
	struct dms_creader *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return NULL;
	cr->virt = virt;
	cr->tick = tick;
	cr->tick_arg = arg;
	cr->reader.ops = virt ? &virt_ops : &phys_ops;
	cr->reader.ctx = cr;
	cr->reader.page_size = PAGESIZE();
	return cr;
}

struct dms_creader *dms_creader_phys_create(dms_creader_tick_fn *tick, void *arg)
{
	return creader_create(false, tick, arg);
}

struct dms_creader *dms_creader_virt_create(dms_creader_tick_fn *tick, void *arg)
{
	return creader_create(true, tick, arg);
}

const struct dms_reader *dms_creader_reader(struct dms_creader *cr)
{
	return &cr->reader;
}

bool dms_creader_stopped(const struct dms_creader *cr)
{
	return cr->stopped;
}

uint64_t dms_creader_bytes_read(const struct dms_creader *cr)
{
	return cr->bytes_read;
}

void dms_creader_destroy(struct dms_creader *cr)
{
	if (!cr)
		return;
	dms_pstream_destroy(cr->ps);
	free(cr);
}

// The dump file crash opened, read by lib/dumpfile: opened (and, if flattened,
// indexed) once per session.
static struct {
	char *path;
	struct dms_dumpfile *df;
	char why[200];
} dump;

// Pages compared with readmem before a dump file is trusted: the first
// present ones and some spread over the dump.
#define CHECK_PAGES 16

static bool dump_agrees(struct dms_dumpfile *df, char *why, size_t whylen)
{
	const struct dms_dumpfile_info *in = dms_dumpfile_info(df);
	// The reader is byte-addressed: a dump page (QEMU writes the arm64 guest's
	// in 64 KiB blocks) may hold several of crash's pages, never a part of one.
	uint64_t ps = PAGESIZE(), dps = in->page_size;
	if (dps < ps || dps % ps) {
		snprintf(why, whylen,
			 "the dump file's page size %llu is not a multiple of crash's %llu",
			 (unsigned long long)dps, (unsigned long long)ps);
		return false;
	}
	uint8_t *a = malloc(dps), *b = malloc(dps);
	bool ok = a && b;
	int checked = 0;
	uint64_t step = in->max_pfn / CHECK_PAGES + 1;
	for (uint64_t pfn = 0; ok && pfn < in->max_pfn && checked < CHECK_PAGES; pfn++) {
		if (!dms_dumpfile_present(df, pfn))
			continue;
		size_t got = 0;
		dms_error_destroy(
			dms_reader_read_phys(dms_dumpfile_reader(df), pfn * dps, a, dps, &got));
		bool crash_has = readmem(pfn * dps, PHYSADDR, b, dps, "dmasleuth check",
					 QUIET | RETURN_ON_ERROR);
		if (got != dps || !crash_has || memcmp(a, b, dps)) {
			snprintf(why, whylen,
				 "the dump file does not read as crash reads it (page %#llx)",
				 (unsigned long long)(pfn * dps));
			ok = false;
		}
		checked++;
		// The first few present pages, then one in each stretch of the dump.
		if (checked >= 4 && pfn + step > pfn)
			pfn = (pfn / step + 1) * step - 1;
	}
	free(a);
	free(b);
	return ok;
}

static struct dms_dumpfile *session_dump(char *why, size_t whylen)
{
	if (!pc->dumpfile || LIVE() || !(pc->flags & (DISKDUMP | KDUMP))) {
		snprintf(why, whylen,
			 "crash did not open a kdump-compressed or ELF dump file (the parallel "
			 "reader reads only those)");
		return NULL;
	}
	if (dump.path && strcmp(dump.path, pc->dumpfile) == 0) {
		if (!dump.df)
			snprintf(why, whylen, "%s", dump.why);
		return dump.df;
	}
	dms_dumpfile_destroy(dump.df);
	free(dump.path);
	dump.df = NULL;
	dump.why[0] = '\0';
	dump.path = strdup(pc->dumpfile);
	struct dms_dumpfile *df = NULL;
	struct dms_error *err = dms_dumpfile_open(pc->dumpfile, NULL, &df);
	if (err) {
		snprintf(dump.why, sizeof(dump.why), "%s", err->message ? err->message : "?");
		dms_error_destroy(err);
	} else if (!dump_agrees(df, dump.why, sizeof(dump.why))) {
		dms_dumpfile_destroy(df);
		df = NULL;
	}
	dump.df = df;
	if (!df)
		snprintf(why, whylen, "%s", dump.why);
	return df;
}

bool dms_creader_stream(struct dms_creader *cr, uint64_t start, uint64_t end, unsigned int threads,
			char *why, size_t whylen)
{
	return dms_creader_stream_want(cr, start, end, threads, NULL, NULL, why, whylen);
}

bool dms_creader_stream_want(struct dms_creader *cr, uint64_t start, uint64_t end,
			     unsigned int threads, bool (*want)(uint64_t, uint64_t, void *),
			     void *want_arg, char *why, size_t whylen)
{
	if (cr->virt || cr->ps) {
		snprintf(why, whylen, "not a physical reader");
		return false;
	}
	struct dms_dumpfile *df = session_dump(why, whylen);
	if (!df)
		return false;
	// Only read_phys goes to the stream: ranges stay crash's node table.
	struct dms_pstream_config cfg = { .threads = threads, .want = want, .want_arg = want_arg };
	struct dms_error *err = dms_pstream_create(df, start, end, &cfg, &cr->ps);
	if (err) {
		snprintf(why, whylen, "%s", err->message ? err->message : "?");
		dms_error_destroy(err);
		cr->ps = NULL;
		return false;
	}
	return true;
}

bool dms_creader_threads_arg(const char *arg, unsigned int *ret)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);
	if (*end || end == arg || n > 64)
		return false;
	*ret = (unsigned int)n;
	return true;
}

unsigned int dms_creader_stream_threads(const struct dms_creader *cr)
{
	if (!cr->ps)
		return 0;
	struct dms_pstream_stats st;
	dms_pstream_stats(cr->ps, &st);
	return st.threads;
}

void dms_creader_unstream(struct dms_creader *cr)
{
	dms_pstream_destroy(cr->ps);
	cr->ps = NULL;
}

const char *dms_creader_dump_format(void)
{
	return dump.df ? dms_dump_format_name(dms_dumpfile_info(dump.df)->format) : NULL;
}
