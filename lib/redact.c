// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: redaction of frames and text (redact.h).
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cryptopan.h"
#include "redact.h"

#define KDF_ROUNDS 100000
#define KDF_SALT "dmasleuth-redact-v1"
#define MAX_KEEP 65535

struct dms_redact {
	struct dms_cryptopan *pan;
	struct dms_redact_opts opts;
};

struct dms_error *dms_redact_key_from_passphrase(const char *pass, size_t len, uint8_t key[32])
{
	if (!len)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "redaction: empty passphrase");
	if (!PKCS5_PBKDF2_HMAC(pass, (int)(len > 65536 ? 65536 : len),
			       (const unsigned char *)KDF_SALT, (int)strlen(KDF_SALT), KDF_ROUNDS,
			       EVP_sha256(), 32, key))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"redaction: PBKDF2 failed in libcrypto");
	return NULL;
}

struct dms_error *dms_redact_create(const uint8_t key[32], const struct dms_redact_opts *opts,
				    struct dms_redact **ret)
{
	struct dms_redact *r = calloc(1, sizeof(*r));

	*ret = NULL;
	if (!r)
		return &dms_enomem;
	struct dms_error *err = dms_cryptopan_create(key, &r->pan);
	if (err) {
		free(r);
		return err;
	}
	if (opts)
		r->opts = *opts;
	if (r->opts.keep > MAX_KEEP)
		r->opts.keep = MAX_KEEP;
	*ret = r;
	return NULL;
}

void dms_redact_destroy(struct dms_redact *r)
{
	if (!r)
		return;
	dms_cryptopan_destroy(r->pan);
	free(r);
}

const struct dms_redact_opts *dms_redact_options(const struct dms_redact *r)
{
	return &r->opts;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

// The key from a key file's bytes: 32 raw bytes, 64 hex digits, else a passphrase.
static struct dms_error *key_from_file(const char *path, uint8_t key[32])
{
	uint8_t buf[4097];
	FILE *fp = fopen(path, "rb");

	if (!fp)
		return dms_error_create(DMS_ERR_IO, "redaction key %s: cannot open", path);
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	if (n == sizeof(buf))
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "redaction key %s: over 4 KiB",
					path);
	if (n == 32) {
		memcpy(key, buf, 32);
		return NULL;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 64) {
		bool hex = true;
		for (size_t i = 0; i < 32 && hex; i++) {
			int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
			hex = hi >= 0 && lo >= 0;
			key[i] = (uint8_t)(hi << 4 | lo);
		}
		if (hex)
			return NULL;
	}
	if (!n)
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT, "redaction key %s: empty", path);
	return dms_redact_key_from_passphrase((const char *)buf, n, key);
}

struct dms_error *dms_redact_create_spec(const char *spec, struct dms_redact **ret)
{
	struct dms_redact_opts opts = { 0 };
	uint8_t key[32];
	struct dms_error *err = NULL;

	*ret = NULL;
	if (!spec || !spec[0])
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"redaction: no key (KEYFILE, pass:PHRASE or env:VAR)");
	char *copy = strdup(spec);
	if (!copy)
		return &dms_enomem;
	// Options after the last commas that name one; the rest is the key source.
	char *comma;
	while ((comma = strrchr(copy, ','))) {
		const char *o = comma + 1;
		char *end;
		if (!strncmp(o, "keep=", 5)) {
			unsigned long v = strtoul(o + 5, &end, 10);
			if (end == o + 5 || *end || v > MAX_KEEP) {
				err = dms_error_create(DMS_ERR_INVALID_ARGUMENT,
						       "redaction: keep=N needs N from 0 to %d",
						       MAX_KEEP);
				goto out;
			}
			opts.keep = v;
		} else if (!strcmp(o, "cut")) {
			opts.cut = true;
		} else if (!strcmp(o, "oui")) {
			opts.keep_oui = true;
		} else {
			break; // part of the key source (a passphrase with a comma)
		}
		*comma = '\0';
	}
	if (!strncmp(copy, "pass:", 5)) {
		err = dms_redact_key_from_passphrase(copy + 5, strlen(copy + 5), key);
	} else if (!strncmp(copy, "env:", 4)) {
		const char *v = getenv(copy + 4);
		if (!v)
			err = dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					       "redaction: $%s is not set", copy + 4);
		else
			err = dms_redact_key_from_passphrase(v, strlen(v), key);
	} else {
		err = key_from_file(copy, key);
	}
	if (!err)
		err = dms_redact_create(key, &opts, ret);
