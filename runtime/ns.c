/*
 * The namespace, Plan 9 style, kept by the runtime of each process: a
 * mount table whose entries are union lists of sources, each a directory
 * of some 9P server (a service in `names`, connected on first use, and a
 * path inside it). A path resolves through its longest mounted prefix:
 * the rest is walked in each source in turn and the first that has it
 * wins. Binds become sources too, so the table is always "mount point ->
 * [(service, path)...]" and its text form replays into the same table.
 * The process's nester keeps a copy (NESTER_SETNS) that its children
 * start from and /proc/N/ns shows.
 */
#include <9p/errstr.h>
#include <9p/portal.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "fd.h"
#include "state.h"

#define MAX_NAMES 64 /* components in one walk */
#define UNAME	  "root"

/* The first thread's pair of 9P buffers, for every connection: one call
 * at a time. They are scratch, not state: nothing is left in them between
 * calls. Every other thread has its own (thread.c). */
uint8_t rt_tbuf[P9_PORTAL_MSIZE], rt_rbuf[P9_PORTAL_MSIZE];

/* A request on a connection: the server may hold it (a pipe's read), so
 * the runtime lock is let go meanwhile (thread.h). */
static long unlocked(int batch, void *ctx, const uint8_t *t, uint32_t tlen,
		     uint8_t *r, uint32_t rcap, uint64_t *flags)
{
	if (rt_take_intr())
		return -P9_EINTR;
	rt_unlock();
	long rc = batch ? p9_portal_batch(ctx, t, tlen, r, rcap, flags)
			: p9_portal_rpc(ctx, t, tlen, r, rcap);
	rt_lock();
	return rc;
}

static long rpc_unlocked(void *ctx, const uint8_t *t, uint32_t tlen,
			 uint8_t *r, uint32_t rcap)
{
	return unlocked(0, ctx, t, tlen, r, rcap, 0);
}

/* Several messages in one call (P9_BATCH: p9c_walk_open, clunks sent
 * later); the server says whether its readers' clunks may wait. */
static long batch_unlocked(void *ctx, const uint8_t *t, uint32_t tlen,
			   uint8_t *r, uint32_t rcap)
{
	uint64_t flags = 0;
	long rc = unlocked(1, ctx, t, tlen, r, rcap, &flags);
	for (int i = 0; rc >= 0 && i < MAX_CONNS; i++)
		if (rt.conns[i].up && rt.conns[i].c.ctx == ctx)
			rt.conns[i].quiet_clunk =
				!!(flags & P9_BATCH_QUIET_CLUNK);
	return rc;
}

/* The calling thread's client of connection c: the connection's own for
 * the first thread; for another, its own with c's settings and its own
 * buffers, so that threads' requests on one connection do not meet. */
static struct p9c *conn_client(struct conn *c)
{
	struct rt_thread *t = rt_self();
	if (!t->idx)
		return &c->c;
	struct p9c *p = &t->p9[c - rt.conns];
	*p = (struct p9c){ .rpc = c->c.rpc,
			   .batch = c->c.batch,
			   .later = c->c.later,
			   .nlater = c->c.nlater,
			   .ctx = c->c.ctx,
			   .msize = c->c.msize,
			   .tags = c->c.tags,
			   .t = t->tbuf,
			   .r = t->rbuf,
			   .bufsize = c->c.bufsize };
	return p;
}

static struct conn *conn_named(const char *service)
{
	if (!strncmp(service, "/srv/", 5))
		service += 5;
	if (!*service || strlen(service) > NAMES_MAX_NAME)
		return 0;
	for (int i = 0; i < MAX_CONNS; i++)
		if (rt.conns[i].service[0] &&
		    !strcmp(rt.conns[i].service, service))
			return &rt.conns[i];
	for (int i = 0; i < MAX_CONNS; i++) {
		if (!rt.conns[i].service[0]) {
			strcpy(rt.conns[i].service, service);
			return &rt.conns[i];
		}
	}
	return 0;
}

