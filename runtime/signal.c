/*
 * Signals: actions, the mask, the alternate stack, and delivery.
 *
 * Pending signals are bits in the page the process server shares with us
 * (struct rt_sigpage, RT_SIGPAGE_VA): it sets one and interrupts our
 * thread, so that a wait we are in returns at once (a call a server holds
 * gives -EINTR through the 9P client's flush; a sleep ERR_INTR). We write
 * there what we block, handle and ignore, so that proc takes the default
 * actions at once (the end, stop, continue). Every call goes through
 * sig_enter and sig_leave (start.c): a signal that is pending and not
 * blocked is delivered there, as Linux does on its way back to user mode:
 * the default action (the end with METTA_EXIT_SIGNAL(sig), a stop that
 * proc carries out, or nothing), or a handler, for which Linux's
 * rt_sigframe is built on the program's stack (or the alternate one) and
 * the registers the reflect entry saved are pointed at it; rt_sigreturn
 * puts them back. An interrupted call returns EINTR, or is restarted
 * (rip back onto the syscall instruction, rax the call's number) as
 * Linux's -ERESTART* rules say; a call interrupted without a signal to
 * deliver (the interrupt was for one delivered since) is restarted.
 *
 * A thread in the program's own code when a signal it handles comes is
 * sent by proc to rt_async_entry (entry.S), which delivers and goes back
 * with every register as it was (rt_async, rt_resume_full).
 */
#include <metta.h>
#include <metta/signals.h>
#include <string/kstring.h>

#include "state.h"

#include <runtime/linux_calls.h>

#define RED_ZONE   128
#define USER_FLAGS 0xcd5ull /* CF PF AF ZF SF DF OF */
#define FLAG_DF	   0x400ull

static volatile struct rt_sigpage *page;
static uint32_t mxcsr_mask = 0xffbf;

/* Each thread's (thread.h): the registers rt_resume_full (entry.S) goes
 * on with, when full_pending is set; `extra`, rcx and r11 of an
 * interruption that was not a call (a signal between calls, or a frame
 * rt_sigreturn restores): a call's are rip and flags. */

void rt_async_entry(void);
extern char __executable_start[], _end[];

static uint64_t bit(int sig)
{
	return LX_SIGBIT(sig);
}

/* What every live thread blocks: what proc is told we block. */
static uint64_t blocked_by_all(void)
{
	uint64_t b = ~0ull;
	for (int i = 0; i < RT_MAX_THREADS; i++)
		if (rt_threads[i].state == T_LIVE)
			b &= rt_threads[i].sigmask;
	return b;
}

/* Tells proc what we block, handle and ignore (after every change). */
void sig_publish(void)
{
	uint64_t caught = 0, ignored = 0;
	for (int s = 1; s <= NSIG; s++) {
		uint64_t h = rt.actions[s].handler;
		if (h == LX_SIG_IGN)
			ignored |= bit(s);
		else if (h != LX_SIG_DFL)
			caught |= bit(s);
	}
	if (!page)
		return;
	page->blocked = blocked_by_all();
	page->caught = caught;
	page->ignored = ignored;
	page->rt_lo = (uint64_t)__executable_start;
	page->rt_hi = (uint64_t)_end;
	page->async_entry = (uint64_t)rt_async_entry;
}

/* The page proc mapped for us; a program without a process server (a
 * native nester's child) maps its own, and only sends itself signals. */
int sig_take_ns_changed(void)
{
	return page && __atomic_exchange_n(&page->ns_changed, 0, __ATOMIC_ACQUIRE);
}

void sig_init(void)
{
	uint32_t m = metta_slot_alloc();
	long rc = metta_mem_create(m, 1);
	if (rc == 0)
		rc = metta_mem_map(CAP_SELF, m, 0, RT_SIGPAGE_VA, 1,
				   RIGHT_READ | RIGHT_WRITE);
	if (rc)
		metta_cap_delete(m);
	if (rc == 0 || rc == STATUS_ERR_EXIST)
		page = (volatile struct rt_sigpage *)RT_SIGPAGE_VA;
	else
		rt_log("no signal page: signals are not delivered");
	uint8_t fx[LX_FXSAVE_SIZE] __attribute__((aligned(16)));
	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	uint32_t mask = *(uint32_t *)(fx + 28);
	if (mask)
		mxcsr_mask = mask;
	sig_publish();
}

