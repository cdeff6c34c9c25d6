/* 4 KiB pipes and Unix-domain sockets as a 9P tree: see pipe.h. */
#include "pipe.h"

#include <string/kstring.h>

#include "9p/errstr.h"

void pipes_init(struct pipes *p, struct p9srv *srv, const char *owner,
		uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->srv = srv;
	p->owner = owner;
	p->nextid = 1;
	p->seed = seed;
	p->top = (struct pipe_node){ 0, 0 };
	for (int i = 0; i < MAX_CTL; i++) {
		p->ctl[i].next = p->freectl;
		p->freectl = &p->ctl[i];
	}
	srv->forget = pipes_forget;
}

uint32_t pipes_in_use(const struct pipes *p)
{
	uint32_t n = 0;
	for (int i = 0; i < MAX_PIPES; i++)
		n += p->pipe[i].refs != 0;
	return n;
}

uint32_t pipes_ctl_in_use(const struct pipes *p)
{
	uint32_t n = MAX_CTL;
	for (const struct pipe_ctl *c = p->freectl; c; c = c->next)
		n--;
	return n;
}

static int is_socket(const struct pipe *p)
{
	return p->kind >= PIPE_PAIR;
}

/* ---- rings ---- */

static uint32_t ring_room(const struct pipe_ring *r)
{
	return PIPE_BUF - r->len;
}

/* Copies n bytes from skip bytes past the head, taking nothing. */
static void ring_copy(const struct pipe_ring *r, uint32_t skip, uint8_t *out,
		      uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = r->data[(r->head + skip + i) % PIPE_BUF];
}

static void ring_drop(struct pipe_ring *r, uint32_t n)
{
	r->head = (r->head + n) % PIPE_BUF;
	r->len -= n;
	r->out += n;
}

/* Puts back bytes taken for a reader who gave up meanwhile. */
static void ring_unget(struct pipe_ring *r, const uint8_t *in, uint32_t n)
{
	for (uint32_t i = n; i > 0; i--) {
		r->head = (r->head + PIPE_BUF - 1) % PIPE_BUF;
		r->data[r->head] = in[i - 1];
	}
	r->len += n;
	r->out -= n;
}

static void ring_put_raw(struct pipe_ring *r, const uint8_t *in, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		r->data[(r->head + r->len + i) % PIPE_BUF] = in[i];
	r->len += n;
	r->in += n;
}

/* Puts n bytes (can_write said they fit), a message's with its length. */
static void ring_put(struct pipe_ring *r, const uint8_t *in, uint32_t n)
{
	if (r->pipe->dgram) {
		uint8_t h[DGRAM_HDR] = { (uint8_t)n, (uint8_t)(n >> 8) };
		ring_put_raw(r, h, DGRAM_HDR);
	}
	ring_put_raw(r, in, n);
}

/* How much of a write of n bytes can go now: all of an atomic one or
 * nothing, any part of a longer one; a message goes whole. */
static uint32_t can_write(const struct pipe_ring *r, uint32_t n)
{
	if (r->pipe->dgram)
		return ring_room(r) >= n + DGRAM_HDR ? n : 0;
	if (n <= PIPE_BUF)
		return ring_room(r) >= n ? n : 0;
	return ring_room(r);
}

/* Whether a read of the empty ring r is at the end: shut down, or no
 * writer and (a named pipe) there was one once; a read that does not
 * wait takes no writer as the end in any case, as Linux's O_NONBLOCK
 * read does. */
static int at_end(const struct pipe_ring *r, uint64_t offset)
{
	if (r->pipe->kind == PIPE_DGRAM)
		return r->rshut; /* senders come and go */
	return r->rshut || r->wshut ||
	       (!r->writers && (r->pipe->connected || (offset & PIPE_NOWAIT)));
}

/* Whether a write to r fails with EPIPE: its reader shut it, or no
 * reader and there was one. */
static int broken(const struct pipe_ring *r)
{
	return r->rshut || (!r->readers && r->pipe->connected);
}

/* ---- control records ---- */

static void unref_pipe(struct pipes *ps, struct pipe *p);
static void end_open(struct pipe_node *n, uint8_t mode);
static void end_close(struct pipes *ps, struct pipe_node *n, uint8_t mode);
static struct pipe *find_id(struct pipes *ps, uint32_t id);

/* Lets go of what c holds, and of c. */
static void ctl_free(struct pipes *ps, struct pipe_ctl *c)
{
	for (uint32_t i = 0; i < c->nhold; i++) {
		struct pipe_hold *h = &c->hold[i];
		end_close(ps, &h->pipe->nodes[h->which], h->mode);
		unref_pipe(ps, h->pipe);
	}
	c->nhold = 0;
	c->next = ps->freectl;
	ps->freectl = c;
}

