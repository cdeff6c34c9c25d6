/*
 * The big nucleus lock. The nucleus runs with interrupts off and is entered
 * from user mode (calls, faults, interrupts) or from an idle CPU; every
 * entry takes this lock and every exit to user mode or idle gives it back,
 * so nucleus code never runs on two CPUs at once. Calls are short, so the
 * lock is cheap to hold (seL4 does the same).
 */
#ifndef NUCLEUS_BKL_H
#define NUCLEUS_BKL_H

#include <percpu.h>
#include <stdint.h>

/* A ticket lock (fair between CPUs); inline, as every entry takes it. */
extern volatile uint32_t bkl_next_ticket, bkl_now_serving;
void bkl_wait(struct cpu *c, uint32_t ticket); /* until it is ours */

static inline void bkl_lock(void)
{
	struct cpu *c = this_cpu();
	uint32_t ticket =
	    __atomic_fetch_add(&bkl_next_ticket, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(__atomic_load_n(&bkl_now_serving,
					     __ATOMIC_ACQUIRE) != ticket,
			     0))
		bkl_wait(c, ticket);
	c->holds_bkl = 1;
}

static inline void bkl_unlock(void)
{
	this_cpu()->holds_bkl = 0;
	__atomic_store_n(&bkl_now_serving, bkl_now_serving + 1,
			 __ATOMIC_RELEASE);
}

/* Leaves the nucleus for user mode: reschedules if asked, then unlocks. */
void return_to_user(void);

/* A handler's return value meaning "the frame is set up for a restart". */
#define SYSCALL_RESTART (-0x7fffffffffffffffl - 1)

struct thread;
/* Rewinds t's user registers to call `nr` again with arg0 changed. */
void syscall_restart(struct thread *t, uint64_t nr, uint64_t arg0);
/* Changes argument i (0-5) of t's call, for its restart. */
void syscall_set_arg(struct thread *t, int i, uint64_t v);

#endif
