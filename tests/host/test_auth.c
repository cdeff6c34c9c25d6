/*
 * lib/auth: HMAC-SHA256 against RFC 4231's test vectors (on the SHA-256 of
 * Debian's mbedTLS), and the mutual authentication protocol: the same key
 * both ways succeeds; a wrong key fails on both sides; a recorded exchange
 * replayed against fresh nonces fails; the key never appears on the wire.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "auth/auth.h"
#include "auth/hmac.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2)
		sscanf(h, "%2hhx", &out[n++]);
	return n;
}

/* RFC 4231 section 4: key, data, HMAC-SHA-256 (case 5 truncated to 128
 * bits). Keys and data as hex. */
static const struct {
	const char *key, *data, *mac;
} rfc4231[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddd",
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
	  "546573742057697468205472756e636174696f6e",
	  "a3b6167473100ee06e0c796c2955552b" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a6520"
	  "4b6579202d2048617368204b6579204669727374",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "5468697320697320612074657374207573696e672061206c6172676572207468616e"
	  "20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20"
	  "626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20"
	  "626520686173686564206265666f7265206265696e67207573656420627920746865"
	  "20484d414320616c676f726974686d2e",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static int hmac_rfc4231(void)
{
	for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		uint8_t key[256], data[256], want[32], got[32];
		size_t kn = unhex(rfc4231[i].key, key);
		size_t dn = unhex(rfc4231[i].data, data);
		size_t mn = unhex(rfc4231[i].mac, want);
		/* The same MAC whether the data comes whole or in parts. */
		const void *p[2] = { data, data + dn / 3 };
		const size_t n[2] = { dn / 3, dn - dn / 3 };
		hmac_sha256(key, kn, 2, p, n, got);
		CHECK(memcmp(got, want, mn) == 0);
		hmac_sha256(key, kn, 1, p, &dn, got);
		CHECK(memcmp(got, want, mn) == 0);
	}
	return 0;
}

/* FIPS 180-2's "abc". */
static int sha256_abc(void)
{
	uint8_t want[32], got[32];
	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	      want);
	sha256("abc", 3, got);
	CHECK(memcmp(got, want, 32) == 0);
	return 0;
}

/* ---- the protocol over a socket pair, one side in a child ---- */

static int fd_read(void *ctx, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = read(*(int *)ctx, (char *)buf + got, n - got);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static int fd_write(void *ctx, const void *buf, size_t n)
{
	return write(*(int *)ctx, buf, n) == (ssize_t)n ? 0 : -1;
}

static const uint8_t key_a[] = "a shared secret of 32 bytes.....";
static const uint8_t key_b[] = "another secret, also 32 bytes...";
static uint8_t nonce_c[AUTH_NONCE] = { 1, 2, 3 }, nonce_s[AUTH_NONCE] = { 9 };

/* Runs the server in a child with skey; returns the client's result and
 * the server's in *srv. */
static int session(const uint8_t *ckey, const uint8_t *skey, int *srv)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 99;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		struct auth_io io = { fd_read, fd_write, &sv[1] };
		uint8_t magic[AUTH_MAGIC_LEN];
		if (fd_read(&sv[1], magic, sizeof(magic)) || !auth_is_magic(magic))
			_exit(100);
		_exit(-auth_server(&io, skey, 32, nonce_s));
	}
	close(sv[1]);
	struct auth_io io = { fd_read, fd_write, &sv[0] };
	int rc = auth_client(&io, ckey, 32, nonce_c);
	close(sv[0]);
	int st;
	waitpid(pid, &st, 0);
	*srv = -WEXITSTATUS(st);
	return rc;
}

static int same_key(void)
{
	int srv;
	CHECK(session(key_a, key_a, &srv) == 0);
	CHECK(srv == 0);
	return 0;
}

/* The client finds the server's proof wrong; it still sends its own, so
 * that the server finds it wrong too (and can log a wrong key). */
static int wrong_key(void)
{
	int srv;
	CHECK(session(key_b, key_a, &srv) == AUTH_EPROOF);
	CHECK(srv == AUTH_EPROOF);
	return 0;
}

/* ---- replays: scripted streams ---- */