/* A fid for any connection: fork shares connections, so fids come from
 * one counter all the sharing processes use (state.h). */
static uint32_t new_fid(void)
{
	return __atomic_add_fetch(&rt_shared->nextfid, 1, __ATOMIC_RELAXED);
}

/* Connects and attaches on first use. */
static int conn_up(struct conn *c)
{
	if (c->up)
		return 0;
	if (!c->service_slot) {
		c->service_slot = metta_slot_alloc();
		c->slot = metta_slot_alloc();
	}
	/* The process server knows us by our nester capability (badged with
	 * our pid): connected through it, /proc/self is us. */
	uint32_t via = c->service_slot;
	if (!strcmp(c->service, "proc"))
		via = CAP_NESTER;
	metta_cap_delete(c->service_slot);
	if (via != CAP_NESTER &&
	    metta_names_lookup(c->service, c->service_slot))
		return -P9_ENOENT;
	/* The connection's first requests are made holding the lock (a
	 * server answers them at once), so no other thread finds it half
	 * made; in the calling thread's buffers, the client then gets the
	 * first thread's. */
	struct rt_thread *t = rt_self();
	int rc = p9_portal_connect(&c->c, via, c->slot, t->tbuf, t->rbuf);
	if (rc == 0) {
		c->c.tags = &rt_shared->nexttag; /* see new_fid */
		rc = p9c_attach(&c->c, 0, UNAME, "", 0);
	}
	c->c.t = rt_tbuf;
	c->c.r = rt_rbuf;
	c->c.rpc = rpc_unlocked;
	c->c.batch = batch_unlocked;
	c->c.later = c->later;
	c->c.nlater = &c->nlater;
	c->nlater = c->quiet_clunk = 0;
	if (rc) {
		rt_log("cannot attach to %s: error %d", c->service, -rc);
		return rc;
	}
	c->rootfid = 0; /* a connection's own: each attaches on its own */
	c->up = 1;
	return 0;
}

int ns_attach(const char *service, const char *aname, struct loc *out)
{
	struct conn *c = conn_named(service);
	if (!c)
		return -P9_ENOENT;
	int rc = conn_up(c);
	if (rc)
		return rc;
	out->c = c;
	out->fid = new_fid();
	rc = p9c_attach(conn_client(c), out->fid, UNAME, aname, &out->qid);
	return rc;
}

struct p9c *loc_client(const struct loc *l)
{
	return conn_client(l->c);
}

uint32_t loc_newfid(const struct loc *l)
{
	(void)l;
	return new_fid();
}

int loc_same_server(const struct loc *a, const struct loc *b)
{
	return a->c == b->c;
}

const char *loc_service(const struct loc *l)
{
	return l->c->service;
}

void loc_clunk(struct loc *l)
{
	if (l->c)
		p9c_clunk(conn_client(l->c), l->fid);
	l->c = 0;
}

void loc_clunk_later(struct loc *l)
{
	if (l->c && l->c->quiet_clunk)
		p9c_clunk_later(conn_client(l->c), l->fid);
	else if (l->c)
		p9c_clunk(conn_client(l->c), l->fid);
	l->c = 0;
}

void ns_flush_later(void)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (rt.conns[i].up && rt.conns[i].nlater)
			p9c_flush_later(conn_client(&rt.conns[i]));
}

/* ---- paths ---- */

/* "a/b" into buf (cap bytes): its length, or -1 when it does not fit. The
 * join of every lookup: a format would cost an open ~500 instructions. */
static int path_join(char *buf, size_t cap, const char *a, const char *b)
{
	size_t ka = strlen(a), kb = strlen(b);
	if (ka + 1 + kb >= cap)
		return -1;
	memcpy(buf, a, ka);
	buf[ka] = '/';
	memcpy(buf + ka + 1, b, kb + 1);
	return (int)(ka + 1 + kb);
}

