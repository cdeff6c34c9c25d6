/* The import server's relay: see relay.h. */
#include "relay.h"

#include <string/kstring.h>

#include "9p/9p.h"
#include "9p/errstr.h"

#define REMOTE_TAG 1 /* one request at a time down the stream */

/* A local connection's fid and the remote fid it stands for. */
struct rfid {
	uint64_t conn;
	uint32_t fid, rfid;
	int used;
};

static struct relay_conn conns[RELAY_NCONN];
static struct rfid fids[RELAY_NFID];
static uint64_t next_conn;
static uint32_t next_rfid;
static char aname[RELAY_ANAME_MAX + 1];
static uint32_t remote_msize;
static int dead; /* the stream ended */
static relay_exchange_fn exchange;
static uint8_t tmsg[RELAY_MSIZE], rmsg[RELAY_MSIZE];

int relay_init(const char *path, relay_exchange_fn fn)
{
	if (strlen(path) > RELAY_ANAME_MAX)
		return -1;
	memset(conns, 0, sizeof(conns));
	memset(fids, 0, sizeof(fids));
	next_conn = next_rfid = 1;
	remote_msize = 0;
	dead = 0;
	strcpy(aname, path);
	exchange = fn;
	return 0;
}

int relay_dead(void)
{
	return dead;
}

void relay_counts(uint64_t *nconns, uint64_t *nfids)
{
	*nconns = *nfids = 0;
	for (int i = 0; i < RELAY_NCONN; i++)
		*nconns += conns[i].used;
	for (int i = 0; i < RELAY_NFID; i++)
		*nfids += fids[i].used;
}

struct relay_conn *relay_connect(void)
{
	for (int i = 0; i < RELAY_NCONN; i++)
		if (!conns[i].used) {
			conns[i] = (struct relay_conn){ next_conn++, 0, 1 };
			return &conns[i];
		}
	return 0;
}

/* m down the stream (with our tag), its reply into rmsg: the reply's
 * length and decoded *r, or -1 (the stream is then dead). */
static long remote_rpc(struct p9_msg *m, struct p9_msg *r)
{
	if (dead)
		return -1;
	m->tag = REMOTE_TAG;
	long n = p9_encode(tmsg, remote_msize ? remote_msize : RELAY_MSIZE, m);
	long got = n > 0 ? exchange(tmsg, (uint32_t)n, rmsg) : -1;
	if (got < 0 || p9_decode(rmsg, (size_t)got, r) || r->tag != REMOTE_TAG) {
		dead = n > 0;
		return -1;
	}
	return got;
}

/* ---- fids ---- */

static struct rfid *fid_find(uint64_t conn, uint32_t fid)
{
	for (int i = 0; i < RELAY_NFID; i++)
		if (fids[i].used && fids[i].conn == conn && fids[i].fid == fid)
			return &fids[i];
	return 0;
}

static int rfid_taken(uint32_t r)
{
	for (int i = 0; i < RELAY_NFID; i++)
		if (fids[i].used && fids[i].rfid == r)
			return 1;
	return 0;
}

/* A new local fid with a remote number nobody uses. */
static struct rfid *fid_new(uint64_t conn, uint32_t fid)
{
	if (fid == P9_NOFID || fid_find(conn, fid))
		return 0;
	for (int i = 0; i < RELAY_NFID; i++) {
		if (fids[i].used)
			continue;
		while (next_rfid == P9_NOFID || rfid_taken(next_rfid))
			next_rfid++;
		fids[i] = (struct rfid){ conn, fid, next_rfid++, 1 };
		return &fids[i];
	}
	return 0;
}

/* Clunks the remote fid too (a connection's end, a new Tversion). */
static void fid_drop(struct rfid *f)
{
	struct p9_msg t = { .type = P9_TCLUNK, .fid = f->rfid }, r;
	remote_rpc(&t, &r);
	f->used = 0;
}

static void conn_drop_fids(uint64_t conn)
{
	for (int i = 0; i < RELAY_NFID; i++)
		if (fids[i].used && fids[i].conn == conn)
			fid_drop(&fids[i]);
}

struct relay_conn *relay_find(uint64_t id)
{
	for (int i = 0; i < RELAY_NCONN; i++)
		if (conns[i].used && conns[i].id == id)
			return &conns[i];
	return 0;
}

void relay_hangup(uint64_t id)
{
	struct relay_conn *c = relay_find(id);
	if (c) {
		conn_drop_fids(id);
		c->used = 0;
	}
}

/* ---- one local request ---- */

static long local_error(uint8_t *out, uint16_t tag, int e)
{
	struct p9_msg r = { .type = P9_RERROR, .tag = tag,
			    .ename = p9_str(p9_errstr(e)) };
	return p9_encode(out, RELAY_MSIZE, &r);
}

/* The remote end's msize, agreed at the first local Tversion: 0 or -1
 * (the stream is then dead). */
