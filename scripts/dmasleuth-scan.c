// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth-scan: pktscan's carver without crash.  A kdump-compressed dump
// (plain or flattened), an ELF core or a raw memory image in; the same hit
// lines or JSON lines, flow and owner tables, and pcapng (a comment per
// packet) or pcap out.  Pages are decompressed by lib/dumpfile's parallel
// pass, one thread per CPU by default.  Positions are physical addresses:
// without crash there is no kernel model, so hits have no virtual address and
// no owner (docs/dmasleuth-scan.md; `pktscan` inside crash says who owns them).
//
// Exit status: 0 on success (hits or not), 1 on errors, 2 on usage errors.
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dumpfile.h"
#include "pcapw.h"
#include "report.h"
#include "scan.h"

// Owner key of every hit: no kernel model here.
#define NO_OWNER "unknown (no kernel model)"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct run {
	const char *path, *wfile;
	bool json, summary_only, quiet, classic_pcap, damaged, raw;
	uint64_t raw_base, start, end;
	unsigned int threads;
	struct dms_report *rep;
	struct dms_pcapng *png;
	struct dms_pcap *pcap;
	uint64_t write_errors;
	struct dms_error *write_err;
	// Progress (stderr, when it is a terminal).
	bool progress;
	struct timespec last;
	uint64_t hits, bytes;
};

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

// The reader the scan reads through: counts bytes, shows progress, stops at Ctrl-C.
struct counting {
	struct dms_reader reader;
	const struct dms_reader *inner;
	struct run *r;
};

static struct dms_error *c_read(void *ctx, uint64_t paddr, void *buf, size_t len, size_t *ret)
{
	struct counting *c = ctx;
	if (interrupted)
		return dms_error_create_at(DMS_ERR_STOP, paddr, "interrupted");
	struct dms_error *err = dms_reader_read_phys(c->inner, paddr, buf, len, ret);
	c->r->bytes += *ret;
	if (c->r->progress) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (elapsed(&c->r->last, &now) > 0.5) {
			c->r->last = now;
			fprintf(stderr, "\rdmasleuth-scan: %#" PRIx64 ", %" PRIu64 " hits ", paddr,
				c->r->hits);
		}
	}
	return err;
}

static struct dms_error *c_ranges(void *ctx, uint64_t start, uint64_t end, dms_range_fn *fn,
				  void *arg)
{
	struct counting *c = ctx;
	return dms_reader_for_each_range(c->inner, start, end, fn, arg);
}

static const struct dms_reader_ops counting_ops = {
	.read_phys = c_read,
	.for_each_range = c_ranges,
};