/* Marks sig pending for ourselves (SIGPIPE, a kill with no proc). */
void sig_raise(int sig, int code)
{
	if (!page)
		return;
	page->from[sig - 1].pid = (int32_t)rt_getpid();
	page->from[sig - 1].code = code;
	__atomic_fetch_or(&page->pending, bit(sig), __ATOMIC_SEQ_CST);
}

/* The signals pending for the calling thread: its own (tgkill) and the
 * process's. */
static uint64_t pending(void)
{
	return rt_self()->pending | (page ? page->pending : 0);
}

/* The pending signals the calling thread does not block. */
static uint64_t ready(void)
{
	return pending() & ~rt_self()->sigmask;
}

/* Takes sig from the thread's pending set or else the process's: where
 * its sender is (0: it was not pending). */
static struct rt_sigfrom *take(int sig)
{
	struct rt_thread *t = rt_self();
	if (t->pending & bit(sig)) {
		t->pending &= ~bit(sig);
		return &t->from[sig - 1];
	}
	if (page && (__atomic_fetch_and(&page->pending, ~bit(sig),
					__ATOMIC_SEQ_CST) &
		     bit(sig)))
		return (struct rt_sigfrom *)&page->from[sig - 1];
	return 0;
}

int sig_ready(void)
{
	return ready() != 0;
}

/* Interrupts t where it waits (thread.h: the lock, a futex, a call). */
static void poke(struct rt_thread *t)
{
	if (t->cap)
		metta_thread_ctl(t->cap, THREAD_INTERRUPT, 0);
	rt_wake(t, EV_SIG);
}

/* Signals of the process's that the calling thread blocks go to a thread
 * that does not (Linux's choice of a thread for a process's signal): it
 * is interrupted, and takes them on its way out of the runtime. */
void sig_forward(void)
{
	struct rt_thread *me = rt_self();
	uint64_t mine = page ? page->pending & me->sigmask : 0;
	if (!mine)
		return;
	for (int i = 0; i < RT_MAX_THREADS; i++) {
		struct rt_thread *t = &rt_threads[i];
		if (t != me && t->state == T_LIVE && (mine & ~t->sigmask)) {
			poke(t);
			mine &= t->sigmask;
		}
	}
}

/* The end by a signal, as Linux's default action (descriptors closed
 * first: rt_exit). */
static _Noreturn void die(int sig)
{
	rt_exit(METTA_EXIT_SIGNAL(sig));
}

/* Waits until a signal we do not block is pending (or `until`, a
 * metta_clock() time, 0: never): 1 for a signal, 0 at the time. */
static int wait_signal(uint64_t mask, int64_t until)
{
	for (;;) {
		if (pending() & mask)
			return 1;
		int64_t now = metta_clock();
		if (until && now >= until)
			return 0;
		uint64_t us =
		    until ? (uint64_t)(until - now + 999) / 1000 : 1ull << 40;
		rt_sleep(us); /* an interrupt ends it at once */
	}
}

/* ---- the frame ---- */

static int on_altstack(uint64_t sp)
{
	return rt_self()->altstack.ss_size && sp > rt_self()->altstack.ss_sp &&
	       sp - rt_self()->altstack.ss_sp <= rt_self()->altstack.ss_size;
}

static void save_regs(struct lx_sigcontext *m, const struct rt_call *c,
		      long rax)
{
	struct metta_regs r;
	thread_regs(&r, c, 0);
	if (rt_self()->extra.active)
		r.rcx = rt_self()->extra.rcx, r.r11 = rt_self()->extra.r11;
	*m = (struct lx_sigcontext){
		.r8 = r.r8, .r9 = r.r9, .r10 = r.r10, .r11 = r.r11,
		.r12 = r.r12, .r13 = r.r13, .r14 = r.r14, .r15 = r.r15,
		.rdi = r.rdi, .rsi = r.rsi, .rbp = r.rbp, .rbx = r.rbx,
		.rdx = r.rdx, .rax = (uint64_t)rax, .rcx = r.rcx, .rsp = r.rsp,
		.rip = r.rip, .eflags = r.rflags, .cs = 0x33, .ss = 0x2b,
	};
}

