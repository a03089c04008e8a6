// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: pcap (libpcap) and pcapng writers.
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

// Snapshot length announced in the headers: the largest frame we carve.
#define SNAPLEN 262144

int dms_pkt_linktype(const struct dms_pkt *pkt)
{
	return pkt->l2 == DMS_L2_ETHERNET ? DMS_LINKTYPE_ETHERNET : DMS_LINKTYPE_RAW;
}

size_t dms_pkt_comment(const struct dms_pkt *pkt, const struct dms_pkt_meta *meta, char *buf,
		       size_t size)
{
	char paddr[32] = "", kvaddr[40] = "";
	if (meta && meta->has_paddr)
		snprintf(paddr, sizeof(paddr), "paddr=%#" PRIx64 " ", meta->paddr);
	if (meta && meta->has_kvaddr)
		snprintf(kvaddr, sizeof(kvaddr), "kvaddr=%#" PRIx64 " ", meta->kvaddr);
	// A damaged frame (dms_pkt_damaged(): headers intact, the rest written over) says
	// so, and what failed.
	bool damaged = !dms_pkt_is_hit(pkt) && dms_pkt_damaged(pkt);
	int n = snprintf(buf, size, "%s%sowner=%s score=%d status=%s ip_csum=%s l4_csum=%s%s%s",
			 paddr, kvaddr, meta && meta->owner ? meta->owner : "unknown", pkt->score,
			 damaged ? "damaged" : dms_pkt_status_name(pkt->status),
			 dms_csum_name(pkt->ip_csum), dms_csum_name(pkt->l4_csum),
			 damaged ? " damage=" : "",
			 damaged ? (pkt->reason ? pkt->reason : "payload written over") : "");
	if (n < 0) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	// The owner may come from the dump: keep the comment printable ASCII
	// (valid UTF-8, no control characters).
	for (size_t i = 0; size && i < (size_t)n && i < size - 1; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch < 0x20 || ch > 0x7e)
			buf[i] = '?';
	}
	return (size_t)n;
}

struct dms_pcap {
	pcap_t *dead[2];
	pcap_dumper_t *dumper[2];
};

static struct dms_error *pcap_open_one(const char *path, int dlt, pcap_t **dead,
				       pcap_dumper_t **dumper)
{
	*dead = pcap_open_dead(dlt, SNAPLEN);
	if (!*dead)
		return &dms_enomem;
	*dumper = pcap_dump_open(*dead, path);
	if (!*dumper) {
		struct dms_error *err =
			dms_error_create(DMS_ERR_PCAP, "%s: %s", path, pcap_geterr(*dead));
		pcap_close(*dead);
		*dead = NULL;
		return err;
	}
	return NULL;
}

struct dms_error *dms_pcap_create(const char *eth_path, const char *raw_path, struct dms_pcap **ret)
{
	struct dms_pcap *w = calloc(1, sizeof(*w));
	if (!w)
		return &dms_enomem;
	struct dms_error *err = NULL;
	if (eth_path)
		err = pcap_open_one(eth_path, DLT_EN10MB, &w->dead[0], &w->dumper[0]);
	if (!err && raw_path)
		err = pcap_open_one(raw_path, DLT_RAW, &w->dead[1], &w->dumper[1]);
	if (err) {
		dms_error_destroy(dms_pcap_destroy(w));
		return err;
	}
	*ret = w;
	return NULL;
}

struct dms_error *dms_pcap_write(struct dms_pcap *w, const struct dms_pkt *pkt, const uint8_t *data,
				 const struct dms_pkt_meta *meta)
{
	int idx = dms_pkt_linktype(pkt) == DMS_LINKTYPE_ETHERNET ? 0 : 1;
	if (!w->dumper[idx])
		return NULL;
	uint64_t ts = meta ? meta->ts_ns : 0;
	struct pcap_pkthdr hdr = {
		.ts.tv_sec = (time_t)(ts / 1000000000u),
		.ts.tv_usec = (suseconds_t)(ts % 1000000000u / 1000u),
		.caplen = (bpf_u_int32)(pkt->caplen < SNAPLEN ? pkt->caplen : SNAPLEN),
		.len = (bpf_u_int32)(pkt->frame_len > pkt->caplen ? pkt->frame_len : pkt->caplen),
	};
	pcap_dump((u_char *)w->dumper[idx], &hdr, data);
	return NULL;
}

struct dms_error *dms_pcap_destroy(struct dms_pcap *w)
{
	if (!w)
		return NULL;
	struct dms_error *err = NULL;
	for (int i = 0; i < 2; i++) {
		if (w->dumper[i]) {
			if (pcap_dump_flush(w->dumper[i]) && !err)
				err = dms_error_create(DMS_ERR_IO, "pcap: flushing failed");
			pcap_dump_close(w->dumper[i]);
		}
		if (w->dead[i])
			pcap_close(w->dead[i]);
	}
	free(w);
	return err;
}

// pcapng: draft-ietf-opsawg-pcapng (section header, interface description
// and enhanced packet blocks), written in host byte order as the byte-order
// magic allows.
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BOM 0x1a2b3c4du
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
// An option value is at most 65535 bytes (16-bit length).
#define OPT_MAX 65535u

struct dms_pcapng {
	FILE *f;
	char *path;
	bool failed;
};

// A block under construction in memory; blocks are small except EPBs,
// which are bounded by the snaplen plus the comment.
struct block {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
};

