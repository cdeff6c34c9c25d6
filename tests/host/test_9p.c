/*
 * 9P2000 codec: every message type round-trips, stat entries round-trip,
 * and malformed or truncated messages are rejected without reading past
 * their end (ASan watches every decode of a truncated copy).
 */
#include <stdlib.h>

#include "check.h"
#include "9p/9p.h"
#include <metta/status.h>

static uint8_t buf[8192];

static struct p9_qid qid_a = { P9_QTDIR, 7, 0x1122334455667788ull };

/* Encode m, decode it again from an exactly sized heap copy. */
static int roundtrip(const struct p9_msg *m, struct p9_msg *out, uint8_t **copy)
{
	long n = p9_encode(buf, sizeof(buf), m);
	if (n < P9_HEADER)
		return -1;
	*copy = malloc((size_t)n);
	memcpy(*copy, buf, (size_t)n);
	/* Every strict prefix is a malformed message. */
	for (long cut = 0; cut < n; cut++) {
		uint8_t *p = malloc((size_t)cut + 1);
		memcpy(p, buf, (size_t)cut);
		struct p9_msg junk;
		int bad =
		    p9_decode(p, (size_t)cut, &junk) != STATUS_ERR_CORRUPT;
		free(p);
		if (bad)
			return -2;
	}
	return p9_decode(*copy, (size_t)n, out);
}

static int str_is(struct p9_str s, const char *c)
{
	return p9_str_eq(s, c);
}

static int qid_eq(struct p9_qid a, struct p9_qid b)
{
	return a.type == b.type && a.version == b.version && a.path == b.path;
}

static int version_and_auth(void)
{
	struct p9_msg m = { .type = P9_TVERSION,
			    .tag = P9_NOTAG,
			    .msize = 65536,
			    .version = p9_str("9P2000") };
	struct p9_msg o;
	uint8_t *c;
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.type == P9_TVERSION && o.tag == P9_NOTAG && o.msize == 65536);
	CHECK(str_is(o.version, "9P2000"));
	free(c);
	m = (struct p9_msg){ .type = P9_TAUTH,
			     .tag = 1,
			     .afid = 5,
			     .uname = p9_str("glenda"),
			     .aname = p9_str("") };
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.afid == 5 && str_is(o.uname, "glenda") && o.aname.len == 0);
	free(c);
	m = (struct p9_msg){ .type = P9_RAUTH, .tag = 1, .qid = qid_a };
	CHECK(roundtrip(&m, &o, &c) == 0 && qid_eq(o.qid, qid_a));
	free(c);
	return 0;
}

static int attach_error_flush(void)
{
	struct p9_msg m = { .type = P9_TATTACH,
			    .tag = 2,
			    .fid = 1,
			    .afid = P9_NOFID,
			    .uname = p9_str("u"),
			    .aname = p9_str("/") };
	struct p9_msg o;
	uint8_t *c;
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.fid == 1 && o.afid == P9_NOFID && str_is(o.aname, "/"));
	free(c);
	m = (struct p9_msg){ .type = P9_RATTACH, .tag = 2, .qid = qid_a };
	CHECK(roundtrip(&m, &o, &c) == 0 && qid_eq(o.qid, qid_a));
	free(c);
	m = (struct p9_msg){ .type = P9_RERROR,
			     .tag = 3,
			     .ename = p9_str("file does not exist") };
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(str_is(o.ename, "file does not exist"));
	free(c);
	m = (struct p9_msg){ .type = P9_TFLUSH, .tag = 4, .oldtag = 3 };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.oldtag == 3);
	free(c);
	m = (struct p9_msg){ .type = P9_RFLUSH, .tag = 4 };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.type == P9_RFLUSH);
	free(c);
	return 0;
}

static int walk(void)
{
	struct p9_msg m = {
		.type = P9_TWALK, .tag = 5, .fid = 1, .newfid = 2, .nwname = 3
	};
	m.wname[0] = p9_str("usr");
	m.wname[1] = p9_str("..");
	m.wname[2] = p9_str("lib");
	struct p9_msg o;
	uint8_t *c;
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.fid == 1 && o.newfid == 2 && o.nwname == 3);
	CHECK(str_is(o.wname[0], "usr") && str_is(o.wname[1], ".."));
	CHECK(str_is(o.wname[2], "lib"));
	free(c);
	m = (struct p9_msg){ .type = P9_RWALK, .tag = 5, .nwqid = 2 };
	m.wqid[0] = qid_a;
	m.wqid[1] = (struct p9_qid){ 0, 1, 42 };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.nwqid == 2);
	CHECK(qid_eq(o.wqid[0], qid_a) && o.wqid[1].path == 42);
	free(c);
	/* A walk of no names (clone a fid) is legal. */
	m = (struct p9_msg){
		.type = P9_TWALK, .tag = 6, .fid = 1, .newfid = 9
	};
	CHECK(roundtrip(&m, &o, &c) == 0 && o.nwname == 0 && o.newfid == 9);
	free(c);
	/* More than 16 names is refused both ways. */
	m.nwname = P9_MAXWELEM + 1;
	CHECK(p9_encode(buf, sizeof(buf), &m) == STATUS_ERR_INVAL);
	return 0;
}

