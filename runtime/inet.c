/*
 * Internet sockets (AF_INET) over the net server's /net (docs/servers.md,
 * Plan 9's ip(3)), reached through the process's namespace as any file
 * is. A socket is a conversation /net/PROTO/N, reserved by opening
 * PROTO/clone (whose fid then is N/ctl): the open file holds that ctl fid
 * (loc[0]) and, once there is one, the conversation's `data` (loc[1]) or,
 * listening, its `listen` file. Every Linux call is ctl messages and
 * reads and writes of those files:
 *
 *   bind       TCP: `bind A!P`; UDP and ICMP: `announce A!P`
 *   listen     `backlog N`, `announce A!P` (or `announce 0`), open listen
 *   accept     a read of listen gives M; open M/ctl and M/data
 *   connect    `connect A!P`, answered once established (non-blocking:
 *              the write with PIPE_NOWAIT, EINPROGRESS, then readiness
 *              and `status` say how it went)
 *   shutdown   `shutdown rd|wr|rdwr`
 *   options    `reuse`, `keepalive`, `nodelay`
 *   names      the conversation's `local` and `remote` files
 *
 * UDP's data carries Plan 9's 52-byte header (`headers`) on every read
 * and write, so recvfrom learns the sender and sendto names the
 * receiver; ICMP's data carries dst[4] on writes and src[4] ttl pad[3]
 * on reads, from which a raw socket's read gets the IP header Linux
 * gives. Everything a socket keeps is in its open file, shared with the
 * processes forked from it (their fids are the same, on the same
 * connection): nothing more is needed for fork and exec.
 *
 * Waits are the server's (a held read, write or readiness query), or
 * EAGAIN with O_NONBLOCK or MSG_DONTWAIT; with SO_RCVTIMEO or SO_SNDTIMEO
 * set, readiness queries every NAP_NS until it is ready or the time is
 * up (EAGAIN), as poll.c waits with a timeout.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

#define NET_ROOT  "/net"
#define UDP_HDR	  52   /* raddr[16] laddr[16] ifcaddr[16] rport[2] lport[2] */
#define ICMP_HDR  8    /* a read's src[4] ttl[1] pad[3] */
#define IP_HDR	  20   /* what a raw socket's read begins with */
#define DGRAM_MAX 8192 /* one datagram's payload, gathered here */
#define NAP_NS	  10000000ll
#define ADDR_TEXT 32   /* "255.255.255.255!65535" and a NUL */

/* A kind of Internet socket: its calls first (an open file's
 * ops->sock points at them), then what its conversations need. */
struct inet_kind {
	struct sock_calls calls;
	const struct file_ops *ops; /* its open files' */
	const char *net;  /* its /net directory */
	const char *bind; /* the ctl message bind sends */
	int type, proto;  /* Linux's */
	int headers;	  /* UDP's header on each datagram */
	int ip_header;	  /* a raw socket: reads begin with an IP header */
};

static const struct inet_kind *kind_of(const struct ofile *f)
{
	return (const struct inet_kind *)f->ops->sock;
}

static struct inet *in_of(struct ofile *f)
{
	return &f->sock.in;
}

static int nonblocking(const struct ofile *f, int flags)
{
	return (f->flags & LX_O_NONBLOCK) || (flags & LX_MSG_DONTWAIT);
}

/* ---- files of /net ---- */

/* The file at path (clean and absolute), opened with mode: 0 or an
 * errno. */
static long net_open(const char *path, uint8_t mode, struct loc *out)
{
	char p[RT_PATH_MAX];
	strcpy(p, path);
	long rc = ns_lookup(p, 1, out);
	if (rc)
		return rc;
	rc = p9c_open(loc_client(out), out->fid, mode, 0);
	if (rc)
		loc_clunk(out);
	return rc;
}

/* The file `name` of f's conversation (or of conversation conv of the
 * same protocol), opened with mode. */
static long conv_open(struct ofile *f, uint32_t conv, const char *name,
		      uint8_t mode, struct loc *out)
{
	char path[64];
	fmt_snprintf(path, sizeof(path), NET_ROOT "/%s/%u/%s", kind_of(f)->net,
		     conv, name);
	return net_open(path, mode, out);
}

/* A short text file of the conversation, NUL-terminated: its length or
 * an errno. */
static long conv_text(struct ofile *f, const char *name, char *buf,
		      size_t cap)
{
	struct loc l;
	long rc = conv_open(f, in_of(f)->conv, name, P9_OREAD, &l);
	if (rc)
		return rc;
	rc = p9c_read(loc_client(&l), l.fid, 0, buf, (uint32_t)cap - 1);
	loc_clunk(&l);
	if (rc >= 0)
		buf[rc] = 0;
	return rc;
}