/* A thread's full from c, rax and extra's rcx and r11. */
static void full_from(const struct rt_call *c, long rax)
{
	struct rt_thread *t = rt_self();
	thread_regs(&t->full, c, 0);
	t->full.rax = (uint64_t)rax;
	t->full.rcx = t->extra.rcx;
	t->full.r11 = t->extra.r11;
}

/* Where the frame goes: below the red zone, or on the alternate stack;
 * the FXSAVE area first (64-aligned), then the frame, so that the
 * handler starts with rsp + 8 16-aligned, as after a call. */
static uint64_t frame_place(const struct lx_sigaction *a, uint64_t sp,
			    uint64_t *fx)
{
	if ((a->flags & LX_SA_ONSTACK) && rt_self()->altstack.ss_size &&
	    !(rt_self()->altstack.ss_flags & LX_SS_DISABLE) && !on_altstack(sp))
		sp = rt_self()->altstack.ss_sp + rt_self()->altstack.ss_size;
	else
		sp -= RED_ZONE;
	*fx = (sp - LX_FXSAVE_SIZE) & ~63ull;
	return ((*fx - sizeof(struct lx_rt_sigframe)) & ~15ull) - 8;
}

/*
 * Builds sig's frame for handler a, the interrupted registers being c's
 * with rax = rax, and points c at the handler: 0, or -1 when the frame
 * cannot be written (the caller ends us with SIGSEGV, as Linux does).
 */
static int setup_frame(struct rt_call *c, int sig,
		       const struct rt_sigfrom *from,
		       const struct lx_sigaction *a, long rax, uint64_t mask)
{
	uint64_t fx, at = frame_place(a, c->rsp, &fx);
	if (!(a->flags & LX_SA_RESTORER) ||
	    user_writable(at, fx + LX_FXSAVE_SIZE - at))
		return -1;
	struct lx_rt_sigframe *f = (struct lx_rt_sigframe *)at;
	memset(f, 0, sizeof(*f));
	f->pretcode = a->restorer;
	f->info.si_signo = sig;
	f->info.si_code = from->code;
	f->info.si_pid = from->pid;
	f->uc.uc_flags = 2; /* UC_SIGCONTEXT_SS */
	f->uc.uc_stack = rt_self()->altstack;
	if (on_altstack(c->rsp))
		f->uc.uc_stack.ss_flags = LX_SS_ONSTACK;
	else if (!rt_self()->altstack.ss_size)
		f->uc.uc_stack.ss_flags = LX_SS_DISABLE;
	save_regs(&f->uc.uc_mcontext, c, rax);
	__asm__ volatile("fxsave64 (%0)" : : "r"(fx) : "memory");
	f->uc.uc_mcontext.fpstate = fx;
	f->uc.uc_sigmask = mask;
	if ((a->flags & LX_SA_ONSTACK) &&
	    (rt_self()->altstack.ss_flags & LX_SS_AUTODISARM))
		rt_self()->altstack = (struct lx_stack){ 0, LX_SS_DISABLE, 0, 0 };
	c->a[0] = (uint64_t)sig;
	c->a[1] = (uint64_t)&f->info;
	c->a[2] = (uint64_t)&f->uc;
	c->rsp = at;
	c->rip = a->handler;
	c->rflags &= ~FLAG_DF;
	return 0;
}

/* ---- delivery ---- */

/* Whether an interrupted call's answer means "maybe restart". */
static int restartable(long rc)
{
	return rc == -P9_EINTR || rc == -LX_ERESTARTSYS ||
	       rc == -LX_ERESTARTNOINTR || rc == -LX_ERESTARTNOHAND ||
	       rc == -LX_ERESTART_RESTARTBLOCK;
}

/* What an interrupted call returns to a handler with these flags. */
static long answer_for_handler(long rc, uint64_t flags, int *restart)
{
	*restart = 0;
	if (rc == -LX_ERESTARTNOINTR ||
	    ((rc == -P9_EINTR || rc == -LX_ERESTARTSYS) &&
	     (flags & LX_SA_RESTART))) {
		*restart = 1;
		return rc;
	}
	return -P9_EINTR;
}

