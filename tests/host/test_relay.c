/*
 * The import server's relay (servers/import/relay.c) against exportfs's
 * server (commands/posix/exportsrv.c) over a socket pair: two local
 * connections use the same fid numbers without meeting; Tattach names
 * the remote path; walks, opens and reads go through; bad requests get
 * Rerror (unknown fid, a fid in use, Tauth, anything before Tversion, a
 * malformed message) and change nothing; a connection that hangs up has
 * its remote fids clunked; a stream that ends makes every request an
 * Rerror and the relay dead.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "9p/9p.h"
#include "9p/errstr.h"
#include "../../commands/posix/exportsrv.h"
#include "../../commands/posix/netio.h"
#include "../../servers/import/relay.h"

static int sock = -1;
static pid_t server;
static char dir[64];
static uint8_t in[RELAY_MSIZE], out[RELAY_MSIZE];

static long sock_exchange(const uint8_t *t, uint32_t n, uint8_t *r)
{
	if (net_write_full(sock, t, n))
		return -1;
	long got = net_read_msg(sock, r, RELAY_MSIZE, 0);
	return got > 0 ? got : -1;
}

/* A fresh exporter of dir (its "sub" directory as the remote path). */
static int start(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	server = fork();
	if (server == 0) {
		close(sv[0]);
		struct export_opts o = { dir, 0 };
		_exit(export_serve(sv[1], &o, 0, 0) ? 1 : 0);
	}
	close(sv[1]);
	sock = sv[0];
	return relay_init("sub", sock_exchange);
}

static void stop(void)
{
	close(sock);
	waitpid(server, 0, 0);
}

/* m from local connection c: the reply decoded into *r. */
static int rpc(struct relay_conn *c, struct p9_msg *m, struct p9_msg *r)
{
	long n = p9_encode(in, sizeof(in), m);
	if (n < 0)
		return -1;
	long k = relay_serve(c, in, (uint64_t)n, out);
	return k > 0 && p9_decode(out, (size_t)k, r) == 0 && r->tag == m->tag ? 0 : -1;
}

static int version(struct relay_conn *c)
{
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG, .msize = 8192,
			    .version = p9_str("9P2000") }, r;
	return rpc(c, &t, &r) || r.type != P9_RVERSION || r.msize != 8192;
}

static int attach(struct relay_conn *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TATTACH, .tag = 1, .fid = fid,
			    .afid = P9_NOFID, .uname = p9_str("u"),
			    .aname = p9_str("ignored") }, r;
	return rpc(c, &t, &r) || r.type != P9_RATTACH;
}

static int is_error(const struct p9_msg *r, int e)
{
	return r->type == P9_RERROR && p9_errno(r->ename.s, r->ename.len) == e;
}

/* Walks fid to newfid by one name, opens and reads: the bytes in buf. */
static long cat(struct relay_conn *c, uint32_t fid, uint32_t newfid,
		const char *name, char *buf)
{
	struct p9_msg t = { .type = P9_TWALK, .tag = 2, .fid = fid,
			    .newfid = newfid, .nwname = 1 }, r;
	t.wname[0] = p9_str(name);
	if (rpc(c, &t, &r) || r.type != P9_RWALK || r.nwqid != 1)
		return -1;
	t = (struct p9_msg){ .type = P9_TOPEN, .tag = 3, .fid = newfid };
	if (rpc(c, &t, &r) || r.type != P9_ROPEN)
		return -2;
	t = (struct p9_msg){ .type = P9_TREAD, .tag = 4, .fid = newfid,
			     .count = 100 };
	if (rpc(c, &t, &r) || r.type != P9_RREAD)
		return -3;
	memcpy(buf, r.data, r.count);
	return r.count;
}

