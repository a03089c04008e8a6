// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: Crypto-PAn, prefix-preserving anonymisation of IPv4 and IPv6 addresses.
//
// J. Fan, J. Xu, M. Ammar, S. Moon, "Prefix-preserving IP address anonymization:
// measurement-based security evaluation and a new cryptography-based scheme", Computer
// Networks 46(2), 2004 (ICNP 2002).  With a 32-byte key (AES-128 key, then the pad's
// plaintext), bit i of the result is bit i of the address XOR the first bit of
// AES(first i bits of the address, then the pad's bits from i on).  Two addresses that
// share a k-bit prefix map to two that share a k-bit prefix; the map is one-to-one, and
// the same key gives the same map in every dump and every run (docs/redaction.md).
// AES comes from OpenSSL's libcrypto.
#ifndef DMS_CRYPTOPAN_H
#define DMS_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct dms_cryptopan;

/** A Crypto-PAn instance for a 32-byte key; destroy with dms_cryptopan_destroy(). */
struct dms_error *dms_cryptopan_create(const uint8_t key[32], struct dms_cryptopan **ret);

/** Free an instance (NULL is fine). */
void dms_cryptopan_destroy(struct dms_cryptopan *c);

/** Anonymise an address of nbytes (4: IPv4, 16: IPv6) bytes, network order; in == out is fine. */
void dms_cryptopan_anon(struct dms_cryptopan *c, const uint8_t *in, uint8_t *out, size_t nbytes);

/**
 * Encrypt one 16-byte block with the instance's AES key (for keyed maps of other
 * identifiers, e.g. MAC addresses, derived from the same key).
 */
void dms_cryptopan_block(struct dms_cryptopan *c, const uint8_t in[16], uint8_t out[16]);

#endif // DMS_CRYPTOPAN_H
