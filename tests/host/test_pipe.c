/*
 * Host tests of the pipe server's tree (servers/pipe) through p9srv: every
 * attach a new pipe, bytes across, reads held until data or end of file,
 * atomic writes up to PIPE_BUF held until they fit, EPIPE, EAGAIN with
 * PIPE_NOWAIT, flushed and cancelled waiters, pipes freed with their fids,
 * readiness queries (poll), answered now or held; named pipes (FIFOs):
 * one per name, held until both ends have met, freed with their fids.
 * Sockets: pairs (streams and datagrams), listeners, connections queued,
 * accepted, refused, a client hung up; control records and the files they
 * hold in flight, all freed with their pipes; shutdown; bad anames.
 */
#include <stdio.h>
#include <string.h>

#include "9p/9p.h"
#include "9p/srv.h"
#include "check.h"
#include "../../servers/pipe/pipe.h"

#define MSIZE (8192 + 24)

static struct p9srv srv;
static P9SRV_STORAGE(store, 2, 160);
static struct pipes pipes;
static uint8_t tbuf[MSIZE * 2], rbuf[MSIZE * 2], answer_space[MSIZE];
static struct p9_msg r;
static long served;
static uint16_t next_tag;

/* Answers of held requests, by handle (= the held slot). */
static uint8_t answers[P9SRV_MAXHELD][MSIZE];
static long answer_len[P9SRV_MAXHELD];
static int gone[P9SRV_MAXHELD]; /* the caller gave up: answers fail */
static int held_rc;

static int answer(struct p9srv *s, uint64_t h, const uint8_t *m, size_t n)
{
	(void)s;
	memcpy(answers[h], m, n);
	answer_len[h] = (long)n;
	return gone[h] ? -4 : 0;
}

static void drop(struct p9srv *s, uint64_t h)
{
	(void)s;
	answer_len[h] = -1;
}

static int rpc(uint64_t c, struct p9_msg *t)
{
	t->tag = next_tag++;
	long n = p9_encode(tbuf, sizeof(tbuf), t);
	if (n < 0)
		return -2;
	served = p9srv_serve(&srv, c, tbuf, (size_t)n, rbuf, sizeof(rbuf));
	if (served == P9SRV_HELD) {
		/* The transport keeps the caller under the held slot. */
		srv.just_held->handle = (uint64_t)(srv.just_held - srv.held);
		held_rc = (int)srv.just_held->handle;
		answer_len[held_rc] = 0;
		return 0;
	}
	if (served <= 0 || p9_decode(rbuf, (size_t)served, &r))
		return -1;
	return r.type;
}

/* The answer a held request got (decoded into *m): its type, 0 if none
 * yet, -1 if it was dropped unanswered. */
static int answered(int h, struct p9_msg *m)
{
	if (answer_len[h] <= 0)
		return (int)answer_len[h];
	return p9_decode(answers[h], (size_t)answer_len[h], m) ? -2 : m->type;
}

static uint64_t c1;

static int setup(void)
{
	p9srv_init(&srv, &pipe_ops, &pipes, MSIZE, P9SRV_STORAGE_ARGS(store));
	pipes_init(&pipes, &srv, "root", 0);
	srv.answer = answer;
	srv.drop = drop;
	srv.answer_buf = answer_space;
	memset(gone, 0, sizeof(gone));
	CHECK(p9srv_connect(&srv, &c1) == 0);
	struct p9_msg t = { .type = P9_TVERSION, .msize = MSIZE,
			    .version = p9_str("9P2000") };
	CHECK(rpc(c1, &t) == P9_RVERSION);
	return 0;
}

static int attach(uint32_t fid, const char *aname)
{
	struct p9_msg t = { .type = P9_TATTACH, .fid = fid, .afid = P9_NOFID,
			    .uname = p9_str("root"), .aname = p9_str(aname) };
	return rpc(c1, &t);
}

/* The file name of the pipe at fid dir as newfid, opened with mode. */
static int walk_open(uint32_t dir, uint32_t newfid, const char *name,
		     uint8_t mode)
{
	struct p9_msg w = { .type = P9_TWALK, .fid = dir, .newfid = newfid,
			    .nwname = 1 };
	w.wname[0] = p9_str(name);
	CHECK(rpc(c1, &w) == P9_RWALK);
	struct p9_msg o = { .type = P9_TOPEN, .fid = newfid, .mode = mode };
	CHECK(rpc(c1, &o) == P9_ROPEN);
	return 0;
}

/* A new pipe: fid base is its directory, base+1 data (read end), base+2
 * data1 (write end), both open. */
static int new_pipe(uint32_t base)
{
	CHECK(attach(base, PIPE_ANAME) == P9_RATTACH);
	CHECK(walk_open(base, base + 1, "data", P9_OREAD) == 0);
	CHECK(walk_open(base, base + 2, "data1", P9_OWRITE) == 0);
	return 0;
}

