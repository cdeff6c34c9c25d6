/*
 * p9srv: the 9P2000 server library, driven with byte-level T-messages over
 * ramfs's tree and a synthetic tree: version and reset, attach, walks
 * (multi-name, partial, ".." at the root), open modes and permissions,
 * directory reads (offset rule, whole entries), create/write/read/remove,
 * dead fids, flush, malformed input, connections and hangup, the fid
 * each op is told of, wstat rules.
 */
#include <stdlib.h>

#include "check.h"
#include "9p/9p.h"
#include "9p/client.h"
#include "9p/srv.h"
#include "9p/synth.h"
#include "../../servers/ramfs/tree.h"
#include <metta/proto.h>
#include <metta/status.h>

#define MSIZE 8192

static struct p9srv srv;
static P9SRV_STORAGE(store, 2, 16);
static struct ramfs fs;
static uint8_t region[128 * 4096] __attribute__((aligned(4096)));
static uint8_t tbuf[MSIZE * 2], rbuf[MSIZE * 2];
static struct p9_msg r; /* the last reply, decoded (points into rbuf) */
static uint16_t next_tag;
static struct p9srv_ops ops;
static long served; /* what p9srv_serve returned last */

/* Answering later: reads hold while hold_reads is set. */
static int hold_reads;
static struct p9srv_req *last_held;
static int forgotten, dropped, answer_rc;
static uint8_t answered[MSIZE];
static long answered_len;
static uint64_t answered_handle;
static uint8_t answer_space[MSIZE];

static long hold_read(void *ctx, void *node, uint64_t off, void *buf,
		      uint32_t count)
{
	if (!hold_reads)
		return ramfs_ops.read(ctx, node, off, buf, count);
	struct p9srv_req *q = p9srv_hold(&srv);
	if (!q)
		return -P9_EBUSY;
	last_held = q;
	q->handle = 1000 + (uint64_t)(q - srv.held);
	return P9SRV_HELD;
}

static void forget_hook(struct p9srv_req *q)
{
	(void)q;
	forgotten++;
}

static int answer_hook(struct p9srv *s, uint64_t handle, const uint8_t *msg,
		       size_t len)
{
	(void)s;
	memcpy(answered, msg, len);
	answered_len = (long)len;
	answered_handle = handle;
	return answer_rc;
}

static void drop_hook(struct p9srv *s, uint64_t handle)
{
	(void)s, (void)handle;
	dropped++;
}

/* Serve raw bytes; the reply must decode; returns its type or -1. */
static int raw(uint64_t c, const uint8_t *in, size_t len)
{
	long n = served = p9srv_serve(&srv, c, in, len, rbuf, sizeof(rbuf));
	if (n <= 0 || (size_t)n > MSIZE || p9_decode(rbuf, (size_t)n, &r))
		return -1;
	return r.type;
}

/* Send t on connection c; returns the reply type (or -1 for a bad one). */
static int rpc(uint64_t c, struct p9_msg *t)
{
	t->tag = next_tag++ % 0xfff0;
	long n = p9_encode(tbuf, sizeof(tbuf), t);
	if (n < 0)
		return -2;
	int type = raw(c, tbuf, (size_t)n);
	return type >= 0 && r.tag == t->tag ? type : -1;
}

static int is_err(const char *e)
{
	return r.type == P9_RERROR && p9_str_eq(r.ename, e);
}

/* The last reply is an Rerror whose string means errno e. */
static int is_errno(int e)
{
	return r.type == P9_RERROR && p9_errno(r.ename.s, r.ename.len) == e;
}

static int version(uint64_t c, uint32_t msize, const char *v)
{
	struct p9_msg t = { .type = P9_TVERSION,
			    .msize = msize,
			    .version = p9_str(v) };
	return rpc(c, &t);
}

static int attach(uint64_t c, uint32_t fid, const char *user)
{
	struct p9_msg t = { .type = P9_TATTACH,
			    .fid = fid,
			    .afid = P9_NOFID,
			    .uname = p9_str(user),
			    .aname = p9_str("") };
	return rpc(c, &t);
}

/* Walk fid to newfid through the names of a space-free list (up to 16). */
static int walk(uint64_t c, uint32_t fid, uint32_t newfid, int n,
		const char **names)
{
	struct p9_msg t = { .type = P9_TWALK,
			    .fid = fid,
			    .newfid = newfid,
			    .nwname = (uint16_t)n };
	for (int i = 0; i < n; i++)
		t.wname[i] = p9_str(names[i]);
	return rpc(c, &t);
}

static int walk1(uint64_t c, uint32_t fid, uint32_t newfid, const char *name)
{
	return walk(c, fid, newfid, 1, &name);
}

static int topen(uint64_t c, uint32_t fid, uint8_t mode)
{
	struct p9_msg t = { .type = P9_TOPEN, .fid = fid, .mode = mode };
	return rpc(c, &t);
}

static int tcreate(uint64_t c, uint32_t fid, const char *name, uint32_t perm,
		   uint8_t mode)
{
	struct p9_msg t = { .type = P9_TCREATE,
			    .fid = fid,
			    .name = p9_str(name),
			    .perm = perm,
			    .mode = mode };
	return rpc(c, &t);
}

static int tread(uint64_t c, uint32_t fid, uint64_t off, uint32_t count)
{
	struct p9_msg t = {
		.type = P9_TREAD, .fid = fid, .offset = off, .count = count
	};
	return rpc(c, &t);
}

static int twrite(uint64_t c, uint32_t fid, uint64_t off, const char *s)
{
	struct p9_msg t = { .type = P9_TWRITE,
			    .fid = fid,
			    .offset = off,
			    .count = (uint32_t)strlen(s),
			    .data = (const uint8_t *)s };
	return rpc(c, &t);
}

static int tfid(uint64_t c, uint8_t type, uint32_t fid)
{
	struct p9_msg t = { .type = type, .fid = fid };
	return rpc(c, &t);
}

/* A wstat changing nothing but what the caller sets afterwards. */
static struct p9_stat blank(void)
{
	struct p9_stat st;
	memset(&st, 0xff, sizeof(st));
	st.name = st.uid = st.gid = st.muid = p9_str("");
	return st;
}

static int twstat(uint64_t c, uint32_t fid, const struct p9_stat *st)
{
	static uint8_t sb[1024];
	long n = p9_stat_encode(sb, sizeof(sb), st);
	struct p9_msg t = {
		.type = P9_TWSTAT, .fid = fid, .nstat = (uint16_t)n, .stat = sb
	};
	return rpc(c, &t);
}

/* The stat in the last Rstat. */
static struct p9_stat rstat(void)
{
	struct p9_stat st;
	memset(&st, 0, sizeof(st));
	p9_stat_decode(r.stat, r.nstat, &st);
	return st;
}

/* A fresh server over a fresh ramfs; c1 (user metta) attached as fid 1. */
static uint64_t c1, c2;
static int setup(void)
{
	CHECK(ramfs_init(&fs, region, sizeof(region), 0, "metta") == 0);
	ops = ramfs_ops;
	ops.read = hold_read;
	p9srv_init(&srv, &ops, &fs, MSIZE, P9SRV_STORAGE_ARGS(store));
	srv.forget = forget_hook;
	srv.answer = answer_hook;
	srv.drop = drop_hook;
	srv.answer_buf = answer_space;
	hold_reads = forgotten = dropped = answer_rc = 0;
	answered_len = 0;
	CHECK(p9srv_connect(&srv, &c1) == 0);
	CHECK(p9srv_connect(&srv, &c2) == 0 && c1 != c2);
	CHECK(version(c1, 1 << 20, "9P2000") == P9_RVERSION);
	CHECK(r.msize == MSIZE && p9_str_eq(r.version, "9P2000"));
	CHECK(attach(c1, 1, "metta") == P9_RATTACH);
	CHECK(r.qid.type == P9_QTDIR);
	return 0;
}

