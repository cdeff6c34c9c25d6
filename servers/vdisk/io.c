/*
 * vdisk's requests: held 9P requests carried out by worker threads, each
 * with its own sessions with the drivers (lib/9p's client makes one call
 * at a time), so that several requests are in flight at once.
 *
 * Any byte offset and count: a worker reads and writes whole sectors,
 * reading first the partial sectors at the ends of a write (read, modify,
 * write). Two writes that touch a common sector are carried out in the
 * order they came: a write waits for every earlier one it overlaps.
 *
 * A request stays until the driver answered it. When the driver dies
 * under it (the session is lost), it goes back to the head of the queue,
 * keeping its place among overlapping writes, and is sent again once a
 * session with the restarted driver is made; its client sees only a
 * delay. Writes and flushes are answered only after the driver answered
 * them. Everything here runs under lib/9p's portal lock, except the
 * calls to the drivers.
 */
#include <metta.h>
#include <string/kstring.h>

#include "vdisk.h"

enum vreq_state { V_FREE, V_QUEUED, V_ACTIVE };

struct vreq {
	enum vreq_state state;
	enum vreq_op op;
	int dev;
	struct p9srv_req *q; /* 0 once its client gave up */
	uint64_t seq;	     /* arrival order, kept when resent */
	uint64_t off;	     /* bytes on the device */
	uint32_t len;
	uint8_t *data; /* a write's bytes (a buffer of wbuf) */
};

static struct vreq reqs[P9SRV_MAXHELD];
static uint8_t wbuf[VDISK_WBUFS][VDISK_IOUNIT];
static uint8_t wbuf_used[VDISK_WBUFS];
static uint64_t next_seq = 1;
static struct metta_await work; /* a request queued or a write done */

struct worker {
	struct client cl;
	struct part_table table; /* read by a rescan */
	uint8_t span[VDISK_SPAN];
	uint8_t stack[16384] __attribute__((aligned(16)));
};
static struct worker workers[VDISK_WORKERS];

static uint8_t *wbuf_get(void)
{
	for (int i = 0; i < VDISK_WBUFS; i++)
		if (!wbuf_used[i]) {
			wbuf_used[i] = 1;
			return wbuf[i];
		}
	return 0;
}

static void vreq_free(struct vreq *v)
{
	if (v->data)
		wbuf_used[(v->data - wbuf[0]) / VDISK_IOUNIT] = 0;
	*v = (struct vreq){ .state = V_FREE };
}

int io_submit(struct p9srv_req *q, enum vreq_op op, int dev, uint64_t off,
	      uint32_t len, const void *data)
{
	struct vreq *v = 0;
	for (int i = 0; !v && i < P9SRV_MAXHELD; i++)
		if (reqs[i].state == V_FREE)
			v = &reqs[i];
	if (!v)
		return -P9_EBUSY;
	*v = (struct vreq){ V_QUEUED, op, dev, q, next_seq++, off, len, 0 };
	if (op == VOP_WRITE) {
		if (!(v->data = wbuf_get())) {
			v->state = V_FREE;
			return -P9_EBUSY;
		}
		memcpy(v->data, data, len);
	}
	q->aux = v;
	devs[dev].requests++;
	metta_wakeup(&work);
	return 0;
}

void io_forget(struct p9srv_req *q)
{
	struct vreq *v = q->aux;
	if (!v)
		return;
	v->q = 0;
	/* Not begun: nobody waits for it. A write already begun is
	 * finished (its sectors may be half written), unanswered. */
	if (v->state == V_QUEUED)
		vreq_free(v);
}

uint32_t io_inflight(void)
{
	uint32_t n = 0;
	for (int i = 0; i < P9SRV_MAXHELD; i++)
		n += reqs[i].state != V_FREE;
	return n;
}

/* Sectors [first, last] a request touches. */
static uint64_t first_sector(const struct vreq *v)
{
	return v->off / VDISK_SECTOR;
}

