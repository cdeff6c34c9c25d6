/*
 * 9P2000 codec. Each message type is described once, as a string of field
 * letters; one walker reads or writes the fields, so encoder and decoder
 * cannot disagree about the layout.
 */
#include "9p/9p.h"

#include <metta/status.h>

#include "bytes/le.h"

/*
 * Field letters:
 *   m msize[4]   v version[s]  a afid[4]  u uname[s]  n aname[s]
 *   f fid[4]     F newfid[4]   e ename[s] o oldtag[2] W nwname[2] wname[s]*
 *   R nwqid[2] qid[13]*        q qid[13]  i iounit[4] M mode[1]
 *   x name[s]    p perm[4]     O offset[8] c count[4]
 *   D count[4] data[count]     S n[2] stat[n]
 *   y newname[s] L the fields of Rstatfs
 */
static const char *const layouts[] = {
	[P9_TVERSION - P9_TVERSION] = "mv",  [P9_RVERSION - P9_TVERSION] = "mv",
	[P9_TAUTH - P9_TVERSION] = "aun",    [P9_RAUTH - P9_TVERSION] = "q",
	[P9_TATTACH - P9_TVERSION] = "faun", [P9_RATTACH - P9_TVERSION] = "q",
	[P9_TERROR - P9_TVERSION] = 0,	     [P9_RERROR - P9_TVERSION] = "e",
	[P9_TFLUSH - P9_TVERSION] = "o",     [P9_RFLUSH - P9_TVERSION] = "",
	[P9_TWALK - P9_TVERSION] = "fFW",    [P9_RWALK - P9_TVERSION] = "R",
	[P9_TOPEN - P9_TVERSION] = "fM",     [P9_ROPEN - P9_TVERSION] = "qi",
	[P9_TCREATE - P9_TVERSION] = "fxpM", [P9_RCREATE - P9_TVERSION] = "qi",
	[P9_TREAD - P9_TVERSION] = "fOc",    [P9_RREAD - P9_TVERSION] = "D",
	[P9_TWRITE - P9_TVERSION] = "fOD",   [P9_RWRITE - P9_TVERSION] = "c",
	[P9_TCLUNK - P9_TVERSION] = "f",     [P9_RCLUNK - P9_TVERSION] = "",
	[P9_TREMOVE - P9_TVERSION] = "f",    [P9_RREMOVE - P9_TVERSION] = "",
	[P9_TSTAT - P9_TVERSION] = "f",	     [P9_RSTAT - P9_TVERSION] = "S",
	[P9_TWSTAT - P9_TVERSION] = "fS",    [P9_RWSTAT - P9_TVERSION] = "",
};

/* The extensions (9P2000.L's numbers, below Tversion): Tstatfs fid,
 * Tlink dfid fid name, Trenameat olddirfid oldname newdirfid newname. */
static const struct {
	uint8_t type;
	const char *layout;
} extensions[] = {
	{ P9_TSTATFS, "f" }, { P9_RSTATFS, "L" },      { P9_TLINK, "fFx" },
	{ P9_RLINK, "" },    { P9_TRENAMEAT, "fxFy" }, { P9_RRENAMEAT, "" },
};

static const char *layout(uint8_t type)
{
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (extensions[i].type == type)
			return extensions[i].layout;
	if (type < P9_TVERSION || type > P9_RWSTAT)
		return 0;
	return layouts[type - P9_TVERSION];
}

/* A position in a buffer; `bad` sticks once anything went out of bounds. */
struct cursor {
	uint8_t *w;	  /* encoding: writable buffer, else 0 */
	const uint8_t *r; /* decoding */
	size_t pos, len;
	int bad;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	if (c->bad || n > c->len - c->pos) {
		c->bad = 1;
		return 0;
	}
	const uint8_t *p = c->r + c->pos;
	c->pos += n;
	return p;
}

static uint8_t *put(struct cursor *c, size_t n)
{
	if (c->bad || n > c->len - c->pos) {
		c->bad = 1;
		return 0;
	}
	uint8_t *p = c->w + c->pos;
	c->pos += n;
	return p;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	switch (n) {
	case 1:
		return p[0];
	case 2:
		return le16(p);
	case 4:
		return le32(p);
	default:
		return le64(p);
	}
}

/* Read or write an n-byte integer, as the cursor's direction says.
 * Inline: each caller's constant n picks its width at compile time. */
