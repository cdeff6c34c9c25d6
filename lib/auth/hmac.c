/* HMAC-SHA256: see hmac.h. */
#include "auth/hmac.h"

#include <string.h>

#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"

void sha256(const void *data, size_t n, uint8_t out[SHA256_BYTES])
{
	mbedtls_sha256_ret(data, n, out, 0);
}

/* The key padded to one block, XORed with pad (0x36 inner, 0x5c outer). */
static void key_block(const uint8_t *key, size_t keylen, uint8_t pad,
		      uint8_t block[SHA256_BLOCK_BYTES])
{
	uint8_t hashed[SHA256_BYTES];
	if (keylen > SHA256_BLOCK_BYTES) {
		sha256(key, keylen, hashed);
		key = hashed;
		keylen = SHA256_BYTES;
	}
	memset(block, 0, SHA256_BLOCK_BYTES);
	memcpy(block, key, keylen);
	for (int i = 0; i < SHA256_BLOCK_BYTES; i++)
		block[i] ^= pad;
	mbedtls_platform_zeroize(hashed, sizeof(hashed));
}

void hmac_sha256(const uint8_t *key, size_t keylen, int nparts,
		 const void *const *p, const size_t *n,
		 uint8_t out[SHA256_BYTES])
{
	mbedtls_sha256_context c;
	uint8_t block[SHA256_BLOCK_BYTES], inner[SHA256_BYTES];

	key_block(key, keylen, 0x36, block);
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, block, sizeof(block));
	for (int i = 0; i < nparts; i++)
		mbedtls_sha256_update_ret(&c, p[i], n[i]);
	mbedtls_sha256_finish_ret(&c, inner);

	key_block(key, keylen, 0x5c, block);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, block, sizeof(block));
	mbedtls_sha256_update_ret(&c, inner, sizeof(inner));
	mbedtls_sha256_finish_ret(&c, out);
	mbedtls_sha256_free(&c);
	mbedtls_platform_zeroize(block, sizeof(block));
	mbedtls_platform_zeroize(inner, sizeof(inner));
}

int auth_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}
