/*
 * Signals within one process (fork comes later): handlers with siginfo,
 * registers and FPU state kept across a handler (rt_sigreturn), masks,
 * SA_RESETHAND, SA_NODEFER, SA_ONSTACK and sigaltstack, raise and kill to
 * ourselves and to our group, sigsuspend, pause, sigtimedwait, alarms
 * (alarm, setitimer) interrupting a blocked pipe read (EINTR, or restarted
 * with SA_RESTART) and nanosleep, SIGPIPE, ignored signals, and the
 * errors of kill, setpgid, setsid, getpgid and sigaltstack.
 */
#include "posixtest.h"

#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

static volatile sig_atomic_t got, got_sig, depth, max_depth, writer_fd = -1;
static volatile int got_code, got_pid, in_mask_self, in_mask_other;
static volatile uintptr_t handler_sp;

/* The handlers' common start: counts and records. */
static void note(int sig)
{
	got++;
	got_sig = sig;
}

static void plain(int sig)
{
	note(sig);
}

static void with_info(int sig, siginfo_t *si, void *uc)
{
	note(sig);
	got_code = si->si_code;
	got_pid = si->si_pid;
	(void)uc;
}

/* Records whether sig and SIGUSR2 are blocked while it runs. */
static void mask_probe(int sig)
{
	sigset_t cur;
	note(sig);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	in_mask_self = sigismember(&cur, sig);
	in_mask_other = sigismember(&cur, SIGUSR2);
}

/* Sends itself once more from inside: nested only with SA_NODEFER. */
static void recursive(int sig)
{
	note(sig);
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (got == 1)
		raise(sig);
	depth--;
}

/* SA_RESTART's test: the handler gives the blocked reader its byte. */
static void feeder(int sig)
{
	note(sig);
	if (writer_fd >= 0)
		(void)!write(writer_fd, "x", 1);
}

/* Floating point in a handler: xmm registers change. */
static volatile double fsink;
static void clobber(int sig)
{
	volatile double x = sig;
	note(sig);
	fsink = x * 3.5 + 1.0 / (x + 0.5);
}

static void on_stack(int sig)
{
	int local;
	note(sig);
	handler_sp = (uintptr_t)&local;
	stack_t now;
	sigaltstack(NULL, &now);
	in_mask_self = now.ss_flags & SS_ONSTACK;
}

/* Installs the action (an empty sa_mask) and forgets earlier calls. */
static int install(int sig, struct sigaction *sa)
{
	sigemptyset(&sa->sa_mask);
	got = 0;
	got_sig = 0;
	return sigaction(sig, sa, NULL);
}

static int catch_info(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO };
	return install(sig, &sa);
}

static int catch(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };
	return install(sig, &sa);
}

/* A one-shot real-time timer in microseconds. */
static int timer_us(long us)
{
	struct itimerval it = { { 0, 0 }, { us / 1000000, us % 1000000 } };
	return setitimer(ITIMER_REAL, &it, NULL);
}

static void t_sig_handler_siginfo(void)
{
	OK(catch_info(SIGUSR1, with_info));
	OK(kill(getpid(), SIGUSR1));
	EQ(got, 1);
	EQ(got_sig, SIGUSR1);
	EQ(got_code, SI_USER);
	EQ(got_pid, getpid());
	/* raise is tgkill underneath: SI_TKILL on Linux, SI_USER here. */
	OK(raise(SIGUSR1));
	EQ(got, 2);
	CHECK(got_code == SI_TKILL || got_code == SI_USER);
}

/* Registers the handler surely clobbers (its arguments, rax, xmm0) are
 * the program's again after rt_sigreturn; so are the callee-saved ones. */
