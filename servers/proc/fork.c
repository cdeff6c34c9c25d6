/*
 * fork and wait, the process server's part.
 *
 * A fork is two requests from the parent's runtime: NESTER_FORK makes the
 * child's domain (paid by us, like every process, so that it outlives its
 * parent), its record (a new pid; the parent's group, session, names and
 * namespace) and its environment, and hands the parent a CONTROL
 * capability to it; the parent then gives it its memory and capabilities
 * (runtime/fork.c) and asks NESTER_FORK_START with the registers the
 * child starts with, and we start its thread (so the thread is ours to
 * signal and suspend, as every process's is). A child whose parent ends
 * or gives up before starting it goes with it.
 *
 * wait4 and waitid are NESTER_WAIT: answered at once when a child the
 * caller asks for has changed (ended: a zombie; stopped or continued: its
 * report), else held (server_hold) until one does, or the caller is
 * interrupted (a signal: the notice's cookie reaches the server thread as
 * NESTER_CANCELLED). A parent with no such child gets ECHILD.
 */
#include <9p/portal.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <metta/signals.h>
#include <server/server.h>
#include <string/kstring.h>

#include "proc.h"

#define FORK_QUOTA  (32 << 20)
#define KILLED	    METTA_EXIT_SIGNAL(LX_SIGKILL)
#define MAX_WAITERS 32

/* A held wait: who, for which children, how to answer. */
struct waiter {
	int used;
	int pid;      /* the parent waiting */
	int64_t spec; /* Linux's pid argument */
	uint64_t opts;
	uint64_t cookie;
	uint32_t reply;
};
static struct waiter waiters[MAX_WAITERS];
static uint64_t next_cookie = 1;

/* ---- fork ---- */

static void copy_description(struct process *p, const struct process *from)
{
	p->native = 0;
	p->ppid = from->pid;
	p->start_ns = (uint64_t)metta_clock();
	memcpy(p->comm, from->comm, sizeof(p->comm));
	memcpy(p->exe, from->exe, sizeof(p->exe));
	memcpy(p->cmdline, from->cmdline, sizeof(p->cmdline));
	p->cmdline_len = from->cmdline_len;
	memcpy(p->ns, from->ns, sizeof(p->ns));
	memcpy(p->cwd, from->cwd, sizeof(p->cwd));
	p->nice = from->nice;
}

long fork_op_fork(struct server_call *c)
{
	struct process *parent = proc_caller(c);
	if (!parent || parent->native)
		return STATUS_ERR_DENIED;
	struct process *p = proc_new_record();
	if (!p)
		return STATUS_ERR_QUOTA; /* EAGAIN: the table is full */
	p->domain = metta_slot_alloc();
	long rc = metta_domain_create(p->domain, METTA_CLASS_APPLICATION,
				      METTA_PRIO_NORM, FORK_QUOTA);
	if (rc)
		return rc;
	/* Its thread now (its registers come with NESTER_FORK_START), so
	 * that its slot is taken from the start. */
	p->thread = metta_slot_alloc();
	if ((rc = metta_thread_create(p->domain, p->thread, 0, 0,
				      METTA_PRIO_NORM))) {
		metta_cap_delete(p->domain);
		return rc;
	}
	struct metta_domain_info d;
	metta_domain_info(p->domain, &d);
	metta_domain_set_name(p->domain, parent->comm, strlen(parent->comm));
	p->domain_id = d.id;
	p->pid = proc_next_pid();
	copy_description(p, parent);
	p->state = PROC_LIVE;
	p->forking = 1;
	proc_signals_init(p); /* its own signal page, before it runs */
	proc_signals_inherit(p, parent);
	if ((rc = proc_give_environment(p))) {
		metta_domain_kill(p->domain, rc);
		proc_reap(p);
		return rc;
	}
	c->w[1] = (uint64_t)p->pid;
	c->cap_out = p->domain; /* a copy: ours stays */
	return STATUS_OK;
}

/* The caller's child being forked, by pid, or 0. */
static struct process *forking_child(const struct server_call *c)
{
	struct process *parent = proc_caller(c);
	struct process *p = proc_by_pid((int)c->w[1]);
	if (!parent || !p || p->ppid != parent->pid || !p->forking ||
	    p->state != PROC_LIVE)
		return 0;
	return p;
}

long fork_op_start(struct server_call *c)
{
	struct process *p = forking_child(c);
	if (!p)
		return STATUS_ERR_NOENT;
	if (c->len == 0) { /* the parent gave up */
		metta_domain_kill(p->domain, KILLED);
		proc_reap(p);
		return STATUS_OK;
	}
	struct metta_regs r;
	if (c->len != sizeof(r))
		return STATUS_ERR_INVAL;
	memcpy(&r, c->data, sizeof(r));
	long rc = metta_thread_ctl(p->thread, THREAD_SET_REGS, (uint64_t)&r);
	if (rc == 0)
		rc = metta_domain_watch(p->domain, proc_deaths,
					1ull << (p - procs));
	if (rc == 0)
		rc = metta_thread_ctl(p->thread, THREAD_START, 0);
	if (rc) {
		metta_domain_kill(p->domain, KILLED);
		proc_reap(p);
		return rc;
	}
	p->forking = 0;
	return STATUS_OK;
}

/* ---- wait ---- */

int proc_wait_status(const struct process *p)
{
	int64_t s = p->exit_status;
	if ((s & ~0xff) == METTA_EXIT_SIGNAL(0))
		return (int)(s & 0x7f); /* ended by a signal */
	return (int)((s & 0xff) << 8);
}

