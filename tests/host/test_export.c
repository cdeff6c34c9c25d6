/*
 * exportfs (commands/posix/exportfs.c), built for the host and run on
 * 127.0.0.1 with an ephemeral port: authenticated clients use the tree
 * through lib/9p's client (walk, create, write, read, stat, wstat,
 * directory reads, remove, flush); a wrong key is refused and logged; an
 * unauthenticated client is refused unless it comes from the listed
 * address, which is then read-only as configured; a malformed message
 * gets Rerror and the connection goes on; a client that drops
 * mid-session leaves no connection behind.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "9p/client.h"
#include "9p/errstr.h"
#include "auth/auth.h"
#include "../../commands/posix/netio.h"

#ifndef EXPORT_BIN
#error EXPORT_BIN names the host build of exportfs
#endif

static char dir[64], tree[96], key[96], badkey[96], stats[96], logf[96];

struct server {
	pid_t pid;
	int port;
};
static struct server authed, listed;

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0) {
		}
		close(fd);
	}
}

static int read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return (int)n;
}

/* Starts exportfs with the arguments; its first line gives the port. */
static int start(struct server *s, const char *const *args)
{
	int out[2];
	if (pipe(out))
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		char *argv[16];
		int n = 0;
		argv[n++] = (char *)EXPORT_BIN;
		for (; *args; args++)
			argv[n++] = (char *)*args;
		argv[n] = 0;
		dup2(out[1], 1);
		int lf = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(lf, 2);
		execv(EXPORT_BIN, argv);
		_exit(127);
	}
	close(out[1]);
	char line[128];
	int n = 0;
	while (n < (int)sizeof(line) - 1 && read(out[0], line + n, 1) == 1 &&
	       line[n] != '\n')
		n++;
	line[n] = 0;
	close(out[0]);
	const char *p = strstr(line, "port ");
	s->port = p ? atoi(p + 5) : -1;
	return s->port > 0 ? 0 : -1;
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&in, sizeof(in))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int authenticate(int fd, const char *keyfile)
{
	uint8_t k[AUTH_KEY_MAX], nonce[AUTH_NONCE];
	int kn = net_load_key(keyfile, k);
	struct auth_io io = net_auth_io(&fd);
	if (kn < 0 || net_nonce(nonce))
		return -100;
	return auth_client(&io, k, (size_t)kn, nonce);
}

/* lib/9p's client over the socket. */
static long sock_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		     uint32_t rcap)
{
	int fd = *(int *)ctx;
	if (net_write_full(fd, t, tlen))
		return -P9_EIO;
	long n = net_read_msg(fd, r, rcap, 0);
	return n > 0 ? n : -P9_EIO;
}

#define BUFSZ (8192 + 24)
static uint8_t tbuf[BUFSZ], rbuf[BUFSZ];
static int cfd;
static struct p9c cl;

/* Connects (authenticated with keyfile, or not when 0), versions and
 * attaches fid 0. */
static int session(int port, const char *keyfile)
{
	cfd = dial(port);
	if (cfd < 0)
		return -1;
	if (keyfile && authenticate(cfd, keyfile))
		return -2;
	struct p9_qid q;
	if (p9c_init(&cl, sock_rpc, &cfd, tbuf, rbuf, BUFSZ))
		return -3;
	return p9c_attach(&cl, 0, "user", "", &q) ? -4 : 0;
}

static int stat_line(const char *name)
{
	char buf[128], *p;
	if (read_file(stats, buf, sizeof(buf)) < 0 || !(p = strstr(buf, name)))
		return -1;
	return atoi(p + strlen(name) + 1);
}

/* Waits (up to 5 s) for the stats file's field to be want. */
/* Waits (up to 30 s: a loaded machine) for a count to be want, or with
 * at_least to reach it (a refusal of an earlier test's connection may be
 * counted late, together with ours). */
static int wait_count(const char *name, int want, int at_least)
{
	for (int i = 0; i < 3000; i++) {
		int n = stat_line(name);
		if (n == want || (at_least && n > want))
			return 0;
		usleep(10000);
	}
	return -1;
}

static int wait_stat(const char *name, int want)
{
	return wait_count(name, want, 0);
}

