/*
 * Mutexes for threads of one domain: an atomic flag, and a waiting list
 * (waitq.c) to sleep on while another thread holds it (spinning with
 * yield would starve a holder of lower priority). Unlocking with nobody
 * waiting costs no call.
 */
#include "metta.h"

long metta_mutex_init(struct metta_mutex *m)
{
	m->locked = 0;
	return metta_waitq_init(&m->q);
}

int metta_mutex_trylock(struct metta_mutex *m)
{
	return !__atomic_test_and_set(&m->locked, __ATOMIC_SEQ_CST);
}

void metta_mutex_lock(struct metta_mutex *m)
{
	while (!metta_mutex_trylock(m)) {
		uint64_t bit = metta_waitq_enter(&m->q);
		if (metta_mutex_trylock(m)) {
			/* A wake-up spent on us is no loss: our unlock
			 * wakes the next waiter. */
			metta_waitq_leave(&m->q, bit);
			return;
		}
		metta_waitq_sleep(&m->q, bit, 0);
	}
}

void metta_mutex_unlock(struct metta_mutex *m)
{
	__atomic_clear(&m->locked, __ATOMIC_SEQ_CST);
	metta_waitq_wake_one(&m->q);
}
