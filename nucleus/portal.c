/*
 * Portals and IPC: see portal.h. The transfer is prepared (everything
 * read and checked) and only then performed, so a call either delivers
 * the whole message or fails with nothing moved. sys_call's fastpath is
 * the common case taken straight: words only, a server waiting.
 */
#include <arch/switch.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <aspace_copy.h>
#include <bkl.h>
#include <device.h>
#include <domain.h>
#include <event.h>
#include <kmem.h>
#include <percpu.h>
#include <portal.h>
#include <sched.h>
#include <string/kstring.h>
#include <thread.h>
#include <uaccess.h>

#include <metta/abi.h>
#include <metta/status.h>
#include <metta/syscall_numbers.h>
#include <nucleus/syscall_table.h>

/* A badge's count of capabilities, and the notice when it reaches 0. */
struct badge_ref {
	struct badge_ref *next; /* in its bucket */
	uint64_t badge;
	uint64_t count;
	struct domain *payer; /* who minted the badge */
	struct portal_notice notice;
};

static struct kmem_cache portal_cache;
static struct kmem_cache badge_cache;

static void portal_release(struct kobj *o);
static int portal_badge(struct kobj *o, uint64_t badge, int delta);

/* ---- queues ---- */

static void push_server(struct portal *p, struct thread *t)
{
	t->ipc.portal = p;
	t->ipc.next = p->servers;
	p->servers = t;
}

static struct thread *pop_server(struct portal *p)
{
	struct thread *t = p->servers;
	if (t) {
		p->servers = t->ipc.next;
		t->ipc.next = NULL;
		t->ipc.portal = NULL;
	}
	return t;
}

static void push_caller(struct portal *p, struct thread *t)
{
	t->ipc.portal = p;
	t->ipc.next = NULL;
	if (p->callers_tail)
		p->callers_tail->ipc.next = t;
	else
		p->callers = t;
	p->callers_tail = t;
}

static struct thread *pop_caller(struct portal *p)
{
	struct thread *t = p->callers;
	if (t) {
		p->callers = t->ipc.next;
		if (!p->callers)
			p->callers_tail = NULL;
		t->ipc.next = NULL;
		t->ipc.portal = NULL;
	}
	return t;
}

/* Removes t from whichever queue of its portal holds it. */
static void unqueue(struct thread *t)
{
	struct portal *p = t->ipc.portal;
	if (!p)
		return;
	struct thread *prev = NULL;
	for (struct thread *q = p->callers; q; prev = q, q = q->ipc.next) {
		if (q != t)
			continue;
		if (prev)
			prev->ipc.next = t->ipc.next;
		else
			p->callers = t->ipc.next;
		if (p->callers_tail == t)
			p->callers_tail = prev;
	}
	struct thread **s = &p->servers;
	while (*s && *s != t)
		s = &(*s)->ipc.next;
	if (*s)
		*s = t->ipc.next;
	t->ipc.next = NULL;
	t->ipc.portal = NULL;
}

/* ---- message transfer ---- */

struct transfer {
	struct thread *from, *to;
	struct metta_msg sd, rd; /* the two descriptors (zero if none) */
	int have_rd;
	struct cap *caps[METTA_MSG_MAX_CAPS];
	/* The common case, each of these in one page that is there: where
	 * prepare found them, so that perform walks no page table again
	 * (half of a small message's walks). Set only when nothing was
	 * brought in after they were found; else perform walks. */
	int found;
	const void *send_k; /* the sender's data */
	void *recv_k;	    /* the receiver's buffer */
	void *rdesc_k;	    /* the receiver's descriptor */
};

static int read_desc(struct thread *t, struct metta_msg *m)
{
	*m = (struct metta_msg){ 0 };
	return t->ipc.desc
		   ? aspace_read(t->domain, t->ipc.desc, m, sizeof(*m))
		   : STATUS_OK;
}

/* The receiver's descriptor, from where it will be written if it can. */
static int read_rdesc(struct transfer *x)
{
	struct thread *t = x->to;
	x->rdesc_k = t->ipc.desc ? aspace_reach(t->domain, t->ipc.desc,
						sizeof(x->rd), 1)
				 : NULL;
	if (!x->rdesc_k)
		return read_desc(t, &x->rd);
	memcpy(&x->rd, x->rdesc_k, sizeof(x->rd));
	return STATUS_OK;
}