static uint64_t last_sector(const struct vreq *v)
{
	return (v->off + v->len - 1) / VDISK_SECTOR;
}

static int overlap(const struct vreq *a, const struct vreq *b)
{
	return a->dev == b->dev && first_sector(a) <= last_sector(b) &&
	       first_sector(b) <= last_sector(a);
}

/* May v begin now? A write not before every earlier write it overlaps. */
static int may_begin(const struct vreq *v)
{
	if (v->op != VOP_WRITE)
		return 1;
	for (int i = 0; i < P9SRV_MAXHELD; i++) {
		const struct vreq *u = &reqs[i];
		if (u != v && u->state != V_FREE && u->op == VOP_WRITE &&
		    u->seq < v->seq && overlap(u, v))
			return 0;
	}
	return 1;
}

/* The oldest queued request that may begin, or 0. */
static struct vreq *pick(void)
{
	struct vreq *best = 0;
	for (int i = 0; i < P9SRV_MAXHELD; i++) {
		struct vreq *v = &reqs[i];
		if (v->state == V_QUEUED && (!best || v->seq < best->seq) &&
		    may_begin(v))
			best = v;
	}
	return best;
}

/* ---- carrying a request out (outside the lock) ---- */

/* What a step gives when the session was lost: send it all again. */
#define RESEND 1
#define BUSY_US 1000 /* before sending again what the driver had no room for */

static int failed(struct session *s, long rc)
{
	if (rc == -P9_EBUSY && !dev_lost(s)) {
		/* The driver has no room for it now: again, a little later. */
		metta_sleep(BUSY_US);
		return RESEND;
	}
	return dev_lost(s) ? RESEND : (int)rc;
}

/* Reads (or writes) the sectors of bytes [at, at + n) into (from) buf, in
 * as many messages as it takes: 0, RESEND or an errno. */
static int move(struct session *s, uint64_t at, uint8_t *buf, uint32_t n,
		int writing)
{
	for (uint32_t done = 0; done < n;) {
		long k = writing ? p9c_write(&s->c, FID_DATA, at + done,
					     buf + done, n - done)
				 : p9c_read(&s->c, FID_DATA, at + done,
					    buf + done, n - done);
		if (k <= 0 || k % VDISK_SECTOR)
			return failed(s, k < 0 ? k : -P9_EIO);
		done += (uint32_t)k;
	}
	return 0;
}

static int get(struct session *s, uint64_t at, uint8_t *buf, uint32_t n)
{
	return move(s, at, buf, n, 0);
}

static int put(struct session *s, uint64_t at, const uint8_t *buf,
	       uint32_t n)
{
	return move(s, at, (uint8_t *)buf, n, 1);
}

/* A read: the whole sectors into span; the bytes asked for start at
 * span + (v->off % VDISK_SECTOR). */
static int do_read(struct session *s, const struct vreq *v, uint8_t *span)
{
	uint64_t a0 = first_sector(v) * VDISK_SECTOR;
	uint64_t a1 = (last_sector(v) + 1) * VDISK_SECTOR;
	return get(s, a0, span, (uint32_t)(a1 - a0));
}

/* A write: straight from its data when it is whole sectors, else its
 * sectors assembled in span (the partial ones at the ends read first). */
static int do_write(struct session *s, const struct vreq *v, uint8_t *span)
{
	uint64_t a0 = first_sector(v) * VDISK_SECTOR;
	uint64_t a1 = (last_sector(v) + 1) * VDISK_SECTOR;
	uint32_t head = (uint32_t)(v->off - a0);
	uint32_t n = (uint32_t)(a1 - a0);
	if (head == 0 && v->len == n)
		return put(s, a0, v->data, n);
	int rc = 0;
	if (head)
		rc = get(s, a0, span, VDISK_SECTOR);
	if (rc == 0 && (v->off + v->len) % VDISK_SECTOR &&
	    (n > VDISK_SECTOR || !head))
		rc = get(s, a1 - VDISK_SECTOR, span + n - VDISK_SECTOR,
			 VDISK_SECTOR);
	if (rc)
		return rc;
	memcpy(span + head, v->data, v->len);
	return put(s, a0, span, n);
}

