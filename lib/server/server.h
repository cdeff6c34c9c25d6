/*
 * The server skeleton every Metta server uses: a receive loop on a portal,
 * a dispatch table indexed by the request's word 0, and clean error
 * replies (an unknown operation or a handler's error is a status in the
 * reply, never a crash). Several threads may run the same loop on one
 * portal, so that a handler may block (waiting for input, say) while the
 * others serve.
 */
#ifndef LIB_SERVER_H
#define LIB_SERVER_H

#include <metta/abi.h>
#include <stdint.h>

#define SERVER_BUF METTA_MSG_MAX_DATA

struct server_call {
	uint64_t w[4];	/* in: the request; out: words 1-3 of the reply */
	uint64_t badge; /* which capability the client called through */
	const uint8_t *data;
	uint64_t len;	/* the request's data */
	uint8_t *reply;	/* where the reply's data goes (SERVER_BUF bytes) */
	uint64_t reply_len;
	uint32_t cap_in;  /* a received capability's slot, or 0 */
	uint32_t cap_out; /* a capability to send back, or 0 */
	int give_cap_out; /* cap_out is ours no more once sent (deleted) */
};

/*
 * Returns the reply's status: 0 or a negative STATUS_*; or SERVER_HELD
 * when the handler kept the call with server_hold() to answer it later.
 */
#define SERVER_HELD 1
typedef long (*server_op)(struct server_call *c);

struct server {
	uint32_t portal;
	const server_op *ops; /* ops[w0], NULL where undefined */
	unsigned nops;
};

/* Serves for ever on this thread (each thread needs its own stack). */
void server_run(const struct server *s) __attribute__((noreturn));

/* Starts n - 1 more threads running server_run(s), on given stacks. */
int server_spawn_threads(const struct server *s, int n, uint8_t (*stacks)[16384]);

/*
 * Keeps the current call (of the handler running on this thread) in a new
 * reply capability, to answer it from any thread with server_answer; the
 * nucleus reports a cancelled caller to the portal's watcher with
 * `cookie`. Returns the capability's slot, or 0 (nothing changed).
 */
uint32_t server_hold(uint64_t cookie);

/* Answers a held call: status, words 1-3, data. The slot is free after. */
long server_answer(uint32_t reply, long status, const uint64_t w[3],
		   const void *data, uint64_t len);

/* The request's data as a NUL-terminated string of at most `max` bytes,
 * copied into out: 0 or STATUS_ERR_INVAL. */
long server_string(const struct server_call *c, char *out, uint64_t max);

#endif
