/*
 * Threads (tests thread_*): pthreads as a program uses them, and the
 * calls under them. Mutexes (8 threads, 100,000 increments each), a
 * condition variable ping-pong, a barrier, __thread variables, cancel at
 * a cancellation point, a thread ending while others run, join's value,
 * two threads running at once (a hand-off between two spinning threads
 * that never yield, which one CPU could only do a time slice at a time),
 * thread ids, futex's operations (requeue, wake-op, bitsets, timeouts)
 * and errors, tgkill to one thread, a signal to the process taken by a
 * thread that does not block it, fork and execve from a thread.
 */
#include "posixtest.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#define FUTEX_WAIT	     0
#define FUTEX_WAKE	     1
#define FUTEX_REQUEUE	     3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAKE_OP	     5
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE	     128
#define FUTEX_CLOCK_REALTIME 256

/*
 * pthread_create with a 256 KiB stack: a process's memory on Metta is
 * paid for when mapped (32 MiB for a program), and glibc's default stack
 * is RLIMIT_STACK's 8 MiB, so tests that make many threads at once give
 * a size (thread_ids makes one with the default).
 */
#define STACK_SIZE (256 * 1024)
static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	int rc = pthread_attr_init(&a);
	if (!rc)
		rc = pthread_attr_setstacksize(&a, STACK_SIZE);
	if (!rc)
		rc = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return rc;
}

static long futex(volatile unsigned *w, int op, unsigned val, const void *ts,
		  volatile unsigned *w2, unsigned val3)
{
	return syscall(SYS_futex, w, op, val, ts, w2, val3);
}

/* ---- mutexes ---- */

#define NCOUNTERS 8
#define INCREMENTS 100000
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&count_lock);
		counter++;
		pthread_mutex_unlock(&count_lock);
	}
	return 0;
}

static void t_thread_mutex(void)
{
	pthread_t t[NCOUNTERS];
	counter = 0;
	for (int i = 0; i < NCOUNTERS; i++)
		EQ(spawn(&t[i], count_up, 0), 0);
	for (int i = 0; i < NCOUNTERS; i++)
		EQ(pthread_join(t[i], 0), 0);
	EQ(counter, (long)NCOUNTERS * INCREMENTS);
}

/* ---- a condition variable ping-pong ---- */

#define ROUNDS 2000
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn, pp_bad;

/* Takes turn `me` (0 or 1) ROUNDS times, each after the other's. */
static void *pong(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&pp_lock);
		while (pp_turn % 2 != me)
			pthread_cond_wait(&pp_cond, &pp_lock);
		if (pp_turn != 2 * i + me)
			pp_bad = 1;
		pp_turn++;
		pthread_cond_signal(&pp_cond);
		pthread_mutex_unlock(&pp_lock);
	}
	return 0;
}

static void t_thread_condvar(void)
{
	pthread_t a, b;
	pp_turn = pp_bad = 0;
	EQ(spawn(&a, pong, (void *)0), 0);
	EQ(spawn(&b, pong, (void *)1), 0);
	EQ(pthread_join(a, 0), 0);
	EQ(pthread_join(b, 0), 0);
	EQ(pp_turn, 2 * ROUNDS);
	EQ(pp_bad, 0);
}

/* ---- a barrier ---- */

#define BARRIER_THREADS 4
#define PHASES 50
static pthread_barrier_t barrier;
static volatile int arrived[PHASES];
static volatile int barrier_bad, serial_count;

static void *phases(void *arg)
{
	(void)arg;
	for (int p = 0; p < PHASES; p++) {
		__atomic_fetch_add(&arrived[p], 1, __ATOMIC_SEQ_CST);
		int rc = pthread_barrier_wait(&barrier);
		if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
		else if (rc != 0)
			barrier_bad = 1;
		/* Past the barrier, everyone has arrived at this phase. */
		if (arrived[p] != BARRIER_THREADS)
			barrier_bad = 1;
	}
	return 0;
}

static void t_thread_barrier(void)
{
	pthread_t t[BARRIER_THREADS];
	memset((void *)arrived, 0, sizeof(arrived));
	barrier_bad = serial_count = 0;
	EQ(pthread_barrier_init(&barrier, 0, BARRIER_THREADS), 0);
	for (int i = 0; i < BARRIER_THREADS; i++)
		EQ(spawn(&t[i], phases, 0), 0);
	for (int i = 0; i < BARRIER_THREADS; i++)
		EQ(pthread_join(t[i], 0), 0);
	EQ(barrier_bad, 0);
	EQ(serial_count, PHASES); /* one serial thread per phase */
	EQ(pthread_barrier_destroy(&barrier), 0);
}

