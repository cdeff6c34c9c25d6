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
#include "relay.h"

#define PORTAL	   5
#define STREAM_SVC 12
#define MSIZE	   P9_PORTAL_MSIZE
#define NET_ROOT   0 /* our fids in the stream's server */
#define NET_STREAM 1
_Static_assert(RELAY_MSIZE == MSIZE, "the relay's messages are a portal's");

static struct metta_mutex lock;
static struct p9c net;
static uint8_t net_t[MSIZE], net_r[MSIZE];
static uint8_t rx[2 * MSIZE]; /* bytes from the stream not yet a message */
static uint32_t rxlen;
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

/* The relay's exchange: one message each way. */
static long stream_exchange(const uint8_t *t, uint32_t n, uint8_t *r)
{
	if (stream_send(t, n)) {
		metta_printf("import: the remote end is gone\n");
		return -1;
	}
	long got = stream_recv(r);
	if (got < 0)
		metta_printf("import: the remote end is gone\n");
	return got;
}

/* ---- the portal ---- */

static int opened; /* the stream is open (else we serve nothing) */

static struct relay_conn *caller(const struct server_call *c)
{
	return c->badge & P9_CONN_BADGE ? relay_find(c->badge & ~P9_CONN_BADGE) : 0;
}

static long op_rpc(struct server_call *c)
{
	metta_mutex_lock(&lock);
	struct relay_conn *l = caller(c);
	long n = l ? relay_serve(l, c->data, c->len, c->reply) : STATUS_ERR_INVAL;
	int gone = relay_dead();
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
	struct relay_conn *l = relay_connect();
	uint32_t slot = l ? metta_slot_alloc() : 0;
	long rc = slot ? 0 : STATUS_ERR_QUOTA;
	if (!rc && (rc = metta_cap_copy(PORTAL, slot, RIGHT_CALL | RIGHT_GRANT,
				       l->id | P9_CONN_BADGE)))
		l->used = 0;
	if (l && !slot)
		l->used = 0;
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
	struct relay_conn *l = caller(c);
	if (l)
		relay_hangup(l->id);
	metta_mutex_unlock(&lock);
	return l ? STATUS_OK : STATUS_ERR_INVAL;
}

static long op_stats(struct server_call *c)
{
	metta_mutex_lock(&lock);
	relay_counts(&c->w[1], &c->w[2]);
	c->w[3] = 0;
	metta_mutex_unlock(&lock);
	return STATUS_OK;
}

/* Root asks before it names us: is the stream open? */
static long op_syncfs(struct server_call *c)
{
	c->w[1] = opened ? 0 : P9_EIO;
	return opened ? STATUS_OK : STATUS_ERR_DEAD;
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
				relay_hangup(n.value & ~P9_CONN_BADGE);
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
	if (argc != 3 || relay_init(argv[2], stream_exchange)) {
		metta_printf("import: usage: import.srv PATH ANAME\n");
		return 1;
	}
	metta_mutex_init(&lock);
	int rc = open_stream(argv[1]);
	if (rc) {
		metta_printf("import: %s: %s\n", argv[1], p9_errstr(-rc));
	} else {
		opened = 1; /* else root sees P9_SYNCFS fail and ends us */
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