static int open_create(void)
{
	struct p9_msg m = { .type = P9_TOPEN,
			    .tag = 7,
			    .fid = 3,
			    .mode = P9_ORDWR | P9_OTRUNC };
	struct p9_msg o;
	uint8_t *c;
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.fid == 3 && o.mode == (P9_ORDWR | P9_OTRUNC));
	free(c);
	m = (struct p9_msg){
		.type = P9_ROPEN, .tag = 7, .qid = qid_a, .iounit = 8168
	};
	CHECK(roundtrip(&m, &o, &c) == 0 && o.iounit == 8168);
	free(c);
	m = (struct p9_msg){ .type = P9_TCREATE,
			     .tag = 8,
			     .fid = 3,
			     .name = p9_str("new"),
			     .perm = P9_DMDIR | 0755,
			     .mode = P9_OREAD };
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(str_is(o.name, "new") && o.perm == (P9_DMDIR | 0755));
	free(c);
	m = (struct p9_msg){
		.type = P9_RCREATE, .tag = 8, .qid = qid_a, .iounit = 0
	};
	CHECK(roundtrip(&m, &o, &c) == 0 && qid_eq(o.qid, qid_a));
	free(c);
	return 0;
}

static int read_write(void)
{
	static const uint8_t data[] = "hello, 9P";
	struct p9_msg m = { .type = P9_TREAD,
			    .tag = 9,
			    .fid = 4,
			    .offset = 1ull << 40,
			    .count = 4096 };
	struct p9_msg o;
	uint8_t *c;
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.offset == 1ull << 40 && o.count == 4096);
	free(c);
	m = (struct p9_msg){
		.type = P9_RREAD, .tag = 9, .count = 9, .data = data
	};
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.count == 9 && memcmp(o.data, data, 9) == 0);
	free(c);
	m = (struct p9_msg){ .type = P9_TWRITE,
			     .tag = 10,
			     .fid = 4,
			     .offset = 3,
			     .count = 9,
			     .data = data };
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.offset == 3 && o.count == 9 && memcmp(o.data, data, 9) == 0);
	free(c);
	/* The IO header constant matches what Twrite really costs. */
	CHECK(p9_encode(buf, sizeof(buf), &m) == P9_IOHDR - 1 + 9);
	m = (struct p9_msg){ .type = P9_RWRITE, .tag = 10, .count = 9 };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.count == 9);
	free(c);
	return 0;
}

static int clunk_remove_stat(void)
{
	static const uint8_t types[] = { P9_TCLUNK, P9_TREMOVE, P9_TSTAT };
	struct p9_msg o;
	uint8_t *c;
	for (unsigned i = 0; i < sizeof(types); i++) {
		struct p9_msg m = { .type = types[i], .tag = 11, .fid = 6 };
		CHECK(roundtrip(&m, &o, &c) == 0 && o.fid == 6);
		free(c);
		m = (struct p9_msg){ .type = (uint8_t)(types[i] + 1),
				     .tag = 11 };
		if (m.type == P9_RSTAT)
			continue;
		CHECK(roundtrip(&m, &o, &c) == 0 && o.type == m.type);
		free(c);
	}
	return 0;
}

static struct p9_stat sample_stat(void)
{
	return (struct p9_stat){ .type = 1,
				 .dev = 2,
				 .qid = qid_a,
				 .mode = P9_DMDIR | 0755,
				 .atime = 100,
				 .mtime = 200,
				 .length = 0,
				 .name = p9_str("dir"),
				 .uid = p9_str("u"),
				 .gid = p9_str("g"),
				 .muid = p9_str("") };
}

