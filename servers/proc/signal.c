/*
 * Signals, process groups and sessions: the process server's part.
 *
 * Each process has a signal page (struct rt_sigpage in metta/proto.h), a
 * memory object of ours mapped here at SIGPAGES_VA + its record's index
 * and in its domain at RT_SIGPAGE_VA. A signal is sent by setting its
 * pending bit there and interrupting the process's thread; its runtime
 * delivers it on the way back from the call it is in (runtime/signal.c).
 * What the runtime writes in the page (blocked, caught, ignored) lets us
 * take a default action at once, whatever the thread is doing: SIGKILL
 * and an unhandled, unblocked terminating signal end the domain with
 * METTA_EXIT_SIGNAL(sig); a stop signal suspends the thread and SIGCONT
 * resumes it (the parent gets SIGCHLD and a wait report); an ignored one
 * is dropped.
 *
 * Alarms (alarm, setitimer's ITIMER_REAL) are kept here too, so that they
 * outlive an exec and are not inherited by a fork, as Linux's: a timer
 * thread waits for the earliest and calls our portal when it is due.
 *
 * Everything runs on the server thread, except proc_alarm_thread, which
 * only reads deadlines (a stale read costs one early wake-up).
 */
#include <metta.h>
#include <metta/proto.h>
#include <metta/signals.h>
#include <server/server.h>
#include <string/kstring.h>

#include "proc.h"

#define SIGPAGES_VA 0x630000000000ull
#define ALARM_BIT   1

static uint32_t alarm_event;

static struct rt_sigpage *page_of(const struct process *p)
{
	return (struct rt_sigpage *)(SIGPAGES_VA +
				     (uint64_t)(p - procs) * 4096);
}

void sig_ns_changed(struct process *p)
{
	__atomic_store_n(&page_of(p)->ns_changed, 1, __ATOMIC_RELEASE);
}

void proc_signals_init(struct process *p)
{
	p->pgid = p->sid = p->pid;
	p->stopped = p->report = 0;
	p->alarm_ns = p->alarm_every_ns = 0;
	uint32_t m = metta_slot_alloc();
	uint64_t va = (uint64_t)page_of(p);
	if (metta_mem_create(m, 1) ||
	    metta_mem_map(CAP_SELF, m, 0, va, 1, RIGHT_READ | RIGHT_WRITE)) {
		metta_printf("proc: no signal page for %d", p->pid);
		metta_cap_delete(m);
		return;
	}
	if (metta_mem_map(p->domain, m, 0, RT_SIGPAGE_VA, 1,
			  RIGHT_READ | RIGHT_WRITE))
		metta_printf("proc: cannot map %d's signal page", p->pid);
	p->sigmem = m;
}

void proc_signals_inherit(struct process *child, const struct process *parent)
{
	child->pgid = parent->pgid;
	child->sid = parent->sid;
	if (!child->sigmem || !parent->sigmem)
		return;
	struct rt_sigpage *c = page_of(child), *p = page_of(parent);
	c->blocked = p->blocked;
	c->caught = p->caught;
	c->ignored = p->ignored;
	c->rt_lo = p->rt_lo;
	c->rt_hi = p->rt_hi;
	c->async_entry = p->async_entry;
}

void proc_signals_end(struct process *p)
{
	if (!p->sigmem)
		return;
	metta_mem_unmap(CAP_SELF, (uint64_t)page_of(p));
	metta_cap_delete(p->sigmem);
	p->sigmem = 0;
}

/* ---- sending ---- */

static void post(struct process *p, int sig, int code, int from);

/* p's parent hears that p stopped or went on (SIGCHLD, a wait report). */
static void tell_parent(struct process *p, int report, int code)
{
	p->report = report;
	proc_child_changed(p);
	struct process *parent = proc_by_pid(p->ppid);
	if (parent && parent->state == PROC_LIVE)
		post(parent, LX_SIGCHLD, code, p->pid);
}

static void stop(struct process *p, int sig)
{
	if (p->stopped)
		return;
	metta_thread_ctl(p->thread, THREAD_SUSPEND, 0);
	p->stopped = 1;
	tell_parent(p, LX_W_STOPPED(sig), LX_CLD_STOPPED);
}

static void go_on(struct process *p)
{
	if (!p->stopped)
		return;
	metta_thread_ctl(p->thread, THREAD_RESUME, 0);
	p->stopped = 0;
	tell_parent(p, LX_W_CONTINUED, LX_CLD_CONTINUED);
}

/*
 * busybox's poweroff, reboot and halt signal init (SIGUSR2, SIGTERM,
 * SIGUSR1: busybox init's protocol). An init that does not handle them
 * (a shell) would ignore them, as Linux's would; the process server is
 * the system's true init here, so it does what busybox init would.
 */