static void ctl_free_all(struct pipes *ps, struct pipe_ctl **list)
{
	while (*list) {
		struct pipe_ctl *c = *list;
		*list = c->next;
		ctl_free(ps, c);
	}
}

/* A hex number at *s, up to a byte not a digit. */
static uint64_t hex_at(const uint8_t **s, const uint8_t *end)
{
	uint64_t v = 0;
	for (; *s < end; (*s)++) {
		uint8_t ch = **s;
		int d = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
						 : -1;
		if (d < 0)
			break;
		v = v << 4 | (uint64_t)d;
	}
	return v;
}

/* One SOCK_CTL_JOIN line [s, end): "j ID:KEY FILE MODE ...": the file
 * into h, or an errno. carrier: the pipe the record travels on. */
static long parse_hold(struct pipes *ps, const struct pipe *carrier,
		       const uint8_t *s, const uint8_t *end,
		       struct pipe_hold *h)
{
	s += 2;
	uint64_t id = hex_at(&s, end);
	if (s >= end || *s++ != ':')
		return -P9_EINVAL;
	uint64_t key = hex_at(&s, end);
	struct pipe *p = find_id(ps, (uint32_t)id);
	if (!p || p->key != key || p->kind == PIPE_LISTEN ||
	    p->kind == PIPE_DGRAM)
		return -P9_EBADF;
	if (p == carrier)
		return -P9_ETOOMANYREFS;
	if (end - s > 6 && memcmp(s, " data1 ", 7) == 0)
		h->which = 2, s += 7;
	else if (end - s > 5 && memcmp(s, " data ", 6) == 0)
		h->which = 1, s += 6;
	else
		return -P9_EINVAL;
	if (s >= end || *s < '0' || *s > '2')
		return -P9_EINVAL;
	h->pipe = p;
	h->mode = (uint8_t)(*s - '0');
	return 0;
}

/* The files c's record names, found (none held yet): 0 or an errno. */
static long find_holds(struct pipes *ps, const struct pipe *carrier,
		       struct pipe_ctl *c)
{
	const uint8_t *s = c->data, *end = c->data + c->len;
	c->nhold = 0;
	while (s < end) {
		const uint8_t *nl = s;
		while (nl < end && *nl != '\n')
			nl++;
		if (nl - s > 2 && s[0] == SOCK_CTL_JOIN && s[1] == ' ') {
			if (c->nhold == SOCK_CTL_FILES)
				return -P9_ETOOMANYREFS;
			long rc = parse_hold(ps, carrier, s, nl,
					     &c->hold[c->nhold]);
			if (rc)
				return rc;
			c->nhold++;
		}
		s = nl + 1;
	}
	return 0;
}

/* Drops r's records before position `before` (nobody will ask). */
static void ctl_drop(struct pipes *ps, struct pipe_ring *r, uint64_t before)
{
	while (r->ctl && r->ctl->at < before) {
		struct pipe_ctl *c = r->ctl;
		r->ctl = c->next;
		ctl_free(ps, c);
	}
}

/* How far a stream read may go from r->out: to the next record. */
static uint32_t ctl_limit(const struct pipe_ring *r, uint32_t n)
{
	for (const struct pipe_ctl *c = r->ctl; c; c = c->next)
		if (c->at > r->out)
			return c->at - r->out < n ? (uint32_t)(c->at - r->out)
						  : n;
	return n;
}

/* A record tied to the next byte written to r: 0 or an errno. */
static long ctl_put(struct pipes *ps, struct pipe_ring *r, const void *data,
		    uint32_t len)
{
	uint32_t n = 0;
	struct pipe_ctl **at = &r->ctl;
	for (; *at; at = &(*at)->next)
		n++;
	if (r->pipe->kind == PIPE_DGRAM)
		return -P9_ENOTSUP;
	if (len > SOCK_CTL_MAX)
		return -P9_EMSGSIZE;
	if (!ps->freectl || n >= MAX_RING_CTL)
		return -P9_ENOBUFS;
	struct pipe_ctl *c = ps->freectl;
	c->len = len;
	memcpy(c->data, data, len);
	long rc = find_holds(ps, r->pipe, c);
	if (rc == 0 && (broken(r) || r->wshut))
		rc = -P9_EPIPE; /* (after the record's own errors, as Linux) */
	if (rc) {
		c->nhold = 0;
		return rc;
	}
	ps->freectl = c->next;
	c->next = 0;
	c->at = r->in;
	for (uint32_t i = 0; i < c->nhold; i++) {
		c->hold[i].pipe->refs++;
		end_open(&c->hold[i].pipe->nodes[c->hold[i].which],
			 c->hold[i].mode);
	}
	*at = c;
	return (long)len;
}