static void t_sig_registers_restored(void)
{
	OK(catch(SIGUSR1, clobber, 0));
	long pid = getpid();
	uint64_t rdi, rsi, rdx, r8, r9, r10, r12, x0;
	double d = 1.25;
	__asm__ volatile(
	    "movq %[pid], %%rdi\n\t"
	    "movq %[sig], %%rsi\n\t"
	    "movq $0x1111, %%rdx\n\t"
	    "movq $0x2222, %%r8\n\t"
	    "movq $0x3333, %%r9\n\t"
	    "movq $0x4444, %%r10\n\t"
	    "movq $0x5555, %%r12\n\t"
	    "movq %[d], %%xmm0\n\t"
	    "movq %[nr], %%rax\n\t"
	    "syscall\n\t"
	    "movq %%rdi, %[rdi]\n\t"
	    "movq %%rsi, %[rsi]\n\t"
	    "movq %%rdx, %[rdx]\n\t"
	    "movq %%r8, %[r8]\n\t"
	    "movq %%r9, %[r9]\n\t"
	    "movq %%r10, %[r10]\n\t"
	    "movq %%r12, %[r12]\n\t"
	    "movq %%xmm0, %[x0]\n\t"
	    : [rdi] "=m"(rdi), [rsi] "=m"(rsi), [rdx] "=m"(rdx), [r8] "=m"(r8),
	      [r9] "=m"(r9), [r10] "=m"(r10), [r12] "=m"(r12), [x0] "=m"(x0)
	    : [pid] "r"(pid), [sig] "i"((long)SIGUSR1), [nr] "i"((long)SYS_kill),
	      [d] "m"(d)
	    : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "r8", "r9", "r10", "r12",
	      "xmm0", "memory");
	EQ(got, 1);
	CHECK(rdi == (uint64_t)pid && rsi == SIGUSR1);
	CHECK(rdx == 0x1111 && r8 == 0x2222 && r9 == 0x3333 && r10 == 0x4444);
	CHECK(r12 == 0x5555);
	uint64_t want;
	memcpy(&want, &d, 8);
	CHECKF(x0 == want, "xmm0 %#lx, want %#lx", (unsigned long)x0,
	       (unsigned long)want);
}

/* A signal comes while the program runs its own code (no call for the
 * runtime to deliver at): the handler runs, and every register of the
 * loop, rcx and r11 too, is as it was. */
static volatile int loop_flag;
static void set_flag(int sig)
{
	note(sig);
	loop_flag = 1;
}

static void t_sig_during_a_loop(void)
{
	uint64_t rcx, r11, rax, rdx, left;
	loop_flag = 0;
	OK(catch(SIGALRM, set_flag, 0));
	OK(timer_us(30000));
	__asm__ volatile(
	    "movq $0x1c1c, %%rcx\n\t"
	    "movq $0x1111, %%r11\n\t"
	    "movq $0xaaaa, %%rax\n\t"
	    "movq $0xdddd, %%rdx\n\t"
	    "movq $4000000000, %%r8\n\t"
	    "1: cmpl $0, %[flag]\n\t"
	    "jne 2f\n\t"
	    "decq %%r8\n\t"
	    "jnz 1b\n\t"
	    "2: movq %%rcx, %[rcx]\n\t"
	    "movq %%r11, %[r11]\n\t"
	    "movq %%rax, %[rax]\n\t"
	    "movq %%rdx, %[rdx]\n\t"
	    "movq %%r8, %[left]\n\t"
	    : [rcx] "=m"(rcx), [r11] "=m"(r11), [rax] "=m"(rax),
	      [rdx] "=m"(rdx), [left] "=m"(left)
	    : [flag] "m"(loop_flag)
	    : "rax", "rcx", "rdx", "r8", "r11", "cc", "memory");
	CHECKF(left != 0, "the loop ended without the signal");
	EQ(got, 1);
	CHECKF(rcx == 0x1c1c && r11 == 0x1111 && rax == 0xaaaa && rdx == 0xdddd,
	       "rcx %#lx r11 %#lx rax %#lx rdx %#lx", (unsigned long)rcx,
	       (unsigned long)r11, (unsigned long)rax, (unsigned long)rdx);
}

