/*
 * SMP tests from user space (booted with two CPUs): threads on both CPUs
 * at once, TLB shootdown after an unmap, IPC and wake-ups across CPUs.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>

#include "utest.h"

#define T1 20
#define T2 21
#define PAGER_T 22
#define PAGER 23
#define PORTAL 24
#define MEM 25
#define VA 0x540000000000ull

static uint8_t stacks[4][16384] __attribute__((aligned(16)));
static volatile long count[2], reader_saw, faults;

static uint64_t top(int i)
{
	return (uint64_t)&stacks[i][sizeof(stacks[i])] - 8;
}

static void clear(uint32_t slot)
{
	metta_thread_ctl(slot, THREAD_KILL, 0);
	metta_cap_delete(slot);
}

static int start_on(uint32_t slot, void (*fn)(void), int stack, int cpu)
{
	clear(slot);
	if (metta_thread_create(CAP_SELF, slot, (uint64_t)fn, top(stack),
				METTA_PRIO_NORM))
		return 1;
	if (metta_thread_ctl(slot, THREAD_SET_CPU, (uint64_t)cpu))
		return 2;
	return (int)metta_thread_ctl(slot, THREAD_START, 0);
}

static void spin0(void)
{
	for (;;)
		count[0]++;
}

static void spin1(void)
{
	for (;;)
		count[1]++;
}

/* Waits up to a second for spinner `i` to count past `since`. The boot
 * runs on the host's clock, and a busy host can hold a virtual CPU off for
 * tens of milliseconds, so progress is awaited rather than timed. */
static int progressed(int i, long since)
{
	for (int ms = 0; ms < 1000 && count[i] == since; ms++)
		metta_sleep(1000);
	return count[i] > since;
}

static int threads_run_on_both_cpus(void)
{
	UCHECK(start_on(T1, spin0, 0, 0) == 0, "thread on CPU 0");
	UCHECK(start_on(T2, spin1, 1, 1) == 0, "thread on CPU 1");
	UCHECK(metta_thread_ctl(T1, THREAD_CPU, 0) == 0 &&
		       metta_thread_ctl(T2, THREAD_CPU, 0) == 1, "placement");
	UCHECK(metta_thread_ctl(T2, THREAD_SET_CPU, 7) == STATUS_ERR_RANGE ||
		       metta_thread_ctl(T2, THREAD_SET_CPU, 7) == STATUS_ERR_BUSY,
	       "moved to a CPU that does not exist");
	long a = count[0], b = count[1];
	UCHECK(progressed(0, a) && progressed(1, b), "a CPU made no progress (%ld, %ld)",
	       count[0] - a, count[1] - b);
	/* Suspending or killing a thread running on the other CPU stops it
	 * at once, although it never calls the nucleus. */
	UCHECK(metta_thread_ctl(T2, THREAD_SUSPEND, 0) == 0, "suspend");
	metta_sleep(2000);
	b = count[1];
	metta_sleep(10000);
	UCHECK(count[1] == b, "suspended thread ran on (%ld)", count[1] - b);
	UCHECK(metta_thread_ctl(T2, THREAD_RESUME, 0) == 0, "resume");
	UCHECK(progressed(1, b), "resumed thread did not run");
	clear(T2);
	metta_sleep(2000);
	b = count[1];
	metta_sleep(10000);
	UCHECK(count[1] == b, "killed thread ran on (%ld)", count[1] - b);
	clear(T1);
	return 0;
}

/* Reads VA until the value changes (the pager maps a new page). */
static void reader(void)
{
	while (*(volatile uint64_t *)VA == 1)
		;
	reader_saw = (long)*(volatile uint64_t *)VA;
	metta_thread_exit();
}

static void pager(void)
{
	uint64_t w[4] = { 0 }, b;
	metta_reply_wait(PAGER, 0, w, &b);
	for (;;) {
		faults++;
		uint32_t m = metta_slot_alloc();
		w[0] = 1;
		if (w[1] == VA && metta_mem_create(m, 1) == 0 &&
		    metta_mem_map(CAP_SELF, m, 0, VA, 1, RIGHT_READ | RIGHT_WRITE) == 0) {
			*(volatile uint64_t *)VA = 2;
			w[0] = 0;
		}
		metta_cap_delete(m);
		metta_reply_wait(PAGER, 0, w, &b);
	}
}

