/*
 * The network: TCP between this machine and a program on the host
 * (tools/bench/hostnet.py), which QEMU's user network reaches as
 * 10.0.2.2 while the program listens on the host's 127.0.0.1 only. The
 * rows run only when -N names that peer (A.B.C.D:PORT).
 *
 * The peer's protocol: each connection's first byte chooses its kind.
 *   'e'  echo: every byte that arrives is sent back;
 *   's'  sink: each batch is an 8-byte big-endian count N, then N bytes;
 *        once all N are in, the peer answers one byte 'k'.
 *
 * A wait for the network halts the CPU, and under -icount (sleep=off) a
 * halted CPU's clock jumps to its next timer (see idle.c): each batch's
 * figure is therefore busy ticks, the instructions the machine executed
 * (the program, the kernel or the servers and driver, interrupts). The
 * elapsed ticks ride along (bench_span_end), and wall-time reports use
 * them: a round trip's time includes its waits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define RTT_OPS	    200u	/* round trips per batch */
#define KIB	    1024u	/* the stream row's operation */
#define STREAM_OPS  4096u	/* KiB per batch: 4 MiB */
#define STREAM_CALL (64u << 10) /* bytes per write call */

const char *bench_net_peer;

static int sock = -1;
static char chunk[STREAM_CALL];

/* bench_net_peer as a socket address; -1 (having said why) if malformed. */
static int peer_address(struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = bench_net_peer ? strrchr(bench_net_peer, ':') : 0;
	char *end;
	unsigned long port;

	memset(sa, 0, sizeof *sa);
	if (!colon || (size_t)(colon - bench_net_peer) >= sizeof host) {
		bench_warn("net: peer %s is not A.B.C.D:PORT",
			   bench_net_peer ? bench_net_peer : "(none)");
		return -1;
	}
	memcpy(host, bench_net_peer, (size_t)(colon - bench_net_peer));
	host[colon - bench_net_peer] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		bench_warn("net: peer %s is not A.B.C.D:PORT", bench_net_peer);
		return -1;
	}
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	return 0;
}

/* All len bytes to (out) or from the peer; -1 (failing the batch) if
 * the connection breaks first. */
static int move_all(void *p, size_t len, int out)
{
	char *c = p;

	while (len > 0) {
		ssize_t n = out ? write(sock, c, len) : read(sock, c, len);

		if (n <= 0) {
			bench_fail("net: %s: %s", out ? "write" : "read",
				   n < 0 ? strerror(errno) : "the peer closed");
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_all(const void *p, size_t len)
{
	return move_all((void *)p, len, 1);
}

static int read_all(void *p, size_t len)
{
	return move_all(p, len, 0);
}

/* Connect to the peer and choose the connection's kind. */
static int open_peer(char kind)
{
	struct sockaddr_in sa;
	int one = 1;

	if (peer_address(&sa) != 0)
		return -1;
	/* A peer that goes away fails the batch (EPIPE), not the suite. */
	signal(SIGPIPE, SIG_IGN);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0) {
		bench_warn("net: socket: %m");
		return -1;
	}
	if (connect(sock, (struct sockaddr *)&sa, sizeof sa) != 0) {
		bench_warn("net: cannot connect to %s: %m", bench_net_peer);
		close(sock);
		sock = -1;
		return -1;
	}
	/* A round trip of one byte must not wait for Nagle's algorithm. */
	if (setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		bench_warn("net: TCP_NODELAY: %m (going on)");
	if (write_all(&kind, 1) != 0) {
		close(sock);
		sock = -1;
		return -1;
	}
	return 0;
}

static void close_peer(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
}

static int rtt_setup(void)
{
	return open_peer('e');
}

/* n round trips of one byte, which the peer echoes. */
static uint64_t rtt_batch(unsigned n)
{
	struct bench_span span;
	char c = 'x';

	bench_span_start(&span);
	for (unsigned i = 0; i < n; i++)
		if (write_all(&c, 1) != 0 || read_all(&c, 1) != 0)
			break;
	return bench_span_end(&span);
}

static int stream_setup(void)
{
	memset(chunk, 0x5a, sizeof chunk);
	return open_peer('s');
}

/* n KiB to the peer in 64 KiB writes; the batch ends when the peer says
 * that all of them arrived (one round trip more per 4 MiB). */
static uint64_t stream_batch(unsigned n)
{
	uint64_t total = (uint64_t)n * KIB;
	unsigned char head[8];
	struct bench_span span;
	char ack;

	for (int i = 0; i < 8; i++)
		head[i] = (unsigned char)(total >> (56 - 8 * i));
	bench_span_start(&span);
	if (write_all(head, sizeof head) != 0)
		return bench_span_end(&span);
	for (uint64_t sent = 0; sent < total;) {
		size_t len = total - sent < sizeof chunk ? (size_t)(total - sent)
							 : sizeof chunk;

		if (write_all(chunk, len) != 0)
			return bench_span_end(&span);
		sent += len;
	}
	if (read_all(&ack, 1) == 0 && ack != 'k')
		bench_fail("net: the peer answered %#x, not 'k'",
			   (unsigned char)ack);
	return bench_span_end(&span);
}

const struct bench bench_net[] = {
	{ "net.tcp.rtt1", "TCP round trip of 1 byte with the host's peer",
	  RTT_OPS, rtt_setup, rtt_batch, close_peer, 0 },
	{ "net.tcp.stream", "TCP stream to the host's peer; per KiB",
	  STREAM_OPS, stream_setup, stream_batch, close_peer, 0 },
	{ 0 }
};
