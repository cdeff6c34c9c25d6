/*
 * 9P2000 server library. Each request is checked completely before
 * anything changes, so an Rerror leaves the connection as it was; fids are
 * created last, once nothing else can fail, and node references are taken
 * and dropped in pairs (every node handed out by the fs is either stored
 * in a fid or unref'd before the request ends).
 */
#include "9p/srv.h"

#include <metta/proto.h> /* READY_QUERY, SOCK_INFO */

#include <metta/status.h>

#include "bytes/le.h"
#include "string/kstring.h"

/* Access bits of a mode's rwx triple. */
#define AREAD  4
#define AWRITE 2
#define AEXEC  1

/* Open mode bits the library understands; others are ignored. */
#define OMODE_BITS (3 | P9_OTRUNC | P9_ORCLOSE)

/* Rread: size[4] type[1] tag[2] count[4], then data. */
#define RREAD_HDR 11

/* One request in progress. */
struct req {
	struct p9srv *s;
	struct p9srv_conn *c;
	uint8_t *out;
	size_t cap; /* what the reply may take: outcap and msize */
	uint16_t tag;
	long len; /* the reply's length, once built */
	struct p9srv_req serving; /* what p9srv_hold would keep */
};

static const struct p9srv_ops *ops(const struct req *r)
{
	return r->s->ops;
}