static int twrite(uint32_t fid, const void *data, uint32_t n, uint64_t off)
{
	struct p9_msg t = { .type = P9_TWRITE, .fid = fid, .offset = off,
			    .count = n, .data = data };
	return rpc(c1, &t);
}

static int tread(uint32_t fid, uint32_t n, uint64_t off)
{
	struct p9_msg t = { .type = P9_TREAD, .fid = fid, .offset = off,
			    .count = n };
	return rpc(c1, &t);
}

static int clunk(uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK, .fid = fid };
	return rpc(c1, &t);
}

static int is_err(const char *e)
{
	return r.type == P9_RERROR && p9_str_eq(r.ename, e);
}

static int bytes_go_across(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	CHECK(twrite(3, "hello", 5, 0) == P9_RWRITE && r.count == 5);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 5);
	CHECK(memcmp(r.data, "hello", 5) == 0);
	/* Each attach is a pipe of its own. */
	CHECK(new_pipe(11) == 0 && pipes_in_use(&pipes) == 2);
	CHECK(twrite(13, "b", 1, 0) == P9_RWRITE);
	CHECK(twrite(3, "a", 1, 0) == P9_RWRITE);
	CHECK(tread(12, 100, 0) == P9_RREAD && r.count == 1 && r.data[0] == 'b');
	/* Reading the write end reads the other direction (Plan 9's #|). */
	CHECK(tread(2, 100, 0) == P9_RREAD && r.data[0] == 'a');
	return 0;
}

static int empty_read_waits_for_data_or_eof(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	CHECK(tread(2, 100, 0) == 0 && served == P9SRV_HELD);
	int h = held_rc;
	struct p9_msg m;
	CHECK(answered(h, &m) == 0);
	CHECK(twrite(3, "late", 4, 0) == P9_RWRITE);
	CHECK(answered(h, &m) == P9_RREAD && m.count == 4);
	CHECK(memcmp(m.data, "late", 4) == 0);
	/* The last writer gone: a waiting reader reads 0, and later ones. */
	CHECK(tread(2, 100, 0) == 0 && served == P9SRV_HELD);
	h = held_rc;
	CHECK(clunk(3) == P9_RCLUNK);
	CHECK(answered(h, &m) == P9_RREAD && m.count == 0);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 0);
	return 0;
}

static int nowait_is_eagain(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	CHECK(tread(2, 100, PIPE_NOWAIT) == P9_RERROR);
	CHECK(is_err("resource temporarily unavailable"));
	static uint8_t full[PIPE_BUF];
	CHECK(twrite(3, full, PIPE_BUF, 0) == P9_RWRITE && r.count == PIPE_BUF);
	CHECK(twrite(3, "x", 1, PIPE_NOWAIT) == P9_RERROR);
	CHECK(is_err("resource temporarily unavailable"));
	return 0;
}

static int atomic_writes_wait_until_they_fit(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	static uint8_t big[PIPE_BUF], got[2 * PIPE_BUF];
	for (int i = 0; i < PIPE_BUF; i++)
		big[i] = (uint8_t)i;
	CHECK(twrite(3, big, PIPE_BUF - 10, 0) == P9_RWRITE);
	/* 100 bytes do not fit in the 10 left: held whole, not split. */
	CHECK(twrite(3, big, 100, 0) == 0 && served == P9SRV_HELD);
	int h = held_rc;
	struct p9_msg m;
	CHECK(tread(2, 50, 0) == P9_RREAD && r.count == 50);
	memcpy(got, r.data, 50);
	CHECK(answered(h, &m) == 0); /* 60 free: still not 100 */
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 100);
	memcpy(got + 50, r.data, 100);
	CHECK(answered(h, &m) == P9_RWRITE && m.count == 100);
	/* The bytes come out in order, the held write's last. */
	uint32_t total = 150;
	while (total < PIPE_BUF - 10 + 100) {
		CHECK(tread(2, 4000, 0) == P9_RREAD && r.count > 0);
		memcpy(got + total, r.data, r.count);
		total += r.count;
	}
	CHECK(memcmp(got, big, PIPE_BUF - 10) == 0);
	CHECK(memcmp(got + PIPE_BUF - 10, big, 100) == 0);
	/* A write over PIPE_BUF takes what fits. */
	static uint8_t huge[PIPE_BUF + 100];
	CHECK(twrite(3, huge, sizeof(huge), 0) == P9_RWRITE);
	CHECK(r.count == PIPE_BUF);
	return 0;
}