int path_clean(const char *cwd, const char *in, char *out)
{
	char tmp[RT_PATH_MAX];
	if (!*in)
		return -P9_ENOENT;
	if (path_join(tmp, sizeof(tmp), *in == '/' ? "" : cwd, in) < 0)
		return -P9_ENAMETOOLONG;
	size_t len = 0;
	for (char *p = tmp; *p;) {
		while (*p == '/')
			p++;
		char *e = p;
		while (*e && *e != '/')
			e++;
		size_t k = (size_t)(e - p);
		if (k == 0 || (k == 1 && p[0] == '.')) {
		} else if (k == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[--len] != '/')
				; /* ".." at the root stays at the root */
		} else {
			if (k > 255)
				return -P9_ENAMETOOLONG;
			out[len++] = '/';
			memcpy(out + len, p, k);
			len += k;
		}
		p = e;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = 0;
	return 0;
}

/* Splits a clean path's components into names (pointers into buf). */
static int split(char *buf, const char **names, int max)
{
	int n = 0;
	for (char *p = buf; *p;) {
		while (*p == '/')
			*p++ = 0;
		if (!*p)
			break;
		if (n == max)
			return -P9_ENAMETOOLONG;
		names[n++] = p;
		while (*p && *p != '/')
			p++;
	}
	return n;
}

/* Does mount point m hold path (component-wise)? Returns the rest. */
static const char *under(const char *m, size_t k, const char *path)
{
	if (k == 1)
		return path + 1; /* "/" holds everything */
	if (strncmp(m, path, k) || (path[k] && path[k] != '/'))
		return 0;
	return path[k] ? path + k + 1 : path + k;
}

static struct mnt *find_mount(const char *path, const char **rest)
{
	struct mnt *best = 0;
	size_t best_len = 0;
	for (int i = 0; i < rt.nmnts; i++) {
		size_t k = rt.mnts[i].len;
		const char *r = best && k <= best_len
				    ? 0 /* cannot be a longer match */
				    : under(rt.mnts[i].path, k, path);
		if (r) {
			best = &rt.mnts[i], best_len = k, *rest = r;
		}
	}
	return best;
}

/*
 * Walks a new fid from c's root through names[0..n): 0 and *out; or an
 * errno. Either way *walked is how many names were walked and *qid the
 * last of those's qid (the root's when none). With an ask, the walk's
 * fid is opened in the same round trip where the server can (ask->rc 0:
 * it is open).
 */
static int walk_names(struct conn *c, const char *const *names, int n,
		      struct loc *out, int *walked, struct p9_qid *qid,
		      struct open_ask *ask)
{
	uint32_t fid = new_fid(), from = c->rootfid;
	int done = 0, rc;
	*qid = (struct p9_qid){ P9_QTDIR, 0, 0 };
	do {
		int k = n - done > P9_MAXWELEM ? P9_MAXWELEM : n - done;
		struct p9_qid last = *qid;
		if (ask && ask->mode >= 0 && k == n)
			rc = p9c_walk_open(conn_client(c), from, fid, k, names,
					   &last, (uint8_t)ask->mode,
					   &ask->rc);
		else
			rc = p9c_walk(conn_client(c), from, fid, k,
				      names + done, &last);
		/* No fid left for us on that server: the open files of
		 * processes gone without their runtime may hold them. */
		if (rc == -P9_EMFILE && from != fid &&
		    (fd_sweep() + ocache_release()))
			rc = p9c_walk(conn_client(c), from, fid, k,
				      names + done, &last);
		if (rc >= 0 && rc < k) {
			/* Partial: through a file is ENOTDIR, else ENOENT. */
			done += rc;
			if (rc)
				*qid = last;
			rc = done && !(qid->type & P9_QTDIR) ? -P9_ENOTDIR
							     : -P9_ENOENT;
		}
		if (rc < 0)
			break;
		if (k)
			*qid = last;
		done += k;
		from = fid;
	} while (done < n);
	*walked = done;
	if (rc < 0) {
		if (from == fid)
			p9c_clunk(conn_client(c), fid);
		return rc;
	}
	*out = (struct loc){ c, fid, *qid };
	return 0;
}