static void init_power_signal(int sig)
{
	uint64_t w[4] = { sig == LX_SIGTERM ? NESTER_REBOOT : NESTER_POWEROFF };
	if (sig != LX_SIGUSR2 && sig != LX_SIGTERM && sig != LX_SIGUSR1)
		return;
	metta_printf("proc: init does not handle signal %d: %s", sig,
		     sig == LX_SIGTERM ? "rebooting" : "powering off");
	metta_request(PROC_SLOT_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
}

/* What to do now, before the runtime sees it: 1 when the signal is
 * done with (its default taken, or dropped), 0 when it must be posted. */
static int act_now(struct process *p, struct rt_sigpage *pg, int sig)
{
	uint64_t bit = LX_SIGBIT(sig);
	if (p->pid == 1 && !(bit & pg->caught & ~LX_SIG_UNCATCHABLE)) {
		init_power_signal(sig);
		return 1; /* as Linux's init: only what it handles reaches it */
	}
	if (sig == LX_SIGKILL) {
		metta_domain_kill(p->domain, METTA_EXIT_SIGNAL(sig));
		return 1;
	}
	if (sig == LX_SIGCONT) {
		__atomic_fetch_and(&pg->pending, ~LX_SIG_STOPS,
				   __ATOMIC_SEQ_CST);
		go_on(p);
	} else if (bit & LX_SIG_STOPS) {
		__atomic_fetch_and(&pg->pending, ~LX_SIGBIT(LX_SIGCONT),
				   __ATOMIC_SEQ_CST);
	}
	uint64_t caught = pg->caught & ~LX_SIG_UNCATCHABLE;
	uint64_t blocked = pg->blocked & ~LX_SIG_UNCATCHABLE;
	if (bit & (caught | blocked))
		return 0; /* (a blocked one waits: its action may change) */
	if (bit & (pg->ignored | LX_SIG_IGNORED_BY_DEFAULT))
		return 1; /* dropped, as Linux drops an ignored signal */
	if (bit & LX_SIG_STOPS)
		stop(p, sig);
	else
		metta_domain_kill(p->domain, METTA_EXIT_SIGNAL(sig));
	return 1;
}

/*
 * A thread running the program's code is sent to the runtime's entry for
 * signals (struct rt_sigpage), which delivers what is pending and goes
 * back to the program with every register as it was. One in a call
 * needs nothing: the interrupt ends its wait, and the runtime delivers
 * on its way back. A thread we cannot catch outside the nucleus soon is
 * left alone: its next call delivers.
 */
#define SUSPEND_TRIES 200
static void redirect(struct process *p, struct rt_sigpage *pg)
{
	long st = metta_thread_ctl(p->thread, THREAD_STATE, 0);
	uint64_t entry = pg->async_entry;
	if (!entry || p->stopped ||
	    (st != THREAD_IS_RUNNING && st != THREAD_IS_READY))
		return;
	metta_thread_ctl(p->thread, THREAD_SUSPEND, 0);
	for (int i = 0; i < SUSPEND_TRIES && st != THREAD_IS_SUSPENDED; i++) {
		metta_yield();
		st = metta_thread_ctl(p->thread, THREAD_STATE, 0);
	}
	struct metta_regs r;
	if (st == THREAD_IS_SUSPENDED &&
	    metta_thread_ctl(p->thread, THREAD_GET_REGS, (uint64_t)&r) == 0 &&
	    (r.rip < pg->rt_lo || r.rip >= pg->rt_hi)) {
		pg->async_regs = r;
		r.rip = entry;
		metta_thread_ctl(p->thread, THREAD_SET_REGS, (uint64_t)&r);
	}
	metta_thread_ctl(p->thread, THREAD_RESUME, 0);
}

/* Sends sig to live process p, from pid `from` (0: the system). */
static void post(struct process *p, int sig, int code, int from)
{
	if (p->state != PROC_LIVE || sig < 1 || sig > LX_NSIG)
		return;
	if (!p->sigmem) { /* no page: only the defaults */
		if (p->pid == 1)
			return;
		if (sig == LX_SIGKILL ||
		    !(LX_SIGBIT(sig) & LX_SIG_IGNORED_BY_DEFAULT))
			metta_domain_kill(p->domain, METTA_EXIT_SIGNAL(sig));
		return;
	}
	struct rt_sigpage *pg = page_of(p);
	if (act_now(p, pg, sig))
		return;
	/* The sender first, then the bit: the runtime reads them after it. */
	pg->from[sig - 1].pid = from;
	pg->from[sig - 1].code = code;
	__atomic_fetch_or(&pg->pending, LX_SIGBIT(sig), __ATOMIC_SEQ_CST);
	metta_thread_ctl(p->thread, THREAD_INTERRUPT, 0);
	if (!(LX_SIGBIT(sig) & pg->blocked))
		redirect(p, pg);
}

void proc_signal(struct process *p, int sig)
{
	post(p, sig, sig == LX_SIGCHLD ? LX_CLD_EXITED : LX_SI_KERNEL, 0);
}

int proc_discards_children(const struct process *p)
{
	return p->sigmem && (page_of(p)->ignored & LX_SIGBIT(LX_SIGCHLD));
}

int64_t proc_linux_status(int64_t status)
{
	const int64_t fault_bits = METTA_EXIT_FAULT | METTA_EXIT_FAULT_NO_MEMORY;
	if ((status & ~(int64_t)0xff & ~fault_bits) != 0 ||
	    !(status & METTA_EXIT_FAULT))
		return status; /* not ended by a fault */
	int sig = LX_SIGSEGV;
	switch (status & 0xff) {
	case 0: case 16: case 19: /* #DE, #MF, #XM */
		sig = LX_SIGFPE;
		break;
	case 6: /* #UD */
		sig = LX_SIGILL;
		break;
	case 1: case 3: /* #DB, #BP */
		sig = LX_SIGTRAP;
		break;
	case 17: /* #AC */
		sig = LX_SIGBUS;
		break;
	}
	if (status & METTA_EXIT_FAULT_NO_MEMORY)
		sig = LX_SIGBUS; /* a page of its memory could not be had */
	return METTA_EXIT_SIGNAL(sig);
}

void proc_child_ended(struct process *child)
{
	struct process *parent = proc_by_pid(child->ppid);
	int killed = (child->exit_status & ~0xff) == METTA_EXIT_SIGNAL(0);
	if (parent && parent->state == PROC_LIVE)
		post(parent, LX_SIGCHLD, killed ? LX_CLD_KILLED : LX_CLD_EXITED,
		     child->pid);
}

/* ---- kill(2)'s routing ---- */

/* Sends sig (0: none) to every live process `match` accepts except
 * `skip`: ERR_NOENT when there was none. */
static long to_each(int (*match)(const struct process *, int), int arg,
		    const struct process *skip, int sig, int code, int from)
{
	int found = 0;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct process *p = &procs[i];
		if (p->state != PROC_LIVE || p == skip || !match(p, arg))
			continue;
		found = 1;
		if (sig)
			post(p, sig, code, from);
	}
	return found ? STATUS_OK : STATUS_ERR_NOENT;
}