static void *ctx(const struct req *r)
{
	return r->s->ctx;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The Rerror string for an fs result (a negative errno). */
static const char *fserr(long rc)
{
	return p9_errstr(rc < 0 && rc > -4096 ? (int)-rc : P9_EIO);
}

/* Encode the reply m; fails only when it does not fit r->cap. */
static const char *send(struct req *r, struct p9_msg *m)
{
	m->tag = r->tag;
	long n = p9_encode(r->out, r->cap, m);
	if (n < 0)
		return "reply too large";
	r->len = n;
	return 0;
}

/* Header of a reply whose body was written in place after it. */
static const char *finish(struct req *r, uint8_t type, size_t len)
{
	put_le(r->out, len, 4);
	r->out[4] = type;
	put_le(r->out + 5, r->tag, 2);
	r->len = (long)len;
	return 0;
}

static const char *reply_empty(struct req *r, uint8_t type)
{
	struct p9_msg m = { .type = type };
	return send(r, &m);
}

static int str_same(struct p9_str a, struct p9_str b)
{
	if (a.len != b.len)
		return 0;
	for (uint16_t i = 0; i < a.len; i++)
		if (a.s[i] != b.s[i])
			return 0;
	return 1;
}

/*
 * Whether the connection's user has all of want (AREAD|AWRITE|AEXEC) on a
 * file: the owner bits when the user is the owner, the group bits when the
 * user's name is the group (Plan 9's default of one group per user), the
 * other bits otherwise.
 */
static int allowed(const struct p9srv_conn *c, const struct p9_stat *st,
		   uint32_t want)
{
	uint32_t bits;
	if (p9_str_eq(st->uid, c->uname))
		bits = st->mode >> 6;
	else if (p9_str_eq(st->gid, c->uname))
		bits = st->mode >> 3;
	else
		bits = st->mode;
	return (bits & want) == want;
}

static uint32_t slot_of(const struct p9srv_conn *c, const struct p9_fid *f)
{
	return (uint32_t)(f - c->fids.ents);
}

/*
 * Drop fid f: remove its file first when it was opened ORCLOSE (and
 * rclose allows it), then the fs's clunk hook and unref.
 */
static void end_held_of_fid(struct p9srv *s, uint64_t conn, uint32_t fid);

/* What a walk finds or may open is about to change (P9_TREESTATE):
 * clients reusing earlier walks must walk again. */
static void tree_changes(struct p9srv *s)
{
	if (s->tree_version)
		__atomic_add_fetch(s->tree_version, 1, __ATOMIC_RELEASE);
}

static void release(struct p9srv *s, struct p9srv_conn *c, struct p9_fid *f,
		    int rclose)
{
	end_held_of_fid(s, c->id, f->fid);
	s->op_conn = c->id;
	s->op_fid = f->fid;
	void *node = f->node;
	uint8_t mode = f->mode;
	if (rclose && mode != P9_FID_CLOSED && (mode & P9_ORCLOSE) &&
	    s->ops->remove) {
		tree_changes(s);
		s->ops->remove(s->ctx, node);
	}
	if (s->ops->clunk)
		s->ops->clunk(s->ctx, node, mode);
	s->ops->unref(s->ctx, node);
	p9_fid_clunk(&c->fids, f->fid);
}

/* Clunk every fid of c (Tversion, hangup). */
static void reset(struct p9srv *s, struct p9srv_conn *c)
{
	for (uint32_t i = 0; i < c->fids.cap; i++)
		if (c->fids.ents[i].inuse)
			release(s, c, &c->fids.ents[i], 1);
}

/* A name create or wstat may give: not empty, ".", ".." nor with '/'. */
static int good_name(struct p9_str n)
{
	if (n.len == 0 || p9_str_eq(n, ".") || p9_str_eq(n, ".."))
		return 0;
	for (uint16_t i = 0; i < n.len; i++)
		if (n.s[i] == '/')
			return 0;
	return 1;
}

static const char *t_version(struct req *r, const struct p9_msg *m)
{
	struct p9_str v;
	uint32_t msize = p9_negotiate(r->s->msize, m, &v);
	int known = p9_str_eq(v, P9_VERSION);
	if (!msize && known)
		return "msize too small";
	if (!known) /* version(5): answer "unknown", the connection unusable */
		msize = m->msize < r->s->msize ? m->msize : r->s->msize;
	struct p9_msg a = { .type = P9_RVERSION, .msize = msize, .version = v };
	const char *err = send(r, &a);
	if (err)
		return err;
	/* version(5): a Tversion ends every fid of the connection. */
	reset(r->s, r->c);
	r->c->versioned = (uint8_t)known;
	r->c->msize = msize;
	return 0;
}

/* The connection's user becomes uname (checked by the caller). */
static void set_user(struct p9srv_conn *c, struct p9_str uname)
{
	for (uint16_t i = 0; i < uname.len; i++)
		c->uname[i] = uname.s[i];
	c->uname[uname.len] = 0;
}

static const char *t_attach(struct req *r, const struct p9_msg *m)
{
	struct p9srv_conn *c = r->c;
	if (m->afid != P9_NOFID)
		return "authentication not required";
	if (m->fid == P9_NOFID || p9_fid_get(&c->fids, m->fid))
		return "fid in use";
	/* One user per connection: fids of another would change hands. */
	if (m->uname.len == 0 || m->uname.len > P9SRV_UNAME_MAX ||
	    (c->fids.count && !p9_str_eq(m->uname, c->uname)))
		return "permission denied";
	if (c->fids.count == c->fids.cap)
		return "too many fids";
	void *root;
	struct p9_stat st;
	int rc = ops(r)->attach(ctx(r), m->uname, m->aname, &root);
	if (rc)
		return fserr(rc);
	rc = ops(r)->stat(ctx(r), root, &st);
	struct p9_fid *f;
	if (rc || p9_fid_new(&c->fids, m->fid, &f)) {
		ops(r)->unref(ctx(r), root);
		return rc ? fserr(rc) : "too many fids";
	}
	set_user(c, m->uname);
	f->node = root;
	f->qid = st.qid;
	c->rootpath[slot_of(c, f)] = st.qid.path;
	struct p9_msg a = { .type = P9_RATTACH, .qid = st.qid };
	return send(r, &a);
}

/*
 * Walk m's names from node start (referenced here). Returns how many
 * steps succeeded, their qids in qids, the node reached (referenced) in
 * *end, and in *err why the next step failed.
 */
static uint16_t walk_names(struct req *r, const struct p9_msg *m, void *start,
			   uint64_t rootpath, struct p9_qid *qids, void **end,
			   const char **err)
{
	void *cur = start;
	struct p9_stat st;
	uint16_t n = 0;
	*err = 0;
	ops(r)->ref(ctx(r), cur);
	int rc = m->nwname ? ops(r)->stat(ctx(r), cur, &st) : 0;
	for (; n < m->nwname; n++) {
		void *next;
		if (rc) {
			*err = fserr(rc);
			break;
		}
		if (!(st.qid.type & P9_QTDIR)) {
			*err = "not a directory";
			break;
		}
		if (!allowed(r->c, &st, AEXEC)) {
			*err = "permission denied";
			break;
		}
		if (p9_str_eq(m->wname[n], "..") && st.qid.path == rootpath) {
			ops(r)->ref(ctx(r), cur); /* the attach root's parent */
			next = cur;
		} else {
			rc = ops(r)->walk1(ctx(r), cur, m->wname[n], &next);
			if (rc) {
				*err = fserr(rc);
				break;
			}
		}
		ops(r)->unref(ctx(r), cur);
		cur = next;
		rc = ops(r)->stat(ctx(r), cur, &st);
		if (rc) {
			*err = fserr(rc);
			break;
		}
		qids[n] = st.qid;
	}
	*end = cur;
	return n;
}

static const char *t_walk(struct req *r, const struct p9_msg *m)
{
	struct p9srv_conn *c = r->c;
	struct p9_fid *f = p9_fid_get(&c->fids, m->fid);
	if (!f)
		return "unknown fid";
	if (f->mode != P9_FID_CLOSED)
		return "walk of open fid";
	if (m->newfid != m->fid) {
		if (m->newfid == P9_NOFID || p9_fid_get(&c->fids, m->newfid))
			return "fid in use";
		if (c->fids.count == c->fids.cap)
			return "too many fids";
	}
	uint64_t rootpath = c->rootpath[slot_of(c, f)];
	struct p9_msg a = { .type = P9_RWALK };
	const char *err;
	void *end;
	a.nwqid = walk_names(r, m, f->node, rootpath, a.wqid, &end, &err);
	if (a.nwqid < m->nwname) {
		/* walk(5): only a failing first name is an error. */
		ops(r)->unref(ctx(r), end);
		return a.nwqid ? send(r, &a) : err;
	}
	struct p9_qid qid = a.nwqid ? a.wqid[a.nwqid - 1] : f->qid;
	if (m->newfid == m->fid) {
		ops(r)->unref(ctx(r), f->node);
	} else {
		struct p9_fid *nf;
		if (p9_fid_new(&c->fids, m->newfid, &nf)) {
			ops(r)->unref(ctx(r), end);
			return "too many fids";
		}
		c->rootpath[slot_of(c, nf)] = rootpath;
		f = nf;
	}
	f->node = end;
	f->qid = qid;
	return send(r, &a);
}

/* The access a Topen mode asks for. */
static uint32_t access_of(uint8_t mode)
{
	static const uint32_t acc[4] = { AREAD, AWRITE, AREAD | AWRITE, AEXEC };
	return acc[mode & 3] | (mode & P9_OTRUNC ? AWRITE : 0);
}

static void opened(struct req *r, struct p9_fid *f, uint8_t mode)
{
	struct p9_stat st;
	if (ops(r)->stat(ctx(r), f->node, &st) == 0)
		f->qid = st.qid; /* OTRUNC or create changed the version */
	f->mode = mode;
	f->diroffset = 0;
	f->dirindex = 0;
}

static const char *reply_open(struct req *r, uint8_t type,
			      const struct p9_fid *f)
{
	struct p9_msg a = { .type = type,
			    .qid = f->qid,
			    .iounit = (uint32_t)(r->cap - P9_IOHDR) };
	return send(r, &a);
}

static const char *t_open(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	if (f->mode != P9_FID_CLOSED)
		return "file already open";
	struct p9_stat st;
	int rc = ops(r)->stat(ctx(r), f->node, &st);
	if (rc)
		return fserr(rc);
	uint8_t mode = m->mode & OMODE_BITS;
	if ((st.qid.type & P9_QTDIR) && (mode & ~P9_ORCLOSE) != P9_OREAD)
		return "is a directory";
	if (!allowed(r->c, &st, access_of(mode)))
		return "permission denied";
	r->s->op_conn = r->c->id;
	r->s->op_fid = f->fid;
	if (ops(r)->open && (rc = ops(r)->open(ctx(r), f->node, mode)))
		return fserr(rc);
	opened(r, f, mode);
	return reply_open(r, P9_ROPEN, f);
}

/* Whether the user may make name in the directory dir (create, link,
 * rename), or take it away (rename). */
static const char *may_add_name(struct req *r, void *dir, struct p9_str name)
{
	struct p9_stat st;
	int rc = ops(r)->stat(ctx(r), dir, &st);
	if (rc)
		return fserr(rc);
	if (!(st.qid.type & P9_QTDIR))
		return "not a directory";
	if (!good_name(name))
		return "illegal file name";
	if (!allowed(r->c, &st, AWRITE))
		return "permission denied";
	return 0;
}

static const char *t_create(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	if (f->mode != P9_FID_CLOSED)
		return "file already open";
	const char *err = may_add_name(r, f->node, m->name);
	if (err)
		return err;
	uint8_t mode = m->mode & OMODE_BITS;
	if ((m->perm & P9_DMDIR) && (mode & ~P9_ORCLOSE) != P9_OREAD)
		return "is a directory";
	if (!ops(r)->create)
		return "operation not supported";
	void *node;
	struct p9_str uname = p9_str(r->c->uname);
	int rc = ops(r)->create(ctx(r), f->node, m->name, m->perm, mode, uname,
			    &node);
	if (rc)
		return fserr(rc);
	ops(r)->unref(ctx(r), f->node);
	f->node = node;
	opened(r, f, mode);
	return reply_open(r, P9_RCREATE, f);
}

/*
 * Whole stat entries of directory f into buf[count], from the entry the
 * offset names: 0 restarts, the end of the previous read continues, any
 * other offset is refused (read(5)). Returns the bytes or an error.
 */
static const char *dirread(struct req *r, struct p9_fid *f, uint64_t offset,
			   uint8_t *buf, uint32_t count, uint32_t *got)
{
	uint32_t index, n = 0;
	if (offset == 0)
		index = 0;
	else if (offset == f->diroffset)
		index = f->dirindex;
	else
		return "bad offset in directory read";
	if (!ops(r)->readdir)
		return "operation not supported";
	for (;;) {
		struct p9_stat st;
		int rc = ops(r)->readdir(ctx(r), f->node, index, &st);
		if (rc < 0 && n == 0)
			return fserr(rc);
		if (rc <= 0)
			break;
		long k = p9_stat_encode(buf + n, count - n, &st);
		if (k < 0 && n == 0)
			return "count too small for a directory entry";
		if (k < 0)
			break;
		n += (uint32_t)k;
		index++;
	}
	f->diroffset = offset + n;
	f->dirindex = index;
	*got = n;
	return 0;
}

/* ---- requests held to be answered later ---- */

/* What dispatch returns for a held request: no reply now. */
static const char held_marker[] = "held";

/* The request a read or write op may hold (p9srv_hold). */
static void serving(struct req *r, uint8_t type, uint64_t offset,
		    struct p9_fid *f, uint32_t count)
{
	struct p9srv_req *q = &r->serving;
	*q = (struct p9srv_req){ .s = r->s,
				 .conn = r->c->id,
				 .tag = r->tag,
				 .type = type,
				 .fid = f->fid,
				 .node = f->node,
				 .offset = offset,
				 .count = count };
	r->s->serving = q;
	r->s->op_conn = r->c->id;
	r->s->op_fid = f->fid;
	r->s->just_held = 0;
}

static const char *held(struct req *r)
{
	return r->s->just_held ? held_marker : "i/o error";
}

struct p9srv_req *p9srv_hold(struct p9srv *s)
{
	struct p9srv_req *cur = s->serving;
	if (!cur || s->just_held)
		return 0;
	for (uint32_t i = 0; i < s->maxheld; i++) {
		struct p9srv_req *q = &s->held[i];
		if (q->inuse)
			continue;
		uint32_t gen = q->gen + 1;
		*q = *cur;
		q->gen = gen;
		q->inuse = 1;
		s->nheld++;
		s->just_held = q;
		return q;
	}
	return 0;
}

void p9srv_queue_put(struct p9srv_req **p, struct p9srv_req *q)
{
	while (*p)
		p = &(*p)->next;
	q->next = 0;
	*p = q;
}

void p9srv_queue_remove(struct p9srv_req **p, struct p9srv_req *q)
{
	while (*p && *p != q)
		p = &(*p)->next;
	if (*p)
		*p = q->next;
	q->next = 0;
}

struct p9srv_req *p9srv_queue_pop(struct p9srv_req **p)
{
	struct p9srv_req *q = *p;
	if (q)
		p9srv_queue_remove(p, q);
	return q;
}

uint64_t p9srv_cookie(const struct p9srv_req *q)
{
	return (uint64_t)q->gen << 16 | (uint64_t)(q - q->s->held);
}

uint32_t p9srv_nheld(const struct p9srv *s)
{
	return s->nheld;
}

uint32_t p9srv_nconns(const struct p9srv *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->nconn; i++)
		n += s->conns[i].inuse;
	return n;
}