static void t_sig_mask(void)
{
	sigset_t set, pend;
	OK(catch(SIGUSR1, plain, 0));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	OK(sigprocmask(SIG_BLOCK, &set, NULL));
	OK(kill(getpid(), SIGUSR1));
	OK(kill(getpid(), SIGUSR1)); /* one pending, not two */
	EQ(got, 0);
	OK(sigpending(&pend));
	EQ(sigismember(&pend, SIGUSR1), 1);
	EQ(sigismember(&pend, SIGUSR2), 0);
	/* Unblocked: delivered before sigprocmask returns. */
	OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
	EQ(got, 1);
	OK(sigpending(&pend));
	EQ(sigismember(&pend, SIGUSR1), 0);
}

static void t_sig_handler_mask(void)
{
	struct sigaction sa;
	sigset_t cur;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = mask_probe;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	got = 0;
	OK(sigaction(SIGUSR1, &sa, NULL));
	OK(raise(SIGUSR1));
	EQ(got, 1);
	EQ(in_mask_self, 1);
	EQ(in_mask_other, 1);
	/* The mask is back as it was once the handler returned. */
	OK(sigprocmask(SIG_BLOCK, NULL, &cur));
	EQ(sigismember(&cur, SIGUSR1), 0);
	EQ(sigismember(&cur, SIGUSR2), 0);
}

static void t_sig_resethand(void)
{
	struct sigaction old;
	OK(catch(SIGUSR1, plain, SA_RESETHAND));
	OK(raise(SIGUSR1));
	EQ(got, 1);
	OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
}

static void t_sig_nodefer(void)
{
	depth = max_depth = 0;
	OK(catch(SIGUSR1, recursive, 0));
	OK(raise(SIGUSR1));
	/* Deferred: the second comes after the first handler returns. */
	EQ(got, 2);
	EQ(max_depth, 1);
	depth = max_depth = 0;
	OK(catch(SIGUSR1, recursive, SA_NODEFER));
	OK(raise(SIGUSR1));
	EQ(got, 2);
	EQ(max_depth, 2);
}

static void t_sig_ignored(void)
{
	sigset_t set, pend;
	OK(catch(SIGUSR1, SIG_IGN, 0));
	OK(kill(getpid(), SIGUSR1)); /* dropped */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	OK(sigprocmask(SIG_BLOCK, &set, NULL));
	/* Blocked, it stays pending: the action may change before it is
	 * unblocked; unblocked while ignored, it goes. */
	OK(kill(getpid(), SIGUSR1));
	OK(sigpending(&pend));
	EQ(sigismember(&pend, SIGUSR1), 1);
	OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
	OK(sigpending(&pend));
	EQ(sigismember(&pend, SIGUSR1), 0);
	/* Setting SIG_IGN drops a pending one. */
	OK(catch(SIGUSR1, plain, 0));
	OK(sigprocmask(SIG_BLOCK, &set, NULL));
	OK(kill(getpid(), SIGUSR1));
	OK(catch(SIGUSR1, SIG_IGN, 0));
	OK(sigpending(&pend));
	EQ(sigismember(&pend, SIGUSR1), 0);
	OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
	EQ(got, 0);
	/* Ignored by default: SIGCHLD, SIGURG, SIGWINCH, SIGCONT. */
	OK(kill(getpid(), SIGCHLD));
	OK(kill(getpid(), SIGWINCH));
	OK(kill(getpid(), SIGCONT));
	OK(kill(getpid(), 0));
}

static void t_sig_kill_errors(void)
{
	ERR(kill(getpid(), 65), EINVAL);
	ERR(kill(getpid(), -1), EINVAL);
	ERR(kill(999999, 0), ESRCH);
	ERR(kill(-999999, SIGUSR1), ESRCH);
	ERR(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1), ESRCH);
	ERR(syscall(SYS_tkill, 0, SIGUSR1), EINVAL);
}

