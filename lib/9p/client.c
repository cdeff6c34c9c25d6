/* A 9P2000 client over any transport: see client.h. */
#include <metta/proto.h> /* P9_BATCH_MAX */
#include <metta/status.h>
#include <string/kstring.h>

#include "9p/client.h"
#include "9p/errstr.h"

static uint16_t next_tag(struct p9c *c)
{
	if (c->tags)
		return (uint16_t)(__atomic_fetch_add(c->tags, 1,
						     __ATOMIC_RELAXED) %
				  P9_NOTAG);
	uint16_t tag = c->tag;
	c->tag = (uint16_t)(c->tag + 1 == P9_NOTAG ? 0 : c->tag + 1);
	return tag;
}

/*
 * The transport says our caller was interrupted while the server held the
 * request: Tflush it, so that the server forgets it before the tag is used
 * again (flush(5)); a flush may itself be interrupted, and is then sent
 * again. Whatever the server answers, the request is over.
 */
static void flush(struct p9c *c, uint16_t oldtag)
{
	for (int tries = 0; tries < 64; tries++) {
		struct p9_msg f = { .type = P9_TFLUSH, .tag = next_tag(c),
				    .oldtag = oldtag };
		long n = p9_encode(c->t, c->msize ? c->msize : c->bufsize, &f);
		if (n < 0)
			return;
		long got = c->rpc(c->ctx, c->t, (uint32_t)n, c->r, c->bufsize);
		if (got != -P9_EINTR)
			return;
	}
}

/* ---- clunks that do not wait (p9c_clunk_later) ---- */

/*
 * The waiting clunks (at most max), taken off the list into fids[] and
 * their Tclunks encoded at c->t: their bytes, the count in *n.
 */
static size_t take_later(struct p9c *c, int max, uint32_t *fids, int *n)
{
	size_t used = 0;
	uint32_t room = c->msize ? c->msize : c->bufsize;
	*n = 0;
	while (c->later && c->batch && *n < *c->nlater && *n < max) {
		struct p9_msg k = { .type = P9_TCLUNK, .tag = next_tag(c),
				    .fid = c->later[*n] };
		long len = p9_encode(c->t + used, room - used, &k);
		if (len < 0)
			break;
		fids[(*n)++] = k.fid;
		used += (size_t)len;
	}
	for (int i = *n; c->later && i < *c->nlater; i++)
		c->later[i - *n] = c->later[i];
	if (c->later)
		*c->nlater -= *n;
	return used;
}

/* A batch carrying them failed: they wait again (where there is room:
 * else the connection's end clunks them). */
static void put_back(struct p9c *c, const uint32_t *fids, int n)
{
	if (!c->later)
		return;
	for (int i = 0; i < n && *c->nlater < P9C_LATER; i++)
		c->later[(*c->nlater)++] = fids[i];
}

/* The offset of the reply after the first n in r[got], or -1. */
static long skip_replies(const uint8_t *r, size_t got, int n)
{
	size_t at = 0;
	for (int i = 0; i < n; i++) {
		if (at + 4 > got)
			return -1;
		size_t len = r[at] | r[at + 1] << 8 | r[at + 2] << 16 |
			     (size_t)r[at + 3] << 24;
		if (len < P9_HEADER || len > got - at)
			return -1;
		at += len;
	}
	return (long)at;
}

/* Sends c->t[len] (the clunks taken, fids[n], then what follows them)
 * as one batch, or by rpc when n is 0: the reply after the clunks' in
 * c->r from *at, its length; or an errno (the clunks then wait again). */
static long send(struct p9c *c, size_t len, const uint32_t *fids, int n,
		 size_t *at)
{
	*at = 0;
	if (!n)
		return c->rpc(c->ctx, c->t, (uint32_t)len, c->r, c->bufsize);
	long got = c->batch(c->ctx, c->t, (uint32_t)len, c->r, c->bufsize);
	long skip = got < 0 ? -1 : skip_replies(c->r, (size_t)got, n);
	if (got < 0) {
		put_back(c, fids, n);
		return got;
	}
	if (skip < 0)
		return -P9_EIO;
	*at = (size_t)skip;
	return got - skip;
}

