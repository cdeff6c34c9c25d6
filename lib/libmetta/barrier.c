/*
 * Barriers (seed 002): n threads wait until all n have arrived. The last
 * to arrive starts the next round (the generation) and wakes everyone
 * with one call; rounds can follow each other at once, since a waiter
 * only waits for its own round's generation to pass.
 */
#include "metta.h"

long metta_barrier_init(struct metta_barrier *b, unsigned n)
{
	if (n == 0)
		return STATUS_ERR_INVAL;
	b->n = n;
	b->arrived = b->generation = 0;
	return metta_waitq_init(&b->q);
}

int metta_barrier_wait(struct metta_barrier *b)
{
	unsigned gen = __atomic_load_n(&b->generation, __ATOMIC_SEQ_CST);
	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_SEQ_CST) == b->n) {
		/* The count is reset before the round ends, so that no one
		 * arriving for the next round is counted in this one. */
		__atomic_store_n(&b->arrived, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&b->generation, gen + 1, __ATOMIC_SEQ_CST);
		metta_waitq_wake_all(&b->q);
		return 1;
	}
	while (metta_waitq_until_changed(&b->q, &b->generation, gen, 0))
		; /* interrupted: the barrier is still to be passed */
	return 0;
}
