/*
 * The IPC fastpath against the general path (nucleus/portal.c): a seeded
 * random sequence of portal calls, the same on every run, whose every
 * result (status, the four words, the badge and data the server saw, the
 * reply's data) goes into a digest. tests/system/boots.py boots this twice,
 * with the fastpath and with `fastpath=off`, and passes only when both
 * print the same digest and the nucleus's count of fastpath calls is not
 * 0 in the first and 0 in the second.
 *
 * Two lanes run at once (one client thread, a words-only server and a data
 * server each, on their own portals), so that both CPUs call and serve.
 * What the calls do: words only (the fastpath's case), words to a server
 * that waits with a buffer, small and 4 KiB buffers, a capability sent,
 * errors (an empty slot, a slot out of the table, the wrong type, a
 * missing right, a message too big, two capabilities for one slot, data to
 * a server with no buffer), a call that times out at a portal nobody
 * serves, a server that dies mid-call, a server interrupted or suspended
 * while it waits, and reply_wait refused to the client.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define SEED 0x5eed2026u
#define OPS 3000
#define LANES 2
#define DATA_MAX 4096

/* A lane's slots: base + these. */
enum {
	S_WORDS,      /* the words-only server's portal */
	S_DATA,	      /* the data server's portal */
	S_NOBODY,     /* a portal nobody serves: calls time out */
	S_BADGE1,     /* call-only copies of S_WORDS, badges 1..3 */
	S_BADGE3 = S_BADGE1 + 2,
	S_SERVE_ONLY, /* a copy without RIGHT_CALL */
	S_EVENT,      /* an event: the wrong type, and what is sent */
	S_EMPTY,      /* never filled */
	S_T_CLIENT,
	S_T_WORDS,
	S_T_DATA,
	S_RECV,	      /* where the data server receives a capability */
	S_SLOTS,
};

enum { OP_ECHO = 1, OP_DIE };

struct lane {
	uint32_t base;
	uint32_t seed;
	uint64_t digest;
	long failed; /* a setup step that failed, or 0 */
	volatile int done;
	volatile uint64_t words_intr; /* reply_waits the server saw fail */
	volatile uint64_t data_intr;
	uint8_t out[DATA_MAX], in[DATA_MAX], srv[DATA_MAX];
};

static struct lane lanes[LANES];
static uint8_t stacks[LANES][3][16384] __attribute__((aligned(16)));

static uint64_t top(int lane, int i)
{
	return (uint64_t)&stacks[lane][i][sizeof(stacks[lane][i])] - 8;
}

/* FNV-1a, one 64-bit value at a time. */
static void mix(uint64_t *h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		*h ^= (v >> (8 * i)) & 0xff;
		*h *= 0x100000001b3ull;
	}
}

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The answer's words: a function of the request and the badge. */
static void answer(uint64_t w[4], uint64_t badge, uint64_t len, uint64_t sum,
		   uint64_t caps)
{
	w[0] = w[0] * 31 + badge;
	w[1] ^= badge << 8 | len;
	w[2] += sum;
	w[3] = ~w[3] + caps;
}

/* The lane whose server thread this is: found by its stack. */
static struct lane *my_lane(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	for (int i = 0; i < LANES; i++)
		if (sp >= (uint64_t)stacks[i] &&
		    sp < (uint64_t)stacks[i] + sizeof(stacks[i]))
			return &lanes[i];
	return &lanes[0];
}

/* Words only, both ways: what the fastpath takes. */
static void words_server(void)
{
	struct lane *l = my_lane();
	uint64_t w[4] = { 0 }, badge = 0;
	long rc;
	for (;;) {
		rc = metta_reply_wait(l->base + S_WORDS, NULL, w, &badge);
		while (rc == 0) {
			if (w[0] == OP_DIE)
				metta_thread_exit(); /* never answers */
			answer(w, badge, 0, 0, 0);
			rc = metta_reply_wait(l->base + S_WORDS, NULL, w,
					      &badge);
		}
		l->words_intr++; /* interrupted: nobody is waiting for us */
	}
}

/* Waits with a buffer and a slot: the general path's reply_wait. Sends the
 * data back reversed when the request's w[1] asks (1). */
