/*
 * Scheduling. A thread's level orders it: class of its domain (driver,
 * server, application), then the domain's priority, then the thread's
 * (HIGH, NORM, LOW each): 27 levels, 0 the most urgent. Round robin with a
 * time slice inside a level; the slice timer is armed only while another
 * thread of the same level waits (tickless). One run queue per CPU.
 */
#ifndef NUCLEUS_SCHED_H
#define NUCLEUS_SCHED_H

#include <stdint.h>

enum domain_class { CLASS_DRIVER, CLASS_SERVER, CLASS_APPLICATION };
enum priority { PRIO_HIGH, PRIO_NORM, PRIO_LOW };

#define SCHED_LEVELS   27
#define SCHED_SLICE_NS 10000000ull /* 10 ms */

/* A run queue entry, embedded in struct thread. */
struct rq_node {
	struct rq_node *next;
	int level;
	int queued;
};

/* FIFOs per level and a bitmap of the non-empty ones. Pure code. */
struct runqueue {
	uint32_t nonempty;
	int count;
	struct rq_node *head[SCHED_LEVELS], *tail[SCHED_LEVELS];
};

static inline int sched_level(int class, int domain_prio, int thread_prio)
{
	return class * 9 + domain_prio * 3 + thread_prio;
}

void rq_init(struct runqueue *rq);
/* Appends n at its level (n->level); n must not be queued. */
void rq_push(struct runqueue *rq, struct rq_node *n);
/* Removes and returns the first node of the most urgent level, or NULL. */
struct rq_node *rq_pop(struct runqueue *rq);
/* Removes n wherever it is; returns 0 if it was not queued. */
int rq_remove(struct runqueue *rq, struct rq_node *n);
/* The most urgent non-empty level, or -1. */
int rq_best(const struct runqueue *rq);

struct thread;
struct cpu;

/* Makes t runnable (from blocked or new) on its CPU. */
void sched_wake(struct thread *t);
/* Picks the next thread for this CPU and switches to it. The current
 * thread's state says what becomes of it (still RUNNING: requeued). */
void schedule(void);
/* The current thread goes to the back of its level. */
void sched_yield(void);
/* Switches straight to `next` (an IPC partner), bypassing the run queue;
 * the current thread's state says what becomes of it. The time slice
 * carries on: the partner runs on the caller's. */
void sched_switch_to(struct thread *next);
/* Starts scheduling on this CPU; never returns. */
void sched_start(void) __attribute__((noreturn));
/* Makes CPU c reschedule (through an IPI if it is another CPU): a thread
 * running there was killed or suspended, or a better one woke. */
void sched_kick(struct cpu *c);
/* Called on every return to user mode: reschedules if asked to. */
void sched_preempt_point(void);
/* After a switch: frees the thread that died on this CPU, if any. */
void sched_finish_switch(void);

#endif
