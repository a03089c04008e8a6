// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: Crypto-PAn (cryptopan.h).
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cryptopan.h"

struct dms_cryptopan {
	EVP_CIPHER_CTX *aes;
	uint8_t pad[16]; // AES(key[16..31])
	// The last address of each size and its map: frames carry the same two addresses
	// many times, and one IPv6 address costs 128 AES blocks.
	uint8_t last_in[2][16], last_out[2][16];
	int last_valid[2];
};

void dms_cryptopan_block(struct dms_cryptopan *c, const uint8_t in[16], uint8_t out[16])
{
	int n = 0;

	// ECB on one block of a key set at create: cannot fail once initialised.
	if (!EVP_EncryptUpdate(c->aes, out, &n, in, 16) || n != 16)
		memset(out, 0, 16);
}

struct dms_error *dms_cryptopan_create(const uint8_t key[32], struct dms_cryptopan **ret)
{
	struct dms_cryptopan *c = calloc(1, sizeof(*c));

	*ret = NULL;
	if (!c)
		return &dms_enomem;
	c->aes = EVP_CIPHER_CTX_new();
	if (!c->aes)
		goto out_free;
	if (!EVP_EncryptInit_ex(c->aes, EVP_aes_128_ecb(), NULL, key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(c->aes, 0)) {
		EVP_CIPHER_CTX_free(c->aes);
		free(c);
		return dms_error_create(DMS_ERR_INVALID_ARGUMENT,
					"Crypto-PAn: AES-128 unavailable in libcrypto");
	}
	dms_cryptopan_block(c, key + 16, c->pad);
	*ret = c;
	return NULL;
out_free:
	free(c);
	return &dms_enomem;
}

void dms_cryptopan_destroy(struct dms_cryptopan *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->aes);
	memset(c, 0, sizeof(*c));
	free(c);
}

void dms_cryptopan_anon(struct dms_cryptopan *c, const uint8_t *in, uint8_t *out, size_t nbytes)
{
	int slot = nbytes == 4 ? 0 : 1;
	uint8_t addr[16], otp[16] = { 0 };

	if (nbytes != 4 && nbytes != 16)
		return;
	memcpy(addr, in, nbytes);
	if (c->last_valid[slot] && !memcmp(c->last_in[slot], addr, nbytes)) {
		memcpy(out, c->last_out[slot], nbytes);
		return;
	}
	for (size_t i = 0; i < nbytes * 8; i++) {
		// The first i bits of the address, then the pad from bit i on.
		uint8_t block[16], enc[16];
		memcpy(block, c->pad, 16);
		size_t whole = i / 8;
		memcpy(block, addr, whole);
		if (i % 8) {
			uint8_t mask = (uint8_t)(0xff00 >> (i % 8));
			block[whole] = (uint8_t)((addr[whole] & mask) | (c->pad[whole] & ~mask));
		}
		dms_cryptopan_block(c, block, enc);
		otp[i / 8] |= (uint8_t)((enc[0] >> 7) << (7 - i % 8));
	}
	for (size_t i = 0; i < nbytes; i++)
		out[i] = addr[i] ^ otp[i];
	memcpy(c->last_in[slot], addr, nbytes);
	memcpy(c->last_out[slot], out, nbytes);
	c->last_valid[slot] = 1;
}
