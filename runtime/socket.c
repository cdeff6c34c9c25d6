/*
 * The socket calls: each checks the descriptor (EBADF, ENOTSOCK) and the
 * program's buffers, then calls the socket's kind (fd.h's sock_calls):
 * unix.c's Unix-domain sockets over the pipe server, inet.c's TCP, UDP
 * and ICMP sockets over the net server's /net. What every kind shares is
 * here: addresses and options handed back as Linux cuts them, iovecs and
 * msghdrs checked, SIGPIPE for a send that found the peer gone.
 */
#include <metta.h>
#include <metta/signals.h>
#include <string/kstring.h>

#include "state.h"

/* The socket of fd: EBADF, ENOTSOCK. */
static struct ofile *sock_get(int fd, long *err)
{
	struct ofile *f = fd_get(fd);
	*err = !f ? -P9_EBADF : !f->ops->sock ? -P9_ENOTSOCK : 0;
	return *err ? 0 : f;
}

long sock_install(struct ofile *f, int cloexec)
{
	int fd = fd_install(f, 0, cloexec);
	if (fd < 0)
		ofile_put(f);
	return fd;
}

/* The families there are, each with its kind's constructor. */
static const struct {
	int family;
	long (*make)(int type, int proto, int flags, struct ofile **out);
} families[] = {
	{ LX_AF_UNIX, unix_socket },
	{ LX_AF_INET, inet_socket },
};

