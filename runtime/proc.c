/*
 * The calls that are not about files or memory: identity, time, random
 * numbers, signal state (recorded; nothing delivers signals yet), the
 * namespace (mount, umount2: Plan 9's mount and bind), and the end.
 */
#include <9p/errstr.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "rt.h"

#define NSIG	      64
#define SIGKILL	      9
#define SIGSTOP	      19
#define TIMER_ABSTIME 1
#define GRND_VALID    7 /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
#define NS_PER_S      1000000000ll

char rt_cwd[RT_PATH_MAX] = "/";
uint32_t rt_umask = 022;

struct lx_sigaction {
	uint64_t handler, flags, restorer, mask;
};
static struct lx_sigaction actions[NSIG + 1];
static uint64_t sigmask;
static uint64_t fs_base;
static int64_t tod_base = -1; /* seconds since 1970 at clock 0 */

static long getpid(void)
{
	static long pid;
	struct metta_domain_info i;
	if (!pid && metta_domain_info(CAP_SELF, &i) == 0)
		pid = i.id;
	return pid;
}

static long do_uname(uint64_t ubuf)
{
	struct lx_utsname u;
	long rc = user_writable(ubuf, sizeof(u));
	if (rc)
		return rc;
	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Metta");
	strcpy(u.nodename, "metta");
	strcpy(u.release, "0.1");
	strcpy(u.version, "Metta POSIX runtime");
	strcpy(u.machine, "x86_64");
	memcpy((void *)ubuf, &u, sizeof(u));
	return 0;
}

static int64_t realtime_ns(void)
{
	if (tod_base < 0) {
		uint64_t w[4] = { TOD_GET };
		int64_t now = metta_clock();
		tod_base = metta_request(CAP_TOD, w, 0, 0, 0, 0, 0, 0, 0) == 0
			       ? (int64_t)w[1] - now / NS_PER_S
			       : 0;
	}
	return tod_base * NS_PER_S + metta_clock();
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
		ns = realtime_ns();
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
		return -LX_EINVAL;
	}
	struct lx_timespec *ts = (struct lx_timespec *)uts;
	ts->tv_sec = ns / NS_PER_S;
	ts->tv_nsec = ns % NS_PER_S;
	return 0;
}

static long do_nanosleep(int clk, int flags, uint64_t ureq)
{
	long rc = user_readable(ureq, sizeof(struct lx_timespec));
	if (rc)
		return rc;
	const struct lx_timespec *t = (const struct lx_timespec *)ureq;
	if (t->tv_nsec < 0 || t->tv_nsec >= NS_PER_S || t->tv_sec < 0)
		return -LX_EINVAL;
	int64_t ns = t->tv_sec * NS_PER_S + t->tv_nsec;
	if (flags & TIMER_ABSTIME)
		ns -= clk == LX_CLOCK_REALTIME ? realtime_ns() : metta_clock();
	if (ns > 0)
		metta_sleep((uint64_t)(ns + 999) / 1000);
	return 0;
}

static long do_getrandom(uint64_t ubuf, uint64_t n, uint64_t flags)
{
	if (flags & ~(uint64_t)GRND_VALID)
		return -LX_EINVAL;
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
			return done ? (long)done : -LX_EIO;
		done += k;
	}
	return (long)n;
}

static long do_sigaction(int sig, uint64_t uact, uint64_t uold, uint64_t size)
{
	struct lx_sigaction *a = &actions[sig > 0 && sig <= NSIG ? sig : 0];
	if (size != 8 || sig < 1 || sig > NSIG ||
	    (uact && (sig == SIGKILL || sig == SIGSTOP)))
		return -LX_EINVAL;
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
		return -LX_EINVAL;
	if ((uset && (rc = user_readable(uset, 8))) ||
	    (uold && (rc = user_writable(uold, 8))))
		return rc;
	uint64_t old = sigmask;
	if (uset) {
		uint64_t set = *(const uint64_t *)uset;
		if (how == 0)
			sigmask |= set;
		else if (how == 1)
			sigmask &= ~set;
		else if (how == 2)
			sigmask = set;
		else
			return -LX_EINVAL;
		/* SIGKILL and SIGSTOP cannot be blocked. */
		sigmask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	}
	if (uold)
		*(uint64_t *)uold = old;
	return 0;
}

static long do_arch_prctl(int code, uint64_t addr)
{
	if (code == LX_ARCH_SET_FS) {
		long rc = metta_set_tls(addr);
		if (rc)
			return -LX_EPERM;
		fs_base = addr;
		return 0;
	}
	if (code == LX_ARCH_GET_FS) {
		long rc = user_writable(addr, 8);
		if (rc == 0)
			*(uint64_t *)addr = fs_base;
		return rc;
	}
	return -LX_EINVAL;
}

/* A signal to ourselves: nothing handles it yet, so its default. */
static long signal_self(int pid, int sig)
{
	if (sig < 0 || sig > NSIG)
		return -LX_EINVAL;
	if (pid != getpid() && pid != 0)
		return -LX_ESRCH;
	if (sig == 0 || actions[sig].handler == 1 /* SIG_IGN */)
		return 0;
	rt_log("signal %d: ending", sig);
	rt_exit(128 + sig);
}