struct script {
	const uint8_t *in;
	size_t inlen, inpos;
	uint8_t out[256];
	size_t outlen;
};

static int s_read(void *ctx, void *buf, size_t n)
{
	struct script *s = ctx;
	if (s->inlen - s->inpos < n)
		return -1;
	memcpy(buf, s->in + s->inpos, n);
	s->inpos += n;
	return 0;
}

static int s_write(void *ctx, const void *buf, size_t n)
{
	struct script *s = ctx;
	if (sizeof(s->out) - s->outlen < n)
		return -1;
	memcpy(s->out + s->outlen, buf, n);
	s->outlen += n;
	return 0;
}

/* A genuine client's bytes for server nonce ns (Nc then its proof). */
static void client_bytes(const uint8_t ns[AUTH_NONCE], uint8_t out[64])
{
	memcpy(out, nonce_c, AUTH_NONCE);
	auth_proof(key_a, 32, "client", ns, nonce_c, out + AUTH_NONCE);
}

static int server_replay_refused(void)
{
	uint8_t rec[64], fresh[AUTH_NONCE] = { 42 };
	client_bytes(nonce_s, rec); /* recorded against nonce_s */
	struct script s = { rec, sizeof(rec), 0, { 0 }, 0 };
	struct auth_io io = { s_read, s_write, &s };
	CHECK(auth_server(&io, key_a, 32, fresh) == AUTH_EPROOF);
	CHECK(s.out[s.outlen - 1] == AUTH_NO);
	/* And the genuine answer to the fresh nonce is taken. */
	client_bytes(fresh, rec);
	struct script t = { rec, sizeof(rec), 0, { 0 }, 0 };
	io.ctx = &t;
	CHECK(auth_server(&io, key_a, 32, fresh) == 0);
	CHECK(t.out[t.outlen - 1] == AUTH_YES);
	return 0;
}

static int client_replay_refused(void)
{
	/* A server's answer recorded for nonce_c, replayed to a client
	 * whose nonce is fresh. */
	uint8_t rec[AUTH_NONCE + AUTH_MAC + 1], fresh[AUTH_NONCE] = { 7 };
	memcpy(rec, nonce_s, AUTH_NONCE);
	auth_proof(key_a, 32, "server", nonce_c, nonce_s, rec + AUTH_NONCE);
	rec[sizeof(rec) - 1] = AUTH_YES;
	struct script s = { rec, sizeof(rec), 0, { 0 }, 0 };
	struct auth_io io = { s_read, s_write, &s };
	CHECK(auth_client(&io, key_a, 32, fresh) == AUTH_EPROOF);
	/* Its proof went out (over the replayed nonce: useless elsewhere). */
	CHECK(s.outlen == AUTH_MAGIC_LEN + AUTH_NONCE + AUTH_MAC);
	s = (struct script){ rec, sizeof(rec), 0, { 0 }, 0 };
	CHECK(auth_client(&io, key_a, 32, nonce_c) == 0);
	/* The key itself is nowhere in what the client sent. */
	CHECK(memmem(s.out, s.outlen, key_a, 8) == 0);
	return 0;
}

/* A server that answers no after a right proof: the client says so. */
static int refused_verdict(void)
{
	uint8_t rec[AUTH_NONCE + AUTH_MAC + 1];
	memcpy(rec, nonce_s, AUTH_NONCE);
	auth_proof(key_a, 32, "server", nonce_c, nonce_s, rec + AUTH_NONCE);
	rec[sizeof(rec) - 1] = AUTH_NO;
	struct script s = { rec, sizeof(rec), 0, { 0 }, 0 };
	struct auth_io io = { s_read, s_write, &s };
	CHECK(auth_client(&io, key_a, 32, nonce_c) == AUTH_EREFUSE);
	/* A stream cut short is an i/o failure. */
	s = (struct script){ rec, 10, 0, { 0 }, 0 };
	CHECK(auth_client(&io, key_a, 32, nonce_c) == AUTH_EIO);
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(sha256_abc);
	RUN(hmac_rfc4231);
	RUN(same_key);
	RUN(wrong_key);
	RUN(server_replay_refused);
	RUN(client_replay_refused);
	RUN(refused_verdict);
	return check_done();
}
