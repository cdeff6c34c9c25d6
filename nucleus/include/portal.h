/*
 * Portals: entry points into servers (Amoeba's trans/getreq/putrep, with
 * L4's direct switch). A client `call`s; a server thread `reply_wait`s:
 * it replies to its last caller and waits for the next. The caller's
 * time slice and priority go with the call until the reply (migrating
 * threads). A message is four register words, optionally a data buffer
 * copied once from the sender's memory into the receiver's, and a few
 * capabilities; it is checked whole before anything moves.
 */
#ifndef NUCLEUS_PORTAL_H
#define NUCLEUS_PORTAL_H

#include <cap.h>

struct domain;
struct thread;

/* Something the portal's server is told (metta/abi.h PORTAL_*). */
struct portal_notice {
	struct portal_notice *next;
	uint64_t kind, value;
	int queued;
};

#define PORTAL_BADGE_BUCKETS 16
struct badge_ref;

struct portal {
	struct kobj obj;      /* OBJ_PORTAL */
	struct domain *owner; /* pays for it; its death ends the portal */
	struct portal *owner_next;
	struct thread *servers;		       /* waiting in reply_wait */
	struct thread *callers, *callers_tail; /* queued, in order */
	int dead;
	struct kobj *watch; /* event signalled when a notice is queued */
	uint64_t watch_bits;
	struct portal_notice *notices, *notices_tail;
	/* Badged capabilities to this portal, counted per badge. */
	struct badge_ref *badges[PORTAL_BADGE_BUCKETS];
};

/*
 * A held call (OBJ_REPLY): the caller, blocked in WAIT_HELD until a
 * thread of the server answers through the reply capability, or it is
 * interrupted (the server gets a PORTAL_CANCELLED notice), or the last
 * reply capability goes unanswered (the caller gets ERR_DEAD).
 */
struct reply {
	struct kobj obj;
	struct thread *caller; /* NULL once answered, cancelled or gone */
	struct portal *portal; /* referenced: where the call came in */
	struct domain *payer;
	struct portal_notice notice;
};

/*
 * The current thread, which faulted, calls the portal in `c` with the
 * fault's words and waits for the handler. Returns the handler's answer
 * w[0] (0: resume) in *answer and STATUS_OK, SYSCALL_RESTART if the wait
 * was abandoned (the thread will simply fault again), or an error.
 */
long ipc_fault_call(struct cap *c, const uint64_t words[4], uint64_t *answer);

/*
 * The fastpath of call and reply_wait (portal.c), called from the syscall
 * entry with f the current thread's call (words only) and the big lock
 * taken: either does the call and switches to the thread that runs next, returning that
 * thread's frame to leave the nucleus by (the entry code lets the lock go
 * once it is on that thread's stack), or lets the lock go having changed
 * nothing and returns NULL (syscall_dispatch then takes the call).
 */
struct trap_frame *ipc_fastpath(struct trap_frame *f);
/* A thread the fastpath switched away from, switched in by the general
 * path: finishes its call (from arch code, on its own stack). */
void ipc_fast_resume(void);
extern uint64_t ipc_fastpath_span;

/* Takes t out of any IPC it is part of (it is dying). */
void ipc_thread_gone(struct thread *t);

/* Abandons t's restartable IPC wait (queued call or receive). */
void ipc_abandon(struct thread *t);

/* Moves words (and the message, when there is one) from one thread to
 * another, checked first: 0 or an error with nothing moved. */
int ipc_transfer(struct thread *from, struct thread *to);

/* Queues n for p's server and signals its watch event, if any. */
void portal_notify(struct portal *p, struct portal_notice *n);
/* Takes n off p's queue, if it is there. */
void portal_unnotify(struct portal *p, struct portal_notice *n);

/* t's held call (WAIT_HELD) is given up: its server is told. */
void reply_detach(struct thread *t);
/* ...and t returns ERR_INTR from it. */
void reply_interrupt(struct thread *t);

/* Calls fn on each badge record of p (the consistency check): who pays
 * for it, its badge, how many capabilities carry it, and whether it is
 * a gone badge's record waiting as a notice (its count no longer kept). */
void portal_each_badge(struct portal *p,
		       void (*fn)(struct domain *payer, uint64_t badge,
				  uint64_t count, int gone, void *arg),
		       void *arg);

/* Ends every portal d owns: their callers and servers get ERR_DEAD. */
void portals_owner_gone(struct domain *d);

#endif
