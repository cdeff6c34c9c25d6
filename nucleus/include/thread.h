/*
 * Threads: a register context that runs in a domain (or, for the idle
 * threads, in the nucleus alone). Each has its own nucleus stack, on which
 * its user registers are saved while it is inside the nucleus.
 */
#ifndef NUCLEUS_THREAD_H
#define NUCLEUS_THREAD_H

#include <arch/thread.h>
#include <cap.h>
#include <percpu.h>
#include <sched.h>
#include <stdint.h>
#include <timer.h>

/* The same numbers as THREAD_IS_* in metta/abi.h. */
enum thread_state {
	THREAD_NEW,
	THREAD_READY,
	THREAD_RUNNING,
	THREAD_BLOCKED,
	THREAD_SUSPENDED,
	THREAD_DEAD,
};

struct domain;

struct trap_frame;
struct portal;
struct reply;

/* What a blocked thread waits for. */
enum wait_kind {
	WAIT_NONE,
	WAIT_SLEEP,   /* sleep: can be abandoned and restarted */
	WAIT_CALL,    /* call, queued at a portal: can be restarted */
	WAIT_RECEIVE, /* reply_wait, waiting for a caller: can be restarted */
	WAIT_REPLY,   /* call, delivered: runs to its reply */
	WAIT_EVENT,   /* event_wait: can be restarted */
	WAIT_HELD,    /* call, held by its server (a reply capability):
			 interrupting it fails it with ERR_INTR */
};

/* A thread's part in IPC (nucleus/portal.c). */
struct ipc_state {
	struct portal *portal;	/* queued at (caller) or waiting at (server) */
	struct thread *next;	/* link in that portal's queue */
	/* A thread may be both at once: a server that calls another server
	 * while it serves a caller (a nested call). */
	struct thread *server; /* as a caller: who serves its call now */
	struct thread *caller; /* as a server: whom it serves now */
	uint64_t desc;		/* its struct metta_msg, or 0: words only */
	uint64_t badge;		/* caller: badge of the capability it used */
	int own_level;		/* server: its level before taking a call */
	long result;		/* what its blocked call returns */
	int faulting;		/* a fault call: words in fault_words */
	uint64_t fault_words[4];
	struct portal *served; /* server: where its current call came in */
	struct reply *held;    /* caller: the reply capability holding it */
	int intr_pending;      /* THREAD_INTERRUPT met no interruptible call */
	uint64_t resume_nr;    /* the call the fastpath left it in */
};

struct thread {
	struct rq_node rq; /* first: a run queue node is its thread */
	struct kobj obj;   /* OBJ_THREAD */
	enum thread_state state;
	int id;
	int prio;
	struct domain *domain; /* NULL for a nucleus thread */
	struct thread *domain_next;
	struct cpu *cpu;
	uint64_t saved_rsp; /* while switched out */
	uint64_t kstack_top;
	struct timer timer;	  /* sleeps and timeouts */
	struct trap_frame *frame; /* its user registers, while in the nucleus */
	enum wait_kind wait;	  /* while THREAD_BLOCKED */
	struct kobj *wait_ref;	  /* what its event wait holds: let go by
				   * thread_kill if it never comes back */
	struct ipc_state ipc;
	int suspend_pending; /* suspend on the way out of the nucleus */
	int restart;	     /* abandon the blocking call; restart it */
	struct arch_thread arch;
};

static inline struct thread *thread_of(struct rq_node *n)
{
	return (struct thread *)n;
}

static inline struct thread *current_thread(void)
{
	return this_cpu()->current;
}

/* The scheduling level of t (see sched.h). */
int thread_level(const struct thread *t);

/*
 * A new thread in domain d that will start in user mode at entry with the
 * given stack pointer; charged to d's quota. It starts when woken.
 * Returns 0, STATUS_ERR_QUOTA or STATUS_ERR_NOMEM (nothing allocated).
 */
int thread_create_user(struct domain *d, uint64_t entry, uint64_t stack,
		       int prio, struct thread **out);

/* Ends t: removes it from queues and timers; its resources go at once
 * unless it is running, in which case the next thread on this CPU frees
 * them. The struct stays while capabilities refer to it. */
void thread_kill(struct thread *t);

/* Frees the resources of a dead thread no longer running anywhere. */
void thread_reap(struct thread *t);

/*
 * Makes t, blocked in a call, leave it: the call is abandoned so that
 * it restarts from the beginning when t next returns to user mode
 * (Fluke's atomic calls).
 */
void thread_interrupt_call(struct thread *t);

/* Whether an interrupt (THREAD_INTERRUPT) waits for t's next wait: it is
 * taken (the wait is to return STATUS_ERR_INTR at once). */
int thread_take_intr(struct thread *t);

/* On the way out to user mode: a pending suspension takes effect. */
void thread_check_suspend(void);

/* Makes the code running now this CPU's idle thread. */
struct thread *thread_adopt_idle(struct cpu *c, uint64_t stack_top);

#endif
