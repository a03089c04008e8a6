// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: redaction of carved frames and of text for sharing evidence
// (docs/redaction.md).
//
// One keyed map for everything a report says about traffic: IPv4 and IPv6 addresses by
// Crypto-PAn (prefix-preserving, cryptopan.h), MAC addresses by a keyed map (optionally
// keeping the OUI), so a frame in a pcap, its summary line, a flow in the verdict and an
// address in the evidence text all show the same pseudonym, in every dump redacted with
// the same key.  Frames also lose their payload beyond the L4 header (zeroed, or cut
// from the capture; optionally keeping its first N bytes), and get their checksums
// recomputed so that they still dissect.  Kernel addresses (hex) are not touched.
#ifndef DMS_REDACT_H
#define DMS_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pkt.h"

struct dms_redact;

struct dms_redact_opts {
	size_t keep;   // payload bytes kept after the L4 header (0: none)
	bool cut;      // cut the payload from the capture instead of zeroing it
	bool keep_oui; // MAC addresses keep their first three bytes (the vendor)
};

/**
 * Parse a redaction spec: "KEYFILE[,keep=N][,cut][,oui]", where KEYFILE may be
 * "pass:PHRASE" (a passphrase on the command line) or "env:VAR" (a passphrase in the
 * environment).  A key file holding 32 bytes, or 64 hex digits, is the key; any other
 * content is a passphrase.  Passphrases become the key by PBKDF2-HMAC-SHA256.
 */
struct dms_error *dms_redact_create_spec(const char *spec, struct dms_redact **ret);

/** The same from a 32-byte key and options. */
struct dms_error *dms_redact_create(const uint8_t key[32], const struct dms_redact_opts *opts,
				    struct dms_redact **ret);

/** Free (NULL is fine). */
void dms_redact_destroy(struct dms_redact *r);

/** The 32-byte key of a passphrase (PBKDF2-HMAC-SHA256, fixed salt, 100000 rounds). */
struct dms_error *dms_redact_key_from_passphrase(const char *pass, size_t len, uint8_t key[32]);

/** The options a redactor was made with. */
const struct dms_redact_opts *dms_redact_options(const struct dms_redact *r);

/** Map an IPv4 (nbytes 4) or IPv6 (16) address; in == out is fine. */
void dms_redact_ip(struct dms_redact *r, const uint8_t *in, uint8_t *out, size_t nbytes);

/** Map a MAC address (broadcast and all-zero stay; the group bit is kept). */
void dms_redact_mac(struct dms_redact *r, const uint8_t in[6], uint8_t out[6]);

/**
 * Redact a frame in place: buf holds caplen bytes of the frame pkt decodes (as
 * dms_pkt_decode() filled it from the same bytes).  MACs (Ethernet, ARP), IP addresses
 * (IPv4, IPv6, ARP), IPv4 options, and the payload after the L4 header (after the L3
 * header when there is none) are rewritten; the IPv4 header checksum and the TCP, UDP,
 * ICMP and ICMPv6 checksums are recomputed (not for fragments).  Returns the bytes to
 * keep in the capture (caplen, or less with opts.cut).
 */
size_t dms_redact_frame(struct dms_redact *r, uint8_t *buf, size_t caplen,
			const struct dms_pkt *pkt);

/**
 * Copy text to out (size bytes, always NUL-terminated when size > 0), with every IPv4
 * address, IPv6 address and MAC address in it mapped.  Returns the length the whole
 * result has (like snprintf).
 */
size_t dms_redact_text(struct dms_redact *r, const char *text, char *out, size_t size);

#endif // DMS_REDACT_H