static inline __attribute__((always_inline)) void num(struct cursor *c, void *field, int n)
{
	if (c->w) {
		uint64_t v = n == 1   ? *(uint8_t *)field
			     : n == 2 ? *(uint16_t *)field
			     : n == 4 ? *(uint32_t *)field
				      : *(uint64_t *)field;
		uint8_t *p = put(c, (size_t)n);
		if (p)
			put_le(p, v, n);
		return;
	}
	const uint8_t *p = take(c, (size_t)n);
	uint64_t v = p ? get_le(p, n) : 0;
	switch (n) {
	case 1:
		*(uint8_t *)field = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)field = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)field = (uint32_t)v;
		break;
	default:
		*(uint64_t *)field = v;
		break;
	}
}

/* n bytes of payload: copied out when encoding, pointed at when decoding. */
static void bytes(struct cursor *c, const uint8_t **field, size_t n)
{
	if (c->w) {
		uint8_t *p = put(c, n);
		if (p && n)
			__builtin_memcpy(p, *field, n);
		return;
	}
	*field = take(c, n);
}

static void str(struct cursor *c, struct p9_str *s)
{
	num(c, &s->len, 2);
	const uint8_t *p = (const uint8_t *)s->s;
	bytes(c, &p, s->len);
	if (c->w || c->bad)
		return;
	s->s = (const char *)p;
	for (uint16_t i = 0; i < s->len; i++)
		if (p[i] == 0)
			c->bad = 1; /* 9P strings never hold NUL */
}

static void qid(struct cursor *c, struct p9_qid *q)
{
	num(c, &q->type, 1);
	num(c, &q->version, 4);
	num(c, &q->path, 8);
}

static void statfs(struct cursor *c, struct p9_statfs *sf)
{
	num(c, &sf->type, 4);
	num(c, &sf->bsize, 4);
	num(c, &sf->blocks, 8);
	num(c, &sf->bfree, 8);
	num(c, &sf->bavail, 8);
	num(c, &sf->files, 8);
	num(c, &sf->ffree, 8);
	num(c, &sf->fsid, 8);
	num(c, &sf->namelen, 4);
}

static void field(struct cursor *c, char f, struct p9_msg *m)
{
	switch (f) {
	case 'm':
		num(c, &m->msize, 4);
		break;
	case 'v':
		str(c, &m->version);
		break;
	case 'a':
		num(c, &m->afid, 4);
		break;
	case 'u':
		str(c, &m->uname);
		break;
	case 'n':
		str(c, &m->aname);
		break;
	case 'f':
		num(c, &m->fid, 4);
		break;
	case 'F':
		num(c, &m->newfid, 4);
		break;
	case 'e':
		str(c, &m->ename);
		break;
	case 'o':
		num(c, &m->oldtag, 2);
		break;
	case 'q':
		qid(c, &m->qid);
		break;
	case 'i':
		num(c, &m->iounit, 4);
		break;
	case 'M':
		num(c, &m->mode, 1);
		break;
	case 'x':
		str(c, &m->name);
		break;
	case 'y':
		str(c, &m->newname);
		break;
	case 'L':
		statfs(c, &m->statfs);
		break;
	case 'p':
		num(c, &m->perm, 4);
		break;
	case 'O':
		num(c, &m->offset, 8);
		break;
	case 'c':
		num(c, &m->count, 4);
		break;
	case 'W':
		num(c, &m->nwname, 2);
		if (m->nwname > P9_MAXWELEM)
			c->bad = 1;
		for (uint16_t i = 0; i < m->nwname && !c->bad; i++)
			str(c, &m->wname[i]);
		break;
	case 'R':
		num(c, &m->nwqid, 2);
		if (m->nwqid > P9_MAXWELEM)
			c->bad = 1;
		for (uint16_t i = 0; i < m->nwqid && !c->bad; i++)
			qid(c, &m->wqid[i]);
		break;
	case 'D':
		num(c, &m->count, 4);
		bytes(c, &m->data, m->count);
		break;
	case 'S':
		num(c, &m->nstat, 2);
		bytes(c, &m->stat, m->nstat);
		break;
	}
}

static void fields(struct cursor *c, const char *lay, struct p9_msg *m)
{
	for (; *lay && !c->bad; lay++)
		field(c, *lay, m);
}

/* The stat entry inside Rstat/Twstat must be one whole, valid entry. */
static int stat_whole(const uint8_t *p, uint16_t n)
{
	struct p9_stat st;
	return p9_stat_decode(p, n, &st) == (long)n;
}