out:
	memset(key, 0, sizeof(key));
	free(copy);
	return err;
}

void dms_redact_ip(struct dms_redact *r, const uint8_t *in, uint8_t *out, size_t nbytes)
{
	dms_cryptopan_anon(r->pan, in, out, nbytes);
}

void dms_redact_mac(struct dms_redact *r, const uint8_t in[6], uint8_t out[6])
{
	static const uint8_t zero[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (!memcmp(in, zero, 6) || !memcmp(in, bcast, 6)) {
		memmove(out, in, 6);
		return;
	}
	// A block of its own domain (first byte 0xff, "MAC"), encrypted with the key's AES.
	uint8_t block[16] = { 0xff, 'M', 'A', 'C' }, enc[16];
	memcpy(block + 4, in, 6);
	dms_cryptopan_block(r->pan, block, enc);
	if (r->opts.keep_oui) {
		memmove(out, in, 3);
		memcpy(out + 3, enc, 3);
		return;
	}
	// Locally administered (a pseudonym, not a vendor's), group bit as it was.
	uint8_t first = (uint8_t)((enc[0] & 0xfc) | 0x02 | (in[0] & 0x01));
	memcpy(out + 1, enc + 1, 5);
	out[0] = first;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void zero(uint8_t *buf, size_t from, size_t to)
{
	if (from < to)
		memset(buf + from, 0, to - from);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

// The L4 checksum over the pseudo-header (RFC 768, 793, 8200 section 8.1; none for
// ICMP, RFC 792) and the segment; bytes of the segment past caplen count as zero (they
// are payload, and redacted payload is zero).
static void l4_checksum(uint8_t *buf, size_t caplen, const struct dms_pkt *p, size_t l4, size_t end,
			size_t field, bool pseudo)
{
	uint32_t sum = 0;

	if (l4 + field + 2 > caplen || end < l4)
		return;
	size_t seg = end - l4;
	put16(buf + l4 + field, 0);
	if (pseudo) {
		size_t alen = p->ip_version == 6 ? 16 : 4;
		size_t l3 = p->l3_off;
		uint8_t tail[8] = { 0 };
		sum = dms_csum_add(sum, buf + l3 + (p->ip_version == 6 ? 8 : 12), 2 * alen);
		if (p->ip_version == 6) {
			tail[0] = (uint8_t)(seg >> 24);
			tail[1] = (uint8_t)(seg >> 16);
			tail[2] = (uint8_t)(seg >> 8);
			tail[3] = (uint8_t)seg;
			tail[7] = p->proto;
		} else {
			tail[1] = p->proto;
			tail[2] = (uint8_t)(seg >> 8);
			tail[3] = (uint8_t)seg;
		}
		sum = dms_csum_add(sum, tail, p->ip_version == 6 ? 8 : 4);
	}
	sum = dms_csum_add(sum, buf + l4, min_size(caplen, end) - l4);
	uint16_t c = (uint16_t)~dms_csum_fold(sum);
	if (p->proto == 17 && c == 0)
		c = 0xffff; // RFC 768: a computed zero is sent as all ones
	put16(buf + l4 + field, c);
}

// The addresses IPv6 routing headers carry (RFC 8200 section 4.4): type 0 (RFC 5095)
// and type 2 (RFC 6275), hdr_ext_len / 2 of them; type 4 (segment routing, RFC 8754),
// last entry + 1.  The extension headers before the L4 header are walked, at most 8.
static void ipv6_routing(struct dms_redact *r, uint8_t *buf, size_t caplen, size_t l3, size_t l4)
{
	uint8_t next = buf[l3 + 6];
	size_t h = l3 + 40;

	for (int n = 0; n < 8 && h + 8 <= caplen && (!l4 || h < l4); n++) {
		size_t len = next == 44	  ? 8
			     : next == 51 ? ((size_t)buf[h + 1] + 2) * 4
					  : ((size_t)buf[h + 1] + 1) * 8;
		if (next != 0 && next != 43 && next != 44 && next != 51 && next != 60)
			return;
		if (next == 43) {
			size_t count = buf[h + 2] == 4			    ? (size_t)buf[h + 4] + 1
				       : buf[h + 2] == 0 || buf[h + 2] == 2 ? (size_t)buf[h + 1] / 2
									    : 0;
			for (size_t i = 0; i < count && h + 8 + 16 * (i + 1) <= h + len &&
					   h + 8 + 16 * (i + 1) <= caplen;
			     i++)
				dms_redact_ip(r, buf + h + 8 + 16 * i, buf + h + 8 + 16 * i, 16);
		}
		next = buf[h];
		h += len;
	}
}

// Neighbor discovery (RFC 4861 section 4): the target (and a redirect's destination)
// address after the header is mapped, and the options keep their type and length (a
// zeroed option is malformed) with link-layer addresses mapped and other bodies zeroed.
// Returns the end of the messages's structure: there is no payload after it.
static size_t nd_options(struct dms_redact *r, uint8_t *buf, size_t end, size_t l4)
{
	static const uint8_t hdr_len[] = { 8, 16, 24, 24, 40 }; // RS, RA, NS, NA, redirect
	uint8_t type = buf[l4];
	size_t h = l4 + hdr_len[type - 133];

	if (h > end)
		return l4 + 8;
	if (type >= 135)
		dms_redact_ip(r, buf + l4 + 8, buf + l4 + 8, 16);
	if (type == 137)
		dms_redact_ip(r, buf + l4 + 24, buf + l4 + 24, 16);
	for (int n = 0; n < 64 && h + 2 <= end; n++) {
		size_t len = (size_t)buf[h + 1] * 8;
		if (!len || h + len > end)
			break;
		if ((buf[h] == 1 || buf[h] == 2) && len == 8)
			dms_redact_mac(r, buf + h + 2, buf + h + 2);
		else
			zero(buf, h + 2, h + len);
		h += len;
	}
	return h;
}

size_t dms_redact_frame(struct dms_redact *r, uint8_t *buf, size_t caplen, const struct dms_pkt *p)
{
	size_t l3 = p->l3_off;

	if (p->l2 == DMS_L2_ETHERNET) {
		if (caplen < 14)
			return 0; // not even the Ethernet header: nothing safe to keep
		dms_redact_mac(r, buf, buf);
		dms_redact_mac(r, buf + 6, buf + 6);
	}
	if (p->ip_version == 0) {
		// ARP (RFC 826) for IPv4 over Ethernet: sender and target, hardware and protocol.
		if (l3 + 28 <= caplen && buf[l3 + 4] == 6 && buf[l3 + 5] == 4) {
			dms_redact_mac(r, buf + l3 + 8, buf + l3 + 8);
			dms_redact_ip(r, buf + l3 + 14, buf + l3 + 14, 4);
			dms_redact_mac(r, buf + l3 + 18, buf + l3 + 18);
			dms_redact_ip(r, buf + l3 + 24, buf + l3 + 24, 4);
			zero(buf, l3 + 28, caplen);
			return caplen;
		}
		zero(buf, l3, caplen);
		return caplen;
	}
	size_t hl = p->l3_hdr_len;
	if (p->ip_version == 4) {
		// RFC 791: addresses at 12 and 16, options after 20 (they may hold addresses).
		if (hl < 20 || l3 + hl > caplen) {
			zero(buf, l3, caplen);
			return caplen;
		}
		dms_redact_ip(r, buf + l3 + 12, buf + l3 + 12, 4);
		dms_redact_ip(r, buf + l3 + 16, buf + l3 + 16, 4);
		zero(buf, l3 + 20, l3 + hl);
		put16(buf + l3 + 10, 0);
		put16(buf + l3 + 10, (uint16_t)~dms_csum_fold(dms_csum_add(0, buf + l3, hl)));
	} else {
		// RFC 8200: source at 8, destination at 24.
		if (l3 + 40 > caplen) {
			zero(buf, l3, caplen);
			return caplen;
		}
		dms_redact_ip(r, buf + l3 + 8, buf + l3 + 8, 16);
		dms_redact_ip(r, buf + l3 + 24, buf + l3 + 24, 16);
		if (hl < 40)
			hl = 40;
		ipv6_routing(r, buf, caplen, l3, p->l4_off);
	}
	size_t end = l3 + p->l3_len; // as the IP header declares it
	size_t l4 = p->l4_off, hdr_end = l3 + hl, field = 0;
	bool sum = false, pseudo = true;
	bool first = !p->fragment || (p->frag_offset == 0 && !p->more_fragments);
	if (l4 && first && l4 < end) {
		switch (p->proto) {
		case 6: // TCP, RFC 9293: data offset in 32-bit words
			hdr_end = l4 + (l4 + 13 <= caplen ? (size_t)(buf[l4 + 12] >> 4) * 4 : 20);
			field = 16;
			sum = true;
			break;
		case 17: // UDP, RFC 768; a zero checksum over IPv4 means none
			hdr_end = l4 + 8;
			field = 6;
			sum = !(p->ip_version == 4 && l4 + 8 <= caplen && !buf[l4 + 6] &&
				!buf[l4 + 7]);
			break;
		case 1: // ICMP, RFC 792: the checksum has no pseudo-header
			hdr_end = l4 + 8;
			field = 2;
			sum = true;
			pseudo = false;
			break;
		case 58: // ICMPv6, RFC 4443
			hdr_end = l4 + 8;
			field = 2;
			sum = true;
			if (l4 < caplen && buf[l4] >= 133 && buf[l4] <= 137)
				hdr_end = nd_options(r, buf, min_size(caplen, end), l4);
			break;
		default:
			hdr_end = l4;
			break;
		}
	} else if (l4) {
		hdr_end = l4;
	}
	size_t keep_to = hdr_end + r->opts.keep;
	zero(buf, keep_to, caplen);
	// A checksum needs every byte: those past caplen are unknown unless zeroed payload.
	if (sum && end <= 65535 + l3 && hdr_end <= caplen && (caplen >= end || keep_to <= caplen))
		l4_checksum(buf, caplen, p, l4, end, field, pseudo);
	return r->opts.cut ? min_size(caplen, keep_to) : caplen;
}

// ---------------------------------------------------------------- text

static bool word_char(int c)
{
	return isalnum(c) || c == '_';
}

// MAC "hh:hh:hh:hh:hh:hh" at s (17 characters).
static bool parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hexval((unsigned char)s[3 * i]),
		    lo = hi < 0 ? -1 : hexval((unsigned char)s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return !word_char((unsigned char)s[17]) && s[17] != ':';
}

// Dotted-quad IPv4 at s; its length, or 0.
static size_t parse_ipv4(const char *s, uint8_t addr[4])
{
	size_t n = 0;

	for (int part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;
		while (isdigit((unsigned char)s[n]) && digits < 4) {
			v = v * 10 + (unsigned int)(s[n++] - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return 0;
		addr[part] = (uint8_t)v;
		if (part < 3) {
			if (s[n] != '.')
				return 0;
			n++;
		}
	}
	// Not part of a longer dotted number or word.
	if (word_char((unsigned char)s[n]) || (s[n] == '.' && isdigit((unsigned char)s[n + 1])))
		return 0;
	return n;
}

// IPv6 text at s (RFC 4291 section 2.2); its length, or 0.
static size_t parse_ipv6(const char *s, uint8_t addr[16])
{
	char tok[INET6_ADDRSTRLEN + 1];
	size_t n = 0, colons = 0;

	while (n < INET6_ADDRSTRLEN &&
	       (isxdigit((unsigned char)s[n]) || s[n] == ':' || s[n] == '.')) {
		colons += s[n] == ':';
		n++;
	}
	if (colons < 2 || word_char((unsigned char)s[n]))
		return 0;
	// The longest prefix that parses ("fe80::1:" at the end of a sentence).
	for (; n >= 2; n--) {
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (inet_pton(AF_INET6, tok, addr) == 1)
			return n;
		if (s[n - 1] != ':' && s[n - 1] != '.')
			return 0;
	}
	return 0;
}

size_t dms_redact_text(struct dms_redact *r, const char *text, char *out, size_t size)
{
	size_t n = 0;
	char rep[INET6_ADDRSTRLEN + 1];

#define EMIT(c)                                                                                    \
	do {                                                                                       \
		if (n + 1 < size)                                                                  \
			out[n] = (c);                                                              \
		n++;                                                                               \
	} while (0)
	for (size_t i = 0; text[i];) {
		unsigned char prev = i ? (unsigned char)text[i - 1] : ' ';
		size_t len = 0;
		if (!word_char(prev) && prev != ':' && prev != '.') {
			uint8_t a[16];
			if (strlen(text + i) >= 17 && parse_mac(text + i, a)) {
				dms_redact_mac(r, a, a);
				snprintf(rep, sizeof(rep), "%02x:%02x:%02x:%02x:%02x:%02x", a[0],
					 a[1], a[2], a[3], a[4], a[5]);
				len = 17;
			} else if ((len = parse_ipv6(text + i, a))) {
				dms_redact_ip(r, a, a, 16);
				if (!inet_ntop(AF_INET6, a, rep, sizeof(rep)))
					len = 0;
			} else if ((len = parse_ipv4(text + i, a))) {
				dms_redact_ip(r, a, a, 4);
				snprintf(rep, sizeof(rep), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
			}
		}
		if (len) {
			for (const char *q = rep; *q; q++)
				EMIT(*q);
			i += len;
		} else {
			EMIT(text[i]);
			i++;
		}
	}
#undef EMIT
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}