/* mount(2) and umount2(2) as Plan 9's mount and bind. */
static long do_mount(uint64_t usrc, uint64_t utarget, uint64_t flags,
		     uint64_t udata)
{
	char src[RT_PATH_MAX], target[RT_PATH_MAX], tmp[RT_PATH_MAX],
	    opt[16] = "";
	long rc = user_string(usrc, src, sizeof(src));
	if (rc < 0 || (rc = user_string(utarget, tmp, sizeof(tmp))) < 0 ||
	    (udata && (rc = user_string(udata, opt, sizeof(opt))) < 0))
		return rc == -LX_ENAMETOOLONG && udata ? -LX_EINVAL : rc;
	if ((rc = path_clean(rt_cwd, tmp, target)))
		return rc;
	/* Ours: MS_REMOUNT of "/" with "parent" hands our namespace to the
	 * process that started us (the bind and mount commands). */
	if ((flags & LX_MS_REMOUNT) && !strcmp(opt, "parent"))
		return ns_give_parent();
	int f = 0;
	for (const char *o = opt; *o; o++)
		f |= *o == 'a'	 ? NS_AFTER
		     : *o == 'b' ? NS_BEFORE
		     : *o == 'c' ? NS_CREATE
				 : 0;
	if ((f & NS_AFTER) && (f & NS_BEFORE))
		return -LX_EINVAL;
	if (flags & LX_MS_BIND) {
		if ((rc = path_clean(rt_cwd, src, tmp)))
			return rc;
		return ns_bind(tmp, target, f);
	}
	/* "service" or "/srv/service", with ":path" inside it. */
	char *colon = strrchr(src, ':');
	if (colon)
		*colon = 0;
	return ns_mount(src, colon ? colon + 1 : "/", target, f);
}

static long do_umount(uint64_t utarget, uint64_t flags)
{
	char tmp[RT_PATH_MAX], target[RT_PATH_MAX];
	long rc = user_string(utarget, tmp, sizeof(tmp));
	if (rc < 0)
		return rc;
	if (flags & ~(uint64_t)(LX_MNT_DETACH | 1 /* MNT_FORCE */))
		return -LX_EINVAL;
	if ((rc = path_clean(rt_cwd, tmp, target)))
		return rc;
	return ns_unmount(target);
}

long proc_call(struct rt_call *c, int *handled)
{
	uint64_t *a = c->a;
	*handled = 1;
	switch (c->nr) {
	case LX_exit:
	case LX_exit_group:
		rt_exit((int)a[0]);
	case LX_getpid:
	case LX_gettid:
	case LX_set_tid_address:
		return getpid();
	case LX_getppid:
		return 1;
	case LX_getuid:
	case LX_geteuid:
	case LX_getgid:
	case LX_getegid:
		return 0;
	case LX_uname:
		return do_uname(a[0]);
	case LX_clock_gettime:
		return do_clock_gettime((int)a[0], a[1]);
	case LX_clock_getres:
		if (a[1] && user_writable(a[1], sizeof(struct lx_timespec)))
			return -LX_EFAULT;
		if (a[1])
			*(struct lx_timespec *)a[1] =
			    (struct lx_timespec){ 0, 1 };
		return (int)a[0] >= 0 && a[0] <= 7 ? 0 : -LX_EINVAL;
	case LX_nanosleep:
		return do_nanosleep(LX_CLOCK_MONOTONIC, 0, a[0]);
	case LX_clock_nanosleep:
		return do_nanosleep((int)a[0], (int)a[1], a[2]);
	case LX_getrandom:
		return do_getrandom(a[0], a[1], a[2]);
	case LX_rt_sigaction:
		return do_sigaction((int)a[0], a[1], a[2], a[3]);
	case LX_rt_sigprocmask:
		return do_sigprocmask((int)a[0], a[1], a[2], a[3]);
	case LX_sigaltstack:
		return 0;
	case LX_rt_sigpending:
		if (a[1] != 8)
			return -LX_EINVAL;
		if (user_writable(a[0], 8))
			return -LX_EFAULT;
		*(uint64_t *)a[0] = 0; /* nothing is ever pending yet */
		return 0;
	case LX_arch_prctl:
		return do_arch_prctl((int)a[0], a[1]);
	case LX_sched_yield:
		metta_yield();
		return 0;
	case LX_umask: {
		uint32_t old = rt_umask;
		rt_umask = (uint32_t)a[0] & 0777;
		return old;
	}
	case LX_kill:
		return signal_self((int)a[0], (int)a[1]);
	case LX_tkill:
		return signal_self((int)a[0], (int)a[1]);
	case LX_tgkill:
		return signal_self((int)a[0], (int)a[2]);
	case LX_madvise:
		return (a[0] & (RT_PAGE - 1)) ? -LX_EINVAL : 0;
	case LX_mount:
		return do_mount(a[0], a[1], a[3], a[4]);
	case LX_umount2:
		return do_umount(a[0], a[1]);
	}
	*handled = 0;
	return 0;
}