static int in_group(const struct process *p, int pgid)
{
	return p->pgid == pgid;
}

static int not_init(const struct process *p, int unused)
{
	(void)unused;
	return p->pid != 1;
}

/* w1: kill()'s pid, w2: the signal. From a process, or from a server
 * (the console) that holds our unbadged portal: then pid 0 is EINVAL. */
long sig_op_signal(struct server_call *c)
{
	struct process *me = proc_caller(c);
	int pid = (int)c->w[1], sig = (int)c->w[2];
	int from = me ? me->pid : 0;
	if (sig < 0 || sig > LX_NSIG || (pid == 0 && !me) ||
	    pid == -2147483647 - 1)
		return STATUS_ERR_INVAL;
	if (pid > 0) {
		struct process *p = proc_by_pid(pid);
		if (!p)
			return STATUS_ERR_NOENT;
		if (sig) /* a zombie takes it and nothing happens */
			post(p, sig, LX_SI_USER, from);
		return STATUS_OK;
	}
	if (pid == -1)
		return to_each(not_init, 0, me, sig, LX_SI_USER, from);
	return to_each(in_group, pid ? -pid : me->pgid, 0, sig, LX_SI_USER,
		       from);
}

/* The runtime took a stop signal's default (it was blocked or handled
 * when we looked, and is not now). */
long sig_op_stop(struct server_call *c)
{
	struct process *me = proc_caller(c);
	int sig = (int)c->w[1];
	if (!me)
		return STATUS_ERR_DENIED;
	if (sig < 1 || sig > LX_NSIG || !(LX_SIGBIT(sig) & LX_SIG_STOPS))
		return STATUS_ERR_INVAL;
	stop(me, sig); /* the thread stops as this call returns */
	return STATUS_OK;
}

/* ---- groups and sessions ---- */

/* pid 0: the caller; else that process (live or zombie), or 0. */
static struct process *target(struct process *me, uint64_t w)
{
	int pid = (int)w;
	if (pid < 0)
		return 0;
	return pid == 0 ? me : proc_by_pid(pid);
}

static int group_in_session(int pgid, int sid)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != PROC_FREE && procs[i].pgid == pgid &&
		    procs[i].sid == sid)
			return 1;
	return 0;
}

/* Linux's setpgid: the caller or a child of it not yet exec'd, in the
 * caller's session, not a session leader, into its own group or an
 * existing group of that session. */
