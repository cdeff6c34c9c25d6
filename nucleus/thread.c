/* Threads: see thread.h. */
#include <arch/paging.h>
#include <arch/thread.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <domain.h>
#include <kmem.h>
#include <percpu.h>
#include <pmm.h>
#include <event.h>
#include <portal.h>
#include <quota.h>
#include <string/kstring.h>
#include <thread.h>
#include <uaccess.h>

#include <metta/abi.h>
#include <metta/status.h>
#include <metta/syscall_numbers.h>
#include <nucleus/syscall_table.h>

static struct kmem_cache thread_cache;
static struct thread idle_threads[CPU_MAX];
static int next_thread_id = 1;

static void thread_release(struct kobj *o);

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

/* The struct, paid for by the domain it runs in (held by a reference). */
static int alloc_thread(struct domain *d, struct thread **out)
{
	if (!thread_cache.size) {
		kmem_cache_init(&thread_cache, "thread", sizeof(struct thread));
		kobj_set_release(OBJ_THREAD, thread_release);
	}
	void *mem;
	int rc = kmem_alloc(&thread_cache, &d->quota, &mem);
	if (rc)
		return rc;
	kobj_get(&d->obj);
	*out = mem;
	return STATUS_OK;
}

static void free_thread(struct thread *t)
{
	struct domain *d = t->domain;
	kmem_free(&thread_cache, &d->quota, t);
	kobj_put(&d->obj);
}

int thread_create_user(struct domain *d, uint64_t entry, uint64_t stack,
		       int prio, struct thread **out)
{
	if (prio < PRIO_HIGH || prio > PRIO_LOW || d->dead)
		return STATUS_ERR_INVAL;
	struct thread *t;
	int rc = alloc_thread(d, &t);
	if (rc)
		return rc;
	t->domain = d;
	void *kstack = vm_alloc_stack(KSTACK_PAGES, &d->quota);
	void *fpu = kstack ? fpu_page(&d->quota) : NULL;
	if (!fpu) {
		if (kstack)
			vm_free_stack(kstack, KSTACK_PAGES, &d->quota);
		free_thread(t);
		return STATUS_ERR_QUOTA;
	}
	kobj_init(&t->obj, OBJ_THREAD); /* the "alive" reference */
	t->id = next_thread_id++;
	t->prio = prio;
	t->cpu = this_cpu(); /* where to run is the creator's policy */
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
	event_abandon(t);
	if (t->wait_ref) { /* its event wait never comes back to let go */
		kobj_put(t->wait_ref);
		t->wait_ref = NULL;
	}
	ipc_thread_gone(t);
	t->state = THREAD_DEAD;
	if (t->cpu->current == t) {
		t->cpu->zombie = t; /* reaped after the switch away from it */
		sched_kick(t->cpu); /* it may be running on another CPU */
	} else {
		thread_reap(t);
	}
}

static void unlink_from_domain(struct thread *t)
{
	struct thread **p = &t->domain->threads;
	while (*p && *p != t)
		p = &(*p)->domain_next;
	if (*p)
		*p = t->domain_next;
}

void thread_reap(struct thread *t)
{
	struct domain *d = t->domain;
	unlink_from_domain(t);
	pmm_free(nucleus_pmm, virt_to_phys_direct(t->arch.fpu));
	quota_release(&d->quota, PAGE_SIZE);
	vm_free_stack((void *)t->kstack_top, KSTACK_PAGES, &d->quota);
	t->arch.fpu = NULL;
	t->kstack_top = 0;
	domain_thread_gone(d); /* the struct's reference keeps d here */
	kobj_put(&t->obj);     /* the "alive" reference */
}

static void thread_release(struct kobj *o)
{
	free_thread(container_of(o, struct thread, obj));
}

void thread_interrupt_call(struct thread *t)
{
	/* A delivered call runs to its reply: only waits that have not
	 * started anything can be abandoned and restarted, and a held call
	 * fails with ERR_INTR (its server is told). */
	if (t->state != THREAD_BLOCKED || t->wait == WAIT_REPLY)
		return;
	if (t->wait == WAIT_HELD) {
		reply_interrupt(t);
		return;
	}
	timer_cancel(&t->timer);
	ipc_abandon(t);
	event_abandon(t);
	t->restart = 1;
	sched_wake(t);
}

