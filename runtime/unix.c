/*
 * Unix-domain sockets over the pipe server (servers/pipe, docs/servers.md):
 * a connected socket is one file of a pipe, opened for reading and
 * writing (socketpair: both files of a new pair; connect: `data1` of a
 * connection the listener queues; accept: `data` of the oldest one, by a
 * walk of the listener's SOCK_ACCEPT_NAME). bind makes a file marked
 * DMSOCKET at the path; its server's name and qid path name the listener
 * ("SERVICE:QIDPATH", as a FIFO's pipe is named), so connect finds it
 * through the file. Waits (accept, a full peer, no bytes yet) are held
 * by the server, or EAGAIN with O_NONBLOCK / MSG_DONTWAIT.
 *
 * A datagram socket bound to a path reads the pipe server's ring for it
 * (DBIND_ANAME); sendto a path, or connect to one, writes that ring's
 * `data1` (DSEND_ANAME). Receivers see no sender's address (the length
 * is 0, as Linux gives for an unbound sender).
 *
 * Ancillary data travels as a control record the server ties to the next
 * byte sent (SOCK_CTL), text made here: "c PID" for SCM_CREDENTIALS, and
 * one line per descriptor of SCM_RIGHTS: "j ID:KEY FILE MODE FLAGS TYPE"
 * for an end of a pipe or a connected socket (the receiver joins the same
 * pipe: JOIN_ANAME), "f FLAGS OFFSET PATH" for a file, directory, FIFO or
 * terminal (the receiver opens the same path with the same flags and
 * offset: a file unlinked meanwhile does not arrive, and the message says
 * MSG_CTRUNC). Listening and unconnected sockets and raw channels cannot
 * travel: EOPNOTSUPP.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <metta/signals.h>
#include <string/kstring.h>

#include "state.h"

#define CONNECT_NAP_US 10000 /* a blocking connect to a full listener */
#define IO_MAX	       65536 /* one recvmsg's bytes (a 9P read) */

static uint64_t nowait(const struct ofile *f, int flags)
{
	return (f->flags & LX_O_NONBLOCK) || (flags & LX_MSG_DONTWAIT)
		   ? PIPE_NOWAIT
		   : 0;
}

static char type_ch(int type)
{
	return type == LX_SOCK_STREAM ? SOCK_STREAM_CH : SOCK_DGRAM_CH;
}

static long attach(const char *prefix, const char *rest, struct loc *dir)
{
	char aname[sizeof(CONNECT_ANAME) + 24 + FIFO_NAME_MAX];
	fmt_snprintf(aname, sizeof(aname), "%s%s", prefix, rest);
	long rc = ns_attach(PIPE_SERVICE, aname, dir);
	return rc == -P9_ENOSPC || rc == -P9_EMFILE ? -P9_ENFILE : rc;
}

/* A new socket's open file (no fid yet). */
static struct ofile *sock_new(int type, int flags)
{
	struct ofile *f = ofile_new(&sock_ops);
	if (!f)
		return 0;
	f->flags = LX_O_RDWR | (flags & LX_SOCK_NONBLOCK);
	f->sock.type = (uint8_t)type;
	strcpy(f->path, "socket:");
	return f;
}

/* f connected through end, a pipe's file opened for both. */
static void sock_connected(struct ofile *f, const struct loc *end)
{
	f->loc[0] = *end;
	f->nloc = 1;
	f->sock.state = SK_CONN;
}

/* The fid f reads from, and the one its sends go to (0: none). */
static struct loc *rx_of(struct ofile *f)
{
	int ok = f->sock.state == SK_CONN ||
		 (f->sock.state == SK_DGRAM && f->sock.bound);
	return ok ? &f->loc[0] : 0;
}

static struct loc *tx_of(struct ofile *f)
{
	if (f->sock.state == SK_CONN)
		return &f->loc[0];
	return f->sock.state == SK_DGRAM && f->sock.tx ? &f->loc[f->sock.tx - 1]
						       : 0;
}

/* The file `file` of the pipe server's tree prefix"T:PID:LNAME" (ours),
 * opened with mode: 0 or an errno. */
static long sock_open(const char *prefix, char type, const char *lname,
		      const char *file, uint8_t mode, struct loc *end)
{
	char rest[32 + FIFO_NAME_MAX];
	struct loc dir;
	fmt_snprintf(rest, sizeof(rest), "%c:%ld:%s", type, rt_getpid(), lname);
	long rc = attach(prefix, rest, &dir);
	if (rc)
		return rc;
	rc = pipe_walk_open(&dir, file, mode, end);
	loc_clunk(&dir);
	return rc;
}

