/*
 * Waiting for descriptors: poll, ppoll, select, pselect6. Readiness is
 * each kind's poll operation (fd.h): regular files and directories are
 * always ready; pipes, sockets and the terminal ask their server with a
 * readiness query (READY_QUERY, metta/proto.h), a 9P read that consumes
 * nothing.
 *
 * Waiting: when a single descriptor is waited for without a time limit,
 * its query is held by the server until the descriptor is ready (no
 * polling at all; a signal interrupts it: EINTR). Otherwise (several
 * descriptors, or a timeout), nothing can wait on several servers at
 * once yet, so the runtime asks again every POLL_NAP: short sleeps, not
 * spinning, at the cost of up to POLL_NAP of latency.
 */
#include <metta.h>
#include <string/kstring.h>

#include "state.h"

#define POLL_NAP_NS 10000000ll /* 10 ms */
#define ALWAYS	    (LX_POLLIN | LX_POLLOUT | LX_POLLRDNORM | LX_POLLWRNORM)

int ready_query(struct ofile *f, int interest, int wait)
{
	return ready_query_loc(&f->loc[0], interest, wait);
}

int ready_query_loc(const struct loc *l, int interest, int wait)
{
	struct p9c *c = loc_client(l);
	const uint8_t *data;
	uint64_t off = READY_QUERY | (uint64_t)(interest & 0xff) |
		       (wait ? 0 : PIPE_NOWAIT);
	if (!interest)
		return wait ? -P9_EAGAIN : 0; /* nothing to ask the server */
	long r = p9c_read_ref(c, l->fid, off, 1, &data);
	if (r < 0)
		return (int)r;
	return r ? data[0] : LX_POLLERR;
}

/* The READY_IN/OUT interest of Linux's poll events. */
static int interest_of(int events)
{
	return ((events & (LX_POLLIN | LX_POLLRDNORM)) ? READY_IN : 0) |
	       ((events & (LX_POLLOUT | LX_POLLWRNORM)) ? READY_OUT : 0);
}

/* One descriptor's revents (or -EINTR while waiting for it). */
static int revents_of(const struct lx_pollfd *p, int wait)
{
	if (p->fd < 0)
		return 0;
	struct ofile *f = fd_get(p->fd);
	if (!f)
		return LX_POLLNVAL;
	int r = ALWAYS;
	if (f->ops->poll) {
		r = f->ops->poll(f, interest_of(p->events), wait);
		if (r < 0)
			return wait ? r : LX_POLLERR;
		r |= (r & LX_POLLIN ? LX_POLLRDNORM : 0) |
		     (r & LX_POLLOUT ? LX_POLLWRNORM : 0);
	}
	return r & (p->events | LX_POLLERR | LX_POLLHUP | LX_POLLNVAL);
}

/* How many are ready, as poll counts them (select counts bits). */
typedef long (*count_fn)(const struct lx_pollfd *p, uint64_t n, void *arg);

static long count_poll(const struct lx_pollfd *p, uint64_t n, void *arg)
{
	(void)arg;
	long k = 0;
	for (uint64_t i = 0; i < n; i++)
		k += p[i].revents != 0;
	return k;
}

/* The one descriptor a wait without limit can be held on, or -1. */
static long single(const struct lx_pollfd *p, uint64_t n)
{
	long one = -1;
	for (uint64_t i = 0; i < n; i++) {
		if (p[i].fd < 0)
			continue;
		if (one >= 0)
			return -1;
		one = (long)i;
	}
	return one;
}

/*
 * Fills every revents until count says some are ready or the time
 * (ns; < 0: none) runs out; *left: the time left. The count, or -EINTR.
 */
