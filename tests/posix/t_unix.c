/*
 * Unix-domain sockets (tests `unix_*`): socketpair of both types, a
 * server and a forked client over a bound path (10,000 messages), accept4
 * and nonblocking accept, SCM_RIGHTS (a pipe's and a file's descriptors
 * read through by the receiver), SCM_CREDENTIALS, SO_PEERCRED, shutdown,
 * MSG_PEEK/MSG_DONTWAIT/MSG_NOSIGNAL, EPIPE and SIGPIPE, poll, a client
 * killed while connected, and the errors: ECONNREFUSED, ENOENT,
 * EADDRINUSE, ENOTSOCK, EBADF, EAFNOSUPPORT, EFAULT, EINVAL.
 */
#include "posixtest.h"

#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t addr_of(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   strlen(path) + 1);
}

/* A listening socket bound to path (-1: could not). */
static int listener(const char *path, int flags)
{
	struct sockaddr_un sa;
	socklen_t len = addr_of(&sa, path);
	int s = socket(AF_UNIX, SOCK_STREAM | flags, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, len) || listen(s, 8)) {
		pt_say("listener %s: %s", path, strerror(errno));
		return -1;
	}
	return s;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = addr_of(&sa, path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, len) != 0)
		return -1;
	return s;
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void t_unix_pair_stream(void)
{
	int sv[2];
	char buf[64];
	struct stat st;
	OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	OK(fstat(sv[0], &st));
	CHECK(S_ISSOCK(st.st_mode));
	EQ(write(sv[0], "hello", 5), 5);
	EQ(send(sv[0], " you", 4, 0), 4);
	/* A peek takes nothing; a stream keeps no bounds. */
	EQ(recv(sv[1], buf, 3, MSG_PEEK), 3);
	CHECK(memcmp(buf, "hel", 3) == 0);
	EQ(read(sv[1], buf, sizeof buf), 9);
	CHECK(memcmp(buf, "hello you", 9) == 0);
	/* Both ways. */
	EQ(write(sv[1], "back", 4), 4);
	EQ(recv(sv[0], buf, sizeof buf, 0), 4);
	ERR(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	int v = 0;
	socklen_t vl = sizeof v;
	OK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl));
	EQ(v, SOCK_STREAM);
	EQ(vl, sizeof v);
	OK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &vl));
	EQ(v, 0);
	v = 65536;
	OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
	OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
	struct ucred uc;
	socklen_t ul = sizeof uc;
	OK(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &uc, &ul));
	EQ(uc.pid, getpid());
	/* shutdown(SHUT_WR): the peer reads to the end; we may not write. */
	OK(shutdown(sv[0], SHUT_WR));
	EQ(read(sv[1], buf, sizeof buf), 0);
	ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	EQ(write(sv[1], "still", 5), 5);
	EQ(read(sv[0], buf, sizeof buf), 5);
	ERR(shutdown(sv[0], 7), EINVAL);
	OK(close(sv[0]));
	OK(close(sv[1]));
}

static void t_unix_pair_dgram(void)
{
	int sv[2];
	char buf[64];
	OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
	EQ(send(sv[0], "one", 3, 0), 3);
	EQ(send(sv[0], "second", 6, 0), 6);
	EQ(write(sv[0], "3", 1), 1);
	/* One message a read, bounds kept; a short read drops the rest. */
	EQ(recv(sv[1], buf, sizeof buf, 0), 3);
	EQ(recv(sv[1], buf, 2, 0), 2);
	CHECK(memcmp(buf, "se", 2) == 0);
	EQ(read(sv[1], buf, sizeof buf), 1);
	EQ(buf[0], '3');
	ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	int v = 0;
	socklen_t vl = sizeof v;
	OK(getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &v, &vl));
	EQ(v, SOCK_DGRAM);
	/* A datagram peer that closed: ECONNREFUSED (no SIGPIPE). */
	OK(close(sv[1]));
	ERR(send(sv[0], "x", 1, 0), ECONNREFUSED);
	OK(close(sv[0]));
}

