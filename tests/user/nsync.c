/*
 * libmetta's synchronisation (seed 002): mutex, semaphore, barrier and
 * await/wakeup, between threads on both CPUs (booted with two).
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>

#include "utest.h"

#define NTHREADS 3
#define T0 20 /* slots T0 .. T0 + NTHREADS - 1 */

static uint8_t stacks[NTHREADS][16384] __attribute__((aligned(16)));
static volatile int done;

/* Starts fn in NTHREADS threads, spread over both CPUs. */
static int start_all(void (*fn)(void))
{
	done = 0;
	for (int i = 0; i < NTHREADS; i++) {
		uint32_t slot = T0 + (uint32_t)i;
		metta_thread_ctl(slot, THREAD_KILL, 0);
		metta_cap_delete(slot);
		if (metta_thread_create(CAP_SELF, slot, (uint64_t)fn,
					(uint64_t)&stacks[i][sizeof(stacks[i])] - 8,
					METTA_PRIO_NORM) ||
		    metta_thread_ctl(slot, THREAD_SET_CPU, (uint64_t)(i & 1)) ||
		    metta_thread_ctl(slot, THREAD_START, 0))
			return 1;
	}
	return 0;
}

/* Waits (up to 60 s) until all NTHREADS have called finish(). */
static int join_all(void)
{
	for (int ms = 0; ms < 60000 && __atomic_load_n(&done, __ATOMIC_SEQ_CST) <
					      NTHREADS; ms++)
		metta_sleep(1000);
	return done == NTHREADS;
}

static void finish(void)
{
	__atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
	metta_thread_exit();
}

/* ---- mutex ---- */

#define INCREMENTS 100000
static struct metta_mutex mutex;
static volatile long counter;

static void increment_worker(void)
{
	for (int i = 0; i < INCREMENTS; i++) {
		metta_mutex_lock(&mutex);
		counter = counter + 1; /* not atomic: the mutex makes it so */
		metta_mutex_unlock(&mutex);
	}
	finish();
}

static int mutex_excludes(void)
{
	UCHECK(metta_mutex_init(&mutex) == 0, "init");
	counter = 0;
	UCHECK(start_all(increment_worker) == 0, "threads");
	UCHECK(join_all(), "workers did not finish");
	UCHECK(counter == (long)NTHREADS * INCREMENTS, "counter %ld, want %ld",
	       counter, (long)NTHREADS * INCREMENTS);
	UCHECK(metta_mutex_trylock(&mutex), "free mutex not taken");
	UCHECK(!metta_mutex_trylock(&mutex), "held mutex taken twice");
	metta_mutex_unlock(&mutex);
	return 0;
}

/* ---- semaphore: a bounded buffer, NTHREADS producers, one consumer ---- */

#define ITEMS 5000
#define SLOTS 4
static struct metta_semaphore empty, full;
static struct metta_mutex ring_lock;
static long ring[SLOTS];
static unsigned ring_in, ring_out;

static void producer(void)
{
	for (long i = 1; i <= ITEMS; i++) {
		metta_sem_wait(&empty, 0);
		metta_mutex_lock(&ring_lock);
		ring[ring_in++ % SLOTS] = i;
		metta_mutex_unlock(&ring_lock);
		metta_sem_post(&full);
	}
	finish();
}

