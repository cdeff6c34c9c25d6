/*
 * Await and wakeup (seed 002's simplest synchronisation): a thread waits
 * until another calls wakeup. To lose no wake-up between looking at its
 * condition and waiting, a waiter takes a ticket first, then looks, then
 * awaits with the ticket: a wakeup since the ticket ends the wait at
 * once (a futex on a counter, in effect).
 */
#include "metta.h"

long metta_await_init(struct metta_await *a)
{
	a->wakeups = 0;
	return metta_waitq_init(&a->q);
}

unsigned metta_await_ticket(struct metta_await *a)
{
	return __atomic_load_n(&a->wakeups, __ATOMIC_SEQ_CST);
}

long metta_await(struct metta_await *a, unsigned ticket, uint64_t timeout_us)
{
	return metta_waitq_until_changed(&a->q, &a->wakeups, ticket, timeout_us);
}

int metta_wakeup(struct metta_await *a)
{
	__atomic_add_fetch(&a->wakeups, 1, __ATOMIC_SEQ_CST);
	return metta_waitq_wake_all(&a->q);
}