/* The server: echoes every message until the end; then its result. */
static int echo_server(int l, int n)
{
	int c = accept(l, 0, 0);
	if (c < 0)
		return 10;
	struct ucred uc;
	socklen_t ul = sizeof uc;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul) || uc.pid != getppid() ||
	    (uc.uid != 0 && uc.uid != getuid()))
		return 11;
	int got = 0;
	unsigned v;
	ssize_t r;
	while ((r = read(c, &v, sizeof v)) == sizeof v) {
		if (v != (unsigned)got)
			return 12;
		if (write(c, &v, sizeof v) != sizeof v)
			return 13;
		got++;
	}
	close(c);
	return r == 0 && got == n ? 0 : 14;
}

static void t_unix_server_client(void)
{
	const int n = 10000;
	int l = listener("srv.sock", 0);
	CHECK(l >= 0);
	struct stat st;
	OK(stat("srv.sock", &st));
	CHECK(S_ISSOCK(st.st_mode));
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(echo_server(l, n));
	OK(close(l));
	int c = connect_to("srv.sock");
	CHECK(c >= 0);
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	OK(getpeername(c, (struct sockaddr *)&sa, &len));
	CHECK(strcmp(sa.sun_path, "srv.sock") == 0);
	struct ucred uc;
	socklen_t ul = sizeof uc;
	OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
	EQ(uc.pid, getpid()); /* the listener's: it was made here */
	int bad = 0;
	for (unsigned i = 0; i < (unsigned)n; i++) {
		unsigned v = i, w = ~0u;
		if (write(c, &v, sizeof v) != sizeof v ||
		    read(c, &w, sizeof w) != sizeof w || w != i) {
			bad = 1;
			break;
		}
	}
	CHECK(!bad);
	OK(close(c));
	EQ(wait_child(pid), 0);
	OK(unlink("srv.sock"));
}

static void t_unix_names(void)
{
	int l = listener("names.sock", 0);
	CHECK(l >= 0);
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	OK(getsockname(l, (struct sockaddr *)&sa, &len));
	EQ(len, offsetof(struct sockaddr_un, sun_path) + sizeof "names.sock");
	CHECK(strcmp(sa.sun_path, "names.sock") == 0);
	int c = connect_to("names.sock");
	CHECK(c >= 0);
	int a = OK(accept4(l, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC));
	EQ(fcntl(a, F_GETFD), FD_CLOEXEC);
	/* The client is unbound: a bare family. */
	len = sizeof sa;
	OK(getsockname(c, (struct sockaddr *)&sa, &len));
	EQ(len, sizeof(sa_family_t));
	/* The accepted socket has the listener's name. */
	len = sizeof sa;
	OK(getsockname(a, (struct sockaddr *)&sa, &len));
	CHECK(strcmp(sa.sun_path, "names.sock") == 0);
	int v = 0;
	socklen_t vl = sizeof v;
	OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
	EQ(v, 1);
	ERR(getpeername(l, (struct sockaddr *)&sa, &len), ENOTCONN);
	ERR(syscall(SYS_getsockname, l, &sa, (void *)8), EFAULT);
	OK(close(a));
	OK(close(c));
	OK(close(l));
	OK(unlink("names.sock"));
}

/* Sends fds (and our credentials) over s with one byte. */
static ssize_t send_fds(int s, const int *fds, int n, int cred)
{
	char data = 'r';
	struct iovec iov = { &data, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf };
	struct cmsghdr *c = (struct cmsghdr *)u.buf;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	if (cred) {
		c = (struct cmsghdr *)(u.buf + m.msg_controllen);
		struct ucred uc = { getpid(), getuid(), getgid() };
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof uc);
		memcpy(CMSG_DATA(c), &uc, sizeof uc);
		m.msg_controllen += CMSG_SPACE(sizeof uc);
	}
	return sendmsg(s, &m, 0);
}

/* The receiver (a child): takes a pipe's and a file's descriptors and
 * the sender's credentials, reads through both. */