static int no_reader_is_epipe(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	static uint8_t full[PIPE_BUF];
	CHECK(twrite(3, full, PIPE_BUF, 0) == P9_RWRITE);
	CHECK(twrite(3, "x", 1, 0) == 0 && served == P9SRV_HELD);
	int h = held_rc;
	CHECK(clunk(2) == P9_RCLUNK);
	struct p9_msg m;
	CHECK(answered(h, &m) == P9_RERROR && p9_str_eq(m.ename, "broken pipe"));
	CHECK(twrite(3, "x", 1, 0) == P9_RERROR && is_err("broken pipe"));
	return 0;
}

static int flushed_and_cancelled_waiters_go(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	CHECK(tread(2, 100, 0) == 0);
	int h1 = held_rc;
	uint16_t tag1 = (uint16_t)(next_tag - 1);
	CHECK(tread(2, 100, 0) == 0);
	int h2 = held_rc;
	struct p9_msg f = { .type = P9_TFLUSH, .oldtag = tag1 };
	CHECK(rpc(c1, &f) == P9_RFLUSH);
	struct p9_msg m;
	CHECK(answered(h1, &m) == -1);
	/* The second reader gave up too, but its notice is not in yet: its
	 * bytes go back for the next reader. */
	gone[h2] = 1;
	CHECK(twrite(3, "abc", 3, 0) == P9_RWRITE);
	CHECK(answered(h2, &m) == P9_RREAD);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 3);
	CHECK(p9srv_nheld(&srv) == 0);
	/* A cancelled waiter (its caller interrupted) is forgotten. */
	CHECK(tread(2, 100, 0) == 0);
	p9srv_cancel(&srv, p9srv_cookie(&srv.held[held_rc]));
	CHECK(answered(held_rc, &m) == -1 && p9srv_nheld(&srv) == 0);
	return 0;
}

static int pipes_go_with_their_fids(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0 && new_pipe(11) == 0);
	CHECK(tread(2, 100, 0) == 0 && p9srv_nheld(&srv) == 1);
	CHECK(pipes_in_use(&pipes) == 2);
	/* One pipe lives while any of its fids does. */
	CHECK(clunk(11) == P9_RCLUNK && clunk(12) == P9_RCLUNK);
	CHECK(pipes_in_use(&pipes) == 2);
	CHECK(clunk(13) == P9_RCLUNK && pipes_in_use(&pipes) == 1);
	/* A hangup takes the rest, waiting reader included. */
	p9srv_hangup(&srv, c1);
	CHECK(pipes_in_use(&pipes) == 0 && p9srv_nheld(&srv) == 0);
	return 0;
}

static int too_many_pipes_is_enospc(void)
{
	CHECK(setup() == 0);
	for (uint32_t i = 0; i < MAX_PIPES; i++)
		CHECK(attach(100 + i, PIPE_ANAME) == P9_RATTACH);
	CHECK(attach(99, PIPE_ANAME) == P9_RERROR &&
	      is_err("no space left on device"));
	CHECK(pipes_in_use(&pipes) == MAX_PIPES);
	/* A plain attach costs no pipe, and has nothing in it. */
	CHECK(attach(98, "") == P9_RATTACH && r.qid.type == P9_QTDIR);
	struct p9_msg w = { .type = P9_TWALK, .fid = 98, .newfid = 97,
			    .nwname = 1 };
	w.wname[0] = p9_str("data");
	CHECK(rpc(c1, &w) == P9_RERROR);
	CHECK(clunk(100) == P9_RCLUNK && attach(99, PIPE_ANAME) == P9_RATTACH);
	return 0;
}

/* A readiness query (poll) of fid for interest: its one byte, or -1. */
static int ready(uint32_t fid, uint64_t interest)
{
	if (tread(fid, 1, READY_QUERY | PIPE_NOWAIT | interest) != P9_RREAD ||
	    r.count != 1)
		return -1;
	return r.data[0];
}

