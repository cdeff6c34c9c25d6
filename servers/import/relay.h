/*
 * The import server's relay (servers/import): every local 9P connection
 * forwarded down one stream to a remote exporter, one request at a time.
 * Each local connection's fids are renumbered into the one remote space,
 * Tattach names the remote path, Tversion and Tflush are answered here.
 * Pure (the stream is a function the caller gives), so the host tests run
 * it against exportfs's server.
 */
#ifndef SERVERS_IMPORT_RELAY_H
#define SERVERS_IMPORT_RELAY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_MSIZE (64 * 1024 + 24) /* P9_PORTAL_MSIZE: a portal's most */
#define RELAY_NCONN 32
#define RELAY_NFID  1024
#define RELAY_ANAME_MAX 255

struct relay_conn {
	uint64_t id;
	uint32_t msize; /* 0 until its Tversion */
	int used;
};

/* One T-message of n bytes down the stream and its R-message back into
 * r (RELAY_MSIZE bytes): the reply's length, or -1 (the stream failed). */
typedef long (*relay_exchange_fn)(const uint8_t *t, uint32_t n, uint8_t *r);

/* Starts over: no connections, the remote path aname (at most
 * RELAY_ANAME_MAX bytes), the stream. 0 or -1 (aname too long). */
int relay_init(const char *aname, relay_exchange_fn exchange);

/* A new local connection, or 0 when RELAY_NCONN are in use. */
struct relay_conn *relay_connect(void);
struct relay_conn *relay_find(uint64_t id);
/* The connection ends: its remote fids are clunked. */
void relay_hangup(uint64_t id);

/* One local T-message of len bytes: the R-message for it in out
 * (RELAY_MSIZE bytes), its length. Never fails: a bad message, an
 * unknown fid or a dead stream is an Rerror. */
long relay_serve(struct relay_conn *c, const uint8_t *in, uint64_t len,
		 uint8_t *out);

/* 1 once the stream failed (nothing more can be served). */
int relay_dead(void);
/* Local connections and fids held. */
void relay_counts(uint64_t *conns, uint64_t *fids);

#endif