uint32_t p9srv_nfids(const struct p9srv *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->nconn; i++)
		if (s->conns[i].inuse)
			n += s->conns[i].fids.count;
	return n;
}

static void free_held(struct p9srv_req *q)
{
	q->inuse = 0;
	q->aux = 0;
	q->next = 0;
	q->s->nheld--;
}

/* q ends unanswered: the fs forgets it, the transport lets its caller go. */
static void end_held(struct p9srv_req *q)
{
	struct p9srv *s = q->s;
	if (s->forget)
		s->forget(q);
	if (s->drop)
		s->drop(s, q->handle);
	free_held(q);
}

static void end_held_of_fid(struct p9srv *s, uint64_t conn, uint32_t fid)
{
	for (uint32_t i = 0; s->nheld && i < s->maxheld; i++) {
		struct p9srv_req *q = &s->held[i];
		if (q->inuse && q->conn == conn && q->fid == fid)
			end_held(q);
	}
}

void p9srv_cancel(struct p9srv *s, uint64_t cookie)
{
	uint64_t i = cookie & 0xffff;
	if (i >= s->maxheld)
		return;
	struct p9srv_req *q = &s->held[i];
	if (q->inuse && q->gen == (uint32_t)(cookie >> 16))
		end_held(q);
}

static int answer(struct p9srv_req *q, struct p9_msg *m)
{
	struct p9srv *s = q->s;
	m->tag = q->tag;
	long n = p9_encode(s->answer_buf, s->msize, m);
	int rc = -P9_EIO;
	if (n > 0 && s->answer)
		rc = s->answer(s, q->handle, s->answer_buf, (size_t)n);
	else if (s->drop)
		s->drop(s, q->handle);
	free_held(q);
	return rc;
}