void thread_check_suspend(void)
{
	struct thread *t = current_thread();
	if (t->suspend_pending && t->state == THREAD_RUNNING) {
		t->suspend_pending = 0;
		t->state = THREAD_SUSPENDED;
		schedule(); /* back here when resumed */
	}
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

/* ---- calls ---- */

long sys_thread_create(uint32_t domain, uint32_t dst, uint64_t entry,
		       uint64_t stack, int64_t prio)
{
	struct domain *self = current_domain();
	struct cap *dc;
	int rc =
	    cap_lookup(&self->caps, domain, OBJ_DOMAIN, RIGHT_CONTROL, &dc);
	if (rc || (rc = cap_slot_free(&self->caps, dst)))
		return rc;
	if (entry >= USER_TOP || stack > USER_TOP)
		return STATUS_ERR_INVAL;
	struct domain *d = container_of(dc->obj, struct domain, obj);
	struct thread *t;
	if ((rc = thread_create_user(d, entry, stack, (int)prio, &t)))
		return rc;
	cap_insert(&self->caps, dst, &t->obj, RIGHT_ALL, 0, NULL);
	return STATUS_OK;
}

static void regs_from_frame(const struct thread *t, struct metta_regs *r)
{
	const struct trap_frame *f =
	    (const struct trap_frame *)(t->kstack_top - sizeof(*f));
	*r = (struct metta_regs){
		f->rax, f->rbx, f->rcx,	   f->rdx,	    f->rsi,
		f->rdi, f->rbp, f->rsp,	   f->r8,	    f->r9,
		f->r10, f->r11, f->r12,	   f->r13,	    f->r14,
		f->r15, f->rip, f->rflags, t->arch.fs_base, t->arch.gs_base,
	};
}

static int regs_to_frame(struct thread *t, const struct metta_regs *r)
{
	if (r->rip >= USER_TOP || r->rsp > USER_TOP || r->fs_base >= USER_TOP ||
	    r->gs_base >= USER_TOP)
		return STATUS_ERR_INVAL;
	struct trap_frame *f =
	    (struct trap_frame *)(t->kstack_top - sizeof(*f));
	f->rax = r->rax, f->rbx = r->rbx, f->rcx = r->rcx, f->rdx = r->rdx;
	f->rsi = r->rsi, f->rdi = r->rdi, f->rbp = r->rbp, f->rsp = r->rsp;
	f->r8 = r->r8, f->r9 = r->r9, f->r10 = r->r10, f->r11 = r->r11;
	f->r12 = r->r12, f->r13 = r->r13, f->r14 = r->r14, f->r15 = r->r15;
	f->rip = r->rip;
	/* User flags only: interrupts stay on, IOPL stays 0. */
	f->rflags = (r->rflags & 0xcd5) | 0x202;
	t->arch.fs_base = r->fs_base;
	t->arch.gs_base = r->gs_base;
	return STATUS_OK;
}

static long suspend(struct thread *t)
{
	switch (t->state) {
	case THREAD_NEW:
	case THREAD_SUSPENDED:
		return STATUS_OK;
	case THREAD_READY:
		rq_remove(&t->cpu->rq, &t->rq);
		t->state = THREAD_SUSPENDED;
		return STATUS_OK;
	case THREAD_BLOCKED:
		t->suspend_pending = 1;
		thread_interrupt_call(t); /* leaves the call, then stops */
		return STATUS_OK;
	case THREAD_RUNNING: /* itself, or on another CPU */
		t->suspend_pending = 1;
		sched_kick(t->cpu);
		return STATUS_OK;
	default:
		return STATUS_ERR_DEAD;
	}
}

/* The waits a signal breaks: everything not yet delivered to a server. */
static int interruptible(const struct thread *t)
{
	return t->state == THREAD_BLOCKED &&
	       (t->wait == WAIT_SLEEP || t->wait == WAIT_CALL ||
		t->wait == WAIT_RECEIVE || t->wait == WAIT_EVENT);
}

/* A signal for t: its held call or its wait fails with ERR_INTR, or its
 * next wait will (THREAD_INTERRUPT in metta/abi.h). */
static long interrupt(struct thread *t)
{
	if (t->state == THREAD_BLOCKED && t->wait == WAIT_HELD) {
		reply_interrupt(t);
	} else if (interruptible(t)) {
		timer_cancel(&t->timer);
		ipc_abandon(t);
		event_abandon(t);
		t->ipc.result = STATUS_ERR_INTR;
		t->wait = WAIT_NONE;
		sched_wake(t);
	} else {
		t->ipc.intr_pending = 1;
	}
	return STATUS_OK;
}

int thread_take_intr(struct thread *t)
{
	if (!t->ipc.intr_pending)
		return 0;
	t->ipc.intr_pending = 0;
	return 1;
}

static long regs_op(struct thread *t, int64_t op, uint64_t arg)
{
	struct metta_regs r;
	/* Only a stopped thread's registers mean anything. */
	if (t->state != THREAD_SUSPENDED && t->state != THREAD_NEW)
		return STATUS_ERR_BUSY;
	if (op == THREAD_GET_REGS) {
		regs_from_frame(t, &r);
		return copy_to_user(arg, &r, sizeof(r));
	}
	int rc = copy_from_user(&r, arg, sizeof(r));
	return rc ? rc : regs_to_frame(t, &r);
}

/* Sends a thread to another CPU: it runs there from its next wake-up. */
static long move_to_cpu(struct thread *t, uint64_t cpu)
{
	if (cpu >= (uint64_t)ncpus || !cpus[cpu].online)
		return STATUS_ERR_RANGE;
	if (t->state == THREAD_RUNNING)
		return STATUS_ERR_BUSY;
	int queued = rq_remove(&t->cpu->rq, &t->rq);
	t->cpu = &cpus[cpu];
	if (queued) {
		t->state = THREAD_SUSPENDED; /* so that sched_wake takes it */
		sched_wake(t);
	}
	return STATUS_OK;
}

long sys_thread_ctl(uint32_t thread, int64_t op, uint64_t arg)
{
	struct cap *c;
	int rc = cap_lookup(&current_domain()->caps, thread, OBJ_THREAD,
			    RIGHT_CONTROL, &c);
	if (rc)
		return rc;
	struct thread *t = container_of(c->obj, struct thread, obj);
	if (op == THREAD_STATE)
		return t->state;
	if (t->state == THREAD_DEAD)
		return STATUS_ERR_DEAD;
	switch (op) {
	case THREAD_START:
		if (t->state != THREAD_NEW)
			return STATUS_ERR_BUSY;
		sched_wake(t);
		return STATUS_OK;
	case THREAD_SUSPEND:
		return suspend(t);
	case THREAD_RESUME:
		t->suspend_pending = 0;
		if (t->state == THREAD_SUSPENDED)
			sched_wake(t);
		return STATUS_OK;
	case THREAD_KILL:
		thread_kill(t);
		return STATUS_OK;
	case THREAD_GET_REGS:
	case THREAD_SET_REGS:
		return regs_op(t, op, arg);
	case THREAD_CPU:
		return t->cpu->id;
	case THREAD_SET_CPU:
		return move_to_cpu(t, arg);
	case THREAD_INTERRUPT:
		return interrupt(t);
	default:
		return STATUS_ERR_INVAL;
	}
}

/* The calling thread's FS (set_tls) or GS (set_gs) base: kept, and
 * loaded now. */
static long set_base(uint64_t base, uint64_t *keep, void (*load)(uint64_t))
{
	if (base >= USER_TOP)
		return STATUS_ERR_INVAL;
	*keep = base;
	load(base);
	return STATUS_OK;
}

long sys_set_tls(uint64_t fs_base)
{
	return set_base(fs_base, &current_thread()->arch.fs_base, arch_set_tls);
}

/* A capability to the calling thread (as thread_create gives for a new
 * one): a domain's first thread has none of itself otherwise. */
long sys_thread_self(uint32_t dst)
{
	struct domain *self = current_domain();
	int rc = cap_slot_free(&self->caps, dst);
	if (rc)
		return rc;
	return cap_insert(&self->caps, dst, &current_thread()->obj, RIGHT_ALL, 0,
			  NULL);
}

long sys_set_gs(uint64_t gs_base)
{
	return set_base(gs_base, &current_thread()->arch.gs_base,
			arch_set_user_gs);
}

long sys_thread_exit(void)
{
	thread_kill(current_thread());
	return STATUS_OK; /* never seen: the thread is dead */
}
