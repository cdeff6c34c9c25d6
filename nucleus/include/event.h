/*
 * Events: a word of bits. `signal` ORs bits in and wakes the threads
 * waiting for any of them; `wait` takes (clears) the wanted bits that are
 * set, blocking until one is; `poll` takes them without blocking.
 * Timers, interrupts and the deaths of watched domains signal events.
 */
#ifndef NUCLEUS_EVENT_H
#define NUCLEUS_EVENT_H

#include <cap.h>
#include <stdint.h>
#include <timer.h>

struct domain;
struct thread;

struct event {
	struct kobj obj; /* OBJ_EVENT */
	struct domain *payer;
	uint64_t bits;
	struct thread *waiters; /* linked by thread->ipc.next */
	struct timer timer;	/* event_timer */
	uint64_t timer_bits;
};

/* ORs bits into e and wakes whoever now has what it waits for. */
void event_raise(struct event *e, uint64_t bits);

/* Takes a thread blocked in event_wait off its event (dying/suspended). */
void event_abandon(struct thread *t);

#endif