/* [addr, addr+n) of d checked as aspace_check does; *k where it is when
 * found in one page without bringing anything in, else NULL. */
static int check_found(struct domain *d, uint64_t addr, size_t n, int write,
		       void **k)
{
	*k = aspace_reach(d, addr, n, write);
	return *k ? STATUS_OK : aspace_check(d, addr, n, write);
}

static int check_caps(struct transfer *x)
{
	struct captable *src = &x->from->domain->caps;
	struct captable *dst = &x->to->domain->caps;
	uint32_t n = x->sd.nsend_caps;
	if (n > METTA_MSG_MAX_CAPS || n > x->rd.nrecv_caps ||
	    x->rd.nrecv_caps > METTA_MSG_MAX_CAPS)
		return STATUS_ERR_RANGE;
	for (uint32_t i = 0; i < n; i++) {
		int rc = cap_lookup(src, x->sd.send_caps[i], OBJ_NONE,
				    RIGHT_GRANT, &x->caps[i]);
		if (rc)
			return rc;
		if (!device_cap_allowed(x->caps[i]->obj->type, x->to->domain))
			return STATUS_ERR_DENIED; /* devices go to drivers only
						   */
		uint32_t slot = x->rd.recv_caps[i];
		if (cap_slot_free(dst, slot))
			return STATUS_ERR_BADCAP;
		for (uint32_t j = 0; j < i; j++)
			if (x->rd.recv_caps[j] == slot)
				return STATUS_ERR_INVAL;
	}
	return STATUS_OK;
}

/* Reads and checks everything: after this, perform() cannot fail. */
static int prepare(struct transfer *x)
{
	int rc = read_desc(x->from, &x->sd);
	if (rc)
		return rc;
	if ((rc = read_rdesc(x)))
		return STATUS_ERR_FAULT;
	x->have_rd = x->to->ipc.desc != 0;
	if (x->sd.send_len > METTA_MSG_MAX_DATA)
		return STATUS_ERR_RANGE;
	if (x->sd.send_len > x->rd.recv_size)
		return STATUS_ERR_RANGE; /* the receiver has no room for it */
	void *send_k;
	if ((rc = check_found(x->from->domain, x->sd.send_buf,
			      x->sd.send_len, 0, &send_k)))
		return rc;
	x->send_k = send_k;
	if ((rc = check_found(x->to->domain, x->rd.recv_buf, x->sd.send_len,
			      1, &x->recv_k)))
		return STATUS_ERR_FAULT;
	x->found = (!x->have_rd || x->rdesc_k) &&
		   (!x->sd.send_len || (x->send_k && x->recv_k));
	return check_caps(x);
}

/* The four words travel in rdx, r10, r8, r9 (a faulting thread's in its
 * ipc state: its registers must stay as the fault left them). */
static void move_fault_words(struct thread *from, struct thread *to)
{
	uint64_t w[4];
	if (from->ipc.faulting) {
		memcpy(w, from->ipc.fault_words, sizeof(w));
	} else {
		struct trap_frame *s = from->frame;
		w[0] = s->rdx, w[1] = s->r10, w[2] = s->r8, w[3] = s->r9;
	}
	if (to->ipc.faulting) {
		memcpy(to->ipc.fault_words, w, sizeof(w));
	} else {
		struct trap_frame *d = to->frame;
		d->rdx = w[0], d->r10 = w[1], d->r8 = w[2], d->r9 = w[3];
	}
}

/* Neither is faulting: the words go register to register. */
static inline void copy_words(struct thread *from, struct thread *to)
{
	struct trap_frame *s = from->frame, *d = to->frame;
	d->rdx = s->rdx;
	d->r10 = s->r10;
	d->r8 = s->r8;
	d->r9 = s->r9;
}

static inline void move_words(struct thread *from, struct thread *to)
{
	if (__builtin_expect(from->ipc.faulting | to->ipc.faulting, 0))
		move_fault_words(from, to);
	else
		copy_words(from, to);
}