/* The record of the last read (it began at its position), taken: its
 * length (0: none) in buf. */
static long ctl_get(struct pipes *ps, struct pipe_ring *r, void *buf,
		    uint32_t count)
{
	ctl_drop(ps, r, r->last);
	struct pipe_ctl *c = r->ctl;
	if (!c || c->at != r->last || c->at >= r->out)
		return 0;
	uint32_t n = c->len < count ? c->len : count;
	memcpy(buf, c->data, n);
	r->ctl = c->next;
	if (c->nhold) { /* held until the reader has opened them */
		c->next = r->given;
		r->given = c;
	} else {
		ctl_free(ps, c);
	}
	return n;
}

/*
 * What a read of count bytes gets now (the ring has some): the bytes it
 * takes go to raw (a message whole, with its length), and *skip, *n say
 * where the reader's part of raw is. With peek nothing is taken. The
 * count of raw bytes taken (for ring_unget).
 */
static uint32_t take(struct pipes *ps, struct pipe_ring *r, uint8_t *raw,
		     uint32_t count, int peek, uint32_t *skip, uint32_t *n)
{
	uint32_t whole;
	if (!peek)
		ctl_drop(ps, r, r->out);
	if (r->pipe->dgram) {
		uint8_t h[DGRAM_HDR];
		ring_copy(r, 0, h, DGRAM_HDR);
		uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8;
		whole = DGRAM_HDR + len;
		*skip = DGRAM_HDR;
		*n = len < count ? len : count;
	} else {
		whole = ctl_limit(r, r->len < count ? r->len : count);
		*skip = 0;
		*n = whole;
	}
	ring_copy(r, 0, raw, whole);
	if (peek)
		return 0;
	r->last = r->out;
	ring_drop(r, whole);
	return whole;
}

/* ---- waiting requests ---- */


static uint32_t slot_of(struct pipes *ps, struct p9srv_req *q)
{
	return (uint32_t)(q - ps->srv->held);
}

/* Answers waiting reads while there are bytes (or end of file); 1 if any
 * went. */
static int wake_readers(struct pipes *ps, struct pipe_ring *r)
{
	static uint8_t raw[PIPE_BUF];
	int went = 0;
	while (r->rwait && (r->len || at_end(r, 0))) {
		struct p9srv_req *q = r->rwait;
		uint32_t skip = 0, n = 0, took = 0;
		if (r->len)
			took = take(ps, r, raw, q->count,
				    !!(q->offset & SOCK_PEEK), &skip, &n);
		p9srv_queue_remove(&r->rwait, q);
		if (p9srv_respond_read(q, raw + skip, n))
			ring_unget(r, raw, took); /* its reader gave up */
		went = 1;
	}
	return went;
}

/* Answers waiting writes while they fit (or no reader: EPIPE). */
static int wake_writers(struct pipes *ps, struct pipe_ring *r)
{
	int went = 0;
	while (r->wwait) {
		struct p9srv_req *q = r->wwait;
		uint32_t i = slot_of(ps, q), n = ps->held_len[i];
		if (!broken(r) && !((r->readers || r->pipe->kind == PIPE_CONN) &&
				    can_write(r, n)))
			break;
		p9srv_queue_remove(&r->wwait, q);
		if (broken(r)) {
			p9srv_respond_error(q, P9_EPIPE);
		} else {
			uint32_t k = can_write(r, n);
			ring_put(r, ps->held_data[i], k);
			p9srv_respond_write(q, k);
		}
		went = 1;
	}
	return went;
}

/* The readiness of a node for the interest (READY_IN, READY_OUT). */
static uint8_t readiness(struct pipe_node *n, uint64_t interest);

/* Answers the pipe's held readiness queries that have an answer now. */
static void wake_queries(struct pipe *p)
{
	struct p9srv_req **at = &p->qwait;
	while (*at) {
		struct p9srv_req *q = *at;
		uint8_t r = readiness(q->node, q->offset);
		if (!r) {
			at = &q->next;
			continue;
		}
		*at = q->next;
		q->next = 0;
		p9srv_respond_read(q, &r, 1);
	}
}

/* Lets whatever waits on r go, in the order each side came, until
 * nothing more can; then readiness queries. */
static void wake(struct pipes *ps, struct pipe_ring *r)
{
	while (wake_readers(ps, r) | wake_writers(ps, r))
		;
	wake_queries(r->pipe);
}

static void wake_both(struct pipes *ps, struct pipe *p)
{
	wake(ps, &p->ring[0]);
	wake(ps, &p->ring[1]);
}