int p9_decode(const uint8_t *buf, size_t len, struct p9_msg *m)
{
	__builtin_memset(m, 0, sizeof(*m));
	if (len < P9_HEADER || le32(buf) != len)
		return STATUS_ERR_CORRUPT;
	m->type = buf[4];
	m->tag = le16(buf + 5);
	const char *lay = layout(m->type);
	if (!lay)
		return STATUS_ERR_CORRUPT;
	struct cursor c = { .r = buf, .pos = P9_HEADER, .len = len };
	fields(&c, lay, m);
	if (c.bad || c.pos != len)
		return STATUS_ERR_CORRUPT;
	if (m->stat && !stat_whole(m->stat, m->nstat))
		return STATUS_ERR_CORRUPT;
	return STATUS_OK;
}

long p9_encode(uint8_t *buf, size_t cap, const struct p9_msg *m)
{
	const char *lay = layout(m->type);
	if (!lay || m->nwname > P9_MAXWELEM || m->nwqid > P9_MAXWELEM)
		return STATUS_ERR_INVAL;
	struct cursor c = { .w = buf, .r = buf, .pos = P9_HEADER, .len = cap };
	if (cap < P9_HEADER)
		return STATUS_ERR_RANGE;
	/* The walker writes to the message only when decoding (c.w unset):
	 * no copy of it to encode (a copy was a third of a small encode). */
	fields(&c, lay, (struct p9_msg *)m);
	if (c.bad || c.pos > 0xffffffffu)
		return STATUS_ERR_RANGE;
	put_le(buf, c.pos, 4);
	buf[4] = m->type;
	put_le(buf + 5, m->tag, 2);
	return (long)c.pos;
}

uint32_t p9_peek_size(const uint8_t *buf, size_t len)
{
	return len < 4 ? 0 : le32(buf);
}

/* Fields of a stat after its size[2]; both directions, like fields(). */
static void stat_fields(struct cursor *c, struct p9_stat *st)
{
	num(c, &st->type, 2);
	num(c, &st->dev, 4);
	qid(c, &st->qid);
	num(c, &st->mode, 4);
	num(c, &st->atime, 4);
	num(c, &st->mtime, 4);
	num(c, &st->length, 8);
	str(c, &st->name);
	str(c, &st->uid);
	str(c, &st->gid);
	str(c, &st->muid);
}

long p9_stat_decode(const uint8_t *buf, size_t len, struct p9_stat *st)
{
	__builtin_memset(st, 0, sizeof(*st));
	if (len < 2 || (size_t)le16(buf) + 2 > len)
		return STATUS_ERR_CORRUPT;
	size_t end = (size_t)le16(buf) + 2;
	struct cursor c = { .r = buf, .pos = 2, .len = end };
	stat_fields(&c, st);
	if (c.bad || c.pos != end)
		return STATUS_ERR_CORRUPT;
	return (long)end;
}

long p9_stat_encode(uint8_t *buf, size_t cap, const struct p9_stat *st)
{
	struct p9_stat copy = *st;
	struct cursor c = { .w = buf, .r = buf, .pos = 2, .len = cap };
	if (cap < 2)
		return STATUS_ERR_RANGE;
	stat_fields(&c, &copy);
	if (c.bad || c.pos - 2 > 0xffff)
		return STATUS_ERR_RANGE;
	put_le(buf, c.pos - 2, 2);
	return (long)c.pos;
}

struct p9_str p9_str(const char *s)
{
	size_t n = 0;
	while (s[n] && n < 0xffff)
		n++;
	return (struct p9_str){ .len = (uint16_t)n, .s = s };
}

int p9_str_eq(struct p9_str s, const char *c)
{
	for (uint16_t i = 0; i < s.len; i++)
		if (c[i] != s.s[i] || c[i] == 0)
			return 0;
	return c[s.len] == 0;
}

uint32_t p9_negotiate(uint32_t ours, const struct p9_msg *t,
		      struct p9_str *version)
{
	/* "9P2000" or "9P2000.x": anything after a dot is ours to ignore. */
	struct p9_str v = t->version;
	int ok = v.len >= 6 && __builtin_memcmp(v.s, P9_VERSION, 6) == 0 &&
		 (v.len == 6 || v.s[6] == '.');
	*version = p9_str(ok ? P9_VERSION : "unknown");
	uint32_t msize = t->msize < ours ? t->msize : ours;
	return ok && msize >= P9_MINMSIZE ? msize : 0;
}