static int semaphore_counts(void)
{
	UCHECK(metta_sem_init(&empty, -1) == STATUS_ERR_INVAL, "negative count");
	UCHECK(metta_sem_init(&empty, SLOTS) == 0 && metta_sem_init(&full, 0) == 0 &&
		       metta_mutex_init(&ring_lock) == 0, "init");
	UCHECK(metta_sem_wait(&full, 20000) == STATUS_ERR_TIMEOUT,
	       "wait on zero did not time out");
	UCHECK(!metta_sem_trywait(&full) && full.count == 0, "count changed");
	UCHECK(start_all(producer) == 0, "threads");
	long sum = 0;
	for (long n = 0; n < (long)NTHREADS * ITEMS; n++) {
		UCHECK(metta_sem_wait(&full, 10000000) == 0, "item %ld never came", n);
		metta_mutex_lock(&ring_lock);
		sum += ring[ring_out++ % SLOTS];
		metta_mutex_unlock(&ring_lock);
		metta_sem_post(&empty);
	}
	UCHECK(join_all(), "producers did not finish");
	long want = (long)NTHREADS * ITEMS * (ITEMS + 1) / 2;
	UCHECK(sum == want, "sum %ld, want %ld", sum, want);
	UCHECK(empty.count == SLOTS && full.count == 0, "counts %ld/%ld at the end",
	       empty.count, full.count);
	return 0;
}

/* ---- barrier: NTHREADS + main, many rounds back to back ---- */

#define ROUNDS 300
static struct metta_barrier barrier;
static volatile unsigned round_of[NTHREADS + 1];
static volatile int lagging, serials;

static void barrier_round(int me)
{
	for (unsigned r = 1; r <= ROUNDS; r++) {
		round_of[me] = r;
		if (metta_barrier_wait(&barrier))
			__atomic_add_fetch(&serials, 1, __ATOMIC_SEQ_CST);
		/* Past the barrier, everyone has reached round r. */
		for (int i = 0; i <= NTHREADS; i++)
			if (round_of[i] < r)
				lagging = 1;
	}
}

static int next_id;
static void barrier_worker(void)
{
	barrier_round(__atomic_add_fetch(&next_id, 1, __ATOMIC_SEQ_CST));
	finish();
}

static int barrier_holds_until_all(void)
{
	UCHECK(metta_barrier_init(&barrier, 0) == STATUS_ERR_INVAL, "n = 0");
	UCHECK(metta_barrier_init(&barrier, NTHREADS + 1) == 0, "init");
	next_id = 0;
	UCHECK(start_all(barrier_worker) == 0, "threads");
	barrier_round(0);
	UCHECK(join_all(), "threads did not finish");
	UCHECK(!lagging, "a thread passed the barrier before all arrived");
	UCHECK(serials == ROUNDS, "%d last arrivals in %d rounds", serials, ROUNDS);
	return 0;
}

/* ---- await / wakeup ---- */

static struct metta_await wake;
static volatile int awoken, go;

static void awaiting_worker(void)
{
	unsigned t = metta_await_ticket(&wake);
	while (!go) {
		metta_await(&wake, t, 0);
		t = metta_await_ticket(&wake);
	}
	__atomic_add_fetch(&awoken, 1, __ATOMIC_SEQ_CST);
	finish();
}

static int await_and_wakeup(void)
{
	UCHECK(metta_await_init(&wake) == 0, "init");
	unsigned t = metta_await_ticket(&wake);
	UCHECK(metta_await(&wake, t, 20000) == STATUS_ERR_TIMEOUT, "no timeout");
	metta_wakeup(&wake);
	UCHECK(metta_await(&wake, t, 0) == STATUS_OK,
	       "a wakeup after the ticket was lost");
	awoken = go = 0;
	UCHECK(start_all(awaiting_worker) == 0, "threads");
	metta_sleep(20000); /* they wait now (if not, they wait soon) */
	UCHECK(awoken == 0, "woken without a wakeup");
	go = 1;
	metta_wakeup(&wake);
	UCHECK(join_all(), "%d of %d woken", awoken, NTHREADS);
	UCHECK(wake.q.waiting == 0 && wake.q.slots == 0, "bits left behind");
	return 0;
}

static const struct utest tests[] = {
	{ "mutex_excludes", mutex_excludes },
	{ "semaphore_counts", semaphore_counts },
	{ "barrier_holds_until_all", barrier_holds_until_all },
	{ "await_and_wakeup", await_and_wakeup },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
