// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the facts of a dump, their builders and their JSON form (see facts.h).
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "json.h"

void dms_facts_init(struct dms_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->version = DMS_FACTS_VERSION;
}

void dms_facts_deinit(struct dms_facts *f)
{
	if (!f)
		return;
	free(f->frames);
	free(f->cell_counts);
	free(f->caches);
	free(f->netdevs);
	free(f->slots);
	free(f->log);
	free(f->findings);
	free(f->irqs);
	free(f->pools);
	free(f->gaps);
	dms_facts_init(f);
}

// Append one element of size to *arr (n elements, cap allocated).
static struct dms_error *push(void **arr, size_t *n, size_t *cap, size_t size, const void *elem)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *a = realloc(*arr, ncap * size);
		if (!a)
			return &dms_enomem;
		*arr = a;
		*cap = ncap;
	}
	memcpy((char *)*arr + *n * size, elem, size);
	(*n)++;
	return NULL;
}

#define PUSH(f, arr, n, cap, elem)                                                                 \
	push((void **)&(f)->arr, &(f)->n, &(f)->cap, sizeof(*(elem)), elem)

// Count a frame that is not kept at its memmap cell.
static struct dms_error *count_at(struct dms_facts *f, uint64_t paddr, unsigned int kind)
{
	unsigned int ncells;

	if (!f->memory_end || paddr >= f->memory_end)
		return NULL;
	if (!f->cell_counts) {
		f->cell_counts = calloc(DMS_MEMMAP_MAX_CELLS, sizeof(*f->cell_counts));
		if (!f->cell_counts)
			return &dms_enomem;
	}
	uint64_t cell = paddr / dms_memmap_cell_size(f->memory_end, &ncells);
	if (cell < ncells)
		f->cell_counts[cell][kind]++;
	return NULL;
}

struct dms_error *dms_facts_add_frame(struct dms_facts *f, const struct dms_vframe *frame)
{
	unsigned int k =
		(unsigned int)frame->owner < DMS_NUM_OWNER_KINDS ? frame->owner : DMS_OWNER_UNKNOWN;

	if (k != DMS_OWNER_SLAB && k != DMS_OWNER_PGTABLE) {
		f->frames_counted[k]++;
		return count_at(f, frame->paddr, k);
	}
	if (f->nframes >= DMS_FACTS_MAX_FRAMES) {
		f->frames_unweighed++;
		return count_at(f, frame->paddr, k);
	}
	return PUSH(f, frames, nframes, frames_cap, frame);
}

const struct dms_fcache *dms_facts_cache(const struct dms_facts *f, const char *name)
{
	for (size_t i = 0; name && i < f->ncaches; i++)
		if (!strcmp(f->caches[i].name, name))
			return &f->caches[i];
	return NULL;
}

struct dms_error *dms_facts_add_cache(struct dms_facts *f, const char *name,
				      const char *const *aliases, size_t naliases)
{
	struct dms_fcache *c = (struct dms_fcache *)dms_facts_cache(f, name);

	if (!c) {
		struct dms_fcache nc;
		memset(&nc, 0, sizeof(nc));
		snprintf(nc.name, sizeof(nc.name), "%s", name);
		struct dms_error *err = PUSH(f, caches, ncaches, caches_cap, &nc);
		if (err)
			return err;
		c = &f->caches[f->ncaches - 1];
	}
	for (size_t i = 0; i < naliases && c->naliases < DMS_FCACHE_MAX_ALIASES; i++) {
		bool seen = false;
		for (size_t j = 0; j < c->naliases && !seen; j++)
			seen = !strcmp(c->aliases[j], aliases[i]);
		if (!seen)
			snprintf(c->aliases[c->naliases++], sizeof(c->aliases[0]), "%s",
				 aliases[i]);
	}
	return NULL;
}

struct dms_error *dms_facts_add_netdev(struct dms_facts *f, const struct dms_vnetdev *nd)
{
	return PUSH(f, netdevs, nnetdevs, netdevs_cap, nd);
}

struct dms_error *dms_facts_add_slot(struct dms_facts *f, const struct dms_vslot *slot)
{
	return PUSH(f, slots, nslots, slots_cap, slot);
}

struct dms_error *dms_facts_add_finding(struct dms_facts *f, const struct dms_ffinding *fd)
{
	if (f->nfindings >= DMS_FACTS_MAX_FINDINGS) {
		f->findings_dropped++;
		return NULL;
	}
	return PUSH(f, findings, nfindings, findings_cap, fd);
}

struct dms_error *dms_facts_add_irq(struct dms_facts *f, const struct dms_firq *irq)
{
	return PUSH(f, irqs, nirqs, irqs_cap, irq);
}

struct dms_error *dms_facts_add_pool(struct dms_facts *f, const struct dms_fpool *pool)
{
	return PUSH(f, pools, npools, pools_cap, pool);
}