void pipes_forget(struct p9srv_req *q)
{
	struct pipes *ps = q->s->ctx;
	struct pipe_node *n = q->node;
	struct pipe *p = n->pipe;
	for (int i = 0; i < 2; i++) {
		p9srv_queue_remove(&p->ring[i].rwait, q);
		p9srv_queue_remove(&p->ring[i].wwait, q);
	}
	p9srv_queue_remove(&p->qwait, q);
	/* A writer gone may let the next in line go. */
	wake_both(ps, p);
}

/* ---- pipes: made, found, freed ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A new pipe of a kind, named name (len 0: unnamed), with one reference;
 * 0 when MAX_PIPES are in use. */
static struct pipe *new_pipe(struct pipes *ps, int kind, const char *name,
			     uint16_t len)
{
	for (int i = 0; i < MAX_PIPES; i++) {
		struct pipe *p = &ps->pipe[i];
		if (p->refs)
			continue;
		memset(p, 0, sizeof(*p));
		p->refs = 1;
		p->id = ps->nextid++;
		p->key = mix(ps->seed ^ mix(p->id));
		p->kind = (uint8_t)kind;
		for (int k = 0; k < 3; k++)
			p->nodes[k] = (struct pipe_node){ p, k };
		p->ring[0].pipe = p->ring[1].pipe = p;
		memcpy(p->name, name, len);
		p->namelen = len;
		p->connected = kind == PIPE_PLAIN || kind == PIPE_PAIR ||
			       kind == PIPE_DGRAM;
		return p;
	}
	return 0;
}

/* The live pipe of a kind named name, or 0. */
static struct pipe *find_named(struct pipes *ps, int kind, const char *name,
			       uint16_t len)
{
	for (int i = 0; i < MAX_PIPES; i++) {
		struct pipe *p = &ps->pipe[i];
		if (p->refs && p->kind == kind && p->namelen == len &&
		    memcmp(p->name, name, len) == 0)
			return p;
	}
	return 0;
}

static struct pipe *find_id(struct pipes *ps, uint32_t id)
{
	for (int i = 0; i < MAX_PIPES; i++)
		if (ps->pipe[i].refs && ps->pipe[i].id == id)
			return &ps->pipe[i];
	return 0;
}

/* The live FIFO named name, with one more reference, or a new one. */
static struct pipe *named_pipe(struct pipes *ps, const char *name, uint16_t len)
{
	struct pipe *p = find_named(ps, PIPE_FIFO, name, len);
	if (!p)
		return new_pipe(ps, PIPE_FIFO, name, len);
	p->refs++;
	return p;
}

/* The last reference went: its records freed; a listener's queued
 * connections are refused (end of file, EPIPE), as Linux resets them. */
static void free_pipe(struct pipes *ps, struct pipe *p)
{
	for (int i = 0; i < 2; i++) {
		ctl_free_all(ps, &p->ring[i].ctl);
		ctl_free_all(ps, &p->ring[i].given);
	}
	for (uint32_t i = 0; i < p->nbacklog; i++) {
		struct pipe *c = p->backlog[i];
		c->connected = 1;
		wake_both(ps, c);
		unref_pipe(ps, c);
	}
	p->nbacklog = 0;
}

static void unref_pipe(struct pipes *ps, struct pipe *p)
{
	if (--p->refs == 0)
		free_pipe(ps, p);
}

/* ---- attach ---- */

/* "T:PID" then, with name, ":NAME": 0 or EINVAL. */
static int parse_sock(struct p9_str s, char *type, int32_t *pid,
		      struct p9_str *name)
{
	uint32_t i = 2, v = 0;
	if (s.len < 3 || (s.s[0] != SOCK_STREAM_CH && s.s[0] != SOCK_DGRAM_CH) ||
	    s.s[1] != ':')
		return -P9_EINVAL;
	*type = s.s[0];
	for (; i < s.len && s.s[i] >= '0' && s.s[i] <= '9' && v < 100000000;
	     i++)
		v = v * 10 + (uint32_t)(s.s[i] - '0');
	*pid = (int32_t)v;
	if (!name)
		return i == s.len ? 0 : -P9_EINVAL;
	if (i + 1 >= s.len || s.s[i] != ':')
		return -P9_EINVAL;
	name->s = s.s + i + 1;
	name->len = (uint16_t)(s.len - i - 1);
	return name->len > FIFO_NAME_MAX ? -P9_ENAMETOOLONG : 0;
}

/* Whether aname is prefix followed by something; *rest the rest. */
static int prefixed(struct p9_str aname, const char *prefix,
		    struct p9_str *rest)
{
	size_t k = strlen(prefix);
	if (aname.len <= k || memcmp(aname.s, prefix, k) != 0)
		return 0;
	rest->s = aname.s + k;
	rest->len = (uint16_t)(aname.len - k);
	return 1;
}

