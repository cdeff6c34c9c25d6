/*
 * futex: the waits and wake-ups pthreads are built on.
 *
 * A waiter is a thread of ours with fx_addr set (thread.h): the word's
 * address, the bits it waits for (FUTEX_WAIT_BITSET's; all for
 * FUTEX_WAIT) and when it came, so that wake-ups go first come, first
 * woken. The table is the thread table, under the runtime lock; a waiter
 * lets go of the lock and waits on its own event (EV_FUTEX), which the
 * waker signals after it took the waiter off the word (fx_woken). A
 * signal for it (EV_SIG, or the nucleus's interrupt) ends the wait with
 * EINTR, restarted when no handler runs, as Linux's.
 *
 * Private and shared futexes are kept alike, which is right for the
 * threads of one process. A word in MAP_SHARED memory may be another
 * process's to wake, which no table of ours sees: a wait there naps
 * 1 ms at most and returns 0 (a spurious wake-up, which futex's
 * contract allows: callers check the word again). Waking them would
 * need a table every process sharing the memory reaches: a server keyed
 * by memory object and offset, or the nucleus's (docs/design.md, 5).
 * Priority-inheritance operations are ENOSYS.
 */
#include <metta.h>
#include <metta/proto.h>

#include "state.h"

#define NS_PER_S	     1000000000ll
#define SHARED_NAP_US	     1000

static uint64_t arrivals; /* the order waiters came in */

/* The word's address: 0, EINVAL (not aligned, as Linux) or EFAULT. */
static long word_ok(uint64_t uaddr, int write)
{
	if (uaddr & 3)
		return -P9_EINVAL;
	return write ? user_writable(uaddr, 4) : user_readable(uaddr, 4);
}

/* The first waiter on uaddr wanting one of bits, or 0. */
static struct rt_thread *first_waiter(uint64_t uaddr, uint32_t bits)
{
	struct rt_thread *w = 0;
	for (int i = 0; i < RT_MAX_THREADS; i++) {
		struct rt_thread *t = &rt_threads[i];
		if (t->state == T_LIVE && t->fx_addr == uaddr &&
		    (t->fx_bits & bits) && (!w || t->fx_seq < w->fx_seq))
			w = t;
	}
	return w;
}

long futex_wake(uint64_t uaddr, int n, uint32_t bits)
{
	long woken = 0;
	struct rt_thread *t;
	while (woken < n && (t = first_waiter(uaddr, bits))) {
		t->fx_addr = 0;
		t->fx_woken = 1;
		rt_wake(t, EV_FUTEX);
		woken++;
	}
	return woken;
}

/* Moves up to n waiters from uaddr to uaddr2: how many. */
static long requeue(uint64_t uaddr, uint64_t uaddr2, long n)
{
	long moved = 0;
	struct rt_thread *t;
	while (moved < n && (t = first_waiter(uaddr, ~0u))) {
		t->fx_addr = uaddr2;
		moved++;
	}
	return moved;
}

/* The end of a wait as a metta_clock() time (0: none), from a timespec
 * that is relative, or absolute on the monotonic or the real clock. */
static long deadline(uint64_t uts, int abs, int realtime, int64_t *until)
{
	*until = 0;
	if (!uts)
		return 0;
	if (user_readable(uts, sizeof(struct lx_timespec)))
		return -P9_EFAULT;
	const struct lx_timespec *t = (const void *)uts;
	if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= NS_PER_S)
		return -P9_EINVAL;
	int64_t ns = t->tv_sec * NS_PER_S + t->tv_nsec, now = metta_clock();
	if (abs)
		ns -= (realtime ? rt_realtime_ns() : now);
	else
		ns += now;
	*until = abs ? now + ns : ns;
	*until += *until == 0; /* 0 means none */
	return 0;
}

/* A wait on a word other processes may share: a nap. */
static long shared_wait(int64_t until)
{
	int64_t now = metta_clock();
	if (until && until <= now)
		return -P9_ETIMEDOUT;
	uint64_t us = SHARED_NAP_US;
	if (until && (uint64_t)(until - now) / 1000 < us)
		us = (uint64_t)(until - now) / 1000 + 1;
	return rt_sleep(us) == STATUS_ERR_INTR ? -P9_EINTR : 0;
}

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t uts, int abs,
		       int realtime, uint32_t bits)
{
	long rc = word_ok(uaddr, 0);
	int64_t until;
	if (rc || (rc = deadline(uts, abs, realtime, &until)))
		return rc;
	if (*(volatile uint32_t *)uaddr != val)
		return -P9_EAGAIN;
	if (mem_is_shared(uaddr))
		return shared_wait(until);
	struct rt_thread *t = rt_self();
	t->fx_addr = uaddr;
	t->fx_bits = bits;
	t->fx_seq = ++arrivals;
	t->fx_woken = 0;
	for (;;) {
		int64_t now = metta_clock();
		if (until && until <= now) {
			rc = -P9_ETIMEDOUT;
			break;
		}
		long got = rt_wait(t, EV_FUTEX | EV_SIG,
				   until ? (uint64_t)(until - now + 999) / 1000
					 : 0);
		if (t->fx_woken)
			return 0;
		/* Interrupted: EINTR only for a signal this thread takes
		 * (an interrupt may have been meant for another wait). */
		if (got == STATUS_ERR_INTR || (got > 0 && (got & EV_SIG))) {
			if (sig_ready()) {
				rc = -P9_EINTR;
				break;
			}
			sig_forward();
			continue; /* not ours: wait on */
		}
		if (got < 0 && got != STATUS_ERR_TIMEOUT) {
			rc = -P9_ENOMEM; /* no event to wait on */
			break;
		}
	}
	t->fx_addr = 0; /* still queued: off the word */
	return rc;
}

