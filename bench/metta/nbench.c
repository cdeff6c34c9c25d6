/*
 * Metta's native benchmarks: nucleus calls measured from user space with
 * rdtsc (under -icount the TSC counts instructions). Each figure is the
 * median of 11 batches, per operation, printed as the suite's
 * `BENCH name=... unit=tsc value=N` lines for tools/bench/run.py.
 *
 * The portal round trips are between two threads of one domain for now:
 * a server in a second domain needs memory objects to be loaded into it.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>

#define BATCHES 11
#define ITERATIONS 1000
#define PORTAL 10      /* words only: the common case */
#define DATA_PORTAL 13 /* with a receive buffer */
#define SERVER 11
#define PEER 12
#define DATA_SERVER 14

static uint8_t stacks[3][16384] __attribute__((aligned(16)));
static uint8_t data[4096], server_data[4096];

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

static void server(void)
{
	uint64_t w[4] = { 0 }, badge;
	for (;;)
		metta_reply_wait(PORTAL, 0, w, &badge);
}

static void data_server(void)
{
	uint64_t w[4] = { 0 }, badge;
	struct metta_msg m = { .recv_buf = (uint64_t)server_data,
			       .recv_size = sizeof(server_data) };
	for (;;)
		metta_reply_wait(DATA_PORTAL, &m, w, &badge);
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

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	metta_printf("BENCH-START");
	measure("nucleus.null", null_call, 1);
	if (metta_portal_create(PORTAL) || metta_portal_create(DATA_PORTAL) ||
	    start(SERVER, server, 0) || start(DATA_SERVER, data_server, 2)) {
		metta_printf("nbench: cannot start the portal servers");
		return 1;
	}
	metta_yield(); /* the servers are now waiting */
	measure("portal.rtt0", round_trip_0, 1);
	measure("portal.rtt4k", round_trip_4k, 1);
	metta_thread_ctl(SERVER, THREAD_KILL, 0);
	metta_thread_ctl(DATA_SERVER, THREAD_KILL, 0);
	/* Two threads yielding to each other: two switches per round. */
	if (start(PEER, yielder, 1))
		return 1;
	measure("thread.switch", yield, 2);
	metta_thread_ctl(PEER, THREAD_KILL, 0);
	metta_printf("BENCH-END status=0");
	return 0;
}