static long attach_pair(struct pipes *ps, struct p9_str a, struct pipe **out)
{
	char type;
	int32_t pid;
	int rc = parse_sock(a, &type, &pid, 0);
	if (rc)
		return rc;
	struct pipe *p = new_pipe(ps, PIPE_PAIR, "", 0);
	if (!p)
		return -P9_ENOSPC;
	p->type = type;
	p->dgram = type == SOCK_DGRAM_CH;
	p->pid[0] = p->pid[1] = pid;
	*out = p;
	return 0;
}

/* "T:PID:NAME", and the live listener of NAME in *l (or 0). */
static int parse_listener(struct pipes *ps, struct p9_str a, char *type,
			  int32_t *pid, struct p9_str *name, struct pipe **l)
{
	int rc = parse_sock(a, type, pid, name);
	*l = rc ? 0 : find_named(ps, PIPE_LISTEN, name->s, name->len);
	return rc;
}

static long attach_listen(struct pipes *ps, struct p9_str a, struct pipe **out)
{
	char type;
	int32_t pid;
	struct p9_str name;
	struct pipe *l;
	int rc = parse_listener(ps, a, &type, &pid, &name, &l);
	if (rc || l)
		return rc ? rc : -P9_EADDRINUSE;
	struct pipe *p = new_pipe(ps, PIPE_LISTEN, name.s, name.len);
	if (!p)
		return -P9_ENOSPC;
	p->type = type;
	p->pid[0] = pid;
	*out = p;
	return 0;
}

static long attach_connect(struct pipes *ps, struct p9_str a,
			   struct pipe **out)
{
	char type;
	int32_t pid;
	struct p9_str name;
	struct pipe *l;
	int rc = parse_listener(ps, a, &type, &pid, &name, &l);
	if (rc)
		return rc;
	if (!l)
		return find_named(ps, PIPE_DGRAM, name.s, name.len)
			   ? -P9_EPROTOTYPE
			   : -P9_ECONNREFUSED;
	if (l->type != type)
		return -P9_EPROTOTYPE;
	struct pipe *p = new_pipe(ps, PIPE_CONN, "", 0);
	if (!p)
		return -P9_ENOSPC;
	p->type = type;
	p->dgram = type == SOCK_DGRAM_CH;
	p->pid[0] = l->pid[0];
	p->pid[1] = pid;
	p->lid = l->id;
	*out = p;
	return 0;
}

/* A bound datagram socket's ring (dbind), or a sender's way to it. */
static long attach_dgram(struct pipes *ps, struct p9_str a, int bind,
			 struct pipe **out)
{
	char type;
	int32_t pid;
	struct p9_str name;
	int rc = parse_sock(a, &type, &pid, &name);
	if (rc || type != SOCK_DGRAM_CH)
		return rc ? rc : -P9_EINVAL;
	struct pipe *p = find_named(ps, PIPE_DGRAM, name.s, name.len);
	if (bind) {
		if (p)
			return -P9_EADDRINUSE;
		if (!(p = new_pipe(ps, PIPE_DGRAM, name.s, name.len)))
			return -P9_ENOSPC;
		p->type = type;
		p->dgram = 1;
		p->pid[0] = pid;
	} else if (!p || !p->ring[0].readers) {
		return find_named(ps, PIPE_LISTEN, name.s, name.len)
			   ? -P9_EPROTOTYPE
			   : -P9_ECONNREFUSED;
	} else {
		p->refs++;
	}
	*out = p;
	return 0;
}

/* "ID:KEY" in hex: the live pipe, one more reference. */
static long attach_join(struct pipes *ps, struct p9_str a, struct pipe **out)
{
	uint64_t v[2] = { 0, 0 };
	int k = 0;
	for (uint32_t i = 0; i < a.len; i++) {
		char c = a.s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : -1;
		if (c == ':' && k == 0)
			k = 1;
		else if (d < 0 || v[k] >> 60)
			return -P9_EINVAL;
		else
			v[k] = v[k] << 4 | (uint64_t)d;
	}
	struct pipe *p = k ? find_id(ps, (uint32_t)v[0]) : 0;
	if (!p || p->key != v[1] || p->kind == PIPE_LISTEN ||
	    p->kind == PIPE_DGRAM)
		return -P9_ENOENT;
	p->refs++;
	*out = p;
	return 0;
}

/* "" is the top (a client's first attach: no pipe), PIPE_ANAME a new
 * pipe, FIFO_ANAME and a name a named pipe; then the sockets'. */