static int version_and_reset(void)
{
	CHECK(setup() == 0);
	/* Nothing but Tversion before Tversion. */
	CHECK(attach(c2, 1, "alice") == P9_RERROR);
	CHECK(is_err("version not negotiated"));
	CHECK(version(c2, 100, "9P2000") == P9_RERROR);
	CHECK(version(c2, 4096, "9P2000.u") == P9_RVERSION);
	CHECK(r.msize == 4096 && p9_str_eq(r.version, "9P2000"));
	CHECK(version(c2, 4096, "plan10") == P9_RVERSION);
	CHECK(p9_str_eq(r.version, "unknown"));
	CHECK(attach(c2, 1, "alice") == P9_RERROR);
	/* A new Tversion clunks every fid. */
	CHECK(fs.root->refs == 2);
	CHECK(tfid(c1, P9_TSTAT, 1) == P9_RSTAT);
	CHECK(version(c1, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(fs.root->refs == 1);
	CHECK(tfid(c1, P9_TSTAT, 1) == P9_RERROR && is_err("unknown fid"));
	CHECK(attach(c1, 1, "metta") == P9_RATTACH);
	/* Tauth is not offered; attach must not name an afid. */
	struct p9_msg t = { .type = P9_TAUTH,
			    .afid = 5,
			    .uname = p9_str("metta"),
			    .aname = p9_str("") };
	CHECK(rpc(c1, &t) == P9_RERROR &&
	      is_err("authentication not required"));
	t = (struct p9_msg){ .type = P9_TATTACH,
			     .fid = 2,
			     .afid = 5,
			     .uname = p9_str("metta"),
			     .aname = p9_str("") };
	CHECK(rpc(c1, &t) == P9_RERROR);
	CHECK(attach(c1, 1, "metta") == P9_RERROR && is_err("fid in use"));
	/* One user per connection while fids remain. */
	CHECK(attach(c1, 2, "alice") == P9_RERROR);
	CHECK(attach(c1, 2, "") == P9_RERROR);
	return 0;
}

/* Make a/b/f as metta through fid 1 (fid 9 is used and clunked). */
static int make_abf(void)
{
	CHECK(walk(c1, 1, 9, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 9, "a", P9_DMDIR | 0777, P9_OREAD) == P9_RCREATE);
	/* create(5) masked the mode with the root's 0775. */
	CHECK(tfid(c1, P9_TSTAT, 9) == P9_RSTAT &&
	      (rstat().mode & 0777) == 0775);
	struct p9_stat w = blank();
	w.mode = P9_DMDIR | 0777;
	CHECK(twstat(c1, 9, &w) == P9_RWSTAT);
	CHECK(tfid(c1, P9_TCLUNK, 9) == P9_RCLUNK);
	CHECK(walk1(c1, 1, 9, "a") == P9_RWALK);
	CHECK(tcreate(c1, 9, "b", P9_DMDIR | 0755, P9_OREAD) == P9_RCREATE);
	CHECK(tfid(c1, P9_TCLUNK, 9) == P9_RCLUNK);
	const char *ab[] = { "a", "b" };
	CHECK(walk(c1, 1, 9, 2, ab) == P9_RWALK && r.nwqid == 2);
	CHECK(tcreate(c1, 9, "f", 0644, P9_OWRITE) == P9_RCREATE);
	CHECK(twrite(c1, 9, 0, "hello") == P9_RWRITE && r.count == 5);
	CHECK(tfid(c1, P9_TCLUNK, 9) == P9_RCLUNK);
	return 0;
}

static int walks(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	CHECK(tfid(c1, P9_TSTAT, 1) == P9_RSTAT);
	uint64_t root = rstat().qid.path;
	const char *abf[] = { "a", "b", "f" };
	CHECK(walk(c1, 1, 2, 3, abf) == P9_RWALK && r.nwqid == 3);
	CHECK(r.wqid[0].type == P9_QTDIR && r.wqid[2].type == P9_QTFILE);
	uint64_t f = r.wqid[2].path;
	CHECK(tfid(c1, P9_TSTAT, 2) == P9_RSTAT && rstat().qid.path == f);
	/* Partial: one qid, newfid not made. */
	const char *ax[] = { "a", "x", "b" };
	CHECK(walk(c1, 1, 3, 3, ax) == P9_RWALK && r.nwqid == 1);
	CHECK(tfid(c1, P9_TSTAT, 3) == P9_RERROR && is_err("unknown fid"));
	CHECK(walk1(c1, 1, 3, "x") == P9_RERROR &&
	      is_err("file does not exist"));
	CHECK(tfid(c1, P9_TSTAT, 3) == P9_RERROR);
	/* Through a file: not a directory. */
	const char *fx[] = { "f", "x" };
	CHECK(walk(c1, 1, 3, 0, 0) == P9_RWALK);
	const char *ab[] = { "a", "b" };
	CHECK(walk(c1, 3, 3, 2, ab) == P9_RWALK && r.nwqid == 2);
	CHECK(walk(c1, 3, 4, 2, fx) == P9_RWALK && r.nwqid == 1);
	CHECK(walk1(c1, 2, 4, "x") == P9_RERROR && is_err("not a directory"));
	/* ".." at the root stays there; elsewhere it goes up. */
	const char *up[] = { "..", "..", ".." };
	CHECK(walk(c1, 1, 4, 3, up) == P9_RWALK && r.nwqid == 3);
	CHECK(r.wqid[0].path == root && r.wqid[2].path == root);
	const char *aup[] = { "a", "..", "a", "b", "..", "..", "..", ".." };
	CHECK(walk(c1, 1, 5, 8, aup) == P9_RWALK && r.nwqid == 8);
	CHECK(r.wqid[1].path == root && r.wqid[4].path == r.wqid[0].path);
	CHECK(r.wqid[7].path == root);
	/* newfid == fid moves the fid; newfid in use is refused. */
	CHECK(walk(c1, 5, 5, 3, abf) == P9_RWALK);
	CHECK(tfid(c1, P9_TSTAT, 5) == P9_RSTAT && rstat().qid.path == f);
	CHECK(walk(c1, 1, 5, 0, 0) == P9_RERROR && is_err("fid in use"));
	/* 16 names are fine. */
	const char *many[16];
	for (int i = 0; i < 16; i++)
		many[i] = i % 2 ? ".." : "a";
	CHECK(walk(c1, 1, 6, 16, many) == P9_RWALK && r.nwqid == 16);
	/* An open fid cannot be walked. */
	CHECK(topen(c1, 2, P9_OREAD) == P9_ROPEN);
	CHECK(walk(c1, 2, 7, 0, 0) == P9_RERROR && is_err("walk of open fid"));
	return 0;
}

/* An fs whose attach with aname "a" gives the subtree a. */
static int attach_sub(void *ctx, struct p9_str uname, struct p9_str aname,
		      void **root)
{
	void *top;
	int rc = ramfs_ops.attach(ctx, uname, aname, &top);
	if (rc || !p9_str_eq(aname, "a"))
		return rc;
	rc = ramfs_ops.walk1(ctx, top, aname, root);
	ramfs_ops.unref(ctx, top);
	return rc;
}

static int dotdot_stays_at_attach_root(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	ops.attach = attach_sub;
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	struct p9_msg t = { .type = P9_TATTACH,
			    .fid = 1,
			    .afid = P9_NOFID,
			    .uname = p9_str("metta"),
			    .aname = p9_str("a") };
	CHECK(rpc(c2, &t) == P9_RATTACH);
	uint64_t a = r.qid.path;
	/* The fs would go up to /; the library keeps the client in a. */
	const char *up[] = { "b", "..", "..", "..", "b", "f" };
	CHECK(walk(c2, 1, 2, 6, up) == P9_RWALK && r.nwqid == 6);
	CHECK(r.wqid[1].path == a && r.wqid[2].path == a &&
	      r.wqid[3].path == a);
	CHECK(r.wqid[5].type == P9_QTFILE);
	/* Clones keep the attach root. */
	CHECK(walk1(c2, 1, 3, "b") == P9_RWALK);
	const char *up2[] = { "..", "..", "b" };
	CHECK(walk(c2, 3, 4, 3, up2) == P9_RWALK && r.nwqid == 3);
	CHECK(r.wqid[1].path == a);
	ops.attach = ramfs_ops.attach;
	return 0;
}

static int open_modes_and_permissions(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c2, 1, "alice") == P9_RATTACH);
	const char *abf[] = { "a", "b", "f" };
	/* f is 0644 metta: alice reads, cannot write or truncate. */
	CHECK(walk(c2, 1, 2, 3, abf) == P9_RWALK);
	CHECK(topen(c2, 2, P9_OWRITE) == P9_RERROR &&
	      is_err("permission denied"));
	CHECK(topen(c2, 2, P9_OREAD | P9_OTRUNC) == P9_RERROR);
	CHECK(topen(c2, 2, P9_OEXEC) == P9_RERROR);
	CHECK(topen(c2, 2, P9_OREAD) == P9_ROPEN && r.iounit == MSIZE - 24);
	CHECK(topen(c2, 2, P9_OREAD) == P9_RERROR &&
	      is_err("file already open"));
	CHECK(tread(c2, 2, 0, 100) == P9_RREAD && r.count == 5);
	CHECK(memcmp(r.data, "hello", 5) == 0);
	CHECK(twrite(c2, 2, 0, "x") == P9_RERROR &&
	      is_err("file not open for writing"));
	/* Alice may not create in b (0755 metta) but may in a (0777). */
	const char *ab[] = { "a", "b" };
	CHECK(walk(c2, 1, 3, 2, ab) == P9_RWALK);
	CHECK(tcreate(c2, 3, "g", 0666, P9_OWRITE) == P9_RERROR &&
	      is_err("permission denied"));
	CHECK(walk1(c2, 1, 4, "a") == P9_RWALK);
	CHECK(tcreate(c2, 4, "g", 0666, P9_ORDWR) == P9_RCREATE);
	CHECK(twrite(c2, 4, 0, "abc") == P9_RWRITE);
	CHECK(tfid(c2, P9_TSTAT, 4) == P9_RSTAT);
	struct p9_stat st = rstat();
	CHECK(p9_str_eq(st.uid, "alice") && p9_str_eq(st.gid, "metta"));
	CHECK(st.length == 3 && (st.mode & 0777) == 0666);
	/* Group bits apply to the group's name: metta may not write g... */
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	const char *ag[] = { "a", "g" };
	CHECK(walk(c1, 1, 3, 2, ag) == P9_RWALK);
	struct p9_stat w = blank();
	w.mode = 0604;
	CHECK(twstat(c2, 4, &w) == P9_RWSTAT);
	CHECK(topen(c1, 3, P9_OREAD) == P9_RERROR);
	CHECK(topen(c1, 3, P9_OWRITE) == P9_RERROR);
	/* ...but "other" may read. Directories only open for reading. */
	w.mode = 0066;
	CHECK(twstat(c2, 4, &w) == P9_RWSTAT);
	CHECK(topen(c1, 3, P9_ORDWR) == P9_ROPEN);
	CHECK(topen(c1, 2, P9_OWRITE) == P9_RERROR && is_err("is a directory"));
	CHECK(topen(c1, 2, P9_OREAD | P9_OTRUNC) == P9_RERROR);
	CHECK(topen(c1, 2, P9_OREAD) == P9_ROPEN);
	CHECK(twrite(c1, 2, 0, "x") == P9_RERROR);
	/* Truncate on open by the owner. */
	CHECK(walk(c1, 1, 4, 3, abf) == P9_RWALK);
	CHECK(topen(c1, 4, P9_OWRITE | P9_OTRUNC) == P9_ROPEN);
	CHECK(tread(c1, 4, 0, 10) == P9_RERROR &&
	      is_err("file not open for reading"));
	CHECK(tfid(c1, P9_TSTAT, 4) == P9_RSTAT && rstat().length == 0);
	/* A directory created must be opened OREAD. */
	CHECK(walk(c1, 1, 5, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 5, "d", P9_DMDIR | 0777, P9_OWRITE) == P9_RERROR &&
	      is_err("is a directory"));
	CHECK(tcreate(c1, 5, "..", 0666, P9_OWRITE) == P9_RERROR);
	CHECK(tcreate(c1, 5, "x/y", 0666, P9_OWRITE) == P9_RERROR);
	CHECK(tcreate(c1, 5, "a", 0666, P9_OWRITE) == P9_RERROR &&
	      is_err("file exists"));
	CHECK(tfid(c1, P9_TSTAT, 5) == P9_RSTAT &&
	      rstat().qid.type == P9_QTDIR);
	return 0;
}

static int tlink(uint64_t c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct p9_msg t = {
		.type = P9_TLINK, .fid = dfid, .newfid = fid, .name = p9_str(name)
	};
	return rpc(c, &t);
}