static int files_authenticated(void)
{
	CHECK(session(authed.port, key) == 0);
	const char *hello[] = { "hello" };
	struct p9_qid q;
	CHECK(p9c_walk(&cl, 0, 1, 1, hello, &q) == 1);
	CHECK(p9c_open(&cl, 1, P9_OREAD, &q) == 0);
	char buf[64];
	CHECK(p9c_read(&cl, 1, 0, buf, sizeof(buf)) == 6);
	CHECK(!memcmp(buf, "world\n", 6));
	CHECK(p9c_read(&cl, 1, 6, buf, sizeof(buf)) == 0);
	/* create in a new directory, write, read back through the host */
	CHECK(p9c_walk(&cl, 0, 2, 0, 0, &q) == 0);
	CHECK(p9c_create(&cl, 2, "sub", P9_DMDIR | 0755, P9_OREAD, &q) == 0);
	CHECK(q.type == P9_QTDIR);
	CHECK(p9c_clunk(&cl, 2) == 0);
	const char *sub[] = { "sub" };
	CHECK(p9c_walk(&cl, 0, 3, 1, sub, &q) == 1);
	CHECK(p9c_create(&cl, 3, "f", 0644, P9_ORDWR, &q) == 0);
	CHECK(p9c_write(&cl, 3, 0, "abcdef", 6) == 6);
	char path[160];
	snprintf(path, sizeof(path), "%s/sub/f", tree);
	CHECK(read_file(path, buf, sizeof(buf)) == 6);
	/* the same name again: it exists */
	CHECK(p9c_walk(&cl, 0, 4, 1, sub, &q) == 1);
	CHECK(p9c_create(&cl, 4, "f", 0644, P9_OWRITE, &q) == -P9_EEXIST);
	/* stat, then wstat: truncate and rename */
	struct p9_stat st;
	CHECK(p9c_stat(&cl, 3, &st) == 0);
	CHECK(st.length == 6 && p9_str_eq(st.name, "f"));
	p9c_nochange(&st);
	st.length = 2;
	st.name = p9_str("g");
	CHECK(p9c_wstat(&cl, 3, &st) == 0);
	snprintf(path, sizeof(path), "%s/sub/g", tree);
	CHECK(read_file(path, buf, sizeof(buf)) == 2);
	/* a directory read lists g alone, as one whole entry */
	CHECK(p9c_open(&cl, 4, P9_OREAD, &q) == 0);
	long n = p9c_read(&cl, 4, 0, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(p9_stat_decode((uint8_t *)buf, (size_t)n, &st) == n);
	CHECK(p9_str_eq(st.name, "g"));
	CHECK(p9c_read(&cl, 4, (uint64_t)n, buf, sizeof(buf)) == 0);
	CHECK(p9c_read(&cl, 4, 3, buf, sizeof(buf)) == -P9_EINVAL);
	/* a directory cannot be opened for writing; removing a full one fails */
	CHECK(p9c_walk(&cl, 0, 5, 1, sub, &q) == 1);
	CHECK(p9c_open(&cl, 5, P9_OWRITE, &q) == -P9_EISDIR);
	CHECK(p9c_remove(&cl, 5) == -P9_ENOTEMPTY);
	CHECK(p9c_remove(&cl, 3) == 0);
	CHECK(access(path, F_OK) == -1);
	CHECK(p9c_clunk(&cl, 4) == 0);
	close(cfd);
	return 0;
}

static int walks_stay_inside(void)
{
	CHECK(session(authed.port, key) == 0);
	struct p9_qid root, q;
	CHECK(p9c_walk(&cl, 0, 1, 0, 0, &root) == 0);
	CHECK(p9c_stat(&cl, 0, &(struct p9_stat){ 0 }) == 0);
	const char *up[] = { "..", "..", "hello" };
	CHECK(p9c_walk(&cl, 0, 2, 3, up, &q) == 3); /* .. at the root stays */
	const char *bad[] = { "a/b" }, *partial[] = { "hello", "nothere" };
	CHECK(p9c_walk(&cl, 0, 3, 1, bad, &q) == -P9_ENOENT);
	CHECK(p9c_walk(&cl, 0, 3, 2, partial, &q) == 1);
	CHECK(p9c_clunk(&cl, 3) == -P9_EBADF); /* a partial walk makes no fid */
	CHECK(p9c_walk(&cl, 0, 2, 0, 0, &q) == -P9_EBADF); /* in use */
	CHECK(p9c_clunk(&cl, 77) == -P9_EBADF);
	/* an attach naming a path outside is refused */
	struct p9_qid a;
	CHECK(p9c_attach(&cl, 9, "user", "../..", &a) == -P9_EINVAL);
	CHECK(p9c_attach(&cl, 9, "user", "nothere", &a) == -P9_ENOENT);
	CHECK(p9c_attach(&cl, 9, "user", "/sub/", &a) == 0);
	close(cfd);
	return 0;
}

/* A message of an unknown type, then one cut inside: Rerror, and the
 * connection still works. */
static int malformed_answered(void)
{
	CHECK(session(authed.port, key) == 0);
	uint8_t junk[16] = { 11, 0, 0, 0, 250, 1, 0, 0, 0, 0, 0 };
	CHECK(net_write_full(cfd, junk, 11) == 0);
	long n = net_read_msg(cfd, rbuf, sizeof(rbuf), 0);
	struct p9_msg r;
	CHECK(n > 0 && p9_decode(rbuf, (size_t)n, &r) == 0);
	CHECK(r.type == P9_RERROR);
	struct p9_qid q;
	CHECK(p9c_walk(&cl, 0, 1, 0, 0, &q) == 0);
	/* Tflush of a request long answered: Rflush */
	struct p9_msg f = { .type = P9_TFLUSH, .tag = 3, .oldtag = 1 };
	n = p9_encode(tbuf, sizeof(tbuf), &f);
	CHECK(net_write_full(cfd, tbuf, (size_t)n) == 0);
	n = net_read_msg(cfd, rbuf, sizeof(rbuf), 0);
	CHECK(n > 0 && p9_decode(rbuf, (size_t)n, &r) == 0 && r.type == P9_RFLUSH);
	close(cfd);
	return 0;
}

static int wrong_key_refused(void)
{
	int before = stat_line("refused");
	cfd = dial(authed.port);
	CHECK(cfd >= 0);
	CHECK(authenticate(cfd, badkey) == AUTH_EPROOF);
	close(cfd);
	CHECK(wait_count("refused", before + 1, 1) == 0);
	/* Plain 9P without authentication: refused too. */
	CHECK(session(authed.port, 0) < 0);
	close(cfd);
	CHECK(wait_count("refused", before + 2, 1) == 0);
	char log[4096];
	CHECK(read_file(logf, log, sizeof(log)) > 0);
	CHECK(strstr(log, "exportfs: refused 127.0.0.1: wrong key") != 0);
	CHECK(strstr(log, "exportfs: refused 127.0.0.1: not authenticated") != 0);
	return 0;
}

/* The listed address in plain 9P, read-only as configured. */
static int listed_read_only(void)
{
	CHECK(session(listed.port, 0) == 0);
	const char *hello[] = { "hello" };
	struct p9_qid q;
	CHECK(p9c_walk(&cl, 0, 1, 1, hello, &q) == 1);
	CHECK(p9c_open(&cl, 1, P9_OWRITE, &q) == -P9_EROFS);
	CHECK(p9c_open(&cl, 1, P9_OREAD, &q) == 0);
	CHECK(p9c_remove(&cl, 1) == -P9_EROFS);
	CHECK(p9c_walk(&cl, 0, 2, 0, 0, &q) == 0);
	CHECK(p9c_create(&cl, 2, "x", 0644, P9_OREAD, &q) == -P9_EROFS);
	close(cfd);
	/* and it may still authenticate */
	CHECK(session(listed.port, key) == 0);
	close(cfd);
	return 0;
}

/* A client that drops with fids open: its connection ends with it. */
static int dropped_client_freed(void)
{
	CHECK(wait_stat("connections", 0) == 0);
	CHECK(session(authed.port, key) == 0);
	const char *hello[] = { "hello" };
	struct p9_qid q;
	CHECK(p9c_walk(&cl, 0, 1, 1, hello, &q) == 1);
	CHECK(p9c_open(&cl, 1, P9_OREAD, &q) == 0);
	CHECK(wait_stat("connections", 1) == 0);
	/* half a message, then gone */
	CHECK(net_write_full(cfd, "\x40\0\0\0\x74", 5) == 0);
	close(cfd);
	CHECK(wait_stat("connections", 0) == 0);
	return 0;
}

static int bad_usage(void)
{
	/* No key file: exportfs will not start. */
	struct server s;
	const char *args[] = { "-k", "/nonexistent/key", "-p", "0", tree, 0 };
	CHECK(start(&s, args) < 0);
	int st;
	waitpid(s.pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	const char *args2[] = { "-a", "127.0.0.1", "-p", "0", tree, 0 };
	CHECK(start(&s, args2) < 0);
	waitpid(s.pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	return 0;
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_export.%d", (int)getpid());
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(badkey, sizeof(badkey), "%s/badkey", dir);
	snprintf(stats, sizeof(stats), "%s/stats", dir);
	snprintf(logf, sizeof(logf), "%s/log", dir);
	mkdir(dir, 0755);
	mkdir(tree, 0755);
	write_file(key, "0123456789abcdef0123456789abcdef\n");
	write_file(badkey, "fedcba9876543210fedcba9876543210\n");
	char hello[160];
	snprintf(hello, sizeof(hello), "%s/hello", tree);
	write_file(hello, "world\n");
	signal(SIGPIPE, SIG_IGN);
	const char *a1[] = { "-k", key, "-s", stats, "-p", "0", tree, 0 };
	const char *a2[] = { "-k", key, "-a", "127.0.0.1:ro", "-p", "0", tree, 0 };
	if (start(&authed, a1) || start(&listed, a2)) {
		printf("FAIL start: exportfs did not start\n");
		return 1;
	}
	RUN(files_authenticated);
	RUN(walks_stay_inside);
	RUN(malformed_answered);
	RUN(wrong_key_refused);
	RUN(listed_read_only);
	RUN(dropped_client_freed);
	RUN(bad_usage);
	kill(authed.pid, SIGTERM);
	kill(listed.pid, SIGTERM);
	waitpid(authed.pid, 0, 0);
	waitpid(listed.pid, 0, 0);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (getenv("KEEP")) cmd[0] = 0;
	if (cmd[0] && system(cmd)) {
	}
	return check_done();
}