static int readiness_queries(void)
{
	CHECK(setup() == 0 && new_pipe(1) == 0);
	/* Empty: the read end not ready, the write end (write-only, and
	 * still allowed to ask) has room. Nothing is consumed. */
	CHECK(ready(2, READY_IN) == 0);
	CHECK(ready(3, READY_OUT) == READY_OUT);
	CHECK(twrite(3, "ab", 2, 0) == P9_RWRITE);
	CHECK(ready(2, READY_IN) == READY_IN);
	CHECK(ready(2, READY_IN) == READY_IN);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 2);
	/* Full: no room. */
	static uint8_t full[PIPE_BUF];
	CHECK(twrite(3, full, PIPE_BUF, 0) == P9_RWRITE);
	CHECK(ready(3, READY_OUT) == 0);
	CHECK(tread(2, PIPE_BUF, 0) == P9_RREAD);
	/* A query that waits is held until the pipe changes. */
	CHECK(tread(2, 1, READY_QUERY | READY_IN) == 0 &&
	      served == P9SRV_HELD);
	int h = held_rc;
	struct p9_msg m;
	CHECK(answered(h, &m) == 0);
	CHECK(twrite(3, "x", 1, 0) == P9_RWRITE);
	CHECK(answered(h, &m) == P9_RREAD && m.count == 1 &&
	      m.data[0] == READY_IN);
	CHECK(tread(2, 1, 0) == P9_RREAD); /* the byte was still there */
	/* The writer gone: POLLHUP; the reader gone: POLLERR. */
	CHECK(tread(2, 1, READY_QUERY | READY_IN) == 0 &&
	      served == P9SRV_HELD);
	h = held_rc;
	CHECK(clunk(3) == P9_RCLUNK);
	CHECK(answered(h, &m) == P9_RREAD && m.data[0] == READY_HUP);
	CHECK(new_pipe(11) == 0 && clunk(12) == P9_RCLUNK);
	CHECK(ready(13, READY_OUT) == (READY_OUT | READY_ERR));
	/* A held query whose fid goes is dropped unanswered. */
	CHECK(new_pipe(21) == 0);
	CHECK(tread(22, 1, READY_QUERY | READY_IN) == 0 &&
	      served == P9SRV_HELD);
	h = held_rc;
	CHECK(clunk(22) == P9_RCLUNK);
	CHECK(answered(h, &m) == -1);
	return 0;
}

/* One end of the named pipe aname: fid base its directory, base+1 the
 * file opened: `data` to read (OREAD, ORDWR), `data1` to write. */
static int fifo_end(uint32_t base, const char *aname, uint8_t mode)
{
	CHECK(attach(base, aname) == P9_RATTACH);
	return walk_open(base, base + 1, mode == P9_OWRITE ? "data1" : "data",
			 mode);
}

static int fifo_one_pipe_per_name(void)
{
	CHECK(setup() == 0);
	CHECK(fifo_end(1, "fifo:ramfs:1", P9_OREAD) == 0);
	CHECK(fifo_end(11, "fifo:ramfs:1", P9_OWRITE) == 0);
	CHECK(pipes_in_use(&pipes) == 1);
	CHECK(twrite(12, "hi", 2, 0) == P9_RWRITE && r.count == 2);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 2);
	CHECK(memcmp(r.data, "hi", 2) == 0);
	/* Another name is another pipe. */
	CHECK(fifo_end(21, "fifo:ramfs:2", P9_OREAD) == 0);
	CHECK(fifo_end(31, "fifo:ramfs:2", P9_OWRITE) == 0);
	CHECK(pipes_in_use(&pipes) == 2);
	CHECK(twrite(32, "b", 1, 0) == P9_RWRITE);
	CHECK(tread(2, 100, PIPE_NOWAIT) == P9_RERROR &&
	      is_err("resource temporarily unavailable"));
	CHECK(tread(22, 100, 0) == P9_RREAD && r.count == 1 &&
	      r.data[0] == 'b');
	/* Both ends of one open (O_RDWR): what it writes, it reads. */
	CHECK(fifo_end(41, "fifo:ramfs:3", P9_ORDWR) == 0);
	CHECK(twrite(42, "me", 2, 0) == P9_RWRITE);
	CHECK(tread(42, 100, 0) == P9_RREAD && r.count == 2);
	CHECK(tread(42, 100, PIPE_NOWAIT) == P9_RERROR);
	return 0;
}