static void data_server(void)
{
	struct lane *l = my_lane();
	uint64_t w[4] = { 0 }, badge = 0;
	struct metta_msg m = { 0 };
	for (;;) {
		m = (struct metta_msg){ .recv_buf = (uint64_t)l->srv,
					.recv_size = DATA_MAX,
					.recv_caps = { l->base + S_RECV },
					.nrecv_caps = 1 };
		long rc = metta_reply_wait(l->base + S_DATA, &m, w, &badge);
		while (rc == 0) {
			uint64_t sum = 0, len = m.recv_len, back = w[1] == 1;
			for (uint64_t i = 0; i < len; i++)
				sum = sum * 131 + l->srv[i];
			uint64_t caps = m.ncaps_received;
			if (caps)
				caps |= (uint64_t)metta_cap_info(l->base + S_RECV)
					<< 8;
			metta_cap_delete(l->base + S_RECV);
			for (uint64_t i = 0; back && i < len / 2; i++) {
				uint8_t c = l->srv[i];
				l->srv[i] = l->srv[len - 1 - i];
				l->srv[len - 1 - i] = c;
			}
			answer(w, badge, len, sum, caps);
			m = (struct metta_msg){ .send_buf = (uint64_t)l->srv,
						.send_len = back ? len : 0,
						.recv_buf = (uint64_t)l->srv,
						.recv_size = DATA_MAX,
						.recv_caps = { l->base + S_RECV },
						.nrecv_caps = 1 };
			rc = metta_reply_wait(l->base + S_DATA, &m, w, &badge);
		}
		l->data_intr++;
	}
}

static long start(struct lane *l, uint32_t slot, void (*fn)(void), int stack)
{
	metta_cap_delete(l->base + slot); /* a dead thread's, if any */
	long rc = metta_thread_create(CAP_SELF, l->base + slot, (uint64_t)fn,
				      top((int)(l - lanes), stack),
				      METTA_PRIO_NORM);
	return rc ? rc : metta_thread_ctl(l->base + slot, THREAD_START, 0);
}

/* A call with a message of `len` bytes (and capabilities), its results
 * into the digest. */
static long data_call(struct lane *l, uint32_t slot, uint64_t w[4],
		      uint64_t len, uint32_t ncaps, uint64_t timeout_us)
{
	struct metta_msg m = { .send_buf = (uint64_t)l->out,
			       .send_len = len,
			       .recv_buf = (uint64_t)l->in,
			       .recv_size = DATA_MAX,
			       .nsend_caps = ncaps,
			       .timeout_us = timeout_us };
	for (uint32_t i = 0; i < ncaps && i < METTA_MSG_MAX_CAPS; i++)
		m.send_caps[i] = l->base + S_EVENT;
	long rc = metta_call(slot, &m, w);
	mix(&l->digest, m.recv_len);
	for (uint64_t i = 0; rc == 0 && i < m.recv_len && i < DATA_MAX; i++)
		mix(&l->digest, l->in[i]);
	return rc;
}

/* One random step; its results go into the lane's digest. */
static void step(struct lane *l)
{
	uint32_t r = next(&l->seed), b = l->base;
	uint64_t w[4] = { OP_ECHO, next(&l->seed), next(&l->seed), r };
	uint64_t bw[4];
	long rc;
	switch (r % 16) {
	case 0: case 1: case 2: case 3: case 4: /* words, a badge */
		rc = metta_call(b + S_BADGE1 + r / 16 % 3, NULL, w);
		break;
	case 5: /* words, through the unbadged capability */
		rc = metta_call(b + S_WORDS, NULL, w);
		break;
	case 6: /* words to a server that waits with a buffer */
		rc = metta_call(b + S_DATA, NULL, w);
		break;
	case 7: /* a small buffer, sometimes sent back */
		for (uint32_t i = 0; i < 64; i++)
			l->out[i] = (uint8_t)next(&l->seed);
		w[1] = r / 16 % 2;
		rc = data_call(l, b + S_DATA, w, 1 + r / 32 % 64, 0, 0);
		break;
	case 8: /* 4 KiB, sent back */
		for (uint32_t i = 0; i < DATA_MAX; i += 4)
			l->out[i] = (uint8_t)(r + i);
		w[1] = 1;
		rc = data_call(l, b + S_DATA, w, DATA_MAX, 0, 0);
		break;
	case 9: /* a capability (the fastpath must not take it) */
		rc = data_call(l, b + S_DATA, w, r / 16 % 8, 1, 0);
		break;
	case 10: /* errors: no such slot, wrong type, missing right */
		switch (r / 16 % 5) {
		case 0: rc = metta_call(b + S_EMPTY, NULL, w); break;
		case 1: rc = metta_call(0xfffff, NULL, w); break;
		case 2: rc = metta_call(b + S_EVENT, NULL, w); break;
		case 3: rc = metta_call(b + S_SERVE_ONLY, NULL, w); break;
		default: rc = metta_reply_wait(b + S_BADGE1, NULL, w, bw); break;
		}
		break;
	case 11: /* errors: too big, two capabilities for one slot, data to a
		  * server without a buffer, an empty descriptor */
		switch (r / 16 % 4) {
		case 0: rc = data_call(l, b + S_DATA, w, DATA_MAX + 1, 0, 0); break;
		case 1: rc = data_call(l, b + S_DATA, w, 0, 2, 0); break;
		case 2: rc = data_call(l, b + S_WORDS, w, 8, 0, 0); break;
		default: rc = data_call(l, b + S_WORDS, w, 0, 0, 0); break;
		}
		break;
	case 12: /* nobody serves: the call times out */
		rc = data_call(l, b + S_NOBODY, w, 0, 0, 50 + r / 16 % 200);
		break;
	case 13: /* the server dies mid-call; a new one starts */
		w[0] = OP_DIE;
		rc = metta_call(b + S_WORDS, NULL, w);
		mix(&l->digest, (uint64_t)start(l, S_T_WORDS, words_server, 1));
		break;
	case 14: /* the waiting server is interrupted, then called */
		metta_thread_ctl(b + (r & 16 ? S_T_DATA : S_T_WORDS),
				 THREAD_INTERRUPT, 0);
		rc = metta_call(b + (r & 16 ? S_DATA : S_WORDS), NULL, w);
		break;
	default:
		if (r & 16) { /* the waiting server is suspended, resumed */
			metta_thread_ctl(b + S_T_WORDS, THREAD_SUSPEND, 0);
			metta_sleep(r / 32 % 3 * 100); /* it may stop first */
			metta_thread_ctl(b + S_T_WORDS, THREAD_RESUME, 0);
		} else { /* moved to another CPU (the call brings it back) */
			metta_thread_ctl(b + S_T_WORDS, THREAD_SET_CPU,
					 r / 32 % 2);
		}
		rc = metta_call(b + S_WORDS, NULL, w);
		break;
	}
	mix(&l->digest, r % 16);
	mix(&l->digest, (uint64_t)rc);
	for (int i = 0; i < 4; i++)
		mix(&l->digest, w[i]);
}

