/*
 * Mutual authentication of a 9P-over-TCP connection before its first
 * 9P message (docs/servers.md, "export"): challenge-response with
 * HMAC-SHA256 over a secret both ends read from a key file. The secret
 * never crosses the wire; each side proves it knows the secret by a MAC
 * over the other side's fresh nonce, so a recorded exchange replayed
 * later fails.
 *
 *   client -> server   AUTH_MAGIC[16] Nc[32]
 *   server -> client   Ns[32] HMAC(K, "server" Nc Ns)[32]
 *   client -> server   HMAC(K, "client" Ns Nc)[32]
 *   server -> client   AUTH_YES[1] or AUTH_NO[1]
 *
 * Pure: the caller gives the byte stream (struct auth_io) and the nonce
 * (fresh random bytes: /dev/random), so the same code runs in Metta and
 * in the host tests.
 */
#ifndef LIB_AUTH_AUTH_H
#define LIB_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_MAGIC     "metta-9p-auth-1\n"
#define AUTH_MAGIC_LEN 16
#define AUTH_NONCE     32
#define AUTH_MAC       32
#define AUTH_YES       'y'
#define AUTH_NO	       'n'
#define AUTH_KEY_MIN   16 /* bytes of secret we accept */
#define AUTH_KEY_MAX   256

/* Results (negative) beside 0: authenticated both ways. */
#define AUTH_EIO     (-1) /* the stream failed or ended */
#define AUTH_EPROOF  (-2) /* the peer's proof is wrong: another key, or a replay */
#define AUTH_EREFUSE (-3) /* the server refused our proof */

/* A byte stream: read and write exactly n bytes, 0 or negative. */
struct auth_io {
	int (*read)(void *ctx, void *buf, size_t n);
	int (*write)(void *ctx, const void *buf, size_t n);
	void *ctx;
};

/* The client's side, all four steps (it speaks first). */
int auth_client(const struct auth_io *io, const uint8_t *key, size_t keylen,
		const uint8_t nonce[AUTH_NONCE]);

/* The server's side, after the caller read AUTH_MAGIC_LEN bytes and
 * auth_is_magic said yes (so a server may serve plain 9P instead). */
int auth_server(const struct auth_io *io, const uint8_t *key, size_t keylen,
		const uint8_t nonce[AUTH_NONCE]);

int auth_is_magic(const uint8_t buf[AUTH_MAGIC_LEN]);

/* The MAC one side sends: HMAC(K, label mine theirs). */
void auth_proof(const uint8_t *key, size_t keylen, const char *label,
		const uint8_t first[AUTH_NONCE], const uint8_t second[AUTH_NONCE],
		uint8_t out[AUTH_MAC]);

#endif
