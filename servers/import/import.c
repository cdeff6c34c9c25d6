/*
 * import: another machine's exported tree as a local 9P service
 * (docs/servers.md, "import"). argv: `import.srv PATH ANAME`; slot 12 a
 * 9P portal (the net server's) in which PATH names a byte stream already
 * connected to an export and authenticated (a TCP conversation's data
 * file, /tcp/N/data); slot 5 our portal. The root nester starts us for
 * mount(2) of type "import" and names us once P9_SYNCFS says the remote
 * answered Tversion.
 *
 * Every local connection's messages go down the one stream, one at a
 * time: fids are renumbered (each local connection has its own, the
 * remote sees one connection), Tattach names ANAME, and the reply comes
 * back with the caller's tag. A local connection that ends (hangs up, or
 * its client died) has its remote fids clunked. When the stream ends we
 * end, and the root nester takes our name away.
 */
#include <metta.h>
#include <metta/proto.h>
#include <metta/status.h>
#include <string/kstring.h>

#include "9p/9p.h"
#include "9p/errstr.h"
#include "9p/portal.h"
#include "server/server.h"

#define PORTAL	     5
#define STREAM_SVC   12
#define MSIZE	     P9_PORTAL_MSIZE
#define NCONN	     32
#define NFID	     1024
#define NET_ROOT     0 /* our fids in the stream's server */
#define NET_STREAM   1
#define REMOTE_TAG   1 /* one request at a time down the stream */
#define ANAME_MAX    256

struct lconn {
	uint64_t id;
	uint32_t msize;
	int used;
};

/* A local connection's fid and the remote fid it stands for. */
struct rfid {
	uint64_t conn;
	uint32_t fid, rfid;
	int used;
};

static struct lconn conns[NCONN];
static struct rfid fids[NFID];
static uint64_t next_conn = 1;
static uint32_t next_rfid = 1;
static char aname[ANAME_MAX];
static uint32_t remote_msize;
static int dead; /* the stream ended */
static struct metta_mutex lock;

static struct p9c net;
static uint8_t net_t[MSIZE], net_r[MSIZE];
static uint8_t rx[2 * MSIZE]; /* bytes from the stream not yet a message */
static uint32_t rxlen;
static uint8_t tmsg[MSIZE], rmsg[MSIZE];
static uint8_t notice_stack[16384] __attribute__((aligned(16)));

/* ---- the stream ---- */

static int stream_send(const uint8_t *buf, uint32_t n)
{
	for (uint32_t done = 0; done < n;) {
		uint32_t k = p9c_iounit(&net);
		if (k > n - done)
			k = n - done;
		long w = p9c_write(&net, NET_STREAM, 0, buf + done, k);
		if (w <= 0)
			return -1;
		done += (uint32_t)w;
	}
	return 0;
}

/* The next whole message from the stream into out: its length or -1. */
static long stream_recv(uint8_t *out)
{
	for (;;) {
		uint32_t size = p9_peek_size(rx, rxlen);
		if (size && (size < P9_HEADER || size > MSIZE))
			return -1;
		if (size && rxlen >= size) {
			memcpy(out, rx, size);
			memmove(rx, rx + size, rxlen - size);
			rxlen -= size;
			return size;
		}
		uint32_t k = p9c_iounit(&net);
		if (k > sizeof(rx) - rxlen)
			k = (uint32_t)sizeof(rx) - rxlen;
		long n = p9c_read(&net, NET_STREAM, 0, rx + rxlen, k);
		if (n <= 0)
			return -1; /* the end, or a reset */
		rxlen += (uint32_t)n;
	}
}

/* m down the stream (with our tag), its reply into rmsg: the reply's
 * length and decoded *r, or -1 (the stream is then dead). */
static long remote_rpc(struct p9_msg *m, struct p9_msg *r)
{
	if (dead)
		return -1;
	m->tag = REMOTE_TAG;
	long n = p9_encode(tmsg, remote_msize ? remote_msize : MSIZE, m);
	long got = n > 0 && !stream_send(tmsg, (uint32_t)n) ? stream_recv(rmsg) : -1;
	if (got < 0 || p9_decode(rmsg, (size_t)got, r) || r->tag != REMOTE_TAG) {
		if (n > 0 && !dead)
			metta_printf("import: the remote end is gone\n");
		dead = n > 0;
		return -1;
	}
	return got;
}

/* ---- fids ---- */

static struct rfid *fid_find(uint64_t conn, uint32_t fid)
{
	for (int i = 0; i < NFID; i++)
		if (fids[i].used && fids[i].conn == conn && fids[i].fid == fid)
			return &fids[i];
	return 0;
}