static void t_sig_groups(void)
{
	pid_t me = getpid();
	CHECK(getpgrp() > 0);
	EQ(getpgid(0), getpgrp());
	EQ(getpgid(me), getpgrp());
	CHECK(getsid(0) > 0);
	EQ(getsid(me), getsid(0));
	ERR(getpgid(999999), ESRCH);
	ERR(getsid(999999), ESRCH);
	ERR(setpgid(0, -1), EINVAL);
	ERR(setpgid(999999, 0), ESRCH);
	if (getsid(0) == me) {
		pt_say("session leader: setpgid and group kills not tried");
		return;
	}
	/* A group of our own, and signals to it. */
	OK(setpgid(0, 0));
	EQ(getpgrp(), me);
	ERR(setsid(), EPERM); /* a group leader cannot */
	OK(catch_info(SIGUSR1, with_info));
	OK(kill(-me, SIGUSR1));
	EQ(got, 1);
	OK(kill(0, SIGUSR1));
	EQ(got, 2);
	EQ(got_pid, me);
	OK(kill(-me, 0));
}

static void t_sig_sigsuspend(void)
{
	sigset_t block, none, cur;
	OK(catch(SIGALRM, plain, 0));
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	OK(sigprocmask(SIG_BLOCK, &block, NULL));
	OK(timer_us(30000));
	sigemptyset(&none);
	ERR(sigsuspend(&none), EINTR);
	EQ(got, 1);
	EQ(got_sig, SIGALRM);
	/* The mask sigsuspend replaced is back. */
	OK(sigprocmask(SIG_BLOCK, NULL, &cur));
	EQ(sigismember(&cur, SIGALRM), 1);
}

static void t_sig_pause(void)
{
	OK(catch(SIGALRM, plain, SA_RESTART));
	OK(timer_us(30000));
	ERR(pause(), EINTR); /* even with SA_RESTART */
	EQ(got, 1);
}

static void t_sig_pipe_read_eintr(void)
{
	int p[2];
	char c;
	OK(pipe(p));
	writer_fd = p[1];
	OK(catch(SIGALRM, feeder, 0));
	OK(timer_us(50000));
	ERR(read(p[0], &c, 1), EINTR);
	writer_fd = -1;
	EQ(got, 1);
	EQ(read(p[0], &c, 1), 1); /* the handler's byte waited */
	EQ(c, 'x');
	OK(close(p[0]));
	OK(close(p[1]));
}

static void t_sig_pipe_read_restarted(void)
{
	int p[2];
	char c = 0;
	OK(pipe(p));
	writer_fd = p[1];
	OK(catch(SIGALRM, feeder, SA_RESTART));
	OK(timer_us(50000));
	EQ(read(p[0], &c, 1), 1);
	writer_fd = -1;
	EQ(got, 1);
	EQ(c, 'x');
	OK(close(p[0]));
	OK(close(p[1]));
}

static void t_sig_nanosleep_eintr(void)
{
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	OK(catch(SIGALRM, plain, SA_RESTART));
	OK(timer_us(30000));
	ERR(nanosleep(&req, &rem), EINTR); /* a handler: EINTR, always */
	EQ(got, 1);
	CHECKF(rem.tv_sec == 1 || (rem.tv_sec == 2 && rem.tv_nsec == 0),
	       "rem %ld.%09ld", (long)rem.tv_sec, (long)rem.tv_nsec);
}

/* A signal delivered before a sleep does not cut the sleep short (on
 * Metta the interrupt that brought it is still pending: the sleep is
 * restarted, through restart_syscall, for what is left). */
static void t_sig_sleep_after_signal(void)
{
	struct timespec req = { 0, 50000000 }, t0, t1;
	OK(catch(SIGUSR1, plain, 0));
	OK(raise(SIGUSR1));
	EQ(got, 1);
	OK(clock_gettime(CLOCK_MONOTONIC, &t0));
	OK(nanosleep(&req, NULL));
	OK(clock_gettime(CLOCK_MONOTONIC, &t1));
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECKF(ms >= 49, "slept %ld ms", ms);
}

static void t_sig_sigpipe(void)
{
	int p[2];
	OK(catch_info(SIGPIPE, with_info));
	OK(pipe(p));
	OK(close(p[0]));
	ERR(write(p[1], "x", 1), EPIPE);
	EQ(got, 1);
	EQ(got_sig, SIGPIPE);
	OK(close(p[1]));
	signal(SIGPIPE, SIG_DFL);
}