long sig_op_setpgid(struct server_call *c)
{
	struct process *me = proc_caller(c);
	if (!me)
		return STATUS_ERR_DENIED;
	int pgid = (int)c->w[2];
	if (pgid < 0)
		return STATUS_ERR_INVAL;
	struct process *p = target(me, c->w[1]);
	if (!p || (p != me && p->ppid != me->pid) || p->state != PROC_LIVE)
		return STATUS_ERR_NOENT;
	if (p != me && p->execed)
		return STATUS_ERR_BUSY; /* EACCES */
	if (pgid == 0)
		pgid = p->pid;
	if (p->sid == p->pid || p->sid != me->sid ||
	    (pgid != p->pid && !group_in_session(pgid, me->sid)))
		return STATUS_ERR_DENIED;
	p->pgid = pgid;
	return STATUS_OK;
}

/* A new session and group led by the caller, unless it leads a group. */
long sig_op_setsid(struct server_call *c)
{
	struct process *me = proc_caller(c);
	if (!me)
		return STATUS_ERR_DENIED;
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != PROC_FREE && procs[i].pgid == me->pid)
			return STATUS_ERR_DENIED;
	me->sid = me->pgid = me->pid;
	c->w[1] = (uint64_t)me->sid;
	return STATUS_OK;
}

/* getpgid and getsid: w1 the pid (0: the caller); the answer in w1. */
static long group_of(struct server_call *c, int session)
{
	struct process *me = proc_caller(c);
	struct process *p = target(me, c->w[1]);
	if (!p)
		return me ? STATUS_ERR_NOENT : STATUS_ERR_DENIED;
	c->w[1] = (uint64_t)(session ? p->sid : p->pgid);
	return STATUS_OK;
}

long sig_op_getpgid(struct server_call *c)
{
	return group_of(c, 0);
}

long sig_op_getsid(struct server_call *c)
{
	return group_of(c, 1);
}

/* ---- alarms ---- */

#define NS_PER_US 1000ull

/* w1: microseconds to the alarm (0: cancel), w2: its interval, w3: 1 to
 * only ask; replies with what was left of the last and its interval. */
long sig_op_alarm(struct server_call *c)
{
	struct process *me = proc_caller(c);
	if (!me)
		return STATUS_ERR_DENIED;
	if (c->w[1] > (1ull << 40) || c->w[2] > (1ull << 40))
		return STATUS_ERR_RANGE;
	uint64_t now = (uint64_t)metta_clock();
	uint64_t left = me->alarm_ns > now ? me->alarm_ns - now : 0;
	if (me->alarm_ns && !left)
		left = 1; /* due, not yet sent: not "none" */
	uint64_t every = me->alarm_every_ns;
	if (!c->w[3]) {
		me->alarm_ns = c->w[1] ? now + c->w[1] * NS_PER_US : 0;
		me->alarm_every_ns = c->w[1] ? c->w[2] * NS_PER_US : 0;
	}
	c->w[1] = (left + NS_PER_US - 1) / NS_PER_US;
	c->w[2] = every / NS_PER_US;
	metta_event_signal(alarm_event, ALARM_BIT); /* the timer looks again */
	return STATUS_OK;
}

/* The timer thread says some alarm is due: SIGALRM to each. */
long sig_op_alarms(struct server_call *c)
{
	(void)c;
	uint64_t now = (uint64_t)metta_clock();
	for (int i = 0; i < MAX_PROCS; i++) {
		struct process *p = &procs[i];
		if (p->state != PROC_LIVE || !p->alarm_ns || p->alarm_ns > now)
			continue;
		p->alarm_ns = p->alarm_every_ns ? now + p->alarm_every_ns : 0;
		post(p, LX_SIGALRM, LX_SI_KERNEL, 0);
	}
	return STATUS_OK;
}

int proc_alarms_init(void)
{
	alarm_event = metta_slot_alloc();
	return (int)metta_event_create(alarm_event);
}

void proc_alarm_thread(uint32_t portal)
{
	for (;;) {
		uint64_t next = 0, now = (uint64_t)metta_clock();
		for (int i = 0; i < MAX_PROCS; i++) {
			uint64_t at = procs[i].alarm_ns;
			if (procs[i].state == PROC_LIVE && at &&
			    (!next || at < next))
				next = at;
		}
		if (next && next <= now) {
			uint64_t w[4] = { NESTER_ALARMS };
			metta_request(portal, w, 0, 0, 0, 0, 0, 0, 0);
			continue;
		}
		uint64_t us =
		    next ? (next - now + NS_PER_US - 1) / NS_PER_US : 0;
		metta_event_wait(alarm_event, ALARM_BIT, us);
	}
}