static int receive_fds(int s, pid_t sender)
{
	char data, buf[32];
	struct iovec iov = { &data, 1 };
	union {
		char buf[256];
		struct cmsghdr align;
	} u;
	int on = 1, fds[2] = { -1, -1 };
	pid_t from = 0;
	setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof u.buf };
	if (write(s, "go", 2) != 2 || recvmsg(s, &m, 0) != 1 || data != 'r')
		return 20;
	int w = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(3 * sizeof(int))) {
			memcpy(fds, CMSG_DATA(c), sizeof fds);
			memcpy(&w, CMSG_DATA(c) + sizeof fds, sizeof w);
		}
		if (c->cmsg_type == SCM_CREDENTIALS)
			from = ((struct ucred *)CMSG_DATA(c))->pid;
	}
	if (fds[0] < 0 || fds[1] < 0 || w < 0)
		return 21;
	/* A pipe's write end: the sender reads what we write. */
	if (write(w, "back", 4) != 4)
		return 25;
	if (from != sender)
		return 22;
	/* The pipe's read end: what the sender writes after. */
	if (read(fds[0], buf, 5) != 5 || memcmp(buf, "piped", 5) != 0)
		return 23;
	/* The file, at the sender's offset (2). */
	if (read(fds[1], buf, 4) != 4 || memcmp(buf, "llo ", 4) != 0)
		return 24;
	return 0;
}

static void t_unix_rights(void)
{
	int sv[2], p[2], q[2];
	char buf[4];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	OK(sigaction(SIGPIPE, &ign, &old));
	OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	OK(pipe(p));
	OK(pipe(q));
	fcntl(p[1], F_SETFL, O_NONBLOCK); /* a lost reader is EAGAIN/EPIPE */
	OK(pt_mkfile("rights.txt", "hello world", 11, 0600));
	int f = OK(open("rights.txt", O_RDONLY));
	EQ(read(f, buf, 2), 2);
	pid_t me = getpid();
	pid_t pid = OK(fork());
	if (pid == 0) {
		close(sv[0]);
		close(p[0]);
		close(f);
		close(q[0]);
		close(q[1]);
		_exit(receive_fds(sv[1], me));
	}
	OK(close(sv[1]));
	EQ(read(sv[0], buf, 2), 2); /* it set SO_PASSCRED */
	int fds[3] = { p[0], f, q[1] };
	EQ(send_fds(sv[0], fds, 3, 1), 1);
	OK(close(p[0]));
	OK(close(f));
	OK(close(q[1]));
	EQ(write(p[1], "piped", 5), 5);
	EQ(wait_child(pid), 0);
	EQ(read(q[0], buf, 4), 4);
	CHECK(memcmp(buf, "back", 4) == 0);
	EQ(read(q[0], buf, 4), 0); /* its last writer was the child's */
	OK(close(q[0]));
	OK(sigaction(SIGPIPE, &old, 0));
	/* Errors: a bad descriptor to pass is EBADF, nothing sent. */
	int bad[1] = { 999 };
	ERR(send_fds(sv[0], bad, 1, 0), EBADF);
	if (pt_on_metta()) {
		/* What cannot travel on Metta (Linux passes these). */
		int l = listener("rights.sock", 0), two[2];
		CHECK(l >= 0);
		OK(socketpair(AF_UNIX, SOCK_STREAM, 0, two));
		ERR(send_fds(two[0], &l, 1, 0), EOPNOTSUPP);
		ERR(send_fds(two[0], &two[1], 1, 0), ETOOMANYREFS);
		OK(close(two[0]));
		OK(close(two[1]));
		OK(close(l));
		OK(unlink("rights.sock"));
	}
	OK(close(p[1]));
	OK(close(sv[0]));
	OK(unlink("rights.txt"));
}