/* LX_FUTEX_WAKE_OP's comparison of the old value: 0 or 1, or -1 for an
 * unknown one. */
static int op_compare(int cmp, int32_t old, int32_t arg)
{
	switch (cmp) {
	case 0: return old == arg;
	case 1: return old != arg;
	case 2: return old < arg;
	case 3: return old <= arg;
	case 4: return old > arg;
	case 5: return old >= arg;
	}
	return -1;
}

/* LX_FUTEX_WAKE_OP's change of the word at uaddr2 (the runtime lock keeps
 * other threads' futex calls out; a program's own atomics on the word
 * are its business) and its comparison: 0 / 1, or ENOSYS for an
 * unknown operation or comparison, as Linux. */
static long wake_op(uint64_t uaddr2, uint32_t code)
{
	int op = (code >> 28) & 7, cmp = (code >> 24) & 15;
	uint32_t oparg = (uint32_t)((int32_t)(code << 8) >> 20);
	int32_t cmparg = (int32_t)(code << 20) >> 20;
	if (code & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT */
		oparg = 1u << (oparg & 31);
	uint32_t *w = (uint32_t *)uaddr2, old = *(volatile uint32_t *)w, n;
	switch (op) {
	case 0: n = oparg; break;
	case 1: n = old + oparg; break;
	case 2: n = old | oparg; break;
	case 3: n = old & ~oparg; break;
	case 4: n = old ^ oparg; break;
	default: return -P9_ENOSYS;
	}
	int yes = op_compare(cmp, (int32_t)old, cmparg);
	if (yes < 0)
		return -P9_ENOSYS;
	__atomic_store_n(w, n, __ATOMIC_SEQ_CST);
	return yes;
}

/* LX_FUTEX_REQUEUE and LX_FUTEX_CMP_REQUEUE (cmp: *uaddr must still hold
 * val3): woken and moved, as Linux counts them. */
static long do_requeue(const uint64_t *a, int cmp)
{
	long rc, nwake = (int32_t)a[2], nmove = (int32_t)a[3];
	if (nwake < 0 || nmove < 0)
		return -P9_EINVAL;
	if ((rc = word_ok(a[0], 0)) || (rc = word_ok(a[4], 0)))
		return rc;
	if (cmp && *(volatile uint32_t *)a[0] != (uint32_t)a[5])
		return -P9_EAGAIN;
	long woken = futex_wake(a[0], (int)nwake, ~0u);
	return woken + requeue(a[0], a[4], nmove);
}

static long do_wake_op(const uint64_t *a)
{
	long rc;
	if ((rc = word_ok(a[0], 0)) || (rc = word_ok(a[4], 1)))
		return rc;
	long yes = wake_op(a[4], (uint32_t)a[5]);
	if (yes < 0)
		return yes;
	long woken = futex_wake(a[0], (int)(int32_t)a[2], ~0u);
	if (yes)
		woken += futex_wake(a[4], (int)(int32_t)a[3], ~0u);
	return woken;
}

/* futex(uaddr, op, val, timeout or val2, uaddr2, val3) */
long sys_futex(const uint64_t *a)
{
	int op = (int)a[1];
	int cmd = op & ~(LX_FUTEX_PRIVATE | LX_FUTEX_CLOCK_REALTIME);
	int realtime = !!(op & LX_FUTEX_CLOCK_REALTIME);
	if (realtime && cmd != LX_FUTEX_WAIT && cmd != LX_FUTEX_WAIT_BITSET)
		return -P9_ENOSYS; /* as Linux */
	long rc;
	switch (cmd) {
	case LX_FUTEX_WAIT:
		return futex_wait(a[0], (uint32_t)a[2], a[3], 0, 0, ~0u);
	case LX_FUTEX_WAIT_BITSET:
		if ((uint32_t)a[5] == 0)
			return -P9_EINVAL; /* an empty bitset */
		return futex_wait(a[0], (uint32_t)a[2], a[3], 1, realtime,
				  (uint32_t)a[5]);
	case LX_FUTEX_WAKE:
	case LX_FUTEX_WAKE_BITSET:
		if (cmd == LX_FUTEX_WAKE_BITSET && (uint32_t)a[5] == 0)
			return -P9_EINVAL;
		if ((rc = word_ok(a[0], 0)))
			return rc;
		return futex_wake(a[0], (int)(int32_t)a[2],
				  cmd == LX_FUTEX_WAKE ? ~0u : (uint32_t)a[5]);
	case LX_FUTEX_REQUEUE:
	case LX_FUTEX_CMP_REQUEUE:
		return do_requeue(a, cmd == LX_FUTEX_CMP_REQUEUE);
	case LX_FUTEX_WAKE_OP:
		return do_wake_op(a);
	}
	return -P9_ENOSYS; /* priority inheritance, and unknown ones */
}