/* A flush: a wstat that changes nothing on the driver's data file. */
static int do_flush(struct session *s)
{
	struct p9_stat st;
	p9c_nochange(&st);
	int rc = p9c_wstat(&s->c, FID_DATA, &st);
	return rc ? failed(s, rc) : 0;
}

/* `crash` to the driver's ctl: its dying under the call is the answer
 * (never resent); a stale session's is sent again to the new driver. */
static int do_crash(struct session *s)
{
	long rc = p9c_write(&s->c, FID_CTL, 0, "crash", 5);
	if (rc >= 0 || s->lost == SESSION_DIED)
		return 0;
	return failed(s, rc);
}

static int carry_out(struct worker *w, const struct vreq *v)
{
	struct session *s;
	int rc = dev_session(&w->cl, v->dev, &s);
	if (rc)
		return rc;
	switch (v->op) {
	case VOP_READ:
		return do_read(s, v, w->span);
	case VOP_WRITE:
		return do_write(s, v, w->span);
	case VOP_FLUSH:
		return do_flush(s);
	case VOP_CRASH:
		return do_crash(s);
	case VOP_RESCAN: {
		int rc = dev_read_table(s, devs[v->dev].size, &w->table);
		return rc ? failed(s, rc) : 0;
	}
	}
	return -P9_EINVAL;
}

/* Answers v's client (under the lock) with rc: done, or an errno. */
static void answer(struct worker *w, struct vreq *v, int rc)
{
	struct p9srv_req *q = v->q;
	if (v->op == VOP_RESCAN && rc == 0) {
		/* Files of partitions gone fail from now on (ENODEV). */
		devs[v->dev].parts = w->table;
		dev_log_table(v->dev);
	}
	if (q && rc)
		p9srv_respond_error(q, rc);
	else if (q && v->op == VOP_READ)
		p9srv_respond_read(q, w->span + v->off % VDISK_SECTOR, v->len);
	else if (q && v->op == VOP_FLUSH && q->type == P9_TWSTAT)
		p9srv_respond_wstat(q);
	else if (q && v->op == VOP_WRITE)
		p9srv_respond_write(q, v->len);
	else if (q) /* a command written to ctl */
		p9srv_respond_write(q, q->count);
	vreq_free(v);
}

static struct worker *worker_self(void)
{
	static int started;
	return &workers[__atomic_fetch_add(&started, 1, __ATOMIC_RELAXED)];
}

static void worker_main(void)
{
	struct worker *w = worker_self();
	p9_portal_lock();
	for (;;) {
		struct vreq *v = pick();
		if (!v) {
			unsigned ticket = metta_await_ticket(&work);
			p9_portal_unlock();
			metta_await(&work, ticket, 0);
			p9_portal_lock();
			continue;
		}
		v->state = V_ACTIVE;
		struct vreq copy = *v;
		p9_portal_unlock();
		int rc = carry_out(w, &copy);
		p9_portal_lock();
		if (rc == RESEND) {
			/* The driver went: v waits for the next one, at the
			 * head of the queue (its seq is kept). */
			devs[v->dev].resent++;
			if (v->q)
				v->state = V_QUEUED;
			else
				vreq_free(v);
			continue;
		}
		answer(w, v, rc);
		metta_wakeup(&work); /* writes behind it may begin */
	}
}

int io_start(void)
{
	metta_await_init(&work);
	for (int i = 0; i < VDISK_WORKERS; i++) {
		uint32_t th = metta_slot_alloc();
		uint64_t top = (uint64_t)&workers[i].stack[16384] - 8;
		if (!th ||
		    metta_thread_create(CAP_SELF, th, (uint64_t)worker_main,
					top, METTA_PRIO_NORM) ||
		    metta_thread_ctl(th, THREAD_START, 0))
			return -1;
	}
	return 0;
}
