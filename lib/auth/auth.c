/* Mutual challenge-response authentication: see auth.h. */
#include "auth/auth.h"

#include <string.h>

#include "auth/hmac.h"

#define LABEL_SERVER "server"
#define LABEL_CLIENT "client"

int auth_is_magic(const uint8_t buf[AUTH_MAGIC_LEN])
{
	return memcmp(buf, AUTH_MAGIC, AUTH_MAGIC_LEN) == 0;
}

void auth_proof(const uint8_t *key, size_t keylen, const char *label,
		const uint8_t first[AUTH_NONCE], const uint8_t second[AUTH_NONCE],
		uint8_t out[AUTH_MAC])
{
	const void *p[3] = { label, first, second };
	const size_t n[3] = { strlen(label), AUTH_NONCE, AUTH_NONCE };
	hmac_sha256(key, keylen, 3, p, n, out);
}

int auth_client(const struct auth_io *io, const uint8_t *key, size_t keylen,
		const uint8_t nonce[AUTH_NONCE])
{
	uint8_t hello[AUTH_MAGIC_LEN + AUTH_NONCE], got[AUTH_NONCE + AUTH_MAC];
	uint8_t want[AUTH_MAC], mine[AUTH_MAC], verdict;

	memcpy(hello, AUTH_MAGIC, AUTH_MAGIC_LEN);
	memcpy(hello + AUTH_MAGIC_LEN, nonce, AUTH_NONCE);
	if (io->write(io->ctx, hello, sizeof(hello)) ||
	    io->read(io->ctx, got, sizeof(got)))
		return AUTH_EIO;
	/* The server proves itself first, over our fresh nonce. Our proof
	 * goes out even when the server's is wrong, so that a server with
	 * another key sees (and logs) a wrong key rather than a client that
	 * went away: it is a MAC over the server's nonce, worth nothing for
	 * any other exchange. */
	auth_proof(key, keylen, LABEL_SERVER, nonce, got, want);
	int server_ok = auth_equal(want, got + AUTH_NONCE, AUTH_MAC);
	auth_proof(key, keylen, LABEL_CLIENT, got, nonce, mine);
	if (io->write(io->ctx, mine, sizeof(mine)))
		return server_ok ? AUTH_EIO : AUTH_EPROOF;
	if (!server_ok)
		return AUTH_EPROOF;
	if (io->read(io->ctx, &verdict, 1))
		return AUTH_EIO;
	return verdict == AUTH_YES ? 0 : AUTH_EREFUSE;
}

int auth_server(const struct auth_io *io, const uint8_t *key, size_t keylen,
		const uint8_t nonce[AUTH_NONCE])
{
	uint8_t theirs[AUTH_NONCE], out[AUTH_NONCE + AUTH_MAC];
	uint8_t want[AUTH_MAC], got[AUTH_MAC];

	if (io->read(io->ctx, theirs, sizeof(theirs)))
		return AUTH_EIO;
	memcpy(out, nonce, AUTH_NONCE);
	auth_proof(key, keylen, LABEL_SERVER, theirs, nonce, out + AUTH_NONCE);
	if (io->write(io->ctx, out, sizeof(out)) ||
	    io->read(io->ctx, got, sizeof(got)))
		return AUTH_EIO;
	auth_proof(key, keylen, LABEL_CLIENT, nonce, theirs, want);
	int ok = auth_equal(want, got, AUTH_MAC);
	uint8_t verdict = ok ? AUTH_YES : AUTH_NO;
	/* A refused client may have gone already: its refusal stands. */
	if (io->write(io->ctx, &verdict, 1) && ok)
		return AUTH_EIO;
	return ok ? 0 : AUTH_EPROOF;
}