static void t_unix_errors(void)
{
	struct sockaddr_un sa;
	socklen_t len;
	int p[2];
	ERR(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
	ERR(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL);
	ERR(socket(AF_UNIX, 99, 0), EINVAL);
	int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	/* No such path; a path that is no socket; a socket nobody hears. */
	len = addr_of(&sa, "nothere.sock");
	ERR(connect(s, (struct sockaddr *)&sa, len), ENOENT);
	OK(pt_mkfile("plain", "", 0, 0600));
	len = addr_of(&sa, "plain");
	ERR(connect(s, (struct sockaddr *)&sa, len), ECONNREFUSED);
	int b = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	len = addr_of(&sa, "deaf.sock");
	OK(bind(b, (struct sockaddr *)&sa, len));
	ERR(connect(s, (struct sockaddr *)&sa, len), ECONNREFUSED);
	/* The path is taken, by the file it left. */
	int b2 = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	ERR(bind(b2, (struct sockaddr *)&sa, len), EADDRINUSE);
	len = addr_of(&sa, "plain");
	ERR(bind(b2, (struct sockaddr *)&sa, len), EADDRINUSE);
	len = addr_of(&sa, "fresh.sock");
	ERR(bind(b, (struct sockaddr *)&sa, len), EINVAL); /* bound already */
	struct stat st;
	ERR(stat("fresh.sock", &st), ENOENT);
	ERR(syscall(SYS_bind, b2, (void *)8, len), EFAULT);
	ERR(bind(b2, (struct sockaddr *)&sa, 200), EINVAL);
	sa.sun_family = AF_INET;
	ERR(bind(b2, (struct sockaddr *)&sa, len), EINVAL);
	/* listen on an unbound socket. */
	ERR(listen(b2, 1), EINVAL);
	/* Not sockets, not descriptors. */
	OK(pipe(p));
	ERR(listen(p[0], 1), ENOTSOCK);
	ERR(send(p[1], "x", 1, 0), ENOTSOCK);
	ERR(shutdown(p[0], SHUT_RD), ENOTSOCK);
	ERR(accept(99, 0, 0), EBADF);
	int v;
	socklen_t vl = sizeof v;
	ERR(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &vl), ENOTSOCK);
	/* Not connected. */
	ERR(send(s, "x", 1, 0), ENOTCONN);
	OK(shutdown(s, SHUT_RD)); /* Linux: nothing to shut, no error */
	ERR(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (int *)8), EFAULT);
	int q[2]; /* (Linux writes it even so) */
	ERR(socketpair(1000, SOCK_STREAM, 0, q), EAFNOSUPPORT);
	/* Bad pointers and lengths on a connected pair. */
	int e[2];
	OK(socketpair(AF_UNIX, SOCK_STREAM, 0, e));
	EQ(write(e[0], "data", 4), 4);
	ERR(syscall(SYS_recvfrom, e[1], (void *)8, 4, 0, 0, 0), EFAULT);
	ERR(syscall(SYS_recvmsg, e[1], (void *)8, 0), EFAULT);
	ERR(syscall(SYS_sendmsg, e[0], (void *)8, 0), EFAULT);
	ERR(syscall(SYS_sendto, e[0], (void *)8, 4, 0, 0, 0), EFAULT);
	struct iovec biov = { (void *)8, 4 };
	struct msghdr bm = { .msg_iov = &biov, .msg_iovlen = 1 };
	ERR(sendmsg(e[0], &bm, 0), EFAULT);
	bm.msg_iovlen = 5000;
	ERR(sendmsg(e[0], &bm, 0), EMSGSIZE);
	vl = (socklen_t)-1;
	ERR(getsockopt(e[0], SOL_SOCKET, SO_TYPE, &v, &vl), EINVAL);
	vl = sizeof v;
	ERR(getsockopt(e[0], SOL_SOCKET, 12345, &v, &vl), ENOPROTOOPT);
	ERR(syscall(SYS_getsockopt, e[0], SOL_SOCKET, SO_TYPE, &v, (void *)8),
	    EFAULT);
	ERR(setsockopt(e[0], SOL_SOCKET, SO_RCVBUF, &v, 1), EINVAL);
	ERR(syscall(SYS_setsockopt, e[0], SOL_SOCKET, SO_RCVBUF, (void *)8,
		    sizeof v),
	    EFAULT);
	ERR(accept4(e[0], 0, 0, 0x1234), EINVAL);
	ERR(accept(e[0], 0, 0), EINVAL); /* not listening */
	ERR(listen(e[0], 1), EINVAL);	 /* connected */
	int il = listener("isconn.sock", 0);
	CHECK(il >= 0);
	len = addr_of(&sa, "isconn.sock");
	ERR(connect(e[0], (struct sockaddr *)&sa, len), EISCONN);
	OK(close(il));
	OK(unlink("isconn.sock"));
	char four[4];
	EQ(read(e[1], four, 4), 4); /* nothing was taken */
	CHECK(memcmp(four, "data", 4) == 0);
	OK(close(e[0]));
	OK(close(e[1]));
	/* EPIPE, and SIGPIPE unless MSG_NOSIGNAL. */
	int sv[2];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	OK(sigaction(SIGPIPE, &ign, &old));
	OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	OK(close(sv[1]));
	ERR(write(sv[0], "x", 1), EPIPE);
	ERR(send(sv[0], "x", 1, 0), EPIPE);
	OK(sigaction(SIGPIPE, &old, 0));
	pid_t pid = OK(fork());
	if (pid == 0) {
		send(sv[0], "x", 1, 0);
		_exit(0); /* SIGPIPE should have ended it */
	}
	EQ(wait_child(pid), 128 + SIGPIPE);
	char c;
	EQ(read(sv[0], &c, 1), 0);
	OK(close(sv[0]));
	OK(close(p[0]));
	OK(close(p[1]));
	OK(close(s));
	OK(close(b));
	OK(close(b2));
	OK(unlink("deaf.sock"));
	OK(unlink("plain"));
}

