/*
 * Process: getpid, uname, clocks and sleeping, getrandom, signal masks and
 * actions (delivery: t_signal.c), errno and TLS, set_tid_address, arch_prctl,
 * unknown system calls.
 */
#include "posixtest.h"

#include <sys/wait.h>

#ifndef ARCH_SET_FS
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#endif
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>

static void t_getpid(void)
{
	pid_t p = getpid();
	CHECKF(p > 0, "getpid() = %d", (int)p);
	EQ(getpid(), p);
	EQ(syscall(SYS_getpid), p);
	/* With one thread the thread id is the process id. */
	EQ(syscall(SYS_gettid), p);
	CHECK(getppid() >= 0);
}

static void t_uname(void)
{
	struct utsname u;
	memset(&u, 0xff, sizeof u);
	OK(uname(&u));
	CHECK(memchr(u.sysname, 0, sizeof u.sysname) != NULL);
	CHECK(memchr(u.release, 0, sizeof u.release) != NULL);
	CHECK(memchr(u.machine, 0, sizeof u.machine) != NULL);
	CHECK(memchr(u.nodename, 0, sizeof u.nodename) != NULL);
	CHECKF(u.sysname[0] != 0, "uname sysname is empty");
	ERR(syscall(SYS_uname, (void *)1), EFAULT);
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void t_clock_gettime(void)
{
	struct timespec rt, a, b;
	OK(clock_gettime(CLOCK_REALTIME, &rt));
	/* After 2020-01-01, a sane nanosecond field. */
	CHECKF(rt.tv_sec > 1577836800, "CLOCK_REALTIME tv_sec = %lld", (long long)rt.tv_sec);
	CHECK(rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000);
	/* The raw call (musl may use a vDSO instead). */
	OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt));
	CHECK(rt.tv_sec > 1577836800);
	CHECK(time(0) >= rt.tv_sec - 1);
	OK(clock_gettime(CLOCK_MONOTONIC, &a));
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
	/* Monotonic never goes back. */
	for (int i = 0; i < 200; i++) {
		if (i % 2)
			OK(clock_gettime(CLOCK_MONOTONIC, &b));
		else
			OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b));
		CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
		CHECKF(ns(&b) >= ns(&a), "CLOCK_MONOTONIC went back from %lld to %lld ns",
		       (long long)ns(&a), (long long)ns(&b));
		a = b;
	}
	ERR(syscall(SYS_clock_gettime, 12345, &a), EINVAL);
	ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1), EFAULT);
}

static void t_nanosleep(void)
{
	struct timespec a, b, req = {0, 20 * 1000000}, rem = {7, 7};
	OK(clock_gettime(CLOCK_MONOTONIC, &a));
	EQ(nanosleep(&req, &rem), 0);
	OK(clock_gettime(CLOCK_MONOTONIC, &b));
	CHECKF(ns(&b) - ns(&a) >= 20 * 1000000,
	       "CLOCK_MONOTONIC advanced %lld ns across a 20 ms nanosleep",
	       (long long)(ns(&b) - ns(&a)));
	/* Realtime moves too. */
	OK(clock_gettime(CLOCK_REALTIME, &a));
	req.tv_nsec = 1000000;
	EQ(syscall(SYS_nanosleep, &req, 0), 0);
	OK(clock_gettime(CLOCK_REALTIME, &b));
	CHECK(ns(&b) > ns(&a));
	/* Zero is fine. */
	req.tv_nsec = 0;
	EQ(nanosleep(&req, 0), 0);
	req.tv_nsec = 1000000000;
	ERR(nanosleep(&req, 0), EINVAL);
	req.tv_nsec = -1;
	ERR(nanosleep(&req, 0), EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	ERR(nanosleep(&req, 0), EINVAL);
	ERR(syscall(SYS_nanosleep, (void *)1, 0), EFAULT);
}

static int allzero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void t_getrandom(void)
{
	unsigned char a[64], b[64];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	EQ(getrandom(a, sizeof a, 0), sizeof a);
	EQ(getrandom(b, sizeof b, 0), sizeof b);
	CHECK(!allzero(a, sizeof a));
	CHECK(memcmp(a, b, sizeof a));
	EQ(syscall(SYS_getrandom, b, sizeof b, GRND_NONBLOCK), sizeof b);
	CHECK(memcmp(a, b, sizeof a));
	EQ(getrandom(a, 0, 0), 0);
	/* Larger requests (up to 256 bytes are never short). */
	unsigned char big[256];
	memset(big, 0, sizeof big);
	EQ(getrandom(big, sizeof big, 0), sizeof big);
	CHECK(!allzero(big, 128) && !allzero(big + 128, 128));
	ERR(getrandom(a, sizeof a, 0x4000), EINVAL);
	ERR(syscall(SYS_getrandom, (void *)1, 16, 0), EFAULT);
}

static void handler(int sig)
{
	(void)sig;
}

static void t_sigaction(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	memset(&old, 0, sizeof old);
	OK(sigaction(SIGUSR1, &sa, &old));
	CHECK(old.sa_handler == SIG_DFL);
	memset(&old, 0, sizeof old);
	OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == handler);
	CHECK(old.sa_flags & SA_RESTART);
	CHECK(sigismember(&old.sa_mask, SIGUSR2) == 1);
	CHECK(sigismember(&old.sa_mask, SIGTERM) == 0);
	/* SIG_IGN, and back to SIG_DFL, reported as the old action. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	OK(sigaction(SIGUSR1, &sa, &old));
	CHECK(old.sa_handler == handler);
	OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_IGN);
	sa.sa_handler = SIG_DFL;
	OK(sigaction(SIGUSR1, &sa, NULL));
	OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
	/* signal() is sigaction underneath. */
	CHECK(signal(SIGUSR2, handler) == SIG_DFL);
	CHECK(signal(SIGUSR2, SIG_DFL) == handler);
	/* SIGKILL and SIGSTOP cannot be caught; bad numbers are refused. */
	sa.sa_handler = handler;
	ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	ERR(sigaction(0, &sa, NULL), EINVAL);
	ERR(sigaction(65, &sa, NULL), EINVAL);
	/* The raw call checks the size of the signal set. */
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4), EINVAL);
}