/* Points c back at its syscall instruction: rax is the call's number. */
static long restart(struct rt_call *c, long rc)
{
	c->rip -= 2;
	if (rc == -LX_ERESTART_RESTARTBLOCK)
		c->nr = LX_restart_syscall;
	return (long)c->nr;
}

/* A request to the process server (words in w): its status. A pending
 * interrupt (for a signal we deliver anyway) does not stop it. */
long rt_ask_proc_with(uint64_t *w, const void *msg, uint64_t len,
		      uint32_t recv_cap)
{
	uint64_t ask[4];
	memcpy(ask, w, sizeof(ask));
	long rc;
	do {
		memcpy(w, ask, sizeof(ask));
		rc = rt_request(CAP_NESTER, w, msg, len, 0, 0, 0, recv_cap);
	} while (rc == STATUS_ERR_INTR);
	return rc;
}

long rt_ask_proc(uint64_t *w)
{
	return rt_ask_proc_with(w, 0, 0, 0);
}

/* The default action of sig, not handled: returns when it is done. */
static void take_default(int sig)
{
	uint64_t b = bit(sig);
	if (b & LX_SIG_IGNORED_BY_DEFAULT)
		return;
	if (b & LX_SIG_STOPS) {
		uint64_t w[4] = { NESTER_STOP, (uint64_t)sig };
		rt_ask_proc(w);
		return; /* we stopped on the way back, and went on since */
	}
	die(sig);
}

/* One signal taken: the handler's frame, or its default. Returns the
 * new rax; *ran says whether a handler frame was built. rc may restart
 * the call only when `interrupted`. */
static long deliver(struct rt_call *c, int sig, const struct rt_sigfrom *from,
		    long rc, int interrupted, int *ran)
{
	struct lx_sigaction *a = &rt.actions[sig];
	*ran = 0;
	if (a->handler == LX_SIG_IGN)
		return rc;
	if (a->handler == LX_SIG_DFL) {
		take_default(sig);
		return rc;
	}
	if (sig == LX_SIGCHLD && (a->flags & LX_SA_NOCLDSTOP) &&
	    (from->code == LX_CLD_STOPPED || from->code == LX_CLD_CONTINUED))
		return rc;
	int again = 0;
	if (interrupted)
		rc = answer_for_handler(rc, a->flags, &again);
	if (again)
		rc = restart(c, rc);
	uint64_t old = rt_self()->suspended ? rt_self()->suspend_mask : rt_self()->sigmask;
	rt_self()->suspended = 0;
	struct lx_sigaction saved = *a;
	if (a->flags & LX_SA_RESETHAND)
		*a = (struct lx_sigaction){ 0, 0, 0, 0 };
	if (setup_frame(c, sig, from, &saved, rc, old))
		die(LX_SIGSEGV);
	rt_self()->sigmask |=
	    saved.mask | ((saved.flags & LX_SA_NODEFER) ? 0 : bit(sig));
	rt_self()->sigmask &= ~LX_SIG_UNCATCHABLE;
	*ran = 1;
	return 0; /* the handler starts with rax 0, as Linux's */
}

/* Every pending signal we do not block, delivered to the program whose
 * registers are c's (rax: rc); `interrupted`: rc is a call's answer that
 * may restart it. Returns what rax gets. */
static long deliver_all(struct rt_call *c, long rc, int interrupted)
{
	uint64_t r;
	int handled = 0;
	while ((r = ready())) {
		int sig = __builtin_ctzll(r) + 1, ran;
		struct rt_sigfrom *from = take(sig);
		if (!from)
			continue;
		rc = deliver(c, sig, from, rc, interrupted && !handled, &ran);
		handled |= ran;
		sig_publish();
	}
	sig_forward();
	if (rt_self()->suspended) { /* sigsuspend ends without a handler: again */
		rt_self()->sigmask = rt_self()->suspend_mask;
		rt_self()->suspended = 0;
		sig_publish();
	}
	if (!handled && interrupted)
		rc = restart(c, rc); /* no handler: the call goes on */
	return rc;
}

/*
 * On the way back to the program from call c, which answered rc: every
 * pending signal we do not block is delivered. Returns what rax gets.
 * After rt_sigreturn the way back is rt_resume_full's (rcx and r11).
 */