static void t_unix_poll(void)
{
	int l = listener("poll.sock", SOCK_NONBLOCK);
	CHECK(l >= 0);
	ERR(accept(l, 0, 0), EAGAIN);
	struct pollfd pf = { l, POLLIN, 0 };
	EQ(poll(&pf, 1, 0), 0);
	int c = connect_to("poll.sock");
	CHECK(c >= 0);
	EQ(poll(&pf, 1, 1000), 1);
	EQ(pf.revents, POLLIN);
	int a = OK(accept4(l, 0, 0, SOCK_NONBLOCK));
	EQ(fcntl(a, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	char buf[8];
	ERR(read(a, buf, sizeof buf), EAGAIN);
	struct pollfd q[2] = { { a, POLLIN, 0 }, { c, POLLOUT, 0 } };
	EQ(poll(q, 2, 0), 1);
	EQ(q[0].revents, 0);
	EQ(q[1].revents, POLLOUT);
	EQ(write(c, "ab", 2), 2);
	EQ(poll(q, 1, 1000), 1);
	EQ(q[0].revents, POLLIN);
	EQ(read(a, buf, sizeof buf), 2);
	/* The peer gone: readable (the end) and hung up. */
	OK(close(c));
	EQ(poll(q, 1, 1000), 1);
	CHECK(q[0].revents & POLLHUP);
	EQ(read(a, buf, sizeof buf), 0);
	OK(close(a));
	OK(close(l));
	OK(unlink("poll.sock"));
}

/* A client killed while connected: the server reads the end. */
static void t_unix_dead_client(void)
{
	int l = listener("dead.sock", 0);
	CHECK(l >= 0);
	pid_t pid = OK(fork());
	if (pid == 0) {
		close(l);
		int c = connect_to("dead.sock");
		if (c < 0 || write(c, "hi", 2) != 2)
			_exit(1);
		pause();
		_exit(2);
	}
	int a = OK(accept(l, 0, 0));
	char buf[4];
	EQ(read(a, buf, sizeof buf), 2);
	OK(kill(pid, SIGKILL));
	EQ(wait_child(pid), 128 + SIGKILL);
	EQ(read(a, buf, sizeof buf), 0);
	OK(close(a));
	OK(close(l));
	OK(unlink("dead.sock"));
}

/* Datagram sockets bound to paths: sendto, connect, a forked sender. */
static void t_unix_dgram_bound(void)
{
	struct sockaddr_un sa, from;
	socklen_t len = addr_of(&sa, "dg.sock"), flen;
	char buf[64];
	int r = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	OK(bind(r, (struct sockaddr *)&sa, len));
	int s = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	EQ(sendto(s, "one", 3, 0, (struct sockaddr *)&sa, len), 3);
	EQ(sendto(s, "second", 6, 0, (struct sockaddr *)&sa, len), 6);
	struct pollfd pf = { r, POLLIN, 0 };
	EQ(poll(&pf, 1, 1000), 1);
	EQ(pf.revents, POLLIN);
	flen = sizeof from;
	EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen),
	   3);
	CHECK(flen <= sizeof(sa_family_t)); /* an unbound sender */
	EQ(recv(r, buf, 3, 0), 3); /* the rest of the message is dropped */
	CHECK(memcmp(buf, "sec", 3) == 0);
	ERR(recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	/* Connected: send and write go there; a forked sender too. */
	OK(connect(s, (struct sockaddr *)&sa, len));
	EQ(send(s, "c1", 2, 0), 2);
	EQ(write(s, "c2", 2), 2);
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(send(s, "child", 5, 0) == 5 ? 0 : 1);
	EQ(wait_child(pid), 0);
	EQ(read(r, buf, sizeof buf), 2);
	EQ(read(r, buf, sizeof buf), 2);
	EQ(read(r, buf, sizeof buf), 5);
	CHECK(memcmp(buf, "child", 5) == 0);
	len = sizeof from;
	OK(getpeername(s, (struct sockaddr *)&from, &len));
	CHECK(strcmp(from.sun_path, "dg.sock") == 0);
	/* The name is taken; no such name; a stream socket's name. */
	int r2 = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	len = addr_of(&sa, "dg.sock");
	ERR(bind(r2, (struct sockaddr *)&sa, len), EADDRINUSE);
	len = addr_of(&sa, "nodg.sock");
	ERR(sendto(r2, "x", 1, 0, (struct sockaddr *)&sa, len), ENOENT);
	int l = listener("st.sock", 0);
	CHECK(l >= 0);
	len = addr_of(&sa, "st.sock");
	ERR(sendto(r2, "x", 1, 0, (struct sockaddr *)&sa, len), EPROTOTYPE);
	ERR(connect(r2, (struct sockaddr *)&sa, len), EPROTOTYPE);
	/* The receiver gone: ECONNREFUSED. */
	OK(close(r));
	ERR(send(s, "x", 1, 0), ECONNREFUSED);
	OK(close(l));
	OK(close(r2));
	OK(close(s));
	OK(unlink("dg.sock"));
	OK(unlink("st.sock"));
}

/* More sockets come and go than the server has room for at once
 * (Metta's pipe server: 128): nothing stays behind. */
static void t_unix_no_leak(void)
{
	int l = listener("leak.sock", 0);
	CHECK(l >= 0);
	for (int i = 0; i < 200; i++) {
		int sv[2];
		OK(socketpair(AF_UNIX, i % 2 ? SOCK_DGRAM : SOCK_STREAM, 0,
			      sv));
		OK(close(sv[0]));
		OK(close(sv[1]));
		int c = connect_to("leak.sock");
		CHECK(c >= 0);
		if (i % 3 == 0) {
			/* The client gone before the accept: the end. */
			char ch;
			OK(close(c));
			int a = OK(accept(l, 0, 0));
			EQ(read(a, &ch, 1), 0);
			OK(close(a));
			continue;
		}
		int a = OK(accept(l, 0, 0));
		OK(close(c));
		OK(close(a));
	}
	OK(close(l));
	OK(unlink("leak.sock"));
}

const struct pt_test pt_unix_tests[] = {
	{ "unix_pair_stream", t_unix_pair_stream },
	{ "unix_pair_dgram", t_unix_pair_dgram },
	{ "unix_server_client", t_unix_server_client },
	{ "unix_names", t_unix_names },
	{ "unix_rights", t_unix_rights },
	{ "unix_errors", t_unix_errors },
	{ "unix_poll", t_unix_poll },
	{ "unix_dead_client", t_unix_dead_client },
	{ "unix_dgram_bound", t_unix_dgram_bound },
	{ "unix_no_leak", t_unix_no_leak },
	{ 0, 0 },
};