/* A symbolic link's target (l is clunked): its length, or an errno. */
static int read_link(struct loc *l, char *target)
{
	int rc = p9c_open(loc_client(l), l->fid, P9_OREAD, 0);
	long n = rc ? rc
		    : p9c_read(loc_client(l), l->fid, 0, (uint8_t *)target,
			       RT_PATH_MAX - 1);
	loc_clunk(l);
	if (n == 0)
		return -P9_ENOENT; /* Linux: an empty target names nothing */
	if (n < 0)
		return (int)n;
	target[n] = 0;
	return strlen(target) == (size_t)n ? (int)n : -P9_EIO;
}

/*
 * Walks a new fid from s's directory through the path `rest`: 0 and *out,
 * an errno, or NS_LINK when a symbolic link stands at component *at of
 * rest (the last one only when follow), with its target in target. With
 * no `at`, links are not followed: one on the way is ENOTDIR.
 */
#define NS_LINK 1
static int walk_src(const struct src *s, const char *rest, int follow,
		    struct loc *out, int *at, char *target,
		    struct open_ask *ask)
{
	char buf[SPATH_MAX + RT_PATH_MAX + 2];
	const char *names[MAX_NAMES];
	int rc = conn_up(s->c), walked;
	if (rc)
		return rc;
	strcpy(buf, s->spath);
	int nsrc = split(buf, names, MAX_NAMES); /* the source's own */
	path_join(buf, sizeof(buf), s->spath, rest); /* fits: buf's size */
	int n = split(buf, names, MAX_NAMES);
	if (n < 0 || nsrc < 0)
		return n < 0 ? n : nsrc;
	struct p9_qid qid;
	if (ask) {
		ask->rc = -P9_ENOTSUP;
		ask->stamped = ocache_stamp(s->c, &ask->version);
	}
	rc = walk_names(s->c, names, n, out, &walked, &qid, ask);
	int link = (qid.type & P9_QTSYMLINK) && walked > nsrc &&
		   (walked < n || (rc == 0 && follow));
	if (!link)
		return rc;
	if (ask) {
		ask->rc = -P9_ENOTSUP; /* a link is not what was opened */
		ask->stamped = 0;
	}
	if (rc == 0)
		loc_clunk(out); /* read again below: one path for both */
	if (!at)
		return -P9_ENOTDIR;
	*at = walked - 1 - nsrc;
	if ((rc = walk_names(s->c, names, walked, out, &walked, &qid, 0)))
		return rc;
	rc = read_link(out, target);
	return rc < 0 ? rc : NS_LINK;
}

/*
 * The path with the link at component `at` of rest (a pointer into path)
 * replaced by its target, clean, into path: 0 or -ENAMETOOLONG.
 */
static int substitute(char *path, const char *rest, int at, const char *target)
{
	static char dir[RT_PATH_MAX], tail[2 * RT_PATH_MAX];
	const char *p = rest, *after;
	for (int i = 0;; i++) {
		for (after = p; *after && *after != '/'; after++)
			;
		if (i == at)
			break;
		p = after + 1;
	}
	size_t k = p > path + 1 ? (size_t)(p - path - 1) : 0;
	memcpy(dir, path, k);
	strcpy(dir + k, k ? "" : "/");
	int n = fmt_snprintf(tail, sizeof(tail), "%s%s", target, after);
	if (n < 0 || n >= RT_PATH_MAX)
		return -P9_ENAMETOOLONG;
	return path_clean(dir, tail, path);
}