static int rfid_taken(uint32_t r)
{
	for (int i = 0; i < NFID; i++)
		if (fids[i].used && fids[i].rfid == r)
			return 1;
	return 0;
}

/* A new local fid with a remote number nobody uses. */
static struct rfid *fid_new(uint64_t conn, uint32_t fid)
{
	if (fid == P9_NOFID || fid_find(conn, fid))
		return 0;
	for (int i = 0; i < NFID; i++) {
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
	for (int i = 0; i < NFID; i++)
		if (fids[i].used && fids[i].conn == conn)
			fid_drop(&fids[i]);
}

static struct lconn *conn_find(uint64_t id)
{
	for (int i = 0; i < NCONN; i++)
		if (conns[i].used && conns[i].id == id)
			return &conns[i];
	return 0;
}

static void hangup(uint64_t id)
{
	struct lconn *c = conn_find(id);
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
	return p9_encode(out, SERVER_BUF, &r);
}

/* The remote end's msize, agreed at the first local Tversion: 0 or -1
 * (the stream is then dead). */
static int remote_version(void)
{
	struct p9_msg t = { .type = P9_TVERSION, .msize = MSIZE,
			    .version = p9_str(P9_VERSION) }, r;
	if (remote_msize)
		return 0;
	if (remote_rpc(&t, &r) < 0 || r.type != P9_RVERSION ||
	    !p9_str_eq(r.version, P9_VERSION) || r.msize < P9_MINMSIZE ||
	    r.msize > MSIZE) {
		metta_printf("import: the remote end does not speak 9P2000\n");
		dead = 1;
		return -1;
	}
	remote_msize = r.msize;
	return 0;
}

static long local_version(struct lconn *c, struct p9_msg *t, uint8_t *out)
{
	struct p9_msg r = { .type = P9_RVERSION, .tag = t->tag };
	if (remote_version())
		return local_error(out, t->tag, P9_EIO);
	conn_drop_fids(c->id);
	c->msize = p9_negotiate(remote_msize, t, &r.version);
	r.msize = c->msize ? c->msize : remote_msize;
	return p9_encode(out, SERVER_BUF, &r);
}

/*
 * The fids of t renumbered for the remote: fid (new for Tattach), and a
 * Twalk's newfid (new unless it is fid). *made is the fid made here, to
 * keep or free by the answer. Returns 0 or an errno.
 */
static int map_fids(struct lconn *c, struct p9_msg *t, struct rfid **made)
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
static void settle_fids(struct lconn *c, uint8_t type, uint32_t local_fid,
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

static long forward(struct lconn *c, struct p9_msg *t, uint8_t *out)
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
	if ((uint64_t)n > SERVER_BUF || (uint32_t)n > c->msize)
		return local_error(out, tag, P9_EMSGSIZE);
	memcpy(out, rmsg, (size_t)n);
	out[5] = (uint8_t)tag, out[6] = (uint8_t)(tag >> 8);
	return n;
}

static long serve(struct lconn *c, const uint8_t *in, uint64_t len,
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
		return p9_encode(out, SERVER_BUF, &r);
	}
	case P9_TATTACH: case P9_TWALK: case P9_TOPEN: case P9_TCREATE:
	case P9_TREAD: case P9_TWRITE: case P9_TCLUNK: case P9_TREMOVE:
	case P9_TSTAT: case P9_TWSTAT:
		return forward(c, &t, out);
	default: /* Tauth (the stream is authenticated), Metta's own */
		return local_error(out, t.tag, P9_ENOTSUP);
	}
}

/* ---- the portal ---- */

static struct lconn *caller(const struct server_call *c)
{
	return c->badge & P9_CONN_BADGE ? conn_find(c->badge & ~P9_CONN_BADGE) : 0;
}

static long op_rpc(struct server_call *c)
{
	metta_mutex_lock(&lock);
	struct lconn *l = caller(c);
	long n = l ? serve(l, c->data, c->len, c->reply) : STATUS_ERR_INVAL;
	int gone = dead;
	metta_mutex_unlock(&lock);
	/* Nothing more can be served: the root nester, seeing us end,
	 * takes our name away. This caller gets the dead portal's error. */
	if (gone)
		metta_exit(1);
	if (n < 0)
		return n;
	c->reply_len = (uint64_t)n;
	return STATUS_OK;
}

/* A new connection, its capability handed over for good (so its last
 * copy going tells us the client is gone). */
