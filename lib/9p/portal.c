/* 9P2000 over portals, the server's side: see portal.h (the client's
 * side is portal_client.c). */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "9p/errstr.h"
#include "9p/portal.h"

/* ---- server side ---- */

static struct p9srv *server;
static uint32_t server_portal;
static struct metta_mutex lock;
static uint8_t answer_buf[P9_PORTAL_MSIZE];
static uint8_t notice_stack[16384] __attribute__((aligned(16)));
static uint32_t notice_event;
static void (*own_cancel)(uint64_t cookie);

void p9_portal_on_cancel(void (*fn)(uint64_t cookie))
{
	own_cancel = fn;
}

/* A held P9_READ or P9_WRITE: its caller wants words, not an R-message. */
#define RAW_HANDLE (1ull << 32)

/* The R-message msg as P9_READ's or P9_WRITE's reply (proto.h). */
static long answer_raw(uint32_t slot, const uint8_t *msg, size_t len)
{
	struct p9_msg m;
	uint64_t w[3] = { 0 }, n = 0;
	const void *data = 0;
	if (p9_decode(msg, len, &m))
		w[0] = P9_EIO;
	else if (m.type == P9_RERROR)
		w[0] = (uint64_t)p9_errno(m.ename.s, m.ename.len);
	else
		w[1] = m.count;
	if (!w[0] && m.type == P9_RREAD)
		data = m.data, n = m.count;
	return server_answer(slot, STATUS_OK, w, data, n);
}

/* A held request's caller is a reply capability (handle: its slot). */
static int answer(struct p9srv *s, uint64_t handle, const uint8_t *msg,
		  size_t len)
{
	(void)s;
	long rc = handle & RAW_HANDLE
			  ? answer_raw((uint32_t)handle, msg, len)
			  : server_answer((uint32_t)handle, STATUS_OK, 0, msg,
					  len);
	return rc == STATUS_OK ? 0 : -P9_EINTR;
}

static void drop(struct p9srv *s, uint64_t handle)
{
	(void)s;
	if (handle) /* 0: the caller was never held */
		metta_cap_delete((uint32_t)handle);
}

/*
 * What the nucleus tells the server: a connection's last capability went
 * (its client closed it or died: its fids go), or a held caller gave up
 * (its request ends unanswered).
 */
static void notice_thread(void)
{
	for (;;) {
		metta_event_wait(notice_event, 1, 0);
		struct metta_notice n;
		metta_mutex_lock(&lock);
		while (metta_portal_notice(server_portal, &n) == 1) {
			if (n.kind == PORTAL_GONE && (n.value & P9_CONN_BADGE))
				p9srv_hangup(server, n.value & ~P9_CONN_BADGE);
			else if (n.kind != PORTAL_CANCELLED)
				continue;
			else if (!(n.value & P9_PORTAL_OWN_COOKIE))
				p9srv_cancel(server, n.value);
			else if (own_cancel)
				own_cancel(n.value);
		}
		metta_mutex_unlock(&lock);
	}
}