static int stat_entries(void)
{
	struct p9_stat st = sample_stat(), back;
	uint8_t sb[256];
	long n = p9_stat_encode(sb, sizeof(sb), &st);
	CHECK(n == 2 + 2 + 4 + 13 + 4 + 4 + 4 + 8 + 5 + 3 + 3 + 2);
	CHECK(p9_stat_decode(sb, (size_t)n, &back) == n);
	CHECK(back.mode == st.mode && back.mtime == 200);
	CHECK(qid_eq(back.qid, qid_a) && str_is(back.name, "dir"));
	CHECK(str_is(back.uid, "u") && back.muid.len == 0);
	/* Too small a buffer, truncated or inflated entries are refused. */
	CHECK(p9_stat_encode(sb, 10, &st) == STATUS_ERR_RANGE);
	for (long cut = 0; cut < n; cut++)
		CHECK(p9_stat_decode(sb, (size_t)cut, &back) < 0);
	sb[0]++; /* size says one byte more than the fields use */
	sb[n] = 0;
	CHECK(p9_stat_decode(sb, (size_t)n + 1, &back) == STATUS_ERR_CORRUPT);

	/* Rstat and Twstat carry one whole entry. */
	n = p9_stat_encode(sb, sizeof(sb), &st);
	struct p9_msg m = {
		.type = P9_RSTAT, .tag = 12, .nstat = (uint16_t)n, .stat = sb
	};
	struct p9_msg o;
	uint8_t *c;
	CHECK(roundtrip(&m, &o, &c) == 0 && o.nstat == n);
	CHECK(p9_stat_decode(o.stat, o.nstat, &back) == n);
	free(c);
	m = (struct p9_msg){ .type = P9_TWSTAT,
			     .tag = 13,
			     .fid = 2,
			     .nstat = (uint16_t)n,
			     .stat = sb };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.fid == 2);
	free(c);
	m = (struct p9_msg){ .type = P9_RWSTAT, .tag = 13 };
	CHECK(roundtrip(&m, &o, &c) == 0);
	free(c);
	/* An Rstat whose entry is garbage is malformed as a whole. */
	sb[2] ^= 0xff;
	sb[0] = 3;
	m = (struct p9_msg){
		.type = P9_RSTAT, .tag = 12, .nstat = 5, .stat = sb
	};
	long len = p9_encode(buf, sizeof(buf), &m);
	CHECK(len > 0);
	CHECK(p9_decode(buf, (size_t)len, &o) == STATUS_ERR_CORRUPT);
	return 0;
}

/* Hand-made bad messages: each must be refused. */
static int malformed(void)
{
	struct p9_msg o;
	struct p9_msg m = { .type = P9_TCLUNK, .tag = 1, .fid = 1 };
	long n = p9_encode(buf, sizeof(buf), &m);
	CHECK(n == 11);
	CHECK(p9_decode(buf, (size_t)n, &o) == 0);
	/* size field disagrees with the length either way */
	buf[0] = 12;
	CHECK(p9_decode(buf, 11, &o) == STATUS_ERR_CORRUPT);
	buf[0] = 10;
	CHECK(p9_decode(buf, 11, &o) == STATUS_ERR_CORRUPT);
	buf[0] = 11;
	/* a byte left over after the fields */
	buf[0] = 12;
	buf[11] = 0;
	CHECK(p9_decode(buf, 12, &o) == STATUS_ERR_CORRUPT);
	buf[0] = 11;
	/* unknown types and Terror, which does not exist */
	for (int t = 0; t < 256; t++) {
		if (t >= P9_TVERSION && t <= P9_RWSTAT && t != P9_TERROR)
			continue;
		if (t == P9_TSTATFS) /* fid[4]: a well-formed Tstatfs */
			continue;
		buf[4] = (uint8_t)t;
		CHECK(p9_decode(buf, 11, &o) == STATUS_ERR_CORRUPT);
	}
	m.type = P9_TERROR;
	CHECK(p9_encode(buf, sizeof(buf), &m) == STATUS_ERR_INVAL);

	/* a string longer than the message */
	m = (struct p9_msg){ .type = P9_RERROR,
			     .tag = 1,
			     .ename = p9_str("x") };
	n = p9_encode(buf, sizeof(buf), &m);
	buf[7] = 200;
	CHECK(p9_decode(buf, (size_t)n, &o) == STATUS_ERR_CORRUPT);
	/* a NUL inside a string */
	buf[7] = 1;
	buf[9] = 0;
	CHECK(p9_decode(buf, (size_t)n, &o) == STATUS_ERR_CORRUPT);

	/* Twalk claiming 17 names */
	m = (struct p9_msg){
		.type = P9_TWALK, .tag = 1, .fid = 1, .newfid = 2
	};
	n = p9_encode(buf, sizeof(buf), &m);
	buf[15] = P9_MAXWELEM + 1;
	CHECK(p9_decode(buf, (size_t)n, &o) == STATUS_ERR_CORRUPT);
	/* Rread whose count runs past the end */
	static const uint8_t d[4] = "abc";
	m = (struct p9_msg){
		.type = P9_RREAD, .tag = 1, .count = 3, .data = d
	};
	n = p9_encode(buf, sizeof(buf), &m);
	buf[7] = 4;
	CHECK(p9_decode(buf, (size_t)n, &o) == STATUS_ERR_CORRUPT);
	buf[7] = 0xff;
	buf[10] = 0xff; /* count near 4 GiB must not wrap the bounds check */
	CHECK(p9_decode(buf, (size_t)n, &o) == STATUS_ERR_CORRUPT);
	/* too short for a header */
	CHECK(p9_decode(buf, 0, &o) == STATUS_ERR_CORRUPT);
	CHECK(p9_decode(buf, 6, &o) == STATUS_ERR_CORRUPT);
	/* encoding into too small a buffer */
	m = (struct p9_msg){ .type = P9_RERROR, .ename = p9_str("long text") };
	CHECK(p9_encode(buf, 12, &m) == STATUS_ERR_RANGE);
	CHECK(p9_encode(buf, 3, &m) == STATUS_ERR_RANGE);
	return 0;
}

