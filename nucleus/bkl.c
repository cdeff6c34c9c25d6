/* The big nucleus lock: a ticket lock (fair between CPUs). */
#include <bkl.h>
#include <percpu.h>
#include <sched.h>
#include <thread.h>

#include <arch/cpu.h>
#include <arch/smp.h>

static volatile uint32_t next_ticket, now_serving;

void bkl_lock(void)
{
	struct cpu *c = this_cpu();
	uint32_t ticket = __atomic_fetch_add(&next_ticket, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&now_serving, __ATOMIC_ACQUIRE) != ticket) {
		/* The holder may be waiting for us to flush our TLB. */
		if (c->tlb_flush_pending)
			tlb_flush_ipi();
		cpu_relax();
	}
	c->holds_bkl = 1;
}

void bkl_unlock(void)
{
	this_cpu()->holds_bkl = 0;
	__atomic_store_n(&now_serving, now_serving + 1, __ATOMIC_RELEASE);
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