/* ---- thread-local storage ---- */

static __thread long tls_value = 42;
static __thread char tls_block[256];

static void *tls_check(void *arg)
{
	long me = (long)(intptr_t)arg;
	if (tls_value != 42)
		return (void *)1; /* the initial value, not another's */
	tls_value = me;
	memset(tls_block, (int)me, sizeof(tls_block));
	for (int i = 0; i < 100; i++) {
		sched_yield();
		if (tls_value != me || tls_block[i] != (char)me)
			return (void *)2;
	}
	return (void *)&tls_value;
}

static void t_thread_tls(void)
{
	pthread_t t[4];
	void *where[4];
	tls_value = 7;
	for (int i = 0; i < 4; i++)
		EQ(spawn(&t[i], tls_check, (void *)(intptr_t)(i + 1)),
		   0);
	for (int i = 0; i < 4; i++) {
		EQ(pthread_join(t[i], &where[i]), 0);
		CHECK((uintptr_t)where[i] > 2);
		CHECK(where[i] != (void *)&tls_value);
		for (int j = 0; j < i; j++)
			CHECK(where[i] != where[j]);
	}
	EQ(tls_value, 7); /* ours untouched */
}

/* ---- cancellation ---- */

static void *read_forever(void *arg)
{
	char c;
	int fd = (int)(intptr_t)arg;
	read(fd, &c, 1); /* a cancellation point that blocks */
	return (void *)1;
}

static void t_thread_cancel(void)
{
	int p[2];
	pthread_t t;
	void *ret = 0;
	OK(pipe(p));
	EQ(spawn(&t, read_forever, (void *)(intptr_t)p[0]), 0);
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	nanosleep(&nap, 0); /* most likely in its read by now */
	EQ(pthread_cancel(t), 0);
	EQ(pthread_join(t, &ret), 0);
	CHECK(ret == PTHREAD_CANCELED);
	close(p[0]);
	close(p[1]);
}

/* ---- a thread ending while others run; join's value ---- */

static volatile int keep_going;
static volatile long worked;

static void *worker(void *arg)
{
	(void)arg;
	while (keep_going)
		__atomic_fetch_add(&worked, 1, __ATOMIC_RELAXED);
	return (void *)0x1234;
}

static void *quitter(void *arg)
{
	(void)arg;
	pthread_exit((void *)0x5678);
}

static void t_thread_exit_join(void)
{
	pthread_t w, q;
	void *ret;
	keep_going = 1;
	worked = 0;
	EQ(spawn(&w, worker, 0), 0);
	EQ(spawn(&q, quitter, 0), 0);
	EQ(pthread_join(q, &ret), 0);
	CHECK(ret == (void *)0x5678);
	long before = worked;
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	for (int i = 0; i < 500 && worked == before; i++)
		nanosleep(&nap, 0);
	CHECK(worked != before); /* still at work after the other's end */
	keep_going = 0;
	EQ(pthread_join(w, &ret), 0);
	CHECK(ret == (void *)0x1234);
}

/* ---- two at once ---- */

/*
 * A hand-off through one word, HANDOFFS times, between two threads that
 * spin and never yield: with the two running at once each hand-off is a
 * cache line's trip; on one CPU each needs the other's time slice to end
 * (milliseconds), which 20,000 of them would take far over the limit.
 */
#define HANDOFFS 20000
#define HANDOFF_LIMIT_MS 30000
static volatile unsigned turn;
static volatile int spin_cpu[2];

static void *spinner(void *arg)
{
	unsigned me = (unsigned)(intptr_t)arg;
	spin_cpu[me] = sched_getcpu();
	for (unsigned i = 0; i < HANDOFFS; i++) {
		while (turn % 2 != me)
			__builtin_ia32_pause();
		turn++;
	}
	return 0;
}

static void t_thread_two_cpus(void)
{
	cpu_set_t set;
	OK(sched_getaffinity(0, sizeof(set), &set));
	if (CPU_COUNT(&set) < 2) {
		pt_say("one CPU: not tried");
		return;
	}
	pthread_t a, b;
	struct timespec t0;
	turn = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EQ(spawn(&a, spinner, (void *)0), 0);
	EQ(spawn(&b, spinner, (void *)1), 0);
	EQ(pthread_join(a, 0), 0);
	EQ(pthread_join(b, 0), 0);
	long ms = pt_elapsed_ms(&t0);
	EQ(turn, 2 * HANDOFFS);
	if (ms >= HANDOFF_LIMIT_MS)
		pt_fail(__FILE__, __LINE__,
			"%d hand-offs took %ld ms (CPUs %d and %d)", 2 * HANDOFFS,
			ms, spin_cpu[0], spin_cpu[1]);
}