/* 9P2000.L's Trenameat and Tstatfs, Metta's extensions (with Tlink). */
static int extensions(void)
{
	struct p9_msg o;
	uint8_t *c;
	struct p9_msg m = { .type = P9_TRENAMEAT,
			    .tag = 3,
			    .fid = 7,
			    .name = p9_str("old"),
			    .newfid = 9,
			    .newname = p9_str("new name") };
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.type == P9_TRENAMEAT && o.tag == 3 && o.fid == 7 &&
	      o.newfid == 9 && str_is(o.name, "old") &&
	      str_is(o.newname, "new name"));
	/* The layout is 9P2000.L's: olddirfid oldname newdirfid newname. */
	CHECK(c[4] == 74 && c[7] == 7 && c[11] == 3 &&
	      !memcmp(c + 13, "old", 3) && c[16] == 9 && c[20] == 8 &&
	      !memcmp(c + 22, "new name", 8));
	/* A NUL in the new name, a byte too many. */
	c[25] = 0;
	CHECK(p9_decode(c, 30, &o) == STATUS_ERR_CORRUPT);
	free(c);
	long n = p9_encode(buf, sizeof(buf), &m);
	buf[0]++;
	buf[n] = 'x';
	CHECK(p9_decode(buf, (size_t)n + 1, &o) == STATUS_ERR_CORRUPT);
	m = (struct p9_msg){ .type = P9_RRENAMEAT, .tag = 3 };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.type == P9_RRENAMEAT);
	free(c);
	m = (struct p9_msg){ .type = P9_TSTATFS, .tag = 4, .fid = 5 };
	CHECK(roundtrip(&m, &o, &c) == 0 && o.fid == 5);
	CHECK(c[4] == 8);
	free(c);
	struct p9_statfs sf = { .type = P9_STATFS_MAGIC,
				.bsize = 4096,
				.blocks = 1ull << 40,
				.bfree = 3,
				.bavail = 2,
				.files = 1000,
				.ffree = 999,
				.fsid = 0x0102030405060708ull,
				.namelen = 255 };
	m = (struct p9_msg){ .type = P9_RSTATFS, .tag = 4, .statfs = sf };
	CHECK(roundtrip(&m, &o, &c) == 0);
	CHECK(o.statfs.type == sf.type && o.statfs.bsize == sf.bsize &&
	      o.statfs.blocks == sf.blocks && o.statfs.bfree == sf.bfree &&
	      o.statfs.bavail == sf.bavail && o.statfs.files == sf.files &&
	      o.statfs.ffree == sf.ffree && o.statfs.fsid == sf.fsid &&
	      o.statfs.namelen == sf.namelen);
	CHECK(c[4] == 9 && c[0] == 7 + 60 && c[1] == 0);
	free(c);
	return 0;
}

static int negotiate(void)
{
	struct p9_str v;
	struct p9_msg t = { .type = P9_TVERSION,
			    .msize = 8192,
			    .version = p9_str("9P2000") };
	CHECK(p9_negotiate(65536, &t, &v) == 8192 && str_is(v, "9P2000"));
	t.msize = 1u << 20;
	CHECK(p9_negotiate(65536, &t, &v) == 65536);
	t.version = p9_str("9P2000.L");
	CHECK(p9_negotiate(65536, &t, &v) == 65536 && str_is(v, "9P2000"));
	t.version = p9_str("9P2000L");
	CHECK(p9_negotiate(65536, &t, &v) == 0 && str_is(v, "unknown"));
	t.version = p9_str("9P");
	CHECK(p9_negotiate(65536, &t, &v) == 0 && str_is(v, "unknown"));
	t.version = p9_str("9P2000");
	t.msize = 100;
	CHECK(p9_negotiate(65536, &t, &v) == 0);
	CHECK(p9_peek_size((const uint8_t *)"\x10\0\0\0", 4) == 16);
	CHECK(p9_peek_size((const uint8_t *)"\x10\0", 2) == 0);
	return 0;
}

int main(void)
{
	RUN(version_and_auth);
	RUN(attach_error_flush);
	RUN(walk);
	RUN(open_create);
	RUN(read_write);
	RUN(clunk_remove_stat);
	RUN(stat_entries);
	RUN(malformed);
	RUN(extensions);
	RUN(negotiate);
	return check_done();
}
