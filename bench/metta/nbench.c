/*
 * Metta's native benchmarks: nucleus calls measured from user space with
 * rdtsc (under -icount the TSC counts instructions). Each figure is the
 * median of 11 batches, per operation, printed as the suite's
 * `BENCH name=... unit=tsc value=N` lines for tools/bench/run.py.
 *
 * Portal round trips and the pager fault are between this domain and a
 * child domain running bchild.c (its ELF image is linked in and loaded
 * with libmetta's spawn), as a server would be.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#define BATCHES 11
#define ITERATIONS 1000
#define PORTAL 10      /* words only: the common case */
#define DATA_PORTAL 13 /* with a receive buffer */
#define PAGER 15
#define PEER 12
#define PAGER_THREAD 30 /* clear of the boot modules (from slot 16) */
#define PING 17 /* events to and from the event child */
#define PONG 18
#define CHILD 20       /* domain and thread slots of the children */
#define CHILD_THREAD 21
#define FAULT_AREA 0x500000000000ull
#define FAULT_PAGES 200

extern const uint8_t _binary_bchild_start[], _binary_bchild_end[];

static uint8_t stacks[2][16384] __attribute__((aligned(16)));
static uint8_t data[4096];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

typedef void (*op_fn)(void);

/* Runs op ITERATIONS times per batch; prints the median per operation. */
static void measure(const char *name, op_fn op, int per_iteration)
{
	uint64_t v[BATCHES];
	op(); /* warm up */
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < ITERATIONS; i++)
			op();
		v[b] = (rdtsc() - t0) / ITERATIONS / per_iteration;
	}
	metta_printf("BENCH name=%s unit=tsc value=%lu", name, median(v, BATCHES));
}

static void null_call(void)
{
	metta_cap_info(CAP_SELF);
}

static void round_trip_0(void)
{
	uint64_t w[4] = { 1, 2, 3, 4 };
	metta_call(PORTAL, 0, w);
}

static void round_trip_4k(void)
{
	struct metta_msg m = { .send_buf = (uint64_t)data, .send_len = 4096 };
	uint64_t w[4] = { 1, 2, 3, 4 };
	metta_call(DATA_PORTAL, &m, w);
}

/* Two wake-ups per round: ours of the child, the child's of us. */
static void event_round(void)
{
	metta_event_signal(PING, 1);
	metta_event_wait(PONG, 1, 0);
}

static void yielder(void)
{
	for (;;)
		metta_yield();
}

static void yield(void)
{
	metta_yield();
}

static int start(uint32_t slot, void (*fn)(void), int stack)
{
	uint64_t top = (uint64_t)&stacks[stack][sizeof(stacks[stack])] - 8;
	if (metta_thread_create(CAP_SELF, slot, (uint64_t)fn, top,
				METTA_PRIO_NORM))
		return 1;
	return (int)metta_thread_ctl(slot, THREAD_START, 0);
}

/* Starts bchild in a new domain with `arg`, giving it `portal` in `slot`. */
static long child(int n, const char *arg, const char *arg2, uint32_t portal,
		  uint32_t slot, uint32_t pager)
{
	const char *argv[] = { "bchild", arg, arg2 };
	struct metta_spawn a = { .argc = arg2 ? 3 : 2, .argv = argv, .class = METTA_CLASS_SERVER, .prio = METTA_PRIO_NORM, .quota = 1 << 20 };
	const char *why;
	uint32_t d = CHILD + 2 * (uint32_t)n, t = d + 1;
	long rc = metta_spawn(_binary_bchild_start,
			      (uint64_t)(_binary_bchild_end - _binary_bchild_start),
			      &a, d, t, &why);
	if (rc == 0 && portal)
		rc = metta_cap_give(d, portal, slot, RIGHT_SERVE);
	if (rc == 0 && pager)
		rc = metta_domain_set_fault(d, pager);
	if (rc == 0 && !strcmp(arg, "event-pong")) /* its two events */
		rc = metta_cap_give(d, PING, 7, RIGHT_READ) ||
		     metta_cap_give(d, PONG, 8, RIGHT_WRITE);
	if (rc == 0)
		rc = metta_thread_ctl(t, THREAD_START, 0);
	if (rc)
		metta_printf("nbench: cannot start bchild %s: %ld %s", arg, rc, why);
	return rc;
}

/* Answers every page fault of the fault child with a fresh page. */
static void pager(void)
{
	uint64_t w[4] = { 0 }, b;
	uint32_t m = metta_slot_alloc();
	metta_mem_create(m, FAULT_PAGES);
	metta_reply_wait(PAGER, 0, w, &b);
	for (;;) {
		uint64_t page = (w[1] & ~0xfffull) - FAULT_AREA;
		w[0] = metta_mem_map(CHILD + 4, m, page / 4096, FAULT_AREA + page, 1,
				     RIGHT_READ) != 0;
		metta_reply_wait(PAGER, 0, w, &b);
	}
}


static int wait_dead(uint32_t d)
{
	struct metta_domain_info i;
	for (int k = 0; k < 10000; k++) {
		if (metta_domain_info(d, &i) == 0 && i.dead)
			return (int)i.exit_status;
		metta_sleep(1000);
	}
	return -1;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	metta_printf("BENCH-START");
	measure("nucleus.null", null_call, 1);
	if (metta_portal_create(PORTAL) || metta_portal_create(DATA_PORTAL) ||
	    metta_portal_create(PAGER) ||
	    child(0, "serve-words", 0, PORTAL, 5, 0) ||
	    child(1, "serve-data", 0, DATA_PORTAL, 6, 0))
		return 1;
	metta_sleep(1000); /* the servers are now waiting */
	measure("portal.rtt0", round_trip_0, 1);
	measure("portal.rtt4k", round_trip_4k, 1);
	/* Two threads yielding to each other: two switches per round. */
	if (start(PEER, yielder, 1))
		return 1;
	measure("thread.switch", yield, 2);
	metta_thread_ctl(PEER, THREAD_KILL, 0);
	if (metta_event_create(PING) || metta_event_create(PONG) ||
	    child(3, "event-pong", 0, 0, 0, 0))
		return 1;
	measure("event.wake", event_round, 2);
	if (start(PAGER_THREAD, pager, 0) || child(2, "faults", "200", 0, 0, PAGER) ||
	    wait_dead(CHILD + 4) != 0)
		return 1;
	metta_printf("BENCH-END status=0");
	return 0;
}