static int fifo_waits_until_connected(void)
{
	CHECK(setup() == 0);
	/* A reader alone: its read waits, not end of file; without waiting
	 * it reads 0 (Linux's O_NONBLOCK read of a FIFO with no writer). */
	CHECK(fifo_end(1, "fifo:r", P9_OREAD) == 0);
	CHECK(tread(2, 1, READY_QUERY | PIPE_NOWAIT | READY_IN) == P9_RREAD &&
	      r.data[0] == 0); /* no POLLHUP yet */
	CHECK(tread(2, 100, PIPE_NOWAIT) == P9_RREAD && r.count == 0);
	CHECK(tread(2, 100, 0) == 0 && served == P9SRV_HELD);
	int h = held_rc;
	struct p9_msg m;
	CHECK(fifo_end(11, "fifo:r", P9_OWRITE) == 0);
	CHECK(answered(h, &m) == 0); /* connected, but no bytes yet */
	CHECK(twrite(12, "z", 1, 0) == P9_RWRITE);
	CHECK(answered(h, &m) == P9_RREAD && m.count == 1 && m.data[0] == 'z');
	/* Connected: an ordinary pipe, end of file with no writer. */
	CHECK(clunk(12) == P9_RCLUNK);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 0);
	/* A writer alone: its write waits, not EPIPE; poll says no reader. */
	CHECK(fifo_end(21, "fifo:w", P9_OWRITE) == 0);
	CHECK(tread(22, 1, READY_QUERY | PIPE_NOWAIT | READY_OUT) == P9_RREAD &&
	      (r.data[0] & READY_ERR));
	CHECK(twrite(22, "q", 1, PIPE_NOWAIT) == P9_RERROR &&
	      is_err("resource temporarily unavailable"));
	CHECK(twrite(22, "q", 1, 0) == 0 && served == P9SRV_HELD);
	h = held_rc;
	CHECK(fifo_end(31, "fifo:w", P9_OREAD) == 0);
	CHECK(answered(h, &m) == P9_RWRITE && m.count == 1);
	CHECK(tread(32, 100, 0) == P9_RREAD && r.count == 1 &&
	      r.data[0] == 'q');
	CHECK(clunk(32) == P9_RCLUNK);
	CHECK(twrite(22, "q", 1, 0) == P9_RERROR && is_err("broken pipe"));
	/* A held read stays cancellable (a signal: EINTR). */
	CHECK(fifo_end(41, "fifo:c", P9_OREAD) == 0);
	CHECK(tread(42, 100, 0) == 0);
	p9srv_cancel(&srv, p9srv_cookie(&srv.held[held_rc]));
	CHECK(answered(held_rc, &m) == -1 && p9srv_nheld(&srv) == 0);
	return 0;
}

static int fifo_goes_with_its_last_fid(void)
{
	CHECK(setup() == 0);
	CHECK(fifo_end(1, "fifo:f", P9_OREAD) == 0);
	CHECK(fifo_end(11, "fifo:f", P9_OWRITE) == 0);
	CHECK(twrite(12, "old", 3, 0) == P9_RWRITE);
	CHECK(clunk(1) == P9_RCLUNK && clunk(2) == P9_RCLUNK);
	CHECK(clunk(11) == P9_RCLUNK && pipes_in_use(&pipes) == 1);
	CHECK(clunk(12) == P9_RCLUNK && pipes_in_use(&pipes) == 0);
	/* The name again: a new pipe, empty and never connected. */
	CHECK(fifo_end(1, "fifo:f", P9_OREAD) == 0);
	CHECK(pipes_in_use(&pipes) == 1);
	CHECK(tread(2, 100, 0) == 0 && served == P9SRV_HELD);
	/* A hangup takes it, the waiting reader included. */
	p9srv_hangup(&srv, c1);
	CHECK(pipes_in_use(&pipes) == 0 && p9srv_nheld(&srv) == 0);
	return 0;
}

static int fifo_bad_anames_refused(void)
{
	CHECK(setup() == 0 && fifo_end(1, "fifo:x", P9_OREAD) == 0);
	CHECK(attach(11, "fifo:") == P9_RERROR && is_err("invalid argument"));
	CHECK(attach(11, "fifox") == P9_RERROR && is_err("invalid argument"));
	CHECK(attach(11, "pipes") == P9_RERROR && is_err("invalid argument"));
	static char name[sizeof(FIFO_ANAME) + FIFO_NAME_MAX + 1];
	strcpy(name, FIFO_ANAME);
	memset(name + strlen(name), 'n', FIFO_NAME_MAX + 1);
	CHECK(attach(11, name) == P9_RERROR && is_err("file name too long"));
	CHECK(pipes_in_use(&pipes) == 1);
	/* Refused, the fid is free, and the longest name is fine. */
	name[strlen(name) - 1] = 0;
	CHECK(attach(11, name) == P9_RATTACH && pipes_in_use(&pipes) == 2);
	/* The pipe there is untouched: its reader still waits for a writer. */
	CHECK(tread(2, 100, 0) == 0 && served == P9SRV_HELD);
	return 0;
}

/* ---- sockets ---- */

/* A socket pair of type t: fid base its directory, base+1 and base+2 its
 * two sockets (data, data1), open for both. */
static int new_pair(uint32_t base, char t)
{
	char aname[32];
	snprintf(aname, sizeof aname, "%s%c:42", SOCKPAIR_ANAME, t);
	CHECK(attach(base, aname) == P9_RATTACH);
	CHECK(walk_open(base, base + 1, "data", P9_ORDWR) == 0);
	CHECK(walk_open(base, base + 2, "data1", P9_ORDWR) == 0);
	return 0;
}

