/*
 * Internet sockets over 127.0.0.1 (tests `inet_*`): TCP echo between two
 * processes and within one, a 256 KiB stream, UDP echo with sendto and
 * recvfrom (recvmsg's name, MSG_TRUNC, connect), non-blocking connect
 * with poll and SO_ERROR (to a listener and to a closed port), poll
 * readiness of a listener, of data and of the peer's end, shutdown
 * (SHUT_WR is the end at the peer, which can still send), MSG_PEEK and
 * MSG_DONTWAIT, a socket shared with a forked child, SO_RCVTIMEO giving
 * EAGAIN, options, SCM_RIGHTS (refused on Metta), and the errors: ECONNREFUSED, EADDRINUSE, EPIPE and
 * SIGPIPE, EBADF, ENOTSOCK, EFAULT, EINVAL, ENOTCONN, EDESTADDRREQ,
 * EAFNOSUPPORT, EPROTONOSUPPORT, EOPNOTSUPP, EISCONN.
 * Every port is one the system chose (bind to port 0): nothing fixed.
 */
#include "posixtest.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define LOOP htonl(INADDR_LOOPBACK)

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = addr;
	sa.sin_port = htons(port);
	return sa;
}

/* The port a socket is bound to (0: none or an error). */
static uint16_t port_of(int s)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	return ntohs(sa.sin_port);
}

/* A TCP listener on 127.0.0.1 and a port the system chose; -1 on
 * failure (said). */
static int listener(int flags)
{
	struct sockaddr_in sa = sin_of(LOOP, 0);
	int s = socket(AF_INET, SOCK_STREAM | flags, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s, 8)) {
		pt_say("posixtest: listener: %s", strerror(errno));
		return -1;
	}
	return s;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = sin_of(LOOP, port);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		if (s >= 0)
			close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* All n bytes of a stream (0: they came; -1: an error or the end). */