static int two_connections(void)
{
	CHECK(start() == 0);
	struct relay_conn *a = relay_connect(), *b = relay_connect();
	CHECK(a && b && a->id != b->id);
	CHECK(version(a) == 0 && version(b) == 0);
	CHECK(attach(a, 0) == 0 && attach(b, 0) == 0); /* the same fid */
	char buf[128];
	CHECK(cat(a, 0, 1, "f", buf) == 6 && !memcmp(buf, "inside", 6));
	CHECK(cat(b, 0, 1, "f", buf) == 6); /* b's fid 1 is its own */
	uint64_t nc, nf;
	relay_counts(&nc, &nf);
	CHECK(nc == 2 && nf == 4);
	/* a hangs up: its fids go (clunked remotely), b's stay */
	relay_hangup(a->id);
	relay_counts(&nc, &nf);
	CHECK(nc == 1 && nf == 2);
	CHECK(relay_find(a->id) == 0);
	/* a Tclunk ends a fid; a Tremove too, whatever the answer */
	struct p9_msg t = { .type = P9_TCLUNK, .tag = 5, .fid = 1 }, r;
	CHECK(rpc(b, &t, &r) == 0 && r.type == P9_RCLUNK);
	t = (struct p9_msg){ .type = P9_TREMOVE, .tag = 6, .fid = 0 };
	CHECK(rpc(b, &t, &r) == 0 && r.type == P9_RERROR); /* the root */
	relay_counts(&nc, &nf);
	CHECK(nf == 0);
	relay_hangup(b->id);
	stop();
	return 0;
}

static int errors_change_nothing(void)
{
	CHECK(start() == 0);
	struct relay_conn *c = relay_connect();
	struct p9_msg t = { .type = P9_TSTAT, .tag = 7, .fid = 0 }, r;
	CHECK(rpc(c, &t, &r) == 0 && is_error(&r, P9_EIO)); /* no Tversion */
	CHECK(version(c) == 0);
	CHECK(rpc(c, &t, &r) == 0 && is_error(&r, P9_EBADF)); /* no fid 0 */
	CHECK(attach(c, 0) == 0);
	CHECK(attach(c, 0) != 0); /* in use */
	t = (struct p9_msg){ .type = P9_TAUTH, .tag = 8, .afid = 5,
			     .uname = p9_str("u"), .aname = p9_str("") };
	CHECK(rpc(c, &t, &r) == 0 && is_error(&r, P9_ENOTSUP));
	t = (struct p9_msg){ .type = P9_TWALK, .tag = 9, .fid = 0, .newfid = 0,
			     .nwname = 1 };
	t.wname[0] = p9_str("nothere");
	CHECK(rpc(c, &t, &r) == 0 && is_error(&r, P9_ENOENT));
	/* a partial walk to a new fid makes none */
	t = (struct p9_msg){ .type = P9_TWALK, .tag = 10, .fid = 0, .newfid = 3,
			     .nwname = 2 };
	t.wname[0] = p9_str("f"), t.wname[1] = p9_str("x");
	CHECK(rpc(c, &t, &r) == 0);
	uint64_t nc, nf;
	relay_counts(&nc, &nf);
	CHECK(nf == 1);
	/* a malformed message: Rerror with its tag */
	uint8_t junk[9] = { 9, 0, 0, 0, P9_TCLUNK, 11, 0, 1, 2 };
	long k = relay_serve(c, junk, sizeof(junk), out);
	CHECK(k > 0 && p9_decode(out, (size_t)k, &r) == 0 && r.tag == 11 &&
	      r.type == P9_RERROR);
	/* Tflush: answered here */
	t = (struct p9_msg){ .type = P9_TFLUSH, .tag = 12, .oldtag = 9 };
	CHECK(rpc(c, &t, &r) == 0 && r.type == P9_RFLUSH);
	/* the stream ends: an error, and the relay is dead */
	stop();
	t = (struct p9_msg){ .type = P9_TSTAT, .tag = 13, .fid = 0 };
	CHECK(rpc(c, &t, &r) == 0 && is_error(&r, P9_EIO));
	CHECK(relay_dead());
	return 0;
}

static int limits(void)
{
	CHECK(start() == 0);
	int n = 0;
	while (relay_connect())
		n++;
	CHECK(n == RELAY_NCONN);
	char long_name[RELAY_ANAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	CHECK(relay_init(long_name, sock_exchange) == -1);
	stop();
	return 0;
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_relay.%d", (int)getpid());
	char path[128];
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sub/f", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "inside", 6) != 6)
		return 1;
	close(fd);
	RUN(two_connections);
	RUN(errors_change_nothing);
	RUN(limits);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
	}
	return check_done();
}