long sig_leave(struct rt_call *c, long rc)
{
	/* The common case first, in a few instructions: nothing pending,
	 * nothing to restart, nothing to raise. */
	if ((rc >= 0 || (rc > -LX_ERESTARTSYS && rc != -P9_EINTR &&
			 rc != -P9_EPIPE)) &&
	    !ready() && !rt_self()->extra.active && !rt_self()->suspended &&
	    !(page && (page->pending & ~page->blocked & rt_self()->sigmask)))
		return rc;
	/* (rt_sigreturn's answer is the frame's rax: never a restart) */
	int interrupted = c->nr != LX_rt_sigreturn && restartable(rc);
	if (rc == -P9_EPIPE &&
	    (c->nr == LX_write || c->nr == LX_writev || c->nr == LX_pwrite64))
		sig_raise(LX_SIGPIPE, LX_SI_USER); /* as Linux's pipe_write */
	rc = deliver_all(c, rc, interrupted);
	if (rt_self()->extra.active) {
		full_from(c, rc);
		rt_self()->full_pending = 1;
		rt_self()->extra.active = 0;
	}
	return rc;
}

/* The process server sent us here from the program's code (entry.S):
 * its registers are in the signal page. Delivers, and leaves in the thread's
 * full the registers to go on with. */
void rt_async(void)
{
	rt_lock();
	struct metta_regs r = page->async_regs;
	struct rt_call c = {
		.nr = r.rax,
		.a = { r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9 },
		.r15 = r.r15,
		.r14 = r.r14,
		.r13 = r.r13,
		.r12 = r.r12,
		.rbp = r.rbp,
		.rbx = r.rbx,
		.rflags = r.rflags,
		.rip = r.rip,
		.rsp = r.rsp,
	};
	rt_call_now = &c;
	rt_self()->extra.active = 1;
	rt_self()->extra.rcx = r.rcx;
	rt_self()->extra.r11 = r.r11;
	long rax = deliver_all(&c, (long)r.rax, 0);
	full_from(&c, rax);
	rt_self()->extra.active = 0;
	rt_unlock();
}

/* Before a call: a signal already pending is delivered first, and the
 * call made after its handler (as if it came before the call). Returns
 * 1 with *rax set when so. */
int sig_enter(struct rt_call *c, long *rax)
{
	if (!ready() || c->nr == LX_rt_sigreturn)
		return 0;
	*rax = sig_leave(c, -LX_ERESTARTNOINTR);
	return 1;
}

/* ---- the calls ---- */

static long do_sigaction(int sig, uint64_t uact, uint64_t uold, uint64_t size)
{
	struct lx_sigaction *a = &rt.actions[sig > 0 && sig <= NSIG ? sig : 0];
	if (size != 8 || sig < 1 || sig > NSIG ||
	    (uact && (bit(sig) & LX_SIG_UNCATCHABLE)))
		return -P9_EINVAL;
	long rc;
	if ((uact && (rc = user_readable(uact, sizeof(*a)))) ||
	    (uold && (rc = user_writable(uold, sizeof(*a)))))
		return rc;
	struct lx_sigaction old = *a;
	if (uact) {
		memcpy(a, (const void *)uact, sizeof(*a));
		a->mask &= ~LX_SIG_UNCATCHABLE;
		/* Ignoring a pending signal drops it, as Linux does. */
		if (page && (a->handler == LX_SIG_IGN ||
			     (a->handler == LX_SIG_DFL &&
			      (bit(sig) & LX_SIG_IGNORED_BY_DEFAULT))))
			take(sig);
		sig_publish();
	}
	if (uold)
		memcpy((void *)uold, &old, sizeof(old));
	return 0;
}

static long do_sigprocmask(int how, uint64_t uset, uint64_t uold, uint64_t size)
{
	long rc;
	if (size != 8)
		return -P9_EINVAL;
	if ((uset && (rc = user_readable(uset, 8))) ||
	    (uold && (rc = user_writable(uold, 8))))
		return rc;
	uint64_t old = rt_self()->sigmask;
	if (uset) {
		uint64_t set = *(const uint64_t *)uset;
		if (how == 0)
			rt_self()->sigmask |= set;
		else if (how == 1)
			rt_self()->sigmask &= ~set;
		else if (how == 2)
			rt_self()->sigmask = set;
		else
			return -P9_EINVAL;
		rt_self()->sigmask &= ~LX_SIG_UNCATCHABLE;
		sig_publish();
	}
	if (uold)
		*(uint64_t *)uold = old;
	return 0;
}