/* Tlink (Metta's extension): the library's checks, then the fs's link. */
static int hard_links(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c2, 1, "alice") == P9_RATTACH);
	const char *abf[] = { "a", "b", "f" }, *ab[] = { "a", "b" };
	CHECK(walk(c1, 1, 2, 3, abf) == P9_RWALK);
	CHECK(walk1(c1, 1, 3, "a") == P9_RWALK);
	CHECK(tlink(c1, 3, 2, "g") == P9_RLINK);
	CHECK(walk1(c1, 3, 4, "g") == P9_RWALK);
	CHECK(tread(c1, 4, 0, 0) == P9_RERROR); /* not open: the same file */
	CHECK(topen(c1, 4, P9_OREAD) == P9_ROPEN);
	CHECK(tread(c1, 4, 0, 100) == P9_RREAD && r.count == 5 &&
	      !memcmp(r.data, "hello", 5));
	CHECK(tfid(c1, P9_TSTAT, 4) == P9_RSTAT && rstat().dev == 2);
	/* Refused: unknown fids, a directory, a file as the directory, a
	 * name in use or not a name, a directory alice may not write. */
	CHECK(tlink(c1, 3, 99, "h") == P9_RERROR && is_err("unknown fid"));
	CHECK(tlink(c1, 99, 2, "h") == P9_RERROR && is_err("unknown fid"));
	CHECK(tlink(c1, 1, 3, "a2") == P9_RERROR &&
	      is_err("operation not permitted"));
	CHECK(tlink(c1, 2, 2, "h") == P9_RERROR && is_err("not a directory"));
	CHECK(tlink(c1, 3, 2, "g") == P9_RERROR && is_err("file exists"));
	CHECK(tlink(c1, 3, 2, "..") == P9_RERROR);
	CHECK(tlink(c1, 3, 2, "x/y") == P9_RERROR);
	CHECK(walk(c2, 1, 2, 3, abf) == P9_RWALK);
	CHECK(walk(c2, 1, 3, 2, ab) == P9_RWALK);
	CHECK(tlink(c2, 3, 2, "h") == P9_RERROR && is_err("permission denied"));
	CHECK(tfid(c1, P9_TSTAT, 4) == P9_RSTAT && rstat().dev == 2);
	/* A server without links says so. */
	ops.link = 0;
	CHECK(tlink(c1, 3, 2, "h") == P9_RERROR &&
	      is_err("operation not supported"));
	ops.link = ramfs_ops.link;
	return 0;
}

static int trename(uint64_t c, uint32_t odfid, const char *oname,
		   uint32_t ndfid, const char *nname)
{
	struct p9_msg t = { .type = P9_TRENAMEAT,
			    .fid = odfid,
			    .name = p9_str(oname),
			    .newfid = ndfid,
			    .newname = p9_str(nname) };
	return rpc(c, &t);
}

/* The qid path of name in directory fid (walked as fid 30, clunked), or
 * 0 when there is none. */
static uint64_t qpath(uint64_t c, uint32_t fid, const char *name)
{
	if (walk1(c, fid, 30, name) != P9_RWALK)
		return 0;
	uint64_t p = r.wqid[0].path;
	tfid(c, P9_TCLUNK, 30);
	return p;
}

/* Trenameat across directories: the file keeps its qid, fids follow. */
/*
 * The tree version (P9_TREESTATE) moves before every message that may
 * change what a walk finds or may open, and for nothing else: clients
 * reuse their walks while it stands still (runtime/opencache.c).
 */
static int tree_version_moves(void)
{
	uint64_t v = 0, was;
	CHECK(setup() == 0);
	srv.tree_version = &v;
#define MOVES(expr) (was = v, (expr) && v > was)
#define STILL(expr) (was = v, (expr) && v == was)
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK); /* 2: the root */
	CHECK(MOVES(tcreate(c1, 2, "f", 0644, P9_ORDWR) == P9_RCREATE));
	CHECK(STILL(twrite(c1, 2, 0, "bytes") == P9_RWRITE));
	CHECK(STILL(tread(c1, 2, 0, 10) == P9_RREAD));
	CHECK(STILL(tfid(c1, P9_TSTAT, 2) == P9_RSTAT));
	struct p9_stat w = blank();
	w.length = 2; /* a length, times, a sync: names stay */
	CHECK(STILL(twstat(c1, 2, &w) == P9_RWSTAT));
	w = blank();
	CHECK(STILL(twstat(c1, 2, &w) == P9_RWSTAT));
	w.mode = 0600;
	CHECK(MOVES(twstat(c1, 2, &w) == P9_RWSTAT));
	w = blank();
	w.name = p9_str("g");
	CHECK(MOVES(twstat(c1, 2, &w) == P9_RWSTAT));
	CHECK(STILL(walk1(c1, 1, 3, "g") == P9_RWALK));
	CHECK(STILL(tfid(c1, P9_TCLUNK, 2) == P9_RCLUNK));
	CHECK(MOVES(trename(c1, 1, "g", 1, "h") == P9_RRENAMEAT));
	CHECK(MOVES(tfid(c1, P9_TREMOVE, 3) == P9_RREMOVE));
	/* A file that goes with its fid's clunk (ORCLOSE). */
	CHECK(walk(c1, 1, 4, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 4, "t", 0644, P9_OWRITE | P9_ORCLOSE) ==
	      P9_RCREATE);
	CHECK(MOVES(tfid(c1, P9_TCLUNK, 4) == P9_RCLUNK));
	CHECK(walk1(c1, 1, 5, "t") == P9_RERROR);
#undef MOVES
#undef STILL
	srv.tree_version = 0;
	return 0;
}

static int renames(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	const char *abf[] = { "a", "b", "f" }, *ab[] = { "a", "b" };
	CHECK(walk(c1, 1, 2, 3, abf) == P9_RWALK); /* 2: a/b/f */
	uint64_t f = r.wqid[2].path;
	CHECK(topen(c1, 2, P9_OREAD) == P9_ROPEN);
	CHECK(walk(c1, 1, 3, 2, ab) == P9_RWALK); /* 3: a/b */
	CHECK(walk1(c1, 1, 4, "a") == P9_RWALK);  /* 4: a */
	/* a/b/f to the root as g: same file, open fid still reads it. */
	CHECK(trename(c1, 3, "f", 1, "g") == P9_RRENAMEAT);
	CHECK(qpath(c1, 3, "f") == 0 && qpath(c1, 1, "g") == f);
	CHECK(tread(c1, 2, 0, 100) == P9_RREAD && r.count == 5 &&
	      !memcmp(r.data, "hello", 5));
	CHECK(tfid(c1, P9_TSTAT, 2) == P9_RSTAT &&
	      p9_str_eq(rstat().name, "g"));
	/* Over an existing file elsewhere: the old one goes (its fid
	 * keeps it readable), the name now shows the moved file. */
	CHECK(tcreate(c1, 4, "h", 0644, P9_OWRITE) == P9_RCREATE); /* 4: a/h */
	CHECK(twrite(c1, 4, 0, "old") == P9_RWRITE);
	uint32_t freenodes = (uint32_t)fs.nfreenodes;
	CHECK(walk1(c1, 1, 5, "a") == P9_RWALK); /* 5: a */
	CHECK(trename(c1, 1, "g", 5, "h") == P9_RRENAMEAT);
	CHECK(qpath(c1, 5, "h") == f && qpath(c1, 1, "g") == 0);
	CHECK(fs.nfreenodes == freenodes); /* the old h lives on in fid 4 */
	CHECK(tfid(c1, P9_TSTAT, 4) == P9_RSTAT && rstat().dev == 0);
	CHECK(tfid(c1, P9_TCLUNK, 4) == P9_RCLUNK);
	CHECK(fs.nfreenodes == freenodes + 1);
	/* A directory moves with its contents; ".." follows. */
	CHECK(trename(c1, 5, "b", 1, "top") == P9_RRENAMEAT);
	CHECK(walk1(c1, 1, 6, "top") == P9_RWALK);
	CHECK(walk1(c1, 6, 7, "..") == P9_RWALK && r.wqid[0].path == 0);
	CHECK(tfid(c1, P9_TCLUNK, 7) == P9_RCLUNK);
	/* Onto itself, and onto another name of the same file: nothing. */
	CHECK(trename(c1, 5, "h", 5, "h") == P9_RRENAMEAT);
	CHECK(walk1(c1, 5, 8, "h") == P9_RWALK);
	CHECK(tlink(c1, 6, 8, "hl") == P9_RLINK);
	CHECK(trename(c1, 5, "h", 6, "hl") == P9_RRENAMEAT);
	CHECK(qpath(c1, 5, "h") == f && qpath(c1, 6, "hl") == f);
	return 0;
}