/* The receiver's two result fields, where prepare found its descriptor. */
static void write_results(struct transfer *x)
{
	char *d = x->rdesc_k;
	memcpy(d + __builtin_offsetof(struct metta_msg, recv_len),
	       &x->rd.recv_len, sizeof(x->rd.recv_len));
	memcpy(d + __builtin_offsetof(struct metta_msg, ncaps_received),
	       &x->rd.ncaps_received, sizeof(x->rd.ncaps_received));
}

static void perform(struct transfer *x)
{
	struct domain *fd = x->from->domain, *td = x->to->domain;
	move_words(x->from, x->to);
	if (x->found && x->sd.send_len)
		memcpy(x->recv_k, x->send_k, x->sd.send_len);
	else if (!x->found)
		aspace_copy(td, x->rd.recv_buf, fd, x->sd.send_buf,
			    x->sd.send_len);
	for (uint32_t i = 0; i < x->sd.nsend_caps; i++)
		cap_insert(&td->caps, x->rd.recv_caps[i], x->caps[i]->obj,
			   x->caps[i]->rights, x->caps[i]->badge, x->caps[i]);
	if (x->have_rd) {
		/* Checked readable by prepare; now the two result fields. */
		x->rd.recv_len = x->sd.send_len;
		x->rd.ncaps_received = x->sd.nsend_caps;
		if (x->found) {
			write_results(x);
			return;
		}
		aspace_write(td,
			     x->to->ipc.desc +
				 __builtin_offsetof(struct metta_msg, recv_len),
			     &x->rd.recv_len, sizeof(x->rd.recv_len));
		aspace_write(
		    td,
		    x->to->ipc.desc +
			__builtin_offsetof(struct metta_msg, ncaps_received),
		    &x->rd.ncaps_received, sizeof(uint32_t));
	}
}

static int transfer_general(struct thread *from, struct thread *to);

/* The common case (words only) inline; the rest in transfer_general. */
static inline int transfer(struct thread *from, struct thread *to)
{
	if (__builtin_expect(!from->ipc.desc || to->ipc.faulting, 1)) {
		move_words(from, to); /* nothing else to check or copy */
		return STATUS_OK;
	}
	return transfer_general(from, to);
}

static int transfer_general(struct thread *from, struct thread *to)
{
	struct transfer x = { .from = from, .to = to };
	int rc = prepare(&x);
	if (rc == STATUS_OK)
		perform(&x);
	return rc;
}

int ipc_transfer(struct thread *from, struct thread *to)
{
	return transfer(from, to);
}

/* ---- pairing ---- */

/* The server takes the call: it runs on the caller's priority. */
static void pair(struct thread *caller, struct thread *server,
		 struct portal *p)
{
	caller->ipc.server = server;
	server->ipc.caller = caller;
	server->ipc.served = p;
	server->frame->rdi = caller->ipc.badge;
	server->ipc.own_level = server->rq.level;
	server->rq.level = caller->rq.level;
	caller->wait = WAIT_REPLY;
}

static void unpair(struct thread *server)
{
	struct thread *caller = server->ipc.caller;
	if (caller)
		caller->ipc.server = NULL;
	server->ipc.caller = NULL;
	server->rq.level = server->ipc.own_level;
}

static void wake_with(struct thread *t, long result)
{
	t->ipc.result = result;
	t->wait = WAIT_NONE;
	sched_wake(t);
}

/* The caller's message has moved to the waiting server: they pair, the
 * server will run (on the caller's CPU), the caller waits for the reply. */
static void deliver(struct thread *caller, struct thread *server,
		    struct portal *p)
{
	pop_server(p);
	pair(caller, server, p);
	caller->state = THREAD_BLOCKED;
	server->ipc.result = STATUS_OK;
	server->wait = WAIT_NONE;
	server->cpu = caller->cpu; /* the call migrates the server to it */
}

/* The reply has moved to s's caller: its call returns STATUS_OK when it
 * runs again (its caller decides when). */
static void answer(struct thread *s, struct thread *caller)
{
	unpair(s);
	caller->ipc.result = STATUS_OK;
	caller->wait = WAIT_NONE;
}

/* s waits at p for the next call. */
static void wait_at(struct portal *p, struct thread *s)
{
	push_server(p, s);
	s->state = THREAD_BLOCKED;
	s->wait = WAIT_RECEIVE;
}

/* ---- calls ---- */