long sys_socket(const uint64_t *a)
{
	uint64_t flags = a[1] & ~(uint64_t)LX_SOCK_TYPE_MASK;
	if (flags & ~(uint64_t)(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -P9_EINVAL;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if ((uint64_t)families[i].family != a[0])
			continue;
		struct ofile *f;
		long rc = families[i].make((int)(a[1] & LX_SOCK_TYPE_MASK),
					   (int)a[2], (int)flags, &f);
		return rc ? rc : sock_install(f, !!(flags & LX_SOCK_CLOEXEC));
	}
	return -P9_EAFNOSUPPORT;
}

/* ---- addresses out ---- */

/* An address to the program's (uaddr, *ulen): cut to *ulen as Linux
 * does, *ulen set to its whole length. 0 or EFAULT/EINVAL. */
static long give_addr(const struct sock_addr *sa, uint64_t uaddr,
		      uint64_t ulen)
{
	if (!uaddr)
		return 0;
	if (user_readable(ulen, 4) || user_writable(ulen, 4))
		return -P9_EFAULT;
	int len = *(int *)ulen;
	if (len < 0)
		return -P9_EINVAL;
	int whole = (int)sa->len;
	int k = len < whole ? len : whole;
	if (k && user_writable(uaddr, (uint64_t)k))
		return -P9_EFAULT;
	memcpy((void *)uaddr, sa->sa, (size_t)k);
	*(int *)ulen = whole;
	return 0;
}

/* getsockname (peer 0), getpeername (peer 1). */
static long name_of(const uint64_t *a, int peer)
{
	long rc;
	struct sock_addr sa;
	struct ofile *f = sock_get((int)a[0], &rc);
	if (!f)
		return rc;
	if ((rc = f->ops->sock->name(f, peer, &sa)))
		return rc;
	if (user_readable(a[2], 4))
		return -P9_EFAULT;
	return give_addr(&sa, a[1], a[2]);
}

long sys_getsockname(const uint64_t *a)
{
	return name_of(a, 0);
}

long sys_getpeername(const uint64_t *a)
{
	return name_of(a, 1);
}

/* ---- the calls that only pass their arguments on ---- */

#define PASS_ON(call)                                           \
	long sys_##call(const uint64_t *a)                      \
	{                                                       \
		long rc;                                        \
		struct ofile *f = sock_get((int)a[0], &rc);     \
		return f ? f->ops->sock->call(f, a) : rc;       \
	}
PASS_ON(bind)
PASS_ON(listen)
PASS_ON(connect)
PASS_ON(setsockopt)

long sys_shutdown(const uint64_t *a)
{
	long rc;
	struct ofile *f = sock_get((int)a[0], &rc);
	if (!f)
		return rc;
	return a[1] > LX_SHUT_RDWR ? -P9_EINVAL
				   : f->ops->sock->shutdown(f, (int)a[1]);
}

static long do_accept(int fd, uint64_t uaddr, uint64_t ulen, uint64_t flags)
{
	long rc;
	struct ofile *n;
	struct sock_addr peer;
	if (flags & ~(uint64_t)(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -P9_EINVAL;
	struct ofile *f = sock_get(fd, &rc);
	if (!f)
		return rc;
	if (uaddr && (user_readable(ulen, 4) || user_writable(ulen, 4)))
		return -P9_EFAULT; /* (before a connection is taken) */
	if ((rc = f->ops->sock->accept(f, (int)flags, &n, &peer)))
		return rc;
	rc = give_addr(&peer, uaddr, ulen);
	return rc ? (ofile_put(n), rc) : sock_install(n, !!(flags & LX_SOCK_CLOEXEC));
}

long sys_accept(const uint64_t *a)
{
	return do_accept((int)a[0], a[1], a[2], 0);
}

long sys_accept4(const uint64_t *a)
{
	return do_accept((int)a[0], a[1], a[2], a[3]);
}

/* ---- options ---- */

long sys_getsockopt(const uint64_t *a)
{
	uint8_t val[16];
	long rc;
	struct ofile *f = sock_get((int)a[0], &rc);
	if (!f)
		return rc;
	if (user_readable(a[4], 4) || user_writable(a[4], 4))
		return -P9_EFAULT;
	int len = *(int *)a[4];
	if (len < 0)
		return -P9_EINVAL;
	long n = f->ops->sock->getsockopt(f, (int)a[1], (int)a[2], val);
	if (n < 0)
		return n;
	if (len < n) /* cut, as Linux does */
		n = len;
	if (n && user_writable(a[3], (uint64_t)n))
		return -P9_EFAULT;
	memcpy((void *)a[3], val, (size_t)n);
	*(int *)a[4] = (int)n;
	return 0;
}

long sock_take_int(const uint64_t *a, int *v)
{
	if ((int)a[4] < (int)sizeof(int))
		return -P9_EINVAL;
	if (user_readable(a[3], sizeof(int)))
		return -P9_EFAULT;
	*v = *(const int *)a[3];
	return 0;
}

uint32_t sock_buf_size(int asked)
{
	return (uint32_t)(asked < 2048 ? 4608 : 2 * asked);
}

/* The options every kind answers alike: 1 and *v, or 0. */
int sock_common_option(struct ofile *f, int opt, int *v)
{
	switch (opt) {
	case LX_SO_TYPE:
		*v = f->sock.type;
		return 1;
	case LX_SO_DOMAIN:
		*v = f->ops->sock->family;
		return 1;
	case LX_SO_ACCEPTCONN:
		*v = f->sock.state == SK_LISTEN;
		return 1;
	case LX_SO_SNDBUF:
		*v = (int)(f->sock.sndbuf ? f->sock.sndbuf : 4096);
		return 1;
	case LX_SO_RCVBUF:
		*v = (int)(f->sock.rcvbuf ? f->sock.rcvbuf : 4096);
		return 1;
	}
	return 0;
}

long sock_stat(struct ofile *f, struct lx_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = f->nloc ? f->loc[0].qid.path : 0;
	st->st_mode = LX_S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

/* ---- sending and receiving ---- */

/* Scatters n bytes of data into the iovecs. */
void sock_scatter(const struct lx_iovec *iov, uint64_t cnt,
		    const uint8_t *data, uint64_t n)
{
	for (uint64_t i = 0; i < cnt && n; i++) {
		uint64_t k = iov[i].len < n ? iov[i].len : n;
		memcpy((void *)iov[i].base, data, k);
		data += k;
		n -= k;
	}
}


/* The iovecs of a call (the array checked already, or ours): the total
 * of their buffers, checked, or an errno. */
static long iov_total(const struct lx_iovec *iov, uint64_t cnt)
{
	uint64_t total = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		if ((int64_t)iov[i].len < 0)
			return -P9_EINVAL;
		if (user_readable(iov[i].base, iov[i].len))
			return -P9_EFAULT;
		total += iov[i].len;
	}
	return (long)total;
}

/* Checks the iovecs a receive writes: their total or an errno. */
static long iov_writable(const struct lx_iovec *iov, uint64_t cnt)
{
	long total = iov_total(iov, cnt);
	for (uint64_t i = 0; total >= 0 && i < cnt; i++)
		if (user_writable(iov[i].base, iov[i].len))
			return -P9_EFAULT;
	return total;
}

static long do_send(int fd, struct sock_io *io)
{
	long rc;
	struct ofile *f = sock_get(fd, &rc);
	if (!f)
		return rc;
	if ((io->total = iov_total(io->iov, io->cnt)) < 0)
		return io->total;
	if (io->flags & LX_MSG_OOB)
		return -P9_ENOTSUP; /* no urgent data */
	rc = f->ops->sock->send(f, io);
	if (rc == -P9_EPIPE && !(io->flags & LX_MSG_NOSIGNAL))
		sig_raise(LX_SIGPIPE, LX_SI_USER);
	return rc;
}

static long do_recv(int fd, struct sock_io *io)
{
	long rc;
	struct ofile *f = sock_get(fd, &rc);
	if (!f)
		return rc;
	if ((io->total = iov_writable(io->iov, io->cnt)) < 0)
		return io->total;
	if (io->flags & LX_MSG_OOB)
		return -P9_ENOTSUP;
	io->from.len = 0;
	return f->ops->sock->recv(f, io);
}

long sys_sendto(const uint64_t *a)
{
	struct lx_iovec iov = { a[1], a[2] };
	struct sock_io io = { .iov = &iov, .cnt = 1, .flags = (int)a[3],
			      .uaddr = a[4], .ulen = a[5] };
	return do_send((int)a[0], &io);
}

long sys_recvfrom(const uint64_t *a)
{
	struct lx_iovec iov = { a[1], a[2] };
	struct sock_io io = { .iov = &iov, .cnt = 1, .flags = (int)a[3] };
	long rc = do_recv((int)a[0], &io);
	if (rc < 0 || !a[4] || !a[5])
		return rc;
	long r2 = give_addr(&io.from, a[4], a[5]);
	return r2 ? r2 : rc;
}

/* A msghdr of the program's: checked, copied into m. */
static long user_msghdr(uint64_t um, struct lx_msghdr *m, int write)
{
	if (user_readable(um, sizeof(*m)) ||
	    (write && user_writable(um, sizeof(*m))))
		return -P9_EFAULT;
	memcpy(m, (const void *)um, sizeof(*m));
	if ((int64_t)m->controllen < 0 || m->iovlen > 1024)
		return -P9_EMSGSIZE;
	if (user_readable(m->iov, m->iovlen * sizeof(struct lx_iovec)))
		return -P9_EFAULT;
	if (m->controllen && write && user_writable(m->control, m->controllen))
		return -P9_EFAULT;
	return 0;
}

long sys_sendmsg(const uint64_t *a)
{
	struct lx_msghdr m;
	long rc = user_msghdr(a[1], &m, 0);
	if (rc)
		return rc;
	struct sock_io io = { .iov = (const struct lx_iovec *)m.iov,
			      .cnt = m.iovlen, .flags = (int)a[2], .m = &m,
			      .uaddr = m.namelen ? m.name : 0,
			      .ulen = m.namelen };
	return do_send((int)a[0], &io);
}

/* The sender's address into recvmsg's msg_name (cut to msg_namelen). */
static void give_name(struct lx_msghdr *um, const struct lx_msghdr *m,
		      const struct sock_addr *from)
{
	uint32_t k = m->namelen < from->len ? m->namelen : from->len;
	if (!m->name || user_writable(m->name, k))
		k = 0;
	if (k)
		memcpy((void *)m->name, from->sa, k);
	um->namelen = m->name ? from->len : 0;
}

long sys_recvmsg(const uint64_t *a)
{
	struct lx_msghdr m;
	long rc = user_msghdr(a[1], &m, 1);
	if (rc)
		return rc;
	struct sock_io io = { .iov = (const struct lx_iovec *)m.iov,
			      .cnt = m.iovlen, .flags = (int)a[2], .m = &m,
			      .cloexec = !!(a[2] & LX_MSG_CMSG_CLOEXEC) };
	m.flags = 0;
	rc = do_recv((int)a[0], &io);
	if (rc < 0)
		return rc;
	struct lx_msghdr *um = (struct lx_msghdr *)a[1];
	give_name(um, &m, &io.from);
	um->controllen = m.controllen;
	um->flags = m.flags;
	return rc;
}