void p9c_flush_later(struct p9c *c)
{
	uint32_t fids[P9C_LATER];
	int n;
	size_t at, len = take_later(c, P9C_LATER, fids, &n);
	if (n)
		send(c, len, fids, n, &at);
}

int p9c_clunk_later(struct p9c *c, uint32_t fid)
{
	if (!c->later || !c->batch)
		return p9c_clunk(c, fid);
	if (*c->nlater == P9C_LATER)
		p9c_flush_later(c);
	if (*c->nlater == P9C_LATER)
		return p9c_clunk(c, fid);
	c->later[(*c->nlater)++] = fid;
	return 0;
}

/*
 * One exchange: m (its type and fields set) goes out with the next tag;
 * the reply is decoded into c->reply and must be type + 1 with that tag.
 * An interrupted exchange is flushed and gives -P9_EINTR.
 */
static int exchange(struct p9c *c, struct p9_msg *m)
{
	uint32_t fids[P9C_LATER];
	int nk = 0;
	size_t off = 0, at;
	if (c->later && *c->nlater && !p9_batchable(m->type))
		p9c_flush_later(c); /* first, on their own */
	else if (c->later && *c->nlater)
		off = take_later(c, P9_BATCH_MAX - 1, fids, &nk);
	m->tag = next_tag(c);
	uint32_t room = c->msize ? c->msize : c->bufsize;
	long n = p9_encode(c->t + off, room - off, m);
	if (n < 0)
		put_back(c, fids, nk);
	if (n < 0)
		return n == STATUS_ERR_RANGE ? -P9_EINVAL : -P9_EIO;
	long got = send(c, off + (size_t)n, fids, nk, &at);
	if (got == -P9_EINTR)
		flush(c, m->tag);
	if (got < 0)
		return (int)got;
	struct p9_msg *r = &c->reply;
	if (p9_decode(c->r + at, (size_t)got, r) || r->tag != m->tag)
		return -P9_EIO;
	if (r->type == P9_RERROR)
		return -p9_errno(r->ename.s, r->ename.len);
	return r->type == m->type + 1 ? 0 : -P9_EIO;
}

int p9c_init(struct p9c *c, p9c_rpc_fn rpc, void *ctx, uint8_t *tbuf,
	     uint8_t *rbuf, uint32_t bufsize)
{
	*c = (struct p9c){
		.rpc = rpc, .ctx = ctx, .t = tbuf, .r = rbuf, .bufsize = bufsize
	};
	struct p9_msg m = { .type = P9_TVERSION,
			    .msize = bufsize,
			    .version = p9_str(P9_VERSION) };
	int rc = exchange(c, &m);
	if (rc)
		return rc;
	/* A server may lower msize, never raise it, and must speak 9P2000. */
	if (c->reply.msize < P9_MINMSIZE || c->reply.msize > bufsize ||
	    !p9_str_eq(c->reply.version, P9_VERSION))
		return -P9_EIO;
	c->msize = c->reply.msize;
	return 0;
}

int p9c_attach(struct p9c *c, uint32_t fid, const char *uname,
	       const char *aname, struct p9_qid *qid)
{
	struct p9_msg m = { .type = P9_TATTACH,
			    .fid = fid,
			    .afid = P9_NOFID,
			    .uname = p9_str(uname),
			    .aname = p9_str(aname) };
	int rc = exchange(c, &m);
	if (rc == 0 && qid)
		*qid = c->reply.qid;
	return rc;
}

/* The Twalk of newfid from fid through names[n] into m: 0 or an errno. */
static int walk_msg(struct p9_msg *m, uint32_t fid, uint32_t newfid, int n,
		    const char *const *names)
{
	*m = (struct p9_msg){ .type = P9_TWALK, .fid = fid, .newfid = newfid };
	if (n < 0 || n > P9_MAXWELEM)
		return -P9_EINVAL;
	m->nwname = (uint16_t)n;
	for (int i = 0; i < n; i++) {
		m->wname[i] = p9_str(names[i]);
		if (m->wname[i].len != strlen(names[i]))
			return -P9_ENAMETOOLONG;
	}
	return 0;
}

