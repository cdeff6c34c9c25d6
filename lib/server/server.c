/* The server skeleton: see server.h. */
#include <metta.h>
#include <string/kstring.h>

#include "server.h"

/* Per-thread buffers: a thread's call is its own until it replies. */
struct server_thread {
	uint8_t in[SERVER_BUF];
	uint8_t out[SERVER_BUF];
	uint32_t recv_slot;
	const struct server *server;
	int running;
};

#define MAX_THREADS 8
static struct server_thread threads[MAX_THREADS];
static int nprepared;
static uint8_t (*spawn_stacks)[16384];

/* Prepared by the first thread: nothing else allocates slots at once. */
static int prepare(const struct server *s)
{
	if (nprepared == MAX_THREADS)
		return -1;
	threads[nprepared].server = s;
	threads[nprepared].recv_slot = metta_slot_alloc();
	metta_slot_reserve(threads[nprepared].recv_slot); /* empty between calls */
	return nprepared++;
}

long server_string(const struct server_call *c, char *out, uint64_t max)
{
	if (c->len == 0 || c->len > max)
		return STATUS_ERR_INVAL;
	memcpy(out, c->data, c->len);
	out[c->len] = 0;
	if (strlen(out) != c->len) /* an embedded NUL */
		return STATUS_ERR_INVAL;
	return STATUS_OK;
}

static long dispatch(const struct server *s, struct server_call *c)
{
	uint64_t op = c->w[0];
	if (op >= s->nops || !s->ops[op])
		return STATUS_ERR_NOTSUP;
	return s->ops[op](c);
}

uint32_t server_hold(uint64_t cookie)
{
	uint32_t slot = metta_slot_alloc();
	if (slot && metta_reply_save(slot, cookie) == STATUS_OK)
		return slot;
	return 0;
}

long server_answer(uint32_t reply, long status, const uint64_t w[3],
		   const void *data, uint64_t len)
{
	uint64_t words[4] = { (uint64_t)status, w ? w[0] : 0, w ? w[1] : 0,
			      w ? w[2] : 0 };
	struct metta_msg m = { .send_buf = (uint64_t)data,
			       .send_len = status ? 0 : len };
	long rc = metta_reply_send(reply, &m, words);
	if (rc != STATUS_OK && rc != STATUS_ERR_INTR)
		metta_cap_delete(reply); /* it could not go: let it go */
	return rc;
}

/* A capability handed over for good: replied now, then ours deleted. */
static void give_away(struct metta_msg *m, uint64_t w[4], uint32_t slot)
{
	metta_reply(m, w);
	metta_cap_delete(slot);
	*m = (struct metta_msg){ 0 };
}

static void serve(const struct server *s, struct server_thread *t)
{
	uint64_t w[4] = { 0 }, badge = 0;
	struct metta_msg m = { 0 };
	long rc = STATUS_ERR_INVAL; /* nobody to answer yet */
	for (;;) {
		m.recv_buf = (uint64_t)t->in;
		m.recv_size = sizeof(t->in);
		m.recv_caps[0] = t->recv_slot;
		m.nrecv_caps = 1;
		rc = metta_reply_wait(s->portal, &m, w, &badge);
		struct server_call c = { .badge = badge,
					 .data = t->in,
					 .len = m.recv_len,
					 .reply = t->out };
		memcpy(c.w, w, sizeof(w));
		c.cap_in = m.ncaps_received ? t->recv_slot : 0;
		long status = rc ? rc : dispatch(s, &c);
		/* A received capability the handler did not keep goes. */
		if (c.cap_in && metta_cap_info(t->recv_slot) >= 0)
			metta_cap_delete(t->recv_slot);
		if (status == SERVER_HELD) {
			m = (struct metta_msg){ 0 }; /* no caller to answer */
			continue;
		}
		w[0] = (uint64_t)status;
		w[1] = c.w[1], w[2] = c.w[2], w[3] = c.w[3];
		m = (struct metta_msg){ .send_buf = (uint64_t)t->out,
					.send_len = status ? 0 : c.reply_len };
		if (c.cap_out && status == 0) {
			m.send_caps[0] = c.cap_out;
			m.nsend_caps = 1;
			if (c.give_cap_out)
				give_away(&m, w, c.cap_out);
		} else if (c.cap_out && c.give_cap_out) {
			metta_cap_delete(c.cap_out);
		}
	}
}

/* A spawned thread finds its index from the stack it runs on. */
static void run_thread(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	int me = 1 + (int)((sp - (uint64_t)spawn_stacks) / 16384);
	threads[me].running = 1;
	serve(threads[me].server, &threads[me]);
}

/*
 * The caller's own buffers: the ones server_spawn_threads set aside for it,
 * or new ones (a program may serve several portals, a thread each).
 */
void server_run(const struct server *s)
{
	static volatile char busy; /* threads may start serving at once */
	while (__atomic_test_and_set(&busy, __ATOMIC_ACQUIRE))
		metta_yield();
	int me = -1;
	for (int i = 0; i < nprepared && me < 0; i++)
		if (threads[i].server == s && !threads[i].running)
			me = i;
	if (me < 0)
		me = prepare(s);
	if (me >= 0)
		threads[me].running = 1;
	__atomic_clear(&busy, __ATOMIC_RELEASE);
	if (me < 0)
		metta_exit(STATUS_ERR_NOMEM);
	serve(s, &threads[me]);
	for (;;)
		;
}

int server_spawn_threads(const struct server *s, int n,
			 uint8_t (*stacks)[16384])
{
	if (nprepared == 0)
		prepare(s);
	spawn_stacks = stacks;
	for (int i = 1; i < n; i++) {
		if (prepare(s) != i)
			return 1;
		uint32_t slot = metta_slot_alloc();
		uint64_t top = (uint64_t)&stacks[i - 1][16384] - 8;
		if (metta_thread_create(CAP_SELF, slot, (uint64_t)run_thread,
					top, METTA_PRIO_NORM) ||
		    metta_thread_ctl(slot, THREAD_START, 0))
			return 1;
	}
	return 0;
}