/* Trenameat's refusals: each an Rerror that changes nothing. */
static int rename_refusals(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	const char *ab[] = { "a", "b" };
	CHECK(walk1(c1, 1, 2, "a") == P9_RWALK);  /* 2: a */
	CHECK(walk(c1, 1, 3, 2, ab) == P9_RWALK); /* 3: a/b */
	CHECK(tcreate(c1, 1, "e", P9_DMDIR | 0755, P9_OREAD) == P9_RCREATE);
	CHECK(tfid(c1, P9_TCLUNK, 1) == P9_RCLUNK);
	CHECK(attach(c1, 1, "metta") == P9_RATTACH);
	CHECK(walk1(c1, 1, 4, "e") == P9_RWALK); /* 4: e, empty */
	CHECK(walk(c1, 3, 5, 1, (const char *[]){ "f" }) == P9_RWALK);
	uint64_t a = qpath(c1, 1, "a"), f = qpath(c1, 3, "f");
	uint32_t rootversion = fs.root->version;
	CHECK(trename(c1, 99, "f", 1, "x") == P9_RERROR &&
	      is_err("unknown fid"));
	CHECK(trename(c1, 3, "f", 99, "x") == P9_RERROR &&
	      is_err("unknown fid"));
	CHECK(trename(c1, 5, "f", 1, "x") == P9_RERROR &&
	      is_err("not a directory"));
	CHECK(trename(c1, 3, "f", 5, "x") == P9_RERROR &&
	      is_err("not a directory"));
	CHECK(trename(c1, 3, "f", 1, "") == P9_RERROR &&
	      is_err("illegal file name"));
	CHECK(trename(c1, 3, "..", 1, "x") == P9_RERROR &&
	      is_err("illegal file name"));
	CHECK(trename(c1, 3, "f", 1, "x/y") == P9_RERROR &&
	      is_err("illegal file name"));
	CHECK(trename(c1, 3, "f", 1, ".") == P9_RERROR &&
	      is_err("illegal file name"));
	CHECK(trename(c1, 3, "missing", 1, "x") == P9_RERROR &&
	      is_errno(P9_ENOENT));
	CHECK(trename(c1, 3, "f", 1, "e") == P9_RERROR && is_errno(P9_EISDIR));
	CHECK(trename(c1, 1, "e", 3, "f") == P9_RERROR &&
	      is_err("not a directory"));
	CHECK(trename(c1, 1, "e", 1, "a") == P9_RERROR &&
	      is_errno(P9_ENOTEMPTY));
	CHECK(trename(c1, 1, "a", 3, "in") == P9_RERROR && is_errno(P9_EINVAL));
	CHECK(trename(c1, 1, "a", 2, "in") == P9_RERROR && is_errno(P9_EINVAL));
	static char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	CHECK(trename(c1, 3, "f", 1, longname) == P9_RERROR &&
	      is_errno(P9_ENAMETOOLONG));
	/* alice may not write a/b (0755, metta's). */
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c2, 1, "alice") == P9_RATTACH);
	CHECK(walk(c2, 1, 3, 2, ab) == P9_RWALK);
	CHECK(trename(c2, 3, "f", 1, "x") == P9_RERROR &&
	      is_err("permission denied"));
	/* Short and garbled messages. */
	struct p9_msg t = { .type = P9_TRENAMEAT,
			    .tag = 1,
			    .fid = 3,
			    .name = p9_str("f"),
			    .newfid = 1,
			    .newname = p9_str("x") };
	long n = p9_encode(tbuf, sizeof(tbuf), &t);
	for (long cut = P9_HEADER; cut < n; cut++) {
		tbuf[0] = (uint8_t)cut;
		CHECK(raw(c1, tbuf, (size_t)cut) == P9_RERROR &&
		      is_err("malformed message"));
	}
	/* Nothing moved, the root unchanged. */
	CHECK(qpath(c1, 1, "a") == a && qpath(c1, 3, "f") == f);
	CHECK(qpath(c1, 1, "x") == 0 && fs.root->version == rootversion);
	/* A server without renames says so (the client makes it EXDEV). */
	ops.rename = 0;
	CHECK(trename(c1, 3, "f", 1, "x") == P9_RERROR &&
	      is_err("operation not supported"));
	ops.rename = ramfs_ops.rename;
	return 0;
}

/* Tstatfs: ramfs's pages as blocks, free space going down with data. */
static int statfs_counts(void)
{
	CHECK(setup() == 0);
	CHECK(tfid(c1, P9_TSTATFS, 1) == P9_RSTATFS);
	struct p9_statfs before = r.statfs;
	CHECK(before.type == P9_STATFS_MAGIC && before.bsize == 4096);
	CHECK(before.blocks == sizeof(region) / 4096);
	CHECK(before.bfree < before.blocks && before.bavail == before.bfree);
	CHECK(before.ffree < before.files && before.namelen == 255);
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 2, "f", 0644, P9_OWRITE) == P9_RCREATE);
	static char page[5001];
	memset(page, 'x', sizeof(page) - 1);
	CHECK(twrite(c1, 2, 0, page) == P9_RWRITE);
	CHECK(tfid(c1, P9_TSTATFS, 2) == P9_RSTATFS);
	CHECK(r.statfs.bfree == before.bfree - 2);
	CHECK(tfid(c1, P9_TSTATFS, 99) == P9_RERROR && is_err("unknown fid"));
	ops.statfs = 0;
	CHECK(tfid(c1, P9_TSTATFS, 1) == P9_RERROR &&
	      is_err("operation not supported"));
	ops.statfs = ramfs_ops.statfs;
	return 0;
}

/* P9_MEMORY's checks in the library: only an open fid that may read a
 * file, and only a file system that keeps memory (ramfs on the host has
 * no memory objects: ENODEV). */
static int fake_memory(void *ctx, void *node, uint32_t *slot, uint64_t *pages,
		       uint32_t *state)
{
	(void)ctx, (void)node;
	*slot = 77;
	*pages = 5;
	*state = 78;
	return 0;
}

static int memory_requests(void)
{
	CHECK(setup() == 0);
	uint32_t slot = 0;
	uint64_t pages = 0;
	int w = -1;
	uint32_t st = 0;
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 2, "m", 0644, P9_ORDWR) == P9_RCREATE);
	CHECK(walk1(c1, 1, 3, "m") == P9_RWALK);
	CHECK(p9srv_memory(&srv, c1, 99, &slot, &pages, &w, &st) == -P9_EBADF);
	CHECK(p9srv_memory(&srv, c1 + 100, 2, &slot, &pages, &w, &st) == -P9_EBADF);
	CHECK(p9srv_memory(&srv, c1, 3, &slot, &pages, &w, &st) == -P9_EBADF);
	CHECK(p9srv_memory(&srv, c1, 2, &slot, &pages, &w, &st) == -P9_ENODEV);
	CHECK(topen(c1, 3, P9_OWRITE) == P9_ROPEN);
	ops.memory = fake_memory;
	CHECK(p9srv_memory(&srv, c1, 3, &slot, &pages, &w, &st) == -P9_EACCES);
	CHECK(p9srv_memory(&srv, c1, 2, &slot, &pages, &w, &st) == 0);
	CHECK(slot == 77 && pages == 5 && w == 1 && st == 78);
	CHECK(walk(c1, 1, 4, 0, 0) == P9_RWALK && topen(c1, 4, P9_OREAD) == P9_ROPEN);
	CHECK(p9srv_memory(&srv, c1, 4, &slot, &pages, &w, &st) == -P9_ENODEV);
	CHECK(walk1(c1, 1, 5, "m") == P9_RWALK && topen(c1, 5, P9_OREAD) == P9_ROPEN);
	CHECK(p9srv_memory(&srv, c1, 5, &slot, &pages, &w, &st) == 0 && w == 0);
	/* A fs whose objects are copies (ext2): none for a fid that
	 * writes, since its stores would not reach the file. */
	srv.memory_copies = 1;
	CHECK(p9srv_memory(&srv, c1, 2, &slot, &pages, &w, &st) == -P9_ENODEV);
	CHECK(p9srv_memory(&srv, c1, 5, &slot, &pages, &w, &st) == 0 && w == 0);
	srv.memory_copies = 0;
	ops.memory = ramfs_ops.memory;
	return 0;
}

/* Parse a directory read: whole entries only. Returns entries or -1. */
static int entries(const uint8_t *p, uint32_t n, char names[][32], int max,
		   int *k)
{
	int got = 0;
	while (n) {
		struct p9_stat st;
		long len = p9_stat_decode(p, n, &st);
		if (len <= 0 || *k >= max || st.name.len >= 32)
			return -1;
		memcpy(names[*k], st.name.s, st.name.len);
		names[(*k)++][st.name.len] = 0;
		p += len, n -= (uint32_t)len, got++;
	}
	return got;
}

static int directory_reads(void)
{
	static char names[64][32];
	CHECK(setup() == 0);
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	char name[40];
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "file-with-a-long-name-%02d",
			 i % 100);
		CHECK(walk(c1, 1, 3, 0, 0) == P9_RWALK);
		CHECK(tcreate(c1, 3, name, 0644, P9_OREAD) == P9_RCREATE);
		CHECK(tfid(c1, P9_TCLUNK, 3) == P9_RCLUNK);
	}
	CHECK(topen(c1, 2, P9_OREAD) == P9_ROPEN);
	CHECK(tread(c1, 2, 0, 20) == P9_RERROR &&
	      is_err("count too small for a directory entry"));
	uint64_t off = 0;
	int k = 0, reads = 0;
	for (;;) {
		CHECK(tread(c1, 2, off, 300) == P9_RREAD);
		CHECK(r.count <= 300);
		if (r.count == 0)
			break;
		CHECK(entries(r.data, r.count, names, 64, &k) > 0);
		off += r.count;
		reads++;
	}
	CHECK(k == 30 && reads > 5);
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "file-with-a-long-name-%02d",
			 i % 100);
		CHECK(strcmp(names[i], name) == 0);
	}
	/* At the end it stays at the end; other offsets are refused. */
	CHECK(tread(c1, 2, off, 300) == P9_RREAD && r.count == 0);
	CHECK(tread(c1, 2, off - 1, 300) == P9_RERROR &&
	      is_err("bad offset in directory read"));
	CHECK(tread(c1, 2, off + 7, 300) == P9_RERROR);
	/* The refusal changed nothing; offset 0 starts again. */
	CHECK(tread(c1, 2, off, 300) == P9_RREAD && r.count == 0);
	CHECK(tread(c1, 2, 0, MSIZE) == P9_RREAD);
	k = 0;
	CHECK(entries(r.data, r.count, names, 64, &k) == 30);
	/* Counts beyond msize are cut to fit. */
	CHECK(tread(c1, 2, 0, 1u << 30) == P9_RREAD && r.count <= MSIZE - 11);
	return 0;
}

