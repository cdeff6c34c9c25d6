/*
 * The net server's /net through lib/9p's client (tests/system/boots.py,
 * "net_native"): what a POSIX program cannot ask for, the offset bits the
 * runtime's sockets use (docs/servers.md, "net"): PIPE_NOWAIT reads,
 * writes and connects, READY_QUERY readiness (answered at once and held),
 * listen's readiness, a write that fills the send buffer, and a
 * connection handed out by listen freed with the listen fid.
 */
#include <9p/client.h>
#include <9p/portal.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define F_ROOT 1
#define F_LCTL 2  /* a listener's clone fid */
#define F_CCTL 3  /* a connector's */
#define F_LISTEN 4
#define F_MDATA 5 /* the accepted connection's data */
#define F_CDATA 6 /* the connector's data */
#define F_MCTL 7
#define F_TMP 8
#define NOWAIT PIPE_NOWAIT

static uint32_t srv_slot;
static struct p9c c, c2; /* c2: a second connection, for a held query */
static uint8_t tbuf[P9_PORTAL_MSIZE], rbuf[P9_PORTAL_MSIZE];
static uint8_t tbuf2[P9_PORTAL_MSIZE], rbuf2[P9_PORTAL_MSIZE];
static uint8_t big[65536];
static uint8_t stack[16384] __attribute__((aligned(16)));

static int connect_to(struct p9c *p, uint8_t *t, uint8_t *r)
{
	uint32_t conn = metta_slot_alloc();
	int rc = p9_portal_connect(p, srv_slot, conn, t, r);
	return rc ? rc : p9c_attach(p, F_ROOT, "root", "", 0);
}

/* fid of p open on the path of n names from the root. */
static int open_path(struct p9c *p, uint32_t fid, int n,
		     const char *const *names,
		     uint8_t mode)
{
	int rc = p9c_walk(p, F_ROOT, fid, n, names, 0);
	if (rc != n)
		return rc < 0 ? rc : -P9_ENOENT;
	return p9c_open(p, fid, mode, 0);
}