long sys_portal_create(uint32_t dst)
{
	struct domain *d = current_domain();
	int slot_rc = cap_slot_free(&d->caps, dst);
	if (slot_rc)
		return slot_rc;
	if (!portal_cache.size) {
		kmem_cache_init(&portal_cache, "portal", sizeof(struct portal));
		kmem_cache_init(&badge_cache, "badge", sizeof(struct badge_ref));
		kobj_set_release(OBJ_PORTAL, portal_release);
		kobj_set_badge_hook(OBJ_PORTAL, portal_badge);
	}
	void *mem;
	int rc = kmem_alloc(&portal_cache, &d->quota, &mem);
	if (rc)
		return rc;
	kobj_get(&d->obj); /* the owner's accounts outlive the portal */
	struct portal *p = mem;
	*p = (struct portal){ 0 };
	kobj_init(&p->obj, OBJ_PORTAL);
	p->owner = d;
	p->owner_next = d->portals;
	d->portals = p;
	cap_insert(&d->caps, dst, &p->obj, RIGHT_ALL, 0, NULL);
	kobj_put(&p->obj); /* the slot holds it now */
	return STATUS_OK;
}

static void call_timeout(struct timer *tm)
{
	struct thread *t = container_of(tm, struct thread, timer);
	if (t->wait != WAIT_CALL)
		return;
	unqueue(t);
	wake_with(t, STATUS_ERR_TIMEOUT);
}

static uint64_t call_timeout_us(struct thread *t)
{
	struct metta_msg m;
	if (!t->ipc.desc || read_desc(t, &m))
		return 0;
	return m.timeout_us;
}

/* Waits until the call is answered (or fails); returns its result. */
static long call_block(struct thread *t, struct portal *p, const uint64_t *a)
{
	if (thread_take_intr(t))
		return STATUS_ERR_INTR; /* interrupted before it queued */
	push_caller(p, t);
	t->state = THREAD_BLOCKED;
	t->wait = WAIT_CALL;
	uint64_t us = call_timeout_us(t);
	if (us)
		timer_arm(&t->timer, clock_ns() + us * 1000, call_timeout);
	schedule();
	timer_cancel(&t->timer);
	if (t->restart) {
		t->restart = 0;
		syscall_restart(t, SYS_call, a[0]);
		return SYSCALL_RESTART;
	}
	return t->ipc.result;
}

long sys_call(const uint64_t *a)
{
	struct thread *t = current_thread();
	struct cap *c;
	int rc = cap_lookup(&t->domain->caps, (uint32_t)a[0], OBJ_PORTAL,
			    RIGHT_CALL, &c);
	if (rc)
		return rc;
	struct portal *p = container_of(c->obj, struct portal, obj);
	if (p->dead)
		return STATUS_ERR_DEAD;
	t->ipc.desc = a[1];
	t->ipc.badge = c->badge;
	t->ipc.result = STATUS_OK;
	struct thread *server = p->servers;
	if (!server)
		return call_block(t, p, a);
	if ((rc = transfer(t, server)))
		return rc; /* nothing moved; the server keeps waiting */
	deliver(t, server, p);
	sched_switch_to(server); /* back here with the reply */
	return t->ipc.result;
}

long ipc_fault_call(struct cap *c, const uint64_t words[4], uint64_t *answer)
{
	struct thread *t = current_thread();
	struct portal *p = container_of(c->obj, struct portal, obj);
	if (p->dead)
		return STATUS_ERR_DEAD;
	t->ipc.faulting = 1;
	memcpy(t->ipc.fault_words, words, sizeof(t->ipc.fault_words));
	t->ipc.desc = 0;
	t->ipc.badge = c->badge;
	t->ipc.result = STATUS_OK;
	struct thread *server = p->servers;
	if (server) {
		transfer(t, server); /* words only: cannot fail */
		deliver(t, server, p);
		sched_switch_to(server);
	} else {
		push_caller(p, t);
		t->state = THREAD_BLOCKED;
		t->wait = WAIT_CALL;
		schedule();
	}
	t->ipc.faulting = 0;
	if (t->restart) {
		t->restart = 0;
		return SYSCALL_RESTART;
	}
	*answer = t->ipc.fault_words[0];
	return t->ipc.result;
}