static int socket_pairs(void)
{
	CHECK(setup() == 0 && new_pair(1, SOCK_STREAM_CH) == 0);
	CHECK(twrite(2, "ab", 2, 0) == P9_RWRITE && twrite(2, "c", 1, 0) ==
							       P9_RWRITE);
	CHECK(tread(3, 100, SOCK_PEEK) == P9_RREAD && r.count == 3);
	CHECK(tread(3, 100, 0) == P9_RREAD && r.count == 3);
	CHECK(twrite(3, "z", 1, 0) == P9_RWRITE);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.data[0] == 'z');
	/* Who is at the other end. */
	struct sock_info si;
	CHECK(tread(2, sizeof si, SOCK_INFO) == P9_RREAD &&
	      r.count == sizeof si);
	memcpy(&si, r.data, sizeof si);
	CHECK(si.peer_pid == 42 && si.id != 0);
	/* Datagrams keep their bounds; a short read drops the rest. */
	CHECK(new_pair(11, SOCK_DGRAM_CH) == 0);
	CHECK(twrite(12, "one", 3, 0) == P9_RWRITE);
	CHECK(twrite(12, "second", 6, 0) == P9_RWRITE);
	CHECK(tread(13, 100, 0) == P9_RREAD && r.count == 3);
	CHECK(tread(13, 2, 0) == P9_RREAD && r.count == 2);
	CHECK(tread(13, 100, PIPE_NOWAIT) == P9_RERROR);
	static uint8_t big[PIPE_BUF];
	CHECK(twrite(12, big, PIPE_BUF, 0) == P9_RERROR &&
	      is_err("message too long"));
	/* shutdown: the other end reads to the end, we may not write. */
	uint8_t how = SOCK_SHUT_WR;
	CHECK(twrite(2, &how, 1, SOCK_SHUT) == P9_RWRITE);
	CHECK(tread(3, 100, 0) == P9_RREAD && r.count == 0);
	CHECK(twrite(2, "x", 1, 0) == P9_RERROR && is_err("broken pipe"));
	CHECK(twrite(3, "y", 1, 0) == P9_RWRITE);
	CHECK(twrite(2, "\x01\x01", 2, SOCK_SHUT) == P9_RERROR);
	/* Control records only on sockets. */
	CHECK(new_pipe(21) == 0);
	CHECK(twrite(23, "c 1\n", 4, SOCK_CTL) == P9_RERROR);
	p9srv_hangup(&srv, c1);
	CHECK(pipes_in_use(&pipes) == 0 && p9srv_nheld(&srv) == 0);
	return 0;
}

static int listen_name(uint32_t fid, const char *pfx, char t, const char *n)
{
	char aname[64];
	snprintf(aname, sizeof aname, "%s%c:7:%s", pfx, t, n);
	return attach(fid, aname);
}

/* Accepts at listener directory fid l into newfid (its `data`): the
 * walk's reply type. */
static int accept_at(uint32_t l, uint32_t newfid)
{
	struct p9_msg w = { .type = P9_TWALK, .fid = l, .newfid = newfid,
			    .nwname = 2 };
	w.wname[0] = p9_str(SOCK_ACCEPT_NAME);
	w.wname[1] = p9_str("data");
	return rpc(c1, &w);
}