static int create_write_read_remove(void)
{
	CHECK(setup() == 0);
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 2, "f", 0644, P9_ORDWR) == P9_RCREATE);
	CHECK(r.qid.type == P9_QTFILE && r.iounit == MSIZE - 24);
	CHECK(twrite(c1, 2, 0, "hello, world") == P9_RWRITE && r.count == 12);
	CHECK(twrite(c1, 2, 7, "there") == P9_RWRITE);
	CHECK(tread(c1, 2, 0, 100) == P9_RREAD && r.count == 12);
	CHECK(memcmp(r.data, "hello, there", 12) == 0);
	CHECK(tread(c1, 2, 12, 100) == P9_RREAD && r.count == 0);
	/* A big write is cut at msize - 24. */
	static char big[MSIZE];
	memset(big, 'x', sizeof(big) - 1);
	struct p9_msg t = { .type = P9_TWRITE,
			    .fid = 2,
			    .count = MSIZE - 22,
			    .data = (const uint8_t *)big };
	CHECK(rpc(c1, &t) == P9_RERROR && is_err("message too large"));
	t.count = MSIZE - 23;
	CHECK(rpc(c1, &t) == P9_RWRITE && r.count == MSIZE - 24);
	/* Remove: gone from the tree, the fid is clunked. */
	CHECK(walk1(c1, 1, 3, "f") == P9_RWALK);
	CHECK(tfid(c1, P9_TREMOVE, 3) == P9_RREMOVE);
	CHECK(tfid(c1, P9_TSTAT, 3) == P9_RERROR && is_err("unknown fid"));
	CHECK(walk1(c1, 1, 3, "f") == P9_RERROR);
	/* Still readable through the open fid. */
	CHECK(tread(c1, 2, MSIZE - 23, 100) == P9_RREAD && r.count == 0);
	CHECK(tread(c1, 2, 0, 5) == P9_RREAD &&
	      memcmp(r.data, "xxxxx", 5) == 0);
	/* A failing remove still clunks (remove(5)). */
	CHECK(walk(c1, 1, 4, 0, 0) == P9_RWALK);
	CHECK(tfid(c1, P9_TREMOVE, 4) == P9_RERROR);
	CHECK(tfid(c1, P9_TSTAT, 4) == P9_RERROR && is_err("unknown fid"));
	/* ORCLOSE removes at clunk. */
	CHECK(walk(c1, 1, 5, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 5, "tmp", 0644, P9_OWRITE | P9_ORCLOSE) ==
	      P9_RCREATE);
	CHECK(walk1(c1, 1, 6, "tmp") == P9_RWALK);
	CHECK(tfid(c1, P9_TCLUNK, 6) == P9_RCLUNK);
	CHECK(tfid(c1, P9_TCLUNK, 5) == P9_RCLUNK);
	CHECK(walk1(c1, 1, 6, "tmp") == P9_RERROR);
	return 0;
}

static int clunked_fid_is_dead(void)
{
	CHECK(setup() == 0);
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 2, "f", 0644, P9_ORDWR) == P9_RCREATE);
	CHECK(tfid(c1, P9_TCLUNK, 2) == P9_RCLUNK);
	CHECK(tfid(c1, P9_TCLUNK, 2) == P9_RERROR && is_err("unknown fid"));
	CHECK(tfid(c1, P9_TSTAT, 2) == P9_RERROR && is_err("unknown fid"));
	CHECK(tfid(c1, P9_TREMOVE, 2) == P9_RERROR && is_err("unknown fid"));
	CHECK(tread(c1, 2, 0, 1) == P9_RERROR && is_err("unknown fid"));
	CHECK(twrite(c1, 2, 0, "x") == P9_RERROR && is_err("unknown fid"));
	CHECK(topen(c1, 2, 0) == P9_RERROR && is_err("unknown fid"));
	CHECK(walk(c1, 2, 3, 0, 0) == P9_RERROR && is_err("unknown fid"));
	CHECK(tcreate(c1, 2, "g", 0644, 0) == P9_RERROR &&
	      is_err("unknown fid"));
	struct p9_stat w = blank();
	CHECK(twstat(c1, 2, &w) == P9_RERROR && is_err("unknown fid"));
	/* The file itself is fine. */
	CHECK(walk1(c1, 1, 2, "f") == P9_RWALK);
	return 0;
}

static int flush_gets_rflush(void)
{
	CHECK(setup() == 0);
	struct p9_msg t = { .type = P9_TFLUSH, .oldtag = 1234 };
	CHECK(rpc(c1, &t) == P9_RFLUSH && forgotten == 0 && dropped == 0);
	return 0;
}

/* fid 2 on c: file "f" with "hello", opened for reading. */
static int open_hello(uint64_t c, const char *name)
{
	CHECK(walk(c, 1, 2, 0, 0) == P9_RWALK);
	CHECK(tcreate(c, 2, name, 0666, P9_ORDWR) == P9_RCREATE);
	CHECK(twrite(c, 2, 0, "hello") == P9_RWRITE);
	return 0;
}

/* A Tread that the fs holds: no reply now; its tag. */
static int held_read(uint64_t c, uint32_t fid, uint16_t *tag)
{
	hold_reads = 1;
	uint16_t t = next_tag;
	CHECK(tread(c, fid, 0, 100) == -1 && served == P9SRV_HELD);
	hold_reads = 0;
	*tag = t;
	return 0;
}

/* P9_READ and P9_WRITE's library side: a Tread and Twrite without the
 * message, the same checks, and held ones answered with tag NOTAG. */
static int raw_read_and_write(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	uint8_t b[64];
	CHECK(p9srv_read(&srv, c1, 2, 1, b, sizeof(b)) == 4);
	CHECK(memcmp(b, "ello", 4) == 0);
	CHECK(p9srv_read(&srv, c1, 2, 5, b, sizeof(b)) == 0); /* the end */
	CHECK(p9srv_write(&srv, c1, 2, 5, (const uint8_t *)" you", 4) == 4);
	CHECK(tread(c1, 2, 0, 100) == P9_RREAD && r.count == 9);
	CHECK(memcmp(r.data, "hello you", 9) == 0);
	/* Bad input: unknown connection, fid, a fid not open, a directory
	 * written, a count cut to the msize. */
	CHECK(p9srv_read(&srv, 9999, 2, 0, b, 4) == -P9_EBADF);
	CHECK(p9srv_read(&srv, c2, 2, 0, b, 4) == -P9_EBADF); /* no version */
	CHECK(p9srv_read(&srv, c1, 77, 0, b, 4) == -P9_EBADF);
	CHECK(p9srv_write(&srv, c1, 77, 0, b, 4) == -P9_EBADF);
	CHECK(walk(c1, 1, 3, 0, 0) == P9_RWALK);
	CHECK(p9srv_read(&srv, c1, 3, 0, b, 4) < 0);  /* not open */
	CHECK(p9srv_write(&srv, c1, 1, 0, b, 4) < 0); /* the root */
	static uint8_t big[2 * MSIZE];
	memset(big, 'x', sizeof(big));
	CHECK(p9srv_write(&srv, c1, 2, 0, big, sizeof(big)) ==
	      MSIZE - P9_IOHDR);
	CHECK(p9srv_read(&srv, c1, 2, 0, big, sizeof(big)) ==
	      MSIZE - P9_IOHDR);
	/* Held: answered as an Rread with no tag. */
	hold_reads = 1;
	CHECK(p9srv_read(&srv, c1, 2, 0, b, 10) == P9SRV_HELD);
	hold_reads = 0;
	CHECK(p9srv_nheld(&srv) == 1 && last_held->tag == P9_NOTAG);
	CHECK(p9srv_respond_read(last_held, "later", 5) == 0);
	struct p9_msg a;
	CHECK(p9_decode(answered, (size_t)answered_len, &a) == 0);
	CHECK(a.type == P9_RREAD && a.tag == P9_NOTAG && a.count == 5);
	CHECK(p9srv_nheld(&srv) == 0);
	return 0;
}

/* The next R-message of a batch reply at *at (of total n) into r. */
static int next_reply(long n, size_t *at)
{
	if (*at + 4 > (size_t)n)
		return -1;
	uint32_t len = rbuf[*at] | rbuf[*at + 1] << 8 | rbuf[*at + 2] << 16 |
		       (uint32_t)rbuf[*at + 3] << 24;
	if (*at + len > (size_t)n || p9_decode(rbuf + *at, len, &r))
		return -1;
	*at += len;
	return r.type;
}

/* m appended to the batch being built in tbuf at *used. */
static void put(struct p9_msg *m, size_t *used)
{
	m->tag = next_tag++ % 0xfff0;
	*used += (size_t)p9_encode(tbuf + *used, sizeof(tbuf) - *used, m);
}

/* P9_BATCH: a walk and an open together; a walk that fails partway
 * (the open then finds no fid); an open refused after its walk (the fid
 * stays, for the client to clunk); messages not allowed; broken sizes. */