/* A new conversation of proto, fid its clone fid: its number or -errno. */
static int clone_conv(struct p9c *p, uint32_t fid, const char *proto)
{
	const char *names[] = { proto, "clone" };
	char num[16];
	int rc = open_path(p, fid, 2, names, P9_ORDWR);
	long n = rc ? rc : p9c_read(p, fid, 0, num, sizeof(num) - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -P9_EIO;
	num[n] = 0;
	int v = 0;
	for (char *s = num; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

static int open_file(struct p9c *p, uint32_t fid, int n, const char *file,
		     uint8_t mode)
{
	char num[16];
	fmt_snprintf(num, sizeof(num), "%d", n);
	const char *names[] = { "tcp", num, file };
	return open_path(p, fid, 3, names, mode);
}

static long ctl(uint32_t fid, const char *msg, uint64_t offset)
{
	return p9c_write(&c, fid, offset, msg, (uint32_t)strlen(msg));
}

/* Readiness of fid for interest, not waiting: the bits, or -errno. */
static int ready(struct p9c *p, uint32_t fid, uint8_t interest)
{
	uint8_t b;
	long n = p9c_read(p, fid, READY_QUERY | NOWAIT | interest, &b, 1);
	return n == 1 ? b : n < 0 ? (int)n : -P9_EIO;
}

/* The count of /net/stats's line "word N". */
static long stat_of(const char *word)
{
	static const char *const names[] = { "stats" };
	char text[256];
	long rc = open_path(&c, F_TMP, 1, names, P9_OREAD);
	if (rc == 0)
		rc = p9c_read(&c, F_TMP, 0, text, sizeof(text) - 1);
	p9c_clunk(&c, F_TMP);
	if (rc < 0)
		return rc;
	text[rc] = 0;
	return utest_line_value(text, word);
}

/* A listener on port and a connection to it, accepted: the listener's
 * conversation (F_LCTL, F_LISTEN), the connector's (F_CCTL, F_CDATA)
 * and the accepted one's (F_MDATA, F_MCTL). The connect does not wait. */
static int pair(const char *port, int *m_out)
{
	char msg[64], num[16];
	int l = clone_conv(&c, F_LCTL, "tcp");
	fmt_snprintf(msg, sizeof(msg), "announce %s", port);
	UCHECK(l >= 0 && ctl(F_LCTL, msg, 0) > 0, "listener %d", l);
	UCHECK(open_file(&c, F_LISTEN, l, "listen", P9_OREAD) == 0, "listen");
	long r = p9c_read(&c, F_LISTEN, NOWAIT, num, sizeof(num));
	UCHECK(r == -P9_EAGAIN, "an empty listen's NOWAIT read: %ld", r);
	UCHECK(ready(&c, F_LISTEN, READY_IN) == 0, "listen ready before any");
	int n = clone_conv(&c, F_CCTL, "tcp");
	fmt_snprintf(msg, sizeof(msg), "connect 127.0.0.1!%s", port);
	r = ctl(F_CCTL, msg, NOWAIT);
	UCHECK(r == (long)strlen(msg), "a connect that does not wait: %ld", r);
	int bits = 0;
	for (int i = 0; i < 100 && !(bits & READY_OUT); i++, metta_sleep(10000))
		bits = ready(&c, F_CCTL, READY_IN | READY_OUT);
	UCHECK(bits == READY_OUT, "connected: readiness %d, want OUT", bits);
	UCHECK(ready(&c, F_LISTEN, READY_IN) == READY_IN, "listen not ready");
	r = p9c_read(&c, F_LISTEN, 0, num, sizeof(num) - 1);
	UCHECK(r > 0, "listen read: %ld", r);
	num[r] = 0;
	int m = 0;
	for (char *s = num; *s; s++)
		m = m * 10 + (*s - '0');
	UCHECK(open_file(&c, F_MDATA, m, "data", P9_ORDWR) == 0 &&
		   open_file(&c, F_MCTL, m, "ctl", P9_ORDWR) == 0 &&
		   open_file(&c, F_CDATA, n, "data", P9_ORDWR) == 0,
	       "data files");
	*m_out = m;
	return 0;
}

static void unpair(void)
{
	static const uint32_t fids[] = { F_LCTL, F_CCTL, F_LISTEN, F_MDATA,
					 F_CDATA, F_MCTL };
	for (unsigned i = 0; i < sizeof(fids) / sizeof(fids[0]); i++)
		p9c_clunk(&c, fids[i]);
}

/* ---- a held readiness query, from a second connection ---- */

static volatile int held_result = -1000, held_conv;

static void held_thread(void)
{
	uint8_t b = 0;
	char num[16];
	fmt_snprintf(num, sizeof(num), "%d", held_conv);
	const char *names[] = { "tcp", num, "data" };
	long n = open_path(&c2, F_TMP, 3, names, P9_ORDWR);
	if (n == 0)
		n = p9c_read(&c2, F_TMP, READY_QUERY | READY_IN, &b, 1);
	p9c_clunk(&c2, F_TMP);
	held_result = n == 1 ? b : (int)n - 2000;
	metta_thread_exit();
}

static int t_readiness(void)
{
	int m;
	long base = stat_of("tcp");
	if (pair("7790", &m))
		return 1;
	uint8_t buf[16];
	long r = p9c_read(&c, F_CDATA, NOWAIT, buf, sizeof(buf));
	UCHECK(r == -P9_EAGAIN, "NOWAIT read of nothing: %ld", r);
	UCHECK(ready(&c, F_CDATA, READY_IN | READY_OUT) == READY_OUT,
	       "readiness before data");
	/* A query held until the accepted side writes. */
	char num[16];
	r = p9c_read(&c, F_CCTL, 0, num, sizeof(num) - 1);
	num[r > 0 ? r : 0] = 0;
	held_conv = 0;
	for (char *s = num; *s; s++)
		held_conv = held_conv * 10 + (*s - '0');
	uint32_t t = metta_slot_alloc();
	UCHECK(metta_thread_create(CAP_SELF, t, (uint64_t)held_thread,
				   (uint64_t)&stack[sizeof(stack)] - 8,
				   METTA_PRIO_NORM) == 0 &&
		   metta_thread_ctl(t, THREAD_START, 0) == 0,
	       "thread");
	metta_sleep(200000);
	UCHECK(held_result == -1000, "the query was answered at once (%d)",
	       held_result);
	UCHECK(stat_of("held") >= 1, "no request held");
	UCHECK(p9c_write(&c, F_MDATA, 0, "abc", 3) == 3, "write abc");
	for (int i = 0; i < 200 && held_result == -1000; i++)
		metta_sleep(10000);
	UCHECK(held_result == READY_IN, "the held query gave %d", held_result);
	UCHECK(ready(&c, F_CDATA, READY_IN | READY_OUT) ==
		   (READY_IN | READY_OUT),
	       "readiness with data");
	r = p9c_read(&c, F_CDATA, NOWAIT, buf, sizeof(buf));
	UCHECK(r == 3 && !memcmp(buf, "abc", 3), "read abc: %ld", r);
	UCHECK(ctl(F_MCTL, "hangup", 0) == 6, "hangup");
	int bits = 0;
	for (int i = 0; i < 100 && !(bits & READY_HUP); i++, metta_sleep(10000))
		bits = ready(&c, F_CDATA, READY_IN);
	UCHECK(bits == (READY_IN | READY_HUP), "after the peer's hangup: %d",
	       bits);
	UCHECK(p9c_read(&c, F_CDATA, 0, buf, sizeof(buf)) == 0, "end of stream");
	unpair();
	UCHECK(stat_of("tcp") == base, "tcp %ld, was %ld", stat_of("tcp"), base);
	UCHECK(stat_of("held") == 0, "held %ld", stat_of("held"));
	return 0;
}

static int t_refused(void)
{
	long base = stat_of("tcp");
	int n = clone_conv(&c, F_CCTL, "tcp");
	const char *msg = "connect 127.0.0.1!7791";
	long r = ctl(F_CCTL, msg, NOWAIT);
	UCHECK(n >= 0 && r == (long)strlen(msg), "NOWAIT connect: %ld", r);
	int bits = 0;
	for (int i = 0; i < 100 && !(bits & READY_ERR); i++, metta_sleep(10000))
		bits = ready(&c, F_CCTL, READY_OUT);
	UCHECK(bits & READY_ERR, "refused: readiness %d, want ERR", bits);
	UCHECK(open_file(&c, F_CDATA, n, "status", P9_OREAD) == 0, "status");
	char text[64];
	r = p9c_read(&c, F_CDATA, 0, text, sizeof(text) - 1);
	text[r > 0 ? r : 0] = 0;
	UCHECK(!strcmp(text, "Closed\nerror ECONNREFUSED\n"), "status: %s", text);
	p9c_clunk(&c, F_CDATA);
	UCHECK(ctl(F_CCTL, "clearerr", 0) == 8, "clearerr");
	/* As Linux's poll after SO_ERROR: a write would fail at once. */
	bits = ready(&c, F_CCTL, READY_OUT);
	UCHECK(bits == (READY_OUT | READY_HUP), "after clearerr: %d", bits);
	p9c_clunk(&c, F_CCTL);
	UCHECK(stat_of("tcp") == base, "tcp %ld, was %ld", stat_of("tcp"), base);
	return 0;
}

/* Writes that do not wait fill the send buffer and the peer's window,
 * then EAGAIN; the peer reads all of it. */
static int t_write_fills(void)
{
	int m;
	long base = stat_of("tcp");
	if (pair("7792", &m))
		return 1;
	uint64_t sent = 0;
	long r;
	for (int i = 0; i < 64; i++) {
		for (uint32_t k = 0; k < sizeof(big); k++)
			big[k] = (uint8_t)(sent + k);
		r = p9c_write(&c, F_CDATA, NOWAIT, big, sizeof(big));
		if (r < 0)
			break;
		sent += (uint64_t)r;
	}
	UCHECK(r == -P9_EAGAIN, "the last write: %ld, want EAGAIN", r);
	UCHECK(sent >= 128 * 1024, "only %lu bytes went", sent);
	UCHECK(!(ready(&c, F_CDATA, READY_OUT) & READY_OUT), "still OUT");
	uint64_t got = 0;
	while (got < sent) {
		r = p9c_read(&c, F_MDATA, 0, big, sizeof(big));
		UCHECK(r > 0, "read at %lu of %lu: %ld", got, sent, r);
		for (long k = 0; k < r; k++) /* byte i of the stream is i */
			UCHECK(big[k] == (uint8_t)(got + (uint64_t)k), "byte %lu",
			       got + (uint64_t)k);
		got += (uint64_t)r;
	}
	int bits = 0;
	for (int i = 0; i < 100 && !(bits & READY_OUT); i++, metta_sleep(10000))
		bits = ready(&c, F_CDATA, READY_OUT);
	UCHECK(bits & READY_OUT, "room again: %d", bits);
	unpair();
	UCHECK(stat_of("tcp") == base, "tcp %ld, was %ld", stat_of("tcp"), base);
	return 0;
}

/* A connection listen handed out, never opened, goes with the listen
 * fid. */
static int t_handout_freed(void)
{
	long base = stat_of("tcp");
	int l = clone_conv(&c, F_LCTL, "tcp");
	UCHECK(l >= 0 && ctl(F_LCTL, "announce 7793", 0) > 0, "announce");
	UCHECK(open_file(&c, F_LISTEN, l, "listen", P9_OREAD) == 0, "listen");
	int n = clone_conv(&c, F_CCTL, "tcp");
	UCHECK(n >= 0 && ctl(F_CCTL, "connect 127.0.0.1!7793", 0) > 0,
	       "connect");
	char num[16];
	long r = p9c_read(&c, F_LISTEN, 0, num, sizeof(num) - 1);
	UCHECK(r > 0, "listen read %ld", r);
	num[r] = 0;
	UCHECK(stat_of("tcp") == base + 3, "tcp %ld, want %ld", stat_of("tcp"),
	       base + 3);
	p9c_clunk(&c, F_LISTEN);
	const char *names[] = { "tcp", num };
	UCHECK(p9c_walk(&c, F_ROOT, F_TMP, 2, names, 0) != 2,
	       "tcp/%s still there", num);
	UCHECK(stat_of("tcp") == base + 2, "tcp %ld, want %ld", stat_of("tcp"),
	       base + 2);
	p9c_clunk(&c, F_LCTL);
	p9c_clunk(&c, F_CCTL);
	UCHECK(stat_of("tcp") == base, "tcp %ld, was %ld", stat_of("tcp"), base);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	static const struct utest tests[] = {
		{ "readiness_and_nowait", t_readiness },
		{ "nonblocking_connect_refused", t_refused },
		{ "nowait_writes_fill", t_write_fills },
		{ "handout_freed_with_listen", t_handout_freed },
	};
	srv_slot = metta_slot_alloc();
	if (metta_names_lookup("net", srv_slot) ||
	    connect_to(&c, tbuf, rbuf) || connect_to(&c2, tbuf2, rbuf2)) {
		metta_printf("UTEST BEGIN 1");
		metta_printf("UTEST FAIL connect: no net service");
		return 1;
	}
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