/* One pass over path's mount: the first source that has it wins. */
static int walk_once(const char *path, int follow, struct loc *out,
		     const char **rest, int *at, char *target,
		     struct open_ask *ask)
{
	struct mnt *m = find_mount(path, rest);
	int first = -P9_ENOENT;
	for (int i = 0; m && i < m->n; i++) {
		int rc = walk_src(&m->s[i], *rest, follow, out, at, target,
				  ask);
		if (rc >= 0 && ask && m->n > 1)
			ask->stamped = 0; /* the other sources may change */
		if (rc >= 0)
			return rc;
		if (i == 0)
			first = rc;
	}
	return first;
}

int ns_lookup(char *path, int follow, struct loc *out)
{
	return ns_lookup_open(path, follow, out, 0);
}

int ns_lookup_open(char *path, int follow, struct loc *out,
		   struct open_ask *ask)
{
	char target[RT_PATH_MAX];
	for (int links = 0;; links++) {
		const char *rest;
		int at, rc = walk_once(path, follow, out, &rest, &at, target,
				       ask);
		if (rc != NS_LINK)
			return rc;
		if (links == NS_MAX_LINKS)
			return -P9_ELOOP;
		if ((rc = substitute(path, rest, at, target)))
			return rc;
	}
}

int ns_walk(const char *path, struct loc *out)
{
	const char *rest;
	return walk_once(path, 0, out, &rest, 0, 0, 0);
}

int ns_is_union(const char *path)
{
	const char *rest;
	struct mnt *m = find_mount(path, &rest);
	return m && !*rest && m->n > 1;
}

int ns_walk_union(const char *path, struct loc *out, int max)
{
	const char *rest;
	struct mnt *m = find_mount(path, &rest);
	if (!m || *rest) {
		int rc = ns_walk(path, out);
		return rc ? rc : 1;
	}
	int n = 0, first = -P9_ENOENT;
	for (int i = 0; i < m->n && n < max; i++) {
		int rc = walk_src(&m->s[i], "", 0, &out[n], 0, 0, 0);
		if (rc == 0)
			n++;
		else if (i == 0)
			first = rc;
	}
	return n ? n : first;
}

