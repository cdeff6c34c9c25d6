/*
 * Round trips between two parties on one CPU (main() pins the suite to
 * CPU 0 and children inherit it): each hands a token to the other and waits
 * for it to come back, so every operation is two wake-ups and two context
 * switches plus the transport's own cost.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* musl has no <linux/futex.h>; these are the kernel's numbers. */
#define FUTEX_WAIT	   0
#define FUTEX_WAKE	   1
#define FUTEX_PRIVATE_FLAG 128

/* ---- echo partner over a pair of file descriptors (pipe, socket) ---- */

static pid_t echo_pid;
static int echo_tx = -1, echo_rx = -1; /* the parent's ends */

/* In the child: send back every byte until the parent closes its end. */
static void echo_loop(int rx, int tx)
{
	char c;

	while (read(rx, &c, 1) == 1)
		if (write(tx, &c, 1) != 1)
			break;
	_exit(0);
}

/* Close a channel's two ends, which may be one descriptor (a socket). */
static void close_pair(int a, int b)
{
	close(a);
	if (b != a)
		close(b);
}

/* Fork the echo child, which reads child_rx and answers on child_tx; each
 * side closes the other's ends. */
static int echo_start(int parent_tx, int child_rx, int child_tx, int parent_rx)
{
	echo_pid = fork();
	if (echo_pid < 0)
		return -1;
	if (echo_pid == 0) {
		close_pair(parent_tx, parent_rx);
		echo_loop(child_rx, child_tx);
	}
	close_pair(child_rx, child_tx);
	echo_tx = parent_tx;
	echo_rx = parent_rx;
	return 0;
}

static uint64_t echo_batch(unsigned n)
{
	char c = 'x';
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		if (write(echo_tx, &c, 1) != 1 || read(echo_rx, &c, 1) != 1)
			break;
	}
	return rdtsc() - t0;
}

/* Closing the parent's ends gives the child end-of-file: it exits. */
static void echo_stop(void)
{
	close_pair(echo_tx, echo_rx);
	waitpid(echo_pid, 0, 0);
}

static int pipe_setup(void)
{
	int down[2], up[2];

	if (pipe(down) != 0)
		return -1;
	if (pipe(up) != 0) {
		close(down[0]);
		close(down[1]);
		return -1;
	}
	return echo_start(down[1], down[0], up[1], up[0]);
}

static int unix_setup(void)
{
	int sv[2];

	/* One connected pair carries both directions. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	return echo_start(sv[0], sv[1], sv[1], sv[0]);
}

/* ---- futex ping-pong between two threads of one process ---- */

/* Odd: the partner's turn; even: the main thread's turn. */
static _Atomic int futex_seq;
static atomic_bool futex_stop;
static pthread_t futex_thread;

static void futex_wait(_Atomic int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, val, 0, 0, 0);
}

static void futex_wake(_Atomic int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0);
}

/* Pass the turn: bump the sequence and wake the other side. */
static int futex_pass(void)
{
	int v = atomic_fetch_add(&futex_seq, 1) + 1;

	futex_wake(&futex_seq);
	return v;
}

/* Sleep until the sequence moves on from v. */
static void futex_await(int v)
{
	while (atomic_load(&futex_seq) == v)
		futex_wait(&futex_seq, v);
}

static void *futex_partner(void *arg)
{
	(void)arg;
	for (;;) {
		int v = atomic_load(&futex_seq);

		if ((v & 1) == 0) {
			futex_await(v);
			continue;
		}
		if (atomic_load(&futex_stop))
			return 0;
		futex_pass();
	}
}

static int futex_setup(void)
{
	atomic_store(&futex_seq, 0);
	atomic_store(&futex_stop, 0);
	return pthread_create(&futex_thread, 0, futex_partner, 0) ? -1 : 0;
}

static uint64_t futex_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		futex_await(futex_pass());
	return rdtsc() - t0;
}

static void futex_teardown(void)
{
	atomic_store(&futex_stop, 1);
	futex_pass();
	pthread_join(futex_thread, 0);
}

/* ---- sched_yield between two processes on one CPU ---- */

/* Shared with the child: it yields until told to stop. */
struct yield_shared {
	atomic_int ready, stop;
};
static struct yield_shared *ys;
static pid_t yield_pid;

static int yield_setup(void)
{
	ys = mmap(0, sizeof *ys, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ys == MAP_FAILED)
		return -1;
	yield_pid = fork();
	if (yield_pid < 0)
		return -1;
	if (yield_pid == 0) {
		atomic_store(&ys->ready, 1);
		while (!atomic_load(&ys->stop))
			sched_yield();
		_exit(0);
	}
	/* Let the child reach its loop so that the first batch is fair. */
	while (!atomic_load(&ys->ready))
		sched_yield();
	return 0;
}

/* One operation: this process yields, the partner runs and yields back. */
static uint64_t yield_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		sched_yield();
	return rdtsc() - t0;
}

static void yield_teardown(void)
{
	atomic_store(&ys->stop, 1);
	waitpid(yield_pid, 0, 0);
	munmap(ys, sizeof *ys);
}

const struct bench bench_ipc[] = {
	{ "pipe.rtt", "pipe round trip, 1 byte, two processes", 200, pipe_setup,
	  echo_batch, echo_stop, 0 },
	{ "futex.rtt", "futex round trip between two threads", 200, futex_setup,
	  futex_batch, futex_teardown, 0 },
	{ "unix.rtt", "unix stream socket round trip, 1 byte", 200, unix_setup,
	  echo_batch, echo_stop, 0 },
	{ "yield.pair", "sched_yield between two processes on CPU 0", 500,
	  yield_setup, yield_batch, yield_teardown, 0 },
	{ 0 }
};