/* A ctl message; off: PIPE_NOWAIT or 0. 0 or an errno. */
static long ctl(struct ofile *f, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static long ctl(struct ofile *f, uint64_t off, const char *fmt, ...)
{
	char msg[96];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	long rc = p9c_write(loc_client(&f->loc[0]), f->loc[0].fid, off, msg,
			    (uint32_t)n);
	return rc < 0 ? rc : 0;
}

/* ---- addresses ---- */

static void addr_text(uint32_t addr, uint16_t port, char *out)
{
	const uint8_t *b = (const uint8_t *)&addr;
	fmt_snprintf(out, ADDR_TEXT, "%u.%u.%u.%u!%u", b[0], b[1], b[2], b[3],
		     port);
}

static unsigned long parse_dec(const char **p)
{
	unsigned long v = 0;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	return v;
}

/* "A!P" (dotted IPv4): 0, or EIO for what the server should not say. */
static long parse_addr(const char *s, uint32_t *addr, uint16_t *port)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return -P9_EIO;
		b[i] = (uint8_t)parse_dec(&s);
		if (*s++ != (i < 3 ? '.' : '!'))
			return -P9_EIO;
	}
	memcpy(addr, b, 4);
	*port = (uint16_t)parse_dec(&s);
	return 0;
}

static uint16_t swap16(uint16_t v)
{
	return (uint16_t)(v >> 8 | v << 8);
}

/* A sockaddr_in of addr and port into out. */
static void sin_addr(uint32_t addr, uint16_t port, struct sock_addr *out)
{
	struct lx_sockaddr_in sin = { LX_AF_INET, swap16(port), addr, { 0 } };
	out->len = sizeof(sin);
	memcpy(out->sa, &sin, sizeof(sin));
}

/* The sockaddr_in the program gave: 0, or EINVAL, EFAULT, EAFNOSUPPORT
 * in Linux's order (AF_UNSPEC: ENOTSUP, for the callers that take it). */
static long user_sin(uint64_t uaddr, uint64_t len, uint32_t *addr,
		     uint16_t *port)
{
	if ((int64_t)len < 0 || len > 128)
		return -P9_EINVAL;
	if (user_readable(uaddr, len))
		return -P9_EFAULT;
	const struct lx_sockaddr_in *sin = (const struct lx_sockaddr_in *)uaddr;
	if (len >= 2 && sin->sin_family == LX_AF_UNSPEC)
		return -P9_ENOTSUP;
	if (len < sizeof(*sin))
		return -P9_EINVAL;
	if (sin->sin_family != LX_AF_INET)
		return -P9_EAFNOSUPPORT;
	*addr = sin->sin_addr;
	*port = swap16(sin->sin_port);
	return 0;
}

/* The same for the calls that take no AF_UNSPEC (EAFNOSUPPORT), with
 * the address as ctl's text. */
static long user_sin_text(uint64_t uaddr, uint64_t len, uint32_t *addr,
			  uint16_t *port, char *text)
{
	long rc = user_sin(uaddr, len, addr, port);
	if (rc)
		return rc == -P9_ENOTSUP ? -P9_EAFNOSUPPORT : rc;
	addr_text(*addr, *port, text);
	return 0;
}

/* The conversation's `local` or `remote` address. */
static long conv_addr(struct ofile *f, const char *name, uint32_t *addr,
		      uint16_t *port)
{
	char text[ADDR_TEXT + 8];
	long rc = conv_text(f, name, text, sizeof(text));
	return rc < 0 ? rc : parse_addr(text, addr, port);
}

/* ---- making one ---- */

static const struct inet_kind tcp_kind, udp_kind, icmp_kind, icmp_raw_kind;

/* Which kind a socket() asks for: the kind, or an errno as Linux's
 * inet_create answers (no such type: ESOCKTNOSUPPORT; no such protocol
 * of it: EPROTONOSUPPORT). */
static long kind_for(int type, int proto, const struct inet_kind **out)
{
	static const struct inet_kind *const kinds[] = {
		&tcp_kind, &udp_kind, &icmp_kind, &icmp_raw_kind
	};
	long rc = -P9_ESOCKTNOSUPPORT;
	if (type >= LX_SOCK_MAX)
		return -P9_EINVAL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i]->type != type)
			continue;
		rc = -P9_EPROTONOSUPPORT;
		/* (proto 0: the type's first, except for a raw socket) */
		if (proto == kinds[i]->proto ||
		    (proto == 0 && type != LX_SOCK_RAW)) {
			*out = kinds[i];
			return 0;
		}
	}
	return rc;
}

/* f's conversation reserved through clone: 0 or an errno (no /net:
 * EAFNOSUPPORT, as a Linux without the family). */
static long reserve(struct ofile *f, const struct inet_kind *k)
{
	char path[32], num[16];
	fmt_snprintf(path, sizeof(path), NET_ROOT "/%s/clone", k->net);
	long rc = net_open(path, P9_ORDWR, &f->loc[0]);
	if (rc)
		return rc == -P9_ENOENT ? -P9_EAFNOSUPPORT
		       : rc == -P9_EMFILE ? -P9_ENFILE
					  : rc;
	f->nloc = 1;
	rc = p9c_read(loc_client(&f->loc[0]), f->loc[0].fid, 0, num,
		      sizeof(num) - 1);
	if (rc <= 0)
		return rc < 0 ? rc : -P9_EIO;
	num[rc] = 0;
	const char *p = num;
	in_of(f)->conv = (uint32_t)parse_dec(&p);
	return 0;
}

/* A datagram socket's data, open from the start (UDP with headers). */
static long open_data(struct ofile *f)
{
	long rc = conv_open(f, in_of(f)->conv, "data", P9_ORDWR, &f->loc[1]);
	if (rc == 0)
		f->nloc = 2;
	return rc;
}

