/*
 * Signal state: actions and the mask are recorded, as Linux keeps them;
 * nothing delivers a signal yet, so a signal sent to ourselves has its
 * default action (the end) unless it is ignored.
 */
#include <string/kstring.h>

#include "state.h"

#define SIGKILL 9
#define SIGSTOP 19

static long do_sigaction(int sig, uint64_t uact, uint64_t uold, uint64_t size)
{
	struct lx_sigaction *a = &rt.actions[sig > 0 && sig <= NSIG ? sig : 0];
	if (size != 8 || sig < 1 || sig > NSIG ||
	    (uact && (sig == SIGKILL || sig == SIGSTOP)))
		return -P9_EINVAL;
	long rc;
	if ((uact && (rc = user_readable(uact, sizeof(*a)))) ||
	    (uold && (rc = user_writable(uold, sizeof(*a)))))
		return rc;
	struct lx_sigaction old = *a;
	if (uact)
		memcpy(a, (const void *)uact, sizeof(*a));
	if (uold)
		memcpy((void *)uold, &old, sizeof(old));
	return 0;
}

static long do_sigprocmask(int how, uint64_t uset, uint64_t uold, uint64_t size)
{
	long rc;
	if (size != 8)
		return -P9_EINVAL;
	if ((uset && (rc = user_readable(uset, 8))) ||
	    (uold && (rc = user_writable(uold, 8))))
		return rc;
	uint64_t old = rt.sigmask;
	if (uset) {
		uint64_t set = *(const uint64_t *)uset;
		if (how == 0)
			rt.sigmask |= set;
		else if (how == 1)
			rt.sigmask &= ~set;
		else if (how == 2)
			rt.sigmask = set;
		else
			return -P9_EINVAL;
		/* SIGKILL and SIGSTOP cannot be blocked. */
		rt.sigmask &=
		    ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	}
	if (uold)
		*(uint64_t *)uold = old;
	return 0;
}

/* A signal to ourselves: nothing handles it yet, so its default. */
static long signal_self(int pid, int sig)
{
	if (sig < 0 || sig > NSIG)
		return -P9_EINVAL;
	if (pid != rt_getpid() && pid != 0)
		return -P9_ESRCH;
	if (sig == 0 || rt.actions[sig].handler == 1 /* SIG_IGN */)
		return 0;
	rt_log("signal %d: ending", sig);
	rt_exit(128 + sig);
}

long sys_rt_sigaction(const uint64_t *a)
{
	return do_sigaction((int)a[0], a[1], a[2], a[3]);
}

long sys_rt_sigprocmask(const uint64_t *a)
{
	return do_sigprocmask((int)a[0], a[1], a[2], a[3]);
}

long sys_rt_sigpending(const uint64_t *a)
{
	if (a[1] != 8)
		return -P9_EINVAL;
	if (user_writable(a[0], 8))
		return -P9_EFAULT;
	*(uint64_t *)a[0] = 0; /* nothing is ever pending yet */
	return 0;
}

long sys_kill(const uint64_t *a)
{
	return signal_self((int)a[0], (int)a[1]);
}

long sys_tkill(const uint64_t *a)
{
	return signal_self((int)a[0], (int)a[1]);
}

long sys_tgkill(const uint64_t *a)
{
	return signal_self((int)a[0], (int)a[2]);
}
