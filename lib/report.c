// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: packet scan output (see report.h).
#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define MAX_FLOWS 16384 // a power of two
#define MAX_OWNERS 256
#define OWNER_KEY_MAX 96
#define TOP_FLOWS 20

struct flow {
	bool used;
	uint8_t ip_version, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int vlan; // outermost VLAN id, -1 if untagged
	uint64_t hits;
};

struct owner_count {
	char key[OWNER_KEY_MAX];
	uint64_t hits;
};

struct dms_report {
	struct dms_report_config cfg;
	struct flow *flows;
	uint64_t hits, damaged_hits, flows_used, flows_dropped;
	struct owner_count owners[MAX_OWNERS];
	unsigned int nowners;
	bool header_done;
};

void dms_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

struct dms_error *dms_report_create(const struct dms_report_config *config, struct dms_report **ret)
{
	struct dms_report *rp = calloc(1, sizeof(*rp));
	if (!rp)
		return &dms_enomem;
	rp->flows = calloc(MAX_FLOWS, sizeof(*rp->flows));
	if (!rp->flows) {
		free(rp);
		return &dms_enomem;
	}
	rp->cfg = *config;
	if (!rp->cfg.page_size)
		rp->cfg.page_size = 4096;
	*ret = rp;
	return NULL;
}

void dms_report_destroy(struct dms_report *rp)
{
	if (!rp)
		return;
	free(rp->flows);
	free(rp);
}

uint64_t dms_report_hits(const struct dms_report *rp)
{
	return rp->hits;
}