static int matches(const struct process *c, int pid, int pgid, int64_t spec)
{
	if (c->state == PROC_FREE || c->ppid != pid || c->forking)
		return 0;
	if (spec > 0)
		return c->pid == spec;
	if (spec == 0)
		return c->pgid == pgid;
	if (spec < -1)
		return c->pgid == -spec;
	return 1;
}

/* What child c has to say to a wait with these options: its status and
 * si_code, or 0 when nothing. */
static int change_of(const struct process *c, uint64_t opts, int *code)
{
	uint64_t exited = !(opts & NESTER_WAITID) || (opts & NESTER_WEXITED);
	if (c->state == PROC_ZOMBIE && exited) {
		int st = proc_wait_status(c);
		*code = (st & 0x7f) ? LX_CLD_KILLED : LX_CLD_EXITED;
		return st ? st : 0x10000; /* 0x10000: "exited with 0" */
	}
	if (c->state != PROC_LIVE || !c->report)
		return 0;
	if (c->report == LX_W_CONTINUED && (opts & NESTER_WCONTINUED)) {
		*code = LX_CLD_CONTINUED;
		return c->report;
	}
	if ((c->report & 0xff) == 0x7f && (opts & NESTER_WUNTRACED)) {
		*code = LX_CLD_STOPPED;
		return c->report;
	}
	return 0;
}

/*
 * Looks for a child of pid that a wait (spec, opts) may collect: 1, the
 * child in *out and the answer's words when one has changed, 0 when some
 * match but none changed, -1 when none match.
 */
static int find_change(int pid, int64_t spec, uint64_t opts, uint64_t w[3],
		       struct process **out)
{
	struct process *me = proc_by_pid(pid);
	int any = 0;
	for (int i = 0; me && i < MAX_PROCS; i++) {
		struct process *c = &procs[i];
		if (!matches(c, pid, me->pgid, spec))
			continue;
		any = 1;
		int code = 0, st = change_of(c, opts, &code);
		if (!st)
			continue;
		w[0] = (uint64_t)c->pid;
		w[1] = (uint64_t)(st & 0xffff);
		w[2] = (uint64_t)code;
		*out = c;
		return 1;
	}
	return any ? 0 : -1;
}

/* The parent has the news: a zombie goes, a report is spent (unless
 * WNOWAIT leaves them for the next wait). */
static void consume(struct process *c, uint64_t opts)
{
	if (opts & NESTER_WNOWAIT)
		return;
	if (c->state == PROC_ZOMBIE)
		proc_reap(c);
	else
		c->report = 0;
}

long fork_op_wait(struct server_call *c)
{
	struct process *me = proc_caller(c), *child = 0;
	if (!me)
		return STATUS_ERR_DENIED;
	int64_t spec = (int64_t)c->w[1];
	uint64_t opts = c->w[2], w[3] = { 0, 0, 0 };
	int found = find_change(me->pid, spec, opts, w, &child);
	if (found < 0)
		return STATUS_ERR_NOENT; /* ECHILD */
	if (found == 0 && !(opts & NESTER_WNOHANG)) {
		struct waiter *h = 0;
		for (int i = 0; i < MAX_WAITERS && !h; i++)
			if (!waiters[i].used)
				h = &waiters[i];
		if (!h)
			return STATUS_ERR_QUOTA;
		uint64_t cookie = P9_PORTAL_OWN_COOKIE | next_cookie++;
		uint32_t reply = server_hold(cookie);
		if (!reply)
			return STATUS_ERR_QUOTA;
		*h = (struct waiter){ 1, me->pid, spec, opts, cookie, reply };
		return SERVER_HELD;
	}
	if (child)
		consume(child, opts); /* the caller is in its call: it hears */
	c->w[1] = w[0];
	c->w[2] = w[1];
	c->w[3] = w[2];
	return STATUS_OK;
}

/*
 * Answers the held waits p's change satisfies. A child is collected only
 * when the answer reached its caller: one interrupted meanwhile (a
 * signal, SIGCHLD itself) gets EINTR and finds the child at its next
 * wait.
 */
void proc_child_changed(struct process *p)
{
	proc_waits_recheck(p->ppid);
}

void proc_waits_recheck(int pid)
{
	for (int i = 0; i < MAX_WAITERS; i++) {
		struct waiter *h = &waiters[i];
		struct process *child = 0;
		uint64_t w[3];
		if (!h->used || h->pid != pid)
			continue;
		int found = find_change(pid, h->spec, h->opts, w, &child);
		if (found == 0)
			continue;
		h->used = 0;
		if (found < 0) {
			server_answer(h->reply, STATUS_ERR_NOENT, 0, 0, 0);
			continue;
		}
		if (server_answer(h->reply, STATUS_OK, w, 0, 0) == STATUS_OK)
			consume(child, h->opts);
	}
}

/* A held wait's caller was interrupted: forget it (the caller has its
 * answer already: interrupted). Only our own watcher may say so. */
long fork_op_cancelled(struct server_call *c)
{
	if (c->badge != WATCH_BADGE)
		return STATUS_ERR_DENIED;
	for (int i = 0; i < MAX_WAITERS; i++) {
		struct waiter *h = &waiters[i];
		if (h->used && h->cookie == c->w[1]) {
			h->used = 0;
			server_answer(h->reply, STATUS_ERR_INTR, 0, 0, 0);
		}
	}
	return STATUS_OK;
}