int p9srv_respond_read(struct p9srv_req *q, const void *data, uint32_t n)
{
	struct p9_msg m = { .type = P9_RREAD,
			    .count = n <= q->count ? n : q->count,
			    .data = data };
	return answer(q, &m);
}

int p9srv_respond_write(struct p9srv_req *q, uint32_t n)
{
	struct p9_msg m = { .type = P9_RWRITE,
			    .count = n <= q->count ? n : q->count };
	return answer(q, &m);
}

int p9srv_respond_wstat(struct p9srv_req *q)
{
	struct p9_msg m = { .type = P9_RWSTAT };
	return answer(q, &m);
}

int p9srv_respond_error(struct p9srv_req *q, int err)
{
	struct p9_msg m = { .type = P9_RERROR,
			    .ename = p9_str(fserr(err > 0 ? -err : err)) };
	return answer(q, &m);
}

/* What a read or write op's rc of at most count bytes means: *n bytes,
 * or an error (held_marker: held). */
static const char *moved(struct req *r, long rc, uint32_t count, uint32_t *n)
{
	if (rc == P9SRV_HELD)
		return held(r);
	if (rc < 0)
		return fserr(rc);
	if (rc > (long)count)
		return "i/o error";
	*n = (uint32_t)rc;
	return 0;
}