static long wait_ready(struct lx_pollfd *p, uint64_t n, int64_t timeout,
		       count_fn count, void *arg, int64_t *left)
{
	int64_t end = (int64_t)metta_clock() + timeout;
	for (;;) {
		for (uint64_t i = 0; i < n; i++)
			p[i].revents = (int16_t)revents_of(&p[i], 0);
		long k = count(p, n, arg);
		int64_t now = (int64_t)metta_clock();
		*left = timeout < 0 ? 0 : end > now ? end - now : 0;
		if (k || timeout == 0 || (timeout > 0 && now >= end))
			return k;
		long one = timeout < 0 ? single(p, n) : -1;
		int r = one >= 0 ? revents_of(&p[one], 1) : -P9_EAGAIN;
		if (r == -P9_EINTR)
			return r;
		if (r <= 0) {
			/* Several servers, or a timeout: a nap (see above). */
			int64_t nap = timeout < 0 || end - now > POLL_NAP_NS
					  ? POLL_NAP_NS
					  : end - now;
			rt_sleep((uint64_t)nap / 1000 + 1);
		}
	}
}

/* A signal mask for the call (ppoll, pselect6), as sigprocmask sets it;
 * *old to put back. 0, or EFAULT or EINVAL. */
static long swap_mask(uint64_t umask, uint64_t size, uint64_t *old)
{
	*old = rt_self()->sigmask;
	if (!umask)
		return 0;
	if (size != 8)
		return -P9_EINVAL;
	if (user_readable(umask, 8))
		return -P9_EFAULT;
	rt_self()->sigmask = *(const uint64_t *)umask & ~((1ull << 8) | (1ull << 18));
	return 0;
}

/* A timespec (or timeval, usec) in ns: 0, EFAULT or EINVAL. */
static long read_time(uint64_t ut, int usec, int64_t *ns)
{
	if (!ut) {
		*ns = -1;
		return 0;
	}
	if (user_readable(ut, 16))
		return -P9_EFAULT;
	const int64_t *t = (const int64_t *)ut;
	int64_t unit = usec ? 1000 : 1;
	/* A timeval's microseconds may pass a second (Linux adds them). */
	if (t[0] < 0 || t[1] < 0 || (!usec && t[1] >= 1000000000) ||
	    (usec && t[1] >= 1000000000000ll))
		return -P9_EINVAL;
	*ns = t[0] > INT64_MAX / 1000000000 - 1
		  ? INT64_MAX / 2
		  : t[0] * 1000000000 + t[1] * unit;
	return 0;
}

/* The time left written back, as Linux does (a read-only one is left
 * alone, as Linux leaves it). */
static void write_time(uint64_t ut, int usec, int64_t left)
{
	if (!ut || user_writable(ut, 16))
		return;
	int64_t *t = (int64_t *)ut;
	t[0] = left / 1000000000;
	t[1] = (left % 1000000000) / (usec ? 1000 : 1);
}

static long do_poll(uint64_t ufds, uint64_t n, int64_t timeout, uint64_t ut,
		    uint64_t umask, uint64_t size)
{
	uint64_t old;
	if (n > rt.rlimits[LX_RLIMIT_NOFILE].cur)
		return -P9_EINVAL;
	long rc = user_readable(ufds, n * sizeof(struct lx_pollfd));
	if (rc || (rc = user_writable(ufds, n * sizeof(struct lx_pollfd))))
		return rc;
	if ((rc = swap_mask(umask, size, &old)))
		return rc;
	int64_t left;
	rc = wait_ready((struct lx_pollfd *)ufds, n, timeout, count_poll, 0,
			&left);
	rt_self()->sigmask = old;
	write_time(ut, 0, left);
	return rc;
}

long sys_poll(const uint64_t *a)
{
	int ms = (int)a[2];
	return do_poll(a[0], a[1], ms < 0 ? -1 : (int64_t)ms * 1000000, 0, 0,
		       0);
}

long sys_ppoll(const uint64_t *a)
{
	int64_t timeout;
	long rc = read_time(a[2], 0, &timeout);
	return rc ? rc : do_poll(a[0], a[1], timeout, a[2], a[3], a[4]);
}

/* ---- select ---- */

struct sets {
	uint64_t *set[3]; /* read, write, except (or 0) */
	uint64_t copy[3][MAX_FDS / 64];
};

static int in_set(const uint64_t *s, int fd)
{
	return s && (s[fd / 64] >> (fd % 64) & 1);
}

