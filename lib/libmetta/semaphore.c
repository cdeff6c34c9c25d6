/*
 * Counting semaphores (seed 002's producer-consumer): a count, and a
 * waiting list (waitq.c) for threads that found it at zero. A post wakes
 * one waiter; a waiter that got a count it was not woken for hands the
 * wake-up on, so no post is ever left with a sleeper beside it.
 */
#include "metta.h"

long metta_sem_init(struct metta_semaphore *s, long value)
{
	if (value < 0)
		return STATUS_ERR_INVAL;
	s->count = value;
	return metta_waitq_init(&s->q);
}

static int try_down(struct metta_semaphore *s)
{
	long c = __atomic_load_n(&s->count, __ATOMIC_SEQ_CST);
	while (c > 0)
		if (__atomic_compare_exchange_n(&s->count, &c, c - 1, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return 1;
	return 0;
}

/* We took a count from the slow path: if counts are left, someone else
 * may be asleep beside them. */
static void pass_on(struct metta_semaphore *s)
{
	if (__atomic_load_n(&s->count, __ATOMIC_SEQ_CST) > 0)
		metta_waitq_wake_one(&s->q);
}

long metta_sem_wait(struct metta_semaphore *s, uint64_t timeout_us)
{
	uint64_t deadline = timeout_us ? (uint64_t)metta_clock() +
						 timeout_us * 1000 : 0;
	while (!try_down(s)) {
		uint64_t bit = metta_waitq_enter(&s->q), left = 0;
		if (try_down(s)) {
			metta_waitq_leave(&s->q, bit);
			break;
		}
		if (deadline) {
			uint64_t now = (uint64_t)metta_clock();
			if (now >= deadline) {
				if (metta_waitq_leave(&s->q, bit))
					pass_on(s); /* a post chose us */
				return STATUS_ERR_TIMEOUT;
			}
			left = (deadline - now + 999) / 1000;
		}
		long rc = metta_waitq_sleep(&s->q, bit, left);
		if (rc == STATUS_ERR_INTR)
			return rc;
	}
	pass_on(s);
	return STATUS_OK;
}

int metta_sem_trywait(struct metta_semaphore *s)
{
	return try_down(s);
}

void metta_sem_post(struct metta_semaphore *s)
{
	__atomic_add_fetch(&s->count, 1, __ATOMIC_SEQ_CST);
	metta_waitq_wake_one(&s->q);
}
