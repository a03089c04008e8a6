// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: scanner throughput on a synthetic 256 MiB memory image.
//
// The image is "kernel-like": zero pages, arrays of direct-map pointers,
// small-integer structures, ASCII text and random bytes, with packets (the
// unit-test fixtures) sprinkled at random offsets.  Prints MiB/s for the
// reader scan (dms_scan_reader over a struct dms_memimg, copies included),
// for dms_scan_buffer() on the whole image, and per kind of content.
//   scan-bench [MiB]
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "reader.h"
#include "scan.h"

#define PAGE 4096

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

enum kind { K_ZERO, K_POINTERS, K_STRUCTS, K_TEXT, K_RANDOM, NKINDS };
static const char *const kind_names[NKINDS] = {
	"zero pages", "pointer arrays", "small-int structs", "ASCII text", "random bytes",
};

static void fill_page(uint8_t *p, enum kind kind)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog "
				    "kernel: eth0: link up 1000Mbps Full Duplex ";
	switch (kind) {
	case K_ZERO:
		memset(p, 0, PAGE);
		break;
	case K_POINTERS:
		for (size_t i = 0; i < PAGE; i += 8) {
			uint64_t v = 0xffff888000000000ull | (rng() & 0x3fffffc0ull);
			if (rng() % 4 == 0)
				v = 0;
			memcpy(p + i, &v, 8);
		}
		break;
	case K_STRUCTS:
		for (size_t i = 0; i < PAGE; i += 4) {
			uint32_t v = (uint32_t)(rng() % 300);
			memcpy(p + i, &v, 4);
		}
		break;
	case K_TEXT:
		for (size_t i = 0; i < PAGE; i++)
			p[i] = (uint8_t)words[(i + (rng() % 8 == 0)) % (sizeof(words) - 1)];
		break;
	case K_RANDOM:
		for (size_t i = 0; i < PAGE; i += 8) {
			uint64_t v = rng();
			memcpy(p + i, &v, 8);
		}
		break;
	default:
		break;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct dms_error *count_hit(const struct dms_hit *hit, void *arg)
{
	(void)hit;
	(*(uint64_t *)arg)++;
	return NULL;
}

static const uint8_t *const packets[] = {
	fx_eth_ipv4_udp, fx_eth_ipv4opt_tcp, fx_vlan_ipv4_icmp, fx_qinq_ipv6_udp,
	fx_ipv6_ext_tcp, fx_ipv6_icmp6,	     fx_eth_arp,	fx_ipv4_tcp_partial,
};
static const size_t packet_lens[] = {
	sizeof(fx_eth_ipv4_udp),  sizeof(fx_eth_ipv4opt_tcp),  sizeof(fx_vlan_ipv4_icmp),
	sizeof(fx_qinq_ipv6_udp), sizeof(fx_ipv6_ext_tcp),     sizeof(fx_ipv6_icmp6),
	sizeof(fx_eth_arp),	  sizeof(fx_ipv4_tcp_partial),
};

// Best of three runs of a buffer scan; returns MiB/s, *hits from the last.
static double bench_buffer(const uint8_t *buf, size_t len, uint64_t *hits)
{
	double best = 1e30;
	for (int run = 0; run < 3; run++) {
		struct dms_scan scan;
		dms_scan_init(&scan);
		*hits = 0;
		double t0 = now();
		struct dms_error *err = dms_scan_buffer(&scan, buf, len, len, 0, count_hit, hits);
		double t = now() - t0;
		dms_error_destroy(err);
		if (t < best)
			best = t;
	}
	return (double)len / (1 << 20) / best;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	size_t size = mib << 20, npages = size / PAGE;
	uint8_t *img = malloc(size);
	if (!img || !npages) {
		fprintf(stderr, "scan-bench: cannot allocate %zu MiB\n", mib);
		return 1;
	}
	// Mix: 40% zero, 20% pointers, 15% structs, 15% text, 10% random.
	static const unsigned int mix[] = { 40, 20, 15, 15, 10 };
	for (size_t pg = 0; pg < npages; pg++) {
		unsigned int r = (unsigned int)(rng() % 100), k = 0;
		while (r >= mix[k]) {
			r -= mix[k];
			k++;
		}
		fill_page(img + pg * PAGE, (enum kind)k);
	}
	// One packet per 64 KiB on average, at random (odd or even) offsets,
	// never overlapping: slot i covers [i * 64 KiB, (i + 1) * 64 KiB).
	size_t planted = 0;
	for (size_t slot = 0; slot + 1 <= size / 65536; slot++) {
		size_t k = (size_t)(rng() % (sizeof(packets) / sizeof(packets[0])));
		size_t off = slot * 65536 + (size_t)(rng() % (65536 - 256));
		memcpy(img + off, packets[k], packet_lens[k]);
		planted++;
	}

	struct dms_memimg_config cfg = { .page_size = PAGE };
	struct dms_memimg *mi = NULL;
	struct dms_error *err = dms_memimg_create(img, size, &cfg, &mi);
	if (err) {
		fprintf(stderr, "scan-bench: %s\n", err->message);
		return 1;
	}
	double best = 1e30;
	uint64_t hits = 0;
	struct dms_scan scan;
	for (int run = 0; run < 3; run++) {
		dms_scan_init(&scan);
		hits = 0;
		double t0 = now();
		err = dms_scan_reader(&scan, dms_memimg_reader(mi), 0, UINT64_MAX, count_hit,
				      &hits);
		double t = now() - t0;
		if (err) {
			fprintf(stderr, "scan-bench: %s\n", err->message);
			return 1;
		}
		if (t < best)
			best = t;
	}
	double reader_mibs = (double)size / (1 << 20) / best;
	uint64_t buf_hits;
	double buffer_mibs = bench_buffer(img, size, &buf_hits);

	printf("image: %zu MiB, %zu packets planted\n", mib, planted);
	printf("candidates: %" PRIu64 " (%.2f%% of bytes), full decodes: %" PRIu64 "\n",
	       scan.candidates, 100.0 * (double)scan.candidates / (double)size, scan.decodes);
	printf("hits: reader %" PRIu64 ", buffer %" PRIu64 " (planted %zu)\n", hits, buf_hits,
	       planted);
	// Per kind of content, 16 MiB each, no packets.
	size_t ksize = 16 << 20;
	uint8_t *kbuf = malloc(ksize);
	for (int k = 0; kbuf && k < NKINDS; k++) {
		for (size_t pg = 0; pg < ksize / PAGE; pg++)
			fill_page(kbuf + pg * PAGE, (enum kind)k);
		uint64_t khits;
		printf("  %-18s %8.0f MiB/s (%" PRIu64 " hits)\n", kind_names[k],
		       bench_buffer(kbuf, ksize, &khits), khits);
	}
	free(kbuf);
	printf("dms_scan_buffer:   %8.0f MiB/s\n", buffer_mibs);
	printf("dms_scan_reader:   %8.0f MiB/s\n", reader_mibs);
	dms_memimg_destroy(mi);
	free(img);
	return hits == planted ? 0 : 1;
}