/* Whether a nester's answer means there is no process server (no
 * nester, or one that is not proc: it knows no such request). */
int sig_alone(long status)
{
	return status == STATUS_ERR_BADCAP || status == STATUS_ERR_TYPE ||
	       status == STATUS_ERR_NOTSUP;
}

/* proc's statuses as kill's and setpgid's errnos (metta/proto.h). */
long sig_errno(long status)
{
	switch (status) {
	case 0:
		return 0;
	case STATUS_ERR_NOENT:
		return -P9_ESRCH;
	case STATUS_ERR_DENIED:
		return -P9_EPERM;
	case STATUS_ERR_BUSY:
		return -P9_EACCES;
	default:
		return -P9_EINVAL;
	}
}

/* kill(2) through the process server; alone (no proc), only ourselves. */
long rt_kill(int64_t pid, int64_t sig)
{
	if (sig < 0 || sig > NSIG)
		return -P9_EINVAL;
	uint64_t w[4] = { NESTER_SIGNAL, (uint64_t)pid, (uint64_t)sig };
	long rc = rt_ask_proc(w);
	if (!sig_alone(rc))
		return sig_errno(rc);
	if (pid != 0 && pid != rt_getpid())
		return -P9_ESRCH;
	if (sig)
		sig_raise((int)sig, LX_SI_USER);
	return 0;
}

/*
 * tgkill and tkill: a thread of ours (our tids are ours alone: another
 * process's thread is ESRCH). A signal with a handler is the thread's
 * own, pending for it alone, and it is interrupted to take it; one whose
 * action is the default acts on the whole process (the end, a stop), as
 * on Linux, so it goes through proc as kill's; an ignored one is dropped.
 */
static long send_thread(int64_t tgid, int64_t tid, int64_t sig)
{
	if (tid <= 0 || tgid == 0 || tgid < -1 || sig < 0 || sig > NSIG)
		return -P9_EINVAL;
	struct rt_thread *t = thread_by_tid(tid);
	if (!t || (tgid != -1 && tgid != rt_getpid()))
		return -P9_ESRCH;
	uint64_t h = sig ? rt.actions[sig].handler : LX_SIG_DFL;
	if (!sig || h == LX_SIG_DFL || thread_count() == 1)
		return rt_kill(rt_getpid(), sig);
	if (h == LX_SIG_IGN)
		return 0;
	t->from[sig - 1] = (struct rt_sigfrom){ (int32_t)rt_getpid(),
						LX_SI_TKILL };
	t->pending |= bit((int)sig);
	if (t != rt_self())
		poke(t);
	return 0;
}

long sys_rt_sigaction(const uint64_t *a)
{
	return do_sigaction((int)a[0], a[1], a[2], a[3]);
}

long sys_rt_sigprocmask(const uint64_t *a)
{
	return do_sigprocmask((int)a[0], a[1], a[2], a[3]);
}

long sys_rt_sigpending(const uint64_t *a)
{
	if (a[1] != 8)
		return -P9_EINVAL;
	if (user_writable(a[0], 8))
		return -P9_EFAULT;
	*(uint64_t *)a[0] = pending() & rt_self()->sigmask;
	return 0;
}

long sys_kill(const uint64_t *a)
{
	return rt_kill((int)a[0], (int)a[1]);
}

long sys_tkill(const uint64_t *a)
{
	return send_thread(-1, (int)a[0], (int)a[1]);
}

long sys_tgkill(const uint64_t *a)
{
	return send_thread((int)a[0], (int)a[1], (int)a[2]);
}

long sys_pause(const uint64_t *a)
{
	(void)a;
	wait_signal(~rt_self()->sigmask, 0);
	return -LX_ERESTARTNOHAND;
}

long sys_rt_sigsuspend(const uint64_t *a)
{
	if (a[1] != 8)
		return -P9_EINVAL;
	if (user_readable(a[0], 8))
		return -P9_EFAULT;
	rt_self()->suspend_mask = rt_self()->sigmask;
	rt_self()->suspended = 1;
	rt_self()->sigmask = *(const uint64_t *)a[0] & ~LX_SIG_UNCATCHABLE;
	sig_publish();
	wait_signal(~rt_self()->sigmask, 0);
	return -LX_ERESTARTNOHAND;
}