/*
 * The read of fid at offset into buf[count] (count within the reply's
 * room): *got bytes, or an error (held_marker: held). Tread's and
 * P9_READ's.
 */
static const char *read_fid(struct req *r, uint32_t fid, uint64_t offset,
			    uint8_t *buf, uint32_t count, uint32_t *got)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, fid);
	if (!f)
		return "unknown fid";
	/* A readiness query (poll) and the pipe server's SOCK_INFO read no
	 * data: any open file may ask. */
	int query = (offset & (READY_QUERY | SOCK_INFO)) &&
		    !(f->qid.type & P9_QTDIR);
	if (f->mode == P9_FID_CLOSED ||
	    ((f->mode & 3) == P9_OWRITE && !query))
		return "file not open for reading";
	*got = 0;
	if (f->qid.type & P9_QTDIR)
		return dirread(r, f, offset, buf, count, got);
	if (!ops(r)->read)
		return "operation not supported";
	serving(r, P9_TREAD, offset, f, count);
	return moved(r, ops(r)->read(ctx(r), f->node, offset, buf, count),
		     count, got);
}

static const char *t_read(struct req *r, const struct p9_msg *m)
{
	uint32_t count = m->count, got;
	if (count > r->cap - RREAD_HDR)
		count = (uint32_t)(r->cap - RREAD_HDR);
	const char *err = read_fid(r, m->fid, m->offset, r->out + RREAD_HDR,
				   count, &got);
	if (err)
		return err;
	put_le(r->out + P9_HEADER, got, 4);
	return finish(r, P9_RREAD, RREAD_HDR + (size_t)got);
}

/* The write of data[count] to fid at offset: *done bytes, or an error
 * (held_marker: held). Twrite's and P9_WRITE's. */
static const char *write_fid(struct req *r, uint32_t fid, uint64_t offset,
			     const uint8_t *data, uint32_t count,
			     uint32_t *done)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, fid);
	if (!f)
		return "unknown fid";
	uint8_t acc = f->mode & 3;
	if (f->mode == P9_FID_CLOSED || (acc != P9_OWRITE && acc != P9_ORDWR))
		return "file not open for writing";
	if (count > r->c->msize - P9_IOHDR)
		count = r->c->msize - P9_IOHDR;
	if (!ops(r)->write)
		return "operation not supported";
	serving(r, P9_TWRITE, offset, f, count);
	return moved(r, ops(r)->write(ctx(r), f->node, offset, data, count),
		     count, done);
}

static const char *t_write(struct req *r, const struct p9_msg *m)
{
	uint32_t done;
	const char *err = write_fid(r, m->fid, m->offset, m->data, m->count,
				    &done);
	if (err)
		return err;
	struct p9_msg a = { .type = P9_RWRITE, .count = done };
	return send(r, &a);
}

static const char *t_clunk(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	release(r->s, r->c, f, 1);
	return reply_empty(r, P9_RCLUNK);
}

static const char *t_remove(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	int rc = ops(r)->remove ? ops(r)->remove(ctx(r), f->node) : -P9_ENOTSUP;
	/* remove(5): the fid is clunked even when the remove fails. */
	release(r->s, r->c, f, 0);
	return rc ? fserr(rc) : reply_empty(r, P9_RREMOVE);
}

static const char *t_stat(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	struct p9_stat st;
	int rc = ops(r)->stat(ctx(r), f->node, &st);
	if (rc)
		return fserr(rc);
	/* Rstat: n[2] stat[n], the stat written in place. */
	long k =
	    p9_stat_encode(r->out + P9_HEADER + 2, r->cap - P9_HEADER - 2, &st);
	if (k < 0 || k > 0xffff)
		return "reply too large";
	put_le(r->out + P9_HEADER, (uint64_t)k, 2);
	return finish(r, P9_RSTAT, P9_HEADER + 2 + (size_t)k);
}