static void t_sigprocmask(void)
{
	sigset_t set, old, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	OK(sigprocmask(SIG_BLOCK, &set, &old));
	CHECK(sigismember(&old, SIGUSR1) == 0);
	OK(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK(sigismember(&cur, SIGUSR1) == 1);
	CHECK(sigismember(&cur, SIGUSR2) == 0);
	/* Add another. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	OK(sigprocmask(SIG_BLOCK, &set, NULL));
	OK(sigprocmask(SIG_SETMASK, NULL, &cur));
	CHECK(sigismember(&cur, SIGUSR1) == 1 && sigismember(&cur, SIGUSR2) == 1);
	/* Unblock one. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
	OK(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK(sigismember(&cur, SIGUSR1) == 0 && sigismember(&cur, SIGUSR2) == 1);
	/* Replace the whole mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	OK(sigprocmask(SIG_SETMASK, &set, NULL));
	OK(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK(sigismember(&cur, SIGTERM) == 1 && sigismember(&cur, SIGUSR2) == 0);
	/* The raw call. */
	uint64_t raw = 0;
	OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &raw, 8));
	EQ(raw, 1ull << (SIGTERM - 1));
	ERR(syscall(SYS_rt_sigprocmask, 99, &raw, NULL, 8), EINVAL);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &raw, 4), EINVAL);
	OK(sigprocmask(SIG_SETMASK, &old, NULL));
	OK(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK(sigismember(&cur, SIGTERM) == 0);
	/* Nothing is pending. */
	OK(sigpending(&cur));
	CHECK(sigismember(&cur, SIGUSR1) == 0);
}

static __thread int tls_counter = 42;
static __thread char tls_buf[64];

static void t_errno_tls(void)
{
	/* errno lives in the thread's TLS block (set up at start-up). */
	int e;
	errno = 0;
	CHECK(close(1000) == -1);
	e = errno;
	CHECKF(e == EBADF, "errno after close(1000) is %d (%s)", e, pt_errname(e));
	CHECK(open("missing", O_RDONLY) == -1);
	e = errno;
	CHECKF(e == ENOENT, "errno after open(missing) is %d (%s)", e, pt_errname(e));
	/* A successful call leaves errno alone. */
	errno = 1234;
	CHECK(getpid() > 0);
	e = errno;
	CHECKF(e == 1234, "errno after getpid() is %d, was 1234", e);
	errno = 0;
	/* Initialised and zeroed thread-locals. */
	EQ(tls_counter, 42);
	tls_counter++;
	EQ(tls_counter, 43);
	tls_counter = 42;
	CHECK(tls_buf[0] == 0 && tls_buf[63] == 0);
	/* %fs points at the thread pointer, which points at itself. */
	void *tp;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	CHECK(tp == __builtin_thread_pointer());
	CHECK((char *)&tls_counter < (char *)tp && (char *)tp - (char *)&tls_counter < 65536);
}

static void t_set_tid_address(void)
{
	/* musl's start-up calls it; it returns the caller's thread id. */
	static int word;
	long r = OK(syscall(SYS_set_tid_address, &word));
	EQ(r, getpid());
	EQ(syscall(SYS_gettid), r);
}

