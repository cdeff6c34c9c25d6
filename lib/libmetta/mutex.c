/*
 * Mutexes for threads of one domain: an atomic flag, and an event to sleep
 * on while another thread holds it (spinning with yield would starve a
 * holder of lower priority). A signal that finds no sleeper stays in the
 * event's bits, so a wake-up is never lost; a spurious one only makes the
 * waiter look at the flag again.
 */
#include "metta.h"

long metta_mutex_init(struct metta_mutex *m)
{
	m->locked = 0;
	m->event = metta_slot_alloc();
	return metta_event_create(m->event);
}

void metta_mutex_lock(struct metta_mutex *m)
{
	while (__atomic_test_and_set(&m->locked, __ATOMIC_ACQUIRE))
		metta_event_wait(m->event, 1, 0);
}

void metta_mutex_unlock(struct metta_mutex *m)
{
	__atomic_clear(&m->locked, __ATOMIC_RELEASE);
	metta_event_signal(m->event, 1);
}
