/* 4 KiB pipes as a 9P tree: see pipe.h. */
#include "pipe.h"

#include <string/kstring.h>

#include "9p/errstr.h"

void pipes_init(struct pipes *p, struct p9srv *srv, const char *owner)
{
	memset(p, 0, sizeof(*p));
	p->srv = srv;
	p->owner = owner;
	p->nextid = 1;
	p->top = (struct pipe_node){ 0, 0 };
	srv->forget = pipes_forget;
}

uint32_t pipes_in_use(const struct pipes *p)
{
	uint32_t n = 0;
	for (int i = 0; i < MAX_PIPES; i++)
		n += p->pipe[i].refs != 0;
	return n;
}

/* ---- rings ---- */

static uint32_t ring_room(const struct pipe_ring *r)
{
	return PIPE_BUF - r->len;
}

static uint32_t ring_get(struct pipe_ring *r, uint8_t *out, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	for (uint32_t i = 0; i < n; i++)
		out[i] = r->data[(r->head + i) % PIPE_BUF];
	r->head = (r->head + n) % PIPE_BUF;
	r->len -= n;
	return n;
}

/* Puts back bytes taken for a reader who gave up meanwhile. */
static void ring_unget(struct pipe_ring *r, const uint8_t *in, uint32_t n)
{
	for (uint32_t i = n; i > 0; i--) {
		r->head = (r->head + PIPE_BUF - 1) % PIPE_BUF;
		r->data[r->head] = in[i - 1];
	}
	r->len += n;
}

static uint32_t ring_put(struct pipe_ring *r, const uint8_t *in, uint32_t n)
{
	if (n > ring_room(r))
		n = ring_room(r);
	for (uint32_t i = 0; i < n; i++)
		r->data[(r->head + r->len + i) % PIPE_BUF] = in[i];
	r->len += n;
	return n;
}

/* How much of a write of n bytes can go now: all of an atomic one or
 * nothing, any part of a longer one. */
static uint32_t can_write(const struct pipe_ring *r, uint32_t n)
{
	if (n <= PIPE_BUF)
		return ring_room(r) >= n ? n : 0;
	return ring_room(r);
}

/* ---- waiting requests ---- */

static void enqueue(struct p9srv_req **p, struct p9srv_req *q)
{
	while (*p)
		p = &(*p)->next;
	q->next = 0;
	*p = q;
}

static void dequeue(struct p9srv_req **p, struct p9srv_req *q)
{
	while (*p && *p != q)
		p = &(*p)->next;
	if (*p)
		*p = q->next;
	q->next = 0;
}

static uint32_t slot_of(struct pipes *ps, struct p9srv_req *q)
{
	return (uint32_t)(q - ps->srv->held);
}

/* Whether a read of the empty ring r is at the end: no writer, and
 * (a named pipe) there was one once; a read that does not wait takes no
 * writer as the end in any case, as Linux's O_NONBLOCK read does. */
static int at_end(const struct pipe_ring *r, uint64_t offset)
{
	return !r->writers && (r->pipe->connected || (offset & PIPE_NOWAIT));
}

/* Whether a write to r fails with EPIPE: no reader, and there was one. */
static int broken(const struct pipe_ring *r)
{
	return !r->readers && r->pipe->connected;
}

/* Answers waiting reads while there are bytes (or end of file); 1 if any
 * went. */
static int wake_readers(struct pipe_ring *r)
{
	static uint8_t buf[PIPE_BUF];
	int went = 0;
	while (r->rwait && (r->len || at_end(r, 0))) {
		struct p9srv_req *q = r->rwait;
		uint32_t n = ring_get(r, buf, q->count);
		dequeue(&r->rwait, q);
		if (p9srv_respond_read(q, buf, n))
			ring_unget(r, buf, n); /* its reader gave up */
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
		if (!broken(r) && !(r->readers && can_write(r, n)))
			break;
		dequeue(&r->wwait, q);
		if (broken(r))
			p9srv_respond_error(q, P9_EPIPE);
		else
			p9srv_respond_write(
			    q, ring_put(r, ps->held_data[i], can_write(r, n)));
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
	while (wake_readers(r) | wake_writers(ps, r))
		;
	wake_queries(r->pipe);
}

void pipes_forget(struct p9srv_req *q)
{
	struct pipes *ps = q->s->ctx;
	struct pipe_node *n = q->node;
	struct pipe *p = n->pipe;
	for (int i = 0; i < 2; i++) {
		dequeue(&p->ring[i].rwait, q);
		dequeue(&p->ring[i].wwait, q);
	}
	dequeue(&p->qwait, q);
	/* A writer gone may let the next in line go. */
	wake(ps, &p->ring[0]);
	wake(ps, &p->ring[1]);
}

/* ---- p9srv operations ---- */

/* A new pipe named name (len 0: unnamed), with one reference; 0 when
 * MAX_PIPES are in use. */
static struct pipe *new_pipe(struct pipes *ps, const char *name, uint16_t len)
{
	for (int i = 0; i < MAX_PIPES; i++) {
		struct pipe *p = &ps->pipe[i];
		if (p->refs)
			continue;
		memset(p, 0, sizeof(*p));
		p->refs = 1;
		p->id = ps->nextid++;
		for (int k = 0; k < 3; k++)
			p->nodes[k] = (struct pipe_node){ p, k };
		p->ring[0].pipe = p->ring[1].pipe = p;
		memcpy(p->name, name, len);
		p->namelen = len;
		p->connected = len == 0;
		return p;
	}
	return 0;
}

/* The live pipe named name, with one more reference, or a new one. */
static struct pipe *named_pipe(struct pipes *ps, const char *name, uint16_t len)
{
	for (int i = 0; i < MAX_PIPES; i++) {
		struct pipe *p = &ps->pipe[i];
		if (p->refs && p->namelen == len &&
		    memcmp(p->name, name, len) == 0) {
			p->refs++;
			return p;
		}
	}
	return new_pipe(ps, name, len);
}

/* "" is the top (a client's first attach: no pipe), PIPE_ANAME a new
 * pipe, FIFO_ANAME and a name a named pipe. */
static int op_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **root)
{
	struct pipes *ps = ctx;
	const size_t k = sizeof(FIFO_ANAME) - 1;
	struct pipe *p;
	(void)uname;
	if (aname.len == 0) {
		*root = &ps->top;
		return 0;
	}
	if (p9_str_eq(aname, PIPE_ANAME)) {
		p = new_pipe(ps, "", 0);
	} else if (aname.len > k && memcmp(aname.s, FIFO_ANAME, k) == 0) {
		if (aname.len - k > FIFO_NAME_MAX)
			return -P9_ENAMETOOLONG;
		p = named_pipe(ps, aname.s + k, (uint16_t)(aname.len - k));
	} else {
		return -P9_EINVAL; /* no such tree (and "fifo:" names none) */
	}
	if (!p)
		return -P9_ENOSPC;
	*root = &p->nodes[0];
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
	int which = p9_str_eq(name, "data")	 ? 1
		    : p9_str_eq(name, "data1") ? 2
		    : p9_str_eq(name, "..")	 ? 0
						 : -1;
	if (which < 0)
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
	(void)ctx;
	struct pipe *p = ((struct pipe_node *)node)->pipe;
	if (p)
		p->refs--;
}