static int read_all(int s, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(s, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int s, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = write(s, (const char *)buf + done, n - done);
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A connected pair within this process: *c the client, *a the accepted
 * end (0, or -1 said). */
static int pair(int *c, int *a)
{
	int l = listener(0);
	if (l < 0)
		return -1;
	*c = connect_to(port_of(l));
	*a = *c < 0 ? -1 : accept(l, 0, 0);
	close(l);
	if (*c < 0 || *a < 0) {
		pt_say("posixtest: pair: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The client of the echo test: 100 round trips, then 256 KiB sent and
 * read back, then the end. Its exit status says how it went. */
static int echo_client(uint16_t port)
{
	char buf[64], back[64];
	static char big[256 * 1024], bigback[256 * 1024];
	int s = connect_to(port);
	if (s < 0)
		return 1;
	for (int i = 0; i < 100; i++) {
		int n = snprintf(buf, sizeof(buf), "message %d", i);
		if (write_all(s, buf, (size_t)n) || read_all(s, back, (size_t)n) ||
		    memcmp(buf, back, (size_t)n))
			return 2;
	}
	pt_pattern(big, sizeof(big), 7, 0);
	pid_t w = fork(); /* a writer, so that neither side's buffers fill */
	if (w == 0)
		_exit(write_all(s, big, sizeof(big)) ? 1 : 0);
	if (read_all(s, bigback, sizeof(bigback)) ||
	    memcmp(big, bigback, sizeof(big)))
		return 3;
	if (wait_child(w) != 0)
		return 4;
	shutdown(s, SHUT_WR);
	return read(s, buf, 1) == 0 ? 0 : 5;
}

/* TCP echo between two processes: the server echoes until the end. */
static void t_inet_tcp_echo(void)
{
	char buf[4096];
	int l = OK(listener(0));
	uint16_t port = port_of(l);
	CHECK(port != 0);
	pid_t pid = OK(fork());
	if (pid == 0) {
		close(l);
		_exit(echo_client(port));
	}
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int a = OK(accept(l, (struct sockaddr *)&peer, &len));
	EQ(len, sizeof(peer));
	CHECK(peer.sin_family == AF_INET && peer.sin_addr.s_addr == LOOP);
	CHECK(peer.sin_port != 0 && ntohs(peer.sin_port) != port);
	ssize_t n;
	while ((n = read(a, buf, sizeof(buf))) > 0)
		OK(write_all(a, buf, (size_t)n));
	EQ(n, 0);
	close(a);
	close(l);
	EQ(wait_child(pid), 0);
}

/* Within one process: names, both directions, SHUT_WR as the peer's
 * end while the other way still works. */
static void t_inet_tcp_self(void)
{
	int c, a;
	char buf[16];
	OK(pair(&c, &a));
	struct sockaddr_in x, y;
	socklen_t lx = sizeof(x), ly = sizeof(y);
	OK(getsockname(c, (struct sockaddr *)&x, &lx));
	OK(getpeername(a, (struct sockaddr *)&y, &ly));
	EQ(lx, sizeof(x));
	CHECK(x.sin_port == y.sin_port && x.sin_addr.s_addr == LOOP &&
	      y.sin_addr.s_addr == LOOP);
	OK(getsockname(a, (struct sockaddr *)&x, &lx));
	OK(getpeername(c, (struct sockaddr *)&y, &ly));
	CHECK(x.sin_port == y.sin_port);
	EQ(send(c, "ping", 4, 0), 4);
	EQ(recv(a, buf, sizeof(buf), 0), 4);
	CHECK(!memcmp(buf, "ping", 4));
	EQ(write(a, "pong!", 5), 5);
	EQ(read(c, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "pong!", 5));
	OK(shutdown(c, SHUT_WR));
	EQ(read(a, buf, sizeof(buf)), 0);
	EQ(write(a, "late", 4), 4);
	EQ(read(c, buf, sizeof(buf)), 4);
	/* A short address is cut, the whole length still given. */
	socklen_t small = 4;
	OK(getsockname(c, (struct sockaddr *)&x, &small));
	EQ(small, sizeof(x));
	close(c);
	close(a);
}

/* MSG_PEEK, MSG_DONTWAIT and MSG_WAITALL on a stream. */
static void t_inet_tcp_flags(void)
{
	int c, a;
	char buf[16];
	OK(pair(&c, &a));
	ERR(recv(a, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EQ(send(c, "abcdef", 6, MSG_NOSIGNAL), 6);
	struct pollfd p = { a, POLLIN, 0 };
	EQ(poll(&p, 1, 5000), 1);
	EQ(recv(a, buf, 3, MSG_PEEK), 3);
	CHECK(!memcmp(buf, "abc", 3));
	EQ(recv(a, buf, 2, 0), 2);
	CHECK(!memcmp(buf, "ab", 2));
	pid_t pid = OK(fork());
	if (pid == 0) {
		usleep(100000);
		_exit(send(c, "ghij", 4, 0) == 4 ? 0 : 1);
	}
	EQ(recv(a, buf, 8, MSG_WAITALL), 8);
	CHECK(!memcmp(buf, "cdefghij", 8));
	EQ(wait_child(pid), 0);
	close(c);
	close(a);
}

/* UDP: sendto and recvfrom between two sockets and a forked echo, the
 * sender's address, recvmsg's name and MSG_TRUNC, connect. */
static void t_inet_udp_echo(void)
{
	char buf[64];
	struct sockaddr_in sa = sin_of(LOOP, 0), from;
	socklen_t len;
	int srv = OK(socket(AF_INET, SOCK_DGRAM, 0));
	OK(bind(srv, (struct sockaddr *)&sa, sizeof(sa)));
	uint16_t sport = port_of(srv);
	CHECK(sport != 0);
	pid_t pid = OK(fork());
	if (pid == 0) {
		for (int i = 0; i < 20; i++) {
			len = sizeof(from);
			ssize_t n = recvfrom(srv, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &len);
			if (n < 0 || sendto(srv, buf, (size_t)n, 0,
					    (struct sockaddr *)&from, len) != n)
				_exit(1);
		}
		_exit(0);
	}
	int c = OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in to = sin_of(LOOP, sport);
	for (int i = 0; i < 10; i++) {
		int n = snprintf(buf, sizeof(buf), "datagram %d", i);
		EQ(sendto(c, buf, (size_t)n, 0, (struct sockaddr *)&to,
			  sizeof(to)), n);
		char back[64];
		len = sizeof(from);
		EQ(recvfrom(c, back, sizeof(back), 0, (struct sockaddr *)&from,
			    &len), n);
		CHECK(!memcmp(buf, back, (size_t)n));
		EQ(len, sizeof(from));
		CHECK(from.sin_port == htons(sport) &&
		      from.sin_addr.s_addr == LOOP);
	}
	/* The client was given a port by its first sendto. */
	CHECK(port_of(c) != 0);
	/* connect: send and recv with no address. */
	OK(connect(c, (struct sockaddr *)&to, sizeof(to)));
	struct sockaddr_in peer;
	len = sizeof(peer);
	OK(getpeername(c, (struct sockaddr *)&peer, &len));
	CHECK(peer.sin_port == htons(sport));
	for (int i = 0; i < 9; i++) {
		EQ(send(c, "0123456789", 10, 0), 10);
		EQ(recv(c, buf, sizeof(buf), 0), 10);
	}
	/* recvmsg: the sender's name, and a datagram cut to the buffer. */
	EQ(send(c, "0123456789", 10, 0), 10);
	struct iovec iov = { buf, 4 };
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_name = &from;
	m.msg_namelen = sizeof(from);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	EQ(recvmsg(c, &m, 0), 4);
	CHECK(m.msg_flags & MSG_TRUNC);
	EQ(m.msg_namelen, sizeof(from));
	CHECK(from.sin_port == htons(sport));
	CHECK(!memcmp(buf, "0123", 4));
	EQ(wait_child(pid), 0);
	close(c);
	close(srv);
}

/* Non-blocking connect: EINPROGRESS, poll for POLLOUT, SO_ERROR 0, then
 * data; to a closed port: the error through poll and SO_ERROR. */
static void t_inet_nonblock_connect(void)
{
	int l = OK(listener(0));
	uint16_t port = port_of(l);
	int c = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	struct sockaddr_in sa = sin_of(LOOP, port);
	long r = PT_EVAL(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	CHECKF(r == 0 || errno == EINPROGRESS, "connect = %ld, errno %s", r,
	       pt_errname(errno));
	struct pollfd p = { c, POLLOUT, 0 };
	EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLOUT);
	int err = -1;
	socklen_t len = sizeof(err);
	OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EQ(err, 0);
	/* (once: the connect in progress is over; then: connected) */
	if (r != 0)
		OK(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	ERR(connect(c, (struct sockaddr *)&sa, sizeof(sa)), EISCONN);
	int a = OK(accept(l, 0, 0));
	EQ(write(c, "x", 1), 1);
	char ch;
	EQ(read(a, &ch, 1), 1);
	ERR(read(c, &ch, 1), EAGAIN);
	close(a);
	close(c);
	close(l);

	/* A closed port: the port of a listener just closed. */
	l = OK(listener(0));
	port = port_of(l);
	close(l);
	c = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	sa = sin_of(LOOP, port);
	r = PT_EVAL(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	if (r == -1 && errno == EINPROGRESS) {
		p = (struct pollfd){ c, POLLOUT, 0 };
		EQ(poll(&p, 1, 5000), 1);
		CHECK(p.revents & (POLLERR | POLLHUP));
		len = sizeof(err);
		OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
		EQ(err, ECONNREFUSED);
		OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
		EQ(err, 0); /* read once, cleared */
	} else {
		CHECKF(r == -1 && errno == ECONNREFUSED,
		       "connect = %ld, errno %s", r, pt_errname(errno));
	}
	close(c);
}

/* Readiness: a listener (nothing, then a client), a connection (no
 * data, data, the peer's end), select on the same. */
static void t_inet_poll(void)
{
	char buf[8];
	int l = OK(listener(SOCK_NONBLOCK));
	struct pollfd p = { l, POLLIN, 0 };
	EQ(poll(&p, 1, 0), 0);
	ERR(accept(l, 0, 0), EAGAIN);
	int c = OK(connect_to(port_of(l)));
	EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLIN);
	int a = OK(accept4(l, 0, 0, SOCK_CLOEXEC));
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	CHECK(!(fcntl(a, F_GETFL) & O_NONBLOCK));
	struct pollfd q[2] = { { a, POLLIN | POLLOUT, 0 }, { c, POLLIN, 0 } };
	EQ(poll(q, 2, 0), 1);
	CHECK(q[0].revents == POLLOUT && q[1].revents == 0);
	EQ(write(c, "hi", 2), 2);
	q[0].events = POLLIN;
	EQ(poll(q, 1, 5000), 1);
	CHECK(q[0].revents == POLLIN);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(a, &rs);
	FD_SET(c, &rs);
	struct timeval tv = { 5, 0 };
	EQ(select((a > c ? a : c) + 1, &rs, 0, 0, &tv), 1);
	CHECK(FD_ISSET(a, &rs) && !FD_ISSET(c, &rs));
	EQ(read(a, buf, sizeof(buf)), 2);
	/* fcntl's O_NONBLOCK on a socket. */
	OK(fcntl(a, F_SETFL, O_NONBLOCK));
	ERR(read(a, buf, sizeof(buf)), EAGAIN);
	close(c);
	EQ(poll(q, 1, 5000), 1);
	CHECK(q[0].revents & POLLIN);
	EQ(read(a, buf, sizeof(buf)), 0);
	close(a);
	close(l);
}

/* A connected socket shared with a forked child: both write into it. */
static void t_inet_fork_shared(void)
{
	int c, a;
	char buf[8];
	OK(pair(&c, &a));
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(write(c, "child", 5) == 5 ? 0 : 1);
	EQ(wait_child(pid), 0);
	OK(read_all(a, buf, 5));
	CHECK(!memcmp(buf, "child", 5));
	EQ(write(c, "parent", 6), 6);
	OK(read_all(a, buf, 6));
	close(c);
	EQ(read(a, buf, sizeof(buf)), 0); /* the child's copy is gone too */
	close(a);
}

/* SO_RCVTIMEO: a receive with nothing to take ends with EAGAIN after
 * about the time asked; SO_SNDTIMEO is kept. */
static void t_inet_rcvtimeo(void)
{
	char buf[8];
	struct timeval tv = { 0, 200000 }, got;
	socklen_t len = sizeof(got);
	struct sockaddr_in sa = sin_of(LOOP, 0);
	int u = OK(socket(AF_INET, SOCK_DGRAM, 0));
	OK(bind(u, (struct sockaddr *)&sa, sizeof(sa)));
	OK(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	OK(getsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	CHECK(got.tv_sec == 0 && got.tv_usec >= 190000 && got.tv_usec <= 210000);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ERR(recv(u, buf, sizeof(buf), 0), EAGAIN);
	long ms = pt_elapsed_ms(&t0);
	CHECKF(ms >= 150 && ms < 5000, "waited %ld ms", ms);
	tv.tv_usec = 1000000;
	ERR(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), EDOM);
	ERR(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, 4), EINVAL);
	close(u);
	int c, a;
	OK(pair(&c, &a));
	tv.tv_usec = 100000;
	OK(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	OK(setsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ERR(read(a, buf, sizeof(buf)), EAGAIN);
	EQ(write(c, "x", 1), 1);
	EQ(read(a, buf, sizeof(buf)), 1); /* data within the time */
	close(c);
	close(a);
}

/* Options: SO_TYPE, SO_DOMAIN, SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY,
 * SO_RCVBUF; ENOPROTOOPT. */
static void t_inet_options(void)
{
	int s = OK(socket(AF_INET, SOCK_STREAM, 0)), v = 0, one = 1;
	socklen_t len = sizeof(v);
	OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	EQ(v, SOCK_STREAM);
	OK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len));
	EQ(v, AF_INET);
	OK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	OK(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len));
	CHECK(v != 0);
	OK(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	OK(getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
	CHECK(v != 0);
	OK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	OK(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	CHECK(v != 0);
	int size = 32768;
	OK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	OK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
	CHECK(v >= size);
	ERR(getsockopt(s, SOL_SOCKET, 12345, &v, &len), ENOPROTOOPT);
	ERR(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, 2), EINVAL);
	OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len));
	EQ(v, 0);
	close(s);
	s = OK(socket(AF_INET, SOCK_DGRAM, 0));
	OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	EQ(v, SOCK_DGRAM);
	close(s);
}

static volatile int pipes;
static void on_pipe(int sig)
{
	(void)sig;
	pipes++;
}

/* Writes to c (whose peer has gone) until the error: EPIPE (after
 * ECONNRESET, which Linux may give first); how many writes it took, or
 * -1 for another outcome. */
static int write_until_epipe(int c, int flags)
{
	for (int i = 0; i < 200; i++) {
		long r = send(c, "x", 1, flags);
		if (r == 1) {
			usleep(10000);
			continue;
		}
		if (errno == EPIPE)
			return i;
		if (errno != ECONNRESET)
			return -1;
	}
	return -1;
}

/* The errors, each changing nothing. */
static void t_inet_errors(void)
{
	char buf[4];
	int l = OK(listener(0));
	uint16_t port = port_of(l);
	struct sockaddr_in sa = sin_of(LOOP, port);

	/* A port taken, and a closed one. */
	int s = OK(socket(AF_INET, SOCK_STREAM, 0));
	ERR(bind(s, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
	close(s);
	int u = OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in any = sin_of(LOOP, 0);
	OK(bind(u, (struct sockaddr *)&any, sizeof(any)));
	int u2 = OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in taken = sin_of(LOOP, port_of(u));
	ERR(bind(u2, (struct sockaddr *)&taken, sizeof(taken)), EADDRINUSE);
	close(u2);
	int l2 = OK(listener(0));
	uint16_t closed = port_of(l2);
	close(l2);
	ERR(connect_to(closed), ECONNREFUSED);

	/* Bad descriptors, sockets and arguments. */
	ERR(bind(-1, (struct sockaddr *)&any, sizeof(any)), EBADF);
	ERR(connect(99, (struct sockaddr *)&sa, sizeof(sa)), EBADF);
	int fds[2];
	OK(pipe(fds));
	ERR(bind(fds[0], (struct sockaddr *)&any, sizeof(any)), ENOTSOCK);
	ERR(listen(fds[1], 1), ENOTSOCK);
	ERR(getsockname(fds[0], 0, 0), ENOTSOCK);
	close(fds[0]);
	close(fds[1]);
	s = OK(socket(AF_INET, SOCK_STREAM, 0));
	ERR(syscall(SYS_bind, s, (void *)8, sizeof(sa)), EFAULT);
	ERR(syscall(SYS_connect, s, (void *)8, sizeof(sa)), EFAULT);
	ERR(bind(s, (struct sockaddr *)&any, 4), EINVAL);
	struct sockaddr_in bad = any;
	bad.sin_family = AF_UNIX;
	ERR(bind(s, (struct sockaddr *)&bad, sizeof(bad)), EAFNOSUPPORT);
	socklen_t len = sizeof(sa);
	ERR(getpeername(s, (struct sockaddr *)&sa, &len), ENOTCONN);
	ERR(recv(s, buf, sizeof(buf), 0), ENOTCONN);
	ERR(shutdown(s, 7), EINVAL);
	ERR(shutdown(s, SHUT_RDWR), ENOTCONN);
	ERR(accept(s, 0, 0), EINVAL);
	ERR(syscall(SYS_accept4, l, 0, 0, 0x1234), EINVAL); /* (not musl's) */
	OK(bind(s, (struct sockaddr *)&any, sizeof(any)));
	ERR(bind(s, (struct sockaddr *)&any, sizeof(any)), EINVAL);
	close(s);
	ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	ERR(socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	ERR(socket(AF_INET, SOCK_STREAM | 0x10000000, 0), EINVAL);
	ERR(socketpair(AF_INET, SOCK_STREAM, 0, fds), EOPNOTSUPP);
	ERR(listen(u, 1), EOPNOTSUPP);
	ERR(accept(u, 0, 0), EOPNOTSUPP);
	int u3 = OK(socket(AF_INET, SOCK_DGRAM, 0));
	ERR(send(u3, "x", 1, 0), EDESTADDRREQ);
	close(u3);
	close(u);

	/* EPIPE: without a signal (MSG_NOSIGNAL), then SIGPIPE. */
	int c, a;
	OK(pair(&c, &a));
	close(a);
	pipes = 0;
	signal(SIGPIPE, on_pipe);
	CHECKF(write_until_epipe(c, MSG_NOSIGNAL) >= 0, "no EPIPE");
	EQ(pipes, 0);
	ERR(send(c, "x", 1, 0), EPIPE);
	EQ(pipes, 1);
	ERR(write(c, "x", 1), EPIPE);
	EQ(pipes, 2);
	signal(SIGPIPE, SIG_DFL);
	close(c);
	OK(pair(&c, &a));
	OK(shutdown(c, SHUT_WR));
	ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(c);
	close(a);
	close(l);
}

/* An Internet socket passed with SCM_RIGHTS: Linux gives the receiver
 * the same connection; Metta refuses it (EOPNOTSUPP: a conversation on
 * /net would not outlive its sender's close while in flight). */
static void t_inet_rights(void)
{
	int c, a, u[2];
	char buf[8];
	OK(pair(&c, &a));
	OK(socketpair(AF_UNIX, SOCK_STREAM, 0, u));
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { "s", 1 };
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.space;
	m.msg_controllen = sizeof(ctl.space);
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &c, sizeof(int));
	if (pt_on_metta()) {
		ERR(sendmsg(u[0], &m, 0), EOPNOTSUPP);
	} else {
		EQ(sendmsg(u[0], &m, 0), 1);
		memset(&ctl, 0, sizeof(ctl));
		m.msg_controllen = sizeof(ctl.space);
		iov.iov_base = buf;
		EQ(recvmsg(u[1], &m, 0), 1);
		h = CMSG_FIRSTHDR(&m);
		CHECK(h && h->cmsg_type == SCM_RIGHTS);
		int got;
		memcpy(&got, CMSG_DATA(h), sizeof(int));
		EQ(write(got, "via", 3), 3);
		OK(read_all(a, buf, 3));
		close(got);
	}
	close(u[0]);
	close(u[1]);
	close(c);
	close(a);
}

const struct pt_test pt_inet_tests[] = {
	{ "inet_tcp_echo", t_inet_tcp_echo },
	{ "inet_tcp_self", t_inet_tcp_self },
	{ "inet_tcp_flags", t_inet_tcp_flags },
	{ "inet_udp_echo", t_inet_udp_echo },
	{ "inet_nonblock_connect", t_inet_nonblock_connect },
	{ "inet_poll", t_inet_poll },
	{ "inet_fork_shared", t_inet_fork_shared },
	{ "inet_rcvtimeo", t_inet_rcvtimeo },
	{ "inet_options", t_inet_options },
	{ "inet_errors", t_inet_errors },
	{ "inet_rights", t_inet_rights },
	{ 0, 0 },
};