static int listeners_and_connections(void)
{
	struct p9_msg m;
	CHECK(setup() == 0);
	CHECK(listen_name(1, CONNECT_ANAME, 's', "a") == P9_RERROR &&
	      is_err("connection refused"));
	CHECK(listen_name(1, LISTEN_ANAME, 's', "a") == P9_RATTACH);
	CHECK(walk_open(1, 2, "data", P9_OREAD) == 0);
	CHECK(listen_name(3, LISTEN_ANAME, 's', "a") == P9_RERROR &&
	      is_err("address already in use"));
	CHECK(listen_name(3, CONNECT_ANAME, 'd', "a") == P9_RERROR &&
	      is_err("protocol wrong type for socket"));
	/* Nobody yet: accept is EAGAIN; a held query waits for a client. */
	CHECK(accept_at(1, 9) == P9_RERROR);
	CHECK(ready(2, READY_IN) == 0);
	CHECK(tread(2, 1, READY_QUERY | READY_IN) == 0 && served == P9SRV_HELD);
	int h = held_rc;
	/* A client: queued when it opens data1; writes before the accept. */
	CHECK(listen_name(3, CONNECT_ANAME, 's', "a") == P9_RATTACH);
	CHECK(walk_open(3, 4, "data1", P9_ORDWR) == 0);
	CHECK(answered(h, &m) == P9_RREAD && m.data[0] == READY_IN);
	CHECK(twrite(4, "early", 5, 0) == P9_RWRITE);
	CHECK(accept_at(1, 5) == P9_RWALK && r.nwqid == 2);
	struct p9_msg o = { .type = P9_TOPEN, .fid = 5, .mode = P9_ORDWR };
	CHECK(rpc(c1, &o) == P9_ROPEN);
	CHECK(tread(5, 100, 0) == P9_RREAD && r.count == 5);
	CHECK(twrite(5, "back", 4, 0) == P9_RWRITE);
	CHECK(tread(4, 100, 0) == P9_RREAD && r.count == 4);
	struct sock_info si;
	CHECK(tread(5, sizeof si, SOCK_INFO) == P9_RREAD);
	memcpy(&si, r.data, sizeof si);
	CHECK(si.peer_pid == 7);
	/* The client hangs up: the end for the server. */
	CHECK(clunk(4) == P9_RCLUNK && clunk(3) == P9_RCLUNK);
	CHECK(tread(5, 100, 0) == P9_RREAD && r.count == 0);
	CHECK(clunk(5) == P9_RCLUNK && pipes_in_use(&pipes) == 1);
	/* A full backlog is EAGAIN; a listener gone refuses its queue. */
	for (uint32_t i = 0; i < MAX_BACKLOG; i++) {
		CHECK(listen_name(10 + 2 * i, CONNECT_ANAME, 's', "a") ==
		      P9_RATTACH);
		CHECK(walk_open(10 + 2 * i, 11 + 2 * i, "data1", P9_ORDWR) ==
		      0);
	}
	CHECK(listen_name(60, CONNECT_ANAME, 's', "a") == P9_RATTACH);
	struct p9_msg w = { .type = P9_TWALK, .fid = 60, .newfid = 61,
			    .nwname = 1 };
	w.wname[0] = p9_str("data1");
	CHECK(rpc(c1, &w) == P9_RWALK);
	o.fid = 61;
	CHECK(rpc(c1, &o) == P9_RERROR &&
	      is_err("resource temporarily unavailable"));
	CHECK(clunk(2) == P9_RCLUNK && clunk(1) == P9_RCLUNK);
	CHECK(rpc(c1, &o) == P9_RERROR && is_err("connection refused"));
	CHECK(tread(11, 100, 0) == P9_RREAD && r.count == 0);
	CHECK(twrite(11, "x", 1, 0) == P9_RERROR && is_err("broken pipe"));
	/* Nothing left once the clients go. */
	p9srv_hangup(&srv, c1);
	CHECK(pipes_in_use(&pipes) == 0 && p9srv_nheld(&srv) == 0);
	return 0;
}

/* A control record naming file fid's end of the pipe `pipe` (a
 * struct sock_info read from it). */
static int join_line(uint32_t fid, const char *file, char *out, size_t cap)
{
	struct sock_info si;
	CHECK(tread(fid, sizeof si, SOCK_INFO) == P9_RREAD);
	memcpy(&si, r.data, sizeof si);
	snprintf(out, cap, "%c %x:%llx %s 0 0 0\n", SOCK_CTL_JOIN, si.id,
		 (unsigned long long)si.key, file);
	return 0;
}

static int control_records_hold_files(void)
{
	char line[96];
	CHECK(setup() == 0 && new_pair(1, SOCK_STREAM_CH) == 0);
	CHECK(new_pipe(11) == 0); /* 12 reads, 13 writes */
	CHECK(join_line(12, "data", line, sizeof line) == 0);
	CHECK(twrite(2, line, (uint32_t)strlen(line), SOCK_CTL) == P9_RWRITE);
	CHECK(twrite(2, "ab", 2, 0) == P9_RWRITE);
	CHECK(pipes_ctl_in_use(&pipes) == 1);
	/* The read end closed: still open in flight, so no EPIPE. */
	CHECK(clunk(12) == P9_RCLUNK);
	CHECK(twrite(13, "kept", 4, 0) == P9_RWRITE);
	/* A read stops at a record; the record comes with the bytes after. */
	CHECK(twrite(2, "cd", 2, 0) == P9_RWRITE);
	CHECK(tread(3, 100, 0) == P9_RREAD && r.count == 4);
	CHECK(tread(3, 100, SOCK_CTL) == P9_RREAD &&
	      r.count == strlen(line) && memcmp(r.data, line, r.count) == 0);
	CHECK(tread(3, 100, SOCK_CTL) == P9_RREAD && r.count == 0);
	/* Given, still held until released. */
	CHECK(twrite(13, "more", 4, 0) == P9_RWRITE);
	CHECK(twrite(3, "r", 1, SOCK_RELEASE) == P9_RWRITE);
	CHECK(pipes_ctl_in_use(&pipes) == 0);
	CHECK(twrite(13, "x", 1, 0) == P9_RERROR && is_err("broken pipe"));
	/* Bad records: a stale key, a pipe over itself, a listener. */
	CHECK(join_line(13, "data1", line, sizeof line) == 0);
	line[2] = line[2] == '1' ? '2' : '1';
	CHECK(twrite(2, line, (uint32_t)strlen(line), SOCK_CTL) == P9_RERROR);
	CHECK(join_line(2, "data", line, sizeof line) == 0);
	CHECK(twrite(2, line, (uint32_t)strlen(line), SOCK_CTL) == P9_RERROR);
	CHECK(pipes_ctl_in_use(&pipes) == 0);
	/* A record nobody reads goes with its pipe, its holds with it. */
	CHECK(join_line(13, "data1", line, sizeof line) == 0);
	CHECK(twrite(2, line, (uint32_t)strlen(line), SOCK_CTL) == P9_RWRITE);
	CHECK(clunk(13) == P9_RCLUNK && clunk(11) == P9_RCLUNK);
	CHECK(pipes_in_use(&pipes) == 2); /* the pipe, held in flight */
	p9srv_hangup(&srv, c1);
	CHECK(pipes_in_use(&pipes) == 0 && pipes_ctl_in_use(&pipes) == 0);
	return 0;
}

