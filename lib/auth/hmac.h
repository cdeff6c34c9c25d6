/*
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4's SHA-256), on the SHA-256 of
 * Debian's mbedTLS (built from its sources, lib/auth/mbedtls_config.h).
 * Pure: no allocation, no I/O; host-tested against RFC 4231's vectors.
 */
#ifndef LIB_AUTH_HMAC_H
#define LIB_AUTH_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES	   32
#define SHA256_BLOCK_BYTES 64

/* The SHA-256 digest of n bytes. */
void sha256(const void *data, size_t n, uint8_t out[SHA256_BYTES]);

/* HMAC-SHA256 of the concatenation of nparts parts (part i: p[i], n[i]
 * bytes) under key (any length: a longer key is hashed first). */
void hmac_sha256(const uint8_t *key, size_t keylen, int nparts,
		 const void *const *p, const size_t *n,
		 uint8_t out[SHA256_BYTES]);

/* 1 when a and b (n bytes) are equal, in time that does not depend on
 * where they differ (a proof is never compared with memcmp). */
int auth_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