/* The ring a file reads from, and the one it writes to (a named pipe
 * has one). */
static struct pipe_ring *read_ring(struct pipe_node *n)
{
	return &n->pipe->ring[n->pipe->namelen ? 0 : n->which - 1];
}

static struct pipe_ring *write_ring(struct pipe_node *n)
{
	return &n->pipe->ring[n->pipe->namelen ? 0 : 2 - n->which];
}

static int reads(uint8_t mode)
{
	return (mode & 3) == P9_OREAD || (mode & 3) == P9_ORDWR;
}

static int writes(uint8_t mode)
{
	return (mode & 3) == P9_OWRITE || (mode & 3) == P9_ORDWR;
}

static int op_open(void *ctx, void *node, uint8_t mode)
{
	struct pipe_node *n = node;
	if (n->which == 0)
		return 0;
	if (reads(mode))
		read_ring(n)->readers++;
	if (writes(mode))
		write_ring(n)->writers++;
	struct pipe_ring *r = read_ring(n);
	if (!n->pipe->connected && r->readers && r->writers) {
		/* A named pipe's ends have met: what waited for the other
		 * end goes, and from now on it is an ordinary pipe. */
		n->pipe->connected = 1;
		wake(ctx, r);
	}
	return 0;
}

static void op_clunk(void *ctx, void *node, uint8_t mode)
{
	struct pipe_node *n = node;
	if (n->which == 0 || mode == P9_FID_CLOSED)
		return;
	/* The last writer gone: readers see the end. The last reader gone:
	 * writers get EPIPE. */
	if (reads(mode) && !--read_ring(n)->readers)
		wake(ctx, read_ring(n));
	if (writes(mode) && !--write_ring(n)->writers)
		wake(ctx, write_ring(n));
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
	enqueue(queue, q);
	return P9SRV_HELD;
}

static uint8_t readiness(struct pipe_node *n, uint64_t interest)
{
	uint8_t ready = 0;
	if (interest & READY_IN) {
		struct pipe_ring *r = read_ring(n);
		ready |=
		    (r->len ? READY_IN : 0) | (at_end(r, 0) ? READY_HUP : 0);
	}
	if (interest & READY_OUT) {
		struct pipe_ring *w = write_ring(n);
		ready |= (ring_room(w) ? READY_OUT : 0) |
			 (w->readers ? 0 : READY_ERR);
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

static long op_read(void *ctx, void *node, uint64_t offset, void *buf,
		    uint32_t count)
{
	struct pipe_node *n = node;
	struct pipe_ring *r = read_ring(n);
	if (count == 0)
		return 0;
	if (offset & READY_QUERY)
		return query(ctx, n, offset, buf);
	if (r->rwait || (r->len == 0 && !at_end(r, offset)))
		return wait_for(ctx, &r->rwait, offset);
	long got = ring_get(r, buf, count);
	wake(ctx, r); /* room for waiting writers */
	return got;
}

static long op_write(void *ctx, void *node, uint64_t offset, const void *data,
		     uint32_t count)
{
	struct pipes *ps = ctx;
	struct pipe_node *n = node;
	struct pipe_ring *r = write_ring(n);
	if (broken(r))
		return -P9_EPIPE;
	if (count == 0)
		return 0;
	/* No reader yet (a named pipe never connected): it waits for one. */
	uint32_t now = r->wwait || !r->readers ? 0 : can_write(r, count);
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
