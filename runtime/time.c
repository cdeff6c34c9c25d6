/*
 * Time, sleeping and random numbers: the nucleus's clock (monotonic, in
 * nanoseconds since boot), tod's time of day (asked once), and the random
 * server.
 */
#include <metta.h>
#include <metta/proto.h>

#include "state.h"

#define TIMER_ABSTIME 1
#define GRND_VALID    7 /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
#define NS_PER_S      1000000000ll

int64_t rt_realtime_ns(void)
{
	if (rt.tod_base < 0) {
		uint64_t w[4] = { TOD_GET };
		int64_t now = metta_clock();
		rt.tod_base =
		    metta_request(CAP_TOD, w, 0, 0, 0, 0, 0, 0, 0) == 0
			? (int64_t)w[1] - now / NS_PER_S
			: 0;
	}
	return rt.tod_base * NS_PER_S + metta_clock();
}

static long do_clock_gettime(int clk, uint64_t uts)
{
	long rc = user_writable(uts, sizeof(struct lx_timespec));
	if (rc)
		return rc;
	int64_t ns;
	switch (clk) {
	case 0: /* REALTIME */
	case 5: /* REALTIME_COARSE */
		ns = rt_realtime_ns();
		break;
	case 1:
	case 2:
	case 3:
	case 4:
	case 6:
	case 7:
		ns =
		    metta_clock(); /* monotonic, CPU time and boot time alike */
		break;
	default:
		return -P9_EINVAL;
	}
	struct lx_timespec *ts = (struct lx_timespec *)uts;
	ts->tv_sec = ns / NS_PER_S;
	ts->tv_nsec = ns % NS_PER_S;
	return 0;
}

/*
 * Sleeps until metta_clock() reaches `until`. A signal interrupts it:
 * what is left goes to *urem (when given), and the call is restarted
 * through restart_syscall for the rest, or returns EINTR to a handler
 * (Linux's -ERESTART_RESTARTBLOCK; signal.c decides).
 */
static long sleep_until(int64_t until, uint64_t urem)
{
	int64_t now = metta_clock();
	if (until <= now ||
	    rt_sleep((uint64_t)(until - now + 999) / 1000) != STATUS_ERR_INTR)
		return 0;
	now = metta_clock();
	int64_t left = until > now ? until - now : 0;
	if (urem && user_writable(urem, sizeof(struct lx_timespec)) == 0)
		*(struct lx_timespec *)urem =
		    (struct lx_timespec){ left / NS_PER_S, left % NS_PER_S };
	rt_self()->sleep_until = until;
	rt_self()->sleep_rem = urem;
	return -LX_ERESTART_RESTARTBLOCK;
}

static long do_nanosleep(int clk, int flags, uint64_t ureq, uint64_t urem)
{
	long rc = user_readable(ureq, sizeof(struct lx_timespec));
	if (rc)
		return rc;
	const struct lx_timespec *t = (const struct lx_timespec *)ureq;
	if (t->tv_nsec < 0 || t->tv_nsec >= NS_PER_S || t->tv_sec < 0)
		return -P9_EINVAL;
	int64_t ns = t->tv_sec * NS_PER_S + t->tv_nsec;
	if (flags & TIMER_ABSTIME) {
		ns -= clk == LX_CLOCK_REALTIME ? rt_realtime_ns() : metta_clock();
		urem = 0; /* an absolute sleep has nothing left to say */
	}
	return ns > 0 ? sleep_until(metta_clock() + ns, urem) : 0;
}

static long do_getrandom(uint64_t ubuf, uint64_t n, uint64_t flags)
{
	if (flags & ~(uint64_t)GRND_VALID)
		return -P9_EINVAL;
	long rc = user_writable(ubuf, n);
	if (rc)
		return rc;
	uint64_t done = 0;
	while (done < n) {
		uint64_t k = n - done > 4096 ? 4096 : n - done, got = 0;
		uint64_t w[4] = { RANDOM_READ, k };
		if (metta_request(CAP_RANDOM, w, 0, 0, (void *)(ubuf + done), k,
				  &got, 0, 0) ||
		    got != k)
			return done ? (long)done : -P9_EIO;
		done += k;
	}
	return (long)n;
}

long sys_clock_gettime(const uint64_t *a)
{
	return do_clock_gettime((int)a[0], a[1]);
}

long sys_clock_getres(const uint64_t *a)
{
	if (a[1] && user_writable(a[1], sizeof(struct lx_timespec)))
		return -P9_EFAULT;
	if (a[1])
		*(struct lx_timespec *)a[1] = (struct lx_timespec){ 0, 1 };
	return (int)a[0] >= 0 && a[0] <= 7 ? 0 : -P9_EINVAL;
}

long sys_nanosleep(const uint64_t *a)
{
	return do_nanosleep(LX_CLOCK_MONOTONIC, 0, a[0], a[1]);
}

long sys_clock_nanosleep(const uint64_t *a)
{
	return do_nanosleep((int)a[0], (int)a[1], a[2], a[3]);
}

/* The rest of a sleep a signal interrupted (without a handler). */
long sys_restart_syscall(const uint64_t *a)
{
	(void)a;
	if (!rt_self()->sleep_until)
		return -P9_EINTR;
	return sleep_until(rt_self()->sleep_until, rt_self()->sleep_rem);
}

long sys_sched_yield(const uint64_t *a)
{
	(void)a;
	rt_unlock();
	metta_yield();
	rt_lock();
	return 0;
}

long sys_getrandom(const uint64_t *a)
{
	return do_getrandom(a[0], a[1], a[2]);
}

long sys_gettimeofday(const uint64_t *a)
{
	if (a[0] && user_writable(a[0], sizeof(struct lx_timeval)))
		return -P9_EFAULT;
	if (a[0]) {
		int64_t ns = rt_realtime_ns();
		*(struct lx_timeval *)a[0] =
		    (struct lx_timeval){ ns / NS_PER_S, ns % NS_PER_S / 1000 };
	}
	return 0; /* the time zone (a[1]) is UTC, as Linux's usually is */
}

long sys_time(const uint64_t *a)
{
	int64_t s = rt_realtime_ns() / NS_PER_S;
	if (a[0] && user_writable(a[0], 8))
		return -P9_EFAULT;
	if (a[0])
		*(int64_t *)a[0] = s;
	return s;
}