static int op_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **root)
{
	struct pipes *ps = ctx;
	struct pipe *p = 0;
	struct p9_str a;
	long rc = 0;
	(void)uname;
	if (aname.len == 0) {
		*root = &ps->top;
		return 0;
	}
	if (p9_str_eq(aname, PIPE_ANAME)) {
		p = new_pipe(ps, PIPE_PLAIN, "", 0);
	} else if (prefixed(aname, FIFO_ANAME, &a)) {
		if (a.len > FIFO_NAME_MAX)
			return -P9_ENAMETOOLONG;
		p = named_pipe(ps, a.s, a.len);
	} else if (prefixed(aname, SOCKPAIR_ANAME, &a)) {
		rc = attach_pair(ps, a, &p);
	} else if (prefixed(aname, LISTEN_ANAME, &a)) {
		rc = attach_listen(ps, a, &p);
	} else if (prefixed(aname, CONNECT_ANAME, &a)) {
		rc = attach_connect(ps, a, &p);
	} else if (prefixed(aname, DBIND_ANAME, &a)) {
		rc = attach_dgram(ps, a, 1, &p);
	} else if (prefixed(aname, DSEND_ANAME, &a)) {
		rc = attach_dgram(ps, a, 0, &p);
	} else if (prefixed(aname, JOIN_ANAME, &a)) {
		rc = attach_join(ps, a, &p);
	} else {
		return -P9_EINVAL; /* no such tree (and "fifo:" names none) */
	}
	if (rc)
		return (int)rc;
	if (!p)
		return -P9_ENOSPC;
	*root = &p->nodes[0];
	return 0;
}

/* ---- p9srv operations ---- */

/* A listener's SOCK_ACCEPT_NAME: its oldest connection, whose queue
 * reference the walk's node takes over. */
static int accept_one(struct pipe *l, void **child)
{
	if (!l->nbacklog)
		return -P9_EAGAIN;
	struct pipe *c = l->backlog[0];
	memmove(l->backlog, l->backlog + 1,
		(l->nbacklog - 1) * sizeof(l->backlog[0]));
	l->nbacklog--;
	*child = &c->nodes[0];
	return 0;
}

static int op_walk1(void *ctx, void *dir, struct p9_str name, void **child)
{
	(void)ctx;
	struct pipe_node *d = dir;
	if (!d->pipe) { /* the top: empty */
		if (!p9_str_eq(name, ".."))
			return -P9_ENOENT;
		*child = d;
		return 0;
	}
	if (d->pipe->kind == PIPE_LISTEN && p9_str_eq(name, SOCK_ACCEPT_NAME))
		return accept_one(d->pipe, child);
	int which = p9_str_eq(name, "data")	 ? 1
		    : p9_str_eq(name, "data1") ? 2
		    : p9_str_eq(name, "..")	 ? 0
						 : -1;
	if (which < 0 || (which == 2 && d->pipe->kind == PIPE_LISTEN))
		return -P9_ENOENT;
	d->pipe->refs++;
	*child = &d->pipe->nodes[which];
	return 0;
}

static const char *const names[3] = { "/", "data", "data1" };

static int op_stat(void *ctx, void *node, struct p9_stat *st)
{
	struct pipes *ps = ctx;
	struct pipe_node *n = node;
	memset(st, 0, sizeof(*st));
	st->qid.path = n->pipe ? (uint64_t)n->pipe->id << 2 | (uint64_t)n->which
			       : 0;
	if (n->which == 0) {
		st->qid.type = P9_QTDIR;
		st->mode = P9_DMDIR | 0555;
	} else {
		st->mode = 0666;
		st->length = n->pipe->ring[n->which - 1].len;
	}
	st->name = p9_str(names[n->which]);
	st->uid = st->gid = st->muid = p9_str(ps->owner);
	st->type = '|';
	return 0;
}

static void op_ref(void *ctx, void *node)
{
	(void)ctx;
	struct pipe *p = ((struct pipe_node *)node)->pipe;
	if (p)
		p->refs++;
}

static void op_unref(void *ctx, void *node)
{
	struct pipe *p = ((struct pipe_node *)node)->pipe;
	if (p)
		unref_pipe(ctx, p);
}

/* Whether p has one ring that both its files use. */
static int one_ring(const struct pipe *p)
{
	return p->kind == PIPE_FIFO || p->kind == PIPE_DGRAM;
}

/* The ring a file reads from, and the one it writes to. */
static struct pipe_ring *read_ring(struct pipe_node *n)
{
	return &n->pipe->ring[one_ring(n->pipe) ? 0 : n->which - 1];
}