/* ---- ids ---- */

static volatile long child_tid;

static void *tid_of(void *arg)
{
	(void)arg;
	child_tid = syscall(SYS_gettid);
	return 0;
}

static void t_thread_ids(void)
{
	pthread_t t;
	EQ(syscall(SYS_gettid), getpid()); /* the first thread's is the pid */
	EQ(pthread_create(&t, 0, tid_of, 0), 0);
	EQ(pthread_join(t, 0), 0);
	CHECK(child_tid > 0 && child_tid != getpid());
	cpu_set_t set;
	OK(sched_getaffinity(0, sizeof(set), &set));
	CHECK(CPU_COUNT(&set) >= 1);
	unsigned cpu = 99, node = 99;
	OK(syscall(SYS_getcpu, &cpu, &node, 0));
	CHECK(CPU_ISSET(cpu, &set));
	ERR(syscall(SYS_getcpu, (void *)8, 0, 0), EFAULT);
	ERR(syscall(SYS_tgkill, 1, syscall(SYS_gettid), 0), ESRCH); /* not 1's */
	/* clone's refusals: a thread without shared handlers, shared
	 * handlers without shared memory (nothing is made). */
	ERR(syscall(SYS_clone, CLONE_VM | CLONE_THREAD, 0, 0, 0, 0), EINVAL);
	ERR(syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0), EINVAL);
	struct timespec res;
	OK(clock_getres(CLOCK_MONOTONIC, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
	/* An absolute sleep: until a time 30 ms on. */
	struct timespec until, now;
	OK(clock_gettime(CLOCK_MONOTONIC, &until));
	until.tv_nsec += 30 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, 0), 0);
	OK(clock_gettime(CLOCK_MONOTONIC, &now));
	CHECK(now.tv_sec > until.tv_sec ||
	      (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec));
}

/* ---- futex ---- */

static volatile unsigned fw1, fw2, fw3;
static volatile int fx_rc[2];

static void *futex_waiter(void *arg)
{
	int i = (int)(intptr_t)arg;
	fx_rc[i] = (int)futex(&fw1, FUTEX_WAIT | FUTEX_PRIVATE, 0, 0, 0, 0);
	return 0;
}

static void *bitset_waiter(void *arg)
{
	(void)arg;
	fx_rc[0] = (int)futex(&fw3, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 0, 0, 0,
			      1);
	return 0;
}

/* Two waiters on fw1 moved to fw2 by CMP_REQUEUE (none woken), one woken
 * there by WAKE, the other by WAKE_OP (which sets fw3 to 1). */
static void t_thread_futex_ops(void)
{
	pthread_t t[2];
	fw1 = fw2 = fw3 = 0;
	for (int i = 0; i < 2; i++) {
		fx_rc[i] = -2;
		EQ(spawn(&t[i], futex_waiter, (void *)(intptr_t)i),
		   0);
	}
	/* Moved as they come: 2 in all. */
	long moved = 0;
	struct timespec nap = { 0, 5 * 1000 * 1000 };
	for (int tries = 0; moved < 2 && tries < 2000; tries++) {
		long n = futex(&fw1, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, 0,
			       (void *)(uintptr_t)INT_MAX, &fw2, 0);
		CHECK(n >= 0);
		moved += n;
		if (moved < 2)
			nanosleep(&nap, 0);
	}
	EQ(moved, 2);
	ERR(futex(&fw1, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, 0,
		  (void *)(uintptr_t)1, &fw2, 5),
	    EAGAIN); /* the word is not 5 */
	EQ(futex(&fw1, FUTEX_WAKE | FUTEX_PRIVATE, INT_MAX, 0, 0, 0), 0);
	EQ(futex(&fw2, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0, 0), 1);
	/* WAKE_OP: fw3 set to 1, whose old value 0 is not 1: nobody more
	 * woken (and nobody is on fw1). */
	unsigned op = (0u << 28) | (0u << 24) | (1u << 12) | 1u;
	EQ(futex(&fw1, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1,
		 (void *)(uintptr_t)1, &fw3, op),
	   0);
	EQ(fw3, 1);
	/* fw2 set to 1, whose old value 0 is 0: one woken there. */
	op = (0u << 28) | (0u << 24) | (1u << 12) | 0u;
	EQ(futex(&fw1, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1,
		 (void *)(uintptr_t)1, &fw2, op),
	   1);
	EQ(fw2, 1);
	for (int i = 0; i < 2; i++) {
		EQ(pthread_join(t[i], 0), 0);
		EQ(fx_rc[i], 0);
	}
	/* Bitsets: a waiter for bit 0 is not woken for bit 1. */
	fw3 = 0;
	fx_rc[0] = -2;
	EQ(spawn(&t[0], bitset_waiter, 0), 0);
	long woken = 0;
	for (int tries = 0; !woken && tries < 2000; tries++) {
		EQ(futex(&fw3, FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 1, 0, 0, 2),
		   0);
		woken = futex(&fw3, FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 1, 0, 0,
			      1);
		if (!woken)
			nanosleep(&nap, 0);
	}
	EQ(woken, 1);
	EQ(pthread_join(t[0], 0), 0);
	EQ(fx_rc[0], 0);
}

