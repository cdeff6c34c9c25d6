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

struct portal {
	struct kobj obj;      /* OBJ_PORTAL */
	struct domain *owner; /* pays for it; its death ends the portal */
	struct portal *owner_next;
	struct thread *servers;		       /* waiting in reply_wait */
	struct thread *callers, *callers_tail; /* queued, in order */
	int dead;
};

/*
 * The current thread, which faulted, calls the portal in `c` with the
 * fault's words and waits for the handler. Returns the handler's answer
 * w[0] (0: resume) in *answer and STATUS_OK, SYSCALL_RESTART if the wait
 * was abandoned (the thread will simply fault again), or an error.
 */
long ipc_fault_call(struct cap *c, const uint64_t words[4], uint64_t *answer);

/* Takes t out of any IPC it is part of (it is dying). */
void ipc_thread_gone(struct thread *t);

/* Abandons t's restartable IPC wait (queued call or receive). */
void ipc_abandon(struct thread *t);

/* Ends every portal d owns: their callers and servers get ERR_DEAD. */
void portals_owner_gone(struct domain *d);

#endif