static struct pipe_ring *write_ring(struct pipe_node *n)
{
	return &n->pipe->ring[one_ring(n->pipe) ? 0 : 2 - n->which];
}

static int reads(uint8_t mode)
{
	return (mode & 3) == P9_OREAD || (mode & 3) == P9_ORDWR;
}

static int writes(uint8_t mode)
{
	return (mode & 3) == P9_OWRITE || (mode & 3) == P9_ORDWR;
}

/* A client's open of its connection's `data1` queues it on the listener
 * (which may have gone, or be full). */
static int queue_connection(struct pipes *ps, struct pipe *c)
{
	struct pipe *l = find_id(ps, c->lid);
	if (!l || l->kind != PIPE_LISTEN)
		return -P9_ECONNREFUSED;
	if (l->nbacklog == MAX_BACKLOG)
		return -P9_EAGAIN;
	c->refs++; /* the queue's */
	c->lid = 0;
	l->backlog[l->nbacklog++] = c;
	wake_queries(l);
	return 0;
}

static int op_open(void *ctx, void *node, uint8_t mode)
{
	struct pipe_node *n = node;
	struct pipe *p = n->pipe;
	if (n->which == 0 || p->kind == PIPE_LISTEN)
		return 0;
	if (p->kind == PIPE_CONN && n->which == 2 && p->lid) {
		int rc = queue_connection(ctx, p);
		if (rc)
			return rc;
	}
	end_open(n, mode);
	struct pipe_ring *r = read_ring(n);
	if (!p->connected && ((r->readers && r->writers) ||
			      (p->kind == PIPE_CONN && n->which == 1))) {
		/* A named pipe's ends have met (or a connection was
		 * accepted): what waited for the other end goes, and from
		 * now on it is an ordinary pipe. */
		p->connected = 1;
		wake_both(ctx, p);
	}
	return 0;
}

/* A file of n's end opened with mode (a fid, or one in flight). */
static void end_open(struct pipe_node *n, uint8_t mode)
{
	if (reads(mode))
		read_ring(n)->readers++;
	if (writes(mode))
		write_ring(n)->writers++;
}

/* One gone: the last writer gone, readers see the end; the last reader
 * gone, writers get EPIPE. */
static void end_close(struct pipes *ps, struct pipe_node *n, uint8_t mode)
{
	if (reads(mode) && !--read_ring(n)->readers)
		wake(ps, read_ring(n));
	if (writes(mode) && !--write_ring(n)->writers)
		wake(ps, write_ring(n));
}

static void op_clunk(void *ctx, void *node, uint8_t mode)
{
	struct pipe_node *n = node;
	if (n->which == 0 || mode == P9_FID_CLOSED ||
	    n->pipe->kind == PIPE_LISTEN)
		return;
	end_close(ctx, n, mode);
}

/* A request that must wait: held in queue, or EAGAIN without waiting. */
static long wait_for(struct pipes *ps, struct p9srv_req **queue,
		     uint64_t offset)
{
	if (offset & PIPE_NOWAIT)
		return -P9_EAGAIN;
	struct p9srv_req *q = p9srv_hold(ps->srv);
	if (!q)
		return -P9_EBUSY;
	p9srv_queue_put(queue, q);
	return P9SRV_HELD;
}

/* Room for a write: a byte, or a message's length and a byte. */
static int has_room(const struct pipe_ring *w)
{
	return ring_room(w) > (w->pipe->dgram ? DGRAM_HDR : 0);
}

static uint8_t readiness(struct pipe_node *n, uint64_t interest)
{
	struct pipe *p = n->pipe;
	uint8_t ready = 0;
	if (p->kind == PIPE_LISTEN)
		return (interest & READY_IN) && p->nbacklog ? READY_IN : 0;
	if (interest & READY_IN) {
		struct pipe_ring *r = read_ring(n);
		ready |=
		    (r->len ? READY_IN : 0) | (at_end(r, 0) ? READY_HUP : 0);
	}
	if (interest & READY_OUT) {
		/* (a FIFO's writer with no reader ever: ERR, for ENXIO) */
		struct pipe_ring *w = write_ring(n);
		int noreader = broken(w) || (!w->readers && p->kind == PIPE_FIFO);
		ready |= (has_room(w) ? READY_OUT : 0) |
			 (noreader ? READY_ERR : 0);
	}
	return ready;
}

/* A readiness query: its answer (one byte), or held until there is one. */
static long query(struct pipes *ps, struct pipe_node *n, uint64_t offset,
		  uint8_t *buf)
{
	buf[0] = readiness(n, offset);
	if (buf[0] || (offset & PIPE_NOWAIT) ||
	    !(offset & (READY_IN | READY_OUT)))
		return 1;
	return wait_for(ps, &n->pipe->qwait, offset);
}