static void blk_put(struct block *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	size_t pad = (4 - n % 4) % 4;
	if (b->len + n + pad > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + pad)
			cap *= 2;
		uint8_t *nb = realloc(b->buf, cap);
		if (!nb) {
			b->oom = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	if (n)
		memcpy(b->buf + b->len, p, n);
	memset(b->buf + b->len + n, 0, pad);
	b->len += n + pad;
}

static void blk_u32(struct block *b, uint32_t v)
{
	blk_put(b, &v, 4);
}

static void blk_opt(struct block *b, uint16_t code, const void *val, size_t n)
{
	if (n > OPT_MAX)
		n = OPT_MAX;
	uint16_t hdr[2] = { code, (uint16_t)n };
	blk_put(b, hdr, 4);
	blk_put(b, val, n);
}

// Start a block: type and a length placeholder.
static void blk_begin(struct block *b, uint32_t type)
{
	b->len = 0;
	blk_u32(b, type);
	blk_u32(b, 0);
}

// Finish (trailing length) and write the block.
static struct dms_error *blk_end(struct dms_pcapng *w, struct block *b)
{
	blk_u32(b, 0);
	if (b->oom)
		return &dms_enomem;
	uint32_t total = (uint32_t)b->len;
	memcpy(b->buf + 4, &total, 4);
	memcpy(b->buf + b->len - 4, &total, 4);
	if (fwrite(b->buf, 1, b->len, w->f) != b->len) {
		w->failed = true;
		return dms_error_create(DMS_ERR_IO, "%s: %s", w->path, strerror(errno));
	}
	return NULL;
}

static struct dms_error *pcapng_header(struct dms_pcapng *w)
{
	struct block b = { 0 };
	static const char appl[] = "dmasleuth";
	blk_begin(&b, PCAPNG_SHB);
	blk_u32(&b, PCAPNG_BOM);
	uint16_t version[2] = { 1, 0 };
	blk_put(&b, version, 4);
	uint64_t section_len = UINT64_MAX; // not specified
	blk_put(&b, &section_len, 8);
	blk_opt(&b, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	blk_opt(&b, OPT_ENDOFOPT, NULL, 0);
	struct dms_error *err = blk_end(w, &b);
	static const struct {
		uint16_t linktype;
		const char *name;
	} ifaces[2] = { { DMS_LINKTYPE_ETHERNET, "carved-ethernet" },
			{ DMS_LINKTYPE_RAW, "carved-raw-ip" } };
	for (int i = 0; !err && i < 2; i++) {
		blk_begin(&b, PCAPNG_IDB);
		uint16_t lt[2] = { ifaces[i].linktype, 0 };
		blk_put(&b, lt, 4);
		blk_u32(&b, SNAPLEN);
		blk_opt(&b, OPT_IF_NAME, ifaces[i].name, strlen(ifaces[i].name));
		uint8_t tsresol = 9; // nanoseconds
		blk_opt(&b, OPT_IF_TSRESOL, &tsresol, 1);
		blk_opt(&b, OPT_ENDOFOPT, NULL, 0);
		err = blk_end(w, &b);
	}
	free(b.buf);
	return err;
}

struct dms_error *dms_pcapng_create(const char *path, struct dms_pcapng **ret)
{
	struct dms_pcapng *w = calloc(1, sizeof(*w));
	if (!w)
		return &dms_enomem;
	w->path = strdup(path);
	if (!w->path) {
		free(w);
		return &dms_enomem;
	}
	w->f = fopen(path, "wb");
	if (!w->f) {
		struct dms_error *err =
			dms_error_create(DMS_ERR_IO, "%s: %s", path, strerror(errno));
		free(w->path);
		free(w);
		return err;
	}
	struct dms_error *err = pcapng_header(w);
	if (err) {
		dms_error_destroy(dms_pcapng_destroy(w));
		return err;
	}
	*ret = w;
	return NULL;
}

struct dms_error *dms_pcapng_write(struct dms_pcapng *w, const struct dms_pkt *pkt,
				   const uint8_t *data, const struct dms_pkt_meta *meta)
{
	struct block b = { 0 };
	char comment[512];
	size_t clen = dms_pkt_comment(pkt, meta, comment, sizeof(comment));
	if (clen >= sizeof(comment))
		clen = sizeof(comment) - 1;
	uint32_t caplen = (uint32_t)(pkt->caplen < SNAPLEN ? pkt->caplen : SNAPLEN);
	uint32_t origlen = (uint32_t)(pkt->frame_len > caplen ? pkt->frame_len : caplen);
	uint64_t ts = meta ? meta->ts_ns : 0;
	blk_begin(&b, PCAPNG_EPB);
	blk_u32(&b, dms_pkt_linktype(pkt) == DMS_LINKTYPE_ETHERNET ? 0 : 1);
	blk_u32(&b, (uint32_t)(ts >> 32));
	blk_u32(&b, (uint32_t)ts);
	blk_u32(&b, caplen);
	blk_u32(&b, origlen);
	blk_put(&b, data, caplen);
	blk_opt(&b, OPT_COMMENT, comment, clen);
	blk_opt(&b, OPT_ENDOFOPT, NULL, 0);
	struct dms_error *err = blk_end(w, &b);
	free(b.buf);
	return err;
}

struct dms_error *dms_pcapng_destroy(struct dms_pcapng *w)
{
	if (!w)
		return NULL;
	struct dms_error *err = NULL;
	if (fclose(w->f) != 0 || w->failed)
		err = dms_error_create(DMS_ERR_IO, "%s: write failed", w->path);
	free(w->path);
	free(w);
	return err;
}