/*
 * Answers the current caller, if any: 0 with the answered caller (still
 * blocked: the caller of this decides how it runs again) in *answered,
 * or an error with the caller still waiting (the reply did not fit, say).
 */
static int reply_to_caller(struct thread *s, struct thread **answered)
{
	struct thread *caller = s->ipc.caller;
	*answered = NULL;
	if (!caller) {
		s->rq.level = thread_level(s);
		return STATUS_OK;
	}
	int rc = transfer(s, caller);
	if (rc)
		return rc;
	answer(s, caller);
	*answered = caller;
	return STATUS_OK;
}

/* Takes the next queued caller whose message fits; 1 if one was taken. */
static int take_queued_caller(struct thread *s, struct portal *p)
{
	struct thread *caller;
	while ((caller = pop_caller(p))) {
		timer_cancel(&caller->timer);
		int rc = transfer(caller, s);
		if (rc == STATUS_OK) {
			pair(caller, s, p);
			return 1;
		}
		wake_with(caller, rc); /* its call fails; the next may fit */
	}
	return 0;
}

long sys_reply_wait(const uint64_t *a)
{
	struct thread *s = current_thread();
	struct cap *c;
	int rc = cap_lookup(&s->domain->caps, (uint32_t)a[0], OBJ_PORTAL,
			    RIGHT_SERVE, &c);
	if (rc)
		return rc;
	struct portal *p = container_of(c->obj, struct portal, obj);
	s->ipc.desc = a[1];
	struct thread *caller;
	if ((rc = reply_to_caller(s, &caller)))
		return rc;
	if (p->dead || take_queued_caller(s, p)) {
		/* We carry on (with a new message in our registers, or to
		 * report the dead portal); the answered caller queues up. */
		if (caller)
			sched_wake(caller);
		return p->dead ? STATUS_ERR_DEAD : STATUS_OK;
	}
	if (thread_take_intr(s)) {
		if (caller)
			sched_wake(caller);
		return STATUS_ERR_INTR;
	}
	wait_at(p, s);
	/* Straight back to the caller we answered, on its own time. */
	if (caller && caller->cpu == s->cpu)
		sched_switch_to(caller);
	else {
		if (caller)
			sched_wake(caller);
		schedule();
	}
	if (s->restart) {
		s->restart = 0;
		syscall_restart(s, SYS_reply_wait, a[0]);
		return SYSCALL_RESTART;
	}
	return s->ipc.result;
}

long sys_reply(const uint64_t *a)
{
	struct thread *s = current_thread(), *caller;
	s->ipc.desc = a[1];
	if (!s->ipc.caller)
		return STATUS_ERR_NOENT;
	int rc = reply_to_caller(s, &caller);
	if (rc == STATUS_OK && caller)
		sched_wake(caller);
	return rc;
}

/* ---- the fastpath ---- */

/*
 * seL4's fastpath.c is the model: the common case of call and reply_wait
 * (words only, the other party blocked in its own call or reply_wait on
 * this CPU, nothing pending for either) done in a short straight path,
 * whose preconditions are checked before anything changes; anything else
 * (a message descriptor: buffers, capabilities, timeouts; a queued caller;
 * a dead portal; an interrupt, suspension or restart pending; another CPU;
 * a fault) goes the general way, sys_call and sys_reply_wait, which stay
 * the reference: the results are the same (tests/user/nfast.c compares).
 *
 * What it saves is the context switch: the thread it switches to is blocked
 * in a call whose only work left is to return its result, so it leaves for
 * user mode straight from its saved registers, and the thread that blocks
 * keeps nothing on its nucleus stack. If the general path switches back to
 * such a thread, arch_switch makes it resume in ipc_fast_resume, which
 * finishes its call as sys_call or sys_reply_wait would have.
 */

/* How many calls from SYS_call on syscall_entry sends here: call and
 * reply_wait, or none ("fastpath=off" on the command line). */
uint64_t ipc_fastpath_span = SYS_reply_wait - SYS_call + 1;
_Static_assert(SYS_reply_wait == SYS_call + 1,
	       "the fastpath takes these two numbers and no other");

