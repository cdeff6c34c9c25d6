/* The big nucleus lock: a ticket lock (fair between CPUs). */
#include <bkl.h>
#include <percpu.h>
#include <sched.h>
#include <thread.h>

#include <arch/cpu.h>
#include <arch/smp.h>

volatile uint32_t bkl_next_ticket, bkl_now_serving;

void bkl_wait(struct cpu *c, uint32_t ticket)
{
	while (__atomic_load_n(&bkl_now_serving, __ATOMIC_ACQUIRE) != ticket) {
		/* The holder may be waiting for us to flush our TLB. */
		if (c->tlb_flush_pending)
			tlb_flush_ipi();
		cpu_relax();
	}
}

void return_to_user(void)
{
	struct cpu *c = this_cpu();
	if (c->need_resched || c->current->state == THREAD_DEAD)
		schedule();
	if (__builtin_expect(this_cpu()->current->suspend_pending, 0))
		thread_check_suspend(); /* may switch away until resumed */
	bkl_unlock();
}