static void t_arch_prctl(void)
{
	unsigned long fs = 0;
	OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	CHECKF(fs == (unsigned long)__builtin_thread_pointer(),
	       "ARCH_GET_FS gives %#lx, the thread pointer is %p", fs,
	       __builtin_thread_pointer());
	/* Setting it to what it is changes nothing. */
	OK(syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
	CHECK(close(1000) == -1 && errno == EBADF);
	CHECK(fs == (unsigned long)__builtin_thread_pointer());
	ERR(syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL);
}

static void t_enosys(void)
{
	ERR(syscall(1000), ENOSYS);
	ERR(syscall(1000, 1, 2, 3, 4, 5, 6), ENOSYS);
	ERR(syscall(100000), ENOSYS);
	/* Still alive and well. */
	CHECK(getpid() > 0);
}

/* reboot's refusals (the machine stays up): a caller without the right
 * is refused first (Linux checks CAP_SYS_BOOT), then bad magic and
 * unknown commands. */
static void t_reboot_refused(void)
{
	int want = getuid() == 0 ? EINVAL : EPERM;
	ERR(syscall(SYS_reboot, 0x1234, 672274793, 0x4321fedc, 0), want);
	ERR(syscall(SYS_reboot, 0xfee1dead, 1, 0x4321fedc, 0), want);
	if (getuid() == 0)
		ERR(syscall(SYS_reboot, 0xfee1dead, 672274793, 0x777, 0), EINVAL);
	OK(syncfs(1));
	ERR(syncfs(999), EBADF);
}

/* futex in a process of one thread: a changed word, a timeout, a wake
 * with nobody waiting, bad arguments. */
static void t_futex(void)
{
	static unsigned word = 7;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	ERR(syscall(SYS_futex, &word, 128 /* WAIT|PRIVATE */, 8, 0, 0, 0),
	    EAGAIN);
	ERR(syscall(SYS_futex, &word, 128, 7, &ts, 0, 0), ETIMEDOUT);
	EQ(syscall(SYS_futex, &word, 129 /* WAKE|PRIVATE */, 1, 0, 0, 0), 0);
	ERR(syscall(SYS_futex, (void *)8, 128, 7, &ts, 0, 0), EFAULT);
	struct timespec bad = { 0, 2000000000L };
	ERR(syscall(SYS_futex, &word, 128, 7, &bad, 0, 0), EINVAL);
	ERR(syscall(SYS_futex, &word, 99, 7, 0, 0, 0), ENOSYS);
}

/* sched_getaffinity/setaffinity: a mask with some CPU, ours or another
 * process's; the same mask given back is taken; errors. */
static void t_affinity(void)
{
	cpu_set_t set, other;
	CPU_ZERO(&set);
	OK(sched_getaffinity(0, sizeof(set), &set));
	CHECK(CPU_COUNT(&set) >= 1);
	OK(sched_setaffinity(0, sizeof(set), &set));
	OK(sched_getaffinity(getpid(), sizeof(other), &other));
	CHECK(CPU_EQUAL(&set, &other));
	if (getppid() > 0)
		OK(sched_getaffinity(getppid(), sizeof(other), &other));
	ERR(sched_getaffinity(0x7ffffff0, sizeof(other), &other), ESRCH);
	ERR(syscall(SYS_sched_getaffinity, 0, 4, &other), EINVAL);
	ERR(syscall(SYS_sched_getaffinity, 0, sizeof(other), (void *)8),
	    EFAULT);
	CPU_ZERO(&other);
	ERR(sched_setaffinity(0, sizeof(other), &other), EINVAL);
	OK(sched_getaffinity(0, sizeof(other), &other));
	CHECK(CPU_EQUAL(&set, &other)); /* unchanged by the refusal */
	/* One CPU: kept, and a forked child has it too (taskset). */
	int first = 0;
	while (!CPU_ISSET(first, &set))
		first++;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	OK(sched_setaffinity(0, sizeof(one), &one));
	OK(sched_getaffinity(0, sizeof(other), &other));
	CHECK(CPU_EQUAL(&one, &other));
	pid_t pid = OK(fork());
	if (pid == 0) { /* its own mask, and its parent's seen from it */
		cpu_set_t mine, parents;
		_exit(sched_getaffinity(0, sizeof(mine), &mine) == 0 &&
			      CPU_EQUAL(&mine, &one) &&
			      sched_getaffinity(getppid(), sizeof(parents),
						&parents) == 0 &&
			      CPU_EQUAL(&parents, &one)
		      ? 0
		      : 1);
	}
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's mask differs");
	OK(sched_setaffinity(0, sizeof(set), &set));
}

const struct pt_test pt_proc_tests[] = {
	{"futex", t_futex},
	{"reboot_refused", t_reboot_refused},
	{"getpid", t_getpid},
	{"uname", t_uname},
	{"clock_gettime", t_clock_gettime},
	{"nanosleep", t_nanosleep},
	{"getrandom", t_getrandom},
	{"sigaction", t_sigaction},
	{"sigprocmask", t_sigprocmask},
	{"errno_tls", t_errno_tls},
	{"set_tid_address", t_set_tid_address},
	{"arch_prctl", t_arch_prctl},
	{"enosys", t_enosys},
	{"affinity", t_affinity},
	{0, 0},
};