/* What the Rwalk in c->reply for n names means (p9c_walk). */
static int walk_result(struct p9c *c, int n, struct p9_qid *last)
{
	int walked = c->reply.nwqid;
	if (walked > n || (n > 0 && walked == 0))
		return -P9_EIO; /* a first-name failure must be Rerror */
	if (last && walked)
		*last = c->reply.wqid[walked - 1];
	return walked;
}

int p9c_walk(struct p9c *c, uint32_t fid, uint32_t newfid, int n,
	     const char *const *names, struct p9_qid *last)
{
	struct p9_msg m;
	int rc = walk_msg(&m, fid, newfid, n, names);
	if (rc == 0)
		rc = exchange(c, &m);
	return rc ? rc : walk_result(c, n, last);
}

/* The R-message at r[got] (its length in *len), decoded into c->reply:
 * 0 when it is type with tag, else an errno. */
static int batch_reply(struct p9c *c, const uint8_t *r, size_t got,
		       uint8_t type, uint16_t tag, size_t *len)
{
	*len = got >= 4 ? r[0] | r[1] << 8 | r[2] << 16 | (size_t)r[3] << 24
			: 0;
	struct p9_msg *m = &c->reply;
	if (*len < P9_HEADER || *len > got || p9_decode(r, *len, m) ||
	    m->tag != tag)
		return -P9_EIO;
	if (m->type == P9_RERROR)
		return -p9_errno(m->ename.s, m->ename.len);
	return m->type == type ? 0 : -P9_EIO;
}

int p9c_walk_open(struct p9c *c, uint32_t fid, uint32_t newfid, int n,
		  const char *const *names, struct p9_qid *last, uint8_t mode,
		  int *open_rc)
{
	*open_rc = -P9_ENOTSUP;
	struct p9_msg w, o = { .type = P9_TOPEN, .fid = newfid, .mode = mode };
	int rc = walk_msg(&w, fid, newfid, n, names);
	if (rc || !c->batch || n < 1)
		return rc ? rc : p9c_walk(c, fid, newfid, n, names, last);
	uint32_t room = c->msize ? c->msize : c->bufsize, fids[P9C_LATER];
	int nk;
	size_t off = take_later(c, P9_BATCH_MAX - 2, fids, &nk);
	w.tag = next_tag(c), o.tag = next_tag(c);
	long k = p9_encode(c->t + off, room - off, &w);
	long k2 = k > 0 ? p9_encode(c->t + off + k, room - off - k, &o) : -1;
	if (k2 < 0)
		put_back(c, fids, nk);
	if (k2 < 0)
		return -P9_ENAMETOOLONG;
	long got = c->batch(c->ctx, c->t, (uint32_t)(off + (size_t)(k + k2)),
			    c->r, c->bufsize);
	if (got == -P9_ENOTSUP) {
		c->batch = 0;
		put_back(c, fids, nk);
		return p9c_walk(c, fid, newfid, n, names, last);
	}
	if (got < 0)
		put_back(c, fids, nk);
	if (got < 0)
		return (int)got; /* a batch is never held: nothing to flush */
	long skip = skip_replies(c->r, (size_t)got, nk);
	if (skip < 0)
		return -P9_EIO;
	size_t len, rest = (size_t)(got - skip);
	const uint8_t *r = c->r + skip;
	rc = batch_reply(c, r, rest, P9_RWALK, w.tag, &len);
	if (rc)
		return rc;
	int walked = walk_result(c, n, last);
	if (walked == n)
		*open_rc = batch_reply(c, r + len, rest - len, P9_ROPEN, o.tag,
				       &len);
	return walked;
}

int p9c_open(struct p9c *c, uint32_t fid, uint8_t mode, struct p9_qid *qid)
{
	struct p9_msg m = { .type = P9_TOPEN, .fid = fid, .mode = mode };
	int rc = exchange(c, &m);
	if (rc == 0 && qid)
		*qid = c->reply.qid;
	return rc;
}