int ns_walk_parent(const char *path, struct loc *dir, const char **name)
{
	char parent[RT_PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -P9_EEXIST; /* "/" itself */
	*name = slash + 1;
	size_t k = slash == path ? 1 : (size_t)(slash - path);
	memcpy(parent, path, k);
	parent[k] = 0;
	const char *rest;
	struct mnt *m = find_mount(parent, &rest);
	if (!m)
		return -P9_ENOENT;
	if (!*rest && m->n > 1) {
		/* A union: creation goes to the first source that allows it. */
		for (int i = 0; i < m->n; i++)
			if (m->s[i].create)
				return walk_src(&m->s[i], "", 0, dir, 0, 0, 0);
		return -P9_EACCES;
	}
	return ns_walk(parent, dir);
}

/* ---- changing it ---- */

/* Tells our nester the namespace now (for our children and /proc). */
static int tell_nester(int parent_too)
{
	static char text[8192];
	long n = ns_text(text, sizeof(text));
	uint64_t w[4] = { NESTER_SETNS, (uint64_t)parent_too };
	if (n < 0)
		return (int)n;
	return metta_request(CAP_NESTER, w, text, (uint64_t)n, 0, 0, 0, 0, 0)
		   ? -P9_EINVAL
		   : 0;
}

static void report(void)
{
	tell_nester(0);
}

int ns_give_parent(void)
{
	return tell_nester(1);
}

/* Where path's contents come from now: the first source that has it. */
/* Where path is: the source that has it, its path in that server, and
 * whether it is a directory (*dir); -ENOENT when no source has it. */
static int source_at(const char *path, struct src *out, int *dir)
{
	const char *rest;
	struct mnt *m = find_mount(path, &rest);
	if (!m)
		return -P9_ENOENT;
	for (int i = 0; i < m->n; i++) {
		struct loc l;
		if (walk_src(&m->s[i], rest, 0, &l, 0, 0, 0))
			continue;
		*dir = l.qid.type & P9_QTDIR;
		loc_clunk(&l);
		*out = m->s[i];
		size_t k = strlen(out->spath);
		if (*rest)
			fmt_snprintf(out->spath + k, SPATH_MAX - k, "%s%s",
				     k > 1 ? "/" : "", rest);
		return 0;
	}
	return -P9_ENOENT;
}

static int source_of(const char *path, struct src *out)
{
	int dir, rc = source_at(path, out, &dir);
	return rc ? rc : dir ? 0 : -P9_ENOTDIR;
}

/* sync(2): each server's mounted directories asked to commit (stat(5)'s
 * null wstat: a disk's file system writes everything back); each
 * connection once. Servers with nothing to write answer at once. */
void ns_sync(void)
{
	struct conn *done[MAX_MOUNTS * NS_MAX_UNION];
	int ndone = 0;
	for (int i = 0; i < rt.nmnts; i++)
		for (int j = 0; j < rt.mnts[i].n; j++) {
			const struct src *s = &rt.mnts[i].s[j];
			int seen = 0;
			for (int k = 0; k < ndone; k++)
				seen |= done[k] == s->c;
			struct loc l;
			if (seen || walk_src(s, "", 0, &l, 0, 0, 0))
				continue;
			done[ndone++] = s->c;
			struct p9_stat st;
			p9c_nochange(&st);
			wstat_loc(&l, &st);
			loc_clunk(&l);
		}
}

int ns_file_source(const char *path, char *service, char *spath)
{
	struct src s;
	int dir, rc = source_at(path, &s, &dir);
	if (rc)
		return rc;
	if (dir)
		return -P9_ENOTBLK;
	strcpy(service, s.c->service);
	strcpy(spath, s.spath);
	return 0;
}

static int add_source(const char *mp, const struct src *s, int flags)
{
	ocache_flush(); /* names may mean other files now */
	struct mnt *m = 0;
	for (int i = 0; i < rt.nmnts; i++)
		if (!strcmp(rt.mnts[i].path, mp))
			m = &rt.mnts[i];
	if (!m) {
		struct src orig;
		if (rt.nmnts == MAX_MOUNTS)
			return -P9_ENOSPC;
		/* A union keeps what was there; a replacement hides it. */
		if (flags & (NS_BEFORE | NS_AFTER)) {
			int rc = source_of(mp, &orig);
			if (rc)
				return rc;
		}
		m = &rt.mnts[rt.nmnts++];
		strcpy(m->path, mp);
		m->len = strlen(mp);
		m->n = 0;
		if (flags & (NS_BEFORE | NS_AFTER))
			m->s[m->n++] = orig;
	}
	if (!(flags & (NS_BEFORE | NS_AFTER)))
		m->n = 0;
	if (m->n == NS_MAX_UNION)
		return -P9_ENOSPC;
	int at = flags & NS_BEFORE ? 0 : m->n;
	memmove(&m->s[at + 1], &m->s[at],
		(size_t)(m->n - at) * sizeof(m->s[0]));
	m->s[at] = *s;
	m->s[at].create = !!(flags & NS_CREATE);
	m->n++;
	return 0;
}

int ns_mount(const char *service, const char *spath, const char *mp, int flags)
{
	struct src s = { conn_named(service), "", 0 };
	if (!s.c || strlen(spath) >= SPATH_MAX || strlen(mp) >= SPATH_MAX)
		return s.c ? -P9_ENAMETOOLONG : -P9_ENOENT;
	int rc = conn_up(s.c);
	if (rc)
		return rc;
	strcpy(s.spath, spath);
	if ((rc = add_source(mp, &s, flags)) == 0)
		report();
	return rc;
}

int ns_bind(const char *old, const char *new, int flags)
{
	struct src s;
	int rc = source_of(old, &s);
	if (rc == 0 && strlen(new) >= SPATH_MAX)
		rc = -P9_ENAMETOOLONG;
	if (rc == 0 && (rc = add_source(new, &s, flags)) == 0)
		report();
	return rc;
}

int ns_unmount(const char *mp)
{
	for (int i = 0; i < rt.nmnts; i++) {
		if (!strcmp(rt.mnts[i].path, mp)) {
			rt.mnts[i] = rt.mnts[--rt.nmnts];
			ocache_flush();
			report();
			return 0;
		}
	}
	return -P9_EINVAL;
}

long ns_text(char *buf, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < rt.nmnts; i++) {
		for (int j = 0; j < rt.mnts[i].n; j++) {
			const struct src *s = &rt.mnts[i].s[j];
			const char *flag = j == 0
					       ? (s->create ? "-c " : "")
					       : (s->create ? "-ac " : "-a ");
			int k = fmt_snprintf(
			    buf + n, cap - n, "mount %s%s %s%s%s\n", flag,
			    s->c->service, rt.mnts[i].path,
			    strcmp(s->spath, "/") ? " " : "",
			    strcmp(s->spath, "/") ? s->spath : "");
			if (k < 0 || (size_t)k >= cap - n)
				return -P9_ENOSPC;
			n += (size_t)k;
		}
	}
	return (long)n;
}

