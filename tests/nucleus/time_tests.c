/* Self-tests of time: TSC calibration, the one-shot timer, tickless idle. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <selftest.h>
#include <timer.h>

/* A timer may fire late (emulation, host load) but never early. */
#define LATE_TOLERANCE_NS 5000000ull

static volatile int fired_order[4];
static volatile int nfired;
static volatile uint64_t fired_at;

static void record(struct timer *t)
{
	(void)t;
	fired_at = clock_ns();
	nfired++;
}

/* Sleeps with interrupts on until cond or a deadline; 0 if it timed out. */
static int wait_until(volatile int *count, int want, uint64_t deadline)
{
	while (*count < want && clock_ns() < deadline)
		cpu_idle();
	irq_enable();
	return *count >= want;
}

SELFTEST(tsc_calibration_agrees_with_pit)
{
	uint64_t measured = tsc_measure_pit(20);
	uint64_t hz = tsc_hz();
	uint64_t diff = measured > hz ? measured - hz : hz - measured;
	FAIL_IF(diff > hz / 50, "TSC %lu Hz, PIT says %lu Hz", hz, measured);
	return 0;
}

static int check_oneshot(struct selftest_ctx *t, uint64_t delay)
{
	static struct timer tm;
	nfired = 0;
	uint64_t start = clock_ns(), deadline = start + delay;
	timer_arm(&tm, deadline, record);
	FAIL_IF(!wait_until(&nfired, 1, deadline + 1000000000),
		"%lu ns timer never fired", delay);
	FAIL_IF(fired_at < deadline, "fired %lu ns early", deadline - fired_at);
	FAIL_IF(fired_at - deadline > LATE_TOLERANCE_NS,
		"%lu ns timer fired %lu ns late", delay, fired_at - deadline);
	return 0;
}

SELFTEST(timer_fires_within_tolerance)
{
	if (check_oneshot(t, 10000000) || check_oneshot(t, 1000000) ||
	    check_oneshot(t, 100000))
		return 1;
	return 0;
}

static void record_a(struct timer *t)
{
	(void)t;
	fired_order[nfired++] = 1;
}
static void record_b(struct timer *t)
{
	(void)t;
	fired_order[nfired++] = 2;
}
static void record_c(struct timer *t)
{
	(void)t;
	fired_order[nfired++] = 3;
}

SELFTEST(timers_fire_in_deadline_order)
{
	static struct timer a, b, c;
	uint64_t now = clock_ns();
	nfired = 0;
	timer_arm(&c, now + 3000000, record_c);
	timer_arm(&a, now + 1000000, record_a);
	timer_arm(&b, now + 2000000, record_b);
	FAIL_IF(timer_pending() != 3, "%d timers pending", timer_pending());
	FAIL_IF(!wait_until(&nfired, 3, now + 1000000000), "only %d fired",
		nfired);
	FAIL_IF(
	    fired_order[0] != 1 || fired_order[1] != 2 || fired_order[2] != 3,
	    "order %d %d %d", fired_order[0], fired_order[1], fired_order[2]);
	return 0;
}

SELFTEST(cancelled_timer_does_not_fire)
{
	static struct timer a, b;
	uint64_t now = clock_ns();
	nfired = 0;
	timer_arm(&a, now + 1000000, record);
	timer_arm(&b, now + 3000000, record);
	FAIL_IF(timer_cancel(&a) != 1, "cancel of a pending timer said idle");
	FAIL_IF(!wait_until(&nfired, 1, now + 1000000000), "b never fired");
	FAIL_IF(fired_at < now + 3000000, "a fired although cancelled");
	FAIL_IF(timer_cancel(&b) != 0, "cancel of a fired timer said pending");
	return 0;
}

SELFTEST(idle_is_tickless)
{
	FAIL_IF(timer_pending() != 0, "timers left pending");
	FAIL_IF(lapic_timer_current() != 0,
		"LAPIC timer running with no timer");
	uint64_t before = timer_interrupts(), end = clock_ns() + 20000000;
	while (clock_ns() < end)
		cpu_relax();
	FAIL_IF(timer_interrupts() != before, "%lu timer interrupts while idle",
		timer_interrupts() - before);
	return 0;
}

SELFTEST(lapic_timer_rate_is_plausible)
{
	uint64_t hz = lapic_timer_hz();
	FAIL_IF(hz < 1000000 || hz > 10000000000ull, "LAPIC timer at %lu Hz",
		hz);
	return 0;
}