static long op_connect(struct server_call *c)
{
	metta_mutex_lock(&lock);
	struct lconn *l = 0;
	for (int i = 0; i < NCONN && !l; i++)
		if (!conns[i].used)
			l = &conns[i];
	uint32_t slot = l ? metta_slot_alloc() : 0;
	long rc = slot ? 0 : STATUS_ERR_QUOTA;
	if (!rc) {
		*l = (struct lconn){ next_conn++, 0, 1 };
		rc = metta_cap_copy(PORTAL, slot, RIGHT_CALL | RIGHT_GRANT,
				    l->id | P9_CONN_BADGE);
		if (rc)
			l->used = 0;
	}
	metta_mutex_unlock(&lock);
	if (rc)
		return rc;
	c->cap_out = slot;
	c->give_cap_out = 1;
	return STATUS_OK;
}

static long op_hangup(struct server_call *c)
{
	metta_mutex_lock(&lock);
	struct lconn *l = caller(c);
	if (l)
		hangup(l->id);
	metta_mutex_unlock(&lock);
	return l ? STATUS_OK : STATUS_ERR_INVAL;
}

static long op_stats(struct server_call *c)
{
	metta_mutex_lock(&lock);
	c->w[1] = c->w[2] = c->w[3] = 0;
	for (int i = 0; i < NCONN; i++)
		c->w[1] += conns[i].used;
	for (int i = 0; i < NFID; i++)
		c->w[2] += fids[i].used;
	metta_mutex_unlock(&lock);
	return STATUS_OK;
}

/* Root asks before it names us: is the remote there? */
static long op_syncfs(struct server_call *c)
{
	c->w[1] = dead ? P9_EIO : 0;
	return dead ? STATUS_ERR_DEAD : STATUS_OK;
}

/* A connection whose last capability went: its fids go. */
static void notice_thread(void)
{
	uint32_t ev = metta_slot_alloc();
	if (!ev || metta_event_create(ev) || metta_portal_watch(PORTAL, ev, 1)) {
		metta_printf("import: no notices: dead clients' fids stay\n");
		metta_thread_exit();
	}
	for (;;) {
		metta_event_wait(ev, 1, 0);
		struct metta_notice n;
		metta_mutex_lock(&lock);
		while (metta_portal_notice(PORTAL, &n) == 1)
			if (n.kind == PORTAL_GONE && (n.value & P9_CONN_BADGE))
				hangup(n.value & ~P9_CONN_BADGE);
		metta_mutex_unlock(&lock);
	}
}

/* ---- start ---- */

/* Opens path in the stream's server: 0 or an errno. The version is
 * agreed later (remote_version): the root nester waits for our start
 * while the process server waits for it, so we talk to nobody else
 * before we are named. */
static int open_stream(const char *path)
{
	static char buf[128];
	const char *names[P9_MAXWELEM];
	struct p9_qid q;
	uint32_t conn = metta_slot_alloc();
	int n = 0, rc = conn ? p9_portal_connect(&net, STREAM_SVC, conn, net_t, net_r)
			     : -P9_ENOMEM;
	if (rc || (rc = p9c_attach(&net, NET_ROOT, "import", "", &q)))
		return rc;
	if (strlen(path) >= sizeof(buf))
		return -P9_ENAMETOOLONG;
	strcpy(buf, path);
	for (char *s = buf; *s && n < P9_MAXWELEM;) {
		while (*s == '/')
			*s++ = 0;
		if (*s)
			names[n++] = s;
		while (*s && *s != '/')
			s++;
	}
	rc = p9c_walk(&net, NET_ROOT, NET_STREAM, n, names, &q);
	if (rc != n)
		return rc < 0 ? rc : -P9_ENOENT;
	return p9c_open(&net, NET_STREAM, P9_ORDWR, &q);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc != 3 || strlen(argv[2]) >= sizeof(aname)) {
		metta_printf("import: usage: import.srv PATH ANAME\n");
		return 1;
	}
	strcpy(aname, argv[2]);
	metta_mutex_init(&lock);
	int rc = open_stream(argv[1]);
	if (rc) {
		metta_printf("import: %s: %s\n", argv[1], p9_errstr(-rc));
		dead = 1; /* root sees P9_SYNCFS fail and ends us */
	}
	uint32_t th = metta_slot_alloc();
	uint64_t top = (uint64_t)&notice_stack[sizeof(notice_stack)] - 8;
	if (!th || metta_thread_create(CAP_SELF, th, (uint64_t)notice_thread,
				       top, METTA_PRIO_NORM) ||
	    metta_thread_ctl(th, THREAD_START, 0))
		metta_printf("import: no notice thread\n");
	static const server_op ops[] = {
		[P9_RPC] = op_rpc,	   [P9_CONNECT] = op_connect,
		[P9_HANGUP] = op_hangup,   [P9_STATS] = op_stats,
		[P9_SYNCFS] = op_syncfs,
	};
	static struct server s = { PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };
	server_run(&s);
}