static int bound_datagram_sockets(void)
{
	struct p9_msg m;
	CHECK(setup() == 0);
	CHECK(listen_name(1, DSEND_ANAME, 'd', "g") == P9_RERROR &&
	      is_err("connection refused"));
	CHECK(listen_name(1, DBIND_ANAME, 'd', "g") == P9_RATTACH);
	CHECK(walk_open(1, 2, "data", P9_OREAD) == 0);
	CHECK(listen_name(3, DBIND_ANAME, 'd', "g") == P9_RERROR &&
	      is_err("address already in use"));
	CHECK(listen_name(3, DBIND_ANAME, 's', "h") == P9_RERROR);
	CHECK(listen_name(3, CONNECT_ANAME, 's', "g") == P9_RERROR &&
	      is_err("protocol wrong type for socket"));
	/* Two senders; the reader waits, and never reads an end. */
	CHECK(tread(2, 100, 0) == 0 && served == P9SRV_HELD);
	int h = held_rc;
	CHECK(listen_name(3, DSEND_ANAME, 'd', "g") == P9_RATTACH);
	CHECK(walk_open(3, 4, "data1", P9_OWRITE) == 0);
	CHECK(listen_name(5, DSEND_ANAME, 'd', "g") == P9_RATTACH);
	CHECK(walk_open(5, 6, "data1", P9_OWRITE) == 0);
	CHECK(twrite(4, "from4", 5, 0) == P9_RWRITE);
	CHECK(answered(h, &m) == P9_RREAD && m.count == 5);
	CHECK(twrite(6, "6", 1, 0) == P9_RWRITE);
	CHECK(clunk(4) == P9_RCLUNK && clunk(3) == P9_RCLUNK);
	CHECK(tread(2, 100, 0) == P9_RREAD && r.count == 1);
	CHECK(tread(2, 100, PIPE_NOWAIT) == P9_RERROR);
	CHECK(twrite(6, "c 1\n", 4, SOCK_CTL) == P9_RERROR);
	/* The reader gone: senders get EPIPE, new ones are refused. */
	CHECK(clunk(2) == P9_RCLUNK && clunk(1) == P9_RCLUNK);
	CHECK(twrite(6, "x", 1, 0) == P9_RERROR && is_err("broken pipe"));
	CHECK(listen_name(3, DSEND_ANAME, 'd', "g") == P9_RERROR);
	CHECK(clunk(6) == P9_RCLUNK && clunk(5) == P9_RCLUNK);
	CHECK(pipes_in_use(&pipes) == 0);
	return 0;
}

static int socket_bad_anames_refused(void)
{
	CHECK(setup() == 0);
	const char *bad[] = { "spair:", "spair:x:1", "spair:s1", "spair:s:1:",
			      "listen:s:1", "listen:s:1:", "connect:q:1:a",
			      "join:1", "join:zz:1", "join:" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(attach(1, bad[i]) == P9_RERROR);
	CHECK(attach(1, "join:1:2") == P9_RERROR &&
	      is_err("file does not exist"));
	CHECK(pipes_in_use(&pipes) == 0);
	return 0;
}

int main(void)
{
	RUN(bytes_go_across);
	RUN(empty_read_waits_for_data_or_eof);
	RUN(nowait_is_eagain);
	RUN(atomic_writes_wait_until_they_fit);
	RUN(no_reader_is_epipe);
	RUN(flushed_and_cancelled_waiters_go);
	RUN(pipes_go_with_their_fids);
	RUN(too_many_pipes_is_enospc);
	RUN(readiness_queries);
	RUN(fifo_one_pipe_per_name);
	RUN(fifo_waits_until_connected);
	RUN(fifo_goes_with_its_last_fid);
	RUN(fifo_bad_anames_refused);
	RUN(socket_pairs);
	RUN(listeners_and_connections);
	RUN(control_records_hold_files);
	RUN(bound_datagram_sockets);
	RUN(socket_bad_anames_refused);
	return check_done();
}