static int batches(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	CHECK(tfid(c1, P9_TCLUNK, 2) == P9_RCLUNK);
	uint32_t fids = p9srv_nfids(&srv);
	const char *names[] = { "f", "g" };
	struct p9_msg w = { .type = P9_TWALK, .fid = 1, .newfid = 5,
			    .nwname = 1, .wname = { p9_str("f") } };
	struct p9_msg o = { .type = P9_TOPEN, .fid = 5, .mode = P9_OREAD };
	size_t used = 0, at = 0;
	put(&w, &used), put(&o, &used);
	long n = p9srv_serve_batch(&srv, c1, tbuf, used, rbuf, sizeof(rbuf));
	CHECK(next_reply(n, &at) == P9_RWALK && r.nwqid == 1);
	CHECK(next_reply(n, &at) == P9_ROPEN && at == (size_t)n);
	CHECK(p9srv_read(&srv, c1, 5, 0, answered, 5) == 5);
	/* Through a file: the walk stops, the open has no fid. */
	w.newfid = 6, w.nwname = 2, w.wname[1] = p9_str(names[1]);
	o.fid = 6, used = at = 0;
	put(&w, &used), put(&o, &used);
	n = p9srv_serve_batch(&srv, c1, tbuf, used, rbuf, sizeof(rbuf));
	CHECK(next_reply(n, &at) == P9_RWALK && r.nwqid == 1);
	CHECK(next_reply(n, &at) == P9_RERROR && is_err("unknown fid"));
	CHECK(p9srv_nfids(&srv) == fids + 1);
	/* Refused after the walk: fid 7 is walked, not open. */
	CHECK(walk1(c1, 1, 8, "f") == P9_RWALK);
	struct p9_stat st = blank();
	st.mode = 0;
	CHECK(twstat(c1, 8, &st) == P9_RWSTAT);
	w.newfid = 7, w.nwname = 1, o.fid = 7, used = at = 0;
	put(&w, &used), put(&o, &used);
	srv.conns[0].uname[0] = 'x'; /* not the owner: no permission */
	n = p9srv_serve_batch(&srv, c1, tbuf, used, rbuf, sizeof(rbuf));
	srv.conns[0].uname[0] = 'm';
	CHECK(next_reply(n, &at) == P9_RWALK);
	CHECK(next_reply(n, &at) == P9_RERROR);
	CHECK(p9srv_read(&srv, c1, 7, 0, answered, 5) == -P9_EBADF ||
	      p9srv_read(&srv, c1, 7, 0, answered, 5) < 0);
	CHECK(tfid(c1, P9_TCLUNK, 7) == P9_RCLUNK);
	/* Not in a batch: reads, writes, wstat, version, flush. */
	struct p9_msg rd = { .type = P9_TREAD, .fid = 5, .count = 5 };
	struct p9_msg vs = { .type = P9_TVERSION, .msize = MSIZE,
			     .version = p9_str("9P2000") };
	used = at = 0;
	put(&rd, &used), put(&vs, &used);
	n = p9srv_serve_batch(&srv, c1, tbuf, used, rbuf, sizeof(rbuf));
	CHECK(next_reply(n, &at) == P9_RERROR &&
	      is_err("not allowed in a batch"));
	CHECK(next_reply(n, &at) == P9_RERROR && at == (size_t)n);
	CHECK(tfid(c1, P9_TSTAT, 5) == P9_RSTAT); /* no version reset */
	/* A broken size ends the batch; a message cut short too. */
	used = at = 0;
	put(&rd, &used);
	tbuf[used] = 3, tbuf[used + 1] = tbuf[used + 2] = tbuf[used + 3] = 0;
	n = p9srv_serve_batch(&srv, c1, tbuf, used + 4, rbuf, sizeof(rbuf));
	CHECK(next_reply(n, &at) == P9_RERROR);
	CHECK(next_reply(n, &at) == P9_RERROR && r.tag == P9_NOTAG);
	CHECK(at == (size_t)n);
	n = p9srv_serve_batch(&srv, c1, tbuf, used - 1, rbuf, sizeof(rbuf));
	at = 0;
	CHECK(next_reply(n, &at) == P9_RERROR && r.tag == P9_NOTAG);
	/* Too many messages: the ninth is refused, and nothing after. */
	used = at = 0;
	struct p9_msg sf = { .type = P9_TSTAT, .fid = 5 };
	for (int i = 0; i < P9_BATCH_MAX + 2; i++)
		put(&sf, &used);
	n = p9srv_serve_batch(&srv, c1, tbuf, used, rbuf, sizeof(rbuf));
	for (int i = 0; i < P9_BATCH_MAX; i++)
		CHECK(next_reply(n, &at) == P9_RSTAT);
	CHECK(next_reply(n, &at) == P9_RERROR && at == (size_t)n);
	/* No room for a reply: nothing done. */
	CHECK(p9srv_serve_batch(&srv, c1, tbuf, used, rbuf, 100) == 0);
	/* Garbage never crashes and always ends. */
	srand(11);
	for (int i = 0; i < 5000; i++) {
		size_t len = (size_t)rand() % 200;
		for (size_t j = 0; j < len; j++)
			tbuf[j] = (uint8_t)rand();
		n = p9srv_serve_batch(&srv, c1, tbuf, len, rbuf, sizeof(rbuf));
		CHECK(n >= 0 && (size_t)n <= sizeof(rbuf));
	}
	return 0;
}

/* lib/9p's client over this server (connection c1): rpc, and batch
 * while batch_on. */
static int batch_on = 1, batches_sent;
static long loop_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *rb,
		     uint32_t rcap)
{
	(void)ctx;
	return p9srv_serve(&srv, c1, t, tlen, rb, rcap);
}

static long loop_batch(void *ctx, const uint8_t *t, uint32_t tlen,
		       uint8_t *rb, uint32_t rcap)
{
	(void)ctx;
	if (!batch_on)
		return -P9_ENOTSUP;
	batches_sent++;
	return p9srv_serve_batch(&srv, c1, t, tlen, rb, rcap);
}

/* The client's walk + open in one batch, clunks that wait for the next
 * batch (and go first before a Tread), and plain 9P when the server has
 * no batches. */
static int client_batches_and_later_clunks(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	CHECK(tfid(c1, P9_TCLUNK, 2) == P9_RCLUNK);
	static uint8_t ct[MSIZE], cr[MSIZE];
	static struct p9c cl;
	uint32_t later[P9C_LATER];
	int nlater = 0;
	cl = (struct p9c){ .rpc = loop_rpc, .batch = loop_batch,
			   .later = later, .nlater = &nlater, .t = ct,
			   .r = cr, .bufsize = MSIZE, .msize = MSIZE };
	const char *f = "f", *bad[] = { "f", "g" };
	int orc;
	struct p9_qid q;
	uint32_t fids = p9srv_nfids(&srv);
	CHECK(p9c_walk_open(&cl, 1, 10, 1, &f, &q, P9_OREAD, &orc) == 1);
	CHECK(orc == 0 && batches_sent == 1);
	CHECK(p9srv_read(&srv, c1, 10, 0, answered, 5) == 5);
	/* Partway: ENOTDIR's walk stops at f, nothing opened or left. */
	CHECK(p9c_walk_open(&cl, 1, 11, 2, bad, &q, P9_OREAD, &orc) == 1);
	CHECK(orc == -P9_ENOTSUP && p9srv_nfids(&srv) == fids + 1);
	/* The clunk waits, then goes with the next batchable request. */
	CHECK(p9c_clunk_later(&cl, 10) == 0 && nlater == 1);
	CHECK(p9srv_nfids(&srv) == fids + 1);
	struct p9_stat st;
	CHECK(p9c_stat(&cl, 1, &st) == 0 && nlater == 0);
	CHECK(p9srv_nfids(&srv) == fids);
	/* Before a Tread, the waiting clunks go on their own. */
	CHECK(p9c_walk_open(&cl, 1, 12, 1, &f, &q, P9_OREAD, &orc) == 1);
	CHECK(p9c_walk_open(&cl, 1, 13, 1, &f, &q, P9_OREAD, &orc) == 1);
	CHECK(p9c_clunk_later(&cl, 12) == 0);
	const uint8_t *data;
	CHECK(p9c_read_ref(&cl, 13, 0, 5, &data) == 5 && nlater == 0);
	CHECK(p9srv_nfids(&srv) == fids + 1);
	/* A full list is sent before the next waits; a fid clunked twice
	 * (a forked copy's list) is a harmless Rerror. */
	for (int i = 0; i < P9C_LATER + 1; i++)
		CHECK(p9c_clunk_later(&cl, 13) == 0);
	CHECK(nlater == 1);
	p9c_flush_later(&cl);
	CHECK(nlater == 0 && p9srv_nfids(&srv) == fids);
	/* No batches: plain 9P, and clunks at once. */
	batch_on = 0;
	CHECK(p9c_walk_open(&cl, 1, 14, 1, &f, &q, P9_OREAD, &orc) == 1);
	CHECK(orc == -P9_ENOTSUP && cl.batch == 0);
	CHECK(p9c_clunk_later(&cl, 14) == 0 && nlater == 0);
	CHECK(p9srv_nfids(&srv) == fids);
	batch_on = 1;
	return 0;
}

static int held_read_answered_later(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	uint16_t tag;
	CHECK(held_read(c1, 2, &tag) == 0);
	CHECK(p9srv_nheld(&srv) == 1 && last_held->type == P9_TREAD);
	CHECK(last_held->count == 100 && last_held->fid == 2);
	/* Other requests go on meanwhile. */
	CHECK(tread(c1, 2, 0, 100) == P9_RREAD && r.count == 5);
	CHECK(p9srv_respond_read(last_held, "later", 5) == 0);
	CHECK(p9srv_nheld(&srv) == 0 && answered_handle == 1000);
	struct p9_msg a;
	CHECK(p9_decode(answered, (size_t)answered_len, &a) == 0);
	CHECK(a.type == P9_RREAD && a.tag == tag && a.count == 5);
	CHECK(memcmp(a.data, "later", 5) == 0);
	/* An error answer, and a caller that gave up meanwhile. */
	CHECK(held_read(c1, 2, &tag) == 0);
	answer_rc = -P9_EINTR;
	CHECK(p9srv_respond_error(last_held, P9_EIO) == -P9_EINTR);
	CHECK(p9_decode(answered, (size_t)answered_len, &a) == 0);
	CHECK(a.type == P9_RERROR && a.tag == tag);
	CHECK(p9srv_nheld(&srv) == 0 && forgotten == 0 && dropped == 0);
	return 0;
}

static int held_read_flushed(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	uint16_t tag;
	CHECK(held_read(c1, 2, &tag) == 0);
	/* A flush of another tag, or on another connection, leaves it. */
	struct p9_msg t = { .type = P9_TFLUSH, .oldtag = (uint16_t)(tag + 1) };
	CHECK(rpc(c1, &t) == P9_RFLUSH && p9srv_nheld(&srv) == 1);
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	t.oldtag = tag;
	CHECK(rpc(c2, &t) == P9_RFLUSH && p9srv_nheld(&srv) == 1);
	CHECK(rpc(c1, &t) == P9_RFLUSH && p9srv_nheld(&srv) == 0);
	CHECK(forgotten == 1 && dropped == 1 && answered_len == 0);
	return 0;
}

static int held_read_ends_with_fid_conn_or_caller(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	uint16_t tag;
	/* Its fid clunked. */
	CHECK(held_read(c1, 2, &tag) == 0);
	CHECK(tfid(c1, P9_TCLUNK, 2) == P9_RCLUNK);
	CHECK(p9srv_nheld(&srv) == 0 && forgotten == 1 && dropped == 1);
	/* Its caller gone: the cookie cancels it once, a stale one nothing. */
	CHECK(walk(c1, 1, 2, 1, (const char *[]){ "f" }) == P9_RWALK);
	CHECK(topen(c1, 2, P9_OREAD) == P9_ROPEN);
	CHECK(held_read(c1, 2, &tag) == 0);
	uint64_t cookie = p9srv_cookie(last_held);
	p9srv_cancel(&srv, cookie);
	CHECK(p9srv_nheld(&srv) == 0 && forgotten == 2 && dropped == 2);
	CHECK(held_read(c1, 2, &tag) == 0); /* the same slot, reused */
	p9srv_cancel(&srv, cookie);
	p9srv_cancel(&srv, 0xffff);
	CHECK(p9srv_nheld(&srv) == 1 && forgotten == 2);
	/* Its connection hung up: every held request of it goes. */
	CHECK(held_read(c1, 2, &tag) == 0);
	p9srv_hangup(&srv, c1);
	CHECK(p9srv_nheld(&srv) == 0 && forgotten == 4 && dropped == 4);
	CHECK(p9srv_nconns(&srv) == 1);
	return 0;
}

/* A sync (the wstat that changes nothing) held until the data is safe,
 * as a block driver does until its device's flush is done. */
