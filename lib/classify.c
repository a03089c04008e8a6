// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: byte classification (see classify.h).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "kfacts.h"
#include "pkt.h"
#include "scan.h"

const char *dms_class_name(enum dms_class cls)
{
	static const char *const names[] = {
		[DMS_CLASS_ZERO] = "zero",     [DMS_CLASS_POISON] = "poison",
		[DMS_CLASS_PACKET] = "packet", [DMS_CLASS_POINTER] = "pointer",
		[DMS_CLASS_ASCII] = "ascii",   [DMS_CLASS_INTEGER] = "integer",
		[DMS_CLASS_RANDOM] = "random",
	};
	return (unsigned int)cls < DMS_CLASS_NUM ? names[cls] : "?";
}

static bool is_poison(uint8_t b)
{
	return b == 0x6b || b == 0xa5 || b == 0xbb || b == 0xcc || b == 0x5a;
}

static bool is_text(uint8_t b)
{
	return (b >= 0x20 && b < 0x7f) || b == '\t' || b == '\n' || b == '\r';
}

// Class of up to 8 bytes (a word, or a partial word at either end).
static enum dms_class classify_bytes(const uint8_t *p, size_t n,
				     const struct dms_classify_config *cfg,
				     struct dms_ptr_info *ptr)
{
	size_t zeros = 0, poison = 0, text = 0;
	for (size_t i = 0; i < n; i++) {
		zeros += p[i] == 0;
		poison += is_poison(p[i]);
		text += is_text(p[i]);
	}
	if (zeros == n)
		return DMS_CLASS_ZERO;
	if (poison == n)
		return DMS_CLASS_POISON;
	// Printable text, or the start or end of a string next to NULs.
	if (text == n || (text + zeros == n && text >= 3))
		return DMS_CLASS_ASCII;
	if (n < 8)
		return text + zeros == n ? DMS_CLASS_ASCII : DMS_CLASS_RANDOM;
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return dms_classify_word(v, cfg, ptr);
}

enum dms_class dms_classify_word(uint64_t v, const struct dms_classify_config *cfg,
				 struct dms_ptr_info *ret)
{
	struct dms_ptr_info tmp;
	if (!ret)
		ret = &tmp;
	memset(ret, 0, sizeof(*ret));
	if (v == 0)
		return DMS_CLASS_ZERO;
	uint8_t b[8];
	size_t poison = 0, text = 0;
	for (size_t i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v >> (8 * i));
		poison += is_poison(b[i]);
		text += is_text(b[i]);
	}
	if (poison == 8)
		return DMS_CLASS_POISON;
	if (cfg && cfg->pointer) {
		if (cfg->pointer(v, cfg->arg, ret))
			return DMS_CLASS_POINTER;
	} else if (cfg && cfg->kf && dms_kf_kernel_ptr(cfg->kf, v) && v < 0xfffffffffffff000ULL) {
		// The kernel range, but not the top page (ERR_PTR values).
		ret->kind = DMS_PTR_KERNEL;
		return DMS_CLASS_POINTER;
	}
	if (text == 8)
		return DMS_CLASS_ASCII;
	if (v >> 32 == 0 || v >> 31 == 0x1ffffffffULL)
		return DMS_CLASS_INTEGER;
	return DMS_CLASS_RANDOM;
}

// log2 without libm (the extension links no -lm): split off the binary
// exponent, then ln(m) = 2 atanh((m - 1) / (m + 1)) for m in [1, 2).
static double lg2(double x)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	int e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ((1ULL << 52) - 1)) | (1023ULL << 52);
	double m;
	memcpy(&m, &bits, sizeof(m));
	double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= z2;
	}
	return e + 2 * sum / 0.69314718055994530942;
}

struct ctx {
	const uint8_t *buf;
	size_t len;
	uint8_t *cls;
	struct dms_class_result *r;
};

static void add_evidence(struct dms_class_result *r, enum dms_class cls, size_t off, size_t len,
			 uint64_t value, const char *text)
{
	if (r->nevidence >= DMS_CLASS_MAX_EVIDENCE)
		return;
	struct dms_class_evidence *e = &r->evidence[r->nevidence++];
	e->cls = cls;
	e->offset = off;
	e->len = len;
	e->value = value;
	snprintf(e->text, sizeof(e->text), "%s", text);
}

static struct dms_error *on_packet(const struct dms_hit *hit, void *arg)
{
	struct ctx *c = arg;
	size_t off = hit->pkt.offset, n = hit->pkt.caplen;
	if (off >= c->len)
		return NULL;
	if (n > c->len - off)
		n = c->len - off;
	memset(c->cls + off, DMS_CLASS_PACKET, n);
	c->r->npackets++;
	char sum[120], text[160];
	dms_pkt_format(&hit->pkt, sum, sizeof(sum));
	snprintf(text, sizeof(text), "%s at +%#zx", sum, off);
	add_evidence(c->r, DMS_CLASS_PACKET, off, n, 0, text);
	return NULL;
}

static const char *ptr_kind_name(enum dms_ptr_kind k)
{
	switch (k) {
	case DMS_PTR_DIRECT_MAP:
		return "direct map";
	case DMS_PTR_KERNEL_IMAGE:
		return "kernel image";
	case DMS_PTR_MODULE:
		return "module";
	case DMS_PTR_VMALLOC:
		return "vmalloc";
	case DMS_PTR_SLAB:
		return "slab";
	default:
		return "kernel";
	}
}