static int unmap_is_seen_by_the_other_cpu(void)
{
	UCHECK(metta_portal_create(PAGER) == 0, "portal");
	UCHECK(start_on(PAGER_T, pager, 2, 0) == 0, "pager");
	UCHECK(metta_domain_set_fault(CAP_SELF, PAGER) == 0, "set_fault");
	UCHECK(metta_mem_create(MEM, 1) == 0, "mem");
	UCHECK(metta_mem_map(CAP_SELF, MEM, 0, VA, 1, RIGHT_READ | RIGHT_WRITE) == 0,
	       "map");
	*(volatile uint64_t *)VA = 1;
	UCHECK(start_on(T1, reader, 0, 1) == 0, "reader on CPU 1");
	metta_sleep(10000); /* it reads through its TLB now */
	UCHECK(reader_saw == 0, "reader stopped early");
	UCHECK(metta_mem_unmap(CAP_SELF, VA) == 0, "unmap");
	for (int i = 0; i < 200 && !reader_saw; i++)
		metta_sleep(1000);
	UCHECK(reader_saw == 2, "CPU 1 kept its stale mapping (saw %ld, %ld faults)",
	       reader_saw, faults);
	UCHECK(faults == 1, "%ld faults", faults);
	metta_domain_set_fault(CAP_SELF, 0xffffffffu);
	metta_mem_unmap(CAP_SELF, VA);
	clear(T1);
	clear(PAGER_T);
	metta_cap_delete(MEM);
	return 0;
}

static void echo(void)
{
	uint64_t w[4] = { 0 }, b;
	metta_reply_wait(PORTAL, 0, w, &b);
	for (;;) {
		w[1]++;
		metta_reply_wait(PORTAL, 0, w, &b);
	}
}

static volatile long remote_calls, remote_bad, remote_slept_ok;

static void remote_client(void)
{
	for (long i = 0; i < 20000; i++) {
		uint64_t w[4] = { 0, (uint64_t)i };
		if (metta_call(PORTAL, 0, w) || w[1] != (uint64_t)i + 1)
			remote_bad++;
		remote_calls++;
	}
	long t0 = metta_clock();
	metta_sleep(5000); /* woken on CPU 1 by a timer from anywhere */
	long took = metta_clock() - t0;
	/* The upper bound only catches a lost wakeup: this boot runs on the
	 * host's clock (two CPUs at once need it), and a busy host can hold a
	 * virtual CPU off for tens of milliseconds. */
	remote_slept_ok = took >= 5000000 && took < 1000000000;
	metta_thread_exit();
}

static int ipc_and_wakeups_across_cpus(void)
{
	UCHECK(metta_portal_create(PORTAL) == 0, "portal");
	UCHECK(start_on(T2, echo, 1, 0) == 0, "server on CPU 0");
	metta_sleep(1000);
	UCHECK(start_on(T1, remote_client, 0, 1) == 0, "client on CPU 1");
	for (int i = 0; i < 3000 && metta_thread_ctl(T1, THREAD_STATE, 0) != THREAD_IS_DEAD; i++)
		metta_sleep(1000);
	UCHECK(remote_calls == 20000 && remote_bad == 0, "%ld calls, %ld bad",
	       remote_calls, remote_bad);
	UCHECK(remote_slept_ok, "sleep on CPU 1 was wrong");
	clear(T1);
	clear(T2);
	metta_cap_delete(PORTAL);
	return 0;
}

static const struct utest tests[] = {
	{ "threads_run_on_both_cpus", threads_run_on_both_cpus },
	{ "unmap_is_seen_by_the_other_cpu", unmap_is_seen_by_the_other_cpu },
	{ "ipc_and_wakeups_across_cpus", ipc_and_wakeups_across_cpus },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