/*
 * Whether `to`, blocked in a call or reply_wait, can leave straight by its
 * saved registers on this CPU: nothing but its result is left to do. (A
 * blocked thread is in no run queue, and its frame is its call's, at the
 * top of its nucleus stack.)
 */
static inline int resumable(const struct thread *to, const struct cpu *c)
{
	return to->cpu == c && to->state == THREAD_BLOCKED &&
	       !(to->restart | to->suspend_pending | to->ipc.faulting);
}

/* The portal in `slot` of t's table, alive, if t has `right` to it. */
static inline struct portal *fast_portal(struct thread *t, uint64_t slot,
					 uint32_t right, struct cap **cap)
{
	if (cap_lookup(&t->domain->caps, (uint32_t)slot, OBJ_PORTAL, right,
		       cap))
		return NULL;
	struct portal *p = container_of((*cap)->obj, struct portal, obj);
	return p->dead ? NULL : p;
}

/* t has blocked in its call `nr`; `to` runs now, its call returning its
 * result. */
static inline struct trap_frame *fast_switch(struct cpu *c, struct thread *t,
					     struct thread *to, uint64_t nr)
{
	t->ipc.resume_nr = nr;
	to->state = THREAD_RUNNING;
	to->frame->rax = (uint64_t)to->ipc.result;
	c->current = to;
	c->fastpath_calls++; /* (counted with calls by sys_stats) */
	arch_switch_direct(c, t, to);
	struct trap_frame *out = to->frame;
	if (!out)
		__builtin_unreachable(); /* a blocked thread's call's frame */
	return out; /* the big lock is let go on to's stack */
}

/* sys_call when a server waits (transfer's words-only case). */
static inline struct trap_frame *fast_call(struct cpu *c, struct thread *t,
					   struct trap_frame *f)
{
	struct cap *cap;
	struct portal *p = fast_portal(t, f->rdi, RIGHT_CALL, &cap);
	struct thread *server = p ? p->servers : NULL;
	if (!server || !resumable(server, c))
		return NULL;
	t->frame = f;
	t->ipc.desc = 0;
	t->ipc.badge = cap->badge;
	t->ipc.result = STATUS_OK;
	copy_words(t, server); /* (t is in a call: not faulting) */
	deliver(t, server, p);
	return fast_switch(c, t, server, SYS_call);
}

/* sys_reply_wait with a caller to answer and none queued. */
static inline struct trap_frame *
fast_reply_wait(struct cpu *c, struct thread *t, struct trap_frame *f)
{
	struct cap *cap;
	struct portal *p = fast_portal(t, f->rdi, RIGHT_SERVE, &cap);
	struct thread *caller = t->ipc.caller;
	if (!p || !caller || caller->wait != WAIT_REPLY || p->callers ||
	    t->ipc.intr_pending || !resumable(caller, c))
		return NULL; /* or another call, or ERR_INTR, is due */
	t->frame = f;
	t->ipc.desc = 0;
	copy_words(t, caller);
	answer(t, caller);
	wait_at(p, t);
	return fast_switch(c, t, caller, SYS_reply_wait);
}

/*
 * syscall_entry has checked the call's number and that it has no
 * descriptor (buffers, capabilities, a timeout), and taken the big lock.
 * (Without a frame pointer: it calls nothing a backtrace would go through,
 * and nothing at all, so that it needs none of the registers a call keeps:
 * the entry has them in the frame.)
 */
__attribute__((optimize("omit-frame-pointer"))) struct trap_frame *
ipc_fastpath(struct trap_frame *f)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->current;
	struct trap_frame *to = NULL;
	/* (A thread killed from another CPU while it waited for the lock is
	 * not running: syscall_dispatch's business.) */
	if (__builtin_expect(!c->need_resched && t->state == THREAD_RUNNING,
			     1)) {
		to = f->rax == SYS_call ? fast_call(c, t, f)
					: fast_reply_wait(c, t, f);
		if (__builtin_expect(to != NULL, 1))
			return to;
	}
	bkl_unlock(); /* nothing changed: syscall_dispatch takes the call */
	return NULL;
}

void ipc_fast_resume(void)
{
	sched_finish_switch();
	struct thread *t = current_thread();
	if (t->restart && t->ipc.resume_nr == SYS_reply_wait) {
		/* As sys_reply_wait: an abandoned wait is made again (its
		 * first argument is still in place). */
		t->restart = 0;
		syscall_restart(t, SYS_reply_wait, t->frame->rdi);
	} else {
		t->frame->rax = (uint64_t)t->ipc.result;
	}
	return_to_user();
}