/*
 * Replays a namespace's text: lines "mount [-abc] service mountpoint
 * [path]" (path: the directory inside the service, "/" by default) and
 * "bind [-abc] old new". Mounts connect lazily: a service that is not
 * there yet fails only when used.
 */
static int apply_line(char *line)
{
	const char *w[6];
	int n = 0, flags = 0;
	for (char *p = line; *p && n < 6;) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (n == 0 || w[0][0] == '#')
		return 0;
	int i = 1;
	for (; i < n && w[i][0] == '-'; i++)
		for (const char *f = w[i] + 1; *f; f++)
			flags |= *f == 'a'   ? NS_AFTER
				 : *f == 'b' ? NS_BEFORE
				 : *f == 'c' ? NS_CREATE
					     : 0;
	if (!strcmp(w[0], "mount") && (n - i == 2 || n - i == 3)) {
		struct src s = { conn_named(w[i]), "/", 0 };
		if (!s.c || strlen(w[i + 1]) >= SPATH_MAX)
			return -P9_EINVAL;
		if (n - i == 3 && strlen(w[i + 2]) < SPATH_MAX)
			strcpy(s.spath, w[i + 2]);
		/* The first mount of "/" has nothing under it to look at. */
		return add_source(w[i + 1], &s, flags);
	}
	if (!strcmp(w[0], "bind") && n - i == 2)
		return ns_bind(w[i], w[i + 1], flags);
	return -P9_EINVAL;
}

/* Our namespace as our nester keeps it, when a child handed us its own
 * (the mount, bind and import commands run by a shell): the table made
 * again from /proc/self/ns. Connections stay (by service name). */
int ns_reload(void)
{
	static char text[8192];
	struct loc l;
	int rc = ns_walk("/proc/self/ns", &l);
	if (rc)
		return rc;
	rc = p9c_open(loc_client(&l), l.fid, P9_OREAD, 0);
	long n = 0, k = 0;
	while (rc == 0 && n < (long)sizeof(text) - 1 &&
	       (k = p9c_read(loc_client(&l), l.fid, (uint64_t)n, text + n,
			     (uint32_t)(sizeof(text) - 1 - (size_t)n))) > 0)
		n += k;
	loc_clunk(&l);
	if (rc || k < 0)
		return rc ? rc : (int)k;
	text[n] = 0;
	rt.nmnts = 0;
	ocache_flush();
	return ns_init(text);
}

int ns_init(const char *text)
{
	static char line[512];
	int bad = 0;
	while (text && *text) {
		size_t k = 0;
		while (text[k] && text[k] != '\n')
			k++;
		if (k < sizeof(line)) {
			memcpy(line, text, k);
			line[k] = 0;
			if (apply_line(line))
				bad++;
		}
		text += k + (text[k] == '\n');
	}
	return bad ? -P9_EINVAL : 0;
}