/* socket()'s checks, in Linux's order: the type, or an errno. */
static long check_socket(uint64_t domain, uint64_t type, uint64_t proto)
{
	uint64_t flags = type & ~(uint64_t)LX_SOCK_TYPE_MASK;
	if (flags & ~(uint64_t)(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -P9_EINVAL;
	if (domain != LX_AF_UNIX) /* (socketpair's: Linux's inet has none) */
		return domain == LX_AF_INET ? -P9_ENOTSUP : -P9_EAFNOSUPPORT;
	type &= LX_SOCK_TYPE_MASK;
	if (type >= LX_SOCK_MAX)
		return -P9_EINVAL;
	if (proto != 0 && proto != LX_AF_UNIX)
		return -P9_EPROTONOSUPPORT;
	if (type == LX_SOCK_RAW)
		type = LX_SOCK_DGRAM; /* as Linux takes it */
	if (type != LX_SOCK_STREAM && type != LX_SOCK_DGRAM)
		return -P9_ESOCKTNOSUPPORT;
	return (long)type;
}

long unix_socket(int type, int proto, int flags, struct ofile **out)
{
	long t = check_socket(LX_AF_UNIX, (uint64_t)type, (uint64_t)proto);
	if (t < 0)
		return t;
	*out = sock_new((int)t, flags);
	return *out ? 0 : -P9_ENFILE;
}

/* ---- socketpair ---- */

static long make_pair(int type, int flags, struct ofile **f)
{
	char rest[32];
	struct loc dir, end[2];
	fmt_snprintf(rest, sizeof(rest), "%c:%ld", type_ch(type), rt_getpid());
	long rc = attach(SOCKPAIR_ANAME, rest, &dir);
	if (rc)
		return rc;
	rc = pipe_walk_open(&dir, "data", P9_ORDWR, &end[0]);
	if (rc == 0 && (rc = pipe_walk_open(&dir, "data1", P9_ORDWR, &end[1])))
		loc_clunk(&end[0]);
	loc_clunk(&dir);
	if (rc)
		return rc == -P9_EMFILE ? -P9_ENFILE : rc;
	for (int i = 0; i < 2; i++) {
		f[i] = sock_new(type, flags);
		if (f[i])
			sock_connected(f[i], &end[i]);
		else
			loc_clunk(&end[i]);
	}
	if (f[0] && f[1])
		return 0;
	for (int i = 0; i < 2; i++)
		if (f[i])
			ofile_put(f[i]);
	return -P9_ENFILE;
}

long sys_socketpair(const uint64_t *a)
{
	long type = check_socket(a[0], a[1], a[2]);
	if (type < 0)
		return type;
	long rc = user_writable(a[3], 2 * sizeof(int));
	if (rc)
		return rc;
	struct ofile *f[2] = { 0, 0 };
	rc = make_pair((int)type, (int)a[1], f);
	if (rc == -P9_ENFILE && fd_sweep())
		rc = make_pair((int)type, (int)a[1], f);
	if (rc)
		return rc;
	int cloexec = !!(a[1] & LX_SOCK_CLOEXEC);
	long fd0 = fd_install(f[0], 0, cloexec);
	long fd1 = fd0 < 0 ? fd0 : fd_install(f[1], 0, cloexec);
	if (fd1 < 0) {
		if (fd0 >= 0)
			fd_set((int)fd0, 0, 0);
		ofile_put(f[0]);
		ofile_put(f[1]);
		return fd1;
	}
	((int *)a[3])[0] = (int)fd0;
	((int *)a[3])[1] = (int)fd1;
	return 0;
}

/* ---- addresses ---- */

/* The path of a sockaddr_un the program gave (NUL-terminated in path):
 * 0, EFAULT, EINVAL, or EOPNOTSUPP for the abstract namespace and for
 * autobind (a bare family), which Metta does not have. */
static long user_sun(uint64_t uaddr, uint64_t len, char *path)
{
	if ((int64_t)len < 0 || len > sizeof(struct lx_sockaddr_un))
		return -P9_EINVAL;
	if (user_readable(uaddr, len))
		return -P9_EFAULT;
	const struct lx_sockaddr_un *sa = (const struct lx_sockaddr_un *)uaddr;
	if (len < 2 || sa->sun_family != LX_AF_UNIX)
		return -P9_EINVAL;
	uint64_t n = len - 2;
	if (n == 0 || sa->sun_path[0] == 0)
		return -P9_ENOTSUP;
	uint64_t k = 0;
	while (k < n && sa->sun_path[k])
		k++;
	memcpy(path, sa->sun_path, k);
	path[k] = 0;
	return 0;
}

/* The address of a socket bound to path ("": a bare family). */
static void sun_addr(const char *path, struct sock_addr *out)
{
	struct lx_sockaddr_un sa = { LX_AF_UNIX, { 0 } };
	size_t n = strlen(path);
	memcpy(sa.sun_path, path, n);
	out->len = (uint32_t)(2 + (n ? n + 1 : 0));
	memcpy(out->sa, &sa, out->len);
}

/* The pipe server's name of the socket file at path (clean or not):
 * ENOENT, ECONNREFUSED when it is no socket's. */
static long name_of_file(const char *path, char *lname)
{
	char clean[RT_PATH_MAX];
	struct loc l;
	struct p9_stat st;
	long rc = path_clean(rt.cwd, path, clean);
	if (rc || (rc = ns_lookup(clean, 1, &l)))
		return rc;
	rc = p9c_stat(loc_client(&l), l.fid, &st);
	if (rc == 0 && !(st.mode & P9_DMSOCKET))
		rc = -P9_ECONNREFUSED;
	if (rc == 0)
		pipe_name_of(&l, lname, FIFO_NAME_MAX + 1);
	loc_clunk(&l);
	return rc;
}

/* ---- bind, listen, accept, connect ---- */

/* A datagram socket's own ring, at loc[0] (a connection's way moved
 * after it): 0 or an errno (the socket's file stays, as Linux's). */
static long dgram_bind(struct ofile *f)
{
	struct loc data;
	long rc = sock_open(DBIND_ANAME, SOCK_DGRAM_CH, f->sock.lname, "data",
			    P9_OREAD, &data);
	if (rc)
		return rc;
	if (f->sock.tx) {
		f->loc[1] = f->loc[0];
		f->sock.tx = 2;
	}
	f->loc[0] = data;
	f->nloc = f->sock.tx ? 2 : 1;
	f->sock.bound = 1;
	f->sock.state = SK_DGRAM;
	return 0;
}

static long bind_on(struct ofile *f, const uint64_t *a)
{
	char path[LX_SUN_PATH + 1], clean[RT_PATH_MAX];
	long rc;
	if ((rc = user_sun(a[1], a[2], path)))
		return rc;
	if (f->sock.name[0] || f->sock.state == SK_CONN ||
	    f->sock.state == SK_LISTEN)
		return -P9_EINVAL;
	if ((rc = path_clean(rt.cwd, path, clean)) || (rc = path_mksock(clean)))
		return rc;
	if ((rc = name_of_file(clean, f->sock.lname)))
		return rc;
	if (f->sock.type == LX_SOCK_DGRAM && (rc = dgram_bind(f)))
		return rc;
	strcpy(f->sock.name, path);
	return 0;
}

static long listen_on(struct ofile *f, const uint64_t *a)
{
	(void)a; /* (the backlog: the server's is MAX_BACKLOG) */
	char rest[32 + FIFO_NAME_MAX];
	struct loc dir, data;
	long rc;
	if (f->sock.type != LX_SOCK_STREAM)
		return -P9_ENOTSUP;
	if (f->sock.state == SK_LISTEN)
		return 0; /* a new backlog: ours is the server's */
	if (!f->sock.name[0] || f->sock.state != SK_NEW)
		return -P9_EINVAL;
	fmt_snprintf(rest, sizeof(rest), "%c:%ld:%s", SOCK_STREAM_CH,
		     rt_getpid(), f->sock.lname);
	if ((rc = attach(LISTEN_ANAME, rest, &dir)))
		return rc;
	if ((rc = pipe_walk_open(&dir, "data", P9_OREAD, &data))) {
		loc_clunk(&dir);
		return rc;
	}
	f->loc[0] = data;
	f->loc[1] = dir;
	f->nloc = 2;
	f->sock.state = SK_LISTEN;
	return 0;
}

/* The oldest connection of listener f, opened: 0, EAGAIN when none. */
static long accept_one(struct ofile *f, struct loc *end)
{
	const char *names[] = { SOCK_ACCEPT_NAME, "data" };
	struct loc *dir = &f->loc[1];
	struct p9c *c = loc_client(dir);
	*end = (struct loc){ dir->c, loc_newfid(dir), { 0 } };
	long n = p9c_walk(c, dir->fid, end->fid, 2, names, &end->qid);
	if (n != 2)
		return n < 0 ? n : -P9_EAGAIN;
	long rc = p9c_open(c, end->fid, P9_ORDWR, 0);
	if (rc)
		p9c_clunk(c, end->fid);
	return rc;
}

static long accept_on(struct ofile *f, int flags, struct ofile **out,
		      struct sock_addr *peer)
{
	long rc;
	struct loc end;
	if (f->sock.state != SK_LISTEN)
		return f->sock.type == LX_SOCK_STREAM ? -P9_EINVAL : -P9_ENOTSUP;
	/* Held on the listener's readiness until a client comes. */
	while ((rc = accept_one(f, &end)) == -P9_EAGAIN) {
		if (f->flags & LX_O_NONBLOCK)
			return rc;
		int r = ready_query(f, READY_IN, 1);
		if (r < 0)
			return r;
	}
	if (rc)
		return rc;
	struct ofile *n = sock_new(f->sock.type, flags);
	if (!n) {
		loc_clunk(&end);
		return -P9_ENFILE;
	}
	sock_connected(n, &end);
	strcpy(n->sock.name, f->sock.name);
	sun_addr("", peer); /* the client's: unbound */
	*out = n;
	return 0;
}

/* A datagram socket's sends go to the one bound at lname, path (again
 * and again: connect may change it). */
static long dgram_connect(struct ofile *f, const char *lname,
			  const char *path)
{
	struct loc end;
	long rc = sock_open(DSEND_ANAME, SOCK_DGRAM_CH, lname, "data1",
			    P9_OWRITE, &end);
	if (rc)
		return rc;
	if (f->sock.tx) {
		loc_clunk(&f->loc[f->sock.tx - 1]);
	} else {
		f->sock.tx = (uint8_t)(f->nloc + 1);
		f->nloc++;
	}
	f->loc[f->sock.tx - 1] = end;
	f->sock.state = SK_DGRAM;
	strcpy(f->sock.peer, path);
	return 0;
}

static long connect_on(struct ofile *f, const uint64_t *a)
{
	char path[LX_SUN_PATH + 1], lname[FIFO_NAME_MAX + 1];
	struct loc end;
	long rc;
	if ((rc = user_sun(a[1], a[2], path)))
		return rc == -P9_ENOTSUP ? -P9_EINVAL : rc;
	/* The address first, then our state, as Linux. */
	if ((rc = name_of_file(path, lname)))
		return rc;
	if (f->sock.state == SK_CONN)
		return -P9_EISCONN;
	if (f->sock.state == SK_LISTEN)
		return -P9_EINVAL;
	if (f->sock.type == LX_SOCK_DGRAM)
		return dgram_connect(f, lname, path);
	/* A full listener: EAGAIN, or naps until there is room. */
	while ((rc = sock_open(CONNECT_ANAME, SOCK_STREAM_CH, lname, "data1",
			       P9_ORDWR, &end)) == -P9_EAGAIN &&
	       !(f->flags & LX_O_NONBLOCK)) {
		if (rt_sleep(CONNECT_NAP_US))
			return -P9_EINTR;
	}
	if (rc)
		return rc;
	sock_connected(f, &end);
	strcpy(f->sock.peer, path);
	return 0;
}

static long shutdown_on(struct ofile *f, int shut)
{
	long rc;
	if (f->sock.state != SK_CONN)
		return 0; /* as Linux: nothing is connected to shut */
	uint8_t how = (uint8_t)(shut + 1); /* SHUT_RD 0: bit 1, ... */
	rc = p9c_write(loc_client(&f->loc[0]), f->loc[0].fid, SOCK_SHUT, &how,
		       1);
	return rc < 0 ? rc : 0;
}

/* ---- names and options ---- */

static long name_on(struct ofile *f, int peer, struct sock_addr *out)
{
	if (peer && !tx_of(f))
		return -P9_ENOTCONN;
	sun_addr(peer ? f->sock.peer : f->sock.name, out);
	return 0;
}

/* What the server knows of f's pipe: the peer's pid, how to join it. */
static long sock_info(struct ofile *f, struct sock_info *si)
{
	const uint8_t *data;
	long r = p9c_read_ref(loc_client(&f->loc[0]), f->loc[0].fid,
			      SOCK_INFO, sizeof(*si), &data);
	if (r < 0)
		return r;
	if (r != sizeof(*si))
		return -P9_EIO;
	memcpy(si, data, sizeof(*si));
	return 0;
}

/* One option's value into val (at most 12 bytes): its length or an
 * errno. */
static long option(struct ofile *f, int level, int opt, uint8_t *val)
{
	if (level != LX_SOL_SOCKET)
		return -P9_ENOTSUP;
	int v;
	if (sock_common_option(f, opt, &v))
		goto out;
	switch (opt) {
	case LX_SO_ERROR:
		v = 0;
		break;
	case LX_SO_PASSCRED:
		v = f->sock.passcred;
		break;
	case LX_SO_PEERCRED: {
		struct lx_ucred uc = { 0, ~0u, ~0u };
		struct sock_info si;
		if (f->sock.state != SK_NEW &&
		    sock_info(f, &si) == 0) { /* a listener's: ours */
			uc = (struct lx_ucred){ si.peer_pid ? si.peer_pid
							    : (int32_t)rt_getpid(),
						0, 0 };
		}
		memcpy(val, &uc, sizeof(uc));
		return sizeof(uc);
	}
	default:
		return -P9_ENOPROTOOPT;
	}
out:
	memcpy(val, &v, sizeof(v));
	return sizeof(v);
}

static long setsockopt_on(struct ofile *f, const uint64_t *a)
{
	if (a[1] != LX_SOL_SOCKET)
		return -P9_ENOTSUP;
	int opt = (int)a[2], v;
	if (opt != LX_SO_SNDBUF && opt != LX_SO_RCVBUF && opt != LX_SO_PASSCRED)
		return -P9_ENOPROTOOPT;
	long rc = sock_take_int(a, &v);
	if (rc)
		return rc;
	/* Accepted, as Linux does (doubled); the rings stay 4 KiB. */
	if (opt == LX_SO_SNDBUF)
		f->sock.sndbuf = sock_buf_size(v);
	else if (opt == LX_SO_RCVBUF)
		f->sock.rcvbuf = sock_buf_size(v);
	else
		f->sock.passcred = !!v;
	return 0;
}

/* ---- ancillary data ---- */

/* One descriptor as a line of the record: 0 or EOPNOTSUPP. */
static long describe(struct ofile *f, char *out, size_t cap)
{
	int acc = f->flags & LX_O_ACCMODE;
	uint8_t mode = acc == LX_O_WRONLY ? P9_OWRITE
		       : acc == LX_O_RDWR ? P9_ORDWR
					  : P9_OREAD;
	int on_pipe = f->nloc == 1 && !strcmp(loc_service(&f->loc[0]), PIPE_SERVICE);
	if ((f->ops == &pipe_ops || f->ops == &sock_ops) && on_pipe &&
	    (f->ops == &pipe_ops || f->sock.state == SK_CONN)) {
		struct sock_info si;
		long rc = sock_info(f, &si);
		if (rc)
			return rc;
		fmt_snprintf(out, cap, "%c %x:%llx %s %d %d %d\n",
			     SOCK_CTL_JOIN, si.id,
			     (unsigned long long)si.key,
			     (f->loc[0].qid.path & 3) == 1 ? "data" : "data1",
			     mode, f->flags,
			     f->ops == &sock_ops ? f->sock.type : 0);
		return 0;
	}
	if (f->ops == &file9p_ops || f->ops == &dir_ops || f->ops == &tty_ops ||
	    f->ops == &pipe_ops) {
		fmt_snprintf(out, cap, "f %d %llu %s\n", f->flags,
			     (unsigned long long)f->offset, f->path);
		return 0;
	}
	return -P9_ENOTSUP;
}

/* The record of a sendmsg's control messages (len 0: none): 0 or an
 * errno, as Linux checks them. */
static long encode_control(const struct lx_msghdr *m, char *rec, size_t *len)
{
	*len = 0;
	if (!m->controllen)
		return 0;
	if (user_readable(m->control, m->controllen))
		return -P9_EFAULT;
	uint64_t at = 0;
	while (at + sizeof(struct lx_cmsghdr) <= m->controllen) {
		const struct lx_cmsghdr *c =
		    (const struct lx_cmsghdr *)(m->control + at);
		uint64_t data = sizeof(*c), n = c->len - data;
		if (c->len < sizeof(*c) || at + c->len > m->controllen)
			return -P9_EINVAL;
		if (c->level != LX_SOL_SOCKET)
			return -P9_EINVAL;
		const uint8_t *p = (const uint8_t *)c + data;
		if (c->type == LX_SCM_RIGHTS) {
			if (n % 4 || n / 4 > LX_SCM_MAX_FD)
				return n % 4 ? -P9_EINVAL : -P9_ETOOMANYREFS;
			for (uint64_t i = 0; i < n / 4; i++) {
				int fd;
				memcpy(&fd, p + 4 * i, 4);
				struct ofile *f = fd_get(fd);
				if (!f)
					return -P9_EBADF;
				long rc = describe(f, rec + *len,
						   SOCK_CTL_MAX - *len);
				if (rc)
					return rc;
				*len += strlen(rec + *len);
			}
		} else if (c->type == LX_SCM_CREDENTIALS) {
			struct lx_ucred uc;
			if (n != sizeof(uc))
				return -P9_EINVAL;
			memcpy(&uc, p, sizeof(uc));
			if (uc.pid != (int32_t)rt_getpid())
				return -P9_EPERM;
			fmt_snprintf(rec + *len, SOCK_CTL_MAX - *len, "c %d\n",
				     uc.pid);
			*len += strlen(rec + *len);
		} else {
			return -P9_EINVAL;
		}
		if (*len >= SOCK_CTL_MAX - 1)
			return -P9_ETOOMANYREFS;
		at += LX_CMSG_ALIGN(c->len);
	}
	return 0;
}

static long parse_num(const char **p)
{
	long v = 0;
	int neg = **p == '-';
	*p += neg;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	if (**p == ' ')
		(*p)++;
	return neg ? -v : v;
}

/* A "j" line: the same pipe's file joined and opened: a descriptor or
 * an errno. */
static long join(const char *p, int cloexec)
{
	char rest[48], file[8];
	size_t k = 0;
	while (*p && *p != ' ' && k < sizeof(rest) - 1)
		rest[k++] = *p++;
	rest[k] = 0;
	p += *p == ' ';
	k = 0;
	while (*p && *p != ' ' && k < sizeof(file) - 1)
		file[k++] = *p++;
	file[k] = 0;
	p += *p == ' ';
	uint8_t mode = (uint8_t)parse_num(&p);
	int flags = (int)parse_num(&p), type = (int)parse_num(&p);
	struct loc dir, end;
	long rc = attach(JOIN_ANAME, rest, &dir);
	if (rc)
		return rc;
	rc = pipe_walk_open(&dir, file, mode, &end);
	loc_clunk(&dir);
	if (rc)
		return rc;
	struct ofile *f = type ? sock_new(type, flags) : ofile_new(&pipe_ops);
	if (!f) {
		loc_clunk(&end);
		return -P9_ENFILE;
	}
	if (type) {
		sock_connected(f, &end);
	} else {
		f->loc[0] = end;
		f->nloc = 1;
		strcpy(f->path, "pipe:");
	}
	f->flags = flags;
	return sock_install(f, cloexec);
}

/* An "f" line: the path opened again, at the same offset. */
static long reopen(const char *p, int cloexec)
{
	int flags = (int)parse_num(&p);
	uint64_t off = (uint64_t)parse_num(&p);
	long fd = path_open(p, flags, cloexec);
	if (fd >= 0)
		fd_get((int)fd)->offset = off;
	return fd;
}

/* Appends one control message to the program's buffer if it fits. */
static int put_cmsg(struct lx_msghdr *m, uint64_t *at, int type,
		    const void *data, uint64_t n)
{
	uint64_t len = sizeof(struct lx_cmsghdr) + n;
	if (*at + len > m->controllen)
		return 0;
	struct lx_cmsghdr c = { len, LX_SOL_SOCKET, type };
	memcpy((void *)(m->control + *at), &c, sizeof(c));
	memcpy((void *)(m->control + *at + sizeof(c)), data, n);
	*at += LX_CMSG_ALIGN(len);
	return 1;
}

/* The record rec[len] as the receiver's control messages: descriptors
 * opened, credentials given (with SO_PASSCRED); m->controllen and
 * m->flags (MSG_CTRUNC) set. */
static void decode_control(struct ofile *s, char *rec, long len,
			   struct lx_msghdr *m, int cloexec)
{
	int fds[LX_SCM_MAX_FD], nfd = 0, lost = 0;
	struct lx_ucred uc = { 0, 0, 0 };
	int cred = 0, held = 0;
	uint64_t at = 0;
	rec[len] = 0;
	for (char *line = rec; *line;) {
		char *nl = line;
		while (*nl && *nl != '\n')
			nl++;
		if (*nl)
			*nl = 0;
		else
			nl = 0;
		const char *p = line + 2;
		if (line[0] == 'c') {
			uc.pid = (int32_t)parse_num(&p);
			cred = 1;
		} else if (line[0] == SOCK_CTL_JOIN || line[0] == 'f') {
			held |= line[0] == SOCK_CTL_JOIN;
			long fd = line[0] == SOCK_CTL_JOIN ? join(p, cloexec)
							   : reopen(p, cloexec);
			if (fd >= 0 && nfd < LX_SCM_MAX_FD)
				fds[nfd++] = (int)fd;
			else
				lost = 1;
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	if (held) {
		/* We hold them now: the server may let its holds go. */
		uint8_t one = 1;
		p9c_write(loc_client(&s->loc[0]), s->loc[0].fid, SOCK_RELEASE,
			  &one, 1);
	}
	if (cred && s->sock.passcred &&
	    !put_cmsg(m, &at, LX_SCM_CREDENTIALS, &uc, sizeof(uc)))
		lost = 1;
	if (nfd && !put_cmsg(m, &at, LX_SCM_RIGHTS, fds, 4 * (uint64_t)nfd)) {
		for (int i = 0; i < nfd; i++) {
			uint64_t c[1] = { (uint64_t)fds[i] };
			sys_close(c);
		}
		lost = 1;
	}
	m->controllen = at;
	m->flags |= lost ? LX_MSG_CTRUNC : 0;
}

/* ---- sending and receiving ---- */

/* Bytes of iovecs sent: a stream's in order, a datagram as one message
 * (gathered). */
static long send_iov(struct ofile *f, struct loc *to,
		     const struct lx_iovec *iov, uint64_t cnt, long total,
		     uint64_t off)
{
	static uint8_t msg[4096];
	if (f->sock.type == LX_SOCK_DGRAM) {
		if ((uint64_t)total > sizeof(msg) - 2)
			return -P9_EMSGSIZE;
		uint64_t k = 0;
		for (uint64_t i = 0; i < cnt; i++, k += iov[i - 1].len)
			memcpy(msg + k, (const void *)iov[i].base, iov[i].len);
		long r = p9c_write(loc_client(to), to->fid, off, msg,
				   (uint32_t)total);
		return r == -P9_EPIPE ? -P9_ECONNREFUSED : r; /* Linux's */
	}
	long done = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		if (!iov[i].len)
			continue;
		long r = stream_write(f, iov[i].base, iov[i].len, off);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((uint64_t)r < iov[i].len)
			break;
	}
	return done;
}

/* One datagram to the socket bound at the address the program gave. */
static long send_to(struct ofile *f, uint64_t uaddr, uint64_t ulen,
		    const struct lx_iovec *iov, uint64_t cnt, long total,
		    uint64_t off)
{
	char path[LX_SUN_PATH + 1], lname[FIFO_NAME_MAX + 1];
	struct loc to;
	long rc = user_sun(uaddr, ulen, path);
	if (rc || (rc = name_of_file(path, lname)) ||
	    (rc = sock_open(DSEND_ANAME, SOCK_DGRAM_CH, lname, "data1",
			    P9_OWRITE, &to)))
		return rc;
	rc = send_iov(f, &to, iov, cnt, total, off);
	loc_clunk(&to);
	return rc;
}

static long send_on(struct ofile *f, struct sock_io *io)
{
	char rec[SOCK_CTL_MAX];
	size_t reclen = 0;
	long rc;
	uint64_t off = nowait(f, io->flags);
	if (io->uaddr && f->sock.type == LX_SOCK_STREAM)
		return f->sock.state == SK_CONN ? -P9_EISCONN : -P9_ENOTSUP;
	if (io->uaddr) /* (descriptors do not travel this way: EOPNOTSUPP) */
		return io->m && io->m->controllen
			   ? -P9_ENOTSUP
			   : send_to(f, io->uaddr, io->ulen, io->iov, io->cnt,
				     io->total, off);
	struct loc *to = tx_of(f);
	if (!to)
		return -P9_ENOTCONN;
	if (io->m && (rc = encode_control(io->m, rec, &reclen)))
		return rc;
	if (reclen &&
	    (rc = p9c_write(loc_client(to), to->fid, SOCK_CTL | off,
			    (const uint8_t *)rec, (uint32_t)reclen)) < 0)
		return rc;
	return io->total ? send_iov(f, to, io->iov, io->cnt, io->total, off)
			 : 0;
}

/* One read of the socket into the iovecs (a datagram: one message, cut
 * to them): the bytes or an errno. */
static long recv_once(struct ofile *f, const struct lx_iovec *iov,
		      uint64_t cnt, uint64_t total, uint64_t off)
{
	struct loc *from = rx_of(f);
	if (!from)
		return f->sock.state == SK_LISTEN ? -P9_EINVAL : -P9_ENOTCONN;
	struct p9c *c = loc_client(from);
	uint32_t unit = p9c_iounit(c);
	uint32_t k = total > unit ? unit : (uint32_t)total;
	const uint8_t *data;
	if (k == 0 && f->sock.type == LX_SOCK_STREAM)
		return 0;
	long r = p9c_read_ref(c, from->fid, off, k ? k : 1, &data);
	if (r > (long)k)
		r = (long)k;
	if (r > 0)
		sock_scatter(iov, cnt, data, (uint64_t)r);
	return r;
}

/* The control record of the bytes just read (0: none). */
static long read_record(struct ofile *f, char *rec)
{
	const uint8_t *data;
	long n = p9c_read_ref(loc_client(&f->loc[0]), f->loc[0].fid, SOCK_CTL,
			      SOCK_CTL_MAX, &data);
	if (n > 0)
		memcpy(rec, data, (size_t)n);
	return n;
}

static long recv_on(struct ofile *f, struct sock_io *io)
{
	char rec[SOCK_CTL_MAX + 1];
	const struct lx_iovec *iov = io->iov;
	uint64_t cnt = io->cnt;
	long total = io->total;
	int flags = io->flags;
	if (!rx_of(f))
		return f->sock.state == SK_LISTEN ? -P9_EINVAL : -P9_ENOTCONN;
	uint64_t off = nowait(f, flags) | (flags & LX_MSG_PEEK ? SOCK_PEEK : 0);
	long got = recv_once(f, iov, cnt, (uint64_t)total, off);
	/* MSG_WAITALL: a stream's reads until all came (or the end). */
	while ((flags & LX_MSG_WAITALL) && !(flags & LX_MSG_PEEK) &&
	       f->sock.type == LX_SOCK_STREAM && got > 0 && got < total) {
		static struct lx_iovec rest[1];
		uint64_t k = (uint64_t)got, i = 0;
		while (k >= iov[i].len)
			k -= iov[i++].len;
		rest[0] = (struct lx_iovec){ iov[i].base + k, iov[i].len - k };
		long r = recv_once(f, rest, 1, rest[0].len, off);
		if (r <= 0)
			break;
		got += r;
	}
	if (io->m) {
		struct lx_msghdr *m = io->m;
		long n = got >= 0 && m->controllen && !(flags & LX_MSG_PEEK)
			     ? read_record(f, rec)
			     : 0;
		decode_control(f, rec, n > 0 ? n : 0, m, io->cloexec);
	}
	return got;
}

/* ---- the kind ---- */

static long sock_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	struct lx_iovec iov = { ubuf, n };
	return recv_once(f, &iov, 1, n, nowait(f, 0));
}

static long sock_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	struct lx_iovec iov = { ubuf, n };
	struct loc *to = tx_of(f);
	if (!to)
		return -P9_ENOTCONN;
	if (n == 0)
		return 0;
	return send_iov(f, to, &iov, 1, (long)n, nowait(f, 0));
}

/* A connection asks the server about both directions (a closed peer is
 * POLLHUP, and readable: a read gives the end); a listener about
 * clients waiting; an unconnected socket is writable and hung up, as on
 * Linux. */
static int sock_poll(struct ofile *f, int interest, int wait)
{
	if (f->sock.state == SK_NEW)
		return wait ? -P9_EAGAIN : LX_POLLOUT | LX_POLLHUP;
	if (f->sock.state == SK_DGRAM) {
		/* Its own ring, if bound; sending is taken as ready (a full
		 * receiver holds the send). */
		if (wait)
			return interest & READY_OUT ? READY_OUT
			       : f->sock.bound ? ready_query(f, READY_IN, 1)
					       : -P9_EAGAIN;
		int r = f->sock.bound ? ready_query(f, READY_IN, 0) : 0;
		return r < 0 ? r : r | READY_OUT;
	}
	int end = f->sock.state == SK_LISTEN ? READY_IN : READY_IN | READY_OUT;
	if (wait && !(interest & end))
		return -P9_EAGAIN;
	/* (a held query asks only what poll waits for, or a writable
	 * socket would answer a wait for reading at once, again and again) */
	int r = ready_query(f, wait ? interest & end : end, wait);
	return r > 0 && (r & READY_HUP) ? r | READY_IN : r;
}

static const struct sock_calls unix_calls = {
	.family = LX_AF_UNIX,
	.bind = bind_on,
	.listen = listen_on,
	.connect = connect_on,
	.accept = accept_on,
	.shutdown = shutdown_on,
	.name = name_on,
	.getsockopt = option,
	.setsockopt = setsockopt_on,
	.send = send_on,
	.recv = recv_on,
};

const struct file_ops sock_ops = {
	.kind = "socket",
	.read = sock_read,
	.write = sock_write,
	.stat = sock_stat,
	.poll = sock_poll,
	.sock = &unix_calls,
};