static int hold_sync(void *ctx, void *node, const struct p9_stat *st)
{
	(void)ctx, (void)node, (void)st;
	struct p9srv_req *q = p9srv_hold(&srv);
	if (!q)
		return -P9_EBUSY;
	last_held = q;
	q->handle = 2000;
	return P9SRV_HELD;
}

static int held_sync_answered_later(void)
{
	CHECK(setup() == 0);
	CHECK(open_hello(c1, "f") == 0);
	ops.wstat = hold_sync;
	struct p9_stat st = blank();
	uint16_t tag = next_tag;
	CHECK(twstat(c1, 2, &st) == -1 && served == P9SRV_HELD);
	ops.wstat = ramfs_ops.wstat;
	CHECK(p9srv_nheld(&srv) == 1 && last_held->type == P9_TWSTAT);
	CHECK(p9srv_respond_wstat(last_held) == 0);
	struct p9_msg a;
	CHECK(p9_decode(answered, (size_t)answered_len, &a) == 0);
	CHECK(a.type == P9_RWSTAT && a.tag == tag && answered_handle == 2000);
	CHECK(p9srv_nheld(&srv) == 0);
	return 0;
}

/* n reads held fill the server: the next is refused (busy); a hangup
 * lets every one go. */
static int held_to_the_limit(int n)
{
	CHECK(open_hello(c1, "f") == 0);
	uint16_t tag;
	for (int i = 0; i < n; i++)
		CHECK(held_read(c1, 2, &tag) == 0);
	hold_reads = 1;
	CHECK(tread(c1, 2, 0, 10) == P9_RERROR && is_err("busy"));
	CHECK(p9srv_nheld(&srv) == (uint32_t)n);
	p9srv_hangup(&srv, c1);
	CHECK(p9srv_nheld(&srv) == 0 && dropped == n);
	return 0;
}

static int too_many_held(void)
{
	CHECK(setup() == 0);
	return held_to_the_limit(P9SRV_MAXHELD);
}

/* A server's own array of held requests: more than the default, and
 * the same refusal past its end. */
static int more_held_when_given(void)
{
	static struct p9srv_req mine[3 * P9SRV_MAXHELD];
	const int n = (int)(sizeof(mine) / sizeof(mine[0]));
	CHECK(setup() == 0);
	p9srv_set_held(&srv, mine, (uint32_t)n);
	return held_to_the_limit(n);
}

static int malformed_input(void)
{
	CHECK(setup() == 0);
	const char *abc[] = { "a", "b", "c" };
	struct p9_msg t = {
		.type = P9_TWALK, .tag = 77, .fid = 1, .newfid = 2, .nwname = 3
	};
	for (int i = 0; i < 3; i++)
		t.wname[i] = p9_str(abc[i]);
	static uint8_t msg[256];
	long n = p9_encode(msg, sizeof(msg), &t);
	CHECK(n > 0);
	for (long len = 0; len < n; len++) {
		uint8_t *cut = malloc(len ? (size_t)len : 1);
		memcpy(cut, msg, (size_t)len);
		int type = raw(c1, cut, (size_t)len);
		free(cut);
		CHECK(type == P9_RERROR && is_err("malformed message"));
		CHECK(r.tag == (len >= 7 ? 77 : P9_NOTAG));
	}
	/* Garbage, with the size field right half the time. */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % 64;
		uint8_t *g = malloc(len ? len : 1);
		for (size_t j = 0; j < len; j++)
			g[j] = (uint8_t)rand();
		if (len >= 5 && rand() % 2) {
			g[0] = (uint8_t)len, g[1] = g[2] = g[3] = 0;
			g[4] = (uint8_t)(100 + rand() % 28);
			/* These could be valid and change the state. */
			if (g[4] == P9_TVERSION || g[4] == P9_TFLUSH ||
			    g[4] == P9_TCLUNK || g[4] == P9_TREMOVE ||
			    g[4] == P9_TATTACH || g[4] == P9_TWALK)
				g[4] = P9_RCLUNK;
		}
		int type = raw(c1, g, len);
		free(g);
		CHECK(type == P9_RERROR);
	}
	/* An R-message is not a request. */
	struct p9_msg rc = { .type = P9_RCLUNK };
	CHECK(rpc(c1, &rc) == P9_RERROR);
	/* The connection still works. */
	CHECK(tfid(c1, P9_TSTAT, 1) == P9_RSTAT);
	CHECK(walk(c1, 1, 2, 0, 0) == P9_RWALK);
	/* A tiny reply buffer is refused outright. */
	CHECK(p9srv_serve(&srv, c1, msg, (size_t)n, rbuf, 100) ==
	      STATUS_ERR_RANGE);
	return 0;
}

static int connections_and_hangup(void)
{
	CHECK(setup() == 0);
	uint64_t c3;
	CHECK(p9srv_connect(&srv, &c3) == STATUS_ERR_QUOTA);
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	/* c2 does not see c1's fid 1, and has its own. */
	CHECK(tfid(c2, P9_TSTAT, 1) == P9_RERROR && is_err("unknown fid"));
	CHECK(attach(c2, 1, "metta") == P9_RATTACH);
	CHECK(walk(c2, 1, 2, 0, 0) == P9_RWALK);
	CHECK(tcreate(c2, 2, "tmp", 0600, P9_OWRITE | P9_ORCLOSE) ==
	      P9_RCREATE);
	CHECK(walk(c2, 1, 3, 0, 0) == P9_RWALK);
	CHECK(tfid(c1, P9_TCLUNK, 1) == P9_RCLUNK);
	CHECK(tfid(c2, P9_TSTAT, 1) == P9_RSTAT);
	CHECK(attach(c1, 1, "metta") == P9_RATTACH);
	CHECK(walk1(c1, 1, 5, "tmp") == P9_RWALK);
	CHECK(tfid(c1, P9_TCLUNK, 5) == P9_RCLUNK);
	CHECK(fs.root->refs == 4); /* link, c1's fid 1, c2's fids 1 and 3 */
	/* Hangup clunks: the ORCLOSE file goes, references are dropped. */
	p9srv_hangup(&srv, c2);
	CHECK(fs.root->refs == 2);
	CHECK(walk1(c1, 1, 5, "tmp") == P9_RERROR);
	CHECK(tfid(c2, P9_TSTAT, 1) == P9_RERROR &&
	      is_err("unknown connection"));
	CHECK(p9srv_connect(&srv, &c3) == 0 && c3 != c2 && c3 != c1);
	CHECK(tfid(c3, P9_TSTAT, 1) == P9_RERROR);
	/* Too many fids. */
	CHECK(version(c3, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c3, 0, "bob") == P9_RATTACH);
	for (uint32_t f = 1; f < 16; f++)
		CHECK(walk(c3, 0, f, 0, 0) == P9_RWALK);
	CHECK(walk(c3, 0, 16, 0, 0) == P9_RERROR && is_err("too many fids"));
	CHECK(attach(c3, 16, "bob") == P9_RERROR && is_err("too many fids"));
	CHECK(fs.root->refs == 2 + 16);
	p9srv_hangup(&srv, c3);
	CHECK(fs.root->refs == 2);
	return 0;
}

/* Each open, read, write and clunk op is told its fid (op_conn,
 * op_fid): what it saw last. */
static uint64_t seen_conn;
static uint32_t seen_fid;
static int seen_clunks;

static void saw(void)
{
	seen_conn = srv.op_conn;
	seen_fid = srv.op_fid;
}

static int seeing_open(void *ctx, void *node, uint8_t mode)
{
	saw();
	return ramfs_ops.open ? ramfs_ops.open(ctx, node, mode) : 0;
}

static long seeing_read(void *ctx, void *node, uint64_t off, void *buf,
			uint32_t count)
{
	saw();
	return ramfs_ops.read(ctx, node, off, buf, count);
}

static long seeing_write(void *ctx, void *node, uint64_t off,
			 const void *data, uint32_t count)
{
	saw();
	return ramfs_ops.write(ctx, node, off, data, count);
}

static void seeing_clunk(void *ctx, void *node, uint8_t mode)
{
	saw();
	seen_clunks++;
	if (ramfs_ops.clunk)
		ramfs_ops.clunk(ctx, node, mode);
}

static int ops_know_their_fid(void)
{
	CHECK(setup() == 0);
	ops.open = seeing_open;
	ops.read = seeing_read;
	ops.write = seeing_write;
	ops.clunk = seeing_clunk;
	CHECK(walk(c1, 1, 7, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 7, "f", 0600, P9_ORDWR) == P9_RCREATE);
	CHECK(walk1(c1, 1, 8, "f") == P9_RWALK);
	CHECK(topen(c1, 8, P9_ORDWR) == P9_ROPEN);
	CHECK(seen_conn == c1 && seen_fid == 8);
	CHECK(twrite(c1, 7, 0, "x") == P9_RWRITE);
	CHECK(seen_conn == c1 && seen_fid == 7);
	CHECK(tread(c1, 8, 0, 1) == P9_RREAD);
	CHECK(seen_conn == c1 && seen_fid == 8);
	CHECK(tfid(c1, P9_TCLUNK, 7) == P9_RCLUNK);
	CHECK(seen_conn == c1 && seen_fid == 7 && seen_clunks == 1);
	/* A hangup clunks each fid left, naming it. */
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c2, 3, "metta") == P9_RATTACH);
	p9srv_hangup(&srv, c2);
	CHECK(seen_conn == c2 && seen_fid == 3 && seen_clunks == 2);
	ops = ramfs_ops;
	return 0;
}