static void t_thread_futex_errors(void)
{
	static unsigned word = 7;
	struct timespec rel = { 0, 20 * 1000 * 1000 }, t0;
	ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 8, 0, 0, 0), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 7, &rel, 0, 0), ETIMEDOUT);
	CHECK(pt_elapsed_ms(&t0) >= 15);
	/* WAIT_BITSET's timeout is absolute, here on the real clock. */
	struct timespec abs;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000L)
		abs.tv_sec++, abs.tv_nsec -= 1000000000L;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME,
		  7, &abs, 0, ~0u),
	    ETIMEDOUT);
	CHECK(pt_elapsed_ms(&t0) >= 10);
	struct timespec past = { 1, 0 }; /* long gone, on the monotonic clock */
	ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 7, &past, 0, ~0u),
	    ETIMEDOUT);
	/* EINVAL: an empty bitset, a word not aligned, a bad timeout. */
	ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 7, &rel, 0, 0),
	    EINVAL);
	ERR(futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 1, 0, 0, 0), EINVAL);
	ERR(futex((volatile unsigned *)((char *)&word + 1),
		  FUTEX_WAIT | FUTEX_PRIVATE, 7, &rel, 0, 0),
	    EINVAL);
	struct timespec bad = { 0, 2000000000L };
	ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 7, &bad, 0, 0), EINVAL);
	ERR(futex(&word, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, (unsigned)-1, 0,
		  &word, 7),
	    EINVAL);
	/* EFAULT: words that are not there. */
	ERR(futex((volatile unsigned *)8, FUTEX_WAIT | FUTEX_PRIVATE, 7, &rel,
		  0, 0),
	    EFAULT);
	ERR(futex(&word, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1, 0,
		  (volatile unsigned *)8, 0),
	    EFAULT);
	ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 7,
		  (const void *)8, 0, 0),
	    EFAULT);
	/* Unknown operations, and CLOCK_REALTIME where it has no place. */
	ERR(futex(&word, 99, 7, 0, 0, 0), ENOSYS);
	ERR(futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0), ENOSYS);
	ERR(futex(&word, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1, 0, &word,
		  7u << 28 /* no such operation */),
	    ENOSYS);
	EQ(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0, 0), 0);
}

/* ---- signals to one thread ---- */

static volatile long handled_in;
static volatile int target_ready, target_done;

static void note_tid(int sig)
{
	(void)sig;
	handled_in = syscall(SYS_gettid);
}

static void *target(void *arg)
{
	(void)arg;
	child_tid = syscall(SYS_gettid);
	target_ready = 1;
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 1000 && !handled_in; i++)
		nanosleep(&nap, 0);
	target_done = 1;
	return 0;
}

static void t_thread_tgkill(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_tid;
	OK(sigaction(SIGUSR1, &sa, &old));
	handled_in = 0;
	target_ready = target_done = 0;
	pthread_t t;
	EQ(spawn(&t, target, 0), 0);
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 500 && !target_ready; i++)
		nanosleep(&nap, 0);
	CHECK(target_ready);
	OK(syscall(SYS_tgkill, getpid(), child_tid, SIGUSR1));
	EQ(pthread_join(t, 0), 0);
	EQ(handled_in, child_tid); /* in that thread, not ours */
	/* Gone after join (Linux's task may linger a moment after it
	 * cleared its tid word: asked again for up to a second). */
	for (int i = 0; i < 100 && syscall(SYS_tgkill, getpid(), child_tid, 0) == 0;
	     i++)
		nanosleep(&nap, 0);
	ERR(syscall(SYS_tgkill, getpid(), child_tid, 0), ESRCH);
	ERR(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	OK(sigaction(SIGUSR1, &old, 0));
}

/* A signal to the process goes to a thread that does not block it: we
 * block SIGUSR1, the thread we make does not. */