static struct dms_error *on_hit(const struct dms_hit *hit, void *arg)
{
	struct run *r = arg;
	const struct dms_pkt *p = &hit->pkt;
	char summary[256] = "";
	if (!r->summary_only || r->png || r->pcap)
		dms_pkt_format(p, summary, sizeof(summary));
	if (r->progress && !r->summary_only)
		fprintf(stderr, "\r%60s\r", "");
	r->hits++;
	if (r->png || r->pcap) {
		struct dms_pkt_meta meta = {
			.paddr = hit->pos,
			.has_paddr = true,
			.owner = NO_OWNER,
		};
		struct dms_error *err = r->png ? dms_pcapng_write(r->png, p, hit->data, &meta)
					       : dms_pcap_write(r->pcap, p, hit->data, &meta);
		if (err) {
			r->write_errors++;
			if (!r->write_err)
				r->write_err = err;
			else
				dms_error_destroy(err);
		}
	}
	struct dms_report_hit h = {
		.hit = hit,
		.paddr = hit->pos,
		.has_paddr = true,
		.summary = summary,
		.owner = "-",
		.owner_key = NO_OWNER,
	};
	dms_report_hit(r->rep, &h);
	return NULL;
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

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dmasleuth-scan [-j] [-s] [-q] [-w FILE [-F pcap|pcapng]] [-t THREADS]\n"
		"                      [-p START-END] [-d] [--raw[=BASE]] DUMP\n"
		"  DUMP       kdump-compressed (also flattened), ELF core, or with --raw a raw\n"
		"             image of physical memory starting at BASE (hex, default 0)\n"
		"  -j         JSON lines (docs/json.md; owner null), then a summary object\n"
		"  -s         summary tables only      -q  no progress on stderr\n"
		"  -w FILE    write the hits to FILE (pcapng with a comment per packet;\n"
		"             -F pcap: classic pcap, bare IP packets to FILE-raw.pcap)\n"
		"  -t N       decompressing threads (default 0: one per CPU)\n"
		"  -p S-E     scan physical addresses [S, E) only (hex)\n"
		"  -d         also report damaged frames (headers intact, payload overwritten)\n");
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	r.end = UINT64_MAX;
	static const struct option longopts[] = {
		{ "raw", optional_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "jsqw:F:t:p:dh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			r.json = true;
			break;
		case 's':
			r.summary_only = true;
			break;
		case 'q':
			r.quiet = true;
			break;
		case 'w':
			r.wfile = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "pcap") == 0)
				r.classic_pcap = true;
			else if (strcmp(optarg, "pcapng") != 0)
				goto bad_usage;
			break;
		case 't': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || end == optarg || n > 64)
				goto bad_usage;
			r.threads = (unsigned int)n;
			break;
		}
		case 'p':
			if (!parse_range(optarg, &r.start, &r.end))
				goto bad_usage;
			break;
		case 'd':
			r.damaged = true;
			break;
		case 'r':
			r.raw = true;
			if (optarg && !parse_u64(optarg, &r.raw_base))
				goto bad_usage;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind != argc - 1)
		goto bad_usage;
	r.path = argv[optind];

	int status = 1;
	struct dms_dumpfile *df = NULL;
	struct dms_pstream *ps = NULL;
	char *raw_path = NULL;
	struct dms_dumpfile_config dcfg = { .raw = r.raw, .raw_phys_base = r.raw_base };
	struct dms_error *err = dms_dumpfile_open(r.path, &dcfg, &df);
	if (err)
		goto out;
	const struct dms_dumpfile_info *in = dms_dumpfile_info(df);
	if (!r.json)
		printf("dmasleuth-scan: %s: %s, %" PRIu64 " pages present (%" PRIu64
		       " MiB), page size %" PRIu64 "%s%s\n",
		       r.path, dms_dump_format_name(in->format), in->present_pages,
		       in->present_pages * in->page_size >> 20, in->page_size,
		       in->release[0] ? ", kernel " : "", in->release);
	struct dms_report_config rc = {
		.out = stdout,
		.name = "dmasleuth-scan",
		.json = r.json,
		.summary_only = r.summary_only,
		.damaged = r.damaged,
		.page_size = in->page_size,
	};
	err = dms_report_create(&rc, &r.rep);
	if (err)
		goto out;
	if (r.wfile && r.classic_pcap) {
		size_t n = strlen(r.wfile);
		raw_path = malloc(n + 16);
		if (!raw_path) {
			err = &dms_enomem;
			goto out;
		}
		if (n > 5 && strcmp(r.wfile + n - 5, ".pcap") == 0)
			n -= 5;
		snprintf(raw_path, n + 16, "%.*s-raw.pcap", (int)n, r.wfile);
		err = dms_pcap_create(r.wfile, raw_path, &r.pcap);
	} else if (r.wfile) {
		err = dms_pcapng_create(r.wfile, &r.png);
	}
	if (err)
		goto out;
	struct dms_pstream_config pcfg = { .threads = r.threads };
	err = dms_pstream_create(df, r.start, r.end, &pcfg, &ps);
	if (err)
		goto out;
	struct dms_pstream_stats st;
	dms_pstream_stats(ps, &st);
	struct counting cr = {
		.reader = { .ops = &counting_ops, .page_size = in->page_size },
		.inner = dms_pstream_reader(ps),
		.r = &r,
	};
	cr.reader.ctx = &cr;
	r.progress = !r.quiet && isatty(STDERR_FILENO);
	signal(SIGINT, on_sigint);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.last = t0;
	struct dms_scan scan;
	dms_scan_init(&scan);
	scan.damaged = r.damaged;
	err = dms_scan_reader(&scan, &cr.reader, r.start, r.end, on_hit, &r);
	if (r.progress)
		fprintf(stderr, "\r%60s\r", "");
	if (err && err->code == DMS_ERR_STOP && interrupted) {
		dms_error_destroy(err);
		err = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err)
		goto out;
	struct dms_report_end e = {
		.secs = elapsed(&t0, &t1),
		.interrupted = interrupted,
		.has_bytes_read = true,
		.bytes_read = r.bytes,
		.reader = "parallel",
		.reader_threads = st.threads,
	};
	dms_report_summary(r.rep, &e);
	uint64_t bad = dms_dumpfile_bad_pages(df);
	if (bad && !r.json)
		printf("\ndmasleuth-scan: NOTE: %" PRIu64 " pages could not be read (invalid page "
		       "descriptor or data): skipped\n",
		       bad);
	if (r.wfile) {
		struct dms_error *werr =
			r.png ? dms_pcapng_destroy(r.png) : dms_pcap_destroy(r.pcap);
		r.png = NULL;
		r.pcap = NULL;
		if (werr || r.write_err) {
			err = werr ? werr : r.write_err;
			if (werr)
				dms_error_destroy(r.write_err);
			r.write_err = NULL;
			goto out;
		}
		if (!r.json)
			printf("\ndmasleuth-scan: wrote %" PRIu64 " packets to %s%s%s%s\n", r.hits,
			       r.wfile, raw_path ? " (bare IP packets: " : "",
			       raw_path ? raw_path : "", raw_path ? ")" : "");
	}
	status = 0;
out:
	if (err) {
		fprintf(stderr, "dmasleuth-scan: %s: %s\n", r.path,
			err->message ? err->message : dms_error_string(err->code));
		dms_error_destroy(err);
	}
	dms_pstream_destroy(ps);
	dms_error_destroy(dms_pcapng_destroy(r.png));
	if (r.pcap)
		dms_error_destroy(dms_pcap_destroy(r.pcap));
	dms_error_destroy(r.write_err);
	dms_report_destroy(r.rep);
	dms_dumpfile_destroy(df);
	free(raw_path);
	return status;
bad_usage:
	usage(stderr);
	return 2;
}