/* ---- ends ---- */

void ipc_abandon(struct thread *t)
{
	/* (event waits are event_abandon's) */
	if (t->wait == WAIT_CALL || t->wait == WAIT_RECEIVE)
		unqueue(t);
}

void ipc_thread_gone(struct thread *t)
{
	/* Its own call, if it was making one... */
	if (t->wait == WAIT_HELD) {
		reply_detach(t); /* its server is told */
	} else if (t->wait != WAIT_EVENT) { /* (event_abandon's business) */
		unqueue(t);
		if (t->wait == WAIT_REPLY && t->ipc.server) {
			/* A caller died mid-call: its server will find no
			 * one. */
			t->ipc.server->ipc.caller = NULL;
			t->ipc.server = NULL;
		}
	}
	/* ...and the call it was serving, whatever it waited for. */
	struct thread *caller = t->ipc.caller;
	if (caller) {
		/* A server died mid-call: its caller gets an error. */
		unpair(t);
		wake_with(caller, STATUS_ERR_DEAD);
	}
}

static void portal_end(struct portal *p)
{
	if (p->dead)
		return;
	p->dead = 1;
	struct thread *t;
	while ((t = pop_caller(p))) {
		timer_cancel(&t->timer);
		wake_with(t, STATUS_ERR_DEAD);
	}
	while ((t = pop_server(p)))
		wake_with(t, STATUS_ERR_DEAD);
}

void portals_owner_gone(struct domain *d)
{
	for (struct portal *p = d->portals; p; p = p->owner_next)
		portal_end(p);
}

/* ---- notices: cancelled calls and badges gone ---- */

static struct badge_ref **bucket(struct portal *p, uint64_t badge)
{
	return &p->badges[(badge ^ (badge >> 17)) % PORTAL_BADGE_BUCKETS];
}

static struct badge_ref **find_badge(struct portal *p, uint64_t badge)
{
	struct badge_ref **b = bucket(p, badge);
	while (*b && (*b)->badge != badge)
		b = &(*b)->next;
	return b;
}

static void badge_free(struct badge_ref *b)
{
	struct domain *payer = b->payer;
	kmem_free(&badge_cache, &payer->quota, b);
	kobj_put(&payer->obj);
}

/*
 * A new badge (a mint) costs a small record, paid by the portal's owner
 * (its creator) while it lives: the record lives with the portal, and a
 * minter that is not the owner (a driver serving the portal its nester
 * keeps across its restarts) would otherwise be kept, quota and all,
 * after its death by every client still holding one of its badges.
 */
static int badge_new(struct portal *p, uint64_t badge)
{
	struct domain *d =
	    p->owner && !p->owner->dead ? p->owner : current_domain();
	void *mem;
	int rc = kmem_alloc(&badge_cache, &d->quota, &mem);
	if (rc)
		return rc;
	struct badge_ref *b = mem;
	*b = (struct badge_ref){ .badge = badge, .count = 1, .payer = d };
	b->notice.kind = PORTAL_GONE;
	b->notice.value = badge;
	kobj_get(&d->obj);
	b->next = *bucket(p, badge);
	*bucket(p, badge) = b;
	return STATUS_OK;
}

static int portal_badge(struct kobj *o, uint64_t badge, int delta)
{
	struct portal *p = container_of(o, struct portal, obj);
	struct badge_ref **pb = find_badge(p, badge), *b = *pb;
	if (delta > 0) {
		if (!b)
			return badge_new(p, badge);
		b->count++;
		return STATUS_OK;
	}
	if (!b || --b->count)
		return STATUS_OK;
	*pb = b->next;
	if (p->watch && !p->dead)
		portal_notify(p, &b->notice); /* freed when read */
	else
		badge_free(b);
	return STATUS_OK;
}

void portal_notify(struct portal *p, struct portal_notice *n)
{
	if (n->queued || !p->watch)
		return;
	n->next = NULL;
	n->queued = 1;
	if (p->notices_tail)
		p->notices_tail->next = n;
	else
		p->notices = n;
	p->notices_tail = n;
	event_raise(container_of(p->watch, struct event, obj), p->watch_bits);
}

