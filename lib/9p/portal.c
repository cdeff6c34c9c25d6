/* 9P2000 over portals: see portal.h. */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "9p/errstr.h"
#include "9p/portal.h"

long p9_portal_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		   uint32_t rcap)
{
	uint64_t w[4] = { P9_RPC }, got = 0;
	long rc = metta_request((uint32_t)(uintptr_t)ctx, w, t, tlen, r, rcap,
				&got, 0, 0);
	return rc ? -P9_EIO : (long)got;
}

int p9_portal_connect(struct p9c *c, uint32_t service, uint32_t conn,
		      uint8_t *tbuf, uint8_t *rbuf)
{
	uint64_t w[4] = { P9_CONNECT };
	if (metta_request(service, w, 0, 0, 0, 0, 0, 0, conn))
		return -P9_EIO;
	int rc = p9c_init(c, p9_portal_rpc, (void *)(uintptr_t)conn, tbuf, rbuf,
			  P9_PORTAL_MSIZE);
	if (rc) {
		p9_portal_hangup(conn);
		metta_cap_delete(conn);
	}
	return rc;
}

void p9_portal_hangup(uint32_t conn)
{
	uint64_t w[4] = { P9_HANGUP };
	metta_request(conn, w, 0, 0, 0, 0, 0, 0, 0);
}

/* ---- server side ---- */

static struct p9srv *server;
static uint32_t server_portal;
static struct metta_mutex lock;

void p9_portal_init(struct p9srv *s, uint32_t portal)
{
	server = s;
	server_portal = portal;
	metta_mutex_init(&lock);
}

/*
 * A connection's badge is its id with this bit set, apart from any badge
 * the server's own protocol gives out (names's registrar's is 1).
 */
#define CONN_BADGE (1ull << 62)

static int conn_of(const struct server_call *c, uint64_t *id)
{
	*id = c->badge & ~CONN_BADGE;
	return c->badge & CONN_BADGE ? 0 : STATUS_ERR_INVAL; /* connect first */
}

long p9_portal_op_rpc(struct server_call *c)
{
	uint64_t id;
	if (conn_of(c, &id))
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&lock);
	long n = p9srv_serve(server, id, c->data, c->len, c->reply, SERVER_BUF);
	metta_mutex_unlock(&lock);
	if (n < 0)
		return n;
	c->reply_len = (uint64_t)n;
	return STATUS_OK;
}

/* Reused for the capability sent back: replies are serialised per thread,
 * and the skeleton has sent it before this thread serves again. */
static uint32_t conn_slot[8];

long p9_portal_op_connect(struct server_call *c)
{
	static int next;
	uint64_t id;
	metta_mutex_lock(&lock);
	long rc = p9srv_connect(server, &id);
	uint32_t *slot = &conn_slot[next++ % 8];
	metta_mutex_unlock(&lock);
	if (rc)
		return rc;
	if (!*slot)
		*slot = metta_slot_alloc();
	metta_cap_delete(*slot);
	rc = metta_cap_copy(server_portal, *slot, RIGHT_CALL | RIGHT_GRANT,
			    id | CONN_BADGE);
	if (rc) {
		metta_mutex_lock(&lock);
		p9srv_hangup(server, id);
		metta_mutex_unlock(&lock);
		return rc;
	}
	c->cap_out = *slot;
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

void p9_serve_portal(struct p9srv *s, uint32_t portal)
{
	static const server_op ops[] = {
		[P9_RPC] = p9_portal_op_rpc,
		[P9_CONNECT] = p9_portal_op_connect,
		[P9_HANGUP] = p9_portal_op_hangup,
	};
	static struct server srv = { 0, ops, sizeof(ops) / sizeof(ops[0]) };
	srv.portal = portal;
	p9_portal_init(s, portal);
	server_run(&srv);
}