// An address as text; redacted, its pseudonym.
static void addr_str(const struct dms_report *rp, const struct dms_pkt *p, const uint8_t *a,
		     char *buf, size_t size)
{
	uint8_t m[16];
	if (rp->cfg.redact) {
		dms_redact_ip(rp->cfg.redact, a, m, p->ip_version == 6 ? 16 : 4);
		a = m;
	}
	if (!inet_ntop(p->ip_version == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

static bool has_ports(const struct dms_pkt *p)
{
	return p->l4_off && (p->proto == 6 || p->proto == 17) && p->ip_version;
}

static void count_flow(struct dms_report *rp, const struct dms_pkt *p)
{
	struct flow key;
	memset(&key, 0, sizeof(key));
	key.ip_version = (uint8_t)p->ip_version;
	key.proto = p->ip_version ? p->proto : 0;
	size_t alen = p->ip_version == 6 ? 16 : 4;
	memcpy(key.src, p->src_addr, alen);
	memcpy(key.dst, p->dst_addr, alen);
	if (has_ports(p)) {
		key.sport = p->sport;
		key.dport = p->dport;
	}
	key.vlan = p->nvlans ? p->vlan_id[0] : -1;
	uint32_t h = 2166136261u;
	const uint8_t *b = (const uint8_t *)&key.ip_version;
	size_t n = offsetof(struct flow, hits) - offsetof(struct flow, ip_version);
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	for (uint32_t i = 0; i < MAX_FLOWS; i++) {
		struct flow *f = &rp->flows[(h + i) & (MAX_FLOWS - 1)];
		if (!f->used) {
			if (rp->flows_used >= MAX_FLOWS / 2)
				break;
			*f = key;
			f->used = true;
			f->hits = 1;
			rp->flows_used++;
			return;
		}
		if (memcmp((const uint8_t *)f + offsetof(struct flow, ip_version), b, n) == 0) {
			f->hits++;
			return;
		}
	}
	rp->flows_dropped++;
}

static void count_owner(struct dms_report *rp, const char *key)
{
	for (unsigned int i = 0; i < rp->nowners; i++) {
		if (strcmp(rp->owners[i].key, key) == 0) {
			rp->owners[i].hits++;
			return;
		}
	}
	unsigned int i = rp->nowners < MAX_OWNERS ? rp->nowners++ : MAX_OWNERS - 1;
	if (i == MAX_OWNERS - 1 && rp->owners[i].key[0] && strcmp(rp->owners[i].key, "other")) {
		snprintf(rp->owners[i].key, sizeof(rp->owners[i].key), "other");
	} else if (!rp->owners[i].key[0]) {
		snprintf(rp->owners[i].key, sizeof(rp->owners[i].key), "%s", key);
	}
	rp->owners[i].hits++;
}

static void print_json(struct dms_report *rp, const struct dms_report_hit *h)
{
	FILE *fp = rp->cfg.out;
	const struct dms_pkt *p = &h->hit->pkt;
	bool damaged = !dms_pkt_is_hit(p);
	char pbuf[8], src[64], dst[64];
	fprintf(fp, "{\"type\":\"hit\",");
	if (h->has_paddr)
		fprintf(fp, "\"paddr\":\"0x%" PRIx64 "\",\"page_offset\":%" PRIu64 ",", h->paddr,
			h->paddr & (rp->cfg.page_size - 1));
	else
		fprintf(fp, "\"paddr\":null,\"page_offset\":null,");
	if (h->has_kvaddr)
		fprintf(fp, "\"vaddr\":\"0x%" PRIx64 "\",", h->kvaddr);
	else
		fprintf(fp, "\"vaddr\":null,");
	fprintf(fp, "\"l2\":\"%s\",\"ip_version\":%u,\"proto\":",
		p->l2 == DMS_L2_ETHERNET ? "ethernet" : "raw", p->ip_version);
	dms_json_str(fp, dms_pkt_proto_name(p, pbuf, sizeof(pbuf)));
	addr_str(rp, p, p->src_addr, src, sizeof(src));
	addr_str(rp, p, p->dst_addr, dst, sizeof(dst));
	fprintf(fp, ",\"src\":\"%s\",\"dst\":\"%s\",", src, dst);
	if (has_ports(p))
		fprintf(fp, "\"sport\":%u,\"dport\":%u,", p->sport, p->dport);
	else
		fprintf(fp, "\"sport\":null,\"dport\":null,");
	if (p->nvlans) {
		fprintf(fp, "\"vlan\":%u,\"vlans\":[", p->vlan_id[0]);
		for (unsigned int i = 0; i < p->nvlans && i < DMS_PKT_MAX_VLANS; i++)
			fprintf(fp, "%s%u", i ? "," : "", p->vlan_id[i]);
		fprintf(fp, "],");
	} else {
		fprintf(fp, "\"vlan\":null,\"vlans\":[],");
	}
	fprintf(fp,
		"\"len\":%zu,\"caplen\":%zu,\"status\":\"%s\",\"csum\":\"%s\",\"ip_csum\":\"%s\","
		"\"score\":%d,\"summary\":",
		p->frame_len, p->caplen, damaged ? "damaged" : dms_pkt_status_name(p->status),
		dms_csum_name(p->l4_csum), dms_csum_name(p->ip_csum), p->score);
	dms_json_str(fp, h->summary);
	if (damaged) {
		fprintf(fp, ",\"damage\":");
		dms_json_str(fp, p->reason ? p->reason : "payload written over");
	}
	fprintf(fp, ",\"owner\":");
	if (h->owner_json)
		h->owner_json(fp, h->owner_arg);
	else
		fprintf(fp, "null");
	fprintf(fp, "}\n");
}

void dms_report_hit(struct dms_report *rp, const struct dms_report_hit *h)
{
	const struct dms_pkt *p = &h->hit->pkt;
	FILE *fp = rp->cfg.out;
	rp->hits++;
	rp->damaged_hits += !dms_pkt_is_hit(p); // reported with -D only
	count_flow(rp, p);
	count_owner(rp, h->owner_key ? h->owner_key : "unknown");
	if (rp->cfg.summary_only)
		return;
	if (rp->cfg.json) {
		print_json(rp, h);
		return;
	}
	if (!rp->header_done) {
		fprintf(fp, "%9s %16s %3s %-14s %-58s %s\n", "PADDR", "KVADDR", "OFF", "CSUM IP/L4",
			"PACKET", "OWNER");
		rp->header_done = true;
	}
	char csum[24];
	snprintf(csum, sizeof(csum), "%s/%s", p->ip_version == 4 ? dms_csum_name(p->ip_csum) : "-",
		 dms_csum_name(p->l4_csum));
	char pa[20] = "-", ka[20] = "-";
	if (h->has_paddr)
		snprintf(pa, sizeof(pa), "%" PRIx64, h->paddr);
	if (h->has_kvaddr)
		snprintf(ka, sizeof(ka), "%" PRIx64, h->kvaddr);
	char damage[96] = "";
	if (!dms_pkt_is_hit(p))
		snprintf(damage, sizeof(damage), " DAMAGED (%.80s)",
			 p->reason ? p->reason : "payload written over");
	fprintf(fp, "%9s %16s %3" PRIx64 " %-14s %-58s%s%s %s\n", pa, ka,
		h->has_paddr ? h->paddr & (rp->cfg.page_size - 1) : 0, csum,
		h->summary ? h->summary : "", p->status == DMS_PKT_TRUNCATED ? " (truncated)" : "",
		damage, h->owner ? h->owner : "-");
}

static int flow_cmp(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;
	if (x->used != y->used)
		return x->used ? -1 : 1;
	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 : 0;
}

static int owner_cmp(const void *a, const void *b)
{
	const struct owner_count *x = a, *y = b;
	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 : strcmp(x->key, y->key);
}

void dms_report_summary(struct dms_report *rp, const struct dms_report_end *e)
{
	FILE *fp = rp->cfg.out;
	qsort(rp->flows, MAX_FLOWS, sizeof(rp->flows[0]), flow_cmp);
	qsort(rp->owners, rp->nowners, sizeof(rp->owners[0]), owner_cmp);
	if (rp->cfg.json) {
		fprintf(fp,
			"{\"type\":\"summary\",\"hits\":%" PRIu64 ",\"flows\":%" PRIu64
			",\"bytes_read\":%" PRIu64 ",\"interrupted\":%s,",
			rp->hits, rp->flows_used, e->has_bytes_read ? e->bytes_read : 0,
			e->interrupted ? "true" : "false");
		if (rp->cfg.damaged)
			fprintf(fp, "\"damaged\":%" PRIu64 ",", rp->damaged_hits);
		fprintf(fp, "\"owners\":{");
		for (unsigned int i = 0; i < rp->nowners; i++) {
			fprintf(fp, "%s", i ? "," : "");
			dms_json_str(fp, rp->owners[i].key);
			fprintf(fp, ":%" PRIu64, rp->owners[i].hits);
		}
		fprintf(fp, "},\"reader\":\"%s\",\"reader_threads\":%u}\n",
			e->reader ? e->reader : "readmem", e->reader_threads);
		return;
	}
	fprintf(fp, "\n%s: %" PRIu64 " hits", rp->cfg.name, rp->hits);
	if (rp->cfg.damaged)
		fprintf(fp, " (%" PRIu64 " damaged)", rp->damaged_hits);
	if (e->has_bytes_read)
		fprintf(fp, ", %" PRIu64 " MiB read", e->bytes_read >> 20);
	fprintf(fp, ", %.2f s%s\n", e->secs,
		e->interrupted ? " (INTERRUPTED: partial results)" : "");
	if (!rp->hits)
		return;
	uint64_t shown = rp->flows_used < TOP_FLOWS ? rp->flows_used : TOP_FLOWS;
	fprintf(fp, "\nFLOWS (%" PRIu64 " of %" PRIu64 "%s)\n", shown, rp->flows_used,
		rp->flows_dropped ? ", table full: some hits not counted" : "");
	fprintf(fp, "  %7s  %-6s  %-5s  %-41s  %s\n", "HITS", "PROTO", "VLAN", "SOURCE",
		"DESTINATION");
	for (uint64_t i = 0; i < shown; i++) {
		const struct flow *f = &rp->flows[i];
		struct dms_pkt p;
		memset(&p, 0, sizeof(p));
		p.ip_version = f->ip_version;
		p.proto = f->proto;
		char pbuf[8], src[64], dst[64], s[72], d[72], vlan[12] = "-";
		addr_str(rp, &p, f->src, src, sizeof(src));
		addr_str(rp, &p, f->dst, dst, sizeof(dst));
		bool ports = f->ip_version && (f->proto == 6 || f->proto == 17);
		bool v6 = f->ip_version == 6;
		if (ports) {
			snprintf(s, sizeof(s), "%s%s%s:%u", v6 ? "[" : "", src, v6 ? "]" : "",
				 f->sport);
			snprintf(d, sizeof(d), "%s%s%s:%u", v6 ? "[" : "", dst, v6 ? "]" : "",
				 f->dport);
		} else {
			snprintf(s, sizeof(s), "%s", src);
			snprintf(d, sizeof(d), "%s", dst);
		}
		if (f->vlan >= 0)
			snprintf(vlan, sizeof(vlan), "%d", f->vlan);
		fprintf(fp, "  %7" PRIu64 "  %-6s  %-5s  %-41s  %s\n", f->hits,
			dms_pkt_proto_name(&p, pbuf, sizeof(pbuf)), vlan, s, d);
	}
	fprintf(fp, "\nOWNERS\n  %7s  %s\n", "HITS", "OWNER");
	for (unsigned int i = 0; i < rp->nowners; i++)
		fprintf(fp, "  %7" PRIu64 "  %s\n", rp->owners[i].hits, rp->owners[i].key);
}