static void t_thread_process_signal(void)
{
	struct sigaction sa, old;
	sigset_t set, was;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_tid;
	OK(sigaction(SIGUSR1, &sa, &old));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EQ(pthread_sigmask(SIG_BLOCK, &set, &was), 0);
	handled_in = 0;
	target_ready = target_done = 0;
	pthread_t t;
	EQ(pthread_sigmask(SIG_UNBLOCK, &set, 0), 0); /* it starts unblocked */
	int rc = spawn(&t, target, 0);
	pthread_sigmask(SIG_BLOCK, &set, 0);
	EQ(rc, 0);
	struct timespec nap = { 0, 1000 * 1000 };
	for (int i = 0; i < 5000 && !target_ready; i++)
		nanosleep(&nap, 0);
	CHECK(target_ready);
	OK(kill(getpid(), SIGUSR1));
	EQ(pthread_join(t, 0), 0);
	EQ(handled_in, child_tid);
	EQ(pthread_sigmask(SIG_SETMASK, &was, 0), 0);
	OK(sigaction(SIGUSR1, &old, 0));
}

/* A thread's mask is its own: one that blocks SIGUSR2 keeps it out while
 * another thread's mask lets it in (pthread_sigmask). */
static volatile int masked_ok;

static void *blocker(void *arg)
{
	(void)arg;
	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, 0);
	pthread_sigmask(SIG_BLOCK, 0, &cur);
	masked_ok = sigismember(&cur, SIGUSR2);
	return 0;
}

static void t_thread_sigmask(void)
{
	pthread_t t;
	sigset_t cur;
	EQ(spawn(&t, blocker, 0), 0);
	EQ(pthread_join(t, 0), 0);
	EQ(masked_ok, 1);
	OK(pthread_sigmask(SIG_BLOCK, 0, &cur));
	EQ(sigismember(&cur, SIGUSR2), 0); /* ours unchanged */
}

/* ---- fork from a thread: the child has that thread alone ---- */

static void *child_thread(void *arg)
{
	return arg;
}

static void *forker(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0) {
		/* The child's only thread: it can make one of its own. */
		pthread_t t;
		void *ret = 0;
		if (pthread_create(&t, 0, child_thread, (void *)5) ||
		    pthread_join(t, &ret))
			_exit(1);
		_exit(ret == (void *)5 ? 7 : 2);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return (void *)-1;
	return (void *)(intptr_t)st;
}

static void t_thread_fork(void)
{
	pthread_t t;
	void *st = 0;
	EQ(spawn(&t, forker, 0), 0);
	EQ(pthread_join(t, &st), 0);
	CHECK(WIFEXITED((int)(intptr_t)st));
	EQ(WEXITSTATUS((int)(intptr_t)st), 7);
}

/* ---- execve from a thread: the others end ---- */

extern char **environ;
static volatile int spin_forever = 1;

static void *spin_on(void *arg)
{
	(void)arg;
	while (spin_forever)
		__builtin_ia32_pause(); /* never a call: only exec ends it */
	return 0;
}

static void *nap_on(void *arg)
{
	(void)arg;
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	for (;;)
		nanosleep(&nap, 0);
	return 0;
}

static void *exec_sh(void *arg)
{
	(void)arg;
	char *argv[] = { "sh", "-c", "exit 9", 0 };
	execve("/bin/sh", argv, environ);
	_exit(127);
}

static void t_thread_exec(void)
{
	pid_t pid = OK(fork());
	if (pid == 0) {
		pthread_t a, b, c;
		if (spawn(&a, spin_on, 0) || spawn(&b, nap_on, 0) ||
		    spawn(&c, exec_sh, 0))
			_exit(1);
		pthread_join(c, 0); /* never returns: exec ends us all */
		_exit(2);
	}
	int st = 0;
	EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	EQ(WEXITSTATUS(st), 9);
}

const struct pt_test pt_thread_tests[] = {
	{ "thread_ids", t_thread_ids },
	{ "thread_mutex", t_thread_mutex },
	{ "thread_condvar", t_thread_condvar },
	{ "thread_barrier", t_thread_barrier },
	{ "thread_tls", t_thread_tls },
	{ "thread_cancel", t_thread_cancel },
	{ "thread_exit_join", t_thread_exit_join },
	{ "thread_two_cpus", t_thread_two_cpus },
	{ "thread_futex_ops", t_thread_futex_ops },
	{ "thread_futex_errors", t_thread_futex_errors },
	{ "thread_tgkill", t_thread_tgkill },
	{ "thread_sigmask", t_thread_sigmask },
	{ "thread_process_signal", t_thread_process_signal },
	{ "thread_fork", t_thread_fork },
	{ "thread_exec", t_thread_exec },
	{ 0, 0 },
};