static void t_sig_sigtimedwait(void)
{
	sigset_t set;
	siginfo_t si;
	struct timespec short_wait = { 0, 10000000 };
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	OK(sigprocmask(SIG_BLOCK, &set, NULL));
	OK(kill(getpid(), SIGUSR2));
	memset(&si, 0, sizeof si);
	EQ(sigtimedwait(&set, &si, &short_wait), SIGUSR2);
	EQ(si.si_signo, SIGUSR2);
	EQ(si.si_pid, getpid());
	ERR(sigtimedwait(&set, &si, &short_wait), EAGAIN);
}

static void t_sig_altstack(void)
{
	static char alt[65536] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
	stack_t old;
	OK(sigaltstack(NULL, &old));
	CHECK(old.ss_flags & SS_DISABLE);
	stack_t small = { .ss_sp = alt, .ss_size = 100, .ss_flags = 0 };
	ERR(sigaltstack(&small, NULL), ENOMEM);
	stack_t bad = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 77 };
	ERR(sigaltstack(&bad, NULL), EINVAL);
	OK(sigaltstack(&ss, NULL));
	OK(catch(SIGUSR1, on_stack, SA_ONSTACK));
	OK(raise(SIGUSR1));
	EQ(got, 1);
	CHECK(handler_sp > (uintptr_t)alt && handler_sp < (uintptr_t)alt + sizeof alt);
	CHECK(in_mask_self); /* sigaltstack in the handler says SS_ONSTACK */
	/* Without SA_ONSTACK, the ordinary stack. */
	OK(catch(SIGUSR1, on_stack, 0));
	OK(raise(SIGUSR1));
	CHECK(handler_sp < (uintptr_t)alt || handler_sp >= (uintptr_t)alt + sizeof alt);
	stack_t off = { .ss_flags = SS_DISABLE };
	OK(sigaltstack(&off, NULL));
	OK(sigaltstack(NULL, &old));
	CHECK(old.ss_flags & SS_DISABLE);
}

static void t_sig_alarm(void)
{
	struct itimerval cur;
	alarm(0);
	EQ(alarm(5), 0);
	long left = alarm(7);
	CHECKF(left == 5 || left == 4, "alarm left %ld", left);
	OK(getitimer(ITIMER_REAL, &cur));
	CHECK(cur.it_value.tv_sec >= 6 && cur.it_value.tv_sec <= 7);
	EQ(alarm(0), 7);
	OK(getitimer(ITIMER_REAL, &cur));
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
	struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
	ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
}

const struct pt_test pt_signal_tests[] = {
	{ "sig_handler_siginfo", t_sig_handler_siginfo },
	{ "sig_registers_restored", t_sig_registers_restored },
	{ "sig_during_a_loop", t_sig_during_a_loop },
	{ "sig_mask", t_sig_mask },
	{ "sig_handler_mask", t_sig_handler_mask },
	{ "sig_resethand", t_sig_resethand },
	{ "sig_nodefer", t_sig_nodefer },
	{ "sig_ignored", t_sig_ignored },
	{ "sig_kill_errors", t_sig_kill_errors },
	{ "sig_groups", t_sig_groups },
	{ "sig_sigsuspend", t_sig_sigsuspend },
	{ "sig_pause", t_sig_pause },
	{ "sig_pipe_read_eintr", t_sig_pipe_read_eintr },
	{ "sig_pipe_read_restarted", t_sig_pipe_read_restarted },
	{ "sig_nanosleep_eintr", t_sig_nanosleep_eintr },
	{ "sig_sleep_after_signal", t_sig_sleep_after_signal },
	{ "sig_sigpipe", t_sig_sigpipe },
	{ "sig_sigtimedwait", t_sig_sigtimedwait },
	{ "sig_altstack", t_sig_altstack },
	{ "sig_alarm", t_sig_alarm },
	{ 0, 0 },
};
