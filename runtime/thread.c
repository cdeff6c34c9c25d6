/*
 * Threads (thread.h): the table, the runtime lock, waits that let go of
 * it, clone for a thread, a thread's end, and what fork and exec do to
 * the others.
 *
 * A thread made by clone is a nucleus thread of our domain: it starts in
 * rt_resume_full (entry.S) on its own runtime stack with its GS base
 * pointing at its struct rt_thread, and goes on at the caller's rip with
 * the caller's registers, rax 0, the stack and TLS clone was given.
 * Thread i's stack and 9P buffers are a memory object at RT_THREAD_VA +
 * i * RT_THREAD_AREA, mapped at its first use and kept for the next
 * thread in that place; the first thread's are the runtime's image's.
 */
#include <9p/portal.h>
#include <metta.h>
#include <string/kstring.h>

#include "state.h"

struct rt_thread rt_threads[RT_MAX_THREADS];

/* The first thread's stack (entry.S) and 9P buffers (ns.c). */
extern char rt_stack_top[];
extern uint8_t rt_tbuf[], rt_rbuf[];
void rt_resume_full(void);
void rt_fork_entry(void);

/*
 * The runtime lock: `held` is taken by an atomic exchange; a thread that
 * finds it held puts its bit in `waiters` and waits on its event, and
 * the one letting go wakes the lowest waiter. The bit is set before the
 * waiter looks again and the lock let go before its releaser looks at
 * the waiters, so one of the two always sees the other.
 */
static struct {
	uint32_t held;
	uint64_t waiters;
} lock;

#define SPINS 200

static uint64_t bit_of(const struct rt_thread *t)
{
	return 1ull << t->idx;
}

static uint32_t event_of(struct rt_thread *t)
{
	if (!t->event) {
		uint32_t e = metta_slot_alloc();
		if (metta_event_create(e) == 0)
			t->event = e;
	}
	return t->event;
}

static int try_lock(void)
{
	return !__atomic_exchange_n(&lock.held, 1, __ATOMIC_ACQUIRE);
}

void rt_lock(void)
{
	struct rt_thread *t = rt_self();
	for (;;) {
		if (try_lock())
			return;
		for (int i = 0; i < SPINS; i++) {
			__builtin_ia32_pause();
			if (!__atomic_load_n(&lock.held, __ATOMIC_RELAXED) &&
			    try_lock())
				return;
		}
		__atomic_fetch_or(&lock.waiters, bit_of(t), __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&lock.held, __ATOMIC_SEQ_CST) &&
		    metta_event_wait(t->event, EV_LOCK, 0) == STATUS_ERR_INTR)
			t->intr = 1; /* for the wait the call makes next */
		__atomic_fetch_and(&lock.waiters, ~bit_of(t), __ATOMIC_SEQ_CST);
	}
}

void rt_unlock(void)
{
	__atomic_store_n(&lock.held, 0, __ATOMIC_SEQ_CST);
	uint64_t w = __atomic_load_n(&lock.waiters, __ATOMIC_SEQ_CST);
	if (w)
		metta_event_signal(rt_threads[__builtin_ctzll(w)].event,
				   EV_LOCK);
}

int rt_take_intr(void)
{
	struct rt_thread *t = rt_self();
	int was = t->intr;
	t->intr = 0;
	return was;
}

long rt_sleep(uint64_t us)
{
	if (rt_take_intr())
		return STATUS_ERR_INTR;
	rt_unlock();
	long rc = metta_sleep(us);
	rt_lock();
	return rc;
}

long rt_request(uint32_t cap, uint64_t *w, const void *msg, uint64_t len,
		void *rbuf, uint64_t rcap, uint64_t *got, uint32_t recv_cap)
{
	if (rt_take_intr())
		return STATUS_ERR_INTR;
	rt_unlock();
	long rc = metta_request(cap, w, msg, len, rbuf, rcap, got, 0, recv_cap);
	rt_lock();
	return rc;
}

long rt_wait(struct rt_thread *t, uint64_t bits, uint64_t us)
{
	if (rt_take_intr())
		return STATUS_ERR_INTR;
	uint32_t e = event_of(t);
	if (!e)
		return STATUS_ERR_NOMEM;
	rt_unlock();
	long rc = metta_event_wait(e, bits, us);
	rt_lock();
	return rc;
}

void rt_wake(struct rt_thread *t, uint64_t bits)
{
	if (event_of(t))
		metta_event_signal(t->event, bits);
}

/* ---- the table ---- */

