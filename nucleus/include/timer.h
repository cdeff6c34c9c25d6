/*
 * One-shot timers, tickless: the hardware timer is programmed for the
 * earliest pending deadline only, and not at all when nothing is pending.
 * Deadlines are in nanoseconds since reset (clock_ns()).
 */
#ifndef NUCLEUS_TIMER_H
#define NUCLEUS_TIMER_H

#include <stdint.h>

struct timer;
typedef void (*timer_fn)(struct timer *t);

struct timer {
	uint64_t deadline;
	timer_fn fn; /* runs in interrupt context, interrupts off */
	struct timer *next;
	int armed;
};

/* Installs the timer interrupt handler. */
void timer_init(void);

/* Arms (or re-arms) t to run fn at `deadline`; a past deadline fires soon. */
void timer_arm(struct timer *t, uint64_t deadline, timer_fn fn);

/* Disarms t; returns 1 if it was pending, 0 if it had fired or was idle. */
int timer_cancel(struct timer *t);

/* Number of timers pending (for tests and diagnostics). */
int timer_pending(void);

/* Timer interrupts taken so far (tests check that idle means none). */
uint64_t timer_interrupts(void);

#endif