/* rt_sigtimedwait(set, info, timeout, size): takes one of set. */
long sys_rt_sigtimedwait(const uint64_t *a)
{
	if (a[3] != 8)
		return -P9_EINVAL;
	if (user_readable(a[0], 8) ||
	    (a[1] && user_writable(a[1], sizeof(struct lx_siginfo))) ||
	    (a[2] && user_readable(a[2], sizeof(struct lx_timespec))))
		return -P9_EFAULT;
	uint64_t set = *(const uint64_t *)a[0] & ~LX_SIG_UNCATCHABLE;
	int64_t until = 0;
	if (a[2]) {
		const struct lx_timespec *t = (const struct lx_timespec *)a[2];
		if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000)
			return -P9_EINVAL;
		until = metta_clock() + t->tv_sec * 1000000000 + t->tv_nsec;
		until += until == 0;
	}
	if (!page)
		return -P9_EAGAIN;
	while (wait_signal(set | ~rt_self()->sigmask, until)) {
		uint64_t mine = pending() & set;
		if (!mine)
			return -LX_ERESTARTNOHAND; /* another one, to deliver */
		int sig = __builtin_ctzll(mine) + 1;
		struct rt_sigfrom *from = take(sig);
		if (!from)
			continue;
		if (a[1]) {
			struct lx_siginfo *i = (struct lx_siginfo *)a[1];
			memset(i, 0, sizeof(*i));
			i->si_signo = sig;
			i->si_code = from->code;
			i->si_pid = from->pid;
		}
		return sig;
	}
	return -P9_EAGAIN;
}

/* sigaltstack(ss, old) */
long sys_sigaltstack(const uint64_t *a)
{
	uint64_t sp = rt_call_now->rsp;
	if ((a[0] && user_readable(a[0], sizeof(struct lx_stack))) ||
	    (a[1] && user_writable(a[1], sizeof(struct lx_stack))))
		return -P9_EFAULT;
	struct lx_stack old = rt_self()->altstack;
	if (!old.ss_size)
		old = (struct lx_stack){ 0, LX_SS_DISABLE, 0, 0 };
	else if (on_altstack(sp))
		old.ss_flags = LX_SS_ONSTACK;
	if (a[0]) {
		struct lx_stack n = *(const struct lx_stack *)a[0];
		int mode = n.ss_flags & ~(int32_t)LX_SS_AUTODISARM;
		if (on_altstack(sp))
			return -P9_EPERM;
		if (mode != 0 && mode != LX_SS_ONSTACK && mode != LX_SS_DISABLE)
			return -P9_EINVAL;
		if (mode == LX_SS_DISABLE)
			n = (struct lx_stack){ 0, 0, 0, 0 };
		else if (n.ss_size < LX_MINSIGSTKSZ)
			return -P9_ENOMEM;
		n.ss_flags &= (int32_t)LX_SS_AUTODISARM;
		rt_self()->altstack = n;
	}
	if (a[1])
		*(struct lx_stack *)a[1] = old;
	return 0;
}

/* Back from a handler: the registers, mask, alternate stack and FPU
 * state of its frame (the restorer's rsp is the frame's ucontext). */
