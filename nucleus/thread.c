/* Threads: see thread.h. */
#include <arch/paging.h>
#include <arch/thread.h>
#include <domain.h>
#include <kmem.h>
#include <percpu.h>
#include <pmm.h>
#include <quota.h>
#include <string/kstring.h>
#include <thread.h>

#include <metta/status.h>

static struct kmem_cache thread_cache;
static struct thread idle_threads[CPU_MAX];
static int next_thread_id = 1;

int thread_level(const struct thread *t)
{
	if (!t->domain)
		return SCHED_LEVELS; /* idle: below every level */
	return sched_level(t->domain->class, t->domain->prio, t->prio);
}

/* The FPU state page of a user thread, charged to q. */
static void *fpu_page(struct quota *q)
{
	uint64_t pa;
	if (quota_charge(q, PAGE_SIZE))
		return NULL;
	if (pmm_alloc(nucleus_pmm, &pa)) {
		quota_release(q, PAGE_SIZE);
		return NULL;
	}
	return phys_to_virt(pa);
}

int thread_create_user(struct domain *d, uint64_t entry, uint64_t stack,
		       int prio, struct thread **out)
{
	if (prio < PRIO_HIGH || prio > PRIO_LOW || d->dying)
		return STATUS_ERR_INVAL;
	if (!thread_cache.size)
		kmem_cache_init(&thread_cache, "thread", sizeof(struct thread));
	void *mem;
	int rc = kmem_alloc(&thread_cache, &d->quota, &mem);
	if (rc)
		return rc;
	struct thread *t = mem;
	void *kstack = vm_alloc_stack(KSTACK_PAGES, &d->quota);
	void *fpu = kstack ? fpu_page(&d->quota) : NULL;
	if (!fpu) {
		if (kstack)
			vm_free_stack(kstack, KSTACK_PAGES, &d->quota);
		kmem_free(&thread_cache, &d->quota, t);
		return STATUS_ERR_QUOTA;
	}
	t->id = next_thread_id++;
	t->prio = prio;
	t->domain = d;
	t->cpu = &cpus[0];
	t->kstack_top = (uint64_t)kstack;
	t->arch.fpu = fpu;
	t->state = THREAD_NEW;
	t->rq.level = thread_level(t);
	arch_thread_init_user(t, entry, stack);
	t->domain_next = d->threads;
	d->threads = t;
	d->nthreads++;
	d->started = 1;
	*out = t;
	return STATUS_OK;
}

void thread_kill(struct thread *t)
{
	if (t->state == THREAD_DEAD)
		return;
	timer_cancel(&t->timer);
	rq_remove(&t->cpu->rq, &t->rq);
	t->state = THREAD_DEAD;
	if (t->cpu->current == t)
		t->cpu->zombie = t; /* freed after the switch away from it */
	else
		thread_free(t);
}

static void unlink_from_domain(struct thread *t)
{
	struct thread **p = &t->domain->threads;
	while (*p && *p != t)
		p = &(*p)->domain_next;
	if (*p)
		*p = t->domain_next;
}

void thread_free(struct thread *t)
{
	struct domain *d = t->domain;
	unlink_from_domain(t);
	pmm_free(nucleus_pmm, virt_to_phys_direct(t->arch.fpu));
	quota_release(&d->quota, PAGE_SIZE);
	vm_free_stack((void *)t->kstack_top, KSTACK_PAGES, &d->quota);
	kmem_free(&thread_cache, &d->quota, t);
	domain_thread_gone(d);
}

struct thread *thread_adopt_idle(struct cpu *c, uint64_t stack_top)
{
	struct thread *t = &idle_threads[c->id];
	t->state = THREAD_RUNNING;
	t->cpu = c;
	t->kstack_top = stack_top;
	t->rq.level = SCHED_LEVELS;
	c->idle = t;
	c->current = t;
	return t;
}