/* SOCK_INFO: who is at the other end, and how to join the pipe. */
static long info(struct pipe_node *n, void *buf, uint32_t count)
{
	struct sock_info si = { n->pipe->pid[n->which == 1 ? 1 : 0],
				n->pipe->id, n->pipe->key };
	if (n->pipe->kind == PIPE_LISTEN)
		si.peer_pid = 0;
	if (count < sizeof(si))
		return -P9_EINVAL;
	memcpy(buf, &si, sizeof(si));
	return sizeof(si);
}

static long op_read(void *ctx, void *node, uint64_t offset, void *buf,
		    uint32_t count)
{
	static uint8_t raw[PIPE_BUF];
	struct pipes *ps = ctx;
	struct pipe_node *n = node;
	if (count == 0)
		return 0;
	if (offset & READY_QUERY)
		return query(ctx, n, offset, buf);
	if (offset & SOCK_INFO)
		return info(n, buf, count);
	if (n->pipe->kind == PIPE_LISTEN)
		return -P9_EINVAL;
	struct pipe_ring *r = read_ring(n);
	if (offset & SOCK_CTL)
		return ctl_get(ps, r, buf, count);
	if (r->rwait || (r->len == 0 && !at_end(r, offset)))
		return wait_for(ctx, &r->rwait, offset);
	if (r->len == 0)
		return 0;
	uint32_t skip, got;
	take(ps, r, raw, count, !!(offset & SOCK_PEEK), &skip, &got);
	memcpy(buf, raw + skip, got);
	wake(ctx, r); /* room for waiting writers */
	return got;
}

/* SOCK_SHUT: no more reading (the other end's writes fail), no more
 * writing (the other end reads to the end). */
static long shut(struct pipes *ps, struct pipe_node *n, const uint8_t *how,
		 uint32_t count)
{
	if (count != 1 || !is_socket(n->pipe) || n->pipe->kind == PIPE_LISTEN)
		return -P9_EINVAL;
	if (how[0] & SOCK_SHUT_RD)
		read_ring(n)->rshut = 1;
	if (how[0] & SOCK_SHUT_WR)
		write_ring(n)->wshut = 1;
	wake_both(ps, n->pipe);
	return 1;
}

static long op_write(void *ctx, void *node, uint64_t offset, const void *data,
		     uint32_t count)
{
	struct pipes *ps = ctx;
	struct pipe_node *n = node;
	if (n->pipe->kind == PIPE_LISTEN)
		return -P9_EINVAL;
	if (offset & SOCK_SHUT)
		return shut(ps, n, data, count);
	if (offset & SOCK_RELEASE) {
		ctl_free_all(ps, &read_ring(n)->given);
		return count;
	}
	struct pipe_ring *r = write_ring(n);
	if (offset & SOCK_CTL)
		return is_socket(n->pipe) ? ctl_put(ps, r, data, count)
					  : -P9_EINVAL;
	if (broken(r) || r->wshut)
		return -P9_EPIPE;
	if (count == 0)
		return 0;
	if (n->pipe->dgram && count > PIPE_BUF - DGRAM_HDR)
		return -P9_EMSGSIZE;
	/* No reader yet (a named pipe never connected): it waits for one;
	 * a client's connection not yet accepted takes bytes. */
	int reader = r->readers || n->pipe->kind == PIPE_CONN;
	uint32_t now = r->wwait || !reader ? 0 : can_write(r, count);
	if (now) {
		ring_put(r, data, now);
		wake(ps, r); /* readers waiting for bytes */
		return now;
	}
	long rc = wait_for(ps, &r->wwait, offset);
	if (rc == P9SRV_HELD) {
		/* Keep what it will write (up to PIPE_BUF; a longer write is
		 * answered with what went, and the writer writes the rest). */
		uint32_t i = slot_of(ps, ps->srv->just_held);
		ps->held_len[i] = count < PIPE_BUF ? count : PIPE_BUF;
		memcpy(ps->held_data[i], data, ps->held_len[i]);
	}
	return rc;
}

static int op_readdir(void *ctx, void *dir, uint32_t index,
		      struct p9_stat *st)
{
	struct pipe_node *d = dir;
	if (index >= 2 || !d->pipe)
		return 0;
	return op_stat(ctx, &d->pipe->nodes[index + 1], st) == 0;
}

const struct p9srv_ops pipe_ops = {
	.attach = op_attach,
	.walk1 = op_walk1,
	.stat = op_stat,
	.ref = op_ref,
	.unref = op_unref,
	.open = op_open,
	.read = op_read,
	.readdir = op_readdir,
	.write = op_write,
	.clunk = op_clunk,
};
