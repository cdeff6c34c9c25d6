/* Events: see event.h. */
#include <arch/tsc.h>
#include <bkl.h>
#include <domain.h>
#include <event.h>
#include <kmem.h>
#include <sched.h>
#include <thread.h>

#include <metta/status.h>
#include <metta/syscall_numbers.h>
#include <nucleus/syscall_table.h>

static struct kmem_cache event_cache;

static void event_release(struct kobj *o);

/* A waiting thread keeps its event and mask in its IPC state. */
#define WAIT_EVENT(t) ((struct event *)(t)->ipc.portal)

static void remove_waiter(struct event *e, struct thread *t)
{
	struct thread **p = &e->waiters;
	while (*p && *p != t)
		p = &(*p)->ipc.next;
	if (*p)
		*p = t->ipc.next;
	t->ipc.next = NULL;
	t->ipc.portal = NULL;
}

void event_raise(struct event *e, uint64_t bits)
{
	e->bits |= bits;
	/* Each waiter takes its bits in turn (first come, first served). */
	for (struct thread *t = e->waiters, *next; t && e->bits; t = next) {
		next = t->ipc.next;
		uint64_t got = e->bits & t->ipc.badge;
		if (!got)
			continue;
		e->bits &= ~got;
		remove_waiter(e, t);
		timer_cancel(&t->timer);
		t->ipc.result = (long)got;
		t->wait = WAIT_NONE;
		sched_wake(t);
	}
}

void event_abandon(struct thread *t)
{
	if (t->wait == WAIT_EVENT && WAIT_EVENT(t))
		remove_waiter(WAIT_EVENT(t), t);
}

static int lookup(uint32_t slot, uint32_t need, struct event **out)
{
	struct cap *c;
	int rc = cap_lookup(&current_domain()->caps, slot, OBJ_EVENT, need, &c);
	if (rc == STATUS_OK)
		*out = container_of(c->obj, struct event, obj);
	return rc;
}

long sys_event_create(uint32_t dst)
{
	struct domain *d = current_domain();
	int slot_rc = cap_slot_free(&d->caps, dst);
	if (slot_rc)
		return slot_rc;
	if (!event_cache.size) {
		kmem_cache_init(&event_cache, "event", sizeof(struct event));
		kobj_set_release(OBJ_EVENT, event_release);
	}
	void *mem;
	int rc = kmem_alloc(&event_cache, &d->quota, &mem);
	if (rc)
		return rc;
	struct event *e = mem;
	kobj_init(&e->obj, OBJ_EVENT);
	e->payer = d;
	kobj_get(&d->obj);
	cap_insert(&d->caps, dst, &e->obj, RIGHT_ALL, 0, NULL);
	kobj_put(&e->obj);
	return STATUS_OK;
}

static void event_release(struct kobj *o)
{
	struct event *e = container_of(o, struct event, obj);
	struct domain *payer = e->payer;
	timer_cancel(&e->timer);
	/* Waiters hold references: none is left waiting here. */
	kmem_free(&event_cache, &payer->quota, e);
	kobj_put(&payer->obj);
}

long sys_event_signal(uint32_t event, uint64_t bits)
{
	struct event *e;
	int rc = lookup(event, RIGHT_WRITE, &e);
	if (rc)
		return rc;
	event_raise(e, bits);
	return STATUS_OK;
}

long sys_event_poll(uint32_t event, uint64_t mask)
{
	struct event *e;
	int rc = lookup(event, RIGHT_READ, &e);
	if (rc)
		return rc;
	uint64_t got = e->bits & mask;
	e->bits &= ~got;
	return (long)got;
}

static void wait_timeout(struct timer *tm)
{
	struct thread *t = container_of(tm, struct thread, timer);
	if (t->wait != WAIT_EVENT)
		return;
	event_abandon(t);
	t->ipc.result = STATUS_ERR_TIMEOUT;
	t->wait = WAIT_NONE;
	sched_wake(t);
}

/* Takes the wanted bits: returns them (as a non-negative number), or
 * STATUS_ERR_TIMEOUT. A mask of 0 is refused; bit 63 cannot be waited
 * for, so that a result is never mistaken for an error. */
long sys_event_wait(uint32_t event, uint64_t mask, uint64_t timeout_us)
{
	struct event *e;
	int rc = lookup(event, RIGHT_READ, &e);
	if (rc)
		return rc;
	if (mask == 0 || (mask >> 63))
		return STATUS_ERR_INVAL;
	uint64_t got = e->bits & mask;
	if (got) {
		e->bits &= ~got;
		return (long)got;
	}
	struct thread *t = current_thread();
	if (thread_take_intr(t))
		return STATUS_ERR_INTR;
	kobj_get(&e->obj); /* it must outlive our wait, capability or not */
	t->wait_ref = &e->obj;
	t->ipc.badge = mask;
	t->ipc.portal = (struct portal *)e;
	t->ipc.next = e->waiters;
	e->waiters = t;
	t->state = THREAD_BLOCKED;
	t->wait = WAIT_EVENT;
	uint64_t deadline = 0;
	if (timeout_us) {
		deadline = clock_ns() + timeout_us * 1000;
		timer_arm(&t->timer, deadline, wait_timeout);
	}
	schedule();
	t->wait_ref = NULL;
	kobj_put(&e->obj);
	if (t->restart) {
		t->restart = 0;
		uint64_t now = clock_ns(), left = 1;
		if (deadline)
			left =
			    deadline > now ? (deadline - now + 999) / 1000 : 1;
		syscall_restart(t, SYS_event_wait, event);
		syscall_set_arg(t, 2, timeout_us ? left : 0);
		return SYSCALL_RESTART;
	}
	return t->ipc.result;
}

static void timer_fired(struct timer *tm)
{
	struct event *e = container_of(tm, struct event, timer);
	event_raise(e, e->timer_bits);
}

/* Signals `bits` after `microseconds` (0 cancels); one timer per event. */
long sys_event_timer(uint32_t event, uint64_t bits, uint64_t microseconds)
{
	struct event *e;
	int rc = lookup(event, RIGHT_WRITE, &e);
	if (rc)
		return rc;
	if (microseconds == 0) {
		timer_cancel(&e->timer);
		return STATUS_OK;
	}
	if (microseconds > (1ull << 40))
		return STATUS_ERR_RANGE;
	e->timer_bits = bits;
	timer_arm(&e->timer, clock_ns() + microseconds * 1000, timer_fired);
	return STATUS_OK;
}