void portal_unnotify(struct portal *p, struct portal_notice *n)
{
	if (!n->queued)
		return;
	struct portal_notice *prev = NULL;
	for (struct portal_notice *q = p->notices; q; prev = q, q = q->next) {
		if (q != n)
			continue;
		if (prev)
			prev->next = n->next;
		else
			p->notices = n->next;
		if (p->notices_tail == n)
			p->notices_tail = prev;
		break;
	}
	n->next = NULL;
	n->queued = 0;
}

/* The record a notice is part of goes with it (badges), or stays with
 * its reply capability (cancelled calls). */
static void notice_taken(struct portal_notice *n)
{
	if (n->kind == PORTAL_GONE)
		badge_free(container_of(n, struct badge_ref, notice));
}

long sys_portal_watch(uint32_t portal, uint32_t event, uint64_t bits)
{
	struct captable *t = &current_domain()->caps;
	struct cap *pc, *ec;
	int rc = cap_lookup(t, portal, OBJ_PORTAL, RIGHT_SERVE, &pc);
	if (rc || (rc = cap_lookup(t, event, OBJ_EVENT, RIGHT_WRITE, &ec)))
		return rc;
	if (bits == 0 || (bits >> 63))
		return STATUS_ERR_INVAL;
	struct portal *p = container_of(pc->obj, struct portal, obj);
	if (p->watch)
		kobj_put(p->watch);
	kobj_get(ec->obj);
	p->watch = ec->obj;
	p->watch_bits = bits;
	if (p->notices) /* some came before: say so */
		event_raise(container_of(p->watch, struct event, obj), bits);
	return STATUS_OK;
}

long sys_portal_notice(uint32_t portal, uint64_t out)
{
	struct cap *pc;
	int rc = cap_lookup(&current_domain()->caps, portal, OBJ_PORTAL,
			    RIGHT_SERVE, &pc);
	if (rc)
		return rc;
	struct portal *p = container_of(pc->obj, struct portal, obj);
	struct portal_notice *n = p->notices;
	if (!n)
		return 0;
	struct metta_notice m = { n->kind, n->value };
	if ((rc = copy_to_user(out, &m, sizeof(m))))
		return rc; /* it stays queued */
	portal_unnotify(p, n);
	notice_taken(n);
	return 1;
}

/* Everything a dead portal still keeps: notices and badge counts. */
static void portal_clear(struct portal *p)
{
	while (p->notices) {
		struct portal_notice *n = p->notices;
		portal_unnotify(p, n);
		notice_taken(n);
	}
	for (int i = 0; i < PORTAL_BADGE_BUCKETS; i++)
		while (p->badges[i]) {
			struct badge_ref *b = p->badges[i];
			p->badges[i] = b->next;
			badge_free(b);
		}
	if (p->watch)
		kobj_put(p->watch);
	p->watch = NULL;
}

static void portal_release(struct kobj *o)
{
	struct portal *p = container_of(o, struct portal, obj);
	struct domain *d = p->owner;
	portal_end(p);
	portal_clear(p);
	struct portal **q = &d->portals;
	while (*q && *q != p)
		q = &(*q)->owner_next;
	if (*q)
		*q = p->owner_next;
	kmem_free(&portal_cache, &d->quota, p);
	kobj_put(&d->obj);
}

void portal_each_badge(struct portal *p,
		       void (*fn)(struct domain *payer, uint64_t badge,
				  uint64_t count, int gone, void *arg),
		       void *arg)
{
	for (int i = 0; i < PORTAL_BADGE_BUCKETS; i++)
		for (struct badge_ref *b = p->badges[i]; b; b = b->next)
			fn(b->payer, b->badge, b->count, 0, arg);
	/* A badge whose last capability went waits as a notice, unread (a
	 * new capability with that badge since has a new record). */
	for (struct portal_notice *n = p->notices; n; n = n->next) {
		struct badge_ref *b = container_of(n, struct badge_ref, notice);
		if (n->kind == PORTAL_GONE && *find_badge(p, b->badge) != b)
			fn(b->payer, b->badge, b->count, 1, arg);
	}
}