long sys_rt_sigreturn(const uint64_t *a)
{
	(void)a;
	struct rt_call *c = rt_call_now;
	const struct lx_ucontext *uc = (const struct lx_ucontext *)c->rsp;
	if (user_readable(c->rsp, sizeof(*uc)))
		die(LX_SIGSEGV);
	const struct lx_sigcontext *m = &uc->uc_mcontext;
	uint64_t fx = m->fpstate;
	if (fx && ((fx & 15) || user_readable(fx, LX_FXSAVE_SIZE)))
		die(LX_SIGSEGV);
	c->a[0] = m->rdi, c->a[1] = m->rsi, c->a[2] = m->rdx;
	c->a[3] = m->r10, c->a[4] = m->r8, c->a[5] = m->r9;
	c->r12 = m->r12, c->r13 = m->r13, c->r14 = m->r14, c->r15 = m->r15;
	c->rbp = m->rbp, c->rbx = m->rbx, c->rsp = m->rsp, c->rip = m->rip;
	c->rflags = (c->rflags & ~USER_FLAGS) | (m->eflags & USER_FLAGS);
	if (fx) {
		/* Reserved MXCSR bits would fault in fxrstor: Linux refuses
		 * them too. */
		uint32_t *mxcsr = (uint32_t *)(fx + 24);
		*mxcsr &= mxcsr_mask;
		__asm__ volatile("fxrstor64 (%0)" : : "r"(fx) : "memory");
	}
	rt_self()->sigmask = uc->uc_sigmask & ~LX_SIG_UNCATCHABLE;
	rt_self()->extra.active = 1; /* back through rt_resume_full, rcx and r11 too */
	rt_self()->extra.rcx = m->rcx;
	rt_self()->extra.r11 = m->r11;
	if (!on_altstack(c->rsp) && uc->uc_stack.ss_size &&
	    !(uc->uc_stack.ss_flags & LX_SS_DISABLE))
		rt_self()->altstack = uc->uc_stack,
		rt_self()->altstack.ss_flags &= (int32_t)LX_SS_AUTODISARM;
	sig_publish();
	return (long)m->rax;
}

/* ---- alarms: kept by the process server (NESTER_ALARM) ---- */

/* Sets the alarm to us microseconds (every `every`), or only asks
 * (ask): 0 and the last setting's left and interval, or an errno. */
static long set_alarm(uint64_t us, uint64_t every, int ask, uint64_t *left,
		      uint64_t *interval)
{
	uint64_t w[4] = { NESTER_ALARM, us, every, (uint64_t)ask };
	long rc = rt_ask_proc(w);
	if (rc == STATUS_ERR_RANGE)
		return -P9_EINVAL;
	if (rc)
		return -P9_ENOSYS; /* no process server: no timers */
	*left = w[1];
	*interval = w[2];
	return 0;
}

long sys_alarm(const uint64_t *a)
{
	uint64_t left, every, secs = (uint32_t)a[0];
	long rc = set_alarm(secs * 1000000, 0, 0, &left, &every);
	if (rc)
		return rc;
	/* Seconds left, rounded, but never 0 for an alarm still set. */
	uint64_t s = (left + 500000) / 1000000;
	return (long)(s || !left ? s : 1);
}

static uint64_t tv_us(const struct lx_timeval *t)
{
	return (uint64_t)t->tv_sec * 1000000 + (uint64_t)t->tv_usec;
}

static struct lx_timeval us_tv(uint64_t us)
{
	return (struct lx_timeval){ (int64_t)(us / 1000000),
				    (int64_t)(us % 1000000) };
}

static int tv_bad(const struct lx_timeval *t)
{
	return t->tv_sec < 0 || t->tv_usec < 0 || t->tv_usec >= 1000000;
}

/* setitimer(which, new, old), and getitimer(which, cur) when new is 0
 * and ask: ITIMER_REAL only (no CPU time is counted per domain). */
static long itimer(int which, uint64_t unew, uint64_t uold)
{
	if (which != 0)
		return -P9_EINVAL;
	if ((unew && user_readable(unew, sizeof(struct lx_itimerval))) ||
	    (uold && user_writable(uold, sizeof(struct lx_itimerval))))
		return -P9_EFAULT;
	uint64_t us = 0, every = 0, left, interval;
	if (unew) {
		const struct lx_itimerval *n =
		    (const struct lx_itimerval *)unew;
		if (tv_bad(&n->value) || tv_bad(&n->interval))
			return -P9_EINVAL;
		us = tv_us(&n->value);
		every = tv_us(&n->interval);
	}
	long rc = set_alarm(us, every, !unew, &left, &interval);
	if (rc == 0 && uold)
		*(struct lx_itimerval *)uold =
		    (struct lx_itimerval){ us_tv(left ? interval : 0),
					   us_tv(left) };
	return rc;
}

long sys_setitimer(const uint64_t *a)
{
	return itimer((int)a[0], a[1], a[2]);
}

long sys_getitimer(const uint64_t *a)
{
	if (!a[1])
		return -P9_EFAULT;
	return itimer((int)a[0], 0, a[1]);
}
