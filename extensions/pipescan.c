// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: a pipelined full scan.
//
// dms_scan_reader() reads and scans in turn.  Inside crash, reading (page
// decompression in readmem) and scanning cost about the same, and crash is
// not thread-safe; so the main thread does everything that calls crash
// (reads, owner look-ups, output) and one worker thread runs only the pure
// lib/ scanner over the previous chunk.  Three buffers rotate: the worker
// scans chunk k+1 while the main thread reports chunk k's hits (their data
// still in buffer k) and then reads chunk k+2.  The look-ahead that chunk k
// read past its end is copied into chunk k+1 instead of being read again.
#include <crash/defs.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "dms_ext.h"
#include "scan.h"

// Scan chunk and look-ahead (the largest IP packet plus its L2 header).
#define CHUNK (1U << 20)
#define LOOKAHEAD (65535U + DMS_SCAN_MAX_L2_HDR)
#define NBUF 3

struct job {
	uint8_t *buf;
	uint64_t base;
	size_t len, scan_len;
	// Hits found by the worker; data points into buf.
	struct dms_hit *hits;
	size_t nhits, cap;
	struct dms_error *err;
};

struct pipe {
	struct dms_scan *scan;
	const struct dms_reader *reader;
	dms_hit_fn *fn;
	void *arg;
	struct job jobs[NBUF];
	// Index of the next job to fill, and the job the worker has (-1: none).
	unsigned int next;
	int running;
	pthread_t worker;
	bool threaded;
	// The last buffer filled: its bytes past scan_len are the next chunk's
	// first bytes.
	struct job *prev;
	struct dms_error *err;
};

static struct dms_error *collect(const struct dms_hit *hit, void *arg)
{
	struct job *j = arg;
	if (j->nhits == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 256;
		struct dms_hit *h = realloc(j->hits, cap * sizeof(*h));
		if (!h)
			return &dms_enomem;
		j->hits = h;
		j->cap = cap;
	}
	j->hits[j->nhits++] = *hit;
	return NULL;
}

struct worker_arg {
	struct dms_scan *scan;
	struct job *job;
};

static struct worker_arg wargs;

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	struct job *j = w->job;
	j->err = dms_scan_buffer(w->scan, j->buf, j->len, j->scan_len, j->base, collect, j);
	return NULL;
}

static int start_worker(struct pipe *p, struct job *j)
{
	// Signals (Ctrl-C) go to the main thread, which polls for them.
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	wargs.scan = p->scan;
	wargs.job = j;
	int rc = pthread_create(&p->worker, NULL, worker, &wargs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static struct dms_error *report(struct pipe *p, struct job *j)
{
	struct dms_error *err = j->err;
	j->err = NULL;
	for (size_t i = 0; i < j->nhits && !err; i++)
		err = p->fn(&j->hits[i], p->arg);
	j->nhits = 0;
	return err;
}

// Wait for the worker; returns the job it scanned (NULL if none).
static struct job *join(struct pipe *p)
{
	if (p->running < 0)
		return NULL;
	pthread_join(p->worker, NULL);
	struct job *j = &p->jobs[p->running];
	p->running = -1;
	return j;
}

// Start scanning j, then report the hits of the job scanned before it
// (main thread: reporting may call crash) while the worker runs.
static struct dms_error *submit(struct pipe *p, struct job *j)
{
	struct job *done = join(p);
	if (p->threaded && start_worker(p, j) == 0) {
		p->running = (int)(j - p->jobs);
	} else {
		// No thread: scan here.
		j->err = dms_scan_buffer(p->scan, j->buf, j->len, j->scan_len, j->base, collect, j);
	}
	struct dms_error *err = done ? report(p, done) : NULL;
	if (!err && p->running < 0)
		err = report(p, j);
	return err;
}

static struct dms_error *pipe_range(uint64_t paddr, uint64_t len, void *arg)
{
	struct pipe *p = arg;
	uint64_t end = paddr + len;
	for (uint64_t pos = paddr; pos < end;) {
		size_t n = end - pos < CHUNK ? (size_t)(end - pos) : CHUNK;
		size_t want = n + LOOKAHEAD;
		struct job *j = &p->jobs[p->next];
		size_t have = 0;
		// Bytes the previous chunk already read past its end.
		struct job *q = p->prev;
		if (q && pos >= q->base && pos < q->base + q->len) {
			have = (size_t)(q->base + q->len - pos);
			if (have > want)
				have = want;
			memcpy(j->buf, q->buf + (pos - q->base), have);
		}
		size_t got = 0;
		struct dms_error *err = NULL;
		if (have < want)
			err = dms_reader_read_phys(p->reader, pos + have, j->buf + have,
						   want - have, &got);
		if (err)
			return err;
		got += have;
		if (got == 0) {
			uint64_t ps = p->reader->page_size;
			pos = (pos | (ps - 1)) + 1;
			p->prev = NULL;
			continue;
		}
		j->base = pos;
		j->len = got;
		j->scan_len = got < n ? got : n;
		err = submit(p, j);
		if (err)
			return err;
		p->prev = j;
		p->next = (p->next + 1) % NBUF;
		pos += j->scan_len;
	}
	return NULL;
}

struct dms_error *dms_pipescan(struct dms_scan *scan, const struct dms_reader *reader,
			       uint64_t start, uint64_t end, bool threaded, dms_hit_fn *fn,
			       void *arg)
{
	struct pipe p = {
		.scan = scan,
		.reader = reader,
		.fn = fn,
		.arg = arg,
		.running = -1,
		.threaded = threaded,
	};
	struct dms_error *err = NULL;
	for (int i = 0; i < NBUF; i++) {
		p.jobs[i].buf = malloc(CHUNK + LOOKAHEAD);
		if (!p.jobs[i].buf) {
			err = &dms_enomem;
			goto out_free;
		}
	}
	err = dms_reader_for_each_range(reader, start, end, pipe_range, &p);
	struct job *last = join(&p);
	if (last) {
		struct dms_error *rerr = report(&p, last);
		if (!err)
			err = rerr;
		else
			dms_error_destroy(rerr);
	}
out_free:
	for (int i = 0; i < NBUF; i++) {
		free(p.jobs[i].buf);
		free(p.jobs[i].hits);
	}
	return err;
}