static long setup(struct lane *l)
{
	uint32_t b = l->base;
	long rc = metta_portal_create(b + S_WORDS);
	if (!rc)
		rc = metta_portal_create(b + S_DATA);
	if (!rc)
		rc = metta_portal_create(b + S_NOBODY);
	for (uint32_t i = 0; !rc && i < 3; i++)
		rc = metta_cap_copy(b + S_WORDS, b + S_BADGE1 + i, RIGHT_CALL,
				    i + 1);
	if (!rc)
		rc = metta_cap_copy(b + S_WORDS, b + S_SERVE_ONLY, RIGHT_SERVE, 0);
	if (!rc)
		rc = metta_event_create(b + S_EVENT);
	if (!rc)
		rc = start(l, S_T_WORDS, words_server, 1);
	if (!rc)
		rc = start(l, S_T_DATA, data_server, 2);
	return rc;
}

static void client(void)
{
	struct lane *l = my_lane();
	for (int i = 0; i < OPS; i++)
		step(l);
	mix(&l->digest, l->words_intr);
	mix(&l->digest, l->data_intr);
	l->done = 1;
	metta_thread_exit();
}

static uint64_t fastpath_calls(void)
{
	struct metta_stats st;
	uint64_t n = 0;
	if (metta_stats(&st) == 0)
		for (uint64_t i = 0; i < st.ncpus && i < METTA_STATS_CPUS; i++)
			n += st.fastpath[i];
	return n;
}

static int same_results_both_paths(void)
{
	uint64_t before = fastpath_calls(), digest = 0xcbf29ce484222325ull;
	for (int i = 0; i < LANES; i++) {
		struct lane *l = &lanes[i];
		l->base = 100 + (uint32_t)i * 20;
		l->seed = SEED + (uint32_t)i * 7919;
		l->digest = 0xcbf29ce484222325ull;
		UCHECK(S_SLOTS <= 20, "lanes overlap");
		long rc = setup(l);
		if (!rc)
			rc = start(l, S_T_CLIENT, client, 0);
		UCHECK(rc == 0, "lane %d: setup failed: %ld", i, rc);
	}
	for (int i = 0; i < LANES; i++) {
		for (int k = 0; k < 120000 && !lanes[i].done; k++)
			metta_sleep(1000);
		UCHECK(lanes[i].done, "lane %d did not finish", i);
		mix(&digest, lanes[i].digest);
	}
	metta_printf("FAST digest=%016lx ops=%d fastpath=%lu", digest,
		     LANES * OPS, fastpath_calls() - before);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	static const struct utest tests[] = {
		{ "same_results_both_paths", same_results_both_paths },
	};
	return utest_run(tests, 1);
}
