/*
 * The scheduler: per-CPU run queues ordered by level (see sched.h), round
 * robin with a time slice inside a level, and nothing programmed in the
 * timer unless a slice has to end.
 */
#include <arch/cpu.h>
#include <arch/smp.h>
#include <cap.h>
#include <arch/thread.h>
#include <arch/tsc.h>
#include <bkl.h>
#include <percpu.h>
#include <sched.h>
#include <thread.h>

struct cpu cpus[CPU_MAX];
int ncpus = 1;

/* Asks CPU c to look at its run queue (at once, if it is another). */
void sched_kick(struct cpu *c)
{
	c->need_resched = 1;
	if (c != this_cpu())
		ipi_send(c->apic_id, VEC_IPI_WAKE);
}

static void slice_expired(struct timer *t)
{
	sched_kick(container_of(t, struct cpu, slice_timer));
}

/* A slice ends only if another thread of the running level waits. */
static void update_slice(struct cpu *c, struct thread *running)
{
	int waits =
	    running != c->idle && (c->rq.nonempty & (1u << running->rq.level));
	if (waits && !c->slice_timer.armed)
		timer_arm(&c->slice_timer, clock_ns() + SCHED_SLICE_NS,
			  slice_expired);
	else if (!waits)
		timer_cancel(&c->slice_timer);
}

void sched_wake(struct thread *t)
{
	struct cpu *c = t->cpu;
	if (t->state == THREAD_DEAD || t->state == THREAD_RUNNING ||
	    t->rq.queued)
		return;
	t->state = THREAD_READY;
	t->rq.level = thread_level(t);
	rq_push(&c->rq, &t->rq);
	struct thread *cur = c->current;
	if (cur == c->idle || t->rq.level < cur->rq.level)
		sched_kick(c);
	else if (t->rq.level == cur->rq.level)
		update_slice(c, cur);
}

/* Frees the thread that died on this CPU, now that we are off its stack. */
void sched_finish_switch(void)
{
	struct cpu *c = this_cpu();
	struct thread *z = c->zombie;
	if (z) {
		c->zombie = 0;
		thread_reap(z);
	}
}

void schedule(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->current;
	c->need_resched = 0;
	if (prev != c->idle && prev->state == THREAD_RUNNING) {
		prev->state = THREAD_READY;
		rq_push(&c->rq, &prev->rq);
	}
	struct rq_node *n = rq_pop(&c->rq);
	struct thread *next = n ? thread_of(n) : c->idle;
	next->state = THREAD_RUNNING;
	update_slice(c, next);
	if (next != prev) {
		c->current = next;
		arch_switch(prev, next);
	}
	sched_finish_switch();
}

void sched_switch_to(struct thread *next)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->current;
	c->need_resched = 0;
	if (prev->state == THREAD_RUNNING && prev != c->idle) {
		prev->state = THREAD_READY;
		rq_push(&c->rq, &prev->rq);
	}
	rq_remove(&c->rq, &next->rq);
	next->state = THREAD_RUNNING;
	c->current = next;
	arch_switch(prev, next);
	sched_finish_switch();
}

void sched_yield(void)
{
	schedule();
}

void sched_preempt_point(void)
{
	if (this_cpu()->need_resched)
		schedule();
}

void sched_start(void)
{
	struct cpu *c = this_cpu();
	for (;;) {
		if (c->rq.count) {
			schedule();
			continue;
		}
		uint64_t t0 = clock_ns();
		bkl_unlock();
		cpu_idle(); /* sti; hlt; cli: no wake-up is lost */
		bkl_lock();
		c->idle_ns += clock_ns() - t0;
	}
}

/* A new thread's first moment in the nucleus (see thread_entry_user). */
void thread_first_entry(void);

void thread_first_entry(void)
{
	sched_finish_switch();
	return_to_user();
}