/* stat(5): type, dev and qid can never change; ~0 means "don't touch". */
static int fixed_fields_kept(const struct p9_stat *w, const struct p9_stat *c)
{
	return (w->type == 0xffff || w->type == c->type) &&
	       (w->dev == ~0u || w->dev == c->dev) &&
	       (w->qid.type == 0xff || w->qid.type == c->qid.type) &&
	       (w->qid.version == ~0u || w->qid.version == c->qid.version) &&
	       (w->qid.path == ~0ull || w->qid.path == c->qid.path);
}

/*
 * The checks of a wstat w on a file whose stat is cur: only the owner
 * changes mode, name, times and group; anyone who may write changes the
 * length; nobody changes the owner or a file's directory bit.
 */
static const char *wstat_check(struct req *r, struct p9_stat *w,
			       const struct p9_stat *cur)
{
	int owner = p9_str_eq(cur->uid, r->c->uname);
	int isdir = (cur->qid.type & P9_QTDIR) != 0;
	if (!fixed_fields_kept(w, cur))
		return "operation not permitted";
	if (w->uid.len && !str_same(w->uid, cur->uid))
		return "operation not permitted";
	if (w->mode != ~0u && (!owner || ((w->mode ^ cur->mode) & P9_DMDIR)))
		return "operation not permitted";
	if (w->name.len && !str_same(w->name, cur->name)) {
		if (!owner)
			return "operation not permitted";
		if (!good_name(w->name))
			return "illegal file name";
	}
	if ((w->mtime != ~0u || w->atime != ~0u) && !owner)
		return "operation not permitted";
	if (w->gid.len && !str_same(w->gid, cur->gid) && !owner)
		return "operation not permitted";
	if (w->length != ~0ull && isdir) {
		if (w->length != 0)
			return "is a directory";
		w->length = ~0ull; /* a directory's length is always 0 */
	}
	if (w->length != ~0ull && !allowed(r->c, cur, AWRITE))
		return "permission denied";
	w->muid.len = 0; /* the server keeps muid itself */
	return 0;
}

static const char *t_wstat(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	struct p9_stat w, cur;
	if (p9_stat_decode(m->stat, m->nstat, &w) < 0)
		return "malformed message";
	int rc = ops(r)->stat(ctx(r), f->node, &cur);
	if (rc)
		return fserr(rc);
	const char *err = wstat_check(r, &w, &cur);
	if (err)
		return err;
	if (!ops(r)->wstat)
		return "operation not supported";
	if (w.name.len || w.mode != ~0u || w.uid.len || w.gid.len)
		tree_changes(r->s); /* not a length, times or a sync */
	/* a sync may be held until it is done */
	serving(r, m->type, m->offset, f, 0);
	rc = ops(r)->wstat(ctx(r), f->node, &w);
	if (rc == P9SRV_HELD)
		return held(r);
	if (rc)
		return fserr(rc);
	return reply_empty(r, P9_RWSTAT);
}

/*
 * Tlink (Metta's extension, 9P2000.L's message): a new name in directory
 * fid for the file newfid, which must not be a directory (Linux's EPERM);
 * the user must be allowed to write the directory, as for a create.
 */
static const char *t_link(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *d = p9_fid_get(&r->c->fids, m->fid);
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->newfid);
	struct p9_stat st;
	if (!d || !f)
		return "unknown fid";
	int rc = ops(r)->stat(ctx(r), f->node, &st);
	if (rc)
		return fserr(rc);
	if (st.qid.type & P9_QTDIR)
		return "operation not permitted";
	const char *err = may_add_name(r, d->node, m->name);
	if (err)
		return err;
	if (!ops(r)->link)
		return "operation not supported";
	rc = ops(r)->link(ctx(r), d->node, m->name, f->node);
	return rc ? fserr(rc) : reply_empty(r, P9_RLINK);
}

/*
 * Trenameat (9P2000.L's): oldname of directory fid becomes newname of
 * directory newfid; the user must be allowed to write both, as for a
 * remove and a create. What may be replaced is the fs's to check.
 */
static const char *t_renameat(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *od = p9_fid_get(&r->c->fids, m->fid);
	struct p9_fid *nd = p9_fid_get(&r->c->fids, m->newfid);
	if (!od || !nd)
		return "unknown fid";
	const char *err = may_add_name(r, od->node, m->name);
	if (!err)
		err = may_add_name(r, nd->node, m->newname);
	if (err)
		return err;
	if (!ops(r)->rename)
		return "operation not supported";
	int rc =
	    ops(r)->rename(ctx(r), od->node, m->name, nd->node, m->newname);
	return rc ? fserr(rc) : reply_empty(r, P9_RRENAMEAT);
}

/* Tstatfs (9P2000.L's): the size and free space of fid's file system. */
static const char *t_statfs(struct req *r, const struct p9_msg *m)
{
	struct p9_fid *f = p9_fid_get(&r->c->fids, m->fid);
	if (!f)
		return "unknown fid";
	if (!ops(r)->statfs)
		return "operation not supported";
	struct p9_msg a = { .type = P9_RSTATFS };
	int rc = ops(r)->statfs(ctx(r), f->node, &a.statfs);
	return rc ? fserr(rc) : send(r, &a);
}

