/*
 * Reply capabilities: answering a call later (seL4's reply objects,
 * Minix's "answer later"). A server thread that cannot answer its caller
 * now (an empty pipe, a console read) turns the caller into a reply
 * capability with reply_save and goes on serving; any thread of the server
 * answers it later with reply_send, which consumes the capability.
 *
 * A held caller can be interrupted (THREAD_INTERRUPT, suspended, killed):
 * its call returns ERR_INTR (or it dies) at once, and the server finds a
 * PORTAL_CANCELLED notice with the cookie it chose on the portal the call
 * came through; the reply capability is dead from then on. If the server
 * drops its last reply capability unanswered, the caller gets ERR_DEAD.
 */
#include <bkl.h>
#include <domain.h>
#include <kmem.h>
#include <portal.h>
#include <sched.h>
#include <thread.h>

#include <metta/abi.h>
#include <metta/status.h>
#include <nucleus/syscall_table.h>

static struct kmem_cache reply_cache;

static void wake(struct thread *t, long result)
{
	t->ipc.held = NULL;
	t->ipc.result = result;
	t->wait = WAIT_NONE;
	sched_wake(t);
}

static void reply_release(struct kobj *o)
{
	struct reply *r = container_of(o, struct reply, obj);
	struct domain *payer = r->payer;
	if (r->caller)
		wake(r->caller, STATUS_ERR_DEAD); /* never to be answered */
	portal_unnotify(r->portal, &r->notice);
	kobj_put(&r->portal->obj);
	kmem_free(&reply_cache, &payer->quota, r);
	kobj_put(&payer->obj);
}

void reply_detach(struct thread *t)
{
	struct reply *r = t->ipc.held;
	r->caller = NULL;
	t->ipc.held = NULL;
	portal_notify(r->portal, &r->notice);
}

void reply_interrupt(struct thread *t)
{
	reply_detach(t);
	wake(t, STATUS_ERR_INTR);
}

long sys_reply_save(uint32_t dst, uint64_t cookie)
{
	struct thread *s = current_thread();
	struct domain *d = s->domain;
	struct thread *caller = s->ipc.caller;
	if (!caller)
		return STATUS_ERR_NOENT;
	if (caller->ipc.faulting)
		return STATUS_ERR_INVAL; /* a fault is answered while it waits */
	int rc = cap_slot_free(&d->caps, dst);
	if (rc)
		return rc;
	if (!reply_cache.size) {
		kmem_cache_init(&reply_cache, "reply", sizeof(struct reply));
		kobj_set_release(OBJ_REPLY, reply_release);
	}
	void *mem;
	if ((rc = kmem_alloc(&reply_cache, &d->quota, &mem)))
		return rc;
	struct reply *r = mem;
	*r = (struct reply){ .caller = caller, .portal = s->ipc.served,
			     .payer = d };
	kobj_init(&r->obj, OBJ_REPLY);
	r->notice.kind = PORTAL_CANCELLED;
	r->notice.value = cookie;
	kobj_get(&d->obj);
	kobj_get(&r->portal->obj);
	/* The server thread is free again, at its own level. */
	s->ipc.caller = NULL;
	s->rq.level = s->ipc.own_level;
	caller->ipc.server = NULL;
	caller->ipc.held = r;
	caller->wait = WAIT_HELD;
	cap_insert(&d->caps, dst, &r->obj, RIGHT_WRITE | RIGHT_GRANT, 0, NULL);
	kobj_put(&r->obj); /* the slot holds it now */
	/* Interrupted while the server decided: fail it now. */
	if (thread_take_intr(caller))
		reply_interrupt(caller);
	return STATUS_OK;
}

/* reply_send(reply, msg), words in registers as for reply. */
long sys_reply_send(const uint64_t *a)
{
	struct thread *s = current_thread();
	struct captable *t = &s->domain->caps;
	struct cap *c;
	int rc = cap_lookup(t, (uint32_t)a[0], OBJ_REPLY, RIGHT_WRITE, &c);
	if (rc)
		return rc;
	struct reply *r = container_of(c->obj, struct reply, obj);
	struct thread *caller = r->caller;
	if (!caller) {
		cap_delete(t, (uint32_t)a[0]); /* cancelled: nobody to answer */
		return STATUS_ERR_INTR;
	}
	s->ipc.desc = a[1];
	if ((rc = ipc_transfer(s, caller)))
		return rc; /* nothing moved; the caller still waits */
	r->caller = NULL;
	wake(caller, STATUS_OK);
	cap_delete(t, (uint32_t)a[0]);
	return STATUS_OK;
}