long inet_socket(int type, int proto, int flags, struct ofile **out)
{
	const struct inet_kind *k;
	long rc = kind_for(type, proto, &k);
	if (rc)
		return rc;
	struct ofile *f = ofile_new(k->ops);
	if (!f)
		return -P9_ENFILE;
	f->flags = LX_O_RDWR | (flags & LX_SOCK_NONBLOCK);
	f->sock.type = (uint8_t)type;
	strcpy(f->path, "socket:");
	rc = reserve(f, k);
	if (rc == 0 && k->headers)
		rc = ctl(f, 0, "headers");
	if (rc == 0 && k->type != LX_SOCK_STREAM)
		rc = open_data(f);
	if (rc) {
		ofile_put(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* ---- waiting ---- */

/*
 * Before an operation on l that may wait: *off gets the 9P offset flag
 * it takes (PIPE_NOWAIT when it must not wait, or when a timeout was
 * waited for here; else 0, and the server holds it). 0, or EAGAIN when
 * the timeout ran out, EINTR.
 */
static long wait_flag(struct ofile *f, struct loc *l, int interest, int flags,
		      uint64_t timeout, uint64_t *off)
{
	*off = PIPE_NOWAIT;
	if (nonblocking(f, flags))
		return 0;
	*off = 0;
	if (!timeout)
		return 0;
	int64_t end = (int64_t)(metta_clock() + timeout);
	for (;;) {
		int r = ready_query_loc(l, interest, 0);
		if (r < 0)
			return r;
		if (r & (interest | READY_ERR | READY_HUP)) {
			*off = PIPE_NOWAIT;
			return 0;
		}
		int64_t left = end - (int64_t)metta_clock();
		if (left <= 0)
			return -P9_EAGAIN;
		if (rt_sleep((uint64_t)(left < NAP_NS ? left : NAP_NS) / 1000 +
			     1))
			return -P9_EINTR;
	}
}

/* ---- connecting ---- */

/* f connected: its data opened, its peer known. */
static long connected(struct ofile *f, uint32_t addr, uint16_t port)
{
	long rc = conv_open(f, in_of(f)->conv, "data", P9_ORDWR, &f->loc[1]);
	if (rc)
		return rc;
	f->nloc = 2;
	f->sock.state = SK_CONN;
	in_of(f)->raddr = addr;
	in_of(f)->rport = port;
	in_of(f)->bound = 1;
	return 0;
}

/*
 * A non-blocking connect's progress, from the conversation's status:
 * established (data opened: SK_CONN), failed (the error kept for
 * SO_ERROR and cleared on the server: SK_NEW again) or still going.
 */
static void settle(struct ofile *f)
{
	char st[128];
	if (f->sock.state != SK_CONNECTING ||
	    conv_text(f, "status", st, sizeof(st)) < 0)
		return;
	const char *err = st;
	while (*err && strncmp(err, "\nerror ", 7))
		err++;
	if (*err) {
		const char *name = err + 7;
		size_t n = 0;
		while (name[n] && name[n] != '\n')
			n++;
		in_of(f)->err = -p9_errno_named(name, n);
		ctl(f, 0, "clearerr");
		f->sock.state = SK_NEW;
		return;
	}
	if (!strncmp(st, "SynSent", 7) || !strncmp(st, "SynReceived", 11))
		return;
	if (!strncmp(st, "Closed", 6)) {
		in_of(f)->err = -P9_ECONNREFUSED;
		f->sock.state = SK_NEW;
		return;
	}
	if (connected(f, in_of(f)->raddr, in_of(f)->rport))
		f->sock.state = SK_CONNECTING; /* (tried again next time) */
}

/* A socket still connecting, waited for (blocking) or EAGAIN; then 0 if
 * it is connected, or its error. */
static long await_connect(struct ofile *f, int flags)
{
	while (f->sock.state == SK_CONNECTING) {
		if (nonblocking(f, flags))
			return -P9_EAGAIN;
		int r = ready_query_loc(&f->loc[0], READY_OUT | READY_ERR, 1);
		if (r < 0)
			return r;
		settle(f);
	}
	return 0;
}

static long tcp_connect(struct ofile *f, const uint64_t *a)
{
	uint32_t addr;
	uint16_t port;
	char text[ADDR_TEXT];
	long rc = user_sin_text(a[1], a[2], &addr, &port, text);
	if (rc)
		return rc;
	settle(f);
	if (f->sock.state == SK_CONNECTING)
		return -P9_EALREADY;
	/* As Linux: the first connect after EINPROGRESS says how it went,
	 * the next ones EISCONN. */
	if (in_of(f)->inprogress) {
		in_of(f)->inprogress = 0;
		rc = in_of(f)->err;
		in_of(f)->err = 0;
		if (rc || f->sock.state == SK_CONN)
			return rc;
	}
	if (f->sock.state != SK_NEW)
		return -P9_EISCONN;
	in_of(f)->raddr = addr;
	in_of(f)->rport = port;
	in_of(f)->err = 0;
	if (f->flags & LX_O_NONBLOCK) {
		rc = ctl(f, PIPE_NOWAIT, "connect %s", text);
		if (rc)
			return rc;
		f->sock.state = SK_CONNECTING;
		in_of(f)->inprogress = 1;
		return -P9_EINPROGRESS;
	}
	rc = ctl(f, 0, "connect %s", text);
	return rc ? rc : connected(f, addr, port);
}

/* ---- bind, listen, accept ---- */

static long inet_bind(struct ofile *f, const uint64_t *a)
{
	uint32_t addr;
	uint16_t port;
	char text[ADDR_TEXT];
	long rc = user_sin_text(a[1], a[2], &addr, &port, text);
	if (rc)
		return rc;
	if (in_of(f)->bound || f->sock.state != SK_NEW)
		return -P9_EINVAL;
	if ((rc = ctl(f, 0, "%s %s", kind_of(f)->bind, text)))
		return rc;
	in_of(f)->bound = 1;
	in_of(f)->laddr = addr;
	in_of(f)->lport = port;
	return 0;
}

/* A datagram socket not bound is given an ephemeral port, as Linux's
 * first send or receive gives it. */
static long autobind(struct ofile *f)
{
	if (in_of(f)->bound)
		return 0;
	long rc = ctl(f, 0, "%s 0", kind_of(f)->bind);
	if (rc == 0)
		in_of(f)->bound = 1;
	return rc;
}

static long tcp_listen(struct ofile *f, const uint64_t *a)
{
	char text[ADDR_TEXT] = "0";
	int backlog = (int)a[1];
	long rc;
	if (f->sock.state == SK_LISTEN)
		return 0; /* a new backlog: the server's stays */
	if (f->sock.state != SK_NEW)
		return -P9_EINVAL;
	backlog = backlog < 1 ? 1 : backlog > 128 ? 128 : backlog;
	if (in_of(f)->bound)
		addr_text(in_of(f)->laddr, in_of(f)->lport, text);
	if ((rc = ctl(f, 0, "backlog %d", backlog)) ||
	    (rc = ctl(f, 0, "announce %s", text)))
		return rc;
	rc = conv_open(f, in_of(f)->conv, "listen", P9_OREAD, &f->loc[1]);
	if (rc)
		return rc;
	f->nloc = 2;
	in_of(f)->bound = 1;
	f->sock.state = SK_LISTEN;
	return 0;
}

/* The number of the next connection listener f was given. */
static long next_conv(struct ofile *f, int flags)
{
	char num[16];
	uint64_t off;
	long rc = wait_flag(f, &f->loc[1], READY_IN, flags, in_of(f)->rcvtimeo,
			    &off);
	if (rc)
		return rc;
	long r = p9c_read(loc_client(&f->loc[1]), f->loc[1].fid,
			  off, num, sizeof(num) - 1);
	if (r <= 0)
		return r < 0 ? r : -P9_EIO;
	num[r] = 0;
	const char *p = num;
	return (long)parse_dec(&p);
}

static long tcp_accept(struct ofile *f, int flags, struct ofile **out,
		       struct sock_addr *peer)
{
	if (f->sock.state != SK_LISTEN)
		return -P9_EINVAL;
	struct ofile *n = ofile_new(f->ops);
	if (!n)
		return -P9_ENFILE;
	n->flags = LX_O_RDWR | (flags & LX_SOCK_NONBLOCK);
	n->sock.type = f->sock.type;
	strcpy(n->path, "socket:");
	long m = next_conv(f, 0);
	long rc = m < 0 ? m
			: conv_open(f, (uint32_t)m, "ctl", P9_ORDWR, &n->loc[0]);
	if (rc) {
		ofile_put(n);
		return rc;
	}
	n->nloc = 1;
	in_of(n)->conv = (uint32_t)m;
	uint32_t addr = 0;
	uint16_t port = 0;
	rc = conv_addr(n, "remote", &addr, &port);
	if (rc == 0)
		rc = connected(n, addr, port);
	if (rc) {
		ofile_put(n);
		return rc;
	}
	in_of(n)->nodelay = in_of(f)->nodelay;
	sin_addr(addr, port, peer);
	*out = n;
	return 0;
}

/* Datagram sockets have no connections to listen for. */
static long no_listen(struct ofile *f, const uint64_t *a)
{
	(void)f, (void)a;
	return -P9_ENOTSUP;
}

static long no_accept(struct ofile *f, int flags, struct ofile **out,
		      struct sock_addr *peer)
{
	(void)f, (void)flags, (void)out, (void)peer;
	return -P9_ENOTSUP;
}

/* A datagram socket's default destination (AF_UNSPEC: none again). */
static long dgram_connect(struct ofile *f, const uint64_t *a)
{
	uint32_t addr;
	uint16_t port;
	char text[ADDR_TEXT];
	long rc = user_sin(a[1], a[2], &addr, &port);
	if (rc == -P9_ENOTSUP) {
		f->sock.state = SK_NEW;
		return 0;
	}
	if (rc)
		return rc;
	addr_text(addr, port, text);
	if ((rc = ctl(f, 0, "connect %s", text)))
		return rc;
	in_of(f)->raddr = addr;
	in_of(f)->rport = port;
	in_of(f)->bound = 1;
	f->sock.state = SK_CONN;
	return 0;
}

static long inet_shutdown(struct ofile *f, int how)
{
	static const char *const verbs[] = { "rd", "wr", "rdwr" };
	settle(f);
	if (f->sock.state == SK_LISTEN)
		return 0; /* (as Linux: nothing to shut) */
	if (f->sock.state != SK_CONN)
		return -P9_ENOTCONN;
	if (f->sock.type == LX_SOCK_STREAM) {
		long rc = ctl(f, 0, "shutdown %s", verbs[how]);
		if (rc)
			return rc;
	}
	in_of(f)->shut |= (uint8_t)(how + 1);
	return 0;
}

static long inet_name(struct ofile *f, int peer, struct sock_addr *out)
{
	uint32_t addr = 0;
	uint16_t port = 0;
	settle(f);
	if (peer && f->sock.state != SK_CONN)
		return -P9_ENOTCONN;
	long rc = conv_addr(f, peer ? "remote" : "local", &addr, &port);
	if (rc)
		return rc;
	sin_addr(addr, port, out);
	return 0;
}

/* ---- options ---- */

static long timeval_ns(uint64_t ns, uint8_t *val)
{
	struct lx_timeval tv = { (int64_t)(ns / 1000000000),
				 (int64_t)(ns % 1000000000 / 1000) };
	memcpy(val, &tv, sizeof(tv));
	return sizeof(tv);
}

static long option(struct ofile *f, int level, int opt, uint8_t *val)
{
	struct inet *in = in_of(f);
	int v;
	if (level == LX_SOL_SOCKET && sock_common_option(f, opt, &v))
		goto out;
	switch (level << 8 | opt) {
	case LX_SOL_SOCKET << 8 | LX_SO_ERROR:
		settle(f);
		v = -in->err;
		in->err = 0;
		break;
	case LX_SOL_SOCKET << 8 | LX_SO_REUSEADDR:
		v = in->reuse;
		break;
	case LX_SOL_SOCKET << 8 | LX_SO_KEEPALIVE:
		v = in->keepalive;
		break;
	case LX_SOL_SOCKET << 8 | LX_SO_BROADCAST:
		v = in->broadcast;
		break;
	case LX_SOL_SOCKET << 8 | LX_SO_PROTOCOL:
		v = kind_of(f)->proto;
		break;
	case LX_SOL_SOCKET << 8 | LX_SO_RCVTIMEO:
		return timeval_ns(in->rcvtimeo, val);
	case LX_SOL_SOCKET << 8 | LX_SO_SNDTIMEO:
		return timeval_ns(in->sndtimeo, val);
	case LX_SOL_SOCKET << 8 | LX_SO_LINGER:
		memset(val, 0, sizeof(struct lx_linger));
		return sizeof(struct lx_linger);
	case LX_IPPROTO_IP << 8 | LX_IP_TTL:
		v = in->ttl ? in->ttl : 64;
		break;
	case LX_IPPROTO_TCP << 8 | LX_TCP_NODELAY:
	case LX_IPPROTO_TCP << 8 | LX_TCP_MAXSEG:
		if (f->sock.type != LX_SOCK_STREAM)
			return -P9_ENOPROTOOPT;
		v = opt == LX_TCP_NODELAY ? in->nodelay : 1460;
		break;
	default:
		return -P9_ENOPROTOOPT;
	}
out:
	memcpy(val, &v, sizeof(v));
	return sizeof(v);
}

/* SO_RCVTIMEO's or SO_SNDTIMEO's timeval into *ns: 0 or an errno. */
static long take_timeval(const uint64_t *a, uint64_t *ns)
{
	struct lx_timeval tv;
	if ((int)a[4] < (int)sizeof(tv))
		return -P9_EINVAL;
	if (user_readable(a[3], sizeof(tv)))
		return -P9_EFAULT;
	memcpy(&tv, (const void *)a[3], sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -P9_EDOM;
	*ns = tv.tv_sec < 0 ? 0
			    : (uint64_t)tv.tv_sec * 1000000000 +
				  (uint64_t)tv.tv_usec * 1000;
	return 0;
}

/* An option that is a ctl message too (reuse, keepalive, nodelay). */
static long flag_option(struct ofile *f, const char *verb, int v,
			uint8_t *keep)
{
	long rc = ctl(f, 0, "%s %d", verb, !!v);
	if (rc == 0)
		*keep = (uint8_t)!!v;
	return rc;
}

static long inet_setsockopt(struct ofile *f, const uint64_t *a)
{
	struct inet *in = in_of(f);
	int level = (int)a[1], opt = (int)a[2], v;
	if (level == LX_SOL_SOCKET && opt == LX_SO_RCVTIMEO)
		return take_timeval(a, &in->rcvtimeo);
	if (level == LX_SOL_SOCKET && opt == LX_SO_SNDTIMEO)
		return take_timeval(a, &in->sndtimeo);
	long rc = sock_take_int(a, &v);
	if (rc)
		return rc;
	switch (level << 8 | opt) {
	case LX_SOL_SOCKET << 8 | LX_SO_REUSEADDR:
		return flag_option(f, "reuse", v, &in->reuse);
	case LX_SOL_SOCKET << 8 | LX_SO_KEEPALIVE:
		return f->sock.type == LX_SOCK_STREAM
			   ? flag_option(f, "keepalive", v, &in->keepalive)
			   : (in->keepalive = (uint8_t)!!v, 0);
	case LX_SOL_SOCKET << 8 | LX_SO_BROADCAST:
		in->broadcast = (uint8_t)!!v;
		return 0;
	case LX_SOL_SOCKET << 8 | LX_SO_SNDBUF:
		f->sock.sndbuf = sock_buf_size(v);
		return 0;
	case LX_SOL_SOCKET << 8 | LX_SO_RCVBUF:
		f->sock.rcvbuf = sock_buf_size(v);
		return 0;
	case LX_SOL_SOCKET << 8 | LX_SO_LINGER:
		return 0; /* (a close does not wait for unsent bytes) */
	case LX_IPPROTO_IP << 8 | LX_IP_TTL:
		if (v < -1 || v == 0 || v > 255)
			return -P9_EINVAL;
		in->ttl = v < 0 ? 0 : v;
		return 0;
	case LX_IPPROTO_TCP << 8 | LX_TCP_NODELAY:
		if (f->sock.type != LX_SOCK_STREAM)
			return -P9_ENOPROTOOPT;
		return flag_option(f, "nodelay", v, &in->nodelay);
	}
	return -P9_ENOPROTOOPT;
}

/* ---- TCP: streams ---- */

static long tcp_send(struct ofile *f, struct sock_io *io)
{
	settle(f);
	long rc = await_connect(f, io->flags);
	if (rc)
		return rc;
	if (f->sock.state != SK_CONN || (in_of(f)->shut & 2))
		return in_of(f)->err ? in_of(f)->err : -P9_EPIPE;
	uint64_t off;
	rc = wait_flag(f, &f->loc[1], READY_OUT, io->flags,
			     in_of(f)->sndtimeo, &off);
	if (rc)
		return rc;
	long done = 0;
	for (uint64_t i = 0; i < io->cnt; i++) {
		if (!io->iov[i].len)
			continue;
		long r = stream_write_loc(&f->loc[1], io->iov[i].base,
					  io->iov[i].len, off);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((uint64_t)r < io->iov[i].len)
			break;
	}
	return done;
}

/* Bytes kept by MSG_PEEK first: how many were taken (or peeked). */
static long from_peek(struct ofile *f, struct sock_io *io, int peek)
{
	struct inet *in = in_of(f);
	uint64_t k = (uint64_t)io->total < in->peekn ? (uint64_t)io->total
						     : in->peekn;
	sock_scatter(io->iov, io->cnt, in->peek, k);
	if (!peek) {
		memmove(in->peek, in->peek + k, in->peekn - k);
		in->peekn -= (uint32_t)k;
	}
	return (long)k;
}

/* One read of a stream's data into the iovecs (MSG_PEEK: into the
 * socket's own bytes first, which the next reads take). */
static long stream_once(struct ofile *f, struct sock_io *io, uint64_t off)
{
	struct inet *in = in_of(f);
	int peek = !!(io->flags & LX_MSG_PEEK);
	if (in->peekn)
		return from_peek(f, io, peek);
	struct p9c *c = loc_client(&f->loc[1]);
	uint32_t k = p9c_iounit(c);
	if ((uint64_t)io->total < k)
		k = (uint32_t)io->total;
	if (peek && k > INET_PEEK_MAX)
		k = INET_PEEK_MAX;
	if (k == 0)
		return 0;
	const uint8_t *data;
	long r = p9c_read_ref(c, f->loc[1].fid, off, k, &data);
	if (r <= 0)
		return r;
	if (r > (long)k)
		r = (long)k;
	if (!peek) {
		sock_scatter(io->iov, io->cnt, data, (uint64_t)r);
		return r;
	}
	memcpy(in->peek, data, (size_t)r);
	in->peekn = (uint32_t)r;
	return from_peek(f, io, 1);
}

static long tcp_recv(struct ofile *f, struct sock_io *io)
{
	settle(f);
	long rc = await_connect(f, io->flags);
	if (rc)
		return rc;
	if (io->m)
		io->m->controllen = 0;
	if (f->sock.state != SK_CONN)
		return in_of(f)->err ? in_of(f)->err : -P9_ENOTCONN;
	if (in_of(f)->shut & 1)
		return 0;
	uint64_t off;
	rc = wait_flag(f, &f->loc[1], READY_IN, io->flags,
			     in_of(f)->rcvtimeo, &off);
	if (rc)
		return rc;
	long got = stream_once(f, io, off);
	/* MSG_WAITALL: reads until all came (or the end). */
	while ((io->flags & LX_MSG_WAITALL) && !(io->flags & LX_MSG_PEEK) &&
	       got > 0 && got < io->total) {
		struct lx_iovec rest[1];
		uint64_t k = (uint64_t)got, i = 0;
		while (k >= io->iov[i].len)
			k -= io->iov[i++].len;
		rest[0] = (struct lx_iovec){ io->iov[i].base + k,
					     io->iov[i].len - k };
		struct sock_io more = { .iov = rest, .cnt = 1,
					.total = (long)rest[0].len };
		long r = stream_once(f, &more, off);
		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

/* ---- UDP and ICMP: datagrams ---- */

/* Where a datagram goes: the address given, or the connected one;
 * EDESTADDRREQ with neither. */
static long destination(struct ofile *f, struct sock_io *io, uint32_t *addr,
			uint16_t *port)
{
	char text[ADDR_TEXT];
	if (io->uaddr)
		return user_sin_text(io->uaddr, io->ulen, addr, port, text);
	if (f->sock.state != SK_CONN)
		return -P9_EDESTADDRREQ;
	*addr = in_of(f)->raddr;
	*port = in_of(f)->rport;
	return 0;
}

/* An IPv4 address as Plan 9's 16-byte IPv4-mapped form. */
static void v4_mapped(uint8_t *out, uint32_t addr)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &addr, 4);
}

/* The datagram's header (UDP's 52 bytes, ICMP's dst[4]) at buf: its
 * length. */
static size_t dgram_header(struct ofile *f, uint8_t *buf, uint32_t addr,
			   uint16_t port)
{
	if (!kind_of(f)->headers) {
		memcpy(buf, &addr, 4);
		return 4;
	}
	memset(buf, 0, UDP_HDR);
	v4_mapped(buf, addr);
	buf[48] = (uint8_t)(port >> 8);
	buf[49] = (uint8_t)port;
	return UDP_HDR;
}

static long dgram_send(struct ofile *f, struct sock_io *io)
{
	uint8_t buf[UDP_HDR + DGRAM_MAX];
	uint32_t addr;
	uint16_t port;
	long rc = destination(f, io, &addr, &port);
	if (rc)
		return rc;
	if (in_of(f)->shut & 2)
		return -P9_EPIPE;
	if (io->total > DGRAM_MAX)
		return -P9_EMSGSIZE;
	if ((rc = autobind(f)))
		return rc;
	size_t h = dgram_header(f, buf, addr, port), k = h;
	for (uint64_t i = 0; i < io->cnt; k += io->iov[i].len, i++)
		memcpy(buf + k, (const void *)io->iov[i].base, io->iov[i].len);
	uint64_t off;
	rc = wait_flag(f, &f->loc[1], READY_OUT, io->flags,
			     in_of(f)->sndtimeo, &off);
	if (rc)
		return rc;
	rc = p9c_write(loc_client(&f->loc[1]), f->loc[1].fid, off,
		       buf, (uint32_t)k);
	return rc < 0 ? rc : rc < (long)h ? -P9_EIO : rc - (long)h;
}

/* The Internet checksum of n bytes. */
static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The IPv4 header Linux gives a raw socket's read of an ICMP message of
 * n bytes from src with ttl (to us: laddr, 0 unbound). */
static void ip_header(uint8_t *h, size_t n, uint32_t src, uint32_t dst,
		      uint8_t ttl)
{
	memset(h, 0, IP_HDR);
	h[0] = 0x45; /* version 4, five words */
	h[2] = (uint8_t)((IP_HDR + n) >> 8);
	h[3] = (uint8_t)(IP_HDR + n);
	h[8] = ttl;
	h[9] = LX_IPPROTO_ICMP;
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	uint16_t sum = ip_checksum(h, IP_HDR);
	h[10] = (uint8_t)(sum >> 8);
	h[11] = (uint8_t)sum;
}

/*
 * One datagram read as the program sees it: the payload into the
 * iovecs (cut to them: MSG_TRUNC in the msghdr's flags; with MSG_TRUNC
 * asked, the whole length returned), the sender into io->from. ICMP on a
 * raw socket: the IP header first.
 */
static long give_dgram(struct ofile *f, struct sock_io *io, const uint8_t *d,
		       long r)
{
	const struct inet_kind *k = kind_of(f);
	size_t h = k->headers ? UDP_HDR : ICMP_HDR;
	uint32_t src;
	uint16_t port = 0;
	uint8_t ip[IP_HDR + DGRAM_MAX];
	if (r < (long)h)
		return -P9_EIO;
	memcpy(&src, k->headers ? d + 12 : d, 4);
	if (k->headers)
		port = (uint16_t)(d[48] << 8 | d[49]);
	const uint8_t *payload = d + h;
	uint64_t n = (uint64_t)r - h;
	if (k->ip_header) {
		if (n > DGRAM_MAX)
			n = DGRAM_MAX;
		ip_header(ip, n, src, in_of(f)->laddr, d[4]);
		memcpy(ip + IP_HDR, payload, n);
		payload = ip;
		n += IP_HDR;
	}
	sin_addr(src, port, &io->from);
	uint64_t k_ = (uint64_t)io->total < n ? (uint64_t)io->total : n;
	sock_scatter(io->iov, io->cnt, payload, k_);
	if (io->m)
		io->m->flags |= k_ < n ? LX_MSG_TRUNC : 0;
	return (long)((io->flags & LX_MSG_TRUNC) ? n : k_);
}

static long dgram_recv(struct ofile *f, struct sock_io *io)
{
	struct inet *in = in_of(f);
	if (io->m)
		io->m->controllen = 0;
	if (in->shut & 1)
		return 0;
	long rc = autobind(f);
	if (rc)
		return rc;
	int peek = !!(io->flags & LX_MSG_PEEK);
	if (in->peekn) { /* a datagram MSG_PEEK read, whole or cut */
		rc = give_dgram(f, io, in->peek, in->peekn);
		in->peekn = peek ? in->peekn : 0;
		return rc;
	}
	uint64_t off;
	rc = wait_flag(f, &f->loc[1], READY_IN, io->flags,
			     in->rcvtimeo, &off);
	if (rc)
		return rc;
	struct p9c *c = loc_client(&f->loc[1]);
	const uint8_t *data;
	long r = p9c_read_ref(c, f->loc[1].fid, off, p9c_iounit(c),
			      &data);
	if (r < 0)
		return r;
	if (peek) {
		in->peekn = (uint32_t)(r < INET_PEEK_MAX ? r : INET_PEEK_MAX);
		memcpy(in->peek, data, in->peekn);
	}
	return give_dgram(f, io, data, r);
}

/* ---- the kinds ---- */

/* read and write are recv and send with no flags. */
static long io_call(struct ofile *f, uint64_t ubuf, uint64_t n, int write)
{
	struct lx_iovec iov = { ubuf, n };
	struct sock_io io = { .iov = &iov, .cnt = 1, .total = (long)n };
	if (!write && user_writable(ubuf, n))
		return -P9_EFAULT;
	return write ? f->ops->sock->send(f, &io) : f->ops->sock->recv(f, &io);
}

static long inet_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	return io_call(f, ubuf, n, 0);
}

static long inet_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	return io_call(f, ubuf, n, 1);
}

/*
 * Readiness as Linux's: a new socket is writable and hung up; a
 * connecting one asks its ctl until connected or failed (an error:
 * POLLERR with POLLOUT and POLLHUP); a listener asks its listen file; a
 * connection its data (a closed peer: POLLHUP, readable: a read gives
 * the end).
 */
static int tcp_poll(struct ofile *f, int interest, int wait)
{
	settle(f);
	if (f->sock.state == SK_CONNECTING) {
		int r = ready_query_loc(&f->loc[0], READY_OUT | READY_ERR,
					wait);
		if (r <= 0)
			return r;
		settle(f);
		if (wait)
			return r; /* (poll.c asks again, not waiting) */
	}
	if (f->sock.state == SK_NEW) {
		int err = in_of(f)->err ? READY_ERR : 0;
		return wait && !err ? -P9_EAGAIN
				    : READY_OUT | READY_HUP | err;
	}
	if (f->sock.state == SK_CONNECTING)
		return 0;
	int end = f->sock.state == SK_LISTEN ? READY_IN : READY_IN | READY_OUT;
	if (wait && !(interest & end))
		return -P9_EAGAIN;
	if (in_of(f)->peekn && (interest & READY_IN))
		return READY_IN | (interest & READY_OUT);
	int r = ready_query_loc(&f->loc[1], wait ? interest & end : end, wait);
	return r > 0 && (r & READY_HUP) ? r | READY_IN : r;
}

/* A datagram socket is always writable; readable when its data has a
 * datagram. */
static int dgram_poll(struct ofile *f, int interest, int wait)
{
	if (wait && (interest & READY_OUT))
		return READY_OUT;
	if (in_of(f)->peekn)
		return READY_IN | READY_OUT;
	if (wait && !(interest & READY_IN))
		return -P9_EAGAIN;
	int r = ready_query_loc(&f->loc[1], READY_IN, wait);
	return r < 0 ? r : r | READY_OUT;
}

static const struct inet_kind tcp_kind = {
	.ops = &tcp_ops,
	.calls = { .family = LX_AF_INET,
		   .bind = inet_bind,
		   .listen = tcp_listen,
		   .connect = tcp_connect,
		   .accept = tcp_accept,
		   .shutdown = inet_shutdown,
		   .name = inet_name,
		   .getsockopt = option,
		   .setsockopt = inet_setsockopt,
		   .send = tcp_send,
		   .recv = tcp_recv },
	.net = "tcp",
	.bind = "bind",
	.type = LX_SOCK_STREAM,
	.proto = LX_IPPROTO_TCP,
};

#define DGRAM_CALLS                                                     \
	{ .family = LX_AF_INET,     .bind = inet_bind,                 \
	  .listen = no_listen,	    .connect = dgram_connect,          \
	  .accept = no_accept,	    .shutdown = inet_shutdown,         \
	  .name = inet_name,	    .getsockopt = option,     \
	  .setsockopt = inet_setsockopt, .send = dgram_send,           \
	  .recv = dgram_recv }

static const struct inet_kind udp_kind = {
	.ops = &udp_ops,
	.calls = DGRAM_CALLS,
	.net = "udp",
	.bind = "announce",
	.type = LX_SOCK_DGRAM,
	.proto = LX_IPPROTO_UDP,
	.headers = 1,
};

/* Linux's ping socket: ICMP messages without the IP header. */
static const struct inet_kind icmp_kind = {
	.ops = &icmp_ops,
	.calls = DGRAM_CALLS,
	.net = "icmp",
	.bind = "announce",
	.type = LX_SOCK_DGRAM,
	.proto = LX_IPPROTO_ICMP,
};

static const struct inet_kind icmp_raw_kind = {
	.ops = &icmp_raw_ops,
	.calls = DGRAM_CALLS,
	.net = "icmp",
	.bind = "announce",
	.type = LX_SOCK_RAW,
	.proto = LX_IPPROTO_ICMP,
	.ip_header = 1,
};

#define INET_OPS(k, pollfn)                                            \
	{ .kind = "socket", .read = inet_read, .write = inet_write,     \
	  .stat = sock_stat, .poll = pollfn, .sock = &k.calls }

const struct file_ops tcp_ops = INET_OPS(tcp_kind, tcp_poll);
const struct file_ops udp_ops = INET_OPS(udp_kind, dgram_poll);
const struct file_ops icmp_ops = INET_OPS(icmp_kind, dgram_poll);
const struct file_ops icmp_raw_ops = INET_OPS(icmp_raw_kind, dgram_poll);