/* Which bits select sets from revents (Linux's POLLIN_SET...). */
static const int select_bits[3] = {
	LX_POLLIN | LX_POLLRDNORM | LX_POLLHUP | LX_POLLERR,
	LX_POLLOUT | LX_POLLWRNORM | LX_POLLERR,
	LX_POLLPRI,
};

static long count_select(const struct lx_pollfd *p, uint64_t n, void *arg)
{
	struct sets *s = arg;
	long k = 0;
	for (uint64_t i = 0; i < n; i++)
		for (int j = 0; j < 3; j++)
			k += in_set(s->copy[j], p[i].fd) &&
			     (p[i].revents & select_bits[j]);
	return k;
}

/* The sets of nfds descriptors as poll entries: their count or EBADF. */
static long to_pollfds(struct sets *s, int nfds, struct lx_pollfd *p)
{
	long n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		int ev = (in_set(s->copy[0], fd) ? LX_POLLIN : 0) |
			 (in_set(s->copy[1], fd) ? LX_POLLOUT : 0) |
			 (in_set(s->copy[2], fd) ? LX_POLLPRI : 0);
		if (!ev)
			continue;
		if (!fd_get(fd))
			return -P9_EBADF;
		p[n++] = (struct lx_pollfd){ fd, (int16_t)ev, 0 };
	}
	return n;
}

static void from_pollfds(struct sets *s, int nfds, const struct lx_pollfd *p,
			 long n)
{
	size_t bytes = (size_t)(nfds + 63) / 64 * 8;
	for (int j = 0; j < 3; j++)
		if (s->set[j])
			memset(s->set[j], 0, bytes);
	for (long i = 0; i < n; i++)
		for (int j = 0; j < 3; j++)
			if (in_set(s->copy[j], p[i].fd) &&
			    (p[i].revents & select_bits[j]))
				s->set[j][p[i].fd / 64] |= 1ull
							   << (p[i].fd % 64);
}

static long do_select(int64_t nfds, const uint64_t *usets, uint64_t ut,
		      int usec, uint64_t umask, uint64_t size)
{
	struct sets s;
	struct lx_pollfd p[MAX_FDS];
	int64_t timeout;
	uint64_t old;
	if (nfds < 0)
		return -P9_EINVAL;
	if (nfds > MAX_FDS)
		nfds = MAX_FDS; /* Linux: no descriptor is above its table */
	size_t bytes = (size_t)(nfds + 63) / 64 * 8;
	memset(&s, 0, sizeof(s));
	for (int j = 0; j < 3; j++) {
		if (!usets[j])
			continue;
		if (user_readable(usets[j], bytes) ||
		    user_writable(usets[j], bytes))
			return -P9_EFAULT;
		s.set[j] = (uint64_t *)usets[j];
		memcpy(s.copy[j], s.set[j], bytes);
	}
	long rc = read_time(ut, usec, &timeout);
	long n = rc ? rc : to_pollfds(&s, (int)nfds, p);
	if (n < 0 || (rc = swap_mask(umask, size, &old)))
		return n < 0 ? n : rc;
	int64_t left;
	rc = wait_ready(p, (uint64_t)n, timeout, count_select, &s, &left);
	rt_self()->sigmask = old;
	if (rc < 0)
		return rc;
	from_pollfds(&s, (int)nfds, p, n);
	write_time(ut, usec, left);
	return rc;
}

long sys_select(const uint64_t *a)
{
	uint64_t sets[3] = { a[1], a[2], a[3] };
	return do_select((int)a[0], sets, a[4], 1, 0, 0);
}

/* The sixth argument: { const sigset_t *mask; size_t size } or 0. */
long sys_pselect6(const uint64_t *a)
{
	uint64_t sets[3] = { a[1], a[2], a[3] }, mask = 0, size = 0;
	if (a[5]) {
		if (user_readable(a[5], 16))
			return -P9_EFAULT;
		mask = ((const uint64_t *)a[5])[0];
		size = ((const uint64_t *)a[5])[1];
	}
	return do_select((int)a[0], sets, a[4], 0, mask, size);
}