// Evidence line for a run of one class at buf[off..off+n).
static void run_evidence(struct ctx *c, const struct dms_classify_config *cfg, enum dms_class cls,
			 size_t off, size_t n)
{
	char text[160];
	const uint8_t *p = c->buf + off;
	uint64_t value = 0;
	switch (cls) {
	case DMS_CLASS_ASCII: {
		char s[48];
		size_t k = 0;
		// Text starts after the NULs of its first word.
		while (n > 1 && *p == 0) {
			p++;
			off++;
			n--;
		}
		for (size_t i = 0; i < n && k + 4 < sizeof(s); i++) {
			if (p[i] == 0)
				break;
			s[k++] = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\'
					 ? (char)p[i]
					 : '.';
		}
		s[k] = '\0';
		snprintf(text, sizeof(text), "ASCII \"%s%s\" (%zu bytes) at +%#zx", s,
			 k + 4 >= sizeof(s) ? "..." : "", n, off);
		break;
	}
	case DMS_CLASS_POINTER: {
		for (size_t i = 0; i < 8 && i < n; i++)
			value |= (uint64_t)p[i] << (8 * i);
		struct dms_ptr_info pi;
		dms_classify_word(value, cfg, &pi);
		char where[80];
		if (pi.name)
			snprintf(where, sizeof(where), "%s %s%+lld", ptr_kind_name(pi.kind),
				 pi.name, (long long)pi.offset);
		else
			snprintf(where, sizeof(where), "%s", ptr_kind_name(pi.kind));
		snprintf(text, sizeof(text), "%zu pointer%s, first %#llx (%s) at +%#zx", n / 8,
			 n / 8 == 1 ? "" : "s", (unsigned long long)value, where, off);
		break;
	}
	case DMS_CLASS_POISON:
		value = p[0];
		snprintf(text, sizeof(text), "poison 0x%02x... (%zu bytes) at +%#zx", p[0], n, off);
		break;
	case DMS_CLASS_INTEGER:
		snprintf(text, sizeof(text), "small integers (%zu bytes) at +%#zx", n, off);
		break;
	case DMS_CLASS_RANDOM:
		snprintf(text, sizeof(text), "high-entropy bytes (%zu bytes) at +%#zx", n, off);
		break;
	default:
		return;
	}
	add_evidence(c->r, cls, off, n, value, text);
}

struct dms_error *dms_classify(const uint8_t *buf, size_t len, uint64_t addr,
			       const struct dms_classify_config *cfg, struct dms_class_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->dominant = DMS_CLASS_ZERO;
	if (!len)
		return NULL;
	uint8_t *cls = malloc(len);
	if (!cls)
		return &dms_enomem;
	memset(cls, DMS_CLASS_NUM, len);
	struct ctx c = { buf, len, cls, ret };

	// 1. Frames.
	struct dms_scan scan;
	dms_scan_init(&scan);
	if (cfg && cfg->min_score)
		scan.min_score = cfg->min_score;
	struct dms_error *err = dms_scan_buffer(&scan, buf, len, len, 0, on_packet, &c);
	if (err) {
		free(cls);
		return err;
	}

	// 2. Words (aligned to addr), and the partial words at either end.
	size_t i = 0;
	while (i < len) {
		size_t n = 8 - (size_t)((addr + i) & 7);
		if (n > len - i)
			n = len - i;
		bool free_bytes = true;
		for (size_t k = 0; k < n; k++)
			free_bytes &= cls[i + k] == DMS_CLASS_NUM;
		if (free_bytes) {
			enum dms_class k = classify_bytes(buf + i, n, cfg, NULL);
			memset(cls + i, k, n);
		} else {
			// Bytes next to a frame, inside the same word.
			for (size_t k = 0; k < n; k++) {
				if (cls[i + k] == DMS_CLASS_NUM)
					cls[i + k] = buf[i + k] ? (is_text(buf[i + k])
									   ? DMS_CLASS_ASCII
									   : DMS_CLASS_RANDOM)
								: DMS_CLASS_ZERO;
			}
		}
		i += n;
	}

	// 3. Counts, runs, entropy.
	size_t hist[256] = { 0 };
	for (i = 0; i < len; i++) {
		ret->bytes[cls[i]]++;
		hist[buf[i]]++;
	}
	size_t nonzero = len - hist[0], best = 0;
	double h = 0;
	for (int b = 0; b < 256; b++) {
		if (hist[b]) {
			double q = (double)hist[b] / (double)len;
			h -= q * lg2(q);
		}
	}
	ret->entropy = h;
	for (i = 0; i < len;) {
		size_t j = i + 1;
		while (j < len && cls[j] == cls[i])
			j++;
		if (cls[i] != DMS_CLASS_ZERO && cls[i] != DMS_CLASS_PACKET)
			run_evidence(&c, cfg, (enum dms_class)cls[i], i, j - i);
		i = j;
	}

	// 4. Dominant: most bytes of a non-zero class; ties go to the
	// earlier class.
	if (nonzero >= 8) {
		for (int k = DMS_CLASS_POISON; k < DMS_CLASS_NUM; k++) {
			if (ret->bytes[k] > best) {
				best = ret->bytes[k];
				ret->dominant = (enum dms_class)k;
			}
		}
	}
	free(cls);
	return NULL;
}

size_t dms_class_format(const struct dms_class_result *r, char *buf, size_t size)
{
	size_t total = 0;
	for (int k = 0; k < DMS_CLASS_NUM; k++)
		total += r->bytes[k];
	const char *first = "";
	for (size_t i = 0; i < r->nevidence; i++) {
		if (r->evidence[i].cls == r->dominant) {
			first = r->evidence[i].text;
			break;
		}
	}
	int n = snprintf(buf, size, "%s (%zu of %zu bytes)%s%s", dms_class_name(r->dominant),
			 r->bytes[r->dominant], total, *first ? ": " : "", first);
	return n > 0 ? (size_t)n : 0;
}