static const char *t_flush(struct req *r, const struct p9_msg *m)
{
	/* A held oldtag ends unanswered; any other was answered already,
	 * or never existed. Either way Rflush follows at once. */
	struct p9srv *s = r->s;
	for (uint32_t i = 0; s->nheld && i < s->maxheld; i++) {
		struct p9srv_req *q = &s->held[i];
		if (q->inuse && q->conn == r->c->id && q->tag == m->oldtag)
			end_held(q);
	}
	return reply_empty(r, P9_RFLUSH);
}

static const char *dispatch(struct req *r, const struct p9_msg *m)
{
	if (m->type == P9_TVERSION)
		return t_version(r, m);
	if (!r->c->versioned)
		return "version not negotiated";
	switch (m->type) {
	case P9_TAUTH:
		return "authentication not required";
	case P9_TATTACH:
		return t_attach(r, m);
	case P9_TFLUSH:
		return t_flush(r, m);
	case P9_TWALK:
		return t_walk(r, m);
	case P9_TOPEN:
		return t_open(r, m);
	case P9_TCREATE:
		tree_changes(r->s);
		return t_create(r, m);
	case P9_TREAD:
		return t_read(r, m);
	case P9_TWRITE:
		return t_write(r, m);
	case P9_TCLUNK:
		return t_clunk(r, m);
	case P9_TREMOVE:
		tree_changes(r->s);
		return t_remove(r, m);
	case P9_TSTAT:
		return t_stat(r, m);
	case P9_TLINK:
		tree_changes(r->s);
		return t_link(r, m);
	case P9_TRENAMEAT:
		tree_changes(r->s);
		return t_renameat(r, m);
	case P9_TSTATFS:
		return t_statfs(r, m);
	case P9_TWSTAT:
		return t_wstat(r, m);
	default:
		return "malformed message"; /* an R-message or Terror */
	}
}

static struct p9srv_conn *find_conn(struct p9srv *s, uint64_t id)
{
	for (uint32_t i = 0; i < s->nconn; i++)
		if (s->conns[i].inuse && s->conns[i].id == id)
			return &s->conns[i];
	return 0;
}

static long rerror(struct req *r, const char *ename)
{
	struct p9_msg m = { .type = P9_RERROR, .ename = p9_str(ename) };
	m.tag = r->tag;
	return p9_encode(r->out, r->cap, &m);
}

long p9srv_serve(struct p9srv *s, uint64_t conn, const uint8_t *in,
		 size_t inlen, uint8_t *out, size_t outcap)
{
	if (outcap < P9SRV_MINOUT)
		return STATUS_ERR_RANGE;
	struct req r = { .s = s,
			 .out = out,
			 .cap = outcap,
			 .tag = inlen >= P9_HEADER ? le16(in + 5) : P9_NOTAG };
	if (r.cap > s->msize)
		r.cap = s->msize;
	r.c = find_conn(s, conn);
	if (!r.c)
		return rerror(&r, "unknown connection");
	uint32_t limit = r.c->versioned ? r.c->msize : s->msize;
	if (r.cap > limit)
		r.cap = limit;
	struct p9_msg m;
	if (inlen > limit)
		return rerror(&r, "message too large");
	if (p9_decode(in, inlen, &m))
		return rerror(&r, "malformed message");
	const char *err = dispatch(&r, &m);
	s->serving = 0;
	if (err == held_marker)
		return P9SRV_HELD;
	return err ? rerror(&r, err) : r.len;
}

/* A request of conn with no T-message (P9_READ, P9_WRITE): 0 and *r, or
 * -P9_EBADF for an unknown connection. */
static int raw_req(struct p9srv *s, uint64_t conn, uint8_t *out, size_t cap,
		   struct req *r)
{
	*r = (struct req){ .s = s, .out = out, .cap = cap, .tag = P9_NOTAG };
	r->c = find_conn(s, conn);
	return r->c && r->c->versioned ? 0 : -P9_EBADF;
}

/* The end of a raw request: what dispatch's string means as a result. */
static long raw_result(struct p9srv *s, const char *err, uint32_t n)
{
	s->serving = 0;
	if (err == held_marker)
		return P9SRV_HELD;
	return err ? -p9_errno(err, strlen(err)) : (long)n;
}

long p9srv_read(struct p9srv *s, uint64_t conn, uint32_t fid, uint64_t offset,
		uint8_t *buf, uint32_t count)
{
	struct req r;
	uint32_t got = 0;
	int rc = raw_req(s, conn, buf, count, &r);
	if (rc)
		return rc;
	if (count > r.c->msize - P9_IOHDR)
		count = r.c->msize - P9_IOHDR;
	const char *err = read_fid(&r, fid, offset, buf, count, &got);
	return raw_result(s, err, got);
}