static int remote_version(void)
{
	struct p9_msg t = { .type = P9_TVERSION, .msize = RELAY_MSIZE,
			    .version = p9_str(P9_VERSION) }, r;
	if (remote_msize)
		return 0;
	if (remote_rpc(&t, &r) < 0 || r.type != P9_RVERSION ||
	    !p9_str_eq(r.version, P9_VERSION) || r.msize < P9_MINMSIZE ||
	    r.msize > RELAY_MSIZE) {
		dead = 1;
		return -1;
	}
	remote_msize = r.msize;
	return 0;
}

static long local_version(struct relay_conn *c, struct p9_msg *t, uint8_t *out)
{
	struct p9_msg r = { .type = P9_RVERSION, .tag = t->tag };
	if (remote_version())
		return local_error(out, t->tag, P9_EIO);
	conn_drop_fids(c->id);
	c->msize = p9_negotiate(remote_msize, t, &r.version);
	r.msize = c->msize ? c->msize : remote_msize;
	return p9_encode(out, RELAY_MSIZE, &r);
}

/*
 * The fids of t renumbered for the remote: fid (new for Tattach), and a
 * Twalk's newfid (new unless it is fid). *made is the fid made here, to
 * keep or free by the answer. Returns 0 or an errno.
 */
static int map_fids(struct relay_conn *c, struct p9_msg *t, struct rfid **made)
{
	*made = 0;
	if (t->type == P9_TATTACH) {
		if (t->afid != P9_NOFID)
			return P9_EBADF;
		if (!(*made = fid_new(c->id, t->fid)))
			return fid_find(c->id, t->fid) ? P9_EBADF : P9_ENFILE;
		t->fid = (*made)->rfid;
		t->aname = p9_str(aname);
		return 0;
	}
	struct rfid *f = fid_find(c->id, t->fid);
	if (!f)
		return P9_EBADF;
	uint32_t local = t->fid, local_new = t->newfid;
	t->fid = f->rfid;
	if (t->type != P9_TWALK)
		return 0;
	if (local_new == local) {
		t->newfid = f->rfid;
	} else if (!(*made = fid_new(c->id, local_new))) {
		return fid_find(c->id, local_new) ? P9_EBADF : P9_ENFILE;
	} else {
		t->newfid = (*made)->rfid;
	}
	return 0;
}

/* What the answer means for the fids: a made fid stays if the request
 * worked (a walk all the way); Tclunk and Tremove end theirs anyway. */
static void settle_fids(struct relay_conn *c, uint8_t type, uint32_t local_fid,
			struct rfid *made, const struct p9_msg *t,
			const struct p9_msg *r, int ok)
{
	if (made && !(ok && (type != P9_TWALK || r->nwqid == t->nwname)))
		made->used = 0;
	if (type == P9_TCLUNK || type == P9_TREMOVE) {
		struct rfid *f = fid_find(c->id, local_fid);
		if (f)
			f->used = 0;
	}
}

static long forward(struct relay_conn *c, struct p9_msg *t, uint8_t *out)
{
	uint16_t tag = t->tag;
	uint32_t local_fid = t->fid;
	uint8_t type = t->type;
	struct rfid *made;
	int e = map_fids(c, t, &made);
	if (e)
		return local_error(out, tag, e);
	if ((type == P9_TREAD || type == P9_TWRITE) &&
	    t->count > c->msize - P9_IOHDR)
		t->count = c->msize - P9_IOHDR;
	struct p9_msg r;
	long n = remote_rpc(t, &r);
	int ok = n > 0 && r.type == type + 1;
	settle_fids(c, type, local_fid, made, t, &r, ok);
	if (n < 0)
		return local_error(out, tag, P9_EIO);
	if ((uint64_t)n > RELAY_MSIZE || (uint32_t)n > c->msize)
		return local_error(out, tag, P9_EMSGSIZE);
	memcpy(out, rmsg, (size_t)n);
	out[5] = (uint8_t)tag, out[6] = (uint8_t)(tag >> 8);
	return n;
}

long relay_serve(struct relay_conn *c, const uint8_t *in, uint64_t len,
		 uint8_t *out)
{
	struct p9_msg t;
	if (p9_decode(in, (size_t)len, &t))
		return local_error(out, len >= P9_HEADER ? (uint16_t)(in[5] | in[6] << 8)
							 : P9_NOTAG,
				   P9_EIO);
	if (t.type == P9_TVERSION)
		return local_version(c, &t, out);
	if (!c->msize)
		return local_error(out, t.tag, P9_EIO); /* Tversion first */
	switch (t.type) {
	case P9_TFLUSH: { /* one at a time: the old request is answered */
		struct p9_msg r = { .type = P9_RFLUSH, .tag = t.tag };
		return p9_encode(out, RELAY_MSIZE, &r);
	}
	case P9_TATTACH: case P9_TWALK: case P9_TOPEN: case P9_TCREATE:
	case P9_TREAD: case P9_TWRITE: case P9_TCLUNK: case P9_TREMOVE:
	case P9_TSTAT: case P9_TWSTAT:
		return forward(c, &t, out);
	default: /* Tauth (the stream is authenticated), Metta's own */
		return local_error(out, t.tag, P9_ENOTSUP);
	}
}

