/*
 * The timer queue: a list sorted by deadline. Short, because the nucleus
 * has few timers at once (sleeping threads and timeouts, one each).
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <timer.h>

#include <stddef.h>

static struct timer *queue;
static uint64_t interrupts;

/* Programs the hardware for the head of the queue, or stops it. */
static void reprogram(void)
{
	if (!queue) {
		lapic_timer_oneshot(0);
		return;
	}
	uint64_t now = clock_ns();
	uint64_t wait = queue->deadline > now ? queue->deadline - now : 0;
	lapic_timer_oneshot(wait ? ns_to_tsc(wait) : 1);
}

static void unlink_timer(struct timer *t)
{
	for (struct timer **p = &queue; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = 0;
}

static void insert(struct timer *t)
{
	struct timer **p = &queue;
	while (*p && (*p)->deadline <= t->deadline)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	t->armed = 1;
}

void timer_arm(struct timer *t, uint64_t deadline, timer_fn fn)
{
	uint64_t flags = irq_save();
	if (t->armed)
		unlink_timer(t);
	t->deadline = deadline;
	t->fn = fn;
	insert(t);
	if (queue == t)
		reprogram();
	irq_restore(flags);
}

int timer_cancel(struct timer *t)
{
	uint64_t flags = irq_save();
	int was = t->armed;
	if (was) {
		int head = queue == t;
		unlink_timer(t);
		if (head)
			reprogram();
	}
	irq_restore(flags);
	return was;
}

int timer_pending(void)
{
	int n = 0;
	uint64_t flags = irq_save();
	for (struct timer *t = queue; t; t = t->next)
		n++;
	irq_restore(flags);
	return n;
}

static void timer_interrupt(struct trap_frame *f)
{
	(void)f;
	lapic_eoi();
	interrupts++;
	uint64_t now = clock_ns();
	while (queue && queue->deadline <= now) {
		struct timer *t = queue;
		unlink_timer(t);
		t->fn(t);
	}
	/* Also covers a far deadline cut short by the 32-bit counter. */
	reprogram();
}

void timer_init(void)
{
	trap_set_handler(VEC_TIMER, timer_interrupt);
}

uint64_t timer_interrupts(void)
{
	return interrupts;
}