static int wstat_rules(void)
{
	CHECK(setup() == 0);
	CHECK(make_abf() == 0);
	CHECK(version(c2, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c2, 1, "alice") == P9_RATTACH);
	const char *abf[] = { "a", "b", "f" };
	CHECK(walk(c1, 1, 2, 3, abf) == P9_RWALK);
	CHECK(walk(c2, 1, 2, 3, abf) == P9_RWALK);
	/* Only the owner changes mode and name. */
	struct p9_stat w = blank();
	w.mode = 0666;
	CHECK(twstat(c2, 2, &w) == P9_RERROR &&
	      is_err("operation not permitted"));
	w = blank();
	w.name = p9_str("g");
	CHECK(twstat(c2, 2, &w) == P9_RERROR);
	CHECK(twstat(c1, 2, &w) == P9_RWSTAT);
	CHECK(tfid(c2, P9_TSTAT, 2) == P9_RSTAT &&
	      p9_str_eq(rstat().name, "g"));
	/* Renaming onto an existing name: file exists, nothing changes. */
	const char *ab[] = { "a", "b" };
	CHECK(walk(c1, 1, 3, 2, ab) == P9_RWALK);
	CHECK(tcreate(c1, 3, "h", 0644, P9_OWRITE) == P9_RCREATE);
	w.name = p9_str("h");
	CHECK(twstat(c1, 2, &w) == P9_RERROR && is_err("file exists"));
	w.name = p9_str("a/b");
	CHECK(twstat(c1, 2, &w) == P9_RERROR);
	CHECK(tfid(c1, P9_TSTAT, 2) == P9_RSTAT &&
	      p9_str_eq(rstat().name, "g"));
	/* Length: anyone who may write; never a directory's. */
	w = blank();
	w.length = 2;
	CHECK(twstat(c2, 2, &w) == P9_RERROR && is_err("permission denied"));
	CHECK(twstat(c1, 2, &w) == P9_RWSTAT);
	CHECK(tfid(c1, P9_TSTAT, 2) == P9_RSTAT && rstat().length == 2);
	CHECK(twstat(c1, 1, &w) == P9_RERROR && is_err("is a directory"));
	/* Owner, qid and the directory bit cannot change. */
	w = blank();
	w.uid = p9_str("alice");
	CHECK(twstat(c1, 2, &w) == P9_RERROR);
	w = blank();
	w.qid.path = 12345;
	CHECK(twstat(c1, 2, &w) == P9_RERROR);
	w = blank();
	w.mode = P9_DMDIR | 0777;
	CHECK(twstat(c1, 2, &w) == P9_RERROR);
	/* A wstat of nothing is a sync. */
	w = blank();
	CHECK(twstat(c2, 2, &w) == P9_RWSTAT);
	return 0;
}

/* A synthetic tree: /dev/null-like "zero", /proc/N/{status,ctl}, and
 * /proc/meminfo, a file of the dynamic directory itself. */
static long read_status(void *ctx, const struct p9synth_entry *e, uint64_t inst,
			uint64_t off, void *buf, uint32_t count)
{
	char s[32];
	(void)ctx, (void)e;
	int n =
	    snprintf(s, sizeof(s), "process %llu\n", (unsigned long long)inst);
	if (off >= (uint64_t)n)
		return 0;
	if (count > n - off)
		count = (uint32_t)(n - off);
	memcpy(buf, s + off, count);
	return count;
}

static char written[64];
static long write_ctl(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t off, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)off;
	snprintf(written, sizeof(written), "%llu:%.*s",
		 (unsigned long long)inst, (int)count, (const char *)data);
	return count;
}

static const uint64_t pids[] = { 1, 7, 42 };
static int proc_list(void *ctx, uint32_t index, char *name, uint64_t *inst)
{
	(void)ctx;
	if (index >= 3)
		return 0;
	*inst = pids[index];
	snprintf(name, P9SYNTH_NAMEMAX + 1, "%llu", (unsigned long long)*inst);
	return 1;
}

static int proc_name(void *ctx, uint64_t inst, char *name)
{
	(void)ctx;
	for (int i = 0; i < 3; i++)
		if (pids[i] == inst) {
			snprintf(name, P9SYNTH_NAMEMAX + 1, "%llu",
				 (unsigned long long)inst);
			return 0;
		}
	return -P9_ENOENT;
}

static int proc_lookup(void *ctx, struct p9_str name, uint64_t *inst)
{
	char s[24];
	for (int i = 0; i < 3; i++) {
		proc_name(ctx, pids[i], s);
		if (p9_str_eq(name, s)) {
			*inst = pids[i];
			return 0;
		}
	}
	return -P9_ENOENT;
}

static const struct p9synth_dyn procs = { proc_list, proc_lookup, proc_name };

static const struct p9synth_entry table[] = {
	{ "/", 1, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "zero", 2, 0444, 0, 0, 0, 0, 0 },
	{ "proc", 3, P9_DMDIR | 0555, 0, 0, 0, 0, &procs },
	{ "status", 4, 0444, 2, read_status, 0, 0, 0 },
	{ "ctl", 5, 0222, 2, 0, write_ctl, 0, 0 },
	{ "meminfo", 6, P9SYNTH_FIXED | 0444, 2, read_status, 0, 0, 0 },
};

static int synthetic_tree(void)
{
	static struct p9synth syn;
	p9synth_init(&syn, table, 6, "metta", 0);
	p9srv_init(&srv, &p9synth_ops, &syn, MSIZE, P9SRV_STORAGE_ARGS(store));
	CHECK(p9srv_connect(&srv, &c1) == 0);
	CHECK(version(c1, MSIZE, "9P2000") == P9_RVERSION);
	CHECK(attach(c1, 1, "alice") == P9_RATTACH);
	const char *p7s[] = { "proc", "7", "status" };
	CHECK(walk(c1, 1, 2, 3, p7s) == P9_RWALK && r.nwqid == 3);
	CHECK(r.wqid[1].type == P9_QTDIR && r.wqid[2].type == P9_QTFILE);
	uint64_t dir7 = r.wqid[1].path;
	CHECK(topen(c1, 2, P9_OREAD) == P9_ROPEN);
	CHECK(tread(c1, 2, 0, 100) == P9_RREAD && r.count == 10);
	CHECK(memcmp(r.data, "process 7\n", 10) == 0);
	const char *p42c[] = { "proc", "42", "ctl" };
	CHECK(walk(c1, 1, 3, 3, p42c) == P9_RWALK);
	CHECK(topen(c1, 3, P9_OREAD) == P9_RERROR);
	CHECK(topen(c1, 3, P9_OWRITE) == P9_ROPEN);
	CHECK(twrite(c1, 3, 0, "kill") == P9_RWRITE);
	CHECK(strcmp(written, "42:kill") == 0);
	const char *nope[] = { "proc", "8" };
	CHECK(walk(c1, 1, 4, 2, nope) == P9_RWALK && r.nwqid == 1);
	/* ".." from a template file is its instance directory. */
	const char *back[] = { "proc", "7", "..", "7", "..", "42" };
	CHECK(walk(c1, 1, 4, 6, back) == P9_RWALK && r.nwqid == 6);
	CHECK(r.wqid[3].path == dir7 && r.wqid[2].path == r.wqid[0].path);
	/* Walking on from a file is not possible. */
	const char *past[] = { "proc", "7", "status", ".." };
	CHECK(walk(c1, 1, 9, 4, past) == P9_RWALK && r.nwqid == 3);
	CHECK(tfid(c1, P9_TSTAT, 4) == P9_RSTAT &&
	      p9_str_eq(rstat().name, "42"));
	/* Directory listings: the root, the instances, an instance. */
	static char names[8][32];
	int k = 0;
	CHECK(walk(c1, 1, 5, 0, 0) == P9_RWALK && topen(c1, 5, 0) == P9_ROPEN);
	CHECK(tread(c1, 5, 0, MSIZE) == P9_RREAD);
	CHECK(entries(r.data, r.count, names, 8, &k) == 2);
	CHECK(!strcmp(names[0], "zero") && !strcmp(names[1], "proc"));
	k = 0;
	CHECK(walk1(c1, 1, 6, "proc") == P9_RWALK &&
	      topen(c1, 6, 0) == P9_ROPEN);
	CHECK(tread(c1, 6, 0, MSIZE) == P9_RREAD);
	CHECK(entries(r.data, r.count, names, 8, &k) == 4);
	CHECK(!strcmp(names[0], "meminfo") && !strcmp(names[1], "1") &&
	      !strcmp(names[3], "42"));
	k = 0;
	CHECK(topen(c1, 4, 0) == P9_ROPEN &&
	      tread(c1, 4, 0, MSIZE) == P9_RREAD);
	CHECK(entries(r.data, r.count, names, 8, &k) == 2);
	CHECK(!strcmp(names[0], "status") && !strcmp(names[1], "ctl"));
	/* The directory's own file, not repeated in its instances. */
	const char *mem[] = { "proc", "meminfo" };
	CHECK(walk(c1, 1, 10, 2, mem) == P9_RWALK && r.nwqid == 2);
	CHECK(r.wqid[1].type == P9_QTFILE && r.wqid[1].path == 6);
	CHECK(tfid(c1, P9_TSTAT, 10) == P9_RSTAT && rstat().mode == 0444);
	CHECK(topen(c1, 10, P9_OREAD) == P9_ROPEN);
	CHECK(tread(c1, 10, 0, 100) == P9_RREAD && r.count == 10);
	CHECK(memcmp(r.data, "process 0\n", 10) == 0);
	const char *inst_mem[] = { "proc", "7", "meminfo" };
	CHECK(walk(c1, 1, 11, 3, inst_mem) == P9_RWALK && r.nwqid == 2);
	/* Nothing can be created, removed or changed. */
	CHECK(walk(c1, 1, 7, 0, 0) == P9_RWALK);
	CHECK(tcreate(c1, 7, "x", 0666, 0) == P9_RERROR);
	CHECK(walk1(c1, 1, 8, "zero") == P9_RWALK);
	CHECK(tfid(c1, P9_TREMOVE, 8) == P9_RERROR);
	return 0;
}

int main(void)
{
	RUN(version_and_reset);
	RUN(walks);
	RUN(dotdot_stays_at_attach_root);
	RUN(open_modes_and_permissions);
	RUN(directory_reads);
	RUN(create_write_read_remove);
	RUN(clunked_fid_is_dead);
	RUN(flush_gets_rflush);
	RUN(held_read_answered_later);
	RUN(raw_read_and_write);
	RUN(batches);
	RUN(client_batches_and_later_clunks);
	RUN(held_read_flushed);
	RUN(held_read_ends_with_fid_conn_or_caller);
	RUN(held_sync_answered_later);
	RUN(too_many_held);
	RUN(more_held_when_given);
	RUN(malformed_input);
	RUN(connections_and_hangup);
	RUN(ops_know_their_fid);
	RUN(wstat_rules);
	RUN(hard_links);
	RUN(tree_version_moves);
	RUN(renames);
	RUN(rename_refusals);
	RUN(statfs_counts);
	RUN(memory_requests);
	RUN(synthetic_tree);
	return check_done();
}