static void thread_reset(struct rt_thread *t, int idx)
{
	uint8_t *area = t->area;
	uint32_t mem = t->area_mem, cap = t->cap, ev = t->event;
	memset(t, 0, sizeof(*t));
	t->self = t;
	t->idx = idx;
	t->area = area, t->area_mem = mem, t->cap = cap, t->event = ev;
	if (idx == 0) {
		t->stack_top = (uint64_t)rt_stack_top;
		t->tbuf = rt_tbuf;
		t->rbuf = rt_rbuf;
	} else if (area) {
		t->stack_top = (uint64_t)area + RT_THREAD_STACK;
		t->tbuf = area + RT_THREAD_STACK;
		t->rbuf = t->tbuf + P9_PORTAL_MSIZE;
		t->p9 = (struct p9c *)(t->rbuf + P9_PORTAL_MSIZE);
	}
}
_Static_assert(RT_THREAD_STACK + 2 * P9_PORTAL_MSIZE +
			   MAX_CONNS * sizeof(struct p9c) <=
		       RT_THREAD_AREA,
	       "a thread's area holds its stack, buffers and clients");

void thread_init(void)
{
	struct rt_thread *t = &rt_threads[0];
	thread_reset(t, 0);
	t->state = T_LIVE;
	if (metta_set_gs((uint64_t)t)) {
		rt_log("no thread pointer: cannot run");
		rt_exit(127);
	}
	rt_lock();
}

long thread_tid(struct rt_thread *t)
{
	if (!t->tid)
		t->tid = rt_getpid(); /* the first thread's, asked once */
	return t->tid;
}

struct rt_thread *thread_by_tid(long tid)
{
	for (int i = 0; i < RT_MAX_THREADS; i++)
		if (rt_threads[i].state == T_LIVE &&
		    thread_tid(&rt_threads[i]) == tid)
			return &rt_threads[i];
	return 0;
}

int thread_count(void)
{
	int n = 0;
	for (int i = 0; i < RT_MAX_THREADS; i++)
		n += rt_threads[i].state == T_LIVE;
	return n;
}

uint32_t thread_cap(struct rt_thread *t)
{
	if (!t->cap && t == rt_self()) {
		uint32_t s = metta_slot_alloc();
		if (metta_thread_self(s) == 0)
			t->cap = s;
	}
	return t->cap;
}

uint64_t thread_cpus(void)
{
	static uint64_t n;
	if (!n) {
		struct metta_stats st;
		n = metta_stats(&st) == 0 && st.ncpus ? st.ncpus : 1;
		if (n > 64)
			n = 64;
	}
	return n == 64 ? ~0ull : (1ull << n) - 1;
}

/* The CPU fewest of our live threads run on, where a new one goes (the
 * nucleus moves no thread on its own). */
static int least_used_cpu(void)
{
	int n = 64 - __builtin_clzll(thread_cpus()), count[64] = { 0 }, best = 0;
	for (int i = 0; i < RT_MAX_THREADS; i++) {
		struct rt_thread *t = &rt_threads[i];
		long cpu = t->state == T_LIVE && t->cap
			       ? metta_thread_ctl(t->cap, THREAD_CPU, 0)
			       : -1;
		if (cpu >= 0 && cpu < n)
			count[cpu]++;
	}
	for (int c = 1; c < n; c++)
		if (count[c] < count[best])
			best = c;
	return best;
}

/* A place for a new thread: a free one whose nucleus thread (of a thread
 * that ended here before) is gone, its area mapped. */
static struct rt_thread *thread_place(void)
{
	for (int i = 1; i < RT_MAX_THREADS; i++) {
		struct rt_thread *t = &rt_threads[i];
		if (t->state == T_GONE && t->cap &&
		    metta_thread_ctl(t->cap, THREAD_STATE, 0) == THREAD_IS_DEAD)
			t->state = T_FREE;
		if (t->state != T_FREE)
			continue;
		if (t->cap) {
			metta_cap_delete(t->cap);
			t->cap = 0;
		}
		if (!t->area) {
			uint32_t m = metta_slot_alloc();
			uint64_t va = RT_THREAD_VA + (uint64_t)i * RT_THREAD_AREA;
			if (metta_mem_create(m, RT_THREAD_PAGES) ||
			    metta_mem_map(CAP_SELF, m, 0, va, RT_THREAD_PAGES,
					  RIGHT_READ | RIGHT_WRITE)) {
				metta_cap_delete(m);
				return 0;
			}
			t->area = (uint8_t *)va;
			t->area_mem = m;
		}
		thread_reset(t, i);
		if (t->event) /* what was meant for the one before */
			metta_event_poll(t->event, ~0ull >> 1);
		return t;
	}
	return 0;
}

void thread_regs(struct metta_regs *r, const struct rt_call *c,
		 uint64_t stack)
{
	*r = (struct metta_regs){
		.rax = 0,
		.rbx = c->rbx,
		.rcx = c->rip,
		.rdx = c->a[2],
		.rsi = c->a[1],
		.rdi = c->a[0],
		.rbp = c->rbp,
		.rsp = stack ? stack : c->rsp,
		.r8 = c->a[4],
		.r9 = c->a[5],
		.r10 = c->a[3],
		.r11 = c->rflags,
		.r12 = c->r12,
		.r13 = c->r13,
		.r14 = c->r14,
		.r15 = c->r15,
		.rip = c->rip,
		.rflags = c->rflags,
	};
}