int p9c_create(struct p9c *c, uint32_t fid, const char *name, uint32_t perm,
	       uint8_t mode, struct p9_qid *qid)
{
	struct p9_msg m = { .type = P9_TCREATE,
			    .fid = fid,
			    .perm = perm,
			    .mode = mode,
			    .name = p9_str(name) };
	int rc = exchange(c, &m);
	if (rc == 0 && qid)
		*qid = c->reply.qid;
	return rc;
}

long p9c_read_ref(struct p9c *c, uint32_t fid, uint64_t offset, uint32_t count,
		  const uint8_t **data)
{
	if (count > p9c_iounit(c))
		count = p9c_iounit(c);
	struct p9_msg m = {
		.type = P9_TREAD, .fid = fid, .offset = offset, .count = count
	};
	int rc = exchange(c, &m);
	if (rc)
		return rc;
	if (c->reply.count > count)
		return -P9_EIO;
	*data = c->reply.data;
	return c->reply.count;
}

long p9c_read(struct p9c *c, uint32_t fid, uint64_t offset, void *buf,
	      uint32_t count)
{
	const uint8_t *data;
	long n = p9c_read_ref(c, fid, offset, count, &data);
	if (n > 0)
		memcpy(buf, data, (size_t)n);
	return n;
}

long p9c_write(struct p9c *c, uint32_t fid, uint64_t offset, const void *buf,
	       uint32_t count)
{
	if (count > p9c_iounit(c))
		count = p9c_iounit(c);
	struct p9_msg m = { .type = P9_TWRITE,
			    .fid = fid,
			    .offset = offset,
			    .count = count,
			    .data = buf };
	int rc = exchange(c, &m);
	if (rc)
		return rc;
	return c->reply.count > count ? -P9_EIO : (long)c->reply.count;
}

static int fid_only(struct p9c *c, uint8_t type, uint32_t fid)
{
	struct p9_msg m = { .type = type, .fid = fid };
	return exchange(c, &m);
}

int p9c_clunk(struct p9c *c, uint32_t fid)
{
	return fid_only(c, P9_TCLUNK, fid);
}

int p9c_remove(struct p9c *c, uint32_t fid)
{
	return fid_only(c, P9_TREMOVE, fid);
}

int p9c_link(struct p9c *c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct p9_msg m = {
		.type = P9_TLINK, .fid = dfid, .newfid = fid, .name = p9_str(name)
	};
	return exchange(c, &m);
}

int p9c_renameat(struct p9c *c, uint32_t olddfid, const char *oldname,
		 uint32_t newdfid, const char *newname)
{
	struct p9_msg m = { .type = P9_TRENAMEAT,
			    .fid = olddfid,
			    .name = p9_str(oldname),
			    .newfid = newdfid,
			    .newname = p9_str(newname) };
	int rc = exchange(c, &m);
	return rc == -P9_ENOTSUP ? -P9_EXDEV : rc;
}

int p9c_statfs(struct p9c *c, uint32_t fid, struct p9_statfs *sf)
{
	int rc = fid_only(c, P9_TSTATFS, fid);
	if (rc == 0)
		*sf = c->reply.statfs;
	return rc;
}

int p9c_stat(struct p9c *c, uint32_t fid, struct p9_stat *st)
{
	int rc = fid_only(c, P9_TSTAT, fid);
	if (rc)
		return rc;
	return p9_stat_decode(c->reply.stat, c->reply.nstat, st) < 0 ? -P9_EIO
								     : 0;
}

int p9c_wstat(struct p9c *c, uint32_t fid, const struct p9_stat *st)
{
	/* The stat goes in the reply buffer, unused until the reply. */
	long n = p9_stat_encode(c->r, c->bufsize, st);
	if (n < 0)
		return -P9_EINVAL;
	struct p9_msg m = { .type = P9_TWSTAT,
			    .fid = fid,
			    .nstat = (uint16_t)n,
			    .stat = c->r };
	return exchange(c, &m);
}

void p9c_nochange(struct p9_stat *st)
{
	memset(st, 0xff, sizeof(*st));
	st->name = st->uid = st->gid = st->muid = (struct p9_str){ 0, "" };
}
