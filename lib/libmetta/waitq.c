/*
 * Waiting lists: the one way libmetta's synchronisation (mutex.c,
 * semaphore.c, barrier.c, await.c) puts threads to sleep. A list is an
 * event and up to 63 waiters, each owning one of the event's bits: a
 * waker clears waiters' bits from `waiting` and signals exactly those, so
 * a wake-up is never lost (the bit stays set until its owner takes it) and
 * never lands on a thread that did not ask (bits are not shared), and
 * waking everyone is one event_signal. A 64th waiter at once finds no bit
 * and polls every millisecond instead (correct, only slower).
 *
 * The protocol, for a caller waiting for a condition C:
 *   bit = waitq_enter(q); if C holds: waitq_leave(q, bit), done;
 *   else waitq_sleep(q, bit, timeout), and look at C again.
 * Registering before the second look at C, and wakers changing C before
 * they read `waiting` (all sequentially consistent), means either the
 * waiter sees C or the waker sees the waiter.
 */
#include "metta.h"

#define ALL_BITS (~0ull >> 1) /* bit 63 is not an event bit */
#define SC __ATOMIC_SEQ_CST

long metta_waitq_init(struct metta_waitq *q)
{
	q->slots = q->waiting = 0;
	q->event = metta_slot_alloc();
	if (!q->event)
		return STATUS_ERR_NOMEM; /* no free capability slot */
	return metta_event_create(q->event);
}

uint64_t metta_waitq_enter(struct metta_waitq *q)
{
	uint64_t used = __atomic_load_n(&q->slots, SC), bit;
	do {
		uint64_t free = ~used & ALL_BITS;
		if (!free)
			return 0;
		bit = free & -free;
	} while (!__atomic_compare_exchange_n(&q->slots, &used, used | bit, 0,
					      SC, SC));
	__atomic_or_fetch(&q->waiting, bit, SC);
	return bit;
}

/* Takes the wake-up a waker has chosen bit for: it is signalled (or is
 * about to be), so this wait is short. */
static void take_wakeup(struct metta_waitq *q, uint64_t bit)
{
	while (metta_event_wait(q->event, bit, 0) == STATUS_ERR_INTR)
		;
}

static void release(struct metta_waitq *q, uint64_t bit)
{
	__atomic_and_fetch(&q->slots, ~bit, SC);
}

int metta_waitq_leave(struct metta_waitq *q, uint64_t bit)
{
	if (!bit)
		return 0;
	int chosen = !(__atomic_fetch_and(&q->waiting, ~bit, SC) & bit);
	if (chosen)
		take_wakeup(q, bit);
	release(q, bit);
	return chosen;
}

long metta_waitq_sleep(struct metta_waitq *q, uint64_t bit,
		       uint64_t timeout_us)
{
	if (!bit) { /* no bit free: poll */
		metta_sleep(1000);
		return timeout_us && timeout_us <= 1000 ? STATUS_ERR_TIMEOUT
							: STATUS_OK;
	}
	long rc = metta_event_wait(q->event, bit, timeout_us);
	if (rc < 0 && !metta_waitq_leave(q, bit))
		return rc; /* timed out or interrupted, and nobody woke us */
	if (rc >= 0)
		release(q, bit);
	return STATUS_OK;
}

int metta_waitq_wake_one(struct metta_waitq *q)
{
	uint64_t w = __atomic_load_n(&q->waiting, SC), bit;
	do {
		if (!w)
			return 0;
		bit = w & -w;
	} while (!__atomic_compare_exchange_n(&q->waiting, &w, w & ~bit, 0, SC,
					      SC));
	metta_event_signal(q->event, bit);
	return 1;
}

int metta_waitq_wake_all(struct metta_waitq *q)
{
	uint64_t w = __atomic_exchange_n(&q->waiting, 0, SC);
	if (w)
		metta_event_signal(q->event, w);
	int n = 0;
	for (; w; w &= w - 1) /* no libgcc here for __builtin_popcount */
		n++;
	return n;
}

long metta_waitq_until_changed(struct metta_waitq *q, const unsigned *word,
			       unsigned seen, uint64_t timeout_us)
{
	uint64_t deadline = timeout_us ? (uint64_t)metta_clock() +
						 timeout_us * 1000 : 0;
	for (;;) {
		if (__atomic_load_n(word, SC) != seen)
			return STATUS_OK;
		uint64_t bit = metta_waitq_enter(q), left = 0;
		if (__atomic_load_n(word, SC) != seen) {
			metta_waitq_leave(q, bit);
			return STATUS_OK;
		}
		if (deadline) {
			uint64_t now = (uint64_t)metta_clock();
			if (now >= deadline) {
				metta_waitq_leave(q, bit);
				return STATUS_ERR_TIMEOUT;
			}
			left = (deadline - now + 999) / 1000;
		}
		long rc = metta_waitq_sleep(q, bit, left);
		if (rc == STATUS_ERR_INTR)
			return rc;
	}
}