static int start_notice_thread(uint32_t portal)
{
	uint32_t ev = metta_slot_alloc(), th = metta_slot_alloc();
	uint64_t top = (uint64_t)&notice_stack[sizeof(notice_stack)] - 8;
	if (!ev || !th || metta_event_create(ev) ||
	    metta_portal_watch(portal, ev, 1))
		return -1;
	notice_event = ev;
	if (metta_thread_create(CAP_SELF, th, (uint64_t)notice_thread, top,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(th, THREAD_START, 0))
		return -1;
	return 0;
}

void p9_portal_init(struct p9srv *s, uint32_t portal)
{
	server = s;
	server_portal = portal;
	/* Connection ids never repeat across a restart of the server (root
	 * or pci restarts it behind the same portal): its predecessor's ids
	 * were made before now, so a client's stale capability, or the
	 * PORTAL_GONE notice of a dead connection read late, names no
	 * connection of ours (it gets "unknown connection"). */
	s->nextid = metta_clock() | 1;
	metta_mutex_init(&lock);
	s->answer = answer;
	s->drop = drop;
	s->answer_buf = answer_buf;
	if (start_notice_thread(portal))
		metta_log("9p: no notices: dead clients' connections stay", 48);
}

void p9_portal_lock(void)
{
	metta_mutex_lock(&lock);
}

void p9_portal_unlock(void)
{
	metta_mutex_unlock(&lock);
}

static int conn_of(const struct server_call *c, uint64_t *id)
{
	*id = c->badge & ~P9_CONN_BADGE;
	return c->badge & P9_CONN_BADGE ? 0 : STATUS_ERR_INVAL; /* connect first */
}

/* The request just held keeps its caller in a reply capability (its
 * handle: the slot and `flags`): 1; or 0, the request ended. Under the
 * lock. */
static int keep(struct p9srv_req *q, uint64_t flags)
{
	uint32_t slot = server_hold(p9srv_cookie(q));
	q->handle = slot ? slot | flags : 0;
	if (!slot)
		p9srv_cancel(server, p9srv_cookie(q));
	return slot != 0;
}

/* The request just held keeps its caller; if that cannot be, it is
 * answered now with an error. Under the lock. */
static long hold(struct server_call *c)
{
	struct p9srv_req *q = server->just_held;
	uint16_t tag = q->tag;
	if (keep(q, 0))
		return SERVER_HELD;
	/* Answer it now, through the reply buffer, as an error. */
	struct p9_msg m = { .type = P9_RERROR, .tag = tag,
			    .ename = p9_str(p9_errstr(P9_EBUSY)) };
	return p9_encode(c->reply, SERVER_BUF, &m);
}

long p9_portal_op_rpc(struct server_call *c)
{
	uint64_t id;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	long n = p9srv_serve(server, id, c->data, c->len, c->reply, SERVER_BUF);
	if (n == P9SRV_HELD)
		n = hold(c);
	metta_mutex_unlock(&lock);
	if (n < 0)
		return n;
	if (n == SERVER_HELD)
		return SERVER_HELD;
	c->reply_len = (uint64_t)n;
	return STATUS_OK;
}

/* P9_READ's or P9_WRITE's reply for p9srv_read's or p9srv_write's n,
 * with the bytes read in c->reply when `data`. Under the lock. */
static long raw_reply(struct server_call *c, long n, int data)
{
	if (n == P9SRV_HELD && keep(server->just_held, RAW_HANDLE))
		return SERVER_HELD;
	if (n == P9SRV_HELD)
		n = -P9_EBUSY;
	c->w[1] = n < 0 ? (uint64_t)-n : 0;
	c->w[2] = n < 0 ? 0 : (uint64_t)n;
	c->reply_len = n > 0 && data ? (uint64_t)n : 0;
	return STATUS_OK;
}

long p9_portal_op_read(struct server_call *c)
{
	uint64_t id;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	uint32_t count = c->w[3] < SERVER_BUF ? (uint32_t)c->w[3] : SERVER_BUF;
	metta_mutex_lock(&lock);
	long n = p9srv_read(server, id, (uint32_t)c->w[1], c->w[2], c->reply,
			    count);
	n = raw_reply(c, n, 1);
	metta_mutex_unlock(&lock);
	return n;
}

long p9_portal_op_write(struct server_call *c)
{
	uint64_t id;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	long n = p9srv_write(server, id, (uint32_t)c->w[1], c->w[2], c->data,
			     (uint32_t)c->len);
	n = raw_reply(c, n, 0);
	metta_mutex_unlock(&lock);
	return n;
}

long p9_portal_op_batch(struct server_call *c)
{
	uint64_t id;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	long n = p9srv_serve_batch(server, id, c->data, c->len, c->reply,
				   SERVER_BUF);
	metta_mutex_unlock(&lock);
	c->reply_len = (uint64_t)n;
	c->w[1] = server->quiet_clunk ? P9_BATCH_QUIET_CLUNK : 0;
	return STATUS_OK;
}

/* A new connection: a capability badged with its id, handed over for
 * good, so that its last copy going tells us the client is gone. */
long p9_portal_op_connect(struct server_call *c)
{
	uint64_t id;
	metta_mutex_lock(&lock);
	long rc = p9srv_connect(server, &id);
	uint32_t slot = rc ? 0 : metta_slot_alloc();
	if (rc == STATUS_OK &&
	    (!slot || (rc = metta_cap_copy(server_portal, slot,
					   RIGHT_CALL | RIGHT_GRANT,
					   id | P9_CONN_BADGE)))) {
		p9srv_hangup(server, id);
		rc = rc ? rc : STATUS_ERR_QUOTA;
	}
	metta_mutex_unlock(&lock);
	if (rc)
		return rc;
	c->cap_out = slot;
	c->give_cap_out = 1;
	return STATUS_OK;
}

long p9_portal_op_hangup(struct server_call *c)
{
	uint64_t id;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	p9srv_hangup(server, id);
	metta_mutex_unlock(&lock);
	return STATUS_OK;
}

/*
 * A copy of the fs's capability to fid w1's memory object (P9_MEMORY:
 * with the rights the fid allows) or to its state page's (P9_MEMSTATE:
 * read-only), handed over for good; w1 0 or an errno, and for P9_MEMORY
 * w2 its pages and w3 whether it has a state page.
 */
static long memory_op(struct server_call *c, int state_page)
{
	uint64_t id, pages = 0;
	uint32_t kept = 0, state = 0, slot = 0;
	int writable = 0;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	int err = p9srv_memory(server, id, (uint32_t)c->w[1], &kept, &pages,
			       &writable, &state);
	uint64_t rights = RIGHT_READ | RIGHT_GRANT;
	if (state_page)
		kept = state; /* never writable */
	else if (writable)
		rights |= RIGHT_WRITE;
	if (!err && !kept)
		err = -P9_ENODEV;
	if (!err && !(slot = metta_slot_alloc()))
		err = -P9_ENOMEM;
	if (!err && metta_cap_copy(kept, slot, rights, 0))
		err = -P9_ENOMEM;
	metta_mutex_unlock(&lock);
	c->w[1] = (uint64_t)-err;
	c->w[2] = err || state_page ? 0 : pages;
	c->w[3] = !err && !state_page && state;
	if (!err) {
		c->cap_out = slot;
		c->give_cap_out = 1;
	}
	return STATUS_OK;
}

/*
 * P9_TREESTATE: a read-only copy of the tree version's object, for a
 * server that shares it (p9_portal_share_tree); ENODEV for one whose
 * names change by other means.
 */
long p9_portal_op_treestate(struct server_call *c)
{
	uint64_t id;
	uint32_t slot = 0;
	int err = 0;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	if (!server->tree_slot)
		err = -P9_ENODEV;
	else if (!(slot = metta_slot_alloc()))
		err = -P9_ENOMEM;
	else if (metta_cap_copy(server->tree_slot, slot,
				RIGHT_READ | RIGHT_GRANT, 0))
		err = -P9_ENOMEM;
	metta_mutex_unlock(&lock);
	c->w[1] = (uint64_t)-err;
	if (!err) {
		c->cap_out = slot;
		c->give_cap_out = 1;
	}
	return STATUS_OK;
}

int p9_portal_share_tree(struct p9srv *s)
{
	uint32_t slot = metta_mem_at(P9_PORTAL_TREE_VA, 1);
	if (!slot)
		return -P9_ENOMEM;
	s->tree_version = &((struct p9_treestate *)P9_PORTAL_TREE_VA)->version;
	s->tree_slot = slot;
	return 0;
}

long p9_portal_op_memory(struct server_call *c)
{
	return memory_op(c, 0);
}

long p9_portal_op_memstate(struct server_call *c)
{
	return memory_op(c, 1);
}

long p9_portal_op_stats(struct server_call *c)
{
	metta_mutex_lock(&lock);
	c->w[1] = p9srv_nconns(server);
	c->w[2] = p9srv_nfids(server);
	c->w[3] = p9srv_nheld(server);
	metta_mutex_unlock(&lock);
	return STATUS_OK;
}

void p9_serve_portal(struct p9srv *s, uint32_t portal)
{
	static const server_op ops[] = {
		P9_PORTAL_OPS,
	};
	static struct server srv = { 0, ops, sizeof(ops) / sizeof(ops[0]) };
	srv.portal = portal;
	p9_portal_init(s, portal);
	server_run(&srv);
}