long p9srv_write(struct p9srv *s, uint64_t conn, uint32_t fid,
		 uint64_t offset, const uint8_t *data, uint32_t count)
{
	struct req r;
	uint32_t done = 0;
	int rc = raw_req(s, conn, 0, 0, &r);
	if (rc)
		return rc;
	const char *err = write_fid(&r, fid, offset, data, count, &done);
	return raw_result(s, err, done);
}

long p9srv_serve_batch(struct p9srv *s, uint64_t conn, const uint8_t *in,
		       size_t inlen, uint8_t *out, size_t outcap)
{
	size_t used = 0;
	for (int k = 0; inlen > 0 && outcap - used >= P9SRV_MINOUT; k++) {
		uint32_t size = inlen >= 4 ? le32(in) : 0;
		struct req r = { .s = s, .out = out + used, .cap = outcap - used,
				 .tag = size >= P9_HEADER ? le16(in + 5)
							  : P9_NOTAG };
		long n;
		if (size < P9_HEADER || size > inlen || k == P9_BATCH_MAX) {
			r.tag = P9_NOTAG;
			n = rerror(&r, "malformed message");
			inlen = 0; /* nothing after it can be trusted */
		} else if (!p9_batchable(in[4])) {
			n = rerror(&r, "not allowed in a batch");
		} else {
			n = p9srv_serve(s, conn, in, size, r.out, r.cap);
		}
		if (n <= 0)
			break;
		used += (size_t)n;
		in += size < inlen ? size : inlen;
		inlen -= size < inlen ? size : inlen;
	}
	return (long)used;
}

int p9srv_memory(struct p9srv *s, uint64_t conn, uint32_t fid,
		 uint32_t *slot, uint64_t *pages, int *writable,
		 uint32_t *state)
{
	struct p9srv_conn *c = find_conn(s, conn);
	struct p9_fid *f = c ? p9_fid_get(&c->fids, fid) : 0;
	if (!f || f->mode == P9_FID_CLOSED)
		return -P9_EBADF;
	uint8_t how = f->mode & 3;
	if (how == P9_OWRITE)
		return -P9_EACCES; /* Linux maps only what it may read */
	if ((f->qid.type & P9_QTDIR) || !s->ops->memory)
		return -P9_ENODEV;
	*writable = how == P9_ORDWR;
	if (*writable && s->memory_copies)
		return -P9_ENODEV; /* read by 9P, written by 9P */
	*state = 0;
	return s->ops->memory(s->ctx, f->node, slot, pages, state);
}

void p9srv_set_held(struct p9srv *s, struct p9srv_req *held, uint32_t n)
{
	s->held = held;
	s->maxheld = n < P9SRV_HELD_LIMIT ? n : P9SRV_HELD_LIMIT;
	for (uint32_t i = 0; i < s->maxheld; i++)
		held[i] = (struct p9srv_req){ .s = s };
}

void p9srv_init(struct p9srv *s, const struct p9srv_ops *ops, void *ctx,
		uint32_t msize, struct p9srv_conn *conns, uint32_t nconn,
		struct p9_fid *fids, uint16_t *index, uint64_t *roots,
		uint32_t nfid)
{
	s->ops = ops;
	s->ctx = ctx;
	s->msize = msize;
	s->conns = conns;
	s->nconn = nconn;
	s->nextid = 1;
	s->serving = s->just_held = 0;
	s->nheld = 0;
	s->forget = 0;
	s->answer = 0;
	s->drop = 0;
	s->answer_buf = 0;
	s->quiet_clunk = 0;
	s->tree_version = 0;
	s->memory_copies = 0;
	s->tree_slot = 0;
	p9srv_set_held(s, s->held_default, P9SRV_MAXHELD);
	for (uint32_t i = 0; i < nconn; i++) {
		struct p9srv_conn *c = &conns[i];
		c->inuse = 0;
		p9_fid_init(&c->fids, fids + (size_t)i * nfid,
			    index + (size_t)i * 2 * nfid, nfid);
		c->rootpath = roots + (size_t)i * nfid;
	}
}

int p9srv_connect(struct p9srv *s, uint64_t *conn_out)
{
	for (uint32_t i = 0; i < s->nconn; i++) {
		struct p9srv_conn *c = &s->conns[i];
		if (c->inuse)
			continue;
		c->id = s->nextid++;
		c->inuse = 1;
		c->versioned = 0;
		c->msize = 0;
		c->uname[0] = 0;
		*conn_out = c->id;
		return STATUS_OK;
	}
	return STATUS_ERR_QUOTA;
}

void p9srv_hangup(struct p9srv *s, uint64_t conn)
{
	struct p9srv_conn *c = find_conn(s, conn);
	if (!c)
		return;
	reset(s, c);
	c->inuse = 0;
}