long thread_clone(uint64_t flags, uint64_t stack, uint64_t ptid,
		  uint64_t ctid, uint64_t tls)
{
	/* A thread shares the signal handlers (Linux's rule for
	 * CLONE_THREAD); a process sharing our memory but not our handlers
	 * is not kept (EINVAL too). */
	if (!(flags & LX_CLONE_SIGHAND) || (flags & LX_CLONE_VFORK))
		return -P9_EINVAL;
	if (!stack)
		return -P9_EINVAL; /* two threads on one stack: not kept */
	/* Linux writes the tids where it can, and makes the thread either
	 * way (a CLEARTID word is tried again at its end). */
	if ((flags & LX_CLONE_PARENT_SETTID) && user_writable(ptid, 4))
		flags &= ~(uint64_t)LX_CLONE_PARENT_SETTID;
	if ((flags & LX_CLONE_CHILD_SETTID) && user_writable(ctid, 4))
		flags &= ~(uint64_t)LX_CLONE_CHILD_SETTID;
	struct rt_thread *me = rt_self(), *t = thread_place();
	if (!t)
		return -P9_EAGAIN;
	thread_tid(me);
	thread_cap(me); /* so that the others can interrupt it */
	event_of(me);	/* and wake it (a process of one thread has none) */
	t->tid = rt_getpid() + ((long)t->idx << RT_TID_SHIFT);
	t->fs_base = flags & LX_CLONE_SETTLS ? tls : me->fs_base;
	t->sigmask = me->sigmask;
	t->clear_tid = flags & LX_CLONE_CHILD_CLEARTID ? ctid : 0;
	thread_regs(&t->full, me->call_now, stack);
	uint32_t cap = metta_slot_alloc();
	struct metta_regs r = { .rip = (uint64_t)rt_resume_full,
				.rsp = t->stack_top,
				.rflags = 0x202,
				.fs_base = t->fs_base,
				.gs_base = (uint64_t)t };
	long rc = metta_thread_create(CAP_SELF, cap, (uint64_t)rt_resume_full,
				      t->stack_top, METTA_PRIO_NORM);
	if (rc == 0)
		rc = metta_thread_ctl(cap, THREAD_SET_REGS, (uint64_t)&r);
	if (rc == 0 && !event_of(t))
		rc = STATUS_ERR_NOMEM;
	if (rc) {
		metta_cap_delete(cap);
		return rc == STATUS_ERR_QUOTA ? -P9_EAGAIN : -P9_ENOMEM;
	}
	t->cap = cap;
	metta_thread_ctl(cap, THREAD_SET_CPU, (uint64_t)least_used_cpu());
	if (flags & LX_CLONE_PARENT_SETTID)
		*(uint32_t *)ptid = (uint32_t)t->tid;
	if (flags & LX_CLONE_CHILD_SETTID)
		*(uint32_t *)ctid = (uint32_t)t->tid;
	t->state = T_LIVE;
	sig_publish();
	metta_thread_ctl(cap, THREAD_START, 0);
	return t->tid;
}

/* ---- the end of a thread, and of the others ---- */

/* The calling thread ends (exit, not exit_group): CLONE_CHILD_CLEARTID's
 * word is cleared and woken (pthread_join waits on it). The last one to
 * end ends the process. */
_Noreturn void thread_exit(int status)
{
	struct rt_thread *t = rt_self();
	if (thread_count() <= 1)
		rt_exit(status);
	if (t->clear_tid && user_writable(t->clear_tid, 4) == 0) {
		__atomic_store_n((uint32_t *)t->clear_tid, 0, __ATOMIC_SEQ_CST);
		futex_wake(t->clear_tid, 1, ~0u);
	}
	t->state = t->idx ? T_GONE : T_FREE; /* the first one's stack is ours */
	sig_publish();
	rt_unlock();
	metta_thread_exit();
	for (;;)
		;
}

void thread_only_me(void)
{
	struct rt_thread *me = rt_self();
	for (int i = 0; i < RT_MAX_THREADS; i++) {
		struct rt_thread *t = &rt_threads[i];
		if (t == me || t->state == T_FREE)
			continue;
		if (t->cap)
			metta_thread_ctl(t->cap, THREAD_KILL, 0);
		t->state = i ? T_GONE : T_FREE;
	}
	me->tid = rt_getpid();
	sig_publish();
}

/*
 * The first runtime code a fork's child runs (rt_fork_entry, entry.S,
 * on the forking thread's stack, which it has a copy of): the other
 * threads are not in it, the lock is its own, and the nucleus objects
 * our table names (events, threads, areas) are the parent's.
 */
void thread_fork_child(void)
{
	struct rt_thread *me = rt_self();
	for (int i = 0; i < RT_MAX_THREADS; i++) {
		struct rt_thread *t = &rt_threads[i];
		if (t == me)
			continue;
		t->area = 0, t->area_mem = 0, t->cap = 0, t->event = 0;
		thread_reset(t, i);
	}
	me->cap = 0, me->event = 0, me->intr = 0;
	me->tid = rt.pid;
	lock.held = 0;
	lock.waiters = 0;
}