struct dms_error *dms_facts_set_log(struct dms_facts *f, const char *log, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return &dms_enomem;
	memcpy(copy, log, len);
	copy[len] = '\0';
	free(f->log);
	f->log = copy;
	f->log_len = len;
	f->has_log = true;
	return NULL;
}

struct dms_error *dms_facts_add_gap(struct dms_facts *f, const char *what, const char *fmt, ...)
{
	struct dms_fgap g;
	va_list ap;

	memset(&g, 0, sizeof(g));
	snprintf(g.what, sizeof(g.what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(g.why, sizeof(g.why), fmt, ap);
	va_end(ap);
	return PUSH(f, gaps, ngaps, gaps_cap, &g);
}

// ---------------------------------------------------------------- writing

static const char *const state_names[] = {
	[DMS_VOBJ_UNKNOWN] = "unknown", [DMS_VOBJ_LIVE] = "allocated", [DMS_VOBJ_FREE] = "free"
};

static void w_key(FILE *out, bool *first, const char *key)
{
	fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
}

static void w_str(FILE *out, bool *first, const char *key, const char *s)
{
	w_key(out, first, key);
	dms_json_write_str(out, s);
}

static void w_hex(FILE *out, bool *first, const char *key, uint64_t v)
{
	w_key(out, first, key);
	fprintf(out, "\"0x%" PRIx64 "\"", v);
}

static void w_u64(FILE *out, bool *first, const char *key, uint64_t v)
{
	w_key(out, first, key);
	fprintf(out, "%" PRIu64, v);
}

static void w_i64(FILE *out, bool *first, const char *key, int64_t v)
{
	w_key(out, first, key);
	fprintf(out, "%" PRId64, v);
}

static void w_bool(FILE *out, bool *first, const char *key, bool v)
{
	w_key(out, first, key);
	fputs(v ? "true" : "false", out);
}

static void w_mac(FILE *out, bool *first, const char *key, const uint8_t *m)
{
	w_key(out, first, key);
	fprintf(out, "\"%02x:%02x:%02x:%02x:%02x:%02x\"", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void write_frame(FILE *out, const struct dms_vframe *fr)
{
	bool first = true;

	fputc('{', out);
	w_hex(out, &first, "paddr", fr->paddr);
	w_hex(out, &first, "kvaddr", fr->kvaddr);
	w_u64(out, &first, "len", fr->len);
	w_bool(out, &first, "l2", fr->has_l2);
	w_mac(out, &first, "dst", fr->dst_mac);
	w_bool(out, &first, "ip_ok", fr->ip_csum_ok);
	w_bool(out, &first, "l4_ok", fr->l4_csum_ok);
	w_bool(out, &first, "damaged", fr->damaged);
	w_bool(out, &first, "virtio_hdr", fr->virtio_hdr);
	w_u64(out, &first, "vlan", fr->vlan);
	w_str(out, &first, "summary", fr->summary);
	w_str(out, &first, "flow", fr->flow);
	w_str(out, &first, "owner", dms_owner_kind_name(fr->owner));
	if (fr->owner == DMS_OWNER_SLAB) {
		w_str(out, &first, "cache", fr->cache);
		w_hex(out, &first, "obj", fr->obj);
		w_i64(out, &first, "offset", fr->obj_offset);
		w_u64(out, &first, "obj_size", fr->obj_size);
		w_str(out, &first, "state", state_names[fr->state]);
	}
	fputc('}', out);
}

static void write_netdev(FILE *out, const struct dms_vnetdev *nd)
{
	bool first = true;

	fputc('{', out);
	w_str(out, &first, "name", nd->name);
	w_str(out, &first, "driver", nd->driver);
	w_bool(out, &first, "bus_driver", nd->bus_driver);
	w_mac(out, &first, "mac", nd->mac);
	w_bool(out, &first, "up", nd->up);
	w_key(out, &first, "features");
	fputc('{', out);
	for (size_t i = 0; i < nd->nfeatures; i++) {
		fputs(i ? "," : "", out);
		dms_json_write_str(out, nd->features[i].name);
		fputs(nd->features[i].on ? ":true" : ":false", out);
	}
	fputc('}', out);
	w_bool(out, &first, "rings_read", nd->rings_read);
	w_str(out, &first, "rings_why", nd->rings_why);
	fputc('}', out);
}

// Slots are many (a ring of 4096 descriptors): per run of one netdev's slots, each a
// row [ring, slot, stale, dma, paddr, len] with paddr null when it equals dma.
static void write_slots(FILE *out, const struct dms_facts *f)
{
	for (size_t i = 0; i < f->nslots; i++) {
		const struct dms_vslot *s = &f->slots[i];
		bool start = !i || strcmp(f->slots[i - 1].netdev, s->netdev);
		if (start) {
			fputs(i ? "]},\n{\"netdev\":" : "\n{\"netdev\":", out);
			dms_json_write_str(out, s->netdev);
			fputs(",\"slots\":[", out);
		} else {
			fputs((i % 8) ? "," : ",\n", out);
		}
		fprintf(out, "[%d,%d,%d,\"0x%" PRIx64 "\",", s->ring, s->slot, s->stale ? 1 : 0,
			s->dma);
		if (s->paddr == s->dma)
			fputs("null", out);
		else
			fprintf(out, "\"0x%" PRIx64 "\"", s->paddr);
		fprintf(out, ",%u]", s->len);
	}
	if (f->nslots)
		fputs("]}", out);
}

static void write_finding(FILE *out, const struct dms_ffinding *fd)
{
	bool first = true;

	fputc('{', out);
	w_str(out, &first, "code", fd->code);
	w_str(out, &first, "cache", fd->cache);
	w_hex(out, &first, "object", fd->object);
	w_hex(out, &first, "addr", fd->addr);
	w_hex(out, &first, "paddr", fd->paddr);
	w_hex(out, &first, "value", fd->value);
	w_str(out, &first, "field", fd->field);
	w_u64(out, &first, "object_packets", fd->object_packets);
	w_str(out, &first, "reason", fd->reason);
	fputc('}', out);
}

static void write_panic(FILE *out, const struct dms_fpanic *p)
{
	bool first = true;

	fputc('{', out);
	if (p->has_sym) {
		w_str(out, &first, "rip_sym", p->rip_sym);
		w_hex(out, &first, "sym_addr", p->sym_addr);
	}
	if (p->has_load) {
		w_hex(out, &first, "load_ea", p->load_ea);
		w_hex(out, &first, "load_paddr", p->load_paddr);
		w_hex(out, &first, "load_kvaddr", p->load_kvaddr);
		w_hex(out, &first, "load_value", p->load_value);
		w_str(out, &first, "load_owner", p->load_owner);
	}
	if (p->searched) {
		w_hex(out, &first, "searched_value", p->searched_value);
		w_bool(out, &first, "hits_more", p->hits_more);
		w_key(out, &first, "hits");
		fputc('[', out);
		for (size_t i = 0; i < p->nhits; i++) {
			const struct dms_fvalue_hit *h = &p->hits[i];
			bool f2 = true;
			fputs(i ? "," : "", out);
			fputc('{', out);
			w_hex(out, &f2, "paddr", h->paddr);
			w_hex(out, &f2, "kvaddr", h->kvaddr);
			w_i64(out, &f2, "delta", h->delta);
			w_str(out, &f2, "owner", dms_owner_kind_name(h->owner));
			w_str(out, &f2, "owner_text", h->owner_text);
			fputc('}', out);
		}
		fputc(']', out);
	}
	fputc('}', out);
}

bool dms_facts_write(const struct dms_facts *f, FILE *out)
{
	bool first = true;

	fputc('{', out);
	w_u64(out, &first, "version", (uint64_t)f->version);
	w_str(out, &first, "release", f->release);
	w_str(out, &first, "machine", f->machine);
	w_str(out, &first, "arch", dms_arch_name(f->arch));
	w_u64(out, &first, "va_bits", f->va_bits);
	fputs(",\n\"frames_counted\":{", out);
	bool f2 = true;
	for (unsigned int k = 0; k < DMS_NUM_OWNER_KINDS; k++)
		if (f->frames_counted[k])
			w_u64(out, &f2, dms_owner_kind_name(k), f->frames_counted[k]);
	fputc('}', out);
	w_u64(out, &first, "frames_unweighed", f->frames_unweighed);
	w_hex(out, &first, "memory_end", f->memory_end);
	w_key(out, &first, "direct_map");
	if (f->has_direct_map)
		fprintf(out, "\"0x%" PRIx64 "\"", f->direct_map);
	else
		fputs("null", out);
	// Counted frames by memmap cell: [cell, owner kind, count], cells in order.
	fputs(",\n\"cells\":[", out);
	bool fc = true;
	for (unsigned int c = 0; f->cell_counts && c < DMS_MEMMAP_MAX_CELLS; c++)
		for (unsigned int k = 0; k < DMS_NUM_OWNER_KINDS; k++)
			if (f->cell_counts[c][k]) {
				fprintf(out, "%s[%u,\"%s\",%u]", fc ? "" : ",", c,
					dms_owner_kind_name(k), f->cell_counts[c][k]);
				fc = false;
			}
	fputc(']', out);
	fputs(",\n\"frames\":[", out);
	for (size_t i = 0; i < f->nframes; i++) {
		fputs(i ? ",\n" : "\n", out);
		write_frame(out, &f->frames[i]);
	}
	fputs("],\n\"caches\":[", out);
	for (size_t i = 0; i < f->ncaches; i++) {
		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
		dms_json_write_str(out, f->caches[i].name);
		fputs(",\"aliases\":[", out);
		for (size_t j = 0; j < f->caches[i].naliases; j++) {
			fputs(j ? "," : "", out);
			dms_json_write_str(out, f->caches[i].aliases[j]);
		}
		fputs("]}", out);
	}
	fputs("],\n\"netdevs\":[", out);
	for (size_t i = 0; i < f->nnetdevs; i++) {
		fputs(i ? ",\n" : "\n", out);
		write_netdev(out, &f->netdevs[i]);
	}
	fputs("],\n\"slots\":[", out);
	write_slots(out, f);
	fputs("],\n\"slub\":", out);
	fputs(f->slub ? "true" : "false", out);
	fputs(",\"findings\":[", out);
	for (size_t i = 0; i < f->nfindings; i++) {
		fputs(i ? ",\n" : "\n", out);
		write_finding(out, &f->findings[i]);
	}
	fprintf(out, "],\"findings_dropped\":%" PRIu64 ",\n\"irqs\":", f->findings_dropped);
	if (f->has_irqs) {
		fputc('[', out);
		for (size_t i = 0; i < f->nirqs; i++) {
			bool f3 = true;
			fputs(i ? ",\n{" : "\n{", out);
			w_u64(out, &f3, "irq", f->irqs[i].irq);
			w_str(out, &f3, "name", f->irqs[i].name);
			w_u64(out, &f3, "count", f->irqs[i].count);
			fputc('}', out);
		}
		fputc(']', out);
	} else {
		fputs("null", out);
	}
	fputs(",\n\"pools\":", out);
	if (f->has_pools) {
		fputc('[', out);
		for (size_t i = 0; i < f->npools; i++) {
			bool f3 = true;
			fputs(i ? ",\n{" : "\n{", out);
			w_hex(out, &f3, "addr", f->pools[i].addr);
			w_u64(out, &f3, "pages", f->pools[i].pages);
			w_bool(out, &f3, "counters", f->pools[i].counters);
			w_u64(out, &f3, "hold", f->pools[i].hold);
			w_u64(out, &f3, "release", f->pools[i].release);
			fputc('}', out);
		}
		fputc(']', out);
	} else {
		fputs("null", out);
	}
	fputs(",\n\"panic\":", out);
	write_panic(out, &f->panic);
	fputs(",\n\"gaps\":[", out);
	for (size_t i = 0; i < f->ngaps; i++) {
		bool f3 = true;
		fputs(i ? ",\n{" : "\n{", out);
		w_str(out, &f3, "what", f->gaps[i].what);
		w_str(out, &f3, "why", f->gaps[i].why);
		fputc('}', out);
	}
	fputs("],\n\"log\":", out);
	if (f->has_log)
		dms_json_write_mem(out, f->log, f->log_len);
	else
		fputs("null", out);
	fputs("}\n", out);
	return !ferror(out);
}

// ---------------------------------------------------------------- reading

struct rd {
	struct dms_error *err;
	const char *where; // "frames[12]"
	size_t index;
};

static __attribute__((format(printf, 2, 3))) void bad(struct rd *r, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (r->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->where)
		r->err = dms_error_create(DMS_ERR_INVALID_DATA, "facts: %s[%zu]: %s", r->where,
					  r->index, msg);
	else
		r->err = dms_error_create(DMS_ERR_INVALID_DATA, "facts: %s", msg);
}

static uint64_t r_u64(struct rd *r, const struct dms_json_value *o, const char *key)
{
	uint64_t v = 0;

	if (!dms_json_u64(dms_json_get(o, key), &v))
		bad(r, "\"%s\" is missing or not an unsigned integer", key);
	return v;
}

static int64_t r_i64(struct rd *r, const struct dms_json_value *o, const char *key)
{
	int64_t v = 0;

	if (!dms_json_i64(dms_json_get(o, key), &v))
		bad(r, "\"%s\" is missing or not an integer", key);
	return v;
}

static bool r_bool(struct rd *r, const struct dms_json_value *o, const char *key)
{
	bool v = false;

	if (!dms_json_bool(dms_json_get(o, key), &v))
		bad(r, "\"%s\" is missing or not a boolean", key);
	return v;
}

static void r_str(struct rd *r, const struct dms_json_value *o, const char *key, char *buf,
		  size_t size)
{
	const struct dms_json_value *v = dms_json_get(o, key);

	buf[0] = '\0';
	if (!v || v->type != DMS_JSON_STRING) {
		bad(r, "\"%s\" is missing or not a string", key);
		return;
	}
	if (v->len >= size || strlen(v->str) != v->len) {
		bad(r, "\"%s\" is longer than %zu bytes or holds a NUL", key, size - 1);
		return;
	}
	memcpy(buf, v->str, v->len + 1);
}

static void r_mac(struct rd *r, const struct dms_json_value *o, const char *key, uint8_t *mac)
{
	char s[24];
	unsigned int b[6];
	char extra;

	r_str(r, o, key, s, sizeof(s));
	if (r->err)
		return;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &extra) != 6) {
		bad(r, "\"%s\" is not a MAC address", key);
		return;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static enum dms_owner_kind r_owner(struct rd *r, const struct dms_json_value *o, const char *key)
{
	char s[32];

	r_str(r, o, key, s, sizeof(s));
	for (unsigned int k = 0; k < DMS_NUM_OWNER_KINDS; k++)
		if (!strcmp(s, dms_owner_kind_name(k)))
			return (enum dms_owner_kind)k;
	bad(r, "\"%s\": unknown owner kind \"%s\"", key, s);
	return DMS_OWNER_UNKNOWN;
}

static const struct dms_json_value *r_array(struct rd *r, const struct dms_json_value *o,
					    const char *key, bool nullable)
{
	const struct dms_json_value *v = dms_json_get(o, key);

	if (nullable && v && v->type == DMS_JSON_NULL)
		return NULL;
	if (!v || v->type != DMS_JSON_ARRAY) {
		bad(r, "\"%s\" is missing or not an array", key);
		return NULL;
	}
	return v;
}

static uint32_t r_u32(struct rd *r, const struct dms_json_value *o, const char *key)
{
	uint64_t v = r_u64(r, o, key);

	if (v > UINT32_MAX)
		bad(r, "\"%s\" is out of range", key);
	return (uint32_t)v;
}

static int r_int(struct rd *r, const struct dms_json_value *o, const char *key)
{
	int64_t v = r_i64(r, o, key);

	if (v < INT32_MIN || v > INT32_MAX)
		bad(r, "\"%s\" is out of range", key);
	return (int)v;
}

static void read_frame(struct rd *r, const struct dms_json_value *o, struct dms_vframe *fr)
{
	memset(fr, 0, sizeof(*fr));
	fr->paddr = r_u64(r, o, "paddr");
	fr->kvaddr = r_u64(r, o, "kvaddr");
	fr->len = r_u32(r, o, "len");
	fr->has_l2 = r_bool(r, o, "l2");
	r_mac(r, o, "dst", fr->dst_mac);
	fr->ip_csum_ok = r_bool(r, o, "ip_ok");
	fr->l4_csum_ok = r_bool(r, o, "l4_ok");
	fr->damaged = r_bool(r, o, "damaged");
	fr->virtio_hdr = r_bool(r, o, "virtio_hdr");
	uint64_t vlan = r_u64(r, o, "vlan");
	if (vlan > 4095)
		bad(r, "\"vlan\" is out of range");
	fr->vlan = (uint16_t)vlan;
	r_str(r, o, "summary", fr->summary, sizeof(fr->summary));
	r_str(r, o, "flow", fr->flow, sizeof(fr->flow));
	fr->owner = r_owner(r, o, "owner");
	if (fr->owner != DMS_OWNER_SLAB)
		return;
	r_str(r, o, "cache", fr->cache, sizeof(fr->cache));
	fr->obj = r_u64(r, o, "obj");
	fr->obj_offset = r_int(r, o, "offset");
	fr->obj_size = r_u32(r, o, "obj_size");
	char st[16];
	r_str(r, o, "state", st, sizeof(st));
	fr->state = !strcmp(st, "allocated") ? DMS_VOBJ_LIVE
		    : !strcmp(st, "free")    ? DMS_VOBJ_FREE
					     : DMS_VOBJ_UNKNOWN;
	if (fr->state == DMS_VOBJ_UNKNOWN && strcmp(st, "unknown"))
		bad(r, "\"state\": unknown state \"%s\"", st);
}

static void read_netdev(struct rd *r, const struct dms_json_value *o, struct dms_vnetdev *nd)
{
	memset(nd, 0, sizeof(*nd));
	r_str(r, o, "name", nd->name, sizeof(nd->name));
	r_str(r, o, "driver", nd->driver, sizeof(nd->driver));
	nd->bus_driver = r_bool(r, o, "bus_driver");
	r_mac(r, o, "mac", nd->mac);
	nd->up = r_bool(r, o, "up");
	const struct dms_json_value *fe = dms_json_get(o, "features");
	if (!fe || fe->type != DMS_JSON_OBJECT) {
		bad(r, "\"features\" is missing or not an object");
		return;
	}
	for (const struct dms_json_value *m = fe->child; m; m = m->next) {
		if (nd->nfeatures == DMS_FNETDEV_MAX_FEATURES) {
			bad(r, "more than %d features", DMS_FNETDEV_MAX_FEATURES);
			return;
		}
		bool on;
		if (!dms_json_bool(m, &on) || strlen(m->key) >= sizeof(nd->features[0].name)) {
			bad(r, "feature \"%.32s\" is not a boolean or its name is too long",
			    m->key);
			return;
		}
		snprintf(nd->features[nd->nfeatures].name, sizeof(nd->features[0].name), "%s",
			 m->key);
		nd->features[nd->nfeatures++].on = on;
	}
	nd->rings_read = r_bool(r, o, "rings_read");
	r_str(r, o, "rings_why", nd->rings_why, sizeof(nd->rings_why));
}

static void read_slots(struct rd *r, const struct dms_json_value *root, struct dms_facts *f)
{
	const struct dms_json_value *groups = r_array(r, root, "slots", false);

	r->where = "slots";
	r->index = 0;
	for (const struct dms_json_value *g = groups ? groups->child : NULL; g && !r->err;
	     g = g->next, r->index++) {
		struct dms_vslot s;
		memset(&s, 0, sizeof(s));
		r_str(r, g, "netdev", s.netdev, sizeof(s.netdev));
		const struct dms_json_value *rows = r_array(r, g, "slots", false);
		for (const struct dms_json_value *row = rows ? rows->child : NULL; row && !r->err;
		     row = row->next) {
			const struct dms_json_value *c[6] = { NULL };
			size_t n = 0;
			for (const struct dms_json_value *v =
				     row->type == DMS_JSON_ARRAY ? row->child : NULL;
			     v && n < 6; v = v->next)
				c[n++] = v;
			int64_t ring, slot, stale;
			uint64_t len;
			if (n != 6 || row->len != 6 || !dms_json_i64(c[0], &ring) ||
			    !dms_json_i64(c[1], &slot) || !dms_json_i64(c[2], &stale) ||
			    !dms_json_u64(c[3], &s.dma) || !dms_json_u64(c[5], &len) || ring < 0 ||
			    ring > INT32_MAX || slot < 0 || slot > INT32_MAX ||
			    (stale != 0 && stale != 1) || len > UINT32_MAX ||
			    (c[4]->type != DMS_JSON_NULL && !dms_json_u64(c[4], &s.paddr))) {
				bad(r, "a slot is not [ring, slot, stale, dma, paddr|null, len]");
				return;
			}
			if (c[4]->type == DMS_JSON_NULL)
				s.paddr = s.dma;
			s.ring = (int)ring;
			s.slot = (int)slot;
			s.stale = stale;
			s.len = (uint32_t)len;
			r->err = dms_facts_add_slot(f, &s);
		}
	}
	r->where = NULL;
}

static void read_finding(struct rd *r, const struct dms_json_value *o, struct dms_ffinding *fd)
{
	memset(fd, 0, sizeof(*fd));
	r_str(r, o, "code", fd->code, sizeof(fd->code));
	r_str(r, o, "cache", fd->cache, sizeof(fd->cache));
	fd->object = r_u64(r, o, "object");
	fd->addr = r_u64(r, o, "addr");
	fd->paddr = r_u64(r, o, "paddr");
	fd->value = r_u64(r, o, "value");
	r_str(r, o, "field", fd->field, sizeof(fd->field));
	fd->object_packets = r_u32(r, o, "object_packets");
	r_str(r, o, "reason", fd->reason, sizeof(fd->reason));
}

static void read_panic(struct rd *r, const struct dms_json_value *o, struct dms_fpanic *p)
{
	memset(p, 0, sizeof(*p));
	if (!o || o->type != DMS_JSON_OBJECT) {
		bad(r, "\"panic\" is missing or not an object");
		return;
	}
	if (dms_json_get(o, "rip_sym")) {
		p->has_sym = true;
		r_str(r, o, "rip_sym", p->rip_sym, sizeof(p->rip_sym));
		p->sym_addr = r_u64(r, o, "sym_addr");
	}
	if (dms_json_get(o, "load_ea")) {
		p->has_load = true;
		p->load_ea = r_u64(r, o, "load_ea");
		p->load_paddr = r_u64(r, o, "load_paddr");
		p->load_kvaddr = r_u64(r, o, "load_kvaddr");
		p->load_value = r_u64(r, o, "load_value");
		r_str(r, o, "load_owner", p->load_owner, sizeof(p->load_owner));
	}
	if (dms_json_get(o, "searched_value")) {
		p->searched = true;
		p->searched_value = r_u64(r, o, "searched_value");
		p->hits_more = r_bool(r, o, "hits_more");
		const struct dms_json_value *a = r_array(r, o, "hits", false);
		if (a && a->len > DMS_FPANIC_MAX_HITS)
			bad(r, "more than %d value hits", DMS_FPANIC_MAX_HITS);
		for (const struct dms_json_value *h = a ? a->child : NULL; h && !r->err;
		     h = h->next) {
			struct dms_fvalue_hit *x = &p->hits[p->nhits++];
			x->paddr = r_u64(r, h, "paddr");
			x->kvaddr = r_u64(r, h, "kvaddr");
			x->delta = r_i64(r, h, "delta");
			x->owner = r_owner(r, h, "owner");
			r_str(r, h, "owner_text", x->owner_text, sizeof(x->owner_text));
		}
	}
}

// Read every element of array key with fn into the facts' array via add.
#define READ_ARRAY(r, root, key, nullable, type, readfn, addfn, f, has)                            \
	do {                                                                                       \
		const struct dms_json_value *a_ = r_array(r, root, key, nullable);                 \
		if (has)                                                                           \
			*(bool *)(has) = a_ != NULL;                                               \
		(r)->where = key;                                                                  \
		(r)->index = 0;                                                                    \
		for (const struct dms_json_value *e_ = a_ ? a_->child : NULL; e_ && !(r)->err;     \
		     e_ = e_->next, (r)->index++) {                                                \
			type x_;                                                                   \
			readfn(r, e_, &x_);                                                        \
			if (!(r)->err)                                                             \
				(r)->err = addfn(f, &x_);                                          \
		}                                                                                  \
		(r)->where = NULL;                                                                 \
	} while (0)

static void read_cache(struct rd *r, const struct dms_json_value *o, struct dms_fcache *c)
{
	memset(c, 0, sizeof(*c));
	r_str(r, o, "name", c->name, sizeof(c->name));
	const struct dms_json_value *a = r_array(r, o, "aliases", false);
	for (const struct dms_json_value *e = a ? a->child : NULL; e && !r->err; e = e->next) {
		if (e->type != DMS_JSON_STRING || e->len >= sizeof(c->aliases[0]) ||
		    c->naliases == DMS_FCACHE_MAX_ALIASES) {
			bad(r, "bad alias");
			return;
		}
		snprintf(c->aliases[c->naliases++], sizeof(c->aliases[0]), "%s", e->str);
	}
}

static struct dms_error *add_cache(struct dms_facts *f, const struct dms_fcache *c)
{
	const char *al[DMS_FCACHE_MAX_ALIASES];

	for (size_t i = 0; i < c->naliases; i++)
		al[i] = c->aliases[i];
	return dms_facts_add_cache(f, c->name, al, c->naliases);
}

static void read_gap(struct rd *r, const struct dms_json_value *o, struct dms_fgap *g)
{
	memset(g, 0, sizeof(*g));
	r_str(r, o, "what", g->what, sizeof(g->what));
	r_str(r, o, "why", g->why, sizeof(g->why));
}

static struct dms_error *add_gap(struct dms_facts *f, const struct dms_fgap *g)
{
	return dms_facts_add_gap(f, g->what, "%s", g->why);
}

static void read_irq(struct rd *r, const struct dms_json_value *o, struct dms_firq *q)
{
	memset(q, 0, sizeof(*q));
	q->irq = r_u32(r, o, "irq");
	r_str(r, o, "name", q->name, sizeof(q->name));
	q->count = r_u64(r, o, "count");
}

static void read_pool(struct rd *r, const struct dms_json_value *o, struct dms_fpool *p)
{
	memset(p, 0, sizeof(*p));
	p->addr = r_u64(r, o, "addr");
	p->pages = r_u64(r, o, "pages");
	p->counters = r_bool(r, o, "counters");
	p->hold = r_u32(r, o, "hold");
	p->release = r_u32(r, o, "release");
}

static void read_cells(struct rd *r, const struct dms_json_value *root, struct dms_facts *f)
{
	const struct dms_json_value *a = r_array(r, root, "cells", false);
	unsigned int ncells;

	dms_memmap_cell_size(f->memory_end, &ncells);
	for (const struct dms_json_value *row = a ? a->child : NULL; row && !r->err;
	     row = row->next) {
		const struct dms_json_value *c = row->type == DMS_JSON_ARRAY ? row->child : NULL;
		uint64_t cell, count;
		unsigned int k = 0;
		if (!c || row->len != 3 || !dms_json_u64(c, &cell) ||
		    c->next->type != DMS_JSON_STRING || !dms_json_u64(c->next->next, &count) ||
		    cell >= ncells || count > UINT32_MAX) {
			bad(r, "a cell is not [cell, owner kind, count] within the memory");
			return;
		}
		while (k < DMS_NUM_OWNER_KINDS && strcmp(c->next->str, dms_owner_kind_name(k)))
			k++;
		if (k == DMS_NUM_OWNER_KINDS) {
			bad(r, "a cell's owner kind \"%.32s\" is unknown", c->next->str);
			return;
		}
		if (!f->cell_counts &&
		    !(f->cell_counts = calloc(DMS_MEMMAP_MAX_CELLS, sizeof(*f->cell_counts)))) {
			r->err = &dms_enomem;
			return;
		}
		f->cell_counts[cell][k] = (uint32_t)count;
	}
}

struct dms_error *dms_facts_read(const char *text, size_t len, struct dms_facts *f)
{
	struct dms_json *doc;
	struct rd r = { 0 };

	dms_facts_init(f);
	struct dms_error *err = dms_json_parse(text, len, &doc);
	if (err)
		return err;
	const struct dms_json_value *root = dms_json_root(doc);
	if (root->type != DMS_JSON_OBJECT) {
		bad(&r, "not a JSON object");
		goto out;
	}
	uint64_t version = r_u64(&r, root, "version");
	if (!r.err && version != DMS_FACTS_VERSION)
		bad(&r, "version %" PRIu64 " (this reader knows %d)", version, DMS_FACTS_VERSION);
	r_str(&r, root, "release", f->release, sizeof(f->release));
	r_str(&r, root, "machine", f->machine, sizeof(f->machine));
	char arch[16];
	r_str(&r, root, "arch", arch, sizeof(arch));
	f->arch = DMS_ARCH_UNKNOWN;
	for (int a = DMS_ARCH_UNKNOWN; a <= DMS_ARCH_ARM; a++)
		if (!strcmp(arch, dms_arch_name((enum dms_arch)a)))
			f->arch = (enum dms_arch)a;
	if (!r.err && f->arch == DMS_ARCH_UNKNOWN && strcmp(arch, "unknown"))
		bad(&r, "\"arch\": unknown architecture \"%s\"", arch);
	uint64_t va = r_u64(&r, root, "va_bits");
	if (va > 64)
		bad(&r, "\"va_bits\" is out of range");
	f->va_bits = (unsigned int)va;
	const struct dms_json_value *fc = dms_json_get(root, "frames_counted");
	if (!fc || fc->type != DMS_JSON_OBJECT)
		bad(&r, "\"frames_counted\" is missing or not an object");
	for (const struct dms_json_value *m = fc ? fc->child : NULL; m && !r.err; m = m->next) {
		unsigned int k = 0;
		while (k < DMS_NUM_OWNER_KINDS && strcmp(m->key, dms_owner_kind_name(k)))
			k++;
		if (k == DMS_NUM_OWNER_KINDS || !dms_json_u64(m, &f->frames_counted[k]))
			bad(&r, "\"frames_counted\": bad member \"%.32s\"", m->key);
	}
	f->frames_unweighed = r_u64(&r, root, "frames_unweighed");
	f->memory_end = r_u64(&r, root, "memory_end");
	const struct dms_json_value *dm = dms_json_get(root, "direct_map");
	if (dm && dm->type != DMS_JSON_NULL) {
		f->has_direct_map = dms_json_u64(dm, &f->direct_map);
		if (!f->has_direct_map)
			bad(&r, "\"direct_map\" is not an address or null");
	}
	read_cells(&r, root, f);
	if (r.err)
		goto out;
	// Every frame goes through the builder (the same caps as when recorded).
	READ_ARRAY(&r, root, "frames", false, struct dms_vframe, read_frame, dms_facts_add_frame, f,
		   NULL);
	READ_ARRAY(&r, root, "caches", false, struct dms_fcache, read_cache, add_cache, f, NULL);
	READ_ARRAY(&r, root, "netdevs", false, struct dms_vnetdev, read_netdev,
		   dms_facts_add_netdev, f, NULL);
	read_slots(&r, root, f);
	f->slub = r_bool(&r, root, "slub");
	READ_ARRAY(&r, root, "findings", false, struct dms_ffinding, read_finding,
		   dms_facts_add_finding, f, NULL);
	f->findings_dropped += r_u64(&r, root, "findings_dropped");
	READ_ARRAY(&r, root, "irqs", true, struct dms_firq, read_irq, dms_facts_add_irq, f,
		   &f->has_irqs);
	READ_ARRAY(&r, root, "pools", true, struct dms_fpool, read_pool, dms_facts_add_pool, f,
		   &f->has_pools);
	READ_ARRAY(&r, root, "gaps", false, struct dms_fgap, read_gap, add_gap, f, NULL);
	if (r.err)
		goto out;
	read_panic(&r, dms_json_get(root, "panic"), &f->panic);
	const struct dms_json_value *log = dms_json_get(root, "log");
	if (!log || (log->type != DMS_JSON_STRING && log->type != DMS_JSON_NULL))
		bad(&r, "\"log\" is missing or not a string");
	else if (log->type == DMS_JSON_STRING && !r.err)
		r.err = dms_facts_set_log(f, log->str, log->len);
out:
	dms_json_destroy(doc);
	if (r.err)
		dms_facts_deinit(f);
	return r.err;
}

struct dms_error *dms_facts_read_file(const char *path, struct dms_facts *f)
{
	dms_facts_init(f);
	FILE *in = fopen(path, "rb");
	if (!in)
		return dms_error_create(DMS_ERR_IO, "%s: cannot open", path);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct dms_error *err = NULL;
	for (;;) {
		if (cap - len < 65536) {
			if (cap > ((size_t)1 << 30)) {
				err = dms_error_create(DMS_ERR_INVALID_DATA,
						       "%s: larger than 1 GiB", path);
				break;
			}
			size_t ncap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				err = &dms_enomem;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, in);
		len += got;
		if (got == 0) {
			if (ferror(in))
				err = dms_error_create(DMS_ERR_IO, "%s: read error", path);
			break;
		}
	}
	fclose(in);
	if (!err)
		err = dms_facts_read(buf, len, f);
	free(buf);
	return err;
}
